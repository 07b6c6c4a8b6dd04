#include "aliquot/domain/environment/room.h"

#include <array>
#include <cstdint>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::environment {
namespace {

constexpr std::string_view kRoomDefined = "environment.room_defined";

// In the enum's order (core/enum_names.h).
constexpr std::array<std::string_view, 5> kGradeNames{"A", "B", "C", "D", "unclassified"};

// What a room_defined event carries, which the stored state repeats.
Json DefinitionToJson(const RoomState& room) {
  Json json = Json::MakeObject();
  json.Set("id", room.id);
  json.Set("site", room.site);
  json.Set("name", room.name);
  json.Set("grade", GradeName(room.grade));
  json.Set("revision", room.revision);
  return json;
}

}  // namespace

std::string_view GradeName(Grade grade) { return EnumName(kGradeNames, grade); }

std::optional<Grade> GradeFromName(std::string_view name) {
  return EnumFromName<Grade>(kGradeNames, name);
}

bool MeetsGrade(Grade actual, Grade required) {
  // Cleanest first: the enum's order is the order of cleanliness.
  return static_cast<int>(actual) <= static_cast<int>(required);
}

ledger::StreamRef RoomStream(std::string_view room_id) { return {"room", std::string(room_id)}; }

Result<ledger::NewEvent> DefineRoom(const RoomState& state, const RoomCommand& command,
                                    std::string_view reason, const ledger::Actor& actor,
                                    std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(materials::CheckIdentifier(command.id, "room_id"));
  ALIQUOT_RETURN_IF_ERROR(identity::ValidateSiteId(command.site, "site"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 2, 200));
  if (!GradeFromName(GradeName(command.grade))) {
    return Unexpected(InvalidArgument("unknown grade", "grade"));
  }
  RoomState defined;
  defined.id = command.id;
  defined.site = command.site;
  defined.name = command.name;
  defined.grade = command.grade;
  if (state.exists) {
    // P11-05, A11-02: a change of a room (a requalified suite's grade) is recorded with its reason.
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
    if (command.site != state.site) {
      return Unexpected(InvalidArgument("room " + state.id + " is at site " + state.site +
                                            "; a room does not move to another site, define a "
                                            "new room there",
                                        "site"));
    }
    if (command.name == state.name && command.grade == state.grade) {
      return Unexpected(AlreadyExists("room " + state.id + " is already '" + state.name +
                                      "', grade " + std::string(GradeName(state.grade))));
    }
  } else if (!reason.empty()) {
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  }
  defined.revision = state.exists ? state.revision + 1 : 1;
  ledger::NewEvent event =
      ledger::NewEvent::On(RoomStream(command.id), kRoomDefined, actor, terminal);
  if (!reason.empty()) event.reason = std::string(reason);
  event.payload = DefinitionToJson(defined);
  return event;
}

Status ApplyRoomEvent(RoomState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  if (event.event_type != kRoomDefined) return Unexpected(payload.Corrupt("unknown room event"));
  RoomState next;
  ALIQUOT_ASSIGN_OR_RETURN(next.id, payload.String("id"));
  if (next.id != event.stream.id) {
    return Unexpected(
        payload.Corrupt("defines room " + next.id + " on the stream of " + event.stream.id));
  }
  ALIQUOT_ASSIGN_OR_RETURN(next.site, payload.String("site"));
  ALIQUOT_ASSIGN_OR_RETURN(next.name, payload.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string grade, payload.String("grade"));
  const std::optional<Grade> parsed = GradeFromName(grade);
  if (!parsed) return Unexpected(payload.Corrupt("unknown grade " + grade));
  next.grade = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t revision, payload.Integer("revision"));
  // Revisions follow one another: a gap or a repeat means an event is missing or replayed.
  const int expected = state.exists ? state.revision + 1 : 1;
  if (revision != expected) {
    return Unexpected(payload.Corrupt("revision " + std::to_string(revision) + " does not follow " +
                                      std::to_string(expected - 1)));
  }
  next.revision = expected;
  next.exists = true;
  next.defined_at = state.exists ? state.defined_at : event.time;
  next.defined_by = state.exists ? state.defined_by : event.actor.id;
  state = std::move(next);
  return {};
}

Json RoomToJson(const RoomState& room) {
  Json json = DefinitionToJson(room);
  json.Set("defined_at", materials::TimeToJson(room.defined_at));
  json.Set("defined_by", room.defined_by);
  return json;
}

Result<RoomState> RoomFromJson(const Json& json) {
  const materials::JsonFields fields(json, "room");
  RoomState room;
  room.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(room.id, fields.String("id"));
  const materials::JsonFields named(json, "room " + room.id);
  ALIQUOT_ASSIGN_OR_RETURN(room.site, named.String("site"));
  ALIQUOT_ASSIGN_OR_RETURN(room.name, named.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string grade, named.String("grade"));
  const std::optional<Grade> parsed = GradeFromName(grade);
  if (!parsed) return Unexpected(named.Corrupt("unknown grade " + grade));
  room.grade = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t revision, named.Integer("revision"));
  if (revision < 1 || revision > 1'000'000) {
    return Unexpected(named.Corrupt("revision " + std::to_string(revision) + " is out of range"));
  }
  room.revision = static_cast<int>(revision);
  ALIQUOT_ASSIGN_OR_RETURN(room.defined_at, named.Time("defined_at"));
  ALIQUOT_ASSIGN_OR_RETURN(room.defined_by, named.String("defined_by"));
  return room;
}

}  // namespace aliquot::environment
