#include "aliquot/app/environment_records.h"

#include <algorithm>
#include <utility>

#include "aliquot/core/json.h"

namespace aliquot::app {
namespace {

using environment::LocationState;
using environment::RoomState;
using environment::SampleState;

const TableSpec& RoomsTable() {
  static const TableSpec kTable{"rooms",
                                {{"room_id", ColumnType::kText},
                                 {"site", ColumnType::kText},
                                 {"grade", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

// Each revision of a room from the instant it was recorded: the grade a check at a past instant
// judges by.
const TableSpec& RoomRevisionsTable() {
  static const TableSpec kTable{
      "room_revisions",
      {{"room", ColumnType::kText}, {"at", ColumnType::kInteger}, {"state", ColumnType::kText}},
      2};
  return kTable;
}

const TableSpec& LocationsTable() {
  static const TableSpec kTable{"em_locations",
                                {{"location_id", ColumnType::kText},
                                 {"room", ColumnType::kText},
                                 {"grade", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

const TableSpec& SamplesTable() {
  static const TableSpec kTable{"em_samples",
                                {{"sample_id", ColumnType::kText},
                                 {"location", ColumnType::kText},
                                 {"room", ColumnType::kText},
                                 {"type", ColumnType::kText},
                                 {"taken_at", ColumnType::kInteger},
                                 {"outcome", ColumnType::kText},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}
constexpr std::size_t kSampleState = 6;

const TableSpec& LocationSamplesTable() {
  static const TableSpec kTable{"em_location_samples",
                                {{"location", ColumnType::kText},
                                 {"type", ColumnType::kText},
                                 {"taken_at", ColumnType::kInteger},
                                 {"sample_id", ColumnType::kText},
                                 {"outcome", ColumnType::kText}},
                                4};
  return kTable;
}

// Every sample by the time it was taken, across locations: the list a QC analyst pages through.
const TableSpec& SampleTimesTable() {
  static const TableSpec kTable{
      "em_sample_times", {{"taken_at", ColumnType::kInteger}, {"sample_id", ColumnType::kText}}, 2};
  return kTable;
}

template <typename State, typename Decode>
Result<State> Decode(const std::string& text, const std::string& what, Decode decode) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(what + " does not read back: " + json.error().Message()));
  return decode(*json);
}

class EnvironmentProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{RoomsTable(),           RoomRevisionsTable(),
                                                LocationsTable(),       SamplesTable(),
                                                LocationSamplesTable(), SampleTimesTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (!event.event_type.starts_with("environment.")) return {};
    const std::string& type = event.stream.type;
    const std::string& id = event.stream.id;
    if (type == "room") {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(RoomsTable(), {id}));
      RoomState state;
      if (row) {
        ALIQUOT_ASSIGN_OR_RETURN(
            state, Decode<RoomState>(Text(*row, 3), "room " + id, environment::RoomFromJson));
      }
      ALIQUOT_RETURN_IF_ERROR(environment::ApplyRoomEvent(state, event));
      std::string state_json = CanonicalJson(environment::RoomToJson(state));
      ALIQUOT_RETURN_IF_ERROR(
          writer.Upsert(RoomRevisionsTable(), {id, event.time.Micros(), state_json}));
      return writer.Upsert(RoomsTable(),
                           {id, state.site, std::string(environment::GradeName(state.grade)),
                            std::move(state_json)});
    }
    if (type == "em_location") {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(LocationsTable(), {id}));
      LocationState state;
      if (row) {
        ALIQUOT_ASSIGN_OR_RETURN(state, Decode<LocationState>(Text(*row, 3), "location " + id,
                                                              environment::LocationFromJson));
      }
      ALIQUOT_RETURN_IF_ERROR(environment::ApplyLocationEvent(state, event));
      return writer.Upsert(LocationsTable(),
                           {id, state.room, std::string(environment::GradeName(state.grade)),
                            CanonicalJson(environment::LocationToJson(state))});
    }
    if (type != "em_sample") return {};
    SampleState state;
    ALIQUOT_RETURN_IF_ERROR(environment::ApplySampleEvent(state, event));
    const std::string sample_type(environment::SampleTypeName(state.type));
    const std::string outcome(environment::OutcomeName(state.outcome));
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(
        SamplesTable(), {id, state.location, state.room, sample_type, state.taken_at.Micros(),
                         outcome, CanonicalJson(environment::SampleToJson(state))}));
    ALIQUOT_RETURN_IF_ERROR(
        writer.Upsert(LocationSamplesTable(),
                      {state.location, sample_type, state.taken_at.Micros(), id, outcome}));
    return writer.Upsert(SampleTimesTable(), {state.taken_at.Micros(), id});
  }
};

template <typename State, typename DecodeFn>
Result<State> Load(StoreReader& reader, const TableSpec& table, std::size_t column,
                   const std::string& id, const std::string& what, DecodeFn decode) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(table, {id}));
  if (!row) return State();
  return Decode<State>(Text(*row, column), what + " " + id, decode);
}

template <typename State, typename DecodeFn>
Result<std::vector<State>> LoadAll(StoreReader& reader, const TableSpec& table, std::size_t column,
                                   const std::string& what, DecodeFn decode) {
  std::vector<State> states;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(table, [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(State state,
                             Decode<State>(Text(row, column), what + " " + Text(row, 0), decode));
    states.push_back(std::move(state));
    return {};
  }));
  return states;
}

}  // namespace

std::unique_ptr<Projector> MakeEnvironmentProjector() {
  return std::make_unique<EnvironmentProjector>();
}

Result<RoomState> LoadRoom(StoreReader& reader, const std::string& id) {
  return Load<RoomState>(reader, RoomsTable(), 3, id, "room", environment::RoomFromJson);
}

Result<RoomState> LoadRoomAt(StoreReader& reader, const std::string& id, Timestamp at) {
  std::optional<std::string> state;
  RowRange range;
  range.prefix = {id};
  range.before = at.Micros() == INT64_MAX ? at.Micros() : at.Micros() + 1;
  range.descending = true;
  range.limit = 1;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(RoomRevisionsTable(), range, [&](const Row& row) {
    state = Text(row, 2);
    return Status();
  }));
  if (!state) return RoomState();
  return Decode<RoomState>(*state, "room " + id, environment::RoomFromJson);
}

Result<std::vector<RoomState>> LoadRooms(StoreReader& reader) {
  return LoadAll<RoomState>(reader, RoomsTable(), 3, "room", environment::RoomFromJson);
}

Result<LocationState> LoadLocation(StoreReader& reader, const std::string& id) {
  return Load<LocationState>(reader, LocationsTable(), 3, id, "location",
                             environment::LocationFromJson);
}

Result<std::vector<LocationState>> LoadLocations(StoreReader& reader) {
  return LoadAll<LocationState>(reader, LocationsTable(), 3, "location",
                                environment::LocationFromJson);
}

Result<SampleState> LoadSample(StoreReader& reader, const std::string& id) {
  return Load<SampleState>(reader, SamplesTable(), kSampleState, id, "sample",
                           environment::SampleFromJson);
}

Result<std::vector<SampleState>> LoadLocationSamples(StoreReader& reader,
                                                     const std::string& location, Timestamp from,
                                                     Timestamp to, std::size_t limit) {
  std::vector<SampleState> samples;
  for (const environment::SampleType type :
       {environment::SampleType::kParticles05, environment::SampleType::kParticles5,
        environment::SampleType::kActiveAir, environment::SampleType::kSettlePlate,
        environment::SampleType::kContactPlate, environment::SampleType::kGlovePrint}) {
    RowRange range;
    range.prefix = {location, std::string(environment::SampleTypeName(type))};
    range.after = from.Micros() - 1;
    range.before = to.Micros() + 1;
    range.limit = limit;
    ALIQUOT_RETURN_IF_ERROR(
        reader.ScanRowRange(LocationSamplesTable(), range, [&](const Row& row) -> Status {
          ALIQUOT_ASSIGN_OR_RETURN(SampleState sample, LoadSample(reader, Text(row, 3)));
          samples.push_back(std::move(sample));
          return {};
        }));
  }
  std::sort(samples.begin(), samples.end(), [](const SampleState& a, const SampleState& b) {
    return a.taken_at != b.taken_at ? a.taken_at < b.taken_at : a.id < b.id;
  });
  if (samples.size() > limit) samples.resize(limit);
  return samples;
}

Result<std::vector<SampleState>> LoadSamples(StoreReader& reader, Timestamp from, Timestamp to,
                                             std::size_t limit) {
  std::vector<SampleState> samples;
  RowRange range;
  range.after = from.Micros() - 1;
  range.before = to.Micros() + 1;
  range.limit = limit;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowRange(SampleTimesTable(), range, [&](const Row& row) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(SampleState sample, LoadSample(reader, Text(row, 1)));
        samples.push_back(std::move(sample));
        return {};
      }));
  return samples;
}

Result<std::optional<Timestamp>> LastCompliantSample(StoreReader& reader,
                                                     const std::string& location,
                                                     environment::SampleType type,
                                                     Timestamp before) {
  std::optional<Timestamp> found;
  RowRange range;
  range.prefix = {location, std::string(environment::SampleTypeName(type))};
  range.before = before.Micros();
  range.descending = true;
  const Error found_one = Internal("found");
  // The scan stops at the first compliant sample: the visitor's error ends it.
  const Status scanned =
      reader.ScanRowRange(LocationSamplesTable(), range, [&](const Row& row) -> Status {
        if (Text(row, 4) == environment::OutcomeName(environment::Outcome::kAction)) return {};
        found = Timestamp::FromMicros(Int(row, 2));
        return Unexpected(found_one);
      });
  if (!scanned && !found) return Unexpected(scanned.error());
  return found;
}

}  // namespace aliquot::app
