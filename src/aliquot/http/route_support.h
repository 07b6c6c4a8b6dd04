// What every authenticated API area's routes share: running a handler so its error becomes the one
// error response, binding a handler to a route behind authentication, reading path parameters,
// and showing electronic signatures (their manifestation, 11.50) the same way everywhere.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/identity/signature.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

// Every request names the registered terminal it comes from by this header's token.
inline constexpr std::string_view kTerminalHeader = "X-Aliquot-Terminal";

inline constexpr int kOk = 200;
inline constexpr int kCreated = 201;

// Runs `handle`, turning its error into the one error response; responses are never cached.
Response Respond(const Request& request, const std::function<Result<Response>()>& handle);

// The path parameter `name` ("" when absent).
std::string PathParam(const Request& request, std::string_view name);

// One signature as the API shows it, with whether it is valid for `content_hash` (11.70).
Json SignatureJson(const identity::ElectronicSignature& signature, const std::string& content_hash);
Json SignaturesJson(const app::RecordSignatures& signatures);

// An optional instant as the API shows it: RFC 3339, or null.
Json TimeJson(const std::optional<Timestamp>& time);
// A name or text as JSON; null when empty (nobody has done it yet).
Json NonEmpty(const std::string& text);
// The body member `name` as an instant (a date or RFC 3339); absent: nullopt.
Result<std::optional<Timestamp>> OptionalTimeMember(JsonBody& body, std::string_view name);
// The query parameter `name` as an instant; absent: nullopt.
Result<std::optional<Timestamp>> TimeQuery(const Request& request, std::string_view name);
// ?at=...: TimeQuery(request, "at").
Result<std::optional<Timestamp>> AtQuery(const Request& request);
// The query parameter `name`; kInvalidArgument when it is absent or empty.
Result<std::string> RequiredQuery(const Request& request, std::string_view name);
// {"type", "id"}: the signable record a response points at, signed through
// /api/v1/records/{type}/{id}/signatures.
Json RecordJson(std::string_view type, const std::string& id);

// The context of `request`: its bearer token and terminal header, through
// SessionService::Authenticate.
Result<app::RequestContext> AuthenticateRequest(app::SessionService& sessions,
                                                const Request& request);

// Adds a route whose handler is a member of `self` called with the authenticated context; `self`
// is held by the route, so it lives as long as the router.
template <typename Routes>
void BindAuthenticated(Router& router, const std::shared_ptr<Routes>& self,
                       app::SessionService& sessions, std::string_view method,
                       std::string_view pattern,
                       Result<Response> (Routes::*handler)(const Request&,
                                                           const app::RequestContext&)) {
  router.Add(method, pattern, [self, &sessions, handler](const Request& request) {
    return Respond(request, [&]() -> Result<Response> {
      ALIQUOT_ASSIGN_OR_RETURN(const app::RequestContext context,
                               AuthenticateRequest(sessions, request));
      return ((*self).*handler)(request, context);
    });
  });
}

}  // namespace aliquot::http
