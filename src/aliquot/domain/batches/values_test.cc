// What an operator enters is checked against the control recipe before it becomes part of the
// batch record (A11-01 built-in checks for correct entry; G-03 weights, measures and results),
// kept as entered (AL-02), and judged against the alert and action limits the master sets.
#include "aliquot/domain/batches/values.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::batches {
namespace {

using recipes::Limits;
using recipes::ParameterDefinition;
using recipes::ParameterKind;

// A message a person reads, checked for the words that tell them what to change.
::testing::AssertionResult Contains(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << message << "' does not say '" << part << "'";
}

const Timestamp kNow = Timestamp::FromMicros(1'795'341'600'000'000);  // 2026-11-22T10:00:00Z.

ParameterDefinition Parameter(std::string id, ParameterKind kind, std::string unit = "") {
  ParameterDefinition parameter;
  parameter.name = id;
  parameter.id = std::move(id);
  parameter.kind = kind;
  parameter.unit = std::move(unit);
  return parameter;
}

// Viability of the harvest: a CQA in %, alert below 85, action below 80.
ParameterDefinition Viability() {
  ParameterDefinition parameter = Parameter("viability", ParameterKind::kNumber, "%");
  parameter.criticality = recipes::Criticality::kCriticalQualityAttribute;
  parameter.target = 92.5;
  parameter.alert = {85, std::nullopt};
  parameter.action = {80, std::nullopt};
  return parameter;
}

// Culture volume in mL, action limits 100-500 mL.
ParameterDefinition Volume() {
  ParameterDefinition parameter = Parameter("volume", ParameterKind::kNumber, "mL");
  parameter.action = {100, 500};
  return parameter;
}

// Incubator temperature in C: alert 36-38, action 35-39.
ParameterDefinition Temperature() {
  ParameterDefinition parameter = Parameter("temperature", ParameterKind::kNumber, "C");
  parameter.target = 37;
  parameter.alert = {36, 38};
  parameter.action = {35, 39};
  return parameter;
}

ParameterDefinition Appearance() {
  ParameterDefinition parameter = Parameter("appearance", ParameterKind::kChoice);
  parameter.options = {"intact", "damaged", "leaking"};
  parameter.acceptable = {"intact"};
  return parameter;
}

ParameterDefinition SealIntact() {
  ParameterDefinition parameter = Parameter("seal_intact", ParameterKind::kBoolean);
  parameter.expected = true;
  return parameter;
}

Result<EnteredValue> Read(const ParameterDefinition& parameter, const Json& value,
                          std::string_view unit = "") {
  return ReadEnteredValue(parameter, value, unit, kNow, "value");
}

// The refusal of an entry that must be refused.
Error Refusal(const ParameterDefinition& parameter, const Json& value, std::string_view unit = "") {
  Result<EnteredValue> read = Read(parameter, value, unit);
  EXPECT_FALSE(read.has_value()) << "accepted " << CanonicalJson(value) << " '" << unit << "'";
  return read ? Internal("accepted") : read.error();
}

JudgedValue Judged(const ParameterDefinition& parameter, const Json& value,
                   std::string_view unit = "") {
  Result<EnteredValue> read = Read(parameter, value, unit);
  EXPECT_TRUE(read.has_value()) << read.error().ToString();
  if (!read) return {};
  Result<JudgedValue> judged = Judge(LimitsOfParameter(parameter), *read);
  EXPECT_TRUE(judged.has_value()) << judged.error().ToString();
  return judged ? *judged : JudgedValue{};
}

EnteredValue NumberValue(double number, std::string unit) {
  EnteredValue value;
  value.number = number;
  value.unit = std::move(unit);
  return value;
}

EnteredValue TextValue(std::string text) {
  EnteredValue value;
  value.text = std::move(text);
  return value;
}

EnteredValue BooleanValue(bool boolean) {
  EnteredValue value;
  value.boolean = boolean;
  return value;
}

EnteredValue InstantValue(Timestamp instant) {
  EnteredValue value;
  value.instant = instant;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Reading numbers and counts.

TEST(EnteredValue, ANumberIsKeptWithTheUnitAsEntered_AL02) {
  Result<EnteredValue> read = Read(Viability(), 92.5, " % ");
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->number, 92.5);
  EXPECT_EQ(read->unit, "%");
  EXPECT_FALSE(read->text || read->boolean || read->instant);
}

TEST(EnteredValue, ANumberInAnotherUnitOfTheSameDimensionIsConverted_A1101) {
  Result<EnteredValue> read = Read(Volume(), 0.5, "L");
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->number, 0.5);  // The original stays as entered (AL-02).
  EXPECT_EQ(read->unit, "L");
  EXPECT_EQ(Judged(Volume(), 0.5, "L").in_unit, 500);
  EXPECT_EQ(Judged(Volume(), 250000, "uL").in_unit, 250);
  EXPECT_EQ(Judged(Temperature(), 310.15, "K").in_unit, 37);
  EXPECT_EQ(Judged(Temperature(), 37, "°C").in_unit, 37);
}

TEST(EnteredValue, TextWhereANumberIsExpectedIsRefusedWithAnExample_A1101) {
  for (const Json& value : {Json("92.5"), Json(), Json(true), Json::MakeObject()}) {
    const Error error = Refusal(Viability(), value, "%");
    EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_EQ(error.Message(),
              "'viability' takes a number in %, as in {\"value\": 92.5, \"unit\": \"%\"}");
  }
}

TEST(EnteredValue, ANumberWithoutAUnitIsRefusedOnTheUnitField_A1101) {
  for (std::string_view unit : {"", "  "}) {
    const Error error = Refusal(Viability(), 92.5, unit);
    EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error.Field(), "unit");
    EXPECT_TRUE(Contains(error.Message(), "'viability' is measured in %: send the unit"));
    EXPECT_TRUE(Contains(error.Message(), "{\"value\": 92.5, \"unit\": \"%\"}"));
  }
}

TEST(EnteredValue, AUnitOfAnotherDimensionIsRefusedNamingBoth_A1101) {
  const ParameterDefinition concentration =
      Parameter("tnc_concentration", ParameterKind::kNumber, "cells/mL");
  const Error error = Refusal(concentration, 1.2e6, "mL");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "unit");
  EXPECT_EQ(error.Message(),
            "'mL' is volume, but 'tnc_concentration' is measured in cells/mL (cells/volume)");
  EXPECT_TRUE(Contains(Refusal(Viability(), 92.5, "mg").Message(), "'mg' is mass"));
}

TEST(EnteredValue, AnUnknownUnitIsRefusedOnTheUnitField_A1101) {
  const Error error = Refusal(Viability(), 92.5, "pct");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "unit");
  EXPECT_TRUE(Contains(error.Message(), "'viability' is measured in %: unknown unit 'pct'"));
  EXPECT_TRUE(
      Contains(Refusal(Temperature(), 98.6, "F").Message(), "'F' is not a unit Aliquot knows"));
}

TEST(EnteredValue, ANumberTooLargeForTheParametersUnitIsRefused_A1101) {
  // 1e308 L is finite, but not in mL: no limit could be compared with it.
  const Error error = Refusal(Volume(), 1e308, "L");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "value");
  EXPECT_TRUE(Contains(error.Message(), "'volume' takes a number that can be expressed in mL"));
  EXPECT_TRUE(Contains(error.Message(), "1e+308 L is too large"));
}

TEST(EnteredValue, TheFieldGivenIsTheFieldNamed_A1101) {
  Result<EnteredValue> read =
      ReadEnteredValue(Viability(), "high", "%", kNow, "inputs.viability.value");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().Field(), "inputs.viability.value");
}

TEST(EnteredValue, ACountIsAWholeNumberWithItsUnitOptional_A1101) {
  const ParameterDefinition vials = Parameter("vials_filled", ParameterKind::kInteger, "vials");
  Result<EnteredValue> bare = Read(vials, 12);
  ASSERT_TRUE(bare.has_value()) << bare.error().ToString();
  EXPECT_EQ(bare->number, 12);
  EXPECT_EQ(bare->unit, "");
  Result<EnteredValue> with_unit = Read(vials, 12, "vial");
  ASSERT_TRUE(with_unit.has_value()) << with_unit.error().ToString();
  EXPECT_EQ(with_unit->unit, "vial");
  const ParameterDefinition passage = Parameter("passage", ParameterKind::kInteger);
  Result<EnteredValue> count = Read(passage, -3);
  ASSERT_TRUE(count.has_value()) << count.error().ToString();
  EXPECT_EQ(count->number, -3);
  EXPECT_TRUE(Read(passage, static_cast<double>(Json::kMaxExactInteger)).has_value());
}

TEST(EnteredValue, AFractionForACountIsRefused_A1101) {
  const ParameterDefinition vials = Parameter("vials_filled", ParameterKind::kInteger, "vials");
  const Error error = Refusal(vials, 12.5);
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "value");
  EXPECT_TRUE(Contains(error.Message(), "'vials_filled' takes a whole number of vials, not 12.5"));
  EXPECT_TRUE(Contains(Refusal(vials, "12").Message(), "takes a whole number of vials"));
  const Error huge = Refusal(vials, 9007199254740992.0);  // 2^53.
  EXPECT_EQ(huge.Field(), "value");
  EXPECT_TRUE(Contains(huge.Message(), "from -9007199254740991 to 9007199254740991"));
}

TEST(EnteredValue, AUnitOnACountWithoutAUnitIsRefused_A1101) {
  const Error error = Refusal(Parameter("passage", ParameterKind::kInteger), 3, "cells");
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "unit");
  EXPECT_TRUE(Contains(error.Message(), "'passage' is a count without a unit: send no unit"));
}

TEST(EnteredValue, ACountOfOtherThingsIsRefused_A1101) {
  const Error error =
      Refusal(Parameter("vials_filled", ParameterKind::kInteger, "vials"), 12, "bags");
  EXPECT_EQ(error.Field(), "unit");
  EXPECT_TRUE(Contains(error.Message(), "'bags' is bags, but 'vials_filled' is measured in vials"));
}

// ---------------------------------------------------------------------------------------------
// Reading text, identifiers, choices, yes/no answers and instants.

TEST(EnteredValue, TextIsKeptAsWrittenWithItsNewlinesAndTabs_AL02) {
  const std::string text = " clear,\n\tno visible particles ";
  Result<EnteredValue> read = Read(Parameter("observation", ParameterKind::kText), text);
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->text, text);
  EXPECT_FALSE(read->number || read->boolean || read->instant);
}

TEST(EnteredValue, TextOf4000BytesIsTakenAndOf4001Refused_A1101) {
  const ParameterDefinition observation = Parameter("observation", ParameterKind::kText);
  EXPECT_TRUE(Read(observation, std::string(4000, 'a')).has_value());
  EXPECT_TRUE(Read(observation, std::string(1333, 'a') + std::string(1333, 'b') + "€").has_value());
  const Error error = Refusal(observation, std::string(4001, 'a'));
  EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.Field(), "value");
  EXPECT_TRUE(Contains(error.Message(), "'observation' takes text of 1 to 4000 bytes"));
  EXPECT_TRUE(Contains(error.Message(), "got 4001 bytes"));
}

TEST(EnteredValue, EmptyTextOrTextOfAnotherTypeIsRefused_A1101) {
  const ParameterDefinition observation = Parameter("observation", ParameterKind::kText);
  const Error empty = Refusal(observation, "");
  EXPECT_EQ(empty.Field(), "value");
  EXPECT_TRUE(Contains(empty.Message(), "got empty text"));
  for (const Json& value : {Json(42), Json(), Json(false), Json::MakeArray()}) {
    const Error error = Refusal(observation, value);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(Contains(error.Message(), "'observation' takes text of 1 to 4000 bytes, as in"));
  }
}

TEST(EnteredValue, TextThatIsNotValidUtf8IsRefused_A1101) {
  // A Json built in code is not checked as the parser checks outside input.
  for (const std::string text : {"caf\xC3", "\xFF\xFE", "\xED\xA0\x80", "\xC0\xAF"}) {
    const Error error = Refusal(Parameter("observation", ParameterKind::kText), text);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(Contains(error.Message(), "not valid UTF-8"));
  }
}

TEST(EnteredValue, AControlCharacterOtherThanANewlineOrTabIsRefused_A1101) {
  const std::vector<std::string> texts = {"ok\x1B[2J", std::string("a\0b", 3), "line\r\nline",
                                          "del\x7F"};
  for (const std::string& text : texts) {
    const Error error = Refusal(Parameter("observation", ParameterKind::kText), text);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(Contains(error.Message(), "no control characters but newlines and tabs"));
  }
}

TEST(EnteredValue, AUnitOnAKindThatTakesNoneIsRefused_A1101) {
  const std::vector<std::pair<ParameterDefinition, Json>> entries = {
      {Parameter("observation", ParameterKind::kText), "clear"},
      {Parameter("label", ParameterKind::kIdentifier), "LOT-7"},
      {Appearance(), "intact"},
      {SealIntact(), true},
      {Parameter("thawed_at", ParameterKind::kTimestamp), Json()}};
  for (const auto& [parameter, value] : entries) {
    EXPECT_TRUE(Read(parameter, value, " ").has_value()) << parameter.id;
    const Error error = Refusal(parameter, value, "mL");
    EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error.Field(), "unit");
    EXPECT_TRUE(Contains(error.Message(), "'" + parameter.id + "' is "));
    EXPECT_TRUE(Contains(error.Message(), "takes no unit: send no unit (got 'mL')"));
  }
}

TEST(EnteredValue, AnIdentifierIsOneTo128PrintableAsciiCharacters_A1101) {
  const ParameterDefinition label = Parameter("label", ParameterKind::kIdentifier);
  Result<EnteredValue> read = Read(label, "COI-0042-7 / bag 1");
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->text, "COI-0042-7 / bag 1");
  EXPECT_TRUE(Read(label, std::string(128, 'X')).has_value());
  const std::vector<std::pair<Json, std::string_view>> refused = {
      {std::string(129, 'X'), "got 129 bytes"},
      {"", "got empty text"},
      {" LOT-7", "has a space at its start or end"},
      {"LOT-7 ", "has a space at its start or end"},
      {"LOT-\xC3\xA9", "not printable ASCII at byte 4"},
      {"LOT\t7", "not printable ASCII at byte 3"},
      {7, "as in {\"value\": \"LOT-2026-0042\"}"}};
  for (const auto& [value, says] : refused) {
    const Error error = Refusal(label, value);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(
        Contains(error.Message(), "'label' takes an identifier of 1 to 128 printable ASCII"));
    EXPECT_TRUE(Contains(error.Message(), says));
  }
}

TEST(EnteredValue, AChoiceIsOneOfItsOptionsExactly_A1101) {
  Result<EnteredValue> read = Read(Appearance(), "damaged");
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->text, "damaged");
  for (const Json& value : {Json("Intact"), Json("intact "), Json(1), Json()}) {
    const Error error = Refusal(Appearance(), value);
    EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(Contains(error.Message(),
                         "'appearance' takes one of its options, exactly as "
                         "written: 'intact', 'damaged', 'leaking'"));
  }
  EXPECT_TRUE(Contains(Refusal(Appearance(), "Intact").Message(), "(got 'Intact')"));
}

TEST(EnteredValue, AYesOrNoAnswerIsTrueOrFalseOnly_A1101) {
  Result<EnteredValue> yes = Read(SealIntact(), true);
  ASSERT_TRUE(yes.has_value()) << yes.error().ToString();
  EXPECT_EQ(yes->boolean, true);
  Result<EnteredValue> no = Read(SealIntact(), false);
  ASSERT_TRUE(no.has_value()) << no.error().ToString();
  EXPECT_EQ(no->boolean, false);
  for (const Json& value : {Json("true"), Json(1), Json(0), Json(), Json("yes")}) {
    const Error error = Refusal(SealIntact(), value);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_EQ(error.Message(), "'seal_intact' takes true or false, as in {\"value\": true}");
  }
}

TEST(EnteredValue, ATimestampIsTheServersTimeAndAnyValueSentIsRefused_AL01) {
  const ParameterDefinition thawed = Parameter("thawed_at", ParameterKind::kTimestamp);
  Result<EnteredValue> read = Read(thawed, Json());
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(read->instant, kNow);
  EXPECT_FALSE(read->number || read->text || read->boolean);
  for (const Json& value :
       {Json("2026-11-22T09:00:00Z"), Json(1795341600), Json(""), Json::MakeObject()}) {
    const Error error = Refusal(thawed, value);
    EXPECT_EQ(error.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error.Field(), "value");
    EXPECT_TRUE(Contains(error.Message(), "'thawed_at'"));
    EXPECT_TRUE(Contains(error.Message(), "the server records the time; send no value"));
  }
}

// ---------------------------------------------------------------------------------------------
// Judging against the limits.

TEST(Judge, AValueInsideTheLimitsIsWithin_G03) {
  const JudgedValue judged = Judged(Viability(), 92.5, "%");
  EXPECT_EQ(judged.flag, LimitFlag::kWithin);
  EXPECT_EQ(judged.limit, "");
  EXPECT_EQ(judged.in_unit, 92.5);
  EXPECT_EQ(judged.entered, *Read(Viability(), 92.5, "%"));
}

TEST(Judge, AValueEqualToTheActionLimitIsWithinIt_G03) {
  // 80 % is on the action limit, so it is only below the alert limit of 85 %.
  const JudgedValue on_action = Judged(Viability(), 80, "%");
  EXPECT_EQ(on_action.flag, LimitFlag::kAlert);
  EXPECT_EQ(on_action.limit, "alert low 85 %");
  EXPECT_EQ(Judged(Temperature(), 39, "C").flag, LimitFlag::kAlert);
  EXPECT_EQ(Judged(Temperature(), 35, "C").flag, LimitFlag::kAlert);
  EXPECT_EQ(Judged(Volume(), 500, "mL").flag, LimitFlag::kWithin);
  EXPECT_EQ(Judged(Volume(), 100, "mL").flag, LimitFlag::kWithin);
}

TEST(Judge, AValueEqualToTheAlertLimitIsWithinIt_G03) {
  EXPECT_EQ(Judged(Viability(), 85, "%").flag, LimitFlag::kWithin);
  EXPECT_EQ(Judged(Temperature(), 36, "C").flag, LimitFlag::kWithin);
  EXPECT_EQ(Judged(Temperature(), 38, "C").flag, LimitFlag::kWithin);
}

TEST(Judge, AValueInAnotherUnitEqualToALimitIsWithinIt_G03) {
  // 0.5 L converts to 500.00000000000006 mL through the units' factors; it is 500 mL.
  const JudgedValue judged = Judged(Volume(), 0.5, "L");
  EXPECT_EQ(judged.flag, LimitFlag::kWithin);
  EXPECT_EQ(judged.in_unit, 500);
  EXPECT_EQ(Judged(Volume(), 0.1, "L").flag, LimitFlag::kWithin);
  EXPECT_EQ(Judged(Temperature(), 312.15, "K").flag, LimitFlag::kAlert);
}

TEST(Judge, AValueBeyondTheAlertLimitIsAnAlert_G03) {
  const JudgedValue low = Judged(Viability(), 84.9, "%");
  EXPECT_EQ(low.flag, LimitFlag::kAlert);
  EXPECT_EQ(low.limit, "alert low 85 %");
  const JudgedValue high = Judged(Temperature(), 38.5, "C");
  EXPECT_EQ(high.flag, LimitFlag::kAlert);
  EXPECT_EQ(high.limit, "alert high 38 C");
}

TEST(Judge, AValueBeyondTheActionLimitIsAnActionExcursionNotAnAlert_G04) {
  const JudgedValue low = Judged(Viability(), 79.9, "%");
  EXPECT_EQ(low.flag, LimitFlag::kAction);
  EXPECT_EQ(low.limit, "action low 80 %");
  const JudgedValue cold = Judged(Temperature(), 34, "C");
  EXPECT_EQ(cold.flag, LimitFlag::kAction);
  EXPECT_EQ(cold.limit, "action low 35 C");
  const JudgedValue hot = Judged(Temperature(), 39.5, "C");
  EXPECT_EQ(hot.flag, LimitFlag::kAction);
  EXPECT_EQ(hot.limit, "action high 39 C");
}

TEST(Judge, AConvertedValueIsJudgedAndNamedInTheDefinitionsUnit_G03) {
  const JudgedValue over = Judged(Volume(), 0.51, "L");
  EXPECT_EQ(over.flag, LimitFlag::kAction);
  EXPECT_EQ(over.in_unit, 510);
  EXPECT_EQ(over.limit, "action high 500 mL");
  EXPECT_EQ(over.entered.unit, "L");
  const JudgedValue warm = Judged(Temperature(), 312.65, "K");
  EXPECT_EQ(warm.flag, LimitFlag::kAction);
  EXPECT_EQ(warm.in_unit, 39.5);
  EXPECT_EQ(warm.limit, "action high 39 C");
}

TEST(Judge, ACountWithoutAUnitIsJudgedAsCounted_G03) {
  ParameterDefinition vials = Parameter("vials_filled", ParameterKind::kInteger, "vials");
  vials.action = {4, 12};
  const JudgedValue bare = Judged(vials, 13);
  EXPECT_EQ(bare.in_unit, 13);
  EXPECT_EQ(bare.flag, LimitFlag::kAction);
  EXPECT_EQ(bare.limit, "action high 12 vials");
  EXPECT_EQ(Judged(vials, 12, "vial").flag, LimitFlag::kWithin);
  ParameterDefinition passage = Parameter("passage", ParameterKind::kInteger);
  passage.alert = {std::nullopt, 3};
  const JudgedValue counted = Judged(passage, 4);
  EXPECT_EQ(counted.in_unit, 4);
  EXPECT_EQ(counted.flag, LimitFlag::kAlert);
  EXPECT_EQ(counted.limit, "alert high 3");
}

TEST(Judge, AChoiceNotAcceptableIsAnActionExcursion_G04) {
  const JudgedValue damaged = Judged(Appearance(), "damaged");
  EXPECT_EQ(damaged.flag, LimitFlag::kAction);
  EXPECT_EQ(damaged.limit, "acceptable: intact");
  EXPECT_EQ(Judged(Appearance(), "intact").flag, LimitFlag::kWithin);
  ParameterDefinition two = Appearance();
  two.acceptable = {"intact", "damaged"};
  const JudgedValue leaking = Judged(two, "leaking");
  EXPECT_EQ(leaking.flag, LimitFlag::kAction);
  EXPECT_EQ(leaking.limit, "acceptable: intact, damaged");
  ParameterDefinition any = Appearance();
  any.acceptable.clear();
  EXPECT_EQ(Judged(any, "leaking").flag, LimitFlag::kWithin);
  EXPECT_FALSE(Judged(any, "leaking").in_unit);
}

TEST(Judge, AnAnswerOtherThanTheExpectedOneIsAnActionExcursion_G04) {
  const JudgedValue broken = Judged(SealIntact(), false);
  EXPECT_EQ(broken.flag, LimitFlag::kAction);
  EXPECT_EQ(broken.limit, "expected: yes");
  EXPECT_EQ(Judged(SealIntact(), true).flag, LimitFlag::kWithin);
  ParameterDefinition contaminated = Parameter("contaminated", ParameterKind::kBoolean);
  contaminated.expected = false;
  const JudgedValue found = Judged(contaminated, true);
  EXPECT_EQ(found.flag, LimitFlag::kAction);
  EXPECT_EQ(found.limit, "expected: no");
  contaminated.expected.reset();
  EXPECT_EQ(Judged(contaminated, true).flag, LimitFlag::kWithin);
}

TEST(Judge, TextIdentifiersAndInstantsAreAlwaysWithin_G03) {
  EXPECT_EQ(Judged(Parameter("observation", ParameterKind::kText), "cloudy").flag,
            LimitFlag::kWithin);
  EXPECT_EQ(Judged(Parameter("label", ParameterKind::kIdentifier), "LOT-7").flag,
            LimitFlag::kWithin);
  const JudgedValue instant = Judged(Parameter("thawed_at", ParameterKind::kTimestamp), Json());
  EXPECT_EQ(instant.flag, LimitFlag::kWithin);
  EXPECT_EQ(instant.entered.instant, kNow);
  EXPECT_FALSE(instant.in_unit);
}

TEST(Judge, ACalculationIsJudgedAsANumberInItsUnit_G03) {
  recipes::Calculation total;
  total.id = "total_viable_cells";
  total.formula = "viable_concentration * volume";
  total.unit = "cells";
  total.alert = {2e9, std::nullopt};
  total.action = {1e9, 5e10};
  const LimitsOf limits = LimitsOfCalculation(total);
  EXPECT_EQ(limits.kind, ParameterKind::kNumber);
  EXPECT_EQ(limits.unit, "cells");
  EXPECT_EQ(limits.alert, total.alert);
  EXPECT_EQ(limits.action, total.action);
  EXPECT_TRUE(limits.acceptable.empty());
  EXPECT_FALSE(limits.expected);
  Result<JudgedValue> judged = Judge(limits, NumberValue(1.2e9, "cells"));
  ASSERT_TRUE(judged.has_value()) << judged.error().ToString();
  EXPECT_EQ(judged->flag, LimitFlag::kAlert);
  EXPECT_EQ(judged->limit, "alert low 2000000000 cells");
}

TEST(Judge, TheParametersLimitsAreCopiedWhole) {
  const LimitsOf viability = LimitsOfParameter(Viability());
  EXPECT_EQ(viability.kind, ParameterKind::kNumber);
  EXPECT_EQ(viability.unit, "%");
  EXPECT_EQ(viability.alert, Viability().alert);
  EXPECT_EQ(viability.action, Viability().action);
  EXPECT_EQ(LimitsOfParameter(Appearance()).acceptable, Appearance().acceptable);
  EXPECT_EQ(LimitsOfParameter(Appearance()).kind, ParameterKind::kChoice);
  EXPECT_EQ(LimitsOfParameter(SealIntact()).expected, true);
}

TEST(Judge, ANonFiniteNumberIsRefusedRatherThanJudgedWithin_G03) {
  // NaN compares false with every limit: judged naively it would pass as within.
  for (const double number :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    for (const std::string unit : {"%", ""}) {
      Result<JudgedValue> judged = Judge(LimitsOfParameter(Viability()), NumberValue(number, unit));
      ASSERT_FALSE(judged.has_value());
      EXPECT_EQ(judged.error().Code(), ErrorCode::kInvalidArgument);
      EXPECT_TRUE(Contains(judged.error().Message(), "not a finite number"));
    }
  }
}

TEST(Judge, AUnitThatCannotBeConvertedIsRefusedOnTheUnitField) {
  for (const std::string unit : {"mg", "furlong"}) {
    Result<JudgedValue> judged = Judge(LimitsOfParameter(Volume()), NumberValue(1, unit));
    ASSERT_FALSE(judged.has_value()) << unit;
    EXPECT_EQ(judged.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(judged.error().Field(), "unit");
  }
  Result<JudgedValue> unitless = Judge(
      LimitsOfParameter(Parameter("passage", ParameterKind::kInteger)), NumberValue(3, "cells"));
  ASSERT_FALSE(unitless.has_value());
  EXPECT_EQ(unitless.error().Field(), "unit");
}

TEST(Judge, AValueOfAnotherKindIsRefused) {
  Result<JudgedValue> judged = Judge(LimitsOfParameter(Viability()), TextValue("92.5"));
  ASSERT_FALSE(judged.has_value());
  EXPECT_EQ(judged.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(judged.error().Field(), "value");
  EXPECT_FALSE(Judge(LimitsOfParameter(SealIntact()), TextValue("yes")).has_value());
  EXPECT_FALSE(Judge(LimitsOfParameter(Appearance()), BooleanValue(true)).has_value());
}

// For any finite value and limits in one unit, the flag is what comparing by hand gives: action
// limits first, bounds inclusive.
RC_GTEST_PROP(Judge, TheFlagAgreesWithADirectComparison_G03, ()) {
  const double value = *rc::gen::arbitrary<double>();
  RC_PRE(std::isfinite(value));
  // A bound is open, the value itself (to test equality), or any other finite number.
  const auto bound = [&]() -> std::optional<double> {
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        return std::nullopt;
      case 1:
        return value;
      default: {
        const double other = *rc::gen::arbitrary<double>();
        return std::isfinite(other) ? std::optional<double>(other) : std::nullopt;
      }
    }
  };
  LimitsOf limits;
  limits.kind = *rc::gen::element(ParameterKind::kNumber, ParameterKind::kInteger);
  limits.unit = *rc::gen::element<std::string>("mL", "cells/mL", "%", "C");
  limits.alert = {bound(), bound()};
  limits.action = {bound(), bound()};
  const auto outside = [&](const Limits& l) {
    return (l.low && value < *l.low) || (l.high && value > *l.high);
  };
  const LimitFlag expected = outside(limits.action)  ? LimitFlag::kAction
                             : outside(limits.alert) ? LimitFlag::kAlert
                                                     : LimitFlag::kWithin;
  const std::string unit = *rc::gen::element(limits.unit, std::string());
  Result<JudgedValue> judged = Judge(limits, NumberValue(value, unit));
  RC_ASSERT(judged.has_value());
  RC_ASSERT(judged->flag == expected);
  RC_ASSERT(judged->in_unit == value);
  RC_ASSERT(judged->limit.empty() == (expected == LimitFlag::kWithin));
  if (expected != LimitFlag::kWithin) {
    const std::string which(LimitFlagName(expected));
    RC_ASSERT(judged->limit.rfind(which + " ", 0) == 0);
    RC_ASSERT(judged->limit.ends_with(" " + limits.unit));
  }
}

// ---------------------------------------------------------------------------------------------
// The stored form and the form people read.

TEST(EnteredValueJson, EachKindOfValueIsWrittenAsOneMember_AL04) {
  EXPECT_EQ(CanonicalJson(EnteredValueToJson(NumberValue(92.5, "%"))),
            "{\"number\":92.5,\"unit\":\"%\"}");
  EXPECT_EQ(CanonicalJson(EnteredValueToJson(NumberValue(12, ""))), "{\"number\":12}");
  EXPECT_EQ(CanonicalJson(EnteredValueToJson(TextValue("intact"))), "{\"text\":\"intact\"}");
  EXPECT_EQ(CanonicalJson(EnteredValueToJson(BooleanValue(false))), "{\"boolean\":false}");
  EXPECT_EQ(CanonicalJson(EnteredValueToJson(InstantValue(kNow))),
            "{\"instant\":\"2026-11-22T10:00:00.000000Z\"}");
}

TEST(EnteredValueJson, EachKindOfValueReadsBackAsWritten_AL04) {
  const std::vector<EnteredValue> values = {
      NumberValue(92.5, "%"),
      NumberValue(1.2e9, "cells"),
      NumberValue(-3, ""),
      NumberValue(0.5, "L"),
      TextValue("line one\nline two"),
      TextValue("COI-0042-7"),
      BooleanValue(true),
      BooleanValue(false),
      InstantValue(kNow),
      InstantValue(Timestamp::FromMicros(1'795'341'600'123'456))};
  for (const EnteredValue& value : values) {
    const Json json = EnteredValueToJson(value);
    // Through the text the ledger stores, not only the in-memory Json.
    Result<Json> parsed = ParseJson(CanonicalJson(json));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    Result<EnteredValue> read = EnteredValueFromJson(*parsed, "entry 7 of batch B-1");
    ASSERT_TRUE(read.has_value()) << read.error().ToString();
    EXPECT_EQ(*read, value) << CanonicalJson(json);
  }
}

TEST(EnteredValueJson, AnythingButTheWrittenFormIsDataLossNamingTheRecord_P1101) {
  const std::vector<std::pair<std::string, std::string_view>> stored = {
      {"[]", "not an object"},
      {"{}", "none of 'number', 'text', 'boolean' or 'instant'"},
      {"{\"number\":1,\"text\":\"a\"}", "has both 'number' and 'text'"},
      {"{\"value\":1}", "unknown member 'value'"},
      {"{\"text\":\"a\",\"unit\":\"mL\"}", "'unit' goes with a 'number' only"},
      {"{\"unit\":\"mL\"}", "none of 'number'"},
      {"{\"number\":\"92.5\"}", "member 'number' is missing or of the wrong type"},
      {"{\"number\":1,\"unit\":5}", "member 'unit' is missing or of the wrong type"},
      {"{\"number\":1,\"unit\":\"\"}", "'unit' is empty"},
      {"{\"boolean\":\"yes\"}", "member 'boolean' is missing or of the wrong type"},
      {"{\"text\":null}", "member 'text' is missing or of the wrong type"},
      {"{\"instant\":\"2026-11-22T10:00:00Z\"}", "is not an RFC 3339 instant"},
      {"{\"instant\":1795341600000000}", "member 'instant' is missing or of the wrong type"}};
  for (const auto& [text, says] : stored) {
    Result<Json> json = ParseJson(text);
    ASSERT_TRUE(json.has_value()) << text;
    Result<EnteredValue> read = EnteredValueFromJson(*json, "entry 7 of batch B-1");
    ASSERT_FALSE(read.has_value()) << text;
    EXPECT_EQ(read.error().Code(), ErrorCode::kDataLoss) << text;
    EXPECT_TRUE(Contains(read.error().Message(), "entry 7 of batch B-1")) << text;
    EXPECT_TRUE(Contains(read.error().Message(), says)) << text;
  }
}

RC_GTEST_PROP(EnteredValueJson, AnyFiniteNumberReadsBackExactly_AL04, ()) {
  const double number = *rc::gen::arbitrary<double>();
  RC_PRE(std::isfinite(number));
  const EnteredValue value =
      NumberValue(number, *rc::gen::element<std::string>("", "mL", "cells/mL", "°C", "%"));
  Result<Json> parsed = ParseJson(CanonicalJson(EnteredValueToJson(value)));
  RC_ASSERT(parsed.has_value());
  Result<EnteredValue> read = EnteredValueFromJson(*parsed, "entry 1");
  RC_ASSERT(read.has_value());
  RC_ASSERT(read->number == value.number);
  RC_ASSERT(read->unit == value.unit);
}

TEST(DescribeValue, ReadsAsAPersonWritesIt_P1102) {
  EXPECT_EQ(DescribeValue(NumberValue(92.5, "%")), "92.5 %");
  EXPECT_EQ(DescribeValue(NumberValue(1.2e9, "cells")), "1200000000 cells");
  EXPECT_EQ(DescribeValue(NumberValue(1e21, "cells")), "1e+21 cells");
  EXPECT_EQ(DescribeValue(NumberValue(0.1 + 0.2, "mL")), "0.30000000000000004 mL");
  EXPECT_EQ(DescribeValue(NumberValue(0.5, "L")), "0.5 L");  // The unit as entered (AL-02).
  EXPECT_EQ(DescribeValue(NumberValue(12, "")), "12");
  EXPECT_EQ(DescribeValue(TextValue("intact")), "intact");
  EXPECT_EQ(DescribeValue(BooleanValue(true)), "yes");
  EXPECT_EQ(DescribeValue(BooleanValue(false)), "no");
  EXPECT_EQ(DescribeValue(InstantValue(kNow)), "2026-11-22T10:00:00.000000Z");
}

TEST(Judge, FlagsAreNamedWithinAlertAndActionAndReadBack) {
  for (const LimitFlag flag : {LimitFlag::kWithin, LimitFlag::kAlert, LimitFlag::kAction}) {
    EXPECT_EQ(LimitFlagFromName(LimitFlagName(flag)), flag);
  }
  EXPECT_EQ(LimitFlagName(LimitFlag::kWithin), "within");
  EXPECT_EQ(LimitFlagName(LimitFlag::kAlert), "alert");
  EXPECT_EQ(LimitFlagName(LimitFlag::kAction), "action");
  EXPECT_EQ(LimitFlagFromName("Action"), std::nullopt);
  EXPECT_EQ(LimitFlagFromName(""), std::nullopt);
}

}  // namespace
}  // namespace aliquot::batches
