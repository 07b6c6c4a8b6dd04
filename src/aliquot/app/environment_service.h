// EnvironmentService: environmental monitoring (EU GMP Annex 1 (2022) 9.4-9.31, Tables 5 and 6):
// sampling locations and their plans (environment.plan), results (environment.record), each
// assessed as entered. An action-level excursion raises a deviation in the same transaction,
// listing every batch that used equipment in the room since the location's last compliant sample
// of that type (211.192, G-04).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/domain/environment/monitoring.h"
#include "aliquot/domain/quality/deviation.h"

namespace aliquot::app {

struct SampleRecorded {
  environment::SampleState sample;
  std::optional<quality::DeviationState> deviation;
};

struct SampleFilter {
  std::optional<std::string> location;
  Timestamp from;  // Taken within [from, to].
  Timestamp to;
  std::size_t limit = 1000;
};

inline constexpr std::size_t kMaxSamplePage = 5000;

class EnvironmentService {
 public:
  EnvironmentService(Store& store, Clock& clock, SessionService& sessions);

  Status DefineLocation(const RequestContext& context, const environment::LocationCommand& command,
                        const std::string& reason);
  Result<std::vector<environment::LocationState>> Locations(const RequestContext& context);
  Result<environment::LocationState> Location(const RequestContext& context, const std::string& id);

  // Records a result, taken at `input.taken_at` (in the past), entered now.
  Result<SampleRecorded> RecordSample(const RequestContext& context,
                                      const environment::SampleInput& input);
  Result<std::vector<environment::SampleState>> Samples(const RequestContext& context,
                                                        const SampleFilter& filter);
  Result<environment::SampleState> Sample(const RequestContext& context, const std::string& id);

  Timestamp Now() const { return clock_.Now(); }

 private:
  Store& store_;
  Clock& clock_;
  SessionService& sessions_;
};

}  // namespace aliquot::app
