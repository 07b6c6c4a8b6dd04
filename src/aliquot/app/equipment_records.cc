#include "aliquot/app/equipment_records.h"

#include <set>
#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using equipment::EntryKind;
using equipment::EquipmentState;

const TableSpec& EquipmentTable() {
  static const TableSpec kTable{"equipment",
                                {{"equipment_id", ColumnType::kText},
                                 {"name", ColumnType::kText},
                                 {"class", ColumnType::kText},
                                 {"room", ColumnType::kText},
                                 {"in_use_batch", ColumnType::kText, true},
                                 {"check_state", ColumnType::kText}},
                                1};
  return kTable;
}
enum EquipmentColumn : std::size_t {
  kEquipmentId,
  kName,
  kClass,
  kRoom,
  kInUseBatch,
  kCheckState,  // equipment::ForCheck of the state: what the check at now decodes.
};

// The whole state, apart from the row the check reads, so that the check copies none of it.
const TableSpec& EquipmentStatesTable() {
  static const TableSpec kTable{
      "equipment_states", {{"equipment_id", ColumnType::kText}, {"state", ColumnType::kText}}, 1};
  return kTable;
}
constexpr std::size_t kState = 1;

enum LogbookColumn : std::size_t {
  kLogEquipment,
  kLogEntry,
  kLogKind,
  kLogAt,
  kLogBy,
  kLogByName,
  kLogTerminal,
  kLogSummary,
  kLogReason,
  kLogAlert,
  kLogBatch,
  kLogDetails,
  kLogSignedBy,
  kLogSignedAt,
  kLogVerifiedBy,
  kLogVerifiedAt,
  kLogStateAfter,
};

const TableSpec& LogbookTimesTable() {
  static const TableSpec kTable{"equipment_logbook_times",
                                {{"equipment", ColumnType::kText},
                                 {"at", ColumnType::kInteger},
                                 {"entry", ColumnType::kInteger}},
                                3};
  return kTable;
}

const TableSpec& UsesTable() {
  static const TableSpec kTable{"equipment_uses",
                                {{"equipment", ColumnType::kText},
                                 {"entry", ColumnType::kInteger},
                                 {"batch", ColumnType::kText},
                                 {"room", ColumnType::kText},
                                 {"started", ColumnType::kInteger},
                                 {"ended", ColumnType::kInteger, true}},
                                2};
  return kTable;
}

const TableSpec& RoomUsesTable() {
  static const TableSpec kTable{"room_uses",
                                {{"room", ColumnType::kText},
                                 {"at", ColumnType::kInteger},
                                 {"equipment", ColumnType::kText},
                                 {"entry", ColumnType::kInteger},
                                 {"batch", ColumnType::kText},
                                 {"event", ColumnType::kText}},
                                4};
  return kTable;
}

Value TimeOrNull(const std::optional<Timestamp>& time) {
  return time ? Value(time->Micros()) : Value(std::monostate());
}

std::optional<Timestamp> OptionalTime(const Row& row, std::size_t column) {
  if (!std::holds_alternative<std::int64_t>(row[column])) return std::nullopt;
  return Timestamp::FromMicros(Int(row, column));
}

Result<EquipmentState> DecodeState(const std::string& text, const std::string& what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(what + " does not read back: " + json.error().Message()));
  return equipment::EquipmentFromJson(*json);
}

Row EquipmentRow(const EquipmentState& state) {
  const bool in_use = state.last_use && !state.last_use->ended;
  return {state.id,
          state.definition.name,
          std::string(equipment::EquipmentClassName(state.definition.equipment_class)),
          state.definition.room,
          in_use ? Value(state.last_use->batch) : Value(std::monostate()),
          CanonicalJson(equipment::EquipmentToJson(equipment::ForCheck(state)))};
}

Row LogbookRowOf(const equipment::LogbookEntry& entry, std::string state_after) {
  return {entry.equipment,
          std::int64_t{entry.number},
          std::string(equipment::EntryKindName(entry.kind)),
          entry.at.Micros(),
          entry.by,
          entry.by_name,
          entry.terminal,
          entry.summary,
          TextOrNull(entry.reason),
          std::int64_t{entry.alert ? 1 : 0},
          entry.batch.empty() ? Value(std::monostate()) : Value(entry.batch),
          CanonicalJson(entry.details),
          Value(std::monostate()),
          Value(std::monostate()),
          Value(std::monostate()),
          Value(std::monostate()),
          std::move(state_after)};
}

Result<LogbookRow> ReadLogbookRow(const Row& row) {
  LogbookRow result;
  equipment::LogbookEntry& entry = result.entry;
  entry.equipment = Text(row, kLogEquipment);
  entry.number = static_cast<int>(Int(row, kLogEntry));
  const std::optional<EntryKind> kind = equipment::EntryKindFromName(Text(row, kLogKind));
  if (!kind) return Unexpected(DataLoss("logbook of " + entry.equipment + ": unknown kind"));
  entry.kind = *kind;
  entry.at = Timestamp::FromMicros(Int(row, kLogAt));
  entry.by = Text(row, kLogBy);
  entry.by_name = Text(row, kLogByName);
  entry.terminal = Text(row, kLogTerminal);
  entry.summary = Text(row, kLogSummary);
  entry.reason = OptionalText(row, kLogReason);
  entry.alert = Int(row, kLogAlert) != 0;
  entry.batch = OptionalText(row, kLogBatch).value_or("");
  auto details = ParseJson(Text(row, kLogDetails));
  if (!details) {
    return Unexpected(DataLoss("logbook entry " + std::to_string(entry.number) + " of " +
                               entry.equipment + " does not read back"));
  }
  entry.details = std::move(*details);
  result.signed_by = OptionalText(row, kLogSignedBy);
  result.signed_at = OptionalTime(row, kLogSignedAt);
  result.verified_by = OptionalText(row, kLogVerifiedBy);
  result.verified_at = OptionalTime(row, kLogVerifiedAt);
  return result;
}

// The signature of an earlier entry shows on that entry's row as well as in its own.
Status MarkSigned(ProjectionWriter& writer, const std::string& id, const ledger::Event& event,
                  bool verified) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("entry"));
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           writer.Get(EquipmentLogbookTable(), {id, number}));
  if (!row) return Unexpected(payload.Corrupt("no logbook entry " + std::to_string(number)));
  (*row)[verified ? kLogVerifiedBy : kLogSignedBy] = event.actor.id;
  (*row)[verified ? kLogVerifiedAt : kLogSignedAt] = event.time.Micros();
  return writer.Upsert(EquipmentLogbookTable(), *row);
}

class EquipmentProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{
        EquipmentTable(), EquipmentStatesTable(), EquipmentLogbookTable(), LogbookTimesTable(),
        UsesTable(),      RoomUsesTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (event.stream.type != "equipment" || !event.event_type.starts_with("equipment.")) return {};
    const std::string& id = event.stream.id;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             writer.Get(EquipmentStatesTable(), {id}));
    EquipmentState state;
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(state, DecodeState(Text(*row, kState), "equipment " + id));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const equipment::LogbookEntry entry, equipment::EntryOf(state, event));
    ALIQUOT_RETURN_IF_ERROR(equipment::ApplyEquipmentEvent(state, event));
    std::string state_json = CanonicalJson(equipment::EquipmentToJson(state));
    ALIQUOT_RETURN_IF_ERROR(
        writer.Upsert(EquipmentLogbookTable(), LogbookRowOf(entry, state_json)));
    ALIQUOT_RETURN_IF_ERROR(
        writer.Upsert(LogbookTimesTable(), {id, event.time.Micros(), std::int64_t{entry.number}}));
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(EquipmentTable(), EquipmentRow(state)));
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(EquipmentStatesTable(), {id, std::move(state_json)}));
    switch (entry.kind) {
      case EntryKind::kUseStarted: {
        const equipment::Use& use = *state.last_use;
        ALIQUOT_RETURN_IF_ERROR(
            writer.Upsert(UsesTable(), {id, std::int64_t{use.entry}, use.batch, use.room,
                                        use.started.Micros(), Value(std::monostate())}));
        return writer.Upsert(RoomUsesTable(), {use.room, use.started.Micros(), id,
                                               std::int64_t{use.entry}, use.batch, "started"});
      }
      case EntryKind::kUseEnded: {
        const equipment::Use& use = *state.last_use;
        ALIQUOT_RETURN_IF_ERROR(
            writer.Upsert(UsesTable(), {id, std::int64_t{use.entry}, use.batch, use.room,
                                        use.started.Micros(), TimeOrNull(use.ended)}));
        return writer.Upsert(RoomUsesTable(), {use.room, event.time.Micros(), id,
                                               std::int64_t{entry.number}, use.batch, "ended"});
      }
      case EntryKind::kSigned:
        return MarkSigned(writer, id, event, false);
      case EntryKind::kVerified:
        return MarkSigned(writer, id, event, true);
      default:
        return {};
    }
  }
};

}  // namespace

const TableSpec& EquipmentLogbookTable() {
  static const TableSpec kTable{"equipment_logbook",
                                {{"equipment", ColumnType::kText},
                                 {"entry", ColumnType::kInteger},
                                 {"kind", ColumnType::kText},
                                 {"at", ColumnType::kInteger},
                                 {"by_user", ColumnType::kText},
                                 {"by_name", ColumnType::kText},
                                 {"terminal", ColumnType::kText},
                                 {"summary", ColumnType::kText},
                                 {"reason", ColumnType::kText, true},
                                 {"alert", ColumnType::kInteger},
                                 {"batch", ColumnType::kText, true},
                                 {"details", ColumnType::kText},
                                 {"signed_by", ColumnType::kText, true},
                                 {"signed_at", ColumnType::kInteger, true},
                                 {"verified_by", ColumnType::kText, true},
                                 {"verified_at", ColumnType::kInteger, true},
                                 {"state_after", ColumnType::kText}},
                                2};
  return kTable;
}

std::unique_ptr<Projector> MakeEquipmentProjector() {
  return std::make_unique<EquipmentProjector>();
}

Result<EquipmentState> LoadEquipment(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(EquipmentStatesTable(), {id}));
  if (!row) return EquipmentState();
  return DecodeState(Text(*row, kState), "equipment " + id);
}

Result<EquipmentState> LoadEquipmentForCheck(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(EquipmentTable(), {id}));
  if (!row) return EquipmentState();
  return DecodeState(Text(*row, kCheckState), "equipment " + id);
}

Result<EquipmentState> LoadEquipmentAt(StoreReader& reader, const std::string& id, Timestamp at) {
  std::optional<std::int64_t> entry;
  RowRange range;
  range.prefix = {id};
  range.before = at.Micros() == INT64_MAX ? at.Micros() : at.Micros() + 1;
  range.descending = true;
  range.limit = 1;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(LogbookTimesTable(), range, [&](const Row& row) {
    entry = Int(row, 2);
    return Status();
  }));
  if (!entry) return EquipmentState();
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(EquipmentLogbookTable(), {id, *entry}));
  if (!row) {
    return Unexpected(DataLoss("equipment " + id + ": logbook entry " + std::to_string(*entry) +
                               " is indexed but missing"));
  }
  return DecodeState(Text(*row, kLogStateAfter),
                     "equipment " + id + " after entry " + std::to_string(*entry));
}

Result<std::vector<EquipmentState>> LoadAllEquipment(StoreReader& reader) {
  std::vector<EquipmentState> states;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(EquipmentStatesTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(EquipmentState state,
                             DecodeState(Text(row, kState), "equipment " + Text(row, 0)));
    states.push_back(std::move(state));
    return {};
  }));
  return states;
}

Result<std::optional<LogbookRow>> LoadLogbookEntry(StoreReader& reader, const std::string& id,
                                                   int number) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(EquipmentLogbookTable(), {id, std::int64_t{number}}));
  if (!row) return std::optional<LogbookRow>();
  ALIQUOT_ASSIGN_OR_RETURN(LogbookRow entry, ReadLogbookRow(*row));
  return std::optional<LogbookRow>(std::move(entry));
}

Result<std::vector<LogbookRow>> LoadLogbookPage(StoreReader& reader, const std::string& id,
                                                int after, int before, bool newest_first,
                                                std::size_t limit) {
  std::vector<LogbookRow> rows;
  RowRange range;
  range.prefix = {id};
  range.after = after;
  range.before = before;
  range.descending = newest_first;
  range.limit = limit;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowRange(EquipmentLogbookTable(), range, [&](const Row& row) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(LogbookRow entry, ReadLogbookRow(row));
        rows.push_back(std::move(entry));
        return {};
      }));
  return rows;
}

Result<std::vector<std::string>> BatchesUsingSince(StoreReader& reader, const std::string& id,
                                                   Timestamp since) {
  // The first entry recorded at or after `since`; the uses from it on, and the one before it if it
  // was still going on at `since` (one use at a time: only that one can span it).
  int first = 0;
  RowRange times;
  times.prefix = {id};
  times.after = since.Micros() - 1;
  times.limit = 1;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(LogbookTimesTable(), times, [&](const Row& row) {
    first = static_cast<int>(Int(row, 2));
    return Status();
  }));
  std::set<std::string> batches;
  if (first > 0) {
    RowRange uses;
    uses.prefix = {id};
    uses.after = first - 1;
    ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(UsesTable(), uses, [&](const Row& row) {
      batches.insert(Text(row, 2));
      return Status();
    }));
  }
  RowRange before;
  before.prefix = {id};
  if (first > 0) before.before = first;
  before.descending = true;
  before.limit = 1;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(UsesTable(), before, [&](const Row& row) {
    const std::optional<Timestamp> ended = OptionalTime(row, 5);
    if (!ended || *ended >= since) batches.insert(Text(row, 2));
    return Status();
  }));
  return std::vector<std::string>(batches.begin(), batches.end());
}

Result<std::vector<std::string>> BatchesInRoomSince(StoreReader& reader, const std::string& room,
                                                    Timestamp from) {
  std::set<std::string> batches;
  RowRange range;
  range.prefix = {room};
  range.after = from.Micros() - 1;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(RoomUsesTable(), range, [&](const Row& row) {
    batches.insert(Text(row, 4));
    return Status();
  }));
  // A use that began before `from` and goes on: the equipment's row says so.
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(EquipmentTable(), [&](const Row& row) -> Status {
    if (std::holds_alternative<std::string>(row[kInUseBatch])) {
      ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                               DecodeState(Text(row, kCheckState), "equipment " + Text(row, 0)));
      if (state.last_use && state.last_use->room == room) batches.insert(state.last_use->batch);
    }
    return Status();
  }));
  return std::vector<std::string>(batches.begin(), batches.end());
}

}  // namespace aliquot::app
