#include "aliquot/ledger/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <string>
#include <string_view>

namespace aliquot::ledger {
namespace {

// RFC 9162 section 2.1.1: the prefixes keep leaf and interior-node hashes apart, so no leaf can
// pose as a subtree (the second-preimage attack on unprefixed Merkle trees).
constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// One hasher per thread, reused: constructing a Sha256 allocates, and NodeHash is on the
// verifier's hot loop. Finish() resets it, so nothing carries from one hash to the next.
Sha256& ThreadHasher() {
  thread_local Sha256 hasher;
  return hasher;
}

// The k of RFC 9162 section 2.1.1: the largest power of two strictly less than n, for n >= 2.
std::size_t SplitPoint(std::size_t n) { return std::bit_floor(n - 1); }

bool IsOdd(std::uint64_t value) { return (value & 1) != 0; }

// MTH of a non-empty run of leaf hashes. Every leaf is hashed into exactly one node per level,
// so the whole tree costs n - 1 node hashes, and the recursion is only log2(n) deep.
Hash256 SubtreeRoot(std::span<const Hash256> leaves) {
  if (leaves.size() == 1) {
    return leaves[0];
  }
  const std::size_t k = SplitPoint(leaves.size());
  return NodeHash(SubtreeRoot(leaves.first(k)), SubtreeRoot(leaves.subspan(k)));
}

// PATH(m, D[n]) of RFC 9162 section 2.1.3.1, appended to `proof`: the sibling nearest the leaf
// comes first, the root's other child last.
void AppendPath(std::size_t index, std::span<const Hash256> leaves, std::vector<Hash256>& proof) {
  if (leaves.size() <= 1) {
    return;
  }
  const std::size_t k = SplitPoint(leaves.size());
  if (index < k) {
    AppendPath(index, leaves.first(k), proof);
    proof.push_back(SubtreeRoot(leaves.subspan(k)));
  } else {
    AppendPath(index - k, leaves.subspan(k), proof);
    proof.push_back(SubtreeRoot(leaves.first(k)));
  }
}

// The b of SUBPROOF(m, D[n], b): whether the subtree at hand is the old tree itself, whose root
// the verifier already holds, or lies on the old tree's right edge, so the proof must carry it.
enum class OldSubtree { kIsWholeOldTree, kIsOnOldRightEdge };

// SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1, appended to `proof`.
void AppendSubproof(std::size_t old_size, std::span<const Hash256> leaves, OldSubtree old_subtree,
                    std::vector<Hash256>& proof) {
  if (old_size == leaves.size()) {
    if (old_subtree == OldSubtree::kIsOnOldRightEdge) {
      proof.push_back(SubtreeRoot(leaves));
    }
    return;
  }
  const std::size_t k = SplitPoint(leaves.size());
  if (old_size <= k) {
    AppendSubproof(old_size, leaves.first(k), old_subtree, proof);
    proof.push_back(SubtreeRoot(leaves.subspan(k)));
  } else {
    AppendSubproof(old_size - k, leaves.subspan(k), OldSubtree::kIsOnOldRightEdge, proof);
    proof.push_back(SubtreeRoot(leaves.first(k)));
  }
}

// The number of hashes in PATH(index, D[size]), for index < size. Below the level where the paths
// to `index` and to the last leaf part, the leaf's subtree is perfect and each level gives one
// sibling; above it, the path runs along the right edge and gives a sibling at each set bit.
std::size_t InclusionProofLength(std::uint64_t index, std::uint64_t size) {
  const auto inner = static_cast<std::size_t>(std::bit_width(index ^ (size - 1)));
  const std::size_t border =
      inner < 64 ? static_cast<std::size_t>(std::popcount(index >> inner)) : 0;
  return inner + border;
}

// The number of hashes in PROOF(old_size, D[new_size]), for 0 < old_size < new_size: the
// inclusion path of the old tree's last leaf, less the levels inside the old tree's rightmost
// perfect subtree, plus that subtree's root unless it is the whole old tree.
std::size_t ConsistencyProofLength(std::uint64_t old_size, std::uint64_t new_size) {
  const auto inner = static_cast<std::size_t>(std::bit_width((old_size - 1) ^ (new_size - 1)));
  const std::size_t border =
      inner < 64 ? static_cast<std::size_t>(std::popcount((old_size - 1) >> inner)) : 0;
  // Fewer than `inner`: the old and new sizes part above the old tree's rightmost perfect subtree.
  const auto shift = static_cast<std::size_t>(std::countr_zero(old_size));
  const std::size_t start = std::has_single_bit(old_size) ? 0 : 1;
  return start + (inner - shift) + border;
}

Error WrongLength(std::string_view kind, std::size_t actual, std::size_t expected) {
  return DataLoss(std::string(kind) + " proof has " + std::to_string(actual) +
                  (actual == 1 ? " hash" : " hashes") + ", expected " + std::to_string(expected));
}

}  // namespace

Hash256 LeafHash(std::span<const std::uint8_t> leaf_data) {
  return ThreadHasher().Update(kLeafPrefix).Update(leaf_data).Finish();
}

Hash256 NodeHash(const Hash256& left, const Hash256& right) {
  // One Update instead of three: this is the verifier's innermost call.
  std::array<std::uint8_t, 1 + 2 * sizeof(Hash256::bytes)> input{};
  input[0] = kNodePrefix;
  auto end = std::copy(left.bytes.begin(), left.bytes.end(), input.begin() + 1);
  std::copy(right.bytes.begin(), right.bytes.end(), end);
  return ThreadHasher().Update(input).Finish();
}

Hash256 EmptyRoot() {
  static const Hash256 kEmptyRoot = Sha256::Of(std::string_view());
  return kEmptyRoot;
}

Result<MerkleFrontier> MerkleFrontier::FromPeaks(std::uint64_t size, std::vector<Hash256> peaks) {
  if (static_cast<std::size_t>(std::popcount(size)) != peaks.size()) {
    return Unexpected(DataLoss("a Merkle frontier of " + std::to_string(size) + " leaves has " +
                               std::to_string(std::popcount(size)) + " peaks, not " +
                               std::to_string(peaks.size())));
  }
  MerkleFrontier frontier;
  frontier.size_ = size;
  frontier.peaks_ = std::move(peaks);
  return frontier;
}

void MerkleFrontier::Append(const Hash256& leaf_hash) {
  // Like a carry in binary addition: each trailing one bit of the old size is a perfect subtree
  // of the same size as the one being carried, and the two merge into the next size up.
  Hash256 carry = leaf_hash;
  for (std::uint64_t size = size_; IsOdd(size); size >>= 1) {
    carry = NodeHash(peaks_.back(), carry);
    peaks_.pop_back();
  }
  peaks_.push_back(carry);
  ++size_;
}

Hash256 MerkleFrontier::Root() const {
  if (peaks_.empty()) {
    return EmptyRoot();
  }
  // MTH splits off the largest perfect subtree on the left at every level, so the root folds the
  // peaks from the right.
  Hash256 root = peaks_.back();
  for (auto peak = peaks_.rbegin() + 1; peak != peaks_.rend(); ++peak) {
    root = NodeHash(*peak, root);
  }
  return root;
}

Hash256 MerkleRoot(std::span<const Hash256> leaf_hashes) {
  if (leaf_hashes.empty()) {
    return EmptyRoot();
  }
  return SubtreeRoot(leaf_hashes);
}

Result<std::vector<Hash256>> InclusionProof(std::span<const Hash256> leaf_hashes,
                                            std::uint64_t index) {
  if (index >= leaf_hashes.size()) {
    return Unexpected(InvalidArgument("leaf index " + std::to_string(index) +
                                      " is outside a tree of size " +
                                      std::to_string(leaf_hashes.size())));
  }
  std::vector<Hash256> proof;
  proof.reserve(InclusionProofLength(index, leaf_hashes.size()));
  AppendPath(static_cast<std::size_t>(index), leaf_hashes, proof);
  return proof;
}

Result<std::vector<Hash256>> ConsistencyProof(std::span<const Hash256> leaf_hashes,
                                              std::uint64_t old_size) {
  if (old_size == 0 || old_size > leaf_hashes.size()) {
    return Unexpected(InvalidArgument("old tree size " + std::to_string(old_size) +
                                      " is not between 1 and the tree size " +
                                      std::to_string(leaf_hashes.size())));
  }
  std::vector<Hash256> proof;
  if (old_size == leaf_hashes.size()) {
    return proof;
  }
  proof.reserve(ConsistencyProofLength(old_size, leaf_hashes.size()));
  AppendSubproof(static_cast<std::size_t>(old_size), leaf_hashes, OldSubtree::kIsWholeOldTree,
                 proof);
  return proof;
}

Status VerifyInclusion(std::uint64_t index, std::uint64_t tree_size, const Hash256& leaf_hash,
                       std::span<const Hash256> proof, const Hash256& root) {
  // The numbered steps are those of RFC 9162 section 2.1.3.2.
  // 1.
  if (index >= tree_size) {
    return Unexpected(InvalidArgument("leaf index " + std::to_string(index) +
                                      " is outside a tree of size " + std::to_string(tree_size)));
  }
  // 2. and 3.
  std::uint64_t fn = index;
  std::uint64_t sn = tree_size - 1;
  Hash256 r = leaf_hash;
  // 4.
  for (const Hash256& p : proof) {
    // 4a. The path has reached the root and the proof still has hashes.
    if (sn == 0) {
      return Unexpected(
          WrongLength("inclusion", proof.size(), InclusionProofLength(index, tree_size)));
    }
    // 4b. The subtree holding the leaf is a right child, or the last node of its level, which
    // moves up unhashed until it is one; either way p is its left sibling.
    if (IsOdd(fn) || fn == sn) {
      r = NodeHash(p, r);
      while (fn != 0 && !IsOdd(fn)) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    // 4c.
    fn >>= 1;
    sn >>= 1;
  }
  // 5.
  if (sn != 0) {
    return Unexpected(
        WrongLength("inclusion", proof.size(), InclusionProofLength(index, tree_size)));
  }
  if (r != root) {
    return Unexpected(DataLoss("inclusion proof does not lead to the root"));
  }
  return {};
}

Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash256& old_root,
                         const Hash256& new_root, std::span<const Hash256> proof) {
  if (old_size == 0) {
    return Unexpected(InvalidArgument("a consistency proof starts from a non-empty tree"));
  }
  if (old_size > new_size) {
    return Unexpected(InvalidArgument("old tree size " + std::to_string(old_size) +
                                      " is larger than new tree size " + std::to_string(new_size)));
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return Unexpected(WrongLength("consistency", proof.size(), 0));
    }
    if (old_root != new_root) {
      return Unexpected(
          DataLoss("trees of the same size " + std::to_string(old_size) + " have different roots"));
    }
    return {};
  }
  // The numbered steps are those of RFC 9162 section 2.1.4.2.
  // 1.
  if (proof.empty()) {
    return Unexpected(WrongLength("consistency", 0, ConsistencyProofLength(old_size, new_size)));
  }
  // 2. When the old size is a power of two, the old tree is a perfect subtree of the new one and
  // the proof leaves out its root, which the verifier holds.
  Hash256 seed = old_root;
  std::span<const Hash256> path = proof;
  if (!std::has_single_bit(old_size)) {
    seed = proof.front();
    path = proof.subspan(1);
  }
  // 3.
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  // 4. Skip the levels inside the old tree's rightmost perfect subtree, whose root is the seed.
  while (IsOdd(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  // 5. fr rebuilds the old root and sr the new one from the same hashes.
  Hash256 fr = seed;
  Hash256 sr = seed;
  // 6.
  for (const Hash256& c : path) {
    // 6a.
    if (sn == 0) {
      return Unexpected(
          WrongLength("consistency", proof.size(), ConsistencyProofLength(old_size, new_size)));
    }
    // 6b. A left sibling belongs to both trees; a right sibling only to the new one.
    if (IsOdd(fn) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (fn != 0 && !IsOdd(fn)) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    // 6c.
    fn >>= 1;
    sn >>= 1;
  }
  // 7.
  if (sn != 0) {
    return Unexpected(
        WrongLength("consistency", proof.size(), ConsistencyProofLength(old_size, new_size)));
  }
  if (fr != old_root) {
    return Unexpected(DataLoss("consistency proof does not lead to the old root"));
  }
  if (sr != new_root) {
    return Unexpected(DataLoss("consistency proof does not lead to the new root"));
  }
  return {};
}

}  // namespace aliquot::ledger
