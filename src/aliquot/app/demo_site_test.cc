// The demo site, built once on a real SQLite store in a temporary folder with a FakeClock, as
// `aliquot demo` builds it: each test signs in as a demo user would and asserts what they see on
// the training and document screens (docs/demo.md).
#include "aliquot/app/demo_site.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/services.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::int64_t kDay = kMicrosPerDay;

// Everything the demo ran on, kept for the whole suite: the demo takes a few hundred events.
struct DemoWorld {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Projector> projector = MakeAllProjectors();
  SecretKey credentials_key = SecretKey::Generate();
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<Services> services;
  std::vector<std::string> said;
  std::string created = "not run";
};

// Made by the suite's set-up, deleted by its tear-down.
DemoWorld* world = nullptr;

class DemoSiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world = new DemoWorld();
    storage::SqliteStoreOptions options;
    options.path = (world->dir / "aliquot.db").string();
    options.mode = storage::OpenMode::kReadWriteCreate;
    auto store = storage::SqliteStore::Open(options, world->clock, *world->projector);
    if (!store) {
      world->created = Describe(store);
      return;
    }
    world->store = std::move(*store);
    auto services =
        Services::Create(*world->store, *world->store, world->clock, world->credentials_key,
                         {PasswordHashCost::Minimum(), kDefaultMaxUploadBytes});
    if (!services) {
      world->created = Describe(services);
      return;
    }
    world->services = std::move(*services);
    world->created =
        Describe(CreateDemoSite(*world->services, "cli:test-host",
                                [](std::string_view line) { world->said.emplace_back(line); }));
  }

  static void TearDownTestSuite() {
    delete world;
    world = nullptr;
  }

  void SetUp() override { ASSERT_EQ(world->created, "ok"); }

  Services& Areas() { return *world->services; }
  Timestamp Now() { return world->clock.Now(); }

  // `user` signs in with the demo password on `terminal_token` (the QA workstation by default).
  RequestContext SignIn(const std::string& user,
                        std::string_view terminal_token = kDemoQaTerminalToken) {
    auto signed_in = Areas().Sessions().SignIn(
        {std::string(terminal_token), user, std::string(kDemoPassword), std::nullopt});
    EXPECT_EQ(Describe(signed_in), "ok") << "signing in " << user;
    return signed_in ? signed_in->context : RequestContext{};
  }

  training::Qualification QualificationOf(const std::string& user, const std::string& document,
                                          Timestamp at) {
    auto answer = Areas().Training().Qualification(SignIn("tomas"), user, document, at);
    EXPECT_EQ(Describe(answer), "ok");
    return answer ? *answer : training::Qualification{};
  }

  // Every event of `type` in the ledger, oldest first, with its payload parsed.
  std::vector<std::pair<ledger::Event, Json>> Events(std::string_view type) {
    std::vector<std::pair<ledger::Event, Json>> found;
    EXPECT_EQ(Describe(world->store->ScanEvents(1, UINT64_MAX,
                                                [&](const ledger::Event& event) -> Status {
                                                  if (event.event_type != type) return {};
                                                  auto payload = ParseJson(event.payload);
                                                  if (!payload) return Unexpected(payload.error());
                                                  found.emplace_back(event, std::move(*payload));
                                                  return {};
                                                })),
              "ok");
    return found;
  }
};

std::string StringMember(const Json& json, std::string_view name) {
  const Json* value = json.Find(name);
  return value != nullptr && value->IsString() ? value->AsString() : std::string();
}

std::int64_t IntegerMember(const Json& json, std::string_view name) {
  const Json* member = json.Find(name);
  return member != nullptr && member->AsInteger() ? *member->AsInteger() : -1;
}

TEST_F(DemoSiteTest, SaysOneLinePerGroupOfStepsNotPerSignature) {
  EXPECT_LT(world->said.size(), 30U);
  EXPECT_THAT(world->said, ::testing::Contains(HasSubstr("oliver refused on SOP-CT-005")));
  EXPECT_THAT(world->said, ::testing::Contains("user priya (Priya Raman), operator"));
}

TEST_F(DemoSiteTest, TheGateRefusesOliverOnTransductionTrainedOnAnEarlierVersion_G_11) {
  const training::Qualification oliver = QualificationOf("oliver", "SOP-CT-005", Now());
  EXPECT_EQ(training::ReasonName(oliver.reason), "trained_on_earlier_version");
  EXPECT_EQ(oliver.effective_version, 2);
  EXPECT_EQ(oliver.trained_version, 1);
  EXPECT_THAT(oliver.message, HasSubstr("SOP-CT-005 version 1 only"));

  // At the suite 2 tablet, as he would be before the transduction step.
  auto gate = Areas().Training().Gate(SignIn("oliver", kDemoSuiteTabletToken), "SOP-CT-005",
                                      "Transduction step, batch B-0001");
  ASSERT_FALSE(gate);
  EXPECT_EQ(gate.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(gate.error().Field(), "document");

  // The demo's own refused attempt is on the record, at the tablet.
  const auto refusals = Events("training.gate_refused");
  ASSERT_EQ(refusals.size(), 2U);
  EXPECT_EQ(refusals[0].first.actor.id, "oliver");
  EXPECT_EQ(refusals[0].first.terminal, "LEI-SUITE2-TAB1");
  EXPECT_EQ(StringMember(refusals[0].second, "document"), "SOP-CT-005");
  EXPECT_EQ(StringMember(refusals[0].second, "purpose"),
            "Demo: transduction step, batch B-DEMO-001");
}

TEST_F(DemoSiteTest, PriyaRetrainedOnTheMajorRevisionIsQualified_G_11) {
  const training::Qualification priya = QualificationOf("priya", "SOP-CT-005", Now());
  EXPECT_TRUE(priya.Qualified()) << priya.message;
  EXPECT_EQ(priya.trained_version, 2);
  auto gate = Areas().Training().Gate(SignIn("priya", kDemoSuiteTabletToken), "SOP-CT-005",
                                      "Transduction step, batch B-0001");
  EXPECT_EQ(Describe(gate), "ok");
}

TEST_F(DemoSiteTest, GowningIsInstructorLedByVeraAndRequalifiedAnnually_G_11) {
  std::vector<std::string> taught;
  for (const auto& [event, payload] : Events("training.completed")) {
    if (StringMember(payload, "document") != "SOP-CT-001") continue;
    if (StringMember(payload, "method") != "instructor_led") continue;
    taught.push_back(event.stream.id);
    EXPECT_EQ(StringMember(payload, "trainer"), "vera");
    EXPECT_EQ(StringMember(payload, "assessment"), "passed (18/20)");
    // CUR-GOWNING: requalification after 12 months, from the completion's recorded time.
    EXPECT_EQ(IntegerMember(payload, "requalification_months"), 12);
  }
  EXPECT_THAT(taught, ElementsAre("oliver", "priya"));
  const training::Qualification oliver = QualificationOf("oliver", "SOP-CT-001", Now());
  ASSERT_TRUE(oliver.trained_at.has_value()) << oliver.message;
  EXPECT_EQ(
      QualificationOf("oliver", "SOP-CT-001", oliver.trained_at->PlusCalendarMonths(12)).reason,
      training::Reason::kExpired);
}

TEST_F(DemoSiteTest, HarvestVersion2IsApprovedButNotYetEffective_P11_10) {
  auto history = Areas().Documents().History(SignIn("oliver"), "SOP-CT-007");
  ASSERT_EQ(Describe(history), "ok");
  ASSERT_EQ(history->versions.size(), 2U);
  EXPECT_EQ(history->versions[0].status, documents::VersionStatus::kEffective);
  EXPECT_EQ(history->versions[1].status, documents::VersionStatus::kApproved);
  EXPECT_EQ(history->versions[1].version.effective_from,
            Timestamp::FromMicros(Now().Micros() + 14 * kDay));

  const Timestamp in_two_weeks = Timestamp::FromMicros(Now().Micros() + 14 * kDay);
  auto effective_then =
      Areas().Documents().EffectiveAt(SignIn("oliver"), "SOP-CT-007", in_two_weeks);
  ASSERT_EQ(Describe(effective_then), "ok");
  ASSERT_TRUE(effective_then->version);
  EXPECT_EQ(effective_then->version->number, 2);

  // oliver works to version 1 until then, with his training on version 2 due that day; vera
  // trained ahead and is qualified on both sides of the date.
  EXPECT_TRUE(QualificationOf("oliver", "SOP-CT-007", Now()).Qualified());
  EXPECT_EQ(training::ReasonName(QualificationOf("oliver", "SOP-CT-007", in_two_weeks).reason),
            "trained_on_earlier_version");
  EXPECT_TRUE(QualificationOf("vera", "SOP-CT-007", in_two_weeks).Qualified());
}

TEST_F(DemoSiteTest, AMinorRevisionOfCellCountingKeepsOliverQualified_G_11) {
  auto effective = Areas().Documents().EffectiveAt(SignIn("oliver"), "SOP-CT-004", Now());
  ASSERT_EQ(Describe(effective), "ok");
  ASSERT_TRUE(effective->version);
  EXPECT_EQ(effective->version->number, 2);
  EXPECT_EQ(effective->version->revision, documents::Revision::kMinor);
  const training::Qualification oliver = QualificationOf("oliver", "SOP-CT-004", Now());
  EXPECT_TRUE(oliver.Qualified()) << oliver.message;
  EXPECT_EQ(oliver.trained_version, 1);
}

TEST_F(DemoSiteTest, TheOverdueReportListsOnlyOliversTransductionRetraining_G_11) {
  auto overdue = Areas().Training().Overdue(SignIn("tomas"));
  ASSERT_EQ(Describe(overdue), "ok");
  std::vector<std::string> listed;
  for (const OverdueTraining& item : *overdue) {
    listed.push_back(item.user + " " + item.assignment.document + " version " +
                     std::to_string(item.assignment.version));
  }
  EXPECT_THAT(listed, ElementsAre("oliver SOP-CT-005 version 2"));
  EXPECT_THAT(overdue->front().assignment.reason,
              HasSubstr("major revision: SOP-CT-005 version 2"));
}

TEST_F(DemoSiteTest, TheMonthlyWorkInstructionIsDueForReviewWithin40Days_A11_05) {
  auto due = Areas().Documents().ReviewsDue(SignIn("dora"), 40);
  ASSERT_EQ(Describe(due), "ok");
  std::vector<std::string> listed;
  for (const ReviewDue& review : *due) listed.push_back(review.document_id);
  EXPECT_THAT(listed, ElementsAre("WI-CT-012"));
}

TEST_F(DemoSiteTest, TheMatrixHasARowPerUserWhoseRoleHasACurriculum_G_11) {
  auto matrix = Areas().Training().Matrix(SignIn("tomas"), "LEI", std::nullopt, std::nullopt);
  ASSERT_EQ(Describe(matrix), "ok");
  std::set<std::string> rows;
  for (const MatrixRow& row : matrix->users) rows.insert(row.user);
  // The GMP users whose roles a curriculum names; dora (document owner) and tomas (training
  // coordinator) have none in the demo, and sam and audrey do no GMP work.
  EXPECT_EQ(rows, (std::set<std::string>{"anna", "carlos", "erik", "oliver", "priya", "quinn",
                                         "vera", "wendy"}));
  EXPECT_EQ(matrix->documents.size(), 13U);

  // priya's deliberate gaps: a new starter, never trained on three documents, each assigned by
  // tomas with its due date; qualified on the rest.
  const auto priya = std::find_if(matrix->users.begin(), matrix->users.end(),
                                  [](const MatrixRow& row) { return row.user == "priya"; });
  ASSERT_NE(priya, matrix->users.end());
  std::vector<std::string> gaps;
  for (const MatrixCell& cell : priya->cells) {
    if (cell.qualification.Qualified()) continue;
    std::string gap =
        cell.document + " " + std::string(training::ReasonName(cell.qualification.reason));
    if (cell.open_assignment) {
      gap += " due in " +
             std::to_string((cell.open_assignment->due.Micros() - Now().Micros()) / kDay) + " days";
    }
    gaps.push_back(gap);
  }
  EXPECT_THAT(gaps, ElementsAre("SOP-CT-006 never_trained due in 7 days",
                                "SOP-CT-008 never_trained due in 10 days",
                                "WI-CT-012 never_trained due in 14 days"));
}

TEST_F(DemoSiteTest, TheCleaningRevisionWaitsInReviewAuthoredByDora_P11_10) {
  auto history = Areas().Documents().History(SignIn("quinn"), "SOP-CT-009");
  ASSERT_EQ(Describe(history), "ok");
  ASSERT_EQ(history->versions.size(), 2U);
  const VersionView& draft = history->versions[1];
  EXPECT_EQ(draft.status, documents::VersionStatus::kInReview);
  ASSERT_EQ(draft.signatures.signatures.size(), 1U);
  EXPECT_EQ(draft.signatures.signatures[0].signer_id, "dora");
  EXPECT_EQ(draft.signatures.signatures[0].meaning, identity::Meaning::kAuthored);
}

TEST_F(DemoSiteTest, EachVersionIsAMarkdownProcedureWithItsParameters_P11_10) {
  auto listed = Areas().Documents().Documents(SignIn("oliver"));
  ASSERT_EQ(Describe(listed), "ok");
  EXPECT_EQ(listed->size(), 14U);

  auto first = Areas().Documents().VersionFile(SignIn("oliver"), "SOP-CT-005", 1);
  auto second = Areas().Documents().VersionFile(SignIn("oliver"), "SOP-CT-005", 2);
  ASSERT_EQ(Describe(first), "ok");
  ASSERT_EQ(Describe(second), "ok");
  EXPECT_EQ(second->file_name, "SOP-CT-005_v2.md");
  EXPECT_EQ(second->info.media_type, "text/markdown");
  EXPECT_THAT(first->bytes, HasSubstr("MOI of 1-5"));
  EXPECT_THAT(second->bytes, HasSubstr("MOI of 2-4"));
  EXPECT_THAT(second->bytes, HasSubstr("18-30 h after activation"));
  EXPECT_THAT(second->bytes, HasSubstr("## 3 Responsibilities"));
}

TEST_F(DemoSiteTest, ASecondRunRefusesASiteWithUsers) {
  const Status again = CreateDemoSite(Areas(), "cli:test-host", [](std::string_view) {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().Message(), HasSubstr("user accounts already"));
}

TEST_F(DemoSiteTest, ItsLedgerRebuildsTheSameProjections) {
  Ed25519SigningKey::Seed seed{};
  const Ed25519SigningKey key = Ed25519SigningKey::FromSeed(seed);
  LedgerService ledger(*world->store, world->clock, key, *world->projector);
  EXPECT_EQ(Describe(ledger.Verify({})), "ok");
}

}  // namespace
}  // namespace aliquot::app
