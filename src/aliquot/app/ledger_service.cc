#include "aliquot/app/ledger_service.h"

#include <map>
#include <utility>

#include "aliquot/ledger/export_format.h"
#include "aliquot/ledger/merkle.h"

namespace aliquot::app {
namespace {

constexpr std::uint64_t kMaxPage = 1000;

std::string RowKeyText(const TableSpec& table, const Row& row) {
  std::string text;
  for (std::size_t i = 0; i < table.key_columns && i < row.size(); ++i) {
    if (i > 0) text += ", ";
    text += table.columns[i].name + "=" + ValueToString(row[i]);
  }
  return text;
}

// Compares a live projection table with its rebuild; names the first row that differs.
Status CompareTable(const TableSpec& table, const std::vector<Row>& expected,
                    const std::vector<Row>& actual) {
  std::map<Row, const Row*> expected_by_key;
  for (const Row& row : expected) {
    expected_by_key[Row(row.begin(),
                        row.begin() + static_cast<std::ptrdiff_t>(table.key_columns))] = &row;
  }
  for (const Row& row : actual) {
    const Row key(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min(table.key_columns, row.size())));
    const auto found = expected_by_key.find(key);
    if (found == expected_by_key.end()) {
      return Unexpected(DataLoss("projection " + table.name + ": row (" + RowKeyText(table, row) +
                                 ") is not derived from any event: it was inserted behind the "
                                 "system's back"));
    }
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Value& want = (*found->second)[i];
      const Value& have = i < row.size() ? row[i] : Value{};
      if (want != have) {
        return Unexpected(DataLoss("projection " + table.name + ": row (" + RowKeyText(table, row) +
                                   ") column " + table.columns[i].name + " is " +
                                   ValueToString(have) + " but the ledger says " +
                                   ValueToString(want)));
      }
    }
    expected_by_key.erase(found);
  }
  if (!expected_by_key.empty()) {
    return Unexpected(DataLoss("projection " + table.name + ": row (" +
                               RowKeyText(table, *expected_by_key.begin()->second) +
                               ") is missing: it was deleted behind the system's back"));
  }
  return {};
}

// P11-01: every stored file is read back by its name, which GetBlob hashes again (kDataLoss for
// bytes altered behind the system's back), and its description is checked against what was read.
Status VerifyBlobs(BlobStore& blobs, VerifyOutcome& outcome) {
  return blobs.ScanBlobs([&](const BlobInfo& info) -> Status {
    auto bytes = blobs.GetBlob(info.sha256);
    if (!bytes) {
      return Unexpected(bytes.error().WithContext("file " + info.sha256 + " (" + info.media_type +
                                                  ", stored " + info.stored_at.ToRfc3339() + ")"));
    }
    if (!bytes->has_value()) {
      return Unexpected(DataLoss("file " + info.sha256 +
                                 " is listed but no file has that name: its row was edited "
                                 "behind the system's back"));
    }
    if ((*bytes)->size() != info.size) {
      return Unexpected(DataLoss("file " + info.sha256 + " is described as " +
                                 std::to_string(info.size) + " bytes but holds " +
                                 std::to_string((*bytes)->size())));
    }
    ++outcome.files;
    outcome.file_bytes += info.size;
    return {};
  });
}

}  // namespace

LedgerService::LedgerService(Store& store, Clock& clock, const Ed25519SigningKey& key,
                             const Projector& projector)
    : store_(store), clock_(clock), key_(key), projector_(projector) {}

Result<LedgerHead> LedgerService::Head() { return store_.Head(); }

const Ed25519PublicKey& LedgerService::PublicKey() const { return key_.PublicKey(); }

Result<std::vector<ledger::Event>> LedgerService::Events(std::uint64_t from_seq,
                                                         std::uint64_t limit) {
  if (from_seq < 1) return Unexpected(InvalidArgument("from must be at least 1", "from"));
  if (limit < 1 || limit > kMaxPage) {
    return Unexpected(
        InvalidArgument("limit must be between 1 and " + std::to_string(kMaxPage), "limit"));
  }
  std::vector<ledger::Event> events;
  ALIQUOT_RETURN_IF_ERROR(
      store_.ScanEvents(from_seq, from_seq + limit, [&](const ledger::Event& event) -> Status {
        events.push_back(event);
        return {};
      }));
  return events;
}

Result<ledger::Event> LedgerService::EventAt(std::uint64_t seq) {
  ALIQUOT_ASSIGN_OR_RETURN(auto events, Events(std::max<std::uint64_t>(seq, 1), 1));
  if (seq < 1 || events.empty()) {
    return Unexpected(NotFound("there is no event with seq " + std::to_string(seq), "seq"));
  }
  return std::move(events.front());
}

Result<std::vector<ledger::Checkpoint>> LedgerService::Checkpoints() {
  return store_.Checkpoints();
}

Result<std::optional<ledger::Checkpoint>> LedgerService::LatestCheckpoint() {
  return store_.LatestCheckpoint();
}

Result<ledger::Checkpoint> LedgerService::Checkpoint() {
  // Several servers may sign at once; the store refuses a checkpoint out of order with one signed
  // meanwhile (kAborted), and this decides again from what is stored then.
  for (int attempt = 1;; ++attempt) {
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<ledger::Checkpoint> latest, store_.LatestCheckpoint());
    ALIQUOT_ASSIGN_OR_RETURN(LedgerHead head, store_.Head());
    if (latest && latest->tree_size >= head.size) return *latest;
    const Timestamp now = std::max(clock_.Now(), latest ? latest->time : Timestamp());
    ledger::Checkpoint checkpoint = ledger::SignCheckpoint(head.size, head.root_hash, now, key_);
    auto added = store_.AddCheckpoint(checkpoint);
    if (added) return checkpoint;
    if (added.error().Code() == ErrorCode::kAlreadyExists) {
      // Another caller signed the same head a moment ago; theirs is as good.
      ALIQUOT_ASSIGN_OR_RETURN(latest, store_.LatestCheckpoint());
      if (latest) return *latest;
    }
    if (added.error().Code() != ErrorCode::kAborted || attempt == kAppendAttempts) {
      return Unexpected(added.error());
    }
  }
}

Result<std::string> LedgerService::InclusionProofJson(std::uint64_t seq) {
  ALIQUOT_ASSIGN_OR_RETURN(ledger::Event event, EventAt(seq));
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<ledger::Checkpoint> latest, store_.LatestCheckpoint());
  if (!latest || latest->tree_size < seq) {
    ALIQUOT_ASSIGN_OR_RETURN(latest, Checkpoint());
  }
  const ledger::Checkpoint& checkpoint = *latest;
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<Hash256> leaves, store_.EventHashes(checkpoint.tree_size));
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<Hash256> path, ledger::InclusionProof(leaves, seq - 1));
  return ledger::InclusionProofJson(event, path, checkpoint, key_.PublicKey());
}

Result<VerifyOutcome> LedgerService::Verify(const VerifyOptions& options) {
  VerifyOutcome outcome;
  ALIQUOT_ASSIGN_OR_RETURN(LedgerHead head, store_.Head());
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(auto checkpoints, reader.Checkpoints());
    ledger::LedgerVerifier verifier(key_.PublicKey(), std::move(checkpoints),
                                    options.trusted_checkpoint);
    ProjectionModel rebuilt;
    std::uint64_t checked = 0;
    ALIQUOT_RETURN_IF_ERROR(
        reader.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
          ALIQUOT_RETURN_IF_ERROR(verifier.Add(event));
          if (auto applied = projector_.Apply(event, rebuilt); !applied) {
            return Unexpected(
                DataLoss("event seq " + std::to_string(event.seq) +
                         ": cannot be applied to the projections: " + applied.error().Message()));
          }
          if (options.progress && ++checked % 65536 == 0) {
            options.progress(checked, std::max(head.size, checked));
          }
          return {};
        }));
    ALIQUOT_ASSIGN_OR_RETURN(outcome.ledger, verifier.Finish());
    if (options.progress) options.progress(outcome.ledger.events, outcome.ledger.events);
    for (const TableSpec& table : projector_.Tables()) {
      std::vector<Row> live;
      ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(table, [&](const Row& row) -> Status {
        live.push_back(row);
        return {};
      }));
      ALIQUOT_RETURN_IF_ERROR(CompareTable(table, rebuilt.Rows(table), live));
      outcome.projection_rows += live.size();
    }
    return {};
  }));
  if (options.blobs != nullptr) ALIQUOT_RETURN_IF_ERROR(VerifyBlobs(*options.blobs, outcome));
  return outcome;
}

Result<ExportSummary> LedgerService::Export(ExportWriter& writer) {
  ALIQUOT_ASSIGN_OR_RETURN(ledger::Checkpoint covering, Checkpoint());
  ExportSummary summary;
  Hash256 head_hash = ledger::kGenesisPrevHash;
  std::map<std::string, Hash256, std::less<>> file_hashes;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(auto events_file, writer.Create("events.jsonl"));
    Sha256 events_hash;
    ledger::MerkleFrontier frontier;
    std::string line;
    // Only what the covering checkpoint signed: events appended during the export wait for the
    // next one.
    ALIQUOT_RETURN_IF_ERROR(
        reader.ScanEvents(1, covering.tree_size + 1, [&](const ledger::Event& event) -> Status {
          line.clear();
          ledger::AppendEventJson(event, &event.hash, line);
          line += '\n';
          events_hash.Update(line);
          frontier.Append(event.hash);
          head_hash = event.hash;
          return events_file->Append(line);
        }));
    ALIQUOT_RETURN_IF_ERROR(events_file->Commit());
    file_hashes["events.jsonl"] = events_hash.Finish();
    summary.events = frontier.Size();
    summary.root_hash = frontier.Root();

    ALIQUOT_ASSIGN_OR_RETURN(auto checkpoints, reader.Checkpoints());
    ALIQUOT_ASSIGN_OR_RETURN(auto checkpoints_file, writer.Create("checkpoints.jsonl"));
    Sha256 checkpoints_hash;
    for (const ledger::Checkpoint& checkpoint : checkpoints) {
      if (checkpoint.tree_size > covering.tree_size) break;
      line = ledger::CheckpointJson(checkpoint) + "\n";
      checkpoints_hash.Update(line);
      ALIQUOT_RETURN_IF_ERROR(checkpoints_file->Append(line));
      ++summary.checkpoints;
    }
    ALIQUOT_RETURN_IF_ERROR(checkpoints_file->Commit());
    file_hashes["checkpoints.jsonl"] = checkpoints_hash.Finish();
    return {};
  }));
  if (summary.events != covering.tree_size) {
    return Unexpected(DataLoss("the ledger holds " + std::to_string(summary.events) +
                               " events, fewer than its checkpoint's " +
                               std::to_string(covering.tree_size)));
  }
  const std::string key_json = ledger::PublicKeyJson(key_.PublicKey()) + "\n";
  ALIQUOT_ASSIGN_OR_RETURN(auto key_file, writer.Create("public_key.json"));
  ALIQUOT_RETURN_IF_ERROR(key_file->Append(key_json));
  ALIQUOT_RETURN_IF_ERROR(key_file->Commit());
  file_hashes["public_key.json"] = Sha256::Of(key_json);

  ledger::ExportManifest manifest;
  manifest.events = summary.events;
  manifest.checkpoints = summary.checkpoints;
  manifest.head_hash = ledger::ExportHeadHash(summary.events, head_hash);
  manifest.root_hash = summary.root_hash;
  manifest.exported_at = clock_.Now();
  manifest.files = std::move(file_hashes);
  ALIQUOT_ASSIGN_OR_RETURN(auto manifest_file, writer.Create("manifest.json"));
  ALIQUOT_RETURN_IF_ERROR(manifest_file->Append(ledger::ManifestJson(manifest) + "\n"));
  ALIQUOT_RETURN_IF_ERROR(manifest_file->Commit());
  return summary;
}

}  // namespace aliquot::app
