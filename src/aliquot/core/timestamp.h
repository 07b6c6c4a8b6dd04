// Timestamp: a UTC instant with microsecond resolution, the only time the ledger knows. Server
// time only (ALCOA+ AL-01): nothing here reads a client's clock.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot {

class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp FromMicros(std::int64_t micros_since_epoch) {
    return Timestamp(micros_since_epoch);
  }

  constexpr std::int64_t Micros() const { return micros_; }

  // "2026-11-21T20:22:03.123456Z": always six fractional digits and 'Z', so the text sorts as the
  // instants do and hashes the same everywhere.
  std::string ToRfc3339() const;
  // The same, appended to `out`: the verifier formats one per event, so no temporary string.
  void AppendRfc3339(std::string& out) const;

  // Parses exactly the form ToRfc3339 writes, years 0001 to 9999. Returns kInvalidArgument
  // naming the first character that does not fit.
  static Result<Timestamp> ParseRfc3339(std::string_view text);

  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;

 private:
  constexpr explicit Timestamp(std::int64_t micros) : micros_(micros) {}
  std::int64_t micros_ = 0;
};

// Durations stay plain microsecond counts: the ledger never needs more.
constexpr std::int64_t kMicrosPerSecond = 1'000'000;

}  // namespace aliquot
