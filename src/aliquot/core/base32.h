// Base32 (RFC 4648 section 6, alphabet A-Z 2-7): the text form of TOTP secrets in otpauth:// URIs
// and in what a person types into an authenticator app by hand.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot {

// Upper case without '=' padding, as otpauth URIs carry it: "foobar" -> "MZXW6YTBOI".
std::string Base32Encode(std::span<const std::uint8_t> bytes);

// Decodes base32 as people copy it: lower case is accepted, spaces anywhere are ignored and
// trailing '=' padding is optional. Unused low bits of the last character are ignored. Returns
// kInvalidArgument for any other character ("base32: invalid character 'x' at position N",
// counting from 0 in `text`) and for a length no encoding produces (1, 3 or 6 characters modulo 8,
// not counting spaces and padding).
Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text);

}  // namespace aliquot
