#include "aliquot/domain/quality/deviation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"

namespace aliquot::quality {
namespace {

constexpr std::string_view kTerminal = "QA-WS1";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
const ledger::Actor kSystem{"system", "Aliquot"};
const ledger::Actor kQa{"quinn", "Quinn QA"};

// Day `day` after kDay0, plus `micros`.
Timestamp Day(std::int64_t day, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay + micros);
}

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

// The member `name` of `json` as canonical text, or "absent": comparable and printable.
std::string Member(const Json& json, std::string_view name) {
  const Json* member = json.Find(name);
  return member != nullptr ? CanonicalJson(*member) : "absent";
}

// A balance found out of tolerance at calibration: the window since its last good calibration and
// the batches weighed on it since.
DeviationInput CalibrationDeviation() {
  return {.source = DeviationSource::kCalibration,
          .title = "BAL-02 found out of tolerance at calibration",
          .description = "100 g read 100.012 g (tolerance +/- 0.001 g)",
          .equipment = "BAL-02",
          .equipment_entry = 9,
          .window_start = Day(0, 7'200'000'001),
          .window_end = Day(180, 123'456),
          .batches = {"B-0017", "B-0018"}};
}

// An action-limit excursion in a grade A zone: no window, no batches yet.
DeviationInput ExcursionDeviation() {
  return {.source = DeviationSource::kEnvironment,
          .title = "Settle plate above the grade A action limit",
          .description = "2 CFU/4 h; action limit 1 CFU/4 h (Annex 1 Table 6)",
          .room = "CAR-T-B101",
          .location = "BSC-01 work surface",
          .sample = "EM-2026-0311"};
}

// Raised at `at` and folded, as the store seals it.
struct Raised {
  ledger::Event event;
  DeviationState state;
};

Raised Raise(std::string_view id, const DeviationInput& input, Timestamp at) {
  Raised raised;
  auto event = RaiseDeviation({}, id, input, kSystem, kTerminal);
  EXPECT_TRUE(event.has_value()) << event.error().ToString();
  if (!event) return raised;
  EXPECT_TRUE(Ok(ledger::ValidateNewEvent(*event)));
  raised.event = ledger::SealEvent(*event, 1, at, ledger::kGenesisPrevHash);
  EXPECT_TRUE(Ok(ApplyDeviationEvent(raised.state, raised.event)));
  return raised;
}

void ExpectSameDetails(const DeviationInput& actual, const DeviationInput& expected) {
  EXPECT_EQ(actual.source, expected.source);
  EXPECT_EQ(actual.title, expected.title);
  EXPECT_EQ(actual.description, expected.description);
  EXPECT_EQ(actual.equipment, expected.equipment);
  EXPECT_EQ(actual.equipment_entry, expected.equipment_entry);
  EXPECT_EQ(actual.room, expected.room);
  EXPECT_EQ(actual.location, expected.location);
  EXPECT_EQ(actual.sample, expected.sample);
  EXPECT_EQ(actual.window_start, expected.window_start);
  EXPECT_EQ(actual.window_end, expected.window_end);
  EXPECT_EQ(actual.batches, expected.batches);
}

// Verifies G-05: deviations are numbered DEV-<year>-<nnnn> in the order raised; the number is
// padded to four digits and grows past them.
TEST(DeviationId, NumbersByYearPaddedToFourDigits) {
  EXPECT_EQ(DeviationId(2026, 7), "DEV-2026-0007");
  EXPECT_EQ(DeviationId(2026, 1), "DEV-2026-0001");
  EXPECT_EQ(DeviationId(2026, 42), "DEV-2026-0042");
  EXPECT_EQ(DeviationId(2026, 9999), "DEV-2026-9999");
  EXPECT_EQ(DeviationId(2026, 12345), "DEV-2026-12345");
  EXPECT_EQ(DeviationId(2027, 1), "DEV-2027-0001");
}

TEST(DeviationId, NamesItsOwnStream) {
  EXPECT_EQ(DeviationStream("DEV-2026-0007"), (ledger::StreamRef{"deviation", "DEV-2026-0007"}));
}

TEST(DeviationNames, ReadBackAsTheSameValue) {
  for (const DeviationSource source :
       {DeviationSource::kCalibration, DeviationSource::kEnvironment}) {
    EXPECT_EQ(DeviationSourceFromName(DeviationSourceName(source)), source);
  }
  EXPECT_EQ(DeviationSourceName(DeviationSource::kCalibration), "calibration_out_of_tolerance");
  EXPECT_EQ(DeviationSourceName(DeviationSource::kEnvironment), "environmental_excursion");
  EXPECT_FALSE(DeviationSourceFromName("calibration").has_value());
  EXPECT_FALSE(DeviationSourceFromName("").has_value());
  EXPECT_EQ(DeviationStatusName(DeviationStatus::kOpen), "open");
}

// Verifies G-04 and G-05: the deviation is raised as an alert on its own stream, carrying what it
// touched: the equipment and its entry, the window of exposure and every batch that may be
// affected (211.192).
TEST(DeviationRaise, IsAnAlertCarryingWhatItTouched) {
  auto event = RaiseDeviation({}, "DEV-2026-0007", CalibrationDeviation(), kSystem, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(Ok(ledger::ValidateNewEvent(*event)));
  EXPECT_EQ(event->stream, DeviationStream("DEV-2026-0007"));
  EXPECT_EQ(event->event_type, "quality.deviation_raised");
  EXPECT_EQ(event->actor, kSystem);
  EXPECT_EQ(event->terminal, kTerminal);
  const Json& payload = event->payload;
  EXPECT_EQ(Member(payload, "alert"), "true");
  EXPECT_EQ(Member(payload, "source"), "\"calibration_out_of_tolerance\"");
  EXPECT_EQ(Member(payload, "title"), "\"BAL-02 found out of tolerance at calibration\"");
  EXPECT_EQ(Member(payload, "equipment"), "\"BAL-02\"");
  EXPECT_EQ(Member(payload, "equipment_entry"), "9");
  EXPECT_EQ(Member(payload, "batches"), "[\"B-0017\",\"B-0018\"]");
  // Instants in an event are RFC 3339 text, to the microsecond.
  EXPECT_EQ(Member(payload, "window_start"), "\"2026-03-02T11:00:00.000001Z\"");
  EXPECT_EQ(Member(payload, "window_end"), "\"2026-08-29T09:00:00.123456Z\"");

  auto excursion = RaiseDeviation({}, "DEV-2026-0008", ExcursionDeviation(), kSystem, kTerminal);
  ASSERT_TRUE(excursion.has_value());
  EXPECT_EQ(Member(excursion->payload, "alert"), "true");
  EXPECT_EQ(Member(excursion->payload, "window_start"), "null");
  EXPECT_EQ(Member(excursion->payload, "batches"), "[]");
  EXPECT_EQ(Member(excursion->payload, "room"), "\"CAR-T-B101\"");
}

TEST(DeviationRaise, RefusesADeviationAlreadyRaised) {
  const Raised raised = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180));
  const auto again =
      RaiseDeviation(raised.state, "DEV-2026-0007", CalibrationDeviation(), kSystem, kTerminal);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(again.error().Message().find("DEV-2026-0007"), std::string::npos)
      << again.error().Message();
}

// Verifies AL-01 and AL-03: the state records when (server time) and by whom it was raised, and
// the details exactly as raised.
TEST(DeviationApply, FoldsTheRaisedEventWithWhoAndWhen) {
  const Raised raised = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180, 5));
  const DeviationState& state = raised.state;
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.id, "DEV-2026-0007");
  EXPECT_EQ(state.status, DeviationStatus::kOpen);
  EXPECT_EQ(state.raised_at, Day(180, 5));
  EXPECT_EQ(state.raised_by, "system");
  ExpectSameDetails(state.details, CalibrationDeviation());
  ExpectSameDetails(Raise("DEV-2026-0008", ExcursionDeviation(), Day(3)).state.details,
                    ExcursionDeviation());
}

TEST(DeviationApply, RefusesASecondRaiseOrAnEventOfAnotherKind) {
  Raised raised = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180));
  DeviationState state = raised.state;
  auto twice = ApplyDeviationEvent(state, raised.event);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().Code(), ErrorCode::kDataLoss);

  ledger::Event foreign = raised.event;
  foreign.event_type = "quality.deviation_closed";
  DeviationState fresh;
  auto unknown = ApplyDeviationEvent(fresh, foreign);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().Code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(fresh.exists);

  ledger::Event garbled = raised.event;
  garbled.payload = "{\"source\":\"rumour\"}";
  EXPECT_EQ(ApplyDeviationEvent(fresh, garbled).error().Code(), ErrorCode::kDataLoss);
  garbled.payload = "not json";
  EXPECT_EQ(ApplyDeviationEvent(fresh, garbled).error().Code(), ErrorCode::kDataLoss);
}

// Verifies AL-04: a deviation's state reads back from storage exactly as it was written.
TEST(Deviation, RoundTripsItsStateThroughJson) {
  for (const DeviationInput& input : {CalibrationDeviation(), ExcursionDeviation()}) {
    const DeviationState state = Raise("DEV-2026-0007", input, Day(180, 5)).state;
    const Json json = DeviationToJson(state);
    auto back = DeviationFromJson(json);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(DeviationToJson(*back), json);
    EXPECT_TRUE(back->exists);
    EXPECT_EQ(back->id, state.id);
    EXPECT_EQ(back->status, DeviationStatus::kOpen);
    EXPECT_EQ(back->raised_at, state.raised_at);
    EXPECT_EQ(back->raised_by, state.raised_by);
    ExpectSameDetails(back->details, input);
  }
  const Json json = DeviationToJson(Raise("DEV-2026-0007", CalibrationDeviation(), Day(1)).state);
  Json broken = json;
  broken.Set("raised_at", "yesterday");
  EXPECT_EQ(DeviationFromJson(broken).error().Code(), ErrorCode::kDataLoss);
  Json no_details = json;
  no_details.Set("details", Json::MakeObject());
  EXPECT_EQ(DeviationFromJson(no_details).error().Code(), ErrorCode::kDataLoss);
  Json unknown_source = json;
  Json details = *json.Find("details");
  details.Set("source", "rumour");
  unknown_source.Set("details", details);
  EXPECT_EQ(DeviationFromJson(unknown_source).error().Code(), ErrorCode::kDataLoss);
}

// Printable ASCII text, so that any generated value is valid JSON text.
rc::Gen<std::string> Text() {
  return rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~' + 1));
}

// Any instant from 1970 to 2200: instants are stored as integer microseconds, exact in JSON only
// up to 2^53 (the year 2255).
Timestamp AnyInstant() {
  return Timestamp::FromMicros(
      *rc::gen::inRange<std::int64_t>(0, 7'258'118'400 * kMicrosPerSecond));
}

std::optional<Timestamp> MaybeInstant() {
  if (*rc::gen::arbitrary<bool>()) return std::nullopt;
  return AnyInstant();
}

// Verifies AL-04 on random deviations: whatever is raised reads back the same from its event and
// from its stored state.
RC_GTEST_PROP(Deviation, ReadsBackAnyRaisedDeviationFromItsEventAndItsStoredState, ()) {
  DeviationInput input;
  input.source = *rc::gen::element(DeviationSource::kCalibration, DeviationSource::kEnvironment);
  input.title = *Text();
  input.description = *Text();
  input.equipment = *Text();
  input.equipment_entry = *rc::gen::inRange(0, 1'000'000);
  input.room = *Text();
  input.location = *Text();
  input.sample = *Text();
  input.window_start = MaybeInstant();
  input.window_end = MaybeInstant();
  input.batches = *rc::gen::container<std::vector<std::string>>(Text());
  const std::string id = DeviationId(*rc::gen::inRange(2000, 10000), *rc::gen::inRange(1, 100000));
  const Timestamp at = AnyInstant();

  auto event = RaiseDeviation({}, id, input, kQa, kTerminal);
  RC_ASSERT(event.has_value());
  RC_ASSERT(ledger::ValidateNewEvent(*event).has_value());
  const ledger::Event sealed = ledger::SealEvent(*event, 1, at, ledger::kGenesisPrevHash);
  DeviationState state;
  RC_ASSERT(ApplyDeviationEvent(state, sealed).has_value());
  RC_ASSERT(state.id == id);
  RC_ASSERT(state.raised_at == at);
  RC_ASSERT(state.raised_by == kQa.id);
  const auto same = [&](const DeviationInput& details) {
    RC_ASSERT(details.source == input.source);
    RC_ASSERT(details.title == input.title);
    RC_ASSERT(details.description == input.description);
    RC_ASSERT(details.equipment == input.equipment);
    RC_ASSERT(details.equipment_entry == input.equipment_entry);
    RC_ASSERT(details.room == input.room);
    RC_ASSERT(details.location == input.location);
    RC_ASSERT(details.sample == input.sample);
    RC_ASSERT(details.window_start == input.window_start);
    RC_ASSERT(details.window_end == input.window_end);
    RC_ASSERT(details.batches == input.batches);
  };
  same(state.details);
  const Json json = DeviationToJson(state);
  auto back = DeviationFromJson(json);
  RC_ASSERT(back.has_value());
  RC_ASSERT(DeviationToJson(*back) == json);
  same(back->details);
}

}  // namespace
}  // namespace aliquot::quality
