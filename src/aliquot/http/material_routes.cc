#include "aliquot/http/material_routes.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;
namespace m = materials;

Json OptionalText(const std::optional<std::string>& text) { return text ? Json(*text) : Json(); }

// --- Reading requests -------------------------------------------------------------------------

template <typename Enum>
Result<Enum> EnumMember(JsonBody& body, std::string_view name,
                        std::optional<Enum> (*from_name)(std::string_view),
                        std::string_view allowed) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, body.String(name));
  const std::optional<Enum> value = from_name(text);
  if (!value) {
    return Unexpected(InvalidArgument(std::string(name) + " must be one of " +
                                          std::string(allowed) + ", not '" + text.substr(0, 40) +
                                          "'",
                                      std::string(name)));
  }
  return *value;
}

Result<Timestamp> TimeMember(JsonBody& body, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> time, OptionalTimeMember(body, name));
  if (!time)
    return Unexpected(InvalidArgument(std::string(name) + " is required", std::string(name)));
  return *time;
}

Result<m::SpecTest> SpecTestFrom(JsonBody& body) {
  m::SpecTest test;
  ALIQUOT_ASSIGN_OR_RETURN(test.name, body.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(test.method, body.String("method"));
  ALIQUOT_ASSIGN_OR_RETURN(JsonBody criterion, body.Object("criterion"));
  ALIQUOT_ASSIGN_OR_RETURN(
      test.criterion.kind,
      EnumMember(criterion, "kind", &m::CriterionKindFromName, "range, pass_fail, text"));
  ALIQUOT_ASSIGN_OR_RETURN(test.criterion.min, criterion.OptionalNumber("min"));
  ALIQUOT_ASSIGN_OR_RETURN(test.criterion.max, criterion.OptionalNumber("max"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<bool> min_exclusive,
                           criterion.OptionalBool("min_exclusive"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<bool> max_exclusive,
                           criterion.OptionalBool("max_exclusive"));
  test.criterion.min_exclusive = min_exclusive.value_or(false);
  test.criterion.max_exclusive = max_exclusive.value_or(false);
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> unit, criterion.OptionalString("unit"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> expected,
                           criterion.OptionalString("expected"));
  test.criterion.unit = unit.value_or("");
  test.criterion.expected = expected.value_or("");
  ALIQUOT_RETURN_IF_ERROR(criterion.CheckNoOtherMembers());
  ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
  return test;
}

Result<m::TestResult> TestResultFrom(JsonBody& body) {
  m::TestResult result;
  ALIQUOT_ASSIGN_OR_RETURN(result.test, body.String("test"));
  ALIQUOT_ASSIGN_OR_RETURN(result.value, body.OptionalNumber("value"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> unit, body.OptionalString("unit"));
  ALIQUOT_ASSIGN_OR_RETURN(result.passed, body.OptionalBool("passed"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, body.OptionalString("text"));
  result.unit = unit.value_or("");
  result.text = text.value_or("");
  ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
  return result;
}

Result<std::vector<double>> OptionalNumbers(JsonBody& body, std::string_view name) {
  if (body.OptionalMember(name) == nullptr) return std::vector<double>();
  return body.NumberArray(name);
}

Result<app::UseInput> UseInputFrom(JsonBody& body) {
  app::UseInput use;
  ALIQUOT_ASSIGN_OR_RETURN(use.scanned, body.String("lot"));
  ALIQUOT_ASSIGN_OR_RETURN(use.material, body.String("material"));
  ALIQUOT_ASSIGN_OR_RETURN(use.quantity, body.Number("quantity"));
  ALIQUOT_ASSIGN_OR_RETURN(use.unit, body.String("unit"));
  return use;
}

// --- Showing records --------------------------------------------------------------------------

Json QualificationJson(const m::Qualification& qualification) {
  Json json = Json::MakeObject();
  json.Set("from", qualification.from.ToRfc3339());
  json.Set("status", m::SupplierStatusName(qualification.status));
  json.Set("materials", JsonStrings(qualification.materials));
  json.Set("qualified_until", TimeJson(qualification.qualified_until));
  json.Set("requalify_by", TimeJson(qualification.requalify_by));
  json.Set("conditions", qualification.conditions);
  json.Set("reason", qualification.reason);
  json.Set("approved_by", qualification.approved_by);
  return json;
}

Json SupplierJson(const m::SupplierState& supplier, Timestamp now) {
  Json json = Json::MakeObject();
  json.Set("supplier_id", supplier.id);
  json.Set("name", supplier.name);
  json.Set("address", supplier.address);
  json.Set("created_at", supplier.created_at.ToRfc3339());
  const m::Qualification* current = supplier.QualificationAt(now);
  json.Set("qualification", current != nullptr ? QualificationJson(*current) : Json());
  // What a buyer or QA must act on: a lapsed qualification, a requalification overdue.
  json.Set("qualified_now", current != nullptr &&
                                (current->status == m::SupplierStatus::kApproved ||
                                 current->status == m::SupplierStatus::kConditional) &&
                                (!current->qualified_until || now < *current->qualified_until));
  json.Set("requalification_overdue",
           current != nullptr && current->requalify_by && now >= *current->requalify_by);
  Json history = Json::MakeArray();
  for (const m::Qualification& qualification : supplier.history) {
    history.Push(QualificationJson(qualification));
  }
  json.Set("history", std::move(history));
  if (supplier.proposed) {
    const m::QualificationChange& change = *supplier.proposed;
    Json proposed = Json::MakeObject();
    proposed.Set("status", m::SupplierStatusName(change.status));
    proposed.Set("materials", JsonStrings(change.materials));
    proposed.Set("qualified_until", TimeJson(change.qualified_until));
    proposed.Set("requalify_by", TimeJson(change.requalify_by));
    proposed.Set("conditions", change.conditions);
    proposed.Set("reason", change.reason);
    proposed.Set("proposed_by", change.proposed_by);
    proposed.Set("proposed_at", change.proposed_at.ToRfc3339());
    proposed.Set("record", RecordJson("supplier", m::ProposalRecordId(supplier.id, change.number)));
    json.Set("proposed", std::move(proposed));
  } else {
    json.Set("proposed", Json());
  }
  // Every proposal with its decision: each is the record its signatures are on.
  Json proposals = Json::MakeArray();
  for (const m::QualificationChange& change : supplier.proposals) {
    Json item = Json::MakeObject();
    item.Set("number", change.number);
    item.Set("decision", m::DecisionName(change.decision));
    item.Set("status", m::SupplierStatusName(change.status));
    item.Set("proposed_by", change.proposed_by);
    item.Set("proposed_at", change.proposed_at.ToRfc3339());
    item.Set("record", RecordJson("supplier", m::ProposalRecordId(supplier.id, change.number)));
    proposals.Push(std::move(item));
  }
  json.Set("proposals", std::move(proposals));
  Json audits = Json::MakeArray();
  for (const m::SupplierAudit& audit : supplier.audits) {
    Json item = Json::MakeObject();
    item.Set("performed_on", audit.performed_on.ToRfc3339());
    item.Set("kind", audit.kind);
    item.Set("outcome", m::AuditOutcomeName(audit.outcome));
    item.Set("auditor", audit.auditor);
    item.Set("summary", audit.summary);
    item.Set("report_sha256", OptionalText(audit.report_sha256));
    item.Set("recorded_by", audit.recorded_by);
    item.Set("recorded_at", audit.recorded_at.ToRfc3339());
    audits.Push(std::move(item));
  }
  json.Set("audits", std::move(audits));
  return json;
}

Json CriterionJson(const m::Criterion& criterion) {
  Json json = Json::MakeObject();
  json.Set("kind", m::CriterionKindName(criterion.kind));
  if (criterion.kind == m::Criterion::Kind::kRange) {
    json.Set("min", criterion.min ? Json(*criterion.min) : Json());
    json.Set("min_exclusive", criterion.min_exclusive);
    json.Set("max", criterion.max ? Json(*criterion.max) : Json());
    json.Set("max_exclusive", criterion.max_exclusive);
    json.Set("unit", criterion.unit);
  }
  if (criterion.kind == m::Criterion::Kind::kText) json.Set("expected", criterion.expected);
  json.Set("text", criterion.Describe());
  return json;
}

Json MaterialJson(const m::MaterialState& material) {
  Json json = Json::MakeObject();
  json.Set("material_id", material.id);
  json.Set("name", material.name);
  json.Set("category", m::CategoryName(material.category));
  json.Set("unit", material.unit);
  json.Set("storage_condition", material.storage_condition);
  json.Set("shelf_life", material.shelf_life.Describe());
  json.Set("criticality", m::CriticalityName(material.criticality));
  json.Set("identity_test_required", material.identity_test_required);
  json.Set("spec_version", material.spec_version);
  Json tests = Json::MakeArray();
  for (const m::SpecTest& test : material.tests) {
    Json item = Json::MakeObject();
    item.Set("name", test.name);
    item.Set("method", test.method);
    item.Set("criterion", CriterionJson(test.criterion));
    tests.Push(std::move(item));
  }
  json.Set("tests", std::move(tests));
  json.Set("revised_at", material.revised_at.ToRfc3339());
  json.Set("revised_by", material.revised_by);
  return json;
}

Json ResultJson(const m::CheckedResult& checked) {
  Json json = Json::MakeObject();
  json.Set("test", checked.result.test);
  json.Set("value", checked.result.value ? Json(*checked.result.value) : Json());
  json.Set("unit", checked.result.unit);
  json.Set("passed", checked.result.passed ? Json(*checked.result.passed) : Json());
  json.Set("text", checked.result.text);
  json.Set("conforms", checked.conforms);
  json.Set("criterion", checked.criterion);
  json.Set("value_in_spec_unit",
           checked.value_in_spec_unit ? Json(*checked.value_in_spec_unit) : Json());
  json.Set("finding", checked.finding);
  return json;
}

Json LotJson(const app::LotView& view) {
  const m::LotState& lot = view.lot;
  Json json = Json::MakeObject();
  json.Set("lot_id", lot.id);
  json.Set("kind", m::LotKindName(lot.kind));
  json.Set("material", lot.material);
  json.Set("status", m::LotStatusName(lot.Status()));
  json.Set("unit", lot.unit);
  json.Set("quantity", lot.quantity.Units());
  json.Set("balance", lot.Balance().Units());
  json.Set("consumed", lot.consumed.Units());
  json.Set("withdrawn", lot.withdrawn.Units());
  json.Set("expiry", lot.expiry.ToRfc3339());
  json.Set("received_at", lot.received_at.ToRfc3339());
  json.Set("received_by", lot.received_by);
  json.Set("receiving_code", lot.receiving_code);
  json.Set("storage_location", lot.storage_location);
  json.Set("supplier", lot.supplier.empty() ? Json() : Json(lot.supplier));
  json.Set("supplier_lot", lot.supplier_lot.empty() ? Json() : Json(lot.supplier_lot));
  json.Set("made_by_batch", OptionalText(lot.made_by_batch));
  json.Set("patient_code", OptionalText(lot.patient_code));
  if (lot.collection) {
    const m::Collection& c = *lot.collection;
    Json collection = Json::MakeObject();
    collection.Set("donor_code", c.donor_code);
    collection.Set("collection_facility", c.collection_facility);
    collection.Set("collected_at", c.collected_at.ToRfc3339());
    collection.Set("shipping_min_c", c.shipping_min_c);
    collection.Set("shipping_max_c", c.shipping_max_c);
    collection.Set("shipping_excursion", c.ShippingExcursion());
    collection.Set("logger_file_sha256", OptionalText(c.logger_file_sha256));
    collection.Set("eligibility", m::EligibilityName(c.eligibility));
    collection.Set("determined_at", TimeJson(c.determined_at));
    collection.Set("determined_by", c.determined_by);
    collection.Set("eligibility_basis", c.eligibility_basis);
    json.Set("collection", std::move(collection));
  } else {
    json.Set("collection", Json());
  }
  Json containers = Json::MakeArray();
  for (const m::Container& container : lot.containers) {
    Json item = Json::MakeObject();
    item.Set("container_id", container.id);
    item.Set("initial", container.initial.Units());
    item.Set("balance", container.balance.Units());
    containers.Push(std::move(item));
  }
  json.Set("containers", std::move(containers));
  Json statuses = Json::MakeArray();
  for (const m::StatusChange& change : lot.statuses) {
    Json item = Json::MakeObject();
    item.Set("status", m::LotStatusName(change.status));
    item.Set("at", change.at.ToRfc3339());
    item.Set("by", change.by);
    item.Set("comment", change.comment);
    statuses.Push(std::move(item));
  }
  json.Set("statuses", std::move(statuses));
  Json certificates = Json::MakeArray();
  for (const m::Certificate& certificate : lot.certificates) {
    Json item = Json::MakeObject();
    item.Set("number", certificate.number);
    item.Set("certificate_number", certificate.certificate_number);
    item.Set("file_sha256", OptionalText(certificate.file_sha256));
    item.Set("spec_version", certificate.spec_version);
    item.Set("entered_by", certificate.entered_by);
    item.Set("entered_at", certificate.entered_at.ToRfc3339());
    item.Set("out_of_specification",
             static_cast<std::int64_t>(certificate.OutOfSpecification().size()));
    Json results = Json::MakeArray();
    for (const m::CheckedResult& result : certificate.results) results.Push(ResultJson(result));
    item.Set("results", std::move(results));
    certificates.Push(std::move(item));
  }
  json.Set("certificates", std::move(certificates));
  Json tests = Json::MakeArray();
  for (const m::IdentityTest& test : lot.identity_tests) {
    Json item = Json::MakeObject();
    item.Set("passed", test.passed);
    item.Set("method", test.method);
    item.Set("comment", test.comment);
    item.Set("performed_by", test.performed_by);
    item.Set("at", test.at.ToRfc3339());
    tests.Push(std::move(item));
  }
  json.Set("identity_tests", std::move(tests));
  json.Set("release_blockers", JsonStrings(view.release_blockers));
  json.Set("record", RecordJson("material_lot", lot.id));
  return json;
}

Json UseCheckJson(const m::UseCheck& check) {
  Json json = Json::MakeObject();
  json.Set("allowed", check.Allowed());
  json.Set("reason", m::UseRefusalName(check.refusal));
  json.Set("message", check.message);
  json.Set("lot", check.lot);
  json.Set("container", OptionalText(check.container));
  json.Set("material", check.material);
  json.Set("at", check.at.ToRfc3339());
  json.Set("requested", check.requested.Units());
  json.Set("available", check.available.Units());
  return json;
}

Json LotSummaryJson(const app::LotSummary& lot) {
  Json json = Json::MakeObject();
  json.Set("lot_id", lot.id);
  json.Set("material", lot.material);
  json.Set("kind", lot.kind);
  json.Set("status", lot.status);
  json.Set("expiry", lot.expiry.ToRfc3339());
  json.Set("supplier", OptionalText(lot.supplier));
  json.Set("supplier_lot", OptionalText(lot.supplier_lot));
  json.Set("certificate", OptionalText(lot.certificate));
  json.Set("donor_code", OptionalText(lot.donor_code));
  json.Set("patient_code", OptionalText(lot.patient_code));
  json.Set("made_by_batch", OptionalText(lot.made_by_batch));
  return json;
}

using Method = Result<Response> (*)(const MaterialsApi&, const Request&, const RequestContext&);

class Routes {
 public:
  explicit Routes(const MaterialsApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    using Handler = Result<Response> (Routes::*)(const Request&, const RequestContext&);
    const auto bind = [&](std::string_view method, std::string_view pattern, Handler handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("GET", "/api/v1/suppliers", &Routes::Suppliers);
    bind("POST", "/api/v1/suppliers", &Routes::CreateSupplier);
    bind("GET", "/api/v1/suppliers/{supplier}", &Routes::Supplier);
    bind("POST", "/api/v1/suppliers/{supplier}/audits", &Routes::RecordAudit);
    bind("POST", "/api/v1/suppliers/{supplier}/qualification", &Routes::ProposeQualification);
    bind("GET", "/api/v1/materials", &Routes::Materials);
    bind("GET", "/api/v1/materials/{material}", &Routes::Material);
    bind("PUT", "/api/v1/materials/{material}", &Routes::DefineMaterial);
    bind("GET", "/api/v1/lots", &Routes::Lots);
    bind("POST", "/api/v1/lots", &Routes::ReceiveLot);
    bind("POST", "/api/v1/lots/collections", &Routes::ReceiveCollection);
    bind("POST", "/api/v1/lots/produced", &Routes::ProduceLot);
    bind("POST", "/api/v1/lots/check-use", &Routes::CheckUse);
    bind("POST", "/api/v1/lots/consume", &Routes::Consume);
    bind("POST", "/api/v1/lots/withdraw", &Routes::Withdraw);
    bind("GET", "/api/v1/lots/{lot}", &Routes::Lot);
    bind("POST", "/api/v1/lots/{lot}/certificates", &Routes::EnterCertificate);
    bind("POST", "/api/v1/lots/{lot}/identity-tests", &Routes::RecordIdentityTest);
    bind("POST", "/api/v1/lots/{lot}/eligibility", &Routes::DetermineEligibility);
    bind("GET", "/api/v1/genealogy", &Routes::Genealogy);
  }

 private:
  Result<Response> Suppliers(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<m::SupplierState> suppliers,
                             api_.materials.Suppliers(context));
    const Timestamp now = api_.materials.Now();
    Json list = Json::MakeArray();
    for (const m::SupplierState& supplier : suppliers) list.Push(SupplierJson(supplier, now));
    Json json = Json::MakeObject();
    json.Set("suppliers", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Supplier(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const m::SupplierState supplier,
                             api_.materials.Supplier(context, PathParam(request, "supplier")));
    return JsonResponse(kOk, SupplierJson(supplier, api_.materials.Now()));
  }

  Result<Response> CreateSupplier(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::SupplierCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.id, body.String("supplier_id"));
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(command.address, body.String("address"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.CreateSupplier(context, command));
    ALIQUOT_ASSIGN_OR_RETURN(const m::SupplierState supplier,
                             api_.materials.Supplier(context, command.id));
    return JsonResponse(kCreated, SupplierJson(supplier, api_.materials.Now()));
  }

  Result<Response> RecordAudit(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::AuditCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.performed_on, TimeMember(body, "performed_on"));
    ALIQUOT_ASSIGN_OR_RETURN(command.kind, body.String("kind"));
    ALIQUOT_ASSIGN_OR_RETURN(command.outcome,
                             EnumMember(body, "outcome", &m::AuditOutcomeFromName,
                                        "satisfactory, minor_findings, major_findings, "
                                        "unsatisfactory"));
    ALIQUOT_ASSIGN_OR_RETURN(command.auditor, body.String("auditor"));
    ALIQUOT_ASSIGN_OR_RETURN(command.summary, body.String("summary"));
    ALIQUOT_ASSIGN_OR_RETURN(command.report_sha256, body.OptionalString("report_sha256"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "supplier");
    ALIQUOT_RETURN_IF_ERROR(api_.materials.RecordAudit(context, id, command));
    ALIQUOT_ASSIGN_OR_RETURN(const m::SupplierState supplier, api_.materials.Supplier(context, id));
    return JsonResponse(kCreated, SupplierJson(supplier, api_.materials.Now()));
  }

  Result<Response> ProposeQualification(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::QualificationCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.status,
                             EnumMember(body, "status", &m::SupplierStatusFromName,
                                        "pending, approved, conditional, disqualified"));
    if (body.OptionalMember("materials") != nullptr) {
      ALIQUOT_ASSIGN_OR_RETURN(command.materials, body.StringArray("materials"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(command.qualified_until, OptionalTimeMember(body, "qualified_until"));
    ALIQUOT_ASSIGN_OR_RETURN(command.requalify_by, OptionalTimeMember(body, "requalify_by"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> conditions,
                             body.OptionalString("conditions"));
    command.conditions = conditions.value_or("");
    ALIQUOT_ASSIGN_OR_RETURN(command.reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "supplier");
    ALIQUOT_RETURN_IF_ERROR(api_.materials.ProposeQualification(context, id, command));
    ALIQUOT_ASSIGN_OR_RETURN(const m::SupplierState supplier, api_.materials.Supplier(context, id));
    return JsonResponse(kCreated, SupplierJson(supplier, api_.materials.Now()));
  }

  Result<Response> Materials(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<m::MaterialState> all,
                             api_.materials.Materials(context));
    Json list = Json::MakeArray();
    for (const m::MaterialState& material : all) list.Push(MaterialJson(material));
    Json json = Json::MakeObject();
    json.Set("materials", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Material(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const m::MaterialState material,
                             api_.materials.Material(context, PathParam(request, "material")));
    return JsonResponse(kOk, MaterialJson(material));
  }

  Result<Response> DefineMaterial(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::MaterialCommand command;
    command.id = PathParam(request, "material");
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(command.category,
                             EnumMember(body, "category", &m::CategoryFromName,
                                        "media, cytokine, activation_reagent, viral_vector, "
                                        "cryoprotectant, buffer, reagent, bag, single_use_kit, "
                                        "starting_material, intermediate, drug_product"));
    ALIQUOT_ASSIGN_OR_RETURN(command.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(command.storage_condition, body.String("storage_condition"));
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody shelf_life, body.Object("shelf_life"));
    ALIQUOT_ASSIGN_OR_RETURN(command.shelf_life.amount, shelf_life.Integer("amount", 1, 9999));
    ALIQUOT_ASSIGN_OR_RETURN(
        command.shelf_life.unit,
        EnumMember(shelf_life, "unit", &m::ShelfLifeUnitFromName, "h, d, months"));
    ALIQUOT_RETURN_IF_ERROR(shelf_life.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(
        command.criticality,
        EnumMember(body, "criticality", &m::CriticalityFromName, "critical, major, minor"));
    ALIQUOT_ASSIGN_OR_RETURN(command.identity_test_required, body.Bool("identity_test_required"));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<JsonBody> tests, body.ObjectArray("tests"));
    for (JsonBody& test : tests) {
      ALIQUOT_ASSIGN_OR_RETURN(m::SpecTest spec_test, SpecTestFrom(test));
      command.tests.push_back(std::move(spec_test));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> reason,
                             body.OptionalString("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.DefineMaterial(context, command, reason.value_or("")));
    ALIQUOT_ASSIGN_OR_RETURN(const m::MaterialState material,
                             api_.materials.Material(context, command.id));
    return JsonResponse(kOk, MaterialJson(material));
  }

  Result<Response> Lots(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::LotView> views, api_.materials.Lots(context));
    const std::optional<std::string_view> material = request.QueryParam("material");
    const std::optional<std::string_view> status = request.QueryParam("status");
    if (status && !m::LotStatusFromName(*status)) {
      return Unexpected(InvalidArgument("status must be quarantine, released or rejected, not '" +
                                            std::string(status->substr(0, 40)) + "'",
                                        "status"));
    }
    Json list = Json::MakeArray();
    for (const app::LotView& view : views) {
      if (material && view.lot.material != *material) continue;
      if (status && m::LotStatusName(view.lot.Status()) != *status) continue;
      list.Push(LotJson(view));
    }
    Json json = Json::MakeObject();
    json.Set("lots", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Lot(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::LotView view,
                             api_.materials.Lot(context, PathParam(request, "lot")));
    return JsonResponse(kOk, LotJson(view));
  }

  Result<Response> Created(const RequestContext& context, const std::string& lot) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::LotView view, api_.materials.Lot(context, lot));
    return JsonResponse(kCreated, LotJson(view));
  }

  Result<Response> ReceiveLot(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::LotReceipt receipt;
    ALIQUOT_ASSIGN_OR_RETURN(receipt.id, body.String("lot_id"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.material, body.String("material"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.supplier, body.String("supplier"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.supplier_lot, body.String("supplier_lot"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.receiving_code, body.String("receiving_code"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.storage_location, body.String("storage_location"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.quantity, body.Number("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.containers, OptionalNumbers(body, "containers"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.expiry, TimeMember(body, "expiry"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.ReceiveLot(context, receipt));
    return Created(context, receipt.id);
  }

  Result<Response> ReceiveCollection(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::CollectionReceipt receipt;
    ALIQUOT_ASSIGN_OR_RETURN(receipt.id, body.String("lot_id"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.material, body.String("material"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.donor_code, body.String("donor_code"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.collection_facility, body.String("collection_facility"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.collected_at, TimeMember(body, "collected_at"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.quantity, body.Number("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.shipping_min_c, body.Number("shipping_min_c"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.shipping_max_c, body.Number("shipping_max_c"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.logger_file_sha256, body.OptionalString("logger_file_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.receiving_code, body.String("receiving_code"));
    ALIQUOT_ASSIGN_OR_RETURN(receipt.storage_location, body.String("storage_location"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.ReceiveCollection(context, receipt));
    return Created(context, receipt.id);
  }

  Result<Response> ProduceLot(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::ProducedLot produced;
    ALIQUOT_ASSIGN_OR_RETURN(produced.id, body.String("lot_id"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.material, body.String("material"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.batch, body.OptionalString("batch"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.patient_code, body.OptionalString("patient_code"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.quantity, body.Number("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.containers, OptionalNumbers(body, "containers"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.expiry, TimeMember(body, "expiry"));
    ALIQUOT_ASSIGN_OR_RETURN(produced.storage_location, body.String("storage_location"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.ProduceLot(context, produced));
    return Created(context, produced.id);
  }

  Result<Response> EnterCertificate(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    m::CertificateInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.certificate_number, body.String("certificate_number"));
    ALIQUOT_ASSIGN_OR_RETURN(input.file_sha256, body.OptionalString("file_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<JsonBody> results, body.ObjectArray("results"));
    for (JsonBody& result : results) {
      ALIQUOT_ASSIGN_OR_RETURN(m::TestResult entered, TestResultFrom(result));
      input.results.push_back(std::move(entered));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> reason,
                             body.OptionalString("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string lot = PathParam(request, "lot");
    ALIQUOT_RETURN_IF_ERROR(
        api_.materials.EnterCertificate(context, lot, input, reason.value_or("")));
    return Created(context, lot);
  }

  Result<Response> RecordIdentityTest(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const bool passed, body.Bool("passed"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string method, body.String("method"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> comment,
                             body.OptionalString("comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string lot = PathParam(request, "lot");
    ALIQUOT_RETURN_IF_ERROR(
        api_.materials.RecordIdentityTest(context, lot, passed, method, comment.value_or("")));
    return Created(context, lot);
  }

  Result<Response> DetermineEligibility(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const bool eligible, body.Bool("eligible"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string basis, body.String("basis"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string lot = PathParam(request, "lot");
    ALIQUOT_RETURN_IF_ERROR(api_.materials.DetermineEligibility(context, lot, eligible, basis));
    return Created(context, lot);
  }

  Result<Response> CheckUse(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(app::UseInput use, UseInputFrom(body));
    ALIQUOT_ASSIGN_OR_RETURN(use.at, OptionalTimeMember(body, "at"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const m::UseCheck check, api_.materials.CheckUse(context, use));
    return JsonResponse(kOk, UseCheckJson(check));
  }

  Result<Response> Consume(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::ConsumeInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.use, UseInputFrom(body));
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody into, body.Object("into"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, into.String("kind"));
    if (kind != "batch" && kind != "lot") {
      return Unexpected(InvalidArgument("into.kind must be batch or lot", "into.kind"));
    }
    input.into.kind = kind == "batch" ? m::Destination::Kind::kBatch : m::Destination::Kind::kLot;
    ALIQUOT_ASSIGN_OR_RETURN(input.into.id, into.String("id"));
    ALIQUOT_RETURN_IF_ERROR(into.CheckNoOtherMembers());
    // Read so that the service refuses it for what it is: a client's instant (AL-01).
    ALIQUOT_ASSIGN_OR_RETURN(input.use.at, OptionalTimeMember(body, "at"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const m::UseCheck check, api_.materials.Consume(context, input));
    return JsonResponse(kCreated, UseCheckJson(check));
  }

  Result<Response> Withdraw(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::WithdrawInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.scanned, body.String("lot"));
    ALIQUOT_ASSIGN_OR_RETURN(input.quantity, body.Number("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(input.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(
        input.purpose,
        EnumMember(body, "purpose", &m::WithdrawalPurposeFromName, "sample, waste, adjustment"));
    ALIQUOT_ASSIGN_OR_RETURN(input.reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.materials.Withdraw(context, input));
    ALIQUOT_ASSIGN_OR_RETURN(const m::ScannedLot scanned, m::ParseScannedLot(input.scanned, "lot"));
    return Created(context, scanned.lot);
  }

  Result<Response> Genealogy(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string root, RequiredQuery(request, "root"));
    const std::string direction_name =
        std::string(request.QueryParam("direction").value_or("backward"));
    if (direction_name != "backward" && direction_name != "forward") {
      return Unexpected(InvalidArgument("direction must be backward or forward", "direction"));
    }
    const m::Direction direction =
        direction_name == "forward" ? m::Direction::kForward : m::Direction::kBackward;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> as_of, TimeQuery(request, "as_of"));
    ALIQUOT_ASSIGN_OR_RETURN(const app::GenealogyReport report,
                             api_.materials.Genealogy(context, root, direction, as_of));
    Json json = Json::MakeObject();
    json.Set("root", report.trace.root);
    json.Set("direction", direction_name);
    json.Set("as_of", report.trace.as_of.ToRfc3339());
    json.Set("truncated", report.trace.truncated);
    Json lots = Json::MakeArray();
    for (const app::LotSummary& lot : report.lots) lots.Push(LotSummaryJson(lot));
    json.Set("lots", std::move(lots));
    json.Set("batches", JsonStrings(report.batches));
    json.Set("suppliers", JsonStrings(report.suppliers));
    json.Set("donors", JsonStrings(report.donors));
    json.Set("patients", JsonStrings(report.patients));
    Json edges = Json::MakeArray();
    for (const m::GenealogyEdge& edge : report.trace.edges) {
      Json item = Json::MakeObject();
      item.Set("parent", edge.parent);
      item.Set("child", edge.child);
      item.Set("at", edge.at.ToRfc3339());
      edges.Push(std::move(item));
    }
    json.Set("edges", std::move(edges));
    return JsonResponse(kOk, json);
  }

  MaterialsApi api_;
};

}  // namespace

void AddMaterialRoutes(Router& router, const MaterialsApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
