// BatchService: electronic batch records (21 CFR 211.188, 211.192; G-02 to G-05; P11-05, P11-06;
// A11-01, A11-04; T-01 to T-03; AL-01 to AL-03). Batches are created from the master batch record
// version effective now; every action on a step is decided by the domain (domain/batches) on one
// snapshot holding the batch, its control recipe and the facts of the other areas at this moment
// (the operator's training on the step's SOP, the equipment check, the point-of-use check), and
// appended with the logbook uses, lot consumptions and deviations it brings in one transaction. A
// refused attempt is recorded and returned as an error. Every action may carry an idempotency key:
// a retry with the same key and request is answered with the first outcome and records nothing.
// Signatures close the loop: "batch_step" (<batch>:<step>) verified by a second person,
// "batch_excursion" (<batch>:<deviation>) approved by a supervisor acknowledging one action-limit
// excursion, "batch_override" (<batch>:<refusal>) approved by a supervisor, "batch" (<batch>)
// released or rejected by QA.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/batch_records.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/mutex.h"
#include "aliquot/core/thread_annotations.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::app {

// A request's idempotency key (empty: none) and the SHA-256 of the request it came with (method,
// target and body), so that a key reused for another request is refused.
struct IdempotencyKey {
  std::string key;
  std::string request_sha256;
};

struct CreateBatchInput {
  std::string master_batch_record;
  std::map<std::string, std::string> identifiers;
  std::map<std::string, batches::InputValue> inputs;
  std::string starting_material;
};

// What an action brought about (or, for a retry, had brought about).
struct ActionOutcome {
  std::string batch;
  std::vector<int> entries;
  std::vector<std::string> deviations;
  bool replayed = false;  // A retry answered from the record.
};

// A batch with its control recipe.
struct BatchView {
  batches::BatchState state;
  std::shared_ptr<const recipes::Definition> recipe;
};

// The executed batch record (G-03; P11-02 a complete copy): every line in order, the entries, the
// refused attempts, the exceptions with their reviews, the deviations as they stand and every
// signature on the batch and its steps (P11-11: name, time, meaning).
struct ExecutedRecord {
  BatchView batch;
  std::vector<BatchLine> lines;
  std::vector<batches::EntryRecord> entries;
  std::vector<batches::Refusal> refusals;
  std::vector<batches::BatchException> exceptions;
  // Those raised in the batch, in the order raised, then those QA's assessment extended to it.
  std::vector<quality::DeviationState> deviations;
  std::vector<identity::ElectronicSignature> signatures;
};

struct BatchListFilter {
  std::optional<batches::BatchStatus> status;
  std::string master_batch_record;
};

// Record types: "batch_step", "batch_excursion", "batch_override", "batch".
SignableRecord BatchStepRecord();
SignableRecord BatchExcursionRecord();
SignableRecord BatchOverrideRecord();
SignableRecord BatchDispositionRecord();

class BatchService {
 public:
  BatchService(Store& store, Clock& clock, SessionService& sessions, SignatureService& signatures);

  // batch.create: a batch of `input.master_batch_record` at its version effective now.
  Result<ActionOutcome> Create(const RequestContext& context, const CreateBatchInput& input,
                               const IdempotencyKey& key);

  // batch.view.
  Result<std::vector<batches::BatchState>> List(const RequestContext& context,
                                                const BatchListFilter& filter);
  Result<BatchView> Get(const RequestContext& context, const std::string& id);
  Result<ExecutedRecord> Record(const RequestContext& context, const std::string& id);
  Result<std::vector<batches::BatchException>> Exceptions(const RequestContext& context,
                                                          const std::string& id);

  // batch.execute. Each returns the domain's refusal as an error once the refused attempt is
  // recorded, and kNotFound (field "batch") for an unknown batch.
  Result<ActionOutcome> StartStep(const RequestContext& context, const std::string& batch,
                                  const std::string& step,
                                  const std::vector<std::string>& equipment,
                                  const IdempotencyKey& key);
  Result<ActionOutcome> AddEquipment(const RequestContext& context, const std::string& batch,
                                     const std::string& step, const std::string& equipment,
                                     const IdempotencyKey& key);
  Result<ActionOutcome> ScanIdentity(const RequestContext& context, const std::string& batch,
                                     const std::string& step, const std::string& identifier,
                                     const std::string& scanned, const IdempotencyKey& key);
  Result<ActionOutcome> RecordValue(const RequestContext& context, const std::string& batch,
                                    const std::string& step, const std::string& parameter,
                                    const batches::InputValue& value,
                                    const std::optional<batches::InstrumentSource>& instrument,
                                    const IdempotencyKey& key);
  Result<ActionOutcome> CorrectEntry(const RequestContext& context, const std::string& batch,
                                     int entry, const batches::InputValue& value,
                                     const std::string& reason, const IdempotencyKey& key);
  Result<ActionOutcome> MarkNotApplicable(const RequestContext& context, const std::string& batch,
                                          const std::string& step, const std::string& parameter,
                                          const std::string& justification,
                                          const IdempotencyKey& key);
  // `scanned`: a lot label ("L-1" or a container "L-1/2"); `quantity` in `unit`.
  Result<ActionOutcome> ConsumeMaterial(const RequestContext& context, const std::string& batch,
                                        const std::string& step, const std::string& scanned,
                                        double quantity, const std::string& unit,
                                        const IdempotencyKey& key);
  Result<ActionOutcome> TakeSample(const RequestContext& context, const std::string& batch,
                                   const std::string& step, const std::string& sample,
                                   const std::string& label, const IdempotencyKey& key);
  Result<ActionOutcome> CompleteStep(const RequestContext& context, const std::string& batch,
                                     const std::string& step, const IdempotencyKey& key);

  // batch.supervise.
  Result<ActionOutcome> Hold(const RequestContext& context, const std::string& batch,
                             const std::string& reason, const IdempotencyKey& key);
  Result<ActionOutcome> Resume(const RequestContext& context, const std::string& batch,
                               const std::string& comment, const IdempotencyKey& key);

  // batch.review.
  Result<ActionOutcome> StartReview(const RequestContext& context, const std::string& batch,
                                    const IdempotencyKey& key);
  Result<ActionOutcome> ReviewException(const RequestContext& context, const std::string& batch,
                                        const std::string& exception, const std::string& comment,
                                        const IdempotencyKey& key);

  // The batch and its control recipe in the caller's snapshot: kNotFound (field "batch").
  // Approved definitions never change, so the recipe is parsed once per version and shared.
  static Result<BatchView> LoadIn(StoreReader& reader, const std::string& id);
  // The same with the batch's steps summarised but `step` and the steps its formulas read, which
  // are whole: what an action on one step decides on (batches::BatchHeaderToJson).
  static Result<BatchView> LoadForStepIn(StoreReader& reader, const std::string& id,
                                         const std::optional<std::string>& step);

  Timestamp Now() const;

 private:
  Store& store_;
  Clock& clock_;
  SessionService& sessions_;
  SignatureService& signatures_;
};

}  // namespace aliquot::app
