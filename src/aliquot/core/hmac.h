// HMAC (RFC 2104) through OpenSSL's EVP_MAC interface: the keyed hash under TOTP one-time codes
// (RFC 6238 uses HMAC-SHA1 by default, SHA-256 and SHA-512 optionally).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace aliquot {

enum class HmacAlgorithm { kSha1, kSha256, kSha512 };

// The digest's name as OpenSSL and otpauth:// URIs spell it: "SHA1", "SHA256", "SHA512".
const char* HmacDigestName(HmacAlgorithm algorithm);

// The HMAC of `message` under `key`: 20, 32 or 64 bytes as the algorithm's digest. Keys of any
// length work, the empty one included; a key longer than the hash's block is hashed first.
std::vector<std::uint8_t> Hmac(HmacAlgorithm algorithm, std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> message);

}  // namespace aliquot
