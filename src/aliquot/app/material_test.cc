// The materials area as the server wires it: a real SQLite store in a temporary folder, every
// area's projector, a FakeClock, and a bootstrapped site whose people sign in with their own roles
// and sign releases and qualifications with their passwords. Each test drives MaterialService as
// requests do and asserts what the warehouse, an operator, QA or an investigator tracing a lot
// would see; every test ends by checking that the projections rebuilt from the ledger equal the
// live tables.
#include "aliquot/domain/materials/material.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/batch_service.h"
#include "aliquot/app/document_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/material_records.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/services.h"
#include "aliquot/app/training_service.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/documents/document.h"
#include "aliquot/domain/materials/genealogy.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/supplier.h"
#include "aliquot/domain/recipes/master_batch_record.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/one_step_recipe.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using identity::Meaning;
using identity::Role;
using materials::Amount;
using materials::Destination;
using materials::Direction;
using ::testing::HasSubstr;

constexpr std::string_view kSite = "LEI";
// Every person's password after their first sign-in.
constexpr std::string_view kPassword = "Leiden-cells-2026";
constexpr std::int64_t kMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = kMicrosPerDay;
// What the batches here are made from: product CAR-MAT's master batch record MBR-MAT, whose one
// step, governed by SOP-MAT-001, consumes the materials the test names.
constexpr std::string_view kSop = "SOP-MAT-001";
constexpr std::string_view kProduct = "CAR-MAT";
constexpr std::string_view kRecipe = "MBR-MAT";
constexpr std::string_view kStep = "culture";

// "failed_precondition on lot", or "accepted": a refusal as a screen shows it, by its code and the
// field it points at.
template <typename T>
std::string Refusal(const Result<T>& result) {
  if (result) return "accepted";
  return std::string(ErrorCodeName(result.error().Code())) + " on " + result.error().Field();
}

Ed25519SigningKey::Seed FixedSeed() {
  Ed25519SigningKey::Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(7 * i + 1);
  return seed;
}

Timestamp Plus(Timestamp t, std::int64_t micros) {
  return Timestamp::FromMicros(t.Micros() + micros);
}

Amount Millilitres(std::int64_t whole) { return Amount::FromMillionths(whole * Amount::kScale); }

// A patient or donor code as the label printer makes it: "DIN-", the body, its check character.
std::string PatientCode(const std::string& body) {
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

Json PayloadOf(const ledger::Event& event) {
  auto payload = ParseJson(event.payload);
  EXPECT_TRUE(payload) << event.payload;
  return payload ? *payload : Json::MakeObject();
}

std::string StringMember(const Json& json, std::string_view name) {
  const Json* value = json.Find(name);
  return value != nullptr && value->IsString() ? value->AsString() : std::string();
}

double NumberMember(const Json& json, std::string_view name) {
  const Json* value = json.Find(name);
  return value != nullptr && value->IsNumber() ? value->AsNumber() : -1;
}

// One row as text, for comparisons whose failures print readably.
std::string RowText(const Row& row) {
  std::string text;
  for (const Value& value : row) text += (text.empty() ? "" : " | ") + ValueToString(value);
  return text;
}

ConsumeInput Consumption(std::string scanned, std::string material, double quantity,
                         Destination::Kind kind, std::string into) {
  ConsumeInput input;
  input.use.scanned = std::move(scanned);
  input.use.material = std::move(material);
  input.use.quantity = quantity;
  input.use.unit = "mL";
  input.into = {kind, std::move(into)};
  return input;
}

// A site freshly bootstrapped, with one person per role the materials area needs: wendy
// (warehouse), carlos (QC analyst), quinn (QA reviewer), anna and alex (QA approvers), oliver and
// priya (operators); and, for the batches lots go into and come out of, dora (document owner) and
// vera (verifier, who creates batches and holds them). Their sessions stay open for the test, as
// at their terminals.
class MaterialSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::SqliteStoreOptions options;
    options.path = (dir_ / "aliquot.db").string();
    options.mode = storage::OpenMode::kReadWriteCreate;
    auto store = storage::SqliteStore::Open(options, clock_, *projector_);
    ASSERT_EQ(Describe(store), "ok");
    store_ = std::move(*store);
    auto services = Services::Create(*store_, *store_, clock_, credentials_key_,
                                     {PasswordHashCost::Minimum(), kDefaultMaxUploadBytes});
    ASSERT_EQ(Describe(services), "ok");
    services_ = std::move(*services);
    ledger_ = std::make_unique<LedgerService>(*store_, clock_, signing_key_, *projector_);

    BootstrapCommand command;
    command.site = {std::string(kSite), "Leiden Cell Therapy Unit", {}};
    command.administrator_id = "sam";
    command.administrator_name = "Sam de Boer";
    command.terminal.id = "LEI-QA-WS1";
    command.terminal.name = "QA office workstation 1";
    command.terminal.location = "QA office, first floor";
    command.terminal.kind = identity::TerminalKind::kWorkstation;
    auto bootstrapped = services_->Identity().identity.Bootstrap(command, "cli:lab-1");
    ASSERT_EQ(Describe(bootstrapped), "ok");
    terminal_token_ = bootstrapped->terminal_token;
    auto admin = FirstSignIn("sam", bootstrapped->temporary_password);
    ASSERT_EQ(Describe(admin), "ok");
    admin_ = *admin;

    const std::vector<std::tuple<std::string, std::string, Role, RequestContext*>> people{
        {"wendy", "Wendy Smit", Role::kWarehouse, &wendy_},
        {"carlos", "Carlos Mendes", Role::kQcAnalyst, &carlos_},
        {"quinn", "Quinn de Vries", Role::kQaReviewer, &quinn_},
        {"anna", "Anna Bakker", Role::kQaApprover, &anna_},
        {"alex", "Alex Jansen", Role::kQaApprover, &alex_},
        {"oliver", "Oliver Okafor", Role::kOperator, &oliver_},
        {"priya", "Priya Raman", Role::kOperator, &priya_},
        {"dora", "Dora de Vries", Role::kDocumentOwner, &dora_},
        {"vera", "Vera Visser", Role::kVerifier, &vera_},
    };
    for (const auto& [id, name, role, context] : people) {
      auto created =
          services_->Identity().identity.CreateUser(admin_, id, name, {{std::string(kSite), role}});
      ASSERT_EQ(Describe(created), "ok") << id;
      auto signed_in = FirstSignIn(id, created->secret);
      ASSERT_EQ(Describe(signed_in), "ok") << id;
      *context = *signed_in;
    }
  }

  void TearDown() override {
    if (ledger_ != nullptr) {
      EXPECT_EQ(Describe(ledger_->Verify({})), "ok")
          << "the projections rebuilt from the ledger differ from the live tables";
    }
  }

  // Signs `user` in on the QA workstation and replaces the temporary password with kPassword.
  Result<RequestContext> FirstSignIn(const std::string& user, const std::string& temporary) {
    SessionService& sessions = services_->Sessions();
    ALIQUOT_ASSIGN_OR_RETURN(const SignInOutcome first,
                             sessions.SignIn({terminal_token_, user, temporary, std::nullopt}));
    ALIQUOT_RETURN_IF_ERROR(
        sessions.ChangeOwnPassword(first.context, temporary, std::string(kPassword)));
    ALIQUOT_ASSIGN_OR_RETURN(
        const SignInOutcome again,
        sessions.SignIn({terminal_token_, user, std::string(kPassword), std::nullopt}));
    return again.context;
  }

  MaterialService& Materials() { return services_->Materials(); }

  // `signer` signs `record` with `meaning` over the content they were shown.
  Status Sign(const RequestContext& signer, const identity::RecordRef& record, Meaning meaning,
              std::optional<std::string> comment = std::nullopt) {
    SignatureService& signatures = services_->Signatures();
    ALIQUOT_ASSIGN_OR_RETURN(const RecordSignatures shown, signatures.Signatures(signer, record));
    SignRequest request;
    request.meaning = meaning;
    request.content_hash = shown.content_hash;
    request.comment = std::move(comment);
    request.password = std::string(kPassword);
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ElectronicSignature signature,
                             signatures.Sign(signer, record, request));
    (void)signature;
    return {};
  }

  // carlos defines a purchased medium counted in mL whose specification is one sterility test.
  Status DefineMedium(const std::string& id, bool identity_test_required) {
    materials::MaterialCommand command;
    command.id = id;
    command.name = "Serum-free T-cell medium " + id;
    command.category = materials::Category::kMedia;
    command.unit = "mL";
    command.storage_condition = "2-8 C, protected from light";
    command.shelf_life = {12, materials::ShelfLife::Unit::kMonths};
    command.criticality = materials::Criticality::kCritical;
    command.identity_test_required = identity_test_required;
    materials::SpecTest sterility;
    sterility.name = "Sterility";
    sterility.method = "USP <71> membrane filtration";
    sterility.criterion.kind = materials::Criterion::Kind::kPassFail;
    command.tests.push_back(sterility);
    return Materials().DefineMaterial(carlos_, command, "");
  }

  // carlos defines a material made in house or received as a collection, counted in mL.
  Status DefineInHouse(const std::string& id, materials::Category category,
                       materials::ShelfLife shelf_life) {
    materials::MaterialCommand command;
    command.id = id;
    command.name = std::string(materials::CategoryName(category)) + " " + id;
    command.category = category;
    command.unit = "mL";
    command.storage_condition = "Vapour phase of liquid nitrogen, -150 C or colder";
    command.shelf_life = shelf_life;
    return Materials().DefineMaterial(carlos_, command, "");
  }

  // What is collected or made here, counted in mL: the apheresis MAT-APHERESIS (72 h), the
  // prepared medium MAT-PREP (an intermediate, 30 days) and the product MAT-CART (12 months).
  Status DefineInHouseMaterials() {
    ALIQUOT_RETURN_IF_ERROR(DefineInHouse("MAT-APHERESIS", materials::Category::kStartingMaterial,
                                          {72, materials::ShelfLife::Unit::kHours}));
    ALIQUOT_RETURN_IF_ERROR(DefineInHouse("MAT-PREP", materials::Category::kIntermediate,
                                          {30, materials::ShelfLife::Unit::kDays}));
    return DefineInHouse("MAT-CART", materials::Category::kDrugProduct,
                         {12, materials::ShelfLife::Unit::kMonths});
  }

  // quinn creates the supplier, records a satisfactory audit and proposes its approval for
  // `supplied`; anna signs the approval.
  Status QualifySupplier(const std::string& id, const std::vector<std::string>& supplied) {
    ALIQUOT_RETURN_IF_ERROR(
        Materials().CreateSupplier(quinn_, {id, "Miltenyi Biotec B.V.", "Bergisch Gladbach, DE"}));
    materials::AuditCommand audit;
    audit.performed_on = Plus(clock_.Now(), -30 * kDay);
    audit.kind = "on_site";
    audit.outcome = materials::AuditOutcome::kSatisfactory;
    audit.auditor = "Quinn de Vries";
    audit.summary = "Quality system, change control and release of GMP media: no findings.";
    ALIQUOT_RETURN_IF_ERROR(Materials().RecordAudit(quinn_, id, audit));
    materials::QualificationCommand change;
    change.status = materials::SupplierStatus::kApproved;
    change.materials = supplied;
    change.qualified_until = Plus(clock_.Now(), 365 * kDay);
    change.requalify_by = Plus(clock_.Now(), 335 * kDay);
    change.reason = "On-site audit satisfactory; certificates accepted with identity testing.";
    ALIQUOT_RETURN_IF_ERROR(Materials().ProposeQualification(quinn_, id, change));
    // Its first proposal: the record "<supplier>:1".
    return Sign(anna_, {"supplier", materials::ProposalRecordId(id, 1)}, Meaning::kApproved);
  }

  // wendy receives the lot into quarantine; carlos enters its certificate (sterility: pass) and,
  // when asked, a passed identity test.
  Status ReceiveTested(const std::string& lot, const std::string& material,
                       const std::string& supplier, double quantity, std::vector<double> containers,
                       bool identity_test) {
    materials::LotReceipt receipt;
    receipt.id = lot;
    receipt.material = material;
    receipt.supplier = supplier;
    receipt.supplier_lot = "SL-" + lot;
    receipt.receiving_code = "GR-" + lot;
    receipt.storage_location = "Cold room 2, shelf B";
    receipt.quantity = quantity;
    receipt.unit = "mL";
    receipt.containers = std::move(containers);
    receipt.expiry = Plus(clock_.Now(), 180 * kDay);
    ALIQUOT_RETURN_IF_ERROR(Materials().ReceiveLot(wendy_, receipt));
    materials::CertificateInput certificate;
    certificate.certificate_number = "COA-" + lot;
    materials::TestResult sterile;
    sterile.test = "Sterility";
    sterile.passed = true;
    certificate.results.push_back(sterile);
    ALIQUOT_RETURN_IF_ERROR(Materials().EnterCertificate(carlos_, lot, certificate, ""));
    if (!identity_test) return {};
    return Materials().RecordIdentityTest(carlos_, lot, true, "FTIR",
                                          "Spectrum matches the reference");
  }

  Status ReceiveReleased(const std::string& lot, const std::string& material,
                         const std::string& supplier, double quantity,
                         std::vector<double> containers = {}) {
    ALIQUOT_RETURN_IF_ERROR(
        ReceiveTested(lot, material, supplier, quantity, std::move(containers), false));
    return Sign(anna_, {"material_lot", lot}, Meaning::kReleased);
  }

  // oliver records a lot made in house (by `batch`, for `patient`), in quarantine.
  Status Produce(const std::string& lot, const std::string& material,
                 std::optional<std::string> batch, std::optional<std::string> patient,
                 double quantity) {
    materials::ProducedLot produced;
    produced.id = lot;
    produced.material = material;
    produced.batch = std::move(batch);
    produced.patient_code = std::move(patient);
    produced.quantity = quantity;
    produced.unit = "mL";
    produced.expiry = Plus(clock_.Now(), 180 * kDay);
    produced.storage_location = "Suite 2 controlled-rate freezer";
    return Materials().ProduceLot(oliver_, produced);
  }

  // wendy receives 250 mL of apheresis `lot` (MAT-APHERESIS) collected from `donor_code`.
  Status ReceiveCollection(const std::string& lot, const std::string& donor_code) {
    materials::CollectionReceipt collection;
    collection.id = lot;
    collection.material = "MAT-APHERESIS";
    collection.donor_code = donor_code;
    collection.collection_facility = "Leiden University Medical Centre apheresis unit";
    collection.collected_at = Plus(clock_.Now(), -6 * kHour);
    collection.quantity = 250;
    collection.unit = "mL";
    collection.shipping_min_c = 3.5;
    collection.shipping_max_c = 6.8;
    collection.receiving_code = "GR-" + lot;
    collection.storage_location = "Quarantine fridge 1, shelf 2";
    return Materials().ReceiveCollection(wendy_, collection);
  }

  // What batches are made from here: dora publishes SOP-MAT-001 (quinn reviews it, anna approves
  // it) and oliver and priya read it; dora prepares version 1 of MBR-MAT, whose one step consumes
  // `materials` (defined before), quinn checks it and anna approves it.
  Status ApproveRecipe(const std::vector<std::string>& materials) {
    DocumentService& documents = services_->Documents();
    const std::string sop(kSop);
    const std::string file = "%PDF-1.7\n" + sop + ": seeding and feeding the culture\n";
    ALIQUOT_ASSIGN_OR_RETURN(
        const BlobInfo uploaded,
        documents.UploadFile(dora_, Sha256::Of(file).Hex(), file, "application/pdf"));
    ALIQUOT_RETURN_IF_ERROR(
        documents.CreateDocument(dora_, {sop, std::string(kSite), documents::DocumentKind::kSop}));
    DraftInput draft;
    draft.title = "Seeding and feeding the culture";
    draft.file_sha256 = uploaded.sha256;
    draft.file_name = sop + ".pdf";
    draft.change_reason = "First issue";
    ALIQUOT_ASSIGN_OR_RETURN(const int issue, documents.DraftVersion(dora_, sop, draft));
    const identity::RecordRef version{"document_version", VersionRecordId(sop, issue)};
    ALIQUOT_RETURN_IF_ERROR(Sign(dora_, version, Meaning::kAuthored));
    ALIQUOT_RETURN_IF_ERROR(Sign(quinn_, version, Meaning::kReviewed));
    ALIQUOT_RETURN_IF_ERROR(Sign(anna_, version, Meaning::kApproved));
    // G-11: the step's gate lets through only those trained on the version in force.
    ALIQUOT_RETURN_IF_ERROR(
        Sign(oliver_, {"training", TrainingRecordId("oliver", sop, issue)}, Meaning::kPerformed));
    ALIQUOT_RETURN_IF_ERROR(
        Sign(priya_, {"training", TrainingRecordId("priya", sop, issue)}, Meaning::kPerformed));

    RecipeService& recipes = services_->Recipes();
    recipes::ProductCommand product;
    product.id = kProduct;
    product.name = "Autologous CAR-T cells";
    product.therapy = recipes::TherapyKind::kAutologous;
    ALIQUOT_RETURN_IF_ERROR(recipes.DefineProduct(dora_, product).transform([](bool) {}));
    ALIQUOT_RETURN_IF_ERROR(recipes.CreateMasterBatchRecord(
        dora_, {std::string(kRecipe), std::string(kProduct), "One step of the process"}));
    ImportInput import;
    import.text = testing::OneStepDefinition(kRecipe, kProduct, kStep, kSop, materials);
    import.change_reason = "First version";
    ALIQUOT_ASSIGN_OR_RETURN(const int drafted,
                             recipes.ImportVersion(dora_, std::string(kRecipe), import));
    const identity::RecordRef record{"mbr_version", MbrVersionId(kRecipe, drafted)};
    ALIQUOT_RETURN_IF_ERROR(Sign(dora_, record, Meaning::kAuthored));
    ALIQUOT_RETURN_IF_ERROR(Sign(quinn_, record, Meaning::kReviewed));
    return Sign(anna_, record, Meaning::kApproved);
  }

  // vera creates a batch of MBR-MAT for `patient_code` from their collection `starting_material`
  // (T-01, T-02) and oliver starts its step. Returns the batch's id.
  Result<std::string> StartBatch(const std::string& starting_material,
                                 const std::string& patient_code) {
    CreateBatchInput input;
    input.master_batch_record = kRecipe;
    input.identifiers = {{"patient_code", patient_code}};
    input.starting_material = starting_material;
    BatchService& batches = services_->Batches();
    ALIQUOT_ASSIGN_OR_RETURN(const ActionOutcome created, batches.Create(vera_, input, {}));
    ALIQUOT_RETURN_IF_ERROR(batches.StartStep(oliver_, created.batch, std::string(kStep), {}, {})
                                .transform([](const ActionOutcome&) {}));
    return created.batch;
  }

  // oliver scans `scanned` at the batch's step and consumes `quantity` mL of it (G-03).
  Status ConsumeInBatch(const std::string& batch, const std::string& scanned, double quantity) {
    return services_->Batches()
        .ConsumeMaterial(oliver_, batch, std::string(kStep), scanned, quantity, "mL", {})
        .transform([](const ActionOutcome&) {});
  }

  // vera puts the batch on hold and anna rejects it: the run abandoned part-way (G-04).
  Status RejectBatch(const std::string& batch) {
    ALIQUOT_RETURN_IF_ERROR(
        services_->Batches()
            .Hold(vera_, batch, "Culture bag leaking at the weld; the run is abandoned", {})
            .transform([](const ActionOutcome&) {}));
    return Sign(anna_, {"batch", batch}, Meaning::kRejected,
                "Rejected: the culture bag leaked, sterility cannot be assured");
  }

  // The lot as the projection holds it; a lot that is not there fails the test.
  materials::LotState StoredLot(const std::string& id) {
    materials::LotState lot;
    EXPECT_EQ(Describe(store_->Read([&](StoreReader& reader) -> Status {
                ALIQUOT_ASSIGN_OR_RETURN(lot, LoadLot(reader, id));
                return {};
              })),
              "ok");
    EXPECT_TRUE(lot.exists) << id;
    return lot;
  }

  // Every event of `type` in the ledger, oldest first.
  std::vector<ledger::Event> Events(std::string_view type) {
    std::vector<ledger::Event> found;
    EXPECT_EQ(Describe(store_->ScanEvents(1, UINT64_MAX,
                                          [&](const ledger::Event& event) -> Status {
                                            if (event.event_type == type) found.push_back(event);
                                            return {};
                                          })),
              "ok");
    return found;
  }

  std::uint64_t LedgerSize() {
    auto head = store_->Head();
    EXPECT_EQ(Describe(head), "ok");
    return head ? head->size : 0;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Projector> projector_ = MakeAllProjectors();
  SecretKey credentials_key_ = SecretKey::Generate();
  Ed25519SigningKey signing_key_ = Ed25519SigningKey::FromSeed(FixedSeed());
  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<LedgerService> ledger_;
  std::string terminal_token_;
  RequestContext admin_;
  RequestContext wendy_;
  RequestContext carlos_;
  RequestContext quinn_;
  RequestContext anna_;
  RequestContext alex_;
  RequestContext oliver_;
  RequestContext priya_;
  RequestContext dora_;
  RequestContext vera_;
};

using MaterialConsumption = MaterialSiteTest;
using MaterialProduction = MaterialSiteTest;
using MaterialProjection = MaterialSiteTest;
using MaterialGenealogy = MaterialSiteTest;

// ---------------------------------------------------------------------------------------------
// Consumption: the point-of-use check and the balance.

// What one consuming thread saw.
struct Tally {
  int acknowledged = 0;
  Amount consumed;
  int refused = 0;
  int aborted = 0;
  std::vector<std::string> unexpected;
};

// Verifies G-08: eight operators drawing 3 mL at once from one released 100 mL lot in four
// containers, each into a medium of their own, never take more than is there; the ledger holds
// exactly the consumptions they were told succeeded, and each refusal once.
TEST_F(MaterialConsumption, BalanceNeverGoesNegativeUnderConcurrentConsumption_G08) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", false)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");
  ASSERT_EQ(Describe(ReceiveReleased("L-G08", "MAT-MEDIUM", "SUP-MILTENYI", 100, {25, 25, 25, 25})),
            "ok");

  constexpr int kThreads = 8;
  // Thread t prepares medium I-<t + 1>.
  const auto medium = [](int t) { return "I-" + std::to_string(t + 1); };
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(Describe(Produce(medium(t), "MAT-PREP", std::nullopt, std::nullopt, 500)), "ok");
  }
  // Enough to drain the lot many times over, so a thread that never stops is a failure.
  constexpr int kMaxAttempts = 1000;
  std::vector<Tally> tallies(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Tally& tally = tallies[static_cast<std::size_t>(t)];
      // Threads 0-3 take from the lot's containers in order; threads 4-7 each scan one container.
      const std::string scanned = t < 4 ? std::string("L-G08") : "L-G08/" + std::to_string(t - 3);
      const ConsumeInput input =
          Consumption(scanned, "MAT-MEDIUM", 3, Destination::Kind::kLot, medium(t));
      const RequestContext& operator_at_bench = t % 2 == 0 ? oliver_ : priya_;
      start.arrive_and_wait();
      for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        const auto consumed = Materials().Consume(operator_at_bench, input);
        if (consumed) {
          ++tally.acknowledged;
          tally.consumed = tally.consumed + consumed->requested;
          if (!consumed->Allowed() || consumed->requested != Millilitres(3)) {
            tally.unexpected.push_back("acknowledged as " + consumed->message);
          }
          continue;
        }
        if (consumed.error().Code() == ErrorCode::kAborted) {
          ++tally.aborted;  // Lost the race kAppendAttempts times: nothing recorded, try again.
          continue;
        }
        if (consumed.error().Code() == ErrorCode::kFailedPrecondition) {
          ++tally.refused;
        } else {
          tally.unexpected.push_back(consumed.error().ToString());
        }
        return;
      }
      tally.unexpected.push_back("still consuming after " + std::to_string(kMaxAttempts));
    });
  }
  for (std::thread& thread : threads) thread.join();

  int acknowledged = 0;
  int refused = 0;
  int aborted = 0;
  Amount acknowledged_quantity;
  for (int t = 0; t < kThreads; ++t) {
    const Tally& tally = tallies[static_cast<std::size_t>(t)];
    for (const std::string& unexpected : tally.unexpected) {
      ADD_FAILURE() << "thread " << t << ": " << unexpected;
    }
    EXPECT_EQ(tally.refused, 1) << "thread " << t << " stops at its first refusal";
    acknowledged += tally.acknowledged;
    refused += tally.refused;
    aborted += tally.aborted;
    acknowledged_quantity = acknowledged_quantity + tally.consumed;
  }
  RecordProperty("aborted_after_retries", std::to_string(aborted));

  const materials::LotState lot = StoredLot("L-G08");
  EXPECT_GE(lot.Balance(), Amount());
  Amount in_containers;
  for (const materials::Container& container : lot.containers) {
    EXPECT_GE(container.balance, Amount()) << container.id;
    in_containers = in_containers + container.balance;
  }
  EXPECT_EQ(in_containers, lot.Balance());
  EXPECT_EQ(lot.quantity, lot.Balance() + lot.consumed + lot.withdrawn);
  EXPECT_EQ(lot.consumed, acknowledged_quantity);
  // Threads 0-3 stop only when the whole lot holds less than 3 mL: 33 draws of 3 mL leave 1.
  EXPECT_EQ(acknowledged, 33);
  EXPECT_EQ(lot.Balance(), Millilitres(1));
  auto shown = Materials().Lot(quinn_, "L-G08");
  ASSERT_EQ(Describe(shown), "ok");
  EXPECT_EQ(shown->lot.Balance(), lot.Balance());

  // The ledger holds each acknowledged consumption once, into the medium of the thread told so.
  std::map<std::string, int> consumptions_into;
  std::map<std::string, double> millilitres_into;
  for (const ledger::Event& event : Events("materials.lot_consumed")) {
    const Json payload = PayloadOf(event);
    EXPECT_EQ(event.stream, materials::LotStream("L-G08"));
    EXPECT_EQ(StringMember(payload, "into_kind"), "lot");
    ++consumptions_into[StringMember(payload, "into")];
    millilitres_into[StringMember(payload, "into")] += NumberMember(payload, "quantity");
  }
  double millilitres_in_ledger = 0;
  for (const auto& [into, millilitres] : millilitres_into) millilitres_in_ledger += millilitres;
  EXPECT_DOUBLE_EQ(millilitres_in_ledger, lot.consumed.Units());
  for (int t = 0; t < kThreads; ++t) {
    const Tally& tally = tallies[static_cast<std::size_t>(t)];
    EXPECT_EQ(consumptions_into[medium(t)], tally.acknowledged) << medium(t);
    EXPECT_DOUBLE_EQ(millilitres_into[medium(t)], 3.0 * tally.acknowledged) << medium(t);
  }
  const auto refusals = Events("materials.use_refused");
  EXPECT_EQ(static_cast<int>(refusals.size()), refused);
  for (const ledger::Event& event : refusals) {
    EXPECT_EQ(StringMember(PayloadOf(event), "refusal"), "insufficient_quantity");
  }
}

// Verifies AL-01: the server's clock dates a consumption; an instant the client sends is refused
// and nothing is recorded.
TEST_F(MaterialConsumption, RefusesAnInstantTheClientSuppliesAndRecordsNothing_AL01) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", false)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");
  ASSERT_EQ(Describe(ReceiveReleased("L-1", "MAT-MEDIUM", "SUP-MILTENYI", 10)), "ok");
  ASSERT_EQ(Describe(Produce("I-1", "MAT-PREP", std::nullopt, std::nullopt, 50)), "ok");
  const std::uint64_t before = LedgerSize();

  ConsumeInput backdated = Consumption("L-1", "MAT-MEDIUM", 2, Destination::Kind::kLot, "I-1");
  backdated.use.at = Plus(clock_.Now(), -kHour);
  EXPECT_EQ(Refusal(Materials().Consume(oliver_, backdated)), "invalid_argument on at");
  backdated.use.at = clock_.Now();  // Even the server's own now, when the client sends it.
  EXPECT_EQ(Refusal(Materials().Consume(oliver_, backdated)), "invalid_argument on at");

  EXPECT_EQ(LedgerSize(), before);
  EXPECT_TRUE(Events("materials.lot_consumed").empty());
  EXPECT_TRUE(Events("materials.use_refused").empty());
  EXPECT_EQ(StoredLot("L-1").Balance(), Millilitres(10));
  // The same use without the instant goes through.
  backdated.use.at.reset();
  EXPECT_EQ(Describe(Materials().Consume(oliver_, backdated)), "ok");
  EXPECT_EQ(StoredLot("L-1").Balance(), Millilitres(8));
}

// Verifies G-08, G-09: a refused use is one alert on the lot's record, and no balance moves.
TEST_F(MaterialConsumption, ARefusedUseIsRecordedOnceAndChangesNoBalance_G08) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", false)), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");
  ASSERT_EQ(Describe(ReceiveReleased("L-1", "MAT-MEDIUM", "SUP-MILTENYI", 10, {6, 4})), "ok");
  ASSERT_EQ(Describe(ReceiveTested("L-2", "MAT-MEDIUM", "SUP-MILTENYI", 10, {}, false)), "ok");
  // The material a step expects instead: another that exists (one that does not is a 404).
  ASSERT_EQ(Describe(DefineMedium("MAT-IL2", false)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(Produce("I-1", "MAT-PREP", std::nullopt, std::nullopt, 50)), "ok");

  struct Attempt {
    std::string what;
    ConsumeInput input;
    std::string lot;
    std::string refusal;
  };
  const std::vector<Attempt> attempts{
      {"more than the lot holds",
       Consumption("L-1", "MAT-MEDIUM", 12, Destination::Kind::kLot, "I-1"), "L-1",
       "insufficient_quantity"},
      {"more than the scanned container holds",
       Consumption("L-1/2", "MAT-MEDIUM", 5, Destination::Kind::kLot, "I-1"), "L-1",
       "insufficient_quantity"},
      {"a lot still in quarantine",
       Consumption("L-2", "MAT-MEDIUM", 1, Destination::Kind::kLot, "I-1"), "L-2", "not_released"},
      {"another material than the step needs",
       Consumption("L-1", "MAT-IL2", 1, Destination::Kind::kLot, "I-1"), "L-1", "wrong_material"},
  };
  for (const Attempt& attempt : attempts) {
    const std::uint64_t before = LedgerSize();
    const std::size_t refusals_before = Events("materials.use_refused").size();
    const auto refused = Materials().Consume(oliver_, attempt.input);
    ASSERT_EQ(Refusal(refused), "failed_precondition on lot") << attempt.what;
    EXPECT_THAT(refused.error().Message(), HasSubstr("may not be used")) << attempt.what;

    EXPECT_EQ(LedgerSize(), before + 1) << attempt.what;
    const auto recorded = Events("materials.use_refused");
    ASSERT_EQ(recorded.size(), refusals_before + 1) << attempt.what;
    const ledger::Event& event = recorded.back();
    const Json payload = PayloadOf(event);
    EXPECT_EQ(event.stream, materials::LotStream(attempt.lot)) << attempt.what;
    EXPECT_EQ(event.actor.id, "oliver");
    EXPECT_EQ(StringMember(payload, "refusal"), attempt.refusal) << attempt.what;
    EXPECT_EQ(StringMember(payload, "into"), "I-1");
    EXPECT_EQ(StringMember(payload, "message"), refused.error().Message());
  }
  EXPECT_TRUE(Events("materials.lot_consumed").empty());
  const materials::LotState released = StoredLot("L-1");
  EXPECT_EQ(released.Balance(), Millilitres(10));
  EXPECT_EQ(released.consumed, Amount());
  ASSERT_EQ(released.containers.size(), 2U);
  EXPECT_EQ(released.containers[0].balance, Millilitres(6));
  EXPECT_EQ(released.containers[1].balance, Millilitres(4));
  EXPECT_EQ(StoredLot("L-2").Balance(), Millilitres(10));

  // Asking whether a use would be allowed records nothing.
  const std::uint64_t before = LedgerSize();
  auto checked = Materials().CheckUse(oliver_, attempts[0].input.use);
  ASSERT_EQ(Describe(checked), "ok");
  EXPECT_EQ(checked->refusal, materials::UseRefusal::kInsufficientQuantity);
  EXPECT_EQ(LedgerSize(), before);
}

// Verifies G-03, T-01: what goes into a batch is recorded at the batch's step, where the master
// batch record's bill of materials, training and the point-of-use check are enforced. Consuming
// into a batch outside its step is refused as bad input naming into.kind and the step's route,
// for a batch that exists, whether or not the lot would pass the check, and nothing is recorded:
// no consumption, no refused use. The same lot goes into a lot here, and into the batch at its
// step.
TEST_F(MaterialConsumption, RefusesConsumptionIntoABatchOutsideItsStepAndRecordsNothing_G03_T01) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", false)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");
  ASSERT_EQ(Describe(ReceiveReleased("L-1", "MAT-MEDIUM", "SUP-MILTENYI", 10)), "ok");
  ASSERT_EQ(Describe(ReceiveTested("L-2", "MAT-MEDIUM", "SUP-MILTENYI", 10, {}, false)), "ok");
  ASSERT_EQ(Describe(Produce("I-1", "MAT-PREP", std::nullopt, std::nullopt, 50)), "ok");
  ASSERT_EQ(Describe(ReceiveCollection("APH-1", PatientCode("A7Q29K44"))), "ok");
  ASSERT_EQ(Describe(ApproveRecipe({"MAT-APHERESIS", "MAT-MEDIUM"})), "ok");
  const Result<std::string> batch = StartBatch("APH-1", PatientCode("A7Q29K44"));
  ASSERT_EQ(Describe(batch), "ok");
  const std::uint64_t before = LedgerSize();

  // L-1 is released; L-2, in quarantine, is what the check would refuse and record.
  for (const std::string& scanned : std::vector<std::string>{"L-1", "L-2"}) {
    const auto refused = Materials().Consume(
        oliver_, Consumption(scanned, "MAT-MEDIUM", 2, Destination::Kind::kBatch, *batch));
    ASSERT_EQ(Refusal(refused), "invalid_argument on into.kind") << scanned;
    EXPECT_THAT(refused.error().Message(),
                HasSubstr("through the batch's step: POST "
                          "/api/v1/batches/{batch}/steps/{step}/materials"))
        << scanned;
  }
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_TRUE(Events("materials.lot_consumed").empty());
  EXPECT_TRUE(Events("materials.use_refused").empty());
  EXPECT_EQ(StoredLot("L-1").Balance(), Millilitres(10));

  EXPECT_EQ(Describe(Materials().Consume(
                oliver_, Consumption("L-1", "MAT-MEDIUM", 2, Destination::Kind::kLot, "I-1"))),
            "ok");
  EXPECT_EQ(Describe(ConsumeInBatch(*batch, "L-1", 2)), "ok");
  EXPECT_EQ(StoredLot("L-1").Balance(), Millilitres(6));
  const auto consumed = Events("materials.lot_consumed");
  ASSERT_EQ(consumed.size(), 2U);
  EXPECT_EQ(StringMember(PayloadOf(consumed[1]), "into_kind"), "batch");
  EXPECT_EQ(StringMember(PayloadOf(consumed[1]), "into"), *batch);
}

// ---------------------------------------------------------------------------------------------
// Lots made in house.

// Verifies T-01: a lot made by a batch is an edge from that batch, so a batch that does not exist
// is refused, naming it (after the request's own mistakes), and nothing is recorded.
TEST_F(MaterialProduction, RefusesALotNamingABatchThatDoesNotExist_T01) {
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  const std::uint64_t before = LedgerSize();

  const Status unit = Produce("P-1", "MAT-CART", "B-2026-0404", PatientCode("A7Q29K44"), 70);
  EXPECT_EQ(Refusal(unit), "not_found on batch");
  EXPECT_THAT(unit.error().Message(), HasSubstr("B-2026-0404"));
  const Status medium = Produce("I-1", "MAT-PREP", "B-2026-0404", std::nullopt, 50);
  EXPECT_EQ(Refusal(medium), "not_found on batch");
  EXPECT_EQ(Refusal(Produce("I-1", "MAT-PREP", "B 2026", std::nullopt, 50)),
            "invalid_argument on batch");
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_TRUE(Events("materials.lot_received").empty());
  // An intermediate made outside any batch names none.
  EXPECT_EQ(Describe(Produce("I-1", "MAT-PREP", std::nullopt, std::nullopt, 50)), "ok");
}

// Verifies G-04: a batch QA rejected (or released) is a closed record: a lot made by it is
// recorded while it runs, and nothing comes out of it afterwards. Released batches: the demo's
// (DemoSiteTest).
TEST_F(MaterialProduction, RefusesALotOfABatchAlreadyRejected_G04) {
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  const std::string patient = PatientCode("A7Q29K44");
  ASSERT_EQ(Describe(ReceiveCollection("APH-1", patient)), "ok");
  ASSERT_EQ(Describe(ApproveRecipe({"MAT-APHERESIS"})), "ok");
  const Result<std::string> batch = StartBatch("APH-1", patient);
  ASSERT_EQ(Describe(batch), "ok");
  ASSERT_EQ(Describe(Produce("P-1", "MAT-CART", *batch, patient, 70)), "ok");
  ASSERT_EQ(Describe(RejectBatch(*batch)), "ok");
  const std::uint64_t before = LedgerSize();

  const Status refused = Produce("P-2", "MAT-CART", *batch, patient, 70);
  EXPECT_EQ(Refusal(refused), "failed_precondition on batch");
  EXPECT_THAT(refused.error().Message(), HasSubstr("batch " + *batch + " is rejected"));
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(StoredLot("P-1").Status(), materials::LotStatus::kRejected);
}

// Verifies T-02: a product unit's label carries the patient code of the batch that made it; another
// patient's code is refused, naming both, and nothing is recorded. An intermediate the batch made
// carries no patient code to compare.
TEST_F(MaterialProduction, RefusesAProductUnitLabelledForAnotherPatient_T02) {
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  const std::string patient = PatientCode("A7Q29K44");
  const std::string other = PatientCode("B3X81M20");
  ASSERT_EQ(Describe(ReceiveCollection("APH-1", patient)), "ok");
  ASSERT_EQ(Describe(ApproveRecipe({"MAT-APHERESIS"})), "ok");
  const Result<std::string> batch = StartBatch("APH-1", patient);
  ASSERT_EQ(Describe(batch), "ok");
  const std::uint64_t before = LedgerSize();

  const Status refused = Produce("P-1", "MAT-CART", *batch, other, 70);
  EXPECT_EQ(Refusal(refused), "failed_precondition on patient_code");
  EXPECT_THAT(refused.error().Message(), HasSubstr(other));
  EXPECT_THAT(refused.error().Message(), HasSubstr("batch " + *batch + " is for " + patient));
  EXPECT_EQ(LedgerSize(), before);

  ASSERT_EQ(Describe(Produce("P-1", "MAT-CART", *batch, patient, 70)), "ok");
  const materials::LotState unit = StoredLot("P-1");
  EXPECT_EQ(unit.made_by_batch, *batch);
  EXPECT_EQ(unit.patient_code, patient);
  EXPECT_EQ(Describe(Produce("I-1", "MAT-PREP", *batch, std::nullopt, 50)), "ok");
}

// ---------------------------------------------------------------------------------------------
// The projection.

// Verifies P11-01: every materials table rebuilt from the ledger alone equals the live one, after
// the life of a site's materials: a qualified supplier, a lot received with its certificate and
// identity test, released, consumed into an intermediate and, at the batch's step, into a batch,
// sampled; an apheresis collection made eligible and released; a product unit made by the batch;
// a rejected lot; and refused uses.
TEST_F(MaterialProjection, RebuiltTablesEqualTheLiveOnes) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", true)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(ReceiveTested("L-MED-1", "MAT-MEDIUM", "SUP-MILTENYI", 100, {60, 40}, true)),
            "ok");
  ASSERT_EQ(Describe(Sign(anna_, {"material_lot", "L-MED-1"}, Meaning::kReleased)), "ok");
  ASSERT_EQ(Describe(ReceiveTested("L-MED-2", "MAT-MEDIUM", "SUP-MILTENYI", 50, {}, true)), "ok");
  ASSERT_EQ(Describe(Sign(anna_, {"material_lot", "L-MED-2"}, Meaning::kRejected,
                          "Container seal broken on receipt")),
            "ok");

  clock_.Advance(kHour);
  const std::string patient = PatientCode("A7Q29K44");
  ASSERT_EQ(Describe(ReceiveCollection("APH-1", patient)), "ok");
  ASSERT_EQ(Describe(Materials().DetermineEligibility(
                anna_, "APH-1", true, "Autologous donor; screening and testing complete")),
            "ok");
  // anna determined the eligibility, so another approver releases the collection (A11-01).
  ASSERT_EQ(Describe(Sign(alex_, {"material_lot", "APH-1"}, Meaning::kReleased)), "ok");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Produce("I-1", "MAT-PREP", std::nullopt, std::nullopt, 50)), "ok");
  ASSERT_EQ(Describe(Materials().Consume(oliver_, Consumption("L-MED-1/2", "MAT-MEDIUM", 10,
                                                              Destination::Kind::kLot, "I-1"))),
            "ok");
  ASSERT_EQ(Describe(Sign(anna_, {"material_lot", "I-1"}, Meaning::kReleased)), "ok");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(ApproveRecipe({"MAT-APHERESIS", "MAT-MEDIUM", "MAT-PREP"})), "ok");
  const Result<std::string> batch = StartBatch("APH-1", patient);
  ASSERT_EQ(Describe(batch), "ok");
  for (const auto& [scanned, millilitres] :
       std::vector<std::pair<std::string, double>>{{"L-MED-1", 20}, {"APH-1", 200}, {"I-1", 25}}) {
    ASSERT_EQ(Describe(ConsumeInBatch(*batch, scanned, millilitres)), "ok") << scanned;
  }
  WithdrawInput sample;
  sample.scanned = "L-MED-1/1";
  sample.quantity = 5;
  sample.unit = "mL";
  sample.purpose = materials::WithdrawalPurpose::kSample;
  sample.reason = "Retained sample for QC";
  ASSERT_EQ(Describe(Materials().Withdraw(wendy_, sample)), "ok");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Produce("P-1", "MAT-CART", *batch, patient, 70)), "ok");
  // Refused uses: the product unit is in quarantine; the rejected lot may not be used at all.
  EXPECT_EQ(Refusal(Materials().Consume(
                oliver_, Consumption("P-1", "MAT-CART", 1, Destination::Kind::kLot, "I-1"))),
            "failed_precondition on lot");
  EXPECT_EQ(Refusal(Materials().Consume(
                oliver_, Consumption("L-MED-2", "MAT-MEDIUM", 1, Destination::Kind::kLot, "I-1"))),
            "failed_precondition on lot");
  EXPECT_EQ(Events("materials.use_refused").size(), 2U);
  EXPECT_EQ(StoredLot("L-MED-1").Balance(), Millilitres(65));

  // Rebuilt from the ledger alone, by the same projector, in memory.
  const std::unique_ptr<Projector> materials = MakeMaterialsProjector();
  ProjectionModel rebuilt;
  ASSERT_EQ(Describe(store_->ScanEvents(
                1, UINT64_MAX,
                [&](const ledger::Event& event) { return materials->Apply(event, rebuilt); })),
            "ok");
  const std::map<std::string, std::size_t> expected_rows{
      {"suppliers", 1},     {"materials", 4},         {"lots", 5},
      {"supplier_lots", 2}, {"genealogy_forward", 5}, {"genealogy_backward", 5},
  };
  ASSERT_EQ(materials->Tables().size(), expected_rows.size());
  for (const TableSpec& table : materials->Tables()) {
    std::vector<std::string> live;
    ASSERT_EQ(Describe(store_->ScanRows(table,
                                        [&](const Row& row) -> Status {
                                          live.push_back(RowText(row));
                                          return {};
                                        })),
              "ok");
    std::vector<std::string> from_ledger;
    for (const Row& row : rebuilt.Rows(table)) from_ledger.push_back(RowText(row));
    const auto expected = expected_rows.find(table.name);
    ASSERT_NE(expected, expected_rows.end()) << table.name;
    EXPECT_EQ(live.size(), expected->second) << table.name;
    EXPECT_EQ(live, from_ledger) << table.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Genealogy.

struct Edge {
  std::string parent;
  std::string child;
  Timestamp at;
};

// The nodes reachable from `root` over edges dated at or before `as_of`, root excluded, and how
// many edges a walk follows: every such edge leaving the root or a reached node.
struct Reach {
  std::set<std::string> lots;
  std::set<std::string> batches;
  std::size_t edges = 0;
};

Reach BruteForce(const std::vector<Edge>& edges, const std::string& root, Direction direction,
                 Timestamp as_of) {
  std::set<std::string> reached{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const Edge& edge : edges) {
      if (edge.at > as_of) continue;
      const bool forward = direction == Direction::kForward;
      const std::string& from = forward ? edge.parent : edge.child;
      const std::string& to = forward ? edge.child : edge.parent;
      if (reached.contains(from) && reached.insert(to).second) grew = true;
    }
  }
  Reach reach;
  for (const Edge& edge : edges) {
    const std::string& from = direction == Direction::kForward ? edge.parent : edge.child;
    if (edge.at <= as_of && reached.contains(from)) ++reach.edges;
  }
  reached.erase(root);
  for (const std::string& node : reached) {
    auto parsed = materials::ParseNode(node);
    EXPECT_EQ(Describe(parsed), "ok");
    if (!parsed) continue;
    (parsed->kind == "lot" ? reach.lots : reach.batches).insert(parsed->id);
  }
  return reach;
}

// Verifies T-01, G-08: a trace through the store, from any lot or batch, either way, as of any
// instant, reaches exactly what a brute-force walk over the recorded edges reaches: raw lots into
// intermediates, both into batches (at the batch's step), batches into product units for their
// patients, built in a seeded random order.
TEST_F(MaterialGenealogy, TraceThroughTheStoreMatchesABruteForceWalk_T01) {
  ASSERT_EQ(Describe(DefineMedium("MAT-MEDIUM", false)), "ok");
  ASSERT_EQ(Describe(DefineInHouseMaterials()), "ok");
  ASSERT_EQ(Describe(QualifySupplier("SUP-MILTENYI", {"MAT-MEDIUM"})), "ok");
  ASSERT_EQ(Describe(ApproveRecipe({"MAT-APHERESIS", "MAT-MEDIUM", "MAT-PREP"})), "ok");

  constexpr int kRawLots = 11;  // R-1 and R-10 share a prefix: a trace must tell them apart.
  constexpr int kIntermediates = 4;
  constexpr int kBatches = 4;
  constexpr int kProducts = 5;
  std::mt19937 random(20261122);  // Seeded: the same tree and queries on every run.
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(1, n)(random); };
  const auto id = [](std::string_view prefix, int n) {
    return std::string(prefix) + "-" + std::to_string(n);
  };
  // Batch b is for patient patients[b - 1], from their collection C-<b>; nothing goes into it or
  // comes out of it yet.
  std::vector<std::string> batch_ids;
  std::vector<std::string> patients;
  for (int b = 1; b <= kBatches; ++b) {
    patients.push_back(PatientCode("PT" + std::to_string(1000 + b)));
    ASSERT_EQ(Describe(ReceiveCollection(id("C", b), patients.back())), "ok");
    const Result<std::string> batch = StartBatch(id("C", b), patients.back());
    ASSERT_EQ(Describe(batch), "ok");
    batch_ids.push_back(*batch);
  }
  const auto batch_node = [&](int b) {
    return materials::BatchNode(batch_ids[static_cast<std::size_t>(b - 1)]);
  };
  const Timestamp before_everything = clock_.Now();

  for (int r = 1; r <= kRawLots; ++r) {
    ASSERT_EQ(Describe(ReceiveReleased(id("R", r), "MAT-MEDIUM", "SUP-MILTENYI", 1000)), "ok");
  }
  for (int i = 1; i <= kIntermediates; ++i) {
    ASSERT_EQ(Describe(Produce(id("I", i), "MAT-PREP", std::nullopt, std::nullopt, 100)), "ok");
    ASSERT_EQ(Describe(Sign(anna_, {"material_lot", id("I", i)}, Meaning::kReleased)), "ok");
  }

  // The operations, each an edge: consumptions (lot -> intermediate, lot -> batch) and
  // production (batch -> product unit), in a random order.
  struct Operation {
    std::string parent;  // "lot:R-3" or "batch:B-2026-0002".
    std::string child;
  };
  std::vector<Operation> operations;
  for (int i = 1; i <= kIntermediates; ++i) {
    const int inputs = pick(3);
    for (int k = 0; k < inputs; ++k) {
      operations.push_back(
          {materials::LotNode(id("R", pick(kRawLots))), materials::LotNode(id("I", i))});
    }
  }
  for (int b = 1; b <= kBatches; ++b) {
    const int intermediates = pick(2);
    for (int k = 0; k < intermediates; ++k) {
      operations.push_back({materials::LotNode(id("I", pick(kIntermediates))), batch_node(b)});
    }
    const int raw = pick(3) - 1;
    for (int k = 0; k < raw; ++k) {
      operations.push_back({materials::LotNode(id("R", pick(kRawLots))), batch_node(b)});
    }
  }
  for (int p = 1; p <= kProducts; ++p) {
    operations.push_back({batch_node(pick(kBatches)), materials::LotNode(id("P", p))});
  }
  std::shuffle(operations.begin(), operations.end(), random);

  std::vector<Edge> edges;
  for (const Operation& operation : operations) {
    // Minutes apart, now and then at the same instant, so as_of falls on and between edges.
    clock_.Advance(std::int64_t{pick(5) - 1} * 10 * kMinute);
    const auto parent = materials::ParseNode(operation.parent);
    const auto child = materials::ParseNode(operation.child);
    ASSERT_TRUE(parent && child);
    if (parent->kind == "batch") {
      const auto b = std::find(batch_ids.begin(), batch_ids.end(), parent->id) - batch_ids.begin();
      ASSERT_EQ(Describe(Produce(child->id, "MAT-CART", parent->id,
                                 patients[static_cast<std::size_t>(b)], 70)),
                "ok");
    } else if (child->kind == "batch") {
      ASSERT_EQ(Describe(ConsumeInBatch(child->id, parent->id, 10)), "ok")
          << operation.parent << " -> " << operation.child;
    } else {
      const bool intermediate = parent->id.starts_with("I-");
      ASSERT_EQ(Describe(Materials().Consume(
                    oliver_, Consumption(parent->id, intermediate ? "MAT-PREP" : "MAT-MEDIUM", 10,
                                         Destination::Kind::kLot, child->id))),
                "ok")
          << operation.parent << " -> " << operation.child;
    }
    edges.push_back({operation.parent, operation.child, clock_.Now()});
  }
  const Timestamp now = clock_.Now();

  std::vector<std::string> roots;
  for (int r = 1; r <= kRawLots; ++r) roots.push_back(materials::LotNode(id("R", r)));
  for (int i = 1; i <= kIntermediates; ++i) roots.push_back(materials::LotNode(id("I", i)));
  for (int b = 1; b <= kBatches; ++b) roots.push_back(batch_node(b));
  for (int p = 1; p <= kProducts; ++p) roots.push_back(materials::LotNode(id("P", p)));

  int compared = 0;
  int non_trivial = 0;
  for (const std::string& root : roots) {
    for (const Direction direction : {Direction::kBackward, Direction::kForward}) {
      // On an edge's instant, just before it, before everything, and now.
      std::vector<Timestamp> instants{before_everything, now};
      for (int k = 0; k < 3; ++k) {
        const Timestamp at =
            edges[static_cast<std::size_t>(pick(static_cast<int>(edges.size())) - 1)].at;
        instants.push_back(at);
        instants.push_back(Plus(at, -1));
      }
      for (const Timestamp as_of : instants) {
        const std::string query = root + (direction == Direction::kForward ? " forward" : " back") +
                                  " as of " + as_of.ToRfc3339();
        const Reach expected = BruteForce(edges, root, direction, as_of);
        Result<GenealogyReport> report = Unexpected(Internal("not read"));
        ASSERT_EQ(Describe(store_->Read([&](StoreReader& reader) -> Status {
                    report = MaterialService::GenealogyIn(reader, root, direction, as_of);
                    return {};
                  })),
                  "ok");
        ++compared;
        if (root.starts_with("batch:") && expected.lots.empty() && expected.batches.empty()) {
          // Nothing went into or came from the batch by then, either way: as good as no such
          // batch. A batch with material recorded only the other way answers with nothing.
          const Direction other =
              direction == Direction::kForward ? Direction::kBackward : Direction::kForward;
          const Reach reverse = BruteForce(edges, root, other, as_of);
          if (reverse.lots.empty() && reverse.batches.empty()) {
            EXPECT_EQ(Refusal(report), "not_found on root") << query;
            continue;
          }
        }
        ASSERT_EQ(Describe(report), "ok") << query;
        if (!expected.lots.empty() || !expected.batches.empty()) ++non_trivial;
        std::vector<std::string> lots;
        for (const LotSummary& lot : report->lots) lots.push_back(lot.id);
        std::sort(lots.begin(), lots.end());
        std::vector<std::string> batches = report->batches;
        std::sort(batches.begin(), batches.end());
        EXPECT_EQ(lots, std::vector<std::string>(expected.lots.begin(), expected.lots.end()))
            << query;
        EXPECT_EQ(batches,
                  std::vector<std::string>(expected.batches.begin(), expected.batches.end()))
            << query;
        EXPECT_EQ(report->trace.edges.size(), expected.edges) << query;
        EXPECT_FALSE(report->trace.truncated) << query;
        // What an investigator reads off the walked lots, the root's included.
        std::vector<std::string> walked = lots;
        if (root.starts_with("lot:")) walked.push_back(root.substr(4));
        const auto any_walked = [&](std::string_view prefix) {
          return std::any_of(walked.begin(), walked.end(),
                             [&](const std::string& lot) { return lot.starts_with(prefix); });
        };
        EXPECT_EQ(report->suppliers, any_walked("R-") ? std::vector<std::string>{"SUP-MILTENYI"}
                                                      : std::vector<std::string>())
            << query;
        EXPECT_EQ(report->patients.empty(), !any_walked("P-")) << query;
      }
    }
  }
  RecordProperty("traces_compared", std::to_string(compared));
  // The queries reached into the tree, not only past its edges.
  EXPECT_GE(non_trivial, compared / 4);
}

}  // namespace
}  // namespace aliquot::app
