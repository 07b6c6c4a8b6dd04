#include "aliquot/app/document_service.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "aliquot/app/document_records.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/use_case.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/training/training.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using identity::Action;
using identity::Meaning;

// The active users holding, at the document's site, a role whose curriculum includes it.
Result<std::vector<std::string>> UsersTrainedOn(StoreReader& reader,
                                                const documents::DocumentState& document) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<training::Curriculum> curricula,
                           LoadCurricula(reader));
  const identity::RoleSet roles = training::RolesRequiring(curricula, document.site, document.id);
  std::set<std::string> users;
  for (identity::Role role : identity::kAllRoles) {
    if (!roles.Contains(role)) continue;
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> holders,
                             UsersWithRole(reader, document.site, role));
    users.insert(holders.begin(), holders.end());
  }
  std::vector<std::string> active;
  for (const std::string& id : users) {
    ALIQUOT_ASSIGN_OR_RETURN(const identity::UserState user, LoadUser(reader, id));
    if (user.exists && user.status == identity::AccountStatus::kActive) active.push_back(id);
  }
  return active;
}

std::optional<documents::SignatureMeaning> VersionMeaning(Meaning meaning) {
  switch (meaning) {
    case Meaning::kAuthored:
      return documents::SignatureMeaning::kAuthored;
    case Meaning::kReviewed:
      return documents::SignatureMeaning::kReviewed;
    case Meaning::kApproved:
      return documents::SignatureMeaning::kApproved;
    case Meaning::kRejected:
      return documents::SignatureMeaning::kRejected;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string VersionRecordId(std::string_view document_id, int version) {
  return std::string(document_id) + ":" + std::to_string(version);
}

Result<std::pair<std::string, int>> ParseVersionId(const std::string& id) {
  const std::size_t slash = id.rfind(':');
  int number = 0;
  if (slash != std::string::npos && slash + 1 < id.size() && id.size() - slash <= 5) {
    const char* begin = id.data() + slash + 1;
    const char* end = id.data() + id.size();
    const auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ec == std::errc() && ptr == end && number >= 1) {
      return std::make_pair(id.substr(0, slash), number);
    }
  }
  return Unexpected(
      NotFound("a document version is named <document>:<version>, like SOP-CT-004:3", "record_id"));
}

Json VersionContent(const documents::DocumentState& document,
                    const documents::VersionState& version) {
  Json content = Json::MakeObject();
  content.Set("document_id", document.id);
  content.Set("version", version.number);
  content.Set("kind", documents::DocumentKindName(document.kind));
  content.Set("title", version.title);
  content.Set("file", documents::FileToJson(version.file));
  content.Set("change_reason", version.change_reason);
  content.Set("revision", documents::RevisionName(version.revision));
  content.Set("effective_from", version.requested_effective
                                    ? Json(version.requested_effective->ToRfc3339())
                                    : Json("on approval"));
  return content;
}

SignableRecord DocumentVersionRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    auto parsed = ParseVersionId(id);
    if (!parsed) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document,
                             LoadDocument(reader, parsed->first));
    const documents::VersionState* version = document.Version(parsed->second);
    if (!document.exists || version == nullptr) return std::optional<RecordContent>();
    RecordContent content;
    content.content = VersionContent(document, *version);
    // A11-01: who drafted, submitted or reviewed it does not review or approve it too.
    content.authors = documents::VersionAuthors(*version);
    content.streams = {documents::DocumentStream(document.id)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewDocuments;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    switch (meaning) {
      case Meaning::kAuthored:
        return Action::kAuthorDocument;
      case Meaning::kReviewed:
      case Meaning::kRejected:
        return Action::kReviewDocument;
      case Meaning::kApproved:
        return Action::kApproveDocument;
      default:
        return std::nullopt;
    }
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const auto parsed, ParseVersionId(signing.record.id));
    ALIQUOT_ASSIGN_OR_RETURN(documents::DocumentState document,
                             ExistingDocument(reader, parsed.first, "document_id"));
    const std::optional<documents::SignatureMeaning> meaning = VersionMeaning(signing.meaning);
    if (!meaning) return Unexpected(Internal("a version takes no such meaning"));
    const ledger::Actor actor = signing.context->Actor();
    const std::string& terminal = signing.context->terminal.id;
    if (*meaning == documents::SignatureMeaning::kAuthored &&
        signing.signer->id != document.Version(parsed.second)->drafted_by &&
        !signing.signer->RolesAt(document.site).Contains(identity::Role::kDocumentOwner)) {
      return Unexpected(PermissionDenied(
          "only a document owner at " + document.site + " submits a version of " + document.id,
          "meaning"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(
        ledger::NewEvent decided,
        documents::DecideVersionSignature(document, parsed.second, *meaning, signing.comment,
                                          signing.now, terminal, actor));
    std::vector<ledger::NewEvent> events;
    if (*meaning == documents::SignatureMeaning::kApproved) {
      // Apply the approval to a copy to learn its effective date, then assign retraining (G-11).
      ledger::Event sealed = ledger::SealEvent(decided, 1, signing.now, Hash256{});
      ALIQUOT_RETURN_IF_ERROR(documents::ApplyDocumentEvent(document, sealed));
      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> users,
                               UsersTrainedOn(reader, document));
      events.push_back(std::move(decided));
      for (ledger::NewEvent& assignment : training::RetrainingFor(
               document, *document.Version(parsed.second), users, actor, terminal)) {
        events.push_back(std::move(assignment));
      }
      return events;
    }
    events.push_back(std::move(decided));
    return events;
  };
  return record;
}

SignableRecord DocumentRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document, LoadDocument(reader, id));
    if (!document.exists) return std::optional<RecordContent>();
    RecordContent content;
    content.streams = {documents::DocumentStream(document.id)};
    // Whoever proposed a retirement does not approve it too.
    if (document.retirement_proposed_by && !document.retired_from) {
      content.authors = {*document.retirement_proposed_by};
    }
    // The document as a whole, not one version: its latest approved version, its last periodic
    // review (so the next review is new content, signable by the same person) and a retirement.
    content.content = Json::MakeObject();
    const documents::VersionState* latest = nullptr;
    for (const documents::VersionState& version : document.versions) {
      if (version.stage == documents::Stage::kApproved) latest = &version;
    }
    content.content.Set("document_id", document.id);
    content.content.Set("site", document.site);
    content.content.Set("kind", documents::DocumentKindName(document.kind));
    content.content.Set("approved_version", latest != nullptr ? Json(latest->number) : Json());
    content.content.Set("file_sha256", latest != nullptr ? Json(latest->file.sha256) : Json());
    content.content.Set(
        "last_periodic_review",
        document.last_periodic_review ? Json(document.last_periodic_review->ToRfc3339()) : Json());
    if (document.retirement_effective) {
      Json retirement = Json::MakeObject();
      retirement.Set("reason", document.retirement_reason.value_or(""));
      retirement.Set("effective_from", document.retirement_effective->ToRfc3339());
      retirement.Set("retired", document.retired_from.has_value());
      content.content.Set("retirement", std::move(retirement));
    } else {
      content.content.Set("retirement", Json());
    }
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewDocuments;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kReviewed) return Action::kReviewDocument;
    if (meaning == Meaning::kApproved) return Action::kApproveDocument;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document,
                             ExistingDocument(reader, signing.record.id, "document_id"));
    const ledger::Actor actor = signing.context->Actor();
    std::vector<ledger::NewEvent> events;
    if (signing.meaning == Meaning::kReviewed) {
      ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent reviewed,
                               documents::RecordPeriodicReview(document, signing.now, actor,
                                                               signing.context->terminal.id));
      events.push_back(std::move(reviewed));
    } else {
      ALIQUOT_ASSIGN_OR_RETURN(
          ledger::NewEvent retired,
          documents::ApproveRetirement(document, signing.now, actor, signing.context->terminal.id));
      events.push_back(std::move(retired));
    }
    return events;
  };
  return record;
}

DocumentService::DocumentService(Store& store, BlobStore& blobs, Clock& clock,
                                 SessionService& sessions, SignatureService& signatures,
                                 std::uint64_t max_upload_bytes)
    : store_(store),
      blobs_(blobs),
      clock_(clock),
      sessions_(sessions),
      signatures_(signatures),
      max_upload_bytes_(max_upload_bytes) {}

Result<BlobInfo> DocumentService::UploadFile(const RequestContext& context,
                                             const std::string& declared_sha256,
                                             std::string_view bytes,
                                             const std::string& media_type) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kUploadFile));
  if (!IsLowerHex(declared_sha256, 64)) {
    return Unexpected(InvalidArgument(
        "the declared sha256 must be 64 lower-case hex digits (the SHA-256 of the file)",
        "sha256"));
  }
  if (bytes.empty()) return Unexpected(InvalidArgument("the file is empty", "file"));
  if (bytes.size() > max_upload_bytes_) {
    return Unexpected(InvalidArgument("the file is " + std::to_string(bytes.size()) +
                                          " bytes; this server takes files up to " +
                                          std::to_string(max_upload_bytes_) + " bytes",
                                      "file"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(media_type, "media_type", 3, 255));
  const std::string actual = Sha256::Of(bytes).Hex();
  if (actual != declared_sha256) {
    // The file was damaged on the way, or is not the one the client meant: store nothing.
    return Unexpected(InvalidArgument("the file's SHA-256 is " + actual + ", not the declared " +
                                          declared_sha256 + "; nothing was stored",
                                      "sha256"));
  }
  return blobs_.PutBlob(bytes, media_type);
}

Result<FileContent> DocumentService::DownloadFile(const RequestContext& context,
                                                  const std::string& sha256) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDocuments));
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<BlobInfo> info, blobs_.StatBlob(sha256));
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<std::string> bytes, blobs_.GetBlob(sha256));
  if (!info || !bytes) {
    return Unexpected(NotFound("no file has SHA-256 " + sha256.substr(0, 64), "sha256"));
  }
  return FileContent{std::move(*info), std::move(*bytes), sha256};
}

Status DocumentService::CreateDocument(const RequestContext& context,
                                       const documents::CreateDocumentCommand& command) {
  return RunUseCase(store_, sessions_, context, Action::kCreateDocument,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState state,
                                               LoadDocument(reader, command.id));
                      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites,
                                               LoadSiteIds(reader));
                      ALIQUOT_ASSIGN_OR_RETURN(
                          ledger::NewEvent event,
                          documents::CreateDocument(state, command, sites, context.Actor(),
                                                    context.terminal.id));
                      return std::vector<ledger::NewEvent>{std::move(event)};
                    })
      .transform([](const auto&) {});
}

Result<int> DocumentService::DraftVersion(const RequestContext& context,
                                          const std::string& document_id, const DraftInput& input) {
  if (!IsLowerHex(input.file_sha256, 64)) {
    return Unexpected(
        InvalidArgument("file_sha256 must be 64 lower-case hex digits", "file_sha256"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<BlobInfo> blob, blobs_.StatBlob(input.file_sha256));
  if (!blob) {
    return Unexpected(FailedPrecondition("no file with SHA-256 " + input.file_sha256 +
                                             " was uploaded; upload it first (PUT /api/v1/files/"
                                             "{sha256})",
                                         "file_sha256"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      const std::vector<ledger::Event> appended,
      RunUseCase(store_, sessions_, context, Action::kCreateDocument,
                 [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                   ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState state,
                                            ExistingDocument(reader, document_id, "document_id"));
                   documents::DraftCommand command;
                   command.title = input.title;
                   command.file = {blob->sha256, input.file_name, blob->media_type, blob->size};
                   command.change_reason = input.change_reason;
                   command.revision = input.revision;
                   command.requested_effective = input.effective_from;
                   ALIQUOT_ASSIGN_OR_RETURN(
                       ledger::NewEvent event,
                       documents::DraftVersion(state, command, clock_.Now(), context.Actor(),
                                               context.terminal.id));
                   return std::vector<ledger::NewEvent>{std::move(event)};
                 }));
  // The version the draft was recorded as: a new one, or the draft in progress.
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(appended.front()));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("version"));
  return static_cast<int>(number);
}

Status DocumentService::ProposeRetirement(const RequestContext& context,
                                          const std::string& document_id, const std::string& reason,
                                          Timestamp effective) {
  return RunUseCase(store_, sessions_, context, Action::kCreateDocument,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(
                          const documents::DocumentState state,
                          ExistingDocument(reader, document_id, "document_id"));
                      ALIQUOT_ASSIGN_OR_RETURN(
                          ledger::NewEvent event,
                          documents::ProposeRetirement(state, reason, effective, clock_.Now(),
                                                       context.Actor(), context.terminal.id));
                      return std::vector<ledger::NewEvent>{std::move(event)};
                    })
      .transform([](const auto&) {});
}

Result<std::vector<documents::DocumentState>> DocumentService::Documents(
    const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDocuments));
  std::vector<documents::DocumentState> documents;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(documents, LoadDocuments(reader));
    return {};
  }));
  return documents;
}

Result<DocumentHistory> DocumentService::History(const RequestContext& context,
                                                 const std::string& document_id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDocuments));
  DocumentHistory history;
  history.at = clock_.Now();
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(history.document,
                             ExistingDocument(reader, document_id, "document_id"));
    for (const documents::VersionState& version : history.document.versions) {
      VersionView view;
      view.version = version;
      view.status = history.document.StatusAt(version, history.at);
      ALIQUOT_ASSIGN_OR_RETURN(
          view.signatures,
          signatures_.SignaturesIn(
              reader, {"document_version", VersionRecordId(document_id, version.number)}));
      history.versions.push_back(std::move(view));
    }
    ALIQUOT_ASSIGN_OR_RETURN(history.document_signatures,
                             signatures_.SignaturesIn(reader, {"document", document_id}));
    return {};
  }));
  return history;
}

Result<EffectiveVersion> DocumentService::EffectiveAt(const RequestContext& context,
                                                      const std::string& document_id,
                                                      Timestamp at) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDocuments));
  EffectiveVersion answer;
  answer.at = at;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(answer.document, ExistingDocument(reader, document_id, "document_id"));
    return {};
  }));
  if (const documents::VersionState* version = answer.document.EffectiveAt(at)) {
    answer.version = *version;
  }
  return answer;
}

Result<std::vector<ReviewDue>> DocumentService::ReviewsDue(const RequestContext& context,
                                                           int within_days) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<documents::DocumentState> documents,
                           Documents(context));
  const Timestamp now = clock_.Now();
  const Timestamp horizon =
      Timestamp::FromMicros(now.Micros() + std::int64_t{within_days} * kMicrosPerDay);
  std::vector<ReviewDue> due;
  for (const documents::DocumentState& document : documents) {
    const std::optional<Timestamp> review = document.ReviewDueAt(now);
    if (!review || horizon < *review) continue;
    const documents::VersionState* effective = document.EffectiveAt(now);
    due.push_back({document.id, effective->title, document.owner, effective->number, *review,
                   *review <= now});
  }
  std::sort(due.begin(), due.end(),
            [](const ReviewDue& a, const ReviewDue& b) { return a.due < b.due; });
  return due;
}

Result<FileContent> DocumentService::VersionFile(const RequestContext& context,
                                                 const std::string& document_id, int version) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDocuments));
  documents::DocumentState document;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(document, ExistingDocument(reader, document_id, "document_id"));
    return {};
  }));
  const documents::VersionState* found = document.Version(version);
  if (found == nullptr) {
    return Unexpected(
        NotFound("no version " + std::to_string(version) + " of " + document_id, "version"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(FileContent file, DownloadFile(context, found->file.sha256));
  file.file_name = found->file.file_name;
  return file;
}

}  // namespace aliquot::app
