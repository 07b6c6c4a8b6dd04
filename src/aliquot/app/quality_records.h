// The quality area's projection: deviations, the batches each may affect (so the deviations of a
// batch are one index read), and how many were raised each year (their numbers, DEV-<year>-<nnnn>,
// are given in the order raised). Folded by the domain's ApplyDeviationEvent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/ledger/event.h"

namespace aliquot::app {

// Tables: deviations, deviation_batches ((batch, deviation) -> its status, for every batch the
// deviation may affect now: DeviationState::BatchesAffected), deviation_years (year -> deviations
// raised).
std::unique_ptr<Projector> MakeQualityProjector();

Result<quality::DeviationState> LoadDeviation(StoreReader& reader, const std::string& id);
Result<std::vector<quality::DeviationState>> LoadDeviations(StoreReader& reader);

enum class DeviationFilter { kAll, kNotClosed };
// The deviations that may affect `batch` (DeviationState::BatchesAffected), in id order; with
// kNotClosed only those not closed, read without decoding the closed ones. Reads one index
// range and one row per deviation returned.
Result<std::vector<quality::DeviationState>> LoadDeviationsOfBatch(StoreReader& reader,
                                                                   const std::string& batch,
                                                                   DeviationFilter filter);

// The event raising the next deviation of `now`'s year in the snapshot `reader` reads. Appended
// with the use case's other events, expecting the new deviation's stream to be empty: two raised at
// once cannot take the same number (the second decides again).
Result<ledger::NewEvent> RaiseNextDeviation(StoreReader& reader,
                                            const quality::DeviationInput& input, Timestamp now,
                                            const ledger::Actor& actor, std::string_view terminal);

// How many deviations were raised in `year`: a use case raising several numbers them on from it.
Result<int> DeviationsRaisedIn(StoreReader& reader, int year);

}  // namespace aliquot::app
