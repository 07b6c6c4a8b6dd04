#include "aliquot/domain/batches/execution.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <set>
#include <utility>

#include "aliquot/core/check.h"
#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/formula.h"

namespace aliquot::batches {
namespace {

constexpr std::array<std::string_view, 13> kReasonNames = {
    "batch_closed", "on_hold",           "sequence",  "step_state", "awaiting_acknowledgement",
    "training",     "hold_time",         "expired",   "duration",   "equipment",
    "material",     "identity_mismatch", "incomplete"};
constexpr std::array<std::string_view, 3> kOriginNames = {"manual", "instrument", "calculated"};

using materials::JsonFields;

Json IntegersToJson(const std::vector<int>& numbers) {
  Json json = Json::MakeArray();
  for (int number : numbers) json.Push(number);
  return json;
}

Result<std::vector<int>> IntegersFromJson(const JsonFields& fields, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* array, fields.Array(name));
  std::vector<int> numbers;
  for (const Json& item : *array) {
    const std::optional<std::int64_t> number = item.AsInteger();
    if (!number) return Unexpected(fields.Corrupt(std::string(name) + " holds a non-integer"));
    numbers.push_back(static_cast<int>(*number));
  }
  return numbers;
}

}  // namespace

std::vector<std::string> StepsReadBy(const recipes::Definition& recipe, const recipes::Step& step) {
  std::set<std::string> steps;
  const auto read = [&](const std::string& text) {
    const Result<recipes::Formula> formula = recipes::Formula::Parse(text, "formula");
    if (!formula) return;  // A plain quantity.
    for (const std::string& name : formula->Names()) {
      const std::size_t dot = name.find('.');
      if (dot == std::string::npos) continue;
      const std::string owner = name.substr(0, dot);
      if (owner != "batch" && owner != step.id && recipe.FindStep(owner) != nullptr) {
        steps.insert(owner);
      }
    }
  };
  for (const recipes::Calculation& calculation : step.calculations) read(calculation.formula);
  for (const recipes::MaterialLine& line : step.materials) {
    if (!recipes::ParseQuantity(line.quantity, "quantity")) read(line.quantity);
  }
  return std::vector<std::string>(steps.begin(), steps.end());
}

std::string_view RefusalReasonName(RefusalReason reason) { return EnumName(kReasonNames, reason); }
std::optional<RefusalReason> RefusalReasonFromName(std::string_view name) {
  return EnumFromName<RefusalReason>(kReasonNames, name);
}
std::string_view OriginName(Origin origin) { return EnumName(kOriginNames, origin); }

Error Decision::RefusalError() const {
  ALIQUOT_CHECK(refused.has_value());
  if (refused->reason == RefusalReason::kTraining) {
    return PermissionDenied(refused->message, refused->field);
  }
  return FailedPrecondition(refused->message, refused->field);
}

// The entry as events and the record carry it. The time, person and terminal are the event's; they
// are written here too so that a row of the record stands on its own.
Json EntryToJson(const EntryRecord& entry) {
  Json json = Json::MakeObject();
  json.Set("number", entry.number);
  json.Set("step", entry.step);
  json.Set("subject", entry.subject);
  if (entry.calculation) json.Set("calculation", true);
  if (entry.not_applicable) {
    json.Set("not_applicable", true);
  } else {
    json.Set("value", EnteredValueToJson(entry.value));
  }
  if (entry.in_unit) json.Set("in_unit", *entry.in_unit);
  json.Set("flag", LimitFlagName(entry.flag));
  if (!entry.limit.empty()) json.Set("limit", entry.limit);
  json.Set("origin", OriginName(entry.origin));
  if (!entry.instrument.empty()) {
    json.Set("instrument", entry.instrument);
    json.Set("instrument_tag", entry.instrument_tag);
  }
  if (!entry.from.empty()) json.Set("from", IntegersToJson(entry.from));
  if (entry.corrects) json.Set("corrects", *entry.corrects);
  if (!entry.reason.empty()) json.Set("reason", entry.reason);
  if (!entry.deviation.empty()) json.Set("deviation", entry.deviation);
  if (entry.late) json.Set("late", true);
  return json;
}

Result<EntryRecord> EntryFromJson(const Json& json) {
  const JsonFields fields(json, "entry");
  EntryRecord entry;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, fields.Integer("number"));
  entry.number = static_cast<int>(number);
  ALIQUOT_ASSIGN_OR_RETURN(entry.step, fields.String("step"));
  ALIQUOT_ASSIGN_OR_RETURN(entry.subject, fields.String("subject"));
  const auto flag_member = [&](std::string_view name) {
    const Json* member = json.Find(name);
    return member != nullptr && member->IsBool() && member->AsBool();
  };
  entry.calculation = flag_member("calculation");
  entry.not_applicable = flag_member("not_applicable");
  entry.late = flag_member("late");
  const std::string what = "entry " + std::to_string(entry.number);
  if (!entry.not_applicable) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* value, fields.Object("value"));
    ALIQUOT_ASSIGN_OR_RETURN(entry.value, EnteredValueFromJson(*value, what));
  }
  ALIQUOT_ASSIGN_OR_RETURN(entry.in_unit, fields.OptionalNumber("in_unit"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string flag, fields.String("flag"));
  const std::optional<LimitFlag> parsed_flag = LimitFlagFromName(flag);
  if (!parsed_flag) return Unexpected(fields.Corrupt("unknown flag " + flag));
  entry.flag = *parsed_flag;
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> limit, fields.OptionalString("limit"));
  entry.limit = limit.value_or("");
  ALIQUOT_ASSIGN_OR_RETURN(const std::string origin, fields.String("origin"));
  const std::optional<Origin> parsed_origin = EnumFromName<Origin>(kOriginNames, origin);
  if (!parsed_origin) return Unexpected(fields.Corrupt("unknown origin " + origin));
  entry.origin = *parsed_origin;
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> instrument,
                           fields.OptionalString("instrument"));
  if (instrument) {
    entry.instrument = *instrument;
    ALIQUOT_ASSIGN_OR_RETURN(entry.instrument_tag, fields.String("instrument_tag"));
  }
  if (json.Find("from") != nullptr) {
    ALIQUOT_ASSIGN_OR_RETURN(entry.from, IntegersFromJson(fields, "from"));
  }
  if (const Json* corrects = json.Find("corrects"); corrects != nullptr) {
    const std::optional<std::int64_t> number_corrected = corrects->AsInteger();
    if (!number_corrected) return Unexpected(fields.Corrupt("corrects is not an entry number"));
    entry.corrects = static_cast<int>(*number_corrected);
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> reason,
                           fields.OptionalString("reason"));
  entry.reason = reason.value_or("");
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> deviation,
                           fields.OptionalString("deviation"));
  entry.deviation = deviation.value_or("");
  return entry;
}

Result<std::vector<EntryRecord>> EntriesOf(const ledger::Event& event,
                                           const ledger::PayloadReader& payload) {
  std::vector<EntryRecord> entries;
  if (event.event_type != kEntriesRecorded) return entries;
  ALIQUOT_ASSIGN_OR_RETURN(const Json* array, payload.Array("entries"));
  for (const Json& json : array->AsArray()) {
    ALIQUOT_ASSIGN_OR_RETURN(EntryRecord entry, EntryFromJson(json));
    entry.at = event.time;
    entry.by = event.actor.id;
    entry.by_name = event.actor.name;
    entry.terminal = event.terminal;
    entries.push_back(std::move(entry));
  }
  return entries;
}

Json RefusalToJson(const Refusal& refusal) {
  Json json = Json::MakeObject();
  json.Set("number", refusal.number);
  json.Set("action", refusal.action);
  json.Set("step", refusal.step);
  json.Set("reason", RefusalReasonName(refusal.reason));
  json.Set("message", refusal.message);
  json.Set("field", refusal.field);
  json.Set("overridable", refusal.overridable);
  json.Set("rule", refusal.rule);
  if (!refusal.deviation.empty()) json.Set("deviation", refusal.deviation);
  return json;
}

Result<Refusal> RefusalFromJson(const Json& json) {
  const JsonFields fields(json, "refusal");
  Refusal refusal;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, fields.Integer("number"));
  refusal.number = static_cast<int>(number);
  ALIQUOT_ASSIGN_OR_RETURN(refusal.action, fields.String("action"));
  ALIQUOT_ASSIGN_OR_RETURN(refusal.step, fields.String("step"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, fields.String("reason"));
  const std::optional<RefusalReason> parsed = RefusalReasonFromName(reason);
  if (!parsed) return Unexpected(fields.Corrupt("unknown reason " + reason));
  refusal.reason = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(refusal.message, fields.String("message"));
  ALIQUOT_ASSIGN_OR_RETURN(refusal.field, fields.String("field"));
  ALIQUOT_ASSIGN_OR_RETURN(refusal.overridable, fields.Bool("overridable"));
  ALIQUOT_ASSIGN_OR_RETURN(refusal.rule, fields.String("rule"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> deviation,
                           fields.OptionalString("deviation"));
  refusal.deviation = deviation.value_or("");
  return refusal;
}

Result<std::optional<Refusal>> RefusalOf(const ledger::Event& event,
                                         const ledger::PayloadReader& payload) {
  if (event.event_type != kAttemptRefused) return std::optional<Refusal>();
  ALIQUOT_ASSIGN_OR_RETURN(const Json* json, payload.Object("refusal"));
  ALIQUOT_ASSIGN_OR_RETURN(Refusal refusal, RefusalFromJson(*json));
  refusal.at = event.time;
  refusal.by = event.actor.id;
  refusal.terminal = event.terminal;
  return std::optional<Refusal>(std::move(refusal));
}

namespace {

// Pieces of a message joined with one allocation, where a chain of + makes a temporary per piece.
std::string Concat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  std::string text;
  text.reserve(size);
  for (std::string_view part : parts) text += part;
  return text;
}

// "16 h 12 min", "3 d 4 h", "45 min", "12 s": how long, for an operator.
std::string DescribeDuration(std::int64_t micros) {
  const std::int64_t seconds = std::max<std::int64_t>(micros, 0) / kMicrosPerSecond;
  const std::int64_t days = seconds / 86'400;
  const std::int64_t hours = seconds % 86'400 / 3'600;
  const std::int64_t minutes = seconds % 3'600 / 60;
  std::string text;
  const auto part = [&](std::int64_t value, std::string_view unit) {
    if (!text.empty()) text += ' ';
    text += std::to_string(value) + " " + std::string(unit);
  };
  if (days > 0) part(days, "d");
  if (hours > 0) part(hours, "h");
  if (minutes > 0 && days == 0) part(minutes, "min");
  if (text.empty()) part(seconds, "s");
  return text;
}

// A quantity of time of the definition ("18 h"), in microseconds. The definition was validated at
// approval, so a quantity that does not parse is a broken invariant.
std::int64_t TimeQuantityMicros(const std::string& text) {
  const Result<recipes::Quantity> quantity = recipes::ParseQuantity(text, "duration");
  ALIQUOT_CHECK(quantity.has_value());
  // Base unit of time: the second.
  return static_cast<std::int64_t>(std::llround(quantity->value * quantity->unit.Factor() *
                                                static_cast<double>(kMicrosPerSecond)));
}

std::string PointName(recipes::StepPoint point) {
  return point == recipes::StepPoint::kStart ? "started" : "ended";
}

// The steps that must be done before `step` may start: its "after", or the step before it in the
// file.
std::vector<std::string> Predecessors(const recipes::Definition& recipe,
                                      const recipes::Step& step) {
  if (step.after) return *step.after;
  const std::vector<const recipes::Step*> steps = recipe.Steps();
  for (std::size_t i = 1; i < steps.size(); ++i) {
    if (steps[i]->id == step.id) return {steps[i - 1]->id};
  }
  return {};
}

const recipes::ParameterDefinition* FindParameter(const recipes::Step& step, std::string_view id) {
  for (const recipes::ParameterDefinition& parameter : step.parameters) {
    if (parameter.id == id) return &parameter;
  }
  return nullptr;
}

const recipes::Calculation* FindCalculation(const recipes::Step& step, std::string_view id) {
  for (const recipes::Calculation& calculation : step.calculations) {
    if (calculation.id == id) return &calculation;
  }
  return nullptr;
}

// The value in force of a name as formulas write it, seen from `step`: "viability" (its own),
// "harvest.total_viable_cells" (another step's), "batch.body_weight" (a batch input), with the
// unit the definition gives it. nullopt when it has no value (or is N/A).
// Step values being decided, by step id: they stand in for the batch's own.
using Overlay = std::map<std::string, std::map<std::string, ValueInForce>>;

std::optional<recipes::NameValue> ValueOfName(const recipes::Definition& recipe,
                                              const BatchState& batch, const Overlay& overlay,
                                              const recipes::Step& step, std::string_view name,
                                              int* entry) {
  const std::size_t dot = name.find('.');
  std::string owner = step.id;
  std::string subject(name);
  if (dot != std::string_view::npos) {
    owner = std::string(name.substr(0, dot));
    subject = std::string(name.substr(dot + 1));
  }
  const ValueInForce* value = nullptr;
  std::string unit;
  if (owner == "batch") {
    for (const recipes::ParameterDefinition& input : recipe.batch_inputs) {
      if (input.id == subject) unit = input.unit;
    }
    const auto found = batch.inputs.find(subject);
    if (found != batch.inputs.end()) value = &found->second;
  } else {
    const recipes::Step* definition = recipe.FindStep(owner);
    if (definition == nullptr) return std::nullopt;
    if (const recipes::ParameterDefinition* parameter = FindParameter(*definition, subject)) {
      unit = parameter->unit;
    } else if (const recipes::Calculation* calculation = FindCalculation(*definition, subject)) {
      unit = calculation->unit;
    }
    const std::map<std::string, ValueInForce>* values = nullptr;
    if (const auto decided = overlay.find(owner); decided != overlay.end()) {
      values = &decided->second;
    } else if (const StepExecution* execution = batch.Step(owner)) {
      values = &execution->values;
    } else {
      return std::nullopt;
    }
    const auto found = values->find(subject);
    if (found != values->end()) value = &found->second;
  }
  if (value == nullptr || value->not_applicable || !value->in_unit) return std::nullopt;
  recipes::NameValue result;
  result.value = *value->in_unit;
  if (!unit.empty()) {
    const Result<units::Unit> parsed = units::Unit::Parse(unit, "unit");
    if (!parsed) return std::nullopt;
    result.unit = *parsed;
  }
  if (entry != nullptr) *entry = value->entry;
  return result;
}

// Whether `name` as written in a formula of `owner` refers to `subject` of `step`.
bool NameRefersTo(std::string_view name, std::string_view owner, std::string_view step,
                  std::string_view subject) {
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return owner == step && name == subject;
  return name.substr(0, dot) == step && name.substr(dot + 1) == subject;
}

class Decider {
 public:
  explicit Decider(const Context& context)
      : context_(context), batch_(*context.batch), recipe_(*context.recipe) {}

  const BatchState& Batch() const { return batch_; }
  const recipes::Definition& Recipe() const { return recipe_; }
  Timestamp Now() const { return context_.now; }
  const ledger::Actor& Actor() const { return context_.actor; }
  const std::string& Terminal() const { return context_.terminal; }

  // An event on the batch's stream, carrying the request's key.
  ledger::NewEvent Event(std::string_view type) const {
    return BatchEvent(context_, batch_.id, type);
  }

  // Raises a deviation in the batch: its event goes into `decision`; returns its id.
  std::string RaiseDeviation(Decision& decision, quality::DeviationInput input) const {
    ALIQUOT_CHECK(context_.next_deviation != nullptr);
    std::string id = context_.next_deviation();
    input.batches = {batch_.id};
    Result<ledger::NewEvent> raised = quality::RaiseDeviation(quality::DeviationState(), id, input,
                                                              context_.actor, context_.terminal);
    ALIQUOT_CHECK(raised.has_value());
    decision.events.push_back(std::move(*raised));
    decision.deviations.push_back(id);
    return id;
  }

  // The refused attempt, recorded: an alert on the batch's stream and an exception for review.
  Decision Refuse(std::string_view action, std::string_view step, RefusalReason reason,
                  std::string message, std::string_view field, std::string rule = {},
                  bool overridable = false) const {
    Refusal refusal;
    refusal.number = batch_.refusals + 1;
    refusal.action = std::string(action);
    refusal.step = std::string(step);
    refusal.reason = reason;
    refusal.message = std::move(message);
    refusal.field = std::string(field);
    refusal.rule = std::move(rule);
    refusal.overridable = overridable;
    return Record(std::move(refusal), {});
  }

  // A refusal that raises a deviation with it (a failed identity match).
  Decision RefuseWithDeviation(std::string_view action, std::string_view step, RefusalReason reason,
                               std::string message, std::string_view field,
                               quality::DeviationInput deviation) const {
    Refusal refusal;
    refusal.number = batch_.refusals + 1;
    refusal.action = std::string(action);
    refusal.step = std::string(step);
    refusal.reason = reason;
    refusal.message = std::move(message);
    refusal.field = std::string(field);
    return Record(std::move(refusal), std::move(deviation));
  }

  // A refusal recorded nowhere: a released or rejected batch's record is closed to every change,
  // refused attempts included.
  Decision RefuseClosed(std::string_view action, std::string_view step) const {
    Refusal refusal;
    refusal.action = std::string(action);
    refusal.step = std::string(step);
    refusal.reason = RefusalReason::kBatchClosed;
    refusal.message = "batch " + batch_.id + " is " + std::string(BatchStatusName(batch_.status)) +
                      ": its record is closed to every change";
    refusal.field = "batch";
    Decision decision;
    decision.refused = std::move(refusal);
    return decision;
  }

  // The override granted for `rule` on `step` and not used yet, if any.
  const Override* AvailableOverride(std::string_view step, std::string_view rule) const {
    for (const Override& granted : batch_.overrides) {
      if (!granted.used && granted.step == step && granted.rule == rule) return &granted;
    }
    return nullptr;
  }

 private:
  Decision Record(Refusal refusal, std::optional<quality::DeviationInput> deviation) const {
    Decision decision;
    ledger::NewEvent event = Event(kAttemptRefused);
    if (deviation) {
      deviation->step = refusal.step;
      refusal.deviation = RaiseDeviation(decision, std::move(*deviation));
    }
    event.payload.Set("refusal", RefusalToJson(refusal));
    event.payload.Set("alert", true);
    Json exceptions = Json::MakeArray();
    BatchException exception;
    exception.key = "refusal:" + std::to_string(refusal.number);
    exception.kinds = {ExceptionKind::kRefusedAttempt};
    exception.step = refusal.step;
    exception.summary = refusal.action + " refused: " + refusal.message;
    exceptions.Push(ExceptionToJson(exception));
    if (!refusal.deviation.empty()) {
      BatchException raised;
      raised.key = "deviation:" + refusal.deviation;
      raised.kinds = {ExceptionKind::kDeviation};
      raised.step = refusal.step;
      raised.summary = refusal.deviation + ": " + refusal.message;
      exceptions.Push(ExceptionToJson(raised));
      event.payload.Set("deviations", JsonStrings({refusal.deviation}));
    }
    event.payload.Set("exceptions", std::move(exceptions));
    // The batch's event first: the deviation follows the refusal that raised it.
    decision.events.insert(decision.events.begin(), std::move(event));
    decision.refused = std::move(refusal);
    return decision;
  }

  const Context& context_;
  const BatchState& batch_;
  const recipes::Definition& recipe_;
};

// --- Guards, in the order RefusalReason lists them ------------------------------------------

// The batch takes execution: not closed, not on hold.
std::optional<Decision> CheckExecutable(const Decider& decider, std::string_view action,
                                        std::string_view step) {
  const BatchState& batch = decider.Batch();
  switch (batch.status) {
    case BatchStatus::kPlanned:
    case BatchStatus::kInProgress:
      return std::nullopt;
    case BatchStatus::kOnHold:
      return decider.Refuse(action, step, RefusalReason::kOnHold,
                            "batch " + batch.id + " is on hold (" + batch.hold_reason +
                                "): nothing is executed until a supervisor resumes it",
                            "batch");
    case BatchStatus::kReleased:
    case BatchStatus::kRejected:
      return decider.RefuseClosed(action, step);
    case BatchStatus::kCompleted:
    case BatchStatus::kUnderReview:
      break;
  }
  return decider.Refuse(action, step, RefusalReason::kBatchClosed,
                        "batch " + batch.id + " is " + std::string(BatchStatusName(batch.status)) +
                            ": its record is closed to execution",
                        "batch");
}

std::optional<Decision> CheckTraining(const Decider& decider, std::string_view action,
                                      const recipes::Step& step,
                                      const training::Qualification& training) {
  // The caller asked for the step's own SOP: anything else is a caller bug.
  ALIQUOT_CHECK(training.document == step.sop);
  if (training.Qualified()) return std::nullopt;
  // G-11, P11-09: an untrained operator cannot perform the step.
  return decider.Refuse(action, step.id, RefusalReason::kTraining, training.message, "document");
}

// The step is in progress (and, for `blocking` actions, has no excursion awaiting a supervisor).
std::optional<Decision> CheckInProgress(const Decider& decider, std::string_view action,
                                        const recipes::Step& step, bool blocking) {
  const StepExecution* execution = decider.Batch().Step(step.id);
  if (execution == nullptr || execution->status == StepStatus::kNotStarted) {
    return decider.Refuse(action, step.id, RefusalReason::kStepState,
                          "step " + step.id + " is not started: start it first", "step");
  }
  if (execution->status != StepStatus::kInProgress) {
    return decider.Refuse(action, step.id, RefusalReason::kStepState,
                          "step " + step.id + " is complete (" +
                              std::string(StepStatusName(execution->status)) +
                              "): a value of it may only be corrected",
                          "step");
  }
  if (blocking && !execution->awaiting_acknowledgement.empty()) {
    std::string deviations;
    std::string records;
    for (const std::string& id : execution->awaiting_acknowledgement) {
      deviations += (deviations.empty() ? "" : ", ") + id;
      records += (records.empty() ? "" : ", ") + decider.Batch().id + ":" + id;
    }
    return decider.Refuse(action, step.id, RefusalReason::kAwaitingAcknowledgement,
                          "step " + step.id + " awaits a supervisor's acknowledgement of " +
                              deviations +
                              " (an action-limit excursion): a supervisor signs record "
                              "batch_excursion " +
                              records + " as approved before the step proceeds",
                          "step");
  }
  return std::nullopt;
}

// The time rules into `point` of `step` and the expiry clocks, now. On success, the overrides
// the action uses (a supervisor's, for a rule this attempt would break).
struct TimeCheck {
  std::optional<Decision> refused;
  std::vector<int> overrides_used;
};

TimeCheck CheckTimes(const Decider& decider, std::string_view action, const recipes::Step& step,
                     recipes::StepPoint point) {
  TimeCheck check;
  const BatchState& batch = decider.Batch();
  const Timestamp now = decider.Now();
  const std::string verb = point == recipes::StepPoint::kStart ? "start" : "end";
  const auto refuse = [&](RefusalReason reason, std::string message, std::string rule,
                          bool overridable) {
    if (overridable) {
      if (const Override* granted = decider.AvailableOverride(step.id, rule)) {
        check.overrides_used.push_back(granted->refusal);
        return false;
      }
      message +=
          ". A supervisor may let it proceed by signing this refusal (a deviation is raised)";
    }
    check.refused = decider.Refuse(action, step.id, reason, std::move(message), "step",
                                   std::move(rule), overridable);
    return true;
  };
  for (const recipes::TimeRule& rule : decider.Recipe().time_rules) {
    if (rule.to.step != step.id || rule.to.point != point) continue;
    const StepExecution* from = batch.Step(rule.from.step);
    const std::optional<Timestamp> from_time =
        from == nullptr ? std::nullopt
                        : (rule.from.point == recipes::StepPoint::kStart ? from->started_at
                                                                         : from->completed_at);
    const std::string what = rule.name + " (" + rule.id + ")";
    if (!from_time) {
      if (refuse(RefusalReason::kHoldTime,
                 Concat({what, ": step ", step.id, " may ", verb, " only after ", rule.from.step,
                         " has ", PointName(rule.from.point)}),
                 "time_rule:" + rule.id, false)) {
        return check;
      }
      continue;
    }
    const std::int64_t elapsed = now.Micros() - from_time->Micros();
    const std::string since =
        Concat({rule.from.step, " ", PointName(rule.from.point), " at ", from_time->ToRfc3339(),
                "; ", DescribeDuration(elapsed), " have passed"});
    if (!rule.min.empty() && elapsed < TimeQuantityMicros(rule.min)) {
      const Timestamp opens =
          Timestamp::FromMicros(from_time->Micros() + TimeQuantityMicros(rule.min));
      if (refuse(RefusalReason::kHoldTime,
                 Concat({what, ": step ", step.id, " may ", verb, " from ", opens.ToRfc3339(), ", ",
                         rule.min, " after ", since}),
                 "time_rule:" + rule.id, true)) {
        return check;
      }
    }
    if (!rule.max.empty() && elapsed > TimeQuantityMicros(rule.max)) {
      const Timestamp closed =
          Timestamp::FromMicros(from_time->Micros() + TimeQuantityMicros(rule.max));
      if (refuse(RefusalReason::kHoldTime,
                 Concat({what, ": the hold time ran out at ", closed.ToRfc3339(), ", ", rule.max,
                         " after ", since}),
                 "time_rule:" + rule.id, true)) {
        return check;
      }
    }
  }
  for (const auto& [clock, expires] : batch.expiries) {
    if (now <= expires) continue;
    std::string name = clock;
    for (const recipes::ExpiryClock& definition : decider.Recipe().expiry_clocks) {
      if (definition.id == clock) name = definition.name + " (" + clock + ")";
    }
    if (refuse(RefusalReason::kExpired,
               Concat({"the product expired at ", expires.ToRfc3339(), " by ", name, ": step ",
                       step.id, " may not ", verb, " after it"}),
               "expiry:" + clock, true)) {
      return check;
    }
  }
  return check;
}

// The expiry clocks `point` of `step` starts (T-03): clock id -> when the product expires.
Json ClocksStarted(const Decider& decider, const recipes::Step& step, recipes::StepPoint point) {
  Json clocks = Json::MakeObject();
  for (const recipes::ExpiryClock& clock : decider.Recipe().expiry_clocks) {
    if (clock.starts.step != step.id || clock.starts.point != point) continue;
    clocks.Set(clock.id, decider.Now().Micros() + TimeQuantityMicros(clock.lasts));
  }
  return clocks;
}

void SetOverridesUsed(ledger::NewEvent& event, const std::vector<int>& used) {
  if (used.empty()) return;
  Json numbers = Json::MakeArray();
  for (int refusal : used) numbers.Push(refusal);
  event.payload.Set("overrides_used", std::move(numbers));
}

// A scanned piece of equipment for `step`: of a class it needs, not in use by it already, and
// passing the equipment check (G-06, G-07). A refused check is also recorded in the logbook.
std::optional<Decision> CheckEquipment(const Decider& decider, std::string_view action,
                                       const recipes::Step& step, const EquipmentScan& scan) {
  ALIQUOT_CHECK(scan.state != nullptr && scan.state->exists);
  const std::string& id = scan.state->id;
  const std::string equipment_class(
      equipment::EquipmentClassName(scan.state->definition.equipment_class));
  if (std::find(step.equipment.begin(), step.equipment.end(), equipment_class) ==
      step.equipment.end()) {
    std::string needed;
    for (const std::string& name : step.equipment) needed += (needed.empty() ? "" : ", ") + name;
    return decider.Refuse(action, step.id, RefusalReason::kEquipment,
                          id + " is a " + equipment_class + "; step " + step.id +
                              (needed.empty() ? " uses no equipment" : " uses " + needed),
                          "equipment");
  }
  if (const StepExecution* execution = decider.Batch().Step(step.id)) {
    for (const EquipmentInUse& use : execution->equipment) {
      if (use.id == id) {
        return decider.Refuse(action, step.id, RefusalReason::kEquipment,
                              id + " is in use by step " + step.id + " already", "equipment");
      }
    }
  }
  if (scan.check.Allowed()) return std::nullopt;
  Decision refused =
      decider.Refuse(action, step.id, RefusalReason::kEquipment, scan.check.message, "equipment");
  equipment::UseInput input;
  input.batch = decider.Batch().id;
  input.product = decider.Batch().product;
  input.step = step.id;
  refused.events.push_back(
      equipment::RefuseUse(*scan.state, input, scan.check, decider.Actor(), decider.Terminal()));
  return refused;
}

// The logbook entry starting a use of checked equipment by the batch's step.
ledger::NewEvent StartEquipmentUse(const Decider& decider, const recipes::Step& step,
                                   const EquipmentScan& scan) {
  equipment::UseInput input;
  input.batch = decider.Batch().id;
  input.product = decider.Batch().product;
  input.lot = decider.Batch().starting_material;
  input.step = step.id;
  input.patient_code = CoiCode(decider.Recipe(), decider.Batch()).value_or("");
  input.required_class = scan.state->definition.equipment_class;
  ALIQUOT_CHECK(scan.room != nullptr);
  return equipment::StartUse(*scan.state, input, scan.check, *scan.room, decider.Actor(),
                             decider.Terminal());
}

Json EquipmentJson(const EquipmentScan& scan) {
  Json json = Json::MakeObject();
  json.Set("id", scan.state->id);
  json.Set("class", equipment::EquipmentClassName(scan.state->definition.equipment_class));
  return json;
}

Result<const recipes::Step*> RecipeStep(const Decider& decider, std::string_view id) {
  const recipes::Step* step = decider.Recipe().FindStep(id);
  if (step == nullptr) {
    return Unexpected(NotFound("step '" + std::string(id.substr(0, 64)) + "' is not in " +
                                   decider.Recipe().master_batch_record + " version " +
                                   std::to_string(decider.Batch().version),
                               "step"));
  }
  return step;
}

// --- Entries ------------------------------------------------------------------------------

// The entries one event records, with what they raised.
struct EntryBatch {
  std::vector<EntryRecord> entries;
  Json awaiting = Json::MakeArray();
  std::vector<std::string> deviations;
  Json exceptions = Json::MakeArray();
};

std::string EntrySummary(const EntryRecord& entry) {
  std::string summary = entry.step + "." + entry.subject + " ";
  summary += entry.not_applicable ? "N/A: " + entry.reason : DescribeValue(entry.value);
  if (entry.flag != LimitFlag::kWithin) summary += ", outside " + entry.limit;
  summary += " (entry " + std::to_string(entry.number) + ")";
  if (entry.corrects) {
    summary += ", correcting entry " + std::to_string(*entry.corrects);
    if (entry.calculation) {
      summary += " (recalculated)";
    } else {
      summary += ": " + entry.reason;
    }
  }
  if (entry.late) summary += ", recorded after the step was complete";
  return summary;
}

// Adds `entry` to the batch: an action-limit excursion raises a deviation (G-05) and, on a step in
// progress, holds the step for a supervisor's acknowledgement; whatever a reviewer must see
// becomes an exception (G-04).
void AddEntry(const Decider& decider, Decision& decision, EntryBatch& batch, EntryRecord entry,
              bool in_progress) {
  if (entry.flag == LimitFlag::kAction) {
    quality::DeviationInput input;
    input.source = quality::DeviationSource::kActionLimit;
    input.title = entry.step + "." + entry.subject + " outside its action limits in batch " +
                  decider.Batch().id;
    input.description = std::string(entry.calculation ? "Calculated " : "Recorded ") +
                        DescribeValue(entry.value) + ", outside " + entry.limit + " (entry " +
                        std::to_string(entry.number) + ").";
    input.step = entry.step;
    input.subject = entry.subject;
    input.value = DescribeValue(entry.value);
    input.limit = entry.limit;
    input.batch_entry = entry.number;
    entry.deviation = decider.RaiseDeviation(decision, std::move(input));
    batch.deviations.push_back(entry.deviation);
    if (in_progress) {
      Json awaiting = Json::MakeObject();
      awaiting.Set("step", entry.step);
      awaiting.Set("deviation", entry.deviation);
      batch.awaiting.Push(std::move(awaiting));
    }
  }
  BatchException exception;
  exception.key = "entry:" + std::to_string(entry.number);
  exception.step = entry.step;
  if (entry.flag == LimitFlag::kAlert) exception.kinds.push_back(ExceptionKind::kAlertLimit);
  if (entry.flag == LimitFlag::kAction) exception.kinds.push_back(ExceptionKind::kActionLimit);
  if (entry.corrects) exception.kinds.push_back(ExceptionKind::kCorrection);
  if (entry.not_applicable) exception.kinds.push_back(ExceptionKind::kNotApplicable);
  if (entry.late) exception.kinds.push_back(ExceptionKind::kLateEntry);
  if (!exception.kinds.empty()) {
    exception.summary = EntrySummary(entry);
    batch.exceptions.Push(ExceptionToJson(exception));
  }
  if (!entry.deviation.empty()) {
    BatchException raised;
    raised.key = "deviation:" + entry.deviation;
    raised.kinds = {ExceptionKind::kDeviation};
    raised.step = entry.step;
    raised.summary = entry.deviation + ": " + EntrySummary(entry);
    batch.exceptions.Push(ExceptionToJson(raised));
  }
  decision.entries.push_back(entry.number);
  batch.entries.push_back(std::move(entry));
}

// The event recording `batch`'s entries, first among the decision's events.
void RecordEntries(const Decider& decider, Decision& decision, EntryBatch batch,
                   bool first = true) {
  ledger::NewEvent event = decider.Event(kEntriesRecorded);
  Json entries = Json::MakeArray();
  for (const EntryRecord& entry : batch.entries) entries.Push(EntryToJson(entry));
  event.payload.Set("step", batch.entries.front().step);
  event.payload.Set("entries", std::move(entries));
  if (!batch.awaiting.AsArray().empty()) event.payload.Set("awaiting", std::move(batch.awaiting));
  if (!batch.deviations.empty()) event.payload.Set("deviations", JsonStrings(batch.deviations));
  if (!batch.exceptions.AsArray().empty()) {
    event.payload.Set("exceptions", std::move(batch.exceptions));
  }
  if (first) {
    decision.events.insert(decision.events.begin(), std::move(event));
  } else {
    decision.events.push_back(std::move(event));
  }
}

// Computes the calculations of `step` whose inputs all have values in `overlay` (or the batch):
// those with no value yet, and with `recompute` set, those whose value would change (recorded as
// corrections of the value they replace). Each computed value joins `overlay`, so a later
// calculation may use it. A calculation that cannot be computed yet is left out; completion names
// why.
void ComputeCalculations(const Decider& decider, Decision& decision, EntryBatch& batch,
                         Overlay& overlay, const recipes::Step& step,
                         const std::optional<std::string>& recompute, bool late, bool in_progress) {
  std::map<std::string, ValueInForce>& values = overlay[step.id];
  for (const recipes::Calculation& calculation : step.calculations) {
    const auto existing = values.find(calculation.id);
    if (existing != values.end() && !recompute) continue;
    Result<recipes::Formula> formula = recipes::Formula::Parse(calculation.formula, "formula");
    ALIQUOT_CHECK(formula.has_value());  // Checked at approval.
    std::vector<int> from;
    bool complete = true;
    for (const std::string& name : formula->Names()) {
      int entry = 0;
      if (!ValueOfName(decider.Recipe(), decider.Batch(), overlay, step, name, &entry)) {
        complete = false;
        break;
      }
      if (entry > 0 && std::find(from.begin(), from.end(), entry) == from.end()) {
        from.push_back(entry);
      }
    }
    if (!complete) continue;
    const Result<units::Unit> unit = units::Unit::Parse(calculation.unit, "unit");
    ALIQUOT_CHECK(unit.has_value());
    const Result<double> result = recipes::EvaluateFormula(
        *formula,
        [&](std::string_view name) {
          return ValueOfName(decider.Recipe(), decider.Batch(), overlay, step, name, nullptr);
        },
        *unit, calculation.id);
    if (!result) continue;
    if (existing != values.end() && existing->second.in_unit &&
        std::abs(*existing->second.in_unit - *result) <= 1e-12 * std::abs(*result)) {
      continue;
    }
    EntryRecord entry;
    entry.number = decider.Batch().entries + 1 + static_cast<int>(batch.entries.size());
    entry.step = step.id;
    entry.subject = calculation.id;
    entry.calculation = true;
    entry.origin = Origin::kCalculated;
    entry.from = std::move(from);
    entry.value.number = *result;
    entry.value.unit = calculation.unit;
    const Result<JudgedValue> judged = Judge(LimitsOfCalculation(calculation), entry.value);
    ALIQUOT_CHECK(judged.has_value());
    entry.in_unit = judged->in_unit;
    entry.flag = judged->flag;
    entry.limit = judged->limit;
    if (existing != values.end()) {
      entry.corrects = existing->second.entry;
      entry.reason = *recompute;
    }
    entry.late = late;
    ValueInForce in_force;
    in_force.entry = entry.number;
    in_force.value = entry.value;
    in_force.in_unit = entry.in_unit;
    in_force.flag = entry.flag;
    values[calculation.id] = in_force;
    AddEntry(decider, decision, batch, std::move(entry), in_progress);
  }
}

// The parameters and calculations whose formulas (or the step's material quantities) use
// `subject` of `step`: those that may not be N/A.
std::vector<std::string> UsersOf(const recipes::Definition& recipe, const recipes::Step& step,
                                 std::string_view subject) {
  std::vector<std::string> users;
  for (const recipes::Step* other : recipe.Steps()) {
    for (const recipes::Calculation& calculation : other->calculations) {
      const Result<recipes::Formula> formula =
          recipes::Formula::Parse(calculation.formula, "formula");
      if (!formula) continue;
      for (const std::string& name : formula->Names()) {
        if (NameRefersTo(name, other->id, step.id, subject)) {
          users.push_back(other->id + "." + calculation.id);
          break;
        }
      }
    }
  }
  for (const recipes::MaterialLine& line : step.materials) {
    if (recipes::ParseQuantity(line.quantity, "quantity")) continue;
    const Result<recipes::Formula> formula = recipes::Formula::Parse(line.quantity, "quantity");
    if (!formula) continue;
    for (const std::string& name : formula->Names()) {
      if (NameRefersTo(name, step.id, step.id, subject)) {
        users.push_back("the quantity of " + line.material);
        break;
      }
    }
  }
  return users;
}

std::string ListOf(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::vector<std::string> ParameterIds(const recipes::Step& step) {
  std::vector<std::string> ids;
  for (const recipes::ParameterDefinition& parameter : step.parameters) ids.push_back(parameter.id);
  return ids;
}

// The parameter `id` of `step`, or kInvalidArgument (field "parameter") saying what it is instead.
Result<const recipes::ParameterDefinition*> EnterableParameter(const recipes::Step& step,
                                                               std::string_view id) {
  if (const recipes::ParameterDefinition* parameter = FindParameter(step, id)) return parameter;
  const std::string quoted = "'" + std::string(id.substr(0, 64)) + "'";
  if (FindCalculation(step, id) != nullptr) {
    return Unexpected(InvalidArgument(
        quoted + " is a calculation: it is computed from the values it uses, never entered",
        "parameter"));
  }
  return Unexpected(InvalidArgument("step " + step.id + " has no parameter " + quoted +
                                        "; its parameters are " + ListOf(ParameterIds(step)),
                                    "parameter"));
}

}  // namespace

// --- Creating a batch ----------------------------------------------------------------------

Result<Decision> CreateBatch(const Context& context, const BatchOrder& order,
                             const ControlRecipe& recipe,
                             const materials::LotState* starting_material) {
  ALIQUOT_CHECK(recipe.definition != nullptr && context.batch != nullptr);
  if (context.batch->exists) {
    return Unexpected(AlreadyExists("batch " + order.id + " exists", "id"));
  }
  ALIQUOT_RETURN_IF_ERROR(ValidateBatchId(order.id, "id"));
  const recipes::Definition& definition = *recipe.definition;
  // Chain of identity (T-02): every identifier the record declares, each in its format.
  for (const auto& [given_id, code] : order.identifiers) {
    const std::string& id = given_id;
    const bool declared =
        std::any_of(definition.identifiers.begin(), definition.identifiers.end(),
                    [&](const recipes::Identifier& identifier) { return identifier.id == id; });
    if (!declared) {
      return Unexpected(InvalidArgument(
          "'" + id.substr(0, 64) + "' is not an identifier of " + definition.master_batch_record,
          "identifiers." + id.substr(0, 64)));
    }
  }
  for (const recipes::Identifier& identifier : definition.identifiers) {
    const std::string field = "identifiers." + identifier.id;
    const auto given = order.identifiers.find(identifier.id);
    if (given == order.identifiers.end()) {
      return Unexpected(
          InvalidArgument(identifier.name + " (" + identifier.id + ") is required", field));
    }
    if (identifier.format == recipes::IdentifierFormat::kCoiCode) {
      ALIQUOT_RETURN_IF_ERROR(materials::CheckDonorCode(given->second, field));
    } else {
      ALIQUOT_RETURN_IF_ERROR(CheckLine(given->second, field, 1, 64));
    }
  }
  Json identifiers = Json::MakeObject();
  for (const auto& [id, code] : order.identifiers) identifiers.Set(id, code);
  // Batch inputs: each given, read and within its action limits (an order outside them is wrong).
  for (const auto& [given_id, value] : order.inputs) {
    const std::string& id = given_id;
    const bool declared =
        std::any_of(definition.batch_inputs.begin(), definition.batch_inputs.end(),
                    [&](const recipes::ParameterDefinition& input) { return input.id == id; });
    if (!declared) {
      return Unexpected(InvalidArgument(
          "'" + id.substr(0, 64) + "' is not a batch input of " + definition.master_batch_record,
          "inputs." + id.substr(0, 64)));
    }
  }
  Json inputs = Json::MakeObject();
  for (const recipes::ParameterDefinition& input : definition.batch_inputs) {
    const std::string field = "inputs." + input.id;
    const auto given = order.inputs.find(input.id);
    if (given == order.inputs.end()) {
      if (input.requirement == recipes::Requirement::kOptional) continue;
      return Unexpected(InvalidArgument(input.name + " (" + input.id + ") is required", field));
    }
    Result<EnteredValue> read =
        ReadEnteredValue(input, given->second.value, given->second.unit, context.now, field);
    // A unit refused names "unit"; an order has one per input, so the input is named instead.
    if (!read) return Unexpected(Error(read.error().Code(), read.error().Message(), field));
    const EnteredValue entered = std::move(*read);
    ALIQUOT_ASSIGN_OR_RETURN(const JudgedValue judged, Judge(LimitsOfParameter(input), entered));
    if (judged.flag == LimitFlag::kAction) {
      return Unexpected(InvalidArgument(input.name + " " + DescribeValue(entered) +
                                            " is outside its " + judged.limit + ": check the order",
                                        field));
    }
    Json value = Json::MakeObject();
    value.Set("entry", 0);
    value.Set("value", EnteredValueToJson(entered));
    if (judged.in_unit) value.Set("in_unit", *judged.in_unit);
    value.Set("flag", LimitFlagName(judged.flag));
    inputs.Set(input.id, std::move(value));
  }
  // The starting material: a lot the process uses, for this patient (T-01).
  if (order.starting_material.empty()) {
    return Unexpected(
        InvalidArgument("the starting material's lot is required", "starting_material"));
  }
  if (starting_material == nullptr || !starting_material->exists) {
    return Unexpected(
        NotFound("no lot " + order.starting_material.substr(0, 64), "starting_material"));
  }
  bool used = false;
  for (const recipes::Step* step : definition.Steps()) {
    for (const recipes::MaterialLine& line : step->materials) {
      used = used || line.material == starting_material->material;
    }
  }
  if (!used) {
    return Unexpected(InvalidArgument(starting_material->id + " is " + starting_material->material +
                                          ", which " + definition.master_batch_record +
                                          " never uses",
                                      "starting_material"));
  }
  if (starting_material->Status() == materials::LotStatus::kRejected) {
    return Unexpected(
        FailedPrecondition(starting_material->id + " was rejected", "starting_material"));
  }
  std::optional<std::string> lot_code;
  if (starting_material->collection) lot_code = starting_material->collection->donor_code;
  if (starting_material->patient_code) lot_code = starting_material->patient_code;
  for (const recipes::Identifier& identifier : definition.identifiers) {
    if (identifier.format != recipes::IdentifierFormat::kCoiCode || !lot_code) continue;
    const std::string& code = order.identifiers.at(identifier.id);
    if (*lot_code != code) {
      return Unexpected(FailedPrecondition(
          starting_material->id + " is from " + *lot_code + ", but the batch is for " + code +
              " (" + identifier.id + "): the chain of identity does not hold",
          "starting_material"));
    }
  }
  Decision decision;
  ledger::NewEvent event = BatchEvent(context, order.id, kBatchCreated);
  event.payload.Set("product", definition.product);
  event.payload.Set("master_batch_record", definition.master_batch_record);
  event.payload.Set("version", recipe.version);
  event.payload.Set("definition_sha256", recipe.definition_sha256);
  event.payload.Set("identifiers", std::move(identifiers));
  event.payload.Set("inputs", std::move(inputs));
  event.payload.Set("starting_material", starting_material->id);
  decision.events.push_back(std::move(event));
  return decision;
}

// --- Steps ---------------------------------------------------------------------------------

Result<Decision> StartStep(const Context& context, std::string_view step_id,
                           const training::Qualification& training,
                           const std::vector<EquipmentScan>& equipment) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "start_step";
  for (std::size_t i = 0; i < equipment.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (equipment[i].state->id == equipment[j].state->id) {
        return Unexpected(
            InvalidArgument(equipment[i].state->id + " is listed twice", "equipment"));
      }
    }
  }
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  const BatchState& batch = decider.Batch();
  if (const StepExecution* execution = batch.Step(step->id);
      execution != nullptr && execution->status != StepStatus::kNotStarted) {
    return decider.Refuse(kAction, step->id, RefusalReason::kStepState,
                          "step " + step->id + " was started at " +
                              execution->started_at->ToRfc3339() + " by " + execution->started_by,
                          "step");
  }
  // P11-06: the permitted order of steps.
  for (const std::string& predecessor : Predecessors(decider.Recipe(), *step)) {
    const StepExecution* before = batch.Step(predecessor);
    if (before == nullptr || before->status != StepStatus::kDone) {
      const std::string status(
          StepStatusName(before == nullptr ? StepStatus::kNotStarted : before->status));
      std::string message = "step " + step->id + " cannot start before " + predecessor;
      message += " is done (it is " + status + ")";
      return decider.Refuse(kAction, step->id, RefusalReason::kSequence, std::move(message),
                            "step");
    }
  }
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  TimeCheck times = CheckTimes(decider, kAction, *step, recipes::StepPoint::kStart);
  if (times.refused) return std::move(*times.refused);
  for (const EquipmentScan& scan : equipment) {
    if (auto refused = CheckEquipment(decider, kAction, *step, scan)) return std::move(*refused);
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kStepStarted);
  event.payload.Set("step", step->id);
  Json scanned = Json::MakeArray();
  for (const EquipmentScan& scan : equipment) scanned.Push(EquipmentJson(scan));
  event.payload.Set("equipment", std::move(scanned));
  SetOverridesUsed(event, times.overrides_used);
  Json clocks = ClocksStarted(decider, *step, recipes::StepPoint::kStart);
  if (!clocks.AsObject().empty()) event.payload.Set("expiries", std::move(clocks));
  decision.events.push_back(std::move(event));
  for (const EquipmentScan& scan : equipment) {
    decision.events.push_back(StartEquipmentUse(decider, *step, scan));
  }
  // A calculation of earlier steps' values and batch inputs alone (the dose, from the harvest
  // count and the body weight) is known once the step starts: nothing entered on it would trigger
  // it later.
  EntryBatch computed;
  Overlay overlay;
  overlay[step->id];
  ComputeCalculations(decider, decision, computed, overlay, *step, std::nullopt, false, true);
  if (!computed.entries.empty()) RecordEntries(decider, decision, std::move(computed), false);
  return decision;
}

Result<Decision> AddEquipment(const Context& context, std::string_view step_id,
                              const training::Qualification& training, const EquipmentScan& scan) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "add_equipment";
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, false)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  if (auto refused = CheckEquipment(decider, kAction, *step, scan)) return std::move(*refused);
  Decision decision;
  ledger::NewEvent event = decider.Event(kEquipmentAdded);
  event.payload.Set("step", step->id);
  event.payload.Set("equipment", EquipmentJson(scan));
  decision.events.push_back(std::move(event));
  decision.events.push_back(StartEquipmentUse(decider, *step, scan));
  return decision;
}

Result<Decision> ScanIdentity(const Context& context, std::string_view step_id,
                              const training::Qualification& training, std::string_view identifier,
                              std::string_view scanned) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "scan_identity";
  if (std::find(step->scan_identity.begin(), step->scan_identity.end(), identifier) ==
      step->scan_identity.end()) {
    return Unexpected(InvalidArgument(
        "step " + step->id + " does not scan '" + std::string(identifier.substr(0, 64)) + "'" +
            (step->scan_identity.empty() ? "" : "; it scans " + ListOf(step->scan_identity)),
        "identifier"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(scanned, "scanned", 1, 128));
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, false)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  const std::string& expected = decider.Batch().identifiers.at(std::string(identifier));
  if (scanned != expected) {
    // 21 CFR 1271.290, T-01: a label that is not this batch's stops the work and is investigated.
    quality::DeviationInput deviation;
    deviation.source = quality::DeviationSource::kIdentityMismatch;
    deviation.title =
        "Chain-of-identity label mismatch in batch " + decider.Batch().id + ", step " + step->id;
    deviation.description = "Scanned '" + std::string(scanned) + "' for " +
                            std::string(identifier) + "; the batch's is " + expected + ".";
    deviation.subject = std::string(identifier);
    deviation.value = std::string(scanned);
    deviation.limit = "expected " + expected;
    return decider.RefuseWithDeviation(
        kAction, step->id, RefusalReason::kIdentityMismatch,
        "the label scanned for " + std::string(identifier) + " reads " + std::string(scanned) +
            ", but this batch is " + expected + ": stop, keep the material apart and call QA",
        "scanned", std::move(deviation));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kIdentityScanned);
  event.payload.Set("step", step->id);
  event.payload.Set("identifier", std::string(identifier));
  event.payload.Set("scanned", std::string(scanned));
  decision.events.push_back(std::move(event));
  return decision;
}

// --- Values ----------------------------------------------------------------------------------

Result<Decision> RecordValue(const Context& context, std::string_view step_id,
                             const training::Qualification& training, std::string_view parameter_id,
                             const InputValue& value,
                             const std::optional<InstrumentSource>& instrument) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "record_value";
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::ParameterDefinition* parameter,
                           EnterableParameter(*step, parameter_id));
  ALIQUOT_ASSIGN_OR_RETURN(
      const EnteredValue entered,
      ReadEnteredValue(*parameter, value.value, value.unit, context.now, "value"));
  if (instrument) {
    // AL-02: an instrument's value is the original, so it must be the instrument the step uses.
    if (!parameter->source) {
      return Unexpected(InvalidArgument(
          "'" + parameter->id + "' is entered by hand: no instrument sends it", "instrument"));
    }
    if (instrument->tag != parameter->source->tag) {
      return Unexpected(InvalidArgument("'" + parameter->id + "' comes from tag '" +
                                            parameter->source->tag + "', not '" +
                                            instrument->tag.substr(0, 64) + "'",
                                        "instrument"));
    }
  }
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, true)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  const StepExecution& execution = *decider.Batch().Step(step->id);
  if (instrument) {
    const bool in_use = std::any_of(
        execution.equipment.begin(), execution.equipment.end(), [&](const EquipmentInUse& use) {
          return use.id == instrument->equipment &&
                 use.equipment_class == parameter->source->equipment_class;
        });
    if (!in_use) {
      return Unexpected(InvalidArgument(
          instrument->equipment.substr(0, 64) + " is not a " + parameter->source->equipment_class +
              " in use by step " + step->id + ": scan it on the step first",
          "instrument"));
    }
  }
  if (const auto existing = execution.values.find(parameter->id);
      existing != execution.values.end()) {
    return Unexpected(FailedPrecondition(
        "'" + parameter->id + "' has entry " + std::to_string(existing->second.entry) +
            " already: correct that entry, with a reason, to change it",
        "parameter"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const JudgedValue judged, Judge(LimitsOfParameter(*parameter), entered));
  EntryRecord entry;
  entry.number = decider.Batch().entries + 1;
  entry.step = step->id;
  entry.subject = parameter->id;
  entry.value = entered;
  entry.in_unit = judged.in_unit;
  entry.flag = judged.flag;
  entry.limit = judged.limit;
  if (instrument) {
    entry.origin = Origin::kInstrument;
    entry.instrument = instrument->equipment;
    entry.instrument_tag = instrument->tag;
  }
  Decision decision;
  EntryBatch batch;
  Overlay overlay;
  overlay[step->id] = execution.values;
  ValueInForce in_force;
  in_force.entry = entry.number;
  in_force.value = entry.value;
  in_force.in_unit = entry.in_unit;
  in_force.flag = entry.flag;
  overlay[step->id][parameter->id] = in_force;
  AddEntry(decider, decision, batch, std::move(entry), true);
  ComputeCalculations(decider, decision, batch, overlay, *step, std::nullopt, false, true);
  RecordEntries(decider, decision, std::move(batch));
  return decision;
}

Result<Decision> CorrectEntry(const Context& context, const EntryRecord& original,
                              const training::Qualification& training, const InputValue& value,
                              std::string_view reason) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, original.step));
  constexpr std::string_view kAction = "correct_entry";
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 4000));
  if (original.calculation) {
    return Unexpected(InvalidArgument("entry " + std::to_string(original.number) +
                                          " is calculated: correct the entries it is computed "
                                          "from, and it is recalculated",
                                      "entry"));
  }
  if (original.not_applicable) {
    return Unexpected(InvalidArgument("entry " + std::to_string(original.number) + " marks '" +
                                          original.subject +
                                          "' not applicable; it has no value to correct",
                                      "entry"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::ParameterDefinition* parameter,
                           EnterableParameter(*step, original.subject));
  ALIQUOT_ASSIGN_OR_RETURN(
      const EnteredValue entered,
      ReadEnteredValue(*parameter, value.value, value.unit, context.now, "value"));
  const BatchState& batch = decider.Batch();
  // Corrections stay open until the record is closed by the disposition: review finds
  // transcription errors too. They are refused on hold like everything else.
  if (batch.status == BatchStatus::kReleased || batch.status == BatchStatus::kRejected) {
    return decider.RefuseClosed(kAction, step->id);
  }
  if (batch.status == BatchStatus::kOnHold) {
    return decider.Refuse(kAction, step->id, RefusalReason::kOnHold,
                          "batch " + batch.id + " is on hold (" + batch.hold_reason +
                              "): nothing is recorded until a supervisor resumes it",
                          "batch");
  }
  const StepExecution* execution = batch.Step(step->id);
  const ValueInForce* in_force = nullptr;
  if (execution != nullptr) {
    const auto found = execution->values.find(original.subject);
    if (found != execution->values.end()) in_force = &found->second;
  }
  if (in_force == nullptr || in_force->entry != original.number) {
    return Unexpected(InvalidArgument(
        "entry " + std::to_string(original.number) + " is not the value in force of '" +
            original.subject + "'" +
            (in_force != nullptr ? ": it was corrected by entry " +
                                       std::to_string(in_force->entry) + "; correct that one"
                                 : ""),
        "entry"));
  }
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  ALIQUOT_ASSIGN_OR_RETURN(const JudgedValue judged, Judge(LimitsOfParameter(*parameter), entered));
  const bool in_progress = execution->status == StepStatus::kInProgress;
  EntryRecord entry;
  entry.number = batch.entries + 1;
  entry.step = step->id;
  entry.subject = original.subject;
  entry.value = entered;
  entry.in_unit = judged.in_unit;
  entry.flag = judged.flag;
  entry.limit = judged.limit;
  // P11-05: the correction is a new entry; the original stays and is shown beside it.
  entry.corrects = original.number;
  entry.reason = std::string(reason);
  entry.late = !in_progress;
  Decision decision;
  EntryBatch entries;
  Overlay overlay;
  for (const auto& [id, started] : batch.steps) overlay[id] = started.values;
  ValueInForce corrected;
  corrected.entry = entry.number;
  corrected.value = entry.value;
  corrected.in_unit = entry.in_unit;
  corrected.flag = entry.flag;
  overlay[step->id][original.subject] = corrected;
  const int number = entry.number;
  AddEntry(decider, decision, entries, std::move(entry), in_progress);
  // Every calculation that used the old value, in this step or a later one, is computed again.
  const std::string recalculated = "recalculated after entry " + std::to_string(number) +
                                   " corrected entry " + std::to_string(original.number);
  for (const recipes::Step* other : decider.Recipe().Steps()) {
    const StepExecution* started = batch.Step(other->id);
    if (started == nullptr || other->calculations.empty()) continue;
    ComputeCalculations(decider, decision, entries, overlay, *other, recalculated,
                        started->status != StepStatus::kInProgress,
                        started->status == StepStatus::kInProgress);
  }
  RecordEntries(decider, decision, std::move(entries));
  return decision;
}

Result<Decision> MarkNotApplicable(const Context& context, std::string_view step_id,
                                   const training::Qualification& training,
                                   std::string_view parameter_id, std::string_view justification) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "mark_not_applicable";
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::ParameterDefinition* parameter,
                           EnterableParameter(*step, parameter_id));
  // DI-01: nothing is left blank without a justification.
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(justification, "justification", 1, 4000));
  const std::vector<std::string> users = UsersOf(decider.Recipe(), *step, parameter->id);
  if (!users.empty()) {
    return Unexpected(InvalidArgument(
        "'" + parameter->id + "' cannot be N/A: " + ListOf(users) + " is computed from it",
        "parameter"));
  }
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, true)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  const StepExecution& execution = *decider.Batch().Step(step->id);
  if (const auto existing = execution.values.find(parameter->id);
      existing != execution.values.end()) {
    return Unexpected(FailedPrecondition(
        "'" + parameter->id + "' has entry " + std::to_string(existing->second.entry) + " already",
        "parameter"));
  }
  EntryRecord entry;
  entry.number = decider.Batch().entries + 1;
  entry.step = step->id;
  entry.subject = parameter->id;
  entry.not_applicable = true;
  entry.reason = std::string(justification);
  Decision decision;
  EntryBatch batch;
  AddEntry(decider, decision, batch, std::move(entry), true);
  RecordEntries(decider, decision, std::move(batch));
  return decision;
}

namespace {

// What a line of the bill of materials asks now, in the base unit of its dimension.
struct LineAmount {
  double expected = 0;
  double tolerance = 0;
  units::Unit unit;       // The material's unit, for messages.
  std::string described;  // "1000 mL +- 5 %"
};

std::string InUnit(double base, const units::Unit& unit) {
  return recipes::FormatQuantity({base / unit.Factor(), unit});
}

// The amount `line` asks of `step` now: a quantity, or a formula of the step's values evaluated
// now. kFailedPrecondition (field "quantity") when a value it needs is not entered yet.
Result<LineAmount> AmountOf(const Decider& decider, const recipes::Step& step,
                            const recipes::MaterialLine& line, const std::string& material_unit) {
  LineAmount amount;
  const Result<units::Unit> unit = units::Unit::Parse(material_unit, "unit");
  ALIQUOT_CHECK(unit.has_value());
  amount.unit = *unit;
  if (const Result<recipes::Quantity> quantity =
          recipes::ParseQuantity(line.quantity, "quantity")) {
    amount.expected = quantity->value * quantity->unit.Factor();
  } else {
    const Result<recipes::Formula> formula = recipes::Formula::Parse(line.quantity, "quantity");
    ALIQUOT_CHECK(formula.has_value());  // Checked at approval.
    const Overlay none;
    const Result<double> value = recipes::EvaluateFormula(
        *formula,
        [&](std::string_view name) {
          return ValueOfName(decider.Recipe(), decider.Batch(), none, step, name, nullptr);
        },
        *unit, line.material);
    if (!value) {
      return Unexpected(FailedPrecondition("the amount of " + line.material + " (" + line.quantity +
                                               ") is not known yet: " + value.error().Message(),
                                           "quantity"));
    }
    amount.expected = *value * unit->Factor();
  }
  if (!line.tolerance.empty()) {
    const Result<recipes::Quantity> tolerance = recipes::ParseQuantity(line.tolerance, "tolerance");
    ALIQUOT_CHECK(tolerance.has_value());
    const bool relative = tolerance->unit.Text() == "%";
    amount.tolerance = relative ? std::abs(amount.expected) * tolerance->value / 100.0
                                : tolerance->value * tolerance->unit.Factor();
  }
  amount.described = InUnit(amount.expected, amount.unit);
  if (!line.tolerance.empty()) amount.described += " +- " + line.tolerance;
  return amount;
}

// Room for rounding between units: a millionth of the amount.
bool Above(double value, double limit) { return value > limit + 1e-9 * std::abs(limit); }
bool Below(double value, double limit) { return value < limit - 1e-9 * std::abs(limit); }

// Whether every step is done once `step` is (with `step_done` saying whether it now is).
bool AllStepsDone(const Decider& decider, std::string_view step, bool step_done) {
  for (const recipes::Step* each : decider.Recipe().Steps()) {
    if (each->id == step) {
      if (!step_done) return false;
      continue;
    }
    const StepExecution* execution = decider.Batch().Step(each->id);
    if (execution == nullptr || execution->status != StepStatus::kDone) return false;
  }
  return true;
}

}  // namespace

// --- Materials and samples -------------------------------------------------------------------

Result<Decision> ConsumeMaterial(const Context& context, std::string_view step_id,
                                 const training::Qualification& training, const LotScan& scan) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "consume_material";
  ALIQUOT_CHECK(scan.lot != nullptr && scan.lot->exists && scan.material != nullptr);
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, true)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  const materials::LotState& lot = *scan.lot;
  const recipes::MaterialLine* line = nullptr;
  std::vector<std::string> used;
  for (const recipes::MaterialLine& each : step->materials) {
    used.push_back(each.material);
    if (each.material == lot.material) line = &each;
  }
  if (line == nullptr) {
    return decider.Refuse(kAction, step->id, RefusalReason::kMaterial,
                          lot.id + " is " + scan.material->name + " (" + lot.material + "); step " +
                              step->id +
                              (used.empty() ? " uses no material" : " uses " + ListOf(used)),
                          "lot");
  }
  // T-01: a lot that carries a donor or patient code belongs to that person only.
  std::optional<std::string> lot_code;
  if (lot.collection) lot_code = lot.collection->donor_code;
  if (lot.patient_code) lot_code = lot.patient_code;
  const std::optional<std::string> batch_code = CoiCode(decider.Recipe(), decider.Batch());
  if (lot_code && batch_code && *lot_code != *batch_code) {
    quality::DeviationInput deviation;
    deviation.source = quality::DeviationSource::kIdentityMismatch;
    deviation.title = "Chain-of-identity mismatch: lot " + lot.id + " scanned in batch " +
                      decider.Batch().id + ", step " + step->id;
    deviation.description =
        lot.id + " is from " + *lot_code + "; the batch is for " + *batch_code + ".";
    deviation.subject = lot.id;
    deviation.value = *lot_code;
    deviation.limit = "expected " + *batch_code;
    return decider.RefuseWithDeviation(kAction, step->id, RefusalReason::kIdentityMismatch,
                                       lot.id + " is from " + *lot_code + ", but this batch is " +
                                           *batch_code +
                                           ": stop, keep the material apart and call QA",
                                       "lot", std::move(deviation));
  }
  materials::Destination into;
  into.kind = materials::Destination::Kind::kBatch;
  into.id = decider.Batch().id;
  if (!scan.check.Allowed()) {
    // G-08: a lot that may not be used is refused at the point of use, on the lot's record too.
    Decision refused =
        decider.Refuse(kAction, step->id, RefusalReason::kMaterial, scan.check.message, "lot");
    refused.events.push_back(
        materials::UseRefused(scan.check, into, decider.Actor(), decider.Terminal()));
    return refused;
  }
  ALIQUOT_ASSIGN_OR_RETURN(const LineAmount amount,
                           AmountOf(decider, *step, *line, scan.material->unit));
  const StepExecution& execution = *decider.Batch().Step(step->id);
  const auto consumed = execution.consumed.find(lot.material);
  const double before = consumed == execution.consumed.end() ? 0.0 : consumed->second;
  const double base = scan.quantity * scan.unit.Factor();
  const double after = before + base;
  if (Above(after, amount.expected + amount.tolerance)) {
    return decider.Refuse(kAction, step->id, RefusalReason::kMaterial,
                          recipes::FormatQuantity({scan.quantity, scan.unit}) + " of " + lot.id +
                              " brings " + lot.material + " to " + InUnit(after, amount.unit) +
                              "; step " + step->id + " uses " + amount.described + " (" +
                              InUnit(before, amount.unit) + " consumed so far)",
                          "quantity");
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kMaterialConsumed);
  event.payload.Set("step", step->id);
  event.payload.Set("lot", lot.id);
  if (scan.check.container) event.payload.Set("container", *scan.check.container);
  event.payload.Set("material", lot.material);
  event.payload.Set("quantity", scan.quantity);
  event.payload.Set("unit", scan.unit.Text());
  event.payload.Set("base_amount", base);
  event.payload.Set("expected", amount.described);
  decision.events.push_back(std::move(event));
  // G-08, T-01: the lot's record says where it went.
  decision.events.push_back(
      materials::Consume(lot, scan.check, into, decider.Actor(), decider.Terminal()));
  return decision;
}

Result<Decision> TakeSample(const Context& context, std::string_view step_id,
                            const training::Qualification& training, std::string_view sample,
                            std::string_view label) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "take_sample";
  const bool defined =
      std::any_of(step->samples.begin(), step->samples.end(),
                  [&](const recipes::SamplingPoint& point) { return point.id == sample; });
  if (!defined) {
    std::vector<std::string> ids;
    for (const recipes::SamplingPoint& point : step->samples) ids.push_back(point.id);
    return Unexpected(InvalidArgument(
        "step " + step->id + " has no sampling point '" + std::string(sample.substr(0, 64)) + "'" +
            (ids.empty() ? "" : "; its sampling points are " + ListOf(ids)),
        "sample"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(label, "label", 1, 128));
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, true)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  if (decider.Batch().Step(step->id)->samples.contains(std::string(sample))) {
    return Unexpected(
        FailedPrecondition("sample " + std::string(sample) + " was taken already", "sample"));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kSampleTaken);
  event.payload.Set("step", step->id);
  event.payload.Set("sample", std::string(sample));
  event.payload.Set("label", std::string(label));
  decision.events.push_back(std::move(event));
  return decision;
}

namespace {

// What `step` still asks before it may be completed, in words for the operator.
std::vector<std::string> Missing(const Decider& decider, const recipes::Step& step,
                                 const StepExecution& execution,
                                 const std::map<std::string, std::string>& material_units) {
  std::vector<std::string> missing;
  for (const recipes::ParameterDefinition& parameter : step.parameters) {
    if (parameter.requirement == recipes::Requirement::kRequired &&
        !execution.values.contains(parameter.id)) {
      missing.push_back("enter " + parameter.id);
    }
  }
  for (const recipes::Calculation& calculation : step.calculations) {
    if (execution.values.contains(calculation.id)) continue;
    std::string why = "calculation " + calculation.id + " is not computed";
    const Result<recipes::Formula> formula =
        recipes::Formula::Parse(calculation.formula, "formula");
    const Result<units::Unit> unit = units::Unit::Parse(calculation.unit, "unit");
    if (formula && unit) {
      const Overlay none;
      const Result<double> value = recipes::EvaluateFormula(
          *formula,
          [&](std::string_view name) {
            return ValueOfName(decider.Recipe(), decider.Batch(), none, step, name, nullptr);
          },
          *unit, calculation.id);
      if (!value) why += " (" + value.error().Message() + ")";
    }
    missing.push_back(why);
  }
  for (const std::string& equipment_class : step.equipment) {
    const bool scanned = std::any_of(
        execution.equipment.begin(), execution.equipment.end(),
        [&](const EquipmentInUse& use) { return use.equipment_class == equipment_class; });
    if (!scanned) missing.push_back("scan a " + equipment_class);
  }
  for (const recipes::MaterialLine& line : step.materials) {
    const auto consumed = execution.consumed.find(line.material);
    const double total = consumed == execution.consumed.end() ? 0.0 : consumed->second;
    const auto unit = material_units.find(line.material);
    ALIQUOT_CHECK(unit != material_units.end());  // The caller gives every line's unit.
    const Result<LineAmount> amount = AmountOf(decider, step, line, unit->second);
    if (!amount) {
      missing.push_back("consume " + line.material + ": " + amount.error().Message());
    } else if (Below(total, amount->expected - amount->tolerance)) {
      missing.push_back("consume " + line.material + " (" + InUnit(total, amount->unit) + " of " +
                        amount->described + ")");
    }
  }
  for (const recipes::SamplingPoint& sample : step.samples) {
    if (!execution.samples.contains(sample.id)) missing.push_back("take sample " + sample.id);
  }
  for (const std::string& identifier : step.scan_identity) {
    if (!execution.identities.contains(identifier)) {
      missing.push_back("scan the " + identifier + " label");
    }
  }
  return missing;
}

}  // namespace

Result<Decision> CompleteStep(const Context& context, std::string_view step_id,
                              const training::Qualification& training,
                              const std::map<std::string, std::string>& material_units,
                              const std::vector<const equipment::EquipmentState*>& in_use) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  constexpr std::string_view kAction = "complete_step";
  if (auto refused = CheckExecutable(decider, kAction, step->id)) return std::move(*refused);
  if (auto refused = CheckInProgress(decider, kAction, *step, true)) return std::move(*refused);
  if (auto refused = CheckTraining(decider, kAction, *step, training)) return std::move(*refused);
  const BatchState& batch = decider.Batch();
  const StepExecution& execution = *batch.Step(step->id);
  const std::vector<std::string> missing = Missing(decider, *step, execution, material_units);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& item : missing) list += (list.empty() ? "" : "; ") + item;
    return decider.Refuse(kAction, step->id, RefusalReason::kIncomplete,
                          "step " + step->id + " is not complete: " + list, "step");
  }
  const std::int64_t elapsed = context.now.Micros() - execution.started_at->Micros();
  std::vector<int> overrides_used;
  if (!step->min_duration.empty() && elapsed < TimeQuantityMicros(step->min_duration)) {
    const std::string rule = "min_duration";
    if (const Override* granted = decider.AvailableOverride(step->id, rule)) {
      overrides_used.push_back(granted->refusal);
    } else {
      return decider.Refuse(
          kAction, step->id, RefusalReason::kDuration,
          "step " + step->id + " lasts at least " + step->min_duration + "; it started at " +
              execution.started_at->ToRfc3339() + ", " + DescribeDuration(elapsed) +
              " ago. A supervisor may let it proceed by signing this refusal (a deviation is "
              "raised)",
          "step", rule, true);
    }
  }
  TimeCheck times = CheckTimes(decider, kAction, *step, recipes::StepPoint::kEnd);
  if (times.refused) return std::move(*times.refused);
  overrides_used.insert(overrides_used.end(), times.overrides_used.begin(),
                        times.overrides_used.end());
  Decision decision;
  ledger::NewEvent event = decider.Event(kStepCompleted);
  event.payload.Set("step", step->id);
  const bool verify = step->verification == recipes::Verification::kSecondPerson;
  event.payload.Set("awaiting_verification", verify);
  SetOverridesUsed(event, overrides_used);
  Json clocks = ClocksStarted(decider, *step, recipes::StepPoint::kEnd);
  if (!clocks.AsObject().empty()) event.payload.Set("expiries", std::move(clocks));
  if (!step->max_duration.empty() && elapsed > TimeQuantityMicros(step->max_duration)) {
    // G-05: a step that ran past its maximum is a departure from the procedure: recorded and
    // investigated, never refused (the time is spent).
    quality::DeviationInput input;
    input.source = quality::DeviationSource::kStepDuration;
    input.title = "Step " + step->id + " ran past its maximum duration in batch " + batch.id;
    input.description = "Started " + execution.started_at->ToRfc3339() + ", completed " +
                        context.now.ToRfc3339() + " (" + DescribeDuration(elapsed) +
                        "); the maximum is " + step->max_duration + ".";
    input.step = step->id;
    input.subject = "max_duration";
    input.value = DescribeDuration(elapsed);
    input.limit = "max " + step->max_duration;
    const std::string id = decider.RaiseDeviation(decision, std::move(input));
    event.payload.Set("deviations", JsonStrings({id}));
    Json exceptions = Json::MakeArray();
    BatchException exception;
    exception.key = "step:" + step->id;
    exception.kinds = {ExceptionKind::kDurationExceeded};
    exception.step = step->id;
    exception.summary = "step " + step->id + " took " + DescribeDuration(elapsed) +
                        ", more than its maximum " + step->max_duration;
    exceptions.Push(ExceptionToJson(exception));
    BatchException raised;
    raised.key = "deviation:" + id;
    raised.kinds = {ExceptionKind::kDeviation};
    raised.step = step->id;
    raised.summary = id + ": " + exception.summary;
    exceptions.Push(ExceptionToJson(raised));
    event.payload.Set("exceptions", std::move(exceptions));
  }
  decision.events.insert(decision.events.begin(), std::move(event));
  // G-07: the uses end in the logbooks, unless another step of the batch still uses the equipment.
  for (const equipment::EquipmentState* state : in_use) {
    const bool this_step =
        std::any_of(execution.equipment.begin(), execution.equipment.end(),
                    [&](const EquipmentInUse& use) { return use.id == state->id; });
    if (!this_step) continue;
    bool elsewhere = false;
    for (const auto& [other_id, other] : batch.steps) {
      if (other_id == step->id || other.status != StepStatus::kInProgress) continue;
      elsewhere =
          elsewhere || std::any_of(other.equipment.begin(), other.equipment.end(),
                                   [&](const EquipmentInUse& use) { return use.id == state->id; });
    }
    if (elsewhere) continue;
    Result<ledger::NewEvent> ended = equipment::EndUse(
        *state, batch.id, "step " + step->id + " complete", decider.Actor(), decider.Terminal());
    if (ended) decision.events.push_back(std::move(*ended));
  }
  if (!verify && AllStepsDone(decider, step->id, true)) {
    decision.events.push_back(decider.Event(kBatchCompleted));
  }
  return decision;
}

Result<Decision> VerifyStep(const Context& context, std::string_view step_id) {
  const Decider decider(context);
  ALIQUOT_ASSIGN_OR_RETURN(const recipes::Step* step, RecipeStep(decider, step_id));
  const BatchState& batch = decider.Batch();
  const StepExecution* execution = batch.Step(step->id);
  const StepStatus status = execution == nullptr ? StepStatus::kNotStarted : execution->status;
  if (status != StepStatus::kAwaitingVerification) {
    return Unexpected(FailedPrecondition("step " + step->id +
                                             " does not await verification (it is " +
                                             std::string(StepStatusName(status)) + ")",
                                         "step"));
  }
  if (batch.status == BatchStatus::kOnHold) {
    return Unexpected(FailedPrecondition("batch " + batch.id + " is on hold", "batch"));
  }
  // A11-01: the second check of critical entries is another person's.
  if (execution->performers.contains(context.actor.id)) {
    return Unexpected(PermissionDenied(
        "you performed part of step " + step->id + ": a second person verifies it (A11-01)",
        "signer"));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kStepVerified);
  event.payload.Set("step", step->id);
  decision.events.push_back(std::move(event));
  if (AllStepsDone(decider, step->id, true)) {
    decision.events.push_back(decider.Event(kBatchCompleted));
  }
  return decision;
}

std::optional<std::string> CoiCode(const recipes::Definition& recipe, const BatchState& batch) {
  for (const recipes::Identifier& identifier : recipe.identifiers) {
    if (identifier.format != recipes::IdentifierFormat::kCoiCode) continue;
    const auto found = batch.identifiers.find(identifier.id);
    if (found != batch.identifiers.end()) return found->second;
  }
  return std::nullopt;
}

Status CheckLotMadeBy(const recipes::Definition& recipe, const BatchState& batch,
                      const std::optional<std::string>& patient_code) {
  if (batch.disposition) {
    // G-04: the batch record QA released or rejected is closed; its product units went with it.
    return Unexpected(FailedPrecondition(
        "batch " + batch.id + " is " + std::string(BatchStatusName(batch.status)) +
            ": its record is closed; a lot it made is recorded before its disposition",
        "batch"));
  }
  const std::optional<std::string> patient = CoiCode(recipe, batch);
  if (patient_code && patient && *patient_code != *patient) {
    // T-02: the code on the label relates the unit to its donor and every record of the batch.
    return Unexpected(FailedPrecondition("the label reads " + *patient_code + ", but batch " +
                                             batch.id + " is for " + *patient +
                                             ": the chain of identity does not hold",
                                         "patient_code"));
  }
  return {};
}

ledger::NewEvent BatchEvent(const Context& context, std::string_view batch_id,
                            std::string_view type) {
  ledger::NewEvent event =
      ledger::NewEvent::On(BatchStream(batch_id), type, context.actor, context.terminal);
  if (!context.request.empty()) {
    event.payload.Set(std::string(kRequestMember), context.request);
    event.payload.Set(std::string(kRequestShaMember), context.request_sha256);
  }
  return event;
}

Result<Decision> AcknowledgeExcursion(const Context& context, std::string_view deviation) {
  const Decider decider(context);
  const BatchState& batch = decider.Batch();
  const StepExecution* awaiting = nullptr;
  std::string step_id;
  for (const auto& [id, execution] : batch.steps) {
    if (std::find(execution.awaiting_acknowledgement.begin(),
                  execution.awaiting_acknowledgement.end(),
                  deviation) != execution.awaiting_acknowledgement.end()) {
      awaiting = &execution;
      step_id = id;
      break;
    }
  }
  if (awaiting == nullptr) {
    return Unexpected(FailedPrecondition(
        "no step of " + batch.id + " awaits an acknowledgement of " + std::string(deviation),
        "record_id"));
  }
  if (awaiting->performers.contains(context.actor.id)) {
    return Unexpected(PermissionDenied(
        "you performed part of step " + step_id + ": another person acknowledges its excursions",
        "signer"));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kExcursionAcknowledged);
  event.payload.Set("step", step_id);
  event.payload.Set("deviation", std::string(deviation));
  decision.events.push_back(std::move(event));
  return decision;
}

Result<Decision> GrantOverride(const Context& context, const Refusal& refusal,
                               std::string_view justification) {
  const Decider decider(context);
  const BatchState& batch = decider.Batch();
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(justification, "comment", 1, 4000));
  const std::string what = "refusal " + std::to_string(refusal.number);
  if (!refusal.overridable) {
    return Unexpected(FailedPrecondition(
        what + " (" + std::string(RefusalReasonName(refusal.reason)) +
            ") cannot be overridden: only hold times, expiry and minimum durations can",
        "refusal"));
  }
  for (const Override& granted : batch.overrides) {
    if (granted.refusal == refusal.number) {
      return Unexpected(FailedPrecondition(what + " was overridden already", "refusal"));
    }
  }
  if (batch.status != BatchStatus::kPlanned && batch.status != BatchStatus::kInProgress) {
    return Unexpected(FailedPrecondition(
        "batch " + batch.id + " is " + std::string(BatchStatusName(batch.status)), "batch"));
  }
  if (refusal.by == context.actor.id) {
    return Unexpected(PermissionDenied(
        "you made the refused attempt: another person (a supervisor) may override it", "signer"));
  }
  quality::DeviationInput input;
  const bool time = refusal.rule.rfind("time_rule:", 0) == 0;
  const bool expiry = refusal.rule.rfind("expiry:", 0) == 0;
  input.source = time     ? quality::DeviationSource::kHoldTime
                 : expiry ? quality::DeviationSource::kExpiry
                          : quality::DeviationSource::kOverride;
  input.title =
      "Override of " + refusal.rule + " on step " + refusal.step + " in batch " + batch.id;
  input.description = "Refused: " + refusal.message + "\nOverridden by " + context.actor.name +
                      ": " + std::string(justification);
  input.step = refusal.step;
  input.subject = refusal.rule.substr(refusal.rule.find(':') + 1);
  input.limit = refusal.rule;
  Decision decision;
  const std::string id = decider.RaiseDeviation(decision, std::move(input));
  ledger::NewEvent event = decider.Event(kOverrideGranted);
  event.payload.Set("refusal", refusal.number);
  event.payload.Set("step", refusal.step);
  event.payload.Set("rule", refusal.rule);
  event.payload.Set("deviation", id);
  event.payload.Set("justification", std::string(justification));
  event.payload.Set("deviations", JsonStrings({id}));
  Json exceptions = Json::MakeArray();
  BatchException exception;
  exception.key = "override:" + std::to_string(refusal.number);
  exception.kinds = {ExceptionKind::kOverride};
  if (time || expiry) exception.kinds.push_back(ExceptionKind::kHoldTimeBreach);
  exception.step = refusal.step;
  exception.summary =
      refusal.rule + " overridden on step " + refusal.step + ": " + std::string(justification);
  exceptions.Push(ExceptionToJson(exception));
  BatchException raised;
  raised.key = "deviation:" + id;
  raised.kinds = {ExceptionKind::kDeviation};
  raised.step = refusal.step;
  raised.summary = id + ": " + exception.summary;
  exceptions.Push(ExceptionToJson(raised));
  event.payload.Set("exceptions", std::move(exceptions));
  decision.events.insert(decision.events.begin(), std::move(event));
  return decision;
}

Result<Decision> PutOnHold(const Context& context, std::string_view reason) {
  const Decider decider(context);
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 4000));
  const BatchState& batch = decider.Batch();
  if (batch.status != BatchStatus::kPlanned && batch.status != BatchStatus::kInProgress) {
    return Unexpected(FailedPrecondition("batch " + batch.id + " is " +
                                             std::string(BatchStatusName(batch.status)) +
                                             ": only a planned or running batch is put on hold",
                                         "batch"));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kBatchHeld);
  event.payload.Set("reason", std::string(reason));
  decision.events.push_back(std::move(event));
  return decision;
}

Result<Decision> Resume(const Context& context, std::string_view comment) {
  const Decider decider(context);
  if (!comment.empty()) ALIQUOT_RETURN_IF_ERROR(CheckParagraph(comment, "comment", 1, 4000));
  const BatchState& batch = decider.Batch();
  if (batch.status != BatchStatus::kOnHold) {
    return Unexpected(FailedPrecondition("batch " + batch.id + " is not on hold", "batch"));
  }
  Decision decision;
  ledger::NewEvent event = decider.Event(kBatchResumed);
  event.payload.Set("comment", std::string(comment));
  decision.events.push_back(std::move(event));
  return decision;
}

}  // namespace aliquot::batches
