#include "aliquot/domain/documents/document.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot::documents {
namespace {

constexpr std::string_view kId = "SOP-CT-004";
constexpr std::string_view kTerminal = "QA-WS1";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
// sha256 of "test" (hashlib).
constexpr std::string_view kSha256 =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

const std::vector<std::string> kSites{"AMS", "LEI"};
const ledger::Actor kOwner{"dora", "Dora Owner"};
const ledger::Actor kAuthor{"sam", "Sam Author"};
const ledger::Actor kReviewer{"rita", "Rita Reviewer"};
const ledger::Actor kApprover{"quinn", "Quinn QA"};

// `days` days (and `micros` microseconds) after day 0.
Timestamp Day(std::int64_t days, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + days * kMicrosPerDay + micros);
}

// A document's stream in a test: each decided event is sealed as the next one at its time and
// folded into the state, as the store and the projection would.
class History {
 public:
  // Decide, seal at `time`, apply. Fails when the decision was a refusal, the event is invalid or
  // it does not fit the state.
  ::testing::AssertionResult Apply(const Result<ledger::NewEvent>& decided, Timestamp time) {
    if (!decided) return ::testing::AssertionFailure() << "refused: " << decided.error().ToString();
    if (const Status valid = ledger::ValidateNewEvent(*decided); !valid) {
      return ::testing::AssertionFailure() << "invalid event: " << valid.error().ToString();
    }
    if (const Status applied = Seal(*decided, time); !applied) {
      return ::testing::AssertionFailure() << "does not apply: " << applied.error().ToString();
    }
    return ::testing::AssertionSuccess();
  }

  // Seals any event (one no decision would make, too) and folds it in.
  Status Seal(const ledger::NewEvent& event, Timestamp time) {
    const ledger::Event sealed = ledger::SealEvent(event, ++seq_, time, prev_hash_);
    prev_hash_ = sealed.hash;
    return ApplyDocumentEvent(state_, sealed);
  }

  const DocumentState& State() const { return state_; }

 private:
  DocumentState state_;
  std::uint64_t seq_ = 0;
  Hash256 prev_hash_ = ledger::kGenesisPrevHash;
};

CreateDocumentCommand CreateCommand() {
  return {.id = std::string(kId),
          .site = "LEI",
          .kind = DocumentKind::kSop,
          .review_interval_months = 24};
}

DraftCommand Draft(Revision revision = Revision::kMajor,
                   std::optional<Timestamp> requested_effective = std::nullopt) {
  return {.title = "Thawing of apheresis material",
          .file = {.sha256 = std::string(kSha256),
                   .file_name = "SOP-CT-004.pdf",
                   .media_type = "application/pdf",
                   .size = 48'213},
          .change_reason = "First issue of the thawing procedure",
          .revision = revision,
          .requested_effective = requested_effective};
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

Result<ledger::NewEvent> Sign(const History& document, SignatureMeaning meaning, Timestamp now,
                              const ledger::Actor& signer,
                              const std::optional<std::string>& comment = std::nullopt) {
  const VersionState* latest = document.State().Latest();
  return DecideVersionSignature(document.State(), latest == nullptr ? 1 : latest->number, meaning,
                                comment, now, kTerminal, signer);
}

// A document created on day 0 with no version.
History Created(int review_interval_months = 24) {
  History document;
  CreateDocumentCommand command = CreateCommand();
  command.review_interval_months = review_interval_months;
  EXPECT_TRUE(document.Apply(CreateDocument({}, command, kSites, kOwner, kTerminal), Day(0)));
  return document;
}

// Drafts the next version at `now` and takes it through submission and review to approval, all at
// `now`.
::testing::AssertionResult Release(History& document, Timestamp now,
                                   Revision revision = Revision::kMajor,
                                   std::optional<Timestamp> requested_effective = std::nullopt) {
  if (auto drafted =
          document.Apply(DraftVersion(document.State(), Draft(revision, requested_effective), now,
                                      kOwner, kTerminal),
                         now);
      !drafted) {
    return ::testing::AssertionFailure() << "draft: " << drafted.message();
  }
  for (const auto& [meaning, signer] : std::vector<std::pair<SignatureMeaning, ledger::Actor>>{
           {SignatureMeaning::kAuthored, kOwner},
           {SignatureMeaning::kReviewed, kReviewer},
           {SignatureMeaning::kApproved, kApprover}}) {
    if (auto applied = document.Apply(Sign(document, meaning, now, signer), now); !applied) {
      return ::testing::AssertionFailure() << signer.id << ": " << applied.message();
    }
  }
  return ::testing::AssertionSuccess();
}

// A document whose version 1 is effective from day 10 (approved on day 4).
History WithEffectiveVersion1() {
  History document = Created();
  EXPECT_TRUE(Release(document, Day(4), Revision::kMajor, Day(10)));
  return document;
}

// --- The lifecycle -------------------------------------------------------------------------------

TEST(Document, AVersionGoesFromDraftThroughReviewAndApprovalToEffective_P11_10) {
  History document = Created();
  EXPECT_TRUE(document.State().exists);
  EXPECT_EQ(document.State().id, kId);
  EXPECT_EQ(document.State().owner, "dora");
  EXPECT_EQ(document.State().site, "LEI");
  EXPECT_EQ(document.State().Latest(), nullptr);

  const Result<ledger::NewEvent> drafted =
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(10)), Day(1), kOwner, kTerminal);
  ASSERT_TRUE(drafted) << drafted.error().ToString();
  EXPECT_EQ(drafted->event_type, "documents.version_drafted");
  EXPECT_EQ(drafted->stream, DocumentStream(kId));
  EXPECT_EQ(drafted->actor, kOwner);
  ASSERT_TRUE(document.Apply(drafted, Day(1)));
  const VersionState& version = document.State().versions.at(0);
  EXPECT_EQ(version.number, 1);
  EXPECT_EQ(version.title, "Thawing of apheresis material");
  EXPECT_EQ(version.file.sha256, kSha256);
  EXPECT_EQ(version.file.size, 48'213U);
  EXPECT_EQ(version.change_reason, "First issue of the thawing procedure");
  EXPECT_EQ(version.drafted_by, "dora");
  EXPECT_EQ(version.drafted_at, Day(1));
  EXPECT_EQ(document.State().StatusAt(version, Day(1)), VersionStatus::kDraft);

  const Result<ledger::NewEvent> submitted =
      Sign(document, SignatureMeaning::kAuthored, Day(2), kOwner);
  ASSERT_TRUE(submitted) << submitted.error().ToString();
  EXPECT_EQ(submitted->event_type, "documents.version_submitted");
  ASSERT_TRUE(document.Apply(submitted, Day(2)));
  EXPECT_EQ(document.State().StatusAt(version, Day(2)), VersionStatus::kInReview);
  EXPECT_EQ(version.submitted_by, "dora");

  const Result<ledger::NewEvent> reviewed =
      Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer);
  ASSERT_TRUE(reviewed) << reviewed.error().ToString();
  EXPECT_EQ(reviewed->event_type, "documents.version_reviewed");
  ASSERT_TRUE(document.Apply(reviewed, Day(3)));
  EXPECT_EQ(version.reviewed_by, "rita");
  EXPECT_EQ(document.State().StatusAt(version, Day(3)), VersionStatus::kInReview);

  const Result<ledger::NewEvent> approved =
      Sign(document, SignatureMeaning::kApproved, Day(4), kApprover);
  ASSERT_TRUE(approved) << approved.error().ToString();
  EXPECT_EQ(approved->event_type, "documents.version_approved");
  EXPECT_EQ(approved->payload.Find("effective_from")->AsString(), Day(10).ToRfc3339());
  ASSERT_TRUE(document.Apply(approved, Day(4)));
  EXPECT_EQ(version.approved_by, "quinn");
  EXPECT_EQ(version.approved_at, Day(4));
  EXPECT_EQ(version.effective_from, Day(10));
  EXPECT_EQ(version.effective_until, std::nullopt);
  EXPECT_EQ(document.State().StatusAt(version, Day(5)), VersionStatus::kApproved);
  EXPECT_EQ(document.State().StatusAt(version, Day(10)), VersionStatus::kEffective);
  EXPECT_EQ(document.State().StatusAt(version, Day(1000)), VersionStatus::kEffective);
  EXPECT_EQ(VersionStatusName(document.State().StatusAt(version, Day(5))), "approved");
}

TEST(Document, ApprovedVersionBecomesEffectiveOnItsDate_P11_10) {
  const History document = WithEffectiveVersion1();
  const DocumentState& state = document.State();
  const VersionState* version1 = state.Version(1);
  ASSERT_NE(version1, nullptr);
  // Approved on day 4 for day 10: waiting until then, effective from the first microsecond.
  EXPECT_EQ(state.PendingAt(Day(3)), nullptr) << "not approved yet on day 3";
  EXPECT_EQ(state.PendingAt(Day(4)), version1);
  EXPECT_EQ(state.EffectiveAt(Day(4)), nullptr);
  EXPECT_EQ(state.PendingAt(Day(10, -1)), version1);
  EXPECT_EQ(state.EffectiveAt(Day(10, -1)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(10)), version1);
  EXPECT_EQ(state.PendingAt(Day(10)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(500)), version1);
}

TEST(Document, AVersionApprovedWithoutADateIsEffectiveAtApproval_P11_10) {
  History document = Created();
  ASSERT_TRUE(Release(document, Day(4)));
  const VersionState* version1 = document.State().Version(1);
  EXPECT_EQ(version1->effective_from, Day(4));
  EXPECT_EQ(document.State().EffectiveAt(Day(4, -1)), nullptr);
  EXPECT_EQ(document.State().EffectiveAt(Day(4)), version1);
}

TEST(Document, ANewVersionSupersedesTheOldOneOnlyFromItsEffectiveDate_P11_10) {
  History document = WithEffectiveVersion1();
  // Version 2 approved on day 23 to become effective on day 30.
  ASSERT_TRUE(Release(document, Day(23), Revision::kMajor, Day(30)));
  const DocumentState& state = document.State();
  const VersionState* version1 = state.Version(1);
  const VersionState* version2 = state.Version(2);
  ASSERT_NE(version2, nullptr);

  EXPECT_EQ(state.EffectiveAt(Day(25)), version1) << "before its date the old one still rules";
  EXPECT_EQ(state.PendingAt(Day(25)), version2);
  EXPECT_EQ(state.StatusAt(*version1, Day(25)), VersionStatus::kEffective);
  EXPECT_EQ(state.StatusAt(*version2, Day(25)), VersionStatus::kApproved);

  EXPECT_EQ(state.EffectiveAt(Day(30, -1)), version1);
  EXPECT_EQ(state.EffectiveAt(Day(30)), version2);
  EXPECT_EQ(state.PendingAt(Day(30)), nullptr);
  EXPECT_EQ(state.StatusAt(*version1, Day(30)), VersionStatus::kSuperseded);
  EXPECT_EQ(state.StatusAt(*version2, Day(30)), VersionStatus::kEffective);
  EXPECT_EQ(version1->effective_until, Day(30));
  EXPECT_EQ(VersionStatusName(state.StatusAt(*version1, Day(30))), "superseded");
}

TEST(Document, WhichVersionWasEffectiveAtAPastInstantNeverChangesAfterLaterEvents_P11_05) {
  History document = WithEffectiveVersion1();
  const std::vector<Timestamp> instants = {Day(0), Day(4), Day(9), Day(10), Day(15), Day(22)};
  std::map<std::int64_t, std::optional<int>> before;
  for (const Timestamp t : instants) {
    const VersionState* effective = document.State().EffectiveAt(t);
    before[t.Micros()] = effective == nullptr ? std::nullopt : std::optional(effective->number);
  }
  ASSERT_TRUE(Release(document, Day(23), Revision::kMajor, Day(30)));
  ASSERT_TRUE(Release(document, Day(31), Revision::kMinor));
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Replaced by SOP-CT-010", Day(40),
                                               Day(32), kOwner, kTerminal),
                             Day(32)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(33), kApprover, kTerminal), Day(33)));
  for (const Timestamp t : instants) {
    const VersionState* effective = document.State().EffectiveAt(t);
    EXPECT_EQ(effective == nullptr ? std::nullopt : std::optional(effective->number),
              before[t.Micros()])
        << t.ToRfc3339();
  }
  EXPECT_EQ(document.State().EffectiveAt(Day(30))->number, 2);
  EXPECT_EQ(document.State().EffectiveAt(Day(31))->number, 3);
  EXPECT_EQ(document.State().EffectiveAt(Day(40)), nullptr);
}

TEST(Document, ARejectedVersionReturnsToDraftWithTheReviewCleared_P11_06) {
  History document = Created();
  ASSERT_TRUE(
      document.Apply(DraftVersion(document.State(), Draft(), Day(1), kOwner, kTerminal), Day(1)));
  ASSERT_TRUE(document.Apply(Sign(document, SignatureMeaning::kAuthored, Day(2), kOwner), Day(2)));
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer), Day(3)));
  const Result<ledger::NewEvent> rejected = Sign(document, SignatureMeaning::kRejected, Day(4),
                                                 kApprover, "Step 4 omits the thaw temperature");
  ASSERT_TRUE(rejected) << rejected.error().ToString();
  EXPECT_EQ(rejected->event_type, "documents.version_returned");
  EXPECT_EQ(rejected->payload.Find("reason")->AsString(), "Step 4 omits the thaw temperature");
  ASSERT_TRUE(document.Apply(rejected, Day(4)));
  const VersionState& version = document.State().versions.at(0);
  EXPECT_EQ(document.State().StatusAt(version, Day(4)), VersionStatus::kDraft);
  EXPECT_EQ(version.submitted_by, std::nullopt);
  EXPECT_EQ(version.reviewed_by, std::nullopt);

  // The author updates the same version, which goes round again.
  const Result<ledger::NewEvent> updated =
      DraftVersion(document.State(), Draft(), Day(5), kOwner, kTerminal);
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ(updated->event_type, "documents.draft_updated");
  EXPECT_EQ(updated->payload.Find("version")->AsInteger(), 1);
  ASSERT_TRUE(document.Apply(updated, Day(5)));
  EXPECT_EQ(document.State().versions.size(), 1U);
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kApproved, Day(5), kApprover),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

// --- Transitions out of order --------------------------------------------------------------------

// A document with version 1 drafted on day 1 (asking for day 10), not submitted.
History WithDraft() {
  History document = Created();
  EXPECT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(10)), Day(1), kOwner, kTerminal),
      Day(1)));
  return document;
}

// The same, submitted on day 2.
History InReview() {
  History document = WithDraft();
  EXPECT_TRUE(document.Apply(Sign(document, SignatureMeaning::kAuthored, Day(2), kOwner), Day(2)));
  return document;
}

TEST(Document, RefusesToApproveADraft_P11_06) {
  const History document = WithDraft();
  const Result<ledger::NewEvent> approved =
      Sign(document, SignatureMeaning::kApproved, Day(2), kApprover);
  ASSERT_TRUE(Refused(approved, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(approved.error().Message().find("SOP-CT-004 version 1"), std::string::npos)
      << approved.error().Message();
}

TEST(Document, RefusesToReviewADraft_P11_06) {
  const History document = WithDraft();
  const Result<ledger::NewEvent> reviewed =
      Sign(document, SignatureMeaning::kReviewed, Day(2), kReviewer);
  ASSERT_TRUE(Refused(reviewed, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(reviewed.error().Message().find("draft"), std::string::npos)
      << reviewed.error().Message();
}

TEST(Document, RefusesToRejectADraft_P11_06) {
  const History document = WithDraft();
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kRejected, Day(2), kApprover, "Not ready"),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(Document, RefusesToSubmitAVersionAlreadyInReview_P11_06) {
  const History document = InReview();
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kAuthored, Day(3), kOwner),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(Document, RefusesToApproveAVersionNotYetReviewed_P11_06) {
  const History document = InReview();
  const Result<ledger::NewEvent> approved =
      Sign(document, SignatureMeaning::kApproved, Day(3), kApprover);
  ASSERT_TRUE(Refused(approved, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(approved.error().Message().find("not been reviewed"), std::string::npos)
      << approved.error().Message();
}

TEST(Document, RefusesASecondReviewOfTheSameVersion_P11_06) {
  History document = InReview();
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer), Day(3)));
  const Result<ledger::NewEvent> again =
      Sign(document, SignatureMeaning::kReviewed, Day(3), kApprover);
  ASSERT_TRUE(Refused(again, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(again.error().Message().find("rita"), std::string::npos) << again.error().Message();
}

TEST(Document, RefusesARejectionWithoutAComment_P11_06) {
  const History document = InReview();
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kRejected, Day(3), kApprover),
                      ErrorCode::kInvalidArgument, "comment"));
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kRejected, Day(3), kApprover, ""),
                      ErrorCode::kInvalidArgument, "comment"));
}

TEST(Document, RefusesApprovalOnceTheRequestedEffectiveDateHasPassed_P11_06) {
  History document = InReview();
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer), Day(3)));
  // Asked for day 10: approval on day 10 itself is in time, a microsecond later is not.
  EXPECT_TRUE(Sign(document, SignatureMeaning::kApproved, Day(10), kApprover));
  const Result<ledger::NewEvent> late =
      Sign(document, SignatureMeaning::kApproved, Day(10, 1), kApprover);
  ASSERT_TRUE(Refused(late, ErrorCode::kFailedPrecondition, "effective_from"));
  EXPECT_NE(late.error().Message().find(Day(10).ToRfc3339()), std::string::npos)
      << late.error().Message();
}

TEST(Document, RefusesSubmissionOnceTheRequestedEffectiveDateHasPassed_P11_06) {
  const History document = WithDraft();
  EXPECT_TRUE(Refused(Sign(document, SignatureMeaning::kAuthored, Day(11), kOwner),
                      ErrorCode::kFailedPrecondition, "effective_from"));
}

TEST(Document, RefusesANewDraftWhileAVersionIsInReview_P11_06) {
  const History document = InReview();
  const Result<ledger::NewEvent> drafted =
      DraftVersion(document.State(), Draft(), Day(3), kOwner, kTerminal);
  ASSERT_TRUE(Refused(drafted, ErrorCode::kFailedPrecondition, "document_id"));
  EXPECT_NE(drafted.error().Message().find("in review"), std::string::npos)
      << drafted.error().Message();
}

TEST(Document, RefusesANewDraftWhileAVersionWaitsForItsEffectiveDate_P11_06) {
  const History document = WithEffectiveVersion1();
  const Result<ledger::NewEvent> drafted =
      DraftVersion(document.State(), Draft(Revision::kMinor), Day(5), kOwner, kTerminal);
  ASSERT_TRUE(Refused(drafted, ErrorCode::kFailedPrecondition, "document_id"));
  EXPECT_NE(drafted.error().Message().find(Day(10).ToRfc3339()), std::string::npos)
      << drafted.error().Message();
  // From its effective date the next version may start.
  const Result<ledger::NewEvent> next =
      DraftVersion(document.State(), Draft(Revision::kMinor), Day(10), kOwner, kTerminal);
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->event_type, "documents.version_drafted");
  EXPECT_EQ(next->payload.Find("version")->AsInteger(), 2);
}

TEST(Document, RefusesANewDraftOnceRetirementIsProposedOrApproved_P11_06) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Replaced by SOP-CT-010", Day(40),
                                               Day(20), kOwner, kTerminal),
                             Day(20)));
  EXPECT_TRUE(Refused(DraftVersion(document.State(), Draft(), Day(21), kOwner, kTerminal),
                      ErrorCode::kFailedPrecondition, "document_id"));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(22), kApprover, kTerminal), Day(22)));
  EXPECT_TRUE(Refused(DraftVersion(document.State(), Draft(), Day(50), kOwner, kTerminal),
                      ErrorCode::kFailedPrecondition, "document_id"));
}

TEST(Document, ADraftStartedBeforeRetirementIsNeverApprovedAfterIt_P11_06) {
  History document = WithEffectiveVersion1();
  // Version 2 is drafted, then the document is retired from day 25 with the draft left over.
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMinor), Day(15), kOwner, kTerminal),
      Day(15)));
  const Result<ledger::NewEvent> proposed = ProposeRetirement(
      document.State(), "Replaced by SOP-CT-010", Day(25), Day(20), kOwner, kTerminal);
  if (proposed) {
    ASSERT_TRUE(document.Apply(proposed, Day(20)));
    ASSERT_TRUE(document.Apply(ApproveRetirement(document.State(), Day(21), kApprover, kTerminal),
                               Day(21)));
    // Going on with the left-over draft after the retirement must stop somewhere before the
    // retired document has an effective version again.
    bool refused = false;
    for (const auto& [meaning, signer] : std::vector<std::pair<SignatureMeaning, ledger::Actor>>{
             {SignatureMeaning::kAuthored, kOwner},
             {SignatureMeaning::kReviewed, kReviewer},
             {SignatureMeaning::kApproved, kApprover}}) {
      const Result<ledger::NewEvent> decided = Sign(document, meaning, Day(30), signer);
      if (!decided) {
        EXPECT_EQ(decided.error().Code(), ErrorCode::kFailedPrecondition);
        refused = true;
        break;
      }
      ASSERT_TRUE(document.Apply(decided, Day(30)));
    }
    EXPECT_TRUE(refused) << "version 2 of a document retired on day 25 was approved on day 30";
  }
  const VersionState* effective = document.State().EffectiveAt(Day(31));
  EXPECT_EQ(effective == nullptr ? 0 : effective->number, 0)
      << "a document retired on day 25 has a version effective on day 31";
}

TEST(Document, RefusesSignaturesOnAVersionThatDoesNotExist_P11_06) {
  const History document = WithDraft();
  EXPECT_TRUE(Refused(DecideVersionSignature(document.State(), 2, SignatureMeaning::kAuthored,
                                             std::nullopt, Day(2), kTerminal, kOwner),
                      ErrorCode::kNotFound, "record_id"));
  EXPECT_TRUE(Refused(DecideVersionSignature(document.State(), 0, SignatureMeaning::kAuthored,
                                             std::nullopt, Day(2), kTerminal, kOwner),
                      ErrorCode::kNotFound, "record_id"));
}

TEST(Document, RefusesADraftOfADocumentThatDoesNotExist_P11_06) {
  EXPECT_TRUE(Refused(DraftVersion({}, Draft(), Day(1), kOwner, kTerminal), ErrorCode::kNotFound,
                      "document_id"));
}

// --- Bad input -----------------------------------------------------------------------------------

TEST(Document, RefusesAMissingOrShortChangeReason_P11_10) {
  const History document = Created();
  for (const std::string_view reason : {"", "typo", " Fixed the thaw temperature", "\x01\x02x"}) {
    DraftCommand command = Draft();
    command.change_reason = std::string(reason);
    EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "change_reason"))
        << "'" << reason << "'";
  }
  DraftCommand command = Draft();
  command.change_reason = "Typos";
  EXPECT_TRUE(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal));
}

TEST(Document, RefusesAMissingOrShortTitle_A11_01) {
  const History document = Created();
  for (const std::string_view title : {"", "ab", "Thawing\nprocedure", " Thawing"}) {
    DraftCommand command = Draft();
    command.title = std::string(title);
    EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "title"))
        << "'" << title << "'";
  }
  DraftCommand command = Draft();
  command.title = std::string(201, 'x');
  EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "title"));
}

TEST(Document, RefusesAFileWhoseSha256IsNotLowerCaseHex_A11_01) {
  const History document = Created();
  const std::string good(kSha256);
  for (const std::string& sha256 :
       {std::string(), good.substr(1), good + "0", std::string("9F") + good.substr(2),
        std::string("g") + good.substr(1), std::string(" ") + good.substr(1)}) {
    DraftCommand command = Draft();
    command.file.sha256 = sha256;
    EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "file.sha256"))
        << "'" << sha256 << "'";
  }
}

TEST(Document, RefusesAFileNameThatIsAPath_A11_01) {
  const History document = Created();
  for (const std::string_view name : {"docs/SOP-CT-004.pdf", "..\\SOP-CT-004.pdf", "/etc/passwd"}) {
    DraftCommand command = Draft();
    command.file.file_name = std::string(name);
    EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "file.file_name"))
        << name;
  }
  DraftCommand command = Draft();
  command.file.file_name = "";
  EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "file.file_name"));
}

TEST(Document, RefusesAnEmptyFile_A11_01) {
  const History document = Created();
  DraftCommand command = Draft();
  command.file.size = 0;
  EXPECT_TRUE(Refused(DraftVersion(document.State(), command, Day(1), kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "file.size"));
}

TEST(Document, RefusesAnEffectiveDateInThePast_AL_01) {
  // AL-01: nothing is back-dated; a version rules from now on at the earliest.
  const History document = Created();
  const Result<ledger::NewEvent> drafted = DraftVersion(
      document.State(), Draft(Revision::kMajor, Day(1, -1)), Day(1), kOwner, kTerminal);
  ASSERT_TRUE(Refused(drafted, ErrorCode::kInvalidArgument, "effective_from"));
  EXPECT_TRUE(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(1)), Day(1), kOwner, kTerminal));
}

TEST(Document, RefusesAMinorFirstVersion_G_11) {
  const History document = Created();
  EXPECT_TRUE(
      Refused(DraftVersion(document.State(), Draft(Revision::kMinor), Day(1), kOwner, kTerminal),
              ErrorCode::kInvalidArgument, "revision"));
}

TEST(Document, RefusesMalformedDocumentIds_A11_01) {
  for (const std::string_view id :
       {"", "S", "sop-ct-004", "SOP_CT_004", "SOP CT 004", "SOP-CT-004/1", "SOP-ÄÖ",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"}) {
    CreateDocumentCommand command = CreateCommand();
    command.id = std::string(id);
    EXPECT_TRUE(Refused(CreateDocument({}, command, kSites, kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "document_id"))
        << id;
  }
  for (const std::string_view id : {"WI", "SOP-CT-004", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"}) {
    CreateDocumentCommand command = CreateCommand();
    command.id = std::string(id);
    EXPECT_TRUE(CreateDocument({}, command, kSites, kOwner, kTerminal)) << id;
  }
}

TEST(Document, RefusesAReviewIntervalOutside1To120Months_A11_05) {
  for (const int months : {0, -1, 121}) {
    CreateDocumentCommand command = CreateCommand();
    command.review_interval_months = months;
    EXPECT_TRUE(Refused(CreateDocument({}, command, kSites, kOwner, kTerminal),
                        ErrorCode::kInvalidArgument, "review_interval_months"))
        << months;
  }
  for (const int months : {1, 120}) {
    CreateDocumentCommand command = CreateCommand();
    command.review_interval_months = months;
    EXPECT_TRUE(CreateDocument({}, command, kSites, kOwner, kTerminal)) << months;
  }
}

TEST(Document, RefusesAnUnknownSite_A11_01) {
  CreateDocumentCommand command = CreateCommand();
  command.site = "BER";
  EXPECT_TRUE(Refused(CreateDocument({}, command, kSites, kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "site"));
}

TEST(Document, NeverReusesADocumentId_P11_10) {
  const History document = WithEffectiveVersion1();
  EXPECT_TRUE(Refused(CreateDocument(document.State(), CreateCommand(), kSites, kOwner, kTerminal),
                      ErrorCode::kAlreadyExists, "document_id"));
}

TEST(Document, CreationRecordsSiteKindIntervalAndOwner_P11_10) {
  CreateDocumentCommand command = CreateCommand();
  command.kind = DocumentKind::kWorkInstruction;
  command.review_interval_months = 36;
  History document;
  const Result<ledger::NewEvent> created = CreateDocument({}, command, kSites, kOwner, kTerminal);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->event_type, "documents.document_created");
  EXPECT_EQ(created->stream, DocumentStream(kId));
  ASSERT_TRUE(document.Apply(created, Day(0)));
  EXPECT_EQ(document.State().kind, DocumentKind::kWorkInstruction);
  EXPECT_EQ(document.State().review_interval_months, 36);
  EXPECT_EQ(document.State().created_at, Day(0));
  EXPECT_EQ(document.State().owner, "dora");
}

TEST(Document, KindAndRevisionNamesRoundTrip) {
  for (const DocumentKind kind : {DocumentKind::kSop, DocumentKind::kWorkInstruction,
                                  DocumentKind::kForm, DocumentKind::kSpecification}) {
    EXPECT_EQ(DocumentKindFromName(DocumentKindName(kind)), kind);
  }
  EXPECT_EQ(DocumentKindName(DocumentKind::kWorkInstruction), "work_instruction");
  EXPECT_EQ(DocumentKindFromName("memo"), std::nullopt);
  EXPECT_EQ(RevisionFromName(RevisionName(Revision::kMajor)), Revision::kMajor);
  EXPECT_EQ(RevisionFromName(RevisionName(Revision::kMinor)), Revision::kMinor);
  EXPECT_EQ(RevisionFromName("patch"), std::nullopt);
}

// --- Retirement ----------------------------------------------------------------------------------

TEST(Document, ARetiredDocumentIsObsoleteFromItsRetirementDate_P11_10) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(Release(document, Day(23), Revision::kMajor, Day(30)));
  const Result<ledger::NewEvent> proposed = ProposeRetirement(
      document.State(), "Replaced by SOP-CT-010", Day(40), Day(32), kOwner, kTerminal);
  ASSERT_TRUE(proposed) << proposed.error().ToString();
  EXPECT_EQ(proposed->event_type, "documents.retirement_proposed");
  EXPECT_EQ(proposed->reason, "Replaced by SOP-CT-010");
  ASSERT_TRUE(document.Apply(proposed, Day(32)));
  EXPECT_EQ(document.State().retirement_effective, Day(40));
  EXPECT_EQ(document.State().retirement_proposed_by, "dora");
  EXPECT_EQ(document.State().EffectiveAt(Day(45))->number, 2) << "proposed, not yet approved";

  const Result<ledger::NewEvent> retired =
      ApproveRetirement(document.State(), Day(33), kApprover, kTerminal);
  ASSERT_TRUE(retired) << retired.error().ToString();
  EXPECT_EQ(retired->event_type, "documents.document_retired");
  ASSERT_TRUE(document.Apply(retired, Day(33)));
  const DocumentState& state = document.State();
  EXPECT_EQ(state.retired_from, Day(40));
  const VersionState* version1 = state.Version(1);
  const VersionState* version2 = state.Version(2);
  EXPECT_EQ(state.EffectiveAt(Day(40, -1)), version2);
  EXPECT_EQ(state.StatusAt(*version2, Day(40, -1)), VersionStatus::kEffective);
  EXPECT_EQ(state.EffectiveAt(Day(40)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(4000)), nullptr);
  EXPECT_EQ(state.PendingAt(Day(40)), nullptr);
  EXPECT_EQ(state.StatusAt(*version2, Day(40)), VersionStatus::kObsolete);
  EXPECT_EQ(VersionStatusName(state.StatusAt(*version2, Day(40))), "obsolete");
  // Version 1 was superseded before the retirement and stays so.
  EXPECT_EQ(state.StatusAt(*version1, Day(40)), VersionStatus::kSuperseded);
  EXPECT_EQ(state.EffectiveAt(Day(20)), version1);
}

TEST(Document, ARetirementApprovedAfterItsProposedDateStartsAtApproval_P11_10) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(20),
                                               Day(15), kOwner, kTerminal),
                             Day(15)));
  // Approved on day 25: the document was effective until then, never obsolete retroactively.
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(25), kApprover, kTerminal), Day(25)));
  EXPECT_EQ(document.State().retired_from, Day(25));
  EXPECT_EQ(document.State().EffectiveAt(Day(24))->number, 1);
  EXPECT_EQ(document.State().EffectiveAt(Day(25)), nullptr);
}

TEST(Document, AVersionWaitingAtRetirementNeverBecomesEffective_P11_10) {
  History document = WithEffectiveVersion1();
  // Version 2 waits for day 30; the document is retired from day 28.
  ASSERT_TRUE(Release(document, Day(23), Revision::kMajor, Day(30)));
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(28),
                                               Day(24), kOwner, kTerminal),
                             Day(24)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(24), kApprover, kTerminal), Day(24)));
  const DocumentState& state = document.State();
  EXPECT_EQ(state.EffectiveAt(Day(27))->number, 1);
  EXPECT_EQ(state.EffectiveAt(Day(28)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(30)), nullptr);
  EXPECT_EQ(state.PendingAt(Day(29)), nullptr);
  EXPECT_EQ(state.StatusAt(*state.Version(1), Day(28)), VersionStatus::kObsolete);
  // Version 2 was never effective and nothing superseded it: the retirement made it obsolete.
  EXPECT_EQ(VersionStatusName(state.StatusAt(*state.Version(2), Day(30))),
            std::string_view("obsolete"));
}

TEST(Document, RefusesRetirementOutOfOrder_P11_06) {
  // Nothing effective or waiting: a draft is not retired.
  const History draft = WithDraft();
  EXPECT_TRUE(
      Refused(ProposeRetirement(draft.State(), "Not needed", Day(5), Day(2), kOwner, kTerminal),
              ErrorCode::kFailedPrecondition, "document_id"));
  // Nothing proposed: nothing to approve.
  History document = WithEffectiveVersion1();
  EXPECT_TRUE(Refused(ApproveRetirement(document.State(), Day(12), kApprover, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
  // A retirement date in the past.
  EXPECT_TRUE(Refused(ProposeRetirement(document.State(), "Process discontinued", Day(11), Day(12),
                                        kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "effective_from"));
  // A retirement without a reason.
  EXPECT_TRUE(Refused(ProposeRetirement(document.State(), "", Day(20), Day(12), kOwner, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  // Retired already.
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(20),
                                               Day(12), kOwner, kTerminal),
                             Day(12)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(13), kApprover, kTerminal), Day(13)));
  EXPECT_TRUE(Refused(ApproveRetirement(document.State(), Day(14), kApprover, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Refused(ProposeRetirement(document.State(), "Process discontinued", Day(30), Day(14),
                                        kOwner, kTerminal),
                      ErrorCode::kFailedPrecondition, "document_id"));
}

TEST(Document, RefusesRetirementWhileAVersionIsInReview_P11_06) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMinor), Day(12), kOwner, kTerminal),
      Day(12)));
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kAuthored, Day(12), kOwner), Day(12)));
  EXPECT_TRUE(Refused(ProposeRetirement(document.State(), "Process discontinued", Day(20), Day(13),
                                        kOwner, kTerminal),
                      ErrorCode::kFailedPrecondition, "document_id"));
}

// --- Periodic review (A11-05) --------------------------------------------------------------------

TEST(Document, PeriodicReviewFallsDueTheIntervalAfterTheEffectiveDate_A11_05) {
  const History document = WithEffectiveVersion1();  // 24 months, effective from day 10.
  EXPECT_EQ(document.State().ReviewDueAt(Day(5)), std::nullopt) << "nothing effective yet";
  EXPECT_EQ(document.State().ReviewDueAt(Day(10)), Day(10).PlusCalendarMonths(24));
  EXPECT_EQ(Day(10).PlusCalendarMonths(24).ToRfc3339(), "2028-03-12T09:00:00.000000Z");
  EXPECT_EQ(document.State().ReviewDueAt(Day(900)), Day(10).PlusCalendarMonths(24));
}

TEST(Document, APeriodicReviewRestartsTheInterval_A11_05) {
  History document = WithEffectiveVersion1();
  const Result<ledger::NewEvent> reviewed =
      RecordPeriodicReview(document.State(), Day(300), kReviewer, kTerminal);
  ASSERT_TRUE(reviewed) << reviewed.error().ToString();
  EXPECT_EQ(reviewed->event_type, "documents.periodic_review_recorded");
  EXPECT_EQ(reviewed->stream, DocumentStream(kId));
  EXPECT_EQ(reviewed->payload.Find("version")->AsInteger(), 1);
  ASSERT_TRUE(document.Apply(reviewed, Day(300)));
  const DocumentState& state = document.State();
  EXPECT_EQ(state.last_periodic_review, Day(300));
  EXPECT_EQ(state.ReviewDueAt(Day(300)), Day(300).PlusCalendarMonths(24));
  // Asked about an instant before the review, the answer is the one given then.
  EXPECT_EQ(state.ReviewDueAt(Day(299)), Day(10).PlusCalendarMonths(24));
  // The version itself stays as it was.
  EXPECT_EQ(state.StatusAt(*state.Version(1), Day(300)), VersionStatus::kEffective);
  EXPECT_EQ(state.Version(1)->reviewed_by, "rita");
}

TEST(Document, ANewEffectiveVersionRestartsTheInterval_A11_05) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(document.Apply(RecordPeriodicReview(document.State(), Day(100), kReviewer, kTerminal),
                             Day(100)));
  ASSERT_TRUE(Release(document, Day(190), Revision::kMinor, Day(200)));
  EXPECT_EQ(document.State().ReviewDueAt(Day(199)), Day(100).PlusCalendarMonths(24));
  EXPECT_EQ(document.State().ReviewDueAt(Day(200)), Day(200).PlusCalendarMonths(24));
}

TEST(Document, RefusesAPeriodicReviewWithoutAnEffectiveVersion_A11_05) {
  History document = WithEffectiveVersion1();
  // Approved, waiting for day 10.
  EXPECT_TRUE(Refused(RecordPeriodicReview(document.State(), Day(5), kReviewer, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(RecordPeriodicReview(document.State(), Day(10), kReviewer, kTerminal));
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(20),
                                               Day(12), kOwner, kTerminal),
                             Day(12)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(13), kApprover, kTerminal), Day(13)));
  EXPECT_TRUE(Refused(RecordPeriodicReview(document.State(), Day(20), kReviewer, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(Document, RefusesAReviewSignatureOnAVersionNotInReview_P11_06) {
  History document = WithEffectiveVersion1();
  // Waiting for its date, effective, superseded: none is in review.
  const Result<ledger::NewEvent> waiting = DecideVersionSignature(
      document.State(), 1, SignatureMeaning::kReviewed, std::nullopt, Day(5), kTerminal, kReviewer);
  EXPECT_TRUE(Refused(waiting, ErrorCode::kFailedPrecondition, "meaning"));
  const Result<ledger::NewEvent> effective =
      DecideVersionSignature(document.State(), 1, SignatureMeaning::kReviewed, std::nullopt,
                             Day(15), kTerminal, kReviewer);
  ASSERT_TRUE(Refused(effective, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(effective.error().Message().find("effective"), std::string::npos)
      << effective.error().Message();
  ASSERT_TRUE(Release(document, Day(20), Revision::kMajor));
  const Result<ledger::NewEvent> superseded =
      DecideVersionSignature(document.State(), 1, SignatureMeaning::kReviewed, std::nullopt,
                             Day(21), kTerminal, kReviewer);
  ASSERT_TRUE(Refused(superseded, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_NE(superseded.error().Message().find("superseded"), std::string::npos)
      << superseded.error().Message();
}

TEST(Document, NoReviewIsDueOnceRetired_A11_05) {
  History document = WithEffectiveVersion1();
  ASSERT_TRUE(document.Apply(ProposeRetirement(document.State(), "Process discontinued", Day(20),
                                               Day(12), kOwner, kTerminal),
                             Day(12)));
  ASSERT_TRUE(
      document.Apply(ApproveRetirement(document.State(), Day(13), kApprover, kTerminal), Day(13)));
  EXPECT_EQ(document.State().ReviewDueAt(Day(19)), Day(10).PlusCalendarMonths(24));
  EXPECT_EQ(document.State().ReviewDueAt(Day(20)), std::nullopt);
}

// --- Training baseline and authors ---------------------------------------------------------------

TEST(Document, TrainingBaselineIsTheLatestMajorRevisionAtOrBeforeAVersion_G_11) {
  History document = Created();
  // 1 major, 2 minor, 3 major, 4 minor, 5 minor.
  const std::vector<Revision> revisions = {Revision::kMajor, Revision::kMinor, Revision::kMajor,
                                           Revision::kMinor, Revision::kMinor};
  std::int64_t day = 1;
  for (const Revision revision : revisions) {
    ASSERT_TRUE(Release(document, Day(day), revision));
    day += 10;
  }
  const DocumentState& state = document.State();
  const std::vector<int> expected = {1, 1, 3, 3, 3};
  for (int number = 1; number <= 5; ++number) {
    EXPECT_EQ(state.TrainingBaseline(*state.Version(number)),
              expected[static_cast<std::size_t>(number - 1)])
        << "version " << number;
  }
}

TEST(Document, VersionAuthorsAreTheDrafterSubmitterAndReviewer_A11_01) {
  History document = Created();
  ASSERT_TRUE(
      document.Apply(DraftVersion(document.State(), Draft(), Day(1), kOwner, kTerminal), Day(1)));
  EXPECT_EQ(VersionAuthors(*document.State().Version(1)), std::vector<std::string>{"dora"});
  ASSERT_TRUE(document.Apply(Sign(document, SignatureMeaning::kAuthored, Day(2), kAuthor), Day(2)));
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer), Day(3)));
  EXPECT_EQ(VersionAuthors(*document.State().Version(1)),
            (std::vector<std::string>{"dora", "sam", "rita"}));
}

TEST(Document, VersionAuthorsNameEachPersonOnce_A11_01) {
  History document = InReview();  // Drafted and submitted by dora.
  ASSERT_TRUE(
      document.Apply(Sign(document, SignatureMeaning::kReviewed, Day(3), kReviewer), Day(3)));
  EXPECT_EQ(VersionAuthors(*document.State().Version(1)),
            (std::vector<std::string>{"dora", "rita"}));
}

TEST(Document, VersionAuthorsKeepEveryoneWhoDraftedTheVersion_A11_01) {
  // Dora drafts version 1; Sam updates her draft and submits it. Dora wrote part of what is
  // approved, so she may not approve it.
  History document = WithDraft();
  ASSERT_TRUE(document.Apply(
      DraftVersion(document.State(), Draft(Revision::kMajor, Day(10)), Day(2), kAuthor, kTerminal),
      Day(2)));
  ASSERT_TRUE(document.Apply(Sign(document, SignatureMeaning::kAuthored, Day(3), kAuthor), Day(3)));
  const std::vector<std::string> authors = VersionAuthors(*document.State().Version(1));
  std::string listed;
  for (const std::string& author : authors) listed += " " + author;
  EXPECT_TRUE(std::find(authors.begin(), authors.end(), "dora") != authors.end())
      << "the first drafter is missing from the authors:" << listed;
  EXPECT_TRUE(std::find(authors.begin(), authors.end(), "sam") != authors.end()) << listed;
}

// --- Folding events ------------------------------------------------------------------------------

ledger::NewEvent RawEvent(std::string_view type, int version) {
  ledger::NewEvent event;
  event.stream = DocumentStream(kId);
  event.event_type = std::string(type);
  event.actor = kOwner;
  event.terminal = std::string(kTerminal);
  event.payload.Set("version", version);
  return event;
}

TEST(Document, AnEventThatDoesNotFitTheStateIsDataLoss_P11_01) {
  History document = Created();
  // Submitted before any version was drafted.
  const Status submitted = document.Seal(RawEvent("documents.version_submitted", 1), Day(1));
  ASSERT_FALSE(submitted);
  EXPECT_EQ(submitted.error().Code(), ErrorCode::kDataLoss);
  // A draft numbered out of order.
  const Status skipped = document.Seal(RawEvent("documents.version_drafted", 2), Day(1));
  ASSERT_FALSE(skipped);
  EXPECT_EQ(skipped.error().Code(), ErrorCode::kDataLoss);
  // An event type the area never writes.
  const Status unknown = document.Seal(RawEvent("documents.version_shredded", 1), Day(1));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().Code(), ErrorCode::kDataLoss);
  // A second creation.
  const Result<ledger::NewEvent> created =
      CreateDocument({}, CreateCommand(), kSites, kOwner, kTerminal);
  ASSERT_TRUE(created);
  const Status again = document.Seal(*created, Day(1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kDataLoss);
}

TEST(Document, AnEventBeforeTheDocumentWasCreatedIsDataLoss_P11_01) {
  History document;
  const Status drafted = document.Seal(RawEvent("documents.version_submitted", 1), Day(1));
  ASSERT_FALSE(drafted);
  EXPECT_EQ(drafted.error().Code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(document.State().exists);
}

}  // namespace
}  // namespace aliquot::documents
