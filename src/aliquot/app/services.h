// Services: every area's use cases wired together over one store, blob store and clock, with each
// area's signable record types registered. What the server, the command line's demo and the
// benchmarks build, so that all three run the same composition.
#pragma once

#include <cstdint>
#include <memory>

#include "aliquot/app/batch_service.h"
#include "aliquot/app/document_service.h"
#include "aliquot/app/environment_service.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/quality_service.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/training_service.h"

namespace aliquot::app {

struct ServicesOptions {
  PasswordHashCost password_cost = PasswordHashCost::Interactive();
  std::uint64_t max_upload_bytes = kDefaultMaxUploadBytes;
};

class Services {
 public:
  static Result<std::unique_ptr<Services>> Create(Store& store, BlobStore& blobs, Clock& clock,
                                                  const SecretKey& credentials_key,
                                                  const ServicesOptions& options);

  IdentityServices& Identity() { return *identity_; }
  SessionService& Sessions() { return identity_->sessions; }
  SignatureService& Signatures() { return identity_->signatures; }
  DocumentService& Documents() { return documents_; }
  TrainingService& Training() { return training_; }
  MaterialService& Materials() { return materials_; }
  EquipmentService& Equipment() { return equipment_; }
  EnvironmentService& Environment() { return environment_; }
  QualityService& Quality() { return quality_; }
  RecipeService& Recipes() { return recipes_; }
  BatchService& Batches() { return batches_; }

 private:
  Services(std::unique_ptr<IdentityServices> identity, Store& store, BlobStore& blobs, Clock& clock,
           std::uint64_t max_upload_bytes);

  std::unique_ptr<IdentityServices> identity_;
  DocumentService documents_;
  TrainingService training_;
  MaterialService materials_;
  EquipmentService equipment_;
  EnvironmentService environment_;
  QualityService quality_;
  RecipeService recipes_;
  BatchService batches_;
};

}  // namespace aliquot::app
