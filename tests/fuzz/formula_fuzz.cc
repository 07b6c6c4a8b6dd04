// libFuzzer target for recipes::Formula, which reads the formulas of master batch records.
// Whatever is refused must be refused with kInvalidArgument naming the field, in a message that is
// valid UTF-8. Whatever parses is checked with every name a volume in mL with action limits
// [1, 10]; whatever passes its check is evaluated with every name 2 mL into a unit of the checked
// dimension. The check is then held to its promise: evaluation may only refuse a result too large
// for a double (never a division by zero or the root of a negative value), and the result lies
// in the range the check computed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/recipes/formula.h"
#include "aliquot/domain/units/units.h"

namespace {

using aliquot::recipes::Formula;
using aliquot::units::Dimension;
using aliquot::units::Unit;

void CheckRefusal(const aliquot::Error& error) {
  ALIQUOT_CHECK(error.Code() == aliquot::ErrorCode::kInvalidArgument);
  ALIQUOT_CHECK(error.Field() == "formula");
  ALIQUOT_CHECK_MSG(aliquot::IsValidUtf8(error.Message()), "a message is not UTF-8");
}

// A symbol with factor 1 for each base, so that the unit built below is the base unit itself.
std::string_view BaseSymbol(std::string_view base) {
  constexpr std::pair<std::string_view, std::string_view> kSymbols[] = {
      {"mass", "g"},       {"length", "m"},
      {"time", "s"},       {"temperature", "K"},
      {"amount", "mol"},   {"osmoles", "Osm"},
      {"cells", "cells"},  {"copies", "copies"},
      {"CFU", "CFU"},      {"particles", "particles"},
      {"IU", "IU"},        {"U", "U"},
      {"EU", "EU"},        {"TU", "TU"},
      {"vg", "vg"},        {"items", "each"},
      {"vials", "vial"},   {"bags", "bag"},
      {"kits", "kit"},     {"bottles", "bottle"},
      {"plates", "plate"}, {"doses", "dose"},
      {"pH", "pH"},        {"relative_centrifugal_force", "xg"},
  };
  for (const auto& [name, symbol] : kSymbols) {
    if (name == base) return symbol;
  }
  return {};
}

// "m^9*m^3/s": the base unit of `dimension`, or nullopt where the units grammar cannot write it
// (longer than a unit may be, or pH in a compound).
std::optional<Unit> BaseUnit(const Dimension& dimension) {
  std::string numerator;
  std::string denominator;
  for (const auto& [base, exponent] : dimension.exponents) {
    const std::string_view symbol = BaseSymbol(base);
    ALIQUOT_CHECK_MSG(!symbol.empty(), "a dimension has a base no unit has");
    std::string& side = exponent > 0 ? numerator : denominator;
    for (int left = exponent > 0 ? exponent : -exponent; left > 0; left -= 9) {
      const int power = left > 9 ? 9 : left;
      if (!side.empty()) side += "*";
      side += std::string(symbol) + (power == 1 ? "" : "^" + std::to_string(power));
    }
  }
  std::string text = numerator.empty() ? "1" : numerator;
  if (!denominator.empty()) text += "/" + denominator;
  aliquot::Result<Unit> unit = Unit::Parse(text, "unit");
  if (!unit) return std::nullopt;
  ALIQUOT_CHECK(unit->GetDimension() == dimension);
  ALIQUOT_CHECK(unit->Factor() == 1);
  return *unit;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  aliquot::Result<Formula> formula = Formula::Parse(text, "formula");
  if (!formula) {
    CheckRefusal(formula.error());
    return 0;
  }
  ALIQUOT_CHECK(formula->Text() == text);
  for (std::size_t i = 0; i < formula->Names().size(); ++i) {
    const std::string& name = formula->Names()[i];
    ALIQUOT_CHECK_MSG(text.find(name) != std::string_view::npos, "a name is not in the text");
    for (std::size_t j = 0; j < i; ++j) ALIQUOT_CHECK(formula->Names()[j] != name);
  }

  static const Unit kMillilitres = *Unit::Parse("mL", "unit");
  const aliquot::recipes::NameLookup names = [](std::string_view) {
    return std::optional(aliquot::recipes::NameInfo{kMillilitres, 1.0, 10.0});
  };
  aliquot::Result<aliquot::recipes::FormulaCheck> check =
      CheckFormula(*formula, names, std::nullopt, "formula");
  if (!check) {
    CheckRefusal(check.error());
    return 0;
  }
  ALIQUOT_CHECK(!check->low || !check->high || *check->low <= *check->high);
  const std::optional<Unit> unit = BaseUnit(check->dimension);
  if (!unit) return 0;
  // The check accepts its own dimension back.
  ALIQUOT_CHECK(CheckFormula(*formula, names, unit, "formula").has_value());

  const aliquot::recipes::ValueLookup values = [](std::string_view) {
    return std::optional(aliquot::recipes::NameValue{2, kMillilitres});
  };
  aliquot::Result<double> value = EvaluateFormula(*formula, values, *unit, "formula");
  if (!value) {
    CheckRefusal(value.error());
    ALIQUOT_CHECK_MSG(value.error().Message().find("too large") != std::string::npos,
                      "a formula that passed its check failed otherwise than by overflow");
    return 0;
  }
  ALIQUOT_CHECK(std::isfinite(*value));
  // The unit has factor 1, so the value is in base units, as the check's range is.
  ALIQUOT_CHECK_MSG(!check->low || *value >= *check->low, "a value lies below the checked range");
  ALIQUOT_CHECK_MSG(!check->high || *value <= *check->high, "a value lies above the checked range");
  return 0;
}
