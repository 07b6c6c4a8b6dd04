// genealogy_bench: lot genealogy over 100,000 CAR-T batches and about 1,000,000 consumption
// records, backward from a batch and forward from a raw or an intermediate lot
// (MaterialService::GenealogyIn, and the bare materials::TraceGenealogy over app::GenealogyEdges),
// each beside a raw recursive SQL query (WITH RECURSIVE over genealogy_backward or
// genealogy_forward, with the at <= as_of filter) on the same file in the same run, against the
// 5 ms p99 target; and the point-of-use check (MaterialService::CheckUseIn) beside the two point
// reads it makes, against its 50 us p99 target. The dataset is built once through
// SqliteStore::Append and kept in the build folder. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench/raw_sqlite.h"
#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "aliquot/app/material_records.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/materials/genealogy.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/materials/supplier.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/fake_clock.h"

#ifndef ALIQUOT_BENCH_DATA_DIR
#define ALIQUOT_BENCH_DATA_DIR "."
#endif

namespace aliquot::bench {
namespace {

using Steady = std::chrono::steady_clock;
using materials::Category;
using materials::Criticality;
using materials::Direction;
using materials::LotState;
using materials::MaterialState;
using materials::SupplierState;

// The cached dataset's name carries this: bump it whenever the build below changes what it writes.
constexpr int kDatasetVersion = 1;

// The dimensions the requirement names, before --scale: 100,000 batches, each consuming about ten
// lots (its apheresis collection, one or two prepared media, seven or eight raw lots), so about
// 1,000,000 consumption records. At 68 batches a day (a large commercial CAR-T site) they span
// four years, so lots come and go as they would: received, used for weeks, used up or expired.
constexpr std::int64_t kBatches = 100'000;
constexpr std::int64_t kBatchesPerDay = 68;
// Hermetic: the same dataset and the same roots on every run.
constexpr std::uint64_t kSeed = 20220103;

// From a batch's start to its product units (expansion, harvest, formulation, freezing).
constexpr int kProductDays = 9;
// From a lot's receipt (certificate and identity test entered) to QA's release.
constexpr int kReleaseLagDays = 2;
// Suppliers are requalified every two years (audit, proposal, QA's signature) for three years.
constexpr int kRequalifyDays = 730;
constexpr int kQualificationMonths = 36;
constexpr int kIntermediateShelfDays = 14;

// Rounds (Google Benchmark iterations) and traces per round, before --scale.
constexpr std::int64_t kTraceRounds = 10;
constexpr std::int64_t kBackwardPerRound = 300;
constexpr std::int64_t kForwardRawPerRound = 50;
constexpr std::int64_t kForwardIntermediatePerRound = 200;
constexpr std::int64_t kCheckRounds = 10;
constexpr std::int64_t kChecksPerRound = 2000;

// The requirement's targets.
constexpr double kTraceTargetUs = 5000;
constexpr double kCheckTargetUs = 50;

double scale = 1.0;
bool rebuild = false;
std::string data_dir = ALIQUOT_BENCH_DATA_DIR;

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// Microseconds as milliseconds: "0.412 ms", "4.12 ms", "41.2 ms"; "n/a" for nullopt.
std::string Millis(std::optional<double> micros) {
  if (!micros) return "n/a";
  const double ms = *micros / 1000;
  char text[32];
  std::snprintf(text, sizeof text, ms < 1 ? "%.3f ms" : ms < 10 ? "%.2f ms" : "%.1f ms", ms);
  return text;
}

Timestamp Start() {
  return Must(Timestamp::ParseInstant("2022-01-03T00:00:00Z", "start"), "start");
}

// Hour `hour` of day `day` (0: the first batches' day; negative: before).
Timestamp At(int day, int hour) {
  return Timestamp::FromMicros(Start().Micros() + day * kMicrosPerDay +
                               std::int64_t{hour} * 3600 * kMicrosPerSecond);
}

int DaysFor(std::int64_t batches) {
  return static_cast<int>((batches + kBatchesPerDay - 1) / kBatchesPerDay);
}

int BatchDay(std::int64_t batch, std::int64_t batches) {
  return static_cast<int>(batch * DaysFor(batches) / batches);
}

// The instant every trace and check asks about: the evening after the last product units were
// made. A function of the batch count alone, so that a cached dataset needs no plan.
Timestamp NowFor(std::int64_t batches) {
  return At(BatchDay(batches - 1, batches) + kProductDays + 1, 18);
}

std::string Numbered(std::string_view prefix, std::int64_t number, int digits = 6) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*s%0*lld", static_cast<int>(prefix.size()), prefix.data(),
                digits, static_cast<long long>(number));
  return text;
}

// ---------------------------------------------------------------------------------------------
// What the site buys: ten families of raw material, 96 materials, from twelve suppliers. A
// family's materials are used the same way: per batch (kDirect) or per preparation of a medium
// (kIngredient), in the same quantity, and a lot of them serves a number of uses in a range.

enum class Use { kDirect, kIngredient };

struct Family {
  std::string_view prefix;
  std::string_view name;
  Category category;
  std::string_view unit;
  int count;     // Materials of the family.
  int per_use;   // In the unit, per batch or per preparation.
  int min_uses;  // Uses a lot serves, before it is used up.
  int max_uses;
  int shelf_months;  // From manufacture; a lot arrives 0-3 months into it.
  Criticality criticality;
  bool identity_test;
  std::array<int, 2> suppliers;  // The family's materials alternate between the two.
  Use use;
  std::string_view storage;
};

constexpr std::array<Family, 10> kFamilies{{
    {"KIT",
     "Closed-system tubing set",
     Category::kSingleUseKit,
     "kit",
     10,
     1,
     150,
     400,
     24,
     Criticality::kMajor,
     false,
     {0, 1},
     Use::kDirect,
     "Warehouse ambient, aisle 3"},
    {"BAG",
     "Cryopreservation bag",
     Category::kBag,
     "bag",
     12,
     2,
     200,
     600,
     36,
     Criticality::kMinor,
     false,
     {2, 3},
     Use::kDirect,
     "Warehouse ambient, aisle 4"},
    {"ACT",
     "T-cell activation reagent (CD3/CD28)",
     Category::kActivationReagent,
     "mL",
     6,
     10,
     100,
     300,
     12,
     Criticality::kCritical,
     true,
     {0, 4},
     Use::kDirect,
     "Cold room 2-8 C, shelf A"},
    {"VEC",
     "Lentiviral vector",
     Category::kViralVector,
     "vial",
     8,
     1,
     100,
     250,
     24,
     Criticality::kCritical,
     true,
     {5, 6},
     Use::kDirect,
     "Freezer -80 C, rack V"},
    {"CYT",
     "Recombinant human IL-2",
     Category::kCytokine,
     "vial",
     8,
     2,
     150,
     500,
     24,
     Criticality::kCritical,
     true,
     {7, 4},
     Use::kDirect,
     "Freezer -20 C, rack C"},
    {"CRY",
     "Cryopreservation medium, 10% DMSO",
     Category::kCryoprotectant,
     "mL",
     6,
     100,
     200,
     600,
     24,
     Criticality::kMajor,
     false,
     {8, 8},
     Use::kDirect,
     "Cold room 2-8 C, shelf D"},
    {"BUF",
     "Cell processing buffer, PBS/EDTA",
     Category::kBuffer,
     "L",
     10,
     2,
     200,
     500,
     24,
     Criticality::kMinor,
     false,
     {0, 9},
     Use::kDirect,
     "Warehouse ambient, aisle 1"},
    {"RGT",
     "Magnetic selection reagent",
     Category::kReagent,
     "vial",
     12,
     1,
     150,
     350,
     18,
     Criticality::kMajor,
     false,
     {0, 10},
     Use::kDirect,
     "Cold room 2-8 C, shelf B"},
    {"MED",
     "Serum-free T-cell medium",
     Category::kMedia,
     "bottle",
     12,
     10,
     8,
     25,
     12,
     Criticality::kMajor,
     false,
     {11, 1},
     Use::kIngredient,
     "Cold room 2-8 C, shelf M"},
    {"SUP",
     "Medium supplement (IL-7/IL-15)",
     Category::kCytokine,
     "mL",
     12,
     50,
     8,
     25,
     18,
     Criticality::kCritical,
     true,
     {7, 9},
     Use::kIngredient,
     "Freezer -20 C, rack S"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kSuppliers{{
    {"SUP-NORDCELL", "Nordcell Biotech GmbH"},
    {"SUP-BIOFLUIDICS", "Biofluidics Inc."},
    {"SUP-CRYOPAK", "Cryopak Medical Ltd"},
    {"SUP-POLYBAG", "Polybag Medical Devices SA"},
    {"SUP-ACTIVA", "Activa Bioreagents AG"},
    {"SUP-LENTIGEN", "Lentigen Vector Services"},
    {"SUP-VECTORWORKS", "VectorWorks CDMO BV"},
    {"SUP-CYTOKINETIX", "Cytokinetix Proteins Inc."},
    {"SUP-FROSTGUARD", "Frostguard Cryosolutions"},
    {"SUP-SALINA", "Salina Pharma Solutions"},
    {"SUP-MAGNASEP", "Magnasep Separations"},
    {"SUP-MEDIAFORM", "Mediaform Cell Culture"},
}};

// The site's products: autologous CAR-T and TCR-T therapies, by share of the batches.
struct ProductSpec {
  std::string_view code;
  std::string_view name;
  int per_hundred;
};
constexpr std::array<ProductSpec, 6> kProducts{{
    {"CD19A", "anti-CD19 CAR-T", 28},
    {"BCMA1", "anti-BCMA CAR-T", 22},
    {"CD22B", "anti-CD22 CAR-T", 16},
    {"CD1922", "bispecific CD19/CD22 CAR-T", 14},
    {"GD2X", "anti-GD2 CAR-T", 12},
    {"MAGEA4", "MAGE-A4 TCR-T", 8},
}};

// What a certificate of analysis reports for a family, and what the specification requires.
std::vector<materials::SpecTest> TestsFor(const Family& family) {
  using Kind = materials::Criterion::Kind;
  const auto range = [](std::string name, std::string method, std::optional<double> min,
                        std::optional<double> max, std::string unit) {
    materials::SpecTest test{std::move(name), std::move(method), {}};
    test.criterion.kind = Kind::kRange;
    test.criterion.min = min;
    test.criterion.max = max;
    test.criterion.unit = std::move(unit);
    return test;
  };
  const auto pass_fail = [](std::string name, std::string method) {
    materials::SpecTest test{std::move(name), std::move(method), {}};
    test.criterion.kind = Kind::kPassFail;
    return test;
  };
  std::vector<materials::SpecTest> tests;
  materials::SpecTest appearance{"Appearance", "Visual inspection against the reference", {}};
  appearance.criterion.kind = Kind::kText;
  appearance.criterion.expected = "Conforms";
  tests.push_back(std::move(appearance));
  if (family.category == Category::kSingleUseKit || family.category == Category::kBag) {
    tests.push_back(pass_fail("Sterility", "Irradiation certificate, ISO 11137"));
    tests.push_back(pass_fail("Integrity", "Pressure decay test"));
    return tests;
  }
  materials::SpecTest endotoxin =
      range("Endotoxin", "USP <85> kinetic chromogenic LAL", std::nullopt, 5, "EU/mL");
  endotoxin.criterion.max_exclusive = true;
  tests.push_back(std::move(endotoxin));
  tests.push_back(pass_fail("Sterility", "USP <71> membrane filtration"));
  switch (family.category) {
    case Category::kViralVector:
      tests.push_back(
          range("Infectious titer", "Transduction of HEK293T, qPCR", 1e8, std::nullopt, "TU/mL"));
      tests.push_back(pass_fail("Replication-competent lentivirus", "Cell-based amplification"));
      break;
    case Category::kCytokine:
      tests.push_back(range("Purity", "SDS-PAGE densitometry", 95, std::nullopt, "%"));
      tests.push_back(range("Specific activity", "CTLL-2 proliferation", 0.8e7, 1.2e7, "IU/mg"));
      break;
    case Category::kMedia:
      tests.push_back(range("pH", "Potentiometry", 7.0, 7.6, "pH"));
      tests.push_back(range("Osmolality", "Freezing-point depression", 260, 340, "mOsm/kg"));
      break;
    case Category::kActivationReagent:
      tests.push_back(range("Concentration", "UV absorbance at 280 nm", 0.9, 1.1, "mg/mL"));
      break;
    case Category::kCryoprotectant:
      tests.push_back(range("DMSO content", "Gas chromatography", 9, 11, "%"));
      break;
    default:
      break;
  }
  return tests;
}

// A conforming result for each test, as the supplier's certificate reports it.
std::vector<materials::TestResult> ResultsFor(const std::vector<materials::SpecTest>& tests,
                                              std::mt19937_64& random) {
  std::vector<materials::TestResult> results;
  for (const materials::SpecTest& test : tests) {
    materials::TestResult result;
    result.test = test.name;
    const materials::Criterion& criterion = test.criterion;
    switch (criterion.kind) {
      case materials::Criterion::Kind::kRange: {
        // Inside the range; above a lone minimum by a margin of its kind (a purity of 97 to 99%,
        // a titer of 1.5 to 3.5 times the minimum).
        const double low = criterion.min.value_or(0);
        const double high = criterion.max.value_or(criterion.unit == "%" ? 100 : low * 4);
        result.value =
            low + (high - low) * std::uniform_real_distribution<double>(0.2, 0.8)(random);
        result.unit = criterion.unit;
        break;
      }
      case materials::Criterion::Kind::kPassFail:
        result.passed = true;
        break;
      case materials::Criterion::Kind::kText:
        result.text = criterion.expected;
        break;
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::string IdentityMethodFor(Category category) {
  switch (category) {
    case Category::kViralVector:
      return "qPCR of the transgene";
    case Category::kCytokine:
      return "ELISA";
    default:
      return "SDS-PAGE";
  }
}

// ---------------------------------------------------------------------------------------------
// The plan: which lot every batch and every preparation consumes, drawn before anything is
// appended, so that each lot's receipt and release can be dated days before its first use while
// the clock only moves forward.

struct Purchased {
  materials::MaterialCommand command;
  const Family* family = nullptr;
  std::size_t supplier = 0;
};

struct RawLot {
  std::string id;
  std::size_t material = 0;  // Index into Plan::purchased.
  int capacity = 0;          // Uses it serves before it is used up.
  int uses = 0;
  int first_day = 0;
  int receipt_day = 0;
  int containers = 1;
  Timestamp expiry;
  LotState state;  // As the build has appended so far.
};

struct IntermediateMaterial {
  materials::MaterialCommand command;
  int per_use = 0;                       // mL per batch.
  std::vector<std::size_t> ingredients;  // Indexes into Plan::purchased.
};

// A prepared medium: made from one lot of each ingredient on the day of its first use.
struct IntermediateLot {
  std::string id;
  std::size_t material = 0;  // Index into Plan::intermediates.
  int day = 0;
  int capacity = 0;
  int uses = 0;
  std::vector<std::size_t> ingredients;  // Indexes into Plan::raw_lots.
  LotState state;
};

struct Product {
  std::vector<std::size_t> direct;         // Purchased materials every batch consumes.
  std::size_t optional = 0;                // One that half the batches consume.
  std::vector<std::size_t> intermediates;  // Indexes into Plan::intermediates.
};

struct Batch {
  std::size_t product = 0;
  int day = 0;
  int units = 1;  // Product units (lots) it makes.
  int bags = 1;   // Bags per unit.
  int apheresis_ml = 0;
  std::vector<std::size_t> raw_lots;           // Consumed directly.
  std::vector<std::size_t> intermediate_lots;  // Consumed directly.
};

struct Plan {
  std::vector<Purchased> purchased;
  std::vector<IntermediateMaterial> intermediates;
  materials::MaterialCommand apheresis;
  std::vector<materials::MaterialCommand> drug_products;  // Per product.
  std::vector<Product> products;
  std::vector<RawLot> raw_lots;
  std::vector<IntermediateLot> intermediate_lots;
  std::vector<Batch> batches;
  int first_day = 0;  // The suppliers' and materials' setup.
  int last_day = 0;   // The last product units.
};

std::string BatchId(std::size_t batch) {
  return Numbered("B-", static_cast<std::int64_t>(batch) + 1);
}
std::string CollectionId(std::size_t batch) {
  return Numbered("APH-", static_cast<std::int64_t>(batch) + 1);
}
std::string ProductUnitId(std::size_t batch, int unit) {
  return Numbered("DP-", static_cast<std::int64_t>(batch) + 1) + "-" + std::to_string(unit);
}

// The patient's code on the collection and on the product units made from it (T-02, T-03).
std::string PatientCode(std::size_t batch) {
  const std::string body = Numbered("P", static_cast<std::int64_t>(batch) + 1, 9);
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

void PlanMaterials(Plan& plan, std::mt19937_64& random) {
  for (const Family& family : kFamilies) {
    for (int i = 0; i < family.count; ++i) {
      Purchased purchased;
      materials::MaterialCommand& command = purchased.command;
      command.id = Numbered("MAT-" + std::string(family.prefix) + "-", i + 1, 2);
      command.name =
          std::string(family.name) + ", grade " + std::string(1, static_cast<char>('A' + i));
      command.category = family.category;
      command.unit = std::string(family.unit);
      command.storage_condition = std::string(family.storage);
      command.shelf_life = {family.shelf_months, materials::ShelfLife::Unit::kMonths};
      command.criticality = family.criticality;
      command.identity_test_required = family.identity_test;
      command.tests = TestsFor(family);
      purchased.family = &family;
      purchased.supplier =
          static_cast<std::size_t>(family.suppliers[static_cast<std::size_t>(i % 2)]);
      plan.purchased.push_back(std::move(purchased));
    }
  }
  const auto first_of = [&](std::string_view prefix) {
    for (std::size_t m = 0; m < plan.purchased.size(); ++m) {
      if (plan.purchased[m].family->prefix == prefix) return m;
    }
    ALIQUOT_CHECK(false);
    return std::size_t{0};
  };
  const auto any_of = [&](std::string_view prefix) {
    const std::size_t first = first_of(prefix);
    const int count = plan.purchased[first].family->count;
    return first +
           static_cast<std::size_t>(std::uniform_int_distribution<int>(0, count - 1)(random));
  };

  // Prepared media: a complete medium per product, and two wash buffers.
  for (std::size_t i = 0; i < 8; ++i) {
    IntermediateMaterial intermediate;
    materials::MaterialCommand& command = intermediate.command;
    const bool medium = i < kProducts.size();
    command.id =
        medium ? "MAT-INT-CM-" + std::string(kProducts[i].code)
               : Numbered("MAT-INT-WB-", static_cast<std::int64_t>(i - kProducts.size()) + 1, 2);
    command.name = medium ? "Complete medium for " + std::string(kProducts[i].name)
                          : "Prepared wash buffer with supplement";
    command.category = Category::kIntermediate;
    command.unit = "mL";
    command.storage_condition = "2-8 C, media preparation pass-through";
    command.shelf_life = {kIntermediateShelfDays, materials::ShelfLife::Unit::kDays};
    command.criticality = Criticality::kCritical;
    intermediate.per_use = medium ? 500 : 1000;
    intermediate.ingredients.push_back(any_of("MED"));
    const int supplements = std::uniform_int_distribution<int>(1, 3)(random);
    while (static_cast<int>(intermediate.ingredients.size()) < 1 + supplements) {
      const std::size_t supplement = any_of("SUP");
      if (std::find(intermediate.ingredients.begin(), intermediate.ingredients.end(), supplement) ==
          intermediate.ingredients.end()) {
        intermediate.ingredients.push_back(supplement);
      }
    }
    plan.intermediates.push_back(std::move(intermediate));
  }

  plan.apheresis.id = "MAT-APHERESIS";
  plan.apheresis.name = "Leukapheresis product, autologous";
  plan.apheresis.category = Category::kStartingMaterial;
  plan.apheresis.unit = "mL";
  plan.apheresis.storage_condition = "2-8 C, cell receipt";
  plan.apheresis.shelf_life = {72, materials::ShelfLife::Unit::kHours};
  plan.apheresis.criticality = Criticality::kCritical;

  for (std::size_t p = 0; p < kProducts.size(); ++p) {
    materials::MaterialCommand product;
    product.id = "MAT-DP-" + std::string(kProducts[p].code);
    product.name = std::string(kProducts[p].name) + ", infusion bag";
    product.category = Category::kDrugProduct;
    product.unit = "bag";
    product.storage_condition = "Vapour-phase liquid nitrogen, below -150 C";
    product.shelf_life = {12, materials::ShelfLife::Unit::kMonths};
    product.criticality = Criticality::kCritical;
    plan.drug_products.push_back(std::move(product));

    // The recipe: one kit, bag, activation reagent, the product's own vector, IL-2,
    // cryopreservation medium and buffer always; a selection reagent in half the batches.
    Product recipe;
    for (std::string_view prefix : {"KIT", "BAG", "ACT", "CYT", "CRY", "BUF"}) {
      recipe.direct.push_back(any_of(prefix));
    }
    recipe.direct.push_back(first_of("VEC") + p);
    recipe.optional = any_of("RGT");
    recipe.intermediates.push_back(p);
    if (p % 2 == 0) recipe.intermediates.push_back(kProducts.size() + (p / 2) % 2);
    plan.products.push_back(std::move(recipe));
  }
}

void PlanLots(Plan& plan, std::int64_t batch_count, std::mt19937_64& random) {
  const auto uniform = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  std::vector<std::optional<std::size_t>> current_raw(plan.purchased.size());
  std::vector<std::optional<std::size_t>> current_intermediate(plan.intermediates.size());

  // The lot of material `m` that a use at `at` draws from: the current one, or a new one when it is
  // used up or would expire within a day.
  const auto raw_use = [&](std::size_t m, int day, Timestamp at) {
    std::optional<std::size_t>& current = current_raw[m];
    if (current) {
      RawLot& lot = plan.raw_lots[*current];
      if (lot.uses < lot.capacity && at.Micros() + kMicrosPerDay < lot.expiry.Micros()) {
        ++lot.uses;
        return *current;
      }
    }
    const Family& family = *plan.purchased[m].family;
    RawLot lot;
    lot.id = Numbered("RM-", static_cast<std::int64_t>(plan.raw_lots.size()) + 1);
    lot.material = m;
    lot.capacity = uniform(family.min_uses, family.max_uses);
    lot.uses = 1;
    lot.first_day = day;
    lot.receipt_day = day - uniform(kReleaseLagDays + 1, 10);
    lot.containers = uniform(1, 4);
    lot.expiry = At(lot.receipt_day, 0).PlusCalendarMonths(family.shelf_months - uniform(0, 3));
    current = plan.raw_lots.size();
    plan.raw_lots.push_back(std::move(lot));
    return *current;
  };
  const auto intermediate_use = [&](std::size_t i, int day) {
    std::optional<std::size_t>& current = current_intermediate[i];
    if (current) {
      IntermediateLot& lot = plan.intermediate_lots[*current];
      if (lot.uses < lot.capacity && day < lot.day + kIntermediateShelfDays - 1) {
        ++lot.uses;
        return *current;
      }
    }
    IntermediateLot lot;
    lot.id = Numbered("IM-", static_cast<std::int64_t>(plan.intermediate_lots.size()) + 1);
    lot.material = i;
    lot.day = day;
    lot.capacity = uniform(10, 50);
    lot.uses = 1;
    for (std::size_t m : plan.intermediates[i].ingredients) {
      lot.ingredients.push_back(raw_use(m, day, At(day, 11)));
    }
    current = plan.intermediate_lots.size();
    plan.intermediate_lots.push_back(std::move(lot));
    return *current;
  };

  int total_share = 0;
  for (const ProductSpec& product : kProducts) total_share += product.per_hundred;
  for (std::int64_t b = 0; b < batch_count; ++b) {
    Batch batch;
    batch.day = BatchDay(b, batch_count);
    for (int draw = uniform(0, total_share - 1); draw >= kProducts[batch.product].per_hundred;
         ++batch.product) {
      draw -= kProducts[batch.product].per_hundred;
    }
    batch.units = uniform(0, 9) < 3 ? 2 : 1;
    batch.bags = uniform(1, 4);
    batch.apheresis_ml = uniform(150, 300);
    const Product& recipe = plan.products[batch.product];
    for (std::size_t i : recipe.intermediates) {
      batch.intermediate_lots.push_back(intermediate_use(i, batch.day));
    }
    for (std::size_t m : recipe.direct)
      batch.raw_lots.push_back(raw_use(m, batch.day, At(batch.day, 13)));
    if (uniform(0, 1) == 1)
      batch.raw_lots.push_back(raw_use(recipe.optional, batch.day, At(batch.day, 13)));
    plan.batches.push_back(std::move(batch));
  }
  int first_receipt = -1;
  for (const RawLot& lot : plan.raw_lots) first_receipt = std::min(first_receipt, lot.receipt_day);
  plan.first_day = first_receipt - 3;
  plan.last_day = plan.batches.back().day + kProductDays;
}

// ---------------------------------------------------------------------------------------------
// The build: the plan's events, made by the domain's own functions (ReceiveLot, EnterCertificate,
// RecordIdentityTest, DecideDisposition, ReceiveCollection, DetermineEligibility, ProduceLot,
// CheckUse and Consume, CreateSupplier, RecordAudit, ProposeQualification, DecideQualification,
// DefineMaterial) from states folded by their own Apply*Event, appended in large requests. Each
// request is sealed at the time the clock says when it is sent, and the clock moves only between
// requests, so an event's sealed time is the instant it was decided at. The ledger leaves out the
// signature events that QA's releases and qualifications would carry with them through the
// services.

// `event` as the store will seal it at `at`, for folding into the builder's own states.
ledger::Event Made(const ledger::NewEvent& event, Timestamp at) {
  ledger::Event made;
  made.seq = 1;
  made.stream = event.stream;
  made.event_type = event.event_type;
  made.payload = CanonicalJson(event.payload);
  made.actor = event.actor;
  made.terminal = event.terminal;
  made.time = at;
  made.reason = event.reason;
  return made;
}

// A LedgerBuilder that also folds an event into the builder's own copy of the state it changes.
class Builder : public LedgerBuilder {
 public:
  using LedgerBuilder::Add;
  using LedgerBuilder::LedgerBuilder;

  // Folds `event` into `state` as the store's projector will, then queues it.
  template <typename State>
  void Add(State& state, Status (*apply)(State&, const ledger::Event&), ledger::NewEvent event) {
    MustSucceed(apply(state, Made(event, Now())), "folding an event");
    Add(std::move(event));
  }
};

const ledger::Actor kReceiver{"wh-receiver-1", "Wanda Hale"};
const ledger::Actor kAnalyst{"qc-analyst-2", "Quentin Chu"};
const ledger::Actor kQaProposer{"qa-approver-1", "Alma Quist"};
const ledger::Actor kQaApprover{"qa-approver-2", "Bo Quaade"};
const ledger::Actor kMediaPrep{"op-media-1", "Mina Prest"};
constexpr std::string_view kWarehouseTerminal = "SITE-WH-WS1";
constexpr std::string_view kLabTerminal = "QC-LAB-WS2";
constexpr std::string_view kQaTerminal = "QA-OFFICE-WS1";
constexpr std::string_view kMediaTerminal = "MEDIA-PREP-TAB1";

ledger::Actor OperatorOf(std::size_t batch) {
  const auto n = static_cast<std::int64_t>(batch % 24) + 1;
  return {Numbered("op-", n, 2), "Operator " + std::to_string(n)};
}
std::string SuiteTerminalOf(std::size_t batch) {
  return Numbered("SUITE-", static_cast<std::int64_t>(batch % 8) + 1, 1) + "-TAB1";
}

// Consumes `units` of `lot` into `into` after the point-of-use check, as MaterialService::Consume
// decides it.
void ConsumeInto(Builder& builder, LotState& lot, const SupplierState* supplier, std::int64_t units,
                 const materials::Destination& into, const ledger::Actor& actor,
                 std::string_view terminal) {
  const materials::UseCheck check = Must(
      materials::CheckUse(
          lot, supplier,
          {lot.material, std::nullopt,
           materials::Amount::FromMillionths(units * materials::Amount::kScale), builder.Now()}),
      "checking a use");
  ALIQUOT_CHECK_MSG(check.Allowed(), check.message.c_str());
  builder.Add(lot, materials::ApplyLotEvent, materials::Consume(lot, check, into, actor, terminal));
}

struct BuildReport {
  std::int64_t events = 0;
  std::int64_t requests = 0;
  double seconds = 0;
  std::string text;  // What the run printed about it; kept beside the cached file.
};

BuildReport Build(const std::string& path, std::int64_t batch_count) {
  const Steady::time_point began = Steady::now();
  std::mt19937_64 random(kSeed);
  Plan plan;
  PlanMaterials(plan, random);
  PlanLots(plan, batch_count, random);

  testing::FakeClock clock(At(plan.first_day, 7));
  const std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store = Must(
      storage::SqliteStore::Open({path, storage::OpenMode::kReadWriteCreate}, clock, *projector),
      "creating the store");
  const Ed25519SigningKey checkpoint_key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{9});
  app::SystemService system(*store);
  (void)Must(
      system.Initialise({"Leiden Cell Therapy Plant 1", checkpoint_key.PublicKey().KeyId().Hex(),
                         "0.1.0-bench", std::string(kQaTerminal)}),
      "initialising");
  // Every slot of a day (receipts, releases, preparations, batches) is one request or more.
  Builder builder(*store, clock);

  // Days relative to plan.first_day, bucketed.
  const auto span = static_cast<std::size_t>(plan.last_day - plan.first_day) + 2;
  const auto slot = [&](int day) { return static_cast<std::size_t>(day - plan.first_day); };
  std::vector<std::vector<std::size_t>> receipts(span);
  std::vector<std::vector<std::size_t>> releases(span);
  std::vector<std::vector<std::size_t>> preparations(span);
  std::vector<std::vector<std::size_t>> batches_on(span);
  for (std::size_t r = 0; r < plan.raw_lots.size(); ++r) {
    receipts[slot(plan.raw_lots[r].receipt_day)].push_back(r);
    releases[slot(plan.raw_lots[r].receipt_day + kReleaseLagDays)].push_back(r);
  }
  for (std::size_t i = 0; i < plan.intermediate_lots.size(); ++i) {
    preparations[slot(plan.intermediate_lots[i].day)].push_back(i);
  }
  for (std::size_t b = 0; b < plan.batches.size(); ++b)
    batches_on[slot(plan.batches[b].day)].push_back(b);

  // Materials and suppliers, in force before the first receipt.
  std::vector<MaterialState> purchased(plan.purchased.size());
  std::vector<MaterialState> intermediates(plan.intermediates.size());
  std::vector<MaterialState> drug_products(plan.drug_products.size());
  MaterialState apheresis;
  std::vector<SupplierState> suppliers(kSuppliers.size());
  std::vector<std::string> purchased_ids;
  builder.At(At(plan.first_day, 8));
  const auto define = [&](MaterialState& state, const materials::MaterialCommand& command) {
    builder.Add(state, materials::ApplyMaterialEvent,
                Must(materials::DefineMaterial(state, command, "", kQaProposer, kQaTerminal),
                     "defining a material"));
  };
  for (std::size_t m = 0; m < plan.purchased.size(); ++m) {
    define(purchased[m], plan.purchased[m].command);
    purchased_ids.push_back(plan.purchased[m].command.id);
  }
  for (std::size_t i = 0; i < plan.intermediates.size(); ++i) {
    define(intermediates[i], plan.intermediates[i].command);
  }
  for (std::size_t p = 0; p < plan.drug_products.size(); ++p)
    define(drug_products[p], plan.drug_products[p]);
  define(apheresis, plan.apheresis);

  // An audit and a proposal at 08:00, QA's approval at 09:00: on the setup day and every two years.
  const auto qualify = [&](int day, bool create) {
    builder.At(At(day, 8));
    for (std::size_t s = 0; s < kSuppliers.size(); ++s) {
      SupplierState& state = suppliers[s];
      if (create) {
        builder.Add(state, materials::ApplySupplierEvent,
                    Must(materials::CreateSupplier(
                             state,
                             {std::string(kSuppliers[s].first), std::string(kSuppliers[s].second),
                              "Industriestrasse " + std::to_string(10 + s) + ", 4000 Basel"},
                             kQaProposer, kQaTerminal),
                         "creating a supplier"));
      }
      materials::AuditCommand audit;
      audit.performed_on = At(day - 14, 9);
      audit.kind = create ? "on_site" : "remote";
      audit.outcome = materials::AuditOutcome::kSatisfactory;
      audit.auditor = "Ines Auditor";
      audit.summary =
          "Quality system, change control and batch release reviewed; no critical or "
          "major findings.";
      builder.Add(
          state, materials::ApplySupplierEvent,
          Must(materials::RecordAudit(state, audit, builder.Now(), kQaProposer, kQaTerminal),
               "recording an audit"));
      materials::QualificationCommand command;
      command.status = materials::SupplierStatus::kApproved;
      for (const Purchased& material : plan.purchased) {
        if (material.supplier == s) command.materials.push_back(material.command.id);
      }
      command.qualified_until = builder.Now().PlusCalendarMonths(kQualificationMonths);
      command.requalify_by = builder.Now().PlusCalendarMonths(24);
      command.reason = create ? "Initial qualification after a satisfactory on-site audit"
                              : "Two-yearly requalification after a satisfactory audit";
      builder.Add(state, materials::ApplySupplierEvent,
                  Must(materials::ProposeQualification(state, command, purchased_ids, builder.Now(),
                                                       kQaProposer, kQaTerminal),
                       "proposing a qualification"));
    }
    builder.At(At(day, 9));
    for (SupplierState& state : suppliers) {
      builder.Add(
          state, materials::ApplySupplierEvent,
          Must(materials::DecideQualification(state, state.proposed->number, true, kQaApprover.id,
                                              builder.Now(), kQaApprover, kQaTerminal),
               "approving a qualification"));
    }
  };
  qualify(plan.first_day, true);

  std::unordered_map<std::size_t, LotState> collections;  // Received, not yet consumed.
  const auto receive_collections = [&](int day) {
    if (day + 1 > plan.last_day) return;
    for (std::size_t b : batches_on[slot(day + 1)]) {
      const Batch& batch = plan.batches[b];
      materials::CollectionReceipt receipt;
      receipt.id = CollectionId(b);
      receipt.material = plan.apheresis.id;
      receipt.donor_code = PatientCode(b);
      receipt.collection_facility = "Apheresis centre " + std::to_string(b % 40 + 1);
      receipt.collected_at = Timestamp::FromMicros(
          builder.Now().Micros() - static_cast<std::int64_t>(5 + b % 18) * 3600 * kMicrosPerSecond);
      receipt.quantity = batch.apheresis_ml;
      receipt.unit = "mL";
      receipt.shipping_min_c = 3.5;
      receipt.shipping_max_c = 6.5;
      receipt.receiving_code = Numbered("RC-APH-", static_cast<std::int64_t>(b) + 1);
      receipt.storage_location = "Cell receipt, 2-8 C, shelf " + std::to_string(b % 6 + 1);
      LotState& state = collections[b];
      builder.Add(state, materials::ApplyLotEvent,
                  Must(materials::ReceiveCollection(state, receipt, apheresis, builder.Now(),
                                                    kReceiver, kWarehouseTerminal),
                       "receiving a collection"));
      builder.Add(state, materials::ApplyLotEvent,
                  Must(materials::DetermineEligibility(
                           state, true,
                           "Donor screening and infectious disease testing complete (21 CFR "
                           "1271.45): eligible",
                           builder.Now(), kQaApprover, kQaTerminal),
                       "determining eligibility"));
    }
  };

  std::int64_t progress = 0;
  // The setup day has nothing else: the first receipts come three days later.
  for (int day = plan.first_day + 1; day <= plan.last_day; ++day) {
    const std::size_t today = slot(day);
    // 06:00: the product units of the batches started kProductDays ago.
    if (day - kProductDays >= plan.first_day) {
      builder.At(At(day, 6));
      for (std::size_t b : batches_on[slot(day - kProductDays)]) {
        const Batch& batch = plan.batches[b];
        for (int unit = 1; unit <= batch.units; ++unit) {
          materials::ProducedLot produced;
          produced.id = ProductUnitId(b, unit);
          produced.material = plan.drug_products[batch.product].id;
          produced.batch = BatchId(b);
          produced.patient_code = PatientCode(b);
          produced.quantity = batch.bags;
          produced.unit = "bag";
          produced.containers.assign(static_cast<std::size_t>(batch.bags), 1.0);
          produced.expiry = builder.Now().PlusCalendarMonths(12);
          produced.storage_location = "LN2 vapour-phase freezer " + std::to_string(b % 12 + 1);
          builder.Add(Must(materials::ProduceLot(LotState{}, produced, drug_products[batch.product],
                                                 builder.Now(), OperatorOf(b), SuiteTerminalOf(b)),
                           "making a product unit"));
        }
      }
    }
    // 07:00: receipts with their certificates and identity tests; tomorrow's collections.
    builder.At(At(day, 7));
    for (std::size_t r : receipts[today]) {
      RawLot& lot = plan.raw_lots[r];
      const Purchased& material = plan.purchased[lot.material];
      const Family& family = *material.family;
      const int quantity = family.per_use * (lot.capacity + std::max(1, lot.capacity / 20));
      materials::LotReceipt receipt;
      receipt.id = lot.id;
      receipt.material = material.command.id;
      receipt.supplier = std::string(kSuppliers[material.supplier].first);
      receipt.supplier_lot = Numbered(family.prefix, 240'000 + static_cast<std::int64_t>(r), 7);
      receipt.receiving_code = Numbered("RC-", static_cast<std::int64_t>(r) + 1);
      receipt.storage_location = std::string(family.storage);
      receipt.quantity = quantity;
      receipt.unit = std::string(family.unit);
      for (int c = 0; c < lot.containers; ++c) {
        receipt.containers.push_back(
            c + 1 < lot.containers ? quantity / lot.containers
                                   : quantity - (lot.containers - 1) * (quantity / lot.containers));
      }
      receipt.expiry = lot.expiry;
      std::vector<ledger::NewEvent> received =
          Must(materials::ReceiveLot(lot.state, receipt, purchased[lot.material],
                                     suppliers[material.supplier], std::nullopt, builder.Now(),
                                     kReceiver, kWarehouseTerminal),
               "receiving a lot");
      builder.Add(lot.state, materials::ApplyLotEvent, std::move(received[0]));
      builder.Add(std::move(received[1]));
      materials::CertificateInput certificate;
      certificate.certificate_number = "COA-" + receipt.supplier_lot;
      certificate.file_sha256 = Sha256::Of(certificate.certificate_number + ".pdf").Hex();
      certificate.results = ResultsFor(material.command.tests, random);
      builder.Add(lot.state, materials::ApplyLotEvent,
                  Must(materials::EnterCertificate(lot.state, certificate, purchased[lot.material],
                                                   "", builder.Now(), kAnalyst, kLabTerminal),
                       "entering a certificate"));
      if (family.identity_test) {
        builder.Add(
            lot.state, materials::ApplyLotEvent,
            Must(materials::RecordIdentityTest(lot.state, true, IdentityMethodFor(family.category),
                                               "", builder.Now(), kAnalyst, kLabTerminal),
                 "recording an identity test"));
      }
    }
    receive_collections(day);
    // 08:00 and 09:00, every two years: the suppliers' requalification.
    if (day > plan.first_day && (day - plan.first_day) % kRequalifyDays == kRequalifyDays - 20) {
      qualify(day, false);
    }
    // 10:00: QA releases the lots received two days ago, and tomorrow's collections.
    builder.At(At(day, 10));
    for (std::size_t r : releases[today]) {
      RawLot& lot = plan.raw_lots[r];
      const Purchased& material = plan.purchased[lot.material];
      builder.Add(lot.state, materials::ApplyLotEvent,
                  Must(materials::DecideDisposition(
                           lot.state, purchased[lot.material], &suppliers[material.supplier], true,
                           std::nullopt, builder.Now(), kQaApprover, kQaTerminal),
                       "releasing a lot"));
    }
    if (day + 1 <= plan.last_day) {
      for (std::size_t b : batches_on[slot(day + 1)]) {
        LotState& state = collections.at(b);
        builder.Add(state, materials::ApplyLotEvent,
                    Must(materials::DecideDisposition(state, apheresis, nullptr, true, std::nullopt,
                                                      builder.Now(), kQaApprover, kQaTerminal),
                         "releasing a collection"));
      }
    }
    // 11:00: media preparation, each from one lot of each ingredient; released at 12:00.
    builder.At(At(day, 11));
    for (std::size_t i : preparations[today]) {
      IntermediateLot& lot = plan.intermediate_lots[i];
      const IntermediateMaterial& material = plan.intermediates[lot.material];
      materials::ProducedLot produced;
      produced.id = lot.id;
      produced.material = material.command.id;
      const int quantity = material.per_use * (lot.capacity + 1);
      produced.quantity = quantity;
      produced.unit = "mL";
      for (int left = quantity; left > 0; left -= 5000) {
        produced.containers.push_back(std::min(left, 5000));
      }
      produced.expiry =
          Timestamp::FromMicros(builder.Now().Micros() + kIntermediateShelfDays * kMicrosPerDay);
      produced.storage_location = "Cold room 2-8 C, suite pass-through";
      builder.Add(lot.state, materials::ApplyLotEvent,
                  Must(materials::ProduceLot(lot.state, produced, intermediates[lot.material],
                                             builder.Now(), kMediaPrep, kMediaTerminal),
                       "preparing a medium"));
      const materials::Destination into{materials::Destination::Kind::kLot, lot.id};
      for (std::size_t r : lot.ingredients) {
        RawLot& ingredient = plan.raw_lots[r];
        const Purchased& source = plan.purchased[ingredient.material];
        ConsumeInto(builder, ingredient.state, &suppliers[source.supplier], source.family->per_use,
                    into, kMediaPrep, kMediaTerminal);
      }
    }
    builder.At(At(day, 12));
    for (std::size_t i : preparations[today]) {
      IntermediateLot& lot = plan.intermediate_lots[i];
      builder.Add(
          lot.state, materials::ApplyLotEvent,
          Must(materials::DecideDisposition(lot.state, intermediates[lot.material], nullptr, true,
                                            std::nullopt, builder.Now(), kQaApprover, kQaTerminal),
               "releasing a medium"));
    }
    // 13:00: the day's batches start, each consuming its collection, media and raw lots.
    builder.At(At(day, 13));
    for (std::size_t b : batches_on[today]) {
      const Batch& batch = plan.batches[b];
      const materials::Destination into{materials::Destination::Kind::kBatch, BatchId(b)};
      const ledger::Actor actor = OperatorOf(b);
      const std::string terminal = SuiteTerminalOf(b);
      LotState& collection = collections.at(b);
      ConsumeInto(builder, collection, nullptr, batch.apheresis_ml, into, actor, terminal);
      collections.erase(b);
      for (std::size_t i : batch.intermediate_lots) {
        IntermediateLot& lot = plan.intermediate_lots[i];
        ConsumeInto(builder, lot.state, nullptr, plan.intermediates[lot.material].per_use, into,
                    actor, terminal);
      }
      for (std::size_t r : batch.raw_lots) {
        RawLot& lot = plan.raw_lots[r];
        const Purchased& source = plan.purchased[lot.material];
        ConsumeInto(builder, lot.state, &suppliers[source.supplier], source.family->per_use, into,
                    actor, terminal);
      }
    }
    if (!batches_on[today].empty() &&
        batches_on[today].back() * 10 / plan.batches.size() != static_cast<std::size_t>(progress)) {
      progress = static_cast<std::int64_t>(batches_on[today].back() * 10 / plan.batches.size());
      std::fprintf(stderr, "  building: %lld0%% of the batches, %s events, %.0f s\n",
                   static_cast<long long>(progress),
                   ThousandsSeparated(static_cast<double>(builder.Events())).c_str(),
                   Seconds(Steady::now() - began));
    }
  }
  builder.Flush();
  store.reset();  // The close folds the WAL into the file.

  BuildReport report;
  report.events = builder.Events() + 1;  // With the installation.
  report.requests = builder.Requests() + 1;
  report.seconds = Seconds(Steady::now() - began);
  char text[256];
  std::snprintf(text, sizeof text,
                "built in %.1f s (%s events/s, %s requests: %s events, days %d to %d)",
                report.seconds,
                ThousandsSeparated(static_cast<double>(report.events) / report.seconds).c_str(),
                ThousandsSeparated(static_cast<double>(report.requests)).c_str(),
                ThousandsSeparated(static_cast<double>(report.events)).c_str(), plan.first_day,
                plan.last_day);
  report.text = text;
  return report;
}

// ---------------------------------------------------------------------------------------------
// The limits: plain sqlite3 on a second, read-only connection to the same file. A trace is one
// recursive query over the same edge table the walk reads, with the same at <= as_of filter; UNION
// (not UNION ALL) keeps each node once, as the walk does. With the lots, each lot reached is joined
// to its row in `lots` for the columns GenealogyIn reports (LotSummary). The check's limit is the
// two rows CheckUseIn reads, by the store's own select_by_key. Each call runs in a read transaction
// (BEGIN ... COMMIT), as Store::Read gives the store's calls one snapshot, and looks at every
// column of every row, copying nothing.

enum class Columns { kNodes, kWithLots };

// Where a RawSql reads: the store's file as it is; the same with the file memory-mapped, so that
// a page the operating system caches is read without a system call and a copy (a diagnostic); or
// a copy of the two edge tables made WITHOUT ROWID (CopyWithoutRowid), with the store's file
// attached for the rest (a diagnostic).
enum class Layout { kStore, kMapped, kClustered };

class RawSql {
 public:
  // `path` is the store's file, or with kClustered the copy; `store_path` is the store's file.
  RawSql(const std::string& path, const std::string& store_path, const app::Projector& projector,
         Layout layout = Layout::kStore)
      : connection_(path, SQLITE_OPEN_URI, Configuration(store_path, layout)) {
    const app::TableSpec& lots = TableNamed(projector, "lots");
    std::string summary;
    for (const char* column :
         {"lot_id", "material", "kind", "status", "expiry", "supplier", "supplier_lot",
          "certificate", "donor_code", "patient_code", "made_by_batch"}) {
      ALIQUOT_CHECK_MSG(
          std::any_of(lots.columns.begin(), lots.columns.end(),
                      [&](const app::ColumnSpec& spec) { return spec.name == column; }),
          "the lots table lacks a column GenealogyIn reports");
      summary += std::string(summary.empty() ? "" : ", ") + "l." + column;
    }
    for (const Direction direction : {Direction::kBackward, Direction::kForward}) {
      const std::string walk = WalkSql(direction);
      const auto d = static_cast<std::size_t>(direction);
      walk_[d] = connection_.Prepare(walk + "SELECT node FROM walk");
      std::string with_lots = walk;
      with_lots += "SELECT walk.node, " + summary + " FROM walk LEFT JOIN " + lots.name;
      with_lots += " AS l ON substr(walk.node, 1, 4) = 'lot:' AND l.lot_id = substr(walk.node, 5)";
      walk_with_lots_[d] = connection_.Prepare(with_lots);
    }
    lot_ =
        connection_.Prepare(storage::BuildTableSql(lots, storage::Dialect::kSqlite).select_by_key);
    supplier_ = connection_.Prepare(
        storage::BuildTableSql(TableNamed(projector, "suppliers"), storage::Dialect::kSqlite)
            .select_by_key);
  }
  ~RawSql() {
    for (sqlite3_stmt* statement :
         {walk_[0], walk_[1], walk_with_lots_[0], walk_with_lots_[1], lot_, supplier_}) {
      sqlite3_finalize(statement);
    }
  }
  RawSql(const RawSql&) = delete;
  RawSql& operator=(const RawSql&) = delete;

  // What a trace from `root` reached, the root included: the number of rows.
  std::int64_t Walk(Direction direction, const std::string& root, Timestamp as_of,
                    Columns columns) {
    const auto d = static_cast<std::size_t>(direction);
    sqlite3_stmt* statement = columns == Columns::kNodes ? walk_[d] : walk_with_lots_[d];
    connection_.Begin();
    RawConnection::Bind(statement, 1, root);
    ALIQUOT_CHECK(sqlite3_bind_int64(statement, 2, as_of.Micros()) == SQLITE_OK);
    const std::int64_t rows = connection_.Rows(statement);
    connection_.Commit();
    return rows;
  }

  // The lot's row and its supplier's, in one read transaction: the number of rows.
  std::int64_t ReadUseRows(const std::string& lot, const std::string& supplier) {
    connection_.Begin();
    RawConnection::Bind(lot_, 1, lot);
    std::int64_t rows = connection_.Rows(lot_);
    RawConnection::Bind(supplier_, 1, supplier);
    rows += connection_.Rows(supplier_);
    connection_.Commit();
    return rows;
  }

  // Every row of `sql`, each column as text ("" for NULL): for choosing roots, not measured.
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    sqlite3_stmt* statement = connection_.Prepare(sql);
    std::vector<std::vector<std::string>> rows;
    int code = 0;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int column = 0; column < sqlite3_column_count(statement); ++column) {
        const unsigned char* text = sqlite3_column_text(statement, column);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
    }
    ALIQUOT_CHECK_MSG(code == SQLITE_DONE, sqlite3_errmsg(connection_.Handle()));
    sqlite3_finalize(statement);
    return rows;
  }

  double Scalar(const std::string& sql) {
    const std::vector<std::vector<std::string>> rows = Query(sql);
    ALIQUOT_CHECK(rows.size() == 1 && !rows[0].empty());
    return std::stod(rows[0][0].empty() ? "0" : rows[0][0]);
  }

  // What the reads looked at, so that the compiler cannot leave them out.
  std::uint64_t Checksum() const { return connection_.Checksum(); }

 private:
  static std::string Configuration(const std::string& store_path, Layout layout) {
    std::string configure = "PRAGMA busy_timeout = 10000; ";
    if (layout == Layout::kMapped) configure += "PRAGMA mmap_size = 4294967296; ";
    // Unqualified names resolve to the main file first, then to the attached one: the edge tables
    // to the copy, every other table to the store's file.
    if (layout == Layout::kClustered) {
      configure += "ATTACH DATABASE 'file:" + store_path + "?mode=ro' AS store; ";
    }
    return configure;
  }

  static std::string WalkSql(Direction direction) {
    const bool forward = direction == Direction::kForward;
    const app::TableSpec& edges =
        forward ? app::GenealogyForwardTable() : app::GenealogyBackwardTable();
    const std::string from = forward ? "parent" : "child";
    const std::string to = forward ? "child" : "parent";
    return "WITH RECURSIVE walk(node) AS (SELECT ?1 UNION SELECT e." + to + " FROM walk JOIN " +
           edges.name + " AS e ON e." + from + " = walk.node WHERE e.at <= ?2) ";
  }

  RawConnection connection_;
  std::array<sqlite3_stmt*, 2> walk_{};  // By Direction.
  std::array<sqlite3_stmt*, 2> walk_with_lots_{};
  sqlite3_stmt* lot_ = nullptr;
  sqlite3_stmt* supplier_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// The dataset as the benchmarks use it: built once (or found in the data folder), then opened as
// a server restarting on it would, with the roots and the lots to check read from its tables.

// A released lot from a qualified supplier, with balance left: what CheckUseIn is asked about.
struct UseCase {
  std::string lot;
  std::string material;
  std::string unit;
  std::string supplier;
};

struct Dataset {
  std::string path;
  testing::FakeClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<RawSql> raw;
  std::unique_ptr<RawSql> raw_mapped;
  std::unique_ptr<RawSql> raw_clustered;
  Timestamp now;
  std::vector<std::string> batches;        // "batch:B-000001"
  std::vector<std::string> raw_lots;       // "lot:RM-000001": received from suppliers.
  std::vector<std::string> intermediates;  // "lot:IM-000001": prepared media.
  std::vector<UseCase> uses;
  std::string built;  // How and when it was built.
};

std::unique_ptr<Dataset> the_dataset;

std::string ScaleTag() {
  char text[32];
  std::snprintf(text, sizeof text, "%g", scale);
  return text;
}

void PrintDataset(const Dataset& data);

Dataset& TheDataset() {
  if (the_dataset) return *the_dataset;
  auto data = std::make_unique<Dataset>();
  const std::int64_t batch_count = Scaled(kBatches);
  data->now = NowFor(batch_count);
  std::filesystem::create_directories(data_dir);
  data->path =
      (std::filesystem::path(data_dir) /
       ("genealogy_bench_v" + std::to_string(kDatasetVersion) + "_scale" + ScaleTag() + ".sqlite"))
          .string();
  const std::string note_path = data->path + ".built";
  if (rebuild || !std::filesystem::exists(data->path)) {
    // Built under another name and renamed once complete, so that an interrupted build is never
    // taken for a dataset.
    const std::string building = data->path + ".building";
    for (const std::string& name :
         {building, building + "-wal", building + "-shm", data->path, data->path + "-wal",
          data->path + "-shm", note_path, data->path + ".clustered"}) {
      std::filesystem::remove(name);
    }
    std::printf("Building the dataset into %s (once; later runs reuse it) ...\n",
                data->path.c_str());
    std::fflush(stdout);
    const BuildReport report = Build(building, batch_count);
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(building + suffix);
    std::filesystem::rename(building, data->path);
    std::ofstream(note_path) << report.text;
    data->built = report.text + ", in this run";
  } else {
    std::ifstream note(note_path);
    std::stringstream text;
    text << note.rdbuf();
    data->built = "found in " + data_dir + "; " +
                  (text.str().empty() ? std::string("built earlier") : text.str());
  }

  data->clock.Set(data->now);
  data->store = Must(storage::SqliteStore::Open({data->path, storage::OpenMode::kReadWrite},
                                                data->clock, *data->projector),
                     "opening the store");
  const app::LedgerHead head = Must(data->store->Head(), "reading the head");
  ALIQUOT_CHECK_MSG(head.last_time <= data->now, "the dataset was built for another --scale");
  const std::string clustered = data->path + ".clustered";
  if (!std::filesystem::exists(clustered)) {
    // In the copy a node's edges, with their `at`, are one range read of the primary key's B-tree.
    const Steady::time_point began = Steady::now();
    CopyWithoutRowid(data->path, clustered,
                     {&app::GenealogyForwardTable(), &app::GenealogyBackwardTable()});
    std::printf("Copied the edge tables WITHOUT ROWID (a diagnostic) in %.1f s.\n",
                Seconds(Steady::now() - began));
  }
  data->raw = std::make_unique<RawSql>(data->path, data->path, *data->projector);
  data->raw_mapped =
      std::make_unique<RawSql>(data->path, data->path, *data->projector, Layout::kMapped);
  data->raw_clustered =
      std::make_unique<RawSql>(clustered, data->path, *data->projector, Layout::kClustered);
  RawSql& raw = *data->raw;
  for (const auto& row : raw.Query("SELECT DISTINCT child FROM genealogy_backward WHERE child >= "
                                   "'batch:' AND child < 'batch;'")) {
    data->batches.push_back(row[0]);
  }
  for (const auto& row : raw.Query("SELECT 'lot:' || lot_id FROM lots WHERE kind = 'received'")) {
    data->raw_lots.push_back(row[0]);
  }
  for (const auto& row : raw.Query("SELECT 'lot:' || lot_id FROM lots WHERE kind = 'produced' AND "
                                   "made_by_batch IS NULL")) {
    data->intermediates.push_back(row[0]);
  }
  // Released lots from suppliers, not expired, with a unit or more left; kept if the check allows
  // a use of one unit now (their supplier is qualified for the material).
  const std::vector<std::vector<std::string>> candidates = raw.Query(
      "SELECT lot_id, material, json_extract(state, '$.unit'), supplier FROM lots WHERE kind = "
      "'received' AND status = 'released' AND balance >= 1000000 AND expiry > " +
      std::to_string(data->now.Micros()));
  MustSucceed(data->store->Read([&](app::StoreReader& reader) -> Status {
    for (const auto& row : candidates) {
      UseCase use{row[0], row[1], row[2], row[3]};
      ALIQUOT_ASSIGN_OR_RETURN(
          const materials::UseCheck check,
          app::MaterialService::CheckUseIn(
              reader, {use.lot, use.material, 1, use.unit, std::nullopt}, data->now));
      if (check.Allowed()) data->uses.push_back(std::move(use));
    }
    return {};
  }),
              "choosing the lots to check");
  ALIQUOT_CHECK(!data->batches.empty() && !data->raw_lots.empty() && !data->intermediates.empty() &&
                !data->uses.empty());
  PrintDataset(*data);
  the_dataset = std::move(data);
  return *the_dataset;
}

void PrintDataset(const Dataset& data) {
  RawSql& raw = *data.raw;
  const double events = raw.Scalar("SELECT count(*) FROM events");
  const double consumed = raw.Scalar(
      "SELECT count(*) FROM genealogy_forward WHERE parent >= 'lot:' AND parent < 'lot;'");
  const double into_batches = raw.Scalar(
      "SELECT count(*) FROM genealogy_backward WHERE child >= 'batch:' AND child < "
      "'batch;'");
  const double made = raw.Scalar(
      "SELECT count(*) FROM genealogy_forward WHERE parent >= 'batch:' AND parent < 'batch;'");
  const double collections = raw.Scalar("SELECT count(*) FROM lots WHERE kind = 'collection'");
  const double units = raw.Scalar("SELECT count(*) FROM lots WHERE made_by_batch IS NOT NULL");
  const double materials_count = raw.Scalar("SELECT count(*) FROM materials");
  const double bought = raw.Scalar(
      "SELECT count(*) FROM materials WHERE category NOT IN ('starting_material', 'intermediate', "
      "'drug_product')");
  const double purchased =
      raw.Scalar("SELECT count(DISTINCT material) FROM lots WHERE kind = 'received'");
  const double suppliers = raw.Scalar("SELECT count(*) FROM suppliers");
  const double lot_json = raw.Scalar("SELECT avg(length(state)) FROM lots WHERE kind = 'received'");
  const double supplier_json = raw.Scalar("SELECT avg(length(state)) FROM suppliers");
  std::printf(
      "Dataset: %s batches of 6 CAR-T/TCR-T products over %d days, %s materials (%s bought "
      "from %s suppliers, of which %s in use), %s lots: %s received from suppliers, %s prepared "
      "media, %s apheresis collections, %s product units.\n"
      "  Genealogy: %s consumption records (%s into batches, the rest into prepared media) and %s "
      "production edges, in genealogy_forward and genealogy_backward each.\n"
      "  JSON read by the check: a received lot's state %.0f bytes on average, a supplier's %.0f; "
      "%s lots qualify for the check.\n"
      "  Ledger: %s events; database %.0f MB; %s.\n",
      ThousandsSeparated(static_cast<double>(data.batches.size())).c_str(),
      DaysFor(Scaled(kBatches)), ThousandsSeparated(materials_count).c_str(),
      ThousandsSeparated(bought).c_str(), ThousandsSeparated(suppliers).c_str(),
      ThousandsSeparated(purchased).c_str(),
      ThousandsSeparated(static_cast<double>(data.raw_lots.size() + data.intermediates.size()) +
                         collections + units)
          .c_str(),
      ThousandsSeparated(static_cast<double>(data.raw_lots.size())).c_str(),
      ThousandsSeparated(static_cast<double>(data.intermediates.size())).c_str(),
      ThousandsSeparated(collections).c_str(), ThousandsSeparated(units).c_str(),
      ThousandsSeparated(consumed).c_str(), ThousandsSeparated(into_batches).c_str(),
      ThousandsSeparated(made).c_str(), lot_json, supplier_json,
      ThousandsSeparated(static_cast<double>(data.uses.size())).c_str(),
      ThousandsSeparated(events).c_str(), FileMegabytes(data.path), data.built.c_str());
  std::printf("  Every trace and check asks as of %s.\n", data.now.ToRfc3339().c_str());
  std::fflush(stdout);
  Record("dataset_events", events);
  Record("dataset_consumptions", consumed);
}

// Seeds for the measurements' random roots: a fixed sequence, so that a run is repeatable, and a
// fresh seed for every generator, so that repetitions ask about other roots.
std::uint64_t NextSeed() {
  static std::uint64_t seeds = 0;
  return kSeed + ++seeds;
}

// ---------------------------------------------------------------------------------------------
// 1-3. Traces from random roots of one kind, six calls per root, interleaved in a rotating order:
// GenealogyIn in its own Store::Read (the figure: what GET /api/v1/genealogy runs once the request
// is authorised); the raw recursive query with the lots' columns (its limit); TraceGenealogy over
// GenealogyEdges in its own Store::Read (the walk alone, without the lots' rows); and the raw
// recursive query of the nodes alone (its limit); and two diagnostics of the first limit, with the
// file memory-mapped and on a copy of the edge tables made WITHOUT ROWID. All six are asked about
// the same root, so each ratio is taken root by root: trace sizes vary by two orders of magnitude
// between roots. The six answers must agree on the number of nodes reached, or the run stops.

enum TraceKind : std::size_t {
  kService,
  kRawWithLots,
  kWalk,
  kRawWalk,
  kRawMapped,
  kRawClustered,
  kTraceKinds,
};

struct TraceSizes {
  std::vector<double> nodes;
  std::vector<double> edges;
};
std::array<TraceSizes, 3> trace_sizes;  // By root kind, over the run.

void TraceBench(benchmark::State& state, std::size_t root_kind, const std::string& key,
                Direction direction, std::int64_t per_round) {
  Dataset& data = TheDataset();
  const std::vector<std::string>& roots = root_kind == 0   ? data.batches
                                          : root_kind == 1 ? data.raw_lots
                                                           : data.intermediates;
  std::mt19937_64 random(NextSeed());
  const auto pick = [&]() -> const std::string& {
    return roots[std::uniform_int_distribution<std::size_t>(0, roots.size() - 1)(random)];
  };
  std::array<std::int64_t, kTraceKinds> reached{};
  std::int64_t edges = 0;
  std::array<std::function<void(const std::string&)>, kTraceKinds> kinds;
  kinds[kService] = [&](const std::string& root) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(
          const app::GenealogyReport report,
          app::MaterialService::GenealogyIn(reader, root, direction, data.now));
      ALIQUOT_CHECK(!report.trace.truncated);
      reached[kService] = static_cast<std::int64_t>(report.lots.size() + report.batches.size());
      return {};
    }),
                "GenealogyIn");
  };
  kinds[kRawWithLots] = [&](const std::string& root) {
    reached[kRawWithLots] = data.raw->Walk(direction, root, data.now, Columns::kWithLots) - 1;
  };
  kinds[kWalk] = [&](const std::string& root) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(
          const materials::Trace trace,
          materials::TraceGenealogy(root, direction, data.now, app::GenealogyEdges(reader),
                                    app::kMaxGenealogyNodes));
      ALIQUOT_CHECK(!trace.truncated);
      reached[kWalk] = static_cast<std::int64_t>(trace.nodes.size());
      edges = static_cast<std::int64_t>(trace.edges.size());
      return {};
    }),
                "TraceGenealogy");
  };
  kinds[kRawWalk] = [&](const std::string& root) {
    reached[kRawWalk] = data.raw->Walk(direction, root, data.now, Columns::kNodes) - 1;
  };
  kinds[kRawMapped] = [&](const std::string& root) {
    reached[kRawMapped] = data.raw_mapped->Walk(direction, root, data.now, Columns::kWithLots) - 1;
  };
  kinds[kRawClustered] = [&](const std::string& root) {
    reached[kRawClustered] =
        data.raw_clustered->Walk(direction, root, data.now, Columns::kWithLots) - 1;
  };
  const auto agree = [&] {
    for (std::int64_t count : reached) {
      ALIQUOT_CHECK_MSG(count == reached[kWalk], "a trace and its limit reached different nodes");
    }
  };
  for (int i = 0; i < 10; ++i) {  // Warm the statements, the allocator and the caches.
    const std::string& root = pick();
    for (const auto& kind : kinds) kind(root);
    agree();
  }

  std::array<Samples, kTraceKinds> all;
  TraceSizes& sizes = trace_sizes[root_kind];
  while (state.KeepRunning()) {
    std::array<Samples, kTraceKinds> round;
    std::vector<double> service_x_raw;
    std::vector<double> walk_x_raw;
    for (std::int64_t i = 0; i < per_round; ++i) {
      const std::string& root = pick();
      for (std::size_t k = 0; k < kTraceKinds; ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kTraceKinds;
        TimeCall(round[kind], [&] { kinds[kind](root); });
      }
      agree();
      sizes.nodes.push_back(static_cast<double>(reached[kWalk]));
      sizes.edges.push_back(static_cast<double>(edges));
      service_x_raw.push_back(round[kService].wall.back() / round[kRawWithLots].wall.back());
      walk_x_raw.push_back(round[kWalk].wall.back() / round[kRawWalk].wall.back());
    }
    Record(key + "_x_raw", Median(service_x_raw));
    Record(key + "_walk_x_raw", Median(walk_x_raw));
    state.counters["service_ms"] = Median(round[kService].wall) / 1000;
    state.counters["raw_ms"] = Median(round[kRawWithLots].wall) / 1000;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles(key + "_service", all[kService]);
  RecordPercentiles(key + "_raw_lots", all[kRawWithLots]);
  RecordPercentiles(key + "_walk", all[kWalk]);
  RecordPercentiles(key + "_raw_walk", all[kRawWalk]);
  RecordPercentiles(key + "_raw_mapped", all[kRawMapped]);
  RecordPercentiles(key + "_raw_clustered", all[kRawClustered]);
  benchmark::DoNotOptimize(data.raw->Checksum() + data.raw_mapped->Checksum() +
                           data.raw_clustered->Checksum());
}

// ---------------------------------------------------------------------------------------------
// 4. The point-of-use check on a released lot from a qualified supplier, for one unit of its own
// material: CheckUseIn in its own Store::Read (the figure, as MaterialService::CheckUse runs it),
// beside the two reads it makes, StoreReader::GetRow of the lot's row and of its supplier's row
// in one Store::Read (the limit: the store's cost of the rows, without decoding or deciding), the
// same with both rows' JSON parsed, and the same two rows read with plain sqlite3 (diagnostics).
// Interleaved call by call in a rotating order; each kind draws its own lots, so that no kind finds
// the previous kind's pages in its connection's cache.

enum CheckKind : std::size_t { kCheck, kTwoReads, kTwoReadsParsed, kRawReads, kCheckKinds };

void CheckUseBench(benchmark::State& state) {
  Dataset& data = TheDataset();
  const app::TableSpec& lots = TableNamed(*data.projector, "lots");
  const app::TableSpec& suppliers = TableNamed(*data.projector, "suppliers");
  std::array<std::mt19937_64, kCheckKinds> random;
  for (std::mt19937_64& generator : random) generator.seed(NextSeed());
  const auto pick = [&](std::size_t kind) -> const UseCase& {
    return data
        .uses[std::uniform_int_distribution<std::size_t>(0, data.uses.size() - 1)(random[kind])];
  };
  std::array<std::function<void(const UseCase&)>, kCheckKinds> kinds;
  kinds[kCheck] = [&](const UseCase& use) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(
          const materials::UseCheck check,
          app::MaterialService::CheckUseIn(
              reader, {use.lot, use.material, 1, use.unit, std::nullopt}, data.now));
      ALIQUOT_CHECK_MSG(check.Allowed(), check.message.c_str());
      return {};
    }),
                "CheckUseIn");
  };
  kinds[kTwoReads] = [&](const UseCase& use) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> lot,
                               reader.GetRow(lots, app::Row{use.lot}));
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> supplier,
                               reader.GetRow(suppliers, app::Row{use.supplier}));
      ALIQUOT_CHECK(lot && supplier);
      return {};
    }),
                "reading the two rows");
  };
  // A diagnostic: the same two reads with both rows' state JSON parsed by the store's own parser
  // (core/json.h) into a tree that is then dropped: what decoding costs at least, before any
  // struct is filled or anything decided.
  const std::size_t lot_state = ColumnOf(lots, "state");
  const std::size_t supplier_state = ColumnOf(suppliers, "state");
  kinds[kTwoReadsParsed] = [&](const UseCase& use) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> lot,
                               reader.GetRow(lots, app::Row{use.lot}));
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> supplier,
                               reader.GetRow(suppliers, app::Row{use.supplier}));
      ALIQUOT_CHECK(lot && supplier);
      ALIQUOT_ASSIGN_OR_RETURN(const Json lot_json, ParseJson(app::Text(*lot, lot_state)));
      ALIQUOT_ASSIGN_OR_RETURN(const Json supplier_json,
                               ParseJson(app::Text(*supplier, supplier_state)));
      benchmark::DoNotOptimize(lot_json.IsObject() && supplier_json.IsObject());
      return {};
    }),
                "reading and parsing the two rows");
  };
  kinds[kRawReads] = [&](const UseCase& use) {
    ALIQUOT_CHECK(data.raw->ReadUseRows(use.lot, use.supplier) == 2);
  };
  for (int i = 0; i < 200; ++i) {  // Warm the statements, the allocator and the caches.
    for (std::size_t k = 0; k < kinds.size(); ++k) kinds[k](pick(k));
  }

  const std::int64_t per_round = Scaled(kChecksPerRound);
  std::array<Samples, kCheckKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kCheckKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        const UseCase& use = pick(kind);
        TimeCall(round[kind], [&] { kinds[kind](use); });
      }
    }
    const double check = Median(round[kCheck].wall);
    const double reads = Median(round[kTwoReads].wall);
    Record("check_x_reads", check / reads);
    state.counters["check_us"] = check;
    state.counters["reads_us"] = reads;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("check", all[kCheck]);
  RecordPercentiles("check_reads", all[kTwoReads]);
  RecordPercentiles("check_parsed", all[kTwoReadsParsed]);
  RecordPercentiles("check_raw", all[kRawReads]);
  benchmark::DoNotOptimize(data.raw->Checksum());
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "0.412 / 1.23 ms": p50 and p99 of `name` (with `kind` "" for wall time, "_cpu" for CPU time).
std::string TraceSpread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Millis(Figure(base + "_p50"));
  return p50.substr(0, p50.size() - 3) + " / " + Millis(Figure(base + "_p99"));
}

// "31.0 / 52.4 us".
std::string CheckSpread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Number(Figure(base + "_p50"), "us");
  return p50.substr(0, p50.size() - 3) + " / " + Number(Figure(base + "_p99"), "us");
}

std::string Ratios(const std::string& figure, const std::string& limit, const char* kind) {
  return Times(Ratio(Figure(figure + kind + "_p50"), Figure(limit + kind + "_p50"))) + " / " +
         Times(Ratio(Figure(figure + kind + "_p99"), Figure(limit + kind + "_p99")));
}

std::string Sizes(const std::vector<double>& values) {
  if (values.empty()) return "n/a";
  const double max = *std::max_element(values.begin(), values.end());
  return ThousandsSeparated(Percentile(values, 0.5)) + " / " +
         ThousandsSeparated(Percentile(values, 0.99)) + " / " + ThousandsSeparated(max);
}

void PrintSummary() {
  std::vector<Line> lines;
  const std::array<std::pair<const char*, const char*>, 3> traces{{
      {"backward", "backward from a batch"},
      {"forward_raw", "forward from a raw lot"},
      {"forward_intermediate", "forward from a prepared medium"},
  }};
  const auto target = [](std::optional<double> p99, double limit) {
    std::optional<bool> met;
    if (p99) met = *p99 < limit;
    return met;
  };
  for (std::size_t t = 0; t < traces.size(); ++t) {
    const std::string key = traces[t].first;
    const std::string title = traces[t].second;
    if (!Figure(key + "_service_p99")) continue;
    const std::optional<double> p99 = Figure(key + "_service_p99");
    lines.push_back({title + ": GenealogyIn in Store::Read, p99", Millis(p99), "target 5 ms",
                     Share(Ratio(p99, kTraceTargetUs)), "p99 < 5 ms",
                     Met(target(p99, kTraceTargetUs))});
    lines.push_back({"  GenealogyIn, p50 / p99", TraceSpread(key + "_service", ""),
                     "raw WITH RECURSIVE + lots " + TraceSpread(key + "_raw_lots", ""),
                     Ratios(key + "_service", key + "_raw_lots", ""), "-", ""});
    lines.push_back({"    on CPU", TraceSpread(key + "_service", "_cpu"),
                     "raw " + TraceSpread(key + "_raw_lots", "_cpu"),
                     Ratios(key + "_service", key + "_raw_lots", "_cpu"), "-", ""});
    lines.push_back(
        {"    median of per-root ratios", Times(Figure(key + "_x_raw")), "", "", "-", ""});
    lines.push_back({"  TraceGenealogy over GenealogyEdges, p50 / p99",
                     TraceSpread(key + "_walk", ""),
                     "raw WITH RECURSIVE " + TraceSpread(key + "_raw_walk", ""),
                     Ratios(key + "_walk", key + "_raw_walk", ""), "-", ""});
    lines.push_back({"    on CPU", TraceSpread(key + "_walk", "_cpu"),
                     "raw " + TraceSpread(key + "_raw_walk", "_cpu"),
                     Ratios(key + "_walk", key + "_raw_walk", "_cpu"), "-", ""});
    lines.push_back(
        {"    median of per-root ratios", Times(Figure(key + "_walk_x_raw")), "", "", "-", ""});
    const std::optional<double> raw_p99 = Figure(key + "_raw_lots_p99");
    lines.push_back({"  the limit itself (raw + lots), p99", Millis(raw_p99), "target 5 ms",
                     Share(Ratio(raw_p99, kTraceTargetUs)), "diagnostic",
                     Met(target(raw_p99, kTraceTargetUs))});
    for (const auto& [suffix, what] :
         {std::pair<std::string, std::string>{"_raw_mapped", "file memory-mapped"},
          {"_raw_clustered", "edges WITHOUT ROWID"}}) {
      lines.push_back({"  diagnostic: raw + lots, " + what, TraceSpread(key + suffix, ""),
                       "raw + lots " + TraceSpread(key + "_raw_lots", ""),
                       Ratios(key + suffix, key + "_raw_lots", ""), "-", ""});
      lines.push_back({"    on CPU", TraceSpread(key + suffix, "_cpu"),
                       "raw + lots " + TraceSpread(key + "_raw_lots", "_cpu"),
                       Ratios(key + suffix, key + "_raw_lots", "_cpu"), "-", ""});
    }
    lines.push_back(
        {"  nodes per trace, p50 / p99 / max", Sizes(trace_sizes[t].nodes), "", "", "-", ""});
    lines.push_back(
        {"  edges per trace, p50 / p99 / max", Sizes(trace_sizes[t].edges), "", "", "-", ""});
  }
  if (const std::optional<double> p99 = Figure("check_p99")) {
    lines.push_back({"CheckUseIn in Store::Read, p99", Number(p99, "us"), "target 50 us",
                     Share(Ratio(p99, kCheckTargetUs)), "p99 < 50 us",
                     Met(target(p99, kCheckTargetUs))});
    lines.push_back({"  CheckUseIn, p50 / p99", CheckSpread("check", ""),
                     "2 GetRows in Store::Read " + CheckSpread("check_reads", ""),
                     Ratios("check", "check_reads", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread("check", "_cpu"),
                     "2 GetRows " + CheckSpread("check_reads", "_cpu"),
                     Ratios("check", "check_reads", "_cpu"), "-", ""});
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure("check_x_reads")), "", "", "-", ""});
    lines.push_back({"  diagnostic: 2 GetRows + ParseJson of both", CheckSpread("check_parsed", ""),
                     "2 GetRows " + CheckSpread("check_reads", ""),
                     Ratios("check_parsed", "check_reads", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread("check_parsed", "_cpu"),
                     "2 GetRows " + CheckSpread("check_reads", "_cpu"),
                     Ratios("check_parsed", "check_reads", "_cpu"), "-", ""});
    lines.push_back({"  diagnostic: the 2 rows with raw sqlite3", CheckSpread("check_raw", ""),
                     "2 GetRows " + CheckSpread("check_reads", ""),
                     Ratios("check_raw", "check_reads", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread("check_raw", "_cpu"),
                     "2 GetRows " + CheckSpread("check_reads", "_cpu"), "", "-", ""});
  }
  std::printf(
      "\nSummary: p50 / p99 over every call of a run (medians over repetitions); ratios are of "
      "p50s / p99s, or the median of ratios taken root by root:\n");
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the batches (and with them the lots and
// records) and the rounds; --data-dir=DIR keeps the dataset elsewhere; --rebuild builds it anew.
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv,
               {{"--scale=",
                 [](std::string_view value) {
                   scale = std::stod(std::string(value));
                   ALIQUOT_CHECK_MSG(scale >= 0.001, "--scale must be at least 0.001");
                 }},
                {"--data-dir=", [](std::string_view value) { data_dir = std::string(value); }},
                {"--rebuild", [](std::string_view) { rebuild = true; }}});
}

}  // namespace
}  // namespace aliquot::bench

// Google Benchmark's registry owns what RegisterBenchmark allocates; the analyzer cannot see it,
// and reports the leak along any path through main.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
int main(int argc, char** argv) {
  using namespace aliquot::bench;
  benchmark::Initialize(&argc, argv);
  ParseOwnFlags(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::int64_t rounds = Scaled(kTraceRounds);
  const auto per_round = [](std::int64_t count) {
    return std::max<std::int64_t>(5, static_cast<std::int64_t>(static_cast<double>(count) * scale));
  };
  benchmark::RegisterBenchmark("genealogy_backward_from_batch",
                               [&](benchmark::State& state) {
                                 TraceBench(state, 0, "backward",
                                            aliquot::materials::Direction::kBackward,
                                            per_round(kBackwardPerRound));
                               })
      ->Iterations(rounds)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("genealogy_forward_from_raw_lot",
                               [&](benchmark::State& state) {
                                 TraceBench(state, 1, "forward_raw",
                                            aliquot::materials::Direction::kForward,
                                            per_round(kForwardRawPerRound));
                               })
      ->Iterations(rounds)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("genealogy_forward_from_intermediate_lot",
                               [&](benchmark::State& state) {
                                 TraceBench(state, 2, "forward_intermediate",
                                            aliquot::materials::Direction::kForward,
                                            per_round(kForwardIntermediatePerRound));
                               })
      ->Iterations(rounds)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("check_use_in", CheckUseBench)
      ->Iterations(Scaled(kCheckRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_dataset.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
