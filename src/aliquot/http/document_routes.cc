#include "aliquot/http/document_routes.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;

Json BlobJson(const app::BlobInfo& info) {
  Json json = Json::MakeObject();
  json.Set("sha256", info.sha256);
  json.Set("size", Json(info.size));
  json.Set("media_type", info.media_type);
  json.Set("stored_at", info.stored_at.ToRfc3339());
  return json;
}

Json VersionJson(const documents::DocumentState& document, const documents::VersionState& version,
                 Timestamp at) {
  Json json = Json::MakeObject();
  json.Set("version", version.number);
  json.Set("status", documents::VersionStatusName(document.StatusAt(version, at)));
  json.Set("title", version.title);
  json.Set("file", documents::FileToJson(version.file));
  json.Set("change_reason", version.change_reason);
  json.Set("revision", documents::RevisionName(version.revision));
  json.Set("retraining_required", version.revision == documents::Revision::kMajor);
  json.Set("requested_effective_from", TimeJson(version.requested_effective));
  json.Set("drafted_by", version.drafted_by);
  json.Set("drafted_at", version.drafted_at.ToRfc3339());
  json.Set("author", version.submitted_by ? Json(*version.submitted_by) : Json());
  json.Set("reviewer", version.reviewed_by ? Json(*version.reviewed_by) : Json());
  json.Set("approver", version.approved_by ? Json(*version.approved_by) : Json());
  json.Set("approved_at", TimeJson(version.approved_at));
  json.Set("effective_from", TimeJson(version.effective_from));
  json.Set("effective_until", TimeJson(version.effective_until));
  json.Set("record",
           RecordJson("document_version", app::VersionRecordId(document.id, version.number)));
  return json;
}

// A document as listed: what is effective now, what comes next, when it is reviewed.
Json DocumentSummaryJson(const documents::DocumentState& document, Timestamp at) {
  Json json = Json::MakeObject();
  json.Set("document_id", document.id);
  json.Set("site", document.site);
  json.Set("kind", documents::DocumentKindName(document.kind));
  json.Set("owner", document.owner);
  json.Set("review_interval_months", document.review_interval_months);
  const documents::VersionState* latest = document.Latest();
  json.Set("title", latest != nullptr ? Json(latest->title) : Json());
  const documents::VersionState* effective = document.EffectiveAt(at);
  json.Set("effective_version", effective != nullptr ? Json(effective->number) : Json());
  json.Set("effective_title", effective != nullptr ? Json(effective->title) : Json());
  const documents::VersionState* pending = document.PendingAt(at);
  if (pending != nullptr) {
    Json next = Json::MakeObject();
    next.Set("version", pending->number);
    next.Set("effective_from", pending->effective_from->ToRfc3339());
    next.Set("revision", documents::RevisionName(pending->revision));
    json.Set("pending_version", std::move(next));
  } else {
    json.Set("pending_version", Json());
  }
  if (latest != nullptr) {
    Json last = Json::MakeObject();
    last.Set("version", latest->number);
    last.Set("status", documents::VersionStatusName(document.StatusAt(*latest, at)));
    json.Set("latest_version", std::move(last));
  } else {
    json.Set("latest_version", Json());
  }
  json.Set("review_due", TimeJson(document.ReviewDueAt(at)));
  json.Set("retired_from", TimeJson(document.retired_from));
  if (document.retirement_effective && !document.retired_from) {
    Json proposal = Json::MakeObject();
    proposal.Set("reason", document.retirement_reason.value_or(""));
    proposal.Set("effective_from", document.retirement_effective->ToRfc3339());
    proposal.Set("proposed_by", document.retirement_proposed_by.value_or(""));
    json.Set("proposed_retirement", std::move(proposal));
  } else {
    json.Set("proposed_retirement", Json());
  }
  return json;
}

Json QualificationJson(const training::Qualification& q) {
  Json json = Json::MakeObject();
  json.Set("user_id", q.user);
  json.Set("document_id", q.document);
  json.Set("at", q.at.ToRfc3339());
  json.Set("qualified", q.Qualified());
  json.Set("status", training::ReasonName(q.reason));
  json.Set("effective_version", q.effective_version ? Json(*q.effective_version) : Json());
  json.Set("qualifying_from_version", q.baseline_version ? Json(*q.baseline_version) : Json());
  json.Set("trained_version", q.trained_version ? Json(*q.trained_version) : Json());
  json.Set("trained_at", TimeJson(q.trained_at));
  json.Set("expired_at", TimeJson(q.expired_at));
  json.Set("overdue_since", TimeJson(q.overdue_since));
  json.Set("message", q.message);
  return json;
}

Json AssignmentJson(const training::Assignment& assignment) {
  Json json = Json::MakeObject();
  json.Set("document_id", assignment.document);
  json.Set("version", assignment.version);
  json.Set("assigned_at", assignment.assigned_at.ToRfc3339());
  json.Set("due", assignment.due.ToRfc3339());
  json.Set("reason", assignment.reason);
  json.Set("closed_at", TimeJson(assignment.closed_at));
  return json;
}

Json MatrixRowJson(const app::MatrixRow& row) {
  Json json = Json::MakeObject();
  json.Set("user_id", row.user);
  json.Set("printed_name", row.printed_name);
  Json cells = Json::MakeArray();
  for (const app::MatrixCell& cell : row.cells) {
    Json item = QualificationJson(cell.qualification);
    item.Set("open_assignment",
             cell.open_assignment ? AssignmentJson(*cell.open_assignment) : Json());
    cells.Push(std::move(item));
  }
  json.Set("cells", std::move(cells));
  return json;
}

Json CurriculumJson(const training::Curriculum& curriculum) {
  Json json = Json::MakeObject();
  json.Set("curriculum_id", curriculum.id);
  json.Set("site", curriculum.site);
  json.Set("title", curriculum.title);
  Json roles = Json::MakeArray();
  for (identity::Role role : identity::kAllRoles) {
    if (curriculum.roles.Contains(role)) roles.Push(identity::RoleName(role));
  }
  json.Set("roles", std::move(roles));
  Json documents = Json::MakeArray();
  for (const std::string& document : curriculum.documents) documents.Push(document);
  json.Set("documents", std::move(documents));
  json.Set("requalification_months",
           curriculum.requalification_months ? Json(*curriculum.requalification_months) : Json());
  return json;
}

Response FileResponse(app::FileContent file) {
  Response response;
  response.status = kOk;
  response.content_type = file.info.media_type;
  response.body = std::move(file.bytes);
  // The name a browser saves it under. Names hold no control characters (CheckLine); a quote or
  // backslash would end the quoted string, so they become '_'.
  std::string name = file.file_name;
  for (char& c : name) {
    if (c == '"' || c == '\\') c = '_';
  }
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  response.headers.emplace_back("ETag", "\"" + file.info.sha256 + "\"");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

class Routes {
 public:
  explicit Routes(const DocumentsApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    const auto bind = [&](std::string_view method, std::string_view pattern, Method handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("PUT", "/api/v1/files/{sha256}", &Routes::UploadFile);
    bind("GET", "/api/v1/files/{sha256}", &Routes::DownloadFile);
    bind("GET", "/api/v1/documents", &Routes::Documents);
    bind("POST", "/api/v1/documents", &Routes::CreateDocument);
    bind("GET", "/api/v1/documents/reviews-due", &Routes::ReviewsDue);
    bind("GET", "/api/v1/documents/{document}", &Routes::History);
    bind("GET", "/api/v1/documents/{document}/effective", &Routes::Effective);
    bind("POST", "/api/v1/documents/{document}/versions", &Routes::DraftVersion);
    bind("GET", "/api/v1/documents/{document}/versions/{version}/file", &Routes::VersionFile);
    bind("POST", "/api/v1/documents/{document}/retirement", &Routes::ProposeRetirement);
    bind("GET", "/api/v1/training/curricula", &Routes::Curricula);
    bind("PUT", "/api/v1/training/curricula/{curriculum}", &Routes::SetCurriculum);
    bind("POST", "/api/v1/training/assignments", &Routes::Assign);
    bind("POST", "/api/v1/training/sessions", &Routes::RecordSession);
    bind("GET", "/api/v1/training/qualification", &Routes::Qualification);
    bind("POST", "/api/v1/training/gate", &Routes::Gate);
    bind("GET", "/api/v1/training/matrix", &Routes::Matrix);
    bind("GET", "/api/v1/training/overdue", &Routes::Overdue);
    bind("GET", "/api/v1/session/training", &Routes::OwnTraining);
  }

 private:
  using Method = Result<Response> (Routes::*)(const Request&, const RequestContext&);

  Result<Response> UploadFile(const Request& request, const RequestContext& context) {
    const std::string media_type =
        std::string(request.Header("Content-Type").value_or("application/octet-stream"));
    ALIQUOT_ASSIGN_OR_RETURN(
        const app::BlobInfo info,
        api_.documents.UploadFile(context, PathParam(request, "sha256"), request.body, media_type));
    return JsonResponse(kCreated, BlobJson(info));
  }

  Result<Response> DownloadFile(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(app::FileContent file,
                             api_.documents.DownloadFile(context, PathParam(request, "sha256")));
    return FileResponse(std::move(file));
  }

  Result<Response> Documents(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<documents::DocumentState> documents,
                             api_.documents.Documents(context));
    const Timestamp now = api_.documents.Now();
    Json array = Json::MakeArray();
    for (const documents::DocumentState& document : documents) {
      array.Push(DocumentSummaryJson(document, now));
    }
    Json json = Json::MakeObject();
    json.Set("at", now.ToRfc3339());
    json.Set("documents", std::move(array));
    return JsonResponse(kOk, json);
  }

  Result<Response> CreateDocument(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    documents::CreateDocumentCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.id, body.String("document_id"));
    ALIQUOT_ASSIGN_OR_RETURN(command.site, body.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, body.String("kind"));
    const std::optional<documents::DocumentKind> parsed = documents::DocumentKindFromName(kind);
    if (!parsed) {
      return Unexpected(InvalidArgument(
          "kind must be one of sop, work_instruction, form, specification", "kind"));
    }
    command.kind = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<int> months,
                             body.OptionalInteger("review_interval_months", 1, 120));
    command.review_interval_months = months.value_or(24);
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.documents.CreateDocument(context, command));
    Json json = Json::MakeObject();
    json.Set("document_id", command.id);
    return JsonResponse(kCreated, json);
  }

  Result<Response> ReviewsDue(const Request& request, const RequestContext& context) {
    const Result<std::uint64_t> days = QueryParamUnsigned(request, "within_days", 30);
    if (!days || *days > 3660) {
      return Unexpected(
          InvalidArgument("within_days must be an integer from 0 to 3660", "within_days"));
    }
    const auto within = static_cast<int>(*days);
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::ReviewDue> due,
                             api_.documents.ReviewsDue(context, within));
    Json array = Json::MakeArray();
    for (const app::ReviewDue& item : due) {
      Json json = Json::MakeObject();
      json.Set("document_id", item.document_id);
      json.Set("title", item.title);
      json.Set("owner", item.owner);
      json.Set("effective_version", item.effective_version);
      json.Set("review_due", item.due.ToRfc3339());
      json.Set("overdue", item.overdue);
      json.Set("record", RecordJson("document", item.document_id));
      array.Push(std::move(json));
    }
    Json json = Json::MakeObject();
    json.Set("at", api_.documents.Now().ToRfc3339());
    json.Set("within_days", within);
    json.Set("documents", std::move(array));
    return JsonResponse(kOk, json);
  }

  Result<Response> History(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::DocumentHistory history,
                             api_.documents.History(context, PathParam(request, "document")));
    Json json = DocumentSummaryJson(history.document, history.at);
    json.Set("at", history.at.ToRfc3339());
    Json versions = Json::MakeArray();
    for (const app::VersionView& view : history.versions) {
      Json version = VersionJson(history.document, view.version, history.at);
      version.Set("content_hash", view.signatures.content_hash);
      version.Set("signatures", SignaturesJson(view.signatures));
      versions.Push(std::move(version));
    }
    json.Set("versions", std::move(versions));
    Json record = RecordJson("document", history.document.id);
    record.Set("content_hash", history.document_signatures.content_hash);
    record.Set("signatures", SignaturesJson(history.document_signatures));
    json.Set("document_record", std::move(record));
    return JsonResponse(kOk, json);
  }

  Result<Response> Effective(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    ALIQUOT_ASSIGN_OR_RETURN(const app::EffectiveVersion answer,
                             api_.documents.EffectiveAt(context, PathParam(request, "document"),
                                                        at.value_or(api_.documents.Now())));
    Json json = Json::MakeObject();
    json.Set("document_id", answer.document.id);
    json.Set("at", answer.at.ToRfc3339());
    json.Set("version",
             answer.version ? VersionJson(answer.document, *answer.version, answer.at) : Json());
    return JsonResponse(kOk, json);
  }

  Result<Response> DraftVersion(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::DraftInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.title, body.String("title"));
    ALIQUOT_ASSIGN_OR_RETURN(input.file_sha256, body.String("file_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(input.file_name, body.String("file_name"));
    ALIQUOT_ASSIGN_OR_RETURN(input.change_reason, body.String("change_reason"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string revision, body.String("revision"));
    const std::optional<documents::Revision> parsed = documents::RevisionFromName(revision);
    if (!parsed) {
      return Unexpected(
          InvalidArgument("revision must be major (retraining required) or minor", "revision"));
    }
    input.revision = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(input.effective_from, OptionalTimeMember(body, "effective_from"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string document = PathParam(request, "document");
    ALIQUOT_ASSIGN_OR_RETURN(const int version,
                             api_.documents.DraftVersion(context, document, input));
    Json json = Json::MakeObject();
    json.Set("document_id", document);
    json.Set("version", version);
    json.Set("record", RecordJson("document_version", app::VersionRecordId(document, version)));
    return JsonResponse(kCreated, json);
  }

  Result<Response> VersionFile(const Request& request, const RequestContext& context) {
    const std::string text = PathParam(request, "version");
    const Result<std::uint64_t> number = ParseUnsigned(text, "version");
    if (!number || *number < 1 || *number > 100000) {
      return Unexpected(NotFound("no version " + text.substr(0, 12), "version"));
    }
    const auto version = static_cast<int>(*number);
    ALIQUOT_ASSIGN_OR_RETURN(
        app::FileContent file,
        api_.documents.VersionFile(context, PathParam(request, "document"), version));
    return FileResponse(std::move(file));
  }

  Result<Response> ProposeRetirement(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> effective,
                             OptionalTimeMember(body, "effective_from"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string document = PathParam(request, "document");
    ALIQUOT_RETURN_IF_ERROR(api_.documents.ProposeRetirement(
        context, document, reason, effective.value_or(api_.documents.Now())));
    Json json = Json::MakeObject();
    json.Set("document_id", document);
    json.Set("record", RecordJson("document", document));
    return JsonResponse(kCreated, json);
  }

  Result<Response> Curricula(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<training::Curriculum> curricula,
                             api_.training.Curricula(context));
    Json array = Json::MakeArray();
    for (const training::Curriculum& curriculum : curricula) array.Push(CurriculumJson(curriculum));
    Json json = Json::MakeObject();
    json.Set("curricula", std::move(array));
    return JsonResponse(kOk, json);
  }

  Result<Response> SetCurriculum(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    training::CurriculumCommand command;
    command.id = PathParam(request, "curriculum");
    ALIQUOT_ASSIGN_OR_RETURN(command.site, body.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(command.title, body.String("title"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> roles, body.StringArray("roles"));
    for (std::size_t i = 0; i < roles.size(); ++i) {
      const std::optional<identity::Role> role = identity::RoleFromName(roles[i]);
      if (!role) {
        const std::string field = "roles[" + std::to_string(i) + "]";
        return Unexpected(InvalidArgument("no role " + roles[i].substr(0, 40), field));
      }
      command.roles.Add(*role);
    }
    ALIQUOT_ASSIGN_OR_RETURN(command.documents, body.StringArray("documents"));
    ALIQUOT_ASSIGN_OR_RETURN(command.requalification_months,
                             body.OptionalInteger("requalification_months", 1, 120));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> reason,
                             body.OptionalString("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.training.SetCurriculum(context, command, reason.value_or("")));
    Json json = Json::MakeObject();
    json.Set("curriculum_id", command.id);
    return JsonResponse(kOk, json);
  }

  Result<Response> Assign(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::AssignInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.user, body.String("user_id"));
    ALIQUOT_ASSIGN_OR_RETURN(input.document, body.String("document_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string due, body.String("due"));
    ALIQUOT_ASSIGN_OR_RETURN(input.due, Timestamp::ParseInstant(due, "due"));
    ALIQUOT_ASSIGN_OR_RETURN(input.reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.training.Assign(context, input));
    Json json = Json::MakeObject();
    json.Set("user_id", input.user);
    json.Set("document_id", input.document);
    json.Set("due", input.due.ToRfc3339());
    return JsonResponse(kCreated, json);
  }

  Result<Response> RecordSession(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::SessionInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.trainee, body.String("user_id"));
    ALIQUOT_ASSIGN_OR_RETURN(input.document, body.String("document_id"));
    ALIQUOT_ASSIGN_OR_RETURN(input.version, body.Integer("version", 1, 100000));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string assessment, body.String("assessment"));
    if (assessment != "passed" && assessment != "failed") {
      return Unexpected(InvalidArgument("assessment must be passed or failed", "assessment"));
    }
    input.passed = assessment == "passed";
    ALIQUOT_ASSIGN_OR_RETURN(input.score, body.OptionalString("score"));
    ALIQUOT_ASSIGN_OR_RETURN(input.comment, body.OptionalString("comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.training.RecordSession(context, input));
    Json json = Json::MakeObject();
    json.Set("record", RecordJson("training", app::TrainingRecordId(input.trainee, input.document,
                                                                    input.version)));
    json.Set("next", "the trainer signs the record as performed");
    return JsonResponse(kCreated, json);
  }

  Result<Response> Qualification(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string user, RequiredQuery(request, "user"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string document, RequiredQuery(request, "document"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    ALIQUOT_ASSIGN_OR_RETURN(
        const training::Qualification answer,
        api_.training.Qualification(context, user, document, at.value_or(api_.documents.Now())));
    return JsonResponse(kOk, QualificationJson(answer));
  }

  Result<Response> Gate(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string document, body.String("document_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> purpose,
                             body.OptionalString("purpose"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const training::Qualification answer,
                             api_.training.Gate(context, document, purpose.value_or("")));
    return JsonResponse(kOk, QualificationJson(answer));
  }

  Result<Response> Matrix(const Request& request, const RequestContext& context) {
    const std::string site =
        std::string(request.QueryParam("site").value_or(context.terminal.site));
    std::optional<identity::Role> role;
    if (const std::optional<std::string_view> name = request.QueryParam("role")) {
      role = identity::RoleFromName(*name);
      if (!role) return Unexpected(InvalidArgument("no role " + std::string(*name), "role"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    ALIQUOT_ASSIGN_OR_RETURN(const app::TrainingMatrix matrix,
                             api_.training.Matrix(context, site, role, at));
    Json json = Json::MakeObject();
    json.Set("site", matrix.site);
    json.Set("at", matrix.at.ToRfc3339());
    Json documents = Json::MakeArray();
    for (const std::string& document : matrix.documents) documents.Push(document);
    json.Set("documents", std::move(documents));
    Json users = Json::MakeArray();
    for (const app::MatrixRow& row : matrix.users) users.Push(MatrixRowJson(row));
    json.Set("users", std::move(users));
    return JsonResponse(kOk, json);
  }

  Result<Response> Overdue(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::OverdueTraining> overdue,
                             api_.training.Overdue(context));
    Json array = Json::MakeArray();
    for (const app::OverdueTraining& item : overdue) {
      Json json = AssignmentJson(item.assignment);
      json.Set("user_id", item.user);
      json.Set("printed_name", item.printed_name);
      array.Push(std::move(json));
    }
    Json json = Json::MakeObject();
    json.Set("at", api_.documents.Now().ToRfc3339());
    json.Set("overdue", std::move(array));
    return JsonResponse(kOk, json);
  }

  Result<Response> OwnTraining(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::MatrixRow row, api_.training.OwnTraining(context));
    return JsonResponse(kOk, MatrixRowJson(row));
  }

  DocumentsApi api_;
};

}  // namespace

void AddDocumentRoutes(Router& router, const DocumentsApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
