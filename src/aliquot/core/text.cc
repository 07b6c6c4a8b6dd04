#include "aliquot/core/text.h"

#include <string>

#include "aliquot/core/json.h"

namespace aliquot {
namespace {

Status Check(std::string_view text, std::string_view field, std::size_t min_bytes,
             std::size_t max_bytes, bool multiline) {
  const std::string name(field);
  if (text.size() < min_bytes) {
    return Unexpected(InvalidArgument(
        min_bytes == 1 ? name + " is required"
                       : name + " must be at least " + std::to_string(min_bytes) + " bytes",
        name));
  }
  if (text.size() > max_bytes) {
    return Unexpected(InvalidArgument(name + " must be at most " + std::to_string(max_bytes) +
                                          " bytes, got " + std::to_string(text.size()),
                                      name));
  }
  if (!IsValidUtf8(text)) {
    return Unexpected(InvalidArgument(name + " is not valid UTF-8", name));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool allowed_space = multiline && (c == '\n' || c == '\t' || c == '\r');
    if ((c < 0x20 || c == 0x7F) && !allowed_space) {
      return Unexpected(InvalidArgument(
          name + " contains a control character at byte " + std::to_string(i), name));
    }
  }
  if (!text.empty() && (text.front() == ' ' || text.back() == ' ')) {
    return Unexpected(InvalidArgument(name + " has a leading or trailing space", name));
  }
  return {};
}

}  // namespace

Status CheckLine(std::string_view text, std::string_view field, std::size_t min_bytes,
                 std::size_t max_bytes) {
  return Check(text, field, min_bytes, max_bytes, /*multiline=*/false);
}

Status CheckParagraph(std::string_view text, std::string_view field, std::size_t min_bytes,
                      std::size_t max_bytes) {
  return Check(text, field, min_bytes, max_bytes, /*multiline=*/true);
}

std::string_view TrimSpace(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool IsUpperCaseCode(std::string_view text, std::size_t min_size, std::size_t max_size) {
  if (text.size() < min_size || text.size() > max_size) return false;
  for (const char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace aliquot
