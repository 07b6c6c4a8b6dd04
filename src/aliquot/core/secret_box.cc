#include "aliquot/core/secret_box.h"

#include <algorithm>
#include <vector>

#include <sodium.h>

#include "aliquot/core/check.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/random.h"
#include "aliquot/core/sha256.h"

namespace aliquot {
namespace {

constexpr std::string_view kPrefix = "sealed.v1.";
constexpr std::size_t kKeyIdDigits = 16;
constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(SecretKey::kSize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

const unsigned char* Unsigned(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Error Malformed(const std::string& why) {
  return DataLoss("the sealed value is malformed: " + why);
}

}  // namespace

SecretKey SecretKey::Generate() {
  SecretKey key;
  SecureRandom(key.bytes_);
  return key;
}

Result<SecretKey> SecretKey::FromBytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return Unexpected(InvalidArgument("a secret key is " + std::to_string(kSize) + " bytes, got " +
                                      std::to_string(bytes.size())));
  }
  SecretKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::string SecretKey::KeyId() const {
  // A domain-separated hash: the id is never the hash of the key alone, which another use of the
  // same bytes might publish.
  return Sha256()
      .Update("aliquot secret key id")
      .Update(bytes_)
      .Finish()
      .Hex()
      .substr(0, kKeyIdDigits);
}

std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view context) {
  // A random 24-byte nonce never repeats in practice under one key, which is why XChaCha20 and not
  // the 12-byte IETF ChaCha20 nonce.
  std::vector<std::uint8_t> box(kNonceSize + plaintext.size() + kTagSize);
  SecureRandom(std::span(box).first(kNonceSize));
  unsigned long long ciphertext_size = 0;
  ALIQUOT_CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt(
                    box.data() + kNonceSize, &ciphertext_size, Unsigned(plaintext),
                    plaintext.size(), Unsigned(context), context.size(), nullptr, box.data(),
                    key.Bytes().data()) == 0);
  ALIQUOT_CHECK(ciphertext_size == plaintext.size() + kTagSize);
  std::string sealed = std::string(kPrefix) + key.KeyId() + ".";
  AppendHex(box, sealed);
  return sealed;
}

Result<std::string> Unseal(const SecretKey& key, std::string_view sealed,
                           std::string_view context) {
  internal::EnsureSodium();
  if (!sealed.starts_with(kPrefix)) {
    return Unexpected(Malformed("it does not start with '" + std::string(kPrefix) + "'"));
  }
  std::string_view rest = sealed.substr(kPrefix.size());
  const std::size_t dot = rest.find('.');
  const std::string_view key_id = rest.substr(0, dot);
  if (dot == std::string_view::npos || key_id.size() != kKeyIdDigits || !IsLowerHex(key_id)) {
    return Unexpected(Malformed("no key id of " + std::to_string(kKeyIdDigits) +
                                " hex digits follows '" + std::string(kPrefix) + "'"));
  }
  auto box = HexDecode(rest.substr(dot + 1));
  if (!box) return Unexpected(Malformed(box.error().Message()));
  if (box->size() < kNonceSize + kTagSize) {
    return Unexpected(Malformed("it holds " + std::to_string(box->size()) +
                                " bytes, fewer than a nonce and a tag (" +
                                std::to_string(kNonceSize + kTagSize) + ")"));
  }
  const std::string own_key_id = key.KeyId();
  if (key_id != own_key_id) {
    return Unexpected(FailedPrecondition("the value was sealed under key " + std::string(key_id) +
                                         ", this server holds key " + own_key_id +
                                         "; copy the site's keys/credentials.key"));
  }
  const std::size_t ciphertext_size = box->size() - kNonceSize;
  std::string plaintext(ciphertext_size - kTagSize, '\0');
  unsigned long long plaintext_size = 0;
  // libsodium writes nothing to `plaintext` unless the tag verifies.
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plaintext.data()),
                                                 &plaintext_size, nullptr, box->data() + kNonceSize,
                                                 ciphertext_size, Unsigned(context), context.size(),
                                                 box->data(), key.Bytes().data()) != 0) {
    return Unexpected(DataLoss("the sealed value failed authentication under key " + own_key_id +
                               " for context '" + std::string(context) +
                               "': it was altered, or sealed for another context"));
  }
  return plaintext;
}

}  // namespace aliquot
