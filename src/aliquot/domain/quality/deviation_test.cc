#include "aliquot/domain/quality/deviation.h"

#include <cstdint>
#include <functional>
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
const ledger::Actor kQaApprover{"april", "April Approver"};

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

// A viability below its action limit in a batch: the batch, its step, the parameter, the value and
// the limit, and the batch record's entry.
DeviationInput BatchDeviation() {
  return {.source = DeviationSource::kActionLimit,
          .title = "Viability below the action limit at harvest",
          .description = "Viability 78.2 % at harvest; action low 80 %",
          .batches = {"B-2026-0042"},
          .step = "harvest",
          .subject = "viability",
          .value = "78.2 %",
          .limit = "action low 80 %",
          .batch_entry = 17};
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
  EXPECT_EQ(actual.step, expected.step);
  EXPECT_EQ(actual.subject, expected.subject);
  EXPECT_EQ(actual.value, expected.value);
  EXPECT_EQ(actual.limit, expected.limit);
  EXPECT_EQ(actual.batch_entry, expected.batch_entry);
}

// Seals `event` as event `seq` at `at`, by the event's own actor, and folds it into `state`.
void Fold(DeviationState& state, const Result<ledger::NewEvent>& event, std::uint64_t seq,
          Timestamp at) {
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  ASSERT_TRUE(Ok(ledger::ValidateNewEvent(*event)));
  ASSERT_TRUE(
      Ok(ApplyDeviationEvent(state, ledger::SealEvent(*event, seq, at, ledger::kGenesisPrevHash))));
}

// A minor deviation without impact on product, extended to nothing more.
DeviationAssessment MinorAssessment() {
  return {.classification = Classification::kMinor,
          .impact = "None: the balance was not used for a critical weighing in the window",
          .root_cause = "Drift of the load cell",
          .investigation_required = false,
          .batches_affected = {}};
}

// The calibration deviation raised on day 180 and assessed by QA on day 181.
DeviationState Assessed(const DeviationAssessment& assessment = MinorAssessment()) {
  DeviationState state = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  Fold(state, AssessDeviation(state, assessment, kQa, kTerminal), 2, Day(181));
  return state;
}

// The code of `result`'s error and its field, as "code field", or "ok".
template <typename T>
std::string Refusal(const Result<T>& result) {
  if (result) return "ok";
  return std::string(ErrorCodeName(result.error().Code())) + " " + result.error().Field();
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
  const std::vector<std::pair<DeviationSource, std::string_view>> sources = {
      {DeviationSource::kCalibration, "calibration_out_of_tolerance"},
      {DeviationSource::kEnvironment, "environmental_excursion"},
      {DeviationSource::kActionLimit, "action_limit_excursion"},
      {DeviationSource::kHoldTime, "hold_time_breach"},
      {DeviationSource::kExpiry, "expiry_passed"},
      {DeviationSource::kIdentityMismatch, "identity_mismatch"},
      {DeviationSource::kOverride, "override"},
      {DeviationSource::kStepDuration, "step_duration_exceeded"}};
  for (const auto& [source, name] : sources) {
    EXPECT_EQ(DeviationSourceName(source), name);
    EXPECT_EQ(DeviationSourceFromName(name), source);
  }
  // Appended after the first two, whose values events already store by name.
  EXPECT_EQ(static_cast<int>(DeviationSource::kCalibration), 0);
  EXPECT_EQ(static_cast<int>(DeviationSource::kEnvironment), 1);
  EXPECT_FALSE(DeviationSourceFromName("calibration").has_value());
  EXPECT_FALSE(DeviationSourceFromName("").has_value());
  EXPECT_EQ(DeviationStatusName(DeviationStatus::kOpen), "open");
  EXPECT_EQ(DeviationStatusName(DeviationStatus::kAssessed), "assessed");
  EXPECT_EQ(DeviationStatusName(DeviationStatus::kClosed), "closed");
  for (const auto& [classification, name] :
       std::vector<std::pair<Classification, std::string_view>>{
           {Classification::kMinor, "minor"},
           {Classification::kMajor, "major"},
           {Classification::kCritical, "critical"}}) {
    EXPECT_EQ(ClassificationName(classification), name);
    EXPECT_EQ(ClassificationFromName(name), classification);
  }
  EXPECT_FALSE(ClassificationFromName("Major").has_value());
  EXPECT_FALSE(ClassificationFromName("").has_value());
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
  // Raised outside a batch, the event has the shape it always had: no batch execution members.
  for (const std::string_view name : {"step", "subject", "value", "limit", "batch_entry"}) {
    EXPECT_EQ(Member(payload, name), "absent") << name;
    EXPECT_EQ(Member(excursion->payload, name), "absent") << name;
  }
}

// Verifies G-04 and G-03: a deviation raised in a batch carries the batch, its step, what
// departed, the value as recorded, the limit it breached and the batch record's entry.
TEST(DeviationRaise, InABatchCarriesTheStepTheValueAndTheLimit_G04) {
  auto event = RaiseDeviation({}, "DEV-2026-0009", BatchDeviation(), kSystem, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(Ok(ledger::ValidateNewEvent(*event)));
  const Json& payload = event->payload;
  EXPECT_EQ(Member(payload, "source"), "\"action_limit_excursion\"");
  EXPECT_EQ(Member(payload, "batches"), "[\"B-2026-0042\"]");
  EXPECT_EQ(Member(payload, "step"), "\"harvest\"");
  EXPECT_EQ(Member(payload, "subject"), "\"viability\"");
  EXPECT_EQ(Member(payload, "value"), "\"78.2 %\"");
  EXPECT_EQ(Member(payload, "limit"), "\"action low 80 %\"");
  EXPECT_EQ(Member(payload, "batch_entry"), "17");
  const Raised raised = Raise("DEV-2026-0009", BatchDeviation(), Day(3));
  ExpectSameDetails(raised.state.details, BatchDeviation());
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
  for (const DeviationInput& input :
       {CalibrationDeviation(), ExcursionDeviation(), BatchDeviation()}) {
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

// Assessment ------------------------------------------------------------------------------------

// Verifies G-04 and 21 CFR 211.192: QA's assessment records the classification, the impact on
// product, the root cause and whether an investigation is needed, and extends the deviation to
// other batches: those it was raised with stay, sorted and distinct; the deviation is assessed.
TEST(Deviation, AnAssessmentRecordsItsClassificationImpactAndTheBatchesAffected_G04) {
  const DeviationState raised = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  DeviationAssessment assessment = MinorAssessment();
  assessment.classification = Classification::kMajor;
  assessment.batches_affected = {"B-0020", "B-0017", "B-0020", "B-0003"};
  auto event = AssessDeviation(raised, assessment, kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(Ok(ledger::ValidateNewEvent(*event)));
  EXPECT_EQ(event->stream, DeviationStream("DEV-2026-0007"));
  EXPECT_EQ(event->event_type, "quality.deviation_assessed");
  EXPECT_EQ(event->actor, kQa);
  EXPECT_EQ(Member(event->payload, "classification"), "\"major\"");
  EXPECT_EQ(Member(event->payload, "impact"), "\"" + MinorAssessment().impact + "\"");
  EXPECT_EQ(Member(event->payload, "root_cause"), "\"Drift of the load cell\"");
  EXPECT_EQ(Member(event->payload, "investigation_required"), "false");
  EXPECT_EQ(Member(event->payload, "batches_affected"),
            "[\"B-0003\",\"B-0017\",\"B-0018\",\"B-0020\"]");

  DeviationState state = raised;
  Fold(state, event, 2, Day(181, 7));
  EXPECT_EQ(state.status, DeviationStatus::kAssessed);
  ASSERT_EQ(state.assessments.size(), 1U);
  const RecordedAssessment& recorded = state.assessments[0];
  EXPECT_EQ(recorded.assessment.classification, Classification::kMajor);
  EXPECT_EQ(recorded.assessment.batches_affected,
            (std::vector<std::string>{"B-0003", "B-0017", "B-0018", "B-0020"}));
  EXPECT_EQ(recorded.assessed_at, Day(181, 7));
  EXPECT_EQ(recorded.assessed_by, "quinn");
  EXPECT_EQ(state.LatestAssessment(), &state.assessments.back());
  EXPECT_EQ(state.BatchesAffected(), recorded.assessment.batches_affected);
  // Before any assessment, the batches it may affect are those it was raised with.
  EXPECT_EQ(raised.BatchesAffected(), CalibrationDeviation().batches);
  EXPECT_EQ(raised.LatestAssessment(), nullptr);
}

// Verifies G-04: the root cause may not be known yet when QA first assesses.
TEST(Deviation, AnAssessmentMayLeaveTheRootCauseForLater_G04) {
  DeviationAssessment assessment = MinorAssessment();
  assessment.root_cause.clear();
  const DeviationState state = Assessed(assessment);
  ASSERT_EQ(state.assessments.size(), 1U);
  EXPECT_EQ(state.assessments[0].assessment.root_cause, "");
}

// Verifies G-04 and 21 CFR 211.192: a deviation may be assessed again while it is open to it;
// every assessment is kept in order and the latest stands, its batches too, though never fewer
// than those it was raised with.
TEST(Deviation, ReassessmentKeepsEveryAssessmentAndTheLatestStands_G04) {
  DeviationAssessment first = MinorAssessment();
  first.batches_affected = {"B-0003"};
  DeviationState state = Assessed(first);
  DeviationAssessment second = MinorAssessment();
  second.classification = Classification::kCritical;
  second.impact = "Potency of B-0017 and B-0018 may be affected: dose weighed on BAL-02";
  Fold(state, AssessDeviation(state, second, kQaApprover, kTerminal), 3, Day(182));
  EXPECT_EQ(state.status, DeviationStatus::kAssessed);
  ASSERT_EQ(state.assessments.size(), 2U);
  EXPECT_EQ(state.assessments[0].assessment.classification, Classification::kMinor);
  EXPECT_EQ(state.assessments[0].assessment.batches_affected,
            (std::vector<std::string>{"B-0003", "B-0017", "B-0018"}));
  EXPECT_EQ(state.assessments[0].assessed_by, "quinn");
  EXPECT_EQ(state.LatestAssessment()->assessment.classification, Classification::kCritical);
  EXPECT_EQ(state.LatestAssessment()->assessed_by, "april");
  EXPECT_EQ(state.LatestAssessment()->assessed_at, Day(182));
  EXPECT_EQ(state.BatchesAffected(), (std::vector<std::string>{"B-0017", "B-0018"}));
}

TEST(Deviation, AssessingADeviationThatDoesNotExistIsNotFound_G04) {
  EXPECT_EQ(Refusal(AssessDeviation({}, MinorAssessment(), kQa, kTerminal)),
            "not_found deviation_id");
}

// Verifies G-04 and A11-01: an assessment without its impact on product, with an unknown
// classification, overlong text or a batch that is no id is refused naming the field.
TEST(Deviation, AnAssessmentNeedsAnImpactAndAKnownClassification_G04) {
  const DeviationState state = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  const auto refusal = [&](const std::function<void(DeviationAssessment&)>& change) {
    DeviationAssessment assessment = MinorAssessment();
    change(assessment);
    return Refusal(AssessDeviation(state, assessment, kQa, kTerminal));
  };
  EXPECT_EQ(refusal([](DeviationAssessment&) {}), "ok");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.impact.clear(); }), "invalid_argument impact");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.impact = std::string(4001, 'x'); }),
            "invalid_argument impact");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.impact = std::string(4000, 'x'); }), "ok");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.impact = " leading space"; }),
            "invalid_argument impact");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.root_cause = std::string(4001, 'x'); }),
            "invalid_argument root_cause");
  EXPECT_EQ(
      refusal([](DeviationAssessment& a) { a.classification = static_cast<Classification>(3); }),
      "invalid_argument classification");
  EXPECT_EQ(refusal([](DeviationAssessment& a) {
              a.batches_affected = {"B-1", ""};
            }),
            "invalid_argument batches_affected[1]");
  EXPECT_EQ(refusal([](DeviationAssessment& a) { a.batches_affected = {std::string(65, 'B')}; }),
            "invalid_argument batches_affected[0]");
  EXPECT_EQ(refusal([](DeviationAssessment& a) {
              a.batches_affected = std::vector<std::string>(1001, "B-1");
            }),
            "invalid_argument batches_affected");
}

// Verifies G-04 and P11-06: a closed deviation is final; it is not assessed again.
TEST(Deviation, AClosedDeviationIsNotReassessed_G04) {
  DeviationState state = Assessed();
  Fold(state, CloseDeviation(state, "Minor drift, no product impact", kQaApprover, kTerminal), 3,
       Day(182));
  ASSERT_EQ(state.status, DeviationStatus::kClosed);
  const auto again = AssessDeviation(state, MinorAssessment(), kQa, kTerminal);
  EXPECT_EQ(Refusal(again), "failed_precondition status");
  EXPECT_NE(again.error().Message().find("DEV-2026-0007 is closed"), std::string::npos)
      << again.error().Message();
}

// Closure ---------------------------------------------------------------------------------------

// Verifies G-04 and P11-06: QA closes only an assessed deviation.
TEST(Deviation, ClosingNeedsAnAssessmentFirst_G04) {
  const DeviationState open = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  const auto refused = CloseDeviation(open, "No impact", kQaApprover, kTerminal);
  EXPECT_EQ(Refusal(refused), "failed_precondition status");
  EXPECT_NE(refused.error().Message().find("assess it"), std::string::npos)
      << refused.error().Message();
  EXPECT_EQ(Refusal(CloseDeviation({}, "No impact", kQaApprover, kTerminal)),
            "not_found deviation_id");
  EXPECT_EQ(Refusal(CloseDeviation(Assessed(), "No impact", kQaApprover, kTerminal)), "ok");
}

// Verifies G-05 (21 CFR 211.100(b)): a deviation is closed with its justification, the
// signature's comment, of at most 1000 bytes.
TEST(Deviation, ClosingNeedsAJustification_G05) {
  const DeviationState state = Assessed();
  EXPECT_EQ(Refusal(CloseDeviation(state, "", kQaApprover, kTerminal)), "invalid_argument comment");
  EXPECT_EQ(Refusal(CloseDeviation(state, std::string(1001, 'x'), kQaApprover, kTerminal)),
            "invalid_argument comment");
  EXPECT_EQ(Refusal(CloseDeviation(state, "bad\x01", kQaApprover, kTerminal)),
            "invalid_argument comment");
  EXPECT_EQ(Refusal(CloseDeviation(state, std::string(1000, 'x'), kQaApprover, kTerminal)), "ok");
}

// Verifies G-04 (21 CFR 211.192): a deviation whose assessment calls for an investigation is not
// closed until one is completed; reassessed without one, it may be.
TEST(Deviation, ADeviationNeedingAnInvestigationIsNotClosedWithoutOne_G04) {
  DeviationAssessment assessment = MinorAssessment();
  assessment.classification = Classification::kMajor;
  assessment.investigation_required = true;
  DeviationState state = Assessed(assessment);
  const auto refused = CloseDeviation(state, "No impact", kQaApprover, kTerminal);
  EXPECT_EQ(Refusal(refused), "failed_precondition investigation_required");
  EXPECT_NE(refused.error().Message().find("investigation"), std::string::npos)
      << refused.error().Message();
  Fold(state, AssessDeviation(state, MinorAssessment(), kQa, kTerminal), 3, Day(182));
  EXPECT_EQ(Refusal(CloseDeviation(state, "No impact", kQaApprover, kTerminal)), "ok");
}

// Verifies G-05, AL-01 and AL-03: the closing event records the justification and the assessment
// it stands on; the state records when (server time), by whom and why it was closed. It closes
// once.
TEST(Deviation, ClosingRecordsWhoWhenAndWhy_G05) {
  DeviationState state = Assessed();
  auto event = CloseDeviation(state, "Drift within the weighing's margin", kQaApprover, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->stream, DeviationStream("DEV-2026-0007"));
  EXPECT_EQ(event->event_type, "quality.deviation_closed");
  EXPECT_EQ(event->actor, kQaApprover);
  EXPECT_EQ(Member(event->payload, "justification"), "\"Drift within the weighing's margin\"");
  EXPECT_EQ(Member(event->payload, "assessment"), "1");
  Fold(state, event, 3, Day(183, 9));
  EXPECT_EQ(state.status, DeviationStatus::kClosed);
  EXPECT_EQ(state.closed_at, Day(183, 9));
  EXPECT_EQ(state.closed_by, "april");
  EXPECT_EQ(state.closing_justification, "Drift within the weighing's margin");
  EXPECT_EQ(state.assessments.size(), 1U);
  EXPECT_EQ(Refusal(CloseDeviation(state, "Again", kQaApprover, kTerminal)),
            "failed_precondition status");
}

// Verifies P11-12 (decision 0006): what QA signs is what was raised and the assessment that
// stands, so a new assessment changes it and the closure the signature brings about does not.
TEST(Deviation, ItsSignedContentIsWhatWasRaisedAndTheAssessmentThatStands_P11_12) {
  DeviationState state = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  const Json raised = DeviationContent(state);
  EXPECT_EQ(Member(raised, "deviation_id"), "\"DEV-2026-0007\"");
  EXPECT_EQ(Member(raised, "assessment"), "null");
  EXPECT_EQ(Member(raised, "status"), "absent");
  Fold(state, AssessDeviation(state, MinorAssessment(), kQa, kTerminal), 2, Day(181));
  const Json assessed = DeviationContent(state);
  EXPECT_NE(assessed, raised);
  const Json* assessment = assessed.Find("assessment");
  ASSERT_NE(assessment, nullptr);
  EXPECT_EQ(Member(*assessment, "classification"), "\"minor\"");
  EXPECT_EQ(Member(*assessment, "number"), "1");
  EXPECT_EQ(Member(*assessment, "assessed_by"), "\"quinn\"");
  Fold(state, CloseDeviation(state, "No impact", kQaApprover, kTerminal), 3, Day(182));
  EXPECT_EQ(DeviationContent(state), assessed);
}

// Verifies AL-04 and P11-06: the ledger is read back only in the order the rules allow; anything
// else is data loss, not a state.
TEST(DeviationApply, RefusesTransitionsTheRulesNeverDecide) {
  const DeviationState open = Raise("DEV-2026-0007", CalibrationDeviation(), Day(180)).state;
  const DeviationState assessed = Assessed();
  auto assessment = AssessDeviation(open, MinorAssessment(), kQa, kTerminal);
  auto closure = CloseDeviation(assessed, "No impact", kQaApprover, kTerminal);
  ASSERT_TRUE(assessment.has_value());
  ASSERT_TRUE(closure.has_value());
  const auto apply = [](DeviationState state, const ledger::NewEvent& event) {
    return ApplyDeviationEvent(state,
                               ledger::SealEvent(event, 9, Day(190), ledger::kGenesisPrevHash));
  };
  // Never raised.
  EXPECT_EQ(apply({}, *assessment).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(apply({}, *closure).error().Code(), ErrorCode::kDataLoss);
  // Closed while open.
  EXPECT_EQ(apply(open, *closure).error().Code(), ErrorCode::kDataLoss);
  // Closed on an assessment that is not the one standing.
  ledger::NewEvent stale = *closure;
  stale.payload.Set("assessment", 2);
  EXPECT_EQ(apply(assessed, stale).error().Code(), ErrorCode::kDataLoss);
  // Assessed or closed after closure.
  DeviationState closed = assessed;
  ASSERT_TRUE(Ok(apply(assessed, *closure)));
  ASSERT_TRUE(Ok(ApplyDeviationEvent(
      closed, ledger::SealEvent(*closure, 3, Day(182), ledger::kGenesisPrevHash))));
  EXPECT_EQ(apply(closed, *assessment).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(apply(closed, *closure).error().Code(), ErrorCode::kDataLoss);
  // An assessment with an unknown classification.
  ledger::NewEvent garbled = *assessment;
  garbled.payload.Set("classification", "catastrophic");
  EXPECT_EQ(apply(open, garbled).error().Code(), ErrorCode::kDataLoss);
}

// Verifies AL-04: a deviation's whole life (every assessment, the closure) reads back from
// storage exactly as it was written, and a stored status its history contradicts is data loss.
TEST(Deviation, RoundTripsItsAssessmentsAndClosureThroughJson) {
  DeviationAssessment first = MinorAssessment();
  first.batches_affected = {"B-0003"};
  DeviationState state = Assessed(first);
  DeviationAssessment second = MinorAssessment();
  second.classification = Classification::kCritical;
  second.root_cause.clear();
  Fold(state, AssessDeviation(state, second, kQaApprover, kTerminal), 3, Day(182, 1));
  const Json assessed = DeviationToJson(state);
  Fold(state, CloseDeviation(state, "Line 1\nLine 2", kQaApprover, kTerminal), 4, Day(183, 2));
  for (const Json& json : {assessed, DeviationToJson(state)}) {
    auto back = DeviationFromJson(json);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(DeviationToJson(*back), json);
  }
  auto back = DeviationFromJson(DeviationToJson(state));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->status, DeviationStatus::kClosed);
  ASSERT_EQ(back->assessments.size(), 2U);
  EXPECT_EQ(back->assessments[0].assessment.batches_affected,
            (std::vector<std::string>{"B-0003", "B-0017", "B-0018"}));
  EXPECT_EQ(back->assessments[0].assessed_at, Day(181));
  EXPECT_EQ(back->assessments[1].assessment.classification, Classification::kCritical);
  EXPECT_EQ(back->assessments[1].assessed_by, "april");
  EXPECT_EQ(back->closed_at, Day(183, 2));
  EXPECT_EQ(back->closed_by, "april");
  EXPECT_EQ(back->closing_justification, "Line 1\nLine 2");

  Json contradicted = DeviationToJson(state);
  contradicted.Set("status", "open");
  EXPECT_EQ(DeviationFromJson(contradicted).error().Code(), ErrorCode::kDataLoss);
  Json unknown = DeviationToJson(state);
  unknown.Set("status", "pending");
  EXPECT_EQ(DeviationFromJson(unknown).error().Code(), ErrorCode::kDataLoss);
  Json no_assessments = assessed;
  no_assessments.Set("assessments", Json());
  EXPECT_EQ(DeviationFromJson(no_assessments).error().Code(), ErrorCode::kDataLoss);
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
  input.source = *rc::gen::element(DeviationSource::kCalibration, DeviationSource::kEnvironment,
                                   DeviationSource::kActionLimit, DeviationSource::kHoldTime,
                                   DeviationSource::kExpiry, DeviationSource::kIdentityMismatch,
                                   DeviationSource::kOverride, DeviationSource::kStepDuration);
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
  input.step = *Text();
  input.subject = *Text();
  input.value = *Text();
  input.limit = *Text();
  input.batch_entry = *rc::gen::inRange(0, 1'000'000);
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
    RC_ASSERT(details.step == input.step);
    RC_ASSERT(details.subject == input.subject);
    RC_ASSERT(details.value == input.value);
    RC_ASSERT(details.limit == input.limit);
    RC_ASSERT(details.batch_entry == input.batch_entry);
  };
  same(state.details);
  const Json json = DeviationToJson(state);
  auto back = DeviationFromJson(json);
  RC_ASSERT(back.has_value());
  RC_ASSERT(DeviationToJson(*back) == json);
  same(back->details);

  // Any number of assessments, perhaps a closure: the state reads back the same, and the status
  // follows the history.
  const int assessments = *rc::gen::inRange(0, 4);
  std::uint64_t seq = 1;
  for (int i = 0; i < assessments; ++i) {
    DeviationAssessment assessment;
    assessment.classification = *rc::gen::element(Classification::kMinor, Classification::kMajor,
                                                  Classification::kCritical);
    assessment.impact = "Impact " + std::to_string(i);
    assessment.investigation_required = *rc::gen::arbitrary<bool>();
    assessment.batches_affected = {"B-" + std::to_string(*rc::gen::inRange(0, 100))};
    auto assessed = AssessDeviation(state, assessment, kQa, kTerminal);
    RC_ASSERT(assessed.has_value());
    RC_ASSERT(ApplyDeviationEvent(state,
                                  ledger::SealEvent(*assessed, ++seq, at, ledger::kGenesisPrevHash))
                  .has_value());
  }
  auto closed = CloseDeviation(state, "Justified", kQa, kTerminal);
  RC_ASSERT(closed.has_value() ==
            (assessments > 0 && !state.LatestAssessment()->assessment.investigation_required));
  if (closed && *rc::gen::arbitrary<bool>()) {
    RC_ASSERT(
        ApplyDeviationEvent(state, ledger::SealEvent(*closed, ++seq, at, ledger::kGenesisPrevHash))
            .has_value());
    RC_ASSERT(state.status == DeviationStatus::kClosed);
  }
  RC_ASSERT(static_cast<int>(state.assessments.size()) == assessments);
  const Json lived = DeviationToJson(state);
  auto lived_back = DeviationFromJson(lived);
  RC_ASSERT(lived_back.has_value());
  RC_ASSERT(DeviationToJson(*lived_back) == lived);
  RC_ASSERT(lived_back->status == state.status);
}

}  // namespace
}  // namespace aliquot::quality
