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

  // Parses what a person or a client sends: a date "2026-12-01" (midnight UTC), or RFC 3339 in
  // UTC with or without fractional seconds (up to six digits): "2026-12-01T08:00:00Z",
  // "2026-12-01T08:00:00.5Z". Returns kInvalidArgument naming `field` and the accepted forms.
  static Result<Timestamp> ParseInstant(std::string_view text, std::string_view field);

  // The same time of day `months` calendar months later (earlier when negative), on the last day
  // of the month where the day does not exist: 2026-01-31 plus one month is 2026-02-28.
  Timestamp PlusCalendarMonths(int months) const;

  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;

 private:
  constexpr explicit Timestamp(std::int64_t micros) : micros_(micros) {}
  std::int64_t micros_ = 0;
};

// Durations stay plain microsecond counts: the ledger never needs more.
constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

}  // namespace aliquot
