#include "aliquot/app/material_service.h"

#include <algorithm>
#include <set>
#include <utility>

#include "aliquot/app/batch_service.h"
#include "aliquot/app/use_case.h"
#include "aliquot/domain/batches/execution.h"

namespace aliquot::app {
namespace {

using identity::Action;
using identity::Meaning;
using materials::LotState;
using materials::MaterialState;
using materials::SupplierState;

Result<LotState> ExistingLot(StoreReader& reader, const std::string& id, const std::string& field) {
  ALIQUOT_ASSIGN_OR_RETURN(LotState lot, LoadLot(reader, id));
  if (!lot.exists) return Unexpected(NotFound("no lot " + id.substr(0, 60), field));
  return lot;
}

Result<SupplierState> ExistingSupplier(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(SupplierState supplier, LoadSupplier(reader, id));
  if (!supplier.exists)
    return Unexpected(NotFound("no supplier " + id.substr(0, 60), "supplier_id"));
  return supplier;
}

// The lot's supplier, when it was received from one.
Result<std::optional<SupplierState>> SupplierOf(StoreReader& reader, const LotState& lot) {
  if (lot.supplier.empty()) return std::optional<SupplierState>();
  ALIQUOT_ASSIGN_OR_RETURN(SupplierState supplier, LoadSupplier(reader, lot.supplier));
  if (!supplier.exists) return std::optional<SupplierState>();
  return std::optional<SupplierState>(std::move(supplier));
}

const SupplierState* Pointer(const std::optional<SupplierState>& supplier) {
  return supplier ? &*supplier : nullptr;
}

// Who contributed to a lot's record: none of them signs its release (A11-01).
std::vector<std::string> LotAuthors(const LotState& lot) {
  std::set<std::string> authors{lot.received_by};
  for (const materials::Certificate& certificate : lot.certificates) {
    authors.insert(certificate.entered_by);
  }
  for (const materials::IdentityTest& test : lot.identity_tests) authors.insert(test.performed_by);
  if (lot.collection && !lot.collection->determined_by.empty()) {
    authors.insert(lot.collection->determined_by);
  }
  return {authors.begin(), authors.end()};
}

}  // namespace

SignableRecord SupplierRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    const std::optional<materials::ProposalRef> ref = materials::ParseProposalRecordId(id);
    if (!ref) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const SupplierState supplier, LoadSupplier(reader, ref->supplier));
    std::optional<Json> proposal = materials::ProposalContent(supplier, ref->number);
    if (!proposal) return std::optional<RecordContent>();
    RecordContent content;
    content.content = std::move(*proposal);
    content.authors = {supplier.proposals[static_cast<std::size_t>(ref->number) - 1].proposed_by};
    content.streams = {materials::SupplierStream(ref->supplier)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewMaterials;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kApproved || meaning == Meaning::kRejected) {
      return Action::kApproveSupplier;
    }
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    const std::optional<materials::ProposalRef> ref =
        materials::ParseProposalRecordId(signing.record.id);
    if (!ref) return Unexpected(NotFound("no such proposal", "record_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const SupplierState supplier, ExistingSupplier(reader, ref->supplier));
    ALIQUOT_ASSIGN_OR_RETURN(
        ledger::NewEvent event,
        materials::DecideQualification(supplier, ref->number, signing.meaning == Meaning::kApproved,
                                       signing.signer->id, signing.now, signing.context->Actor(),
                                       signing.context->terminal.id));
    std::vector<ledger::NewEvent> events;
    events.push_back(std::move(event));
    return events;
  };
  return record;
}

SignableRecord MaterialLotRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const LotState lot, LoadLot(reader, id));
    if (!lot.exists) return std::optional<RecordContent>();
    RecordContent content;
    content.content = materials::DispositionContent(lot);
    content.authors = LotAuthors(lot);
    content.streams = {materials::LotStream(id)};
    if (!lot.supplier.empty()) content.streams.push_back(materials::SupplierStream(lot.supplier));
    content.streams.push_back(materials::MaterialStream(lot.material));
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewMaterials;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kReleased || meaning == Meaning::kRejected) return Action::kDisposeLot;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const LotState lot, ExistingLot(reader, signing.record.id, "lot_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material, LoadMaterial(reader, lot.material));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<SupplierState> supplier, SupplierOf(reader, lot));
    ALIQUOT_ASSIGN_OR_RETURN(
        ledger::NewEvent event,
        materials::DecideDisposition(
            lot, material, Pointer(supplier), signing.meaning == Meaning::kReleased,
            signing.comment, signing.now, signing.context->Actor(), signing.context->terminal.id));
    std::vector<ledger::NewEvent> events;
    events.push_back(std::move(event));
    return events;
  };
  return record;
}

MaterialService::MaterialService(Store& store, BlobStore& blobs, Clock& clock,
                                 SessionService& sessions)
    : store_(store), blobs_(blobs), clock_(clock), sessions_(sessions) {}

namespace {

Status Done(const Result<std::vector<ledger::Event>>& appended) {
  if (!appended) return Unexpected(appended.error());
  return {};
}

}  // namespace

Status MaterialService::CreateSupplier(const RequestContext& context,
                                       const materials::SupplierCommand& command) {
  return Done(RunUseCase(
      store_, sessions_, context, Action::kManageSuppliers,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const SupplierState state, LoadSupplier(reader, command.id));
        return materials::CreateSupplier(state, command, context.Actor(), context.terminal.id)
            .transform(One);
      }));
}

Status MaterialService::RecordAudit(const RequestContext& context, const std::string& supplier,
                                    const materials::AuditCommand& command) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kManageSuppliers,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        // The file a record cites is in the store before the record is (once authorised).
        ALIQUOT_RETURN_IF_ERROR(CheckCitedFile(blobs_, command.report_sha256, "report_sha256"));
        ALIQUOT_ASSIGN_OR_RETURN(const SupplierState state, ExistingSupplier(reader, supplier));
        return materials::RecordAudit(state, command, now, context.Actor(), context.terminal.id)
            .transform(One);
      }));
}

Status MaterialService::ProposeQualification(const RequestContext& context,
                                             const std::string& supplier,
                                             const materials::QualificationCommand& command) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kManageSuppliers,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const SupplierState state, ExistingSupplier(reader, supplier));
        ALIQUOT_ASSIGN_OR_RETURN(const std::vector<MaterialState> all, LoadMaterials(reader));
        std::vector<std::string> purchased;
        for (const MaterialState& material : all) {
          if (materials::IsPurchased(material.category)) purchased.push_back(material.id);
        }
        return materials::ProposeQualification(state, command, purchased, now, context.Actor(),
                                               context.terminal.id)
            .transform(One);
      }));
}

Result<std::vector<SupplierState>> MaterialService::Suppliers(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  std::vector<SupplierState> suppliers;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(suppliers, LoadSuppliers(reader));
    return {};
  }));
  return suppliers;
}

Result<SupplierState> MaterialService::Supplier(const RequestContext& context,
                                                const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  SupplierState supplier;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(supplier, ExistingSupplier(reader, id));
    return {};
  }));
  return supplier;
}

Status MaterialService::DefineMaterial(const RequestContext& context,
                                       const materials::MaterialCommand& command,
                                       const std::string& reason) {
  return Done(RunUseCase(store_, sessions_, context, Action::kDefineMaterial,
                         [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                           ALIQUOT_ASSIGN_OR_RETURN(const MaterialState state,
                                                    LoadMaterial(reader, command.id));
                           return materials::DefineMaterial(state, command, reason, context.Actor(),
                                                            context.terminal.id)
                               .transform(One);
                         }));
}

Result<std::vector<MaterialState>> MaterialService::Materials(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  std::vector<MaterialState> materials;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(materials, LoadMaterials(reader));
    return {};
  }));
  return materials;
}

Result<MaterialState> MaterialService::Material(const RequestContext& context,
                                                const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  MaterialState material;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(material, LoadMaterial(reader, id));
    if (!material.exists)
      return Unexpected(NotFound("no material " + id.substr(0, 60), "material_id"));
    return {};
  }));
  return material;
}

Status MaterialService::ReceiveLot(const RequestContext& context,
                                   const materials::LotReceipt& receipt) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kReceiveLot,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const LotState state, LoadLot(reader, receipt.id));
        ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material,
                                 LoadMaterial(reader, receipt.material));
        ALIQUOT_ASSIGN_OR_RETURN(const SupplierState supplier,
                                 LoadSupplier(reader, receipt.supplier));
        ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> existing,
                                 FindSupplierLot(reader, receipt.supplier, receipt.supplier_lot));
        return materials::ReceiveLot(state, receipt, material, supplier, existing, now,
                                     context.Actor(), context.terminal.id);
      }));
}

Status MaterialService::ReceiveCollection(const RequestContext& context,
                                          const materials::CollectionReceipt& receipt) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(store_, sessions_, context, Action::kReceiveLot,
                         [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                           // The file a record cites is in the store before the record is (once
                           // authorised).
                           ALIQUOT_RETURN_IF_ERROR(CheckCitedFile(
                               blobs_, receipt.logger_file_sha256, "logger_file_sha256"));
                           ALIQUOT_ASSIGN_OR_RETURN(const LotState state,
                                                    LoadLot(reader, receipt.id));
                           ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material,
                                                    LoadMaterial(reader, receipt.material));
                           return materials::ReceiveCollection(state, receipt, material, now,
                                                               context.Actor(), context.terminal.id)
                               .transform(One);
                         }));
}

namespace {

// A produced lot comes out of a batch that exists (T-01: the edge from the batch to the lot is
// only as good as the batch it names), under the batch's own rules for what it makes.
Status CheckMadeBy(StoreReader& reader, const materials::ProducedLot& produced) {
  if (!produced.batch) return {};
  ALIQUOT_ASSIGN_OR_RETURN(const BatchView batch,
                           BatchService::LoadForStepIn(reader, *produced.batch, std::nullopt));
  return batches::CheckLotMadeBy(*batch.recipe, batch.state, produced.patient_code);
}

}  // namespace

Status MaterialService::ProduceLot(const RequestContext& context,
                                   const materials::ProducedLot& produced) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kProduceLot,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const LotState state, LoadLot(reader, produced.id));
        ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material,
                                 LoadMaterial(reader, produced.material));
        // The request's own mistakes first, then the batch as recorded.
        ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event,
                                 materials::ProduceLot(state, produced, material, now,
                                                       context.Actor(), context.terminal.id));
        ALIQUOT_RETURN_IF_ERROR(CheckMadeBy(reader, produced));
        return One(std::move(event));
      }));
}

Status MaterialService::EnterCertificate(const RequestContext& context, const std::string& lot,
                                         const materials::CertificateInput& input,
                                         const std::string& reason) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kTestLot,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        // The file a record cites is in the store before the record is (once authorised).
        ALIQUOT_RETURN_IF_ERROR(CheckCitedFile(blobs_, input.file_sha256, "file_sha256"));
        ALIQUOT_ASSIGN_OR_RETURN(const LotState state, ExistingLot(reader, lot, "lot_id"));
        ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material,
                                 LoadMaterial(reader, state.material));
        return materials::EnterCertificate(state, input, material, reason, now, context.Actor(),
                                           context.terminal.id)
            .transform(One);
      }));
}

Status MaterialService::RecordIdentityTest(const RequestContext& context, const std::string& lot,
                                           bool passed, const std::string& method,
                                           const std::string& comment) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kTestLot,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const LotState state, ExistingLot(reader, lot, "lot_id"));
        return materials::RecordIdentityTest(state, passed, method, comment, now, context.Actor(),
                                             context.terminal.id)
            .transform(One);
      }));
}

Status MaterialService::DetermineEligibility(const RequestContext& context, const std::string& lot,
                                             bool eligible, const std::string& basis) {
  const Timestamp now = clock_.Now();
  return Done(RunUseCase(
      store_, sessions_, context, Action::kDetermineEligibility,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const LotState state, ExistingLot(reader, lot, "lot_id"));
        return materials::DetermineEligibility(state, eligible, basis, now, context.Actor(),
                                               context.terminal.id)
            .transform(One);
      }));
}

namespace {

Result<LotView> ViewOf(StoreReader& reader, LotState lot, Timestamp now) {
  ALIQUOT_ASSIGN_OR_RETURN(const MaterialState material, LoadMaterial(reader, lot.material));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<SupplierState> supplier, SupplierOf(reader, lot));
  LotView view;
  if (lot.Status() == materials::LotStatus::kQuarantine) {
    view.release_blockers = materials::ReleaseBlockers(lot, material, Pointer(supplier), now);
  }
  view.lot = std::move(lot);
  return view;
}

}  // namespace

Result<std::vector<LotView>> MaterialService::Lots(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  const Timestamp now = clock_.Now();
  std::vector<LotView> views;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<LotState> lots, LoadLots(reader));
    for (LotState& lot : lots) {
      ALIQUOT_ASSIGN_OR_RETURN(LotView view, ViewOf(reader, std::move(lot), now));
      views.push_back(std::move(view));
    }
    return {};
  }));
  return views;
}

Result<LotView> MaterialService::Lot(const RequestContext& context, const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  const Timestamp now = clock_.Now();
  LotView view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(LotState lot, ExistingLot(reader, id, "lot_id"));
    ALIQUOT_ASSIGN_OR_RETURN(view, ViewOf(reader, std::move(lot), now));
    return {};
  }));
  return view;
}

namespace {

// The point-of-use check of `lot`, read by the caller, as `input` asks at `at`.
Result<materials::UseCheck> CheckUseOf(StoreReader& reader, const LotState& lot,
                                       const materials::ScannedLot& scanned, const UseInput& input,
                                       Timestamp at) {
  materials::Amount quantity;
  if (lot.material == input.material) {
    ALIQUOT_ASSIGN_OR_RETURN(quantity,
                             materials::ToAmount(input.quantity, input.unit, lot.unit, "quantity"));
    if (quantity.Millionths() == 0) {
      return Unexpected(InvalidArgument("use more than nothing", "quantity"));
    }
  } else {
    // The wrong lot scanned is the answer, whatever unit the step counts its own material in; a
    // material that does not exist is a mistake in the request, not a refusal to record.
    ALIQUOT_ASSIGN_OR_RETURN(const MaterialState expected, LoadMaterial(reader, input.material));
    if (!expected.exists) {
      return Unexpected(NotFound("no material " + input.material.substr(0, 60), "material"));
    }
  }
  std::optional<SupplierState> supplier;
  if (!lot.supplier.empty()) {
    ALIQUOT_ASSIGN_OR_RETURN(supplier, LoadSupplierAt(reader, lot.supplier, at));
    if (!supplier->exists) supplier.reset();
  }
  return materials::CheckUse(lot, Pointer(supplier),
                             {input.material, scanned.container, quantity, at});
}

}  // namespace

Result<materials::UseCheck> MaterialService::CheckUseIn(StoreReader& reader, const UseInput& input,
                                                        Timestamp now) {
  ALIQUOT_ASSIGN_OR_RETURN(const materials::ScannedLot scanned,
                           materials::ParseScannedLot(input.scanned, "lot"));
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(input.material, "material"));
  const Timestamp at = input.at.value_or(now);
  // The gate of every step that uses material: two point reads, decoded from typed columns when
  // nothing changed between `at` and now (docs/benchmarks.md).
  ALIQUOT_ASSIGN_OR_RETURN(const LotState lot,
                           LoadLotAt(reader, scanned.lot, at, scanned.container.has_value()));
  if (!lot.exists) return Unexpected(NotFound("no lot " + scanned.lot.substr(0, 60), "lot"));
  return CheckUseOf(reader, lot, scanned, input, at);
}

Result<MaterialService::LotForUse> MaterialService::PrepareUseIn(StoreReader& reader,
                                                                 const std::string& scanned_label,
                                                                 double quantity,
                                                                 const std::string& unit,
                                                                 Timestamp now) {
  ALIQUOT_ASSIGN_OR_RETURN(const materials::ScannedLot scanned,
                           materials::ParseScannedLot(scanned_label, "lot"));
  LotForUse use;
  ALIQUOT_ASSIGN_OR_RETURN(use.lot, ExistingLot(reader, scanned.lot, "lot"));
  ALIQUOT_ASSIGN_OR_RETURN(use.material, LoadMaterial(reader, use.lot.material));
  if (!use.material.exists) {
    return Unexpected(
        DataLoss("lot " + use.lot.id + " is of unknown material " + use.lot.material));
  }
  UseInput input;
  input.scanned = scanned_label;
  input.material = use.lot.material;
  input.quantity = quantity;
  input.unit = unit;
  ALIQUOT_ASSIGN_OR_RETURN(use.check, CheckUseOf(reader, use.lot, scanned, input, now));
  return use;
}

Result<materials::UseCheck> MaterialService::CheckUse(const RequestContext& context,
                                                      const UseInput& input) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  const Timestamp now = clock_.Now();
  materials::UseCheck check;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(check, CheckUseIn(reader, input, now));
    return {};
  }));
  return check;
}

Result<materials::UseCheck> MaterialService::Consume(const RequestContext& context,
                                                     const ConsumeInput& input) {
  if (input.use.at) {
    // AL-01: the server's clock dates a consumption; a client's instant is not the record.
    return Unexpected(InvalidArgument("a consumption happens now; it takes no instant", "at"));
  }
  if (input.into.kind == materials::Destination::Kind::kBatch) {
    // G-03, T-01: what goes into a batch is recorded by the step that uses it, in the batch record,
    // where the master batch record's bill of materials, training and the point-of-use check are
    // enforced. Here a lot goes only into another lot.
    return Unexpected(
        InvalidArgument("a lot goes into a batch through the batch's step: POST "
                        "/api/v1/batches/{batch}/steps/{step}/materials; this route consumes a lot "
                        "into another lot",
                        "into.kind"));
  }
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(input.into.id, "into.id"));
  std::optional<materials::UseCheck> refused;
  materials::UseCheck allowed;
  ALIQUOT_ASSIGN_OR_RETURN(
      const std::vector<ledger::Event> appended,
      RunUseCase(
          store_, sessions_, context, Action::kConsumeLot,
          [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
            refused.reset();
            ALIQUOT_ASSIGN_OR_RETURN(const materials::ScannedLot scanned,
                                     materials::ParseScannedLot(input.use.scanned, "lot"));
            if (input.into.id == scanned.lot) {
              return Unexpected(InvalidArgument("a lot is not consumed into itself", "into.id"));
            }
            ALIQUOT_RETURN_IF_ERROR(
                ExistingLot(reader, input.into.id, "into.id").transform([](const LotState&) {}));
            ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(input.use.material, "material"));
            // The whole lot, read once: the check and the draws from its containers both need it.
            ALIQUOT_ASSIGN_OR_RETURN(const LotState lot, ExistingLot(reader, scanned.lot, "lot"));
            ALIQUOT_ASSIGN_OR_RETURN(const materials::UseCheck check,
                                     CheckUseOf(reader, lot, scanned, input.use, clock_.Now()));
            if (!check.Allowed()) {
              refused = check;
              return One(
                  materials::UseRefused(check, input.into, context.Actor(), context.terminal.id));
            }
            allowed = check;
            return One(
                materials::Consume(lot, check, input.into, context.Actor(), context.terminal.id));
          }));
  (void)appended;
  if (refused) return Unexpected(FailedPrecondition(refused->message, "lot"));
  return allowed;
}

Status MaterialService::Withdraw(const RequestContext& context, const WithdrawInput& input) {
  return Done(RunUseCase(
      store_, sessions_, context, Action::kConsumeLot,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const materials::ScannedLot scanned,
                                 materials::ParseScannedLot(input.scanned, "lot"));
        ALIQUOT_ASSIGN_OR_RETURN(const LotState lot, ExistingLot(reader, scanned.lot, "lot"));
        ALIQUOT_ASSIGN_OR_RETURN(
            const materials::Amount quantity,
            materials::ToAmount(input.quantity, input.unit, lot.unit, "quantity"));
        return materials::Withdraw(lot, scanned.container, quantity, input.purpose, input.reason,
                                   context.Actor(), context.terminal.id)
            .transform(One);
      }));
}

Result<GenealogyReport> MaterialService::GenealogyIn(StoreReader& reader, const std::string& root,
                                                     materials::Direction direction,
                                                     Timestamp as_of) {
  ALIQUOT_ASSIGN_OR_RETURN(
      const materials::NodeRef node,
      materials::ParseNode(root).or_else([&](const Error&) -> Result<materials::NodeRef> {
        return Unexpected(InvalidArgument(
            "a trace starts from \"batch:<id>\" or \"lot:<id>\", not '" + root.substr(0, 60) + "'",
            "root"));
      }));
  if (node.kind == "lot") {
    ALIQUOT_RETURN_IF_ERROR(ExistingLot(reader, node.id, "root").transform([](const LotState&) {}));
  }
  GenealogyReport report;
  ALIQUOT_ASSIGN_OR_RETURN(report.trace,
                           materials::TraceGenealogy(root, direction, as_of, GenealogyEdges(reader),
                                                     kMaxGenealogyNodes));
  if (node.kind == "batch" && report.trace.nodes.empty()) {
    // A batch is known by the material recorded for it: with none either way by then, the id is
    // more likely mistyped than the answer empty. One that has consumed but made nothing yet has
    // an empty forward trace, and that is the answer.
    bool recorded = false;
    const materials::Direction other = direction == materials::Direction::kForward
                                           ? materials::Direction::kBackward
                                           : materials::Direction::kForward;
    ALIQUOT_RETURN_IF_ERROR(GenealogyEdges(reader)(
        root, other,
        [&](const materials::GenealogyEdge& edge) { recorded = recorded || edge.at <= as_of; }));
    if (!recorded) {
      return Unexpected(NotFound("no lot went into or came from batch " + node.id.substr(0, 60) +
                                     " as of " + as_of.ToRfc3339(),
                                 "root"));
    }
  }
  std::set<std::string> suppliers;
  std::set<std::string> donors;
  std::set<std::string> patients;
  std::vector<std::string> walked{root};
  walked.insert(walked.end(), report.trace.nodes.begin(), report.trace.nodes.end());
  for (const std::string& key : walked) {
    ALIQUOT_ASSIGN_OR_RETURN(const materials::NodeRef reached, materials::ParseNode(key));
    if (reached.kind == "batch") {
      if (key != root) report.batches.push_back(reached.id);
      continue;
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<LotSummary> summary,
                             LoadLotSummary(reader, reached.id));
    if (!summary) continue;  // A lot consumed into before it existed cannot be; kept tolerant.
    if (summary->supplier) suppliers.insert(*summary->supplier);
    if (summary->donor_code) donors.insert(*summary->donor_code);
    if (summary->patient_code) patients.insert(*summary->patient_code);
    if (key != root) report.lots.push_back(*summary);
  }
  report.suppliers.assign(suppliers.begin(), suppliers.end());
  report.donors.assign(donors.begin(), donors.end());
  report.patients.assign(patients.begin(), patients.end());
  return report;
}

Result<GenealogyReport> MaterialService::Genealogy(const RequestContext& context,
                                                   const std::string& root,
                                                   materials::Direction direction,
                                                   std::optional<Timestamp> as_of) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewMaterials));
  const Timestamp at = as_of.value_or(clock_.Now());
  GenealogyReport report;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(report, GenealogyIn(reader, root, direction, at));
    return {};
  }));
  return report;
}

}  // namespace aliquot::app
