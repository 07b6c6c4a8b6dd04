// Json: a JSON value, a strict parser for outside input, and the RFC 8785 canonical form that the
// ledger hashes. Our own, rather than a library's, because the canonical form is part of the
// ledger's format and must not change under us when a dependency is upgraded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  // Members keep the order in which they were added; CanonicalJson sorts them.
  using Object = std::vector<std::pair<std::string, Json>>;

  // The largest integer every JSON reader holds exactly (RFC 8785 section 3.2.2.3, I-JSON).
  static constexpr std::int64_t kMaxExactInteger = (std::int64_t{1} << 53) - 1;

  Json() = default;                    // null
  Json(std::nullptr_t) {}              // NOLINT(google-explicit-constructor): reads as JSON.
  Json(bool value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  // A non-finite value is an invariant violation (ALIQUOT_CHECK): JSON has no NaN or Infinity.
  Json(double value);  // NOLINT(google-explicit-constructor)
  // Integers beyond +/-kMaxExactInteger are an invariant violation (ALIQUOT_CHECK): callers keep
  // counters and sequence numbers in range, or carry them as strings.
  Json(std::int64_t value);  // NOLINT(google-explicit-constructor)
  Json(int value)
      : Json(static_cast<std::int64_t>(value)) {}        // NOLINT(google-explicit-constructor)
  Json(std::uint64_t value);                             // NOLINT(google-explicit-constructor)
  Json(std::string value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Json(std::string_view value)
      : value_(std::string(value)) {}                      // NOLINT(google-explicit-constructor)
  Json(const char* value) : value_(std::string(value)) {}  // NOLINT(google-explicit-constructor)
  Json(Array value) : value_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Json(Object value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)

  static Json MakeObject() { return Json(Object{}); }
  static Json MakeArray() { return Json(Array{}); }

  Type GetType() const { return static_cast<Type>(value_.index()); }
  bool IsNull() const { return GetType() == Type::kNull; }
  bool IsBool() const { return GetType() == Type::kBool; }
  bool IsNumber() const { return GetType() == Type::kNumber; }
  bool IsString() const { return GetType() == Type::kString; }
  bool IsArray() const { return GetType() == Type::kArray; }
  bool IsObject() const { return GetType() == Type::kObject; }

  // Typed access; calling the wrong one is an invariant violation (ALIQUOT_CHECK).
  bool AsBool() const;
  double AsNumber() const;
  const std::string& AsString() const;
  const Array& AsArray() const;
  Array& AsArray();
  const Object& AsObject() const;
  Object& AsObject();

  // The number as an integer, if it is one exactly and within +/-kMaxExactInteger.
  std::optional<std::int64_t> AsInteger() const;

  // Object member lookup; nullptr when absent or when this is not an object.
  const Json* Find(std::string_view key) const;
  // Adds or replaces a member of an object (ALIQUOT_CHECK that this is an object).
  Json& Set(std::string key, Json value);
  // Appends to an array (ALIQUOT_CHECK that this is an array).
  Json& Push(Json value);

  // Structural equality; object member order does not matter.
  friend bool operator==(const Json& a, const Json& b);

 private:
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> value_{nullptr};
};

struct JsonParseOptions {
  // Nesting deeper than this is refused rather than risking the stack on hostile input.
  int max_depth = 64;
};

// Parses one JSON text (RFC 8259) strictly, as I-JSON (RFC 7493) asks: no duplicate member
// names, no lone surrogates or invalid UTF-8, no numbers that overflow a double, nothing but
// whitespace after the value. Returns kInvalidArgument naming the byte offset and what was
// expected: "JSON: at byte 17: expected ':' after member name".
Result<Json> ParseJson(std::string_view text, JsonParseOptions options = {});

// The RFC 8785 (JCS) canonical form: members sorted by their UTF-16 code units, no whitespace,
// strings with the minimal escapes, numbers in the ECMAScript shortest round-trip form.
std::string CanonicalJson(const Json& value);

// Appends the canonical form to `out`, so a caller building a larger text avoids a copy.
void AppendCanonicalJson(const Json& value, std::string& out);

// The ECMAScript Number::toString form of a finite double (RFC 8785 section 3.2.2.3):
// 1e+21, 1e-7, 0.000001, 123456789012345680000, -0 -> "0".
std::string CanonicalNumber(double value);

// An array of the strings in `texts`, in order: how lists of ids and names are written.
Json JsonStrings(const std::vector<std::string>& texts);

// For a reader of decimal number text (RFC 8259's grammar, optionally with a leading '+' as YAML
// allows): whether a number std::from_chars found out of range is too large for a double, rather
// than too small (which reads as 0). Text whose digits are all zeros is never too large.
bool DecimalOverflowsDouble(std::string_view number);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF):
// what every string in a Json must be. Callers check outside input with it before building Json.
bool IsValidUtf8(std::string_view text);

// Appends a JSON string literal with RFC 8785's escaping to `out`. `text` must be valid UTF-8.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace aliquot
