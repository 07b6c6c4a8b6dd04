#include "aliquot/domain/equipment/equipment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "aliquot/core/check.h"
#include "aliquot/core/enum_names.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/units/units.h"

namespace aliquot::equipment {
namespace {

using materials::JsonFields;

constexpr std::array<std::string_view, 19> kClassNames = {
    "biosafety_cabinet", "incubator",
    "bioreactor",        "cell_processing_system",
    "centrifuge",        "controlled_rate_freezer",
    "ln2_storage",       "refrigerator",
    "freezer",           "balance",
    "pipette",           "cell_counter",
    "flow_cytometer",    "pcr_instrument",
    "tube_sealer",       "sterile_welder",
    "thawing_device",    "particle_counter",
    "air_sampler"};
// People read the class in messages: "a biosafety cabinet".
constexpr std::array<std::string_view, 19> kClassWords = {
    "biosafety cabinet", "incubator",
    "bioreactor",        "cell processing system",
    "centrifuge",        "controlled-rate freezer",
    "LN2 storage",       "refrigerator",
    "freezer",           "balance",
    "pipette",           "cell counter",
    "flow cytometer",    "PCR instrument",
    "tube sealer",       "sterile welder",
    "thawing device",    "particle counter",
    "air sampler"};
constexpr std::array<std::string_view, 5> kCleaningRuleNames = {
    "none", "after_each_use", "between_batches", "between_products", "between_patients"};
constexpr std::array<std::string_view, 13> kEntryKindNames = {
    "registered",          "redefined", "qualification", "use_started", "use_ended",
    "use_refused",         "cleaning",  "maintenance",   "calibration", "out_of_service",
    "returned_to_service", "signed",    "verified"};
// The event type of each entry kind, in EntryKind order.
constexpr std::array<std::string_view, 13> kEventTypes = {"equipment.registered",
                                                          "equipment.redefined",
                                                          "equipment.qualification_recorded",
                                                          "equipment.use_started",
                                                          "equipment.use_ended",
                                                          "equipment.use_refused",
                                                          "equipment.cleaned",
                                                          "equipment.maintained",
                                                          "equipment.calibrated",
                                                          "equipment.taken_out_of_service",
                                                          "equipment.returned_to_service",
                                                          "equipment.entry_signed",
                                                          "equipment.entry_verified"};
constexpr std::array<std::string_view, 2> kQualificationNames = {"not_qualified", "qualified"};
constexpr std::array<std::string_view, 2> kMaintenanceNames = {"preventive", "corrective"};
constexpr std::array<std::string_view, 5> kCleanStatusNames = {
    "not_required", "never_cleaned", "clean", "used_since_cleaning", "expired"};
constexpr std::array<std::string_view, 9> kRefusalNames = {
    "none",          "wrong_class",         "wrong_room_grade",    "out_of_service",
    "not_qualified", "calibration_overdue", "maintenance_overdue", "in_use",
    "not_clean"};

constexpr int kMaxIntervalDays = 3650;
constexpr int kMaxHoldHours = 8760;
constexpr std::size_t kMaxPoints = 100;

std::string Minute(Timestamp time) {
  const std::string text = time.ToRfc3339();
  return text.substr(0, 10) + " " + text.substr(11, 5) + " UTC";
}

std::string Day(Timestamp time) { return time.ToRfc3339().substr(0, 10); }

std::string ClassWord(EquipmentClass value) { return std::string(EnumName(kClassWords, value)); }

std::string Article(std::string_view word) {
  const bool vowel =
      !word.empty() && std::string_view("aeiouAEIOU").find(word[0]) != std::string_view::npos;
  // "an LN2 storage" is read "an el-en-two".
  return (vowel || word.starts_with("LN2") ? "an " : "a ") + std::string(word);
}

Timestamp PlusDays(Timestamp time, int days) {
  return Timestamp::FromMicros(time.Micros() + std::int64_t{days} * kMicrosPerDay);
}

Timestamp PlusHours(Timestamp time, int hours) {
  return Timestamp::FromMicros(time.Micros() + std::int64_t{hours} * 3600 * kMicrosPerSecond);
}

ledger::NewEvent EntryEvent(const EquipmentState& state, EntryKind kind, const ledger::Actor& actor,
                            std::string_view terminal) {
  return ledger::NewEvent::On(EquipmentStream(state.id), EnumName(kEventTypes, kind), actor,
                              terminal);
}

Status CheckSha256(const std::optional<std::string>& sha256, std::string_view field) {
  if (sha256 && !IsLowerHex(*sha256, 64)) {
    return Unexpected(InvalidArgument(
        "a file is cited by the 64 lowercase hex digits of its SHA-256", std::string(field)));
  }
  return {};
}

Status CheckOptionalText(std::string_view text, std::string_view field, std::size_t max) {
  if (text.empty()) return {};
  return CheckParagraph(text, field, 1, max);
}

Status CheckInterval(const std::optional<int>& value, std::string_view field, int max,
                     std::string_view what) {
  if (value && (*value < 1 || *value > max)) {
    return Unexpected(InvalidArgument(std::string(what) + " is from 1 to " + std::to_string(max),
                                      std::string(field)));
  }
  return {};
}

Status CheckDefinition(const Definition& definition) {
  ALIQUOT_RETURN_IF_ERROR(CheckLine(definition.name, "name", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(definition.manufacturer, "manufacturer", 200));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(definition.model, "model", 200));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(definition.serial_number, "serial_number", 200));
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(definition.room, "room"));
  ALIQUOT_RETURN_IF_ERROR(CheckInterval(definition.calibration_interval_days,
                                        "calibration_interval_days", kMaxIntervalDays,
                                        "a calibration interval in days"));
  ALIQUOT_RETURN_IF_ERROR(CheckInterval(definition.maintenance_interval_days,
                                        "maintenance_interval_days", kMaxIntervalDays,
                                        "a maintenance interval in days"));
  ALIQUOT_RETURN_IF_ERROR(CheckInterval(definition.clean_hold_hours, "clean_hold_hours",
                                        kMaxHoldHours, "a clean hold time in hours"));
  if (definition.clean_hold_hours && definition.cleaning_rule == CleaningRule::kNone) {
    return Unexpected(InvalidArgument(
        "a clean hold time applies only to equipment that is cleaned (cleaning_rule is none)",
        "clean_hold_hours"));
  }
  if (definition.measures) {
    ALIQUOT_RETURN_IF_ERROR(units::Unit::Parse(*definition.measures, "measures"));
  } else if (definition.calibration_interval_days) {
    return Unexpected(InvalidArgument(
        "calibrated equipment names the unit its calibration points are checked in (\"g\", "
        "\"uL\", \"C\")",
        "measures"));
  }
  for (std::size_t i = 0; i < definition.second_person_checks.size(); ++i) {
    const EntryKind kind = definition.second_person_checks[i];
    const std::string field = "second_person_checks[" + std::to_string(i) + "]";
    if (!IsSignedKind(kind) || kind == EntryKind::kQualification) {
      return Unexpected(
          InvalidArgument("a second-person check applies to cleaning, maintenance, calibration or "
                          "returned_to_service, not " +
                              std::string(EntryKindName(kind)) +
                              (kind == EntryKind::kQualification ? " (always verified)" : ""),
                          field));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (definition.second_person_checks[j] == kind) {
        return Unexpected(
            InvalidArgument(std::string(EntryKindName(kind)) + " is listed twice", field));
      }
    }
  }
  return {};
}

Json OptionalInt(const std::optional<int>& value) { return value ? Json(*value) : Json(nullptr); }

Result<std::optional<int>> ReadOptionalInt(const JsonFields& fields, const Json& json,
                                           std::string_view name) {
  const Json* member = json.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<int>();
  const std::optional<std::int64_t> value = member->AsInteger();
  if (!member->IsNumber() || !value || *value < 0 || *value > 1'000'000) {
    return Unexpected(fields.Corrupt("member '" + std::string(name) + "' is not an integer"));
  }
  return std::optional<int>(static_cast<int>(*value));
}

Result<Definition> DefinitionFromJson(const Json& json, const std::string& what) {
  const JsonFields fields(json, what);
  Definition definition;
  ALIQUOT_ASSIGN_OR_RETURN(definition.name, fields.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string equipment_class, fields.String("class"));
  const auto parsed_class = EquipmentClassFromName(equipment_class);
  if (!parsed_class) return Unexpected(fields.Corrupt("unknown class " + equipment_class));
  definition.equipment_class = *parsed_class;
  ALIQUOT_ASSIGN_OR_RETURN(definition.manufacturer, fields.String("manufacturer"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.model, fields.String("model"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.serial_number, fields.String("serial_number"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.room, fields.String("room"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.calibration_interval_days,
                           ReadOptionalInt(fields, json, "calibration_interval_days"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.maintenance_interval_days,
                           ReadOptionalInt(fields, json, "maintenance_interval_days"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string rule, fields.String("cleaning_rule"));
  const auto parsed_rule = CleaningRuleFromName(rule);
  if (!parsed_rule) return Unexpected(fields.Corrupt("unknown cleaning rule " + rule));
  definition.cleaning_rule = *parsed_rule;
  ALIQUOT_ASSIGN_OR_RETURN(definition.clean_hold_hours,
                           ReadOptionalInt(fields, json, "clean_hold_hours"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.measures, fields.OptionalString("measures"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> checks,
                           fields.Strings("second_person_checks"));
  for (const std::string& check : checks) {
    const auto kind = EntryKindFromName(check);
    if (!kind) return Unexpected(fields.Corrupt("unknown entry kind " + check));
    definition.second_person_checks.push_back(*kind);
  }
  return definition;
}

// --- Storage form of the state's parts. Instants as microseconds (materials/codec.h).

Json SignoffToJson(const Signoff& signoff) {
  Json json = Json::MakeObject();
  json.Set("entry", signoff.entry);
  json.Set("at", materials::TimeToJson(signoff.at));
  json.Set("performed_by", signoff.performed_by);
  json.Set("needs_verification", signoff.needs_verification);
  json.Set("signed_at", materials::OptionalTimeToJson(signoff.signed_at));
  json.Set("verified_at", materials::OptionalTimeToJson(signoff.verified_at));
  json.Set("verified_by", signoff.verified_by);
  return json;
}

Result<Signoff> SignoffFromJson(const Json& json, const std::string& what) {
  const JsonFields fields(json, what);
  Signoff signoff;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t entry, fields.Integer("entry"));
  signoff.entry = static_cast<int>(entry);
  ALIQUOT_ASSIGN_OR_RETURN(signoff.at, fields.Time("at"));
  ALIQUOT_ASSIGN_OR_RETURN(signoff.performed_by, fields.String("performed_by"));
  ALIQUOT_ASSIGN_OR_RETURN(signoff.needs_verification, fields.Bool("needs_verification"));
  ALIQUOT_ASSIGN_OR_RETURN(signoff.signed_at, fields.OptionalTime("signed_at"));
  ALIQUOT_ASSIGN_OR_RETURN(signoff.verified_at, fields.OptionalTime("verified_at"));
  ALIQUOT_ASSIGN_OR_RETURN(signoff.verified_by, fields.String("verified_by"));
  return signoff;
}

Json PointsToJson(const std::vector<CalibrationPoint>& points) {
  Json array = Json::MakeArray();
  for (const CalibrationPoint& point : points) {
    Json json = Json::MakeObject();
    json.Set("nominal", point.nominal);
    json.Set("as_found", point.as_found);
    json.Set("as_left", point.as_left ? Json(*point.as_left) : Json(nullptr));
    json.Set("tolerance", point.tolerance);
    json.Set("unit", point.unit);
    array.Push(std::move(json));
  }
  return array;
}

Result<std::vector<CalibrationPoint>> PointsFromJson(const JsonFields& fields) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* array, fields.Array("points"));
  std::vector<CalibrationPoint> points;
  for (const Json& json : *array) {
    const JsonFields point_fields(json, "calibration point");
    CalibrationPoint point;
    ALIQUOT_ASSIGN_OR_RETURN(point.nominal, point_fields.Number("nominal"));
    ALIQUOT_ASSIGN_OR_RETURN(point.as_found, point_fields.Number("as_found"));
    ALIQUOT_ASSIGN_OR_RETURN(point.as_left, point_fields.OptionalNumber("as_left"));
    ALIQUOT_ASSIGN_OR_RETURN(point.tolerance, point_fields.Number("tolerance"));
    ALIQUOT_ASSIGN_OR_RETURN(point.unit, point_fields.String("unit"));
    points.push_back(std::move(point));
  }
  return points;
}

// The body of each signed kind: what its event's payload and its stored form share.
Json CleaningBody(const Cleaning& cleaning) {
  Json json = Json::MakeObject();
  json.Set("agent", cleaning.agent);
  json.Set("method", cleaning.method);
  return json;
}

Status ReadCleaningBody(const JsonFields& fields, Cleaning& cleaning) {
  ALIQUOT_ASSIGN_OR_RETURN(cleaning.agent, fields.String("agent"));
  ALIQUOT_ASSIGN_OR_RETURN(cleaning.method, fields.String("method"));
  return {};
}

Json CalibrationBody(const Calibration& calibration) {
  Json json = Json::MakeObject();
  json.Set("performed_on", calibration.performed_on.ToRfc3339());
  json.Set("as_found_in_tolerance", calibration.as_found_in_tolerance);
  json.Set("in_tolerance", calibration.in_tolerance);
  json.Set("provider", calibration.provider);
  json.Set("reference_standard", calibration.reference_standard);
  json.Set("points", PointsToJson(calibration.points));
  json.Set("certificate_sha256", materials::OptionalStringToJson(calibration.certificate_sha256));
  return json;
}

Result<Timestamp> PerformedOn(const JsonFields& fields) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, fields.String("performed_on"));
  auto time = Timestamp::ParseRfc3339(text);
  if (!time) return Unexpected(fields.Corrupt("performed_on is no instant"));
  return *time;
}

Status ReadCalibrationBody(const JsonFields& fields, Calibration& calibration) {
  ALIQUOT_ASSIGN_OR_RETURN(calibration.performed_on, PerformedOn(fields));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.as_found_in_tolerance, fields.Bool("as_found_in_tolerance"));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.in_tolerance, fields.Bool("in_tolerance"));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.provider, fields.String("provider"));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.reference_standard, fields.String("reference_standard"));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.points, PointsFromJson(fields));
  ALIQUOT_ASSIGN_OR_RETURN(calibration.certificate_sha256,
                           fields.OptionalString("certificate_sha256"));
  return {};
}

Json MaintenanceBody(const Maintenance& maintenance) {
  Json json = Json::MakeObject();
  json.Set("performed_on", maintenance.performed_on.ToRfc3339());
  json.Set("type", MaintenanceTypeName(maintenance.type));
  json.Set("description", maintenance.description);
  return json;
}

Status ReadMaintenanceBody(const JsonFields& fields, Maintenance& maintenance) {
  ALIQUOT_ASSIGN_OR_RETURN(maintenance.performed_on, PerformedOn(fields));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string type, fields.String("type"));
  const auto parsed = MaintenanceTypeFromName(type);
  if (!parsed) return Unexpected(fields.Corrupt("unknown maintenance type " + type));
  maintenance.type = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(maintenance.description, fields.String("description"));
  return {};
}

Json QualificationBody(const Qualification& qualification) {
  Json json = Json::MakeObject();
  json.Set("status", QualificationStatusName(qualification.status));
  json.Set("reference", qualification.reference);
  json.Set("report_sha256", materials::OptionalStringToJson(qualification.report_sha256));
  return json;
}

Status ReadQualificationBody(const JsonFields& fields, Qualification& qualification) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string status, fields.String("status"));
  const auto parsed = QualificationStatusFromName(status);
  if (!parsed) return Unexpected(fields.Corrupt("unknown qualification status " + status));
  qualification.status = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(qualification.reference, fields.String("reference"));
  ALIQUOT_ASSIGN_OR_RETURN(qualification.report_sha256, fields.OptionalString("report_sha256"));
  return {};
}

Json UseBody(const Use& use) {
  Json json = Json::MakeObject();
  json.Set("batch", use.batch);
  json.Set("product", use.product);
  json.Set("lot", use.lot);
  json.Set("step", use.step);
  json.Set("patient_code", use.patient_code);
  json.Set("room", use.room);
  return json;
}

Status ReadUseBody(const JsonFields& fields, Use& use) {
  ALIQUOT_ASSIGN_OR_RETURN(use.batch, fields.String("batch"));
  ALIQUOT_ASSIGN_OR_RETURN(use.product, fields.String("product"));
  ALIQUOT_ASSIGN_OR_RETURN(use.lot, fields.String("lot"));
  ALIQUOT_ASSIGN_OR_RETURN(use.step, fields.String("step"));
  ALIQUOT_ASSIGN_OR_RETURN(use.patient_code, fields.String("patient_code"));
  ALIQUOT_ASSIGN_OR_RETURN(use.room, fields.String("room"));
  return {};
}

// A stored part: its body and its signoff.
template <typename Part, typename Body>
Json PartToJson(const Part& part, Body body) {
  Json json = body(part);
  json.Set("signoff", SignoffToJson(part.signoff));
  return json;
}

template <typename Part, typename Read>
Result<std::optional<Part>> OptionalPart(const JsonFields& fields, const Json& json,
                                         std::string_view name, Read read) {
  const Json* member = json.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<Part>();
  if (!member->IsObject()) return Unexpected(fields.Corrupt(std::string(name) + " is no object"));
  const JsonFields part_fields(*member, std::string(name));
  Part part;
  ALIQUOT_RETURN_IF_ERROR(read(part_fields, part));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* signoff, part_fields.Object("signoff"));
  ALIQUOT_ASSIGN_OR_RETURN(part.signoff, SignoffFromJson(*signoff, std::string(name)));
  return std::optional<Part>(std::move(part));
}

template <typename Part, typename Body>
Json OptionalPartToJson(const std::optional<Part>& part, Body body) {
  return part ? PartToJson(*part, body) : Json(nullptr);
}

std::string Awaiting(const Signoff& signoff, EntryKind kind) {
  const std::string entry =
      "entry " + std::to_string(signoff.entry) + " (" + std::string(EntryKindName(kind)) + ")";
  if (!signoff.signed_at) return entry + " awaits " + signoff.performed_by + "'s signature";
  return entry + " awaits a second person's verification";
}

}  // namespace

std::string_view EquipmentClassName(EquipmentClass value) { return EnumName(kClassNames, value); }
std::optional<EquipmentClass> EquipmentClassFromName(std::string_view name) {
  return EnumFromName<EquipmentClass>(kClassNames, name);
}
std::string_view CleaningRuleName(CleaningRule rule) { return EnumName(kCleaningRuleNames, rule); }
std::optional<CleaningRule> CleaningRuleFromName(std::string_view name) {
  return EnumFromName<CleaningRule>(kCleaningRuleNames, name);
}
std::string_view EntryKindName(EntryKind kind) { return EnumName(kEntryKindNames, kind); }
std::optional<EntryKind> EntryKindFromName(std::string_view name) {
  return EnumFromName<EntryKind>(kEntryKindNames, name);
}
bool IsSignedKind(EntryKind kind) {
  return kind == EntryKind::kQualification || kind == EntryKind::kCleaning ||
         kind == EntryKind::kMaintenance || kind == EntryKind::kCalibration ||
         kind == EntryKind::kReturnedToService;
}
std::string_view QualificationStatusName(QualificationStatus status) {
  return EnumName(kQualificationNames, status);
}
std::optional<QualificationStatus> QualificationStatusFromName(std::string_view name) {
  return EnumFromName<QualificationStatus>(kQualificationNames, name);
}
std::string_view MaintenanceTypeName(MaintenanceType type) {
  return EnumName(kMaintenanceNames, type);
}
std::optional<MaintenanceType> MaintenanceTypeFromName(std::string_view name) {
  return EnumFromName<MaintenanceType>(kMaintenanceNames, name);
}
std::string_view CleanStatusName(CleanStatus status) { return EnumName(kCleanStatusNames, status); }
std::string_view UseRefusalName(UseRefusal refusal) { return EnumName(kRefusalNames, refusal); }

bool Definition::NeedsVerification(EntryKind kind) const {
  if (kind == EntryKind::kQualification) return true;
  return std::find(second_person_checks.begin(), second_person_checks.end(), kind) !=
         second_person_checks.end();
}

const Signoff* EquipmentState::Signable(int number, EntryKind* kind) const {
  const auto match = [&](const Signoff& signoff, EntryKind which) -> const Signoff* {
    if (signoff.entry != number) return nullptr;
    if (kind != nullptr) *kind = which;
    return &signoff;
  };
  const Signoff* found = nullptr;
  if (qualification) found = match(qualification->signoff, EntryKind::kQualification);
  if (found == nullptr && latest_cleaning) {
    found = match(latest_cleaning->signoff, EntryKind::kCleaning);
  }
  if (found == nullptr && latest_calibration) {
    found = match(latest_calibration->signoff, EntryKind::kCalibration);
  }
  if (found == nullptr && latest_maintenance) {
    found = match(latest_maintenance->signoff, EntryKind::kMaintenance);
  }
  if (found == nullptr && pending_return) {
    found = match(*pending_return, EntryKind::kReturnedToService);
  }
  return found;
}

ledger::StreamRef EquipmentStream(std::string_view equipment_id) {
  return {"equipment", std::string(equipment_id)};
}

Json DefinitionToJson(const Definition& definition) {
  Json json = Json::MakeObject();
  json.Set("name", definition.name);
  json.Set("class", EquipmentClassName(definition.equipment_class));
  json.Set("manufacturer", definition.manufacturer);
  json.Set("model", definition.model);
  json.Set("serial_number", definition.serial_number);
  json.Set("room", definition.room);
  json.Set("calibration_interval_days", OptionalInt(definition.calibration_interval_days));
  json.Set("maintenance_interval_days", OptionalInt(definition.maintenance_interval_days));
  json.Set("cleaning_rule", CleaningRuleName(definition.cleaning_rule));
  json.Set("clean_hold_hours", OptionalInt(definition.clean_hold_hours));
  json.Set("measures", materials::OptionalStringToJson(definition.measures));
  Json checks = Json::MakeArray();
  for (const EntryKind kind : definition.second_person_checks) checks.Push(EntryKindName(kind));
  json.Set("second_person_checks", std::move(checks));
  return json;
}

Result<ledger::NewEvent> Register(const EquipmentState& state, std::string_view id,
                                  const Definition& definition, const environment::RoomState& room,
                                  const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(id, "id"));
  ALIQUOT_RETURN_IF_ERROR(CheckDefinition(definition));
  if (!room.exists) {
    return Unexpected(NotFound("no room " + definition.room + "; define it first", "room"));
  }
  if (state.exists) {
    return Unexpected(AlreadyExists("equipment " + std::string(id) + " is already registered (" +
                                    state.definition.name + ")"));
  }
  EquipmentState fresh;
  fresh.id = std::string(id);
  ledger::NewEvent event = EntryEvent(fresh, EntryKind::kRegistered, actor, terminal);
  event.payload.Set("definition", DefinitionToJson(definition));
  event.payload.Set("room_grade", environment::GradeName(room.grade));
  return event;
}

Result<ledger::NewEvent> Redefine(const EquipmentState& state, const Definition& definition,
                                  const environment::RoomState& room, std::string_view reason,
                                  Timestamp now, const ledger::Actor& actor,
                                  std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckDefinition(definition));
  if (!room.exists) {
    return Unexpected(NotFound("no room " + definition.room + "; define it first", "room"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  if (definition == state.definition) {
    return Unexpected(AlreadyExists("the definition of " + state.id + " already reads so"));
  }
  const EquipmentStatus status = StatusAt(state, now);
  if (status.in_use && definition.room != state.definition.room) {
    return Unexpected(FailedPrecondition(state.id + " is in use by batch " + status.in_use->batch +
                                         "; end the use before moving it to " + definition.room));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kRedefined, actor, terminal);
  event.payload.Set("definition", DefinitionToJson(definition));
  event.payload.Set("room_grade", environment::GradeName(room.grade));
  event.reason = std::string(reason);
  return event;
}

EquipmentStatus StatusAt(const EquipmentState& state, Timestamp at) {
  EquipmentStatus status;
  status.at = at;
  status.qualification = state.qualified;
  status.out_of_service = state.out_of_service.has_value();
  const Definition& definition = state.definition;
  if (definition.calibration_interval_days) {
    if (state.good_calibration) {
      status.calibration_due =
          PlusDays(state.good_calibration->performed_on, *definition.calibration_interval_days);
      status.calibration_overdue = at >= *status.calibration_due;
    } else {
      status.calibration_overdue = true;
    }
    if (state.failed_calibration) status.calibration_overdue = true;
  }
  if (definition.maintenance_interval_days) {
    const Timestamp base = state.preventive_done.value_or(state.registered_at);
    status.maintenance_due = PlusDays(base, *definition.maintenance_interval_days);
    status.maintenance_overdue = at >= *status.maintenance_due;
  }
  if (definition.cleaning_rule == CleaningRule::kNone) {
    status.clean = CleanStatus::kNotRequired;
  } else if (!state.clean) {
    status.clean = CleanStatus::kNeverCleaned;
  } else if (state.last_use && state.last_use->entry > state.clean->signoff.entry) {
    status.clean = CleanStatus::kUsedSinceCleaning;
  } else {
    status.clean = CleanStatus::kClean;
    if (definition.clean_hold_hours) {
      status.clean_until = PlusHours(state.clean->signoff.at, *definition.clean_hold_hours);
      if (at >= *status.clean_until) status.clean = CleanStatus::kExpired;
    }
  }
  if (state.last_use && !state.last_use->ended) status.in_use = state.last_use;
  const auto awaiting = [&](const Signoff& signoff, EntryKind kind) {
    if (!signoff.Effective()) status.awaiting.push_back(Awaiting(signoff, kind));
  };
  if (state.qualification) awaiting(state.qualification->signoff, EntryKind::kQualification);
  if (state.latest_cleaning) awaiting(state.latest_cleaning->signoff, EntryKind::kCleaning);
  if (state.latest_calibration) {
    awaiting(state.latest_calibration->signoff, EntryKind::kCalibration);
  }
  if (state.latest_maintenance) {
    awaiting(state.latest_maintenance->signoff, EntryKind::kMaintenance);
  }
  if (state.pending_return) awaiting(*state.pending_return, EntryKind::kReturnedToService);
  return status;
}

namespace {

UseCheck Refuse(UseCheck check, UseRefusal refusal, std::string message) {
  check.refusal = refusal;
  check.message = std::move(message);
  return check;
}

std::string PendingNote(const std::optional<Signoff>& signoff, EntryKind kind) {
  if (!signoff || signoff->Effective()) return "";
  return "; " + Awaiting(*signoff, kind);
}

std::string UseWords(const Use& use) {
  std::string words = "batch " + use.batch;
  if (!use.patient_code.empty()) {
    words += " (patient " + use.patient_code + ")";
  } else if (!use.product.empty()) {
    words += " (" + use.product + ")";
  }
  return words;
}

}  // namespace

Result<UseCheck> CheckUse(const EquipmentState& state, const environment::RoomState& room,
                          const UseRequest& request) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  const Definition& definition = state.definition;
  UseCheck check;
  check.equipment = state.id;
  check.at = request.at;
  const std::string& id = state.id;
  if (request.required_class && *request.required_class != definition.equipment_class) {
    return Refuse(check, UseRefusal::kWrongClass,
                  id + " is " + Article(ClassWord(definition.equipment_class)) +
                      "; this step needs " + Article(ClassWord(*request.required_class)));
  }
  if (request.required_grade && !environment::MeetsGrade(room.grade, *request.required_grade)) {
    return Refuse(check, UseRefusal::kWrongRoomGrade,
                  id + " stands in room " + room.id + " (grade " +
                      std::string(environment::GradeName(room.grade)) +
                      "); this step needs grade " +
                      std::string(environment::GradeName(*request.required_grade)) + " or cleaner");
  }
  if (state.out_of_service) {
    return Refuse(check, UseRefusal::kOutOfService,
                  id + " is out of service since " + Minute(state.out_of_service->since) + " (" +
                      state.out_of_service->reason + ")" +
                      PendingNote(state.pending_return, EntryKind::kReturnedToService));
  }
  const EquipmentStatus status = StatusAt(state, request.at);
  if (state.qualified != QualificationStatus::kQualified) {
    std::optional<Signoff> pending;
    if (state.qualification) pending = state.qualification->signoff;
    return Refuse(check, UseRefusal::kNotQualified,
                  id + " is not qualified" + PendingNote(pending, EntryKind::kQualification));
  }
  if (status.calibration_overdue) {
    std::optional<Signoff> pending;
    if (state.latest_calibration) pending = state.latest_calibration->signoff;
    std::string message;
    if (state.failed_calibration) {
      message = id + " failed calibration (entry " + std::to_string(*state.failed_calibration) +
                "): out of tolerance as left; it may not be used until a calibration passes";
    } else if (!state.good_calibration) {
      message = id + " has no calibration in force" + PendingNote(pending, EntryKind::kCalibration);
    } else {
      message = "calibration of " + id + " was due " + Minute(*status.calibration_due) +
                " (last good calibration: entry " +
                std::to_string(state.good_calibration->signoff.entry) + ", performed " +
                Day(state.good_calibration->performed_on) + ")" +
                PendingNote(pending, EntryKind::kCalibration);
    }
    return Refuse(check, UseRefusal::kCalibrationOverdue, message);
  }
  if (status.maintenance_overdue) {
    std::optional<Signoff> pending;
    if (state.latest_maintenance) pending = state.latest_maintenance->signoff;
    return Refuse(check, UseRefusal::kMaintenanceOverdue,
                  "preventive maintenance of " + id + " was due " +
                      Minute(*status.maintenance_due) +
                      PendingNote(pending, EntryKind::kMaintenance));
  }
  if (status.in_use && status.in_use->batch != request.batch) {
    return Refuse(check, UseRefusal::kInUse,
                  id + " is in use by " + UseWords(*status.in_use) + " since " +
                      Minute(status.in_use->started));
  }
  std::optional<Signoff> pending_cleaning;
  if (state.latest_cleaning) pending_cleaning = state.latest_cleaning->signoff;
  const std::string cleaning_note = PendingNote(pending_cleaning, EntryKind::kCleaning);
  switch (status.clean) {
    case CleanStatus::kNotRequired:
    case CleanStatus::kClean:
      break;
    case CleanStatus::kNeverCleaned:
      return Refuse(check, UseRefusal::kNotClean, id + " has no cleaning in force" + cleaning_note);
    case CleanStatus::kExpired:
      return Refuse(check, UseRefusal::kNotClean,
                    "the clean status of " + id + " expired " + Minute(*status.clean_until) +
                        " (cleaned " + Minute(state.clean->signoff.at) + ", hold " +
                        std::to_string(*definition.clean_hold_hours) + " h); clean it again" +
                        cleaning_note);
    case CleanStatus::kUsedSinceCleaning: {
      const Use& use = *state.last_use;
      const bool continuing = !use.ended && use.batch == request.batch;
      bool dirty = false;
      std::string rule;
      switch (definition.cleaning_rule) {
        case CleaningRule::kNone:
          break;
        case CleaningRule::kAfterEachUse:
          dirty = !continuing;
          rule = "it is cleaned after each use";
          break;
        case CleaningRule::kBetweenBatches:
          dirty = use.batch != request.batch;
          rule = "it is cleaned between batches";
          break;
        case CleaningRule::kBetweenProducts:
          dirty = use.product.empty() || use.product != request.product;
          rule = "it is cleaned between products";
          break;
        case CleaningRule::kBetweenPatients:
          // 21 CFR 1271.290 (T-01): one patient's material never meets another's residue.
          dirty = use.patient_code.empty() || use.patient_code != request.patient_code;
          rule = "it is cleaned between patients";
          break;
      }
      if (dirty) {
        return Refuse(check, UseRefusal::kNotClean,
                      id + " was last used by " + UseWords(use) + " (" + Minute(use.started) +
                          ") and has no cleaning in effect since; " + rule + cleaning_note);
      }
      break;
    }
  }
  check.message = id + " may be used";
  return check;
}

Status CheckUseInput(const UseInput& input) {
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.batch, "batch", 1, 64));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.product, "product", 100));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.lot, "lot", 64));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.step, "step", 100));
  if (!input.patient_code.empty()) {
    ALIQUOT_RETURN_IF_ERROR(materials::CheckDonorCode(input.patient_code, "patient_code"));
  }
  return {};
}

namespace {

void SetUseInput(ledger::NewEvent& event, const UseInput& input) {
  event.payload.Set("batch", input.batch);
  event.payload.Set("product", input.product);
  event.payload.Set("lot", input.lot);
  event.payload.Set("step", input.step);
  event.payload.Set("patient_code", input.patient_code);
  event.payload.Set("required_class", input.required_class
                                          ? Json(EquipmentClassName(*input.required_class))
                                          : Json(nullptr));
  event.payload.Set("required_grade", input.required_grade
                                          ? Json(environment::GradeName(*input.required_grade))
                                          : Json(nullptr));
}

}  // namespace

ledger::NewEvent StartUse(const EquipmentState& state, const UseInput& input, const UseCheck& check,
                          const environment::RoomState& room, const ledger::Actor& actor,
                          std::string_view terminal) {
  ALIQUOT_CHECK(check.Allowed() && check.equipment == state.id);
  ledger::NewEvent event = EntryEvent(state, EntryKind::kUseStarted, actor, terminal);
  SetUseInput(event, input);
  event.payload.Set("room", room.id);
  return event;
}

ledger::NewEvent RefuseUse(const EquipmentState& state, const UseInput& input,
                           const UseCheck& check, const ledger::Actor& actor,
                           std::string_view terminal) {
  ledger::NewEvent event = EntryEvent(state, EntryKind::kUseRefused, actor, terminal);
  SetUseInput(event, input);
  event.payload.Set("refusal", UseRefusalName(check.refusal));
  event.payload.Set("message", check.message);
  event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> EndUse(const EquipmentState& state, std::string_view batch,
                                std::string_view comment, const ledger::Actor& actor,
                                std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(batch, "batch", 1, 64));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(comment, "comment", 2000));
  if (!state.last_use || state.last_use->ended) {
    return Unexpected(FailedPrecondition(state.id + " is not in use", "batch"));
  }
  if (state.last_use->batch != batch) {
    return Unexpected(FailedPrecondition(
        state.id + " is in use by batch " + state.last_use->batch + ", not " + std::string(batch),
        "batch"));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kUseEnded, actor, terminal);
  event.payload.Set("batch", std::string(batch));
  event.payload.Set("use_entry", state.last_use->entry);
  event.payload.Set("comment", std::string(comment));
  return event;
}

namespace {

Status CheckRecordable(const EquipmentState& state, std::string_view what) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  if (state.last_use && !state.last_use->ended) {
    return Unexpected(FailedPrecondition(state.id + " is in use by batch " + state.last_use->batch +
                                         "; end the use before " + std::string(what)));
  }
  return {};
}

// When work entered now was done: `given` (at or before now, not before `previous`) or now.
Result<Timestamp> CheckPerformedOn(const std::optional<Timestamp>& given, Timestamp now,
                                   const std::optional<Timestamp>& previous, int previous_entry,
                                   std::string_view what) {
  if (!given) return now;
  if (*given > now) {
    return Unexpected(InvalidArgument(
        "performed_on " + Minute(*given) + " is in the future; the server's time is " + Minute(now),
        "performed_on"));
  }
  if (previous && *given < *previous) {
    return Unexpected(InvalidArgument(
        "performed_on " + Minute(*given) + " is before the previous " + std::string(what) +
            " (entry " + std::to_string(previous_entry) + ", performed " + Minute(*previous) +
            "): the logbook keeps chronological order",
        "performed_on"));
  }
  return *given;
}

}  // namespace

Result<ledger::NewEvent> RecordCleaning(const EquipmentState& state, const CleaningInput& input,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckRecordable(state, "cleaning it"));
  if (state.definition.cleaning_rule == CleaningRule::kNone) {
    return Unexpected(FailedPrecondition(state.id + " has no cleaning rule (cleaning_rule none)"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.agent, "agent", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.method, "method", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.comment, "comment", 2000));
  Cleaning cleaning;
  cleaning.agent = input.agent;
  cleaning.method = input.method;
  ledger::NewEvent event = EntryEvent(state, EntryKind::kCleaning, actor, terminal);
  event.payload = CleaningBody(cleaning);
  event.payload.Set("comment", input.comment);
  event.payload.Set("needs_verification", state.definition.NeedsVerification(EntryKind::kCleaning));
  return event;
}

Result<ledger::NewEvent> RecordMaintenance(const EquipmentState& state,
                                           const MaintenanceInput& input, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckRecordable(state, "maintaining it"));
  std::optional<Timestamp> previous;
  int previous_entry = 0;
  if (state.latest_maintenance) {
    previous = state.latest_maintenance->performed_on;
    previous_entry = state.latest_maintenance->signoff.entry;
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      const Timestamp performed_on,
      CheckPerformedOn(input.performed_on, now, previous, previous_entry, "maintenance"));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(input.description, "description", 3, 4000));
  ALIQUOT_RETURN_IF_ERROR(CheckSha256(input.report_sha256, "report_sha256"));
  Maintenance maintenance;
  maintenance.performed_on = performed_on;
  maintenance.type = input.type;
  maintenance.description = input.description;
  ledger::NewEvent event = EntryEvent(state, EntryKind::kMaintenance, actor, terminal);
  event.payload = MaintenanceBody(maintenance);
  event.payload.Set("report_sha256", materials::OptionalStringToJson(input.report_sha256));
  event.payload.Set("needs_verification",
                    state.definition.NeedsVerification(EntryKind::kMaintenance));
  return event;
}

namespace {

// Temperatures and their rates of change (a freezer's -1 C/min) may be negative; masses, volumes,
// counts and speeds cannot.
bool MayBeNegative(const units::Unit& unit) {
  for (const auto& [base, exponent] : unit.GetDimension().exponents) {
    if (base == "temperature") return true;
  }
  return false;
}

// One point: whether as found and as left lie within tolerance. The nominal, the readings and the
// tolerance share the point's unit, so they are compared in it: a conversion into the measured
// unit would change nothing but rounding, and would shift a tolerance in K by 273.15 when the
// equipment measures C (a tolerance is a difference, not a temperature). The unit must be of the
// measured dimension.
Result<std::pair<bool, bool>> CheckPoint(const CalibrationPoint& point, const units::Unit& measured,
                                         std::size_t index) {
  const std::string prefix = "points[" + std::to_string(index) + "].";
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit unit, units::Unit::Parse(point.unit, prefix + "unit"));
  if (!units::Commensurable(unit, measured)) {
    return Unexpected(InvalidArgument("a calibration point in " + unit.Text() + " (" +
                                          units::DescribeDimension(unit.GetDimension()) +
                                          ") cannot be checked for equipment that measures " +
                                          measured.Text() + " (" +
                                          units::DescribeDimension(measured.GetDimension()) + ")",
                                      prefix + "unit"));
  }
  const bool may_be_negative = MayBeNegative(unit);
  const auto value = [&](double number, std::string_view name) -> Result<double> {
    const std::string field = prefix + std::string(name);
    if (!std::isfinite(number)) {
      return Unexpected(InvalidArgument("a finite number is required", field));
    }
    if (number < 0 && !may_be_negative) {
      return Unexpected(
          InvalidArgument(CanonicalNumber(number) + " " + unit.Text() + " is impossible: a " +
                              units::DescribeDimension(unit.GetDimension()) + " cannot be negative",
                          field));
    }
    return number;
  };
  ALIQUOT_ASSIGN_OR_RETURN(const double nominal, value(point.nominal, "nominal"));
  ALIQUOT_ASSIGN_OR_RETURN(const double as_found, value(point.as_found, "as_found"));
  if (!std::isfinite(point.tolerance) || point.tolerance <= 0) {
    return Unexpected(InvalidArgument("a tolerance is a positive number (+/- around the nominal)",
                                      prefix + "tolerance"));
  }
  const double tolerance = point.tolerance;
  double as_left = as_found;
  if (point.as_left) {
    ALIQUOT_ASSIGN_OR_RETURN(as_left, value(*point.as_left, "as_left"));
  }
  // Decimal readings (10.0005 - 10) must not fail at the limit through binary rounding.
  const double slack = tolerance * 1e-9;
  return std::pair<bool, bool>(std::fabs(as_found - nominal) <= tolerance + slack,
                               std::fabs(as_left - nominal) <= tolerance + slack);
}

}  // namespace

Result<ledger::NewEvent> RecordCalibration(const EquipmentState& state,
                                           const CalibrationInput& input, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckRecordable(state, "calibrating it"));
  if (!state.definition.calibration_interval_days || !state.definition.measures) {
    return Unexpected(FailedPrecondition(
        state.id + " is not calibrated equipment (no calibration interval in its definition)"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.provider, "provider", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.reference_standard, "reference_standard", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckSha256(input.certificate_sha256, "certificate_sha256"));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.comment, "comment", 2000));
  if (input.points.empty() || input.points.size() > kMaxPoints) {
    return Unexpected(InvalidArgument("a calibration has 1 to 100 points", "points"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit measured,
                           units::Unit::Parse(*state.definition.measures, "measures"));
  std::optional<Timestamp> previous;
  int previous_entry = 0;
  if (state.latest_calibration) {
    previous = state.latest_calibration->performed_on;
    previous_entry = state.latest_calibration->signoff.entry;
  }
  Calibration calibration;
  ALIQUOT_ASSIGN_OR_RETURN(
      calibration.performed_on,
      CheckPerformedOn(input.performed_on, now, previous, previous_entry, "calibration"));
  for (std::size_t i = 0; i < input.points.size(); ++i) {
    ALIQUOT_ASSIGN_OR_RETURN(const auto within, CheckPoint(input.points[i], measured, i));
    calibration.as_found_in_tolerance = calibration.as_found_in_tolerance && within.first;
    calibration.in_tolerance = calibration.in_tolerance && within.second;
  }
  calibration.provider = input.provider;
  calibration.reference_standard = input.reference_standard;
  calibration.points = input.points;  // As entered, each with its unit (AL-02).
  calibration.certificate_sha256 = input.certificate_sha256;
  ledger::NewEvent event = EntryEvent(state, EntryKind::kCalibration, actor, terminal);
  event.payload = CalibrationBody(calibration);
  event.payload.Set("comment", input.comment);
  event.payload.Set("needs_verification",
                    state.definition.NeedsVerification(EntryKind::kCalibration));
  if (!calibration.as_found_in_tolerance || !calibration.in_tolerance) {
    event.payload.Set("alert", true);
  }
  return event;
}

Result<ledger::NewEvent> RecordQualification(const EquipmentState& state,
                                             const QualificationInput& input,
                                             const ledger::Actor& actor,
                                             std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckRecordable(state, "requalifying it"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.reference, "reference", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckSha256(input.report_sha256, "report_sha256"));
  ALIQUOT_RETURN_IF_ERROR(CheckOptionalText(input.comment, "comment", 2000));
  Qualification qualification;
  qualification.status = input.status;
  qualification.reference = input.reference;
  qualification.report_sha256 = input.report_sha256;
  ledger::NewEvent event = EntryEvent(state, EntryKind::kQualification, actor, terminal);
  event.payload = QualificationBody(qualification);
  event.payload.Set("comment", input.comment);
  event.payload.Set("needs_verification", true);
  return event;
}

Result<ledger::NewEvent> TakeOutOfService(const EquipmentState& state, std::string_view reason,
                                          const ledger::Actor& actor, std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  if (state.out_of_service) {
    return Unexpected(FailedPrecondition(state.id + " is already out of service since " +
                                         Minute(state.out_of_service->since)));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kOutOfService, actor, terminal);
  event.payload.Set("reason", std::string(reason));
  event.reason = std::string(reason);
  event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> ReturnToService(const EquipmentState& state, std::string_view comment,
                                         const ledger::Actor& actor, std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(comment, "comment", 3, 2000));
  if (!state.out_of_service) {
    return Unexpected(FailedPrecondition(state.id + " is not out of service"));
  }
  if (state.pending_return) {
    return Unexpected(FailedPrecondition(
        state.id + "'s return to service (" +
        Awaiting(*state.pending_return, EntryKind::kReturnedToService) + ") is already recorded"));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kReturnedToService, actor, terminal);
  event.payload.Set("comment", std::string(comment));
  event.payload.Set("needs_verification",
                    state.definition.NeedsVerification(EntryKind::kReturnedToService));
  return event;
}

namespace {

Result<const Signoff*> SignableEntry(const EquipmentState& state, int number, EntryKind* kind) {
  if (!state.exists) return Unexpected(NotFound("no such equipment", "equipment_id"));
  if (number < 1 || number > state.entries) {
    return Unexpected(NotFound(state.id + " has no logbook entry " + std::to_string(number)));
  }
  const Signoff* signoff = state.Signable(number, kind);
  if (signoff == nullptr) {
    return Unexpected(FailedPrecondition(
        "entry " + std::to_string(number) + " of " + state.id +
        " takes no signature: it is not a cleaning, maintenance, calibration, qualification or "
        "return to service, or a later entry of its kind supersedes it"));
  }
  return signoff;
}

}  // namespace

Result<ledger::NewEvent> SignEntry(const EquipmentState& state, int number, std::string_view signer,
                                   const ledger::Actor& actor, std::string_view terminal) {
  EntryKind kind = EntryKind::kCleaning;
  ALIQUOT_ASSIGN_OR_RETURN(const Signoff* signoff, SignableEntry(state, number, &kind));
  if (signoff->performed_by != signer) {
    // 21 CFR 11.50, 211.182 (G-07): the logbook shows who did the work; only they sign it so.
    return Unexpected(
        PermissionDenied(std::string(EntryKindName(kind)) + " entry " + std::to_string(number) +
                             " of " + state.id + " was performed by " + signoff->performed_by +
                             "; only " + signoff->performed_by + " may sign it as performed",
                         "meaning"));
  }
  if (signoff->signed_at) {
    return Unexpected(FailedPrecondition("entry " + std::to_string(number) + " of " + state.id +
                                         " is already signed as performed"));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kSigned, actor, terminal);
  event.payload.Set("entry", number);
  event.payload.Set("kind", EntryKindName(kind));
  event.payload.Set("signer", std::string(signer));
  return event;
}

Result<ledger::NewEvent> VerifyEntry(const EquipmentState& state, int number,
                                     std::string_view verifier, const ledger::Actor& actor,
                                     std::string_view terminal) {
  EntryKind kind = EntryKind::kCleaning;
  ALIQUOT_ASSIGN_OR_RETURN(const Signoff* signoff, SignableEntry(state, number, &kind));
  const std::string entry = "entry " + std::to_string(number) + " of " + state.id;
  if (!signoff->needs_verification) {
    return Unexpected(FailedPrecondition(entry + " needs no second-person check"));
  }
  if (signoff->verified_at) return Unexpected(FailedPrecondition(entry + " is already verified"));
  if (!signoff->signed_at) {
    return Unexpected(FailedPrecondition(entry + " is verified after " + signoff->performed_by +
                                         " signs it as performed"));
  }
  if (verifier.empty() || signoff->performed_by == verifier) {
    // A11-01: the second check is another person's.
    return Unexpected(PermissionDenied(verifier.empty()
                                           ? "no verifier"
                                           : std::string(verifier) + " performed " + entry +
                                                 " and cannot verify it; another person must",
                                       "meaning"));
  }
  ledger::NewEvent event = EntryEvent(state, EntryKind::kVerified, actor, terminal);
  event.payload.Set("entry", number);
  event.payload.Set("kind", EntryKindName(kind));
  event.payload.Set("verifier", std::string(verifier));
  return event;
}

namespace {

std::optional<EntryKind> KindOfEvent(std::string_view type) {
  return EnumFromName<EntryKind>(kEventTypes, type);
}

Signoff NewSignoff(const ledger::Event& event, int entry, bool needs_verification) {
  Signoff signoff;
  signoff.entry = entry;
  signoff.at = event.time;
  signoff.performed_by = event.actor.id;
  signoff.needs_verification = needs_verification;
  return signoff;
}

// Brings the effect of a signed kind once it is effective (see the header's principle).
void Promote(EquipmentState& state, EntryKind kind) {
  switch (kind) {
    case EntryKind::kQualification:
      if (state.qualification->signoff.Effective()) state.qualified = state.qualification->status;
      break;
    case EntryKind::kCleaning:
      if (state.latest_cleaning->signoff.Effective()) state.clean = state.latest_cleaning;
      break;
    case EntryKind::kCalibration:
      if (state.latest_calibration->signoff.Effective() && state.latest_calibration->in_tolerance) {
        state.good_calibration = state.latest_calibration;
        state.failed_calibration.reset();
      }
      break;
    case EntryKind::kMaintenance:
      if (state.latest_maintenance->signoff.Effective() &&
          state.latest_maintenance->type == MaintenanceType::kPreventive) {
        state.preventive_done = state.latest_maintenance->performed_on;
      }
      break;
    case EntryKind::kReturnedToService:
      if (state.pending_return->Effective()) {
        state.out_of_service.reset();
        state.pending_return.reset();
      }
      break;
    default:
      break;
  }
}

Signoff* MutableSignable(EquipmentState& state, int number, EntryKind* kind) {
  return const_cast<Signoff*>(std::as_const(state).Signable(number, kind));
}

}  // namespace

Status ApplyEquipmentEvent(EquipmentState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader reader, ledger::PayloadReader::Parse(event));
  const std::optional<EntryKind> kind = KindOfEvent(event.event_type);
  if (!kind) return Unexpected(reader.Corrupt("not an equipment event"));
  ALIQUOT_ASSIGN_OR_RETURN(Json payload, ParseJson(event.payload));
  const JsonFields fields(payload,
                          "event seq " + std::to_string(event.seq) + " (" + event.event_type + ")");
  if ((*kind == EntryKind::kRegistered) == state.exists) {
    return Unexpected(reader.Corrupt(state.exists ? "the equipment is already registered"
                                                  : "the equipment is not registered"));
  }
  const int entry = state.entries + 1;
  const auto needs_verification = [&]() { return fields.Bool("needs_verification"); };
  switch (*kind) {
    case EntryKind::kRegistered:
    case EntryKind::kRedefined: {
      ALIQUOT_ASSIGN_OR_RETURN(const Json* definition, fields.Object("definition"));
      ALIQUOT_ASSIGN_OR_RETURN(state.definition,
                               DefinitionFromJson(*definition, "equipment definition"));
      if (*kind == EntryKind::kRegistered) {
        state.exists = true;
        state.id = event.stream.id;
        state.registered_at = event.time;
      }
      break;
    }
    case EntryKind::kQualification: {
      Qualification qualification;
      ALIQUOT_RETURN_IF_ERROR(ReadQualificationBody(fields, qualification));
      qualification.signoff = NewSignoff(event, entry, true);
      // Withdrawing a qualification restricts use: at once.
      if (qualification.status == QualificationStatus::kNotQualified) {
        state.qualified = QualificationStatus::kNotQualified;
      }
      state.qualification = std::move(qualification);
      break;
    }
    case EntryKind::kUseStarted: {
      Use use;
      ALIQUOT_RETURN_IF_ERROR(ReadUseBody(fields, use));
      use.entry = entry;
      use.started = event.time;
      state.last_use = std::move(use);
      break;
    }
    case EntryKind::kUseEnded:
      if (!state.last_use || state.last_use->ended) {
        return Unexpected(reader.Corrupt("no use to end"));
      }
      state.last_use->ended = event.time;
      state.last_use->ended_entry = entry;
      break;
    case EntryKind::kUseRefused:
      break;
    case EntryKind::kCleaning: {
      Cleaning cleaning;
      ALIQUOT_RETURN_IF_ERROR(ReadCleaningBody(fields, cleaning));
      ALIQUOT_ASSIGN_OR_RETURN(const bool verify, needs_verification());
      cleaning.signoff = NewSignoff(event, entry, verify);
      state.latest_cleaning = std::move(cleaning);
      break;
    }
    case EntryKind::kMaintenance: {
      Maintenance maintenance;
      ALIQUOT_RETURN_IF_ERROR(ReadMaintenanceBody(fields, maintenance));
      ALIQUOT_ASSIGN_OR_RETURN(const bool verify, needs_verification());
      maintenance.signoff = NewSignoff(event, entry, verify);
      state.latest_maintenance = std::move(maintenance);
      break;
    }
    case EntryKind::kCalibration: {
      Calibration calibration;
      ALIQUOT_RETURN_IF_ERROR(ReadCalibrationBody(fields, calibration));
      ALIQUOT_ASSIGN_OR_RETURN(const bool verify, needs_verification());
      calibration.signoff = NewSignoff(event, entry, verify);
      // Out of tolerance as left restricts use: at once, before anyone signs.
      if (!calibration.in_tolerance) state.failed_calibration = entry;
      state.latest_calibration = std::move(calibration);
      break;
    }
    case EntryKind::kOutOfService: {
      OutOfService out;
      out.entry = entry;
      out.since = event.time;
      ALIQUOT_ASSIGN_OR_RETURN(out.reason, fields.String("reason"));
      out.by = event.actor.id;
      state.out_of_service = std::move(out);
      state.pending_return.reset();
      break;
    }
    case EntryKind::kReturnedToService: {
      ALIQUOT_ASSIGN_OR_RETURN(const bool verify, needs_verification());
      state.pending_return = NewSignoff(event, entry, verify);
      break;
    }
    case EntryKind::kSigned:
    case EntryKind::kVerified: {
      ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, fields.Integer("entry"));
      EntryKind signed_kind = EntryKind::kCleaning;
      Signoff* signoff = MutableSignable(state, static_cast<int>(number), &signed_kind);
      if (signoff == nullptr)
        return Unexpected(reader.Corrupt("no signable entry " + std::to_string(number)));
      if (*kind == EntryKind::kSigned) {
        signoff->signed_at = event.time;
      } else {
        signoff->verified_at = event.time;
        ALIQUOT_ASSIGN_OR_RETURN(signoff->verified_by, fields.String("verifier"));
      }
      Promote(state, signed_kind);
      break;
    }
  }
  state.entries = entry;
  return {};
}

Result<LogbookEntry> EntryOf(const EquipmentState& before, const ledger::Event& event) {
  const std::optional<EntryKind> kind = KindOfEvent(event.event_type);
  ALIQUOT_ASSIGN_OR_RETURN(Json payload, ParseJson(event.payload));
  if (!kind) {
    return Unexpected(
        DataLoss("event seq " + std::to_string(event.seq) + " is not an equipment event"));
  }
  LogbookEntry entry;
  entry.equipment = event.stream.id;
  entry.number = before.entries + 1;
  entry.kind = *kind;
  entry.at = event.time;
  entry.by = event.actor.id;
  entry.by_name = event.actor.name;
  entry.terminal = event.terminal;
  entry.reason = event.reason;
  const auto text = [&](std::string_view name) -> std::string {
    const Json* member = payload.Find(name);
    return member != nullptr && member->IsString() ? member->AsString() : std::string();
  };
  const auto with_comment = [&](const std::string& summary) {
    const std::string comment = text("comment");
    return comment.empty() ? summary : summary + ". " + comment;
  };
  const Json* alert = payload.Find("alert");
  entry.alert = alert != nullptr && alert->IsBool() && alert->AsBool();
  switch (*kind) {
    case EntryKind::kRegistered:
      entry.summary = "Registered in room " + before.definition.room;
      if (const Json* definition = payload.Find("definition"); definition != nullptr) {
        if (const Json* room = definition->Find("room"); room != nullptr && room->IsString()) {
          entry.summary =
              "Registered in room " + room->AsString() + " (grade " + text("room_grade") + ")";
        }
      }
      break;
    case EntryKind::kRedefined:
      entry.summary = "Definition changed";
      break;
    case EntryKind::kQualification:
      entry.summary =
          with_comment("Qualification: " + text("status") + " (" + text("reference") + ")");
      break;
    case EntryKind::kUseStarted:
      entry.batch = text("batch");
      entry.summary = "Use started by batch " + entry.batch +
                      (text("step").empty() ? "" : ", step " + text("step")) +
                      (text("lot").empty() ? "" : ", lot " + text("lot"));
      break;
    case EntryKind::kUseEnded:
      entry.batch = text("batch");
      entry.summary = with_comment("Use ended by batch " + entry.batch);
      break;
    case EntryKind::kUseRefused:
      entry.batch = text("batch");
      entry.summary = "Use refused (" + text("refusal") + "): " + text("message");
      break;
    case EntryKind::kCleaning:
      entry.summary = with_comment("Cleaned with " + text("agent") + " (" + text("method") + ")");
      break;
    case EntryKind::kMaintenance:
      entry.summary =
          with_comment(std::string(text("type") == "preventive" ? "Preventive" : "Corrective") +
                       " maintenance: " + text("description"));
      break;
    case EntryKind::kCalibration: {
      const Json* found = payload.Find("as_found_in_tolerance");
      const Json* left = payload.Find("in_tolerance");
      const bool found_ok = found != nullptr && found->IsBool() && found->AsBool();
      const bool left_ok = left != nullptr && left->IsBool() && left->AsBool();
      entry.summary = with_comment(
          "Calibrated by " + text("provider") + ": " +
          (found_ok ? std::string("in tolerance")
                    : std::string("OUT OF TOLERANCE as found") +
                          (left_ok ? ", in tolerance as left" : ", out of tolerance as left")));
      break;
    }
    case EntryKind::kOutOfService:
      entry.summary = "Taken out of service: " + text("reason");
      break;
    case EntryKind::kReturnedToService:
      entry.summary = with_comment("Returned to service");
      break;
    case EntryKind::kSigned:
    case EntryKind::kVerified: {
      const Json* number = payload.Find("entry");
      const std::string which =
          number != nullptr && number->IsNumber() ? CanonicalNumber(number->AsNumber()) : "?";
      entry.summary = (*kind == EntryKind::kSigned ? "Signed as performed: entry "
                                                   : "Verified by a second person: entry ") +
                      which + " (" + text("kind") + ")";
      break;
    }
  }
  entry.details = std::move(payload);
  return entry;
}

Json EntryContent(const LogbookEntry& entry) {
  Json json = Json::MakeObject();
  json.Set("equipment", entry.equipment);
  json.Set("entry", entry.number);
  json.Set("kind", EntryKindName(entry.kind));
  json.Set("at", entry.at.ToRfc3339());
  json.Set("performed_by", entry.by);
  json.Set("performed_by_name", entry.by_name);
  json.Set("terminal", entry.terminal);
  json.Set("summary", entry.summary);
  json.Set("details", entry.details);
  return json;
}

EquipmentState ForCheck(const EquipmentState& state) {
  EquipmentState lean = state;
  const auto strip_calibration = [](std::optional<Calibration>& calibration) {
    if (!calibration) return;
    calibration->points.clear();
    calibration->provider.clear();
    calibration->reference_standard.clear();
    calibration->certificate_sha256.reset();
  };
  strip_calibration(lean.latest_calibration);
  strip_calibration(lean.good_calibration);
  for (std::optional<Cleaning>* cleaning : {&lean.latest_cleaning, &lean.clean}) {
    if (*cleaning) {
      (*cleaning)->agent.clear();
      (*cleaning)->method.clear();
    }
  }
  if (lean.latest_maintenance) lean.latest_maintenance->description.clear();
  if (lean.qualification) {
    lean.qualification->reference.clear();
    lean.qualification->report_sha256.reset();
  }
  lean.definition.manufacturer.clear();
  lean.definition.model.clear();
  lean.definition.serial_number.clear();
  return lean;
}

Json EquipmentToJson(const EquipmentState& state) {
  Json json = Json::MakeObject();
  json.Set("id", state.id);
  json.Set("definition", DefinitionToJson(state.definition));
  json.Set("registered_at", materials::TimeToJson(state.registered_at));
  json.Set("entries", state.entries);
  json.Set("qualification", OptionalPartToJson(state.qualification, QualificationBody));
  json.Set("qualified", QualificationStatusName(state.qualified));
  if (state.last_use) {
    Json use = UseBody(*state.last_use);
    use.Set("entry", state.last_use->entry);
    use.Set("started", materials::TimeToJson(state.last_use->started));
    use.Set("ended", materials::OptionalTimeToJson(state.last_use->ended));
    use.Set("ended_entry", state.last_use->ended_entry);
    json.Set("last_use", std::move(use));
  } else {
    json.Set("last_use", nullptr);
  }
  json.Set("latest_cleaning", OptionalPartToJson(state.latest_cleaning, CleaningBody));
  json.Set("clean", OptionalPartToJson(state.clean, CleaningBody));
  json.Set("latest_calibration", OptionalPartToJson(state.latest_calibration, CalibrationBody));
  json.Set("good_calibration", OptionalPartToJson(state.good_calibration, CalibrationBody));
  json.Set("failed_calibration", OptionalInt(state.failed_calibration));
  json.Set("latest_maintenance", OptionalPartToJson(state.latest_maintenance, MaintenanceBody));
  json.Set("preventive_done", materials::OptionalTimeToJson(state.preventive_done));
  if (state.out_of_service) {
    Json out = Json::MakeObject();
    out.Set("entry", state.out_of_service->entry);
    out.Set("since", materials::TimeToJson(state.out_of_service->since));
    out.Set("reason", state.out_of_service->reason);
    out.Set("by", state.out_of_service->by);
    json.Set("out_of_service", std::move(out));
  } else {
    json.Set("out_of_service", nullptr);
  }
  json.Set("pending_return",
           state.pending_return ? SignoffToJson(*state.pending_return) : Json(nullptr));
  return json;
}

Result<EquipmentState> EquipmentFromJson(const Json& json) {
  const JsonFields fields(json, "equipment");
  EquipmentState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* definition, fields.Object("definition"));
  ALIQUOT_ASSIGN_OR_RETURN(state.definition,
                           DefinitionFromJson(*definition, "equipment " + state.id));
  ALIQUOT_ASSIGN_OR_RETURN(state.registered_at, fields.Time("registered_at"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t entries, fields.Integer("entries"));
  state.entries = static_cast<int>(entries);
  ALIQUOT_ASSIGN_OR_RETURN(
      state.qualification,
      OptionalPart<Qualification>(fields, json, "qualification", ReadQualificationBody));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string qualified, fields.String("qualified"));
  const auto parsed = QualificationStatusFromName(qualified);
  if (!parsed) return Unexpected(fields.Corrupt("unknown qualification " + qualified));
  state.qualified = *parsed;
  if (const Json* use = json.Find("last_use"); use != nullptr && !use->IsNull()) {
    const JsonFields use_fields(*use, "last use");
    Use last;
    ALIQUOT_RETURN_IF_ERROR(ReadUseBody(use_fields, last));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t use_entry, use_fields.Integer("entry"));
    last.entry = static_cast<int>(use_entry);
    ALIQUOT_ASSIGN_OR_RETURN(last.started, use_fields.Time("started"));
    ALIQUOT_ASSIGN_OR_RETURN(last.ended, use_fields.OptionalTime("ended"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t ended_entry, use_fields.Integer("ended_entry"));
    last.ended_entry = static_cast<int>(ended_entry);
    state.last_use = std::move(last);
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      state.latest_cleaning,
      OptionalPart<Cleaning>(fields, json, "latest_cleaning", ReadCleaningBody));
  ALIQUOT_ASSIGN_OR_RETURN(state.clean,
                           OptionalPart<Cleaning>(fields, json, "clean", ReadCleaningBody));
  ALIQUOT_ASSIGN_OR_RETURN(
      state.latest_calibration,
      OptionalPart<Calibration>(fields, json, "latest_calibration", ReadCalibrationBody));
  ALIQUOT_ASSIGN_OR_RETURN(
      state.good_calibration,
      OptionalPart<Calibration>(fields, json, "good_calibration", ReadCalibrationBody));
  ALIQUOT_ASSIGN_OR_RETURN(state.failed_calibration,
                           ReadOptionalInt(fields, json, "failed_calibration"));
  ALIQUOT_ASSIGN_OR_RETURN(
      state.latest_maintenance,
      OptionalPart<Maintenance>(fields, json, "latest_maintenance", ReadMaintenanceBody));
  ALIQUOT_ASSIGN_OR_RETURN(state.preventive_done, fields.OptionalTime("preventive_done"));
  if (const Json* out = json.Find("out_of_service"); out != nullptr && !out->IsNull()) {
    const JsonFields out_fields(*out, "out of service");
    OutOfService record;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t out_entry, out_fields.Integer("entry"));
    record.entry = static_cast<int>(out_entry);
    ALIQUOT_ASSIGN_OR_RETURN(record.since, out_fields.Time("since"));
    ALIQUOT_ASSIGN_OR_RETURN(record.reason, out_fields.String("reason"));
    ALIQUOT_ASSIGN_OR_RETURN(record.by, out_fields.String("by"));
    state.out_of_service = std::move(record);
  }
  if (const Json* pending = json.Find("pending_return"); pending != nullptr && !pending->IsNull()) {
    ALIQUOT_ASSIGN_OR_RETURN(state.pending_return, SignoffFromJson(*pending, "pending return"));
  }
  return state;
}

}  // namespace aliquot::equipment
