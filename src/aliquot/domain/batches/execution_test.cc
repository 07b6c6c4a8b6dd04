// Batch execution enforces the control recipe at the moment of each action (21 CFR 11.10(f),
// P11-06; 211.188(b), G-03; 211.100(b), G-05; A11-01; 1271.290, T-01): a refused attempt is
// recorded and nothing of the action is; values are judged against their limits as entered;
// calculations follow their inputs; corrections never hide the original.
#include "aliquot/domain/batches/execution.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/batch_test_harness.h"
#include "aliquot/domain/batches/review.h"

namespace aliquot::batches {
namespace {

using testing::Accepted;
using testing::BatchRun;
using testing::Contains;
using testing::Fails;
using testing::kBatchId;
using testing::kColleague;
using testing::kDay;
using testing::kDay0;
using testing::kHour;
using testing::kMinute;
using testing::kOperator;
using testing::kOtherPatient;
using testing::kPatient;
using testing::kQa;
using testing::kSupervisor;
using testing::RecordedRefusal;
using testing::RefusedFor;

constexpr std::string_view kDeviationRaised = "quality.deviation_raised";

std::string Source(const BatchRun& run) {
  const Json deviation = run.LastPayload(kDeviationRaised);
  const Json* source = deviation.Find("source");
  return source != nullptr && source->IsString() ? source->AsString() : "";
}

// The keys and kinds of the exceptions the last decision recorded.
std::vector<std::string> ExceptionKeys(const BatchRun& run) {
  std::vector<std::string> keys;
  for (const ledger::Event& event : run.LastEvents()) {
    if (event.stream != BatchStream(kBatchId)) continue;
    const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(event);
    if (!payload) continue;
    const Result<std::vector<BatchException>> exceptions = ExceptionsOf(event, *payload);
    if (!exceptions) continue;
    for (const BatchException& exception : *exceptions) {
      std::string key = exception.key + " [";
      for (std::size_t i = 0; i < exception.kinds.size(); ++i) {
        key += (i == 0 ? "" : ",") + std::string(ExceptionKindName(exception.kinds[i]));
      }
      keys.push_back(key + "]");
    }
  }
  return keys;
}

// A run with the batch created and the receipt done.
void Received(BatchRun& run) {
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
}

// A run with expansion started (20 h after activation).
void Expanding(BatchRun& run) {
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.DoActivation());
  ASSERT_NO_FATAL_FAILURE(run.StartExpansion());
}

// A run with formulation done and verified: the fresh product's clock running.
void Formulated(BatchRun& run) {
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_NO_FATAL_FAILURE(run.FillExpansion());
  run.Advance(2 * kDay);
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  ASSERT_NO_FATAL_FAILURE(run.DoFormulation());
}

// ---------------------------------------------------------------------------------------------
// The whole run.

TEST(BatchExecution, ARunThroughEveryStepCompletesTheBatchWithItsLastStep_G03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.DoAll());
  EXPECT_EQ(run.batch.status, BatchStatus::kCompleted);
  EXPECT_EQ(run.batch.completed_at, run.now);
  EXPECT_EQ(run.batch.refusals, 0);
  EXPECT_TRUE(run.batch.deviations.empty());
  EXPECT_TRUE(run.batch.unreviewed.empty()) << "a clean run has nothing to review";
  for (const recipes::Step* step : run.recipe.Steps()) {
    const StepExecution* execution = run.batch.Step(step->id);
    ASSERT_NE(execution, nullptr) << step->id;
    EXPECT_EQ(execution->status, StepStatus::kDone) << step->id;
    EXPECT_EQ(execution->started_by, kOperator.id);
  }
  // The last step's completion event is followed by the batch's.
  const std::vector<ledger::Event> last = run.LastEvents();
  ASSERT_EQ(last.size(), 2U);
  EXPECT_EQ(last[0].event_type, kStepCompleted);
  EXPECT_EQ(last[1].event_type, kBatchCompleted);
  // G-03: who did what and when, with the equipment, lots and samples.
  const StepExecution& activation = *run.batch.Step("activation");
  ASSERT_EQ(activation.equipment.size(), 1U);
  EXPECT_EQ(activation.equipment[0].id, "BSC-01");
  EXPECT_EQ(activation.equipment[0].equipment_class, "biosafety_cabinet");
  EXPECT_DOUBLE_EQ(activation.consumed.at(std::string(testing::kApheresis)), 100e-6);
  EXPECT_TRUE(run.batch.Step("expansion")->samples.contains("ipc_count"));
  EXPECT_TRUE(run.batch.Step("receipt")->identities.contains("patient_code"));
  EXPECT_EQ(run.batch.Step("formulation")->verified_by, kColleague.id);
}

TEST(BatchExecution, TheBatchCompletesWithTheVerificationOfItsLastStepWhenThatIsLast_A1101) {
  recipes::Definition recipe = testing::Car19Recipe();
  recipe.unit_procedures[1].operations.pop_back();  // Formulation, verified, is last.
  BatchRun run(recipe);
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_NO_FATAL_FAILURE(run.FillExpansion());
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  ASSERT_NO_FATAL_FAILURE(run.CompleteFormulation());
  EXPECT_EQ(run.batch.status, BatchStatus::kInProgress) << "awaiting verification";
  EXPECT_EQ(run.batch.Step("formulation")->status, StepStatus::kAwaitingVerification);
  ASSERT_TRUE(Accepted(run.Verify("formulation", kColleague)));
  EXPECT_EQ(run.batch.status, BatchStatus::kCompleted);
  const std::vector<ledger::Event> last = run.LastEvents();
  ASSERT_EQ(last.size(), 2U);
  EXPECT_EQ(last[0].event_type, kStepVerified);
  EXPECT_EQ(last[1].event_type, kBatchCompleted);
}

// Whether every event of the batch's stream the last decision appended carries `request` and
// `sha256`, and how many there were.
::testing::AssertionResult CarriesRequest(const BatchRun& run, std::string_view request,
                                          std::string_view sha256) {
  int carried = 0;
  for (const ledger::Event& event : run.LastEvents()) {
    if (event.stream != BatchStream(kBatchId)) continue;
    const Json payload = *ParseJson(event.payload);
    const Json* key = payload.Find(kRequestMember);
    const Json* sha = payload.Find(kRequestShaMember);
    if (key == nullptr || sha == nullptr || key->AsString() != request ||
        sha->AsString() != sha256) {
      return ::testing::AssertionFailure() << event.event_type << ": " << event.payload;
    }
    ++carried;
  }
  if (carried == 0) return ::testing::AssertionFailure() << "no event of the batch";
  return ::testing::AssertionSuccess();
}

TEST(BatchExecution, EveryBatchEventOfARequestCarriesItsKeyAndHash) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  Context context = run.ContextOf(kOperator, "req-7f3a");
  context.request_sha256 = std::string(64, 'a');
  ASSERT_TRUE(Accepted(run.Apply(StartStep(
      context, "activation", run.Trained("activation", kOperator), {run.Scan("BSC-01")}))));
  EXPECT_TRUE(CarriesRequest(run, "req-7f3a", context.request_sha256));
  // A refused attempt is the request's outcome too.
  context = run.ContextOf(kOperator, "req-7f3b");
  context.request_sha256 = std::string(64, 'b');
  ASSERT_TRUE(RefusedFor(
      run.Apply(StartStep(context, "activation", run.Trained("activation", kOperator), {})),
      RefusalReason::kStepState));
  EXPECT_TRUE(CarriesRequest(run, "req-7f3b", context.request_sha256));
  // Without a key, no member.
  ASSERT_TRUE(Accepted(run.Consume("activation", "COL-0001", 100)));
  const Json consumed = run.LastPayload(kMaterialConsumed);
  EXPECT_EQ(consumed.Find(kRequestMember), nullptr);
  EXPECT_EQ(consumed.Find(kRequestShaMember), nullptr);
}

TEST(BatchExecution, RefusalReasonsHaveStableNames) {
  for (const RefusalReason reason :
       {RefusalReason::kBatchClosed, RefusalReason::kOnHold, RefusalReason::kSequence,
        RefusalReason::kStepState, RefusalReason::kAwaitingAcknowledgement,
        RefusalReason::kTraining, RefusalReason::kHoldTime, RefusalReason::kExpired,
        RefusalReason::kDuration, RefusalReason::kEquipment, RefusalReason::kMaterial,
        RefusalReason::kIdentityMismatch, RefusalReason::kIncomplete}) {
    EXPECT_EQ(RefusalReasonFromName(RefusalReasonName(reason)), reason);
  }
  EXPECT_EQ(RefusalReasonName(RefusalReason::kHoldTime), "hold_time");
  EXPECT_EQ(RefusalReasonName(RefusalReason::kIdentityMismatch), "identity_mismatch");
  EXPECT_EQ(RefusalReasonFromName("late"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Order, state and training.

TEST(BatchExecution, RefusesAStepBeforeItsPredecessorIsDoneAndRecordsTheAttempt_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  const Result<Decision> early = run.StartWithEquipment("activation");
  ASSERT_TRUE(RecordedRefusal(run, early, RefusalReason::kSequence, 1));
  EXPECT_TRUE(Contains(early->refused->message, "before receipt is done"));
  EXPECT_EQ(early->refused->step, "activation");
  EXPECT_EQ(early->refused->action, "start_step");
  EXPECT_FALSE(early->refused->overridable);
  EXPECT_EQ(run.batch.Step("activation"), nullptr) << "nothing of the start is recorded";
  EXPECT_EQ(run.batch.status, BatchStatus::kPlanned);
  const Error error = early->RefusalError();
  EXPECT_EQ(error.Code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(error.Field(), "step");
  // The refused attempt reads back as recorded, with who made it and when.
  const Refusal recorded = run.LastRefusal();
  EXPECT_EQ(recorded.number, 1);
  EXPECT_EQ(recorded.by, kOperator.id);
  EXPECT_EQ(recorded.at, run.now);
  EXPECT_EQ(recorded.terminal, testing::kTerminal);
  EXPECT_EQ(recorded.message, early->refused->message);

  // A step started but not done holds its successor back too; refusals are numbered in order.
  run.Advance(5 * kMinute);
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  const Result<Decision> still_early = run.StartWithEquipment("activation");
  ASSERT_TRUE(RecordedRefusal(run, still_early, RefusalReason::kSequence, 2));
  EXPECT_TRUE(Contains(still_early->refused->message, "(it is in_progress)"));
  const std::vector<std::string> exceptions = ExceptionKeys(run);
  EXPECT_EQ(exceptions, std::vector<std::string>{"refusal:2 [refused_attempt]"});
}

TEST(BatchExecution, RefusesAStepStartedTwice_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  run.Advance(kMinute);
  const Result<Decision> again = run.Start("receipt", kColleague);
  ASSERT_TRUE(RecordedRefusal(run, again, RefusalReason::kStepState, 1));
  EXPECT_TRUE(Contains(again->refused->message, "was started at"));
  EXPECT_EQ(run.batch.Step("receipt")->started_by, kOperator.id);
}

TEST(BatchExecution, RefusesEntriesOnAStepNotStartedOrAlreadyComplete_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  const Result<Decision> not_started = run.Record("receipt", "appearance", "intact");
  ASSERT_TRUE(RecordedRefusal(run, not_started, RefusalReason::kStepState, 1));
  EXPECT_TRUE(Contains(not_started->refused->message, "not started"));
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  const int entries = run.batch.entries;
  const Result<Decision> complete = run.Record("receipt", "appearance", "damaged");
  ASSERT_TRUE(RecordedRefusal(run, complete, RefusalReason::kStepState, 2));
  EXPECT_TRUE(Contains(complete->refused->message, "may only be corrected"));
  EXPECT_EQ(run.batch.entries, entries);
  EXPECT_TRUE(RecordedRefusal(run, run.Complete("receipt"), RefusalReason::kStepState, 3));
  EXPECT_TRUE(Fails(run.Sample("receipt", "ipc_count"), ErrorCode::kInvalidArgument, "sample"));
}

TEST(BatchExecution, RefusesAnOperatorNotQualifiedOnTheStepsSopWithPermissionDenied_G11) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  const Result<Decision> untrained = run.Apply(
      StartStep(run.ContextOf(kOperator), "receipt", run.Untrained("receipt", kOperator), {}));
  ASSERT_TRUE(RecordedRefusal(run, untrained, RefusalReason::kTraining, 1));
  EXPECT_EQ(untrained->refused->message, run.Untrained("receipt", kOperator).message);
  const Error error = untrained->RefusalError();
  EXPECT_EQ(error.Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(error.Field(), "document");
  EXPECT_EQ(run.batch.Step("receipt"), nullptr);

  // The gate stands before every action on the step, not only its start.
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  const Result<Decision> entry = run.Apply(RecordValue(run.ContextOf(kColleague), "receipt",
                                                       run.Untrained("receipt", kColleague),
                                                       "appearance", {"intact", ""}, std::nullopt));
  ASSERT_TRUE(RecordedRefusal(run, entry, RefusalReason::kTraining, 2));
  EXPECT_EQ(entry->RefusalError().Code(), ErrorCode::kPermissionDenied);
  std::vector<const equipment::EquipmentState*> none;
  const Result<Decision> completion = run.Apply(CompleteStep(run.ContextOf(kColleague), "receipt",
                                                             run.Untrained("receipt", kColleague),
                                                             BatchRun::MaterialUnits(), none));
  EXPECT_TRUE(RecordedRefusal(run, completion, RefusalReason::kTraining, 3));
}

TEST(BatchExecution, AStepNotInTheRecipeIsNotFoundAndNothingIsRecorded) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  const std::size_t events = run.events.size();
  EXPECT_TRUE(Fails(run.Apply(StartStep(run.ContextOf(kOperator), "harvest",
                                        run.Trained("receipt", kOperator), {})),
                    ErrorCode::kNotFound, "step"));
  EXPECT_EQ(run.events.size(), events);
}

TEST(BatchExecution, NothingIsExecutedOnHoldUntilASupervisorResumes) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  ASSERT_TRUE(Accepted(run.Hold("Cabinet alarm under investigation")));
  EXPECT_EQ(run.batch.status, BatchStatus::kOnHold);
  EXPECT_EQ(run.batch.hold_reason, "Cabinet alarm under investigation");
  EXPECT_TRUE(Fails(run.Hold(), ErrorCode::kFailedPrecondition, "batch"));
  run.Advance(kHour);
  const Result<Decision> completion = run.Complete("activation");
  ASSERT_TRUE(RecordedRefusal(run, completion, RefusalReason::kOnHold, 1));
  EXPECT_TRUE(Contains(completion->refused->message, "Cabinet alarm under investigation"));
  EXPECT_EQ(completion->refused->field, "batch");
  EXPECT_TRUE(
      RecordedRefusal(run, run.Consume("activation", "COL-0001", 1), RefusalReason::kOnHold, 2));
  EXPECT_TRUE(RecordedRefusal(
      run,
      run.Correct(run.Value("activation", "viable_cells").entry, 1.1e9, "cells", "count re-read"),
      RefusalReason::kOnHold, 3));
  EXPECT_TRUE(Fails(run.Verify("activation"), ErrorCode::kFailedPrecondition, "step"));

  ASSERT_TRUE(Accepted(run.Resume("", kSupervisor)));  // Resuming needs no comment.
  EXPECT_EQ(run.batch.status, BatchStatus::kInProgress);
  EXPECT_TRUE(run.batch.hold_reason.empty());
  EXPECT_TRUE(Fails(run.Resume(), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Accepted(run.Complete("activation")));
}

TEST(BatchExecution, APlannedBatchPutOnHoldReturnsToPlanned) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  EXPECT_TRUE(Fails(run.Hold(""), ErrorCode::kInvalidArgument, "reason"));
  ASSERT_TRUE(Accepted(run.Hold()));
  EXPECT_TRUE(RecordedRefusal(run, run.Start("receipt"), RefusalReason::kOnHold, 1));
  ASSERT_TRUE(Accepted(run.Resume()));
  EXPECT_EQ(run.batch.status, BatchStatus::kPlanned);
  EXPECT_TRUE(Accepted(run.Start("receipt")));
  EXPECT_EQ(run.batch.status, BatchStatus::kInProgress);
}

// ---------------------------------------------------------------------------------------------
// Hold times, expiry and durations, and a supervisor's override.

TEST(BatchExecution, RefusesTransductionBeforeItsWindowOpensUntilAnotherPersonOverridesIt_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.DoActivation());
  const Timestamp ended = *run.batch.Step("activation")->completed_at;
  run.Advance(10 * kHour);
  const Result<Decision> early = run.StartWithEquipment("expansion");
  // Refused before the bioreactor's use starts: its logbook has nothing of it.
  ASSERT_TRUE(RecordedRefusal(run, early, RefusalReason::kHoldTime, 1));
  EXPECT_TRUE(early->refused->overridable);
  EXPECT_EQ(early->refused->rule, "time_rule:transduction_window");
  const Timestamp opens = Timestamp::FromMicros(ended.Micros() + 18 * kHour);
  EXPECT_TRUE(Contains(early->refused->message, "Transduction window (transduction_window)"));
  EXPECT_TRUE(Contains(early->refused->message, "may start from " + opens.ToRfc3339()));
  EXPECT_TRUE(Contains(early->refused->message, "10 h have passed"));
  EXPECT_TRUE(Contains(early->refused->message, "A supervisor may let it proceed"));
  EXPECT_FALSE(run.logbooks.at("BR-01").last_use.has_value());

  // The person refused may not lift the rule for themselves; a justification is required.
  const Refusal refusal = run.LastRefusal();
  EXPECT_TRUE(Fails(run.Grant(refusal, kOperator), ErrorCode::kPermissionDenied, "signer"));
  EXPECT_TRUE(Fails(run.Grant(refusal, kSupervisor, ""), ErrorCode::kInvalidArgument, "comment"));
  EXPECT_TRUE(run.batch.overrides.empty());

  const Result<Decision> granted = run.Grant(refusal, kSupervisor);
  ASSERT_TRUE(Accepted(granted));
  EXPECT_EQ(granted->deviations, std::vector<std::string>{"DEV-2026-0001"});
  const std::vector<ledger::Event> events = run.LastEvents();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].event_type, kOverrideGranted);
  EXPECT_EQ(events[0].actor, kSupervisor);
  EXPECT_EQ(events[1].event_type, kDeviationRaised);
  EXPECT_EQ(events[1].stream, quality::DeviationStream("DEV-2026-0001"));
  EXPECT_EQ(Source(run), "hold_time_breach");
  EXPECT_EQ(ExceptionKeys(run), (std::vector<std::string>{"override:1 [override,hold_time_breach]",
                                                          "deviation:DEV-2026-0001 [deviation]"}));
  ASSERT_EQ(run.batch.overrides.size(), 1U);
  EXPECT_EQ(run.batch.overrides[0], (Override{.refusal = 1,
                                              .step = "expansion",
                                              .rule = "time_rule:transduction_window",
                                              .deviation = "DEV-2026-0001",
                                              .used = false}));
  EXPECT_EQ(run.batch.deviations, std::vector<std::string>{"DEV-2026-0001"});
  EXPECT_TRUE(Fails(run.Grant(refusal, kSupervisor), ErrorCode::kFailedPrecondition, "refusal"));

  // An attempt refused for another reason leaves the override for the next one.
  run.Advance(5 * kMinute);
  EXPECT_TRUE(RecordedRefusal(run, run.Start("expansion", kOperator, {"CF-01"}),
                              RefusalReason::kEquipment, 2));
  EXPECT_FALSE(run.batch.overrides[0].used);

  // The next attempt uses it, once.
  const Result<Decision> started = run.StartWithEquipment("expansion");
  ASSERT_TRUE(Accepted(started));
  EXPECT_EQ(CanonicalJson(*run.LastPayload(kStepStarted).Find("overrides_used")), "[1]");
  EXPECT_TRUE(run.batch.overrides[0].used);
  EXPECT_EQ(run.batch.Step("expansion")->started_at, run.now);
}

TEST(BatchExecution, RefusesTransductionAfterItsWindowClosed_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.DoActivation());
  const Timestamp ended = *run.batch.Step("activation")->completed_at;
  run.Advance(30 * kHour + kMinute);
  const Result<Decision> late = run.StartWithEquipment("expansion");
  ASSERT_TRUE(RecordedRefusal(run, late, RefusalReason::kHoldTime, 1));
  EXPECT_TRUE(late->refused->overridable);
  EXPECT_EQ(late->refused->rule, "time_rule:transduction_window");
  const Timestamp closed = Timestamp::FromMicros(ended.Micros() + 30 * kHour);
  EXPECT_TRUE(Contains(late->refused->message, "the hold time ran out at " + closed.ToRfc3339()));
  EXPECT_TRUE(Contains(late->refused->message, "1 d 6 h have passed"));
  EXPECT_EQ(late->RefusalError().Code(), ErrorCode::kFailedPrecondition);

  ASSERT_TRUE(Accepted(run.Grant(run.LastRefusal())));
  EXPECT_EQ(Source(run), "hold_time_breach");
  run.Advance(kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("expansion")));
  EXPECT_TRUE(run.batch.overrides[0].used);
}

TEST(BatchExecution, TheTransductionWindowIncludesItsBounds_P1106) {
  for (const std::int64_t after : {18 * kHour, 30 * kHour}) {
    BatchRun run;
    ASSERT_NO_FATAL_FAILURE(Received(run));
    ASSERT_NO_FATAL_FAILURE(run.DoActivation());
    run.Advance(after);
    EXPECT_TRUE(Accepted(run.StartWithEquipment("expansion"))) << after / kHour << " h";
  }
}

TEST(BatchExecution, RefusesEveryStepAfterTheProductExpiredAndAnOverrideLiftsItOnce_T03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulated(run));
  const Timestamp formulated = *run.batch.Step("formulation")->completed_at;
  const Timestamp expires = Timestamp::FromMicros(formulated.Micros() + 24 * kHour);
  EXPECT_EQ(run.batch.expiries.at("fresh_product"), expires);
  run.Advance(25 * kHour);
  const Result<Decision> late = run.Start("cryopreservation");
  ASSERT_TRUE(RecordedRefusal(run, late, RefusalReason::kExpired, 1));
  EXPECT_TRUE(late->refused->overridable);
  EXPECT_EQ(late->refused->rule, "expiry:fresh_product");
  EXPECT_TRUE(Contains(late->refused->message, "the product expired at " + expires.ToRfc3339() +
                                                   " by Fresh product (fresh_product)"));

  ASSERT_TRUE(Accepted(run.Grant(run.LastRefusal())));
  EXPECT_EQ(Source(run), "expiry_passed");
  EXPECT_EQ(ExceptionKeys(run)[0], "override:1 [override,hold_time_breach]");
  ASSERT_TRUE(Accepted(run.Start("cryopreservation")));
  EXPECT_TRUE(run.batch.overrides[0].used);
  // Values are not held by the clock; the next action it governs is refused again.
  ASSERT_TRUE(Accepted(run.Record("cryopreservation", "profile_passed", true)));
  run.Advance(kHour);
  const Result<Decision> completion = run.Complete("cryopreservation");
  ASSERT_TRUE(RecordedRefusal(run, completion, RefusalReason::kExpired, 2));
  EXPECT_EQ(run.batch.Step("cryopreservation")->status, StepStatus::kInProgress);
}

TEST(BatchExecution, AStepMayEndAtTheMomentTheProductExpires_T03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulated(run));
  ASSERT_TRUE(Accepted(run.Start("cryopreservation")));
  ASSERT_TRUE(Accepted(run.Record("cryopreservation", "profile_passed", true)));
  run.now = run.batch.expiries.at("fresh_product");
  EXPECT_TRUE(Accepted(run.Complete("cryopreservation")));
}

TEST(BatchExecution, RefusesCompletionBeforeTheMinimumDurationUnlessOverridden_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  run.Advance(10 * kMinute);
  const Result<Decision> early = run.Complete("activation");
  ASSERT_TRUE(RecordedRefusal(run, early, RefusalReason::kDuration, 1));
  EXPECT_TRUE(early->refused->overridable);
  EXPECT_EQ(early->refused->rule, "min_duration");
  EXPECT_TRUE(Contains(early->refused->message, "lasts at least 30 min"));
  EXPECT_TRUE(Contains(early->refused->message, "10 min ago"));
  EXPECT_EQ(run.batch.Step("activation")->status, StepStatus::kInProgress);

  ASSERT_TRUE(Accepted(run.Grant(run.LastRefusal())));
  EXPECT_EQ(Source(run), "override");
  EXPECT_EQ(ExceptionKeys(run)[0], "override:1 [override]");
  ASSERT_TRUE(Accepted(run.Complete("activation")));
  EXPECT_EQ(CanonicalJson(*run.LastPayload(kStepCompleted).Find("overrides_used")), "[1]");
  EXPECT_EQ(run.batch.Step("activation")->status, StepStatus::kDone);
}

TEST(BatchExecution, TheMinimumDurationIncludesItsBound_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  run.Advance(30 * kMinute);
  EXPECT_TRUE(Accepted(run.Complete("activation")));
}

TEST(BatchExecution, CompletesAStepPastItsMaximumDurationAndRaisesADeviation_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  run.Advance(5 * kHour);
  const Result<Decision> completed = run.Complete("activation");
  ASSERT_TRUE(Accepted(completed));
  EXPECT_EQ(completed->deviations, std::vector<std::string>{"DEV-2026-0001"});
  EXPECT_EQ(run.batch.Step("activation")->status, StepStatus::kDone);
  const std::vector<ledger::Event> events = run.LastEvents();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].event_type, kStepCompleted);
  EXPECT_EQ(events[1].event_type, kDeviationRaised);
  EXPECT_EQ(events[2].event_type, "equipment.use_ended");
  const Json deviation = run.LastPayload(kDeviationRaised);
  EXPECT_EQ(deviation.Find("source")->AsString(), "step_duration_exceeded");
  EXPECT_EQ(deviation.Find("step")->AsString(), "activation");
  EXPECT_EQ(deviation.Find("limit")->AsString(), "max 4 h");
  EXPECT_EQ(deviation.Find("value")->AsString(), "5 h");
  EXPECT_EQ(CanonicalJson(*deviation.Find("batches")), "[\"B-2026-0001\"]");
  EXPECT_EQ(ExceptionKeys(run), (std::vector<std::string>{"step:activation [duration_exceeded]",
                                                          "deviation:DEV-2026-0001 [deviation]"}));
  EXPECT_EQ(run.batch.deviations, std::vector<std::string>{"DEV-2026-0001"});
}

TEST(BatchExecution, OnlyHoldTimesExpiryAndMinimumDurationsMayBeOverridden) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_TRUE(RefusedFor(run.StartWithEquipment("activation"), RefusalReason::kSequence));
  EXPECT_TRUE(Fails(run.Grant(run.LastRefusal()), ErrorCode::kFailedPrecondition, "refusal"));
  // Nor on a batch no longer executing.
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  ASSERT_TRUE(RefusedFor(run.Complete("activation"), RefusalReason::kDuration));
  const Refusal too_early = run.LastRefusal();
  ASSERT_TRUE(Accepted(run.Hold()));
  EXPECT_TRUE(Fails(run.Grant(too_early), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(run.batch.overrides.empty());
}

// ---------------------------------------------------------------------------------------------
// Equipment.

TEST(BatchExecution, StartsAndEndsEachEquipmentUseInItsLogbook_G07) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  const std::vector<ledger::Event> started = run.LastEvents();
  ASSERT_EQ(started.size(), 2U);
  EXPECT_EQ(started[0].event_type, kStepStarted);
  EXPECT_EQ(started[1].event_type, "equipment.use_started");
  EXPECT_EQ(started[1].stream, equipment::EquipmentStream("BSC-01"));
  const std::optional<equipment::Use>& use = run.logbooks.at("BSC-01").last_use;
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->batch, kBatchId);
  EXPECT_EQ(use->step, "activation");
  EXPECT_EQ(use->product, "CAR19");
  EXPECT_EQ(use->lot, "COL-0001");
  EXPECT_EQ(use->patient_code, kPatient);
  EXPECT_FALSE(use->ended.has_value());

  // The same cabinet twice on the step is refused.
  const Result<Decision> twice = run.AddScanned("activation", "BSC-01");
  ASSERT_TRUE(RecordedRefusal(run, twice, RefusalReason::kEquipment, 1));
  EXPECT_TRUE(Contains(twice->refused->message, "in use by step activation already"));

  ASSERT_TRUE(Accepted(run.Consume("activation", "COL-0001", 100)));
  ASSERT_TRUE(Accepted(run.Record("activation", "viable_cells", 1.2e9, "cells")));
  run.Advance(kHour);
  ASSERT_TRUE(Accepted(run.Complete("activation")));
  const std::vector<ledger::Event> completed = run.LastEvents();
  ASSERT_EQ(completed.size(), 2U);
  EXPECT_EQ(completed[1].event_type, "equipment.use_ended");
  EXPECT_EQ(completed[1].stream, equipment::EquipmentStream("BSC-01"));
  EXPECT_EQ(run.logbooks.at("BSC-01").last_use->ended, run.now);
}

TEST(BatchExecution, AddsASecondPieceOfEquipmentToAStepInProgress_G06) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.Start("activation")));
  ASSERT_TRUE(Accepted(run.AddScanned("activation", "BSC-01")));
  EXPECT_EQ(run.LastEvents()[0].event_type, kEquipmentAdded);
  EXPECT_EQ(run.LastEvents()[1].event_type, "equipment.use_started");
  ASSERT_EQ(run.batch.Step("activation")->equipment.size(), 1U);
  EXPECT_EQ(run.batch.Step("activation")->equipment[0].id, "BSC-01");
}

TEST(BatchExecution, RefusesEquipmentOfAClassTheStepDoesNotUse_G06) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  const Result<Decision> started = run.Start("activation", kOperator, {"CF-01"});
  ASSERT_TRUE(RecordedRefusal(run, started, RefusalReason::kEquipment, 1));
  EXPECT_EQ(started->refused->message,
            "CF-01 is a centrifuge; step activation uses biosafety_cabinet");
  EXPECT_EQ(started->refused->field, "equipment");
  EXPECT_FALSE(run.logbooks.at("CF-01").last_use.has_value());
  EXPECT_EQ(run.batch.Step("activation"), nullptr);
}

TEST(BatchExecution, RefusesEquipmentThatFailsItsCheckAndLogsTheRefusedUse_G07) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  const equipment::UseCheck check = run.Scan("BSC-02").check;
  ASSERT_EQ(check.refusal, equipment::UseRefusal::kNotQualified);
  const int entries = run.logbooks.at("BSC-02").entries;
  const Result<Decision> started = run.Start("activation", kOperator, {"BSC-02"});
  ASSERT_TRUE(
      RecordedRefusal(run, started, RefusalReason::kEquipment, 1, {"equipment.use_refused"}));
  EXPECT_EQ(started->refused->message, check.message);
  EXPECT_EQ(run.LastEvents()[1].stream, equipment::EquipmentStream("BSC-02"));
  EXPECT_EQ(run.logbooks.at("BSC-02").entries, entries + 1);
  EXPECT_FALSE(run.logbooks.at("BSC-02").last_use.has_value());
}

// ---------------------------------------------------------------------------------------------
// Materials and the chain of identity.

// A run with formulation started, nothing entered on it.
void Formulating(BatchRun& run) {
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_NO_FATAL_FAILURE(run.FillExpansion());
  run.Advance(2 * kDay);
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  run.Advance(kHour);
  ASSERT_TRUE(Accepted(run.Start("formulation")));
}

TEST(BatchExecution, ConsumesALotAndRecordsWhereItWentOnTheLot_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  ASSERT_TRUE(Accepted(run.Consume("activation", "COL-0001", 80000, "uL")));
  const std::vector<ledger::Event> events = run.LastEvents();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].event_type, kMaterialConsumed);
  EXPECT_EQ(events[1].event_type, "materials.lot_consumed");
  EXPECT_EQ(events[1].stream, materials::LotStream("COL-0001"));
  const Json lot = *ParseJson(events[1].payload);
  EXPECT_EQ(lot.Find("into")->AsString(), kBatchId);
  EXPECT_EQ(lot.Find("quantity")->AsNumber(), 80);
  const Json consumed = *ParseJson(events[0].payload);
  EXPECT_EQ(consumed.Find("lot")->AsString(), "COL-0001");
  EXPECT_EQ(consumed.Find("unit")->AsString(), "uL");
  EXPECT_EQ(consumed.Find("expected")->AsString(), "100 mL +- 10 %");
  EXPECT_DOUBLE_EQ(run.batch.Step("activation")->consumed.at(std::string(testing::kApheresis)),
                   80e-6);
  EXPECT_TRUE(run.batch.Step("activation")->performers.contains(kOperator.id));
}

TEST(BatchExecution, RefusesALotOfAMaterialTheStepDoesNotUse_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  const Result<Decision> wrong = run.Consume("activation", "IL2-0001", 1);
  ASSERT_TRUE(RecordedRefusal(run, wrong, RefusalReason::kMaterial, 1));
  EXPECT_EQ(wrong->refused->message,
            "IL2-0001 is IL-2, 1 mg/mL (MAT-IL2); step activation uses MAT-APHERESIS");
  EXPECT_EQ(wrong->refused->field, "lot");
  EXPECT_TRUE(run.batch.Step("activation")->consumed.empty());
}

TEST(BatchExecution, RefusesALotThePointOfUseCheckRefusesAndRecordsItOnTheLot_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulating(run));
  ASSERT_TRUE(Accepted(run.Record("formulation", "fill_volume", 100, "mL")));
  const Result<Decision> quarantined = run.Consume("formulation", "CRYO-0002", 10);
  ASSERT_TRUE(
      RecordedRefusal(run, quarantined, RefusalReason::kMaterial, 1, {"materials.use_refused"}));
  EXPECT_TRUE(Contains(quarantined->refused->message, "CRYO-0002 may not be used"));
  EXPECT_TRUE(Contains(quarantined->refused->message, "quarantine"));
  EXPECT_EQ(run.LastEvents()[1].stream, materials::LotStream("CRYO-0002"));
  const Json refused = run.LastPayload("materials.use_refused");
  EXPECT_EQ(refused.Find("refusal")->AsString(), "not_released");
  EXPECT_EQ(refused.Find("into")->AsString(), kBatchId);
}

TEST(BatchExecution, RefusesAQuantityThatTakesTheTotalAboveItsTolerance_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  ASSERT_TRUE(Accepted(run.Consume("activation", "COL-0001", 80)));
  const Result<Decision> above = run.Consume("activation", "COL-0001", 40);
  ASSERT_TRUE(RecordedRefusal(run, above, RefusalReason::kMaterial, 1));
  EXPECT_EQ(above->refused->field, "quantity");
  EXPECT_EQ(above->refused->message,
            "40 mL of COL-0001 brings MAT-APHERESIS to 120 mL; step activation uses 100 mL +- "
            "10 % (80 mL consumed so far)");
  // Up to the tolerance's bound is accepted.
  ASSERT_TRUE(Accepted(run.Consume("activation", "COL-0001", 30)));
  EXPECT_DOUBLE_EQ(run.batch.Step("activation")->consumed.at(std::string(testing::kApheresis)),
                   110e-6);
}

TEST(BatchExecution, AFormulaQuantityIsNotKnownBeforeTheValueItUsesIsEntered_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulating(run));
  const std::size_t events = run.events.size();
  const Result<Decision> unknown = run.Consume("formulation", "CRYO-0001", 10);
  ASSERT_TRUE(Fails(unknown, ErrorCode::kFailedPrecondition, "quantity"));
  EXPECT_TRUE(Contains(unknown.error().Message(), "0.1 * fill_volume"));
  EXPECT_EQ(run.events.size(), events) << "nothing is recorded";
  EXPECT_EQ(run.batch.refusals, 0);

  ASSERT_TRUE(Accepted(run.Record("formulation", "fill_volume", 120, "mL")));
  // 0.1 x 120 mL, exactly: no tolerance on the line.
  EXPECT_TRUE(RefusedFor(run.Consume("formulation", "CRYO-0001", 12.5), RefusalReason::kMaterial));
  ASSERT_TRUE(Accepted(run.Consume("formulation", "CRYO-0001", 12)));
  EXPECT_EQ(run.LastPayload(kMaterialConsumed).Find("expected")->AsString(), "12 mL");
}

TEST(BatchExecution, RefusesAnotherPatientsCollectionAndRaisesADeviation_T01) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  const Result<Decision> mismatch = run.Consume("activation", "COL-0002", 100);
  ASSERT_TRUE(RecordedRefusal(run, mismatch, RefusalReason::kIdentityMismatch, 1,
                              {std::string(kDeviationRaised)}));
  EXPECT_EQ(mismatch->refused->deviation, "DEV-2026-0001");
  EXPECT_EQ(mismatch->deviations, std::vector<std::string>{"DEV-2026-0001"});
  EXPECT_EQ(run.LastRefusal().deviation, "DEV-2026-0001");
  EXPECT_TRUE(Contains(mismatch->refused->message, "COL-0002 is from " + kOtherPatient));
  EXPECT_TRUE(Contains(mismatch->refused->message, "this batch is " + kPatient));
  EXPECT_EQ(mismatch->refused->field, "lot");
  EXPECT_FALSE(mismatch->refused->overridable);
  EXPECT_EQ(Source(run), "identity_mismatch");
  const Json deviation = run.LastPayload(kDeviationRaised);
  EXPECT_EQ(deviation.Find("step")->AsString(), "activation");
  EXPECT_EQ(deviation.Find("value")->AsString(), kOtherPatient);
  EXPECT_EQ(ExceptionKeys(run), (std::vector<std::string>{"refusal:1 [refused_attempt]",
                                                          "deviation:DEV-2026-0001 [deviation]"}));
  EXPECT_EQ(run.batch.deviations, std::vector<std::string>{"DEV-2026-0001"});
  EXPECT_TRUE(run.batch.unreviewed.contains("deviation:DEV-2026-0001"));
  // A deviation is never overridden away.
  EXPECT_TRUE(Fails(run.Grant(run.LastRefusal()), ErrorCode::kFailedPrecondition, "refusal"));
}

TEST(BatchExecution, ALabelThatIsNotThePatientsIsRefusedAndRaisesADeviation_T01) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  const Result<Decision> mismatch = run.ScanLabel("receipt", kOtherPatient);
  ASSERT_TRUE(RecordedRefusal(run, mismatch, RefusalReason::kIdentityMismatch, 1,
                              {std::string(kDeviationRaised)}));
  EXPECT_EQ(mismatch->refused->field, "scanned");
  EXPECT_TRUE(Contains(mismatch->refused->message, "stop, keep the material apart and call QA"));
  const Json deviation = run.LastPayload(kDeviationRaised);
  EXPECT_EQ(deviation.Find("source")->AsString(), "identity_mismatch");
  EXPECT_EQ(deviation.Find("subject")->AsString(), "patient_code");
  EXPECT_EQ(deviation.Find("value")->AsString(), kOtherPatient);
  EXPECT_EQ(deviation.Find("limit")->AsString(), "expected " + kPatient);
  EXPECT_EQ(deviation.Find("step")->AsString(), "receipt");
  EXPECT_EQ(ExceptionKeys(run), (std::vector<std::string>{"refusal:1 [refused_attempt]",
                                                          "deviation:DEV-2026-0001 [deviation]"}));
  EXPECT_TRUE(run.batch.Step("receipt")->identities.empty());

  ASSERT_TRUE(Accepted(run.ScanLabel("receipt", kPatient)));
  EXPECT_TRUE(run.batch.Step("receipt")->identities.contains("patient_code"));
  // Only the identifiers the step scans; a label is a line of text.
  EXPECT_TRUE(
      Fails(run.Apply(ScanIdentity(run.ContextOf(kOperator), "receipt",
                                   run.Trained("receipt", kOperator), "collection_id", kPatient)),
            ErrorCode::kInvalidArgument, "identifier"));
  EXPECT_TRUE(Fails(run.ScanLabel("receipt", ""), ErrorCode::kInvalidArgument, "scanned"));
}

// ---------------------------------------------------------------------------------------------
// Values, judged as entered.

TEST(BatchExecution, AValueWithinItsLimitsIsRecordedWithNothingToReview_G03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const int before = run.batch.entries;
  const Result<Decision> recorded = run.Record("expansion", "temperature", 37.2, "C");
  ASSERT_TRUE(Accepted(recorded));
  EXPECT_EQ(recorded->entries, std::vector<int>{before + 1});
  EXPECT_TRUE(recorded->deviations.empty());
  const EntryRecord entry = run.Entry(before + 1);
  EXPECT_EQ(entry.step, "expansion");
  EXPECT_EQ(entry.subject, "temperature");
  EXPECT_EQ(entry.value.number, 37.2);
  EXPECT_EQ(entry.value.unit, "C");
  EXPECT_EQ(entry.flag, LimitFlag::kWithin);
  EXPECT_EQ(entry.origin, Origin::kManual);
  EXPECT_EQ(entry.by, kOperator.id);
  EXPECT_EQ(entry.by_name, kOperator.name);
  EXPECT_EQ(entry.at, run.now);
  EXPECT_TRUE(ExceptionKeys(run).empty());
  EXPECT_EQ(run.Value("expansion", "temperature").entry, before + 1);
  EXPECT_EQ(run.batch.entries, before + 1);
}

TEST(BatchExecution, AValueOutsideItsAlertLimitsIsFlaggedForReviewOnly_G04) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const Result<Decision> recorded = run.Record("expansion", "temperature", 37.8, "C");
  ASSERT_TRUE(Accepted(recorded));
  const EntryRecord entry = run.Entry(recorded->entries[0]);
  EXPECT_EQ(entry.flag, LimitFlag::kAlert);
  EXPECT_EQ(entry.limit, "alert high 37.5 C");
  EXPECT_TRUE(recorded->deviations.empty());
  EXPECT_EQ(run.LastEvents().size(), 1U);
  EXPECT_EQ(ExceptionKeys(run),
            std::vector<std::string>{"entry:" + std::to_string(entry.number) + " [alert_limit]"});
  EXPECT_TRUE(run.batch.Step("expansion")->awaiting_acknowledgement.empty());
  EXPECT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
}

TEST(BatchExecution,
     AnActionExcursionRaisesADeviationAndHoldsTheStepUntilAnotherPersonAcknowledges_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const Result<Decision> recorded = run.Record("expansion", "temperature", 38.5, "C");
  ASSERT_TRUE(Accepted(recorded));
  const int number = recorded->entries[0];
  EXPECT_EQ(recorded->deviations, std::vector<std::string>{"DEV-2026-0001"});
  const EntryRecord entry = run.Entry(number);
  EXPECT_EQ(entry.flag, LimitFlag::kAction);
  EXPECT_EQ(entry.limit, "action high 38 C");
  EXPECT_EQ(entry.deviation, "DEV-2026-0001");
  ASSERT_EQ(run.LastEvents().size(), 2U);
  EXPECT_EQ(run.LastEvents()[1].event_type, kDeviationRaised);
  const Json deviation = run.LastPayload(kDeviationRaised);
  EXPECT_EQ(deviation.Find("source")->AsString(), "action_limit_excursion");
  EXPECT_EQ(deviation.Find("subject")->AsString(), "temperature");
  EXPECT_EQ(deviation.Find("batch_entry")->AsInteger(), number);
  EXPECT_EQ(ExceptionKeys(run),
            (std::vector<std::string>{"entry:" + std::to_string(number) + " [action_limit]",
                                      "deviation:DEV-2026-0001 [deviation]"}));
  EXPECT_EQ(run.batch.Step("expansion")->awaiting_acknowledgement,
            std::vector<std::string>{"DEV-2026-0001"});

  // Nothing more is entered on the step, and it is not completed, until acknowledged.
  const Result<Decision> next = run.Record("expansion", "volume", 1000, "mL");
  ASSERT_TRUE(RecordedRefusal(run, next, RefusalReason::kAwaitingAcknowledgement, 1));
  EXPECT_TRUE(Contains(next->refused->message, "DEV-2026-0001"));
  EXPECT_TRUE(RecordedRefusal(run, run.NotApplicable("expansion", "ph", "probe failed"),
                              RefusalReason::kAwaitingAcknowledgement, 2));
  EXPECT_TRUE(RecordedRefusal(run, run.Sample("expansion", "ipc_count"),
                              RefusalReason::kAwaitingAcknowledgement, 3));
  EXPECT_TRUE(
      RecordedRefusal(run, run.Complete("expansion"), RefusalReason::kAwaitingAcknowledgement, 4));

  // A performer of the step may not acknowledge it; the acknowledgement names the excursion.
  EXPECT_TRUE(
      Fails(run.Acknowledge("DEV-2026-0001", kOperator), ErrorCode::kPermissionDenied, "signer"));
  EXPECT_TRUE(Fails(run.Acknowledge("DEV-2026-0002"), ErrorCode::kFailedPrecondition, "record_id"));
  ASSERT_TRUE(Accepted(run.Acknowledge("DEV-2026-0001", kSupervisor)));
  EXPECT_EQ(run.LastEvents()[0].event_type, kExcursionAcknowledged);
  EXPECT_EQ(CanonicalJson(run.LastPayload(kExcursionAcknowledged)),
            "{\"deviation\":\"DEV-2026-0001\",\"step\":\"expansion\"}");
  EXPECT_TRUE(run.batch.Step("expansion")->awaiting_acknowledgement.empty());
  EXPECT_FALSE(run.batch.Step("expansion")->performers.contains(kSupervisor.id));
  EXPECT_TRUE(Fails(run.Acknowledge("DEV-2026-0001", kSupervisor), ErrorCode::kFailedPrecondition,
                    "record_id"));
  EXPECT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
}

TEST(BatchExecution, EachExcursionOfAStepIsAcknowledgedOnItsOwnBeforeTheStepProceeds_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 38.5, "C")));
  // A second excursion on the same step, recorded before the first is acknowledged, is refused:
  // the step holds at its first excursion.
  ASSERT_TRUE(RecordedRefusal(run, run.Record("expansion", "temperature", 35.0, "C"),
                              RefusalReason::kAwaitingAcknowledgement, 1));
  ASSERT_TRUE(Accepted(run.Acknowledge("DEV-2026-0001")));
  const Result<Decision> cold = run.Correct(run.Value("expansion", "temperature").entry, 35.0, "C",
                                            "Probe re-read after calibration check");
  ASSERT_TRUE(Accepted(cold));
  ASSERT_EQ(cold->deviations, std::vector<std::string>{"DEV-2026-0002"});
  EXPECT_EQ(run.batch.Step("expansion")->awaiting_acknowledgement,
            std::vector<std::string>{"DEV-2026-0002"});
  EXPECT_TRUE(RecordedRefusal(run, run.Record("expansion", "volume", 1000, "mL"),
                              RefusalReason::kAwaitingAcknowledgement, 2));
  ASSERT_TRUE(Accepted(run.Acknowledge("DEV-2026-0002")));
  EXPECT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
}

TEST(BatchExecution, AChoiceNotAcceptableAndAnUnexpectedAnswerAreActionExcursions_G05) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  const Result<Decision> damaged = run.Record("receipt", "appearance", "damaged");
  ASSERT_TRUE(Accepted(damaged));
  EXPECT_EQ(run.Entry(damaged->entries[0]).flag, LimitFlag::kAction);
  EXPECT_EQ(damaged->deviations, std::vector<std::string>{"DEV-2026-0001"});
  ASSERT_TRUE(Accepted(run.Acknowledge("DEV-2026-0001")));
  const Result<Decision> seal = run.Record("receipt", "seal_intact", false);
  ASSERT_TRUE(Accepted(seal));
  EXPECT_EQ(run.Entry(seal->entries[0]).flag, LimitFlag::kAction);
  EXPECT_EQ(seal->deviations, std::vector<std::string>{"DEV-2026-0002"});
  EXPECT_EQ(run.batch.deviations, (std::vector<std::string>{"DEV-2026-0001", "DEV-2026-0002"}));
}

TEST(BatchExecution, AValueSentByTheBioreactorInUseIsRecordedAsTheInstrumentsOriginal_AL02) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const std::size_t events = run.events.size();
  EXPECT_TRUE(Fails(run.Record("expansion", "temperature", 37.1, "C", kOperator,
                               InstrumentSource{.equipment = "BR-02", .tag = "temperature"}),
                    ErrorCode::kInvalidArgument, "instrument"));
  EXPECT_TRUE(Fails(run.Record("expansion", "temperature", 37.1, "C", kOperator,
                               InstrumentSource{.equipment = "BR-01", .tag = "ph"}),
                    ErrorCode::kInvalidArgument, "instrument"));
  EXPECT_TRUE(Fails(run.Record("expansion", "volume", 1000, "mL", kOperator,
                               InstrumentSource{.equipment = "BR-01", .tag = "temperature"}),
                    ErrorCode::kInvalidArgument, "instrument"));
  EXPECT_EQ(run.events.size(), events);
  const Result<Decision> sent =
      run.Record("expansion", "temperature", 37.1, "C", kOperator,
                 InstrumentSource{.equipment = "BR-01", .tag = "temperature"});
  ASSERT_TRUE(Accepted(sent));
  const EntryRecord entry = run.Entry(sent->entries[0]);
  EXPECT_EQ(entry.origin, Origin::kInstrument);
  EXPECT_EQ(entry.instrument, "BR-01");
  EXPECT_EQ(entry.instrument_tag, "temperature");
}

TEST(BatchExecution, RefusesAnUnknownParameterACalculationOrAMalformedValueRecordingNothing_A1101) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const std::size_t events = run.events.size();
  const Result<Decision> unknown = run.Record("expansion", "viability", 92.5, "%");
  ASSERT_TRUE(Fails(unknown, ErrorCode::kInvalidArgument, "parameter"));
  EXPECT_TRUE(Contains(unknown.error().Message(), "temperature, viable_concentration, volume, ph"));
  const Result<Decision> calculation = run.Record("expansion", "total_cells", 2e9, "cells");
  ASSERT_TRUE(Fails(calculation, ErrorCode::kInvalidArgument, "parameter"));
  EXPECT_TRUE(Contains(calculation.error().Message(), "is a calculation"));
  EXPECT_TRUE(
      Fails(run.Record("expansion", "temperature", "warm"), ErrorCode::kInvalidArgument, "value"));
  EXPECT_TRUE(
      Fails(run.Record("expansion", "temperature", 37, "mL"), ErrorCode::kInvalidArgument, "unit"));
  EXPECT_EQ(run.events.size(), events);
  EXPECT_EQ(run.batch.refusals, 0);
}

TEST(BatchExecution, AParameterWithAValueIsCorrectedNotEnteredAgain_P1105) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 37.0, "C")));
  const std::size_t events = run.events.size();
  const Result<Decision> again = run.Record("expansion", "temperature", 37.1, "C");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().Field(), "parameter");
  EXPECT_TRUE(Contains(again.error().Message(), "correct that entry"));
  EXPECT_EQ(run.events.size(), events);
  EXPECT_EQ(again.error().Code(), ErrorCode::kFailedPrecondition);
}

// ---------------------------------------------------------------------------------------------
// Calculations and corrections.

TEST(BatchExecution, ACalculationIsComputedOnceItsInputsArePresentNamingTheEntriesItUsed_G03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const Result<Decision> concentration =
      run.Record("expansion", "viable_concentration", 2e6, "cells/mL");
  ASSERT_TRUE(Accepted(concentration));
  ASSERT_EQ(concentration->entries.size(), 1U) << "the volume is not entered yet";
  EXPECT_EQ(run.Value("expansion", "total_cells").entry, 0);
  // The volume in litres: calculations use the value in the definition's unit.
  const Result<Decision> volume = run.Record("expansion", "volume", 1.25, "L");
  ASSERT_TRUE(Accepted(volume));
  ASSERT_EQ(volume->entries.size(), 2U);
  EXPECT_EQ(run.LastEvents().size(), 1U) << "one event records both";
  const EntryRecord total = run.Entry(volume->entries[1]);
  EXPECT_TRUE(total.calculation);
  EXPECT_EQ(total.origin, Origin::kCalculated);
  EXPECT_EQ(total.subject, "total_cells");
  EXPECT_EQ(total.from, (std::vector<int>{concentration->entries[0], volume->entries[0]}));
  ASSERT_TRUE(total.value.number.has_value());
  EXPECT_DOUBLE_EQ(*total.value.number, 2.5e9);
  EXPECT_EQ(total.value.unit, "cells");
  EXPECT_EQ(total.flag, LimitFlag::kWithin);
  EXPECT_EQ(total.by, kOperator.id);
  EXPECT_EQ(run.Value("expansion", "total_cells").entry, total.number);

  // A later step's calculation of a predecessor's value and a batch input: the input is no entry.
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 37.0, "C")));
  ASSERT_TRUE(Accepted(run.Record("expansion", "ph", 7.2, "pH")));
  ASSERT_TRUE(Accepted(run.Sample("expansion", "ipc_count")));
  run.Advance(2 * kDay);
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  run.Advance(kHour);
  // The dose uses nothing entered on its own step: it is computed as the step starts.
  const Result<Decision> start = run.Start("formulation");
  ASSERT_TRUE(Accepted(start));
  ASSERT_EQ(start->entries.size(), 1U);
  const Result<Decision> fill = run.Record("formulation", "fill_volume", 100, "mL");
  ASSERT_TRUE(Accepted(fill));
  EXPECT_EQ(fill->entries.size(), 1U);
  const EntryRecord dose = run.Entry(start->entries[0]);
  EXPECT_EQ(dose.subject, "dose");
  EXPECT_EQ(dose.from, std::vector<int>{total.number});
  EXPECT_DOUBLE_EQ(*dose.value.number, 2.5e9 / 72.5);
  EXPECT_EQ(dose.value.unit, "cells/kg");
}

TEST(BatchExecution, AStepWhoseCalculationsUseOnlyEarlierValuesCanBeCompleted_G03) {
  // Formulation with the dose alone: every input of its calculation is there when it starts.
  recipes::Definition recipe = testing::Car19Recipe();
  recipes::Step& formulation = recipe.unit_procedures[1].operations[1];
  ASSERT_EQ(formulation.id, "formulation");
  formulation.parameters.clear();
  formulation.materials.clear();
  recipes::References references;
  references.document = [](std::string_view) {
    return std::optional<recipes::DocumentReference>(recipes::DocumentReference{});
  };
  references.material = [](std::string_view) {
    return std::optional<recipes::MaterialReference>(recipes::MaterialReference{.unit = "mL"});
  };
  ASSERT_TRUE(recipes::ValidateDefinition(recipe, references).empty()) << "approval accepts it";
  BatchRun run(recipe);
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_NO_FATAL_FAILURE(run.FillExpansion());
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  ASSERT_TRUE(Accepted(run.Start("formulation")));
  EXPECT_TRUE(run.Value("formulation", "dose").in_unit.has_value());
  EXPECT_TRUE(Accepted(run.Complete("formulation")));
}

TEST(BatchExecution, ACorrectionKeepsTheOriginalAndRecomputesTheCalculationsThatUsedIt_P1105) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_NO_FATAL_FAILURE(run.FillExpansion());
  const int original = run.Value("expansion", "viable_concentration").entry;
  const int volume = run.Value("expansion", "volume").entry;
  const int total = run.Value("expansion", "total_cells").entry;
  run.Advance(kMinute);
  const Result<Decision> corrected = run.Correct(
      original, 2.5e6, "cells/mL", "Transcription error: the counter read 2.5e6", kColleague);
  ASSERT_TRUE(Accepted(corrected));
  const int number = run.batch.entries - 1;
  EXPECT_EQ(corrected->entries, (std::vector<int>{number, number + 1}));
  const EntryRecord correction = run.Entry(number);
  EXPECT_EQ(correction.corrects, original);
  EXPECT_EQ(correction.reason, "Transcription error: the counter read 2.5e6");
  EXPECT_EQ(*correction.value.number, 2.5e6);
  EXPECT_FALSE(correction.late);
  EXPECT_EQ(correction.by, kColleague.id);
  const EntryRecord recalculated = run.Entry(number + 1);
  EXPECT_TRUE(recalculated.calculation);
  EXPECT_EQ(recalculated.corrects, total);
  EXPECT_EQ(recalculated.reason, "recalculated after entry " + std::to_string(number) +
                                     " corrected entry " + std::to_string(original));
  EXPECT_EQ(recalculated.from, (std::vector<int>{number, volume}));
  EXPECT_DOUBLE_EQ(*recalculated.value.number, 2.5e9);
  // P11-05: the original stays in the record as it was entered.
  EXPECT_EQ(*run.Entry(original).value.number, 2e6);
  EXPECT_DOUBLE_EQ(*run.Entry(total).value.number, 2e9);
  EXPECT_EQ(run.Value("expansion", "viable_concentration").entry, number);
  EXPECT_EQ(run.Value("expansion", "total_cells").entry, number + 1);
  EXPECT_TRUE(run.batch.Step("expansion")->performers.contains(kColleague.id));
  EXPECT_EQ(ExceptionKeys(run),
            (std::vector<std::string>{"entry:" + std::to_string(number) + " [correction]",
                                      "entry:" + std::to_string(number + 1) + " [correction]"}));

  // The superseded entry is not corrected again: the message names the one in force.
  const Result<Decision> superseded = run.Correct(original, 2.4e6, "cells/mL", "Second thoughts");
  ASSERT_TRUE(Fails(superseded, ErrorCode::kInvalidArgument, "entry"));
  EXPECT_TRUE(Contains(superseded.error().Message(),
                       "corrected by entry " + std::to_string(number) + "; correct that one"));
  // A calculation is corrected through its inputs; a reason is required.
  EXPECT_TRUE(Fails(run.Correct(number + 1, 3e9, "cells", "Recount"), ErrorCode::kInvalidArgument,
                    "entry"));
  EXPECT_TRUE(
      Fails(run.Correct(number, 2.4e6, "cells/mL", ""), ErrorCode::kInvalidArgument, "reason"));
}

TEST(BatchExecution, ACorrectionAfterItsStepIsCompleteIsLateAndRecomputesLaterSteps_P1105) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulating(run));
  ASSERT_TRUE(Accepted(run.Record("formulation", "fill_volume", 100, "mL")));
  const int volume = run.Value("expansion", "volume").entry;
  const int total = run.Value("expansion", "total_cells").entry;
  const int dose = run.Value("formulation", "dose").entry;
  const Result<Decision> corrected =
      run.Correct(volume, 800, "mL", "Volume read from the wrong bag scale");
  ASSERT_TRUE(Accepted(corrected));
  ASSERT_EQ(corrected->entries.size(), 3U);
  const EntryRecord correction = run.Entry(corrected->entries[0]);
  const EntryRecord new_total = run.Entry(corrected->entries[1]);
  const EntryRecord new_dose = run.Entry(corrected->entries[2]);
  EXPECT_EQ(correction.corrects, volume);
  EXPECT_TRUE(correction.late);
  EXPECT_EQ(new_total.corrects, total);
  EXPECT_TRUE(new_total.late) << "expansion is complete";
  EXPECT_DOUBLE_EQ(*new_total.value.number, 1.6e9);
  EXPECT_EQ(new_dose.corrects, dose);
  EXPECT_FALSE(new_dose.late) << "formulation is in progress";
  EXPECT_EQ(new_dose.from, std::vector<int>{new_total.number});
  EXPECT_DOUBLE_EQ(*new_dose.value.number, 1.6e9 / 72.5);
  EXPECT_EQ(run.Value("formulation", "dose").entry, new_dose.number);
  const std::string prefix = "entry:";
  EXPECT_EQ(ExceptionKeys(run),
            (std::vector<std::string>{
                prefix + std::to_string(correction.number) + " [correction,late_entry]",
                prefix + std::to_string(new_total.number) + " [correction,late_entry]",
                prefix + std::to_string(new_dose.number) + " [correction]"}));
  EXPECT_EQ(run.batch.Step("expansion")->status, StepStatus::kDone);
}

TEST(BatchExecution, AParameterMayBeNotApplicableWithAJustification_DI01) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  EXPECT_TRUE(Fails(run.NotApplicable("expansion", "ph", ""), ErrorCode::kInvalidArgument,
                    "justification"));
  const Result<Decision> marked =
      run.NotApplicable("expansion", "ph", "pH probe failed; sample sent to QC instead");
  ASSERT_TRUE(Accepted(marked));
  const EntryRecord entry = run.Entry(marked->entries[0]);
  EXPECT_TRUE(entry.not_applicable);
  EXPECT_EQ(entry.reason, "pH probe failed; sample sent to QC instead");
  EXPECT_FALSE(entry.value.number.has_value());
  EXPECT_TRUE(run.Value("expansion", "ph").not_applicable);
  EXPECT_EQ(ExceptionKeys(run), std::vector<std::string>{"entry:" + std::to_string(entry.number) +
                                                         " [not_applicable]"});
  // N/A counts as entered for completion.
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 37.0, "C")));
  ASSERT_TRUE(Accepted(run.Record("expansion", "viable_concentration", 2e6, "cells/mL")));
  ASSERT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
  ASSERT_TRUE(Accepted(run.Sample("expansion", "ipc_count")));
  EXPECT_TRUE(Accepted(run.Complete("expansion")));
}

TEST(BatchExecution, RefusesNotApplicableForAParameterACalculationOrAQuantityUses_DI01) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  const Result<Decision> used = run.NotApplicable("expansion", "viable_concentration", "No count");
  ASSERT_TRUE(Fails(used, ErrorCode::kInvalidArgument, "parameter"));
  EXPECT_TRUE(Contains(used.error().Message(), "expansion.total_cells is computed from it"));
  const Result<Decision> quantity =
      run.Apply(MarkNotApplicable(run.ContextOf(kOperator), "formulation",
                                  run.Trained("formulation", kOperator), "fill_volume", "Unused"));
  ASSERT_TRUE(Fails(quantity, ErrorCode::kInvalidArgument, "parameter"));
  EXPECT_TRUE(Contains(quantity.error().Message(), "the quantity of MAT-CRYO"));
  EXPECT_EQ(run.batch.refusals, 0);
}

TEST(BatchExecution, AParameterWithAValueIsNotMarkedNotApplicable_DI01) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Expanding(run));
  ASSERT_TRUE(Accepted(run.Record("expansion", "ph", 7.2, "pH")));
  const Result<Decision> marked = run.NotApplicable("expansion", "ph", "Probe failed");
  ASSERT_FALSE(marked.has_value());
  EXPECT_EQ(marked.error().Field(), "parameter");
  EXPECT_EQ(marked.error().Code(), ErrorCode::kFailedPrecondition);
}

// ---------------------------------------------------------------------------------------------
// Completion and verification.

TEST(BatchExecution, RefusesCompletionListingEverythingMissing_G03) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  ASSERT_NO_FATAL_FAILURE(run.DoActivation());
  run.Advance(20 * kHour);
  ASSERT_TRUE(Accepted(run.Start("expansion")));  // Without the bioreactor.
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 37.0, "C")));
  ASSERT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
  const Result<Decision> completion = run.Complete("expansion");
  ASSERT_TRUE(RecordedRefusal(run, completion, RefusalReason::kIncomplete, 1));
  const std::string& message = completion->refused->message;
  for (const std::string_view missing :
       {"enter viable_concentration", "enter ph", "calculation total_cells is not computed",
        "no value for 'viable_concentration'", "scan a bioreactor", "take sample ipc_count"}) {
    EXPECT_TRUE(Contains(message, missing)) << missing << " in " << message;
  }
  EXPECT_FALSE(Contains(message, "enter temperature"));
  EXPECT_FALSE(Contains(message, "enter volume"));
  EXPECT_EQ(completion->refused->field, "step");
}

TEST(BatchExecution, RefusesCompletionShortOfTheBillOfMaterialsOrTheLabelScan_G08) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.MakeBatch());
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  ASSERT_TRUE(Accepted(run.Record("receipt", "appearance", "intact")));
  const Result<Decision> receipt = run.Complete("receipt");
  ASSERT_TRUE(RefusedFor(receipt, RefusalReason::kIncomplete));
  EXPECT_TRUE(Contains(receipt->refused->message, "enter seal_intact"));
  EXPECT_TRUE(Contains(receipt->refused->message, "scan the patient_code label"));

  BatchRun activation;
  ASSERT_NO_FATAL_FAILURE(Received(activation));
  activation.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(activation.StartWithEquipment("activation")));
  ASSERT_TRUE(Accepted(activation.Consume("activation", "COL-0001", 85)));
  ASSERT_TRUE(Accepted(activation.Record("activation", "viable_cells", 1.2e9, "cells")));
  activation.Advance(kHour);
  const Result<Decision> short_of = activation.Complete("activation");
  ASSERT_TRUE(RefusedFor(short_of, RefusalReason::kIncomplete));
  EXPECT_TRUE(
      Contains(short_of->refused->message, "consume MAT-APHERESIS (85 mL of 100 mL +- 10 %)"));

  BatchRun formulation;
  ASSERT_NO_FATAL_FAILURE(Formulating(formulation));
  const Result<Decision> unknown = formulation.Complete("formulation");
  ASSERT_TRUE(RefusedFor(unknown, RefusalReason::kIncomplete));
  EXPECT_TRUE(Contains(unknown->refused->message, "consume MAT-CRYO: the amount of MAT-CRYO"));
}

TEST(BatchExecution, CompletionNamesWhatIsMissingBeforeTheMinimumDuration_P1106) {
  // An incomplete step completed too early: what is missing is said first, since the operator can
  // act on it now; the minimum duration only once the step is complete.
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Received(run));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  run.Advance(10 * kMinute);
  const Result<Decision> completion = run.Complete("activation");
  ASSERT_TRUE(RefusedFor(completion, RefusalReason::kIncomplete));
}

TEST(BatchExecution, TheSecondPersonVerifiesAStepTheyPerformedNothingOn_A1101) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(Formulating(run));
  ASSERT_TRUE(Accepted(run.Record("formulation", "fill_volume", 100, "mL", kColleague)));
  ASSERT_TRUE(Accepted(run.Consume("formulation", "CRYO-0001", 10)));
  run.Advance(30 * kMinute);
  EXPECT_TRUE(Fails(run.Verify("formulation", kSupervisor), ErrorCode::kFailedPrecondition, "step"))
      << "not complete yet";
  const Result<Decision> completed = run.Complete("formulation");
  ASSERT_TRUE(Accepted(completed));
  EXPECT_EQ(run.batch.Step("formulation")->status, StepStatus::kAwaitingVerification);
  EXPECT_EQ(run.LastEvents().size(), 1U) << "the batch is not complete";

  // Its successor waits for the verification.
  ASSERT_TRUE(RefusedFor(run.Start("cryopreservation"), RefusalReason::kSequence));
  EXPECT_TRUE(Contains(run.LastRefusal().message, "(it is awaiting_verification)"));

  // A11-01: neither the person who completed it nor one who entered a value on it verifies it.
  const std::size_t events = run.events.size();
  const Result<Decision> by_performer = run.Verify("formulation", kOperator);
  ASSERT_TRUE(Fails(by_performer, ErrorCode::kPermissionDenied, "signer"));
  EXPECT_TRUE(Contains(by_performer.error().Message(), "A11-01"));
  EXPECT_TRUE(Fails(run.Verify("formulation", kColleague), ErrorCode::kPermissionDenied, "signer"));
  EXPECT_EQ(run.events.size(), events);

  ASSERT_TRUE(Accepted(run.Verify("formulation", kSupervisor)));
  const StepExecution& step = *run.batch.Step("formulation");
  EXPECT_EQ(step.status, StepStatus::kDone);
  EXPECT_EQ(step.verified_by, kSupervisor.id);
  EXPECT_EQ(step.verified_at, run.now);
  EXPECT_TRUE(Fails(run.Verify("formulation", kQa), ErrorCode::kFailedPrecondition, "step"));
  EXPECT_TRUE(Accepted(run.Start("cryopreservation")));
}

TEST(BatchExecution, ACompletedBatchIsClosedToExecution_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.DoAll());
  const Result<Decision> start = run.Start("receipt");
  ASSERT_TRUE(RecordedRefusal(run, start, RefusalReason::kBatchClosed, 1));
  EXPECT_TRUE(Contains(start->refused->message, "is completed"));
  EXPECT_EQ(start->refused->field, "batch");
  EXPECT_TRUE(RecordedRefusal(run, run.Record("cryopreservation", "profile_passed", false),
                              RefusalReason::kBatchClosed, 2));
  EXPECT_TRUE(
      RecordedRefusal(run, run.Complete("cryopreservation"), RefusalReason::kBatchClosed, 3));
  EXPECT_TRUE(Fails(run.Hold(), ErrorCode::kFailedPrecondition, "batch"));
}

// ---------------------------------------------------------------------------------------------
// Creating a batch.

TEST(BatchCreation, CreatesAPlannedBatchFromTheControlRecipe_G02) {
  BatchRun run;
  const Result<Decision> created = run.Create();
  ASSERT_TRUE(Accepted(created));
  ASSERT_EQ(run.LastEvents().size(), 1U);
  EXPECT_EQ(run.LastEvents()[0].stream, BatchStream(kBatchId));
  EXPECT_EQ(run.LastEvents()[0].event_type, kBatchCreated);
  const BatchState& batch = run.batch;
  EXPECT_TRUE(batch.exists);
  EXPECT_EQ(batch.id, kBatchId);
  EXPECT_EQ(batch.product, "CAR19");
  EXPECT_EQ(batch.master_batch_record, "MBR-CAR19");
  EXPECT_EQ(batch.version, 3);
  EXPECT_EQ(batch.definition_sha256, BatchRun::kSha);
  EXPECT_EQ(batch.identifiers, (std::map<std::string, std::string>{{"patient_code", kPatient}}));
  EXPECT_EQ(batch.starting_material, "COL-0001");
  EXPECT_EQ(batch.status, BatchStatus::kPlanned);
  EXPECT_EQ(batch.created_at, kDay0);
  EXPECT_EQ(batch.created_by, kOperator.id);
  EXPECT_TRUE(batch.steps.empty());
  const ValueInForce& weight = batch.inputs.at("body_weight");
  EXPECT_EQ(weight.entry, 0);
  EXPECT_EQ(weight.value.number, 72.5);
  EXPECT_EQ(weight.in_unit, 72.5);
  // An input in another unit of the same dimension is kept as entered and used in the recipe's.
  BatchRun grams;
  BatchOrder order = BatchRun::Order();
  order.inputs["body_weight"] = {.value = 72500, .unit = "g"};
  ASSERT_TRUE(Accepted(grams.Create(order)));
  EXPECT_EQ(grams.batch.inputs.at("body_weight").value.unit, "g");
  EXPECT_DOUBLE_EQ(*grams.batch.inputs.at("body_weight").in_unit, 72.5);
}

TEST(BatchCreation, RefusesAnIdentifierMissingUndeclaredOrFailingItsCheckCharacter_T02) {
  BatchRun run;
  BatchOrder missing = BatchRun::Order();
  missing.identifiers.clear();
  EXPECT_TRUE(Fails(run.Create(missing), ErrorCode::kInvalidArgument, "identifiers.patient_code"));
  BatchOrder undeclared = BatchRun::Order();
  undeclared.identifiers["patient_name"] = "Jane Doe";
  EXPECT_TRUE(
      Fails(run.Create(undeclared), ErrorCode::kInvalidArgument, "identifiers.patient_name"));
  BatchOrder mistyped = BatchRun::Order();
  std::string code = kPatient;
  code.back() = code.back() == 'X' ? 'Y' : 'X';
  mistyped.identifiers["patient_code"] = code;
  EXPECT_TRUE(Fails(run.Create(mistyped), ErrorCode::kInvalidArgument, "identifiers.patient_code"));
  BatchOrder name = BatchRun::Order();
  name.identifiers["patient_code"] = "Jane Doe";
  EXPECT_TRUE(Fails(run.Create(name), ErrorCode::kInvalidArgument, "identifiers.patient_code"));
  EXPECT_TRUE(run.events.empty());
  EXPECT_FALSE(run.batch.exists);
}

TEST(BatchCreation, RefusesABatchInputMissingMalformedOrOutsideItsActionLimits_G02) {
  BatchRun run;
  BatchOrder missing = BatchRun::Order();
  missing.inputs.clear();
  EXPECT_TRUE(Fails(run.Create(missing), ErrorCode::kInvalidArgument, "inputs.body_weight"));
  BatchOrder undeclared = BatchRun::Order();
  undeclared.inputs["height"] = {.value = 180, .unit = "cm"};
  EXPECT_TRUE(Fails(run.Create(undeclared), ErrorCode::kInvalidArgument, "inputs.height"));
  BatchOrder text = BatchRun::Order();
  text.inputs["body_weight"] = {.value = "heavy", .unit = "kg"};
  EXPECT_TRUE(Fails(run.Create(text), ErrorCode::kInvalidArgument, "inputs.body_weight"));
  BatchOrder outside = BatchRun::Order();
  outside.inputs["body_weight"] = {.value = 250, .unit = "kg"};
  const Result<Decision> heavy = run.Create(outside);
  ASSERT_TRUE(Fails(heavy, ErrorCode::kInvalidArgument, "inputs.body_weight"));
  EXPECT_TRUE(Contains(heavy.error().Message(), "action high 200 kg"));
  EXPECT_TRUE(run.events.empty());
}

TEST(BatchCreation, AnInputInAUnitOfAnotherDimensionNamesTheInput_G02) {
  BatchRun run;
  BatchOrder volume = BatchRun::Order();
  volume.inputs["body_weight"] = {.value = 72.5, .unit = "mL"};
  EXPECT_TRUE(Fails(run.Create(volume), ErrorCode::kInvalidArgument, "inputs.body_weight"));
}

TEST(BatchCreation, RefusesAStartingMaterialUnknownUnusedRejectedOrAnotherPatients_T01) {
  BatchRun run;
  BatchOrder none = BatchRun::Order();
  none.starting_material.clear();
  EXPECT_TRUE(Fails(run.Create(none), ErrorCode::kInvalidArgument, "starting_material"));
  BatchOrder unknown = BatchRun::Order();
  unknown.starting_material = "COL-9999";
  EXPECT_TRUE(Fails(run.Create(unknown), ErrorCode::kNotFound, "starting_material"));
  BatchOrder unused = BatchRun::Order();
  unused.starting_material = "IL2-0001";
  const Result<Decision> interleukin = run.Create(unused);
  ASSERT_TRUE(Fails(interleukin, ErrorCode::kInvalidArgument, "starting_material"));
  EXPECT_TRUE(Contains(interleukin.error().Message(), "MBR-CAR19 never uses"));
  BatchOrder other = BatchRun::Order();
  other.starting_material = "COL-0002";
  const Result<Decision> another = run.Create(other);
  ASSERT_TRUE(Fails(another, ErrorCode::kFailedPrecondition, "starting_material"));
  EXPECT_TRUE(Contains(another.error().Message(), "the chain of identity does not hold"));
  run.LotOf("COL-0001")
      .statuses.push_back({.status = materials::LotStatus::kRejected, .at = kDay0, .by = kQa.id});
  EXPECT_TRUE(Fails(run.Create(), ErrorCode::kFailedPrecondition, "starting_material"));
  EXPECT_TRUE(run.events.empty());
}

TEST(BatchCreation, RefusesAnIdInUseOrNotABatchId) {
  BatchRun run;
  BatchOrder malformed = BatchRun::Order();
  malformed.id = "B-17";
  EXPECT_TRUE(Fails(run.Create(malformed), ErrorCode::kInvalidArgument, "id"));
  ASSERT_TRUE(Accepted(run.Create()));
  EXPECT_TRUE(Fails(run.Create(), ErrorCode::kAlreadyExists, "id"));
}

// ---------------------------------------------------------------------------------------------
// Random orders of actions (P11-06).

// A value drawn uniformly from [min, max), at the nominal size so that every case draws from the
// whole range.
template <typename T>
T Uniform(T min, T max) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(min, max));
}

// What completing `step` needs, entered by `actor` before completing it: values within their
// limits, the bill of materials, the samples and the label.
void FillIn(BatchRun& run, const recipes::Step& step, const ledger::Actor& actor) {
  const StepExecution* execution = run.batch.Step(step.id);
  if (execution == nullptr || execution->status != StepStatus::kInProgress) return;
  for (const recipes::ParameterDefinition& parameter : step.parameters) {
    if (execution->values.contains(parameter.id)) continue;
    if (parameter.kind == recipes::ParameterKind::kBoolean) {
      (void)run.Record(step.id, parameter.id, true, "", actor);
    } else if (parameter.kind == recipes::ParameterKind::kChoice) {
      (void)run.Record(step.id, parameter.id, parameter.acceptable[0], "", actor);
    } else {
      static const std::map<std::string, double> kGood = {
          {"viable_cells", 1.2e9}, {"temperature", 37.0}, {"viable_concentration", 2e6},
          {"volume", 1000},        {"ph", 7.2},           {"fill_volume", 100}};
      (void)run.Record(step.id, parameter.id, kGood.at(parameter.id), parameter.unit, actor);
    }
    execution = run.batch.Step(step.id);
  }
  for (const recipes::MaterialLine& line : step.materials) {
    if (execution->consumed.contains(line.material)) continue;
    if (line.material == testing::kApheresis) {
      (void)run.Consume(step.id, "COL-0001", 100, "mL", actor);
    } else {
      const ValueInForce fill = run.Value(step.id, "fill_volume");
      if (fill.in_unit) (void)run.Consume(step.id, "CRYO-0001", *fill.in_unit / 10, "mL", actor);
    }
  }
  for (const recipes::SamplingPoint& sample : step.samples) {
    if (!run.batch.Step(step.id)->samples.contains(sample.id)) {
      (void)run.Sample(step.id, sample.id, actor);
    }
  }
  if (!step.scan_identity.empty() && run.batch.Step(step.id)->identities.empty()) {
    (void)run.ScanLabel(step.id, kPatient, actor);
  }
}

// When a step became done: its verification, or its completion when it needs none.
std::optional<Timestamp> DoneAt(const StepExecution& step) {
  if (step.status != StepStatus::kDone) return std::nullopt;
  return step.verified_at ? step.verified_at : step.completed_at;
}

RC_GTEST_PROP(BatchExecution, RandomActionOrdersNeverBreakSequenceOrHoldTimes_P1106, ()) {
  BatchRun run;
  RC_ASSERT(Accepted(run.Create()));
  const std::vector<ledger::Actor> people = {kOperator, kColleague, kSupervisor};
  const std::vector<const recipes::Step*> steps = run.recipe.Steps();
  const std::vector<std::int64_t> scales = {kMinute, kMinute, kHour, kHour, kDay};
  const int actions = Uniform(20, 150);
  for (int action = 0; action < actions; ++action) {
    // From minutes to days between actions.
    run.Advance(Uniform<std::int64_t>(0, 40) * scales[Uniform<std::size_t>(0, scales.size())]);
    // Mostly the first step not done yet, so that runs get far; sometimes any step.
    const recipes::Step* step = steps[Uniform<std::size_t>(0, steps.size())];
    if (Uniform(0, 4) != 0) {
      for (const recipes::Step* each : steps) {
        const StepExecution* execution = run.batch.Step(each->id);
        if (execution == nullptr || execution->status != StepStatus::kDone) {
          step = each;
          break;
        }
      }
    }
    const ledger::Actor& person = people[Uniform<std::size_t>(0, people.size())];
    switch (Uniform(0, 10)) {
      case 0:
      case 1:
      case 2:
        (void)run.StartWithEquipment(step->id, person);
        break;
      case 3:
      case 4:
      case 5:
        FillIn(run, *step, person);
        (void)run.Complete(step->id, person);
        break;
      case 6:
      case 7:
        (void)run.Verify(step->id, person);
        break;
      default: {
        // A supervisor (or anyone) lifting the latest overridable refusal.
        if (run.batch.refusals == 0) break;
        const Refusal refusal = run.LastRefusal();
        if (refusal.overridable) (void)run.Grant(refusal, person);
        break;
      }
    }
    // Every event decided was valid and fitted the state.
    RC_ASSERT(!::testing::Test::HasFailure());
    for (const recipes::Step* each : steps) {
      const StepExecution* execution = run.batch.Step(each->id);
      if (execution == nullptr || !execution->started_at) continue;
      for (const std::string& predecessor : testing::PredecessorsOf(run.recipe, *each)) {
        // Each predecessor done, and done before the step started.
        const StepExecution* before = run.batch.Step(predecessor);
        const std::optional<Timestamp> done = before == nullptr ? std::nullopt : DoneAt(*before);
        const bool in_order = done.has_value() && *done <= *execution->started_at;
        RC_ASSERT(in_order);
      }
    }
    for (const recipes::TimeRule& rule : run.recipe.time_rules) {
      const StepExecution* from = run.batch.Step(rule.from.step);
      const StepExecution* to = run.batch.Step(rule.to.step);
      if (from == nullptr || to == nullptr) continue;
      const auto point = [](const StepExecution& step, recipes::StepPoint at) {
        return at == recipes::StepPoint::kStart ? step.started_at : step.completed_at;
      };
      const std::optional<Timestamp> start = point(*from, rule.from.point);
      const std::optional<Timestamp> end = point(*to, rule.to.point);
      if (!start || !end) continue;
      const bool overridden = std::any_of(
          run.batch.overrides.begin(), run.batch.overrides.end(), [&](const Override& granted) {
            return granted.used && granted.rule == "time_rule:" + rule.id;
          });
      if (overridden) continue;
      const std::int64_t elapsed = end->Micros() - start->Micros();
      RC_ASSERT(elapsed >= 18 * kHour);
      RC_ASSERT(elapsed <= 30 * kHour);
    }
  }
  const StepExecution* expansion = run.batch.Step("expansion");
  RC_TAG(expansion == nullptr ? "expansion not started"
         : std::any_of(run.batch.overrides.begin(), run.batch.overrides.end(),
                       [](const Override& granted) {
                         return granted.used && granted.rule == "time_rule:transduction_window";
                       })
             ? "expansion started by an override"
             : "expansion started in its window");
  RC_ASSERT(run.batch.refusals == static_cast<int>(run.Refusals().size()));
  if (run.batch.Step("cryopreservation") != nullptr) RC_TAG("cryopreservation started");
  if (run.batch.status == BatchStatus::kCompleted) RC_TAG("batch completed");
}

}  // namespace
}  // namespace aliquot::batches
