// Review by exception and disposition (21 CFR 211.192, G-04; A11-04): the batch records, as it
// runs, every exception a reviewer must look at; QA reviews each, and releases only a record
// reviewed in full with every deviation closed; the released record is closed to every change.
#include "aliquot/domain/batches/review.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/batch_test_harness.h"
#include "aliquot/domain/batches/execution.h"

namespace aliquot::batches {
namespace {

using testing::Accepted;
using testing::BatchRun;
using testing::Contains;
using testing::Fails;
using testing::kDay;
using testing::kHour;
using testing::kMinute;
using testing::kPatient;
using testing::kQa;
using testing::kSupervisor;
using testing::RefusedFor;

// "key [kind,kind]" for each exception, in the order recorded.
std::vector<std::string> Described(const std::vector<BatchException>& exceptions) {
  std::vector<std::string> described;
  for (const BatchException& exception : exceptions) {
    std::string text = exception.key + " [";
    for (std::size_t i = 0; i < exception.kinds.size(); ++i) {
      text += (i == 0 ? "" : ",") + std::string(ExceptionKindName(exception.kinds[i]));
    }
    described.push_back(text + "]");
  }
  return described;
}

// Entry numbers a run records, as the exceptions name them.
struct Numbers {
  int low_count = 0;  // activation.viable_cells below its action limit.
  int warm = 0;       // expansion.temperature above its alert limit.
  int ph = 0;         // expansion.ph N/A.
  int volume = 0;     // expansion.volume corrected while in progress...
  int total = 0;      // ...and total_cells recalculated.
  int late = 0;       // expansion.temperature corrected after expansion was complete.
};

// A completed run with an exception of every kind:
// - refusal 1: activation started before receipt; refusal 2: expansion started 10 h after
//   activation, overridden by the supervisor (DEV-2026-0003);
// - activation's cell count below its action limit (DEV-2026-0001), acknowledged; activation
//   running 5 h, past its 4 h maximum (DEV-2026-0002);
// - expansion's temperature above its alert limit, its pH N/A, its volume corrected (total cells
//   recalculated), and after it was complete its temperature corrected (a late entry).
Numbers ExceptionalRun(BatchRun& run) {
  Numbers numbers;
  EXPECT_TRUE(Accepted(run.Create()));
  EXPECT_TRUE(RefusedFor(run.StartWithEquipment("activation"), RefusalReason::kSequence));
  run.DoReceipt();
  run.Advance(10 * kMinute);
  EXPECT_TRUE(Accepted(run.StartWithEquipment("activation")));
  EXPECT_TRUE(Accepted(run.Consume("activation", "COL-0001", 100)));
  EXPECT_TRUE(Accepted(run.Record("activation", "viable_cells", 5e7, "cells")));
  numbers.low_count = run.batch.entries;
  EXPECT_TRUE(Accepted(run.Acknowledge("DEV-2026-0001")));
  run.Advance(5 * kHour);
  EXPECT_TRUE(Accepted(run.Complete("activation")));
  run.Advance(10 * kHour);
  EXPECT_TRUE(RefusedFor(run.StartWithEquipment("expansion"), RefusalReason::kHoldTime));
  EXPECT_TRUE(Accepted(run.Grant(run.LastRefusal())));
  EXPECT_TRUE(Accepted(run.StartWithEquipment("expansion")));
  EXPECT_TRUE(Accepted(run.Record("expansion", "temperature", 37.8, "C")));
  numbers.warm = run.batch.entries;
  EXPECT_TRUE(Accepted(run.NotApplicable("expansion", "ph", "Probe failed; QC sample instead")));
  numbers.ph = run.batch.entries;
  EXPECT_TRUE(Accepted(run.Record("expansion", "viable_concentration", 2e6, "cells/mL")));
  EXPECT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
  EXPECT_TRUE(Accepted(run.Correct(run.batch.entries - 1, 1100, "mL", "Scale re-read")));
  numbers.volume = run.batch.entries - 1;
  numbers.total = run.batch.entries;
  EXPECT_TRUE(Accepted(run.Sample("expansion", "ipc_count")));
  run.Advance(2 * kDay);
  EXPECT_TRUE(Accepted(run.Complete("expansion")));
  EXPECT_TRUE(Accepted(run.Correct(numbers.warm, 37.4, "C", "Probe offset applied late")));
  numbers.late = run.batch.entries;
  run.DoFormulation();
  run.DoCryopreservation();
  EXPECT_EQ(run.batch.status, BatchStatus::kCompleted);
  return numbers;
}

std::string Entry(int number) { return "entry:" + std::to_string(number); }

TEST(BatchReview, ExceptionsAreRecordedAsTheBatchRunsWithTheirKeysAndKinds_G04) {
  BatchRun run;
  const Numbers n = ExceptionalRun(run);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::vector<BatchException> exceptions = run.Exceptions();
  EXPECT_EQ(Described(exceptions), (std::vector<std::string>{
                                       "refusal:1 [refused_attempt]",
                                       Entry(n.low_count) + " [action_limit]",
                                       "deviation:DEV-2026-0001 [deviation]",
                                       "step:activation [duration_exceeded]",
                                       "deviation:DEV-2026-0002 [deviation]",
                                       "refusal:2 [refused_attempt]",
                                       "override:2 [override,hold_time_breach]",
                                       "deviation:DEV-2026-0003 [deviation]",
                                       Entry(n.warm) + " [alert_limit]",
                                       Entry(n.ph) + " [not_applicable]",
                                       Entry(n.volume) + " [correction]",
                                       Entry(n.total) + " [correction]",
                                       Entry(n.late) + " [correction,late_entry]",
                                   }));
  EXPECT_EQ(run.batch.exceptions, static_cast<int>(exceptions.size()));
  std::set<std::string> keys;
  for (const BatchException& exception : exceptions) {
    keys.insert(exception.key);
    EXPECT_FALSE(exception.summary.empty()) << exception.key;
    EXPECT_FALSE(exception.reviewed_at.has_value());
  }
  EXPECT_EQ(run.batch.unreviewed, keys);
  // Each says what a reviewer must know, on the step it concerns.
  EXPECT_EQ(exceptions[1].step, "activation");
  EXPECT_TRUE(Contains(exceptions[1].summary, "activation.viable_cells"));
  EXPECT_TRUE(Contains(exceptions[1].summary, "action low"));
  EXPECT_TRUE(Contains(exceptions[3].summary, "more than its maximum 4 h"));
  EXPECT_TRUE(Contains(exceptions[9].summary, "N/A: Probe failed; QC sample instead"));
  EXPECT_TRUE(Contains(exceptions[10].summary, "correcting entry"));
  EXPECT_TRUE(Contains(exceptions[10].summary, "Scale re-read"));
  EXPECT_TRUE(Contains(exceptions[12].summary, "recorded after the step was complete"));
}

TEST(BatchReview, ExceptionKindsHaveStableNames) {
  for (const ExceptionKind kind :
       {ExceptionKind::kAlertLimit, ExceptionKind::kActionLimit, ExceptionKind::kCorrection,
        ExceptionKind::kNotApplicable, ExceptionKind::kOverride, ExceptionKind::kLateEntry,
        ExceptionKind::kHoldTimeBreach, ExceptionKind::kDurationExceeded,
        ExceptionKind::kRefusedAttempt, ExceptionKind::kDeviation}) {
    EXPECT_EQ(ExceptionKindFromName(ExceptionKindName(kind)), kind);
  }
  EXPECT_EQ(ExceptionKindName(ExceptionKind::kHoldTimeBreach), "hold_time_breach");
  EXPECT_EQ(ExceptionKindFromName("cosmetic"), std::nullopt);
}

TEST(BatchReview, AnExceptionReadsBackAsWritten_G04) {
  BatchException exception;
  exception.key = "entry:12";
  exception.kinds = {ExceptionKind::kAlertLimit, ExceptionKind::kCorrection};
  exception.step = "expansion";
  exception.summary = "expansion.temperature 37.8 C, outside alert high 37.5 C (entry 12)";
  exception.reviewed_at = testing::kDay0;
  exception.reviewed_by = kQa.id;
  exception.review_comment = "Within the validated range";
  const Result<BatchException> back =
      ExceptionFromJson(*ParseJson(CanonicalJson(ExceptionToJson(exception))));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->key, exception.key);
  EXPECT_EQ(back->kinds, exception.kinds);
  EXPECT_EQ(back->step, exception.step);
  EXPECT_EQ(back->summary, exception.summary);
  EXPECT_EQ(back->reviewed_at, exception.reviewed_at);
  EXPECT_EQ(back->reviewed_by, exception.reviewed_by);
  EXPECT_EQ(back->review_comment, exception.review_comment);
  Json unknown = ExceptionToJson(exception);
  Json kinds = Json::MakeArray();
  kinds.Push("cosmetic");
  unknown.Set("kinds", std::move(kinds));
  EXPECT_EQ(ExceptionFromJson(unknown).error().Code(), ErrorCode::kDataLoss);
}

TEST(BatchReview, ReviewStartsOnlyOnceTheBatchIsCompleted_G04) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  EXPECT_TRUE(Fails(run.Review(), ErrorCode::kFailedPrecondition, "batch"));
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  EXPECT_TRUE(Fails(run.Review(), ErrorCode::kFailedPrecondition, "batch"));
  ASSERT_NO_FATAL_FAILURE(run.DoActivation());
  ASSERT_NO_FATAL_FAILURE(run.DoExpansion());
  ASSERT_NO_FATAL_FAILURE(run.DoFormulation());
  ASSERT_NO_FATAL_FAILURE(run.DoCryopreservation());
  ASSERT_EQ(run.batch.status, BatchStatus::kCompleted);
  run.Advance(kDay);
  ASSERT_TRUE(Accepted(run.Review()));
  EXPECT_EQ(run.LastEvents()[0].event_type, kReviewStarted);
  EXPECT_EQ(run.LastEvents()[0].actor, kQa);
  EXPECT_EQ(run.batch.status, BatchStatus::kUnderReview);
  EXPECT_EQ(run.batch.review_started_at, run.now);
  EXPECT_TRUE(Fails(run.Review(), ErrorCode::kFailedPrecondition, "batch"));
}

TEST(BatchReview, QaRecordsEachExceptionAsReviewed_G04) {
  BatchRun run;
  ExceptionalRun(run);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_TRUE(Fails(run.Reviewed("refusal:1"), ErrorCode::kFailedPrecondition, "batch"))
      << "not under review yet";
  ASSERT_TRUE(Accepted(run.Review()));
  EXPECT_TRUE(Fails(run.Reviewed("refusal:99"), ErrorCode::kNotFound, "exception"));
  EXPECT_TRUE(Fails(run.Reviewed("refusal:1", std::string(4001, 'x')), ErrorCode::kInvalidArgument,
                    "comment"));
  const std::size_t unreviewed = run.batch.unreviewed.size();
  run.Advance(kHour);
  ASSERT_TRUE(Accepted(run.Reviewed("refusal:1", "Operator retrained on the step order")));
  const ledger::Event& event = run.events.back();
  EXPECT_EQ(event.event_type, kExceptionReviewed);
  const Result<std::optional<ExceptionReview>> review =
      ReviewOf(event, *ledger::PayloadReader::Parse(event));
  ASSERT_TRUE(review.has_value() && review->has_value());
  EXPECT_EQ((*review)->key, "refusal:1");
  EXPECT_EQ((*review)->by, kQa.id);
  EXPECT_EQ((*review)->at, run.now);
  EXPECT_EQ((*review)->comment, "Operator retrained on the step order");
  EXPECT_EQ(run.batch.unreviewed.size(), unreviewed - 1);
  EXPECT_FALSE(run.batch.unreviewed.contains("refusal:1"));
  // A comment is optional.
  EXPECT_TRUE(Accepted(run.Reviewed("refusal:2", "")));
}

TEST(BatchReview, AnExceptionIsReviewedOnce_G04) {
  BatchRun run;
  ExceptionalRun(run);
  ASSERT_TRUE(Accepted(run.Review()));
  ASSERT_TRUE(Accepted(run.Reviewed("refusal:1")));
  const std::size_t events = run.events.size();
  const Result<Decision> again = run.Reviewed("refusal:1");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(run.events.size(), events);
  EXPECT_EQ(again.error().Code(), ErrorCode::kNotFound);
  EXPECT_EQ(again.error().Field(), "exception");
}

// ---------------------------------------------------------------------------------------------
// Disposition.

TEST(BatchDisposition, ReleaseIsRefusedWhileAnExceptionIsUnreviewedOrADeviationOpen_G04) {
  BatchRun run;
  ExceptionalRun(run);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_TRUE(Fails(run.Release(), ErrorCode::kFailedPrecondition, "batch")) << "not under review";
  ASSERT_TRUE(Accepted(run.Review()));
  const Result<Decision> many = run.Release();
  ASSERT_TRUE(Fails(many, ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Contains(many.error().Message(), "13 exceptions are not reviewed"));

  // All but two reviewed: both named, with each open deviation.
  std::set<std::string> keys = run.batch.unreviewed;
  keys.erase("refusal:1");
  keys.erase("step:activation");
  for (const std::string& key : keys) ASSERT_TRUE(Accepted(run.Reviewed(key)));
  const Result<Decision> two = run.Release({"DEV-2026-0001", "DEV-2026-0003"});
  ASSERT_TRUE(Fails(two, ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Contains(two.error().Message(), "2 exceptions are not reviewed"));
  EXPECT_TRUE(Contains(two.error().Message(), "refusal:1"));
  EXPECT_TRUE(Contains(two.error().Message(), "step:activation"));
  EXPECT_TRUE(Contains(two.error().Message(), "DEV-2026-0001"));
  EXPECT_TRUE(Contains(two.error().Message(), "DEV-2026-0003"));
  EXPECT_FALSE(Contains(two.error().Message(), "DEV-2026-0002"));

  // Every exception reviewed, a deviation still open.
  ASSERT_TRUE(Accepted(run.Reviewed("refusal:1")));
  ASSERT_TRUE(Accepted(run.Reviewed("step:activation")));
  const Result<Decision> open = run.Release({"DEV-2026-0002"});
  ASSERT_TRUE(Fails(open, ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Contains(open.error().Message(), "DEV-2026-0002"));
  EXPECT_FALSE(Contains(open.error().Message(), "exception"));
  EXPECT_EQ(run.batch.status, BatchStatus::kUnderReview);

  // Clean: released, recording who certified it (A11-04).
  run.Advance(kHour);
  ASSERT_TRUE(Accepted(run.Release()));
  EXPECT_EQ(run.LastEvents().size(), 1U);
  EXPECT_EQ(run.LastEvents()[0].event_type, kBatchReleased);
  EXPECT_EQ(run.batch.status, BatchStatus::kReleased);
  ASSERT_TRUE(run.batch.disposition.has_value());
  EXPECT_EQ(run.batch.disposition->status, BatchStatus::kReleased);
  EXPECT_EQ(run.batch.disposition->by, kQa.id);
  EXPECT_EQ(run.batch.disposition->at, run.now);
  EXPECT_EQ(run.batch.disposition->comment, "Released for infusion");
  EXPECT_TRUE(Fails(run.Release(), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Fails(run.Reject(), ErrorCode::kFailedPrecondition, "batch"));
}

TEST(BatchDisposition, ACorrectionDuringReviewIsALateEntryToReviewBeforeRelease_P1105) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.DoAll());
  ASSERT_TRUE(Accepted(run.Review()));
  ASSERT_TRUE(run.batch.unreviewed.empty());
  const int fill = run.Value("formulation", "fill_volume").entry;
  const Result<Decision> corrected =
      run.Correct(fill, 98, "mL", "Fill volume re-read from the bag label");
  ASSERT_TRUE(Accepted(corrected));
  const EntryRecord entry = run.Entry(corrected->entries[0]);
  EXPECT_TRUE(entry.late);
  EXPECT_TRUE(run.batch.unreviewed.contains("entry:" + std::to_string(entry.number)));
  EXPECT_TRUE(Fails(run.Release(), ErrorCode::kFailedPrecondition, "batch"));
  const std::set<std::string> keys = run.batch.unreviewed;
  for (const std::string& key : keys) ASSERT_TRUE(Accepted(run.Reviewed(key)));
  EXPECT_TRUE(Accepted(run.Release()));
}

TEST(BatchDisposition, ABatchIsRejectedUnderReviewOrOnHoldOnly_G04) {
  BatchRun under_review;
  ExceptionalRun(under_review);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_TRUE(Fails(under_review.Reject(), ErrorCode::kFailedPrecondition, "batch"))
      << "completed, not under review";
  ASSERT_TRUE(Accepted(under_review.Review()));
  // Unreviewed exceptions do not stop a rejection.
  ASSERT_TRUE(Accepted(under_review.Reject("Viable cell count too low for a dose")));
  EXPECT_EQ(under_review.LastEvents()[0].event_type, kBatchRejected);
  EXPECT_EQ(under_review.batch.status, BatchStatus::kRejected);
  EXPECT_EQ(under_review.batch.disposition->status, BatchStatus::kRejected);
  EXPECT_EQ(under_review.batch.disposition->comment, "Viable cell count too low for a dose");

  BatchRun abandoned;
  ASSERT_TRUE(Accepted(abandoned.Create()));
  ASSERT_NO_FATAL_FAILURE(abandoned.DoReceipt());
  EXPECT_TRUE(Fails(abandoned.Reject(), ErrorCode::kFailedPrecondition, "batch"))
      << "in progress, not on hold";
  ASSERT_TRUE(Accepted(abandoned.Hold("Bag leaking at receipt")));
  ASSERT_TRUE(Accepted(abandoned.Reject("Run abandoned: starting material compromised")));
  EXPECT_EQ(abandoned.batch.status, BatchStatus::kRejected);
  EXPECT_TRUE(Fails(abandoned.Resume(), ErrorCode::kFailedPrecondition, "batch"));
}

TEST(BatchDisposition, AReleasedBatchIsClosedToEveryChangeRefusedAttemptsIncluded_A1104) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(run.DoAll());
  ASSERT_TRUE(Accepted(run.Review()));
  ASSERT_TRUE(Accepted(run.Release()));
  const std::size_t events = run.events.size();
  const int exceptions = run.batch.exceptions;
  // Refused as closed, and recorded nowhere: the record takes nothing more.
  const auto closed = [&](const Result<Decision>& decided) -> ::testing::AssertionResult {
    if (auto refused = RefusedFor(decided, RefusalReason::kBatchClosed); !refused) return refused;
    if (!decided->events.empty()) {
      return ::testing::AssertionFailure() << decided->events.size() << " events decided";
    }
    if (decided->RefusalError().Code() != ErrorCode::kFailedPrecondition ||
        decided->RefusalError().Field() != "batch") {
      return ::testing::AssertionFailure() << decided->RefusalError().ToString();
    }
    if (!Contains(decided->refused->message, "released: its record is closed to every change")) {
      return ::testing::AssertionFailure() << decided->refused->message;
    }
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(closed(run.Start("receipt")));
  EXPECT_TRUE(closed(run.AddScanned("activation", "BSC-01")));
  EXPECT_TRUE(closed(run.ScanLabel("receipt", kPatient)));
  EXPECT_TRUE(closed(run.Record("expansion", "ph", 7.2, "pH")));
  EXPECT_TRUE(closed(run.NotApplicable("expansion", "ph", "Probe failed")));
  EXPECT_TRUE(closed(run.Consume("formulation", "CRYO-0001", 1)));
  EXPECT_TRUE(closed(run.Sample("expansion", "ipc_count")));
  EXPECT_TRUE(closed(run.Complete("cryopreservation")));
  EXPECT_TRUE(closed(
      run.Correct(run.Value("formulation", "fill_volume").entry, 98, "mL", "Fill volume re-read")));
  EXPECT_EQ(run.events.size(), events);
  EXPECT_EQ(run.batch.refusals, 0);
  EXPECT_EQ(run.batch.exceptions, exceptions);
  EXPECT_TRUE(run.batch.unreviewed.empty());
  // Batch-level actions are refused as errors.
  EXPECT_TRUE(
      Fails(run.Verify("formulation", kSupervisor), ErrorCode::kFailedPrecondition, "step"));
  EXPECT_TRUE(Fails(run.Acknowledge("DEV-2026-0001"), ErrorCode::kFailedPrecondition, "record_id"));
  EXPECT_TRUE(Fails(run.Hold(), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Fails(run.Resume(), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Fails(run.Review(), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_TRUE(Fails(run.Reviewed("refusal:1"), ErrorCode::kFailedPrecondition, "batch"));
  EXPECT_EQ(run.events.size(), events);
  EXPECT_EQ(run.batch.status, BatchStatus::kReleased);
}

TEST(BatchDisposition, ARejectedBatchIsClosedToEveryChange_G04) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  ASSERT_TRUE(Accepted(run.Hold("Bag leaking at receipt")));
  ASSERT_TRUE(Accepted(run.Reject("Run abandoned")));
  const std::size_t events = run.events.size();
  const Result<Decision> correction =
      run.Correct(run.Value("receipt", "appearance").entry, "damaged", "", "Leak seen at receipt");
  ASSERT_TRUE(RefusedFor(correction, RefusalReason::kBatchClosed));
  EXPECT_TRUE(Contains(correction->refused->message, "rejected"));
  ASSERT_TRUE(RefusedFor(run.Start("activation"), RefusalReason::kBatchClosed));
  EXPECT_EQ(run.events.size(), events);
}

}  // namespace
}  // namespace aliquot::batches
