#include "aliquot/app/projectors.h"

#include <vector>

#include "aliquot/app/batch_records.h"
#include "aliquot/app/document_records.h"
#include "aliquot/app/environment_records.h"
#include "aliquot/app/equipment_records.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/material_records.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/recipe_records.h"
#include "aliquot/app/system_service.h"

namespace aliquot::app {

std::unique_ptr<Projector> MakeAllProjectors() {
  std::vector<std::unique_ptr<Projector>> parts;
  parts.push_back(MakeSystemProjector());
  parts.push_back(MakeIdentityProjector());
  parts.push_back(MakeDocumentsProjector());
  parts.push_back(MakeMaterialsProjector());
  parts.push_back(MakeEnvironmentProjector());
  parts.push_back(MakeEquipmentProjector());
  parts.push_back(MakeQualityProjector());
  parts.push_back(MakeRecipesProjector());
  parts.push_back(MakeBatchesProjector());
  return std::make_unique<CompositeProjector>(std::move(parts));
}

}  // namespace aliquot::app
