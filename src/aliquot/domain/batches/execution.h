// Batch execution: every rule enforced at the moment of the action (21 CFR 11.10(f), P11-06;
// 211.188(b), G-03; 211.100(b), G-05; A11-01; 1271.290, T-01). Each decision takes the batch's
// state, its control recipe and the facts the other areas supplied for this moment (the operator's
// training on the step's SOP, each scanned piece of equipment's check, each scanned lot's
// point-of-use check) and returns the events to append together: the batch's own, the equipment
// logbook's uses, the lot's consumption, the deviations raised. A refusal is a decision too: the
// refused attempt is recorded (with a deviation for a failed identity match) and the action is
// not.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/training/training.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::batches {

// Why an attempt was refused. Every action checks the batch (closed, on hold) and the step's state
// first; starting a step then checks the sequence, training, time rules and expiry, and the
// equipment; completing it checks what is still to do, the minimum duration, then time rules and
// expiry (docs/batches.md lists each action's order).
enum class RefusalReason {
  kBatchClosed,  // Completed or under review: closed to execution. Released or rejected:
                 // closed to every change, and the refusal is not recorded either.
  kOnHold,       // On hold: nothing is executed until a supervisor resumes it.
  kSequence,     // A predecessor is not done (P11-06).
  kStepState,    // Not started, already started, already complete.
  kAwaitingAcknowledgement,  // An action-limit excursion awaits a supervisor's e-signature.
  kTraining,                 // Not qualified on the SOP version effective now (G-11).
  kHoldTime,                 // A time rule's minimum not reached or maximum passed.
  kExpired,                  // A product expiry clock has run out (T-03).
  kDuration,                 // Completed before the step's minimum duration.
  kEquipment,                // Wrong class, or the equipment check refused it (G-06, G-07).
  kMaterial,                 // Wrong material, the point-of-use check refused it, or out of
                             // tolerance (G-08).
  kIdentityMismatch,         // A label that does not match the batch's identifiers (T-01).
  kIncomplete,               // Completion with something still to do.
};
std::string_view RefusalReasonName(RefusalReason reason);  // "hold_time", ...
std::optional<RefusalReason> RefusalReasonFromName(std::string_view name);

// A refused attempt as recorded: an alert on the batch's stream, numbered in the batch.
struct Refusal {
  int number = 0;
  std::string action;  // "start_step", "record_value", ...
  std::string step;    // Empty for batch-level actions.
  RefusalReason reason = RefusalReason::kStepState;
  std::string message;  // What the operator was told.
  std::string field;    // The request's field at fault.
  // A supervisor may let this attempt proceed by e-signature (hold times, expiry, minimum
  // durations); the rule it names is lifted once for the step.
  bool overridable = false;
  std::string rule;  // "time_rule:transduction_window", "expiry:fresh_product", "min_duration".
  std::string deviation;  // Raised with the refusal (a failed identity match), if any.
  Timestamp at;
  std::string by;
  std::string terminal;
};

// Where a value came from (AL-02: the original is the first capture).
enum class Origin { kManual, kInstrument, kCalculated };
std::string_view OriginName(Origin origin);  // "manual", "instrument", "calculated"

// One entry of the batch record: a value, a calculated value, a correction or N/A.
struct EntryRecord {
  int number = 0;
  std::string step;     // Empty for nothing: every entry belongs to a step.
  std::string subject;  // The parameter or calculation id.
  bool calculation = false;
  bool not_applicable = false;
  EnteredValue value;  // Unset members when N/A.
  std::optional<double> in_unit;
  LimitFlag flag = LimitFlag::kWithin;
  std::string limit;
  Origin origin = Origin::kManual;
  std::string instrument;       // The equipment that sent it (kInstrument).
  std::string instrument_tag;   // Its tag.
  std::vector<int> from;        // kCalculated: the entries it was computed from.
  std::optional<int> corrects;  // The entry this one corrects (P11-05: the original stays).
  std::string reason;           // A correction's reason or an N/A's justification.
  std::string deviation;        // Raised by this entry's action-limit excursion.
  bool late = false;            // Recorded after its step was complete.
  Timestamp at;
  std::string by;
  std::string by_name;
  std::string terminal;
};

// The entries an event records, in order (a value and the calculations it completed).
Result<std::vector<EntryRecord>> EntriesOf(const ledger::Event& event,
                                           const ledger::PayloadReader& payload);
// The refused attempt an event records, if it is one.
Result<std::optional<Refusal>> RefusalOf(const ledger::Event& event,
                                         const ledger::PayloadReader& payload);
Json EntryToJson(const EntryRecord& entry);
Result<EntryRecord> EntryFromJson(const Json& json);
Json RefusalToJson(const Refusal& refusal);
Result<Refusal> RefusalFromJson(const Json& json);

// The other steps whose values a decision on `step` reads: those its calculations' and material
// quantities' formulas name ("activation.viable_cells" reads activation). A caller holding the
// batch's steps as summaries loads these whole.
std::vector<std::string> StepsReadBy(const recipes::Definition& recipe, const recipes::Step& step);

// What every decision is given.
struct Context {
  const BatchState* batch = nullptr;
  const recipes::Definition* recipe = nullptr;  // The control recipe.
  Timestamp now;
  ledger::Actor actor;
  std::string terminal;
  // The request's idempotency key and the SHA-256 of what it asked, written into every event
  // decided so that a retry finds the outcome and a key reused for another request is told apart
  // (empty: none).
  std::string request;
  std::string request_sha256;
  // The id of the next deviation raised ("DEV-2026-0012"); called once per deviation.
  std::function<std::string()> next_deviation;
};

// What a decision returns: the events to append together, and when the attempt was refused, the
// refusal they record (none for a released or rejected batch, whose record takes nothing more).
// The caller appends the events, then returns the refusal's error.
struct Decision {
  std::vector<ledger::NewEvent> events;
  std::optional<Refusal> refused;
  std::vector<int> entries;             // Entry numbers recorded.
  std::vector<std::string> deviations;  // Deviations raised.
  // The error to return after appending a refusal: kFailedPrecondition naming the refusal's field
  // (kPermissionDenied for training, as the training gate answers).
  Error RefusalError() const;
};

// --- Creating a batch ------------------------------------------------------------------------

// A value for a batch input, as sent.
struct InputValue {
  Json value;
  std::string unit;
};

struct BatchOrder {
  std::string id;  // BatchId, allocated by the caller.
  std::map<std::string, std::string> identifiers;
  std::map<std::string, InputValue> inputs;
  std::string starting_material;  // A lot id.
};

// The control recipe a batch is created from: an approved version effective now.
struct ControlRecipe {
  const recipes::Definition* definition = nullptr;
  int version = 0;
  std::string definition_sha256;
};

// Creates batch `order.id` (planned) from `recipe`, with its chain-of-identity identifiers, batch
// inputs and starting material (G-02, T-01, T-02). `starting_material` is the lot's state (nullptr:
// no such lot). Errors, nothing recorded: kAlreadyExists for an id in use; kInvalidArgument naming
// the field ("identifiers.patient_code", "inputs.body_weight", "starting_material") for a missing
// or undeclared identifier, a code that fails its format or check character, a missing, malformed
// or out-of-action-limits input, a lot whose material the recipe never uses; kNotFound (field
// "starting_material") for an unknown lot; kFailedPrecondition when the lot's donor or patient code
// is not the batch's chain-of-identity code, or the lot was rejected.
Result<Decision> CreateBatch(const Context& context, const BatchOrder& order,
                             const ControlRecipe& recipe,
                             const materials::LotState* starting_material);

// --- Executing steps -------------------------------------------------------------------------

// A scanned piece of equipment, with its state and the equipment check's answer for this batch
// now (the caller asked it for the equipment's own class).
struct EquipmentScan {
  const equipment::EquipmentState* state = nullptr;
  const environment::RoomState* room = nullptr;
  equipment::UseCheck check;
};

// Starts `step`. Refused (recorded) for a closed or held batch, a step not in the recipe's order
// yet (a predecessor not done, naming it), a step started already, the performer not qualified on
// the step's SOP now (`training`), a time rule into the step's start outside its window, an
// expiry passed, a scanned piece of equipment of a class the step does not need or that fails its
// check. The scanned equipment's uses start in its logbook (G-07). kNotFound (field "step") for a
// step not in the recipe.
Result<Decision> StartStep(const Context& context, std::string_view step,
                           const training::Qualification& training,
                           const std::vector<EquipmentScan>& equipment);

// Adds equipment to a step in progress (a second instrument, a replacement).
Result<Decision> AddEquipment(const Context& context, std::string_view step,
                              const training::Qualification& training, const EquipmentScan& scan);

// Scans the label of identifier `identifier` on a step that asks for it (T-01). A mismatch is
// refused and raises a deviation.
Result<Decision> ScanIdentity(const Context& context, std::string_view step,
                              const training::Qualification& training, std::string_view identifier,
                              std::string_view scanned);

// A value sent by an instrument: the equipment in use by the step and its tag (AL-02).
struct InstrumentSource {
  std::string equipment;
  std::string tag;
};

// Records a value of `parameter` on a step in progress. The value is judged against the limits:
// outside the alert limits it is flagged; outside the action limits a deviation is raised and the
// step awaits a supervisor's acknowledgement. Every calculation of the step whose inputs are now
// all present is computed and recorded in the same transaction (a calculation of earlier steps'
// values alone is computed when the step starts). kInvalidArgument (nothing recorded) for a
// malformed value (values.h), an unknown parameter (field "parameter"), a calculation (computed,
// never entered), an instrument not in use by the step or not of the parameter's source class and
// tag (field "instrument"); kFailedPrecondition (field "parameter") for a parameter with a value
// already: its entry is corrected instead.
Result<Decision> RecordValue(const Context& context, std::string_view step,
                             const training::Qualification& training, std::string_view parameter,
                             const InputValue& value,
                             const std::optional<InstrumentSource>& instrument);

// Corrects entry `original` (the value in force for its subject) with a new value and a reason
// (P11-05: the original stays and is shown beside the correction). Allowed until the batch is
// released or rejected; after its step is complete the correction is a late entry. Calculations
// computed from it are recomputed as corrections of theirs. kInvalidArgument for an empty reason
// (field "reason"), an entry that is not the one in force (field "entry": "entry 12 was corrected
// by entry 15; correct entry 15"), an N/A or calculated entry (a calculation is corrected through
// its inputs).
// `training`: the corrector's qualification on the step's SOP now.
Result<Decision> CorrectEntry(const Context& context, const EntryRecord& original,
                              const training::Qualification& training, const InputValue& value,
                              std::string_view reason);

// Marks `parameter` not applicable on a step in progress, with a justification (required, field
// "justification"). kInvalidArgument (field "parameter") for a parameter a calculation or a
// material quantity is computed from; kFailedPrecondition for one with a value already.
Result<Decision> MarkNotApplicable(const Context& context, std::string_view step,
                                   const training::Qualification& training,
                                   std::string_view parameter, std::string_view justification);

// A scanned lot: its state, its material and the point-of-use check's answer (G-08).
struct LotScan {
  const materials::LotState* lot = nullptr;
  const materials::MaterialState* material = nullptr;
  materials::UseCheck check;
  units::Unit unit;  // The unit the quantity was given in.
  double quantity = 0;
};

// Consumes a lot on a step in progress: a material of the step's bill of materials, passing the
// point-of-use check, with the running total within the line's quantity and tolerance (a formula
// quantity computed from the step's values now), and for a lot that carries a donor or patient
// code, the batch's own (T-01). The lot's consumption is recorded on the lot (genealogy).
Result<Decision> ConsumeMaterial(const Context& context, std::string_view step,
                                 const training::Qualification& training, const LotScan& scan);

// Records sampling point `sample` of a step in progress as taken, with the sample's label.
Result<Decision> TakeSample(const Context& context, std::string_view step,
                            const training::Qualification& training, std::string_view sample,
                            std::string_view label);

// Completes a step in progress once everything it asks is there: every required parameter entered
// or N/A, every calculation computed, each equipment class used, the bill of materials consumed
// within tolerance, the samples taken, the identities scanned, no excursion awaiting
// acknowledgement, its minimum duration reached, the time rules into its end within their windows
// and no expiry passed. Past its maximum duration it completes and raises a deviation. The
// equipment's uses end in their logbooks (`in_use`: the states of the step's equipment). A step
// that needs no second person is done; the batch is completed with its last step.
// `material_units`: the unit of each material of the step's bill of materials (material id ->
// "mL"), which formula quantities are computed in.
Result<Decision> CompleteStep(const Context& context, std::string_view step,
                              const training::Qualification& training,
                              const std::map<std::string, std::string>& material_units,
                              const std::vector<const equipment::EquipmentState*>& in_use);

// The batch's chain-of-identity code (T-02): the first identifier its control recipe declares of
// format coi_code, if any.
std::optional<std::string> CoiCode(const recipes::Definition& recipe, const BatchState& batch);

// Whether a lot may be recorded as made by `batch`: not once QA released or rejected it
// (kFailedPrecondition, field "batch"; G-04), and a product unit's `patient_code`, when given, is
// the batch's chain-of-identity code (kFailedPrecondition, field "patient_code"; T-02).
Status CheckLotMadeBy(const recipes::Definition& recipe, const BatchState& batch,
                      const std::optional<std::string>& patient_code);

// An event on batch `batch_id`'s stream by the context's actor at its terminal, carrying the
// request's idempotency key when it has one: every event a batch decision appends starts here.
ledger::NewEvent BatchEvent(const Context& context, std::string_view batch_id,
                            std::string_view type);

// The second person's verification, decided when they sign the step "verified" (A11-01): the
// signer performed nothing on it (kPermissionDenied), the step awaits verification
// (kFailedPrecondition). The batch is completed with its last step.
Result<Decision> VerifyStep(const Context& context, std::string_view step);

// A supervisor's acknowledgement of one action-limit excursion, deviation `deviation` of this
// batch, decided when they sign its batch_excursion record "approved" (G-05): the signature binds
// to the excursion, not to the step, so entries made after it leave it valid. kFailedPrecondition
// when the deviation awaits no acknowledgement in this batch; kPermissionDenied for a performer of
// its step. The step proceeds once none of its excursions awaits.
Result<Decision> AcknowledgeExcursion(const Context& context, std::string_view deviation);

// A supervisor's override of refused attempt `refusal`, decided when they sign it "approved" with a
// justification (required: kInvalidArgument, field "comment"): only an overridable refusal, not
// overridden already, of a batch still executing. Raises a deviation (a hold-time breach, an
// expiry, or an override of a minimum duration), and lifts the rule for the next attempt on the
// step.
Result<Decision> GrantOverride(const Context& context, const Refusal& refusal,
                               std::string_view justification);

// Puts a planned or in-progress batch on hold with a reason, and resumes it.
Result<Decision> PutOnHold(const Context& context, std::string_view reason);
Result<Decision> Resume(const Context& context, std::string_view comment);

}  // namespace aliquot::batches
