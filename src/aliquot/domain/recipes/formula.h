// Formulas of a master batch record: a small expression language with units, so that "total viable
// cells = viable concentration x volume" or "dose = CAR+ viable cells / body weight" is written
// once in the approved master, checked at approval (every name known, units that fit, no divisor
// that may be zero) and evaluated from the entries at execution. It has numbers, names, + - * / ^,
// parentheses and a few functions; nothing else can run (no loops, no calls out, no assignment).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/domain/units/units.h"

namespace aliquot::recipes {

// A quantity as people write it: a number, a space, a unit: "18 h", "37.0 C", "1000 mL", "5 %".
struct Quantity {
  double value = 0;
  units::Unit unit;
};

// Parses "<number> <unit>": an optional sign, a number as in formulas (decimal or exponent form,
// finite, no "inf"), one or more spaces, a unit; spaces around the whole are ignored. Returns
// kInvalidArgument naming `field` and quoting the text: "'18h' in field 'max' is not a quantity:
// write a number, a space and a unit, as in '18 h'", or the unit's own refusal.
Result<Quantity> ParseQuantity(std::string_view text, std::string_view field);
// "18 h": the shortest decimal form of the value (as CanonicalNumber), a space, the unit's text
// ("1" for a default Unit). ParseQuantity reads it back to the same value and unit. The value must
// be finite, as every parsed one is.
std::string FormatQuantity(const Quantity& quantity);

// What a name stands for when a formula is checked: the unit its values are entered in and the
// range they may take without breaching an action limit (inclusive, in that unit; nullopt where
// unbounded). The range is how a divisor that may be zero is found.
struct NameInfo {
  units::Unit unit;
  std::optional<double> low;
  std::optional<double> high;
};
using NameLookup = std::function<std::optional<NameInfo>(std::string_view name)>;

// A value of a name when a formula is evaluated.
struct NameValue {
  double value = 0;
  units::Unit unit;
};
using ValueLookup = std::function<std::optional<NameValue>(std::string_view name)>;

// A formula checked against its names: the dimension of its result and the range the result may
// take, in base units (SI, counts as counted), given the ranges of its names. The range is sound
// but may be wider than the true one: interval arithmetic treats each use of a name on its own,
// so "a - a" has the range of a's width, not 0.
struct FormulaCheck {
  units::Dimension dimension;
  std::optional<double> low;
  std::optional<double> high;
};

// A parsed formula. Grammar (whitespace between tokens is free):
//   expr    := term (("+" | "-") term)*
//   term    := unary (("*" | "/") unary)*
//   unary   := ("-" | "+") unary | power
//   power   := primary ("^" ["-"] integer)?
//   primary := number ["[" unit "]"] | call | name | "(" expr ")"
//   call    := ("min" | "max") "(" expr ("," expr)* ")" | ("abs" | "sqrt") "(" expr ")"
//   name    := identifier ("." identifier)?      identifier := [A-Za-z_][A-Za-z0-9_]*
//   number  := digits ["." digits] [("e" | "E") ["+" | "-"] digits]  |  "." digits [...]
// A number without a unit is dimensionless: "1e6 [cells/mL] * volume", "harvest.tvc / 1e6".
// Names are resolved by whoever checks or evaluates the formula; "batch.body_weight" and
// "activation.viable_cells" are single names to this module (no spaces inside them). min, max, abs
// and sqrt are reserved. A unit goes only after a number; a name carries the unit of its values.
// A power binds tighter than a sign: "-x ^ 2" is -(x ^ 2); a power of a power needs parentheses.
class Formula {
 public:
  // Parses `text` (UTF-8, at most 1,000 bytes, nesting at most 32 deep: parentheses, calls and
  // signs). Returns kInvalidArgument naming `field`, quoting the formula and pointing at the
  // character (1-based, in characters): "formula 'a * (b' in field 'formula': at character 7:
  // expected ')' to close the '(' at character 5 but found the end of the formula", an unknown
  // function ("'log' is not a function: formulas have min, max, abs and sqrt"), a name used as a
  // function, a unit that does not parse, a power that is not a whole number from -6 to 6, a
  // number that is not finite.
  static Result<Formula> Parse(std::string_view text, std::string_view field);

  const std::string& Text() const { return text_; }
  // Every name the formula uses, once each, in order of first use.
  const std::vector<std::string>& Names() const { return names_; }

  struct Node;

 private:
  std::string text_;
  std::vector<std::string> names_;
  std::shared_ptr<const Node> root_;  // Immutable once parsed, so copies share it.

  friend Result<FormulaCheck> CheckFormula(const Formula&, const NameLookup&,
                                           const std::optional<units::Unit>&, std::string_view);
  friend Result<double> EvaluateFormula(const Formula&, const ValueLookup&, const units::Unit&,
                                        std::string_view);
};

// Checks `formula` before it is approved (its master record is G-01). `result_unit`: the unit the
// result is recorded in (its dimension must be the formula's); nullopt accepts any dimension.
// Each name is looked up once. Returns kInvalidArgument naming `field`, each message quoting the
// formula, pointing at the character at fault where there is one, and saying what a process
// engineer must change:
// - a name `names` does not know: "'harvest.volum' is not a parameter or calculation this formula
//   can use";
// - adding, subtracting, min or max of different dimensions: "cannot add cells/volume to volume";
// - sqrt of a dimension with an odd exponent, or of a value whose range goes below 0;
// - a unit with an offset (C) anywhere: "temperatures in C cannot be computed with; use K";
// - a result of another dimension than `result_unit`: "the formula gives cells/mass but its unit
//   'mL' is volume";
// - a name whose low action limit is above its high one;
// - a divisor whose range includes 0: "divides by 'activation.viable_cells', which may be 0: give
//   it an action low limit above 0" (a literal 0, a name without a positive or negative range, a
//   sub-expression such as '(a - b)' quoted as written, or x in x ^ -n); guard a divisor that may
//   be 0 with max, as in "x / max(y, 1 [cells])".
// A default-constructed (never parsed) Formula is refused.
Result<FormulaCheck> CheckFormula(const Formula& formula, const NameLookup& names,
                                  const std::optional<units::Unit>& result_unit,
                                  std::string_view field);

// Evaluates `formula` from `values` (a computed value of the batch record, G-03) and returns the
// result in `result_unit`. Dimensions are worked out again from the values' own units, since the
// lookup used at approval is not at hand. Returns kInvalidArgument naming `field`, each message
// opening "cannot compute '<field>' by formula '<text>': ": a name without a value ("no value for
// 'batch.body_weight'"), a value that is not finite or is in C, a value whose unit does not fit
// the formula ("cannot add cells to volume"), a division by zero ("divides by 'x', which is 0
// cells"), the square root of a negative value, a step or result too large for a double, a result
// not of `result_unit`'s dimension.
Result<double> EvaluateFormula(const Formula& formula, const ValueLookup& values,
                               const units::Unit& result_unit, std::string_view field);

}  // namespace aliquot::recipes
