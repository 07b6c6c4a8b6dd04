// Credentials: how passwords and authenticator secrets are kept. A password is hashed with
// Argon2id and the hash sealed under the site's credentials key before it enters an event, as is
// a TOTP secret, so the ledger and its exports carry nothing an attacker could use offline
// (21 CFR 11.300, P11-15). Every sealed value is bound to its user and purpose.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/password_hash.h"
#include "aliquot/core/result.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/domain/identity/user.h"

namespace aliquot::app {

class Credentials {
 public:
  // `key` outlives this object. `cost` is what new passwords are hashed with.
  static Result<Credentials> Create(const SecretKey& key, PasswordHashCost cost);

  // Hashes and seals `password` for user `user_id`. Returns kInternal if hashing fails.
  Result<std::string> SealPassword(std::string_view user_id, std::string_view password) const;
  // Whether `password` is the user's current password. Returns kDataLoss or kFailedPrecondition
  // (another key) when the sealed hash cannot be opened.
  Result<bool> PasswordMatches(const identity::UserState& user, std::string_view password) const;
  // Whether `password` is any of the first `count` sealed hashes of `sealed`.
  Result<bool> MatchesAny(std::string_view user_id, const std::vector<std::string>& sealed,
                          std::size_t count, std::string_view password) const;
  // Verifies `password` against a hash of nobody's, taking the time a real check takes, so that
  // an unknown user name is not told apart by the response time.
  void SpendVerificationTime(std::string_view password) const;

  std::string SealTotpSecret(std::string_view user_id, std::span<const std::uint8_t> secret) const;
  Result<std::vector<std::uint8_t>> OpenTotpSecret(const identity::UserState& user) const;

  // A random temporary password of `length` characters from an alphabet without look-alikes
  // (no 0/O, 1/l/I), grouped for reading aloud over the phone.
  static std::string TemporaryPassword(std::size_t length);

  const PasswordHashCost& Cost() const { return cost_; }

 private:
  Credentials(const SecretKey& key, PasswordHashCost cost, std::string dummy_hash)
      : key_(&key), cost_(cost), dummy_hash_(std::move(dummy_hash)) {}

  const SecretKey* key_;
  PasswordHashCost cost_;
  std::string dummy_hash_;
};

}  // namespace aliquot::app
