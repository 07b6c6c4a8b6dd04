#include "aliquot/app/credentials.h"

#include <array>

#include "aliquot/core/hex.h"
#include "aliquot/core/random.h"

namespace aliquot::app {
namespace {

std::string PasswordContext(std::string_view user_id) {
  return "user/" + std::string(user_id) + "/password";
}

std::string TotpContext(std::string_view user_id) {
  return "user/" + std::string(user_id) + "/totp";
}

}  // namespace

Result<Credentials> Credentials::Create(const SecretKey& key, PasswordHashCost cost) {
  ALIQUOT_ASSIGN_OR_RETURN(std::string dummy, HashPassword(RandomHex(16), cost));
  return Credentials(key, cost, std::move(dummy));
}

Result<std::string> Credentials::SealPassword(std::string_view user_id,
                                              std::string_view password) const {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string hash, HashPassword(password, cost_));
  return Seal(*key_, hash, PasswordContext(user_id));
}

Result<bool> Credentials::PasswordMatches(const identity::UserState& user,
                                          std::string_view password) const {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string hash,
                           Unseal(*key_, user.sealed_password, PasswordContext(user.id)));
  return VerifyPassword(hash, password);
}

Result<bool> Credentials::MatchesAny(std::string_view user_id,
                                     const std::vector<std::string>& sealed, std::size_t count,
                                     std::string_view password) const {
  for (std::size_t i = 0; i < sealed.size() && i < count; ++i) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::string hash,
                             Unseal(*key_, sealed[i], PasswordContext(user_id)));
    ALIQUOT_ASSIGN_OR_RETURN(const bool matches, VerifyPassword(hash, password));
    if (matches) return true;
  }
  return false;
}

void Credentials::SpendVerificationTime(std::string_view password) const {
  // The outcome is false whatever the password; only the time spent matters.
  (void)VerifyPassword(dummy_hash_, password);
}

std::string Credentials::SealTotpSecret(std::string_view user_id,
                                        std::span<const std::uint8_t> secret) const {
  return Seal(*key_, HexEncode(secret), TotpContext(user_id));
}

Result<std::vector<std::uint8_t>> Credentials::OpenTotpSecret(
    const identity::UserState& user) const {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string hex,
                           Unseal(*key_, user.sealed_totp_secret, TotpContext(user.id)));
  auto secret = HexDecode(hex);
  if (!secret)
    return Unexpected(DataLoss("the authenticator secret of " + user.id + " is corrupt"));
  return secret;
}

std::string Credentials::TemporaryPassword(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
  std::string password;
  std::array<std::uint8_t, 1> byte{};
  while (password.size() < length) {
    if (password.size() % 5 == 4) {
      password += '-';
      continue;
    }
    SecureRandom(byte);
    // Rejection sampling keeps every character equally likely.
    if (byte[0] >= 250) continue;
    password += kAlphabet[byte[0] % kAlphabet.size()];
  }
  return password;
}

}  // namespace aliquot::app
