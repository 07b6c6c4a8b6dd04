// Deviations (21 CFR 211.100(b), 211.192; G-04, G-05): the quality event raised the moment the
// system sees a departure (a calibration found out of tolerance, an environmental excursion above
// its Annex 1 action limit; in a batch, a value beyond its action limit, a hold time breached, an
// expiry passed, an identity that does not match, an override, a step that ran too long), with
// what it touched: the equipment, the room, the batch and its step, the window of exposure and
// every batch that may be affected (211.192: the investigation extends to other batches).
// Numbered DEV-<year>-<nnnn> in the order raised. Its life: open -> assessed by QA (classification,
// impact on product, the batches affected; reassessed as often as needed, each assessment kept) ->
// closed by QA's electronic signature, meaning approved, with a justification.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::quality {

// Append only: events store the names, and a value's position is its name's.
enum class DeviationSource {
  kCalibration,
  kEnvironment,
  kActionLimit,
  kHoldTime,
  kExpiry,
  kIdentityMismatch,
  kOverride,
  kStepDuration,
};
// "calibration_out_of_tolerance", "environmental_excursion", "action_limit_excursion",
// "hold_time_breach", "expiry_passed", "identity_mismatch", "override", "step_duration_exceeded"
std::string_view DeviationSourceName(DeviationSource source);
std::optional<DeviationSource> DeviationSourceFromName(std::string_view name);

enum class DeviationStatus { kOpen, kAssessed, kClosed };
// "open", "assessed", "closed"
std::string_view DeviationStatusName(DeviationStatus status);

// QA's classification of a deviation by its risk to product quality.
enum class Classification { kMinor, kMajor, kCritical };
// "minor", "major", "critical"
std::string_view ClassificationName(Classification classification);
std::optional<Classification> ClassificationFromName(std::string_view name);

// What raised it and what it touched.
struct DeviationInput {
  DeviationSource source = DeviationSource::kCalibration;
  std::string title;        // "BAL-02 found out of tolerance at calibration"
  std::string description;  // The figures: the limits, the values.
  std::string equipment;    // Calibration: the instrument; its logbook entry.
  int equipment_entry = 0;
  std::string room;  // Excursion: the room; the location and sample.
  std::string location;
  std::string sample;
  // The window in which batches may have been affected, and the batches (sorted, distinct). A
  // deviation raised in a batch lists that one batch.
  std::optional<Timestamp> window_start;
  std::optional<Timestamp> window_end;
  std::vector<std::string> batches;
  // Batch execution: the step, what departed (the parameter, calculation, time rule, expiry clock
  // or identifier), the value as recorded ("78.2 %") and the limit it breached ("action low
  // 80 %"), and the batch record's entry (0 when none). Empty when raised elsewhere.
  std::string step;
  std::string subject;
  std::string value;
  std::string limit;
  int batch_entry = 0;
};

// QA's assessment (211.192, G-04): how serious the deviation is, its impact on product quality,
// its root cause when known, whether it needs an investigation, and the batches it affects.
struct DeviationAssessment {
  Classification classification = Classification::kMinor;
  std::string impact;      // Required, at most 4000 bytes.
  std::string root_cause;  // May be empty at assessment; at most 4000 bytes.
  bool investigation_required = false;
  // Sorted, distinct: the deviation's own batches and any others QA extends it to.
  std::vector<std::string> batches_affected;
};

// An assessment as recorded: by whom and when (server time).
struct RecordedAssessment {
  DeviationAssessment assessment;
  Timestamp assessed_at;
  std::string assessed_by;
};

struct DeviationState {
  bool exists = false;
  std::string id;
  DeviationInput details;
  DeviationStatus status = DeviationStatus::kOpen;
  Timestamp raised_at;
  std::string raised_by;
  // Every assessment, oldest first: the last one stands.
  std::vector<RecordedAssessment> assessments;
  // Set once closed: when, by whom (the QA approver who signed), and why.
  std::optional<Timestamp> closed_at;
  std::string closed_by;
  std::string closing_justification;

  // The assessment that stands, or nullptr before the first.
  const RecordedAssessment* LatestAssessment() const;
  // The batches it may affect: the latest assessment's, or the batches it was raised with.
  const std::vector<std::string>& BatchesAffected() const;
};

// "DEV-2026-0007": the `number`th deviation raised in `year`.
std::string DeviationId(int year, int number);
ledger::StreamRef DeviationStream(std::string_view deviation_id);

// Raises deviation `id` (its stream must be new; kAlreadyExists otherwise). The event is an alert.
// The batch execution members are written only when set, so a deviation raised elsewhere keeps
// the event shape it always had.
Result<ledger::NewEvent> RaiseDeviation(const DeviationState& state, std::string_view id,
                                        const DeviationInput& input, const ledger::Actor& actor,
                                        std::string_view terminal);

// Records QA's assessment of an open or assessed deviation (G-04, G-05; 211.192); a later one
// replaces it as the one that stands, and both are kept. The batches affected recorded are the
// deviation's own and those `assessment` lists, sorted and distinct. Returns kNotFound (field
// "deviation_id") when the deviation does not exist, kFailedPrecondition (field "status") when it
// is closed, kInvalidArgument naming the field for an unknown classification, an impact empty or
// over 4000 bytes, a root cause over 4000 bytes, or a batch id that is not 1-64 bytes of one line
// (at most 1000 batches).
Result<ledger::NewEvent> AssessDeviation(const DeviationState& state,
                                         const DeviationAssessment& assessment,
                                         const ledger::Actor& actor, std::string_view terminal);

// The event closing the deviation: the consequence of QA's signature meaning approved, whose
// comment `justification` is (G-05: the deviation is justified). Returns kNotFound (field
// "deviation_id") when it does not exist, kFailedPrecondition (field "status") when it is open
// (assess it first) or already closed, kFailedPrecondition (field "investigation_required") when
// the latest assessment asks for an investigation, kInvalidArgument (field "comment") for a
// justification empty or over 1000 bytes (the signature's comment). The state records the closing
// event's server time and actor as closed_at and closed_by.
Result<ledger::NewEvent> CloseDeviation(const DeviationState& state, std::string_view justification,
                                        const ledger::Actor& actor, std::string_view terminal);

// What QA signs when closing: what was raised and the assessment that stands. Not the status or
// the closure, which the signature itself brings about, so the signature stays valid for the
// closed deviation (decision 0006).
Json DeviationContent(const DeviationState& deviation);

// Folds one of the deviation's events. Returns kDataLoss for an event of another kind or one the
// state does not take (a second raise, an assessment after closure).
Status ApplyDeviationEvent(DeviationState& state, const ledger::Event& event);
Json DeviationToJson(const DeviationState& deviation);
Result<DeviationState> DeviationFromJson(const Json& json);

}  // namespace aliquot::quality
