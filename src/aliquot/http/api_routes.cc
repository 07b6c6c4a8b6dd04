#include "aliquot/http/api_routes.h"

#include <utility>

#include "aliquot/http/batch_routes.h"
#include "aliquot/http/document_routes.h"
#include "aliquot/http/equipment_routes.h"
#include "aliquot/http/identity_routes.h"
#include "aliquot/http/ledger_routes.h"
#include "aliquot/http/material_routes.h"
#include "aliquot/http/quality_routes.h"
#include "aliquot/http/recipe_routes.h"

namespace aliquot::http {

void AddApiRoutes(Router& router, app::Services& services, app::LedgerService& ledger,
                  Metrics& metrics, std::function<Status()> health) {
  app::Services& areas = services;
  AddHealthRoutes(router, std::move(health), metrics);
  AddLedgerRoutes(router, ledger, areas.Sessions());
  AddIdentityRoutes(router, {areas.Sessions(), areas.Identity().identity, areas.Signatures()});
  AddDocumentRoutes(router, {areas.Sessions(), areas.Documents(), areas.Training()});
  AddMaterialRoutes(router, {areas.Sessions(), areas.Materials()});
  AddEquipmentRoutes(router, {areas.Sessions(), areas.Equipment(), areas.Environment()});
  AddQualityRoutes(router, {areas.Sessions(), areas.Quality()});
  AddRecipeRoutes(router, {areas.Sessions(), areas.Recipes()});
  AddBatchRoutes(router, {areas.Sessions(), areas.Batches()});
}

}  // namespace aliquot::http
