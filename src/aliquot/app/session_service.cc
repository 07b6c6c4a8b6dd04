#include "aliquot/app/session_service.h"

#include <algorithm>
#include <utility>

#include "aliquot/app/identity_records.h"
#include "aliquot/core/base32.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/random.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/identity/totp.h"

namespace aliquot::app {
namespace {

constexpr std::size_t kMaxPasswordBytes = 256;
constexpr std::int64_t kMicrosPerMinute = std::int64_t{60} * kMicrosPerSecond;
constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226 section 4's recommendation.

Error NoTerminal() {
  return Unauthenticated(
      "this device is not a registered terminal: send the terminal's token in the "
      "X-Aliquot-Terminal header (a system administrator registers terminals)",
      "X-Aliquot-Terminal");
}

// A secret's size is checked before anything slow runs on it.
Status CheckSecret(std::string_view value, std::string_view field) {
  const std::string name(field);
  if (value.empty()) return Unexpected(InvalidArgument(name + " is required", name));
  if (value.size() > kMaxPasswordBytes) {
    return Unexpected(InvalidArgument(
        name + " must be at most " + std::to_string(kMaxPasswordBytes) + " bytes", name));
  }
  return {};
}

}  // namespace

std::string TokenHash(std::string_view token) { return Sha256::Of(token).Hex(); }

bool IsToken(std::string_view text) { return IsLowerHex(text, 2 * kTokenBytes); }

std::map<std::string, SessionService::Session>::iterator SessionService::FindById(
    const std::string& session_id) {
  return std::find_if(sessions_.begin(), sessions_.end(),
                      [&](const auto& entry) { return entry.second.id == session_id; });
}

Result<SessionService::OwnAccount> SessionService::LoadOwnAccount(const RequestContext& context) {
  OwnAccount account;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(account.user, LoadUser(reader, context.principal.user_id));
    ALIQUOT_ASSIGN_OR_RETURN(account.policy, PolicyOf(reader, context.terminal.site));
    ALIQUOT_ASSIGN_OR_RETURN(account.head,
                             reader.StreamHead(identity::UserStream(account.user.id)));
    return {};
  }));
  return account;
}

SessionService::SessionService(Store& store, Clock& clock, const Credentials& credentials)
    : store_(store), clock_(clock), credentials_(credentials) {}

Result<identity::SecurityPolicy> SessionService::PolicyOf(StoreReader& reader,
                                                          const std::string& site) {
  ALIQUOT_ASSIGN_OR_RETURN(identity::SiteState state, LoadSite(reader, site));
  if (!state.exists) return Unexpected(NotFound("no site " + site, "site"));
  return state.policy;
}

Status SessionService::AppendUserEvents(std::vector<ledger::NewEvent> events,
                                        const std::string& user_id, std::uint64_t user_head) {
  if (events.empty()) return {};
  AppendRequest request;
  request.events = std::move(events);
  request.expectations.push_back({identity::UserStream(user_id), user_head});
  ALIQUOT_ASSIGN_OR_RETURN(auto appended, store_.Append(request));
  (void)appended;
  return {};
}

Result<identity::CredentialCheck> SessionService::CheckCredentials(
    const identity::UserState& user, std::string_view password,
    const std::optional<std::string>& totp) {
  identity::CredentialCheck check;
  ALIQUOT_ASSIGN_OR_RETURN(check.password_matches, credentials_.PasswordMatches(user, password));
  check.totp_given = totp.has_value() && !totp->empty();
  if (user.TotpEnrolled() && check.totp_given) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::uint8_t> secret,
                             credentials_.OpenTotpSecret(user));
    check.totp_step = identity::MatchTotp(secret, *totp, clock_.Now(), identity::kTotpWindow,
                                          user.totp_last_step);
  }
  return check;
}

Result<SignInOutcome> SessionService::SignIn(const SignInRequest& request) {
  if (request.terminal_token.empty() || !IsToken(request.terminal_token)) {
    return Unexpected(NoTerminal());
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(request.user_name, "user_name", 1, 64));
  ALIQUOT_RETURN_IF_ERROR(CheckSecret(request.password, "password"));
  if (request.totp && request.totp->size() > 16) {
    return Unexpected(InvalidArgument("totp must be the 6-digit code", "totp"));
  }
  const std::string token_hash = TokenHash(request.terminal_token);

  const std::string session_id = RandomHex(8);
  std::optional<identity::CredentialCheck> check;
  // The credentials `check` was made against. A retry after a lost race checks again when any of
  // them changed: a code the winner just spent must not let the loser in too (RFC 6238 5.2).
  std::string checked_password;
  std::string checked_totp_secret;
  std::optional<std::int64_t> checked_totp_step;
  for (int attempt = 1;; ++attempt) {
    std::optional<identity::TerminalState> terminal;
    identity::UserState user;
    identity::SecurityPolicy policy;
    std::uint64_t user_head = 0;
    ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(terminal, LoadTerminalByToken(reader, token_hash));
      if (!terminal || terminal->status != identity::TerminalStatus::kActive) {
        return Unexpected(NoTerminal());
      }
      ALIQUOT_ASSIGN_OR_RETURN(policy, PolicyOf(reader, terminal->site));
      ALIQUOT_ASSIGN_OR_RETURN(user, LoadUser(reader, request.user_name));
      ALIQUOT_ASSIGN_OR_RETURN(user_head, reader.StreamHead(identity::UserStream(user.id)));
      return {};
    }));
    const Timestamp now = clock_.Now();

    if (!user.exists) {
      // As slow as a real check, and refused in the same words: the response says nothing
      // about which user names exist.
      credentials_.SpendVerificationTime(request.password);
      identity::AuthenticationDecision decision =
          identity::AuthenticateUnknownUser(request.user_name, terminal->id);
      AppendRequest append;
      append.events = std::move(decision.events);
      ALIQUOT_ASSIGN_OR_RETURN(auto appended, store_.Append(append));
      (void)appended;
      return Unexpected(decision.outcome.error());
    }
    if (!check || checked_password != user.sealed_password ||
        checked_totp_secret != user.sealed_totp_secret ||
        checked_totp_step != user.totp_last_step) {
      ALIQUOT_ASSIGN_OR_RETURN(check, CheckCredentials(user, request.password, request.totp));
      checked_password = user.sealed_password;
      checked_totp_secret = user.sealed_totp_secret;
      checked_totp_step = user.totp_last_step;
    }
    identity::AuthenticationDecision decision =
        identity::Authenticate(user, policy, *check, identity::AuthenticationPurpose::kSignIn, now,
                               session_id, terminal->id);
    const Status appended = AppendUserEvents(std::move(decision.events), user.id, user_head);
    if (!appended) {
      if (appended.error().Code() != ErrorCode::kAborted) return Unexpected(appended.error());
      if (attempt < kAppendAttempts) continue;
      // Only attempts on an existing account can lose a race; answering them as any wrong
      // attempt keeps the error from telling which user names exist.
      return Unexpected(Unauthenticated(std::string(identity::kWrongCredentials), "credentials"));
    }
    if (decision.locked_now) EndSessionsOf(user, "locked");
    if (!decision.outcome) return Unexpected(decision.outcome.error());

    SignInOutcome outcome;
    outcome.token = RandomHex(kTokenBytes);
    outcome.policy = policy;
    outcome.password_change_required = decision.password_change_required;
    outcome.context.session_id = session_id;
    outcome.context.principal = {user.id, user.printed_name, terminal->site,
                                 user.RolesAt(terminal->site), decision.password_change_required};
    outcome.context.terminal = *terminal;
    MutexLock lock(mutex_);
    sessions_[TokenHash(outcome.token)] =
        Session{session_id, user.id, terminal->id, now, now, std::nullopt};
    return outcome;
  }
}

Result<RequestContext> SessionService::Authenticate(std::string_view session_token,
                                                    std::string_view terminal_token) {
  if (terminal_token.empty() || !IsToken(terminal_token)) return Unexpected(NoTerminal());
  if (session_token.empty()) {
    return Unexpected(
        Unauthenticated("sign in first: send the session token as 'Authorization: Bearer <token>'",
                        "Authorization"));
  }
  if (!IsToken(session_token)) {
    return Unexpected(
        Unauthenticated("the Authorization header must be 'Bearer ' and the 64-digit session token",
                        "Authorization"));
  }
  const std::string key = TokenHash(session_token);
  std::optional<Session> session;
  {
    MutexLock lock(mutex_);
    const auto found = sessions_.find(key);
    if (found != sessions_.end()) session = found->second;
  }
  if (!session) {
    return Unexpected(Unauthenticated(
        "the session has ended (signed out, expired, or the server restarted); sign in again",
        "Authorization"));
  }

  std::optional<identity::TerminalState> terminal;
  identity::UserState user;
  identity::SecurityPolicy policy;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(terminal, LoadTerminalByToken(reader, TokenHash(terminal_token)));
    if (!terminal) return {};
    ALIQUOT_ASSIGN_OR_RETURN(policy, PolicyOf(reader, terminal->site));
    ALIQUOT_ASSIGN_OR_RETURN(user, LoadUser(reader, session->user_id));
    return {};
  }));
  if (!terminal || terminal->status != identity::TerminalStatus::kActive) {
    return Unexpected(NoTerminal());
  }
  // P11-08: a session is bound to the device it was opened on.
  if (terminal->id != session->terminal_id) {
    return Unexpected(Unauthenticated("this session was opened on terminal " +
                                          session->terminal_id + ", not " + terminal->id +
                                          "; sign in on this terminal",
                                      "X-Aliquot-Terminal"));
  }
  const Timestamp now = clock_.Now();
  if (now.Micros() - session->last_activity.Micros() >
      policy.session_idle_minutes * kMicrosPerMinute) {
    EndSession(key, user, "idle_timeout");
    return Unexpected(Unauthenticated("the session expired after " +
                                          std::to_string(policy.session_idle_minutes) +
                                          " minutes without activity; sign in again",
                                      "Authorization"));
  }
  if (now.Micros() - session->created.Micros() >
      std::int64_t{policy.session_max_hours} * 60 * kMicrosPerMinute) {
    EndSession(key, user, "max_age");
    return Unexpected(Unauthenticated("the session reached its limit of " +
                                          std::to_string(policy.session_max_hours) +
                                          " hours; sign in again",
                                      "Authorization"));
  }
  if (!user.exists || user.status != identity::AccountStatus::kActive) {
    EndSession(key, user, "deactivated");
    return Unexpected(Unauthenticated("the account was deactivated", "Authorization"));
  }
  if (user.LockedAt(now, policy)) {
    EndSession(key, user, "locked");
    return Unexpected(Unauthenticated("the account was locked", "Authorization"));
  }
  {
    MutexLock lock(mutex_);
    const auto found = sessions_.find(key);
    if (found == sessions_.end()) {
      return Unexpected(Unauthenticated("the session has ended; sign in again", "Authorization"));
    }
    found->second.last_activity = now;
  }
  RequestContext context;
  context.session_id = session->id;
  context.principal = {user.id, user.printed_name, terminal->site, user.RolesAt(terminal->site),
                       user.password_change_required || user.PasswordExpiredAt(now, policy)};
  context.terminal = std::move(*terminal);
  return context;
}

Status SessionService::Authorize(const RequestContext& context, identity::Action action) {
  Status allowed = identity::Authorize(context.principal, context.terminal, action);
  if (allowed) return {};
  // 21 CFR 11.10(g): an attempt beyond one's authority is on the record.
  identity::UserState user;
  user.id = context.principal.user_id;
  user.printed_name = context.principal.printed_name;
  AppendRequest request;
  request.events.push_back(identity::PermissionDeniedEvent(
      user, identity::ActionName(action), allowed.error().Message(), context.terminal.id));
  ALIQUOT_ASSIGN_OR_RETURN(auto appended, store_.Append(request));
  (void)appended;
  return allowed;
}

void SessionService::EndSession(const std::string& key, const identity::UserState& user,
                                std::string_view cause) {
  std::optional<Session> ended;
  {
    MutexLock lock(mutex_);
    const auto found = sessions_.find(key);
    if (found == sessions_.end()) return;  // Another request ended it first.
    ended = std::move(found->second);
    sessions_.erase(found);
  }
  if (!user.exists) return;
  AppendRequest request;
  request.events.push_back(identity::SignedOut(user, ended->id, cause, ended->terminal_id));
  // The session is gone either way; a failed record of it is reported by the next append.
  (void)store_.Append(request);
}

void SessionService::EndSessionsOf(const identity::UserState& user, std::string_view cause) {
  std::vector<Session> ended;
  {
    MutexLock lock(mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.user_id == user.id) {
        ended.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (ended.empty()) return;
  AppendRequest request;
  for (const Session& session : ended) {
    request.events.push_back(identity::SignedOut(user, session.id, cause, session.terminal_id));
  }
  // The sessions are gone either way; a failed record of it is reported by the next append.
  (void)store_.Append(request);
}

Status SessionService::RecordRefusal(const RequestContext& context, identity::Action action,
                                     const Error& refusal) {
  identity::UserState user;
  user.id = context.principal.user_id;
  user.printed_name = context.principal.printed_name;
  AppendRequest request;
  request.events.push_back(identity::PermissionDeniedEvent(user, identity::ActionName(action),
                                                           refusal.Message(), context.terminal.id));
  ALIQUOT_ASSIGN_OR_RETURN(auto appended, store_.Append(request));
  (void)appended;
  return Unexpected(refusal);
}

Status SessionService::SignOut(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(Authorize(context, identity::Action::kLogout));
  std::string key;
  {
    MutexLock lock(mutex_);
    const auto found = FindById(context.session_id);
    if (found != sessions_.end()) key = found->first;
  }
  if (key.empty()) return Unexpected(Unauthenticated("the session has ended", "Authorization"));
  identity::UserState user;
  user.exists = true;
  user.id = context.principal.user_id;
  user.printed_name = context.principal.printed_name;
  EndSession(key, user, "sign_out");
  return {};
}

Status SessionService::Reauthenticate(const RequestContext& context, std::string_view password,
                                      std::string_view field) {
  ALIQUOT_RETURN_IF_ERROR(CheckSecret(password, field));
  for (int attempt = 1;; ++attempt) {
    ALIQUOT_ASSIGN_OR_RETURN(OwnAccount account, LoadOwnAccount(context));
    const identity::UserState& user = account.user;
    const identity::SecurityPolicy& policy = account.policy;
    const std::uint64_t head = account.head;
    identity::CredentialCheck check;
    ALIQUOT_ASSIGN_OR_RETURN(check.password_matches, credentials_.PasswordMatches(user, password));
    identity::AuthenticationDecision decision =
        identity::Authenticate(user, policy, check, identity::AuthenticationPurpose::kAccountChange,
                               clock_.Now(), context.session_id, context.terminal.id);
    // A successful re-authentication changes nothing worth an event unless failures are counted.
    if (decision.outcome && user.failed_attempts == 0) return {};
    const Status appended = AppendUserEvents(std::move(decision.events), user.id, head);
    if (!appended) {
      if (appended.error().Code() == ErrorCode::kAborted && attempt < kAppendAttempts) continue;
      return Unexpected(appended.error());
    }
    if (decision.locked_now) EndSessionsOf(user, "locked");
    if (!decision.outcome) {
      const Error& error = decision.outcome.error();
      return Unexpected(Error(error.Code(), error.Message(),
                              error.Field() == "password" ? std::string(field) : error.Field()));
    }
    return {};
  }
}

Status SessionService::ChangeOwnPassword(const RequestContext& context,
                                         std::string_view current_password,
                                         std::string_view new_password) {
  ALIQUOT_RETURN_IF_ERROR(Authorize(context, identity::Action::kChangeOwnPassword));
  ALIQUOT_RETURN_IF_ERROR(CheckSecret(new_password, "new_password"));
  ALIQUOT_RETURN_IF_ERROR(Reauthenticate(context, current_password, "current_password"));
  for (int attempt = 1;; ++attempt) {
    ALIQUOT_ASSIGN_OR_RETURN(OwnAccount account, LoadOwnAccount(context));
    const identity::UserState& user = account.user;
    const identity::SecurityPolicy& policy = account.policy;
    const std::uint64_t head = account.head;
    ALIQUOT_RETURN_IF_ERROR(
        identity::CheckPasswordRules(policy, user.id, new_password, "new_password"));
    identity::NewPassword password;
    ALIQUOT_ASSIGN_OR_RETURN(password.same_as_current,
                             credentials_.PasswordMatches(user, new_password));
    ALIQUOT_ASSIGN_OR_RETURN(
        password.in_history,
        credentials_.MatchesAny(user.id, user.sealed_password_history,
                                static_cast<std::size_t>(policy.password_history), new_password));
    ALIQUOT_ASSIGN_OR_RETURN(password.sealed, credentials_.SealPassword(user.id, new_password));
    ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event,
                             identity::ChangePassword(user, policy, password, context.terminal.id));
    std::vector<ledger::NewEvent> events;
    events.push_back(std::move(event));
    Status appended = AppendUserEvents(std::move(events), user.id, head);
    if (!appended && appended.error().Code() == ErrorCode::kAborted && attempt < kAppendAttempts) {
      continue;
    }
    return appended;
  }
}

Result<TotpEnrolment> SessionService::StartTotpEnrolment(const RequestContext& context,
                                                         std::string_view password) {
  ALIQUOT_RETURN_IF_ERROR(Authorize(context, identity::Action::kEnrolTotp));
  ALIQUOT_RETURN_IF_ERROR(Reauthenticate(context, password, "password"));
  std::vector<std::uint8_t> secret(kTotpSecretBytes);
  SecureRandom(secret);
  TotpEnrolment enrolment;
  enrolment.secret_base32 = Base32Encode(secret);
  enrolment.otpauth_uri =
      identity::TotpUri("Aliquot " + context.terminal.site, context.principal.user_id, secret);
  MutexLock lock(mutex_);
  const auto found = FindById(context.session_id);
  if (found == sessions_.end()) {
    return Unexpected(Unauthenticated("the session has ended", "Authorization"));
  }
  found->second.pending_totp_secret = std::move(secret);
  return enrolment;
}

Status SessionService::ConfirmTotp(const RequestContext& context, std::string_view code) {
  ALIQUOT_RETURN_IF_ERROR(Authorize(context, identity::Action::kEnrolTotp));
  std::optional<std::vector<std::uint8_t>> secret;
  {
    MutexLock lock(mutex_);
    const auto found = FindById(context.session_id);
    if (found != sessions_.end()) secret = found->second.pending_totp_secret;
  }
  if (!secret) {
    return Unexpected(FailedPrecondition(
        "no enrolment is in progress in this session; start one with POST /api/v1/session/totp"));
  }
  const std::optional<std::int64_t> step =
      identity::MatchTotp(*secret, code, clock_.Now(), identity::kTotpWindow, std::nullopt);
  if (!step) {
    return Unexpected(InvalidArgument(
        "the code does not match: check that the phone's clock is right and enter a fresh code",
        "code"));
  }
  for (int attempt = 1;; ++attempt) {
    ALIQUOT_ASSIGN_OR_RETURN(OwnAccount account, LoadOwnAccount(context));
    const identity::UserState& user = account.user;
    const std::uint64_t head = account.head;
    ALIQUOT_ASSIGN_OR_RETURN(
        ledger::NewEvent event,
        identity::EnrolTotp(user, credentials_.SealTotpSecret(user.id, *secret), *step,
                            context.terminal.id));
    std::vector<ledger::NewEvent> events;
    events.push_back(std::move(event));
    Status appended = AppendUserEvents(std::move(events), user.id, head);
    if (!appended && appended.error().Code() == ErrorCode::kAborted && attempt < kAppendAttempts) {
      continue;
    }
    if (appended) {
      MutexLock lock(mutex_);
      const auto found = FindById(context.session_id);
      if (found != sessions_.end()) found->second.pending_totp_secret.reset();
    }
    return appended;
  }
}

std::size_t SessionService::OpenSessions() const {
  MutexLock lock(mutex_);
  return sessions_.size();
}

}  // namespace aliquot::app
