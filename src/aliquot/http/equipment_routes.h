// The equipment and environmental monitoring API: rooms; equipment, its status as of any instant
// and its logbook (uses, cleanings, maintenance, calibrations, qualification, out of service and
// return); the equipment check; sampling locations and results, with the deviations they raise
// (the deviation routes are in quality_routes.h). Logbook entries are signed through
// POST /api/v1/records/logbook_entry/{equipment}:{entry}/signatures ("performed", "verified").
// docs/api.md lists every route and its action.
#pragma once

#include "aliquot/app/environment_service.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct EquipmentApi {
  app::SessionService& sessions;
  app::EquipmentService& equipment;
  app::EnvironmentService& environment;
};

// Adds the routes; the services must outlive the router.
void AddEquipmentRoutes(Router& router, const EquipmentApi& api);

}  // namespace aliquot::http
