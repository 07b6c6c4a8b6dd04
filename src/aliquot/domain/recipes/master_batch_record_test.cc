#include "aliquot/domain/recipes/master_batch_record.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"

namespace aliquot::recipes {
namespace {

constexpr std::string_view kId = "MBR-CAR19";
constexpr std::string_view kProduct = "CAR19";
constexpr std::string_view kTerminal = "QA-WS1";
constexpr std::string_view kTitle = "Autologous anti-CD19 CAR-T, 1 L closed bag process";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);

const ledger::Actor kPreparer{"pat", "Pat Preparer"};
const ledger::Actor kContributor{"cole", "Cole Contributor"};
const ledger::Actor kChecker{"chris", "Chris Checker"};
const ledger::Actor kApprover{"quinn", "Quinn QA"};

// `days` days (and `micros` microseconds) after day 0.
Timestamp Day(std::int64_t days, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + days * kMicrosPerDay + micros);
}

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
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

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The smallest definition that may be approved: one unit procedure of one step with one
// parameter. `title` varies the content between versions.
Definition SmallDefinition(std::string_view title = kTitle) {
  const ParameterDefinition volume{.id = "bag_volume",
                                   .name = "Bag volume",
                                   .kind = ParameterKind::kNumber,
                                   .criticality = Criticality::kKeyProcessParameter,
                                   .unit = "mL",
                                   .action = {.low = 50.0, .high = 400.0}};
  const Step receipt{.id = "apheresis_receipt",
                     .name = "Receive and inspect the apheresis bag",
                     .instructions = "Check the bag label against the order.",
                     .sop = "SOP-CT-002",
                     .parameters = {volume}};
  Definition definition;
  definition.master_batch_record = std::string(kId);
  definition.product = std::string(kProduct);
  definition.title = std::string(title);
  definition.batch_size = "One patient dose from one apheresis collection (1 L culture)";
  definition.phases = {ClinicalPhase::kPhase1, ClinicalPhase::kPhase2};
  definition.unit_procedures = {
      {.id = "receipt", .name = "Apheresis receipt", .operations = {receipt}}};
  return definition;
}

DraftCommand Draft(std::optional<Timestamp> requested_effective = std::nullopt,
                   std::string_view title = kTitle) {
  return {.definition = SmallDefinition(title),
          .change_reason = "First issue of the CAR19 process",
          .requested_effective = requested_effective};
}

// The product CAR19, defined on day 0.
ProductState Car19() {
  ProductState product;
  const Result<ledger::NewEvent> defined =
      DefineProduct({},
                    {.id = std::string(kProduct),
                     .name = "Anti-CD19 CAR-T",
                     .therapy = TherapyKind::kAutologous,
                     .description = "Autologous CD19-directed CAR T cells"},
                    kApprover, kTerminal);
  EXPECT_TRUE(defined) << defined.error().ToString();
  if (!defined) return product;
  EXPECT_TRUE(Ok(ApplyProductEvent(
      product, ledger::SealEvent(*defined, 1, Day(0), ledger::kGenesisPrevHash))));
  return product;
}

// A record's stream in a test: each decided event is sealed as the next one at its time and
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
    events_.push_back(ledger::SealEvent(event, events_.size() + 1, time, prev_hash_));
    prev_hash_ = events_.back().hash;
    return ApplyMasterBatchRecordEvent(state_, events_.back());
  }

  const MasterBatchRecordState& State() const { return state_; }
  const std::vector<ledger::Event>& Events() const { return events_; }

 private:
  MasterBatchRecordState state_;
  std::vector<ledger::Event> events_;
  Hash256 prev_hash_ = ledger::kGenesisPrevHash;
};

Result<ledger::NewEvent> Sign(const History& record, SignatureMeaning meaning, Timestamp now,
                              const ledger::Actor& signer,
                              const std::optional<std::string>& comment = std::nullopt) {
  const VersionState* latest = record.State().Latest();
  return DecideVersionSignature(record.State(), latest == nullptr ? 1 : latest->number, meaning,
                                comment, now, signer, kTerminal);
}

Result<ledger::NewEvent> Create(const MasterBatchRecordState& state, const ProductState& product) {
  return CreateMasterBatchRecord(
      state, {.id = std::string(kId), .product = std::string(kProduct), .title = "CAR19 process"},
      product, kPreparer, kTerminal);
}

// MBR-CAR19, created on day 0 with no version.
History Created() {
  History record;
  EXPECT_TRUE(record.Apply(Create({}, Car19()), Day(0)));
  return record;
}

// Drafts the next version at `now` and takes it through preparation, check and approval, each by
// its own person, all at `now`.
::testing::AssertionResult Release(History& record, Timestamp now,
                                   std::optional<Timestamp> requested_effective = std::nullopt,
                                   std::string_view title = kTitle) {
  if (auto drafted =
          record.Apply(DraftVersion(record.State(), std::nullopt, Draft(requested_effective, title),
                                    now, kPreparer, kTerminal),
                       now);
      !drafted) {
    return ::testing::AssertionFailure() << "draft: " << drafted.message();
  }
  for (const auto& [meaning, signer] : std::vector<std::pair<SignatureMeaning, ledger::Actor>>{
           {SignatureMeaning::kAuthored, kPreparer},
           {SignatureMeaning::kReviewed, kChecker},
           {SignatureMeaning::kApproved, kApprover}}) {
    if (auto applied = record.Apply(Sign(record, meaning, now, signer), now); !applied) {
      return ::testing::AssertionFailure() << signer.id << ": " << applied.message();
    }
  }
  return ::testing::AssertionSuccess();
}

// Version 1 drafted on day 1 (asking for day 10), not submitted.
History WithDraft() {
  History record = Created();
  EXPECT_TRUE(record.Apply(
      DraftVersion(record.State(), std::nullopt, Draft(Day(10)), Day(1), kPreparer, kTerminal),
      Day(1)));
  return record;
}

// The same, submitted by its preparer on day 2.
History InReview() {
  History record = WithDraft();
  EXPECT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(2), kPreparer), Day(2)));
  return record;
}

// The same, checked on day 3.
History Checked() {
  History record = InReview();
  EXPECT_TRUE(record.Apply(Sign(record, SignatureMeaning::kReviewed, Day(3), kChecker), Day(3)));
  return record;
}

// Version 1 effective from day 10 (approved on day 4).
History WithEffectiveVersion1() {
  History record = Created();
  EXPECT_TRUE(Release(record, Day(4), Day(10)));
  return record;
}

// --- Products ------------------------------------------------------------------------------------

TEST(Product, IsDefinedAndRedefinedButNeverChangesItsTherapyKind_T_01) {
  const ProductState product = Car19();
  EXPECT_TRUE(product.exists);
  EXPECT_EQ(product.id, kProduct);
  EXPECT_EQ(product.name, "Anti-CD19 CAR-T");
  EXPECT_EQ(product.therapy, TherapyKind::kAutologous);
  EXPECT_EQ(product.defined_by, "quinn");
  EXPECT_EQ(product.defined_at, Day(0));

  ProductCommand renamed{.id = std::string(kProduct),
                         .name = "Anti-CD19 CAR-T (tisagenlecleucel-like)",
                         .therapy = TherapyKind::kAutologous,
                         .description = "Renamed"};
  const Result<ledger::NewEvent> redefined = DefineProduct(product, renamed, kPreparer, kTerminal);
  ASSERT_TRUE(redefined) << redefined.error().ToString();
  EXPECT_EQ(redefined->event_type, "recipes.product_defined");
  EXPECT_EQ(redefined->stream, ProductStream(kProduct));
  EXPECT_EQ(redefined->stream.type, "product");
  ProductState after = product;
  ASSERT_TRUE(Ok(ApplyProductEvent(
      after, ledger::SealEvent(*redefined, 2, Day(1), ledger::kGenesisPrevHash))));
  EXPECT_EQ(after.name, "Anti-CD19 CAR-T (tisagenlecleucel-like)");
  EXPECT_EQ(after.description, "Renamed");

  renamed.therapy = TherapyKind::kAllogeneic;
  const Result<ledger::NewEvent> changed = DefineProduct(after, renamed, kPreparer, kTerminal);
  ASSERT_TRUE(Refused(changed, ErrorCode::kFailedPrecondition, "therapy"));
  EXPECT_TRUE(Contains(changed.error().Message(), "autologous")) << changed.error().Message();
}

TEST(Product, RefusesAnInvalidIdOrAMissingName) {
  ProductCommand command{.id = "car19", .name = "Anti-CD19 CAR-T"};
  EXPECT_TRUE(
      Refused(DefineProduct({}, command, kPreparer, kTerminal), ErrorCode::kInvalidArgument, "id"));
  command.id = "C";
  EXPECT_TRUE(
      Refused(DefineProduct({}, command, kPreparer, kTerminal), ErrorCode::kInvalidArgument, "id"));
  command.id = std::string(33, 'A');
  EXPECT_TRUE(
      Refused(DefineProduct({}, command, kPreparer, kTerminal), ErrorCode::kInvalidArgument, "id"));
  command.id = "CAR-19";
  command.name = "";
  EXPECT_TRUE(Refused(DefineProduct({}, command, kPreparer, kTerminal), ErrorCode::kInvalidArgument,
                      "name"));
}

TEST(Product, NamesItsTherapyKinds) {
  for (const TherapyKind kind : {TherapyKind::kAutologous, TherapyKind::kAllogeneic}) {
    EXPECT_EQ(TherapyKindFromName(TherapyKindName(kind)), kind);
  }
  EXPECT_EQ(TherapyKindName(TherapyKind::kAllogeneic), "allogeneic");
  EXPECT_EQ(TherapyKindFromName("xenogeneic"), std::nullopt);
}

TEST(Product, ReadsBackItsStoredState) {
  const ProductState product = Car19();
  const Json json = ProductToJson(product);
  const Result<ProductState> back = ProductFromJson(json);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_TRUE(back->exists);
  EXPECT_EQ(back->id, product.id);
  EXPECT_EQ(back->name, product.name);
  EXPECT_EQ(back->therapy, product.therapy);
  EXPECT_EQ(back->description, product.description);
  EXPECT_EQ(back->defined_by, product.defined_by);
  EXPECT_EQ(back->defined_at, product.defined_at);
  EXPECT_EQ(ProductToJson(*back), json);

  Json broken = json;
  broken.Set("therapy", "xenogeneic");
  const Result<ProductState> corrupt = ProductFromJson(broken);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().Code(), ErrorCode::kDataLoss);
}

// --- Creating a record ---------------------------------------------------------------------------

TEST(MasterBatchRecord, IsCreatedForADefinedProductWithNoVersion_G_01) {
  const Result<ledger::NewEvent> created = Create({}, Car19());
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->event_type, "recipes.mbr_created");
  EXPECT_EQ(created->stream, MasterBatchRecordStream(kId));
  EXPECT_EQ(created->stream.type, "mbr");
  const History record = Created();
  EXPECT_TRUE(record.State().exists);
  EXPECT_EQ(record.State().id, kId);
  EXPECT_EQ(record.State().product, kProduct);
  EXPECT_EQ(record.State().title, "CAR19 process");
  EXPECT_EQ(record.State().created_by, "pat");
  EXPECT_EQ(record.State().created_at, Day(0));
  EXPECT_EQ(record.State().Latest(), nullptr);
  EXPECT_EQ(record.State().EffectiveAt(Day(100)), nullptr);
}

TEST(MasterBatchRecord, RefusesCreationForAnUnknownProductAnExistingIdOrAnInvalidId) {
  EXPECT_TRUE(Refused(Create({}, ProductState{}), ErrorCode::kNotFound, "product"));
  const History record = Created();
  EXPECT_TRUE(Refused(Create(record.State(), Car19()), ErrorCode::kAlreadyExists, "id"));
  EXPECT_TRUE(Refused(
      CreateMasterBatchRecord({}, {.id = "mbr car19", .product = "CAR19", .title = "CAR19 process"},
                              Car19(), kPreparer, kTerminal),
      ErrorCode::kInvalidArgument, "id"));
  EXPECT_TRUE(Refused(ValidateRecordId("MBR_CAR19", "master_batch_record"),
                      ErrorCode::kInvalidArgument, "master_batch_record"));
  EXPECT_TRUE(ValidateRecordId("MBR-CAR19", "id"));
  EXPECT_TRUE(ValidateRecordId("C1", "id"));
}

// --- The lifecycle -------------------------------------------------------------------------------

TEST(MasterBatchRecord,
     AVersionGoesFromDraftThroughCheckAndApprovalToEffectiveUntilSuperseded_G_01) {
  History record = Created();
  const Result<ledger::NewEvent> drafted =
      DraftVersion(record.State(), std::nullopt, Draft(Day(10)), Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(drafted) << drafted.error().ToString();
  EXPECT_EQ(drafted->event_type, "recipes.mbr_version_drafted");
  EXPECT_EQ(drafted->stream, MasterBatchRecordStream(kId));
  EXPECT_EQ(drafted->payload.Find("version")->AsInteger(), 1);
  EXPECT_EQ(drafted->payload.Find("requested_effective")->AsString(), Day(10).ToRfc3339());
  EXPECT_EQ(*drafted->payload.Find("definition"), DefinitionToJson(SmallDefinition()));
  ASSERT_TRUE(record.Apply(drafted, Day(1)));
  const VersionState& version1 = record.State().versions.at(0);
  EXPECT_EQ(version1.number, 1);
  EXPECT_EQ(version1.change_reason, "First issue of the CAR19 process");
  EXPECT_EQ(version1.content_sha256, DefinitionSha256(SmallDefinition()));
  EXPECT_EQ(version1.phases,
            (std::vector<ClinicalPhase>{ClinicalPhase::kPhase1, ClinicalPhase::kPhase2}));
  EXPECT_EQ(version1.requested_effective, Day(10));
  EXPECT_EQ(version1.drafted_by, "pat");
  EXPECT_EQ(version1.drafted_at, Day(1));
  EXPECT_EQ(record.State().StatusAt(version1, Day(1)), VersionStatus::kDraft);

  const Result<ledger::NewEvent> authored =
      Sign(record, SignatureMeaning::kAuthored, Day(2), kPreparer);
  ASSERT_TRUE(authored) << authored.error().ToString();
  EXPECT_EQ(authored->event_type, "recipes.mbr_version_submitted");
  ASSERT_TRUE(record.Apply(authored, Day(2)));
  EXPECT_EQ(version1.prepared_by, "pat");
  EXPECT_EQ(record.State().StatusAt(version1, Day(2)), VersionStatus::kInReview);
  EXPECT_EQ(VersionStatusName(record.State().StatusAt(version1, Day(2))), "in_review");

  const Result<ledger::NewEvent> checked =
      Sign(record, SignatureMeaning::kReviewed, Day(3), kChecker);
  ASSERT_TRUE(checked) << checked.error().ToString();
  EXPECT_EQ(checked->event_type, "recipes.mbr_version_checked");
  ASSERT_TRUE(record.Apply(checked, Day(3)));
  EXPECT_EQ(version1.checked_by, "chris");
  EXPECT_EQ(record.State().StatusAt(version1, Day(3)), VersionStatus::kInReview);

  const Result<ledger::NewEvent> approved =
      Sign(record, SignatureMeaning::kApproved, Day(4), kApprover);
  ASSERT_TRUE(approved) << approved.error().ToString();
  EXPECT_EQ(approved->event_type, "recipes.mbr_version_approved");
  EXPECT_EQ(approved->payload.Find("effective_from")->AsString(), Day(10).ToRfc3339());
  ASSERT_TRUE(record.Apply(approved, Day(4)));
  EXPECT_EQ(version1.approved_by, "quinn");
  EXPECT_EQ(version1.approved_at, Day(4));
  EXPECT_EQ(version1.effective_from, Day(10));
  EXPECT_EQ(version1.effective_until, std::nullopt);
  EXPECT_EQ(record.State().StatusAt(version1, Day(5)), VersionStatus::kApproved);
  EXPECT_EQ(record.State().StatusAt(version1, Day(10)), VersionStatus::kEffective);
  EXPECT_EQ(record.State().EffectiveAt(Day(10)), &version1);

  // Version 2, approved on day 23 for day 30, takes over on day 30.
  ASSERT_TRUE(Release(record, Day(23), Day(30), "CAR19 process, 2 L bag"));
  const MasterBatchRecordState& state = record.State();
  const VersionState* version2 = state.Version(2);
  ASSERT_NE(version2, nullptr);
  EXPECT_NE(version2->content_sha256, state.Version(1)->content_sha256);
  EXPECT_EQ(state.EffectiveAt(Day(30, -1))->number, 1);
  EXPECT_EQ(state.StatusAt(*version2, Day(30, -1)), VersionStatus::kApproved);
  EXPECT_EQ(state.EffectiveAt(Day(30))->number, 2);
  EXPECT_EQ(state.Version(1)->effective_until, Day(30));
  EXPECT_EQ(state.StatusAt(*state.Version(1), Day(30)), VersionStatus::kSuperseded);
  EXPECT_EQ(VersionStatusName(state.StatusAt(*state.Version(1), Day(30))), "superseded");
  EXPECT_EQ(state.StatusAt(*version2, Day(30)), VersionStatus::kEffective);
  EXPECT_FALSE(state.Version(1)->retired);
}

TEST(MasterBatchRecord, StatusAtAnswersForInstantsBeforeAtAndAfterEffectiveDates_G_02) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(Release(record, Day(23), Day(30), "CAR19 process, 2 L bag"));
  const MasterBatchRecordState& state = record.State();
  const VersionState& version1 = *state.Version(1);
  const VersionState& version2 = *state.Version(2);
  const std::vector<std::pair<Timestamp, std::pair<VersionStatus, VersionStatus>>> expected = {
      {Day(5), {VersionStatus::kApproved, VersionStatus::kApproved}},
      {Day(10, -1), {VersionStatus::kApproved, VersionStatus::kApproved}},
      {Day(10), {VersionStatus::kEffective, VersionStatus::kApproved}},
      {Day(10, 1), {VersionStatus::kEffective, VersionStatus::kApproved}},
      {Day(30, -1), {VersionStatus::kEffective, VersionStatus::kApproved}},
      {Day(30), {VersionStatus::kSuperseded, VersionStatus::kEffective}},
      {Day(3000), {VersionStatus::kSuperseded, VersionStatus::kEffective}}};
  for (const auto& [t, statuses] : expected) {
    EXPECT_EQ(state.StatusAt(version1, t), statuses.first) << t.ToRfc3339();
    EXPECT_EQ(state.StatusAt(version2, t), statuses.second) << t.ToRfc3339();
  }
  EXPECT_EQ(state.EffectiveAt(Day(10, -1)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(10)), &version1);
  EXPECT_EQ(state.EffectiveAt(Day(30, -1)), &version1);
  EXPECT_EQ(state.EffectiveAt(Day(30)), &version2);
}

TEST(MasterBatchRecord, AVersionApprovedWithoutADateIsEffectiveAtApproval_G_02) {
  History record = Created();
  ASSERT_TRUE(Release(record, Day(4)));
  const VersionState* version1 = record.State().Version(1);
  EXPECT_EQ(version1->effective_from, Day(4));
  EXPECT_EQ(record.State().EffectiveAt(Day(4, -1)), nullptr);
  EXPECT_EQ(record.State().EffectiveAt(Day(4)), version1);
}

// --- Segregation of duties (G-01, A11-01) --------------------------------------------------------

TEST(MasterBatchRecord, RefusesACheckByThePreparer_G_01_A11_01) {
  const History record = InReview();
  const Result<ledger::NewEvent> checked =
      Sign(record, SignatureMeaning::kReviewed, Day(3), kPreparer);
  ASSERT_TRUE(Refused(checked, ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_TRUE(Contains(checked.error().Message(), "211.186")) << checked.error().Message();
  EXPECT_TRUE(Contains(checked.error().Message(), "independently checked by a second person"))
      << checked.error().Message();
}

TEST(MasterBatchRecord, RefusesApprovalByThePreparer_G_01_A11_01) {
  const History record = Checked();
  const Result<ledger::NewEvent> approved =
      Sign(record, SignatureMeaning::kApproved, Day(4), kPreparer);
  ASSERT_TRUE(Refused(approved, ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_TRUE(Contains(approved.error().Message(), "MBR-CAR19 version 1"))
      << approved.error().Message();
}

TEST(MasterBatchRecord, RefusesApprovalByTheChecker_G_01_A11_01) {
  const History record = Checked();
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kApproved, Day(4), kChecker),
                      ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_TRUE(Sign(record, SignatureMeaning::kApproved, Day(4), kApprover));
}

TEST(MasterBatchRecord, RefusesACheckOrApprovalByAContributorToTheDraft_G_01_A11_01) {
  // Pat drafts, Cole updates the draft, Pat submits it: Cole wrote part of what is checked.
  History record = WithDraft();
  ASSERT_TRUE(record.Apply(DraftVersion(record.State(), 1, Draft(Day(10), "CAR19, Cole's edit"),
                                        Day(1), kContributor, kTerminal),
                           Day(1)));
  EXPECT_EQ(record.State().Version(1)->contributors, std::vector<std::string>{"cole"});
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(2), kPreparer), Day(2)));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kReviewed, Day(3), kContributor),
                      ErrorCode::kPermissionDenied, "meaning"));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kReviewed, Day(3), kChecker), Day(3)));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kApproved, Day(4), kContributor),
                      ErrorCode::kPermissionDenied, "meaning"));
}

TEST(MasterBatchRecord, VersionPreparersNameTheDrafterContributorsPreparerAndCheckerOnce_A11_01) {
  History record = WithDraft();
  EXPECT_EQ(VersionPreparers(*record.State().Version(1)), std::vector<std::string>{"pat"});
  ASSERT_TRUE(record.Apply(
      DraftVersion(record.State(), 1, Draft(Day(10)), Day(1), kContributor, kTerminal), Day(1)));
  ASSERT_TRUE(record.Apply(
      DraftVersion(record.State(), 1, Draft(Day(10)), Day(1), kPreparer, kTerminal), Day(1)));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(2), kPreparer), Day(2)));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kReviewed, Day(3), kChecker), Day(3)));
  EXPECT_EQ(VersionPreparers(*record.State().Version(1)),
            (std::vector<std::string>{"pat", "cole", "chris"}));
}

TEST(MasterBatchRecord, RefusesApprovalBeforeTheIndependentCheck_G_01) {
  const History record = InReview();
  const Result<ledger::NewEvent> approved =
      Sign(record, SignatureMeaning::kApproved, Day(3), kApprover);
  ASSERT_TRUE(Refused(approved, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Contains(approved.error().Message(), "not been checked"))
      << approved.error().Message();
  // A draft is neither checked nor approved.
  const History draft = WithDraft();
  EXPECT_TRUE(Refused(Sign(draft, SignatureMeaning::kApproved, Day(2), kApprover),
                      ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Refused(Sign(draft, SignatureMeaning::kReviewed, Day(2), kChecker),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(MasterBatchRecord, RefusesASecondCheckAndASecondSubmission_G_01) {
  const History record = Checked();
  const Result<ledger::NewEvent> again =
      Sign(record, SignatureMeaning::kReviewed, Day(3), kApprover);
  ASSERT_TRUE(Refused(again, ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Contains(again.error().Message(), "chris")) << again.error().Message();
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kAuthored, Day(3), kPreparer),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(MasterBatchRecord, RefusesApprovalOnceTheRequestedEffectiveDateHasPassed_G_02) {
  const History record = Checked();
  // Asked for day 10: approval on day 10 itself is in time, a microsecond later is not.
  EXPECT_TRUE(Sign(record, SignatureMeaning::kApproved, Day(10), kApprover));
  const Result<ledger::NewEvent> late =
      Sign(record, SignatureMeaning::kApproved, Day(10, 1), kApprover);
  ASSERT_TRUE(Refused(late, ErrorCode::kFailedPrecondition, "effective_from"));
  EXPECT_TRUE(Contains(late.error().Message(), Day(10).ToRfc3339())) << late.error().Message();
  // Nor is a draft submitted whose date has passed.
  EXPECT_TRUE(Refused(Sign(WithDraft(), SignatureMeaning::kAuthored, Day(11), kPreparer),
                      ErrorCode::kFailedPrecondition, "effective_from"));
}

// --- Rejection -----------------------------------------------------------------------------------

// G-01: a person who submitted a round that was rejected is still one of the version's preparers:
// after the drafter submits it again and someone checks it, the first submitter cannot approve.
TEST(MasterBatchRecord, WhoSubmittedARejectedRoundNeverApprovesTheVersion_G_01) {
  History record = WithDraft();
  ASSERT_TRUE(
      record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(2), kContributor), Day(2)));
  ASSERT_TRUE(record.Apply(
      Sign(record, SignatureMeaning::kRejected, Day(3), kChecker, "Missing the day-5 count"),
      Day(3)));
  const std::vector<std::string> preparers = VersionPreparers(*record.State().Version(1));
  EXPECT_NE(std::find(preparers.begin(), preparers.end(), "cole"), preparers.end());
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(4), kPreparer), Day(4)));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kReviewed, Day(5), kChecker), Day(5)));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kApproved, Day(6), kContributor),
                      ErrorCode::kPermissionDenied, "meaning"));
  EXPECT_TRUE(Sign(record, SignatureMeaning::kApproved, Day(6), kApprover));
}

TEST(MasterBatchRecord, ARejectedVersionReturnsToDraftWithItsReason_A11_05) {
  History record = Checked();
  const Result<ledger::NewEvent> rejected = Sign(record, SignatureMeaning::kRejected, Day(4),
                                                 kApprover, "The bag volume limits are too wide");
  ASSERT_TRUE(rejected) << rejected.error().ToString();
  EXPECT_EQ(rejected->event_type, "recipes.mbr_version_rejected");
  EXPECT_EQ(rejected->payload.Find("reason")->AsString(), "The bag volume limits are too wide");
  ASSERT_TRUE(record.Apply(rejected, Day(4)));
  const VersionState& version = *record.State().Version(1);
  EXPECT_EQ(record.State().StatusAt(version, Day(4)), VersionStatus::kDraft);
  EXPECT_EQ(version.prepared_by, std::nullopt);
  EXPECT_EQ(version.checked_by, std::nullopt);

  // The preparer changes the same version, which goes round again from its check.
  const Result<ledger::NewEvent> updated =
      DraftVersion(record.State(), 1, Draft(Day(10), "CAR19 process, tighter limits"), Day(5),
                   kPreparer, kTerminal);
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ(updated->payload.Find("version")->AsInteger(), 1);
  ASSERT_TRUE(record.Apply(updated, Day(5)));
  EXPECT_EQ(record.State().versions.size(), 1U);
  EXPECT_EQ(record.State().Version(1)->content_sha256,
            DefinitionSha256(SmallDefinition("CAR19 process, tighter limits")));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(6), kPreparer), Day(6)));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kApproved, Day(6), kApprover),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

TEST(MasterBatchRecord, RefusesARejectionWithoutAReason_A11_05) {
  const History record = InReview();
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kRejected, Day(3), kApprover),
                      ErrorCode::kInvalidArgument, "comment"));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kRejected, Day(3), kApprover, "  \n"),
                      ErrorCode::kInvalidArgument, "comment"));
  EXPECT_TRUE(Refused(Sign(WithDraft(), SignatureMeaning::kRejected, Day(3), kApprover, "No"),
                      ErrorCode::kFailedPrecondition, "meaning"));
}

// --- Immutability (G-02) -------------------------------------------------------------------------

TEST(MasterBatchRecord, RefusesToChangeAnEffectiveVersion_G_02) {
  const History record = WithEffectiveVersion1();
  const Result<ledger::NewEvent> changed =
      DraftVersion(record.State(), 1, Draft(), Day(12), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(changed, ErrorCode::kFailedPrecondition, "version"));
  EXPECT_TRUE(Contains(changed.error().Message(),
                       "version 1 is effective and cannot change; import the change as a new "
                       "version"))
      << changed.error().Message();
}

TEST(MasterBatchRecord, RefusesToChangeAnApprovedVersionWaitingForItsDate_G_02) {
  const History record = WithEffectiveVersion1();  // Approved day 4 for day 10.
  const Result<ledger::NewEvent> changed =
      DraftVersion(record.State(), 1, Draft(), Day(5), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(changed, ErrorCode::kFailedPrecondition, "version"));
  EXPECT_TRUE(Contains(changed.error().Message(), "approved")) << changed.error().Message();
}

TEST(MasterBatchRecord, RefusesToChangeAVersionInReview_G_02) {
  const History record = InReview();
  const Result<ledger::NewEvent> changed =
      DraftVersion(record.State(), 1, Draft(Day(10)), Day(2), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(changed, ErrorCode::kFailedPrecondition, "version"));
  EXPECT_TRUE(Contains(changed.error().Message(), "version 1 is in review and cannot change"))
      << changed.error().Message();
}

TEST(MasterBatchRecord, RefusesToChangeASupersededVersion_G_02) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(Release(record, Day(20), std::nullopt, "CAR19 process, 2 L bag"));
  const Result<ledger::NewEvent> changed =
      DraftVersion(record.State(), 1, Draft(), Day(21), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(changed, ErrorCode::kFailedPrecondition, "version"));
  EXPECT_TRUE(Contains(changed.error().Message(), "superseded")) << changed.error().Message();
  EXPECT_TRUE(Refused(DraftVersion(record.State(), 7, Draft(), Day(21), kPreparer, kTerminal),
                      ErrorCode::kNotFound, "version"));
}

TEST(MasterBatchRecord, RefusesANewVersionWhileOneIsInReviewADraftOrWaiting_G_02) {
  const Result<ledger::NewEvent> in_review =
      DraftVersion(InReview().State(), std::nullopt, Draft(), Day(3), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(in_review, ErrorCode::kFailedPrecondition, "master_batch_record"));
  EXPECT_TRUE(Contains(in_review.error().Message(), "version 1 is in review"))
      << in_review.error().Message();

  const Result<ledger::NewEvent> draft =
      DraftVersion(WithDraft().State(), std::nullopt, Draft(), Day(3), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(draft, ErrorCode::kFailedPrecondition, "master_batch_record"));
  EXPECT_TRUE(Contains(draft.error().Message(), "draft")) << draft.error().Message();

  const History waiting = WithEffectiveVersion1();
  const Result<ledger::NewEvent> early =
      DraftVersion(waiting.State(), std::nullopt, Draft(), Day(5), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(early, ErrorCode::kFailedPrecondition, "master_batch_record"));
  EXPECT_TRUE(Contains(early.error().Message(), Day(10).ToRfc3339())) << early.error().Message();
  // From its effective date the next version may start.
  const Result<ledger::NewEvent> next =
      DraftVersion(waiting.State(), std::nullopt, Draft(), Day(10), kPreparer, kTerminal);
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->payload.Find("version")->AsInteger(), 2);
}

TEST(MasterBatchRecord, RefusesADefinitionOfAnotherRecordOrProduct_G_02) {
  const History record = Created();
  DraftCommand other_record = Draft();
  other_record.definition.master_batch_record = "MBR-CAR22";
  const Result<ledger::NewEvent> wrong_record =
      DraftVersion(record.State(), std::nullopt, other_record, Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(wrong_record, ErrorCode::kInvalidArgument, "master_batch_record"));
  EXPECT_TRUE(Contains(wrong_record.error().Message(), "MBR-CAR22"))
      << wrong_record.error().Message();

  DraftCommand other_product = Draft();
  other_product.definition.product = "CAR22";
  const Result<ledger::NewEvent> wrong_product =
      DraftVersion(record.State(), std::nullopt, other_product, Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(Refused(wrong_product, ErrorCode::kInvalidArgument, "product"));
  EXPECT_TRUE(Contains(wrong_product.error().Message(), "product: CAR19"))
      << wrong_product.error().Message();
}

TEST(MasterBatchRecord, RefusesADraftWithoutAChangeReasonOrDatedInThePast_P11_10) {
  const History record = Created();
  DraftCommand command = Draft();
  command.change_reason = " \t ";
  EXPECT_TRUE(
      Refused(DraftVersion(record.State(), std::nullopt, command, Day(1), kPreparer, kTerminal),
              ErrorCode::kInvalidArgument, "change_reason"));
  // Surrounding space is not part of the reason.
  command.change_reason = "  New bag supplier  ";
  const Result<ledger::NewEvent> trimmed =
      DraftVersion(record.State(), std::nullopt, command, Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(trimmed) << trimmed.error().ToString();
  EXPECT_EQ(trimmed->payload.Find("change_reason")->AsString(), "New bag supplier");
  EXPECT_TRUE(Refused(
      DraftVersion(record.State(), std::nullopt, Draft(Day(1, -1)), Day(1), kPreparer, kTerminal),
      ErrorCode::kInvalidArgument, "effective_from"));
  EXPECT_TRUE(Refused(
      DraftVersion(MasterBatchRecordState{}, std::nullopt, Draft(), Day(1), kPreparer, kTerminal),
      ErrorCode::kNotFound, "master_batch_record"));
}

// --- The definition a draft carries --------------------------------------------------------------

TEST(MasterBatchRecord, DraftedDefinitionReturnsTheExactDefinitionOfTheDraft_G_02) {
  History record = WithDraft();
  ASSERT_TRUE(record.Apply(DraftVersion(record.State(), 1, Draft(Day(10), "CAR19, second draft"),
                                        Day(1), kContributor, kTerminal),
                           Day(1)));
  const std::vector<ledger::Event>& events = record.Events();
  ASSERT_EQ(events.size(), 3U);
  const Result<std::pair<int, Definition>> first = DraftedDefinition(events[1]);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->first, 1);
  EXPECT_EQ(first->second, SmallDefinition());
  const Result<std::pair<int, Definition>> second = DraftedDefinition(events[2]);
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->second, SmallDefinition("CAR19, second draft"));
  // The version's hash is the hash of what the latest draft event carries.
  EXPECT_EQ(record.State().Version(1)->content_sha256, DefinitionSha256(second->second));
  EXPECT_EQ(DefinitionSha256(SmallDefinition()),
            Sha256::Of(CanonicalJson(DefinitionToJson(SmallDefinition()))).Hex());

  // Not a draft event.
  const Result<std::pair<int, Definition>> created = DraftedDefinition(events[0]);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().Code(), ErrorCode::kDataLoss);
}

TEST(MasterBatchRecord, DraftedDefinitionIsDataLossWhenTheDefinitionDoesNotMatchItsHash_P11_01) {
  const History record = Created();
  Result<ledger::NewEvent> drafted =
      DraftVersion(record.State(), std::nullopt, Draft(), Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(drafted) << drafted.error().ToString();
  // Another definition under the first one's hash.
  drafted->payload.Set("definition", DefinitionToJson(SmallDefinition("Something else")));
  const Result<std::pair<int, Definition>> swapped =
      DraftedDefinition(ledger::SealEvent(*drafted, 2, Day(1), ledger::kGenesisPrevHash));
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().Code(), ErrorCode::kDataLoss);
  // A definition that does not read back.
  Json unreadable = Json::MakeObject();
  unreadable.Set("format", "aliquot.mbr/0");
  drafted->payload.Set("definition", unreadable);
  drafted->payload.Set("content_sha256", Sha256::Of(CanonicalJson(unreadable)).Hex());
  const Result<std::pair<int, Definition>> unread =
      DraftedDefinition(ledger::SealEvent(*drafted, 2, Day(1), ledger::kGenesisPrevHash));
  ASSERT_FALSE(unread);
  EXPECT_EQ(unread.error().Code(), ErrorCode::kDataLoss);
}

// --- Retirement ----------------------------------------------------------------------------------

TEST(MasterBatchRecord, ARetiredRecordHasNoEffectiveVersionFromItsDate_P11_10) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(Release(record, Day(20), std::nullopt, "CAR19 process, 2 L bag"));
  const Result<ledger::NewEvent> proposed = ProposeRetirement(
      record.State(), "CAR19 is discontinued", Day(40), Day(32), kPreparer, kTerminal);
  ASSERT_TRUE(proposed) << proposed.error().ToString();
  EXPECT_EQ(proposed->event_type, "recipes.mbr_retirement_proposed");
  ASSERT_TRUE(record.Apply(proposed, Day(32)));
  EXPECT_EQ(record.State().retirement_effective, Day(40));
  EXPECT_EQ(record.State().retirement_reason, "CAR19 is discontinued");
  EXPECT_EQ(record.State().retirement_proposed_by, "pat");
  EXPECT_EQ(record.State().EffectiveAt(Day(45))->number, 2) << "proposed, not yet approved";

  const Result<ledger::NewEvent> retired =
      ApproveRetirement(record.State(), Day(33), kApprover, kTerminal);
  ASSERT_TRUE(retired) << retired.error().ToString();
  EXPECT_EQ(retired->event_type, "recipes.mbr_retired");
  ASSERT_TRUE(record.Apply(retired, Day(33)));
  const MasterBatchRecordState& state = record.State();
  EXPECT_EQ(state.retired_from, Day(40));
  const VersionState& version1 = *state.Version(1);
  const VersionState& version2 = *state.Version(2);
  EXPECT_EQ(state.EffectiveAt(Day(40, -1)), &version2);
  EXPECT_EQ(state.EffectiveAt(Day(40)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(4000)), nullptr);
  EXPECT_EQ(state.StatusAt(version2, Day(40, -1)), VersionStatus::kEffective);
  EXPECT_EQ(state.StatusAt(version2, Day(40)), VersionStatus::kRetired);
  EXPECT_EQ(VersionStatusName(state.StatusAt(version2, Day(40))), "retired");
  EXPECT_TRUE(version2.retired);
  // Version 1 was superseded before the retirement and stays so.
  EXPECT_FALSE(version1.retired);
  EXPECT_EQ(state.StatusAt(version1, Day(40)), VersionStatus::kSuperseded);
  EXPECT_EQ(state.EffectiveAt(Day(15)), &version1);
}

TEST(MasterBatchRecord, AVersionWaitingAtRetirementNeverBecomesEffective_P11_10) {
  History record = WithEffectiveVersion1();
  // Version 2 waits for day 30; the record is retired from day 28.
  ASSERT_TRUE(Release(record, Day(23), Day(30), "CAR19 process, 2 L bag"));
  ASSERT_TRUE(record.Apply(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(28),
                                             Day(24), kPreparer, kTerminal),
                           Day(24)));
  ASSERT_TRUE(
      record.Apply(ApproveRetirement(record.State(), Day(24), kApprover, kTerminal), Day(24)));
  const MasterBatchRecordState& state = record.State();
  EXPECT_EQ(state.EffectiveAt(Day(27))->number, 1);
  EXPECT_EQ(state.EffectiveAt(Day(28)), nullptr);
  EXPECT_EQ(state.EffectiveAt(Day(30)), nullptr);
  EXPECT_EQ(state.StatusAt(*state.Version(1), Day(28)), VersionStatus::kRetired);
  EXPECT_EQ(state.StatusAt(*state.Version(2), Day(25)), VersionStatus::kApproved);
  EXPECT_EQ(state.StatusAt(*state.Version(2), Day(30)), VersionStatus::kRetired);
  EXPECT_TRUE(state.Version(2)->retired);
}

TEST(MasterBatchRecord, ARetirementApprovedAfterItsProposedDateStartsAtApproval_P11_10) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(record.Apply(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(20),
                                             Day(15), kPreparer, kTerminal),
                           Day(15)));
  ASSERT_TRUE(
      record.Apply(ApproveRetirement(record.State(), Day(25), kApprover, kTerminal), Day(25)));
  EXPECT_EQ(record.State().retired_from, Day(25));
  EXPECT_EQ(record.State().EffectiveAt(Day(25, -1))->number, 1);
  EXPECT_EQ(record.State().EffectiveAt(Day(25)), nullptr);
}

TEST(MasterBatchRecord, RefusesRetirementOutOfOrder_P11_10) {
  // Nothing effective or waiting: a draft is not retired.
  EXPECT_TRUE(Refused(
      ProposeRetirement(WithDraft().State(), "Not needed", Day(5), Day(2), kPreparer, kTerminal),
      ErrorCode::kFailedPrecondition, "master_batch_record"));
  History record = WithEffectiveVersion1();
  // Nothing proposed: nothing to approve.
  EXPECT_TRUE(Refused(ApproveRetirement(record.State(), Day(12), kApprover, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Refused(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(11), Day(12),
                                        kPreparer, kTerminal),
                      ErrorCode::kInvalidArgument, "effective_from"));
  EXPECT_TRUE(Refused(ProposeRetirement(record.State(), "", Day(20), Day(12), kPreparer, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  ASSERT_TRUE(record.Apply(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(20),
                                             Day(12), kPreparer, kTerminal),
                           Day(12)));
  // Once proposed, no new version starts.
  EXPECT_TRUE(
      Refused(DraftVersion(record.State(), std::nullopt, Draft(), Day(13), kPreparer, kTerminal),
              ErrorCode::kFailedPrecondition, "master_batch_record"));
  ASSERT_TRUE(
      record.Apply(ApproveRetirement(record.State(), Day(13), kApprover, kTerminal), Day(13)));
  EXPECT_TRUE(Refused(ApproveRetirement(record.State(), Day(14), kApprover, kTerminal),
                      ErrorCode::kFailedPrecondition, "meaning"));
  EXPECT_TRUE(Refused(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(30), Day(14),
                                        kPreparer, kTerminal),
                      ErrorCode::kFailedPrecondition, "master_batch_record"));
  EXPECT_TRUE(
      Refused(DraftVersion(record.State(), std::nullopt, Draft(), Day(50), kPreparer, kTerminal),
              ErrorCode::kFailedPrecondition, "master_batch_record"));
}

TEST(MasterBatchRecord, ADraftLeftAtRetirementIsNeverSignedAfterIt_P11_10) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(record.Apply(
      DraftVersion(record.State(), std::nullopt, Draft(std::nullopt, "CAR19 process, 2 L bag"),
                   Day(15), kPreparer, kTerminal),
      Day(15)));
  ASSERT_TRUE(record.Apply(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(25),
                                             Day(20), kPreparer, kTerminal),
                           Day(20)));
  ASSERT_TRUE(
      record.Apply(ApproveRetirement(record.State(), Day(21), kApprover, kTerminal), Day(21)));
  EXPECT_TRUE(Refused(Sign(record, SignatureMeaning::kAuthored, Day(30), kPreparer),
                      ErrorCode::kFailedPrecondition, "master_batch_record"));
  EXPECT_TRUE(Refused(DraftVersion(record.State(), 2, Draft(), Day(30), kPreparer, kTerminal),
                      ErrorCode::kFailedPrecondition, "master_batch_record"));
}

TEST(MasterBatchRecord, RefusesRetirementWhileAVersionIsInReview_P11_10) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(record.Apply(
      DraftVersion(record.State(), std::nullopt, Draft(std::nullopt, "CAR19 process, 2 L bag"),
                   Day(12), kPreparer, kTerminal),
      Day(12)));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(12), kPreparer), Day(12)));
  EXPECT_TRUE(Refused(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(20), Day(13),
                                        kPreparer, kTerminal),
                      ErrorCode::kFailedPrecondition, "master_batch_record"));
}

// --- Folding events ------------------------------------------------------------------------------

ledger::NewEvent RawEvent(std::string_view type, int version) {
  ledger::NewEvent event =
      ledger::NewEvent::On(MasterBatchRecordStream(kId), type, kPreparer, kTerminal);
  event.payload.Set("version", version);
  return event;
}

TEST(MasterBatchRecord, AnEventThatDoesNotFitTheStateIsDataLoss_P11_01) {
  History record = Created();
  const auto data_loss = [](const Status& status) {
    return !status && status.error().Code() == ErrorCode::kDataLoss;
  };
  // Submitted before any version was drafted.
  EXPECT_TRUE(data_loss(record.Seal(RawEvent("recipes.mbr_version_submitted", 1), Day(1))));
  // A draft numbered out of order, and one without its definition.
  Result<ledger::NewEvent> drafted =
      DraftVersion(record.State(), std::nullopt, Draft(), Day(1), kPreparer, kTerminal);
  ASSERT_TRUE(drafted) << drafted.error().ToString();
  ledger::NewEvent skipped = *drafted;
  skipped.payload.Set("version", 2);
  EXPECT_TRUE(data_loss(record.Seal(skipped, Day(1))));
  ledger::NewEvent bare = *drafted;
  bare.payload.Set("definition", "none");
  EXPECT_TRUE(data_loss(record.Seal(bare, Day(1))));
  ledger::NewEvent unhashed = *drafted;
  unhashed.payload.Set("content_sha256", "abc");
  EXPECT_TRUE(data_loss(record.Seal(unhashed, Day(1))));
  ledger::NewEvent unknown_phase = *drafted;
  Json definition = *drafted->payload.Find("definition");
  definition.Set("phases", Json(Json::Array{Json("phase_9")}));
  unknown_phase.payload.Set("definition", definition);
  EXPECT_TRUE(data_loss(record.Seal(unknown_phase, Day(1))));
  EXPECT_TRUE(record.State().versions.empty());
  // An approval of a version never checked.
  ASSERT_TRUE(record.Apply(drafted, Day(1)));
  ASSERT_TRUE(record.Apply(Sign(record, SignatureMeaning::kAuthored, Day(2), kPreparer), Day(2)));
  ledger::NewEvent approved = RawEvent("recipes.mbr_version_approved", 1);
  approved.payload.Set("effective_from", Day(2).ToRfc3339());
  EXPECT_TRUE(data_loss(record.Seal(approved, Day(2))));
  // A new draft while version 1 is in review is not an update of it.
  EXPECT_TRUE(data_loss(record.Seal(*drafted, Day(2))));
  // An event type the area never writes.
  EXPECT_TRUE(data_loss(record.Seal(RawEvent("recipes.mbr_version_shredded", 1), Day(2))));
  // A second creation.
  const Result<ledger::NewEvent> created = Create({}, Car19());
  ASSERT_TRUE(created);
  EXPECT_TRUE(data_loss(record.Seal(*created, Day(2))));
}

TEST(MasterBatchRecord, AnEventBeforeTheRecordWasCreatedIsDataLoss_P11_01) {
  History record;
  const Status submitted = record.Seal(RawEvent("recipes.mbr_version_submitted", 1), Day(1));
  ASSERT_FALSE(submitted);
  EXPECT_EQ(submitted.error().Code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(record.State().exists);
  ProductState product;
  const Status not_product = ApplyProductEvent(
      product,
      ledger::SealEvent(RawEvent("recipes.mbr_created", 1), 1, Day(1), ledger::kGenesisPrevHash));
  ASSERT_FALSE(not_product);
  EXPECT_EQ(not_product.error().Code(), ErrorCode::kDataLoss);
}

// --- The stored state ----------------------------------------------------------------------------

TEST(MasterBatchRecord, ReadsBackItsStoredStateWithEveryVersion) {
  History record = WithEffectiveVersion1();
  ASSERT_TRUE(Release(record, Day(23), Day(30), "CAR19 process, 2 L bag"));
  ASSERT_TRUE(record.Apply(
      DraftVersion(record.State(), std::nullopt, Draft(Day(50), "CAR19 process, 3 L bag"), Day(31),
                   kPreparer, kTerminal),
      Day(31)));
  ASSERT_TRUE(
      record.Apply(DraftVersion(record.State(), 3, Draft(Day(50), "CAR19 process, 3 L bag, v2"),
                                Day(31), kContributor, kTerminal),
                   Day(31)));
  ASSERT_TRUE(record.Apply(ProposeRetirement(record.State(), "CAR19 is discontinued", Day(40),
                                             Day(32), kPreparer, kTerminal),
                           Day(32)));
  ASSERT_TRUE(
      record.Apply(ApproveRetirement(record.State(), Day(33), kApprover, kTerminal), Day(33)));
  const MasterBatchRecordState& state = record.State();
  const Json json = MasterBatchRecordToJson(state);
  const Result<MasterBatchRecordState> back = MasterBatchRecordFromJson(json);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(MasterBatchRecordToJson(*back), json);
  EXPECT_TRUE(back->exists);
  EXPECT_EQ(back->id, kId);
  EXPECT_EQ(back->product, kProduct);
  EXPECT_EQ(back->created_at, Day(0));
  EXPECT_EQ(back->retirement_reason, "CAR19 is discontinued");
  EXPECT_EQ(back->retired_from, Day(40));
  ASSERT_EQ(back->versions.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const VersionState& was = state.versions[i];
    const VersionState& read = back->versions[i];
    EXPECT_EQ(read.number, was.number);
    EXPECT_EQ(read.stage, was.stage);
    EXPECT_EQ(read.change_reason, was.change_reason);
    EXPECT_EQ(read.phases, was.phases);
    EXPECT_EQ(read.content_sha256, was.content_sha256);
    EXPECT_EQ(read.requested_effective, was.requested_effective);
    EXPECT_EQ(read.drafted_by, was.drafted_by);
    EXPECT_EQ(read.drafted_at, was.drafted_at);
    EXPECT_EQ(read.contributors, was.contributors);
    EXPECT_EQ(read.prepared_by, was.prepared_by);
    EXPECT_EQ(read.checked_by, was.checked_by);
    EXPECT_EQ(read.approved_by, was.approved_by);
    EXPECT_EQ(read.approved_at, was.approved_at);
    EXPECT_EQ(read.effective_from, was.effective_from);
    EXPECT_EQ(read.effective_until, was.effective_until);
    EXPECT_EQ(read.retired, was.retired);
  }
  EXPECT_EQ(back->versions[2].contributors, std::vector<std::string>{"cole"});
  EXPECT_EQ(back->StatusAt(back->versions[1], Day(40)), VersionStatus::kRetired);
  EXPECT_EQ(back->StatusAt(back->versions[0], Day(40)), VersionStatus::kSuperseded);

  Json broken = json;
  broken.Set("versions", Json(Json::Array{Json("version 1")}));
  const Result<MasterBatchRecordState> corrupt = MasterBatchRecordFromJson(broken);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().Code(), ErrorCode::kDataLoss);
}

// --- Any sequence of commands --------------------------------------------------------------------

// A uniform choice in [low, high): RapidCheck's inRange narrows the range at small sizes, which
// would make the first cases draft and nothing else.
template <typename T>
T Uniform(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high));
}

// Verifies G-01, G-02 and A11-01 on random histories: whatever four people do, in any order, at
// most one version is effective at any instant, a version's content never changes once it left
// draft (nor once approved), every approved version was checked and approved by people who did not
// prepare it, and which version was effective at a past instant never changes.
RC_GTEST_PROP(MasterBatchRecord, AnySequenceOfCommandsKeepsTheLifecycleRules_G_01_G_02_A11_01, ()) {
  const std::vector<ledger::Actor> people = {kPreparer, kContributor, kChecker, kApprover};
  const std::vector<std::string_view> titles = {kTitle, "CAR19 process, 2 L bag",
                                                "CAR19 process, tighter limits"};
  History record;
  RC_ASSERT(record.Apply(Create({}, Car19()), Day(0)));
  std::int64_t now_micros = Day(1).Micros();
  std::map<int, std::string> left_draft_with;  // Versions out of draft: the content they had.
  std::map<int, std::string> approved_with;
  std::map<std::int64_t, int> answered;  // Past instant -> version effective then (0: none).

  const int steps = 20 + *rc::gen::inRange(0, 130);
  for (int step = 0; step < steps; ++step) {
    now_micros += Uniform<std::int64_t>(0, 4) * (kMicrosPerDay / 4);
    const Timestamp now = Timestamp::FromMicros(now_micros);
    const ledger::Actor& actor = people[Uniform<std::size_t>(0, people.size())];
    const MasterBatchRecordState& state = record.State();
    const int latest = state.Latest() == nullptr ? 0 : state.Latest()->number;
    // Mostly the latest version; now and then another, or one that does not exist.
    const int number = Uniform<int>(0, 5) == 0 ? Uniform<int>(1, latest + 2) : std::max(latest, 1);
    const std::optional<Timestamp> requested =
        *rc::gen::arbitrary<bool>()
            ? std::nullopt
            : std::optional<Timestamp>(Timestamp::FromMicros(
                  now_micros + Uniform<std::int64_t>(0, 24) * (kMicrosPerDay / 4)));
    DraftCommand draft = Draft(requested, *rc::gen::elementOf(titles));
    draft.change_reason = "Process change " + std::to_string(step);

    Result<ledger::NewEvent> decided = Unexpected(Internal("no command"));
    // Retirement ends every history, so it comes rarely.
    const int kind = Uniform<int>(0, 40);
    if (kind < 6) {
      decided = DraftVersion(state, std::nullopt, draft, now, actor, kTerminal);
    } else if (kind < 10) {
      decided = DraftVersion(state, number, draft, now, actor, kTerminal);
    } else if (kind < 38) {
      // Half the time the meaning the version's stage calls for, so that histories get far.
      const VersionState* signed_version = state.Version(number);
      SignatureMeaning meaning =
          *rc::gen::element(SignatureMeaning::kAuthored, SignatureMeaning::kReviewed,
                            SignatureMeaning::kApproved, SignatureMeaning::kRejected);
      if (signed_version != nullptr && *rc::gen::arbitrary<bool>()) {
        meaning = signed_version->stage == Stage::kDraft ? SignatureMeaning::kAuthored
                  : signed_version->checked_by           ? SignatureMeaning::kApproved
                                                         : SignatureMeaning::kReviewed;
      }
      const std::optional<std::string> comment =
          *rc::gen::element<std::optional<std::string>>(std::nullopt, "The limits are too wide");
      decided = DecideVersionSignature(state, number, meaning, comment, now, actor, kTerminal);
    } else if (kind == 38) {
      decided = ProposeRetirement(
          state, "CAR19 is discontinued",
          Timestamp::FromMicros(now_micros + Uniform<std::int64_t>(0, 40) * (kMicrosPerDay / 4)),
          now, actor, kTerminal);
    } else {
      decided = ApproveRetirement(state, now, actor, kTerminal);
    }
    if (decided) {
      RC_ASSERT(record.Apply(decided, now));
    } else {
      const ErrorCode code = decided.error().Code();
      RC_ASSERT(code == ErrorCode::kFailedPrecondition || code == ErrorCode::kPermissionDenied ||
                code == ErrorCode::kInvalidArgument || code == ErrorCode::kNotFound);
    }

    for (const VersionState& version : record.State().versions) {
      if (version.stage == Stage::kDraft) {
        RC_ASSERT(approved_with.count(version.number) == 0U);
        left_draft_with.erase(version.number);
        continue;
      }
      RC_ASSERT(left_draft_with.try_emplace(version.number, version.content_sha256).first->second ==
                version.content_sha256);
      if (version.stage != Stage::kApproved) continue;
      RC_ASSERT(approved_with.try_emplace(version.number, version.content_sha256).first->second ==
                version.content_sha256);
      // G-01, A11-01: prepared, independently checked, and approved by a third person.
      RC_ASSERT(version.prepared_by.has_value());
      RC_ASSERT(version.checked_by.has_value());
      RC_ASSERT(version.approved_by.has_value());
      const std::vector<std::string> preparers = VersionPreparers(version);
      RC_ASSERT(std::find(preparers.begin(), preparers.end(), *version.approved_by) ==
                preparers.end());
      RC_ASSERT(*version.checked_by != *version.prepared_by);
      RC_ASSERT(*version.checked_by != version.drafted_by);
      RC_ASSERT(std::find(version.contributors.begin(), version.contributors.end(),
                          *version.checked_by) == version.contributors.end());
    }

    // At most one version effective at every instant where anything changes, and either side.
    std::vector<std::int64_t> instants;
    for (const ledger::Event& event : record.Events()) instants.push_back(event.time.Micros());
    for (const VersionState& version : record.State().versions) {
      if (version.effective_from) instants.push_back(version.effective_from->Micros());
      if (version.effective_until) instants.push_back(version.effective_until->Micros());
    }
    for (const std::int64_t instant : instants) {
      for (const std::int64_t offset : {-1, 0, 1}) {
        const Timestamp t = Timestamp::FromMicros(instant + offset);
        int effective = 0;
        for (const VersionState& version : record.State().versions) {
          if (version.EffectiveAt(t)) ++effective;
        }
        RC_ASSERT(effective <= 1);
      }
    }

    // P11-05: what was effective before now stays the answer whatever happens later.
    for (const auto& [instant, number_then] : answered) {
      const VersionState* effective = record.State().EffectiveAt(Timestamp::FromMicros(instant));
      RC_ASSERT((effective == nullptr ? 0 : effective->number) == number_then);
    }
    const VersionState* effective_before =
        record.State().EffectiveAt(Timestamp::FromMicros(now_micros - 1));
    answered[now_micros - 1] = effective_before == nullptr ? 0 : effective_before->number;
  }

  RC_CLASSIFY(approved_with.size() >= 2, "two or more versions approved");
  RC_CLASSIFY(record.State().retired_from.has_value(), "retired");
  const Json json = MasterBatchRecordToJson(record.State());
  const Result<MasterBatchRecordState> back = MasterBatchRecordFromJson(json);
  RC_ASSERT(back.has_value());
  RC_ASSERT(MasterBatchRecordToJson(*back) == json);
}

}  // namespace
}  // namespace aliquot::recipes
