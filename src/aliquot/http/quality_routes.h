// The deviation API: the deviations raised by equipment, environmental monitoring and batch
// execution, listed or by batch; QA's assessment. A deviation is closed by QA's signature meaning
// approved, with the justification as its comment, through
// POST /api/v1/records/deviation/{deviation}/signatures. docs/api.md lists every route and its
// action.
#pragma once

#include "aliquot/app/quality_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct QualityApi {
  app::SessionService& sessions;
  app::QualityService& quality;
};

// A deviation as the API shows it, also in the responses of the requests that raise one: what
// raised it, its status, every assessment (oldest first), its closure, and the record QA signs.
Json DeviationJson(const quality::DeviationState& deviation);

// Adds the routes; the services must outlive the router.
void AddQualityRoutes(Router& router, const QualityApi& api);

}  // namespace aliquot::http
