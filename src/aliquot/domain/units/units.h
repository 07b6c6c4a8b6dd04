// Units of measure: what a number means. A certificate that says 250 ng/mL and a specification that
// says 0.1-0.5 ug/mL are compared only after converting one into the other, and a value in mg/mL is
// never compared with a limit in cells/mL: the comparison is refused, naming both. Units are a
// closed table of symbols (no guessing at spellings) combined by multiplication, division and
// integer powers, so "cells/mL", "EU/kg", "CFU/m3" and "C/min" all parse. Used by materials
// (specifications, certificates, lot quantities) and later by master batch records' formulas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot::units {

// A dimension: a product of base dimensions with integer exponents, kept sorted by base name with
// no zero exponents. Bases: "mass", "length", "time", "temperature", "amount" (mol), "osmoles",
// and one base per kind of thing counted ("cells", "copies", "CFU", "particles", "IU", "U", "EU",
// "TU", "vg", "items" for each, "vials", "bags", "kits", "bottles", "plates", "doses"), plus
// "pH" and "relative_centrifugal_force". Counts of different things never convert into each other.
struct Dimension {
  std::vector<std::pair<std::string, int>> exponents;

  bool Dimensionless() const { return exponents.empty(); }
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

// How a person reads a dimension: "mass/volume", "cells/volume", "dimensionless". Volume is
// length^3 and is named so.
std::string DescribeDimension(const Dimension& dimension);

class Unit {
 public:
  // Parses a unit as people write it on a specification or a certificate: "mg/mL", "ug/mL",
  // "µg/mL", "mcg/mL", "cells/mL", "x10^6 cells/mL" is NOT accepted (scale goes in the number),
  // "%", "EU/mL", "EU/kg", "CFU/m3", "CFU/m^3", "C", "°C", "C/min", "h", "d", "mOsm/kg", "pH",
  // "copies/cell", "xg", "1" (dimensionless). Grammar: term ("/" term)*, term: factor (("*" |
  // "." | "·") factor)*, factor: symbol [["^"] integer]. Whitespace around operators is allowed.
  // Returns kInvalidArgument naming `field` and quoting the text: an unknown symbol ("unknown unit
  // 'mg/dl' in field 'unit': 'dl' is not a unit Aliquot knows"), an empty text, a malformed
  // exponent, or a temperature with an offset (C, K) inside a compound other than a rate of change
  // such as C/min.
  static Result<Unit> Parse(std::string_view text, std::string_view field);

  // The text as parsed, trimmed: what is shown back to people and stored in events.
  const std::string& Text() const { return text_; }
  const Dimension& GetDimension() const { return dimension_; }
  // value_in_base = value * Factor() + Offset(); Offset() is non-zero only for C (273.15).
  double Factor() const { return factor_; }
  double Offset() const { return offset_; }

  friend bool operator==(const Unit& a, const Unit& b) {
    return a.dimension_ == b.dimension_ && a.factor_ == b.factor_ && a.offset_ == b.offset_;
  }

 private:
  std::string text_;
  Dimension dimension_;
  double factor_ = 1;
  double offset_ = 0;
};

// True when values in `a` and `b` convert into each other.
bool Commensurable(const Unit& a, const Unit& b);

// `value` in `from` expressed in `to`. Returns kInvalidArgument naming `field` when the two are of
// different dimensions: "a value in mg/mL (mass/volume) cannot be compared with ug (mass)", and
// when `value` is not finite.
Result<double> Convert(double value, const Unit& from, const Unit& to, std::string_view field);

}  // namespace aliquot::units
