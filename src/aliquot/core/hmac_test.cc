#include "aliquot/core/hmac.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

std::vector<std::uint8_t> Repeat(std::uint8_t byte, std::size_t count) {
  return std::vector<std::uint8_t>(count, byte);
}

std::vector<std::uint8_t> Text(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// 0x01, 0x02, ..., 0x19: the key of RFC 4231 test case 4 (and RFC 2202's case 4).
std::vector<std::uint8_t> Counting25() {
  std::vector<std::uint8_t> key;
  for (std::uint8_t i = 1; i <= 25; ++i) key.push_back(i);
  return key;
}

std::string HmacHex(HmacAlgorithm algorithm, const std::vector<std::uint8_t>& key,
                    const std::vector<std::uint8_t>& message) {
  return HexEncode(Hmac(algorithm, key, message));
}

constexpr std::string_view kLargeKeyMessage =
    "Test Using Larger Than Block-Size Key - Hash Key First";

TEST(Hmac, MatchesRfc2202Sha1Vectors) {
  // Test case 1: a 20-byte key of 0x0b.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha1, Repeat(0x0b, 20), Text("Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  // Test case 2: a key shorter than the digest.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha1, Text("Jefe"), Text("what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  // Test case 3: 50 bytes of 0xdd under 20 bytes of 0xaa.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha1, Repeat(0xaa, 20), Repeat(0xdd, 50)),
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  // Test case 6: an 80-byte key, longer than SHA-1's 64-byte block, is hashed first.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha1, Repeat(0xaa, 80), Text(kLargeKeyMessage)),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(Hmac, MatchesRfc4231Sha256Vectors) {
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha256, Repeat(0x0b, 20), Text("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha256, Text("Jefe"), Text("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha256, Counting25(), Repeat(0xcd, 50)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha256, Repeat(0xaa, 131), Text(kLargeKeyMessage)),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, MatchesRfc4231Sha512Vectors) {
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha512, Repeat(0x0b, 20), Text("Hi There")),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha512, Text("Jefe"), Text("what do ya want for nothing?")),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha512, Counting25(), Repeat(0xcd, 50)),
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
            "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd");
  // A 131-byte key, longer than SHA-512's 128-byte block.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha512, Repeat(0xaa, 131), Text(kLargeKeyMessage)),
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

TEST(Hmac, AcceptsAnEmptyKeyAndAnEmptyMessage) {
  // Python's hmac.new(b"", b"", hashlib.sha1 / sha256): no RFC vector covers the empty key.
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha1, {}, {}), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
  EXPECT_EQ(HmacHex(HmacAlgorithm::kSha256, {}, {}),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hmac, GivesTheDigestSizeOfEachAlgorithm) {
  EXPECT_EQ(Hmac(HmacAlgorithm::kSha1, Text("k"), Text("m")).size(), 20U);
  EXPECT_EQ(Hmac(HmacAlgorithm::kSha256, Text("k"), Text("m")).size(), 32U);
  EXPECT_EQ(Hmac(HmacAlgorithm::kSha512, Text("k"), Text("m")).size(), 64U);
}

}  // namespace
}  // namespace aliquot
