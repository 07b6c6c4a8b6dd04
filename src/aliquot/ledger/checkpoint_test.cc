#include "aliquot/ledger/checkpoint.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "tests/support/worked_example.h"

namespace aliquot::ledger {
namespace {

// docs/ledger-format.md section 11: the checkpoint over the worked example's one event, signed
// with the RFC 8032 TEST 1 key (its secret is published; it is for examples only).
constexpr std::string_view kTest1Seed = testing::kTest1Seed;
constexpr std::string_view kTest1KeyId = testing::kTest1KeyId;
constexpr std::string_view kWorkedRoot = testing::kWorkedEventHash;
constexpr std::string_view kWorkedUnsigned = testing::kWorkedCheckpointUnsigned;
constexpr std::string_view kWorkedSignature = testing::kWorkedCheckpointSignature;
constexpr std::string_view kWorkedLine = testing::kWorkedCheckpointLine;
constexpr Timestamp kWorkedTime = testing::kWorkedCheckpointTime;

Ed25519SigningKey KeyFromSeedHex(std::string_view hex) {
  Ed25519SigningKey::Seed seed{};
  const auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value() && bytes->size() == seed.size());
  if (bytes) std::copy_n(bytes->begin(), std::min(bytes->size(), seed.size()), seed.begin());
  return Ed25519SigningKey::FromSeed(seed);
}

Ed25519SigningKey OtherKey() {
  Ed25519SigningKey::Seed seed{};
  seed.fill(0x42);
  return Ed25519SigningKey::FromSeed(seed);
}

Hash256 WorkedRoot() { return *Hash256::FromHex(kWorkedRoot); }

Checkpoint WorkedCheckpoint() {
  return SignCheckpoint(1, WorkedRoot(), kWorkedTime, KeyFromSeedHex(kTest1Seed));
}

::testing::AssertionResult RefusedAsDataLoss(const Status& status, std::string_view because) {
  if (status.has_value()) return ::testing::AssertionFailure() << "the checkpoint verified";
  if (status.error().Code() != ErrorCode::kDataLoss ||
      status.error().Message().find(because) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused with " << status.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

TEST(Checkpoint, SignedMessageIsTheContextLineAndTheCanonicalUnsignedCheckpoint) {
  const std::string message = CheckpointSignedMessage(WorkedCheckpoint());
  EXPECT_EQ(message, "aliquot-checkpoint-v1\n" + std::string(kWorkedUnsigned));
  // The prefix is the 22 ASCII bytes the format document names, ending with 0x0A.
  EXPECT_EQ(message.find('{'), 22U);
  EXPECT_EQ(message[21], '\x0a');
}

TEST(Checkpoint, SignatureOfTheWorkedExampleIsExactlyTheDocuments) {
  // Ed25519 is deterministic, so the bytes must match docs/ledger-format.md section 11.
  const Checkpoint checkpoint = WorkedCheckpoint();
  EXPECT_EQ(checkpoint.tree_size, 1U);
  EXPECT_EQ(checkpoint.root_hash.Hex(), kWorkedRoot);
  EXPECT_EQ(checkpoint.key_id.Hex(), kTest1KeyId);
  EXPECT_EQ(checkpoint.time, kWorkedTime);
  EXPECT_EQ(HexEncode(checkpoint.signature), kWorkedSignature);
  EXPECT_EQ(CheckpointJson(checkpoint), kWorkedLine);
}

TEST(Checkpoint, SignatureCoversExactlyTheSignedMessage) {
  const Ed25519SigningKey key = KeyFromSeedHex(kTest1Seed);
  const Checkpoint checkpoint = WorkedCheckpoint();
  EXPECT_TRUE(
      Ed25519Verify(key.PublicKey(), CheckpointSignedMessage(checkpoint), checkpoint.signature));
  // Without the context line the same signature means nothing: it cannot be replayed as a
  // signature over some other protocol's bare JSON.
  EXPECT_FALSE(Ed25519Verify(key.PublicKey(), kWorkedUnsigned, checkpoint.signature));
}

TEST(Checkpoint, VerifiesWithItsSigningKey) {
  // Verifies P11-01: a good record verifies.
  const Ed25519SigningKey key = KeyFromSeedHex(kTest1Seed);
  const Status status = VerifyCheckpointSignature(WorkedCheckpoint(), key.PublicKey());
  EXPECT_TRUE(status.has_value()) << status.error().ToString();
  const Checkpoint empty = SignCheckpoint(0, Sha256::Of(""), kWorkedTime, key);
  EXPECT_TRUE(VerifyCheckpointSignature(empty, key.PublicKey()).has_value());
}

TEST(Checkpoint, RefusesAnotherKeyNamingBothKeyIds) {
  const Ed25519SigningKey other = OtherKey();
  const Status status = VerifyCheckpointSignature(WorkedCheckpoint(), other.PublicKey());
  EXPECT_TRUE(RefusedAsDataLoss(status, "signed by key " + std::string(kTest1KeyId) +
                                            ", not by the ledger's key " +
                                            other.PublicKey().KeyId().Hex()));
}

TEST(Checkpoint, RefusesASignatureByAnotherKeyUnderTheRightKeyId) {
  // A forger who copies the ledger's key id but signs with their own key.
  const Ed25519SigningKey ledger_key = KeyFromSeedHex(kTest1Seed);
  Checkpoint forged = SignCheckpoint(1, WorkedRoot(), kWorkedTime, OtherKey());
  forged.key_id = ledger_key.PublicKey().KeyId();
  EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(forged, ledger_key.PublicKey()),
                                "signature does not verify"));
}

TEST(Checkpoint, RefusesAnyTamperedField) {
  // Verifies P11-01: an altered record is told apart from a good one.
  const Ed25519PublicKey key = KeyFromSeedHex(kTest1Seed).PublicKey();
  const Checkpoint good = WorkedCheckpoint();

  Checkpoint tree_size = good;
  tree_size.tree_size = 2;
  EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(tree_size, key), "does not verify"));

  Checkpoint root = good;
  root.root_hash.bytes[0] ^= 0x01;
  EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(root, key), "does not verify"));

  Checkpoint time = good;
  time.time = Timestamp::FromMicros(good.time.Micros() - 1);
  EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(time, key), "does not verify"));

  Checkpoint key_id = good;
  key_id.key_id.bytes[31] ^= 0x80;
  EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(key_id, key), "signed by key"));

  for (std::size_t byte = 0; byte < good.signature.size(); ++byte) {
    Checkpoint signature = good;
    signature.signature[byte] ^= 0x04;
    EXPECT_TRUE(RefusedAsDataLoss(VerifyCheckpointSignature(signature, key), "does not verify"))
        << "signature byte " << byte;
  }
}

TEST(Checkpoint, JsonIsOneCanonicalObjectWithTheSignatureInSortedPosition) {
  const Ed25519SigningKey key = KeyFromSeedHex(kTest1Seed);
  const Checkpoint checkpoint =
      SignCheckpoint(9007199254740991ULL, Sha256::Of("r"), Timestamp::FromMicros(-1), key);
  const std::string json = CheckpointJson(checkpoint);
  EXPECT_EQ(json, R"({"key_id":")" + key.PublicKey().KeyId().Hex() + R"(","root_hash":")" +
                      Sha256::Of("r").Hex() + R"(","signature":")" +
                      HexEncode(checkpoint.signature) +
                      R"(","time":"1969-12-31T23:59:59.999999Z","tree_size":9007199254740991})");
}

TEST(Checkpoint, PublicKeyJsonNamesAlgorithmKeyIdAndKey) {
  const Ed25519PublicKey key = KeyFromSeedHex(kTest1Seed).PublicKey();
  EXPECT_EQ(PublicKeyJson(key),
            R"({"algorithm":"ed25519",)"
            R"("key_id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9",)"
            R"("public_key":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"})");
}

}  // namespace
}  // namespace aliquot::ledger
