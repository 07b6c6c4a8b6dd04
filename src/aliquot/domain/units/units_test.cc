#include "aliquot/domain/units/units.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot::units {
namespace {

Unit Parsed(std::string_view text) {
  Result<Unit> unit = Unit::Parse(text, "unit");
  EXPECT_TRUE(unit.has_value()) << text << ": " << (unit ? "" : unit.error().ToString());
  return unit.value_or(Unit());
}

double Converted(double value, std::string_view from, std::string_view to) {
  Result<double> converted = Convert(value, Parsed(from), Parsed(to), "value");
  EXPECT_TRUE(converted.has_value())
      << from << " -> " << to << ": " << (converted ? "" : converted.error().ToString());
  return converted.value_or(std::numeric_limits<double>::quiet_NaN());
}

Error ParseRefusal(std::string_view text) {
  Result<Unit> unit = Unit::Parse(text, "unit");
  EXPECT_FALSE(unit.has_value()) << "'" << text << "' parsed";
  return unit ? Error(ErrorCode::kInternal, "parsed") : unit.error();
}

Error ConvertRefusal(double value, std::string_view from, std::string_view to) {
  Result<double> converted = Convert(value, Parsed(from), Parsed(to), "limit");
  EXPECT_FALSE(converted.has_value()) << from << " -> " << to << " converted";
  return converted ? Error(ErrorCode::kInternal, "converted") : converted.error();
}

TEST(Units, ConvertsNanogramsPerMillilitreToMicrogramsPerMillilitre) {
  EXPECT_DOUBLE_EQ(Converted(250, "ng/mL", "ug/mL"), 0.25);
  EXPECT_DOUBLE_EQ(Converted(0.25, "µg/mL", "ng/mL"), 250);
}

TEST(Units, ConvertsMilligramsPerMillilitreToMicrogramsPerMillilitre) {
  EXPECT_DOUBLE_EQ(Converted(1, "mg/mL", "ug/mL"), 1000);
  EXPECT_DOUBLE_EQ(Converted(1, "mg/mL", "g/L"), 1);
}

TEST(Units, ConvertsCubicMetresToLitres) {
  EXPECT_DOUBLE_EQ(Converted(1, "m3", "L"), 1000);
  EXPECT_DOUBLE_EQ(Converted(1, "m^3", "l"), 1000);
  EXPECT_DOUBLE_EQ(Converted(1, "cm3", "mL"), 1);
  EXPECT_EQ(Parsed("cm3"), Parsed("mL"));
}

TEST(Units, ConvertsColonyFormingUnitsPerCubicMetreToPerLitre) {
  EXPECT_DOUBLE_EQ(Converted(1000, "CFU/m3", "CFU/L"), 1);
  EXPECT_DOUBLE_EQ(Converted(1, "CFU/L", "CFU/m^3"), 1000);
}

TEST(Units, ConvertsCelsiusToKelvinWithItsOffset) {
  EXPECT_DOUBLE_EQ(Converted(37, "C", "K"), 310.15);
  EXPECT_DOUBLE_EQ(Converted(310.15, "K", "°C"), 37);
  EXPECT_DOUBLE_EQ(Converted(-80, "degC", "C"), -80);
  EXPECT_DOUBLE_EQ(Parsed("C").Offset(), 273.15);
}

TEST(Units, TreatsARateOfCelsiusAsATemperatureDifference) {
  EXPECT_DOUBLE_EQ(Parsed("C/min").Offset(), 0);
  EXPECT_DOUBLE_EQ(Converted(1, "C/min", "K/min"), 1);
  EXPECT_DOUBLE_EQ(Converted(60, "°C/h", "C/min"), 1);
  EXPECT_FALSE(Commensurable(Parsed("C/min"), Parsed("C")));
}

TEST(Units, ConvertsHoursToMinutesAndWeeksToDays) {
  EXPECT_DOUBLE_EQ(Converted(1, "h", "min"), 60);
  EXPECT_DOUBLE_EQ(Converted(2, "wk", "days"), 14);
  EXPECT_DOUBLE_EQ(Converted(90, "sec", "min"), 1.5);
}

TEST(Units, ConvertsPercentToAPlainNumber) {
  EXPECT_DOUBLE_EQ(Converted(50, "%", "1"), 0.5);
  EXPECT_DOUBLE_EQ(Converted(2, "ppm", "%"), 0.0002);
  EXPECT_DOUBLE_EQ(Converted(3, "fold", "x"), 3);
}

TEST(Units, ReadsEverySpellingOfMicrogramAsTheSameUnit) {
  for (std::string_view text : {"µg", "μg", "mcg"}) EXPECT_EQ(Parsed(text), Parsed("ug")) << text;
  EXPECT_EQ(Parsed("µL"), Parsed("ul"));
  EXPECT_EQ(Parsed("ml"), Parsed("mL"));
}

TEST(Units, ReadsRevolutionsPerMinuteAsPerTimeAndRelativeForceAsItsOwnBase) {
  EXPECT_DOUBLE_EQ(Converted(600, "rpm", "1/s"), 10);
  EXPECT_EQ(DescribeDimension(Parsed("rpm").GetDimension()), "1/time");
  EXPECT_EQ(DescribeDimension(Parsed("xg").GetDimension()), "relative_centrifugal_force");
  EXPECT_FALSE(Commensurable(Parsed("xg"), Parsed("rpm")));
}

TEST(Units, KeepsTheTrimmedTextAsWritten) {
  EXPECT_EQ(Parsed("  mg / mL\t").Text(), "mg / mL");
  EXPECT_EQ(Parsed("mg / mL"), Parsed("mg/mL"));
}

TEST(Units, AcceptsEverySpellingOfMultiplication) {
  for (std::string_view text : {"g.m", "g·m", "g · m", "g*m^1"}) {
    EXPECT_EQ(Parsed(text), Parsed("g*m")) << text;
  }
}

TEST(Units, DividesByEveryTermAfterTheFirst) {
  EXPECT_EQ(Parsed("EU/kg/h"), Parsed("EU/kg*h"));
  EXPECT_EQ(Parsed("EU/kg/h"), Parsed("EU*kg^-1*h-1"));
}

TEST(Units, SortsTheDimensionByBaseNameWithoutZeroExponents) {
  const Dimension expected{{{"mass", -1}, {"osmoles", 1}}};
  EXPECT_EQ(Parsed("mOsm/kg").GetDimension(), expected);
  const Dimension copies_per_cell{{{"cells", -1}, {"copies", 1}}};
  EXPECT_EQ(Parsed("copies/cell").GetDimension(), copies_per_cell);
  EXPECT_TRUE(Parsed("m/mm").GetDimension().Dimensionless());
  EXPECT_DOUBLE_EQ(Parsed("m/mm").Factor(), 1000);
}

TEST(Units, DescribesDimensionsAsPeopleReadThem) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"mg/mL", "mass/volume"},
      {"g*m^-3", "mass/volume"},
      {"cells/mL", "cells/volume"},
      {"copies/cell", "copies/cells"},
      {"mg", "mass"},
      {"mL", "volume"},
      {"C", "temperature"},
      {"C/min", "temperature/time"},
      {"%", "dimensionless"},
      {"m2", "length^2"},
      {"m/s2", "length/time^2"},
      {"EU/kg/h", "EU/mass/time"},
      {"cells*mL", "cells·volume"},
      {"pH", "pH"},
  };
  for (const auto& [text, description] : cases) {
    EXPECT_EQ(DescribeDimension(Parsed(text).GetDimension()), description) << text;
  }
}

TEST(Units, RefusesToCompareAMassConcentrationWithACellConcentration) {
  const Error error = ConvertRefusal(1, "mg/mL", "cells/mL");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "limit");
  EXPECT_EQ(error.Message(),
            "a value in mg/mL (mass/volume) cannot be compared with cells/mL (cells/volume) in "
            "field 'limit'");
}

TEST(Units, RefusesToCompareAConcentrationWithAMass) {
  EXPECT_EQ(ConvertRefusal(1, "mg/mL", "mg").Message(),
            "a value in mg/mL (mass/volume) cannot be compared with mg (mass) in field 'limit'");
}

TEST(Units, NeverConvertsOneKindOfCountIntoAnother) {
  for (const auto& [a, b] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"cells", "copies"}, {"vial", "each"}, {"IU", "U"}, {"CFU/mL", "particles/mL"}}) {
    EXPECT_FALSE(Commensurable(Parsed(a), Parsed(b))) << a << " vs " << b;
    EXPECT_EQ(ConvertRefusal(1, a, b).Code(), ErrorCode::kInvalidArgument) << a << " vs " << b;
  }
  EXPECT_DOUBLE_EQ(Converted(3, "vials", "vial"), 3);
}

TEST(Units, RefusesAValueThatIsNotFinite) {
  for (double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    const Error error = ConvertRefusal(value, "mg", "ug");
    EXPECT_EQ(error.Field(), "limit");
    EXPECT_EQ(error.Message(), "a value in mg in field 'limit' must be a finite number");
  }
}

TEST(Units, RefusesAnUnknownSymbolNamingTheFieldAndTheSymbol) {
  const Error error = ParseRefusal("mg/dl");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "unit");
  EXPECT_EQ(error.Message(),
            "unknown unit 'mg/dl' in field 'unit': 'dl' is not a unit Aliquot knows");
  EXPECT_EQ(ParseRefusal("Mg").Message(),
            "unknown unit 'Mg' in field 'unit': 'Mg' is not a unit Aliquot knows");
  EXPECT_NE(ParseRefusal("months").Message().find("'months' is not a unit"), std::string::npos);
}

TEST(Units, RefusesAnEmptyText) {
  for (std::string_view text : {"", "  \t "}) {
    EXPECT_EQ(ParseRefusal(text).Message(),
              "invalid unit in field 'unit': a unit is required ('1' for a number)");
  }
}

TEST(Units, RefusesAnOperatorWithoutAUnitOnEachSide) {
  EXPECT_EQ(ParseRefusal("mg//mL").Message(),
            "invalid unit 'mg//mL' in field 'unit': expected a unit at byte 3");
  EXPECT_EQ(ParseRefusal("mg/").Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseRefusal("/mL").Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseRefusal("mg mL").Message(),
            "invalid unit 'mg mL' in field 'unit': expected '/', '*', '.' or '·' at byte 3");
}

TEST(Units, RefusesAMalformedExponent) {
  EXPECT_EQ(ParseRefusal("m^x").Message(),
            "invalid unit 'm^x' in field 'unit': the exponent of 'm' must be a whole number from "
            "-9 to 9 other than 0");
  for (std::string_view text : {"m^", "m^10", "m^0", "m^-", "m^-x", "CFU/m^3.5"}) {
    EXPECT_EQ(ParseRefusal(text).Code(), ErrorCode::kInvalidArgument) << text;
  }
}

TEST(Units, RefusesAScaleWrittenIntoTheUnit) {
  for (std::string_view text : {"x10^6 cells/mL", "10^6 cells/mL", "1e6 cells/mL"}) {
    EXPECT_EQ(ParseRefusal(text).Code(), ErrorCode::kInvalidArgument) << text;
  }
}

TEST(Units, RefusesCelsiusInACompoundOtherThanARateOfChange) {
  for (std::string_view text : {"C*g", "1/C", "C^2", "g/C", "g*C/min", "C/min^-1"}) {
    EXPECT_NE(ParseRefusal(text).Message().find("combines only as a rate of change"),
              std::string::npos)
        << text;
  }
  EXPECT_DOUBLE_EQ(Parsed("1/K").Factor(), 1);
}

TEST(Units, RefusesPhInACompound) {
  for (std::string_view text : {"pH/min", "pH*g", "pH^2"}) {
    EXPECT_EQ(ParseRefusal(text).Message(),
              "invalid unit '" + std::string(text) +
                  "' in field 'unit': pH is a logarithm and stands alone; it combines with no unit")
        << text;
  }
}

TEST(Units, RefusesTextThatIsTooLongOrNotUtf8) {
  EXPECT_EQ(ParseRefusal(std::string(65, 'g')).Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseRefusal("\xB5g").Message(),
            "invalid unit in field 'unit': a unit is valid UTF-8 of at most 64 bytes");
  EXPECT_EQ(ParseRefusal("pg^9*pg^9*pg^9").Code(), ErrorCode::kInvalidArgument);
}

// Symbols of one dimension each, so that any two of a group (or two quotients of the same two
// groups) are commensurable. Temperature is last: it never appears as a denominator.
const std::vector<std::vector<std::string>>& Groups() {
  static const std::vector<std::vector<std::string>> kGroups = {
      {"kg", "g", "mg", "ug", "µg", "μg", "mcg", "ng", "pg"},
      {"m", "cm", "mm", "um", "µm", "μm", "nm"},
      {"L", "l", "mL", "ml", "uL", "ul", "µL", "μL", "nL", "dL", "m3", "m^3", "cm3", "mm^3"},
      {"s", "sec", "min", "h", "hr", "d", "day", "days", "wk"},
      {"mol", "mmol", "umol", "µmol", "μmol", "nmol"},
      {"Osm", "mOsm"},
      {"cells", "cell"},
      {"copies", "copy"},
      {"vial", "vials"},
      {"%", "1", "ppm", "fold", "x"},
      {"C", "°C", "degC", "K"},
  };
  return kGroups;
}

// Groups are drawn with elementOf, which is uniform; RapidCheck's inRange narrows at small sizes
// and would rarely reach the last groups.
RC_GTEST_PROP(Units, ConvertingThereAndBackReturnsTheValue, ()) {
  const std::vector<std::vector<std::string>>& groups = Groups();
  const std::vector<std::string> numerator = *rc::gen::elementOf(groups);
  std::string a = *rc::gen::elementOf(numerator);
  std::string b = *rc::gen::elementOf(numerator);
  if (*rc::gen::arbitrary<bool>()) {
    const std::vector<std::string> denominator =
        *rc::gen::elementOf(std::vector(groups.begin(), groups.end() - 1));
    a += "/" + *rc::gen::elementOf(denominator);
    b += "/" + *rc::gen::elementOf(denominator);
  }
  const double value = *rc::gen::inRange(-1'000'000, 1'000'001) *
                       std::pow(10.0, *rc::gen::element(-3, -2, -1, 0, 1, 2, 3));
  const Result<Unit> from = Unit::Parse(a, "value");
  const Result<Unit> to = Unit::Parse(b, "value");
  RC_ASSERT(from.has_value() && to.has_value());
  RC_ASSERT(Commensurable(*from, *to));
  const Result<double> there = Convert(value, *from, *to, "value");
  RC_ASSERT(there.has_value());
  const Result<double> back = Convert(*there, *to, *from, "value");
  RC_ASSERT(back.has_value());
  RC_ASSERT(std::abs(*back - value) <= 1e-9 * std::abs(value));
}

}  // namespace
}  // namespace aliquot::units
