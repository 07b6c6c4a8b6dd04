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

}  // namespace
}  // namespace aliquot
