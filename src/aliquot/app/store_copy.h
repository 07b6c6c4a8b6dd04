// CopyStore: moves a site's record from one store to another (SQLite to PostgreSQL when a site
// outgrows one machine) without changing a byte of it: events keep their seq, time and hashes,
// so every checkpoint signed before the move still verifies after it.
#pragma once

#include <cstdint>
#include <functional>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"

namespace aliquot::app {

struct CopySummary {
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t projection_rows = 0;
  Hash256 root_hash;
};

// Copies every event (Store::Import, which re-checks each link and applies the projections) and
// every checkpoint of `source` into `target`, then checks the copy against the source: the same
// head and root, the same checkpoints, the same rows in every projection table. `source` must not
// change meanwhile (the caller holds its server lock). Errors: kFailedPrecondition if `target`
// already holds events; kDataLoss naming the first difference; the stores' own errors.
// `progress(copied, total)` is called as events are copied.
Result<CopySummary> CopyStore(Store& source, Store& target, const Projector& projector,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress);

}  // namespace aliquot::app
