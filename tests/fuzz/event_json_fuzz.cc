// libFuzzer target for ParseEventJson, the parser of every line of an export's events.jsonl: any
// bytes are refused with kInvalidArgument or parse to an event whose encoding is exactly the
// input (docs/ledger-format.md section 1: a line is valid only if it is its own canonical form),
// and that encoding parses again to the same event.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/export_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const aliquot::Result<aliquot::ledger::Event> parsed = aliquot::ledger::ParseEventJson(text);
  if (!parsed) {
    ALIQUOT_CHECK_MSG(parsed.error().Code() == aliquot::ErrorCode::kInvalidArgument,
                      "a malformed event line was refused with a code other than kInvalidArgument");
    return 0;
  }
  std::string line;
  aliquot::ledger::AppendEventJson(*parsed, &parsed->hash, line);
  std::string_view expected = text;
  if (expected.ends_with('\n')) expected.remove_suffix(1);
  ALIQUOT_CHECK_MSG(line == expected, "an accepted event line is not its own canonical encoding");
  const aliquot::Result<aliquot::ledger::Event> reparsed = aliquot::ledger::ParseEventJson(line);
  ALIQUOT_CHECK_MSG(reparsed.has_value(), "the encoding of a parsed event does not parse");
  ALIQUOT_CHECK_MSG(*reparsed == *parsed, "the encoding of a parsed event parsed differently");
  return 0;
}
