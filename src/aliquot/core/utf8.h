// UTF-8 decoding and encoding, shared by the parsers of outside text (core/json, core/yaml): one
// table of well-formed sequences (RFC 3629 section 4), so both refuse exactly the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aliquot {

enum class Utf8Problem {
  kNone,
  kIncomplete,               // A lead byte without all its continuation bytes.
  kContinuationWithoutLead,  // 0x80..0xBF where a character should begin.
  kOverlong,                 // C0, C1, E0 80..9F, F0 80..8F.
  kSurrogate,                // ED A0..BF: U+D800..U+DFFF, which UTF-8 must not encode.
  kAboveMaximum,             // F4 90..BF, F5..FF: beyond U+10FFFF.
};

struct Utf8Sequence {
  char32_t code_point = 0;
  std::size_t length = 1;
  Utf8Problem problem = Utf8Problem::kNone;
};

// Decodes the character that starts at text[pos] (pos < text.size()), by the table of well-formed
// sequences in RFC 3629 section 4 (the Unicode standard's Table 3-7). A malformed sequence has a
// problem and length 1.
Utf8Sequence DecodeUtf8(std::string_view text, std::size_t pos);

// Appends the UTF-8 encoding of `code_point` (at most U+10FFFF, not a surrogate) to `out`.
void AppendUtf8(char32_t code_point, std::string& out);

}  // namespace aliquot
