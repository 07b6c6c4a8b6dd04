// Checkpoint: the server's signed statement "the ledger had tree_size events with this Merkle root
// at this time". A copy kept outside the system lets anyone detect truncation or rollback later.
#pragma once

#include <cstdint>
#include <string>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::ledger {

struct Checkpoint {
  std::uint64_t tree_size = 0;
  Hash256 root_hash;
  Timestamp time;
  Hash256 key_id;  // SHA-256 of the signing key's public key.
  Ed25519Signature signature{};
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The exact bytes signed: "aliquot-checkpoint-v1\n" and the canonical JSON of the checkpoint
// without its signature (docs/ledger-format.md).
std::string CheckpointSignedMessage(const Checkpoint& checkpoint);

// Signs the tree head with `key`.
Checkpoint SignCheckpoint(std::uint64_t tree_size, const Hash256& root_hash, Timestamp time,
                          const Ed25519SigningKey& key);

// Returns kDataLoss if the checkpoint names another key or its signature does not verify.
Status VerifyCheckpointSignature(const Checkpoint& checkpoint, const Ed25519PublicKey& key);

// The checkpoint as one canonical JSON object (a line of checkpoints.jsonl).
std::string CheckpointJson(const Checkpoint& checkpoint);

// The public key as the canonical JSON object of public_key.json.
std::string PublicKeyJson(const Ed25519PublicKey& key);

}  // namespace aliquot::ledger
