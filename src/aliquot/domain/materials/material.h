// Materials and their specifications (21 CFR 211.84, 211.184; G-08; ISA-95 material definition,
// S95-01): what a material is, how it is stored and for how long, how critical it is, and the
// tests a lot must meet, each with its method and acceptance criterion. A result is checked against
// its criterion the moment it is entered, in the criterion's unit: a value in another unit of the
// same dimension is converted, one of another dimension is refused, never silently compared.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::materials {

enum class Category {
  kMedia,
  kCytokine,
  kActivationReagent,
  kViralVector,
  kCryoprotectant,
  kBuffer,
  kReagent,
  kBag,
  kSingleUseKit,
  kStartingMaterial,  // An apheresis collection: received as a collection, never from a supplier.
  kIntermediate,      // Made in house from other lots.
  kDrugProduct,       // A product unit made by a batch.
};
std::string_view CategoryName(Category category);  // "activation_reagent"
std::optional<Category> CategoryFromName(std::string_view name);
// Received from a supplier (everything but starting material, intermediates and drug product).
bool IsPurchased(Category category);

enum class Criticality { kCritical, kMajor, kMinor };
std::string_view CriticalityName(Criticality criticality);
std::optional<Criticality> CriticalityFromName(std::string_view name);

// How long a lot keeps from its reference instant (manufacture, collection).
struct ShelfLife {
  enum class Unit { kHours, kDays, kMonths };
  int amount = 0;
  Unit unit = Unit::kMonths;

  Timestamp After(Timestamp from) const;
  std::string Describe() const;  // "72 h", "30 d", "24 months"
};
std::string_view ShelfLifeUnitName(ShelfLife::Unit unit);  // "h", "d", "months"
std::optional<ShelfLife::Unit> ShelfLifeUnitFromName(std::string_view name);

// What a result must be. kRange: a number with a unit, between optional bounds (each inclusive
// unless marked exclusive: "< 5 EU/mL"). kPassFail: "pass". kText: the expected text, compared
// ignoring case and surrounding space ("Conforms").
struct Criterion {
  enum class Kind { kRange, kPassFail, kText };
  Kind kind = Kind::kRange;
  std::optional<double> min;
  bool min_exclusive = false;
  std::optional<double> max;
  bool max_exclusive = false;
  std::string unit;      // kRange: as written in the specification ("ug/mL").
  std::string expected;  // kText.

  // As a person reads it: ">= 70 %", "0.1-0.5 ug/mL", "< 5 EU/mL", "pass", "\"Conforms\"".
  std::string Describe() const;
};
std::string_view CriterionKindName(Criterion::Kind kind);  // "range", "pass_fail", "text"
std::optional<Criterion::Kind> CriterionKindFromName(std::string_view name);

struct SpecTest {
  std::string name;    // "Endotoxin"
  std::string method;  // "USP <85> kinetic chromogenic LAL"
  Criterion criterion;
};

struct MaterialState {
  bool exists = false;
  std::string id;  // "MAT-IL2"
  std::string name;
  Category category = Category::kReagent;
  std::string unit;  // What lots are counted in: "mL", "vial", "ug", "cells".
  std::string storage_condition;
  ShelfLife shelf_life;
  Criticality criticality = Criticality::kMajor;
  // G-09: a certificate of analysis stands in for testing only with an identity test on receipt.
  bool identity_test_required = false;
  int spec_version = 0;  // 1 on creation; each revision adds one.
  std::vector<SpecTest> tests;
  Timestamp revised_at;
  std::string revised_by;

  const SpecTest* FindTest(std::string_view name) const;
};

ledger::StreamRef MaterialStream(std::string_view material_id);

struct MaterialCommand {
  std::string id;
  std::string name;
  Category category = Category::kReagent;
  std::string unit;
  std::string storage_condition;
  ShelfLife shelf_life;
  Criticality criticality = Criticality::kMajor;
  bool identity_test_required = false;
  std::vector<SpecTest> tests;
};

// Checks an identifier of a supplier, material or lot: 2-40 characters of A-Z, 0-9, '-', '.' and
// '_', starting with a letter or digit. Returns kInvalidArgument naming `field`.
Status CheckIdentifier(std::string_view id, std::string_view field);

// Creates a material, or revises its specification (spec_version + 1; a revision needs a reason
// and keeps the category). Returns kInvalidArgument naming the field ("tests[2].criterion.unit")
// for an unknown unit, a unit not of the lot unit's kind where it must be, inverted bounds, a range
// without bounds, a repeated test name, an empty method, an out-of-range shelf life (1-9999).
Result<ledger::NewEvent> DefineMaterial(const MaterialState& state, const MaterialCommand& command,
                                        std::string_view reason, const ledger::Actor& actor,
                                        std::string_view terminal);

// Folds one materials.material_defined event into the state. kDataLoss for a payload that does not
// read back.
Status ApplyMaterialEvent(MaterialState& state, const ledger::Event& event);

// A material's state as the projection stores it and the API shows it, and back.
Json MaterialToJson(const MaterialState& material);
Result<MaterialState> MaterialFromJson(const Json& json);

// One result as entered from a certificate or a test: a number with its unit, "pass"/"fail", or
// text, according to the test's criterion.
struct TestResult {
  std::string test;
  std::optional<double> value;
  std::string unit;
  std::optional<bool> passed;
  std::string text;
};

// A result checked against its criterion. `conforms` false: out of specification, and `finding`
// says which criterion it breached ("Endotoxin 7.2 EU/mL is above the maximum: < 5 EU/mL").
struct CheckedResult {
  TestResult result;
  bool conforms = true;
  std::string criterion;  // Criterion::Describe() of the specification it was checked against.
  std::optional<double> value_in_spec_unit;
  std::string finding;
};

// Checks `result` against `test`. Returns kInvalidArgument naming `field` for a result of the wrong
// kind (a number for a pass/fail test), a unit of another dimension than the criterion's ("a value
// in mg/mL cannot be compared with cells/mL"), an unknown unit or a non-finite number.
Result<CheckedResult> CheckResult(const SpecTest& test, const TestResult& result,
                                  std::string_view field);

Json CheckedResultToJson(const CheckedResult& result);
Result<CheckedResult> CheckedResultFromJson(const Json& json);

}  // namespace aliquot::materials
