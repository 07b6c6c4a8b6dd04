// The batch API: batches created from the effective master batch record version, every action of
// their execution on a step (start, equipment, identity labels, values, N/A, materials, samples,
// completion, corrections), hold and resume, QA's review by exception, and the executed batch
// record. The server's clock dates every action (AL-01); each POST may carry an Idempotency-Key so
// that a tablet's retry is answered from the record. Steps are verified, excursions acknowledged,
// refusals overridden and batches released or rejected by e-signature through
// POST /api/v1/records/{batch_step,batch_override,batch}/{id}/signatures. docs/api.md lists every
// route and its action.
#pragma once

#include "aliquot/app/batch_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct BatchApi {
  app::SessionService& sessions;
  app::BatchService& batches;
};

// Adds the routes; the services must outlive the router.
void AddBatchRoutes(Router& router, const BatchApi& api);

}  // namespace aliquot::http
