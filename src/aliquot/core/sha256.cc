#include "aliquot/core/sha256.h"

#include <openssl/evp.h>

#include "aliquot/core/check.h"
#include "aliquot/core/hex.h"

namespace aliquot {
namespace {

// Fetched once: EVP_sha256() would look the implementation up again on every Init.
const EVP_MD* Sha256Method() {
  static const EVP_MD* const kMethod = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ALIQUOT_CHECK_MSG(kMethod != nullptr, "OpenSSL has no SHA-256");
  return kMethod;
}

}  // namespace

std::string Hash256::Hex() const { return HexEncode(bytes); }

Result<Hash256> Hash256::FromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return Unexpected(
        InvalidArgument("a SHA-256 hash is 64 hex digits, got " + std::to_string(hex.size())));
  }
  ALIQUOT_ASSIGN_OR_RETURN(auto decoded, HexDecode(hex));
  Hash256 hash;
  std::copy(decoded.begin(), decoded.end(), hash.bytes.begin());
  return hash;
}

struct Sha256::Context {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->ctx = EVP_MD_CTX_new();
  ALIQUOT_CHECK(context_->ctx != nullptr);
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_->ctx); }

void Sha256::Reset() {
  ALIQUOT_CHECK(EVP_DigestInit_ex2(context_->ctx, Sha256Method(), nullptr) == 1);
}

Sha256& Sha256::Update(std::span<const std::uint8_t> bytes) {
  ALIQUOT_CHECK(EVP_DigestUpdate(context_->ctx, bytes.data(), bytes.size()) == 1);
  return *this;
}

Sha256& Sha256::Update(std::string_view text) {
  ALIQUOT_CHECK(EVP_DigestUpdate(context_->ctx, text.data(), text.size()) == 1);
  return *this;
}

Sha256& Sha256::Update(std::uint8_t byte) {
  ALIQUOT_CHECK(EVP_DigestUpdate(context_->ctx, &byte, 1) == 1);
  return *this;
}

Hash256 Sha256::Finish() {
  Hash256 hash;
  unsigned int size = 0;
  ALIQUOT_CHECK(EVP_DigestFinal_ex(context_->ctx, hash.bytes.data(), &size) == 1);
  ALIQUOT_CHECK(size == hash.bytes.size());
  Reset();
  return hash;
}

Hash256 Sha256::Of(std::span<const std::uint8_t> bytes) { return Sha256().Update(bytes).Finish(); }

Hash256 Sha256::Of(std::string_view text) { return Sha256().Update(text).Finish(); }

}  // namespace aliquot
