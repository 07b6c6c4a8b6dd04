#include "aliquot/app/document_records.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using documents::DocumentState;
using documents::Stage;
using documents::VersionState;

const TableSpec& DocumentsTable() {
  static const TableSpec kTable{"documents",
                                {{"document_id", ColumnType::kText},
                                 {"site", ColumnType::kText},
                                 {"kind", ColumnType::kText},
                                 {"owner", ColumnType::kText},
                                 {"review_interval_months", ColumnType::kInteger},
                                 {"created_at", ColumnType::kInteger},
                                 {"version_count", ColumnType::kInteger},
                                 {"retirement_reason", ColumnType::kText, true},
                                 {"retirement_effective", ColumnType::kInteger, true},
                                 {"retirement_proposed_by", ColumnType::kText, true},
                                 {"retired_from", ColumnType::kInteger, true},
                                 {"last_periodic_review", ColumnType::kInteger, true},
                                 {"schedule", ColumnType::kText}},
                                1};
  return kTable;
}
enum DocumentColumn : std::size_t {
  kDocumentId,
  kSite,
  kKind,
  kOwner,
  kReviewInterval,
  kCreatedAt,
  kVersionCount,
  kRetirementReason,
  kRetirementEffective,
  kRetirementProposedBy,
  kRetiredFrom,
  kLastPeriodicReview,
  kSchedule,
};

const TableSpec& VersionsTable() {
  static const TableSpec kTable{"document_versions",
                                {{"document_id", ColumnType::kText},
                                 {"version", ColumnType::kInteger},
                                 {"stage", ColumnType::kText},
                                 {"title", ColumnType::kText},
                                 {"file_sha256", ColumnType::kText},
                                 {"file_name", ColumnType::kText},
                                 {"media_type", ColumnType::kText},
                                 {"size", ColumnType::kInteger},
                                 {"change_reason", ColumnType::kText},
                                 {"revision", ColumnType::kText},
                                 {"requested_effective", ColumnType::kInteger, true},
                                 {"drafted_by", ColumnType::kText},
                                 {"drafted_at", ColumnType::kInteger},
                                 {"contributors", ColumnType::kText},
                                 {"submitted_by", ColumnType::kText, true},
                                 {"reviewed_by", ColumnType::kText, true},
                                 {"approved_by", ColumnType::kText, true},
                                 {"approved_at", ColumnType::kInteger, true},
                                 {"effective_from", ColumnType::kInteger, true},
                                 {"effective_until", ColumnType::kInteger, true}},
                                2};
  return kTable;
}
enum VersionColumn : std::size_t {
  kVersionDocument,
  kVersionNumber,
  kStage,
  kTitle,
  kFileSha256,
  kFileName,
  kMediaType,
  kSize,
  kChangeReason,
  kRevision,
  kRequestedEffective,
  kDraftedBy,
  kDraftedAt,
  kContributors,
  kSubmittedBy,
  kReviewedBy,
  kApprovedBy,
  kApprovedAt,
  kEffectiveFrom,
  kEffectiveUntil,
};

const TableSpec& CurriculaTable() {
  static const TableSpec kTable{"curricula",
                                {{"curriculum_id", ColumnType::kText},
                                 {"site", ColumnType::kText},
                                 {"title", ColumnType::kText},
                                 {"roles", ColumnType::kText},
                                 {"documents", ColumnType::kText},
                                 {"requalification_months", ColumnType::kInteger, true}},
                                1};
  return kTable;
}

// One person's training on one document, in one row: every completion and assignment as compact
// JSON. The gate reads it with one point lookup on every step (docs/documents.md), so it is laid
// out for that query rather than split into a row per completion.
const TableSpec& TrainingRecordsTable() {
  static const TableSpec kTable{"training_records",
                                {{"user_id", ColumnType::kText},
                                 {"document_id", ColumnType::kText},
                                 {"history", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& SessionsTable() {
  static const TableSpec kTable{"training_sessions",
                                {{"user_id", ColumnType::kText},
                                 {"document_id", ColumnType::kText},
                                 {"version", ColumnType::kInteger},
                                 {"trainer", ColumnType::kText},
                                 {"passed", ColumnType::kInteger},
                                 {"score", ColumnType::kText, true},
                                 {"comment", ColumnType::kText, true},
                                 {"recorded_at", ColumnType::kInteger}},
                                3};
  return kTable;
}

std::optional<Timestamp> OptionalTime(const Row& row, std::size_t column) {
  if (std::holds_alternative<std::monostate>(row[column])) return std::nullopt;
  return Timestamp::FromMicros(Int(row, column));
}
Value TimeOrNull(const std::optional<Timestamp>& time) {
  return time ? Value(time->Micros()) : Value(std::monostate());
}

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kDraft:
      return "draft";
    case Stage::kInReview:
      return "in_review";
    case Stage::kApproved:
      return "approved";
  }
  return "draft";
}

Result<Stage> StageFromName(const std::string& name) {
  if (name == "draft") return Stage::kDraft;
  if (name == "in_review") return Stage::kInReview;
  if (name == "approved") return Stage::kApproved;
  return Unexpected(DataLoss("document_versions: unknown stage '" + name + "'"));
}

Json TimeOrNullJson(const std::optional<Timestamp>& time) {
  return time ? Json(time->Micros()) : Json();
}

// What the qualification question needs of each version, in the document's own row: number,
// stage, revision, effective from and until. [[1,"approved","major",t,t],...]
std::string ScheduleText(const DocumentState& state) {
  Json versions = Json::MakeArray();
  for (const VersionState& version : state.versions) {
    Json item = Json::MakeArray();
    item.Push(version.number);
    item.Push(StageName(version.stage));
    item.Push(documents::RevisionName(version.revision));
    item.Push(TimeOrNullJson(version.effective_from));
    item.Push(TimeOrNullJson(version.effective_until));
    versions.Push(std::move(item));
  }
  return CanonicalJson(versions);
}

std::string ContributorsText(const std::vector<std::string>& contributors) {
  Json array = Json::MakeArray();
  for (const std::string& who : contributors) array.Push(who);
  return CanonicalJson(array);
}

Row DocumentRow(const DocumentState& state) {
  return {state.id,
          state.site,
          std::string(documents::DocumentKindName(state.kind)),
          state.owner,
          std::int64_t{state.review_interval_months},
          state.created_at.Micros(),
          static_cast<std::int64_t>(state.versions.size()),
          TextOrNull(state.retirement_reason),
          TimeOrNull(state.retirement_effective),
          TextOrNull(state.retirement_proposed_by),
          TimeOrNull(state.retired_from),
          TimeOrNull(state.last_periodic_review),
          ScheduleText(state)};
}

Row VersionRow(const DocumentState& state, const VersionState& version) {
  return {state.id,
          std::int64_t{version.number},
          std::string(StageName(version.stage)),
          version.title,
          version.file.sha256,
          version.file.file_name,
          version.file.media_type,
          static_cast<std::int64_t>(version.file.size),
          version.change_reason,
          std::string(documents::RevisionName(version.revision)),
          TimeOrNull(version.requested_effective),
          version.drafted_by,
          version.drafted_at.Micros(),
          ContributorsText(version.contributors),
          TextOrNull(version.submitted_by),
          TextOrNull(version.reviewed_by),
          TextOrNull(version.approved_by),
          TimeOrNull(version.approved_at),
          TimeOrNull(version.effective_from),
          TimeOrNull(version.effective_until)};
}

Result<DocumentState> DocumentFromRow(const Row& row) {
  DocumentState state;
  state.exists = true;
  state.id = Text(row, kDocumentId);
  state.site = Text(row, kSite);
  const std::optional<documents::DocumentKind> kind =
      documents::DocumentKindFromName(Text(row, kKind));
  if (!kind) return Unexpected(DataLoss("documents: unknown kind for " + state.id));
  state.kind = *kind;
  state.owner = Text(row, kOwner);
  state.review_interval_months = static_cast<int>(Int(row, kReviewInterval));
  state.created_at = Timestamp::FromMicros(Int(row, kCreatedAt));
  state.retirement_reason = OptionalText(row, kRetirementReason);
  state.retirement_effective = OptionalTime(row, kRetirementEffective);
  state.retirement_proposed_by = OptionalText(row, kRetirementProposedBy);
  state.retired_from = OptionalTime(row, kRetiredFrom);
  state.last_periodic_review = OptionalTime(row, kLastPeriodicReview);
  return state;
}

Result<VersionState> VersionFromRow(const Row& row) {
  VersionState version;
  version.number = static_cast<int>(Int(row, kVersionNumber));
  ALIQUOT_ASSIGN_OR_RETURN(version.stage, StageFromName(Text(row, kStage)));
  version.title = Text(row, kTitle);
  version.file = {Text(row, kFileSha256), Text(row, kFileName), Text(row, kMediaType),
                  static_cast<std::uint64_t>(Int(row, kSize))};
  version.change_reason = Text(row, kChangeReason);
  const std::optional<documents::Revision> revision =
      documents::RevisionFromName(Text(row, kRevision));
  if (!revision) return Unexpected(DataLoss("document_versions: unknown revision"));
  version.revision = *revision;
  version.requested_effective = OptionalTime(row, kRequestedEffective);
  version.drafted_by = Text(row, kDraftedBy);
  version.drafted_at = Timestamp::FromMicros(Int(row, kDraftedAt));
  auto contributors = ParseJson(Text(row, kContributors));
  if (!contributors || !contributors->IsArray()) {
    return Unexpected(DataLoss("document_versions: contributors do not read back"));
  }
  for (const Json& who : contributors->AsArray()) {
    if (!who.IsString()) return Unexpected(DataLoss("document_versions: bad contributor"));
    version.contributors.push_back(who.AsString());
  }
  version.submitted_by = OptionalText(row, kSubmittedBy);
  version.reviewed_by = OptionalText(row, kReviewedBy);
  version.approved_by = OptionalText(row, kApprovedBy);
  version.approved_at = OptionalTime(row, kApprovedAt);
  version.effective_from = OptionalTime(row, kEffectiveFrom);
  version.effective_until = OptionalTime(row, kEffectiveUntil);
  if (version.stage == Stage::kApproved && (!version.effective_from || !version.approved_at)) {
    return Unexpected(DataLoss("document_versions: an approved version has no effective date"));
  }
  return version;
}

// The document as the projector sees it mid-transaction: through the writer, version by version.
Result<DocumentState> DocumentThroughWriter(ProjectionWriter& writer, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row, writer.Get(DocumentsTable(), Row{id}));
  if (!row) {
    DocumentState state;
    state.id = id;
    return state;
  }
  ALIQUOT_ASSIGN_OR_RETURN(DocumentState state, DocumentFromRow(*row));
  const std::int64_t count = Int(*row, kVersionCount);
  for (std::int64_t number = 1; number <= count; ++number) {
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> version,
                             writer.Get(VersionsTable(), Row{id, number}));
    if (!version) return Unexpected(DataLoss("document_versions: " + id + " lacks a version"));
    ALIQUOT_ASSIGN_OR_RETURN(VersionState loaded, VersionFromRow(*version));
    state.versions.push_back(std::move(loaded));
  }
  return state;
}

// A person's history on one document as stored: {"a":[[version, assigned_at, due, closed_at,
// reason]], "c":[[seq, version, completed_at, method, passed, expires_at, trainer, assessment]]},
// times in microseconds, null where absent.
std::string HistoryText(const TrainingOnDocument& training) {
  Json assignments = Json::MakeArray();
  for (const training::Assignment& assignment : training.assignments) {
    Json item = Json::MakeArray();
    item.Push(assignment.version);
    item.Push(assignment.assigned_at.Micros());
    item.Push(assignment.due.Micros());
    item.Push(TimeOrNullJson(assignment.closed_at));
    item.Push(assignment.reason);
    assignments.Push(std::move(item));
  }
  Json completions = Json::MakeArray();
  for (const training::Completion& completion : training.completions) {
    Json item = Json::MakeArray();
    item.Push(Json(completion.seq));
    item.Push(completion.version);
    item.Push(completion.completed_at.Micros());
    item.Push(training::MethodName(completion.method));
    item.Push(completion.passed);
    item.Push(TimeOrNullJson(completion.expires_at));
    item.Push(completion.trainer ? Json(*completion.trainer) : Json());
    item.Push(completion.assessment ? Json(*completion.assessment) : Json());
    completions.Push(std::move(item));
  }
  Json history = Json::MakeObject();
  history.Set("a", std::move(assignments));
  history.Set("c", std::move(completions));
  return CanonicalJson(history);
}

Result<TrainingOnDocument> HistoryFromText(const std::string& text, const std::string& document) {
  const auto corrupt = [&] {
    return Unexpected(
        DataLoss("training_records: the history of " + document + " does not read back"));
  };
  auto json = ParseJson(text);
  if (!json || !json->IsObject()) return corrupt();
  const Json* assignments = json->Find("a");
  const Json* completions = json->Find("c");
  if (assignments == nullptr || !assignments->IsArray() || completions == nullptr ||
      !completions->IsArray()) {
    return corrupt();
  }
  const auto time = [](const Json& value) -> std::optional<Timestamp> {
    const std::optional<std::int64_t> micros = value.AsInteger();
    if (!micros) return std::nullopt;
    return Timestamp::FromMicros(*micros);
  };
  const auto text_or_null = [](const Json& value) -> std::optional<std::string> {
    if (!value.IsString()) return std::nullopt;
    return value.AsString();
  };
  TrainingOnDocument training;
  for (const Json& item : assignments->AsArray()) {
    if (!item.IsArray() || item.AsArray().size() != 5) return corrupt();
    const Json::Array& fields = item.AsArray();
    training::Assignment assignment;
    assignment.document = document;
    const std::optional<std::int64_t> version = fields[0].AsInteger();
    const std::optional<Timestamp> assigned = time(fields[1]);
    const std::optional<Timestamp> due = time(fields[2]);
    if (!version || !assigned || !due || !fields[4].IsString()) return corrupt();
    assignment.version = static_cast<int>(*version);
    assignment.assigned_at = *assigned;
    assignment.due = *due;
    assignment.closed_at = time(fields[3]);
    assignment.reason = fields[4].AsString();
    training.assignments.push_back(std::move(assignment));
  }
  for (const Json& item : completions->AsArray()) {
    if (!item.IsArray() || item.AsArray().size() != 8) return corrupt();
    const Json::Array& fields = item.AsArray();
    training::Completion completion;
    completion.document = document;
    const std::optional<std::int64_t> seq = fields[0].AsInteger();
    const std::optional<std::int64_t> version = fields[1].AsInteger();
    const std::optional<Timestamp> completed = time(fields[2]);
    if (!seq || !version || !completed || !fields[3].IsString() || !fields[4].IsBool()) {
      return corrupt();
    }
    completion.seq = static_cast<std::uint64_t>(*seq);
    completion.version = static_cast<int>(*version);
    completion.completed_at = *completed;
    completion.method = fields[3].AsString() == "instructor_led" ? training::Method::kInstructorLed
                                                                 : training::Method::kSelfStudy;
    completion.passed = fields[4].AsBool();
    completion.expires_at = time(fields[5]);
    completion.trainer = text_or_null(fields[6]);
    completion.assessment = text_or_null(fields[7]);
    training.completions.push_back(std::move(completion));
  }
  return training;
}

// The versions as the schedule column lists them: enough for the qualification question.
Status ScheduleFromText(const std::string& text, DocumentState& state) {
  const auto corrupt = [&] {
    return Unexpected(DataLoss("documents: the schedule of " + state.id + " does not read back"));
  };
  auto json = ParseJson(text);
  if (!json || !json->IsArray()) return corrupt();
  for (const Json& item : json->AsArray()) {
    if (!item.IsArray() || item.AsArray().size() != 5) return corrupt();
    const Json::Array& fields = item.AsArray();
    VersionState version;
    const std::optional<std::int64_t> number = fields[0].AsInteger();
    if (!number || !fields[1].IsString() || !fields[2].IsString()) return corrupt();
    version.number = static_cast<int>(*number);
    auto stage = StageFromName(fields[1].AsString());
    const std::optional<documents::Revision> revision =
        documents::RevisionFromName(fields[2].AsString());
    if (!stage || !revision) return corrupt();
    version.stage = *stage;
    version.revision = *revision;
    if (const std::optional<std::int64_t> from = fields[3].AsInteger()) {
      version.effective_from = Timestamp::FromMicros(*from);
    }
    if (const std::optional<std::int64_t> until = fields[4].AsInteger()) {
      version.effective_until = Timestamp::FromMicros(*until);
    }
    if (version.stage == Stage::kApproved && !version.effective_from) return corrupt();
    state.versions.push_back(std::move(version));
  }
  return {};
}

class DocumentsProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{DocumentsTable(), VersionsTable(), CurriculaTable(),
                                                TrainingRecordsTable(), SessionsTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (event.event_type.starts_with("documents.")) {
      if (event.stream.type != "document") return {};
      ALIQUOT_ASSIGN_OR_RETURN(DocumentState state, DocumentThroughWriter(writer, event.stream.id));
      ALIQUOT_RETURN_IF_ERROR(documents::ApplyDocumentEvent(state, event));
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(DocumentsTable(), DocumentRow(state)));
      for (const VersionState& version : state.versions) {
        ALIQUOT_RETURN_IF_ERROR(writer.Upsert(VersionsTable(), VersionRow(state, version)));
      }
      return {};
    }
    if (!event.event_type.starts_with("training.")) return {};
    ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                             ledger::PayloadReader::Parse(event));
    if (event.stream.type == "curriculum") return ApplyCurriculum(event, payload, writer);
    if (event.stream.type != "training") return {};
    const std::string& type = event.event_type;
    if (type == "training.assigned") return ApplyAssigned(event, payload, writer);
    if (type == "training.completed") return ApplyCompleted(event, payload, writer);
    if (type == "training.session_recorded") return ApplySession(event, payload, writer);
    return {};  // training.gate_refused: an event, no state.
  }

 private:
  static Status ApplyCurriculum(const ledger::Event& event, const ledger::PayloadReader& payload,
                                ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(std::string site, payload.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(std::string title, payload.String("title"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* roles, payload.Array("roles"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* documents, payload.Array("documents"));
    const Json* months = payload.Find("requalification_months");
    Value requalification;
    if (months != nullptr && months->AsInteger()) requalification = *months->AsInteger();
    return writer.Upsert(CurriculaTable(),
                         {event.stream.id, std::move(site), std::move(title), CanonicalJson(*roles),
                          CanonicalJson(*documents), requalification});
  }

  static Result<TrainingOnDocument> HistoryThroughWriter(ProjectionWriter& writer,
                                                         const std::string& user,
                                                         const std::string& document) {
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                             writer.Get(TrainingRecordsTable(), Row{user, document}));
    if (!row) return TrainingOnDocument();
    return HistoryFromText(Text(*row, 2), document);
  }

  // Closes the open assignments on versions up to `version` at the event: completed, or replaced
  // by a newer assignment.
  static void CloseAssignments(const ledger::Event& event, std::int64_t version,
                               TrainingOnDocument& training) {
    for (training::Assignment& assignment : training.assignments) {
      if (!assignment.closed_at && assignment.version <= version) assignment.closed_at = event.time;
    }
  }

  static Status ApplyAssigned(const ledger::Event& event, const ledger::PayloadReader& payload,
                              ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string document, payload.String("document"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t version, payload.Integer("version"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string due_text, payload.String("due"));
    auto due = Timestamp::ParseRfc3339(due_text);
    if (!due) return Unexpected(payload.Corrupt("due: " + due.error().Message()));
    Timestamp due_at = *due;
    if (const Json* flag = payload.Find("due_on_effective_date");
        flag != nullptr && flag->IsBool() && flag->AsBool()) {
      // Retraining is due when the version takes effect, as the document's row records it (its
      // approval was applied earlier in the same transaction).
      ALIQUOT_ASSIGN_OR_RETURN(const DocumentState state, DocumentThroughWriter(writer, document));
      const VersionState* assigned = state.Version(static_cast<int>(version));
      if (assigned == nullptr || !assigned->effective_from) {
        return Unexpected(payload.Corrupt("retraining on a version that is not approved"));
      }
      due_at = *assigned->effective_from;
    }
    ALIQUOT_ASSIGN_OR_RETURN(TrainingOnDocument training,
                             HistoryThroughWriter(writer, event.stream.id, document));
    // A newer assignment on the document replaces the ones before it.
    CloseAssignments(event, version, training);
    training::Assignment assignment;
    assignment.document = document;
    assignment.version = static_cast<int>(version);
    assignment.assigned_at = event.time;
    assignment.due = due_at;
    assignment.reason = event.reason.value_or("");
    training.assignments.push_back(std::move(assignment));
    return writer.Upsert(TrainingRecordsTable(),
                         {event.stream.id, document, HistoryText(training)});
  }

  static Status ApplyCompleted(const ledger::Event& event, const ledger::PayloadReader& payload,
                               ProjectionWriter& writer) {
    training::Completion completion;
    completion.seq = event.seq;
    completion.completed_at = event.time;
    ALIQUOT_ASSIGN_OR_RETURN(completion.document, payload.String("document"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t version, payload.Integer("version"));
    completion.version = static_cast<int>(version);
    ALIQUOT_ASSIGN_OR_RETURN(const std::string method, payload.String("method"));
    completion.method = method == "instructor_led" ? training::Method::kInstructorLed
                                                   : training::Method::kSelfStudy;
    ALIQUOT_ASSIGN_OR_RETURN(completion.passed, payload.Bool("passed"));
    if (const Json* found = payload.Find("trainer"); found != nullptr && found->IsString()) {
      completion.trainer = found->AsString();
    }
    if (const Json* found = payload.Find("assessment"); found != nullptr && found->IsString()) {
      completion.assessment = found->AsString();
    }
    if (const Json* months = payload.Find("requalification_months");
        months != nullptr && !months->IsNull()) {
      if (!months->AsInteger()) return Unexpected(payload.Corrupt("requalification_months"));
      completion.expires_at =
          training::ExpiryAfter(event.time, static_cast<int>(*months->AsInteger()));
    }
    ALIQUOT_ASSIGN_OR_RETURN(TrainingOnDocument training,
                             HistoryThroughWriter(writer, event.stream.id, completion.document));
    if (completion.passed) CloseAssignments(event, version, training);
    const std::string document = completion.document;
    training.completions.push_back(std::move(completion));
    // The session row stays: it is what the trainer's signature was made over (11.70).
    return writer.Upsert(TrainingRecordsTable(),
                         {event.stream.id, document, HistoryText(training)});
  }

  static Status ApplySession(const ledger::Event& event, const ledger::PayloadReader& payload,
                             ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(std::string document, payload.String("document"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t version, payload.Integer("version"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string assessment, payload.String("assessment"));
    Value score;
    Value comment;
    if (const Json* found = payload.Find("score"); found != nullptr && found->IsString()) {
      score = found->AsString();
    }
    if (const Json* found = payload.Find("comment"); found != nullptr && found->IsString()) {
      comment = found->AsString();
    }
    return writer.Upsert(
        SessionsTable(),
        {event.stream.id, std::move(document), version, event.actor.id,
         std::int64_t{assessment == "passed" ? 1 : 0}, score, comment, event.time.Micros()});
  }
};

Result<training::Curriculum> CurriculumFromRow(const Row& row) {
  training::Curriculum curriculum;
  curriculum.exists = true;
  curriculum.id = Text(row, 0);
  curriculum.site = Text(row, 1);
  curriculum.title = Text(row, 2);
  auto roles = ParseJson(Text(row, 3));
  auto documents = ParseJson(Text(row, 4));
  if (!roles || !roles->IsArray() || !documents || !documents->IsArray()) {
    return Unexpected(DataLoss("curricula: " + curriculum.id + " does not read back"));
  }
  for (const Json& role : roles->AsArray()) {
    const std::optional<identity::Role> parsed =
        role.IsString() ? identity::RoleFromName(role.AsString()) : std::nullopt;
    if (!parsed) return Unexpected(DataLoss("curricula: unknown role in " + curriculum.id));
    curriculum.roles.Add(*parsed);
  }
  for (const Json& document : documents->AsArray()) {
    if (!document.IsString()) return Unexpected(DataLoss("curricula: bad document"));
    curriculum.documents.push_back(document.AsString());
  }
  if (!std::holds_alternative<std::monostate>(row[5])) {
    curriculum.requalification_months = static_cast<int>(Int(row, 5));
  }
  return curriculum;
}

}  // namespace

std::unique_ptr<Projector> MakeDocumentsProjector() {
  return std::make_unique<DocumentsProjector>();
}

Result<documents::DocumentState> LoadDocument(StoreReader& reader, const std::string& document_id) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           reader.GetRow(DocumentsTable(), Row{document_id}));
  if (!row) {
    DocumentState state;
    state.id = document_id;
    return state;
  }
  ALIQUOT_ASSIGN_OR_RETURN(DocumentState state, DocumentFromRow(*row));
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowsWithPrefix(
      VersionsTable(), Row{document_id}, [&](const Row& version) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(VersionState loaded, VersionFromRow(version));
        state.versions.push_back(std::move(loaded));
        return {};
      }));
  for (std::size_t i = 0; i < state.versions.size(); ++i) {
    if (state.versions[i].number != static_cast<int>(i) + 1) {
      return Unexpected(DataLoss("document_versions: " + document_id + " has a gap"));
    }
  }
  return state;
}

Result<documents::DocumentState> ExistingDocument(StoreReader& reader,
                                                  const std::string& document_id,
                                                  std::string_view field) {
  ALIQUOT_ASSIGN_OR_RETURN(DocumentState document, LoadDocument(reader, document_id));
  if (!document.exists) {
    return Unexpected(NotFound("no document " + document_id.substr(0, 40), std::string(field)));
  }
  return document;
}

Result<std::vector<documents::DocumentState>> LoadDocuments(StoreReader& reader) {
  std::vector<DocumentState> documents;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(DocumentsTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(DocumentState state, DocumentFromRow(row));
    documents.push_back(std::move(state));
    return {};
  }));
  std::size_t next = 0;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(VersionsTable(), [&](const Row& row) -> Status {
    const std::string& id = Text(row, kVersionDocument);
    while (next < documents.size() && documents[next].id < id) ++next;
    if (next == documents.size() || documents[next].id != id) {
      return Unexpected(DataLoss("document_versions: a version of unknown document " + id));
    }
    ALIQUOT_ASSIGN_OR_RETURN(VersionState loaded, VersionFromRow(row));
    documents[next].versions.push_back(std::move(loaded));
    return {};
  }));
  return documents;
}

Result<std::vector<std::string>> LoadDocumentIds(StoreReader& reader) {
  std::vector<std::string> ids;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(DocumentsTable(), [&](const Row& row) -> Status {
    ids.push_back(Text(row, kDocumentId));
    return {};
  }));
  return ids;
}

Result<training::Curriculum> LoadCurriculum(StoreReader& reader, const std::string& curriculum_id) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           reader.GetRow(CurriculaTable(), Row{curriculum_id}));
  if (!row) {
    training::Curriculum none;
    none.id = curriculum_id;
    return none;
  }
  return CurriculumFromRow(*row);
}

Result<std::vector<training::Curriculum>> LoadCurricula(StoreReader& reader) {
  std::vector<training::Curriculum> curricula;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(CurriculaTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(training::Curriculum curriculum, CurriculumFromRow(row));
    curricula.push_back(std::move(curriculum));
    return {};
  }));
  return curricula;
}

Result<documents::DocumentState> LoadDocumentSchedule(StoreReader& reader,
                                                      const std::string& document_id) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           reader.GetRow(DocumentsTable(), Row{document_id}));
  if (!row) {
    DocumentState state;
    state.id = document_id;
    return state;
  }
  ALIQUOT_ASSIGN_OR_RETURN(DocumentState state, DocumentFromRow(*row));
  ALIQUOT_RETURN_IF_ERROR(ScheduleFromText(Text(*row, kSchedule), state));
  return state;
}

Result<TrainingOnDocument> LoadTrainingOn(StoreReader& reader, const std::string& user_id,
                                          const std::string& document_id) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           reader.GetRow(TrainingRecordsTable(), Row{user_id, document_id}));
  if (!row) return TrainingOnDocument();
  return HistoryFromText(Text(*row, 2), document_id);
}

Result<std::vector<TrainingRecords>> LoadAllTraining(StoreReader& reader) {
  std::vector<TrainingRecords> records;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(TrainingRecordsTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(TrainingOnDocument training,
                             HistoryFromText(Text(row, 2), Text(row, 1)));
    records.push_back({Text(row, 0), Text(row, 1), std::move(training)});
    return {};
  }));
  return records;
}

Result<training::PendingSession> LoadPendingSession(StoreReader& reader, const std::string& user_id,
                                                    const std::string& document_id, int version) {
  training::PendingSession session;
  ALIQUOT_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      reader.GetRow(SessionsTable(), Row{user_id, document_id, std::int64_t{version}}));
  if (!row) return session;
  session.exists = true;
  session.trainer = Text(*row, 3);
  session.passed = Int(*row, 4) != 0;
  session.score = OptionalText(*row, 5);
  session.comment = OptionalText(*row, 6);
  session.recorded_at = Timestamp::FromMicros(Int(*row, 7));
  return session;
}

}  // namespace aliquot::app
