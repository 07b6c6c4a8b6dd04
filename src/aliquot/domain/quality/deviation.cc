#include "aliquot/domain/quality/deviation.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"

namespace aliquot::quality {
namespace {

constexpr std::array<std::string_view, 8> kSourceNames = {"calibration_out_of_tolerance",
                                                          "environmental_excursion",
                                                          "action_limit_excursion",
                                                          "hold_time_breach",
                                                          "expiry_passed",
                                                          "identity_mismatch",
                                                          "override",
                                                          "step_duration_exceeded"};
constexpr std::array<std::string_view, 3> kStatusNames = {"open", "assessed", "closed"};
constexpr std::array<std::string_view, 3> kClassificationNames = {"minor", "major", "critical"};
constexpr std::string_view kRaised = "quality.deviation_raised";
constexpr std::string_view kAssessed = "quality.deviation_assessed";
constexpr std::string_view kClosed = "quality.deviation_closed";

constexpr std::size_t kMaxAssessmentText = 4000;
constexpr std::size_t kMaxBatchesAffected = 1000;
constexpr std::size_t kMaxBatchId = 64;
// The signature's comment, which the justification is (identity::Sign's limit).
constexpr std::size_t kMaxJustification = 1000;

// Sets `name` to `text` unless it is empty: members added after the first events were written
// stay out of events that have no use for them, so those keep their exact shape.
void SetNonEmpty(Json& json, std::string_view name, const std::string& text) {
  if (!text.empty()) json.Set(std::string(name), text);
}

// The details as both the event and the stored state carry them; instants as `time`.
template <typename TimeJson>
Json DetailsToJson(const DeviationInput& input, TimeJson time) {
  Json json = Json::MakeObject();
  json.Set("source", DeviationSourceName(input.source));
  json.Set("title", input.title);
  json.Set("description", input.description);
  json.Set("equipment", input.equipment);
  json.Set("equipment_entry", input.equipment_entry);
  json.Set("room", input.room);
  json.Set("location", input.location);
  json.Set("sample", input.sample);
  json.Set("window_start", time(input.window_start));
  json.Set("window_end", time(input.window_end));
  json.Set("batches", JsonStrings(input.batches));
  SetNonEmpty(json, "step", input.step);
  SetNonEmpty(json, "subject", input.subject);
  SetNonEmpty(json, "value", input.value);
  SetNonEmpty(json, "limit", input.limit);
  if (input.batch_entry != 0) json.Set("batch_entry", input.batch_entry);
  return json;
}

using TimeReader = Result<std::optional<Timestamp>> (*)(const materials::JsonFields&,
                                                        std::string_view);

// A member written only when set: absent reads as "".
Result<std::string> OptionalText(const materials::JsonFields& fields, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, fields.OptionalString(name));
  return text.value_or("");
}

Result<DeviationInput> DetailsFromJson(const Json& json, const std::string& what, TimeReader time) {
  const materials::JsonFields fields(json, what);
  DeviationInput input;
  ALIQUOT_ASSIGN_OR_RETURN(const std::string source, fields.String("source"));
  const auto parsed = DeviationSourceFromName(source);
  if (!parsed) return Unexpected(fields.Corrupt("unknown source " + source));
  input.source = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(input.title, fields.String("title"));
  ALIQUOT_ASSIGN_OR_RETURN(input.description, fields.String("description"));
  ALIQUOT_ASSIGN_OR_RETURN(input.equipment, fields.String("equipment"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t entry, fields.Integer("equipment_entry"));
  input.equipment_entry = static_cast<int>(entry);
  ALIQUOT_ASSIGN_OR_RETURN(input.room, fields.String("room"));
  ALIQUOT_ASSIGN_OR_RETURN(input.location, fields.String("location"));
  ALIQUOT_ASSIGN_OR_RETURN(input.sample, fields.String("sample"));
  ALIQUOT_ASSIGN_OR_RETURN(input.window_start, time(fields, "window_start"));
  ALIQUOT_ASSIGN_OR_RETURN(input.window_end, time(fields, "window_end"));
  ALIQUOT_ASSIGN_OR_RETURN(input.batches, fields.Strings("batches"));
  ALIQUOT_ASSIGN_OR_RETURN(input.step, OptionalText(fields, "step"));
  ALIQUOT_ASSIGN_OR_RETURN(input.subject, OptionalText(fields, "subject"));
  ALIQUOT_ASSIGN_OR_RETURN(input.value, OptionalText(fields, "value"));
  ALIQUOT_ASSIGN_OR_RETURN(input.limit, OptionalText(fields, "limit"));
  if (json.Find("batch_entry") != nullptr) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t batch_entry, fields.Integer("batch_entry"));
    if (batch_entry < 1 || batch_entry > std::numeric_limits<int>::max()) {
      return Unexpected(fields.Corrupt("batch_entry " + std::to_string(batch_entry)));
    }
    input.batch_entry = static_cast<int>(batch_entry);
  }
  return input;
}

Result<std::optional<Timestamp>> Rfc3339Member(const materials::JsonFields& fields,
                                               std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, fields.OptionalString(name));
  if (!text) return std::optional<Timestamp>();
  auto time = Timestamp::ParseRfc3339(*text);
  if (!time) return Unexpected(fields.Corrupt("member '" + std::string(name) + "' is no instant"));
  return std::optional<Timestamp>(*time);
}

Result<std::optional<Timestamp>> MicrosMember(const materials::JsonFields& fields,
                                              std::string_view name) {
  return fields.OptionalTime(name);
}

// The assessment as its event carries it.
Json AssessmentToJson(const DeviationAssessment& assessment) {
  Json json = Json::MakeObject();
  json.Set("classification", ClassificationName(assessment.classification));
  json.Set("impact", assessment.impact);
  json.Set("root_cause", assessment.root_cause);
  json.Set("investigation_required", assessment.investigation_required);
  json.Set("batches_affected", JsonStrings(assessment.batches_affected));
  return json;
}

Result<DeviationAssessment> AssessmentFromJson(const materials::JsonFields& fields) {
  DeviationAssessment assessment;
  ALIQUOT_ASSIGN_OR_RETURN(const std::string classification, fields.String("classification"));
  const auto parsed = ClassificationFromName(classification);
  if (!parsed) return Unexpected(fields.Corrupt("unknown classification " + classification));
  assessment.classification = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(assessment.impact, fields.String("impact"));
  ALIQUOT_ASSIGN_OR_RETURN(assessment.root_cause, fields.String("root_cause"));
  ALIQUOT_ASSIGN_OR_RETURN(assessment.investigation_required,
                           fields.Bool("investigation_required"));
  ALIQUOT_ASSIGN_OR_RETURN(assessment.batches_affected, fields.Strings("batches_affected"));
  return assessment;
}

Status CheckAssessment(const DeviationAssessment& assessment) {
  if (static_cast<std::size_t>(assessment.classification) >= kClassificationNames.size()) {
    return Unexpected(
        InvalidArgument("classification must be one of minor, major, critical", "classification"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(assessment.impact, "impact", 1, kMaxAssessmentText));
  ALIQUOT_RETURN_IF_ERROR(
      CheckParagraph(assessment.root_cause, "root_cause", 0, kMaxAssessmentText));
  if (assessment.batches_affected.size() > kMaxBatchesAffected) {
    return Unexpected(InvalidArgument(
        "batches_affected lists at most " + std::to_string(kMaxBatchesAffected) + " batches",
        "batches_affected"));
  }
  for (std::size_t i = 0; i < assessment.batches_affected.size(); ++i) {
    ALIQUOT_RETURN_IF_ERROR(CheckLine(assessment.batches_affected[i],
                                      "batches_affected[" + std::to_string(i) + "]", 1,
                                      kMaxBatchId));
  }
  return {};
}

Error NoSuchDeviation() { return NotFound("no such deviation", "deviation_id"); }

}  // namespace

std::string_view DeviationSourceName(DeviationSource source) {
  return EnumName(kSourceNames, source);
}
std::optional<DeviationSource> DeviationSourceFromName(std::string_view name) {
  return EnumFromName<DeviationSource>(kSourceNames, name);
}
std::string_view DeviationStatusName(DeviationStatus status) {
  return EnumName(kStatusNames, status);
}
std::string_view ClassificationName(Classification classification) {
  return EnumName(kClassificationNames, classification);
}
std::optional<Classification> ClassificationFromName(std::string_view name) {
  return EnumFromName<Classification>(kClassificationNames, name);
}

const RecordedAssessment* DeviationState::LatestAssessment() const {
  return assessments.empty() ? nullptr : &assessments.back();
}

const std::vector<std::string>& DeviationState::BatchesAffected() const {
  const RecordedAssessment* latest = LatestAssessment();
  return latest != nullptr ? latest->assessment.batches_affected : details.batches;
}

std::string DeviationId(int year, int number) {
  const auto padded = [](int value) {
    std::string digits = std::to_string(value);
    return std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
  };
  return "DEV-" + padded(year) + "-" + padded(number);
}

ledger::StreamRef DeviationStream(std::string_view deviation_id) {
  return {"deviation", std::string(deviation_id)};
}

Result<ledger::NewEvent> RaiseDeviation(const DeviationState& state, std::string_view id,
                                        const DeviationInput& input, const ledger::Actor& actor,
                                        std::string_view terminal) {
  if (state.exists) return Unexpected(AlreadyExists("deviation " + std::string(id) + " exists"));
  ledger::NewEvent event = ledger::NewEvent::On(DeviationStream(id), kRaised, actor, terminal);
  event.payload = DetailsToJson(input, materials::OptionalRfc3339);
  event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> AssessDeviation(const DeviationState& state,
                                         const DeviationAssessment& assessment,
                                         const ledger::Actor& actor, std::string_view terminal) {
  if (!state.exists) return Unexpected(NoSuchDeviation());
  if (state.status == DeviationStatus::kClosed) {
    return Unexpected(FailedPrecondition(
        "deviation " + state.id + " is closed; a closed deviation is not assessed again",
        "status"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckAssessment(assessment));
  // 211.192: the assessment may extend the deviation to other batches, never drop one that it
  // was raised with.
  DeviationAssessment recorded = assessment;
  std::set<std::string> batches(assessment.batches_affected.begin(),
                                assessment.batches_affected.end());
  batches.insert(state.details.batches.begin(), state.details.batches.end());
  recorded.batches_affected.assign(batches.begin(), batches.end());
  ledger::NewEvent event =
      ledger::NewEvent::On(DeviationStream(state.id), kAssessed, actor, terminal);
  event.payload = AssessmentToJson(recorded);
  return event;
}

Result<ledger::NewEvent> CloseDeviation(const DeviationState& state, std::string_view justification,
                                        const ledger::Actor& actor, std::string_view terminal) {
  if (!state.exists) return Unexpected(NoSuchDeviation());
  switch (state.status) {
    case DeviationStatus::kOpen:
      // G-04: the quality unit closes only what it has assessed.
      return Unexpected(
          FailedPrecondition("deviation " + state.id +
                                 " is open: assess it (classification, impact, batches "
                                 "affected) before closing it",
                             "status"));
    case DeviationStatus::kClosed:
      return Unexpected(
          FailedPrecondition("deviation " + state.id + " is already closed", "status"));
    case DeviationStatus::kAssessed:
      break;
  }
  const RecordedAssessment* latest = state.LatestAssessment();
  if (latest != nullptr && latest->assessment.investigation_required) {
    // 211.192: a discrepancy that needs an investigation is closed on its conclusions.
    // Investigations are not recorded in the system yet, so such a deviation stays assessed until
    // QA reassesses it without one: a decision recorded with its reasons.
    return Unexpected(FailedPrecondition(
        "deviation " + state.id +
            " requires an investigation, which must be completed before it is closed",
        "investigation_required"));
  }
  if (justification.empty()) {
    // G-05: a deviation is closed with its justification, the signature's comment.
    return Unexpected(
        InvalidArgument("closing a deviation needs its justification as the "
                        "signature's comment",
                        "comment"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(justification, "comment", 1, kMaxJustification));
  ledger::NewEvent event =
      ledger::NewEvent::On(DeviationStream(state.id), kClosed, actor, terminal);
  event.payload = Json::MakeObject();
  event.payload.Set("justification", std::string(justification));
  // The assessment the closure stands on.
  event.payload.Set("assessment", static_cast<std::int64_t>(state.assessments.size()));
  return event;
}

Json DeviationContent(const DeviationState& deviation) {
  Json json = DetailsToJson(deviation.details, materials::OptionalRfc3339);
  json.Set("deviation_id", deviation.id);
  json.Set("raised_at", deviation.raised_at.ToRfc3339());
  json.Set("raised_by", deviation.raised_by);
  if (const RecordedAssessment* latest = deviation.LatestAssessment(); latest != nullptr) {
    Json assessment = AssessmentToJson(latest->assessment);
    assessment.Set("number", static_cast<std::int64_t>(deviation.assessments.size()));
    assessment.Set("assessed_at", latest->assessed_at.ToRfc3339());
    assessment.Set("assessed_by", latest->assessed_by);
    json.Set("assessment", std::move(assessment));
  } else {
    json.Set("assessment", Json());
  }
  return json;
}

Status ApplyDeviationEvent(DeviationState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader reader, ledger::PayloadReader::Parse(event));
  if (event.event_type != kRaised && event.event_type != kAssessed && event.event_type != kClosed) {
    return Unexpected(reader.Corrupt("not a deviation event"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json payload, ParseJson(event.payload));
  const std::string what = "event seq " + std::to_string(event.seq);
  if (event.event_type == kRaised) {
    if (state.exists) return Unexpected(reader.Corrupt("the deviation was already raised"));
    ALIQUOT_ASSIGN_OR_RETURN(state.details, DetailsFromJson(payload, what, Rfc3339Member));
    state.exists = true;
    state.id = event.stream.id;
    state.status = DeviationStatus::kOpen;
    state.raised_at = event.time;
    state.raised_by = event.actor.id;
    return {};
  }
  if (!state.exists) return Unexpected(reader.Corrupt("the deviation was never raised"));
  if (state.status == DeviationStatus::kClosed) {
    return Unexpected(reader.Corrupt("the deviation is already closed"));
  }
  const materials::JsonFields fields(payload, what);
  if (event.event_type == kAssessed) {
    RecordedAssessment recorded;
    ALIQUOT_ASSIGN_OR_RETURN(recorded.assessment, AssessmentFromJson(fields));
    recorded.assessed_at = event.time;
    recorded.assessed_by = event.actor.id;
    state.assessments.push_back(std::move(recorded));
    state.status = DeviationStatus::kAssessed;
    return {};
  }
  if (state.status != DeviationStatus::kAssessed) {
    return Unexpected(reader.Corrupt("the deviation was closed before it was assessed"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(std::string justification, fields.String("justification"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t assessment, fields.Integer("assessment"));
  if (assessment != static_cast<std::int64_t>(state.assessments.size())) {
    return Unexpected(reader.Corrupt("the closure stands on assessment " +
                                     std::to_string(assessment) + " of " +
                                     std::to_string(state.assessments.size())));
  }
  state.status = DeviationStatus::kClosed;
  state.closed_at = event.time;
  state.closed_by = event.actor.id;
  state.closing_justification = std::move(justification);
  return {};
}

Json DeviationToJson(const DeviationState& deviation) {
  Json json = Json::MakeObject();
  json.Set("id", deviation.id);
  json.Set("details", DetailsToJson(deviation.details, materials::OptionalTimeToJson));
  json.Set("status", DeviationStatusName(deviation.status));
  json.Set("raised_at", materials::TimeToJson(deviation.raised_at));
  json.Set("raised_by", deviation.raised_by);
  Json assessments = Json::MakeArray();
  for (const RecordedAssessment& recorded : deviation.assessments) {
    Json item = AssessmentToJson(recorded.assessment);
    item.Set("assessed_at", materials::TimeToJson(recorded.assessed_at));
    item.Set("assessed_by", recorded.assessed_by);
    assessments.Push(std::move(item));
  }
  json.Set("assessments", std::move(assessments));
  json.Set("closed_at", materials::OptionalTimeToJson(deviation.closed_at));
  json.Set("closed_by", deviation.closed_by);
  json.Set("closing_justification", deviation.closing_justification);
  return json;
}

Result<DeviationState> DeviationFromJson(const Json& json) {
  const materials::JsonFields fields(json, "deviation");
  DeviationState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  const std::string what = "deviation " + state.id;
  ALIQUOT_ASSIGN_OR_RETURN(const Json* details, fields.Object("details"));
  ALIQUOT_ASSIGN_OR_RETURN(state.details, DetailsFromJson(*details, what, MicrosMember));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string status, fields.String("status"));
  const auto parsed = EnumFromName<DeviationStatus>(kStatusNames, status);
  if (!parsed) return Unexpected(fields.Corrupt("unknown status " + status));
  state.status = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(state.raised_at, fields.Time("raised_at"));
  ALIQUOT_ASSIGN_OR_RETURN(state.raised_by, fields.String("raised_by"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* assessments, fields.Array("assessments"));
  for (const Json& item : *assessments) {
    const materials::JsonFields assessment(item, what + " assessment");
    if (!item.IsObject()) return Unexpected(assessment.Corrupt("an assessment is no object"));
    RecordedAssessment recorded;
    ALIQUOT_ASSIGN_OR_RETURN(recorded.assessment, AssessmentFromJson(assessment));
    ALIQUOT_ASSIGN_OR_RETURN(recorded.assessed_at, assessment.Time("assessed_at"));
    ALIQUOT_ASSIGN_OR_RETURN(recorded.assessed_by, assessment.String("assessed_by"));
    state.assessments.push_back(std::move(recorded));
  }
  ALIQUOT_ASSIGN_OR_RETURN(state.closed_at, fields.OptionalTime("closed_at"));
  ALIQUOT_ASSIGN_OR_RETURN(state.closed_by, fields.String("closed_by"));
  ALIQUOT_ASSIGN_OR_RETURN(state.closing_justification, fields.String("closing_justification"));
  // The status is what the history says: a row that disagrees was not written by this code.
  const DeviationStatus expected = state.closed_at             ? DeviationStatus::kClosed
                                   : state.assessments.empty() ? DeviationStatus::kOpen
                                                               : DeviationStatus::kAssessed;
  if (state.status != expected) {
    return Unexpected(fields.Corrupt("status " + status + " contradicts its history"));
  }
  return state;
}

}  // namespace aliquot::quality
