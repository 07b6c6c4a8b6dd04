#include "aliquot/domain/recipes/master_batch_record.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::recipes {
namespace {

using materials::JsonFields;

constexpr std::array<std::string_view, 2> kTherapyNames = {"autologous", "allogeneic"};
constexpr std::array<std::string_view, 3> kStageNames = {"draft", "in_review", "approved"};
constexpr std::array<std::string_view, 6> kStatusNames = {"draft",     "in_review",  "approved",
                                                          "effective", "superseded", "retired"};

constexpr std::string_view kProductDefined = "recipes.product_defined";
constexpr std::string_view kCreated = "recipes.mbr_created";
constexpr std::string_view kDrafted = "recipes.mbr_version_drafted";
constexpr std::string_view kSubmitted = "recipes.mbr_version_submitted";
constexpr std::string_view kChecked = "recipes.mbr_version_checked";
constexpr std::string_view kApproved = "recipes.mbr_version_approved";
constexpr std::string_view kRejected = "recipes.mbr_version_rejected";
constexpr std::string_view kRetirementProposed = "recipes.mbr_retirement_proposed";
constexpr std::string_view kRetired = "recipes.mbr_retired";

ledger::NewEvent RecordEvent(std::string_view id, std::string_view type, const ledger::Actor& actor,
                             std::string_view terminal) {
  return ledger::NewEvent::On(MasterBatchRecordStream(id), type, actor, terminal);
}

std::string VersionName(const MasterBatchRecordState& state, int number) {
  return state.id + " version " + std::to_string(number);
}

std::string_view StageName(Stage stage) { return EnumName(kStageNames, stage); }

std::optional<Stage> StageFromName(std::string_view name) {
  return EnumFromName<Stage>(kStageNames, name);
}

Json OptionalTime(const std::optional<Timestamp>& time) {
  return time ? Json(time->ToRfc3339()) : Json();
}

// The approved version waiting at `now` for its effective date, or nullptr. Only the latest can
// be: no version starts while one waits.
const VersionState* PendingAt(const MasterBatchRecordState& state, Timestamp now) {
  const VersionState* latest = state.Latest();
  if (latest == nullptr || latest->stage != Stage::kApproved || !latest->effective_from ||
      *latest->effective_from <= now) {
    return nullptr;
  }
  if (latest->effective_until && *latest->effective_until <= *latest->effective_from) {
    return nullptr;  // The retirement came first: it never takes effect.
  }
  return latest;
}

bool IsRetiredOrRetiring(const MasterBatchRecordState& state) {
  return state.retired_from.has_value() || state.retirement_effective.has_value();
}

// The phases a drafted definition names: its "phases" member only, read without decoding the
// rest of the definition (which may be large).
Result<std::vector<ClinicalPhase>> PayloadPhases(const ledger::PayloadReader& payload,
                                                 const Json& definition) {
  std::vector<ClinicalPhase> phases;
  const Json* member = definition.Find("phases");
  if (member == nullptr) return phases;
  if (!member->IsArray()) return Unexpected(payload.Corrupt("definition phases is no array"));
  for (const Json& item : member->AsArray()) {
    const std::optional<ClinicalPhase> phase =
        item.IsString() ? ClinicalPhaseFromName(item.AsString()) : std::nullopt;
    if (!phase) return Unexpected(payload.Corrupt("definition phases holds an unknown phase"));
    phases.push_back(*phase);
  }
  return phases;
}

// The version number a record's event names, checked against the state.
Result<VersionState*> EventVersion(MasterBatchRecordState& state,
                                   const ledger::PayloadReader& payload) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
  if (number < 1 || number > static_cast<std::int64_t>(state.versions.size())) {
    return Unexpected(payload.Corrupt("version " + std::to_string(number) + " does not exist"));
  }
  return &state.versions[static_cast<std::size_t>(number - 1)];
}

// The status as a sentence says it: "in review", not "in_review".
std::string StatusWords(const MasterBatchRecordState& state, const VersionState& version,
                        Timestamp now) {
  std::string words(VersionStatusName(state.StatusAt(version, now)));
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

// What each status of a version allows instead of changing it.
std::string ImmutableMessage(const MasterBatchRecordState& state, const VersionState& version,
                             Timestamp now) {
  const VersionStatus status = state.StatusAt(version, now);
  std::string message = VersionName(state, version.number) + " is " +
                        StatusWords(state, version, now) + " and cannot change; ";
  switch (status) {
    case VersionStatus::kInReview:
      return message + "a reviewer returns it to draft (signature 'rejected') before it is changed";
    case VersionStatus::kApproved:
      return message + "it becomes effective on " + version.effective_from->ToRfc3339() +
             "; import the change as a new version after that";
    case VersionStatus::kRetired:
      return message + "the record is retired";
    case VersionStatus::kDraft:
    case VersionStatus::kEffective:
    case VersionStatus::kSuperseded:
      break;
  }
  return message + "import the change as a new version";
}

Error NotIndependent(const MasterBatchRecordState& state, const VersionState& version,
                     const ledger::Actor& actor, std::string_view as) {
  return PermissionDenied(
      "21 CFR 211.186: a master batch record is prepared by one person and "
      "independently checked by a second person; " +
          actor.name + " (" + actor.id + ") prepared or checked " +
          VersionName(state, version.number) + " and so cannot " + std::string(as) +
          " it; another person must",
      "meaning");
}

// --- Storage form of a version. Instants as microseconds (materials/codec.h).

Json VersionToJson(const VersionState& version) {
  Json json = Json::MakeObject();
  json.Set("number", version.number);
  json.Set("stage", StageName(version.stage));
  json.Set("change_reason", version.change_reason);
  Json phases = Json::MakeArray();
  for (const ClinicalPhase phase : version.phases) phases.Push(ClinicalPhaseName(phase));
  json.Set("phases", std::move(phases));
  json.Set("content_sha256", version.content_sha256);
  json.Set("requested_effective", materials::OptionalTimeToJson(version.requested_effective));
  json.Set("drafted_by", version.drafted_by);
  json.Set("drafted_at", materials::TimeToJson(version.drafted_at));
  json.Set("contributors", JsonStrings(version.contributors));
  json.Set("prepared_by", materials::OptionalStringToJson(version.prepared_by));
  json.Set("checked_by", materials::OptionalStringToJson(version.checked_by));
  json.Set("approved_by", materials::OptionalStringToJson(version.approved_by));
  json.Set("approved_at", materials::OptionalTimeToJson(version.approved_at));
  json.Set("effective_from", materials::OptionalTimeToJson(version.effective_from));
  json.Set("effective_until", materials::OptionalTimeToJson(version.effective_until));
  json.Set("retired", version.retired);
  return json;
}

Result<VersionState> VersionFromJson(const Json& json, const std::string& what) {
  const JsonFields fields(json, what);
  VersionState version;
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, fields.Integer("number"));
  if (number < 1 || number > 1'000'000) return Unexpected(fields.Corrupt("number out of range"));
  version.number = static_cast<int>(number);
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stage, fields.String("stage"));
  const std::optional<Stage> parsed_stage = StageFromName(stage);
  if (!parsed_stage) return Unexpected(fields.Corrupt("unknown stage " + stage));
  version.stage = *parsed_stage;
  ALIQUOT_ASSIGN_OR_RETURN(version.change_reason, fields.String("change_reason"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> phases, fields.Strings("phases"));
  for (const std::string& name : phases) {
    const std::optional<ClinicalPhase> phase = ClinicalPhaseFromName(name);
    if (!phase) return Unexpected(fields.Corrupt("unknown phase " + name));
    version.phases.push_back(*phase);
  }
  ALIQUOT_ASSIGN_OR_RETURN(version.content_sha256, fields.String("content_sha256"));
  ALIQUOT_ASSIGN_OR_RETURN(version.requested_effective, fields.OptionalTime("requested_effective"));
  ALIQUOT_ASSIGN_OR_RETURN(version.drafted_by, fields.String("drafted_by"));
  ALIQUOT_ASSIGN_OR_RETURN(version.drafted_at, fields.Time("drafted_at"));
  ALIQUOT_ASSIGN_OR_RETURN(version.contributors, fields.Strings("contributors"));
  ALIQUOT_ASSIGN_OR_RETURN(version.prepared_by, fields.OptionalString("prepared_by"));
  ALIQUOT_ASSIGN_OR_RETURN(version.checked_by, fields.OptionalString("checked_by"));
  ALIQUOT_ASSIGN_OR_RETURN(version.approved_by, fields.OptionalString("approved_by"));
  ALIQUOT_ASSIGN_OR_RETURN(version.approved_at, fields.OptionalTime("approved_at"));
  ALIQUOT_ASSIGN_OR_RETURN(version.effective_from, fields.OptionalTime("effective_from"));
  ALIQUOT_ASSIGN_OR_RETURN(version.effective_until, fields.OptionalTime("effective_until"));
  ALIQUOT_ASSIGN_OR_RETURN(version.retired, fields.Bool("retired"));
  // StatusAt and EffectiveAt read effective_from of every approved version.
  if (version.stage == Stage::kApproved && !version.effective_from) {
    return Unexpected(fields.Corrupt("an approved version without effective_from"));
  }
  return version;
}

}  // namespace

std::string_view TherapyKindName(TherapyKind kind) { return EnumName(kTherapyNames, kind); }

std::optional<TherapyKind> TherapyKindFromName(std::string_view name) {
  return EnumFromName<TherapyKind>(kTherapyNames, name);
}

std::string_view VersionStatusName(VersionStatus status) { return EnumName(kStatusNames, status); }

// --- Products ------------------------------------------------------------------------------------

ledger::StreamRef ProductStream(std::string_view product_id) {
  return {"product", std::string(product_id)};
}

Result<ledger::NewEvent> DefineProduct(const ProductState& state, const ProductCommand& command,
                                       const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateRecordId(command.id, "id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 1, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.description, "description", 0, 4000));
  // The chain of identity of an autologous product runs from one patient back to that patient; a
  // product that changed kind would leave every batch record before the change wrong.
  if (state.exists && state.therapy != command.therapy) {
    return Unexpected(FailedPrecondition(
        "product " + state.id + " is " + std::string(TherapyKindName(state.therapy)) +
            "; its therapy kind never changes (the chain of identity depends on it): define a "
            "new product for an " +
            std::string(TherapyKindName(command.therapy)) + " therapy",
        "therapy"));
  }
  ledger::NewEvent event =
      ledger::NewEvent::On(ProductStream(command.id), kProductDefined, actor, terminal);
  event.payload.Set("name", command.name);
  event.payload.Set("therapy", TherapyKindName(command.therapy));
  event.payload.Set("description", command.description);
  return event;
}

Status ApplyProductEvent(ProductState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  if (event.event_type != kProductDefined) {
    return Unexpected(payload.Corrupt("unknown product event"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::string therapy_name, payload.String("therapy"));
  const std::optional<TherapyKind> therapy = TherapyKindFromName(therapy_name);
  if (!therapy) return Unexpected(payload.Corrupt("unknown therapy kind " + therapy_name));
  if (state.exists && state.therapy != *therapy) {
    return Unexpected(payload.Corrupt("the therapy kind of product " + state.id + " changed"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(std::string name, payload.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(std::string description, payload.String("description"));
  state.exists = true;
  state.id = event.stream.id;
  state.name = std::move(name);
  state.therapy = *therapy;
  state.description = std::move(description);
  state.defined_by = event.actor.id;
  state.defined_at = event.time;
  return {};
}

Json ProductToJson(const ProductState& state) {
  Json json = Json::MakeObject();
  json.Set("id", state.id);
  json.Set("name", state.name);
  json.Set("therapy", TherapyKindName(state.therapy));
  json.Set("description", state.description);
  json.Set("defined_by", state.defined_by);
  json.Set("defined_at", materials::TimeToJson(state.defined_at));
  return json;
}

Result<ProductState> ProductFromJson(const Json& json) {
  const JsonFields fields(json, "product");
  ProductState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(state.name, fields.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string therapy_name, fields.String("therapy"));
  const std::optional<TherapyKind> therapy = TherapyKindFromName(therapy_name);
  if (!therapy) return Unexpected(fields.Corrupt("unknown therapy kind " + therapy_name));
  state.therapy = *therapy;
  ALIQUOT_ASSIGN_OR_RETURN(state.description, fields.String("description"));
  ALIQUOT_ASSIGN_OR_RETURN(state.defined_by, fields.String("defined_by"));
  ALIQUOT_ASSIGN_OR_RETURN(state.defined_at, fields.Time("defined_at"));
  return state;
}

// --- Master batch records ------------------------------------------------------------------------

const VersionState* MasterBatchRecordState::Version(int number) const {
  if (number < 1 || number > static_cast<int>(versions.size())) return nullptr;
  return &versions[static_cast<std::size_t>(number - 1)];
}

const VersionState* MasterBatchRecordState::EffectiveAt(Timestamp t) const {
  // Newest first: at most one version is effective at any instant.
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->EffectiveAt(t)) return &*it;
  }
  return nullptr;
}

VersionStatus MasterBatchRecordState::StatusAt(const VersionState& version, Timestamp t) const {
  switch (version.stage) {
    case Stage::kDraft:
      return VersionStatus::kDraft;
    case Stage::kInReview:
      return VersionStatus::kInReview;
    case Stage::kApproved:
      break;
  }
  if (!version.effective_from || t < *version.effective_from) return VersionStatus::kApproved;
  if (!version.effective_until || t < *version.effective_until) return VersionStatus::kEffective;
  // A version waiting at the retirement never takes effect: it ends retired, not superseded.
  return version.retired ? VersionStatus::kRetired : VersionStatus::kSuperseded;
}

ledger::StreamRef MasterBatchRecordStream(std::string_view id) { return {"mbr", std::string(id)}; }

Status ValidateRecordId(std::string_view id, std::string_view field) {
  if (!IsUpperCaseCode(id, 2, 32)) {
    return Unexpected(InvalidArgument(
        std::string(field) + " must be 2-32 of A-Z, 0-9 and '-' (like MBR-CAR19 or CAR19)",
        std::string(field)));
  }
  return {};
}

std::vector<std::string> VersionPreparers(const VersionState& version) {
  std::vector<std::string> preparers{version.drafted_by};
  const auto add = [&preparers](const std::string& who) {
    if (std::find(preparers.begin(), preparers.end(), who) == preparers.end()) {
      preparers.push_back(who);
    }
  };
  for (const std::string& who : version.contributors) add(who);
  if (version.prepared_by) add(*version.prepared_by);
  if (version.checked_by) add(*version.checked_by);
  return preparers;
}

Result<ledger::NewEvent> CreateMasterBatchRecord(const MasterBatchRecordState& state,
                                                 const CreateCommand& command,
                                                 const ProductState& product,
                                                 const ledger::Actor& actor,
                                                 std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateRecordId(command.id, "id"));
  ALIQUOT_RETURN_IF_ERROR(ValidateRecordId(command.product, "product"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.title, "title", 3, 200));
  if (!product.exists || product.id != command.product) {
    return Unexpected(NotFound(
        "no product " + command.product + "; define the product before its master batch record",
        "product"));
  }
  if (state.exists) {
    return Unexpected(AlreadyExists("master batch record " + command.id +
                                        " exists already; master batch record ids are never reused",
                                    "id"));
  }
  ledger::NewEvent event = RecordEvent(command.id, kCreated, actor, terminal);
  event.payload.Set("product", command.product);
  event.payload.Set("title", command.title);
  return event;
}

std::string DefinitionSha256(const Definition& definition) {
  return Sha256::Of(CanonicalJson(DefinitionToJson(definition))).Hex();
}

Result<int> VersionToDraft(const MasterBatchRecordState& state, std::optional<int> version,
                           Timestamp now) {
  if (!state.exists) {
    return Unexpected(NotFound("no master batch record " + state.id, "master_batch_record"));
  }
  if (IsRetiredOrRetiring(state)) {
    return Unexpected(FailedPrecondition(
        state.id + " is retired (or its retirement is proposed); it takes no new version",
        "master_batch_record"));
  }
  const VersionState* latest = state.Latest();
  if (version) {
    const VersionState* replaced = state.Version(*version);
    if (replaced == nullptr) {
      return Unexpected(NotFound("no " + VersionName(state, *version), "version"));
    }
    // G-02: a version that left draft is what signatures bind to and batches copy.
    if (replaced->stage != Stage::kDraft) {
      return Unexpected(FailedPrecondition(ImmutableMessage(state, *replaced, now), "version"));
    }
    return replaced->number;
  }
  if (latest != nullptr && latest->stage == Stage::kDraft) {
    return Unexpected(FailedPrecondition(
        VersionName(state, latest->number) + " is a draft: update it (version " +
            std::to_string(latest->number) + ") rather than starting another version",
        "master_batch_record"));
  }
  if (latest != nullptr && latest->stage == Stage::kInReview) {
    return Unexpected(FailedPrecondition(
        VersionName(state, latest->number) +
            " is in review: it is approved or returned to draft before another version starts",
        "master_batch_record"));
  }
  if (const VersionState* pending = PendingAt(state, now); pending != nullptr) {
    return Unexpected(FailedPrecondition(
        VersionName(state, pending->number) + " is approved and becomes effective on " +
            pending->effective_from->ToRfc3339() + ": the next version starts after that",
        "master_batch_record"));
  }
  return latest == nullptr ? 1 : latest->number + 1;
}

Result<ledger::NewEvent> DraftVersion(const MasterBatchRecordState& state,
                                      std::optional<int> version, const DraftCommand& command,
                                      Timestamp now, const ledger::Actor& actor,
                                      std::string_view terminal) {
  if (!state.exists) {
    return Unexpected(NotFound("no master batch record " + state.id, "master_batch_record"));
  }
  if (command.definition.master_batch_record != state.id) {
    return Unexpected(InvalidArgument("the definition is of master batch record '" +
                                          command.definition.master_batch_record.substr(0, 40) +
                                          "', not " + state.id +
                                          "; write master_batch_record: " + state.id,
                                      "master_batch_record"));
  }
  if (command.definition.product != state.product) {
    return Unexpected(InvalidArgument(
        "the definition is of product '" + command.definition.product.substr(0, 40) + "', but " +
            state.id + " is the record of " + state.product + "; write product: " + state.product,
        "product"));
  }
  // P11-10: every version carries why it was made, in the time-sequenced change history.
  const std::string change_reason(TrimSpace(command.change_reason));
  if (change_reason.empty()) {
    return Unexpected(InvalidArgument(
        "change_reason is required: say why this version is made (what changed and why)",
        "change_reason"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(change_reason, "change_reason", 5, 2000));
  if (command.requested_effective && *command.requested_effective < now) {
    return Unexpected(InvalidArgument("effective_from " + command.requested_effective->ToRfc3339() +
                                          " is in the past; a version becomes effective now or "
                                          "later, never retroactively",
                                      "effective_from"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const int number, VersionToDraft(state, version, now));
  const Json definition = DefinitionToJson(command.definition);
  ledger::NewEvent event = RecordEvent(state.id, kDrafted, actor, terminal);
  event.payload.Set("version", number);
  event.payload.Set("change_reason", change_reason);
  event.payload.Set("requested_effective", OptionalTime(command.requested_effective));
  // The hash the signatures bind to, computed once here so that loading the state never decodes
  // the definition.
  event.payload.Set("content_sha256", Sha256::Of(CanonicalJson(definition)).Hex());
  event.payload.Set("definition", definition);
  return event;
}

Result<ledger::NewEvent> DecideVersionSignature(const MasterBatchRecordState& state, int number,
                                                SignatureMeaning meaning,
                                                const std::optional<std::string>& comment,
                                                Timestamp now, const ledger::Actor& actor,
                                                std::string_view terminal) {
  const VersionState* version = state.Version(number);
  if (version == nullptr) {
    return Unexpected(NotFound("no " + VersionName(state, number), "version"));
  }
  const std::string name = VersionName(state, number);
  if (IsRetiredOrRetiring(state)) {
    return Unexpected(FailedPrecondition(
        state.id + " is retired (or its retirement is proposed); none of its versions moves on",
        "master_batch_record"));
  }
  const auto event = [&](std::string_view type) {
    ledger::NewEvent made = RecordEvent(state.id, type, actor, terminal);
    made.payload.Set("version", number);
    return made;
  };
  const auto is_preparer = [&] {
    const std::vector<std::string> preparers = VersionPreparers(*version);
    return std::find(preparers.begin(), preparers.end(), actor.id) != preparers.end();
  };
  switch (meaning) {
    case SignatureMeaning::kAuthored:
      if (version->stage != Stage::kDraft) {
        return Unexpected(FailedPrecondition(name + " is " + StatusWords(state, *version, now) +
                                                 "; only a draft is submitted for review",
                                             "meaning"));
      }
      if (version->requested_effective && *version->requested_effective < now) {
        return Unexpected(FailedPrecondition(
            name + " asks to become effective on " + version->requested_effective->ToRfc3339() +
                ", which has passed; update the draft with a new date first",
            "effective_from"));
      }
      return event(kSubmitted);
    case SignatureMeaning::kReviewed:
      if (version->stage != Stage::kInReview) {
        return Unexpected(FailedPrecondition(name + " is " + StatusWords(state, *version, now) +
                                                 "; a version is checked while in review",
                                             "meaning"));
      }
      if (version->checked_by) {
        return Unexpected(FailedPrecondition(
            name + " was checked by " + *version->checked_by + " already; it awaits approval",
            "meaning"));
      }
      // G-01, A11-01: the signature service checks independence too; the rule holds here even
      // for a caller that forgets it.
      if (is_preparer()) return Unexpected(NotIndependent(state, *version, actor, "check"));
      return event(kChecked);
    case SignatureMeaning::kApproved: {
      if (version->stage != Stage::kInReview || !version->checked_by) {
        return Unexpected(FailedPrecondition(
            name + (version->stage == Stage::kInReview
                        ? " has not been checked yet; it is approved after its independent check"
                        : " is " + StatusWords(state, *version, now) +
                              "; only a checked version in review is approved"),
            "meaning"));
      }
      if (is_preparer()) return Unexpected(NotIndependent(state, *version, actor, "approve"));
      if (version->requested_effective && *version->requested_effective < now) {
        return Unexpected(FailedPrecondition(
            name + " was to become effective on " + version->requested_effective->ToRfc3339() +
                ", which has passed; reject it back to draft so its preparer sets a new date",
            "effective_from"));
      }
      const Timestamp effective = version->requested_effective.value_or(now);
      ledger::NewEvent approved = event(kApproved);
      approved.payload.Set("effective_from", effective.ToRfc3339());
      return approved;
    }
    case SignatureMeaning::kRejected: {
      if (version->stage != Stage::kInReview) {
        return Unexpected(
            FailedPrecondition(name + " is " + StatusWords(state, *version, now) +
                                   "; only a version in review is returned to its preparer",
                               "meaning"));
      }
      const std::string_view reason = comment ? TrimSpace(*comment) : std::string_view();
      if (reason.empty()) {
        return Unexpected(InvalidArgument(
            "a rejection says why in its comment, for the preparer to act on", "comment"));
      }
      ledger::NewEvent returned = event(kRejected);
      returned.payload.Set("reason", reason);
      return returned;
    }
  }
  return Unexpected(Internal("unknown signature meaning"));
}

Result<ledger::NewEvent> ProposeRetirement(const MasterBatchRecordState& state,
                                           std::string_view reason, Timestamp effective,
                                           Timestamp now, const ledger::Actor& actor,
                                           std::string_view terminal) {
  if (!state.exists) {
    return Unexpected(NotFound("no master batch record " + state.id, "master_batch_record"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 5, 2000));
  if (effective < now) {
    return Unexpected(
        InvalidArgument("effective_from " + effective.ToRfc3339() +
                            " is in the past; a master batch record is retired from now on",
                        "effective_from"));
  }
  if (state.retired_from) {
    return Unexpected(FailedPrecondition(state.id + " is retired already", "master_batch_record"));
  }
  if (state.EffectiveAt(now) == nullptr && PendingAt(state, now) == nullptr) {
    return Unexpected(FailedPrecondition(
        state.id + " has no effective version; an unapproved draft is not retired",
        "master_batch_record"));
  }
  const VersionState* latest = state.Latest();
  if (latest->stage == Stage::kInReview) {
    return Unexpected(FailedPrecondition(
        VersionName(state, latest->number) + " is in review; finish or return it first",
        "master_batch_record"));
  }
  ledger::NewEvent event = RecordEvent(state.id, kRetirementProposed, actor, terminal);
  event.payload.Set("effective_from", effective.ToRfc3339());
  event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> ApproveRetirement(const MasterBatchRecordState& state, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  if (!state.retirement_effective || state.retired_from) {
    return Unexpected(FailedPrecondition(
        "no retirement of " + state.id + " awaits approval; one is proposed first", "meaning"));
  }
  ledger::NewEvent event = RecordEvent(state.id, kRetired, actor, terminal);
  event.payload.Set("effective_from", std::max(*state.retirement_effective, now).ToRfc3339());
  return event;
}

Status ApplyMasterBatchRecordEvent(MasterBatchRecordState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  return ApplyMasterBatchRecordEvent(state, payload);
}

Status ApplyMasterBatchRecordEvent(MasterBatchRecordState& state,
                                   const ledger::PayloadReader& payload) {
  const ledger::Event& event = payload.Source();
  const std::string& type = event.event_type;
  if (type == kCreated) {
    if (state.exists) return Unexpected(payload.Corrupt("the master batch record exists already"));
    ALIQUOT_ASSIGN_OR_RETURN(std::string product, payload.String("product"));
    ALIQUOT_ASSIGN_OR_RETURN(std::string title, payload.String("title"));
    state.exists = true;
    state.id = event.stream.id;
    state.product = std::move(product);
    state.title = std::move(title);
    state.created_by = event.actor.id;
    state.created_at = event.time;
    return {};
  }
  if (!state.exists)
    return Unexpected(payload.Corrupt("the master batch record was never created"));
  if (type == kDrafted) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
    const auto size = static_cast<std::int64_t>(state.versions.size());
    const bool update =
        number == size && number >= 1 && state.versions.back().stage == Stage::kDraft;
    if (!update && number != size + 1) {
      return Unexpected(payload.Corrupt("version " + std::to_string(number) + " is out of order"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::string change_reason, payload.String("change_reason"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> requested,
                             materials::OptionalPayloadTime(payload, "requested_effective"));
    ALIQUOT_ASSIGN_OR_RETURN(std::string sha256, payload.String("content_sha256"));
    if (!IsLowerHex(sha256, 64)) return Unexpected(payload.Corrupt("content_sha256 is no hash"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* definition, payload.Object("definition"));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<ClinicalPhase> phases,
                             PayloadPhases(payload, *definition));
    if (!update) state.versions.emplace_back();
    VersionState& version = state.versions.back();
    version.number = static_cast<int>(number);
    version.stage = Stage::kDraft;
    version.change_reason = std::move(change_reason);
    version.phases = std::move(phases);
    version.content_sha256 = std::move(sha256);
    version.requested_effective = requested;
    if (!update) {
      version.drafted_by = event.actor.id;
      version.drafted_at = event.time;
    } else if (event.actor.id != version.drafted_by &&
               std::find(version.contributors.begin(), version.contributors.end(),
                         event.actor.id) == version.contributors.end()) {
      version.contributors.push_back(event.actor.id);
    }
    version.prepared_by.reset();
    version.checked_by.reset();
    return {};
  }
  if (type == kRetirementProposed) {
    ALIQUOT_ASSIGN_OR_RETURN(state.retirement_effective,
                             materials::OptionalPayloadTime(payload, "effective_from"));
    if (!state.retirement_effective)
      return Unexpected(payload.Corrupt("effective_from is missing"));
    state.retirement_reason = event.reason;
    state.retirement_proposed_by = event.actor.id;
    return {};
  }
  if (type == kRetired) {
    ALIQUOT_ASSIGN_OR_RETURN(Timestamp from, materials::PayloadTime(payload, "effective_from"));
    from = std::max(from, event.time);  // As for an approval: never before it is recorded.
    state.retired_from = from;
    // The version effective then, and one still waiting for its date, end there, retired.
    for (VersionState& version : state.versions) {
      if (version.stage != Stage::kApproved) continue;
      if (!version.effective_until || *version.effective_until > from) {
        version.effective_until = std::max(from, *version.effective_from);
        version.retired = true;
      }
    }
    return {};
  }
  ALIQUOT_ASSIGN_OR_RETURN(VersionState * version, EventVersion(state, payload));
  if (type == kSubmitted) {
    if (version->stage != Stage::kDraft) return Unexpected(payload.Corrupt("not a draft"));
    version->stage = Stage::kInReview;
    version->prepared_by = event.actor.id;
  } else if (type == kChecked) {
    if (version->stage != Stage::kInReview) return Unexpected(payload.Corrupt("not in review"));
    version->checked_by = event.actor.id;
  } else if (type == kRejected) {
    if (version->stage != Stage::kInReview) return Unexpected(payload.Corrupt("not in review"));
    version->stage = Stage::kDraft;
    // G-01: whoever submitted the rejected round stays one of its preparers, so they cannot check
    // or approve the next round either.
    if (version->prepared_by && *version->prepared_by != version->drafted_by &&
        std::find(version->contributors.begin(), version->contributors.end(),
                  *version->prepared_by) == version->contributors.end()) {
      version->contributors.push_back(*version->prepared_by);
    }
    version->prepared_by.reset();
    version->checked_by.reset();
  } else if (type == kApproved) {
    if (version->stage != Stage::kInReview || !version->checked_by) {
      return Unexpected(payload.Corrupt("not checked and in review"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(Timestamp from, materials::PayloadTime(payload, "effective_from"));
    version->stage = Stage::kApproved;
    version->approved_by = event.actor.id;
    version->approved_at = event.time;
    // "Effective on approval" was decided a moment before the event was sealed: it takes effect
    // when the approval is recorded, never earlier, so no past instant's answer changes.
    from = std::max(from, event.time);
    version->effective_from = from;
    if (state.retired_from) {
      version->effective_until = std::max(*state.retired_from, from);
      version->retired = true;
    }
    // It supersedes every earlier version from its effective date on.
    for (VersionState& earlier : state.versions) {
      if (earlier.number >= version->number || earlier.stage != Stage::kApproved) continue;
      if (!earlier.effective_until || *earlier.effective_until > from) {
        earlier.effective_until = std::max(from, *earlier.effective_from);
        earlier.retired = false;
      }
    }
  } else {
    return Unexpected(payload.Corrupt("unknown master batch record event"));
  }
  return {};
}

Result<DraftedText> DraftedDefinitionText(const ledger::PayloadReader& payload) {
  if (payload.Source().event_type != kDrafted) {
    return Unexpected(payload.Corrupt("the event drafts no master batch record version"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
  if (number < 1 || number > 1'000'000) return Unexpected(payload.Corrupt("version out of range"));
  DraftedText drafted;
  drafted.version = static_cast<int>(number);
  ALIQUOT_ASSIGN_OR_RETURN(drafted.sha256, payload.String("content_sha256"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* json, payload.Object("definition"));
  drafted.definition = CanonicalJson(*json);
  // The hash the signatures bind to must be of exactly the definition this event carries.
  if (Sha256::Of(drafted.definition).Hex() != drafted.sha256) {
    return Unexpected(payload.Corrupt("the definition does not hash to its content_sha256"));
  }
  return drafted;
}

Result<std::pair<int, Definition>> DraftedDefinition(const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  ALIQUOT_ASSIGN_OR_RETURN(const DraftedText drafted, DraftedDefinitionText(payload));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* json, payload.Object("definition"));
  const int number = drafted.version;
  std::vector<Problem> problems;
  Definition definition = DefinitionFromJson(*json, problems);
  if (!problems.empty()) {
    return Unexpected(payload.Corrupt("the definition does not read back: " +
                                      problems.front().pointer + ": " + problems.front().message));
  }
  return std::pair<int, Definition>(static_cast<int>(number), std::move(definition));
}

Json MasterBatchRecordToJson(const MasterBatchRecordState& state) {
  Json json = Json::MakeObject();
  json.Set("id", state.id);
  json.Set("product", state.product);
  json.Set("title", state.title);
  json.Set("created_by", state.created_by);
  json.Set("created_at", materials::TimeToJson(state.created_at));
  Json versions = Json::MakeArray();
  for (const VersionState& version : state.versions) versions.Push(VersionToJson(version));
  json.Set("versions", std::move(versions));
  json.Set("retirement_reason", materials::OptionalStringToJson(state.retirement_reason));
  json.Set("retirement_effective", materials::OptionalTimeToJson(state.retirement_effective));
  json.Set("retirement_proposed_by", materials::OptionalStringToJson(state.retirement_proposed_by));
  json.Set("retired_from", materials::OptionalTimeToJson(state.retired_from));
  return json;
}

Result<MasterBatchRecordState> MasterBatchRecordFromJson(const Json& json) {
  const JsonFields fields(json, "master batch record");
  MasterBatchRecordState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(state.product, fields.String("product"));
  ALIQUOT_ASSIGN_OR_RETURN(state.title, fields.String("title"));
  ALIQUOT_ASSIGN_OR_RETURN(state.created_by, fields.String("created_by"));
  ALIQUOT_ASSIGN_OR_RETURN(state.created_at, fields.Time("created_at"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* versions, fields.Array("versions"));
  for (const Json& item : *versions) {
    ALIQUOT_ASSIGN_OR_RETURN(VersionState version,
                             VersionFromJson(item, "master batch record " + state.id + " version " +
                                                       std::to_string(state.versions.size() + 1)));
    if (version.number != static_cast<int>(state.versions.size()) + 1) {
      return Unexpected(fields.Corrupt("versions out of order"));
    }
    state.versions.push_back(std::move(version));
  }
  ALIQUOT_ASSIGN_OR_RETURN(state.retirement_reason, fields.OptionalString("retirement_reason"));
  ALIQUOT_ASSIGN_OR_RETURN(state.retirement_effective, fields.OptionalTime("retirement_effective"));
  ALIQUOT_ASSIGN_OR_RETURN(state.retirement_proposed_by,
                           fields.OptionalString("retirement_proposed_by"));
  ALIQUOT_ASSIGN_OR_RETURN(state.retired_from, fields.OptionalTime("retired_from"));
  return state;
}

}  // namespace aliquot::recipes
