#include "aliquot/http/json_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace aliquot::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(JsonBody, AMissingMemberNamesAMisspeltOneTheBodyHolds) {
  Result<JsonBody> body = JsonBody::Parse(R"({"user_name":"anna","pasword":"x"})");
  ASSERT_TRUE(body);
  ASSERT_TRUE(body->String("user_name"));
  const Result<std::string> password = body->String("password");
  ASSERT_FALSE(password);
  EXPECT_EQ(password.error().Field(), "password");
  EXPECT_THAT(password.error().Message(), HasSubstr("unknown member 'pasword'"));
}

TEST(JsonBody, AMissingMemberIsNotBlamedOnAValidMemberReadLater) {
  Result<JsonBody> body = JsonBody::Parse(R"({"user_name":"anna","totp":"123456"})");
  ASSERT_TRUE(body);
  ASSERT_TRUE(body->String("user_name"));
  const Result<std::string> password = body->String("password");
  ASSERT_FALSE(password);
  EXPECT_EQ(password.error().Message(), "password is required");
  EXPECT_THAT(password.error().Message(), Not(HasSubstr("totp")));
}

TEST(JsonBody, AnUnknownMemberIsRefusedByName) {
  Result<JsonBody> body = JsonBody::Parse(R"({"title":"t","efective_from":"2026-12-01"})");
  ASSERT_TRUE(body);
  ASSERT_TRUE(body->String("title"));
  ASSERT_TRUE(body->OptionalString("effective_from"));
  const Status rest = body->CheckNoOtherMembers();
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error().Field(), "efective_from");
}

}  // namespace
}  // namespace aliquot::http
