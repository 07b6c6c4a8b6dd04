#include "aliquot/domain/environment/monitoring.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/environment/room.h"

namespace aliquot::environment {
namespace {

constexpr std::string_view kTerminal = "QC-LAB-2";
// 2026-03-02T09:00:00Z.
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
const ledger::Actor kQa{"quinn", "Quinn QA"};
const ledger::Actor kAnalyst{"ana", "Ana QC Analyst"};

Timestamp Day(std::int64_t day, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay + micros);
}

// Locations are defined on day 0, samples taken on day 1 and entered on day 2.
const Timestamp kTaken = Day(1);
const Timestamp kNow = Day(2);

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
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

ledger::Event Seal(const ledger::NewEvent& event, Timestamp time, std::uint64_t seq = 1) {
  return ledger::SealEvent(event, seq, time, ledger::kGenesisPrevHash);
}

RoomState Room(Grade grade = Grade::kB) {
  RoomState room;
  const auto event = DefineRoom(
      room, {.id = "CAR-T-B101", .site = "LEI", .name = "Suite 1 processing room", .grade = grade},
      "", kQa, kTerminal);
  EXPECT_TRUE(event) << event.error().ToString();
  EXPECT_TRUE(ApplyRoomEvent(room, Seal(*event, Day(-1))));
  return room;
}

PlannedSample Plan(SampleType type, Occupancy occupancy, std::optional<double> alert = {}) {
  return {.type = type, .occupancy = occupancy, .alert_level = alert, .frequency = "each session"};
}

// A grade B background location, every kind of sample but glove prints at rest planned.
LocationCommand Centre() {
  return {.id = "B101-CENTRE",
          .room = "CAR-T-B101",
          .grade = Grade::kB,
          .description = "Room centre, beside the pass-through",
          .samples = {Plan(SampleType::kActiveAir, Occupancy::kInOperation, 5),
                      Plan(SampleType::kSettlePlate, Occupancy::kInOperation, 3),
                      Plan(SampleType::kContactPlate, Occupancy::kAtRest),
                      Plan(SampleType::kGlovePrint, Occupancy::kInOperation, 2),
                      Plan(SampleType::kParticles05, Occupancy::kInOperation, 200'000),
                      Plan(SampleType::kParticles5, Occupancy::kAtRest, 20)}};
}

// The grade A work zone of a biosafety cabinet in the grade B room.
LocationCommand CabinetZone() {
  return {.id = "B101-BSC1-AIR",
          .room = "CAR-T-B101",
          .grade = Grade::kA,
          .description = "BSC-01 work zone, centre",
          .samples = {Plan(SampleType::kActiveAir, Occupancy::kInOperation),
                      Plan(SampleType::kSettlePlate, Occupancy::kInOperation),
                      Plan(SampleType::kGlovePrint, Occupancy::kInOperation),
                      Plan(SampleType::kParticles05, Occupancy::kInOperation, 2'000)}};
}

LocationState Defined(const LocationCommand& command, const RoomState& room = Room()) {
  LocationState location;
  const auto event = DefineLocation(location, command, room, "", Day(0), kQa, kTerminal);
  EXPECT_TRUE(event) << event.error().ToString();
  if (!event) return location;
  const Status applied = ApplyLocationEvent(location, Seal(*event, Day(0)));
  EXPECT_TRUE(applied) << applied.error().ToString();
  return location;
}

SampleInput Input(SampleType type, Occupancy occupancy, double result, std::string unit,
                  std::string location = "B101-CENTRE") {
  SampleInput input{.id = "EM-2026-03-0412",
                    .location = std::move(location),
                    .type = type,
                    .occupancy = occupancy,
                    .taken_at = kTaken,
                    .result = result,
                    .unit = std::move(unit)};
  if (type == SampleType::kSettlePlate) input.exposure_minutes = 240;
  if (type == SampleType::kGlovePrint) input.person = "olga";
  return input;
}

SampleInput Air(double result, std::string unit = "CFU/m3", std::string location = "B101-CENTRE") {
  return Input(SampleType::kActiveAir, Occupancy::kInOperation, result, std::move(unit),
               std::move(location));
}

// Records `input` at `location` and folds the sealed event into a fresh sample.
Result<SampleState> Recorded(const SampleInput& input, const LocationState& location) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::NewEvent event,
                           RecordSample({}, input, location, kNow, kAnalyst, kTerminal));
  SampleState sample;
  ALIQUOT_RETURN_IF_ERROR(ApplySampleEvent(sample, Seal(event, kNow)));
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Annex 1 (2022) limits.

// One row per (type, occupancy): the limit in grades A, B, C, D and unclassified, as
// Limit::Describe() prints it, or "none" where Annex 1 sets none.
struct LimitRow {
  SampleType type;
  Occupancy occupancy;
  std::array<std::string_view, 5> limits;
};

// Annex 1 (2022) Table 5 (total particles) and Table 6 (viable), copied from the Annex.
const std::array<LimitRow, 12> kAnnex1Tables = {{
    {SampleType::kParticles05,
     Occupancy::kAtRest,
     {"<= 3520 particles/m3", "<= 3520 particles/m3", "<= 352000 particles/m3",
      "<= 3520000 particles/m3", "none"}},
    {SampleType::kParticles05,
     Occupancy::kInOperation,
     {"<= 3520 particles/m3", "<= 352000 particles/m3", "<= 3520000 particles/m3", "none", "none"}},
    {SampleType::kParticles5,
     Occupancy::kAtRest,
     {"<= 29 particles/m3", "<= 29 particles/m3", "<= 2930 particles/m3", "<= 29300 particles/m3",
      "none"}},
    {SampleType::kParticles5,
     Occupancy::kInOperation,
     {"<= 29 particles/m3", "<= 2930 particles/m3", "<= 29300 particles/m3", "none", "none"}},
    {SampleType::kActiveAir,
     Occupancy::kAtRest,
     {"< 1 CFU/m3", "<= 10 CFU/m3", "<= 100 CFU/m3", "<= 200 CFU/m3", "none"}},
    {SampleType::kActiveAir,
     Occupancy::kInOperation,
     {"< 1 CFU/m3", "<= 10 CFU/m3", "<= 100 CFU/m3", "<= 200 CFU/m3", "none"}},
    {SampleType::kSettlePlate,
     Occupancy::kAtRest,
     {"< 1 CFU", "<= 5 CFU", "<= 50 CFU", "<= 100 CFU", "none"}},
    {SampleType::kSettlePlate,
     Occupancy::kInOperation,
     {"< 1 CFU", "<= 5 CFU", "<= 50 CFU", "<= 100 CFU", "none"}},
    {SampleType::kContactPlate,
     Occupancy::kAtRest,
     {"< 1 CFU", "<= 5 CFU", "<= 25 CFU", "<= 50 CFU", "none"}},
    {SampleType::kContactPlate,
     Occupancy::kInOperation,
     {"< 1 CFU", "<= 5 CFU", "<= 25 CFU", "<= 50 CFU", "none"}},
    {SampleType::kGlovePrint, Occupancy::kAtRest, {"< 1 CFU", "<= 5 CFU", "none", "none", "none"}},
    {SampleType::kGlovePrint,
     Occupancy::kInOperation,
     {"< 1 CFU", "<= 5 CFU", "none", "none", "none"}},
}};

constexpr std::array<Grade, 5> kGrades = {Grade::kA, Grade::kB, Grade::kC, Grade::kD,
                                          Grade::kUnclassified};

// Annex 1 (2022) Tables 5 and 6, every grade x sample type x occupancy.
TEST(Annex1, LimitForEveryGradeTypeAndOccupancyIsTheAnnexTables) {
  int checked = 0;
  for (const LimitRow& row : kAnnex1Tables) {
    for (std::size_t g = 0; g < kGrades.size(); ++g) {
      const std::optional<Limit> limit = Annex1Limit(kGrades[g], row.type, row.occupancy);
      const std::string where = std::string(GradeName(kGrades[g])) + " " +
                                std::string(SampleTypeName(row.type)) + " " +
                                std::string(OccupancyName(row.occupancy));
      ++checked;
      if (row.limits[g] == "none") {
        EXPECT_FALSE(limit.has_value()) << where << ": " << limit->Describe();
        continue;
      }
      ASSERT_TRUE(limit.has_value()) << where;
      EXPECT_EQ(limit->Describe(), row.limits[g]) << where;
      EXPECT_EQ(limit->unit, ResultUnit(row.type)) << where;
      // Grade A viable is "no growth" (< 1); every other limit is a maximum still within.
      EXPECT_EQ(limit->any_growth, kGrades[g] == Grade::kA && IsViable(row.type)) << where;
    }
  }
  EXPECT_EQ(checked, 60);
}

TEST(Annex1, ResultUnitsAndViability) {
  EXPECT_EQ(ResultUnit(SampleType::kParticles05), "particles/m3");
  EXPECT_EQ(ResultUnit(SampleType::kParticles5), "particles/m3");
  EXPECT_EQ(ResultUnit(SampleType::kActiveAir), "CFU/m3");
  EXPECT_EQ(ResultUnit(SampleType::kSettlePlate), "CFU");
  EXPECT_EQ(ResultUnit(SampleType::kContactPlate), "CFU");
  EXPECT_EQ(ResultUnit(SampleType::kGlovePrint), "CFU");
  EXPECT_FALSE(IsViable(SampleType::kParticles05));
  EXPECT_FALSE(IsViable(SampleType::kParticles5));
  EXPECT_TRUE(IsViable(SampleType::kActiveAir));
  EXPECT_TRUE(IsViable(SampleType::kGlovePrint));
}

TEST(Annex1, NamesReadBackAsTheSameValue) {
  for (const LimitRow& row : kAnnex1Tables) {
    EXPECT_EQ(SampleTypeFromName(SampleTypeName(row.type)), row.type);
    EXPECT_EQ(OccupancyFromName(OccupancyName(row.occupancy)), row.occupancy);
  }
  EXPECT_EQ(SampleTypeName(SampleType::kParticles05), "particles_0_5um");
  EXPECT_EQ(OccupancyName(Occupancy::kInOperation), "in_operation");
  for (const Outcome outcome : {Outcome::kWithinLimits, Outcome::kAlert, Outcome::kAction}) {
    EXPECT_EQ(OutcomeFromName(OutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(OutcomeName(Outcome::kWithinLimits), "within_limits");
  EXPECT_EQ(SampleTypeFromName("settle plate"), std::nullopt);
}

// Annex 1 Table 6: grade A "no growth": 0 CFU is within, 1 CFU an action-level excursion;
// grade B active air 10 CFU/m3 is within, 11 is not; Table 5 grade B in operation 352,000.
TEST(Annex1, LimitIsExceededJustPastItsBoundary) {
  const auto a_air = Annex1Limit(Grade::kA, SampleType::kActiveAir, Occupancy::kInOperation);
  ASSERT_TRUE(a_air);
  EXPECT_FALSE(a_air->ExceededBy(0));
  EXPECT_TRUE(a_air->ExceededBy(1));
  const auto a_glove = Annex1Limit(Grade::kA, SampleType::kGlovePrint, Occupancy::kInOperation);
  ASSERT_TRUE(a_glove);
  EXPECT_FALSE(a_glove->ExceededBy(0));
  EXPECT_TRUE(a_glove->ExceededBy(1));
  const auto b_air = Annex1Limit(Grade::kB, SampleType::kActiveAir, Occupancy::kInOperation);
  ASSERT_TRUE(b_air);
  EXPECT_FALSE(b_air->ExceededBy(10));
  EXPECT_TRUE(b_air->ExceededBy(11));
  const auto b_particles =
      Annex1Limit(Grade::kB, SampleType::kParticles05, Occupancy::kInOperation);
  ASSERT_TRUE(b_particles);
  EXPECT_FALSE(b_particles->ExceededBy(352'000));
  EXPECT_TRUE(b_particles->ExceededBy(352'001));
}

// ---------------------------------------------------------------------------------------------
// Sampling locations and their plans.

TEST(Monitoring, LocationDefinitionIsRevisionOneWithItsPlan) {
  LocationState location;
  const auto event = DefineLocation(location, CabinetZone(), Room(), "", Day(0), kQa, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->stream, LocationStream("B101-BSC1-AIR"));
  EXPECT_EQ(event->stream.type, "em_location");
  EXPECT_EQ(event->event_type, "environment.location_defined");
  ASSERT_TRUE(ApplyLocationEvent(location, Seal(*event, Day(0))));
  EXPECT_TRUE(location.exists);
  EXPECT_EQ(location.id, "B101-BSC1-AIR");
  EXPECT_EQ(location.room, "CAR-T-B101");
  EXPECT_EQ(location.grade, Grade::kA);
  EXPECT_EQ(location.description, "BSC-01 work zone, centre");
  EXPECT_EQ(location.samples, CabinetZone().samples);
  EXPECT_EQ(location.revision, 1);
  EXPECT_EQ(location.defined_at, Day(0));
  EXPECT_EQ(location.defined_by, "quinn");
  ASSERT_NE(location.Planned(SampleType::kParticles05, Occupancy::kInOperation), nullptr);
  EXPECT_EQ(location.Planned(SampleType::kParticles05, Occupancy::kInOperation)->alert_level,
            2'000);
  EXPECT_EQ(location.Planned(SampleType::kParticles05, Occupancy::kAtRest), nullptr);
}

TEST(Monitoring, RefusesALocationInAnUnknownRoom) {
  EXPECT_TRUE(Refused(DefineLocation({}, Centre(), RoomState{}, "", Day(0), kQa, kTerminal),
                      ErrorCode::kNotFound, "room"));
  LocationCommand command = Centre();
  command.room = "CAR-T-B102";  // Not the room given.
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kNotFound, "room"));
}

TEST(Monitoring, RefusesAMalformedLocationIdOrDescription) {
  LocationCommand command = Centre();
  command.id = "b101/centre";
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "location_id"));
  command = Centre();
  command.description = "";
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "description"));
  command = Centre();
  command.samples[2].frequency = "";
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "samples[2].frequency"));
}

// A location is its room's grade or cleaner: a grade C spot in a grade B room would be held to
// grade C limits while its background must meet grade B's.
TEST(Monitoring, RefusesALocationLessCleanThanItsRoom) {
  LocationCommand command = Centre();
  command.grade = Grade::kC;
  const auto refused = DefineLocation({}, command, Room(Grade::kB), "", Day(0), kQa, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "grade"));
  EXPECT_TRUE(Contains(refused.error().Message(), "grade C, less clean than room CAR-T-B101"))
      << refused.error().Message();
  // A cleaner zone inside (a cabinet's grade A) and an unclassified room's grade D spot are fine.
  EXPECT_TRUE(DefineLocation({}, CabinetZone(), Room(Grade::kB), "", Day(0), kQa, kTerminal));
  command.grade = Grade::kD;
  EXPECT_TRUE(DefineLocation({}, command, Room(Grade::kUnclassified), "", Day(0), kQa, kTerminal));
}

TEST(Monitoring, RefusesALocationWithoutSamples) {
  LocationCommand command = Centre();
  command.samples.clear();
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "samples"));
}

TEST(Monitoring, RefusesTheSameTypeAndOccupancyPlannedTwice) {
  LocationCommand command = Centre();
  command.samples.push_back(Plan(SampleType::kSettlePlate, Occupancy::kInOperation, 2));
  const auto refused = DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "samples[6].type"));
  EXPECT_TRUE(Contains(refused.error().Message(), "settle_plate in_operation is planned twice"))
      << refused.error().Message();
  // The same type at rest is another sample.
  command.samples.back().occupancy = Occupancy::kAtRest;
  EXPECT_TRUE(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal));
}

// Annex 1 (2022): alert levels are set below the action limits, from the site's trend data.
TEST(Monitoring, RefusesAnAlertLevelNotBelowTheActionLimit) {
  LocationCommand command = Centre();
  command.samples[0].alert_level = 10;  // Grade B active air: action limit <= 10 CFU/m3.
  const auto refused = DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "samples[0].alert_level"));
  EXPECT_TRUE(Contains(refused.error().Message(),
                       "the alert level 10 CFU/m3 is not below the Annex 1 action limit <= 10 "
                       "CFU/m3 for grade B active_air in_operation"))
      << refused.error().Message();
  command.samples[0].alert_level = 12;
  EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "samples[0].alert_level"));
  command.samples[0].alert_level = 9.5;
  EXPECT_TRUE(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal));
  // Where Annex 1 sets no limit (grade D particles in operation) the site's level stands alone.
  LocationCommand corridor = Centre();
  corridor.grade = Grade::kD;
  corridor.samples = {Plan(SampleType::kParticles05, Occupancy::kInOperation, 5'000'000)};
  EXPECT_TRUE(DefineLocation({}, corridor, Room(Grade::kD), "", Day(0), kQa, kTerminal));
}

TEST(Monitoring, RefusesANegativeOrNonFiniteAlertLevel) {
  for (const double alert :
       {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    LocationCommand command = Centre();
    command.samples[1].alert_level = alert;
    EXPECT_TRUE(Refused(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal),
                        ErrorCode::kInvalidArgument, "samples[1].alert_level"))
        << alert;
  }
  LocationCommand command = Centre();
  command.samples[1].alert_level = 0;  // Any colony on a grade B plate is an alert.
  EXPECT_TRUE(DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal));
}

// Annex 1 Table 6: in grade A any growth is an action-level excursion; there is no alert band.
TEST(Monitoring, RefusesAnAlertLevelOnGradeAViableSamples) {
  LocationCommand command = CabinetZone();
  command.samples[1].alert_level = 0;
  const auto refused = DefineLocation({}, command, Room(), "", Day(0), kQa, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "samples[1].alert_level"));
  EXPECT_TRUE(Contains(refused.error().Message(), "grade A allows no growth"))
      << refused.error().Message();
  // Grade A particles have an alert band below 3,520/m3 (CabinetZone plans 2,000).
  EXPECT_TRUE(DefineLocation({}, CabinetZone(), Room(), "", Day(0), kQa, kTerminal));
}

// P11-05, A11-02: a change of the monitoring plan carries its reason.
TEST(Monitoring, PlanRevisionNeedsAReasonAndChangesSomething) {
  const LocationState location = Defined(Centre());
  LocationCommand revised = Centre();
  revised.samples[0].alert_level = 4;
  EXPECT_TRUE(Refused(DefineLocation(location, revised, Room(), "", Day(5), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  EXPECT_TRUE(Refused(
      DefineLocation(location, Centre(), Room(), "Annual trend review", Day(5), kQa, kTerminal),
      ErrorCode::kAlreadyExists));
  // The same plan listed in another order changes nothing either.
  LocationCommand reordered = Centre();
  std::swap(reordered.samples[0], reordered.samples[5]);
  EXPECT_TRUE(Refused(
      DefineLocation(location, reordered, Room(), "Annual trend review", Day(5), kQa, kTerminal),
      ErrorCode::kAlreadyExists));

  const auto event = DefineLocation(location, revised, Room(), "Annual trend review TR-2026-02",
                                    Day(5), kQa, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->reason, "Annual trend review TR-2026-02");
  LocationState next = location;
  ASSERT_TRUE(ApplyLocationEvent(next, Seal(*event, Day(5), 2)));
  EXPECT_EQ(next.revision, 2);
  EXPECT_EQ(next.Planned(SampleType::kActiveAir, Occupancy::kInOperation)->alert_level, 4);
  // No sample is taken before revision 1: that instant stays.
  EXPECT_EQ(next.defined_at, Day(0));
  // A revision folded twice is a replay.
  EXPECT_EQ(ApplyLocationEvent(next, Seal(*event, Day(5), 3)).error().Code(), ErrorCode::kDataLoss);
}

TEST(Monitoring, PlanRevisionDoesNotMoveTheLocationToAnotherRoom) {
  const LocationState location = Defined(Centre());
  RoomState other = Room();
  other.id = "CAR-T-B102";
  LocationCommand moved = Centre();
  moved.room = "CAR-T-B102";
  EXPECT_TRUE(Refused(
      DefineLocation(location, moved, other, "Moved with the cabinet", Day(5), kQa, kTerminal),
      ErrorCode::kInvalidArgument, "room"));
}

// ---------------------------------------------------------------------------------------------
// Samples and their assessment (Annex 1 Tables 5 and 6, G-10 input checks).

TEST(Monitoring, ResultWithinLimitsIsRecordedAsSuchWithoutAnAlert) {
  const LocationState location = Defined(Centre());
  const auto event = RecordSample({}, Air(3), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->stream, SampleStream("EM-2026-03-0412"));
  EXPECT_EQ(event->stream.type, "em_sample");
  EXPECT_EQ(event->event_type, "environment.sample_recorded");
  EXPECT_EQ(event->payload.Find("alert"), nullptr);
  SampleState sample;
  ASSERT_TRUE(ApplySampleEvent(sample, Seal(*event, kNow)));
  EXPECT_TRUE(sample.exists);
  EXPECT_EQ(sample.id, "EM-2026-03-0412");
  EXPECT_EQ(sample.location, "B101-CENTRE");
  EXPECT_EQ(sample.room, "CAR-T-B101");
  EXPECT_EQ(sample.grade, Grade::kB);
  EXPECT_EQ(sample.type, SampleType::kActiveAir);
  EXPECT_EQ(sample.occupancy, Occupancy::kInOperation);
  EXPECT_EQ(sample.taken_at, kTaken);
  EXPECT_EQ(sample.value_entered, 3);
  EXPECT_EQ(sample.unit_entered, "CFU/m3");
  EXPECT_EQ(sample.result, 3);
  EXPECT_EQ(sample.outcome, Outcome::kWithinLimits);
  EXPECT_EQ(sample.action_limit, (Limit{10, false, "CFU/m3"}));
  EXPECT_EQ(sample.alert_level, 5);
  EXPECT_EQ(sample.assessment,
            "3 CFU/m3 at B101-CENTRE (grade B, in operation) is within the Annex 1 action limit "
            "<= 10 CFU/m3 and not above the site alert level 5 CFU/m3");
  EXPECT_EQ(sample.recorded_at, kNow);
  EXPECT_EQ(sample.recorded_by, "ana");
}

TEST(Monitoring, ResultAboveTheAlertLevelIsAnAlert) {
  const LocationState location = Defined(Centre());
  const auto event = RecordSample({}, Air(7), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  ASSERT_NE(event->payload.Find("alert"), nullptr);
  EXPECT_EQ(*event->payload.Find("alert"), Json(true));
  SampleState sample;
  ASSERT_TRUE(ApplySampleEvent(sample, Seal(*event, kNow)));
  EXPECT_EQ(sample.outcome, Outcome::kAlert);
  EXPECT_EQ(sample.assessment,
            "alert: 7 CFU/m3 at B101-CENTRE (grade B, in operation) is above the site alert "
            "level 5 CFU/m3 (action limit <= 10 CFU/m3)");
  // At the alert level itself: not above it.
  EXPECT_EQ(Recorded(Air(5), location)->outcome, Outcome::kWithinLimits);
}

// Annex 1 Table 6: grade B active air, action limit 10 CFU/m3.
TEST(Monitoring, ResultAboveTheActionLimitIsAnActionExcursion) {
  const LocationState location = Defined(Centre());
  const auto event = RecordSample({}, Air(12), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  ASSERT_NE(event->payload.Find("alert"), nullptr);
  const auto sample = Recorded(Air(12), location);
  ASSERT_TRUE(sample) << sample.error().ToString();
  EXPECT_EQ(sample->outcome, Outcome::kAction);
  EXPECT_EQ(sample->assessment,
            "12 CFU/m3 at B101-CENTRE (grade B, in operation) exceeds the Annex 1 action limit "
            "<= 10 CFU/m3");
  EXPECT_EQ(Recorded(Air(10), location)->outcome, Outcome::kAlert);
  EXPECT_EQ(Recorded(Air(11), location)->outcome, Outcome::kAction);
}

// Annex 1 Table 6: grade A, no growth.
TEST(Monitoring, AnyGrowthInGradeAIsAnActionExcursion) {
  const LocationState zone = Defined(CabinetZone());
  SampleInput plate =
      Input(SampleType::kSettlePlate, Occupancy::kInOperation, 0, "CFU", "B101-BSC1-AIR");
  const auto clean = Recorded(plate, zone);
  ASSERT_TRUE(clean) << clean.error().ToString();
  EXPECT_EQ(clean->outcome, Outcome::kWithinLimits);
  EXPECT_EQ(clean->action_limit, (Limit{1, true, "CFU"}));
  EXPECT_EQ(clean->alert_level, std::nullopt);
  plate.result = 1;
  const auto grown = Recorded(plate, zone);
  ASSERT_TRUE(grown) << grown.error().ToString();
  EXPECT_EQ(grown->outcome, Outcome::kAction);
  EXPECT_EQ(grown->assessment,
            "1 CFU at B101-BSC1-AIR (grade A, in operation) exceeds the Annex 1 action limit < 1 "
            "CFU: grade A allows no growth");
}

// Where Annex 1 sets no limit (grade D particles in operation), only the site's level applies.
TEST(Monitoring, WithoutAnAnnex1LimitOnlyTheSiteAlertLevelApplies) {
  LocationCommand corridor = Centre();
  corridor.id = "D001-CORRIDOR";
  corridor.grade = Grade::kD;
  corridor.samples = {Plan(SampleType::kParticles05, Occupancy::kInOperation, 5'000'000)};
  const LocationState location = Defined(corridor, Room(Grade::kD));
  const auto high = Recorded(Input(SampleType::kParticles05, Occupancy::kInOperation, 6'000'000,
                                   "particles/m3", "D001-CORRIDOR"),
                             location);
  ASSERT_TRUE(high) << high.error().ToString();
  EXPECT_EQ(high->outcome, Outcome::kAlert);
  EXPECT_EQ(high->action_limit, std::nullopt);
  EXPECT_EQ(
      high->assessment,
      "alert: 6000000 particles/m3 at D001-CORRIDOR (grade D, in operation) is above the site "
      "alert level 5000000 particles/m3 (Annex 1 sets no action limit here)");
}

// A result entered in another unit of its dimension is converted, the original kept (AL-02).
TEST(Monitoring, ParticlesPerLitreAreConvertedToPerCubicMetre) {
  const LocationState zone = Defined(CabinetZone());
  SampleInput count = Input(SampleType::kParticles05, Occupancy::kInOperation, 3.52, "particles/L",
                            "B101-BSC1-AIR");
  const auto at_limit = Recorded(count, zone);
  ASSERT_TRUE(at_limit) << at_limit.error().ToString();
  EXPECT_EQ(at_limit->value_entered, 3.52);
  EXPECT_EQ(at_limit->unit_entered, "particles/L");
  // Exactly 3520: conversion noise must not make a result at the limit an excursion.
  EXPECT_EQ(at_limit->result, 3'520);
  EXPECT_EQ(at_limit->outcome, Outcome::kAlert);  // Above the site's 2,000, within Annex 1.
  count.result = 3.6;
  const auto over = Recorded(count, zone);
  ASSERT_TRUE(over) << over.error().ToString();
  EXPECT_EQ(over->result, 3'600);
  EXPECT_EQ(over->outcome, Outcome::kAction);
  EXPECT_EQ(over->assessment,
            "3600 particles/m3 (entered as 3.6 particles/L) at B101-BSC1-AIR (grade A, in "
            "operation) exceeds the Annex 1 action limit <= 3520 particles/m3");
  // 1.001 * 1000 is 1000.9999999999999 in doubles: the person reads 1001, and so does the record.
  count.result = 1.001;
  const auto noisy = Recorded(count, zone);
  ASSERT_TRUE(noisy) << noisy.error().ToString();
  EXPECT_EQ(noisy->result, 1'001);
  EXPECT_EQ(noisy->assessment,
            "1001 particles/m3 (entered as 1.001 particles/L) at B101-BSC1-AIR (grade A, in "
            "operation) is within the Annex 1 action limit <= 3520 particles/m3 and not above the "
            "site alert level 2000 particles/m3");
}

TEST(Monitoring, ColoniesPerLitreAreConvertedToPerCubicMetre) {
  const LocationState location = Defined(Centre());
  const auto at_limit = Recorded(Air(0.01, "CFU/L"), location);
  ASSERT_TRUE(at_limit) << at_limit.error().ToString();
  EXPECT_EQ(at_limit->result, 10);
  EXPECT_EQ(at_limit->unit_entered, "CFU/L");
  EXPECT_EQ(at_limit->outcome, Outcome::kAlert);
  const auto over = Recorded(Air(0.012, "CFU/L"), location);
  ASSERT_TRUE(over) << over.error().ToString();
  EXPECT_EQ(over->value_entered, 0.012);
  EXPECT_EQ(over->result, 12);
  EXPECT_EQ(over->outcome, Outcome::kAction);
}

// A result in a unit of another dimension is refused, never compared (G-10).
TEST(Monitoring, RefusesAUnitOfAnotherDimension) {
  const LocationState location = Defined(Centre());
  const auto per_plate = RecordSample({}, Air(3, "CFU"), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(Refused(per_plate, ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(Contains(per_plate.error().Message(), "CFU/m3")) << per_plate.error().Message();
  EXPECT_TRUE(Refused(RecordSample({}, Air(3, "particles/m3"), location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(Refused(
      RecordSample({}, Input(SampleType::kSettlePlate, Occupancy::kInOperation, 2, "CFU/m3"),
                   location, kNow, kAnalyst, kTerminal),
      ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(Refused(RecordSample({}, Air(3, "colonies"), location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(Refused(RecordSample({}, Air(3, ""), location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "unit"));
}

TEST(Monitoring, RefusesANegativeOrNonFiniteResult) {
  const LocationState location = Defined(Centre());
  for (const double result :
       {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    EXPECT_TRUE(Refused(RecordSample({}, Air(result), location, kNow, kAnalyst, kTerminal),
                        ErrorCode::kInvalidArgument, "result"))
        << result;
  }
  EXPECT_TRUE(RecordSample({}, Air(0), location, kNow, kAnalyst, kTerminal));
}

// Plates and glove prints are counted in whole colonies; an active air result is a count divided
// by the volume sampled (1 CFU in 0.3 m3) and may be fractional.
TEST(Monitoring, RefusesAFractionalColonyCount) {
  const LocationState location = Defined(Centre());
  for (const SampleType type :
       {SampleType::kSettlePlate, SampleType::kContactPlate, SampleType::kGlovePrint}) {
    const Occupancy occupancy =
        type == SampleType::kContactPlate ? Occupancy::kAtRest : Occupancy::kInOperation;
    const auto refused =
        RecordSample({}, Input(type, occupancy, 2.5, "CFU"), location, kNow, kAnalyst, kTerminal);
    ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "result")) << SampleTypeName(type);
    EXPECT_TRUE(Contains(refused.error().Message(), "whole colonies, not 2.5 CFU"));
    EXPECT_TRUE(
        RecordSample({}, Input(type, occupancy, 2, "CFU"), location, kNow, kAnalyst, kTerminal));
  }
  const auto air = Recorded(Air(3.33), location);
  ASSERT_TRUE(air) << air.error().ToString();
  EXPECT_EQ(air->result, 3.33);
}

// AL-01: the record's time is the server's; the time of sampling is never after it, nor before
// the location existed.
TEST(Monitoring, RefusesATimeOfSamplingInTheFutureOrBeforeTheLocation) {
  const LocationState location = Defined(Centre());
  SampleInput input = Air(3);
  input.taken_at = Day(2, 1);
  EXPECT_TRUE(Refused(RecordSample({}, input, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "taken_at"));
  input.taken_at = kNow;
  EXPECT_TRUE(RecordSample({}, input, location, kNow, kAnalyst, kTerminal));
  input.taken_at = Day(0, -1);
  const auto early = RecordSample({}, input, location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(Refused(early, ErrorCode::kInvalidArgument, "taken_at"));
  EXPECT_TRUE(Contains(early.error().Message(), "before location B101-CENTRE was monitored"));
  input.taken_at = Day(0);
  EXPECT_TRUE(RecordSample({}, input, location, kNow, kAnalyst, kTerminal));
}

// AL-01: a site bringing its earlier results in defines the location as monitored since then;
// samples before that, and a start in the future, are still refused, and a revision keeps it.
TEST(Monitoring, ResultsFromBeforeTheDefinitionNeedTheLocationMonitoredSinceThen) {
  LocationCommand command = Centre();
  command.monitored_since = Day(-90);
  const LocationState location = Defined(command);
  EXPECT_EQ(location.monitored_since, Day(-90));
  EXPECT_EQ(location.defined_at, Day(0));
  SampleInput input = Air(3);
  input.taken_at = Day(-60);
  EXPECT_TRUE(RecordSample({}, input, location, kNow, kAnalyst, kTerminal));
  input.taken_at = Day(-91);
  EXPECT_TRUE(Refused(RecordSample({}, input, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "taken_at"));

  LocationCommand future = Centre();
  future.monitored_since = Day(1);
  EXPECT_TRUE(Refused(DefineLocation({}, future, Room(), "", Day(0), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "monitored_since"));

  LocationCommand moved = command;
  moved.description = "Room centre, moved beside the door";
  moved.monitored_since = Day(-30);
  EXPECT_TRUE(Refused(DefineLocation(location, moved, Room(), "Relocated after the HVAC change",
                                     Day(1), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "monitored_since"));
  moved.monitored_since.reset();
  const auto revised = DefineLocation(location, moved, Room(), "Relocated after the HVAC change",
                                      Day(1), kQa, kTerminal);
  ASSERT_TRUE(revised) << revised.error().ToString();
  LocationState after = location;
  ASSERT_TRUE(ApplyLocationEvent(after, Seal(*revised, Day(1))));
  EXPECT_EQ(after.monitored_since, Day(-90));
  const auto stored = LocationFromJson(LocationToJson(after));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, after);
}

// Annex 1 Table 6: settle plates, CFU per 4 hours at most.
TEST(Monitoring, ExposureTimeIsForSettlePlatesOnlyAndOneTo240Minutes) {
  const LocationState location = Defined(Centre());
  SampleInput plate = Input(SampleType::kSettlePlate, Occupancy::kInOperation, 1, "CFU");
  for (const int minutes : {1, 240}) {
    plate.exposure_minutes = minutes;
    const auto sample = Recorded(plate, location);
    ASSERT_TRUE(sample) << sample.error().ToString();
    EXPECT_EQ(sample->exposure_minutes, minutes);
  }
  for (const std::optional<int> minutes : {std::optional<int>(0), std::optional<int>(241),
                                           std::optional<int>(-5), std::optional<int>()}) {
    plate.exposure_minutes = minutes;
    EXPECT_TRUE(Refused(RecordSample({}, plate, location, kNow, kAnalyst, kTerminal),
                        ErrorCode::kInvalidArgument, "exposure_minutes"))
        << minutes.value_or(-1);
  }
  SampleInput contact = Input(SampleType::kContactPlate, Occupancy::kAtRest, 1, "CFU");
  contact.exposure_minutes = 60;
  EXPECT_TRUE(Refused(RecordSample({}, contact, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "exposure_minutes"));
}

TEST(Monitoring, PersonIsNamedForGlovePrintsOnly) {
  const LocationState location = Defined(Centre());
  SampleInput glove = Input(SampleType::kGlovePrint, Occupancy::kInOperation, 1, "CFU");
  const auto sample = Recorded(glove, location);
  ASSERT_TRUE(sample) << sample.error().ToString();
  EXPECT_EQ(sample->person, "olga");
  glove.person.reset();
  EXPECT_TRUE(Refused(RecordSample({}, glove, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "person"));
  glove.person = "Olga Operator";
  EXPECT_TRUE(Refused(RecordSample({}, glove, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "person"));
  SampleInput air = Air(1);
  air.person = "olga";
  EXPECT_TRUE(Refused(RecordSample({}, air, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "person"));
}

TEST(Monitoring, RefusesASampleLabelUsedBefore) {
  const LocationState location = Defined(Centre());
  const auto first = Recorded(Air(3), location);
  ASSERT_TRUE(first) << first.error().ToString();
  const auto again = RecordSample(*first, Air(4), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(Refused(again, ErrorCode::kAlreadyExists, "sample_id"));
  EXPECT_TRUE(Contains(again.error().Message(), "EM-2026-03-0412"));
  SampleInput malformed = Air(3);
  malformed.id = "em 0412";
  EXPECT_TRUE(Refused(RecordSample({}, malformed, location, kNow, kAnalyst, kTerminal),
                      ErrorCode::kInvalidArgument, "sample_id"));
}

TEST(Monitoring, RefusesASampleTheLocationDoesNotPlanListingWhatItPlans) {
  const LocationState zone = Defined(CabinetZone());
  const auto contact = RecordSample(
      {}, Input(SampleType::kContactPlate, Occupancy::kInOperation, 0, "CFU", "B101-BSC1-AIR"),
      zone, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(Refused(contact, ErrorCode::kInvalidArgument, "type"));
  EXPECT_EQ(contact.error().Message(),
            "location B101-BSC1-AIR does not plan contact_plate in_operation; it plans active_air "
            "in_operation, settle_plate in_operation, glove_print in_operation, particles_0_5um "
            "in_operation");
  // The type is planned, in the other occupancy.
  EXPECT_TRUE(Refused(
      RecordSample({},
                   Input(SampleType::kActiveAir, Occupancy::kAtRest, 0, "CFU/m3", "B101-BSC1-AIR"),
                   zone, kNow, kAnalyst, kTerminal),
      ErrorCode::kInvalidArgument, "occupancy"));
}

TEST(Monitoring, RefusesASampleAtAnUnknownLocation) {
  EXPECT_TRUE(Refused(RecordSample({}, Air(3), LocationState{}, kNow, kAnalyst, kTerminal),
                      ErrorCode::kNotFound, "location"));
  const LocationState zone = Defined(CabinetZone());
  EXPECT_TRUE(Refused(RecordSample({}, Air(3), zone, kNow, kAnalyst, kTerminal),
                      ErrorCode::kNotFound, "location"));
}

// The assessment is part of the record: a later change of the plan (or of the location's grade)
// never changes what a recorded result was judged against.
TEST(Monitoring, RecordedAssessmentOutlivesAChangeOfThePlan) {
  const LocationState location = Defined(Centre());
  const auto event = RecordSample({}, Air(7), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(event);
  LocationCommand relaxed = Centre();
  relaxed.samples[0].alert_level = 8;
  LocationState revised = location;
  const auto revision =
      DefineLocation(revised, relaxed, Room(), "Trend review TR-7", Day(3), kQa, kTerminal);
  ASSERT_TRUE(revision);
  ASSERT_TRUE(ApplyLocationEvent(revised, Seal(*revision, Day(3), 2)));
  // Folded after the revision, the sample still reads as judged on entry.
  SampleState sample;
  ASSERT_TRUE(ApplySampleEvent(sample, Seal(*event, kNow)));
  EXPECT_EQ(sample.outcome, Outcome::kAlert);
  EXPECT_EQ(sample.alert_level, 5);
  EXPECT_TRUE(Contains(sample.assessment, "site alert level 5 CFU/m3"));
  // The same result entered now is within the relaxed level.
  SampleInput later = Air(7);
  later.id = "EM-2026-03-0413";
  EXPECT_EQ(Recorded(later, revised)->outcome, Outcome::kWithinLimits);
}

TEST(Monitoring, FoldRefusesACorruptOrRepeatedSampleEvent) {
  const LocationState location = Defined(Centre());
  const auto event = RecordSample({}, Air(7), location, kNow, kAnalyst, kTerminal);
  ASSERT_TRUE(event);
  SampleState sample;
  ASSERT_TRUE(ApplySampleEvent(sample, Seal(*event, kNow)));
  EXPECT_TRUE(Refused(ApplySampleEvent(sample, Seal(*event, kNow, 2)), ErrorCode::kDataLoss));
  ledger::NewEvent tampered = *event;
  tampered.payload.Set("unit", "CFU");  // Results read in another unit than they were compared in.
  SampleState fresh;
  EXPECT_TRUE(Refused(ApplySampleEvent(fresh, Seal(tampered, kNow)), ErrorCode::kDataLoss));
  tampered = *event;
  tampered.payload.Set("outcome", "fine");
  EXPECT_TRUE(Refused(ApplySampleEvent(fresh, Seal(tampered, kNow)), ErrorCode::kDataLoss));
  tampered = *event;
  tampered.payload.Set("taken_at", "yesterday");
  EXPECT_TRUE(Refused(ApplySampleEvent(fresh, Seal(tampered, kNow)), ErrorCode::kDataLoss));
}

TEST(Monitoring, StoredLocationReadsBackAsTheSameLocation) {
  const LocationState location = Defined(Centre());
  const auto read = LocationFromJson(LocationToJson(location));
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, location);
  const auto parsed = ParseJson(CanonicalJson(LocationToJson(location)));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(LocationFromJson(*parsed), location);
  Json corrupt = LocationToJson(location);
  corrupt.Set("samples", "all of them");
  EXPECT_TRUE(Refused(LocationFromJson(corrupt), ErrorCode::kDataLoss));
}

TEST(Monitoring, StoredSampleReadsBackAsTheSameSample) {
  const LocationState location = Defined(Centre());
  SampleInput plate = Input(SampleType::kSettlePlate, Occupancy::kInOperation, 4, "CFU");
  plate.exposure_minutes = 185;
  plate.comment = "Plate changed at 11:05\nafter the second bag transfer";
  const auto sample = Recorded(plate, location);
  ASSERT_TRUE(sample) << sample.error().ToString();
  const auto read = SampleFromJson(SampleToJson(*sample));
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, *sample);
  Json corrupt = SampleToJson(*sample);
  corrupt.Set("exposure_minutes", 600);
  EXPECT_TRUE(Refused(SampleFromJson(corrupt), ErrorCode::kDataLoss));
}

// ---------------------------------------------------------------------------------------------
// Property: every valid sample folds into the state its input and the Annex describe, and its
// stored form reads back as the same state.

RC_GTEST_PROP(Environment, AnyValidSampleFoldsAsAssessedAndRoundTripsThroughStorage, ()) {
  const auto grade = kGrades[*rc::gen::inRange<std::size_t>(0, kGrades.size())];
  // Every (type, occupancy) planned, with an alert level where one may be set.
  LocationCommand command = Centre();
  command.grade = grade;
  command.samples.clear();
  for (const LimitRow& row : kAnnex1Tables) {
    const auto limit = Annex1Limit(grade, row.type, row.occupancy);
    std::optional<double> alert;
    if (*rc::gen::inRange(0, 3) > 0 && !(limit && limit->any_growth)) {
      const double ceiling = limit ? limit->maximum : 1'000'000;
      alert = std::floor(ceiling * *rc::gen::inRange(0, 100) / 100.0);
      if (limit && *alert >= limit->maximum) alert.reset();
    }
    command.samples.push_back(Plan(row.type, row.occupancy, alert));
  }
  LocationState location;
  const auto defined =
      DefineLocation(location, command, Room(Grade::kUnclassified), "", Day(0), kQa, kTerminal);
  RC_ASSERT(defined.has_value());
  RC_ASSERT(ApplyLocationEvent(location, Seal(*defined, Day(0))).has_value());

  const LimitRow& row = kAnnex1Tables[*rc::gen::inRange<std::size_t>(0, kAnnex1Tables.size())];
  const bool per_litre = row.type != SampleType::kSettlePlate &&
                         row.type != SampleType::kContactPlate &&
                         row.type != SampleType::kGlovePrint && *rc::gen::arbitrary<bool>();
  const std::string unit = std::string(ResultUnit(row.type));
  // A whole number in the result unit, entered per litre as a thousandth of it.
  const double value = *rc::gen::inRange(0, IsViable(row.type) ? 300 : 5'000'000);
  SampleInput input = Input(row.type, row.occupancy, per_litre ? value / 1000 : value,
                            per_litre ? unit.substr(0, unit.size() - 2) + "L" : unit);
  if (row.type == SampleType::kSettlePlate) input.exposure_minutes = *rc::gen::inRange(1, 241);
  input.taken_at = Day(0, *rc::gen::inRange<std::int64_t>(0, 2 * kMicrosPerDay));
  input.comment = *rc::gen::element<std::string>("", "Door opened twice", "Re-read\tby QC");

  const auto event = RecordSample({}, input, location, kNow, kAnalyst, kTerminal);
  RC_ASSERT(event.has_value());
  SampleState sample;
  RC_ASSERT(ApplySampleEvent(sample, Seal(*event, kNow)).has_value());
  RC_ASSERT(sample.result == value);
  RC_ASSERT(sample.value_entered == input.result);
  RC_ASSERT(sample.unit_entered == input.unit);
  RC_ASSERT(sample.taken_at == input.taken_at);
  RC_ASSERT(sample.grade == grade);
  RC_ASSERT(sample.comment == input.comment);
  const auto limit = Annex1Limit(grade, row.type, row.occupancy);
  const std::optional<double> alert = location.Planned(row.type, row.occupancy)->alert_level;
  const Outcome expected = limit && limit->ExceededBy(value) ? Outcome::kAction
                           : alert && value > *alert         ? Outcome::kAlert
                                                             : Outcome::kWithinLimits;
  RC_ASSERT(sample.outcome == expected);
  RC_ASSERT(sample.action_limit == limit);
  RC_ASSERT(sample.alert_level == alert);
  RC_ASSERT((event->payload.Find("alert") != nullptr) == (expected != Outcome::kWithinLimits));

  const auto stored = SampleFromJson(SampleToJson(sample));
  RC_ASSERT(stored.has_value());
  RC_ASSERT(*stored == sample);
  const auto parsed = ParseJson(CanonicalJson(SampleToJson(sample)));
  RC_ASSERT(parsed.has_value());
  const auto reread = SampleFromJson(*parsed);
  RC_ASSERT(reread.has_value());
  RC_ASSERT(*reread == sample);
}

}  // namespace
}  // namespace aliquot::environment
