// recipe_bench: import and validation of a 200-step master batch record definition file, against
// the goal of 50 ms. The domain import (ParseYaml, DefinitionFromJson and
// ValidateDefinition, its references answered from memory) is measured beside ParseJson of the
// same definition as canonical JSON: what reading that much structured text with our strict parser
// costs at least. The import through RecipeService on a real SQLite store (authorisation, the
// references read from the store, the same checks, the durable append of the draft event that
// carries the whole definition, and its projection) is measured beside a durable Store::Append of
// one event with the same payload. The definition is generated from a fixed seed and written with
// EmitYaml(DefinitionToJson(...)), so it is valid by construction; the benchmark checks that it is.
// See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>

#include "aliquot/app/demo_site.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/recipe_records.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/services.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/master_batch_record.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Steady = std::chrono::steady_clock;
using recipes::Calculation;
using recipes::Criticality;
using recipes::Definition;
using recipes::Limits;
using recipes::MaterialLine;
using recipes::ParameterDefinition;
using recipes::ParameterKind;
using recipes::Step;
using recipes::StepEvent;
using recipes::StepPoint;

// The shape: 200 steps, as 20 unit procedures of 10 operations.
constexpr int kUnitProcedures = 20;
constexpr int kStepsPerUnitProcedure = 10;
// Hermetic: the same definition on every run.
constexpr std::uint64_t kSeed = 20261122;

// Rounds (Google Benchmark iterations) and calls of each kind per round, before --scale.
constexpr std::int64_t kDomainRounds = 10;
constexpr std::int64_t kDomainCallsPerRound = 10;
constexpr std::int64_t kStoreRounds = 10;
constexpr std::int64_t kStoreCallsPerRound = 10;

// The goal: import and validation of a 200-step MBR under 50 ms.
constexpr double kGoalUs = 50'000;

// The product and master batch record the store benchmark imports into.
constexpr std::string_view kProduct = "CART-B200";
constexpr std::string_view kRecord = "MBR-CART-B200";
constexpr std::string_view kChangeReason =
    "Scale-out process: twelve expansion passages in closed bags, second-person check of every "
    "label reconciliation";

double scale = 1.0;

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

// ---------------------------------------------------------------------------------------------
// The definition: a long closed-bag CAR-T process (receipt, enrichment, activation, transduction,
// twelve expansion passages, harvest, formulation, fill, cryopreservation), each unit procedure
// with the same ten operations, their values drawn from a fixed seed. Every step has five
// parameters (three numbers with limits, two of other kinds in rotation), one or two calculations
// (its total viable cells, and a fold expansion over its predecessor's or a dose per kg of body
// weight), one or two material lines (the second scaled by a formula), a sample, equipment
// classes and its SOP; two steps of each unit procedure run side by side. Seven hold times and an
// expiry clock. It refers to the demo site's documents and materials.

struct UnitProcedurePlan {
  const char* id;
  std::string name;
};

std::vector<UnitProcedurePlan> PlanUnitProcedures() {
  std::vector<UnitProcedurePlan> plans{{"receipt", "Apheresis receipt and incoming sampling"},
                                       {"enrichment", "Wash and T-cell enrichment"},
                                       {"activation", "Activation with anti-CD3/CD28"},
                                       {"transduction", "Lentiviral transduction"}};
  static const std::array<const char*, 12> kPassages{
      "passage_01", "passage_02", "passage_03", "passage_04", "passage_05", "passage_06",
      "passage_07", "passage_08", "passage_09", "passage_10", "passage_11", "passage_12"};
  for (std::size_t p = 0; p < kPassages.size(); ++p) {
    plans.push_back({kPassages[p], "Expansion, passage " + std::to_string(p + 1) + " of 12"});
  }
  plans.push_back({"harvest", "Harvest and wash"});
  plans.push_back({"formulation", "Formulation in cryopreservation medium"});
  plans.push_back({"fill", "Fill and label the infusion bags"});
  plans.push_back({"cryopreservation", "Controlled-rate freezing and LN2 storage"});
  ALIQUOT_CHECK(plans.size() == kUnitProcedures);
  return plans;
}

struct Operation {
  const char* id;
  const char* name;
  const char* sop;
  std::vector<std::string> equipment;
  const char* instructions;  // Two lines; a third is added per step.
};

const std::array<Operation, kStepsPerUnitProcedure>& Operations() {
  static const std::array<Operation, kStepsPerUnitProcedure> kOperations{{
      {"setup",
       "Line clearance and set-up",
       "SOP-CT-003",
       {"biosafety_cabinet"},
       "Clear the line: no material, label or record of another batch in the room or the cabinet.\n"
       "Wipe the cabinet with sporicide, wait the contact time, then bring in this step's kit.\n"},
      {"weld",
       "Weld the bag set onto the culture",
       "WI-CT-012",
       {"sterile_welder", "cell_processing_system"},
       "Weld the new bag set to the culture bag's inlet; inspect the weld before opening clamps.\n"
       "A failed weld: seal off both ends, use neither, tell the verifier.\n"},
      {"transfer",
       "Transfer the cells",
       "SOP-CT-006",
       {"cell_processing_system"},
       "Transfer the culture by the closed system's validated program; do not open the bag.\n"
       "Record the volume transferred as the system reports it.\n"},
      {"medium",
       "Prepare and add the medium",
       "SOP-CT-006",
       {"biosafety_cabinet", "pipette"},
       "Reconstitute the cytokines in the cabinet and add them to the medium bag.\n"
       "Mix by inversion ten times; label the bag with the COI ID and the time.\n"},
      {"count",
       "Sample, count and check viability",
       "SOP-CT-004",
       {"cell_counter"},
       "Draw 1 mL through the sampling port after mixing; count two aliquots within 10%.\n"
       "Record the mean viable concentration and viability.\n"},
      {"incubate",
       "Incubate",
       "SOP-CT-006",
       {"incubator"},
       "Place the bag flat on its shelf; check the incubator's temperature and CO2 display.\n"
       "Do not open the door for the first 4 h.\n"},
      {"check",
       "Check the culture",
       "SOP-CT-006",
       {"bioreactor", "cell_counter"},
       "Inspect the culture for colour, clumps and leaks; read the bioreactor's trends.\n"
       "An unexpected colour change or leak stops the step: call QA.\n"},
      {"adjust",
       "Adjust the culture volume",
       "SOP-CT-006",
       {"bioreactor", "sterile_welder"},
       "Add medium to reach the target concentration calculated in this step.\n"
       "Record the volume added and the bag's new volume.\n"},
      {"ipc",
       "In-process control sampling",
       "SOP-CT-004",
       {"biosafety_cabinet", "flow_cytometer"},
       "Draw the in-process control sample; label it with the COI ID (FRM-CT-013).\n"
       "Hand the sample to QC within 30 min, in the 2-8 C transport box.\n"},
      {"reconcile",
       "Label reconciliation and hand-over",
       "SOP-CT-002",
       {"refrigerator"},
       "Reconcile every label printed for this unit procedure: used, destroyed, returned.\n"
       "The verifier checks the count and signs; a missing label stops the batch.\n"},
  }};
  return kOperations;
}

// Draws from a fixed sequence: the modulo of the generator's raw output, which (unlike the
// standard distributions) is the same on every standard library.
class Draws {
 public:
  explicit Draws(std::uint64_t seed) : random_(seed) {}
  // A whole number in [low, high].
  int Between(int low, int high) {
    const std::uint64_t span =
        static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
    return low + static_cast<int>(random_() % span);
  }

 private:
  std::mt19937_64 random_;
};

ParameterDefinition NumberParameter(const char* id, const char* name, const char* unit,
                                    Criticality criticality, std::optional<double> target,
                                    Limits alert, Limits action) {
  ParameterDefinition parameter;
  parameter.id = id;
  parameter.name = name;
  parameter.kind = ParameterKind::kNumber;
  parameter.criticality = criticality;
  parameter.unit = unit;
  parameter.target = target;
  parameter.alert = alert;
  parameter.action = action;
  return parameter;
}

// The two parameters of other kinds a step records, in rotation: step `s` takes kinds s and s + 3
// (mod 7), so every kind appears and no step takes one twice.
ParameterDefinition MixedParameter(int which) {
  ParameterDefinition parameter;
  switch (which % 7) {
    case 0:
      parameter = NumberParameter("temperature", "Culture temperature", "C",
                                  Criticality::kKeyProcessParameter, 37, {36.5, 37.5}, {36, 38});
      parameter.source = recipes::ParameterSource{"incubator", "temperature"};
      break;
    case 1:
      parameter.id = "bags";
      parameter.name = "Culture bags in use";
      parameter.kind = ParameterKind::kInteger;
      parameter.criticality = Criticality::kKeyProcessParameter;
      parameter.unit = "bags";
      parameter.action = {1, 4};
      break;
    case 2:
      parameter.id = "appearance";
      parameter.name = "Culture appearance";
      parameter.kind = ParameterKind::kChoice;
      parameter.criticality = Criticality::kCriticalProcessParameter;
      parameter.options = {"clear", "turbid", "clumped", "discoloured"};
      parameter.acceptable = {"clear"};
      break;
    case 3:
      parameter.id = "seal_intact";
      parameter.name = "Bag seals and welds intact";
      parameter.kind = ParameterKind::kBoolean;
      parameter.criticality = Criticality::kCriticalProcessParameter;
      parameter.expected = true;
      break;
    case 4:
      parameter.id = "bag_label";
      parameter.name = "Bag label scanned";
      parameter.kind = ParameterKind::kIdentifier;
      parameter.criticality = Criticality::kInformational;
      parameter.requirement = recipes::Requirement::kOptional;
      break;
    case 5:
      parameter.id = "remarks";
      parameter.name = "Remarks";
      parameter.kind = ParameterKind::kText;
      parameter.criticality = Criticality::kInformational;
      parameter.requirement = recipes::Requirement::kOptional;
      break;
    default:
      parameter.id = "completed_at";
      parameter.name = "Completed at";
      parameter.kind = ParameterKind::kTimestamp;
      parameter.criticality = Criticality::kInformational;
      break;
  }
  return parameter;
}

Definition MakeDefinition(std::string_view record) {
  Draws draws(kSeed);
  Definition definition;
  definition.master_batch_record = std::string(record);
  definition.product = std::string(kProduct);
  definition.title = "Autologous anti-CD19 CAR-T, closed-bag scale-out process with 12 passages";
  definition.batch_size = "One patient dose from one apheresis collection (up to 12 L of culture)";
  definition.phases = {recipes::ClinicalPhase::kPhase2, recipes::ClinicalPhase::kPhase3};
  definition.batch_inputs.push_back(NumberParameter("body_weight", "Patient body weight", "kg",
                                                    Criticality::kKeyProcessParameter, std::nullopt,
                                                    {}, {10, 150}));
  definition.batch_inputs.push_back(NumberParameter(
      "prescribed_dose", "Prescribed dose (CAR+ viable cells per kg, from the order)", "cells/kg",
      Criticality::kCriticalProcessParameter, 1.0e6, {}, {5.0e5, 2.0e6}));
  definition.identifiers = {
      {"patient_code", "Patient code (COI)", recipes::IdentifierFormat::kCoiCode},
      {"collection_id", "Apheresis collection ID", recipes::IdentifierFormat::kText}};

  const std::vector<UnitProcedurePlan> plans = PlanUnitProcedures();
  std::string previous;  // The step before, in the file.
  int s = 0;             // The step's number in the file.
  for (const UnitProcedurePlan& plan : plans) {
    recipes::UnitProcedure unit;
    unit.id = plan.id;
    unit.name = plan.name;
    std::vector<std::string> ids;
    for (int o = 0; o < kStepsPerUnitProcedure; ++o, ++s) {
      const Operation& operation = Operations()[static_cast<std::size_t>(o)];
      Step step;
      step.id = std::string(plan.id) + "_" + operation.id;
      step.name = std::string(operation.name) + " (" + plan.name + ")";
      step.sop = operation.sop;
      step.instructions = std::string(operation.instructions) + "Record every value as read (" +
                          std::to_string(draws.Between(2, 9)) +
                          " checks); a value outside its limits stops the step.\n";
      step.equipment = operation.equipment;
      // The medium is prepared while the cells are transferred; the count waits for both.
      std::string predecessor = previous;
      if (o == 3) {
        step.after = std::vector<std::string>{ids[1]};
        predecessor = ids[1];
      } else if (o == 4) {
        step.after = std::vector<std::string>{ids[2], ids[3]};
        predecessor = ids[2];
      }
      if (o == 0) {
        step.scan_identity = s == 0 ? std::vector<std::string>{"patient_code", "collection_id"}
                                    : std::vector<std::string>{"patient_code"};
      }
      if (o == 1 || o == 9) step.verification = recipes::Verification::kSecondPerson;
      if (o == 5) {
        step.min_duration = "18 h";
        step.max_duration = "30 h";
      } else if (o < 2) {
        step.max_duration = std::to_string(draws.Between(1, 3)) + " h";
      }

      const double concentration = draws.Between(5, 40) * 1.0e5;
      step.parameters.push_back(NumberParameter(
          "viable_concentration", "Viable cell concentration", "cells/mL",
          Criticality::kCriticalProcessParameter, concentration,
          {concentration / 2, concentration * 2}, {concentration / 4, concentration * 4}));
      step.parameters.back().source =
          recipes::ParameterSource{"cell_counter", "viable_concentration"};
      const double viability = draws.Between(88, 96);
      step.parameters.push_back(NumberParameter("viability", "Viability", "%",
                                                Criticality::kCriticalProcessParameter, viability,
                                                {80, 100}, {70, 100}));
      step.parameters.back().source = recipes::ParameterSource{"cell_counter", "viability"};
      const double volume = draws.Between(2, 20) * 50.0;
      step.parameters.push_back(
          NumberParameter("volume", "Culture volume", "mL", Criticality::kKeyProcessParameter,
                          volume, {volume * 0.8, volume * 1.2}, {volume / 2, volume * 2}));
      step.parameters.push_back(MixedParameter(s));
      step.parameters.push_back(MixedParameter(s + 3));

      Calculation total;
      total.id = "total_viable_cells";
      total.name = "Total viable cells";
      total.formula = "viable_concentration * volume * viability";
      total.unit = "cells";
      total.criticality = Criticality::kCriticalProcessParameter;
      total.alert = {1.0e8, std::nullopt};
      total.action = {5.0e7, std::nullopt};
      step.calculations.push_back(total);
      if (s % 3 == 1 && !predecessor.empty()) {
        Calculation fold;
        fold.id = "fold_expansion";
        fold.name = "Fold expansion since " + predecessor;
        fold.formula = "total_viable_cells / " + predecessor + ".total_viable_cells";
        fold.unit = "fold";
        fold.criticality = Criticality::kKeyProcessParameter;
        fold.action = {0.5, 50};
        step.calculations.push_back(fold);
      } else if (s % 3 == 2) {
        Calculation dose;
        dose.id = "cells_per_kg";
        dose.name = "Viable cells per kg of body weight";
        dose.formula = "total_viable_cells / batch.body_weight";
        dose.unit = "cells/kg";
        dose.criticality = Criticality::kInformational;
        step.calculations.push_back(dose);
      }

      step.materials.push_back(
          MaterialLine{"MAT-MEDIUM", std::to_string(draws.Between(1, 20) * 25) + " mL", "5 %"});
      if (s % 2 == 1) {
        step.materials.push_back(
            s % 4 == 1 ? MaterialLine{"MAT-IL7", "0.05 [ug/kg] * batch.body_weight", "10 %"}
                       : MaterialLine{"MAT-CRYO", "0.1 * volume", "0.5 mL"});
      }
      step.samples.push_back(
          {"ipc_sample", "In-process sample", "1 mL", "Viable count and viability (SOP-CT-004)"});
      previous = step.id;
      ids.push_back(step.id);
      unit.operations.push_back(std::move(step));
    }
    definition.unit_procedures.push_back(std::move(unit));
  }

  // Hold times between unit procedures, and the incubation of the first passage.
  for (const int u : {1, 4, 8, 12, 16, 19}) {
    const UnitProcedurePlan& before = plans[static_cast<std::size_t>(u - 1)];
    const UnitProcedurePlan& after = plans[static_cast<std::size_t>(u)];
    recipes::TimeRule rule;
    rule.id = std::string(after.id) + "_start";
    rule.name = after.name + " starts within 24 h of the end of " + before.name;
    rule.from = StepEvent{std::string(before.id) + "_reconcile", StepPoint::kEnd};
    rule.to = StepEvent{std::string(after.id) + "_setup", StepPoint::kStart};
    if (u % 2 == 0) rule.min = "1 h";
    rule.max = "24 h";
    definition.time_rules.push_back(rule);
  }
  recipes::TimeRule incubation;
  incubation.id = "passage_01_incubation";
  incubation.name = "The first passage is checked 18-30 h after its incubation starts";
  incubation.from = StepEvent{"passage_01_incubate", StepPoint::kStart};
  incubation.to = StepEvent{"passage_01_check", StepPoint::kStart};
  incubation.min = "18 h";
  incubation.max = "30 h";
  definition.time_rules.push_back(incubation);
  definition.expiry_clocks.push_back(
      {"shelf_life", "Cryopreserved product expires 12 months after formulation",
       StepEvent{"formulation_reconcile", StepPoint::kEnd}, "365 d"});
  return definition;
}

// The demo site's documents and materials, as the store answers for them: what the domain import
// is given in memory.
recipes::References InMemoryReferences() {
  static const std::map<std::string, recipes::DocumentReference, std::less<>> kDocuments{
      {"SOP-CT-002", {}}, {"SOP-CT-003", {}}, {"SOP-CT-004", {}}, {"SOP-CT-005", {}},
      {"SOP-CT-006", {}}, {"SOP-CT-007", {}}, {"SOP-CT-008", {}}, {"WI-CT-012", {}}};
  static const std::map<std::string, recipes::MaterialReference, std::less<>> kMaterials{
      {"MAT-MEDIUM", {"mL"}}, {"MAT-IL7", {"ug"}},     {"MAT-IL15", {"ug"}},
      {"MAT-CRYO", {"mL"}},   {"MAT-CD3CD28", {"mL"}}, {"MAT-APHERESIS", {"mL"}}};
  recipes::References references;
  references.document = [](std::string_view id) -> std::optional<recipes::DocumentReference> {
    auto found = kDocuments.find(id);
    if (found == kDocuments.end()) return std::nullopt;
    return found->second;
  };
  references.material = [](std::string_view id) -> std::optional<recipes::MaterialReference> {
    auto found = kMaterials.find(id);
    if (found == kMaterials.end()) return std::nullopt;
    return found->second;
  };
  return references;
}

// Stops the benchmark when `problems` is not empty, printing the first 20 of them.
void MustHaveNoProblems(const std::vector<recipes::Problem>& problems, const char* what) {
  if (problems.empty()) return;
  std::fprintf(stderr, "%s: %zu problems in a definition built to be valid:\n", what,
               problems.size());
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) {
    std::fprintf(stderr, "  %s: %s\n", problems[i].pointer.c_str(), problems[i].message.c_str());
  }
  ALIQUOT_CHECK(false);
}

// The domain import as RecipeService runs it for a definition file: parse (positions are recorded
// only for a file with problems, in a second parse that places them), read, validate. Returns the
// definition; stops the benchmark on any problem.
Definition ImportInDomain(const std::string& text, const recipes::References& references) {
  const Json json = Must(ParseYaml(text), "ParseYaml");
  std::vector<recipes::Problem> problems;
  Definition definition = recipes::DefinitionFromJson(json, problems);
  MustHaveNoProblems(problems, "DefinitionFromJson");
  MustHaveNoProblems(recipes::ValidateDefinition(definition, references), "ValidateDefinition");
  return definition;
}

// The definition and its texts, built once.
struct DefinitionFile {
  Definition definition;
  std::string yaml;       // The definition file.
  std::string json_text;  // The same as canonical JSON: the limit's input.
  Json parsed;            // The file parsed, for DefinitionFromJson alone.
  recipes::References references = InMemoryReferences();
};

std::unique_ptr<DefinitionFile> the_file;

DefinitionFile& TheFile() {
  if (the_file) return *the_file;
  auto file = std::make_unique<DefinitionFile>();
  file->definition = MakeDefinition(kRecord);
  const Json json = recipes::DefinitionToJson(file->definition);
  file->yaml = EmitYaml(json);
  file->json_text = CanonicalJson(json);
  file->parsed = Must(ParseYaml(file->yaml), "ParseYaml");
  ALIQUOT_CHECK_MSG(file->parsed == json, "the definition file does not read back as written");
  const Definition read = ImportInDomain(file->yaml, file->references);
  ALIQUOT_CHECK_MSG(read == file->definition, "the definition does not read back as built");

  const Definition& d = file->definition;
  std::size_t steps = 0, parameters = 0, calculations = 0, lines = 0, samples = 0;
  for (const recipes::UnitProcedure& unit : d.unit_procedures) {
    for (const Step& step : unit.operations) {
      ++steps;
      parameters += step.parameters.size();
      calculations += step.calculations.size();
      lines += step.materials.size();
      samples += step.samples.size();
    }
  }
  ALIQUOT_CHECK(steps == static_cast<std::size_t>(kUnitProcedures * kStepsPerUnitProcedure));
  const auto text_lines = std::count(file->yaml.begin(), file->yaml.end(), '\n');
  std::printf(
      "Definition: %zu unit procedures, %zu steps, %zu parameters, %zu calculations, %zu material "
      "lines, %zu samples, %zu time rules, %zu expiry clock; no problems.\n"
      "  The file: %.1f KB of YAML (%s lines); as canonical JSON %.1f KB.\n",
      d.unit_procedures.size(), steps, parameters, calculations, lines, samples,
      d.time_rules.size(), d.expiry_clocks.size(), static_cast<double>(file->yaml.size()) / 1024,
      ThousandsSeparated(static_cast<double>(text_lines)).c_str(),
      static_cast<double>(file->json_text.size()) / 1024);
  std::fflush(stdout);
  Record("yaml_kb", static_cast<double>(file->yaml.size()) / 1024);
  Record("json_kb", static_cast<double>(file->json_text.size()) / 1024);
  the_file = std::move(file);
  return *the_file;
}

// ---------------------------------------------------------------------------------------------
// 1. The domain import: ParseYaml + DefinitionFromJson + ValidateDefinition (the figure);
// ParseJson of the same definition as canonical JSON (its limit); each stage alone; and two
// diagnostics: ParseYaml with positions (what a file with problems costs again to place them),
// and SHA-256 of the file's bytes (reading them at all). Interleaved call by call, in an order that
// rotates from call to call.

enum DomainKind : std::size_t {
  kImport,
  kParseYaml,
  kRead,
  kValidate,
  kParseJson,
  kParseYamlWithPositions,
  kHash,
  kDomainKinds,
};

void DomainBench(benchmark::State& state) {
  DefinitionFile& file = TheFile();
  std::array<std::function<void()>, kDomainKinds> kinds;
  kinds[kImport] = [&] {
    benchmark::DoNotOptimize(ImportInDomain(file.yaml, file.references).Steps().size());
  };
  kinds[kParseYaml] = [&] {
    const Json json = Must(ParseYaml(file.yaml), "ParseYaml");
    benchmark::DoNotOptimize(json.IsObject());
  };
  kinds[kRead] = [&] {
    std::vector<recipes::Problem> problems;
    const Definition definition = recipes::DefinitionFromJson(file.parsed, problems);
    ALIQUOT_CHECK(problems.empty());
    benchmark::DoNotOptimize(definition.unit_procedures.size());
  };
  kinds[kValidate] = [&] {
    ALIQUOT_CHECK(recipes::ValidateDefinition(file.definition, file.references).empty());
  };
  kinds[kParseJson] = [&] {
    const Json json = Must(ParseJson(file.json_text), "ParseJson");
    benchmark::DoNotOptimize(json.IsObject());
  };
  kinds[kParseYamlWithPositions] = [&] {
    YamlPositions positions;
    const Json json = Must(ParseYaml(file.yaml, &positions), "ParseYaml");
    benchmark::DoNotOptimize(json.IsObject());
  };
  kinds[kHash] = [&] { benchmark::DoNotOptimize(Sha256::Of(file.yaml).bytes[0]); };
  for (int i = 0; i < 3; ++i) {  // Warm the allocator and the caches.
    for (const auto& kind : kinds) kind();
  }

  const std::int64_t per_round = Scaled(kDomainCallsPerRound);
  std::array<Samples, kDomainKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kDomainKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        TimeCall(round[kind], kinds[kind]);
      }
    }
    const double import = Median(round[kImport].wall);
    const double limit = Median(round[kParseJson].wall);
    Record("domain_x_json", import / limit);
    state.counters["import_ms"] = import / 1000;
    state.counters["parse_json_ms"] = limit / 1000;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("domain", all[kImport]);
  RecordPercentiles("domain_parse", all[kParseYaml]);
  RecordPercentiles("domain_read", all[kRead]);
  RecordPercentiles("domain_validate", all[kValidate]);
  RecordPercentiles("json", all[kParseJson]);
  RecordPercentiles("yaml_positions", all[kParseYamlWithPositions]);
  RecordPercentiles("sha256", all[kHash]);
}

// ---------------------------------------------------------------------------------------------
// 2. The import through RecipeService on a real SQLite store, with the demo site in it (its
// people, the CAR-T documents and materials the definition refers to, its own master batch
// records), created through the services as `aliquot demo` does. dora, the demo's document owner,
// signs in at the QA workstation and imports.

struct World {
  testing::TempDir dir;
  testing::FakeClock clock;
  // The demo's history runs on its own clock, over the fake one (docs/demo.md).
  app::DemoClock demo{clock, app::DemoStart(clock.Now())};
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SecretKey credentials_key = SecretKey::Generate();
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<app::Services> services;
  app::RequestContext dora;
  int version = 0;           // The draft of kRecord that ReplaceDraft replaces.
  ledger::NewEvent drafted;  // The event ReplaceDraft appends, for the diagnostic.
  ledger::NewEvent limit;    // The same payload on a stream no projector reads.
  int records = 0;           // Master batch records made for ImportVersion so far.
};

std::unique_ptr<World> the_world;

World& TheWorld() {
  if (the_world) return *the_world;
  DefinitionFile& file = TheFile();
  auto world = std::make_unique<World>();
  const Steady::time_point began = Steady::now();
  world->store = Must(storage::SqliteStore::Open({(world->dir / "aliquot.sqlite").string(),
                                                  storage::OpenMode::kReadWriteCreate},
                                                 world->demo, *world->projector),
                      "opening the store");
  const Ed25519SigningKey checkpoint_key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{7});
  app::SystemService system(*world->store);
  (void)Must(system.Initialise({"Leiden Cell Therapy Unit",
                                checkpoint_key.PublicKey().KeyId().Hex(), "0.1.0-bench", "BENCH"}),
             "initialising");
  // The password hash at its minimum cost: signing in is identity_bench's figure, not this one's.
  world->services =
      Must(app::Services::Create(*world->store, *world->store, world->demo, world->credentials_key,
                                 {PasswordHashCost::Minimum(), app::kDefaultMaxUploadBytes}),
           "creating the services");
  MustSucceed(app::CreateDemoSite(*world->services, world->demo, "bench:recipe_bench",
                                  [](std::string_view) {}),
              "creating the demo site");
  world->dora =
      Must(world->services->Sessions().SignIn({std::string(app::kDemoQaTerminalToken), "dora",
                                               std::string(app::kDemoPassword), std::nullopt}),
           "signing in")
          .context;
  app::RecipeService& recipes = world->services->Recipes();
  recipes::ProductCommand product;
  product.id = std::string(kProduct);
  product.name = "Autologous anti-CD19 CAR-T cells, scale-out process";
  product.therapy = recipes::TherapyKind::kAutologous;
  product.description = "The CAR19 construct, expanded over twelve passages in closed bags";
  MustSucceed(recipes.DefineProduct(world->dora, product).transform([](bool) {}),
              "defining the product");
  MustSucceed(recipes.CreateMasterBatchRecord(
                  world->dora, {std::string(kRecord), std::string(kProduct),
                                "Autologous anti-CD19 CAR-T, closed-bag scale-out process"}),
              "creating the master batch record");
  app::ImportInput input;
  input.text = file.yaml;
  input.change_reason = std::string(kChangeReason);
  world->version = Must(recipes.ImportVersion(world->dora, std::string(kRecord), input),
                        "importing the first draft");

  // The event ReplaceDraft appends, decided as it decides it; and the same payload on a stream of
  // its own, which no projector reads: the durable append the import cannot go below.
  MustSucceed(world->store->Read([&](app::StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const recipes::MasterBatchRecordState record,
                             app::ExistingMasterBatchRecord(reader, std::string(kRecord)));
    ALIQUOT_ASSIGN_OR_RETURN(
        world->drafted,
        recipes::DraftVersion(record, world->version,
                              {file.definition, std::string(kChangeReason), std::nullopt},
                              world->clock.Now(), world->dora.Actor(), world->dora.terminal.id));
    return {};
  }),
              "deciding the draft event");
  world->limit = world->drafted;
  world->limit.stream = {"bench", "recipe_bench"};
  world->limit.event_type = "bench.payload_appended";
  const std::size_t payload = CanonicalJson(world->drafted.payload).size();
  const app::LedgerHead head = Must(world->store->Head(), "reading the head");
  std::printf(
      "Store: the demo site (%s events) and %s version %d, built in %.1f s; the draft event's "
      "payload is %.1f KB of canonical JSON.\n",
      ThousandsSeparated(static_cast<double>(head.size)).c_str(), std::string(kRecord).c_str(),
      world->version, Seconds(Steady::now() - began), static_cast<double>(payload) / 1024);
  std::fflush(stdout);
  Record("payload_kb", static_cast<double>(payload) / 1024);
  the_world = std::move(world);
  return *the_world;
}

enum StoreKind : std::size_t {
  kImportVersion,
  kReplaceDraft,
  kAppendSame,
  kAppendDrafted,
  kDomainInStore,
  kStoreKinds,
};

void StoreBench(benchmark::State& state) {
  DefinitionFile& file = TheFile();
  World& world = TheWorld();
  app::RecipeService& recipes = world.services->Recipes();
  // ImportVersion needs a record without a draft: each call gets a new one, made before the call
  // and not timed, with its own definition file (only master_batch_record differs).
  std::string record;
  app::ImportInput fresh;
  fresh.change_reason = std::string(kChangeReason);
  const auto prepare_fresh = [&] {
    char id[32];
    std::snprintf(id, sizeof id, "MBR-B200-%04d", ++world.records);
    record = id;
    MustSucceed(recipes.CreateMasterBatchRecord(
                    world.dora, {record, std::string(kProduct), "Scale-out process, copy"}),
                "creating a master batch record");
    Definition definition = file.definition;
    definition.master_batch_record = record;
    fresh.text = EmitYaml(recipes::DefinitionToJson(definition));
  };
  app::ImportInput replacement;
  replacement.text = file.yaml;
  replacement.change_reason = std::string(kChangeReason);
  std::array<std::function<void()>, kStoreKinds> kinds;
  kinds[kImportVersion] = [&] {
    ALIQUOT_CHECK(Must(recipes.ImportVersion(world.dora, record, fresh), "ImportVersion") == 1);
  };
  kinds[kReplaceDraft] = [&] {
    MustSucceed(recipes.ReplaceDraft(world.dora, std::string(kRecord), world.version, replacement),
                "ReplaceDraft");
  };
  kinds[kAppendSame] = [&] {
    app::AppendRequest request;
    request.events.push_back(world.limit);
    (void)Must(world.store->Append(request), "appending the same payload");
  };
  kinds[kAppendDrafted] = [&] {
    app::AppendRequest request;
    request.events.push_back(world.drafted);
    (void)Must(world.store->Append(request), "appending the draft event");
  };
  kinds[kDomainInStore] = [&] {
    benchmark::DoNotOptimize(ImportInDomain(file.yaml, file.references).Steps().size());
  };
  const auto run = [&](std::size_t kind, Samples& samples) {
    if (kind == kImportVersion) prepare_fresh();
    // The copies of the events are made outside the timed call, as a request's body would be.
    TimeCall(samples, kinds[kind]);
  };
  for (std::size_t k = 0; k < kinds.size(); ++k) {  // Warm the statements and the caches.
    Samples warm;
    run(k, warm);
  }

  const std::int64_t per_round = Scaled(kStoreCallsPerRound);
  std::array<Samples, kStoreKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kStoreKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        run(kind, round[kind]);
      }
    }
    const double import = Median(round[kImportVersion].wall);
    const double limit = Median(round[kAppendSame].wall);
    Record("store_x_append", import / limit);
    state.counters["import_ms"] = import / 1000;
    state.counters["append_ms"] = limit / 1000;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("import", all[kImportVersion]);
  RecordPercentiles("replace", all[kReplaceDraft]);
  RecordPercentiles("append", all[kAppendSame]);
  RecordPercentiles("append_drafted", all[kAppendDrafted]);
  RecordPercentiles("domain_in_store", all[kDomainInStore]);
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "12.3 / 45.6 ms": p50 and p99 of `name` (with `kind` "" for wall time, "_cpu" for CPU time).
std::string Spread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Millis(Figure(base + "_p50"));
  return p50.substr(0, p50.size() - 3) + " / " + Millis(Figure(base + "_p99"));
}

std::string Ratios(const std::string& figure, const std::string& limit, const char* kind) {
  return Times(Ratio(Figure(figure + kind + "_p50"), Figure(limit + kind + "_p50"))) + " / " +
         Times(Ratio(Figure(figure + kind + "_p99"), Figure(limit + kind + "_p99")));
}

void PrintSummary() {
  std::vector<Line> lines;
  const auto goal = [&lines](const std::string& title, const std::string& key) {
    const std::optional<double> p99 = Figure(key + "_p99");
    std::optional<bool> met;
    if (p99) met = *p99 < kGoalUs;
    lines.push_back({title + ", p99", Millis(p99), "goal 50 ms", Share(Ratio(p99, kGoalUs)),
                     "p99 < 50 ms", Met(met)});
  };
  // A figure's p50 / p99 and the same on CPU, beside `limit`'s.
  const auto paired = [&lines](const std::string& title, const std::string& key,
                               const std::string& limit_title, const std::string& limit) {
    lines.push_back({title, Spread(key, ""), limit_title + " " + Spread(limit, ""),
                     Ratios(key, limit, ""), "-", ""});
    lines.push_back({"    on CPU", Spread(key, "_cpu"), limit_title + " " + Spread(limit, "_cpu"),
                     Ratios(key, limit, "_cpu"), "-", ""});
  };
  const std::string size = Number(Figure("yaml_kb"), "KB");
  if (Figure("domain_p99")) {
    goal("domain import of the 200-step file (" + size + "): parse + read + validate", "domain");
    paired("  ParseYaml + DefinitionFromJson + ValidateDefinition, p50 / p99", "domain",
           "ParseJson, same as JSON", "json");
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure("domain_x_json")), "", "", "-", ""});
    paired("  stage: ParseYaml", "domain_parse", "ParseJson", "json");
    paired("  stage: DefinitionFromJson", "domain_read", "ParseJson", "json");
    paired("  stage: ValidateDefinition (references in memory)", "domain_validate", "ParseJson",
           "json");
    paired("  diagnostic: ParseYaml with positions", "yaml_positions", "ParseJson", "json");
    paired("  diagnostic: SHA-256 of the file's bytes", "sha256", "ParseJson", "json");
  }
  if (Figure("import_p99")) {
    const std::string payload = Number(Figure("payload_kb"), "KB");
    goal("import through RecipeService on SQLite: ImportVersion, a new MBR", "import");
    paired("  ImportVersion, p50 / p99", "import", "durable Append, same " + payload + " payload",
           "append");
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure("store_x_append")), "", "", "-", ""});
    goal("import through RecipeService on SQLite: ReplaceDraft of the draft", "replace");
    paired("  ReplaceDraft, p50 / p99", "replace", "durable Append", "append");
    paired("  diagnostic: the draft event appended directly (projected)", "append_drafted",
           "durable Append", "append");
    paired("  diagnostic: the domain import, in the same rounds", "domain_in_store",
           "durable Append", "append");
  }
  std::printf(
      "\nSummary: p50 / p99 over every call of a run (medians over repetitions); ratios are of "
      "p50s / p99s, or the median of the rounds' ratios of medians:\n");
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the rounds and the calls per round (the
// definition keeps its 200 steps).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv, {{"--scale=", [](std::string_view value) {
                               scale = std::stod(std::string(value));
                               ALIQUOT_CHECK_MSG(scale >= 0.01, "--scale must be at least 0.01");
                             }}});
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

  benchmark::RegisterBenchmark("recipe_import_domain", DomainBench)
      ->Iterations(Scaled(kDomainRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("recipe_import_store", StoreBench)
      ->Iterations(Scaled(kStoreRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_world.reset();
  the_file.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
