#include "aliquot/core/secret_box.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/sha256.h"

namespace aliquot {
namespace {

constexpr std::string_view kContext = "user/U-0001/password";
constexpr std::string_view kPlaintext = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";

SecretKey KeyOf(std::uint8_t fill) {
  const std::vector<std::uint8_t> bytes(SecretKey::kSize, fill);
  return *SecretKey::FromBytes(bytes);
}

std::string UnsealOrFail(const SecretKey& key, std::string_view sealed, std::string_view context) {
  const Result<std::string> plaintext = Unseal(key, sealed, context);
  EXPECT_TRUE(plaintext.has_value()) << plaintext.error().ToString();
  return plaintext.value_or("<error>");
}

void ExpectError(const Result<std::string>& result, ErrorCode code, std::string_view fragment) {
  ASSERT_FALSE(result.has_value()) << "unsealed to '" << *result << "'";
  EXPECT_EQ(result.error().Code(), code) << result.error().ToString();
  EXPECT_NE(result.error().Message().find(fragment), std::string::npos) << result.error().Message();
}

TEST(SecretBox, UnsealsWhatItSealed) {
  const SecretKey key = SecretKey::Generate();
  EXPECT_EQ(UnsealOrFail(key, Seal(key, kPlaintext, kContext), kContext), kPlaintext);
  EXPECT_EQ(UnsealOrFail(key, Seal(key, "", kContext), kContext), "");
  const std::string binary("\0\xff\x01 secret\n", 11);
  EXPECT_EQ(UnsealOrFail(key, Seal(key, binary, ""), ""), binary);
}

TEST(SecretBox, SealedTextNamesTheKeyAndHidesThePlaintext) {
  const SecretKey key = KeyOf(0x42);
  const std::string sealed = Seal(key, kPlaintext, kContext);
  const std::string prefix = "sealed.v1." + key.KeyId() + ".";
  ASSERT_TRUE(sealed.starts_with(prefix)) << sealed;
  // Nonce (24 bytes), ciphertext as long as the plaintext, tag (16 bytes), all as hex.
  EXPECT_EQ(sealed.size(), prefix.size() + 2 * (24 + kPlaintext.size() + 16));
  EXPECT_EQ(sealed.find("argon2id"), std::string::npos);
  EXPECT_EQ(sealed.find(kContext), std::string::npos);
}

TEST(SecretBox, SealsTheSamePlaintextDifferentlyEachTime) {
  const SecretKey key = KeyOf(0x42);
  const std::string first = Seal(key, kPlaintext, kContext);
  const std::string second = Seal(key, kPlaintext, kContext);
  EXPECT_NE(first, second);
  EXPECT_EQ(UnsealOrFail(key, second, kContext), kPlaintext);
}

TEST(SecretBox, RefusesToUnsealUnderAnotherContext) {
  const SecretKey key = SecretKey::Generate();
  const std::string sealed = Seal(key, kPlaintext, kContext);
  // Another user's password, or the same user's TOTP secret: the value cannot be moved.
  for (const std::string_view other :
       {"user/U-0002/password", "user/U-0001/totp", "", "user/U-0001/password "}) {
    ExpectError(Unseal(key, sealed, other), ErrorCode::kDataLoss, "failed authentication");
  }
}

TEST(SecretBox, RefusesAValueWithAnyByteAltered) {
  const SecretKey key = SecretKey::Generate();
  const std::string sealed = Seal(key, kPlaintext, kContext);
  const std::size_t start = sealed.rfind('.') + 1;
  // Each hex digit of nonce, ciphertext and tag in turn.
  for (std::size_t i = start; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = tampered[i] == '0' ? '1' : '0';
    ExpectError(Unseal(key, tampered, kContext), ErrorCode::kDataLoss, "failed authentication");
  }
  // Cut short by one byte, or one byte added.
  ExpectError(Unseal(key, sealed.substr(0, sealed.size() - 2), kContext), ErrorCode::kDataLoss,
              "failed authentication");
  ExpectError(Unseal(key, sealed + "00", kContext), ErrorCode::kDataLoss, "failed authentication");
}

TEST(SecretBox, RefusesAValueSealedUnderAnotherKeyNamingBothKeys) {
  const SecretKey site = KeyOf(0x01);
  const SecretKey other = KeyOf(0x02);
  ASSERT_NE(site.KeyId(), other.KeyId());
  const Result<std::string> unsealed = Unseal(other, Seal(site, kPlaintext, kContext), kContext);
  ExpectError(unsealed, ErrorCode::kFailedPrecondition, "keys/credentials.key");
  EXPECT_EQ(unsealed.error().Message(), "the value was sealed under key " + site.KeyId() +
                                            ", this server holds key " + other.KeyId() +
                                            "; copy the site's keys/credentials.key");
}

TEST(SecretBox, ReportsMalformedValuesAsDataLoss) {
  const SecretKey key = KeyOf(0x42);
  const std::string sealed = Seal(key, kPlaintext, kContext);
  const std::string head = "sealed.v1." + key.KeyId() + ".";
  constexpr std::size_t kNonceAndTag = 24 + 16;
  const std::string minimum = head + std::string(2 * kNonceAndTag, '0');
  for (const std::string& text : {
           std::string(), std::string("sealed.v1."), "sealed.v2." + sealed.substr(10),
           "SEALED.V1." + sealed.substr(10), " " + sealed,
           "sealed.v1." + key.KeyId(),                                               // no box
           "sealed.v1." + key.KeyId().substr(1) + "." + sealed.substr(head.size()),  // short id
           "sealed.v1.ZZZZZZZZZZZZZZZZ." + sealed.substr(head.size()),               // id not hex
           sealed.substr(0, sealed.size() - 1),           // odd number of hex digits
           head + "zz" + sealed.substr(head.size() + 2),  // not hex
           minimum.substr(0, minimum.size() - 2),         // shorter than nonce and tag
           head,                                          // empty box
       }) {
    const Result<std::string> unsealed = Unseal(key, text, kContext);
    ExpectError(unsealed, ErrorCode::kDataLoss, "malformed");
  }
  // Exactly a nonce and a tag: well formed, but not a value this key sealed.
  ExpectError(Unseal(key, minimum, kContext), ErrorCode::kDataLoss, "failed authentication");
}

TEST(SecretKey, FromBytesRefusesAnyLengthButThirtyTwo) {
  for (const std::size_t size : {0U, 16U, 31U, 33U, 64U}) {
    const Result<SecretKey> key = SecretKey::FromBytes(std::vector<std::uint8_t>(size, 7));
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(key.error().Message(), "a secret key is 32 bytes, got " + std::to_string(size));
  }
}

TEST(SecretKey, KeepsItsBytesInEveryCopy) {
  std::vector<std::uint8_t> bytes(SecretKey::kSize);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
  std::optional<SecretKey> original = *SecretKey::FromBytes(bytes);
  EXPECT_EQ(HexEncode(original->Bytes()), HexEncode(bytes));
  const SecretKey copy = *original;
  // The original wipes its own bytes when destroyed, not the copy's.
  original.reset();
  EXPECT_EQ(HexEncode(copy.Bytes()), HexEncode(bytes));
}

TEST(SecretKey, KeyIdIsADomainSeparatedHashPrefix) {
  const SecretKey key = KeyOf(0x42);
  const std::string expected =
      Sha256().Update("aliquot secret key id").Update(key.Bytes()).Finish().Hex().substr(0, 16);
  EXPECT_EQ(key.KeyId(), expected);
  // Computed apart, with Python's hashlib: the id is part of every sealed value, so it is fixed.
  EXPECT_EQ(key.KeyId(), "a8480c8dfe79353d");
  // Not the plain hash of the key, which another use of the same bytes might publish.
  EXPECT_FALSE(Sha256::Of(key.Bytes()).Hex().starts_with(key.KeyId()));
  EXPECT_NE(SecretKey::Generate().KeyId(), SecretKey::Generate().KeyId());
}

}  // namespace
}  // namespace aliquot
