#include "aliquot/core/timestamp.h"

#include <algorithm>
#include <array>

namespace aliquot {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date, and back: the civil-calendar algorithms
// that need no table and no time zone database.
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year =
      static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

bool IsLeap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(std::int64_t year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Whole days since the epoch and the microseconds into the last of them (never negative).
struct DaysAndRest {
  std::int64_t days;
  std::int64_t rest;
};
DaysAndRest SplitDays(std::int64_t micros) {
  std::int64_t days = micros / kMicrosPerDay;
  std::int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  return {days, rest};
}

}  // namespace

std::string Timestamp::ToRfc3339() const {
  std::string text;
  AppendRfc3339(text);
  return text;
}

void Timestamp::AppendRfc3339(std::string& out) const {
  const auto [days, rest] = SplitDays(micros_);
  const Civil date = CivilFromDays(days);
  const std::int64_t seconds = rest / kMicrosPerSecond;
  // Fixed-width digits by hand: this runs once per event when the ledger is verified.
  char text[] = "0000-00-00T00:00:00.000000Z";
  const auto put = [&text](std::size_t end, std::int64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      text[end - i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(3, date.year, 4);
  put(6, date.month, 2);
  put(9, date.day, 2);
  put(12, seconds / 3600, 2);
  put(15, seconds / 60 % 60, 2);
  put(18, seconds % 60, 2);
  put(25, rest % kMicrosPerSecond, 6);
  out.append(text, sizeof text - 1);  // Without the terminating NUL.
}

Result<Timestamp> Timestamp::ParseRfc3339(std::string_view text) {
  // Pattern: YYYY-MM-DDTHH:MM:SS.ffffffZ, 'd' marks a digit.
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  const auto fail = [&](std::size_t position) {
    return Unexpected(InvalidArgument(
        "timestamp '" + std::string(text.substr(0, 40)) + "' is not of the form " +
        "2026-11-21T20:22:03.123456Z (UTC, six fractional digits): mismatch at character " +
        std::to_string(position + 1)));
  };
  for (std::size_t i = 0; i < kPattern.size(); ++i) {
    if (i >= text.size()) return fail(i);
    const bool ok =
        kPattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kPattern[i];
    if (!ok) return fail(i);
  }
  if (text.size() != kPattern.size()) return fail(kPattern.size());
  const auto number = [&](std::size_t from, std::size_t count) {
    std::int64_t value = 0;
    for (std::size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const std::int64_t year = number(0, 4);
  const auto month = static_cast<unsigned>(number(5, 2));
  const auto day = static_cast<unsigned>(number(8, 2));
  const std::int64_t hour = number(11, 2);
  const std::int64_t minute = number(14, 2);
  const std::int64_t second = number(17, 2);
  if (year < 1) return fail(0);
  if (month < 1 || month > 12) return fail(5);
  if (day < 1 || day > DaysInMonth(year, month)) return fail(8);
  if (hour > 23) return fail(11);
  if (minute > 59) return fail(14);
  // Leap seconds are not representable in the ledger's time line (nor in POSIX time).
  if (second > 59) return fail(17);
  const std::int64_t days = DaysFromCivil(year, month, day);
  return Timestamp(days * kMicrosPerDay + ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond +
                   number(20, 6));
}

Result<Timestamp> Timestamp::ParseInstant(std::string_view text, std::string_view field) {
  const auto refuse = [&] {
    return Unexpected(InvalidArgument(
        std::string(field) + " '" + std::string(text.substr(0, 40)) +
            "' is not a UTC date or time: write 2026-12-01, 2026-12-01T08:00:00Z or "
            "2026-12-01T08:00:00.123456Z",
        std::string(field)));
  };
  std::string full;
  if (text.size() == 10) {
    full = std::string(text) + "T00:00:00.000000Z";
  } else if (text.size() >= 20 && text.size() <= 27 && text.back() == 'Z') {
    full = std::string(text.substr(0, 19));
    std::string fraction;
    if (text.size() > 20) {
      if (text[19] != '.' || text.size() == 21) return refuse();
      fraction = std::string(text.substr(20, text.size() - 21));
    } else if (text[19] != 'Z') {
      return refuse();
    }
    full += "." + fraction + std::string(6 - fraction.size(), '0') + "Z";
  } else {
    return refuse();
  }
  auto parsed = ParseRfc3339(full);
  if (!parsed) return refuse();
  return parsed;
}

Timestamp Timestamp::PlusCalendarMonths(int months) const {
  const auto [days, rest] = SplitDays(micros_);
  const Civil date = CivilFromDays(days);
  const std::int64_t month_index = date.year * 12 + (date.month - 1) + months;
  const std::int64_t year = month_index >= 0 ? month_index / 12 : (month_index - 11) / 12;
  const auto month = static_cast<unsigned>(month_index - year * 12 + 1);
  const unsigned day = std::min(date.day, DaysInMonth(year, month));
  return Timestamp(DaysFromCivil(year, month, day) * kMicrosPerDay + rest);
}

}  // namespace aliquot
