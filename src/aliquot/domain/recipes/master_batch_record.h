// Products and their master batch records (21 CFR 211.186, G-01; ISA-88 master recipe, S88-01).
// A master batch record is one process for one product ("MBR-CAR19"); its versions are prepared by
// one person, independently checked by a second and approved by a third, each by e-signature, and
// become effective on a set date, which supersedes the version before. An effective version never
// changes: a change is a new version (G-02: every batch copies an exact, approved master). The
// definitions themselves travel in the events; the state here keeps only each version's
// lifecycle, so loading it stays cheap however large the definitions are.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::recipes {

enum class TherapyKind { kAutologous, kAllogeneic };
std::string_view TherapyKindName(TherapyKind kind);  // "autologous", "allogeneic"
std::optional<TherapyKind> TherapyKindFromName(std::string_view name);

struct ProductState {
  bool exists = false;
  std::string id;  // "CAR19": 2-32 of A-Z, 0-9 and '-'.
  std::string name;
  TherapyKind therapy = TherapyKind::kAutologous;
  std::string description;
  std::string defined_by;
  Timestamp defined_at;
};

ledger::StreamRef ProductStream(std::string_view product_id);

struct ProductCommand {
  std::string id;
  std::string name;
  TherapyKind therapy = TherapyKind::kAutologous;
  std::string description;
};

// Defines a product, or redefines its name and description (never its therapy kind, which the
// chain of identity depends on). Returns kInvalidArgument naming the field (id, name), or
// kFailedPrecondition for a change of therapy kind.
Result<ledger::NewEvent> DefineProduct(const ProductState& state, const ProductCommand& command,
                                       const ledger::Actor& actor, std::string_view terminal);
Status ApplyProductEvent(ProductState& state, const ledger::Event& event);
Json ProductToJson(const ProductState& state);
Result<ProductState> ProductFromJson(const Json& json);

// Where a version is in its approval; whether an approved one is effective, superseded or retired
// depends on the instant asked about (StatusAt).
enum class Stage { kDraft, kInReview, kApproved };
enum class VersionStatus { kDraft, kInReview, kApproved, kEffective, kSuperseded, kRetired };
std::string_view VersionStatusName(VersionStatus status);  // "in_review"

struct VersionState {
  int number = 0;
  Stage stage = Stage::kDraft;
  std::string change_reason;
  std::vector<ClinicalPhase> phases;  // Of its definition, kept here for lists.
  std::string content_sha256;         // Of CanonicalJson(DefinitionToJson(definition)).
  std::optional<Timestamp> requested_effective;
  std::string drafted_by;
  Timestamp drafted_at;
  // Who updated the draft since, and who submitted a round that was rejected: co-preparers.
  std::vector<std::string> contributors;
  std::optional<std::string> prepared_by;  // Submitted for review by signature "authored".
  std::optional<std::string> checked_by;   // "reviewed": the independent check.
  std::optional<std::string> approved_by;  // "approved".
  std::optional<Timestamp> approved_at;
  std::optional<Timestamp> effective_from;
  std::optional<Timestamp> effective_until;  // The next version's effective date, or retirement.
  bool retired = false;  // Its effective_until came from retiring the record, not a successor.

  bool EffectiveAt(Timestamp t) const {
    return stage == Stage::kApproved && effective_from && *effective_from <= t &&
           (!effective_until || t < *effective_until);
  }
};

struct MasterBatchRecordState {
  bool exists = false;
  std::string id;  // "MBR-CAR19".
  std::string product;
  std::string title;
  std::string created_by;
  Timestamp created_at;
  std::vector<VersionState> versions;  // In number order.
  std::optional<std::string> retirement_reason;
  std::optional<Timestamp> retirement_effective;
  std::optional<std::string> retirement_proposed_by;
  std::optional<Timestamp> retired_from;

  const VersionState* Version(int number) const;
  const VersionState* Latest() const { return versions.empty() ? nullptr : &versions.back(); }
  const VersionState* EffectiveAt(Timestamp t) const;
  VersionStatus StatusAt(const VersionState& version, Timestamp t) const;
};

ledger::StreamRef MasterBatchRecordStream(std::string_view id);
// "MBR-CAR19": 2-32 of A-Z, 0-9 and '-'. kInvalidArgument naming `field`.
Status ValidateRecordId(std::string_view id, std::string_view field);

struct CreateCommand {
  std::string id;
  std::string product;
  std::string title;
};

// Creates the master batch record of an existing product, with no version yet. Returns
// kAlreadyExists (ids are never reused), kInvalidArgument naming the field, kNotFound (field
// "product") when `product` is not defined.
Result<ledger::NewEvent> CreateMasterBatchRecord(const MasterBatchRecordState& state,
                                                 const CreateCommand& command,
                                                 const ProductState& product,
                                                 const ledger::Actor& actor,
                                                 std::string_view terminal);

struct DraftCommand {
  Definition definition;  // Checked by ValidateDefinition before this is called.
  std::string change_reason;
  std::optional<Timestamp> requested_effective;
};

// Drafts a new version (`version` nullopt) or replaces the definition of the draft `version`.
// The definition's master_batch_record and product must be this record's. Returns
// kInvalidArgument naming the field (change_reason of 5-2000 bytes, as for documents;
// master_batch_record / product not this record's; effective_from in the past), kFailedPrecondition
// for a new version while another is a draft, in review or waiting for its effective date ("version
// 3 is in review: ..."), for replacing a version that is not a draft (an effective version is
// immutable: "version 2 is effective and cannot change; import the change as a new version"), or
// once the record is retired; kNotFound for an unknown `version`. The event carries the whole
// definition.
// The number the draft would have: `version` itself when it is a draft to replace, the next number
// for a new version. Refuses for the record's state alone, whatever the definition: kNotFound for
// an unknown record or version, kFailedPrecondition for a retired record, a version that is not a
// draft (field "version": an effective version is immutable, G-02) or another version in progress.
// DraftVersion asks it; a caller that must read a large file first may ask it before.
Result<int> VersionToDraft(const MasterBatchRecordState& state, std::optional<int> version,
                           Timestamp now);

Result<ledger::NewEvent> DraftVersion(const MasterBatchRecordState& state,
                                      std::optional<int> version, const DraftCommand& command,
                                      Timestamp now, const ledger::Actor& actor,
                                      std::string_view terminal);

// What an e-signature on a version brings about (meanings as identity::Meaning names):
// authored: draft -> in review; the signer is its preparer;
// reviewed: in review -> checked, by someone who did not prepare it (211.186: "independently
//   checked by a second person"; the signature service checks independence);
// approved: in review and checked -> approved, effective from the requested date (or now), which
//   must not have passed; the approver neither prepared nor checked it; the version effective
//   until then is superseded at that date;
// rejected: in review -> draft again, the comment its reason.
// Returns kFailedPrecondition naming what the version's state does not allow, kInvalidArgument
// (field "comment") for a rejection without a reason.
enum class SignatureMeaning { kAuthored, kReviewed, kApproved, kRejected };
Result<ledger::NewEvent> DecideVersionSignature(const MasterBatchRecordState& state, int version,
                                                SignatureMeaning meaning,
                                                const std::optional<std::string>& comment,
                                                Timestamp now, const ledger::Actor& actor,
                                                std::string_view terminal);

// Who prepared or checked `version`: they may not check or approve it (G-01, A11-01).
std::vector<std::string> VersionPreparers(const VersionState& version);

// Proposes retiring the record (no version may be executed from `effective`, not in the past).
// Returns kFailedPrecondition when no version is effective or pending, or when already retired.
Result<ledger::NewEvent> ProposeRetirement(const MasterBatchRecordState& state,
                                           std::string_view reason, Timestamp effective,
                                           Timestamp now, const ledger::Actor& actor,
                                           std::string_view terminal);
// QA's approval of a proposed retirement: retired from its date (or now, if that has passed).
// Returns kFailedPrecondition with nothing proposed.
Result<ledger::NewEvent> ApproveRetirement(const MasterBatchRecordState& state, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

// Applies one recipes.* event of the record's stream to `state` (the definition a draft event
// carries is not kept: see DraftedDefinition). Returns kDataLoss naming the event when it does
// not fit.
Status ApplyMasterBatchRecordEvent(MasterBatchRecordState& state, const ledger::Event& event);
// The same, for an event whose payload the caller has parsed already (the projection, which also
// stores the definition the payload carries: one parse of a large payload, not two).
Status ApplyMasterBatchRecordEvent(MasterBatchRecordState& state,
                                   const ledger::PayloadReader& payload);

// A draft event's version, hash and definition as canonical JSON text, checked to hash to what
// the version's signatures bind to: what the projection stores, without decoding it. kDataLoss
// when the event drafts nothing or its definition does not hash.
struct DraftedText {
  int version = 0;
  std::string sha256;
  std::string definition;
};
Result<DraftedText> DraftedDefinitionText(const ledger::PayloadReader& payload);
// The version number and definition a draft event carries; kDataLoss when it does not hold one.
Result<std::pair<int, Definition>> DraftedDefinition(const ledger::Event& event);

Json MasterBatchRecordToJson(const MasterBatchRecordState& state);
Result<MasterBatchRecordState> MasterBatchRecordFromJson(const Json& json);

// The SHA-256 (hex) the signatures of a version bind to: of CanonicalJson(DefinitionToJson(d)).
std::string DefinitionSha256(const Definition& definition);

}  // namespace aliquot::recipes
