// Request, Response and Router: the HTTP adapter's own view of a request, free of libmicrohttpd, so
// that routes are plain functions a test can call. The Router maps (method, path pattern) to a
// handler and tells an unknown path (404) from a known path with the wrong method (405).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot::http {

// Name/value pairs in the order received. A name may repeat in a query or in headers.
using Fields = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as a handler sees it: the body is complete, the path is percent-decoded.
struct Request {
  std::string method;  // As received: "GET".
  std::string path;    // Without the query: "/api/v1/ledger/events/17".
  Fields path_params;  // Filled by the router from the pattern: {"seq", "17"}.
  Fields query_params;
  Fields headers;
  std::string body;
  std::string request_id;      // Echoed in X-Request-Id and in error bodies.
  std::string remote_address;  // "127.0.0.1:53124", "[::1]:53124".

  // The value of path parameter `name`, or nullopt when the route has no such parameter.
  std::optional<std::string_view> PathParam(std::string_view name) const;
  // The first value of query parameter `name` ("" for "?name"), or nullopt when absent.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // The first value of header `name`, compared case-insensitively (RFC 9110 section 5.1).
  std::optional<std::string_view> Header(std::string_view name) const;
};

// What a handler returns. The server adds X-Request-Id and Content-Length.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;  // Extra headers: Allow, Cache-Control, ...
};

using Handler = std::function<Response(const Request&)>;

// The outcome of matching a method and path against the routes.
struct RouteMatch {
  enum class Outcome {
    kFound,             // `handler` serves it.
    kNotFound,          // No route has this path: 404.
    kMethodNotAllowed,  // A route has this path, not with this method: 405 with `allowed`.
  };
  Outcome outcome = Outcome::kNotFound;
  const Handler* handler = nullptr;  // Set when kFound; owned by the router.
  // The pattern of the route ("/api/v1/ledger/events/{seq}"), set unless kNotFound. Metrics label
  // requests with it rather than with the raw path, so their cardinality stays bounded.
  std::string pattern;
  Fields params;                     // Path parameters, set when kFound.
  std::vector<std::string> allowed;  // Methods of the path, sorted, set when kMethodNotAllowed.
};

// Routes are added at start-up, then matched concurrently: Add is not thread-safe, Match is
// (it only reads). Patterns are absolute paths whose segments are literals or "{name}"; a
// parameter matches one non-empty segment. Where a literal and a parameter both match, the
// literal wins ("/checkpoints/latest" before "/checkpoints/{size}"), earlier segments first.
class Router {
 public:
  // Adds a route. `method` is an upper-case token ("GET"); a GET route also answers HEAD unless
  // a HEAD route is added for the same pattern. A malformed pattern or a second route for the
  // same method and pattern is a programming error (ALIQUOT_CHECK).
  void Add(std::string_view method, std::string_view pattern, Handler handler);

  RouteMatch Match(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    std::string text;  // The literal, or the parameter's name.
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  // Whether `route` matches the path's `segments`; fills `params` when it does.
  static bool MatchSegments(const Route& route, const std::vector<std::string_view>& segments,
                            Fields* params);
  // True when `a` is more specific than `b`: a literal where `b` has a parameter, leftmost first.
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

// Parses a decimal unsigned integer: digits only, no sign or spaces, at most 2^64-1. Returns
// kInvalidArgument whose field is `field`: "limit must be an unsigned integer, got \"ten\"".
Result<std::uint64_t> ParseUnsigned(std::string_view text, std::string_view field);

// Path parameter `name` as an unsigned integer. Returns kInvalidArgument naming the parameter.
Result<std::uint64_t> PathParamUnsigned(const Request& request, std::string_view name);

// Query parameter `name` as an unsigned integer, or `default_value` when it is absent. Returns
// kInvalidArgument naming the parameter when it is present but not an unsigned integer.
Result<std::uint64_t> QueryParamUnsigned(const Request& request, std::string_view name,
                                         std::uint64_t default_value);

}  // namespace aliquot::http
