#include "aliquot/http/route_support.h"

#include <algorithm>
#include <utility>

#include "aliquot/http/response.h"

namespace aliquot::http {

Response Respond(const Request& request, const std::function<Result<Response>()>& handle) {
  Result<Response> response = handle();
  if (!response) return ErrorResponse(response.error(), request.request_id);
  response->headers.emplace_back("Cache-Control", "no-store");
  return std::move(*response);
}

std::string PathParam(const Request& request, std::string_view name) {
  return std::string(request.PathParam(name).value_or(""));
}

Json SignatureJson(const identity::ElectronicSignature& signature,
                   const std::string& content_hash) {
  Json json = Json::MakeObject();
  json.Set("seq", Json(signature.seq));
  json.Set("signer_id", signature.signer_id);
  json.Set("printed_name", signature.printed_name);
  json.Set("meaning", identity::MeaningName(signature.meaning));
  json.Set("signed_at", signature.time.ToRfc3339());
  json.Set("comment", signature.comment ? Json(*signature.comment) : Json());
  json.Set("content_hash", signature.content_hash);
  json.Set("valid", signature.ValidFor(content_hash));
  return json;
}

Json SignaturesJson(const app::RecordSignatures& signatures) {
  Json array = Json::MakeArray();
  for (const identity::ElectronicSignature& signature : signatures.signatures) {
    array.Push(SignatureJson(signature, signatures.content_hash));
  }
  return array;
}

Result<app::RequestContext> AuthenticateRequest(app::SessionService& sessions,
                                                const Request& request) {
  std::string_view authorization = request.Header("Authorization").value_or("");
  std::string_view token;
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "bearer ";
    // RFC 9110 section 11.1: the authentication scheme is case-insensitive.
    const bool bearer =
        authorization.size() >= kBearer.size() &&
        std::equal(kBearer.begin(), kBearer.end(), authorization.begin(), [](char want, char got) {
          return want == (got >= 'A' && got <= 'Z' ? static_cast<char>(got - 'A' + 'a') : got);
        });
    if (!bearer) {
      return Unexpected(Unauthenticated("the Authorization header must be 'Bearer <session token>'",
                                        "Authorization"));
    }
    token = authorization.substr(kBearer.size());
  }
  return sessions.Authenticate(token, request.Header(kTerminalHeader).value_or(""));
}

Json NonEmpty(const std::string& text) { return text.empty() ? Json() : Json(text); }

Json TimeJson(const std::optional<Timestamp>& time) {
  return time ? Json(time->ToRfc3339()) : Json();
}

Result<std::optional<Timestamp>> OptionalTimeMember(JsonBody& body, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, body.OptionalString(name));
  if (!text) return std::optional<Timestamp>();
  ALIQUOT_ASSIGN_OR_RETURN(const Timestamp time, Timestamp::ParseInstant(*text, name));
  return std::optional<Timestamp>(time);
}

Result<std::optional<Timestamp>> TimeQuery(const Request& request, std::string_view name) {
  const std::optional<std::string_view> text = request.QueryParam(name);
  if (!text) return std::optional<Timestamp>();
  ALIQUOT_ASSIGN_OR_RETURN(const Timestamp time, Timestamp::ParseInstant(*text, name));
  return std::optional<Timestamp>(time);
}

Result<std::optional<Timestamp>> AtQuery(const Request& request) {
  return TimeQuery(request, "at");
}

Result<std::string> RequiredQuery(const Request& request, std::string_view name) {
  const std::optional<std::string_view> value = request.QueryParam(name);
  if (!value || value->empty()) {
    return Unexpected(InvalidArgument("the query parameter " + std::string(name) + " is required",
                                      std::string(name)));
  }
  return std::string(*value);
}

Json RecordJson(std::string_view type, const std::string& id) {
  Json record = Json::MakeObject();
  record.Set("type", type);
  record.Set("id", id);
  return record;
}

}  // namespace aliquot::http
