// Review by exception and disposition (21 CFR 211.192, G-04; A11-04): the system records, as the
// batch runs, everything a reviewer must look at (values outside limits, corrections, N/A,
// overrides, late entries, hold-time breaches, refused attempts, deviations), so that QA reviews a
// short list instead of reading every page; QA records each exception as reviewed, and releases
// or rejects the batch by e-signature. Release is refused while any deviation is open or any
// exception unreviewed; the released record is closed to every change.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::batches {

enum class ExceptionKind {
  kAlertLimit,        // A value outside its alert limits.
  kActionLimit,       // A value outside its action limits (a deviation).
  kCorrection,        // A value corrected (the original beside it).
  kNotApplicable,     // A parameter marked N/A, with its justification.
  kOverride,          // A supervisor's override of a refused attempt.
  kLateEntry,         // A correction recorded after its step was complete.
  kHoldTimeBreach,    // A hold time or expiry overridden.
  kDurationExceeded,  // A step past its maximum duration.
  kRefusedAttempt,    // An attempt the rules refused.
  kDeviation,         // A deviation the batch raised (its status shown as it stands).
};
std::string_view ExceptionKindName(ExceptionKind kind);  // "action_limit", ...
std::optional<ExceptionKind> ExceptionKindFromName(std::string_view name);

// One exception: what a reviewer must look at, keyed by what it is about ("entry:12",
// "refusal:3", "override:3", "step:expansion", "deviation:DEV-2026-0004").
struct BatchException {
  std::string key;
  std::vector<ExceptionKind> kinds;
  std::string step;
  std::string summary;  // "viability 78.2 % below action low 80 % (entry 12); DEV-2026-0004"
  Timestamp at;
  // Set once QA recorded it as reviewed.
  std::optional<Timestamp> reviewed_at;
  std::string reviewed_by;
  std::string review_comment;
};

// The exceptions an event records (none for most), in order.
Result<std::vector<BatchException>> ExceptionsOf(const ledger::Event& event,
                                                 const ledger::PayloadReader& payload);
// The review an event records, if it is one: the key and who reviewed it.
struct ExceptionReview {
  std::string key;
  Timestamp at;
  std::string by;
  std::string comment;
};
Result<std::optional<ExceptionReview>> ReviewOf(const ledger::Event& event,
                                                const ledger::PayloadReader& payload);
Json ExceptionToJson(const BatchException& exception);
Result<BatchException> ExceptionFromJson(const Json& json);

// What QA certifies when it releases or rejects the batch (A11-04), and what its signature's hash
// covers: the record's content (identity, control recipe, inputs, every step's values, who did and
// verified each step, the deviations and the number of exceptions), without its workflow (status,
// holds, reviews, disposition), so that the signature stays valid for the record it certified
// once the disposition is recorded (11.70).
Json DispositionContent(const BatchState& state);

// QA starts the review of a completed batch: under review.
Result<Decision> StartReview(const Context& context);

// QA records exception `key` as reviewed, with an optional comment. kNotFound (field "exception")
// for a key with no exception awaiting review (none such, or reviewed already: the list tells
// which); kFailedPrecondition when the batch is not under review.
Result<Decision> ReviewException(const Context& context, std::string_view key,
                                 std::string_view comment);

// QA's release or rejection, decided when they sign the batch "released" or "rejected" (A11-04).
// Release: the batch is under review, every exception reviewed and no deviation open
// (`open_deviations`: the batch's deviations not closed, as they stand now, each as the refusal
// names it: "DEV-2026-0004 (assessed)"), the first ten unreviewed exceptions and every open
// deviation named in the refusal. Rejection: under review or on hold. Errors:
// kFailedPrecondition for a state that does not take the disposition.
enum class DispositionKind { kRelease, kReject };
Result<Decision> Dispose(const Context& context, DispositionKind kind,
                         const std::vector<std::string>& open_deviations, std::string_view comment);

}  // namespace aliquot::batches
