#include "aliquot/ledger/merkle.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/sha256.h"

namespace aliquot::ledger {
namespace {

// A reference implementation written straight from the recursive definitions of RFC 9162
// section 2.1, sharing no code with merkle.cc: a split found by doubling and subtrees copied into
// vectors of their own.
Sha256& ReferenceHasher() {
  // Reused, because constructing a Sha256 allocates and the sanitizers make that slow.
  static Sha256* const kHasher = new Sha256();
  return *kHasher;
}

Hash256 ReferenceLeafHash(std::string_view data) {
  return ReferenceHasher().Update(std::uint8_t{0x00}).Update(data).Finish();
}

Hash256 ReferenceNodeHash(const Hash256& left, const Hash256& right) {
  return ReferenceHasher()
      .Update(std::uint8_t{0x01})
      .Update(left.bytes)
      .Update(right.bytes)
      .Finish();
}

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string_view AsText(const Hash256& hash) {
  return {reinterpret_cast<const char*>(hash.bytes.data()), hash.bytes.size()};
}

std::size_t ReferenceSplit(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

std::vector<Hash256> Slice(const std::vector<Hash256>& leaves, std::size_t begin, std::size_t end) {
  return {leaves.begin() + static_cast<std::ptrdiff_t>(begin),
          leaves.begin() + static_cast<std::ptrdiff_t>(end)};
}

// MTH(D[n]).
Hash256 ReferenceRoot(const std::vector<Hash256>& leaves) {
  if (leaves.empty()) {
    return Sha256::Of(std::string_view());
  }
  if (leaves.size() == 1) {
    return leaves[0];
  }
  const std::size_t k = ReferenceSplit(leaves.size());
  return ReferenceNodeHash(ReferenceRoot(Slice(leaves, 0, k)),
                           ReferenceRoot(Slice(leaves, k, leaves.size())));
}

std::vector<Hash256> Concat(std::vector<Hash256> head, const Hash256& tail) {
  head.push_back(tail);
  return head;
}

// PATH(m, D[n]).
std::vector<Hash256> ReferencePath(std::size_t m, const std::vector<Hash256>& leaves) {
  const std::size_t n = leaves.size();
  if (n == 1) {
    return {};
  }
  const std::size_t k = ReferenceSplit(n);
  if (m < k) {
    return Concat(ReferencePath(m, Slice(leaves, 0, k)), ReferenceRoot(Slice(leaves, k, n)));
  }
  return Concat(ReferencePath(m - k, Slice(leaves, k, n)), ReferenceRoot(Slice(leaves, 0, k)));
}

// SUBPROOF(m, D[n], b), with the RFC's own boolean.
std::vector<Hash256> ReferenceSubproof(std::size_t m, const std::vector<Hash256>& leaves, bool b) {
  const std::size_t n = leaves.size();
  if (m == n) {
    return b ? std::vector<Hash256>{} : std::vector<Hash256>{ReferenceRoot(leaves)};
  }
  const std::size_t k = ReferenceSplit(n);
  if (m <= k) {
    return Concat(ReferenceSubproof(m, Slice(leaves, 0, k), b), ReferenceRoot(Slice(leaves, k, n)));
  }
  return Concat(ReferenceSubproof(m - k, Slice(leaves, k, n), false),
                ReferenceRoot(Slice(leaves, 0, k)));
}

// PROOF(m, D[n]).
std::vector<Hash256> ReferenceConsistencyProof(std::size_t m, const std::vector<Hash256>& leaves) {
  return ReferenceSubproof(m, leaves, true);
}

// Distinct leaf hashes; distinct leaves make every subtree hash distinct, so any tampering shows.
std::vector<Hash256> MakeLeaves(std::size_t count, std::uint64_t salt = 0) {
  std::vector<Hash256> leaves;
  leaves.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    leaves.push_back(ReferenceLeafHash("event " + std::to_string(salt) + "/" + std::to_string(i)));
  }
  return leaves;
}

Hash256 FromHex(std::string_view hex) {
  auto hash = Hash256::FromHex(hex);
  EXPECT_TRUE(hash.has_value()) << hex;
  return hash.value_or(Hash256{});
}

std::vector<Hash256> FromHex(const std::vector<std::string_view>& hexes) {
  std::vector<Hash256> hashes;
  hashes.reserve(hexes.size());
  for (std::string_view hex : hexes) {
    hashes.push_back(FromHex(hex));
  }
  return hashes;
}

// Hashes as hex, so that a failed comparison prints something a person can read.
std::vector<std::string> Hex(const std::vector<Hash256>& hashes) {
  std::vector<std::string> hexes;
  hexes.reserve(hashes.size());
  for (const Hash256& hash : hashes) {
    hexes.push_back(hash.Hex());
  }
  return hexes;
}

std::vector<std::string> HexOrError(const Result<std::vector<Hash256>>& hashes) {
  if (!hashes) {
    return {hashes.error().ToString()};
  }
  return Hex(*hashes);
}

Hash256 FlipBit(Hash256 hash, std::size_t bit) {
  auto& byte = hash.bytes[bit / 8];
  byte = static_cast<std::uint8_t>(byte ^ (1U << (bit % 8)));
  return hash;
}

// Every bit costs a verification per bit per proof hash, too slow under the sanitizers for every
// tree up to 64 leaves; larger trees flip one bit per byte, at a different position in each.
enum class Flips { kEveryBit, kOneBitPerByte };

std::vector<std::size_t> BitsToFlip(Flips flips) {
  std::vector<std::size_t> bits;
  for (std::size_t byte = 0; byte < 32; ++byte) {
    if (flips == Flips::kEveryBit) {
      for (std::size_t bit = 0; bit < 8; ++bit) {
        bits.push_back(byte * 8 + bit);
      }
    } else {
      bits.push_back(byte * 8 + byte % 8);
    }
  }
  return bits;
}

testing::AssertionResult Succeeds(const Status& status) {
  if (status) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << status.error().ToString();
}

testing::AssertionResult FailsWith(const Status& status, ErrorCode code,
                                   std::string_view message = {}) {
  if (status) {
    return testing::AssertionFailure() << "succeeded";
  }
  if (status.error().Code() != code || (!message.empty() && status.error().Message() != message)) {
    return testing::AssertionFailure() << "failed with " << status.error().ToString();
  }
  return testing::AssertionSuccess();
}

std::string WrongLengthMessage(std::string_view kind, std::size_t actual, std::size_t expected) {
  return std::string(kind) + " proof has " + std::to_string(actual) +
         (actual == 1 ? " hash" : " hashes") + ", expected " + std::to_string(expected);
}

constexpr std::size_t kExhaustiveSize = 64;
constexpr std::size_t kEveryBitSize = 16;

// The leaves and roots of every tree the exhaustive tests walk, computed once.
struct Trees {
  std::vector<Hash256> leaves = MakeLeaves(kExhaustiveSize + 1);
  // roots[n] is the root of the first n leaves.
  std::vector<Hash256> roots = [this] {
    std::vector<Hash256> result;
    result.reserve(leaves.size() + 1);
    for (std::size_t n = 0; n <= leaves.size(); ++n) {
      result.push_back(ReferenceRoot(Slice(leaves, 0, n)));
    }
    return result;
  }();

  std::span<const Hash256> First(std::size_t n) const { return std::span(leaves).first(n); }
};

const Trees& ExhaustiveTrees() {
  static const Trees* const kTrees = new Trees();
  return *kTrees;
}

// Certificate Transparency's reference test data (RFC 6962, unchanged by RFC 9162): eight leaves
// and the root of the tree over the first n of them.
constexpr std::array<std::string_view, 8> kCtLeafData = {
    std::string_view(""),
    std::string_view("\x00", 1),
    "\x10",
    "\x20\x21",
    "\x30\x31",
    "\x40\x41\x42\x43",
    "\x50\x51\x52\x53\x54\x55\x56\x57",
    "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
};
constexpr std::array<std::string_view, 8> kCtRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash256> CtLeafHashes() {
  std::vector<Hash256> hashes;
  hashes.reserve(kCtLeafData.size());
  for (std::string_view data : kCtLeafData) {
    hashes.push_back(LeafHash(Bytes(data)));
  }
  return hashes;
}

TEST(MerkleHashes, LeafHashIsSha256OfZeroByteAndData) {
  const std::string data = "seq 1";
  EXPECT_EQ(LeafHash(Bytes(data)), Sha256::Of(std::string("\x00", 1) + data));
  // RFC 6962's empty leaf: the root of Certificate Transparency's one-leaf reference tree.
  EXPECT_EQ(LeafHash({}).Hex(), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(MerkleHashes, NodeHashIsSha256OfOneByteLeftAndRight) {
  const Hash256 left = Sha256::Of("left");
  const Hash256 right = Sha256::Of("right");
  EXPECT_EQ(NodeHash(left, right),
            Sha256::Of("\x01" + std::string(AsText(left)) + std::string(AsText(right))));
  EXPECT_NE(NodeHash(left, right), NodeHash(right, left));
}

TEST(MerkleHashes, LeafAndNodeOverTheSameBytesHashDifferently) {
  const Hash256 left = Sha256::Of("left");
  const Hash256 right = Sha256::Of("right");
  const std::string both = std::string(AsText(left)) + std::string(AsText(right));
  EXPECT_NE(LeafHash(Bytes(both)), NodeHash(left, right));
}

TEST(MerkleTree, EmptyTreeHasTheSha256OfNothingAsRoot) {
  constexpr std::string_view kSha256OfNothing =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(EmptyRoot().Hex(), kSha256OfNothing);
  EXPECT_EQ(MerkleRoot({}).Hex(), kSha256OfNothing);
  const MerkleFrontier frontier;
  EXPECT_EQ(frontier.Size(), 0U);
  EXPECT_EQ(frontier.Root().Hex(), kSha256OfNothing);
}

TEST(MerkleTree, RootsMatchCertificateTransparencyReferenceVectors) {
  const std::vector<Hash256> leaves = CtLeafHashes();
  MerkleFrontier frontier;
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    frontier.Append(leaves[n - 1]);
    EXPECT_EQ(MerkleRoot(std::span(leaves).first(n)).Hex(), kCtRoots[n - 1]) << n;
    EXPECT_EQ(ReferenceRoot(Slice(leaves, 0, n)).Hex(), kCtRoots[n - 1]) << n;
    EXPECT_EQ(frontier.Root().Hex(), kCtRoots[n - 1]) << n;
  }
}

TEST(MerkleTree, InclusionProofsMatchCertificateTransparencyReferenceVectors) {
  struct Vector {
    std::uint64_t index;
    std::size_t size;
    std::vector<std::string_view> proof;
  };
  const std::vector<Vector> vectors = {
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Hash256> leaves = CtLeafHashes();
  for (const Vector& vector : vectors) {
    const std::vector<Hash256> expected = FromHex(vector.proof);
    const auto tree = std::span(leaves).first(vector.size);
    EXPECT_EQ(HexOrError(InclusionProof(tree, vector.index)), Hex(expected))
        << vector.index << " of " << vector.size;
    EXPECT_EQ(Hex(ReferencePath(vector.index, Slice(leaves, 0, vector.size))), Hex(expected));
    EXPECT_TRUE(Succeeds(VerifyInclusion(vector.index, vector.size, leaves[vector.index], expected,
                                         FromHex(kCtRoots[vector.size - 1]))));
  }
}

TEST(MerkleTree, ConsistencyProofsMatchCertificateTransparencyReferenceVectors) {
  struct Vector {
    std::size_t old_size;
    std::size_t new_size;
    std::vector<std::string_view> proof;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Hash256> leaves = CtLeafHashes();
  for (const Vector& vector : vectors) {
    const std::vector<Hash256> expected = FromHex(vector.proof);
    const auto tree = std::span(leaves).first(vector.new_size);
    EXPECT_EQ(HexOrError(ConsistencyProof(tree, vector.old_size)), Hex(expected))
        << vector.old_size << " to " << vector.new_size;
    EXPECT_EQ(Hex(ReferenceConsistencyProof(vector.old_size, Slice(leaves, 0, vector.new_size))),
              Hex(expected));
    EXPECT_TRUE(Succeeds(VerifyConsistency(vector.old_size, vector.new_size,
                                           FromHex(kCtRoots[vector.old_size - 1]),
                                           FromHex(kCtRoots[vector.new_size - 1]), expected)));
  }
}

TEST(MerkleTree, RootEqualsTheReferenceRootAtEverySizeUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 0; n <= kExhaustiveSize; ++n) {
    EXPECT_EQ(MerkleRoot(trees.First(n)).Hex(), trees.roots[n].Hex()) << n;
  }
}

TEST(MerkleFrontier, RootEqualsMerkleRootAtEverySizeUpTo1024) {
  const std::vector<Hash256> leaves = MakeLeaves(1024);
  MerkleFrontier frontier;
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    frontier.Append(leaves[n - 1]);
    ASSERT_EQ(frontier.Size(), n);
    ASSERT_EQ(frontier.Root().Hex(), MerkleRoot(std::span(leaves).first(n)).Hex()) << n;
  }
}

TEST(MerkleFrontier, RootEqualsTheReferenceRootAtEverySizeUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  MerkleFrontier frontier;
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    frontier.Append(trees.leaves[n - 1]);
    EXPECT_EQ(frontier.Root().Hex(), trees.roots[n].Hex()) << n;
  }
}

TEST(MerkleTree, InclusionProofEqualsTheReferencePathForEveryLeafOfEverySizeUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(HexOrError(InclusionProof(trees.First(n), i)),
                Hex(ReferencePath(i, Slice(trees.leaves, 0, n))))
          << i << " of " << n;
    }
  }
}

TEST(MerkleTree, InclusionProofVerifiesForEveryLeafOfEverySizeUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto proof = InclusionProof(trees.First(n), i);
      ASSERT_TRUE(proof.has_value());
      EXPECT_TRUE(Succeeds(VerifyInclusion(i, n, trees.leaves[i], *proof, trees.roots[n])))
          << i << " of " << n;
    }
  }
}

TEST(MerkleTree, InclusionVerificationRejectsEveryBitFlipInTheProofLeafOrRoot) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    const std::vector<std::size_t> bits =
        BitsToFlip(n <= kEveryBitSize ? Flips::kEveryBit : Flips::kOneBitPerByte);
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<Hash256> proof = InclusionProof(trees.First(n), i).value();
      const Hash256& leaf = trees.leaves[i];
      const Hash256& root = trees.roots[n];
      for (std::size_t bit : bits) {
        for (Hash256& hash : proof) {
          const Hash256 original = hash;
          hash = FlipBit(original, bit);
          EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, proof, root), ErrorCode::kDataLoss,
                                "inclusion proof does not lead to the root"))
              << i << " of " << n << ", bit " << bit;
          hash = original;
        }
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, FlipBit(leaf, bit), proof, root),
                              ErrorCode::kDataLoss, "inclusion proof does not lead to the root"));
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, proof, FlipBit(root, bit)),
                              ErrorCode::kDataLoss, "inclusion proof does not lead to the root"));
      }
    }
  }
}

TEST(MerkleTree, InclusionVerificationRejectsEveryOtherIndex) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Hash256> proof = InclusionProof(trees.First(n), i).value();
      for (std::size_t other = 0; other < n; ++other) {
        if (other == i) {
          continue;
        }
        EXPECT_TRUE(FailsWith(VerifyInclusion(other, n, trees.leaves[i], proof, trees.roots[n]),
                              ErrorCode::kDataLoss))
            << i << " claimed as " << other << " of " << n;
      }
      EXPECT_TRUE(FailsWith(
          VerifyInclusion(n, n, trees.leaves[i], proof, trees.roots[n]),
          ErrorCode::kInvalidArgument,
          "leaf index " + std::to_string(n) + " is outside a tree of size " + std::to_string(n)));
    }
  }
}

TEST(MerkleTree, InclusionVerificationRejectsEveryOtherSizeWithThatSizesRoot) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Hash256> proof = InclusionProof(trees.First(n), i).value();
      for (std::size_t other = 1; other <= kExhaustiveSize + 1; ++other) {
        if (other == n) {
          continue;
        }
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, other, trees.leaves[i], proof, trees.roots[other]),
                              i < other ? ErrorCode::kDataLoss : ErrorCode::kInvalidArgument))
            << i << " of " << n << " claimed in " << other;
      }
    }
  }
}

// The proof binds the size only through the root: leaf 0 climbs a tree of 3 exactly as it climbs
// one of 4. So the size and root a proof is checked against must come from one signed checkpoint.
TEST(MerkleTree, InclusionVerificationTrustsTheSizeThatComesWithTheRoot) {
  const Trees& trees = ExhaustiveTrees();
  const std::vector<Hash256> proof = InclusionProof(trees.First(3), 0).value();
  EXPECT_TRUE(Succeeds(VerifyInclusion(0, 4, trees.leaves[0], proof, trees.roots[3])));
  EXPECT_FALSE(Succeeds(VerifyInclusion(0, 4, trees.leaves[0], proof, trees.roots[4])));
}

TEST(MerkleTree, InclusionVerificationRejectsTruncatedAndExtendedProofs) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Hash256> proof = InclusionProof(trees.First(n), i).value();
      const std::size_t length = proof.size();
      const Hash256& leaf = trees.leaves[i];
      const Hash256& root = trees.roots[n];
      if (length > 0) {
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, std::span(proof).first(length - 1), root),
                              ErrorCode::kDataLoss,
                              WrongLengthMessage("inclusion", length - 1, length)))
            << i << " of " << n;
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, std::span(proof).subspan(1), root),
                              ErrorCode::kDataLoss,
                              WrongLengthMessage("inclusion", length - 1, length)));
      }
      for (const Hash256& extra : {root, Hash256{}, leaf}) {
        std::vector<Hash256> appended = proof;
        appended.push_back(extra);
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, appended, root), ErrorCode::kDataLoss,
                              WrongLengthMessage("inclusion", length + 1, length)))
            << i << " of " << n;
        std::vector<Hash256> prepended = {extra};
        prepended.insert(prepended.end(), proof.begin(), proof.end());
        EXPECT_TRUE(FailsWith(VerifyInclusion(i, n, leaf, prepended, root), ErrorCode::kDataLoss,
                              WrongLengthMessage("inclusion", length + 1, length)));
      }
    }
  }
}

TEST(MerkleTree, InclusionProofRefusesAnIndexOutsideTheTree) {
  const std::vector<Hash256> leaves = MakeLeaves(5);
  EXPECT_TRUE(InclusionProof(leaves, 4).has_value());
  const auto proof = InclusionProof(leaves, 5);
  ASSERT_FALSE(proof.has_value());
  EXPECT_EQ(proof.error().ToString(), "invalid_argument: leaf index 5 is outside a tree of size 5");
  EXPECT_EQ(InclusionProof({}, 0).error().Code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTree, InclusionVerificationRefusesAnIndexOutsideTheTree) {
  const Hash256 leaf = Sha256::Of("leaf");
  EXPECT_TRUE(FailsWith(VerifyInclusion(0, 0, leaf, {}, EmptyRoot()), ErrorCode::kInvalidArgument,
                        "leaf index 0 is outside a tree of size 0"));
  EXPECT_TRUE(FailsWith(VerifyInclusion(7, 3, leaf, {}, leaf), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(FailsWith(VerifyInclusion(UINT64_MAX, UINT64_MAX, leaf, {}, leaf),
                        ErrorCode::kInvalidArgument));
}

TEST(MerkleTree, InclusionVerificationHandlesTheLargestTreeSizes) {
  const Hash256 leaf = Sha256::Of("leaf");
  // The last leaf of a tree of 2^64 - 1 leaves sits below 63 right-edge subtrees.
  EXPECT_TRUE(FailsWith(VerifyInclusion(UINT64_MAX - 1, UINT64_MAX, leaf, {}, leaf),
                        ErrorCode::kDataLoss, WrongLengthMessage("inclusion", 0, 63)));
  EXPECT_TRUE(FailsWith(VerifyInclusion(0, UINT64_MAX, leaf, {}, leaf), ErrorCode::kDataLoss,
                        WrongLengthMessage("inclusion", 0, 64)));
  const std::vector<Hash256> too_long(100, leaf);
  EXPECT_TRUE(FailsWith(VerifyInclusion(0, UINT64_MAX, leaf, too_long, leaf), ErrorCode::kDataLoss,
                        WrongLengthMessage("inclusion", 100, 64)));
}

TEST(MerkleTree, ConsistencyProofEqualsTheReferenceProofForEveryPairOfSizesUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t m = 1; m <= n; ++m) {
      EXPECT_EQ(HexOrError(ConsistencyProof(trees.First(n), m)),
                Hex(ReferenceConsistencyProof(m, Slice(trees.leaves, 0, n))))
          << m << " to " << n;
    }
  }
}

TEST(MerkleTree, ConsistencyProofVerifiesForEveryPairOfSizesUpTo64) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    for (std::size_t m = 1; m <= n; ++m) {
      const auto proof = ConsistencyProof(trees.First(n), m);
      ASSERT_TRUE(proof.has_value());
      EXPECT_TRUE(Succeeds(VerifyConsistency(m, n, trees.roots[m], trees.roots[n], *proof)))
          << m << " to " << n;
    }
  }
}

TEST(MerkleTree, ConsistencyVerificationRejectsEveryBitFlipInTheProofOrRoots) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 2; n <= kExhaustiveSize; ++n) {
    const std::vector<std::size_t> bits =
        BitsToFlip(n <= kEveryBitSize ? Flips::kEveryBit : Flips::kOneBitPerByte);
    for (std::size_t m = 1; m < n; ++m) {
      std::vector<Hash256> proof = ConsistencyProof(trees.First(n), m).value();
      const Hash256& old_root = trees.roots[m];
      const Hash256& new_root = trees.roots[n];
      for (std::size_t bit : bits) {
        for (Hash256& hash : proof) {
          const Hash256 original = hash;
          hash = FlipBit(original, bit);
          EXPECT_TRUE(
              FailsWith(VerifyConsistency(m, n, old_root, new_root, proof), ErrorCode::kDataLoss))
              << m << " to " << n << ", bit " << bit;
          hash = original;
        }
        EXPECT_TRUE(FailsWith(VerifyConsistency(m, n, FlipBit(old_root, bit), new_root, proof),
                              ErrorCode::kDataLoss));
        EXPECT_TRUE(FailsWith(VerifyConsistency(m, n, old_root, FlipBit(new_root, bit), proof),
                              ErrorCode::kDataLoss,
                              "consistency proof does not lead to the new root"));
      }
    }
  }
}

TEST(MerkleTree, ConsistencyVerificationNamesTheRootThatDoesNotMatch) {
  const Trees& trees = ExhaustiveTrees();
  // Old size 6 is not a power of two, so the proof carries the hash the old root is rebuilt from.
  const std::vector<Hash256> proof = ConsistencyProof(trees.First(8), 6).value();
  EXPECT_TRUE(FailsWith(VerifyConsistency(6, 8, trees.roots[5], trees.roots[8], proof),
                        ErrorCode::kDataLoss, "consistency proof does not lead to the old root"));
  EXPECT_TRUE(FailsWith(VerifyConsistency(6, 8, trees.roots[6], trees.roots[7], proof),
                        ErrorCode::kDataLoss, "consistency proof does not lead to the new root"));
  EXPECT_TRUE(FailsWith(VerifyConsistency(6, 8, trees.roots[8], trees.roots[6], proof),
                        ErrorCode::kDataLoss, "consistency proof does not lead to the old root"));
}

TEST(MerkleTree, ConsistencyVerificationRejectsEveryOtherSizeWithThatSizesRoot) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 2; n <= kExhaustiveSize; ++n) {
    for (std::size_t m = 1; m < n; ++m) {
      const std::vector<Hash256> proof = ConsistencyProof(trees.First(n), m).value();
      for (std::size_t other = 1; other <= kExhaustiveSize + 1; ++other) {
        if (other == m) {
          continue;
        }
        EXPECT_TRUE(
            FailsWith(VerifyConsistency(other, n, trees.roots[other], trees.roots[n], proof),
                      other <= n ? ErrorCode::kDataLoss : ErrorCode::kInvalidArgument))
            << m << " to " << n << " claimed from " << other;
      }
      for (std::size_t other = 1; other <= kExhaustiveSize + 1; ++other) {
        if (other == n) {
          continue;
        }
        EXPECT_TRUE(
            FailsWith(VerifyConsistency(m, other, trees.roots[m], trees.roots[other], proof),
                      m <= other ? ErrorCode::kDataLoss : ErrorCode::kInvalidArgument))
            << m << " to " << n << " claimed to " << other;
      }
    }
  }
}

TEST(MerkleTree, ConsistencyVerificationRejectsTruncatedAndExtendedProofs) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 2; n <= kExhaustiveSize; ++n) {
    for (std::size_t m = 1; m < n; ++m) {
      const std::vector<Hash256> proof = ConsistencyProof(trees.First(n), m).value();
      const std::size_t length = proof.size();
      const Hash256& old_root = trees.roots[m];
      const Hash256& new_root = trees.roots[n];
      EXPECT_TRUE(
          FailsWith(VerifyConsistency(m, n, old_root, new_root, std::span(proof).first(length - 1)),
                    ErrorCode::kDataLoss, WrongLengthMessage("consistency", length - 1, length)))
          << m << " to " << n;
      EXPECT_TRUE(
          FailsWith(VerifyConsistency(m, n, old_root, new_root, std::span(proof).subspan(1)),
                    ErrorCode::kDataLoss, WrongLengthMessage("consistency", length - 1, length)));
      EXPECT_TRUE(FailsWith(VerifyConsistency(m, n, old_root, new_root, {}), ErrorCode::kDataLoss,
                            WrongLengthMessage("consistency", 0, length)));
      for (const Hash256& extra : {old_root, new_root, Hash256{}, proof.front()}) {
        std::vector<Hash256> appended = proof;
        appended.push_back(extra);
        EXPECT_TRUE(FailsWith(VerifyConsistency(m, n, old_root, new_root, appended),
                              ErrorCode::kDataLoss,
                              WrongLengthMessage("consistency", length + 1, length)))
            << m << " to " << n;
        std::vector<Hash256> prepended = {extra};
        prepended.insert(prepended.end(), proof.begin(), proof.end());
        EXPECT_TRUE(FailsWith(VerifyConsistency(m, n, old_root, new_root, prepended),
                              ErrorCode::kDataLoss,
                              WrongLengthMessage("consistency", length + 1, length)));
      }
    }
  }
}

TEST(MerkleTree, ConsistencyAtTheSameSizeHoldsExactlyWhenTheRootsAreEqual) {
  const Trees& trees = ExhaustiveTrees();
  for (std::size_t n = 1; n <= kExhaustiveSize; ++n) {
    EXPECT_TRUE(Succeeds(VerifyConsistency(n, n, trees.roots[n], trees.roots[n], {})));
    EXPECT_TRUE(FailsWith(VerifyConsistency(n, n, trees.roots[n], trees.roots[n - 1], {}),
                          ErrorCode::kDataLoss,
                          "trees of the same size " + std::to_string(n) + " have different roots"));
    const std::vector<Hash256> proof = {trees.roots[n]};
    EXPECT_TRUE(FailsWith(VerifyConsistency(n, n, trees.roots[n], trees.roots[n], proof),
                          ErrorCode::kDataLoss, WrongLengthMessage("consistency", 1, 0)));
  }
}

TEST(MerkleTree, ConsistencyProofRefusesSizesOutsideTheTree) {
  const std::vector<Hash256> leaves = MakeLeaves(5);
  EXPECT_EQ(HexOrError(ConsistencyProof(leaves, 5)), std::vector<std::string>{});
  EXPECT_EQ(HexOrError(ConsistencyProof(leaves, 0)),
            std::vector<std::string>{
                "invalid_argument: old tree size 0 is not between 1 and the tree size 5"});
  EXPECT_EQ(HexOrError(ConsistencyProof(leaves, 6)),
            std::vector<std::string>{
                "invalid_argument: old tree size 6 is not between 1 and the tree size 5"});
  EXPECT_EQ(ConsistencyProof({}, 0).error().Code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTree, ConsistencyVerificationRefusesSizesOutOfOrderOrEmpty) {
  const Trees& trees = ExhaustiveTrees();
  EXPECT_TRUE(FailsWith(VerifyConsistency(0, 3, EmptyRoot(), trees.roots[3], {}),
                        ErrorCode::kInvalidArgument,
                        "a consistency proof starts from a non-empty tree"));
  EXPECT_TRUE(FailsWith(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}),
                        ErrorCode::kInvalidArgument));
  EXPECT_TRUE(FailsWith(VerifyConsistency(4, 3, trees.roots[4], trees.roots[3], {}),
                        ErrorCode::kInvalidArgument,
                        "old tree size 4 is larger than new tree size 3"));
}

TEST(MerkleTree, ConsistencyVerificationHandlesTheLargestTreeSizes) {
  const Hash256 hash = Sha256::Of("hash");
  EXPECT_TRUE(FailsWith(VerifyConsistency(1, UINT64_MAX, hash, hash, {}), ErrorCode::kDataLoss,
                        WrongLengthMessage("consistency", 0, 64)));
  EXPECT_TRUE(FailsWith(VerifyConsistency(UINT64_MAX - 1, UINT64_MAX, hash, hash, {}),
                        ErrorCode::kDataLoss, WrongLengthMessage("consistency", 0, 64)));
  const std::vector<Hash256> too_long(100, hash);
  EXPECT_TRUE(FailsWith(VerifyConsistency(3, UINT64_MAX, hash, hash, too_long),
                        ErrorCode::kDataLoss, WrongLengthMessage("consistency", 100, 65)));
}

// The ledger's own scale: proofs come from a span of a million leaf hashes without copying it.
TEST(MerkleTree, ProofsOverAMillionLeavesVerify) {
  constexpr std::size_t kSize = 1'000'000;
  std::vector<Hash256> leaves;
  leaves.reserve(kSize);
  MerkleFrontier frontier;
  for (std::size_t i = 0; i < kSize; ++i) {
    Hash256 leaf;
    for (std::size_t byte = 0; byte < 8; ++byte) {
      leaf.bytes[byte] = static_cast<std::uint8_t>(i >> (8 * byte));
    }
    leaves.push_back(leaf);
    frontier.Append(leaf);
  }
  const Hash256 root = MerkleRoot(leaves);
  EXPECT_EQ(frontier.Root().Hex(), root.Hex());
  const std::uint64_t index = 765'432;
  const auto inclusion = InclusionProof(leaves, index);
  ASSERT_TRUE(inclusion.has_value());
  EXPECT_EQ(inclusion->size(), 20U);
  EXPECT_TRUE(Succeeds(VerifyInclusion(index, kSize, leaves[index], *inclusion, root)));
  const std::uint64_t old_size = 123'457;
  const auto consistency = ConsistencyProof(leaves, old_size);
  ASSERT_TRUE(consistency.has_value());
  const Hash256 old_root = MerkleRoot(std::span(leaves).first(old_size));
  EXPECT_TRUE(Succeeds(VerifyConsistency(old_size, kSize, old_root, root, *consistency)));
}

RC_GTEST_PROP(MerkleFrontier, RootEqualsMerkleRootAtSampledSizes, ()) {
  const auto size = *rc::gen::inRange<std::size_t>(0, 3001);
  const auto salt = *rc::gen::arbitrary<std::uint64_t>();
  auto checks =
      *rc::gen::container<std::vector<std::size_t>>(8, rc::gen::inRange<std::size_t>(0, size + 1));
  checks.push_back(size);
  const std::vector<Hash256> leaves = MakeLeaves(size, salt);
  MerkleFrontier frontier;
  for (std::size_t n = 0; n <= size; ++n) {
    if (n > 0) {
      frontier.Append(leaves[n - 1]);
    }
    if (std::find(checks.begin(), checks.end(), n) == checks.end()) {
      continue;
    }
    RC_ASSERT(frontier.Size() == n);
    RC_ASSERT(frontier.Root() == MerkleRoot(std::span(leaves).first(n)));
  }
}

RC_GTEST_PROP(MerkleTree, InclusionProofVerifiesAndRejectsTampering, ()) {
  const auto size = *rc::gen::inRange<std::size_t>(1, 4001);
  const auto index = *rc::gen::inRange<std::size_t>(0, size);
  const auto salt = *rc::gen::arbitrary<std::uint64_t>();
  const std::vector<Hash256> leaves = MakeLeaves(size, salt);
  const Hash256 root = MerkleRoot(leaves);
  RC_ASSERT(root == ReferenceRoot(leaves));
  std::vector<Hash256> proof = InclusionProof(leaves, index).value();
  RC_ASSERT(proof == ReferencePath(index, leaves));
  RC_ASSERT(VerifyInclusion(index, size, leaves[index], proof, root).has_value());

  const auto other = *rc::gen::distinctFrom(rc::gen::inRange<std::size_t>(0, size + 1), index);
  RC_ASSERT(!VerifyInclusion(other, size, leaves[index], proof, root).has_value());
  std::vector<Hash256> extended = proof;
  extended.push_back(root);
  RC_ASSERT(!VerifyInclusion(index, size, leaves[index], extended, root).has_value());
  if (proof.empty()) {
    return;
  }
  RC_ASSERT(
      !VerifyInclusion(index, size, leaves[index], std::span(proof).first(proof.size() - 1), root)
           .has_value());
  const auto position = *rc::gen::inRange<std::size_t>(0, proof.size());
  const auto bit = *rc::gen::inRange<std::size_t>(0, 256);
  proof[position] = FlipBit(proof[position], bit);
  const Status tampered = VerifyInclusion(index, size, leaves[index], proof, root);
  RC_ASSERT(!tampered.has_value());
  RC_ASSERT(tampered.error().Code() == ErrorCode::kDataLoss);
}

RC_GTEST_PROP(MerkleTree, ConsistencyProofVerifiesAndRejectsTampering, ()) {
  const auto new_size = *rc::gen::inRange<std::size_t>(1, 4001);
  const auto old_size = *rc::gen::inRange<std::size_t>(1, new_size + 1);
  const auto salt = *rc::gen::arbitrary<std::uint64_t>();
  const std::vector<Hash256> leaves = MakeLeaves(new_size, salt);
  const Hash256 new_root = MerkleRoot(leaves);
  const Hash256 old_root = MerkleRoot(std::span(leaves).first(old_size));
  std::vector<Hash256> proof = ConsistencyProof(leaves, old_size).value();
  RC_ASSERT(proof == ReferenceConsistencyProof(old_size, leaves));
  RC_ASSERT(VerifyConsistency(old_size, new_size, old_root, new_root, proof).has_value());

  std::vector<Hash256> extended = proof;
  extended.push_back(new_root);
  RC_ASSERT(!VerifyConsistency(old_size, new_size, old_root, new_root, extended).has_value());
  if (proof.empty()) {
    return;
  }
  RC_ASSERT(!VerifyConsistency(old_size, new_size, old_root, new_root,
                               std::span(proof).first(proof.size() - 1))
                 .has_value());
  const auto other_old_size =
      *rc::gen::distinctFrom(rc::gen::inRange<std::size_t>(1, new_size + 1), old_size);
  RC_ASSERT(!VerifyConsistency(other_old_size, new_size,
                               MerkleRoot(std::span(leaves).first(other_old_size)), new_root, proof)
                 .has_value());
  const auto position = *rc::gen::inRange<std::size_t>(0, proof.size());
  const auto bit = *rc::gen::inRange<std::size_t>(0, 256);
  proof[position] = FlipBit(proof[position], bit);
  const Status tampered = VerifyConsistency(old_size, new_size, old_root, new_root, proof);
  RC_ASSERT(!tampered.has_value());
  RC_ASSERT(tampered.error().Code() == ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace aliquot::ledger
