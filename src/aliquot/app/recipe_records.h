// The recipes area's projection: products, master batch records (their versions' lifecycle) and
// each version's definition, kept from the recipes.* events, and the functions that read them back
// into the domain's types. A record's state is rebuilt by the domain's own Apply functions, so the
// projection and the rules cannot disagree on what an event means; a definition is stored once per
// version as the canonical JSON its draft event carried.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/master_batch_record.h"

namespace aliquot::app {

// Tables: products (product_id), master_batch_records (mbr_id) and mbr_definitions (mbr_id,
// version).
std::unique_ptr<Projector> MakeRecipesProjector();

// The state with `exists` false when there is none; kDataLoss for a row that does not read back.
Result<recipes::ProductState> LoadProduct(StoreReader& reader, const std::string& id);
Result<std::vector<recipes::ProductState>> LoadProducts(StoreReader& reader);
Result<recipes::MasterBatchRecordState> LoadMasterBatchRecord(StoreReader& reader,
                                                              const std::string& id);
// The same, or kNotFound (field "mbr_id") when there is no such record.
Result<recipes::MasterBatchRecordState> ExistingMasterBatchRecord(StoreReader& reader,
                                                                  const std::string& id);
Result<std::vector<recipes::MasterBatchRecordState>> LoadMasterBatchRecords(StoreReader& reader);
// The definition of one version; kNotFound (field "version") when the record has no such version.
Result<recipes::Definition> LoadDefinition(StoreReader& reader, const std::string& id, int version);

}  // namespace aliquot::app
