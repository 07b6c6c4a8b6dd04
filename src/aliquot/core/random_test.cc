#include "aliquot/core/random.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace aliquot {
namespace {

TEST(SecureRandom, FillsTheWholeBufferDifferentlyEachTime) {
  std::array<std::uint8_t, 32> first{};
  std::array<std::uint8_t, 32> second{};
  SecureRandom(first);
  SecureRandom(second);
  // Equal by chance, or all zeros, with probability 2^-256.
  EXPECT_NE(first, second);
  EXPECT_NE(first, (std::array<std::uint8_t, 32>{}));
  EXPECT_NE(second, (std::array<std::uint8_t, 32>{}));
}

TEST(SecureRandom, FillsAnEmptyBufferWithoutComplaint) { SecureRandom({}); }

TEST(RandomHex, GivesTwoLowerCaseDigitsPerByte) {
  for (const std::size_t bytes : {0U, 1U, 16U, 32U}) {
    const std::string hex = RandomHex(bytes);
    EXPECT_EQ(hex.size(), 2 * bytes);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
  }
}

TEST(RandomHex, NeverRepeatsA128BitToken) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(RandomHex(16)).second);
}

TEST(ConstantTimeEquals, TellsEqualFromUnequalStrings) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("4f2a", "4f2a"));
  EXPECT_FALSE(ConstantTimeEquals("4f2a", "4f2b"));
  EXPECT_FALSE(ConstantTimeEquals("4f2a", "5f2a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
}

TEST(ConstantTimeEquals, StringsOfDifferentLengthsAreUnequal) {
  EXPECT_FALSE(ConstantTimeEquals("4f2a", "4f2a0"));
  EXPECT_FALSE(ConstantTimeEquals("4f2a", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "4f2a"));
}

}  // namespace
}  // namespace aliquot
