#include "aliquot/domain/materials/material.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kTerminal = "QC-WS2";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
const ledger::Actor kQc{"quentin", "Quentin QC"};
const ledger::Actor kQa{"quinn", "Quinn QA"};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

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

SpecTest RangeTest(std::string name, std::string method, std::optional<double> min,
                   std::optional<double> max, std::string unit, bool min_exclusive = false,
                   bool max_exclusive = false) {
  return {.name = std::move(name),
          .method = std::move(method),
          .criterion = {.kind = Criterion::Kind::kRange,
                        .min = min,
                        .min_exclusive = min_exclusive,
                        .max = max,
                        .max_exclusive = max_exclusive,
                        .unit = std::move(unit)}};
}

SpecTest TextTest(std::string name, std::string method, std::string expected) {
  return {.name = std::move(name),
          .method = std::move(method),
          .criterion = {.kind = Criterion::Kind::kText, .expected = std::move(expected)}};
}

SpecTest PassFailTest(std::string name, std::string method) {
  return {.name = std::move(name),
          .method = std::move(method),
          .criterion = {.kind = Criterion::Kind::kPassFail}};
}

// Interleukin-2 as a CAR-T process buys it: the cytokine that expands the T cells.
MaterialCommand Il2() {
  return {.id = "MAT-IL2",
          .name = "Recombinant human IL-2, GMP grade",
          .category = Category::kCytokine,
          .unit = "vial",
          .storage_condition = "-20 C or colder, protected from light",
          .shelf_life = {.amount = 24, .unit = ShelfLife::Unit::kMonths},
          .criticality = Criticality::kCritical,
          .identity_test_required = true,
          .tests = {
              TextTest("Appearance", "Visual inspection against a black and white background",
                       "Clear, colourless"),
              RangeTest("Endotoxin", "USP <85> kinetic chromogenic LAL", std::nullopt, 1.0, "EU/ug",
                        false, true),
              RangeTest("Purity", "SDS-PAGE, densitometry", 95.0, std::nullopt, "%"),
              RangeTest("Concentration", "UV absorbance at 280 nm", 0.9, 1.1, "mg/mL"),
              PassFailTest("Sterility", "USP <71> membrane filtration"),
          }};
}

// The IL-2 material as folded from its first definition.
MaterialState Il2State() {
  auto event = DefineMaterial({}, Il2(), "", kQa, kTerminal);
  EXPECT_TRUE(event.has_value());
  MaterialState state;
  const Status applied =
      ApplyMaterialEvent(state, ledger::SealEvent(*event, 1, kDay0, ledger::kGenesisPrevHash));
  EXPECT_TRUE(applied.has_value());
  return state;
}

const SpecTest& Il2Test(std::string_view name) {
  static const MaterialState kState = Il2State();
  const SpecTest* test = kState.FindTest(name);
  EXPECT_NE(test, nullptr) << name;
  return *test;
}

TestResult Number(std::string test, double value, std::string unit) {
  return {.test = std::move(test), .value = value, .unit = std::move(unit)};
}

TestResult PassOrFail(std::string test, bool passed) {
  return {.test = std::move(test), .passed = passed};
}

TestResult Text(std::string test, std::string text) {
  return {.test = std::move(test), .text = std::move(text)};
}

TEST(Material, NamesCategoriesAndCriticalitiesInSnakeCase) {
  EXPECT_EQ(CategoryName(Category::kActivationReagent), "activation_reagent");
  EXPECT_EQ(CategoryName(Category::kSingleUseKit), "single_use_kit");
  EXPECT_EQ(CategoryName(Category::kDrugProduct), "drug_product");
  for (int i = 0; i <= static_cast<int>(Category::kDrugProduct); ++i) {
    const auto category = static_cast<Category>(i);
    EXPECT_EQ(CategoryFromName(CategoryName(category)), category) << i;
  }
  EXPECT_EQ(CategoryFromName("Cytokine"), std::nullopt);
  EXPECT_EQ(CategoryFromName("drug product"), std::nullopt);
  EXPECT_EQ(CriticalityName(Criticality::kCritical), "critical");
  EXPECT_EQ(CriticalityFromName("major"), Criticality::kMajor);
  EXPECT_EQ(CriticalityFromName("minor"), Criticality::kMinor);
  EXPECT_EQ(CriticalityFromName("low"), std::nullopt);
  EXPECT_EQ(CriterionKindName(Criterion::Kind::kRange), "range");
  EXPECT_EQ(CriterionKindName(Criterion::Kind::kPassFail), "pass_fail");
  EXPECT_EQ(CriterionKindName(Criterion::Kind::kText), "text");
}

TEST(Material, BuysEverythingButStartingMaterialIntermediatesAndDrugProduct) {
  EXPECT_TRUE(IsPurchased(Category::kMedia));
  EXPECT_TRUE(IsPurchased(Category::kCytokine));
  EXPECT_TRUE(IsPurchased(Category::kViralVector));
  EXPECT_TRUE(IsPurchased(Category::kSingleUseKit));
  EXPECT_FALSE(IsPurchased(Category::kStartingMaterial));
  EXPECT_FALSE(IsPurchased(Category::kIntermediate));
  EXPECT_FALSE(IsPurchased(Category::kDrugProduct));
}

TEST(Material, KeepsAShelfLifeOfHoursAndDaysExactlyAndOfMonthsByTheCalendar) {
  // 2026-01-31T00:00:00Z.
  const Timestamp made = Timestamp::FromMicros(1'769'817'600 * kMicrosPerSecond);
  EXPECT_EQ((ShelfLife{72, ShelfLife::Unit::kHours}.After(made)).Micros(),
            made.Micros() + 3 * kMicrosPerDay);
  EXPECT_EQ((ShelfLife{30, ShelfLife::Unit::kDays}.After(made)).Micros(),
            made.Micros() + 30 * kMicrosPerDay);
  // February has no 31st: a lot made on 31 January keeps until 28 February.
  EXPECT_EQ((ShelfLife{1, ShelfLife::Unit::kMonths}.After(made)).ToRfc3339(),
            "2026-02-28T00:00:00.000000Z");
  EXPECT_EQ((ShelfLife{24, ShelfLife::Unit::kMonths}.After(made)).ToRfc3339(),
            "2028-01-31T00:00:00.000000Z");
}

TEST(Material, DescribesAShelfLifeAsALabelPrintsIt) {
  EXPECT_EQ((ShelfLife{72, ShelfLife::Unit::kHours}.Describe()), "72 h");
  EXPECT_EQ((ShelfLife{30, ShelfLife::Unit::kDays}.Describe()), "30 d");
  EXPECT_EQ((ShelfLife{24, ShelfLife::Unit::kMonths}.Describe()), "24 months");
  EXPECT_EQ((ShelfLife{1, ShelfLife::Unit::kMonths}.Describe()), "1 month");
}

TEST(Material, DescribesCriteriaAsAPersonReadsThem) {
  EXPECT_EQ(RangeTest("Viability", "m", 70.0, std::nullopt, "%").criterion.Describe(), ">= 70 %");
  EXPECT_EQ(RangeTest("VCN", "m", std::nullopt, 5.0, "copies/cell").criterion.Describe(),
            "<= 5 copies/cell");
  EXPECT_EQ(
      RangeTest("Endotoxin", "m", std::nullopt, 5.0, "EU/mL", false, true).criterion.Describe(),
      "< 5 EU/mL");
  EXPECT_EQ(RangeTest("Residual", "m", 0.1, 0.5, "ug/mL").criterion.Describe(), "0.1-0.5 ug/mL");
  EXPECT_EQ(RangeTest("Ratio", "m", 0.0, 1.0, "x", true, true).criterion.Describe(),
            "> 0 and < 1 x");
  EXPECT_EQ(RangeTest("Ratio", "m", 0.0, 1.0, "x", false, true).criterion.Describe(),
            ">= 0 and < 1 x");
  EXPECT_EQ(RangeTest("Growth", "m", 10.0, std::nullopt, "fold", true).criterion.Describe(),
            "> 10 fold");
  EXPECT_EQ(RangeTest("Storage", "m", -80.0, -60.0, "C").criterion.Describe(), "-80 to -60 C");
  EXPECT_EQ(RangeTest("Volume", "m", 5.0, 5.0, "mL").criterion.Describe(), "= 5 mL");
  EXPECT_EQ(RangeTest("Titer", "m", 1e8, std::nullopt, "TU/mL").criterion.Describe(),
            ">= 100000000 TU/mL");
  EXPECT_EQ(PassFailTest("Sterility", "m").criterion.Describe(), "pass");
  EXPECT_EQ(TextTest("Identity", "m", "Conforms").criterion.Describe(), "\"Conforms\"");
}

TEST(Material, AcceptsIdentifiersOfCapitalsDigitsAndSeparators) {
  for (const std::string& id :
       {std::string("MAT-IL2"), std::string("IL"), std::string("7AAD"),
        std::string("CD3.CD28_BEADS"), std::string("9-"), std::string(40, 'A')}) {
    EXPECT_TRUE(CheckIdentifier(id, "material_id").has_value()) << id;
  }
}

// Verifies A11-01: an identifier that labels and scanners could misread is refused on entry.
TEST(Material, RefusesIdentifiersOutsideTheAlphabetOrLength) {
  for (const std::string& id :
       {std::string(), std::string("M"), std::string("mat-il2"), std::string("-MAT"),
        std::string(".MAT"), std::string("_MAT"), std::string("MAT IL2"), std::string("MAT/IL2"),
        std::string("MAT-IL2\n"), std::string("MAT-\xC3\x8EL2"), std::string(41, 'A')}) {
    EXPECT_TRUE(
        Refused(CheckIdentifier(id, "supplier_id"), ErrorCode::kInvalidArgument, "supplier_id"))
        << id;
  }
}

// Verifies G-08: a material carries its specification, each test with its method and criterion.
TEST(Material, DefinesACarTReagentAsVersionOneWithItsWholeSpecification) {
  auto event = DefineMaterial({}, Il2(), "", kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*event).has_value());
  EXPECT_EQ(event->stream, MaterialStream("MAT-IL2"));
  EXPECT_EQ(event->stream.type, "material");
  EXPECT_EQ(event->event_type, "materials.material_defined");
  EXPECT_EQ(event->actor, kQa);
  EXPECT_EQ(event->terminal, kTerminal);
  EXPECT_EQ(event->reason, std::nullopt);
  const Json& payload = event->payload;
  EXPECT_EQ(*payload.Find("id"), Json("MAT-IL2"));
  EXPECT_EQ(*payload.Find("category"), Json("cytokine"));
  EXPECT_EQ(*payload.Find("criticality"), Json("critical"));
  EXPECT_EQ(*payload.Find("spec_version"), Json(1));
  EXPECT_EQ(CanonicalJson(*payload.Find("shelf_life")), R"({"amount":24,"unit":"months"})");
  const Json::Array& tests = payload.Find("tests")->AsArray();
  ASSERT_EQ(tests.size(), 5U);
  EXPECT_EQ(CanonicalJson(tests[1]),
            R"({"criterion":{"kind":"range","max":1,"max_exclusive":true,"min_exclusive":false,)"
            R"("unit":"EU/ug"},"method":"USP <85> kinetic chromogenic LAL","name":"Endotoxin"})");
  EXPECT_EQ(CanonicalJson(*tests[0].Find("criterion")),
            R"({"expected":"Clear, colourless","kind":"text","max_exclusive":false,)"
            R"("min_exclusive":false})");
  EXPECT_EQ(CanonicalJson(*tests[4].Find("criterion")),
            R"({"kind":"pass_fail","max_exclusive":false,"min_exclusive":false})");
}

// Verifies G-09: whether a certificate needs an identity test on receipt is part of the definition.
TEST(Material, CarriesWhetherAnIdentityTestIsRequiredOnReceipt) {
  EXPECT_TRUE(Il2State().identity_test_required);
  MaterialCommand bag = Il2();
  bag.id = "MAT-BAG-500";
  bag.name = "Cryobag 500 mL";
  bag.category = Category::kBag;
  bag.unit = "bag";
  bag.identity_test_required = false;
  bag.tests = {PassFailTest("Integrity", "Visual inspection of seams and ports")};
  auto event = DefineMaterial({}, bag, "", kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(*event->payload.Find("identity_test_required"), Json(false));
}

TEST(Material, KeepsAUnitAsParsedWithoutSurroundingSpace) {
  MaterialCommand command = Il2();
  command.tests = {RangeTest("Concentration", "UV absorbance", 0.9, 1.1, " mg/mL ")};
  auto event = DefineMaterial({}, command, "", kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(*event->payload.Find("tests")->AsArray()[0].Find("criterion")->Find("unit"),
            Json("mg/mL"));
}

// Verifies A11-01: each field of a definition is checked on entry and the refusal points at it.
TEST(Material, RefusesEachInvalidFieldNamingIt) {
  struct Case {
    std::string_view what;
    std::function<void(MaterialCommand&)> change;
    std::string_view field;
  };
  const std::vector<Case> cases = {
      {"lower-case id", [](MaterialCommand& c) { c.id = "mat-il2"; }, "material_id"},
      {"one-letter name", [](MaterialCommand& c) { c.name = "I"; }, "name"},
      {"long name", [](MaterialCommand& c) { c.name = std::string(201, 'n'); }, "name"},
      {"name with a newline", [](MaterialCommand& c) { c.name = "IL-2\nGMP"; }, "name"},
      {"unknown unit", [](MaterialCommand& c) { c.unit = "flask"; }, "unit"},
      {"empty unit", [](MaterialCommand& c) { c.unit = ""; }, "unit"},
      {"empty storage", [](MaterialCommand& c) { c.storage_condition = ""; }, "storage_condition"},
      {"long storage", [](MaterialCommand& c) { c.storage_condition = std::string(201, 's'); },
       "storage_condition"},
      {"no shelf life", [](MaterialCommand& c) { c.shelf_life.amount = 0; }, "shelf_life.amount"},
      {"negative shelf life", [](MaterialCommand& c) { c.shelf_life.amount = -1; },
       "shelf_life.amount"},
      {"shelf life 10000", [](MaterialCommand& c) { c.shelf_life.amount = 10000; },
       "shelf_life.amount"},
      {"61 tests",
       [](MaterialCommand& c) {
         c.tests.clear();
         for (int i = 0; i < 61; ++i)
           c.tests.push_back(PassFailTest("T" + std::to_string(i), "m2"));
       },
       "tests"},
      {"empty test name", [](MaterialCommand& c) { c.tests[1].name = ""; }, "tests[1].name"},
      {"long test name", [](MaterialCommand& c) { c.tests[1].name = std::string(101, 't'); },
       "tests[1].name"},
      {"empty method", [](MaterialCommand& c) { c.tests[3].method = ""; }, "tests[3].method"},
      {"one-letter method", [](MaterialCommand& c) { c.tests[3].method = "X"; }, "tests[3].method"},
      {"unknown criterion unit", [](MaterialCommand& c) { c.tests[3].criterion.unit = "mg/dl"; },
       "tests[3].criterion.unit"},
      {"range without unit", [](MaterialCommand& c) { c.tests[2].criterion.unit = ""; },
       "tests[2].criterion.unit"},
      {"range without bounds",
       [](MaterialCommand& c) {
         c.tests[3].criterion.min.reset();
         c.tests[3].criterion.max.reset();
       },
       "tests[3].criterion"},
      {"inverted bounds",
       [](MaterialCommand& c) {
         c.tests[3].criterion.min = 1.1;
         c.tests[3].criterion.max = 0.9;
       },
       "tests[3].criterion"},
      {"empty exclusive interval",
       [](MaterialCommand& c) {
         c.tests[3].criterion.min = 1.0;
         c.tests[3].criterion.max = 1.0;
         c.tests[3].criterion.max_exclusive = true;
       },
       "tests[3].criterion"},
      {"infinite bound", [](MaterialCommand& c) { c.tests[2].criterion.min = kInfinity; },
       "tests[2].criterion"},
      {"NaN bound", [](MaterialCommand& c) { c.tests[1].criterion.max = kNaN; },
       "tests[1].criterion"},
      {"exclusive bound without a value",
       [](MaterialCommand& c) { c.tests[2].criterion.max_exclusive = true; }, "tests[2].criterion"},
      {"range with expected text",
       [](MaterialCommand& c) { c.tests[2].criterion.expected = "high"; }, "tests[2].criterion"},
      {"text without expected", [](MaterialCommand& c) { c.tests[0].criterion.expected = ""; },
       "tests[0].criterion.expected"},
      {"text expected too long",
       [](MaterialCommand& c) { c.tests[0].criterion.expected = std::string(201, 'e'); },
       "tests[0].criterion.expected"},
      {"text with bounds", [](MaterialCommand& c) { c.tests[0].criterion.min = 1; },
       "tests[0].criterion"},
      {"pass/fail with a unit", [](MaterialCommand& c) { c.tests[4].criterion.unit = "%"; },
       "tests[4].criterion"},
      {"pass/fail with expected text",
       [](MaterialCommand& c) { c.tests[4].criterion.expected = "pass"; }, "tests[4].criterion"},
  };
  for (const Case& c : cases) {
    MaterialCommand command = Il2();
    c.change(command);
    EXPECT_TRUE(Refused(DefineMaterial({}, command, "", kQa, kTerminal),
                        ErrorCode::kInvalidArgument, c.field))
        << c.what;
  }
}

TEST(Material, AcceptsSixtyTestsAndAShelfLifeOf1To9999) {
  MaterialCommand command = Il2();
  command.tests.clear();
  for (int i = 0; i < 60; ++i) command.tests.push_back(PassFailTest("T" + std::to_string(i), "m2"));
  for (int amount : {1, 9999}) {
    command.shelf_life.amount = amount;
    EXPECT_TRUE(DefineMaterial({}, command, "", kQa, kTerminal).has_value()) << amount;
  }
}

// Verifies A11-01: results are entered against a test by name, so a name is listed once.
TEST(Material, RefusesATestListedTwice) {
  MaterialCommand command = Il2();
  command.tests = {Il2().tests[0], Il2().tests[1], Il2().tests[1]};
  auto twice = DefineMaterial({}, command, "", kQa, kTerminal);
  ASSERT_TRUE(Refused(twice, ErrorCode::kInvalidArgument, "tests[2].name"));
  EXPECT_EQ(twice.error().Message(), "test 'Endotoxin' is listed twice");

  command.tests[2].name = "ENDOTOXIN";
  EXPECT_TRUE(Refused(DefineMaterial({}, command, "", kQa, kTerminal), ErrorCode::kInvalidArgument,
                      "tests[2].name"));
}

TEST(Material, AcceptsASpecificationWithoutTests) {
  MaterialCommand command = Il2();
  command.tests.clear();
  EXPECT_TRUE(DefineMaterial({}, command, "", kQa, kTerminal).has_value());
}

TEST(Material, RevisionAddsOneToTheSpecVersionAndNeedsAReason) {
  const MaterialState state = Il2State();
  ASSERT_EQ(state.spec_version, 1);
  MaterialCommand command = Il2();
  command.tests[2].criterion.min = 98.0;

  EXPECT_TRUE(Refused(DefineMaterial(state, command, "", kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));
  EXPECT_TRUE(Refused(DefineMaterial(state, command, "tighter\x01", kQa, kTerminal),
                      ErrorCode::kInvalidArgument, "reason"));

  auto revised =
      DefineMaterial(state, command, "CC-0042: purity limit tightened to 98 %", kQa, kTerminal);
  ASSERT_TRUE(revised.has_value()) << revised.error().ToString();
  EXPECT_EQ(*revised->payload.Find("spec_version"), Json(2));
  EXPECT_EQ(revised->reason, "CC-0042: purity limit tightened to 98 %");
  EXPECT_EQ(revised->event_type, "materials.material_defined");
}

TEST(Material, KeepsAReasonGivenForANewMaterial) {
  auto event = DefineMaterial({}, Il2(), "Second source for IL-2", kQa, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->reason, "Second source for IL-2");
  EXPECT_EQ(*event->payload.Find("spec_version"), Json(1));
}

TEST(Material, RevisionKeepsTheCategory) {
  MaterialCommand command = Il2();
  command.category = Category::kReagent;
  auto revised = DefineMaterial(Il2State(), command, "Reclassified", kQa, kTerminal);
  ASSERT_TRUE(Refused(revised, ErrorCode::kInvalidArgument, "category"));
  EXPECT_EQ(revised.error().Message(),
            "a material's category does not change; define a new material");
}

TEST(Material, FoldsTheDefinedEventIntoTheState) {
  const MaterialState state = Il2State();
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.id, "MAT-IL2");
  EXPECT_EQ(state.name, "Recombinant human IL-2, GMP grade");
  EXPECT_EQ(state.category, Category::kCytokine);
  EXPECT_EQ(state.unit, "vial");
  EXPECT_EQ(state.storage_condition, "-20 C or colder, protected from light");
  EXPECT_EQ(state.shelf_life.amount, 24);
  EXPECT_EQ(state.shelf_life.unit, ShelfLife::Unit::kMonths);
  EXPECT_EQ(state.criticality, Criticality::kCritical);
  EXPECT_EQ(state.spec_version, 1);
  EXPECT_EQ(state.revised_at, kDay0);
  EXPECT_EQ(state.revised_by, "quinn");
  ASSERT_EQ(state.tests.size(), 5U);
  const SpecTest* endotoxin = state.FindTest("Endotoxin");
  ASSERT_NE(endotoxin, nullptr);
  EXPECT_EQ(endotoxin->method, "USP <85> kinetic chromogenic LAL");
  EXPECT_EQ(endotoxin->criterion.max, 1.0);
  EXPECT_EQ(endotoxin->criterion.min, std::nullopt);
  EXPECT_TRUE(endotoxin->criterion.max_exclusive);
  EXPECT_EQ(endotoxin->criterion.Describe(), "< 1 EU/ug");
  EXPECT_EQ(state.FindTest("Appearance")->criterion.expected, "Clear, colourless");
  EXPECT_EQ(state.FindTest("Sterility")->criterion.kind, Criterion::Kind::kPassFail);
  EXPECT_EQ(state.FindTest("Identity"), nullptr);
}

TEST(Material, FoldsARevisionOverTheEarlierDefinition) {
  MaterialState state = Il2State();
  MaterialCommand command = Il2();
  command.tests.pop_back();
  command.storage_condition = "-80 C to -60 C";
  auto revised = DefineMaterial(state, command, "Sterility moved to the CoA review", kQc, "QC-2");
  ASSERT_TRUE(revised.has_value()) << revised.error().ToString();
  const Timestamp later = Timestamp::FromMicros(kDay0.Micros() + kMicrosPerDay);
  ASSERT_TRUE(
      ApplyMaterialEvent(state, ledger::SealEvent(*revised, 7, later, ledger::kGenesisPrevHash))
          .has_value());
  EXPECT_EQ(state.spec_version, 2);
  EXPECT_EQ(state.tests.size(), 4U);
  EXPECT_EQ(state.FindTest("Sterility"), nullptr);
  EXPECT_EQ(state.storage_condition, "-80 C to -60 C");
  EXPECT_EQ(state.revised_at, later);
  EXPECT_EQ(state.revised_by, "quentin");
}

TEST(Material, RefusesToFoldACorruptOrOutOfOrderEvent) {
  auto defined = DefineMaterial({}, Il2(), "", kQa, kTerminal);
  ASSERT_TRUE(defined.has_value());
  const auto fold = [](MaterialState state, const ledger::NewEvent& event) {
    return ApplyMaterialEvent(state, ledger::SealEvent(event, 3, kDay0, ledger::kGenesisPrevHash));
  };

  // Version 1 again over version 1: an event replayed.
  const Status replayed = fold(Il2State(), *defined);
  ASSERT_FALSE(replayed.has_value());
  EXPECT_EQ(replayed.error().Code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(Contains(replayed.error().Message(), "spec_version 1 does not follow 1"))
      << replayed.error().Message();

  ledger::NewEvent unknown = *defined;
  unknown.event_type = "materials.material_retired";
  EXPECT_EQ(fold({}, unknown).error().Code(), ErrorCode::kDataLoss);

  ledger::NewEvent other_stream = *defined;
  other_stream.stream = MaterialStream("MAT-IL7");
  EXPECT_EQ(fold({}, other_stream).error().Code(), ErrorCode::kDataLoss);

  for (std::string_view member : {"name", "category", "shelf_life", "tests", "spec_version"}) {
    ledger::NewEvent broken = *defined;
    broken.payload.Set(std::string(member), Json(true));
    const Status status = fold({}, broken);
    ASSERT_FALSE(status.has_value()) << member;
    EXPECT_EQ(status.error().Code(), ErrorCode::kDataLoss) << member;
    EXPECT_TRUE(Contains(status.error().Message(), "event seq 3")) << status.error().Message();
  }

  ledger::NewEvent bad_kind = *defined;
  Json tests = *bad_kind.payload.Find("tests");
  for (auto& [name, member] : tests.AsArray()[1].AsObject()) {
    if (name == "criterion") member.Set("kind", "scale");
  }
  bad_kind.payload.Set("tests", tests);
  const Status kind = fold({}, bad_kind);
  ASSERT_FALSE(kind.has_value());
  EXPECT_TRUE(Contains(kind.error().Message(), "tests[1].criterion.kind"))
      << kind.error().Message();

  ledger::Event not_json = ledger::SealEvent(*defined, 4, kDay0, ledger::kGenesisPrevHash);
  not_json.payload = "{\"id\":";
  MaterialState state;
  EXPECT_EQ(ApplyMaterialEvent(state, not_json).error().Code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(state.exists);
}

TEST(Material, RoundTripsItsStateThroughJson) {
  const MaterialState state = Il2State();
  const Json json = MaterialToJson(state);
  EXPECT_EQ(*json.Find("revised_at"), Json("2026-03-02T09:00:00.000000Z"));
  EXPECT_EQ(*json.Find("exists"), Json(true));
  auto back = MaterialFromJson(json);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(MaterialToJson(*back), json);
  EXPECT_EQ(back->revised_at, state.revised_at);
  EXPECT_EQ(back->revised_by, "quinn");
  EXPECT_EQ(back->FindTest("Concentration")->criterion.Describe(), "0.9-1.1 mg/mL");
  EXPECT_EQ(back->FindTest("Endotoxin")->criterion.min, std::nullopt);
  EXPECT_EQ(back->FindTest("Appearance")->criterion.expected, "Clear, colourless");
}

TEST(Material, ReportsDataLossForStoredJsonThatDoesNotReadBack) {
  const Json json = MaterialToJson(Il2State());
  for (std::string_view member :
       {"exists", "id", "unit", "criticality", "revised_at", "revised_by", "tests"}) {
    Json broken = json;
    broken.Set(std::string(member), Json(7));
    auto back = MaterialFromJson(broken);
    ASSERT_FALSE(back.has_value()) << member;
    EXPECT_EQ(back.error().Code(), ErrorCode::kDataLoss) << member;
  }
  Json bad_time = json;
  bad_time.Set("revised_at", "yesterday");
  EXPECT_EQ(MaterialFromJson(bad_time).error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(MaterialFromJson(Json("MAT-IL2")).error().Code(), ErrorCode::kDataLoss);
}

// Verifies G-08: a certificate that meets every criterion conforms, test by test.
TEST(Material, AcceptsAConformingIl2Certificate) {
  const std::vector<std::pair<TestResult, std::string>> results = {
      {Text("Appearance", "Clear, colourless"), "\"Clear, colourless\""},
      {Number("Endotoxin", 0.12, "EU/ug"), "< 1 EU/ug"},
      {Number("Purity", 98.7, "%"), ">= 95 %"},
      {Number("Concentration", 1.02, "mg/mL"), "0.9-1.1 mg/mL"},
      {PassOrFail("Sterility", true), "pass"},
  };
  for (const auto& [result, criterion] : results) {
    auto checked = CheckResult(Il2Test(result.test), result, "results[0]");
    ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
    EXPECT_TRUE(checked->conforms) << result.test;
    EXPECT_EQ(checked->criterion, criterion);
    EXPECT_EQ(checked->finding, "");
    EXPECT_EQ(checked->result.test, result.test);
  }
}

// Verifies G-08: a value in another unit of the same dimension is converted, not compared raw.
TEST(Material, ConvertsAResultIntoTheSpecificationsUnitBeforeComparing) {
  auto concentration =
      CheckResult(Il2Test("Concentration"), Number("Concentration", 1000, "ug/mL "), "results[3]");
  ASSERT_TRUE(concentration.has_value()) << concentration.error().ToString();
  EXPECT_TRUE(concentration->conforms);
  ASSERT_TRUE(concentration->value_in_spec_unit.has_value());
  EXPECT_NEAR(*concentration->value_in_spec_unit, 1.0, 1e-12);
  EXPECT_EQ(concentration->result.value, 1000);
  EXPECT_EQ(concentration->result.unit, "ug/mL");

  // 1000 ug/mL read as 1000 mg/mL would be far above the maximum.
  auto high = CheckResult(Il2Test("Concentration"), Number("Concentration", 1200, "ug/mL"), "r");
  ASSERT_TRUE(high.has_value());
  EXPECT_FALSE(high->conforms);
  EXPECT_EQ(high->finding, "Concentration 1200 ug/mL is above the maximum: 0.9-1.1 mg/mL");

  auto endotoxin = CheckResult(Il2Test("Endotoxin"), Number("Endotoxin", 800, "EU/mg"), "r");
  ASSERT_TRUE(endotoxin.has_value()) << endotoxin.error().ToString();
  EXPECT_TRUE(endotoxin->conforms);
  EXPECT_NEAR(*endotoxin->value_in_spec_unit, 0.8, 1e-12);
}

TEST(Material, MeetsAnInclusiveLimitExactlyAfterConversion) {
  const SpecTest residual = RangeTest("Residual IL-2", "ELISA", 0.1, 0.25, "ug/mL");
  for (const TestResult& result :
       {Number("Residual IL-2", 250, "ng/mL"), Number("Residual IL-2", 100, "ng/mL"),
        Number("Residual IL-2", 0.00025, "mg/mL"), Number("Residual IL-2", 0.1, "ug/mL")}) {
    auto checked = CheckResult(residual, result, "results[0]");
    ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
    EXPECT_TRUE(checked->conforms)
        << *result.value << " " << result.unit << ": " << checked->finding;
  }
  // In doubles 900000 ng/mL is 0.8999999999999999 mg/mL and 100000 pg/mL 0.09999999999999999
  // ug/mL: on the limit all the same.
  for (const TestResult& result :
       {Number("Concentration", 900000, "ng/mL"), Number("Concentration", 1100000, "ng/mL")}) {
    auto checked = CheckResult(Il2Test("Concentration"), result, "results[3]");
    ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
    EXPECT_TRUE(checked->conforms) << *result.value << ": " << checked->finding;
  }
  auto pg = CheckResult(residual, Number("Residual IL-2", 100000, "pg/mL"), "results[0]");
  ASSERT_TRUE(pg.has_value());
  EXPECT_TRUE(pg->conforms) << pg->finding;
  auto above = CheckResult(residual, Number("Residual IL-2", 251, "ng/mL"), "results[0]");
  ASSERT_TRUE(above.has_value());
  EXPECT_FALSE(above->conforms);
}

TEST(Material, ReportsABreachWithTheCriterionItBreached) {
  auto endotoxin = CheckResult(Il2Test("Endotoxin"), Number("Endotoxin", 1.4, "EU/ug"), "r");
  ASSERT_TRUE(endotoxin.has_value());
  EXPECT_FALSE(endotoxin->conforms);
  EXPECT_EQ(endotoxin->finding, "Endotoxin 1.4 EU/ug is above the maximum: < 1 EU/ug");

  auto purity = CheckResult(Il2Test("Purity"), Number("Purity", 93.5, "%"), "r");
  ASSERT_TRUE(purity.has_value());
  EXPECT_FALSE(purity->conforms);
  EXPECT_EQ(purity->finding, "Purity 93.5 % is below the minimum: >= 95 %");
  EXPECT_EQ(purity->criterion, ">= 95 %");

  auto low = CheckResult(Il2Test("Concentration"), Number("Concentration", 0.85, "mg/mL"), "r");
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->finding, "Concentration 0.85 mg/mL is below the minimum: 0.9-1.1 mg/mL");
}

TEST(Material, TreatsAValueOnAnExclusiveBoundAsOutOfSpecification) {
  auto at_limit = CheckResult(Il2Test("Endotoxin"), Number("Endotoxin", 1, "EU/ug"), "r");
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_FALSE(at_limit->conforms);
  // 1000 EU/mg is 1 EU/ug up to rounding, and is as much a breach.
  auto converted = CheckResult(Il2Test("Endotoxin"), Number("Endotoxin", 1000, "EU/mg"), "r");
  ASSERT_TRUE(converted.has_value());
  EXPECT_FALSE(converted->conforms);
  EXPECT_EQ(converted->finding, "Endotoxin 1000 EU/mg is above the maximum: < 1 EU/ug");

  // 1100000 ng/mL is 1.0999999999999999 mg/mL in doubles: still on the limit, not below it.
  const SpecTest protein =
      RangeTest("Total protein", "BCA assay", std::nullopt, 1.1, "mg/mL", false, true);
  auto on_limit = CheckResult(protein, Number("Total protein", 1100000, "ng/mL"), "r");
  ASSERT_TRUE(on_limit.has_value());
  EXPECT_FALSE(on_limit->conforms);
  EXPECT_EQ(on_limit->finding, "Total protein 1100000 ng/mL is above the maximum: < 1.1 mg/mL");

  const SpecTest growth =
      RangeTest("Fold expansion", "Cell count day 0 and day 9", 0.0, std::nullopt, "fold", true);
  auto zero = CheckResult(growth, Number("Fold expansion", 0, "fold"), "r");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->finding, "Fold expansion 0 fold is below the minimum: > 0 fold");
}

// Verifies A11-01: a value of another dimension is refused, never compared.
TEST(Material, RefusesACertificateInMgPerMlAgainstASpecificationInCellsPerMl) {
  const SpecTest count = RangeTest("Viable cell concentration", "NC-200 automated count", 1e6,
                                   std::nullopt, "cells/mL");
  auto checked =
      CheckResult(count, Number("Viable cell concentration", 2.5, "mg/mL"), "results[1]");
  ASSERT_TRUE(Refused(checked, ErrorCode::kInvalidArgument, "results[1].unit"));
  EXPECT_TRUE(Contains(checked.error().Message(), "mg/mL")) << checked.error().Message();
  EXPECT_TRUE(Contains(checked.error().Message(), "cells/mL")) << checked.error().Message();
  EXPECT_TRUE(Contains(checked.error().Message(), "cannot be compared"))
      << checked.error().Message();

  // Counts of different things never convert into each other either.
  EXPECT_TRUE(Refused(
      CheckResult(count, Number("Viable cell concentration", 2e6, "copies/mL"), "results[1]"),
      ErrorCode::kInvalidArgument, "results[1].unit"));
}

// Verifies A11-01
TEST(Material, RefusesAnUnknownUnitOrAMissingOrNonFiniteValue) {
  const SpecTest& concentration = Il2Test("Concentration");
  EXPECT_TRUE(Refused(CheckResult(concentration, Number("Concentration", 1, "mg/dl"), "r[3]"),
                      ErrorCode::kInvalidArgument, "r[3].unit"));
  EXPECT_TRUE(Refused(CheckResult(concentration, Number("Concentration", 1, ""), "r[3]"),
                      ErrorCode::kInvalidArgument, "r[3].unit"));
  EXPECT_TRUE(Refused(CheckResult(concentration, Number("Concentration", kNaN, "mg/mL"), "r[3]"),
                      ErrorCode::kInvalidArgument, "r[3].value"));
  EXPECT_TRUE(
      Refused(CheckResult(concentration, Number("Concentration", -kInfinity, "mg/mL"), "r[3]"),
              ErrorCode::kInvalidArgument, "r[3].value"));
  EXPECT_TRUE(Refused(
      CheckResult(concentration, TestResult{.test = "Concentration", .unit = "mg/mL"}, "r[3]"),
      ErrorCode::kInvalidArgument, "r[3].value"));
}

// Verifies A11-01: a result of the wrong kind is refused rather than read as something else.
TEST(Material, RefusesAResultOfTheWrongKind) {
  auto value_for_pass_fail =
      CheckResult(Il2Test("Sterility"), Number("Sterility", 0, "CFU/mL"), "results[4]");
  ASSERT_TRUE(Refused(value_for_pass_fail, ErrorCode::kInvalidArgument, "results[4]"));
  EXPECT_EQ(value_for_pass_fail.error().Message(),
            "test 'Sterility' takes pass/fail, not a number with a unit");

  auto pass_for_range =
      CheckResult(Il2Test("Endotoxin"), PassOrFail("Endotoxin", true), "results[1]");
  ASSERT_TRUE(Refused(pass_for_range, ErrorCode::kInvalidArgument, "results[1]"));
  EXPECT_EQ(pass_for_range.error().Message(),
            "test 'Endotoxin' takes a number with a unit, not pass/fail");

  EXPECT_TRUE(Refused(CheckResult(Il2Test("Purity"), Text("Purity", "98 %"), "results[2]"),
                      ErrorCode::kInvalidArgument, "results[2]"));
  EXPECT_TRUE(
      Refused(CheckResult(Il2Test("Sterility"), Text("Sterility", "No growth"), "results[4]"),
              ErrorCode::kInvalidArgument, "results[4]"));
  EXPECT_TRUE(
      Refused(CheckResult(Il2Test("Appearance"), PassOrFail("Appearance", true), "results[0]"),
              ErrorCode::kInvalidArgument, "results[0]"));
  EXPECT_TRUE(
      Refused(CheckResult(Il2Test("Appearance"), Number("Appearance", 1, "x"), "results[0]"),
              ErrorCode::kInvalidArgument, "results[0]"));
  EXPECT_TRUE(Refused(CheckResult(Il2Test("Sterility"), TestResult{.test = "Sterility"}, "res"),
                      ErrorCode::kInvalidArgument, "res.passed"));
  EXPECT_TRUE(Refused(CheckResult(Il2Test("Appearance"), Text("Appearance", "  "), "res"),
                      ErrorCode::kInvalidArgument, "res.text"));
}

TEST(Material, RefusesAResultEnteredForAnotherTest) {
  EXPECT_TRUE(Refused(CheckResult(Il2Test("Purity"), Number("Endotoxin", 0.1, "EU/ug"), "res"),
                      ErrorCode::kInvalidArgument, "res.test"));
}

TEST(Material, RecordsAFailedSterilityTestAsOutOfSpecification) {
  auto checked = CheckResult(Il2Test("Sterility"), PassOrFail("Sterility", false), "results[4]");
  ASSERT_TRUE(checked.has_value());
  EXPECT_FALSE(checked->conforms);
  EXPECT_EQ(checked->finding, "Sterility failed: the specification requires pass");
  EXPECT_EQ(checked->criterion, "pass");
  EXPECT_EQ(checked->value_in_spec_unit, std::nullopt);
}

TEST(Material, MatchesTextIgnoringCaseAndSurroundingSpace) {
  auto checked =
      CheckResult(Il2Test("Appearance"), Text("Appearance", "  clear, COLOURLESS "), "res");
  ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
  EXPECT_TRUE(checked->conforms);
  EXPECT_EQ(checked->result.text, "clear, COLOURLESS");
}

TEST(Material, QuotesBothTextsWhenTheyDiffer) {
  auto checked =
      CheckResult(Il2Test("Appearance"), Text("Appearance", "Slightly opalescent"), "res");
  ASSERT_TRUE(checked.has_value());
  EXPECT_FALSE(checked->conforms);
  EXPECT_EQ(checked->finding,
            "Appearance \"Slightly opalescent\" does not match the specification: "
            "\"Clear, colourless\"");
  // "Clear, colourless." is another text: only case and surrounding space are forgiven.
  EXPECT_FALSE(CheckResult(Il2Test("Appearance"), Text("Appearance", "Clear, colourless."), "res")
                   ->conforms);
}

TEST(Material, RoundTripsACheckedResultThroughJson) {
  for (const auto& [test, result] : std::vector<std::pair<std::string, TestResult>>{
           {"Concentration", Number("Concentration", 1000, "ug/mL")},
           {"Endotoxin", Number("Endotoxin", 1.4, "EU/ug")},
           {"Sterility", PassOrFail("Sterility", false)},
           {"Appearance", Text("Appearance", "Clear, colourless")}}) {
    auto checked = CheckResult(Il2Test(test), result, "res");
    ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
    const Json json = CheckedResultToJson(*checked);
    auto back = CheckedResultFromJson(json);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(back->result.test, checked->result.test);
    EXPECT_EQ(back->result.value, checked->result.value);
    EXPECT_EQ(back->result.unit, checked->result.unit);
    EXPECT_EQ(back->result.passed, checked->result.passed);
    EXPECT_EQ(back->result.text, checked->result.text);
    EXPECT_EQ(back->conforms, checked->conforms);
    EXPECT_EQ(back->criterion, checked->criterion);
    EXPECT_EQ(back->value_in_spec_unit, checked->value_in_spec_unit);
    EXPECT_EQ(back->finding, checked->finding);
    EXPECT_EQ(CheckedResultToJson(*back), json);
  }
  auto sterility = CheckResult(Il2Test("Sterility"), PassOrFail("Sterility", true), "res");
  ASSERT_TRUE(sterility.has_value());
  EXPECT_EQ(CanonicalJson(CheckedResultToJson(*sterility)),
            R"({"conforms":true,"criterion":"pass","finding":"","passed":true,)"
            R"("test":"Sterility","text":"","unit":""})");
}

TEST(Material, ReportsDataLossForAStoredCheckedResultThatDoesNotReadBack) {
  auto checked = CheckResult(Il2Test("Purity"), Number("Purity", 98.7, "%"), "res");
  ASSERT_TRUE(checked.has_value());
  const Json json = CheckedResultToJson(*checked);
  for (std::string_view member : {"test", "value", "conforms", "criterion", "finding"}) {
    Json broken = json;
    broken.Set(std::string(member), Json("broken"));
    if (member == "test" || member == "criterion" || member == "finding") {
      broken.Set(std::string(member), Json(1));
    }
    auto back = CheckedResultFromJson(broken);
    ASSERT_FALSE(back.has_value()) << member;
    EXPECT_EQ(back.error().Code(), ErrorCode::kDataLoss) << member;
  }
  EXPECT_EQ(CheckedResultFromJson(Json::MakeArray()).error().Code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace aliquot::materials
