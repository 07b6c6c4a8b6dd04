#include "aliquot/app/material_records.h"

#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using materials::LotState;
using materials::MaterialState;
using materials::SupplierState;

const TableSpec& SuppliersTable() {
  // The qualification in force since `qualified_from` in typed columns beside the whole state: the
  // point-of-use check reads them without decoding the history.
  static const TableSpec kTable{"suppliers",
                                {{"supplier_id", ColumnType::kText},
                                 {"name", ColumnType::kText},
                                 {"status", ColumnType::kText},
                                 {"qualified_from", ColumnType::kInteger},
                                 {"qualified_until", ColumnType::kInteger, true},
                                 {"requalify_by", ColumnType::kInteger, true},
                                 {"materials", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

const TableSpec& MaterialsTable() {
  static const TableSpec kTable{"materials",
                                {{"material_id", ColumnType::kText},
                                 {"name", ColumnType::kText},
                                 {"category", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

const TableSpec& LotsTable() {
  // Typed columns for genealogy and the point-of-use check, beside the whole state.
  static const TableSpec kTable{"lots",
                                {{"lot_id", ColumnType::kText},
                                 {"material", ColumnType::kText},
                                 {"kind", ColumnType::kText},
                                 {"unit", ColumnType::kText},
                                 {"status", ColumnType::kText},
                                 {"status_since", ColumnType::kInteger},
                                 {"expiry", ColumnType::kInteger},
                                 {"balance", ColumnType::kInteger},
                                 {"supplier", ColumnType::kText, true},
                                 {"supplier_lot", ColumnType::kText, true},
                                 {"certificate", ColumnType::kText, true},
                                 {"donor_code", ColumnType::kText, true},
                                 {"patient_code", ColumnType::kText, true},
                                 {"made_by_batch", ColumnType::kText, true},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}
enum SupplierColumn : std::size_t {
  kSupplierId,
  kSupplierName,
  kSupplierStatus,
  kQualifiedFrom,
  kQualifiedUntil,
  kRequalifyBy,
  kSupplierMaterials,
  kSupplierState,
};

enum LotColumn : std::size_t {
  kLotId,
  kMaterial,
  kKind,
  kUnit,
  kStatus,
  kStatusSince,
  kExpiry,
  kBalance,
  kSupplier,
  kSupplierLot,
  kCertificate,
  kDonorCode,
  kPatientCode,
  kMadeByBatch,
  kLotState,
};

const TableSpec& SupplierLotsTable() {
  static const TableSpec kTable{"supplier_lots",
                                {{"supplier", ColumnType::kText},
                                 {"supplier_lot", ColumnType::kText},
                                 {"lot_id", ColumnType::kText}},
                                2};
  return kTable;
}

std::optional<std::string> NonEmpty(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

Row LotRow(const LotState& lot) {
  const materials::Certificate* certificate = lot.CurrentCertificate();
  return {lot.id,
          lot.material,
          std::string(materials::LotKindName(lot.kind)),
          lot.unit,
          std::string(materials::LotStatusName(lot.Status())),
          lot.statuses.empty() ? lot.received_at.Micros() : lot.statuses.back().at.Micros(),
          lot.expiry.Micros(),
          lot.Balance().Millionths(),
          TextOrNull(NonEmpty(lot.supplier)),
          TextOrNull(NonEmpty(lot.supplier_lot)),
          TextOrNull(certificate != nullptr
                         ? std::optional<std::string>(certificate->certificate_number)
                         : std::nullopt),
          TextOrNull(lot.collection ? std::optional<std::string>(lot.collection->donor_code)
                                    : std::nullopt),
          TextOrNull(lot.patient_code),
          TextOrNull(lot.made_by_batch),
          CanonicalJson(materials::LotToJson(lot))};
}

Value TimeOrNull(const std::optional<Timestamp>& time) {
  return time ? Value(time->Micros()) : Value(std::monostate());
}

Row SupplierRow(const SupplierState& supplier) {
  const materials::Qualification& current = supplier.history.back();
  std::string listed;
  for (const std::string& material : current.materials) {
    // Material ids hold no space (CheckIdentifier): a space separates them.
    listed += (listed.empty() ? "" : " ") + material;
  }
  return {supplier.id,
          supplier.name,
          std::string(materials::SupplierStatusName(current.status)),
          current.from.Micros(),
          TimeOrNull(current.qualified_until),
          TimeOrNull(current.requalify_by),
          std::move(listed),
          CanonicalJson(materials::SupplierToJson(supplier))};
}

Result<Json> ParseState(const std::string& text, const std::string& what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(what + " does not read back: " + json.error().Message()));
  return json;
}

template <typename State, typename Decode>
Result<State> StateFrom(const std::optional<Row>& row, std::size_t column, const std::string& what,
                        Decode decode) {
  if (!row) return State();
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseState(Text(*row, column), what));
  return decode(json);
}

Status AddEdge(ProjectionWriter& writer, const std::string& parent, const std::string& child,
               const ledger::Event& event) {
  const auto seq = static_cast<std::int64_t>(event.seq);
  ALIQUOT_RETURN_IF_ERROR(
      writer.Upsert(GenealogyForwardTable(), {parent, child, seq, event.time.Micros()}));
  return writer.Upsert(GenealogyBackwardTable(), {child, parent, seq, event.time.Micros()});
}

class MaterialsProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{
        SuppliersTable(),    MaterialsTable(),        LotsTable(),
        SupplierLotsTable(), GenealogyForwardTable(), GenealogyBackwardTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (!event.event_type.starts_with("materials.")) return {};
    const std::string& type = event.stream.type;
    const std::string& id = event.stream.id;
    if (type == "supplier") {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(SuppliersTable(), {id}));
      ALIQUOT_ASSIGN_OR_RETURN(SupplierState state,
                               StateFrom<SupplierState>(row, kSupplierState, "supplier " + id,
                                                        materials::SupplierFromJson));
      ALIQUOT_RETURN_IF_ERROR(materials::ApplySupplierEvent(state, event));
      return writer.Upsert(SuppliersTable(), SupplierRow(state));
    }
    if (type == "material") {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(MaterialsTable(), {id}));
      ALIQUOT_ASSIGN_OR_RETURN(
          MaterialState state,
          StateFrom<MaterialState>(row, 3, "material " + id, materials::MaterialFromJson));
      ALIQUOT_RETURN_IF_ERROR(materials::ApplyMaterialEvent(state, event));
      return writer.Upsert(MaterialsTable(),
                           {id, state.name, std::string(materials::CategoryName(state.category)),
                            CanonicalJson(materials::MaterialToJson(state))});
    }
    if (type == "supplier_lot") {
      ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                               ledger::PayloadReader::Parse(event));
      ALIQUOT_ASSIGN_OR_RETURN(std::string lot, payload.String("lot"));
      // Supplier ids never hold '/', so the first one separates the supplier's own lot number.
      const std::size_t slash = id.find('/');
      if (slash == std::string::npos) return Unexpected(payload.Corrupt("malformed stream id"));
      return writer.Upsert(SupplierLotsTable(),
                           {id.substr(0, slash), id.substr(slash + 1), std::move(lot)});
    }
    if (type != "lot") return {};
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(LotsTable(), {id}));
    ALIQUOT_ASSIGN_OR_RETURN(
        LotState state, StateFrom<LotState>(row, kLotState, "lot " + id, materials::LotFromJson));
    ALIQUOT_RETURN_IF_ERROR(materials::ApplyLotEvent(state, event));
    if (event.event_type == "materials.use_refused") return {};
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(LotsTable(), LotRow(state)));
    if (event.event_type == "materials.lot_consumed") {
      ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                               ledger::PayloadReader::Parse(event));
      ALIQUOT_ASSIGN_OR_RETURN(const std::string into_kind, payload.String("into_kind"));
      ALIQUOT_ASSIGN_OR_RETURN(const std::string into, payload.String("into"));
      const std::string child =
          into_kind == "batch" ? materials::BatchNode(into) : materials::LotNode(into);
      return AddEdge(writer, materials::LotNode(id), child, event);
    }
    if (event.event_type == "materials.lot_received" && state.made_by_batch) {
      return AddEdge(writer, materials::BatchNode(*state.made_by_batch), materials::LotNode(id),
                     event);
    }
    return {};
  }
};

template <typename State, typename Decode>
Result<State> Load(StoreReader& reader, const TableSpec& table, std::size_t column,
                   const std::string& id, const std::string& what, Decode decode) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(table, {id}));
  return StateFrom<State>(row, column, what + " " + id, decode);
}

template <typename State, typename Decode>
Result<std::vector<State>> LoadAll(StoreReader& reader, const TableSpec& table, std::size_t column,
                                   const std::string& what, Decode decode) {
  std::vector<State> states;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(table, [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(State state,
                             StateFrom<State>(row, column, what + " " + Text(row, 0), decode));
    states.push_back(std::move(state));
    return {};
  }));
  return states;
}

}  // namespace

const TableSpec& GenealogyForwardTable() {
  static const TableSpec kTable{"genealogy_forward",
                                {{"parent", ColumnType::kText},
                                 {"child", ColumnType::kText},
                                 {"seq", ColumnType::kInteger},
                                 {"at", ColumnType::kInteger}},
                                3};
  return kTable;
}

const TableSpec& GenealogyBackwardTable() {
  static const TableSpec kTable{"genealogy_backward",
                                {{"child", ColumnType::kText},
                                 {"parent", ColumnType::kText},
                                 {"seq", ColumnType::kInteger},
                                 {"at", ColumnType::kInteger}},
                                3};
  return kTable;
}

std::unique_ptr<Projector> MakeMaterialsProjector() {
  return std::make_unique<MaterialsProjector>();
}

Result<SupplierState> LoadSupplier(StoreReader& reader, const std::string& id) {
  return Load<SupplierState>(reader, SuppliersTable(), kSupplierState, id, "supplier",
                             materials::SupplierFromJson);
}

Result<MaterialState> LoadMaterial(StoreReader& reader, const std::string& id) {
  return Load<MaterialState>(reader, MaterialsTable(), 3, id, "material",
                             materials::MaterialFromJson);
}

Result<LotState> LoadLot(StoreReader& reader, const std::string& id) {
  return Load<LotState>(reader, LotsTable(), kLotState, id, "lot", materials::LotFromJson);
}

Result<std::vector<SupplierState>> LoadSuppliers(StoreReader& reader) {
  return LoadAll<SupplierState>(reader, SuppliersTable(), kSupplierState, "supplier",
                                materials::SupplierFromJson);
}

Result<std::vector<MaterialState>> LoadMaterials(StoreReader& reader) {
  return LoadAll<MaterialState>(reader, MaterialsTable(), 3, "material",
                                materials::MaterialFromJson);
}

Result<std::vector<LotState>> LoadLots(StoreReader& reader) {
  return LoadAll<LotState>(reader, LotsTable(), kLotState, "lot", materials::LotFromJson);
}

Result<std::optional<std::string>> FindSupplierLot(StoreReader& reader, const std::string& supplier,
                                                   const std::string& supplier_lot) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(SupplierLotsTable(), {supplier, supplier_lot}));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(Text(*row, 2));
}

materials::EdgeSource GenealogyEdges(StoreReader& reader) {
  return [&reader](const std::string& node, materials::Direction direction,
                   const std::function<void(const materials::GenealogyEdge&)>& visit) -> Status {
    const bool forward = direction == materials::Direction::kForward;
    return reader.ScanRowsWithPrefix(forward ? GenealogyForwardTable() : GenealogyBackwardTable(),
                                     {node}, [&](const Row& row) -> Status {
                                       materials::GenealogyEdge edge;
                                       edge.parent = forward ? node : Text(row, 1);
                                       edge.child = forward ? Text(row, 1) : node;
                                       edge.at = Timestamp::FromMicros(Int(row, 3));
                                       visit(edge);
                                       return {};
                                     });
  };
}

Result<LotState> LoadLotAt(StoreReader& reader, const std::string& id, Timestamp at,
                           bool with_containers) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(LotsTable(), {id}));
  if (!row) return LotState();
  const Timestamp since = Timestamp::FromMicros(Int(*row, kStatusSince));
  if (with_containers || at < since) {
    return StateFrom<LotState>(row, kLotState, "lot " + id, materials::LotFromJson);
  }
  // The status in force since `since` holds at `at`; the balance is the one recorded now.
  LotState lot;
  lot.exists = true;
  lot.id = id;
  const std::optional<materials::LotKind> kind = materials::LotKindFromName(Text(*row, kKind));
  const std::optional<materials::LotStatus> status =
      materials::LotStatusFromName(Text(*row, kStatus));
  if (!kind || !status) return Unexpected(DataLoss("lot " + id + ": unknown kind or status"));
  lot.kind = *kind;
  lot.material = Text(*row, kMaterial);
  lot.unit = Text(*row, kUnit);
  lot.expiry = Timestamp::FromMicros(Int(*row, kExpiry));
  lot.supplier = OptionalText(*row, kSupplier).value_or("");
  lot.quantity = materials::Amount::FromMillionths(Int(*row, kBalance));
  lot.statuses.push_back({*status, since, {}, {}});
  return lot;
}

Result<SupplierState> LoadSupplierAt(StoreReader& reader, const std::string& id, Timestamp at) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(SuppliersTable(), {id}));
  if (!row) return SupplierState();
  const Timestamp from = Timestamp::FromMicros(Int(*row, kQualifiedFrom));
  if (at < from) {
    return StateFrom<SupplierState>(row, kSupplierState, "supplier " + id,
                                    materials::SupplierFromJson);
  }
  // The qualification in force since `from` answers for `at`.
  SupplierState supplier;
  supplier.exists = true;
  supplier.id = id;
  supplier.name = Text(*row, kSupplierName);
  materials::Qualification current;
  current.from = from;
  const std::optional<materials::SupplierStatus> status =
      materials::SupplierStatusFromName(Text(*row, kSupplierStatus));
  if (!status) return Unexpected(DataLoss("supplier " + id + ": unknown status"));
  current.status = *status;
  if (std::holds_alternative<std::int64_t>((*row)[kQualifiedUntil])) {
    current.qualified_until = Timestamp::FromMicros(Int(*row, kQualifiedUntil));
  }
  if (std::holds_alternative<std::int64_t>((*row)[kRequalifyBy])) {
    current.requalify_by = Timestamp::FromMicros(Int(*row, kRequalifyBy));
  }
  const std::string& listed = Text(*row, kSupplierMaterials);
  for (std::size_t start = 0; start < listed.size();) {
    const std::size_t space = std::min(listed.find(' ', start), listed.size());
    current.materials.push_back(listed.substr(start, space - start));
    start = space + 1;
  }
  supplier.history.push_back(std::move(current));
  return supplier;
}

Result<std::optional<LotSummary>> LoadLotSummary(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(LotsTable(), {id}));
  if (!row) return std::optional<LotSummary>();
  LotSummary summary;
  summary.id = Text(*row, kLotId);
  summary.material = Text(*row, kMaterial);
  summary.kind = Text(*row, kKind);
  summary.status = Text(*row, kStatus);
  summary.expiry = Timestamp::FromMicros(Int(*row, kExpiry));
  summary.supplier = OptionalText(*row, kSupplier);
  summary.supplier_lot = OptionalText(*row, kSupplierLot);
  summary.certificate = OptionalText(*row, kCertificate);
  summary.donor_code = OptionalText(*row, kDonorCode);
  summary.patient_code = OptionalText(*row, kPatientCode);
  summary.made_by_batch = OptionalText(*row, kMadeByBatch);
  return std::optional<LotSummary>(std::move(summary));
}

}  // namespace aliquot::app
