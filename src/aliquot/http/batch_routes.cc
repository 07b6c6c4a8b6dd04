#include "aliquot/http/batch_routes.h"

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/batches/values.h"
#include "aliquot/domain/identity/signature.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/quality_routes.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;
namespace b = batches;

constexpr std::string_view kStatuses =
    "planned, in_progress, on_hold, completed, under_review, released, rejected";

Json Strings(const std::set<std::string>& texts) {
  Json list = Json::MakeArray();
  for (const std::string& text : texts) list.Push(text);
  return list;
}

Json Integers(const std::vector<int>& numbers) {
  Json list = Json::MakeArray();
  for (const int number : numbers) list.Push(number);
  return list;
}

std::string_view VerificationName(recipes::Verification verification) {
  return verification == recipes::Verification::kSecondPerson ? "second_person" : "none";
}

// "<batch>:<step>", "<batch>:<refusal>": the ids of the records signed on a batch.
std::string PartId(const std::string& batch, const std::string& part) { return batch + ":" + part; }

// --- Showing batches --------------------------------------------------------------------------

// A value in force: the entry it comes from (0 for a batch input), the value as entered (null when
// marked not applicable) and its flag against the limits.
Json ValueInForceJson(const b::ValueInForce& value, bool with_entry) {
  Json json = Json::MakeObject();
  if (with_entry) {
    json.Set("entry", value.entry);
    json.Set("not_applicable", value.not_applicable);
  }
  json.Set("value", value.not_applicable ? Json() : b::EnteredValueToJson(value.value));
  json.Set("flag", b::LimitFlagName(value.flag));
  return json;
}

Json DispositionJson(const std::optional<b::Disposition>& disposition) {
  if (!disposition) return Json();
  Json json = Json::MakeObject();
  json.Set("status", b::BatchStatusName(disposition->status));
  json.Set("at", disposition->at.ToRfc3339());
  json.Set("by", disposition->by);
  json.Set("comment", NonEmpty(disposition->comment));
  return json;
}

// One step of the control recipe as the batch executed it so far.
Json StepJson(const b::BatchState& batch, const recipes::UnitProcedure& procedure,
              const recipes::Step& step) {
  static const b::StepExecution kNotStarted;
  const b::StepExecution* found = batch.Step(step.id);
  const b::StepExecution& execution = found != nullptr ? *found : kNotStarted;
  Json json = Json::MakeObject();
  json.Set("step", step.id);
  json.Set("name", step.name);
  json.Set("unit_procedure", procedure.id);
  json.Set("sop", step.sop);
  json.Set("status", b::StepStatusName(execution.status));
  json.Set("started_at", TimeJson(execution.started_at));
  json.Set("started_by", NonEmpty(execution.started_by));
  json.Set("completed_at", TimeJson(execution.completed_at));
  json.Set("completed_by", NonEmpty(execution.completed_by));
  json.Set("verified_at", TimeJson(execution.verified_at));
  json.Set("verified_by", NonEmpty(execution.verified_by));
  json.Set("verification", VerificationName(step.verification));
  Json equipment = Json::MakeArray();
  for (const b::EquipmentInUse& use : execution.equipment) {
    Json item = Json::MakeObject();
    item.Set("id", use.id);
    item.Set("class", use.equipment_class);
    equipment.Push(std::move(item));
  }
  json.Set("equipment", std::move(equipment));
  json.Set("awaiting_acknowledgement", JsonStrings(execution.awaiting_acknowledgement));
  Json values = Json::MakeObject();
  for (const auto& [id, value] : execution.values) values.Set(id, ValueInForceJson(value, true));
  json.Set("values", std::move(values));
  json.Set("identities", Strings(execution.identities));
  json.Set("samples", Strings(execution.samples));
  Json consumed = Json::MakeObject();
  for (const auto& [material, amount] : execution.consumed) consumed.Set(material, amount);
  json.Set("consumed", std::move(consumed));
  json.Set("record", RecordJson("batch_step", PartId(batch.id, step.id)));
  return json;
}

// The batch as it stands, without its steps: what a list shows.
Json BatchSummaryJson(const b::BatchState& batch) {
  Json json = Json::MakeObject();
  json.Set("batch_id", batch.id);
  json.Set("product", batch.product);
  json.Set("master_batch_record", batch.master_batch_record);
  json.Set("version", batch.version);
  json.Set("definition_sha256", batch.definition_sha256);
  json.Set("status", b::BatchStatusName(batch.status));
  Json identifiers = Json::MakeObject();
  for (const auto& [id, code] : batch.identifiers) identifiers.Set(id, code);
  json.Set("identifiers", std::move(identifiers));
  Json inputs = Json::MakeObject();
  for (const auto& [id, value] : batch.inputs) inputs.Set(id, ValueInForceJson(value, false));
  json.Set("inputs", std::move(inputs));
  json.Set("starting_material", batch.starting_material);
  json.Set("created_at", batch.created_at.ToRfc3339());
  json.Set("created_by", batch.created_by);
  json.Set("hold_reason",
           batch.status == b::BatchStatus::kOnHold ? NonEmpty(batch.hold_reason) : Json());
  Json expiries = Json::MakeObject();
  for (const auto& [clock, at] : batch.expiries) expiries.Set(clock, at.ToRfc3339());
  json.Set("expiries", std::move(expiries));
  Json counts = Json::MakeObject();
  counts.Set("entries", batch.entries);
  counts.Set("refusals", batch.refusals);
  counts.Set("deviations", static_cast<int>(batch.deviations.size()));
  counts.Set("exceptions", batch.exceptions);
  counts.Set("unreviewed", static_cast<int>(batch.unreviewed.size()));
  json.Set("counts", std::move(counts));
  json.Set("deviations", JsonStrings(batch.deviations));
  json.Set("disposition", DispositionJson(batch.disposition));
  json.Set("record", RecordJson("batch", batch.id));
  return json;
}

// The batch with every step of its control recipe, in recipe order.
Json BatchJson(const app::BatchView& view) {
  Json json = BatchSummaryJson(view.state);
  Json steps = Json::MakeArray();
  for (const recipes::UnitProcedure& procedure : view.recipe->unit_procedures) {
    for (const recipes::Step& step : procedure.operations) {
      steps.Push(StepJson(view.state, procedure, step));
    }
  }
  json.Set("steps", std::move(steps));
  return json;
}

// --- The executed batch record ----------------------------------------------------------------

// The unit the definition measures an entry's subject in: what "in_unit" is expressed in.
std::string SubjectUnit(const recipes::Definition& recipe, const b::EntryRecord& entry) {
  const recipes::Step* step = recipe.FindStep(entry.step);
  if (step == nullptr) return "";
  for (const recipes::ParameterDefinition& parameter : step->parameters) {
    if (parameter.id == entry.subject) return parameter.unit;
  }
  for (const recipes::Calculation& calculation : step->calculations) {
    if (calculation.id == entry.subject) return calculation.unit;
  }
  return "";
}

void SetEntryValue(Json& json, const b::EntryRecord& entry) {
  json.Set("not_applicable", entry.not_applicable);
  json.Set("value", entry.not_applicable ? Json() : b::EnteredValueToJson(entry.value));
}

// P11-05: a correction shows the value it corrected, when and by whom it was entered.
Json OriginalJson(const b::EntryRecord& original) {
  Json json = Json::MakeObject();
  json.Set("entry", original.number);
  SetEntryValue(json, original);
  json.Set("at", original.at.ToRfc3339());
  json.Set("by", original.by);
  json.Set("by_name", original.by_name);
  return json;
}

Json EntryJson(const recipes::Definition& recipe, const b::EntryRecord& entry,
               const std::map<int, const b::EntryRecord*>& by_number,
               const std::map<int, int>& corrected_by) {
  Json json = Json::MakeObject();
  json.Set("number", entry.number);
  json.Set("step", entry.step);
  json.Set("subject", entry.subject);
  json.Set("calculation", entry.calculation);
  SetEntryValue(json, entry);
  json.Set("unit", NonEmpty(SubjectUnit(recipe, entry)));
  json.Set("in_unit", entry.in_unit ? Json(*entry.in_unit) : Json());
  json.Set("flag", b::LimitFlagName(entry.flag));
  json.Set("limit", NonEmpty(entry.limit));
  json.Set("origin", b::OriginName(entry.origin));
  if (entry.instrument.empty()) {
    json.Set("instrument", Json());
  } else {
    Json instrument = Json::MakeObject();
    instrument.Set("equipment", entry.instrument);
    instrument.Set("tag", entry.instrument_tag);
    json.Set("instrument", std::move(instrument));
  }
  json.Set("from", Integers(entry.from));
  json.Set("corrects", entry.corrects ? Json(*entry.corrects) : Json());
  json.Set("reason", NonEmpty(entry.reason));
  json.Set("deviation", NonEmpty(entry.deviation));
  json.Set("late", entry.late);
  json.Set("at", entry.at.ToRfc3339());
  json.Set("by", entry.by);
  json.Set("by_name", entry.by_name);
  json.Set("terminal", entry.terminal);
  const auto correction = corrected_by.find(entry.number);
  json.Set("corrected_by", correction != corrected_by.end() ? Json(correction->second) : Json());
  const auto original = entry.corrects ? by_number.find(*entry.corrects) : by_number.end();
  json.Set("original", original != by_number.end() ? OriginalJson(*original->second) : Json());
  return json;
}

Json RefusalJson(const std::string& batch_id, const b::Refusal& refusal,
                 const std::vector<b::Override>& overrides) {
  Json json = Json::MakeObject();
  json.Set("number", refusal.number);
  json.Set("action", refusal.action);
  json.Set("step", NonEmpty(refusal.step));
  json.Set("reason", b::RefusalReasonName(refusal.reason));
  json.Set("message", refusal.message);
  json.Set("field", NonEmpty(refusal.field));
  json.Set("overridable", refusal.overridable);
  json.Set("rule", NonEmpty(refusal.rule));
  json.Set("deviation", NonEmpty(refusal.deviation));
  json.Set("at", refusal.at.ToRfc3339());
  json.Set("by", refusal.by);
  json.Set("terminal", refusal.terminal);
  Json granted;
  for (const b::Override& override_granted : overrides) {
    if (override_granted.refusal != refusal.number) continue;
    granted = Json::MakeObject();
    granted.Set("deviation", NonEmpty(override_granted.deviation));
    granted.Set("used", override_granted.used);
  }
  json.Set("override", std::move(granted));
  // A supervisor lets an overridable attempt proceed by signing this record "approved".
  json.Set("record",
           refusal.overridable
               ? RecordJson("batch_override", PartId(batch_id, std::to_string(refusal.number)))
               : Json());
  return json;
}

Json ExceptionJson(const b::BatchException& exception) {
  Json json = Json::MakeObject();
  json.Set("key", exception.key);
  Json kinds = Json::MakeArray();
  for (const b::ExceptionKind kind : exception.kinds) kinds.Push(b::ExceptionKindName(kind));
  json.Set("kinds", std::move(kinds));
  json.Set("step", NonEmpty(exception.step));
  json.Set("summary", exception.summary);
  json.Set("at", exception.at.ToRfc3339());
  json.Set("reviewed", exception.reviewed_at.has_value());
  json.Set("reviewed_at", TimeJson(exception.reviewed_at));
  json.Set("reviewed_by", NonEmpty(exception.reviewed_by));
  json.Set("review_comment", NonEmpty(exception.review_comment));
  return json;
}

// Takes the line, whose payload moves into the JSON: a record's 700 KB are not copied out.
Json LineJson(app::BatchLine line) {
  Json json = Json::MakeObject();
  json.Set("line", line.line);
  json.Set("seq", Json(line.seq));
  json.Set("event_type", line.event_type);
  json.Set("time", line.time.ToRfc3339());
  json.Set("by", line.actor);
  json.Set("by_name", line.actor_name);
  json.Set("terminal", line.terminal);
  json.Set("payload", std::move(line.payload));
  return json;
}

// 11.50 and P11-11: the signature's manifestation (printed name, time, meaning) and the record it
// was made on.
Json BatchSignatureJson(const identity::ElectronicSignature& signature) {
  Json json = Json::MakeObject();
  json.Set("seq", Json(signature.seq));
  json.Set("record", RecordJson(signature.record.type, signature.record.id));
  json.Set("signer_id", signature.signer_id);
  json.Set("printed_name", signature.printed_name);
  json.Set("meaning", identity::MeaningName(signature.meaning));
  json.Set("signed_at", signature.time.ToRfc3339());
  json.Set("comment", signature.comment ? Json(*signature.comment) : Json());
  json.Set("content_hash", signature.content_hash);
  return json;
}

// G-03, P11-02: the complete executed batch record.
Json ExecutedRecordJson(app::ExecutedRecord record) {
  const app::BatchView& view = record.batch;
  const b::BatchState& batch = view.state;
  Json json = BatchJson(view);
  Json control = Json::MakeObject();
  control.Set("master_batch_record", batch.master_batch_record);
  control.Set("version", batch.version);
  control.Set("definition_sha256", batch.definition_sha256);
  control.Set("definition", recipes::DefinitionToJson(*view.recipe));
  json.Set("control_recipe", std::move(control));
  Json lines = Json::MakeArray();
  for (app::BatchLine& line : record.lines) lines.Push(LineJson(std::move(line)));
  json.Set("lines", std::move(lines));
  std::map<int, const b::EntryRecord*> by_number;
  std::map<int, int> corrected_by;
  for (const b::EntryRecord& entry : record.entries) {
    by_number[entry.number] = &entry;
    if (entry.corrects) corrected_by[*entry.corrects] = entry.number;
  }
  Json entries = Json::MakeArray();
  for (const b::EntryRecord& entry : record.entries) {
    entries.Push(EntryJson(*view.recipe, entry, by_number, corrected_by));
  }
  json.Set("entries", std::move(entries));
  Json refusals = Json::MakeArray();
  for (const b::Refusal& refusal : record.refusals) {
    refusals.Push(RefusalJson(batch.id, refusal, batch.overrides));
  }
  json.Set("refusals", std::move(refusals));
  Json exceptions = Json::MakeArray();
  for (const b::BatchException& exception : record.exceptions) {
    exceptions.Push(ExceptionJson(exception));
  }
  json.Set("exceptions", std::move(exceptions));
  Json deviations = Json::MakeArray();
  for (const quality::DeviationState& deviation : record.deviations) {
    deviations.Push(DeviationJson(deviation));
  }
  json.Set("deviations", std::move(deviations));
  Json signatures = Json::MakeArray();
  for (const identity::ElectronicSignature& signature : record.signatures) {
    signatures.Push(BatchSignatureJson(signature));
  }
  json.Set("signatures", std::move(signatures));
  return json;
}

// --- Reading requests -------------------------------------------------------------------------

// The body of a POST whose members are all optional: none at all reads as {}.
Result<JsonBody> BodyOrEmpty(const Request& request) {
  return JsonBody::Parse(request.body.empty() ? std::string_view("{}")
                                              : std::string_view(request.body));
}

// Every POST body's last word: "client_time", the tablet's own clock, is read (a malformed one is
// refused) and ignored, since the server's clock dates the record (AL-01); then nothing else.
Status FinishBody(JsonBody& body) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> client_time,
                           OptionalTimeMember(body, "client_time"));
  static_cast<void>(client_time);
  return body.CheckNoOtherMembers();
}

// The request's Idempotency-Key, with the SHA-256 of what it asks (method, path and body), so that
// a retry of the same request is answered from the record and another request under the same key
// is refused.
app::IdempotencyKey KeyOf(const Request& request) {
  app::IdempotencyKey key;
  const std::optional<std::string_view> header = request.Header("Idempotency-Key");
  if (!header) return key;
  key.key = std::string(*header);
  key.request_sha256 = Sha256::Of(request.method + " " + request.path + "\n" + request.body).Hex();
  return key;
}

// A value as sent: "value" as the JSON it is (absent: null, which a timestamp parameter takes, the
// server's time being recorded), and its "unit".
Result<b::InputValue> ValueFrom(JsonBody& body) {
  b::InputValue value;
  if (const Json* given = body.OptionalMember("value")) value.value = *given;
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> unit, body.OptionalString("unit"));
  value.unit = unit.value_or("");
  return value;
}

// The body of POST /api/v1/batches.
Result<app::CreateBatchInput> CreateInputFrom(JsonBody& body) {
  app::CreateBatchInput input;
  ALIQUOT_ASSIGN_OR_RETURN(input.master_batch_record, body.String("master_batch_record"));
  if (const Json* identifiers = body.OptionalMember("identifiers")) {
    if (!identifiers->IsObject()) {
      return Unexpected(InvalidArgument(
          "identifiers must be an object of identifier id to code: {\"patient_code\": \"...\"}",
          "identifiers"));
    }
    for (const auto& [id, code] : identifiers->AsObject()) {
      const std::string field = "identifiers." + id.substr(0, 64);
      if (!code.IsString()) {
        return Unexpected(InvalidArgument(field + " must be a string", field));
      }
      input.identifiers[id] = code.AsString();
    }
  }
  if (const Json* inputs = body.OptionalMember("inputs")) {
    if (!inputs->IsObject()) {
      return Unexpected(InvalidArgument(
          "inputs must be an object of batch input id to {\"value\", \"unit\"}", "inputs"));
    }
    for (const auto& [id, given] : inputs->AsObject()) {
      ALIQUOT_ASSIGN_OR_RETURN(JsonBody item,
                               JsonBody::Nested(given, "inputs." + id.substr(0, 64) + "."));
      ALIQUOT_ASSIGN_OR_RETURN(b::InputValue value, ValueFrom(item));
      ALIQUOT_RETURN_IF_ERROR(item.CheckNoOtherMembers());
      input.inputs[id] = std::move(value);
    }
  }
  ALIQUOT_ASSIGN_OR_RETURN(input.starting_material, body.String("starting_material"));
  return input;
}

// The instrument a value came from: {"equipment", "tag"}, or nullopt when entered by hand.
Result<std::optional<b::InstrumentSource>> InstrumentFrom(JsonBody& body) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<JsonBody> source, body.OptionalObject("instrument"));
  if (!source) return std::optional<b::InstrumentSource>();
  b::InstrumentSource instrument;
  ALIQUOT_ASSIGN_OR_RETURN(instrument.equipment, source->String("equipment"));
  ALIQUOT_ASSIGN_OR_RETURN(instrument.tag, source->String("tag"));
  ALIQUOT_RETURN_IF_ERROR(source->CheckNoOtherMembers());
  return std::optional<b::InstrumentSource>(std::move(instrument));
}

// {entry} of a correction: a positive entry number; anything else names no entry.
Result<int> EntryParam(const Request& request) {
  const std::string text = PathParam(request, "entry");
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number < 1) {
    return Unexpected(NotFound("'" + text.substr(0, 20) + "' is not an entry number", "entry"));
  }
  return number;
}

// What an action brought about: 201 when recorded now, 200 when a retry was answered from the
// record.
Response OutcomeResponse(const app::ActionOutcome& outcome) {
  Json json = Json::MakeObject();
  json.Set("batch", outcome.batch);
  json.Set("entries", Integers(outcome.entries));
  json.Set("deviations", JsonStrings(outcome.deviations));
  json.Set("replayed", outcome.replayed);
  return JsonResponse(outcome.replayed ? kOk : kCreated, json);
}

Result<Response> Answer(const Result<app::ActionOutcome>& outcome) {
  if (!outcome) return Unexpected(outcome.error());
  return OutcomeResponse(*outcome);
}

class Routes {
 public:
  explicit Routes(const BatchApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    using Handler = Result<Response> (Routes::*)(const Request&, const RequestContext&);
    const auto bind = [&](std::string_view method, std::string_view pattern, Handler handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("GET", "/api/v1/batches", &Routes::List);
    bind("POST", "/api/v1/batches", &Routes::Create);
    bind("GET", "/api/v1/batches/{batch}", &Routes::Batch);
    bind("GET", "/api/v1/batches/{batch}/record", &Routes::Record);
    bind("GET", "/api/v1/batches/{batch}/exceptions", &Routes::Exceptions);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/start", &Routes::StartStep);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/equipment", &Routes::AddEquipment);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/identity", &Routes::ScanIdentity);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/values", &Routes::RecordValue);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/not-applicable", &Routes::MarkNotApplicable);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/materials", &Routes::ConsumeMaterial);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/samples", &Routes::TakeSample);
    bind("POST", "/api/v1/batches/{batch}/steps/{step}/complete", &Routes::CompleteStep);
    bind("POST", "/api/v1/batches/{batch}/entries/{entry}/corrections", &Routes::CorrectEntry);
    bind("POST", "/api/v1/batches/{batch}/hold", &Routes::Hold);
    bind("POST", "/api/v1/batches/{batch}/resume", &Routes::Resume);
    bind("POST", "/api/v1/batches/{batch}/review", &Routes::StartReview);
    // Exception keys hold a colon ("entry:12"): a path segment takes it as it is or as %3A, the
    // server decoding the path before it is matched.
    bind("POST", "/api/v1/batches/{batch}/exceptions/{exception}/review", &Routes::ReviewException);
  }

 private:
  Result<Response> List(const Request& request, const RequestContext& context) {
    app::BatchListFilter filter;
    if (const std::optional<std::string_view> status = request.QueryParam("status")) {
      filter.status = b::BatchStatusFromName(*status);
      if (!filter.status) {
        return Unexpected(InvalidArgument("status must be one of " + std::string(kStatuses) +
                                              ", not '" + std::string(status->substr(0, 40)) + "'",
                                          "status"));
      }
    }
    if (const std::optional<std::string_view> mbr = request.QueryParam("mbr")) {
      filter.master_batch_record = std::string(*mbr);
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<b::BatchState> batches,
                             api_.batches.List(context, filter));
    Json list = Json::MakeArray();
    for (const b::BatchState& batch : batches) list.Push(BatchSummaryJson(batch));
    Json json = Json::MakeObject();
    json.Set("batches", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Create(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const app::CreateBatchInput input, CreateInputFrom(body));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    ALIQUOT_ASSIGN_OR_RETURN(const app::ActionOutcome outcome,
                             api_.batches.Create(context, input, KeyOf(request)));
    ALIQUOT_ASSIGN_OR_RETURN(const app::BatchView view, api_.batches.Get(context, outcome.batch));
    Json json = BatchJson(view);
    json.Set("replayed", outcome.replayed);
    return JsonResponse(outcome.replayed ? kOk : kCreated, json);
  }

  Result<Response> Batch(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::BatchView view,
                             api_.batches.Get(context, PathParam(request, "batch")));
    return JsonResponse(kOk, BatchJson(view));
  }

  Result<Response> Record(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(app::ExecutedRecord record,
                             api_.batches.Record(context, PathParam(request, "batch")));
    return JsonResponse(kOk, ExecutedRecordJson(std::move(record)));
  }

  Result<Response> Exceptions(const Request& request, const RequestContext& context) {
    const std::string batch = PathParam(request, "batch");
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<b::BatchException> exceptions,
                             api_.batches.Exceptions(context, batch));
    Json list = Json::MakeArray();
    int unreviewed = 0;
    for (const b::BatchException& exception : exceptions) {
      list.Push(ExceptionJson(exception));
      if (!exception.reviewed_at) ++unreviewed;
    }
    Json json = Json::MakeObject();
    json.Set("batch", batch);
    json.Set("exceptions", std::move(list));
    json.Set("unreviewed", unreviewed);
    return JsonResponse(kOk, json);
  }

  Result<Response> StartStep(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, BodyOrEmpty(request));
    std::vector<std::string> equipment;
    if (body.OptionalMember("equipment") != nullptr) {
      ALIQUOT_ASSIGN_OR_RETURN(equipment, body.StringArray("equipment"));
    }
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.StartStep(context, PathParam(request, "batch"),
                                         PathParam(request, "step"), equipment, KeyOf(request)));
  }

  Result<Response> AddEquipment(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string equipment, body.String("equipment"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.AddEquipment(context, PathParam(request, "batch"),
                                            PathParam(request, "step"), equipment, KeyOf(request)));
  }

  Result<Response> ScanIdentity(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string identifier, body.String("identifier"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string scanned, body.String("scanned"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.ScanIdentity(context, PathParam(request, "batch"),
                                            PathParam(request, "step"), identifier, scanned,
                                            KeyOf(request)));
  }

  Result<Response> RecordValue(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string parameter, body.String("parameter"));
    ALIQUOT_ASSIGN_OR_RETURN(const b::InputValue value, ValueFrom(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<b::InstrumentSource> instrument,
                             InstrumentFrom(body));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.RecordValue(context, PathParam(request, "batch"),
                                           PathParam(request, "step"), parameter, value, instrument,
                                           KeyOf(request)));
  }

  Result<Response> MarkNotApplicable(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string parameter, body.String("parameter"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string justification, body.String("justification"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.MarkNotApplicable(context, PathParam(request, "batch"),
                                                 PathParam(request, "step"), parameter,
                                                 justification, KeyOf(request)));
  }

  Result<Response> ConsumeMaterial(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string lot, body.String("lot"));
    ALIQUOT_ASSIGN_OR_RETURN(const double quantity, body.Number("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string unit, body.String("unit"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.ConsumeMaterial(context, PathParam(request, "batch"),
                                               PathParam(request, "step"), lot, quantity, unit,
                                               KeyOf(request)));
  }

  Result<Response> TakeSample(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string sample, body.String("sample"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string label, body.String("label"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.TakeSample(context, PathParam(request, "batch"),
                                          PathParam(request, "step"), sample, label,
                                          KeyOf(request)));
  }

  Result<Response> CompleteStep(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, BodyOrEmpty(request));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.CompleteStep(context, PathParam(request, "batch"),
                                            PathParam(request, "step"), KeyOf(request)));
  }

  Result<Response> CorrectEntry(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const int entry, EntryParam(request));
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const b::InputValue value, ValueFrom(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.CorrectEntry(context, PathParam(request, "batch"), entry, value,
                                            reason, KeyOf(request)));
  }

  Result<Response> Hold(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.Hold(context, PathParam(request, "batch"), reason, KeyOf(request)));
  }

  Result<Response> Resume(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, BodyOrEmpty(request));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> comment,
                             body.OptionalString("comment"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.Resume(context, PathParam(request, "batch"), comment.value_or(""),
                                      KeyOf(request)));
  }

  Result<Response> StartReview(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, BodyOrEmpty(request));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.StartReview(context, PathParam(request, "batch"), KeyOf(request)));
  }

  Result<Response> ReviewException(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, BodyOrEmpty(request));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> comment,
                             body.OptionalString("comment"));
    ALIQUOT_RETURN_IF_ERROR(FinishBody(body));
    return Answer(api_.batches.ReviewException(context, PathParam(request, "batch"),
                                               PathParam(request, "exception"),
                                               comment.value_or(""), KeyOf(request)));
  }

  BatchApi api_;
};

}  // namespace

void AddBatchRoutes(Router& router, const BatchApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
