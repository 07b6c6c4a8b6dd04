// Rooms and their cleanroom grades (EU GMP Annex 1 (2022) 4.23, Table 1): where equipment stands
// and environmental monitoring samples, and what a step that needs a grade B background checks the
// equipment's room against. A room's grade can change (a requalified suite) only with a reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::environment {

// Cleanest first. Unclassified: a controlled but unclassified space (a QC lab, a warehouse).
enum class Grade { kA, kB, kC, kD, kUnclassified };
std::string_view GradeName(Grade grade);  // "A", "B", "C", "D", "unclassified"
std::optional<Grade> GradeFromName(std::string_view name);
// True when `actual` is `required` or cleaner (A meets B; C does not meet B).
bool MeetsGrade(Grade actual, Grade required);

struct RoomCommand {
  std::string id;    // CheckIdentifier: "CAR-T-B101".
  std::string site;  // The site the room is at: the app checks it exists.
  std::string name;  // "Suite 1 processing room".
  Grade grade = Grade::kUnclassified;
};

struct RoomState {
  bool exists = false;
  std::string id;
  std::string site;
  std::string name;
  Grade grade = Grade::kUnclassified;
  int revision = 0;      // 1 when defined, +1 per change.
  Timestamp defined_at;  // Of revision 1; the ledger holds who changed it and when.
  std::string defined_by;

  friend bool operator==(const RoomState&, const RoomState&) = default;
};

ledger::StreamRef RoomStream(std::string_view room_id);

// Defines a room (revision 1) or changes one (a reason is required, kInvalidArgument field
// "reason"). kInvalidArgument naming the field: a malformed id ("room_id"), site or name, a change
// of site (a room does not move: define a new one); kAlreadyExists: a change that changes nothing.
Result<ledger::NewEvent> DefineRoom(const RoomState& state, const RoomCommand& command,
                                    std::string_view reason, const ledger::Actor& actor,
                                    std::string_view terminal);

// Folds one event of the room's stream. kDataLoss when its payload does not read back.
Status ApplyRoomEvent(RoomState& state, const ledger::Event& event);
Json RoomToJson(const RoomState& room);  // The projection's storage form.
Result<RoomState> RoomFromJson(const Json& json);

}  // namespace aliquot::environment
