#include "aliquot/domain/identity/totp.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace aliquot::identity {
namespace {

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The seeds of RFC 6238 Appendix B: the ASCII digits repeated to the hash's length.
constexpr std::string_view kSha1Seed = "12345678901234567890";
constexpr std::string_view kSha256Seed = "12345678901234567890123456789012";
constexpr std::string_view kSha512Seed =
    "1234567890123456789012345678901234567890123456789012345678901234";

Timestamp AtSecond(std::int64_t seconds) {
  return Timestamp::FromMicros(seconds * kMicrosPerSecond);
}

struct Vector {
  std::int64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

// RFC 6238 Appendix B, rechecked with Python's hmac module.
constexpr Vector kRfc6238Vectors[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

std::string CodeAt(std::string_view seed, HmacAlgorithm algorithm, std::int64_t seconds) {
  const TotpParameters parameters{.algorithm = algorithm, .digits = 8, .period_seconds = 30};
  return TotpCode(Bytes(seed), TotpStep(AtSecond(seconds), parameters), parameters);
}

// Verifies P11-14: the second factor computes what every authenticator app computes.
TEST(Totp, MatchesTheRfc6238TestVectorsForSha1) {
  for (const Vector& vector : kRfc6238Vectors) {
    EXPECT_EQ(CodeAt(kSha1Seed, HmacAlgorithm::kSha1, vector.time), vector.sha1)
        << "at " << vector.time;
  }
}

TEST(Totp, MatchesTheRfc6238TestVectorsForSha256) {
  for (const Vector& vector : kRfc6238Vectors) {
    EXPECT_EQ(CodeAt(kSha256Seed, HmacAlgorithm::kSha256, vector.time), vector.sha256)
        << "at " << vector.time;
  }
}

TEST(Totp, MatchesTheRfc6238TestVectorsForSha512) {
  for (const Vector& vector : kRfc6238Vectors) {
    EXPECT_EQ(CodeAt(kSha512Seed, HmacAlgorithm::kSha512, vector.time), vector.sha512)
        << "at " << vector.time;
  }
}

TEST(Totp, TheStepIsTheUnixTimeDividedByThePeriod) {
  // RFC 6238 Appendix B's "Value of T (hex)" column.
  EXPECT_EQ(TotpStep(AtSecond(59)), 0x1);
  EXPECT_EQ(TotpStep(AtSecond(1111111109)), 0x23523EC);
  EXPECT_EQ(TotpStep(AtSecond(20000000000)), 0x27BC86AA);
  EXPECT_EQ(TotpStep(AtSecond(30)), 1);
  EXPECT_EQ(TotpStep(Timestamp::FromMicros(30 * kMicrosPerSecond - 1)), 0);
}

TEST(Totp, ASixDigitCodeKeepsItsLeadingZeros) {
  // 07081804 in eight digits is 081804 in six.
  EXPECT_EQ(TotpCode(Bytes(kSha1Seed), TotpStep(AtSecond(1111111109))), "081804");
}

constexpr std::int64_t kNow = 1111111109;

std::string SixDigitCode(std::int64_t step) { return TotpCode(Bytes(kSha1Seed), step); }

// Verifies P11-14, A11-06: a clock a step off still signs in.
TEST(Totp, AcceptsTheCodeOfTheCurrentPreviousAndNextStep) {
  const std::int64_t step = TotpStep(AtSecond(kNow));
  for (std::int64_t drift : {-1, 0, 1}) {
    EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step + drift), AtSecond(kNow), kTotpWindow,
                        std::nullopt),
              step + drift)
        << "drift " << drift;
  }
}

// Verifies P11-14, A11-06
TEST(Totp, RefusesACodeTwoStepsAway) {
  const std::int64_t step = TotpStep(AtSecond(kNow));
  for (std::int64_t drift : {-2, 2}) {
    EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step + drift), AtSecond(kNow), kTotpWindow,
                        std::nullopt),
              std::nullopt)
        << "drift " << drift;
  }
}

TEST(Totp, AWindowOfZeroAcceptsOnlyTheCurrentStep) {
  const std::int64_t step = TotpStep(AtSecond(kNow));
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step), AtSecond(kNow), 0, std::nullopt), step);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step - 1), AtSecond(kNow), 0, std::nullopt),
            std::nullopt);
}

TEST(Totp, RefusesAWrongCode) {
  std::string code = SixDigitCode(TotpStep(AtSecond(kNow)));
  code.back() = code.back() == '0' ? '1' : '0';
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), code, AtSecond(kNow), kTotpWindow, std::nullopt),
            std::nullopt);
}

TEST(Totp, RefusesTheRightCodeUnderAnotherSecret) {
  const std::string code = SixDigitCode(TotpStep(AtSecond(kNow)));
  EXPECT_EQ(
      MatchTotp(Bytes("another secret of 20B"), code, AtSecond(kNow), kTotpWindow, std::nullopt),
      std::nullopt);
}

// Verifies P11-14: a code works once (RFC 6238 section 5.2).
TEST(Totp, RefusesACodeAtOrBeforeTheLastUsedStep) {
  const std::int64_t step = TotpStep(AtSecond(kNow));
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step), AtSecond(kNow), kTotpWindow, step),
            std::nullopt);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step - 1), AtSecond(kNow), kTotpWindow, step),
            std::nullopt);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step + 1), AtSecond(kNow), kTotpWindow, step),
            step + 1);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), SixDigitCode(step), AtSecond(kNow), kTotpWindow, step - 1),
            step);
}

TEST(Totp, RefusesACodeOfTheWrongLength) {
  const std::string code = SixDigitCode(TotpStep(AtSecond(kNow)));
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), code.substr(1), AtSecond(kNow), kTotpWindow, std::nullopt),
            std::nullopt);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), "0" + code, AtSecond(kNow), kTotpWindow, std::nullopt),
            std::nullopt);
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), "", AtSecond(kNow), kTotpWindow, std::nullopt),
            std::nullopt);
  // An eight-digit code is right when the parameters ask for eight.
  const TotpParameters eight{.digits = 8};
  EXPECT_EQ(
      MatchTotp(Bytes(kSha1Seed), "07081804", AtSecond(kNow), kTotpWindow, std::nullopt, eight),
      TotpStep(AtSecond(kNow)));
  EXPECT_EQ(MatchTotp(Bytes(kSha1Seed), "081804", AtSecond(kNow), kTotpWindow, std::nullopt, eight),
            std::nullopt);
}

TEST(Totp, TheUriCarriesTheBase32SecretAndTheIssuer) {
  const std::string uri = TotpUri("Aliquot Leiden", "olivia", Bytes(kSha1Seed));
  EXPECT_EQ(uri,
            "otpauth://totp/Aliquot%20Leiden:olivia?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Aliquot%20Leiden&algorithm=SHA1&digits=6&period=30");
}

TEST(Totp, TheUriNamesTheAlgorithmDigitsAndPeriodInUse) {
  const std::string uri = TotpUri("Aliquot", "olivia", Bytes(kSha256Seed),
                                  {.algorithm = HmacAlgorithm::kSha256, .digits = 8});
  EXPECT_NE(uri.find("&algorithm=SHA256&digits=8&period=30"), std::string::npos) << uri;
}

}  // namespace
}  // namespace aliquot::identity
