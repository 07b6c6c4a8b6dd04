// The demo site, built once on a real SQLite store in a temporary folder, as `aliquot demo` builds
// it: its 75 days of history on a DemoClock over a FakeClock that stands at the demo's end, then
// released. Each test signs in as a demo user would and asserts what they see on the training,
// document, materials, equipment, environmental monitoring and batch screens (docs/demo.md).
#include "aliquot/app/demo_site.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/batch_service.h"
#include "aliquot/app/environment_service.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/quality_service.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/services.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/environment/monitoring.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/materials/genealogy.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/materials/supplier.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/diff.h"
#include "aliquot/domain/recipes/master_batch_record.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using identity::Meaning;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::int64_t kDay = kMicrosPerDay;

// When the demo ends here: a Thursday (the monitoring history's routine depends on the weekday),
// with the demo's 75 days of history in one year, so that every id reads "-2026-".
constexpr std::int64_t kDemoEnds = 1776326400LL * kMicrosPerSecond;  // 2026-04-16T08:00:00Z

// Everything the demo ran on, kept for the whole suite: the demo takes a few thousand events.
struct DemoWorld {
  TempDir dir;
  FakeClock clock{Timestamp::FromMicros(kDemoEnds)};
  // The demo's history runs on its own clock, released (the fake clock's now again) once it ends.
  DemoClock demo{clock, DemoStart(clock.Now())};
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
    auto store = storage::SqliteStore::Open(options, world->demo, *world->projector);
    if (!store) {
      world->created = Describe(store);
      return;
    }
    world->store = std::move(*store);
    auto services =
        Services::Create(*world->store, *world->store, world->demo, world->credentials_key,
                         {PasswordHashCost::Minimum(), kDefaultMaxUploadBytes});
    if (!services) {
      world->created = Describe(services);
      return;
    }
    world->services = std::move(*services);
    world->created =
        Describe(CreateDemoSite(*world->services, world->demo, "cli:test-host",
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

  // `context`'s user signs `record` with `meaning`, on the content shown to them now, with the
  // demo password.
  Result<identity::ElectronicSignature> SignAsShown(const RequestContext& context,
                                                    const identity::RecordRef& record,
                                                    Meaning meaning,
                                                    std::optional<std::string> comment = {}) {
    auto shown = Areas().Signatures().Signatures(context, record);
    EXPECT_EQ(Describe(shown), "ok") << record.type << " " << record.id;
    if (!shown) return Unexpected(shown.error());
    SignRequest request;
    request.meaning = meaning;
    request.content_hash = shown->content_hash;
    request.password = std::string(kDemoPassword);
    request.comment = std::move(comment);
    return Areas().Signatures().Sign(context, record, request);
  }

  // A lot as wendy sees it on the lots screen.
  LotView LotOf(const std::string& id) {
    auto lot = Areas().Materials().Lot(SignIn("wendy"), id);
    EXPECT_EQ(Describe(lot), "ok") << id;
    return lot ? *lot : LotView{};
  }

  // A piece of equipment as `context`'s user sees it on the equipment screen, now.
  EquipmentView EquipmentOf(const RequestContext& context, const std::string& id) {
    auto view = Areas().Equipment().Get(context, id, std::nullopt);
    EXPECT_EQ(Describe(view), "ok") << id;
    return view ? *view : EquipmentView{};
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

// `items` in order, to compare a set whose order the screen does not promise.
std::vector<std::string> Sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

std::int64_t IntegerMember(const Json& json, std::string_view name) {
  const Json* member = json.Find(name);
  return member != nullptr && member->AsInteger() ? *member->AsInteger() : -1;
}

TEST_F(DemoSiteTest, SaysOneLinePerGroupOfStepsNotPerSignature) {
  EXPECT_LT(world->said.size(), 50U);
  EXPECT_THAT(world->said, ::testing::Contains(HasSubstr("oliver refused on SOP-CT-005")));
  EXPECT_THAT(world->said,
              ::testing::Contains(HasSubstr("RM-2026-0004 (IL-2) out of specification")));
  EXPECT_THAT(world->said, ::testing::Contains("292 electronic signatures in all"));
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
  // Before the transduction of the batch in progress, days after SOP-CT-005 version 2 took effect.
  EXPECT_EQ(StringMember(refusals[0].second, "purpose"), "Transduction step, batch B-2026-0007");
  EXPECT_LT(refusals[0].first.time, Timestamp::FromMicros(Now().Micros() - 2 * kDay));
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
  // The GMP users whose roles a curriculum names (bram, the second QA approver, on CUR-QA); dora
  // (document owner) and tomas (training coordinator) have none in the demo, and sam and audrey do
  // no GMP work.
  EXPECT_EQ(rows, (std::set<std::string>{"anna", "bram", "carlos", "erik", "oliver", "priya",
                                         "quinn", "vera", "wendy"}));
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

// ---- Materials
// -----------------------------------------------------------------------------------

TEST_F(DemoSiteTest, FiveSuppliersAreQualifiedByAnnaOnQuinnsProposalAfterAnAudit_G_09) {
  auto suppliers = Areas().Materials().Suppliers(SignIn("wendy"));
  ASSERT_EQ(Describe(suppliers), "ok");
  std::vector<std::string> listed;
  for (const materials::SupplierState& supplier : *suppliers) {
    const materials::Qualification* current = supplier.QualificationAt(Now());
    ASSERT_NE(current, nullptr) << supplier.id;
    listed.push_back(supplier.id + " " +
                     std::string(materials::SupplierStatusName(current->status)));
    EXPECT_EQ(current->approved_by, "anna") << supplier.id;
    ASSERT_EQ(supplier.audits.size(), 1U) << supplier.id;
    EXPECT_EQ(supplier.audits[0].recorded_by, "quinn");
    EXPECT_LT(supplier.audits[0].performed_on, Now());
  }
  EXPECT_THAT(Sorted(listed),
              ElementsAre("SUP-ALDER approved", "SUP-HELIX approved", "SUP-MERIDIAN approved",
                          "SUP-NORDVEC conditional", "SUP-POLARIS approved"));
  // Proposed by quinn, approved by anna's signature: never one person (A11-01).
  const auto proposals = Events("materials.supplier_qualification_proposed");
  ASSERT_EQ(proposals.size(), 5U);
  for (const auto& [event, payload] : proposals) EXPECT_EQ(event.actor.id, "quinn");
  auto signed_by = Areas().Signatures().Signatures(SignIn("quinn"), {"supplier", "SUP-HELIX:1"});
  ASSERT_EQ(Describe(signed_by), "ok");
  ASSERT_EQ(signed_by->signatures.size(), 1U);
  // The approval stays valid once in force: it binds to the proposal, not to its outcome.
  EXPECT_EQ(signed_by->signatures[0].content_hash, signed_by->content_hash);
  EXPECT_EQ(signed_by->signatures[0].signer_id, "anna");
  EXPECT_EQ(signed_by->signatures[0].meaning, Meaning::kApproved);
}

TEST_F(DemoSiteTest, TheVectorCdmoIsConditionalAfterAMajorAuditFinding_G_09) {
  auto nordvec = Areas().Materials().Supplier(SignIn("quinn"), "SUP-NORDVEC");
  ASSERT_EQ(Describe(nordvec), "ok");
  const materials::Qualification* current = nordvec->QualificationAt(Now());
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(current->status, materials::SupplierStatus::kConditional);
  EXPECT_THAT(current->materials, ElementsAre("MAT-LV-CD19"));
  EXPECT_THAT(current->conditions, HasSubstr("Leiden's own identity test"));
  EXPECT_EQ(nordvec->audits[0].outcome, materials::AuditOutcome::kMajorFindings);

  // Its vector lot is released all the same: a conditional supplier is qualified, and the lot
  // carries the identity test the conditions ask for.
  const LotView vector = LotOf("RM-2026-0008");
  EXPECT_EQ(vector.lot.Status(), materials::LotStatus::kReleased);
  ASSERT_NE(vector.lot.LatestIdentityTest(), nullptr);
  EXPECT_TRUE(vector.lot.LatestIdentityTest()->passed);
  EXPECT_EQ(vector.lot.LatestIdentityTest()->performed_by, "carlos");
}

TEST_F(DemoSiteTest, TheCytokineSuppliersQualificationLapsesFiveDaysOn_G_09) {
  auto alder = Areas().Materials().Supplier(SignIn("quinn"), "SUP-ALDER");
  ASSERT_EQ(Describe(alder), "ok");
  const materials::Qualification* current = alder->QualificationAt(Now());
  ASSERT_NE(current, nullptr);
  ASSERT_TRUE(current->requalify_by && current->qualified_until);
  // Requalification overdue now (the suppliers screen flags it), the qualification still in force.
  EXPECT_LT(*current->requalify_by, Now());
  EXPECT_EQ(*current->qualified_until, Timestamp::FromMicros(Now().Micros() + 5 * kDay));

  // The IL-7 lot may be used today; six days on, the point-of-use check refuses it.
  UseInput use;
  use.scanned = "RM-2026-0005";
  use.material = "MAT-IL7";
  use.quantity = 3;
  use.unit = "ug";
  auto today = Areas().Materials().CheckUse(SignIn("oliver", kDemoSuiteTabletToken), use);
  ASSERT_EQ(Describe(today), "ok");
  EXPECT_TRUE(today->Allowed()) << today->message;
  use.at = Timestamp::FromMicros(Now().Micros() + 6 * kDay);
  auto later = Areas().Materials().CheckUse(SignIn("oliver", kDemoSuiteTabletToken), use);
  ASSERT_EQ(Describe(later), "ok");
  EXPECT_EQ(later->refusal, materials::UseRefusal::kSupplierNotQualified);
  EXPECT_THAT(later->message, HasSubstr("SUP-ALDER's qualification for MAT-IL7 lapsed on"));
}

TEST_F(DemoSiteTest, TheOutOfSpecificationIl2LotStaysInQuarantineWithItsFinding_G_08) {
  const LotView il2 = LotOf("RM-2026-0004");
  EXPECT_EQ(il2.lot.Status(), materials::LotStatus::kQuarantine);
  EXPECT_THAT(il2.release_blockers,
              ElementsAre("out of specification: Purity 92.4 % is below the minimum: >= 95 %"));
  const materials::Certificate* certificate = il2.lot.CurrentCertificate();
  ASSERT_NE(certificate, nullptr);
  EXPECT_EQ(certificate->entered_by, "carlos");
  EXPECT_EQ(certificate->OutOfSpecification().size(), 1U);

  // The supplier's PDF is in the file store under the hash the certificate cites.
  ASSERT_TRUE(certificate->file_sha256.has_value());
  auto file = Areas().Documents().DownloadFile(SignIn("carlos"), *certificate->file_sha256);
  ASSERT_EQ(Describe(file), "ok");
  EXPECT_EQ(file->info.media_type, "application/pdf");
  EXPECT_THAT(file->bytes, StartsWith("%PDF-1.4"));
  EXPECT_THAT(file->bytes, HasSubstr("AC-IL2-2431"));
  // It shows the supplier's own, looser limit: the lot conforms to it, not to Leiden's.
  EXPECT_THAT(file->bytes, HasSubstr("Specification: >= 90 %      Result: 92.4 %"));

  // oliver's scan of one of its vials at the bench was refused, and the attempt recorded.
  const auto refused = Events("materials.use_refused");
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_EQ(refused[0].first.stream.id, "RM-2026-0004");
  EXPECT_EQ(refused[0].first.actor.id, "oliver");
  EXPECT_EQ(StringMember(refused[0].second, "refusal"), "not_released");
  EXPECT_EQ(StringMember(refused[0].second, "into"), "IM-2026-0001");

  // anna cannot release it: the signature is refused with the finding.
  auto released = SignAsShown(SignIn("anna"), {"material_lot", "RM-2026-0004"}, Meaning::kReleased);
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(released.error().Message(), HasSubstr("Purity 92.4 %"));
}

TEST_F(DemoSiteTest, CertificatesInTheSuppliersUnitsAreConvertedToTheSpecifications_G_08) {
  const auto spec_value = [](const LotView& view, const std::string& test) -> double {
    const materials::Certificate* certificate = view.lot.CurrentCertificate();
    if (certificate == nullptr) return -1;
    for (const materials::CheckedResult& result : certificate->results) {
      if (result.result.test == test && result.conforms) {
        return result.value_in_spec_unit.value_or(-1);
      }
    }
    return -1;
  };
  // p24 reported in ng/mL against a specification in ug/mL; endotoxin in EU/mg against EU/ug.
  EXPECT_DOUBLE_EQ(spec_value(LotOf("RM-2026-0008"), "p24 capsid"), 8.7);
  EXPECT_DOUBLE_EQ(spec_value(LotOf("RM-2026-0006"), "Endotoxin"), 0.006);
}

TEST_F(DemoSiteTest, TheShortDatedMediumLotExpiresInThreeDays_G_08) {
  const LotView medium = LotOf("RM-2026-0002");
  EXPECT_EQ(medium.lot.Status(), materials::LotStatus::kReleased);
  EXPECT_EQ(medium.lot.expiry, Timestamp::FromMicros(Now().Micros() + 3 * kDay));
  UseInput use;
  use.scanned = "RM-2026-0002";
  use.material = "MAT-MEDIUM";
  use.quantity = 500;
  use.unit = "mL";
  use.at = medium.lot.expiry;
  auto check = Areas().Materials().CheckUse(SignIn("priya", kDemoSuiteTabletToken), use);
  ASSERT_EQ(Describe(check), "ok");
  EXPECT_EQ(check->refusal, materials::UseRefusal::kExpired);
}

TEST_F(DemoSiteTest, LotsAreInQuarantineUntilAnnaReleasesThem_A11_01) {
  auto lots = Areas().Materials().Lots(SignIn("wendy"));
  ASSERT_EQ(Describe(lots), "ok");
  std::vector<std::string> held;
  int released = 0;
  for (const LotView& view : *lots) {
    if (view.lot.Status() == materials::LotStatus::kQuarantine) {
      held.push_back(view.lot.id);
      continue;
    }
    ++released;
    ASSERT_GE(view.lot.statuses.size(), 2U);
    EXPECT_EQ(view.lot.statuses.back().by, "anna") << view.lot.id;
    EXPECT_NE(view.lot.received_by, "anna") << view.lot.id;
  }
  // 11 purchased lots, 3 complete media, 9 collections, 6 product units.
  EXPECT_EQ(lots->size(), 29U);
  EXPECT_EQ(released, 24);
  // The out-of-specification IL-2, the two collections at goods-in, and the product units of the
  // two batches under review, which leave quarantine only with their batch's disposition.
  EXPECT_THAT(Sorted(held), ElementsAre("AP-2026-0008", "AP-2026-0009", "DP-2026-0005",
                                        "DP-2026-0006", "RM-2026-0004"));
}

// G-04: the product units of the released batches were released with them, by anna's signature
// on the batch record, each naming its batch.
TEST_F(DemoSiteTest, ProductUnitsLeaveQuarantineWithTheirBatch_G_04) {
  for (int i = 1; i <= 4; ++i) {
    const std::string batch = "B-2026-000" + std::to_string(i);
    const LotView unit = LotOf("DP-2026-000" + std::to_string(i));
    EXPECT_EQ(unit.lot.made_by_batch, batch);
    ASSERT_EQ(unit.lot.Status(), materials::LotStatus::kReleased) << unit.lot.id;
    EXPECT_EQ(unit.lot.statuses.back().by, "anna");
    EXPECT_TRUE(unit.lot.statuses.back().comment.starts_with("with batch " + batch + ", released"))
        << unit.lot.statuses.back().comment;
  }
}

// G-04: a released batch's record is closed, so no lot comes out of it afterwards: a product unit
// recorded as made by B-2026-0001, for its own patient, is refused naming the batch, and nothing is
// recorded.
TEST_F(DemoSiteTest, NoLotComesOutOfABatchAfterItsRelease_G_04) {
  const LotView made = LotOf("DP-2026-0001");
  materials::ProducedLot produced;
  produced.id = "DP-2026-0099";
  produced.material = made.lot.material;
  produced.batch = "B-2026-0001";
  produced.patient_code = made.lot.patient_code;
  produced.quantity = 70;
  produced.unit = made.lot.unit;
  produced.expiry = Timestamp::FromMicros(Now().Micros() + 180 * kDay);
  produced.storage_location = "LN2 vapour storage LN2-02, rack 3, box 9";
  const RequestContext oliver = SignIn("oliver", kDemoSuiteTabletToken);
  const RequestContext wendy = SignIn("wendy");
  const auto head = world->store->Head();
  ASSERT_EQ(Describe(head), "ok");

  const Status refused = Areas().Materials().ProduceLot(oliver, produced);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().Field(), "batch");
  EXPECT_THAT(refused.error().Message(), HasSubstr("batch B-2026-0001 is released"));
  const auto after = world->store->Head();
  ASSERT_EQ(Describe(after), "ok");
  EXPECT_EQ(after->size, head->size);
  EXPECT_FALSE(Areas().Materials().Lot(wendy, produced.id).has_value());
}

TEST_F(DemoSiteTest, CollectionsCarryCheckedDonorCodesAndTheirShippingRecords_T_02) {
  std::set<std::string> donors;
  for (int i = 1; i <= 9; ++i) {
    const std::string id = "AP-2026-000" + std::to_string(i);
    const LotView view = LotOf(id);
    ASSERT_TRUE(view.lot.collection.has_value()) << id;
    const materials::Collection& collection = *view.lot.collection;
    EXPECT_EQ(Describe(materials::CheckDonorCode(collection.donor_code, "donor_code")), "ok");
    donors.insert(collection.donor_code);
    EXPECT_EQ(view.lot.received_by, "wendy");
    ASSERT_TRUE(collection.logger_file_sha256.has_value());
  }
  EXPECT_EQ(donors.size(), 9U);

  // The excursion, at goods-in today: eligible, but held; its logger file shows the peak.
  const LotView excursion = LotOf("AP-2026-0008");
  EXPECT_GT(excursion.lot.expiry, Now());
  EXPECT_TRUE(excursion.lot.collection->ShippingExcursion());
  EXPECT_DOUBLE_EQ(excursion.lot.collection->shipping_max_c, 9.1);
  EXPECT_EQ(excursion.lot.collection->eligibility, materials::Eligibility::kEligible);
  EXPECT_EQ(excursion.lot.collection->determined_by, "bram");
  EXPECT_TRUE(excursion.release_blockers.empty());
  EXPECT_EQ(excursion.lot.Status(), materials::LotStatus::kQuarantine);
  auto logger = Areas().Documents().DownloadFile(SignIn("wendy"),
                                                 *excursion.lot.collection->logger_file_sha256);
  ASSERT_EQ(Describe(logger), "ok");
  EXPECT_EQ(logger->info.media_type, "text/csv");
  EXPECT_THAT(logger->bytes, HasSubstr("Z,9.1\n"));

  const LotView pending = LotOf("AP-2026-0009");
  EXPECT_GT(pending.lot.expiry, Now());
  EXPECT_THAT(pending.release_blockers,
              ElementsAre("the donor's eligibility is not yet determined (T-04)"));

  // The first patient's collection: received the evening before its batch, sampled (2 mL) at the
  // incoming sampling and the rest washed, all through the batch's steps.
  const LotView first = LotOf("AP-2026-0001");
  EXPECT_EQ(first.lot.Balance().Millionths(), 0);
  EXPECT_EQ(first.lot.consumed.ToString(), "210");
  EXPECT_LT(first.lot.expiry, Now());
}

TEST_F(DemoSiteTest, TheBatchTracesBackToEveryLotSupplierAndItsDonor_G_08_T_01) {
  auto trace = Areas().Materials().Genealogy(SignIn("audrey"), "batch:B-2026-0001",
                                             materials::Direction::kBackward, std::nullopt);
  ASSERT_EQ(Describe(trace), "ok");
  std::vector<std::string> lots;
  for (const LotSummary& lot : trace->lots) lots.push_back(lot.id);
  // Phase 1: the complete medium's own lots (the IL-2 among them) are reached through it.
  EXPECT_THAT(Sorted(lots), ElementsAre("AP-2026-0001", "IM-2026-0001", "RM-2026-0001",
                                        "RM-2026-0003", "RM-2026-0007", "RM-2026-0008",
                                        "RM-2026-0009", "RM-2026-0010", "RM-2026-0011"));
  EXPECT_THAT(trace->suppliers,
              ElementsAre("SUP-ALDER", "SUP-HELIX", "SUP-MERIDIAN", "SUP-NORDVEC", "SUP-POLARIS"));
  const std::string donor = LotOf("AP-2026-0001").lot.collection->donor_code;
  EXPECT_THAT(trace->donors, ElementsAre(donor));

  // The current process: IL-7 and IL-15 go in directly, no complete medium.
  auto current = Areas().Materials().Genealogy(SignIn("audrey"), "batch:B-2026-0004",
                                               materials::Direction::kBackward, std::nullopt);
  ASSERT_EQ(Describe(current), "ok");
  lots.clear();
  for (const LotSummary& lot : current->lots) lots.push_back(lot.id);
  EXPECT_THAT(Sorted(lots), ElementsAre("AP-2026-0004", "RM-2026-0001", "RM-2026-0005",
                                        "RM-2026-0006", "RM-2026-0007", "RM-2026-0008",
                                        "RM-2026-0009", "RM-2026-0010", "RM-2026-0011"));
}

TEST_F(DemoSiteTest, TheVectorLotTracesForwardToThePatient_T_01_T_03) {
  const std::string donor = LotOf("AP-2026-0001").lot.collection->donor_code;
  const LotView product = LotOf("DP-2026-0001");
  EXPECT_EQ(product.lot.made_by_batch, "B-2026-0001");
  EXPECT_EQ(product.lot.patient_code, donor);  // Autologous: the patient is the donor.

  // One vial of the vector lot per patient: every batch, and the product unit of each that was
  // filled (the one in progress has none yet), each for its own patient.
  auto vector = Areas().Materials().Genealogy(SignIn("audrey"), "lot:RM-2026-0008",
                                              materials::Direction::kForward, std::nullopt);
  ASSERT_EQ(Describe(vector), "ok");
  EXPECT_THAT(vector->batches,
              ElementsAre("B-2026-0001", "B-2026-0002", "B-2026-0003", "B-2026-0004", "B-2026-0005",
                          "B-2026-0006", "B-2026-0007"));
  std::vector<std::string> units;
  for (const LotSummary& lot : vector->lots) units.push_back(lot.id);
  EXPECT_THAT(Sorted(units), ElementsAre("DP-2026-0001", "DP-2026-0002", "DP-2026-0003",
                                         "DP-2026-0004", "DP-2026-0005", "DP-2026-0006"));
  EXPECT_EQ(vector->patients.size(), 6U);
  EXPECT_THAT(vector->patients, ::testing::Contains(donor));

  // The IL-2 went, through the complete media, into the three Phase 1 batches only.
  auto il2 = Areas().Materials().Genealogy(SignIn("audrey"), "lot:RM-2026-0003",
                                           materials::Direction::kForward, std::nullopt);
  ASSERT_EQ(Describe(il2), "ok");
  EXPECT_THAT(Sorted(il2->batches), ElementsAre("B-2026-0001", "B-2026-0002", "B-2026-0003"));
  EXPECT_EQ(il2->patients.size(), 3U);
}

// ---- Equipment and environmental monitoring
// -----------------------------------------------------------------

std::string DonorOf(const LotView& collection) {
  return collection.lot.collection ? collection.lot.collection->donor_code : std::string();
}

TEST_F(DemoSiteTest, EveryPieceOfEquipmentIsQualifiedByErikAndVerifiedByQuinn_A11_01) {
  const RequestContext erik = SignIn("erik");
  auto rooms = Areas().Equipment().Rooms(erik);
  ASSERT_EQ(Describe(rooms), "ok");
  std::vector<std::string> graded;
  for (const environment::RoomState& room : *rooms) {
    graded.push_back(room.id + " " + std::string(environment::GradeName(room.grade)));
  }
  EXPECT_THAT(Sorted(graded), ElementsAre("LEI-B101 B", "LEI-B102 B", "LEI-C110 C",
                                          "LEI-CRY "
                                          "unclassified",
                                          "LEI-D120 D", "LEI-QC01 unclassified"));

  auto listed = Areas().Equipment().List(erik, std::nullopt);
  ASSERT_EQ(Describe(listed), "ok");
  EXPECT_EQ(listed->size(), 22U);
  for (const EquipmentView& view : *listed) {
    const equipment::EquipmentState& state = view.state;
    EXPECT_EQ(state.qualified, equipment::QualificationStatus::kQualified) << state.id;
    ASSERT_TRUE(state.qualification.has_value()) << state.id;
    EXPECT_EQ(state.qualification->signoff.performed_by, "erik") << state.id;
    EXPECT_EQ(state.qualification->signoff.verified_by, "quinn") << state.id;
    EXPECT_FALSE(state.definition.serial_number.empty()) << state.id;
    // Nothing is overdue: the calibrations entered from the certificates are all in force.
    EXPECT_FALSE(view.status.calibration_overdue) << state.id;
    EXPECT_FALSE(view.status.maintenance_overdue) << state.id;
  }
}

TEST_F(DemoSiteTest, TheOutOfServiceIncubatorRefusedPriyaAndItsLogbookSaysSo_G_06) {
  const RequestContext priya = SignIn("priya", kDemoSuiteTabletToken);
  EquipmentCheckInput input;
  input.batch = "B-2026-0008";
  input.patient_code = DonorOf(LotOf("AP-2026-0009"));
  auto check = Areas().Equipment().Check(priya, "INC-02", input);
  ASSERT_EQ(Describe(check), "ok");
  EXPECT_EQ(check->refusal, equipment::UseRefusal::kOutOfService);
  EXPECT_THAT(check->message, HasSubstr("CO2 sensor drift"));

  // The last entry of its logbook: priya's scan at the activation of B-2026-0006, refused.
  auto logbook = Areas().Equipment().Logbook(priya, "INC-02", std::nullopt, std::nullopt, false, 1);
  ASSERT_EQ(Describe(logbook), "ok");
  ASSERT_EQ(logbook->entries.size(), 1U);
  const equipment::LogbookEntry& refused = logbook->entries[0].entry;
  EXPECT_EQ(refused.kind, equipment::EntryKind::kUseRefused);
  EXPECT_EQ(refused.by, "priya");
  EXPECT_EQ(refused.batch, "B-2026-0006");
  EXPECT_TRUE(refused.alert);

  // The batch record shows the refused attempt, as QA reviewed it.
  auto record = Areas().Batches().Record(priya, "B-2026-0006");
  ASSERT_EQ(Describe(record), "ok");
  ASSERT_EQ(record->refusals.size(), 1U);
  EXPECT_EQ(record->refusals[0].step, "activation");
  EXPECT_EQ(record->refusals[0].reason, batches::RefusalReason::kEquipment);
  EXPECT_THAT(record->refusals[0].message, HasSubstr("out of service"));

  // She activated in suite 1's incubator instead, which she cleaned first: its last patient was
  // another's (the batch of suite 1 before).
  const std::string patient = DonorOf(LotOf("AP-2026-0006"));
  auto incubator =
      Areas().Equipment().Logbook(priya, "INC-01", std::nullopt, std::nullopt, true, 500);
  ASSERT_EQ(Describe(incubator), "ok");
  std::string cleaned_by;
  bool used = false;
  for (const LogbookRow& row : incubator->entries) {
    if (row.entry.kind == equipment::EntryKind::kCleaning) cleaned_by = row.entry.by;
    if (row.entry.kind != equipment::EntryKind::kUseStarted || row.entry.batch != "B-2026-0006") {
      continue;
    }
    used = true;
    EXPECT_EQ(StringMember(row.entry.details, "patient_code"), patient);
    EXPECT_EQ(StringMember(row.entry.details, "step"), "activation");
    EXPECT_EQ(cleaned_by, "priya");
  }
  EXPECT_TRUE(used);
}

TEST_F(DemoSiteTest, TheBalanceFallsDueForCalibrationSevenDaysOn_G_07) {
  const RequestContext oliver = SignIn("oliver", kDemoSuiteTabletToken);
  const EquipmentView balance = EquipmentOf(oliver, "BAL-01");
  ASSERT_TRUE(balance.state.good_calibration.has_value());
  EXPECT_EQ(balance.state.good_calibration->performed_on,
            Timestamp::FromMicros(Now().Micros() - 358 * kDay));
  EXPECT_EQ(balance.status.calibration_due, Timestamp::FromMicros(Now().Micros() + 7 * kDay));
  EXPECT_FALSE(balance.status.calibration_overdue);

  EquipmentCheckInput input;
  input.batch = "B-2026-0007";
  auto today = Areas().Equipment().Check(oliver, "BAL-01", input);
  ASSERT_EQ(Describe(today), "ok");
  EXPECT_TRUE(today->Allowed()) << today->message;
  input.at = Timestamp::FromMicros(Now().Micros() + 7 * kDay);
  auto then = Areas().Equipment().Check(oliver, "BAL-01", input);
  ASSERT_EQ(Describe(then), "ok");
  EXPECT_EQ(then->refusal, equipment::UseRefusal::kCalibrationOverdue);
}

TEST_F(DemoSiteTest, ThePipetteFoundOutOfToleranceRaisedADeviationListingTheBatchesItServed_G_04) {
  const RequestContext quinn = SignIn("quinn");
  auto deviations = Areas().Quality().Deviations(quinn, std::nullopt);
  ASSERT_EQ(Describe(deviations), "ok");
  // The excursion batch's, the environmental excursion's and the pipette's.
  ASSERT_EQ(deviations->size(), 3U);
  const auto pipette =
      std::find_if(deviations->begin(), deviations->end(), [](const auto& deviation) {
        return deviation.details.source == quality::DeviationSource::kCalibration;
      });
  ASSERT_NE(pipette, deviations->end());
  EXPECT_EQ(pipette->id, "DEV-2026-0003");
  EXPECT_EQ(pipette->details.equipment, "PIP-02");
  EXPECT_EQ(pipette->raised_by, "erik");
  // Every batch of suite 2 since its last good calibration, 172 days before: the pipette served
  // their activations and transductions.
  EXPECT_THAT(pipette->details.batches, ElementsAre("B-2026-0002", "B-2026-0004", "B-2026-0006"));
  EXPECT_THAT(pipette->details.description, HasSubstr("20 uL: found 20.9"));
  auto entry = Areas().Equipment().Entry(quinn, "PIP-02", pipette->details.equipment_entry);
  ASSERT_EQ(Describe(entry), "ok");
  EXPECT_EQ(entry->entry.kind, equipment::EntryKind::kCalibration);

  // Adjusted and signed: fit for use again, due in 180 days.
  const EquipmentView view = EquipmentOf(quinn, "PIP-02");
  ASSERT_TRUE(view.state.latest_calibration.has_value());
  EXPECT_FALSE(view.state.latest_calibration->as_found_in_tolerance);
  EXPECT_TRUE(view.state.latest_calibration->in_tolerance);
  EXPECT_EQ(view.status.calibration_due, Timestamp::FromMicros(Now().Micros() + 180 * kDay));
  auto check = Areas().Equipment().Check(quinn, "PIP-02", {});
  ASSERT_EQ(Describe(check), "ok");
  EXPECT_TRUE(check->Allowed()) << check->message;
}

// B-2026-0006's own record is clean and reviewed, but the pipette found out of tolerance served
// its transduction: its release waits for that deviation to be closed, not only for its own.
TEST_F(DemoSiteTest, AnOpenDeviationOfThePipetteItUsedHoldsTheReviewedBatch_G_04) {
  const RequestContext quinn = SignIn("quinn");
  auto record = Areas().Batches().Record(quinn, "B-2026-0006");
  ASSERT_EQ(Describe(record), "ok");
  EXPECT_TRUE(record->batch.state.deviations.empty());
  EXPECT_TRUE(record->batch.state.unreviewed.empty());
  // The executed record lists it among the deviations that may affect the batch.
  std::vector<std::string> listed;
  for (const quality::DeviationState& deviation : record->deviations)
    listed.push_back(deviation.id);
  EXPECT_THAT(listed, ElementsAre("DEV-2026-0003"));

  auto released = SignAsShown(SignIn("anna"), {"batch", "B-2026-0006"}, Meaning::kReleased,
                              "Reviewed by exception");
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(released.error().Message(), HasSubstr("DEV-2026-0003 (open)"));
  // Refused, nothing changed.
  auto after = Areas().Batches().Record(quinn, "B-2026-0006");
  ASSERT_EQ(Describe(after), "ok");
  EXPECT_EQ(after->batch.state.status, batches::BatchStatus::kUnderReview);
  EXPECT_EQ(after->lines.size(), record->lines.size());
}

TEST_F(DemoSiteTest, TheActiveAirExcursionInSuite1RaisedADeviationListingItsBatch_G_04) {
  const RequestContext quinn = SignIn("quinn");
  auto deviations = Areas().Quality().Deviations(quinn, std::nullopt);
  ASSERT_EQ(Describe(deviations), "ok");
  const auto excursion =
      std::find_if(deviations->begin(), deviations->end(), [](const auto& deviation) {
        return deviation.details.source == quality::DeviationSource::kEnvironment;
      });
  ASSERT_NE(excursion, deviations->end());
  EXPECT_EQ(excursion->id, "DEV-2026-0002");
  EXPECT_EQ(excursion->details.room, "LEI-B101");
  EXPECT_EQ(excursion->details.location, "LEI-B101-ROOM");
  EXPECT_EQ(excursion->raised_by, "carlos");
  // The batch in progress counted its culture in suite 1's bioreactor last night: exposed.
  EXPECT_THAT(excursion->details.batches, ElementsAre("B-2026-0007"));
  // The exposure window opens at yesterday's compliant active air sample in suite 1 (a
  // Wednesday session; the demo runs on a Thursday here), not at the start of monitoring.
  EXPECT_THAT(excursion->details.description, HasSubstr("the last compliant sample of this type"));
  ASSERT_TRUE(excursion->details.window_start.has_value());
  EXPECT_LT(*excursion->details.window_start, Timestamp::FromMicros(Now().Micros() - kDay / 2));
  EXPECT_GT(*excursion->details.window_start, Timestamp::FromMicros(Now().Micros() - kDay * 2));

  auto sample = Areas().Environment().Sample(quinn, excursion->details.sample);
  ASSERT_EQ(Describe(sample), "ok");
  EXPECT_EQ(sample->type, environment::SampleType::kActiveAir);
  EXPECT_DOUBLE_EQ(sample->result, 14);
  EXPECT_EQ(sample->outcome, environment::Outcome::kAction);

  // Each batch's deviations: the batch in progress, this one; suite 2's last, the pipette's; the
  // excursion batch, its own.
  const auto ids = [&](const std::string& batch) {
    std::vector<std::string> found;
    auto listed = Areas().Quality().Deviations(quinn, batch);
    EXPECT_EQ(Describe(listed), "ok");
    if (listed) {
      for (const quality::DeviationState& deviation : *listed) found.push_back(deviation.id);
    }
    return found;
  };
  EXPECT_THAT(ids("B-2026-0007"), ElementsAre("DEV-2026-0002"));
  EXPECT_THAT(ids("B-2026-0006"), ElementsAre("DEV-2026-0003"));
  EXPECT_THAT(ids("B-2026-0005"), ElementsAre("DEV-2026-0001"));
}

TEST_F(DemoSiteTest, MonitoringHasNinetyDaysOfHistoryWithOneAlertAndOneExcursion_Annex1) {
  const RequestContext carlos = SignIn("carlos");
  auto locations = Areas().Environment().Locations(carlos);
  ASSERT_EQ(Describe(locations), "ok");
  EXPECT_EQ(locations->size(), 8U);
  std::map<std::string, environment::LocationState> location_of;
  for (const environment::LocationState& location : *locations) {
    // Monitored since 120 days before the demo ran, though defined the day it ran.
    EXPECT_EQ(location.monitored_since, Timestamp::FromMicros(Now().Micros() - 120 * kDay))
        << location.id;
    EXPECT_EQ(location.defined_at, Now()) << location.id;
    location_of[location.id] = location;
  }

  SampleFilter filter;
  filter.from = Timestamp::FromMicros(Now().Micros() - 120 * kDay);
  filter.to = Now();
  filter.limit = kMaxSamplePage;
  auto samples = Areas().Environment().Samples(carlos, filter);
  ASSERT_EQ(Describe(samples), "ok");
  // 786 over the 90 days before today (the demo runs on a Thursday here) and 33 today.
  EXPECT_EQ(samples->size(), 819U);
  const Timestamp midnight = Timestamp::FromMicros(Now().Micros() - Now().Micros() % kDay);
  std::size_t today = 0;
  Timestamp earliest = Now();
  std::vector<std::string> flagged;
  std::optional<environment::SampleState> alert;
  for (const environment::SampleState& sample : *samples) {
    EXPECT_EQ(sample.recorded_by, "carlos");
    EXPECT_EQ(sample.recorded_at, Now());
    EXPECT_GE(sample.taken_at, location_of[sample.location].monitored_since) << sample.id;
    EXPECT_THAT(sample.id, StartsWith("EM-"));
    if (sample.taken_at >= midnight) ++today;
    earliest = std::min(earliest, sample.taken_at);
    // Grade A viable results: any growth is an action-level excursion, and there is none.
    if (sample.grade == environment::Grade::kA && environment::IsViable(sample.type)) {
      EXPECT_EQ(sample.result, 0) << sample.id;
    }
    if (sample.outcome == environment::Outcome::kWithinLimits) continue;
    if (sample.outcome == environment::Outcome::kAlert) alert = sample;
    flagged.push_back(std::string(environment::OutcomeName(sample.outcome)) + " " +
                      sample.location + " " +
                      std::string(environment::SampleTypeName(sample.type)));
  }
  EXPECT_EQ(today, 33U);
  // About 90 days of history: the first weekday of the window.
  EXPECT_GE(earliest, Timestamp::FromMicros(midnight.Micros() - 90 * kDay));
  EXPECT_LT(earliest, Timestamp::FromMicros(midnight.Micros() - 87 * kDay));
  EXPECT_THAT(Sorted(flagged),
              ElementsAre("action LEI-B101-ROOM active_air", "alert LEI-B102-ROOM settle_plate"));
  // The alert a few weeks ago: a 4 CFU settle plate against the alert level of 3, trended.
  ASSERT_TRUE(alert.has_value());
  EXPECT_DOUBLE_EQ(alert->result, 4);
  EXPECT_GE(alert->taken_at, Timestamp::FromMicros(midnight.Micros() - 23 * kDay));
  EXPECT_LT(alert->taken_at, Timestamp::FromMicros(midnight.Micros() - 14 * kDay));
  EXPECT_EQ(alert->comment, "Above the alert level: trended; no action");

  // The trend of one location: suite 1's room, in operation three days a week.
  SampleFilter room = filter;
  room.location = "LEI-B101-ROOM";
  auto trend = Areas().Environment().Samples(carlos, room);
  ASSERT_EQ(Describe(trend), "ok");
  const auto active_air = std::count_if(trend->begin(), trend->end(), [](const auto& sample) {
    return sample.type == environment::SampleType::kActiveAir;
  });
  EXPECT_GE(active_air, 38);
  EXPECT_LE(active_air, 40);
}

TEST_F(DemoSiteTest, TheSuite2CabinetsLastCleaningAwaitsVerasVerification_A11_01) {
  const RequestContext vera = SignIn("vera", kDemoSuiteTabletToken);
  const EquipmentView cabinet = EquipmentOf(vera, "BSC-02");
  EXPECT_EQ(cabinet.status.clean, equipment::CleanStatus::kUsedSinceCleaning);
  ASSERT_EQ(cabinet.status.awaiting.size(), 1U);
  EXPECT_THAT(cabinet.status.awaiting[0],
              HasSubstr("(cleaning) awaits a second person's verification"));
  ASSERT_TRUE(cabinet.state.latest_cleaning.has_value());
  EXPECT_EQ(cabinet.state.latest_cleaning->signoff.performed_by, "priya");

  // Until vera verifies it, the next patient may not use the cabinet.
  EquipmentCheckInput input;
  input.batch = "B-2026-0008";
  input.patient_code = DonorOf(LotOf("AP-2026-0009"));
  auto check = Areas().Equipment().Check(vera, "BSC-02", input);
  ASSERT_EQ(Describe(check), "ok");
  EXPECT_EQ(check->refusal, equipment::UseRefusal::kNotClean);
  EXPECT_THAT(check->message, HasSubstr("awaits a second person's verification"));

  // Suite 1's cabinet, cleaned today by oliver and verified by vera, is clean for 72 h.
  const EquipmentView suite1 = EquipmentOf(vera, "BSC-01");
  EXPECT_EQ(suite1.status.clean, equipment::CleanStatus::kClean);
  ASSERT_TRUE(suite1.state.clean.has_value());
  EXPECT_EQ(suite1.state.clean->signoff.verified_by, "vera");
  EXPECT_EQ(suite1.status.clean_until, Timestamp::FromMicros(Now().Micros() + 3 * kDay));
}

TEST_F(DemoSiteTest, TheCabinetsCertificationCitesTheServiceReport_G_07) {
  const RequestContext erik = SignIn("erik");
  const EquipmentView cabinet = EquipmentOf(erik, "BSC-01");
  ASSERT_TRUE(cabinet.state.latest_maintenance.has_value());
  EXPECT_EQ(cabinet.state.latest_maintenance->performed_on,
            Timestamp::FromMicros(Now().Micros() - 150 * kDay));
  EXPECT_EQ(cabinet.status.maintenance_due, Timestamp::FromMicros(Now().Micros() + 215 * kDay));
  auto entry =
      Areas().Equipment().Entry(erik, "BSC-01", cabinet.state.latest_maintenance->signoff.entry);
  ASSERT_EQ(Describe(entry), "ok");
  const std::string report = StringMember(entry->entry.details, "report_sha256");
  ASSERT_FALSE(report.empty());
  auto file = Areas().Documents().DownloadFile(erik, report);
  ASSERT_EQ(Describe(file), "ok");
  EXPECT_THAT(file->bytes, StartsWith("%PDF-1.4"));
  EXPECT_THAT(file->bytes, HasSubstr("EN 12469 certification"));
}

// G-01: each version prepared by dora, independently checked by quinn and approved by a third
// person; version 2 effective now, version 1 superseded by it.
TEST_F(DemoSiteTest, TheCarTMasterBatchRecordHasAPhase1VersionAndAnEffectiveCurrentOne_G_01) {
  const RequestContext quinn = SignIn("quinn");
  auto history = Areas().Recipes().History(quinn, "MBR-CAR19");
  ASSERT_EQ(Describe(history), "ok");
  ASSERT_EQ(history->versions.size(), 2U);
  const RecipeVersionView& phase1 = history->versions[0];
  const RecipeVersionView& current = history->versions[1];
  EXPECT_EQ(phase1.status, recipes::VersionStatus::kSuperseded);
  EXPECT_EQ(current.status, recipes::VersionStatus::kEffective);
  EXPECT_EQ(phase1.version.phases, std::vector{recipes::ClinicalPhase::kPhase1});
  EXPECT_EQ(current.version.phases,
            (std::vector{recipes::ClinicalPhase::kPhase2, recipes::ClinicalPhase::kPhase3}));
  for (const auto& [view, approver] : {std::pair{&phase1, "anna"}, std::pair{&current, "bram"}}) {
    EXPECT_EQ(view->version.prepared_by, "dora");
    EXPECT_EQ(view->version.checked_by, "quinn");
    EXPECT_EQ(view->version.approved_by, approver);
    std::vector<std::string> signers;
    for (const identity::ElectronicSignature& signature : view->signatures.signatures) {
      EXPECT_EQ(signature.content_hash, view->signatures.content_hash);
      signers.push_back(signature.signer_id);
    }
    EXPECT_EQ(signers, (std::vector<std::string>{"dora", "quinn", approver}));
  }
  auto effective = Areas().Recipes().EffectiveAt(quinn, "MBR-CAR19", Now());
  ASSERT_EQ(Describe(effective), "ok");
  ASSERT_TRUE(effective->has_value());
  EXPECT_EQ((*effective)->version.number, 2);
  EXPECT_EQ((*effective)->definition.Steps().size(), 25U);
}

// S88-01, CMP-01: the definition files round-trip, and the two versions differ in what the demo
// says they do (a transduction window of 18-48 h became 18-30 h).
TEST_F(DemoSiteTest, TheCurrentVersionExportsToAFileThatImportsBackUnchanged_S88_01) {
  const RequestContext dora = SignIn("dora");
  auto exported = Areas().Recipes().ExportVersion(dora, "MBR-CAR19", 2);
  ASSERT_EQ(Describe(exported), "ok");
  auto reread = ParseYaml(*exported);
  ASSERT_EQ(Describe(reread), "ok");
  std::vector<recipes::Problem> problems;
  const recipes::Definition definition = recipes::DefinitionFromJson(*reread, problems);
  EXPECT_TRUE(problems.empty());
  auto stored = Areas().Recipes().Version(dora, "MBR-CAR19", 2);
  ASSERT_EQ(Describe(stored), "ok");
  EXPECT_TRUE(definition == stored->definition);

  auto differences = Areas().Recipes().Differences(dora, "MBR-CAR19", 1, 2);
  ASSERT_EQ(Describe(differences), "ok");
  bool window = false;
  for (const recipes::Difference& difference : differences->differences) {
    if (difference.path != "time_rules/transduction_window/max") continue;
    window = true;
    EXPECT_EQ(difference.before, Json("48 h"));
    EXPECT_EQ(difference.after, Json("30 h"));
  }
  EXPECT_TRUE(window);
}

// ---- Batches
// ------------------------------------------------------------------------------------

// The steps of `view`'s control recipe, in order.
std::vector<std::string> StepsOf(const BatchView& view) {
  std::vector<std::string> steps;
  for (const recipes::Step* step : view.recipe->Steps()) steps.push_back(step->id);
  return steps;
}

bool Has(const batches::BatchException& exception, batches::ExceptionKind kind) {
  return std::find(exception.kinds.begin(), exception.kinds.end(), kind) != exception.kinds.end();
}

TEST_F(DemoSiteTest, SevenBatchesRanOnPhase1AndTheCurrentProcessOverThePast75Days_G_02) {
  auto all = Areas().Batches().List(SignIn("quinn"), {});
  ASSERT_EQ(Describe(all), "ok");
  std::map<std::string, int> by_status;
  std::map<int, int> by_version;
  std::vector<std::string> ids;
  for (const batches::BatchState& batch : *all) {
    ids.push_back(batch.id);
    ++by_status[std::string(batches::BatchStatusName(batch.status))];
    ++by_version[batch.version];
    EXPECT_GT(batch.created_at, Timestamp::FromMicros(Now().Micros() - 75 * kDay)) << batch.id;
    EXPECT_LT(batch.created_at, Timestamp::FromMicros(Now().Micros() - 3 * kDay)) << batch.id;
    EXPECT_EQ(batch.created_by, "vera") << batch.id;
  }
  EXPECT_THAT(ids, ElementsAre("B-2026-0001", "B-2026-0002", "B-2026-0003", "B-2026-0004",
                               "B-2026-0005", "B-2026-0006", "B-2026-0007"));
  EXPECT_EQ(by_status,
            (std::map<std::string, int>{{"in_progress", 1}, {"released", 4}, {"under_review", 2}}));
  EXPECT_EQ(by_version, (std::map<int, int>{{1, 3}, {2, 4}}));

  // Phase 1's three, all released; of the current process's four, one.
  BatchListFilter phase1;
  phase1.status = batches::BatchStatus::kReleased;
  auto released = Areas().Batches().List(SignIn("quinn"), phase1);
  ASSERT_EQ(Describe(released), "ok");
  std::vector<std::string> versions;
  for (const batches::BatchState& batch : *released) {
    versions.push_back(batch.id + " v" + std::to_string(batch.version));
  }
  EXPECT_THAT(versions,
              ElementsAre("B-2026-0001 v1", "B-2026-0002 v1", "B-2026-0003 v1", "B-2026-0004 v2"));
}

TEST_F(DemoSiteTest, ReleasedBatchesAreSignedReleasedByAnnaOnceEveryStepIsDone_A11_04) {
  const RequestContext quinn = SignIn("quinn");
  for (const char* id : {"B-2026-0001", "B-2026-0002", "B-2026-0003", "B-2026-0004"}) {
    SCOPED_TRACE(id);
    auto record = Areas().Batches().Record(quinn, id);
    ASSERT_EQ(Describe(record), "ok");
    const batches::BatchState& state = record->batch.state;
    EXPECT_EQ(state.status, batches::BatchStatus::kReleased);
    ASSERT_TRUE(state.disposition.has_value());
    EXPECT_EQ(state.disposition->by, "anna");

    // The disposition: anna's signature meaning released, over the record as it stands.
    std::vector<std::string> dispositions;
    for (const identity::ElectronicSignature& signature : record->signatures) {
      if (signature.record.type != "batch") continue;
      dispositions.push_back(signature.signer_id + " " +
                             std::string(identity::MeaningName(signature.meaning)));
    }
    EXPECT_THAT(dispositions, ElementsAre("anna released"));
    auto shown = Areas().Signatures().Signatures(quinn, {"batch", id});
    ASSERT_EQ(Describe(shown), "ok");
    ASSERT_EQ(shown->signatures.size(), 1U);
    EXPECT_TRUE(shown->signatures[0].ValidFor(shown->content_hash));

    // Every step of its control recipe done, in order; each second-person check by someone who
    // performed nothing on the step.
    Timestamp previous;
    for (const std::string& step : StepsOf(record->batch)) {
      const batches::StepExecution* execution = state.Step(step);
      ASSERT_NE(execution, nullptr) << step;
      EXPECT_EQ(execution->status, batches::StepStatus::kDone) << step;
      EXPECT_FALSE(execution->performers.empty()) << step;
      if (!execution->verified_by.empty()) {
        EXPECT_FALSE(execution->performers.contains(execution->verified_by)) << step;
      }
      ASSERT_TRUE(execution->started_at.has_value()) << step;
      if (step != "cryopreservation" && step != "release_testing") {
        EXPECT_GE(*execution->started_at, previous) << step;
      }
      previous = *execution->completed_at;
    }
    // QA reviewed every exception before the release (the second batch's: its logger's peak).
    for (const batches::BatchException& exception : record->exceptions) {
      EXPECT_TRUE(exception.reviewed_at.has_value()) << exception.summary;
    }
    // Manufactured in about ten days, released after the 14 days of the sterility test.
    EXPECT_GT(state.disposition->at.Micros() - state.created_at.Micros(), 23 * kDay);
  }
  auto second = Areas().Batches().Exceptions(quinn, "B-2026-0002");
  ASSERT_EQ(Describe(second), "ok");
  ASSERT_EQ(second->size(), 1U);
  EXPECT_TRUE(Has((*second)[0], batches::ExceptionKind::kAlertLimit));
  EXPECT_THAT((*second)[0].summary, HasSubstr("shipping_max_temperature 7.4 C"));
  EXPECT_EQ((*second)[0].reviewed_by, "bram");
}

TEST_F(DemoSiteTest,
       TheHarvestViabilityExcursionRaisedADeviationThatWasAcknowledgedAndAssessed_G_05) {
  const RequestContext quinn = SignIn("quinn");
  auto record = Areas().Batches().Record(quinn, "B-2026-0005");
  ASSERT_EQ(Describe(record), "ok");
  EXPECT_EQ(record->batch.state.status, batches::BatchStatus::kUnderReview);
  EXPECT_EQ(record->batch.state.version, 2);
  EXPECT_THAT(record->batch.state.deviations, ElementsAre("DEV-2026-0001"));

  // Raised with the value and the limit it breached, on the entry that recorded it.
  auto deviation = Areas().Quality().Deviation(quinn, "DEV-2026-0001");
  ASSERT_EQ(Describe(deviation), "ok");
  EXPECT_EQ(deviation->details.source, quality::DeviationSource::kActionLimit);
  EXPECT_EQ(deviation->details.step, "harvest_wash");
  EXPECT_EQ(deviation->details.subject, "viability");
  EXPECT_EQ(deviation->details.value, "76 %");
  EXPECT_EQ(deviation->details.limit, "action low 80 %");
  EXPECT_THAT(deviation->details.batches, ElementsAre("B-2026-0005"));
  EXPECT_EQ(deviation->raised_by, "priya");
  const auto entry = std::find_if(
      record->entries.begin(), record->entries.end(),
      [&](const batches::EntryRecord& e) { return e.number == deviation->details.batch_entry; });
  ASSERT_NE(entry, record->entries.end());
  EXPECT_EQ(entry->subject, "viability");
  EXPECT_EQ(entry->flag, batches::LimitFlag::kAction);
  EXPECT_EQ(entry->deviation, "DEV-2026-0001");

  // Acknowledged by the supervisor's signature before the harvest went on.
  const batches::StepExecution* harvest = record->batch.state.Step("harvest_wash");
  ASSERT_NE(harvest, nullptr);
  EXPECT_TRUE(harvest->awaiting_acknowledgement.empty());
  EXPECT_EQ(harvest->status, batches::StepStatus::kDone);
  std::vector<std::string> acknowledged;
  for (const identity::ElectronicSignature& signature : record->signatures) {
    if (signature.record.type == "batch_excursion" &&
        signature.record.id == "B-2026-0005:DEV-2026-0001") {
      acknowledged.push_back(signature.signer_id + " " +
                             std::string(identity::MeaningName(signature.meaning)));
    }
  }
  EXPECT_THAT(acknowledged, ElementsAre("vera approved"));

  // Assessed by QA (minor, with its impact), then closed by the QA approver.
  const quality::RecordedAssessment* assessment = deviation->LatestAssessment();
  ASSERT_NE(assessment, nullptr);
  EXPECT_EQ(assessment->assessed_by, "quinn");
  EXPECT_EQ(assessment->assessment.classification, quality::Classification::kMinor);
  EXPECT_THAT(assessment->assessment.impact, HasSubstr("SPEC-CT-014"));
  EXPECT_EQ(deviation->status, quality::DeviationStatus::kClosed);
  EXPECT_EQ(deviation->closed_by, "anna");

  // The exception review is QA's next step; the record lists the excursion and its deviation.
  std::vector<std::string> kinds;
  for (const batches::BatchException& exception : record->exceptions) {
    for (const batches::ExceptionKind kind : exception.kinds) {
      kinds.push_back(exception.step + " " + std::string(batches::ExceptionKindName(kind)));
    }
  }
  EXPECT_THAT(kinds, ElementsAre("harvest_wash action_limit", "harvest_wash deviation"));
}

TEST_F(DemoSiteTest, TheCorrectedTypingErrorKeepsTheOriginalBesideIt_P11_05) {
  const RequestContext quinn = SignIn("quinn");
  auto record = Areas().Batches().Record(quinn, "B-2026-0006");
  ASSERT_EQ(Describe(record), "ok");
  EXPECT_EQ(record->batch.state.status, batches::BatchStatus::kUnderReview);
  std::vector<batches::EntryRecord> volume;
  std::vector<batches::EntryRecord> recalculated;
  for (const batches::EntryRecord& entry : record->entries) {
    if (entry.step != "day_7_count") continue;
    if (entry.subject == "culture_volume") volume.push_back(entry);
    if (entry.calculation && entry.corrects) recalculated.push_back(entry);
  }
  ASSERT_EQ(volume.size(), 2U);
  // The original as typed stays, and the correction beside it names it and says why.
  EXPECT_EQ(volume[0].value.number, 1040);
  EXPECT_FALSE(volume[0].corrects.has_value());
  EXPECT_EQ(volume[1].value.number, 1004);
  EXPECT_EQ(volume[1].corrects, volume[0].number);
  EXPECT_THAT(volume[1].reason, HasSubstr("digits transposed"));
  EXPECT_EQ(volume[1].by, volume[0].by);
  EXPECT_FALSE(volume[1].late);
  // The value in force is the correction; what was computed from it is computed again.
  const batches::StepExecution* count = record->batch.state.Step("day_7_count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->values.at("culture_volume").entry, volume[1].number);
  std::vector<std::string> subjects;
  subjects.reserve(recalculated.size());
  for (const batches::EntryRecord& entry : recalculated) subjects.push_back(entry.subject);
  EXPECT_THAT(subjects, ElementsAre("total_viable_cells", "fold_expansion"));

  // QA reviewed the correction (and the refused incubator), and the release waits for anna.
  bool corrected = false;
  for (const batches::BatchException& exception : record->exceptions) {
    EXPECT_EQ(exception.reviewed_by, "quinn") << exception.summary;
    corrected = corrected || Has(exception, batches::ExceptionKind::kCorrection);
  }
  EXPECT_TRUE(corrected);
  EXPECT_FALSE(record->batch.state.disposition.has_value());
}

TEST_F(DemoSiteTest, TheBatchInProgressIsPartWayThroughItsExpansion_G_03) {
  auto view = Areas().Batches().Get(SignIn("vera", kDemoSuiteTabletToken), "B-2026-0007");
  ASSERT_EQ(Describe(view), "ok");
  const batches::BatchState& state = view->state;
  EXPECT_EQ(state.status, batches::BatchStatus::kInProgress);
  EXPECT_EQ(state.version, 2);
  EXPECT_GT(state.created_at, Timestamp::FromMicros(Now().Micros() - 5 * kDay));
  // The steps up to the day 3 count are done; the next is the day 5 count, not started.
  std::vector<std::string> done;
  std::string next;
  for (const std::string& step : StepsOf(*view)) {
    const batches::StepExecution* execution = state.Step(step);
    if (execution != nullptr && execution->status == batches::StepStatus::kDone) {
      EXPECT_TRUE(next.empty()) << step << " done after " << next;
      done.push_back(step);
    } else if (next.empty()) {
      next = step;
      EXPECT_TRUE(execution == nullptr || execution->status == batches::StepStatus::kNotStarted);
    }
  }
  EXPECT_EQ(done.size(), 11U);
  EXPECT_EQ(done.back(), "day_3_count");
  EXPECT_EQ(next, "day_5_count");
  // Its culture was counted in suite 1's bioreactor last night.
  const batches::StepExecution* day_3 = state.Step("day_3_count");
  ASSERT_NE(day_3, nullptr);
  EXPECT_GT(*day_3->completed_at, Timestamp::FromMicros(Now().Micros() - kDay));
  ASSERT_EQ(day_3->equipment.size(), 2U);
  EXPECT_EQ(day_3->equipment[0].id, "BIO-01");
}

TEST_F(DemoSiteTest, OperatorsTakeTurnsAcrossStepsAndShifts_G_03) {
  const RequestContext quinn = SignIn("quinn");
  auto all = Areas().Batches().List(quinn, {});
  ASSERT_EQ(Describe(all), "ok");
  std::set<std::string> everyone;
  std::set<std::int64_t> hours;
  int handed_over = 0;
  for (const batches::BatchState& batch : *all) {
    std::set<std::string> crew;
    for (const auto& [step, execution] : batch.steps) {
      crew.insert(execution.started_by);
      ASSERT_TRUE(execution.started_at.has_value());
      const std::int64_t hour = execution.started_at->Micros() % kDay / (3600 * kMicrosPerSecond);
      hours.insert(hour);
      // Work starts between 06:00 and 23:00.
      EXPECT_GE(hour, 6) << batch.id << " " << step;
      EXPECT_LE(hour, 23) << batch.id << " " << step;
      if (!execution.completed_by.empty() && execution.completed_by != execution.started_by) {
        ++handed_over;
      }
      // oliver, not retrained on SOP-CT-005 version 2, activates and transduces only in Phase 1.
      if (batch.version == 2 && (step == "activation" || step == "transduction")) {
        EXPECT_FALSE(execution.performers.contains("oliver")) << batch.id << " " << step;
      }
      // priya, a new starter, grows, freezes and welds for nobody yet.
      if (step == "perfusion" || step == "cryopreservation" || step == "enrichment_setup") {
        EXPECT_FALSE(execution.performers.contains("priya")) << batch.id << " " << step;
      }
    }
    EXPECT_GE(crew.size(), 2U) << batch.id;
    everyone.insert(crew.begin(), crew.end());
  }
  EXPECT_EQ(everyone, (std::set<std::string>{"oliver", "priya", "vera"}));
  // Day shift and late shift; each perfusion started by one shift and ended by another.
  EXPECT_LT(*hours.begin(), 10);
  EXPECT_GE(*hours.rbegin(), 20);
  EXPECT_EQ(handed_over, 6);
}

TEST_F(DemoSiteTest, EachBatchConsumedItsOwnCollectionAndEveryMaterialThroughItsSteps_T_01) {
  const RequestContext quinn = SignIn("quinn");
  for (int i = 1; i <= 7; ++i) {
    const std::string id = "B-2026-000" + std::to_string(i);
    const std::string collection = "AP-2026-000" + std::to_string(i);
    auto view = Areas().Batches().Get(quinn, id);
    ASSERT_EQ(Describe(view), "ok");
    EXPECT_EQ(view->state.starting_material, collection);
    // Chain of identity: the batch is for the collection's donor (T-01, T-02).
    EXPECT_EQ(view->state.identifiers.at("patient_code"), DonorOf(LotOf(collection)));
    EXPECT_EQ(view->state.identifiers.at("collection_id"), collection);
  }
  // One vial of vector per patient, thawed and used once: vials 1 to 7 opened, 8 to 10 whole.
  auto vector = Areas().Materials().Lot(quinn, "RM-2026-0008");
  ASSERT_EQ(Describe(vector), "ok");
  std::vector<std::string> opened;
  for (const materials::Container& vial : vector->lot.containers) {
    if (vial.balance.Millionths() < vial.initial.Millionths()) opened.push_back(vial.id);
  }
  EXPECT_THAT(opened,
              ElementsAre("RM-2026-0008/1", "RM-2026-0008/2", "RM-2026-0008/3", "RM-2026-0008/4",
                          "RM-2026-0008/5", "RM-2026-0008/6", "RM-2026-0008/7"));
}

TEST_F(DemoSiteTest, ASecondRunRefusesASiteWithUsers) {
  const Status again =
      CreateDemoSite(Areas(), world->demo, "cli:test-host", [](std::string_view) {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().Message(), HasSubstr("user accounts already"));
}

TEST_F(DemoSiteTest, ItsLedgerRebuildsTheSameProjections) {
  Ed25519SigningKey::Seed seed{};
  const Ed25519SigningKey key = Ed25519SigningKey::FromSeed(seed);
  LedgerService ledger(*world->store, world->demo, key, *world->projector);
  EXPECT_EQ(Describe(ledger.Verify({})), "ok");
}

}  // namespace
}  // namespace aliquot::app
