#include "aliquot/app/batch_service.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <iterator>
#include <set>
#include <utility>

#include "aliquot/app/environment_records.h"
#include "aliquot/app/equipment_records.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/material_records.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/recipe_records.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/training_service.h"
#include "aliquot/app/use_case.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/text.h"

namespace aliquot::app {
namespace {

using batches::BatchState;
using batches::Decision;
using identity::Action;
using identity::Meaning;

// Approved definitions by content hash: they never change, so each is parsed once per process
// and shared by every batch executing it.
class RecipeCache {
 public:
  std::shared_ptr<const recipes::Definition> Find(const std::string& sha256) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    const auto found = definitions_.find(sha256);
    return found == definitions_.end() ? nullptr : found->second;
  }
  void Add(const std::string& sha256, std::shared_ptr<const recipes::Definition> definition)
      EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    definitions_.emplace(sha256, std::move(definition));
  }

 private:
  Mutex mutex_;
  std::map<std::string, std::shared_ptr<const recipes::Definition>> definitions_ GUARDED_BY(mutex_);
};

RecipeCache& Recipes() {
  static RecipeCache cache;
  return cache;
}

Result<std::shared_ptr<const recipes::Definition>> ControlRecipeOf(StoreReader& reader,
                                                                   const BatchState& batch) {
  if (auto cached = Recipes().Find(batch.definition_sha256)) return cached;
  ALIQUOT_ASSIGN_OR_RETURN(recipes::Definition definition,
                           LoadDefinition(reader, batch.master_batch_record, batch.version));
  // G-02: the control recipe is the approved text, byte for byte; a definition that no longer
  // hashes to what the batch was created from is not that text.
  if (Sha256::Of(CanonicalJson(recipes::DefinitionToJson(definition))).Hex() !=
      batch.definition_sha256) {
    return Unexpected(DataLoss("batch " + batch.id + ": " + batch.master_batch_record +
                               " version " + std::to_string(batch.version) +
                               " does not hash to the control recipe's SHA-256"));
  }
  auto shared = std::make_shared<const recipes::Definition>(std::move(definition));
  Recipes().Add(batch.definition_sha256, shared);
  return shared;
}

// Deviation numbers given out within one decision, continuing the year's count in the snapshot.
// Two decisions racing for a number both expect the new deviation's stream to be empty, so the
// second decides again.
class DeviationNumbers {
 public:
  DeviationNumbers(int year, int raised) : year_(year), next_(raised + 1) {}
  std::string Next() { return quality::DeviationId(year_, next_++); }

 private:
  int year_;
  int next_;
};

int YearOf(Timestamp time) { return std::stoi(time.ToRfc3339().substr(0, 4)); }

Status CheckKey(const IdempotencyKey& key) {
  if (key.key.empty()) return {};
  const bool printable =
      std::all_of(key.key.begin(), key.key.end(), [](char c) { return c > ' ' && c < 127; });
  if (key.key.size() > 128 || !printable) {
    return Unexpected(InvalidArgument(
        "an idempotency key is 1-128 printable characters without spaces (a UUID will do)",
        "Idempotency-Key"));
  }
  return {};
}

// The error a recorded refusal answered with, for a retry of the refused request.
Error ReplayedRefusal(const batches::Refusal& refusal) {
  Decision decision;
  decision.refused = refusal;
  return decision.RefusalError();
}

// The equipment a step scanned, with its state, room and the equipment check for the batch now.
struct ScannedEquipment {
  equipment::EquipmentState state;
  environment::RoomState room;
  equipment::UseCheck check;
};

Result<ScannedEquipment> ScanEquipment(StoreReader& reader, const BatchView& view,
                                       const std::string& id, Timestamp now) {
  ALIQUOT_RETURN_IF_ERROR(CheckLine(id, "equipment", 1, 64));
  ScannedEquipment scanned;
  ALIQUOT_ASSIGN_OR_RETURN(scanned.state, LoadEquipment(reader, id));
  if (!scanned.state.exists) {
    return Unexpected(NotFound("no equipment " + id.substr(0, 64), "equipment"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(scanned.room, LoadRoom(reader, scanned.state.definition.room));
  equipment::UseRequest request;
  // The check for the equipment's own class: whether the step needs that class is the batch's rule.
  request.required_class = scanned.state.definition.equipment_class;
  request.batch = view.state.id;
  request.product = view.state.product;
  request.patient_code = batches::CoiCode(*view.recipe, view.state).value_or("");
  request.at = now;
  ALIQUOT_ASSIGN_OR_RETURN(scanned.check,
                           equipment::CheckUse(scanned.state, scanned.room, request));
  return scanned;
}

Result<training::Qualification> TrainingFor(StoreReader& reader, const RequestContext& context,
                                            const recipes::Definition& recipe,
                                            const std::string& step, Timestamp now) {
  const recipes::Step* definition = recipe.FindStep(step);
  if (definition == nullptr) {
    return Unexpected(NotFound(
        "step '" + step.substr(0, 64) + "' is not in " + recipe.master_batch_record, "step"));
  }
  return TrainingService::QualificationIn(reader, context.principal.user_id, definition->sop, now);
}

// The id of a batch_step record: "<batch>:<step>".
std::optional<std::pair<std::string, std::string>> SplitRecordId(const std::string& id) {
  const std::size_t colon = id.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == id.size()) return std::nullopt;
  return std::make_pair(id.substr(0, colon), id.substr(colon + 1));
}

// "12" in a batch_override id: the refusal's number, or 0.
int RefusalNumber(std::string_view text) {
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  return error == std::errc() && end == text.data() + text.size() && number > 0 ? number : 0;
}

// The lots batch `id` made (its product units): where its genealogy node leads.
Result<std::vector<std::string>> ProductUnitsOf(StoreReader& reader, const std::string& id) {
  std::vector<std::string> units;
  Status parsed;
  ALIQUOT_RETURN_IF_ERROR(
      GenealogyEdges(reader)(materials::BatchNode(id), materials::Direction::kForward,
                             [&](const materials::GenealogyEdge& edge) {
                               Result<materials::NodeRef> child = materials::ParseNode(edge.child);
                               if (!child) {
                                 parsed = Unexpected(child.error());
                               } else if (child->kind == "lot") {
                                 units.push_back(child->id);
                               }
                             }));
  ALIQUOT_RETURN_IF_ERROR(parsed);
  return units;
}

// What signing a batch record decides: the domain's decision in the signing snapshot, its
// refusals returned as they are.
Result<std::vector<ledger::NewEvent>> SignedDecision(
    StoreReader& reader, const Signing& signing, const std::string& batch_id,
    const std::function<Result<Decision>(const batches::Context&, const BatchView&, StoreReader&)>&
        decide) {
  ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, BatchService::LoadIn(reader, batch_id));
  ALIQUOT_ASSIGN_OR_RETURN(const int raised, DeviationsRaisedIn(reader, YearOf(signing.now)));
  DeviationNumbers numbers(YearOf(signing.now), raised);
  batches::Context context;
  context.batch = &view.state;
  context.recipe = view.recipe.get();
  context.now = signing.now;
  context.actor = signing.context->Actor();
  context.terminal = signing.context->terminal.id;
  context.next_deviation = [&numbers] { return numbers.Next(); };
  ALIQUOT_ASSIGN_OR_RETURN(Decision decision, decide(context, view, reader));
  return std::move(decision.events);
}

// Where `deviation` stands among those `batch` raised itself: its size for one raised elsewhere.
std::size_t RaisedAt(const BatchState& batch, const quality::DeviationState& deviation) {
  return static_cast<std::size_t>(
      std::find(batch.deviations.begin(), batch.deviations.end(), deviation.id) -
      batch.deviations.begin());
}

// The deviations of a batch (G-04), those raised in it first, in the order raised, then those
// raised elsewhere that list it or that QA's assessment extended to it, by id. One index range
// holds them all: a deviation raised in a batch lists it, and an assessment never drops a batch.
Result<std::vector<quality::DeviationState>> DeviationsOfBatch(StoreReader& reader,
                                                               const BatchState& batch,
                                                               DeviationFilter filter) {
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<quality::DeviationState> deviations,
                           LoadDeviationsOfBatch(reader, batch.id, filter));
  std::stable_sort(deviations.begin(), deviations.end(),
                   [&batch](const quality::DeviationState& a, const quality::DeviationState& b) {
                     return RaisedAt(batch, a) < RaisedAt(batch, b);
                   });
  return deviations;
}

// The consequences of signing a "<batch>:<part>" record: `decide` on the part (a step, a
// deviation), in the signing snapshot. kNotFound ("record_id") for an id without both halves.
std::function<Result<std::vector<ledger::NewEvent>>(StoreReader&, const Signing&)> OnPartOfBatch(
    std::string what, Result<Decision> (*decide)(const batches::Context&, std::string_view)) {
  return [what = std::move(what), decide](
             StoreReader& reader, const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    const auto parts = SplitRecordId(signing.record.id);
    if (!parts) return Unexpected(NotFound("no such " + what, "record_id"));
    return SignedDecision(reader, signing, parts->first,
                          [&](const batches::Context& context, const BatchView&, StoreReader&) {
                            return decide(context, parts->second);
                          });
  };
}

// The content a signer of a step is shown: its entries, values, corrections and the deviations
// they raised. Its workflow (status, awaiting acknowledgement) stays out, so that a verification
// stays valid once the step is done; a later correction changes the content, and the verification
// then shows as made for what the step said before (11.70).
Result<std::optional<RecordContent>> StepContent(StoreReader& reader, const std::string& id) {
  const auto parts = SplitRecordId(id);
  if (!parts) return std::optional<RecordContent>();
  ALIQUOT_ASSIGN_OR_RETURN(const BatchState batch,
                           LoadBatchWith(reader, parts->first, {parts->second}));
  const batches::StepExecution* step = batch.exists ? batch.Step(parts->second) : nullptr;
  if (step == nullptr) return std::optional<RecordContent>();
  RecordContent content;
  Json json = Json::MakeObject();
  json.Set("batch", batch.id);
  json.Set("step", parts->second);
  // The step's own row: its values in force (each naming its entry, so a correction changes the
  // content), equipment, scans, consumption and samples; read in one row, whatever the batch's
  // size.
  Json execution = batches::StepExecutionToJson(*step);
  for (auto& [name, value] : execution.AsObject()) {
    if (name == "status" || name == "completed_at" || name == "completed_by" ||
        name == "verified_at" || name == "verified_by" || name == "performers" ||
        name == "awaiting_acknowledgement") {
      continue;
    }
    json.Set(name, std::move(value));
  }
  content.content = std::move(json);
  content.authors.assign(step->performers.begin(), step->performers.end());
  content.streams = {batches::BatchStream(batch.id)};
  return std::optional<RecordContent>(std::move(content));
}

}  // namespace

SignableRecord BatchStepRecord() {
  SignableRecord record;
  record.read = StepContent;
  record.view_action = Action::kViewBatches;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kVerified) return Action::kVerifyBatchStep;
    return std::nullopt;
  };
  record.consequences = OnPartOfBatch("step", batches::VerifyStep);
  return record;
}

SignableRecord BatchExcursionRecord() {
  SignableRecord record;
  // G-05: what the supervisor acknowledges is the excursion as it was raised: the entry, its value
  // and the limit it breached, and the deviation. Nothing recorded later changes it, so the
  // signature stays bound to what it was made for.
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    const auto parts = SplitRecordId(id);
    if (!parts) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const quality::DeviationState deviation,
                             LoadDeviation(reader, parts->second));
    const std::vector<std::string>& batches = deviation.details.batches;
    if (!deviation.exists || deviation.details.source != quality::DeviationSource::kActionLimit ||
        std::find(batches.begin(), batches.end(), parts->first) == batches.end()) {
      return std::optional<RecordContent>();
    }
    RecordContent content;
    Json json = Json::MakeObject();
    json.Set("batch", parts->first);
    json.Set("deviation", deviation.id);
    json.Set("step", deviation.details.step);
    json.Set("parameter", deviation.details.subject);
    json.Set("value", deviation.details.value);
    json.Set("limit", deviation.details.limit);
    json.Set("entry", deviation.details.batch_entry);
    json.Set("raised_at", deviation.raised_at.ToRfc3339());
    json.Set("raised_by", deviation.raised_by);
    content.content = std::move(json);
    content.authors = {deviation.raised_by};
    content.streams = {batches::BatchStream(parts->first)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewBatches;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kApproved) return Action::kSuperviseBatch;
    return std::nullopt;
  };
  record.consequences = OnPartOfBatch("excursion", batches::AcknowledgeExcursion);
  return record;
}

SignableRecord BatchOverrideRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    const auto parts = SplitRecordId(id);
    if (!parts) return std::optional<RecordContent>();
    const int number = RefusalNumber(parts->second);
    if (number <= 0) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<batches::Refusal> refusal,
                             LoadRefusal(reader, parts->first, number));
    if (!refusal) return std::optional<RecordContent>();
    RecordContent content;
    content.content = batches::RefusalToJson(*refusal);
    content.content.Set("batch", parts->first);
    content.authors = {refusal->by};
    content.streams = {batches::BatchStream(parts->first)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewBatches;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kApproved) return Action::kSuperviseBatch;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    const auto parts = SplitRecordId(signing.record.id);
    if (!parts) return Unexpected(NotFound("no such refusal", "record_id"));
    const int number = RefusalNumber(parts->second);
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<batches::Refusal> refusal,
                             LoadRefusal(reader, parts->first, number));
    if (!refusal) return Unexpected(NotFound("no such refusal", "record_id"));
    return SignedDecision(reader, signing, parts->first,
                          [&](const batches::Context& context, const BatchView&, StoreReader&) {
                            return batches::GrantOverride(context, *refusal,
                                                          signing.comment.value_or(""));
                          });
  };
  return record;
}

SignableRecord BatchDispositionRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const BatchState batch, LoadBatch(reader, id));
    if (!batch.exists) return std::optional<RecordContent>();
    RecordContent content;
    // A11-04: QA certifies this record, as it stands: its state and every exception reviewed.
    content.content = batches::DispositionContent(batch);
    content.streams = {batches::BatchStream(id)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewBatches;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kReleased || meaning == Meaning::kRejected) {
      return Action::kDisposeBatch;
    }
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    return SignedDecision(
        reader, signing, signing.record.id,
        [&](const batches::Context& context, const BatchView& view,
            StoreReader& snapshot) -> Result<Decision> {
          // G-04: a batch waits for every deviation raised in it, and for every one that may
          // affect it (an equipment or room deviation listing it, or one QA extended to it).
          ALIQUOT_ASSIGN_OR_RETURN(
              const std::vector<quality::DeviationState> not_closed,
              DeviationsOfBatch(snapshot, view.state, DeviationFilter::kNotClosed));
          std::vector<std::string> open;
          open.reserve(not_closed.size());
          for (const quality::DeviationState& deviation : not_closed) {
            open.push_back(deviation.id + " (" +
                           std::string(quality::DeviationStatusName(deviation.status)) + ")");
          }
          const bool release = signing.meaning == Meaning::kReleased;
          ALIQUOT_ASSIGN_OR_RETURN(Decision decision,
                                   batches::Dispose(context,
                                                    release ? batches::DispositionKind::kRelease
                                                            : batches::DispositionKind::kReject,
                                                    open, signing.comment.value_or("")));
          // G-04: the batch's product units leave quarantine with it, or are rejected with it,
          // in the same transaction.
          ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> units,
                                   ProductUnitsOf(snapshot, view.state.id));
          for (const std::string& unit : units) {
            ALIQUOT_ASSIGN_OR_RETURN(const materials::LotState lot, LoadLot(snapshot, unit));
            ALIQUOT_ASSIGN_OR_RETURN(const materials::MaterialState material,
                                     LoadMaterial(snapshot, lot.material));
            if (!release && lot.Status() == materials::LotStatus::kRejected) continue;
            ALIQUOT_ASSIGN_OR_RETURN(
                ledger::NewEvent event,
                materials::DisposeWithBatch(lot, material, view.state.id, release,
                                            signing.comment.value_or(""), context.now,
                                            context.actor, context.terminal));
            decision.events.push_back(std::move(event));
          }
          return decision;
        });
  };
  return record;
}

BatchService::BatchService(Store& store, Clock& clock, SessionService& sessions,
                           SignatureService& signatures)
    : store_(store), clock_(clock), sessions_(sessions), signatures_(signatures) {}

Timestamp BatchService::Now() const { return clock_.Now(); }

Result<BatchView> BatchService::LoadIn(StoreReader& reader, const std::string& id) {
  BatchView view;
  ALIQUOT_ASSIGN_OR_RETURN(view.state, LoadBatch(reader, id));
  if (!view.state.exists) return Unexpected(NotFound("no batch " + id.substr(0, 64), "batch"));
  ALIQUOT_ASSIGN_OR_RETURN(view.recipe, ControlRecipeOf(reader, view.state));
  return view;
}

Result<BatchView> BatchService::LoadForStepIn(StoreReader& reader, const std::string& id,
                                              const std::optional<std::string>& step) {
  BatchView view;
  ALIQUOT_ASSIGN_OR_RETURN(view.state, LoadBatchHeader(reader, id));
  if (!view.state.exists) return Unexpected(NotFound("no batch " + id.substr(0, 64), "batch"));
  ALIQUOT_ASSIGN_OR_RETURN(view.recipe, ControlRecipeOf(reader, view.state));
  if (!step) return view;
  const recipes::Step* definition = view.recipe->FindStep(*step);
  if (definition == nullptr) return view;  // The decision names the unknown step.
  std::vector<std::string> steps = batches::StepsReadBy(*view.recipe, *definition);
  steps.push_back(*step);
  // The header is read once: only the steps' rows are added to it.
  ALIQUOT_RETURN_IF_ERROR(LoadStepsInto(reader, view.state, steps));
  return view;
}

namespace {

// Runs one batch action: authorise; answer a retry from the record; otherwise decide on one
// snapshot (the batch, its control recipe and what `decide` reads of the other areas) and append
// what the domain decided, refusals included; then return the refusal as the error.
template <typename Decide>
Result<ActionOutcome> Execute(Store& store, Clock& clock, SessionService& sessions,
                              const RequestContext& context, Action action,
                              const std::string& batch_id, const IdempotencyKey& key,
                              Decide decide) {
  ALIQUOT_RETURN_IF_ERROR(CheckKey(key));
  const Timestamp now = clock.Now();
  std::optional<Decision> decided;
  std::optional<ActionOutcome> replayed;
  std::optional<Error> replayed_error;
  std::string created;
  const auto appended = RunUseCase(
      store, sessions, context, action,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        decided.reset();
        replayed.reset();
        replayed_error.reset();
        if (!key.key.empty()) {
          ALIQUOT_ASSIGN_OR_RETURN(const std::optional<RequestOutcome> outcome,
                                   LoadRequestOutcome(reader, key.key));
          if (outcome) {
            if (outcome->request_sha256 != key.request_sha256 ||
                (!batch_id.empty() && outcome->batch != batch_id)) {
              replayed_error =
                  FailedPrecondition("idempotency key " + key.key +
                                         " was used for another request; use a new key "
                                         "for a new request",
                                     "Idempotency-Key");
              return std::vector<ledger::NewEvent>();
            }
            if (outcome->refusal) {
              ALIQUOT_ASSIGN_OR_RETURN(const std::optional<batches::Refusal> refusal,
                                       LoadRefusal(reader, outcome->batch, *outcome->refusal));
              if (!refusal) {
                return Unexpected(DataLoss("request " + key.key + ": refusal " +
                                           std::to_string(*outcome->refusal) + " is missing"));
              }
              replayed_error = ReplayedRefusal(*refusal);
              return std::vector<ledger::NewEvent>();
            }
            replayed = ActionOutcome{outcome->batch, outcome->entries, outcome->deviations, true};
            return std::vector<ledger::NewEvent>();
          }
        }
        ALIQUOT_ASSIGN_OR_RETURN(const int raised, DeviationsRaisedIn(reader, YearOf(now)));
        DeviationNumbers numbers(YearOf(now), raised);
        batches::Context decision_context;
        decision_context.now = now;
        decision_context.actor = context.Actor();
        decision_context.terminal = context.terminal.id;
        decision_context.request = key.key;
        decision_context.request_sha256 = key.request_sha256;
        decision_context.next_deviation = [&numbers] { return numbers.Next(); };
        ALIQUOT_ASSIGN_OR_RETURN(Decision decision, decide(reader, decision_context, created));
        std::vector<ledger::NewEvent> events = decision.events;
        decided = std::move(decision);
        return events;
      });
  if (!appended) return Unexpected(appended.error());
  if (replayed_error) return Unexpected(*replayed_error);
  if (replayed) return *replayed;
  if (decided->refused) return Unexpected(decided->RefusalError());
  return ActionOutcome{batch_id.empty() ? created : batch_id, decided->entries, decided->deviations,
                       false};
}

}  // namespace

namespace {

// What an action reads of the batch: its header only, the header with one step (and the steps its
// formulas read) whole, or the whole batch.
struct Scope {
  enum class Kind { kHeader, kStep, kWhole };
  Kind kind = Kind::kHeader;
  std::string step;
  static Scope Header() { return {}; }
  static Scope Step(std::string step) { return {Kind::kStep, std::move(step)}; }
  static Scope Whole() { return {Kind::kWhole, {}}; }
};

// An action on an existing batch: `decide(reader, context, view)` with the batch (as `scope` says)
// and its control recipe loaded in the snapshot.
template <typename Decide>
Result<ActionOutcome> OnBatch(Store& store, Clock& clock, SessionService& sessions,
                              const RequestContext& context, Action action,
                              const std::string& batch, const IdempotencyKey& key,
                              const Scope& scope, Decide decide) {
  return Execute(
      store, clock, sessions, context, action, batch, key,
      [&](StoreReader& reader, batches::Context& decision_context,
          std::string& /*created*/) -> Result<Decision> {
        Result<BatchView> loaded =
            scope.kind == Scope::Kind::kWhole
                ? BatchService::LoadIn(reader, batch)
                : BatchService::LoadForStepIn(reader, batch,
                                              scope.kind == Scope::Kind::kStep
                                                  ? std::optional<std::string>(scope.step)
                                                  : std::nullopt);
        ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, std::move(loaded));
        decision_context.batch = &view.state;
        decision_context.recipe = view.recipe.get();
        return decide(reader, static_cast<const batches::Context&>(decision_context), view);
      });
}

}  // namespace

namespace {

// An action on one step by the caller: `decide(reader, context, view, training)` with the step
// (and the steps its formulas read) loaded whole, and the caller's qualification on the step's
// SOP now (G-11), which every step action checks.
template <typename Decide>
Result<ActionOutcome> OnStep(Store& store, Clock& clock, SessionService& sessions,
                             const RequestContext& context, const std::string& batch,
                             const std::string& step, const IdempotencyKey& key, Decide decide) {
  return OnBatch(
      store, clock, sessions, context, Action::kExecuteBatch, batch, key, Scope::Step(step),
      [&](StoreReader& reader, const batches::Context& decision,
          const BatchView& view) -> Result<Decision> {
        ALIQUOT_ASSIGN_OR_RETURN(const training::Qualification training,
                                 TrainingFor(reader, context, *view.recipe, step, decision.now));
        return decide(reader, decision, view, training);
      });
}

}  // namespace

Result<ActionOutcome> BatchService::Create(const RequestContext& context,
                                           const CreateBatchInput& input,
                                           const IdempotencyKey& key) {
  return Execute(
      store_, clock_, sessions_, context, Action::kCreateBatch, std::string(), key,
      [&](StoreReader& reader, batches::Context& decision_context,
          std::string& created) -> Result<Decision> {
        ALIQUOT_RETURN_IF_ERROR(CheckLine(input.master_batch_record, "master_batch_record", 1, 64));
        // G-02: only the version approved and effective now is executed.
        ALIQUOT_ASSIGN_OR_RETURN(const auto effective,
                                 RecipeService::EffectiveDefinitionIn(
                                     reader, input.master_batch_record, decision_context.now));
        const int year = YearOf(decision_context.now);
        ALIQUOT_ASSIGN_OR_RETURN(const int made, BatchesCreatedIn(reader, year));
        batches::BatchOrder order;
        order.id = batches::BatchId(year, made + 1);
        order.identifiers = input.identifiers;
        order.inputs = input.inputs;
        order.starting_material = input.starting_material;
        created = order.id;
        std::optional<materials::LotState> lot;
        if (!input.starting_material.empty()) {
          ALIQUOT_RETURN_IF_ERROR(CheckLine(input.starting_material, "starting_material", 1, 64));
          ALIQUOT_ASSIGN_OR_RETURN(lot, LoadLot(reader, input.starting_material));
          if (!lot->exists) lot.reset();
        }
        const BatchState none;
        decision_context.batch = &none;
        decision_context.recipe = &effective.second;
        batches::ControlRecipe recipe;
        recipe.definition = &effective.second;
        recipe.version = effective.first.number;
        recipe.definition_sha256 = effective.first.content_sha256;
        return batches::CreateBatch(decision_context, order, recipe, lot ? &*lot : nullptr);
      });
}

Result<std::vector<BatchState>> BatchService::List(const RequestContext& context,
                                                   const BatchListFilter& filter) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewBatches));
  std::vector<BatchState> all;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(all, LoadBatchHeaders(reader));
    return {};
  }));
  std::vector<BatchState> listed;
  for (BatchState& batch : all) {
    if (filter.status && batch.status != *filter.status) continue;
    if (!filter.master_batch_record.empty() &&
        batch.master_batch_record != filter.master_batch_record) {
      continue;
    }
    listed.push_back(std::move(batch));
  }
  return listed;
}

Result<BatchView> BatchService::Get(const RequestContext& context, const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewBatches));
  BatchView view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(view, LoadIn(reader, id));
    return {};
  }));
  return view;
}

Result<ExecutedRecord> BatchService::Record(const RequestContext& context, const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewBatches));
  ExecutedRecord record;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(record.batch, LoadIn(reader, id));
    ALIQUOT_ASSIGN_OR_RETURN(record.lines, LoadBatchLines(reader, id));
    ALIQUOT_ASSIGN_OR_RETURN(record.entries, LoadEntries(reader, id));
    ALIQUOT_ASSIGN_OR_RETURN(record.refusals, LoadRefusals(reader, id));
    ALIQUOT_ASSIGN_OR_RETURN(record.exceptions, LoadExceptions(reader, id));
    ALIQUOT_ASSIGN_OR_RETURN(record.deviations,
                             DeviationsOfBatch(reader, record.batch.state, DeviationFilter::kAll));
    // P11-11: every signature on the batch and its steps, in the order signed.
    std::vector<identity::RecordRef> signed_records{{"batch", id}};
    for (const auto& [step, execution] : record.batch.state.steps) {
      std::string step_id = id;
      step_id += ':';
      step_id += step;
      signed_records.push_back({"batch_step", std::move(step_id)});
    }
    // An excursion raised here was acknowledged on this batch; one extended to it, on its own.
    for (const quality::DeviationState& deviation : record.deviations) {
      if (deviation.details.source != quality::DeviationSource::kActionLimit ||
          RaisedAt(record.batch.state, deviation) == record.batch.state.deviations.size()) {
        continue;
      }
      std::string excursion = id;
      excursion += ':';
      excursion += deviation.id;
      signed_records.push_back({"batch_excursion", std::move(excursion)});
    }
    for (const batches::Refusal& refusal : record.refusals) {
      if (refusal.overridable) {
        signed_records.push_back({"batch_override", id + ":" + std::to_string(refusal.number)});
      }
    }
    // The signatures as made, each with the content hash it signed; the record's current content
    // (what a new signature would sign) is not part of the record, and is not computed for it.
    for (const identity::RecordRef& ref : signed_records) {
      ALIQUOT_ASSIGN_OR_RETURN(std::vector<identity::ElectronicSignature> signatures,
                               LoadSignatures(reader, ref));
      std::move(signatures.begin(), signatures.end(), std::back_inserter(record.signatures));
    }
    return {};
  }));
  std::sort(record.signatures.begin(), record.signatures.end(),
            [](const identity::ElectronicSignature& a, const identity::ElectronicSignature& b) {
              return a.seq < b.seq;
            });
  return record;
}

Result<std::vector<batches::BatchException>> BatchService::Exceptions(const RequestContext& context,
                                                                      const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewBatches));
  std::vector<batches::BatchException> exceptions;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const BatchState batch, LoadBatchHeader(reader, id));
    if (!batch.exists) return Unexpected(NotFound("no batch " + id.substr(0, 64), "batch"));
    ALIQUOT_ASSIGN_OR_RETURN(exceptions, LoadExceptions(reader, id));
    return {};
  }));
  return exceptions;
}

Result<ActionOutcome> BatchService::StartStep(const RequestContext& context,
                                              const std::string& batch, const std::string& step,
                                              const std::vector<std::string>& equipment,
                                              const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  std::vector<ScannedEquipment> scanned;
                  scanned.reserve(equipment.size());
                  for (const std::string& id : equipment) {
                    ALIQUOT_ASSIGN_OR_RETURN(ScannedEquipment one,
                                             ScanEquipment(reader, view, id, decision.now));
                    scanned.push_back(std::move(one));
                  }
                  std::vector<batches::EquipmentScan> scans;
                  scans.reserve(scanned.size());
                  for (const ScannedEquipment& one : scanned) {
                    scans.push_back({&one.state, &one.room, one.check});
                  }
                  return batches::StartStep(decision, step, training, scans);
                });
}

Result<ActionOutcome> BatchService::AddEquipment(const RequestContext& context,
                                                 const std::string& batch, const std::string& step,
                                                 const std::string& equipment,
                                                 const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  ALIQUOT_ASSIGN_OR_RETURN(const ScannedEquipment scanned,
                                           ScanEquipment(reader, view, equipment, decision.now));
                  return batches::AddEquipment(decision, step, training,
                                               {&scanned.state, &scanned.room, scanned.check});
                });
}

Result<ActionOutcome> BatchService::ScanIdentity(const RequestContext& context,
                                                 const std::string& batch, const std::string& step,
                                                 const std::string& identifier,
                                                 const std::string& scanned,
                                                 const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  return batches::ScanIdentity(decision, step, training, identifier, scanned);
                });
}

Result<ActionOutcome> BatchService::RecordValue(
    const RequestContext& context, const std::string& batch, const std::string& step,
    const std::string& parameter, const batches::InputValue& value,
    const std::optional<batches::InstrumentSource>& instrument, const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  return batches::RecordValue(decision, step, training, parameter, value,
                                              instrument);
                });
}

Result<ActionOutcome> BatchService::CorrectEntry(const RequestContext& context,
                                                 const std::string& batch, int entry,
                                                 const batches::InputValue& value,
                                                 const std::string& reason,
                                                 const IdempotencyKey& key) {
  return OnBatch(store_, clock_, sessions_, context, Action::kExecuteBatch, batch, key,
                 Scope::Whole(),
                 [&](StoreReader& reader, const batches::Context& decision,
                     const BatchView& view) -> Result<Decision> {
                   ALIQUOT_ASSIGN_OR_RETURN(const std::optional<batches::EntryRecord> original,
                                            LoadEntry(reader, batch, entry));
                   if (!original) {
                     return Unexpected(NotFound(
                         "batch " + batch + " has no entry " + std::to_string(entry), "entry"));
                   }
                   ALIQUOT_ASSIGN_OR_RETURN(
                       const training::Qualification training,
                       TrainingFor(reader, context, *view.recipe, original->step, decision.now));
                   return batches::CorrectEntry(decision, *original, training, value, reason);
                 });
}

Result<ActionOutcome> BatchService::MarkNotApplicable(
    const RequestContext& context, const std::string& batch, const std::string& step,
    const std::string& parameter, const std::string& justification, const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  return batches::MarkNotApplicable(decision, step, training, parameter,
                                                    justification);
                });
}

Result<ActionOutcome> BatchService::ConsumeMaterial(const RequestContext& context,
                                                    const std::string& batch,
                                                    const std::string& step,
                                                    const std::string& scanned, double quantity,
                                                    const std::string& unit,
                                                    const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit parsed,
                                           units::Unit::Parse(unit, "unit"));
                  ALIQUOT_ASSIGN_OR_RETURN(
                      const MaterialService::LotForUse use,
                      MaterialService::PrepareUseIn(reader, scanned, quantity, unit, decision.now));
                  batches::LotScan scan;
                  scan.lot = &use.lot;
                  scan.material = &use.material;
                  scan.check = use.check;
                  scan.unit = parsed;
                  scan.quantity = quantity;
                  return batches::ConsumeMaterial(decision, step, training, scan);
                });
}

Result<ActionOutcome> BatchService::TakeSample(const RequestContext& context,
                                               const std::string& batch, const std::string& step,
                                               const std::string& sample, const std::string& label,
                                               const IdempotencyKey& key) {
  return OnStep(store_, clock_, sessions_, context, batch, step, key,
                [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
                    [[maybe_unused]] const BatchView& view,
                    const training::Qualification& training) -> Result<Decision> {
                  return batches::TakeSample(decision, step, training, sample, label);
                });
}

Result<ActionOutcome> BatchService::CompleteStep(const RequestContext& context,
                                                 const std::string& batch, const std::string& step,
                                                 const IdempotencyKey& key) {
  return OnStep(
      store_, clock_, sessions_, context, batch, step, key,
      [&]([[maybe_unused]] StoreReader& reader, const batches::Context& decision,
          [[maybe_unused]] const BatchView& view,
          const training::Qualification& training) -> Result<Decision> {
        const recipes::Step* definition = view.recipe->FindStep(step);
        std::map<std::string, std::string> units;
        for (const recipes::MaterialLine& line : definition->materials) {
          ALIQUOT_ASSIGN_OR_RETURN(const materials::MaterialState material,
                                   LoadMaterial(reader, line.material));
          if (!material.exists) {
            return Unexpected(DataLoss(view.recipe->master_batch_record + " uses material " +
                                       line.material + ", which does not exist"));
          }
          units[line.material] = material.unit;
        }
        std::vector<equipment::EquipmentState> states;
        if (const batches::StepExecution* execution = view.state.Step(step)) {
          for (const batches::EquipmentInUse& use : execution->equipment) {
            ALIQUOT_ASSIGN_OR_RETURN(equipment::EquipmentState state,
                                     LoadEquipment(reader, use.id));
            if (state.exists) states.push_back(std::move(state));
          }
        }
        std::vector<const equipment::EquipmentState*> in_use;
        in_use.reserve(states.size());
        for (const equipment::EquipmentState& state : states) in_use.push_back(&state);
        return batches::CompleteStep(decision, step, training, units, in_use);
      });
}

Result<ActionOutcome> BatchService::Hold(const RequestContext& context, const std::string& batch,
                                         const std::string& reason, const IdempotencyKey& key) {
  return OnBatch(
      store_, clock_, sessions_, context, Action::kSuperviseBatch, batch, key, Scope::Header(),
      [&](StoreReader&, const batches::Context& decision, const BatchView&) -> Result<Decision> {
        return batches::PutOnHold(decision, reason);
      });
}

Result<ActionOutcome> BatchService::Resume(const RequestContext& context, const std::string& batch,
                                           const std::string& comment, const IdempotencyKey& key) {
  return OnBatch(
      store_, clock_, sessions_, context, Action::kSuperviseBatch, batch, key, Scope::Header(),
      [&](StoreReader&, const batches::Context& decision, const BatchView&) -> Result<Decision> {
        return batches::Resume(decision, comment);
      });
}

Result<ActionOutcome> BatchService::StartReview(const RequestContext& context,
                                                const std::string& batch,
                                                const IdempotencyKey& key) {
  return OnBatch(
      store_, clock_, sessions_, context, Action::kReviewBatch, batch, key, Scope::Header(),
      [&](StoreReader&, const batches::Context& decision, const BatchView&) -> Result<Decision> {
        return batches::StartReview(decision);
      });
}

Result<ActionOutcome> BatchService::ReviewException(const RequestContext& context,
                                                    const std::string& batch,
                                                    const std::string& exception,
                                                    const std::string& comment,
                                                    const IdempotencyKey& key) {
  return OnBatch(
      store_, clock_, sessions_, context, Action::kReviewBatch, batch, key, Scope::Header(),
      [&](StoreReader&, const batches::Context& decision, const BatchView&) -> Result<Decision> {
        return batches::ReviewException(decision, exception, comment);
      });
}

}  // namespace aliquot::app
