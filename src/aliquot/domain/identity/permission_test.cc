#include "aliquot/domain/identity/permission.h"

#include <cstddef>
#include <set>
#include <string_view>

#include <gtest/gtest.h>

#include "aliquot/domain/identity/role.h"

namespace aliquot::identity {
namespace {

TEST(Permission, EveryActionHasAUniqueNameThatLeadsBackToIt) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < Actions().size(); ++i) {
    const ActionDefinition& definition = Actions()[i];
    SCOPED_TRACE(definition.name);
    EXPECT_EQ(static_cast<std::size_t>(definition.action), i);
    EXPECT_FALSE(definition.name.empty());
    EXPECT_FALSE(definition.description.empty());
    EXPECT_TRUE(names.insert(definition.name).second) << "the name is used twice";
    EXPECT_EQ(ActionName(definition.action), definition.name);
    EXPECT_EQ(ActionFromName(definition.name), definition.action);
  }
  EXPECT_EQ(names.size(), Actions().size());
}

TEST(Permission, AnUnknownActionNameIsNoAction) {
  EXPECT_EQ(ActionFromName("user.delete"), std::nullopt);
  EXPECT_EQ(ActionFromName(""), std::nullopt);
  EXPECT_EQ(ActionFromName("USER.CREATE"), std::nullopt);
}

TEST(Permission, EveryActionIsHeldBySomeRole) {
  for (const ActionDefinition& definition : Actions()) {
    EXPECT_FALSE(definition.roles.Empty()) << definition.name << " can be performed by nobody";
  }
}

TEST(Permission, NobodyWithoutARolePerformsAnything) {
  for (const ActionDefinition& definition : Actions()) {
    EXPECT_FALSE(Permits(RoleSet{}, definition.action)) << definition.name;
  }
}

// Verifies P11-07: segregation of duties.
TEST(Permission, TheSystemAdministratorHoldsNoGmpAction) {
  int gmp_actions = 0;
  for (const ActionDefinition& definition : Actions()) {
    if (definition.kind != ActionKind::kGmp) continue;
    ++gmp_actions;
    EXPECT_FALSE(Permits(RoleSet{Role::kSystemAdministrator}, definition.action))
        << definition.name;
  }
  EXPECT_GT(gmp_actions, 0);
}

// Verifies P11-07: segregation of duties.
TEST(Permission, EveryGmpActionIsHeldOnlyByGmpRoles) {
  for (const ActionDefinition& definition : Actions()) {
    if (definition.kind != ActionKind::kGmp) continue;
    for (Role role : kAllRoles) {
      if (definition.roles.Contains(role)) {
        EXPECT_TRUE(IsGmpRole(role)) << RoleName(role) << " holds " << definition.name;
      }
    }
  }
}

// Verifies P11-07
TEST(Permission, OnlyAQaApproverApprovesUserAccess) {
  for (Role role : kAllRoles) {
    EXPECT_EQ(Permits(RoleSet{role}, Action::kApproveUserAccess), role == Role::kQaApprover)
        << RoleName(role);
  }
}

// Verifies P11-07: an inspector reads the record and changes nothing.
TEST(Permission, TheAuditorHoldsOnlyReadAndSelfServiceActions) {
  int held = 0;
  for (const ActionDefinition& definition : Actions()) {
    if (!Permits(RoleSet{Role::kAuditor}, definition.action)) continue;
    ++held;
    EXPECT_TRUE(definition.kind == ActionKind::kRead || definition.kind == ActionKind::kSelfService)
        << "the auditor holds " << definition.name;
  }
  EXPECT_GT(held, 0);
  EXPECT_TRUE(Permits(RoleSet{Role::kAuditor}, Action::kReadAuditTrail));
}

TEST(Permission, EveryRoleHoldsEverySelfServiceAction) {
  int self_service = 0;
  for (const ActionDefinition& definition : Actions()) {
    if (definition.kind != ActionKind::kSelfService) continue;
    ++self_service;
    for (Role role : kAllRoles) {
      EXPECT_TRUE(Permits(RoleSet{role}, definition.action))
          << RoleName(role) << " cannot " << definition.name;
    }
  }
  EXPECT_GT(self_service, 0);
}

TEST(Permission, AnyOneOfSeveralRolesIsEnough) {
  EXPECT_FALSE(Permits(RoleSet{Role::kOperator}, Action::kApproveUserAccess));
  EXPECT_TRUE(Permits(RoleSet{Role::kOperator, Role::kQaApprover}, Action::kApproveUserAccess));
}

TEST(Role, EveryRoleNameLeadsBackToItsRole) {
  std::set<std::string_view> names;
  for (Role role : kAllRoles) {
    SCOPED_TRACE(RoleName(role));
    EXPECT_FALSE(RoleName(role).empty());
    EXPECT_FALSE(RoleTitle(role).empty());
    EXPECT_TRUE(names.insert(RoleName(role)).second) << "the name is used twice";
    EXPECT_EQ(RoleFromName(RoleName(role)), role);
  }
  EXPECT_EQ(RoleFromName("administrator"), std::nullopt);
  EXPECT_EQ(RoleFromName("Operator"), std::nullopt);
}

TEST(Role, OnlyTheSystemAdministratorAndTheAuditorAreNotGmpRoles) {
  for (Role role : kAllRoles) {
    EXPECT_EQ(IsGmpRole(role), role != Role::kSystemAdministrator && role != Role::kAuditor)
        << RoleName(role);
  }
}

TEST(Role, ARoleSetHoldsWhatWasAdded) {
  RoleSet roles{Role::kVerifier};
  roles.Add(Role::kWarehouse);
  EXPECT_TRUE(roles.Contains(Role::kVerifier));
  EXPECT_TRUE(roles.Contains(Role::kWarehouse));
  EXPECT_FALSE(roles.Contains(Role::kOperator));
  EXPECT_TRUE(roles.Intersects(RoleSet{Role::kWarehouse, Role::kAuditor}));
  EXPECT_FALSE(roles.Intersects(RoleSet{Role::kAuditor}));
  EXPECT_EQ(roles, (RoleSet{Role::kWarehouse, Role::kVerifier}));
}

}  // namespace
}  // namespace aliquot::identity
