#include "aliquot/domain/recipes/definition.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "aliquot/core/check.h"
#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/recipes/formula.h"
#include "aliquot/domain/units/units.h"

namespace aliquot::recipes {
namespace {

constexpr std::array<std::string_view, 4> kPhaseNames = {"phase_1", "phase_2", "phase_3",
                                                         "commercial"};
constexpr std::array<std::string_view, 7> kKindNames = {
    "number", "integer", "text", "choice", "boolean", "timestamp", "identifier"};
constexpr std::array<std::string_view, 4> kCriticalityNames = {"cpp", "kpp", "informational",
                                                               "cqa"};
constexpr std::array<std::string_view, 2> kIdentifierFormatNames = {"coi_code", "text"};
constexpr std::array<std::string_view, 2> kVerificationNames = {"none", "second_person"};
constexpr std::array<std::string_view, 2> kStepPointNames = {"start", "end"};

// The members of each object of the format, in the order DefinitionToJson writes them
// (docs/recipes.md), and those without which the object means nothing.
constexpr std::array<std::string_view, 11> kDefinitionFields = {
    "format",       "master_batch_record", "product",     "title",           "batch_size",
    "phases",       "batch_inputs",        "identifiers", "unit_procedures", "time_rules",
    "expiry_clocks"};
constexpr std::array<std::string_view, 5> kDefinitionRequired = {"format", "master_batch_record",
                                                                 "product", "title", "batch_size"};
constexpr std::array<std::string_view, 13> kParameterFields = {
    "id",     "name",    "kind",       "unit",     "criticality", "target", "alert",
    "action", "options", "acceptable", "expected", "required",    "source"};
constexpr std::array<std::string_view, 4> kParameterRequired = {"id", "name", "kind",
                                                                "criticality"};
constexpr std::array<std::string_view, 3> kIdentifierFields = {"id", "name", "format"};
constexpr std::array<std::string_view, 3> kUnitProcedureFields = {"id", "name", "operations"};
constexpr std::array<std::string_view, 2> kIdAndName = {"id", "name"};
constexpr std::array<std::string_view, 13> kStepFields = {
    "id",         "name",          "sop",          "instructions", "after",
    "equipment",  "scan_identity", "verification", "duration",     "materials",
    "parameters", "calculations",  "samples"};
constexpr std::array<std::string_view, 3> kMaterialFields = {"material", "quantity", "tolerance"};
constexpr std::array<std::string_view, 2> kMaterialRequired = {"material", "quantity"};
constexpr std::array<std::string_view, 8> kCalculationFields = {
    "id", "name", "formula", "unit", "criticality", "target", "alert", "action"};
constexpr std::array<std::string_view, 5> kCalculationRequired = {"id", "name", "formula", "unit",
                                                                  "criticality"};
constexpr std::array<std::string_view, 4> kSampleFields = {"id", "name", "quantity", "tests"};
constexpr std::array<std::string_view, 6> kTimeRuleFields = {"id", "name", "from",
                                                             "to", "min",  "max"};
constexpr std::array<std::string_view, 4> kTimeRuleRequired = {"id", "name", "from", "to"};
constexpr std::array<std::string_view, 4> kExpiryClockFields = {"id", "name", "starts", "lasts"};
constexpr std::array<std::string_view, 2> kStepEventFields = {"step", "at"};
constexpr std::array<std::string_view, 2> kLimitsFields = {"low", "high"};
constexpr std::array<std::string_view, 2> kSourceFields = {"equipment_class", "tag"};
constexpr std::array<std::string_view, 2> kDurationFields = {"min", "max"};

// The bases of units::Dimension that count things: what an integer parameter may be counted in.
constexpr std::array<std::string_view, 16> kCountBases = {
    "cells", "copies", "CFU",   "particles", "IU",   "U",       "EU",     "TU",
    "vg",    "items",  "vials", "bags",      "kits", "bottles", "plates", "doses"};

template <std::size_t N>
std::string Join(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string_view Describe(const Json& json) {
  switch (json.GetType()) {
    case Json::Type::kNull:
      return "nothing (null)";
    case Json::Type::kBool:
      return "true or false";
    case Json::Type::kNumber:
      return "a number";
    case Json::Type::kString:
      return "text";
    case Json::Type::kArray:
      return "a list";
    case Json::Type::kObject:
      return "a mapping";
  }
  return "a value";
}

// ---------------------------------------------------------------------------------------------
// Writing

void SetText(Json& object, std::string_view key, const std::string& text) {
  if (!text.empty()) object.Set(std::string(key), text);
}

void SetTexts(Json& object, std::string_view key, const std::vector<std::string>& texts) {
  if (!texts.empty()) object.Set(std::string(key), JsonStrings(texts));
}

void SetLimits(Json& object, std::string_view key, const Limits& limits) {
  if (limits.Empty()) return;
  Json json = Json::MakeObject();
  if (limits.low) json.Set("low", *limits.low);
  if (limits.high) json.Set("high", *limits.high);
  object.Set(std::string(key), std::move(json));
}

Json ParameterToJson(const ParameterDefinition& parameter) {
  Json json = Json::MakeObject();
  json.Set("id", parameter.id);
  json.Set("name", parameter.name);
  json.Set("kind", ParameterKindName(parameter.kind));
  SetText(json, "unit", parameter.unit);
  json.Set("criticality", CriticalityName(parameter.criticality));
  if (parameter.target) json.Set("target", *parameter.target);
  SetLimits(json, "alert", parameter.alert);
  SetLimits(json, "action", parameter.action);
  SetTexts(json, "options", parameter.options);
  SetTexts(json, "acceptable", parameter.acceptable);
  if (parameter.expected) json.Set("expected", *parameter.expected);
  if (parameter.requirement == Requirement::kOptional) json.Set("required", false);
  if (parameter.source) {
    Json source = Json::MakeObject();
    source.Set("equipment_class", parameter.source->equipment_class);
    source.Set("tag", parameter.source->tag);
    json.Set("source", std::move(source));
  }
  return json;
}

Json StepEventToJson(const StepEvent& event) {
  Json json = Json::MakeObject();
  json.Set("step", event.step);
  json.Set("at", EnumName(kStepPointNames, event.point));
  return json;
}

Json StepToJson(const Step& step) {
  Json json = Json::MakeObject();
  json.Set("id", step.id);
  json.Set("name", step.name);
  SetText(json, "sop", step.sop);
  SetText(json, "instructions", step.instructions);
  if (step.after) json.Set("after", JsonStrings(*step.after));
  SetTexts(json, "equipment", step.equipment);
  SetTexts(json, "scan_identity", step.scan_identity);
  if (step.verification != Verification::kNone) {
    json.Set("verification", EnumName(kVerificationNames, step.verification));
  }
  if (!step.min_duration.empty() || !step.max_duration.empty()) {
    Json duration = Json::MakeObject();
    SetText(duration, "min", step.min_duration);
    SetText(duration, "max", step.max_duration);
    json.Set("duration", std::move(duration));
  }
  if (!step.materials.empty()) {
    Json materials = Json::MakeArray();
    for (const MaterialLine& line : step.materials) {
      Json item = Json::MakeObject();
      item.Set("material", line.material);
      item.Set("quantity", line.quantity);
      SetText(item, "tolerance", line.tolerance);
      materials.Push(std::move(item));
    }
    json.Set("materials", std::move(materials));
  }
  if (!step.parameters.empty()) {
    Json parameters = Json::MakeArray();
    for (const ParameterDefinition& parameter : step.parameters) {
      parameters.Push(ParameterToJson(parameter));
    }
    json.Set("parameters", std::move(parameters));
  }
  if (!step.calculations.empty()) {
    Json calculations = Json::MakeArray();
    for (const Calculation& calculation : step.calculations) {
      Json item = Json::MakeObject();
      item.Set("id", calculation.id);
      item.Set("name", calculation.name);
      item.Set("formula", calculation.formula);
      item.Set("unit", calculation.unit);
      item.Set("criticality", CriticalityName(calculation.criticality));
      if (calculation.target) item.Set("target", *calculation.target);
      SetLimits(item, "alert", calculation.alert);
      SetLimits(item, "action", calculation.action);
      calculations.Push(std::move(item));
    }
    json.Set("calculations", std::move(calculations));
  }
  if (!step.samples.empty()) {
    Json samples = Json::MakeArray();
    for (const SamplingPoint& sample : step.samples) {
      Json item = Json::MakeObject();
      item.Set("id", sample.id);
      item.Set("name", sample.name);
      item.Set("quantity", sample.quantity);
      item.Set("tests", sample.tests);
      samples.Push(std::move(item));
    }
    json.Set("samples", std::move(samples));
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Reading

// Reads the format's objects member by member, in the order they are written, so problems come
// in the order of the file; every problem is kept and reading goes on.
class Reader {
 public:
  explicit Reader(std::vector<Problem>& problems) : problems_(problems) {}

  // Problems beyond kMaxProblems are only counted (Unlisted), so that a hostile file cannot make
  // the answer itself unbounded.
  void Add(std::string pointer, std::string message) {
    if (problems_.size() >= kMaxProblems) {
      ++unlisted_;
      return;
    }
    problems_.push_back(Problem{std::move(pointer), std::move(message)});
  }
  std::size_t Unlisted() const { return unlisted_; }
  static constexpr std::size_t kMaxProblems = 500;

  // True when `json` is a mapping; reports each required member it lacks at `pointer`. `what`
  // names the object in messages: "a parameter", "'alert'".
  bool Object(const Json& json, const std::string& pointer, std::string_view what,
              std::span<const std::string_view> required) {
    if (!json.IsObject()) {
      Add(pointer, Capitalised(what) + " must be a mapping of its fields, not " +
                       std::string(Describe(json)));
      return false;
    }
    for (std::string_view name : required) {
      if (json.Find(name) == nullptr) {
        Add(pointer, Quoted(name) + " is missing: " + std::string(what) + " must have one");
      }
    }
    return true;
  }

  template <std::size_t N>
  void Unknown(std::string_view key, const std::string& at, std::string_view what,
               const std::array<std::string_view, N>& fields) {
    Add(at, Quoted(key) + " is not a field of " + std::string(what) + "; the fields are " +
                Join(fields));
  }

  void Text(const Json& value, const std::string& at, std::string_view key, std::string& out) {
    if (!value.IsString()) {
      WrongType(value, at, key, "text");
      return;
    }
    out = value.AsString();
  }

  void Number(const Json& value, const std::string& at, std::string_view key,
              std::optional<double>& out) {
    if (!value.IsNumber()) {
      WrongType(value, at, key, "a number");
      return;
    }
    out = value.AsNumber();
  }

  void Bool(const Json& value, const std::string& at, std::string_view key,
            std::optional<bool>& out) {
    if (!value.IsBool()) {
      WrongType(value, at, key, "true or false");
      return;
    }
    out = value.AsBool();
  }

  void Texts(const Json& value, const std::string& at, std::string_view key,
             std::vector<std::string>& out) {
    if (!value.IsArray()) {
      WrongType(value, at, key, "a list");
      return;
    }
    const Json::Array& array = value.AsArray();
    out.clear();
    // Options, predecessors, equipment classes, identifiers: tens at most in a real process. The
    // bound keeps the duplicate checks on them, quadratic, from being a way to stall the server.
    constexpr std::size_t kMaxEntries = 256;
    if (array.size() > kMaxEntries) {
      Add(at, Quoted(key) + " lists " + std::to_string(array.size()) + " entries; at most " +
                  std::to_string(kMaxEntries) + " are allowed");
      return;
    }
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (!array[i].IsString()) {
        Add(JsonPointerAppend(at, i), "each entry of " + Quoted(key) + " must be text, not " +
                                          std::string(Describe(array[i])));
        continue;
      }
      out.push_back(array[i].AsString());
    }
  }

  template <typename E, std::size_t N>
  std::optional<E> EnumValue(const Json& value, const std::string& at, std::string_view key,
                             const std::array<std::string_view, N>& names) {
    if (!value.IsString()) {
      WrongType(value, at, key, "one of " + Join(names));
      return std::nullopt;
    }
    std::optional<E> parsed = EnumFromName<E>(names, value.AsString());
    if (!parsed) {
      Add(at, Quoted(value.AsString()) + " is not a valid " + Quoted(key) + "; write one of " +
                  Join(names));
    }
    return parsed;
  }

  template <typename E, std::size_t N>
  void Enum(const Json& value, const std::string& at, std::string_view key,
            const std::array<std::string_view, N>& names, E& out) {
    if (std::optional<E> parsed = EnumValue<E>(value, at, key, names)) out = *parsed;
  }

  void LimitsOf(const Json& value, const std::string& at, std::string_view key, Limits& out) {
    const std::string what = Quoted(key);
    if (!Object(value, at, what, {})) return;
    for (const auto& [member, item] : value.AsObject()) {
      const std::string item_at = JsonPointerAppend(at, member);
      if (member == "low") {
        Number(item, item_at, member, out.low);
      } else if (member == "high") {
        Number(item, item_at, member, out.high);
      } else {
        Unknown(member, item_at, what, kLimitsFields);
      }
    }
  }

  // Reads a list of objects with `read(element, pointer, out)`.
  template <typename T, typename Read>
  void List(const Json& value, const std::string& at, std::string_view key, std::vector<T>& out,
            Read read) {
    if (!value.IsArray()) {
      WrongType(value, at, key, "a list");
      return;
    }
    const Json::Array& array = value.AsArray();
    out.assign(array.size(), T{});
    for (std::size_t i = 0; i < array.size(); ++i) read(array[i], JsonPointerAppend(at, i), out[i]);
  }

  void WrongType(const Json& value, const std::string& at, std::string_view key,
                 std::string_view expected) {
    std::string message =
        Quoted(key) + " must be " + std::string(expected) + ", not " + std::string(Describe(value));
    if (expected == "text" && (value.IsNumber() || value.IsBool())) {
      message += "; put it in quotes if it is meant as text";
    }
    Add(at, std::move(message));
  }

  static std::string Capitalised(std::string_view text) {
    std::string out(text);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
    return out;
  }

 private:
  std::vector<Problem>& problems_;
  std::size_t unlisted_ = 0;
};

void ReadParameter(Reader& reader, const Json& json, const std::string& pointer,
                   std::string_view what, ParameterDefinition& out) {
  if (!reader.Object(json, pointer, what, kParameterRequired)) return;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, key);
    if (key == "id") {
      reader.Text(value, at, key, out.id);
    } else if (key == "name") {
      reader.Text(value, at, key, out.name);
    } else if (key == "kind") {
      reader.Enum(value, at, key, kKindNames, out.kind);
    } else if (key == "unit") {
      reader.Text(value, at, key, out.unit);
    } else if (key == "criticality") {
      reader.Enum(value, at, key, kCriticalityNames, out.criticality);
    } else if (key == "target") {
      reader.Number(value, at, key, out.target);
    } else if (key == "alert") {
      reader.LimitsOf(value, at, key, out.alert);
    } else if (key == "action") {
      reader.LimitsOf(value, at, key, out.action);
    } else if (key == "options") {
      reader.Texts(value, at, key, out.options);
    } else if (key == "acceptable") {
      reader.Texts(value, at, key, out.acceptable);
    } else if (key == "expected") {
      reader.Bool(value, at, key, out.expected);
    } else if (key == "required") {
      std::optional<bool> required;
      reader.Bool(value, at, key, required);
      if (required) out.requirement = *required ? Requirement::kRequired : Requirement::kOptional;
    } else if (key == "source") {
      if (!reader.Object(value, at, "'source'", kSourceFields)) continue;
      ParameterSource source;
      for (const auto& [member, item] : value.AsObject()) {
        const std::string item_at = JsonPointerAppend(at, member);
        if (member == "equipment_class") {
          reader.Text(item, item_at, member, source.equipment_class);
        } else if (member == "tag") {
          reader.Text(item, item_at, member, source.tag);
        } else {
          reader.Unknown(member, item_at, "'source'", kSourceFields);
        }
      }
      out.source = std::move(source);
    } else {
      reader.Unknown(key, at, what, kParameterFields);
    }
  }
}

void ReadStepEvent(Reader& reader, const Json& json, const std::string& pointer,
                   std::string_view key, StepEvent& out) {
  const std::string what = Quoted(key);
  if (!reader.Object(json, pointer, what, kStepEventFields)) return;
  for (const auto& [member, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, member);
    if (member == "step") {
      reader.Text(value, at, member, out.step);
    } else if (member == "at") {
      reader.Enum(value, at, member, kStepPointNames, out.point);
    } else {
      reader.Unknown(member, at, what, kStepEventFields);
    }
  }
}

void ReadStep(Reader& reader, const Json& json, const std::string& pointer, Step& out) {
  if (!reader.Object(json, pointer, "a step", kIdAndName)) return;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, key);
    if (key == "id") {
      reader.Text(value, at, key, out.id);
    } else if (key == "name") {
      reader.Text(value, at, key, out.name);
    } else if (key == "sop") {
      reader.Text(value, at, key, out.sop);
    } else if (key == "instructions") {
      reader.Text(value, at, key, out.instructions);
    } else if (key == "after") {
      std::vector<std::string> after;
      if (!value.IsArray()) {
        reader.WrongType(value, at, key, "a list of steps");
        continue;
      }
      reader.Texts(value, at, key, after);
      out.after = std::move(after);
    } else if (key == "equipment") {
      reader.Texts(value, at, key, out.equipment);
    } else if (key == "scan_identity") {
      reader.Texts(value, at, key, out.scan_identity);
    } else if (key == "verification") {
      reader.Enum(value, at, key, kVerificationNames, out.verification);
    } else if (key == "duration") {
      if (!reader.Object(value, at, "'duration'", {})) continue;
      for (const auto& [member, item] : value.AsObject()) {
        const std::string item_at = JsonPointerAppend(at, member);
        if (member == "min") {
          reader.Text(item, item_at, member, out.min_duration);
        } else if (member == "max") {
          reader.Text(item, item_at, member, out.max_duration);
        } else {
          reader.Unknown(member, item_at, "'duration'", kDurationFields);
        }
      }
    } else if (key == "materials") {
      reader.List(value, at, key, out.materials,
                  [&reader](const Json& item, const std::string& item_at, MaterialLine& line) {
                    if (!reader.Object(item, item_at, "a material line", kMaterialRequired)) {
                      return;
                    }
                    for (const auto& [member, field] : item.AsObject()) {
                      const std::string field_at = JsonPointerAppend(item_at, member);
                      if (member == "material") {
                        reader.Text(field, field_at, member, line.material);
                      } else if (member == "quantity") {
                        reader.Text(field, field_at, member, line.quantity);
                      } else if (member == "tolerance") {
                        reader.Text(field, field_at, member, line.tolerance);
                      } else {
                        reader.Unknown(member, field_at, "a material line", kMaterialFields);
                      }
                    }
                  });
    } else if (key == "parameters") {
      reader.List(
          value, at, key, out.parameters,
          [&reader](const Json& item, const std::string& item_at, ParameterDefinition& parameter) {
            ReadParameter(reader, item, item_at, "a parameter", parameter);
          });
    } else if (key == "calculations") {
      reader.List(
          value, at, key, out.calculations,
          [&reader](const Json& item, const std::string& item_at, Calculation& calculation) {
            if (!reader.Object(item, item_at, "a calculation", kCalculationRequired)) return;
            for (const auto& [member, field] : item.AsObject()) {
              const std::string field_at = JsonPointerAppend(item_at, member);
              if (member == "id") {
                reader.Text(field, field_at, member, calculation.id);
              } else if (member == "name") {
                reader.Text(field, field_at, member, calculation.name);
              } else if (member == "formula") {
                reader.Text(field, field_at, member, calculation.formula);
              } else if (member == "unit") {
                reader.Text(field, field_at, member, calculation.unit);
              } else if (member == "criticality") {
                reader.Enum(field, field_at, member, kCriticalityNames, calculation.criticality);
              } else if (member == "target") {
                reader.Number(field, field_at, member, calculation.target);
              } else if (member == "alert") {
                reader.LimitsOf(field, field_at, member, calculation.alert);
              } else if (member == "action") {
                reader.LimitsOf(field, field_at, member, calculation.action);
              } else {
                reader.Unknown(member, field_at, "a calculation", kCalculationFields);
              }
            }
          });
    } else if (key == "samples") {
      reader.List(value, at, key, out.samples,
                  [&reader](const Json& item, const std::string& item_at, SamplingPoint& sample) {
                    if (!reader.Object(item, item_at, "a sample", kSampleFields)) return;
                    for (const auto& [member, field] : item.AsObject()) {
                      const std::string field_at = JsonPointerAppend(item_at, member);
                      if (member == "id") {
                        reader.Text(field, field_at, member, sample.id);
                      } else if (member == "name") {
                        reader.Text(field, field_at, member, sample.name);
                      } else if (member == "quantity") {
                        reader.Text(field, field_at, member, sample.quantity);
                      } else if (member == "tests") {
                        reader.Text(field, field_at, member, sample.tests);
                      } else {
                        reader.Unknown(member, field_at, "a sample", kSampleFields);
                      }
                    }
                  });
    } else {
      reader.Unknown(key, at, "a step", kStepFields);
    }
  }
}

void ReadUnitProcedure(Reader& reader, const Json& json, const std::string& pointer,
                       UnitProcedure& out) {
  if (!reader.Object(json, pointer, "a unit procedure", kIdAndName)) return;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, key);
    if (key == "id") {
      reader.Text(value, at, key, out.id);
    } else if (key == "name") {
      reader.Text(value, at, key, out.name);
    } else if (key == "operations") {
      reader.List(value, at, key, out.operations,
                  [&reader](const Json& item, const std::string& item_at, Step& step) {
                    ReadStep(reader, item, item_at, step);
                  });
    } else {
      reader.Unknown(key, at, "a unit procedure", kUnitProcedureFields);
    }
  }
}

void ReadTimeRule(Reader& reader, const Json& json, const std::string& pointer, TimeRule& out) {
  if (!reader.Object(json, pointer, "a time rule", kTimeRuleRequired)) return;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, key);
    if (key == "id") {
      reader.Text(value, at, key, out.id);
    } else if (key == "name") {
      reader.Text(value, at, key, out.name);
    } else if (key == "from") {
      ReadStepEvent(reader, value, at, key, out.from);
    } else if (key == "to") {
      ReadStepEvent(reader, value, at, key, out.to);
    } else if (key == "min") {
      reader.Text(value, at, key, out.min);
    } else if (key == "max") {
      reader.Text(value, at, key, out.max);
    } else {
      reader.Unknown(key, at, "a time rule", kTimeRuleFields);
    }
  }
}

void ReadExpiryClock(Reader& reader, const Json& json, const std::string& pointer,
                     ExpiryClock& out) {
  if (!reader.Object(json, pointer, "an expiry clock", kExpiryClockFields)) return;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend(pointer, key);
    if (key == "id") {
      reader.Text(value, at, key, out.id);
    } else if (key == "name") {
      reader.Text(value, at, key, out.name);
    } else if (key == "starts") {
      ReadStepEvent(reader, value, at, key, out.starts);
    } else if (key == "lasts") {
      reader.Text(value, at, key, out.lasts);
    } else {
      reader.Unknown(key, at, "an expiry clock", kExpiryClockFields);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

bool IsLowerId(std::string_view id) {
  if (id.empty() || id.size() > 48 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string NumberText(double value) { return CanonicalNumber(value); }

std::string WithUnit(std::string text, std::string_view unit) {
  if (!unit.empty()) {
    text += ' ';
    text += unit;
  }
  return text;
}

// "36.5-37.5 C", "at least 70 %", "at most 5".
std::string DescribeLimits(const Limits& limits, std::string_view unit) {
  if (limits.low && limits.high) {
    const bool negative = *limits.low < 0 || *limits.high < 0;
    return WithUnit(NumberText(*limits.low) + (negative ? " to " : "-") + NumberText(*limits.high),
                    unit);
  }
  if (limits.low) return "at least " + WithUnit(NumberText(*limits.low), unit);
  if (limits.high) return "at most " + WithUnit(NumberText(*limits.high), unit);
  return "none";
}

bool Within(const Limits& limits, double value) {
  return (!limits.low || value >= *limits.low) && (!limits.high || value <= *limits.high);
}

bool IsWhole(double value) { return std::isfinite(value) && std::floor(value) == value; }

bool IsCount(const units::Unit& unit) {
  const auto& exponents = unit.GetDimension().exponents;
  return exponents.size() == 1 && exponents[0].second == 1 &&
         std::find(kCountBases.begin(), kCountBases.end(), exponents[0].first) != kCountBases.end();
}

std::string KnownEquipmentClasses() {
  std::string out;
  for (int i = 0;; ++i) {
    const std::string_view name =
        equipment::EquipmentClassName(static_cast<equipment::EquipmentClass>(i));
    if (name == "unknown") break;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// A bit set of steps by index: a step's transitive predecessors.
class StepSet {
 public:
  explicit StepSet(std::size_t size) : words_((size + 63) / 64, 0) {}
  void Insert(std::size_t index) { words_[index / 64] |= std::uint64_t{1} << (index % 64); }
  bool Contains(std::size_t index) const { return (words_[index / 64] >> (index % 64) & 1U) != 0; }
  void Merge(const StepSet& other) {
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }

 private:
  std::vector<std::uint64_t> words_;
};

// How a name in a formula resolves: what the formula may compute with, or why it may not.
struct Resolution {
  std::optional<NameInfo> info;
  std::string problem;  // Non-empty: the name cannot be used, and why.
  // Neither: the name stands for something with a problem of its own, reported there.
};

// What a value that formulas may use stands for: its unit and range, or nothing when it has a
// problem of its own (so the formulas using it are not refused a second time for it).
struct ValueState {
  bool numeric = true;           // False: a parameter of a kind formulas cannot compute with.
  bool optional = false;         // An optional parameter: it may have no value to compute with.
  std::string_view kind_name;    // For the message when not numeric.
  std::optional<NameInfo> info;  // Unset: broken.
};

struct StepInfo {
  const Step* step = nullptr;
  std::string pointer;
  std::unordered_map<std::string_view, std::size_t> parameters;    // First of each id.
  std::unordered_map<std::string_view, std::size_t> calculations;  // First of each id.
  std::vector<ValueState> parameter_states;
  std::vector<ValueState> calculation_states;
  // Problems of each calculation's formula, found before the walk that reports them in order.
  std::vector<std::vector<std::string>> formula_problems;
  std::vector<std::size_t> predecessors;  // Direct, resolved.
  std::vector<std::string> cycles;        // Messages reported at this step's "after".
};

class Validator {
 public:
  Validator(const Definition& definition, const References& references)
      : definition_(definition), references_(references) {
    auto hours = units::Unit::Parse("h", "unit");
    ALIQUOT_CHECK(hours.has_value());
    time_dimension_ = hours->GetDimension();
    auto one = units::Unit::Parse("1", "unit");
    ALIQUOT_CHECK(one.has_value());
    dimensionless_ = *one;
  }

  std::vector<Problem> Run() {
    // A bound on what a definition may ask of the validator: the step graph's sets are quadratic
    // in the steps, and a real process has tens of them, not thousands.
    std::size_t steps = 0;
    for (const UnitProcedure& unit : definition_.unit_procedures) steps += unit.operations.size();
    if (steps > kMaxSteps) {
      Add("/unit_procedures", "the definition has " + std::to_string(steps) +
                                  " steps; a master batch record may have at most " +
                                  std::to_string(kMaxSteps));
      return std::move(problems_);
    }
    Index();
    OrderSteps();
    CheckFormulas();

    CheckRecordId(definition_.master_batch_record, "/master_batch_record", "master_batch_record",
                  "MBR-CAR19");
    CheckRecordId(definition_.product, "/product", "product", "CAR19");
    CheckName(definition_.title, "/title", "the definition", "title");
    CheckName(definition_.batch_size, "/batch_size", "the definition", "batch_size");
    CheckPhases();
    CheckBatchInputs();
    CheckIdentifiers();
    CheckUnitProcedures();
    CheckTimeRules();
    CheckExpiryClocks();
    if (unlisted_ > 0) {
      problems_.push_back(Problem{"", "and " + std::to_string(unlisted_) +
                                          " more problems not listed: correct these first"});
    }
    return std::move(problems_);
  }

 private:
  static constexpr std::size_t kMaxSteps = 2000;
  // Problems kept in full; beyond them only counted, so a hostile file cannot make the answer
  // itself unbounded.
  static constexpr std::size_t kMaxProblems = 500;
  static constexpr std::size_t kMaxCycles = 10;

  void Add(std::string pointer, std::string message) {
    if (problems_.size() >= kMaxProblems) {
      ++unlisted_;
      return;
    }
    problems_.push_back(Problem{std::move(pointer), std::move(message)});
  }

  // ---- Preparation: indexes, the step graph and every formula, before the ordered walk.

  void Index() {
    for (std::size_t u = 0; u < definition_.unit_procedures.size(); ++u) {
      const std::string procedure =
          JsonPointerAppend(JsonPointerAppend("/unit_procedures", u), "operations");
      const auto& operations = definition_.unit_procedures[u].operations;
      for (std::size_t o = 0; o < operations.size(); ++o) {
        StepInfo info;
        info.step = &operations[o];
        info.pointer = JsonPointerAppend(procedure, o);
        steps_.push_back(std::move(info));
      }
    }
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      StepInfo& info = steps_[s];
      step_index_.emplace(info.step->id, s);
      for (std::size_t i = 0; i < info.step->parameters.size(); ++i) {
        info.parameters.emplace(info.step->parameters[i].id, i);
        info.parameter_states.push_back(ParameterState(info.step->parameters[i]));
      }
      for (std::size_t i = 0; i < info.step->calculations.size(); ++i) {
        info.calculations.emplace(info.step->calculations[i].id, i);
      }
      info.calculation_states.resize(info.step->calculations.size());
      info.formula_problems.resize(info.step->calculations.size());
    }
    for (std::size_t i = 0; i < definition_.batch_inputs.size(); ++i) {
      batch_inputs_.emplace(definition_.batch_inputs[i].id, i);
      batch_input_states_.push_back(ParameterState(definition_.batch_inputs[i]));
    }
  }

  ValueState ParameterState(const ParameterDefinition& parameter) const {
    ValueState state;
    state.optional = parameter.requirement == Requirement::kOptional;
    if (parameter.kind != ParameterKind::kNumber && parameter.kind != ParameterKind::kInteger) {
      state.numeric = false;
      state.kind_name = ParameterKindName(parameter.kind);
      return state;
    }
    NameInfo info;
    if (parameter.unit.empty()) {
      if (parameter.kind == ParameterKind::kNumber) return state;  // Refused at its unit.
      info.unit = dimensionless_;
    } else {
      auto unit = units::Unit::Parse(parameter.unit, "unit");
      if (!unit) return state;
      info.unit = *unit;
    }
    info.low = parameter.action.low;
    info.high = parameter.action.high;
    state.info = std::move(info);
    return state;
  }

  // The direct predecessors of each step, the cycles among them, a topological order and each
  // step's transitive predecessors.
  void OrderSteps() {
    const std::size_t count = steps_.size();
    for (std::size_t s = 0; s < count; ++s) {
      const Step& step = *steps_[s].step;
      if (!step.after) {
        if (s > 0) steps_[s].predecessors.push_back(s - 1);
        continue;
      }
      for (const std::string& name : *step.after) {
        auto found = step_index_.find(name);
        if (found == step_index_.end() || found->second == s) continue;  // Reported in the walk.
        auto& predecessors = steps_[s].predecessors;
        if (std::find(predecessors.begin(), predecessors.end(), found->second) ==
            predecessors.end()) {
          predecessors.push_back(found->second);
        }
      }
    }
    FindCycles();

    // Kahn's algorithm; steps on or behind a cycle are left out and ordered last.
    std::vector<std::size_t> waiting(count);
    std::vector<std::vector<std::size_t>> successors(count);
    for (std::size_t s = 0; s < count; ++s) {
      waiting[s] = steps_[s].predecessors.size();
      for (std::size_t p : steps_[s].predecessors) successors[p].push_back(s);
    }
    std::vector<std::size_t> ready;
    for (std::size_t s = count; s-- > 0;) {
      if (waiting[s] == 0) ready.push_back(s);
    }
    std::vector<bool> ordered(count, false);
    ancestors_.assign(count, StepSet(count));
    while (!ready.empty()) {
      const std::size_t s = ready.back();
      ready.pop_back();
      ordered[s] = true;
      order_.push_back(s);
      for (std::size_t p : steps_[s].predecessors) {
        ancestors_[s].Merge(ancestors_[p]);
        ancestors_[s].Insert(p);
      }
      for (std::size_t next : successors[s]) {
        if (--waiting[next] == 0) ready.push_back(next);
      }
    }
    for (std::size_t s = 0; s < count; ++s) {
      if (ordered[s]) continue;
      order_.push_back(s);
      // A search of its own: the cycle makes the shared sets unsound.
      std::vector<std::size_t> stack(steps_[s].predecessors);
      StepSet& set = ancestors_[s];
      while (!stack.empty()) {
        const std::size_t p = stack.back();
        stack.pop_back();
        if (set.Contains(p)) continue;
        set.Insert(p);
        for (std::size_t q : steps_[p].predecessors) stack.push_back(q);
      }
    }
  }

  void FindCycles() {
    const std::size_t count = steps_.size();
    enum Color : std::uint8_t { kWhite, kGrey, kBlack };
    std::vector<Color> color(count, kWhite);
    std::vector<std::size_t> position(count, 0);
    std::set<std::vector<std::size_t>> seen;
    struct Frame {
      std::size_t step;
      std::size_t next;
    };
    for (std::size_t start = 0; start < count; ++start) {
      if (color[start] != kWhite) continue;
      std::vector<Frame> stack{{start, 0}};
      color[start] = kGrey;
      position[start] = 0;
      while (!stack.empty()) {
        Frame& frame = stack.back();
        const auto& predecessors = steps_[frame.step].predecessors;
        if (frame.next == predecessors.size()) {
          color[frame.step] = kBlack;
          stack.pop_back();
          continue;
        }
        const std::size_t p = predecessors[frame.next++];
        if (color[p] == kWhite) {
          color[p] = kGrey;
          position[p] = stack.size();
          stack.push_back(Frame{p, 0});
        } else if (color[p] == kGrey) {
          // stack[i + 1] is a predecessor of stack[i]; so, in the order they would run:
          // p, the top of the stack, ..., the one above p, and p again.
          std::vector<std::size_t> cycle{p};
          for (std::size_t i = stack.size() - 1; i > position[p]; --i) {
            cycle.push_back(stack[i].step);
          }
          std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
          if (seen.size() >= kMaxCycles || !seen.insert(cycle).second) continue;
          std::string path;
          for (std::size_t s : cycle) path += steps_[s].step->id + " -> ";
          path += steps_[cycle.front()].step->id;
          steps_[cycle.front()].cycles.push_back(
              "the steps form a cycle: " + path +
              " (each waits for the one before it), so none of them can start; remove one of "
              "these 'after' entries");
        }
      }
    }
  }

  bool IsPredecessor(std::size_t candidate, std::size_t step) const {
    return ancestors_[step].Contains(candidate);
  }

  // Resolves `name` in a formula of step `s` that may use the calculations before `limit`;
  // `user` names the formula's owner in messages ("'dose'", "the quantity").
  Resolution Resolve(std::size_t s, std::size_t limit, std::string_view name,
                     std::string_view user) const {
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return ResolveInStep(s, s, limit, name, name, user);
    const std::string_view prefix = name.substr(0, dot);
    const std::string_view member = name.substr(dot + 1);
    Resolution resolution;
    if (prefix == "batch") {
      auto found = batch_inputs_.find(member);
      if (found == batch_inputs_.end()) {
        std::string known;
        for (const auto& input : definition_.batch_inputs) {
          known += (known.empty() ? "" : ", ") + input.id;
        }
        resolution.problem = Quoted(name) + " is not a batch input; " +
                             (known.empty() ? std::string("the definition has none")
                                            : "the batch inputs are " + known);
        return resolution;
      }
      return FromState(batch_input_states_[found->second], name);
    }
    auto step = step_index_.find(prefix);
    if (step == step_index_.end()) {
      resolution.problem = Quoted(name) + " names no step " + Quoted(prefix) +
                           ": write 'step_id.value_id' for a value of an earlier step or "
                           "'batch.input_id' for a batch input";
      return resolution;
    }
    const std::size_t t = step->second;
    if (t == s) return ResolveInStep(s, t, limit, member, name, user);
    if (!IsPredecessor(t, s)) {
      resolution.problem = Quoted(name) + " is a value of step " + std::string(prefix) +
                           ", which does not come before step " + steps_[s].step->id +
                           ": a formula may use only values of steps that must be complete "
                           "before its own (see 'after')";
      return resolution;
    }
    return ResolveInStep(s, t, steps_[t].step->calculations.size(), member, name, user);
  }

  Resolution ResolveInStep(std::size_t s, std::size_t t, std::size_t limit, std::string_view member,
                           std::string_view name, std::string_view user) const {
    const StepInfo& info = steps_[t];
    Resolution resolution;
    if (auto found = info.parameters.find(member); found != info.parameters.end()) {
      return FromState(info.parameter_states[found->second], name);
    }
    if (auto found = info.calculations.find(member); found != info.calculations.end()) {
      const std::size_t index = found->second;
      if (t == s && index == limit) {
        resolution.problem = std::string(user) + " uses itself";
      } else if (t == s && index > limit) {
        resolution.problem = std::string(user) + " uses " + Quoted(name) +
                             ", which is calculated after it in this step: a calculation may use "
                             "only those listed before it; move " +
                             Quoted(member) + " above it";
      } else {
        return FromState(info.calculation_states[index], name);
      }
      return resolution;
    }
    resolution.problem = Quoted(name) + " is not a parameter or calculation of step " +
                         info.step->id +
                         (t == s ? std::string("; write 'step_id.value_id' for a value of an "
                                               "earlier step, 'batch.input_id' for a batch input")
                                 : std::string());
    return resolution;
  }

  static Resolution FromState(const ValueState& state, std::string_view name) {
    Resolution resolution;
    if (!state.numeric) {
      resolution.problem = Quoted(name) + " is a " + std::string(state.kind_name) +
                           " parameter: formulas compute only with numbers and integers";
      return resolution;
    }
    if (state.optional) {
      // G-03: a calculation is recorded with the batch; one whose input may never be entered
      // could not be.
      resolution.problem = Quoted(name) +
                           " is optional and may have no value: a formula may use only required "
                           "values; make it required or compute without it";
      return resolution;
    }
    resolution.info = state.info;
    return resolution;
  }

  // Checks `formula` (parsed) of step `s` with the calculations before `limit` in scope. Returns
  // the check, or nothing with each problem appended to `problems` (none when a name it uses has
  // a problem of its own).
  std::optional<FormulaCheck> CheckInScope(const Formula& formula, std::size_t s, std::size_t limit,
                                           std::string_view user,
                                           const std::optional<units::Unit>& result_unit,
                                           std::string_view field,
                                           std::vector<std::string>& problems) const {
    std::vector<std::pair<std::string_view, NameInfo>> names;
    bool usable = true;
    for (const std::string& name : formula.Names()) {
      Resolution resolution = Resolve(s, limit, name, user);
      if (!resolution.problem.empty()) {
        problems.push_back(std::move(resolution.problem));
        usable = false;
      } else if (!resolution.info) {
        usable = false;
      } else {
        names.emplace_back(name, std::move(*resolution.info));
      }
    }
    if (!usable) return std::nullopt;
    const NameLookup lookup = [&names](std::string_view name) -> std::optional<NameInfo> {
      for (const auto& [known, info] : names) {
        if (known == name) return info;
      }
      return std::nullopt;
    };
    Result<FormulaCheck> check = CheckFormula(formula, lookup, result_unit, field);
    if (!check) {
      problems.push_back(check.error().Message());
      return std::nullopt;
    }
    return std::move(*check);
  }

  // Every calculation's formula, steps in an order that checks a step's predecessors first, so a
  // calculation used by a later step lends it the range computed for it.
  void CheckFormulas() {
    for (std::size_t s : order_) {
      StepInfo& info = steps_[s];
      for (std::size_t k = 0; k < info.step->calculations.size(); ++k) {
        const Calculation& calculation = info.step->calculations[k];
        std::optional<units::Unit> unit;
        if (!calculation.unit.empty()) {
          auto parsed = units::Unit::Parse(calculation.unit, "unit");
          if (parsed) unit = *parsed;
        }
        if (calculation.formula.empty()) continue;  // Refused in the walk.
        Result<Formula> formula = Formula::Parse(calculation.formula, "formula");
        if (!formula) {
          info.formula_problems[k].push_back(formula.error().Message());
          continue;
        }
        std::optional<FormulaCheck> check = CheckInScope(*formula, s, k, Quoted(calculation.id),
                                                         unit, "formula", info.formula_problems[k]);
        if (!check || !unit) continue;
        NameInfo value;
        value.unit = *unit;
        // The action limits where given; else the range the formula gives, in the unit.
        const auto in_unit = [&unit](std::optional<double> base) -> std::optional<double> {
          if (!base || unit->Factor() == 0) return std::nullopt;
          return (*base - unit->Offset()) / unit->Factor();
        };
        value.low = calculation.action.low ? calculation.action.low : in_unit(check->low);
        value.high = calculation.action.high ? calculation.action.high : in_unit(check->high);
        info.calculation_states[k].info = std::move(value);
      }
    }
  }

  // ---- The walk, in the order of the file.

  void CheckId(const std::string& id, const std::string& pointer, std::string_view what) {
    if (id.empty()) {
      Add(pointer, std::string(what) +
                       " has no id: write 1-48 lower-case letters, digits and '_', starting "
                       "with a letter, as in 'viable_cells'");
    } else if (!IsLowerId(id)) {
      Add(pointer, Quoted(id) +
                       " is not a valid id: write 1-48 lower-case letters, digits and '_', "
                       "starting with a letter, as in 'viable_cells'");
    }
  }

  // Reports `id` at `pointer` when `seen` holds it already; adds it otherwise.
  void CheckUnique(std::map<std::string, std::string, std::less<>>& seen, const std::string& id,
                   const std::string& pointer, std::string_view what, std::string_view where) {
    if (id.empty()) return;
    auto [it, inserted] = seen.emplace(id, pointer);
    if (!inserted) {
      Add(pointer, "another " + std::string(what) + " is already called " + Quoted(id) + " (at " +
                       it->second + "): " + std::string(what) + " ids must be unique " +
                       std::string(where));
    }
  }

  void CheckName(const std::string& name, const std::string& pointer, std::string_view what,
                 std::string_view field) {
    if (name.empty()) {
      Add(pointer, std::string(what) + " has no " + std::string(field) + ": write one");
      return;
    }
    if (auto status = CheckLine(name, field, 1, 500); !status) {
      Add(pointer, status.error().Message());
    }
  }

  void CheckRecordId(const std::string& id, const std::string& pointer, std::string_view field,
                     std::string_view example) {
    if (IsUpperCaseCode(id, 2, 32)) return;
    Add(pointer, (id.empty() ? "the definition has no " + std::string(field)
                             : Quoted(id) + " is not a valid " + std::string(field)) +
                     ": write 2-32 capital letters, digits and '-', as in " + Quoted(example));
  }

  void CheckPhases() {
    if (definition_.phases.empty()) {
      Add("/phases",
          "the definition names no clinical phase: write the phases it is for, one or more of " +
              Join(kPhaseNames));
      return;
    }
    for (std::size_t i = 0; i < definition_.phases.size(); ++i) {
      const auto begin = definition_.phases.begin();
      if (std::find(begin, begin + static_cast<std::ptrdiff_t>(i), definition_.phases[i]) !=
          begin + static_cast<std::ptrdiff_t>(i)) {
        Add(JsonPointerAppend("/phases", i),
            Quoted(ClinicalPhaseName(definition_.phases[i])) + " is listed twice");
      }
    }
  }

  void CheckBatchInputs() {
    std::map<std::string, std::string, std::less<>> seen;
    for (std::size_t i = 0; i < definition_.batch_inputs.size(); ++i) {
      const ParameterDefinition& input = definition_.batch_inputs[i];
      const std::string pointer = JsonPointerAppend("/batch_inputs", i);
      CheckParameter(
          input, pointer, "a batch input",
          [&] {
            CheckUnique(seen, input.id, pointer + "/id", "batch input", "among the batch inputs");
          },
          [&] {
            if (input.kind != ParameterKind::kNumber && input.kind != ParameterKind::kInteger) {
              Add(pointer + "/kind", "a batch input is a number or an integer, not a " +
                                         std::string(ParameterKindName(input.kind)) +
                                         ": formulas use batch inputs");
            }
          });
    }
  }

  void CheckIdentifiers() {
    std::map<std::string, std::string, std::less<>> seen;
    for (std::size_t i = 0; i < definition_.identifiers.size(); ++i) {
      const Identifier& identifier = definition_.identifiers[i];
      const std::string pointer = JsonPointerAppend("/identifiers", i);
      CheckId(identifier.id, pointer + "/id", "the identifier");
      CheckUnique(seen, identifier.id, pointer + "/id", "identifier", "in the definition");
      CheckName(identifier.name, pointer + "/name", "the identifier", "name");
    }
    CheckChainOfIdentity();
  }

  // T-01, T-02 (21 CFR 1271.290): an autologous batch carries its patient's distinct
  // identification code, and its labels are scanned against it somewhere in the process.
  void CheckChainOfIdentity() {
    if (!references_.product) return;
    const std::optional<ProductReference> product = references_.product(definition_.product);
    if (!product || !product->autologous) return;
    std::vector<std::string> codes;
    for (const Identifier& identifier : definition_.identifiers) {
      if (identifier.format == IdentifierFormat::kCoiCode) codes.push_back(identifier.id);
    }
    if (codes.empty()) {
      Add("/identifiers", "product " + definition_.product +
                              " is autologous: declare the patient's distinct identification "
                              "code as an identifier of format coi_code, so that it travels with "
                              "every batch");
      return;
    }
    for (const Step* step : definition_.Steps()) {
      for (const std::string& scanned : step->scan_identity) {
        if (std::find(codes.begin(), codes.end(), scanned) != codes.end()) return;
      }
    }
    Add("/identifiers", "product " + definition_.product + " is autologous, but no step scans " +
                            codes.front() +
                            ": list it under scan_identity where labels are matched (at least at "
                            "receipt of the starting material and at labelling)");
  }

  void CheckUnitProcedures() {
    if (definition_.unit_procedures.empty()) {
      Add("/unit_procedures",
          "the definition has no unit procedures: the procedure is written as unit procedures "
          "of steps");
      return;
    }
    std::map<std::string, std::string, std::less<>> seen;
    std::size_t s = 0;
    for (std::size_t u = 0; u < definition_.unit_procedures.size(); ++u) {
      const UnitProcedure& procedure = definition_.unit_procedures[u];
      const std::string pointer = JsonPointerAppend("/unit_procedures", u);
      CheckId(procedure.id, pointer + "/id", "the unit procedure");
      CheckUnique(seen, procedure.id, pointer + "/id", "unit procedure", "in the definition");
      CheckName(procedure.name, pointer + "/name", "the unit procedure", "name");
      if (procedure.operations.empty()) {
        Add(pointer + "/operations",
            "the unit procedure " + Quoted(procedure.id) + " has no steps: write its operations");
      }
      for (std::size_t o = 0; o < procedure.operations.size(); ++o) CheckStep(s++);
    }
  }

  void CheckStep(std::size_t s) {
    const StepInfo& info = steps_[s];
    const Step& step = *info.step;
    const std::string& pointer = info.pointer;
    CheckId(step.id, pointer + "/id", "the step");
    if (step.id == "batch") {
      Add(pointer + "/id",
          "a step cannot be called 'batch': formulas use 'batch.' for batch "
          "inputs; choose another id");
    }
    CheckUnique(step_ids_, step.id, pointer + "/id", "step", "in the definition");
    CheckName(step.name, pointer + "/name", "the step", "name");
    CheckSop(step.sop, pointer + "/sop");
    if (step.after) {
      for (std::size_t i = 0; i < step.after->size(); ++i) {
        const std::string& name = (*step.after)[i];
        const std::string at = JsonPointerAppend(pointer + "/after", i);
        auto found = step_index_.find(name);
        if (found == step_index_.end()) {
          Add(at, Quoted(name) + " is not a step of this definition");
        } else if (found->second == s) {
          Add(at, "a step cannot come after itself: remove " + Quoted(name));
        } else if (std::find(step.after->begin(),
                             step.after->begin() + static_cast<std::ptrdiff_t>(i),
                             name) != step.after->begin() + static_cast<std::ptrdiff_t>(i)) {
          Add(at, Quoted(name) + " is listed twice");
        }
      }
    }
    for (const std::string& cycle : info.cycles) Add(pointer + "/after", cycle);
    for (std::size_t i = 0; i < step.equipment.size(); ++i) {
      if (!equipment::EquipmentClassFromName(step.equipment[i])) {
        Add(JsonPointerAppend(pointer + "/equipment", i),
            Quoted(step.equipment[i]) + " is not a class of equipment; the classes are " +
                KnownEquipmentClasses());
      }
    }
    for (std::size_t i = 0; i < step.scan_identity.size(); ++i) {
      const std::string& name = step.scan_identity[i];
      const std::string at = JsonPointerAppend(pointer + "/scan_identity", i);
      const bool declared =
          std::any_of(definition_.identifiers.begin(), definition_.identifiers.end(),
                      [&name](const Identifier& identifier) { return identifier.id == name; });
      if (!declared) {
        Add(at, Quoted(name) +
                    " is not one of the definition's identifiers; declare it under "
                    "'identifiers' or remove it");
      } else if (std::find(step.scan_identity.begin(),
                           step.scan_identity.begin() + static_cast<std::ptrdiff_t>(i),
                           name) != step.scan_identity.begin() + static_cast<std::ptrdiff_t>(i)) {
        Add(at, Quoted(name) + " is listed twice");
      }
    }
    const std::optional<double> min =
        ParseTime(step.min_duration, pointer + "/duration/min", "min", /*zero_allowed=*/true);
    const std::optional<double> max =
        ParseTime(step.max_duration, pointer + "/duration/max", "max", /*zero_allowed=*/false);
    CheckMinMax(min, max, step.min_duration, step.max_duration, pointer + "/duration/max");
    for (std::size_t i = 0; i < step.materials.size(); ++i) {
      CheckMaterial(s, step.materials[i], JsonPointerAppend(pointer + "/materials", i));
    }
    std::map<std::string, std::string, std::less<>> values;  // Parameters and calculations.
    for (std::size_t i = 0; i < step.parameters.size(); ++i) {
      const ParameterDefinition& parameter = step.parameters[i];
      const std::string at = JsonPointerAppend(pointer + "/parameters", i);
      CheckParameter(
          parameter, at, "a parameter",
          [&] {
            CheckUnique(values, parameter.id, at + "/id", "parameter or calculation",
                        "within their step");
          },
          [] {});
    }
    for (std::size_t i = 0; i < step.calculations.size(); ++i) {
      const std::string at = JsonPointerAppend(pointer + "/calculations", i);
      CheckCalculation(info, i, at, values);
    }
    std::map<std::string, std::string, std::less<>> samples;
    for (std::size_t i = 0; i < step.samples.size(); ++i) {
      const SamplingPoint& sample = step.samples[i];
      const std::string at = JsonPointerAppend(pointer + "/samples", i);
      CheckId(sample.id, at + "/id", "the sample");
      CheckUnique(samples, sample.id, at + "/id", "sample", "within their step");
      CheckName(sample.name, at + "/name", "the sample", "name");
      if (sample.quantity.empty()) {
        Add(at + "/quantity", "the sample has no quantity: write how much is taken, as in '1 mL'");
      } else if (auto quantity = ParseQuantity(sample.quantity, "quantity"); !quantity) {
        Add(at + "/quantity", quantity.error().Message());
      } else if (quantity->value <= 0) {
        Add(at + "/quantity",
            "the sample quantity " + Quoted(sample.quantity) + " must be more than 0");
      }
      if (sample.tests.empty()) {
        Add(at + "/tests",
            "the sample does not say what it is tested for: describe the tests, "
            "as in 'cell count and viability (SOP-CT-004)'");
      }
    }
  }

  void CheckSop(const std::string& sop, const std::string& pointer) {
    // G-11, P11-09: execution lets only those trained on the SOP's effective version perform a
    // step, so every step names the document that governs it.
    if (sop.empty()) {
      Add(pointer,
          "the step names no governing SOP: write sop: <document id>; execution lets only "
          "people trained on its effective version perform the step");
      return;
    }
    std::optional<DocumentReference> document;
    if (references_.document) document = references_.document(sop);
    if (!document) {
      Add(pointer, sop + " is not a document in document control");
    } else if (!document->unusable.empty()) {
      Add(pointer, document->unusable);
    }
  }

  // A quantity of time in seconds, or nothing (empty, or a problem reported at `pointer`).
  std::optional<double> ParseTime(const std::string& text, const std::string& pointer,
                                  std::string_view field, bool zero_allowed) {
    if (text.empty()) return std::nullopt;
    Result<Quantity> quantity = ParseQuantity(text, field);
    if (!quantity) {
      Add(pointer, quantity.error().Message());
      return std::nullopt;
    }
    if (quantity->unit.GetDimension() != time_dimension_) {
      Add(pointer, Quoted(text) + " is not a time: write a time as in '30 min' or '24 h'");
      return std::nullopt;
    }
    if (quantity->value < 0 || (!zero_allowed && quantity->value == 0)) {
      Add(pointer, Quoted(text) + " must be " + (zero_allowed ? "0 or more" : "more than 0"));
      return std::nullopt;
    }
    return quantity->value * quantity->unit.Factor();
  }

  void CheckMinMax(std::optional<double> min, std::optional<double> max,
                   const std::string& min_text, const std::string& max_text,
                   const std::string& pointer) {
    if (min && max && *min > *max) {
      Add(pointer, "the minimum " + min_text + " is longer than the maximum " + max_text +
                       ": swap them or correct one");
    }
  }

  void CheckMaterial(std::size_t s, const MaterialLine& line, const std::string& pointer) {
    std::optional<units::Unit> unit;
    if (line.material.empty()) {
      Add(pointer + "/material",
          "the material line names no material: write its id, as in "
          "'MAT-MEDIUM'");
    } else {
      std::optional<MaterialReference> reference;
      if (references_.material) reference = references_.material(line.material);
      if (!reference) {
        Add(pointer + "/material", line.material + " is not a material in the materials list");
      } else if (auto parsed = units::Unit::Parse(reference->unit, "unit")) {
        unit = *parsed;
      }
    }
    const std::string& material = line.material;
    if (line.quantity.empty()) {
      Add(pointer + "/quantity",
          "the material line has no quantity: write how much the step "
          "consumes, as in '1000 mL', or a formula");
    } else if (Result<Quantity> quantity = ParseQuantity(line.quantity, "quantity")) {
      if (unit && !units::Commensurable(quantity->unit, *unit)) {
        Add(pointer + "/quantity", Quoted(line.quantity) + " measures " +
                                       units::DescribeDimension(quantity->unit.GetDimension()) +
                                       " but " + material + " is counted in " + unit->Text() +
                                       " (" + units::DescribeDimension(unit->GetDimension()) + ")");
      } else if (quantity->value <= 0) {
        Add(pointer + "/quantity", Quoted(line.quantity) + " must be more than 0");
      }
    } else {
      // Text that reads as a formula gets the formula's refusal, anything else the quantity's:
      // "1000" and "1000 mLs" are quantities written wrong.
      Result<Formula> formula = Formula::Parse(line.quantity, "quantity");
      const bool formula_like =
          formula ? !formula->Names().empty() || line.quantity.find('[') != std::string::npos
                  : line.quantity.find_first_of("[]*()+^") != std::string::npos;
      if (!formula_like) {
        Add(pointer + "/quantity", quantity.error().Message());
      } else if (!formula) {
        Add(pointer + "/quantity", formula.error().Message());
      } else {
        std::vector<std::string> problems;
        std::optional<FormulaCheck> check =
            CheckInScope(*formula, s, steps_[s].step->calculations.size(), "the quantity", unit,
                         "quantity", problems);
        for (std::string& problem : problems) Add(pointer + "/quantity", std::move(problem));
        if (check && unit && unit->Factor() != 0) {
          if (check->high && *check->high <= 0) {
            Add(pointer + "/quantity", "the quantity " + Quoted(line.quantity) +
                                           " is never more than 0: a step consumes a positive "
                                           "amount");
          } else if (check->low && *check->low <= 0) {
            Add(pointer + "/quantity",
                "the quantity " + Quoted(line.quantity) + " may be as low as " +
                    NumberText((*check->low - unit->Offset()) / unit->Factor()) + " " +
                    unit->Text() + ": give the values it uses action limits that keep it above 0");
          }
        }
      }
    }
    if (!line.tolerance.empty()) {
      Result<Quantity> tolerance = ParseQuantity(line.tolerance, "tolerance");
      if (!tolerance) {
        Add(pointer + "/tolerance", tolerance.error().Message());
      } else if (tolerance->unit.Text() != "%" && unit &&
                 !units::Commensurable(tolerance->unit, *unit)) {
        Add(pointer + "/tolerance",
            "the tolerance " + Quoted(line.tolerance) + " is neither relative (%) nor in " +
                units::DescribeDimension(unit->GetDimension()) + " as " + material +
                " is: write it as in '5 %' or '0.5 " + unit->Text() + "'");
      } else if (tolerance->value < 0) {
        Add(pointer + "/tolerance", "the tolerance " + Quoted(line.tolerance) +
                                        " is negative: write how far the amount may differ, "
                                        "0 or more");
      }
    }
  }

  template <typename CheckIdUnique, typename CheckKind>
  void CheckParameter(const ParameterDefinition& parameter, const std::string& pointer,
                      std::string_view what, CheckIdUnique check_unique, CheckKind check_kind) {
    const std::string the = "the " + std::string(what.substr(what.find(' ') + 1));
    CheckId(parameter.id, pointer + "/id", the);
    check_unique();
    CheckName(parameter.name, pointer + "/name", the, "name");
    check_kind();
    const ParameterKind kind = parameter.kind;
    const bool counted = kind == ParameterKind::kNumber || kind == ParameterKind::kInteger;
    const std::string kind_name(ParameterKindName(kind));
    // The unit fits the kind.
    if (kind == ParameterKind::kNumber) {
      if (parameter.unit.empty()) {
        Add(pointer + "/unit",
            "a number needs a unit: write the unit its values are entered "
            "in, as in 'mL' or 'cells/mL', or '1' for a ratio");
      } else if (auto unit = units::Unit::Parse(parameter.unit, "unit"); !unit) {
        Add(pointer + "/unit", unit.error().Message());
      }
    } else if (kind == ParameterKind::kInteger) {
      if (!parameter.unit.empty()) {
        auto unit = units::Unit::Parse(parameter.unit, "unit");
        if (!unit) {
          Add(pointer + "/unit", unit.error().Message());
        } else if (!IsCount(*unit)) {
          Add(pointer + "/unit",
              Quoted(parameter.unit) + " measures " +
                  units::DescribeDimension(unit->GetDimension()) +
                  ", not a count: an integer counts things, as in 'cells' or 'vials' (or has no "
                  "unit); record a measured value as a number");
        }
      }
    } else if (!parameter.unit.empty()) {
      Add(pointer + "/unit", "a " + kind_name + " parameter takes no unit: remove " +
                                 Quoted(parameter.unit) + " (a value with a unit is a number)");
    }
    if (counted) {
      CheckLimits(parameter.target, parameter.alert, parameter.action, parameter.criticality,
                  parameter.unit, kind == ParameterKind::kInteger, pointer);
    } else {
      const std::string instead =
          kind == ParameterKind::kChoice    ? " a choice lists its acceptable options instead"
          : kind == ParameterKind::kBoolean ? " a boolean states its expected answer instead"
                                            : " remove them";
      if (parameter.target) {
        Add(pointer + "/target",
            "only numbers and integers have a target, not a " + kind_name + ":" + instead);
      }
      if (!parameter.alert.Empty()) {
        Add(pointer + "/alert",
            "only numbers and integers have limits, not a " + kind_name + ":" + instead);
      }
      if (!parameter.action.Empty()) {
        Add(pointer + "/action",
            "only numbers and integers have limits, not a " + kind_name + ":" + instead);
      }
    }
    if (kind == ParameterKind::kChoice) {
      if (parameter.options.empty()) {
        Add(pointer + "/options", "a choice needs options: list what may be chosen");
      }
      for (std::size_t i = 0; i < parameter.options.size(); ++i) {
        const std::string& option = parameter.options[i];
        const std::string at = JsonPointerAppend(pointer + "/options", i);
        const auto begin = parameter.options.begin();
        if (option.empty()) {
          Add(at, "an option cannot be empty");
        } else if (auto status = CheckLine(option, "option", 1, 200); !status) {
          Add(at, status.error().Message());
        } else if (std::find(begin, begin + static_cast<std::ptrdiff_t>(i), option) !=
                   begin + static_cast<std::ptrdiff_t>(i)) {
          Add(at, Quoted(option) + " is listed twice");
        }
      }
      for (std::size_t i = 0; i < parameter.acceptable.size(); ++i) {
        const std::string& option = parameter.acceptable[i];
        const std::string at = JsonPointerAppend(pointer + "/acceptable", i);
        const auto begin = parameter.acceptable.begin();
        if (std::find(parameter.options.begin(), parameter.options.end(), option) ==
            parameter.options.end()) {
          Add(at, Quoted(option) + " is not one of the options: the acceptable ones are among " +
                      "the options");
        } else if (std::find(begin, begin + static_cast<std::ptrdiff_t>(i), option) !=
                   begin + static_cast<std::ptrdiff_t>(i)) {
          Add(at, Quoted(option) + " is listed twice");
        }
      }
    } else {
      if (!parameter.options.empty()) {
        Add(pointer + "/options", "only a choice has options, not a " + kind_name);
      }
      if (!parameter.acceptable.empty()) {
        Add(pointer + "/acceptable", "only a choice has acceptable options, not a " + kind_name);
      }
    }
    if (parameter.expected && kind != ParameterKind::kBoolean) {
      Add(pointer + "/expected", "only a boolean has an expected answer, not a " + kind_name);
    }
    if (parameter.source) {
      const ParameterSource& source = *parameter.source;
      if (!equipment::EquipmentClassFromName(source.equipment_class)) {
        Add(pointer + "/source/equipment_class",
            Quoted(source.equipment_class) + " is not a class of equipment; the classes are " +
                KnownEquipmentClasses());
      }
      if (source.tag.empty()) {
        Add(pointer + "/source/tag",
            "the source has no tag: write the name the instrument "
            "reports the value under, as in 'viability'");
      }
    }
  }

  void CheckLimits(const std::optional<double>& target, const Limits& alert, const Limits& action,
                   Criticality criticality, const std::string& unit, bool whole,
                   const std::string& pointer) {
    if (whole) {
      if (target && !IsWhole(*target)) {
        Add(pointer + "/target", "the target " + NumberText(*target) +
                                     " is not a whole number: an "
                                     "integer's target and limits are whole numbers");
      }
      for (const auto& [limits, name] :
           {std::pair<const Limits*, std::string_view>{&alert, "alert"}, {&action, "action"}}) {
        for (const auto& [bound, side] :
             {std::pair<const std::optional<double>*, std::string_view>{&limits->low, "low"},
              {&limits->high, "high"}}) {
          if (*bound && !IsWhole(**bound)) {
            Add(pointer + "/" + std::string(name) + "/" + std::string(side),
                "the limit " + NumberText(**bound) +
                    " is not a whole number: an integer's target "
                    "and limits are whole numbers");
          }
        }
      }
    }
    if (target) {
      const Limits& within = alert.Empty() ? action : alert;
      if (!Within(within, *target)) {
        Add(pointer + "/target", "the target " + WithUnit(NumberText(*target), unit) +
                                     " lies outside the " + (alert.Empty() ? "action" : "alert") +
                                     " limits " + DescribeLimits(within, unit));
      }
    }
    bool alert_ordered = true;
    if (alert.low && alert.high && *alert.low > *alert.high) {
      alert_ordered = false;
      Add(pointer + "/alert", "the alert low limit " + NumberText(*alert.low) +
                                  " is above its high limit " + NumberText(*alert.high) +
                                  ": swap them");
    }
    bool action_ordered = true;
    if (action.low && action.high && *action.low > *action.high) {
      action_ordered = false;
      Add(pointer + "/action", "the action low limit " + NumberText(*action.low) +
                                   " is above its high limit " + NumberText(*action.high) +
                                   ": swap them");
    }
    if (alert_ordered && action_ordered && !alert.Empty() && !action.Empty()) {
      const bool outside = (alert.low && !Within(action, *alert.low)) ||
                           (alert.high && !Within(action, *alert.high));
      if (outside) {
        Add(pointer + "/alert", "the alert limits " + DescribeLimits(alert, unit) +
                                    " lie outside the action limits " +
                                    DescribeLimits(action, unit) +
                                    ": alert limits warn before a value breaches the action "
                                    "limits, so they must lie inside them");
      }
    }
    if (action.Empty() && (criticality == Criticality::kCriticalProcessParameter ||
                           criticality == Criticality::kCriticalQualityAttribute)) {
      Add(pointer + "/action",
          std::string(criticality == Criticality::kCriticalProcessParameter
                          ? "a critical process parameter"
                          : "a critical quality attribute") +
              " needs action limits: a value outside them is a deviation; give a low limit, a "
              "high limit or both");
    }
  }

  void CheckCalculation(const StepInfo& info, std::size_t k, const std::string& pointer,
                        std::map<std::string, std::string, std::less<>>& values) {
    const Calculation& calculation = info.step->calculations[k];
    CheckId(calculation.id, pointer + "/id", "the calculation");
    CheckUnique(values, calculation.id, pointer + "/id", "parameter or calculation",
                "within their step");
    CheckName(calculation.name, pointer + "/name", "the calculation", "name");
    if (calculation.formula.empty()) {
      Add(pointer + "/formula",
          "the calculation has no formula: write how it is computed, as "
          "in 'viable_concentration * volume'");
    }
    for (const std::string& problem : info.formula_problems[k]) {
      Add(pointer + "/formula", problem);
    }
    if (calculation.unit.empty()) {
      Add(pointer + "/unit",
          "the calculation has no unit: write the unit of its result, as in "
          "'cells', or '1' for a ratio");
    } else if (auto unit = units::Unit::Parse(calculation.unit, "unit"); !unit) {
      Add(pointer + "/unit", unit.error().Message());
    }
    CheckLimits(calculation.target, calculation.alert, calculation.action, calculation.criticality,
                calculation.unit, /*whole=*/false, pointer);
  }

  void CheckTimeRules() {
    std::map<std::string, std::string, std::less<>> seen;
    for (std::size_t i = 0; i < definition_.time_rules.size(); ++i) {
      const TimeRule& rule = definition_.time_rules[i];
      const std::string pointer = JsonPointerAppend("/time_rules", i);
      CheckId(rule.id, pointer + "/id", "the time rule");
      CheckUnique(seen, rule.id, pointer + "/id", "time rule", "in the definition");
      CheckName(rule.name, pointer + "/name", "the time rule", "name");
      const std::optional<std::size_t> from = CheckStepEvent(rule.from, pointer + "/from/step");
      const std::optional<std::size_t> to = CheckStepEvent(rule.to, pointer + "/to/step");
      if (from && to) {
        const std::string from_text = DescribeEvent(rule.from);
        const std::string to_text = DescribeEvent(rule.to);
        if (*from == *to && rule.from.point == rule.to.point) {
          Add(pointer + "/to", "'from' and 'to' are the same event (" + from_text +
                                   "): a time rule spans two events");
        } else if ((*from == *to && rule.from.point == StepPoint::kEnd) ||
                   IsPredecessor(*to, *from)) {
          std::string message = "the time rule runs backwards: " + to_text;
          message += " always comes before " + from_text;
          message += ", so it cannot follow it; swap 'from' and 'to'";
          Add(pointer + "/to", std::move(message));
        }
      }
      if (rule.min.empty() && rule.max.empty()) {
        Add(pointer,
            "the time rule has neither a min nor a max: give one or both, as in "
            "'18 h'");
      }
      const std::optional<double> min = ParseTime(rule.min, pointer + "/min", "min", true);
      const std::optional<double> max = ParseTime(rule.max, pointer + "/max", "max", false);
      CheckMinMax(min, max, rule.min, rule.max, pointer + "/max");
    }
  }

  static std::string DescribeEvent(const StepEvent& event) {
    return std::string(event.point == StepPoint::kStart ? "the start" : "the end") + " of " +
           event.step;
  }

  std::optional<std::size_t> CheckStepEvent(const StepEvent& event, const std::string& pointer) {
    if (event.step.empty()) {
      Add(pointer, "no step is named: write the id of a step of this definition");
      return std::nullopt;
    }
    auto found = step_index_.find(event.step);
    if (found == step_index_.end()) {
      Add(pointer, Quoted(event.step) + " is not a step of this definition");
      return std::nullopt;
    }
    return found->second;
  }

  void CheckExpiryClocks() {
    std::map<std::string, std::string, std::less<>> seen;
    for (std::size_t i = 0; i < definition_.expiry_clocks.size(); ++i) {
      const ExpiryClock& clock = definition_.expiry_clocks[i];
      const std::string pointer = JsonPointerAppend("/expiry_clocks", i);
      CheckId(clock.id, pointer + "/id", "the expiry clock");
      CheckUnique(seen, clock.id, pointer + "/id", "expiry clock", "in the definition");
      CheckName(clock.name, pointer + "/name", "the expiry clock", "name");
      CheckStepEvent(clock.starts, pointer + "/starts/step");
      if (clock.lasts.empty()) {
        Add(pointer + "/lasts",
            "the expiry clock does not say how long the product lasts: "
            "write a time, as in '24 h'");
      } else {
        ParseTime(clock.lasts, pointer + "/lasts", "lasts", /*zero_allowed=*/false);
      }
    }
  }

  const Definition& definition_;
  const References& references_;
  units::Dimension time_dimension_;
  units::Unit dimensionless_;
  std::vector<StepInfo> steps_;                                     // In file order.
  std::unordered_map<std::string_view, std::size_t> step_index_;    // First of each id.
  std::unordered_map<std::string_view, std::size_t> batch_inputs_;  // First of each id.
  std::vector<ValueState> batch_input_states_;
  std::vector<std::size_t> order_;  // Predecessors first; steps on a cycle last.
  std::vector<StepSet> ancestors_;
  std::map<std::string, std::string, std::less<>> step_ids_;
  std::vector<Problem> problems_;
  std::size_t unlisted_ = 0;
};

}  // namespace

std::string_view ClinicalPhaseName(ClinicalPhase phase) { return EnumName(kPhaseNames, phase); }
std::optional<ClinicalPhase> ClinicalPhaseFromName(std::string_view name) {
  return EnumFromName<ClinicalPhase>(kPhaseNames, name);
}
std::string_view ParameterKindName(ParameterKind kind) { return EnumName(kKindNames, kind); }
std::optional<ParameterKind> ParameterKindFromName(std::string_view name) {
  return EnumFromName<ParameterKind>(kKindNames, name);
}
std::string_view CriticalityName(Criticality criticality) {
  return EnumName(kCriticalityNames, criticality);
}
std::optional<Criticality> CriticalityFromName(std::string_view name) {
  return EnumFromName<Criticality>(kCriticalityNames, name);
}
std::string_view IdentifierFormatName(IdentifierFormat format) {
  return EnumName(kIdentifierFormatNames, format);
}
std::optional<IdentifierFormat> IdentifierFormatFromName(std::string_view name) {
  return EnumFromName<IdentifierFormat>(kIdentifierFormatNames, name);
}

const Step* Definition::FindStep(std::string_view id) const {
  for (const UnitProcedure& procedure : unit_procedures) {
    for (const Step& step : procedure.operations) {
      if (step.id == id) return &step;
    }
  }
  return nullptr;
}

std::vector<const Step*> Definition::Steps() const {
  std::vector<const Step*> steps;
  for (const UnitProcedure& procedure : unit_procedures) {
    for (const Step& step : procedure.operations) steps.push_back(&step);
  }
  return steps;
}

Json DefinitionToJson(const Definition& definition) {
  Json json = Json::MakeObject();
  json.Set("format", kDefinitionFormat);
  json.Set("master_batch_record", definition.master_batch_record);
  json.Set("product", definition.product);
  json.Set("title", definition.title);
  json.Set("batch_size", definition.batch_size);
  if (!definition.phases.empty()) {
    Json phases = Json::MakeArray();
    for (ClinicalPhase phase : definition.phases) phases.Push(ClinicalPhaseName(phase));
    json.Set("phases", std::move(phases));
  }
  if (!definition.batch_inputs.empty()) {
    Json inputs = Json::MakeArray();
    for (const ParameterDefinition& input : definition.batch_inputs) {
      inputs.Push(ParameterToJson(input));
    }
    json.Set("batch_inputs", std::move(inputs));
  }
  if (!definition.identifiers.empty()) {
    Json identifiers = Json::MakeArray();
    for (const Identifier& identifier : definition.identifiers) {
      Json item = Json::MakeObject();
      item.Set("id", identifier.id);
      item.Set("name", identifier.name);
      item.Set("format", IdentifierFormatName(identifier.format));
      identifiers.Push(std::move(item));
    }
    json.Set("identifiers", std::move(identifiers));
  }
  if (!definition.unit_procedures.empty()) {
    Json procedures = Json::MakeArray();
    for (const UnitProcedure& procedure : definition.unit_procedures) {
      Json item = Json::MakeObject();
      item.Set("id", procedure.id);
      item.Set("name", procedure.name);
      if (!procedure.operations.empty()) {
        Json operations = Json::MakeArray();
        for (const Step& step : procedure.operations) operations.Push(StepToJson(step));
        item.Set("operations", std::move(operations));
      }
      procedures.Push(std::move(item));
    }
    json.Set("unit_procedures", std::move(procedures));
  }
  if (!definition.time_rules.empty()) {
    Json rules = Json::MakeArray();
    for (const TimeRule& rule : definition.time_rules) {
      Json item = Json::MakeObject();
      item.Set("id", rule.id);
      item.Set("name", rule.name);
      item.Set("from", StepEventToJson(rule.from));
      item.Set("to", StepEventToJson(rule.to));
      SetText(item, "min", rule.min);
      SetText(item, "max", rule.max);
      rules.Push(std::move(item));
    }
    json.Set("time_rules", std::move(rules));
  }
  if (!definition.expiry_clocks.empty()) {
    Json clocks = Json::MakeArray();
    for (const ExpiryClock& clock : definition.expiry_clocks) {
      Json item = Json::MakeObject();
      item.Set("id", clock.id);
      item.Set("name", clock.name);
      item.Set("starts", StepEventToJson(clock.starts));
      item.Set("lasts", clock.lasts);
      clocks.Push(std::move(item));
    }
    json.Set("expiry_clocks", std::move(clocks));
  }
  return json;
}

Definition DefinitionFromJson(const Json& json, std::vector<Problem>& problems) {
  Definition definition;
  Reader reader(problems);
  if (!reader.Object(json, "", "the definition", kDefinitionRequired)) return definition;
  for (const auto& [key, value] : json.AsObject()) {
    const std::string at = JsonPointerAppend("", key);
    if (key == "format") {
      if (!value.IsString()) {
        reader.WrongType(value, at, key, "text");
      } else if (value.AsString() != kDefinitionFormat) {
        reader.Add(at, Quoted(value.AsString()) +
                           " is not a format this version of Aliquot "
                           "reads: write 'format: " +
                           std::string(kDefinitionFormat) + "'");
      }
    } else if (key == "master_batch_record") {
      reader.Text(value, at, key, definition.master_batch_record);
    } else if (key == "product") {
      reader.Text(value, at, key, definition.product);
    } else if (key == "title") {
      reader.Text(value, at, key, definition.title);
    } else if (key == "batch_size") {
      reader.Text(value, at, key, definition.batch_size);
    } else if (key == "phases") {
      if (!value.IsArray()) {
        reader.WrongType(value, at, key, "a list");
        continue;
      }
      const Json::Array& phases = value.AsArray();
      for (std::size_t i = 0; i < phases.size(); ++i) {
        if (auto phase = reader.EnumValue<ClinicalPhase>(phases[i], JsonPointerAppend(at, i),
                                                         "phase", kPhaseNames)) {
          definition.phases.push_back(*phase);
        }
      }
    } else if (key == "batch_inputs") {
      reader.List(
          value, at, key, definition.batch_inputs,
          [&reader](const Json& item, const std::string& item_at, ParameterDefinition& input) {
            ReadParameter(reader, item, item_at, "a batch input", input);
          });
    } else if (key == "identifiers") {
      reader.List(value, at, key, definition.identifiers,
                  [&reader](const Json& item, const std::string& item_at, Identifier& out) {
                    if (!reader.Object(item, item_at, "an identifier", kIdentifierFields)) {
                      return;
                    }
                    for (const auto& [member, field] : item.AsObject()) {
                      const std::string field_at = JsonPointerAppend(item_at, member);
                      if (member == "id") {
                        reader.Text(field, field_at, member, out.id);
                      } else if (member == "name") {
                        reader.Text(field, field_at, member, out.name);
                      } else if (member == "format") {
                        reader.Enum(field, field_at, member, kIdentifierFormatNames, out.format);
                      } else {
                        reader.Unknown(member, field_at, "an identifier", kIdentifierFields);
                      }
                    }
                  });
    } else if (key == "unit_procedures") {
      reader.List(value, at, key, definition.unit_procedures,
                  [&reader](const Json& item, const std::string& item_at, UnitProcedure& out) {
                    ReadUnitProcedure(reader, item, item_at, out);
                  });
    } else if (key == "time_rules") {
      reader.List(value, at, key, definition.time_rules,
                  [&reader](const Json& item, const std::string& item_at, TimeRule& out) {
                    ReadTimeRule(reader, item, item_at, out);
                  });
    } else if (key == "expiry_clocks") {
      reader.List(value, at, key, definition.expiry_clocks,
                  [&reader](const Json& item, const std::string& item_at, ExpiryClock& out) {
                    ReadExpiryClock(reader, item, item_at, out);
                  });
    } else {
      reader.Unknown(key, at, "the definition", kDefinitionFields);
    }
  }
  if (reader.Unlisted() > 0) {
    problems.push_back(Problem{"", "and " + std::to_string(reader.Unlisted()) +
                                       " more problems not listed: correct these first"});
  }
  return definition;
}

DocumentReference GoverningDocument(const documents::DocumentState& document, Timestamp now) {
  DocumentReference reference;
  const bool approved = std::any_of(
      document.versions.begin(), document.versions.end(),
      [](const documents::VersionState& v) { return v.stage == documents::Stage::kApproved; });
  if (document.retired_from && *document.retired_from <= now) {
    reference.unusable = document.id + " was retired on " +
                         document.retired_from->ToRfc3339().substr(0, 10) +
                         ": no step can be performed under it";
  } else if (document.kind == documents::DocumentKind::kForm) {
    reference.unusable = document.id +
                         " is a form: a step is governed by an SOP, a work instruction or a "
                         "specification";
  } else if (!approved) {
    reference.unusable = document.id +
                         " has no approved version yet: a step can be governed only by an "
                         "approved procedure";
  }
  return reference;
}

std::vector<Problem> ValidateDefinition(const Definition& definition,
                                        const References& references) {
  return Validator(definition, references).Run();
}

Error ProblemsError(
    const std::vector<Problem>& problems,
    const std::function<std::optional<std::pair<int, int>>(std::string_view)>& position) {
  constexpr std::size_t kListed = 50;
  std::string message = "the definition has " + std::to_string(problems.size()) +
                        (problems.size() == 1 ? " problem:" : " problems:");
  for (std::size_t i = 0; i < problems.size() && i < kListed; ++i) {
    message += '\n';
    std::optional<std::pair<int, int>> at;
    if (position) at = position(problems[i].pointer);
    if (at) {
      message +=
          "line " + std::to_string(at->first) + ", column " + std::to_string(at->second) + ": ";
    } else if (!problems[i].pointer.empty()) {
      // Without a file to point into (a JSON body, the approval's check), the pointer says where.
      message += problems[i].pointer + ": ";
    }
    message += problems[i].message;
  }
  if (problems.size() > kListed) {
    const std::size_t more = problems.size() - kListed;
    message += "\nand " + std::to_string(more) + (more == 1 ? " more problem" : " more problems");
  }
  return InvalidArgument(std::move(message), problems.empty() ? "" : problems.front().pointer);
}

}  // namespace aliquot::recipes
