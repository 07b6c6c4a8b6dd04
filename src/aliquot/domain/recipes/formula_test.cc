// Formulas are part of the approved master batch record (G-01) and produce the computed values of
// the executed batch record (G-03); these tests hold the language, its units and its refusals.
#include "aliquot/domain/recipes/formula.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/units/units.h"

namespace aliquot::recipes {
namespace {

// A message a person reads, checked for the words that tell them what to change.
::testing::AssertionResult Contains(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << message << "' does not say '" << part << "'";
}

units::Unit UnitOf(std::string_view text) {
  Result<units::Unit> unit = units::Unit::Parse(text, "unit");
  EXPECT_TRUE(unit.has_value()) << text;
  return unit.value_or(units::Unit());
}

Formula Parsed(std::string_view text) {
  Result<Formula> formula = Formula::Parse(text, "formula");
  EXPECT_TRUE(formula.has_value()) << text << ": " << (formula ? "" : formula.error().ToString());
  return formula ? *formula : Formula();
}

// The refusal of parsing `text`, checked to be kInvalidArgument naming the field.
Error ParseRefusal(std::string_view text) {
  Result<Formula> formula = Formula::Parse(text, "formula");
  EXPECT_FALSE(formula.has_value()) << "'" << text << "' parsed";
  if (formula) return Error(ErrorCode::kInternal, "parsed");
  EXPECT_EQ(formula.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(formula.error().Field(), "formula");
  return formula.error();
}

// A name's unit and action limits as a master record would give them; an omitted limit is none.
struct Limits {
  // Implicit, so that a table of names reads {"mL", 1, 10}.
  Limits(std::string unit_text, std::optional<double> low_limit = std::nullopt,
         std::optional<double> high_limit = std::nullopt)
      : unit(std::move(unit_text)), low(low_limit), high(high_limit) {}
  std::string unit;
  std::optional<double> low;
  std::optional<double> high;
};

NameLookup Names(std::map<std::string, Limits> limits) {
  return [limits = std::move(limits)](std::string_view name) -> std::optional<NameInfo> {
    const auto found = limits.find(std::string(name));
    if (found == limits.end()) return std::nullopt;
    return NameInfo{UnitOf(found->second.unit), found->second.low, found->second.high};
  };
}

ValueLookup Values(std::map<std::string, std::pair<double, std::string>> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<NameValue> {
    const auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return NameValue{found->second.first, UnitOf(found->second.second)};
  };
}

FormulaCheck Checked(std::string_view text, const NameLookup& names,
                     std::optional<std::string_view> result_unit) {
  const std::optional<units::Unit> unit =
      result_unit ? std::optional(UnitOf(*result_unit)) : std::nullopt;
  Result<FormulaCheck> check = CheckFormula(Parsed(text), names, unit, "formula");
  EXPECT_TRUE(check.has_value()) << text << ": " << (check ? "" : check.error().ToString());
  return check.value_or(FormulaCheck());
}

Error CheckRefusal(std::string_view text, const NameLookup& names,
                   std::optional<std::string_view> result_unit = std::nullopt) {
  const std::optional<units::Unit> unit =
      result_unit ? std::optional(UnitOf(*result_unit)) : std::nullopt;
  Result<FormulaCheck> check = CheckFormula(Parsed(text), names, unit, "formula");
  EXPECT_FALSE(check.has_value()) << "'" << text << "' passed its check";
  if (check) return Error(ErrorCode::kInternal, "checked");
  EXPECT_EQ(check.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(check.error().Field(), "formula");
  return check.error();
}

double Evaluated(std::string_view text, const ValueLookup& values, std::string_view result_unit) {
  Result<double> value = EvaluateFormula(Parsed(text), values, UnitOf(result_unit), "formula");
  EXPECT_TRUE(value.has_value()) << text << ": " << (value ? "" : value.error().ToString());
  return value.value_or(std::numeric_limits<double>::quiet_NaN());
}

Error EvaluationRefusal(std::string_view text, const ValueLookup& values,
                        std::string_view result_unit, std::string_view field = "formula") {
  Result<double> value = EvaluateFormula(Parsed(text), values, UnitOf(result_unit), field);
  EXPECT_FALSE(value.has_value()) << "'" << text << "' gave " << value.value_or(0);
  if (value) return Error(ErrorCode::kInternal, "evaluated");
  EXPECT_EQ(value.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(value.error().Field(), field);
  return value.error();
}

// ---------------------------------------------------------------------------------------------
// Realistic CAR-T calculations (G-01: written once in the master; G-03: computed in the batch).

TEST(Formula, ComputesTotalViableCellsFromConcentrationAndVolume) {
  const NameLookup names =
      Names({{"viable_concentration", {"cells/mL", 1e5, 1e7}}, {"volume", {"mL", 10, 1000}}});
  const FormulaCheck check = Checked("viable_concentration * volume", names, "cells");
  EXPECT_EQ(check.dimension, UnitOf("cells").GetDimension());
  // The range in base units follows from the names' action limits.
  ASSERT_TRUE(check.low && check.high);
  EXPECT_DOUBLE_EQ(*check.low, 1e6);
  EXPECT_DOUBLE_EQ(*check.high, 1e10);

  EXPECT_DOUBLE_EQ(
      Evaluated("viable_concentration * volume",
                Values({{"viable_concentration", {2e6, "cells/mL"}}, {"volume", {50, "mL"}}}),
                "cells"),
      1e8);
}

TEST(Formula, ComputesTotalViableCellsWhenVolumeIsEnteredInLitres) {
  const ValueLookup values =
      Values({{"viable_concentration", {2e6, "cells/mL"}}, {"volume", {0.05, "L"}}});
  EXPECT_DOUBLE_EQ(Evaluated("viable_concentration * volume", values, "cells"), 1e8);
  // The same formula reports in millions of cells through a literal scale, never a unit prefix.
  EXPECT_DOUBLE_EQ(Evaluated("viable_concentration * volume / 1e6", values, "cells"), 100);
  // And a concentration entered per litre combines with a volume in millilitres.
  EXPECT_DOUBLE_EQ(
      Evaluated("viable_concentration * volume",
                Values({{"viable_concentration", {2e9, "cells/L"}}, {"volume", {50, "mL"}}}),
                "cells"),
      1e8);
}

TEST(Formula, ComputesFoldExpansionAsAPureNumber) {
  const NameLookup names = Names({{"harvest.total_viable_cells", {"cells", 1e8, 1e11}},
                                  {"activation.seeded_cells", {"cells", 5e7, 2e8}}});
  const std::string_view text = "harvest.total_viable_cells / activation.seeded_cells";
  EXPECT_TRUE(Checked(text, names, "fold").dimension.Dimensionless());
  EXPECT_TRUE(Checked(text, names, "1").dimension.Dimensionless());
  const ValueLookup values = Values({{"harvest.total_viable_cells", {3e9, "cells"}},
                                     {"activation.seeded_cells", {1e8, "cells"}}});
  EXPECT_DOUBLE_EQ(Evaluated(text, values, "fold"), 30);
  EXPECT_DOUBLE_EQ(Evaluated(text, values, "1"), 30);
  EXPECT_EQ(Parsed(text).Names(),
            (std::vector<std::string>{"harvest.total_viable_cells", "activation.seeded_cells"}));
}

TEST(Formula, ComputesDosePerKilogramWithAMaximum) {
  const NameLookup names =
      Names({{"car_positive_cells", {"cells", 0, 1e10}}, {"batch.body_weight", {"kg", 3, 200}}});
  const std::string_view text = "min(car_positive_cells / batch.body_weight, 2e6 [cells/kg])";
  const FormulaCheck check = Checked(text, names, "cells/kg");
  ASSERT_TRUE(check.high.has_value());
  EXPECT_DOUBLE_EQ(*check.high, 2e6 / 1000);  // Base units count per gram.
  EXPECT_DOUBLE_EQ(Evaluated(text,
                             Values({{"car_positive_cells", {1.05e8, "cells"}},
                                     {"batch.body_weight", {70, "kg"}}}),
                             "cells/kg"),
                   1.5e6);
  EXPECT_DOUBLE_EQ(
      Evaluated(text,
                Values({{"car_positive_cells", {7e8, "cells"}}, {"batch.body_weight", {70, "kg"}}}),
                "cells/kg"),
      2e6);
}

TEST(Formula, ComputesViabilityInPercentWithoutMultiplyingByHundred) {
  const ValueLookup values = Values({{"viable", {8.5e7, "cells"}}, {"total", {1e8, "cells"}}});
  // % is a dimensionless unit of 0.01: the ratio 0.85 recorded in % is 85.
  EXPECT_DOUBLE_EQ(Evaluated("viable / total", values, "%"), 85);
  // Writing the hundred as a quantity in % says the same thing...
  EXPECT_DOUBLE_EQ(Evaluated("viable / total * 100 [%]", values, "%"), 85);
  // ...but a bare 100 multiplies the ratio itself: the spreadsheet habit gives 8500 %.
  EXPECT_DOUBLE_EQ(Evaluated("viable / total * 100", values, "%"), 8500);
}

TEST(Formula, ComputesVectorVolumeFromMultiplicityOfInfection) {
  const NameLookup names = Names({{"moi", {"TU/cells", 1, 10}},
                                  {"seeded_cells", {"cells", 5e7, 2e8}},
                                  {"titer", {"TU/mL", 1e7, 1e9}}});
  const FormulaCheck check = Checked("moi * seeded_cells / titer", names, "mL");
  EXPECT_EQ(check.dimension, UnitOf("mL").GetDimension());
  EXPECT_DOUBLE_EQ(Evaluated("moi * seeded_cells / titer",
                             Values({{"moi", {5, "TU/cells"}},
                                     {"seeded_cells", {1e8, "cells"}},
                                     {"titer", {1e8, "TU/mL"}}}),
                             "mL"),
                   5);
}

TEST(Formula, ComputesWithKelvinWhereCelsiusIsRefused) {
  EXPECT_NEAR(Evaluated("temperature - 273.15 [K]", Values({{"temperature", {310.15, "K"}}}), "K"),
              37, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Parsing.

TEST(Formula, KeepsItsTextAndNamesInOrderOfFirstUse) {
  const Formula formula = Parsed("a * step.b + a / (c - step.b)");
  EXPECT_EQ(formula.Text(), "a * step.b + a / (c - step.b)");
  EXPECT_EQ(formula.Names(), (std::vector<std::string>{"a", "step.b", "c"}));
}

TEST(Formula, FollowsPrecedenceOfOperators) {
  const ValueLookup none = Values({});
  EXPECT_DOUBLE_EQ(Evaluated("1 + 2 * 3", none, "1"), 7);
  EXPECT_DOUBLE_EQ(Evaluated("(1 + 2) * 3", none, "1"), 9);
  EXPECT_DOUBLE_EQ(Evaluated("8 / 4 / 2", none, "1"), 1);
  EXPECT_DOUBLE_EQ(Evaluated("10 - 4 - 3", none, "1"), 3);
  EXPECT_DOUBLE_EQ(Evaluated("-2 ^ 2", none, "1"), -4);
  EXPECT_DOUBLE_EQ(Evaluated("(-2) ^ 2", none, "1"), 4);
  EXPECT_DOUBLE_EQ(Evaluated("2 ^ -1", none, "1"), 0.5);
  EXPECT_DOUBLE_EQ(Evaluated("+3 - -2", none, "1"), 5);
  EXPECT_DOUBLE_EQ(Evaluated(".5e1 + 2.5E-1", none, "1"), 5.25);
  EXPECT_DOUBLE_EQ(Evaluated("max(1, 7, 3) - min(4, 2) + abs(-1) + sqrt(16)", none, "1"), 10);
  EXPECT_DOUBLE_EQ(Evaluated("sqrt(9 [mL] * 4 [mL^3])", none, "mL^2"), 6);
}

TEST(Formula, RefusesUnclosedParenthesisPointingAtTheEnd) {
  const Error error = ParseRefusal("a * (b");
  EXPECT_EQ(error.Message(),
            "formula 'a * (b' in field 'formula': at character 7: expected ')' to close the '(' at "
            "character 5 but found the end of the formula");
}

TEST(Formula, RefusesParenthesisThatClosesNothing) {
  EXPECT_TRUE(Contains(ParseRefusal("a * b)").Message(), "at character 6: this ')' closes no '('"));
}

TEST(Formula, RefusesMissingOperandAndMissingOperator) {
  EXPECT_TRUE(Contains(ParseRefusal("a *").Message(),
                       "at character 4: expected a number, a name, a function or '(' but found "
                       "the end of the formula"));
  EXPECT_TRUE(Contains(ParseRefusal("a b").Message(),
                       "at character 3: expected an operator (+ - * / ^) but found 'b'"));
  EXPECT_TRUE(Contains(ParseRefusal("a * , b").Message(), "at character 5: expected a number"));
}

TEST(Formula, RefusesUnknownFunctionListingTheFunctions) {
  EXPECT_TRUE(Contains(ParseRefusal("log(volume)").Message(),
                       "at character 1: 'log' is not a function: formulas have min, max, abs and "
                       "sqrt"));
}

TEST(Formula, RefusesANameUsedAsAFunction) {
  EXPECT_TRUE(Contains(ParseRefusal("2 * harvest.volume(3)").Message(),
                       "at character 5: 'harvest.volume' is not a function"));
}

TEST(Formula, RefusesAFunctionNameUsedAsAName) {
  EXPECT_TRUE(Contains(ParseRefusal("min + 1").Message(),
                       "at character 1: 'min' is a function: write min(a, b)"));
  EXPECT_TRUE(Contains(ParseRefusal("sqrt * 2").Message(), "'sqrt' is a function: write sqrt(a)"));
}

TEST(Formula, RefusesFunctionsWithTheWrongNumberOfValues) {
  EXPECT_TRUE(
      Contains(ParseRefusal("min(a)").Message(), "min takes two or more values, as in min(a, b)"));
  EXPECT_TRUE(Contains(ParseRefusal("sqrt(a, b)").Message(), "sqrt takes one value"));
  EXPECT_TRUE(Contains(ParseRefusal("abs()").Message(), "at character 5: expected a number"));
  EXPECT_TRUE(Contains(ParseRefusal("max(a b)").Message(),
                       "at character 7: expected ',' or ')' in max(...) but found 'b'"));
}

TEST(Formula, RefusesPowersThatAreNotSmallWholeNumbers) {
  for (const std::string_view text : {"x ^ 2.5", "x ^ 7", "x ^ -7", "x ^ y", "x ^ 1e1", "x ^"}) {
    EXPECT_TRUE(Contains(ParseRefusal(text).Message(),
                         "a power is a whole number from -6 to 6, as in 'x ^ 2' or 'x ^ -1'"))
        << text;
  }
  EXPECT_TRUE(Contains(ParseRefusal("x ^ 2 ^ 3").Message(),
                       "at character 7: a power of a power needs parentheses"));
  Parsed("x ^ 6 + x ^ -6 + (x ^ 2) ^ 3 + x ^ 0");
}

TEST(Formula, RefusesUnknownUnitInBracketsWithItsPosition) {
  const Error error = ParseRefusal("1 [mg/dl] * x");
  EXPECT_EQ(error.Message(),
            "formula '1 [mg/dl] * x' in field 'formula': at character 4: unknown unit 'mg/dl': "
            "'dl' is not a unit Aliquot knows");
  EXPECT_TRUE(Contains(ParseRefusal("1 [mL * x").Message(),
                       "at character 3: this '[' has no ']' closing its unit"));
  EXPECT_TRUE(Contains(ParseRefusal("1 [] * x").Message(), "a unit is required"));
}

TEST(Formula, RefusesUnitsOutsideBracketsOrAfterNames) {
  EXPECT_TRUE(Contains(ParseRefusal("5mL * x").Message(),
                       "at character 2: a number ends here: write a unit in brackets"));
  EXPECT_TRUE(Contains(ParseRefusal("1e6cells").Message(), "at character 4: a number ends here"));
  EXPECT_TRUE(Contains(ParseRefusal("x [mL]").Message(),
                       "at character 3: a unit in brackets follows a number"));
  EXPECT_TRUE(Contains(ParseRefusal("[mL]").Message(), "a unit in brackets follows a number"));
}

TEST(Formula, RefusesMalformedNumbersAndNames) {
  EXPECT_TRUE(
      Contains(ParseRefusal("1. * x").Message(), "at character 3: expected a digit after '.'"));
  EXPECT_TRUE(Contains(ParseRefusal("2e + x").Message(),
                       "at character 3: expected the digits of the exponent"));
  EXPECT_TRUE(Contains(ParseRefusal("1e999 * x").Message(), "'1e999' is beyond the range"));
  EXPECT_TRUE(Contains(ParseRefusal("1e-999 * x").Message(), "'1e-999' is beyond the range"));
  EXPECT_TRUE(
      Contains(ParseRefusal("1e306 [kg] * 1e10").Message(), "'1e306 [kg]' is beyond the range"));
  EXPECT_TRUE(
      Contains(ParseRefusal("a.b.c").Message(), "at character 4: a name has at most one '.'"));
  EXPECT_TRUE(Contains(ParseRefusal("a. b").Message(), "at character 3: expected a name after"));
  EXPECT_TRUE(
      Contains(ParseRefusal("a % b").Message(), "at character 3: unexpected character '%'"));
}

TEST(Formula, CountsPositionsInCharactersRatherThanBytes) {
  // µ is two bytes of UTF-8 but one character on the screen.
  EXPECT_TRUE(Contains(ParseRefusal("1 [µg] $ x").Message(), "at character 8: unexpected"));
  EXPECT_TRUE(
      Contains(ParseRefusal("1 [µg] · x").Message(), "at character 8: unexpected character '·'"));
}

TEST(Formula, RefusesEmptyTooLongAndInvalidText) {
  EXPECT_TRUE(Contains(ParseRefusal("").Message(), "formula in field 'formula' is empty"));
  EXPECT_TRUE(Contains(ParseRefusal(" \t\n").Message(), "is empty"));
  EXPECT_TRUE(Contains(ParseRefusal(std::string("a\xff", 2)).Message(), "not valid UTF-8"));
  std::string longest = "x";
  while (longest.size() + 4 <= 1000) longest += " + x";
  while (longest.size() < 1000) longest += " ";
  EXPECT_EQ(Parsed(longest).Names(), std::vector<std::string>{"x"});
  EXPECT_TRUE(Contains(ParseRefusal(longest + " ").Message(),
                       "is 1001 bytes long: a formula is at most 1,000 bytes"));
}

TEST(Formula, RefusesNestingDeeperThanThirtyTwo) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '(') + "x" +
           std::string(static_cast<std::size_t>(depth), ')');
  };
  Parsed(nested(32));
  EXPECT_TRUE(Contains(ParseRefusal(nested(33)).Message(), "nests deeper than 32 levels"));
  std::string signs;
  for (int i = 0; i < 32; ++i) signs += "- ";
  EXPECT_DOUBLE_EQ(Evaluated(signs + "3", Values({}), "1"), 3);
  EXPECT_TRUE(Contains(ParseRefusal("-" + signs + "3").Message(), "nests deeper than 32 levels"));
  std::string calls = "x";
  for (int i = 0; i < 33; ++i) calls.insert(0, "abs(").append(")");
  EXPECT_TRUE(Contains(ParseRefusal(calls).Message(), "nests deeper than 32 levels"));
}

// ---------------------------------------------------------------------------------------------
// Checking before approval (G-01).

TEST(Formula, RefusesUnknownNames) {
  const Error error = CheckRefusal("harvest.volum * 2", Names({{"harvest.volume", {"mL"}}}));
  EXPECT_EQ(error.Message(),
            "formula 'harvest.volum * 2' in field 'formula': at character 1: 'harvest.volum' is "
            "not a parameter or calculation this formula can use");
}

TEST(Formula, RefusesAdditionOfCellsToVolume) {
  const NameLookup names = Names({{"viable_concentration", {"cells/mL"}}, {"volume", {"mL"}}});
  EXPECT_TRUE(Contains(CheckRefusal("viable_concentration + volume", names).Message(),
                       "at character 22: cannot add cells/volume to volume"));
  EXPECT_TRUE(Contains(CheckRefusal("volume - viable_concentration", names).Message(),
                       "cannot subtract cells/volume from volume"));
  EXPECT_TRUE(Contains(CheckRefusal("max(volume, 1 [mL], viable_concentration)", names).Message(),
                       "cannot take the max of volume and cells/volume"));
  EXPECT_TRUE(
      Contains(CheckRefusal("volume + 1", names).Message(), "cannot add volume to dimensionless"));
}

TEST(Formula, RefusesResultUnitOfAnotherDimension) {
  const NameLookup names =
      Names({{"car_positive_cells", {"cells", 1, {}}}, {"batch.body_weight", {"kg", 3, 200}}});
  EXPECT_TRUE(
      Contains(CheckRefusal("car_positive_cells / batch.body_weight", names, "mL").Message(),
               "the formula gives cells/mass but its unit 'mL' is volume"));
  EXPECT_TRUE(Contains(
      EvaluationRefusal(
          "car_positive_cells / batch.body_weight",
          Values({{"car_positive_cells", {1e8, "cells"}}, {"batch.body_weight", {70, "kg"}}}), "mL")
          .Message(),
      "the formula gives cells/mass but its unit 'mL' is volume"));
}

TEST(Formula, AcceptsAnyDimensionWithoutAResultUnit) {
  const FormulaCheck check =
      Checked("a / b", Names({{"a", {"cells", 1, 2}}, {"b", {"mL", 1, 2}}}), std::nullopt);
  EXPECT_EQ(check.dimension, UnitOf("cells/mL").GetDimension());
}

TEST(Formula, RefusesTemperaturesInCelsius) {
  const NameLookup names = Names({{"temperature", {"C", 2, 8}}, {"kelvin", {"K", 270, 320}}});
  EXPECT_TRUE(Contains(CheckRefusal("temperature * 2", names).Message(),
                       "'temperature' is in C: temperatures in C cannot be computed with; use K"));
  EXPECT_TRUE(Contains(CheckRefusal("kelvin - 4 [°C]", names).Message(),
                       "'4 [°C]' is in °C: temperatures in C cannot be computed with; use K"));
  EXPECT_TRUE(Contains(CheckRefusal("kelvin", names, "C").Message(),
                       "its unit is 'C': temperatures in C cannot be computed with; use K"));
  EXPECT_TRUE(Contains(
      EvaluationRefusal("temperature * 2", Values({{"temperature", {4, "C"}}}), "K").Message(),
      "temperatures in C cannot be computed with; use K"));
  EXPECT_TRUE(Contains(EvaluationRefusal("1 [C]", Values({}), "K").Message(),
                       "temperatures in C cannot be computed with; use K"));
  EXPECT_TRUE(Contains(EvaluationRefusal("kelvin", Values({{"kelvin", {300, "K"}}}), "C").Message(),
                       "temperatures in C cannot be computed with; use K"));
  // A rate of change has no offset and computes.
  EXPECT_DOUBLE_EQ(Evaluated("rate * 10 [min]", Values({{"rate", {0.5, "C/min"}}}), "K"), 5);
}

TEST(Formula, RefusesDivisionByNameWhoseRangeIncludesZero) {
  const std::string_view text = "harvest.total_viable_cells / activation.viable_cells";
  const Error error = CheckRefusal(text, Names({{"harvest.total_viable_cells", {"cells", 0, 1e11}},
                                                {"activation.viable_cells", {"cells", 0, 1e9}}}));
  EXPECT_EQ(error.Message(),
            "formula 'harvest.total_viable_cells / activation.viable_cells' in field 'formula': at "
            "character 30: divides by 'activation.viable_cells', which may be 0: give it an action "
            "low limit above 0");
  // Unbounded is no better than a range that reaches 0.
  EXPECT_TRUE(Contains(CheckRefusal(text, Names({{"harvest.total_viable_cells", {"cells"}},
                                                 {"activation.viable_cells", {"cells"}}}))
                           .Message(),
                       "divides by 'activation.viable_cells', which may be 0"));
  EXPECT_TRUE(Contains(CheckRefusal(text, Names({{"harvest.total_viable_cells", {"cells"}},
                                                 {"activation.viable_cells", {"cells", {}, 1e9}}}))
                           .Message(),
                       "which may be 0"));
  // A low limit above 0, or a range wholly below 0, makes the division safe.
  Checked(text,
          Names({{"harvest.total_viable_cells", {"cells"}},
                 {"activation.viable_cells", {"cells", 1e6, {}}}}),
          "1");
  Checked("x / y", Names({{"x", {"1"}}, {"y", {"1", {}, -0.5}}}), "1");
}

TEST(Formula, RefusesDivisionByLiteralZero) {
  EXPECT_TRUE(Contains(CheckRefusal("x / 0", Names({{"x", {"mL"}}})).Message(),
                       "at character 5: divides by '0', which is always 0"));
  EXPECT_TRUE(Contains(CheckRefusal("x / (2 - 2)", Names({{"x", {"mL"}}})).Message(),
                       "divides by '(2 - 2)', which is always 0"));
}

TEST(Formula, RefusesDivisionBySubExpressionThatMayBeZero) {
  const NameLookup names =
      Names({{"x", {"cells"}}, {"a", {"mL", 10, 20}}, {"b", {"mL", 5, 15}}, {"c", {"mL", 1, 4}}});
  EXPECT_TRUE(Contains(CheckRefusal("x / (a - b)", names).Message(),
                       "at character 5: divides by '(a - b)', which may be 0 within the action "
                       "limits of its names"));
  Checked("x / (a - c)", names, "cells/mL");
  EXPECT_TRUE(Contains(CheckRefusal("x * (a - b) ^ -1", names).Message(),
                       "divides by '(a - b)', which may be 0"));
  EXPECT_TRUE(
      Contains(CheckRefusal("x * b ^ -2", Names({{"x", {"1"}}, {"b", {"mL", 0, 5}}})).Message(),
               "divides by 'b', which may be 0: give it an action low limit above 0"));
}

TEST(Formula, AcceptsDivisionGuardedByMax) {
  const NameLookup names = Names({{"x", {"cells"}}, {"y", {"cells", 0, {}}}});
  const FormulaCheck check = Checked("x / max(y, 1 [cells])", names, "1");
  EXPECT_TRUE(check.dimension.Dimensionless());
  EXPECT_DOUBLE_EQ(
      Evaluated("x / max(y, 1 [cells])", Values({{"x", {50, "cells"}}, {"y", {0, "cells"}}}), "1"),
      50);
}

TEST(Formula, RefusesSquareRootOfOddDimensionOrOfRangeBelowZero) {
  const NameLookup names = Names({{"volume", {"mL", 1, 10}}, {"delta", {"mL^2", -1, 1}}});
  EXPECT_TRUE(Contains(CheckRefusal("sqrt(volume)", names).Message(),
                       "at character 1: cannot take the square root of volume: every exponent "
                       "of its dimension must be even"));
  EXPECT_TRUE(Contains(CheckRefusal("sqrt(delta)", names).Message(),
                       "takes the square root of 'delta', which may be below 0: give it an "
                       "action low limit of 0 or above"));
  const FormulaCheck check = Checked("sqrt(volume * volume)", names, "mL");
  ASSERT_TRUE(check.low && check.high);
  EXPECT_DOUBLE_EQ(*check.low, 1e-6);
  EXPECT_DOUBLE_EQ(*check.high, 1e-5);
}

TEST(Formula, ReturnsTheRangeOfItsResultInBaseUnits) {
  const NameLookup names = Names({{"a", {"mL", -2, 3}}, {"b", {"L", 1, {}}}});
  FormulaCheck check = Checked("2 [mL] * 3", names, "mL");
  ASSERT_TRUE(check.low && check.high);
  EXPECT_DOUBLE_EQ(*check.low, 6e-6);
  EXPECT_DOUBLE_EQ(*check.high, 6e-6);
  check = Checked("a ^ 2", names, std::nullopt);
  ASSERT_TRUE(check.low && check.high);
  EXPECT_DOUBLE_EQ(*check.low, 0);
  EXPECT_DOUBLE_EQ(*check.high, 9e-12);
  check = Checked("abs(a) - b", names, "mL");
  EXPECT_FALSE(check.low.has_value());
  ASSERT_TRUE(check.high.has_value());
  EXPECT_DOUBLE_EQ(*check.high, 3e-6 - 1e-3);
  // 0 times an unbounded value is 0, not unbounded.
  check = Checked("0 * b", names, "mL");
  ASSERT_TRUE(check.low && check.high);
  EXPECT_EQ(*check.low, 0);
  EXPECT_EQ(*check.high, 0);
}

TEST(Formula, RefusesNameWhoseLowLimitExceedsItsHighLimit) {
  EXPECT_TRUE(Contains(CheckRefusal("a * 2", Names({{"a", {"mL", 5, 1}}})).Message(),
                       "'a' has its low action limit above its high one"));
}

TEST(Formula, RefusesUnparsedFormula) {
  const Formula unparsed;
  EXPECT_FALSE(CheckFormula(unparsed, Names({}), std::nullopt, "f").has_value());
  EXPECT_FALSE(EvaluateFormula(unparsed, Values({}), UnitOf("1"), "f").has_value());
}

// ---------------------------------------------------------------------------------------------
// Evaluating in the batch record (G-03).

TEST(Formula, RefusesEvaluationWithoutAValue) {
  const Error error =
      EvaluationRefusal("car_positive_cells / batch.body_weight",
                        Values({{"car_positive_cells", {1e8, "cells"}}}), "cells/kg", "dose");
  EXPECT_EQ(error.Message(),
            "cannot compute 'dose' by formula 'car_positive_cells / batch.body_weight': no value "
            "for 'batch.body_weight'");
}

TEST(Formula, RefusesEvaluationDividingByZero) {
  EXPECT_TRUE(Contains(
      EvaluationRefusal("x / y", Values({{"x", {5, "cells"}}, {"y", {0, "cells"}}}), "1").Message(),
      "divides by 'y', which is 0 cells"));
  EXPECT_TRUE(Contains(
      EvaluationRefusal("x / (y - y)", Values({{"x", {5, "cells"}}, {"y", {3, "cells"}}}), "1")
          .Message(),
      "divides by '(y - y)', which is 0"));
  EXPECT_TRUE(Contains(EvaluationRefusal("y ^ -1", Values({{"y", {0, "mL"}}}), "1/mL").Message(),
                       "divides by 'y', which is 0 mL"));
}

TEST(Formula, RefusesEvaluationWithValueOfAnotherDimension) {
  // Checked with both in cells, but the batch recorded one as a volume.
  EXPECT_TRUE(
      Contains(EvaluationRefusal("a + b", Values({{"a", {1, "cells"}}, {"b", {1, "mL"}}}), "cells")
                   .Message(),
               "cannot add cells to volume"));
}

TEST(Formula, RefusesEvaluationOfSquareRootOfNegativeValue) {
  EXPECT_TRUE(Contains(
      EvaluationRefusal("sqrt(a - b)", Values({{"a", {1, "1"}}, {"b", {2, "1"}}}), "1").Message(),
      "takes the square root of 'a - b', which is below 0"));
}

TEST(Formula, RefusesEvaluationThatIsNotFinite) {
  EXPECT_TRUE(Contains(EvaluationRefusal("a * a", Values({{"a", {1e200, "1"}}}), "1").Message(),
                       "'a * a' is too large to compute"));
  EXPECT_TRUE(Contains(
      EvaluationRefusal("a", Values({{"a", {std::numeric_limits<double>::quiet_NaN(), "1"}}}), "1")
          .Message(),
      "the value of 'a' is not a finite number"));
  EXPECT_TRUE(Contains(EvaluationRefusal("a", Values({{"a", {1e300, "kg"}}}), "ng").Message(),
                       "the result is too large to express in ng"));
}

// ---------------------------------------------------------------------------------------------
// Properties.

// A whole number in [low, high) drawn from the whole range at every size: inRange alone draws only
// `low` while RapidCheck's size is small, which would make every early expression a single leaf.
int Uniform(int low, int high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(low, high));
}

struct Term {
  std::string text;
  double base = 0;  // The value in base units, computed directly.
};

struct Variable {
  std::string name;
  double value = 0;
  std::string unit;
};

// A random expression of + - * whose dimension is volume^power, built with its expected value so
// that the formula's evaluation can be compared with plain arithmetic on doubles. Every operation
// is parenthesised, so the tree parsed is the tree generated.
Term RandomVolumeTerm(int depth, int power, const std::vector<Variable>& variables) {
  const int choice = depth == 0 ? 0 : Uniform(0, 4);
  if (choice == 0 && power == 0) {
    const int number = Uniform(0, 1000);
    return {std::to_string(number), static_cast<double>(number)};
  }
  if (choice == 0 && power == 1) {
    const Variable& variable =
        variables[static_cast<std::size_t>(Uniform(0, static_cast<int>(variables.size())))];
    return {variable.name, variable.value * UnitOf(variable.unit).Factor()};
  }
  if (choice == 1 || choice == 2) {
    const Term left = RandomVolumeTerm(depth - 1, power, variables);
    const Term right = RandomVolumeTerm(depth - 1, power, variables);
    return choice == 1 ? Term{"(" + left.text + " + " + right.text + ")", left.base + right.base}
                       : Term{"(" + left.text + " - " + right.text + ")", left.base - right.base};
  }
  if (choice == 3 && power > 0) {
    const Term operand = RandomVolumeTerm(depth - 1, power, variables);
    return {"-" + operand.text, -operand.base};
  }
  // At the leaves a product of volumes splits evenly, so that the recursion ends.
  const int left_power = depth == 0 ? power / 2 : Uniform(0, power + 1);
  const Term left = RandomVolumeTerm(std::max(depth - 1, 0), left_power, variables);
  const Term right = RandomVolumeTerm(std::max(depth - 1, 0), power - left_power, variables);
  return {"(" + left.text + " * " + right.text + ")", left.base * right.base};
}

RC_GTEST_PROP(Formula, EvaluatesSumsAndProductsAsPlainArithmetic, ()) {
  std::vector<Variable> variables;
  for (const std::string& name : {"a", "b", "step.c"}) {
    variables.push_back(
        {name, Uniform(-4000, 4000) / 8.0, *rc::gen::element<std::string>("mL", "L", "uL")});
  }
  const int power = Uniform(0, 3);
  const Term term = RandomVolumeTerm(Uniform(0, 5), power, variables);
  const units::Unit unit = UnitOf(power == 0 ? "1" : power == 1 ? "mL" : "mL^2");
  Result<Formula> formula = Formula::Parse(term.text, "formula");
  RC_ASSERT(formula.has_value());
  const ValueLookup values = [&](std::string_view name) -> std::optional<NameValue> {
    for (const Variable& variable : variables) {
      if (variable.name == name) return NameValue{variable.value, UnitOf(variable.unit)};
    }
    return std::nullopt;
  };
  Result<double> value = EvaluateFormula(*formula, values, unit, "formula");
  RC_ASSERT(value.has_value());
  RC_ASSERT(*value == term.base / unit.Factor());
}

struct Ranged {
  std::string name;
  std::string unit;
  std::optional<double> low;
  std::optional<double> high;
};

std::string RandomExpression(int depth, const std::vector<Ranged>& names) {
  const int choice = depth == 0 ? Uniform(0, 2) : Uniform(0, 12);
  const auto sub = [&] { return RandomExpression(depth - 1, names); };
  switch (choice) {
    case 0:
      return names[static_cast<std::size_t>(Uniform(0, static_cast<int>(names.size())))].name;
    case 1: {
      const std::string number = CanonicalNumber(Uniform(0, 40) / 4.0);
      return *rc::gen::arbitrary<bool>() ? number : number + " [%]";
    }
    case 2:
      return "(" + sub() + " + " + sub() + ")";
    case 3:
      return "(" + sub() + " - " + sub() + ")";
    case 4:
      return "(" + sub() + " * " + sub() + ")";
    case 5:
    case 6:
      return "(" + sub() + " / " + sub() + ")";
    case 7:
      return "-" + sub();
    case 8:
      return "(" + sub() + ") ^ " + std::to_string(Uniform(-3, 4));
    case 9:
      return std::string(*rc::gen::element("min(", "max(")) + sub() + ", " + sub() + ")";
    case 10:
      return "abs(" + sub() + ")";
    default:
      return "sqrt(" + sub() + ")";
  }
}

// A value the process allows for `name`: its ends often, since that is where intervals break.
double RandomValueWithin(const Ranged& name) {
  const double low = name.low.value_or(name.high.value_or(0) - 100);
  const double high = name.high.value_or(low + 100);
  switch (Uniform(0, 4)) {
    case 0:
      return low;
    case 1:
      return high;
    default:
      return std::clamp(low + (high - low) * (Uniform(0, 1001) / 1000.0), low, high);
  }
}

// Soundness of the check: whatever values within their action limits the names take, the result
// lies in the checked range, and a formula that passed its check never divides by zero nor takes
// the root of a negative value when it is computed.
RC_GTEST_PROP(Formula, CheckedRangeHoldsEveryEvaluatedResult, ()) {
  std::vector<Ranged> names;
  for (const std::string& name : {"a", "b", "c"}) {
    Ranged ranged{name, *rc::gen::element<std::string>("1", "%", "fold", "ppm"), {}, {}};
    if (Uniform(0, 4) != 0) ranged.low = Uniform(-20, 21) / 2.0;
    if (Uniform(0, 4) != 0) {
      ranged.high = ranged.low.value_or(0) + Uniform(0, 21) / 2.0;
    }
    names.push_back(std::move(ranged));
  }
  const std::string text = RandomExpression(Uniform(0, 5), names);
  Result<Formula> formula = Formula::Parse(text, "formula");
  RC_ASSERT(formula.has_value());
  const NameLookup lookup = [&](std::string_view name) -> std::optional<NameInfo> {
    for (const Ranged& ranged : names) {
      if (ranged.name == name) return NameInfo{UnitOf(ranged.unit), ranged.low, ranged.high};
    }
    return std::nullopt;
  };
  Result<FormulaCheck> check = CheckFormula(*formula, lookup, UnitOf("1"), "formula");
  RC_TAG(check.has_value() ? "passes its check" : "refused by its check");
  if (!check) return;
  for (int trial = 0; trial < 8; ++trial) {
    std::map<std::string, double> drawn;
    for (const Ranged& ranged : names) drawn[ranged.name] = RandomValueWithin(ranged);
    const ValueLookup values = [&](std::string_view name) -> std::optional<NameValue> {
      for (const Ranged& ranged : names) {
        if (ranged.name == name) return NameValue{drawn[ranged.name], UnitOf(ranged.unit)};
      }
      return std::nullopt;
    };
    // Base units of a pure number have factor 1, so the value returned in "1" is in base units.
    Result<double> value = EvaluateFormula(*formula, values, UnitOf("1"), "formula");
    if (!value) {
      RC_ASSERT(value.error().Message().find("too large") != std::string::npos);
      continue;
    }
    RC_ASSERT(*value >= check->low.value_or(-std::numeric_limits<double>::infinity()));
    RC_ASSERT(*value <= check->high.value_or(std::numeric_limits<double>::infinity()));
  }
}

// ---------------------------------------------------------------------------------------------
// Quantities.

TEST(Quantity, ParsesNumberSpaceUnit) {
  Result<Quantity> hours = ParseQuantity("18 h", "max");
  ASSERT_TRUE(hours.has_value());
  EXPECT_EQ(hours->value, 18);
  EXPECT_EQ(hours->unit.Text(), "h");
  Result<Quantity> freezer = ParseQuantity("-80 C", "max");
  ASSERT_TRUE(freezer.has_value());
  EXPECT_EQ(freezer->value, -80);
  EXPECT_EQ(freezer->unit, UnitOf("C"));
  Result<Quantity> concentration = ParseQuantity("1.5e6   cells/mL", "min");
  ASSERT_TRUE(concentration.has_value());
  EXPECT_EQ(concentration->value, 1.5e6);
  EXPECT_EQ(concentration->unit, UnitOf("cells/mL"));
  EXPECT_TRUE(ParseQuantity("37.0 C", "max").has_value());
  EXPECT_TRUE(ParseQuantity(".5 %", "max").has_value());
}

TEST(Quantity, RefusesTextThatIsNotANumberASpaceAndAUnit) {
  for (const std::string_view text :
       {"18h", "h 18", "", "inf h", "nan h", "18", "18 ", "1.e3 h", "--1 h", "0x10 h", "18\th"}) {
    Result<Quantity> quantity = ParseQuantity(text, "max");
    ASSERT_FALSE(quantity.has_value()) << text;
    EXPECT_EQ(quantity.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(quantity.error().Field(), "max");
    EXPECT_TRUE(Contains(quantity.error().Message(), "is not a quantity")) << text;
  }
  EXPECT_EQ(ParseQuantity("18h", "max").error().Message(),
            "'18h' in field 'max' is not a quantity: write a number, a space and a unit, as in "
            "'18 h'");
  EXPECT_TRUE(Contains(ParseQuantity("1e999 h", "max").error().Message(), "beyond range"));
  EXPECT_TRUE(Contains(ParseQuantity("18 hours", "max").error().Message(),
                       "unknown unit 'hours' in field 'max'"));
}

TEST(Quantity, FormatsTheShortestNumberASpaceAndTheUnit) {
  EXPECT_EQ(FormatQuantity({18, UnitOf("h")}), "18 h");
  EXPECT_EQ(FormatQuantity({0.1, UnitOf("mg/mL")}), "0.1 mg/mL");
  EXPECT_EQ(FormatQuantity({1e21, UnitOf("cells")}), "1e+21 cells");
  EXPECT_EQ(FormatQuantity({-80, UnitOf("°C")}), "-80 °C");
  EXPECT_EQ(FormatQuantity({5, units::Unit()}), "5 1");
}

RC_GTEST_PROP(Quantity, ParsesWhatItFormats, ()) {
  const std::string unit_text = *rc::gen::element<std::string>(
      "h", "C", "cells/mL", "%", "1", "mg/mL", "µg/mL", "copies/cell", "EU/kg", "xg", "m^3");
  double value = *rc::gen::arbitrary<double>();
  RC_PRE(std::isfinite(value));
  const Quantity quantity{value, UnitOf(unit_text)};
  const std::string text = FormatQuantity(quantity);
  Result<Quantity> parsed = ParseQuantity(text, "value");
  RC_ASSERT(parsed.has_value());
  RC_ASSERT(parsed->value == quantity.value);
  RC_ASSERT(parsed->unit == quantity.unit);
  RC_ASSERT(parsed->unit.Text() == quantity.unit.Text());
}

}  // namespace
}  // namespace aliquot::recipes
