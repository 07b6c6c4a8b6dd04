#include "aliquot/core/ed25519.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

// RFC 8032 section 7.1, TEST 1 to TEST 3: secret key (seed), public key, message, signature.
struct Rfc8032Vector {
  std::string_view name;
  std::string_view seed;
  std::string_view public_key;
  std::string_view message;
  std::string_view signature;
};

constexpr Rfc8032Vector kVectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "4"
     "6bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d"
     "8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6"
     "594a7c15e9716ed28dc027beceea1ec40a"},
};

std::vector<std::uint8_t> Bytes(std::string_view hex) {
  Result<std::vector<std::uint8_t>> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or(std::vector<std::uint8_t>());
}

std::string Text(std::string_view hex) {
  const std::vector<std::uint8_t> bytes = Bytes(hex);
  return std::string(bytes.begin(), bytes.end());
}

Ed25519SigningKey KeyFromSeedHex(std::string_view hex) {
  Ed25519SigningKey::Seed seed{};
  const std::vector<std::uint8_t> bytes = Bytes(hex);
  EXPECT_EQ(bytes.size(), seed.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), seed.size()), seed.begin());
  return Ed25519SigningKey::FromSeed(seed);
}

Ed25519Signature SignatureFromHex(std::string_view hex) {
  Ed25519Signature signature{};
  const std::vector<std::uint8_t> bytes = Bytes(hex);
  EXPECT_EQ(bytes.size(), signature.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), signature.size()), signature.begin());
  return signature;
}

TEST(Ed25519, DerivesTheRfc8032PublicKeysFromTheirSeeds) {
  for (const Rfc8032Vector& vector : kVectors) {
    EXPECT_EQ(KeyFromSeedHex(vector.seed).PublicKey().Hex(), vector.public_key) << vector.name;
  }
}

TEST(Ed25519, SignsTheRfc8032MessagesWithTheExactSignatures) {
  for (const Rfc8032Vector& vector : kVectors) {
    const Ed25519SigningKey key = KeyFromSeedHex(vector.seed);
    EXPECT_EQ(HexEncode(key.Sign(Text(vector.message))), vector.signature) << vector.name;
    // The byte-span overload signs the same message the same way.
    EXPECT_EQ(HexEncode(key.Sign(Bytes(vector.message))), vector.signature) << vector.name;
  }
}

TEST(Ed25519, VerifiesTheRfc8032Signatures) {
  for (const Rfc8032Vector& vector : kVectors) {
    const Result<Ed25519PublicKey> key = Ed25519PublicKey::FromHex(vector.public_key);
    ASSERT_TRUE(key.has_value()) << key.error().ToString();
    EXPECT_TRUE(Ed25519Verify(*key, Text(vector.message), SignatureFromHex(vector.signature)))
        << vector.name;
  }
}

TEST(Ed25519, RejectsTheSignatureWhenAnyBitOfTheMessageFlips) {
  // Every bit of TEST 3's two-byte message, then a byte appended to it and to TEST 1's empty one.
  const Rfc8032Vector& vector = kVectors[2];
  const Ed25519PublicKey key = *Ed25519PublicKey::FromHex(vector.public_key);
  const Ed25519Signature signature = SignatureFromHex(vector.signature);
  const std::string message = Text(vector.message);
  for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
    std::string tampered = message;
    tampered[bit / 8] = static_cast<char>(tampered[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(Ed25519Verify(key, tampered, signature)) << "message bit " << bit;
  }
  EXPECT_FALSE(Ed25519Verify(key, message + '\0', signature));
  EXPECT_FALSE(Ed25519Verify(*Ed25519PublicKey::FromHex(kVectors[0].public_key),
                             std::string(1, '\0'), SignatureFromHex(kVectors[0].signature)));
}

TEST(Ed25519, RejectsTheSignatureWhenAnyBitOfItFlips) {
  const Rfc8032Vector& vector = kVectors[1];
  const Ed25519PublicKey key = *Ed25519PublicKey::FromHex(vector.public_key);
  const Ed25519Signature signature = SignatureFromHex(vector.signature);
  const std::string message = Text(vector.message);
  ASSERT_TRUE(Ed25519Verify(key, message, signature));
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    Ed25519Signature tampered = signature;
    tampered[bit / 8] = static_cast<std::uint8_t>(tampered[bit / 8] ^ (1U << (bit % 8)));
    EXPECT_FALSE(Ed25519Verify(key, message, tampered)) << "signature bit " << bit;
  }
}

TEST(Ed25519, RejectsTheSignatureWhenAnyBitOfTheKeyFlips) {
  const Rfc8032Vector& vector = kVectors[1];
  const Ed25519PublicKey key = *Ed25519PublicKey::FromHex(vector.public_key);
  const Ed25519Signature signature = SignatureFromHex(vector.signature);
  const std::string message = Text(vector.message);
  for (std::size_t bit = 0; bit < key.bytes.size() * 8; ++bit) {
    Ed25519PublicKey tampered = key;
    tampered.bytes[bit / 8] =
        static_cast<std::uint8_t>(tampered.bytes[bit / 8] ^ (1U << (bit % 8)));
    EXPECT_FALSE(Ed25519Verify(tampered, message, signature)) << "key bit " << bit;
  }
}

TEST(Ed25519, RejectsAnotherKeysSignature) {
  const Ed25519PublicKey key_2 = *Ed25519PublicKey::FromHex(kVectors[1].public_key);
  const Ed25519SigningKey key_1 = KeyFromSeedHex(kVectors[0].seed);
  EXPECT_FALSE(Ed25519Verify(key_2, "r", key_1.Sign(std::string_view("r"))));
}

TEST(Ed25519, KeyIdIsTheSha256OfTheRawKey) {
  // The fingerprint docs/ledger-format.md section 11 gives for the TEST 1 key.
  const Ed25519PublicKey key = *Ed25519PublicKey::FromHex(kVectors[0].public_key);
  EXPECT_EQ(key.KeyId().Hex(), "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
  EXPECT_EQ(key.KeyId(), Sha256::Of(key.bytes));
}

TEST(Ed25519, PublicKeyHexRoundTrips) {
  const Result<Ed25519PublicKey> key = Ed25519PublicKey::FromHex(kVectors[2].public_key);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->Hex(), kVectors[2].public_key);
  EXPECT_EQ(*key, KeyFromSeedHex(kVectors[2].seed).PublicKey());
}

TEST(Ed25519, PublicKeyFromHexRefusesAWrongLengthOrADigit) {
  const Result<Ed25519PublicKey> short_key = Ed25519PublicKey::FromHex(std::string(62, 'a'));
  ASSERT_FALSE(short_key.has_value());
  EXPECT_EQ(short_key.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(short_key.error().Message(), "an Ed25519 public key is 64 hex digits, got 62");

  std::string bad(kVectors[0].public_key);
  bad[5] = 'x';
  const Result<Ed25519PublicKey> not_hex = Ed25519PublicKey::FromHex(bad);
  ASSERT_FALSE(not_hex.has_value());
  EXPECT_EQ(not_hex.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(not_hex.error().Message(), "not a hex digit at position 5");
}

TEST(Ed25519, SeedBytesRecreateTheSameKey) {
  const Ed25519SigningKey key = KeyFromSeedHex(kVectors[1].seed);
  EXPECT_EQ(HexEncode(key.SeedBytes()), kVectors[1].seed);
  EXPECT_EQ(Ed25519SigningKey::FromSeed(key.SeedBytes()).PublicKey(), key.PublicKey());
}

TEST(Ed25519, GeneratedKeysDifferAndSignVerifiably) {
  const Ed25519SigningKey first = Ed25519SigningKey::Generate();
  const Ed25519SigningKey second = Ed25519SigningKey::Generate();
  EXPECT_NE(first.PublicKey(), second.PublicKey());
  const std::string_view message = "aliquot-checkpoint-v1\n{}";
  EXPECT_TRUE(Ed25519Verify(first.PublicKey(), message, first.Sign(message)));
  EXPECT_FALSE(Ed25519Verify(second.PublicKey(), message, first.Sign(message)));
}

TEST(Ed25519, AMovedKeyStillSignsAsTheOriginal) {
  Ed25519SigningKey original = KeyFromSeedHex(kVectors[2].seed);
  const Ed25519SigningKey moved = std::move(original);
  EXPECT_EQ(moved.PublicKey().Hex(), kVectors[2].public_key);
  EXPECT_EQ(HexEncode(moved.Sign(Text(kVectors[2].message))), kVectors[2].signature);

  Ed25519SigningKey assigned = KeyFromSeedHex(kVectors[0].seed);
  assigned = KeyFromSeedHex(kVectors[2].seed);
  EXPECT_EQ(HexEncode(assigned.Sign(Text(kVectors[2].message))), kVectors[2].signature);
}

}  // namespace
}  // namespace aliquot
