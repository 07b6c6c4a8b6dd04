#include "aliquot/domain/recipes/formula.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/text.h"

namespace aliquot::recipes {

// One node of the parsed tree. `begin` and `end` delimit its source text (bytes), so that a
// message quotes a divisor as the engineer wrote it; `at` is where a message about the node points:
// the operator of a binary node, the name of a call, the start of anything else.
struct Formula::Node {
  enum class Kind {
    kNumber,
    kName,
    kNegate,
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kPower,
    kMin,
    kMax,
    kAbs,
    kSqrt,
  };
  Kind kind = Kind::kNumber;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t at = 0;
  double number = 0;                // kNumber, in its unit.
  std::optional<units::Unit> unit;  // kNumber; none for a plain number.
  std::string name;                 // kName.
  int exponent = 0;                 // kPower.
  std::vector<std::unique_ptr<const Node>> children;
};

namespace {

using Node = Formula::Node;
using Kind = Node::Kind;

constexpr std::size_t kMaxFormulaBytes = 1000;
constexpr int kMaxNesting = 32;
constexpr int kMaxPower = 6;
// No measured quantity has a base dimension to a higher power than this; the bound also keeps
// exponent arithmetic far from int overflow under nested powers.
constexpr long kMaxDimensionExponent = 30;
constexpr std::size_t kMaxQuantityBytes = 128;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kLargest = std::numeric_limits<double>::max();
constexpr std::string_view kCelsiusAdvice = "temperatures in C cannot be computed with; use K";
constexpr std::string_view kFunctions = "formulas have min, max, abs and sqrt";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentifierByte(char c) { return IsIdentifierStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The number at the start of `text` by the grammar's `number`: `length` is 0 when none starts
// there; `problem` is set when one starts but is malformed, `length` then being where.
struct NumberScan {
  std::size_t length = 0;
  std::string_view problem;
};

NumberScan ScanNumber(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  const bool integer_digits = i > 0;
  if (i < text.size() && text[i] == '.') {
    if (i + 1 == text.size() || !IsDigit(text[i + 1])) {
      if (!integer_digits) return {};
      return {i + 1, "expected a digit after '.'"};
    }
    i += 2;
    while (i < text.size() && IsDigit(text[i])) ++i;
  } else if (!integer_digits) {
    return {};
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j == text.size() || !IsDigit(text[j])) return {j, "expected the digits of the exponent"};
    while (j < text.size() && IsDigit(text[j])) ++j;
    i = j;
  }
  return {i, {}};
}

// The value of a number that ScanNumber accepted; nullopt when a double cannot hold it (1e400,
// and 1e-400, which would otherwise read as a silent 0).
std::optional<double> ReadNumber(std::string_view number) {
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// 1-based, counting UTF-8 characters rather than bytes: what an editor shows.
std::size_t CharacterPosition(std::string_view text, std::size_t byte) {
  std::size_t position = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
  }
  return position;
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// ---------------------------------------------------------------------------------------------
// Parsing

enum class TokenKind {
  kNumber,
  kName,
  kUnit,  // "[cells/mL]", brackets included.
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kCaret,
  kOpen,
  kClose,
  kComma,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t begin = 0;
  std::size_t end = 0;
};

enum class Function { kNone, kMin, kMax, kAbs, kSqrt };

Function FunctionNamed(std::string_view name) {
  if (name == "min") return Function::kMin;
  if (name == "max") return Function::kMax;
  if (name == "abs") return Function::kAbs;
  if (name == "sqrt") return Function::kSqrt;
  return Function::kNone;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view field) : text_(text), field_(field) {}

  Result<std::unique_ptr<Node>> Run() {
    ALIQUOT_RETURN_IF_ERROR(Tokenize());
    ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, ParseExpression(0));
    const Token& last = Peek();
    if (last.kind == TokenKind::kClose) {
      return Unexpected(Fail(last.begin, "this ')' closes no '('"));
    }
    if (last.kind != TokenKind::kEnd) return Unexpected(ExpectedOperator(last));
    return root;
  }

  std::vector<std::string> TakeNames() { return std::move(names_); }

 private:
  Error Fail(std::size_t byte, std::string_view detail) const {
    const std::string field(field_);
    return InvalidArgument("formula " + Quoted(text_) + " in field '" + field + "': at character " +
                               std::to_string(CharacterPosition(text_, byte)) + ": " +
                               std::string(detail),
                           field);
  }

  std::string_view Slice(const Token& token) const {
    return text_.substr(token.begin, token.end - token.begin);
  }

  std::string Describe(const Token& token) const {
    return token.kind == TokenKind::kEnd ? "the end of the formula" : Quoted(Slice(token));
  }

  Error ExpectedOperator(const Token& token) const {
    if (token.kind == TokenKind::kUnit) {
      return Fail(token.begin,
                  "a unit in brackets follows a number, as in '1e6 [cells/mL]'; a name carries "
                  "its own unit");
    }
    return Fail(token.begin, "expected an operator (+ - * / ^) but found " + Describe(token));
  }

  // A character no token starts with; a whole UTF-8 sequence is quoted, a control byte named.
  Error UnexpectedCharacter(std::size_t i) const {
    const auto byte = static_cast<unsigned char>(text_[i]);
    if (byte < 0x20 || byte == 0x7F) return Fail(i, "unexpected control character");
    std::size_t length = 1;
    if (byte >= 0xF0) {
      length = 4;
    } else if (byte >= 0xE0) {
      length = 3;
    } else if (byte >= 0xC0) {
      length = 2;
    }
    return Fail(i, "unexpected character " + Quoted(text_.substr(i, length)) +
                       ": a formula has numbers, names, + - * / ^, parentheses, commas and units "
                       "in brackets");
  }

  Status Tokenize() {
    std::size_t i = 0;
    while (true) {
      while (i < text_.size() && IsSpace(text_[i])) ++i;
      if (i == text_.size()) {
        tokens_.push_back({TokenKind::kEnd, i, i});
        return {};
      }
      const std::size_t begin = i;
      const char c = text_[i];
      const NumberScan number = ScanNumber(text_.substr(i));
      if (!number.problem.empty()) return Unexpected(Fail(i + number.length, number.problem));
      if (number.length > 0) {
        i += number.length;
        // "5mL" or "1e6cells": the unit has its own syntax, so it goes in brackets.
        if (i < text_.size() && (IsIdentifierByte(text_[i]) || text_[i] == '.')) {
          return Unexpected(Fail(i,
                                 "a number ends here: write a unit in brackets, as in '5 [mL]', "
                                 "and an operator between a number and a name"));
        }
        tokens_.push_back({TokenKind::kNumber, begin, i});
        continue;
      }
      if (IsIdentifierStart(c)) {
        while (i < text_.size() && IsIdentifierByte(text_[i])) ++i;
        if (i < text_.size() && text_[i] == '.') {
          if (i + 1 == text_.size() || !IsIdentifierStart(text_[i + 1])) {
            return Unexpected(Fail(i + 1, "expected a name after '.', as in 'harvest.volume'"));
          }
          i += 2;
          while (i < text_.size() && IsIdentifierByte(text_[i])) ++i;
          if (i < text_.size() && text_[i] == '.') {
            return Unexpected(Fail(
                i, "a name has at most one '.', as in 'harvest.volume': step, then parameter"));
          }
        }
        tokens_.push_back({TokenKind::kName, begin, i});
        continue;
      }
      if (c == '[') {
        const std::size_t close = text_.find(']', i);
        if (close == std::string_view::npos) {
          return Unexpected(Fail(i, "this '[' has no ']' closing its unit"));
        }
        i = close + 1;
        tokens_.push_back({TokenKind::kUnit, begin, i});
        continue;
      }
      TokenKind kind = TokenKind::kEnd;
      switch (c) {
        case '+':
          kind = TokenKind::kPlus;
          break;
        case '-':
          kind = TokenKind::kMinus;
          break;
        case '*':
          kind = TokenKind::kStar;
          break;
        case '/':
          kind = TokenKind::kSlash;
          break;
        case '^':
          kind = TokenKind::kCaret;
          break;
        case '(':
          kind = TokenKind::kOpen;
          break;
        case ')':
          kind = TokenKind::kClose;
          break;
        case ',':
          kind = TokenKind::kComma;
          break;
        default:
          return Unexpected(UnexpectedCharacter(i));
      }
      ++i;
      tokens_.push_back({kind, begin, i});
    }
  }

  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() {
    const Token& token = tokens_[next_];
    if (token.kind != TokenKind::kEnd) ++next_;
    return token;
  }

  Status CheckDepth(int depth) const {
    if (depth <= kMaxNesting) return {};
    return Unexpected(Fail(Peek().begin, "the formula nests deeper than " +
                                             std::to_string(kMaxNesting) +
                                             " levels: split it into calculations"));
  }

  static std::unique_ptr<Node> Binary(Kind kind, std::size_t at, std::unique_ptr<Node> left,
                                      std::unique_ptr<Node> right) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->begin = left->begin;
    node->end = right->end;
    node->at = at;
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    return node;
  }

  Result<std::unique_ptr<Node>> ParseExpression(int depth) {
    ALIQUOT_RETURN_IF_ERROR(CheckDepth(depth));
    ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseTerm(depth));
    while (Peek().kind == TokenKind::kPlus || Peek().kind == TokenKind::kMinus) {
      const Token& op = Take();
      ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseTerm(depth));
      left = Binary(op.kind == TokenKind::kPlus ? Kind::kAdd : Kind::kSubtract, op.begin,
                    std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> ParseTerm(int depth) {
    ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseUnary(depth));
    while (Peek().kind == TokenKind::kStar || Peek().kind == TokenKind::kSlash) {
      const Token& op = Take();
      ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseUnary(depth));
      left = Binary(op.kind == TokenKind::kStar ? Kind::kMultiply : Kind::kDivide, op.begin,
                    std::move(left), std::move(right));
    }
    return left;
  }

  // Each sign nests one level, so that "- - - ... x" cannot exhaust the stack.
  Result<std::unique_ptr<Node>> ParseUnary(int depth) {
    const Token& sign = Peek();
    if (sign.kind != TokenKind::kMinus && sign.kind != TokenKind::kPlus) return ParsePower(depth);
    Take();
    ALIQUOT_RETURN_IF_ERROR(CheckDepth(depth + 1));
    ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> operand, ParseUnary(depth + 1));
    if (sign.kind == TokenKind::kPlus) return operand;
    auto node = std::make_unique<Node>();
    node->kind = Kind::kNegate;
    node->begin = sign.begin;
    node->end = operand->end;
    node->at = sign.begin;
    node->children.push_back(std::move(operand));
    return node;
  }

  Result<std::unique_ptr<Node>> ParsePower(int depth) {
    ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> base, ParsePrimary(depth));
    if (Peek().kind != TokenKind::kCaret) return base;
    const Token& caret = Take();
    const bool negative = Peek().kind == TokenKind::kMinus;
    if (negative) Take();
    const Token& power = Peek();
    const std::string_view digits = Slice(power);
    constexpr std::string_view kPowerAdvice =
        "a power is a whole number from -6 to 6, as in 'x ^ 2' or 'x ^ -1'";
    if (power.kind != TokenKind::kNumber || !std::all_of(digits.begin(), digits.end(), IsDigit) ||
        digits.size() > 2) {
      return Unexpected(Fail(power.begin, kPowerAdvice));
    }
    Take();
    const int magnitude =
        digits.size() == 1 ? digits[0] - '0' : (digits[0] - '0') * 10 + (digits[1] - '0');
    if (magnitude > kMaxPower) return Unexpected(Fail(power.begin, kPowerAdvice));
    auto node = std::make_unique<Node>();
    node->kind = Kind::kPower;
    node->begin = base->begin;
    node->end = power.end;
    node->at = caret.begin;
    node->exponent = negative ? -magnitude : magnitude;
    node->children.push_back(std::move(base));
    if (Peek().kind == TokenKind::kCaret) {
      return Unexpected(
          Fail(Peek().begin, "a power of a power needs parentheses, as in '(x ^ 2) ^ 3'"));
    }
    return node;
  }

  Result<std::unique_ptr<Node>> ParsePrimary(int depth) {
    const Token& token = Take();
    switch (token.kind) {
      case TokenKind::kNumber:
        return ParseNumber(token);
      case TokenKind::kName:
        if (Peek().kind == TokenKind::kOpen) return ParseCall(token, depth);
        return ParseName(token);
      case TokenKind::kOpen: {
        ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, ParseExpression(depth + 1));
        const Token& close = Take();
        if (close.kind != TokenKind::kClose) {
          return Unexpected(
              Fail(close.begin, "expected ')' to close the '(' at character " +
                                    std::to_string(CharacterPosition(text_, token.begin)) +
                                    " but found " + Describe(close)));
        }
        // The parentheses belong to the text a message quotes: "divides by '(a - b)'".
        inner->begin = token.begin;
        inner->end = close.end;
        return inner;
      }
      case TokenKind::kUnit:
        return Unexpected(ExpectedOperator(token));
      default:
        return Unexpected(
            Fail(token.begin,
                 "expected a number, a name, a function or '(' but found " + Describe(token)));
    }
  }

  Result<std::unique_ptr<Node>> ParseNumber(const Token& token) {
    auto node = std::make_unique<Node>();
    node->kind = Kind::kNumber;
    node->begin = token.begin;
    node->end = token.end;
    node->at = token.begin;
    const std::optional<double> value = ReadNumber(Slice(token));
    if (!value) {
      return Unexpected(
          Fail(token.begin, Quoted(Slice(token)) + " is beyond the range of a number"));
    }
    node->number = *value;
    if (Peek().kind != TokenKind::kUnit) return node;
    const Token& unit_token = Take();
    const std::string_view unit_text =
        text_.substr(unit_token.begin + 1, unit_token.end - unit_token.begin - 2);
    Result<units::Unit> unit = units::Unit::Parse(unit_text, field_);
    if (!unit) {
      // The unit's message names the field too; said once here, it reads better.
      std::string detail = unit.error().Message();
      const std::string repeated = " in field '" + std::string(field_) + "'";
      if (const std::size_t at = detail.find(repeated); at != std::string::npos) {
        detail.erase(at, repeated.size());
      }
      return Unexpected(Fail(unit_token.begin + 1, detail));
    }
    if (!std::isfinite(*value * unit->Factor())) {
      return Unexpected(
          Fail(token.begin, Quoted(text_.substr(token.begin, unit_token.end - token.begin)) +
                                " is beyond the range of a number"));
    }
    node->unit = std::move(*unit);
    node->end = unit_token.end;
    return node;
  }

  Result<std::unique_ptr<Node>> ParseName(const Token& token) {
    const std::string_view name = Slice(token);
    if (FunctionNamed(name) != Function::kNone) {
      return Unexpected(Fail(token.begin, Quoted(name) + " is a function: write " +
                                              std::string(name) +
                                              (name == "min" || name == "max" ? "(a, b)" : "(a)")));
    }
    auto node = std::make_unique<Node>();
    node->kind = Kind::kName;
    node->begin = token.begin;
    node->end = token.end;
    node->at = token.begin;
    node->name = std::string(name);
    if (std::find(names_.begin(), names_.end(), node->name) == names_.end()) {
      names_.push_back(node->name);
    }
    return node;
  }

  Result<std::unique_ptr<Node>> ParseCall(const Token& token, int depth) {
    const std::string_view name = Slice(token);
    const Function function = FunctionNamed(name);
    if (function == Function::kNone) {
      return Unexpected(
          Fail(token.begin, Quoted(name) + " is not a function: " + std::string(kFunctions)));
    }
    Take();  // "("
    auto node = std::make_unique<Node>();
    node->begin = token.begin;
    node->at = token.begin;
    while (true) {
      ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> argument, ParseExpression(depth + 1));
      node->children.push_back(std::move(argument));
      const Token& next = Take();
      if (next.kind == TokenKind::kClose) {
        node->end = next.end;
        break;
      }
      if (next.kind != TokenKind::kComma) {
        return Unexpected(Fail(next.begin, "expected ',' or ')' in " + std::string(name) +
                                               "(...) but found " + Describe(next)));
      }
    }
    const bool several = function == Function::kMin || function == Function::kMax;
    if (several && node->children.size() < 2) {
      return Unexpected(Fail(token.begin, std::string(name) + " takes two or more values, as in " +
                                              std::string(name) + "(a, b)"));
    }
    if (!several && node->children.size() != 1) {
      return Unexpected(Fail(
          token.begin, std::string(name) + " takes one value, as in " + std::string(name) + "(a)"));
    }
    switch (function) {
      case Function::kMin:
        node->kind = Kind::kMin;
        break;
      case Function::kMax:
        node->kind = Kind::kMax;
        break;
      case Function::kAbs:
        node->kind = Kind::kAbs;
        break;
      case Function::kSqrt:
        node->kind = Kind::kSqrt;
        break;
      case Function::kNone:
        ALIQUOT_CHECK(false);
    }
    return node;
  }

  std::string_view text_;
  std::string_view field_;
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  std::vector<std::string> names_;
};

// ---------------------------------------------------------------------------------------------
// Dimensions: the same canonical form as units::Dimension (sorted by base, no zero exponent), so
// that operator== compares a formula's dimension with a unit's.

std::optional<units::Dimension> Canonical(const std::map<std::string, long>& exponents) {
  units::Dimension dimension;
  for (const auto& [base, exponent] : exponents) {
    if (exponent == 0) continue;
    if (exponent > kMaxDimensionExponent || exponent < -kMaxDimensionExponent) return std::nullopt;
    dimension.exponents.emplace_back(base, static_cast<int>(exponent));
  }
  return dimension;
}

// a * b^sign.
std::optional<units::Dimension> Product(const units::Dimension& a, const units::Dimension& b,
                                        int sign) {
  std::map<std::string, long> exponents;
  for (const auto& [base, exponent] : a.exponents) exponents[base] += exponent;
  for (const auto& [base, exponent] : b.exponents)
    exponents[base] += static_cast<long>(sign) * exponent;
  return Canonical(exponents);
}

std::optional<units::Dimension> Raised(const units::Dimension& a, int power) {
  std::map<std::string, long> exponents;
  for (const auto& [base, exponent] : a.exponents) exponents[base] = long{exponent} * power;
  return Canonical(exponents);
}

// nullopt when an exponent is odd: the root of cells has no unit.
std::optional<units::Dimension> Root(const units::Dimension& a) {
  units::Dimension root;
  for (const auto& [base, exponent] : a.exponents) {
    if (exponent % 2 != 0) return std::nullopt;
    root.exponents.emplace_back(base, exponent / 2);
  }
  return root;
}

// x^n for n >= 0 by repeated multiplication rather than std::pow: each step is a correctly
// rounded product, so the result is monotone in x and a range computed from the ends of an
// interval holds every value computed from inside it.
double PowerOf(double x, int n) {
  double result = 1;
  for (int i = 0; i < n; ++i) result *= x;
  return result;
}

std::string ResultUnitMismatch(const units::Dimension& dimension, const units::Unit& unit) {
  return "the formula gives " + units::DescribeDimension(dimension) + " but its unit '" +
         unit.Text() + "' is " + units::DescribeDimension(unit.GetDimension());
}

// What checking and evaluating share: the messages and the rules of dimensions.
class Walk {
 protected:
  Walk(std::string prefix, std::string_view text, std::string_view field)
      : prefix_(std::move(prefix)), text_(text), field_(field) {}

  Error Fail(const std::string& detail) const {
    return InvalidArgument(prefix_ + detail, std::string(field_));
  }
  Error FailAt(std::size_t at, const std::string& detail) const {
    return Fail("at character " + std::to_string(CharacterPosition(text_, at)) + ": " + detail);
  }
  std::string Source(const Node& node) const {
    return Quoted(text_.substr(node.begin, node.end - node.begin));
  }

  // The dimension of `node`, not a name, from those of its children.
  Result<units::Dimension> DimensionOf(const Node& node,
                                       const std::vector<units::Dimension>& children) const {
    std::optional<units::Dimension> dimension;
    switch (node.kind) {
      case Kind::kNumber:
        return node.unit ? node.unit->GetDimension() : units::Dimension{};
      case Kind::kNegate:
      case Kind::kAbs:
        return children[0];
      case Kind::kAdd:
      case Kind::kSubtract:
      case Kind::kMin:
      case Kind::kMax:
        for (std::size_t i = 1; i < children.size(); ++i) {
          if (children[i] == children[0]) continue;
          const std::string first = units::DescribeDimension(children[0]);
          const std::string other = units::DescribeDimension(children[i]);
          std::string what;
          if (node.kind == Kind::kAdd) {
            what.append("cannot add ").append(first).append(" to ").append(other);
          } else if (node.kind == Kind::kSubtract) {
            what.append("cannot subtract ").append(other).append(" from ").append(first);
          } else {
            what.append("cannot take the ")
                .append(node.kind == Kind::kMin ? "min" : "max")
                .append(" of ")
                .append(first)
                .append(" and ")
                .append(other);
          }
          return Unexpected(
              FailAt(node.at, what + ": both sides must be of one dimension; correct the names "
                                     "or units used"));
        }
        return children[0];
      case Kind::kMultiply:
        dimension = Product(children[0], children[1], 1);
        break;
      case Kind::kDivide:
        dimension = Product(children[0], children[1], -1);
        break;
      case Kind::kPower:
        dimension = Raised(children[0], node.exponent);
        break;
      case Kind::kSqrt:
        dimension = Root(children[0]);
        if (!dimension) {
          return Unexpected(FailAt(node.at, "cannot take the square root of " +
                                                units::DescribeDimension(children[0]) +
                                                ": every exponent of its dimension must be even"));
        }
        return *dimension;
      case Kind::kName:
        ALIQUOT_CHECK(false);
    }
    if (!dimension) {
      return Unexpected(FailAt(node.at, Source(node) + " has a dimension with a power above " +
                                            std::to_string(kMaxDimensionExponent) +
                                            ", which nothing measured has"));
    }
    return *dimension;
  }

  Status CheckResultUnit(const units::Dimension& dimension,
                         const std::optional<units::Unit>& unit) const {
    if (!unit) return {};
    if (unit->Offset() != 0) {
      return Unexpected(Fail("its unit is '" + unit->Text() + "': " + std::string(kCelsiusAdvice)));
    }
    if (dimension != unit->GetDimension()) {
      return Unexpected(Fail(ResultUnitMismatch(dimension, *unit)));
    }
    return {};
  }

  std::string prefix_;
  std::string_view text_;
  std::string_view field_;
};

// ---------------------------------------------------------------------------------------------
// Checking: dimensions and interval arithmetic in base units. Infinite ends stand for unbounded.

struct Checked {
  units::Dimension dimension;
  double low = 0;
  double high = 0;
};

// Every value inside [low, high] is finite, so an infinite end stands for values without bound:
// 0 times any of them is 0 (not IEEE's NaN for 0 * inf), and so is the end of the product.
double BoundProduct(double a, double b) { return a == 0 || b == 0 ? 0 : a * b; }

// Rounding can carry an end past the largest double (1e200 * 1e200) or NaN may appear where two
// unbounded ends meet; both are made wider, never narrower, so the interval stays sound.
void Widen(Checked& checked) {
  if (std::isnan(checked.low)) checked.low = -kInfinity;
  if (std::isnan(checked.high)) checked.high = kInfinity;
  if (checked.low == kInfinity) checked.low = kLargest;
  if (checked.high == -kInfinity) checked.high = -kLargest;
}

class Checker : public Walk {
 public:
  Checker(std::string_view text, std::string_view field, const NameLookup& names)
      : Walk("formula " + Quoted(text) + " in field '" + std::string(field) + "': ", text, field),
        names_(names) {}

  Result<FormulaCheck> Run(const Node& root, const std::optional<units::Unit>& result_unit) {
    ALIQUOT_ASSIGN_OR_RETURN(Checked checked, Check(root));
    ALIQUOT_RETURN_IF_ERROR(CheckResultUnit(checked.dimension, result_unit));
    FormulaCheck result;
    result.dimension = std::move(checked.dimension);
    if (std::isfinite(checked.low)) result.low = checked.low;
    if (std::isfinite(checked.high)) result.high = checked.high;
    return result;
  }

 private:
  Result<Checked> Check(const Node& node) {
    if (node.kind == Kind::kName) return CheckName(node);
    std::vector<Checked> children;
    std::vector<units::Dimension> dimensions;
    for (const auto& child : node.children) {
      ALIQUOT_ASSIGN_OR_RETURN(Checked checked, Check(*child));
      dimensions.push_back(checked.dimension);
      children.push_back(std::move(checked));
    }
    Checked result;
    ALIQUOT_ASSIGN_OR_RETURN(result.dimension, DimensionOf(node, dimensions));
    switch (node.kind) {
      case Kind::kNumber: {
        if (node.unit && node.unit->Offset() != 0) {
          return Unexpected(FailAt(node.at, Source(node) + " is in " + node.unit->Text() + ": " +
                                                std::string(kCelsiusAdvice)));
        }
        const double value = node.number * (node.unit ? node.unit->Factor() : 1.0);
        result.low = value;
        result.high = value;
        break;
      }
      case Kind::kNegate:
        result.low = -children[0].high;
        result.high = -children[0].low;
        break;
      case Kind::kAdd:
        result.low = children[0].low + children[1].low;
        result.high = children[0].high + children[1].high;
        break;
      case Kind::kSubtract:
        result.low = children[0].low - children[1].high;
        result.high = children[0].high - children[1].low;
        break;
      case Kind::kMultiply: {
        const Checked& a = children[0];
        const Checked& b = children[1];
        const double corners[] = {BoundProduct(a.low, b.low), BoundProduct(a.low, b.high),
                                  BoundProduct(a.high, b.low), BoundProduct(a.high, b.high)};
        result.low = *std::min_element(std::begin(corners), std::end(corners));
        result.high = *std::max_element(std::begin(corners), std::end(corners));
        break;
      }
      case Kind::kDivide:
        ALIQUOT_RETURN_IF_ERROR(CheckDivisor(*node.children[1], children[1]));
        Quotient(children[0], children[1], result);
        break;
      case Kind::kPower:
        ALIQUOT_RETURN_IF_ERROR(Power(node, children[0], result));
        break;
      case Kind::kMin:
      case Kind::kMax: {
        const bool min = node.kind == Kind::kMin;
        result.low = children[0].low;
        result.high = children[0].high;
        for (const Checked& child : children) {
          result.low = min ? std::min(result.low, child.low) : std::max(result.low, child.low);
          result.high = min ? std::min(result.high, child.high) : std::max(result.high, child.high);
        }
        break;
      }
      case Kind::kAbs: {
        const Checked& a = children[0];
        if (a.low >= 0) {
          result.low = a.low;
          result.high = a.high;
        } else if (a.high <= 0) {
          result.low = -a.high;
          result.high = -a.low;
        } else {
          result.low = 0;
          result.high = std::max(-a.low, a.high);
        }
        break;
      }
      case Kind::kSqrt: {
        const Checked& a = children[0];
        if (a.low < 0) {
          const Node& operand = *node.children[0];
          return Unexpected(FailAt(
              node.at, "takes the square root of " + Source(operand) + ", which may be below 0" +
                           (operand.kind == Kind::kName
                                ? ": give it an action low limit of 0 or above"
                                : " within the action limits of its names: narrow those "
                                  "limits, or take the root of abs(...)")));
        }
        result.low = std::sqrt(a.low);
        result.high = std::sqrt(a.high);
        break;
      }
      case Kind::kName:
        ALIQUOT_CHECK(false);
    }
    Widen(result);
    return result;
  }

  Result<Checked> CheckName(const Node& node) {
    auto found = resolved_.find(node.name);
    if (found == resolved_.end()) {
      std::optional<NameInfo> info = names_(node.name);
      if (!info) {
        return Unexpected(FailAt(node.at, Quoted(node.name) +
                                              " is not a parameter or calculation this formula "
                                              "can use"));
      }
      found = resolved_.emplace(node.name, std::move(*info)).first;
    }
    const NameInfo& info = found->second;
    if (info.unit.Offset() != 0) {
      return Unexpected(FailAt(node.at, Quoted(node.name) + " is in " + info.unit.Text() + ": " +
                                            std::string(kCelsiusAdvice)));
    }
    Checked checked;
    checked.dimension = info.unit.GetDimension();
    // A NaN limit bounds nothing; it is read as no limit, which can only widen the range.
    checked.low = info.low && !std::isnan(*info.low) ? *info.low * info.unit.Factor() : -kInfinity;
    checked.high =
        info.high && !std::isnan(*info.high) ? *info.high * info.unit.Factor() : kInfinity;
    if (checked.low > checked.high) {
      return Unexpected(FailAt(node.at, Quoted(node.name) +
                                            " has its low action limit above its high one: "
                                            "correct its limits"));
    }
    Widen(checked);
    return checked;
  }

  // 21 CFR 211.68(b) asks that calculations be checked; one that can divide by zero at a value
  // the process allows is refused at approval rather than found at execution.
  Status CheckDivisor(const Node& divisor, const Checked& range) const {
    if (range.low > 0 || range.high < 0) return {};
    std::string detail = "divides by " + Source(divisor);
    if (range.low == 0 && range.high == 0) {
      detail += ", which is always 0: correct the formula";
    } else if (divisor.kind == Kind::kName) {
      detail += ", which may be 0: give it an action low limit above 0";
    } else {
      detail +=
          ", which may be 0 within the action limits of its names: narrow those limits, or keep "
          "the divisor from 0 as in 'x / max(y, 1 [cells])'";
    }
    return Unexpected(FailAt(divisor.begin, detail));
  }

  // The quotient of intervals whose divisor excludes 0. Where both ends are unbounded the quotient
  // of such values can be anything of its sign, from 0 to unbounded.
  static void Quotient(const Checked& a, const Checked& b, Checked& result) {
    double low = kInfinity;
    double high = -kInfinity;
    const auto add = [&](double value) {
      low = std::min(low, value);
      high = std::max(high, value);
    };
    for (const double x : {a.low, a.high}) {
      for (const double y : {b.low, b.high}) {
        if (std::isinf(x) && std::isinf(y)) {
          add(0);
          add((x > 0) == (y > 0) ? kInfinity : -kInfinity);
        } else {
          add(x / y);
        }
      }
    }
    result.low = low;
    result.high = high;
  }

  Status Power(const Node& node, const Checked& base, Checked& result) const {
    const int n = std::abs(node.exponent);
    if (n % 2 == 1 || base.low >= 0) {
      result.low = PowerOf(base.low, n);
      result.high = PowerOf(base.high, n);
    } else if (base.high <= 0) {
      result.low = PowerOf(base.high, n);
      result.high = PowerOf(base.low, n);
    } else {
      result.low = 0;
      result.high = std::max(PowerOf(base.low, n), PowerOf(base.high, n));
    }
    if (node.exponent >= 0) return {};
    // x ^ -n divides by x.
    ALIQUOT_RETURN_IF_ERROR(CheckDivisor(*node.children[0], base));
    const double low = result.low;
    result.low = 1 / result.high;
    result.high = 1 / low;
    return {};
  }

  const NameLookup& names_;
  std::map<std::string, NameInfo, std::less<>> resolved_;
};

// ---------------------------------------------------------------------------------------------
// Evaluating: the same operations on values in base units.

struct Evaluated {
  units::Dimension dimension;
  double value = 0;
};

class Evaluator : public Walk {
 public:
  Evaluator(std::string_view text, std::string_view field, const ValueLookup& values)
      : Walk("cannot compute '" + std::string(field) + "' by formula " + Quoted(text) + ": ", text,
             field),
        values_(values) {}

  Result<double> Run(const Node& root, const units::Unit& result_unit) {
    ALIQUOT_ASSIGN_OR_RETURN(const Evaluated evaluated, Evaluate(root));
    ALIQUOT_RETURN_IF_ERROR(CheckResultUnit(evaluated.dimension, result_unit));
    const double value = evaluated.value / result_unit.Factor();
    if (!std::isfinite(value)) {
      return Unexpected(Fail("the result is too large to express in " + result_unit.Text()));
    }
    return value;
  }

 private:
  Result<Evaluated> Evaluate(const Node& node) {
    if (node.kind == Kind::kName) return EvaluateName(node);
    std::vector<Evaluated> children;
    std::vector<units::Dimension> dimensions;
    for (const auto& child : node.children) {
      ALIQUOT_ASSIGN_OR_RETURN(Evaluated evaluated, Evaluate(*child));
      dimensions.push_back(evaluated.dimension);
      children.push_back(std::move(evaluated));
    }
    Evaluated result;
    ALIQUOT_ASSIGN_OR_RETURN(result.dimension, DimensionOf(node, dimensions));
    switch (node.kind) {
      case Kind::kNumber:
        if (node.unit && node.unit->Offset() != 0) {
          return Unexpected(FailAt(node.at, Source(node) + " is in " + node.unit->Text() + ": " +
                                                std::string(kCelsiusAdvice)));
        }
        result.value = node.number * (node.unit ? node.unit->Factor() : 1.0);
        break;
      case Kind::kNegate:
        result.value = -children[0].value;
        break;
      case Kind::kAdd:
        result.value = children[0].value + children[1].value;
        break;
      case Kind::kSubtract:
        result.value = children[0].value - children[1].value;
        break;
      case Kind::kMultiply:
        result.value = children[0].value * children[1].value;
        break;
      case Kind::kDivide:
        ALIQUOT_RETURN_IF_ERROR(CheckDivisor(*node.children[1], children[1].value));
        result.value = children[0].value / children[1].value;
        break;
      case Kind::kPower:
        result.value = PowerOf(children[0].value, std::abs(node.exponent));
        if (node.exponent < 0) {
          ALIQUOT_RETURN_IF_ERROR(CheckDivisor(*node.children[0], children[0].value));
          result.value = 1 / result.value;
        }
        break;
      case Kind::kMin:
      case Kind::kMax:
        result.value = children[0].value;
        for (const Evaluated& child : children) {
          result.value = node.kind == Kind::kMin ? std::min(result.value, child.value)
                                                 : std::max(result.value, child.value);
        }
        break;
      case Kind::kAbs:
        result.value = std::abs(children[0].value);
        break;
      case Kind::kSqrt:
        if (children[0].value < 0) {
          return Unexpected(Fail("takes the square root of " + Source(*node.children[0]) +
                                 ", which is below 0: check the values entered"));
        }
        result.value = std::sqrt(children[0].value);
        break;
      case Kind::kName:
        ALIQUOT_CHECK(false);
    }
    // Every step stays finite, so no NaN or infinity is carried into a comparison by min or max.
    if (!std::isfinite(result.value)) {
      return Unexpected(Fail(Source(node) + " is too large to compute"));
    }
    return result;
  }

  Result<Evaluated> EvaluateName(const Node& node) {
    auto found = resolved_.find(node.name);
    if (found == resolved_.end()) {
      std::optional<NameValue> value = values_(node.name);
      if (!value) return Unexpected(Fail("no value for " + Quoted(node.name)));
      found = resolved_.emplace(node.name, std::move(*value)).first;
    }
    const NameValue& value = found->second;
    if (value.unit.Offset() != 0) {
      return Unexpected(Fail(Quoted(node.name) + " is in " + value.unit.Text() + ": " +
                             std::string(kCelsiusAdvice)));
    }
    Evaluated evaluated{value.unit.GetDimension(), value.value * value.unit.Factor()};
    if (!std::isfinite(evaluated.value)) {
      return Unexpected(Fail("the value of " + Quoted(node.name) + " is not a finite number"));
    }
    return evaluated;
  }

  Status CheckDivisor(const Node& divisor, double value) const {
    if (value != 0) return {};
    std::string detail = "divides by " + Source(divisor) + ", which is 0";
    if (divisor.kind == Kind::kName) {
      const std::string& unit = resolved_.at(divisor.name).unit.Text();
      if (!unit.empty() && unit != "1") detail += " " + unit;
    }
    return Unexpected(Fail(detail));
  }

  const ValueLookup& values_;
  std::map<std::string, NameValue, std::less<>> resolved_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<Quantity> ParseQuantity(std::string_view text, std::string_view field) {
  const std::string name(field);
  const std::string shown = text.empty()                                            ? "''"
                            : text.size() <= kMaxQuantityBytes && IsValidUtf8(text) ? Quoted(text)
                                                                                    : "the text";
  const auto refuse = [&] {
    return Unexpected(InvalidArgument(shown + " in field '" + name +
                                          "' is not a quantity: write a number, a space and a "
                                          "unit, as in '18 h'",
                                      name));
  };
  const std::string_view trimmed = TrimSpace(text);
  if (trimmed.empty() || text.size() > kMaxQuantityBytes) return refuse();
  const bool negative = trimmed[0] == '-';
  const std::size_t start = negative || trimmed[0] == '+' ? 1 : 0;
  const NumberScan scan = ScanNumber(trimmed.substr(start));
  const std::size_t end = start + scan.length;
  if (scan.length == 0 || !scan.problem.empty() || end == trimmed.size() || trimmed[end] != ' ') {
    return refuse();
  }
  const std::optional<double> value = ReadNumber(trimmed.substr(start, scan.length));
  if (!value) {
    return Unexpected(InvalidArgument(
        shown + " in field '" + name + "' is not a quantity: its number is beyond range", name));
  }
  ALIQUOT_ASSIGN_OR_RETURN(units::Unit unit, units::Unit::Parse(trimmed.substr(end), field));
  return Quantity{negative ? -*value : *value, std::move(unit)};
}

std::string FormatQuantity(const Quantity& quantity) {
  // A default Unit has no text; "1" is how a pure number's unit is written and parsed back.
  const std::string& unit = quantity.unit.Text();
  return CanonicalNumber(quantity.value) + " " + (unit.empty() ? std::string("1") : unit);
}

Result<Formula> Formula::Parse(std::string_view text, std::string_view field) {
  const std::string name(field);
  if (text.size() > kMaxFormulaBytes) {
    return Unexpected(InvalidArgument("formula in field '" + name + "' is " +
                                          std::to_string(text.size()) +
                                          " bytes long: a formula is at most 1,000 bytes; split "
                                          "it into calculations",
                                      name));
  }
  if (!IsValidUtf8(text)) {
    return Unexpected(InvalidArgument("formula in field '" + name + "' is not valid UTF-8", name));
  }
  if (TrimSpace(text).empty()) {
    return Unexpected(InvalidArgument("formula in field '" + name +
                                          "' is empty: write an expression such as "
                                          "'viable_concentration * volume'",
                                      name));
  }
  Parser parser(text, field);
  ALIQUOT_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, parser.Run());
  Formula formula;
  formula.text_ = std::string(text);
  formula.names_ = parser.TakeNames();
  formula.root_ = std::move(root);
  return formula;
}

namespace {

// A default-constructed Formula was never parsed; it is refused like an empty one.
Status CheckParsed(const std::shared_ptr<const Formula::Node>& root, std::string_view field) {
  if (root) return {};
  const std::string name(field);
  return Unexpected(InvalidArgument("formula in field '" + name + "' is empty", name));
}

}  // namespace

Result<FormulaCheck> CheckFormula(const Formula& formula, const NameLookup& names,
                                  const std::optional<units::Unit>& result_unit,
                                  std::string_view field) {
  ALIQUOT_RETURN_IF_ERROR(CheckParsed(formula.root_, field));
  Checker checker(formula.text_, field, names);
  return checker.Run(*formula.root_, result_unit);
}

Result<double> EvaluateFormula(const Formula& formula, const ValueLookup& values,
                               const units::Unit& result_unit, std::string_view field) {
  ALIQUOT_RETURN_IF_ERROR(CheckParsed(formula.root_, field));
  Evaluator evaluator(formula.text_, field, values);
  return evaluator.Run(*formula.root_, result_unit);
}

}  // namespace aliquot::recipes
