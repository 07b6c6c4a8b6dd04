// libFuzzer target for ParseJson, the parser of outside input, and for the canonical form the
// ledger hashes: whatever parses must canonicalise to text that parses again to the same value
// and the same canonical text (RFC 8785 is idempotent), and whatever is refused must be refused
// with kInvalidArgument and a message that names the byte at fault.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  aliquot::Result<aliquot::Json> parsed = aliquot::ParseJson(text);
  if (!parsed) {
    ALIQUOT_CHECK(parsed.error().Code() == aliquot::ErrorCode::kInvalidArgument);
    ALIQUOT_CHECK(parsed.error().Message().starts_with("JSON: at byte "));
    return 0;
  }
  const std::string first = aliquot::CanonicalJson(*parsed);
  aliquot::Result<aliquot::Json> reparsed = aliquot::ParseJson(first);
  ALIQUOT_CHECK_MSG(reparsed.has_value(), "the canonical form of a parsed value does not parse");
  const std::string second = aliquot::CanonicalJson(*reparsed);
  ALIQUOT_CHECK_MSG(first == second, "canonicalising twice changed the text");
  ALIQUOT_CHECK_MSG(*parsed == *reparsed, "the canonical form parsed to a different value");
  return 0;
}
