// libFuzzer target for ParseYaml, the reader of definition files people edit by hand, and for
// EmitYaml, the writer of the export: whatever parses must emit text that parses again to an equal
// value and emits the same text again (the export is stable), and whatever is refused must be
// refused with kInvalidArgument and a UTF-8 message that names the line at fault.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  aliquot::YamlPositions positions;
  aliquot::Result<aliquot::Json> parsed = aliquot::ParseYaml(text, &positions);
  if (!parsed) {
    ALIQUOT_CHECK(parsed.error().Code() == aliquot::ErrorCode::kInvalidArgument);
    ALIQUOT_CHECK(parsed.error().Message().starts_with("line "));
    ALIQUOT_CHECK_MSG(aliquot::IsValidUtf8(parsed.error().Message()),
                      "a refusal's message is not UTF-8");
    return 0;
  }
  const aliquot::YamlPosition root = positions.Nearest("");
  ALIQUOT_CHECK(root.line >= 1 && root.column >= 1);
  const std::string first = aliquot::EmitYaml(*parsed);
  ALIQUOT_CHECK_MSG(!first.empty() && first.back() == '\n', "the emitted text does not end a line");
  aliquot::Result<aliquot::Json> reparsed = aliquot::ParseYaml(first);
  ALIQUOT_CHECK_MSG(reparsed.has_value(), "the emitted form of a parsed value does not parse");
  ALIQUOT_CHECK_MSG(*parsed == *reparsed, "the emitted form parsed to a different value");
  ALIQUOT_CHECK_MSG(aliquot::EmitYaml(*reparsed) == first, "emitting twice changed the text");
  return 0;
}
