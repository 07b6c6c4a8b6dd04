// The equipment area's projection: each piece of equipment's current state; its logbook, one row
// per entry with the state as it stood after that entry (so the status as of any instant is one
// indexed read, however long the logbook); and its uses, by equipment and by room, for the impact
// lists a failed calibration or an environmental excursion needs. Folded by the domain's own
// ApplyEquipmentEvent.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/equipment/equipment.h"

namespace aliquot::app {

// Tables: equipment (the row the check reads), equipment_states, equipment_logbook (equipment,
// entry), equipment_logbook_times (equipment, at, entry), equipment_uses (equipment, entry) and
// room_uses (room, at, equipment, entry).
std::unique_ptr<Projector> MakeEquipmentProjector();

// The logbook table, for the benchmark's raw SQL beside the service's page.
const TableSpec& EquipmentLogbookTable();

// The state now (`exists` false when there is none); kDataLoss for a row that does not read back.
Result<equipment::EquipmentState> LoadEquipment(StoreReader& reader, const std::string& id);
// The state now as the check needs it (equipment::ForCheck): a fraction of the whole to decode.
Result<equipment::EquipmentState> LoadEquipmentForCheck(StoreReader& reader, const std::string& id);
// The state as it stood at `at`: the one after the last entry recorded at or before `at`
// (`exists` false when it was not yet registered).
Result<equipment::EquipmentState> LoadEquipmentAt(StoreReader& reader, const std::string& id,
                                                  Timestamp at);
Result<std::vector<equipment::EquipmentState>> LoadAllEquipment(StoreReader& reader);

// One logbook entry as shown: the entry and, for signed kinds, its signoff as it stands.
struct LogbookRow {
  equipment::LogbookEntry entry;
  std::optional<std::string> signed_by;
  std::optional<Timestamp> signed_at;
  std::optional<std::string> verified_by;
  std::optional<Timestamp> verified_at;
};
// Entry `number` of `equipment`'s logbook, if it has one.
Result<std::optional<LogbookRow>> LoadLogbookEntry(StoreReader& reader, const std::string& id,
                                                   int number);
// Up to `limit` entries with numbers strictly between `after` and `before`, newest first when
// `newest_first`.
Result<std::vector<LogbookRow>> LoadLogbookPage(StoreReader& reader, const std::string& id,
                                                int after, int before, bool newest_first,
                                                std::size_t limit);

// The batches (distinct, sorted) that used `equipment` at any time since `since`: what a
// calibration found out of tolerance may have affected since the last good one was performed
// (211.192, G-04).
Result<std::vector<std::string>> BatchesUsingSince(StoreReader& reader, const std::string& id,
                                                   Timestamp since);
// The batches (distinct, sorted) that used equipment standing in `room` at any time since `from`
// (up to the snapshot's now): uses that began or ended since, and uses still going on.
Result<std::vector<std::string>> BatchesInRoomSince(StoreReader& reader, const std::string& room,
                                                    Timestamp from);

}  // namespace aliquot::app
