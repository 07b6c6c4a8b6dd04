// The master batch record API: products; master batch records and their versions; a version
// imported from its definition file (YAML, or the JSON the API shows) as a draft, exported back,
// compared with another version; the version effective at an instant. Versions are signed through
// POST /api/v1/records/mbr_version/{mbr}:{version}/signatures (authored, reviewed, approved,
// rejected). docs/api.md lists every route and its action.
#pragma once

#include "aliquot/app/recipe_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct RecipeApi {
  app::SessionService& sessions;
  app::RecipeService& recipes;
};

// Adds the routes; the services must outlive the router.
void AddRecipeRoutes(Router& router, const RecipeApi& api);

}  // namespace aliquot::http
