#include "aliquot/app/recipe_records.h"

#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using recipes::Definition;
using recipes::MasterBatchRecordState;
using recipes::ProductState;

const TableSpec& ProductsTable() {
  static const TableSpec kTable{
      "products", {{"product_id", ColumnType::kText}, {"state", ColumnType::kText}}, 1};
  return kTable;
}

// The lifecycle of every version, without definitions: what lists and the approval read.
const TableSpec& RecordsTable() {
  static const TableSpec kTable{"master_batch_records",
                                {{"mbr_id", ColumnType::kText},
                                 {"product_id", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

// One row per version: the definition as the draft event carried it, replaced while a draft.
const TableSpec& DefinitionsTable() {
  static const TableSpec kTable{"mbr_definitions",
                                {{"mbr_id", ColumnType::kText},
                                 {"version", ColumnType::kInteger},
                                 {"content_sha256", ColumnType::kText},
                                 {"definition", ColumnType::kText}},
                                2};
  return kTable;
}

Result<Json> ParseStored(const std::string& text, const std::string& what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(what + " does not read back: " + json.error().Message()));
  return json;
}

Result<ProductState> DecodeProduct(const Row& row) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 1), "product " + Text(row, 0)));
  return recipes::ProductFromJson(json);
}

Result<MasterBatchRecordState> DecodeRecord(const Row& row) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json json,
                           ParseStored(Text(row, 2), "master batch record " + Text(row, 0)));
  return recipes::MasterBatchRecordFromJson(json);
}

class RecipesProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{ProductsTable(), RecordsTable(),
                                                DefinitionsTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (!event.event_type.starts_with("recipes.")) return {};
    if (event.stream.type == "product") return ApplyProduct(event, writer);
    if (event.stream.type == "mbr") return ApplyRecord(event, writer);
    return {};
  }

 private:
  static Status ApplyProduct(const ledger::Event& event, ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             writer.Get(ProductsTable(), {event.stream.id}));
    ProductState state;
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(state, DecodeProduct(*row));
    }
    ALIQUOT_RETURN_IF_ERROR(recipes::ApplyProductEvent(state, event));
    return writer.Upsert(ProductsTable(), {state.id, CanonicalJson(recipes::ProductToJson(state))});
  }

  static Status ApplyRecord(const ledger::Event& event, ProjectionWriter& writer) {
    // Parsed once for both the record's state and, for a draft, the definition it carries.
    ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                             ledger::PayloadReader::Parse(event));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             writer.Get(RecordsTable(), {event.stream.id}));
    MasterBatchRecordState state;
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(state, DecodeRecord(*row));
    }
    ALIQUOT_RETURN_IF_ERROR(recipes::ApplyMasterBatchRecordEvent(state, payload));
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(
        RecordsTable(),
        {state.id, state.product, CanonicalJson(recipes::MasterBatchRecordToJson(state))}));
    if (event.event_type != "recipes.mbr_version_drafted") return {};
    // The definition is stored as the event carries it, canonical, once its hash is checked: it is
    // decoded when read (LoadDefinition), not on every write (docs/benchmarks.md, recipe_bench).
    ALIQUOT_ASSIGN_OR_RETURN(recipes::DraftedText drafted, recipes::DraftedDefinitionText(payload));
    return writer.Upsert(DefinitionsTable(),
                         {state.id, std::int64_t{drafted.version}, std::move(drafted.sha256),
                          std::move(drafted.definition)});
  }
};

}  // namespace

std::unique_ptr<Projector> MakeRecipesProjector() { return std::make_unique<RecipesProjector>(); }

Result<ProductState> LoadProduct(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(ProductsTable(), {id}));
  if (!row) return ProductState();
  return DecodeProduct(*row);
}

Result<std::vector<ProductState>> LoadProducts(StoreReader& reader) {
  std::vector<ProductState> products;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(ProductsTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(ProductState product, DecodeProduct(row));
    products.push_back(std::move(product));
    return {};
  }));
  return products;
}

Result<MasterBatchRecordState> LoadMasterBatchRecord(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(RecordsTable(), {id}));
  if (!row) return MasterBatchRecordState();
  return DecodeRecord(*row);
}

Result<MasterBatchRecordState> ExistingMasterBatchRecord(StoreReader& reader,
                                                         const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(MasterBatchRecordState state, LoadMasterBatchRecord(reader, id));
  if (!state.exists) {
    return Unexpected(NotFound("no master batch record " + id.substr(0, 40), "mbr_id"));
  }
  return state;
}

Result<std::vector<MasterBatchRecordState>> LoadMasterBatchRecords(StoreReader& reader) {
  std::vector<MasterBatchRecordState> records;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(RecordsTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(MasterBatchRecordState record, DecodeRecord(row));
    records.push_back(std::move(record));
    return {};
  }));
  return records;
}

Result<Definition> LoadDefinition(StoreReader& reader, const std::string& id, int version) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(DefinitionsTable(), {id, std::int64_t{version}}));
  if (!row) {
    return Unexpected(NotFound(
        "master batch record " + id.substr(0, 40) + " has no version " + std::to_string(version),
        "version"));
  }
  const std::string what = id + " version " + std::to_string(version);
  ALIQUOT_ASSIGN_OR_RETURN(const Json json,
                           ParseStored(Text(*row, 3), "the definition of " + what));
  std::vector<recipes::Problem> problems;
  Definition definition = recipes::DefinitionFromJson(json, problems);
  if (!problems.empty()) {
    return Unexpected(DataLoss("the stored definition of " + what + " does not read back: " +
                               problems.front().pointer + ": " + problems.front().message));
  }
  return definition;
}

}  // namespace aliquot::app
