// Checks on text that people type (names, reasons, comments): what every area refuses before it
// becomes part of a record, with the field named so a screen can point at it.
#pragma once

#include <cstddef>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot {

// Returns kInvalidArgument naming `field` unless `text` is valid UTF-8 of min_bytes to max_bytes
// bytes with no control characters (tabs and newlines neither: one line of text) and no leading
// or trailing space.
Status CheckLine(std::string_view text, std::string_view field, std::size_t min_bytes,
                 std::size_t max_bytes);

// As CheckLine, but newlines and tabs are allowed (a comment, a reason).
Status CheckParagraph(std::string_view text, std::string_view field, std::size_t min_bytes,
                      std::size_t max_bytes);

// `text` without its leading and trailing spaces, tabs, carriage returns and line feeds.
std::string_view TrimSpace(std::string_view text);

// True when `text` is `min_size` to `max_size` of A-Z, 0-9 and '-': the codes people cite records
// by (SOP-CT-004, MBR-CAR19, LEI-SUITE2-TAB1).
bool IsUpperCaseCode(std::string_view text, std::size_t min_size, std::size_t max_size);

}  // namespace aliquot
