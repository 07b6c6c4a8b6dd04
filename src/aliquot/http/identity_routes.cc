#include "aliquot/http/identity_routes.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/domain/identity/authorization.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;

Json UserJson(const app::UserView& view) {
  const identity::UserState& user = view.user;
  Json json = Json::MakeObject();
  json.Set("user_id", user.id);
  json.Set("printed_name", user.printed_name);
  json.Set("status", user.status == identity::AccountStatus::kActive ? "active" : "deactivated");
  json.Set("roles", identity::RolesToJson(user.roles));
  json.Set("password_change_required", user.password_change_required);
  json.Set("failed_attempts", user.failed_attempts);
  json.Set("locked_at", user.locked_at ? Json(user.locked_at->ToRfc3339()) : Json());
  json.Set("totp_enrolled", user.TotpEnrolled());
  // 11.50: a signed record is shown with its signatures' manifestations.
  json.Set("content_hash", view.access.content_hash);
  json.Set("signatures", SignaturesJson(view.access));
  return json;
}

Json ActionNames(const identity::ActionSet& actions) {
  Json array = Json::MakeArray();
  for (identity::Action action : actions.Members()) array.Push(identity::ActionName(action));
  return array;
}

Json TerminalJson(const identity::TerminalState& terminal) {
  Json json = Json::MakeObject();
  json.Set("terminal_id", terminal.id);
  json.Set("site", terminal.site);
  json.Set("name", terminal.name);
  json.Set("location", terminal.location);
  json.Set("kind", identity::TerminalKindName(terminal.kind));
  json.Set("status", terminal.status == identity::TerminalStatus::kActive ? "active" : "retired");
  json.Set("restricted", terminal.restricted);
  json.Set("allowed_actions", ActionNames(terminal.allowed));
  return json;
}

Json SiteJson(const identity::SiteState& site) {
  Json json = Json::MakeObject();
  json.Set("site_id", site.id);
  json.Set("name", site.name);
  json.Set("policy", identity::PolicyToJson(site.policy));
  return json;
}

Json PermissionsOf(identity::RoleSet roles) {
  Json array = Json::MakeArray();
  for (const identity::ActionDefinition& definition : identity::Actions()) {
    if (identity::Permits(roles, definition.action)) array.Push(definition.name);
  }
  return array;
}

Json SessionJson(const RequestContext& context, const identity::SecurityPolicy* policy) {
  Json json = Json::MakeObject();
  json.Set("session_id", context.session_id);
  json.Set("user_id", context.principal.user_id);
  json.Set("printed_name", context.principal.printed_name);
  json.Set("site", context.principal.site);
  Json roles = Json::MakeArray();
  for (identity::Role role : identity::kAllRoles) {
    if (context.principal.roles.Contains(role)) roles.Push(identity::RoleName(role));
  }
  json.Set("roles", std::move(roles));
  json.Set("permissions", PermissionsOf(context.principal.roles));
  json.Set("password_change_required", context.principal.password_change_required);
  json.Set("terminal", TerminalJson(context.terminal));
  if (policy != nullptr) json.Set("idle_timeout_minutes", policy->session_idle_minutes);
  return json;
}

Json ActionKindJson(identity::ActionKind kind) {
  switch (kind) {
    case identity::ActionKind::kSelfService:
      return "self_service";
    case identity::ActionKind::kRead:
      return "read";
    case identity::ActionKind::kAdministration:
      return "administration";
    case identity::ActionKind::kGmp:
      return "gmp";
  }
  return "read";
}

Result<std::vector<identity::SiteRole>> RolesMember(JsonBody& body) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* roles, body.Member("roles"));
  return identity::RolesFromJson(*roles, "roles");
}

Result<identity::ActionSet> ActionsMember(JsonBody& body, std::string_view name) {
  identity::ActionSet set;
  const Json* actions = body.OptionalMember(name);
  if (actions == nullptr) return set;
  if (!actions->IsArray()) {
    return Unexpected(InvalidArgument(std::string(name) + " must be an array of action names",
                                      std::string(name)));
  }
  for (std::size_t i = 0; i < actions->AsArray().size(); ++i) {
    const Json& item = actions->AsArray()[i];
    const auto action = item.IsString() ? identity::ActionFromName(item.AsString()) : std::nullopt;
    if (!action) {
      return Unexpected(InvalidArgument(std::string(name) + "[" + std::to_string(i) +
                                            "] is not an action GET /api/v1/roles lists",
                                        std::string(name) + "[" + std::to_string(i) + "]"));
    }
    set.Add(*action);
  }
  return set;
}

// The body of a route whose only member is a reason.
Result<std::string> ReasonBody(const Request& request) {
  ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
  ALIQUOT_ASSIGN_OR_RETURN(std::string reason, body.String("reason"));
  ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
  return reason;
}

Response Done(int status, const Json& body) { return JsonResponse(status, body); }

class Routes {
 public:
  explicit Routes(const IdentityApi& api) : api_(api) {}

  // Adds every route; each handler holds `self`, so the routes live as long as the router.
  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    Bind(router, self, "POST", "/api/v1/session", &Routes::SignIn, /*authenticated=*/false);
    Bind(router, self, "GET", "/api/v1/session", &Routes::WhoAmI);
    Bind(router, self, "DELETE", "/api/v1/session", &Routes::SignOut);
    Bind(router, self, "POST", "/api/v1/session/password", &Routes::ChangePassword);
    Bind(router, self, "POST", "/api/v1/session/totp", &Routes::StartTotp);
    Bind(router, self, "POST", "/api/v1/session/totp/confirm", &Routes::ConfirmTotp);
    Bind(router, self, "GET", "/api/v1/roles", &Routes::Roles);
    Bind(router, self, "GET", "/api/v1/sites", &Routes::Sites);
    Bind(router, self, "POST", "/api/v1/sites", &Routes::CreateSite);
    Bind(router, self, "PUT", "/api/v1/sites/{site}/policy", &Routes::ConfigureSite);
    Bind(router, self, "GET", "/api/v1/users", &Routes::Users);
    Bind(router, self, "POST", "/api/v1/users", &Routes::CreateUser);
    Bind(router, self, "GET", "/api/v1/users/{user}", &Routes::User);
    Bind(router, self, "PUT", "/api/v1/users/{user}/name", &Routes::RenameUser);
    Bind(router, self, "PUT", "/api/v1/users/{user}/roles", &Routes::AssignRoles);
    Bind(router, self, "POST", "/api/v1/users/{user}/deactivate", &Routes::Deactivate);
    Bind(router, self, "POST", "/api/v1/users/{user}/reactivate", &Routes::Reactivate);
    Bind(router, self, "POST", "/api/v1/users/{user}/password-reset", &Routes::ResetPassword);
    Bind(router, self, "POST", "/api/v1/users/{user}/unlock", &Routes::Unlock);
    Bind(router, self, "POST", "/api/v1/users/{user}/totp-reset", &Routes::ResetTotp);
    Bind(router, self, "GET", "/api/v1/terminals", &Routes::Terminals);
    Bind(router, self, "POST", "/api/v1/terminals", &Routes::RegisterTerminal);
    Bind(router, self, "PUT", "/api/v1/terminals/{terminal}/restriction",
         &Routes::RestrictTerminal);
    Bind(router, self, "POST", "/api/v1/terminals/{terminal}/retire", &Routes::RetireTerminal);
    Bind(router, self, "GET", "/api/v1/records/{type}/{id}/signatures", &Routes::Signatures);
    Bind(router, self, "POST", "/api/v1/records/{type}/{id}/signatures", &Routes::Sign);
  }

 private:
  using Method = Result<Response> (Routes::*)(const Request&, const RequestContext&);

  static void Bind(Router& router, const std::shared_ptr<Routes>& self, std::string_view method,
                   std::string_view pattern, Method handler, bool authenticated = true) {
    router.Add(method, pattern, [self, handler, authenticated](const Request& request) {
      return Respond(request, [&]() -> Result<Response> {
        RequestContext context;
        if (authenticated) {
          ALIQUOT_ASSIGN_OR_RETURN(context, AuthenticateRequest(self->api_.sessions, request));
        }
        return ((*self).*handler)(request, context);
      });
    });
  }

  Result<Response> SignIn(const Request& request, const RequestContext& /*unused*/) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::SignInRequest sign_in;
    sign_in.terminal_token = std::string(request.Header(kTerminalHeader).value_or(""));
    ALIQUOT_ASSIGN_OR_RETURN(sign_in.user_name, body.String("user_name"));
    ALIQUOT_ASSIGN_OR_RETURN(sign_in.password, body.String("password"));
    ALIQUOT_ASSIGN_OR_RETURN(sign_in.totp, body.OptionalString("totp"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(app::SignInOutcome outcome, api_.sessions.SignIn(sign_in));
    Json json = Json::MakeObject();
    json.Set("token", outcome.token);
    json.Set("session", SessionJson(outcome.context, &outcome.policy));
    return Done(kCreated, json);
  }

  Result<Response> WhoAmI(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_RETURN_IF_ERROR(api_.sessions.Authorize(context, identity::Action::kViewOwnSession));
    return Done(kOk, SessionJson(context, nullptr));
  }

  Result<Response> SignOut(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_RETURN_IF_ERROR(api_.sessions.SignOut(context));
    Json json = Json::MakeObject();
    json.Set("signed_out", true);
    return Done(kOk, json);
  }

  Result<Response> ChangePassword(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string current, body.String("current_password"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string next, body.String("new_password"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.sessions.ChangeOwnPassword(context, current, next));
    Json json = Json::MakeObject();
    json.Set("password_changed", true);
    return Done(kOk, json);
  }

  Result<Response> StartTotp(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string password, body.String("password"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(app::TotpEnrolment enrolment,
                             api_.sessions.StartTotpEnrolment(context, password));
    Json json = Json::MakeObject();
    json.Set("secret", enrolment.secret_base32);
    json.Set("otpauth_uri", enrolment.otpauth_uri);
    return Done(kOk, json);
  }

  Result<Response> ConfirmTotp(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string code, body.String("code"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.sessions.ConfirmTotp(context, code));
    Json json = Json::MakeObject();
    json.Set("totp_enrolled", true);
    return Done(kOk, json);
  }

  Result<Response> Roles(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_RETURN_IF_ERROR(api_.sessions.Authorize(context, identity::Action::kViewRoles));
    Json roles = Json::MakeArray();
    for (identity::Role role : identity::kAllRoles) {
      Json item = Json::MakeObject();
      item.Set("role", identity::RoleName(role));
      item.Set("title", identity::RoleTitle(role));
      item.Set("gmp", identity::IsGmpRole(role));
      roles.Push(std::move(item));
    }
    Json actions = Json::MakeArray();
    for (const identity::ActionDefinition& definition : identity::Actions()) {
      Json item = Json::MakeObject();
      item.Set("action", definition.name);
      item.Set("description", definition.description);
      item.Set("kind", ActionKindJson(definition.kind));
      Json allowed = Json::MakeArray();
      for (identity::Role role : identity::kAllRoles) {
        if (definition.roles.Contains(role)) allowed.Push(identity::RoleName(role));
      }
      item.Set("roles", std::move(allowed));
      actions.Push(std::move(item));
    }
    Json json = Json::MakeObject();
    json.Set("roles", std::move(roles));
    json.Set("actions", std::move(actions));
    return Done(kOk, json);
  }

  Result<Response> Sites(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::SiteState> sites,
                             api_.identity.Sites(context));
    Json array = Json::MakeArray();
    for (const identity::SiteState& site : sites) array.Push(SiteJson(site));
    Json json = Json::MakeObject();
    json.Set("sites", std::move(array));
    return Done(kOk, json);
  }

  Result<Response> CreateSite(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    identity::CreateSiteCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.id, body.String("site_id"));
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    if (const Json* policy = body.OptionalMember("policy"); policy != nullptr) {
      ALIQUOT_ASSIGN_OR_RETURN(command.policy, identity::PolicyFromJson(*policy, "policy."));
    }
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.identity.CreateSite(context, command));
    return Done(kCreated, SiteJson({true, command.id, command.name, command.policy}));
  }

  Result<Response> ConfigureSite(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* policy_json, body.Member("policy"));
    ALIQUOT_ASSIGN_OR_RETURN(const identity::SecurityPolicy policy,
                             identity::PolicyFromJson(*policy_json, "policy."));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string site = PathParam(request, "site");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.ConfigureSite(context, site, policy, reason));
    Json json = Json::MakeObject();
    json.Set("site_id", site);
    json.Set("policy", identity::PolicyToJson(policy));
    return Done(kOk, json);
  }

  Result<Response> Users(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::UserView> users, api_.identity.Users(context));
    Json array = Json::MakeArray();
    for (const app::UserView& user : users) array.Push(UserJson(user));
    Json json = Json::MakeObject();
    json.Set("users", std::move(array));
    return Done(kOk, json);
  }

  Result<Response> UserResponse(int status, const RequestContext& context,
                                const std::string& user_id,
                                const std::optional<std::string>& temporary_password) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::UserView view, api_.identity.User(context, user_id));
    Json json = UserJson(view);
    if (temporary_password) json.Set("temporary_password", *temporary_password);
    return Done(status, json);
  }

  // Reads a user after a change the caller may make but not read (the administrator may read
  // users; a caller without user.view sees only the outcome).
  Result<Response> Changed(const RequestContext& context, const std::string& user_id,
                           const std::optional<std::string>& temporary_password = std::nullopt) {
    if (identity::Authorize(context.principal, context.terminal, identity::Action::kViewUsers)) {
      return UserResponse(kOk, context, user_id, temporary_password);
    }
    Json json = Json::MakeObject();
    json.Set("user_id", user_id);
    if (temporary_password) json.Set("temporary_password", *temporary_password);
    return Done(kOk, json);
  }

  Result<Response> CreateUser(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string user_id, body.String("user_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string printed_name, body.String("printed_name"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::SiteRole> roles, RolesMember(body));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const app::NewCredential credential,
                             api_.identity.CreateUser(context, user_id, printed_name, roles));
    ALIQUOT_ASSIGN_OR_RETURN(Response response, Changed(context, user_id, credential.secret));
    response.status = kCreated;
    return response;
  }

  Result<Response> User(const Request& request, const RequestContext& context) {
    return UserResponse(kOk, context, PathParam(request, "user"), std::nullopt);
  }

  Result<Response> RenameUser(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string name, body.String("printed_name"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.RenameUser(context, user, name, reason));
    return Changed(context, user);
  }

  Result<Response> AssignRoles(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::SiteRole> roles, RolesMember(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.AssignRoles(context, user, roles, reason));
    return Changed(context, user);
  }

  Result<Response> Deactivate(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.DeactivateUser(context, user, reason));
    return Changed(context, user);
  }

  Result<Response> Reactivate(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.ReactivateUser(context, user, reason));
    return Changed(context, user);
  }

  Result<Response> ResetPassword(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string user = PathParam(request, "user");
    ALIQUOT_ASSIGN_OR_RETURN(const app::NewCredential credential,
                             api_.identity.ResetPassword(context, user, reason));
    return Changed(context, user, credential.secret);
  }

  Result<Response> Unlock(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.UnlockUser(context, user, reason));
    return Changed(context, user);
  }

  Result<Response> ResetTotp(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string user = PathParam(request, "user");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.ResetTotp(context, user, reason));
    return Changed(context, user);
  }

  Result<Response> Terminals(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::TerminalState> terminals,
                             api_.identity.Terminals(context));
    Json array = Json::MakeArray();
    for (const identity::TerminalState& terminal : terminals) array.Push(TerminalJson(terminal));
    Json json = Json::MakeObject();
    json.Set("terminals", std::move(array));
    return Done(kOk, json);
  }

  Result<Response> RegisterTerminal(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    identity::RegisterTerminalCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.id, body.String("terminal_id"));
    ALIQUOT_ASSIGN_OR_RETURN(command.site, body.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(command.location, body.String("location"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, body.String("kind"));
    const auto parsed = identity::TerminalKindFromName(kind);
    if (!parsed) {
      return Unexpected(
          InvalidArgument("kind must be tablet, workstation or instrument_gateway", "kind"));
    }
    command.kind = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<bool> restricted, body.OptionalBool("restricted"));
    command.restricted = restricted.value_or(false);
    ALIQUOT_ASSIGN_OR_RETURN(command.allowed, ActionsMember(body, "allowed_actions"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> token, body.OptionalString("token"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    identity::TerminalState shown;
    shown.id = command.id;
    shown.site = command.site;
    shown.name = command.name;
    shown.location = command.location;
    shown.kind = command.kind;
    shown.restricted = command.restricted;
    shown.allowed = command.allowed;
    ALIQUOT_ASSIGN_OR_RETURN(const app::NewCredential credential,
                             api_.identity.RegisterTerminal(context, std::move(command), token));
    Json json = Json::MakeObject();
    json.Set("terminal", TerminalJson(shown));
    json.Set("token", credential.secret);
    return Done(kCreated, json);
  }

  Result<Response> RestrictTerminal(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const bool restricted, body.Bool("restricted"));
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ActionSet allowed,
                             ActionsMember(body, "allowed_actions"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string terminal = PathParam(request, "terminal");
    ALIQUOT_RETURN_IF_ERROR(
        api_.identity.RestrictTerminal(context, terminal, restricted, allowed, reason));
    Json json = Json::MakeObject();
    json.Set("terminal_id", terminal);
    json.Set("restricted", restricted);
    json.Set("allowed_actions", ActionNames(restricted ? allowed : identity::ActionSet{}));
    return Done(kOk, json);
  }

  Result<Response> RetireTerminal(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, ReasonBody(request));
    const std::string terminal = PathParam(request, "terminal");
    ALIQUOT_RETURN_IF_ERROR(api_.identity.RetireTerminal(context, terminal, reason));
    Json json = Json::MakeObject();
    json.Set("terminal_id", terminal);
    json.Set("status", "retired");
    return Done(kOk, json);
  }

  Result<Response> Signatures(const Request& request, const RequestContext& context) {
    const identity::RecordRef record{PathParam(request, "type"), PathParam(request, "id")};
    ALIQUOT_ASSIGN_OR_RETURN(const app::RecordSignatures signatures,
                             api_.signatures.Signatures(context, record));
    Json json = Json::MakeObject();
    Json ref = Json::MakeObject();
    ref.Set("type", record.type);
    ref.Set("id", record.id);
    json.Set("record", std::move(ref));
    json.Set("content", signatures.content);
    json.Set("content_hash", signatures.content_hash);
    json.Set("signatures", SignaturesJson(signatures));
    return Done(kOk, json);
  }

  Result<Response> Sign(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::SignRequest sign;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string meaning, body.String("meaning"));
    const auto parsed = identity::MeaningFromName(meaning);
    if (!parsed) {
      return Unexpected(InvalidArgument(
          "meaning must be one of authored, performed, verified, reviewed, approved, released, "
          "rejected",
          "meaning"));
    }
    sign.meaning = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(sign.content_hash, body.String("content_hash"));
    ALIQUOT_ASSIGN_OR_RETURN(sign.password, body.String("password"));
    ALIQUOT_ASSIGN_OR_RETURN(sign.totp, body.OptionalString("totp"));
    ALIQUOT_ASSIGN_OR_RETURN(sign.comment, body.OptionalString("comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const identity::RecordRef record{PathParam(request, "type"), PathParam(request, "id")};
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ElectronicSignature signature,
                             api_.signatures.Sign(context, record, sign));
    return Done(kCreated, SignatureJson(signature, signature.content_hash));
  }

  IdentityApi api_;
};

}  // namespace

void AddIdentityRoutes(Router& router, const IdentityApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
