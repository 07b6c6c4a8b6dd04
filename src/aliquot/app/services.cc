#include "aliquot/app/services.h"

#include <utility>

namespace aliquot::app {

Services::Services(std::unique_ptr<IdentityServices> identity, Store& store, BlobStore& blobs,
                   Clock& clock, std::uint64_t max_upload_bytes)
    : identity_(std::move(identity)),
      documents_(store, blobs, clock, identity_->sessions, identity_->signatures, max_upload_bytes),
      training_(store, clock, identity_->sessions),
      materials_(store, blobs, clock, identity_->sessions),
      equipment_(store, blobs, clock, identity_->sessions),
      environment_(store, clock, identity_->sessions),
      quality_(store, identity_->sessions),
      recipes_(store, clock, identity_->sessions, identity_->signatures),
      batches_(store, clock, identity_->sessions, identity_->signatures) {}

Result<std::unique_ptr<Services>> Services::Create(Store& store, BlobStore& blobs, Clock& clock,
                                                   const SecretKey& credentials_key,
                                                   const ServicesOptions& options) {
  ALIQUOT_ASSIGN_OR_RETURN(
      std::unique_ptr<IdentityServices> identity,
      IdentityServices::Create(store, clock, credentials_key, options.password_cost));
  std::unique_ptr<Services> services(
      new Services(std::move(identity), store, blobs, clock, options.max_upload_bytes));
  SignatureService& signatures = services->Signatures();
  signatures.Register("document_version", DocumentVersionRecord());
  signatures.Register("document", DocumentRecord());
  signatures.Register("training", TrainingRecord());
  signatures.Register("supplier", SupplierRecord());
  signatures.Register("material_lot", MaterialLotRecord());
  signatures.Register("logbook_entry", LogbookEntryRecord());
  signatures.Register("mbr_version", MbrVersionRecord());
  signatures.Register("master_batch_record", MasterBatchRecordRecord());
  signatures.Register("deviation", DeviationRecord());
  signatures.Register("batch_step", BatchStepRecord());
  signatures.Register("batch_excursion", BatchExcursionRecord());
  signatures.Register("batch_override", BatchOverrideRecord());
  signatures.Register("batch", BatchDispositionRecord());
  return services;
}

}  // namespace aliquot::app
