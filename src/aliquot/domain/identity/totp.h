// TOTP (RFC 6238): the time-based one-time codes of an authenticator app, the second factor for
// signing and signing in (21 CFR 11.200, P11-14; EU GMP Annex 11 draft, A11-06). Pure: the time
// is an argument, and the shared secret is given by the caller, which keeps it sealed at rest.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/hmac.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::identity {

struct TotpParameters {
  HmacAlgorithm algorithm = HmacAlgorithm::kSha1;  // What authenticator apps implement.
  int digits = 6;
  std::int64_t period_seconds = 30;
};

// The time step containing `time`: floor(unix seconds / period) (RFC 6238 section 4.2, T0 = 0).
std::int64_t TotpStep(Timestamp time, const TotpParameters& parameters = {});

// The code for `step` (RFC 4226 section 5.3's dynamic truncation), zero-padded to `digits`.
std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t step,
                     const TotpParameters& parameters = {});

// The step of the code `code` entered at `now`, looking `window` steps either side for a clock
// that drifts (RFC 6238 section 5.2), or nullopt when it matches none. A step at or before
// `last_used_step` never matches: a code works once (section 5.2, replay). Codes are compared in
// constant time.
std::optional<std::int64_t> MatchTotp(std::span<const std::uint8_t> secret, std::string_view code,
                                      Timestamp now, int window,
                                      std::optional<std::int64_t> last_used_step,
                                      const TotpParameters& parameters = {});

// The steps a code may drift by, either side: one step (30 s), the RFC's recommendation.
inline constexpr int kTotpWindow = 1;

// The otpauth:// URI an authenticator app scans as a QR code (Key Uri Format):
// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::span<const std::uint8_t> secret, const TotpParameters& parameters = {});

}  // namespace aliquot::identity
