#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::span<const std::uint8_t> bytes) {
  std::string text;
  AppendHex(bytes, text);
  return text;
}

void AppendHex(std::span<const std::uint8_t> bytes, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[start + 2 * i] = kDigits[bytes[i] >> 4];
    out[start + 2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
}

Result<std::vector<std::uint8_t>> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return Unexpected(InvalidArgument("hex text has an odd number of digits (" +
                                      std::to_string(text.size()) + ")"));
  }
  std::vector<std::uint8_t> bytes(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = DigitValue(text[i]);
    const int low = DigitValue(text[i + 1]);
    if (high < 0 || low < 0) {
      return Unexpected(
          InvalidArgument("not a hex digit at position " + std::to_string(high < 0 ? i : i + 1)));
    }
    bytes[i / 2] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return bytes;
}

bool IsLowerHex(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace aliquot
