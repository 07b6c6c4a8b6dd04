// SHA-256 through OpenSSL's EVP interface: the one hash of the ledger's chain, its Merkle tree and
// the blob store.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot {

// A SHA-256 digest. Value type: compare, copy, print as hex.
struct Hash256 {
  std::array<std::uint8_t, 32> bytes{};

  std::string Hex() const;
  // Parses 64 hex digits. Returns kInvalidArgument otherwise.
  static Result<Hash256> FromHex(std::string_view hex);

  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend auto operator<=>(const Hash256&, const Hash256&) = default;
};

// Incremental hasher. Reusable: Finish() resets it for the next message, which keeps the
// verifier's hot loop free of allocations.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(std::span<const std::uint8_t> bytes);
  Sha256& Update(std::string_view text);
  Sha256& Update(std::uint8_t byte);
  Hash256 Finish();

  // One-shot helpers.
  static Hash256 Of(std::span<const std::uint8_t> bytes);
  static Hash256 Of(std::string_view text);

 private:
  void Reset();
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace aliquot
