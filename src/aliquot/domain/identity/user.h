// User accounts: unique, attributable, never deleted or reused (21 CFR 11.100 and 11.300, P11-13,
// P11-15; no shared logins, DI-01), with roles per site and the sign-in rules: password policy,
// lockout with an alert, temporary passwords changed at first use, an optional second factor.
// Pure rules: the caller checks passwords and codes (slow, and sealed at rest) and passes the
// outcome; these functions decide the events.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/ledger/event.h"

namespace aliquot::identity {

struct SiteRole {
  std::string site;
  Role role = Role::kOperator;
  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend auto operator<=>(const SiteRole&, const SiteRole&) = default;
};

enum class AccountStatus { kActive, kDeactivated };

struct UserState {
  bool exists = false;
  std::string id;  // The user name: lower case, unique, never reused.
  std::string printed_name;
  AccountStatus status = AccountStatus::kActive;
  std::vector<SiteRole> roles;  // Sorted, no duplicates.
  // Credential material as sealed by the caller; opaque here.
  std::string sealed_password;
  std::vector<std::string> sealed_password_history;  // Newest first; the current one excluded.
  Timestamp password_set_at;
  bool password_change_required = false;  // A temporary password: first sign-in, or a reset.
  int failed_attempts = 0;
  std::optional<Timestamp> locked_at;
  std::string sealed_totp_secret;  // Empty: no authenticator enrolled.
  std::optional<std::int64_t> totp_last_step;

  RoleSet RolesAt(std::string_view site) const;
  bool TotpEnrolled() const { return !sealed_totp_secret.empty(); }
  // Locked at `now`: locked, and the policy's lockout period (if any) has not run out.
  bool LockedAt(Timestamp now, const SecurityPolicy& policy) const;
  // The password is older than the policy allows at `now`.
  bool PasswordExpiredAt(Timestamp now, const SecurityPolicy& policy) const;
};

// The roles as the JSON array events and the API carry: [{"role":"operator","site":"LEI"}, ...],
// and back. RolesFromJson returns kInvalidArgument naming `field` ("roles[2].role").
Json RolesToJson(const std::vector<SiteRole>& roles);
Result<std::vector<SiteRole>> RolesFromJson(const Json& json, std::string_view field);

ledger::StreamRef UserStream(std::string_view user_id);
// Where sign-in attempts with a user name nobody has are recorded.
ledger::StreamRef UnknownUserStream();
// The actor of an attempt nobody is authenticated for yet (a failed sign-in).
ledger::Actor UnauthenticatedActor();
ledger::Actor ActorOf(const UserState& user);

// User names: 2-64 of a-z, 0-9, '.', '_' and '-', starting with a letter.
Status ValidateUserName(std::string_view name, std::string_view field);
// Checks a role list: known sites (`sites` holds their ids), no duplicates, and segregation of
// duties: the system administrator's role is never held with a GMP role at any site.
// Returns kInvalidArgument naming `field`.
Status ValidateRoles(const std::vector<SiteRole>& roles, const std::vector<std::string>& sites,
                     std::string_view field);

// Checks a new password against the policy: length, at most 256 bytes, not containing the user
// name. Returns kInvalidArgument with field `field`.
Status CheckPasswordRules(const SecurityPolicy& policy, std::string_view user_id,
                          std::string_view password, std::string_view field);

// Administration. Each returns kNotFound for a user that does not exist, kInvalidArgument naming
// the field at fault, and kFailedPrecondition when the account's state forbids it.

struct CreateUserCommand {
  std::string id;
  std::string printed_name;
  std::vector<SiteRole> roles;
  std::string sealed_temporary_password;
};
// Returns kAlreadyExists when the name was ever used: names are never reused (P11-13).
Result<ledger::NewEvent> CreateUser(const UserState& state, const CreateUserCommand& command,
                                    const std::vector<std::string>& sites,
                                    const ledger::Actor& actor, std::string_view terminal);
Result<ledger::NewEvent> RenameUser(const UserState& state, std::string_view printed_name,
                                    std::string_view reason, const ledger::Actor& actor,
                                    std::string_view terminal);
// Returns kPermissionDenied when `actor` is the user: nobody grants themselves access.
Result<ledger::NewEvent> AssignRoles(const UserState& state, std::vector<SiteRole> roles,
                                     const std::vector<std::string>& sites, std::string_view reason,
                                     const ledger::Actor& actor, std::string_view terminal);
Result<ledger::NewEvent> DeactivateUser(const UserState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal);
Result<ledger::NewEvent> ReactivateUser(const UserState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal);
Result<ledger::NewEvent> ResetPassword(const UserState& state,
                                       std::string sealed_temporary_password,
                                       std::string_view reason, const ledger::Actor& actor,
                                       std::string_view terminal);
Result<ledger::NewEvent> UnlockUser(const UserState& state, Timestamp now,
                                    const SecurityPolicy& policy, std::string_view reason,
                                    const ledger::Actor& actor, std::string_view terminal);
Result<ledger::NewEvent> ResetTotp(const UserState& state, std::string_view reason,
                                   const ledger::Actor& actor, std::string_view terminal);

// The user's own account.

struct NewPassword {
  std::string sealed;
  bool same_as_current = false;  // The caller compared it with the current password...
  bool in_history = false;       // ...and with the last policy.password_history ones.
};
// Returns kInvalidArgument (field "new_password") when the new password is the current one or a
// recent one.
Result<ledger::NewEvent> ChangePassword(const UserState& state, const SecurityPolicy& policy,
                                        const NewPassword& password, std::string_view terminal);
Result<ledger::NewEvent> EnrolTotp(const UserState& state, std::string sealed_secret,
                                   std::int64_t confirmed_step, std::string_view terminal);

// Authentication: a sign-in, or the re-authentication every signing demands (P11-14).

enum class AuthenticationPurpose {
  kSignIn,
  kSigning,        // Re-entering the password (and code) to sign (11.200(a)).
  kAccountChange,  // Re-entering it to change one's password or enrol an authenticator.
};

struct CredentialCheck {
  bool password_matches = false;
  bool totp_given = false;
  std::optional<std::int64_t> totp_step;  // Set when the code matched.
};

struct AuthenticationDecision {
  // The events to append whatever the outcome: a failure is recorded too (P11-15).
  std::vector<ledger::NewEvent> events;
  // Empty when the person is authenticated; otherwise the refusal to return. A wrong password is
  // refused with the same message whether or not the account exists, is locked or deactivated,
  // so that sign-in says nothing about which accounts exist.
  Status outcome;
  bool locked_now = false;  // This attempt locked the account: end the user's sessions.
  bool password_change_required = false;
};

// The one message for a wrong user name or password.
inline constexpr std::string_view kWrongCredentials =
    "the user name or password is not correct; after repeated failures the account is locked";

// Decides an attempt on an existing account at `now`. `session_id` names the session a successful
// sign-in opens (kSignIn) or the session signing happens in (kSigning).
AuthenticationDecision Authenticate(const UserState& state, const SecurityPolicy& policy,
                                    const CredentialCheck& check, AuthenticationPurpose purpose,
                                    Timestamp now, std::string_view session_id,
                                    std::string_view terminal);

// A sign-in with a user name no account has: recorded, and refused like a wrong password.
AuthenticationDecision AuthenticateUnknownUser(std::string_view user_name,
                                               std::string_view terminal);

// Sign-out: `cause` is "sign_out", "idle_timeout", "max_age", "locked" or "deactivated".
ledger::NewEvent SignedOut(const UserState& state, std::string_view session_id,
                           std::string_view cause, std::string_view terminal);

// A refused action, recorded (P11-07).
ledger::NewEvent PermissionDeniedEvent(const UserState& state, std::string_view action,
                                       std::string_view reason, std::string_view terminal);

}  // namespace aliquot::identity
