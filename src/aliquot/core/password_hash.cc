#include "aliquot/core/password_hash.h"

#include <array>
#include <semaphore>

#include <sodium.h>

#include "aliquot/core/random.h"

namespace aliquot {
namespace {

constexpr std::string_view kArgon2idPrefix = crypto_pwhash_argon2id_STRPREFIX;

// libsodium declares the password pointer nonnull, and an empty string_view's data() may be null.
const char* PasswordBytes(std::string_view password) {
  return password.empty() ? "" : password.data();
}

// libsodium reads a NUL-terminated string of fewer than crypto_pwhash_STRBYTES characters.
bool FitsLibsodium(std::string_view encoded) {
  return encoded.size() < crypto_pwhash_STRBYTES && encoded.find('\0') == std::string_view::npos;
}

// Holds one of the kHashesAtOnce turns while it lives: each hash holds its cost's memory (64 MiB in
// production) until it ends, and a server serves every connection on a thread of its own.
class HashTurn {
 public:
  HashTurn() { Turns().acquire(); }
  ~HashTurn() { Turns().release(); }
  HashTurn(const HashTurn&) = delete;
  HashTurn& operator=(const HashTurn&) = delete;

 private:
  static std::counting_semaphore<kHashesAtOnce>& Turns() {
    static std::counting_semaphore<kHashesAtOnce> turns(kHashesAtOnce);
    return turns;
  }
};

}  // namespace

PasswordHashCost PasswordHashCost::Interactive() {
  return {.operations = crypto_pwhash_OPSLIMIT_INTERACTIVE,
          .memory_bytes = crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHashCost PasswordHashCost::Minimum() {
  return {.operations = crypto_pwhash_OPSLIMIT_MIN, .memory_bytes = crypto_pwhash_MEMLIMIT_MIN};
}

Result<std::string> HashPassword(std::string_view password, const PasswordHashCost& cost) {
  internal::EnsureSodium();
  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  // The salt is drawn from libsodium's random source inside crypto_pwhash_str_alg.
  const HashTurn turn;
  if (crypto_pwhash_str_alg(encoded.data(), PasswordBytes(password), password.size(),
                            cost.operations, cost.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Unexpected(Internal("Argon2id failed to hash a password at " +
                               std::to_string(cost.operations) + " passes over " +
                               std::to_string(cost.memory_bytes) +
                               " bytes (out of memory, or a cost outside libsodium's bounds)"));
  }
  return std::string(encoded.data());
}

Result<bool> VerifyPassword(std::string_view encoded, std::string_view password) {
  internal::EnsureSodium();
  const std::string text(encoded);
  // crypto_pwhash_str_needs_rehash parses the string without hashing: -1 means it is not a valid
  // PHC string, which crypto_pwhash_str_verify would report as a mere mismatch.
  if (!encoded.starts_with(kArgon2idPrefix) || !FitsLibsodium(encoded) ||
      crypto_pwhash_str_needs_rehash(text.c_str(), crypto_pwhash_OPSLIMIT_MIN,
                                     crypto_pwhash_MEMLIMIT_MIN) < 0) {
    return Unexpected(DataLoss("the stored password hash is not an Argon2id PHC string ('" +
                               std::string(kArgon2idPrefix) + "...')"));
  }
  const HashTurn turn;
  return crypto_pwhash_str_verify(text.c_str(), PasswordBytes(password), password.size()) == 0;
}

bool PasswordHashNeedsRehash(std::string_view encoded, const PasswordHashCost& cost) {
  internal::EnsureSodium();
  // libsodium would also parse an Argon2i string, and report it current at the same cost.
  if (!encoded.starts_with(kArgon2idPrefix) || !FitsLibsodium(encoded)) return true;
  const std::string text(encoded);
  return crypto_pwhash_str_needs_rehash(text.c_str(), cost.operations, cost.memory_bytes) != 0;
}

}  // namespace aliquot
