#include "aliquot/core/sha256.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

// FIPS 180-2 appendix B (and the NIST example values): the empty message, "abc", the 448-bit
// message of B.2 and one million 'a' of B.3.
constexpr std::string_view kEmptyDigest =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kAbcDigest =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view k448BitMessage =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view k448BitDigest =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr std::string_view kMillionADigest =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256, HashesTheFips180EmptyMessage) {
  EXPECT_EQ(Sha256::Of(std::string_view()).Hex(), kEmptyDigest);
  EXPECT_EQ(Sha256().Finish().Hex(), kEmptyDigest);
}

TEST(Sha256, HashesTheFips180OneBlockMessage) { EXPECT_EQ(Sha256::Of("abc").Hex(), kAbcDigest); }

TEST(Sha256, HashesTheFips180TwoBlockMessage) {
  EXPECT_EQ(k448BitMessage.size() * 8, 448U);
  EXPECT_EQ(Sha256::Of(k448BitMessage).Hex(), k448BitDigest);
}

TEST(Sha256, HashesOneMillionLetterA) {
  EXPECT_EQ(Sha256::Of(std::string(1'000'000, 'a')).Hex(), kMillionADigest);
  // The same message streamed in pieces that do not align with the 64-byte blocks.
  Sha256 hasher;
  const std::string piece(999, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(piece);
  hasher.Update(std::string(1000, 'a'));
  EXPECT_EQ(hasher.Finish().Hex(), kMillionADigest);
}

TEST(Sha256, BytesAndTextOfTheSameMessageHashAlike) {
  const std::vector<std::uint8_t> bytes = {'a', 'b', 'c'};
  EXPECT_EQ(Sha256::Of(bytes).Hex(), kAbcDigest);
}

TEST(Sha256, IncrementalUpdatesEqualTheOneShotHashAtEverySplit) {
  for (std::size_t split = 0; split <= k448BitMessage.size(); ++split) {
    Sha256 hasher;
    hasher.Update(k448BitMessage.substr(0, split)).Update(k448BitMessage.substr(split));
    EXPECT_EQ(hasher.Finish().Hex(), k448BitDigest) << "split at " << split;
  }
}

TEST(Sha256, SingleByteUpdatesEqualTheOneShotHash) {
  Sha256 hasher;
  for (const char c : k448BitMessage) hasher.Update(static_cast<std::uint8_t>(c));
  EXPECT_EQ(hasher.Finish().Hex(), k448BitDigest);
}

TEST(Sha256, FinishResetsTheHasherForTheNextMessage) {
  Sha256 hasher;
  EXPECT_EQ(hasher.Update("abc").Finish().Hex(), kAbcDigest);
  // Had Finish not reset, this would be the hash of a continued or finalised state.
  EXPECT_EQ(hasher.Update("abc").Finish().Hex(), kAbcDigest);
  EXPECT_EQ(hasher.Finish().Hex(), kEmptyDigest);
  EXPECT_EQ(hasher.Update(k448BitMessage).Finish().Hex(), k448BitDigest);
}

TEST(Hash256, DefaultIsAllZeros) { EXPECT_EQ(Hash256{}.Hex(), std::string(64, '0')); }

TEST(Hash256, HexRoundTrips) {
  const Hash256 hash = Sha256::Of("abc");
  const Result<Hash256> parsed = Hash256::FromHex(hash.Hex());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, hash);
  EXPECT_EQ(parsed->bytes[0], 0xba);
  EXPECT_EQ(parsed->bytes[31], 0xad);
}

TEST(Hash256, FromHexAcceptsUpperCaseAsTheSameHash) {
  std::string upper(kAbcDigest);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const Result<Hash256> parsed = Hash256::FromHex(upper);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->Hex(), kAbcDigest);
}

TEST(Hash256, FromHexRefusesAWrongLengthNamingIt) {
  for (const std::size_t length : {0U, 2U, 63U, 65U, 128U}) {
    const Result<Hash256> parsed = Hash256::FromHex(std::string(length, 'a'));
    ASSERT_FALSE(parsed.has_value()) << length;
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().Message(),
              "a SHA-256 hash is 64 hex digits, got " + std::to_string(length));
  }
}

TEST(Hash256, FromHexRefusesANonHexDigitNamingItsPosition) {
  for (const std::size_t position : {0U, 9U, 10U, 63U}) {
    std::string text(kAbcDigest);
    text[position] = 'g';
    const Result<Hash256> parsed = Hash256::FromHex(text);
    ASSERT_FALSE(parsed.has_value()) << position;
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().Message(), "not a hex digit at position " + std::to_string(position));
  }
}

TEST(Hash256, OrdersAsItsBytesDo) {
  Hash256 low;
  Hash256 high;
  high.bytes[0] = 1;
  low.bytes[31] = 0xff;
  EXPECT_LT(low, high);
  EXPECT_NE(low, high);
}

TEST(Hex, EncodesLowerCase) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x0f, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes), "000fabff");
  EXPECT_EQ(HexEncode({}), "");
}

TEST(Hex, RefusesAnOddNumberOfDigits) {
  const auto decoded = HexDecode("abc");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(decoded.error().Message(), "hex text has an odd number of digits (3)");
}

TEST(Hex, NamesTheLowDigitOfAPairWhenOnlyItIsBad) {
  const auto decoded = HexDecode("00a-");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().Message(), "not a hex digit at position 3");
}

}  // namespace
}  // namespace aliquot
