#include "aliquot/domain/recipes/diff.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/json.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::recipes {
namespace {

// A difference as one line, for comparing whole lists in order: "changed limit x/y/action".
std::string Describe(const Difference& difference) {
  std::string text(ChangeKindName(difference.kind));
  text += ' ';
  text += SubjectName(difference.subject);
  text += ' ';
  text += difference.path;
  return text;
}

std::vector<std::string> Describe(const std::vector<Difference>& differences) {
  std::vector<std::string> lines;
  lines.reserve(differences.size());
  for (const Difference& difference : differences) lines.push_back(Describe(difference));
  return lines;
}

// The one difference at `path`; fails the test (and returns an empty one) when there is not
// exactly one.
Difference At(const std::vector<Difference>& differences, std::string_view path) {
  std::vector<Difference> found;
  for (const Difference& difference : differences) {
    if (difference.path == path) found.push_back(difference);
  }
  EXPECT_EQ(found.size(), 1U) << "differences at " << path << " among:\n"
                              << ::testing::PrintToString(Describe(differences));
  return found.size() == 1 ? found.front() : Difference{};
}

// The member `name` of `json` as canonical text, or "absent": comparable and printable.
std::string Member(const Json& json, std::string_view name) {
  const Json* member = json.Find(name);
  return member != nullptr ? CanonicalJson(*member) : "absent";
}

Json Object(const std::vector<std::pair<std::string, Json>>& members) {
  Json json = Json::MakeObject();
  for (const auto& [name, value] : members) json.Set(name, value);
  return json;
}

Json Place(std::string_view unit_procedure, std::int64_t position) {
  return Object({{"unit_procedure", Json(unit_procedure)}, {"position", Json(position)}});
}

ParameterDefinition Number(std::string id, std::string name, std::string unit,
                           Criticality criticality, Limits action, Limits alert = {},
                           std::optional<double> target = std::nullopt) {
  return {.id = std::move(id),
          .name = std::move(name),
          .kind = ParameterKind::kNumber,
          .criticality = criticality,
          .unit = std::move(unit),
          .target = target,
          .alert = alert,
          .action = action};
}

// The steps of an autologous CAR-T process at Phase 1 (cgt-primer.md), small enough to read.
Step ApheresisReceipt() {
  Step step{.id = "apheresis_receipt",
            .name = "Receive and inspect the apheresis bag",
            .instructions = "Check the bag label against the order.",
            .sop = "SOP-CT-002"};
  step.equipment = {"biosafety_cabinet"};
  step.parameters = {Number("viability", "Viability", "%", Criticality::kCriticalProcessParameter,
                            {.low = 70}, {.low = 80}, 92),
                     {.id = "appearance",
                      .name = "Bag appearance",
                      .kind = ParameterKind::kChoice,
                      .criticality = Criticality::kKeyProcessParameter,
                      .options = {"intact", "damaged", "leaking"},
                      .acceptable = {"intact"}}};
  step.samples = {{.id = "incoming_count",
                   .name = "Incoming count and viability",
                   .quantity = "1 mL",
                   .tests = "Total nucleated cells, viability, CD3+ % (SOP-CT-004)"}};
  step.scan_identity = {"patient_code"};
  step.verification = Verification::kSecondPerson;
  step.min_duration = "10 min";
  step.max_duration = "2 h";
  return step;
}

Step Activation() {
  Step step{.id = "activation",
            .name = "Activate T cells with anti-CD3/CD28",
            .instructions = "Seed at 1e6 viable cells/mL and add the activation reagent.",
            .sop = "SOP-CT-005"};
  step.materials = {{.material = "MAT-MEDIUM", .quantity = "1000 mL", .tolerance = "5 %"},
                    {.material = "MAT-IL2", .quantity = "10 mL", .tolerance = "0.5 mL"}};
  step.parameters = {Number("seeding_density", "Seeding density", "cells/mL",
                            Criticality::kCriticalProcessParameter, {.low = 8e5, .high = 1.2e6})};
  return step;
}

Step Transduction() {
  Step step{.id = "transduction",
            .name = "Lentiviral transduction",
            .instructions = "Add the vector at the calculated MOI.",
            .sop = "SOP-CT-006"};
  step.materials = {{.material = "MAT-LV", .quantity = "2 mL"}};
  step.parameters = {Number("moi", "Multiplicity of infection", "1",
                            Criticality::kCriticalProcessParameter, {.low = 1, .high = 5})};
  return step;
}

Step Expansion() {
  Step step{.id = "expansion",
            .name = "Expand in the bioreactor",
            .instructions = "Feed per the schedule; count daily.",
            .sop = "SOP-CT-008"};
  step.equipment = {"bioreactor"};
  step.parameters = {
      Number("temperature", "Culture temperature", "degC", Criticality::kCriticalProcessParameter,
             {.low = 36.5, .high = 37.5}, {.low = 36.7, .high = 37.3}, 37.0),
      Number("viability", "Viability", "%", Criticality::kCriticalProcessParameter, {.low = 70})};
  return step;
}

Step Harvest() {
  Step step{.id = "harvest",
            .name = "Harvest and wash",
            .instructions = "Remove the beads, wash and count.",
            .sop = "SOP-CT-010"};
  step.parameters = {Number("viable_concentration", "Viable concentration", "cells/mL",
                            Criticality::kCriticalQualityAttribute, {.low = 1e6}),
                     Number("volume", "Volume", "mL", Criticality::kKeyProcessParameter,
                            {.low = 50, .high = 500})};
  step.calculations = {{.id = "total_viable_cells",
                        .name = "Total viable cells",
                        .formula = "viable_concentration * volume",
                        .unit = "cells",
                        .criticality = Criticality::kCriticalProcessParameter,
                        .action = {.low = 5e8}}};
  step.samples = {{.id = "harvest_count",
                   .name = "Harvest count and viability",
                   .quantity = "1 mL",
                   .tests = "Viable cell count and viability (SOP-CT-004)"},
                  {.id = "sterility",
                   .name = "In-process sterility",
                   .quantity = "10 mL",
                   .tests = "Sterility by culture, 14 days (SOP-QC-011)"}};
  return step;
}

Step Formulation() {
  Step step{.id = "formulation",
            .name = "Formulate and fill",
            .instructions = "Add the cryoprotectant and fill the bag.",
            .sop = "SOP-CT-012"};
  step.materials = {{.material = "MAT-CRYO", .quantity = "0.5 [mL/kg] * batch.body_weight"}};
  return step;
}

Definition Phase1() {
  Definition definition;
  definition.master_batch_record = "MBR-CAR19";
  definition.product = "CAR19";
  definition.title = "Autologous anti-CD19 CAR-T, 1 L closed bag process";
  definition.batch_size = "One patient dose from one apheresis collection (1 L culture)";
  definition.phases = {ClinicalPhase::kPhase1};
  definition.batch_inputs = {Number("body_weight", "Patient body weight", "kg",
                                    Criticality::kKeyProcessParameter, {.low = 30, .high = 150})};
  definition.identifiers = {
      {.id = "patient_code", .name = "Patient code (COI)", .format = IdentifierFormat::kCoiCode}};
  definition.unit_procedures = {
      {.id = "receipt", .name = "Apheresis receipt", .operations = {ApheresisReceipt()}},
      {.id = "activation",
       .name = "Activation and transduction",
       .operations = {Activation(), Transduction()}},
      {.id = "expansion", .name = "Expansion and harvest", .operations = {Expansion(), Harvest()}},
      {.id = "fill", .name = "Formulation and fill", .operations = {Formulation()}}};
  definition.time_rules = {{.id = "transduction_window",
                            .name = "Transduction starts within its window after activation",
                            .from = {"activation", StepPoint::kEnd},
                            .to = {"transduction", StepPoint::kStart},
                            .min = "18 h",
                            .max = "30 h"}};
  definition.expiry_clocks = {{.id = "dmso_exposure",
                               .name = "Formulated cells frozen within 60 min of DMSO addition",
                               .starts = {"formulation", StepPoint::kEnd},
                               .lasts = "60 min"}};
  return definition;
}

// The unit procedure with `id` (which the test's definitions have).
UnitProcedure& Unit(Definition& definition, std::string_view id) {
  for (UnitProcedure& unit : definition.unit_procedures) {
    if (unit.id == id) return unit;
  }
  ADD_FAILURE() << "no unit procedure " << id;
  return definition.unit_procedures.front();
}

// The step with `id` (which the test's definitions have).
Step& StepOf(Definition& definition, std::string_view id) {
  for (UnitProcedure& unit : definition.unit_procedures) {
    for (Step& step : unit.operations) {
      if (step.id == id) return step;
    }
  }
  ADD_FAILURE() << "no step " << id;
  return definition.unit_procedures.front().operations.front();
}

Step BeadRemoval() {
  return {.id = "bead_removal",
          .name = "Remove the activation beads",
          .instructions = "Run the magnetic bead removal programme.",
          .sop = "SOP-CT-009",
          .equipment = {"magnetic_separator"}};
}

// The Phase 2 version of the process: what a change control for the pivotal study would carry.
Definition Phase2() {
  Definition definition = Phase1();
  definition.phases = {ClinicalPhase::kPhase2};
  StepOf(definition, "apheresis_receipt").parameters[0].action.low = 65;
  StepOf(definition, "activation").materials[1].quantity = "12 mL";
  // Transduction now happens in the bioreactor, ahead of the expansion.
  std::vector<Step>& activation = Unit(definition, "activation").operations;
  Step transduction = activation[1];
  activation.erase(activation.begin() + 1);
  std::vector<Step>& expansion = Unit(definition, "expansion").operations;
  expansion.insert(expansion.begin(), transduction);
  StepOf(definition, "expansion").parameters[0].id = "culture_temperature";
  expansion.insert(expansion.begin() + 2, BeadRemoval());
  Step& harvest = StepOf(definition, "harvest");
  harvest.sop = "SOP-CT-011";
  harvest.calculations[0].formula = "viable_concentration * (volume - 11 [mL])";
  harvest.samples.pop_back();
  definition.time_rules[0].min = "20 h";
  definition.time_rules[0].max = "28 h";
  return definition;
}

TEST(DiffDefinitions, FindsNothingBetweenEqualDefinitions) {
  EXPECT_TRUE(DiffDefinitions(Phase1(), Phase1()).empty());
  EXPECT_TRUE(DiffDefinitions(Phase2(), Phase2()).empty());
  EXPECT_TRUE(DiffDefinitions(Definition{}, Definition{}).empty());
}

// Verifies A11-05 and CMP-01: the impact assessment of the Phase 1 -> Phase 2 change lists each
// change once, by ids, in the order of the new version, so comparability can be keyed to exactly
// what changed.
TEST(DiffDefinitions, ListsEveryChangeFromPhase1ToPhase2InTheOrderOfTheNewVersion) {
  EXPECT_EQ(Describe(DiffDefinitions(Phase1(), Phase2())),
            (std::vector<std::string>{
                "changed record phases",
                "changed limit apheresis_receipt/viability/action",
                "changed material activation/materials/MAT-IL2/quantity",
                "moved step transduction",
                "added parameter expansion/culture_temperature",
                "removed parameter expansion/temperature",
                "added step bead_removal",
                "changed step harvest/sop",
                "changed calculation harvest/total_viable_cells/formula",
                "removed sample harvest/samples/sterility",
                "changed time_rule time_rules/transduction_window/min",
                "changed time_rule time_rules/transduction_window/max",
            }));
}

// Verifies CMP-01: a widened action limit is one limit difference with both limits, so the
// comparability protocol sees exactly how far the limit moved.
TEST(DiffDefinitions, ShowsAWidenedActionLimitWithItsLimitsBeforeAndAfter) {
  const Difference difference =
      At(DiffDefinitions(Phase1(), Phase2()), "apheresis_receipt/viability/action");
  EXPECT_EQ(difference.kind, ChangeKind::kChanged);
  EXPECT_EQ(difference.subject, Subject::kLimit);
  EXPECT_EQ(difference.before, Object({{"low", Json(70)}}));
  EXPECT_EQ(difference.after, Object({{"low", Json(65)}}));
}

TEST(DiffDefinitions, ShowsEachChangedLimitOfAParameterOnItsOwn) {
  Definition to = Phase1();
  ParameterDefinition& temperature = StepOf(to, "expansion").parameters[0];
  temperature.target = 37.2;
  temperature.alert = {.low = 36.8, .high = 37.4};
  temperature.action.high = 38.0;
  temperature.unit = "Cel";
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  EXPECT_EQ(Describe(differences), (std::vector<std::string>{
                                       "changed parameter expansion/temperature/unit",
                                       "changed limit expansion/temperature/target",
                                       "changed limit expansion/temperature/alert",
                                       "changed limit expansion/temperature/action",
                                   }));
  const Difference unit = At(differences, "expansion/temperature/unit");
  EXPECT_EQ(unit.before, Json("degC"));
  EXPECT_EQ(unit.after, Json("Cel"));
  const Difference target = At(differences, "expansion/temperature/target");
  EXPECT_EQ(target.before, Json(37.0));
  EXPECT_EQ(target.after, Json(37.2));
  const Difference action = At(differences, "expansion/temperature/action");
  EXPECT_EQ(action.before, Object({{"low", Json(36.5)}, {"high", Json(37.5)}}));
  EXPECT_EQ(action.after, Object({{"low", Json(36.5)}, {"high", Json(38.0)}}));
}

// Verifies A11-05: a step inserted in the middle is one addition; the steps after it are not
// reported moved, since their order relative to each other is unchanged.
TEST(DiffDefinitions, ShowsAStepInsertedInTheMiddleAsOneAdditionAndNothingMoved) {
  Definition to = Phase1();
  std::vector<Step>& expansion = Unit(to, "expansion").operations;
  expansion.insert(expansion.begin() + 1, BeadRemoval());
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  ASSERT_EQ(Describe(differences), (std::vector<std::string>{"added step bead_removal"}));
  EXPECT_EQ(differences[0].before, Json());
  EXPECT_EQ(Member(differences[0].after, "id"), "\"bead_removal\"");
  EXPECT_EQ(Member(differences[0].after, "sop"), "\"SOP-CT-009\"");
  EXPECT_EQ(Member(differences[0].after, "equipment"), "[\"magnetic_separator\"]");
}

TEST(DiffDefinitions, ShowsARemovedSampleWholeWhereItStood) {
  Definition to = Phase1();
  std::vector<SamplingPoint>& samples = StepOf(to, "harvest").samples;
  samples.erase(samples.begin());
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  ASSERT_EQ(Describe(differences),
            (std::vector<std::string>{"removed sample harvest/samples/harvest_count"}));
  EXPECT_EQ(Member(differences[0].before, "id"), "\"harvest_count\"");
  EXPECT_EQ(Member(differences[0].before, "quantity"), "\"1 mL\"");
  EXPECT_EQ(differences[0].after, Json());
}

TEST(DiffDefinitions, ShowsAChangedSopAsAFieldOfTheStep) {
  const Difference difference = At(DiffDefinitions(Phase1(), Phase2()), "harvest/sop");
  EXPECT_EQ(difference.kind, ChangeKind::kChanged);
  EXPECT_EQ(difference.subject, Subject::kStep);
  EXPECT_EQ(difference.before, Json("SOP-CT-010"));
  EXPECT_EQ(difference.after, Json("SOP-CT-011"));
}

TEST(DiffDefinitions, ShowsAStepsOwnFieldsOneDifferenceEach) {
  Definition to = Phase1();
  Step& harvest = StepOf(to, "harvest");
  harvest.instructions = "Remove the beads, wash twice and count.";
  harvest.after = std::vector<std::string>{"expansion"};
  harvest.max_duration = "4 h";
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  EXPECT_EQ(Describe(differences), (std::vector<std::string>{
                                       "changed step harvest/instructions",
                                       "changed step harvest/after",
                                       "changed step harvest/duration",
                                   }));
  const Difference after = At(differences, "harvest/after");
  EXPECT_EQ(after.before, Json());  // Left out: the step before it in the file.
  EXPECT_EQ(CanonicalJson(after.after), "[\"expansion\"]");
  const Difference duration = At(differences, "harvest/duration");
  EXPECT_EQ(duration.before, Json());
  EXPECT_EQ(duration.after, Object({{"max", Json("4 h")}}));
}

TEST(DiffDefinitions, ShowsAChangedFormulaAsAFieldOfTheCalculation) {
  const Difference difference =
      At(DiffDefinitions(Phase1(), Phase2()), "harvest/total_viable_cells/formula");
  EXPECT_EQ(difference.kind, ChangeKind::kChanged);
  EXPECT_EQ(difference.subject, Subject::kCalculation);
  EXPECT_EQ(difference.before, Json("viable_concentration * volume"));
  EXPECT_EQ(difference.after, Json("viable_concentration * (volume - 11 [mL])"));
}

TEST(DiffDefinitions, ShowsACalculationsLimitsAsLimits) {
  Definition to = Phase1();
  StepOf(to, "harvest").calculations[0].action.low = 1e9;
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  ASSERT_EQ(Describe(differences),
            (std::vector<std::string>{"changed limit harvest/total_viable_cells/action"}));
  EXPECT_EQ(differences[0].before, Object({{"low", Json(5e8)}}));
  EXPECT_EQ(differences[0].after, Object({{"low", Json(1e9)}}));
}

// Verifies CMP-01: a narrowed hold time (18-30 h -> 20-28 h) is a change of each bound.
TEST(DiffDefinitions, ShowsANarrowedHoldTimeAsItsChangedBounds) {
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), Phase2());
  const Difference min = At(differences, "time_rules/transduction_window/min");
  EXPECT_EQ(min.subject, Subject::kTimeRule);
  EXPECT_EQ(min.before, Json("18 h"));
  EXPECT_EQ(min.after, Json("20 h"));
  const Difference max = At(differences, "time_rules/transduction_window/max");
  EXPECT_EQ(max.kind, ChangeKind::kChanged);
  EXPECT_EQ(max.subject, Subject::kTimeRule);
  EXPECT_EQ(max.before, Json("30 h"));
  EXPECT_EQ(max.after, Json("28 h"));
}

TEST(DiffDefinitions, ShowsAMaterialQuantityChangeByTheMaterialsId) {
  const Difference difference =
      At(DiffDefinitions(Phase1(), Phase2()), "activation/materials/MAT-IL2/quantity");
  EXPECT_EQ(difference.kind, ChangeKind::kChanged);
  EXPECT_EQ(difference.subject, Subject::kMaterial);
  EXPECT_EQ(difference.before, Json("10 mL"));
  EXPECT_EQ(difference.after, Json("12 mL"));
}

// A material used twice in one step is matched by occurrence: changing the second line changes
// that line only.
TEST(DiffDefinitions, MatchesAMaterialUsedTwiceInAStepByOccurrence) {
  Definition from = Phase1();
  std::vector<MaterialLine>& materials = StepOf(from, "activation").materials;
  materials.push_back({.material = "MAT-IL2", .quantity = "5 mL"});
  Definition to = from;
  StepOf(to, "activation").materials[2].quantity = "6 mL";
  const std::vector<Difference> differences = DiffDefinitions(from, to);
  ASSERT_EQ(Describe(differences),
            (std::vector<std::string>{"changed material activation/materials/MAT-IL2/quantity"}));
  EXPECT_EQ(differences[0].before, Json("5 mL"));
  EXPECT_EQ(differences[0].after, Json("6 mL"));

  Definition without_second = from;
  StepOf(without_second, "activation").materials.pop_back();
  const std::vector<Difference> removed = DiffDefinitions(from, without_second);
  ASSERT_EQ(Describe(removed),
            (std::vector<std::string>{"removed material activation/materials/MAT-IL2"}));
  EXPECT_EQ(Member(removed[0].before, "quantity"), "\"5 mL\"");
}

// Verifies A11-05: a step moved to another unit procedure is shown moved, with where it stood
// and where it stands, not as removed and added.
TEST(DiffDefinitions, ShowsAStepMovedToAnotherUnitProcedureWithWhereItWasAndIs) {
  const Difference difference = At(DiffDefinitions(Phase1(), Phase2()), "transduction");
  EXPECT_EQ(difference.kind, ChangeKind::kMoved);
  EXPECT_EQ(difference.subject, Subject::kStep);
  EXPECT_EQ(difference.before, Place("activation", 1));
  EXPECT_EQ(difference.after, Place("expansion", 0));
}

TEST(DiffDefinitions, ShowsAStepReorderedWithinItsUnitProcedureAsOneMove) {
  Definition from = Phase1();
  std::vector<Step>& expansion = Unit(from, "expansion").operations;
  expansion.push_back(BeadRemoval());  // expansion, harvest, bead_removal
  Definition to = from;
  std::vector<Step>& reordered = Unit(to, "expansion").operations;
  std::swap(reordered[1], reordered[2]);  // expansion, bead_removal, harvest
  const std::vector<Difference> differences = DiffDefinitions(from, to);
  ASSERT_EQ(differences.size(), 1U) << ::testing::PrintToString(Describe(differences));
  EXPECT_EQ(differences[0].kind, ChangeKind::kMoved);
  EXPECT_EQ(differences[0].subject, Subject::kStep);
  EXPECT_EQ(differences[0].path, "bead_removal");
  EXPECT_EQ(differences[0].before, Place("expansion", 2));
  EXPECT_EQ(differences[0].after, Place("expansion", 1));
}

TEST(DiffDefinitions, ShowsAStepMovedWithAChangeAsAMoveAndTheChange) {
  Definition to = Phase1();
  std::vector<Step>& activation = Unit(to, "activation").operations;
  Step transduction = activation[1];
  transduction.sop = "SOP-CT-007";
  activation.pop_back();
  Unit(to, "expansion").operations.push_back(transduction);
  EXPECT_EQ(Describe(DiffDefinitions(Phase1(), to)), (std::vector<std::string>{
                                                         "moved step transduction",
                                                         "changed step transduction/sop",
                                                     }));
}

// Parameters are matched by id: a parameter whose id changed is another parameter, and a
// reviewer sees the old one removed and the new one added.
TEST(DiffDefinitions, ShowsAParameterWhoseIdChangedAsRemovedAndAdded) {
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), Phase2());
  const Difference added = At(differences, "expansion/culture_temperature");
  EXPECT_EQ(added.kind, ChangeKind::kAdded);
  EXPECT_EQ(added.subject, Subject::kParameter);
  EXPECT_EQ(added.before, Json());
  EXPECT_EQ(Member(added.after, "id"), "\"culture_temperature\"");
  EXPECT_EQ(Member(added.after, "action"), "{\"high\":37.5,\"low\":36.5}");
  const Difference removed = At(differences, "expansion/temperature");
  EXPECT_EQ(removed.kind, ChangeKind::kRemoved);
  EXPECT_EQ(removed.subject, Subject::kParameter);
  EXPECT_EQ(Member(removed.before, "id"), "\"temperature\"");
  EXPECT_EQ(removed.after, Json());
}

TEST(DiffDefinitions, ShowsAReorderedParameterAsMovedWithinItsStep) {
  Definition to = Phase1();
  std::vector<ParameterDefinition>& parameters = StepOf(to, "expansion").parameters;
  std::swap(parameters[0], parameters[1]);
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  ASSERT_EQ(differences.size(), 1U) << ::testing::PrintToString(Describe(differences));
  EXPECT_EQ(differences[0].kind, ChangeKind::kMoved);
  EXPECT_EQ(differences[0].subject, Subject::kParameter);
  EXPECT_EQ(differences[0].path, "expansion/viability");
  EXPECT_EQ(differences[0].before, Object({{"position", Json(1)}}));
  EXPECT_EQ(differences[0].after, Object({{"position", Json(0)}}));
}

TEST(DiffDefinitions, ShowsAPhaseChangeAsAFieldOfTheRecord) {
  const Difference difference = At(DiffDefinitions(Phase1(), Phase2()), "phases");
  EXPECT_EQ(difference.kind, ChangeKind::kChanged);
  EXPECT_EQ(difference.subject, Subject::kRecord);
  EXPECT_EQ(CanonicalJson(difference.before), "[\"phase_1\"]");
  EXPECT_EQ(CanonicalJson(difference.after), "[\"phase_2\"]");
}

TEST(DiffDefinitions, ShowsRecordFieldsByTheirNames) {
  Definition to = Phase1();
  to.title = "Autologous anti-CD19 CAR-T, 2 L closed bag process";
  to.batch_size = "One patient dose (2 L culture)";
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  EXPECT_EQ(Describe(differences),
            (std::vector<std::string>{"changed record title", "changed record batch_size"}));
  EXPECT_EQ(At(differences, "title").after,
            Json("Autologous anti-CD19 CAR-T, 2 L closed bag process"));
}

TEST(DiffDefinitions, ShowsBatchInputsIdentifiersAndClocksUnderTheirLists) {
  Definition to = Phase1();
  to.batch_inputs[0].action.high = 200;
  to.batch_inputs[0].name = "Body weight at apheresis";
  to.batch_inputs.push_back({.id = "starting_cells",
                             .name = "Viable cells in the starting material",
                             .kind = ParameterKind::kInteger,
                             .unit = "cells"});
  to.identifiers[0].format = IdentifierFormat::kText;
  to.expiry_clocks[0].lasts = "45 min";
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  EXPECT_EQ(Describe(differences), (std::vector<std::string>{
                                       "changed batch_input batch_inputs/body_weight/name",
                                       "changed limit batch_inputs/body_weight/action",
                                       "added batch_input batch_inputs/starting_cells",
                                       "changed identifier identifiers/patient_code/format",
                                       "changed expiry_clock expiry_clocks/dmso_exposure/lasts",
                                   }));
  EXPECT_EQ(At(differences, "batch_inputs/body_weight/action").after,
            Object({{"low", Json(30)}, {"high", Json(200)}}));
  EXPECT_EQ(At(differences, "identifiers/patient_code/format").before, Json("coi_code"));
  EXPECT_EQ(At(differences, "expiry_clocks/dmso_exposure/lasts").after, Json("45 min"));
}

TEST(DiffDefinitions, ShowsTimeRulesAndClocksAddedAndRemoved) {
  Definition to = Phase1();
  to.time_rules.clear();
  to.expiry_clocks.push_back({.id = "fresh_product",
                              .name = "Fresh product infused within 24 h",
                              .starts = {"formulation", StepPoint::kEnd},
                              .lasts = "24 h"});
  const std::vector<Difference> differences = DiffDefinitions(Phase1(), to);
  EXPECT_EQ(Describe(differences), (std::vector<std::string>{
                                       "removed time_rule time_rules/transduction_window",
                                       "added expiry_clock expiry_clocks/fresh_product",
                                   }));
  EXPECT_EQ(Member(differences[0].before, "max"), "\"30 h\"");
  EXPECT_EQ(Member(differences[1].after, "lasts"), "\"24 h\"");
}

TEST(DiffDefinitions, ShowsAUnitProcedureRenamedMovedAddedAndRemoved) {
  Definition renamed = Phase1();
  Unit(renamed, "expansion").name = "Closed-system expansion and harvest";
  const std::vector<Difference> name = DiffDefinitions(Phase1(), renamed);
  ASSERT_EQ(Describe(name), (std::vector<std::string>{"changed unit_procedure expansion/name"}));
  EXPECT_EQ(name[0].before, Json("Expansion and harvest"));
  EXPECT_EQ(name[0].after, Json("Closed-system expansion and harvest"));

  Definition reordered = Phase1();
  std::swap(reordered.unit_procedures[2], reordered.unit_procedures[3]);
  const std::vector<Difference> moved = DiffDefinitions(Phase1(), reordered);
  ASSERT_EQ(Describe(moved), (std::vector<std::string>{"moved unit_procedure fill"}));
  EXPECT_EQ(moved[0].before, Object({{"position", Json(3)}}));
  EXPECT_EQ(moved[0].after, Object({{"position", Json(2)}}));

  // A unit procedure removed with its steps, and one added holding a step moved into it: the
  // unit procedures themselves are shown without their steps, which are differences of their own.
  Definition regrouped = Phase1();
  regrouped.unit_procedures.erase(regrouped.unit_procedures.begin() + 3);
  regrouped.unit_procedures.push_back(
      {.id = "cryopreservation", .name = "Cryopreservation", .operations = {}});
  std::vector<Step>& expansion = Unit(regrouped, "expansion").operations;
  Unit(regrouped, "cryopreservation").operations.push_back(expansion.back());
  expansion.pop_back();
  const std::vector<Difference> regrouping = DiffDefinitions(Phase1(), regrouped);
  EXPECT_EQ(Describe(regrouping), (std::vector<std::string>{
                                      "added unit_procedure cryopreservation",
                                      "moved step harvest",
                                      "removed unit_procedure fill",
                                      "removed step formulation",
                                  }));
  EXPECT_EQ(At(regrouping, "cryopreservation").after,
            Object({{"id", Json("cryopreservation")}, {"name", Json("Cryopreservation")}}));
  EXPECT_EQ(At(regrouping, "harvest").before, Place("expansion", 1));
  EXPECT_EQ(At(regrouping, "harvest").after, Place("cryopreservation", 0));
  EXPECT_EQ(At(regrouping, "fill").before,
            Object({{"id", Json("fill")}, {"name", Json("Formulation and fill")}}));
  EXPECT_EQ(Member(At(regrouping, "formulation").before, "sop"), "\"SOP-CT-012\"");
}

TEST(DiffDefinitions, ShowsARemovedStepWhereItStood) {
  Definition to = Phase1();
  to.unit_procedures[1].operations.erase(to.unit_procedures[1].operations.begin());
  to.unit_procedures[1].operations[0].sop = "SOP-CT-007";
  StepOf(to, "expansion").sop = "SOP-CT-018";
  EXPECT_EQ(Describe(DiffDefinitions(Phase1(), to)), (std::vector<std::string>{
                                                         "removed step activation",
                                                         "changed step transduction/sop",
                                                         "changed step expansion/sop",
                                                     }));
}

TEST(DifferenceToJson, ShowsKindSubjectPathBeforeAndAfter) {
  const Difference difference{.kind = ChangeKind::kChanged,
                              .subject = Subject::kLimit,
                              .path = "apheresis_receipt/viability/action",
                              .before = Object({{"low", Json(70)}}),
                              .after = Object({{"low", Json(65)}})};
  EXPECT_EQ(CanonicalJson(DifferenceToJson(difference)),
            "{\"after\":{\"low\":65},\"before\":{\"low\":70},\"kind\":\"changed\","
            "\"path\":\"apheresis_receipt/viability/action\",\"subject\":\"limit\"}");
  const Difference added{.kind = ChangeKind::kAdded,
                         .subject = Subject::kStep,
                         .path = "bead_removal",
                         .after = Object({{"id", Json("bead_removal")}})};
  EXPECT_EQ(CanonicalJson(DifferenceToJson(added)),
            "{\"after\":{\"id\":\"bead_removal\"},\"before\":null,\"kind\":\"added\","
            "\"path\":\"bead_removal\",\"subject\":\"step\"}");
}

TEST(DifferenceNames, NameEveryKindAndSubject) {
  EXPECT_EQ(ChangeKindName(ChangeKind::kAdded), "added");
  EXPECT_EQ(ChangeKindName(ChangeKind::kRemoved), "removed");
  EXPECT_EQ(ChangeKindName(ChangeKind::kChanged), "changed");
  EXPECT_EQ(ChangeKindName(ChangeKind::kMoved), "moved");
  EXPECT_EQ(SubjectName(Subject::kRecord), "record");
  EXPECT_EQ(SubjectName(Subject::kUnitProcedure), "unit_procedure");
  EXPECT_EQ(SubjectName(Subject::kStep), "step");
  EXPECT_EQ(SubjectName(Subject::kParameter), "parameter");
  EXPECT_EQ(SubjectName(Subject::kLimit), "limit");
  EXPECT_EQ(SubjectName(Subject::kCalculation), "calculation");
  EXPECT_EQ(SubjectName(Subject::kMaterial), "material");
  EXPECT_EQ(SubjectName(Subject::kSample), "sample");
  EXPECT_EQ(SubjectName(Subject::kBatchInput), "batch_input");
  EXPECT_EQ(SubjectName(Subject::kIdentifier), "identifier");
  EXPECT_EQ(SubjectName(Subject::kTimeRule), "time_rule");
  EXPECT_EQ(SubjectName(Subject::kExpiryClock), "expiry_clock");
}

// Random definitions for the properties: ids unique where they must be, materials that repeat
// within a step, limits that may be open on either side.
double RandomValue() { return static_cast<double>(*rc::gen::inRange(-2000, 2000)) / 4.0; }

Limits RandomLimits() {
  Limits limits;
  if (*rc::gen::arbitrary<bool>()) limits.low = RandomValue();
  if (*rc::gen::arbitrary<bool>()) limits.high = RandomValue();
  return limits;
}

ParameterDefinition RandomParameter(std::string id) {
  ParameterDefinition parameter =
      Number(std::move(id), "Parameter", *rc::gen::element<std::string>("%", "degC", "mL"),
             *rc::gen::element(Criticality::kCriticalProcessParameter,
                               Criticality::kKeyProcessParameter, Criticality::kInformational),
             RandomLimits(), RandomLimits());
  if (*rc::gen::arbitrary<bool>()) parameter.target = RandomValue();
  if (*rc::gen::arbitrary<bool>()) parameter.requirement = Requirement::kOptional;
  return parameter;
}

Step RandomStep(std::string id, bool with_parameter) {
  Step step{.id = std::move(id), .name = "Step", .instructions = "Do it.", .sop = "SOP-CT-002"};
  if (*rc::gen::arbitrary<bool>()) step.after = std::vector<std::string>{};
  const int parameters = *rc::gen::inRange(with_parameter ? 1 : 0, 4);
  for (int p = 0; p < parameters; ++p)
    step.parameters.push_back(RandomParameter("p" + std::to_string(p)));
  const int materials = *rc::gen::inRange(0, 4);
  for (int m = 0; m < materials; ++m) {
    step.materials.push_back({.material = *rc::gen::element<std::string>("MAT-IL2", "MAT-MEDIUM"),
                              .quantity = std::to_string(*rc::gen::inRange(1, 100)) + " mL"});
  }
  if (*rc::gen::arbitrary<bool>()) {
    step.calculations.push_back({.id = "total",
                                 .name = "Total",
                                 .formula = "p0 * 2",
                                 .unit = "mL",
                                 .action = RandomLimits()});
  }
  if (*rc::gen::arbitrary<bool>()) {
    step.samples.push_back({.id = "count", .name = "Count", .quantity = "1 mL", .tests = "Count"});
  }
  if (*rc::gen::arbitrary<bool>()) step.max_duration = "2 h";
  return step;
}

Definition RandomDefinition() {
  Definition definition = Phase1();
  definition.unit_procedures.clear();
  definition.time_rules.clear();
  definition.expiry_clocks.clear();
  const int units = *rc::gen::inRange(1, 4);
  int steps_made = 0;
  for (int u = 0; u < units; ++u) {
    UnitProcedure unit{.id = "unit" + std::to_string(u), .name = "Unit", .operations = {}};
    const int steps = *rc::gen::inRange(1, 4);
    for (int s = 0; s < steps; ++s) {
      unit.operations.push_back(RandomStep("step" + std::to_string(steps_made), steps_made == 0));
      ++steps_made;
    }
    definition.unit_procedures.push_back(std::move(unit));
  }
  if (*rc::gen::arbitrary<bool>()) definition.time_rules = Phase1().time_rules;
  return definition;
}

// Verifies A11-05: an unchanged definition has nothing to assess.
RC_GTEST_PROP(DiffDefinitionsProperty, FindsNothingBetweenADefinitionAndItself, ()) {
  const Definition definition = RandomDefinition();
  RC_ASSERT(DiffDefinitions(definition, definition).empty());
}

// Verifies CMP-01: changing one parameter's upper action limit is exactly one limit difference,
// at that parameter's path, whatever else the definition holds.
RC_GTEST_PROP(DiffDefinitionsProperty, ShowsOneChangedActionLimitAsExactlyOneDifference, ()) {
  const Definition from = RandomDefinition();
  std::vector<std::pair<std::size_t, std::size_t>> steps;  // (unit, step) with parameters.
  for (std::size_t u = 0; u < from.unit_procedures.size(); ++u) {
    for (std::size_t s = 0; s < from.unit_procedures[u].operations.size(); ++s) {
      if (!from.unit_procedures[u].operations[s].parameters.empty()) steps.emplace_back(u, s);
    }
  }
  const auto [u, s] = *rc::gen::elementOf(steps);
  Definition to = from;
  Step& step = to.unit_procedures[u].operations[s];
  ParameterDefinition& parameter =
      step.parameters[*rc::gen::inRange<std::size_t>(0, step.parameters.size())];
  // Any value is a change when the limit was open; otherwise move it up.
  const double expected_high = parameter.action.high
                                   ? *parameter.action.high + 0.25 * *rc::gen::inRange(1, 40)
                                   : RandomValue();
  parameter.action.high = expected_high;

  const std::vector<Difference> differences = DiffDefinitions(from, to);
  RC_ASSERT(differences.size() == 1U);
  RC_ASSERT(differences[0].kind == ChangeKind::kChanged);
  RC_ASSERT(differences[0].subject == Subject::kLimit);
  RC_ASSERT(differences[0].path == step.id + "/" + parameter.id + "/action");
  const Json* after_high = differences[0].after.Find("high");
  RC_ASSERT(after_high != nullptr);
  RC_ASSERT(after_high->AsNumber() == expected_high);
}

// Verifies A11-05: a step inserted anywhere is one addition, never a cascade of moves.
RC_GTEST_PROP(DiffDefinitionsProperty, ShowsAStepInsertedAnywhereAsOneAddition, ()) {
  const Definition from = RandomDefinition();
  Definition to = from;
  std::vector<Step>& operations =
      to.unit_procedures[*rc::gen::inRange<std::size_t>(0, to.unit_procedures.size())].operations;
  const auto position = *rc::gen::inRange<std::size_t>(0, operations.size() + 1);
  operations.insert(operations.begin() + static_cast<std::ptrdiff_t>(position), BeadRemoval());
  const std::vector<Difference> differences = DiffDefinitions(from, to);
  RC_ASSERT(differences.size() == 1U);
  RC_ASSERT(differences[0].kind == ChangeKind::kAdded);
  RC_ASSERT(differences[0].subject == Subject::kStep);
  RC_ASSERT(differences[0].path == "bead_removal");
}

// Removing a step anywhere is one removal; the steps around it have not moved.
RC_GTEST_PROP(DiffDefinitionsProperty, ShowsAStepRemovedAnywhereAsOneRemoval, ()) {
  const Definition from = RandomDefinition();
  Definition to = from;
  std::vector<Step>& operations =
      to.unit_procedures[*rc::gen::inRange<std::size_t>(0, to.unit_procedures.size())].operations;
  const auto position = *rc::gen::inRange<std::size_t>(0, operations.size());
  const std::string removed = operations[position].id;
  operations.erase(operations.begin() + static_cast<std::ptrdiff_t>(position));
  const std::vector<Difference> differences = DiffDefinitions(from, to);
  RC_ASSERT(differences.size() == 1U);
  RC_ASSERT(differences[0].kind == ChangeKind::kRemoved);
  RC_ASSERT(differences[0].subject == Subject::kStep);
  RC_ASSERT(differences[0].path == removed);
}

}  // namespace
}  // namespace aliquot::recipes
