#include "aliquot/domain/materials/lot.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kTerminal = "WH-SCAN3";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
constexpr std::int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
const ledger::Actor kWarehouse{"wanda", "Wanda Warehouse"};
const ledger::Actor kBuyer{"pat", "Pat Purchasing"};
const ledger::Actor kQc{"quentin", "Quentin QC"};
const ledger::Actor kQa{"quinn", "Quinn QA"};
const ledger::Actor kOperator{"otto", "Otto Operator"};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

constexpr std::string_view kLot = "L-2026-0001";
constexpr std::string_view kMedium = "MAT-TEXMACS";

// Day `day` after kDay0, at the same time of day, plus `micros`.
Timestamp Day(std::int64_t day, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay + micros);
}

// `units` of a lot's unit, exactly.
constexpr Amount Units(std::int64_t units) {
  return Amount::FromMillionths(units * Amount::kScale);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The member `name` of `json`, or null when it has none.
Json Member(const Json& json, std::string_view name) {
  const Json* member = json.Find(name);
  return member != nullptr ? *member : Json();
}

// Whether `result` is a refusal with `code` naming `field`.
template <typename T>
::testing::AssertionResult Refused(const Result<T>& result, ErrorCode code,
                                   std::string_view field = {}) {
  if (result) return ::testing::AssertionFailure() << "accepted";
  if (result.error().Code() != code || result.error().Field() != field) {
    return ::testing::AssertionFailure() << "refused with " << result.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

// One stream as the store seals it, each event numbered and chained, folded as it grows.
template <typename State, Status (*Apply)(State&, const ledger::Event&)>
struct Folded {
  State state;
  std::vector<ledger::Event> events;

  Status Append(const Result<ledger::NewEvent>& event, Timestamp time) {
    if (!event) return Unexpected(event.error());
    const Hash256 prev = events.empty() ? ledger::kGenesisPrevHash : events.back().hash;
    events.push_back(ledger::SealEvent(*event, events.size() + 1, time, prev));
    return Apply(state, events.back());
  }
};
using MaterialRecord = Folded<MaterialState, ApplyMaterialEvent>;
using SupplierRecord = Folded<SupplierState, ApplySupplierEvent>;
using LotRecord = Folded<LotState, ApplyLotEvent>;

SpecTest RangeTest(std::string name, std::string method, std::optional<double> min,
                   std::optional<double> max, std::string unit, bool max_exclusive = false) {
  return {.name = std::move(name),
          .method = std::move(method),
          .criterion = {.kind = Criterion::Kind::kRange,
                        .min = min,
                        .max = max,
                        .max_exclusive = max_exclusive,
                        .unit = std::move(unit)}};
}

MaterialState Define(const MaterialCommand& command) {
  MaterialRecord record;
  EXPECT_TRUE(Ok(record.Append(DefineMaterial({}, command, "", kQa, kTerminal), kDay0)));
  return record.state;
}

// A cell culture medium bought in bottles counted in mL, tested on receipt for identity.
MaterialState Medium() {
  return Define(
      {.id = std::string(kMedium),
       .name = "TexMACS GMP medium",
       .category = Category::kMedia,
       .unit = "mL",
       .storage_condition = "2-8 C, protected from light",
       .shelf_life = {.amount = 12, .unit = ShelfLife::Unit::kMonths},
       .criticality = Criticality::kCritical,
       .identity_test_required = true,
       .tests = {RangeTest("Endotoxin", "USP <85> kinetic chromogenic LAL", std::nullopt, 0.5,
                           "EU/mL", true),
                 RangeTest("Osmolality", "Freezing point depression", 270, 330, "mOsm/kg"),
                 {.name = "Sterility",
                  .method = "USP <71> membrane filtration",
                  .criterion = {.kind = Criterion::Kind::kPassFail}}}});
}

// The patient's apheresis: starting material, stable for 48 h from collection.
MaterialState Apheresis() {
  return Define({.id = "MAT-APHERESIS",
                 .name = "Leukapheresis, autologous",
                 .category = Category::kStartingMaterial,
                 .unit = "mL",
                 .storage_condition = "2-8 C, do not freeze",
                 .shelf_life = {.amount = 48, .unit = ShelfLife::Unit::kHours}});
}

// A CAR-T product unit: one bag per patient.
MaterialState Product() {
  return Define({.id = "MAT-CART",
                 .name = "Autologous anti-CD19 CAR-T cells, infusion bag",
                 .category = Category::kDrugProduct,
                 .unit = "bag",
                 .storage_condition = "Vapour phase of liquid nitrogen, -150 C or colder",
                 .shelf_life = {.amount = 12, .unit = ShelfLife::Unit::kMonths}});
}

// Created, audited and approved for the medium on day 0, until day 365.
SupplierRecord Supplier() {
  SupplierRecord record;
  EXPECT_TRUE(Ok(record.Append(
      CreateSupplier({}, {"SUP-MILTENYI", "Miltenyi Biotec", "Bergisch Gladbach, Germany"}, kBuyer,
                     kTerminal),
      kDay0)));
  EXPECT_TRUE(Ok(record.Append(RecordAudit(record.state,
                                           {.performed_on = kDay0,
                                            .kind = "on_site",
                                            .auditor = "Quincy QA Lead",
                                            .summary = "Quality system and CoA release reviewed."},
                                           kDay0, kQa, kTerminal),
                               kDay0)));
  const std::vector<std::string> known = {std::string(kMedium)};
  EXPECT_TRUE(Ok(record.Append(ProposeQualification(record.state,
                                                    {.status = SupplierStatus::kApproved,
                                                     .materials = known,
                                                     .qualified_until = Day(365),
                                                     .requalify_by = Day(300),
                                                     .reason = "Audit satisfactory"},
                                                    known, kDay0, kBuyer, kTerminal),
                               kDay0)));
  EXPECT_TRUE(Ok(record.Append(DecideQualification(record.state, record.state.proposed->number,
                                                   true, kQa.id, kDay0, kQa, kTerminal),
                               kDay0)));
  return record;
}

// The supplier above, disqualified by QA's signature on day `day`.
SupplierState DisqualifiedOn(std::int64_t day) {
  SupplierRecord record = Supplier();
  EXPECT_TRUE(Ok(record.Append(
      ProposeQualification(record.state,
                           {.status = SupplierStatus::kDisqualified, .reason = "Endotoxin OOS"}, {},
                           Day(day), kBuyer, kTerminal),
      Day(day))));
  EXPECT_TRUE(Ok(record.Append(DecideQualification(record.state, record.state.proposed->number,
                                                   true, kQa.id, Day(day), kQa, kTerminal),
                               Day(day))));
  return record.state;
}

// 1250 mL in bottles of 500, 500 and 250 mL, expiring on day 200.
LotReceipt Receipt() {
  return {.id = std::string(kLot),
          .material = std::string(kMedium),
          .supplier = "SUP-MILTENYI",
          .supplier_lot = "7210400123",
          .receiving_code = "RC-2026-0042",
          .storage_location = "Cold room CR-2, shelf 3",
          .quantity = 1250,
          .unit = "mL",
          .containers = {500, 500, 250},
          .expiry = Day(200)};
}

TestResult Number(std::string test, double value, std::string unit) {
  return {.test = std::move(test), .value = value, .unit = std::move(unit)};
}

CertificateInput Conforming() {
  return {.certificate_number = "CoA-7210400123",
          .file_sha256 = std::string(64, 'e'),
          .results = {Number("Endotoxin", 0.1, "EU/mL"),
                      Number("Osmolality", 300, "mOsm/kg"),
                      {.test = "Sterility", .passed = true}}};
}

// The medium lot received on day 1.
LotRecord Received() {
  LotRecord record;
  auto events = ReceiveLot({}, Receipt(), Medium(), Supplier().state, std::nullopt, Day(1),
                           kWarehouse, kTerminal);
  EXPECT_TRUE(events.has_value()) << events.error().ToString();
  if (events) EXPECT_TRUE(Ok(record.Append(events->front(), Day(1))));
  return record;
}

// Received, with a conforming certificate and a passed identity test on day 2: all it needs.
LotRecord Tested() {
  LotRecord record = Received();
  EXPECT_TRUE(Ok(record.Append(
      EnterCertificate(record.state, Conforming(), Medium(), "", Day(2), kQc, kTerminal), Day(2))));
  EXPECT_TRUE(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "", Day(2), kQc, kTerminal), Day(2))));
  return record;
}

// Tested, and released by QA on day 3.
LotRecord Released() {
  LotRecord record = Tested();
  const SupplierState supplier = Supplier().state;
  EXPECT_TRUE(Ok(record.Append(DecideDisposition(record.state, Medium(), &supplier, true,
                                                 std::nullopt, Day(3), kQa, kTerminal),
                               Day(3))));
  return record;
}

CollectionReceipt CollectionOf(Timestamp collected_at) {
  return {.id = "COL-0001",
          .material = "MAT-APHERESIS",
          .donor_code = "DIN-A7Q29K44-2",
          .collection_facility = "Apheresis unit, University Hospital",
          .collected_at = collected_at,
          .quantity = 250,
          .unit = "mL",
          .shipping_min_c = 3.1,
          .shipping_max_c = 6.8,
          .logger_file_sha256 = std::string(64, 'c'),
          .receiving_code = "RC-2026-0101",
          .storage_location = "Receiving bench 2, 2-8 C"};
}

// An apheresis collected 20 hours before its receipt on day 1.
LotRecord Collected() {
  LotRecord record;
  EXPECT_TRUE(Ok(record.Append(ReceiveCollection({}, CollectionOf(Day(1, -20 * kMicrosPerHour)),
                                                 Apheresis(), Day(1), kWarehouse, kTerminal),
                               Day(1))));
  return record;
}

UseRequest Use(Amount quantity, Timestamp at, std::optional<std::string> container = {}) {
  return {.expected_material = std::string(kMedium),
          .container = std::move(container),
          .quantity = quantity,
          .at = at};
}

const Destination kBatch{Destination::Kind::kBatch, "B-0017"};

// --- Amount ---------------------------------------------------------------------------------

TEST(Amount, HoldsAQuantityExactlyToTheMillionthOfItsUnit) {
  const auto units = [](double value) {
    auto amount = Amount::FromUnits(value, "quantity");
    EXPECT_TRUE(amount.has_value()) << value << ": " << amount.error().ToString();
    return amount.value_or(Amount());
  };
  EXPECT_EQ(units(12.5).Millionths(), 12'500'000);
  EXPECT_EQ(units(0.000001).Millionths(), 1);
  EXPECT_EQ(units(0).Millionths(), 0);
  EXPECT_EQ(units(1e9).Millionths(), 1'000'000'000'000'000);
  EXPECT_EQ(units(123456789.123456).Millionths(), 123'456'789'123'456);
  // In doubles 0.1 + 0.2 is not 0.3; in a balance it is.
  EXPECT_EQ(units(0.1) + units(0.2), units(0.3));
  EXPECT_EQ(units(0.3) - units(0.1) - units(0.2), Amount());
  EXPECT_EQ(units(2.25).Units(), 2.25);
  EXPECT_LT(units(0.999999), units(1));
}

// Verifies A11-01: a quantity that cannot be counted exactly is refused on entry.
TEST(Amount, RefusesNegativeNonFiniteHugeOrFinerThanAMillionthNamingTheField) {
  for (const double value :
       {-1.0, -0.000001, kNaN, kInfinity, -kInfinity, 1e9 + 1, 1e10, 0.0000015, 1e-7, 12.3456785}) {
    EXPECT_TRUE(Refused(Amount::FromUnits(value, "containers[2]"), ErrorCode::kInvalidArgument,
                        "containers[2]"))
        << value;
  }
  auto fine = Amount::FromUnits(0.0000015, "quantity");
  ASSERT_FALSE(fine.has_value());
  EXPECT_EQ(fine.error().Message(),
            "a quantity is recorded to a millionth of its unit at most, not 0.0000015");
}

TEST(Amount, PrintsWithoutTrailingZeros) {
  EXPECT_EQ(Units(3).ToString(), "3");
  EXPECT_EQ(Amount().ToString(), "0");
  EXPECT_EQ(Amount::FromMillionths(12'500'000).ToString(), "12.5");
  EXPECT_EQ(Amount::FromMillionths(1).ToString(), "0.000001");
  EXPECT_EQ(Amount::FromMillionths(1'000'010).ToString(), "1.00001");
  EXPECT_EQ(Units(1'000'000'000).ToString(), "1000000000");
  // A shortfall, as a difference of two balances shows it.
  EXPECT_EQ((Units(1) - Amount::FromMillionths(2'500'000)).ToString(), "-1.5");
  EXPECT_EQ(Amount::FromMillionths(-250'000).ToString(), "-0.25");
}

// Verifies G-08: a quantity in another unit of the lot's dimension is converted, not taken raw.
TEST(Amount, ConvertsMicrolitresIntoALotCountedInMillilitres) {
  const std::vector<std::pair<std::pair<double, std::string>, Amount>> cases = {
      {{2000, "uL"}, Units(2)},
      {{1500, "µL"}, Amount::FromMillionths(1'500'000)},
      {{1, "uL"}, Amount::FromMillionths(1'000)},
      {{0.5, "L"}, Units(500)},
      {{2, "mL"}, Units(2)},
      {{0.001, "uL"}, Amount::FromMillionths(1)},
  };
  for (const auto& [input, expected] : cases) {
    auto amount = ToAmount(input.first, input.second, "mL", "quantity");
    ASSERT_TRUE(amount.has_value()) << input.second << ": " << amount.error().ToString();
    EXPECT_EQ(*amount, expected) << input.first << " " << input.second;
  }
  EXPECT_EQ(ToAmount(3, "vials", "vial", "quantity"), Units(3));
}

// Verifies A11-01: a quantity of another dimension than the lot's is refused, never taken raw.
TEST(Amount, RefusesMilligramsForALotCountedInMillilitresNamingTheUnitField) {
  auto mass = ToAmount(2, "mg", "mL", "quantity");
  ASSERT_TRUE(Refused(mass, ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(Contains(mass.error().Message(), "a value in mg (mass) cannot be compared with mL"))
      << mass.error().Message();
  EXPECT_TRUE(Refused(ToAmount(2, "flask", "mL", "quantity"), ErrorCode::kInvalidArgument, "unit"));
  EXPECT_TRUE(
      Refused(ToAmount(2, "bags", "vial", "quantity"), ErrorCode::kInvalidArgument, "unit"));
  // The caller names the member that holds the unit where it is not "unit".
  EXPECT_TRUE(Refused(ToAmount(2, "mg", "mL", "volume", "volume_unit"), ErrorCode::kInvalidArgument,
                      "volume_unit"));
  // The unit fits but the number does not: the number is at fault.
  EXPECT_TRUE(
      Refused(ToAmount(0.0001, "uL", "mL", "quantity"), ErrorCode::kInvalidArgument, "quantity"));
  EXPECT_TRUE(
      Refused(ToAmount(kNaN, "uL", "mL", "quantity"), ErrorCode::kInvalidArgument, "quantity"));
  EXPECT_TRUE(Refused(ToAmount(kInfinity, "mg", "mL", "quantity"), ErrorCode::kInvalidArgument,
                      "quantity"));
  EXPECT_TRUE(
      Refused(ToAmount(-5, "uL", "mL", "quantity"), ErrorCode::kInvalidArgument, "quantity"));
}

// --- Identification codes and labels --------------------------------------------------------

// Verifies T-02: a donor's code is distinct, carries its own check character, and is no name.
TEST(LotDonorCode, AcceptsACodeWithItsMod372CheckCharacter) {
  // Check characters computed independently (ISO 7064 MOD 37-2: the weighted sum is 1 mod 37).
  EXPECT_EQ(DonorCodeCheckCharacter("A7Q29K44"), '2');
  EXPECT_EQ(DonorCodeCheckCharacter("W000026123456"), '*');
  EXPECT_EQ(DonorCodeCheckCharacter("123456"), 'K');
  for (const std::string_view code :
       {"DIN-A7Q29K44-2", "DIN-W000026123456-*", "DIN-123456-K", "DIN-ABCDEFGHJKLMNPQR-*"}) {
    EXPECT_TRUE(CheckDonorCode(code, "donor_code").has_value()) << code;
  }
}

// Verifies T-02: a name, a record number or social security number, or a mistyped code is refused.
TEST(LotDonorCode, RefusesANameARecordNumberOrAMistypedCode) {
  for (const std::string_view code :
       {"Jane Doe", "DOE, JANE", "MRN 00482913", "00482913", "123-45-6789", "DIN-JANE DOE-2",
        "din-a7q29k44-2", "DIN-A7Q29K44-3", "DIN-A7Q29K44-", "DIN-A7Q29K442", "DIN-A7Q2-2",
        "DIN-A7Q29K44A7Q29K44-2", "", "DIN-A7Q29K44-2 "}) {
    EXPECT_TRUE(
        Refused(CheckDonorCode(code, "donor_code"), ErrorCode::kInvalidArgument, "donor_code"))
        << code;
  }
  auto mistyped = CheckDonorCode("DIN-A7Q29K44-3", "patient_code");
  ASSERT_FALSE(mistyped.has_value());
  EXPECT_TRUE(Contains(mistyped.error().Message(), "the check character does not match"));
  EXPECT_EQ(mistyped.error().Field(), "patient_code");
}

// Verifies T-02: every single-character slip and swap of neighbours in a code is caught.
TEST(LotDonorCode, CatchesEverySingleSubstitutionAndAdjacentTransposition) {
  const std::string body = "A7Q29K44";
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const auto code = [](const std::string& digits, char check) {
    return "DIN-" + digits + "-" + std::string(1, check);
  };
  const char check = DonorCodeCheckCharacter(body);
  for (std::size_t i = 0; i < body.size(); ++i) {
    for (const char c : alphabet) {
      if (c == body[i]) continue;
      std::string slip = body;
      slip[i] = c;
      EXPECT_FALSE(CheckDonorCode(code(slip, check), "donor_code").has_value()) << slip;
    }
    if (i + 1 < body.size() && body[i] != body[i + 1]) {
      std::string swapped = body;
      std::swap(swapped[i], swapped[i + 1]);
      EXPECT_FALSE(CheckDonorCode(code(swapped, check), "donor_code").has_value()) << swapped;
    }
  }
}

TEST(LotLabel, ReadsALotOrOneOfItsContainers) {
  auto lot = ParseScannedLot("L-2026-0001", "lot");
  ASSERT_TRUE(lot.has_value()) << lot.error().ToString();
  EXPECT_EQ(lot->lot, "L-2026-0001");
  EXPECT_EQ(lot->container, std::nullopt);
  auto container = ParseScannedLot("L-2026-0001/12", "lot");
  ASSERT_TRUE(container.has_value()) << container.error().ToString();
  EXPECT_EQ(container->lot, "L-2026-0001");
  EXPECT_EQ(container->container, "L-2026-0001/12");
}

// Verifies A11-01: a label that does not read as a lot or one of its containers is refused.
TEST(LotLabel, RefusesALabelThatIsNotALotOrContainer) {
  for (const std::string_view text :
       {"", "l-2026-0001", "L-2026-0001/", "L-2026-0001/0", "L-2026-0001/01", "L-2026-0001/12345",
        "L-2026-0001/1/2", "L-2026-0001/A", "/1", "L 2026"}) {
    EXPECT_TRUE(Refused(ParseScannedLot(text, "lot"), ErrorCode::kInvalidArgument, "lot")) << text;
  }
}

// --- Receipt -----------------------------------------------------------------------------------

// Verifies G-08 and S95-01: a lot records its material, supplier and supplier's lot, receiving
// code, quantity and containers (sublots), and enters quarantine.
TEST(Lot, ReceivesAPurchasedLotIntoQuarantineWithItsContainers) {
  auto events = ReceiveLot({}, Receipt(), Medium(), Supplier().state, std::nullopt, Day(1),
                           kWarehouse, kTerminal);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_EQ(events->size(), 2U);
  const ledger::NewEvent& received = (*events)[0];
  EXPECT_TRUE(ledger::ValidateNewEvent(received).has_value());
  EXPECT_EQ(received.stream, LotStream(kLot));
  EXPECT_EQ(received.event_type, "materials.lot_received");
  EXPECT_EQ(Member(received.payload, "containers"), Json(Json::Array{500.0, 500.0, 250.0}));
  const ledger::NewEvent& registered = (*events)[1];
  EXPECT_TRUE(ledger::ValidateNewEvent(registered).has_value());
  EXPECT_EQ(registered.stream, SupplierLotStream("SUP-MILTENYI", "7210400123"));
  EXPECT_EQ(registered.stream.id, "SUP-MILTENYI/7210400123");
  EXPECT_EQ(registered.event_type, "materials.supplier_lot_registered");
  EXPECT_EQ(Member(registered.payload, "lot"), Json(kLot));

  const LotState lot = Received().state;
  EXPECT_TRUE(lot.exists);
  EXPECT_EQ(lot.id, kLot);
  EXPECT_EQ(lot.kind, LotKind::kReceived);
  EXPECT_EQ(lot.material, kMedium);
  EXPECT_EQ(lot.unit, "mL");
  EXPECT_EQ(lot.supplier, "SUP-MILTENYI");
  EXPECT_EQ(lot.supplier_lot, "7210400123");
  EXPECT_EQ(lot.receiving_code, "RC-2026-0042");
  EXPECT_EQ(lot.storage_location, "Cold room CR-2, shelf 3");
  EXPECT_EQ(lot.received_at, Day(1));
  EXPECT_EQ(lot.received_by, "wanda");
  EXPECT_EQ(lot.expiry, Day(200));
  EXPECT_EQ(lot.quantity, Units(1250));
  EXPECT_EQ(lot.Balance(), Units(1250));
  ASSERT_EQ(lot.containers.size(), 3U);
  EXPECT_EQ(lot.containers[0].id, "L-2026-0001/1");
  EXPECT_EQ(lot.containers[2].id, "L-2026-0001/3");
  EXPECT_EQ(lot.containers[2].initial, Units(250));
  EXPECT_EQ(lot.containers[2].balance, Units(250));
  EXPECT_EQ(lot.FindContainer("L-2026-0001/2"), &lot.containers[1]);
  EXPECT_EQ(lot.FindContainer("L-2026-0001/4"), nullptr);
  EXPECT_EQ(lot.Status(), LotStatus::kQuarantine);
  ASSERT_EQ(lot.statuses.size(), 1U);
  EXPECT_EQ(lot.statuses[0].at, Day(1));
  EXPECT_EQ(lot.collection, std::nullopt);
  EXPECT_EQ(lot.CurrentCertificate(), nullptr);
}

TEST(Lot, PutsAQuantityWithoutContainersInOneAndConvertsItsUnit) {
  LotReceipt receipt = Receipt();
  receipt.quantity = 1'250'000;
  receipt.unit = "uL";
  receipt.containers.clear();
  LotRecord record;
  auto events = ReceiveLot({}, receipt, Medium(), Supplier().state, std::nullopt, Day(1),
                           kWarehouse, kTerminal);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_TRUE(Ok(record.Append(events->front(), Day(1))));
  EXPECT_EQ(record.state.unit, "mL");
  EXPECT_EQ(record.state.quantity, Units(1250));
  ASSERT_EQ(record.state.containers.size(), 1U);
  EXPECT_EQ(record.state.containers[0].balance, Units(1250));
}

TEST(Lot, RefusesAReceiptOfAnUnknownMaterialOrSupplier) {
  const auto receive = [](const MaterialState& material, const SupplierState& supplier) {
    return ReceiveLot({}, Receipt(), material, supplier, std::nullopt, Day(1), kWarehouse,
                      kTerminal);
  };
  auto no_material = receive({}, Supplier().state);
  ASSERT_TRUE(Refused(no_material, ErrorCode::kNotFound, "material"));
  EXPECT_EQ(no_material.error().Message(), "no material MAT-TEXMACS");
  auto no_supplier = receive(Medium(), {});
  ASSERT_TRUE(Refused(no_supplier, ErrorCode::kNotFound, "supplier"));
  EXPECT_EQ(no_supplier.error().Message(), "no supplier SUP-MILTENYI");
}

TEST(Lot, RefusesToReceiveFromASupplierAMaterialThatIsNotBought) {
  for (const MaterialState& material : {Apheresis(), Product()}) {
    LotReceipt receipt = Receipt();
    receipt.material = material.id;
    auto refused = ReceiveLot({}, receipt, material, Supplier().state, std::nullopt, Day(1),
                              kWarehouse, kTerminal);
    ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "material")) << material.id;
    EXPECT_TRUE(Contains(refused.error().Message(), "not bought from a supplier"));
  }
}

// Verifies G-08: a supplier's lot is received once, and a second receipt names the first.
TEST(Lot, RefusesASupplierLotAlreadyReceivedNamingTheEarlierLot) {
  LotReceipt again = Receipt();
  again.id = "L-2026-0002";
  auto refused = ReceiveLot({}, again, Medium(), Supplier().state, std::string(kLot), Day(5),
                            kWarehouse, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kAlreadyExists, "supplier_lot"));
  EXPECT_EQ(refused.error().Message(),
            "supplier SUP-MILTENYI's lot 7210400123 was already received as lot L-2026-0001");
}

TEST(Lot, RefusesAnExpiryAtOrBeforeReceipt) {
  for (const Timestamp expiry : {Day(1), Day(1, -1), Day(-30)}) {
    LotReceipt receipt = Receipt();
    receipt.expiry = expiry;
    EXPECT_TRUE(Refused(ReceiveLot({}, receipt, Medium(), Supplier().state, std::nullopt, Day(1),
                                   kWarehouse, kTerminal),
                        ErrorCode::kInvalidArgument, "expiry"))
        << expiry.ToRfc3339();
  }
  LotReceipt receipt = Receipt();
  receipt.expiry = Day(1, 1);
  EXPECT_TRUE(ReceiveLot({}, receipt, Medium(), Supplier().state, std::nullopt, Day(1), kWarehouse,
                         kTerminal)
                  .has_value());
}

// Verifies G-08: the containers account for exactly the quantity received.
TEST(Lot, RefusesContainersThatDoNotSumToTheQuantity) {
  LotReceipt short_one = Receipt();
  short_one.containers = {500, 500, 249.999999};
  auto refused = ReceiveLot({}, short_one, Medium(), Supplier().state, std::nullopt, Day(1),
                            kWarehouse, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "containers"));
  EXPECT_EQ(refused.error().Message(),
            "the containers hold 1249.999999 mL but the quantity is 1250 mL");

  LotReceipt empty = Receipt();
  empty.containers = {500, 0, 750};
  EXPECT_TRUE(Refused(ReceiveLot({}, empty, Medium(), Supplier().state, std::nullopt, Day(1),
                                 kWarehouse, kTerminal),
                      ErrorCode::kInvalidArgument, "containers[1]"));
  LotReceipt negative = Receipt();
  negative.containers = {500, 1000, -250};
  EXPECT_TRUE(Refused(ReceiveLot({}, negative, Medium(), Supplier().state, std::nullopt, Day(1),
                                 kWarehouse, kTerminal),
                      ErrorCode::kInvalidArgument, "containers[2]"));
  // A tenth and two tenths of a millilitre are three tenths exactly.
  LotReceipt tenths = Receipt();
  tenths.quantity = 0.3;
  tenths.containers = {0.1, 0.2};
  EXPECT_TRUE(ReceiveLot({}, tenths, Medium(), Supplier().state, std::nullopt, Day(1), kWarehouse,
                         kTerminal)
                  .has_value());
}

// Verifies A11-01
TEST(Lot, RefusesANullQuantityAnotherDimensionOrAnInvalidField) {
  struct Case {
    std::string_view what;
    std::function<void(LotReceipt&)> change;
    ErrorCode code;
    std::string_view field;
  };
  const std::vector<Case> cases = {
      {"zero quantity",
       [](LotReceipt& r) {
         r.quantity = 0;
         r.containers.clear();
       },
       ErrorCode::kInvalidArgument, "quantity"},
      {"a mass for a volume", [](LotReceipt& r) { r.unit = "mg"; }, ErrorCode::kInvalidArgument,
       "unit"},
      {"a NaN quantity", [](LotReceipt& r) { r.quantity = kNaN; }, ErrorCode::kInvalidArgument,
       "quantity"},
      {"an infinite container", [](LotReceipt& r) { r.containers[1] = kInfinity; },
       ErrorCode::kInvalidArgument, "containers[1]"},
      {"a lower-case lot id", [](LotReceipt& r) { r.id = "l-1"; }, ErrorCode::kInvalidArgument,
       "lot_id"},
      {"no supplier lot", [](LotReceipt& r) { r.supplier_lot = ""; }, ErrorCode::kInvalidArgument,
       "supplier_lot"},
      {"no receiving code", [](LotReceipt& r) { r.receiving_code = ""; },
       ErrorCode::kInvalidArgument, "receiving_code"},
      {"no storage location", [](LotReceipt& r) { r.storage_location = "X"; },
       ErrorCode::kInvalidArgument, "storage_location"},
      {"1001 containers", [](LotReceipt& r) { r.containers.assign(1001, 1.0); },
       ErrorCode::kInvalidArgument, "containers"},
  };
  for (const Case& c : cases) {
    LotReceipt receipt = Receipt();
    c.change(receipt);
    EXPECT_TRUE(Refused(ReceiveLot({}, receipt, Medium(), Supplier().state, std::nullopt, Day(1),
                                   kWarehouse, kTerminal),
                        c.code, c.field))
        << c.what;
  }
  EXPECT_TRUE(Refused(ReceiveLot(Received().state, Receipt(), Medium(), Supplier().state,
                                 std::nullopt, Day(1), kWarehouse, kTerminal),
                      ErrorCode::kAlreadyExists, "lot_id"));
}

// --- Collections -------------------------------------------------------------------------------

// Verifies T-01, T-02 and T-04: a collection is received under its donor's code, in quarantine
// until the donor is determined eligible, expiring its stability after collection.
TEST(LotCollection, ReceivesAnApheresisUnderItsDonorCodeInQuarantine) {
  auto event = ReceiveCollection({}, CollectionOf(Day(1, -20 * kMicrosPerHour)), Apheresis(),
                                 Day(1), kWarehouse, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->payload.Find("alert"), nullptr);
  const LotState lot = Collected().state;
  EXPECT_EQ(lot.kind, LotKind::kCollection);
  EXPECT_EQ(lot.material, "MAT-APHERESIS");
  EXPECT_EQ(lot.Status(), LotStatus::kQuarantine);
  EXPECT_EQ(lot.expiry, Day(1, 28 * kMicrosPerHour));
  EXPECT_EQ(lot.quantity, Units(250));
  ASSERT_TRUE(lot.collection.has_value());
  EXPECT_EQ(lot.collection->donor_code, "DIN-A7Q29K44-2");
  EXPECT_EQ(lot.collection->collection_facility, "Apheresis unit, University Hospital");
  EXPECT_EQ(lot.collection->collected_at, Day(1, -20 * kMicrosPerHour));
  EXPECT_EQ(lot.collection->shipping_min_c, 3.1);
  EXPECT_EQ(lot.collection->shipping_max_c, 6.8);
  EXPECT_EQ(lot.collection->logger_file_sha256, std::string(64, 'c'));
  EXPECT_FALSE(lot.collection->ShippingExcursion());
  EXPECT_EQ(lot.collection->eligibility, Eligibility::kPending);
  EXPECT_EQ(lot.supplier, "");
}

// Verifies T-02
TEST(LotCollection, RefusesADonorCodeThatIsANameARecordNumberOrMistyped) {
  for (const std::string_view code : {"Jane Doe", "00482913", "DIN-A7Q29K44-7"}) {
    CollectionReceipt receipt = CollectionOf(Day(1, -kMicrosPerHour));
    receipt.donor_code = std::string(code);
    EXPECT_TRUE(Refused(ReceiveCollection({}, receipt, Apheresis(), Day(1), kWarehouse, kTerminal),
                        ErrorCode::kInvalidArgument, "donor_code"))
        << code;
  }
}

// Verifies AL-01
TEST(LotCollection, RefusesACollectionTimeInTheFuture) {
  EXPECT_TRUE(Refused(
      ReceiveCollection({}, CollectionOf(Day(1, 1)), Apheresis(), Day(1), kWarehouse, kTerminal),
      ErrorCode::kInvalidArgument, "collected_at"));
  EXPECT_TRUE(
      ReceiveCollection({}, CollectionOf(Day(1)), Apheresis(), Day(1), kWarehouse, kTerminal)
          .has_value());
}

TEST(LotCollection, RefusesACollectionPastItsShelfLife) {
  auto stale = ReceiveCollection({}, CollectionOf(Day(1, -48 * kMicrosPerHour)), Apheresis(),
                                 Day(1), kWarehouse, kTerminal);
  ASSERT_TRUE(Refused(stale, ErrorCode::kInvalidArgument, "collected_at"));
  EXPECT_EQ(stale.error().Message(),
            "collected 2026-03-01 09:00 UTC, the collection is past its 48 h stability "
            "(2026-03-03 09:00 UTC)");
  EXPECT_TRUE(ReceiveCollection({}, CollectionOf(Day(1, 1 - 48 * kMicrosPerHour)), Apheresis(),
                                Day(1), kWarehouse, kTerminal)
                  .has_value());
}

// Verifies A11-01
TEST(LotCollection, RefusesShippingTemperaturesOutOfOrderOrImpossible) {
  for (const auto& [low, high] : std::vector<std::pair<double, double>>{
           {8.0, 2.0}, {kNaN, 6.0}, {3.0, kInfinity}, {-300, 5}, {3, 120}}) {
    CollectionReceipt receipt = CollectionOf(Day(1, -kMicrosPerHour));
    receipt.shipping_min_c = low;
    receipt.shipping_max_c = high;
    EXPECT_TRUE(Refused(ReceiveCollection({}, receipt, Apheresis(), Day(1), kWarehouse, kTerminal),
                        ErrorCode::kInvalidArgument, "shipping_min_c"))
        << low << " " << high;
  }
}

// Verifies T-04: a collection that left 2-8 C in transit is received, for QA to judge at once.
TEST(LotCollection, MarksAShippingExcursionAsAnAlert) {
  for (const auto& [low, high] :
       std::vector<std::pair<double, double>>{{1.9, 6.0}, {3.0, 8.1}, {-1.0, 12.0}}) {
    CollectionReceipt receipt = CollectionOf(Day(1, -kMicrosPerHour));
    receipt.shipping_min_c = low;
    receipt.shipping_max_c = high;
    LotRecord record;
    auto event = ReceiveCollection({}, receipt, Apheresis(), Day(1), kWarehouse, kTerminal);
    ASSERT_TRUE(event.has_value()) << event.error().ToString();
    EXPECT_EQ(Member(event->payload, "alert"), Json(true)) << low << " " << high;
    ASSERT_TRUE(Ok(record.Append(event, Day(1))));
    EXPECT_TRUE(record.state.collection->ShippingExcursion());
  }
  CollectionReceipt edges = CollectionOf(Day(1, -kMicrosPerHour));
  edges.shipping_min_c = 2.0;
  edges.shipping_max_c = 8.0;
  auto event = ReceiveCollection({}, edges, Apheresis(), Day(1), kWarehouse, kTerminal);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->payload.Find("alert"), nullptr);
}

TEST(LotCollection, RefusesAMaterialThatIsNotStartingMaterial) {
  CollectionReceipt receipt = CollectionOf(Day(1, -kMicrosPerHour));
  receipt.material = std::string(kMedium);
  EXPECT_TRUE(Refused(ReceiveCollection({}, receipt, Medium(), Day(1), kWarehouse, kTerminal),
                      ErrorCode::kInvalidArgument, "material"));
  EXPECT_TRUE(Refused(ReceiveCollection({}, receipt, {}, Day(1), kWarehouse, kTerminal),
                      ErrorCode::kNotFound, "material"));
}

// Verifies T-04: a donor's eligibility is determined once, on a stated basis.
TEST(LotCollection, DeterminesTheDonorsEligibilityOnce) {
  LotRecord record = Collected();
  EXPECT_TRUE(Refused(DetermineEligibility(record.state, true, "", Day(2), kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "basis"));
  ASSERT_TRUE(
      Ok(record.Append(DetermineEligibility(record.state, true, "Screening and IDM tests negative",
                                            Day(2), kQa, kTerminal),
                       Day(2))));
  EXPECT_EQ(record.state.collection->eligibility, Eligibility::kEligible);
  EXPECT_EQ(record.state.collection->determined_at, Day(2));
  EXPECT_EQ(record.state.collection->determined_by, "quinn");
  EXPECT_EQ(record.state.collection->eligibility_basis, "Screening and IDM tests negative");
  auto again =
      DetermineEligibility(record.state, false, "HBV NAT reactive", Day(3), kQa, kTerminal);
  ASSERT_TRUE(Refused(again, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(again.error().Message(),
            "the donor of COL-0001 was already determined eligible by quinn");
  EXPECT_TRUE(Refused(DetermineEligibility(Received().state, true, "n/a", Day(2), kQa, kTerminal),
                      ErrorCode::kFailedPrecondition));
}

// --- Produced lots ---------------------------------------------------------------------------

// Verifies T-01 and T-03: a product unit names the batch that made it and its patient's code.
TEST(LotProduced, NeedsTheBatchAndThePatientCodeForAProductUnit) {
  ProducedLot unit{.id = "FP-0017-1",
                   .material = "MAT-CART",
                   .batch = "B-0017",
                   .patient_code = "DIN-A7Q29K44-2",
                   .quantity = 1,
                   .unit = "bag",
                   .expiry = Day(180),
                   .storage_location = "LN2 freezer F-3, rack 2"};
  const auto produce = [](const ProducedLot& produced) {
    return ProduceLot({}, produced, Product(), Day(10), kOperator, kTerminal);
  };
  ProducedLot no_batch = unit;
  no_batch.batch.reset();
  EXPECT_TRUE(Refused(produce(no_batch), ErrorCode::kInvalidArgument, "batch"));
  ProducedLot no_patient = unit;
  no_patient.patient_code.reset();
  EXPECT_TRUE(Refused(produce(no_patient), ErrorCode::kInvalidArgument, "patient_code"));
  ProducedLot mistyped = unit;
  mistyped.patient_code = "DIN-A7Q29K44-5";
  EXPECT_TRUE(Refused(produce(mistyped), ErrorCode::kInvalidArgument, "patient_code"));
  ProducedLot expired = unit;
  expired.expiry = Day(10);
  EXPECT_TRUE(Refused(produce(expired), ErrorCode::kInvalidArgument, "expiry"));

  LotRecord record;
  ASSERT_TRUE(Ok(record.Append(produce(unit), Day(10))));
  EXPECT_EQ(record.state.kind, LotKind::kProduced);
  EXPECT_EQ(record.state.made_by_batch, "B-0017");
  EXPECT_EQ(record.state.patient_code, "DIN-A7Q29K44-2");
  EXPECT_EQ(record.state.receiving_code, "");
  EXPECT_EQ(record.state.quantity, Units(1));
  EXPECT_EQ(record.state.Status(), LotStatus::kQuarantine);

  // A medium prepared in house names no batch or patient; a purchased material is not produced.
  MaterialCommand prepared{.id = "MAT-MEDIUM-IL2",
                           .name = "TexMACS with IL-2, prepared",
                           .category = Category::kIntermediate,
                           .unit = "mL",
                           .storage_condition = "2-8 C",
                           .shelf_life = {.amount = 7, .unit = ShelfLife::Unit::kDays}};
  ProducedLot medium{.id = "INT-0001",
                     .material = "MAT-MEDIUM-IL2",
                     .quantity = 1000,
                     .unit = "mL",
                     .containers = {500, 500},
                     .expiry = Day(17),
                     .storage_location = "Cold room CR-1"};
  EXPECT_TRUE(ProduceLot({}, medium, Define(prepared), Day(10), kOperator, kTerminal).has_value());
  medium.material = std::string(kMedium);
  EXPECT_TRUE(Refused(ProduceLot({}, medium, Medium(), Day(10), kOperator, kTerminal),
                      ErrorCode::kInvalidArgument, "material"));
}

// --- Certificates and identity tests ------------------------------------------------------------

// Verifies G-08: the certificate's results are recorded, each checked against the specification.
TEST(LotCertificate, EntersEachResultCheckedAgainstTheSpecification) {
  LotRecord record = Received();
  auto event = EnterCertificate(record.state, Conforming(), Medium(), "", Day(2), kQc, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->event_type, "materials.coa_entered");
  EXPECT_EQ(event->reason, std::nullopt);
  EXPECT_EQ(event->payload.Find("alert"), nullptr);
  EXPECT_EQ(Member(event->payload, "out_of_specification"), Json(0));
  ASSERT_TRUE(Ok(record.Append(event, Day(2))));
  const Certificate* certificate = record.state.CurrentCertificate();
  ASSERT_NE(certificate, nullptr);
  EXPECT_EQ(certificate->number, 1);
  EXPECT_EQ(certificate->certificate_number, "CoA-7210400123");
  EXPECT_EQ(certificate->file_sha256, std::string(64, 'e'));
  EXPECT_EQ(certificate->spec_version, 1);
  EXPECT_EQ(certificate->entered_by, "quentin");
  EXPECT_EQ(certificate->entered_at, Day(2));
  ASSERT_EQ(certificate->results.size(), 3U);
  EXPECT_EQ(certificate->results[0].criterion, "< 0.5 EU/mL");
  EXPECT_TRUE(certificate->OutOfSpecification().empty());
}

// Verifies A11-01
TEST(LotCertificate, RefusesATestTheSpecificationDoesNotHaveOrOneReportedTwice) {
  const LotState lot = Received().state;
  CertificateInput unknown = Conforming();
  unknown.results[1] = Number("pH", 7.2, "pH");
  auto refused = EnterCertificate(lot, unknown, Medium(), "", Day(2), kQc, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kInvalidArgument, "results[1].test"));
  EXPECT_EQ(refused.error().Message(),
            "the specification of MAT-TEXMACS (version 1) has no test 'pH'");
  CertificateInput twice = Conforming();
  twice.results.push_back(Number("Endotoxin", 0.2, "EU/mL"));
  EXPECT_TRUE(Refused(EnterCertificate(lot, twice, Medium(), "", Day(2), kQc, kTerminal),
                      ErrorCode::kInvalidArgument, "results[3].test"));
  CertificateInput wrong_unit = Conforming();
  wrong_unit.results[0].unit = "mg/mL";
  EXPECT_TRUE(Refused(EnterCertificate(lot, wrong_unit, Medium(), "", Day(2), kQc, kTerminal),
                      ErrorCode::kInvalidArgument, "results[0].unit"));
  CertificateInput none = Conforming();
  none.results.clear();
  EXPECT_TRUE(Refused(EnterCertificate(lot, none, Medium(), "", Day(2), kQc, kTerminal),
                      ErrorCode::kInvalidArgument, "results"));
  CertificateInput bad_file = Conforming();
  bad_file.file_sha256 = std::string(64, 'E');
  EXPECT_TRUE(Refused(EnterCertificate(lot, bad_file, Medium(), "", Day(2), kQc, kTerminal),
                      ErrorCode::kInvalidArgument, "file_sha256"));
}

// Verifies G-04: a result out of specification is recorded with the criterion it breached and
// raised at once.
TEST(LotCertificate, FlagsAnOutOfSpecificationResultAsAnAlertWithItsFinding) {
  LotRecord record = Received();
  CertificateInput input = Conforming();
  input.results[0] = Number("Endotoxin", 0.7, "EU/mL");
  auto event = EnterCertificate(record.state, input, Medium(), "", Day(2), kQc, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(Member(event->payload, "alert"), Json(true));
  EXPECT_EQ(Member(event->payload, "out_of_specification"), Json(1));
  ASSERT_TRUE(Ok(record.Append(event, Day(2))));
  const std::vector<const CheckedResult*> breaches =
      record.state.CurrentCertificate()->OutOfSpecification();
  ASSERT_EQ(breaches.size(), 1U);
  EXPECT_EQ(breaches[0]->finding, "Endotoxin 0.7 EU/mL is above the maximum: < 0.5 EU/mL");
}

// Verifies P11-05: a corrected certificate says why and never hides the one it supersedes.
TEST(LotCertificate, ReEntryNeedsAReasonAndKeepsTheFirst) {
  LotRecord record = Received();
  CertificateInput first = Conforming();
  first.results[1] = Number("Osmolality", 3000, "mOsm/kg");  // A slip of the keyboard.
  ASSERT_TRUE(Ok(record.Append(
      EnterCertificate(record.state, first, Medium(), "", Day(2), kQc, kTerminal), Day(2))));
  for (const std::string_view reason : {"", "x"}) {
    EXPECT_TRUE(Refused(
        EnterCertificate(record.state, Conforming(), Medium(), reason, Day(3), kQc, kTerminal),
        ErrorCode::kInvalidArgument, "reason"))
        << reason;
  }
  const std::string reason = "Osmolality mistyped: the CoA reads 300 mOsm/kg";
  auto second =
      EnterCertificate(record.state, Conforming(), Medium(), reason, Day(3), kQa, kTerminal);
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(second->reason, reason);
  EXPECT_EQ(Member(second->payload, "number"), Json(2));
  ASSERT_TRUE(Ok(record.Append(second, Day(3))));
  ASSERT_EQ(record.state.certificates.size(), 2U);
  const Certificate& kept = record.state.certificates[0];
  EXPECT_EQ(kept.number, 1);
  EXPECT_EQ(kept.results[1].result.value, 3000);
  EXPECT_FALSE(kept.results[1].conforms);
  EXPECT_EQ(kept.entered_by, "quentin");
  EXPECT_EQ(record.state.CurrentCertificate(), &record.state.certificates[1]);
  EXPECT_EQ(record.state.CurrentCertificate()->number, 2);
  EXPECT_EQ(record.state.CurrentCertificate()->entered_by, "quinn");
  EXPECT_TRUE(record.state.CurrentCertificate()->OutOfSpecification().empty());
}

TEST(LotCertificate, RefusesALotNotInQuarantineOrNotFromASupplier) {
  auto released =
      EnterCertificate(Released().state, Conforming(), Medium(), "Late", Day(4), kQc, kTerminal);
  ASSERT_TRUE(Refused(released, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(released.error().Message(),
            "lot L-2026-0001 is released; its receipt records are closed");
  EXPECT_TRUE(Refused(
      EnterCertificate(Collected().state, Conforming(), Medium(), "", Day(2), kQc, kTerminal),
      ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Refused(EnterCertificate({}, Conforming(), Medium(), "", Day(2), kQc, kTerminal),
                      ErrorCode::kNotFound, "lot_id"));
  EXPECT_TRUE(
      Refused(RecordIdentityTest(Released().state, true, "FTIR", "", Day(4), kQc, kTerminal),
              ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(
      Refused(RecordIdentityTest(Collected().state, true, "FTIR", "", Day(4), kQc, kTerminal),
              ErrorCode::kFailedPrecondition));
}

// --- Release -----------------------------------------------------------------------------------

// Verifies G-08 and G-09: a received lot with a complete conforming certificate, a passed identity
// test and a qualified supplier has nothing in the way of its release.
TEST(LotRelease, HasNoBlockersWhenEveryRuleIsMet) {
  const SupplierState supplier = Supplier().state;
  EXPECT_EQ(ReleaseBlockers(Tested().state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{});
}

// Verifies G-08
TEST(LotRelease, IsBlockedWithoutACertificate) {
  LotRecord record = Received();
  ASSERT_TRUE(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "", Day(2), kQc, kTerminal), Day(2))));
  const SupplierState supplier = Supplier().state;
  EXPECT_EQ(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{"no certificate of analysis is entered"});
}

// Verifies G-08: every test of the specification in force has its result.
TEST(LotRelease, IsBlockedByATestMissingFromTheCertificate) {
  LotRecord record = Received();
  CertificateInput partial = Conforming();
  partial.results.pop_back();
  ASSERT_TRUE(Ok(record.Append(
      EnterCertificate(record.state, partial, Medium(), "", Day(2), kQc, kTerminal), Day(2))));
  ASSERT_TRUE(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "", Day(2), kQc, kTerminal), Day(2))));
  const SupplierState supplier = Supplier().state;
  EXPECT_EQ(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{"the certificate has no result for 'Sterility' (pass)"});
}

// Verifies G-04
TEST(LotRelease, IsBlockedByAnOutOfSpecificationResult) {
  LotRecord record = Received();
  CertificateInput input = Conforming();
  input.results[0] = Number("Endotoxin", 0.5, "EU/mL");
  ASSERT_TRUE(Ok(record.Append(
      EnterCertificate(record.state, input, Medium(), "", Day(2), kQc, kTerminal), Day(2))));
  ASSERT_TRUE(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "", Day(2), kQc, kTerminal), Day(2))));
  const SupplierState supplier = Supplier().state;
  EXPECT_EQ(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{
                "out of specification: Endotoxin 0.5 EU/mL is above the maximum: < 0.5 EU/mL"});
}

// Verifies G-09: the certificate stands in for testing only while its supplier is qualified.
TEST(LotRelease, IsBlockedWhenTheSupplierIsNotQualifiedNow) {
  const LotState lot = Tested().state;
  const SupplierState disqualified = DisqualifiedOn(2);
  EXPECT_EQ(ReleaseBlockers(lot, Medium(), &disqualified, Day(3)),
            std::vector<std::string>{"supplier SUP-MILTENYI is disqualified since 2026-03-04, not "
                                     "qualified for MAT-TEXMACS (G-09)"});
  // Qualified when the lot arrived, lapsed by the time QA looks.
  const SupplierState supplier = Supplier().state;
  LotReceipt receipt = Receipt();
  receipt.expiry = Day(500);
  LotRecord late;
  auto events =
      ReceiveLot({}, receipt, Medium(), supplier, std::nullopt, Day(360), kWarehouse, kTerminal);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_TRUE(Ok(late.Append(events->front(), Day(360))));
  ASSERT_TRUE(Ok(late.Append(
      EnterCertificate(late.state, Conforming(), Medium(), "", Day(361), kQc, kTerminal),
      Day(361))));
  ASSERT_TRUE(Ok(late.Append(
      RecordIdentityTest(late.state, true, "FTIR", "", Day(361), kQc, kTerminal), Day(361))));
  EXPECT_TRUE(ReleaseBlockers(late.state, Medium(), &supplier, Day(364)).empty());
  EXPECT_EQ(ReleaseBlockers(late.state, Medium(), &supplier, Day(365)),
            std::vector<std::string>{
                "supplier SUP-MILTENYI's qualification for MAT-TEXMACS lapsed on 2027-03-02 "
                "(requalification was due 2026-12-27) (G-09)"});
  EXPECT_EQ(ReleaseBlockers(lot, Medium(), nullptr, Day(3)),
            std::vector<std::string>{"the supplier SUP-MILTENYI is unknown"});
}

// Verifies G-09: where the specification asks for it, an identity test passed on receipt.
TEST(LotRelease, IsBlockedWithoutAPassedIdentityTestWhereRequired) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Received();
  ASSERT_TRUE(Ok(record.Append(
      EnterCertificate(record.state, Conforming(), Medium(), "", Day(2), kQc, kTerminal), Day(2))));
  EXPECT_EQ(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{"no identity test is recorded; MAT-TEXMACS's specification "
                                     "requires one on receipt (G-09)"});
  MaterialState no_identity = Medium();
  no_identity.identity_test_required = false;
  EXPECT_TRUE(ReleaseBlockers(record.state, no_identity, &supplier, Day(3)).empty());

  auto failed = RecordIdentityTest(record.state, false, "FTIR", "Spectrum does not match", Day(2),
                                   kQc, kTerminal);
  ASSERT_TRUE(failed.has_value()) << failed.error().ToString();
  EXPECT_EQ(Member(failed->payload, "alert"), Json(true));
  ASSERT_TRUE(Ok(record.Append(failed, Day(2))));
  EXPECT_EQ(record.state.LatestIdentityTest()->performed_by, "quentin");
  EXPECT_EQ(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)),
            std::vector<std::string>{"the identity test (FTIR) failed on 2026-03-04"});
  // A retest that passes is the one that counts.
  ASSERT_TRUE(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "Retest", Day(3), kQc, kTerminal), Day(3))));
  EXPECT_TRUE(ReleaseBlockers(record.state, Medium(), &supplier, Day(3)).empty());
}

TEST(LotRelease, IsBlockedOnceTheLotHasExpired) {
  const SupplierState supplier = Supplier().state;
  const LotState lot = Tested().state;
  EXPECT_TRUE(ReleaseBlockers(lot, Medium(), &supplier, Day(200, -1)).empty());
  EXPECT_EQ(ReleaseBlockers(lot, Medium(), &supplier, Day(200)),
            std::vector<std::string>{"lot L-2026-0001 expired on 2026-09-18 09:00 UTC"});
}

// Verifies T-04: a collection stays in quarantine until its donor is determined eligible.
TEST(LotRelease, HoldsACollectionUntilItsDonorIsDeterminedEligible) {
  LotRecord record = Collected();
  EXPECT_EQ(ReleaseBlockers(record.state, Apheresis(), nullptr, Day(1)),
            std::vector<std::string>{"the donor's eligibility is not yet determined (T-04)"});
  LotRecord ineligible = record;
  ASSERT_TRUE(Ok(ineligible.Append(
      DetermineEligibility(ineligible.state, false, "HBV NAT reactive", Day(1), kQa, kTerminal),
      Day(1))));
  EXPECT_EQ(
      ReleaseBlockers(ineligible.state, Apheresis(), nullptr, Day(1)),
      std::vector<std::string>{"the donor was determined ineligible: HBV NAT reactive (T-04)"});
  ASSERT_TRUE(
      Ok(record.Append(DetermineEligibility(record.state, true, "Screening and IDM tests negative",
                                            Day(1), kQa, kTerminal),
                       Day(1))));
  EXPECT_TRUE(ReleaseBlockers(record.state, Apheresis(), nullptr, Day(1)).empty());
}

// Product unit FP-0017-1 of batch B-0017, made on day 10, in quarantine.
LotRecord ProductUnit(Timestamp expiry) {
  LotRecord unit;
  EXPECT_TRUE(Ok(unit.Append(ProduceLot({},
                                        {.id = "FP-0017-1",
                                         .material = "MAT-CART",
                                         .batch = "B-0017",
                                         .patient_code = "DIN-A7Q29K44-2",
                                         .quantity = 1,
                                         .unit = "bag",
                                         .expiry = expiry,
                                         .storage_location = "LN2 freezer F-3"},
                                        Product(), Day(10), kOperator, kTerminal),
                             Day(10))));
  return unit;
}

// Verifies G-04: a product unit leaves quarantine with its batch's disposition, never on its own;
// an intermediate made in house needs nothing but to be in date.
TEST(LotRelease, HoldsAProductUnitForItsBatchsDisposition) {
  const LotRecord unit = ProductUnit(Day(180));
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(ReleaseBlockers(unit.state, Product(), nullptr, Day(11)),
            std::vector<std::string>{
                "a product unit is released with the disposition of its batch B-0017, not on its "
                "own"});
  EXPECT_TRUE(Refused(DecideDisposition(unit.state, Product(), nullptr, true, std::nullopt, Day(11),
                                        kQa, kTerminal),
                      ErrorCode::kFailedPrecondition));

  const MaterialState prepared =
      Define({.id = "MAT-MEDIUM-IL2",
              .name = "TexMACS with IL-2, prepared",
              .category = Category::kIntermediate,
              .unit = "mL",
              .storage_condition = "2-8 C",
              .shelf_life = {.amount = 7, .unit = ShelfLife::Unit::kDays}});
  LotRecord medium;
  ASSERT_TRUE(Ok(medium.Append(ProduceLot({},
                                          {.id = "INT-0001",
                                           .material = "MAT-MEDIUM-IL2",
                                           .quantity = 1000,
                                           .unit = "mL",
                                           .expiry = Day(17),
                                           .storage_location = "Cold room CR-1"},
                                          prepared, Day(10), kOperator, kTerminal),
                               Day(10))));
  EXPECT_TRUE(ReleaseBlockers(medium.state, prepared, nullptr, Day(11)).empty());
}

// G-04: a product unit leaves quarantine with its batch's release (QA's signature on the batch
// record), naming the batch; only its own batch's, only from quarantine, and never once expired.
// Rejected with its batch, it is rejected once.
TEST(LotDisposition, AProductUnitFollowsItsBatchsDispositionG04) {
  // Refused on "lot_id", the message saying `text`.
  const auto refused = [](const Result<ledger::NewEvent>& result,
                          std::string_view text) -> ::testing::AssertionResult {
    if (!Refused(result, ErrorCode::kFailedPrecondition, "lot_id")) {
      return Refused(result, ErrorCode::kFailedPrecondition, "lot_id");
    }
    if (result.error().Message().find(text) == std::string::npos) {
      return ::testing::AssertionFailure() << "refused with " << result.error().ToString();
    }
    return ::testing::AssertionSuccess();
  };
  LotRecord unit = ProductUnit(Day(180));
  EXPECT_TRUE(
      refused(DisposeWithBatch(unit.state, Product(), "B-0018", true, "", Day(30), kQa, kTerminal),
              "not a product unit of batch B-0018"));
  auto released =
      DisposeWithBatch(unit.state, Product(), "B-0017", true, "Reviewed", Day(30), kQa, kTerminal);
  ASSERT_TRUE(released) << released.error().ToString();
  EXPECT_EQ(released->event_type, "materials.lot_released");
  ASSERT_TRUE(Ok(unit.Append(released, Day(30))));
  EXPECT_EQ(unit.state.Status(), LotStatus::kReleased);
  EXPECT_EQ(unit.state.statuses.back().comment, "with batch B-0017, released: Reviewed");
  EXPECT_TRUE(
      refused(DisposeWithBatch(unit.state, Product(), "B-0017", true, "", Day(31), kQa, kTerminal),
              "already released"));
  // A recall: rejected with the batch after its release, then not again.
  auto rejected =
      DisposeWithBatch(unit.state, Product(), "B-0017", false, "", Day(40), kQa, kTerminal);
  ASSERT_TRUE(rejected) << rejected.error().ToString();
  ASSERT_TRUE(Ok(unit.Append(rejected, Day(40))));
  EXPECT_EQ(unit.state.Status(), LotStatus::kRejected);
  EXPECT_TRUE(
      refused(DisposeWithBatch(unit.state, Product(), "B-0017", false, "", Day(41), kQa, kTerminal),
              "already rejected"));

  // Expired before the batch is released: refused, naming the expiry.
  const LotRecord expired = ProductUnit(Day(20));
  EXPECT_TRUE(refused(
      DisposeWithBatch(expired.state, Product(), "B-0017", true, "", Day(30), kQa, kTerminal),
      "expired"));
}

// Verifies G-04 and A11-04: QA releases only what meets every rule, and is told everything that
// does not.
TEST(LotDisposition, RefusesReleaseListingEveryBlocker) {
  const LotState lot = Received().state;
  auto refused =
      DecideDisposition(lot, Medium(), nullptr, true, std::nullopt, Day(200), kQa, kTerminal);
  ASSERT_TRUE(Refused(refused, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(refused.error().Message(),
            "lot L-2026-0001 cannot be released: lot L-2026-0001 expired on 2026-09-18 09:00 UTC; "
            "no certificate of analysis is entered; the supplier SUP-MILTENYI is unknown; no "
            "identity test is recorded; MAT-TEXMACS's specification requires one on receipt "
            "(G-09)");
  // Nor is a lot released twice.
  const SupplierState supplier = Supplier().state;
  auto twice = DecideDisposition(Released().state, Medium(), &supplier, true, std::nullopt, Day(4),
                                 kQa, kTerminal);
  ASSERT_TRUE(Refused(twice, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(twice.error().Message(), "lot L-2026-0001 is already released"));
}

// Verifies A11-04: release records who certified the lot and when.
TEST(LotDisposition, ReleasesALotWithNoBlockersAtTheSignature) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Tested();
  auto event = DecideDisposition(record.state, Medium(), &supplier, true,
                                 std::string("CoA reviewed"), Day(3), kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->event_type, "materials.lot_released");
  ASSERT_TRUE(Ok(record.Append(event, Day(3))));
  EXPECT_EQ(record.state.Status(), LotStatus::kReleased);
  ASSERT_EQ(record.state.statuses.size(), 2U);
  EXPECT_EQ(record.state.statuses[1].at, Day(3));
  EXPECT_EQ(record.state.statuses[1].by, "quinn");
  EXPECT_EQ(record.state.statuses[1].comment, "CoA reviewed");
  EXPECT_EQ(record.state.StatusAt(Day(3, -1)), LotStatus::kQuarantine);
  EXPECT_EQ(record.state.StatusAt(Day(3)), LotStatus::kReleased);
}

// Verifies P11-12: what QA signs names the lot and its evidence, and neither the signature nor
// later use changes it, so the signature stays bound to its record.
TEST(LotDisposition, SignsContentThatTheReleaseAndLaterUseLeaveUnchanged) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Tested();
  const Json content = DispositionContent(record.state);
  EXPECT_EQ(Member(content, "lot"), Json(kLot));
  EXPECT_EQ(Member(content, "supplier_lot"), Json("7210400123"));
  EXPECT_EQ(Member(Member(content, "certificate"), "certificate_number"), Json("CoA-7210400123"));
  EXPECT_EQ(Member(Member(content, "identity_test"), "passed"), Json(true));
  EXPECT_EQ(content.Find("balance"), nullptr);
  EXPECT_EQ(content.Find("status"), nullptr);

  ASSERT_TRUE(Ok(record.Append(DecideDisposition(record.state, Medium(), &supplier, true,
                                                 std::nullopt, Day(3), kQa, kTerminal),
                               Day(3))));
  auto check = CheckUse(record.state, &supplier, Use(Units(100), Day(4)));
  ASSERT_TRUE(check.has_value() && check->Allowed());
  ASSERT_TRUE(
      Ok(record.Append(Consume(record.state, *check, kBatch, kOperator, kTerminal), Day(4))));
  EXPECT_EQ(DispositionContent(record.state), content);
}

TEST(LotDisposition, RejectionNeedsAComment) {
  const LotState lot = Received().state;
  for (const std::optional<std::string>& comment :
       {std::optional<std::string>(), std::optional<std::string>("")}) {
    EXPECT_TRUE(
        Refused(DecideDisposition(lot, Medium(), nullptr, false, comment, Day(2), kQa, kTerminal),
                ErrorCode::kInvalidArgument, "comment"));
  }
  auto rejected = DecideDisposition(lot, Medium(), nullptr, false,
                                    std::string("Seal broken on receipt"), Day(2), kQa, kTerminal);
  ASSERT_TRUE(rejected.has_value()) << rejected.error().ToString();
  EXPECT_EQ(rejected->event_type, "materials.lot_rejected");
  EXPECT_EQ(Member(rejected->payload, "alert"), Json(true));
  EXPECT_EQ(Member(rejected->payload, "comment"), Json("Seal broken on receipt"));
}

TEST(LotDisposition, RecallsAReleasedLotButRefusesToRejectARejectedOne) {
  LotRecord record = Released();
  ASSERT_TRUE(Ok(
      record.Append(DecideDisposition(record.state, Medium(), nullptr, false,
                                      std::string("Supplier recall R-88"), Day(20), kQa, kTerminal),
                    Day(20))));
  EXPECT_EQ(record.state.Status(), LotStatus::kRejected);
  EXPECT_EQ(record.state.statuses.back().comment, "Supplier recall R-88");
  auto again = DecideDisposition(record.state, Medium(), nullptr, false, std::string("Again"),
                                 Day(21), kQa, kTerminal);
  ASSERT_TRUE(Refused(again, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(again.error().Message(), "lot L-2026-0001 is already rejected");
  EXPECT_TRUE(Refused(
      DecideDisposition({}, Medium(), nullptr, false, std::string("x"), Day(21), kQa, kTerminal),
      ErrorCode::kNotFound, "lot_id"));
}

// --- The point-of-use check --------------------------------------------------------------------

// Verifies G-08 and G-09
TEST(LotUseCheck, AllowsAReleasedLotOfTheExpectedMaterialWithinItsBalance) {
  const SupplierState supplier = Supplier().state;
  const LotState lot = Released().state;
  auto check = CheckUse(lot, &supplier, Use(Units(1250), Day(10)));
  ASSERT_TRUE(check.has_value()) << check.error().ToString();
  EXPECT_TRUE(check->Allowed());
  EXPECT_EQ(check->refusal, UseRefusal::kNone);
  EXPECT_EQ(check->message, "lot L-2026-0001 may be used");
  EXPECT_EQ(check->lot, kLot);
  EXPECT_EQ(check->material, kMedium);
  EXPECT_EQ(check->at, Day(10));
  EXPECT_EQ(check->requested, Units(1250));
  EXPECT_EQ(check->available, Units(1250));
  EXPECT_EQ(check->container, std::nullopt);
  auto container = CheckUse(lot, &supplier, Use(Units(250), Day(10), "L-2026-0001/3"));
  ASSERT_TRUE(container.has_value());
  EXPECT_TRUE(container->Allowed());
  EXPECT_EQ(container->available, Units(250));
  EXPECT_EQ(UseRefusalName(UseRefusal::kNone), "allowed");
}

// Verifies G-08: the lot scanned is of the material the step calls for.
TEST(LotUseCheck, RefusesALotOfAnotherMaterial) {
  const SupplierState supplier = Supplier().state;
  UseRequest request = Use(Units(1), Day(10));
  request.expected_material = "MAT-IL2";
  auto check = CheckUse(Released().state, &supplier, request);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->refusal, UseRefusal::kWrongMaterial);
  EXPECT_FALSE(check->Allowed());
  EXPECT_EQ(check->message,
            "lot L-2026-0001 may not be used: it is MAT-TEXMACS, and this step needs MAT-IL2");
  EXPECT_EQ(check->material, "MAT-IL2");
  EXPECT_EQ(UseRefusalName(check->refusal), "wrong_material");
}

// Verifies G-08: only a lot released at the instant of use is used, as the record then stood.
TEST(LotUseCheck, RefusesALotNotReleasedAtTheInstantOfUse) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Released();
  auto quarantined = CheckUse(Tested().state, &supplier, Use(Units(1), Day(10)));
  ASSERT_TRUE(quarantined.has_value());
  EXPECT_EQ(quarantined->refusal, UseRefusal::kNotReleased);
  EXPECT_EQ(
      quarantined->message,
      "lot L-2026-0001 may not be used: it is in quarantine (status as of 2026-03-12 09:00 UTC)");
  ASSERT_TRUE(Ok(record.Append(DecideDisposition(record.state, Medium(), nullptr, false,
                                                 std::string("Recall"), Day(20), kQa, kTerminal),
                               Day(20))));
  const auto refusal_at = [&](Timestamp at) {
    auto check = CheckUse(record.state, &supplier, Use(Units(1), at));
    EXPECT_TRUE(check.has_value());
    return check ? check->refusal : UseRefusal::kNone;
  };
  EXPECT_EQ(refusal_at(Day(3, -1)), UseRefusal::kNotReleased);
  EXPECT_EQ(refusal_at(Day(3)), UseRefusal::kNone);
  EXPECT_EQ(refusal_at(Day(20, -1)), UseRefusal::kNone);
  EXPECT_EQ(refusal_at(Day(20)), UseRefusal::kNotReleased);
  auto rejected = CheckUse(record.state, &supplier, Use(Units(1), Day(21)));
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->message,
            "lot L-2026-0001 may not be used: it is rejected (status as of 2026-03-23 09:00 UTC)");
  EXPECT_EQ(UseRefusalName(UseRefusal::kNotReleased), "not_released");
}

TEST(LotUseCheck, RefusesALotAtOrPastItsExpiry) {
  const SupplierState supplier = Supplier().state;
  const LotState lot = Released().state;
  EXPECT_TRUE(CheckUse(lot, &supplier, Use(Units(1), Day(200, -1)))->Allowed());
  auto expired = CheckUse(lot, &supplier, Use(Units(1), Day(200)));
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->refusal, UseRefusal::kExpired);
  EXPECT_EQ(expired->message,
            "lot L-2026-0001 may not be used: it expired on 2026-09-18 09:00 UTC");
  EXPECT_EQ(UseRefusalName(UseRefusal::kExpired), "expired");
}

// Verifies G-09: the supplier is qualified for the material when the lot is used, not only when it
// was released.
TEST(LotUseCheck, RefusesALotWhoseSupplierWasNotQualifiedAtTheInstantOfUse) {
  const LotState lot = Released().state;
  const SupplierState disqualified = DisqualifiedOn(50);
  EXPECT_TRUE(CheckUse(lot, &disqualified, Use(Units(1), Day(50, -1)))->Allowed());
  auto refused = CheckUse(lot, &disqualified, Use(Units(1), Day(50)));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->refusal, UseRefusal::kSupplierNotQualified);
  EXPECT_EQ(refused->message,
            "lot L-2026-0001 may not be used: supplier SUP-MILTENYI is disqualified since "
            "2026-04-21, not qualified for MAT-TEXMACS");
  auto unknown = CheckUse(lot, nullptr, Use(Units(1), Day(10)));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->refusal, UseRefusal::kSupplierNotQualified);
  EXPECT_EQ(unknown->message,
            "lot L-2026-0001 may not be used: its supplier SUP-MILTENYI is unknown");
  EXPECT_EQ(UseRefusalName(UseRefusal::kSupplierNotQualified), "supplier_not_qualified");
}

// Verifies G-08: a step never draws more than the lot, or the container scanned, holds.
TEST(LotUseCheck, RefusesMoreThanTheLotOrTheNamedContainerHolds) {
  const SupplierState supplier = Supplier().state;
  const LotState lot = Released().state;
  auto lot_short = CheckUse(lot, &supplier, Use(Units(1250) + Amount::FromMillionths(1), Day(10)));
  ASSERT_TRUE(lot_short.has_value());
  EXPECT_EQ(lot_short->refusal, UseRefusal::kInsufficientQuantity);
  EXPECT_EQ(lot_short->message,
            "lot L-2026-0001 may not be used: it holds 1250 mL, short of the 1250.000001 mL asked "
            "for");
  EXPECT_EQ(lot_short->available, Units(1250));
  auto container_short = CheckUse(lot, &supplier, Use(Units(300), Day(10), "L-2026-0001/3"));
  ASSERT_TRUE(container_short.has_value());
  EXPECT_EQ(container_short->refusal, UseRefusal::kInsufficientQuantity);
  EXPECT_EQ(container_short->message,
            "lot L-2026-0001 may not be used: container L-2026-0001/3 holds 250 mL, short of the "
            "300 mL asked for");
  EXPECT_EQ(container_short->container, "L-2026-0001/3");
  EXPECT_EQ(UseRefusalName(UseRefusal::kInsufficientQuantity), "insufficient_quantity");

  EXPECT_TRUE(Refused(CheckUse(lot, &supplier, Use(Units(1), Day(10), "L-2026-0001/4")),
                      ErrorCode::kNotFound, "container"));
  EXPECT_TRUE(Refused(CheckUse(lot, &supplier, Use(Units(1), Day(10), "L-2026-0002/1")),
                      ErrorCode::kNotFound, "container"));
}

// Verifies G-08 and G-09: the refusals come in the documented order, each shown only once every
// earlier rule is met.
TEST(LotUseCheck, ChecksTheRulesInTheDocumentedOrder) {
  const SupplierState disqualified = DisqualifiedOn(50);
  const LotState quarantined = Tested().state;
  const LotState released = Released().state;
  UseRequest request = Use(Units(5000), Day(250));
  request.expected_material = "MAT-IL2";
  const auto refusal = [&](const LotState& lot, const UseRequest& use) {
    auto check = CheckUse(lot, &disqualified, use);
    EXPECT_TRUE(check.has_value());
    return check ? check->refusal : UseRefusal::kNone;
  };
  EXPECT_EQ(refusal(quarantined, request), UseRefusal::kWrongMaterial);
  request.expected_material = std::string(kMedium);
  EXPECT_EQ(refusal(quarantined, request), UseRefusal::kNotReleased);
  EXPECT_EQ(refusal(released, request), UseRefusal::kExpired);
  request.at = Day(100);
  EXPECT_EQ(refusal(released, request), UseRefusal::kSupplierNotQualified);
  request.at = Day(10);
  EXPECT_EQ(refusal(released, request), UseRefusal::kInsufficientQuantity);
  request.quantity = Units(5);
  EXPECT_EQ(refusal(released, request), UseRefusal::kNone);
}

TEST(LotUseCheck, AsksNoSupplierOfACollection) {
  LotRecord record = Collected();
  ASSERT_TRUE(
      Ok(record.Append(DetermineEligibility(record.state, true, "Screening and IDM tests negative",
                                            Day(1), kQa, kTerminal),
                       Day(1))));
  ASSERT_TRUE(Ok(record.Append(DecideDisposition(record.state, Apheresis(), nullptr, true,
                                                 std::nullopt, Day(1), kQa, kTerminal),
                               Day(1))));
  auto check = CheckUse(
      record.state, nullptr,
      {.expected_material = "MAT-APHERESIS", .quantity = Units(250), .at = Day(1, kMicrosPerHour)});
  ASSERT_TRUE(check.has_value());
  EXPECT_TRUE(check->Allowed()) << check->message;
}

// --- Consumption and withdrawal -----------------------------------------------------------------

// Verifies G-08 and T-01: a consumption records the lot, the containers it drew from and where it
// went.
TEST(LotConsumption, DrawsFromTheContainersInOrder) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Released();
  auto check = CheckUse(record.state, &supplier, Use(Units(700), Day(10)));
  ASSERT_TRUE(check.has_value() && check->Allowed());
  const ledger::NewEvent event = Consume(record.state, *check, kBatch, kOperator, kTerminal);
  EXPECT_TRUE(ledger::ValidateNewEvent(event).has_value());
  EXPECT_EQ(event.event_type, "materials.lot_consumed");
  EXPECT_EQ(event.stream, LotStream(kLot));
  EXPECT_EQ(CanonicalJson(event.payload),
            R"({"draws":[{"container":"L-2026-0001/1","quantity":500},)"
            R"({"container":"L-2026-0001/2","quantity":200}],"into":"B-0017",)"
            R"("into_kind":"batch","material":"MAT-TEXMACS","quantity":700,"unit":"mL"})");
  ASSERT_TRUE(Ok(record.Append(event, Day(10))));
  EXPECT_EQ(record.state.containers[0].balance, Amount());
  EXPECT_EQ(record.state.containers[1].balance, Units(300));
  EXPECT_EQ(record.state.containers[2].balance, Units(250));
  EXPECT_EQ(record.state.consumed, Units(700));
  EXPECT_EQ(record.state.Balance(), Units(550));

  // The emptied first container is passed over.
  auto next = CheckUse(record.state, &supplier, Use(Units(400), Day(11)));
  ASSERT_TRUE(next.has_value() && next->Allowed());
  const ledger::NewEvent second =
      Consume(record.state, *next, {Destination::Kind::kLot, "INT-0001"}, kOperator, kTerminal);
  EXPECT_EQ(CanonicalJson(Member(second.payload, "draws")),
            R"([{"container":"L-2026-0001/2","quantity":300},)"
            R"({"container":"L-2026-0001/3","quantity":100}])");
  EXPECT_EQ(Member(second.payload, "into_kind"), Json("lot"));
}

TEST(LotConsumption, DrawsFromTheNamedContainerOnly) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Released();
  auto check = CheckUse(record.state, &supplier, Use(Units(200), Day(10), "L-2026-0001/3"));
  ASSERT_TRUE(check.has_value() && check->Allowed());
  const ledger::NewEvent event = Consume(record.state, *check, kBatch, kOperator, kTerminal);
  EXPECT_EQ(CanonicalJson(Member(event.payload, "draws")),
            R"([{"container":"L-2026-0001/3","quantity":200}])");
  ASSERT_TRUE(Ok(record.Append(event, Day(10))));
  EXPECT_EQ(record.state.containers[0].balance, Units(500));
  EXPECT_EQ(record.state.containers[2].balance, Units(50));
  EXPECT_EQ(record.state.Balance(), Units(1050));
}

TEST(LotConsumption, RecordsARefusedAttemptAsAnAlertThatChangesNothing) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Tested();
  auto check = CheckUse(record.state, &supplier, Use(Units(10), Day(10)));
  ASSERT_TRUE(check.has_value());
  ASSERT_FALSE(check->Allowed());
  const ledger::NewEvent refused = UseRefused(*check, kBatch, kOperator, kTerminal);
  EXPECT_EQ(refused.event_type, "materials.use_refused");
  EXPECT_EQ(refused.stream, LotStream(kLot));
  EXPECT_EQ(Member(refused.payload, "refusal"), Json("not_released"));
  EXPECT_EQ(Member(refused.payload, "message"), Json(check->message));
  EXPECT_EQ(Member(refused.payload, "alert"), Json(true));
  EXPECT_EQ(Member(refused.payload, "into"), Json("B-0017"));
  const Json before = LotToJson(record.state);
  ASSERT_TRUE(Ok(record.Append(refused, Day(10))));
  EXPECT_EQ(LotToJson(record.state), before);
}

TEST(LotWithdrawal, TakesASampleWithItsReason) {
  LotRecord record = Tested();
  auto sample = Withdraw(record.state, std::string("L-2026-0001/2"), Units(20),
                         WithdrawalPurpose::kSample, "QC retain sample", kQc, kTerminal);
  ASSERT_TRUE(sample.has_value()) << sample.error().ToString();
  EXPECT_EQ(sample->event_type, "materials.lot_withdrawn");
  EXPECT_EQ(sample->reason, "QC retain sample");
  EXPECT_EQ(Member(sample->payload, "purpose"), Json("sample"));
  ASSERT_TRUE(Ok(record.Append(sample, Day(2))));
  EXPECT_EQ(record.state.withdrawn, Units(20));
  EXPECT_EQ(record.state.containers[1].balance, Units(480));
  EXPECT_EQ(record.state.Balance(), Units(1230));
  EXPECT_EQ(WithdrawalPurposeFromName("sample"), WithdrawalPurpose::kSample);
  EXPECT_EQ(WithdrawalPurposeFromName("waste"), WithdrawalPurpose::kWaste);
  EXPECT_EQ(WithdrawalPurposeFromName("adjustment"), WithdrawalPurpose::kAdjustment);
  EXPECT_EQ(WithdrawalPurposeFromName("theft"), std::nullopt);
}

TEST(LotWithdrawal, RefusesWithoutAReasonNothingOrMoreThanIsHeld) {
  const LotState lot = Tested().state;
  const auto withdraw = [&](const std::optional<std::string>& container, Amount quantity,
                            std::string_view reason) {
    return Withdraw(lot, container, quantity, WithdrawalPurpose::kWaste, reason, kQc, kTerminal);
  };
  EXPECT_TRUE(Refused(withdraw(std::nullopt, Units(1), ""), ErrorCode::kInvalidArgument, "reason"));
  EXPECT_TRUE(
      Refused(withdraw(std::nullopt, Amount(), "Spilt"), ErrorCode::kInvalidArgument, "quantity"));
  // A negative withdrawal would add to the lot.
  EXPECT_TRUE(Refused(withdraw(std::nullopt, Amount::FromMillionths(-1), "Found"),
                      ErrorCode::kInvalidArgument, "quantity"));
  auto lot_short = withdraw(std::nullopt, Units(1250) + Amount::FromMillionths(1), "Spilt");
  ASSERT_TRUE(Refused(lot_short, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(lot_short.error().Message(), "lot L-2026-0001 holds less than 1250.000001 mL");
  auto container_short = withdraw(std::string("L-2026-0001/3"), Units(251), "Spilt");
  ASSERT_TRUE(Refused(container_short, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(container_short.error().Message(), "container L-2026-0001/3 holds less than 251 mL");
  EXPECT_TRUE(Refused(withdraw(std::string("L-2026-0001/9"), Units(1), "Spilt"),
                      ErrorCode::kNotFound, "container"));
  EXPECT_TRUE(Refused(
      Withdraw({}, std::nullopt, Units(1), WithdrawalPurpose::kWaste, "Spilt", kQc, kTerminal),
      ErrorCode::kNotFound, "lot_id"));
  EXPECT_TRUE(withdraw(std::nullopt, Units(1250), "Whole lot spilt").has_value());
}

// --- Folding and storing ------------------------------------------------------------------------

// Verifies G-08: the inventory of a lot reconciles: what was received is what is left, consumed
// and withdrawn.
TEST(LotLedger, KeepsReceivedEqualToBalancePlusConsumedPlusWithdrawn) {
  const SupplierState supplier = Supplier().state;
  LotRecord record = Released();
  for (const auto& [quantity, container] :
       std::vector<std::pair<Amount, std::optional<std::string>>>{
           {Amount::FromMillionths(333'333'333), std::nullopt},
           {Amount::FromMillionths(1), std::string("L-2026-0001/3")},
           {Units(400), std::nullopt}}) {
    auto check = CheckUse(record.state, &supplier, Use(quantity, Day(10), container));
    ASSERT_TRUE(check.has_value() && check->Allowed()) << quantity.ToString();
    ASSERT_TRUE(
        Ok(record.Append(Consume(record.state, *check, kBatch, kOperator, kTerminal), Day(10))));
  }
  ASSERT_TRUE(Ok(record.Append(Withdraw(record.state, std::nullopt, Amount::FromMillionths(100),
                                        WithdrawalPurpose::kAdjustment, "Recount", kQc, kTerminal),
                               Day(11))));
  const LotState& lot = record.state;
  EXPECT_EQ(lot.consumed, Amount::FromMillionths(733'333'334));
  EXPECT_EQ(lot.withdrawn, Amount::FromMillionths(100));
  EXPECT_EQ(lot.quantity, lot.Balance() + lot.consumed + lot.withdrawn);
  Amount held;
  for (const Container& container : lot.containers) held = held + container.balance;
  EXPECT_EQ(held, lot.Balance());
  EXPECT_EQ(lot.Balance(), Amount::FromMillionths(516'666'566));
}

// A consumption event as another writer might have sealed it.
ledger::NewEvent Consumption(const std::vector<std::pair<std::string, double>>& draws,
                             double quantity) {
  ledger::NewEvent event;
  event.stream = LotStream(kLot);
  event.event_type = "materials.lot_consumed";
  event.actor = kOperator;
  event.terminal = std::string(kTerminal);
  Json array = Json::MakeArray();
  for (const auto& [container, amount] : draws) {
    Json draw = Json::MakeObject();
    draw.Set("container", container);
    draw.Set("quantity", amount);
    array.Push(std::move(draw));
  }
  event.payload.Set("material", std::string(kMedium));
  event.payload.Set("quantity", quantity);
  event.payload.Set("unit", "mL");
  event.payload.Set("draws", std::move(array));
  event.payload.Set("into_kind", "batch");
  event.payload.Set("into", "B-0017");
  return event;
}

// Verifies P11-01: a record that would not reconcile is reported as data loss, never folded in.
TEST(LotLedger, RefusesAConsumptionThatDrawsMoreThanAContainerHolds) {
  const LotState released = Released().state;
  const auto fold = [&](const ledger::NewEvent& event) {
    LotState state = released;
    return ApplyLotEvent(state, ledger::SealEvent(event, 9, Day(10), ledger::kGenesisPrevHash));
  };
  EXPECT_TRUE(Ok(fold(Consumption({{"L-2026-0001/3", 250}}, 250))));
  const Status over = fold(Consumption({{"L-2026-0001/3", 250.000001}}, 250.000001));
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().Code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(Contains(over.error().Message(), "a draw exceeds container L-2026-0001/3"))
      << over.error().Message();
  // The same container twice, together more than it holds.
  EXPECT_EQ(fold(Consumption({{"L-2026-0001/3", 200}, {"L-2026-0001/3", 100}}, 300)).error().Code(),
            ErrorCode::kDataLoss);
  EXPECT_EQ(fold(Consumption({{"L-2026-0001/4", 1}}, 1)).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(fold(Consumption({{"L-2026-0001/1", 100}}, 150)).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(fold(Consumption({{"L-2026-0001/1", -1}}, -1)).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(fold(Consumption({{"L-2026-0001/1", 0.0000001}}, 0.0000001)).error().Code(),
            ErrorCode::kDataLoss);

  LotState nothing;
  EXPECT_EQ(ApplyLotEvent(nothing, ledger::SealEvent(Consumption({{"L-2026-0001/1", 1}}, 1), 1,
                                                     Day(10), ledger::kGenesisPrevHash))
                .error()
                .Code(),
            ErrorCode::kDataLoss);
}

TEST(LotLedger, RefusesAReceiptWhoseContainersDoNotSumOrThatComesTwice) {
  auto events = ReceiveLot({}, Receipt(), Medium(), Supplier().state, std::nullopt, Day(1),
                           kWarehouse, kTerminal);
  ASSERT_TRUE(events.has_value());
  ledger::NewEvent broken = events->front();
  broken.payload.Set("containers", Json(Json::Array{500.0, 500.0}));
  LotState state;
  const Status unsummed =
      ApplyLotEvent(state, ledger::SealEvent(broken, 1, Day(1), ledger::kGenesisPrevHash));
  ASSERT_FALSE(unsummed.has_value());
  EXPECT_EQ(unsummed.error().Code(), ErrorCode::kDataLoss);
  LotState received = Received().state;
  EXPECT_EQ(ApplyLotEvent(received,
                          ledger::SealEvent(events->front(), 2, Day(1), ledger::kGenesisPrevHash))
                .error()
                .Code(),
            ErrorCode::kDataLoss);
}

// Verifies AL-04: a lot's state reads back from storage exactly as it was written.
TEST(Lot, RoundTripsItsStateThroughJson) {
  const SupplierState supplier = Supplier().state;
  LotRecord received = Released();
  auto check = CheckUse(received.state, &supplier, Use(Amount::FromMillionths(1'500'001), Day(10)));
  ASSERT_TRUE(check.has_value() && check->Allowed());
  ASSERT_TRUE(
      Ok(received.Append(Consume(received.state, *check, kBatch, kOperator, kTerminal), Day(10))));
  LotRecord collected = Collected();
  ASSERT_TRUE(Ok(collected.Append(
      DetermineEligibility(collected.state, false, "HBV NAT reactive", Day(1), kQa, kTerminal),
      Day(1))));
  LotRecord produced;
  ASSERT_TRUE(Ok(produced.Append(ProduceLot({},
                                            {.id = "FP-0017-1",
                                             .material = "MAT-CART",
                                             .batch = "B-0017",
                                             .patient_code = "DIN-A7Q29K44-2",
                                             .quantity = 1,
                                             .unit = "bag",
                                             .expiry = Day(180),
                                             .storage_location = "LN2 freezer F-3"},
                                            Product(), Day(10), kOperator, kTerminal),
                                 Day(10))));
  for (const LotState& lot : {received.state, collected.state, produced.state}) {
    const Json json = LotToJson(lot);
    auto back = LotFromJson(json);
    ASSERT_TRUE(back.has_value()) << lot.id << ": " << back.error().ToString();
    EXPECT_EQ(LotToJson(*back), json) << lot.id;
    EXPECT_TRUE(back->exists);
    EXPECT_EQ(back->kind, lot.kind);
    EXPECT_EQ(back->Balance(), lot.Balance());
    EXPECT_EQ(back->Status(), lot.Status());
    EXPECT_EQ(back->expiry, lot.expiry);
    EXPECT_EQ(back->containers.size(), lot.containers.size());
  }
  const LotState back = *LotFromJson(LotToJson(received.state));
  EXPECT_EQ(back.consumed, Amount::FromMillionths(1'500'001));
  EXPECT_EQ(back.containers[0].balance, Amount::FromMillionths(498'499'999));
  EXPECT_EQ(back.certificates[0].results[0].criterion, "< 0.5 EU/mL");
  EXPECT_EQ(back.certificates[0].file_sha256, std::string(64, 'e'));
  EXPECT_EQ(back.certificates[0].entered_at, Day(2));
  EXPECT_EQ(back.identity_tests[0].method, "FTIR");
  EXPECT_EQ(back.statuses[1].status, LotStatus::kReleased);
  EXPECT_EQ(back.supplier_lot, "7210400123");
  const LotState donor = *LotFromJson(LotToJson(collected.state));
  EXPECT_EQ(donor.collection->eligibility, Eligibility::kIneligible);
  EXPECT_EQ(donor.collection->determined_at, Day(1));
  EXPECT_EQ(donor.collection->donor_code, "DIN-A7Q29K44-2");
  EXPECT_EQ(LotFromJson(LotToJson(produced.state))->patient_code, "DIN-A7Q29K44-2");

  Json broken = LotToJson(received.state);
  broken.Set("consumed", Json(0.5));
  EXPECT_EQ(LotFromJson(broken).error().Code(), ErrorCode::kDataLoss);
  Json unknown_kind = LotToJson(received.state);
  unknown_kind.Set("kind", "borrowed");
  EXPECT_EQ(LotFromJson(unknown_kind).error().Code(), ErrorCode::kDataLoss);
}

// Verifies G-08 on random histories: whatever consumptions and withdrawals are asked for, each
// decided on the lot's state as it then stands, no container and no lot balance goes below zero,
// and the balance reconciles with what was received, consumed and withdrawn.
RC_GTEST_PROP(LotBalance, NeverGoesNegativeAndAlwaysReconciles, ()) {
  const SupplierState supplier = Supplier().state;
  const MaterialState medium = Medium();
  LotReceipt receipt = Receipt();
  receipt.containers.clear();
  Amount total;
  const auto containers = *rc::gen::inRange(1, 6);
  for (int i = 0; i < containers; ++i) {
    const Amount amount = Amount::FromMillionths(*rc::gen::inRange<std::int64_t>(1, 2'000'000'000));
    receipt.containers.push_back(amount.Units());
    total = total + amount;
  }
  receipt.quantity = total.Units();
  LotRecord record;
  auto events =
      ReceiveLot({}, receipt, medium, supplier, std::nullopt, Day(1), kWarehouse, kTerminal);
  RC_ASSERT(events.has_value());
  RC_ASSERT(Ok(record.Append(events->front(), Day(1))));
  RC_ASSERT(Ok(record.Append(
      EnterCertificate(record.state, Conforming(), medium, "", Day(2), kQc, kTerminal), Day(2))));
  RC_ASSERT(Ok(record.Append(
      RecordIdentityTest(record.state, true, "FTIR", "", Day(2), kQc, kTerminal), Day(2))));
  RC_ASSERT(Ok(record.Append(DecideDisposition(record.state, medium, &supplier, true, std::nullopt,
                                               Day(3), kQa, kTerminal),
                             Day(3))));
  RC_ASSERT(record.state.quantity == total);

  Amount consumed;
  Amount withdrawn;
  const auto steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    const LotState& lot = record.state;
    const Timestamp at = Day(4, step * kMicrosPerSecond);
    std::optional<std::string> container;
    Amount available = lot.Balance();
    if (*rc::gen::arbitrary<bool>()) {
      const auto index = *rc::gen::inRange<std::size_t>(0, lot.containers.size());
      container = lot.containers[index].id;
      available = lot.containers[index].balance;
    }
    // Mostly what is there, sometimes more.
    const Amount quantity = Amount::FromMillionths(*rc::gen::inRange<std::int64_t>(
        1, available.Millionths() + available.Millionths() / 4 + 2));
    if (*rc::gen::arbitrary<bool>()) {
      auto check = CheckUse(lot, &supplier, Use(quantity, at, container));
      RC_ASSERT(check.has_value());
      RC_ASSERT(check->available == available);
      if (quantity > available) {
        RC_ASSERT(check->refusal == UseRefusal::kInsufficientQuantity);
        continue;
      }
      RC_ASSERT(check->Allowed());
      RC_ASSERT(Ok(record.Append(Consume(lot, *check, kBatch, kOperator, kTerminal), at)));
      consumed = consumed + quantity;
    } else {
      auto withdrawal =
          Withdraw(lot, container, quantity, WithdrawalPurpose::kWaste, "Spilt", kQc, kTerminal);
      if (quantity > available) {
        RC_ASSERT(!withdrawal.has_value());
        RC_ASSERT(withdrawal.error().Code() == ErrorCode::kFailedPrecondition);
        continue;
      }
      RC_ASSERT(Ok(record.Append(withdrawal, at)));
      withdrawn = withdrawn + quantity;
    }
    Amount held;
    for (const Container& each : record.state.containers) {
      RC_ASSERT(each.balance >= Amount());
      RC_ASSERT(each.balance <= each.initial);
      held = held + each.balance;
    }
    RC_ASSERT(record.state.Balance() >= Amount());
    RC_ASSERT(held == record.state.Balance());
    RC_ASSERT(record.state.consumed == consumed);
    RC_ASSERT(record.state.withdrawn == withdrawn);
    RC_ASSERT(record.state.quantity ==
              record.state.Balance() + record.state.consumed + record.state.withdrawn);
  }
}

}  // namespace
}  // namespace aliquot::materials
