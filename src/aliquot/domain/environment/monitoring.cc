#include "aliquot/domain/environment/monitoring.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/identity/user.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::environment {
namespace {

constexpr std::string_view kLocationDefined = "environment.location_defined";
constexpr std::string_view kSampleRecorded = "environment.sample_recorded";

// In the enums' order (core/enum_names.h).
constexpr std::array<std::string_view, 6> kSampleTypeNames{"particles_0_5um", "particles_5um",
                                                           "active_air",      "settle_plate",
                                                           "contact_plate",   "glove_print"};
constexpr std::array<std::string_view, 2> kOccupancyNames{"at_rest", "in_operation"};
constexpr std::array<std::string_view, 3> kOutcomeNames{"within_limits", "alert", "action"};

// Annex 1 (2022) limits by grade A, B, C, D; kNone where it sets none. Particles (Table 5) by
// occupancy, at rest then in operation; viable (Table 6) the same in either, grade A's "no growth"
// being kAnyGrowth.
constexpr double kNone = -1;
constexpr double kAnyGrowth = 0;
constexpr std::array<std::array<double, 2>, 4> kParticles05Limits{
    {{3'520, 3'520}, {3'520, 352'000}, {352'000, 3'520'000}, {3'520'000, kNone}}};
constexpr std::array<std::array<double, 2>, 4> kParticles5Limits{
    {{29, 29}, {29, 2'930}, {2'930, 29'300}, {29'300, kNone}}};
constexpr std::array<double, 4> kActiveAirLimits{kAnyGrowth, 10, 100, 200};
constexpr std::array<double, 4> kSettlePlateLimits{kAnyGrowth, 5, 50, 100};
constexpr std::array<double, 4> kContactPlateLimits{kAnyGrowth, 5, 25, 50};
constexpr std::array<double, 4> kGlovePrintLimits{kAnyGrowth, 5, kNone, kNone};

constexpr int kMaxExposureMinutes = 240;        // Annex 1 Table 6: settle plates, CFU/4 hours.
constexpr std::size_t kMaxPlannedSamples = 12;  // Every (type, occupancy) once.
// Digits a converted result keeps: far beyond any count, and enough to drop conversion noise.
constexpr int kSignificantDigits = 12;

std::string SampleField(std::size_t index, std::string_view member) {
  return "samples[" + std::to_string(index) + "]." + std::string(member);
}

// As people read them in an assessment: "grade B", "unclassified"; "in operation".
std::string GradeText(Grade grade) {
  return grade == Grade::kUnclassified ? "unclassified" : "grade " + std::string(GradeName(grade));
}

std::string OccupancyText(Occupancy occupancy) {
  return occupancy == Occupancy::kAtRest ? "at rest" : "in operation";
}

std::string PlanText(SampleType type, Occupancy occupancy) {
  return std::string(SampleTypeName(type)) + " " + std::string(OccupancyName(occupancy));
}

std::string Figure(double value, std::string_view unit) {
  return CanonicalNumber(value) + " " + std::string(unit);
}

// `value` to kSignificantDigits: 0.012 CFU/L is 12.000000000000002 CFU/m3 in doubles, which would
// otherwise exceed a limit of <= 12 and show as noise to the person reading it.
double Significant(double value) {
  std::array<char, 64> buffer{};
  const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                     std::chars_format::general, kSignificantDigits);
  if (written.ec != std::errc()) return value;
  double rounded = value;
  const auto read = std::from_chars(buffer.data(), written.ptr, rounded);
  return read.ec == std::errc() ? rounded : value;
}

Status CheckPlannedSample(const std::vector<PlannedSample>& samples, std::size_t index,
                          Grade grade) {
  const PlannedSample& sample = samples[index];
  if (!SampleTypeFromName(SampleTypeName(sample.type))) {
    return Unexpected(InvalidArgument("unknown sample type", SampleField(index, "type")));
  }
  if (!OccupancyFromName(OccupancyName(sample.occupancy))) {
    return Unexpected(InvalidArgument("unknown occupancy", SampleField(index, "occupancy")));
  }
  const std::string plan = PlanText(sample.type, sample.occupancy);
  for (std::size_t j = 0; j < index; ++j) {
    if (samples[j].type == sample.type && samples[j].occupancy == sample.occupancy) {
      return Unexpected(InvalidArgument(plan + " is planned twice, as samples[" +
                                            std::to_string(j) + "] and samples[" +
                                            std::to_string(index) + "]; plan it once",
                                        SampleField(index, "type")));
    }
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(sample.frequency, SampleField(index, "frequency"), 2, 100));
  if (!sample.alert_level) return {};
  const std::string field = SampleField(index, "alert_level");
  const double alert = *sample.alert_level;
  const std::string unit(ResultUnit(sample.type));
  if (!std::isfinite(alert) || alert < 0) {
    return Unexpected(
        InvalidArgument("an alert level is a number of " + unit + " of 0 or more", field));
  }
  const std::optional<Limit> limit = Annex1Limit(grade, sample.type, sample.occupancy);
  if (!limit) return {};
  // Annex 1 Table 6: in grade A any growth is an action-level excursion; nothing lies between.
  if (limit->any_growth) {
    return Unexpected(InvalidArgument("grade A allows no growth (" + plan +
                                          "): any colony is an action-level excursion under "
                                          "Annex 1 Table 6, so no alert level is set below it",
                                      field));
  }
  if (alert >= limit->maximum) {
    return Unexpected(InvalidArgument("the alert level " + Figure(alert, unit) +
                                          " is not below the Annex 1 action limit " +
                                          limit->Describe() + " for " + GradeText(grade) + " " +
                                          plan + "; set it below, from the site's trend data",
                                      field));
  }
  return {};
}

// The same plan, in whatever order the samples are listed.
bool SamePlan(const std::vector<PlannedSample>& a, const LocationState& b) {
  return a.size() == b.samples.size() &&
         std::all_of(a.begin(), a.end(), [&](const PlannedSample& sample) {
           const PlannedSample* planned = b.Planned(sample.type, sample.occupancy);
           return planned != nullptr && *planned == sample;
         });
}

std::string PlannedList(const LocationState& location) {
  std::string list;
  for (const PlannedSample& sample : location.samples) {
    if (!list.empty()) list += ", ";
    list += PlanText(sample.type, sample.occupancy);
  }
  return list;
}

// The assessment of `result` (in ResultUnit(type)) at `location`, as QA reads it.
struct Assessment {
  Outcome outcome = Outcome::kWithinLimits;
  std::string message;
};

Assessment Assess(const LocationState& location, SampleType type, Occupancy occupancy,
                  double result, const std::optional<Limit>& limit,
                  const std::optional<double>& alert_level, const std::string& entered) {
  const std::string unit(ResultUnit(type));
  const std::string observed = Figure(result, unit) + entered + " at " + location.id + " (" +
                               GradeText(location.grade) + ", " + OccupancyText(occupancy) + ")";
  if (limit && limit->ExceededBy(result)) {
    std::string message = observed + " exceeds the Annex 1 action limit " + limit->Describe();
    if (limit->any_growth) message += ": grade A allows no growth";
    return {Outcome::kAction, message};
  }
  if (alert_level && result > *alert_level) {
    return {Outcome::kAlert, "alert: " + observed + " is above the site alert level " +
                                 Figure(*alert_level, unit) + " (" +
                                 (limit ? "action limit " + limit->Describe()
                                        : std::string("Annex 1 sets no action limit here")) +
                                 ")"};
  }
  const std::string alert_text =
      alert_level ? "the site alert level " + Figure(*alert_level, unit) : std::string();
  if (limit) {
    return {Outcome::kWithinLimits,
            observed + " is within the Annex 1 action limit " + limit->Describe() +
                (alert_level ? " and not above " + alert_text : "; no site alert level is set")};
  }
  return {Outcome::kWithinLimits, observed +
                                      (alert_level ? " is not above " + alert_text + ";" : ":") +
                                      " Annex 1 sets no action limit here" +
                                      (alert_level ? "" : " and no site alert level is set")};
}

Json LimitToJson(const std::optional<Limit>& limit) {
  if (!limit) return Json(nullptr);
  Json json = Json::MakeObject();
  json.Set("maximum", limit->maximum);
  json.Set("any_growth", limit->any_growth);
  json.Set("unit", limit->unit);
  return json;
}

Json OptionalNumberToJson(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

template <typename Enum, std::size_t N>
Result<Enum> ReadEnum(const materials::JsonFields& fields,
                      const std::array<std::string_view, N>& names, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, fields.String(name));
  const std::optional<Enum> value = EnumFromName<Enum>(names, text);
  if (!value) return Unexpected(fields.Corrupt("unknown " + std::string(name) + " " + text));
  return *value;
}

Result<Grade> ReadGrade(const materials::JsonFields& fields) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, fields.String("grade"));
  const std::optional<Grade> grade = GradeFromName(text);
  if (!grade) return Unexpected(fields.Corrupt("unknown grade " + text));
  return *grade;
}

Result<int> ReadRevision(const materials::JsonFields& fields) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t revision, fields.Integer("revision"));
  if (revision < 1 || revision > 1'000'000) {
    return Unexpected(fields.Corrupt("revision " + std::to_string(revision) + " is out of range"));
  }
  return static_cast<int>(revision);
}

// A location's definition, as its event carries it and its stored state repeats it.
Json LocationBody(const LocationState& location) {
  Json json = Json::MakeObject();
  json.Set("id", location.id);
  json.Set("room", location.room);
  json.Set("grade", GradeName(location.grade));
  json.Set("description", location.description);
  Json samples = Json::MakeArray();
  for (const PlannedSample& sample : location.samples) {
    Json item = Json::MakeObject();
    item.Set("type", SampleTypeName(sample.type));
    item.Set("occupancy", OccupancyName(sample.occupancy));
    item.Set("alert_level", OptionalNumberToJson(sample.alert_level));
    item.Set("frequency", sample.frequency);
    samples.Push(std::move(item));
  }
  json.Set("samples", std::move(samples));
  json.Set("revision", location.revision);
  return json;
}

Status ReadLocationBody(const Json& json, const std::string& what, LocationState& location) {
  const materials::JsonFields fields(json, what);
  ALIQUOT_ASSIGN_OR_RETURN(location.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(location.room, fields.String("room"));
  ALIQUOT_ASSIGN_OR_RETURN(location.grade, ReadGrade(fields));
  ALIQUOT_ASSIGN_OR_RETURN(location.description, fields.String("description"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* samples, fields.Array("samples"));
  location.samples.clear();
  for (const Json& item : *samples) {
    const materials::JsonFields sample_fields(item, what + " planned sample");
    PlannedSample sample;
    ALIQUOT_ASSIGN_OR_RETURN(sample.type,
                             ReadEnum<SampleType>(sample_fields, kSampleTypeNames, "type"));
    ALIQUOT_ASSIGN_OR_RETURN(sample.occupancy,
                             ReadEnum<Occupancy>(sample_fields, kOccupancyNames, "occupancy"));
    ALIQUOT_ASSIGN_OR_RETURN(sample.alert_level, sample_fields.OptionalNumber("alert_level"));
    ALIQUOT_ASSIGN_OR_RETURN(sample.frequency, sample_fields.String("frequency"));
    location.samples.push_back(std::move(sample));
  }
  ALIQUOT_ASSIGN_OR_RETURN(location.revision, ReadRevision(fields));
  return {};
}

// A sample's record but its instants, as its event carries it and its stored state repeats it.
Json SampleBody(const SampleState& sample) {
  Json json = Json::MakeObject();
  json.Set("location", sample.location);
  json.Set("room", sample.room);
  json.Set("grade", GradeName(sample.grade));
  json.Set("type", SampleTypeName(sample.type));
  json.Set("occupancy", OccupancyName(sample.occupancy));
  json.Set("value_entered", sample.value_entered);
  json.Set("unit_entered", sample.unit_entered);
  json.Set("result", sample.result);
  json.Set("unit", ResultUnit(sample.type));
  json.Set("exposure_minutes",
           sample.exposure_minutes ? Json(*sample.exposure_minutes) : Json(nullptr));
  json.Set("person", materials::OptionalStringToJson(sample.person));
  json.Set("comment", sample.comment);
  json.Set("outcome", OutcomeName(sample.outcome));
  json.Set("action_limit", LimitToJson(sample.action_limit));
  json.Set("alert_level", OptionalNumberToJson(sample.alert_level));
  json.Set("assessment", sample.assessment);
  return json;
}

Status ReadSampleBody(const Json& json, const std::string& what, SampleState& sample) {
  const materials::JsonFields fields(json, what);
  ALIQUOT_ASSIGN_OR_RETURN(sample.location, fields.String("location"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.room, fields.String("room"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.grade, ReadGrade(fields));
  ALIQUOT_ASSIGN_OR_RETURN(sample.type, ReadEnum<SampleType>(fields, kSampleTypeNames, "type"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.occupancy,
                           ReadEnum<Occupancy>(fields, kOccupancyNames, "occupancy"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.value_entered, fields.Number("value_entered"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.unit_entered, fields.String("unit_entered"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.result, fields.Number("result"));
  // The unit the result was compared in is part of the record: a reader that assumes another one
  // would misread every result.
  ALIQUOT_ASSIGN_OR_RETURN(const std::string unit, fields.String("unit"));
  if (unit != ResultUnit(sample.type)) {
    return Unexpected(
        fields.Corrupt("a result in " + unit + ", not " + std::string(ResultUnit(sample.type))));
  }
  sample.exposure_minutes.reset();
  if (const Json* exposure = json.Find("exposure_minutes");
      exposure != nullptr && !exposure->IsNull()) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t minutes, fields.Integer("exposure_minutes"));
    if (minutes < 1 || minutes > kMaxExposureMinutes) {
      return Unexpected(fields.Corrupt("exposure_minutes " + std::to_string(minutes)));
    }
    sample.exposure_minutes = static_cast<int>(minutes);
  }
  ALIQUOT_ASSIGN_OR_RETURN(sample.person, fields.OptionalString("person"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.comment, fields.String("comment"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.outcome, ReadEnum<Outcome>(fields, kOutcomeNames, "outcome"));
  sample.action_limit.reset();
  if (const Json* limit = json.Find("action_limit"); limit != nullptr && !limit->IsNull()) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* object, fields.Object("action_limit"));
    const materials::JsonFields limit_fields(*object, what + " action limit");
    Limit read;
    ALIQUOT_ASSIGN_OR_RETURN(read.maximum, limit_fields.Number("maximum"));
    ALIQUOT_ASSIGN_OR_RETURN(read.any_growth, limit_fields.Bool("any_growth"));
    ALIQUOT_ASSIGN_OR_RETURN(read.unit, limit_fields.String("unit"));
    sample.action_limit = std::move(read);
  }
  ALIQUOT_ASSIGN_OR_RETURN(sample.alert_level, fields.OptionalNumber("alert_level"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.assessment, fields.String("assessment"));
  return {};
}

}  // namespace

std::string_view SampleTypeName(SampleType type) { return EnumName(kSampleTypeNames, type); }

std::optional<SampleType> SampleTypeFromName(std::string_view name) {
  return EnumFromName<SampleType>(kSampleTypeNames, name);
}

std::string_view ResultUnit(SampleType type) {
  switch (type) {
    case SampleType::kParticles05:
    case SampleType::kParticles5:
      return "particles/m3";
    case SampleType::kActiveAir:
      return "CFU/m3";
    case SampleType::kSettlePlate:
    case SampleType::kContactPlate:
    case SampleType::kGlovePrint:
      break;
  }
  return "CFU";
}

bool IsViable(SampleType type) {
  return type != SampleType::kParticles05 && type != SampleType::kParticles5;
}

std::string_view OccupancyName(Occupancy occupancy) { return EnumName(kOccupancyNames, occupancy); }

std::optional<Occupancy> OccupancyFromName(std::string_view name) {
  return EnumFromName<Occupancy>(kOccupancyNames, name);
}

std::string Limit::Describe() const {
  return (any_growth ? "< " : "<= ") + CanonicalNumber(maximum) + " " + unit;
}

std::optional<Limit> Annex1Limit(Grade grade, SampleType type, Occupancy occupancy) {
  const auto row = static_cast<std::size_t>(grade);
  if (grade == Grade::kUnclassified || row >= kActiveAirLimits.size()) return std::nullopt;
  const std::size_t column = occupancy == Occupancy::kAtRest ? 0 : 1;
  double maximum = kNone;
  switch (type) {
    case SampleType::kParticles05:
      maximum = kParticles05Limits[row][column];
      break;
    case SampleType::kParticles5:
      maximum = kParticles5Limits[row][column];
      break;
    case SampleType::kActiveAir:
      maximum = kActiveAirLimits[row];
      break;
    case SampleType::kSettlePlate:
      maximum = kSettlePlateLimits[row];
      break;
    case SampleType::kContactPlate:
      maximum = kContactPlateLimits[row];
      break;
    case SampleType::kGlovePrint:
      maximum = kGlovePrintLimits[row];
      break;
  }
  if (maximum == kNone) return std::nullopt;
  // Annex 1 Table 6: grade A's "no growth" is "< 1": one colony is an excursion.
  if (maximum == kAnyGrowth) return Limit{1, true, std::string(ResultUnit(type))};
  return Limit{maximum, false, std::string(ResultUnit(type))};
}

const PlannedSample* LocationState::Planned(SampleType type, Occupancy occupancy) const {
  const auto found = std::find_if(samples.begin(), samples.end(), [&](const PlannedSample& s) {
    return s.type == type && s.occupancy == occupancy;
  });
  return found == samples.end() ? nullptr : &*found;
}

ledger::StreamRef LocationStream(std::string_view location_id) {
  return {"em_location", std::string(location_id)};
}

Result<ledger::NewEvent> DefineLocation(const LocationState& state, const LocationCommand& command,
                                        const RoomState& room, std::string_view reason,
                                        Timestamp now, const ledger::Actor& actor,
                                        std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(command.id, "location_id"));
  if (command.monitored_since && *command.monitored_since > now) {
    return Unexpected(InvalidArgument(
        "monitored_since " + command.monitored_since->ToRfc3339() + " is in the future",
        "monitored_since"));
  }
  if (state.exists && command.monitored_since &&
      *command.monitored_since != state.monitored_since) {
    return Unexpected(InvalidArgument("location " + state.id + " is monitored since " +
                                          state.monitored_since.ToRfc3339() +
                                          "; that is fixed when it is defined",
                                      "monitored_since"));
  }
  if (!room.exists || room.id != command.room) {
    return Unexpected(NotFound("no room " + command.room.substr(0, 40), "room"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.description, "description", 2, 200));
  if (!GradeFromName(GradeName(command.grade))) {
    return Unexpected(InvalidArgument("unknown grade", "grade"));
  }
  // A zone inside a room (a cabinet's grade A) has the room as its background and is as clean or
  // cleaner: a location less clean than its room would be held to laxer limits than the room.
  if (!MeetsGrade(command.grade, room.grade)) {
    return Unexpected(InvalidArgument(
        "location " + command.id + " is " + GradeText(command.grade) + ", less clean than room " +
            room.id + " (" + GradeText(room.grade) + "); a location is its room's grade or cleaner",
        "grade"));
  }
  if (command.samples.empty() || command.samples.size() > kMaxPlannedSamples) {
    return Unexpected(InvalidArgument(
        "a sampling location plans 1-12 samples, each (type, occupancy) once", "samples"));
  }
  for (std::size_t i = 0; i < command.samples.size(); ++i) {
    ALIQUOT_RETURN_IF_ERROR(CheckPlannedSample(command.samples, i, command.grade));
  }
  if (state.exists) {
    // P11-05, A11-02: a change of the monitoring plan is recorded with its reason.
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
    if (command.room != state.room) {
      return Unexpected(InvalidArgument("location " + state.id + " is in room " + state.room +
                                            "; a location does not move, define a new one in " +
                                            command.room,
                                        "room"));
    }
    if (command.grade == state.grade && command.description == state.description &&
        SamePlan(command.samples, state)) {
      return Unexpected(AlreadyExists("location " + state.id + " already has this plan (revision " +
                                      std::to_string(state.revision) + ")"));
    }
  } else if (!reason.empty()) {
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  }
  LocationState defined;
  defined.id = command.id;
  defined.room = command.room;
  defined.grade = command.grade;
  defined.description = command.description;
  defined.samples = command.samples;
  defined.revision = state.exists ? state.revision + 1 : 1;
  ledger::NewEvent event =
      ledger::NewEvent::On(LocationStream(command.id), kLocationDefined, actor, terminal);
  if (!reason.empty()) event.reason = std::string(reason);
  event.payload = LocationBody(defined);
  if (!state.exists && command.monitored_since) {
    event.payload.Set("monitored_since", command.monitored_since->ToRfc3339());
  }
  return event;
}

std::string_view OutcomeName(Outcome outcome) { return EnumName(kOutcomeNames, outcome); }

std::optional<Outcome> OutcomeFromName(std::string_view name) {
  return EnumFromName<Outcome>(kOutcomeNames, name);
}

ledger::StreamRef SampleStream(std::string_view sample_id) {
  return {"em_sample", std::string(sample_id)};
}

Result<ledger::NewEvent> RecordSample(const SampleState& state, const SampleInput& input,
                                      const LocationState& location, Timestamp now,
                                      const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(input.id, "sample_id"));
  if (state.exists) {
    return Unexpected(AlreadyExists("sample " + state.id + " was recorded at " + state.location +
                                        " on " + state.recorded_at.ToRfc3339().substr(0, 10) +
                                        "; a sample label is used once",
                                    "sample_id"));
  }
  if (!location.exists || location.id != input.location) {
    return Unexpected(NotFound("no sampling location " + input.location.substr(0, 40), "location"));
  }
  const PlannedSample* planned = location.Planned(input.type, input.occupancy);
  if (planned == nullptr) {
    const bool type_planned =
        std::any_of(location.samples.begin(), location.samples.end(),
                    [&](const PlannedSample& sample) { return sample.type == input.type; });
    return Unexpected(InvalidArgument("location " + location.id + " does not plan " +
                                          PlanText(input.type, input.occupancy) + "; it plans " +
                                          PlannedList(location),
                                      type_planned ? "occupancy" : "type"));
  }
  // The time of sampling is entered (plates are read days later); the record's own time is the
  // server's (AL-01). A sample cannot have been taken after it is recorded.
  if (input.taken_at > now) {
    return Unexpected(InvalidArgument(
        "a sample is recorded once taken; " + input.taken_at.ToRfc3339() + " is in the future",
        "taken_at"));
  }
  if (input.taken_at < location.monitored_since) {
    return Unexpected(InvalidArgument("taken " + input.taken_at.ToRfc3339() + ", before location " +
                                          location.id + " was monitored (since " +
                                          location.monitored_since.ToRfc3339() + ")",
                                      "taken_at"));
  }
  if (!std::isfinite(input.result) || input.result < 0) {
    return Unexpected(InvalidArgument("a result is a number of 0 or more", "result"));
  }
  const std::string_view result_unit = ResultUnit(input.type);
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit entered, units::Unit::Parse(input.unit, "unit"));
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit kept, units::Unit::Parse(result_unit, "unit"));
  ALIQUOT_ASSIGN_OR_RETURN(double result, units::Convert(input.result, entered, kept, "unit"));
  if (!(entered == kept)) result = Significant(result);
  // A plate or a glove print is counted in whole colonies.
  if (result_unit == "CFU" && result != std::floor(result)) {
    return Unexpected(InvalidArgument(std::string(SampleTypeName(input.type)) +
                                          " results are counted in whole colonies, not " +
                                          Figure(result, result_unit),
                                      "result"));
  }
  if (input.type == SampleType::kSettlePlate) {
    if (!input.exposure_minutes || *input.exposure_minutes < 1 ||
        *input.exposure_minutes > kMaxExposureMinutes) {
      return Unexpected(
          InvalidArgument("a settle plate is exposed for 1-240 minutes (Annex 1 Table 6: at most "
                          "4 hours per plate); record how long",
                          "exposure_minutes"));
    }
  } else if (input.exposure_minutes) {
    return Unexpected(
        InvalidArgument("only a settle plate has an exposure time", "exposure_minutes"));
  }
  if (input.type == SampleType::kGlovePrint) {
    if (!input.person) {
      return Unexpected(InvalidArgument("a glove print names whose glove it is", "person"));
    }
    ALIQUOT_RETURN_IF_ERROR(identity::ValidateUserName(*input.person, "person"));
  } else if (input.person) {
    return Unexpected(InvalidArgument("only a glove print names a person", "person"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(input.comment, "comment", 0, 2000));

  SampleState recorded;
  recorded.location = location.id;
  recorded.room = location.room;
  recorded.grade = location.grade;
  recorded.type = input.type;
  recorded.occupancy = input.occupancy;
  recorded.value_entered = input.result;
  recorded.unit_entered = entered.Text();
  recorded.result = result;
  recorded.exposure_minutes = input.exposure_minutes;
  recorded.person = input.person;
  recorded.comment = input.comment;
  // The assessment is fixed now, with the limits applied: a later change of the plan or of the
  // location's grade never changes what a recorded result was judged against.
  recorded.action_limit = Annex1Limit(location.grade, input.type, input.occupancy);
  recorded.alert_level = planned->alert_level;
  const std::string as_entered =
      entered == kept ? "" : " (entered as " + Figure(input.result, entered.Text()) + ")";
  Assessment assessment = Assess(location, input.type, input.occupancy, result,
                                 recorded.action_limit, recorded.alert_level, as_entered);
  recorded.outcome = assessment.outcome;
  recorded.assessment = std::move(assessment.message);

  ledger::NewEvent event =
      ledger::NewEvent::On(SampleStream(input.id), kSampleRecorded, actor, terminal);
  event.payload = SampleBody(recorded);
  event.payload.Set("taken_at", input.taken_at.ToRfc3339());
  // An alert or action result is for QA to see at once; an action result calls for a deviation.
  if (recorded.outcome != Outcome::kWithinLimits) event.payload.Set("alert", true);
  return event;
}

Status ApplyLocationEvent(LocationState& state, const ledger::Event& event) {
  auto parsed = ParseJson(event.payload);
  const Json unreadable;
  const ledger::PayloadReader reader(event, parsed ? *parsed : unreadable);
  if (!parsed) return Unexpected(reader.Corrupt("payload: " + parsed.error().Message()));
  if (event.event_type != kLocationDefined) {
    return Unexpected(reader.Corrupt("unknown sampling location event"));
  }
  LocationState next;
  if (const Status read = ReadLocationBody(*parsed, "location payload", next); !read) {
    return Unexpected(reader.Corrupt(read.error().Message()));
  }
  if (next.id != event.stream.id) {
    return Unexpected(
        reader.Corrupt("defines location " + next.id + " on the stream of " + event.stream.id));
  }
  // Revisions follow one another: a gap or a repeat means an event is missing or replayed.
  const int expected = state.exists ? state.revision + 1 : 1;
  if (next.revision != expected) {
    return Unexpected(reader.Corrupt("revision " + std::to_string(next.revision) +
                                     " does not follow " + std::to_string(expected - 1)));
  }
  next.exists = true;
  if (state.exists) {
    next.monitored_since = state.monitored_since;
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> since,
                             materials::OptionalPayloadTime(reader, "monitored_since"));
    next.monitored_since = since.value_or(event.time);
  }
  next.defined_at = state.exists ? state.defined_at : event.time;
  next.defined_by = state.exists ? state.defined_by : event.actor.id;
  state = std::move(next);
  return {};
}

Status ApplySampleEvent(SampleState& state, const ledger::Event& event) {
  auto parsed = ParseJson(event.payload);
  const Json unreadable;
  const ledger::PayloadReader reader(event, parsed ? *parsed : unreadable);
  if (!parsed) return Unexpected(reader.Corrupt("payload: " + parsed.error().Message()));
  if (event.event_type != kSampleRecorded) {
    return Unexpected(reader.Corrupt("unknown environmental sample event"));
  }
  if (state.exists) return Unexpected(reader.Corrupt("sample " + state.id + " is recorded twice"));
  SampleState next;
  if (const Status read = ReadSampleBody(*parsed, "sample payload", next); !read) {
    return Unexpected(reader.Corrupt(read.error().Message()));
  }
  ALIQUOT_ASSIGN_OR_RETURN(next.taken_at, materials::PayloadTime(reader, "taken_at"));
  next.exists = true;
  next.id = event.stream.id;
  next.recorded_at = event.time;
  next.recorded_by = event.actor.id;
  state = std::move(next);
  return {};
}

Json LocationToJson(const LocationState& location) {
  Json json = LocationBody(location);
  json.Set("defined_at", materials::TimeToJson(location.defined_at));
  json.Set("monitored_since", materials::TimeToJson(location.monitored_since));
  json.Set("defined_by", location.defined_by);
  return json;
}

Result<LocationState> LocationFromJson(const Json& json) {
  LocationState location;
  location.exists = true;
  ALIQUOT_RETURN_IF_ERROR(ReadLocationBody(json, "location", location));
  const materials::JsonFields fields(json, "location " + location.id);
  ALIQUOT_ASSIGN_OR_RETURN(location.defined_at, fields.Time("defined_at"));
  ALIQUOT_ASSIGN_OR_RETURN(location.monitored_since, fields.Time("monitored_since"));
  ALIQUOT_ASSIGN_OR_RETURN(location.defined_by, fields.String("defined_by"));
  return location;
}

Json SampleToJson(const SampleState& sample) {
  Json json = SampleBody(sample);
  json.Set("id", sample.id);
  json.Set("taken_at", materials::TimeToJson(sample.taken_at));
  json.Set("recorded_at", materials::TimeToJson(sample.recorded_at));
  json.Set("recorded_by", sample.recorded_by);
  return json;
}

Result<SampleState> SampleFromJson(const Json& json) {
  const materials::JsonFields fields(json, "sample");
  SampleState sample;
  sample.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(sample.id, fields.String("id"));
  const std::string what = "sample " + sample.id;
  ALIQUOT_RETURN_IF_ERROR(ReadSampleBody(json, what, sample));
  const materials::JsonFields named(json, what);
  ALIQUOT_ASSIGN_OR_RETURN(sample.taken_at, named.Time("taken_at"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.recorded_at, named.Time("recorded_at"));
  ALIQUOT_ASSIGN_OR_RETURN(sample.recorded_by, named.String("recorded_by"));
  return sample;
}

}  // namespace aliquot::environment
