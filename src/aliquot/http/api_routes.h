// Every route of Aliquot's HTTP API in one place: health and metrics, the ledger, and each area's
// routes, as `aliquot serve` registers them. The server and the API tests that serve the real
// services in process (tests/api/batch_api_test.cc) share it, so the list is written once.
#pragma once

#include <functional>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/services.h"
#include "aliquot/core/result.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

// Adds /healthz and /metrics (`health` answers whether the store can be reached), the ledger's
// routes and every area's routes over `services`. `services`, `ledger` and `metrics` must outlive
// the router.
void AddApiRoutes(Router& router, app::Services& services, app::LedgerService& ledger,
                  Metrics& metrics, std::function<Status()> health);

}  // namespace aliquot::http
