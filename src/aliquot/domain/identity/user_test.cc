#include "aliquot/domain/identity/user.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace aliquot::identity {
namespace {

constexpr std::int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kMicrosPerDay = std::int64_t{24} * 60 * kMicrosPerMinute;
constexpr Timestamp kNow = Timestamp::FromMicros(1'800'000'000 * kMicrosPerSecond);
constexpr std::string_view kTerminal = "SUITE2-TAB1";
constexpr std::string_view kSession = "session-1";

Timestamp Before(std::int64_t micros) { return Timestamp::FromMicros(kNow.Micros() - micros); }

const std::vector<std::string> kSites{"AMS", "LEI"};
const ledger::Actor kAdministrator{"adam", "Adam Administrator"};

UserState Olivia() {
  UserState user;
  user.exists = true;
  user.id = "olivia";
  user.printed_name = "Olivia Operator";
  user.roles = {{"LEI", Role::kOperator}};
  user.sealed_password = "sealed:current";
  user.password_set_at = Before(kMicrosPerDay);
  return user;
}

CreateUserCommand NewOlivia() {
  return {"olivia",
          "Olivia Operator",
          {{"LEI", Role::kVerifier}, {"AMS", Role::kOperator}},
          "sealed:temporary"};
}

CredentialCheck RightPassword() { return {.password_matches = true}; }
CredentialCheck WrongPassword() { return {.password_matches = false}; }

AuthenticationDecision SignIn(const UserState& user, const SecurityPolicy& policy,
                              const CredentialCheck& check, Timestamp now = kNow) {
  return Authenticate(user, policy, check, AuthenticationPurpose::kSignIn, now, kSession,
                      kTerminal);
}

// --- Accounts -------------------------------------------------------------------------------

TEST(User, CreatingAnAccountIssuesATemporaryPasswordAndSortedRoles) {
  auto event = CreateUser({}, NewOlivia(), kSites, kAdministrator, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.user_created");
  EXPECT_EQ(event->stream, UserStream("olivia"));
  EXPECT_EQ(event->actor, kAdministrator);
  EXPECT_EQ(event->payload.Find("printed_name")->AsString(), "Olivia Operator");
  EXPECT_TRUE(event->payload.Find("password_change_required")->AsBool());
  EXPECT_EQ(*event->payload.Find("roles"),
            RolesToJson({{"AMS", Role::kOperator}, {"LEI", Role::kVerifier}}));
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
}

// Verifies P11-13: a user name identifies one person for ever.
TEST(User, RefusesToReuseTheNameOfAnActiveAccount) {
  auto event = CreateUser(Olivia(), NewOlivia(), kSites, kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(event.error().Field(), "user_id");
}

// Verifies P11-13
TEST(User, RefusesToReuseTheNameOfADeactivatedAccount) {
  UserState gone = Olivia();
  gone.status = AccountStatus::kDeactivated;
  auto event = CreateUser(gone, NewOlivia(), kSites, kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(event.error().Field(), "user_id");
  EXPECT_NE(event.error().Message().find("deactivated"), std::string::npos);
}

TEST(User, RefusesABadUserName) {
  for (const char* name : {"Olivia", "o", "9olivia", "olivia smith", ""}) {
    CreateUserCommand command = NewOlivia();
    command.id = name;
    auto event = CreateUser({}, command, kSites, kAdministrator, kTerminal);
    ASSERT_FALSE(event) << name;
    EXPECT_EQ(event.error().Field(), "user_id") << name;
  }
}

// Verifies P11-07: segregation of duties.
TEST(User, RefusesTheSystemAdministratorRoleTogetherWithAGmpRole) {
  auto status = ValidateRoles({{"LEI", Role::kSystemAdministrator}, {"AMS", Role::kQaApprover}},
                              kSites, "roles");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().Field(), "roles");
  EXPECT_NE(status.error().Message().find("qa_approver"), std::string::npos)
      << status.error().Message();
}

TEST(User, AllowsTheSystemAdministratorToAlsoBeAnAuditor) {
  EXPECT_TRUE(ValidateRoles({{"LEI", Role::kSystemAdministrator}, {"LEI", Role::kAuditor}}, kSites,
                            "roles"));
}

TEST(User, RefusesARoleAtAnUnknownSiteNamingIt) {
  auto status =
      ValidateRoles({{"LEI", Role::kOperator}, {"XYZ", Role::kVerifier}}, kSites, "roles");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().Field(), "roles[1].site");
  EXPECT_NE(status.error().Message().find("XYZ"), std::string::npos);
}

TEST(User, RefusesARoleListedTwice) {
  auto status =
      ValidateRoles({{"LEI", Role::kOperator}, {"AMS", Role::kOperator}, {"LEI", Role::kOperator}},
                    kSites, "roles");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().Field(), "roles[2]");
}

TEST(User, AcceptsTheSameRoleAtTwoSites) {
  EXPECT_TRUE(ValidateRoles({{"LEI", Role::kOperator}, {"AMS", Role::kOperator}}, kSites, "roles"));
}

// Verifies P11-07: nobody grants themselves access.
TEST(User, RefusesToChangeOnesOwnRoles) {
  auto event = AssignRoles(Olivia(), {{"LEI", Role::kQaApprover}}, kSites, "promotion",
                           ActorOf(Olivia()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kPermissionDenied);
}

TEST(User, AnotherAdministratorAssignsRolesWithTheirPrevious) {
  auto event = AssignRoles(Olivia(), {{"LEI", Role::kVerifier}}, kSites, "promotion",
                           kAdministrator, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.roles_assigned");
  EXPECT_EQ(event->reason, "promotion");
  EXPECT_EQ(*event->payload.Find("roles"), RolesToJson({{"LEI", Role::kVerifier}}));
  EXPECT_EQ(*event->payload.Find("previous"), RolesToJson({{"LEI", Role::kOperator}}));
}

TEST(User, RolesRoundTripThroughJson) {
  const std::vector<SiteRole> roles{{"AMS", Role::kWarehouse}, {"LEI", Role::kQcAnalyst}};
  auto parsed = RolesFromJson(RolesToJson(roles), "roles");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, roles);
}

TEST(User, AnUnknownRoleInJsonNamesItsPlace) {
  Json roles = RolesToJson({{"LEI", Role::kOperator}});
  Json bad = Json::MakeObject();
  bad.Set("site", "LEI");
  bad.Set("role", "superuser");
  roles.Push(std::move(bad));
  auto parsed = RolesFromJson(roles, "roles");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().Field(), "roles[1].role");
}

// --- Passwords ------------------------------------------------------------------------------

// Verifies P11-15
TEST(User, RefusesAPasswordShorterThanThePolicyMinimum) {
  const SecurityPolicy policy{.password_min_length = 12};
  auto status = CheckPasswordRules(policy, "olivia", "elevenchars", "new_password");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().Field(), "new_password");
  EXPECT_NE(status.error().Message().find("12"), std::string::npos);
  EXPECT_TRUE(CheckPasswordRules(policy, "olivia", "twelve chars", "new_password"));
}

// Verifies P11-15
TEST(User, RefusesAPasswordLongerThan256Bytes) {
  const SecurityPolicy policy;
  EXPECT_TRUE(CheckPasswordRules(policy, "olivia", std::string(256, 'x'), "new_password"));
  auto status = CheckPasswordRules(policy, "olivia", std::string(257, 'x'), "new_password");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Field(), "new_password");
}

// Verifies P11-15
TEST(User, RefusesAPasswordContainingTheUserNameInAnyCase) {
  const SecurityPolicy policy;
  for (const char* password : {"olivia-2026-spring", "Spring2026OLIVIA", "my oLiViA password"}) {
    auto status = CheckPasswordRules(policy, "olivia", password, "new_password");
    ASSERT_FALSE(status) << password;
    EXPECT_EQ(status.error().Field(), "new_password");
    EXPECT_NE(status.error().Message().find("user name"), std::string::npos);
  }
}

TEST(User, RefusesAPasswordThatIsNotUtf8) {
  auto status = CheckPasswordRules({}, "olivia", "correct horse \xff battery", "new_password");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Field(), "new_password");
}

// Verifies P11-15: a revision is a new password.
TEST(User, RefusesToChangeThePasswordToTheCurrentOne) {
  auto event =
      ChangePassword(Olivia(), {}, {.sealed = "sealed:new", .same_as_current = true}, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(event.error().Field(), "new_password");
}

// Verifies P11-15
TEST(User, RefusesToChangeThePasswordToARecentOne) {
  auto event = ChangePassword(Olivia(), {.password_history = 5},
                              {.sealed = "sealed:new", .in_history = true}, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(event.error().Field(), "new_password");
  EXPECT_NE(event.error().Message().find("last 5"), std::string::npos);
}

TEST(User, ChangingThePasswordEndsTheTemporaryOne) {
  UserState user = Olivia();
  user.password_change_required = true;
  auto event = ChangePassword(user, {}, {.sealed = "sealed:new"}, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.password_changed");
  EXPECT_EQ(event->actor, ActorOf(user));
  EXPECT_EQ(event->payload.Find("sealed_password")->AsString(), "sealed:new");
  EXPECT_FALSE(event->payload.Find("password_change_required")->AsBool());
}

// --- Sign-in and lockout --------------------------------------------------------------------

TEST(Authentication, TheRightPasswordSignsIn) {
  UserState user = Olivia();
  user.failed_attempts = 3;
  const AuthenticationDecision decision = SignIn(user, {}, RightPassword());
  ASSERT_TRUE(decision.outcome) << decision.outcome.error().ToString();
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].event_type, "identity.signed_in");
  EXPECT_EQ(decision.events[0].actor, ActorOf(user));
  EXPECT_EQ(decision.events[0].payload.Find("session_id")->AsString(), kSession);
  EXPECT_EQ(decision.events[0].payload.Find("failed_attempts")->AsInteger(), 0);
  EXPECT_FALSE(decision.password_change_required);
  EXPECT_FALSE(decision.locked_now);
}

// Verifies P11-15: a failed attempt is recorded.
TEST(Authentication, AWrongPasswordIsRecordedAndCounted) {
  UserState user = Olivia();
  user.failed_attempts = 1;
  const AuthenticationDecision decision = SignIn(user, {.lockout_threshold = 5}, WrongPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(decision.outcome.error().Message(), kWrongCredentials);
  ASSERT_EQ(decision.events.size(), 1U);
  const ledger::NewEvent& event = decision.events[0];
  EXPECT_EQ(event.event_type, "identity.sign_in_failed");
  EXPECT_EQ(event.stream, UserStream("olivia"));
  EXPECT_EQ(event.actor, UnauthenticatedActor());
  EXPECT_EQ(event.payload.Find("failure")->AsString(), "wrong_password");
  EXPECT_EQ(event.payload.Find("failed_attempts")->AsInteger(), 2);
  EXPECT_FALSE(event.payload.Find("locked")->AsBool());
  EXPECT_FALSE(decision.locked_now);
  EXPECT_TRUE(ledger::ValidateNewEvent(event));
}

// Verifies P11-15: safeguards against unauthorised use, with an alert.
TEST(Authentication, TheFailureThatReachesTheThresholdLocksTheAccountAndRaisesAnAlert) {
  UserState user = Olivia();
  user.failed_attempts = 4;
  const AuthenticationDecision decision =
      SignIn(user, {.lockout_threshold = 5, .lockout_minutes = 30}, WrongPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(decision.locked_now);
  ASSERT_EQ(decision.events.size(), 2U);
  EXPECT_EQ(decision.events[0].payload.Find("failed_attempts")->AsInteger(), 5);
  EXPECT_TRUE(decision.events[0].payload.Find("locked")->AsBool());
  const ledger::NewEvent& alert = decision.events[1];
  EXPECT_EQ(alert.event_type, "identity.account_locked");
  EXPECT_EQ(alert.stream, UserStream("olivia"));
  EXPECT_TRUE(alert.payload.Find("alert")->AsBool());
  EXPECT_EQ(alert.payload.Find("failed_attempts")->AsInteger(), 5);
  EXPECT_EQ(alert.payload.Find("lockout_minutes")->AsInteger(), 30);
  EXPECT_TRUE(ledger::ValidateNewEvent(alert));
}

// Verifies P11-15: the attempt that locks an account tells no more than an unknown user name.
TEST(Authentication, TheSignInThatLocksTheAccountIsRefusedLikeAnUnknownUser) {
  UserState user = Olivia();
  user.failed_attempts = 4;
  const AuthenticationDecision locking = SignIn(user, {.lockout_threshold = 5}, WrongPassword());
  ASSERT_TRUE(locking.locked_now);
  const AuthenticationDecision unknown = AuthenticateUnknownUser("olivia", kTerminal);
  ASSERT_FALSE(locking.outcome);
  ASSERT_FALSE(unknown.outcome);
  EXPECT_EQ(locking.outcome.error().ToString(), unknown.outcome.error().ToString());
}

TEST(Authentication, AFailureBelowTheThresholdRaisesNoAlert) {
  UserState user = Olivia();
  user.failed_attempts = 3;
  const AuthenticationDecision decision = SignIn(user, {.lockout_threshold = 5}, WrongPassword());
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_FALSE(decision.locked_now);
}

UserState LockedOlivia(Timestamp locked_at) {
  UserState user = Olivia();
  user.failed_attempts = 5;
  user.locked_at = locked_at;
  return user;
}

// Verifies P11-15
TEST(Authentication, ALockedAccountRefusesTheRightPassword) {
  const AuthenticationDecision decision =
      SignIn(LockedOlivia(Before(kMicrosPerMinute)), {.lockout_minutes = 30}, RightPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(decision.outcome.error().Message().find("locked"), std::string::npos);
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].payload.Find("failure")->AsString(), "locked");
  EXPECT_FALSE(decision.locked_now);
}

// Verifies P11-15: sign-in says nothing about which accounts exist or are locked.
TEST(Authentication, ALockedAccountWithAWrongPasswordIsRefusedLikeAnUnknownUser) {
  const AuthenticationDecision locked =
      SignIn(LockedOlivia(Before(kMicrosPerMinute)), {.lockout_minutes = 30}, WrongPassword());
  const AuthenticationDecision unknown = AuthenticateUnknownUser("olivia", kTerminal);
  ASSERT_FALSE(locked.outcome);
  ASSERT_FALSE(unknown.outcome);
  EXPECT_EQ(locked.outcome.error().ToString(), unknown.outcome.error().ToString());
  EXPECT_EQ(locked.outcome.error().Message(), unknown.outcome.error().Message());
  EXPECT_EQ(locked.outcome.error().Field(), unknown.outcome.error().Field());
  EXPECT_EQ(unknown.outcome.error().Code(), ErrorCode::kUnauthenticated);
}

// Verifies P11-15
TEST(Authentication, ADeactivatedAccountWithAWrongPasswordIsRefusedLikeAnUnknownUser) {
  UserState user = Olivia();
  user.status = AccountStatus::kDeactivated;
  const AuthenticationDecision deactivated = SignIn(user, {}, WrongPassword());
  const AuthenticationDecision unknown = AuthenticateUnknownUser("olivia", kTerminal);
  ASSERT_FALSE(deactivated.outcome);
  EXPECT_EQ(deactivated.outcome.error().ToString(), unknown.outcome.error().ToString());
  const AuthenticationDecision right = SignIn(user, {}, RightPassword());
  ASSERT_FALSE(right.outcome);
  EXPECT_EQ(right.outcome.error().Code(), ErrorCode::kPermissionDenied);
}

// Verifies P11-15: attempts on names nobody has are on the record too.
TEST(Authentication, AnUnknownUserNameIsRecordedAndRefused) {
  const AuthenticationDecision decision = AuthenticateUnknownUser("mallory", kTerminal);
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Message(), kWrongCredentials);
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].stream, UnknownUserStream());
  EXPECT_EQ(decision.events[0].event_type, "identity.sign_in_failed");
  EXPECT_EQ(decision.events[0].payload.Find("user_name")->AsString(), "mallory");
  EXPECT_EQ(decision.events[0].payload.Find("failure")->AsString(), "unknown_user");
  EXPECT_TRUE(ledger::ValidateNewEvent(decision.events[0]));
}

// Verifies P11-15
TEST(Authentication, TheLockExpiresAfterTheLockoutPeriod) {
  const SecurityPolicy policy{.lockout_minutes = 30};
  const UserState user = LockedOlivia(Before(30 * kMicrosPerMinute));
  EXPECT_TRUE(SignIn(user, policy, RightPassword()).outcome);
  const UserState almost = LockedOlivia(Before(30 * kMicrosPerMinute - 1));
  EXPECT_FALSE(SignIn(almost, policy, RightPassword()).outcome);
}

// Verifies P11-15
TEST(Authentication, AfterTheLockExpiresTheCountRestarts) {
  const AuthenticationDecision decision =
      SignIn(LockedOlivia(Before(31 * kMicrosPerMinute)),
             {.lockout_threshold = 5, .lockout_minutes = 30}, WrongPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Message(), kWrongCredentials);
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].payload.Find("failed_attempts")->AsInteger(), 1);
  EXPECT_FALSE(decision.events[0].payload.Find("locked")->AsBool());
  EXPECT_FALSE(decision.locked_now);
}

// Verifies P11-15
TEST(Authentication, ALockoutOfZeroMinutesLastsUntilAnAdministratorUnlocks) {
  const AuthenticationDecision decision =
      SignIn(LockedOlivia(Before(400 * kMicrosPerDay)), {.lockout_minutes = 0}, RightPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(decision.outcome.error().Message().find("system administrator"), std::string::npos);
}

TEST(Authentication, AnAdministratorUnlocksALockedAccount) {
  const SecurityPolicy policy{.lockout_minutes = 0};
  const UserState user = LockedOlivia(Before(kMicrosPerDay));
  auto event =
      UnlockUser(user, kNow, policy, "identity confirmed by phone", kAdministrator, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.user_unlocked");
  EXPECT_EQ(event->payload.Find("failed_attempts")->AsInteger(), 0);
  EXPECT_FALSE(event->payload.Find("locked")->AsBool());
  auto again = UnlockUser(Olivia(), kNow, policy, "again", kAdministrator, kTerminal);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kFailedPrecondition);
}

// Verifies P11-15: a temporary password is changed at first use.
TEST(Authentication, ATemporaryPasswordSignsInButMustBeChanged) {
  UserState user = Olivia();
  user.password_change_required = true;
  const AuthenticationDecision decision = SignIn(user, {}, RightPassword());
  ASSERT_TRUE(decision.outcome) << decision.outcome.error().ToString();
  EXPECT_TRUE(decision.password_change_required);
  EXPECT_TRUE(decision.events[0].payload.Find("password_change_required")->AsBool());
}

// Verifies P11-15: periodic revision.
TEST(Authentication, AnExpiredPasswordSignsInButMustBeChanged) {
  const SecurityPolicy policy{.password_max_age_days = 90};
  UserState user = Olivia();
  user.password_set_at = Before(90 * kMicrosPerDay);
  const AuthenticationDecision expired = SignIn(user, policy, RightPassword());
  ASSERT_TRUE(expired.outcome) << expired.outcome.error().ToString();
  EXPECT_TRUE(expired.password_change_required);

  user.password_set_at = Before(89 * kMicrosPerDay);
  const AuthenticationDecision fresh = SignIn(user, policy, RightPassword());
  ASSERT_TRUE(fresh.outcome);
  EXPECT_FALSE(fresh.password_change_required);
}

TEST(Authentication, AMaximumAgeOfZeroNeverExpiresThePassword) {
  UserState user = Olivia();
  user.password_set_at = Before(3000 * kMicrosPerDay);
  const AuthenticationDecision decision =
      SignIn(user, {.password_max_age_days = 0}, RightPassword());
  ASSERT_TRUE(decision.outcome);
  EXPECT_FALSE(decision.password_change_required);
}

UserState OliviaWithAuthenticator() {
  UserState user = Olivia();
  user.sealed_totp_secret = "sealed:totp";
  return user;
}

// Verifies P11-14, A11-06: two factors.
TEST(Authentication, AnEnrolledAuthenticatorMakesAMissingCodeFail) {
  const AuthenticationDecision decision = SignIn(OliviaWithAuthenticator(), {}, RightPassword());
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(decision.outcome.error().Field(), "totp");
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].payload.Find("failure")->AsString(), "totp_missing");
}

// Verifies P11-14, A11-06
TEST(Authentication, AWrongCodeFailsAndCountsTowardsTheLock) {
  UserState user = OliviaWithAuthenticator();
  user.failed_attempts = 2;
  const AuthenticationDecision decision =
      SignIn(user, {}, {.password_matches = true, .totp_given = true});
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Field(), "totp");
  EXPECT_EQ(decision.events[0].payload.Find("failure")->AsString(), "wrong_totp");
  EXPECT_EQ(decision.events[0].payload.Find("failed_attempts")->AsInteger(), 3);
}

// Verifies P11-14
TEST(Authentication, TheRightPasswordAndCodeSignInAndRecordTheStep) {
  const AuthenticationDecision decision =
      SignIn(OliviaWithAuthenticator(), {},
             {.password_matches = true, .totp_given = true, .totp_step = 37037036});
  ASSERT_TRUE(decision.outcome) << decision.outcome.error().ToString();
  EXPECT_EQ(decision.events[0].payload.Find("totp_step")->AsInteger(), 37037036);
}

TEST(Authentication, AnAccountChangeNeedsThePasswordOnly) {
  const AuthenticationDecision decision =
      Authenticate(OliviaWithAuthenticator(), {}, RightPassword(),
                   AuthenticationPurpose::kAccountChange, kNow, kSession, kTerminal);
  ASSERT_TRUE(decision.outcome) << decision.outcome.error().ToString();
  EXPECT_EQ(decision.events[0].event_type, "identity.reauthenticated");
  EXPECT_EQ(decision.events[0].payload.Find("purpose")->AsString(), "account_change");
}

// Verifies P11-14: re-authentication at the moment of signing.
TEST(Authentication, AWrongPasswordWhenSigningPointsAtThePassword) {
  const AuthenticationDecision decision = Authenticate(
      Olivia(), {}, WrongPassword(), AuthenticationPurpose::kSigning, kNow, kSession, kTerminal);
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(decision.outcome.error().Field(), "password");
  EXPECT_EQ(decision.outcome.error().Message(),
            "the password is not correct; after repeated failures the account is locked");
  ASSERT_EQ(decision.events.size(), 1U);
  EXPECT_EQ(decision.events[0].event_type, "identity.reauthentication_failed");
  EXPECT_EQ(decision.events[0].actor, ActorOf(Olivia()));
  EXPECT_EQ(decision.events[0].payload.Find("purpose")->AsString(), "signing");
}

// Verifies P11-14, A11-06: signing asks for the second factor as well.
TEST(Authentication, SigningWithAnEnrolledAuthenticatorNeedsTheCode) {
  const AuthenticationDecision decision =
      Authenticate(OliviaWithAuthenticator(), {}, RightPassword(), AuthenticationPurpose::kSigning,
                   kNow, kSession, kTerminal);
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Field(), "totp");
}

// Verifies P11-15: failures while signing lock the account too.
TEST(Authentication, AFailureWhenSigningThatReachesTheThresholdLocksTheAccount) {
  UserState user = Olivia();
  user.failed_attempts = 2;
  const AuthenticationDecision decision =
      Authenticate(user, {.lockout_threshold = 3}, WrongPassword(), AuthenticationPurpose::kSigning,
                   kNow, kSession, kTerminal);
  ASSERT_FALSE(decision.outcome);
  EXPECT_EQ(decision.outcome.error().Field(), "password");
  EXPECT_NE(decision.outcome.error().Message().find("now locked"), std::string::npos);
  EXPECT_TRUE(decision.locked_now);
  ASSERT_EQ(decision.events.size(), 2U);
  EXPECT_EQ(decision.events[1].event_type, "identity.account_locked");
}

// Verifies P11-14, P11-15: the signer is told what was wrong, the code and not the password.
TEST(Authentication, AWrongCodeThatLocksTheAccountWhenSigningPointsAtTheCode) {
  UserState user = OliviaWithAuthenticator();
  user.failed_attempts = 2;
  const AuthenticationDecision decision =
      Authenticate(user, {.lockout_threshold = 3}, {.password_matches = true, .totp_given = true},
                   AuthenticationPurpose::kSigning, kNow, kSession, kTerminal);
  ASSERT_FALSE(decision.outcome);
  EXPECT_TRUE(decision.locked_now);
  EXPECT_EQ(decision.outcome.error().Field(), "totp");
  EXPECT_NE(decision.outcome.error().Message().find("now locked"), std::string::npos);
}

}  // namespace
}  // namespace aliquot::identity
