#include "aliquot/core/base32.h"

#include <array>
#include <cstdio>

namespace aliquot {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Error InvalidCharacter(char c, std::size_t position) {
  const auto byte = static_cast<unsigned char>(c);
  std::string shown;
  if (byte >= 0x20 && byte < 0x7f) {
    shown = std::string("'") + c + "'";
  } else {
    // A control or non-ASCII byte would be invisible or garble the message; name it in hex.
    std::array<char, 8> hex{};
    std::snprintf(hex.data(), hex.size(), "0x%02x", static_cast<unsigned>(byte));
    shown = hex.data();
  }
  return InvalidArgument("base32: invalid character " + shown + " at position " +
                         std::to_string(position));
}

}  // namespace

std::string Base32Encode(std::span<const std::uint8_t> bytes) {
  std::string text;
  text.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const std::uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text.push_back(kAlphabet[(buffer >> bits) & 0x1f]);
    }
    buffer &= (1U << bits) - 1;
  }
  // The last character carries the remaining bits at its top, zeros below.
  if (bits > 0) text.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return text;
}

Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t digits = 0;
  bool padding = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int value = DigitValue(c);
    // A digit after padding is as wrong as a digit outside the alphabet.
    if (value < 0 || padding) return Unexpected(InvalidCharacter(c, i));
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
    buffer &= (1U << bits) - 1;
  }
  // Every 8 digits carry 5 bytes; a final group of n bytes takes 2, 4, 5, 7 digits for n = 1..4.
  const std::size_t remainder = digits % 8;
  if (remainder == 1 || remainder == 3 || remainder == 6) {
    return Unexpected(InvalidArgument("base32: " + std::to_string(digits) +
                                      " characters cannot be base32, whose length is never 1, 3 "
                                      "or 6 more than a multiple of 8"));
  }
  return bytes;
}

}  // namespace aliquot
