// DocumentService: document control (21 CFR 11.10(k), P11-10; Annex 11 s10-11, A11-05). Files go
// into the content-addressed blob store first; a version is drafted citing its file's SHA-256 and
// a change reason; its author, a reviewer and an approver, three different people, move it on by
// e-signature (the record types "document_version" and "document", registered with the
// SignatureService); it becomes effective on its date. The question every other area asks, which
// version of a document was effective at an instant, is answered here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/documents/document.h"

namespace aliquot::app {

// The largest file the server takes unless configured (aliquot serve --max-upload-mib).
inline constexpr std::uint64_t kDefaultMaxUploadBytes = std::uint64_t{64} << 20;

struct DraftInput {
  std::string title;
  std::string file_sha256;  // A file uploaded before (FileService::Upload).
  std::string file_name;
  std::string change_reason;
  documents::Revision revision = documents::Revision::kMajor;
  std::optional<Timestamp> effective_from;  // nullopt: effective when approved.
};

// One version as shown: its status at the instant asked about and its signatures, each marked
// valid or not for the version's content (11.50, 11.70).
struct VersionView {
  documents::VersionState version;
  documents::VersionStatus status = documents::VersionStatus::kDraft;
  RecordSignatures signatures;
};

// A document's full history: every version with its signatures, and the signatures on the
// document itself (periodic reviews, retirement).
struct DocumentHistory {
  documents::DocumentState document;
  Timestamp at;
  std::vector<VersionView> versions;
  RecordSignatures document_signatures;
};

struct EffectiveVersion {
  documents::DocumentState document;
  Timestamp at;
  std::optional<documents::VersionState> version;  // nullopt: none was effective then.
};

struct ReviewDue {
  std::string document_id;
  std::string title;
  std::string owner;
  int effective_version = 0;
  Timestamp due;
  bool overdue = false;
};

struct FileContent {
  BlobInfo info;
  std::string bytes;
  std::string file_name;
};

class DocumentService {
 public:
  DocumentService(Store& store, BlobStore& blobs, Clock& clock, SessionService& sessions,
                  SignatureService& signatures, std::uint64_t max_upload_bytes);

  // Stores a file whose SHA-256 the client declares. Errors (nothing stored): kInvalidArgument
  // (field "file") for an empty file or one over the upload limit, (field "sha256") for a
  // declared hash that is malformed or not the file's, (field "media_type") for a bad media type.
  Result<BlobInfo> UploadFile(const RequestContext& context, const std::string& declared_sha256,
                              std::string_view bytes, const std::string& media_type);
  // A stored file. kNotFound for an unknown hash; kDataLoss if its bytes were altered.
  Result<FileContent> DownloadFile(const RequestContext& context, const std::string& sha256);

  Status CreateDocument(const RequestContext& context,
                        const documents::CreateDocumentCommand& command);
  // Drafts the next version (or updates the draft) and returns its number. kFailedPrecondition
  // (field "file_sha256") when the file was never uploaded; the domain's refusals otherwise.
  Result<int> DraftVersion(const RequestContext& context, const std::string& document_id,
                           const DraftInput& input);
  Status ProposeRetirement(const RequestContext& context, const std::string& document_id,
                           const std::string& reason, Timestamp effective);

  Result<std::vector<documents::DocumentState>> Documents(const RequestContext& context);
  Result<DocumentHistory> History(const RequestContext& context, const std::string& document_id);
  // The version of `document_id` effective at `at` (P11-10): what execution demands training on.
  Result<EffectiveVersion> EffectiveAt(const RequestContext& context,
                                       const std::string& document_id, Timestamp at);
  // Effective documents whose periodic review falls due within `within_days` from now, the
  // overdue ones first (A11-05).
  Result<std::vector<ReviewDue>> ReviewsDue(const RequestContext& context, int within_days);
  // The file of one version.
  Result<FileContent> VersionFile(const RequestContext& context, const std::string& document_id,
                                  int version);

  Timestamp Now() const { return clock_.Now(); }

 private:
  Store& store_;
  BlobStore& blobs_;
  Clock& clock_;
  SessionService& sessions_;
  SignatureService& signatures_;
  std::uint64_t max_upload_bytes_;
};

// The signable record types of document control. "document_version" ("SOP-CT-004:3"): authored
// (submit), reviewed, approved (effective on its date; a major revision assigns retraining to
// everyone whose curriculum includes the document, G-11), rejected (back to draft). "document"
// ("SOP-CT-004"): reviewed (the periodic review), approved (a proposed retirement).
SignableRecord DocumentVersionRecord();
SignableRecord DocumentRecord();

// The content a version's signatures bind to: what it says and why, not where it is in its
// approval, so one content carries its author's, reviewer's and approver's signatures.
Json VersionContent(const documents::DocumentState& document,
                    const documents::VersionState& version);

// ("SOP-CT-004", 3) -> "SOP-CT-004:3", the id of a version's signable record, and back;
// ParseVersionId returns kNotFound (field "record_id") when malformed.
std::string VersionRecordId(std::string_view document_id, int version);
Result<std::pair<std::string, int>> ParseVersionId(const std::string& id);

}  // namespace aliquot::app
