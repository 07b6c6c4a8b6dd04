// Building responses: the one mapping of aliquot::Error to an HTTP status and JSON body
// (STYLE.md, "Errors"), and helpers for JSON and text bodies. Error bodies read
//   {"code":"failed_precondition","field":"batch","message":"...","request_id":"..."}
// as canonical JSON, "field" omitted when the error names none. Messages may quote client input,
// so message and field are made valid UTF-8 first.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

inline constexpr std::string_view kJsonContentType = "application/json";
// The Prometheus text exposition format, version 0.0.4.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// The HTTP status of an error code. The only place that maps ErrorCode to a status.
int HttpStatus(ErrorCode code);

// The response for `error`: HttpStatus(error.Code()) and the JSON error body.
Response ErrorResponse(const Error& error, std::string_view request_id);

// 405 for a path served with other methods: Allow header, and an error body with code
// invalid_argument and field "method" (retrying the request unchanged fails again).
Response MethodNotAllowedResponse(std::string_view method, std::string_view path,
                                  std::span<const std::string> allowed,
                                  std::string_view request_id);

// 413 for a body above `limit` bytes: code invalid_argument, field "body".
Response PayloadTooLargeResponse(std::size_t limit, std::string_view request_id);

// `body` as canonical JSON.
Response JsonResponse(int status, const Json& body);

// A body that is already canonical JSON text (a proof document, an event line).
Response JsonTextResponse(int status, std::string json_text);

Response TextResponse(int status, std::string_view content_type, std::string body);

// `text` with every byte that is not part of valid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) replaced by U+FFFD. Client bytes (a path, a parameter)
// pass through this before they enter a JSON string, whose writer refuses invalid UTF-8.
std::string ToValidUtf8(std::string_view text);

}  // namespace aliquot::http
