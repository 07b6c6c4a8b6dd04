// SessionService: signing in and out, the server-side sessions that follow, and the check every
// request passes: whose session, from which registered terminal, allowed to do what (21 CFR
// 11.10(d), (g), (h), 11.300; P11-04, P11-07, P11-08, P11-15). Sessions live in this server's
// memory: a restart signs everyone out, and several servers on one database need sticky sessions
// (docs/deploy-postgresql.md). Every sign-in, failure, lockout, sign-out and denial is an event.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/app/credentials.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/mutex.h"
#include "aliquot/core/result.h"
#include "aliquot/core/thread_annotations.h"
#include "aliquot/domain/identity/authorization.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/domain/identity/terminal.h"
#include "aliquot/domain/identity/user.h"

namespace aliquot::app {

// Who is asking, from where: what every use case is given.
struct RequestContext {
  identity::Principal principal;
  identity::TerminalState terminal;
  std::string session_id;  // Empty for in-process callers (the command line's bootstrap, demo).

  ledger::Actor Actor() const { return {principal.user_id, principal.printed_name}; }
};

struct SignInRequest {
  std::string terminal_token;
  std::string user_name;
  std::string password;
  std::optional<std::string> totp;
};

struct SignInOutcome {
  std::string token;  // The session's bearer token: shown once, kept only as a hash.
  RequestContext context;
  identity::SecurityPolicy policy;
  bool password_change_required = false;
};

struct TotpEnrolment {
  std::string secret_base32;
  std::string otpauth_uri;
};

class SessionService {
 public:
  SessionService(Store& store, Clock& clock, const Credentials& credentials);

  // Signs a person in on a registered terminal. Errors: kUnauthenticated (field
  // "X-Aliquot-Terminal") for a terminal token that is missing, unknown or retired;
  // kInvalidArgument for a missing or oversized field; kUnauthenticated with one message
  // (field "credentials") for a wrong user name or password, whether or not the user exists;
  // kUnauthenticated (field "totp") when an enrolled authenticator's code is missing or wrong;
  // kPermissionDenied (field "user") for a locked or deactivated account whose password was right.
  Result<SignInOutcome> SignIn(const SignInRequest& request);

  // The context of a request carrying `session_token` from `terminal_token`; marks the session
  // active. Errors, all kUnauthenticated: no or unknown terminal (field "X-Aliquot-Terminal"), no
  // or malformed token, an unknown, ended or expired session (field "Authorization"), a session
  // used from another terminal, an account deactivated or locked since (its session ends).
  Result<RequestContext> Authenticate(std::string_view session_token,
                                      std::string_view terminal_token);

  // Whether the request may perform `action`. A refusal is recorded in the ledger and returned
  // as kPermissionDenied with the exact reason (identity::Authorize).
  Status Authorize(const RequestContext& context, identity::Action action);

  // Ends the request's session. Returns kUnauthenticated when it has ended already.
  Status SignOut(const RequestContext& context);

  // Changes one's own password. Errors: kUnauthenticated (field "current_password") when the
  // current password is wrong (counted towards the lock), kInvalidArgument (field "new_password")
  // when the new one breaks the site's policy or repeats a recent one.
  Status ChangeOwnPassword(const RequestContext& context, std::string_view current_password,
                           std::string_view new_password);

  // Starts enrolling an authenticator: after re-entering the password, a fresh secret is held in
  // the session until ConfirmTotp proves the app holds it too.
  Result<TotpEnrolment> StartTotpEnrolment(const RequestContext& context,
                                           std::string_view password);
  // Returns kFailedPrecondition with no enrolment started, kInvalidArgument (field "code") for a
  // code that does not match.
  Status ConfirmTotp(const RequestContext& context, std::string_view code);

  // Checks a password and code for `user` at this moment (slow: Argon2id), for the caller to
  // decide on with identity::Authenticate.
  Result<identity::CredentialCheck> CheckCredentials(const identity::UserState& user,
                                                     std::string_view password,
                                                     const std::optional<std::string>& totp);
  // Ends every session of `user` and records why ("locked").
  void EndSessionsOf(const identity::UserState& user, std::string_view cause);

  // Records `refusal` (kPermissionDenied) of `action` as an identity.permission_denied event and
  // returns it: for refusals decided after the permission check (nobody changes their own roles
  // or approves their own work, P11-07).
  Status RecordRefusal(const RequestContext& context, identity::Action action,
                       const Error& refusal);

  // The policy of `site`; kNotFound for an unknown site.
  Result<identity::SecurityPolicy> PolicyOf(StoreReader& reader, const std::string& site);

  // The number of open sessions, for /metrics.
  std::size_t OpenSessions() const EXCLUDES(mutex_);

 private:
  struct Session {
    std::string id;
    std::string user_id;
    std::string terminal_id;
    Timestamp created;
    Timestamp last_activity;
    std::optional<std::vector<std::uint8_t>> pending_totp_secret;
  };

  // The session whose id is `session_id`, or sessions_.end().
  std::map<std::string, Session>::iterator FindById(const std::string& session_id) REQUIRES(mutex_);

  // The request's user, the policy of its terminal's site and the user stream's head, in one
  // snapshot: what a change to one's own account decides on.
  struct OwnAccount {
    identity::UserState user;
    identity::SecurityPolicy policy;
    std::uint64_t head = 0;
  };
  Result<OwnAccount> LoadOwnAccount(const RequestContext& context);

  // Appends `events` (expecting `user` unchanged since `user_head`) and returns kAborted when
  // another change to the user won the race.
  Status AppendUserEvents(std::vector<ledger::NewEvent> events, const std::string& user_id,
                          std::uint64_t user_head);
  // Re-authenticates for an account change; the failure is recorded and counted.
  Status Reauthenticate(const RequestContext& context, std::string_view password,
                        std::string_view field);
  // Ends the session `key`, recording why.
  void EndSession(const std::string& key, const identity::UserState& user, std::string_view cause);

  Store& store_;
  Clock& clock_;
  const Credentials& credentials_;
  mutable Mutex mutex_;
  // Keyed by the hex SHA-256 of the token: a leaked memory dump does not yield usable tokens,
  // and the lookup compares hashes, not secrets.
  std::map<std::string, Session> sessions_ GUARDED_BY(mutex_);
};

// The hex SHA-256 by which tokens (session and terminal) are looked up and stored.
std::string TokenHash(std::string_view token);

// Bearer tokens are 64 lower-case hex digits (32 random bytes).
inline constexpr std::size_t kTokenBytes = 32;
// True when `text` has the form of a token (session or terminal).
bool IsToken(std::string_view text);

}  // namespace aliquot::app
