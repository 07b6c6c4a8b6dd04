#include "aliquot/http/router.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "aliquot/core/check.h"

namespace aliquot::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> FindField(const Fields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

// Splits "/a/b/c" into {"a", "b", "c"}; "/" into {""}. The caller checks the leading '/'.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool IsParamName(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::optional<std::string_view> Request::PathParam(std::string_view name) const {
  return FindField(path_params, name);
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  return FindField(query_params, name);
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  ALIQUOT_CHECK_MSG(IsToken(method), "route method must be an upper-case token");
  ALIQUOT_CHECK_MSG(!pattern.empty() && pattern.front() == '/', "route pattern must start with /");
  ALIQUOT_CHECK_MSG(handler != nullptr, "route handler must be set");
  Route route{std::string(method), std::string(pattern), {}, std::move(handler)};
  for (std::string_view text : SplitPath(pattern)) {
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
      text = text.substr(1, text.size() - 2);
      ALIQUOT_CHECK_MSG(IsParamName(text), "route parameter name must be [A-Za-z0-9_]+");
      for (const Segment& segment : route.segments) {
        ALIQUOT_CHECK_MSG(!segment.is_param || segment.text != text,
                          "route parameter names must be unique within a pattern");
      }
      route.segments.push_back(Segment{std::string(text), true});
    } else {
      ALIQUOT_CHECK_MSG(text.find_first_of("{}") == std::string_view::npos,
                        "route pattern has a malformed parameter");
      route.segments.push_back(Segment{std::string(text), false});
    }
  }
  for (const Route& existing : routes_) {
    ALIQUOT_CHECK_MSG(existing.method != route.method || existing.pattern != route.pattern,
                      "route added twice");
  }
  routes_.push_back(std::move(route));
}

bool Router::MatchSegments(const Route& route, const std::vector<std::string_view>& segments,
                           Fields* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = route.segments[i];
    if (segment.is_param ? segments[i].empty() : segment.text != segments[i]) return false;
  }
  if (params != nullptr) {
    params->clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (route.segments[i].is_param) {
        params->emplace_back(route.segments[i].text, std::string(segments[i]));
      }
    }
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch match;
  if (path.empty() || path.front() != '/') return match;
  const std::vector<std::string_view> segments = SplitPath(path);

  const Route* best_for_path = nullptr;    // Most specific route of the path, any method.
  const Route* best_for_method = nullptr;  // Most specific route of the path and method.
  const Route* best_get = nullptr;         // Most specific GET route, which also answers HEAD.
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (!MatchSegments(route, segments, nullptr)) continue;
    if (best_for_path == nullptr || MoreSpecific(route, *best_for_path)) best_for_path = &route;
    if (route.method == method) {
      if (best_for_method == nullptr || MoreSpecific(route, *best_for_method)) {
        best_for_method = &route;
      }
    }
    if (route.method == "GET") {
      if (best_get == nullptr || MoreSpecific(route, *best_get)) best_get = &route;
      allowed.emplace_back("HEAD");
    }
    allowed.push_back(route.method);
  }
  if (best_for_method == nullptr && method == "HEAD") best_for_method = best_get;

  if (best_for_method != nullptr) {
    match.outcome = RouteMatch::Outcome::kFound;
    match.handler = &best_for_method->handler;
    match.pattern = best_for_method->pattern;
    MatchSegments(*best_for_method, segments, &match.params);
    return match;
  }
  if (best_for_path != nullptr) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    match.outcome = RouteMatch::Outcome::kMethodNotAllowed;
    match.pattern = best_for_path->pattern;
    match.allowed = std::move(allowed);
  }
  return match;
}

Result<std::uint64_t> ParseUnsigned(std::string_view text, std::string_view field) {
  const auto refuse = [&](std::string_view why) {
    std::string shown(text.substr(0, 32));
    if (text.size() > shown.size()) shown += "...";
    return Unexpected(InvalidArgument(
        std::string(field) + " must be " + std::string(why) + ", got \"" + shown + "\"",
        std::string(field)));
  };
  if (text.empty()) return refuse("an unsigned integer");
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') return refuse("an unsigned integer");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return refuse("an unsigned integer below 2^64");
    value = value * 10 + digit;
  }
  return value;
}

Result<std::uint64_t> PathParamUnsigned(const Request& request, std::string_view name) {
  const std::optional<std::string_view> text = request.PathParam(name);
  if (!text) {
    return Unexpected(
        InvalidArgument("missing path parameter " + std::string(name), std::string(name)));
  }
  return ParseUnsigned(*text, name);
}

Result<std::uint64_t> QueryParamUnsigned(const Request& request, std::string_view name,
                                         std::uint64_t default_value) {
  const std::optional<std::string_view> text = request.QueryParam(name);
  if (!text) return default_value;
  return ParseUnsigned(*text, name);
}

}  // namespace aliquot::http
