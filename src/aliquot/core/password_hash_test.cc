#include "aliquot/core/password_hash.h"

#include <string>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot {
namespace {

// Every test but one hashes at the minimum cost, so that the suite stays fast.
const PasswordHashCost kFast = PasswordHashCost::Minimum();

std::string HashOrFail(std::string_view password, const PasswordHashCost& cost = kFast) {
  const Result<std::string> hash = HashPassword(password, cost);
  EXPECT_TRUE(hash.has_value()) << hash.error().ToString();
  return hash.value_or("");
}

TEST(PasswordHash, VerifiesThePasswordItWasMadeFrom) {
  const std::string hash = HashOrFail("correct horse battery staple");
  const Result<bool> verified = VerifyPassword(hash, "correct horse battery staple");
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_TRUE(*verified);
}

TEST(PasswordHash, RefusesAnyOtherPassword) {
  const std::string hash = HashOrFail("correct horse battery staple");
  for (const std::string_view wrong :
       {"correct horse battery stapl", "correct horse battery staple ",
        "Correct horse battery staple", "", "correct horse battery staple\n"}) {
    const Result<bool> verified = VerifyPassword(hash, wrong);
    ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
    EXPECT_FALSE(*verified) << "'" << wrong << "'";
  }
}

TEST(PasswordHash, HashesAnEmptyPasswordLikeAnyOther) {
  const std::string hash = HashOrFail("");
  EXPECT_EQ(VerifyPassword(hash, ""), true);
  EXPECT_EQ(VerifyPassword(hash, " "), false);
  // A default string_view points nowhere; it is the same empty password.
  EXPECT_EQ(VerifyPassword(hash, std::string_view()), true);
  EXPECT_EQ(VerifyPassword(HashOrFail(std::string_view()), ""), true);
}

TEST(PasswordHash, IsAnArgon2idPhcString) {
  const std::string hash = HashOrFail("pw");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << hash;
}

TEST(PasswordHash, SaltsEachHashSoTwoHashesOfOnePasswordDiffer) {
  const std::string first = HashOrFail("same password");
  const std::string second = HashOrFail("same password");
  EXPECT_NE(first, second);
  EXPECT_EQ(VerifyPassword(first, "same password"), true);
  EXPECT_EQ(VerifyPassword(second, "same password"), true);
}

TEST(PasswordHash, InteractiveCostIs64MebibytesAndTwoPasses) {
  const PasswordHashCost cost = PasswordHashCost::Interactive();
  EXPECT_EQ(cost.operations, 2U);
  EXPECT_EQ(cost.memory_bytes, 64U * 1024 * 1024);
  const std::string hash = HashOrFail("pw", cost);
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << hash;
  EXPECT_EQ(VerifyPassword(hash, "pw"), true);
  EXPECT_FALSE(PasswordHashNeedsRehash(hash, cost));
}

TEST(PasswordHash, ReportsAStringThatIsNotArgon2idAsDataLoss) {
  const std::string hash = HashOrFail("pw");
  // Cut at the last '$': no hash at all. (Cutting a few characters off the hash can leave a valid,
  // shorter hash: Argon2 allows outputs down to 4 bytes.)
  std::string truncated = hash.substr(0, hash.rfind('$') + 1);
  std::string argon2i = hash;
  argon2i.replace(0, 10, "$argon2i$");
  for (const std::string& encoded :
       {std::string(), std::string("pw"), std::string("$2b$12$abcdefghijklmnopqrstuu"),
        std::string("$argon2id$"), std::string("$argon2id$v=19$m=8,t=1,p=1$garbage"),
        std::string("$ARGON2ID$") + hash.substr(10), argon2i, truncated,
        hash + std::string(1, '\0'), " " + hash}) {
    const Result<bool> verified = VerifyPassword(encoded, "pw");
    ASSERT_FALSE(verified.has_value()) << "'" << encoded << "'";
    EXPECT_EQ(verified.error().Code(), ErrorCode::kDataLoss) << verified.error().ToString();
  }
}

TEST(PasswordHash, RefusesTheRightPasswordAgainstAnAlteredHash) {
  std::string hash = HashOrFail("pw");
  // The last character is part of the hash itself, not the salt or the cost. It encodes the last
  // 4 bits of 32 bytes in unpadded base64, with two zero bits after them: only A, E, I, ... 0, 4, 8
  // are well-formed there. 'B' is not, so a hash ending in 'A' (one in sixteen) made this test
  // refuse the string as malformed instead of as a mismatch.
  hash.back() = hash.back() == 'A' ? 'E' : 'A';
  EXPECT_EQ(VerifyPassword(hash, "pw"), false);
}

TEST(PasswordHash, NeedsRehashOnlyWhenTheCostChanged) {
  const std::string hash = HashOrFail("pw");
  EXPECT_FALSE(PasswordHashNeedsRehash(hash, kFast));
  EXPECT_TRUE(PasswordHashNeedsRehash(hash, PasswordHashCost::Interactive()));
  EXPECT_TRUE(PasswordHashNeedsRehash(
      hash, {.operations = kFast.operations + 1, .memory_bytes = kFast.memory_bytes}));
  EXPECT_TRUE(PasswordHashNeedsRehash(
      hash, {.operations = kFast.operations, .memory_bytes = kFast.memory_bytes * 2}));
}

TEST(PasswordHash, NeedsRehashWhenTheStringIsNotArgon2id) {
  const std::string hash = HashOrFail("pw");
  std::string argon2i = hash;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_TRUE(PasswordHashNeedsRehash(argon2i, kFast));
  EXPECT_TRUE(PasswordHashNeedsRehash("", kFast));
  EXPECT_TRUE(PasswordHashNeedsRehash("$argon2id$garbage", kFast));
}

TEST(PasswordHash, ReportsACostLibsodiumRefusesAsInternal) {
  const Result<std::string> hash = HashPassword("pw", PasswordHashCost{});
  ASSERT_FALSE(hash.has_value());
  EXPECT_EQ(hash.error().Code(), ErrorCode::kInternal);
  EXPECT_NE(hash.error().Message().find("0 passes over 0 bytes"), std::string::npos)
      << hash.error().Message();
}

}  // namespace
}  // namespace aliquot
