#include "aliquot/app/store_copy.h"

#include <string>
#include <vector>

namespace aliquot::app {
namespace {

// Events per Import call: one transaction each, so a crash mid-copy leaves a prefix of the
// ledger, which a second run refuses (the target is not empty) rather than extends.
constexpr std::size_t kChunk = 2000;

Status CompareRows(Store& source, Store& target, const TableSpec& table,
                   std::uint64_t& rows_compared) {
  std::vector<Row> expected;
  ALIQUOT_RETURN_IF_ERROR(source.ScanRows(table, [&](const Row& row) -> Status {
    expected.push_back(row);
    return {};
  }));
  std::size_t index = 0;
  ALIQUOT_RETURN_IF_ERROR(target.ScanRows(table, [&](const Row& row) -> Status {
    if (index >= expected.size() || row != expected[index]) {
      return Unexpected(DataLoss("projection table " + table.name +
                                 " differs from the source at row " + std::to_string(index + 1)));
    }
    ++index;
    return {};
  }));
  if (index != expected.size()) {
    return Unexpected(DataLoss("projection table " + table.name + " has " + std::to_string(index) +
                               " rows, the source " + std::to_string(expected.size())));
  }
  rows_compared += index;
  return {};
}

}  // namespace

Result<CopySummary> CopyStore(Store& source, Store& target, const Projector& projector,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead target_head, target.Head());
  if (target_head.size > 0) {
    return Unexpected(FailedPrecondition("the target already holds a ledger (" +
                                         std::to_string(target_head.size) +
                                         " events); copy only into an empty database"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead head, source.Head());
  CopySummary summary;
  ALIQUOT_RETURN_IF_ERROR(source.Read([&](StoreReader& reader) -> Status {
    std::vector<ledger::Event> chunk;
    chunk.reserve(kChunk);
    const auto flush = [&]() -> Status {
      ALIQUOT_RETURN_IF_ERROR(target.Import(chunk));
      summary.events += chunk.size();
      chunk.clear();
      if (progress) progress(summary.events, head.size);
      return {};
    };
    ALIQUOT_RETURN_IF_ERROR(reader.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) {
      chunk.push_back(event);
      return chunk.size() == kChunk ? flush() : Status();
    }));
    if (!chunk.empty()) ALIQUOT_RETURN_IF_ERROR(flush());
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<ledger::Checkpoint> checkpoints, reader.Checkpoints());
    for (const ledger::Checkpoint& checkpoint : checkpoints) {
      ALIQUOT_RETURN_IF_ERROR(target.AddCheckpoint(checkpoint));
    }
    summary.checkpoints = checkpoints.size();
    return {};
  }));
  // The copy is checked against the source, not trusted: head, root, checkpoints, projections.
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead copied, target.Head());
  if (copied.size != head.size || copied.head_hash != head.head_hash ||
      copied.root_hash != head.root_hash) {
    return Unexpected(DataLoss("the copy's head (" + std::to_string(copied.size) +
                               " events, root " + copied.root_hash.Hex() +
                               ") differs from the source's (" + std::to_string(head.size) +
                               " events, root " + head.root_hash.Hex() + ")"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(auto source_checkpoints, source.Checkpoints());
  ALIQUOT_ASSIGN_OR_RETURN(auto target_checkpoints, target.Checkpoints());
  if (source_checkpoints != target_checkpoints) {
    return Unexpected(DataLoss("the copy's checkpoints differ from the source's"));
  }
  for (const TableSpec& table : projector.Tables()) {
    ALIQUOT_RETURN_IF_ERROR(CompareRows(source, target, table, summary.projection_rows));
  }
  summary.root_hash = copied.root_hash;
  return summary;
}

}  // namespace aliquot::app
