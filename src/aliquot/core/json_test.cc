#include "aliquot/core/json.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot {

// Shows values in failure messages as their canonical text.
void PrintTo(const Json& value, std::ostream* out) { *out << CanonicalJson(value); }

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The message of the error ParseJson returns for `text`, or a note that it parsed.
std::string ParseError(std::string_view text, JsonParseOptions options = {}) {
  Result<Json> parsed = ParseJson(text, options);
  if (parsed) return "parsed as " + CanonicalJson(*parsed);
  EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
  return parsed.error().Message();
}

// Parses text that must be valid and returns its canonical form.
std::string Canonical(std::string_view text) {
  Result<Json> parsed = ParseJson(text);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().Message();
  return parsed ? CanonicalJson(*parsed) : std::string();
}

// ---------------------------------------------------------------------------------------------
// RFC 8785's own examples

TEST(CanonicalJson, MatchesTheSampleOfRfc8785Section322) {
  const std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  const std::string expected =
      "{\"literals\":[null,true,false],"
      "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
      "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
  EXPECT_EQ(Canonical(input), expected);
}

TEST(CanonicalJson, SortsMembersByUtf16CodeUnitsAsInRfc8785Section323) {
  const std::string input = R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})";
  const std::string expected =
      std::string("{") + "\"\\r\":\"Carriage Return\"," + "\"1\":\"One\"," +
      "\"\xC2\x80\":\"Control\"," + "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\"," +
      "\"\xE2\x82\xAC\":\"Euro Sign\"," + "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\"," +
      "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"" + "}";
  EXPECT_EQ(Canonical(input), expected);
}

TEST(CanonicalJson, SortsMembersByUtf16CodeUnitsNotByBytes) {
  // U+E000 is "\xEE\x80\x80" and U+10000 is "\xF0\x90\x80\x80": bytes put U+E000 first, but in
  // UTF-16 U+10000 is D800 DC00, which comes before E000.
  Json object = Json::MakeObject();
  object.Set("\xEE\x80\x80", 1);
  object.Set("\xF0\x90\x80\x80", 2);
  object.Set("\xED\x9F\xBF", 3);  // U+D7FF: below both.
  object.Set("\xEF\xBF\xBF", 4);  // U+FFFF: above both.
  EXPECT_EQ(CanonicalJson(object),
            "{\"\xED\x9F\xBF\":3,\"\xF0\x90\x80\x80\":2,\"\xEE\x80\x80\":1,\"\xEF\xBF\xBF\":4}");
}

TEST(CanonicalJson, SortsAPrefixBeforeTheLongerName) {
  Json object = Json::MakeObject();
  object.Set("ab", 1);
  object.Set("a", 2);
  object.Set("", 3);
  object.Set("b", 4);
  EXPECT_EQ(CanonicalJson(object), R"({"":3,"a":2,"ab":1,"b":4})");
}

TEST(CanonicalJson, SortsNestedObjectsAndKeepsArrayOrder) {
  EXPECT_EQ(Canonical(R"({"b": [3, {"z": 1, "y": 2}, 1], "a": {"d": null, "c": true}})"),
            R"({"a":{"c":true,"d":null},"b":[3,{"y":2,"z":1},1]})");
}

TEST(CanonicalJson, WritesNoWhitespace) {
  EXPECT_EQ(Canonical(" [ 1 ,\t{ \"a\" :\r\n[ ] , \"b\" : { } } ] "), R"([1,{"a":[],"b":{}}])");
}

TEST(AppendCanonicalJson, AppendsToWhatIsThere) {
  std::string out = "prefix:";
  AppendCanonicalJson(Json(Json::Array{1, "x", nullptr}), out);
  EXPECT_EQ(out, R"(prefix:[1,"x",null])");
}

// ---------------------------------------------------------------------------------------------
// Numbers: RFC 8785 Appendix B and the ECMAScript layout rules

struct NumberCase {
  std::uint64_t bits;
  std::string_view expected;
};

// RFC 8785 Appendix B, less its NaN and Infinity rows (a Json cannot hold them).
constexpr NumberCase kAppendixB[] = {
    {0x0000000000000000, "0"},
    {0x8000000000000000, "0"},
    {0x0000000000000001, "5e-324"},
    {0x8000000000000001, "-5e-324"},
    {0x7fefffffffffffff, "1.7976931348623157e+308"},
    {0xffefffffffffffff, "-1.7976931348623157e+308"},
    {0x4340000000000000, "9007199254740992"},
    {0xc340000000000000, "-9007199254740992"},
    {0x4430000000000000, "295147905179352830000"},
    {0x44b52d02c7e14af5, "9.999999999999997e+22"},
    {0x44b52d02c7e14af6, "1e+23"},
    {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
    {0x444b1ae4d6e2ef4e, "999999999999999700000"},
    {0x444b1ae4d6e2ef4f, "999999999999999900000"},
    {0x444b1ae4d6e2ef50, "1e+21"},
    {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
    {0x3eb0c6f7a0b5ed8d, "0.000001"},
    {0x41b3de4355555553, "333333333.3333332"},
    {0x41b3de4355555554, "333333333.33333325"},
    {0x41b3de4355555555, "333333333.3333333"},
    {0x41b3de4355555556, "333333333.3333334"},
    {0x41b3de4355555557, "333333333.33333343"},
    {0xbecbf647612f3696, "-0.0000033333333333333333"},
    {0x43143ff3c1cb0959, "1424953923781206.2"},
};

TEST(CanonicalNumber, MatchesEveryFiniteEntryOfRfc8785AppendixB) {
  for (const NumberCase& entry : kAppendixB) {
    const double value = std::bit_cast<double>(entry.bits);
    SCOPED_TRACE(::testing::Message() << std::hex << "0x" << entry.bits);
    EXPECT_EQ(CanonicalNumber(value), entry.expected);
  }
}

TEST(CanonicalNumber, ParsesBackToTheSameDoubleForEveryEntryOfAppendixB) {
  for (const NumberCase& entry : kAppendixB) {
    const double value = std::bit_cast<double>(entry.bits);
    SCOPED_TRACE(entry.expected);
    Result<Json> parsed = ParseJson(entry.expected);
    ASSERT_TRUE(parsed.has_value());
    // Minus zero is written "0", so it comes back as plus zero, which compares equal.
    EXPECT_EQ(parsed->AsNumber(), value);
  }
}

TEST(CanonicalNumber, LaysOutDigitsByTheEcmaScriptRules) {
  EXPECT_EQ(CanonicalNumber(1e20), "100000000000000000000");
  EXPECT_EQ(CanonicalNumber(1e21), "1e+21");
  EXPECT_EQ(CanonicalNumber(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(CanonicalNumber(0.000001), "0.000001");
  EXPECT_EQ(CanonicalNumber(0.0000012345), "0.0000012345");
  EXPECT_EQ(CanonicalNumber(1e-7), "1e-7");
  EXPECT_EQ(CanonicalNumber(1.5e-7), "1.5e-7");
  EXPECT_EQ(CanonicalNumber(-0.0), "0");
  EXPECT_EQ(CanonicalNumber(5e-324), "5e-324");
  EXPECT_EQ(CanonicalNumber(1), "1");
  EXPECT_EQ(CanonicalNumber(-1), "-1");
  EXPECT_EQ(CanonicalNumber(10), "10");
  EXPECT_EQ(CanonicalNumber(0.5), "0.5");
  EXPECT_EQ(CanonicalNumber(-12.375), "-12.375");
  EXPECT_EQ(CanonicalNumber(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(CanonicalNumber(1.5e300), "1.5e+300");
  EXPECT_EQ(CanonicalNumber(static_cast<double>(Json::kMaxExactInteger)), "9007199254740991");
}

TEST(CanonicalJson, WritesParsedNumbersInTheirShortestForm) {
  EXPECT_EQ(Canonical("[1.0, 1e0, 10E-1, -0, -0.0, 0e5, 100e-2, 1.50, 12345678901234567890]"),
            "[1,1,1,0,0,0,1,1.5,12345678901234567000]");
}

// ---------------------------------------------------------------------------------------------
// Strings

TEST(AppendJsonString, EscapesAsRfc8785Section3222Says) {
  std::string out;
  AppendJsonString(
      "\"\\/\b\t\n\f\r\x01\x1F\x7F"
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80",
      out);
  EXPECT_EQ(out,
            "\"\\\"\\\\/\\b\\t\\n\\f\\r\\u0001\\u001f\x7F"
            "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
}

TEST(AppendJsonString, EscapesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string out;
    AppendJsonString(std::string(1, static_cast<char>(c)), out);
    SCOPED_TRACE(c);
    ASSERT_EQ(out.front(), '"');
    EXPECT_EQ(out[1], '\\');
    Result<Json> parsed = ParseJson(out);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
    EXPECT_EQ(parsed->AsString(), std::string(1, static_cast<char>(c)));
  }
}

TEST(ParseJson, DecodesEscapesAndSurrogatePairs) {
  Result<Json> parsed =
      ParseJson(R"(["\u00e9\u20AC\ud83d\ude00", "\"\\\/\b\f\n\r\t", "a\u0000b", "\uFFFF"])");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  const Json::Array& items = parsed->AsArray();
  EXPECT_EQ(items[0].AsString(), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(items[1].AsString(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(items[2].AsString(), std::string("a\0b", 3));
  EXPECT_EQ(items[3].AsString(), "\xEF\xBF\xBF");
}

TEST(ParseJson, AcceptsRawUtf8OfEveryLengthUpToUPlus10FFFF) {
  const std::string text =
      "\"\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF"
      "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"";
  Result<Json> parsed = ParseJson(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  EXPECT_EQ(CanonicalJson(*parsed), text);
}

// ---------------------------------------------------------------------------------------------
// What ParseJson accepts

TEST(ParseJson, ReadsEveryKindOfValue) {
  Result<Json> parsed = ParseJson(R"( {"n": null, "t": true, "f": false, "i": -42, "d": 2.5,
                                      "s": "text", "a": [1, [2]], "o": {"k": "v"}} )");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  EXPECT_TRUE(parsed->Find("n")->IsNull());
  EXPECT_TRUE(parsed->Find("t")->AsBool());
  EXPECT_FALSE(parsed->Find("f")->AsBool());
  EXPECT_EQ(parsed->Find("i")->AsInteger(), -42);
  EXPECT_EQ(parsed->Find("d")->AsNumber(), 2.5);
  EXPECT_EQ(parsed->Find("s")->AsString(), "text");
  EXPECT_EQ(parsed->Find("a")->AsArray().size(), 2u);
  EXPECT_EQ(parsed->Find("o")->Find("k")->AsString(), "v");
  EXPECT_EQ(parsed->Find("missing"), nullptr);
}

TEST(ParseJson, AcceptsAScalarAsTheWholeText) {
  EXPECT_EQ(Canonical("null"), "null");
  EXPECT_EQ(Canonical(" 7 "), "7");
  EXPECT_EQ(Canonical("\"x\""), "\"x\"");
}

TEST(ParseJson, KeepsTheSignOfMinusZero) {
  Result<Json> parsed = ParseJson("-0");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(std::signbit(parsed->AsNumber()));
}

TEST(ParseJson, RoundsNumbersTooSmallForADoubleToZero) {
  Result<Json> parsed = ParseJson("[1e-400, -1e-400, 0.0000000001e-999999999999999999999, 2e-324]");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  for (const Json& item : parsed->AsArray()) EXPECT_EQ(item.AsNumber(), 0.0);
  EXPECT_TRUE(std::signbit(parsed->AsArray()[1].AsNumber()));
  EXPECT_EQ(CanonicalJson(*parsed), "[0,0,0,0]");
}

TEST(ParseJson, AcceptsTheLargestAndSmallestDoubles) {
  EXPECT_EQ(Canonical("[1.7976931348623157e308, 4.9e-324, 0e999999]"),
            "[1.7976931348623157e+308,5e-324,0]");
}

TEST(ParseJson, AcceptsNestingUpToTheLimit) {
  const std::string deepest = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(Canonical(deepest), deepest);
  EXPECT_EQ(ParseError("[[1]]", {.max_depth = 2}), "parsed as [[1]]");
  EXPECT_EQ(ParseError("1", {.max_depth = 0}), "parsed as 1");
}

// ---------------------------------------------------------------------------------------------
// What ParseJson refuses, and where it says the fault is

TEST(ParseJson, RefusesAByteOrderMark) {
  EXPECT_THAT(ParseError("\xEF\xBB\xBF{}"),
              AllOf(StartsWith("JSON: at byte 0: "), HasSubstr("byte order mark")));
}

TEST(ParseJson, RefusesDuplicateMemberNames) {
  EXPECT_EQ(ParseError(R"({"a":1,"b":2,"a":3})"), R"(JSON: at byte 13: duplicate member name "a")");
}

TEST(ParseJson, ReportsTheDuplicateThatComesFirstInTheText) {
  EXPECT_EQ(ParseError(R"({"b":1,"a":1,"a":2,"b":2})"),
            R"(JSON: at byte 13: duplicate member name "a")");
  // Large enough for the check that sorts the names.
  EXPECT_EQ(ParseError(R"({"b":1,"a":1,"a":2,"b":2,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0})"),
            R"(JSON: at byte 13: duplicate member name "a")");
  EXPECT_EQ(ParseError(R"({"j":0,"i":0,"h":0,"g":0,"f":0,"e":0,"d":0,"c":0,"b":1,"c":2,"b":2})"),
            R"(JSON: at byte 55: duplicate member name "c")");
}

TEST(ParseJson, RefusesDuplicateNamesThatDifferOnlyInEscaping) {
  EXPECT_EQ(ParseError(R"({"a":1,"\u0061":2})"), R"(JSON: at byte 7: duplicate member name "a")");
}

TEST(ParseJson, RefusesDuplicateNamesInNestedObjects) {
  EXPECT_EQ(ParseError(R"([{"x":{"k":1,"k":2}}])"),
            R"(JSON: at byte 13: duplicate member name "k")");
}

TEST(ParseJson, AllowsTheSameNameInSiblingObjects) {
  EXPECT_EQ(Canonical(R"([{"k":1},{"k":2}])"), R"([{"k":1},{"k":2}])");
}

TEST(ParseJson, FindsADuplicateAmongManyMembersQuickly) {
  // Quadratic checking would take about 10^10 comparisons here.
  constexpr int kMembers = 100000;
  std::string text = "{";
  for (int i = 0; i < kMembers; ++i) text += "\"m" + std::to_string(i) + "\":" + "0,";
  std::string unique = text;
  unique.back() = '}';
  Result<Json> parsed = ParseJson(unique);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  EXPECT_EQ(parsed->AsObject().size(), std::size_t{kMembers});

  const std::size_t offset = text.size();
  text += "\"m77\":1}";
  EXPECT_EQ(ParseError(text),
            "JSON: at byte " + std::to_string(offset) + ": duplicate member name \"m77\"");
}

TEST(ParseJson, RefusesOverlongUtf8) {
  EXPECT_EQ(ParseError("\"ab\xC0\xAF\""),
            "JSON: at byte 3: invalid UTF-8 in string: overlong encoding");
  EXPECT_THAT(ParseError("\"\xC1\xBF\""), StartsWith("JSON: at byte 1: invalid UTF-8"));
  EXPECT_THAT(ParseError("\"\xE0\x80\xAF\""), HasSubstr("overlong"));
  EXPECT_THAT(ParseError("\"\xF0\x80\x80\xAF\""), HasSubstr("overlong"));
}

TEST(ParseJson, RefusesSurrogatesEncodedInUtf8) {
  EXPECT_EQ(ParseError("[\"x\xED\xA0\x80\"]"),
            "JSON: at byte 3: invalid UTF-8 in string: encoded surrogate (U+D800..U+DFFF)");
  EXPECT_THAT(ParseError("\"\xED\xBF\xBF\""), HasSubstr("encoded surrogate"));
}

TEST(ParseJson, RefusesUtf8BeyondUPlus10FFFF) {
  EXPECT_EQ(ParseError("\"\xF4\x90\x80\x80\""),
            "JSON: at byte 1: invalid UTF-8 in string: code point above U+10FFFF");
  EXPECT_THAT(ParseError("\"\xF5\x80\x80\x80\""), HasSubstr("above U+10FFFF"));
  EXPECT_THAT(ParseError("\"\xFF\""), HasSubstr("above U+10FFFF"));
}

TEST(ParseJson, RefusesBrokenUtf8Sequences) {
  EXPECT_EQ(ParseError("\"\x80\""),
            "JSON: at byte 1: invalid UTF-8 in string: continuation byte without a lead byte");
  EXPECT_EQ(ParseError("\"a\xE2\x82\""),
            "JSON: at byte 2: invalid UTF-8 in string: incomplete multi-byte sequence");
  EXPECT_THAT(ParseError("\"\xC3"), StartsWith("JSON: at byte 1: invalid UTF-8"));
  EXPECT_THAT(ParseError("\"\xF0\x9F\x98\x41\""), StartsWith("JSON: at byte 1: invalid UTF-8"));
}

TEST(ParseJson, RefusesALoneHighSurrogateEscape) {
  EXPECT_THAT(ParseError(R"("ab\uD83D")"), AllOf(StartsWith("JSON: at byte 3: "),
                                                 HasSubstr(R"(unpaired high surrogate \uD83D)")));
  EXPECT_THAT(ParseError(R"("\ud83dx")"), StartsWith("JSON: at byte 1: unpaired high surrogate"));
  EXPECT_THAT(ParseError(R"("\uD83D\u0041")"),
              StartsWith("JSON: at byte 1: unpaired high surrogate"));
  EXPECT_THAT(ParseError(R"("\uD83D\uD83D")"),
              StartsWith("JSON: at byte 1: unpaired high surrogate"));
}

TEST(ParseJson, RefusesALoneLowSurrogateEscape) {
  EXPECT_EQ(ParseError(R"(["\uDE00"])"),
            R"(JSON: at byte 2: lone low surrogate \uDE00 without a high surrogate before it)");
}

TEST(ParseJson, RefusesUnescapedControlCharacters) {
  EXPECT_THAT(ParseError("\"a\nb\""),
              AllOf(StartsWith("JSON: at byte 2: unescaped control character byte 0x0A")));
  EXPECT_THAT(ParseError(std::string("\"\0\"", 3)), StartsWith("JSON: at byte 1: unescaped"));
  EXPECT_THAT(ParseError("\"\x1F\""), StartsWith("JSON: at byte 1: unescaped"));
  EXPECT_THAT(ParseError("{\"a\tb\":1}"), StartsWith("JSON: at byte 3: unescaped"));
}

TEST(ParseJson, RefusesInvalidEscapes) {
  EXPECT_EQ(ParseError(R"("\x")"), R"(JSON: at byte 2: invalid escape character 'x' after '\')");
  EXPECT_EQ(ParseError(R"("\u12G4")"),
            R"(JSON: at byte 5: expected four hex digits after '\u', found 'G')");
  EXPECT_THAT(ParseError(R"("\u12)"), StartsWith("JSON: at byte 5: expected four hex digits"));
  EXPECT_THAT(ParseError("\"\\"), StartsWith("JSON: at byte 2: expected an escape character"));
}

TEST(ParseJson, RefusesAnUnterminatedString) {
  EXPECT_EQ(ParseError(R"(["abc)"),
            "JSON: at byte 5: expected '\"' to end the string that begins at byte 1, found end of "
            "text");
}

TEST(ParseJson, RefusesLeadingZeros) {
  EXPECT_EQ(ParseError("01"), "JSON: at byte 0: a number must not begin with a leading zero");
  EXPECT_THAT(ParseError("-007"), StartsWith("JSON: at byte 1: a number must not begin"));
  EXPECT_THAT(ParseError("[1, 00]"), StartsWith("JSON: at byte 4: a number must not begin"));
}

TEST(ParseJson, RefusesALeadingPlusSign) {
  EXPECT_THAT(ParseError("+1"), StartsWith("JSON: at byte 0: expected a value, found '+'"));
}

TEST(ParseJson, RefusesAFractionWithoutAnIntegerPart) {
  EXPECT_THAT(ParseError("[.5]"), StartsWith("JSON: at byte 1: expected a value, found '.'"));
}

TEST(ParseJson, RefusesADecimalPointWithoutDigitsAfterIt) {
  EXPECT_EQ(ParseError("1."), "JSON: at byte 2: expected a digit after '.', found end of text");
  EXPECT_EQ(ParseError("[1.e5]"), "JSON: at byte 3: expected a digit after '.', found 'e'");
}

TEST(ParseJson, RefusesIncompleteNumbers) {
  EXPECT_EQ(ParseError("-"), "JSON: at byte 1: expected a digit after '-', found end of text");
  EXPECT_EQ(ParseError("1e"),
            "JSON: at byte 2: expected a digit in the exponent, found end of text");
  EXPECT_EQ(ParseError("1E+"),
            "JSON: at byte 3: expected a digit in the exponent, found end of text");
  EXPECT_THAT(ParseError("0x10"), StartsWith("JSON: at byte 1: unexpected 'x'"));
}

TEST(ParseJson, RefusesNaNAndInfinity) {
  EXPECT_THAT(ParseError("NaN"), AllOf(StartsWith("JSON: at byte 0: "), HasSubstr("NaN")));
  EXPECT_THAT(ParseError("[Infinity]"),
              AllOf(StartsWith("JSON: at byte 1: "), HasSubstr("Infinity")));
  EXPECT_EQ(ParseError("-Infinity"), "JSON: at byte 1: expected a digit after '-', found 'I'");
}

TEST(ParseJson, RefusesNumbersThatOverflowADouble) {
  EXPECT_EQ(ParseError("1e400"),
            "JSON: at byte 0: number 1e400 is out of the range of a double (RFC 7493 section 2.2)");
  EXPECT_THAT(ParseError("[0, -1E400]"), StartsWith("JSON: at byte 4: number -1E400 is out of"));
  EXPECT_THAT(ParseError("1.7976931348623159e308"), HasSubstr("out of the range of a double"));
  EXPECT_THAT(ParseError("0.001e999999999999999999999"), HasSubstr("out of the range"));
  // 1 followed by 400 zeros: the message shows only the start of it.
  EXPECT_EQ(ParseError("1" + std::string(400, '0')),
            "JSON: at byte 0: number 1" + std::string(39, '0') +
                "... is out of the range of a double (RFC 7493 section 2.2)");
}

TEST(ParseJson, RefusesTrailingGarbage) {
  EXPECT_EQ(ParseError("{} x"), "JSON: at byte 3: unexpected 'x' after the JSON value");
  EXPECT_EQ(ParseError("1 2"), "JSON: at byte 2: unexpected '2' after the JSON value");
  EXPECT_EQ(ParseError("[1]]"), "JSON: at byte 3: unexpected ']' after the JSON value");
  EXPECT_EQ(ParseError(std::string("null\0", 5)),
            "JSON: at byte 4: unexpected byte 0x00 after the JSON value");
}

TEST(ParseJson, RefusesNestingDeeperThanTheLimit) {
  EXPECT_EQ(ParseError(std::string(65, '[') + std::string(65, ']')),
            "JSON: at byte 64: nesting deeper than the limit of 64");
  EXPECT_EQ(ParseError(R"({"a":{"b":[1]}})", {.max_depth = 2}),
            "JSON: at byte 10: nesting deeper than the limit of 2");
  EXPECT_EQ(ParseError("[]", {.max_depth = 0}),
            "JSON: at byte 0: nesting deeper than the limit of 0");
}

TEST(ParseJson, RefusesDeepNestingWithoutExhaustingTheStack) {
  EXPECT_THAT(ParseError(std::string(1000000, '[')), StartsWith("JSON: at byte 64: nesting"));
}

TEST(ParseJson, RefusesEmptyText) {
  EXPECT_EQ(ParseError(""), "JSON: at byte 0: expected a value, found end of text");
  EXPECT_EQ(ParseError(" \n"), "JSON: at byte 2: expected a value, found end of text");
}

TEST(ParseJson, RefusesTrailingCommas) {
  EXPECT_EQ(ParseError("[1,]"), "JSON: at byte 3: expected a value, found ']'");
  EXPECT_EQ(ParseError(R"({"a":1,})"),
            "JSON: at byte 7: expected '\"' to begin a member name, found '}'");
}

TEST(ParseJson, RefusesMalformedObjectsAndArrays) {
  EXPECT_EQ(ParseError(R"({"a" 1})"), "JSON: at byte 5: expected ':' after member name, found '1'");
  EXPECT_EQ(ParseError("{a:1}"),
            "JSON: at byte 1: expected '\"' to begin a member name, found 'a'");
  EXPECT_EQ(ParseError(R"({"a":1 "b":2})"),
            "JSON: at byte 7: expected ',' or '}' after a member value, found '\"'");
  EXPECT_EQ(ParseError("[1 2]"),
            "JSON: at byte 3: expected ',' or ']' after an array element, found '2'");
  EXPECT_EQ(ParseError("[1"),
            "JSON: at byte 2: expected ',' or ']' after an array element, found end of text");
  EXPECT_EQ(ParseError("['a']"), "JSON: at byte 1: expected a value, found '''");
}

TEST(ParseJson, RefusesMisspelledLiterals) {
  EXPECT_EQ(ParseError("tru"), "JSON: at byte 0: expected 'true'");
  EXPECT_EQ(ParseError("[nul]"), "JSON: at byte 1: expected 'null'");
  EXPECT_EQ(ParseError("False"), "JSON: at byte 0: expected a value, found 'F'");
  EXPECT_EQ(ParseError("truex"), "JSON: at byte 4: unexpected 'x' after the JSON value");
}

TEST(ParseJson, RefusesCommentsAndOtherWhitespace) {
  EXPECT_THAT(ParseError("[1 /* c */]"), StartsWith("JSON: at byte 3: "));
  EXPECT_EQ(ParseError("\f1"), "JSON: at byte 0: expected a value, found byte 0x0C");
  EXPECT_EQ(ParseError("\xC2\xA0"
                       "1"),
            "JSON: at byte 0: expected a value, found byte 0xC2");
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(CanonicalJson, IsAFixedPointOfParsing) {
  const std::string_view texts[] = {
      R"({"z":[1,2.5,-3e-9,1e300],"a":{"c":"\u0007\u001f\"","b":null},"\u00e9":true})",
      R"([[], {}, "", 0, -0, 1e21, 1e-7, 123456789.123456789])",
      R"({"\ud83d\ude00":1,"\uffff":2,"\ue000":3,"\ud7ff":4,"\u0000":5})",
  };
  for (std::string_view text : texts) {
    SCOPED_TRACE(text);
    const std::string first = Canonical(text);
    Result<Json> reparsed = ParseJson(first);
    ASSERT_TRUE(reparsed.has_value()) << reparsed.error().Message();
    EXPECT_EQ(CanonicalJson(*reparsed), first);
    EXPECT_EQ(*reparsed, *ParseJson(text));
  }
}

// A random value, from a fixed seed so that the test is the same on every run.
Json RandomJson(std::mt19937_64& random, int depth) {
  const auto pick = [&](std::uint64_t n) { return random() % n; };
  switch (depth > 3 ? pick(4) : pick(6)) {
    case 0:
      return Json();
    case 1:
      return Json(pick(2) == 0);
    case 2: {
      double value = std::bit_cast<double>(random());
      if (!std::isfinite(value)) value = static_cast<double>(pick(1000)) / 8;
      return Json(value);
    }
    case 3: {
      std::string text;
      const std::uint64_t length = pick(8);
      for (std::uint64_t i = 0; i < length; ++i) {
        // Controls, ASCII, two- and three-byte characters, and a supplementary one.
        static constexpr std::string_view kPieces[] = {"\x01",
                                                       "\n",
                                                       "\"",
                                                       "\\",
                                                       "/",
                                                       "a",
                                                       "Z",
                                                       "\xC3\xA9",
                                                       "\xE2\x82\xAC",
                                                       "\xEF\xBF\xBF",
                                                       "\xEE\x80\x80",
                                                       "\xF0\x9F\x98\x80"};
        text += kPieces[pick(std::size(kPieces))];
      }
      return Json(std::move(text));
    }
    case 4: {
      Json array = Json::MakeArray();
      const std::uint64_t length = pick(5);
      for (std::uint64_t i = 0; i < length; ++i) array.Push(RandomJson(random, depth + 1));
      return array;
    }
    default: {
      Json object = Json::MakeObject();
      const std::uint64_t length = pick(5);
      for (std::uint64_t i = 0; i < length; ++i) {
        static constexpr std::string_view kNames[] = {
            "a", "b", "\xEE\x80\x80", "\xF0\x9F\x98\x80", "\r", "ab", ""};
        object.Set(std::string(kNames[pick(std::size(kNames))]), RandomJson(random, depth + 1));
      }
      return object;
    }
  }
}

TEST(CanonicalJson, SurvivesAParseForRandomValues) {
  std::mt19937_64 random(20260115);
  for (int i = 0; i < 2000; ++i) {
    const Json value = RandomJson(random, 0);
    const std::string canonical = CanonicalJson(value);
    Result<Json> parsed = ParseJson(canonical);
    ASSERT_TRUE(parsed.has_value()) << canonical << ": " << parsed.error().Message();
    EXPECT_EQ(*parsed, value) << canonical;
    EXPECT_EQ(CanonicalJson(*parsed), canonical);
  }
}

TEST(CanonicalNumber, ParsesBackToTheSameDoubleForRandomBitPatterns) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 100000; ++i) {
    const double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    const std::string text = CanonicalNumber(value);
    Result<Json> parsed = ParseJson(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().Message();
    ASSERT_EQ(parsed->AsNumber(), value) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// The Json class

TEST(Json, HoldsIntegersUpToTwoToTheFiftyThreeExactly) {
  EXPECT_EQ(Json(Json::kMaxExactInteger).AsInteger(), Json::kMaxExactInteger);
  EXPECT_EQ(Json(-Json::kMaxExactInteger).AsInteger(), -Json::kMaxExactInteger);
  EXPECT_EQ(Json(std::uint64_t{42}).AsInteger(), 42);
  EXPECT_EQ(Json(7).AsNumber(), 7.0);
  EXPECT_EQ(CanonicalJson(Json(Json::kMaxExactInteger)), "9007199254740991");
}

TEST(Json, GivesAnIntegerOnlyForWholeNumbersInRange) {
  EXPECT_EQ(Json(2.0).AsInteger(), 2);
  EXPECT_EQ(Json(-0.0).AsInteger(), 0);
  EXPECT_EQ(Json(2.5).AsInteger(), std::nullopt);
  EXPECT_EQ(Json(9007199254740992.0).AsInteger(), std::nullopt);
  EXPECT_EQ(Json(1e300).AsInteger(), std::nullopt);
  EXPECT_EQ(Json("2").AsInteger(), std::nullopt);
  EXPECT_EQ(Json().AsInteger(), std::nullopt);
}

TEST(Json, ReportsItsType) {
  EXPECT_EQ(Json().GetType(), Json::Type::kNull);
  EXPECT_EQ(Json(nullptr).GetType(), Json::Type::kNull);
  EXPECT_EQ(Json(false).GetType(), Json::Type::kBool);
  EXPECT_EQ(Json(1.5).GetType(), Json::Type::kNumber);
  EXPECT_EQ(Json(std::string_view("s")).GetType(), Json::Type::kString);
  EXPECT_EQ(Json::MakeArray().GetType(), Json::Type::kArray);
  EXPECT_EQ(Json::MakeObject().GetType(), Json::Type::kObject);
}

TEST(Json, SetReplacesAnExistingMemberInPlace) {
  Json object = Json::MakeObject();
  object.Set("b", 1);
  object.Set("a", 2);
  Json& replaced = object.Set("b", "three");
  EXPECT_EQ(replaced.AsString(), "three");
  ASSERT_EQ(object.AsObject().size(), 2u);
  EXPECT_EQ(object.AsObject()[0].first, "b");
  EXPECT_EQ(object.Find("b")->AsString(), "three");
  EXPECT_EQ(CanonicalJson(object), R"({"a":2,"b":"three"})");
}

TEST(Json, PushAppendsToAnArray) {
  Json array = Json::MakeArray();
  array.Push(1);
  array.Push("two").AsString();
  array.Push(Json::MakeObject()).Set("k", true);
  EXPECT_EQ(CanonicalJson(array), R"([1,"two",{"k":true}])");
}

TEST(Json, FindsNothingInAValueThatIsNotAnObject) {
  EXPECT_EQ(Json(Json::Array{1}).Find("0"), nullptr);
  EXPECT_EQ(Json("a").Find("a"), nullptr);
}

TEST(Json, ComparesObjectsWithoutRegardToMemberOrder) {
  EXPECT_EQ(*ParseJson(R"({"a":1,"b":[true,{"x":null,"y":"s"}]})"),
            *ParseJson(R"({"b":[true,{"y":"s","x":null}],"a":1})"));
  EXPECT_NE(*ParseJson(R"({"a":1,"b":2})"), *ParseJson(R"({"a":1,"c":2})"));
  EXPECT_NE(*ParseJson(R"({"a":1,"b":2})"), *ParseJson(R"({"a":1,"b":3})"));
  EXPECT_NE(*ParseJson(R"({"a":1})"), *ParseJson(R"({"a":1,"b":2})"));
}

TEST(Json, ComparesArraysInOrderAndTypesStrictly) {
  EXPECT_NE(*ParseJson("[1,2]"), *ParseJson("[2,1]"));
  EXPECT_NE(Json(1), Json("1"));
  EXPECT_NE(Json(false), Json());
  EXPECT_NE(Json::MakeArray(), Json::MakeObject());
  EXPECT_EQ(Json(0.0), Json(-0.0));
  EXPECT_EQ(Json(), Json(nullptr));
}

// ---------------------------------------------------------------------------------------------
// Invariants: misuse by our own code stops the process

TEST(JsonDeathTest, RefusesNonFiniteNumbers) {
  EXPECT_DEATH(Json{std::numeric_limits<double>::quiet_NaN()}, "invariant broken");
  EXPECT_DEATH(Json{std::numeric_limits<double>::infinity()}, "invariant broken");
  EXPECT_DEATH(CanonicalNumber(-std::numeric_limits<double>::infinity()), "invariant broken");
}

TEST(JsonDeathTest, RefusesIntegersBeyondTwoToTheFiftyThree) {
  EXPECT_DEATH(Json(Json::kMaxExactInteger + 1), "invariant broken");
  EXPECT_DEATH(Json(-Json::kMaxExactInteger - 1), "invariant broken");
  EXPECT_DEATH(Json(std::uint64_t{1} << 53), "invariant broken");
}

TEST(JsonDeathTest, RefusesAccessAsTheWrongType) {
  EXPECT_DEATH(Json(1).AsString(), "not a string");
  EXPECT_DEATH(Json("1").AsNumber(), "not a number");
  EXPECT_DEATH(Json().AsBool(), "not a bool");
  EXPECT_DEATH(Json::MakeObject().AsArray(), "not an array");
  EXPECT_DEATH(Json::MakeArray().Set("a", 1), "not an object");
  EXPECT_DEATH(Json::MakeObject().Push(1), "not an array");
}

TEST(JsonDeathTest, RefusesToCanonicaliseWhatHasNoCanonicalForm) {
  EXPECT_DEATH(CanonicalJson(Json("\xC0\xAF")), "invalid UTF-8");
  EXPECT_DEATH(CanonicalJson(Json(Json::Object{{"a", 1}, {"a", 2}})), "same name");
}

}  // namespace
}  // namespace aliquot
