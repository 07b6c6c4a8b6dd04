#include "aliquot/core/utf8.h"

namespace aliquot {

// Decodes the character that starts at text[pos], by the table of well-formed sequences in
// RFC 3629 section 4 (the Unicode standard's Table 3-7).
Utf8Sequence DecodeUtf8(std::string_view text, std::size_t pos) {
  const auto byte_at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte_at(pos);
  if (lead < 0x80) return {lead, 1, Utf8Problem::kNone};
  if (lead < 0xC0) return {0, 1, Utf8Problem::kContinuationWithoutLead};
  if (lead < 0xC2) return {0, 1, Utf8Problem::kOverlong};
  if (lead > 0xF4) return {0, 1, Utf8Problem::kAboveMaximum};

  std::size_t length = 0;
  char32_t code_point = 0;
  // The range the second byte must fall in; the other continuation bytes are always 80..BF.
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  Utf8Problem outside_range = Utf8Problem::kIncomplete;
  if (lead < 0xE0) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if (lead < 0xF0) {
    length = 3;
    code_point = lead & 0x0Fu;
    if (lead == 0xE0) {
      low = 0xA0;
      outside_range = Utf8Problem::kOverlong;
    } else if (lead == 0xED) {
      high = 0x9F;
      outside_range = Utf8Problem::kSurrogate;
    }
  } else {
    length = 4;
    code_point = lead & 0x07u;
    if (lead == 0xF0) {
      low = 0x90;
      outside_range = Utf8Problem::kOverlong;
    } else if (lead == 0xF4) {
      high = 0x8F;
      outside_range = Utf8Problem::kAboveMaximum;
    }
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return {0, 1, Utf8Problem::kIncomplete};
    const unsigned char next = byte_at(pos + i);
    if (next < 0x80 || next > 0xBF) return {0, 1, Utf8Problem::kIncomplete};
    if (i == 1 && (next < low || next > high)) return {0, 1, outside_range};
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  return {code_point, length, Utf8Problem::kNone};
}

void AppendUtf8(char32_t code_point, std::string& out) {
  const auto unit = [](char32_t bits) { return static_cast<char>(bits); };
  if (code_point < 0x80) {
    out.push_back(unit(code_point));
  } else if (code_point < 0x800) {
    out.push_back(unit(0xC0 | (code_point >> 6)));
    out.push_back(unit(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(unit(0xE0 | (code_point >> 12)));
    out.push_back(unit(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(unit(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(unit(0xF0 | (code_point >> 18)));
    out.push_back(unit(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(unit(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(unit(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace aliquot
