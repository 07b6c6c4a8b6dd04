#include "aliquot/domain/documents/document.h"

#include <algorithm>
#include <array>
#include <utility>

#include "aliquot/core/hex.h"
#include "aliquot/core/text.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::documents {
namespace {

constexpr std::array<std::string_view, 4> kKindNames = {"sop", "work_instruction", "form",
                                                        "specification"};

ledger::NewEvent DocumentEvent(std::string_view document_id, std::string_view type,
                               const ledger::Actor& actor, std::string_view terminal) {
  return ledger::NewEvent::On(DocumentStream(document_id), type, actor, terminal);
}

std::string VersionName(const DocumentState& state, int number) {
  return state.id + " version " + std::to_string(number);
}

Json OptionalTime(const std::optional<Timestamp>& time) {
  return time ? Json(time->ToRfc3339()) : Json();
}

Result<std::optional<Timestamp>> ReadOptionalTime(const ledger::PayloadReader& payload,
                                                  std::string_view name) {
  const Json* member = payload.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<Timestamp>();
  if (!member->IsString()) return Unexpected(payload.Corrupt(std::string(name) + " is no time"));
  auto time = Timestamp::ParseRfc3339(member->AsString());
  if (!time) return Unexpected(payload.Corrupt(std::string(name) + ": " + time.error().Message()));
  return std::optional<Timestamp>(*time);
}

Status CheckFile(const DocumentFile& file) {
  if (!IsLowerHex(file.sha256, 64)) {
    return Unexpected(
        InvalidArgument("file sha256 must be 64 lower-case hex digits", "file.sha256"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(file.file_name, "file.file_name", 1, 200));
  if (file.file_name.find('/') != std::string::npos ||
      file.file_name.find('\\') != std::string::npos) {
    return Unexpected(InvalidArgument("file_name must be a name, not a path", "file.file_name"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(file.media_type, "file.media_type", 3, 255));
  if (file.size == 0) return Unexpected(InvalidArgument("the file is empty", "file.size"));
  return {};
}

// The version number a document's event names, checked against the state.
Result<VersionState*> EventVersion(DocumentState& state, const ledger::PayloadReader& payload) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
  if (number < 1 || number > static_cast<std::int64_t>(state.versions.size())) {
    return Unexpected(payload.Corrupt("version " + std::to_string(number) + " does not exist"));
  }
  return &state.versions[static_cast<std::size_t>(number - 1)];
}

}  // namespace

std::string_view DocumentKindName(DocumentKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<DocumentKind> DocumentKindFromName(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<DocumentKind>(i);
  }
  return std::nullopt;
}

std::string_view RevisionName(Revision revision) {
  return revision == Revision::kMajor ? "major" : "minor";
}

std::optional<Revision> RevisionFromName(std::string_view name) {
  if (name == "major") return Revision::kMajor;
  if (name == "minor") return Revision::kMinor;
  return std::nullopt;
}

std::string_view VersionStatusName(VersionStatus status) {
  switch (status) {
    case VersionStatus::kDraft:
      return "draft";
    case VersionStatus::kInReview:
      return "in_review";
    case VersionStatus::kApproved:
      return "approved";
    case VersionStatus::kEffective:
      return "effective";
    case VersionStatus::kSuperseded:
      return "superseded";
    case VersionStatus::kObsolete:
      return "obsolete";
  }
  return "draft";
}

Json FileToJson(const DocumentFile& file) {
  Json json = Json::MakeObject();
  json.Set("sha256", file.sha256);
  json.Set("file_name", file.file_name);
  json.Set("media_type", file.media_type);
  json.Set("size", Json(file.size));
  return json;
}

ledger::StreamRef DocumentStream(std::string_view document_id) {
  return {"document", std::string(document_id)};
}

Status ValidateDocumentId(std::string_view id, std::string_view field) {
  if (!IsUpperCaseCode(id, 2, 32)) {
    return Unexpected(
        InvalidArgument(std::string(field) + " must be 2-32 of A-Z, 0-9 and '-' (like SOP-CT-004)",
                        std::string(field)));
  }
  return {};
}

const VersionState* DocumentState::Version(int number) const {
  if (number < 1 || number > static_cast<int>(versions.size())) return nullptr;
  return &versions[static_cast<std::size_t>(number - 1)];
}

const VersionState* DocumentState::EffectiveAt(Timestamp t) const {
  // Newest first: at most one version is effective at any instant.
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->EffectiveAt(t)) return &*it;
  }
  return nullptr;
}

const VersionState* DocumentState::PendingAt(Timestamp t) const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->stage == Stage::kApproved && it->approved_at && *it->approved_at <= t &&
        it->effective_from && t < *it->effective_from &&
        (!retired_from || *it->effective_from < *retired_from)) {
      return &*it;
    }
  }
  return nullptr;
}

VersionStatus DocumentState::StatusAt(const VersionState& version, Timestamp t) const {
  switch (version.stage) {
    case Stage::kDraft:
      return VersionStatus::kDraft;
    case Stage::kInReview:
      return VersionStatus::kInReview;
    case Stage::kApproved:
      break;
  }
  if (t < *version.effective_from) return VersionStatus::kApproved;
  if (!version.effective_until || t < *version.effective_until) return VersionStatus::kEffective;
  // Ended by the retirement (a version still waiting for its date then never takes effect).
  if (retired_from && *retired_from <= *version.effective_until) return VersionStatus::kObsolete;
  return VersionStatus::kSuperseded;
}

std::optional<Timestamp> DocumentState::ReviewDueAt(Timestamp t) const {
  const VersionState* effective = EffectiveAt(t);
  if (effective == nullptr) return std::nullopt;
  Timestamp base = *effective->effective_from;
  if (last_periodic_review && *last_periodic_review <= t) {
    base = std::max(base, *last_periodic_review);
  }
  return base.PlusCalendarMonths(review_interval_months);
}

int DocumentState::TrainingBaseline(const VersionState& version) const {
  for (int number = version.number; number > 1; --number) {
    if (versions[static_cast<std::size_t>(number - 1)].revision == Revision::kMajor) return number;
  }
  return 1;
}

std::vector<std::string> VersionAuthors(const VersionState& version) {
  std::vector<std::string> authors{version.drafted_by};
  for (const std::string& who : version.contributors) {
    if (std::find(authors.begin(), authors.end(), who) == authors.end()) authors.push_back(who);
  }
  for (const std::optional<std::string>& who : {version.submitted_by, version.reviewed_by}) {
    if (who && std::find(authors.begin(), authors.end(), *who) == authors.end()) {
      authors.push_back(*who);
    }
  }
  return authors;
}

Result<ledger::NewEvent> CreateDocument(const DocumentState& state,
                                        const CreateDocumentCommand& command,
                                        const std::vector<std::string>& sites,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateDocumentId(command.id, "document_id"));
  if (std::find(sites.begin(), sites.end(), command.site) == sites.end()) {
    return Unexpected(InvalidArgument("no site " + command.site.substr(0, 40), "site"));
  }
  if (command.review_interval_months < 1 || command.review_interval_months > 120) {
    return Unexpected(
        InvalidArgument("review_interval_months must be 1 to 120", "review_interval_months"));
  }
  if (state.exists) {
    return Unexpected(
        AlreadyExists("document " + command.id + " exists already; document ids are never reused",
                      "document_id"));
  }
  ledger::NewEvent event = DocumentEvent(command.id, "documents.document_created", actor, terminal);
  event.payload.Set("site", command.site);
  event.payload.Set("kind", DocumentKindName(command.kind));
  event.payload.Set("review_interval_months", command.review_interval_months);
  return event;
}

Result<ledger::NewEvent> DraftVersion(const DocumentState& state, const DraftCommand& command,
                                      Timestamp now, const ledger::Actor& actor,
                                      std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no document " + state.id, "document_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.title, "title", 3, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckFile(command.file));
  // P11-10: every version carries why it was made, in the time-sequenced change history.
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.change_reason, "change_reason", 5, 2000));
  if (command.requested_effective && *command.requested_effective < now) {
    return Unexpected(InvalidArgument("effective_from " + command.requested_effective->ToRfc3339() +
                                          " is in the past; a version becomes effective now or "
                                          "later, never retroactively",
                                      "effective_from"));
  }
  if (state.retired_from || state.retirement_effective) {
    return Unexpected(FailedPrecondition(
        state.id + " is retired (or its retirement is proposed); it takes no new version",
        "document_id"));
  }
  const VersionState* latest = state.Latest();
  const bool update = latest != nullptr && latest->stage == Stage::kDraft;
  const int number = update ? latest->number : (latest == nullptr ? 1 : latest->number + 1);
  if (number == 1 && command.revision != Revision::kMajor) {
    return Unexpected(InvalidArgument(
        "version 1 is a major revision: everyone who works to it is trained on it", "revision"));
  }
  if (latest != nullptr && latest->stage == Stage::kInReview) {
    return Unexpected(FailedPrecondition(
        VersionName(state, latest->number) +
            " is in review; it is approved or returned to draft before another version starts",
        "document_id"));
  }
  if (const VersionState* pending = state.PendingAt(now); pending != nullptr) {
    return Unexpected(FailedPrecondition(
        VersionName(state, pending->number) + " is approved and becomes effective on " +
            pending->effective_from->ToRfc3339() + "; the next version starts after that",
        "document_id"));
  }
  ledger::NewEvent event = DocumentEvent(
      state.id, update ? "documents.draft_updated" : "documents.version_drafted", actor, terminal);
  event.payload.Set("version", number);
  event.payload.Set("title", command.title);
  event.payload.Set("file", FileToJson(command.file));
  event.payload.Set("change_reason", command.change_reason);
  event.payload.Set("revision", RevisionName(command.revision));
  event.payload.Set("effective_from", OptionalTime(command.requested_effective));
  return event;
}

Result<ledger::NewEvent> DecideVersionSignature(const DocumentState& state, int number,
                                                SignatureMeaning meaning,
                                                const std::optional<std::string>& comment,
                                                Timestamp now, std::string_view terminal_id,
                                                const ledger::Actor& actor) {
  const VersionState* version = state.Version(number);
  if (version == nullptr) {
    return Unexpected(NotFound("no " + VersionName(state, number), "record_id"));
  }
  const std::string name = VersionName(state, number);
  if (state.retired_from || state.retirement_effective) {
    return Unexpected(FailedPrecondition(
        state.id + " is retired (or its retirement is proposed); none of its versions moves on",
        "record_id"));
  }
  const auto event = [&](std::string_view type) {
    ledger::NewEvent made = DocumentEvent(state.id, type, actor, terminal_id);
    made.payload.Set("version", number);
    return made;
  };
  switch (meaning) {
    case SignatureMeaning::kAuthored:
      if (version->stage != Stage::kDraft) {
        return Unexpected(FailedPrecondition(
            name + " is not a draft; only a draft is submitted for review", "meaning"));
      }
      if (version->requested_effective && *version->requested_effective < now) {
        return Unexpected(FailedPrecondition(
            name + " asks to become effective on " + version->requested_effective->ToRfc3339() +
                ", which has passed; update the draft with a new date first",
            "effective_from"));
      }
      return event("documents.version_submitted");
    case SignatureMeaning::kReviewed:
      if (version->stage != Stage::kInReview) {
        return Unexpected(FailedPrecondition(
            name + " is " + std::string(VersionStatusName(state.StatusAt(*version, now))) +
                "; a version is reviewed while in review (the periodic review of an effective "
                "document is signed on the document itself)",
            "meaning"));
      }
      if (version->reviewed_by) {
        return Unexpected(FailedPrecondition(
            name + " was reviewed by " + *version->reviewed_by + " already; it awaits approval",
            "meaning"));
      }
      return event("documents.version_reviewed");
    case SignatureMeaning::kApproved: {
      if (version->stage != Stage::kInReview || !version->reviewed_by) {
        return Unexpected(FailedPrecondition(
            name + (version->stage == Stage::kInReview
                        ? " has not been reviewed yet; it is approved after its review"
                        : " is not in review; only a reviewed version is approved"),
            "meaning"));
      }
      if (version->requested_effective && *version->requested_effective < now) {
        return Unexpected(FailedPrecondition(
            name + " was to become effective on " + version->requested_effective->ToRfc3339() +
                ", which has passed; reject it back to draft so its author sets a new date",
            "effective_from"));
      }
      const Timestamp effective = version->requested_effective.value_or(now);
      ledger::NewEvent approved = event("documents.version_approved");
      approved.payload.Set("effective_from", effective.ToRfc3339());
      return approved;
    }
    case SignatureMeaning::kRejected:
      if (version->stage != Stage::kInReview) {
        return Unexpected(FailedPrecondition(
            name + " is not in review; only a version in review is returned to its author",
            "meaning"));
      }
      if (!comment || comment->empty()) {
        return Unexpected(InvalidArgument(
            "a rejection says why in its comment, for the author to act on", "comment"));
      }
      {
        ledger::NewEvent returned = event("documents.version_returned");
        returned.payload.Set("reason", *comment);
        return returned;
      }
  }
  return Unexpected(Internal("unknown signature meaning"));
}

Result<ledger::NewEvent> RecordPeriodicReview(const DocumentState& state, Timestamp now,
                                              const ledger::Actor& actor,
                                              std::string_view terminal) {
  const VersionState* effective = state.EffectiveAt(now);
  if (effective == nullptr) {
    return Unexpected(FailedPrecondition(
        state.id + " has no effective version; a periodic review evaluates the effective one",
        "meaning"));
  }
  ledger::NewEvent event =
      DocumentEvent(state.id, "documents.periodic_review_recorded", actor, terminal);
  event.payload.Set("version", effective->number);
  return event;
}

Result<ledger::NewEvent> ProposeRetirement(const DocumentState& state, std::string_view reason,
                                           Timestamp effective, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no document " + state.id, "document_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 5, 2000));
  if (effective < now) {
    return Unexpected(InvalidArgument("effective_from " + effective.ToRfc3339() +
                                          " is in the past; a document is retired from now on",
                                      "effective_from"));
  }
  if (state.retired_from) {
    return Unexpected(FailedPrecondition(state.id + " is retired already", "document_id"));
  }
  if (state.EffectiveAt(now) == nullptr && state.PendingAt(now) == nullptr) {
    return Unexpected(FailedPrecondition(
        state.id + " has no effective version; an unapproved draft is not retired", "document_id"));
  }
  const VersionState* latest = state.Latest();
  if (latest->stage == Stage::kInReview) {
    return Unexpected(FailedPrecondition(
        VersionName(state, latest->number) + " is in review; finish or return it first",
        "document_id"));
  }
  ledger::NewEvent event =
      DocumentEvent(state.id, "documents.retirement_proposed", actor, terminal);
  event.payload.Set("effective_from", effective.ToRfc3339());
  event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> ApproveRetirement(const DocumentState& state, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  if (!state.retirement_effective || state.retired_from) {
    return Unexpected(FailedPrecondition(
        "no retirement of " + state.id + " awaits approval; the document owner proposes one",
        "meaning"));
  }
  ledger::NewEvent event = DocumentEvent(state.id, "documents.document_retired", actor, terminal);
  event.payload.Set("effective_from", std::max(*state.retirement_effective, now).ToRfc3339());
  return event;
}

Status ApplyDocumentEvent(DocumentState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  const std::string& type = event.event_type;
  if (type == "documents.document_created") {
    if (state.exists) return Unexpected(payload.Corrupt("the document exists already"));
    state.exists = true;
    state.id = event.stream.id;
    ALIQUOT_ASSIGN_OR_RETURN(state.site, payload.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, payload.String("kind"));
    const std::optional<DocumentKind> parsed = DocumentKindFromName(kind);
    if (!parsed) return Unexpected(payload.Corrupt("unknown kind " + kind));
    state.kind = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t months, payload.Integer("review_interval_months"));
    state.review_interval_months = static_cast<int>(months);
    state.owner = event.actor.id;
    state.created_at = event.time;
    return {};
  }
  if (!state.exists) return Unexpected(payload.Corrupt("the document was never created"));
  if (type == "documents.version_drafted" || type == "documents.draft_updated") {
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
    const bool update = type == "documents.draft_updated";
    if (number != static_cast<std::int64_t>(state.versions.size()) + (update ? 0 : 1)) {
      return Unexpected(payload.Corrupt("version " + std::to_string(number) + " is out of order"));
    }
    if (!update) state.versions.emplace_back();
    VersionState& version = state.versions.back();
    version.number = static_cast<int>(number);
    version.stage = Stage::kDraft;
    ALIQUOT_ASSIGN_OR_RETURN(version.title, payload.String("title"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* file, payload.Object("file"));
    const Json* sha = file->Find("sha256");
    const Json* file_name = file->Find("file_name");
    const Json* media_type = file->Find("media_type");
    const Json* size = file->Find("size");
    if (sha == nullptr || !sha->IsString() || file_name == nullptr || !file_name->IsString() ||
        media_type == nullptr || !media_type->IsString() || size == nullptr || !size->AsInteger() ||
        *size->AsInteger() < 1) {
      return Unexpected(payload.Corrupt("file is malformed"));
    }
    version.file = {sha->AsString(), file_name->AsString(), media_type->AsString(),
                    static_cast<std::uint64_t>(*size->AsInteger())};
    ALIQUOT_ASSIGN_OR_RETURN(version.change_reason, payload.String("change_reason"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string revision, payload.String("revision"));
    const std::optional<Revision> parsed = RevisionFromName(revision);
    if (!parsed) return Unexpected(payload.Corrupt("unknown revision " + revision));
    version.revision = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(version.requested_effective,
                             ReadOptionalTime(payload, "effective_from"));
    if (!update) {
      version.drafted_by = event.actor.id;
      version.drafted_at = event.time;
    } else if (event.actor.id != version.drafted_by &&
               std::find(version.contributors.begin(), version.contributors.end(),
                         event.actor.id) == version.contributors.end()) {
      version.contributors.push_back(event.actor.id);
    }
    version.submitted_by.reset();
    version.reviewed_by.reset();
    return {};
  }
  if (type == "documents.retirement_proposed") {
    ALIQUOT_ASSIGN_OR_RETURN(state.retirement_effective,
                             ReadOptionalTime(payload, "effective_from"));
    state.retirement_reason = event.reason;
    state.retirement_proposed_by = event.actor.id;
    return {};
  }
  if (type == "documents.document_retired") {
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Timestamp> from,
                             ReadOptionalTime(payload, "effective_from"));
    if (!from) return Unexpected(payload.Corrupt("effective_from is missing"));
    from = std::max(*from, event.time);  // As for an approval: never before it is recorded.
    state.retired_from = from;
    // The versions effective or waiting then end there.
    for (VersionState& version : state.versions) {
      if (version.stage != Stage::kApproved) continue;
      if (!version.effective_until || *version.effective_until > *from) {
        version.effective_until = std::max(*from, *version.effective_from);
      }
    }
    return {};
  }
  ALIQUOT_ASSIGN_OR_RETURN(VersionState * version, EventVersion(state, payload));
  if (type == "documents.version_submitted") {
    version->stage = Stage::kInReview;
    version->submitted_by = event.actor.id;
  } else if (type == "documents.version_reviewed") {
    version->reviewed_by = event.actor.id;
  } else if (type == "documents.version_returned") {
    version->stage = Stage::kDraft;
    version->submitted_by.reset();
    version->reviewed_by.reset();
  } else if (type == "documents.periodic_review_recorded") {
    state.last_periodic_review = event.time;
  } else if (type == "documents.version_approved") {
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Timestamp> from,
                             ReadOptionalTime(payload, "effective_from"));
    if (!from) return Unexpected(payload.Corrupt("effective_from is missing"));
    version->stage = Stage::kApproved;
    version->approved_by = event.actor.id;
    version->approved_at = event.time;
    // "Effective on approval" was decided a moment before the event was sealed: it takes effect
    // when the approval is recorded, never earlier, so no past instant's answer changes.
    from = std::max(*from, event.time);
    version->effective_from = from;
    if (state.retired_from) {
      version->effective_until = std::max(*state.retired_from, *from);
    }
    // It supersedes every earlier version from its effective date on.
    for (VersionState& earlier : state.versions) {
      if (earlier.number >= version->number || earlier.stage != Stage::kApproved) continue;
      if (!earlier.effective_until || *earlier.effective_until > *from) {
        earlier.effective_until = std::max(*from, *earlier.effective_from);
      }
    }
  } else {
    return Unexpected(payload.Corrupt("unknown document event"));
  }
  return {};
}

}  // namespace aliquot::documents
