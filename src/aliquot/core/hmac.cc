#include "aliquot/core/hmac.h"

#include <array>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aliquot/core/check.h"

namespace aliquot {
namespace {

// Fetched once, like sha256.cc's method: a fetch looks the implementation up in the provider.
EVP_MAC* HmacMethod() {
  static EVP_MAC* const kMethod = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  ALIQUOT_CHECK_MSG(kMethod != nullptr, "OpenSSL has no HMAC");
  return kMethod;
}

}  // namespace

std::vector<std::uint8_t> Hmac(HmacAlgorithm algorithm, std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> message) {
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(HmacMethod());
  ALIQUOT_CHECK(context != nullptr);
  // OSSL_PARAM wants a mutable string; OpenSSL only reads it.
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(HmacDigestName(algorithm)), 0),
      OSSL_PARAM_construct_end()};
  // EVP_MAC_init reads a null key as "keep the previous key", which a new context does not have:
  // the empty key is passed as a zero-length piece of a real buffer.
  static constexpr std::uint8_t kNoKey = 0;
  const std::uint8_t* key_bytes = key.empty() ? &kNoKey : key.data();
  ALIQUOT_CHECK(EVP_MAC_init(context, key_bytes, key.size(), params.data()) == 1);
  if (!message.empty()) {
    ALIQUOT_CHECK(EVP_MAC_update(context, message.data(), message.size()) == 1);
  }
  std::vector<std::uint8_t> mac(EVP_MAC_CTX_get_mac_size(context));
  std::size_t size = 0;
  ALIQUOT_CHECK(EVP_MAC_final(context, mac.data(), &size, mac.size()) == 1);
  EVP_MAC_CTX_free(context);
  ALIQUOT_CHECK(size == mac.size());
  return mac;
}

const char* HmacDigestName(HmacAlgorithm algorithm) {
  switch (algorithm) {
    case HmacAlgorithm::kSha1:
      return "SHA1";
    case HmacAlgorithm::kSha256:
      return "SHA256";
    case HmacAlgorithm::kSha512:
      return "SHA512";
  }
  ALIQUOT_CHECK_MSG(false, "unknown HmacAlgorithm");
  return "";
}

}  // namespace aliquot
