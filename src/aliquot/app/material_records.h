// The materials area's projection: suppliers, materials, lots (with the columns genealogy and the
// point-of-use check read without decoding the whole lot), supplier lot numbers, and the genealogy
// edges in both directions, kept from the materials.* events. Each state is folded by the domain's
// own Apply*Event, so the projection and the rules cannot disagree on what an event means.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/materials/genealogy.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/materials/supplier.h"

namespace aliquot::app {

// Tables: suppliers, materials, lots, supplier_lots (supplier, supplier_lot -> lot),
// genealogy_forward (parent, child, seq) and genealogy_backward (child, parent, seq): one edge per
// consumption (lot -> batch, lot -> lot) and per lot a batch made (batch -> lot), dated.
std::unique_ptr<Projector> MakeMaterialsProjector();

// The genealogy tables, for the benchmark's raw SQL beside the traced one.
const TableSpec& GenealogyForwardTable();
const TableSpec& GenealogyBackwardTable();

// Each returns the state with `exists` false when there is none; kDataLoss for a row that does
// not read back.
Result<materials::SupplierState> LoadSupplier(StoreReader& reader, const std::string& id);
Result<materials::MaterialState> LoadMaterial(StoreReader& reader, const std::string& id);
Result<materials::LotState> LoadLot(StoreReader& reader, const std::string& id);
// What the point-of-use check needs of a lot at `at` and of its supplier, from the rows' typed
// columns when the status and qualification in force now were already in force at `at` (the
// check at now: no history decoded), else from the whole state. A lot read so carries its balance
// now as its quantity and no containers unless `with_containers`.
Result<materials::LotState> LoadLotAt(StoreReader& reader, const std::string& id, Timestamp at,
                                      bool with_containers);
Result<materials::SupplierState> LoadSupplierAt(StoreReader& reader, const std::string& id,
                                                Timestamp at);
Result<std::vector<materials::SupplierState>> LoadSuppliers(StoreReader& reader);
Result<std::vector<materials::MaterialState>> LoadMaterials(StoreReader& reader);
Result<std::vector<materials::LotState>> LoadLots(StoreReader& reader);
// The lot that received `supplier_lot` from `supplier`, if any.
Result<std::optional<std::string>> FindSupplierLot(StoreReader& reader, const std::string& supplier,
                                                   const std::string& supplier_lot);

// The edges of `node` in `direction`, from the genealogy tables: the EdgeSource a trace walks.
materials::EdgeSource GenealogyEdges(StoreReader& reader);

// What genealogy shows of a lot without decoding it: one row's typed columns.
struct LotSummary {
  std::string id;
  std::string material;
  std::string kind;
  std::string status;
  Timestamp expiry;
  std::optional<std::string> supplier;
  std::optional<std::string> supplier_lot;
  std::optional<std::string> certificate;  // The certificate number in force.
  std::optional<std::string> donor_code;
  std::optional<std::string> patient_code;
  std::optional<std::string> made_by_batch;
};
Result<std::optional<LotSummary>> LoadLotSummary(StoreReader& reader, const std::string& id);

}  // namespace aliquot::app
