// The RFC 9162 (Certificate Transparency 2.0) Merkle tree over the ledger's events: tree heads,
// inclusion proofs (this event is in the ledger) and consistency proofs (this ledger extends that
// one, so nothing was rewritten or truncated). Leaf i is the hash of event seq i + 1.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/core/sha256.h"

namespace aliquot::ledger {

// RFC 9162 section 2.1.1: SHA-256(0x00 || data).
Hash256 LeafHash(std::span<const std::uint8_t> leaf_data);
// RFC 9162 section 2.1.1: SHA-256(0x01 || left || right).
Hash256 NodeHash(const Hash256& left, const Hash256& right);
// The root of the empty tree: SHA-256 of the empty string.
Hash256 EmptyRoot();

// The tree's right edge (one hash per set bit of the size): appends in amortised O(1) and gives
// the root at the current size in O(log n) without keeping the leaves. The verifier runs one
// over the whole ledger and compares its root with each checkpoint as it reaches its size.
class MerkleFrontier {
 public:
  // A frontier stored elsewhere (a database shared by several servers): its size and Peaks().
  // Returns kDataLoss unless there is one peak per one bit of `size`.
  static Result<MerkleFrontier> FromPeaks(std::uint64_t size, std::vector<Hash256> peaks);

  void Append(const Hash256& leaf_hash);
  std::uint64_t Size() const { return size_; }
  Hash256 Root() const;
  // Roots of the perfect subtrees along the right edge, largest first: one per one bit of Size().
  const std::vector<Hash256>& Peaks() const { return peaks_; }

 private:
  std::uint64_t size_ = 0;
  // Roots of the perfect subtrees along the right edge, largest (leftmost) first.
  std::vector<Hash256> peaks_;
};

// MTH(D[n]) of RFC 9162 section 2.1.1 over the given leaf hashes.
Hash256 MerkleRoot(std::span<const Hash256> leaf_hashes);

// The inclusion proof of RFC 9162 section 2.1.3.1 for leaf `index` in the tree of the given leaf
// hashes. Returns kInvalidArgument if index >= leaf_hashes.size().
Result<std::vector<Hash256>> InclusionProof(std::span<const Hash256> leaf_hashes,
                                            std::uint64_t index);

// The consistency proof of RFC 9162 section 2.1.4.1 between the tree of the first `old_size` leaves
// and the tree of all of them. Returns kInvalidArgument unless 0 < old_size <= leaf_hashes.size().
Result<std::vector<Hash256>> ConsistencyProof(std::span<const Hash256> leaf_hashes,
                                              std::uint64_t old_size);

// RFC 9162 section 2.1.3.2. Returns kDataLoss, saying which check failed, if the proof does not
// lead from the leaf to the root; kInvalidArgument if index >= tree_size.
Status VerifyInclusion(std::uint64_t index, std::uint64_t tree_size, const Hash256& leaf_hash,
                       std::span<const Hash256> proof, const Hash256& root);

// RFC 9162 section 2.1.4.2. Returns kDataLoss if the proof does not show that the tree of size
// new_size with root new_root extends the tree of size old_size with root old_root.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash256& old_root,
                         const Hash256& new_root, std::span<const Hash256> proof);

}  // namespace aliquot::ledger
