#include "aliquot/core/yaml.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/utf8.h"

namespace aliquot {
namespace {

// ---------------------------------------------------------------------------------------------
// Characters

bool IsWhite(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the well-formed UTF-8 sequence at text[pos], or 0 when the bytes there are not one.
std::size_t Utf8Length(std::string_view text, std::size_t pos) {
  const Utf8Sequence sequence = DecodeUtf8(text, pos);
  return sequence.problem == Utf8Problem::kNone ? sequence.length : 0;
}

// Characters YAML does not allow raw in a document (its c-printable set leaves out the C0 and C1
// controls but tab, line feed and carriage return, and DEL): they are written as escapes in a
// double-quoted string, which the emitter does.
bool IsForbiddenRaw(char32_t code_point) {
  if (code_point == '\t' || code_point == '\n' || code_point == '\r') return false;
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

std::string HexByte(unsigned char byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("0x") + kHex[byte >> 4] + kHex[byte & 0x0F];
}

std::string CodePointName(char32_t code_point) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (int shift = code_point > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) {
    digits.push_back(kHex[(code_point >> static_cast<unsigned>(shift)) & 0xFu]);
  }
  return "U+" + digits;
}

// How a person should read a piece of input in a message: 'text', shortened when long.
std::string Quote(std::string_view text) {
  constexpr std::size_t kLimit = 40;
  if (text.size() <= kLimit) return "'" + std::string(text) + "'";
  std::size_t cut = kLimit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

// ---------------------------------------------------------------------------------------------
// Plain scalar resolution (the YAML 1.2 core schema, section 10.3.2)

bool IsNullWord(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> BoolWord(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

// The words a YAML 1.1 reader (PyYAML, many editors' plugins) takes for booleans.
bool IsYaml11BoolWord(std::string_view text) {
  static constexpr std::string_view kWords[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                "N",  "no",  "No",  "NO",  "on",  "On",
                                                "ON", "off", "Off", "OFF"};
  return std::find(std::begin(kWords), std::end(kWords), text) != std::end(kWords);
}

// [-+]?(\.inf|\.Inf|\.INF) and \.nan|\.NaN|\.NAN: numbers JSON cannot hold.
bool IsInfinityOrNanWord(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return text == ".inf" || text == ".Inf" || text == ".INF" || text == ".nan" || text == ".NaN" ||
         text == ".NAN";
}

// [-+]?[0-9]+
bool IsIntegerText(std::string_view text) {
  std::size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (!IsDigit(text[i])) return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloatText(std::string_view text) {
  std::size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    return i - start;
  };
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

// Whether a plain scalar with this text would be read as anything but this text: by our core
// schema reader, as a number JSON cannot hold, or by a YAML 1.1 reader (yes/no/on/off, and the
// 1.1 forms of numbers and dates: 0x1F, 0o17, 1_000, 1:30, 2024-01-31).
bool ReadsAsOtherThanText(std::string_view text) {
  if (IsNullWord(text) || BoolWord(text) || IsYaml11BoolWord(text)) return true;
  // YAML 1.1's merge and value keys.
  if (text == "<<" || text == "=") return true;
  if (IsInfinityOrNanWord(text) || IsIntegerText(text) || IsFloatText(text)) return true;
  std::size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (i == text.size() || !(IsDigit(text[i]) || text[i] == '.')) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
           c == ':' || c == '+' || c == '-';
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// YamlPositions and JSON pointers

std::optional<YamlPosition> YamlPositions::Of(std::string_view pointer) const {
  const auto it = entries_.find(pointer);
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

std::optional<YamlPosition> YamlPositions::KeyOf(std::string_view pointer) const {
  const auto it = entries_.find(pointer);
  if (it == entries_.end()) return std::nullopt;
  return it->second.key;
}

YamlPosition YamlPositions::Nearest(std::string_view pointer) const {
  while (true) {
    if (const auto it = entries_.find(pointer); it != entries_.end()) return it->second.value;
    if (pointer.empty()) return {1, 1};
    const std::size_t slash = pointer.rfind('/');
    // A pointer that does not begin with '/' is not RFC 6901; the root stands for it.
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(0, slash);
  }
}

void YamlPositions::Add(std::string pointer, YamlPosition value, std::optional<YamlPosition> key) {
  entries_.insert_or_assign(std::move(pointer), Entry{value, key});
}

std::string JsonPointerAppend(std::string_view pointer, std::string_view token) {
  std::string out;
  out.reserve(pointer.size() + token.size() + 1);
  out.append(pointer);
  out.push_back('/');
  for (const char c : token) {
    if (c == '~') {
      out.append("~0");
    } else if (c == '/') {
      out.append("~1");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JsonPointerAppend(std::string_view pointer, std::size_t index) {
  std::string out(pointer);
  out.push_back('/');
  out.append(std::to_string(index));
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Parser

// One line of the input, without its line break.
struct Line {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t content = 0;  // The first byte that is not a space or a tab; `end` if none.
  int indent = 0;           // Leading spaces.
  bool blank = true;        // Nothing but spaces and tabs, or a comment.
  bool has_break = false;   // Ends with a line break rather than the end of the text.
  bool ascii = true;        // Columns are byte offsets plus one.
  // "---" or "..." at column 1 followed by nothing, a space or a tab.
  bool document_start = false;
  bool document_end = false;
};

class Parser {
 public:
  Parser(std::string_view text, YamlPositions* positions, YamlParseOptions options)
      : text_(text), positions_(positions), options_(options) {}

  Result<Json> ParseDocument();

 private:
  static constexpr std::size_t kNone = std::string_view::npos;

  // ----- Lines, positions and messages

  bool AtEnd() const { return line_ >= lines_.size(); }
  const Line& Current() const { return lines_[line_]; }
  std::size_t LineEnd() const { return lines_[line_].end; }
  // The byte at `offset` of the current line, or '\n' past its end: no line holds a '\n'.
  char CharAt(std::size_t offset) const { return offset < LineEnd() ? text_[offset] : '\n'; }
  char Peek() const { return CharAt(pos_); }
  void SkipWhite() {
    while (pos_ < LineEnd() && IsWhite(text_[pos_])) ++pos_;
  }
  void NextLine() {
    ++line_;
    pos_ = AtEnd() ? text_.size() : Current().begin;
  }
  // The column of `offset` (which lies within line `index`) in code points, counted from the last
  // column asked for on the same line when it lies before, so that a long line of many nodes is
  // not counted again for each.
  int ColumnOf(std::size_t index, std::size_t offset) {
    const Line& line = lines_[index];
    if (line.ascii) return static_cast<int>(offset - line.begin) + 1;
    if (column_line_ != index || column_offset_ > offset) {
      column_line_ = index;
      column_offset_ = line.begin;
      column_ = 1;
    }
    for (; column_offset_ < offset; ++column_offset_) {
      if ((static_cast<unsigned char>(text_[column_offset_]) & 0xC0) != 0x80) ++column_;
    }
    return column_;
  }
  YamlPosition PositionOf(std::size_t index, std::size_t offset) {
    return {static_cast<int>(index) + 1, ColumnOf(index, offset)};
  }
  YamlPosition Here() { return PositionAt(pos_); }
  YamlPosition PositionAt(std::size_t offset) {
    if (AtEnd()) {
      if (lines_.empty()) return {1, 1};
      const std::size_t last = lines_.size() - 1;
      return PositionOf(last, lines_[last].end);
    }
    return PositionOf(line_, offset);
  }
  static tl::unexpected<Error> FailAt(YamlPosition at, std::string_view what) {
    return Unexpected(InvalidArgument("line " + std::to_string(at.line) + ", column " +
                                      std::to_string(at.column) + ": " + std::string(what)));
  }
  tl::unexpected<Error> Fail(std::size_t offset, std::string_view what) {
    return FailAt(PositionAt(offset), what);
  }
  // How a person should read the character at `offset` of the current line in a message.
  std::string Describe(std::size_t offset) const {
    if (offset >= LineEnd()) return "the end of the line";
    const auto byte = static_cast<unsigned char>(text_[offset]);
    if (byte == '\t') return "a tab";
    if (byte < 0x80) return std::string("'") + text_[offset] + "'";
    const std::size_t length = Utf8Length(text_, offset);
    return "'" + std::string(text_.substr(offset, length)) + "'";
  }
  void Record(std::string pointer, YamlPosition value, std::optional<YamlPosition> key) {
    if (positions_ != nullptr) positions_->Add(std::move(pointer), value, key);
  }

  // The pointer of a child node at `at`. Pointers are built only when positions are recorded, and
  // then their total size is bounded: a long key over many items would otherwise make a file under
  // the body limit hold gigabytes of pointers.
  template <typename Token>
  Result<std::string> Child(const std::string& pointer, const Token& token, YamlPosition at) {
    if (positions_ == nullptr) return std::string();
    std::string child = JsonPointerAppend(pointer, token);
    pointer_bytes_ += child.size();
    if (pointer_bytes_ > kMaxPointerBytes) {
      return FailAt(at,
                    "the document has too many or too long keys to record where each value "
                    "is; keep keys short");
    }
    return child;
  }

  Status SplitLines();
  Status SkipBlankLines();
  Status ExpectLineEnd(std::string_view after_what);
  Status EnterCollection(int depth, std::size_t offset) {
    if (depth >= options_.max_depth) {
      return Fail(offset, "nesting deeper than " + std::to_string(options_.max_depth) +
                              " levels is not supported; flatten the structure");
    }
    return {};
  }

  // ----- Scalars

  enum class Context { kBlock, kFlow };
  Status CheckPlainStart(Context context, bool on_key_line);
  std::string_view ScanPlain(Context context);
  Result<Json> ResolvePlain(std::string_view text, std::size_t offset);
  Status ParseSingleQuoted(std::string& out);
  Status ParseDoubleQuoted(std::string& out);
  Status ParseEscape(std::string& out);
  Status ParseBlockScalar(int parent_indent, std::string& out);

  // ----- Collections

  Status ParseFlow(int depth, const std::string& pointer, Json& out);
  Status ParseFlowNode(int depth, const std::string& pointer, Json& out, YamlPosition& at);
  bool LooksLikeKey();
  Status ParseBlockNode(int parent_indent, int depth, const std::string& pointer, Json& out,
                        YamlPosition& at);
  Status ParseInlineValue(int parent_indent, bool on_key_line, int depth,
                          const std::string& pointer, Json& out, YamlPosition& at);
  Status ParseBlockMapping(int indent, int depth, const std::string& pointer, Json& out);
  Status ParseBlockSequence(int indent, int depth, const std::string& pointer, Json& out);
  Status ParseKey(Context context, std::string& key);
  Status CheckNotMoreIndented(int parent_indent, bool after_plain);
  Status FailIndentation(int expected_indent, std::string_view what_is_there);

  std::string_view text_;
  YamlPositions* positions_;
  // What Child has built so far, and its bound: 64 MiB, far above any real definition's few MB.
  static constexpr std::size_t kMaxPointerBytes = std::size_t{64} << 20;
  std::size_t pointer_bytes_ = 0;
  YamlParseOptions options_;
  std::vector<Line> lines_;
  std::size_t line_ = 0;  // The line being read.
  std::size_t pos_ = 0;   // The byte being read, within lines_[line_].
  std::size_t column_line_ = kNone;
  std::size_t column_offset_ = 0;
  int column_ = 1;
};

// Splits the text into lines, refusing what no line may hold (invalid UTF-8, control characters,
// a lone carriage return) before any structure is read, so that every later step reads well-formed
// text.
Status Parser::SplitLines() {
  std::size_t pos = 0;
  // A UTF-8 byte order mark is allowed at the start of a YAML stream (YAML 1.2 section 5.2).
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text_.size()) {
    Line line;
    line.begin = pos;
    int column = 1;
    const int line_number = static_cast<int>(lines_.size()) + 1;
    const auto fail = [&](std::string_view what) { return FailAt({line_number, column}, what); };
    while (pos < text_.size()) {
      const auto byte = static_cast<unsigned char>(text_[pos]);
      if (byte == '\n') {
        line.end = pos;
        line.has_break = true;
        ++pos;
        break;
      }
      if (byte == '\r') {
        if (pos + 1 < text_.size() && text_[pos + 1] == '\n') {
          line.end = pos;
          line.has_break = true;
          pos += 2;
          break;
        }
        return fail(
            "a carriage return without a line feed; save the file with LF or CRLF line endings");
      }
      const std::size_t length = Utf8Length(text_, pos);
      if (length == 0) {
        return fail("invalid UTF-8 (byte " + HexByte(byte) + "); save the file as UTF-8");
      }
      const char32_t code_point = DecodeUtf8(text_, pos).code_point;
      if (IsForbiddenRaw(code_point)) {
        return fail("the control character " + CodePointName(code_point) +
                    " cannot appear in YAML text; write it as an escape in a \"double-quoted\" "
                    "string");
      }
      if (length > 1) line.ascii = false;
      pos += length;
      ++column;
      line.end = pos;
    }
    std::size_t content = line.begin;
    while (content < line.end && text_[content] == ' ') ++content;
    line.indent = static_cast<int>(content - line.begin);
    while (content < line.end && IsWhite(text_[content])) ++content;
    line.content = content;
    line.blank = content == line.end || text_[content] == '#';
    const std::string_view body = text_.substr(line.begin, line.end - line.begin);
    const auto marker = [&](std::string_view mark) {
      return body.substr(0, 3) == mark && (body.size() == 3 || IsWhite(body[3]));
    };
    line.document_start = marker("---");
    line.document_end = marker("...");
    lines_.push_back(line);
  }
  return {};
}

// Moves to the next line that holds content (not blank, not only a comment), refusing a tab in
// its indentation. At the end of the text when there is none.
Status Parser::SkipBlankLines() {
  while (!AtEnd() && Current().blank) ++line_;
  if (AtEnd()) {
    pos_ = text_.size();
    return {};
  }
  const Line& line = Current();
  pos_ = line.content;
  const std::size_t indent_end = line.begin + static_cast<std::size_t>(line.indent);
  if (indent_end != line.content) {
    // YAML 1.2 section 6.1: tabs cannot indent, since editors disagree on their width.
    return Fail(indent_end, "a tab cannot indent YAML; use spaces");
  }
  return {};
}

// Checks that nothing but spaces and a comment follow on the current line, and moves to the next.
Status Parser::ExpectLineEnd(std::string_view after_what) {
  SkipWhite();
  if (pos_ < LineEnd()) {
    if (text_[pos_] != '#') {
      return Fail(pos_, "unexpected " + Describe(pos_) + " after " + std::string(after_what) +
                            "; only a comment ('# ...') may follow it on this line");
    }
    if (!IsWhite(text_[pos_ - 1])) {
      return Fail(
          pos_, "a comment needs a space before '#'; write ' #' after " + std::string(after_what));
    }
  }
  NextLine();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Scalars

// Refuses what cannot begin plain text here: the indicators of the features the subset leaves
// out, each with its own advice, and the characters YAML reserves.
Status Parser::CheckPlainStart(Context context, bool on_key_line) {
  const char c = Peek();
  const char next = CharAt(pos_ + 1);
  const bool next_separates =
      IsWhite(next) || next == '\n' || (context == Context::kFlow && IsFlowIndicator(next));
  switch (c) {
    case '&':
      return Fail(pos_,
                  "anchors ('&') are not supported; write the content out where it is needed, "
                  "or quote text that begins with '&'");
    case '*':
      return Fail(pos_,
                  "aliases ('*') are not supported; write the content out where it is needed, "
                  "or quote text that begins with '*'");
    case '!':
      return Fail(pos_,
                  "tags ('!') are not supported; remove the tag, or quote text that begins "
                  "with '!'");
    case '%':
    case '@':
    case '`':
    case '#':
    case ',':
    case ']':
    case '}':
      return Fail(pos_, "text cannot begin with " + Describe(pos_) + "; quote it: \"" +
                            std::string(1, c) + "...\"");
    case '|':
    case '>':
      if (context == Context::kFlow) {
        return Fail(pos_,
                    "a block scalar ('|' or '>') cannot appear inside [ ] or { }; quote "
                    "the text, or write the collection as a block");
      }
      // In block context a value beginning so is a block scalar; a key cannot be one.
      return Fail(pos_, "a key cannot begin with " + Describe(pos_) + "; quote it: \"" +
                            std::string(1, c) + "...\"");
    case '?':
      if (next_separates) {
        return Fail(pos_,
                    "complex keys ('? ') are not supported; write 'key: value' with text "
                    "as the key");
      }
      break;
    case ':':
      if (next_separates) return Fail(pos_, "a key is missing before ':'");
      break;
    case '-':
      if (!next_separates) break;
      if (context == Context::kFlow) {
        return Fail(pos_, "a '- ' item cannot appear inside [ ] or { }; separate items with ','");
      }
      if (on_key_line) {
        return Fail(pos_,
                    "a sequence cannot start on the line of its key; put each '- item' on "
                    "a line of its own below the key");
      }
      break;
    default:
      break;
  }
  return {};
}

// Reads plain text from pos_ to where it ends: the end of the line, a comment (' #'), ': ' (or ':'
// at the end of the line), and in flow context ',', '[', ']', '{', '}' or ':' before one of them.
// Trailing spaces are left unread.
std::string_view Parser::ScanPlain(Context context) {
  const std::size_t start = pos_;
  std::size_t text_end = pos_;
  const std::size_t line_end = LineEnd();
  while (pos_ < line_end) {
    const char c = text_[pos_];
    if (c == '#' && pos_ > start && IsWhite(text_[pos_ - 1])) break;
    if (c == ':') {
      const char next = CharAt(pos_ + 1);
      if (IsWhite(next) || next == '\n') break;
      if (context == Context::kFlow && IsFlowIndicator(next)) break;
    }
    if (context == Context::kFlow && IsFlowIndicator(c)) break;
    ++pos_;
    if (!IsWhite(c)) text_end = pos_;
  }
  pos_ = text_end;
  return text_.substr(start, text_end - start);
}

// The YAML 1.2 core schema (section 10.3.2), with what JSON cannot hold refused rather than
// changed: a reader must not get a value other than the one the file says.
Result<Json> Parser::ResolvePlain(std::string_view text, std::size_t offset) {
  if (IsNullWord(text)) return Json();
  if (const std::optional<bool> value = BoolWord(text)) return Json(*value);
  if (IsInfinityOrNanWord(text)) {
    return Fail(offset,
                Quote(text) + " is not a number JSON can hold; quote it to keep it as text");
  }
  const bool negative = text[0] == '-';
  const std::string_view unsigned_text = text[0] == '-' || text[0] == '+' ? text.substr(1) : text;
  if (IsIntegerText(text)) {
    std::int64_t value = 0;
    const auto [end, ec] =
        std::from_chars(unsigned_text.data(), unsigned_text.data() + unsigned_text.size(), value);
    if (ec != std::errc() || value > Json::kMaxExactInteger) {
      return Fail(offset, "the integer " + Quote(text) + " is beyond +/-" +
                              std::to_string(Json::kMaxExactInteger) +
                              ", the largest a JSON number holds exactly; quote it to keep it as "
                              "text");
    }
    return Json(negative ? -value : value);
  }
  if (IsFloatText(text)) {
    double value = 0;
    const auto [end, ec] =
        std::from_chars(unsigned_text.data(), unsigned_text.data() + unsigned_text.size(), value,
                        std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      if (DecimalOverflowsDouble(unsigned_text)) {
        return Fail(offset, "the number " + Quote(text) +
                                " is too large for a double; quote it to keep it as text");
      }
      // Too small for a subnormal: the nearest double is zero, as in every reader.
      value = 0;
    } else if (ec != std::errc() || end != unsigned_text.data() + unsigned_text.size()) {
      return Fail(offset, "the number " + Quote(text) +
                              " cannot be read; quote it to keep it as "
                              "text");
    }
    return Json(negative ? -value : value);
  }
  return Json(std::string(text));
}

Status Parser::ParseSingleQuoted(std::string& out) {
  const std::size_t open = pos_;
  ++pos_;
  const std::size_t line_end = LineEnd();
  while (true) {
    const std::size_t run_start = pos_;
    while (pos_ < line_end && text_[pos_] != '\'') ++pos_;
    out.append(text_.substr(run_start, pos_ - run_start));
    if (pos_ >= line_end) {
      return Fail(open,
                  "this 'single-quoted' text does not end on its line; close it with ' on the "
                  "same line, or write text of several lines as a | block");
    }
    // '' stands for one quote.
    if (CharAt(pos_ + 1) == '\'') {
      out.push_back('\'');
      pos_ += 2;
      continue;
    }
    ++pos_;
    return {};
  }
}

Status Parser::ParseDoubleQuoted(std::string& out) {
  const std::size_t open = pos_;
  ++pos_;
  const std::size_t line_end = LineEnd();
  while (true) {
    const std::size_t run_start = pos_;
    while (pos_ < line_end && text_[pos_] != '"' && text_[pos_] != '\\') ++pos_;
    out.append(text_.substr(run_start, pos_ - run_start));
    if (pos_ >= line_end) {
      return Fail(open,
                  "this \"double-quoted\" text does not end on its line; close it with \" on the "
                  "same line (write a line break as \\n), or write text of several lines as a | "
                  "block");
    }
    if (text_[pos_] == '"') {
      ++pos_;
      return {};
    }
    ALIQUOT_RETURN_IF_ERROR(ParseEscape(out));
  }
}

// YAML 1.2 section 5.7's escapes, which include JSON's.
Status Parser::ParseEscape(std::string& out) {
  const std::size_t at = pos_;
  const char kind = CharAt(pos_ + 1);
  if (kind == '\n') {
    return Fail(at,
                "a '\\' at the end of a line would continue the text on the next, which is not "
                "supported; keep \"double-quoted\" text on one line, or use a | block");
  }
  pos_ += 2;
  int digits = 0;
  switch (kind) {
    case '0':
      out.push_back('\0');
      return {};
    case 'a':
      out.push_back('\a');
      return {};
    case 'b':
      out.push_back('\b');
      return {};
    case 't':
    case '\t':
      out.push_back('\t');
      return {};
    case 'n':
      out.push_back('\n');
      return {};
    case 'v':
      out.push_back('\v');
      return {};
    case 'f':
      out.push_back('\f');
      return {};
    case 'r':
      out.push_back('\r');
      return {};
    case 'e':
      out.push_back('\x1B');
      return {};
    case ' ':
    case '"':
    case '/':
    case '\\':
      out.push_back(kind);
      return {};
    case 'N':
      AppendUtf8(0x85, out);
      return {};
    case '_':
      AppendUtf8(0xA0, out);
      return {};
    case 'L':
      AppendUtf8(0x2028, out);
      return {};
    case 'P':
      AppendUtf8(0x2029, out);
      return {};
    case 'x':
      digits = 2;
      break;
    case 'u':
      digits = 4;
      break;
    case 'U':
      digits = 8;
      break;
    default:
      pos_ = at;
      return Fail(at + 1, "unknown escape '\\" +
                              std::string(text_.substr(at + 1, Utf8Length(text_, at + 1))) +
                              "' in \"double-quoted\" text; write '\\\\' for a backslash (the "
                              "escapes are \\\" \\\\ \\/ \\n \\t \\r \\0 \\xXX \\uXXXX "
                              "\\UXXXXXXXX)");
  }
  char32_t code_point = 0;
  for (int i = 0; i < digits; ++i) {
    const int value = HexValue(Peek());
    if (value < 0) {
      return Fail(pos_, "expected " + std::to_string(digits) + " hex digits after '\\" +
                            std::string(1, kind) + "', found " + Describe(pos_));
    }
    code_point = code_point * 16 + static_cast<char32_t>(value);
    ++pos_;
  }
  if (code_point >= 0xD800 && code_point <= 0xDFFF) {
    return Fail(at, CodePointName(code_point) +
                        " is half of a UTF-16 surrogate pair, not a character; write the "
                        "character itself, or its code point as \\UXXXXXXXX");
  }
  if (code_point > 0x10FFFF) {
    return Fail(at, "\\U" + std::string(text_.substr(at + 2, 8)) +
                        " is beyond U+10FFFF, the last Unicode code point");
  }
  AppendUtf8(code_point, out);
  return {};
}

// Literal (|) and folded (>) block scalars, YAML 1.2 section 8.1, with the indentation taken from
// their first non-empty line. pos_ is at the indicator; the lines of the block are consumed.
Status Parser::ParseBlockScalar(int parent_indent, std::string& out) {
  enum class Chomping { kClip, kStrip, kKeep };
  const bool folded = Peek() == '>';
  ++pos_;
  Chomping chomping = Chomping::kClip;
  bool chomping_given = false;
  while (Peek() == '-' || Peek() == '+' || IsDigit(Peek())) {
    if (IsDigit(Peek())) {
      return Fail(pos_,
                  "an explicit indentation indicator is not supported; indent the text's first "
                  "line by the block's indentation, or write the text \"double-quoted\" with \\n");
    }
    if (chomping_given)
      return Fail(pos_, "a block scalar takes one chomping indicator, '-' or '+'");
    chomping = Peek() == '-' ? Chomping::kStrip : Chomping::kKeep;
    chomping_given = true;
    ++pos_;
  }
  ALIQUOT_RETURN_IF_ERROR(
      ExpectLineEnd(folded ? "the block indicator '>' (the text starts on the next line)"
                           : "the block indicator '|' (the text starts on the next line)"));

  const std::size_t first = line_;
  const auto only_white = [&](const Line& line) { return line.content == line.end; };
  const auto is_marker = [](const Line& line) { return line.document_start || line.document_end; };

  // The block's indentation: that of its first line with content, which must be deeper than the
  // node that holds the block; otherwise the block is empty.
  int indent = -1;
  std::size_t widest_blank = kNone;
  for (std::size_t i = first; i < lines_.size() && !is_marker(lines_[i]); ++i) {
    const Line& line = lines_[i];
    if (only_white(line)) {
      if (widest_blank == kNone || line.indent > lines_[widest_blank].indent) widest_blank = i;
      continue;
    }
    if (line.indent > parent_indent) {
      indent = line.indent;
      if (widest_blank != kNone && lines_[widest_blank].indent > indent) {
        return FailAt(PositionOf(widest_blank, lines_[widest_blank].end),
                      "this blank line at the start of a block scalar has more spaces than the "
                      "block's first line; remove them");
      }
    }
    break;
  }

  // The lines of the block, without the indentation; empty for empty lines.
  std::vector<std::string_view> body;
  std::size_t last_content = kNone;  // Index in body of the last line with content.
  std::size_t i = first;
  for (; i < lines_.size() && !is_marker(lines_[i]); ++i) {
    const Line& line = lines_[i];
    const auto width = static_cast<int>(line.end - line.begin);
    if (indent >= 0 && line.indent >= indent && width > indent) {
      body.push_back(text_.substr(line.begin + static_cast<std::size_t>(indent),
                                  static_cast<std::size_t>(width - indent)));
      last_content = body.size() - 1;
    } else if (only_white(line)) {
      body.emplace_back();
    } else {
      break;  // Less indented: the block has ended.
    }
  }
  line_ = i;
  pos_ = AtEnd() ? text_.size() : Current().begin;

  if (last_content != kNone) {
    if (folded) {
      // Section 8.1.3: a line break between two lines of text becomes a space, unless empty lines
      // stand between them (each then stands for one line break) or either line is indented more
      // than the block (its breaks are kept as they are).
      bool previous_exists = false;
      bool previous_more_indented = false;
      std::size_t empty_lines = 0;
      for (std::size_t k = 0; k <= last_content; ++k) {
        const std::string_view line = body[k];
        if (line.empty()) {
          if (previous_exists) {
            ++empty_lines;
          } else {
            out.push_back('\n');
          }
          continue;
        }
        const bool more_indented = IsWhite(line[0]);
        if (previous_exists) {
          if (!previous_more_indented && !more_indented) {
            if (empty_lines == 0) out.push_back(' ');
          } else {
            out.push_back('\n');
          }
          out.append(empty_lines, '\n');
        }
        out.append(line);
        previous_exists = true;
        previous_more_indented = more_indented;
        empty_lines = 0;
      }
    } else {
      for (std::size_t k = 0; k <= last_content; ++k) {
        if (k > 0) out.push_back('\n');
        out.append(body[k]);
      }
    }
  }

  // Section 8.1.1.2: the final line break is kept unless stripped; the empty lines after it only
  // when kept. A line at the end of the text without a break has none to keep.
  const std::size_t trailing_from = last_content == kNone ? 0 : last_content + 1;
  if (last_content != kNone && chomping != Chomping::kStrip &&
      lines_[first + last_content].has_break) {
    out.push_back('\n');
  }
  if (chomping == Chomping::kKeep) {
    for (std::size_t k = trailing_from; k < body.size(); ++k) {
      if (lines_[first + k].has_break) out.push_back('\n');
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Collections

// A flow collection, [ ] or { }, which must close on the line where it opens: one that spans lines
// is hard to review in a diff, and the block form says the same.
Status Parser::ParseFlow(int depth, const std::string& pointer, Json& out) {
  const std::size_t open = pos_;
  ALIQUOT_RETURN_IF_ERROR(EnterCollection(depth, open));
  const bool mapping = Peek() == '{';
  ++pos_;
  // Skips spaces and says whether the line has ended there (at its end or at a comment).
  const auto skip_to_next = [&] {
    SkipWhite();
    return pos_ >= LineEnd() || (Peek() == '#' && IsWhite(text_[pos_ - 1]));
  };
  const auto unclosed = [&] {
    return Fail(open, mapping ? "this { } mapping does not close on its line; close it with '}' "
                                "on the same line, or write it as a block of 'key: value' lines"
                              : "this [ ] sequence does not close on its line; close it with ']' "
                                "on the same line, or write it as a block of '- item' lines");
  };
  const auto empty_entry = [&] {
    return Fail(pos_, "an empty entry; remove the extra ',' (write null for a missing value)");
  };

  if (!mapping) {
    Json::Array items;
    if (skip_to_next()) return unclosed();
    if (Peek() == ']') {
      ++pos_;
      out = Json(std::move(items));
      return {};
    }
    while (true) {
      if (Peek() == ',') return empty_entry();
      ALIQUOT_ASSIGN_OR_RETURN(std::string child, Child(pointer, items.size(), Here()));
      Json item;
      YamlPosition at;
      ALIQUOT_RETURN_IF_ERROR(ParseFlowNode(depth + 1, child, item, at));
      Record(std::move(child), at, std::nullopt);
      items.push_back(std::move(item));
      if (skip_to_next()) return unclosed();
      if (Peek() == ':') {
        return Fail(pos_,
                    "a 'key: value' pair inside [ ] is not supported; write a mapping in "
                    "braces: [{key: value}]");
      }
      if (Peek() == ']') break;
      if (Peek() != ',') {
        return Fail(
            pos_, "expected ',' or ']' after an item of the [ ] sequence, found " + Describe(pos_));
      }
      ++pos_;
      if (skip_to_next()) return unclosed();
      if (Peek() == ']') break;  // A trailing comma.
    }
    ++pos_;
    out = Json(std::move(items));
    return {};
  }

  Json::Object members;
  std::unordered_map<std::string, YamlPosition> seen;
  if (skip_to_next()) return unclosed();
  if (Peek() == '}') {
    ++pos_;
    out = Json(std::move(members));
    return {};
  }
  while (true) {
    if (Peek() == ',') return empty_entry();
    const YamlPosition key_at = Here();
    std::string key;
    ALIQUOT_RETURN_IF_ERROR(ParseKey(Context::kFlow, key));
    if (skip_to_next()) return unclosed();
    if (Peek() != ':') {
      return Fail(pos_,
                  "expected ':' after the key " + Quote(key) + " in { }, found " + Describe(pos_));
    }
    ++pos_;
    if (const auto [it, added] = seen.try_emplace(key, key_at); !added) {
      return FailAt(key_at, "duplicate key " + Quote(key) + " (first at line " +
                                std::to_string(it->second.line) + ", column " +
                                std::to_string(it->second.column) +
                                "); a key may appear only once in a mapping");
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::string child, Child(pointer, key, key_at));
    if (skip_to_next()) return unclosed();
    Json value;
    YamlPosition at = key_at;
    if (Peek() != ',' && Peek() != '}') {
      ALIQUOT_RETURN_IF_ERROR(ParseFlowNode(depth + 1, child, value, at));
    }
    Record(std::move(child), at, key_at);
    members.emplace_back(std::move(key), std::move(value));
    if (skip_to_next()) return unclosed();
    if (Peek() == '}') break;
    if (Peek() != ',') {
      return Fail(pos_, "expected ',' or '}' after the value of " + Quote(members.back().first) +
                            ", found " + Describe(pos_));
    }
    ++pos_;
    if (skip_to_next()) return unclosed();
    if (Peek() == '}') break;  // A trailing comma.
  }
  ++pos_;
  out = Json(std::move(members));
  return {};
}

Status Parser::ParseFlowNode(int depth, const std::string& pointer, Json& out, YamlPosition& at) {
  at = Here();
  const std::size_t start = pos_;
  switch (Peek()) {
    case '[':
    case '{':
      return ParseFlow(depth, pointer, out);
    case '\'':
    case '"': {
      std::string text;
      ALIQUOT_RETURN_IF_ERROR(Peek() == '"' ? ParseDoubleQuoted(text) : ParseSingleQuoted(text));
      out = Json(std::move(text));
      return {};
    }
    default:
      break;
  }
  ALIQUOT_RETURN_IF_ERROR(CheckPlainStart(Context::kFlow, false));
  const std::string_view text = ScanPlain(Context::kFlow);
  if (text.empty()) return Fail(pos_, "expected a value, found " + Describe(pos_));
  ALIQUOT_ASSIGN_OR_RETURN(out, ResolvePlain(text, start));
  return {};
}

// A key is text: plain (not resolved, so "1" and "null" are the text they show) or quoted.
Status Parser::ParseKey(Context context, std::string& key) {
  switch (Peek()) {
    case '\'':
      return ParseSingleQuoted(key);
    case '"':
      return ParseDoubleQuoted(key);
    case '[':
    case '{':
      return Fail(pos_, "a key must be text; a [ ] or { } collection cannot be a key");
    default:
      break;
  }
  ALIQUOT_RETURN_IF_ERROR(CheckPlainStart(context, false));
  const std::string_view text = ScanPlain(context);
  if (text.empty()) return Fail(pos_, "expected a key, found " + Describe(pos_));
  key.assign(text);
  return {};
}

// Whether the current line, from pos_, holds "key:" followed by a space or the end of the line.
bool Parser::LooksLikeKey() {
  const std::size_t start = pos_;
  bool key = false;
  const char c = Peek();
  if (c == '\'' || c == '"') {
    std::string ignored;
    const Status quoted = c == '"' ? ParseDoubleQuoted(ignored) : ParseSingleQuoted(ignored);
    if (quoted) {
      SkipWhite();
      key = Peek() == ':' && (IsWhite(CharAt(pos_ + 1)) || CharAt(pos_ + 1) == '\n');
    }
  } else if (c != '[' && c != '{') {
    ScanPlain(Context::kBlock);
    SkipWhite();
    key = Peek() == ':';
  }
  pos_ = start;
  return key;
}

// A node in block context, starting at pos_ on its first line; `parent_indent` is the indentation
// of the collection that holds it (-1 for the document), which its lines must go deeper than.
Status Parser::ParseBlockNode(int parent_indent, int depth, const std::string& pointer, Json& out,
                              YamlPosition& at) {
  at = Here();
  // Nodes start after spaces and "- " on their line, all single-byte: the byte offset within the
  // line is the indentation that the node's further lines must have.
  const int indent = static_cast<int>(pos_ - Current().begin);
  const char next = CharAt(pos_ + 1);
  if (Peek() == '-' && (IsWhite(next) || next == '\n')) {
    return ParseBlockSequence(indent, depth, pointer, out);
  }
  if (LooksLikeKey()) return ParseBlockMapping(indent, depth, pointer, out);
  return ParseInlineValue(parent_indent, false, depth, pointer, out, at);
}

// A scalar or a flow collection, which ends on its line, or a block scalar.
Status Parser::ParseInlineValue(int parent_indent, bool on_key_line, int depth,
                                const std::string& pointer, Json& out, YamlPosition& at) {
  at = Here();
  const std::size_t start = pos_;
  const char c = Peek();
  if (c == '|' || c == '>') {
    std::string text;
    ALIQUOT_RETURN_IF_ERROR(ParseBlockScalar(parent_indent, text));
    out = Json(std::move(text));
    return {};
  }
  const auto nested_mapping = [&] {
    return Fail(pos_, on_key_line
                          ? "a mapping cannot start on the line of its key; put its 'key: value' "
                            "lines below, indented, or quote text that contains ': '"
                          : "a 'key: value' needs a space after ':'");
  };
  if (c == '[' || c == '{') {
    ALIQUOT_RETURN_IF_ERROR(ParseFlow(depth, pointer, out));
    SkipWhite();
    if (Peek() == ':') {
      return Fail(start, "a key must be text; a [ ] or { } collection cannot be a key");
    }
    ALIQUOT_RETURN_IF_ERROR(ExpectLineEnd(c == '[' ? "the closing ']'" : "the closing '}'"));
    return CheckNotMoreIndented(parent_indent, false);
  }
  if (c == '\'' || c == '"') {
    std::string text;
    ALIQUOT_RETURN_IF_ERROR(c == '"' ? ParseDoubleQuoted(text) : ParseSingleQuoted(text));
    SkipWhite();
    if (Peek() == ':') return nested_mapping();
    ALIQUOT_RETURN_IF_ERROR(ExpectLineEnd("the closing quote"));
    out = Json(std::move(text));
    return CheckNotMoreIndented(parent_indent, false);
  }
  ALIQUOT_RETURN_IF_ERROR(CheckPlainStart(Context::kBlock, on_key_line));
  const std::string_view text = ScanPlain(Context::kBlock);
  if (Peek() == ':') return nested_mapping();
  ALIQUOT_ASSIGN_OR_RETURN(out, ResolvePlain(text, start));
  ALIQUOT_RETURN_IF_ERROR(ExpectLineEnd("the text"));
  return CheckNotMoreIndented(parent_indent, true);
}

// After a value that ended on its line, the next line must not be indented deeper than the
// collection holding the value: YAML would read it as more of the value (plain text continued, a
// form the subset refuses) or refuse it.
Status Parser::CheckNotMoreIndented(int parent_indent, bool after_plain) {
  ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
  if (AtEnd() || Current().document_start || Current().document_end) return {};
  if (Current().indent <= parent_indent) return {};
  if (after_plain && !LooksLikeKey()) {
    return Fail(pos_,
                "text cannot continue on the next line; keep it on one line, or write '|' "
                "after the key and the text on the lines below it, indented");
  }
  return Fail(pos_,
              "inconsistent indentation: this line is indented deeper than the line above, "
              "whose value is complete; align it with the keys or items above");
}

Status Parser::FailIndentation(int expected_indent, std::string_view what_is_there) {
  return Fail(pos_, "inconsistent indentation: this line starts at column " +
                        std::to_string(Current().indent + 1) + ", but the " +
                        std::string(what_is_there) + " at column " +
                        std::to_string(expected_indent + 1) +
                        "; align it with them, or with a block that encloses them");
}

// A block sequence whose first '-' is at pos_, `indent` spaces into its line. Its items' further
// lines go deeper than `indent`.
Status Parser::ParseBlockSequence(int indent, int depth, const std::string& pointer, Json& out) {
  ALIQUOT_RETURN_IF_ERROR(EnterCollection(depth, pos_));
  Json::Array items;
  while (true) {
    const YamlPosition dash_at = Here();
    ++pos_;  // '-'
    SkipWhite();
    ALIQUOT_ASSIGN_OR_RETURN(std::string child, Child(pointer, items.size(), dash_at));
    Json item;
    YamlPosition at = dash_at;
    if (Peek() == '\n' || Peek() == '#') {
      // The item is on the lines below, or is null.
      NextLine();
      ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
      if (!AtEnd() && !Current().document_start && !Current().document_end &&
          Current().indent > indent) {
        ALIQUOT_RETURN_IF_ERROR(ParseBlockNode(indent, depth + 1, child, item, at));
      }
    } else {
      ALIQUOT_RETURN_IF_ERROR(ParseBlockNode(indent, depth + 1, child, item, at));
    }
    Record(std::move(child), at, std::nullopt);
    items.push_back(std::move(item));

    ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
    if (AtEnd() || Current().document_start || Current().document_end) break;
    if (Current().indent < indent) break;
    if (Current().indent > indent) return FailIndentation(indent, "sequence's '-' above stand");
    const char next = CharAt(pos_ + 1);
    // Anything else at this indentation belongs to the mapping whose key holds this sequence.
    if (Peek() != '-' || !(IsWhite(next) || next == '\n')) break;
  }
  out = Json(std::move(items));
  return {};
}

Status Parser::ParseBlockMapping(int indent, int depth, const std::string& pointer, Json& out) {
  ALIQUOT_RETURN_IF_ERROR(EnterCollection(depth, pos_));
  Json::Object members;
  std::unordered_map<std::string, YamlPosition> seen;
  while (true) {
    const YamlPosition key_at = Here();
    std::string key;
    ALIQUOT_RETURN_IF_ERROR(ParseKey(Context::kBlock, key));
    SkipWhite();
    if (Peek() != ':') {
      return Fail(pos_, "expected ':' after " + Quote(key) +
                            ": every line at this indentation is a 'key: value' of the mapping "
                            "whose keys start at column " +
                            std::to_string(indent + 1));
    }
    ++pos_;
    if (const auto [it, added] = seen.try_emplace(key, key_at); !added) {
      return FailAt(key_at, "duplicate key " + Quote(key) + " (first at line " +
                                std::to_string(it->second.line) + ", column " +
                                std::to_string(it->second.column) +
                                "); a key may appear only once in a mapping");
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::string child, Child(pointer, key, key_at));
    Json value;
    YamlPosition at = key_at;
    SkipWhite();
    if (Peek() == '\n' || Peek() == '#') {
      // The value is on the lines below: deeper, or a sequence at the key's own indentation.
      NextLine();
      ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
      if (!AtEnd() && !Current().document_start && !Current().document_end) {
        const char next = CharAt(pos_ + 1);
        if (Current().indent > indent) {
          ALIQUOT_RETURN_IF_ERROR(ParseBlockNode(indent, depth + 1, child, value, at));
        } else if (Current().indent == indent && Peek() == '-' && (IsWhite(next) || next == '\n')) {
          at = Here();
          ALIQUOT_RETURN_IF_ERROR(ParseBlockSequence(indent, depth + 1, child, value));
        }
      }
    } else {
      ALIQUOT_RETURN_IF_ERROR(ParseInlineValue(indent, true, depth + 1, child, value, at));
    }
    Record(std::move(child), at, key_at);
    members.emplace_back(std::move(key), std::move(value));

    ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
    if (AtEnd() || Current().document_start || Current().document_end) break;
    if (Current().indent < indent) break;
    if (Current().indent > indent)
      return FailIndentation(indent, "keys of the mapping above start");
    const char next = CharAt(pos_ + 1);
    if (Peek() == '-' && (IsWhite(next) || next == '\n')) {
      return Fail(pos_,
                  "a '- ' item cannot stand among the 'key: value' lines of a mapping; "
                  "put the sequence under a key of its own");
    }
  }
  out = Json(std::move(members));
  return {};
}

Result<Json> Parser::ParseDocument() {
  ALIQUOT_RETURN_IF_ERROR(SplitLines());
  ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
  if (!AtEnd() && Peek() == '%' && pos_ == Current().begin) {
    return Fail(pos_, "directives ('%YAML', '%TAG') are not supported; remove the line");
  }
  if (!AtEnd() && Current().document_start) {
    pos_ = Current().begin + 3;
    SkipWhite();
    if (pos_ < LineEnd() && Peek() != '#') {
      return Fail(pos_,
                  "content on the '---' line is not supported; start the document on the "
                  "next line");
    }
    NextLine();
    ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
  }
  Json root;
  YamlPosition root_at{1, 1};
  const bool has_root = !AtEnd() && !Current().document_start && !Current().document_end;
  if (has_root) {
    ALIQUOT_RETURN_IF_ERROR(ParseBlockNode(-1, 0, "", root, root_at));
    Record("", root_at, std::nullopt);
  }
  ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
  if (!AtEnd() && Current().document_end) {
    pos_ = Current().begin + 3;
    SkipWhite();
    if (pos_ < LineEnd() && Peek() != '#') {
      return Fail(pos_, "nothing but a comment may follow '...' on its line");
    }
    NextLine();
    ALIQUOT_RETURN_IF_ERROR(SkipBlankLines());
    if (!AtEnd() && !Current().document_start) {
      return Fail(pos_, "nothing may follow '...', the end of the document, but comments");
    }
  }
  if (AtEnd()) return root;
  if (Current().document_start) {
    return Fail(Current().begin,
                "a second document ('---') is not supported; a file holds one document");
  }
  return Fail(pos_, "this line does not continue the document's top-level " +
                        std::string(root.IsArray()    ? "sequence"
                                    : root.IsObject() ? "mapping"
                                                      : "value") +
                        " at line " + std::to_string(root_at.line) + ", column " +
                        std::to_string(root_at.column) + "; check its indentation");
}

// ---------------------------------------------------------------------------------------------
// Emitter

constexpr std::size_t kLineLimit = 100;

enum class Style { kBlock, kFlow };

bool IsScalar(const Json& value) { return !value.IsArray() && !value.IsObject(); }

bool IsMultiLineString(const Json& value) {
  return value.IsString() && value.AsString().find('\n') != std::string::npos;
}

// Width in columns: code points, as the parser counts them.
std::size_t Width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Characters written as escapes: those YAML does not allow raw, and those a reader may take for
// something else (a byte order mark, the line and paragraph separators YAML 1.1 breaks lines at).
bool NeedsEscape(char32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F) || code_point == 0xFEFF ||
         code_point == 0x2028 || code_point == 0x2029;
}

// Calls `visit` with each code point of `text`, which holds valid UTF-8 as every Json string does.
template <typename Visit>
void ForEachCodePoint(std::string_view text, Visit visit) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = Utf8Length(text, pos);
    ALIQUOT_CHECK_MSG(length > 0, "a Json string holds invalid UTF-8");
    visit(DecodeUtf8(text, pos).code_point, pos, length);
    pos += length;
  }
}

bool HasCharacterToEscape(std::string_view text, bool except_line_feed) {
  bool found = false;
  ForEachCodePoint(text, [&](char32_t code_point, std::size_t, std::size_t) {
    if (NeedsEscape(code_point) && !(except_line_feed && code_point == '\n')) found = true;
  });
  return found;
}

// Whether `text` written plain reads back as the same text, in this parser and in YAML 1.1
// readers, and cannot be mistaken for structure.
bool CanBePlain(std::string_view text, Style style) {
  if (text.empty() || ReadsAsOtherThanText(text)) return false;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(text[0]) != std::string_view::npos) return false;
  if (IsWhite(text.front()) || IsWhite(text.back()) || text.back() == ':') return false;
  if (text.starts_with("...") || text.starts_with("---")) return false;  // Document markers.
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) {
    return false;
  }
  if (style == Style::kFlow && text.find_first_of(",[]{}") != std::string_view::npos) return false;
  return !HasCharacterToEscape(text, false);
}

void AppendDoubleQuoted(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  ForEachCodePoint(text, [&](char32_t code_point, std::size_t pos, std::size_t length) {
    switch (code_point) {
      case '"':
        out.append("\\\"");
        return;
      case '\\':
        out.append("\\\\");
        return;
      case '\n':
        out.append("\\n");
        return;
      case '\t':
        out.append("\\t");
        return;
      case '\r':
        out.append("\\r");
        return;
      case '\0':
        out.append("\\0");
        return;
      default:
        break;
    }
    if (!NeedsEscape(code_point)) {
      out.append(text.substr(pos, length));
    } else if (code_point <= 0xFF) {
      out.append("\\x");
      out.push_back(kHex[code_point >> 4]);
      out.push_back(kHex[code_point & 0xF]);
    } else {
      out.append("\\u");
      for (int shift = 12; shift >= 0; shift -= 4) {
        out.push_back(kHex[(code_point >> static_cast<unsigned>(shift)) & 0xFu]);
      }
    }
  });
  out.push_back('"');
}

void AppendText(std::string_view text, Style style, std::string& out) {
  if (CanBePlain(text, style)) {
    out.append(text);
  } else {
    AppendDoubleQuoted(text, out);
  }
}

// Numbers as people write them on a batch record: a count of cells or a concentration of a million
// or more, given to at most six significant digits, in exponent form with a decimal point,
// "5.0e+9" rather than "5000000000"; others in their RFC 8785 form. Both are the shortest digits
// that read back as the same double under the core schema (and as a float under YAML 1.1, hence
// the point).
void AppendNumber(double value, std::string& out) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e6) {
    for (int digits = 1; digits <= 6; ++digits) {
      std::array<char, 40> buffer{};
      const int written = std::snprintf(buffer.data(), buffer.size(), "%.*e", digits - 1, value);
      ALIQUOT_CHECK(written > 0 && static_cast<std::size_t>(written) < buffer.size());
      if (std::strtod(buffer.data(), nullptr) != value) continue;
      const std::string_view text(buffer.data(), static_cast<std::size_t>(written));
      const std::size_t e = text.find('e');
      std::string mantissa(text.substr(0, e));
      if (mantissa.find('.') == std::string::npos) mantissa.append(".0");
      const int exponent = std::atoi(buffer.data() + e + 1);
      out.append(mantissa)
          .append(exponent < 0 ? "e-" : "e+")
          .append(std::to_string(exponent < 0 ? -exponent : exponent));
      return;
    }
  }
  std::string text = CanonicalNumber(value);
  if (IsIntegerText(text) && magnitude > static_cast<double>(Json::kMaxExactInteger)) {
    text.append(".0");
  }
  out.append(text);
}

void AppendScalar(const Json& value, Style style, std::string& out) {
  switch (value.GetType()) {
    case Json::Type::kNull:
      out.append("null");
      return;
    case Json::Type::kBool:
      out.append(value.AsBool() ? "true" : "false");
      return;
    case Json::Type::kNumber:
      AppendNumber(value.AsNumber(), out);
      return;
    case Json::Type::kString:
      AppendText(value.AsString(), style, out);
      return;
    case Json::Type::kArray:
    case Json::Type::kObject:
      break;
  }
  ALIQUOT_CHECK_MSG(false, "AppendScalar on a collection");
}

// Whether a literal block scalar holds `text` exactly and readably: lines without control
// characters or trailing spaces (editors strip them), a first line that does not begin with a
// space (the block's indentation is taken from it), and some text that is not line breaks.
bool FitsLiteralBlock(std::string_view text) {
  if (HasCharacterToEscape(text, true)) return false;
  const std::size_t body_end = text.find_last_not_of('\n');
  if (body_end == std::string_view::npos) return false;
  const std::string_view body = text.substr(0, body_end + 1);
  bool first_with_text = true;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    if (!line.empty()) {
      if (IsWhite(line.back())) return false;
      if (first_with_text && IsWhite(line.front())) return false;
      first_with_text = false;
    }
    start = end + 1;
  }
  return true;
}

// Writes "|", "|-" or "|+" and the lines of `text`, indented by `indent`. FitsLiteralBlock(text).
void AppendLiteralBlock(std::string_view text, std::size_t indent, std::string& out) {
  const std::size_t body_end = text.find_last_not_of('\n');
  const std::size_t breaks = text.size() - body_end - 1;
  out.append(breaks == 0 ? "|-\n" : breaks == 1 ? "|\n" : "|+\n");
  const std::string_view body = text.substr(0, body_end + 1);
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    if (end > start) {
      out.append(indent, ' ');
      out.append(body.substr(start, end - start));
    }
    out.push_back('\n');
    start = end + 1;
  }
  // Keep chomping: the empty lines after the last line of text stand for the further breaks.
  if (breaks > 1) out.append(breaks - 1, '\n');
}

// A scalar that completes the current line, after "key: " or "- " (or alone at the top level);
// multi-line text as a literal block whose lines are indented by `indent`.
void AppendBlockScalar(const Json& value, std::size_t indent, std::string& out) {
  if (IsMultiLineString(value) && FitsLiteralBlock(value.AsString())) {
    AppendLiteralBlock(value.AsString(), indent, out);
    return;
  }
  AppendScalar(value, Style::kBlock, out);
  out.push_back('\n');
}

// The flow form of a non-empty collection of scalars, none of them multi-line text (which reads
// better as a literal block); nullopt for any other value.
std::optional<std::string> FlowForm(const Json& value) {
  std::string out;
  if (value.IsArray()) {
    const Json::Array& items = value.AsArray();
    if (items.empty()) return std::nullopt;
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!IsScalar(items[i]) || IsMultiLineString(items[i])) return std::nullopt;
      if (i > 0) out.append(", ");
      AppendScalar(items[i], Style::kFlow, out);
    }
    out.push_back(']');
    return out;
  }
  if (value.IsObject()) {
    const Json::Object& members = value.AsObject();
    if (members.empty()) return std::nullopt;
    out.push_back('{');
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& [key, member] = members[i];
      if (!IsScalar(member) || IsMultiLineString(member)) return std::nullopt;
      if (i > 0) out.append(", ");
      AppendText(key, Style::kFlow, out);
      out.append(": ");
      AppendScalar(member, Style::kFlow, out);
    }
    out.push_back('}');
    return out;
  }
  return std::nullopt;
}

bool IsEmptyCollection(const Json& value) {
  return (value.IsArray() && value.AsArray().empty()) ||
         (value.IsObject() && value.AsObject().empty());
}

void AppendBlockSequence(const Json::Array& items, std::size_t indent, bool first_on_line,
                         std::string& out);
void AppendBlockMapping(const Json::Object& members, std::size_t indent, bool first_on_line,
                        std::string& out);

// The value of a mapping member, after "key:" at `indent`; `line_width` is the line's so far.
void AppendMemberValue(const Json& value, std::size_t indent, std::size_t line_width,
                       std::string& out) {
  if (IsScalar(value)) {
    out.push_back(' ');
    AppendBlockScalar(value, indent + 2, out);
    return;
  }
  if (IsEmptyCollection(value)) {
    out.append(value.IsArray() ? " []\n" : " {}\n");
    return;
  }
  if (const std::optional<std::string> flow = FlowForm(value);
      flow && line_width + 1 + Width(*flow) <= kLineLimit) {
    out.push_back(' ');
    out.append(*flow);
    out.push_back('\n');
    return;
  }
  out.push_back('\n');
  if (value.IsArray()) {
    AppendBlockSequence(value.AsArray(), indent + 2, false, out);
  } else {
    AppendBlockMapping(value.AsObject(), indent + 2, false, out);
  }
}

// Items as "- item" lines at `indent`; when `first_on_line`, the first "-" continues the line
// already begun (after "- " of an enclosing item).
void AppendBlockSequence(const Json::Array& items, std::size_t indent, bool first_on_line,
                         std::string& out) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0 || !first_on_line) out.append(indent, ' ');
    out.append("- ");
    const Json& item = items[i];
    if (IsScalar(item)) {
      AppendBlockScalar(item, indent + 2, out);
    } else if (IsEmptyCollection(item)) {
      out.append(item.IsArray() ? "[]\n" : "{}\n");
    } else if (item.IsArray()) {
      const std::optional<std::string> flow = FlowForm(item);
      if (flow && indent + 2 + Width(*flow) <= kLineLimit) {
        out.append(*flow);
        out.push_back('\n');
      } else {
        AppendBlockSequence(item.AsArray(), indent + 2, true, out);
      }
    } else {
      // A mapping in a sequence starts on the dash's line, in block style even when short: the
      // records of a definition file read as one "- id: ..." block each.
      AppendBlockMapping(item.AsObject(), indent + 2, true, out);
    }
  }
}

void AppendBlockMapping(const Json::Object& members, std::size_t indent, bool first_on_line,
                        std::string& out) {
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0 || !first_on_line) out.append(indent, ' ');
    const std::size_t key_start = out.size();
    AppendText(members[i].first, Style::kBlock, out);
    out.push_back(':');
    const std::size_t line_width = indent + Width(std::string_view(out).substr(key_start));
    AppendMemberValue(members[i].second, indent, line_width, out);
  }
}

void EmitDocument(const Json& value, std::string& out) {
  if (IsScalar(value)) {
    AppendBlockScalar(value, 2, out);
  } else if (IsEmptyCollection(value)) {
    out.append(value.IsArray() ? "[]\n" : "{}\n");
  } else if (value.IsArray()) {
    const std::optional<std::string> flow = FlowForm(value);
    if (flow && Width(*flow) <= kLineLimit) {
      out.append(*flow);
      out.push_back('\n');
    } else {
      AppendBlockSequence(value.AsArray(), 0, false, out);
    }
  } else {
    AppendBlockMapping(value.AsObject(), 0, false, out);
  }
}

}  // namespace

Result<Json> ParseYaml(std::string_view text, YamlPositions* positions, YamlParseOptions options) {
  return Parser(text, positions, options).ParseDocument();
}

std::string EmitYaml(const Json& value) {
  std::string out;
  EmitDocument(value, out);
  return out;
}

}  // namespace aliquot
