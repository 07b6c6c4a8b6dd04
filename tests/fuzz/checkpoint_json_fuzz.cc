// libFuzzer target for ParseCheckpointJson, which reads checkpoints.jsonl lines and auditors'
// checkpoint files. Any bytes are refused with kInvalidArgument or parse to a checkpoint whose
// line (CheckpointJson) is the canonical form of the input (so a canonical line re-encodes to
// exactly itself), and which parses again to the same checkpoint.
//
// An auditor's file may hold the checkpoint "in any JSON formatting" (docs/ledger-format.md
// section 10), so the parser accepts non-canonical text; the re-encoding is therefore compared
// with the canonical form of the input rather than with the input's bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/export_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const aliquot::Result<aliquot::ledger::Checkpoint> parsed =
      aliquot::ledger::ParseCheckpointJson(text);
  if (!parsed) {
    ALIQUOT_CHECK_MSG(parsed.error().Code() == aliquot::ErrorCode::kInvalidArgument,
                      "a malformed checkpoint was refused with a code other than kInvalidArgument");
    return 0;
  }
  const std::string line = aliquot::ledger::CheckpointJson(*parsed);
  std::string_view input = text;
  if (input.ends_with('\n')) input.remove_suffix(1);
  const aliquot::Result<aliquot::Json> json = aliquot::ParseJson(input);
  ALIQUOT_CHECK_MSG(json.has_value(), "an accepted checkpoint is not JSON");
  const std::string canonical = aliquot::CanonicalJson(*json);
  ALIQUOT_CHECK_MSG(line == canonical,
                    "the encoding of a parsed checkpoint is not the canonical form of its input");
  const aliquot::Result<aliquot::ledger::Checkpoint> reparsed =
      aliquot::ledger::ParseCheckpointJson(line);
  ALIQUOT_CHECK_MSG(reparsed.has_value(), "the encoding of a parsed checkpoint does not parse");
  ALIQUOT_CHECK_MSG(*reparsed == *parsed, "the encoding of a parsed checkpoint parsed differently");
  return 0;
}
