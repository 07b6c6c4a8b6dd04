#include "aliquot/domain/training/training.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot::training {
namespace {

using documents::DocumentState;
using documents::Revision;
using documents::SignatureMeaning;
using identity::Role;
using identity::RoleSet;

constexpr std::string_view kId = "SOP-CT-004";
constexpr std::string_view kTerminal = "QA-WS1";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);

const std::vector<std::string> kSites{"AMS", "LEI"};
const ledger::Actor kOwner{"dora", "Dora Owner"};
const ledger::Actor kReviewer{"rita", "Rita Reviewer"};
const ledger::Actor kApprover{"quinn", "Quinn QA"};
const ledger::Actor kCoordinator{"tara", "Tara Training"};
const ledger::Actor kTrainer{"tom", "Tom Trainer"};
const ledger::Actor kOlivia{"olivia", "Olivia Operator"};

// `days` days (and `micros` microseconds) after day 0.
Timestamp Day(std::int64_t days, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + days * kMicrosPerDay + micros);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Whether `result` is a refusal with `code` naming `field`.
template <typename T>
::testing::AssertionResult Refused(const Result<T>& result, ErrorCode code,
                                   std::string_view field) {
  if (result) return ::testing::AssertionFailure() << "accepted";
  if (result.error().Code() != code || result.error().Field() != field) {
    return ::testing::AssertionFailure() << "refused with " << result.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

// A document's stream in a test: decide, seal at a time, apply.
class History {
 public:
  ::testing::AssertionResult Apply(const Result<ledger::NewEvent>& decided, Timestamp time) {
    if (!decided) return ::testing::AssertionFailure() << "refused: " << decided.error().ToString();
    const ledger::Event sealed = ledger::SealEvent(*decided, ++seq_, time, prev_hash_);
    prev_hash_ = sealed.hash;
    if (const Status applied = documents::ApplyDocumentEvent(state_, sealed); !applied) {
      return ::testing::AssertionFailure() << "does not apply: " << applied.error().ToString();
    }
    return ::testing::AssertionSuccess();
  }

  const DocumentState& State() const { return state_; }

 private:
  DocumentState state_;
  std::uint64_t seq_ = 0;
  Hash256 prev_hash_ = ledger::kGenesisPrevHash;
};

documents::DraftCommand Draft(Revision revision, std::optional<Timestamp> requested_effective) {
  return {.title = "Thawing of apheresis material",
          .file = {.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                   .file_name = "SOP-CT-004.pdf",
                   .media_type = "application/pdf",
                   .size = 48'213},
          .change_reason = "Thaw at 37 degrees, not 25",
          .revision = revision,
          .requested_effective = requested_effective};
}

Result<ledger::NewEvent> Sign(const DocumentState& state, SignatureMeaning meaning, Timestamp now,
                              const ledger::Actor& signer,
                              const std::optional<std::string>& comment = std::nullopt) {
  return documents::DecideVersionSignature(state, state.Latest()->number, meaning, comment, now,
                                           kTerminal, signer);
}

History Created() {
  History document;
  EXPECT_TRUE(document.Apply(documents::CreateDocument({}, {.id = std::string(kId), .site = "LEI"},
                                                       kSites, kOwner, kTerminal),
                             Day(0)));
  return document;
}

// Drafts the next version at `now` and takes it to approval at `now`, effective from `effective`.
::testing::AssertionResult Release(History& document, Timestamp now, Revision revision,
                                   std::optional<Timestamp> effective) {
  if (auto drafted = document.Apply(
          DraftVersion(document.State(), Draft(revision, effective), now, kOwner, kTerminal), now);
      !drafted) {
    return drafted;
  }
  for (const auto& [meaning, signer] : std::vector<std::pair<SignatureMeaning, ledger::Actor>>{
           {SignatureMeaning::kAuthored, kOwner},
           {SignatureMeaning::kReviewed, kReviewer},
           {SignatureMeaning::kApproved, kApprover}}) {
    if (auto applied = document.Apply(Sign(document.State(), meaning, now, signer), now);
        !applied) {
      return applied;
    }
  }
  return ::testing::AssertionSuccess();
}

// Version 1 (major) effective from day 10, approved on day 4.
History OneVersion() {
  History document = Created();
  EXPECT_TRUE(Release(document, Day(4), Revision::kMajor, Day(10)));
  return document;
}

// Versions 1 and 2 (major) effective from days 10 and 40 (approved on days 4 and 30), and version
// 3 of `third` revision approved on day 70, effective from day 80.
History ThreeVersions(Revision third) {
  History document = OneVersion();
  EXPECT_TRUE(Release(document, Day(30), Revision::kMajor, Day(40)));
  EXPECT_TRUE(Release(document, Day(70), third, Day(80)));
  return document;
}

Completion Trained(int version, Timestamp at, std::optional<Timestamp> expires_at = std::nullopt) {
  Completion completion;
  completion.document = std::string(kId);
  completion.version = version;
  completion.completed_at = at;
  completion.expires_at = expires_at;
  return completion;
}

Assignment Assigned(int version, Timestamp assigned_at, Timestamp due, std::string reason) {
  Assignment assignment;
  assignment.document = std::string(kId);
  assignment.version = version;
  assignment.assigned_at = assigned_at;
  assignment.due = due;
  assignment.reason = std::move(reason);
  return assignment;
}

Qualification QualifyOlivia(const History& document, const std::vector<Completion>& completions,
                            Timestamp at, const std::vector<Assignment>& assignments = {}) {
  return Qualify("olivia", document.State(), completions, assignments, at);
}

// --- Qualification -------------------------------------------------------------------------------

TEST(Qualification, SomeoneNeverTrainedIsRefusedNamingTheEffectiveVersion_G_11) {
  const History document = ThreeVersions(Revision::kMajor);
  const Qualification q = QualifyOlivia(document, {}, Day(50));
  EXPECT_FALSE(q.Qualified());
  EXPECT_EQ(q.reason, Reason::kNeverTrained);
  EXPECT_EQ(ReasonName(q.reason), "never_trained");
  EXPECT_EQ(q.user, "olivia");
  EXPECT_EQ(q.document, kId);
  EXPECT_EQ(q.at, Day(50));
  EXPECT_EQ(q.effective_version, 2);
  EXPECT_EQ(q.baseline_version, 2);
  EXPECT_EQ(q.trained_version, std::nullopt);
  EXPECT_EQ(q.trained_at, std::nullopt);
  EXPECT_TRUE(Contains(q.message, "olivia")) << q.message;
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 2")) << q.message;
}

TEST(Qualification, TrainingOnTheVersionBeforeAMajorRevisionNoLongerQualifies_G_11) {
  const History document = ThreeVersions(Revision::kMajor);
  const std::vector<Completion> completions = {Trained(1, Day(8)), Trained(2, Day(35))};
  const Qualification before = QualifyOlivia(document, completions, Day(80, -1));
  EXPECT_TRUE(before.Qualified()) << before.message;
  EXPECT_EQ(before.effective_version, 2);
  EXPECT_EQ(before.trained_version, 2);

  const Qualification q = QualifyOlivia(document, completions, Day(80));
  EXPECT_EQ(q.reason, Reason::kEarlierVersion);
  EXPECT_EQ(ReasonName(q.reason), "trained_on_earlier_version");
  EXPECT_EQ(q.effective_version, 3);
  EXPECT_EQ(q.baseline_version, 3);
  EXPECT_EQ(q.trained_version, 2);
  EXPECT_EQ(q.trained_at, Day(35));
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 2")) << q.message;
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 3")) << q.message;
  EXPECT_TRUE(Contains(q.message, Day(80).ToRfc3339())) << q.message;
}

TEST(Qualification, TrainingOnTheVersionBeforeAMinorRevisionStillQualifies_G_11) {
  const History document = ThreeVersions(Revision::kMinor);
  const Qualification q = QualifyOlivia(document, {Trained(2, Day(35))}, Day(80));
  EXPECT_TRUE(q.Qualified()) << q.message;
  EXPECT_EQ(ReasonName(q.reason), "qualified");
  EXPECT_EQ(q.effective_version, 3);
  EXPECT_EQ(q.baseline_version, 2);
  EXPECT_EQ(q.trained_version, 2);
  EXPECT_EQ(q.trained_at, Day(35));
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 3")) << q.message;
  EXPECT_TRUE(Contains(q.message, "version 2")) << q.message;
}

TEST(Qualification, TrainingBeforeTheLastMajorRevisionDoesNotQualifyForALaterMinorOne_G_11) {
  // Version 2 is major, version 3 minor: version 1 training counts for neither.
  const History document = ThreeVersions(Revision::kMinor);
  const Qualification q = QualifyOlivia(document, {Trained(1, Day(12))}, Day(85));
  EXPECT_EQ(q.reason, Reason::kEarlierVersion);
  EXPECT_EQ(q.effective_version, 3);
  EXPECT_EQ(q.baseline_version, 2);
  EXPECT_EQ(q.trained_version, 1);
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 1")) << q.message;
  EXPECT_TRUE(Contains(q.message, "version 2 or later")) << q.message;
}

TEST(Qualification, TrainingAheadOnAnApprovedVersionDoesNotQualifyForTheOneStillEffective_G_11) {
  // Version 3 (major) is approved on day 70 for day 80; olivia trains on it on day 72.
  const History document = ThreeVersions(Revision::kMajor);
  const Qualification ahead = QualifyOlivia(document, {Trained(3, Day(72))}, Day(75));
  EXPECT_FALSE(ahead.Qualified()) << ahead.message;
  EXPECT_EQ(ahead.effective_version, 2);
  EXPECT_TRUE(Contains(ahead.message, "SOP-CT-004 version 2")) << ahead.message;
  EXPECT_TRUE(Contains(ahead.message, "SOP-CT-004 version 3")) << ahead.message;

  // Trained on version 2 too: qualified on it until day 80, then on version 3.
  const std::vector<Completion> both = {Trained(2, Day(36)), Trained(3, Day(72))};
  const Qualification on2 = QualifyOlivia(document, both, Day(75));
  EXPECT_TRUE(on2.Qualified()) << on2.message;
  EXPECT_EQ(on2.trained_version, 2);
  const Qualification on3 = QualifyOlivia(document, both, Day(80));
  EXPECT_TRUE(on3.Qualified()) << on3.message;
  EXPECT_EQ(on3.effective_version, 3);
  EXPECT_EQ(on3.trained_version, 3);
  // Training ahead counts from the day the version takes effect.
  EXPECT_TRUE(QualifyOlivia(document, {Trained(3, Day(72))}, Day(80)).Qualified());
}

TEST(Qualification, AQualificationExpiresAfterTheRequalificationInterval_G_11) {
  const History document = OneVersion();
  const Timestamp expiry = Day(12).PlusCalendarMonths(12);
  std::vector<Completion> completions = {Trained(1, Day(12), expiry)};
  EXPECT_TRUE(
      QualifyOlivia(document, completions, Timestamp::FromMicros(expiry.Micros() - 1)).Qualified());
  const Qualification q = QualifyOlivia(document, completions, expiry);
  EXPECT_EQ(q.reason, Reason::kExpired);
  EXPECT_EQ(ReasonName(q.reason), "expired");
  EXPECT_EQ(q.expired_at, expiry);
  EXPECT_EQ(q.trained_version, 1);
  EXPECT_EQ(q.effective_version, 1);
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 1")) << q.message;
  EXPECT_TRUE(Contains(q.message, expiry.ToRfc3339())) << q.message;

  // Requalified a week later: qualified again from then, expired in between.
  const Timestamp again = Timestamp::FromMicros(expiry.Micros() + 7 * kMicrosPerDay);
  completions.push_back(Trained(1, again, again.PlusCalendarMonths(12)));
  EXPECT_EQ(QualifyOlivia(document, completions, again).reason, Reason::kQualified);
  EXPECT_EQ(QualifyOlivia(document, completions, expiry).reason, Reason::kExpired);
}

TEST(Qualification, AnOpenAssignmentPastItsDueDateIsOverdue_G_11) {
  const History document = ThreeVersions(Revision::kMinor);
  const std::vector<Completion> completions = {Trained(2, Day(35))};
  std::vector<Assignment> assignments = {
      Assigned(3, Day(70), Day(90), "Annual refresher on the thawing procedure")};
  EXPECT_TRUE(QualifyOlivia(document, completions, Day(90, -1), assignments).Qualified());

  const Qualification q = QualifyOlivia(document, completions, Day(90), assignments);
  EXPECT_EQ(q.reason, Reason::kOverdue);
  EXPECT_EQ(ReasonName(q.reason), "overdue");
  EXPECT_EQ(q.overdue_since, Day(90));
  EXPECT_EQ(q.effective_version, 3);
  EXPECT_EQ(q.trained_version, 2);
  EXPECT_TRUE(Contains(q.message, "SOP-CT-004 version 3")) << q.message;
  EXPECT_TRUE(Contains(q.message, Day(90).ToRfc3339())) << q.message;
  EXPECT_TRUE(Contains(q.message, "Annual refresher")) << q.message;

  // Closed on day 95: overdue until then, and still so when asked about day 92 afterwards.
  assignments[0].closed_at = Day(95);
  EXPECT_TRUE(QualifyOlivia(document, completions, Day(95), assignments).Qualified());
  EXPECT_EQ(QualifyOlivia(document, completions, Day(92), assignments).reason, Reason::kOverdue);
}

TEST(Qualification, AnOverdueRetrainingOnAMajorRevisionIsNamedInTheRefusal_G_11) {
  const History document = ThreeVersions(Revision::kMajor);
  const std::vector<Assignment> assignments = {
      Assigned(2, Day(30), Day(40), "major revision: SOP-CT-004 version 2")};
  const Qualification q = QualifyOlivia(document, {Trained(1, Day(8))}, Day(41), assignments);
  EXPECT_EQ(q.reason, Reason::kEarlierVersion);
  EXPECT_EQ(q.overdue_since, Day(40));
  EXPECT_TRUE(Contains(q.message, "was due " + Day(40).ToRfc3339())) << q.message;
}

TEST(Qualification, AFailedAssessmentDoesNotQualify_G_11) {
  const History document = OneVersion();
  Completion failed = Trained(1, Day(12));
  failed.method = Method::kInstructorLed;
  failed.passed = false;
  failed.trainer = "tom";
  const Qualification q = QualifyOlivia(document, {failed}, Day(20));
  EXPECT_FALSE(q.Qualified());
  EXPECT_EQ(q.reason, Reason::kNeverTrained);
  EXPECT_EQ(q.trained_version, std::nullopt);
}

TEST(Qualification, TrainingOnAnotherDocumentOrLaterThanTheInstantDoesNotCount_G_11) {
  const History document = OneVersion();
  Completion other = Trained(1, Day(12));
  other.document = "SOP-CT-005";
  EXPECT_EQ(QualifyOlivia(document, {other}, Day(20)).reason, Reason::kNeverTrained);
  EXPECT_EQ(QualifyOlivia(document, {Trained(1, Day(21))}, Day(20)).reason, Reason::kNeverTrained);
}

TEST(Qualification, NothingIsQualifiedWithoutAnEffectiveVersion_G_11) {
  History document = OneVersion();
  const std::vector<Completion> completions = {Trained(1, Day(5))};
  // Before version 1's date.
  const Qualification early = QualifyOlivia(document, completions, Day(9));
  EXPECT_EQ(early.reason, Reason::kNotEffective);
  EXPECT_EQ(ReasonName(early.reason), "no_effective_version");
  EXPECT_EQ(early.effective_version, std::nullopt);
  EXPECT_TRUE(Contains(early.message, "SOP-CT-004")) << early.message;
  EXPECT_TRUE(QualifyOlivia(document, completions, Day(10)).Qualified());
  // After retirement.
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(50),
                                               Day(20), kOwner, kTerminal),
                             Day(20)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(21), kApprover, kTerminal), Day(21)));
  EXPECT_TRUE(QualifyOlivia(document, completions, Day(49)).Qualified());
  EXPECT_EQ(QualifyOlivia(document, completions, Day(50)).reason, Reason::kNotEffective);
}

// --- Retraining on a new version -----------------------------------------------------------------

TEST(Retraining, AMajorRevisionAssignsEveryoneDueOnItsEffectiveDate_G_11) {
  const History document = ThreeVersions(Revision::kMajor);
  const std::vector<std::string> users = {"olivia", "oscar", "victor"};
  const std::vector<ledger::NewEvent> events =
      RetrainingFor(document.State(), *document.State().Version(3), users, kApprover, kTerminal);
  ASSERT_EQ(events.size(), 3U);
  for (std::size_t i = 0; i < users.size(); ++i) {
    const ledger::NewEvent& event = events[i];
    EXPECT_TRUE(ledger::ValidateNewEvent(event));
    EXPECT_EQ(event.stream, TrainingStream(users[i]));
    EXPECT_EQ(event.event_type, "training.assigned");
    EXPECT_EQ(event.payload.Find("document")->AsString(), kId);
    EXPECT_EQ(event.payload.Find("version")->AsInteger(), 3);
    EXPECT_EQ(event.payload.Find("due")->AsString(), Day(80).ToRfc3339());
    ASSERT_TRUE(event.reason);
    EXPECT_TRUE(Contains(*event.reason, "major revision")) << *event.reason;
    EXPECT_TRUE(Contains(*event.reason, "SOP-CT-004 version 3")) << *event.reason;
  }
}

TEST(Retraining, AMinorRevisionAssignsNobody_G_11) {
  const History document = ThreeVersions(Revision::kMinor);
  const std::vector<std::string> users = {"olivia", "oscar"};
  EXPECT_TRUE(
      RetrainingFor(document.State(), *document.State().Version(3), users, kApprover, kTerminal)
          .empty());
}

TEST(Retraining, AnUnapprovedVersionAssignsNobody_G_11) {
  History document = OneVersion();
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(40)), Day(11), kOwner, kTerminal),
      Day(11)));
  const std::vector<std::string> users = {"olivia"};
  EXPECT_TRUE(
      RetrainingFor(document.State(), *document.State().Version(2), users, kApprover, kTerminal)
          .empty());
}

// --- Curricula -----------------------------------------------------------------------------------

const std::vector<std::string> kKnownDocuments{"SOP-CT-004", "SOP-CT-005", "WI-CT-010"};

CurriculumCommand OperatorCurriculum() {
  return {.id = "CUR-OPERATOR",
          .site = "LEI",
          .title = "Cleanroom operator",
          .roles = {Role::kOperator, Role::kVerifier},
          .documents = {"SOP-CT-004", "WI-CT-010"},
          .requalification_months = 12};
}

Result<ledger::NewEvent> Set(const CurriculumCommand& command, const Curriculum& state = {},
                             std::string_view reason = "") {
  return SetCurriculum(state, command, kSites, kKnownDocuments, reason, kCoordinator, kTerminal);
}

TEST(Curriculum, SettingACurriculumRecordsItsRolesDocumentsAndInterval_G_11) {
  const Result<ledger::NewEvent> event = Set(OperatorCurriculum());
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
  EXPECT_EQ(event->event_type, "training.curriculum_created");
  EXPECT_EQ(event->stream, CurriculumStream("CUR-OPERATOR"));
  EXPECT_EQ(event->payload.Find("site")->AsString(), "LEI");
  const Json* roles = event->payload.Find("roles");
  ASSERT_NE(roles, nullptr);
  ASSERT_EQ(roles->AsArray().size(), 2U);
  EXPECT_EQ(roles->AsArray()[0].AsString(), "operator");
  EXPECT_EQ(roles->AsArray()[1].AsString(), "verifier");
  EXPECT_EQ(event->payload.Find("documents")->AsArray().size(), 2U);
  EXPECT_EQ(event->payload.Find("requalification_months")->AsInteger(), 12);
}

TEST(Curriculum, RevisingACurriculumNeedsAReasonAndKeepsItsSite_A11_02) {
  Curriculum existing;
  existing.exists = true;
  existing.id = "CUR-OPERATOR";
  existing.site = "LEI";
  EXPECT_TRUE(
      Refused(Set(OperatorCurriculum(), existing, ""), ErrorCode::kInvalidArgument, "reason"));
  const Result<ledger::NewEvent> revised =
      Set(OperatorCurriculum(), existing, "Adds the new work instruction");
  ASSERT_TRUE(revised) << revised.error().ToString();
  EXPECT_EQ(revised->event_type, "training.curriculum_revised");
  EXPECT_EQ(revised->reason, "Adds the new work instruction");
  CurriculumCommand moved = OperatorCurriculum();
  moved.site = "AMS";
  EXPECT_TRUE(
      Refused(Set(moved, existing, "Moves to Amsterdam"), ErrorCode::kInvalidArgument, "site"));
}

TEST(Curriculum, RefusesWhatCannotBeTrainedFor_A11_01) {
  CurriculumCommand unknown = OperatorCurriculum();
  unknown.documents = {"SOP-CT-004", "SOP-XX-999"};
  EXPECT_TRUE(Refused(Set(unknown), ErrorCode::kInvalidArgument, "documents"));

  CurriculumCommand twice = OperatorCurriculum();
  twice.documents = {"SOP-CT-004", "WI-CT-010", "SOP-CT-004"};
  EXPECT_TRUE(Refused(Set(twice), ErrorCode::kInvalidArgument, "documents"));

  CurriculumCommand none = OperatorCurriculum();
  none.documents.clear();
  EXPECT_TRUE(Refused(Set(none), ErrorCode::kInvalidArgument, "documents"));

  CurriculumCommand administrator = OperatorCurriculum();
  administrator.roles = {Role::kOperator, Role::kSystemAdministrator};
  const Result<ledger::NewEvent> refused = Set(administrator);
  EXPECT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "roles"));
  EXPECT_TRUE(Contains(refused.error().Message(), "system_administrator"))
      << refused.error().Message();

  CurriculumCommand auditor = OperatorCurriculum();
  auditor.roles = {Role::kAuditor};
  EXPECT_TRUE(Refused(Set(auditor), ErrorCode::kInvalidArgument, "roles"));

  CurriculumCommand nobody = OperatorCurriculum();
  nobody.roles = {};
  EXPECT_TRUE(Refused(Set(nobody), ErrorCode::kInvalidArgument, "roles"));

  for (const int months : {0, -3, 121}) {
    CurriculumCommand bad_months = OperatorCurriculum();
    bad_months.requalification_months = months;
    EXPECT_TRUE(Refused(Set(bad_months), ErrorCode::kInvalidArgument, "requalification_months"))
        << months;
  }
  CurriculumCommand never = OperatorCurriculum();
  never.requalification_months = std::nullopt;
  EXPECT_TRUE(Set(never));

  CurriculumCommand site = OperatorCurriculum();
  site.site = "BER";
  EXPECT_TRUE(Refused(Set(site), ErrorCode::kInvalidArgument, "site"));

  CurriculumCommand id = OperatorCurriculum();
  id.id = "cur operator";
  EXPECT_TRUE(Refused(Set(id), ErrorCode::kInvalidArgument, "curriculum_id"));

  CurriculumCommand title = OperatorCurriculum();
  title.title = "";
  EXPECT_TRUE(Refused(Set(title), ErrorCode::kInvalidArgument, "title"));
}

Curriculum MakeCurriculum(std::string site, RoleSet roles, std::vector<std::string> documents,
                          std::optional<int> months) {
  Curriculum curriculum;
  curriculum.exists = true;
  curriculum.site = std::move(site);
  curriculum.roles = roles;
  curriculum.documents = std::move(documents);
  curriculum.requalification_months = months;
  return curriculum;
}

std::vector<Curriculum> Curricula() {
  return {
      MakeCurriculum("LEI", {Role::kOperator}, {"SOP-CT-004"}, 24),
      MakeCurriculum("LEI", {Role::kVerifier}, {"WI-CT-010", "SOP-CT-004"}, 12),
      MakeCurriculum("AMS", {Role::kOperator}, {"SOP-CT-004"}, 6),
      MakeCurriculum("LEI", {Role::kOperator}, {"SOP-CT-005"}, 3),
      MakeCurriculum("LEI", {Role::kQaReviewer}, {"SOP-CT-004"}, std::nullopt),
  };
}

TEST(Curriculum, ExpiryIsTheShortestIntervalAmongTheUsersCurriculaAtTheSite_G_11) {
  const std::vector<Curriculum> curricula = Curricula();
  const Timestamp completed = Day(12);
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kOperator}, kId, completed),
            completed.PlusCalendarMonths(24));
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kOperator, Role::kVerifier}, kId, completed),
            completed.PlusCalendarMonths(12));
  EXPECT_EQ(ExpiryOf(curricula, "AMS", {Role::kOperator, Role::kVerifier}, kId, completed),
            completed.PlusCalendarMonths(6));
  // A curriculum without an interval never expires; one that does not apply does not count.
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kQaReviewer}, kId, completed), std::nullopt);
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kQaReviewer, Role::kOperator}, kId, completed),
            completed.PlusCalendarMonths(24));
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kWarehouse}, kId, completed), std::nullopt);
  EXPECT_EQ(ExpiryOf(curricula, "LEI", {Role::kOperator}, "SOP-CT-005", completed),
            completed.PlusCalendarMonths(3));
}

TEST(Curriculum, RolesRequiringADocumentAreThoseOfItsCurriculaAtTheSite_G_11) {
  const std::vector<Curriculum> curricula = Curricula();
  EXPECT_EQ(RolesRequiring(curricula, "LEI", kId),
            (RoleSet{Role::kOperator, Role::kVerifier, Role::kQaReviewer}));
  EXPECT_EQ(RolesRequiring(curricula, "AMS", kId), RoleSet{Role::kOperator});
  EXPECT_EQ(RolesRequiring(curricula, "LEI", "WI-CT-010"), RoleSet{Role::kVerifier});
  EXPECT_TRUE(RolesRequiring(curricula, "AMS", "WI-CT-010").Empty());
}

// --- Assignments, sessions and completions -------------------------------------------------------

TEST(Training, AnAssignmentIsDueFromNowOnWithAReason_G_11) {
  const Result<ledger::NewEvent> assigned = Assign(
      "olivia", kId, 2, Day(20), "Annual refresher on thawing", Day(10), kCoordinator, kTerminal);
  ASSERT_TRUE(assigned) << assigned.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*assigned));
  EXPECT_EQ(assigned->stream, TrainingStream("olivia"));
  EXPECT_EQ(assigned->event_type, "training.assigned");
  EXPECT_EQ(assigned->payload.Find("due")->AsString(), Day(20).ToRfc3339());
  EXPECT_EQ(assigned->payload.Find("version")->AsInteger(), 2);
  EXPECT_EQ(assigned->reason, "Annual refresher on thawing");
  EXPECT_TRUE(Refused(
      Assign("olivia", kId, 2, Day(9), "Annual refresher", Day(10), kCoordinator, kTerminal),
      ErrorCode::kInvalidArgument, "due"));
  EXPECT_TRUE(Refused(Assign("olivia", kId, 2, Day(20), "", Day(10), kCoordinator, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
}

PendingSession Session(bool passed, std::optional<std::string> score = "18/20") {
  PendingSession session;
  session.exists = true;
  session.trainer = "tom";
  session.passed = passed;
  session.score = std::move(score);
  session.recorded_at = Day(12);
  return session;
}

TEST(Training, ATraineeCompletesSelfStudyByTheirOwnSignature_P11_09) {
  const History document = OneVersion();
  const Result<ledger::NewEvent> completed =
      Complete("olivia", document.State(), 1, {}, {}, 12, "olivia", Day(12), kOlivia, kTerminal);
  ASSERT_TRUE(completed) << completed.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*completed));
  EXPECT_EQ(completed->stream, TrainingStream("olivia"));
  EXPECT_EQ(completed->event_type, "training.completed");
  EXPECT_EQ(completed->payload.Find("document")->AsString(), kId);
  EXPECT_EQ(completed->payload.Find("version")->AsInteger(), 1);
  EXPECT_EQ(completed->payload.Find("method")->AsString(), "self_study");
  EXPECT_TRUE(completed->payload.Find("passed")->AsBool());
  EXPECT_TRUE(completed->payload.Find("trainer")->IsNull());
  EXPECT_TRUE(completed->payload.Find("assessment")->IsNull());
  // The expiry follows from the completion's recorded time: the interval travels with it.
  EXPECT_EQ(completed->payload.Find("requalification_months")->AsInteger(), 12);
  EXPECT_EQ(ExpiryAfter(Day(12), 12), Day(12).PlusCalendarMonths(12));
}

TEST(Training, TheTrainerOfASessionCompletesItWithTheAssessment_P11_09) {
  const History document = OneVersion();
  const Result<ledger::NewEvent> completed = Complete("olivia", document.State(), 1, Session(true),
                                                      {}, 3, "tom", Day(12), kTrainer, kTerminal);
  ASSERT_TRUE(completed) << completed.error().ToString();
  EXPECT_EQ(completed->stream, TrainingStream("olivia"));
  EXPECT_EQ(completed->actor, kTrainer);
  EXPECT_EQ(completed->payload.Find("method")->AsString(), "instructor_led");
  EXPECT_TRUE(completed->payload.Find("passed")->AsBool());
  EXPECT_EQ(completed->payload.Find("trainer")->AsString(), "tom");
  EXPECT_EQ(completed->payload.Find("assessment")->AsString(), "passed (18/20)");
  EXPECT_EQ(completed->payload.Find("requalification_months")->AsInteger(), 3);
}

TEST(Training, AFailedSessionIsRecordedAsNotPassedWithoutExpiry_P11_09) {
  const History document = OneVersion();
  const Result<ledger::NewEvent> completed =
      Complete("olivia", document.State(), 1, Session(false, "9/20"), {}, 3, "tom", Day(12),
               kTrainer, kTerminal);
  ASSERT_TRUE(completed) << completed.error().ToString();
  EXPECT_FALSE(completed->payload.Find("passed")->AsBool());
  EXPECT_EQ(completed->payload.Find("assessment")->AsString(), "failed (9/20)");
  EXPECT_TRUE(completed->payload.Find("requalification_months")->IsNull());
}

TEST(Training, NobodyElseSignsAnotherPersonsTraining_P11_07) {
  const History document = OneVersion();
  const Result<ledger::NewEvent> self_study = Complete(
      "olivia", document.State(), 1, {}, {}, std::nullopt, "mallory", Day(12), kOlivia, kTerminal);
  EXPECT_TRUE(Refused(self_study, ErrorCode::kPermissionDenied, "meaning"));
  const Result<ledger::NewEvent> session =
      Complete("olivia", document.State(), 1, Session(true), {}, std::nullopt, "mallory", Day(12),
               kOlivia, kTerminal);
  ASSERT_TRUE(Refused(session, ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_TRUE(Contains(session.error().Message(), "tom")) << session.error().Message();
}

TEST(Training, ATraineeDoesNotSignOffASessionTheTrainerRecordedAsFailed_P11_07) {
  // Tom recorded olivia's session as failed. Her own "performed" signature on that training record
  // must not turn it into a passed read-and-understood: only the trainer signs the session.
  const History document = OneVersion();
  const Result<ledger::NewEvent> completed =
      Complete("olivia", document.State(), 1, Session(false, "9/20"), {}, std::nullopt, "olivia",
               Day(12), kOlivia, kTerminal);
  if (completed) {
    ADD_FAILURE() << "olivia's own signature completed the session tom failed, as "
                  << completed->payload.Find("method")->AsString() << ", passed "
                  << completed->payload.Find("passed")->AsBool();
  } else {
    EXPECT_EQ(completed.error().Code(), ErrorCode::kPermissionDenied)
        << completed.error().ToString();
  }
}

TEST(Training, CompletionIsRefusedOnAnUnapprovedVersionOrTwice_P11_06) {
  History document = OneVersion();
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(40)), Day(11), kOwner, kTerminal),
      Day(11)));
  EXPECT_TRUE(Refused(Complete("olivia", document.State(), 2, {}, {}, std::nullopt, "olivia",
                               Day(12), kOlivia, kTerminal),
                      ErrorCode::kFailedPrecondition, "record_id"));
  EXPECT_TRUE(Refused(Complete("olivia", document.State(), 3, {}, {}, std::nullopt, "olivia",
                               Day(12), kOlivia, kTerminal),
                      ErrorCode::kFailedPrecondition, "record_id"));
  const std::vector<Completion> done = {Trained(1, Day(11), Day(50))};
  EXPECT_TRUE(Refused(Complete("olivia", document.State(), 1, {}, done, std::nullopt, "olivia",
                               Day(12), kOlivia, kTerminal),
                      ErrorCode::kFailedPrecondition, "record_id"));
  // Once that training has expired, requalification is a new completion.
  EXPECT_TRUE(Complete("olivia", document.State(), 1, {}, done, std::nullopt, "olivia", Day(50),
                       kOlivia, kTerminal));
}

TEST(Training, AnInstructorRecordsASessionOnAnApprovedVersionOnly_P11_09) {
  History document = OneVersion();
  const Result<ledger::NewEvent> recorded =
      RecordSession("olivia", document.State(), 1, true, "18/20", "Thawed two bags correctly",
                    kTrainer, kTerminal);
  ASSERT_TRUE(recorded) << recorded.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*recorded));
  EXPECT_EQ(recorded->event_type, "training.session_recorded");
  EXPECT_EQ(recorded->stream, TrainingStream("olivia"));
  EXPECT_EQ(recorded->payload.Find("assessment")->AsString(), "passed");
  EXPECT_EQ(recorded->payload.Find("score")->AsString(), "18/20");
  EXPECT_TRUE(Refused(RecordSession("tom", document.State(), 1, true, std::nullopt, std::nullopt,
                                    kTrainer, kTerminal),
                      ErrorCode::kInvalidArgument, "user"));
  EXPECT_TRUE(Refused(RecordSession("olivia", document.State(), 2, true, std::nullopt, std::nullopt,
                                    kTrainer, kTerminal),
                      ErrorCode::kNotFound, "version"));
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(40)), Day(11), kOwner, kTerminal),
      Day(11)));
  EXPECT_TRUE(Refused(RecordSession("olivia", document.State(), 2, true, std::nullopt, std::nullopt,
                                    kTrainer, kTerminal),
                      ErrorCode::kFailedPrecondition, "version"));
}

TEST(Training, ARefusalAtTheGateIsRecordedAsAnAlert_G_11) {
  const History document = ThreeVersions(Revision::kMajor);
  const Qualification q = QualifyOlivia(document, {}, Day(50));
  const ledger::NewEvent refusal = GateRefusal(q, "batch B-0017 step 5", kOlivia, kTerminal);
  EXPECT_TRUE(ledger::ValidateNewEvent(refusal));
  EXPECT_EQ(refusal.stream, TrainingStream("olivia"));
  EXPECT_EQ(refusal.event_type, "training.gate_refused");
  EXPECT_EQ(refusal.payload.Find("document")->AsString(), kId);
  EXPECT_EQ(refusal.payload.Find("effective_version")->AsInteger(), 2);
  EXPECT_EQ(refusal.payload.Find("reason")->AsString(), "never_trained");
  EXPECT_EQ(refusal.payload.Find("message")->AsString(), q.message);
  EXPECT_EQ(refusal.payload.Find("purpose")->AsString(), "batch B-0017 step 5");
  EXPECT_TRUE(refusal.payload.Find("alert")->AsBool());
}

// --- Reconstruction ------------------------------------------------------------------------------

// A user's training record folded from the decided events, as a projection would hold it.
struct Record {
  std::vector<Completion> completions;
  std::vector<Assignment> assignments;
};

Completion CompletionFrom(const ledger::NewEvent& event, std::uint64_t seq, Timestamp at) {
  Completion completion;
  completion.seq = seq;
  completion.document = event.payload.Find("document")->AsString();
  completion.version = static_cast<int>(event.payload.Find("version")->AsInteger().value_or(0));
  completion.completed_at = at;
  completion.method = event.payload.Find("method")->AsString() == "self_study"
                          ? Method::kSelfStudy
                          : Method::kInstructorLed;
  completion.passed = event.payload.Find("passed")->AsBool();
  if (const Json* trainer = event.payload.Find("trainer"); trainer->IsString()) {
    completion.trainer = trainer->AsString();
  }
  if (const Json* months = event.payload.Find("requalification_months"); !months->IsNull()) {
    completion.expires_at = ExpiryAfter(at, static_cast<int>(months->AsInteger().value_or(0)));
  }
  return completion;
}

// The answer to one question, compared in full.
bool SameAnswer(const Qualification& a, const Qualification& b) {
  return a.reason == b.reason && a.effective_version == b.effective_version &&
         a.baseline_version == b.baseline_version && a.trained_version == b.trained_version &&
         a.trained_at == b.trained_at && a.expired_at == b.expired_at &&
         a.overdue_since == b.overdue_since && a.message == b.message;
}

std::string Describe(const Qualification& q) {
  return std::string(ReasonName(q.reason)) + " effective " +
         std::to_string(q.effective_version.value_or(0)) + " trained " +
         std::to_string(q.trained_version.value_or(0)) + ": " + q.message;
}

const std::array<std::string, 3> kUsers = {"u1", "u2", "u3"};

// One random life of a document and three people's training on it.
class Simulation {
 public:
  explicit Simulation(std::uint32_t seed) : random_(seed) {
    EXPECT_TRUE(
        document_.Apply(documents::CreateDocument({}, {.id = std::string(kId), .site = "LEI"},
                                                  kSites, kOwner, kTerminal),
                        now_));
  }

  // Moves time on by up to four days and does one random thing at the new instant.
  void Step() {
    now_ = Timestamp::FromMicros(now_.Micros() + Between(1, 4 * kMicrosPerDay));
    const std::int64_t dice = Between(0, 99);
    if (dice < 25) {
      NewVersion();
    } else if (dice < 60) {
      CompleteTraining();
    } else if (dice < 85) {
      AssignTraining();
    } else if (dice == 85) {
      Retire();
    }
  }

  const DocumentState& Document() const { return document_.State(); }
  const Record& RecordOf(const std::string& user) { return records_[user]; }
  Timestamp Now() const { return now_; }
  std::int64_t Between(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
  }
  const std::string& AnyUser() { return kUsers[static_cast<std::size_t>(Between(0, 2))]; }

 private:
  void NewVersion() {
    const DocumentState& state = document_.State();
    const Revision revision =
        state.versions.empty() || Between(0, 1) == 0 ? Revision::kMajor : Revision::kMinor;
    const std::optional<Timestamp> effective =
        Between(0, 1) == 0
            ? std::nullopt
            : std::optional(Timestamp::FromMicros(now_.Micros() + Between(0, 20 * kMicrosPerDay)));
    const Result<ledger::NewEvent> drafted =
        DraftVersion(state, Draft(revision, effective), now_, kOwner, kTerminal);
    if (!drafted) return;  // Waiting for an effective date, or retired.
    ASSERT_TRUE(document_.Apply(drafted, now_));
    ASSERT_TRUE(
        document_.Apply(Sign(document_.State(), SignatureMeaning::kAuthored, now_, kOwner), now_));
    if (Between(0, 4) == 0) {
      // Returned to its author: the next version step updates this draft.
      ASSERT_TRUE(document_.Apply(Sign(document_.State(), SignatureMeaning::kRejected, now_,
                                       kApprover, "Step 4 is unclear"),
                                  now_));
      return;
    }
    ASSERT_TRUE(document_.Apply(
        Sign(document_.State(), SignatureMeaning::kReviewed, now_, kReviewer), now_));
    ASSERT_TRUE(document_.Apply(
        Sign(document_.State(), SignatureMeaning::kApproved, now_, kApprover), now_));
  }

  void CompleteTraining() {
    const DocumentState& state = document_.State();
    std::vector<int> approved;
    for (const documents::VersionState& version : state.versions) {
      if (version.stage == documents::Stage::kApproved) approved.push_back(version.number);
    }
    if (approved.empty()) return;
    const int version = approved[static_cast<std::size_t>(
        Between(0, static_cast<std::int64_t>(approved.size()) - 1))];
    const std::string& user = AnyUser();
    Record& record = records_[user];
    const std::optional<int> expires =
        Between(0, 2) == 0 ? std::nullopt : std::optional(static_cast<int>(Between(1, 2)));
    const bool instructor = Between(0, 2) == 0;
    PendingSession session;
    if (instructor) {
      session.exists = true;
      session.trainer = "tom";
      session.passed = Between(0, 4) != 0;
      session.recorded_at = now_;
    }
    const Result<ledger::NewEvent> completed =
        Complete(user, state, version, session, record.completions, expires,
                 instructor ? "tom" : user, now_, instructor ? kTrainer : kOlivia, kTerminal);
    if (!completed) return;  // Trained on that version already.
    ASSERT_TRUE(ledger::ValidateNewEvent(*completed));
    const Completion completion = CompletionFrom(*completed, ++seq_, now_);
    if (completion.passed) {
      for (Assignment& assignment : record.assignments) {
        if (assignment.version <= completion.version && !assignment.closed_at) {
          assignment.closed_at = now_;
        }
      }
    }
    record.completions.push_back(completion);
  }

  void AssignTraining() {
    const DocumentState& state = document_.State();
    const documents::VersionState* target = nullptr;
    for (const documents::VersionState& version : state.versions) {
      if (version.stage == documents::Stage::kApproved) target = &version;
    }
    if (target == nullptr) return;
    const std::string& user = AnyUser();
    const Timestamp due = Timestamp::FromMicros(now_.Micros() + Between(0, 15 * kMicrosPerDay));
    const Result<ledger::NewEvent> assigned =
        Assign(user, kId, target->number, due, "Refresher on the thawing procedure", now_,
               kCoordinator, kTerminal);
    ASSERT_TRUE(assigned) << assigned.error().ToString();
    Record& record = records_[user];
    // A newer assignment on the document supersedes the open one.
    for (Assignment& assignment : record.assignments) {
      if (!assignment.closed_at) assignment.closed_at = now_;
    }
    record.assignments.push_back(Assigned(target->number, now_, due, *assigned->reason));
  }

  void Retire() {
    const Result<ledger::NewEvent> proposed =
        ProposeRetirement(document_.State(), "Process discontinued",
                          Timestamp::FromMicros(now_.Micros() + Between(0, 30 * kMicrosPerDay)),
                          now_, kOwner, kTerminal);
    if (!proposed) return;
    ASSERT_TRUE(document_.Apply(proposed, now_));
    ASSERT_TRUE(
        document_.Apply(ApproveRetirement(document_.State(), now_, kApprover, kTerminal), now_));
  }

  std::mt19937 random_;
  Timestamp now_ = Day(0);
  History document_;
  std::map<std::string, Record> records_;
  std::uint64_t seq_ = 0;
};

TEST(Qualification, AnswerForAPastInstantNeverChangesAfterLaterEvents_P11_05) {
  // Verifies P11-05 and G-11: who was qualified at an instant follows from facts dated at or
  // before it, so an inspector asking later gets the answer the gate gave then.
  struct Asked {
    std::string user;
    Timestamp at;
    Qualification answer;
  };
  constexpr int kCases = 200;
  constexpr int kSteps = 30;
  std::map<Reason, int> reasons;
  for (std::uint32_t seed = 1; seed <= kCases; ++seed) {
    Simulation simulation(seed);
    std::vector<Asked> asked;
    for (int step = 0; step < kSteps; ++step) {
      simulation.Step();
      if (::testing::Test::HasFatalFailure()) return;
      for (const std::string& user : kUsers) {
        const Record& record = simulation.RecordOf(user);
        const Timestamp now = simulation.Now();
        for (const Timestamp at :
             {now, Timestamp::FromMicros(simulation.Between(Day(0).Micros(), now.Micros()))}) {
          asked.push_back(
              {user, at,
               Qualify(user, simulation.Document(), record.completions, record.assignments, at)});
          ++reasons[asked.back().answer.reason];
        }
      }
    }
    for (const Asked& question : asked) {
      const Record& record = simulation.RecordOf(question.user);
      const Qualification later = Qualify(question.user, simulation.Document(), record.completions,
                                          record.assignments, question.at);
      ASSERT_TRUE(SameAnswer(question.answer, later))
          << "seed " << seed << ", " << question.user << " at " << question.at.ToRfc3339()
          << "\n  then:  " << Describe(question.answer) << "\n  later: " << Describe(later);
    }
  }
  // The generator reaches every answer, or the property proves less than it says.
  for (const Reason reason : {Reason::kQualified, Reason::kNotEffective, Reason::kNeverTrained,
                              Reason::kEarlierVersion, Reason::kExpired, Reason::kOverdue}) {
    EXPECT_GT(reasons[reason], 0) << ReasonName(reason);
  }
}

}  // namespace
}  // namespace aliquot::training
