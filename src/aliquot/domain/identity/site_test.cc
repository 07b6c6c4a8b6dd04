#include "aliquot/domain/identity/site.h"

#include <string>

#include <gtest/gtest.h>

namespace aliquot::identity {
namespace {

const ledger::Actor kAdministrator{"adam", "Adam Administrator"};
constexpr std::string_view kTerminal = "QA-WS1";

struct Range {
  const char* name;
  int SecurityPolicy::*member;
  int min;
  int max;
};

// The documented ranges, written out independently of site.cc.
constexpr Range kRanges[] = {
    {"password_min_length", &SecurityPolicy::password_min_length, 8, 128},
    {"password_history", &SecurityPolicy::password_history, 0, 24},
    {"password_max_age_days", &SecurityPolicy::password_max_age_days, 0, 730},
    {"lockout_threshold", &SecurityPolicy::lockout_threshold, 1, 10},
    {"lockout_minutes", &SecurityPolicy::lockout_minutes, 0, 1440},
    {"session_idle_minutes", &SecurityPolicy::session_idle_minutes, 1, 480},
    {"session_max_hours", &SecurityPolicy::session_max_hours, 1, 24},
};

SecurityPolicy With(const Range& range, int value) {
  SecurityPolicy policy;
  policy.*range.member = value;
  return policy;
}

TEST(SecurityPolicy, TheDefaultPolicyIsValid) { EXPECT_TRUE(ValidatePolicy({})); }

// Verifies P11-15
TEST(SecurityPolicy, AcceptsEachFieldAtTheEndsOfItsRange) {
  for (const Range& range : kRanges) {
    EXPECT_TRUE(ValidatePolicy(With(range, range.min))) << range.name << " = " << range.min;
    EXPECT_TRUE(ValidatePolicy(With(range, range.max))) << range.name << " = " << range.max;
  }
}

// Verifies P11-15
TEST(SecurityPolicy, RefusesEachFieldOutsideItsRangeNamingIt) {
  for (const Range& range : kRanges) {
    for (int value : {range.min - 1, range.max + 1}) {
      const Status status = ValidatePolicy(With(range, value));
      ASSERT_FALSE(status) << range.name << " = " << value;
      EXPECT_EQ(status.error().Code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(status.error().Field(), range.name);
      EXPECT_NE(status.error().Message().find(std::to_string(value)), std::string::npos)
          << status.error().Message();
    }
  }
}

SecurityPolicy Strict() {
  return {.password_min_length = 16,
          .password_history = 24,
          .password_max_age_days = 60,
          .lockout_threshold = 3,
          .lockout_minutes = 0,
          .session_idle_minutes = 5,
          .session_max_hours = 8,
          .totp_required_for_signing = true};
}

TEST(SecurityPolicy, RoundTripsThroughJson) {
  for (const SecurityPolicy& policy : {SecurityPolicy{}, Strict()}) {
    auto parsed = PolicyFromJson(PolicyToJson(policy));
    ASSERT_TRUE(parsed) << parsed.error().ToString();
    EXPECT_EQ(*parsed, policy);
  }
}

Json Without(const Json& object, std::string_view member) {
  Json copy = Json::MakeObject();
  for (const auto& [name, value] : object.AsObject()) {
    if (name != member) copy.Set(name, value);
  }
  return copy;
}

TEST(SecurityPolicy, AMissingMemberIsRefusedByName) {
  const Json json = PolicyToJson(Strict());
  ASSERT_EQ(json.AsObject().size(), 8U);
  for (const auto& [name, value] : json.AsObject()) {
    auto parsed = PolicyFromJson(Without(json, name));
    ASSERT_FALSE(parsed) << name;
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().Field(), name);
  }
}

TEST(SecurityPolicy, TheFieldNameCarriesTheCallersPrefix) {
  auto parsed = PolicyFromJson(Without(PolicyToJson({}), "lockout_minutes"), "policy.");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().Field(), "policy.lockout_minutes");
}

TEST(SecurityPolicy, AMemberOfTheWrongTypeIsRefusedByName) {
  Json json = PolicyToJson({});
  json.Set("lockout_threshold", "5");
  auto parsed = PolicyFromJson(json);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().Field(), "lockout_threshold");

  Json flag = PolicyToJson({});
  flag.Set("totp_required_for_signing", 1);
  auto refused = PolicyFromJson(flag);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Field(), "totp_required_for_signing");
}

TEST(SecurityPolicy, AMemberOutOfRangeInJsonIsRefusedByName) {
  Json json = PolicyToJson({});
  json.Set("session_max_hours", 25);
  auto parsed = PolicyFromJson(json);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().Field(), "session_max_hours");
}

TEST(SecurityPolicy, APolicyThatIsNotAnObjectIsRefused) {
  auto parsed = PolicyFromJson(Json::MakeArray());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
}

SiteState Leiden() {
  return {.exists = true, .id = "LEI", .name = "Leiden Cell Therapy Unit", .policy = {}};
}

TEST(Site, CreatingASiteRecordsItsPolicy) {
  auto event =
      CreateSite({}, {"LEI", "Leiden Cell Therapy Unit", Strict()}, kAdministrator, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.site_created");
  EXPECT_EQ(event->stream, SiteStream("LEI"));
  EXPECT_EQ(*event->payload.Find("policy"), PolicyToJson(Strict()));
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
}

TEST(Site, RefusesToReuseASiteId) {
  auto event = CreateSite(Leiden(), {"LEI", "Leiden again", {}}, kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(event.error().Field(), "site_id");
}

TEST(Site, RefusesABadSiteId) {
  for (const char* id : {"L", "lei", "LEI_2", "ABCDEFGHIJKLMNOPQ"}) {
    auto event = CreateSite({}, {id, "Leiden", {}}, kAdministrator, kTerminal);
    ASSERT_FALSE(event) << id;
    EXPECT_EQ(event.error().Field(), "site_id") << id;
  }
}

// Verifies P11-10, A11-05: a configuration change carries its reason and the earlier value.
TEST(Site, SettingThePolicyRecordsTheReasonAndThePreviousPolicy) {
  auto event =
      SetPolicy(Leiden(), Strict(), "CAPA-0012: stronger passwords", kAdministrator, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.policy_set");
  EXPECT_EQ(event->reason, "CAPA-0012: stronger passwords");
  EXPECT_EQ(*event->payload.Find("policy"), PolicyToJson(Strict()));
  EXPECT_EQ(*event->payload.Find("previous"), PolicyToJson({}));
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
}

// Verifies A11-05
TEST(Site, SettingThePolicyNeedsAReason) {
  auto event = SetPolicy(Leiden(), Strict(), "", kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(event.error().Field(), "reason");
}

TEST(Site, RefusesToSetAnUnchangedPolicy) {
  auto event = SetPolicy(Leiden(), Leiden().policy, "no change", kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kFailedPrecondition);
}

TEST(Site, RefusesAnInvalidPolicy) {
  SecurityPolicy weak;
  weak.password_min_length = 4;
  auto event = SetPolicy(Leiden(), weak, "shorter passwords", kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Field(), "password_min_length");
}

TEST(Site, RefusesToSetThePolicyOfAnUnknownSite) {
  auto event = SetPolicy({.id = "XYZ"}, Strict(), "reason", kAdministrator, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace aliquot::identity
