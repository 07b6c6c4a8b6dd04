// The batch's state is folded from its stream and stored by the projection as JSON: what it
// stores reads back as the state the events made (AL-04: records complete and enduring), and an
// event that does not fit the state is the ledger's inconsistency, never silently taken.
#include "aliquot/domain/batches/batch.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/batches/batch_test_harness.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::batches {
namespace {

using testing::Accepted;
using testing::BatchRun;
using testing::Contains;
using testing::kBatchId;
using testing::kDay;
using testing::kMinute;
using testing::kOperator;
using testing::kOtherPatient;
using testing::kPatient;
using testing::kSupervisor;
using testing::Ok;
using testing::RefusedFor;

// Every member of the state, to compare two states in full.
auto Members(const BatchState& state) {
  return std::tie(state.exists, state.id, state.product, state.master_batch_record, state.version,
                  state.definition_sha256, state.identifiers, state.inputs, state.starting_material,
                  state.status, state.status_before_hold, state.hold_reason, state.created_at,
                  state.created_by, state.steps, state.expiries, state.entries, state.refusals,
                  state.overrides, state.deviations, state.exceptions, state.unreviewed,
                  state.completed_at, state.review_started_at, state.disposition);
}

// Whether the state as the projection stores it (JSON text) reads back as the same state.
::testing::AssertionResult RoundTrips(const BatchState& state) {
  const std::string stored = CanonicalJson(BatchStateToJson(state));
  const Result<Json> parsed = ParseJson(stored);
  if (!parsed) return ::testing::AssertionFailure() << parsed.error().ToString();
  const Result<BatchState> back = BatchStateFromJson(*parsed);
  if (!back) return ::testing::AssertionFailure() << back.error().ToString();
  if (Members(*back) != Members(state)) {
    return ::testing::AssertionFailure() << "read back differently:\n"
                                         << stored << "\n"
                                         << CanonicalJson(BatchStateToJson(*back));
  }
  return ::testing::AssertionSuccess();
}

// A run with something of every kind: refusals, an override, an excursion acknowledged, N/A, a
// correction and a late one, a hold, a verification, the review and the release.
void EventfulRun(BatchRun& run) {
  ASSERT_TRUE(Accepted(run.Create()));
  ASSERT_TRUE(RefusedFor(run.Start("activation"), RefusalReason::kSequence));
  run.Advance(5 * kMinute);
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  ASSERT_TRUE(
      RefusedFor(run.ScanLabel("receipt", kOtherPatient), RefusalReason::kIdentityMismatch));
  ASSERT_TRUE(Accepted(run.ScanLabel("receipt", kPatient)));
  ASSERT_TRUE(Accepted(run.Record("receipt", "appearance", "intact")));
  ASSERT_TRUE(Accepted(run.Record("receipt", "seal_intact", true)));
  ASSERT_TRUE(Accepted(run.Complete("receipt")));
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  ASSERT_TRUE(Accepted(run.Hold("Cabinet alarm")));
  ASSERT_TRUE(Accepted(run.Resume("Alarm was a sensor fault")));
  run.Advance(10 * kMinute);
  ASSERT_TRUE(RefusedFor(run.Complete("activation"), RefusalReason::kDuration));
  ASSERT_TRUE(Accepted(run.Grant(run.LastRefusal())));
  ASSERT_TRUE(Accepted(run.Complete("activation")));
  ASSERT_NO_FATAL_FAILURE(run.StartExpansion());
  ASSERT_TRUE(Accepted(run.Record("expansion", "temperature", 38.4, "C")));
  ASSERT_TRUE(Accepted(run.Acknowledge(run.AwaitingOn("expansion"))));
  ASSERT_TRUE(Accepted(run.Record("expansion", "viable_concentration", 2e6, "cells/mL")));
  ASSERT_TRUE(Accepted(run.Record("expansion", "volume", 1000, "mL")));
  ASSERT_TRUE(Accepted(run.NotApplicable("expansion", "ph", "Probe failed; QC sample instead")));
  ASSERT_TRUE(Accepted(run.Sample("expansion", "ipc_count")));
  run.Advance(2 * kDay);
  ASSERT_TRUE(Accepted(run.Complete("expansion")));
  ASSERT_TRUE(Accepted(
      run.Correct(run.Value("expansion", "volume").entry, 950, "mL", "Bag weighed again")));
  ASSERT_NO_FATAL_FAILURE(run.DoFormulation());
  ASSERT_NO_FATAL_FAILURE(run.DoCryopreservation());
  ASSERT_TRUE(Accepted(run.Review()));
  const std::set<std::string> keys = run.batch.unreviewed;
  for (const std::string& key : keys) ASSERT_TRUE(Accepted(run.Reviewed(key)));
  ASSERT_TRUE(Accepted(run.Release()));
}

TEST(BatchState, ReadsBackAsStoredAfterEveryEventOfARun_AL04) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(EventfulRun(run));
  ASSERT_EQ(run.batch.status, BatchStatus::kReleased);
  // Fold the stream again from nothing, storing and reading the state back after each event.
  BatchState state;
  for (const ledger::Event* event : run.BatchEvents()) {
    ASSERT_TRUE(Ok(ApplyBatchEvent(state, *event))) << event->event_type;
    ASSERT_TRUE(RoundTrips(state))
        << "after " << event->event_type << " (seq " << event->seq << ")";
  }
  EXPECT_TRUE(Members(state) == Members(run.batch));
  // What the run went through is all there.
  EXPECT_EQ(state.refusals, 3);
  EXPECT_EQ(state.overrides.size(), 1U);
  EXPECT_TRUE(state.overrides[0].used);
  EXPECT_EQ(state.deviations.size(), 3U);
  EXPECT_TRUE(state.unreviewed.empty());
  EXPECT_GT(state.exceptions, 8);
  ASSERT_TRUE(state.disposition.has_value());
  EXPECT_EQ(state.disposition->by, testing::kQa.id);
  EXPECT_TRUE(state.Step("expansion")->values.at("ph").not_applicable);
  EXPECT_EQ(state.expiries.size(), 1U);
}

// The projection keeps a header with the steps summarised and each step whole in a row of its
// own, and applies an event to the header and the steps it touches only: that fold is the whole
// one.
TEST(BatchState, FoldingTheStepsEachEventTouchesGivesTheWholeState_AL04) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(EventfulRun(run));
  BatchState whole;
  Json header;
  BatchCounts counts;
  std::map<std::string, Json> rows;
  for (const ledger::Event* event : run.BatchEvents()) {
    ASSERT_TRUE(Ok(ApplyBatchEvent(whole, *event)));
    BatchState partial;
    if (!header.IsNull()) {
      Result<BatchState> read = BatchHeaderFromJson(header, counts);
      ASSERT_TRUE(read.has_value()) << read.error().ToString();
      partial = std::move(*read);
    }
    const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(*event);
    ASSERT_TRUE(payload.has_value());
    const Result<std::vector<std::string>> touched = StepsTouchedBy(*payload);
    ASSERT_TRUE(touched.has_value()) << touched.error().ToString();
    for (const std::string& id : *touched) {
      if (!rows.contains(id)) continue;
      Result<StepExecution> step = StepExecutionFromJson(rows.at(id), "step " + id);
      ASSERT_TRUE(step.has_value()) << step.error().ToString();
      partial.steps[id] = std::move(*step);
    }
    ASSERT_TRUE(Ok(ApplyBatchEvent(partial, *event, *payload))) << event->event_type;
    header = *ParseJson(CanonicalJson(BatchHeaderToJson(partial)));
    counts = CountsOf(partial);
    for (const std::string& id : *touched) {
      if (partial.steps.contains(id)) rows[id] = StepExecutionToJson(partial.steps.at(id));
    }
    // The header and the rows, put together, are the state.
    Result<BatchState> assembled = BatchHeaderFromJson(header, counts);
    ASSERT_TRUE(assembled.has_value()) << assembled.error().ToString();
    // The state the projection keeps in memory between events (its steps summarised as
    // StepSummary does) is what the header reads back as: either may be the next event's start.
    BatchState kept = partial;
    for (auto& [id, step] : kept.steps) step = StepSummary(step);
    ASSERT_TRUE(Members(kept) == Members(*assembled))
        << "after " << event->event_type << " (seq " << event->seq << ")\n"
        << CanonicalJson(BatchStateToJson(kept)) << "\n"
        << CanonicalJson(BatchStateToJson(*assembled));
    for (const auto& [id, row] : rows) {
      Result<StepExecution> step = StepExecutionFromJson(*ParseJson(CanonicalJson(row)), id);
      ASSERT_TRUE(step.has_value());
      assembled->steps[id] = std::move(*step);
    }
    ASSERT_TRUE(Members(*assembled) == Members(whole))
        << "after " << event->event_type << " (seq " << event->seq << ")\n"
        << CanonicalJson(BatchStateToJson(*assembled)) << "\n"
        << CanonicalJson(BatchStateToJson(whole));
  }
}

// The counters change with nearly every event and the header with few: the header leaves them
// to a row of their own, and reads back with the counts it is given.
TEST(BatchState, AHeaderLeavesTheCountersToTheirOwnRow) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(EventfulRun(run));
  const Json header = *ParseJson(CanonicalJson(BatchHeaderToJson(run.batch)));
  for (const char* counter : {"entries", "refusals", "exceptions"}) {
    EXPECT_EQ(header.Find(counter), nullptr) << counter;
  }
  const BatchCounts counts{41, 7, 3};
  const Result<BatchState> back = BatchHeaderFromJson(header, counts);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->entries, 41);
  EXPECT_EQ(back->refusals, 7);
  EXPECT_EQ(back->exceptions, 3);
  EXPECT_EQ(back->unreviewed, run.batch.unreviewed);
  // A whole state is not a header.
  EXPECT_EQ(BatchHeaderFromJson(BatchStateToJson(run.batch), counts).error().Code(),
            ErrorCode::kDataLoss);
}

TEST(BatchState, ReadsBackOnHoldWithItsReason_AL04) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  ASSERT_TRUE(Accepted(run.Hold("Awaiting the donor's eligibility")));
  EXPECT_TRUE(RoundTrips(run.batch));
  EXPECT_EQ(run.batch.status_before_hold, BatchStatus::kInProgress);
}

TEST(BatchState, AnythingElseStoredIsDataLoss) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  const Json stored = BatchStateToJson(run.batch);
  Json status = stored;
  status.Set("status", "paused");
  EXPECT_EQ(BatchStateFromJson(status).error().Code(), ErrorCode::kDataLoss);
  Json entries = stored;
  entries.Set("entries", "none");
  EXPECT_EQ(BatchStateFromJson(entries).error().Code(), ErrorCode::kDataLoss);
  Json no_steps = Json::MakeObject();
  for (const auto& [name, value] : stored.AsObject()) {
    if (name != "steps") no_steps.Set(name, value);
  }
  EXPECT_EQ(BatchStateFromJson(no_steps).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(BatchStateFromJson(Json("batch")).error().Code(), ErrorCode::kDataLoss);
}

// ---------------------------------------------------------------------------------------------
// Entries and refusals as the record carries them.

// An entry's members as its JSON carries them (the time, person and terminal are the event's).
auto EntryMembers(const EntryRecord& entry) {
  return std::tie(entry.number, entry.step, entry.subject, entry.calculation, entry.not_applicable,
                  entry.value, entry.in_unit, entry.flag, entry.limit, entry.origin,
                  entry.instrument, entry.instrument_tag, entry.from, entry.corrects, entry.reason,
                  entry.deviation, entry.late);
}

::testing::AssertionResult EntryRoundTrips(const EntryRecord& entry) {
  const Result<Json> parsed = ParseJson(CanonicalJson(EntryToJson(entry)));
  if (!parsed) return ::testing::AssertionFailure() << parsed.error().ToString();
  const Result<EntryRecord> back = EntryFromJson(*parsed);
  if (!back) return ::testing::AssertionFailure() << back.error().ToString();
  if (EntryMembers(*back) != EntryMembers(entry)) {
    return ::testing::AssertionFailure() << CanonicalJson(EntryToJson(entry)) << " read back as "
                                         << CanonicalJson(EntryToJson(*back));
  }
  return ::testing::AssertionSuccess();
}

TEST(BatchEntry, ReadsBackAsWritten_P1105) {
  EntryRecord calculated;
  calculated.number = 17;
  calculated.step = "expansion";
  calculated.subject = "total_cells";
  calculated.calculation = true;
  calculated.value.number = 7.5e7;
  calculated.value.unit = "cells";
  calculated.in_unit = 7.5e7;
  calculated.flag = LimitFlag::kAction;
  calculated.limit = "action low 100000000 cells";
  calculated.origin = Origin::kCalculated;
  calculated.from = {12, 15};
  calculated.corrects = 14;
  calculated.reason = "recalculated after entry 15 corrected entry 13";
  calculated.deviation = "DEV-2026-0004";
  calculated.late = true;
  EXPECT_TRUE(EntryRoundTrips(calculated));

  EntryRecord sent;
  sent.number = 3;
  sent.step = "expansion";
  sent.subject = "temperature";
  sent.value.number = 37.1;
  sent.value.unit = "C";
  sent.in_unit = 37.1;
  sent.origin = Origin::kInstrument;
  sent.instrument = "BR-01";
  sent.instrument_tag = "temperature";
  EXPECT_TRUE(EntryRoundTrips(sent));

  EntryRecord not_applicable;
  not_applicable.number = 4;
  not_applicable.step = "expansion";
  not_applicable.subject = "ph";
  not_applicable.not_applicable = true;
  not_applicable.reason = "Probe failed";
  EXPECT_TRUE(EntryRoundTrips(not_applicable));

  EntryRecord answer;
  answer.number = 5;
  answer.step = "receipt";
  answer.subject = "seal_intact";
  answer.value.boolean = false;
  answer.flag = LimitFlag::kAction;
  answer.limit = "expected: yes";
  EXPECT_TRUE(EntryRoundTrips(answer));

  EntryRecord choice;
  choice.number = 6;
  choice.step = "receipt";
  choice.subject = "appearance";
  choice.value.text = "intact";
  EXPECT_TRUE(EntryRoundTrips(choice));
}

TEST(BatchEntry, EveryEntryOfARunReadsBackWithItsEventsTimeAndPerson_P1105) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(EventfulRun(run));
  const std::vector<EntryRecord> entries = run.Entries();
  ASSERT_EQ(static_cast<int>(entries.size()), run.batch.entries);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].number, static_cast<int>(i) + 1);
    EXPECT_TRUE(EntryRoundTrips(entries[i])) << entries[i].number;
    EXPECT_FALSE(entries[i].by.empty());
    EXPECT_FALSE(entries[i].by_name.empty());
    EXPECT_EQ(entries[i].terminal, testing::kTerminal);
  }
}

TEST(BatchEntry, AnythingElseIsDataLoss) {
  EntryRecord entry;
  entry.number = 1;
  entry.step = "receipt";
  entry.subject = "appearance";
  entry.value.text = "intact";
  Json flag = EntryToJson(entry);
  flag.Set("flag", "red");
  EXPECT_EQ(EntryFromJson(flag).error().Code(), ErrorCode::kDataLoss);
  Json origin = EntryToJson(entry);
  origin.Set("origin", "guessed");
  EXPECT_EQ(EntryFromJson(origin).error().Code(), ErrorCode::kDataLoss);
  Json no_value = EntryToJson(entry);
  no_value.Set("value", Json());
  EXPECT_EQ(EntryFromJson(no_value).error().Code(), ErrorCode::kDataLoss);
}

auto RefusalMembers(const Refusal& refusal) {
  return std::tie(refusal.number, refusal.action, refusal.step, refusal.reason, refusal.message,
                  refusal.field, refusal.overridable, refusal.rule, refusal.deviation);
}

TEST(BatchRefusal, ReadsBackAsWritten_P1106) {
  const Refusal hold_time{.number = 4,
                          .action = "start_step",
                          .step = "expansion",
                          .reason = RefusalReason::kHoldTime,
                          .message = "Transduction window: the hold time ran out",
                          .field = "step",
                          .overridable = true,
                          .rule = "time_rule:transduction_window"};
  const Refusal mismatch{.number = 5,
                         .action = "scan_identity",
                         .step = "receipt",
                         .reason = RefusalReason::kIdentityMismatch,
                         .message = "the label reads another code",
                         .field = "scanned",
                         .deviation = "DEV-2026-0002"};
  for (const Refusal& refusal : {hold_time, mismatch}) {
    const Result<Json> parsed = ParseJson(CanonicalJson(RefusalToJson(refusal)));
    ASSERT_TRUE(parsed.has_value());
    const Result<Refusal> back = RefusalFromJson(*parsed);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_TRUE(RefusalMembers(*back) == RefusalMembers(refusal)) << refusal.number;
  }
  Json unknown = RefusalToJson(hold_time);
  unknown.Set("reason", "bad_luck");
  EXPECT_EQ(RefusalFromJson(unknown).error().Code(), ErrorCode::kDataLoss);
}

TEST(BatchRefusal, EveryRefusalOfARunReadsBackAsDecided_P1106) {
  BatchRun run;
  ASSERT_NO_FATAL_FAILURE(EventfulRun(run));
  const std::vector<Refusal> refusals = run.Refusals();
  ASSERT_EQ(refusals.size(), 3U);
  EXPECT_EQ(refusals[0].reason, RefusalReason::kSequence);
  EXPECT_EQ(refusals[1].reason, RefusalReason::kIdentityMismatch);
  EXPECT_EQ(refusals[1].deviation, "DEV-2026-0001");
  EXPECT_EQ(refusals[2].reason, RefusalReason::kDuration);
  for (std::size_t i = 0; i < refusals.size(); ++i) {
    EXPECT_EQ(refusals[i].number, static_cast<int>(i) + 1);
    EXPECT_EQ(refusals[i].by, kOperator.id);
  }
}

// ---------------------------------------------------------------------------------------------
// Events that do not fit the state.

// The event sealed as if the store held it, numbered after `run`'s.
ledger::Event Sealed(const BatchRun& run, std::string_view type, Json payload) {
  ledger::NewEvent event =
      ledger::NewEvent::On(BatchStream(kBatchId), type, kOperator, testing::kTerminal);
  event.payload = std::move(payload);
  return ledger::SealEvent(event, run.events.size() + 1, run.now,
                           run.events.empty() ? ledger::kGenesisPrevHash : run.events.back().hash);
}

Json Entries(const EntryRecord& entry) {
  Json payload = Json::MakeObject();
  payload.Set("step", entry.step);
  Json entries = Json::MakeArray();
  entries.Push(EntryToJson(entry));
  payload.Set("entries", std::move(entries));
  return payload;
}

::testing::AssertionResult DataLoss(const Status& status) {
  if (status) return ::testing::AssertionFailure() << "applied";
  if (status.error().Code() != ErrorCode::kDataLoss) {
    return ::testing::AssertionFailure() << status.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

TEST(BatchEvents, AnEntryOnAStepNeverStartedIsDataLoss) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  EntryRecord entry;
  entry.number = 1;
  entry.step = "activation";
  entry.subject = "viable_cells";
  entry.value.number = 1.2e9;
  entry.value.unit = "cells";
  entry.in_unit = 1.2e9;
  BatchState state = run.batch;
  const Status applied = ApplyBatchEvent(state, Sealed(run, kEntriesRecorded, Entries(entry)));
  ASSERT_TRUE(DataLoss(applied));
  EXPECT_TRUE(Contains(applied.error().Message(), "activation"));
  // Started, the same entry fits; numbered out of order, it does not.
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  run.Advance(10 * kMinute);
  ASSERT_TRUE(Accepted(run.StartWithEquipment("activation")));
  entry.number = run.batch.entries + 2;
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kEntriesRecorded, Entries(entry)))));
  entry.number = run.batch.entries + 1;
  state = run.batch;
  EXPECT_TRUE(Ok(ApplyBatchEvent(state, Sealed(run, kEntriesRecorded, Entries(entry)))));
  EXPECT_EQ(state.Step("activation")->values.at("viable_cells").entry, entry.number);
}

TEST(BatchEvents, ARefusalOutOfOrderIsDataLoss) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  const Refusal refusal{.number = 2,
                        .action = "start_step",
                        .step = "activation",
                        .reason = RefusalReason::kSequence,
                        .message = "step activation cannot start before receipt is done",
                        .field = "step"};
  Json payload = Json::MakeObject();
  payload.Set("refusal", RefusalToJson(refusal));
  BatchState state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kAttemptRefused, payload))));
  Json first = Json::MakeObject();
  Refusal numbered = refusal;
  numbered.number = 1;
  first.Set("refusal", RefusalToJson(numbered));
  EXPECT_TRUE(Ok(ApplyBatchEvent(state, Sealed(run, kAttemptRefused, first))));
  EXPECT_EQ(state.refusals, 1);
  // The same number again is out of order too.
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kAttemptRefused, first))));
}

TEST(BatchEvents, EventsTheStateCannotTakeAreDataLoss) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  const ledger::Event created = run.events.back();
  // Anything before the batch's creation, and a second creation.
  BatchState empty;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(empty, Sealed(run, kBatchHeld, Json::MakeObject()))));
  BatchState state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, created)));
  // A step started twice, a resume of a batch not on hold, an unknown event.
  ASSERT_TRUE(Accepted(run.Start("receipt")));
  const ledger::Event started = run.events.back();
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, started)));
  Json resumed = Json::MakeObject();
  resumed.Set("comment", "");
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kBatchResumed, resumed))));
  state = run.batch;
  EXPECT_TRUE(
      DataLoss(ApplyBatchEvent(state, Sealed(run, "batch.teleported", Json::MakeObject()))));
  // A verification of a step that does not await one.
  Json step = Json::MakeObject();
  step.Set("step", "receipt");
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kStepVerified, step))));
  // A review of an exception that does not await one.
  Json review = Json::MakeObject();
  review.Set("exception", "refusal:9");
  review.Set("comment", "");
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, Sealed(run, kExceptionReviewed, review))));
  // A payload that is not JSON.
  ledger::Event garbled = Sealed(run, kBatchHeld, Json::MakeObject());
  garbled.payload = "{not json";
  state = run.batch;
  EXPECT_TRUE(DataLoss(ApplyBatchEvent(state, garbled)));
}

TEST(BatchEvents, AnOverrideUsedTwiceIsDataLoss) {
  BatchRun run;
  ASSERT_TRUE(Accepted(run.Create()));
  ASSERT_NO_FATAL_FAILURE(run.DoReceipt());
  ASSERT_NO_FATAL_FAILURE(run.StartActivation());
  ASSERT_TRUE(RefusedFor(run.Complete("activation"), RefusalReason::kDuration));
  const int refusal = run.LastRefusal().number;
  ASSERT_TRUE(Accepted(run.Grant(run.LastRefusal(), kSupervisor)));
  ASSERT_TRUE(Accepted(run.Complete("activation")));
  ASSERT_TRUE(run.batch.overrides[0].used);
  // An event of the step that fits, but for the override it claims to use once more.
  Json scanned = Json::MakeObject();
  scanned.Set("step", "activation");
  scanned.Set("identifier", "patient_code");
  scanned.Set("scanned", kPatient);
  BatchState state = run.batch;
  ASSERT_TRUE(Ok(ApplyBatchEvent(state, Sealed(run, kIdentityScanned, scanned))));
  Json numbers = Json::MakeArray();
  numbers.Push(refusal);
  scanned.Set("overrides_used", std::move(numbers));
  state = run.batch;
  const Status twice = ApplyBatchEvent(state, Sealed(run, kIdentityScanned, scanned));
  ASSERT_TRUE(DataLoss(twice));
  EXPECT_TRUE(Contains(twice.error().Message(), "is not available"));
}

// ---------------------------------------------------------------------------------------------
// Ids and names.

TEST(BatchId, NumbersBatchesWithinTheirYear) {
  EXPECT_EQ(BatchId(2026, 7), "B-2026-0007");
  EXPECT_EQ(BatchId(2026, 12345), "B-2026-12345");
  EXPECT_EQ(BatchStream("B-2026-0007"), (ledger::StreamRef{"batch", "B-2026-0007"}));
  for (const std::string_view id : {"B-2026-0007", "B-2026-12345", "B-2027-0001"}) {
    EXPECT_TRUE(Ok(ValidateBatchId(id, "id"))) << id;
  }
  for (const std::string_view id :
       {"", "B-2026-", "B-26-0007", "b-2026-0007", "B-2026-007", "B-2026-0007 ", "B-2026-00A7",
        "B-2026-00000000007", "B2026-0007", "B-2026_0007", "batch 7"}) {
    const Status valid = ValidateBatchId(id, "batch_id");
    ASSERT_FALSE(valid) << "'" << id << "'";
    EXPECT_EQ(valid.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(valid.error().Field(), "batch_id");
    EXPECT_TRUE(Contains(valid.error().Message(), "B-2026-0007"));
  }
}

TEST(BatchStatus, NamesReadBothWays) {
  for (const BatchStatus status :
       {BatchStatus::kPlanned, BatchStatus::kInProgress, BatchStatus::kOnHold,
        BatchStatus::kCompleted, BatchStatus::kUnderReview, BatchStatus::kReleased,
        BatchStatus::kRejected}) {
    EXPECT_EQ(BatchStatusFromName(BatchStatusName(status)), status);
  }
  EXPECT_EQ(BatchStatusName(BatchStatus::kUnderReview), "under_review");
  EXPECT_EQ(BatchStatusFromName("paused"), std::nullopt);
  for (const StepStatus status : {StepStatus::kNotStarted, StepStatus::kInProgress,
                                  StepStatus::kAwaitingVerification, StepStatus::kDone}) {
    EXPECT_EQ(StepStatusFromName(StepStatusName(status)), status);
  }
  EXPECT_EQ(StepStatusName(StepStatus::kAwaitingVerification), "awaiting_verification");
}

// The recipe the batch tests run is one approval would accept (G-01): the tests exercise what
// execution meets, not an impossible definition.
TEST(BatchTestRecipe, MayBeApproved_G01) {
  recipes::References references;
  references.document = [](std::string_view) {
    return std::optional<recipes::DocumentReference>(recipes::DocumentReference{});
  };
  references.material = [](std::string_view) {
    return std::optional<recipes::MaterialReference>(recipes::MaterialReference{.unit = "mL"});
  };
  const std::vector<recipes::Problem> problems =
      recipes::ValidateDefinition(testing::Car19Recipe(), references);
  for (const recipes::Problem& problem : problems) {
    ADD_FAILURE() << problem.pointer << ": " << problem.message;
  }
}

}  // namespace
}  // namespace aliquot::batches
