// Controlled documents (SOPs, work instructions, forms, specifications) and their versions
// (21 CFR 11.10(k), P11-10; EU GMP Annex 11 s10, A11-05). A version is drafted with its file's
// SHA-256 and a change reason, submitted by its author, reviewed and approved by two other people,
// each by e-signature, and becomes effective on a set date, which supersedes the version before
// it. Which version was effective at an instant follows from recorded dates alone, so the answer
// for a past instant never changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::documents {

enum class DocumentKind { kSop, kWorkInstruction, kForm, kSpecification };
std::string_view DocumentKindName(DocumentKind kind);  // "sop", "work_instruction", ...
std::optional<DocumentKind> DocumentKindFromName(std::string_view name);

// A major revision changes how the work is done: everyone trained on the document is trained
// again. A minor one (a typo, a reference) keeps their qualification.
enum class Revision { kMajor, kMinor };
std::string_view RevisionName(Revision revision);  // "major", "minor"
std::optional<Revision> RevisionFromName(std::string_view name);

// Where a version is in its approval. Once approved, whether it is effective, superseded or
// obsolete depends only on the instant asked about (VersionStatusAt).
enum class Stage { kDraft, kInReview, kApproved };

enum class VersionStatus { kDraft, kInReview, kApproved, kEffective, kSuperseded, kObsolete };
std::string_view VersionStatusName(VersionStatus status);  // "in_review"

struct DocumentFile {
  std::string sha256;      // Of the bytes in the blob store.
  std::string file_name;   // "SOP-CT-004_v3.pdf"
  std::string media_type;  // "application/pdf"
  std::uint64_t size = 0;
};

// {"sha256", "file_name", "media_type", "size"}: as events, signed content and the API show a file.
Json FileToJson(const DocumentFile& file);

struct VersionState {
  int number = 0;  // 1, 2, ...
  Stage stage = Stage::kDraft;
  std::string title;
  DocumentFile file;
  std::string change_reason;
  Revision revision = Revision::kMajor;
  // The effective date the author asks for; nullopt: effective when approved.
  std::optional<Timestamp> requested_effective;
  std::string drafted_by;
  Timestamp drafted_at;
  // Others who updated the draft since: co-authors, who may not review or approve it either.
  std::vector<std::string> contributors;
  std::optional<std::string> submitted_by;  // The author, by signature "authored".
  std::optional<std::string> reviewed_by;
  std::optional<std::string> approved_by;
  std::optional<Timestamp> approved_at;
  std::optional<Timestamp> effective_from;   // Set at approval.
  std::optional<Timestamp> effective_until;  // The next version's effective date, or retirement.

  bool EffectiveAt(Timestamp t) const {
    return stage == Stage::kApproved && effective_from && *effective_from <= t &&
           (!effective_until || t < *effective_until);
  }
};

struct DocumentState {
  bool exists = false;
  std::string id;  // "SOP-CT-004": the number people cite.
  std::string site;
  DocumentKind kind = DocumentKind::kSop;
  std::string owner;  // The document owner who created it.
  int review_interval_months = 24;
  Timestamp created_at;
  std::vector<VersionState> versions;  // In number order.
  // Retirement: proposed by the owner, approved by QA, obsolete from its date.
  std::optional<std::string> retirement_reason;
  std::optional<Timestamp> retirement_effective;
  std::optional<std::string> retirement_proposed_by;
  std::optional<Timestamp> retired_from;
  std::optional<Timestamp> last_periodic_review;

  const VersionState* Version(int number) const;
  const VersionState* Latest() const { return versions.empty() ? nullptr : &versions.back(); }
  // The version effective at `t`, or nullptr.
  const VersionState* EffectiveAt(Timestamp t) const;
  // The approved version waiting for its effective date at `t`, or nullptr.
  const VersionState* PendingAt(Timestamp t) const;
  VersionStatus StatusAt(const VersionState& version, Timestamp t) const;
  // When the periodic review of the version effective at `t` falls due: its effective date (or the
  // last periodic review, if later) plus the review interval. nullopt when none is effective.
  std::optional<Timestamp> ReviewDueAt(Timestamp t) const;
  // The lowest version number whose training still qualifies for `version`: the latest major
  // revision at or before it (version 1 always is one).
  int TrainingBaseline(const VersionState& version) const;
};

ledger::StreamRef DocumentStream(std::string_view document_id);
// Document ids: 2-32 of A-Z, 0-9 and '-' ("SOP-CT-004").
Status ValidateDocumentId(std::string_view id, std::string_view field);

struct CreateDocumentCommand {
  std::string id;
  std::string site;
  DocumentKind kind = DocumentKind::kSop;
  int review_interval_months = 24;
};

// Creates the document, with no version yet. Returns kAlreadyExists (ids are never reused),
// kInvalidArgument naming the field (id, site, review_interval_months 1-120).
Result<ledger::NewEvent> CreateDocument(const DocumentState& state,
                                        const CreateDocumentCommand& command,
                                        const std::vector<std::string>& sites,
                                        const ledger::Actor& actor, std::string_view terminal);

struct DraftCommand {
  std::string title;
  DocumentFile file;
  std::string change_reason;
  Revision revision = Revision::kMajor;
  std::optional<Timestamp> requested_effective;
};

// Drafts the next version, or updates the draft in progress (one returned by a reviewer too).
// Returns kInvalidArgument naming the field (title, change_reason: required for every version,
// revision: version 1 is always major, effective_from: not in the past), kFailedPrecondition while
// a version is in review or waits for its effective date, or once the document is retired.
Result<ledger::NewEvent> DraftVersion(const DocumentState& state, const DraftCommand& command,
                                      Timestamp now, const ledger::Actor& actor,
                                      std::string_view terminal);

// What an e-signature on a version brings about (meanings as identity::Meaning names):
// authored: draft -> in review (the signer becomes its author);
// reviewed: in review -> reviewed, by someone other than its author (the signature service checks
//   independence);
// approved: in review and reviewed -> approved, effective from the requested date (or now), which
//   must not have passed; approver other than author and reviewer;
// rejected: in review -> draft again, with the comment as the reason.
// Returns kFailedPrecondition naming what the version's state does not allow, kInvalidArgument
// (field "comment") for a rejection without a reason.
enum class SignatureMeaning { kAuthored, kReviewed, kApproved, kRejected };
Result<ledger::NewEvent> DecideVersionSignature(const DocumentState& state, int version,
                                                SignatureMeaning meaning,
                                                const std::optional<std::string>& comment,
                                                Timestamp now, std::string_view terminal_id,
                                                const ledger::Actor& actor);

// Who authored or checked `version` so far: they may not review or approve it (A11-01).
std::vector<std::string> VersionAuthors(const VersionState& version);

// The periodic review of the version effective now (Annex 11 s11, A11-05): the review is due
// again a review interval later. Returns kFailedPrecondition when none is effective.
Result<ledger::NewEvent> RecordPeriodicReview(const DocumentState& state, Timestamp now,
                                              const ledger::Actor& actor,
                                              std::string_view terminal);

// Proposes retiring the document from `effective` (not in the past). Returns kFailedPrecondition
// when no version is effective or pending, or when it is retired already.
Result<ledger::NewEvent> ProposeRetirement(const DocumentState& state, std::string_view reason,
                                           Timestamp effective, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

// QA's approval of a proposed retirement: obsolete from its date (or now, if that has passed).
// Returns kFailedPrecondition with nothing proposed.
Result<ledger::NewEvent> ApproveRetirement(const DocumentState& state, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

// Applies one documents.* event of the document's stream to `state`. Returns kDataLoss naming the
// event when it does not fit (the ledger does not hold what the code wrote).
Status ApplyDocumentEvent(DocumentState& state, const ledger::Event& event);

}  // namespace aliquot::documents
