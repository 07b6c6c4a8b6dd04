// Equipment, environmental monitoring and deviations as the server wires them: a real SQLite store
// in a temporary folder, every area's projector, a FakeClock, and a bootstrapped site whose people
// sign in with their own roles and sign logbook entries with their passwords. Each test drives
// EquipmentService, EnvironmentService and QualityService as requests do and asserts what an
// operator at the cabinet, the equipment owner, QC or QA would see; every test ends by checking
// that the projections rebuilt from the ledger equal the live tables.
#include "aliquot/domain/equipment/equipment.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "aliquot/app/environment_records.h"
#include "aliquot/app/environment_service.h"
#include "aliquot/app/equipment_records.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/quality_service.h"
#include "aliquot/app/services.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/domain/environment/monitoring.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using environment::Grade;
using environment::Occupancy;
using environment::Outcome;
using environment::SampleType;
using equipment::CleaningRule;
using equipment::EntryKind;
using equipment::EquipmentClass;
using equipment::EquipmentState;
using identity::Meaning;
using identity::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kSite = "LEI";
// Every person's password after their first sign-in.
constexpr std::string_view kPassword = "Leiden-cells-2026";
constexpr std::int64_t kMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = kMicrosPerDay;

// "failed_precondition on equipment", or "accepted": a refusal as a screen shows it, by its code
// and the field it points at.
template <typename T>
std::string Refusal(const Result<T>& result) {
  if (result) return "accepted";
  return std::string(ErrorCodeName(result.error().Code())) + " on " + result.error().Field();
}

// The code alone: "permission_denied", or "accepted".
template <typename T>
std::string Code(const Result<T>& result) {
  return result ? "accepted" : std::string(ErrorCodeName(result.error().Code()));
}

// "allowed", or the refusal's name ("not_clean"), or the error that kept the check from answering.
std::string Verdict(const Result<equipment::UseCheck>& check) {
  if (!check) return "error: " + check.error().ToString();
  return check->Allowed() ? "allowed" : std::string(equipment::UseRefusalName(check->refusal));
}

Ed25519SigningKey::Seed FixedSeed() {
  Ed25519SigningKey::Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(7 * i + 3);
  return seed;
}

Timestamp Plus(Timestamp t, std::int64_t micros) {
  return Timestamp::FromMicros(t.Micros() + micros);
}

// An instant as the equipment check's messages print it: "2026-01-18 09:00 UTC".
std::string Minute(Timestamp time) {
  const std::string text = time.ToRfc3339();
  return text.substr(0, 10) + " " + text.substr(11, 5) + " UTC";
}

std::string Year(Timestamp time) { return time.ToRfc3339().substr(0, 4); }

// A patient code as the label printer makes it: "DIN-", the body, its check character.
std::string PatientCode(const std::string& body) {
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

// One row as text, for comparisons whose failures print readably.
std::string RowText(const Row& row) {
  std::string text;
  for (const Value& value : row) text += (text.empty() ? "" : " | ") + ValueToString(value);
  return text;
}

// The state as stored, without its logbook length: what an entry that changes nothing leaves.
std::string StateText(const EquipmentState& state) {
  Json json = equipment::EquipmentToJson(state);
  json.Set("entries", 0);
  return CanonicalJson(json);
}

std::vector<int> Numbers(const LogbookPage& page) {
  std::vector<int> numbers;
  for (const LogbookRow& row : page.entries) numbers.push_back(row.entry.number);
  return numbers;
}

// The entry numbers from `first` to `last`, counting up or down.
std::vector<int> EntryNumbers(int first, int last) {
  std::vector<int> numbers;
  const int step = first <= last ? 1 : -1;
  for (int n = first; n != last + step; n += step) numbers.push_back(n);
  return numbers;
}

// A class II cabinet in `room`, cleaned by `rule`; each cleaning is verified by a second person.
equipment::Definition Cabinet(const std::string& room, CleaningRule rule) {
  equipment::Definition definition;
  definition.name = "Class II biosafety cabinet";
  definition.equipment_class = EquipmentClass::kBiosafetyCabinet;
  definition.manufacturer = "Thermo Fisher Scientific";
  definition.model = "1300 Series A2";
  definition.serial_number = "TF-1300-0412";
  definition.room = room;
  definition.cleaning_rule = rule;
  definition.second_person_checks = {EntryKind::kCleaning};
  return definition;
}

// An analytical balance in `room`, calibrated yearly in grams, not cleaned between uses.
equipment::Definition Balance(const std::string& room) {
  equipment::Definition definition;
  definition.name = "Analytical balance";
  definition.equipment_class = EquipmentClass::kBalance;
  definition.manufacturer = "Mettler-Toledo";
  definition.model = "XPR205";
  definition.serial_number = "MT-XPR-2207";
  definition.room = room;
  definition.calibration_interval_days = 365;
  definition.measures = "g";
  return definition;
}

// Equipment of `equipment_class` that needs neither cleaning nor calibration.
equipment::Definition Plain(const std::string& room, EquipmentClass equipment_class) {
  equipment::Definition definition;
  definition.name = std::string(equipment::EquipmentClassName(equipment_class)) + " in " + room;
  definition.equipment_class = equipment_class;
  definition.room = room;
  return definition;
}

// A 100 g check weight read `as_found` (and `as_left` after adjustment), tolerance +/- 1 mg.
equipment::CalibrationInput Weighing(double as_found,
                                     std::optional<double> as_left = std::nullopt) {
  equipment::CalibrationInput input;
  input.provider = "In-house metrology";
  input.reference_standard = "Weight set WS-0042 (cert. 2026-118)";
  equipment::CalibrationPoint point;
  point.nominal = 100;
  point.as_found = as_found;
  point.as_left = as_left;
  point.tolerance = 0.001;
  point.unit = "g";
  input.points.push_back(point);
  return input;
}

constexpr double kInTolerance = 100.0004;
constexpr double kOutOfTolerance = 100.0035;

equipment::CleaningInput Wipe() {
  equipment::CleaningInput input;
  input.agent = "70% IPA, then sporicidal (Klercide)";
  input.method = "Wipe-down per SOP-CLN-004";
  return input;
}

equipment::UseInput UseBy(const std::string& batch, const std::string& patient = "") {
  equipment::UseInput input;
  input.batch = batch;
  input.product = "CAR-T autologous";
  input.step = "Cell selection";
  input.patient_code = patient;
  return input;
}

identity::RecordRef LogbookEntry(const std::string& equipment, int entry) {
  return {"logbook_entry", equipment + ":" + std::to_string(entry)};
}

// A site freshly bootstrapped, with one person per role the equipment area needs: eva (equipment
// owner), vera (verifier), oliver and priya (operators), carlos (QC analyst), quinn (QA
// reviewer), anna (QA approver). eva has defined rooms B101 (grade B) and C201 (grade C).
class EquipmentSiteTest : public ::testing::Test {
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
    command.terminal.id = "LEI-B101-WS1";
    command.terminal.name = "Suite 1 workstation";
    command.terminal.location = "Suite 1 processing room B101";
    command.terminal.kind = identity::TerminalKind::kWorkstation;
    auto bootstrapped = services_->Identity().identity.Bootstrap(command, "cli:lab-1");
    ASSERT_EQ(Describe(bootstrapped), "ok");
    terminal_token_ = bootstrapped->terminal_token;
    auto admin = FirstSignIn("sam", bootstrapped->temporary_password);
    ASSERT_EQ(Describe(admin), "ok");
    admin_ = *admin;

    const std::vector<std::tuple<std::string, std::string, Role, RequestContext*>> people{
        {"eva", "Eva Mulder", Role::kEquipmentOwner, &eva_},
        {"vera", "Vera Kok", Role::kVerifier, &vera_},
        {"oliver", "Oliver Okafor", Role::kOperator, &oliver_},
        {"priya", "Priya Raman", Role::kOperator, &priya_},
        {"carlos", "Carlos Mendes", Role::kQcAnalyst, &carlos_},
        {"quinn", "Quinn de Vries", Role::kQaReviewer, &quinn_},
        {"anna", "Anna Bakker", Role::kQaApprover, &anna_},
    };
    for (const auto& [id, name, role, context] : people) {
      auto created =
          services_->Identity().identity.CreateUser(admin_, id, name, {{std::string(kSite), role}});
      ASSERT_EQ(Describe(created), "ok") << id;
      auto signed_in = FirstSignIn(id, created->secret);
      ASSERT_EQ(Describe(signed_in), "ok") << id;
      *context = *signed_in;
    }
    ASSERT_EQ(Describe(DefineRoom("B101", "Suite 1 processing room", Grade::kB)), "ok");
    ASSERT_EQ(Describe(DefineRoom("C201", "Suite 2 preparation room", Grade::kC)), "ok");
  }

  void TearDown() override {
    if (ledger_ != nullptr) {
      EXPECT_EQ(Describe(ledger_->Verify({})), "ok")
          << "the projections rebuilt from the ledger differ from the live tables";
    }
  }

  // Signs `user` in on the suite's workstation and replaces the temporary password.
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

  EquipmentService& Equipment() { return services_->Equipment(); }
  EnvironmentService& Environment() { return services_->Environment(); }
  QualityService& Quality() { return services_->Quality(); }

  Status DefineRoom(const std::string& id, const std::string& name, Grade grade) {
    return Equipment().DefineRoom(eva_, {id, std::string(kSite), name, grade}, "");
  }

  // `signer` signs `record` with `meaning` over the content they were shown.
  Status Sign(const RequestContext& signer, const identity::RecordRef& record, Meaning meaning) {
    SignatureService& signatures = services_->Signatures();
    ALIQUOT_ASSIGN_OR_RETURN(const RecordSignatures shown, signatures.Signatures(signer, record));
    SignRequest request;
    request.meaning = meaning;
    request.content_hash = shown.content_hash;
    request.password = std::string(kPassword);
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ElectronicSignature signature,
                             signatures.Sign(signer, record, request));
    (void)signature;
    return {};
  }

  // `performer` signs entry `entry` of `id` as performed and, when given, `verifier` verifies it.
  Status SignOff(const RequestContext& performer, const RequestContext* verifier,
                 const std::string& id, int entry) {
    ALIQUOT_RETURN_IF_ERROR(Sign(performer, LogbookEntry(id, entry), Meaning::kPerformed));
    if (verifier == nullptr) return {};
    return Sign(*verifier, LogbookEntry(id, entry), Meaning::kVerified);
  }

  // eva registers the equipment; she records its qualification and signs it, vera verifies it.
  Status RegisterQualified(const std::string& id, const equipment::Definition& definition) {
    ALIQUOT_RETURN_IF_ERROR(Equipment().Register(eva_, id, definition));
    equipment::QualificationInput qualification;
    qualification.reference = "IQOQ-" + id + "-2026";
    ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded recorded,
                             Equipment().RecordQualification(eva_, id, qualification));
    return SignOff(eva_, &vera_, id, recorded.entry);
  }

  // eva calibrates `id` within tolerance and signs it (vera verifies when the rules ask).
  Status CalibrateGood(const std::string& id, bool verified = false) {
    ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded recorded,
                             Equipment().RecordCalibration(eva_, id, Weighing(kInTolerance)));
    return SignOff(eva_, verified ? &vera_ : nullptr, id, recorded.entry);
  }

  // oliver cleans `id` and signs it; vera verifies it.
  Status Clean(const std::string& id) {
    ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded recorded,
                             Equipment().RecordCleaning(oliver_, id, Wipe()));
    return SignOff(oliver_, &vera_, id, recorded.entry);
  }

  // oliver uses `id` for `batch` and ends the use.
  Status UseAndEnd(const std::string& id, const std::string& batch) {
    ALIQUOT_RETURN_IF_ERROR(Equipment().StartUse(oliver_, id, UseBy(batch)));
    ALIQUOT_RETURN_IF_ERROR(Equipment().EndUse(oliver_, id, batch, ""));
    return {};
  }

  Result<equipment::UseCheck> CheckFor(const std::string& id, const std::string& batch,
                                       const std::string& patient = "",
                                       std::optional<Timestamp> at = std::nullopt) {
    EquipmentCheckInput input;
    input.batch = batch;
    input.product = "CAR-T autologous";
    input.patient_code = patient;
    input.at = at;
    return Equipment().Check(oliver_, id, input);
  }

  // The equipment as it stands now; equipment that is not there fails the test.
  EquipmentView Stored(const std::string& id) {
    auto view = Equipment().Get(quinn_, id, std::nullopt);
    EXPECT_EQ(Describe(view), "ok") << id;
    return view ? *view : EquipmentView();
  }

  std::optional<LogbookRow> EntryRow(const std::string& id, int number) {
    auto row = Equipment().Entry(quinn_, id, number);
    EXPECT_EQ(Describe(row), "ok") << id << " entry " << number;
    if (!row) return std::nullopt;
    return *row;
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

  LedgerHead Head() {
    auto head = store_->Head();
    EXPECT_EQ(Describe(head), "ok");
    return head ? *head : LedgerHead();
  }

  std::vector<quality::DeviationState> Deviations(const std::optional<std::string>& batch) {
    auto deviations = Quality().Deviations(quinn_, batch);
    EXPECT_EQ(Describe(deviations), "ok");
    return deviations ? *deviations : std::vector<quality::DeviationState>();
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
  RequestContext eva_;
  RequestContext vera_;
  RequestContext oliver_;
  RequestContext priya_;
  RequestContext carlos_;
  RequestContext quinn_;
  RequestContext anna_;
};

using EquipmentCleaning = EquipmentSiteTest;
using EquipmentSignatures = EquipmentSiteTest;
using EquipmentCalibration = EquipmentSiteTest;
using EquipmentCheck = EquipmentSiteTest;
using EquipmentHistory = EquipmentSiteTest;
using EquipmentLogbook = EquipmentSiteTest;
using EquipmentProjection = EquipmentSiteTest;
using EquipmentDeviation = EquipmentSiteTest;
using EnvironmentMonitoring = EquipmentSiteTest;

// ---------------------------------------------------------------------------------------------
// Cleaning.

// Verifies G-07, A11-01, AL-01: a cleaning makes the cabinet clean only once its performer has
// signed it and a second person verified it; the clean status then lasts its 72 h hold, counted
// from the cleaning's server time: usable at 71 h 59 min, refused at 72 h with the expiry named.
TEST_F(EquipmentCleaning, CleanStatusLapsesWhenItsHoldTimeEndsUnused_G07) {
  equipment::Definition definition = Cabinet("B101", CleaningRule::kAfterEachUse);
  definition.clean_hold_hours = 72;
  ASSERT_EQ(Describe(RegisterQualified("BSC-01", definition)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BSC-01", "B1")), "not_clean");

  clock_.Advance(kHour);
  const Timestamp cleaned_at = clock_.Now();
  const auto cleaned = Equipment().RecordCleaning(oliver_, "BSC-01", Wipe());
  ASSERT_EQ(Describe(cleaned), "ok");
  // AL-01: the entry carries the server's time of recording.
  const std::optional<LogbookRow> row = EntryRow("BSC-01", cleaned->entry);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->entry.kind, EntryKind::kCleaning);
  EXPECT_EQ(row->entry.at, cleaned_at);
  EXPECT_EQ(row->entry.by, "oliver");

  // Recorded, not signed: what permits use takes effect only once signed.
  auto check = CheckFor("BSC-01", "B1");
  EXPECT_EQ(Verdict(check), "not_clean");
  EXPECT_THAT(check->message, HasSubstr("awaits oliver's signature"));
  ASSERT_EQ(Describe(Sign(oliver_, LogbookEntry("BSC-01", cleaned->entry), Meaning::kPerformed)),
            "ok");
  check = CheckFor("BSC-01", "B1");
  EXPECT_EQ(Verdict(check), "not_clean");
  EXPECT_THAT(check->message, HasSubstr("awaits a second person's verification"));
  clock_.Advance(10 * kMinute);  // vera verifies a little later; the hold counts from the cleaning.
  ASSERT_EQ(Describe(Sign(vera_, LogbookEntry("BSC-01", cleaned->entry), Meaning::kVerified)),
            "ok");
  EXPECT_EQ(Verdict(CheckFor("BSC-01", "B1")), "allowed");

  const Timestamp expiry = Plus(cleaned_at, 72 * kHour);
  clock_.Set(Plus(expiry, -kMinute));
  EXPECT_EQ(Verdict(CheckFor("BSC-01", "B1")), "allowed");
  EquipmentView view = Stored("BSC-01");
  EXPECT_EQ(view.status.clean, equipment::CleanStatus::kClean);
  EXPECT_EQ(view.status.clean_until, expiry);

  clock_.Set(expiry);
  check = CheckFor("BSC-01", "B1");
  EXPECT_EQ(Verdict(check), "not_clean");
  EXPECT_THAT(check->message, HasSubstr("expired " + Minute(expiry)));
  EXPECT_THAT(check->message, HasSubstr("hold 72 h"));
  view = Stored("BSC-01");
  EXPECT_EQ(view.status.clean, equipment::CleanStatus::kExpired);
  // The operator is refused at the cabinet too, and the refusal is in its logbook.
  EXPECT_EQ(Refusal(Equipment().StartUse(oliver_, "BSC-01", UseBy("B1"))),
            "failed_precondition on equipment");
  // A fresh cleaning, signed and verified, restores it.
  ASSERT_EQ(Describe(Clean("BSC-01")), "ok");
  EXPECT_EQ(Verdict(CheckFor("BSC-01", "B1")), "allowed");
}

// Verifies T-01, G-07: a cabinet cleaned between patients, used by batch B1 for patient P1, is
// refused to patient P2's batch after the use ("last used by batch B1 (patient P1)"), while P1's
// next batch may use it; a signed and verified cleaning opens it to P2.
TEST_F(EquipmentCleaning, AnotherPatientsBatchWaitsForASignedCleaning_T01) {
  ASSERT_EQ(Describe(RegisterQualified("BSC-02", Cabinet("B101", CleaningRule::kBetweenPatients))),
            "ok");
  ASSERT_EQ(Describe(Clean("BSC-02")), "ok");
  const std::string p1 = PatientCode("A7Q29K44");
  const std::string p2 = PatientCode("B3M81X20");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "BSC-02", UseBy("B1", p1))), "ok");
  auto check = CheckFor("BSC-02", "B2", p2);
  EXPECT_EQ(Verdict(check), "in_use");
  EXPECT_THAT(check->message, HasSubstr("in use by batch B1 (patient " + p1 + ")"));
  clock_.Advance(2 * kHour);
  ASSERT_EQ(Describe(Equipment().EndUse(oliver_, "BSC-02", "B1", "Selection complete")), "ok");

  check = CheckFor("BSC-02", "B2", p2);
  EXPECT_EQ(Verdict(check), "not_clean");
  EXPECT_THAT(check->message, HasSubstr("last used by batch B1 (patient " + p1 + ")"));
  EXPECT_THAT(check->message, HasSubstr("cleaned between patients"));
  // A use without a patient is another patient's as far as the residue goes.
  EXPECT_EQ(Verdict(CheckFor("BSC-02", "B2")), "not_clean");
  // The same patient's next batch may go on.
  EXPECT_EQ(Verdict(CheckFor("BSC-02", "B1-R", p1)), "allowed");
  EXPECT_EQ(Refusal(Equipment().StartUse(priya_, "BSC-02", UseBy("B2", p2))),
            "failed_precondition on equipment");

  clock_.Advance(kHour);
  const auto cleaned = Equipment().RecordCleaning(oliver_, "BSC-02", Wipe());
  ASSERT_EQ(Describe(cleaned), "ok");
  EXPECT_EQ(Verdict(CheckFor("BSC-02", "B2", p2)), "not_clean") << "a cleaning not yet signed";
  ASSERT_EQ(Describe(SignOff(oliver_, &vera_, "BSC-02", cleaned->entry)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BSC-02", "B2", p2)), "allowed");
  const auto started = Equipment().StartUse(priya_, "BSC-02", UseBy("B2", p2));
  ASSERT_EQ(Describe(started), "ok");
  const std::optional<LogbookRow> row = EntryRow("BSC-02", started->entry);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->entry.kind, EntryKind::kUseStarted);
  EXPECT_EQ(row->entry.batch, "B2");
  EXPECT_EQ(row->entry.by, "priya");
}

// ---------------------------------------------------------------------------------------------
// Signatures of logbook entries.

// Verifies A11-01, P11-07, G-07: only the person who cleaned signs the cleaning as performed;
// another person's attempt is refused, recorded, and changes nothing. The performer, eva, holds
// equipment.verify as the equipment owner and still cannot verify her own cleaning; an operator
// without equipment.verify cannot either; vera, a verifier, can, and only then is it clean.
TEST_F(EquipmentSignatures, OnlyThePerformerSignsAndAnotherPersonVerifies_A11_01) {
  ASSERT_EQ(Describe(RegisterQualified("BSC-03", Cabinet("B101", CleaningRule::kBetweenBatches))),
            "ok");
  clock_.Advance(kHour);
  const auto cleaned = Equipment().RecordCleaning(eva_, "BSC-03", Wipe());
  ASSERT_EQ(Describe(cleaned), "ok");
  const identity::RecordRef record = LogbookEntry("BSC-03", cleaned->entry);
  const std::size_t denied_before = Events("identity.permission_denied").size();
  const std::string state_before = StateText(Stored("BSC-03").state);
  const LedgerHead head_before = Head();

  const Status by_oliver = Sign(oliver_, record, Meaning::kPerformed);
  EXPECT_EQ(Refusal(by_oliver), "permission_denied on meaning");
  EXPECT_THAT(by_oliver.error().Message(), HasSubstr("performed by eva"));
  // Recorded (P11-07), and nothing else: the cabinet is still not clean.
  std::vector<ledger::Event> denied = Events("identity.permission_denied");
  ASSERT_EQ(denied.size(), denied_before + 1);
  EXPECT_EQ(denied.back().actor.id, "oliver");
  EXPECT_EQ(Head().size, head_before.size + 1);
  EXPECT_EQ(StateText(Stored("BSC-03").state), state_before);
  EXPECT_EQ(Verdict(CheckFor("BSC-03", "B1")), "not_clean");
  std::optional<LogbookRow> row = EntryRow("BSC-03", cleaned->entry);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->signed_by, std::nullopt);

  // Verified before it is signed: refused.
  EXPECT_EQ(Refusal(Sign(vera_, record, Meaning::kVerified)), "failed_precondition on ");
  ASSERT_EQ(Describe(Sign(eva_, record, Meaning::kPerformed)), "ok");
  row = EntryRow("BSC-03", cleaned->entry);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->signed_by, "eva");
  EXPECT_EQ(Verdict(CheckFor("BSC-03", "B1")), "not_clean") << "awaiting verification";
  // Signing twice is refused.
  EXPECT_EQ(Refusal(Sign(eva_, record, Meaning::kPerformed)), "failed_precondition on ");

  // A11-01: the second check is another person's, whatever the performer's roles.
  const Status by_eva = Sign(eva_, record, Meaning::kVerified);
  EXPECT_EQ(Refusal(by_eva), "permission_denied on meaning");
  EXPECT_THAT(by_eva.error().Message(), HasSubstr("another person must"));
  denied = Events("identity.permission_denied");
  ASSERT_EQ(denied.size(), denied_before + 2);
  EXPECT_EQ(denied.back().actor.id, "eva");
  // An operator holds no equipment.verify.
  EXPECT_EQ(Refusal(Sign(oliver_, record, Meaning::kVerified)), "permission_denied on action");
  EXPECT_EQ(Verdict(CheckFor("BSC-03", "B1")), "not_clean");
  // A logbook entry takes no approval.
  EXPECT_EQ(Refusal(Sign(anna_, record, Meaning::kApproved)), "invalid_argument on meaning");

  ASSERT_EQ(Describe(Sign(vera_, record, Meaning::kVerified)), "ok");
  row = EntryRow("BSC-03", cleaned->entry);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->verified_by, "vera");
  EXPECT_EQ(Verdict(CheckFor("BSC-03", "B1")), "allowed");
  // The record shows both signatures, each with its meaning (P11-11).
  const auto signatures = services_->Signatures().Signatures(quinn_, record);
  ASSERT_EQ(Describe(signatures), "ok");
  std::vector<std::string> shown;
  for (const identity::ElectronicSignature& signature : signatures->signatures) {
    shown.push_back(signature.signer_id + " " +
                    std::string(identity::MeaningName(signature.meaning)));
  }
  EXPECT_THAT(shown, ElementsAre("eva performed", "vera verified"));
  // No entry to sign: refused as not found.
  EXPECT_EQ(Refusal(Sign(eva_, LogbookEntry("BSC-03", 999), Meaning::kPerformed)),
            "not_found on record_id");
}

// ---------------------------------------------------------------------------------------------
// Calibration.

// Verifies G-04, G-07: a balance found out of tolerance at calibration raises deviation
// DEV-<year>-0001 at once, listing exactly the batches that used it since its last good
// calibration (B2 and B3, not B1 from before), the window starting at that calibration; QA lists
// it, by batch too; the next failure is DEV-<year>-0002.
TEST_F(EquipmentCalibration, OutOfToleranceRaisesADeviationForTheBatchesSinceTheLastGoodOne_G04) {
  ASSERT_EQ(Describe(RegisterQualified("BAL-01", Balance("C201"))), "ok");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(CalibrateGood("BAL-01")), "ok");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(UseAndEnd("BAL-01", "B1")), "ok");

  clock_.Advance(kDay);
  const Timestamp good_at = clock_.Now();
  const auto good = Equipment().RecordCalibration(eva_, "BAL-01", Weighing(kInTolerance));
  ASSERT_EQ(Describe(good), "ok");
  EXPECT_EQ(good->deviation, std::nullopt);
  clock_.Advance(5 * kMinute);
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-01", good->entry)), "ok");
  for (const std::string batch : {"B3", "B2", "B3"}) {
    clock_.Advance(kHour);
    ASSERT_EQ(Describe(UseAndEnd("BAL-01", batch)), "ok") << batch;
  }
  // A use refused (the balance is busy) is no use: B9 is not among those affected.
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "BAL-01", UseBy("B2"))), "ok");
  EXPECT_EQ(Refusal(Equipment().StartUse(priya_, "BAL-01", UseBy("B9"))),
            "failed_precondition on equipment");
  ASSERT_EQ(Describe(Equipment().EndUse(oliver_, "BAL-01", "B2", "")), "ok");
  EXPECT_TRUE(Deviations(std::nullopt).empty());

  clock_.Advance(kDay);
  const Timestamp failed_at = clock_.Now();
  const std::string year = Year(failed_at);
  const auto failed =
      Equipment().RecordCalibration(eva_, "BAL-01", Weighing(kOutOfTolerance, kInTolerance));
  ASSERT_EQ(Describe(failed), "ok");
  ASSERT_TRUE(failed->deviation);
  const quality::DeviationState& raised = *failed->deviation;
  EXPECT_EQ(raised.id, "DEV-" + year + "-0001");
  EXPECT_EQ(raised.details.source, quality::DeviationSource::kCalibration);
  EXPECT_EQ(raised.details.equipment, "BAL-01");
  EXPECT_EQ(raised.details.equipment_entry, failed->entry);
  EXPECT_THAT(raised.details.batches, ElementsAre("B2", "B3"));
  EXPECT_EQ(raised.details.window_start, good_at);
  EXPECT_EQ(raised.details.window_end, failed_at);
  EXPECT_THAT(raised.details.description, HasSubstr("found 100.0035"));
  EXPECT_EQ(raised.raised_by, "eva");
  // The logbook shows the failure as an alert.
  const std::optional<LogbookRow> row = EntryRow("BAL-01", failed->entry);
  ASSERT_TRUE(row);
  EXPECT_TRUE(row->entry.alert);
  EXPECT_THAT(row->entry.summary, HasSubstr("OUT OF TOLERANCE as found"));

  // As QA sees it.
  const std::vector<quality::DeviationState> listed = Deviations(std::nullopt);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed.front().id, raised.id);
  EXPECT_THAT(listed.front().details.batches, ElementsAre("B2", "B3"));
  EXPECT_EQ(listed.front().details.window_start, good_at);
  EXPECT_EQ(listed.front().raised_at, failed_at);
  EXPECT_EQ(Deviations(std::string("B3")).size(), 1U);
  EXPECT_TRUE(Deviations(std::string("B1")).empty());
  const auto one = Quality().Deviation(anna_, raised.id);
  ASSERT_EQ(Describe(one), "ok");
  EXPECT_EQ(one->details.title, raised.details.title);
  EXPECT_EQ(Refusal(Quality().Deviation(anna_, "DEV-" + year + "-0099")),
            "not_found on deviation_id");

  // Out of tolerance as left too: the balance is stopped at once, before anyone signs, and the
  // second failure takes the next number.
  clock_.Advance(kHour);
  const auto again = Equipment().RecordCalibration(eva_, "BAL-01", Weighing(kOutOfTolerance));
  ASSERT_EQ(Describe(again), "ok");
  ASSERT_TRUE(again->deviation);
  EXPECT_EQ(again->deviation->id, "DEV-" + year + "-0002");
  EXPECT_THAT(again->deviation->details.batches, ElementsAre("B2", "B3"));
  const auto check = CheckFor("BAL-01", "B4");
  EXPECT_EQ(Verdict(check), "calibration_overdue");
  EXPECT_THAT(check->message,
              HasSubstr("failed calibration (entry " + std::to_string(again->entry) + ")"));
  const std::vector<quality::DeviationState> both = Deviations(std::nullopt);
  ASSERT_EQ(both.size(), 2U);
  EXPECT_EQ(both[0].id, "DEV-" + year + "-0002") << "newest first";
  EXPECT_EQ(both[1].id, "DEV-" + year + "-0001");
  // A passing calibration lifts the stop only once signed.
  clock_.Advance(kHour);
  const auto passed = Equipment().RecordCalibration(eva_, "BAL-01", Weighing(kInTolerance));
  ASSERT_EQ(Describe(passed), "ok");
  EXPECT_EQ(passed->deviation, std::nullopt);
  EXPECT_EQ(Verdict(CheckFor("BAL-01", "B4")), "calibration_overdue");
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-01", passed->entry)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BAL-01", "B4")), "allowed");
}

// ---------------------------------------------------------------------------------------------
// The equipment check.

// Verifies P11-06, G-06: every reason the equipment check refuses, asked through the service; and
// a use refused at the bench is recorded once in the logbook as an alert and returned as
// kFailedPrecondition, while nothing else about the equipment changes.
TEST_F(EquipmentCheck, RefusesForEachReasonAndRecordsOnlyTheRefusal_P11_06) {
  equipment::Definition balance = Balance("C201");
  balance.maintenance_interval_days = 30;
  ASSERT_EQ(Describe(RegisterQualified("BAL-05", balance)), "ok");
  ASSERT_EQ(Describe(CalibrateGood("BAL-05")), "ok");
  ASSERT_EQ(Describe(RegisterQualified("BSC-05", Cabinet("B101", CleaningRule::kBetweenBatches))),
            "ok");
  ASSERT_EQ(Describe(Clean("BSC-05")), "ok");
  ASSERT_EQ(Describe(Equipment().Register(eva_, "BSC-NQ", Cabinet("B101", CleaningRule::kNone))),
            "ok");
  ASSERT_EQ(Describe(RegisterQualified("BAL-NC", Balance("C201"))), "ok");
  std::set<std::string> seen;
  const auto expect = [&](const Result<equipment::UseCheck>& check, const std::string& refusal,
                          const std::string& words) {
    EXPECT_EQ(Verdict(check), refusal) << words;
    if (!check) return;
    EXPECT_THAT(check->message, HasSubstr(words));
    seen.insert(Verdict(check));
  };

  EquipmentCheckInput wrong_class;
  wrong_class.batch = "B1";
  wrong_class.required_class = EquipmentClass::kBiosafetyCabinet;
  expect(Equipment().Check(oliver_, "BAL-05", wrong_class), "wrong_class",
         "BAL-05 is a balance; this step needs a biosafety cabinet");
  EquipmentCheckInput aseptic;
  aseptic.batch = "B1";
  aseptic.required_class = EquipmentClass::kBiosafetyCabinet;
  aseptic.required_grade = Grade::kA;
  expect(Equipment().Check(oliver_, "BSC-05", aseptic), "wrong_room_grade",
         "stands in room B101 (grade B); this step needs grade A");
  aseptic.required_grade = Grade::kB;
  EXPECT_EQ(Verdict(Equipment().Check(oliver_, "BSC-05", aseptic)), "allowed");
  expect(CheckFor("BSC-NQ", "B1"), "not_qualified", "BSC-NQ is not qualified");
  expect(CheckFor("BAL-NC", "B1"), "calibration_overdue", "BAL-NC has no calibration in force");

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "BSC-05", UseBy("B1"))), "ok");
  expect(CheckFor("BSC-05", "B2"), "in_use", "BSC-05 is in use by batch B1");
  EXPECT_EQ(Verdict(CheckFor("BSC-05", "B1")), "allowed") << "the batch using it goes on";
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().EndUse(oliver_, "BSC-05", "B1", "")), "ok");
  expect(CheckFor("BSC-05", "B2"), "not_clean", "was last used by batch B1");

  // The refused use: recorded once, as an alert, and nothing else changes.
  const LedgerHead head_before = Head();
  const EquipmentView before = Stored("BSC-05");
  const std::size_t uses_before = Events("equipment.use_started").size();
  const auto refused_check = CheckFor("BSC-05", "B2");
  const auto refused = Equipment().StartUse(priya_, "BSC-05", UseBy("B2"));
  EXPECT_EQ(Refusal(refused), "failed_precondition on equipment");
  ASSERT_TRUE(refused_check);
  EXPECT_EQ(refused.error().Message(), refused_check->message);
  EXPECT_EQ(Head().size, head_before.size + 1);
  const std::vector<ledger::Event> refusals = Events("equipment.use_refused");
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(refusals.back().seq, head_before.size + 1);
  EXPECT_EQ(Events("equipment.use_started").size(), uses_before);
  const EquipmentView after = Stored("BSC-05");
  EXPECT_EQ(after.state.entries, before.state.entries + 1);
  EXPECT_EQ(StateText(after.state), StateText(before.state));
  const auto page = Equipment().Logbook(quinn_, "BSC-05", std::nullopt, std::nullopt, false, 1);
  ASSERT_EQ(Describe(page), "ok");
  ASSERT_EQ(page->entries.size(), 1U);
  const equipment::LogbookEntry& entry = page->entries.front().entry;
  EXPECT_EQ(entry.number, after.state.entries);
  EXPECT_EQ(entry.kind, EntryKind::kUseRefused);
  EXPECT_TRUE(entry.alert);
  EXPECT_EQ(entry.batch, "B2");
  EXPECT_EQ(entry.by, "priya");
  EXPECT_THAT(entry.summary, HasSubstr("not_clean"));
  EXPECT_EQ(Verdict(CheckFor("BSC-05", "B2")), "not_clean");

  // Out of service at once; back only once the return is signed.
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().TakeOutOfService(eva_, "BAL-05", "Display flickers; service")),
            "ok");
  expect(CheckFor("BAL-05", "B1"), "out_of_service", "BAL-05 is out of service since");
  clock_.Advance(kHour);
  const auto returned = Equipment().ReturnToService(eva_, "BAL-05", "Display replaced by vendor");
  ASSERT_EQ(Describe(returned), "ok");
  expect(CheckFor("BAL-05", "B1"), "out_of_service", "awaits eva's signature");
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-05", returned->entry)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BAL-05", "B1")), "allowed");

  // Thirty days after registration, with no preventive maintenance: overdue.
  clock_.Advance(30 * kDay);
  expect(CheckFor("BAL-05", "B1"), "maintenance_overdue",
         "preventive maintenance of BAL-05 was due");
  equipment::MaintenanceInput maintenance;
  maintenance.description = "Preventive maintenance per SOP-EQ-011: levelling, draft shield";
  const auto maintained = Equipment().RecordMaintenance(eva_, "BAL-05", maintenance);
  ASSERT_EQ(Describe(maintained), "ok");
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-05", maintained->entry)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BAL-05", "B1")), "allowed");
  // Withdrawing the qualification restricts use: at once, before anyone signs it.
  equipment::QualificationInput withdrawn;
  withdrawn.status = equipment::QualificationStatus::kNotQualified;
  withdrawn.reference = "PQ-BAL-05 deviation: repeatability out of limits";
  ASSERT_EQ(Describe(Equipment().RecordQualification(anna_, "BAL-05", withdrawn)), "ok");
  EXPECT_EQ(Verdict(CheckFor("BAL-05", "B1")), "not_qualified");

  EXPECT_EQ(seen, (std::set<std::string>{"wrong_class", "wrong_room_grade", "out_of_service",
                                         "not_qualified", "calibration_overdue",
                                         "maintenance_overdue", "in_use", "not_clean"}));
  EXPECT_EQ(Refusal(CheckFor("NO-SUCH", "B1")), "not_found on equipment");
}

// ---------------------------------------------------------------------------------------------
// Status as of an instant.

// Verifies G-07, P11-05: the equipment as of any instant is the state as it stood then: out of
// service only within the interval (the return counting from its signature), the calibration due
// date moving only with the recalibration, and nothing before its registration.
TEST_F(EquipmentHistory, StatusAsOfAnInstantIsTheStateAsItStoodThen_G07) {
  const Timestamp before_registration = clock_.Now();
  clock_.Advance(kMinute);
  equipment::Definition balance = Balance("C201");
  balance.calibration_interval_days = 30;
  ASSERT_EQ(Describe(RegisterQualified("BAL-06", balance)), "ok");
  const Timestamp registered = clock_.Now();
  clock_.Advance(kHour);
  const Timestamp first_calibration = clock_.Now();
  ASSERT_EQ(Describe(CalibrateGood("BAL-06")), "ok");
  clock_.Advance(kHour);
  const Timestamp out_at = clock_.Now();
  ASSERT_EQ(Describe(Equipment().TakeOutOfService(eva_, "BAL-06", "Dropped during cleaning")),
            "ok");
  clock_.Advance(3 * kHour);
  const auto returned = Equipment().ReturnToService(eva_, "BAL-06", "Inspected; no damage found");
  ASSERT_EQ(Describe(returned), "ok");
  const Timestamp return_recorded = clock_.Now();
  clock_.Advance(10 * kMinute);
  const Timestamp return_signed = clock_.Now();
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-06", returned->entry)), "ok");
  clock_.Advance(10 * kDay);
  const Timestamp second_calibration = clock_.Now();
  ASSERT_EQ(Describe(CalibrateGood("BAL-06")), "ok");
  clock_.Advance(kHour);

  const auto at = [&](Timestamp instant) {
    auto view = Equipment().Get(quinn_, "BAL-06", instant);
    EXPECT_EQ(Describe(view), "ok") << instant.ToRfc3339();
    return view ? *view : EquipmentView();
  };
  EXPECT_EQ(Refusal(Equipment().Get(quinn_, "BAL-06", before_registration)), "not_found on at");
  EXPECT_EQ(at(registered).status.calibration_overdue, true);
  EXPECT_EQ(at(registered).status.qualification, equipment::QualificationStatus::kQualified);
  EXPECT_EQ(at(Plus(first_calibration, -1)).status.calibration_due, std::nullopt);
  const Timestamp first_due = Plus(first_calibration, 30 * kDay);
  const Timestamp second_due = Plus(second_calibration, 30 * kDay);
  EXPECT_EQ(at(first_calibration).status.calibration_due, first_due);
  EXPECT_EQ(at(Plus(out_at, -1)).status.out_of_service, false);
  EXPECT_EQ(at(out_at).status.out_of_service, true);
  EXPECT_EQ(at(Plus(out_at, 2 * kHour)).status.out_of_service, true);
  // Recorded but not yet signed: still out of service.
  EXPECT_EQ(at(Plus(return_recorded, kMinute)).status.out_of_service, true);
  EXPECT_EQ(at(Plus(return_signed, -1)).status.out_of_service, true);
  EXPECT_EQ(at(return_signed).status.out_of_service, false);
  EXPECT_EQ(at(Plus(return_signed, kDay)).status.calibration_due, first_due);
  EXPECT_EQ(at(Plus(second_calibration, -1)).status.calibration_due, first_due);
  EXPECT_EQ(at(second_calibration).status.calibration_due, second_due);
  EXPECT_EQ(at(clock_.Now()).status.calibration_due, second_due);
  // As of an instant the due date had passed on the old calibration: overdue then.
  const EquipmentView late = at(Plus(first_due, -kHour));
  EXPECT_EQ(late.status.calibration_due, second_due);
  const auto then = Equipment().Check(
      oliver_, "BAL-06", {std::nullopt, std::nullopt, "B1", "", "", Plus(out_at, kHour)});
  EXPECT_EQ(Verdict(then), "out_of_service") << "the check as of an instant in the interval";
  EXPECT_EQ(Verdict(CheckFor("BAL-06", "B1")), "allowed");
}

// Verifies G-06, P11-06: the check and the view as of an instant judge the equipment in its room
// as both stood then (equipment.h: CheckUse takes the room "as it stood at request.at"): suite
// B101 was grade B until its requalification failed and QA regraded it C, so an aseptic step that
// needed grade B could use the cabinet before the regrade, and cannot now.
TEST_F(EquipmentHistory, CheckAsOfAnInstantJudgesTheRoomGradeAsItStoodThen_G06) {
  ASSERT_EQ(Describe(RegisterQualified("BSC-07", Cabinet("B101", CleaningRule::kNone))), "ok");
  clock_.Advance(kHour);
  const Timestamp while_grade_b = clock_.Now();
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().DefineRoom(
                eva_, {"B101", std::string(kSite), "Suite 1 processing room", Grade::kC},
                "Requalification failed: particle counts above grade B at rest")),
            "ok");
  clock_.Advance(kHour);

  EquipmentCheckInput aseptic;
  aseptic.batch = "B1";
  aseptic.required_grade = Grade::kB;
  EXPECT_EQ(Verdict(Equipment().Check(oliver_, "BSC-07", aseptic)), "wrong_room_grade");
  aseptic.at = while_grade_b;
  EXPECT_EQ(Verdict(Equipment().Check(oliver_, "BSC-07", aseptic)), "allowed")
      << "B101 was grade B at " << while_grade_b.ToRfc3339();
  const auto then = Equipment().Get(quinn_, "BSC-07", while_grade_b);
  ASSERT_EQ(Describe(then), "ok");
  EXPECT_EQ(std::string(environment::GradeName(then->room.grade)), "B");
  EXPECT_EQ(then->room.revision, 1);
}

// What the property does to the equipment at each step.
enum class Step {
  kStartUse,
  kEndUse,
  kClean,
  kCalibratePass,
  kCalibrateFail,
  kMaintain,
  kOutOfService,
  kReturnToService,
  kQualify,
  kSignPerformed,
  kVerify,
};

// Verifies G-07, P11-01: for random histories of a piece of equipment recorded at FakeClock
// times, the state as of any instant equals folding (equipment::ApplyEquipmentEvent) exactly the
// events of its stream, read back from the ledger, sealed at or before that instant.
TEST_F(EquipmentHistory, AsOfViewEqualsFoldingItsStreamUpToThatInstant_G07) {
  int histories = 0;
  int instants = 0;
  const bool held = rc::check("as-of view equals the fold of the stream", [&] {
    const std::string id = "BAL-P" + std::to_string(++histories);
    equipment::Definition definition = Balance("C201");
    definition.calibration_interval_days = 7;
    definition.maintenance_interval_days = 14;
    definition.cleaning_rule = CleaningRule::kBetweenBatches;
    definition.clean_hold_hours = 48;
    definition.second_person_checks = {EntryKind::kCleaning, EntryKind::kCalibration,
                                       EntryKind::kReturnedToService};
    const std::uint64_t first_seq = Head().size + 1;
    RC_ASSERT(Describe(Equipment().Register(eva_, id, definition)) == "ok");
    const Timestamp start = clock_.Now();

    int signable_entry = 0;  // The entry the next signature concerns, and who performed it.
    const RequestContext* performer = &eva_;
    int batches = 0;
    const int steps = *rc::gen::inRange(1, 30);
    for (int s = 0; s < steps; ++s) {
      clock_.Advance(*rc::gen::element<std::int64_t>(0, 1, 45, 600, 1800, 4320) * kMinute);
      const Step step = *rc::gen::element(
          Step::kStartUse, Step::kEndUse, Step::kClean, Step::kCalibratePass, Step::kCalibrateFail,
          Step::kMaintain, Step::kOutOfService, Step::kReturnToService, Step::kQualify,
          Step::kSignPerformed, Step::kVerify);
      // Refusals are part of the history too: a refused use is an entry, a refused signature
      // leaves the stream alone.
      const auto remember = [&](const Result<EntryRecorded>& recorded, const RequestContext& who) {
        if (!recorded) return;
        signable_entry = recorded->entry;
        performer = &who;
      };
      switch (step) {
        case Step::kStartUse: {
          const bool same = batches > 0 && *rc::gen::arbitrary<bool>();
          if (!same) ++batches;
          (void)Equipment().StartUse(oliver_, id, UseBy("B" + std::to_string(batches)));
          break;
        }
        case Step::kEndUse:
          (void)Equipment().EndUse(oliver_, id, "B" + std::to_string(batches), "");
          break;
        case Step::kClean:
          remember(Equipment().RecordCleaning(oliver_, id, Wipe()), oliver_);
          break;
        case Step::kCalibratePass:
          remember(Equipment().RecordCalibration(eva_, id, Weighing(kInTolerance)), eva_);
          break;
        case Step::kCalibrateFail:
          remember(Equipment().RecordCalibration(eva_, id, Weighing(kOutOfTolerance)), eva_);
          break;
        case Step::kMaintain: {
          equipment::MaintenanceInput maintenance;
          maintenance.description = "Preventive maintenance per SOP-EQ-011";
          remember(Equipment().RecordMaintenance(eva_, id, maintenance), eva_);
          break;
        }
        case Step::kOutOfService:
          (void)Equipment().TakeOutOfService(eva_, id, "Out for inspection");
          break;
        case Step::kReturnToService:
          remember(Equipment().ReturnToService(eva_, id, "Inspected and fit"), eva_);
          break;
        case Step::kQualify: {
          equipment::QualificationInput qualification;
          qualification.reference = "IQOQ-" + id;
          remember(Equipment().RecordQualification(eva_, id, qualification), eva_);
          break;
        }
        case Step::kSignPerformed:
          if (signable_entry > 0) {
            (void)Sign(*performer, LogbookEntry(id, signable_entry), Meaning::kPerformed);
          }
          break;
        case Step::kVerify:
          if (signable_entry > 0) {
            (void)Sign(vera_, LogbookEntry(id, signable_entry), Meaning::kVerified);
          }
          break;
      }
    }
    const Timestamp end = clock_.Now();

    std::vector<ledger::Event> stream;
    RC_ASSERT(Describe(store_->ScanEvents(first_seq, UINT64_MAX,
                                          [&](const ledger::Event& event) -> Status {
                                            if (event.stream == equipment::EquipmentStream(id)) {
                                              stream.push_back(event);
                                            }
                                            return {};
                                          })) == "ok");
    RC_ASSERT(!stream.empty());
    RC_CLASSIFY(stream.size() > 10, "long history");
    for (int k = 0; k < 8; ++k) {
      Timestamp t;
      switch (*rc::gen::inRange(0, 3)) {
        case 0:  // On an entry's instant.
          t = (*rc::gen::elementOf(stream)).time;
          break;
        case 1:  // Just before one.
          t = Plus((*rc::gen::elementOf(stream)).time, -1);
          break;
        default:  // Anywhere around the history.
          t = Timestamp::FromMicros(
              *rc::gen::inRange<std::int64_t>(start.Micros() - kHour, end.Micros() + kDay));
          break;
      }
      EquipmentState folded;
      for (const ledger::Event& event : stream) {
        if (event.time > t) break;
        RC_ASSERT(Describe(equipment::ApplyEquipmentEvent(folded, event)) == "ok");
      }
      const auto view = Equipment().Get(quinn_, id, t);
      ++instants;
      if (!folded.exists) {
        RC_ASSERT(Refusal(view) == "not_found on at");
        continue;
      }
      RC_ASSERT(Describe(view) == "ok");
      RC_ASSERT(CanonicalJson(equipment::EquipmentToJson(view->state)) ==
                CanonicalJson(equipment::EquipmentToJson(folded)));
      const equipment::EquipmentStatus status = equipment::StatusAt(folded, t);
      RC_ASSERT(view->status.out_of_service == status.out_of_service);
      RC_ASSERT(view->status.calibration_due == status.calibration_due);
      RC_ASSERT(view->status.clean == status.clean);
      RC_ASSERT(view->status.in_use.has_value() == status.in_use.has_value());
    }
  });
  EXPECT_TRUE(held);
  RecordProperty("histories", std::to_string(histories));
  RecordProperty("instants_compared", std::to_string(instants));
}

// ---------------------------------------------------------------------------------------------
// The logbook.

// Verifies G-07: a logbook of 250 entries reads in pages of 100, newest first with a `before`
// cursor and oldest first with `after`, in chronological order, with the total; a page of 0 or
// 501 entries is refused.
TEST_F(EquipmentLogbook, PagesNewestFirstAndOldestFirstWithCursors_G07) {
  ASSERT_EQ(Describe(RegisterQualified("FRZ-01", Plain("C201", EquipmentClass::kFreezer))), "ok");
  ASSERT_EQ(Stored("FRZ-01").state.entries, 4);  // Registered, qualified, signed, verified.
  for (int i = 0; i < 123; ++i) {
    clock_.Advance(kMinute);
    ASSERT_EQ(Describe(UseAndEnd("FRZ-01", "B" + std::to_string(i))), "ok") << i;
  }
  const auto read = [&](std::optional<int> after, std::optional<int> before, bool oldest_first,
                        std::size_t limit) {
    auto page = Equipment().Logbook(quinn_, "FRZ-01", after, before, oldest_first, limit);
    EXPECT_EQ(Describe(page), "ok");
    return page ? *page : LogbookPage();
  };

  LogbookPage page = read(std::nullopt, std::nullopt, false, 100);
  EXPECT_EQ(page.total, 250);
  EXPECT_EQ(Numbers(page), EntryNumbers(250, 151));
  page = read(std::nullopt, 151, false, 100);
  EXPECT_EQ(page.total, 250);
  EXPECT_EQ(Numbers(page), EntryNumbers(150, 51));
  page = read(std::nullopt, 51, false, 100);
  EXPECT_EQ(Numbers(page), EntryNumbers(50, 1));
  EXPECT_TRUE(read(std::nullopt, 1, false, 100).entries.empty());

  page = read(std::nullopt, std::nullopt, true, 100);
  EXPECT_EQ(Numbers(page), EntryNumbers(1, 100));
  EXPECT_EQ(page.entries.front().entry.kind, EntryKind::kRegistered);
  EXPECT_EQ(page.entries[4].entry.kind, EntryKind::kUseStarted);
  EXPECT_EQ(page.entries[4].entry.batch, "B0");
  page = read(100, std::nullopt, true, 100);
  EXPECT_EQ(Numbers(page), EntryNumbers(101, 200));
  page = read(200, std::nullopt, true, 100);
  EXPECT_EQ(Numbers(page), EntryNumbers(201, 250));
  EXPECT_EQ(page.total, 250);
  EXPECT_TRUE(read(250, std::nullopt, true, 100).entries.empty());
  // Both cursors: strictly between.
  EXPECT_EQ(Numbers(read(10, 14, true, 100)), EntryNumbers(11, 13));

  // G-07: in chronological order, each with who did it.
  page = read(std::nullopt, std::nullopt, true, kMaxLogbookPage);
  ASSERT_EQ(page.entries.size(), 250U);
  for (std::size_t i = 1; i < page.entries.size(); ++i) {
    EXPECT_LE(page.entries[i - 1].entry.at, page.entries[i].entry.at) << i;
    EXPECT_FALSE(page.entries[i].entry.by.empty()) << i;
  }
  EXPECT_EQ(Refusal(Equipment().Logbook(quinn_, "FRZ-01", std::nullopt, std::nullopt, false, 0)),
            "invalid_argument on limit");
  EXPECT_EQ(Refusal(Equipment().Logbook(quinn_, "FRZ-01", std::nullopt, std::nullopt, false,
                                        kMaxLogbookPage + 1)),
            "invalid_argument on limit");
  EXPECT_EQ(Refusal(Equipment().Logbook(quinn_, "NO-SUCH", std::nullopt, std::nullopt, false, 10)),
            "not_found on equipment_id");
}

// ---------------------------------------------------------------------------------------------
// Environmental monitoring.

// Verifies G-04, T-01: in grade B room B101 with a grade A cabinet location planned for active
// air in operation, a result within limits, an alert elsewhere and an action-level result: the
// last raises a deviation whose window starts at the last compliant active-air sample at that
// location and lists the batches that used equipment in B101 since (and a use still going on),
// not those that ended before, nor other rooms'.
TEST_F(EnvironmentMonitoring, ActionLevelExcursionRaisesADeviationForTheBatchesExposed_G04) {
  ASSERT_EQ(Describe(RegisterQualified("CEN-01", Plain("B101", EquipmentClass::kCentrifuge))),
            "ok");
  ASSERT_EQ(Describe(RegisterQualified("INC-01", Plain("B101", EquipmentClass::kIncubator))), "ok");
  ASSERT_EQ(Describe(RegisterQualified("INC-02", Plain("C201", EquipmentClass::kIncubator))), "ok");

  environment::LocationCommand cabinet;
  cabinet.id = "B101-BSC1-AIR";
  cabinet.room = "B101";
  cabinet.grade = Grade::kA;
  cabinet.description = "BSC-01 work zone, centre";
  cabinet.samples = {
      {SampleType::kActiveAir, Occupancy::kInOperation, std::nullopt, "each session"},
      {SampleType::kParticles05, Occupancy::kInOperation, 2000, "continuous"}};
  ASSERT_EQ(Describe(Environment().DefineLocation(carlos_, cabinet, "")), "ok");
  environment::LocationCommand background;
  background.id = "B101-BKG";
  background.room = "B101";
  background.grade = Grade::kB;
  background.description = "Suite 1 background, by the door";
  background.samples = {{SampleType::kActiveAir, Occupancy::kInOperation, 5, "daily"}};
  ASSERT_EQ(Describe(Environment().DefineLocation(carlos_, background, "")), "ok");
  // Planning is QC's and QA's: an operator is refused.
  EXPECT_EQ(Code(Environment().DefineLocation(oliver_, background, "")), "permission_denied");

  const auto sample = [&](const std::string& id, const std::string& location, SampleType type,
                          double result, const std::string& unit, Timestamp taken_at) {
    environment::SampleInput input;
    input.id = id;
    input.location = location;
    input.type = type;
    input.occupancy = Occupancy::kInOperation;
    input.taken_at = taken_at;
    input.result = result;
    input.unit = unit;
    return Environment().RecordSample(carlos_, input);
  };

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(UseAndEnd("INC-01", "B-EARLY")), "ok");  // Over before the window.
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "CEN-01", UseBy("B-SPAN"))), "ok");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "INC-01", UseBy("B-LONG"))), "ok");
  clock_.Advance(kHour);
  const Timestamp compliant_at = clock_.Now();
  const auto within =
      sample("EM-0001", "B101-BSC1-AIR", SampleType::kActiveAir, 0, "CFU/m3", compliant_at);
  ASSERT_EQ(Describe(within), "ok");
  EXPECT_EQ(within->sample.outcome, Outcome::kWithinLimits);
  EXPECT_EQ(within->deviation, std::nullopt);

  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().EndUse(oliver_, "CEN-01", "B-SPAN", "")), "ok");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(UseAndEnd("CEN-01", "B-IN")), "ok");
  ASSERT_EQ(Describe(UseAndEnd("INC-02", "B-OTHER")), "ok");  // Another room.
  clock_.Advance(kHour);
  // Alerts, at another location and of another type: neither starts the window.
  const auto alert =
      sample("EM-0002", "B101-BKG", SampleType::kActiveAir, 7, "CFU/m3", clock_.Now());
  ASSERT_EQ(Describe(alert), "ok");
  EXPECT_EQ(alert->sample.outcome, Outcome::kAlert);
  EXPECT_EQ(alert->deviation, std::nullopt);
  const auto particles = sample("EM-0003", "B101-BSC1-AIR", SampleType::kParticles05, 2.5,
                                "particles/L", clock_.Now());
  ASSERT_EQ(Describe(particles), "ok");
  EXPECT_EQ(particles->sample.outcome, Outcome::kAlert);
  EXPECT_EQ(particles->sample.result, 2500);
  EXPECT_EQ(particles->deviation, std::nullopt);

  clock_.Advance(kHour);
  const Timestamp taken_at = Plus(clock_.Now(), -30 * kMinute);
  const Timestamp entered_at = clock_.Now();
  const auto action =
      sample("EM-0004", "B101-BSC1-AIR", SampleType::kActiveAir, 1, "CFU/m3", taken_at);
  ASSERT_EQ(Describe(action), "ok");
  EXPECT_EQ(action->sample.outcome, Outcome::kAction);
  EXPECT_EQ(action->sample.recorded_at, entered_at);
  ASSERT_TRUE(action->deviation);
  const quality::DeviationState& raised = *action->deviation;
  EXPECT_EQ(raised.id, "DEV-" + Year(entered_at) + "-0001");
  EXPECT_EQ(raised.details.source, quality::DeviationSource::kEnvironment);
  EXPECT_EQ(raised.details.room, "B101");
  EXPECT_EQ(raised.details.location, "B101-BSC1-AIR");
  EXPECT_EQ(raised.details.sample, "EM-0004");
  EXPECT_EQ(raised.details.window_start, compliant_at);
  EXPECT_EQ(raised.details.window_end, entered_at);
  EXPECT_THAT(raised.details.batches, ElementsAre("B-IN", "B-LONG", "B-SPAN"));
  EXPECT_EQ(raised.raised_at, entered_at);
  EXPECT_EQ(raised.raised_by, "carlos");

  // As QA and QC read it back.
  const std::vector<quality::DeviationState> for_long = Deviations(std::string("B-LONG"));
  ASSERT_EQ(for_long.size(), 1U);
  EXPECT_EQ(for_long.front().id, raised.id);
  EXPECT_THAT(for_long.front().details.batches, ElementsAre("B-IN", "B-LONG", "B-SPAN"));
  EXPECT_TRUE(Deviations(std::string("B-EARLY")).empty());
  EXPECT_TRUE(Deviations(std::string("B-OTHER")).empty());
  SampleFilter filter;
  filter.location = "B101-BSC1-AIR";
  filter.to = clock_.Now();
  const auto samples = Environment().Samples(quinn_, filter);
  ASSERT_EQ(Describe(samples), "ok");
  std::vector<std::string> ids;
  for (const environment::SampleState& state : *samples) ids.push_back(state.id);
  EXPECT_THAT(ids, ElementsAre("EM-0001", "EM-0003", "EM-0004"));
  const auto stored = Environment().Sample(quinn_, "EM-0004");
  ASSERT_EQ(Describe(stored), "ok");
  EXPECT_EQ(stored->taken_at, taken_at);
  EXPECT_EQ(stored->outcome, Outcome::kAction);
  EXPECT_EQ(Events("quality.deviation_raised").size(), 1U);

  // An action-level result in the background: its window starts at the alert sample there (an
  // alert is not an excursion), after which only B-LONG was in the room.
  clock_.Advance(kHour);
  const auto background_action =
      sample("EM-0005", "B101-BKG", SampleType::kActiveAir, 12, "CFU/m3", clock_.Now());
  ASSERT_EQ(Describe(background_action), "ok");
  EXPECT_EQ(background_action->sample.outcome, Outcome::kAction);
  ASSERT_TRUE(background_action->deviation);
  EXPECT_EQ(background_action->deviation->id, "DEV-" + Year(entered_at) + "-0002");
  EXPECT_EQ(background_action->deviation->details.window_start, alert->sample.taken_at);
  EXPECT_THAT(background_action->deviation->details.batches, ElementsAre("B-LONG"));
}

// Verifies AL-01, G-10, A11-01: a result taken in the future, a negative result, a result in a
// unit of another dimension and a sample label used before are refused, naming the field, and
// nothing is stored: the ledger head is what it was.
TEST_F(EnvironmentMonitoring, RefusesAnImpossibleResultAndStoresNothing_AL01) {
  environment::LocationCommand cabinet;
  cabinet.id = "B101-BSC1-AIR";
  cabinet.room = "B101";
  cabinet.grade = Grade::kA;
  cabinet.description = "BSC-01 work zone, centre";
  cabinet.samples = {
      {SampleType::kActiveAir, Occupancy::kInOperation, std::nullopt, "each session"}};
  ASSERT_EQ(Describe(Environment().DefineLocation(carlos_, cabinet, "")), "ok");
  clock_.Advance(kHour);
  environment::SampleInput good;
  good.id = "EM-0001";
  good.location = "B101-BSC1-AIR";
  good.type = SampleType::kActiveAir;
  good.occupancy = Occupancy::kInOperation;
  good.taken_at = Plus(clock_.Now(), -10 * kMinute);
  good.result = 0;
  good.unit = "CFU/m3";
  ASSERT_EQ(Describe(Environment().RecordSample(carlos_, good)), "ok");

  const LedgerHead before = Head();
  environment::SampleInput future = good;
  future.id = "EM-0002";
  future.taken_at = Plus(clock_.Now(), kMinute);
  EXPECT_EQ(Refusal(Environment().RecordSample(carlos_, future)), "invalid_argument on taken_at");
  environment::SampleInput negative = good;
  negative.id = "EM-0003";
  negative.result = -1;
  EXPECT_EQ(Refusal(Environment().RecordSample(carlos_, negative)), "invalid_argument on result");
  environment::SampleInput wrong_unit = good;
  wrong_unit.id = "EM-0004";
  wrong_unit.unit = "CFU";
  EXPECT_EQ(Refusal(Environment().RecordSample(carlos_, wrong_unit)), "invalid_argument on unit");
  // The label again, with a result that would have raised a deviation.
  environment::SampleInput reused = good;
  reused.result = 3;
  EXPECT_EQ(Refusal(Environment().RecordSample(carlos_, reused)), "already_exists on sample_id");
  // Results are QC's to record.
  environment::SampleInput by_operator = good;
  by_operator.id = "EM-0005";
  EXPECT_EQ(Code(Environment().RecordSample(oliver_, by_operator)), "permission_denied");

  // Nothing but the operator's recorded refusal (P11-07).
  const LedgerHead after = Head();
  EXPECT_EQ(after.size, before.size + 1);
  std::vector<std::string> types;
  EXPECT_EQ(Describe(store_->ScanEvents(before.size + 1, UINT64_MAX,
                                        [&](const ledger::Event& event) -> Status {
                                          types.push_back(event.event_type);
                                          return {};
                                        })),
            "ok");
  EXPECT_THAT(types, ElementsAre("identity.permission_denied"));
  for (const std::string id : {"EM-0002", "EM-0003", "EM-0004", "EM-0005"}) {
    EXPECT_EQ(Refusal(Environment().Sample(quinn_, id)), "not_found on sample_id") << id;
  }
  EXPECT_EQ(Environment().Sample(quinn_, "EM-0001")->result, 0);
  EXPECT_TRUE(Deviations(std::nullopt).empty());
}

// ---------------------------------------------------------------------------------------------
// Projections.

// Verifies P11-01: after the life of a suite's equipment (rooms, registration, qualification,
// cleanings signed and verified, uses and a refused use, calibrations with a failure and its
// deviation, out of service and back, maintenance, monitoring locations and samples with an
// excursion and its deviation), every equipment, environment and quality table rebuilt from the
// ledger alone equals the live one.
TEST_F(EquipmentProjection, RebuiltTablesEqualTheLiveOnes_P11_01) {
  ASSERT_EQ(Describe(RegisterQualified("BSC-01", Cabinet("B101", CleaningRule::kBetweenPatients))),
            "ok");
  ASSERT_EQ(Describe(RegisterQualified("BAL-01", Balance("C201"))), "ok");
  ASSERT_EQ(Describe(CalibrateGood("BAL-01")), "ok");
  ASSERT_EQ(Describe(Clean("BSC-01")), "ok");
  clock_.Advance(kHour);
  const std::string patient = PatientCode("A7Q29K44");
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "BSC-01", UseBy("B1", patient))), "ok");
  ASSERT_EQ(Describe(UseAndEnd("BAL-01", "B1")), "ok");
  EXPECT_EQ(Refusal(Equipment().StartUse(priya_, "BSC-01", UseBy("B2", PatientCode("B3M81X20")))),
            "failed_precondition on equipment");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().EndUse(oliver_, "BSC-01", "B1", "")), "ok");
  const auto failed = Equipment().RecordCalibration(eva_, "BAL-01", Weighing(kOutOfTolerance));
  ASSERT_EQ(Describe(failed), "ok");
  ASSERT_TRUE(failed->deviation);
  ASSERT_EQ(Describe(Equipment().TakeOutOfService(eva_, "BAL-01", "Failed calibration")), "ok");
  const auto returned = Equipment().ReturnToService(eva_, "BAL-01", "Repaired by vendor");
  ASSERT_EQ(Describe(returned), "ok");
  ASSERT_EQ(Describe(SignOff(eva_, nullptr, "BAL-01", returned->entry)), "ok");
  equipment::MaintenanceInput maintenance;
  maintenance.type = equipment::MaintenanceType::kCorrective;
  maintenance.description = "Load cell replaced";
  ASSERT_EQ(Describe(Equipment().RecordMaintenance(eva_, "BAL-01", maintenance)), "ok");
  equipment::Definition moved = Cabinet("C201", CleaningRule::kBetweenPatients);
  ASSERT_EQ(Describe(Equipment().Redefine(eva_, "BSC-01", moved, "Moved to suite 2")), "ok");
  ASSERT_EQ(Describe(Equipment().DefineRoom(
                eva_, {"B101", std::string(kSite), "Suite 1 processing room", Grade::kA},
                "Requalified as grade A isolator suite")),
            "ok");

  environment::LocationCommand location;
  location.id = "C201-BSC1-AIR";
  location.room = "C201";
  location.grade = Grade::kA;
  location.description = "BSC-01 work zone in suite 2";
  location.samples = {
      {SampleType::kSettlePlate, Occupancy::kInOperation, std::nullopt, "each session"}};
  ASSERT_EQ(Describe(Environment().DefineLocation(carlos_, location, "")), "ok");
  clock_.Advance(kHour);
  ASSERT_EQ(Describe(Equipment().StartUse(oliver_, "BSC-01", UseBy("B3", patient))), "ok");
  for (int i = 1; i <= 2; ++i) {
    clock_.Advance(kHour);
    environment::SampleInput plate;
    plate.id = "EM-000" + std::to_string(i);
    plate.location = "C201-BSC1-AIR";
    plate.type = SampleType::kSettlePlate;
    plate.taken_at = Plus(clock_.Now(), -kHour);
    plate.result = i - 1;
    plate.unit = "CFU";
    plate.exposure_minutes = 240;
    ASSERT_EQ(Describe(Environment().RecordSample(carlos_, plate)), "ok") << i;
  }
  ASSERT_EQ(Deviations(std::nullopt).size(), 2U);

  const std::vector<std::unique_ptr<Projector>> projectors = [] {
    std::vector<std::unique_ptr<Projector>> made;
    made.push_back(MakeEquipmentProjector());
    made.push_back(MakeEnvironmentProjector());
    made.push_back(MakeQualityProjector());
    return made;
  }();
  std::size_t tables = 0;
  for (const std::unique_ptr<Projector>& projector : projectors) {
    ProjectionModel rebuilt;
    ASSERT_EQ(Describe(store_->ScanEvents(
                  1, UINT64_MAX,
                  [&](const ledger::Event& event) { return projector->Apply(event, rebuilt); })),
              "ok");
    for (const TableSpec& table : projector->Tables()) {
      ++tables;
      std::vector<std::string> live;
      ASSERT_EQ(Describe(store_->ScanRows(table,
                                          [&](const Row& row) -> Status {
                                            live.push_back(RowText(row));
                                            return {};
                                          })),
                "ok");
      std::vector<std::string> from_ledger;
      for (const Row& row : rebuilt.Rows(table)) from_ledger.push_back(RowText(row));
      EXPECT_FALSE(live.empty()) << table.name;
      EXPECT_EQ(live, from_ledger) << table.name;
    }
  }
  EXPECT_GE(tables, 11U);
}

// ---------------------------------------------------------------------------------------------
// Deviation numbers under concurrency.

// Verifies G-04: eight instruments found out of tolerance at once, on eight threads, raise eight
// deviations numbered 1 to 8 of the year, none lost or repeated; each names its own instrument.
TEST_F(EquipmentDeviation, ConcurrentFailuresTakeDistinctConsecutiveNumbers_G04) {
  constexpr int kThreads = 8;
  const auto balance = [](int n) { return "BAL-C" + std::to_string(n); };
  for (int n = 1; n <= kThreads; ++n) {
    ASSERT_EQ(Describe(RegisterQualified(balance(n), Balance("C201"))), "ok");
    ASSERT_EQ(Describe(CalibrateGood(balance(n))), "ok");
    ASSERT_EQ(Describe(UseAndEnd(balance(n), "B" + std::to_string(n))), "ok");
  }
  clock_.Advance(kHour);
  const std::string year = Year(clock_.Now());

  std::vector<Result<EntryRecorded>> outcomes(kThreads, Unexpected(Internal("not run")));
  std::vector<int> aborted(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t i = static_cast<std::size_t>(t);
      start.arrive_and_wait();
      // Lost the race kAppendAttempts times: nothing recorded, the owner tries again.
      for (int attempt = 0; attempt < 100; ++attempt) {
        outcomes[i] =
            Equipment().RecordCalibration(eva_, balance(t + 1), Weighing(kOutOfTolerance));
        if (outcomes[i] || outcomes[i].error().Code() != ErrorCode::kAborted) break;
        ++aborted[i];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::map<std::string, std::string> by_id;
  for (int t = 0; t < kThreads; ++t) {
    const Result<EntryRecorded>& outcome = outcomes[static_cast<std::size_t>(t)];
    ASSERT_EQ(Describe(outcome), "ok") << balance(t + 1);
    ASSERT_TRUE(outcome->deviation) << balance(t + 1);
    EXPECT_EQ(outcome->deviation->details.equipment, balance(t + 1));
    EXPECT_THAT(outcome->deviation->details.batches, ElementsAre("B" + std::to_string(t + 1)));
    EXPECT_TRUE(by_id.emplace(outcome->deviation->id, balance(t + 1)).second)
        << outcome->deviation->id << " given twice";
  }
  std::vector<std::string> expected;
  for (int n = 1; n <= kThreads; ++n) expected.push_back(quality::DeviationId(std::stoi(year), n));
  std::vector<std::string> numbers;
  numbers.reserve(by_id.size());
  for (const auto& [id, equipment] : by_id) numbers.push_back(id);
  EXPECT_EQ(numbers, expected);
  EXPECT_EQ(expected.front(), "DEV-" + year + "-0001");

  // As stored: the same eight, each for the instrument its thread calibrated.
  const std::vector<quality::DeviationState> stored = Deviations(std::nullopt);
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(kThreads));
  for (const quality::DeviationState& deviation : stored) {
    EXPECT_EQ(by_id[deviation.id], deviation.details.equipment) << deviation.id;
  }
  // Each failure recorded once, whatever the retries.
  EXPECT_EQ(Events("equipment.calibrated").size(), 2U * kThreads);
  int retries = 0;
  for (const int count : aborted) retries += count;
  RecordProperty("aborted_attempts", std::to_string(retries));
}

}  // namespace
}  // namespace aliquot::app
