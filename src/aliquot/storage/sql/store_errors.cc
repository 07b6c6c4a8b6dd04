#include "aliquot/storage/sql/store_errors.h"

#include <string>

namespace aliquot::storage {

Error StreamMoved(const ledger::StreamRef& stream, std::uint64_t head, std::uint64_t expected) {
  return Aborted("stream " + stream.type + "/" + stream.id + " changed concurrently (last seq " +
                 std::to_string(head) + ", expected " + std::to_string(expected) + "); retry");
}

Error CheckpointRefused(const ledger::Checkpoint& checkpoint, bool exists) {
  const std::string size = std::to_string(checkpoint.tree_size);
  if (exists) return AlreadyExists("a checkpoint at tree size " + size + " exists");
  return Aborted("a checkpoint at tree size " + size +
                 " would be out of order with one signed meanwhile; sign again");
}

}  // namespace aliquot::storage
