#include "aliquot/app/quality_service.h"

#include <algorithm>
#include <utility>

#include "aliquot/app/quality_records.h"

namespace aliquot::app {

QualityService::QualityService(Store& store, SessionService& sessions)
    : store_(store), sessions_(sessions) {}

Result<std::vector<quality::DeviationState>> QualityService::Deviations(
    const RequestContext& context, const std::optional<std::string>& batch) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, identity::Action::kViewDeviations));
  std::vector<quality::DeviationState> deviations;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(deviations, LoadDeviations(reader));
    return {};
  }));
  if (batch) {
    std::erase_if(deviations, [&](const quality::DeviationState& deviation) {
      const auto& batches = deviation.details.batches;
      return std::find(batches.begin(), batches.end(), *batch) == batches.end();
    });
  }
  std::sort(deviations.begin(), deviations.end(),
            [](const quality::DeviationState& a, const quality::DeviationState& b) {
              return a.raised_at != b.raised_at ? a.raised_at > b.raised_at : a.id > b.id;
            });
  return deviations;
}

Result<quality::DeviationState> QualityService::Deviation(const RequestContext& context,
                                                          const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, identity::Action::kViewDeviations));
  quality::DeviationState deviation;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(deviation, LoadDeviation(reader, id));
    if (!deviation.exists) {
      return Unexpected(NotFound("no deviation " + id.substr(0, 60), "deviation_id"));
    }
    return {};
  }));
  return deviation;
}

}  // namespace aliquot::app
