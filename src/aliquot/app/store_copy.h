// CopyStore: moves a site's record from one store to another (SQLite to PostgreSQL when a site
// outgrows one machine) without changing a byte of it: events keep their seq, time and hashes,
// so every checkpoint signed before the move still verifies after it, and the files the record
// cites keep their bytes, media type and time of storing.
#pragma once

#include <cstdint>
#include <functional>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"

namespace aliquot::app {

struct CopySummary {
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t projection_rows = 0;
  std::uint64_t files = 0;       // Blobs copied.
  std::uint64_t file_bytes = 0;  // Their bytes, all together.
  Hash256 root_hash;
};

// Copies every blob of `source_blobs` into `target_blobs` (BlobStore::ImportBlob: the same bytes,
// media type and stored_at), then every event (Store::Import, which re-checks each link and
// applies the projections) and every checkpoint of `source` into `target`, and checks the copy
// against the source: the same head and root, the same checkpoints, the same rows in every
// projection table, the same list of blobs. Blobs go first, so that no event in the target cites
// a file the target lacks, even after a crash. `source` must not change meanwhile (the caller
// holds its server lock). Errors: kFailedPrecondition if `target` already holds events; kDataLoss
// naming the first difference, or a source blob whose bytes no longer match its hash; the
// stores' own errors. `progress(copied, total)` is called as events are copied.
Result<CopySummary> CopyStore(Store& source, BlobStore& source_blobs, Store& target,
                              BlobStore& target_blobs, const Projector& projector,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress);

}  // namespace aliquot::app
