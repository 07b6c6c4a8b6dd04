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
  AddHealthRoutes(router, std::move(health), metrics);
  AddLedgerRoutes(router, ledger, services.Sessions());
  AddIdentityRoutes(router,
                    {services.Sessions(), services.Identity().identity, services.Signatures()});
  AddDocumentRoutes(router, {services.Sessions(), services.Documents(), services.Training()});
  AddMaterialRoutes(router, {services.Sessions(), services.Materials()});
  AddEquipmentRoutes(router, {services.Sessions(), services.Equipment(), services.Environment()});
  AddQualityRoutes(router, {services.Sessions(), services.Quality()});
  AddRecipeRoutes(router, {services.Sessions(), services.Recipes()});
  AddBatchRoutes(router, {services.Sessions(), services.Batches()});
}

}  // namespace aliquot::http
