#include "aliquot/domain/batches/batch.h"

#include <algorithm>
#include <array>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/materials/codec.h"

namespace aliquot::batches {
namespace {

constexpr std::array<std::string_view, 7> kBatchStatusNames = {
    "planned", "in_progress", "on_hold", "completed", "under_review", "released", "rejected"};
constexpr std::array<std::string_view, 4> kStepStatusNames = {"not_started", "in_progress",
                                                              "awaiting_verification", "done"};

using materials::JsonFields;

Json ValueInForceToJson(const ValueInForce& value) {
  Json json = Json::MakeObject();
  json.Set("entry", value.entry);
  if (value.not_applicable) {
    json.Set("not_applicable", true);
  } else {
    json.Set("value", EnteredValueToJson(value.value));
  }
  if (value.in_unit) json.Set("in_unit", *value.in_unit);
  json.Set("flag", LimitFlagName(value.flag));
  return json;
}

Result<ValueInForce> ValueInForceFromJson(const Json& json, const std::string& what) {
  const JsonFields fields(json, what);
  ValueInForce value;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t entry, fields.Integer("entry"));
  value.entry = static_cast<int>(entry);
  if (const Json* not_applicable = json.Find("not_applicable");
      not_applicable != nullptr && not_applicable->IsBool()) {
    value.not_applicable = not_applicable->AsBool();
  }
  if (!value.not_applicable) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* entered, fields.Object("value"));
    ALIQUOT_ASSIGN_OR_RETURN(value.value, EnteredValueFromJson(*entered, what));
  }
  ALIQUOT_ASSIGN_OR_RETURN(value.in_unit, fields.OptionalNumber("in_unit"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string flag, fields.String("flag"));
  const std::optional<LimitFlag> parsed = LimitFlagFromName(flag);
  if (!parsed) return Unexpected(fields.Corrupt("unknown flag " + flag));
  value.flag = *parsed;
  return value;
}

Json ValuesToJson(const std::map<std::string, ValueInForce>& values) {
  Json json = Json::MakeObject();
  for (const auto& [id, value] : values) json.Set(id, ValueInForceToJson(value));
  return json;
}

Result<std::map<std::string, ValueInForce>> ValuesFromJson(const Json& json,
                                                           const std::string& what) {
  if (!json.IsObject()) return Unexpected(DataLoss(what + ": values are not an object"));
  std::map<std::string, ValueInForce> values;
  for (const auto& [id, value] : json.AsObject()) {
    std::string where = what;
    where += " value ";
    where += id;
    ALIQUOT_ASSIGN_OR_RETURN(values[id], ValueInForceFromJson(value, where));
  }
  return values;
}

Json StringMapToJson(const std::map<std::string, std::string>& map) {
  Json json = Json::MakeObject();
  for (const auto& [key, value] : map) json.Set(key, value);
  return json;
}

Result<std::map<std::string, std::string>> StringMapFromJson(const Json& json,
                                                             const std::string& what) {
  if (!json.IsObject()) return Unexpected(DataLoss(what + " is not an object"));
  std::map<std::string, std::string> map;
  for (const auto& [key, value] : json.AsObject()) {
    if (!value.IsString()) {
      std::string message = what;
      message += ": " + key + " is not text";
      return Unexpected(DataLoss(message));
    }
    map[key] = value.AsString();
  }
  return map;
}

Json StringSetToJson(const std::set<std::string>& set) {
  return JsonStrings(std::vector<std::string>(set.begin(), set.end()));
}

Result<std::set<std::string>> StringSet(const JsonFields& fields, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> list, fields.Strings(name));
  return std::set<std::string>(list.begin(), list.end());
}

// A step as the state stores it. A summary holds what decisions on other steps read (status,
// times, people, equipment in use); the whole holds the values, scans, consumption and samples too.
Json StepToJson(const StepExecution& step, bool summary) {
  Json json = Json::MakeObject();
  json.Set("status", StepStatusName(step.status));
  json.Set("started_at", materials::OptionalTimeToJson(step.started_at));
  json.Set("started_by", step.started_by);
  json.Set("completed_at", materials::OptionalTimeToJson(step.completed_at));
  json.Set("completed_by", step.completed_by);
  json.Set("verified_at", materials::OptionalTimeToJson(step.verified_at));
  json.Set("verified_by", step.verified_by);
  Json equipment = Json::MakeArray();
  for (const EquipmentInUse& use : step.equipment) {
    Json item = Json::MakeObject();
    item.Set("id", use.id);
    item.Set("class", use.equipment_class);
    equipment.Push(std::move(item));
  }
  json.Set("equipment", std::move(equipment));
  if (summary) return json;
  json.Set("performers", StringSetToJson(step.performers));
  json.Set("values", ValuesToJson(step.values));
  json.Set("identities", StringSetToJson(step.identities));
  Json consumed = Json::MakeObject();
  for (const auto& [material, amount] : step.consumed) consumed.Set(material, amount);
  json.Set("consumed", std::move(consumed));
  json.Set("samples", StringSetToJson(step.samples));
  json.Set("awaiting_acknowledgement", JsonStrings(step.awaiting_acknowledgement));
  return json;
}

Result<StepExecution> StepFromJson(const Json& json, const std::string& what, bool summary) {
  const JsonFields fields(json, what);
  StepExecution step;
  ALIQUOT_ASSIGN_OR_RETURN(const std::string status, fields.String("status"));
  const std::optional<StepStatus> parsed = StepStatusFromName(status);
  if (!parsed) return Unexpected(fields.Corrupt("unknown status " + status));
  step.status = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(step.started_at, fields.OptionalTime("started_at"));
  ALIQUOT_ASSIGN_OR_RETURN(step.started_by, fields.String("started_by"));
  ALIQUOT_ASSIGN_OR_RETURN(step.completed_at, fields.OptionalTime("completed_at"));
  ALIQUOT_ASSIGN_OR_RETURN(step.completed_by, fields.String("completed_by"));
  ALIQUOT_ASSIGN_OR_RETURN(step.verified_at, fields.OptionalTime("verified_at"));
  ALIQUOT_ASSIGN_OR_RETURN(step.verified_by, fields.String("verified_by"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* equipment, fields.Array("equipment"));
  for (const Json& item : *equipment) {
    const JsonFields use_fields(item, what + " equipment");
    EquipmentInUse use;
    ALIQUOT_ASSIGN_OR_RETURN(use.id, use_fields.String("id"));
    ALIQUOT_ASSIGN_OR_RETURN(use.equipment_class, use_fields.String("class"));
    step.equipment.push_back(std::move(use));
  }
  if (summary) return step;
  ALIQUOT_ASSIGN_OR_RETURN(step.performers, StringSet(fields, "performers"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* values, fields.Object("values"));
  ALIQUOT_ASSIGN_OR_RETURN(step.values, ValuesFromJson(*values, what));
  ALIQUOT_ASSIGN_OR_RETURN(step.identities, StringSet(fields, "identities"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* consumed, fields.Object("consumed"));
  for (const auto& [material, amount] : consumed->AsObject()) {
    if (!amount.IsNumber()) return Unexpected(fields.Corrupt("consumed " + material));
    step.consumed[material] = amount.AsNumber();
  }
  ALIQUOT_ASSIGN_OR_RETURN(step.samples, StringSet(fields, "samples"));
  ALIQUOT_ASSIGN_OR_RETURN(step.awaiting_acknowledgement,
                           fields.Strings("awaiting_acknowledgement"));
  return step;
}

// The state as JSON, its steps whole or summarised.
Json StateToJson(const BatchState& state, bool summaries) {
  Json json = Json::MakeObject();
  json.Set("id", state.id);
  json.Set("product", state.product);
  json.Set("master_batch_record", state.master_batch_record);
  json.Set("version", state.version);
  json.Set("definition_sha256", state.definition_sha256);
  json.Set("identifiers", StringMapToJson(state.identifiers));
  json.Set("inputs", ValuesToJson(state.inputs));
  json.Set("starting_material", state.starting_material);
  json.Set("status", BatchStatusName(state.status));
  json.Set("status_before_hold", BatchStatusName(state.status_before_hold));
  json.Set("hold_reason", state.hold_reason);
  json.Set("created_at", materials::TimeToJson(state.created_at));
  json.Set("created_by", state.created_by);
  if (summaries) json.Set("step_summaries", true);
  Json steps = Json::MakeObject();
  for (const auto& [id, step] : state.steps) steps.Set(id, StepToJson(step, summaries));
  json.Set("steps", std::move(steps));
  Json expiries = Json::MakeObject();
  for (const auto& [clock, at] : state.expiries) expiries.Set(clock, materials::TimeToJson(at));
  json.Set("expiries", std::move(expiries));
  if (!summaries) {
    json.Set("entries", state.entries);
    json.Set("refusals", state.refusals);
  }
  Json overrides = Json::MakeArray();
  for (const Override& granted : state.overrides) {
    Json item = Json::MakeObject();
    item.Set("refusal", granted.refusal);
    item.Set("step", granted.step);
    item.Set("rule", granted.rule);
    item.Set("deviation", granted.deviation);
    item.Set("used", granted.used);
    overrides.Push(std::move(item));
  }
  json.Set("overrides", std::move(overrides));
  json.Set("deviations", JsonStrings(state.deviations));
  if (!summaries) json.Set("exceptions", state.exceptions);
  json.Set("unreviewed", StringSetToJson(state.unreviewed));
  json.Set("completed_at", materials::OptionalTimeToJson(state.completed_at));
  json.Set("review_started_at", materials::OptionalTimeToJson(state.review_started_at));
  if (state.disposition) {
    Json disposition = Json::MakeObject();
    disposition.Set("status", BatchStatusName(state.disposition->status));
    disposition.Set("at", materials::TimeToJson(state.disposition->at));
    disposition.Set("by", state.disposition->by);
    disposition.Set("comment", state.disposition->comment);
    json.Set("disposition", std::move(disposition));
  }
  return json;
}

// What every event may carry: the deviations it raised, the exceptions it recorded for review and
// the overrides its action used.
Status ApplyCommonMembers(BatchState& state, const ledger::PayloadReader& payload) {
  if (const Json* deviations = payload.Find("deviations"); deviations != nullptr) {
    if (!deviations->IsArray()) return Unexpected(payload.Corrupt("deviations is not an array"));
    for (const Json& id : deviations->AsArray()) {
      if (!id.IsString()) return Unexpected(payload.Corrupt("a deviation id is not text"));
      state.deviations.push_back(id.AsString());
    }
  }
  if (const Json* exceptions = payload.Find("exceptions"); exceptions != nullptr) {
    if (!exceptions->IsArray()) return Unexpected(payload.Corrupt("exceptions is not an array"));
    for (const Json& exception : exceptions->AsArray()) {
      const Json* key = exception.Find("key");
      if (key == nullptr || !key->IsString()) {
        return Unexpected(payload.Corrupt("an exception has no key"));
      }
      ++state.exceptions;
      state.unreviewed.insert(key->AsString());
    }
  }
  if (const Json* expiries = payload.Find("expiries"); expiries != nullptr) {
    if (!expiries->IsObject()) return Unexpected(payload.Corrupt("expiries is not an object"));
    for (const auto& [clock, micros] : expiries->AsObject()) {
      const std::optional<std::int64_t> at = micros.AsInteger();
      if (!at) return Unexpected(payload.Corrupt("expiry " + clock + " is not an instant"));
      state.expiries[clock] = Timestamp::FromMicros(*at);
    }
  }
  if (const Json* used = payload.Find("overrides_used"); used != nullptr) {
    if (!used->IsArray()) return Unexpected(payload.Corrupt("overrides_used is not an array"));
    for (const Json& number : used->AsArray()) {
      const std::optional<std::int64_t> refusal = number.AsInteger();
      if (!refusal) return Unexpected(payload.Corrupt("an override is not a number"));
      const auto found =
          std::find_if(state.overrides.begin(), state.overrides.end(),
                       [&](const Override& granted) { return granted.refusal == *refusal; });
      if (found == state.overrides.end() || found->used) {
        return Unexpected(payload.Corrupt("override of refusal " + std::to_string(*refusal) +
                                          " is not available"));
      }
      found->used = true;
    }
  }
  return {};
}

Result<StepExecution*> StartedStep(BatchState& state, const ledger::PayloadReader& payload) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string step, payload.String("step"));
  const auto found = state.steps.find(step);
  if (found == state.steps.end()) {
    return Unexpected(payload.Corrupt("step " + step + " was not started"));
  }
  return &found->second;
}

Status ApplyEntries(BatchState& state, const ledger::Event& event,
                    const ledger::PayloadReader& payload) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* entries, payload.Array("entries"));
  for (const Json& json : entries->AsArray()) {
    ALIQUOT_ASSIGN_OR_RETURN(const EntryRecord entry, EntryFromJson(json));
    if (entry.number != state.entries + 1) {
      return Unexpected(payload.Corrupt("entry " + std::to_string(entry.number) +
                                        " out of order after " + std::to_string(state.entries)));
    }
    const auto step = state.steps.find(entry.step);
    if (step == state.steps.end()) {
      return Unexpected(payload.Corrupt("entry on step " + entry.step + ", which was not started"));
    }
    state.entries = entry.number;
    ValueInForce value;
    value.entry = entry.number;
    value.not_applicable = entry.not_applicable;
    value.value = entry.value;
    value.in_unit = entry.in_unit;
    value.flag = entry.flag;
    step->second.values[entry.subject] = std::move(value);
    step->second.performers.insert(event.actor.id);
  }
  if (const Json* awaiting = payload.Find("awaiting"); awaiting != nullptr) {
    if (!awaiting->IsArray()) return Unexpected(payload.Corrupt("awaiting is not an array"));
    for (const Json& item : awaiting->AsArray()) {
      const JsonFields fields(item, "event seq " + std::to_string(event.seq) + " awaiting");
      ALIQUOT_ASSIGN_OR_RETURN(const std::string step, fields.String("step"));
      ALIQUOT_ASSIGN_OR_RETURN(const std::string deviation, fields.String("deviation"));
      const auto found = state.steps.find(step);
      if (found == state.steps.end()) {
        return Unexpected(payload.Corrupt("awaiting on step " + step + ", not started"));
      }
      found->second.awaiting_acknowledgement.push_back(deviation);
    }
  }
  return {};
}

Status ApplyCreated(BatchState& state, const ledger::Event& event,
                    const ledger::PayloadReader& payload) {
  if (state.exists) return Unexpected(payload.Corrupt("the batch exists already"));
  state.exists = true;
  state.id = event.stream.id;
  ALIQUOT_ASSIGN_OR_RETURN(state.product, payload.String("product"));
  ALIQUOT_ASSIGN_OR_RETURN(state.master_batch_record, payload.String("master_batch_record"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t version, payload.Integer("version"));
  state.version = static_cast<int>(version);
  ALIQUOT_ASSIGN_OR_RETURN(state.definition_sha256, payload.String("definition_sha256"));
  const std::string what = "event seq " + std::to_string(event.seq);
  ALIQUOT_ASSIGN_OR_RETURN(const Json* identifiers, payload.Object("identifiers"));
  ALIQUOT_ASSIGN_OR_RETURN(state.identifiers, StringMapFromJson(*identifiers, what));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* inputs, payload.Object("inputs"));
  ALIQUOT_ASSIGN_OR_RETURN(state.inputs, ValuesFromJson(*inputs, what));
  ALIQUOT_ASSIGN_OR_RETURN(state.starting_material, payload.String("starting_material"));
  state.status = BatchStatus::kPlanned;
  state.created_at = event.time;
  state.created_by = event.actor.id;
  return {};
}

Status ApplyStepEvent(BatchState& state, const ledger::Event& event,
                      const ledger::PayloadReader& payload) {
  const std::string_view type = event.event_type;
  if (type == kStepStarted) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string id, payload.String("step"));
    StepExecution& step = state.steps[id];
    if (step.status != StepStatus::kNotStarted) {
      return Unexpected(payload.Corrupt("step " + id + " was started already"));
    }
    step.status = StepStatus::kInProgress;
    step.started_at = event.time;
    step.started_by = event.actor.id;
    step.performers.insert(event.actor.id);
    ALIQUOT_ASSIGN_OR_RETURN(const Json* equipment, payload.Array("equipment"));
    for (const Json& item : equipment->AsArray()) {
      const JsonFields fields(item, "event seq " + std::to_string(event.seq) + " equipment");
      EquipmentInUse use;
      ALIQUOT_ASSIGN_OR_RETURN(use.id, fields.String("id"));
      ALIQUOT_ASSIGN_OR_RETURN(use.equipment_class, fields.String("class"));
      step.equipment.push_back(std::move(use));
    }
    if (state.status == BatchStatus::kPlanned) state.status = BatchStatus::kInProgress;
    return {};
  }
  ALIQUOT_ASSIGN_OR_RETURN(StepExecution * step, StartedStep(state, payload));
  if (type == kEquipmentAdded) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* item, payload.Object("equipment"));
    const JsonFields fields(*item, "event seq " + std::to_string(event.seq) + " equipment");
    EquipmentInUse use;
    ALIQUOT_ASSIGN_OR_RETURN(use.id, fields.String("id"));
    ALIQUOT_ASSIGN_OR_RETURN(use.equipment_class, fields.String("class"));
    step->equipment.push_back(std::move(use));
  } else if (type == kIdentityScanned) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string identifier, payload.String("identifier"));
    step->identities.insert(identifier);
  } else if (type == kMaterialConsumed) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string material, payload.String("material"));
    const Json* amount = payload.Find("base_amount");
    if (amount == nullptr || !amount->IsNumber()) {
      return Unexpected(payload.Corrupt("no base_amount"));
    }
    step->consumed[material] += amount->AsNumber();
  } else if (type == kSampleTaken) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string sample, payload.String("sample"));
    step->samples.insert(sample);
  } else if (type == kStepCompleted) {
    if (step->status != StepStatus::kInProgress) {
      return Unexpected(payload.Corrupt("the step is not in progress"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const bool verify, payload.Bool("awaiting_verification"));
    step->status = verify ? StepStatus::kAwaitingVerification : StepStatus::kDone;
    step->completed_at = event.time;
    step->completed_by = event.actor.id;
  } else if (type == kStepVerified) {
    if (step->status != StepStatus::kAwaitingVerification) {
      return Unexpected(payload.Corrupt("the step does not await verification"));
    }
    step->status = StepStatus::kDone;
    step->verified_at = event.time;
    step->verified_by = event.actor.id;
    return {};
  } else if (type == kExcursionAcknowledged) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string deviation, payload.String("deviation"));
    const auto found = std::find(step->awaiting_acknowledgement.begin(),
                                 step->awaiting_acknowledgement.end(), deviation);
    if (found == step->awaiting_acknowledgement.end()) {
      return Unexpected(payload.Corrupt(deviation + " awaits no acknowledgement on the step"));
    }
    step->awaiting_acknowledgement.erase(found);
    return {};
  }
  step->performers.insert(event.actor.id);
  return {};
}

}  // namespace

std::string_view BatchStatusName(BatchStatus status) { return EnumName(kBatchStatusNames, status); }
std::optional<BatchStatus> BatchStatusFromName(std::string_view name) {
  return EnumFromName<BatchStatus>(kBatchStatusNames, name);
}
std::string_view StepStatusName(StepStatus status) { return EnumName(kStepStatusNames, status); }
std::optional<StepStatus> StepStatusFromName(std::string_view name) {
  return EnumFromName<StepStatus>(kStepStatusNames, name);
}

const StepExecution* BatchState::Step(std::string_view step) const {
  const auto found = steps.find(std::string(step));
  return found == steps.end() ? nullptr : &found->second;
}

ledger::StreamRef BatchStream(std::string_view batch_id) {
  return {"batch", std::string(batch_id)};
}

std::string BatchId(int year, int number) {
  const auto padded = [](int value) {
    std::string digits = std::to_string(value);
    return std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
  };
  return "B-" + padded(year) + "-" + padded(number);
}

Status ValidateBatchId(std::string_view id, std::string_view field) {
  // "B-", four digits, "-", four or more digits.
  const auto digits = [](std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const bool valid = id.size() >= 11 && id.size() <= 16 && id.substr(0, 2) == "B-" &&
                     digits(id.substr(2, 4)) && id[6] == '-' && digits(id.substr(7));
  if (!valid) {
    return Unexpected(InvalidArgument("'" + std::string(id.substr(0, 40)) +
                                          "' is not a batch id: batch ids read B-<year>-<number>, "
                                          "as in B-2026-0007",
                                      std::string(field)));
  }
  return {};
}

Result<std::vector<std::string>> StepsTouchedBy(const ledger::PayloadReader& payload) {
  std::set<std::string> steps;
  if (const Json* step = payload.Find("step"); step != nullptr) {
    if (!step->IsString()) return Unexpected(payload.Corrupt("step is not text"));
    steps.insert(step->AsString());
  }
  for (const char* list : {"entries", "awaiting"}) {
    const Json* items = payload.Find(list);
    if (items == nullptr) continue;
    if (!items->IsArray()) return Unexpected(payload.Corrupt(std::string(list) + " is not a list"));
    for (const Json& item : items->AsArray()) {
      const Json* step = item.Find("step");
      if (step == nullptr || !step->IsString()) {
        return Unexpected(payload.Corrupt(std::string(list) + " names no step"));
      }
      steps.insert(step->AsString());
    }
  }
  return std::vector<std::string>(steps.begin(), steps.end());
}

Status ApplyBatchEvent(BatchState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  return ApplyBatchEvent(state, event, payload);
}

Status ApplyBatchEvent(BatchState& state, const ledger::Event& event,
                       const ledger::PayloadReader& payload) {
  const std::string_view type = event.event_type;
  if (type == kBatchCreated) return ApplyCreated(state, event, payload);
  if (!state.exists) return Unexpected(payload.Corrupt("the batch was never created"));
  if (type == kOverrideGranted) {
    Override granted;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t refusal, payload.Integer("refusal"));
    granted.refusal = static_cast<int>(refusal);
    ALIQUOT_ASSIGN_OR_RETURN(granted.step, payload.String("step"));
    ALIQUOT_ASSIGN_OR_RETURN(granted.rule, payload.String("rule"));
    ALIQUOT_ASSIGN_OR_RETURN(granted.deviation, payload.String("deviation"));
    state.overrides.push_back(std::move(granted));
    return ApplyCommonMembers(state, payload);
  }
  ALIQUOT_RETURN_IF_ERROR(ApplyCommonMembers(state, payload));
  if (type == kStepStarted || type == kEquipmentAdded || type == kIdentityScanned ||
      type == kMaterialConsumed || type == kSampleTaken || type == kStepCompleted ||
      type == kStepVerified || type == kExcursionAcknowledged) {
    return ApplyStepEvent(state, event, payload);
  }
  if (type == kEntriesRecorded) return ApplyEntries(state, event, payload);
  if (type == kAttemptRefused) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* refusal, payload.Object("refusal"));
    const Json* number = refusal->Find("number");
    if (number == nullptr || number->AsInteger() != state.refusals + 1) {
      return Unexpected(payload.Corrupt("refusal out of order"));
    }
    state.refusals = static_cast<int>(*number->AsInteger());
    return {};
  }
  if (type == kBatchHeld) {
    state.status_before_hold = state.status;
    state.status = BatchStatus::kOnHold;
    ALIQUOT_ASSIGN_OR_RETURN(state.hold_reason, payload.String("reason"));
    return {};
  }
  if (type == kBatchResumed) {
    if (state.status != BatchStatus::kOnHold) {
      return Unexpected(payload.Corrupt("the batch is not on hold"));
    }
    state.status = state.status_before_hold;
    state.hold_reason.clear();
    return {};
  }
  if (type == kBatchCompleted) {
    state.status = BatchStatus::kCompleted;
    state.completed_at = event.time;
    return {};
  }
  if (type == kReviewStarted) {
    state.status = BatchStatus::kUnderReview;
    state.review_started_at = event.time;
    return {};
  }
  if (type == kExceptionReviewed) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string key, payload.String("exception"));
    if (state.unreviewed.erase(key) == 0) {
      return Unexpected(payload.Corrupt("exception " + key + " is not awaiting review"));
    }
    return {};
  }
  if (type == kBatchReleased || type == kBatchRejected) {
    Disposition disposition;
    disposition.status = type == kBatchReleased ? BatchStatus::kReleased : BatchStatus::kRejected;
    disposition.at = event.time;
    disposition.by = event.actor.id;
    ALIQUOT_ASSIGN_OR_RETURN(disposition.comment, payload.String("comment"));
    state.status = disposition.status;
    state.disposition = std::move(disposition);
    return {};
  }
  return Unexpected(payload.Corrupt("not a batch event"));
}

Json BatchStateToJson(const BatchState& state) { return StateToJson(state, false); }

Json BatchHeaderToJson(const BatchState& state) { return StateToJson(state, true); }

Json StepExecutionToJson(const StepExecution& step) { return StepToJson(step, false); }

Result<StepExecution> StepExecutionFromJson(const Json& json, const std::string& what) {
  return StepFromJson(json, what, false);
}

namespace {

// The state from its JSON; a header's counters come from `counts`, a whole state's from the JSON.
Result<BatchState> StateFromJson(const Json& json, const BatchCounts* counts) {
  const JsonFields fields(json, "batch");
  BatchState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  const std::string what = "batch " + state.id;
  const JsonFields named(json, what);
  ALIQUOT_ASSIGN_OR_RETURN(state.product, named.String("product"));
  ALIQUOT_ASSIGN_OR_RETURN(state.master_batch_record, named.String("master_batch_record"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t version, named.Integer("version"));
  state.version = static_cast<int>(version);
  ALIQUOT_ASSIGN_OR_RETURN(state.definition_sha256, named.String("definition_sha256"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* identifiers, named.Object("identifiers"));
  ALIQUOT_ASSIGN_OR_RETURN(state.identifiers, StringMapFromJson(*identifiers, what));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* inputs, named.Object("inputs"));
  ALIQUOT_ASSIGN_OR_RETURN(state.inputs, ValuesFromJson(*inputs, what));
  ALIQUOT_ASSIGN_OR_RETURN(state.starting_material, named.String("starting_material"));
  const auto status = [&](std::string_view name) -> Result<BatchStatus> {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string text, named.String(name));
    const std::optional<BatchStatus> parsed = BatchStatusFromName(text);
    if (!parsed) return Unexpected(named.Corrupt("unknown status " + text));
    return *parsed;
  };
  ALIQUOT_ASSIGN_OR_RETURN(state.status, status("status"));
  ALIQUOT_ASSIGN_OR_RETURN(state.status_before_hold, status("status_before_hold"));
  ALIQUOT_ASSIGN_OR_RETURN(state.hold_reason, named.String("hold_reason"));
  ALIQUOT_ASSIGN_OR_RETURN(state.created_at, named.Time("created_at"));
  ALIQUOT_ASSIGN_OR_RETURN(state.created_by, named.String("created_by"));
  const bool summaries = json.Find("step_summaries") != nullptr;
  ALIQUOT_ASSIGN_OR_RETURN(const Json* steps, named.Object("steps"));
  for (const auto& [id, step] : steps->AsObject()) {
    std::string where = what;
    where += " step ";
    where += id;
    ALIQUOT_ASSIGN_OR_RETURN(state.steps[id], StepFromJson(step, where, summaries));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json* expiries, named.Object("expiries"));
  for (const auto& [clock, micros] : expiries->AsObject()) {
    const std::optional<std::int64_t> at = micros.AsInteger();
    if (!at) return Unexpected(named.Corrupt("expiry " + clock));
    state.expiries[clock] = Timestamp::FromMicros(*at);
  }
  if (counts != nullptr) {
    state.entries = counts->entries;
    state.refusals = counts->refusals;
    state.exceptions = counts->exceptions;
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t entries, named.Integer("entries"));
    state.entries = static_cast<int>(entries);
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t refusals, named.Integer("refusals"));
    state.refusals = static_cast<int>(refusals);
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t exceptions, named.Integer("exceptions"));
    state.exceptions = static_cast<int>(exceptions);
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* overrides, named.Array("overrides"));
  for (const Json& item : *overrides) {
    const JsonFields override_fields(item, what + " override");
    Override granted;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t refusal, override_fields.Integer("refusal"));
    granted.refusal = static_cast<int>(refusal);
    ALIQUOT_ASSIGN_OR_RETURN(granted.step, override_fields.String("step"));
    ALIQUOT_ASSIGN_OR_RETURN(granted.rule, override_fields.String("rule"));
    ALIQUOT_ASSIGN_OR_RETURN(granted.deviation, override_fields.String("deviation"));
    ALIQUOT_ASSIGN_OR_RETURN(granted.used, override_fields.Bool("used"));
    state.overrides.push_back(std::move(granted));
  }
  ALIQUOT_ASSIGN_OR_RETURN(state.deviations, named.Strings("deviations"));
  ALIQUOT_ASSIGN_OR_RETURN(state.unreviewed, StringSet(named, "unreviewed"));
  ALIQUOT_ASSIGN_OR_RETURN(state.completed_at, named.OptionalTime("completed_at"));
  ALIQUOT_ASSIGN_OR_RETURN(state.review_started_at, named.OptionalTime("review_started_at"));
  if (json.Find("disposition") != nullptr) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* object, named.Object("disposition"));
    const JsonFields disposition_fields(*object, what + " disposition");
    Disposition disposition;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string text, disposition_fields.String("status"));
    const std::optional<BatchStatus> parsed = BatchStatusFromName(text);
    if (!parsed) return Unexpected(disposition_fields.Corrupt("unknown status " + text));
    disposition.status = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(disposition.at, disposition_fields.Time("at"));
    ALIQUOT_ASSIGN_OR_RETURN(disposition.by, disposition_fields.String("by"));
    ALIQUOT_ASSIGN_OR_RETURN(disposition.comment, disposition_fields.String("comment"));
    state.disposition = std::move(disposition);
  }
  return state;
}

}  // namespace

Result<BatchState> BatchStateFromJson(const Json& json) { return StateFromJson(json, nullptr); }

Result<BatchState> BatchHeaderFromJson(const Json& json, const BatchCounts& counts) {
  if (json.Find("step_summaries") == nullptr) {
    return Unexpected(DataLoss("batch header has no step summaries"));
  }
  return StateFromJson(json, &counts);
}

BatchCounts CountsOf(const BatchState& state) {
  return {state.entries, state.refusals, state.exceptions};
}

StepExecution StepSummary(const StepExecution& step) {
  StepExecution summary;
  summary.status = step.status;
  summary.started_at = step.started_at;
  summary.started_by = step.started_by;
  summary.completed_at = step.completed_at;
  summary.completed_by = step.completed_by;
  summary.verified_at = step.verified_at;
  summary.verified_by = step.verified_by;
  summary.equipment = step.equipment;
  return summary;
}

}  // namespace aliquot::batches
