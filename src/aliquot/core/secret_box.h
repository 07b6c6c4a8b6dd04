// Sealing with XChaCha20-Poly1305 (libsodium's crypto_aead_xchacha20poly1305_ietf) under a site
// key. Credential material (password hashes, TOTP secrets) enters ledger event payloads only
// sealed, so an exported ledger carries nothing usable without the site's keys/credentials.key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot {

// A 256-bit symmetric key. Copyable; every copy is wiped when it is destroyed.
class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;

  // A new key from the operating system's random source.
  static SecretKey Generate();
  // The key whose bytes are `bytes`. Returns kInvalidArgument unless they are exactly kSize.
  static Result<SecretKey> FromBytes(std::span<const std::uint8_t> bytes);

  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;

  std::span<const std::uint8_t> Bytes() const { return bytes_; }
  // The first 16 hex digits of SHA-256("aliquot secret key id" || key): names the key in sealed
  // text and error messages without revealing it.
  std::string KeyId() const;

 private:
  SecretKey() = default;
  std::array<std::uint8_t, kSize> bytes_{};
};

// Seals `plaintext` under `key`: "sealed.v1.<key id>.<hex of 24-byte random nonce || ciphertext
// and 16-byte tag>". `context` is the AEAD's associated data ("user/U-0001/password"): it is not
// stored, and unsealing requires the same context, so a sealed value cannot be moved to another
// user or purpose.
std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view context);

// The plaintext of a value Seal made under `key` with `context`. Returns kFailedPrecondition,
// naming both key ids, if it was sealed under another key (the server lacks the site's key), and
// kDataLoss if it is malformed ("malformed") or was altered or sealed for another context
// ("failed authentication").
Result<std::string> Unseal(const SecretKey& key, std::string_view sealed, std::string_view context);

}  // namespace aliquot
