// QualityService: deviations as recorded (21 CFR 211.100(b), 211.192; G-04, G-05). Equipment and
// environmental monitoring raise them; batch execution will too, and QA's assessment and closure
// come with it (TODO(#9)).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/domain/quality/deviation.h"

namespace aliquot::app {

class QualityService {
 public:
  QualityService(Store& store, SessionService& sessions);

  // Newest first; only those touching `batch` when given (deviation.view).
  Result<std::vector<quality::DeviationState>> Deviations(const RequestContext& context,
                                                          const std::optional<std::string>& batch);
  Result<quality::DeviationState> Deviation(const RequestContext& context, const std::string& id);

 private:
  Store& store_;
  SessionService& sessions_;
};

}  // namespace aliquot::app
