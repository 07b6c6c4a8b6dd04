#include "aliquot/domain/training/training.h"

#include <algorithm>
#include <set>
#include <utility>

#include "aliquot/core/text.h"

namespace aliquot::training {
namespace {

ledger::NewEvent TrainingEvent(std::string_view user, std::string_view type,
                               const ledger::Actor& actor, std::string_view terminal) {
  return ledger::NewEvent::On(TrainingStream(user), type, actor, terminal);
}

std::string VersionName(std::string_view document, int version) {
  return std::string(document) + " version " + std::to_string(version);
}

}  // namespace

ledger::StreamRef CurriculumStream(std::string_view curriculum_id) {
  return {"curriculum", std::string(curriculum_id)};
}

ledger::StreamRef TrainingStream(std::string_view user_id) {
  return {"training", std::string(user_id)};
}

std::string_view MethodName(Method method) {
  return method == Method::kSelfStudy ? "self_study" : "instructor_led";
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kQualified:
      return "qualified";
    case Reason::kNotEffective:
      return "no_effective_version";
    case Reason::kNeverTrained:
      return "never_trained";
    case Reason::kEarlierVersion:
      return "trained_on_earlier_version";
    case Reason::kExpired:
      return "expired";
    case Reason::kOverdue:
      return "overdue";
  }
  return "never_trained";
}

Result<ledger::NewEvent> SetCurriculum(const Curriculum& state, const CurriculumCommand& command,
                                       const std::vector<std::string>& sites,
                                       std::span<const std::string> known_documents,
                                       std::string_view reason, const ledger::Actor& actor,
                                       std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(documents::ValidateDocumentId(command.id, "curriculum_id"));
  if (std::find(sites.begin(), sites.end(), command.site) == sites.end()) {
    return Unexpected(InvalidArgument("no site " + command.site.substr(0, 40), "site"));
  }
  if (state.exists && state.site != command.site) {
    return Unexpected(InvalidArgument(
        "curriculum " + command.id + " belongs to site " + state.site + "; it does not move",
        "site"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.title, "title", 3, 200));
  bool gmp = false;
  for (identity::Role role : identity::kAllRoles) {
    if (!command.roles.Contains(role)) continue;
    if (!identity::IsGmpRole(role)) {
      return Unexpected(InvalidArgument(
          std::string(identity::RoleName(role)) + " performs no GMP work to train for", "roles"));
    }
    gmp = true;
  }
  if (!gmp) return Unexpected(InvalidArgument("a curriculum names at least one role", "roles"));
  if (command.documents.empty() || command.documents.size() > 500) {
    return Unexpected(InvalidArgument("a curriculum lists 1 to 500 documents", "documents"));
  }
  std::set<std::string_view> seen;
  for (const std::string& document : command.documents) {
    if (std::find(known_documents.begin(), known_documents.end(), document) ==
        known_documents.end()) {
      return Unexpected(InvalidArgument("no document " + document.substr(0, 40), "documents"));
    }
    if (!seen.insert(document).second) {
      return Unexpected(InvalidArgument(document + " is listed twice", "documents"));
    }
  }
  if (command.requalification_months &&
      (*command.requalification_months < 1 || *command.requalification_months > 120)) {
    return Unexpected(
        InvalidArgument("requalification_months must be 1 to 120", "requalification_months"));
  }
  if (state.exists) ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 5, 2000));
  ledger::NewEvent event;
  event.stream = CurriculumStream(command.id);
  event.event_type = state.exists ? "training.curriculum_revised" : "training.curriculum_created";
  event.actor = actor;
  event.terminal = std::string(terminal);
  if (state.exists) event.reason = std::string(reason);
  event.payload.Set("site", command.site);
  event.payload.Set("title", command.title);
  Json roles = Json::MakeArray();
  for (identity::Role role : identity::kAllRoles) {
    if (command.roles.Contains(role)) roles.Push(identity::RoleName(role));
  }
  event.payload.Set("roles", std::move(roles));
  Json documents = Json::MakeArray();
  for (const std::string& document : command.documents) documents.Push(document);
  event.payload.Set("documents", std::move(documents));
  event.payload.Set("requalification_months", command.requalification_months
                                                  ? Json(*command.requalification_months)
                                                  : Json());
  return event;
}

Qualification Qualify(std::string_view user, const documents::DocumentState& document,
                      std::span<const Completion> completions,
                      std::span<const Assignment> assignments, Timestamp at) {
  Qualification q;
  q.user = std::string(user);
  q.document = document.id;
  q.at = at;
  const documents::VersionState* effective = document.EffectiveAt(at);
  if (effective == nullptr) {
    q.reason = Reason::kNotEffective;
    q.message = document.id + " has no effective version at " + at.ToRfc3339() +
                "; no work is performed to it";
    return q;
  }
  q.effective_version = effective->number;
  const int baseline = document.TrainingBaseline(*effective);
  q.baseline_version = baseline;
  const std::string effective_name = VersionName(document.id, effective->number);

  // The latest passed training at or before `at`, and the one that qualifies for the effective
  // version: on a version from the baseline up to it.
  const Completion* latest = nullptr;
  const Completion* qualifying = nullptr;
  for (const Completion& completion : completions) {
    if (completion.document != document.id || !completion.passed || at < completion.completed_at) {
      continue;
    }
    // Training ahead on a version not yet effective does not count for the one that is.
    if (completion.version > effective->number) continue;
    if (latest == nullptr || latest->completed_at < completion.completed_at) latest = &completion;
    if (completion.version >= baseline && completion.version <= effective->number &&
        (qualifying == nullptr || qualifying->completed_at < completion.completed_at)) {
      qualifying = &completion;
    }
  }
  const Assignment* overdue = nullptr;
  for (const Assignment& assignment : assignments) {
    if (assignment.document != document.id || !assignment.OpenAt(at) || at < assignment.due) {
      continue;
    }
    if (overdue == nullptr || assignment.due < overdue->due) overdue = &assignment;
  }
  const std::string overdue_note =
      overdue == nullptr ? ""
                         : "; training on " + VersionName(document.id, overdue->version) +
                               " was due " + overdue->due.ToRfc3339();
  if (latest != nullptr) {
    q.trained_version = latest->version;
    q.trained_at = latest->completed_at;
  }
  if (latest == nullptr) {
    q.reason = Reason::kNeverTrained;
    int ahead = 0;
    for (const Completion& completion : completions) {
      if (completion.document == document.id && completion.passed &&
          completion.completed_at <= at && completion.version > effective->number) {
        ahead = std::max(ahead, completion.version);
      }
    }
    q.message = std::string(user) + " has never been trained on " + effective_name +
                " or an earlier version" +
                (ahead == 0 ? std::string()
                            : " (only on " + VersionName(document.id, ahead) +
                                  ", which is not effective yet)") +
                overdue_note;
    return q;
  }
  if (qualifying == nullptr) {
    q.reason = Reason::kEarlierVersion;
    q.message =
        std::string(user) + " is trained on " + VersionName(document.id, latest->version) +
        " only; " + effective_name + " is effective since " +
        effective->effective_from->ToRfc3339() +
        (baseline == effective->number
             ? ""
             : " and training on version " + std::to_string(baseline) + " or later counts") +
        overdue_note;
    if (overdue != nullptr) q.overdue_since = overdue->due;
    return q;
  }
  q.trained_version = qualifying->version;
  q.trained_at = qualifying->completed_at;
  if (qualifying->expires_at && *qualifying->expires_at <= at) {
    q.reason = Reason::kExpired;
    q.expired_at = qualifying->expires_at;
    q.message = std::string(user) + "'s training on " +
                VersionName(document.id, qualifying->version) + " expired on " +
                qualifying->expires_at->ToRfc3339() + "; requalification is due";
    return q;
  }
  if (overdue != nullptr) {
    q.reason = Reason::kOverdue;
    q.overdue_since = overdue->due;
    q.message = std::string(user) + " has overdue training on " +
                VersionName(document.id, overdue->version) + ", due " + overdue->due.ToRfc3339() +
                " (" + overdue->reason + ")";
    return q;
  }
  q.reason = Reason::kQualified;
  q.message = std::string(user) + " is qualified on " + effective_name + " (trained on version " +
              std::to_string(qualifying->version) + " on " + qualifying->completed_at.ToRfc3339() +
              ")";
  return q;
}

std::optional<int> RequalificationMonths(std::span<const Curriculum> curricula,
                                         std::string_view site, identity::RoleSet roles,
                                         std::string_view document) {
  std::optional<int> months;
  for (const Curriculum& curriculum : curricula) {
    if (curriculum.site != site || !curriculum.roles.Intersects(roles) ||
        !curriculum.requalification_months ||
        std::find(curriculum.documents.begin(), curriculum.documents.end(), document) ==
            curriculum.documents.end()) {
      continue;
    }
    months = std::min(months.value_or(*curriculum.requalification_months),
                      *curriculum.requalification_months);
  }
  return months;
}

std::optional<Timestamp> ExpiryAfter(Timestamp completed_at,
                                     std::optional<int> requalification_months) {
  if (!requalification_months) return std::nullopt;
  return completed_at.PlusCalendarMonths(*requalification_months);
}

std::optional<Timestamp> ExpiryOf(std::span<const Curriculum> curricula, std::string_view site,
                                  identity::RoleSet roles, std::string_view document,
                                  Timestamp completed_at) {
  return ExpiryAfter(completed_at, RequalificationMonths(curricula, site, roles, document));
}

identity::RoleSet RolesRequiring(std::span<const Curriculum> curricula, std::string_view site,
                                 std::string_view document) {
  identity::RoleSet roles;
  for (const Curriculum& curriculum : curricula) {
    if (curriculum.site != site ||
        std::find(curriculum.documents.begin(), curriculum.documents.end(), document) ==
            curriculum.documents.end()) {
      continue;
    }
    for (identity::Role role : identity::kAllRoles) {
      if (curriculum.roles.Contains(role)) roles.Add(role);
    }
  }
  return roles;
}

Result<ledger::NewEvent> Assign(std::string_view user, std::string_view document, int version,
                                Timestamp due, std::string_view reason, Timestamp now,
                                const ledger::Actor& actor, std::string_view terminal) {
  if (due < now) {
    return Unexpected(InvalidArgument(
        "due " + due.ToRfc3339() + " is in the past; training is assigned from now on", "due"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 5, 500));
  ledger::NewEvent event = TrainingEvent(user, "training.assigned", actor, terminal);
  event.payload.Set("document", std::string(document));
  event.payload.Set("version", version);
  event.payload.Set("due", due.ToRfc3339());
  event.reason = std::string(reason);
  return event;
}

std::vector<ledger::NewEvent> RetrainingFor(const documents::DocumentState& document,
                                            const documents::VersionState& version,
                                            std::span<const std::string> users,
                                            const ledger::Actor& actor, std::string_view terminal) {
  std::vector<ledger::NewEvent> events;
  // G-11: a minor revision keeps everyone's qualification; only a major one retrains.
  if (version.revision != documents::Revision::kMajor || !version.effective_from) return events;
  for (const std::string& user : users) {
    ledger::NewEvent event = TrainingEvent(user, "training.assigned", actor, terminal);
    event.payload.Set("document", document.id);
    event.payload.Set("version", version.number);
    // Due no later than the day the version takes effect: nobody works to it untrained. A version
    // effective "on approval" takes effect when the approval is recorded, which the store decides:
    // the projection then takes the due date from the version itself, to the microsecond.
    event.payload.Set("due", version.effective_from->ToRfc3339());
    event.payload.Set("due_on_effective_date", true);
    // Short: it travels in every gate answer; the change reason is on the version itself.
    event.reason = "major revision: " + VersionName(document.id, version.number);
    events.push_back(std::move(event));
  }
  return events;
}

Result<ledger::NewEvent> RecordSession(std::string_view trainee,
                                       const documents::DocumentState& document, int version,
                                       bool passed, const std::optional<std::string>& score,
                                       const std::optional<std::string>& comment,
                                       const ledger::Actor& trainer, std::string_view terminal) {
  const documents::VersionState* trained = document.Version(version);
  if (trained == nullptr) {
    return Unexpected(NotFound("no " + VersionName(document.id, version), "version"));
  }
  if (trained->stage != documents::Stage::kApproved) {
    return Unexpected(FailedPrecondition(
        VersionName(document.id, version) + " is not approved; training is on approved versions",
        "version"));
  }
  if (trainee == trainer.id) {
    return Unexpected(InvalidArgument("a trainer does not record their own training", "user"));
  }
  if (score) ALIQUOT_RETURN_IF_ERROR(CheckLine(*score, "score", 1, 40));
  if (comment) ALIQUOT_RETURN_IF_ERROR(CheckParagraph(*comment, "comment", 1, 2000));
  ledger::NewEvent event = TrainingEvent(trainee, "training.session_recorded", trainer, terminal);
  event.payload.Set("document", document.id);
  event.payload.Set("version", version);
  event.payload.Set("assessment", passed ? "passed" : "failed");
  event.payload.Set("score", score ? Json(*score) : Json());
  event.payload.Set("comment", comment ? Json(*comment) : Json());
  return event;
}

Result<ledger::NewEvent> Complete(std::string_view trainee,
                                  const documents::DocumentState& document, int version,
                                  const PendingSession& session,
                                  std::span<const Completion> completions,
                                  std::optional<int> requalification_months,
                                  std::string_view signer, Timestamp now,
                                  const ledger::Actor& actor, std::string_view terminal) {
  const documents::VersionState* trained = document.Version(version);
  if (trained == nullptr || trained->stage != documents::Stage::kApproved) {
    return Unexpected(FailedPrecondition(
        VersionName(document.id, version) + " is not approved; training is on approved versions",
        "record_id"));
  }
  const bool instructor = session.exists && session.trainer == signer;
  if (session.exists && !instructor) {
    // The trainer's assessment decides; the trainee cannot sign it away as self-study.
    return Unexpected(PermissionDenied("the session recorded by " + session.trainer + " on " +
                                           VersionName(document.id, version) +
                                           " is signed by its trainer only",
                                       "meaning"));
  }
  if (!instructor && signer != trainee) {
    return Unexpected(
        PermissionDenied("a read-and-understood record is signed by the trainee only", "meaning"));
  }
  if (!instructor) {
    for (const Completion& completion : completions) {
      if (completion.document == document.id && completion.version == version &&
          completion.method == Method::kInstructorLed && !completion.passed) {
        return Unexpected(FailedPrecondition(
            std::string(trainee) + " failed the assessment on " +
                VersionName(document.id, version) + " (" + completion.trainer.value_or("") +
                "); a new instructor-led session is needed, not self-study",
            "record_id"));
      }
    }
    for (const Completion& completion : completions) {
      if (completion.document == document.id && completion.version == version &&
          completion.passed && (!completion.expires_at || now < *completion.expires_at)) {
        return Unexpected(FailedPrecondition(std::string(trainee) + " is trained on " +
                                                 VersionName(document.id, version) + " already (" +
                                                 completion.completed_at.ToRfc3339() + ")",
                                             "record_id"));
      }
    }
  }
  ledger::NewEvent event = TrainingEvent(trainee, "training.completed", actor, terminal);
  event.payload.Set("document", document.id);
  event.payload.Set("version", version);
  event.payload.Set("method", MethodName(instructor ? Method::kInstructorLed : Method::kSelfStudy));
  const bool passed = !instructor || session.passed;
  event.payload.Set("passed", passed);
  event.payload.Set("trainer", instructor ? Json(session.trainer) : Json());
  event.payload.Set("assessment", instructor
                                      ? Json(std::string(session.passed ? "passed" : "failed") +
                                             (session.score ? " (" + *session.score + ")" : ""))
                                      : Json());
  // The expiry follows from the completion's own recorded time, which the store assigns.
  event.payload.Set("requalification_months",
                    passed && requalification_months ? Json(*requalification_months) : Json());
  return event;
}

Status CheckPurpose(std::string_view purpose) {
  if (purpose.size() > 200) {
    return Unexpected(InvalidArgument("purpose must be at most 200 bytes", "purpose"));
  }
  return {};
}

ledger::NewEvent GateRefusal(const Qualification& qualification, std::string_view purpose,
                             const ledger::Actor& actor, std::string_view terminal) {
  ledger::NewEvent event =
      TrainingEvent(qualification.user, "training.gate_refused", actor, terminal);
  event.payload.Set("document", qualification.document);
  event.payload.Set("effective_version", qualification.effective_version
                                             ? Json(*qualification.effective_version)
                                             : Json());
  event.payload.Set("reason", ReasonName(qualification.reason));
  event.payload.Set("message", qualification.message);
  event.payload.Set("purpose", std::string(purpose));
  // An attempt refused for missing training is a GMP signal: QA sees it in review by exception.
  event.payload.Set("alert", true);
  return event;
}

}  // namespace aliquot::training
