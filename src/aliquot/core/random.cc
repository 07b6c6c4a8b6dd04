#include "aliquot/core/random.h"

#include <vector>

#include <sodium.h>

#include "aliquot/core/check.h"
#include "aliquot/core/hex.h"

namespace aliquot {

namespace internal {

void EnsureSodium() {
  static const bool kReady = sodium_init() >= 0;
  ALIQUOT_CHECK_MSG(kReady, "libsodium failed to initialise");
}

}  // namespace internal

void SecureRandom(std::span<std::uint8_t> out) {
  // randombytes_buf's buffer is declared nonnull, and an empty span's data() may be null.
  if (out.empty()) return;
  internal::EnsureSodium();
  randombytes_buf(out.data(), out.size());
}

std::string RandomHex(std::size_t bytes) {
  std::vector<std::uint8_t> random(bytes);
  SecureRandom(random);
  std::string hex = HexEncode(random);
  // The hex is the secret from here on; the raw bytes need not outlive it in freed memory.
  sodium_memzero(random.data(), random.size());
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  internal::EnsureSodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace aliquot
