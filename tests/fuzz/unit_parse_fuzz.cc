// libFuzzer target for units::Unit::Parse, which reads units typed on specifications and
// certificates. Whatever parses must show back its trimmed text, reparse to the same unit, carry a
// sorted dimension with no zero exponent and a usable factor, and convert a value into itself
// unchanged; whatever is refused must be refused with kInvalidArgument naming the field, in a
// message that is valid UTF-8. Input "a\nb" also checks that two commensurable units convert a
// value there and back.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/units/units.h"

namespace {

using aliquot::units::Unit;

aliquot::Result<Unit> ParseAndCheck(std::string_view text) {
  aliquot::Result<Unit> unit = Unit::Parse(text, "unit");
  if (!unit) {
    ALIQUOT_CHECK(unit.error().Code() == aliquot::ErrorCode::kInvalidArgument);
    ALIQUOT_CHECK(unit.error().Field() == "unit");
    ALIQUOT_CHECK_MSG(aliquot::IsValidUtf8(unit.error().Message()), "a message is not UTF-8");
    return unit;
  }
  ALIQUOT_CHECK_MSG(!unit->Text().empty() && text.find(unit->Text()) != std::string_view::npos,
                    "the text shown back is not the trimmed input");
  aliquot::Result<Unit> reparsed = Unit::Parse(unit->Text(), "unit");
  ALIQUOT_CHECK_MSG(reparsed && *reparsed == *unit, "the text shown back parses differently");
  const auto& exponents = unit->GetDimension().exponents;
  for (std::size_t i = 0; i < exponents.size(); ++i) {
    ALIQUOT_CHECK(exponents[i].second != 0);
    ALIQUOT_CHECK(i == 0 || exponents[i - 1].first < exponents[i].first);
  }
  ALIQUOT_CHECK(std::isnormal(unit->Factor()) && unit->Factor() > 0);
  ALIQUOT_CHECK(std::isfinite(unit->Offset()));
  ALIQUOT_CHECK(!aliquot::units::DescribeDimension(unit->GetDimension()).empty());
  aliquot::Result<double> same = aliquot::units::Convert(1.5, *unit, *unit, "value");
  ALIQUOT_CHECK_MSG(same && *same == 1.5, "converting into the same unit changed the value");
  return unit;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    (void)ParseAndCheck(input);
    return 0;
  }
  aliquot::Result<Unit> from = ParseAndCheck(input.substr(0, newline));
  aliquot::Result<Unit> to = ParseAndCheck(input.substr(newline + 1));
  if (!from || !to) return 0;
  aliquot::Result<double> there = aliquot::units::Convert(1.5, *from, *to, "value");
  ALIQUOT_CHECK(there.has_value() == aliquot::units::Commensurable(*from, *to));
  if (!there) {
    ALIQUOT_CHECK(there.error().Code() == aliquot::ErrorCode::kInvalidArgument);
    return 0;
  }
  aliquot::Result<double> back = aliquot::units::Convert(*there, *to, *from, "value");
  ALIQUOT_CHECK_MSG(back && std::abs(*back - 1.5) <= 1e-9 * 1.5, "a round trip changed the value");
  return 0;
}
