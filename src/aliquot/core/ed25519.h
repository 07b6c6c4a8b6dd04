// Ed25519 (RFC 8032) through libsodium: the server's checkpoint signatures. The private key never
// leaves this type except as the seed a KeyStore persists.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"
#include "aliquot/core/sha256.h"

namespace aliquot {

using Ed25519Signature = std::array<std::uint8_t, 64>;

struct Ed25519PublicKey {
  std::array<std::uint8_t, 32> bytes{};

  // SHA-256 of the raw key: the fingerprint an inspector compares out of band.
  Hash256 KeyId() const;
  std::string Hex() const;
  // Parses 64 hex digits. Returns kInvalidArgument otherwise.
  static Result<Ed25519PublicKey> FromHex(std::string_view hex);

  friend bool operator==(const Ed25519PublicKey&, const Ed25519PublicKey&) = default;
};

class Ed25519SigningKey {
 public:
  using Seed = std::array<std::uint8_t, 32>;

  // A new key from the operating system's random source.
  static Ed25519SigningKey Generate();
  // The key whose RFC 8032 secret (seed) is `seed`.
  static Ed25519SigningKey FromSeed(const Seed& seed);

  ~Ed25519SigningKey();
  Ed25519SigningKey(const Ed25519SigningKey&) = delete;
  Ed25519SigningKey& operator=(const Ed25519SigningKey&) = delete;
  Ed25519SigningKey(Ed25519SigningKey&& other) noexcept;
  Ed25519SigningKey& operator=(Ed25519SigningKey&& other) noexcept;

  const Ed25519PublicKey& PublicKey() const { return public_key_; }
  const Seed& SeedBytes() const { return seed_; }
  Ed25519Signature Sign(std::span<const std::uint8_t> message) const;
  Ed25519Signature Sign(std::string_view message) const;

 private:
  Ed25519SigningKey() = default;
  Seed seed_{};
  std::array<std::uint8_t, 64> secret_{};  // libsodium's expanded form: seed || public key.
  Ed25519PublicKey public_key_;
};

// True when `signature` is a valid Ed25519 signature of `message` by `key`.
bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   const Ed25519Signature& signature);

}  // namespace aliquot
