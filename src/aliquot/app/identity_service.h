// IdentityService: administration of sites, users, roles and terminals, and the reads that show
// them. Every use case authorises first (SessionService::Authorize), then loads, decides
// (domain/identity) and appends; a lost race is decided again. Accounts are never deleted,
// only deactivated; names and ids are never reused (P11-13).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/credentials.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/identity/signature.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/domain/identity/terminal.h"
#include "aliquot/domain/identity/user.h"

namespace aliquot::app {

// A user account as shown: the account, and its signatures (access approvals) each marked valid
// or not for the account as it stands (11.50, 11.70).
struct UserView {
  identity::UserState user;
  RecordSignatures access;
};

struct NewCredential {
  std::string secret;  // The temporary password or terminal token: shown once, never stored.
};

struct BootstrapCommand {
  identity::CreateSiteCommand site;
  std::string administrator_id;
  std::string administrator_name;
  identity::RegisterTerminalCommand terminal;  // Its token_sha256 is filled in here.
};

struct BootstrapOutcome {
  std::string temporary_password;
  std::string terminal_token;
};

// The signable record type "user": an account's access (name, status, roles), approved or
// rejected by a QA approver who is not its holder. Register it with the SignatureService.
SignableRecord UserAccessRecord();
// The content an approval of `user`'s access is made over.
Json UserAccessContent(const identity::UserState& user);

class IdentityService {
 public:
  IdentityService(Store& store, Clock& clock, const Credentials& credentials,
                  SessionService& sessions, SignatureService& signatures);

  // The first site, its first system administrator (with a temporary password) and the terminal
  // they first sign in on, recorded by the system itself: what `aliquot user bootstrap` runs with
  // access to the data folder. Returns kFailedPrecondition once any user exists.
  Result<BootstrapOutcome> Bootstrap(const BootstrapCommand& command, const std::string& terminal);

  Status CreateSite(const RequestContext& context, const identity::CreateSiteCommand& command);
  Status ConfigureSite(const RequestContext& context, const std::string& site_id,
                       const identity::SecurityPolicy& policy, const std::string& reason);

  // Creates the account with a temporary password, to be changed at first sign-in.
  Result<NewCredential> CreateUser(const RequestContext& context, const std::string& user_id,
                                   const std::string& printed_name,
                                   const std::vector<identity::SiteRole>& roles);
  Status RenameUser(const RequestContext& context, const std::string& user_id,
                    const std::string& printed_name, const std::string& reason);
  Status AssignRoles(const RequestContext& context, const std::string& user_id,
                     const std::vector<identity::SiteRole>& roles, const std::string& reason);
  Status DeactivateUser(const RequestContext& context, const std::string& user_id,
                        const std::string& reason);
  Status ReactivateUser(const RequestContext& context, const std::string& user_id,
                        const std::string& reason);
  // Issues a new temporary password (lost credentials, 11.300(c)).
  Result<NewCredential> ResetPassword(const RequestContext& context, const std::string& user_id,
                                      const std::string& reason);
  Status UnlockUser(const RequestContext& context, const std::string& user_id,
                    const std::string& reason);
  Status ResetTotp(const RequestContext& context, const std::string& user_id,
                   const std::string& reason);

  // Registers a terminal and returns its token (or `token`, when the device brings its own:
  // 64 hex digits).
  Result<NewCredential> RegisterTerminal(const RequestContext& context,
                                         identity::RegisterTerminalCommand command,
                                         const std::optional<std::string>& token);
  Status RestrictTerminal(const RequestContext& context, const std::string& terminal_id,
                          bool restricted, identity::ActionSet allowed, const std::string& reason);
  Status RetireTerminal(const RequestContext& context, const std::string& terminal_id,
                        const std::string& reason);

  Result<std::vector<identity::SiteState>> Sites(const RequestContext& context);
  Result<std::vector<UserView>> Users(const RequestContext& context);
  Result<UserView> User(const RequestContext& context, const std::string& user_id);
  Result<std::vector<identity::TerminalState>> Terminals(const RequestContext& context);

 private:
  struct TemporaryPassword {
    NewCredential credential;
    std::string sealed;  // Its Argon2id hash, sealed for the user.
  };
  // A temporary password long enough for the policy of the request's site, hashed and sealed
  // before any transaction opens: Argon2id takes a tenth of a second of CPU.
  Result<TemporaryPassword> IssueTemporaryPassword(const RequestContext& context,
                                                   const std::string& user_id);

  // RunUseCase for a decision of one event (`decide(reader)` returns Result<ledger::NewEvent>).
  template <typename Decide>
  Status Run(const RequestContext& context, identity::Action action, Decide decide);

  Store& store_;
  Clock& clock_;
  const Credentials& credentials_;
  SessionService& sessions_;
  SignatureService& signatures_;
};

// The identity area wired together over one store: what the server and the command line build.
// Registers the signable record types the area owns ("user").
struct IdentityServices {
  static Result<std::unique_ptr<IdentityServices>> Create(Store& store, Clock& clock,
                                                          const SecretKey& credentials_key,
                                                          PasswordHashCost cost);

  Credentials credentials;
  SessionService sessions;
  SignatureService signatures;
  IdentityService identity;

 private:
  IdentityServices(Store& store, Clock& clock, Credentials made)
      : credentials(std::move(made)),
        sessions(store, clock, credentials),
        signatures(store, clock, sessions),
        identity(store, clock, credentials, sessions, signatures) {}
};

// Checks that `credentials_key` opens the site's sealed credentials (a server given another copy
// of keys/credentials.key than the site's could let nobody sign in). Returns kFailedPrecondition
// naming both key ids.
Status CheckCredentialKey(Store& store, const SecretKey& credentials_key);

}  // namespace aliquot::app
