#include "aliquot/domain/environment/room.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"

namespace aliquot::environment {
namespace {

constexpr std::string_view kTerminal = "QA-WS1";
// 2026-03-02T09:00:00Z.
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
const ledger::Actor kQa{"quinn", "Quinn QA"};
const ledger::Actor kQaLead{"quincy", "Quincy QA Lead"};

Timestamp Day(std::int64_t day) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay);
}

template <typename T>
::testing::AssertionResult Refused(const Result<T>& result, ErrorCode code,
                                   std::string_view field = {}) {
  if (result) return ::testing::AssertionFailure() << "accepted";
  if (result.error().Code() != code || result.error().Field() != field) {
    return ::testing::AssertionFailure() << "refused with " << result.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

// A room's stream as the store seals it, folded as it grows.
struct Stream {
  RoomState state;
  std::vector<ledger::Event> events;

  Status Append(const Result<ledger::NewEvent>& event, Timestamp time) {
    if (!event) return Unexpected(event.error());
    const Hash256 prev = events.empty() ? ledger::kGenesisPrevHash : events.back().hash;
    events.push_back(ledger::SealEvent(*event, events.size() + 1, time, prev));
    return ApplyRoomEvent(state, events.back());
  }
};

RoomCommand SuiteOne() {
  return {.id = "CAR-T-B101", .site = "LEI", .name = "Suite 1 processing room", .grade = Grade::kB};
}

TEST(Room, GradeNamesReadBackAsTheSameGrade) {
  for (const Grade grade : {Grade::kA, Grade::kB, Grade::kC, Grade::kD, Grade::kUnclassified}) {
    EXPECT_EQ(GradeFromName(GradeName(grade)), grade);
  }
  EXPECT_EQ(GradeName(Grade::kB), "B");
  EXPECT_EQ(GradeName(Grade::kUnclassified), "unclassified");
  EXPECT_EQ(GradeFromName("b"), std::nullopt);
  EXPECT_EQ(GradeFromName("E"), std::nullopt);
}

// Annex 1 (2022) 4.23: grades A to D from cleanest; a cleaner grade meets a less clean need.
TEST(Room, MeetsGradeOnlyWhenAsCleanOrCleaner) {
  EXPECT_TRUE(MeetsGrade(Grade::kA, Grade::kB));
  EXPECT_TRUE(MeetsGrade(Grade::kB, Grade::kB));
  EXPECT_FALSE(MeetsGrade(Grade::kC, Grade::kB));
  EXPECT_FALSE(MeetsGrade(Grade::kB, Grade::kA));
  EXPECT_TRUE(MeetsGrade(Grade::kD, Grade::kUnclassified));
  EXPECT_FALSE(MeetsGrade(Grade::kUnclassified, Grade::kD));
}

TEST(Room, DefinitionIsRevisionOneByItsAuthorAtTheSealedTime) {
  Stream room;
  const auto event = DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->stream, RoomStream("CAR-T-B101"));
  EXPECT_EQ(event->stream.type, "room");
  EXPECT_EQ(event->event_type, "environment.room_defined");
  EXPECT_FALSE(event->reason.has_value());
  ASSERT_TRUE(Ok(room.Append(event, Day(0))));
  EXPECT_TRUE(room.state.exists);
  EXPECT_EQ(room.state.id, "CAR-T-B101");
  EXPECT_EQ(room.state.site, "LEI");
  EXPECT_EQ(room.state.name, "Suite 1 processing room");
  EXPECT_EQ(room.state.grade, Grade::kB);
  EXPECT_EQ(room.state.revision, 1);
  EXPECT_EQ(room.state.defined_at, Day(0));
  EXPECT_EQ(room.state.defined_by, "quinn");
}

TEST(Room, RefusesMalformedIdSiteOrName) {
  RoomCommand command = SuiteOne();
  command.id = "b101 suite";
  EXPECT_TRUE(
      Refused(DefineRoom({}, command, "", kQa, kTerminal), ErrorCode::kInvalidArgument, "room_id"));
  command = SuiteOne();
  command.site = "";
  EXPECT_TRUE(
      Refused(DefineRoom({}, command, "", kQa, kTerminal), ErrorCode::kInvalidArgument, "site"));
  command = SuiteOne();
  command.name = " Suite 1";
  EXPECT_TRUE(
      Refused(DefineRoom({}, command, "", kQa, kTerminal), ErrorCode::kInvalidArgument, "name"));
}

// P11-05, A11-02: a changed grade (a requalified suite) is recorded with its reason.
TEST(Room, GradeChangeNeedsAReasonAndIsRecordedWithIt) {
  Stream room;
  ASSERT_TRUE(Ok(room.Append(DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal), Day(0))));
  RoomCommand requalified = SuiteOne();
  requalified.grade = Grade::kC;
  EXPECT_TRUE(Refused(DefineRoom(room.state, requalified, "", kQaLead, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  const auto event = DefineRoom(
      room.state, requalified, "Requalification RQ-2026-07 failed for grade B", kQaLead, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->reason, "Requalification RQ-2026-07 failed for grade B");
  ASSERT_TRUE(Ok(room.Append(event, Day(3))));
  EXPECT_EQ(room.state.grade, Grade::kC);
  EXPECT_EQ(room.state.revision, 2);
  // The first definition's time and author stay; the ledger holds the change's.
  EXPECT_EQ(room.state.defined_at, Day(0));
  EXPECT_EQ(room.state.defined_by, "quinn");
}

TEST(Room, RefusesAChangeThatChangesNothing) {
  Stream room;
  ASSERT_TRUE(Ok(room.Append(DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal), Day(0))));
  EXPECT_TRUE(Refused(DefineRoom(room.state, SuiteOne(), "Annual review", kQa, kTerminal),
                      ErrorCode::kAlreadyExists));
  RoomCommand renamed = SuiteOne();
  renamed.name = "Suite 1 CAR-T processing room";
  EXPECT_TRUE(DefineRoom(room.state, renamed, "Annual review", kQa, kTerminal));
}

TEST(Room, RefusesMovingARoomToAnotherSite) {
  Stream room;
  ASSERT_TRUE(Ok(room.Append(DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal), Day(0))));
  RoomCommand moved = SuiteOne();
  moved.site = "AMS";
  EXPECT_TRUE(Refused(DefineRoom(room.state, moved, "Typo in the site", kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "site"));
}

TEST(Room, FoldRefusesARevisionThatDoesNotFollowOrAnotherRoomsEvent) {
  Stream room;
  ASSERT_TRUE(Ok(room.Append(DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal), Day(0))));
  // Replaying revision 1 onto a room already at revision 1.
  RoomState replayed = room.state;
  EXPECT_TRUE(Refused(ApplyRoomEvent(replayed, room.events[0]), ErrorCode::kDataLoss));
  ledger::Event elsewhere = room.events[0];
  elsewhere.stream.id = "CAR-T-B102";
  RoomState other;
  EXPECT_TRUE(Refused(ApplyRoomEvent(other, elsewhere), ErrorCode::kDataLoss));
  ledger::Event unknown = room.events[0];
  unknown.event_type = "environment.room_demolished";
  RoomState fresh;
  EXPECT_TRUE(Refused(ApplyRoomEvent(fresh, unknown), ErrorCode::kDataLoss));
}

TEST(Room, StoredFormReadsBackAsTheSameRoom) {
  Stream room;
  ASSERT_TRUE(Ok(room.Append(DefineRoom(room.state, SuiteOne(), "", kQa, kTerminal), Day(0))));
  RoomCommand renamed = SuiteOne();
  renamed.grade = Grade::kA;
  ASSERT_TRUE(
      Ok(room.Append(DefineRoom(room.state, renamed, "Isolator suite", kQa, kTerminal), Day(1))));
  const auto read = RoomFromJson(RoomToJson(room.state));
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, room.state);
  // Through the canonical text, as the projection stores it.
  const auto parsed = ParseJson(CanonicalJson(RoomToJson(room.state)));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(RoomFromJson(*parsed), room.state);

  Json corrupt = RoomToJson(room.state);
  corrupt.Set("grade", "A+");
  EXPECT_TRUE(Refused(RoomFromJson(corrupt), ErrorCode::kDataLoss));
}

}  // namespace
}  // namespace aliquot::environment
