#include "aliquot/core/base32.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::string DecodeToText(std::string_view base32) {
  const Result<std::vector<std::uint8_t>> bytes = Base32Decode(base32);
  EXPECT_TRUE(bytes.has_value()) << "'" << base32 << "': " << bytes.error().ToString();
  if (!bytes) return "<error>";
  return std::string(bytes->begin(), bytes->end());
}

// RFC 4648 section 10, without the padding that otpauth URIs leave out.
struct Vector {
  std::string_view text;
  std::string_view base32;
  std::string_view padded;
};
constexpr Vector kRfc4648[] = {
    {"", "", ""},
    {"f", "MY", "MY======"},
    {"fo", "MZXQ", "MZXQ===="},
    {"foo", "MZXW6", "MZXW6==="},
    {"foob", "MZXW6YQ", "MZXW6YQ="},
    {"fooba", "MZXW6YTB", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI", "MZXW6YTBOI======"},
};

TEST(Base32, EncodesTheRfc4648VectorsWithoutPadding) {
  for (const Vector& vector : kRfc4648) {
    EXPECT_EQ(Base32Encode(Bytes(vector.text)), vector.base32) << vector.text;
  }
}

TEST(Base32, DecodesTheRfc4648VectorsWithAndWithoutPadding) {
  for (const Vector& vector : kRfc4648) {
    EXPECT_EQ(DecodeToText(vector.base32), vector.text) << vector.base32;
    EXPECT_EQ(DecodeToText(vector.padded), vector.text) << vector.padded;
  }
}

TEST(Base32, DecodesLowerCaseAndIgnoresSpaces) {
  EXPECT_EQ(DecodeToText("mzxw6ytboi"), "foobar");
  EXPECT_EQ(DecodeToText("MzXw6YtBoI"), "foobar");
  // As an authenticator app shows a secret for typing: groups of four.
  EXPECT_EQ(DecodeToText("mzxw 6ytb oi"), "foobar");
  EXPECT_EQ(DecodeToText(" MZXW6YTBOI====== "), "foobar");
}

TEST(Base32, RoundTripsEveryByteValueAtEveryLength) {
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(255 - i));
    const std::string text = Base32Encode(bytes);
    EXPECT_EQ(text.size(), (bytes.size() * 8 + 4) / 5);
    const Result<std::vector<std::uint8_t>> decoded = Base32Decode(text);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base32, RefusesACharacterOutsideTheAlphabetNamingItAndItsPosition) {
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"MZXW6YT1", "base32: invalid character '1' at position 7"},
           {"0ZXW6YTB", "base32: invalid character '0' at position 0"},
           {"MZ XW8", "base32: invalid character '8' at position 5"},
           {"MZXW-6YTB", "base32: invalid character '-' at position 4"},
           {"MY==MY", "base32: invalid character 'M' at position 4"},
           {"MZXW\n", "base32: invalid character 0x0a at position 4"},
       }) {
    const Result<std::vector<std::uint8_t>> decoded = Base32Decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(decoded.error().Message(), message);
  }
}

TEST(Base32, RefusesLengthsNoEncodingProduces) {
  for (const std::string_view text : {"M", "MZX", "MZXW6Y", "MZXW6YTBO", "M======", "MZX W6Y"}) {
    const Result<std::vector<std::uint8_t>> decoded = Base32Decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().Message().find("cannot be base32"), std::string::npos)
        << decoded.error().Message();
  }
  EXPECT_EQ(Base32Decode("MZXW6Y").error().Message(),
            "base32: 6 characters cannot be base32, whose length is never 1, 3 or 6 more than a "
            "multiple of 8");
}

}  // namespace
}  // namespace aliquot
