#include "aliquot/app/store_copy.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
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

// Every blob's description, in sha256 order.
Result<std::vector<BlobInfo>> ListBlobs(BlobStore& blobs) {
  std::vector<BlobInfo> infos;
  ALIQUOT_RETURN_IF_ERROR(blobs.ScanBlobs([&](const BlobInfo& info) -> Status {
    infos.push_back(info);
    return {};
  }));
  return infos;
}

std::string Describe(const BlobInfo& info) {
  return info.sha256 + " (" + info.media_type + ", " + std::to_string(info.size) +
         " bytes, stored " + info.stored_at.ToRfc3339() + ")";
}

// The target may hold some of the source's blobs already, as a copy interrupted before its first
// event leaves it, but nothing else: a file of another site is not this site's record.
Status CheckTargetBlobs(const std::vector<BlobInfo>& source, BlobStore& target) {
  return target.ScanBlobs([&](const BlobInfo& info) -> Status {
    const auto found = std::lower_bound(
        source.begin(), source.end(), info.sha256,
        [](const BlobInfo& a, const std::string& sha256) { return a.sha256 < sha256; });
    if (found == source.end() || *found != info) {
      return Unexpected(FailedPrecondition("the target already holds file " + Describe(info) +
                                           ", which the source does not; copy only into an "
                                           "empty database"));
    }
    return {};
  });
}

// Copies one blob and reads it back from the target, which re-hashes it there.
Status CopyBlob(const BlobInfo& info, BlobStore& source, BlobStore& target, CopySummary& summary) {
  {
    // GetBlob re-hashes the bytes: a file altered in the source is reported, never carried over
    // as if it were the one the record cites.
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<std::string> bytes, source.GetBlob(info.sha256));
    if (!bytes) {
      return Unexpected(DataLoss("the source lists file " + info.sha256 +
                                 " but holds no content under that name"));
    }
    if (bytes->size() != info.size) {
      return Unexpected(DataLoss("the source describes file " + info.sha256 + " as " +
                                 std::to_string(info.size) + " bytes but holds " +
                                 std::to_string(bytes->size())));
    }
    ALIQUOT_RETURN_IF_ERROR(target.ImportBlob(*bytes, info));
  }
  // Read back once the source's bytes are gone, so a large file is in memory once at a time.
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<std::string> copied, target.GetBlob(info.sha256));
  if (!copied || copied->size() != info.size) {
    return Unexpected(DataLoss("file " + info.sha256 + " does not read back from the target"));
  }
  ++summary.files;
  summary.file_bytes += info.size;
  return {};
}

}  // namespace

Result<CopySummary> CopyStore(Store& source, BlobStore& source_blobs, Store& target,
                              BlobStore& target_blobs, const Projector& projector,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead target_head, target.Head());
  if (target_head.size > 0) {
    return Unexpected(FailedPrecondition("the target already holds a ledger (" +
                                         std::to_string(target_head.size) +
                                         " events); copy only into an empty database"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<BlobInfo> source_files, ListBlobs(source_blobs));
  ALIQUOT_RETURN_IF_ERROR(CheckTargetBlobs(source_files, target_blobs));
  CopySummary summary;
  // Files first: the events that cite them then never reach a target without them.
  for (const BlobInfo& info : source_files) {
    if (auto copied = CopyBlob(info, source_blobs, target_blobs, summary); !copied) {
      return Unexpected(copied.error().WithContext("copying file " + info.sha256));
    }
  }
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead head, source.Head());
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
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<BlobInfo> target_files, ListBlobs(target_blobs));
  if (target_files != source_files) {
    const auto [in_source, in_target] = std::mismatch(source_files.begin(), source_files.end(),
                                                      target_files.begin(), target_files.end());
    return Unexpected(DataLoss(
        "the copy's files differ from the source's: the source holds " +
        (in_source == source_files.end() ? std::string("nothing more") : Describe(*in_source)) +
        " where the copy holds " +
        (in_target == target_files.end() ? std::string("nothing more") : Describe(*in_target))));
  }
  summary.root_hash = copied.root_hash;
  return summary;
}

}  // namespace aliquot::app
