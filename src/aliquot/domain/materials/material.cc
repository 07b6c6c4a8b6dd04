#include "aliquot/domain/materials/material.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kDefinedEvent = "materials.material_defined";

constexpr std::array<std::string_view, 12> kCategoryNames = {"media",
                                                             "cytokine",
                                                             "activation_reagent",
                                                             "viral_vector",
                                                             "cryoprotectant",
                                                             "buffer",
                                                             "reagent",
                                                             "bag",
                                                             "single_use_kit",
                                                             "starting_material",
                                                             "intermediate",
                                                             "drug_product"};
constexpr std::array<std::string_view, 3> kCriticalityNames = {"critical", "major", "minor"};
constexpr std::array<std::string_view, 3> kKindNames = {"range", "pass_fail", "text"};
constexpr std::array<std::string_view, 3> kShelfLifeUnitNames = {"h", "d", "months"};

constexpr int kMaxShelfLife = 9999;
constexpr std::size_t kMaxTests = 60;
constexpr std::int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
// Two values closer than this (relative to the larger) are equal: 900000 ng/mL converted into
// mg/mL is 0.8999999999999999 in doubles, and must meet a minimum of 0.9 mg/mL.
constexpr double kRelativeTolerance = 1e-12;

std::string TestField(std::size_t index, std::string_view member) {
  return "tests[" + std::to_string(index) + "]." + std::string(member);
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// A criterion's bounds: present ones finite, at least one, and an interval that holds a value.
Status CheckBounds(const Criterion& criterion, const std::string& field) {
  if (!criterion.min && !criterion.max) {
    return Unexpected(InvalidArgument("a range criterion has a minimum, a maximum or both", field));
  }
  if ((criterion.min && !std::isfinite(*criterion.min)) ||
      (criterion.max && !std::isfinite(*criterion.max))) {
    return Unexpected(InvalidArgument("a criterion's bounds are finite numbers", field));
  }
  if ((criterion.min_exclusive && !criterion.min) || (criterion.max_exclusive && !criterion.max)) {
    return Unexpected(InvalidArgument("an exclusive bound needs its value", field));
  }
  if (criterion.min && criterion.max) {
    const bool exclusive = criterion.min_exclusive || criterion.max_exclusive;
    if (*criterion.min > *criterion.max || (exclusive && *criterion.min == *criterion.max)) {
      return Unexpected(InvalidArgument(
          "the minimum " + CanonicalNumber(*criterion.min) + " is not below the maximum " +
              CanonicalNumber(*criterion.max) + "; no result could meet " + criterion.Describe(),
          field));
    }
  }
  return {};
}

// Checks one test of a specification and returns it with its units as parsed (trimmed).
Result<SpecTest> CheckSpecTest(const SpecTest& test, std::size_t index) {
  ALIQUOT_RETURN_IF_ERROR(CheckLine(test.name, TestField(index, "name"), 1, 100));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(test.method, TestField(index, "method"), 2, 200));
  const Criterion& criterion = test.criterion;
  const std::string field = TestField(index, "criterion");
  SpecTest checked = test;
  const bool has_bounds = criterion.min || criterion.max || criterion.min_exclusive ||
                          criterion.max_exclusive || !criterion.unit.empty();
  switch (criterion.kind) {
    case Criterion::Kind::kRange: {
      ALIQUOT_ASSIGN_OR_RETURN(const units::Unit unit,
                               units::Unit::Parse(criterion.unit, field + ".unit"));
      checked.criterion.unit = unit.Text();
      ALIQUOT_RETURN_IF_ERROR(CheckBounds(criterion, field));
      if (!criterion.expected.empty()) {
        return Unexpected(
            InvalidArgument("a range criterion has bounds, not an expected text", field));
      }
      return checked;
    }
    case Criterion::Kind::kPassFail:
      // Anything more would be stored and shown but never checked: refused, not ignored.
      if (has_bounds || !criterion.expected.empty()) {
        return Unexpected(
            InvalidArgument("a pass/fail criterion has no bounds, unit or expected text", field));
      }
      return checked;
    case Criterion::Kind::kText:
      if (has_bounds) {
        return Unexpected(
            InvalidArgument("a text criterion has an expected text, not bounds or a unit", field));
      }
      ALIQUOT_RETURN_IF_ERROR(CheckLine(criterion.expected, field + ".expected", 1, 200));
      return checked;
  }
  return Unexpected(InvalidArgument("unknown criterion kind", field + ".kind"));
}

Json CriterionToJson(const Criterion& criterion) {
  Json json = Json::MakeObject();
  json.Set("kind", CriterionKindName(criterion.kind));
  if (criterion.min) json.Set("min", *criterion.min);
  json.Set("min_exclusive", criterion.min_exclusive);
  if (criterion.max) json.Set("max", *criterion.max);
  json.Set("max_exclusive", criterion.max_exclusive);
  if (!criterion.unit.empty()) json.Set("unit", criterion.unit);
  if (!criterion.expected.empty()) json.Set("expected", criterion.expected);
  return json;
}

// The definition a material_defined event carries, which the stored state repeats.
Json DefinitionToJson(const MaterialState& material) {
  Json json = Json::MakeObject();
  json.Set("id", material.id);
  json.Set("name", material.name);
  json.Set("category", CategoryName(material.category));
  json.Set("unit", material.unit);
  json.Set("storage_condition", material.storage_condition);
  Json shelf_life = Json::MakeObject();
  shelf_life.Set("amount", material.shelf_life.amount);
  shelf_life.Set("unit", EnumName(kShelfLifeUnitNames, material.shelf_life.unit));
  json.Set("shelf_life", std::move(shelf_life));
  json.Set("criticality", CriticalityName(material.criticality));
  json.Set("identity_test_required", material.identity_test_required);
  json.Set("spec_version", material.spec_version);
  Json tests = Json::MakeArray();
  for (const SpecTest& test : material.tests) {
    Json entry = Json::MakeObject();
    entry.Set("name", test.name);
    entry.Set("method", test.method);
    entry.Set("criterion", CriterionToJson(test.criterion));
    tests.Push(std::move(entry));
  }
  json.Set("tests", std::move(tests));
  return json;
}

// Reads stored JSON back. A member missing or of the wrong type means the store does not hold what
// was written: kDataLoss naming the member by its path ("tests[1].criterion.kind").
class StoredReader {
 public:
  StoredReader(const Json& json, std::string path) : json_(&json), path_(std::move(path)) {}

  Result<const Json*> Member(std::string_view name, Json::Type type, const char* kind) const {
    const Json* value = json_->Find(name);
    if (value == nullptr || value->GetType() != type) {
      return Unexpected(Corrupt(std::string("lacks the ") + kind + " '" + Path(name) + "'"));
    }
    return value;
  }
  Result<std::string> String(std::string_view name) const {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* value, Member(name, Json::Type::kString, "string"));
    return value->AsString();
  }
  Result<bool> Bool(std::string_view name) const {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* value, Member(name, Json::Type::kBool, "boolean"));
    return value->AsBool();
  }
  Result<int> Int(std::string_view name) const {
    const Json* value = json_->Find(name);
    const std::optional<std::int64_t> integer =
        value != nullptr ? value->AsInteger() : std::nullopt;
    if (!integer || *integer < -kMaxInt || *integer > kMaxInt) {
      return Unexpected(Corrupt("lacks the integer '" + Path(name) + "'"));
    }
    return static_cast<int>(*integer);
  }
  // Absent or null: no number.
  Result<std::optional<double>> OptionalNumber(std::string_view name) const {
    const Json* value = json_->Find(name);
    if (value == nullptr || value->IsNull()) return std::optional<double>();
    if (!value->IsNumber()) return Unexpected(Corrupt("'" + Path(name) + "' is not a number"));
    return std::optional<double>(value->AsNumber());
  }
  Result<std::optional<bool>> OptionalBool(std::string_view name) const {
    const Json* value = json_->Find(name);
    if (value == nullptr || value->IsNull()) return std::optional<bool>();
    if (!value->IsBool()) return Unexpected(Corrupt("'" + Path(name) + "' is not a boolean"));
    return std::optional<bool>(value->AsBool());
  }
  // Absent or null: empty.
  Result<std::string> OptionalString(std::string_view name) const {
    const Json* value = json_->Find(name);
    if (value == nullptr || value->IsNull()) return std::string();
    if (!value->IsString()) return Unexpected(Corrupt("'" + Path(name) + "' is not a string"));
    return value->AsString();
  }
  template <typename Enum, std::size_t N>
  Result<Enum> Name(std::string_view name, const std::array<std::string_view, N>& names) const {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string text, String(name));
    const std::optional<Enum> parsed = EnumFromName<Enum>(names, text);
    if (!parsed) return Unexpected(Corrupt("unknown " + Path(name) + " " + Quoted(text)));
    return *parsed;
  }

  std::string Path(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }
  static Error Corrupt(const std::string& what) { return DataLoss(what); }

 private:
  static constexpr std::int64_t kMaxInt = 1'000'000'000;
  const Json* json_;
  std::string path_;
};

Result<Criterion> CriterionFromJson(const Json& json, const std::string& path) {
  if (!json.IsObject()) return Unexpected(StoredReader::Corrupt("'" + path + "' is not an object"));
  const StoredReader reader(json, path);
  Criterion criterion;
  ALIQUOT_ASSIGN_OR_RETURN(criterion.kind, reader.Name<Criterion::Kind>("kind", kKindNames));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.min, reader.OptionalNumber("min"));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.min_exclusive, reader.Bool("min_exclusive"));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.max, reader.OptionalNumber("max"));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.max_exclusive, reader.Bool("max_exclusive"));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.unit, reader.OptionalString("unit"));
  ALIQUOT_ASSIGN_OR_RETURN(criterion.expected, reader.OptionalString("expected"));
  return criterion;
}

// The definition members of `json` into `material`; kDataLoss naming the first that does not
// read back.
Status DefinitionFromJson(const Json& json, MaterialState& material) {
  if (!json.IsObject()) return Unexpected(StoredReader::Corrupt("the material is not an object"));
  const StoredReader reader(json, "");
  ALIQUOT_ASSIGN_OR_RETURN(material.id, reader.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(material.name, reader.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(material.category, reader.Name<Category>("category", kCategoryNames));
  ALIQUOT_ASSIGN_OR_RETURN(material.unit, reader.String("unit"));
  ALIQUOT_ASSIGN_OR_RETURN(material.storage_condition, reader.String("storage_condition"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* shelf_life,
                           reader.Member("shelf_life", Json::Type::kObject, "object"));
  const StoredReader shelf_reader(*shelf_life, "shelf_life");
  ALIQUOT_ASSIGN_OR_RETURN(material.shelf_life.amount, shelf_reader.Int("amount"));
  ALIQUOT_ASSIGN_OR_RETURN(material.shelf_life.unit,
                           shelf_reader.Name<ShelfLife::Unit>("unit", kShelfLifeUnitNames));
  ALIQUOT_ASSIGN_OR_RETURN(material.criticality,
                           reader.Name<Criticality>("criticality", kCriticalityNames));
  ALIQUOT_ASSIGN_OR_RETURN(material.identity_test_required, reader.Bool("identity_test_required"));
  ALIQUOT_ASSIGN_OR_RETURN(material.spec_version, reader.Int("spec_version"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json* tests, reader.Member("tests", Json::Type::kArray, "array"));
  material.tests.clear();
  for (std::size_t i = 0; i < tests->AsArray().size(); ++i) {
    const Json& entry = tests->AsArray()[i];
    const std::string path = "tests[" + std::to_string(i) + "]";
    if (!entry.IsObject()) return Unexpected(StoredReader::Corrupt(path + " is not an object"));
    const StoredReader test_reader(entry, path);
    SpecTest test;
    ALIQUOT_ASSIGN_OR_RETURN(test.name, test_reader.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(test.method, test_reader.String("method"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* criterion,
                             test_reader.Member("criterion", Json::Type::kObject, "object"));
    ALIQUOT_ASSIGN_OR_RETURN(test.criterion,
                             CriterionFromJson(*criterion, test_reader.Path("criterion")));
    material.tests.push_back(std::move(test));
  }
  return {};
}

// Whether `value` breaches `bound` on the side `sign` points to (+1: above a maximum, -1: below a
// minimum). Within the tolerance a value is on the bound, which only an inclusive bound allows.
bool Beyond(double value, double bound, bool exclusive, double sign) {
  const double tolerance = kRelativeTolerance * std::max(std::fabs(value), std::fabs(bound));
  const double excess = sign * (value - bound);
  return exclusive ? excess >= -tolerance : excess > tolerance;
}

Result<CheckedResult> CheckRange(const SpecTest& test, const TestResult& result,
                                 const std::string& field) {
  const std::string quoted = Quoted(test.name);
  if (result.passed) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes a number with a unit, not pass/fail", field));
  }
  if (!result.text.empty()) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes a number with a unit, not text", field));
  }
  if (!result.value) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes a number with a unit", field + ".value"));
  }
  if (!std::isfinite(*result.value)) {
    return Unexpected(InvalidArgument("the result of test " + quoted + " must be a finite number",
                                      field + ".value"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit unit,
                           units::Unit::Parse(result.unit, field + ".unit"));
  auto spec_unit = units::Unit::Parse(test.criterion.unit, "criterion.unit");
  if (!spec_unit) {
    // DefineMaterial accepted only units that parse: the specification on record is broken.
    return Unexpected(Internal("the specification of test " + quoted + " has the unit " +
                               Quoted(test.criterion.unit) +
                               ", which does not parse: " + spec_unit.error().Message()));
  }
  if (!units::Commensurable(unit, *spec_unit)) {
    return Unexpected(InvalidArgument(
        "test " + quoted + " is specified in " + spec_unit->Text() + " (" +
            units::DescribeDimension(spec_unit->GetDimension()) + "): a value in " + unit.Text() +
            " (" + units::DescribeDimension(unit.GetDimension()) + ") cannot be compared with it",
        field + ".unit"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const double converted,
                           units::Convert(*result.value, unit, *spec_unit, field + ".value"));
  CheckedResult checked;
  checked.result = result;
  checked.result.unit = unit.Text();
  checked.criterion = test.criterion.Describe();
  checked.value_in_spec_unit = converted;
  const Criterion& criterion = test.criterion;
  const std::string observed = test.name + " " + CanonicalNumber(*result.value) + " " + unit.Text();
  if (criterion.min && Beyond(converted, *criterion.min, criterion.min_exclusive, -1)) {
    checked.conforms = false;
    checked.finding = observed + " is below the minimum: " + checked.criterion;
  } else if (criterion.max && Beyond(converted, *criterion.max, criterion.max_exclusive, 1)) {
    checked.conforms = false;
    checked.finding = observed + " is above the maximum: " + checked.criterion;
  }
  return checked;
}

Result<CheckedResult> CheckPassFail(const SpecTest& test, const TestResult& result,
                                    const std::string& field) {
  const std::string quoted = Quoted(test.name);
  if (result.value || !result.unit.empty()) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes pass/fail, not a number with a unit", field));
  }
  if (!result.text.empty()) {
    return Unexpected(InvalidArgument("test " + quoted + " takes pass/fail, not text", field));
  }
  if (!result.passed) {
    return Unexpected(InvalidArgument("test " + quoted + " takes pass/fail", field + ".passed"));
  }
  CheckedResult checked;
  checked.result = result;
  checked.criterion = test.criterion.Describe();
  if (!*result.passed) {
    checked.conforms = false;
    checked.finding = test.name + " failed: the specification requires pass";
  }
  return checked;
}

Result<CheckedResult> CheckText(const SpecTest& test, const TestResult& result,
                                const std::string& field) {
  const std::string quoted = Quoted(test.name);
  if (result.value || !result.unit.empty()) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes text, not a number with a unit", field));
  }
  if (result.passed) {
    return Unexpected(InvalidArgument("test " + quoted + " takes text, not pass/fail", field));
  }
  // Certificates are typed in from paper: a stray space around the text is no finding.
  const std::string_view text = TrimSpace(result.text);
  if (text.empty()) {
    return Unexpected(
        InvalidArgument("test " + quoted + " takes the text observed", field + ".text"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(text, field + ".text", 1, 500));
  CheckedResult checked;
  checked.result = result;
  checked.result.text = std::string(text);
  checked.criterion = test.criterion.Describe();
  if (!EqualIgnoringAsciiCase(text, TrimSpace(test.criterion.expected))) {
    checked.conforms = false;
    checked.finding = test.name + " \"" + std::string(text) +
                      "\" does not match the specification: " + checked.criterion;
  }
  return checked;
}

}  // namespace

std::string_view CategoryName(Category category) { return EnumName(kCategoryNames, category); }

std::optional<Category> CategoryFromName(std::string_view name) {
  return EnumFromName<Category>(kCategoryNames, name);
}

bool IsPurchased(Category category) {
  return category != Category::kStartingMaterial && category != Category::kIntermediate &&
         category != Category::kDrugProduct;
}

std::string_view CriticalityName(Criticality criticality) {
  return EnumName(kCriticalityNames, criticality);
}

std::optional<Criticality> CriticalityFromName(std::string_view name) {
  return EnumFromName<Criticality>(kCriticalityNames, name);
}

Timestamp ShelfLife::After(Timestamp from) const {
  switch (unit) {
    case Unit::kHours:
      return Timestamp::FromMicros(from.Micros() + amount * kMicrosPerHour);
    case Unit::kDays:
      return Timestamp::FromMicros(from.Micros() + amount * kMicrosPerDay);
    case Unit::kMonths:
      break;
  }
  // Calendar months, as labels print them: a lot made on 31 January keeps until 28 February.
  return from.PlusCalendarMonths(amount);
}

std::string ShelfLife::Describe() const {
  const std::string number = std::to_string(amount);
  switch (unit) {
    case Unit::kHours:
      return number + " h";
    case Unit::kDays:
      return number + " d";
    case Unit::kMonths:
      break;
  }
  return number + (amount == 1 ? " month" : " months");
}

std::string Criterion::Describe() const {
  switch (kind) {
    case Kind::kPassFail:
      return "pass";
    case Kind::kText:
      return "\"" + expected + "\"";
    case Kind::kRange:
      break;
  }
  const std::string suffix = unit.empty() ? "" : " " + unit;
  const auto lower = [&] { return (min_exclusive ? "> " : ">= ") + CanonicalNumber(*min); };
  const auto upper = [&] { return (max_exclusive ? "< " : "<= ") + CanonicalNumber(*max); };
  if (min && max) {
    if (min_exclusive || max_exclusive) return lower() + " and " + upper() + suffix;
    if (*min == *max) return "= " + CanonicalNumber(*min) + suffix;
    // "-80--60 C" would misread: a negative bound is spelled out.
    const std::string_view dash = *min < 0 || *max < 0 ? " to " : "-";
    return CanonicalNumber(*min) + std::string(dash) + CanonicalNumber(*max) + suffix;
  }
  if (min) return lower() + suffix;
  if (max) return upper() + suffix;
  return "any value" + suffix;
}

std::string_view CriterionKindName(Criterion::Kind kind) { return EnumName(kKindNames, kind); }

std::optional<Criterion::Kind> CriterionKindFromName(std::string_view name) {
  return EnumFromName<Criterion::Kind>(kKindNames, name);
}

std::string_view ShelfLifeUnitName(ShelfLife::Unit unit) {
  return EnumName(kShelfLifeUnitNames, unit);
}

std::optional<ShelfLife::Unit> ShelfLifeUnitFromName(std::string_view name) {
  return EnumFromName<ShelfLife::Unit>(kShelfLifeUnitNames, name);
}

// `test_name`, not `name`: MaterialState has a member of that name.
const SpecTest* MaterialState::FindTest(std::string_view test_name) const {
  for (const SpecTest& test : tests) {
    if (test.name == test_name) return &test;
  }
  return nullptr;
}

ledger::StreamRef MaterialStream(std::string_view material_id) {
  return {"material", std::string(material_id)};
}

Status CheckIdentifier(std::string_view id, std::string_view field) {
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  };
  const bool valid =
      id.size() >= 2 && id.size() <= 40 &&
      ((id.front() >= 'A' && id.front() <= 'Z') || (id.front() >= '0' && id.front() <= '9')) &&
      std::all_of(id.begin(), id.end(), allowed);
  if (!valid) {
    // The text is not quoted back: it may be anything, including bytes no screen shows.
    return Unexpected(InvalidArgument(
        std::string(field) +
            " must be 2-40 characters of A-Z, 0-9, '-', '.' and '_', starting with a letter or "
            "digit (like MAT-IL2)",
        std::string(field)));
  }
  return {};
}

Result<ledger::NewEvent> DefineMaterial(const MaterialState& state, const MaterialCommand& command,
                                        std::string_view reason, const ledger::Actor& actor,
                                        std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckIdentifier(command.id, "material_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 2, 200));
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit lot_unit, units::Unit::Parse(command.unit, "unit"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.storage_condition, "storage_condition", 2, 200));
  if (command.shelf_life.amount < 1 || command.shelf_life.amount > kMaxShelfLife) {
    return Unexpected(InvalidArgument(
        "shelf_life.amount must be 1 to 9999, got " + std::to_string(command.shelf_life.amount),
        "shelf_life.amount"));
  }
  if (command.tests.size() > kMaxTests) {
    return Unexpected(InvalidArgument(
        "a specification lists at most 60 tests, got " + std::to_string(command.tests.size()),
        "tests"));
  }
  MaterialState defined;
  defined.id = command.id;
  defined.name = command.name;
  defined.category = command.category;
  defined.unit = lot_unit.Text();
  defined.storage_condition = command.storage_condition;
  defined.shelf_life = command.shelf_life;
  defined.criticality = command.criticality;
  defined.identity_test_required = command.identity_test_required;
  for (std::size_t i = 0; i < command.tests.size(); ++i) {
    ALIQUOT_ASSIGN_OR_RETURN(SpecTest test, CheckSpecTest(command.tests[i], i));
    // Results are entered against a test by name: two of one name (in any case) are ambiguous.
    for (const SpecTest& earlier : defined.tests) {
      if (EqualIgnoringAsciiCase(earlier.name, test.name)) {
        return Unexpected(InvalidArgument("test " + Quoted(test.name) + " is listed twice",
                                          TestField(i, "name")));
      }
    }
    defined.tests.push_back(std::move(test));
  }
  if (state.exists) {
    // 21 CFR 211.160(a): a change to a specification is recorded with its justification.
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 2000));
    if (command.category != state.category) {
      return Unexpected(InvalidArgument(
          "a material's category does not change; define a new material", "category"));
    }
  } else if (!reason.empty()) {
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 2000));
  }
  defined.spec_version = state.exists ? state.spec_version + 1 : 1;
  ledger::NewEvent event =
      ledger::NewEvent::On(MaterialStream(command.id), kDefinedEvent, actor, terminal);
  if (!reason.empty()) event.reason = std::string(reason);
  event.payload = DefinitionToJson(defined);
  return event;
}

Status ApplyMaterialEvent(MaterialState& state, const ledger::Event& event) {
  auto parsed = ParseJson(event.payload);
  const Json unreadable;
  const ledger::PayloadReader payload(event, parsed ? *parsed : unreadable);
  if (!parsed) return Unexpected(payload.Corrupt("payload: " + parsed.error().Message()));
  if (event.event_type != kDefinedEvent) {
    return Unexpected(payload.Corrupt("unknown material event"));
  }
  MaterialState next;
  if (const Status read = DefinitionFromJson(*parsed, next); !read) {
    return Unexpected(payload.Corrupt(read.error().Message()));
  }
  if (next.id != event.stream.id) {
    return Unexpected(
        payload.Corrupt("defines material " + next.id + " on the stream of " + event.stream.id));
  }
  // Versions follow one another: a gap or a repeat means an event is missing or replayed.
  const int expected = state.exists ? state.spec_version + 1 : 1;
  if (next.spec_version != expected) {
    return Unexpected(payload.Corrupt("spec_version " + std::to_string(next.spec_version) +
                                      " does not follow " + std::to_string(expected - 1)));
  }
  next.exists = true;
  next.revised_at = event.time;
  next.revised_by = event.actor.id;
  state = std::move(next);
  return {};
}

Json MaterialToJson(const MaterialState& material) {
  Json json = DefinitionToJson(material);
  json.Set("exists", material.exists);
  json.Set("revised_at", material.revised_at.ToRfc3339());
  json.Set("revised_by", material.revised_by);
  return json;
}

Result<MaterialState> MaterialFromJson(const Json& json) {
  MaterialState material;
  if (const Status read = DefinitionFromJson(json, material); !read) {
    return Unexpected(read.error().WithContext("stored material"));
  }
  const StoredReader reader(json, "");
  const auto read = [&]() -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(material.exists, reader.Bool("exists"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string revised_at, reader.String("revised_at"));
    auto time = Timestamp::ParseRfc3339(revised_at);
    if (!time) return Unexpected(DataLoss("revised_at: " + time.error().Message()));
    material.revised_at = *time;
    ALIQUOT_ASSIGN_OR_RETURN(material.revised_by, reader.String("revised_by"));
    return {};
  };
  if (const Status status = read(); !status) {
    return Unexpected(status.error().WithContext("stored material"));
  }
  return material;
}

Result<CheckedResult> CheckResult(const SpecTest& test, const TestResult& result,
                                  std::string_view field) {
  const std::string name(field);
  if (!result.test.empty() && result.test != test.name) {
    return Unexpected(InvalidArgument("a result for test " + Quoted(result.test) +
                                          " is not checked against test " + Quoted(test.name),
                                      name + ".test"));
  }
  Result<CheckedResult> checked = Unexpected(Internal("unknown criterion kind"));
  switch (test.criterion.kind) {
    case Criterion::Kind::kRange:
      checked = CheckRange(test, result, name);
      break;
    case Criterion::Kind::kPassFail:
      checked = CheckPassFail(test, result, name);
      break;
    case Criterion::Kind::kText:
      checked = CheckText(test, result, name);
      break;
  }
  if (checked) checked->result.test = test.name;
  return checked;
}

Json CheckedResultToJson(const CheckedResult& result) {
  Json json = Json::MakeObject();
  json.Set("test", result.result.test);
  if (result.result.value) json.Set("value", *result.result.value);
  json.Set("unit", result.result.unit);
  if (result.result.passed) json.Set("passed", *result.result.passed);
  json.Set("text", result.result.text);
  json.Set("conforms", result.conforms);
  json.Set("criterion", result.criterion);
  if (result.value_in_spec_unit) json.Set("value_in_spec_unit", *result.value_in_spec_unit);
  json.Set("finding", result.finding);
  return json;
}

Result<CheckedResult> CheckedResultFromJson(const Json& json) {
  if (!json.IsObject()) return Unexpected(DataLoss("a checked result is not an object"));
  const StoredReader reader(json, "");
  CheckedResult checked;
  const auto read = [&]() -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(checked.result.test, reader.String("test"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.result.value, reader.OptionalNumber("value"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.result.unit, reader.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.result.passed, reader.OptionalBool("passed"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.result.text, reader.String("text"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.conforms, reader.Bool("conforms"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.criterion, reader.String("criterion"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.value_in_spec_unit,
                             reader.OptionalNumber("value_in_spec_unit"));
    ALIQUOT_ASSIGN_OR_RETURN(checked.finding, reader.String("finding"));
    return {};
  };
  if (const Status status = read(); !status) {
    return Unexpected(status.error().WithContext("checked result"));
  }
  return checked;
}

}  // namespace aliquot::materials
