#include "aliquot/domain/units/units.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>

#include "aliquot/core/json.h"

namespace aliquot::units {
namespace {

// A symbol's value in its base is scale * 10^decade (+ offset): keeping the power of ten apart
// makes "cm3" and "mL" the same double, 10^-6, rather than 0.01 cubed.
struct Symbol {
  std::string_view text;
  std::string_view base;  // Empty for a dimensionless symbol.
  int power = 1;          // Of the base: 3 for a volume, -1 for rpm.
  int decade = 0;
  double scale = 1;
  double offset = 0;
};

constexpr double kCelsiusOffset = 273.15;
constexpr std::size_t kMaxBytes = 64;
// Beyond this a value loses its meaning in a double: "pg^9*pg^9" is no one's unit.
constexpr double kMaxScale = 1e100;
constexpr std::string_view kMiddleDot = "·";

// One entry per spelling, a line per base. A micro sign may be U+00B5 (µ) or U+03BC (μ).
// clang-format off
constexpr auto kSymbols = std::to_array<Symbol>({
    {"kg", "mass", 1, 3}, {"g", "mass"}, {"mg", "mass", 1, -3}, {"ug", "mass", 1, -6},
    {"µg", "mass", 1, -6}, {"μg", "mass", 1, -6}, {"mcg", "mass", 1, -6}, {"ng", "mass", 1, -9},
    {"pg", "mass", 1, -12},
    {"m", "length"}, {"cm", "length", 1, -2}, {"mm", "length", 1, -3}, {"um", "length", 1, -6},
    {"µm", "length", 1, -6}, {"μm", "length", 1, -6}, {"nm", "length", 1, -9},
    {"L", "length", 3, -3}, {"l", "length", 3, -3}, {"dL", "length", 3, -4},
    {"mL", "length", 3, -6}, {"ml", "length", 3, -6}, {"uL", "length", 3, -9},
    {"ul", "length", 3, -9}, {"µL", "length", 3, -9}, {"μL", "length", 3, -9},
    {"nL", "length", 3, -12},
    {"s", "time"}, {"sec", "time"}, {"min", "time", 1, 0, 60}, {"h", "time", 1, 0, 3600},
    {"hr", "time", 1, 0, 3600}, {"d", "time", 1, 0, 86400}, {"day", "time", 1, 0, 86400},
    {"days", "time", 1, 0, 86400}, {"wk", "time", 1, 0, 604800}, {"rpm", "time", -1, 0, 1.0 / 60},
    {"C", "temperature", 1, 0, 1, kCelsiusOffset}, {"°C", "temperature", 1, 0, 1, kCelsiusOffset},
    {"degC", "temperature", 1, 0, 1, kCelsiusOffset}, {"K", "temperature"},
    {"mol", "amount"}, {"mmol", "amount", 1, -3}, {"umol", "amount", 1, -6},
    {"µmol", "amount", 1, -6}, {"μmol", "amount", 1, -6}, {"nmol", "amount", 1, -9},
    {"Osm", "osmoles"}, {"mOsm", "osmoles", 1, -3},
    {"cells", "cells"}, {"cell", "cells"}, {"copies", "copies"}, {"copy", "copies"},
    {"CFU", "CFU"}, {"particles", "particles"}, {"particle", "particles"}, {"IU", "IU"},
    {"U", "U"}, {"EU", "EU"}, {"TU", "TU"}, {"vg", "vg"}, {"each", "items"},
    {"vial", "vials"}, {"vials", "vials"}, {"bag", "bags"}, {"bags", "bags"}, {"kit", "kits"},
    {"kits", "kits"}, {"bottle", "bottles"}, {"bottles", "bottles"}, {"plate", "plates"},
    {"plates", "plates"}, {"dose", "doses"}, {"doses", "doses"},
    {"%", "", 0, -2}, {"1", "", 0}, {"ppm", "", 0, -6}, {"fold", "", 0}, {"x", "", 0},
    {"pH", "pH"},
    {"xg", "relative_centrifugal_force"},
});
// clang-format on

struct SymbolPower {
  const Symbol* symbol;
  int exponent;  // Negative in a denominator.
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Letters, '%' and any non-ASCII byte but the middle dot, so that "µg" and "°C" are one symbol.
bool IsSymbolByte(std::string_view text, std::size_t i) {
  const char c = text[i];
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%' ||
         (static_cast<unsigned char>(c) >= 0x80 && !text.substr(i).starts_with(kMiddleDot));
}

std::size_t SkipSpaces(std::string_view text, std::size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i;
}

// "unknown unit 'mg/dl' in field 'unit': 'dl' is not a unit Aliquot knows". `text` is left out
// when it cannot be shown (empty, too long or not UTF-8).
Error Refuse(std::string_view problem, std::string_view text, std::string_view field,
             const std::string& detail) {
  std::string message(problem);
  if (!text.empty()) message += " '" + std::string(text) + "'";
  return InvalidArgument(message + " in field '" + std::string(field) + "': " + detail,
                         std::string(field));
}

// term ("/" term)*; every term after the first divides. Spaces are allowed around operators.
Result<std::vector<SymbolPower>> ParseFactors(std::string_view text, std::string_view field) {
  std::vector<SymbolPower> factors;
  int sign = 1;
  std::size_t i = 0;
  while (true) {
    // A symbol is letters ("mg") or digits ("1"), so that "m3" is a metre cubed.
    const std::size_t start = i;
    const bool digits = i < text.size() && IsDigit(text[i]);
    while (i < text.size() && (digits ? IsDigit(text[i]) : IsSymbolByte(text, i))) ++i;
    const std::string name(text.substr(start, i - start));
    if (name.empty()) {
      return Unexpected(
          Refuse("invalid unit", text, field, "expected a unit at byte " + std::to_string(i)));
    }
    const auto* symbol = std::find_if(kSymbols.begin(), kSymbols.end(),
                                      [&](const Symbol& s) { return s.text == name; });
    if (symbol == kSymbols.end()) {
      return Unexpected(
          Refuse("unknown unit", text, field, "'" + name + "' is not a unit Aliquot knows"));
    }
    int exponent = 1;
    const bool caret = i < text.size() && text[i] == '^';
    if (caret) ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (negative) ++i;
    if (caret || negative || (i < text.size() && IsDigit(text[i]))) {
      if (i == text.size() || text[i] < '1' || text[i] > '9' ||
          (i + 1 < text.size() && IsDigit(text[i + 1]))) {
        return Unexpected(Refuse(
            "invalid unit", text, field,
            "the exponent of '" + name + "' must be a whole number from -9 to 9 other than 0"));
      }
      exponent = (negative ? -1 : 1) * (text[i++] - '0');
    }
    factors.push_back({symbol, sign * exponent});
    i = SkipSpaces(text, i);
    if (i == text.size()) return factors;
    if (text[i] == '/') {
      sign = -1;
    } else if (text.substr(i).starts_with(kMiddleDot)) {
      i += kMiddleDot.size() - 1;
    } else if (text[i] != '*' && text[i] != '.') {
      return Unexpected(Refuse("invalid unit", text, field,
                               "expected '/', '*', '.' or '·' at byte " + std::to_string(i)));
    }
    i = SkipSpaces(text, i + 1);
  }
}

// A Celsius temperature has an offset, so it means nothing multiplied or raised to a power; a
// rate of change ("C/min") is a difference per time, where the offset cancels. pH is a logarithm
// and combines with nothing.
Status CheckCombinations(const std::vector<SymbolPower>& factors, std::string_view text,
                         std::string_view field) {
  for (const SymbolPower& factor : factors) {
    if (factor.symbol->base == "pH" && (factors.size() != 1 || factor.exponent != 1)) {
      return Unexpected(Refuse("invalid unit", text, field,
                               "pH is a logarithm and stands alone; it combines with no unit"));
    }
    if (factor.symbol->offset == 0) continue;
    const bool rate = factor.exponent == 1 && &factor == &factors.front() &&
                      std::all_of(factors.begin() + 1, factors.end(),
                                  [](const SymbolPower& other) { return other.exponent < 0; });
    if (!rate) {
      return Unexpected(Refuse("invalid unit", text, field,
                               "'" + std::string(factor.symbol->text) +
                                   "' has an offset and combines only as a rate of change "
                                   "such as 'C/min'; use K for other compounds"));
    }
  }
  return {};
}

}  // namespace

std::string DescribeDimension(const Dimension& dimension) {
  if (dimension.Dimensionless()) return "dimensionless";
  std::string numerator;
  std::string denominator;
  for (const auto& [base, exponent] : dimension.exponents) {
    const int power = std::abs(exponent);
    const std::string name = base == "length" && power == 3 ? "volume"
                             : power == 1                   ? base
                                                            : base + "^" + std::to_string(power);
    if (exponent < 0) {
      denominator += "/" + name;
    } else {
      numerator += (numerator.empty() ? "" : "·") + name;
    }
  }
  return (numerator.empty() ? "1" : numerator) + denominator;
}

Result<Unit> Unit::Parse(std::string_view text, std::string_view field) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(kSpace);
  text = first == std::string_view::npos
             ? std::string_view()
             : text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  if (text.empty()) {
    return Unexpected(Refuse("invalid unit", {}, field, "a unit is required ('1' for a number)"));
  }
  if (text.size() > kMaxBytes || !IsValidUtf8(text)) {
    return Unexpected(
        Refuse("invalid unit", {}, field,
               "a unit is valid UTF-8 of at most " + std::to_string(kMaxBytes) + " bytes"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<SymbolPower> factors, ParseFactors(text, field));
  ALIQUOT_RETURN_IF_ERROR(CheckCombinations(factors, text, field));
  Unit unit;
  unit.text_ = std::string(text);
  std::map<std::string, int> exponents;
  int decade = 0;
  for (const SymbolPower& factor : factors) {
    const Symbol& symbol = *factor.symbol;
    if (!symbol.base.empty()) exponents[std::string(symbol.base)] += symbol.power * factor.exponent;
    decade += symbol.decade * factor.exponent;
    unit.factor_ *= std::pow(symbol.scale, factor.exponent);
  }
  unit.factor_ *= std::pow(10.0, decade);
  if (!(unit.factor_ >= 1 / kMaxScale && unit.factor_ <= kMaxScale)) {
    return Unexpected(
        Refuse("invalid unit", text, field, "its scale lies beyond 1e100 times its base units"));
  }
  for (const auto& [base, exponent] : exponents) {
    if (exponent != 0) unit.dimension_.exponents.emplace_back(base, exponent);
  }
  // Only a Celsius temperature on its own keeps its offset (CheckCombinations allows "C/min").
  if (factors.size() == 1) unit.offset_ = factors.front().symbol->offset;
  return unit;
}

bool Commensurable(const Unit& a, const Unit& b) { return a.GetDimension() == b.GetDimension(); }

Result<double> Convert(double value, const Unit& from, const Unit& to, std::string_view field) {
  const std::string name(field);
  if (!std::isfinite(value)) {
    return Unexpected(InvalidArgument(
        "a value in " + from.Text() + " in field '" + name + "' must be a finite number", name));
  }
  if (!Commensurable(from, to)) {
    return Unexpected(InvalidArgument(
        "a value in " + from.Text() + " (" + DescribeDimension(from.GetDimension()) +
            ") cannot be compared with " + to.Text() + " (" + DescribeDimension(to.GetDimension()) +
            ") in field '" + name + "'",
        name));
  }
  // The ratio first, so that converting into the same unit returns the value unchanged.
  const double converted =
      value * (from.Factor() / to.Factor()) + (from.Offset() - to.Offset()) / to.Factor();
  if (!std::isfinite(converted)) {
    return Unexpected(InvalidArgument("a value in " + from.Text() + " in field '" + name +
                                          "' is too large to express in " + to.Text(),
                                      name));
  }
  return converted;
}

}  // namespace aliquot::units
