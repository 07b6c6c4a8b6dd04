#include "aliquot/domain/quality/deviation.h"

#include <array>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/domain/materials/codec.h"

namespace aliquot::quality {
namespace {

constexpr std::array<std::string_view, 2> kSourceNames = {"calibration_out_of_tolerance",
                                                          "environmental_excursion"};
constexpr std::array<std::string_view, 1> kStatusNames = {"open"};
constexpr std::string_view kRaised = "quality.deviation_raised";

Json Strings(const std::vector<std::string>& texts) {
  Json array = Json::MakeArray();
  for (const std::string& text : texts) array.Push(text);
  return array;
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
  json.Set("batches", Strings(input.batches));
  return json;
}

using TimeReader = Result<std::optional<Timestamp>> (*)(const materials::JsonFields&,
                                                        std::string_view);

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

Status ApplyDeviationEvent(DeviationState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader reader, ledger::PayloadReader::Parse(event));
  if (event.event_type != kRaised) return Unexpected(reader.Corrupt("not a deviation event"));
  if (state.exists) return Unexpected(reader.Corrupt("the deviation was already raised"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json payload, ParseJson(event.payload));
  ALIQUOT_ASSIGN_OR_RETURN(
      state.details,
      DetailsFromJson(payload, "event seq " + std::to_string(event.seq), Rfc3339Member));
  state.exists = true;
  state.id = event.stream.id;
  state.status = DeviationStatus::kOpen;
  state.raised_at = event.time;
  state.raised_by = event.actor.id;
  return {};
}

Json DeviationToJson(const DeviationState& deviation) {
  Json json = Json::MakeObject();
  json.Set("id", deviation.id);
  json.Set("details", DetailsToJson(deviation.details, materials::OptionalTimeToJson));
  json.Set("status", DeviationStatusName(deviation.status));
  json.Set("raised_at", materials::TimeToJson(deviation.raised_at));
  json.Set("raised_by", deviation.raised_by);
  return json;
}

Result<DeviationState> DeviationFromJson(const Json& json) {
  const materials::JsonFields fields(json, "deviation");
  DeviationState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* details, fields.Object("details"));
  ALIQUOT_ASSIGN_OR_RETURN(state.details,
                           DetailsFromJson(*details, "deviation " + state.id, MicrosMember));
  ALIQUOT_ASSIGN_OR_RETURN(state.raised_at, fields.Time("raised_at"));
  ALIQUOT_ASSIGN_OR_RETURN(state.raised_by, fields.String("raised_by"));
  return state;
}

}  // namespace aliquot::quality
