#include "aliquot/core/yaml.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/utf8.h"

namespace aliquot {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The canonical JSON of what `text` parses to, or the error message prefixed with "error: ", so a
// failing comparison shows what happened either way.
std::string Parsed(std::string_view text) {
  Result<Json> parsed = ParseYaml(text);
  if (!parsed) {
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
    return "error: " + parsed.error().Message();
  }
  return CanonicalJson(*parsed);
}

// The message ParseYaml refuses `text` with, or a note that it parsed.
std::string Refusal(std::string_view text, YamlParseOptions options = {}) {
  Result<Json> parsed = ParseYaml(text, nullptr, options);
  if (parsed) return "parsed as " + CanonicalJson(*parsed);
  EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument);
  return parsed.error().Message();
}

// The value of a one-member document "v: <plain>", as canonical JSON.
std::string PlainValue(std::string_view plain) {
  Result<Json> parsed = ParseYaml("v: " + std::string(plain) + "\n");
  if (!parsed) return "error: " + parsed.error().Message();
  const Json* value = parsed->Find("v");
  return value == nullptr ? "missing" : CanonicalJson(*value);
}

// EmitYaml of `value` parsed back, which must succeed.
Json RoundTrip(const Json& value) {
  const std::string text = EmitYaml(value);
  Result<Json> parsed = ParseYaml(text);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().Message()) << "\n" << text;
  return parsed ? *parsed : Json("<refused>");
}

Json Object(std::vector<std::pair<std::string, Json>> members) {
  return Json(Json::Object(std::move(members)));
}

Json Array(std::vector<Json> items) { return Json(Json::Array(std::move(items))); }

std::optional<YamlPosition> At(int line, int column) { return YamlPosition{line, column}; }

// ---------------------------------------------------------------------------------------------
// Plain scalars: the core schema

TEST(Yaml, ResolvesNullWordsAndNothingToNull) {
  for (const std::string_view word : {"null", "Null", "NULL", "~", ""}) {
    EXPECT_EQ(PlainValue(word), "null") << word;
  }
  EXPECT_EQ(PlainValue("nULL"), "\"nULL\"");
}

TEST(Yaml, ResolvesOnlyTheCoreSchemaBooleans) {
  for (const std::string_view word : {"true", "True", "TRUE"}) EXPECT_EQ(PlainValue(word), "true");
  for (const std::string_view word : {"false", "False", "FALSE"}) {
    EXPECT_EQ(PlainValue(word), "false");
  }
  // YAML 1.1's booleans are text under YAML 1.2's core schema.
  for (const std::string_view word : {"yes", "no", "NO", "on", "Off", "y", "n", "tRUE"}) {
    EXPECT_EQ(PlainValue(word), "\"" + std::string(word) + "\"") << word;
  }
}

TEST(Yaml, ResolvesDecimalIntegersAndFloats) {
  EXPECT_EQ(PlainValue("42"), "42");
  EXPECT_EQ(PlainValue("-7"), "-7");
  EXPECT_EQ(PlainValue("+7"), "7");
  EXPECT_EQ(PlainValue("007"), "7");
  EXPECT_EQ(PlainValue("1.10"), "1.1");
  EXPECT_EQ(PlainValue("-2.5"), "-2.5");
  EXPECT_EQ(PlainValue(".5"), "0.5");
  EXPECT_EQ(PlainValue("5."), "5");
  EXPECT_EQ(PlainValue("1e6"), "1000000");
  EXPECT_EQ(PlainValue("5.0e+8"), "500000000");
  EXPECT_EQ(PlainValue("2.5E-3"), "0.0025");
  EXPECT_EQ(PlainValue("1e-400"), "0");
  EXPECT_EQ(PlainValue("9007199254740991"), "9007199254740991");
  EXPECT_EQ(PlainValue("-9007199254740991"), "-9007199254740991");
}

TEST(Yaml, ReadsOtherPlainScalarsAsText) {
  for (const std::string_view text :
       {"0x1F", "0o7", "1_000", "2024-01-31", "18 h", "5 %", "1:30", "1e", ".", "+", "1.2.3", "e5",
        "0.5 [mL/kg] * batch.body_weight", "a#b", "a:b", "http://example.com/x",
        "Total nucleated cells, viability, CD3+ % (SOP-CT-004)", "it's", "say \"hi\""}) {
    Result<Json> parsed = ParseYaml("v: " + std::string(text) + "\n");
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().Message();
    EXPECT_EQ(*parsed->Find("v"), Json(text)) << text;
  }
}

TEST(Yaml, RefusesNumbersJsonCannotHold) {
  EXPECT_EQ(Refusal("v: 9007199254740992\n"),
            "line 1, column 4: the integer '9007199254740992' is beyond +/-9007199254740991, the "
            "largest a JSON number holds exactly; quote it to keep it as text");
  EXPECT_THAT(Refusal("v: -99999999999999999999999\n"),
              StartsWith("line 1, column 4: the integer '-99999999999999999999999' is beyond"));
  EXPECT_EQ(Refusal("v: 1e999\n"),
            "line 1, column 4: the number '1e999' is too large for a double; quote it to keep it "
            "as text");
  for (const std::string_view word : {".inf", "-.inf", "+.Inf", ".INF", ".nan", ".NaN", ".NAN"}) {
    EXPECT_EQ(Refusal("v: " + std::string(word)),
              "line 1, column 4: '" + std::string(word) +
                  "' is not a number JSON can hold; quote it to keep it as text");
  }
  EXPECT_EQ(PlainValue("'.inf'"), "\".inf\"");
}

// ---------------------------------------------------------------------------------------------
// Quoted scalars

TEST(Yaml, ReadsQuotedScalarsAsTextAlways) {
  EXPECT_EQ(PlainValue("'123'"), "\"123\"");
  EXPECT_EQ(PlainValue("\"true\""), "\"true\"");
  EXPECT_EQ(PlainValue("''"), "\"\"");
  EXPECT_EQ(PlainValue("\"~\""), "\"~\"");
  EXPECT_EQ(PlainValue("'it''s # not a comment: really'"), "\"it's # not a comment: really\"");
  EXPECT_EQ(PlainValue("\"%\"  # percent"), "\"%\"");
}

TEST(Yaml, ReadsDoubleQuotedEscapes) {
  Result<Json> parsed =
      ParseYaml(R"(v: "q\" b\\ s\/ n\n t\t r\r z\0 x\x41 u\u00e9 U\U0001F600 tab\	")");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  EXPECT_EQ(parsed->Find("v")->AsString(),
            std::string("q\" b\\ s/ n\n t\t r\r z") + '\0' + " xA u\u00e9 U\U0001F600 tab\t");
}

TEST(Yaml, RefusesUnknownEscapesAndSurrogates) {
  EXPECT_EQ(Refusal(R"(v: "a\qb")"),
            "line 1, column 7: unknown escape '\\q' in \"double-quoted\" text; write '\\\\' for a "
            "backslash (the escapes are \\\" \\\\ \\/ \\n \\t \\r \\0 \\xXX \\uXXXX \\UXXXXXXXX)");
  EXPECT_EQ(Refusal(R"(v: "\uD83D")"),
            "line 1, column 5: U+D83D is half of a UTF-16 surrogate pair, not a character; write "
            "the character itself, or its code point as \\UXXXXXXXX");
  EXPECT_EQ(Refusal(R"(v: "\x4")"),
            "line 1, column 8: expected 2 hex digits after '\\x', found '\"'");
  EXPECT_THAT(Refusal(R"(v: "\U00110000")"), HasSubstr("beyond U+10FFFF"));
}

TEST(Yaml, RefusesQuotedTextThatDoesNotEndOnItsLine) {
  EXPECT_EQ(Refusal("a: 1\nb: \"two\n  lines\"\n"),
            "line 2, column 4: this \"double-quoted\" text does not end on its line; close it "
            "with \" on the same line (write a line break as \\n), or write text of several lines "
            "as a | block");
  EXPECT_EQ(Refusal("- 'two\n  lines'\n"),
            "line 1, column 3: this 'single-quoted' text does not end on its line; close it with "
            "' on the same line, or write text of several lines as a | block");
}

TEST(Yaml, ReadsQuotedKeys) {
  EXPECT_EQ(Parsed("\"a: b\": 1\n'#x': 2\n\"\": 3\n'it''s' : 4\n"),
            R"({"":3,"#x":2,"a: b":1,"it's":4})");
}

TEST(Yaml, KeepsPlainKeysAsTheTextTheyShow) {
  EXPECT_EQ(Parsed("1: a\nnull: b\ntrue: c\n~: d\n"), R"({"1":"a","null":"b","true":"c","~":"d"})");
}

// ---------------------------------------------------------------------------------------------
// Block collections

TEST(Yaml, ReadsNestedBlockMappingsAndSequences) {
  EXPECT_EQ(Parsed("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n      z: [3]\n  d: text here\ne: ~\n"),
            R"({"a":{"b":1,"c":["x",{"y":2,"z":[3]}],"d":"text here"},"e":null})");
}

TEST(Yaml, ReadsASequenceAtItsKeysIndentation) {
  EXPECT_EQ(Parsed("key:\n- a\n- b\nnext: 1\n"), R"({"key":["a","b"],"next":1})");
  EXPECT_EQ(Parsed("- key:\n  - a\n  other: 2\n"), R"([{"key":["a"],"other":2}])");
}

TEST(Yaml, ReadsCompactSequencesAndMappingsOnTheDashLine) {
  EXPECT_EQ(Parsed("- - a\n  - b\n- -   c\n"), R"([["a","b"],["c"]])");
  EXPECT_EQ(Parsed("-   id: a\n    name: b\n-\n  id: c\n"),
            R"([{"id":"a","name":"b"},{"id":"c"}])");
  EXPECT_EQ(Parsed("- \n- # nothing\n-\n"), "[null,null,null]");
}

TEST(Yaml, ReadsAScalarOnTheLineBelowItsKey) {
  EXPECT_EQ(Parsed("a:\n  text on its own line\nb:\n  - 1\n"),
            R"({"a":"text on its own line","b":[1]})");
}

TEST(Yaml, ReadsAKeyWithSpacesBeforeItsColon) {
  EXPECT_EQ(Parsed("a : 1\nb  :\n  c: 2\n"), R"({"a":1,"b":{"c":2}})");
}

TEST(Yaml, ReadsCommentsButNotHashesInsideText) {
  EXPECT_EQ(Parsed("# heading\na: 1 # one\n  # indented comment\nb: x#y   # z\nc: 'q' #c\n"
                   "d: [1, 2] # list\n#last"),
            R"({"a":1,"b":"x#y","c":"q","d":[1,2]})");
}

TEST(Yaml, ReadsDocumentMarkersAndAnEmptyDocument) {
  EXPECT_EQ(Parsed("---\na: 1\n...\n# trailing comment\n"), R"({"a":1})");
  EXPECT_EQ(Parsed("--- # start\n- 1\n"), "[1]");
  EXPECT_EQ(Parsed(""), "null");
  EXPECT_EQ(Parsed("# only a comment\n\n"), "null");
  EXPECT_EQ(Parsed("---\n"), "null");
}

TEST(Yaml, ReadsTopLevelScalars) {
  EXPECT_EQ(Parsed("hello world\n"), "\"hello world\"");
  EXPECT_EQ(Parsed("12"), "12");
  EXPECT_EQ(Parsed("'q'  # c\n"), "\"q\"");
  EXPECT_EQ(Parsed("|\n  a\n  b\n"), "\"a\\nb\\n\"");
}

TEST(Yaml, SkipsAByteOrderMarkAndReadsCrlfLineEnds) {
  EXPECT_EQ(Parsed("\xEF\xBB\xBF"
                   "a: 1\r\nb:\r\n  - x\r\n"),
            R"({"a":1,"b":["x"]})");
  EXPECT_EQ(Parsed("t: |\r\n  one\r\n  two\r\n"), R"({"t":"one\ntwo\n"})");
}

// ---------------------------------------------------------------------------------------------
// Block scalars

TEST(Yaml, ReadsLiteralBlocksWithEachChomping) {
  const std::string body = "  line one\n    indented\n\n  # not a comment\n\n\n";
  EXPECT_EQ(Parsed("t: |\n" + body + "n: 1\n"),
            R"({"n":1,"t":"line one\n  indented\n\n# not a comment\n"})");
  EXPECT_EQ(Parsed("t: |-\n" + body + "n: 1\n"),
            R"({"n":1,"t":"line one\n  indented\n\n# not a comment"})");
  EXPECT_EQ(Parsed("t: |+\n" + body + "n: 1\n"),
            R"({"n":1,"t":"line one\n  indented\n\n# not a comment\n\n\n"})");
  // Without a final line break there is none to keep.
  EXPECT_EQ(Parsed("t: |\n  end"), R"({"t":"end"})");
  EXPECT_EQ(Parsed("t: |+\n  end\n"), R"({"t":"end\n"})");
}

TEST(Yaml, ReadsFoldedBlocks) {
  EXPECT_EQ(Parsed("t: >\n  one\n  two\n\n  three\n    kept\n  four\n"),
            R"({"t":"one two\nthree\n  kept\nfour\n"})");
  EXPECT_EQ(Parsed("t: >-\n  a\n  b\n"), R"({"t":"a b"})");
}

TEST(Yaml, ReadsEmptyBlockScalars) {
  EXPECT_EQ(Parsed("t: |\nn: 1\n"), R"({"n":1,"t":""})");
  EXPECT_EQ(Parsed("t: |+\n\nn: 1\n"), R"({"n":1,"t":"\n"})");
  EXPECT_EQ(Parsed("- |\n- >-\n"), R"(["",""])");
}

TEST(Yaml, ReadsBlockScalarsInSequencesAndCompactMappings) {
  EXPECT_EQ(Parsed("- |\n  a\n- k: |-\n    b\n  m: c\n"), R"(["a\n",{"k":"b","m":"c"}])");
}

TEST(Yaml, RefusesAnIndentationIndicatorAndTextAfterTheHeader) {
  EXPECT_EQ(Refusal("t: |2\n    x\n"),
            "line 1, column 5: an explicit indentation indicator is not supported; indent the "
            "text's first line by the block's indentation, or write the text \"double-quoted\" "
            "with \\n");
  EXPECT_EQ(Refusal("t: | text\n"),
            "line 1, column 6: unexpected 't' after the block indicator '|' (the text starts on "
            "the next line); only a comment ('# ...') may follow it on this line");
  EXPECT_EQ(Refusal("t: |-+\n"),
            "line 1, column 6: a block scalar takes one chomping indicator, '-' or '+'");
  EXPECT_EQ(Refusal("t: |\n\n      \n    x\n"),
            "line 3, column 7: this blank line at the start of a block scalar has more spaces than "
            "the block's first line; remove them");
}

// ---------------------------------------------------------------------------------------------
// Flow collections

TEST(Yaml, ReadsFlowCollectionsOnOneLine) {
  EXPECT_EQ(Parsed("a: [1, two, 'three, 3', \"4\", [], {}, [x, [y]], {k: v}]\n"),
            R"({"a":[1,"two","three, 3","4",[],{},["x",["y"]],{"k":"v"}]})");
  EXPECT_EQ(Parsed("a: {low: 30, high: 150, unit: \"%\", note: , min: 10 min, u: a:b}\n"),
            R"({"a":{"high":150,"low":30,"min":"10 min","note":null,"u":"a:b","unit":"%"}})");
  EXPECT_EQ(Parsed("a: {\"k\":1, 'j' : [2,3,]}\n"), R"({"a":{"j":[2,3],"k":1}})");
  EXPECT_EQ(Parsed("a: [ ]\nb: {  }\n"), R"({"a":[],"b":{}})");
  EXPECT_EQ(Parsed("[a, b]"), R"(["a","b"])");
}

TEST(Yaml, RefusesFlowCollectionsSpanningLines) {
  EXPECT_EQ(Refusal("a: 1\nb: [1,\n  2]\n"),
            "line 2, column 4: this [ ] sequence does not close on its line; close it with ']' on "
            "the same line, or write it as a block of '- item' lines");
  EXPECT_EQ(Refusal("b: {k: v # c\n"),
            "line 1, column 4: this { } mapping does not close on its line; close it with '}' on "
            "the same line, or write it as a block of 'key: value' lines");
}

TEST(Yaml, RefusesMalformedFlowCollections) {
  EXPECT_EQ(Refusal("a: [1,, 2]\n"),
            "line 1, column 7: an empty entry; remove the extra ',' (write null for a missing "
            "value)");
  EXPECT_EQ(Refusal("a: [k: v]\n"),
            "line 1, column 6: a 'key: value' pair inside [ ] is not supported; write a mapping "
            "in braces: [{key: value}]");
  EXPECT_EQ(Refusal("a: {k v}\n"),
            "line 1, column 8: expected ':' after the key 'k v' in { }, found '}'");
  EXPECT_EQ(Refusal("a: [1 2] x\n"),
            "line 1, column 10: unexpected 'x' after the closing ']'; only a comment ('# ...') may "
            "follow it on this line");
  EXPECT_EQ(Refusal("a: {x: 1, x: 2}\n"),
            "line 1, column 11: duplicate key 'x' (first at line 1, column 5); a key may appear "
            "only once in a mapping");
  EXPECT_EQ(Refusal("a: [- x]\n"),
            "line 1, column 5: a '- ' item cannot appear inside [ ] or { }; separate items with "
            "','");
  EXPECT_EQ(Refusal("[a]: 1\n"),
            "line 1, column 1: a key must be text; a [ ] or { } collection cannot be a key");
}

// ---------------------------------------------------------------------------------------------
// Refusals, each at its place

TEST(Yaml, RefusesATabInIndentationWithItsPosition) {
  EXPECT_EQ(Refusal("a:\n  b: 1\n \tc: 2\n"),
            "line 3, column 2: a tab cannot indent YAML; use spaces");
  EXPECT_EQ(Refusal("\ta: 1\n"), "line 1, column 1: a tab cannot indent YAML; use spaces");
  // A tab inside a line is part of the text, and a line of only whitespace is blank.
  EXPECT_EQ(Parsed("a: x\ty\n\t\n"), R"({"a":"x\ty"})");
}

TEST(Yaml, RefusesAnchorsAliasesTagsAndDirectives) {
  EXPECT_EQ(Refusal("a: &base 1\n"),
            "line 1, column 4: anchors ('&') are not supported; write the content out where it is "
            "needed, or quote text that begins with '&'");
  EXPECT_EQ(Refusal("a: 1\nb: *base\n"),
            "line 2, column 4: aliases ('*') are not supported; write the content out where it is "
            "needed, or quote text that begins with '*'");
  EXPECT_EQ(Refusal("- !!str 1\n"),
            "line 1, column 3: tags ('!') are not supported; remove the tag, or quote text that "
            "begins with '!'");
  EXPECT_EQ(Refusal("a: [x, !t y]\n"),
            "line 1, column 8: tags ('!') are not supported; remove the tag, or quote text that "
            "begins with '!'");
  EXPECT_EQ(Refusal("%YAML 1.2\n---\na: 1\n"),
            "line 1, column 1: directives ('%YAML', '%TAG') are not supported; remove the line");
  EXPECT_EQ(Refusal("a: % of dose\n"),
            "line 1, column 4: text cannot begin with '%'; quote it: \"%...\"");
  EXPECT_EQ(Refusal("a: 1\n| b: 2\n"),
            "line 2, column 1: a key cannot begin with '|'; quote it: \"|...\"");
  EXPECT_EQ(Refusal("&a key: 1\n"),
            "line 1, column 1: anchors ('&') are not supported; write the content out where it is "
            "needed, or quote text that begins with '&'");
}

TEST(Yaml, RefusesComplexKeys) {
  EXPECT_EQ(Refusal("a: 1\n? b\n: 2\n"),
            "line 2, column 1: complex keys ('? ') are not supported; write 'key: value' with text "
            "as the key");
  EXPECT_EQ(PlainValue("?x"), "\"?x\"");
}

TEST(Yaml, RefusesDuplicateKeysNamingBothPlaces) {
  EXPECT_EQ(Refusal("steps:\n  - id: a\n    name: A\n    id: b\n"),
            "line 4, column 5: duplicate key 'id' (first at line 2, column 5); a key may appear "
            "only once in a mapping");
  EXPECT_EQ(Refusal("a: 1\n'a': 2\n"),
            "line 2, column 1: duplicate key 'a' (first at line 1, column 1); a key may appear "
            "only once in a mapping");
}

TEST(Yaml, RefusesASecondDocument) {
  EXPECT_EQ(Refusal("a: 1\n---\nb: 2\n"),
            "line 2, column 1: a second document ('---') is not supported; a file holds one "
            "document");
  EXPECT_EQ(Refusal("a: 1\n...\n---\nb: 2\n"),
            "line 3, column 1: a second document ('---') is not supported; a file holds one "
            "document");
  EXPECT_EQ(Refusal("a: 1\n...\nb: 2\n"),
            "line 3, column 1: nothing may follow '...', the end of the document, but comments");
  EXPECT_EQ(Refusal("--- a: 1\n"),
            "line 1, column 5: content on the '---' line is not supported; start the document on "
            "the next line");
}

TEST(Yaml, RefusesPlainTextContinuingOnTheNextLine) {
  EXPECT_EQ(Refusal("name: Receive and inspect\n  the apheresis bag\n"),
            "line 2, column 3: text cannot continue on the next line; keep it on one line, or "
            "write '|' after the key and the text on the lines below it, indented");
  EXPECT_EQ(Refusal("- one\n  two\n"),
            "line 2, column 3: text cannot continue on the next line; keep it on one line, or "
            "write '|' after the key and the text on the lines below it, indented");
}

TEST(Yaml, RefusesInconsistentIndentation) {
  EXPECT_EQ(Refusal("a:\n    b: 1\n  c: 2\n"),
            "line 3, column 3: inconsistent indentation: this line starts at column 3, but the "
            "keys of the mapping above start at column 1; align it with them, or with a block "
            "that encloses them");
  EXPECT_EQ(Refusal("- a: 1\n    b: 2\n"),
            "line 2, column 5: inconsistent indentation: this line is indented deeper than the "
            "line above, whose value is complete; align it with the keys or items above");
  EXPECT_EQ(Refusal("a:\n  - x\n    - y\n"),
            "line 3, column 5: text cannot continue on the next line; keep it on one line, or "
            "write '|' after the key and the text on the lines below it, indented");
  EXPECT_EQ(Refusal("a:\n  - [x]\n   - y\n"),
            "line 3, column 4: inconsistent indentation: this line is indented deeper than the "
            "line above, whose value is complete; align it with the keys or items above");
  EXPECT_EQ(Refusal("  a: 1\nb: 2\n"),
            "line 2, column 1: this line does not continue the document's top-level mapping at "
            "line 1, column 3; check its indentation");
  EXPECT_EQ(Refusal("- a\nb: 1\n"),
            "line 2, column 1: this line does not continue the document's top-level sequence at "
            "line 1, column 1; check its indentation");
  EXPECT_EQ(Refusal("a: 1\n- b\n"),
            "line 2, column 1: a '- ' item cannot stand among the 'key: value' lines of a "
            "mapping; put the sequence under a key of its own");
  EXPECT_EQ(Refusal("a: 1\nplain text\n"),
            "line 2, column 11: expected ':' after 'plain text': every line at this indentation "
            "is a 'key: value' of the mapping whose keys start at column 1");
}

TEST(Yaml, RefusesAMappingOnTheLineOfItsKey) {
  EXPECT_EQ(Refusal("a: b: c\n"),
            "line 1, column 5: a mapping cannot start on the line of its key; put its 'key: "
            "value' lines below, indented, or quote text that contains ': '");
  EXPECT_EQ(Refusal("a: - b\n"),
            "line 1, column 4: a sequence cannot start on the line of its key; put each '- item' "
            "on a line of its own below the key");
  EXPECT_EQ(Refusal("a: 'x': y\n"),
            "line 1, column 7: a mapping cannot start on the line of its key; put its 'key: "
            "value' lines below, indented, or quote text that contains ': '");
}

TEST(Yaml, RefusesInvalidUtf8AndControlCharacters) {
  EXPECT_EQ(Refusal("a: 1\nb: caf\xC3\n"),
            "line 2, column 7: invalid UTF-8 (byte 0xC3); save the file as UTF-8");
  EXPECT_EQ(Refusal("a: \xC3\xA9\xFF\n"),
            "line 1, column 5: invalid UTF-8 (byte 0xFF); save the file as UTF-8");
  EXPECT_EQ(Refusal("a: \xED\xA0\x80\n"),
            "line 1, column 4: invalid UTF-8 (byte 0xED); save the file as UTF-8");
  EXPECT_EQ(Refusal("a: b\x07\n"),
            "line 1, column 5: the control character U+0007 cannot appear in YAML text; write it "
            "as an escape in a \"double-quoted\" string");
  EXPECT_EQ(Refusal("a: \xC2\x85\n"),
            "line 1, column 4: the control character U+0085 cannot appear in YAML text; write it "
            "as an escape in a \"double-quoted\" string");
  EXPECT_EQ(Refusal("a: 1\rb: 2\n"),
            "line 1, column 5: a carriage return without a line feed; save the file with LF or "
            "CRLF line endings");
}

TEST(Yaml, RefusesNestingDeeperThanTheLimit) {
  YamlParseOptions options;
  options.max_depth = 3;
  EXPECT_EQ(Parsed("a:\n  b:\n    c: 1\n"), R"({"a":{"b":{"c":1}}})");
  EXPECT_EQ(Refusal("a:\n  b:\n    c:\n      - 1\n", options),
            "line 4, column 7: nesting deeper than 3 levels is not supported; flatten the "
            "structure");
  EXPECT_EQ(Refusal("a: [[[1]]]\n", options),
            "line 1, column 6: nesting deeper than 3 levels is not supported; flatten the "
            "structure");
  // Hostile input stops at the default limit rather than exhausting the stack.
  EXPECT_THAT(Refusal(std::string(100000, '[')),
              StartsWith("line 1, column 65: nesting deeper than 64 levels"));
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += std::string(static_cast<std::size_t>(i), ' ') + "- \n";
  EXPECT_THAT(Refusal(deep), StartsWith("line 65, column 65: nesting deeper than 64 levels"));
}

TEST(Yaml, CountsColumnsInCharactersRatherThanBytes) {
  EXPECT_EQ(Refusal("é: ü: x\n"),
            "line 1, column 5: a mapping cannot start on the line of its key; put its 'key: "
            "value' lines below, indented, or quote text that contains ': '");
  YamlPositions positions;
  ASSERT_TRUE(ParseYaml("ключ: [日本, 語]\n", &positions).has_value());
  EXPECT_EQ(positions.Of("/ключ/1"), At(1, 12));
}

// ---------------------------------------------------------------------------------------------
// Positions

TEST(Yaml, RecordsThePositionOfEveryNodeAndKey) {
  const std::string text =
      "format: aliquot.mbr/1\n"
      "steps:\n"
      "  - id: a\n"
      "    limits: {low: 1, high: 2}\n"
      "    tags: [x, y]\n"
      "  - id: b\n"
      "    text: |\n"
      "      hi\n"
      "    empty:\n"
      "\"a/b~c\": 1\n";
  YamlPositions positions;
  ASSERT_TRUE(ParseYaml(text, &positions).has_value());
  EXPECT_EQ(positions.Of(""), At(1, 1));
  EXPECT_EQ(positions.Of("/format"), At(1, 9));
  EXPECT_EQ(positions.KeyOf("/format"), At(1, 1));
  EXPECT_EQ(positions.Of("/steps"), At(3, 3));  // The first '-'.
  EXPECT_EQ(positions.KeyOf("/steps"), At(2, 1));
  EXPECT_EQ(positions.Of("/steps/0"), At(3, 5));  // The mapping's first key.
  EXPECT_EQ(positions.KeyOf("/steps/0"), std::nullopt);
  EXPECT_EQ(positions.Of("/steps/0/id"), At(3, 9));
  EXPECT_EQ(positions.KeyOf("/steps/0/id"), At(3, 5));
  EXPECT_EQ(positions.Of("/steps/0/limits"), At(4, 13));
  EXPECT_EQ(positions.Of("/steps/0/limits/high"), At(4, 28));
  EXPECT_EQ(positions.KeyOf("/steps/0/limits/high"), At(4, 22));
  EXPECT_EQ(positions.Of("/steps/0/tags/1"), At(5, 15));
  EXPECT_EQ(positions.Of("/steps/1"), At(6, 5));
  EXPECT_EQ(positions.Of("/steps/1/text"), At(7, 11));
  // A member with no value stands where its key is.
  EXPECT_EQ(positions.Of("/steps/1/empty"), At(9, 5));
  EXPECT_EQ(positions.KeyOf("/steps/1/empty"), At(9, 5));
  EXPECT_EQ(positions.Of("/a~1b~0c"), At(10, 10));
  EXPECT_EQ(positions.KeyOf("/a~1b~0c"), At(10, 1));
  EXPECT_EQ(positions.Of("/steps/2"), std::nullopt);
  EXPECT_EQ(positions.KeyOf(""), std::nullopt);
}

TEST(Yaml, FindsTheNearestKnownAncestorOfAMissingNode) {
  YamlPositions positions;
  ASSERT_TRUE(ParseYaml("a: 1\nsteps:\n  - id: x\n", &positions).has_value());
  EXPECT_EQ(positions.Nearest("/steps/0/name"), (YamlPosition{3, 5}));
  EXPECT_EQ(positions.Nearest("/steps/4/name/deeper"), (YamlPosition{3, 3}));
  EXPECT_EQ(positions.Nearest("/missing"), (YamlPosition{1, 1}));
  EXPECT_EQ(positions.Nearest("/a"), (YamlPosition{1, 4}));
  EXPECT_EQ(YamlPositions().Nearest("/anything"), (YamlPosition{1, 1}));
}

TEST(Yaml, EscapesJsonPointerTokens) {
  EXPECT_EQ(JsonPointerAppend("/steps", "a/b"), "/steps/a~1b");
  EXPECT_EQ(JsonPointerAppend("", "~x~/"), "/~0x~0~1");
  EXPECT_EQ(JsonPointerAppend("", ""), "/");
  EXPECT_EQ(JsonPointerAppend("/steps", std::size_t{12}), "/steps/12");
}

// ---------------------------------------------------------------------------------------------
// The definition file of docs/recipes.md

constexpr std::string_view kRecipeExample =
    R"(format: aliquot.mbr/1             # required, exactly this
master_batch_record: MBR-CAR19    # the record it is a version of (2-32 of A-Z, 0-9, -)
product: CAR19                    # that record's product
title: Autologous anti-CD19 CAR-T, 1 L closed bag process
batch_size: One patient dose from one apheresis collection (1 L culture)
phases: [phase_2, phase_3]        # phase_1, phase_2, phase_3, commercial

batch_inputs:                     # entered when a batch is created; formulas use batch.<id>
  - id: body_weight
    name: Patient body weight
    kind: number                  # number or integer
    unit: kg
    criticality: kpp              # cpp, kpp, informational, cqa
    action: {low: 30, high: 150}

identifiers:                      # chain of identity: travel with every batch (T-01, T-02)
  - id: patient_code
    name: Patient code (COI)
    format: coi_code              # coi_code (distinct code with check character) or text

unit_procedures:                  # the procedure: unit procedures of operations (steps)
  - id: receipt
    name: Apheresis receipt and T-cell enrichment
    operations:
      - id: apheresis_receipt     # unique across the definition; not "batch"
        name: Receive and inspect the apheresis bag
        sop: SOP-CT-002           # a controlled document; execution demands its effective version
        instructions: |
          Check the bag label against the order ...
        after: []                 # predecessors; left out: the step before it in the file
        equipment: [biosafety_cabinet]          # equipment classes required
        scan_identity: [patient_code]           # labels scanned and matched here
        verification: second_person             # or none (the default)
        duration: {min: 10 min, max: 2 h}       # either bound may be left out
        materials:                              # bill of materials
          - material: MAT-MEDIUM
            quantity: 1000 mL                   # a quantity, or a formula in the material's unit
            tolerance: 5 %                      # relative (%) or absolute ("0.5 mL")
          - material: MAT-CRYO
            quantity: 0.5 [mL/kg] * batch.body_weight
        parameters:
          - id: viability
            name: Viability
            kind: number          # number, integer, text, choice, boolean, timestamp, identifier
            unit: "%"             # numbers need one; integers may have a count unit; others none
            criticality: cpp
            target: 92
            alert: {low: 80}      # inside the action limits
            action: {low: 70}     # a value outside is a deviation
            required: false       # default true
            source: {equipment_class: cell_counter, tag: viability}  # may supply it itself
          - id: appearance
            name: Bag appearance
            kind: choice
            criticality: kpp
            options: [intact, damaged, leaking]
            acceptable: [intact]
          - id: seal_intact
            name: Seals intact
            kind: boolean
            criticality: cpp
            expected: true
        calculations:
          - id: total_viable_cells
            name: Total viable cells
            formula: viable_concentration * volume
            unit: cells
            criticality: cpp
            action: {low: 5.0e+8}
        samples:
          - id: incoming_count
            name: Incoming count and viability
            quantity: 1 mL
            tests: Total nucleated cells, viability, CD3+ % (SOP-CT-004)

time_rules:                       # hold times between steps
  - id: transduction_window
    name: Transduction starts 18-30 h after activation
    from: {step: activation, at: end}     # at: start or end
    to: {step: transduction, at: start}
    min: 18 h
    max: 30 h

expiry_clocks:                    # product expiry (T-03: the label carries it)
  - id: dmso_exposure
    name: Formulated cells frozen within 60 min of DMSO addition
    starts: {step: formulation, at: end}
    lasts: 60 min
)";

// The node at an RFC 6901 pointer whose tokens need no escapes; nullptr when absent.
const Json* Pointed(const Json& root, std::string_view pointer) {
  const Json* node = &root;
  while (!pointer.empty() && node != nullptr) {
    pointer.remove_prefix(1);
    const std::size_t slash = pointer.find('/');
    const std::string_view token = pointer.substr(0, slash);
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(slash);
    if (node->IsArray()) {
      const std::size_t index = std::stoul(std::string(token));
      node = index < node->AsArray().size() ? &node->AsArray()[index] : nullptr;
    } else {
      node = node->Find(token);
    }
  }
  return node;
}

std::string CanonicalAt(const Json& root, std::string_view pointer) {
  const Json* node = Pointed(root, pointer);
  return node == nullptr ? "absent" : CanonicalJson(*node);
}

TEST(Yaml, ReadsTheDefinitionFileOfTheDocumentation) {
  YamlPositions positions;
  Result<Json> parsed = ParseYaml(kRecipeExample, &positions);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  const Json& file = *parsed;
  const std::string operation = "/unit_procedures/0/operations/0";
  EXPECT_EQ(CanonicalAt(file, "/format"), "\"aliquot.mbr/1\"");
  EXPECT_EQ(CanonicalAt(file, "/title"), "\"Autologous anti-CD19 CAR-T, 1 L closed bag process\"");
  EXPECT_EQ(CanonicalAt(file, "/phases"), R"(["phase_2","phase_3"])");
  EXPECT_EQ(CanonicalAt(file, "/batch_inputs/0/action"), R"({"high":150,"low":30})");
  EXPECT_EQ(CanonicalAt(file, "/identifiers/0/name"), "\"Patient code (COI)\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/instructions"),
            "\"Check the bag label against the order ...\\n\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/after"), "[]");
  EXPECT_EQ(CanonicalAt(file, operation + "/duration"), R"({"max":"2 h","min":"10 min"})");
  EXPECT_EQ(CanonicalAt(file, operation + "/materials/0/quantity"), "\"1000 mL\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/materials/0/tolerance"), "\"5 %\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/materials/1/quantity"),
            "\"0.5 [mL/kg] * batch.body_weight\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/0/unit"), "\"%\"");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/0/target"), "92");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/0/required"), "false");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/0/source"),
            R"({"equipment_class":"cell_counter","tag":"viability"})");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/1/options"),
            R"(["intact","damaged","leaking"])");
  EXPECT_EQ(CanonicalAt(file, operation + "/parameters/2/expected"), "true");
  EXPECT_EQ(CanonicalAt(file, operation + "/calculations/0/action/low"), "500000000");
  EXPECT_EQ(CanonicalAt(file, operation + "/samples/0/tests"),
            "\"Total nucleated cells, viability, CD3+ % (SOP-CT-004)\"");
  EXPECT_EQ(CanonicalAt(file, "/time_rules/0/from"), R"({"at":"end","step":"activation"})");
  EXPECT_EQ(CanonicalAt(file, "/time_rules/0/min"), "\"18 h\"");
  EXPECT_EQ(CanonicalAt(file, "/expiry_clocks/0/lasts"), "\"60 min\"");

  EXPECT_EQ(positions.Of("/unit_procedures"), At(22, 3));
  EXPECT_EQ(positions.KeyOf("/unit_procedures"), At(21, 1));
  EXPECT_EQ(positions.Of("/batch_inputs/0/action"), At(14, 13));
  EXPECT_EQ(positions.KeyOf("/batch_inputs/0/action"), At(14, 5));
  EXPECT_EQ(positions.Of(operation + "/instructions"), At(28, 23));
  EXPECT_EQ(positions.Of(operation + "/materials/1"), At(39, 13));
  EXPECT_EQ(positions.Of(operation + "/materials/1/quantity"), At(40, 23));
  EXPECT_EQ(positions.Of(operation + "/parameters/0"), At(42, 13));
  EXPECT_EQ(positions.Of("/time_rules/0/from"), At(79, 11));

  // The export of what was read reads back the same, and is itself stable.
  const std::string exported = EmitYaml(file);
  EXPECT_EQ(RoundTrip(file), file);
  EXPECT_EQ(EmitYaml(RoundTrip(file)), exported);
  EXPECT_THAT(exported, HasSubstr("\nbatch_inputs:\n  - id: body_weight\n    name: Patient body "
                                  "weight\n"));
  EXPECT_THAT(exported, HasSubstr("\n    action: {low: 30, high: 150}\n"));
  EXPECT_THAT(exported, HasSubstr("\n        instructions: |\n          Check the bag label "
                                  "against the order ...\n        after: []\n"));
  EXPECT_THAT(exported, HasSubstr("\n            quantity: 0.5 [mL/kg] * batch.body_weight\n"));
  EXPECT_THAT(exported, HasSubstr("\n            unit: \"%\"\n"));
  EXPECT_THAT(exported, HasSubstr("\n            action: {low: 5.0e+8}\n"));
}

// ---------------------------------------------------------------------------------------------
// Emitter

TEST(Yaml, EmitsBlockStyleInJsonOrderWithFlowForShortScalarCollections) {
  const Json value = Object({
      {"format", "aliquot.mbr/1"},
      {"phases", Array({"phase_2", "phase_3"})},
      {"batch_inputs", Array({Object({{"id", "body_weight"},
                                      {"action", Object({{"low", 30}, {"high", 150}})},
                                      {"tags", Array({Object({{"a", 1}}), Array({})})}}),
                              Object({{"id", "x"}})})},
      {"after", Array({})},
      {"empty", Object({})},
      {"instructions", "Check the bag.\nTwo people.\n"},
      {"unit", "%"},
      {"required", false},
      {"target", 92},
      {"none", Json()},
      {"nested", Array({Array({1, Array({2, 3})}), Array({4})})},
  });
  EXPECT_EQ(EmitYaml(value),
            "format: aliquot.mbr/1\n"
            "phases: [phase_2, phase_3]\n"
            "batch_inputs:\n"
            "  - id: body_weight\n"
            "    action: {low: 30, high: 150}\n"
            "    tags:\n"
            "      - a: 1\n"
            "      - []\n"
            "  - id: x\n"
            "after: []\n"
            "empty: {}\n"
            "instructions: |\n"
            "  Check the bag.\n"
            "  Two people.\n"
            "unit: \"%\"\n"
            "required: false\n"
            "target: 92\n"
            "none: null\n"
            "nested:\n"
            "  - - 1\n"
            "    - [2, 3]\n"
            "  - [4]\n");
  EXPECT_EQ(RoundTrip(value), value);
}

TEST(Yaml, EmitsTopLevelScalarsAndEmptyCollections) {
  EXPECT_EQ(EmitYaml(Json()), "null\n");
  EXPECT_EQ(EmitYaml(Json("text")), "text\n");
  EXPECT_EQ(EmitYaml(Json("...")), "\"...\"\n");
  EXPECT_EQ(EmitYaml(Json("two\nlines")), "|-\n  two\n  lines\n");
  EXPECT_EQ(EmitYaml(Array({})), "[]\n");
  EXPECT_EQ(EmitYaml(Object({})), "{}\n");
  EXPECT_EQ(EmitYaml(Array({1, "a"})), "[1, a]\n");
  EXPECT_EQ(EmitYaml(Object({{"a", 1}})), "a: 1\n");
}

TEST(Yaml, QuotesTextThatPlainWouldReadAsSomethingElse) {
  for (const std::string_view text :
       {"yes",     "No",          "ON",     "off",  "y",     "N",     "null", "Null",
        "~",       "true",        "FALSE",  "1.10", "12",    "-3",    "1e5",  ".5",
        ".inf",    "-.Inf",       ".nan",   "0x1F", "0o7",   "1_000", "1:30", "2024-01-31",
        "",        " lead",       "trail ", "- x",  "-",     "? x",   ": x",  "key:",
        "a: b",    "x #y",        "#c",     "&a",   "*a",    "!t",    "|",    ">",
        "'q",      "\"q",         "%",      "@x",   "`x",    ",x",    "[x]",  "{x}",
        "]",       "}",           "...",    "---",  "--- x", "<<",    "=",    "tab\there",
        "nul\x01", "\xE2\x80\xA8"}) {
    const std::string emitted = EmitYaml(Object({{"v", text}}));
    EXPECT_TRUE(emitted.starts_with("v: \"")) << text << " -> " << emitted;
    EXPECT_EQ(RoundTrip(Object({{"v", text}})), Object({{"v", text}})) << text;
  }
  for (const std::string_view text :
       {"18 h", "5 %", "0.5 [mL/kg] * batch.body_weight", "a#b", "a:b", "it's", "MAT-MEDIUM",
        "Total nucleated cells, viability, CD3+ % (SOP-CT-004)", "x-1", "café", "a {b}"}) {
    EXPECT_EQ(EmitYaml(Object({{"v", text}})), "v: " + std::string(text) + "\n");
  }
}

TEST(Yaml, QuotesFlowIndicatorsInsideFlowCollections) {
  const Json value = Object({{"v", Array({"a,b", "[x]", "{y}", "plain text", "a:b"})}});
  EXPECT_EQ(EmitYaml(value), "v: [\"a,b\", \"[x]\", \"{y}\", plain text, a:b]\n");
  EXPECT_EQ(RoundTrip(value), value);
}

TEST(Yaml, EscapesControlCharactersInDoubleQuotes) {
  const std::string text = std::string("a\"b\\c\td") + '\0' + "\r\x1B\x7F\xC2\x85\xEF\xBB\xBF";
  EXPECT_EQ(EmitYaml(Json(text)), "\"a\\\"b\\\\c\\td\\0\\r\\x1B\\x7F\\x85\\uFEFF\"\n");
  EXPECT_EQ(RoundTrip(Json(text)), Json(text));
}

TEST(Yaml, ChoosesTheChompingThatKeepsTheTrailingLineBreaks) {
  EXPECT_EQ(EmitYaml(Object({{"t", "a\nb"}})), "t: |-\n  a\n  b\n");
  EXPECT_EQ(EmitYaml(Object({{"t", "a\n\nb\n"}})), "t: |\n  a\n\n  b\n");
  EXPECT_EQ(EmitYaml(Object({{"t", "a\n  b\n\n\n"}})), "t: |+\n  a\n    b\n\n\n");
  EXPECT_EQ(EmitYaml(Array({"\nx\n"})), "- |\n\n  x\n");
  for (const std::string_view text : {"a\nb", "a\n\nb\n", "a\n  b\n\n\n", "\nx\n", "\n\n#x\n"}) {
    EXPECT_EQ(RoundTrip(Object({{"t", text}})), Object({{"t", text}})) << text;
    EXPECT_EQ(RoundTrip(Array({text, Object({{"t", text}})})),
              Array({text, Object({{"t", text}})}));
  }
}

TEST(Yaml, QuotesMultiLineTextALiteralBlockCannotHoldExactly) {
  EXPECT_EQ(EmitYaml(Object({{"t", " lead\nb"}})), "t: \" lead\\nb\"\n");
  EXPECT_EQ(EmitYaml(Object({{"t", "trailing \nb"}})), "t: \"trailing \\nb\"\n");
  EXPECT_EQ(EmitYaml(Object({{"t", "\n\n"}})), "t: \"\\n\\n\"\n");
  EXPECT_EQ(EmitYaml(Object({{"t", "tab\there\nb"}})), "t: \"tab\\there\\nb\"\n");
  EXPECT_EQ(EmitYaml(Object({{"multi\nline key", 1}})), "\"multi\\nline key\": 1\n");
}

TEST(Yaml, QuotesKeysLikeValues) {
  const Json value = Object({{"a: b", 1}, {"", 2}, {"yes", 3}, {"1", 4}, {"-x", 5}, {"plain", 6}});
  EXPECT_EQ(EmitYaml(value), "\"a: b\": 1\n\"\": 2\n\"yes\": 3\n\"1\": 4\n\"-x\": 5\nplain: 6\n");
  EXPECT_EQ(RoundTrip(value), value);
}

TEST(Yaml, EmitsNumbersThatReadBackExactly) {
  EXPECT_EQ(EmitYaml(Json(1e21)), "1.0e+21\n");
  EXPECT_EQ(EmitYaml(Json(1.5e-7)), "1.5e-7\n");
  EXPECT_EQ(EmitYaml(Json(0.1)), "0.1\n");
  EXPECT_EQ(EmitYaml(Json(-0.0)), "0\n");
  EXPECT_EQ(EmitYaml(Json(Json::kMaxExactInteger)), "9007199254740991\n");
  // Integral doubles beyond 2^53 are written as floats: the parser refuses such integers.
  EXPECT_EQ(EmitYaml(Json(1e20)), "1.0e+20\n");
  EXPECT_EQ(EmitYaml(Json(2.5e9)), "2.5e+9\n");
  EXPECT_EQ(EmitYaml(Json(123456789.0)), "123456789\n");
  EXPECT_EQ(EmitYaml(Json(1e100)), "1.0e+100\n");
  EXPECT_EQ(EmitYaml(Json(-9007199254740992.0)), "-9007199254740992.0\n");
  for (const double number :
       {1e21, 1e20, -9007199254740992.0, 5e-324, 1.7976931348623157e308, -2.5, 123456789.125}) {
    EXPECT_EQ(RoundTrip(Json(number)), Json(number)) << number;
  }
}

TEST(Yaml, WritesFlowOnlyWhenTheLineFitsInOneHundredColumns) {
  // "k: [" and "]" around 30 items "a, " and one of b's: a line of 5 + 90 + width columns.
  const auto items_of_width = [](std::size_t width) {
    Json::Array items(30, Json("a"));
    items.emplace_back(std::string(width - 90, 'b'));
    return Json(std::move(items));
  };
  const Json fits = Object({{"k", items_of_width(95)}});
  const Json too_wide = Object({{"k", items_of_width(96)}});
  const std::string fits_text = EmitYaml(fits);
  ASSERT_TRUE(fits_text.starts_with("k: [")) << fits_text;
  EXPECT_EQ(fits_text.size(), 101u);  // 100 columns and the line break.
  EXPECT_TRUE(EmitYaml(too_wide).starts_with("k:\n  - a\n")) << EmitYaml(too_wide);
  EXPECT_EQ(RoundTrip(too_wide), too_wide);
}

// ---------------------------------------------------------------------------------------------
// Round trip: properties

// Text of every kind a definition file may hold and some it should not: words a YAML reader could
// take for another type, indicators, line breaks, spaces at either end, control characters and
// characters from every plane.
rc::Gen<std::string> ArbitraryText() {
  const rc::Gen<std::uint32_t> code_point = rc::gen::weightedOneOf<std::uint32_t>({
      {8, rc::gen::inRange<std::uint32_t>(0x20, 0x7F)},
      {3, rc::gen::element<std::uint32_t>(' ', '\n', '\t', ':', '#', '-', '\'', '"', '\\', ',', '[',
                                          ']', '{', '}', '|', '>', '&', '*', '!', '%', '@', '`',
                                          '?', '~', '.')},
      {1, rc::gen::element<std::uint32_t>(0x0, 0x1, 0x7F, 0x85, 0xA0, 0xFEFF, 0x2028, '\r')},
      {1, rc::gen::inRange<std::uint32_t>(0x80, 0xD800)},
      {1, rc::gen::inRange<std::uint32_t>(0xE000, 0x110000)},
  });
  const rc::Gen<std::string> random =
      rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(code_point),
                   [](const std::vector<std::uint32_t>& code_points) {
                     std::string text;
                     for (const std::uint32_t c : code_points) AppendUtf8(c, text);
                     return text;
                   });
  const rc::Gen<std::string> special = rc::gen::element<std::string>(
      "yes", "No", "null", "~", "", "1.10", "12", "-3", "1e5", ".inf", "- x", "a: b", "x #y",
      "key:", "...", "---", "|", "18 h", "5 %", "0.5 [mL/kg] * x", " lead", "trail ", "a\nb",
      "a\nb\n", "a\n\n", "\n", "\nx", " x\ny", "x \ny", "é", "日本", "\U0001F600", "true", "0x1F");
  return rc::gen::weightedOneOf<std::string>({
      {3, random},
      {2, special},
      {1, rc::gen::map(rc::gen::pair(special, random),
                       [](const std::pair<std::string, std::string>& parts) {
                         return parts.first + parts.second;
                       })},
  });
}

// Numbers of every form: integers up to 2^53 (as Json stores them, doubles that are integral),
// doubles of any magnitude, and the edges. Json compares numbers as doubles, so 2 and 2.0 are one
// value and the property holds for whichever form the emitter writes.
rc::Gen<double> ArbitraryNumber() {
  return rc::gen::oneOf(
      rc::gen::map(
          rc::gen::inRange<std::int64_t>(-Json::kMaxExactInteger, Json::kMaxExactInteger + 1),
          [](std::int64_t value) { return static_cast<double>(value); }),
      rc::gen::map(rc::gen::inRange<std::int64_t>(-1000, 1000),
                   [](std::int64_t value) { return static_cast<double>(value); }),
      rc::gen::suchThat(rc::gen::arbitrary<double>(),
                        [](double value) { return std::isfinite(value); }),
      rc::gen::element(0.1, 1.1, -2.5, 1e21, 1e20, 5e-324, 1.7976931348623157e308, -0.0, 0.5,
                       9007199254740991.0, 9007199254740992.0, -9007199254740993.0, 1e-7));
}

rc::Gen<Json> ArbitraryJson(int depth) {
  rc::Gen<Json> scalar = rc::gen::oneOf(
      rc::gen::just(Json()),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool value) { return Json(value); }),
      rc::gen::map(ArbitraryNumber(), [](double value) { return Json(value); }),
      rc::gen::map(ArbitraryText(), [](std::string value) { return Json(std::move(value)); }));
  if (depth == 0) return scalar;
  const rc::Gen<Json> element = ArbitraryJson(depth - 1);
  const rc::Gen<Json> array = rc::gen::mapcat(rc::gen::inRange(0, 5), [element](int count) {
    return rc::gen::map(
        rc::gen::container<std::vector<Json>>(static_cast<std::size_t>(count), element),
        [](std::vector<Json> items) { return Json(Json::Array(std::move(items))); });
  });
  const rc::Gen<Json> object = rc::gen::mapcat(rc::gen::inRange(0, 5), [element](int count) {
    return rc::gen::map(
        rc::gen::container<std::vector<std::pair<std::string, Json>>>(
            static_cast<std::size_t>(count), rc::gen::pair(ArbitraryText(), element)),
        [](std::vector<std::pair<std::string, Json>> members) {
          // Keys are unique in a mapping; keep the first of each.
          Json::Object unique;
          for (auto& member : members) {
            const bool seen = std::any_of(unique.begin(), unique.end(), [&](const auto& kept) {
              return kept.first == member.first;
            });
            if (!seen) unique.push_back(std::move(member));
          }
          return Json(std::move(unique));
        });
  });
  return rc::gen::weightedOneOf<Json>({{3, scalar}, {2, array}, {2, object}});
}

RC_GTEST_PROP(Yaml, ParsesWhatItEmitsToAnEqualValue, ()) {
  const Json value = *ArbitraryJson(4);
  const std::string text = EmitYaml(value);
  RC_LOG() << "value: " << CanonicalJson(value) << "\nYAML:\n" << text;
  Result<Json> parsed = ParseYaml(text);
  RC_ASSERT(parsed.has_value());
  RC_ASSERT(*parsed == value);
  // Members keep their order, so the emitter's output is stable under a round trip.
  RC_ASSERT(EmitYaml(*parsed) == text);
}

RC_GTEST_PROP(Yaml, RecordsAPositionForEveryEmittedNode, ()) {
  const Json value = *ArbitraryJson(3);
  YamlPositions positions;
  RC_ASSERT(ParseYaml(EmitYaml(value), &positions).has_value());
  // Every node of the value has a position: walk it and ask for each pointer.
  std::vector<std::pair<std::string, const Json*>> pending = {{"", &value}};
  while (!pending.empty()) {
    const auto [pointer, node] = pending.back();
    pending.pop_back();
    RC_ASSERT(positions.Of(pointer).has_value());
    if (node->IsArray()) {
      for (std::size_t i = 0; i < node->AsArray().size(); ++i) {
        pending.emplace_back(JsonPointerAppend(pointer, i), &node->AsArray()[i]);
      }
    } else if (node->IsObject()) {
      for (const auto& [key, member] : node->AsObject()) {
        const std::string child = JsonPointerAppend(pointer, key);
        RC_ASSERT(positions.KeyOf(child).has_value());
        pending.emplace_back(child, &member);
      }
    }
  }
}

RC_GTEST_PROP(Yaml, RefusesArbitraryBytesOnlyWithAPositionedInvalidArgument, ()) {
  const std::string text = *rc::gen::container<std::string>(
      rc::gen::element<char>('a', '1', ' ', ' ', '\n', '-', ':', '#', '[', ']', '{', '}', ',', '\'',
                             '"', '|', '>', '\\', '\t', '&', '.', '\xC3', '\xA9'));
  Result<Json> parsed = ParseYaml(text);
  if (!parsed) {
    RC_ASSERT(parsed.error().Code() == ErrorCode::kInvalidArgument);
    RC_ASSERT(parsed.error().Message().starts_with("line "));
  } else {
    Result<Json> again = ParseYaml(EmitYaml(*parsed));
    RC_ASSERT(again.has_value());
    RC_ASSERT(*again == *parsed);
  }
}

// ---------------------------------------------------------------------------------------------
// Size

// A definition file of ~300 KB: both the block reader and a long flow line stay linear (the
// column of a node is counted from the last one asked for on its line, not from the line start).
TEST(Yaml, ReadsLargeFilesInOnePass) {
  std::string text = "operations:\n";
  for (int i = 0; text.size() < 300'000; ++i) {
    text += "  - id: op_" + std::to_string(i) + "\n    name: Operation " + std::to_string(i) +
            " with some words\n    limits: {low: 1.5, high: 2e3}\n    tags: [a, b, ü]\n" +
            "    text: |\n      one line\n      two lines\n";
  }
  YamlPositions positions;
  Result<Json> parsed = ParseYaml(text, &positions);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().Message();
  EXPECT_EQ(ParseYaml(EmitYaml(*parsed)), parsed);

  std::string line = "v: [";
  for (int i = 0; i < 50'000; ++i) line += "é, ";
  line += "x]\n";
  ASSERT_TRUE(ParseYaml(line, &positions).has_value());
  EXPECT_EQ(positions.Of("/v/50000"), At(1, 150'005));
}

// A hostile file under the body limit: one 50 KB key over 10,000 items. Read without positions it
// is an ordinary document; recording where each item is would hold 500 MB of pointers, so that is
// refused, with the position where the bound was crossed.
TEST(Yaml, BoundsWhatRecordingPositionsMayHold) {
  const std::string key(50'000, 'k');
  std::string text = key + ":\n";
  for (int i = 0; i < 10'000; ++i) text += "  - 1\n";
  auto plain = ParseYaml(text);
  ASSERT_TRUE(plain.has_value()) << plain.error().Message();
  EXPECT_EQ(plain->Find(key)->AsArray().size(), 10'000U);
  YamlPositions positions;
  auto placed = ParseYaml(text, &positions);
  ASSERT_FALSE(placed.has_value());
  EXPECT_EQ(placed.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(placed.error().Message(), ::testing::StartsWith("line "));
  EXPECT_THAT(placed.error().Message(), ::testing::HasSubstr("too many or too long keys"));
}

}  // namespace
}  // namespace aliquot
