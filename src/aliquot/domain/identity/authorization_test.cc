#include "aliquot/domain/identity/authorization.h"

#include <string>

#include <gtest/gtest.h>

namespace aliquot::identity {
namespace {

TerminalState QaWorkstation() {
  TerminalState terminal;
  terminal.exists = true;
  terminal.id = "QA-WS1";
  terminal.site = "LEI";
  terminal.name = "QA workstation 1";
  terminal.location = "QA office, desk 3";
  terminal.kind = TerminalKind::kWorkstation;
  return terminal;
}

Principal Holding(RoleSet roles) {
  return {.user_id = "olivia", .printed_name = "Olivia", .site = "LEI", .roles = roles};
}

// Verifies P11-04, P11-07: the check allows exactly what the permission table says.
TEST(Authorization, AllowsExactlyWhatThePermissionTableGrantsEachRole) {
  int allowed = 0;
  int refused = 0;
  for (Role role : kAllRoles) {
    for (const ActionDefinition& definition : Actions()) {
      const Status status = Authorize(Holding(RoleSet{role}), QaWorkstation(), definition.action);
      EXPECT_EQ(status.has_value(), Permits(RoleSet{role}, definition.action))
          << RoleName(role) << " x " << definition.name;
      if (status) {
        ++allowed;
      } else {
        ++refused;
        EXPECT_EQ(status.error().Code(), ErrorCode::kPermissionDenied);
        EXPECT_EQ(status.error().Field(), "action");
      }
    }
  }
  EXPECT_GT(allowed, 0);
  EXPECT_GT(refused, 0);
}

// Verifies P11-07
TEST(Authorization, TheRefusalNamesTheActionTheSiteAndTheRoles) {
  const Status status = Authorize(Holding(RoleSet{Role::kOperator, Role::kVerifier}),
                                  QaWorkstation(), Action::kCreateUser);
  ASSERT_FALSE(status);
  const std::string& message = status.error().Message();
  EXPECT_NE(message.find("user.create"), std::string::npos) << message;
  EXPECT_NE(message.find("LEI"), std::string::npos) << message;
  EXPECT_NE(message.find("operator, verifier"), std::string::npos) << message;
}

TEST(Authorization, TheRefusalOfSomeoneWithoutRolesSaysNone) {
  const Status status = Authorize(Holding(RoleSet{}), QaWorkstation(), Action::kViewRoles);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().Message().find("(none)"), std::string::npos) << status.error().Message();
}

TerminalState RestrictedTablet() {
  TerminalState terminal = QaWorkstation();
  terminal.id = "SUITE2-TAB1";
  terminal.name = "Suite 2 tablet 1";
  terminal.kind = TerminalKind::kTablet;
  terminal.restricted = true;
  terminal.allowed.Add(Action::kViewSignatures);
  return terminal;
}

// Verifies P11-08: a device check.
TEST(Authorization, ARestrictedTerminalRefusesAnActionItIsNotAllowed) {
  const Status status = Authorize(Holding(RoleSet{Role::kQaApprover}), RestrictedTablet(),
                                  Action::kApproveUserAccess);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(status.error().Field(), "terminal");
  EXPECT_NE(status.error().Message().find("SUITE2-TAB1"), std::string::npos);
  EXPECT_NE(status.error().Message().find("user.approve_access"), std::string::npos);
}

// Verifies P11-08
TEST(Authorization, ARestrictedTerminalAllowsTheActionsItIsAllowed) {
  EXPECT_TRUE(
      Authorize(Holding(RoleSet{Role::kQaApprover}), RestrictedTablet(), Action::kViewSignatures));
}

// Verifies P11-08: nobody is stuck signed in on a restricted terminal.
TEST(Authorization, ARestrictedTerminalAllowsEverySelfServiceAction) {
  int self_service = 0;
  for (const ActionDefinition& definition : Actions()) {
    if (definition.kind != ActionKind::kSelfService) continue;
    ++self_service;
    EXPECT_TRUE(Authorize(Holding(RoleSet{Role::kOperator}), RestrictedTablet(), definition.action))
        << definition.name;
  }
  EXPECT_GT(self_service, 0);
}

TEST(Authorization, ARestrictedTerminalStillNeedsTheRole) {
  const Status status =
      Authorize(Holding(RoleSet{Role::kOperator}), RestrictedTablet(), Action::kViewSignatures);
  ASSERT_TRUE(status);  // Every role may view signatures.
  TerminalState terminal = RestrictedTablet();
  terminal.allowed.Add(Action::kApproveUserAccess);
  const Status refused =
      Authorize(Holding(RoleSet{Role::kOperator}), terminal, Action::kApproveUserAccess);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Field(), "action");
}

// Verifies P11-08
TEST(Authorization, ARetiredTerminalRefusesEveryAction) {
  TerminalState retired = QaWorkstation();
  retired.status = TerminalStatus::kRetired;
  for (const ActionDefinition& definition : Actions()) {
    const Status status =
        Authorize(Holding(RoleSet{Role::kSystemAdministrator}), retired, definition.action);
    ASSERT_FALSE(status) << definition.name;
    EXPECT_EQ(status.error().Field(), "terminal") << definition.name;
  }
}

// Verifies P11-15: a temporary or expired password is changed before anything else.
TEST(Authorization, APasswordToChangeAllowsOnlySelfService) {
  Principal principal = Holding(RoleSet{Role::kSystemAdministrator});
  principal.password_change_required = true;
  for (const ActionDefinition& definition : Actions()) {
    const Status status = Authorize(principal, QaWorkstation(), definition.action);
    if (definition.kind == ActionKind::kSelfService) {
      EXPECT_TRUE(status) << definition.name;
    } else {
      ASSERT_FALSE(status) << definition.name;
      EXPECT_EQ(status.error().Code(), ErrorCode::kPermissionDenied);
      EXPECT_EQ(status.error().Field(), "password") << definition.name;
    }
  }
}

}  // namespace
}  // namespace aliquot::identity
