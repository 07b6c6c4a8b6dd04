#include "aliquot/app/training_service.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "aliquot/app/document_records.h"
#include "aliquot/app/document_service.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/use_case.h"

namespace aliquot::app {
namespace {

using identity::Action;

struct TrainingId {
  std::string user;
  std::string document;
  int version = 0;
};

// "oliver:SOP-CT-004:3"
std::optional<TrainingId> ParseTrainingId(const std::string& id) {
  const std::size_t first = id.find(':');
  if (first == std::string::npos || first == 0) return std::nullopt;
  auto version = ParseVersionId(id.substr(first + 1));
  if (!version || version->first.find(':') != std::string::npos) return std::nullopt;
  return TrainingId{id.substr(0, first), version->first, version->second};
}

Result<identity::UserState> ExistingUser(StoreReader& reader, const std::string& id,
                                         std::string_view field) {
  ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, LoadUser(reader, id));
  if (!user.exists) return Unexpected(NotFound("no user " + id.substr(0, 40), std::string(field)));
  return user;
}

}  // namespace

SignableRecord TrainingRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    const std::optional<TrainingId> parsed = ParseTrainingId(id);
    if (!parsed) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const identity::UserState user, LoadUser(reader, parsed->user));
    ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document,
                             LoadDocument(reader, parsed->document));
    const documents::VersionState* version = document.Version(parsed->version);
    if (!user.exists || !document.exists || version == nullptr ||
        version->stage != documents::Stage::kApproved) {
      return std::optional<RecordContent>();
    }
    ALIQUOT_ASSIGN_OR_RETURN(
        const training::PendingSession session,
        LoadPendingSession(reader, parsed->user, parsed->document, parsed->version));
    RecordContent content;
    content.content = Json::MakeObject();
    content.content.Set("user_id", user.id);
    content.content.Set("printed_name", user.printed_name);
    content.content.Set("document_id", document.id);
    content.content.Set("version", version->number);
    content.content.Set("title", version->title);
    content.content.Set("file_sha256", version->file.sha256);
    if (session.exists) {
      content.content.Set("method", training::MethodName(training::Method::kInstructorLed));
      content.content.Set("trainer", session.trainer);
      content.content.Set("assessment", session.passed ? "passed" : "failed");
      content.content.Set("score", session.score ? Json(*session.score) : Json());
      content.content.Set("recorded_at", session.recorded_at.ToRfc3339());
    } else {
      content.content.Set("method", training::MethodName(training::Method::kSelfStudy));
      content.content.Set("statement", "I have read and understood " + document.id + " version " +
                                           std::to_string(version->number) + ", " + version->title +
                                           ".");
    }
    content.streams = {training::TrainingStream(user.id), documents::DocumentStream(document.id)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewDocuments;
  record.action_for = [](identity::Meaning meaning) -> std::optional<Action> {
    if (meaning == identity::Meaning::kPerformed) return Action::kCompleteTraining;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    const std::optional<TrainingId> parsed = ParseTrainingId(signing.record.id);
    if (!parsed) return Unexpected(NotFound("no training record " + signing.record.id));
    ALIQUOT_ASSIGN_OR_RETURN(const identity::UserState trainee,
                             ExistingUser(reader, parsed->user, "record_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document,
                             ExistingDocument(reader, parsed->document, "document"));
    ALIQUOT_ASSIGN_OR_RETURN(const TrainingOnDocument training,
                             LoadTrainingOn(reader, parsed->user, parsed->document));
    ALIQUOT_ASSIGN_OR_RETURN(
        const training::PendingSession session,
        LoadPendingSession(reader, parsed->user, parsed->document, parsed->version));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<training::Curriculum> curricula,
                             LoadCurricula(reader));
    const std::optional<int> months = training::RequalificationMonths(
        curricula, document.site, trainee.RolesAt(document.site), document.id);
    ALIQUOT_ASSIGN_OR_RETURN(
        ledger::NewEvent completed,
        training::Complete(trainee.id, document, parsed->version, session, training.completions,
                           months, signing.signer->id, signing.now, signing.context->Actor(),
                           signing.context->terminal.id));
    return std::vector<ledger::NewEvent>{std::move(completed)};
  };
  return record;
}

std::string TrainingRecordId(std::string_view user, std::string_view document_id, int version) {
  return std::string(user) + ":" + VersionRecordId(document_id, version);
}

TrainingService::TrainingService(Store& store, Clock& clock, SessionService& sessions)
    : store_(store), clock_(clock), sessions_(sessions) {}

Status TrainingService::SetCurriculum(const RequestContext& context,
                                      const training::CurriculumCommand& command,
                                      const std::string& reason) {
  return RunUseCase(store_, sessions_, context, Action::kManageTraining,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(const training::Curriculum state,
                                               LoadCurriculum(reader, command.id));
                      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites,
                                               LoadSiteIds(reader));
                      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> documents,
                                               LoadDocumentIds(reader));
                      ALIQUOT_ASSIGN_OR_RETURN(
                          ledger::NewEvent event,
                          training::SetCurriculum(state, command, sites, documents, reason,
                                                  context.Actor(), context.terminal.id));
                      return std::vector<ledger::NewEvent>{std::move(event)};
                    })
      .transform([](const auto&) {});
}

Result<std::vector<training::Curriculum>> TrainingService::Curricula(
    const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewTraining));
  std::vector<training::Curriculum> curricula;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(curricula, LoadCurricula(reader));
    return {};
  }));
  return curricula;
}

Status TrainingService::Assign(const RequestContext& context, const AssignInput& input) {
  return RunUseCase(
             store_, sessions_, context, Action::kManageTraining,
             [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
               ALIQUOT_ASSIGN_OR_RETURN(const identity::UserState user,
                                        ExistingUser(reader, input.user, "user"));
               if (user.status != identity::AccountStatus::kActive) {
                 return Unexpected(FailedPrecondition(user.id + " is deactivated", "user"));
               }
               ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState document,
                                        ExistingDocument(reader, input.document, "document"));
               const Timestamp now = clock_.Now();
               const documents::VersionState* version = document.PendingAt(now);
               if (version == nullptr) version = document.EffectiveAt(now);
               if (version == nullptr) {
                 return Unexpected(FailedPrecondition(
                     document.id + " has no approved version to train on", "document"));
               }
               ALIQUOT_ASSIGN_OR_RETURN(
                   ledger::NewEvent event,
                   training::Assign(user.id, document.id, version->number, input.due, input.reason,
                                    now, context.Actor(), context.terminal.id));
               return std::vector<ledger::NewEvent>{std::move(event)};
             })
      .transform([](const auto&) {});
}

Status TrainingService::RecordSession(const RequestContext& context, const SessionInput& input) {
  return RunUseCase(store_, sessions_, context, Action::kRecordTrainingSession,
                    [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                      ALIQUOT_ASSIGN_OR_RETURN(const identity::UserState trainee,
                                               ExistingUser(reader, input.trainee, "user"));
                      ALIQUOT_ASSIGN_OR_RETURN(
                          const documents::DocumentState document,
                          ExistingDocument(reader, input.document, "document"));
                      ALIQUOT_ASSIGN_OR_RETURN(
                          ledger::NewEvent event,
                          training::RecordSession(trainee.id, document, input.version, input.passed,
                                                  input.score, input.comment, context.Actor(),
                                                  context.terminal.id));
                      return std::vector<ledger::NewEvent>{std::move(event)};
                    })
      .transform([](const auto&) {});
}

Result<training::Qualification> TrainingService::QualificationIn(StoreReader& reader,
                                                                 const std::string& user,
                                                                 const std::string& document,
                                                                 Timestamp at) {
  // Two point reads: the document's own row with its schedule, and the person's history on it.
  ALIQUOT_ASSIGN_OR_RETURN(const documents::DocumentState state,
                           LoadDocumentSchedule(reader, document));
  if (!state.exists) {
    return Unexpected(NotFound("no document " + document.substr(0, 40), "document"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const TrainingOnDocument training,
                           LoadTrainingOn(reader, user, document));
  return training::Qualify(user, state, training.completions, training.assignments, at);
}

Result<training::Qualification> TrainingService::Qualification(const RequestContext& context,
                                                               const std::string& user,
                                                               const std::string& document,
                                                               Timestamp at) {
  // One's own qualification is one's own business; anyone else's needs training.view.
  if (user != context.principal.user_id) {
    ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewTraining));
  }
  training::Qualification answer;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_RETURN_IF_ERROR(ExistingUser(reader, user, "user").transform([](const auto&) {}));
    ALIQUOT_ASSIGN_OR_RETURN(answer, QualificationIn(reader, user, document, at));
    return {};
  }));
  return answer;
}

Result<training::Qualification> TrainingService::Gate(const RequestContext& context,
                                                      const std::string& document,
                                                      const std::string& purpose) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kPerformGovernedWork));
  ALIQUOT_RETURN_IF_ERROR(training::CheckPurpose(purpose));
  training::Qualification answer;
  const Timestamp now = clock_.Now();
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(answer,
                             QualificationIn(reader, context.principal.user_id, document, now));
    return {};
  }));
  if (answer.Qualified()) return answer;
  // G-11, P11-09: the refused attempt is part of the record, for QA's review by exception.
  AppendRequest request;
  request.events.push_back(
      training::GateRefusal(answer, purpose, context.Actor(), context.terminal.id));
  ALIQUOT_RETURN_IF_ERROR(store_.Append(request).transform([](const auto&) {}));
  return Unexpected(PermissionDenied(answer.message, "document"));
}

Result<TrainingMatrix> TrainingService::MatrixAt(StoreReader& reader, const std::string& site,
                                                 std::optional<identity::Role> role, Timestamp at,
                                                 const std::optional<std::string>& only_user) {
  TrainingMatrix matrix;
  matrix.site = site;
  matrix.at = at;
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<training::Curriculum> all_curricula,
                           LoadCurricula(reader));
  std::vector<training::Curriculum> curricula;
  std::set<std::string> required;
  for (const training::Curriculum& curriculum : all_curricula) {
    if (curriculum.site != site) continue;
    curricula.push_back(curriculum);
    required.insert(curriculum.documents.begin(), curriculum.documents.end());
  }
  matrix.documents.assign(required.begin(), required.end());
  std::map<std::string, documents::DocumentState> documents;
  for (const std::string& id : required) {
    ALIQUOT_ASSIGN_OR_RETURN(documents[id], LoadDocument(reader, id));
  }
  std::vector<identity::UserState> users;
  if (only_user) {
    ALIQUOT_ASSIGN_OR_RETURN(identity::UserState user, ExistingUser(reader, *only_user, "user"));
    users.push_back(std::move(user));
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(users, LoadUsers(reader));
  }
  std::map<std::pair<std::string, std::string>, TrainingOnDocument> training;
  if (only_user) {
    for (const std::string& id : required) {
      ALIQUOT_ASSIGN_OR_RETURN(TrainingOnDocument on, LoadTrainingOn(reader, *only_user, id));
      training[std::make_pair(*only_user, id)] = std::move(on);
    }
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<TrainingRecords> records, LoadAllTraining(reader));
    for (TrainingRecords& record : records) {
      training[{record.user, record.document}] = std::move(record.training);
    }
  }
  const TrainingOnDocument none;
  for (const identity::UserState& user : users) {
    if (user.status != identity::AccountStatus::kActive && !only_user) continue;
    const identity::RoleSet roles = user.RolesAt(site);
    if (role && !roles.Contains(*role)) continue;
    MatrixRow row;
    row.user = user.id;
    row.printed_name = user.printed_name;
    std::set<std::string> needed;
    for (const training::Curriculum& curriculum : curricula) {
      if (curriculum.roles.Intersects(roles)) {
        needed.insert(curriculum.documents.begin(), curriculum.documents.end());
      }
    }
    for (const std::string& id : needed) {
      const auto found = training.find({user.id, id});
      const TrainingOnDocument& on = found == training.end() ? none : found->second;
      MatrixCell cell;
      cell.document = id;
      cell.qualification =
          training::Qualify(user.id, documents[id], on.completions, on.assignments, at);
      for (const training::Assignment& assignment : on.assignments) {
        if (assignment.OpenAt(at)) cell.open_assignment = assignment;
      }
      row.cells.push_back(std::move(cell));
    }
    if (!row.cells.empty() || only_user) matrix.users.push_back(std::move(row));
  }
  return matrix;
}

Result<TrainingMatrix> TrainingService::Matrix(const RequestContext& context,
                                               const std::string& site,
                                               std::optional<identity::Role> role,
                                               std::optional<Timestamp> at) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewTraining));
  TrainingMatrix matrix;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> sites, LoadSiteIds(reader));
    if (std::find(sites.begin(), sites.end(), site) == sites.end()) {
      return Unexpected(NotFound("no site " + site.substr(0, 40), "site"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(matrix,
                             MatrixAt(reader, site, role, at.value_or(clock_.Now()), std::nullopt));
    return {};
  }));
  return matrix;
}

Result<MatrixRow> TrainingService::OwnTraining(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewOwnSession));
  TrainingMatrix matrix;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(matrix, MatrixAt(reader, context.terminal.site, std::nullopt,
                                              clock_.Now(), context.principal.user_id));
    return {};
  }));
  return std::move(matrix.users.front());
}

Result<std::vector<OverdueTraining>> TrainingService::Overdue(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewTraining));
  const Timestamp now = clock_.Now();
  std::vector<OverdueTraining> overdue;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<identity::UserState> users, LoadUsers(reader));
    std::map<std::string, std::string> names;
    for (const identity::UserState& user : users) names[user.id] = user.printed_name;
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<TrainingRecords> records, LoadAllTraining(reader));
    for (const TrainingRecords& record : records) {
      for (const training::Assignment& assignment : record.training.assignments) {
        if (assignment.OpenAt(now) && assignment.due <= now) {
          overdue.push_back({record.user, names[record.user], assignment});
        }
      }
    }
    return {};
  }));
  std::sort(overdue.begin(), overdue.end(), [](const OverdueTraining& a, const OverdueTraining& b) {
    return a.assignment.due < b.assignment.due;
  });
  return overdue;
}

}  // namespace aliquot::app
