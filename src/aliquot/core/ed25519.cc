#include "aliquot/core/ed25519.h"

#include <algorithm>

#include <sodium.h>

#include "aliquot/core/check.h"
#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

void EnsureSodium() {
  static const bool kReady = sodium_init() >= 0;
  ALIQUOT_CHECK_MSG(kReady, "libsodium failed to initialise");
}

}  // namespace

Hash256 Ed25519PublicKey::KeyId() const { return Sha256::Of(bytes); }

std::string Ed25519PublicKey::Hex() const { return HexEncode(bytes); }

Result<Ed25519PublicKey> Ed25519PublicKey::FromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return Unexpected(InvalidArgument("an Ed25519 public key is 64 hex digits, got " +
                                      std::to_string(hex.size())));
  }
  ALIQUOT_ASSIGN_OR_RETURN(auto decoded, HexDecode(hex));
  Ed25519PublicKey key;
  std::copy(decoded.begin(), decoded.end(), key.bytes.begin());
  return key;
}

Ed25519SigningKey Ed25519SigningKey::Generate() {
  EnsureSodium();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  Ed25519SigningKey key = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Ed25519SigningKey Ed25519SigningKey::FromSeed(const Seed& seed) {
  EnsureSodium();
  Ed25519SigningKey key;
  key.seed_ = seed;
  ALIQUOT_CHECK(crypto_sign_ed25519_seed_keypair(key.public_key_.bytes.data(), key.secret_.data(),
                                                 seed.data()) == 0);
  return key;
}

Ed25519SigningKey::~Ed25519SigningKey() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

Ed25519SigningKey::Ed25519SigningKey(Ed25519SigningKey&& other) noexcept
    : seed_(other.seed_), secret_(other.secret_), public_key_(other.public_key_) {
  sodium_memzero(other.seed_.data(), other.seed_.size());
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

Ed25519SigningKey& Ed25519SigningKey::operator=(Ed25519SigningKey&& other) noexcept {
  if (this != &other) {
    seed_ = other.seed_;
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    sodium_memzero(other.seed_.data(), other.seed_.size());
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

Ed25519Signature Ed25519SigningKey::Sign(std::span<const std::uint8_t> message) const {
  Ed25519Signature signature;
  ALIQUOT_CHECK(crypto_sign_ed25519_detached(signature.data(), nullptr, message.data(),
                                             message.size(), secret_.data()) == 0);
  return signature;
}

Ed25519Signature Ed25519SigningKey::Sign(std::string_view message) const {
  return Sign(std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()));
}

bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   const Ed25519Signature& signature) {
  EnsureSodium();
  return crypto_sign_ed25519_verify_detached(signature.data(),
                                             reinterpret_cast<const unsigned char*>(message.data()),
                                             message.size(), key.bytes.data()) == 0;
}

}  // namespace aliquot
