// The environment area's projection: rooms, sampling locations and environmental monitoring
// samples, with an index of each location's samples by type and time (the trend a QC analyst
// reads, and the last compliant sample an excursion's exposure window starts from).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/environment/monitoring.h"
#include "aliquot/domain/environment/room.h"

namespace aliquot::app {

// Tables: rooms, room_revisions (room, at), em_locations, em_samples, em_location_samples
// (location, type, taken_at, sample).
std::unique_ptr<Projector> MakeEnvironmentProjector();

Result<environment::RoomState> LoadRoom(StoreReader& reader, const std::string& id);
// The room as it stood at `at` (`exists` false when it was not yet defined).
Result<environment::RoomState> LoadRoomAt(StoreReader& reader, const std::string& id, Timestamp at);
Result<std::vector<environment::RoomState>> LoadRooms(StoreReader& reader);
Result<environment::LocationState> LoadLocation(StoreReader& reader, const std::string& id);
Result<std::vector<environment::LocationState>> LoadLocations(StoreReader& reader);
Result<environment::SampleState> LoadSample(StoreReader& reader, const std::string& id);

// The samples of `location` taken within [from, to], oldest first, at most `limit`.
Result<std::vector<environment::SampleState>> LoadLocationSamples(StoreReader& reader,
                                                                  const std::string& location,
                                                                  Timestamp from, Timestamp to,
                                                                  std::size_t limit);
// All samples taken within [from, to] (every location), oldest first, at most `limit`.
Result<std::vector<environment::SampleState>> LoadSamples(StoreReader& reader, Timestamp from,
                                                          Timestamp to, std::size_t limit);
// When the last sample of `type` at `location` taken before `before` that was not an action-level
// excursion was taken, if any: where an excursion's exposure window begins.
Result<std::optional<Timestamp>> LastCompliantSample(StoreReader& reader,
                                                     const std::string& location,
                                                     environment::SampleType type,
                                                     Timestamp before);

}  // namespace aliquot::app
