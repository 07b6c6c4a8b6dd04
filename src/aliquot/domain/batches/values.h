// What an operator enters, read against the parameter the control recipe defines for it: the kind
// (a number with a unit, a count, text, a choice, a yes/no answer, an instant, a scanned
// identifier), the unit's dimension, and the alert and action limits the value is judged against
// (21 CFR 211.188(b), G-03; A11-01 built-in checks for correct entry). The value as entered is the
// original and is kept as entered (AL-02); the value in the definition's unit is what limits and
// formulas use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::batches {

// A value as entered. Exactly one of the members is set, by the parameter's kind: `number` (with
// `unit` as the operator gave it; empty for a count without a unit) for number and integer, `text`
// for text, choice and identifier, `boolean` for boolean, `instant` for timestamp (always the
// server's time of the entry, AL-01: a client never supplies it).
struct EnteredValue {
  std::optional<double> number;
  std::string unit;
  std::optional<std::string> text;
  std::optional<bool> boolean;
  std::optional<Timestamp> instant;
  friend bool operator==(const EnteredValue&, const EnteredValue&) = default;
};

// How far a value is from where the control recipe wants it.
enum class LimitFlag { kWithin, kAlert, kAction };
std::string_view LimitFlagName(LimitFlag flag);  // "within", "alert", "action"
std::optional<LimitFlag> LimitFlagFromName(std::string_view name);

// A value read against its definition.
struct JudgedValue {
  EnteredValue entered;
  // Number and integer kinds: the value in the definition's unit (what limits and formulas use).
  std::optional<double> in_unit;
  LimitFlag flag = LimitFlag::kWithin;
  // For a flagged value, the limit it is outside, in words and the definition's unit: "action
  // low 80 %", "alert high 7 C", "acceptable: intact", "expected: yes".
  std::string limit;
};

// The limits a value or calculation is judged against: a parameter's, or a calculation's (which
// has no options or expected answer).
struct LimitsOf {
  recipes::ParameterKind kind = recipes::ParameterKind::kNumber;
  std::string unit;
  recipes::Limits alert;
  recipes::Limits action;
  std::vector<std::string> acceptable;  // kChoice: the options within limits (empty: all).
  std::optional<bool> expected;         // kBoolean.
};
LimitsOf LimitsOfParameter(const recipes::ParameterDefinition& parameter);
LimitsOf LimitsOfCalculation(const recipes::Calculation& calculation);

// Reads the JSON `value` (and `unit`, which may be empty) an operator sent for `parameter`, at
// `now`. Returns kInvalidArgument naming `field` ("value" or "unit") and saying what was expected:
// a number for a number ("'viability' takes a number in %, as in {"value": 92.5, "unit": "%"}"), a
// whole number for an integer, a unit missing or not of the definition's unit's dimension ("'mL' is
// volume, but 'tnc_concentration' is measured in cells/mL (cells/volume)"), a unit on a kind that
// takes none, a non-finite number, text that is empty, longer than 4,000 bytes (an identifier: 128
// printable characters) or not valid UTF-8, an option not among the choice's options (listing
// them), anything but true or false for a boolean, any value at all for a timestamp (the server's
// time is recorded; send no value).
Result<EnteredValue> ReadEnteredValue(const recipes::ParameterDefinition& parameter,
                                      const Json& value, std::string_view unit, Timestamp now,
                                      std::string_view field);

// Judges an entered value against `limits`: converts numbers to the definition's unit, flags a
// value outside the action limits (or a choice not acceptable, a boolean not as expected) kAction,
// else outside the alert limits kAlert. Inclusive bounds: a value equal to a limit is within it.
// kInvalidArgument (field "unit") only for a unit that cannot be converted.
Result<JudgedValue> Judge(const LimitsOf& limits, const EnteredValue& value);

// The value as events and the record carry it: an object with exactly one of "number" (and "unit"
// when not empty), "text", "boolean" or "instant" (RFC 3339 UTC), and back. kDataLoss naming
// `what` for anything else: only the system writes this form.
Json EnteredValueToJson(const EnteredValue& value);
Result<EnteredValue> EnteredValueFromJson(const Json& json, std::string_view what);

// The value as a person reads it: "92.5 %", "1.2e+9 cells", "intact", "yes", the instant in
// RFC 3339 UTC.
std::string DescribeValue(const EnteredValue& value);

}  // namespace aliquot::batches
