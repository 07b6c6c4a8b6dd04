// LedgerService: the use cases over the ledger itself: its head, events and checkpoints, signed
// checkpoints, inclusion proofs, verification and export.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/export_writer.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/verifier.h"

namespace aliquot::app {

struct VerifyOptions {
  // A checkpoint kept outside the system; catches truncation and rollback.
  std::optional<ledger::Checkpoint> trusted_checkpoint;
  // Called now and then with (events checked, events in all) for a progress display.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  // The site's files: when set, every stored blob is read back and hashed again (P11-01).
  BlobStore* blobs = nullptr;
};

struct VerifyOutcome {
  ledger::VerifyReport ledger;
  std::uint64_t projection_rows = 0;  // Rows compared against the rebuild.
  std::uint64_t files = 0;            // Blobs read back whose bytes match their SHA-256.
  std::uint64_t file_bytes = 0;       // Their bytes, all together.
};

struct ExportSummary {
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;
  Hash256 root_hash;
};

class LedgerService {
 public:
  // `key` signs checkpoints; it outlives the service.
  LedgerService(Store& store, Clock& clock, const Ed25519SigningKey& key,
                const Projector& projector);

  Result<LedgerHead> Head();
  const Ed25519PublicKey& PublicKey() const;

  // Up to `limit` (1-1000) events from `from_seq` on. Returns kInvalidArgument for a bad range.
  Result<std::vector<ledger::Event>> Events(std::uint64_t from_seq, std::uint64_t limit);
  // One event. Returns kNotFound past the head.
  Result<ledger::Event> EventAt(std::uint64_t seq);

  Result<std::vector<ledger::Checkpoint>> Checkpoints();
  // The most recent checkpoint, or nullopt before the first.
  Result<std::optional<ledger::Checkpoint>> LatestCheckpoint();
  // Signs and stores a checkpoint at the current head, unless the latest checkpoint already
  // covers it; returns the checkpoint covering the head either way.
  Result<ledger::Checkpoint> Checkpoint();

  // The inclusion proof of event `seq` in the latest checkpoint, as the canonical JSON document of
  // docs/ledger-format.md (a checkpoint is signed first if none covers the event). Returns
  // kNotFound past the head.
  Result<std::string> InclusionProofJson(std::uint64_t seq);

  // Verifies the whole ledger from the first event (chain, hashes, every checkpoint's root and
  // signature, the trusted checkpoint), compares every projection table with a rebuild from the
  // ledger and, with `options.blobs`, reads back every stored file and hashes it again. Returns
  // kDataLoss naming the first bad sequence number, row or file.
  Result<VerifyOutcome> Verify(const VerifyOptions& options);

  // Writes events.jsonl, checkpoints.jsonl, public_key.json and manifest.json (signing a
  // checkpoint at the head first, so the whole export is covered by a signature).
  Result<ExportSummary> Export(ExportWriter& writer);

 private:
  Store& store_;
  Clock& clock_;
  const Ed25519SigningKey& key_;
  const Projector& projector_;
};

}  // namespace aliquot::app
