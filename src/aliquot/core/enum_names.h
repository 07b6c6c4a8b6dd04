// The stable names of an enum's values, as events, the API and the docs spell them: one array in
// the enum's order, read both ways, so a name and its value cannot drift apart in two switches.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace aliquot {

// `names[i]` is the name of the enum's value i (its enumerators count from 0 without gaps).
template <typename Enum, std::size_t N>
std::string_view EnumName(const std::array<std::string_view, N>& names, Enum value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view("unknown");
}

template <typename Enum, std::size_t N>
std::optional<Enum> EnumFromName(const std::array<std::string_view, N>& names,
                                 std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace aliquot
