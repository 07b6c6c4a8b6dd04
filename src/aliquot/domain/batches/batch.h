// Batches: one run of the process, executed against the control recipe, an exact copy of the
// master batch record version effective when the batch was created (21 CFR 211.188, G-02, G-03;
// ISA-88 control recipe, S88-01). Everything that happens to a batch is an event on its stream
// "batch/<id>"; BatchState is what the rules decide on, folded from those events. It is compact on
// purpose (per step: status, times, who, the value in force for each parameter, what was scanned
// and consumed), so that deciding an entry costs the same on the first step and the thirtieth; the
// entries themselves, the refused attempts and the exceptions are records of their own
// (execution.h, review.h).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/batches/values.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::batches {

// planned -> in_progress <-> on_hold -> completed -> under_review -> released | rejected. A batch
// on hold before its first step returns to planned. Rejection is also open to a batch on hold (a
// run abandoned mid-way).
enum class BatchStatus {
  kPlanned,
  kInProgress,
  kOnHold,
  kCompleted,
  kUnderReview,
  kReleased,
  kRejected
};
std::string_view BatchStatusName(BatchStatus status);  // "planned", ..., "under_review", ...
std::optional<BatchStatus> BatchStatusFromName(std::string_view name);

// not_started -> in_progress -> awaiting_verification (when the step asks for a second person)
// -> done. A step is done once it is complete and, where required, verified.
enum class StepStatus { kNotStarted, kInProgress, kAwaitingVerification, kDone };
std::string_view StepStatusName(StepStatus status);
std::optional<StepStatus> StepStatusFromName(std::string_view name);

// The value in force for a parameter or calculation of a step (or a batch input): the latest of
// its entries, the original or the last correction.
struct ValueInForce {
  int entry = 0;  // The entry number in the batch record; 0 for a batch input.
  bool not_applicable = false;
  EnteredValue value;
  std::optional<double> in_unit;
  LimitFlag flag = LimitFlag::kWithin;
  friend bool operator==(const ValueInForce&, const ValueInForce&) = default;
};

struct EquipmentInUse {
  std::string id;               // "BSC-02".
  std::string equipment_class;  // The class the step required it for: "biosafety_cabinet".
  friend bool operator==(const EquipmentInUse&, const EquipmentInUse&) = default;
};

// An override a supervisor granted by e-signature on a refused attempt (an hold time, expiry or
// minimum duration): the rule it lifts for one retry of the action on the step.
struct Override {
  int refusal = 0;
  std::string step;
  std::string rule;  // The refusal's rule: "time_rule:transduction_window".
  std::string deviation;
  bool used = false;
  friend bool operator==(const Override&, const Override&) = default;
};

struct StepExecution {
  StepStatus status = StepStatus::kNotStarted;
  std::optional<Timestamp> started_at;
  std::string started_by;
  std::optional<Timestamp> completed_at;
  std::string completed_by;
  std::optional<Timestamp> verified_at;
  std::string verified_by;
  // Everyone who recorded anything on the step: none of them may verify it (A11-01).
  std::set<std::string> performers;
  std::map<std::string, ValueInForce> values;  // By parameter or calculation id.
  std::vector<EquipmentInUse> equipment;
  std::set<std::string> identities;  // Identifier ids whose labels were scanned and matched.
  // Per material id: the amount consumed, in the base unit of its dimension (SI, counts as
  // counted).
  std::map<std::string, double> consumed;
  std::set<std::string> samples;  // Sampling point ids taken.
  // Deviations raised on the step by an action-limit excursion, awaiting a supervisor's
  // acknowledgement by e-signature before the step may proceed.
  std::vector<std::string> awaiting_acknowledgement;
  friend bool operator==(const StepExecution&, const StepExecution&) = default;
};

// The release or rejection (A11-04: who certified the batch).
struct Disposition {
  BatchStatus status = BatchStatus::kReleased;
  Timestamp at;
  std::string by;
  std::string comment;
  friend bool operator==(const Disposition&, const Disposition&) = default;
};

struct BatchState {
  bool exists = false;
  std::string id;  // "B-2026-0007".
  std::string product;
  std::string master_batch_record;
  int version = 0;
  std::string definition_sha256;  // The control recipe: the approved definition's hash.
  // Chain of identity (T-01, T-02): identifier id -> the code, as declared by the definition.
  std::map<std::string, std::string> identifiers;
  std::map<std::string, ValueInForce> inputs;  // Batch inputs: "body_weight".
  std::string starting_material;               // The lot: an apheresis collection.
  BatchStatus status = BatchStatus::kPlanned;
  BatchStatus status_before_hold = BatchStatus::kPlanned;
  std::string hold_reason;
  Timestamp created_at;
  std::string created_by;
  std::map<std::string, StepExecution> steps;  // Every step of the control recipe.
  // Expiry clocks started: clock id -> when the product expires.
  std::map<std::string, Timestamp> expiries;
  int entries = 0;   // Entries recorded (values, calculations, corrections, N/A).
  int refusals = 0;  // Refused attempts recorded.
  std::vector<Override> overrides;
  std::vector<std::string> deviations;  // Raised by this batch, in order.
  int exceptions = 0;                   // Exceptions recorded for review.
  std::set<std::string> unreviewed;     // Their keys not yet reviewed: "entry:12".
  std::optional<Timestamp> completed_at;
  std::optional<Timestamp> review_started_at;
  std::optional<Disposition> disposition;

  const StepExecution* Step(std::string_view step) const;
};

// The events of a batch's stream.
inline constexpr std::string_view kBatchCreated = "batch.created";
inline constexpr std::string_view kStepStarted = "batch.step_started";
inline constexpr std::string_view kEquipmentAdded = "batch.equipment_added";
inline constexpr std::string_view kIdentityScanned = "batch.identity_scanned";
inline constexpr std::string_view kEntriesRecorded = "batch.entries_recorded";
inline constexpr std::string_view kMaterialConsumed = "batch.material_consumed";
inline constexpr std::string_view kSampleTaken = "batch.sample_taken";
inline constexpr std::string_view kStepCompleted = "batch.step_completed";
inline constexpr std::string_view kStepVerified = "batch.step_verified";
inline constexpr std::string_view kExcursionAcknowledged = "batch.excursion_acknowledged";
inline constexpr std::string_view kAttemptRefused = "batch.attempt_refused";
inline constexpr std::string_view kOverrideGranted = "batch.override_granted";
inline constexpr std::string_view kBatchHeld = "batch.held";
inline constexpr std::string_view kBatchResumed = "batch.resumed";
inline constexpr std::string_view kBatchCompleted = "batch.completed";
inline constexpr std::string_view kReviewStarted = "batch.review_started";
inline constexpr std::string_view kExceptionReviewed = "batch.exception_reviewed";
inline constexpr std::string_view kBatchReleased = "batch.released";
inline constexpr std::string_view kBatchRejected = "batch.rejected";

// The members every event decided for a request with an idempotency key carries: the key and the
// SHA-256 of the request it came with.
inline constexpr std::string_view kRequestMember = "request";
inline constexpr std::string_view kRequestShaMember = "request_sha256";

ledger::StreamRef BatchStream(std::string_view batch_id);
// "B-2026-0007": the `number`th batch created in `year`.
std::string BatchId(int year, int number);
// Batch ids as BatchId writes them. kInvalidArgument naming `field` otherwise.
Status ValidateBatchId(std::string_view id, std::string_view field);

// Applies one event of the batch's stream. Returns kDataLoss when the event does not fit the
// state (the ledger is inconsistent).
Status ApplyBatchEvent(BatchState& state, const ledger::Event& event);
Status ApplyBatchEvent(BatchState& state, const ledger::Event& event,
                       const ledger::PayloadReader& payload);

// The whole state as JSON, and back (kDataLoss for anything else).
Json BatchStateToJson(const BatchState& state);
Result<BatchState> BatchStateFromJson(const Json& json);

// The state as the projection keeps it, so that an action reads and writes what it touches and
// not the whole batch: a header whose steps are summaries (status, times, people, equipment in
// use: what decisions on other steps read), each step whole in a row of its own, and the
// counters apart. Nearly every event changes a counter and few change the header, so an entry
// rewrites a row of four numbers and not the header.
// BatchHeaderFromJson reads a header back with its steps summarised (StepSummary: their values,
// scans, consumption and samples empty); the caller puts back the steps it needs whole.
struct BatchCounts {
  int entries = 0;
  int refusals = 0;
  int exceptions = 0;
};
Json BatchHeaderToJson(const BatchState& state);
Result<BatchState> BatchHeaderFromJson(const Json& json, const BatchCounts& counts);
BatchCounts CountsOf(const BatchState& state);
StepExecution StepSummary(const StepExecution& step);
Json StepExecutionToJson(const StepExecution& step);
Result<StepExecution> StepExecutionFromJson(const Json& json, const std::string& what);

// The steps whose entries an event records or changes: its "step", its entries' steps, the steps
// its excursions hold. What the projection must hold whole to apply it.
Result<std::vector<std::string>> StepsTouchedBy(const ledger::PayloadReader& payload);

}  // namespace aliquot::batches
