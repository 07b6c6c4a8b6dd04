// What a master batch record version says (21 CFR 211.186, G-01; ISA-88 master recipe, S88-01):
// the procedure as unit procedures of operations (steps), each with its instructions, governing
// SOP, equipment classes, bill of materials, parameters with limits, calculations, sampling points
// and second-person check; the time rules between steps, the product's expiry clocks and the
// chain-of-identity identifiers that travel with a batch. Execution enforces exactly this, and its
// version is what comparability is keyed to (CMP-01). Quantities, units and formulas are kept as
// written, so a definition exported and imported again is the same text, and checked by
// ValidateDefinition, which import and approval both run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/documents/document.h"

namespace aliquot::recipes {

// The format this code reads and writes: the "format" member of every definition.
inline constexpr std::string_view kDefinitionFormat = "aliquot.mbr/1";

enum class ClinicalPhase { kPhase1, kPhase2, kPhase3, kCommercial };
std::string_view ClinicalPhaseName(ClinicalPhase phase);  // "phase_1", ..., "commercial"
std::optional<ClinicalPhase> ClinicalPhaseFromName(std::string_view name);

// What a parameter records. kNumber: a measured value with a unit; kInteger: a count (an
// optional count unit: "vials"); kChoice: one of listed options; kTimestamp: an instant (execution
// takes the server's time, AL-01); kIdentifier: a scanned barcode (a label, a lot, an instrument).
enum class ParameterKind { kNumber, kInteger, kText, kChoice, kBoolean, kTimestamp, kIdentifier };
std::string_view ParameterKindName(ParameterKind kind);  // "number", ..., "identifier"
std::optional<ParameterKind> ParameterKindFromName(std::string_view name);

// How much a parameter matters: a critical process parameter (CPP) or critical quality attribute
// (CQA, a test result) breaching its action limits is a deviation; a key process parameter (KPP)
// is controlled but not critical to quality; an informational one only records.
enum class Criticality {
  kCriticalProcessParameter,
  kKeyProcessParameter,
  kInformational,
  kCriticalQualityAttribute
};
std::string_view CriticalityName(Criticality criticality);  // "cpp", "kpp", "informational", "cqa"
std::optional<Criticality> CriticalityFromName(std::string_view name);

// Inclusive bounds in the parameter's unit; either may be open.
struct Limits {
  std::optional<double> low;
  std::optional<double> high;
  bool Empty() const { return !low && !high; }
  friend bool operator==(const Limits&, const Limits&) = default;
};

// The instrument that may supply a value itself (AL-02: the original is the instrument's): a piece
// of equipment of this class, reporting under this tag.
struct ParameterSource {
  std::string equipment_class;  // equipment::EquipmentClassName: "bioreactor".
  std::string tag;              // "temperature", "pH", "viable_concentration".
  friend bool operator==(const ParameterSource&, const ParameterSource&) = default;
};

enum class Requirement { kRequired, kOptional };

struct ParameterDefinition {
  std::string id;    // Unique within its step (or among batch inputs): "viability".
  std::string name;  // "Viability".
  ParameterKind kind = ParameterKind::kNumber;
  Criticality criticality = Criticality::kInformational;
  std::string unit;  // kNumber: required; kInteger: optional; others: none.
  std::optional<double> target;
  Limits alert;                         // Within the action limits; a value outside is flagged.
  Limits action;                        // A value outside is a deviation.
  std::vector<std::string> options;     // kChoice: what may be chosen.
  std::vector<std::string> acceptable;  // kChoice: the options within limits (all, if empty).
  std::optional<bool> expected;         // kBoolean: the answer within limits.
  Requirement requirement = Requirement::kRequired;
  std::optional<ParameterSource> source;
  friend bool operator==(const ParameterDefinition&, const ParameterDefinition&) = default;
};

// A value computed from entries (G-03 "weights and measures"): total viable cells, fold expansion,
// the dose. Its formula (recipes::Formula) may use its own step's parameters and calculations
// (by id), a predecessor step's ("harvest.total_viable_cells") and batch inputs
// ("batch.body_weight").
struct Calculation {
  std::string id;
  std::string name;
  std::string formula;  // "viable_concentration * volume".
  std::string unit;     // The result's unit: "cells".
  Criticality criticality = Criticality::kInformational;
  std::optional<double> target;
  Limits alert;
  Limits action;
  friend bool operator==(const Calculation&, const Calculation&) = default;
};

// A line of the bill of materials: what the step consumes. `quantity` is a quantity ("1000 mL") or
// a formula in the material's unit, scaled to the batch ("0.1 [mL/kg] * batch.body_weight");
// `tolerance` how far the amount consumed may differ: relative ("5 %") or absolute ("0.5 mL").
struct MaterialLine {
  std::string material;  // materials::MaterialState id: "MAT-MEDIUM".
  std::string quantity;
  std::string tolerance;  // Empty: the amount must be exact.
  friend bool operator==(const MaterialLine&, const MaterialLine&) = default;
};

// A sample taken at the step for in-process control or retention.
struct SamplingPoint {
  std::string id;
  std::string name;
  std::string quantity;  // "1 mL".
  std::string tests;     // What it is tested for: "cell count and viability (SOP-CT-004)".
  friend bool operator==(const SamplingPoint&, const SamplingPoint&) = default;
};

enum class Verification { kNone, kSecondPerson };  // A11-01: a second check of critical entries.

// An ISA-88 operation: one step of the batch record.
struct Step {
  std::string id;    // Unique in the definition: "transduction". Not "batch".
  std::string name;  // "Lentiviral transduction".
  std::string instructions;
  std::string sop;  // documents::DocumentState id; execution demands the version effective then.
  // The steps that must be complete before this one starts; nullopt: the step before it in the
  // file (none for the first). Steps with the same predecessors may run side by side.
  std::optional<std::vector<std::string>> after;
  std::vector<std::string> equipment;  // Classes of equipment required: "biosafety_cabinet".
  std::vector<MaterialLine> materials;
  std::vector<ParameterDefinition> parameters;
  std::vector<Calculation> calculations;
  std::vector<SamplingPoint> samples;
  // Identifiers (Definition::identifiers ids) whose labels are scanned and matched here (T-01).
  std::vector<std::string> scan_identity;
  Verification verification = Verification::kNone;
  std::string min_duration;  // Quantities of time ("30 min"); empty: no limit.
  std::string max_duration;
  friend bool operator==(const Step&, const Step&) = default;
};

// An ISA-88 unit procedure: a group of operations done in one unit (receipt, expansion, fill).
struct UnitProcedure {
  std::string id;
  std::string name;
  std::vector<Step> operations;
  friend bool operator==(const UnitProcedure&, const UnitProcedure&) = default;
};

enum class StepPoint { kStart, kEnd };
struct StepEvent {
  std::string step;
  StepPoint point = StepPoint::kEnd;
  friend bool operator==(const StepEvent&, const StepEvent&) = default;
};

// A hold time: `to` happens between min and max after `from` ("transduction starts 18-30 h after
// activation ends").
struct TimeRule {
  std::string id;
  std::string name;
  StepEvent from;
  StepEvent to;
  std::string min;  // Quantities of time; at least one of the two.
  std::string max;
  friend bool operator==(const TimeRule&, const TimeRule&) = default;
};

// A product expiry clock (T-03: the label carries the expiry): from `starts` the product lasts
// `lasts`; every step after it must end before then.
struct ExpiryClock {
  std::string id;
  std::string name;
  StepEvent starts;
  std::string lasts;  // "24 h".
  friend bool operator==(const ExpiryClock&, const ExpiryClock&) = default;
};

// How an identifier is checked when a batch is created. kCoiCode: the site's distinct
// identification code with its check character (21 CFR 1271.290(c), T-02): no name, no record
// number. kText: any text of 1-64 printable characters.
enum class IdentifierFormat { kCoiCode, kText };
std::string_view IdentifierFormatName(IdentifierFormat format);  // "coi_code", "text"
std::optional<IdentifierFormat> IdentifierFormatFromName(std::string_view name);

// A chain-of-identity identifier that travels with every batch: the patient code, the collection.
struct Identifier {
  std::string id;    // "patient_code".
  std::string name;  // "Patient code (COI)".
  IdentifierFormat format = IdentifierFormat::kText;
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

struct Definition {
  std::string master_batch_record;  // The record it is a version of: "MBR-CAR19".
  std::string product;              // "CAR19".
  std::string title;
  std::string batch_size;  // 211.186 is per batch size: "one patient dose, 1 L culture".
  std::vector<ClinicalPhase> phases;
  // Entered when a batch is created and usable in formulas as "batch.<id>": body weight, cell
  // count of the starting material. Number or integer parameters.
  std::vector<ParameterDefinition> batch_inputs;
  std::vector<Identifier> identifiers;
  std::vector<UnitProcedure> unit_procedures;  // The procedure.
  std::vector<TimeRule> time_rules;
  std::vector<ExpiryClock> expiry_clocks;
  friend bool operator==(const Definition&, const Definition&) = default;

  // The step with `id`, or nullptr.
  const Step* FindStep(std::string_view id) const;
  // Every step in file order.
  std::vector<const Step*> Steps() const;
};

// One thing wrong with a definition: where (an RFC 6901 JSON pointer into the definition as
// DefinitionToJson writes it, "/unit_procedures/2/operations/0/parameters/1/alert/high") and what
// a process engineer must change.
struct Problem {
  std::string pointer;
  std::string message;
  friend bool operator==(const Problem&, const Problem&) = default;
};

// The definition as JSON, members in the order people read them, defaults left out: the payload
// of events, the API's body and, through EmitYaml, the definition file. Its first member is
// "format": kDefinitionFormat.
Json DefinitionToJson(const Definition& definition);

// Reads a definition from JSON (from a definition file or the API). Every structural problem is
// appended to `problems`, none stopping the reading of the rest: a member that is not part of the
// format ("'colour' is not a field of a parameter; the fields are id, name, kind, ..."), a missing
// required member, a value of the wrong type ("'target' must be a number"), an unknown enum name
// listing the known ones, a "format" other than kDefinitionFormat. Returns what could be read;
// it is meaningful only when no problem was added.
Definition DefinitionFromJson(const Json& json, std::vector<Problem>& problems);

// What a definition refers to outside itself, as the site's records stand: documents and
// materials by id. nullopt: no such record.
struct DocumentReference {
  // Empty when the document may govern a step: it exists and is not retired. Otherwise why not:
  // "SOP-CT-099 was retired on 2026-03-01".
  std::string unusable;
};
// What `document` says, as it stands at `now`, to a step that names it as its SOP: usable once one
// of its versions is approved (G-11: the training gate asks for the version effective when the step
// is performed), unless it is retired or is a form, which says how nothing is done.
DocumentReference GoverningDocument(const documents::DocumentState& document, Timestamp now);

struct MaterialReference {
  std::string unit;  // What its lots are counted in: "mL".
};
// What the product says about the chain of identity: an autologous batch is one patient's own
// cells, returned to that patient (21 CFR 1271.290, T-01, T-02).
struct ProductReference {
  bool autologous = false;
};
struct References {
  std::function<std::optional<DocumentReference>(std::string_view id)> document;
  std::function<std::optional<MaterialReference>(std::string_view id)> material;
  // Unset, or nullopt for the definition's product: the product is not checked here (the record's
  // own checks name an unknown product).
  std::function<std::optional<ProductReference>(std::string_view id)> product;
};

// Everything approval demands of a definition (G-01), each problem at its pointer:
// - ids: present, of 1-48 of a-z, 0-9 and '_' starting with a letter, unique where they must be
//   (steps and unit procedures across the definition; parameters, calculations and samples within
//   their step; batch inputs; identifiers; time rules and clocks); no step called "batch";
// - names and titles present; at least one unit procedure, each with at least one step; at least
//   one phase, none twice; master_batch_record and product ids of 2-32 of A-Z, 0-9 and '-';
// - ordering: every "after" names an existing other step; the step graph has no cycle (the
//   message walks the cycle: "transduction -> expansion -> transduction");
// - parameters: a unit that parses and fits the kind (a number needs one; text, choice, boolean,
//   timestamp and identifier take none; an integer takes only a count); limits only on numbers
//   and integers; low <= high; alert limits inside the action limits; the target inside the
//   alert (or action) limits; a CPP or CQA number with action limits; choice options present and
//   unique, acceptable ones among them; `expected` only on a boolean; a source's equipment class
//   one that exists (equipment::EquipmentClassFromName) and a tag present;
// - calculations: a formula that parses, uses only names in scope (its step's parameters and
//   earlier calculations, predecessor steps' as "step.id", batch inputs as "batch.id"), no
//   calculation cycle within a step, a result of its unit's dimension, and no divisor that may be
//   0 given the action limits (recipes::CheckFormula); limits as for parameters;
// - materials: a material that exists; a quantity (or formula) of the material's unit's
//   dimension, positive; a tolerance relative (%) or of the same dimension, not negative;
// - samples: a quantity that parses; tests described;
// - documents: every step's `sop` present, of a document that exists and is usable;
// - equipment classes that exist;
// - scan_identity naming declared identifiers; for an autologous product, an identifier of format
//   coi_code that at least one step scans (T-01, T-02);
// - durations, time rules and clocks: quantities of time, min <= max, positive, at least one of
//   min and max; steps that exist; a time rule whose `to` may follow its `from` (not a step that
//   must come before it);
// - batch inputs: numbers or integers.
// Returns every problem found, in document order; empty when the definition may be approved.
std::vector<Problem> ValidateDefinition(const Definition& definition, const References& references);

// One error for a list of problems: kInvalidArgument with field = the first problem's pointer and a
// message listing each problem on its own line (at most 50, then how many more), each prefixed by
// "line L, column C: " when `position` knows where the pointer is in the file, and by its pointer
// otherwise:
// "the definition has 2 problems:\nline 41, column 11: ...\nline 77, column 9: ...".
Error ProblemsError(
    const std::vector<Problem>& problems,
    const std::function<std::optional<std::pair<int, int>>(std::string_view)>& position);

}  // namespace aliquot::recipes
