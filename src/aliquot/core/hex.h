// Lower-case hexadecimal, the text form of every hash and key in the ledger and its exports.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot {

std::string HexEncode(std::span<const std::uint8_t> bytes);
// Appends the hex of `bytes` to `out`.
void AppendHex(std::span<const std::uint8_t> bytes, std::string& out);

// True when `text` is exactly `digits` lower-case hex digits: the form of every hash (64), token
// and key id the system writes.
bool IsLowerHex(std::string_view text, std::size_t digits);

// Decodes lower- or upper-case hex. Returns kInvalidArgument on odd length or a non-hex digit,
// naming its position.
Result<std::vector<std::uint8_t>> HexDecode(std::string_view text);

}  // namespace aliquot
