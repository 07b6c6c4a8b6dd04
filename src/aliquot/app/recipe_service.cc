#include "aliquot/app/recipe_service.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <utility>

#include "aliquot/app/document_records.h"
#include "aliquot/app/material_records.h"
#include "aliquot/app/recipe_records.h"
#include "aliquot/app/use_case.h"
#include "aliquot/core/yaml.h"

namespace aliquot::app {
namespace {

using identity::Action;
using identity::Meaning;
using recipes::Definition;
using recipes::MasterBatchRecordState;
using recipes::VersionState;

std::optional<recipes::SignatureMeaning> VersionMeaning(Meaning meaning) {
  switch (meaning) {
    case Meaning::kAuthored:
      return recipes::SignatureMeaning::kAuthored;
    case Meaning::kReviewed:
      return recipes::SignatureMeaning::kReviewed;
    case Meaning::kApproved:
      return recipes::SignatureMeaning::kApproved;
    case Meaning::kRejected:
      return recipes::SignatureMeaning::kRejected;
    default:
      return std::nullopt;
  }
}

// What a version's signatures bind to: the record, the version, why it was made and the SHA-256 of
// its definition as the ledger's draft event holds it, not where it is in its approval, so the
// preparer's, checker's and approver's signatures all stand on the same content (11.70). The hash,
// rather than the definition re-encoded by the running code, keeps every past signature valid
// whatever later versions of the code write.
Json VersionContent(const MasterBatchRecordState& record, const VersionState& version) {
  Json content = Json::MakeObject();
  content.Set("master_batch_record", record.id);
  content.Set("product", record.product);
  content.Set("version", version.number);
  content.Set("change_reason", version.change_reason);
  content.Set("requested_effective", version.requested_effective
                                         ? Json(version.requested_effective->ToRfc3339())
                                         : Json());
  content.Set("definition_sha256", version.content_sha256);
  return content;
}

// A definition from a file or a request body, with every problem at its place: the structural
// ones and those of ValidateDefinition against `references`, the same checks as approval's (G-01).
// A file is parsed without positions first: they are needed only to place problems, and recording
// them is most of the parse (docs/benchmarks.md, recipe_bench).
Result<Definition> ReadDefinition(const ImportInput& input, const recipes::References& references) {
  const bool yaml = input.format == DefinitionFormat::kYaml;
  Result<Json> json = yaml ? ParseYaml(input.text) : ParseJson(input.text);
  if (!json) return Unexpected(InvalidArgument(json.error().Message(), "definition"));
  std::vector<recipes::Problem> problems;
  Definition definition = recipes::DefinitionFromJson(*json, problems);
  // An unknown or mistyped member is shown where its name is; a rule's problem where the value
  // that breaks it is, or where a missing member would go.
  const bool structural = !problems.empty();
  if (!structural) problems = recipes::ValidateDefinition(definition, references);
  if (problems.empty()) return definition;
  YamlPositions positions;
  if (yaml) ALIQUOT_RETURN_IF_ERROR(ParseYaml(input.text, &positions));
  return Unexpected(recipes::ProblemsError(
      problems, [&](std::string_view pointer) -> std::optional<std::pair<int, int>> {
        if (!yaml) return std::nullopt;
        std::optional<YamlPosition> at;
        if (structural) at = positions.KeyOf(pointer);
        if (!at) at = positions.Of(pointer);
        if (!at) at = positions.Nearest(pointer);
        return std::pair<int, int>(at->line, at->column);
      }));
}

// Approval checks the definition again: a document retired or made unusable, or a material no
// longer defined, since the draft was imported stops the version here, with every problem named
// (G-01).
Status CheckStillValid(StoreReader& reader, const MasterBatchRecordState& record, int version,
                       Timestamp now) {
  ALIQUOT_ASSIGN_OR_RETURN(const Definition definition, LoadDefinition(reader, record.id, version));
  Status failure;
  const std::vector<recipes::Problem> problems =
      recipes::ValidateDefinition(definition, ReferencesIn(reader, now, failure));
  ALIQUOT_RETURN_IF_ERROR(failure);
  if (problems.empty()) return {};
  const Error error = recipes::ProblemsError(
      problems, [](std::string_view) -> std::optional<std::pair<int, int>> { return {}; });
  return Unexpected(FailedPrecondition(
      record.id + " version " + std::to_string(version) +
          " no longer passes the approval check; import a corrected version: " + error.Message(),
      error.Field()));
}

}  // namespace

std::string MbrVersionId(std::string_view record_id, int version) {
  return std::string(record_id) + ":" + std::to_string(version);
}

Result<std::pair<std::string, int>> ParseMbrVersionId(const std::string& id) {
  const std::size_t colon = id.rfind(':');
  int version = 0;
  if (colon == std::string::npos || colon == 0) {
    return Unexpected(
        NotFound("'" + id.substr(0, 60) + "' is not <record>:<version>", "record_id"));
  }
  const char* begin = id.data() + colon + 1;
  const char* end = id.data() + id.size();
  const auto [ptr, ec] = std::from_chars(begin, end, version);
  if (ec != std::errc() || ptr != end || version < 1 || begin == end) {
    return Unexpected(
        NotFound("'" + id.substr(0, 60) + "' is not <record>:<version>", "record_id"));
  }
  return std::pair<std::string, int>(id.substr(0, colon), version);
}

recipes::References ReferencesIn(StoreReader& reader, Timestamp now, Status& failure) {
  // A definition cites the same few documents and materials from many steps: each is read once.
  struct Cache {
    std::map<std::string, std::optional<recipes::DocumentReference>, std::less<>> documents;
    std::map<std::string, std::optional<recipes::MaterialReference>, std::less<>> materials;
  };
  auto cache = std::make_shared<Cache>();
  recipes::References references;
  references.document = [&reader, &failure, now,
                         cache](std::string_view id) -> std::optional<recipes::DocumentReference> {
    if (const auto found = cache->documents.find(id); found != cache->documents.end()) {
      return found->second;
    }
    std::optional<recipes::DocumentReference> answer;
    Result<documents::DocumentState> document = LoadDocumentSchedule(reader, std::string(id));
    if (!document) {
      if (failure) failure = Unexpected(document.error());
    } else if (document->exists) {
      answer = recipes::GoverningDocument(*document, now);
    }
    cache->documents.emplace(std::string(id), answer);
    return answer;
  };
  references.material = [&reader, &failure,
                         cache](std::string_view id) -> std::optional<recipes::MaterialReference> {
    if (const auto found = cache->materials.find(id); found != cache->materials.end()) {
      return found->second;
    }
    std::optional<recipes::MaterialReference> answer;
    Result<materials::MaterialState> material = LoadMaterial(reader, std::string(id));
    if (!material) {
      if (failure) failure = Unexpected(material.error());
    } else if (material->exists) {
      answer = recipes::MaterialReference{material->unit};
    }
    cache->materials.emplace(std::string(id), answer);
    return answer;
  };
  references.product = [&reader,
                        &failure](std::string_view id) -> std::optional<recipes::ProductReference> {
    Result<recipes::ProductState> product = LoadProduct(reader, std::string(id));
    if (!product) {
      if (failure) failure = Unexpected(product.error());
      return std::nullopt;
    }
    if (!product->exists) return std::nullopt;
    return recipes::ProductReference{product->therapy == recipes::TherapyKind::kAutologous};
  };
  return references;
}

RecipeService::RecipeService(Store& store, Clock& clock, SessionService& sessions,
                             SignatureService& signatures)
    : store_(store), clock_(clock), sessions_(sessions), signatures_(signatures) {}

Result<bool> RecipeService::DefineProduct(const RequestContext& context,
                                          const recipes::ProductCommand& command) {
  bool created = false;
  ALIQUOT_RETURN_IF_ERROR(RunUseCase(
      store_, sessions_, context, Action::kAuthorRecipe,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_RETURN_IF_ERROR(recipes::ValidateRecordId(command.id, "product_id"));
        ALIQUOT_ASSIGN_OR_RETURN(const recipes::ProductState state,
                                 LoadProduct(reader, command.id));
        created = !state.exists;
        return recipes::DefineProduct(state, command, context.Actor(), context.terminal.id)
            .transform(One);
      }));
  return created;
}

Result<std::vector<recipes::ProductState>> RecipeService::Products(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  std::vector<recipes::ProductState> products;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(products, LoadProducts(reader));
    return {};
  }));
  return products;
}

Result<recipes::ProductState> RecipeService::Product(const RequestContext& context,
                                                     const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  recipes::ProductState product;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(product, LoadProduct(reader, id));
    if (!product.exists)
      return Unexpected(NotFound("no product " + id.substr(0, 40), "product_id"));
    return {};
  }));
  return product;
}

Status RecipeService::CreateMasterBatchRecord(const RequestContext& context,
                                              const recipes::CreateCommand& command) {
  return RunUseCase(
             store_, sessions_, context, Action::kAuthorRecipe,
             [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
               ALIQUOT_RETURN_IF_ERROR(recipes::ValidateRecordId(command.id, "mbr_id"));
               ALIQUOT_RETURN_IF_ERROR(recipes::ValidateRecordId(command.product, "product_id"));
               ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState state,
                                        LoadMasterBatchRecord(reader, command.id));
               ALIQUOT_ASSIGN_OR_RETURN(const recipes::ProductState product,
                                        LoadProduct(reader, command.product));
               return recipes::CreateMasterBatchRecord(state, command, product, context.Actor(),
                                                       context.terminal.id)
                   .transform(One);
             })
      .transform([](auto&&) {});
}

Result<std::vector<MasterBatchRecordState>> RecipeService::MasterBatchRecords(
    const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  std::vector<MasterBatchRecordState> records;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(records, LoadMasterBatchRecords(reader));
    return {};
  }));
  return records;
}

Result<int> RecipeService::ImportVersion(const RequestContext& context,
                                         const std::string& record_id, const ImportInput& input) {
  int number = 0;
  ALIQUOT_RETURN_IF_ERROR(RunUseCase(
      store_, sessions_, context, Action::kAuthorRecipe,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                                 ExistingMasterBatchRecord(reader, record_id));
        const Timestamp now = clock_.Now();
        Status failure;
        Result<Definition> definition = ReadDefinition(input, ReferencesIn(reader, now, failure));
        ALIQUOT_RETURN_IF_ERROR(failure);
        if (!definition) return Unexpected(definition.error());
        ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent drafted,
                                 recipes::DraftVersion(record, std::nullopt,
                                                       {std::move(*definition), input.change_reason,
                                                        input.effective_from},
                                                       now, context.Actor(), context.terminal.id));
        // The number the domain gave the new version.
        number = static_cast<int>(drafted.payload.Find("version")->AsInteger().value_or(0));
        return One(std::move(drafted));
      }));
  return number;
}

Status RecipeService::ReplaceDraft(const RequestContext& context, const std::string& record_id,
                                   int version, const ImportInput& input) {
  return RunUseCase(store_, sessions_, context, Action::kAuthorRecipe,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                                               ExistingMasterBatchRecord(reader, record_id));
                      const Timestamp now = clock_.Now();
                      // The version's state is refused before the file is read: editing an
                      // effective version is wrong whatever the file says.
                      ALIQUOT_RETURN_IF_ERROR(recipes::VersionToDraft(record, version, now));
                      Status failure;
                      Result<Definition> definition =
                          ReadDefinition(input, ReferencesIn(reader, now, failure));
                      ALIQUOT_RETURN_IF_ERROR(failure);
                      if (!definition) return Unexpected(definition.error());
                      return recipes::DraftVersion(record, version,
                                                   {std::move(*definition), input.change_reason,
                                                    input.effective_from},
                                                   now, context.Actor(), context.terminal.id)
                          .transform(One);
                    })
      .transform([](auto&&) {});
}

Result<std::string> RecipeService::ExportVersion(const RequestContext& context,
                                                 const std::string& record_id, int version) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  Definition definition;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_RETURN_IF_ERROR(ExistingMasterBatchRecord(reader, record_id));
    ALIQUOT_ASSIGN_OR_RETURN(definition, LoadDefinition(reader, record_id, version));
    return {};
  }));
  return EmitYaml(recipes::DefinitionToJson(definition));
}

Result<RecipeVersionView> RecipeService::ViewOf(StoreReader& reader,
                                                const MasterBatchRecordState& record,
                                                const VersionState& version, Timestamp at,
                                                bool with_definition) {
  RecipeVersionView view;
  view.version = version;
  view.status = record.StatusAt(version, at);
  ALIQUOT_ASSIGN_OR_RETURN(
      view.signatures,
      signatures_.SignaturesIn(reader, {"mbr_version", MbrVersionId(record.id, version.number)}));
  if (with_definition) {
    ALIQUOT_ASSIGN_OR_RETURN(view.definition, LoadDefinition(reader, record.id, version.number));
  }
  return view;
}

Result<RecipeHistory> RecipeService::History(const RequestContext& context,
                                             const std::string& record_id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  RecipeHistory history;
  history.at = clock_.Now();
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(history.record, ExistingMasterBatchRecord(reader, record_id));
    for (const VersionState& version : history.record.versions) {
      ALIQUOT_ASSIGN_OR_RETURN(RecipeVersionView view,
                               ViewOf(reader, history.record, version, history.at, false));
      history.versions.push_back(std::move(view));
    }
    return {};
  }));
  return history;
}

Result<RecipeVersionView> RecipeService::Version(const RequestContext& context,
                                                 const std::string& record_id, int version) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  RecipeVersionView view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                             ExistingMasterBatchRecord(reader, record_id));
    const VersionState* state = record.Version(version);
    if (state == nullptr) {
      return Unexpected(
          NotFound(record_id + " has no version " + std::to_string(version), "version"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(view, ViewOf(reader, record, *state, clock_.Now(), true));
    return {};
  }));
  return view;
}

Result<std::optional<RecipeVersionView>> RecipeService::EffectiveAt(const RequestContext& context,
                                                                    const std::string& record_id,
                                                                    Timestamp at) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  std::optional<RecipeVersionView> view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                             ExistingMasterBatchRecord(reader, record_id));
    const VersionState* effective = record.EffectiveAt(at);
    if (effective == nullptr) return {};
    ALIQUOT_ASSIGN_OR_RETURN(view, ViewOf(reader, record, *effective, at, true));
    return {};
  }));
  return view;
}

Result<VersionDifferences> RecipeService::Differences(const RequestContext& context,
                                                      const std::string& record_id, int from,
                                                      int to) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewRecipes));
  VersionDifferences result{from, to, {}};
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_RETURN_IF_ERROR(ExistingMasterBatchRecord(reader, record_id));
    Result<Definition> before = LoadDefinition(reader, record_id, from);
    if (!before) {
      return Unexpected(Error(before.error().Code(), before.error().Message(), "from"));
    }
    Result<Definition> after = LoadDefinition(reader, record_id, to);
    if (!after) return Unexpected(Error(after.error().Code(), after.error().Message(), "to"));
    result.differences = recipes::DiffDefinitions(*before, *after);
    return {};
  }));
  return result;
}

Status RecipeService::ProposeRetirement(const RequestContext& context, const std::string& record_id,
                                        const std::string& reason,
                                        std::optional<Timestamp> effective) {
  return RunUseCase(store_, sessions_, context, Action::kAuthorRecipe,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                                               ExistingMasterBatchRecord(reader, record_id));
                      const Timestamp now = clock_.Now();
                      return recipes::ProposeRetirement(record, reason, effective.value_or(now),
                                                        now, context.Actor(), context.terminal.id)
                          .transform(One);
                    })
      .transform([](auto&&) {});
}

Result<std::pair<VersionState, Definition>> RecipeService::EffectiveDefinitionIn(
    StoreReader& reader, const std::string& record_id, Timestamp at) {
  ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState record,
                           ExistingMasterBatchRecord(reader, record_id));
  const VersionState* effective = record.EffectiveAt(at);
  if (effective == nullptr) {
    std::string why = record_id + " has no effective version";
    if (const VersionState* latest = record.Latest(); latest != nullptr) {
      why += ": version " + std::to_string(latest->number) + " is " +
             std::string(recipes::VersionStatusName(record.StatusAt(*latest, at)));
    }
    return Unexpected(FailedPrecondition(why, "mbr_id"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(Definition definition,
                           LoadDefinition(reader, record_id, effective->number));
  return std::pair<VersionState, Definition>(*effective, std::move(definition));
}

SignableRecord MbrVersionRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    auto parsed = ParseMbrVersionId(id);
    if (!parsed) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState state,
                             LoadMasterBatchRecord(reader, parsed->first));
    const VersionState* version = state.Version(parsed->second);
    if (!state.exists || version == nullptr) return std::optional<RecordContent>();
    RecordContent content;
    content.content = VersionContent(state, *version);
    // G-01, A11-01: who prepared or checked it does not check or approve it too.
    content.authors = recipes::VersionPreparers(*version);
    content.streams = {recipes::MasterBatchRecordStream(state.id)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewRecipes;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    switch (meaning) {
      case Meaning::kAuthored:
        return Action::kAuthorRecipe;
      case Meaning::kReviewed:
      case Meaning::kRejected:
        return Action::kCheckRecipe;
      case Meaning::kApproved:
        return Action::kApproveRecipe;
      default:
        return std::nullopt;
    }
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const auto parsed, ParseMbrVersionId(signing.record.id));
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState state,
                             ExistingMasterBatchRecord(reader, parsed.first));
    const std::optional<recipes::SignatureMeaning> meaning = VersionMeaning(signing.meaning);
    if (!meaning) return Unexpected(Internal("a version takes no such meaning"));
    ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent decided,
                             recipes::DecideVersionSignature(
                                 state, parsed.second, *meaning, signing.comment, signing.now,
                                 signing.context->Actor(), signing.context->terminal.id));
    if (*meaning == recipes::SignatureMeaning::kApproved) {
      ALIQUOT_RETURN_IF_ERROR(CheckStillValid(reader, state, parsed.second, signing.now));
    }
    return One(std::move(decided));
  };
  return record;
}

SignableRecord MasterBatchRecordRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState state, LoadMasterBatchRecord(reader, id));
    if (!state.exists) return std::optional<RecordContent>();
    RecordContent content;
    content.streams = {recipes::MasterBatchRecordStream(state.id)};
    // Whoever proposed a retirement does not approve it too.
    if (state.retirement_proposed_by && !state.retired_from) {
      content.authors.push_back(*state.retirement_proposed_by);
    }
    Json body = Json::MakeObject();
    body.Set("master_batch_record", state.id);
    body.Set("product", state.product);
    body.Set("title", state.title);
    body.Set("retirement_reason",
             state.retirement_reason ? Json(*state.retirement_reason) : Json());
    body.Set("retirement_effective",
             state.retirement_effective ? Json(state.retirement_effective->ToRfc3339()) : Json());
    content.content = std::move(body);
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewRecipes;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kApproved) return Action::kApproveRecipe;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const MasterBatchRecordState state,
                             ExistingMasterBatchRecord(reader, signing.record.id));
    return recipes::ApproveRetirement(state, signing.now, signing.context->Actor(),
                                      signing.context->terminal.id)
        .transform(One);
  };
  return record;
}

}  // namespace aliquot::app
