#include "aliquot/app/identity_service.h"

#include <algorithm>
#include <utility>

#include "aliquot/app/identity_records.h"
#include "aliquot/app/use_case.h"
#include "aliquot/core/random.h"
#include "aliquot/domain/system/installation.h"

namespace aliquot::app {
namespace {

using identity::Action;

// A temporary password long enough for the strictest policy the site could have, and readable.
std::size_t TemporaryLength(const identity::SecurityPolicy& policy) {
  return std::max<std::size_t>(19, static_cast<std::size_t>(policy.password_min_length));
}

}  // namespace

Json UserAccessContent(const identity::UserState& user) {
  Json content = Json::MakeObject();
  content.Set("user_id", user.id);
  content.Set("printed_name", user.printed_name);
  content.Set("status", user.status == identity::AccountStatus::kActive ? "active" : "deactivated");
  content.Set("roles", identity::RolesToJson(user.roles));
  return content;
}

SignableRecord UserAccessRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, id));
    if (!user.exists) return std::optional<RecordContent>();
    RecordContent content;
    content.content = UserAccessContent(user);
    // Nobody approves their own access.
    content.authors = {user.id};
    content.streams = {identity::UserStream(user.id)};
    return std::optional<RecordContent>(std::move(content));
  };
  // An account's content (roles, status) is for those who may read accounts.
  record.view_action = Action::kViewUsers;
  record.action_for = [](identity::Meaning meaning) -> std::optional<Action> {
    if (meaning == identity::Meaning::kApproved || meaning == identity::Meaning::kRejected) {
      return Action::kApproveUserAccess;
    }
    return std::nullopt;
  };
  return record;
}

IdentityService::IdentityService(Store& store, Clock& clock, const Credentials& credentials,
                                 SessionService& sessions, SignatureService& signatures)
    : store_(store),
      clock_(clock),
      credentials_(credentials),
      sessions_(sessions),
      signatures_(signatures) {}

template <typename Decide>
Status IdentityService::Run(const RequestContext& context, Action action, Decide decide) {
  return RunUseCase(store_, sessions_, context, action,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event, decide(reader));
                      return std::vector<ledger::NewEvent>{std::move(event)};
                    })
      .transform([](const std::vector<ledger::Event>&) {});
}

Result<BootstrapOutcome> IdentityService::Bootstrap(const BootstrapCommand& command,
                                                    const std::string& terminal) {
  BootstrapOutcome outcome;
  outcome.terminal_token = RandomHex(kTokenBytes);
  outcome.temporary_password = Credentials::TemporaryPassword(TemporaryLength(command.site.policy));
  ALIQUOT_ASSIGN_OR_RETURN(
      const std::string sealed,
      credentials_.SealPassword(command.administrator_id, outcome.temporary_password));
  AppendRequest request;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::UserState> users, LoadUsers(reader));
    if (!users.empty()) {
      return Unexpected(FailedPrecondition(
          "the site has user accounts already; a system administrator creates further ones (or "
          "resets a lost password) through the API"));
    }
    const ledger::Actor system = system::SystemActor();
    ALIQUOT_ASSIGN_OR_RETURN(identity::SiteState site, LoadSite(reader, command.site.id));
    if (!site.exists) {
      ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent created,
                               identity::CreateSite(site, command.site, system, terminal));
      request.events.push_back(std::move(created));
    }
    const std::vector<std::string> sites{command.site.id};
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState admin, LoadUser(reader, command.administrator_id));
    identity::CreateUserCommand user;
    user.id = command.administrator_id;
    user.printed_name = command.administrator_name;
    user.roles = {{command.site.id, identity::Role::kSystemAdministrator}};
    user.sealed_temporary_password = sealed;
    ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent created_user,
                             identity::CreateUser(admin, user, sites, system, terminal));
    request.events.push_back(std::move(created_user));
    identity::RegisterTerminalCommand device = command.terminal;
    device.site = command.site.id;
    device.token_sha256 = TokenHash(outcome.terminal_token);
    ALIQUOT_ASSIGN_OR_RETURN(identity::TerminalState existing, LoadTerminal(reader, device.id));
    ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent registered,
                             identity::RegisterTerminal(existing, device, sites, system, terminal));
    request.events.push_back(std::move(registered));
    for (const ledger::NewEvent& event : request.events) {
      ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t head, reader.StreamHead(event.stream));
      request.expectations.push_back({event.stream, head});
    }
    return {};
  }));
  ALIQUOT_ASSIGN_OR_RETURN(auto appended, store_.Append(request));
  (void)appended;
  return outcome;
}

Status IdentityService::CreateSite(const RequestContext& context,
                                   const identity::CreateSiteCommand& command) {
  return Run(context, Action::kCreateSite, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    ALIQUOT_ASSIGN_OR_RETURN(identity::SiteState site, LoadSite(reader, command.id));
    return identity::CreateSite(site, command, context.Actor(), context.terminal.id);
  });
}

Status IdentityService::ConfigureSite(const RequestContext& context, const std::string& site_id,
                                      const identity::SecurityPolicy& policy,
                                      const std::string& reason) {
  return Run(context, Action::kConfigureSite, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    // Roles are per site: a site is configured by its own administrators.
    if (site_id != context.principal.site) {
      return Unexpected(::aliquot::PermissionDenied(
          "site " + site_id.substr(0, 16) +
              " is configured from its own terminals; this session is at site " +
              context.principal.site,
          "site"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(identity::SiteState site, LoadSite(reader, site_id));
    return identity::SetPolicy(site, policy, reason, context.Actor(), context.terminal.id);
  });
}

Result<IdentityService::TemporaryPassword> IdentityService::IssueTemporaryPassword(
    const RequestContext& context, const std::string& user_id) {
  identity::SecurityPolicy policy;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(policy, sessions_.PolicyOf(reader, context.terminal.site));
    return {};
  }));
  TemporaryPassword issued;
  issued.credential.secret = Credentials::TemporaryPassword(TemporaryLength(policy));
  ALIQUOT_ASSIGN_OR_RETURN(issued.sealed,
                           credentials_.SealPassword(user_id, issued.credential.secret));
  return issued;
}

Result<NewCredential> IdentityService::CreateUser(const RequestContext& context,
                                                  const std::string& user_id,
                                                  const std::string& printed_name,
                                                  const std::vector<identity::SiteRole>& roles) {
  ALIQUOT_RETURN_IF_ERROR(identity::ValidateUserName(user_id, "user_id"));
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kCreateUser));
  ALIQUOT_ASSIGN_OR_RETURN(TemporaryPassword issued, IssueTemporaryPassword(context, user_id));
  ALIQUOT_RETURN_IF_ERROR(
      Run(context, Action::kCreateUser, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
        ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites, LoadSiteIds(reader));
        ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
        identity::CreateUserCommand command{user_id, printed_name, roles, issued.sealed};
        return identity::CreateUser(user, command, sites, context.Actor(), context.terminal.id);
      }));
  return std::move(issued.credential);
}

Status IdentityService::RenameUser(const RequestContext& context, const std::string& user_id,
                                   const std::string& printed_name, const std::string& reason) {
  return Run(context, Action::kRenameUser, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
    return identity::RenameUser(user, printed_name, reason, context.Actor(), context.terminal.id);
  });
}

Status IdentityService::AssignRoles(const RequestContext& context, const std::string& user_id,
                                    const std::vector<identity::SiteRole>& roles,
                                    const std::string& reason) {
  return Run(context, Action::kAssignRoles, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites, LoadSiteIds(reader));
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
    return identity::AssignRoles(user, roles, sites, reason, context.Actor(), context.terminal.id);
  });
}

Status IdentityService::DeactivateUser(const RequestContext& context, const std::string& user_id,
                                       const std::string& reason) {
  return Run(context, Action::kDeactivateUser,
             [&](StoreReader& reader) -> Result<ledger::NewEvent> {
               ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
               return identity::DeactivateUser(user, reason, context.Actor(), context.terminal.id);
             });
}

Status IdentityService::ReactivateUser(const RequestContext& context, const std::string& user_id,
                                       const std::string& reason) {
  return Run(context, Action::kReactivateUser,
             [&](StoreReader& reader) -> Result<ledger::NewEvent> {
               ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
               return identity::ReactivateUser(user, reason, context.Actor(), context.terminal.id);
             });
}

Result<NewCredential> IdentityService::ResetPassword(const RequestContext& context,
                                                     const std::string& user_id,
                                                     const std::string& reason) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kResetPassword));
  ALIQUOT_ASSIGN_OR_RETURN(TemporaryPassword issued, IssueTemporaryPassword(context, user_id));
  ALIQUOT_RETURN_IF_ERROR(
      Run(context, Action::kResetPassword, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
        ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
        return identity::ResetPassword(user, issued.sealed, reason, context.Actor(),
                                       context.terminal.id);
      }));
  return std::move(issued.credential);
}

Status IdentityService::UnlockUser(const RequestContext& context, const std::string& user_id,
                                   const std::string& reason) {
  return Run(context, Action::kUnlockUser, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
    ALIQUOT_ASSIGN_OR_RETURN(const identity::SecurityPolicy policy,
                             sessions_.PolicyOf(reader, context.terminal.site));
    return identity::UnlockUser(user, clock_.Now(), policy, reason, context.Actor(),
                                context.terminal.id);
  });
}

Status IdentityService::ResetTotp(const RequestContext& context, const std::string& user_id,
                                  const std::string& reason) {
  return Run(context, Action::kResetTotp, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, user_id));
    return identity::ResetTotp(user, reason, context.Actor(), context.terminal.id);
  });
}

Result<NewCredential> IdentityService::RegisterTerminal(const RequestContext& context,
                                                        identity::RegisterTerminalCommand command,
                                                        const std::optional<std::string>& token) {
  ALIQUOT_RETURN_IF_ERROR(identity::ValidateTerminalId(command.id, "terminal_id"));
  if (token && !IsToken(*token)) {
    return Unexpected(InvalidArgument(
        "a terminal's own token must be 64 lower-case hex digits (32 random bytes)", "token"));
  }
  NewCredential credential;
  credential.secret = token ? *token : RandomHex(kTokenBytes);
  command.token_sha256 = TokenHash(credential.secret);
  ALIQUOT_RETURN_IF_ERROR(
      Run(context, Action::kRegisterTerminal, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
        ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites, LoadSiteIds(reader));
        ALIQUOT_ASSIGN_OR_RETURN(identity::TerminalState terminal,
                                 LoadTerminal(reader, command.id));
        ALIQUOT_ASSIGN_OR_RETURN(std::optional<identity::TerminalState> holder,
                                 LoadTerminalByToken(reader, command.token_sha256));
        if (holder) {
          return Unexpected(AlreadyExists("that token belongs to another terminal", "token"));
        }
        return identity::RegisterTerminal(terminal, command, sites, context.Actor(),
                                          context.terminal.id);
      }));
  return credential;
}

Status IdentityService::RestrictTerminal(const RequestContext& context,
                                         const std::string& terminal_id, bool restricted,
                                         identity::ActionSet allowed, const std::string& reason) {
  return Run(context, Action::kRestrictTerminal,
             [&](StoreReader& reader) -> Result<ledger::NewEvent> {
               ALIQUOT_ASSIGN_OR_RETURN(identity::TerminalState terminal,
                                        LoadTerminal(reader, terminal_id));
               return identity::RestrictTerminal(terminal, restricted, allowed, reason,
                                                 context.Actor(), context.terminal.id);
             });
}

Status IdentityService::RetireTerminal(const RequestContext& context,
                                       const std::string& terminal_id, const std::string& reason) {
  return Run(
      context, Action::kRetireTerminal, [&](StoreReader& reader) -> Result<ledger::NewEvent> {
        ALIQUOT_ASSIGN_OR_RETURN(identity::TerminalState terminal,
                                 LoadTerminal(reader, terminal_id));
        return identity::RetireTerminal(terminal, reason, context.Actor(), context.terminal.id);
      });
}

Result<std::vector<identity::SiteState>> IdentityService::Sites(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewSites));
  std::vector<identity::SiteState> sites;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(sites, LoadSites(reader));
    return {};
  }));
  return sites;
}

Result<std::vector<UserView>> IdentityService::Users(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewUsers));
  std::vector<UserView> views;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<identity::UserState> users, LoadUsers(reader));
    for (identity::UserState& user : users) {
      UserView view;
      ALIQUOT_ASSIGN_OR_RETURN(view.access, signatures_.SignaturesIn(reader, {"user", user.id}));
      view.user = std::move(user);
      views.push_back(std::move(view));
    }
    return {};
  }));
  return views;
}

Result<UserView> IdentityService::User(const RequestContext& context, const std::string& user_id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewUsers));
  UserView view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(view.user, LoadUser(reader, user_id));
    if (!view.user.exists) return Unexpected(NotFound("no user " + user_id.substr(0, 64), "user"));
    ALIQUOT_ASSIGN_OR_RETURN(view.access, signatures_.SignaturesIn(reader, {"user", user_id}));
    return {};
  }));
  return view;
}

Result<std::vector<identity::TerminalState>> IdentityService::Terminals(
    const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewTerminals));
  std::vector<identity::TerminalState> terminals;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(terminals, LoadTerminals(reader));
    return {};
  }));
  return terminals;
}

Result<std::unique_ptr<IdentityServices>> IdentityServices::Create(Store& store, Clock& clock,
                                                                   const SecretKey& credentials_key,
                                                                   PasswordHashCost cost) {
  ALIQUOT_ASSIGN_OR_RETURN(Credentials credentials, Credentials::Create(credentials_key, cost));
  std::unique_ptr<IdentityServices> services(
      new IdentityServices(store, clock, std::move(credentials)));
  services->signatures.Register("user", UserAccessRecord());
  return services;
}

Status CheckCredentialKey(Store& store, const SecretKey& credentials_key) {
  std::vector<identity::UserState> users;
  ALIQUOT_RETURN_IF_ERROR(store.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(users, LoadUsers(reader));
    return {};
  }));
  if (users.empty()) return {};
  const identity::UserState& user = users.front();
  auto opened = Unseal(credentials_key, user.sealed_password, "user/" + user.id + "/password");
  if (!opened) return Unexpected(opened.error());
  return {};
}

}  // namespace aliquot::app
