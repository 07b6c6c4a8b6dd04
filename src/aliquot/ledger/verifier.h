// LedgerVerifier: one pass over the ledger in sequence order that checks everything the ledger
// can prove about itself: numbering, the hash chain, each event's hash, the Merkle root at every
// signed checkpoint, the signatures, and an auditor's externally kept checkpoint.
// 21 CFR 11.10(a) (P11-01): the system can tell an altered record from a good one.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"

namespace aliquot::ledger {

struct VerifyReport {
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;  // Checkpoints checked, including a trusted one.
  Hash256 head_hash;              // Hash of the last event (all zeros when empty).
  Hash256 root_hash;              // Merkle root over all events.
};

class LedgerVerifier {
 public:
  // `checkpoints` are the ledger's own, in increasing tree size; `trusted` is a checkpoint the
  // auditor kept outside the system, if any.
  LedgerVerifier(const Ed25519PublicKey& key, std::vector<Checkpoint> checkpoints,
                 std::optional<Checkpoint> trusted = std::nullopt);

  // Checks the next event. Returns kDataLoss naming the first bad sequence number and what is
  // wrong with it ("event seq 17: hash does not match the event's content"). After an error the
  // verifier is spent: call nothing else.
  Status Add(const Event& event);

  // Checks what only the end can show: checkpoints beyond the last event (truncation).
  Result<VerifyReport> Finish();

  std::uint64_t EventsChecked() const { return frontier_.Size(); }

 private:
  Status CheckCheckpointsAtCurrentSize();
  Status CheckOne(const Checkpoint& checkpoint, const std::string& name);

  Ed25519PublicKey key_;
  std::vector<Checkpoint> checkpoints_;
  std::size_t next_checkpoint_ = 0;
  std::optional<Checkpoint> trusted_;
  bool trusted_checked_ = false;
  std::uint64_t checkpoints_checked_ = 0;
  MerkleFrontier frontier_;
  EventHasher hasher_;
  Hash256 last_hash_ = kGenesisPrevHash;
  Timestamp last_time_;
};

}  // namespace aliquot::ledger
