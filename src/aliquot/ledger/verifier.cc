#include "aliquot/ledger/verifier.h"

#include <string>
#include <utility>

namespace aliquot::ledger {
namespace {

std::string SeqPrefix(std::uint64_t seq) { return "event seq " + std::to_string(seq) + ": "; }

std::string CheckpointName(std::size_t index, const Checkpoint& checkpoint) {
  return "checkpoint " + std::to_string(index + 1) + " (tree size " +
         std::to_string(checkpoint.tree_size) + ", signed " + checkpoint.time.ToRfc3339() + ")";
}

}  // namespace

LedgerVerifier::LedgerVerifier(const Ed25519PublicKey& key, std::vector<Checkpoint> checkpoints,
                               std::optional<Checkpoint> trusted)
    : key_(key), checkpoints_(std::move(checkpoints)), trusted_(trusted) {}

Status LedgerVerifier::CheckOne(const Checkpoint& checkpoint, const std::string& name) {
  if (auto signature = VerifyCheckpointSignature(checkpoint, key_); !signature) {
    return Unexpected(DataLoss(name + ": " + signature.error().Message()));
  }
  if (frontier_.Root() != checkpoint.root_hash) {
    return Unexpected(DataLoss(name + ": the ledger's Merkle root at this size is " +
                               frontier_.Root().Hex() + ", the signed root is " +
                               checkpoint.root_hash.Hex() + ": events up to seq " +
                               std::to_string(checkpoint.tree_size) +
                               " were rewritten or rolled back after the checkpoint was signed"));
  }
  ++checkpoints_checked_;
  return {};
}

Status LedgerVerifier::CheckCheckpointsAtCurrentSize() {
  const std::uint64_t size = frontier_.Size();
  while (next_checkpoint_ < checkpoints_.size() &&
         checkpoints_[next_checkpoint_].tree_size <= size) {
    const Checkpoint& checkpoint = checkpoints_[next_checkpoint_];
    const std::string name = CheckpointName(next_checkpoint_, checkpoint);
    if (next_checkpoint_ > 0) {
      const Checkpoint& previous = checkpoints_[next_checkpoint_ - 1];
      if (checkpoint.tree_size <= previous.tree_size) {
        return Unexpected(DataLoss(name +
                                   ": tree size does not grow beyond the previous "
                                   "checkpoint's " +
                                   std::to_string(previous.tree_size)));
      }
      if (checkpoint.time < previous.time) {
        return Unexpected(DataLoss(name + ": signed before the previous checkpoint"));
      }
    }
    // Checkpoints are reached in increasing size, so one smaller than the current size means the
    // list itself is out of order.
    if (checkpoint.tree_size < size) {
      return Unexpected(DataLoss(name + ": checkpoints are not in increasing tree size"));
    }
    ALIQUOT_RETURN_IF_ERROR(CheckOne(checkpoint, name));
    ++next_checkpoint_;
  }
  if (trusted_ && !trusted_checked_ && trusted_->tree_size == size) {
    ALIQUOT_RETURN_IF_ERROR(CheckOne(
        *trusted_, "trusted checkpoint (tree size " + std::to_string(trusted_->tree_size) + ")"));
    trusted_checked_ = true;
  }
  return {};
}

Status LedgerVerifier::Add(const Event& event) {
  if (frontier_.Size() == 0) ALIQUOT_RETURN_IF_ERROR(CheckCheckpointsAtCurrentSize());
  const std::uint64_t expected = frontier_.Size() + 1;
  if (event.seq != expected) {
    if (event.seq > expected) {
      return Unexpected(DataLoss(SeqPrefix(expected) + "missing: the next event is seq " +
                                 std::to_string(event.seq)));
    }
    return Unexpected(DataLoss(SeqPrefix(expected) + "expected, found seq " +
                               std::to_string(event.seq) +
                               " again (an event is duplicated or out of order)"));
  }
  if (event.prev_hash != last_hash_) {
    return Unexpected(DataLoss(SeqPrefix(event.seq) + "prev_hash " + event.prev_hash.Hex() +
                               " does not match the hash of seq " + std::to_string(event.seq - 1) +
                               " (" + last_hash_.Hex() + ")"));
  }
  const Hash256 computed = hasher_.Hash(event);
  if (computed != event.hash) {
    return Unexpected(DataLoss(SeqPrefix(event.seq) +
                               "hash does not match the event's content (stored " +
                               event.hash.Hex() + ", computed " + computed.Hex() + ")"));
  }
  if (event.time < last_time_) {
    // AL-01: server time only ever moves forward along the ledger.
    return Unexpected(DataLoss(SeqPrefix(event.seq) + "time " + event.time.ToRfc3339() +
                               " is earlier than the previous event's " + last_time_.ToRfc3339()));
  }
  last_hash_ = event.hash;
  last_time_ = event.time;
  frontier_.Append(event.hash);
  return CheckCheckpointsAtCurrentSize();
}

Result<VerifyReport> LedgerVerifier::Finish() {
  ALIQUOT_RETURN_IF_ERROR(CheckCheckpointsAtCurrentSize());
  const std::uint64_t size = frontier_.Size();
  if (next_checkpoint_ < checkpoints_.size()) {
    const Checkpoint& checkpoint = checkpoints_[next_checkpoint_];
    return Unexpected(DataLoss(CheckpointName(next_checkpoint_, checkpoint) + ": covers " +
                               std::to_string(checkpoint.tree_size) +
                               " events but the ledger holds " + std::to_string(size) +
                               ": the ledger was truncated after seq " + std::to_string(size)));
  }
  if (trusted_ && !trusted_checked_) {
    return Unexpected(DataLoss("trusted checkpoint: covers " + std::to_string(trusted_->tree_size) +
                               " events but the ledger holds " + std::to_string(size) +
                               ": the ledger was truncated after seq " + std::to_string(size)));
  }
  VerifyReport report;
  report.events = size;
  report.checkpoints = checkpoints_checked_;
  report.head_hash = last_hash_;
  report.root_hash = frontier_.Root();
  return report;
}

}  // namespace aliquot::ledger
