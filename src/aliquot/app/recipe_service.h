// RecipeService: products and their master batch records (21 CFR 211.186, G-01; ISA-88, S88-01).
// A version is imported from a definition file as a draft, checked on the way in exactly as
// approval checks it (every problem at its line and column), prepared, independently checked and
// approved by three people's e-signatures (the record type "mbr_version", registered with the
// SignatureService), and effective from its date. Any version exports back to its file; two
// versions compare as data (the basis of change control and comparability, CMP-01). Batch
// execution asks EffectiveDefinitionIn which version governs a batch started now (G-02).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/diff.h"
#include "aliquot/domain/recipes/master_batch_record.h"

namespace aliquot::app {

// How a definition arrives: a definition file (YAML, with positions for every problem) or the JSON
// the API shows (problems at their JSON pointers).
enum class DefinitionFormat { kYaml, kJson };

struct ImportInput {
  std::string text;
  DefinitionFormat format = DefinitionFormat::kYaml;
  std::string change_reason;
  std::optional<Timestamp> effective_from;  // nullopt: effective when approved.
};

// One version as shown at an instant: its lifecycle, status, definition and signatures, each
// marked valid or not for the version's content (11.50, 11.70).
struct RecipeVersionView {
  recipes::VersionState version;
  recipes::VersionStatus status = recipes::VersionStatus::kDraft;
  recipes::Definition definition;
  RecordSignatures signatures;
};

struct RecipeHistory {
  recipes::MasterBatchRecordState record;
  Timestamp at;
  std::vector<RecipeVersionView> versions;  // Without their definitions: see Version.
};

struct VersionDifferences {
  int from = 0;
  int to = 0;
  std::vector<recipes::Difference> differences;
};

class RecipeService {
 public:
  RecipeService(Store& store, Clock& clock, SessionService& sessions, SignatureService& signatures);

  // Defines a product or renames it (recipe.author); returns true when it was new. Errors:
  // kInvalidArgument naming the field (product_id, name), kFailedPrecondition (field "therapy")
  // for a change of therapy kind.
  Result<bool> DefineProduct(const RequestContext& context, const recipes::ProductCommand& command);
  // Every product, in id order (recipe.view).
  Result<std::vector<recipes::ProductState>> Products(const RequestContext& context);
  // One product; kNotFound (field "product_id") when there is none.
  Result<recipes::ProductState> Product(const RequestContext& context, const std::string& id);

  // Creates a master batch record of a defined product, with no version yet (recipe.author).
  // Errors: kInvalidArgument (mbr_id, product_id, title), kNotFound (product), kAlreadyExists.
  Status CreateMasterBatchRecord(const RequestContext& context,
                                 const recipes::CreateCommand& command);
  // Every master batch record with its versions' lifecycle, in id order (recipe.view).
  Result<std::vector<recipes::MasterBatchRecordState>> MasterBatchRecords(
      const RequestContext& context);

  // Imports a definition as a new draft version of `record_id` and returns its number. Errors
  // (nothing recorded): kInvalidArgument listing every problem of the file at its line and column
  // (YAML) or pointer (JSON), the file's own syntax errors, or a definition of another record;
  // kNotFound for an unknown record; the domain's refusals (a version already in progress).
  Result<int> ImportVersion(const RequestContext& context, const std::string& record_id,
                            const ImportInput& input);
  // Replaces the definition of draft `version`: the same checks; kFailedPrecondition for a version
  // that is not a draft (an effective version is immutable).
  Status ReplaceDraft(const RequestContext& context, const std::string& record_id, int version,
                      const ImportInput& input);

  // The definition file of any version (EmitYaml of DefinitionToJson): what import reads back.
  Result<std::string> ExportVersion(const RequestContext& context, const std::string& record_id,
                                    int version);
  // The record and every version with its status now and its signatures (recipe.view); kNotFound
  // (field "mbr_id") for an unknown record.
  Result<RecipeHistory> History(const RequestContext& context, const std::string& record_id);
  // One version with its definition and signatures; kNotFound (field "mbr_id" or "version").
  Result<RecipeVersionView> Version(const RequestContext& context, const std::string& record_id,
                                    int version);
  // The version effective at `at`, with its definition; nullopt when none was.
  Result<std::optional<RecipeVersionView>> EffectiveAt(const RequestContext& context,
                                                       const std::string& record_id, Timestamp at);
  // What changed from version `from` to `to` (recipe.view, CMP-01); kNotFound (field "from" or
  // "to") for a version the record does not have.
  Result<VersionDifferences> Differences(const RequestContext& context,
                                         const std::string& record_id, int from, int to);

  // Proposes retiring the record from `effective` (default now), for QA to approve by signing the
  // record "master_batch_record" (recipe.author). Errors: the domain's (nothing effective or
  // pending, already retired, a date in the past).
  Status ProposeRetirement(const RequestContext& context, const std::string& record_id,
                           const std::string& reason, std::optional<Timestamp> effective);

  // For batch execution: the version of `record_id` effective at `at` and its definition, read in
  // the caller's snapshot. kNotFound for an unknown record; kFailedPrecondition when no version is
  // effective at `at` ("MBR-CAR19 has no effective version: version 3 is in review").
  static Result<std::pair<recipes::VersionState, recipes::Definition>> EffectiveDefinitionIn(
      StoreReader& reader, const std::string& record_id, Timestamp at);

  Timestamp Now() const { return clock_.Now(); }

 private:
  Result<RecipeVersionView> ViewOf(StoreReader& reader,
                                   const recipes::MasterBatchRecordState& record,
                                   const recipes::VersionState& version, Timestamp at,
                                   bool with_definition);

  Store& store_;
  Clock& clock_;
  SessionService& sessions_;
  SignatureService& signatures_;
};

// The signable record types: "mbr_version" ("MBR-CAR19:2"): authored (submitted for the check),
// reviewed (the independent check), approved (effective on its date, after the definition is
// checked again against the documents and materials as they stand), rejected (back to draft);
// "master_batch_record" ("MBR-CAR19"): approved (a proposed retirement).
SignableRecord MbrVersionRecord();
SignableRecord MasterBatchRecordRecord();

// ("MBR-CAR19", 2) -> "MBR-CAR19:2" and back; ParseMbrVersionId returns kNotFound (field
// "record_id") when malformed.
std::string MbrVersionId(std::string_view record_id, int version);
Result<std::pair<std::string, int>> ParseMbrVersionId(const std::string& id);

// The references a definition is checked against, as the reader's snapshot holds them at `now`:
// documents (retired ones unusable from their retirement date) and materials with their units. A
// record that does not read back sets `failure` (kDataLoss) and counts as absent; callers check
// `failure` after validating.
recipes::References ReferencesIn(StoreReader& reader, Timestamp now, Status& failure);

}  // namespace aliquot::app
