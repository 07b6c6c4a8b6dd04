// The quality area's projection: deviations, and how many were raised each year (their numbers,
// DEV-<year>-<nnnn>, are given in the order raised). Folded by the domain's ApplyDeviationEvent.
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

// Tables: deviations, deviation_years (year -> deviations raised).
std::unique_ptr<Projector> MakeQualityProjector();

Result<quality::DeviationState> LoadDeviation(StoreReader& reader, const std::string& id);
Result<std::vector<quality::DeviationState>> LoadDeviations(StoreReader& reader);

// The event raising the next deviation of `now`'s year in the snapshot `reader` reads. Appended
// with the use case's other events, expecting the new deviation's stream to be empty: two raised at
// once cannot take the same number (the second decides again).
Result<ledger::NewEvent> RaiseNextDeviation(StoreReader& reader,
                                            const quality::DeviationInput& input, Timestamp now,
                                            const ledger::Actor& actor, std::string_view terminal);

}  // namespace aliquot::app
