// The materials API: suppliers (audits, proposed changes of qualification), materials and their
// specifications, lots (receipt, apheresis collections, lots made in house, certificates of
// analysis, identity tests, donor eligibility), the point-of-use check, consumption and
// withdrawal, and genealogy. A supplier's qualification change and a lot's release or rejection are
// electronic signatures, made through POST /api/v1/records/{type}/{id}/signatures. docs/api.md
// lists every route and its action.
#pragma once

#include "aliquot/app/material_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct MaterialsApi {
  app::SessionService& sessions;
  app::MaterialService& materials;
};

// Adds the routes; the services must outlive the router.
void AddMaterialRoutes(Router& router, const MaterialsApi& api);

}  // namespace aliquot::http
