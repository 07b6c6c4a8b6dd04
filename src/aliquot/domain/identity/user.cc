#include "aliquot/domain/identity/user.h"

#include <algorithm>
#include <utility>

#include "aliquot/core/text.h"

namespace aliquot::identity {
namespace {

constexpr std::size_t kMaxPasswordBytes = 256;
constexpr std::size_t kMaxReasonBytes = 1000;
constexpr std::int64_t kMicrosPerMinute = std::int64_t{60} * kMicrosPerSecond;
constexpr std::int64_t kMicrosPerDay = std::int64_t{24} * 60 * kMicrosPerMinute;

ledger::NewEvent UserEvent(const UserState& state, std::string_view type,
                           const ledger::Actor& actor, std::string_view terminal) {
  ledger::NewEvent event = ledger::NewEvent::On(UserStream(state.id), type, actor, terminal);
  event.payload.Set("user_id", state.id);
  return event;
}

Status RequireExisting(const UserState& state) {
  if (!state.exists) return Unexpected(NotFound("no user " + state.id, "user"));
  return {};
}

Status RequireActive(const UserState& state) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  if (state.status != AccountStatus::kActive) {
    return Unexpected(FailedPrecondition("the account " + state.id + " is deactivated"));
  }
  return {};
}

Status CheckReason(std::string_view reason) {
  return CheckParagraph(reason, "reason", 1, kMaxReasonBytes);
}

void Normalise(std::vector<SiteRole>& roles) { std::sort(roles.begin(), roles.end()); }

// The state a sign-in event leaves the counter and lock in, as the projection records it.
void SetLockState(ledger::NewEvent& event, int failed_attempts, bool locked) {
  event.payload.Set("failed_attempts", failed_attempts);
  event.payload.Set("locked", locked);
}

std::string_view PurposeName(AuthenticationPurpose purpose) {
  switch (purpose) {
    case AuthenticationPurpose::kSignIn:
      return "sign_in";
    case AuthenticationPurpose::kSigning:
      return "signing";
    case AuthenticationPurpose::kAccountChange:
      return "account_change";
  }
  return "sign_in";
}

}  // namespace

RoleSet UserState::RolesAt(std::string_view site) const {
  RoleSet set;
  for (const SiteRole& role : roles) {
    if (role.site == site) set.Add(role.role);
  }
  return set;
}

bool UserState::LockedAt(Timestamp now, const SecurityPolicy& policy) const {
  if (!locked_at) return false;
  if (policy.lockout_minutes == 0) return true;
  return now.Micros() < locked_at->Micros() + policy.lockout_minutes * kMicrosPerMinute;
}

bool UserState::PasswordExpiredAt(Timestamp now, const SecurityPolicy& policy) const {
  return policy.password_max_age_days > 0 &&
         now.Micros() >= password_set_at.Micros() + policy.password_max_age_days * kMicrosPerDay;
}

Json RolesToJson(const std::vector<SiteRole>& roles) {
  Json array = Json::MakeArray();
  for (const SiteRole& role : roles) {
    Json item = Json::MakeObject();
    item.Set("site", role.site);
    item.Set("role", RoleName(role.role));
    array.Push(std::move(item));
  }
  return array;
}

Result<std::vector<SiteRole>> RolesFromJson(const Json& json, std::string_view field) {
  const std::string name(field);
  if (!json.IsArray()) {
    return Unexpected(InvalidArgument(name + " must be an array of {site, role}", name));
  }
  std::vector<SiteRole> roles;
  for (std::size_t i = 0; i < json.AsArray().size(); ++i) {
    const Json& item = json.AsArray()[i];
    const std::string at = name + "[" + std::to_string(i) + "]";
    const Json* site = item.Find("site");
    const Json* role = item.Find("role");
    if (site == nullptr || !site->IsString()) {
      return Unexpected(InvalidArgument(at + ".site must be a site id", at + ".site"));
    }
    const auto parsed =
        role != nullptr && role->IsString() ? RoleFromName(role->AsString()) : std::nullopt;
    if (!parsed) {
      return Unexpected(InvalidArgument(
          at + ".role must be one of the roles GET /api/v1/roles lists", at + ".role"));
    }
    roles.push_back({site->AsString(), *parsed});
  }
  return roles;
}

ledger::StreamRef UserStream(std::string_view user_id) { return {"user", std::string(user_id)}; }

ledger::StreamRef UnknownUserStream() { return {"sign_in", "unknown_user"}; }

ledger::Actor UnauthenticatedActor() { return {"unauthenticated", "Unauthenticated request"}; }

ledger::Actor ActorOf(const UserState& user) { return {user.id, user.printed_name}; }

Status ValidateUserName(std::string_view name, std::string_view field) {
  bool valid = name.size() >= 2 && name.size() <= 64 && name.front() >= 'a' && name.front() <= 'z';
  for (char c : name) {
    valid = valid &&
            ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (!valid) {
    return Unexpected(InvalidArgument(std::string(field) +
                                          " must be 2-64 of a-z, 0-9, '.', '_' and '-', starting "
                                          "with a letter",
                                      std::string(field)));
  }
  return {};
}

Status ValidateRoles(const std::vector<SiteRole>& roles, const std::vector<std::string>& sites,
                     std::string_view field) {
  const std::string name(field);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const SiteRole& role = roles[i];
    if (std::find(sites.begin(), sites.end(), role.site) == sites.end()) {
      return Unexpected(InvalidArgument("no site " + role.site.substr(0, 40),
                                        name + "[" + std::to_string(i) + "].site"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (roles[j] == role) {
        return Unexpected(InvalidArgument(
            std::string(RoleName(role.role)) + " at " + role.site + " is listed twice",
            name + "[" + std::to_string(i) + "]"));
      }
    }
  }
  // Segregation of duties: an administrator who could also perform, verify or approve GMP
  // records could grant himself what he then signs.
  const auto administrator = std::find_if(roles.begin(), roles.end(), [](const SiteRole& role) {
    return role.role == Role::kSystemAdministrator;
  });
  const auto gmp = std::find_if(roles.begin(), roles.end(),
                                [](const SiteRole& role) { return IsGmpRole(role.role); });
  if (administrator != roles.end() && gmp != roles.end()) {
    return Unexpected(InvalidArgument(
        "segregation of duties: the system administrator role cannot be held together with " +
            std::string(RoleName(gmp->role)) +
            " (a role that works on GMP records); use two accounts for two people",
        name));
  }
  return {};
}

Status CheckPasswordRules(const SecurityPolicy& policy, std::string_view user_id,
                          std::string_view password, std::string_view field) {
  const std::string name(field);
  // Characters, not bytes: a code point's continuation bytes do not count.
  const auto characters =
      static_cast<std::size_t>(std::count_if(password.begin(), password.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u;
      }));
  if (characters < static_cast<std::size_t>(policy.password_min_length)) {
    return Unexpected(InvalidArgument("the password must be at least " +
                                          std::to_string(policy.password_min_length) +
                                          " characters",
                                      name));
  }
  if (password.size() > kMaxPasswordBytes) {
    return Unexpected(InvalidArgument(
        "the password must be at most " + std::to_string(kMaxPasswordBytes) + " bytes", name));
  }
  if (!IsValidUtf8(password)) return Unexpected(InvalidArgument(name + " is not UTF-8", name));
  std::string lower(password);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (!user_id.empty() && lower.find(user_id) != std::string::npos) {
    return Unexpected(InvalidArgument("the password must not contain the user name", name));
  }
  return {};
}

Result<ledger::NewEvent> CreateUser(const UserState& state, const CreateUserCommand& command,
                                    const std::vector<std::string>& sites,
                                    const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateUserName(command.id, "user_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.printed_name, "printed_name", 1, 128));
  std::vector<SiteRole> roles = command.roles;
  ALIQUOT_RETURN_IF_ERROR(ValidateRoles(roles, sites, "roles"));
  Normalise(roles);
  if (state.exists) {
    // 21 CFR 11.100(a): a user name, once issued, identifies one person for ever.
    return Unexpected(
        AlreadyExists("the user name " + command.id + " belongs to " + state.printed_name +
                          (state.status == AccountStatus::kDeactivated ? " (deactivated)" : "") +
                          "; user names are never reused",
                      "user_id"));
  }
  UserState created;
  created.id = command.id;
  ledger::NewEvent event = UserEvent(created, "identity.user_created", actor, terminal);
  event.payload.Set("printed_name", command.printed_name);
  event.payload.Set("roles", RolesToJson(roles));
  event.payload.Set("sealed_password", command.sealed_temporary_password);
  event.payload.Set("password_change_required", true);
  return event;
}

Result<ledger::NewEvent> RenameUser(const UserState& state, std::string_view printed_name,
                                    std::string_view reason, const ledger::Actor& actor,
                                    std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(printed_name, "printed_name", 1, 128));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (printed_name == state.printed_name) {
    return Unexpected(FailedPrecondition("the printed name is already " + state.printed_name));
  }
  ledger::NewEvent event = UserEvent(state, "identity.user_renamed", actor, terminal);
  event.reason = std::string(reason);
  event.payload.Set("printed_name", std::string(printed_name));
  event.payload.Set("previous", state.printed_name);
  return event;
}

Result<ledger::NewEvent> AssignRoles(const UserState& state, std::vector<SiteRole> roles,
                                     const std::vector<std::string>& sites, std::string_view reason,
                                     const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  ALIQUOT_RETURN_IF_ERROR(ValidateRoles(roles, sites, "roles"));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (actor.id == state.id) {
    return Unexpected(::aliquot::PermissionDenied(
        "nobody changes their own roles; another administrator must", "user"));
  }
  Normalise(roles);
  if (roles == state.roles) {
    return Unexpected(FailedPrecondition(state.id + " already has exactly these roles"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.roles_assigned", actor, terminal);
  event.reason = std::string(reason);
  event.payload.Set("roles", RolesToJson(roles));
  event.payload.Set("previous", RolesToJson(state.roles));
  return event;
}

Result<ledger::NewEvent> DeactivateUser(const UserState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (actor.id == state.id) {
    return Unexpected(::aliquot::PermissionDenied("nobody deactivates their own account", "user"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.user_deactivated", actor, terminal);
  event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> ReactivateUser(const UserState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (state.status == AccountStatus::kActive) {
    return Unexpected(FailedPrecondition("the account " + state.id + " is active"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.user_reactivated", actor, terminal);
  event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> ResetPassword(const UserState& state,
                                       std::string sealed_temporary_password,
                                       std::string_view reason, const ledger::Actor& actor,
                                       std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (actor.id == state.id) {
    return Unexpected(::aliquot::PermissionDenied(
        "change your own password with your current one, not by a reset", "user"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.password_reset", actor, terminal);
  event.reason = std::string(reason);
  event.payload.Set("sealed_password", std::move(sealed_temporary_password));
  event.payload.Set("password_change_required", true);
  return event;
}

Result<ledger::NewEvent> UnlockUser(const UserState& state, Timestamp now,
                                    const SecurityPolicy& policy, std::string_view reason,
                                    const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (!state.LockedAt(now, policy)) {
    return Unexpected(FailedPrecondition("the account " + state.id + " is not locked"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.user_unlocked", actor, terminal);
  event.reason = std::string(reason);
  SetLockState(event, 0, false);
  return event;
}

Result<ledger::NewEvent> ResetTotp(const UserState& state, std::string_view reason,
                                   const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireExisting(state));
  ALIQUOT_RETURN_IF_ERROR(CheckReason(reason));
  if (!state.TotpEnrolled()) {
    return Unexpected(FailedPrecondition(state.id + " has no authenticator enrolled"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.totp_reset", actor, terminal);
  event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> ChangePassword(const UserState& state, const SecurityPolicy& policy,
                                        const NewPassword& password, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  // 21 CFR 11.300(b): passwords are revised, and a revision is a new password.
  if (password.same_as_current) {
    return Unexpected(
        InvalidArgument("the new password must differ from the current one", "new_password"));
  }
  if (password.in_history) {
    return Unexpected(InvalidArgument("the new password must differ from the last " +
                                          std::to_string(policy.password_history) + " passwords",
                                      "new_password"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.password_changed", ActorOf(state), terminal);
  event.payload.Set("sealed_password", password.sealed);
  event.payload.Set("password_change_required", false);
  return event;
}

Result<ledger::NewEvent> EnrolTotp(const UserState& state, std::string sealed_secret,
                                   std::int64_t confirmed_step, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  if (state.TotpEnrolled()) {
    return Unexpected(FailedPrecondition(
        "an authenticator is already enrolled; an administrator resets it for a lost device"));
  }
  ledger::NewEvent event = UserEvent(state, "identity.totp_enrolled", ActorOf(state), terminal);
  event.payload.Set("sealed_secret", std::move(sealed_secret));
  event.payload.Set("totp_step", confirmed_step);
  return event;
}

AuthenticationDecision Authenticate(const UserState& state, const SecurityPolicy& policy,
                                    const CredentialCheck& check, AuthenticationPurpose purpose,
                                    Timestamp now, std::string_view session_id,
                                    std::string_view terminal) {
  AuthenticationDecision decision;
  const bool locked = state.LockedAt(now, policy);
  // A lock whose period ran out starts the count afresh.
  const int previous_failures = state.locked_at && !locked ? 0 : state.failed_attempts;
  // The second factor guards signing in and signing; changing one's own password or enrolling
  // an authenticator needs the password only.
  const bool totp_ok = purpose == AuthenticationPurpose::kAccountChange || !state.TotpEnrolled() ||
                       check.totp_step.has_value();

  ledger::NewEvent event;
  event.stream = UserStream(state.id);
  event.terminal = std::string(terminal);
  event.payload.Set("user_id", state.id);
  event.payload.Set("purpose", PurposeName(purpose));
  event.payload.Set("session_id", std::string(session_id));

  std::string failure;
  if (state.status != AccountStatus::kActive) {
    failure = "deactivated";
  } else if (locked) {
    failure = "locked";
  } else if (!check.password_matches) {
    failure = "wrong_password";
  } else if (!totp_ok) {
    failure = check.totp_given ? "wrong_totp" : "totp_missing";
  }

  if (failure.empty()) {
    event.event_type = purpose == AuthenticationPurpose::kSignIn ? "identity.signed_in"
                                                                 : "identity.reauthenticated";
    event.actor = ActorOf(state);
    SetLockState(event, 0, false);
    if (check.totp_step) event.payload.Set("totp_step", *check.totp_step);
    decision.password_change_required =
        state.password_change_required || state.PasswordExpiredAt(now, policy);
    if (purpose == AuthenticationPurpose::kSignIn) {
      event.payload.Set("password_change_required", decision.password_change_required);
    }
    decision.events.push_back(std::move(event));
    return decision;
  }

  event.event_type = purpose == AuthenticationPurpose::kSignIn ? "identity.sign_in_failed"
                                                               : "identity.reauthentication_failed";
  event.actor = purpose == AuthenticationPurpose::kSignIn ? UnauthenticatedActor() : ActorOf(state);
  event.payload.Set("failure", failure);
  // Only wrong credentials count towards the lock (21 CFR 11.300(d): safeguards against attempts
  // at unauthorised use); a locked or deactivated account has nothing more to lose.
  const bool counts = failure == "wrong_password" || failure == "wrong_totp";
  const int failures = counts ? previous_failures + 1 : previous_failures;
  const bool locks = counts && failures >= policy.lockout_threshold;
  SetLockState(event, failures, locked || locks);
  decision.events.push_back(std::move(event));
  if (locks) {
    ledger::NewEvent alert;
    alert.stream = UserStream(state.id);
    alert.event_type = "identity.account_locked";
    alert.actor =
        purpose == AuthenticationPurpose::kSignIn ? UnauthenticatedActor() : ActorOf(state);
    alert.terminal = std::string(terminal);
    alert.payload.Set("user_id", state.id);
    alert.payload.Set("alert", true);
    alert.payload.Set("failed_attempts", failures);
    alert.payload.Set("lockout_minutes", policy.lockout_minutes);
    decision.events.push_back(std::move(alert));
    decision.locked_now = true;
  }

  const bool password_right = check.password_matches;
  if (failure == "totp_missing") {
    decision.outcome =
        Unexpected(Unauthenticated("enter the 6-digit code from your authenticator app", "totp"));
  } else if (failure == "wrong_totp") {
    decision.outcome =
        Unexpected(Unauthenticated("the authenticator code is not correct or was used", "totp"));
  } else if (password_right && failure == "locked") {
    // Only someone who knows the password learns that the account is locked.
    decision.outcome = Unexpected(::aliquot::PermissionDenied(
        policy.lockout_minutes == 0
            ? "the account is locked after repeated failures; ask a system administrator to "
              "unlock it"
            : "the account is locked after repeated failures; retry after " +
                  Timestamp::FromMicros(state.locked_at->Micros() +
                                        policy.lockout_minutes * kMicrosPerMinute)
                      .ToRfc3339() +
                  " or ask a system administrator",
        "user"));
  } else if (password_right && failure == "deactivated") {
    decision.outcome =
        Unexpected(::aliquot::PermissionDenied("the account is deactivated", "user"));
  } else if (purpose != AuthenticationPurpose::kSignIn) {
    decision.outcome = Unexpected(Unauthenticated(
        "the password is not correct; after repeated failures the account is locked", "password"));
  } else {
    decision.outcome = Unexpected(Unauthenticated(std::string(kWrongCredentials), "credentials"));
  }
  // The lock is announced only to someone who has shown the password or is signed in already:
  // a sign-in with a wrong password must read the same as one with an unknown user name, or the
  // attempt that locks would tell which accounts exist.
  if (locks && (purpose != AuthenticationPurpose::kSignIn || password_right)) {
    const bool wrong_code = failure == "wrong_totp";
    decision.outcome =
        Unexpected(Unauthenticated(std::string(wrong_code ? "the authenticator code is not correct"
                                                          : "the password is not correct") +
                                       "; the account is now locked",
                                   wrong_code ? "totp" : "password"));
  }
  return decision;
}

AuthenticationDecision AuthenticateUnknownUser(std::string_view user_name,
                                               std::string_view terminal) {
  AuthenticationDecision decision;
  ledger::NewEvent event;
  event.stream = UnknownUserStream();
  event.event_type = "identity.sign_in_failed";
  event.actor = UnauthenticatedActor();
  event.terminal = std::string(terminal);
  event.payload.Set("user_name", std::string(user_name));
  event.payload.Set("failure", "unknown_user");
  decision.events.push_back(std::move(event));
  decision.outcome = Unexpected(Unauthenticated(std::string(kWrongCredentials), "credentials"));
  return decision;
}

ledger::NewEvent SignedOut(const UserState& state, std::string_view session_id,
                           std::string_view cause, std::string_view terminal) {
  ledger::NewEvent event = UserEvent(state, "identity.signed_out", ActorOf(state), terminal);
  event.payload.Set("session_id", std::string(session_id));
  event.payload.Set("cause", std::string(cause));
  return event;
}

ledger::NewEvent PermissionDeniedEvent(const UserState& state, std::string_view action,
                                       std::string_view reason, std::string_view terminal) {
  ledger::NewEvent event = UserEvent(state, "identity.permission_denied", ActorOf(state), terminal);
  event.payload.Set("action", std::string(action));
  event.payload.Set("denial", std::string(reason));
  return event;
}

}  // namespace aliquot::identity
