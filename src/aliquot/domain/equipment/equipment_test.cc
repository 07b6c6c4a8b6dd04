#include "aliquot/domain/equipment/equipment.h"

#include <algorithm>
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
#include "aliquot/domain/materials/lot.h"

namespace aliquot::equipment {
namespace {

using environment::RoomState;

constexpr std::string_view kTerminal = "SUITE1-T2";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
constexpr std::int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
const ledger::Actor kOperator{"otto", "Otto Operator"};
const ledger::Actor kColleague{"olga", "Olga Operator"};
const ledger::Actor kEngineer{"erin", "Erin Engineer"};
const ledger::Actor kQa{"quinn", "Quinn QA"};

constexpr std::string_view kCabinet = "BSC-01";
constexpr std::string_view kBalance = "BAL-02";
constexpr std::string_view kSuite = "CAR-T-B101";

// Day `day` after kDay0 (09:00 UTC), plus `hours` and `micros`.
Timestamp At(std::int64_t day, std::int64_t hours = 0, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay + hours * kMicrosPerHour +
                               micros);
}

// A distinct identification code (T-02) with its MOD 37-2 check character.
std::string PatientCode(std::string_view body) {
  return "DIN-" + std::string(body) + "-" +
         std::string(1, materials::DonorCodeCheckCharacter(body));
}

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

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

// A room as the environment area folds it.
RoomState Room(std::string_view id, environment::Grade grade) {
  RoomState room;
  room.exists = true;
  room.id = std::string(id);
  room.site = "LEI";
  room.name = "Processing room " + std::string(id);
  room.grade = grade;
  room.revision = 1;
  room.defined_at = kDay0;
  room.defined_by = kQa.id;
  return room;
}

// Suite 1, grade B: where the equipment of these tests stands.
RoomState Suite() { return Room(kSuite, environment::Grade::kB); }

// An equipment stream as the store seals it: each decided event checked, numbered, chained and
// folded as it grows.
struct Logbook {
  EquipmentState state;
  std::vector<ledger::Event> events;

  Status Append(const Result<ledger::NewEvent>& event, Timestamp time) {
    if (!event) return Unexpected(event.error());
    ALIQUOT_RETURN_IF_ERROR(ledger::ValidateNewEvent(*event));
    const Hash256 prev = events.empty() ? ledger::kGenesisPrevHash : events.back().hash;
    events.push_back(ledger::SealEvent(*event, events.size() + 1, time, prev));
    return ApplyEquipmentEvent(state, events.back());
  }
  // The number of the latest entry.
  int Last() const { return state.entries; }
  // The payload of the latest event.
  Json LastPayload() const { return *ParseJson(events.back().payload); }
};

// A class II biosafety cabinet in suite 1, cleaned by `rule`.
Definition CabinetDefinition(CleaningRule rule = CleaningRule::kBetweenPatients) {
  return {.name = "Class II biosafety cabinet, suite 1",
          .equipment_class = EquipmentClass::kBiosafetyCabinet,
          .manufacturer = "Thermo Fisher",
          .model = "1300 Series A2",
          .serial_number = "SN-4471-22",
          .room = std::string(kSuite),
          .cleaning_rule = rule};
}

// An analytical balance weighing in grams, calibrated every 180 days, maintained every 365.
Definition BalanceDefinition() {
  return {.name = "Analytical balance, suite 1",
          .equipment_class = EquipmentClass::kBalance,
          .manufacturer = "Mettler-Toledo",
          .model = "XPR205",
          .serial_number = "B123456789",
          .room = std::string(kSuite),
          .calibration_interval_days = 180,
          .maintenance_interval_days = 365,
          .measures = "g"};
}

Logbook Registered(std::string_view id, const Definition& definition) {
  Logbook log;
  EXPECT_TRUE(Ok(log.Append(Register({}, id, definition, Suite(), kEngineer, kTerminal), At(0))));
  return log;
}

// Appends `event` at `at` and returns its entry number.
int Recorded(Logbook& log, const Result<ledger::NewEvent>& event, Timestamp at) {
  EXPECT_TRUE(Ok(log.Append(event, at)));
  return log.Last();
}

void Sign(Logbook& log, int entry, const ledger::Actor& by, Timestamp at) {
  EXPECT_TRUE(Ok(log.Append(SignEntry(log.state, entry, by.id, by, kTerminal), at)));
}

void Verify(Logbook& log, int entry, const ledger::Actor& by, Timestamp at) {
  EXPECT_TRUE(Ok(log.Append(VerifyEntry(log.state, entry, by.id, by, kTerminal), at)));
}

// Qualified by erin's signature and quinn's verification.
void Qualify(Logbook& log, Timestamp at) {
  const int entry = Recorded(
      log, RecordQualification(log.state, {.reference = "IQOQ-BSC-01-2026"}, kEngineer, kTerminal),
      at);
  Sign(log, entry, kEngineer, at);
  Verify(log, entry, kQa, at);
}

int RecordClean(Logbook& log, Timestamp at, const ledger::Actor& by = kOperator) {
  return Recorded(log,
                  RecordCleaning(log.state,
                                 {.agent = "70% IPA, then sporicidal (Klercide)",
                                  .method = "wipe-down per SOP-CLN-004"},
                                 by, kTerminal),
                  at);
}

// Cleaned and signed by its performer.
int Clean(Logbook& log, Timestamp at, const ledger::Actor& by = kOperator) {
  const int entry = RecordClean(log, at, by);
  Sign(log, entry, by, at);
  return entry;
}

CalibrationPoint Point(double nominal, double as_found, double tolerance, std::string unit,
                       std::optional<double> as_left = std::nullopt) {
  return {.nominal = nominal,
          .as_found = as_found,
          .as_left = as_left,
          .tolerance = tolerance,
          .unit = std::move(unit)};
}

CalibrationInput CalibrationWith(std::vector<CalibrationPoint> points) {
  return {.provider = "Mettler-Toledo service",
          .reference_standard = "Weight set WS-0042 (cert. 2026-118)",
          .points = std::move(points)};
}

CalibrationInput Passing() {
  return CalibrationWith({Point(100, 100.0004, 0.001, "g"), Point(1, 1.0001, 0.0005, "g")});
}

// 100 g read 100.012 g and could not be adjusted back.
CalibrationInput FailingAsLeft() { return CalibrationWith({Point(100, 100.012, 0.001, "g")}); }

int Calibrate(Logbook& log, Timestamp at, const CalibrationInput& input = Passing()) {
  const int entry =
      Recorded(log, RecordCalibration(log.state, input, at, kEngineer, kTerminal), at);
  Sign(log, entry, kEngineer, at);
  return entry;
}

int Maintain(Logbook& log, Timestamp at, MaintenanceType type = MaintenanceType::kPreventive) {
  const int entry = Recorded(
      log,
      RecordMaintenance(log.state, {.type = type, .description = "Annual service per SOP-MNT-002"},
                        at, kEngineer, kTerminal),
      at);
  Sign(log, entry, kEngineer, at);
  return entry;
}

// Registered on day 0 at 09:00, qualified at 10:00, calibrated and maintained at 11:00 where its
// definition asks for it, and cleaned at 12:00 where it is cleaned.
Logbook Ready(std::string_view id, const Definition& definition,
              const CalibrationInput& calibration = Passing()) {
  Logbook log = Registered(id, definition);
  Qualify(log, At(0, 1));
  if (definition.calibration_interval_days) Calibrate(log, At(0, 2), calibration);
  if (definition.maintenance_interval_days) Maintain(log, At(0, 2));
  if (definition.cleaning_rule != CleaningRule::kNone) Clean(log, At(0, 3));
  return log;
}

UseRequest Ask(std::string batch, Timestamp at, std::string patient = {},
               std::string product = {}) {
  return {.batch = std::move(batch),
          .product = std::move(product),
          .patient_code = std::move(patient),
          .at = at};
}

UseCheck Check(const EquipmentState& state, const UseRequest& request,
               const RoomState& room = Suite()) {
  auto check = CheckUse(state, room, request);
  EXPECT_TRUE(check.has_value()) << check.error().ToString();
  if (!check) return {.refusal = UseRefusal::kNone, .message = "no check"};
  EXPECT_EQ(check->equipment, state.id);
  EXPECT_EQ(check->at, request.at);
  return *check;
}

// Starts a use that the check allows, as the app does.
void Start(Logbook& log, const std::string& batch, Timestamp at, const std::string& patient = {},
           const std::string& product = {}) {
  const UseCheck check = Check(log.state, Ask(batch, at, patient, product));
  ASSERT_TRUE(check.Allowed()) << check.message;
  const UseInput input{.batch = batch,
                       .product = product,
                       .lot = "L-2026-0001",
                       .step = "CD4/CD8 selection",
                       .patient_code = patient};
  ASSERT_TRUE(Ok(CheckUseInput(input)));
  ASSERT_TRUE(Ok(log.Append(StartUse(log.state, input, check, Suite(), kOperator, kTerminal), at)));
}

void End(Logbook& log, std::string_view batch, Timestamp at) {
  EXPECT_TRUE(Ok(log.Append(EndUse(log.state, batch, "", kOperator, kTerminal), at)));
}

const std::string kPatientA = PatientCode("A7Q29K44");
const std::string kPatientB = PatientCode("B8R30L55");

// --- Names ------------------------------------------------------------------------------------

TEST(EquipmentNames, ReadBackAsTheSameValue) {
  for (int i = 0; i <= static_cast<int>(EquipmentClass::kAirSampler); ++i) {
    const auto value = static_cast<EquipmentClass>(i);
    EXPECT_EQ(EquipmentClassFromName(EquipmentClassName(value)), value);
  }
  EXPECT_EQ(EquipmentClassName(EquipmentClass::kBiosafetyCabinet), "biosafety_cabinet");
  for (int i = 0; i <= static_cast<int>(CleaningRule::kBetweenPatients); ++i) {
    const auto rule = static_cast<CleaningRule>(i);
    EXPECT_EQ(CleaningRuleFromName(CleaningRuleName(rule)), rule);
  }
  EXPECT_EQ(CleaningRuleName(CleaningRule::kBetweenPatients), "between_patients");
  for (int i = 0; i <= static_cast<int>(EntryKind::kVerified); ++i) {
    const auto kind = static_cast<EntryKind>(i);
    EXPECT_EQ(EntryKindFromName(EntryKindName(kind)), kind);
  }
  EXPECT_EQ(EntryKindName(EntryKind::kReturnedToService), "returned_to_service");
  EXPECT_EQ(QualificationStatusFromName("qualified"), QualificationStatus::kQualified);
  EXPECT_EQ(MaintenanceTypeFromName("corrective"), MaintenanceType::kCorrective);
  EXPECT_EQ(UseRefusalName(UseRefusal::kCalibrationOverdue), "calibration_overdue");
  EXPECT_EQ(UseRefusalName(UseRefusal::kNotClean), "not_clean");
  EXPECT_EQ(CleanStatusName(CleanStatus::kUsedSinceCleaning), "used_since_cleaning");
  EXPECT_FALSE(EquipmentClassFromName("Biosafety_Cabinet").has_value());
  EXPECT_FALSE(CleaningRuleFromName("weekly").has_value());
}

// The principle of equipment.h: the kinds that permit use again are the signed ones.
TEST(EquipmentNames, OnlyKindsThatPermitUseAreSigned) {
  for (const EntryKind kind :
       {EntryKind::kQualification, EntryKind::kCleaning, EntryKind::kMaintenance,
        EntryKind::kCalibration, EntryKind::kReturnedToService}) {
    EXPECT_TRUE(IsSignedKind(kind)) << EntryKindName(kind);
  }
  for (const EntryKind kind :
       {EntryKind::kRegistered, EntryKind::kRedefined, EntryKind::kUseStarted, EntryKind::kUseEnded,
        EntryKind::kUseRefused, EntryKind::kOutOfService, EntryKind::kSigned,
        EntryKind::kVerified}) {
    EXPECT_FALSE(IsSignedKind(kind)) << EntryKindName(kind);
  }
  // Qualification is always verified (A11-01); the others where the definition asks.
  Definition definition = CabinetDefinition();
  EXPECT_TRUE(definition.NeedsVerification(EntryKind::kQualification));
  EXPECT_FALSE(definition.NeedsVerification(EntryKind::kCleaning));
  definition.second_person_checks = {EntryKind::kCleaning};
  EXPECT_TRUE(definition.NeedsVerification(EntryKind::kCleaning));
}

// --- Registration -----------------------------------------------------------------------------

// Verifies G-06: equipment has a distinct id; its registration is entry 1 of its logbook.
TEST(EquipmentRegister, RecordsTheDefinitionAsEntryOneUnderADistinctId) {
  const Logbook log = Registered(kCabinet, CabinetDefinition());
  const ledger::Event& event = log.events.front();
  EXPECT_EQ(event.stream, EquipmentStream(kCabinet));
  EXPECT_EQ(event.stream.type, "equipment");
  EXPECT_EQ(event.event_type, "equipment.registered");
  EXPECT_EQ(event.actor, kEngineer);
  EXPECT_EQ(event.terminal, kTerminal);
  const Json payload = log.LastPayload();
  EXPECT_EQ(*payload.Find("room_grade"), Json("B"));
  EXPECT_EQ(*payload.Find("definition"), DefinitionToJson(CabinetDefinition()));

  EXPECT_TRUE(log.state.exists);
  EXPECT_EQ(log.state.id, kCabinet);
  EXPECT_EQ(log.state.definition, CabinetDefinition());
  EXPECT_EQ(log.state.registered_at, At(0));
  EXPECT_EQ(log.state.entries, 1);
  EXPECT_EQ(log.state.qualified, QualificationStatus::kNotQualified);
  const EquipmentStatus status = StatusAt(log.state, At(0));
  EXPECT_EQ(status.clean, CleanStatus::kNeverCleaned);
  EXPECT_FALSE(status.out_of_service);
  EXPECT_FALSE(status.in_use.has_value());
  EXPECT_TRUE(status.awaiting.empty());
}

TEST(EquipmentRegister, RefusesAMalformedIdNamingTheField) {
  for (const std::string_view id : {"", "B", "bsc 01", "BSC 01", "-BSC-01", "BSC/01"}) {
    EXPECT_TRUE(Refused(Register({}, id, CabinetDefinition(), Suite(), kEngineer, kTerminal),
                        ErrorCode::kInvalidArgument, "id"))
        << id;
  }
}

TEST(EquipmentRegister, RefusesACalibrationIntervalWithoutAMeasuredUnit) {
  Definition definition = BalanceDefinition();
  definition.measures.reset();
  EXPECT_TRUE(Refused(Register({}, kBalance, definition, Suite(), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "measures"));
  definition.measures = "furlongs";
  EXPECT_TRUE(Refused(Register({}, kBalance, definition, Suite(), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "measures"));
}

// Verifies A11-01: a second-person check is asked only of an entry that is signed.
TEST(EquipmentRegister, RefusesASecondPersonCheckOnAKindThatIsNotSigned) {
  const auto refusal = [](std::vector<EntryKind> checks, std::string_view field) {
    Definition definition = CabinetDefinition();
    definition.second_person_checks = std::move(checks);
    return Refused(Register({}, kCabinet, definition, Suite(), kEngineer, kTerminal),
                   ErrorCode::kInvalidArgument, field);
  };
  EXPECT_TRUE(refusal({EntryKind::kUseStarted}, "second_person_checks[0]"));
  EXPECT_TRUE(refusal({EntryKind::kCleaning, EntryKind::kOutOfService}, "second_person_checks[1]"));
  EXPECT_TRUE(refusal({EntryKind::kSigned}, "second_person_checks[0]"));
  // Qualification is always verified: listing it is a mistake, and so is listing a kind twice.
  EXPECT_TRUE(refusal({EntryKind::kQualification}, "second_person_checks[0]"));
  EXPECT_TRUE(refusal({EntryKind::kCleaning, EntryKind::kCleaning}, "second_person_checks[1]"));

  Definition definition = CabinetDefinition();
  definition.second_person_checks = {EntryKind::kCleaning, EntryKind::kMaintenance,
                                     EntryKind::kReturnedToService};
  EXPECT_TRUE(Register({}, kCabinet, definition, Suite(), kEngineer, kTerminal).has_value());
}

TEST(EquipmentRegister, RefusesAnUnknownRoomAsNotFound) {
  const auto event = Register({}, kCabinet, CabinetDefinition(), RoomState{}, kEngineer, kTerminal);
  ASSERT_TRUE(Refused(event, ErrorCode::kNotFound, "room"));
  EXPECT_TRUE(Contains(event.error().Message(), std::string(kSuite)));
}

TEST(EquipmentRegister, RefusesAnIdAlreadyInUse) {
  const Logbook log = Registered(kCabinet, CabinetDefinition());
  const auto again =
      Register(log.state, kCabinet, CabinetDefinition(), Suite(), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(again, ErrorCode::kAlreadyExists));
  EXPECT_TRUE(Contains(again.error().Message(), "BSC-01 is already registered"));
}

TEST(EquipmentRegister, RefusesIntervalsAndHoldTimesOutOfRangeNamingTheField) {
  const auto refusal = [](const Definition& definition, std::string_view field) {
    return Refused(Register({}, kBalance, definition, Suite(), kEngineer, kTerminal),
                   ErrorCode::kInvalidArgument, field);
  };
  Definition definition = BalanceDefinition();
  definition.calibration_interval_days = 0;
  EXPECT_TRUE(refusal(definition, "calibration_interval_days"));
  definition.calibration_interval_days = 3651;
  EXPECT_TRUE(refusal(definition, "calibration_interval_days"));
  definition = BalanceDefinition();
  definition.maintenance_interval_days = -1;
  EXPECT_TRUE(refusal(definition, "maintenance_interval_days"));
  definition = CabinetDefinition();
  definition.clean_hold_hours = 8761;
  EXPECT_TRUE(refusal(definition, "clean_hold_hours"));
  // A hold time means nothing for equipment that is never cleaned.
  definition = BalanceDefinition();
  definition.clean_hold_hours = 24;
  EXPECT_TRUE(refusal(definition, "clean_hold_hours"));
  definition = CabinetDefinition();
  definition.name = "";
  EXPECT_TRUE(refusal(definition, "name"));
  definition = CabinetDefinition();
  definition.room = "suite one";
  EXPECT_TRUE(refusal(definition, "room"));
}

TEST(EquipmentRedefine, RefusesAMoveWhileInUseAndAChangeThatChangesNothing) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  const RoomState other = Room("CAR-T-B102", environment::Grade::kB);
  Definition moved = CabinetDefinition();
  moved.room = other.id;
  EXPECT_TRUE(Refused(Redefine(log.state, CabinetDefinition(), Suite(), "No change at all", At(1),
                               kEngineer, kTerminal),
                      ErrorCode::kAlreadyExists));
  EXPECT_TRUE(Refused(Redefine(log.state, moved, other, "", At(1), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  Start(log, "B-0017", At(1), kPatientA);
  const auto busy =
      Redefine(log.state, moved, other, "Moved to suite 2", At(1, 1), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(busy, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(busy.error().Message(), "in use by batch B-0017"));
  End(log, "B-0017", At(1, 2));
  ASSERT_TRUE(Ok(log.Append(
      Redefine(log.state, moved, other, "Moved to suite 2", At(1, 3), kEngineer, kTerminal),
      At(1, 3))));
  EXPECT_EQ(log.state.definition.room, "CAR-T-B102");
  EXPECT_EQ(log.events.back().reason, "Moved to suite 2");
  EXPECT_EQ(log.state.registered_at, At(0));
}

// --- The equipment check, one refusal at a time ------------------------------------------------

// Verifies G-06 and P11-06: qualified, clean equipment of the class and grade asked is allowed.
TEST(EquipmentUseCheck, AllowsQualifiedCleanEquipmentOfTheClassAndGradeAsked) {
  const Logbook log = Ready(kCabinet, CabinetDefinition());
  UseRequest request = Ask("B-0017", At(1), kPatientA);
  request.required_class = EquipmentClass::kBiosafetyCabinet;
  request.required_grade = environment::Grade::kB;
  const UseCheck check = Check(log.state, request);
  EXPECT_TRUE(check.Allowed()) << check.message;
  EXPECT_EQ(check.message, "BSC-01 may be used");
}

TEST(EquipmentUseCheck, RefusesUnknownEquipmentAsNotFound) {
  EXPECT_TRUE(
      Refused(CheckUse({}, Suite(), Ask("B-0017", At(1))), ErrorCode::kNotFound, "equipment_id"));
}

// Verifies P11-06: a step that needs an incubator cannot use a cabinet.
TEST(EquipmentUseCheck, RefusesEquipmentOfAnotherClassNamingBoth) {
  const Logbook log = Ready(kCabinet, CabinetDefinition());
  UseRequest request = Ask("B-0017", At(1), kPatientA);
  request.required_class = EquipmentClass::kIncubator;
  const UseCheck check = Check(log.state, request);
  EXPECT_EQ(check.refusal, UseRefusal::kWrongClass);
  EXPECT_EQ(check.message, "BSC-01 is a biosafety cabinet; this step needs an incubator");
  request.required_class = EquipmentClass::kLn2Storage;
  EXPECT_EQ(Check(log.state, request).message,
            "BSC-01 is a biosafety cabinet; this step needs an LN2 storage");
}

// Verifies P11-06: a step that needs grade B refuses equipment in a grade C room, not in grade A.
TEST(EquipmentUseCheck, RefusesARoomOfALowerGradeButAcceptsACleanerOne) {
  const Logbook log = Ready(kCabinet, CabinetDefinition());
  UseRequest request = Ask("B-0017", At(1), kPatientA);
  request.required_grade = environment::Grade::kB;
  const UseCheck check = Check(log.state, request, Room("CAR-T-C201", environment::Grade::kC));
  EXPECT_EQ(check.refusal, UseRefusal::kWrongRoomGrade);
  EXPECT_EQ(check.message,
            "BSC-01 stands in room CAR-T-C201 (grade C); this step needs grade B or cleaner");
  EXPECT_TRUE(Check(log.state, request, Room("CAR-T-A001", environment::Grade::kA)).Allowed());
  EXPECT_EQ(Check(log.state, request, Room("QC-LAB-1", environment::Grade::kUnclassified)).refusal,
            UseRefusal::kWrongRoomGrade);
}

// Verifies G-07: taking equipment out of service restricts use at once, before any signature.
TEST(EquipmentUseCheck, RefusesEquipmentOutOfServiceNamingSinceWhenAndWhy) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  ASSERT_TRUE(Ok(log.Append(TakeOutOfService(log.state, "HEPA filter alarm", kOperator, kTerminal),
                            At(1, 1))));
  EXPECT_EQ(log.LastPayload().Find("alert")->AsBool(), true);
  const UseCheck check = Check(log.state, Ask("B-0017", At(1, 2), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kOutOfService);
  EXPECT_EQ(check.message,
            "BSC-01 is out of service since 2026-03-03 10:00 UTC (HEPA filter alarm)");
  EXPECT_TRUE(StatusAt(log.state, At(1, 2)).out_of_service);
}

TEST(EquipmentUseCheck, RefusesEquipmentNeverQualifiedOrAwaitingTheQualificationsSignatures) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  Clean(log, At(0, 1));
  UseCheck check = Check(log.state, Ask("B-0017", At(1), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotQualified);
  EXPECT_EQ(check.message, "BSC-01 is not qualified");

  const int entry = Recorded(
      log, RecordQualification(log.state, {.reference = "IQOQ-BSC-01-2026"}, kEngineer, kTerminal),
      At(1));
  check = Check(log.state, Ask("B-0017", At(1, 1), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotQualified);
  EXPECT_EQ(check.message,
            "BSC-01 is not qualified; entry 4 (qualification) awaits erin's signature");
  Sign(log, entry, kEngineer, At(1, 1));
  // A11-01: a qualification always takes a second person's verification.
  check = Check(log.state, Ask("B-0017", At(1, 2), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotQualified);
  EXPECT_EQ(check.message,
            "BSC-01 is not qualified; entry 4 (qualification) awaits a second person's "
            "verification");
  Verify(log, entry, kQa, At(1, 2));
  EXPECT_EQ(log.state.qualified, QualificationStatus::kQualified);
  EXPECT_EQ(log.state.qualification->signoff.verified_by, kQa.id);
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 3), kPatientA)).Allowed());
}

// The principle of equipment.h: withdrawing a qualification restricts use at once.
TEST(EquipmentUseCheck, RefusesAtOnceOnceTheQualificationIsWithdrawn) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  const int entry = Recorded(log,
                             RecordQualification(log.state,
                                                 {.status = QualificationStatus::kNotQualified,
                                                  .reference = "Periodic review PR-2026-04"},
                                                 kQa, kTerminal),
                             At(1));
  EXPECT_EQ(log.state.qualified, QualificationStatus::kNotQualified);
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 1), kPatientA)).refusal,
            UseRefusal::kNotQualified);
  Sign(log, entry, kQa, At(1, 1));
  Verify(log, entry, kEngineer, At(1, 2));
  EXPECT_EQ(log.state.qualified, QualificationStatus::kNotQualified);
  // A new qualification permits use only once signed and verified.
  const int requalified = Recorded(
      log, RecordQualification(log.state, {.reference = "RQ-BSC-01-2026"}, kEngineer, kTerminal),
      At(2));
  Sign(log, requalified, kEngineer, At(2));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(2, 1), kPatientA)).refusal,
            UseRefusal::kNotQualified);
  Verify(log, requalified, kQa, At(2, 1));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(2, 2), kPatientA)).Allowed());
}

// Verifies G-07 (211.68): equipment calibrated on a schedule is refused when never calibrated.
TEST(EquipmentUseCheck, RefusesCalibratedEquipmentThatWasNeverCalibrated) {
  Logbook log = Registered(kBalance, BalanceDefinition());
  Qualify(log, At(0, 1));
  Maintain(log, At(0, 1));
  const UseCheck check = Check(log.state, Ask("B-0017", At(1)));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_EQ(check.message, "BAL-02 has no calibration in force");
  EXPECT_TRUE(StatusAt(log.state, At(1)).calibration_overdue);
  EXPECT_FALSE(StatusAt(log.state, At(1)).calibration_due.has_value());
}

// Verifies G-07: the calibration falls due to the microsecond, interval days after the last good
// calibration was performed.
TEST(EquipmentUseCheck, RefusesCalibrationOverdueFromItsDueDateToTheMicrosecond) {
  const Logbook log = Ready(kBalance, BalanceDefinition());
  // Calibrated on 2026-03-02 at 11:00 (entry 5); 180 days later is 2026-08-29 11:00.
  const Timestamp due = At(180, 2);
  const EquipmentStatus status = StatusAt(log.state, At(1));
  EXPECT_EQ(status.calibration_due, due);
  EXPECT_FALSE(status.calibration_overdue);
  EXPECT_TRUE(Check(log.state, Ask("B-0017", Timestamp::FromMicros(due.Micros() - 1))).Allowed());
  const UseCheck check = Check(log.state, Ask("B-0017", due));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_EQ(check.message,
            "calibration of BAL-02 was due 2026-08-29 11:00 UTC (last good calibration: entry 5, "
            "performed 2026-03-02)");
  EXPECT_TRUE(StatusAt(log.state, due).calibration_overdue);
}

// Verifies G-07 (211.182): preventive maintenance falls due interval days after it was last done
// (or after registration); only a signed preventive maintenance resets it, not a corrective one.
TEST(EquipmentUseCheck, RefusesMaintenanceOverdueUntilAPreventiveMaintenanceIsSigned) {
  Definition definition = CabinetDefinition(CleaningRule::kNone);
  definition.maintenance_interval_days = 30;
  Logbook log = Registered(kCabinet, definition);
  Qualify(log, At(0, 1));
  // Registered 2026-03-02 09:00; due 30 days later, on 2026-04-01 09:00.
  EXPECT_EQ(StatusAt(log.state, At(1)).maintenance_due, At(30));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(30, 0, -1))).Allowed());
  UseCheck check = Check(log.state, Ask("B-0017", At(30)));
  EXPECT_EQ(check.refusal, UseRefusal::kMaintenanceOverdue);
  EXPECT_EQ(check.message, "preventive maintenance of BSC-01 was due 2026-04-01 09:00 UTC");

  Maintain(log, At(31), MaintenanceType::kCorrective);
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(31, 1))).refusal, UseRefusal::kMaintenanceOverdue);
  const int preventive =
      Recorded(log,
               RecordMaintenance(log.state, {.description = "Monthly PM per SOP-MNT-002"}, At(32),
                                 kEngineer, kTerminal),
               At(32));
  check = Check(log.state, Ask("B-0017", At(32, 1)));
  EXPECT_EQ(check.refusal, UseRefusal::kMaintenanceOverdue);
  EXPECT_TRUE(Contains(check.message, "; entry 7 (maintenance) awaits erin's signature"))
      << check.message;
  Sign(log, preventive, kEngineer, At(32, 1));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(32, 2))).Allowed());
  EXPECT_EQ(StatusAt(log.state, At(32, 2)).maintenance_due, At(62));
}

// Verifies G-06 and T-01: equipment in use by one batch is refused to another, not to its own.
TEST(EquipmentUseCheck, RefusesEquipmentInUseByAnotherBatchButNotByTheSameBatch) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenBatches));
  Start(log, "B-0017", At(1), kPatientA);
  const UseCheck check = Check(log.state, Ask("B-0018", At(1, 1), kPatientB));
  EXPECT_EQ(check.refusal, UseRefusal::kInUse);
  EXPECT_EQ(check.message, "BSC-01 is in use by batch B-0017 (patient " + kPatientA +
                               ") since 2026-03-03 09:00 UTC");
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 1), kPatientA)).Allowed());
  const EquipmentStatus status = StatusAt(log.state, At(1, 1));
  ASSERT_TRUE(status.in_use.has_value());
  EXPECT_EQ(status.in_use->batch, "B-0017");
  EXPECT_EQ(status.in_use->step, "CD4/CD8 selection");
  EXPECT_EQ(status.in_use->room, kSuite);
  EXPECT_EQ(status.clean, CleanStatus::kUsedSinceCleaning);
}

TEST(EquipmentUseCheck, RefusesEquipmentNeverCleaned) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  Qualify(log, At(0, 1));
  const UseCheck check = Check(log.state, Ask("B-0017", At(1), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message, "BSC-01 has no cleaning in force");
}

// Verifies P11-06: the refusals come in the documented order, each shown only once every earlier
// rule is met. The equipment below breaks every rule at once on day 40.
TEST(EquipmentUseCheck, ChecksTheRulesInTheDocumentedOrder) {
  Definition definition = CabinetDefinition(CleaningRule::kBetweenBatches);
  definition.calibration_interval_days = 35;
  definition.measures = "m/s";
  definition.maintenance_interval_days = 30;
  Logbook log = Registered(kCabinet, definition);
  Qualify(log, At(0, 1));
  Calibrate(log, At(0, 2), CalibrationWith({Point(0.45, 0.46, 0.05, "m/s")}));
  Clean(log, At(0, 3));
  Start(log, "B-0017", At(1));
  ASSERT_TRUE(
      Ok(log.Append(TakeOutOfService(log.state, "Airflow alarm", kOperator, kTerminal), At(1, 1))));

  EquipmentState state = log.state;
  const RoomState grade_c = Room("CAR-T-C201", environment::Grade::kC);
  UseRequest request = Ask("B-0018", At(40));
  request.required_class = EquipmentClass::kIncubator;
  request.required_grade = environment::Grade::kB;
  const auto refusal = [&] { return Check(state, request, grade_c).refusal; };
  EXPECT_EQ(refusal(), UseRefusal::kWrongClass);
  request.required_class = EquipmentClass::kBiosafetyCabinet;
  EXPECT_EQ(refusal(), UseRefusal::kWrongRoomGrade);
  request.required_grade = environment::Grade::kC;
  EXPECT_EQ(refusal(), UseRefusal::kOutOfService);
  state.out_of_service.reset();
  // A use cannot start on unqualified equipment, so the withdrawal is made on a copy.
  EquipmentState unqualified = state;
  unqualified.qualified = QualificationStatus::kNotQualified;
  EXPECT_EQ(Check(unqualified, request, grade_c).refusal, UseRefusal::kNotQualified);
  EXPECT_EQ(refusal(), UseRefusal::kCalibrationOverdue);
  state.definition.calibration_interval_days = 3650;
  EXPECT_EQ(refusal(), UseRefusal::kMaintenanceOverdue);
  state.definition.maintenance_interval_days.reset();
  EXPECT_EQ(refusal(), UseRefusal::kInUse);
  state.last_use->ended = At(39);
  EXPECT_EQ(refusal(), UseRefusal::kNotClean);
  request.batch = "B-0017";
  EXPECT_EQ(refusal(), UseRefusal::kNone);
}

// --- Cleaning ---------------------------------------------------------------------------------

// Verifies G-07: after_each_use lets the batch in use go on, and needs a cleaning once it ends.
TEST(EquipmentCleaning, AfterEachUseMakesItDirtyOnceTheUseEnds) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kAfterEachUse));
  Start(log, "B-0017", At(1));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 1))).Allowed());
  End(log, "B-0017", At(1, 2));
  UseCheck check = Check(log.state, Ask("B-0017", At(1, 3)));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "BSC-01 was last used by batch B-0017 (2026-03-03 09:00 UTC) and has no cleaning in "
            "effect since; it is cleaned after each use");
  Clean(log, At(1, 3));
  EXPECT_TRUE(Check(log.state, Ask("B-0018", At(1, 4))).Allowed());
}

TEST(EquipmentCleaning, BetweenBatchesLetsTheSameBatchReuseIt) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenBatches));
  Start(log, "B-0017", At(1));
  End(log, "B-0017", At(1, 1));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 2))).Allowed());
  const UseCheck check = Check(log.state, Ask("B-0018", At(1, 2)));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_TRUE(Contains(check.message, "it is cleaned between batches")) << check.message;
  Clean(log, At(1, 2));
  EXPECT_TRUE(Check(log.state, Ask("B-0018", At(1, 3))).Allowed());
}

// Campaigns: the same product again needs no cleaning; another product, or a use that named no
// product, does.
TEST(EquipmentCleaning, BetweenProductsLetsTheSameProductReuseIt) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenProducts));
  Start(log, "B-0017", At(1), "", "CAR-T-CD19");
  End(log, "B-0017", At(1, 1));
  EXPECT_TRUE(Check(log.state, Ask("B-0018", At(1, 2), "", "CAR-T-CD19")).Allowed());
  const UseCheck check = Check(log.state, Ask("B-0019", At(1, 2), "", "CAR-T-BCMA"));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "BSC-01 was last used by batch B-0017 (CAR-T-CD19) (2026-03-03 09:00 UTC) and has no "
            "cleaning in effect since; it is cleaned between products");
  Clean(log, At(1, 2));
  Start(log, "B-0019", At(1, 3));
  End(log, "B-0019", At(1, 4));
  EXPECT_EQ(Check(log.state, Ask("B-0020", At(1, 5), "", "CAR-T-BCMA")).refusal,
            UseRefusal::kNotClean);
}

// Verifies T-01 (1271.290): one patient's material never meets another's residue. The same patient
// may use the cabinet again; another patient is refused until a cleaning is signed.
TEST(EquipmentCleaning, BetweenPatientsRefusesAnotherPatientUntilACleaningIsSigned) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenPatients));
  Start(log, "B-0017", At(1), kPatientA);
  End(log, "B-0017", At(1, 1));
  // The same patient's next batch (a restimulation) may use it.
  EXPECT_TRUE(Check(log.state, Ask("B-0021", At(1, 2), kPatientA)).Allowed());
  UseCheck check = Check(log.state, Ask("B-0018", At(1, 2), kPatientB));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "BSC-01 was last used by batch B-0017 (patient " + kPatientA +
                ") (2026-03-03 09:00 UTC) and has no cleaning in effect since; it is "
                "cleaned between patients");
  // A request that names no patient cannot show it is the same patient.
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 2))).refusal, UseRefusal::kNotClean);

  const int cleaning = RecordClean(log, At(1, 2), kColleague);
  check = Check(log.state, Ask("B-0018", At(1, 3), kPatientB));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_TRUE(Contains(check.message, "; entry 9 (cleaning) awaits olga's signature"))
      << check.message;
  Sign(log, cleaning, kColleague, At(1, 3));
  EXPECT_TRUE(Check(log.state, Ask("B-0018", At(1, 4), kPatientB)).Allowed());
  Start(log, "B-0018", At(1, 4), kPatientB);
  End(log, "B-0018", At(1, 5));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 6), kPatientA)).refusal, UseRefusal::kNotClean);
}

// A use without a patient code leaves the cabinet dirty for every patient.
TEST(EquipmentCleaning, BetweenPatientsTreatsAUseWithoutAPatientAsAnotherPatient) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenPatients));
  Start(log, "QC-0003", At(1));
  End(log, "QC-0003", At(1, 1));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 2), kPatientA)).refusal, UseRefusal::kNotClean);
}

// A cleaning lasts clean_hold_hours unused: clean one microsecond before, expired at the instant.
TEST(EquipmentCleaning, ExpiresExactlyAtTheEndOfTheHoldTime) {
  Definition definition = CabinetDefinition(CleaningRule::kBetweenPatients);
  definition.clean_hold_hours = 4;
  const Logbook log = Ready(kCabinet, definition);
  // Cleaned 2026-03-02 12:00 (and signed then): clean until 16:00.
  const Timestamp until = At(0, 7);
  const Timestamp before = Timestamp::FromMicros(until.Micros() - 1);
  EquipmentStatus status = StatusAt(log.state, before);
  EXPECT_EQ(status.clean, CleanStatus::kClean);
  EXPECT_EQ(status.clean_until, until);
  EXPECT_TRUE(Check(log.state, Ask("B-0017", before, kPatientA)).Allowed());
  status = StatusAt(log.state, until);
  EXPECT_EQ(status.clean, CleanStatus::kExpired);
  const UseCheck check = Check(log.state, Ask("B-0017", until, kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "the clean status of BSC-01 expired 2026-03-02 16:00 UTC (cleaned 2026-03-02 12:00 "
            "UTC, hold 4 h); clean it again");
}

// The hold time runs from the cleaning itself, not from its signature.
TEST(EquipmentCleaning, HoldTimeRunsFromTheCleaningNotItsSignature) {
  Definition definition = CabinetDefinition(CleaningRule::kAfterEachUse);
  definition.clean_hold_hours = 4;
  Logbook log = Registered(kCabinet, definition);
  Qualify(log, At(0, 1));
  const int entry = RecordClean(log, At(1));
  Sign(log, entry, kOperator, At(1, 3));
  EXPECT_EQ(StatusAt(log.state, At(1, 3)).clean_until, At(1, 4));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 4))).refusal, UseRefusal::kNotClean);
}

// The principle of equipment.h: an unsigned cleaning never makes a cabinet clean.
TEST(EquipmentCleaning, AnUnsignedCleaningDoesNotCount) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  Qualify(log, At(0, 1));
  const int entry = RecordClean(log, At(1));
  EXPECT_FALSE(log.state.clean.has_value());
  ASSERT_TRUE(log.state.latest_cleaning.has_value());
  EXPECT_EQ(log.state.latest_cleaning->signoff.entry, entry);
  const EquipmentStatus status = StatusAt(log.state, At(1, 1));
  EXPECT_EQ(status.clean, CleanStatus::kNeverCleaned);
  EXPECT_EQ(status.awaiting,
            std::vector<std::string>{"entry 5 (cleaning) awaits otto's signature"});
  const UseCheck check = Check(log.state, Ask("B-0017", At(1, 1), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "BSC-01 has no cleaning in force; entry 5 (cleaning) awaits otto's signature");
  Sign(log, entry, kOperator, At(1, 2));
  EXPECT_EQ(StatusAt(log.state, At(1, 2)).clean, CleanStatus::kClean);
  EXPECT_TRUE(StatusAt(log.state, At(1, 2)).awaiting.empty());
}

// Verifies A11-01: where the rules ask for a second person, a cleaning counts only once verified.
TEST(EquipmentCleaning, CountsOnlyOnceVerifiedWhereTheRulesAskForASecondPerson) {
  Definition definition = CabinetDefinition();
  definition.second_person_checks = {EntryKind::kCleaning};
  Logbook log = Registered(kCabinet, definition);
  Qualify(log, At(0, 1));
  const int entry = RecordClean(log, At(1));
  EXPECT_TRUE(log.LastPayload().Find("needs_verification")->AsBool());
  Sign(log, entry, kOperator, At(1, 1));
  UseCheck check = Check(log.state, Ask("B-0017", At(1, 2), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kNotClean);
  EXPECT_EQ(check.message,
            "BSC-01 has no cleaning in force; entry 5 (cleaning) awaits a second person's "
            "verification");
  Verify(log, entry, kColleague, At(1, 2));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 3), kPatientA)).Allowed());
  ASSERT_TRUE(log.state.clean.has_value());
  EXPECT_EQ(log.state.clean->signoff.verified_by, kColleague.id);
  EXPECT_EQ(log.state.clean->signoff.verified_at, At(1, 2));
  EXPECT_EQ(log.state.clean->signoff.signed_at, At(1, 1));
}

TEST(EquipmentCleaning, IsRefusedWhileInUseOrForEquipmentThatIsNotCleaned) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenBatches));
  Start(log, "B-0017", At(1));
  const auto busy =
      RecordCleaning(log.state, {.agent = "70% IPA", .method = "wipe-down"}, kOperator, kTerminal);
  ASSERT_TRUE(Refused(busy, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(busy.error().Message(), "in use by batch B-0017")) << busy.error().Message();
  End(log, "B-0017", At(1, 1));
  EXPECT_TRUE(
      Refused(RecordCleaning(log.state, {.agent = "", .method = "wipe-down"}, kOperator, kTerminal),
              ErrorCode::kInvalidArgument, "agent"));
  EXPECT_TRUE(
      Refused(RecordCleaning(log.state, {.agent = "70% IPA", .method = "w"}, kOperator, kTerminal),
              ErrorCode::kInvalidArgument, "method"));

  const Logbook freezer = Ready("FRZ-01", BalanceDefinition());
  EXPECT_TRUE(Refused(RecordCleaning(freezer.state, {.agent = "70% IPA", .method = "wipe-down"},
                                     kOperator, kTerminal),
                      ErrorCode::kFailedPrecondition));
}

TEST(EquipmentCleaning, IsNotRequiredOfEquipmentWithoutACleaningRule) {
  Logbook log = Ready(kBalance, BalanceDefinition());
  EXPECT_EQ(StatusAt(log.state, At(1)).clean, CleanStatus::kNotRequired);
  Start(log, "B-0017", At(1));
  End(log, "B-0017", At(1, 1));
  EXPECT_TRUE(Check(log.state, Ask("B-0018", At(1, 2))).Allowed());
}

// --- Signatures and verifications ---------------------------------------------------------------

// Verifies G-07 (211.182) and P11-07: the logbook shows who did the work; only they sign it.
TEST(EquipmentSignature, OnlyThePerformerSignsAnEntryAsPerformed) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  const int entry = RecordClean(log, At(1));
  const auto other = SignEntry(log.state, entry, kColleague.id, kColleague, kTerminal);
  ASSERT_TRUE(Refused(other, ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_EQ(other.error().Message(),
            "cleaning entry 2 of BSC-01 was performed by otto; only otto may sign it as performed");
  const auto event = SignEntry(log.state, entry, kOperator.id, kOperator, kTerminal);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event_type, "equipment.entry_signed");
  EXPECT_EQ(*event->payload.Find("entry"), Json(entry));
  EXPECT_EQ(*event->payload.Find("kind"), Json("cleaning"));
  EXPECT_EQ(*event->payload.Find("signer"), Json("otto"));
  ASSERT_TRUE(Ok(log.Append(event, At(1, 1))));
  EXPECT_EQ(log.state.latest_cleaning->signoff.signed_at, At(1, 1));
}

TEST(EquipmentSignature, RefusesASecondSignature) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  const int entry = Clean(log, At(1));
  const auto again = SignEntry(log.state, entry, kOperator.id, kOperator, kTerminal);
  ASSERT_TRUE(Refused(again, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(again.error().Message(), "already signed")) << again.error().Message();
}

TEST(EquipmentSignature, RefusesASupersededEntryOrOneThatTakesNoSignature) {
  Logbook log = Ready(kCabinet, CabinetDefinition(CleaningRule::kBetweenBatches));
  const int first = RecordClean(log, At(1));
  const int second = RecordClean(log, At(1, 1), kColleague);
  const auto superseded = SignEntry(log.state, first, kOperator.id, kOperator, kTerminal);
  ASSERT_TRUE(Refused(superseded, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(superseded.error().Message(), "supersedes it"));
  EXPECT_TRUE(SignEntry(log.state, second, kColleague.id, kColleague, kTerminal).has_value());
  // The registration (entry 1) and a use take no signature; entry 99 does not exist.
  EXPECT_TRUE(Refused(SignEntry(log.state, 1, kEngineer.id, kEngineer, kTerminal),
                      ErrorCode::kFailedPrecondition));
  Sign(log, second, kColleague, At(1, 2));
  Start(log, "B-0017", At(2));
  EXPECT_TRUE(Refused(SignEntry(log.state, log.Last(), kOperator.id, kOperator, kTerminal),
                      ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(
      Refused(SignEntry(log.state, 99, kOperator.id, kOperator, kTerminal), ErrorCode::kNotFound));
  EXPECT_TRUE(
      Refused(SignEntry(log.state, 0, kOperator.id, kOperator, kTerminal), ErrorCode::kNotFound));
  EXPECT_TRUE(Refused(SignEntry({}, 1, kOperator.id, kOperator, kTerminal), ErrorCode::kNotFound,
                      "equipment_id"));
}

// Verifies A11-01: the second check is another person's, never the performer's.
TEST(EquipmentVerification, RefusesThePerformerAsTheSecondPerson) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  const int entry = Recorded(
      log, RecordQualification(log.state, {.reference = "IQOQ-BSC-01-2026"}, kEngineer, kTerminal),
      At(1));
  Sign(log, entry, kEngineer, At(1));
  const auto self = VerifyEntry(log.state, entry, kEngineer.id, kEngineer, kTerminal);
  ASSERT_TRUE(Refused(self, ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_EQ(self.error().Message(),
            "erin performed entry 2 of BSC-01 and cannot verify it; another person must");
  const auto event = VerifyEntry(log.state, entry, kQa.id, kQa, kTerminal);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event_type, "equipment.entry_verified");
  EXPECT_EQ(*event->payload.Find("verifier"), Json("quinn"));
  EXPECT_EQ(*event->payload.Find("kind"), Json("qualification"));
}

TEST(EquipmentVerification, RefusesBeforeThePerformerSigned) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  const int entry = Recorded(
      log, RecordQualification(log.state, {.reference = "IQOQ-BSC-01-2026"}, kEngineer, kTerminal),
      At(1));
  const auto early = VerifyEntry(log.state, entry, kQa.id, kQa, kTerminal);
  ASSERT_TRUE(Refused(early, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(early.error().Message(),
            "entry 2 of BSC-01 is verified after erin signs it as performed");
}

TEST(EquipmentVerification, RefusesAKindThatNeedsNoVerificationOrASecondVerification) {
  Definition definition = CabinetDefinition();
  definition.second_person_checks = {EntryKind::kReturnedToService};
  Logbook log = Registered(kCabinet, definition);
  const int cleaning = Clean(log, At(1));
  const auto needless = VerifyEntry(log.state, cleaning, kQa.id, kQa, kTerminal);
  ASSERT_TRUE(Refused(needless, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(needless.error().Message(), "entry 2 of BSC-01 needs no second-person check");

  Qualify(log, At(1, 1));
  const auto twice = VerifyEntry(log.state, log.Last() - 2, kColleague.id, kColleague, kTerminal);
  ASSERT_TRUE(Refused(twice, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(twice.error().Message(), "already verified"));
}

// --- Service -----------------------------------------------------------------------------------

// The principle of equipment.h: out of service restricts at once; the return permits use only once
// signed and, where the rules ask, verified.
TEST(EquipmentService, ReturnsToServiceOnlyOnceSignedAndVerified) {
  Definition definition = CabinetDefinition();
  definition.second_person_checks = {EntryKind::kReturnedToService};
  Logbook log = Ready(kCabinet, definition);
  ASSERT_TRUE(Ok(
      log.Append(TakeOutOfService(log.state, "HEPA filter alarm", kOperator, kTerminal), At(1))));
  const int entry = Recorded(
      log, ReturnToService(log.state, "Filter replaced, airflow verified", kEngineer, kTerminal),
      At(2));
  UseCheck check = Check(log.state, Ask("B-0017", At(2, 1), kPatientA));
  EXPECT_EQ(check.refusal, UseRefusal::kOutOfService);
  EXPECT_EQ(check.message,
            "BSC-01 is out of service since 2026-03-03 09:00 UTC (HEPA filter "
            "alarm); entry 8 (returned_to_service) awaits erin's signature");
  Sign(log, entry, kEngineer, At(2, 1));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(2, 2), kPatientA)).refusal,
            UseRefusal::kOutOfService);
  EXPECT_TRUE(StatusAt(log.state, At(2, 2)).out_of_service);
  Verify(log, entry, kQa, At(2, 2));
  EXPECT_FALSE(log.state.out_of_service.has_value());
  EXPECT_FALSE(log.state.pending_return.has_value());
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(2, 3), kPatientA)).Allowed());
}

TEST(EquipmentService, RefusesToTakeItOutOfServiceTwice) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  ASSERT_TRUE(Ok(
      log.Append(TakeOutOfService(log.state, "HEPA filter alarm", kOperator, kTerminal), At(1))));
  const auto twice = TakeOutOfService(log.state, "Still alarming", kOperator, kTerminal);
  ASSERT_TRUE(Refused(twice, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(twice.error().Message(), "BSC-01 is already out of service since 2026-03-03 09:00 UTC");
  EXPECT_TRUE(Refused(TakeOutOfService(Logbook{}.state, "No such thing", kOperator, kTerminal),
                      ErrorCode::kNotFound, "equipment_id"));
  EXPECT_TRUE(Refused(TakeOutOfService(log.state, "", kOperator, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
}

TEST(EquipmentService, RefusesAReturnWhenNotOutOfServiceOrAlreadyAwaitingSignature) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  const auto in_service = ReturnToService(log.state, "Nothing to return", kEngineer, kTerminal);
  ASSERT_TRUE(Refused(in_service, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(in_service.error().Message(), "BSC-01 is not out of service");
  ASSERT_TRUE(Ok(
      log.Append(TakeOutOfService(log.state, "HEPA filter alarm", kOperator, kTerminal), At(1))));
  Recorded(log, ReturnToService(log.state, "Filter replaced", kEngineer, kTerminal), At(2));
  EXPECT_TRUE(Refused(ReturnToService(log.state, "Filter replaced again", kEngineer, kTerminal),
                      ErrorCode::kFailedPrecondition));
}

// --- Uses ---------------------------------------------------------------------------------------

TEST(EquipmentUse, EndUseRefusesAnotherBatchOrEquipmentNotInUse) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  const auto idle = EndUse(log.state, "B-0017", "", kOperator, kTerminal);
  ASSERT_TRUE(Refused(idle, ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_EQ(idle.error().Message(), "BSC-01 is not in use");
  Start(log, "B-0017", At(1), kPatientA);
  const auto other = EndUse(log.state, "B-0018", "", kOperator, kTerminal);
  ASSERT_TRUE(Refused(other, ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_EQ(other.error().Message(), "BSC-01 is in use by batch B-0017, not B-0018");
  const auto event = EndUse(log.state, "B-0017", "Selection complete", kOperator, kTerminal);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(*event->payload.Find("use_entry"), Json(log.Last()));
  ASSERT_TRUE(Ok(log.Append(event, At(1, 1))));
  EXPECT_EQ(log.state.last_use->ended, At(1, 1));
  EXPECT_EQ(log.state.last_use->ended_entry, log.Last());
  EXPECT_TRUE(Refused(EndUse(log.state, "B-0017", "", kOperator, kTerminal),
                      ErrorCode::kFailedPrecondition, "batch"));
}

// Verifies G-03, G-06 and G-07: the use entry links the equipment to the batch, product, lot,
// step, patient and room.
TEST(EquipmentUse, RecordsTheBatchLotStepPatientAndRoom) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  Start(log, "B-0017", At(1), kPatientA, "CAR-T-CD19");
  const Json payload = log.LastPayload();
  EXPECT_EQ(log.events.back().event_type, "equipment.use_started");
  EXPECT_EQ(*payload.Find("batch"), Json("B-0017"));
  EXPECT_EQ(*payload.Find("lot"), Json("L-2026-0001"));
  EXPECT_EQ(*payload.Find("room"), Json(kSuite));
  const Use& use = *log.state.last_use;
  EXPECT_EQ(use.entry, log.Last());
  EXPECT_EQ(use.patient_code, kPatientA);
  EXPECT_EQ(use.product, "CAR-T-CD19");
  EXPECT_EQ(use.started, At(1));
  EXPECT_FALSE(use.ended.has_value());
}

// Verifies P11-06: a refused use is recorded as an alert and changes nothing else.
TEST(EquipmentUse, RecordsARefusedUseAsAnAlertThatChangesNothing) {
  Logbook log = Ready(kCabinet, CabinetDefinition());
  Start(log, "B-0017", At(1), kPatientA);
  const UseCheck check = Check(log.state, Ask("B-0018", At(1, 1), kPatientB));
  ASSERT_EQ(check.refusal, UseRefusal::kInUse);
  const EquipmentState before = log.state;
  ASSERT_TRUE(Ok(log.Append(RefuseUse(log.state, {.batch = "B-0018", .patient_code = kPatientB},
                                      check, kOperator, kTerminal),
                            At(1, 1))));
  const Json payload = log.LastPayload();
  EXPECT_EQ(*payload.Find("alert"), Json(true));
  EXPECT_EQ(*payload.Find("refusal"), Json("in_use"));
  EXPECT_EQ(*payload.Find("message"), Json(check.message));
  EXPECT_EQ(log.state.entries, before.entries + 1);
  EquipmentState unchanged = log.state;
  unchanged.entries = before.entries;
  EXPECT_EQ(EquipmentToJson(unchanged), EquipmentToJson(before));
}

// Verifies T-02: a patient code is a distinct code with its check character, not a name.
TEST(EquipmentUse, CheckUseInputRefusesAPatientCodeThatIsNoDistinctCode) {
  EXPECT_TRUE(Ok(CheckUseInput({.batch = "B-0017", .patient_code = kPatientA})));
  EXPECT_TRUE(Ok(CheckUseInput({.batch = "B-0017"})));
  std::string mistyped = kPatientA;
  mistyped.back() = mistyped.back() == '0' ? '1' : '0';
  for (const std::string& code : {std::string("Jane Doe"), std::string("MRN 00482913"), mistyped}) {
    EXPECT_TRUE(Refused(CheckUseInput({.batch = "B-0017", .patient_code = code}),
                        ErrorCode::kInvalidArgument, "patient_code"))
        << code;
  }
  EXPECT_TRUE(Refused(CheckUseInput({.batch = ""}), ErrorCode::kInvalidArgument, "batch"));
}

// --- Calibration --------------------------------------------------------------------------------

// Verifies G-04: a calibration out of tolerance as found is an alert (the app raises a deviation
// over what was measured since); adjusted back into tolerance, it permits use once signed.
TEST(EquipmentCalibration, FlagsOutOfToleranceAsFoundAsAnAlert) {
  Logbook log = Ready(kBalance, BalanceDefinition());
  const int entry = Recorded(
      log,
      RecordCalibration(log.state, CalibrationWith({Point(100, 100.012, 0.001, "g", 100.0003)}),
                        At(10), kEngineer, kTerminal),
      At(10));
  const Json payload = log.LastPayload();
  EXPECT_EQ(*payload.Find("alert"), Json(true));
  EXPECT_EQ(*payload.Find("as_found_in_tolerance"), Json(false));
  EXPECT_EQ(*payload.Find("in_tolerance"), Json(true));
  EXPECT_FALSE(log.state.failed_calibration.has_value());
  Sign(log, entry, kEngineer, At(10, 1));
  EXPECT_EQ(log.state.good_calibration->signoff.entry, entry);
  EXPECT_FALSE(log.state.good_calibration->as_found_in_tolerance);
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(10, 2))).Allowed());

  // In tolerance as found: no alert.
  Recorded(log, RecordCalibration(log.state, Passing(), At(11), kEngineer, kTerminal), At(11));
  EXPECT_EQ(log.LastPayload().Find("alert"), nullptr);
}

// The principle of equipment.h: a failed calibration stops use before anyone signs anything.
TEST(EquipmentCalibration, OutOfToleranceAsLeftBlocksUseAtOnce) {
  Logbook log = Ready(kBalance, BalanceDefinition());
  const int failed = Recorded(
      log, RecordCalibration(log.state, FailingAsLeft(), At(10), kEngineer, kTerminal), At(10));
  EXPECT_EQ(*log.LastPayload().Find("alert"), Json(true));
  EXPECT_EQ(log.state.failed_calibration, failed);
  UseCheck check = Check(log.state, Ask("B-0017", At(10, 1)));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_EQ(check.message,
            "BAL-02 failed calibration (entry 9): out of tolerance as left; it may not be used "
            "until a calibration passes");
  EXPECT_TRUE(StatusAt(log.state, At(10, 1)).calibration_overdue);
  // Signing the failure changes nothing; the earlier good calibration does not come back.
  Sign(log, failed, kEngineer, At(10, 1));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(10, 2))).refusal, UseRefusal::kCalibrationOverdue);
  const int passed =
      Recorded(log, RecordCalibration(log.state, Passing(), At(11), kEngineer, kTerminal), At(11));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(11, 1))).refusal, UseRefusal::kCalibrationOverdue);
  Sign(log, passed, kEngineer, At(11, 1));
  EXPECT_FALSE(log.state.failed_calibration.has_value());
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(11, 2))).Allowed());
  EXPECT_EQ(StatusAt(log.state, At(11, 2)).calibration_due, At(191));
}

// The principle of equipment.h: a passing calibration permits use only once signed, and verified
// where the rules ask.
TEST(EquipmentCalibration, APassingCalibrationCountsOnlyOnceSignedAndVerified) {
  Definition definition = BalanceDefinition();
  definition.second_person_checks = {EntryKind::kCalibration};
  Logbook log = Registered(kBalance, definition);
  Qualify(log, At(0, 1));
  Maintain(log, At(0, 1));
  const int entry =
      Recorded(log, RecordCalibration(log.state, Passing(), At(1), kEngineer, kTerminal), At(1));
  UseCheck check = Check(log.state, Ask("B-0017", At(1, 1)));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_EQ(check.message,
            "BAL-02 has no calibration in force; entry 7 (calibration) awaits erin's signature");
  Sign(log, entry, kEngineer, At(1, 1));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(1, 2))).refusal, UseRefusal::kCalibrationOverdue);
  Verify(log, entry, kQa, At(1, 2));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(1, 3))).Allowed());
  // Due from when it was performed, not from when it was verified.
  EXPECT_EQ(StatusAt(log.state, At(1, 3)).calibration_due, At(181));
}

// A new calibration awaiting its signature leaves the last good one in force, and is named.
TEST(EquipmentCalibration, KeepsTheLastGoodCalibrationWhileANewOneAwaitsSignature) {
  Logbook log = Ready(kBalance, BalanceDefinition());
  Recorded(log, RecordCalibration(log.state, Passing(), At(179), kEngineer, kTerminal), At(179));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(179, 1))).Allowed());
  const UseCheck check = Check(log.state, Ask("B-0017", At(180, 2)));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_TRUE(Contains(check.message, "; entry 9 (calibration) awaits erin's signature"))
      << check.message;
}

// Verifies G-07 and AL-01: an external calibration entered when its certificate arrives keeps the
// entry's own server time, and its interval runs from the date on the certificate.
TEST(EquipmentCalibration, RunsTheIntervalFromTheDateOnTheCertificate) {
  Logbook log = Ready(kBalance, BalanceDefinition());
  CalibrationInput input = Passing();
  input.performed_on = At(5);
  const int entry =
      Recorded(log, RecordCalibration(log.state, input, At(10), kEngineer, kTerminal), At(10));
  EXPECT_EQ(*log.LastPayload().Find("performed_on"), Json(At(5).ToRfc3339()));
  EXPECT_EQ(log.events.back().time, At(10));
  EXPECT_EQ(log.state.latest_calibration->signoff.at, At(10));
  EXPECT_EQ(log.state.latest_calibration->performed_on, At(5));
  Sign(log, entry, kEngineer, At(10));
  EXPECT_EQ(StatusAt(log.state, At(10)).calibration_due, At(185));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(185, 0, -1))).Allowed());
  const UseCheck check = Check(log.state, Ask("B-0017", At(185)));
  EXPECT_EQ(check.refusal, UseRefusal::kCalibrationOverdue);
  EXPECT_EQ(check.message,
            "calibration of BAL-02 was due 2026-09-03 09:00 UTC (last good calibration: entry 9, "
            "performed 2026-03-07)");
}

// Verifies G-07 (211.182): the logbook keeps chronological order; nothing is dated in the future.
TEST(EquipmentCalibration, RefusesAPerformedOnInTheFutureOrBeforeThePreviousOne) {
  const Logbook log = Ready(kBalance, BalanceDefinition());  // Calibrated 2026-03-02 11:00.
  CalibrationInput input = Passing();
  input.performed_on = At(20, 0, 1);
  const auto future = RecordCalibration(log.state, input, At(20), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(future, ErrorCode::kInvalidArgument, "performed_on"));
  EXPECT_TRUE(Contains(future.error().Message(), "is in the future")) << future.error().Message();
  input.performed_on = At(0, 2, -1);
  const auto early = RecordCalibration(log.state, input, At(20), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(early, ErrorCode::kInvalidArgument, "performed_on"));
  EXPECT_TRUE(Contains(early.error().Message(), "before the previous calibration (entry 5"))
      << early.error().Message();
  input.performed_on = At(0, 2);
  EXPECT_TRUE(RecordCalibration(log.state, input, At(20), kEngineer, kTerminal).has_value());
  input.performed_on = At(20);
  EXPECT_TRUE(RecordCalibration(log.state, input, At(20), kEngineer, kTerminal).has_value());

  MaintenanceInput maintenance{.performed_on = At(20, 0, 1), .description = "Annual service"};
  EXPECT_TRUE(Refused(RecordMaintenance(log.state, maintenance, At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "performed_on"));
  maintenance.performed_on = At(0, 1);
  EXPECT_TRUE(Refused(RecordMaintenance(log.state, maintenance, At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "performed_on"));
}

// Preventive maintenance reported late counts from when it was done, once signed.
TEST(EquipmentUseCheck, CountsPreventiveMaintenanceFromWhenItWasPerformed) {
  Definition definition = CabinetDefinition(CleaningRule::kNone);
  definition.maintenance_interval_days = 30;
  Logbook log = Registered(kCabinet, definition);
  Qualify(log, At(0, 1));
  const int entry =
      Recorded(log,
               RecordMaintenance(
                   log.state, {.performed_on = At(20), .description = "Monthly PM per SOP-MNT-002"},
                   At(31), kEngineer, kTerminal),
               At(31));
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(31))).refusal, UseRefusal::kMaintenanceOverdue);
  Sign(log, entry, kEngineer, At(31));
  EXPECT_EQ(log.state.preventive_done, At(20));
  EXPECT_EQ(StatusAt(log.state, At(31)).maintenance_due, At(50));
  EXPECT_TRUE(Check(log.state, Ask("B-0017", At(31, 1))).Allowed());
  EXPECT_EQ(Check(log.state, Ask("B-0017", At(50))).refusal, UseRefusal::kMaintenanceOverdue);
}

// Points are checked in the unit the equipment measures: milligram points against a gram balance.
TEST(EquipmentCalibration, ConvertsPointsIntoTheMeasuredUnit) {
  const Logbook log = Ready(kBalance, BalanceDefinition());
  const auto decide = [&](std::vector<CalibrationPoint> points) {
    return RecordCalibration(log.state, CalibrationWith(std::move(points)), At(20), kEngineer,
                             kTerminal);
  };
  auto within = decide({Point(500, 500.8, 1, "mg"), Point(100000, 100000.9, 1, "mg")});
  ASSERT_TRUE(within.has_value()) << within.error().ToString();
  EXPECT_EQ(*within->payload.Find("in_tolerance"), Json(true));
  EXPECT_EQ(within->payload.Find("alert"), nullptr);
  // Stored as entered, each with its unit (AL-02).
  const Json& point = within->payload.Find("points")->AsArray()[0];
  EXPECT_EQ(*point.Find("unit"), Json("mg"));
  EXPECT_EQ(*point.Find("as_found"), Json(500.8));

  auto outside = decide({Point(500, 501.2, 1, "mg")});
  ASSERT_TRUE(outside.has_value());
  EXPECT_EQ(*outside->payload.Find("as_found_in_tolerance"), Json(false));
  EXPECT_EQ(*outside->payload.Find("in_tolerance"), Json(false));
  // Kilograms: 0.8 mg off a 100 g nominal, within +/- 1 mg.
  auto kilograms = decide({Point(0.1, 0.1000008, 0.000001, "kg")});
  ASSERT_TRUE(kilograms.has_value());
  EXPECT_EQ(*kilograms->payload.Find("in_tolerance"), Json(true));
  // A reading exactly at the limit is within tolerance despite the conversion's rounding.
  auto at_limit = decide({Point(0.3, 0.4, 0.1, "mg")});
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(*at_limit->payload.Find("in_tolerance"), Json(true));
}

TEST(EquipmentCalibration, RefusesAPointOfAnotherDimensionNamingItsUnitField) {
  const Logbook log = Ready(kBalance, BalanceDefinition());
  const auto wrong = RecordCalibration(log.state, CalibrationWith({Point(100, 100, 0.1, "uL")}),
                                       At(20), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(wrong, ErrorCode::kInvalidArgument, "points[0].unit"));
  EXPECT_TRUE(Contains(wrong.error().Message(), "uL")) << wrong.error().Message();
  EXPECT_TRUE(Contains(wrong.error().Message(), "measures g")) << wrong.error().Message();
  EXPECT_TRUE(Refused(
      RecordCalibration(log.state,
                        CalibrationWith({Point(100, 100, 0.1, "g"), Point(1, 1, 0.1, "parsecs")}),
                        At(20), kEngineer, kTerminal),
      ErrorCode::kInvalidArgument, "points[1].unit"));
}

// A mass cannot be negative; a temperature can (a freezer checked at -80 C).
TEST(EquipmentCalibration, RefusesANegativeMassButAcceptsANegativeTemperature) {
  const Logbook balance = Ready(kBalance, BalanceDefinition());
  const auto negative = RecordCalibration(
      balance.state, CalibrationWith({Point(100, -100, 0.1, "g")}), At(20), kEngineer, kTerminal);
  ASSERT_TRUE(Refused(negative, ErrorCode::kInvalidArgument, "points[0].as_found"));
  EXPECT_TRUE(Contains(negative.error().Message(), "cannot be negative"))
      << negative.error().Message();
  EXPECT_TRUE(Refused(RecordCalibration(balance.state, CalibrationWith({Point(-1, 1, 0.1, "g")}),
                                        At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "points[0].nominal"));
  EXPECT_TRUE(Refused(RecordCalibration(balance.state, CalibrationWith({Point(1, 1, 0.1, "g", -1)}),
                                        At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "points[0].as_left"));

  Definition definition = BalanceDefinition();
  definition.equipment_class = EquipmentClass::kFreezer;
  definition.measures = "C";
  const Logbook freezer = Ready("FRZ-01", definition, CalibrationWith({Point(-80, -80.2, 1, "C")}));
  auto cold = RecordCalibration(
      freezer.state, CalibrationWith({Point(-80, -79.5, 1, "C"), Point(-20, -21.5, 1, "C")}),
      At(20), kEngineer, kTerminal);
  ASSERT_TRUE(cold.has_value()) << cold.error().ToString();
  EXPECT_EQ(*cold->payload.Find("in_tolerance"), Json(false));
  EXPECT_EQ(*cold->payload.Find("alert"), Json(true));
  auto colder = RecordCalibration(freezer.state, CalibrationWith({Point(-80, -80.9, 1, "degC")}),
                                  At(20), kEngineer, kTerminal);
  ASSERT_TRUE(colder.has_value()) << colder.error().ToString();
  EXPECT_EQ(*colder->payload.Find("in_tolerance"), Json(true));
}

// BUG (equipment.cc, CheckPoint): a tolerance is a difference of temperatures, but a point in K on
// equipment that measures C has its tolerance converted as an absolute temperature (1 K becomes
// -272.15 C), so a reading 0.5 K off nominal is reported out of tolerance and raises an alert.
TEST(EquipmentCalibration, ChecksAToleranceInKelvinAsATemperatureDifference) {
  Definition definition = BalanceDefinition();
  definition.equipment_class = EquipmentClass::kFreezer;
  definition.measures = "C";
  const Logbook freezer = Ready("FRZ-01", definition, CalibrationWith({Point(-80, -80.2, 1, "C")}));
  // -80 C is 193.15 K; the reading, 193.65 K, is 0.5 K off, within +/- 1 K.
  auto event = RecordCalibration(freezer.state, CalibrationWith({Point(193.15, 193.65, 1, "K")}),
                                 At(20), kEngineer, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(event->payload.Find("as_found_in_tolerance")->AsBool())
      << "0.5 K off nominal within +/- 1 K reported out of tolerance as found";
  EXPECT_TRUE(event->payload.Find("in_tolerance")->AsBool())
      << "0.5 K off nominal within +/- 1 K reported out of tolerance as left";
  EXPECT_EQ(event->payload.Find("alert"), nullptr) << "a reading within tolerance raised an alert";
}

TEST(EquipmentCalibration, RefusesAToleranceNotAboveZeroAndCountsOfPointsOutOfRange) {
  const Logbook log = Ready(kBalance, BalanceDefinition());
  const auto decide = [&](std::vector<CalibrationPoint> points) {
    return RecordCalibration(log.state, CalibrationWith(std::move(points)), At(20), kEngineer,
                             kTerminal);
  };
  EXPECT_TRUE(Refused(decide({Point(100, 100, 0, "g")}), ErrorCode::kInvalidArgument,
                      "points[0].tolerance"));
  EXPECT_TRUE(Refused(decide({Point(100, 100, 0.1, "g"), Point(100, 100, -0.1, "g")}),
                      ErrorCode::kInvalidArgument, "points[1].tolerance"));
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(Refused(decide({Point(100, 100, kNaN, "g")}), ErrorCode::kInvalidArgument,
                      "points[0].tolerance"));
  EXPECT_TRUE(Refused(decide({Point(100, kInfinity, 0.1, "g")}), ErrorCode::kInvalidArgument,
                      "points[0].as_found"));
  EXPECT_TRUE(Refused(decide({}), ErrorCode::kInvalidArgument, "points"));
  EXPECT_TRUE(Refused(decide(std::vector<CalibrationPoint>(101, Point(100, 100, 0.1, "g"))),
                      ErrorCode::kInvalidArgument, "points"));
  EXPECT_TRUE(decide(std::vector<CalibrationPoint>(100, Point(100, 100, 0.1, "g"))).has_value());
  CalibrationInput input = Passing();
  input.certificate_sha256 = "ABC";
  EXPECT_TRUE(Refused(RecordCalibration(log.state, input, At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "certificate_sha256"));
  input = Passing();
  input.provider = "";
  EXPECT_TRUE(Refused(RecordCalibration(log.state, input, At(20), kEngineer, kTerminal),
                      ErrorCode::kInvalidArgument, "provider"));
}

TEST(EquipmentCalibration, IsRefusedForEquipmentNotCalibratedOrWhileInUse) {
  const Logbook cabinet = Ready(kCabinet, CabinetDefinition());
  EXPECT_TRUE(Refused(RecordCalibration(cabinet.state, Passing(), At(20), kEngineer, kTerminal),
                      ErrorCode::kFailedPrecondition));
  Logbook balance = Ready(kBalance, BalanceDefinition());
  Start(balance, "B-0017", At(1));
  EXPECT_TRUE(Refused(RecordCalibration(balance.state, Passing(), At(20), kEngineer, kTerminal),
                      ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Refused(
      RecordMaintenance(balance.state, {.description = "Service"}, At(20), kEngineer, kTerminal),
      ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(
      Refused(RecordQualification(balance.state, {.reference = "RQ-1"}, kEngineer, kTerminal),
              ErrorCode::kFailedPrecondition));
}

// --- The logbook --------------------------------------------------------------------------------

// A history touching every kind of entry.
Logbook FullHistory() {
  Definition definition = BalanceDefinition();
  definition.cleaning_rule = CleaningRule::kBetweenPatients;
  definition.clean_hold_hours = 72;
  definition.second_person_checks = {EntryKind::kCleaning};
  Logbook log = Ready(kBalance, definition);  // Entries 1-10.
  Verify(log, log.Last() - 1, kColleague, At(0, 3));
  Start(log, "B-0017", At(1), kPatientA, "CAR-T-CD19");
  const UseCheck refused = Check(log.state, Ask("B-0018", At(1, 1), kPatientB));
  EXPECT_TRUE(Ok(log.Append(RefuseUse(log.state, {.batch = "B-0018", .patient_code = kPatientB},
                                      refused, kOperator, kTerminal),
                            At(1, 1))));
  End(log, "B-0017", At(1, 2));
  RecordClean(log, At(1, 3));
  Recorded(log, RecordCalibration(log.state, FailingAsLeft(), At(2), kEngineer, kTerminal), At(2));
  Recorded(log,
           RecordMaintenance(log.state,
                             {.type = MaintenanceType::kCorrective,
                              .description = "Leveling foot replaced",
                              .report_sha256 = std::string(64, 'a')},
                             At(2, 1), kEngineer, kTerminal),
           At(2, 1));
  EXPECT_TRUE(
      Ok(log.Append(TakeOutOfService(log.state, "Failed calibration", kQa, kTerminal), At(2, 2))));
  Recorded(log, ReturnToService(log.state, "Adjusted and recalibrated", kEngineer, kTerminal),
           At(3));
  Definition moved = definition;
  moved.name = "Analytical balance XPR205, suite 1";
  EXPECT_TRUE(Ok(log.Append(
      Redefine(log.state, moved, Suite(), "Name as on the asset tag", At(3, 1), kQa, kTerminal),
      At(3, 1))));
  return log;
}

// Verifies G-07 (211.182): the logbook numbers every entry 1..n in chronological order, each with
// who, when, from which terminal and what, in people's words.
TEST(EquipmentLogbook, NumbersEveryEntryOneToNInOrder) {
  const Logbook log = FullHistory();
  EquipmentState before;
  std::vector<LogbookEntry> entries;
  for (std::size_t i = 0; i < log.events.size(); ++i) {
    auto entry = EntryOf(before, log.events[i]);
    ASSERT_TRUE(entry.has_value()) << entry.error().ToString();
    EXPECT_EQ(entry->number, static_cast<int>(i) + 1);
    EXPECT_EQ(entry->equipment, kBalance);
    EXPECT_EQ(entry->at, log.events[i].time);
    EXPECT_EQ(entry->by, log.events[i].actor.id);
    EXPECT_EQ(entry->by_name, log.events[i].actor.name);
    EXPECT_EQ(entry->terminal, kTerminal);
    EXPECT_EQ(entry->details, *ParseJson(log.events[i].payload));
    if (i > 0) EXPECT_GE(entry->at, entries.back().at);
    entries.push_back(*entry);
    ASSERT_TRUE(Ok(ApplyEquipmentEvent(before, log.events[i])));
    EXPECT_EQ(before.entries, static_cast<int>(i) + 1);
  }
  EXPECT_EQ(EquipmentToJson(before), EquipmentToJson(log.state));
  const auto summary = [&](int number) {
    return entries[static_cast<std::size_t>(number - 1)].summary;
  };
  const auto kind = [&](int number) { return entries[static_cast<std::size_t>(number - 1)].kind; };
  EXPECT_EQ(summary(1), "Registered in room CAR-T-B101 (grade B)");
  EXPECT_EQ(kind(2), EntryKind::kQualification);
  EXPECT_EQ(summary(2), "Qualification: qualified (IQOQ-BSC-01-2026)");
  EXPECT_EQ(summary(3), "Signed as performed: entry 2 (qualification)");
  EXPECT_EQ(summary(4), "Verified by a second person: entry 2 (qualification)");
  EXPECT_EQ(summary(5), "Calibrated by Mettler-Toledo service: in tolerance");
  EXPECT_EQ(summary(7), "Preventive maintenance: Annual service per SOP-MNT-002");
  EXPECT_EQ(summary(9),
            "Cleaned with 70% IPA, then sporicidal (Klercide) (wipe-down per "
            "SOP-CLN-004)");
  EXPECT_EQ(summary(11), "Verified by a second person: entry 9 (cleaning)");
  EXPECT_EQ(kind(12), EntryKind::kUseStarted);
  EXPECT_EQ(summary(12), "Use started by batch B-0017, step CD4/CD8 selection, lot L-2026-0001");
  EXPECT_EQ(entries[11].batch, "B-0017");
  EXPECT_EQ(kind(13), EntryKind::kUseRefused);
  EXPECT_TRUE(entries[12].alert);
  EXPECT_EQ(entries[12].batch, "B-0018");
  EXPECT_TRUE(summary(13).starts_with("Use refused (in_use): BAL-02 is in use by batch B-0017"))
      << summary(13);
  EXPECT_EQ(summary(14), "Use ended by batch B-0017");
  EXPECT_EQ(kind(15), EntryKind::kCleaning);
  EXPECT_EQ(summary(16),
            "Calibrated by Mettler-Toledo service: OUT OF TOLERANCE as found, out of tolerance as "
            "left");
  EXPECT_TRUE(entries[15].alert);
  EXPECT_EQ(summary(17), "Corrective maintenance: Leveling foot replaced");
  EXPECT_EQ(summary(18), "Taken out of service: Failed calibration");
  EXPECT_TRUE(entries[17].alert);
  EXPECT_EQ(summary(19), "Returned to service. Adjusted and recalibrated");
  EXPECT_EQ(summary(20), "Definition changed");
  EXPECT_EQ(entries[19].reason, "Name as on the asset tag");
  EXPECT_FALSE(entries[0].alert);
  EXPECT_EQ(static_cast<int>(entries.size()), log.state.entries);
}

// Verifies P11-12: what a performer signs is the entry's identity and its details.
TEST(EquipmentLogbook, EntryContentCarriesTheEntrysIdentityAndDetails) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  const EquipmentState before = log.state;
  RecordClean(log, At(1));
  const auto entry = EntryOf(before, log.events.back());
  ASSERT_TRUE(entry.has_value());
  const Json content = EntryContent(*entry);
  EXPECT_EQ(*content.Find("equipment"), Json("BSC-01"));
  EXPECT_EQ(*content.Find("entry"), Json(2));
  EXPECT_EQ(*content.Find("kind"), Json("cleaning"));
  EXPECT_EQ(*content.Find("at"), Json(At(1).ToRfc3339()));
  EXPECT_EQ(*content.Find("performed_by"), Json("otto"));
  EXPECT_EQ(*content.Find("performed_by_name"), Json("Otto Operator"));
  EXPECT_EQ(*content.Find("terminal"), Json(kTerminal));
  EXPECT_EQ(*content.Find("details"), log.LastPayload());
}

TEST(EquipmentLogbook, RefusesToFoldACorruptOrForeignEvent) {
  Logbook log = Registered(kCabinet, CabinetDefinition());
  // A second registration, an event of another area, and anything before the registration.
  EquipmentState state = log.state;
  EXPECT_EQ(ApplyEquipmentEvent(state, log.events.front()).error().Code(), ErrorCode::kDataLoss);
  ledger::Event foreign = log.events.front();
  foreign.event_type = "lot.received";
  EXPECT_EQ(ApplyEquipmentEvent(state, foreign).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(EntryOf(state, foreign).error().Code(), ErrorCode::kDataLoss);
  RecordClean(log, At(1));
  EquipmentState empty;
  EXPECT_EQ(ApplyEquipmentEvent(empty, log.events.back()).error().Code(), ErrorCode::kDataLoss);
  ledger::Event garbled = log.events.back();
  garbled.payload = "{\"agent\":7}";
  EXPECT_EQ(ApplyEquipmentEvent(state, garbled).error().Code(), ErrorCode::kDataLoss);
  ledger::Event stray = log.events.back();
  stray.event_type = "equipment.entry_signed";
  stray.payload = "{\"entry\":1,\"kind\":\"registered\",\"signer\":\"otto\"}";
  EXPECT_EQ(ApplyEquipmentEvent(state, stray).error().Code(), ErrorCode::kDataLoss);
}

// Verifies AL-04: the state reads back from storage exactly as it was written.
TEST(Equipment, RoundTripsItsStateThroughJson) {
  const Logbook log = FullHistory();
  const Json json = EquipmentToJson(log.state);
  auto back = EquipmentFromJson(json);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(EquipmentToJson(*back), json);
  EXPECT_TRUE(back->exists);
  EXPECT_EQ(back->definition, log.state.definition);
  EXPECT_EQ(back->entries, 20);
  EXPECT_EQ(back->failed_calibration, 16);
  EXPECT_EQ(back->latest_calibration->points[0].as_found, 100.012);
  EXPECT_EQ(back->latest_cleaning->signoff.entry, 15);
  EXPECT_EQ(back->clean->signoff.verified_by, "olga");
  EXPECT_EQ(back->last_use->patient_code, kPatientA);
  EXPECT_EQ(back->last_use->ended, At(1, 2));
  EXPECT_EQ(back->out_of_service->reason, "Failed calibration");
  EXPECT_EQ(back->pending_return->entry, 19);
  EXPECT_EQ(back->latest_maintenance->type, MaintenanceType::kCorrective);
  EXPECT_EQ(back->preventive_done, At(0, 2));
  for (const Timestamp at : {At(1), At(2, 3), At(3, 2), At(400)}) {
    const UseCheck original = Check(log.state, Ask("B-0019", at, kPatientB));
    const UseCheck read = Check(*back, Ask("B-0019", at, kPatientB));
    EXPECT_EQ(read.refusal, original.refusal);
    EXPECT_EQ(read.message, original.message);
  }

  Json broken = json;
  broken.Set("qualified", "sort of");
  EXPECT_EQ(EquipmentFromJson(broken).error().Code(), ErrorCode::kDataLoss);
  Json missing = json;
  missing.Set("definition", Json::MakeObject());
  EXPECT_EQ(EquipmentFromJson(missing).error().Code(), ErrorCode::kDataLoss);
  Json fraction = json;
  fraction.Set("failed_calibration", 1.5);
  EXPECT_EQ(EquipmentFromJson(fraction).error().Code(), ErrorCode::kDataLoss);
}

// --- Properties ---------------------------------------------------------------------------------

// What the random histories' generator decided for each entry: the model's own record, kept apart
// from EquipmentState.
struct ModelEntry {
  int number = 0;
  EntryKind kind = EntryKind::kRegistered;
  Timestamp at;
  std::string by;
  std::string batch;  // Uses.
  std::string product;
  std::string patient;
  bool in_tolerance = true;  // Calibrations, as left.
  Timestamp performed_on;    // Calibrations and maintenance: the date the interval runs from.
  MaintenanceType maintenance = MaintenanceType::kPreventive;
  QualificationStatus status = QualificationStatus::kQualified;
  bool needs_verification = false;
  int target = 0;  // Signatures and verifications: the entry signed.
};

struct History {
  Definition definition;
  std::vector<ledger::Event> events;
  // states[k]: folded through events[k], stored as JSON and read back after every event, as the
  // projection does.
  std::vector<EquipmentState> states;
  std::vector<ModelEntry> entries;
};

const std::array<ledger::Actor, 4> kPeople = {kOperator, kColleague, kEngineer, kQa};
const std::array<std::string, 3> kBatches = {"B-0001", "B-0002", "B-0003"};
const std::array<std::string, 3> kProducts = {"", "CAR-T-CD19", "CAR-T-BCMA"};

// No patient, then each batch's patient in kBatches' order.
const std::array<std::string, 4> kPatients = {"", kPatientA, kPatientB, PatientCode("C9S41M66")};

// A value drawn uniformly from [min, max). RapidCheck's inRange narrows its range with the test's
// size, which would make the first cases choose almost only the first actions; drawn at the
// nominal size, every choice is as likely in every case.
template <typename T>
T Uniform(T min, T max) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max));
}

// True one time in `n`.
bool OneIn(int n) { return Uniform(0, n) == 0; }

template <typename T>
const T& Pick(const std::vector<T>& values) {
  return values[Uniform<std::size_t>(0, values.size())];
}

template <typename T, std::size_t N>
const T& Pick(const std::array<T, N>& values) {
  return values[Uniform<std::size_t>(0, N)];
}

// The entry that made entry `entry` effective: its signature and, where needed, its verification.
std::optional<int> EffectiveAt(const std::vector<const ModelEntry*>& seen,
                               const ModelEntry& entry) {
  int signed_by = 0;
  int verified_by = 0;
  for (const ModelEntry* other : seen) {
    if (other->target != entry.number) continue;
    if (other->kind == EntryKind::kSigned && signed_by == 0) signed_by = other->number;
    if (other->kind == EntryKind::kVerified && verified_by == 0) verified_by = other->number;
  }
  if (signed_by == 0 || (entry.needs_verification && verified_by == 0)) return std::nullopt;
  return std::max(signed_by, verified_by);
}

Timestamp Plus(Timestamp time, std::int64_t micros) {
  return Timestamp::FromMicros(time.Micros() + micros);
}

// The rules of equipment.h read straight from the entries recorded up to request.at, without
// EquipmentState: the first refusal in the documented order.
UseRefusal ModelRefusal(const History& history, const UseRequest& request,
                        environment::Grade room_grade) {
  const Definition& definition = history.definition;
  if (request.required_class && *request.required_class != definition.equipment_class) {
    return UseRefusal::kWrongClass;
  }
  // Grades run from A (cleanest) to unclassified.
  if (request.required_grade &&
      static_cast<int>(room_grade) > static_cast<int>(*request.required_grade)) {
    return UseRefusal::kWrongRoomGrade;
  }
  std::vector<const ModelEntry*> seen;
  for (const ModelEntry& entry : history.entries) {
    if (entry.at <= request.at) seen.push_back(&entry);
  }
  const auto latest = [&](const auto& predicate) -> const ModelEntry* {
    const ModelEntry* found = nullptr;
    for (const ModelEntry* entry : seen) {
      if (predicate(*entry)) found = entry;
    }
    return found;
  };
  const auto effective = [&](const ModelEntry& entry) {
    return EffectiveAt(seen, entry).has_value();
  };

  if (const ModelEntry* out =
          latest([](const ModelEntry& e) { return e.kind == EntryKind::kOutOfService; })) {
    const ModelEntry* back = latest([&](const ModelEntry& e) {
      return e.kind == EntryKind::kReturnedToService && e.number > out->number && effective(e);
    });
    if (back == nullptr) return UseRefusal::kOutOfService;
  }

  // The later of a withdrawal recorded and a qualification made effective decides.
  int decided_at = 0;
  bool qualified = false;
  for (const ModelEntry* entry : seen) {
    if (entry->kind != EntryKind::kQualification) continue;
    if (entry->status == QualificationStatus::kNotQualified && entry->number > decided_at) {
      decided_at = entry->number;
      qualified = false;
    }
    if (const auto at = EffectiveAt(seen, *entry); at && *at > decided_at) {
      decided_at = *at;
      qualified = entry->status == QualificationStatus::kQualified;
    }
  }
  if (!qualified) return UseRefusal::kNotQualified;

  if (definition.calibration_interval_days) {
    const ModelEntry* good = latest([&](const ModelEntry& e) {
      return e.kind == EntryKind::kCalibration && e.in_tolerance && effective(e);
    });
    const int good_at = good != nullptr ? *EffectiveAt(seen, *good) : 0;
    const bool failed =
        latest([&](const ModelEntry& e) {
          return e.kind == EntryKind::kCalibration && !e.in_tolerance && e.number > good_at;
        }) != nullptr;
    if (failed || good == nullptr ||
        request.at >=
            Plus(good->performed_on, *definition.calibration_interval_days * kMicrosPerDay)) {
      return UseRefusal::kCalibrationOverdue;
    }
  }

  if (definition.maintenance_interval_days) {
    const ModelEntry* done = latest([&](const ModelEntry& e) {
      return e.kind == EntryKind::kMaintenance && e.maintenance == MaintenanceType::kPreventive &&
             effective(e);
    });
    const Timestamp base = done != nullptr ? done->performed_on : history.entries.front().at;
    if (request.at >= Plus(base, *definition.maintenance_interval_days * kMicrosPerDay)) {
      return UseRefusal::kMaintenanceOverdue;
    }
  }

  const ModelEntry* use =
      latest([](const ModelEntry& e) { return e.kind == EntryKind::kUseStarted; });
  const bool ongoing =
      use != nullptr && latest([&](const ModelEntry& e) {
                          return e.kind == EntryKind::kUseEnded && e.number > use->number;
                        }) == nullptr;
  if (ongoing && use->batch != request.batch) return UseRefusal::kInUse;

  if (definition.cleaning_rule == CleaningRule::kNone) return UseRefusal::kNone;
  const ModelEntry* clean =
      latest([&](const ModelEntry& e) { return e.kind == EntryKind::kCleaning && effective(e); });
  if (clean == nullptr) return UseRefusal::kNotClean;
  std::vector<const ModelEntry*> since;
  for (const ModelEntry* entry : seen) {
    if (entry->kind == EntryKind::kUseStarted && entry->number > clean->number) {
      since.push_back(entry);
    }
  }
  if (since.empty()) {
    // The hold time is how long a cleaning lasts unused.
    if (definition.clean_hold_hours &&
        request.at >= Plus(clean->at, *definition.clean_hold_hours * kMicrosPerHour)) {
      return UseRefusal::kNotClean;
    }
    return UseRefusal::kNone;
  }
  bool dirty = definition.cleaning_rule == CleaningRule::kAfterEachUse && !ongoing;
  for (const ModelEntry* entry : since) {
    switch (definition.cleaning_rule) {
      case CleaningRule::kNone:
        break;
      case CleaningRule::kAfterEachUse:
      case CleaningRule::kBetweenBatches:
        dirty = dirty || entry->batch != request.batch;
        break;
      case CleaningRule::kBetweenProducts:
        dirty = dirty || entry->product.empty() || entry->product != request.product;
        break;
      case CleaningRule::kBetweenPatients:
        dirty = dirty || entry->patient.empty() || entry->patient != request.patient_code;
        break;
    }
  }
  return dirty ? UseRefusal::kNotClean : UseRefusal::kNone;
}

// A random request: mostly for a biosafety cabinet of any grade, by one of a few batches.
UseRequest RandomRequest(Timestamp at) {
  UseRequest request = Ask(Pick(kBatches), at, Pick(kPatients), Pick(kProducts));
  switch (Uniform(0, 8)) {
    case 0:
      request.required_class = EquipmentClass::kIncubator;
      break;
    case 1:
    case 2:
      request.required_class = EquipmentClass::kBiosafetyCabinet;
      break;
    default:
      break;
  }
  switch (Uniform(0, 8)) {
    case 0:
      request.required_grade = environment::Grade::kA;
      break;
    case 1:
      request.required_grade = environment::Grade::kB;
      break;
    case 2:
      request.required_grade = environment::Grade::kC;
      break;
    default:
      break;
  }
  return request;
}

// The status in a form that compares and prints.
Json StatusJson(const EquipmentStatus& status) {
  const auto time = [](const std::optional<Timestamp>& at) {
    return at ? Json(at->ToRfc3339()) : Json(nullptr);
  };
  Json json = Json::MakeObject();
  json.Set("at", status.at.ToRfc3339());
  json.Set("qualification", QualificationStatusName(status.qualification));
  json.Set("out_of_service", status.out_of_service);
  json.Set("calibration_due", time(status.calibration_due));
  json.Set("calibration_overdue", status.calibration_overdue);
  json.Set("maintenance_due", time(status.maintenance_due));
  json.Set("maintenance_overdue", status.maintenance_overdue);
  json.Set("clean", CleanStatusName(status.clean));
  json.Set("clean_until", time(status.clean_until));
  json.Set("in_use", status.in_use ? Json(status.in_use->entry) : Json(nullptr));
  Json awaiting = Json::MakeArray();
  for (const std::string& text : status.awaiting) awaiting.Push(text);
  json.Set("awaiting", std::move(awaiting));
  return json;
}

// A random equipment definition and a random history of valid actions at increasing instants,
// each decided on the state as it then stood; refused decisions are dropped, as the app would.
History RandomHistory() {
  History history;
  Definition& definition = history.definition;
  definition = CabinetDefinition(
      static_cast<CleaningRule>(Uniform(0, static_cast<int>(CleaningRule::kBetweenPatients) + 1)));
  if (definition.cleaning_rule != CleaningRule::kNone && OneIn(2)) {
    definition.clean_hold_hours = Uniform(1, 73);
  }
  if (OneIn(2)) {
    definition.calibration_interval_days = Uniform(1, 15);
    definition.measures = "g";
  }
  if (OneIn(2)) definition.maintenance_interval_days = Uniform(1, 15);
  for (const EntryKind kind : {EntryKind::kCleaning, EntryKind::kMaintenance,
                               EntryKind::kCalibration, EntryKind::kReturnedToService}) {
    if (OneIn(3)) definition.second_person_checks.push_back(kind);
  }

  Timestamp now = kDay0;
  EquipmentState direct;  // Folded without storage, for comparison.
  const auto current = [&]() -> EquipmentState {
    return history.states.empty() ? EquipmentState{} : history.states.back();
  };
  const auto append = [&](const Result<ledger::NewEvent>& decided, ModelEntry entry) {
    if (!decided) return false;
    RC_ASSERT(ledger::ValidateNewEvent(*decided).has_value());
    const EquipmentState before = current();
    const Hash256 prev =
        history.events.empty() ? ledger::kGenesisPrevHash : history.events.back().hash;
    history.events.push_back(ledger::SealEvent(*decided, history.events.size() + 1, now, prev));
    const ledger::Event& event = history.events.back();
    // The logbook numbers entries 1..n.
    const auto logbook_entry = EntryOf(before, event);
    RC_ASSERT(logbook_entry.has_value());
    RC_ASSERT(logbook_entry->number == static_cast<int>(history.events.size()));
    EquipmentState stored = before;
    RC_ASSERT(ApplyEquipmentEvent(stored, event).has_value());
    RC_ASSERT(ApplyEquipmentEvent(direct, event).has_value());
    RC_ASSERT(stored.entries == static_cast<int>(history.events.size()));
    const Json json = EquipmentToJson(stored);
    RC_ASSERT(json == EquipmentToJson(direct));
    auto back = EquipmentFromJson(json);
    RC_ASSERT(back.has_value());
    RC_ASSERT(EquipmentToJson(*back) == json);
    history.states.push_back(*back);
    entry.number = stored.entries;
    entry.at = now;
    entry.by = event.actor.id;
    history.entries.push_back(std::move(entry));
    return true;
  };
  const auto needs = [&](EntryKind kind) { return definition.NeedsVerification(kind); };
  const auto advance = [&] {
    switch (Uniform(0, 4)) {
      case 0:
        now = Plus(now, 1);
        break;
      case 1:
      case 2:
        now = Plus(now, Uniform<std::int64_t>(kMicrosPerSecond, 2 * kMicrosPerHour));
        break;
      default:
        now = Plus(now, Uniform<std::int64_t>(2 * kMicrosPerHour, 2 * kMicrosPerDay));
        break;
    }
  };

  RC_ASSERT(append(Register({}, kCabinet, definition, Suite(), kEngineer, kTerminal),
                   {.kind = EntryKind::kRegistered}));
  // Mostly done now; sometimes dated earlier (a certificate arriving later), not before the
  // previous entry of its kind, and now and then in the future or too early, which is refused.
  const auto performed_on = [&](EntryKind kind) -> std::optional<Timestamp> {
    Timestamp earliest = history.entries.front().at;
    for (const ModelEntry& entry : history.entries) {
      if (entry.kind == kind) earliest = entry.performed_on;
    }
    switch (Uniform(0, 8)) {
      case 0:
        return Plus(earliest, Uniform<std::int64_t>(
                                  0, std::max<std::int64_t>(1, now.Micros() - earliest.Micros())));
      case 1:
        return OneIn(2) ? Plus(now, 1) : Plus(earliest, -1);
      default:
        return std::nullopt;
    }
  };
  const auto clean = [&](const ledger::Actor& by) {
    return append(
        RecordCleaning(current(), {.agent = "70% IPA", .method = "wipe-down"}, by, kTerminal),
        {.kind = EntryKind::kCleaning, .needs_verification = needs(EntryKind::kCleaning)});
  };
  const auto calibrate = [&](const ledger::Actor& by, double as_found,
                             std::optional<double> as_left) {
    CalibrationInput input = CalibrationWith({Point(100, as_found, 0.1, "g", as_left)});
    input.performed_on = performed_on(EntryKind::kCalibration);
    return append(RecordCalibration(current(), input, now, by, kTerminal),
                  {.kind = EntryKind::kCalibration,
                   .in_tolerance = std::fabs(as_left.value_or(as_found) - 100) <= 0.1,
                   .performed_on = input.performed_on.value_or(now),
                   .needs_verification = needs(EntryKind::kCalibration)});
  };
  const auto maintain = [&](const ledger::Actor& by, MaintenanceType type) {
    const MaintenanceInput input{.performed_on = performed_on(EntryKind::kMaintenance),
                                 .type = type,
                                 .description = "Service per SOP-MNT-002"};
    return append(RecordMaintenance(current(), input, now, by, kTerminal),
                  {.kind = EntryKind::kMaintenance,
                   .performed_on = input.performed_on.value_or(now),
                   .maintenance = type,
                   .needs_verification = needs(EntryKind::kMaintenance)});
  };
  const auto qualify = [&](const ledger::Actor& by, QualificationStatus status) {
    return append(
        RecordQualification(current(), {.status = status, .reference = "IQOQ-1"}, by, kTerminal),
        {.kind = EntryKind::kQualification, .status = status, .needs_verification = true});
  };
  const auto sign = [&](int entry, const std::string& signer) {
    return append(SignEntry(current(), entry, signer, Pick(kPeople), kTerminal),
                  {.kind = EntryKind::kSigned, .target = entry});
  };
  const auto verify = [&](int entry, const std::string& verifier) {
    return append(VerifyEntry(current(), entry, verifier, Pick(kPeople), kTerminal),
                  {.kind = EntryKind::kVerified, .target = entry});
  };
  // Someone other than `performer`.
  const auto other_than = [&](const std::string& performer) {
    std::string who;
    do {
      who = Pick(kPeople).id;
    } while (who == performer);
    return who;
  };
  // The latest entry, signed by its performer and verified by another where it needs it.
  const auto signed_off = [&] {
    const ModelEntry target = history.entries.back();
    advance();
    RC_ASSERT(sign(target.number, target.by));
    if (target.needs_verification) {
      advance();
      RC_ASSERT(verify(target.number, other_than(target.by)));
    }
  };

  // Mostly usable from the start (qualified, calibrated, maintained and clean as its definition
  // asks), so that uses happen; the random steps then restrict and permit use again.
  if (!OneIn(10)) {
    advance();
    RC_ASSERT(qualify(kEngineer, QualificationStatus::kQualified));
    signed_off();
  }
  if (definition.calibration_interval_days && !OneIn(5)) {
    advance();
    if (calibrate(Pick(kPeople), 100, std::nullopt)) signed_off();
  }
  if (definition.maintenance_interval_days && !OneIn(5)) {
    advance();
    if (maintain(Pick(kPeople), MaintenanceType::kPreventive)) signed_off();
  }
  if (definition.cleaning_rule != CleaningRule::kNone && !OneIn(5)) {
    advance();
    RC_ASSERT(clean(Pick(kPeople)));
    signed_off();
  }

  const int steps = Uniform(0, 60);
  for (int step = 0; step < steps; ++step) {
    advance();
    const EquipmentState state = current();
    const ledger::Actor& actor = Pick(kPeople);
    const int action = Uniform(0, 100);
    if (action < 25) {
      // A use: started where the check allows it, recorded as refused otherwise.
      const auto which = Uniform<std::size_t>(0, kBatches.size());
      const std::string& batch = kBatches[which];
      // Mostly the batch's own patient; sometimes any code, or none.
      const std::string& patient = OneIn(4) ? Pick(kPatients) : kPatients[which + 1];
      const std::string& product = Pick(kProducts);
      const UseInput input{
          .batch = batch, .product = product, .step = "Selection", .patient_code = patient};
      auto check = CheckUse(state, Suite(), Ask(batch, now, patient, product));
      RC_ASSERT(check.has_value());
      if (check->Allowed()) {
        append(StartUse(state, input, *check, Suite(), kOperator, kTerminal),
               {.kind = EntryKind::kUseStarted,
                .batch = batch,
                .product = product,
                .patient = patient});
      } else {
        append(RefuseUse(state, input, *check, kOperator, kTerminal),
               {.kind = EntryKind::kUseRefused});
      }
    } else if (action < 40) {
      const std::string batch =
          state.last_use && !OneIn(5) ? state.last_use->batch : Pick(kBatches);
      append(EndUse(state, batch, "", kOperator, kTerminal), {.kind = EntryKind::kUseEnded});
    } else if (action < 50) {
      clean(actor);
    } else if (action < 57) {
      const double as_found = Pick(std::array<double, 3>{100.0, 100.05, 100.3});
      std::optional<double> as_left;
      if (OneIn(2)) as_left = OneIn(2) ? 100.0 : 100.3;
      calibrate(actor, as_found, as_left);
    } else if (action < 62) {
      maintain(actor, OneIn(2) ? MaintenanceType::kPreventive : MaintenanceType::kCorrective);
    } else if (action < 64) {
      qualify(actor,
              OneIn(3) ? QualificationStatus::kNotQualified : QualificationStatus::kQualified);
    } else if (action < 67) {
      append(TakeOutOfService(state, "Alarm", actor, kTerminal),
             {.kind = EntryKind::kOutOfService});
    } else if (action < 72) {
      append(ReturnToService(state, "Repaired", actor, kTerminal),
             {.kind = EntryKind::kReturnedToService,
              .needs_verification = needs(EntryKind::kReturnedToService)});
    } else {
      // A signature or verification, mostly of an entry that still awaits one, mostly by the right
      // person: the performer signs, another verifies. Wrong ones are refused.
      std::vector<const ModelEntry*> all;
      for (const ModelEntry& entry : history.entries) all.push_back(&entry);
      std::vector<const ModelEntry*> candidates;
      for (const ModelEntry& entry : history.entries) {
        if (IsSignedKind(entry.kind) && !EffectiveAt(all, entry)) candidates.push_back(&entry);
      }
      if (candidates.empty() || OneIn(8)) candidates.push_back(Pick(all));
      const ModelEntry target = *Pick(candidates);
      const bool is_signed = std::any_of(all.begin(), all.end(), [&](const ModelEntry* entry) {
        return entry->kind == EntryKind::kSigned && entry->target == target.number;
      });
      const bool verification = is_signed != OneIn(5);
      const bool right = !OneIn(7);
      if (verification) {
        verify(target.number, right ? other_than(target.by) : target.by);
      } else {
        sign(target.number, right ? target.by : other_than(target.by));
      }
    }
  }
  return history;
}

// Where the interval after events[k] ends (exclusive): the next event, or ten days after the last.
Timestamp IntervalEnd(const History& history, std::size_t k) {
  return k + 1 < history.events.size() ? history.events[k + 1].time
                                       : Plus(history.events[k].time, 10 * kMicrosPerDay);
}

// The deadlines the status stored after events[k] names (due dates, the end of a clean hold) and
// the microsecond before each, that fall before the next event.
std::vector<Timestamp> Deadlines(const History& history, std::size_t k) {
  const Timestamp from = history.events[k].time;
  const Timestamp end = IntervalEnd(history, k);
  std::vector<Timestamp> deadlines;
  const EquipmentStatus status = StatusAt(history.states[k], from);
  for (const auto& deadline :
       {status.calibration_due, status.maintenance_due, status.clean_until}) {
    if (!deadline) continue;
    for (const Timestamp at : {*deadline, Plus(*deadline, -1)}) {
      if (from <= at && at < end) deadlines.push_back(at);
    }
  }
  return deadlines;
}

// An instant from events[k] up to (not including) the next event: often one of the two ends or a
// deadline.
Timestamp InstantAfter(const History& history, std::size_t k) {
  const Timestamp from = history.events[k].time;
  const Timestamp end = IntervalEnd(history, k);
  const std::vector<Timestamp> deadlines = Deadlines(history, k);
  switch (Uniform(0, 5)) {
    case 0:
      return from;
    case 1:
      return Plus(end, -1);
    case 2:
      if (!deadlines.empty()) return Pick(deadlines);
      [[fallthrough]];
    default:
      return Plus(from, Uniform<std::int64_t>(0, end.Micros() - from.Micros()));
  }
}

// Verifies AL-01 and G-07 on random histories: the status as of any instant t, read from the state
// stored after the last event at or before t, equals the status computed by folding from scratch
// only the events up to t; and between two events the time-driven flags only ever go one way.
RC_GTEST_PROP(EquipmentAsOf, StatusAtAnInstantEqualsTheRefoldOfTheEventsUpToIt, ()) {
  const History history = RandomHistory();
  for (std::size_t k = 0; k < history.events.size(); ++k) {
    const Timestamp t = InstantAfter(history, k);
    EquipmentState scratch;
    for (const ledger::Event& event : history.events) {
      if (event.time <= t) RC_ASSERT(ApplyEquipmentEvent(scratch, event).has_value());
    }
    const EquipmentState& stored = history.states[k];
    RC_ASSERT(EquipmentToJson(scratch) == EquipmentToJson(stored));
    const Json status = StatusJson(StatusAt(stored, t));
    RC_ASSERT(CanonicalJson(StatusJson(StatusAt(scratch, t))) == CanonicalJson(status));
    const UseRequest request = RandomRequest(t);
    const auto from_stored = CheckUse(stored, Suite(), request);
    const auto from_scratch = CheckUse(scratch, Suite(), request);
    RC_ASSERT(from_stored.has_value() && from_scratch.has_value());
    RC_ASSERT(from_stored->refusal == from_scratch->refusal);
    RC_ASSERT(from_stored->message == from_scratch->message);

    // Later in the same interval, with nothing recorded: overdue and expired stay so.
    const Timestamp later =
        Plus(t, Uniform<std::int64_t>(0, IntervalEnd(history, k).Micros() - t.Micros()));
    const EquipmentStatus before = StatusAt(stored, t);
    const EquipmentStatus after = StatusAt(stored, later);
    if (before.calibration_overdue) RC_ASSERT(after.calibration_overdue);
    if (before.maintenance_overdue) RC_ASSERT(after.maintenance_overdue);
    if (before.clean == CleanStatus::kExpired) RC_ASSERT(after.clean == CleanStatus::kExpired);
    RC_ASSERT(before.out_of_service == after.out_of_service);
  }
}

// Verifies G-06, G-07, T-01 and P11-06 on random histories: at any instant, the equipment check
// refuses exactly when, and for the first reason in the documented order that, the rules of
// equipment.h read from the entries themselves forbid the use. In particular it never lets a
// between_patients cabinet serve patient B while its last use since the last effective cleaning
// was patient A's.
RC_GTEST_PROP(EquipmentUseCheck, NeverAllowsAUseTheRulesForbid, ()) {
  const History history = RandomHistory();
  for (std::size_t k = 0; k < history.events.size(); ++k) {
    std::vector<Timestamp> instants = Deadlines(history, k);
    instants.push_back(InstantAfter(history, k));
    instants.push_back(InstantAfter(history, k));
    for (const Timestamp at : instants) {
      const UseRequest request = RandomRequest(at);
      const EquipmentState& state = history.states[k];
      const auto check = CheckUse(state, Suite(), request);
      RC_ASSERT(check.has_value());
      const UseRefusal expected = ModelRefusal(history, request, environment::Grade::kB);
      RC_ASSERT(UseRefusalName(check->refusal) == UseRefusalName(expected));
      RC_ASSERT(check->message.starts_with(std::string(kCabinet)) ||
                check->message.starts_with("calibration of BSC-01") ||
                check->message.starts_with("preventive maintenance of BSC-01") ||
                check->message.starts_with("the clean status of BSC-01"));
      if (check->Allowed() && history.definition.cleaning_rule == CleaningRule::kBetweenPatients &&
          state.last_use && (!state.clean || state.last_use->entry > state.clean->signoff.entry)) {
        RC_ASSERT(!state.last_use->patient_code.empty());
        RC_ASSERT(state.last_use->patient_code == request.patient_code);
      }
    }
  }
}

}  // namespace
}  // namespace aliquot::equipment
