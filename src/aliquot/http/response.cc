#include "aliquot/http/response.h"

#include <utility>

namespace aliquot::http {
namespace {

// Statuses this adapter produces itself, outside the ErrorCode mapping.
constexpr int kMethodNotAllowed = 405;
constexpr int kPayloadTooLarge = 413;

Json ErrorBody(const Error& error, std::string_view request_id) {
  Json body = Json::MakeObject();
  body.Set("code", Json(ErrorCodeName(error.Code())));
  body.Set("message", Json(ToValidUtf8(error.Message())));
  if (!error.Field().empty()) body.Set("field", Json(ToValidUtf8(error.Field())));
  body.Set("request_id", Json(request_id));
  return body;
}

}  // namespace

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    // All three conflict with the current state of the resource (RFC 9110 section 15.5.10);
    // clients tell them apart by the body's "code". kFailedPrecondition is 409 rather than 422:
    // the request is well-formed and would succeed once the state changes ("batch B-17 has an
    // open deviation"), whereas 422 says the content itself is wrong, which is kInvalidArgument's
    // 400. kAborted is a lost race: retry from the start.
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAborted:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    // Both are our failure, not the client's; kDataLoss additionally means the record needs an
    // investigation, which the body's "code" says.
    case ErrorCode::kDataLoss:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const Error& error, std::string_view request_id) {
  return JsonResponse(HttpStatus(error.Code()), ErrorBody(error, request_id));
}

Response MethodNotAllowedResponse(std::string_view method, std::string_view path,
                                  std::span<const std::string> allowed,
                                  std::string_view request_id) {
  std::string allow;
  for (const std::string& name : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += name;
  }
  const Error error = InvalidArgument("method " + std::string(method) + " is not allowed on " +
                                          std::string(path) + "; allowed: " + allow,
                                      "method");
  Response response = JsonResponse(kMethodNotAllowed, ErrorBody(error, request_id));
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

Response PayloadTooLargeResponse(std::size_t limit, std::string_view request_id) {
  const Error error = InvalidArgument(
      "request body exceeds the limit of " + std::to_string(limit) + " bytes", "body");
  return JsonResponse(kPayloadTooLarge, ErrorBody(error, request_id));
}

Response JsonResponse(int status, const Json& body) {
  return JsonTextResponse(status, CanonicalJson(body));
}

Response JsonTextResponse(int status, std::string json_text) {
  return TextResponse(status, kJsonContentType, std::move(json_text));
}

Response TextResponse(int status, std::string_view content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = std::string(content_type);
  response.body = std::move(body);
  return response;
}

std::string ToValidUtf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    char32_t min = 0;
    char32_t code = 0;
    if (lead < 0x80) {
      out += static_cast<char>(lead);
      ++pos;
      continue;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      min = 0x80;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      min = 0x800;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      min = 0x10000;
      code = lead & 0x07u;
    }
    bool valid = length > 0 && pos + length <= text.size();
    for (std::size_t i = 1; valid && i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[pos + i]);
      valid = (next & 0xC0u) == 0x80u;
      code = (code << 6) | (next & 0x3Fu);
    }
    valid = valid && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (valid) {
      out.append(text.substr(pos, length));
      pos += length;
    } else {
      out.append(kReplacement);
      ++pos;  // Resynchronise at the next byte.
    }
  }
  return out;
}

}  // namespace aliquot::http
