#include "aliquot/domain/recipes/definition.h"

#include <cmath>
#include <cstddef>
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
#include "aliquot/core/yaml.h"

namespace aliquot::recipes {
namespace {

// ---------------------------------------------------------------------------------------------
// A small autologous CAR-T process (docs/recipes.md, cgt-primer.md): three unit procedures of
// seven steps, parameters of every kind, calculations within and across steps and from a batch
// input, a hold time, an expiry clock and a BOM line scaled to the patient.

ParameterDefinition Number(std::string id, std::string name, std::string unit,
                           Criticality criticality, Limits action, Limits alert = {},
                           std::optional<double> target = std::nullopt) {
  ParameterDefinition parameter;
  parameter.id = std::move(id);
  parameter.name = std::move(name);
  parameter.kind = ParameterKind::kNumber;
  parameter.unit = std::move(unit);
  parameter.criticality = criticality;
  parameter.action = action;
  parameter.alert = alert;
  parameter.target = target;
  return parameter;
}

ParameterDefinition OfKind(std::string id, std::string name, ParameterKind kind,
                           Criticality criticality) {
  ParameterDefinition parameter;
  parameter.id = std::move(id);
  parameter.name = std::move(name);
  parameter.kind = kind;
  parameter.criticality = criticality;
  return parameter;
}

Calculation Calculated(std::string id, std::string name, std::string formula, std::string unit,
                       Criticality criticality, Limits action = {}) {
  Calculation calculation;
  calculation.id = std::move(id);
  calculation.name = std::move(name);
  calculation.formula = std::move(formula);
  calculation.unit = std::move(unit);
  calculation.criticality = criticality;
  calculation.action = action;
  return calculation;
}

Step MakeStep(std::string id, std::string name, std::string sop) {
  Step step;
  step.id = std::move(id);
  step.name = std::move(name);
  step.sop = std::move(sop);
  step.instructions = "Work in the biosafety cabinet.\nRecord every value as it is read.\n";
  return step;
}

constexpr Criticality kCpp = Criticality::kCriticalProcessParameter;
constexpr Criticality kKpp = Criticality::kKeyProcessParameter;
constexpr Criticality kCqa = Criticality::kCriticalQualityAttribute;
constexpr Criticality kInfo = Criticality::kInformational;

Definition CarT() {
  Definition definition;
  definition.master_batch_record = "MBR-CAR19";
  definition.product = "CAR19";
  definition.title = "Autologous anti-CD19 CAR-T, 1 L closed bag process";
  definition.batch_size = "One patient dose from one apheresis collection (1 L culture)";
  definition.phases = {ClinicalPhase::kPhase2, ClinicalPhase::kPhase3};

  definition.batch_inputs.push_back(
      Number("body_weight", "Patient body weight", "kg", kKpp, {30, 150}));
  ParameterDefinition bags =
      OfKind("bags_received", "Apheresis bags received", ParameterKind::kInteger, kKpp);
  bags.unit = "bags";
  bags.action = {1, 3};
  definition.batch_inputs.push_back(bags);

  definition.identifiers.push_back(
      {"patient_code", "Patient code (COI)", IdentifierFormat::kCoiCode});
  definition.identifiers.push_back(
      {"collection_id", "Apheresis collection number", IdentifierFormat::kText});

  // Unit procedure 1: receipt and enrichment.
  Step receipt =
      MakeStep("apheresis_receipt", "Receive and inspect the apheresis bag", "SOP-CT-002");
  receipt.after = std::vector<std::string>{};
  receipt.equipment = {"biosafety_cabinet"};
  receipt.scan_identity = {"patient_code", "collection_id"};
  receipt.verification = Verification::kSecondPerson;
  receipt.min_duration = "10 min";
  receipt.max_duration = "2 h";
  receipt.parameters.push_back(
      Number("shipping_temperature", "Shipping temperature", "C", kCpp, {2, 8}, {3, 7}, 5));
  receipt.parameters.push_back(
      Number("hours_since_collection", "Time since collection", "h", kCpp, {0, 72}));
  ParameterDefinition appearance =
      OfKind("appearance", "Bag appearance", ParameterKind::kChoice, kKpp);
  appearance.options = {"intact", "damaged", "leaking"};
  appearance.acceptable = {"intact"};
  receipt.parameters.push_back(appearance);
  ParameterDefinition seals = OfKind("seal_intact", "Seals intact", ParameterKind::kBoolean, kCpp);
  seals.expected = true;
  receipt.parameters.push_back(seals);
  receipt.parameters.push_back(
      OfKind("received_at", "Received at", ParameterKind::kTimestamp, kInfo));
  receipt.parameters.push_back(OfKind("bag_label", "Bag label", ParameterKind::kIdentifier, kCpp));
  ParameterDefinition notes = OfKind("notes", "Notes", ParameterKind::kText, kInfo);
  notes.requirement = Requirement::kOptional;
  receipt.parameters.push_back(notes);
  receipt.samples.push_back({"incoming_count", "Incoming count and viability", "1 mL",
                             "Total nucleated cells, viability, CD3+ % (SOP-CT-004)"});

  Step enrichment = MakeStep("enrichment", "T-cell enrichment", "SOP-CT-003");
  enrichment.equipment = {"cell_processing_system"};
  enrichment.parameters.push_back(
      Number("viable_concentration", "Viable cell concentration", "cells/mL", kCpp, {1e6, 1e8}));
  enrichment.parameters.push_back(Number("volume", "Volume", "mL", kKpp, {50, 500}));
  ParameterDefinition viability =
      Number("viability", "Viability", "%", kCpp, {.low = 70}, {.low = 80}, 92);
  viability.source = ParameterSource{"cell_counter", "viability"};
  enrichment.parameters.push_back(viability);
  enrichment.calculations.push_back(Calculated("total_viable_cells", "Total viable cells",
                                               "viable_concentration * volume", "cells", kCpp,
                                               {.low = 5e8}));

  // Unit procedure 2: activation, transduction, expansion.
  Step activation = MakeStep("activation", "Activation with anti-CD3/CD28", "SOP-CT-005");
  activation.equipment = {"biosafety_cabinet", "incubator"};
  activation.materials.push_back({"MAT-MEDIUM", "1000 mL", "5 %"});
  activation.materials.push_back({"MAT-ACTIVATOR", "10 mL", "0.5 mL"});
  activation.parameters.push_back(Number("seeding_density", "Seeding density", "cells/mL", kCpp,
                                         {0.5e6, 1.5e6}, {0.8e6, 1.2e6}, 1e6));

  Step transduction = MakeStep("transduction", "Lentiviral transduction", "SOP-CT-005");
  transduction.materials.push_back({"MAT-VECTOR", "2 vials", ""});
  transduction.parameters.push_back(Number("moi", "Multiplicity of infection", "1", kCpp, {1, 5}));
  ParameterDefinition vials =
      OfKind("vector_vials", "Vector vials thawed", ParameterKind::kInteger, kKpp);
  vials.unit = "vials";
  vials.action = {1, 4};
  transduction.parameters.push_back(vials);

  Step expansion = MakeStep("expansion", "Expansion in the bioreactor", "SOP-CT-006");
  expansion.equipment = {"bioreactor"};
  expansion.min_duration = "5 d";
  expansion.max_duration = "12 d";
  ParameterDefinition temperature =
      Number("temperature", "Culture temperature", "C", kCpp, {36.5, 37.5}, {36.7, 37.3}, 37);
  temperature.source = ParameterSource{"bioreactor", "temperature"};
  expansion.parameters.push_back(temperature);
  expansion.parameters.push_back(Number("final_viable_concentration", "Final viable concentration",
                                        "cells/mL", kCpp, {5e5, 1e8}));
  expansion.parameters.push_back(Number("final_volume", "Final volume", "mL", kKpp, {500, 1100}));
  expansion.calculations.push_back(Calculated("final_cells", "Final viable cells",
                                              "final_viable_concentration * final_volume", "cells",
                                              kCpp, {.low = 1e9}));
  expansion.calculations.push_back(Calculated("fold_expansion", "Fold expansion",
                                              "final_cells / enrichment.total_viable_cells", "1",
                                              kInfo));

  // Unit procedure 3: formulation, fill and freezing.
  Step formulation = MakeStep("formulation", "Formulation and fill", "SOP-CT-007");
  formulation.equipment = {"biosafety_cabinet", "tube_sealer"};
  formulation.scan_identity = {"patient_code"};
  formulation.verification = Verification::kSecondPerson;
  formulation.materials.push_back({"MAT-CRYO", "0.5 [mL/kg] * batch.body_weight", "2 %"});
  formulation.parameters.push_back(
      Number("car_positive", "CAR+ cells", "%", kCqa, {.low = 15, .high = 100}));
  formulation.calculations.push_back(Calculated("car_positive_cells", "CAR+ viable cells",
                                                "expansion.final_cells * car_positive", "cells",
                                                kCqa, {.low = 1e8}));
  formulation.calculations.push_back(Calculated("dose_per_kg", "Dose per kg body weight",
                                                "car_positive_cells / batch.body_weight",
                                                "cells/kg", kCqa, {.high = 2e8}));

  Step freezing = MakeStep("cryopreservation", "Controlled-rate freezing", "SOP-CT-008");
  freezing.equipment = {"controlled_rate_freezer"};
  freezing.parameters.push_back(
      Number("end_temperature", "Chamber temperature at end", "C", kCpp, {.high = -80}));

  definition.unit_procedures.push_back(
      {"receipt", "Apheresis receipt and T-cell enrichment", {receipt, enrichment}});
  definition.unit_procedures.push_back({"expansion_phase",
                                        "Activation, transduction and expansion",
                                        {activation, transduction, expansion}});
  definition.unit_procedures.push_back(
      {"fill", "Formulation, fill and cryopreservation", {formulation, freezing}});

  definition.time_rules.push_back({"transduction_window",
                                   "Transduction starts 18-30 h after activation",
                                   {"activation", StepPoint::kEnd},
                                   {"transduction", StepPoint::kStart},
                                   "18 h",
                                   "30 h"});
  definition.expiry_clocks.push_back({"dmso_exposure",
                                      "Formulated cells frozen within 60 min of DMSO addition",
                                      {"formulation", StepPoint::kEnd},
                                      "60 min"});
  return definition;
}

References SiteReferences() {
  References references;
  references.document = [](std::string_view id) -> std::optional<DocumentReference> {
    if (id == "SOP-CT-050") return DocumentReference{"SOP-CT-050 was retired on 2026-03-01"};
    static const std::vector<std::string_view> kEffective = {
        "SOP-CT-002", "SOP-CT-003", "SOP-CT-004", "SOP-CT-005",
        "SOP-CT-006", "SOP-CT-007", "SOP-CT-008"};
    for (std::string_view known : kEffective) {
      if (known == id) return DocumentReference{};
    }
    return std::nullopt;
  };
  references.material = [](std::string_view id) -> std::optional<MaterialReference> {
    static const std::map<std::string, std::string, std::less<>> kUnits = {
        {"MAT-MEDIUM", "mL"}, {"MAT-ACTIVATOR", "mL"}, {"MAT-CRYO", "mL"}, {"MAT-VECTOR", "vials"}};
    auto found = kUnits.find(id);
    if (found == kUnits.end()) return std::nullopt;
    return MaterialReference{found->second};
  };
  references.product = [](std::string_view id) -> std::optional<ProductReference> {
    if (id == "CAR19") return ProductReference{true};
    if (id == "ALLO7") return ProductReference{false};
    return std::nullopt;
  };
  return references;
}

Step& StepOf(Definition& definition, std::string_view id) {
  for (UnitProcedure& procedure : definition.unit_procedures) {
    for (Step& step : procedure.operations) {
      if (step.id == id) return step;
    }
  }
  ADD_FAILURE() << "no step " << id;
  return definition.unit_procedures[0].operations[0];
}

std::string Describe(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& problem : problems) {
    out += "\n  " + problem.pointer + ": " + problem.message;
  }
  return out.empty() ? "\n  (none)" : out;
}

// True when a problem sits at `pointer` and its message holds every one of `words`.
::testing::AssertionResult HasProblem(const std::vector<Problem>& problems,
                                      std::string_view pointer,
                                      const std::vector<std::string_view>& words) {
  for (const Problem& problem : problems) {
    if (problem.pointer != pointer) continue;
    bool all = true;
    for (std::string_view word : words) {
      if (problem.message.find(word) == std::string::npos) all = false;
    }
    if (all) return ::testing::AssertionSuccess();
  }
  std::string wanted;
  for (std::string_view word : words) wanted += " [" + std::string(word) + "]";
  return ::testing::AssertionFailure() << "no problem at " << pointer << " with" << wanted
                                       << "; the problems:" << Describe(problems);
}

std::vector<Problem> Validated(const Definition& definition) {
  return ValidateDefinition(definition, SiteReferences());
}

std::vector<Problem> Read(const Json& json, Definition* out = nullptr) {
  std::vector<Problem> problems;
  Definition definition = DefinitionFromJson(json, problems);
  if (out != nullptr) *out = std::move(definition);
  return problems;
}

// The member `key` of an object, to change a definition's JSON in place.
Json& At(Json& json, std::string_view key) {
  for (auto& [name, value] : json.AsObject()) {
    if (name == key) return value;
  }
  ADD_FAILURE() << "no member " << key;
  return json;
}

constexpr std::string_view kReceiptStep = "/unit_procedures/0/operations/0";
constexpr std::string_view kEnrichmentStep = "/unit_procedures/0/operations/1";
constexpr std::string_view kActivationStep = "/unit_procedures/1/operations/0";
constexpr std::string_view kTransductionStep = "/unit_procedures/1/operations/1";
constexpr std::string_view kExpansionStep = "/unit_procedures/1/operations/2";
constexpr std::string_view kFormulationStep = "/unit_procedures/2/operations/0";

std::string Path(std::string_view step, std::string_view rest) {
  return std::string(step) + std::string(rest);
}

// ---------------------------------------------------------------------------------------------
// A whole process

// Verifies G-01, S88-01, G-03, A11-01, T-01, T-02: a realistic process passes every check.
TEST(Definition, ARealisticCarTProcessHasNoProblems) {
  const std::vector<Problem> problems = Validated(CarT());
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

TEST(Definition, FindsStepsByIdAndListsThemInFileOrder) {
  const Definition definition = CarT();
  const std::vector<const Step*> steps = definition.Steps();
  ASSERT_EQ(steps.size(), 7U);
  EXPECT_EQ(steps[0]->id, "apheresis_receipt");
  EXPECT_EQ(steps[2]->id, "activation");
  EXPECT_EQ(steps[6]->id, "cryopreservation");
  ASSERT_NE(definition.FindStep("expansion"), nullptr);
  EXPECT_EQ(definition.FindStep("expansion")->name, "Expansion in the bioreactor");
  EXPECT_EQ(definition.FindStep("harvest"), nullptr);
}

TEST(Definition, EnumNamesReadBothWays) {
  EXPECT_EQ(ClinicalPhaseName(ClinicalPhase::kPhase1), "phase_1");
  EXPECT_EQ(ClinicalPhaseFromName("commercial"), ClinicalPhase::kCommercial);
  EXPECT_EQ(ParameterKindName(ParameterKind::kIdentifier), "identifier");
  EXPECT_EQ(ParameterKindFromName("choice"), ParameterKind::kChoice);
  EXPECT_EQ(CriticalityName(Criticality::kCriticalQualityAttribute), "cqa");
  EXPECT_EQ(CriticalityFromName("kpp"), Criticality::kKeyProcessParameter);
  EXPECT_EQ(IdentifierFormatName(IdentifierFormat::kCoiCode), "coi_code");
  EXPECT_EQ(IdentifierFormatFromName("text"), IdentifierFormat::kText);
  EXPECT_EQ(ParameterKindFromName("decimal"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// The JSON form

TEST(DefinitionJson, WritesMembersInTheDocumentedOrderWithDefaultsLeftOut) {
  const Json json = DefinitionToJson(CarT());
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.AsObject()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"format", "master_batch_record", "product", "title",
                                            "batch_size", "phases", "batch_inputs", "identifiers",
                                            "unit_procedures", "time_rules", "expiry_clocks"}));
  ASSERT_NE(json.Find("format"), nullptr);
  EXPECT_EQ(*json.Find("format"), Json(kDefinitionFormat));

  const Json& receipt = json.Find("unit_procedures")->AsArray()[0].Find("operations")->AsArray()[0];
  keys.clear();
  for (const auto& [key, value] : receipt.AsObject()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "name", "sop", "instructions", "after",
                                            "equipment", "scan_identity", "verification",
                                            "duration", "parameters", "samples"}));
  EXPECT_EQ(*receipt.Find("after"), Json::MakeArray());
  EXPECT_EQ(*receipt.Find("duration"), ParseJson(R"({"min": "10 min", "max": "2 h"})").value());

  const Json& temperature = receipt.Find("parameters")->AsArray()[0];
  keys.clear();
  for (const auto& [key, value] : temperature.AsObject()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "name", "kind", "unit", "criticality", "target",
                                            "alert", "action"}));
  // required: true and verification: none are defaults, so not written; required: false is.
  const Json& notes = receipt.Find("parameters")->AsArray()[6];
  EXPECT_EQ(*notes.Find("required"), Json(false));
  EXPECT_EQ(temperature.Find("required"), nullptr);
  const Json& enrichment =
      json.Find("unit_procedures")->AsArray()[0].Find("operations")->AsArray()[1];
  EXPECT_EQ(enrichment.Find("after"), nullptr);
  EXPECT_EQ(enrichment.Find("verification"), nullptr);
  EXPECT_EQ(*enrichment.Find("parameters")->AsArray()[2].Find("alert"),
            ParseJson(R"({"low": 80})").value());
}

TEST(DefinitionJson, ReadsBackWhatItWrote) {
  const Definition definition = CarT();
  Definition read;
  const std::vector<Problem> problems = Read(DefinitionToJson(definition), &read);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
  EXPECT_EQ(read, definition);
}

// Verifies A11-01: the second check of a step's critical entries is part of the approved record.
TEST(DefinitionJson, KeepsTheSecondPersonCheckOfAStep) {
  const Json json = DefinitionToJson(CarT());
  const Json& receipt = json.Find("unit_procedures")->AsArray()[0].Find("operations")->AsArray()[0];
  EXPECT_EQ(*receipt.Find("verification"), Json("second_person"));
  Definition read;
  EXPECT_TRUE(Read(json, &read).empty());
  EXPECT_EQ(read.FindStep("apheresis_receipt")->verification, Verification::kSecondPerson);
  EXPECT_EQ(read.FindStep("enrichment")->verification, Verification::kNone);
}

// Verifies T-01, T-02: the chain-of-identity identifiers, their formats and where they are
// scanned travel with the definition.
TEST(DefinitionJson, KeepsTheIdentifiersAndWhereTheyAreScanned) {
  const Json json = DefinitionToJson(CarT());
  EXPECT_EQ(
      *json.Find("identifiers"),
      ParseJson(R"json([{"id": "patient_code", "name": "Patient code (COI)", "format": "coi_code"
},
                          {"id": "collection_id", "name": "Apheresis collection number",
                           "format": "text"}])json")
          .value());
  Definition read;
  EXPECT_TRUE(Read(json, &read).empty());
  EXPECT_EQ(read.FindStep("formulation")->scan_identity, std::vector<std::string>{"patient_code"});
}

TEST(DefinitionJson, RefusesAFieldThatIsNotPartOfTheFormat) {
  Json json = DefinitionToJson(CarT());
  Json& receipt = At(At(json, "unit_procedures").AsArray()[0], "operations").AsArray()[0];
  At(receipt, "parameters").AsArray()[0].Set("colour", "red");
  json.Set("owner", "sam");
  const std::vector<Problem> problems = Read(json);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/0/colour"),
                         {"'colour' is not a field of a parameter",
                          "the fields are id, name, kind, unit, criticality"}));
  EXPECT_TRUE(HasProblem(problems, "/owner", {"'owner' is not a field of the definition"}));
  EXPECT_EQ(problems.size(), 2U) << Describe(problems);
}

TEST(DefinitionJson, RefusesAMissingRequiredMemberAtItsParent) {
  Json json = DefinitionToJson(CarT());
  Json& receipt = At(At(json, "unit_procedures").AsArray()[0], "operations").AsArray()[0];
  Json::Object& parameter = At(receipt, "parameters").AsArray()[1].AsObject();
  std::erase_if(parameter, [](const auto& member) { return member.first == "kind"; });
  std::erase_if(json.AsObject(), [](const auto& member) { return member.first == "title"; });
  const std::vector<Problem> problems = Read(json);
  EXPECT_TRUE(HasProblem(problems, "", {"'title' is missing"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/1"),
                         {"'kind' is missing", "parameter"}));
}

TEST(DefinitionJson, RefusesAValueOfTheWrongTypeSayingWhatItMustBe) {
  Json json = DefinitionToJson(CarT());
  Json& receipt = At(At(json, "unit_procedures").AsArray()[0], "operations").AsArray()[0];
  Json& parameter = At(receipt, "parameters").AsArray()[0];
  At(parameter, "target") = "five";
  At(parameter, "name") = 12;
  At(receipt, "equipment") = "biosafety_cabinet";
  const std::vector<Problem> problems = Read(json);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/0/target"),
                         {"'target' must be a number, not text"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/0/name"),
                         {"'name' must be text, not a number", "quotes"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/equipment"),
                         {"'equipment' must be a list, not text"}));
}

TEST(DefinitionJson, RefusesAnUnknownNameListingTheKnownOnes) {
  Json json = DefinitionToJson(CarT());
  Json& receipt = At(At(json, "unit_procedures").AsArray()[0], "operations").AsArray()[0];
  At(At(receipt, "parameters").AsArray()[0], "kind") = "decimal";
  At(json, "phases").AsArray()[1] = "phase_4";
  const std::vector<Problem> problems = Read(json);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/0/kind"),
                         {"'decimal' is not a valid 'kind'",
                          "number, integer, text, choice, boolean, timestamp, "
                          "identifier"}));
  EXPECT_TRUE(
      HasProblem(problems, "/phases/1", {"'phase_4'", "phase_1, phase_2, phase_3, commercial"}));
}

TEST(DefinitionJson, RefusesAnotherFormat) {
  Json json = DefinitionToJson(CarT());
  At(json, "format") = "aliquot.mbr/2";
  EXPECT_TRUE(HasProblem(Read(json), "/format", {"'aliquot.mbr/2'", "aliquot.mbr/1"}));
}

TEST(DefinitionJson, KeepsReadingAfterAProblemAndEscapesPointers) {
  Json json = DefinitionToJson(CarT());
  json.Set("a/b~c", 1);
  Json& receipt = At(At(json, "unit_procedures").AsArray()[0], "operations").AsArray()[0];
  At(receipt, "verification") = "third_person";
  Definition read;
  const std::vector<Problem> problems = Read(json, &read);
  EXPECT_TRUE(HasProblem(problems, "/a~1b~0c", {"'a/b~c' is not a field"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/verification"),
                         {"'third_person'", "none, second_person"}));
  EXPECT_EQ(read.expiry_clocks, CarT().expiry_clocks);
}

TEST(DefinitionJson, RefusesADefinitionThatIsNotAMapping) {
  EXPECT_TRUE(HasProblem(Read(Json("hello")), "", {"must be a mapping", "not text"}));
}

// ---------------------------------------------------------------------------------------------
// Validation: each refusal at its pointer

// Verifies S88-01: the order of operations is a graph without cycles.
TEST(DefinitionValidation, RefusesStepsThatWaitForEachOtherNamingTheCycle) {
  Definition definition = CarT();
  StepOf(definition, "activation").after = std::vector<std::string>{"expansion"};
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/after"),
                         {"cycle", "activation -> transduction -> expansion -> activation"}));
  std::size_t cycles = 0;
  for (const Problem& problem : problems) {
    if (problem.message.find("cycle") != std::string::npos) ++cycles;
  }
  EXPECT_EQ(cycles, 1U) << Describe(problems);
}

TEST(DefinitionValidation, RefusesAfterNamingAnUnknownStepOrItself) {
  Definition definition = CarT();
  StepOf(definition, "transduction").after = std::vector<std::string>{"activaton", "transduction"};
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(
      HasProblem(problems, Path(kTransductionStep, "/after/0"), {"'activaton' is not a step"}));
  EXPECT_TRUE(HasProblem(problems, Path(kTransductionStep, "/after/1"), {"itself"}));
}

TEST(DefinitionValidation, RefusesAlertLimitsOutsideTheActionLimits) {
  Definition definition = CarT();
  StepOf(definition, "expansion").parameters[0].alert = {36.0, 38.0};
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kExpansionStep, "/parameters/0/alert"),
                         {"the alert limits 36-38 C lie outside the action limits 36.5-37.5 C",
                          "must lie inside them"}));
  EXPECT_EQ(problems.size(), 1U) << Describe(problems);
}

TEST(DefinitionValidation, RefusesInvertedLimitsAndATargetOutsideThem) {
  Definition definition = CarT();
  ParameterDefinition& temperature = StepOf(definition, "expansion").parameters[0];
  temperature.action = {37.5, 36.5};
  temperature.alert = {};
  temperature.target = 39;
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kExpansionStep, "/parameters/0/action"),
                         {"low limit 37.5 is above its high limit 36.5"}));
  EXPECT_TRUE(HasProblem(problems, Path(kExpansionStep, "/parameters/0/target"),
                         {"target 39 C", "outside the action limits"}));
}

// Verifies G-01: a critical parameter states when a value is a deviation.
TEST(DefinitionValidation, RefusesACriticalNumberWithoutActionLimits) {
  Definition definition = CarT();
  StepOf(definition, "enrichment").parameters[2].action = {};
  StepOf(definition, "enrichment").parameters[2].alert = {};
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kEnrichmentStep, "/parameters/2/action"),
                         {"critical process parameter needs action limits"}));
}

TEST(DefinitionValidation, RefusesUnitsThatDoNotFitTheKind) {
  Definition definition = CarT();
  Step& transduction = StepOf(definition, "transduction");
  transduction.parameters[1].unit = "mL";  // An integer in a volume.
  Step& receipt = StepOf(definition, "apheresis_receipt");
  receipt.parameters[6].unit = "mL";  // Text with a unit.
  receipt.parameters[0].unit = "";    // A number without one.
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kTransductionStep, "/parameters/1/unit"),
                         {"'mL'", "not a count", "'vials'"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/6/unit"),
                         {"a text parameter takes no unit"}));
  EXPECT_TRUE(
      HasProblem(problems, Path(kReceiptStep, "/parameters/0/unit"), {"a number needs a unit"}));
}

TEST(DefinitionValidation, RefusesAUnitThatDoesNotParse) {
  Definition definition = CarT();
  StepOf(definition, "enrichment").parameters[1].unit = "mLL";
  EXPECT_TRUE(
      HasProblem(Validated(definition), Path(kEnrichmentStep, "/parameters/1/unit"), {"'mLL'"}));
}

TEST(DefinitionValidation, RefusesLimitsOnKindsThatHaveNone) {
  Definition definition = CarT();
  Step& receipt = StepOf(definition, "apheresis_receipt");
  receipt.parameters[2].action = {.low = 1};
  receipt.parameters[3].options = {"yes"};
  receipt.parameters[2].expected = true;
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/2/action"),
                         {"only numbers and integers have limits"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/3/options"),
                         {"only a choice has options"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/2/expected"),
                         {"only a boolean has an expected answer"}));
}

TEST(DefinitionValidation, RefusesChoicesWithoutOptionsOrWithAcceptableOnesNotAmongThem) {
  Definition definition = CarT();
  ParameterDefinition& appearance = StepOf(definition, "apheresis_receipt").parameters[2];
  appearance.options = {"intact", "damaged", "intact"};
  appearance.acceptable = {"clean"};
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/2/options/2"),
                         {"'intact' is listed twice"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/parameters/2/acceptable/0"),
                         {"'clean' is not one of the options"}));
}

TEST(DefinitionValidation, RefusesIntegerLimitsThatAreNotWholeNumbers) {
  Definition definition = CarT();
  StepOf(definition, "transduction").parameters[1].action = {1, 4.5};
  EXPECT_TRUE(HasProblem(Validated(definition),
                         Path(kTransductionStep, "/parameters/1/action/high"),
                         {"4.5 is not a whole number"}));
}

// Verifies G-03: a calculation uses only values it can know.
TEST(DefinitionValidation, RefusesAFormulaWithAnUnknownName) {
  Definition definition = CarT();
  StepOf(definition, "enrichment").calculations[0].formula = "viable_concentration * volum";
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kEnrichmentStep, "/calculations/0/formula"),
                         {"'volum' is not a parameter or calculation of step enrichment"}));
}

TEST(DefinitionValidation, RefusesAFormulaUsingALaterStepsValue) {
  Definition definition = CarT();
  StepOf(definition, "activation")
      .calculations.push_back(
          Calculated("expected_cells", "Expected cells", "expansion.final_cells", "cells", kInfo));
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kActivationStep, "/calculations/0/formula"),
                         {"'expansion.final_cells'", "does not come before step activation"}));
}

TEST(DefinitionValidation, RefusesACalculationUsingOneListedAfterItOrItself) {
  Definition definition = CarT();
  Step& expansion = StepOf(definition, "expansion");
  std::swap(expansion.calculations[0], expansion.calculations[1]);
  expansion.calculations[1].formula = "final_cells * 1";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kExpansionStep, "/calculations/0/formula"),
                         {"'fold_expansion' uses 'final_cells'", "calculated after it"}));
  EXPECT_TRUE(HasProblem(problems, Path(kExpansionStep, "/calculations/1/formula"),
                         {"'final_cells' uses itself"}));
}

TEST(DefinitionValidation, RefusesAFormulaUsingAParameterThatIsNotANumber) {
  Definition definition = CarT();
  StepOf(definition, "apheresis_receipt")
      .calculations.push_back(Calculated("odd", "Odd", "appearance * 2", "1", kInfo));
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kReceiptStep, "/calculations/0/formula"),
                         {"'appearance' is a choice parameter"}));
}

// Verifies G-03: a calculation recorded with the batch needs every value it uses, so an optional
// parameter (which may never be entered) cannot feed a formula.
TEST(DefinitionValidation, RefusesAFormulaUsingAnOptionalParameter_G_03) {
  Definition definition = CarT();
  Step& enrichment = StepOf(definition, "enrichment");
  enrichment.parameters[1].requirement = Requirement::kOptional;
  const std::vector<Problem> problems = Validated(definition);
  bool found = false;
  for (const Problem& problem : problems) {
    found |= problem.pointer.starts_with(Path(kEnrichmentStep, "/calculations/")) &&
             problem.message.find("is optional and may have no value") != std::string::npos;
  }
  EXPECT_TRUE(found) << "no problem for the optional '" << enrichment.parameters[1].id << "'";
}

TEST(DefinitionValidation, RefusesAFormulaDividingByAValueThatMayBeZero) {
  Definition definition = CarT();
  StepOf(definition, "enrichment").parameters[1].action = {.high = 500};  // Volume may be 0.
  StepOf(definition, "enrichment")
      .calculations.push_back(Calculated("concentration_check", "Cells per mL",
                                         "total_viable_cells / volume", "cells/mL", kInfo));
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kEnrichmentStep, "/calculations/1/formula"),
                         {"'volume'", "0"}));
}

TEST(DefinitionValidation, RefusesAFormulaWhoseResultIsNotOfItsUnit) {
  Definition definition = CarT();
  StepOf(definition, "enrichment").calculations[0].unit = "mL";
  EXPECT_TRUE(
      HasProblem(Validated(definition), Path(kEnrichmentStep, "/calculations/0/formula"), {"mL"}));
}

// Verifies P11-10: a step is governed by a document in document control.
TEST(DefinitionValidation, RefusesASopThatIsNotInDocumentControlOrRetired) {
  Definition definition = CarT();
  StepOf(definition, "apheresis_receipt").sop = "SOP-CT-099";
  StepOf(definition, "enrichment").sop = "SOP-CT-050";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/sop"),
                         {"SOP-CT-099 is not a document in document control"}));
  EXPECT_TRUE(HasProblem(problems, Path(kEnrichmentStep, "/sop"),
                         {"SOP-CT-050 was retired on 2026-03-01"}));
}

// A hostile definition cannot make the check unbounded: every step waiting for every other
// (thousands of cycles) gives a bounded list, and more steps than any process has are refused
// before the step graph is built.
TEST(DefinitionValidation, BoundsTheProblemsOfAHostileStepGraph) {
  Definition definition = CarT();
  UnitProcedure& unit = definition.unit_procedures.front();
  unit.operations.clear();
  for (int i = 0; i < 120; ++i) {
    unit.operations.push_back(MakeStep("s" + std::to_string(i), "Step", "SOP-CT-002"));
  }
  for (Step& step : unit.operations) {
    std::vector<std::string> all;
    for (const Step& other : unit.operations) {
      if (&other != &step) all.push_back(other.id);
    }
    step.after = all;
  }
  const std::vector<Problem> problems = Validated(definition);
  std::size_t cycles = 0;
  for (const Problem& problem : problems) {
    cycles += problem.message.find("form a cycle") != std::string::npos ? 1 : 0;
  }
  EXPECT_GE(cycles, 1U);
  EXPECT_LE(cycles, 10U);
  EXPECT_LE(problems.size(), 501U);

  for (int i = 120; i < 2001; ++i) {
    unit.operations.push_back(MakeStep("s" + std::to_string(i), "Step", "SOP-CT-002"));
  }
  EXPECT_TRUE(HasProblem(Validated(definition), "/unit_procedures", {"at most 2000"}));
}

// Verifies T-01, T-02: an autologous product's patient code travels with the batch and is scanned
// somewhere; an allogeneic product is not held to it.
TEST(DefinitionValidation, AnAutologousProcessCarriesAndScansThePatientCode_T_01_T_02) {
  Definition unscanned = CarT();
  for (UnitProcedure& unit : unscanned.unit_procedures) {
    for (Step& step : unit.operations) step.scan_identity.clear();
  }
  EXPECT_TRUE(HasProblem(Validated(unscanned), "/identifiers", {"autologous", "scan_identity"}));
  Definition undeclared = unscanned;
  undeclared.identifiers.clear();
  EXPECT_TRUE(HasProblem(Validated(undeclared), "/identifiers", {"autologous", "coi_code"}));
  undeclared.product = "ALLO7";
  for (const Problem& problem : Validated(undeclared)) {
    EXPECT_EQ(problem.message.find("autologous"), std::string::npos) << problem.message;
  }
}

// Verifies G-11: every step names the SOP whose training execution demands.
TEST(DefinitionValidation, RefusesAStepWithoutItsGoverningSop_G_11) {
  Definition definition = CarT();
  StepOf(definition, "apheresis_receipt").sop.clear();
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kReceiptStep, "/sop"),
                         {"names no governing SOP", "trained"}));
}

TEST(DefinitionValidation, RefusesAMaterialThatDoesNotExist) {
  Definition definition = CarT();
  StepOf(definition, "activation").materials[0].material = "MAT-NOPE";
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kActivationStep, "/materials/0/material"),
                         {"MAT-NOPE is not a material"}));
}

TEST(DefinitionValidation, RefusesAMaterialQuantityOfTheWrongDimension) {
  Definition definition = CarT();
  StepOf(definition, "activation").materials[0].quantity = "1000 g";
  StepOf(definition, "formulation").materials[0].quantity = "0.5 [g/kg] * batch.body_weight";
  StepOf(definition, "activation").materials[1].tolerance = "0.5 g";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/materials/0/quantity"),
                         {"'1000 g' measures mass", "MAT-MEDIUM is counted in mL"}));
  EXPECT_TRUE(HasProblem(problems, Path(kFormulationStep, "/materials/0/quantity"), {"mass"}));
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/materials/1/tolerance"),
                         {"'0.5 g'", "relative (%)"}));
}

TEST(DefinitionValidation, RefusesAMaterialQuantityThatIsNotPositiveOrNotAQuantity) {
  Definition definition = CarT();
  StepOf(definition, "activation").materials[0].quantity = "0 mL";
  StepOf(definition, "activation").materials[1].quantity = "1000";
  StepOf(definition, "activation").materials[1].tolerance = "-1 %";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/materials/0/quantity"),
                         {"must be more than 0"}));
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/materials/1/quantity"),
                         {"'1000'", "not a quantity"}));
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/materials/1/tolerance"), {"negative"}));
}

TEST(DefinitionValidation, RefusesAnEquipmentClassThatDoesNotExist) {
  Definition definition = CarT();
  StepOf(definition, "activation").equipment[1] = "bsc";
  StepOf(definition, "enrichment").parameters[2].source->equipment_class = "counter";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kActivationStep, "/equipment/1"),
                         {"'bsc' is not a class of equipment", "biosafety_cabinet, incubator"}));
  EXPECT_TRUE(HasProblem(problems, Path(kEnrichmentStep, "/parameters/2/source/equipment_class"),
                         {"'counter' is not a class of equipment"}));
}

// Verifies T-01: labels scanned at a step are identifiers the batch carries.
TEST(DefinitionValidation, RefusesScanningAnUndeclaredIdentifier) {
  Definition definition = CarT();
  StepOf(definition, "formulation").scan_identity = {"donor_code"};
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kFormulationStep, "/scan_identity/0"),
                         {"'donor_code' is not one of the definition's identifiers"}));
}

TEST(DefinitionValidation, RefusesATimeRuleThatRunsBackwards) {
  Definition definition = CarT();
  definition.time_rules[0].from = {"transduction", StepPoint::kEnd};
  definition.time_rules[0].to = {"activation", StepPoint::kStart};
  EXPECT_TRUE(HasProblem(Validated(definition), "/time_rules/0/to",
                         {"runs backwards",
                          "the start of activation always comes before the "
                          "end of transduction"}));
}

TEST(DefinitionValidation, RefusesTimeRulesWithoutBoundsOrWithBoundsOutOfOrder) {
  Definition definition = CarT();
  definition.time_rules.push_back(definition.time_rules[0]);
  definition.time_rules[0].min = "30 h";
  definition.time_rules[0].max = "18 h";
  definition.time_rules[1].id = "other";
  definition.time_rules[1].min = "";
  definition.time_rules[1].max = "";
  definition.expiry_clocks[0].lasts = "5 mL";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, "/time_rules/0/max",
                         {"the minimum 30 h is longer than the maximum 18 h"}));
  EXPECT_TRUE(HasProblem(problems, "/time_rules/1", {"neither a min nor a max"}));
  EXPECT_TRUE(HasProblem(problems, "/expiry_clocks/0/lasts", {"'5 mL' is not a time"}));
}

TEST(DefinitionValidation, RefusesATimeRuleOnAStepThatDoesNotExist) {
  Definition definition = CarT();
  definition.time_rules[0].to.step = "transfection";
  definition.expiry_clocks[0].starts.step = "fill_finish";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, "/time_rules/0/to/step", {"'transfection' is not a step"}));
  EXPECT_TRUE(HasProblem(problems, "/expiry_clocks/0/starts/step", {"'fill_finish'"}));
}

TEST(DefinitionValidation, RefusesBadAndDuplicateIds) {
  Definition definition = CarT();
  StepOf(definition, "cryopreservation").id = "activation";
  StepOf(definition, "enrichment").parameters[1].id = "Volume";
  definition.unit_procedures[2].id = "batch";
  definition.master_batch_record = "mbr-car19";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, "/unit_procedures/2/operations/1/id",
                         {"another step is already called 'activation'"}));
  EXPECT_TRUE(HasProblem(problems, Path(kEnrichmentStep, "/parameters/1/id"),
                         {"'Volume' is not a valid id"}));
  EXPECT_TRUE(HasProblem(problems, "/master_batch_record", {"'mbr-car19'", "capital letters"}));
}

TEST(DefinitionValidation, RefusesAStepCalledBatch) {
  Definition definition = CarT();
  StepOf(definition, "cryopreservation").id = "batch";
  EXPECT_TRUE(HasProblem(Validated(definition), "/unit_procedures/2/operations/1/id",
                         {"cannot be called 'batch'"}));
}

// Verifies G-01: the record says what it is for and has a procedure.
TEST(DefinitionValidation, RefusesADefinitionWithoutPhasesProcedureOrTitle) {
  Definition definition = CarT();
  definition.phases = {ClinicalPhase::kPhase1, ClinicalPhase::kPhase1};
  definition.title.clear();
  definition.unit_procedures.clear();
  definition.time_rules.clear();
  definition.expiry_clocks.clear();
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, "/phases/1", {"'phase_1' is listed twice"}));
  EXPECT_TRUE(HasProblem(problems, "/title", {"no title"}));
  EXPECT_TRUE(HasProblem(problems, "/unit_procedures", {"no unit procedures"}));
  EXPECT_TRUE(HasProblem(Validated(Definition{}), "/phases", {"no clinical phase"}));
}

TEST(DefinitionValidation, RefusesABatchInputThatIsNotANumber) {
  Definition definition = CarT();
  definition.batch_inputs[0].kind = ParameterKind::kText;
  definition.batch_inputs[0].unit.clear();
  definition.batch_inputs[0].action = {};
  EXPECT_TRUE(HasProblem(Validated(definition), "/batch_inputs/0/kind",
                         {"a batch input is a number or an integer"}));
}

TEST(DefinitionValidation, RefusesSamplesWithoutQuantityOrTests) {
  Definition definition = CarT();
  StepOf(definition, "apheresis_receipt").samples[0].quantity = "1 mLs";
  StepOf(definition, "apheresis_receipt").samples[0].tests = "";
  const std::vector<Problem> problems = Validated(definition);
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/samples/0/quantity"), {"mLs"}));
  EXPECT_TRUE(HasProblem(problems, Path(kReceiptStep, "/samples/0/tests"), {"tested for"}));
}

TEST(DefinitionValidation, ReportsProblemsInDocumentOrder) {
  Definition definition = CarT();
  definition.title.clear();
  StepOf(definition, "expansion").parameters[0].alert = {36.0, 38.0};
  StepOf(definition, "apheresis_receipt").sop = "SOP-CT-099";
  definition.time_rules[0].min = "18 mL";
  const std::vector<Problem> problems = Validated(definition);
  ASSERT_EQ(problems.size(), 4U) << Describe(problems);
  EXPECT_EQ(problems[0].pointer, "/title");
  EXPECT_EQ(problems[1].pointer, Path(kReceiptStep, "/sop"));
  EXPECT_EQ(problems[2].pointer, Path(kExpansionStep, "/parameters/0/alert"));
  EXPECT_EQ(problems[3].pointer, "/time_rules/0/min");
}

TEST(DefinitionValidation, ChecksAFormulaAcrossStepsJoinedByAfter) {
  // The formulation step waits for expansion explicitly and for nothing else in between.
  Definition definition = CarT();
  StepOf(definition, "formulation").after = std::vector<std::string>{"expansion"};
  EXPECT_TRUE(Validated(definition).empty());
  StepOf(definition, "formulation").after = std::vector<std::string>{"apheresis_receipt"};
  EXPECT_TRUE(HasProblem(Validated(definition), Path(kFormulationStep, "/calculations/0/formula"),
                         {"'expansion.final_cells'", "does not come before step formulation"}));
}

TEST(DefinitionValidation, HandlesAProcessOfTwoHundredSteps) {
  Definition definition = CarT();
  UnitProcedure procedure{"long", "A long procedure", {}};
  for (int i = 0; i < 200; ++i) {
    Step step = MakeStep("step_" + std::to_string(i), "Step " + std::to_string(i), "SOP-CT-005");
    for (int p = 0; p < 5; ++p) {
      step.parameters.push_back(
          Number("value_" + std::to_string(p), "Value", "mL", kKpp, {1, 100}));
    }
    step.calculations.push_back(Calculated("sum", "Sum", "value_0 + value_1 * 2", "mL", kInfo));
    step.calculations.push_back(Calculated(
        "ratio", "Ratio", i == 0 ? "sum / value_2" : "sum / step_" + std::to_string(i - 1) + ".sum",
        "1", kInfo));
    procedure.operations.push_back(std::move(step));
  }
  definition.unit_procedures.push_back(std::move(procedure));
  std::vector<Problem> read_problems;
  const Definition read = DefinitionFromJson(DefinitionToJson(definition), read_problems);
  EXPECT_TRUE(read_problems.empty()) << Describe(read_problems);
  const std::vector<Problem> problems = Validated(read);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

// ---------------------------------------------------------------------------------------------
// ProblemsError

TEST(ProblemsError, ListsEachProblemWithItsLineAndColumn) {
  const std::vector<Problem> problems = {{"/title", "the definition has no title: write one"},
                                         {"/phases/0", "'phase_4' is not a valid 'phase'"}};
  const Error error = ProblemsError(problems, [](std::string_view pointer) {
    return pointer == "/title" ? std::optional<std::pair<int, int>>({4, 8}) : std::nullopt;
  });
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "/title");
  EXPECT_EQ(error.Message(),
            "the definition has 2 problems:\n"
            "line 4, column 8: the definition has no title: write one\n"
            "/phases/0: 'phase_4' is not a valid 'phase'");
}

TEST(ProblemsError, ListsProblemsWithoutPositions) {
  const Error error = ProblemsError({{"/title", "no title"}}, nullptr);
  // Without a file (a JSON body, the approval's check), the pointer says where.
  EXPECT_EQ(error.Message(), "the definition has 1 problem:\n/title: no title");
  EXPECT_EQ(error.Field(), "/title");
}

TEST(ProblemsError, ListsAtMostFiftyProblems) {
  std::vector<Problem> problems;
  problems.reserve(53);
  for (int i = 0; i < 53; ++i) {
    problems.push_back({"/p" + std::to_string(i), "m" + std::to_string(i)});
  }
  const Error error = ProblemsError(problems, {});
  EXPECT_TRUE(error.Message().starts_with("the definition has 53 problems:\n/p0: m0\n/p1: m1\n"));
  EXPECT_TRUE(error.Message().ends_with("\n/p49: m49\nand 3 more problems")) << error.Message();
}

// ---------------------------------------------------------------------------------------------
// Round trips (property): the export imports as the same definition.

std::string AnyText() {
  static const std::vector<std::string> kPieces = {
      "a", "Z",  "viability", " ",   "\n", "\t",   "é",   "µg",        "°C", "日本", "🧬",
      "'", "\"", ": ",        "#",   " #", "- ",   "[",   "]",         "{",  "}",    ",",
      "~", "/",  "1",         "0.5", "-3", "true", "no",  "null",      "%",  "&",    "*",
      "!", "|",  ">",         "?",   "\\", "...",  "---", "SOP-CT-002"};
  const int count = *rc::gen::inRange(0, 8);
  std::string text;
  for (int i = 0; i < count; ++i) text += *rc::gen::elementOf(kPieces);
  return text;
}

std::vector<std::string> AnyTexts() {
  const int count = *rc::gen::inRange(0, 4);
  std::vector<std::string> texts;
  texts.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) texts.push_back(AnyText());
  return texts;
}

double AnyNumber() {
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return *rc::gen::inRange(-1000, 1000);
    case 1:
      return *rc::gen::inRange(-100000, 100000) / 100.0;
    case 2:
      return *rc::gen::elementOf(std::vector<double>{5e8, 1.5e-7, 2e21, -0.0, 9007199254740991.0,
                                                     0.1, 1e-300, 1.7976931348623157e308});
    default:
      return *rc::gen::inRange(1, 1000) * std::pow(10.0, *rc::gen::inRange(-12, 13));
  }
}

std::optional<double> MaybeNumber() {
  return *rc::gen::arbitrary<bool>() ? std::optional<double>(AnyNumber()) : std::nullopt;
}

Limits AnyLimits() { return {MaybeNumber(), MaybeNumber()}; }

template <typename T>
std::vector<T> Several(int max, T (*make)()) {
  const int count = *rc::gen::inRange(0, max + 1);
  std::vector<T> items;
  items.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) items.push_back(make());
  return items;
}

ParameterDefinition AnyParameter() {
  ParameterDefinition parameter;
  parameter.id = AnyText();
  parameter.name = AnyText();
  parameter.kind = static_cast<ParameterKind>(*rc::gen::inRange(0, 7));
  parameter.criticality = static_cast<Criticality>(*rc::gen::inRange(0, 4));
  parameter.unit = AnyText();
  parameter.target = MaybeNumber();
  parameter.alert = AnyLimits();
  parameter.action = AnyLimits();
  parameter.options = AnyTexts();
  parameter.acceptable = AnyTexts();
  if (*rc::gen::arbitrary<bool>()) parameter.expected = *rc::gen::arbitrary<bool>();
  parameter.requirement =
      *rc::gen::arbitrary<bool>() ? Requirement::kRequired : Requirement::kOptional;
  if (*rc::gen::arbitrary<bool>()) parameter.source = ParameterSource{AnyText(), AnyText()};
  return parameter;
}

Calculation AnyCalculation() {
  return {AnyText(),
          AnyText(),
          AnyText(),
          AnyText(),
          static_cast<Criticality>(*rc::gen::inRange(0, 4)),
          MaybeNumber(),
          AnyLimits(),
          AnyLimits()};
}

MaterialLine AnyMaterial() { return {AnyText(), AnyText(), AnyText()}; }
SamplingPoint AnySample() { return {AnyText(), AnyText(), AnyText(), AnyText()}; }

StepEvent AnyEvent() {
  return {AnyText(), *rc::gen::arbitrary<bool>() ? StepPoint::kStart : StepPoint::kEnd};
}

Step AnyStep() {
  Step step;
  step.id = AnyText();
  step.name = AnyText();
  step.instructions = AnyText();
  step.sop = AnyText();
  if (*rc::gen::arbitrary<bool>()) step.after = AnyTexts();
  step.equipment = AnyTexts();
  step.materials = Several(2, AnyMaterial);
  step.parameters = Several(3, AnyParameter);
  step.calculations = Several(2, AnyCalculation);
  step.samples = Several(2, AnySample);
  step.scan_identity = AnyTexts();
  step.verification =
      *rc::gen::arbitrary<bool>() ? Verification::kNone : Verification::kSecondPerson;
  step.min_duration = AnyText();
  step.max_duration = AnyText();
  return step;
}

UnitProcedure AnyUnitProcedure() { return {AnyText(), AnyText(), Several(3, AnyStep)}; }
Identifier AnyIdentifier() {
  return {AnyText(), AnyText(),
          *rc::gen::arbitrary<bool>() ? IdentifierFormat::kCoiCode : IdentifierFormat::kText};
}
TimeRule AnyTimeRule() {
  return {AnyText(), AnyText(), AnyEvent(), AnyEvent(), AnyText(), AnyText()};
}
ExpiryClock AnyExpiryClock() { return {AnyText(), AnyText(), AnyEvent(), AnyText()}; }
ClinicalPhase AnyPhase() { return static_cast<ClinicalPhase>(*rc::gen::inRange(0, 4)); }

Definition AnyDefinition() {
  Definition definition;
  definition.master_batch_record = AnyText();
  definition.product = AnyText();
  definition.title = AnyText();
  definition.batch_size = AnyText();
  definition.phases = Several(3, AnyPhase);
  definition.batch_inputs = Several(2, AnyParameter);
  definition.identifiers = Several(2, AnyIdentifier);
  definition.unit_procedures = Several(3, AnyUnitProcedure);
  definition.time_rules = Several(2, AnyTimeRule);
  definition.expiry_clocks = Several(2, AnyExpiryClock);
  return definition;
}

RC_GTEST_PROP(DefinitionRoundTrip, JsonReadsBackAsTheSameDefinition, ()) {
  const Definition definition = AnyDefinition();
  std::vector<Problem> problems;
  const Definition read = DefinitionFromJson(DefinitionToJson(definition), problems);
  RC_ASSERT(problems.empty());
  RC_ASSERT(read == definition);
}

// Verifies G-02 at the file's level: a definition exported as YAML and imported again is the
// same definition, so what was reviewed as a file is what is approved.
RC_GTEST_PROP(DefinitionRoundTrip, TheYamlFileReadsBackAsTheSameDefinition, ()) {
  const Definition definition = AnyDefinition();
  const std::string file = EmitYaml(DefinitionToJson(definition));
  Result<Json> parsed = ParseYaml(file);
  RC_ASSERT(parsed.has_value());
  std::vector<Problem> problems;
  const Definition read = DefinitionFromJson(*parsed, problems);
  RC_ASSERT(problems.empty());
  RC_ASSERT(read == definition);
}

TEST(DefinitionRoundTrip, TheCarTProcessSurvivesItsYamlFile) {
  const Definition definition = CarT();
  const std::string file = EmitYaml(DefinitionToJson(definition));
  YamlPositions positions;
  Result<Json> parsed = ParseYaml(file, &positions);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString() << "\n" << file;
  Definition read;
  const std::vector<Problem> problems = Read(*parsed, &read);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
  EXPECT_EQ(read, definition);
  EXPECT_TRUE(positions.Of(Path(kExpansionStep, "/parameters/0/alert")).has_value());
}

}  // namespace
}  // namespace aliquot::recipes
