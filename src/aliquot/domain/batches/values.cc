#include "aliquot/domain/batches/values.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/units/units.h"

namespace aliquot::batches {
namespace {

using recipes::ParameterDefinition;
using recipes::ParameterKind;

constexpr std::array<std::string_view, 3> kLimitFlagNames = {"within", "alert", "action"};

// Text entered for a text parameter: a comment, an observation (a paragraph, so newlines and tabs).
constexpr std::size_t kMaxTextBytes = 4000;
// A scanned identifier: what barcodes of labels, lots and instruments carry.
constexpr std::size_t kMaxIdentifierBytes = 128;
// Entered text longer than this is not quoted back, so a refusal stays one readable line.
constexpr std::size_t kMaxQuotedBytes = 64;
// Decimal digits a double holds exactly both ways (DBL_DIG).
constexpr int kExactDigits = 15;

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// The operator's own text, quoted back where it helps them see what they sent; left out when it
// would not read as a line (too long, not UTF-8, control characters).
std::string Echo(std::string_view text) {
  if (text.size() > kMaxQuotedBytes || !IsValidUtf8(text)) return "";
  const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; };
  if (std::any_of(text.begin(), text.end(), control)) return "";
  return " (got " + Quoted(text) + ")";
}

std::string JsonText(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

// How a number of the parameter is written in an example: its target, else a value inside its
// limits, else 1; whole for an integer.
std::string ExampleNumber(const ParameterDefinition& parameter) {
  std::optional<double> example = parameter.target;
  for (const recipes::Limits* limits : {&parameter.alert, &parameter.action}) {
    if (example) break;
    if (limits->low && limits->high) {
      example = (*limits->low + *limits->high) / 2;
    } else if (limits->low) {
      example = *limits->low;
    } else if (limits->high) {
      example = *limits->high;
    }
  }
  double value = example.value_or(1);
  if (parameter.kind == ParameterKind::kInteger) value = std::round(value);
  return CanonicalNumber(value);
}

// {"value": 92.5, "unit": "%"}: what a client sends for the parameter.
std::string ExampleRequest(const ParameterDefinition& parameter, bool with_unit) {
  std::string out = "{\"value\": " + ExampleNumber(parameter);
  if (with_unit && !parameter.unit.empty()) out += ", \"unit\": " + JsonText(parameter.unit);
  return out + "}";
}

// How the parameter's kind is named in a refusal of a unit.
std::string_view KindInWords(ParameterKind kind) {
  switch (kind) {
    case ParameterKind::kNumber:
      return "a number";
    case ParameterKind::kInteger:
      return "a count";
    case ParameterKind::kText:
      return "text";
    case ParameterKind::kChoice:
      return "a choice";
    case ParameterKind::kBoolean:
      return "a yes/no answer";
    case ParameterKind::kTimestamp:
      return "a time the server records";
    case ParameterKind::kIdentifier:
      return "an identifier";
  }
  return "a value";
}

std::string JoinOptions(const std::vector<std::string>& options, bool quote) {
  std::string out;
  for (const std::string& option : options) {
    if (!out.empty()) out += ", ";
    out += quote ? Quoted(option) : option;
  }
  return out;
}

// The unit a control recipe gives a parameter or calculation (`whose`: "'viability'"). It was
// parsed when the master batch record was approved (recipes::ValidateDefinition), so a failure
// here is ours, not the operator's.
Result<units::Unit> DefinitionUnit(std::string_view text, std::string_view whose) {
  auto unit = units::Unit::Parse(text, "unit");
  if (!unit) {
    return Unexpected(Internal("the control recipe measures " + std::string(whose) + " in " +
                               Quoted(text) + ", which does not parse: " + unit.error().Message()));
  }
  return std::move(*unit);
}

// A number in `from` expressed in `to`. Units are powers of ten apart, and a conversion through
// their factors is off by an ulp or so (0.5 L is 500.00000000000006 mL); rounding to the 15
// digits a double carries exactly gives back the decimal a person would write, so that 0.5 L meets
// a limit of 500 mL as equal. An equal unit ("ml" for "mL") is not rounded: the value is the one
// entered.
Result<double> ConvertNumber(double value, const units::Unit& from, const units::Unit& to,
                             std::string_view field) {
  ALIQUOT_ASSIGN_OR_RETURN(const double converted, units::Convert(value, from, to, field));
  if (from == to) return converted;
  std::array<char, 32> buffer{};
  const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), converted,
                                     std::chars_format::general, kExactDigits);
  double rounded = converted;
  const auto read = std::from_chars(buffer.data(), written.ptr, rounded);
  if (written.ec != std::errc() || read.ec != std::errc() || !std::isfinite(rounded)) {
    return converted;
  }
  return rounded;
}

// A number or a count, in a unit commensurable with the parameter's.
Result<EnteredValue> ReadNumber(const ParameterDefinition& parameter, const Json& value,
                                std::string_view sent_unit, std::string_view field) {
  const std::string id = Quoted(parameter.id);
  const std::string name(field);
  const bool whole = parameter.kind == ParameterKind::kInteger;
  const std::string in_unit = parameter.unit.empty() ? "" : " in " + parameter.unit;
  const std::string of_unit = parameter.unit.empty() ? "" : " of " + parameter.unit;
  if (!value.IsNumber()) {
    return Unexpected(InvalidArgument(
        id + (whole ? " takes a whole number" + of_unit : " takes a number" + in_unit) +
            ", as in " + ExampleRequest(parameter, true),
        name));
  }
  const double number = value.AsNumber();
  // JSON has no NaN or Infinity, but a Json built in code may carry what no parser would.
  if (!std::isfinite(number)) {
    return Unexpected(InvalidArgument(id + " takes a finite number" + in_unit, name));
  }
  if (whole && !value.AsInteger()) {
    if (std::floor(number) == number) {
      return Unexpected(InvalidArgument(
          id + " takes a whole number from " + std::to_string(-Json::kMaxExactInteger) + " to " +
              std::to_string(Json::kMaxExactInteger) + ", not " + CanonicalNumber(number),
          name));
    }
    return Unexpected(InvalidArgument(id + " takes a whole number" + of_unit + ", not " +
                                          CanonicalNumber(number) + ", as in " +
                                          ExampleRequest(parameter, false),
                                      name));
  }
  EnteredValue entered;
  entered.number = number;
  const std::string_view unit_text = TrimSpace(sent_unit);
  if (parameter.unit.empty()) {
    // Only a count may go without a unit (ValidateDefinition gives every number one).
    if (!unit_text.empty()) {
      return Unexpected(InvalidArgument(
          id + " is a count without a unit: send no unit" + Echo(unit_text), "unit"));
    }
    return entered;
  }
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit expected, DefinitionUnit(parameter.unit, id));
  if (unit_text.empty()) {
    // A count's unit goes without saying; a measured value's is part of what was read (AL-02).
    if (whole) return entered;
    return Unexpected(InvalidArgument(id + " is measured in " + parameter.unit +
                                          ": send the unit with the value, as in " +
                                          ExampleRequest(parameter, true),
                                      "unit"));
  }
  auto unit = units::Unit::Parse(unit_text, "unit");
  if (!unit) {
    return Unexpected(unit.error().WithContext(id + " is measured in " + parameter.unit));
  }
  if (!units::Commensurable(*unit, expected)) {
    return Unexpected(InvalidArgument(
        Quoted(unit->Text()) + " is " + units::DescribeDimension(unit->GetDimension()) + ", but " +
            id + " is measured in " + parameter.unit + " (" +
            units::DescribeDimension(expected.GetDimension()) + ")",
        "unit"));
  }
  // Refused now rather than when it is judged: a value that has no size in the parameter's unit
  // can be compared with nothing.
  if (!ConvertNumber(number, *unit, expected, name)) {
    return Unexpected(InvalidArgument(id + " takes a number that can be expressed in " +
                                          parameter.unit + ": " + CanonicalNumber(number) + " " +
                                          unit->Text() + " is too large",
                                      name));
  }
  entered.unit = unit->Text();
  return entered;
}

// Text of a paragraph (kText) or a scanned identifier (kIdentifier).
Result<EnteredValue> ReadText(const ParameterDefinition& parameter, const Json& value,
                              std::string_view field) {
  const std::string id = Quoted(parameter.id);
  const std::string name(field);
  const bool identifier = parameter.kind == ParameterKind::kIdentifier;
  const std::size_t max_bytes = identifier ? kMaxIdentifierBytes : kMaxTextBytes;
  const std::string expected =
      identifier ? id + " takes an identifier of 1 to " + std::to_string(max_bytes) +
                       " printable ASCII characters, as scanned from its label, as in "
                       "{\"value\": \"LOT-2026-0042\"}"
                 : id + " takes text of 1 to " + std::to_string(max_bytes) +
                       " bytes, as in {\"value\": \"no visible particles\"}";
  if (!value.IsString()) return Unexpected(InvalidArgument(expected, name));
  const std::string& text = value.AsString();
  if (text.empty()) return Unexpected(InvalidArgument(expected + "; got empty text", name));
  if (text.size() > max_bytes) {
    return Unexpected(
        InvalidArgument(expected + "; got " + std::to_string(text.size()) + " bytes", name));
  }
  if (!IsValidUtf8(text)) {
    return Unexpected(InvalidArgument(expected + "; got bytes that are not valid UTF-8", name));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (identifier && (c < 0x20 || c > 0x7E)) {
      return Unexpected(InvalidArgument(
          expected + "; got a character that is not printable ASCII at byte " + std::to_string(i),
          name));
    }
    // Newlines and tabs shape a paragraph; any other control character hides what was written.
    if (!identifier && (c < 0x20 || c == 0x7F) && c != '\n' && c != '\t') {
      return Unexpected(InvalidArgument(
          id + " takes text with no control characters but newlines and tabs; got one at byte " +
              std::to_string(i),
          name));
    }
  }
  if (identifier && (text.front() == ' ' || text.back() == ' ')) {
    return Unexpected(InvalidArgument(
        expected + "; got " + Quoted(text) + ", which has a space at its start or end", name));
  }
  EnteredValue entered;
  entered.text = text;
  return entered;
}

Result<EnteredValue> ReadChoice(const ParameterDefinition& parameter, const Json& value,
                                std::string_view field) {
  const bool listed =
      value.IsString() && std::find(parameter.options.begin(), parameter.options.end(),
                                    value.AsString()) != parameter.options.end();
  if (!listed) {
    return Unexpected(InvalidArgument(
        Quoted(parameter.id) + " takes one of its options, exactly as written: " +
            JoinOptions(parameter.options, true) + (value.IsString() ? Echo(value.AsString()) : ""),
        std::string(field)));
  }
  EnteredValue entered;
  entered.text = value.AsString();
  return entered;
}

}  // namespace

std::string_view LimitFlagName(LimitFlag flag) { return EnumName(kLimitFlagNames, flag); }

std::optional<LimitFlag> LimitFlagFromName(std::string_view name) {
  return EnumFromName<LimitFlag>(kLimitFlagNames, name);
}

LimitsOf LimitsOfParameter(const recipes::ParameterDefinition& parameter) {
  LimitsOf limits;
  limits.kind = parameter.kind;
  limits.unit = parameter.unit;
  limits.alert = parameter.alert;
  limits.action = parameter.action;
  limits.acceptable = parameter.acceptable;
  limits.expected = parameter.expected;
  return limits;
}

LimitsOf LimitsOfCalculation(const recipes::Calculation& calculation) {
  LimitsOf limits;
  limits.kind = ParameterKind::kNumber;
  limits.unit = calculation.unit;
  limits.alert = calculation.alert;
  limits.action = calculation.action;
  return limits;
}

Result<EnteredValue> ReadEnteredValue(const recipes::ParameterDefinition& parameter,
                                      const Json& value, std::string_view unit, Timestamp now,
                                      std::string_view field) {
  const ParameterKind kind = parameter.kind;
  if (kind == ParameterKind::kNumber || kind == ParameterKind::kInteger) {
    return ReadNumber(parameter, value, unit, field);
  }
  const std::string id = Quoted(parameter.id);
  const std::string name(field);
  Result<EnteredValue> entered;
  switch (kind) {
    case ParameterKind::kText:
    case ParameterKind::kIdentifier:
      entered = ReadText(parameter, value, field);
      break;
    case ParameterKind::kChoice:
      entered = ReadChoice(parameter, value, field);
      break;
    case ParameterKind::kBoolean:
      if (!value.IsBool()) {
        return Unexpected(
            InvalidArgument(id + " takes true or false, as in {\"value\": true}", name));
      }
      entered->boolean = value.AsBool();
      break;
    case ParameterKind::kTimestamp:
      // AL-01: the time of an entry is the server's, taken at the moment it is recorded; a
      // client's clock is never asked.
      if (!value.IsNull()) {
        return Unexpected(
            InvalidArgument(id + " is a time: the server records the time; send no value", name));
      }
      entered->instant = now;
      break;
    case ParameterKind::kNumber:
    case ParameterKind::kInteger:
      break;
  }
  if (!entered) return entered;
  if (const std::string_view sent = TrimSpace(unit); !sent.empty()) {
    return Unexpected(InvalidArgument(id + " is " + std::string(KindInWords(kind)) +
                                          " and takes no unit: send no unit" + Echo(sent),
                                      "unit"));
  }
  return entered;
}

namespace {

// "80 %", or "3" for a count without a unit.
std::string NumberWithUnit(double number, std::string_view unit) {
  std::string out = CanonicalNumber(number);
  if (!unit.empty()) out += " " + std::string(unit);
  return out;
}

// Sets `limit` and returns true when `value` lies outside `limits` (inclusive bounds: a value
// equal to a bound is within it).
bool Outside(const recipes::Limits& limits, double value, std::string_view which,
             std::string_view unit, std::string& limit) {
  if (limits.low && value < *limits.low) {
    limit = std::string(which) + " low " + NumberWithUnit(*limits.low, unit);
    return true;
  }
  if (limits.high && value > *limits.high) {
    limit = std::string(which) + " high " + NumberWithUnit(*limits.high, unit);
    return true;
  }
  return false;
}

// A value whose members do not fit the kind it is judged as: never what ReadEnteredValue gives.
Error Mismatch(ParameterKind kind, std::string_view member) {
  return InvalidArgument("a value judged as " + std::string(KindInWords(kind)) + " holds " +
                             std::string(member) + "; this one holds none",
                         "value");
}

Result<double> InDefinitionUnit(const LimitsOf& limits, const EnteredValue& value) {
  const double number = *value.number;
  if (!std::isfinite(number)) {
    return Unexpected(
        InvalidArgument("a value that is not a finite number cannot be judged", "value"));
  }
  // A count sent without its unit is counted in the definition's.
  if (value.unit.empty()) return number;
  if (limits.unit.empty()) {
    return Unexpected(InvalidArgument(
        "a value in " + value.unit + " cannot be judged against limits without a unit", "unit"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit from, units::Unit::Parse(value.unit, "unit"));
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit to, DefinitionUnit(limits.unit, "the value"));
  return ConvertNumber(number, from, to, "unit");
}

}  // namespace

Result<JudgedValue> Judge(const LimitsOf& limits, const EnteredValue& value) {
  JudgedValue judged;
  judged.entered = value;
  switch (limits.kind) {
    case ParameterKind::kNumber:
    case ParameterKind::kInteger: {
      if (!value.number) return Unexpected(Mismatch(limits.kind, "a number"));
      ALIQUOT_ASSIGN_OR_RETURN(const double in_unit, InDefinitionUnit(limits, value));
      judged.in_unit = in_unit;
      // Action limits first: a value beyond both is a deviation, not an alert.
      if (Outside(limits.action, in_unit, "action", limits.unit, judged.limit)) {
        judged.flag = LimitFlag::kAction;
      } else if (Outside(limits.alert, in_unit, "alert", limits.unit, judged.limit)) {
        judged.flag = LimitFlag::kAlert;
      }
      break;
    }
    case ParameterKind::kChoice:
      if (!value.text) return Unexpected(Mismatch(limits.kind, "text"));
      if (!limits.acceptable.empty() &&
          std::find(limits.acceptable.begin(), limits.acceptable.end(), *value.text) ==
              limits.acceptable.end()) {
        judged.flag = LimitFlag::kAction;
        judged.limit = "acceptable: " + JoinOptions(limits.acceptable, false);
      }
      break;
    case ParameterKind::kBoolean:
      if (!value.boolean) return Unexpected(Mismatch(limits.kind, "true or false"));
      if (limits.expected && *value.boolean != *limits.expected) {
        judged.flag = LimitFlag::kAction;
        judged.limit = std::string("expected: ") + (*limits.expected ? "yes" : "no");
      }
      break;
    case ParameterKind::kText:
    case ParameterKind::kIdentifier:
      if (!value.text) return Unexpected(Mismatch(limits.kind, "text"));
      break;
    case ParameterKind::kTimestamp:
      if (!value.instant) return Unexpected(Mismatch(limits.kind, "an instant"));
      break;
  }
  return judged;
}

Json EnteredValueToJson(const EnteredValue& value) {
  Json json = Json::MakeObject();
  if (value.number) {
    json.Set("number", *value.number);
    if (!value.unit.empty()) json.Set("unit", value.unit);
  }
  if (value.text) json.Set("text", *value.text);
  if (value.boolean) json.Set("boolean", *value.boolean);
  if (value.instant) json.Set("instant", value.instant->ToRfc3339());
  return json;
}

Result<EnteredValue> EnteredValueFromJson(const Json& json, std::string_view what) {
  const materials::JsonFields fields(json, std::string(what));
  if (!json.IsObject()) return Unexpected(fields.Corrupt("a value is not an object"));
  constexpr std::array<std::string_view, 4> kMembers = {"number", "text", "boolean", "instant"};
  std::string_view member;
  for (const auto& [key, unused] : json.AsObject()) {
    if (key == "unit") continue;
    if (std::find(kMembers.begin(), kMembers.end(), key) == kMembers.end()) {
      return Unexpected(fields.Corrupt("a value has the unknown member " + Quoted(key)));
    }
    if (!member.empty()) {
      return Unexpected(fields.Corrupt("a value has both " + Quoted(member) + " and " +
                                       Quoted(key) + "; it has one"));
    }
    member = key;
  }
  if (member.empty()) {
    return Unexpected(
        fields.Corrupt("a value has none of 'number', 'text', 'boolean' or 'instant'"));
  }
  if (json.Find("unit") != nullptr && member != "number") {
    return Unexpected(fields.Corrupt("a value's 'unit' goes with a 'number' only"));
  }
  EnteredValue value;
  if (member == "number") {
    ALIQUOT_ASSIGN_OR_RETURN(value.number, fields.Number("number"));
    if (json.Find("unit") != nullptr) {
      ALIQUOT_ASSIGN_OR_RETURN(value.unit, fields.String("unit"));
      // EnteredValueToJson leaves an empty unit out.
      if (value.unit.empty()) return Unexpected(fields.Corrupt("a value's 'unit' is empty"));
    }
  } else if (member == "text") {
    ALIQUOT_ASSIGN_OR_RETURN(value.text, fields.String("text"));
  } else if (member == "boolean") {
    ALIQUOT_ASSIGN_OR_RETURN(value.boolean, fields.Bool("boolean"));
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string text, fields.String("instant"));
    auto instant = Timestamp::ParseRfc3339(text);
    if (!instant) {
      return Unexpected(
          fields.Corrupt("a value's 'instant' " + Quoted(text) + " is not an RFC 3339 instant"));
    }
    value.instant = *instant;
  }
  return value;
}

std::string DescribeValue(const EnteredValue& value) {
  if (value.number) return NumberWithUnit(*value.number, value.unit);
  if (value.text) return *value.text;
  if (value.boolean) return *value.boolean ? "yes" : "no";
  if (value.instant) return value.instant->ToRfc3339();
  return "";
}

}  // namespace aliquot::batches
