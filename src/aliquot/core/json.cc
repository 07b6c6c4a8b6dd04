#include "aliquot/core/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/utf8.h"

namespace aliquot {
namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8

std::string_view DescribeUtf8Problem(Utf8Problem problem) {
  switch (problem) {
    case Utf8Problem::kNone:
      break;
    case Utf8Problem::kIncomplete:
      return "invalid UTF-8 in string: incomplete multi-byte sequence";
    case Utf8Problem::kContinuationWithoutLead:
      return "invalid UTF-8 in string: continuation byte without a lead byte";
    case Utf8Problem::kOverlong:
      return "invalid UTF-8 in string: overlong encoding";
    case Utf8Problem::kSurrogate:
      return "invalid UTF-8 in string: encoded surrogate (U+D800..U+DFFF)";
    case Utf8Problem::kAboveMaximum:
      return "invalid UTF-8 in string: code point above U+10FFFF";
  }
  return "invalid UTF-8 in string";
}

// A key that orders code points as their UTF-16 code units order: U+E000..U+FFFF are single
// units above the surrogates (D800..DFFF) that encode U+10000 and beyond, so they move up past
// every supplementary code point. Elsewhere UTF-16 order is code point order.
char32_t Utf16SortKey(char32_t code_point) {
  return code_point >= 0xE000 && code_point <= 0xFFFF ? code_point + 0x110000 : code_point;
}

// RFC 8785 section 3.2.3: compares names as arrays of UTF-16 code units. Both must be valid
// UTF-8. UTF-8 byte order is code point order, so only the first differing character matters.
bool LessByUtf16CodeUnits(std::string_view a, std::string_view b) {
  const auto [in_a, in_b] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (in_b == b.end()) return false;  // b is a prefix of a, or equal to it.
  if (in_a == a.end()) return true;   // a is a proper prefix of b.
  // The common prefix ends on the same character boundary in both; step back to it.
  auto pos = static_cast<std::size_t>(in_a - a.begin());
  while (pos > 0 && (static_cast<unsigned char>(a[pos]) & 0xC0) == 0x80) --pos;
  return Utf16SortKey(DecodeUtf8(a, pos).code_point) < Utf16SortKey(DecodeUtf8(b, pos).code_point);
}

// ---------------------------------------------------------------------------------------------
// Canonical form

void AppendCanonicalNumber(double value, std::string& out) {
  ALIQUOT_CHECK_MSG(std::isfinite(value), "a JSON number is finite");
  if (value == 0) {  // Both zeros: ECMAScript prints -0 as "0".
    out.push_back('0');
    return;
  }
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  // to_chars gives the shortest digits that round-trip, the nearest such when several do, which
  // is what ECMA-262 (Number::toString, step 5) asks for. We only lay them out differently.
  char buffer[32];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  ALIQUOT_CHECK(ec == std::errc());
  // buffer holds "d[.ddd]e[+-]xx".
  char digits[24];
  std::size_t k = 0;  // ECMA-262's k: the number of significant digits.
  const char* p = buffer;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  ALIQUOT_CHECK(p != end && k >= 1 && k <= 17);
  ++p;
  const bool negative_exponent = *p == '-';
  if (*p == '+' || *p == '-') ++p;
  int exponent = 0;
  const auto parsed = std::from_chars(p, end, exponent);
  ALIQUOT_CHECK(parsed.ec == std::errc() && parsed.ptr == end);
  if (negative_exponent) exponent = -exponent;

  // ECMA-262's n: the value is 0.digits * 10^n.
  const int n = exponent + 1;
  const int digit_count = static_cast<int>(k);
  const auto count = [](int c) { return static_cast<std::size_t>(c); };
  if (digit_count <= n && n <= 21) {
    out.append(digits, k);
    out.append(count(n - digit_count), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, count(n));
    out.push_back('.');
    out.append(digits + n, count(digit_count - n));
  } else if (-6 < n && n <= 0) {
    out.append("0.");
    out.append(count(-n), '0');
    out.append(digits, k);
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits + 1, k - 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    out.append(std::to_string(std::abs(n - 1)));
  }
}

void AppendCanonical(const Json& value, std::string& out) {
  switch (value.GetType()) {
    case Json::Type::kNull:
      out.append("null");
      return;
    case Json::Type::kBool:
      out.append(value.AsBool() ? "true" : "false");
      return;
    case Json::Type::kNumber:
      AppendCanonicalNumber(value.AsNumber(), out);
      return;
    case Json::Type::kString:
      AppendJsonString(value.AsString(), out);
      return;
    case Json::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Json& item : value.AsArray()) {
        if (!first) out.push_back(',');
        first = false;
        AppendCanonical(item, out);
      }
      out.push_back(']');
      return;
    }
    case Json::Type::kObject: {
      const Json::Object& members = value.AsObject();
      std::vector<const Json::Object::value_type*> sorted;
      sorted.reserve(members.size());
      for (const auto& member : members) sorted.push_back(&member);
      std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return LessByUtf16CodeUnits(a->first, b->first);
      });
      out.push_back('{');
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i > 0) {
          // RFC 8785 section 3.1 requires I-JSON: a text with two equal names has no canonical
          // form, and a ledger must not hash an ambiguous one.
          ALIQUOT_CHECK_MSG(sorted[i - 1]->first != sorted[i]->first,
                            "a JSON object has two members with the same name");
          out.push_back(',');
        }
        AppendJsonString(sorted[i]->first, out);
        out.push_back(':');
        AppendCanonical(sorted[i]->second, out);
      }
      out.push_back('}');
      return;
    }
  }
}

bool ObjectsEqual(const Json::Object& a, const Json::Object& b) {
  if (a.size() != b.size()) return false;
  using Member = const Json::Object::value_type*;
  const auto sorted = [](const Json::Object& members) {
    std::vector<Member> pointers;
    pointers.reserve(members.size());
    for (const auto& member : members) pointers.push_back(&member);
    std::stable_sort(pointers.begin(), pointers.end(),
                     [](Member x, Member y) { return x->first < y->first; });
    return pointers;
  };
  const std::vector<Member> sorted_a = sorted(a);
  const std::vector<Member> sorted_b = sorted(b);
  for (std::size_t i = 0; i < sorted_a.size(); ++i) {
    if (sorted_a[i]->first != sorted_b[i]->first) return false;
    if (!(sorted_a[i]->second == sorted_b[i]->second)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Parser

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view text, JsonParseOptions options) : text_(text), options_(options) {}

  Result<Json> ParseText() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      return Fail(0,
                  "found a UTF-8 byte order mark; JSON text must not begin with one (RFC 8259 "
                  "section 8.1)");
    }
    SkipWhitespace();
    Json value;
    ALIQUOT_RETURN_IF_ERROR(ParseValue(value, 0));
    SkipWhitespace();
    if (!AtEnd()) return Fail(pos_, "unexpected " + Describe(pos_) + " after the JSON value");
    return value;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Next(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool NextIsDigit() const { return pos_ < text_.size() && IsDigit(text_[pos_]); }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  // How a person should read the byte at `offset` in a message: 'x', byte 0x01, end of text.
  std::string Describe(std::size_t offset) const {
    if (offset >= text_.size()) return "end of text";
    const auto byte = static_cast<unsigned char>(text_[offset]);
    if (byte >= 0x21 && byte <= 0x7E) return std::string("'") + text_[offset] + "'";
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0x0F];
  }

  static tl::unexpected<Error> Fail(std::size_t offset, std::string_view what) {
    return Unexpected(
        InvalidArgument("JSON: at byte " + std::to_string(offset) + ": " + std::string(what)));
  }

  Status ParseValue(Json& out, int depth) {
    if (AtEnd()) return Fail(pos_, "expected a value, found end of text");
    switch (text_[pos_]) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"': {
        std::string text;
        ALIQUOT_RETURN_IF_ERROR(ParseString(text));
        out = Json(std::move(text));
        return {};
      }
      case 't':
        return ParseLiteral("true", Json(true), out);
      case 'f':
        return ParseLiteral("false", Json(false), out);
      case 'n':
        return ParseLiteral("null", Json(), out);
      case '+':
        return Fail(pos_, "expected a value, found '+' (a JSON number has no leading '+')");
      case '.':
        return Fail(pos_, "expected a value, found '.' (a JSON number has a digit before '.')");
      case 'N':
      case 'I':
        return Fail(pos_, "expected a value, found " + Describe(pos_) +
                              " (NaN and Infinity are not JSON numbers)");
      default:
        if (text_[pos_] == '-' || IsDigit(text_[pos_])) return ParseNumber(out);
        return Fail(pos_, "expected a value, found " + Describe(pos_));
    }
  }

  Status ParseLiteral(std::string_view literal, Json value, Json& out) {
    if (text_.substr(pos_, literal.size()) != literal) {
      return Fail(pos_, "expected '" + std::string(literal) + "'");
    }
    pos_ += literal.size();
    out = std::move(value);
    return {};
  }

  // Checks the nesting limit before a container at `depth` opens one more level.
  Status EnterContainer(int depth) const {
    if (depth >= options_.max_depth) {
      return Fail(pos_, "nesting deeper than the limit of " + std::to_string(options_.max_depth));
    }
    return {};
  }

  Status ParseArray(Json& out, int depth) {
    ALIQUOT_RETURN_IF_ERROR(EnterContainer(depth));
    ++pos_;  // '['
    Json::Array items;
    SkipWhitespace();
    if (Next(']')) {
      ++pos_;
      out = Json(std::move(items));
      return {};
    }
    while (true) {
      ALIQUOT_RETURN_IF_ERROR(ParseValue(items.emplace_back(), depth + 1));
      SkipWhitespace();
      if (Next(']')) break;
      if (!Next(',')) {
        return Fail(pos_, "expected ',' or ']' after an array element, found " + Describe(pos_));
      }
      ++pos_;
      SkipWhitespace();
    }
    ++pos_;  // ']'
    out = Json(std::move(items));
    return {};
  }

  Status ParseObject(Json& out, int depth) {
    ALIQUOT_RETURN_IF_ERROR(EnterContainer(depth));
    ++pos_;  // '{'
    Json::Object members;
    std::vector<std::size_t> name_offsets;
    SkipWhitespace();
    if (Next('}')) {
      ++pos_;
      out = Json(std::move(members));
      return {};
    }
    while (true) {
      if (!Next('"')) {
        return Fail(pos_, "expected '\"' to begin a member name, found " + Describe(pos_));
      }
      name_offsets.push_back(pos_);
      std::string name;
      ALIQUOT_RETURN_IF_ERROR(ParseString(name));
      SkipWhitespace();
      if (!Next(':')) {
        return Fail(pos_, "expected ':' after member name, found " + Describe(pos_));
      }
      ++pos_;
      SkipWhitespace();
      auto& member = members.emplace_back(std::move(name), Json());
      ALIQUOT_RETURN_IF_ERROR(ParseValue(member.second, depth + 1));
      SkipWhitespace();
      if (Next('}')) break;
      if (!Next(',')) {
        return Fail(pos_, "expected ',' or '}' after a member value, found " + Describe(pos_));
      }
      ++pos_;
      SkipWhitespace();
    }
    ++pos_;  // '}'
    ALIQUOT_RETURN_IF_ERROR(CheckNamesAreUnique(members, name_offsets));
    out = Json(std::move(members));
    return {};
  }

  // RFC 7493 section 2.3: member names are unique. Sorting keeps this O(n log n) for objects that
  // an attacker makes large; equal names compare after unescaping, so "a" and "\u0061" clash.
  static Status CheckNamesAreUnique(const Json::Object& members,
                                    const std::vector<std::size_t>& name_offsets) {
    // Most objects are small: compare each pair without allocating.
    constexpr std::size_t kSmallObject = 8;
    std::optional<std::size_t> repeat;  // The index of the first name to repeat an earlier one.
    if (members.size() <= kSmallObject) {
      for (std::size_t i = 1; i < members.size() && !repeat; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (members[i].first == members[j].first) {
            repeat = i;
            break;
          }
        }
      }
    } else {
      std::vector<std::pair<std::string_view, std::size_t>> names;
      names.reserve(members.size());
      for (std::size_t i = 0; i < members.size(); ++i) names.emplace_back(members[i].first, i);
      std::sort(names.begin(), names.end());
      for (std::size_t i = 1; i < names.size(); ++i) {
        // Equal names sort by index, so names[i] repeats an earlier member.
        if (names[i - 1].first == names[i].first && (!repeat || names[i].second < *repeat)) {
          repeat = names[i].second;
        }
      }
    }
    if (!repeat) return {};
    const std::string& name = members[*repeat].first;
    std::string what = "duplicate member name";
    if (name.size() <= 64) {
      what.push_back(' ');
      AppendJsonString(name, what);
    }
    return Fail(name_offsets[*repeat], what);
  }

  // Reads four hex digits at pos_ into a UTF-16 code unit.
  Result<char32_t> ParseHex4() {
    char32_t unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = AtEnd() ? -1 : HexValue(text_[pos_]);
      if (digit < 0) {
        return Fail(pos_, "expected four hex digits after '\\u', found " + Describe(pos_));
      }
      unit = (unit << 4) | static_cast<char32_t>(digit);
      ++pos_;
    }
    return unit;
  }

  // Reads the escape sequence at pos_ (a backslash) and appends what it stands for.
  Status ParseEscape(std::string& out) {
    const std::size_t escape_start = pos_;
    ++pos_;
    if (AtEnd()) return Fail(pos_, "expected an escape character after '\\', found end of text");
    const char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return {};
      case 'b':
        out.push_back('\b');
        return {};
      case 'f':
        out.push_back('\f');
        return {};
      case 'n':
        out.push_back('\n');
        return {};
      case 'r':
        out.push_back('\r');
        return {};
      case 't':
        out.push_back('\t');
        return {};
      case 'u':
        break;
      default:
        return Fail(pos_ - 1, "invalid escape character " + Describe(pos_ - 1) + " after '\\'");
    }
    ALIQUOT_ASSIGN_OR_RETURN(const char32_t unit, ParseHex4());
    const std::string_view written = text_.substr(escape_start, 6);
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      // RFC 7493 section 2.1: no lone surrogates.
      return Fail(escape_start, "lone low surrogate " + std::string(written) +
                                    " without a high surrogate before it");
    }
    if (unit < 0xD800 || unit > 0xDBFF) {
      AppendUtf8(unit, out);
      return {};
    }
    if (text_.substr(pos_, 2) != "\\u") {
      return Fail(escape_start, "unpaired high surrogate " + std::string(written) +
                                    "; it must be followed by a \\u escape of a low surrogate");
    }
    pos_ += 2;
    ALIQUOT_ASSIGN_OR_RETURN(const char32_t low, ParseHex4());
    if (low < 0xDC00 || low > 0xDFFF) {
      return Fail(escape_start, "unpaired high surrogate " + std::string(written) +
                                    "; it must be followed by a \\u escape of a low surrogate");
    }
    AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), out);
    return {};
  }

  // Reads the string literal at pos_ (a quote) into `out`, unescaped.
  Status ParseString(std::string& out) {
    const std::size_t start = pos_;
    ++pos_;
    while (true) {
      // Copy runs of bytes that stand for themselves in one append.
      const std::size_t run_start = pos_;
      while (pos_ < text_.size()) {
        const auto byte = static_cast<unsigned char>(text_[pos_]);
        if (byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\') break;
        ++pos_;
      }
      out.append(text_.substr(run_start, pos_ - run_start));
      if (AtEnd()) {
        return Fail(pos_, "expected '\"' to end the string that begins at byte " +
                              std::to_string(start) + ", found end of text");
      }
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte == '"') {
        ++pos_;
        return {};
      }
      if (byte == '\\') {
        ALIQUOT_RETURN_IF_ERROR(ParseEscape(out));
      } else if (byte < 0x20) {
        return Fail(pos_, "unescaped control character " + Describe(pos_) +
                              " in string; it must be written as a \\ escape");
      } else {
        const Utf8Sequence sequence = DecodeUtf8(text_, pos_);
        if (sequence.problem != Utf8Problem::kNone) {
          return Fail(pos_, DescribeUtf8Problem(sequence.problem));
        }
        // Noncharacters (U+FFFE, U+FDD0...) are accepted although RFC 7493 section 2.1 excludes
        // them: Unicode Corrigendum #9 allows them in interchange, and everything the canonical
        // writer can emit must parse again, or a stored ledger entry could not be read back.
        out.append(text_.substr(pos_, sequence.length));
        pos_ += sequence.length;
      }
    }
  }

  // Checks RFC 8259 section 6's grammar ourselves, since std::from_chars is more lenient (it
  // takes "1.", ".5", "01", "inf"), then converts with std::from_chars.
  Status ParseNumber(Json& out) {
    const std::size_t start = pos_;
    if (Next('-')) ++pos_;
    if (!NextIsDigit()) return Fail(pos_, "expected a digit after '-', found " + Describe(pos_));
    if (Next('0')) {
      ++pos_;
      if (NextIsDigit()) return Fail(pos_ - 1, "a number must not begin with a leading zero");
    } else {
      while (NextIsDigit()) ++pos_;
    }
    if (Next('.')) {
      ++pos_;
      if (!NextIsDigit()) return Fail(pos_, "expected a digit after '.', found " + Describe(pos_));
      while (NextIsDigit()) ++pos_;
    }
    if (Next('e') || Next('E')) {
      ++pos_;
      if (Next('+') || Next('-')) ++pos_;
      if (!NextIsDigit()) {
        return Fail(pos_, "expected a digit in the exponent, found " + Describe(pos_));
      }
      while (NextIsDigit()) ++pos_;
    }
    const std::string_view number = text_.substr(start, pos_ - start);
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc::result_out_of_range) {
      if (DecimalOverflowsDouble(number)) {
        std::string shown(number.substr(0, 40));
        if (number.size() > shown.size()) shown += "...";
        return Fail(start, "number " + shown + " is out of the range of a double (RFC 7493 " +
                               "section 2.2)");
      }
      // Too small for a subnormal: the nearest double is zero, as for 1e-400 in any reader.
      value = number[0] == '-' ? -0.0 : 0.0;
    } else {
      ALIQUOT_CHECK(ec == std::errc() && end == number.data() + number.size());
    }
    out = Json(value);
    return {};
  }

  std::string_view text_;
  JsonParseOptions options_;
  std::size_t pos_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Json

Json::Json(double value) : value_(value) {
  ALIQUOT_CHECK_MSG(std::isfinite(value), "JSON has no NaN or Infinity");
}

Json::Json(std::int64_t value) : value_(static_cast<double>(value)) {
  ALIQUOT_CHECK_MSG(value >= -kMaxExactInteger && value <= kMaxExactInteger,
                    "integer beyond +/-(2^53 - 1) in JSON; carry it as a string");
}

Json::Json(std::uint64_t value) : value_(static_cast<double>(value)) {
  ALIQUOT_CHECK_MSG(value <= static_cast<std::uint64_t>(kMaxExactInteger),
                    "integer beyond 2^53 - 1 in JSON; carry it as a string");
}

bool Json::AsBool() const {
  const bool* value = std::get_if<bool>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsBool on a value that is not a bool");
  return *value;
}

double Json::AsNumber() const {
  const double* value = std::get_if<double>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsNumber on a value that is not a number");
  return *value;
}

const std::string& Json::AsString() const {
  const std::string* value = std::get_if<std::string>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsString on a value that is not a string");
  return *value;
}

const Json::Array& Json::AsArray() const {
  const Array* value = std::get_if<Array>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsArray on a value that is not an array");
  return *value;
}

Json::Array& Json::AsArray() {
  Array* value = std::get_if<Array>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsArray on a value that is not an array");
  return *value;
}

const Json::Object& Json::AsObject() const {
  const Object* value = std::get_if<Object>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsObject on a value that is not an object");
  return *value;
}

Json::Object& Json::AsObject() {
  Object* value = std::get_if<Object>(&value_);
  ALIQUOT_CHECK_MSG(value != nullptr, "Json::AsObject on a value that is not an object");
  return *value;
}

std::optional<std::int64_t> Json::AsInteger() const {
  const double* value = std::get_if<double>(&value_);
  if (value == nullptr) return std::nullopt;
  if (!(std::fabs(*value) <= static_cast<double>(kMaxExactInteger))) return std::nullopt;
  if (std::trunc(*value) != *value) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

const Json* Json::Find(std::string_view key) const {
  const Object* members = std::get_if<Object>(&value_);
  if (members == nullptr) return nullptr;
  for (const auto& [name, member] : *members) {
    if (name == key) return &member;
  }
  return nullptr;
}

Json& Json::Set(std::string key, Json value) {
  Object& members = AsObject();
  for (auto& [name, member] : members) {
    if (name == key) {
      member = std::move(value);
      return member;
    }
  }
  return members.emplace_back(std::move(key), std::move(value)).second;
}

Json& Json::Push(Json value) { return AsArray().emplace_back(std::move(value)); }

bool operator==(const Json& a, const Json& b) {
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case Json::Type::kNull:
      return true;
    case Json::Type::kBool:
      return a.AsBool() == b.AsBool();
    case Json::Type::kNumber:
      return a.AsNumber() == b.AsNumber();  // 0 and -0 are equal, as their canonical forms are.
    case Json::Type::kString:
      return a.AsString() == b.AsString();
    case Json::Type::kArray:
      return a.AsArray() == b.AsArray();
    case Json::Type::kObject:
      return ObjectsEqual(a.AsObject(), b.AsObject());
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Free functions

Result<Json> ParseJson(std::string_view text, JsonParseOptions options) {
  return Parser(text, options).ParseText();
}

std::string CanonicalJson(const Json& value) {
  std::string out;
  AppendCanonical(value, out);
  return out;
}

void AppendCanonicalJson(const Json& value, std::string& out) { AppendCanonical(value, out); }

std::string CanonicalNumber(double value) {
  std::string out;
  AppendCanonicalNumber(value, out);
  return out;
}

// RFC 8785 section 3.2.2.2: the two-character escapes where JSON has them, \u00xx in lower-case
// hex for the other controls, and every other character as itself (including '/' and non-ASCII).
void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte >= 0x80) {
      const Utf8Sequence sequence = DecodeUtf8(text, pos);
      ALIQUOT_CHECK_MSG(sequence.problem == Utf8Problem::kNone,
                        "a JSON string holds invalid UTF-8");
      pos += sequence.length;
      continue;
    }
    if (byte >= 0x20 && byte != '"' && byte != '\\') {
      ++pos;
      continue;
    }
    out.append(text.substr(run_start, pos - run_start));
    switch (byte) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0x0F]);
        break;
    }
    ++pos;
    run_start = pos;
  }
  out.append(text.substr(run_start));
  out.push_back('"');
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Sequence sequence = DecodeUtf8(text, pos);
    if (sequence.problem != Utf8Problem::kNone) return false;
    pos += sequence.length;
  }
  return true;
}

Json JsonStrings(const std::vector<std::string>& texts) {
  Json array = Json::MakeArray();
  for (const std::string& text : texts) array.Push(text);
  return array;
}

bool DecimalOverflowsDouble(std::string_view number) {
  std::size_t i = !number.empty() && (number[0] == '-' || number[0] == '+') ? 1 : 0;
  const auto digit = [&](std::size_t at) { return number[at] >= '0' && number[at] <= '9'; };
  std::int64_t leading_power = 0;
  bool found = false;
  const std::size_t integer_start = i;
  while (i < number.size() && digit(i)) ++i;
  for (std::size_t j = integer_start; j < i; ++j) {
    if (number[j] != '0') {
      leading_power = static_cast<std::int64_t>(i - j - 1);
      found = true;
      break;
    }
  }
  if (i < number.size() && number[i] == '.') {
    const std::size_t fraction_start = ++i;
    while (i < number.size() && digit(i)) ++i;
    for (std::size_t j = fraction_start; !found && j < i; ++j) {
      if (number[j] != '0') {
        leading_power = -static_cast<std::int64_t>(j - fraction_start + 1);
        found = true;
      }
    }
  }
  if (!found) return false;  // Zero: never out of range.
  std::int64_t exponent = 0;
  if (i < number.size() && (number[i] == 'e' || number[i] == 'E')) {
    ++i;
    const bool negative = i < number.size() && number[i] == '-';
    if (i < number.size() && (number[i] == '+' || number[i] == '-')) ++i;
    for (; i < number.size(); ++i) {
      // Saturate: any exponent this large is out of range either way.
      if (exponent < 1'000'000'000'000) exponent = exponent * 10 + (number[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  // Its magnitude is at least 1 exactly when the power of ten of its first non-zero digit, plus
  // the exponent, is not negative.
  return leading_power + exponent >= 0;
}

}  // namespace aliquot
