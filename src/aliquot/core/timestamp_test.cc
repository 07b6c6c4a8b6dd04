#include "aliquot/core/timestamp.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot {
namespace {

// Seconds since the epoch of known instants, computed independently (Python's calendar.timegm).
constexpr std::int64_t kYear1Start = -62135596800;     // 0001-01-01T00:00:00Z
constexpr std::int64_t kYear9999End = 253402300799;    // 9999-12-31T23:59:59Z
constexpr std::int64_t kLeapDay2024Noon = 1709208000;  // 2024-02-29T12:00:00Z
constexpr std::int64_t kLeapDay2000 = 951782400;       // 2000-02-29T00:00:00Z
constexpr std::int64_t kMarch1900 = -2203891200;       // 1900-03-01T00:00:00Z

Timestamp AtSeconds(std::int64_t seconds, std::int64_t micros = 0) {
  return Timestamp::FromMicros(seconds * kMicrosPerSecond + micros);
}

// Whether `text` is refused with kInvalidArgument naming `character` (1-based) as the first that
// does not fit.
::testing::AssertionResult RefusedAt(std::string_view text, int character) {
  const Result<Timestamp> parsed = Timestamp::ParseRfc3339(text);
  if (parsed.has_value()) {
    return ::testing::AssertionFailure()
           << "'" << text << "' was accepted as " << parsed->ToRfc3339();
  }
  const std::string expected = "mismatch at character " + std::to_string(character);
  if (parsed.error().Code() != ErrorCode::kInvalidArgument ||
      !parsed.error().Message().ends_with(expected)) {
    return ::testing::AssertionFailure()
           << "'" << text << "' was refused with " << parsed.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

TEST(Timestamp, PrintsTheEpochWithSixFractionalDigitsAndZ) {
  EXPECT_EQ(Timestamp().ToRfc3339(), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Timestamp::FromMicros(1).ToRfc3339(), "1970-01-01T00:00:00.000001Z");
}

TEST(Timestamp, PrintsInstantsBeforeTheEpoch) {
  EXPECT_EQ(Timestamp::FromMicros(-1).ToRfc3339(), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(AtSeconds(-1).ToRfc3339(), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(AtSeconds(-86400).ToRfc3339(), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ(AtSeconds(kMarch1900).ToRfc3339(), "1900-03-01T00:00:00.000000Z");
}

TEST(Timestamp, PrintsTheEndsOfTheRange) {
  EXPECT_EQ(AtSeconds(kYear1Start).ToRfc3339(), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(AtSeconds(kYear9999End, 999999).ToRfc3339(), "9999-12-31T23:59:59.999999Z");
}

TEST(Timestamp, ParsesKnownInstants) {
  const std::vector<std::pair<std::string, Timestamp>> cases = {
      {"1970-01-01T00:00:00.000000Z", Timestamp()},
      {"1969-12-31T23:59:59.999999Z", Timestamp::FromMicros(-1)},
      {"2024-02-29T12:00:00.123456Z", AtSeconds(kLeapDay2024Noon, 123456)},
      {"0001-01-01T00:00:00.000000Z", AtSeconds(kYear1Start)},
      {"9999-12-31T23:59:59.999999Z", AtSeconds(kYear9999End, 999999)},
  };
  for (const auto& [text, expected] : cases) {
    const Result<Timestamp> parsed = Timestamp::ParseRfc3339(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().ToString();
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(Timestamp, RoundTripsAcrossTheWholeRange) {
  std::vector<std::int64_t> micros = {0,
                                      -1,
                                      1,
                                      -kMicrosPerSecond,
                                      -86'400 * kMicrosPerSecond - 1,
                                      kYear1Start * kMicrosPerSecond,
                                      kYear9999End * kMicrosPerSecond + 999'999,
                                      kLeapDay2000 * kMicrosPerSecond,
                                      kMarch1900 * kMicrosPerSecond - 1};
  // A fixed seed: the same instants on every run.
  std::mt19937_64 random(20260302);
  std::uniform_int_distribution<std::int64_t> any(kYear1Start * kMicrosPerSecond,
                                                  kYear9999End * kMicrosPerSecond + 999'999);
  for (int i = 0; i < 20'000; ++i) micros.push_back(any(random));
  for (const std::int64_t value : micros) {
    const Timestamp time = Timestamp::FromMicros(value);
    const std::string text = time.ToRfc3339();
    ASSERT_EQ(text.size(), 27U) << text;
    const Result<Timestamp> parsed = Timestamp::ParseRfc3339(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().ToString();
    ASSERT_EQ(parsed->Micros(), value) << text;
  }
}

TEST(Timestamp, TextSortsAsTheInstantsDo) {
  // The ledger compares times as strings (docs/ledger-format.md section 1).
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::int64_t> any(kYear1Start * kMicrosPerSecond,
                                                  kYear9999End * kMicrosPerSecond);
  for (int i = 0; i < 5'000; ++i) {
    const Timestamp a = Timestamp::FromMicros(any(random));
    const Timestamp b = Timestamp::FromMicros(any(random));
    EXPECT_EQ(a < b, a.ToRfc3339() < b.ToRfc3339()) << a.ToRfc3339() << " " << b.ToRfc3339();
  }
  EXPECT_LT(Timestamp::FromMicros(-1).ToRfc3339(), Timestamp().ToRfc3339());
}

TEST(Timestamp, AcceptsLeapDaysOfLeapYears) {
  EXPECT_TRUE(Timestamp::ParseRfc3339("2024-02-29T00:00:00.000000Z").has_value());
  EXPECT_TRUE(Timestamp::ParseRfc3339("2000-02-29T00:00:00.000000Z").has_value());
  EXPECT_EQ(*Timestamp::ParseRfc3339("2000-02-29T00:00:00.000000Z"), AtSeconds(kLeapDay2000));
}

TEST(Timestamp, RefusesLeapDaysOfCommonYears) {
  EXPECT_TRUE(RefusedAt("2023-02-29T00:00:00.000000Z", 9));
  // Divisible by 100 but not by 400: not a leap year.
  EXPECT_TRUE(RefusedAt("1900-02-29T00:00:00.000000Z", 9));
}

TEST(Timestamp, RefusesDaysBeyondTheMonth) {
  EXPECT_TRUE(RefusedAt("2026-04-31T00:00:00.000000Z", 9));
  EXPECT_TRUE(RefusedAt("2026-01-32T00:00:00.000000Z", 9));
  EXPECT_TRUE(RefusedAt("2026-01-00T00:00:00.000000Z", 9));
  EXPECT_TRUE(Timestamp::ParseRfc3339("2026-01-31T00:00:00.000000Z").has_value());
}

TEST(Timestamp, RefusesOutOfRangeFieldsNamingTheirFirstCharacter) {
  EXPECT_TRUE(RefusedAt("0000-01-01T00:00:00.000000Z", 1));
  EXPECT_TRUE(RefusedAt("2026-13-01T00:00:00.000000Z", 6));
  EXPECT_TRUE(RefusedAt("2026-00-01T00:00:00.000000Z", 6));
  EXPECT_TRUE(RefusedAt("2026-01-01T24:00:00.000000Z", 12));
  EXPECT_TRUE(RefusedAt("2026-01-01T00:60:00.000000Z", 15));
}

TEST(Timestamp, RefusesALeapSecond) {
  // The ledger's time line, like POSIX time, has no 23:59:60.
  EXPECT_TRUE(RefusedAt("2016-12-31T23:59:60.000000Z", 18));
  EXPECT_TRUE(Timestamp::ParseRfc3339("2016-12-31T23:59:59.999999Z").has_value());
}

TEST(Timestamp, RefusesNonUtcOffsets) {
  // Verifies AL-01: the ledger holds server UTC only.
  for (const std::string_view text :
       {"2026-03-02T10:00:00.000000+01:00", "2026-03-02T09:00:00.000000+00:00",
        "2026-03-02T09:00:00.000000-00:00", "2026-03-02T09:00:00.000000z"}) {
    EXPECT_TRUE(RefusedAt(text, 27));
  }
}

TEST(Timestamp, RefusesAMissingOrShortFraction) {
  EXPECT_TRUE(RefusedAt("2026-03-02T09:00:00Z", 20));
  EXPECT_TRUE(RefusedAt("2026-03-02T09:00:00.123Z", 24));
}

TEST(Timestamp, RefusesTrailingCharacters) {
  EXPECT_TRUE(RefusedAt("2026-03-02T09:00:00.0000000Z", 27));
  EXPECT_TRUE(RefusedAt("2026-03-02T09:00:00.000000Z ", 28));
}

TEST(Timestamp, RefusesOtherSeparatorsAndTruncatedText) {
  EXPECT_TRUE(RefusedAt("", 1));
  EXPECT_TRUE(RefusedAt("2026-03-02 09:00:00.000000Z", 11));
  EXPECT_TRUE(RefusedAt("2026-03-02t09:00:00.000000Z", 11));
  EXPECT_TRUE(RefusedAt("2026/03/02T09:00:00.000000Z", 5));
  EXPECT_TRUE(RefusedAt("2026-03-02T09:00", 17));
  EXPECT_TRUE(RefusedAt("+2026-03-02T09:00:00.000000Z", 1));
}

TEST(Timestamp, RefusalQuotesTheTextAndShowsTheExpectedForm) {
  const Result<Timestamp> parsed = Timestamp::ParseRfc3339("2026-03-02T09:00:00Z");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().Message(),
            "timestamp '2026-03-02T09:00:00Z' is not of the form 2026-11-21T20:22:03.123456Z "
            "(UTC, six fractional digits): mismatch at character 20");
}

// The instant `text` (the form ToRfc3339 writes) denotes; fails the test when it is malformed.
Timestamp At(std::string_view text) {
  const Result<Timestamp> parsed = Timestamp::ParseRfc3339(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().ToString();
  return parsed.value_or(Timestamp());
}

TEST(TimestampParseInstant, ReadsADateAsMidnightUtc) {
  const Result<Timestamp> parsed = Timestamp::ParseInstant("2026-12-01", "effective_from");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, At("2026-12-01T00:00:00.000000Z"));
}

TEST(TimestampParseInstant, ReadsUtcTimesWithAndWithoutAFraction) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2026-12-01T08:00:00Z", "2026-12-01T08:00:00.000000Z"},
      {"2026-12-01T08:00:00.5Z", "2026-12-01T08:00:00.500000Z"},
      {"2026-12-01T08:00:00.12Z", "2026-12-01T08:00:00.120000Z"},
      {"2026-12-01T08:00:00.123Z", "2026-12-01T08:00:00.123000Z"},
      {"2026-12-01T08:00:00.1234Z", "2026-12-01T08:00:00.123400Z"},
      {"2026-12-01T08:00:00.12345Z", "2026-12-01T08:00:00.123450Z"},
      {"2026-12-01T08:00:00.123456Z", "2026-12-01T08:00:00.123456Z"},
      {"2026-12-01T08:00:00.000001Z", "2026-12-01T08:00:00.000001Z"},
      {"2024-02-29T23:59:59.9Z", "2024-02-29T23:59:59.900000Z"},
  };
  for (const auto& [text, expected] : cases) {
    const Result<Timestamp> parsed = Timestamp::ParseInstant(text, "due");
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().ToString();
    EXPECT_EQ(parsed->ToRfc3339(), expected) << text;
  }
}

TEST(TimestampParseInstant, RefusesWhatIsNotAUtcDateOrTimeNamingTheField_AL_01) {
  // Verifies AL-01: a client sends UTC only; an offset is refused, never converted.
  for (const std::string_view text : {
           "2026-12-01T08:00:00",           // no Z
           "2026-12-01T08:00:00.5",         // no Z
           "2026-12-01T08:00:00+01:00",     // an offset
           "2026-12-01T08:00:00.5+01:00",   // an offset
           "2026-12-01T08:00:00.1234567Z",  // seven fractional digits
           "2026-12-01T08:00:00.Z",         // a point without digits
           "2026-12-01T08:00:00.12a4Z",     // not a digit
           "2026-12-01T08:00:00.-1Z",       // a sign
           "2026-12-01Z",                   // a date with a zone
           "2026-12-01T08:00:00z",          // lower-case z
           "2026-12-01 08:00:00Z",          // a space for T
           "2026-02-30",                    // no such day
           "2026-02-30T08:00:00Z",          // no such day
           "2026-13-01",                    // no such month
           "2026-12-01T24:00:00Z",          // no such hour
           "",                              // nothing
           "2026-12-1",                     // short
           "01/12/2026",                    // another form
       }) {
    const Result<Timestamp> parsed = Timestamp::ParseInstant(text, "effective_from");
    ASSERT_FALSE(parsed.has_value()) << "'" << text << "' was accepted as " << parsed->ToRfc3339();
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(parsed.error().Field(), "effective_from") << text;
    EXPECT_TRUE(parsed.error().Message().starts_with("effective_from '" + std::string(text) + "'"))
        << parsed.error().Message();
    EXPECT_NE(parsed.error().Message().find("2026-12-01T08:00:00Z"), std::string::npos)
        << "the refusal shows an accepted form: " << parsed.error().Message();
  }
}

TEST(TimestampPlusCalendarMonths, KeepsTheDayAndTheTimeOfDay) {
  EXPECT_EQ(At("2026-03-15T10:15:30.123456Z").PlusCalendarMonths(1),
            At("2026-04-15T10:15:30.123456Z"));
  EXPECT_EQ(At("2026-03-15T10:15:30.123456Z").PlusCalendarMonths(0),
            At("2026-03-15T10:15:30.123456Z"));
}

TEST(TimestampPlusCalendarMonths, EndsOnTheLastDayOfAShorterMonth) {
  EXPECT_EQ(At("2026-01-31T10:15:30.000001Z").PlusCalendarMonths(1),
            At("2026-02-28T10:15:30.000001Z"));
  EXPECT_EQ(At("2024-01-31T10:15:30.000001Z").PlusCalendarMonths(1),
            At("2024-02-29T10:15:30.000001Z"));
  EXPECT_EQ(At("2026-03-31T00:00:00.000000Z").PlusCalendarMonths(1),
            At("2026-04-30T00:00:00.000000Z"));
  // A leap day plus a year is the last day of February of the common year.
  EXPECT_EQ(At("2024-02-29T12:00:00.000000Z").PlusCalendarMonths(12),
            At("2025-02-28T12:00:00.000000Z"));
  // Divisible by 100 but not by 400: February 1900 has 28 days.
  EXPECT_EQ(At("1900-01-31T06:00:00.000000Z").PlusCalendarMonths(1),
            At("1900-02-28T06:00:00.000000Z"));
}

TEST(TimestampPlusCalendarMonths, AddsWholeYears) {
  EXPECT_EQ(At("2026-03-02T09:00:00.000000Z").PlusCalendarMonths(12),
            At("2027-03-02T09:00:00.000000Z"));
  EXPECT_EQ(At("2026-03-02T09:00:00.000000Z").PlusCalendarMonths(120),
            At("2036-03-02T09:00:00.000000Z"));
  EXPECT_EQ(At("2026-11-30T23:59:59.999999Z").PlusCalendarMonths(3),
            At("2027-02-28T23:59:59.999999Z"));
}

TEST(TimestampPlusCalendarMonths, GoesBackAcrossAYearBoundary) {
  EXPECT_EQ(At("2026-01-15T08:30:00.000000Z").PlusCalendarMonths(-1),
            At("2025-12-15T08:30:00.000000Z"));
  EXPECT_EQ(At("2026-03-31T08:30:00.000000Z").PlusCalendarMonths(-1),
            At("2026-02-28T08:30:00.000000Z"));
  EXPECT_EQ(At("2026-02-10T08:30:00.000000Z").PlusCalendarMonths(-14),
            At("2024-12-10T08:30:00.000000Z"));
}

TEST(TimestampPlusCalendarMonths, WorksBeforeTheEpoch) {
  EXPECT_EQ(At("1969-12-31T23:00:00.000000Z").PlusCalendarMonths(1),
            At("1970-01-31T23:00:00.000000Z"));
  EXPECT_EQ(At("1970-01-01T00:00:00.000000Z").PlusCalendarMonths(-1),
            At("1969-12-01T00:00:00.000000Z"));
  EXPECT_EQ(Timestamp::FromMicros(-1).PlusCalendarMonths(2), At("1970-02-28T23:59:59.999999Z"));
}

}  // namespace
}  // namespace aliquot
