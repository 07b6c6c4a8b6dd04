#include "aliquot/domain/identity/totp.h"

#include <array>
#include <vector>

#include "aliquot/core/base32.h"
#include "aliquot/core/check.h"
#include "aliquot/core/random.h"

namespace aliquot::identity {
namespace {

constexpr std::array<std::uint32_t, 9> kPowersOfTen{1,      10,      100,      1000,     10000,
                                                    100000, 1000000, 10000000, 100000000};

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UriEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

}  // namespace

std::int64_t TotpStep(Timestamp time, const TotpParameters& parameters) {
  return FloorDiv(FloorDiv(time.Micros(), kMicrosPerSecond), parameters.period_seconds);
}

std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t step,
                     const TotpParameters& parameters) {
  std::array<std::uint8_t, 8> counter{};
  auto value = static_cast<std::uint64_t>(step);
  for (std::size_t i = counter.size(); i-- > 0;) {
    counter[i] = static_cast<std::uint8_t>(value & 0xFFu);
    value >>= 8;
  }
  const std::vector<std::uint8_t> mac = Hmac(parameters.algorithm, secret, counter);
  const std::size_t offset = mac.back() & 0x0Fu;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7Fu) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  const auto digits = static_cast<std::size_t>(parameters.digits);
  ALIQUOT_CHECK(digits >= 1 && digits < kPowersOfTen.size());
  std::string code = std::to_string(binary % kPowersOfTen[digits]);
  code.insert(0, digits - code.size(), '0');
  return code;
}

std::optional<std::int64_t> MatchTotp(std::span<const std::uint8_t> secret, std::string_view code,
                                      Timestamp now, int window,
                                      std::optional<std::int64_t> last_used_step,
                                      const TotpParameters& parameters) {
  if (code.size() != static_cast<std::size_t>(parameters.digits)) return std::nullopt;
  const std::int64_t current = TotpStep(now, parameters);
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared, matched or not, so the time taken does not say
  // which step matched.
  for (std::int64_t step = current - window; step <= current + window; ++step) {
    const bool equal = ConstantTimeEquals(TotpCode(secret, step, parameters), code);
    if (equal && !matched && (!last_used_step || step > *last_used_step)) matched = step;
  }
  return matched;
}

std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::span<const std::uint8_t> secret, const TotpParameters& parameters) {
  std::string uri = "otpauth://totp/";
  uri += UriEncode(issuer);
  uri += ':';
  uri += UriEncode(account);
  uri += "?secret=";
  uri += Base32Encode(secret);
  uri += "&issuer=";
  uri += UriEncode(issuer);
  uri += "&algorithm=";
  uri += HmacDigestName(parameters.algorithm);
  uri += "&digits=";
  uri += std::to_string(parameters.digits);
  uri += "&period=";
  uri += std::to_string(parameters.period_seconds);
  return uri;
}

}  // namespace aliquot::identity
