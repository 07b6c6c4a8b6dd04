// libFuzzer target for batches::ReadEnteredValue and Judge, which read every value an operator's
// tablet or an instrument sends into a batch record. The input is "<kind>\n<unit>\n<JSON value>":
// the first byte picks the parameter (one of each kind, with limits), the second line is the unit
// sent, the rest the JSON value. Whatever is refused must be refused with kInvalidArgument naming
// "value" or "unit", in a message that is valid UTF-8. Whatever is read must be judged without an
// error but a unit's, must round-trip through the stored JSON form, and a number judged must carry
// a finite value in the definition's unit.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/batches/values.h"
#include "aliquot/domain/recipes/definition.h"

namespace {

using aliquot::Json;
using aliquot::recipes::ParameterDefinition;
using aliquot::recipes::ParameterKind;

std::array<ParameterDefinition, 7> Parameters() {
  std::array<ParameterDefinition, 7> parameters;
  const auto make = [](std::string id, ParameterKind kind, std::string unit) {
    ParameterDefinition parameter;
    parameter.id = std::move(id);
    parameter.name = parameter.id;
    parameter.kind = kind;
    parameter.unit = std::move(unit);
    return parameter;
  };
  parameters[0] = make("viability", ParameterKind::kNumber, "%");
  parameters[0].alert = {85.0, std::nullopt};
  parameters[0].action = {80.0, 100.0};
  parameters[1] = make("volume", ParameterKind::kNumber, "mL");
  parameters[1].action = {50.0, 400.0};
  parameters[2] = make("bags", ParameterKind::kInteger, "bag");
  parameters[2].action = {1.0, 4.0};
  parameters[3] = make("note", ParameterKind::kText, "");
  parameters[4] = make("condition", ParameterKind::kChoice, "");
  parameters[4].options = {"intact", "clotted", "leaking"};
  parameters[4].acceptable = {"intact"};
  parameters[5] = make("sealed", ParameterKind::kBoolean, "");
  parameters[5].expected = true;
  parameters[6] = make("logger", ParameterKind::kIdentifier, "");
  return parameters;
}

void CheckRefusal(const aliquot::Error& error) {
  ALIQUOT_CHECK(error.Code() == aliquot::ErrorCode::kInvalidArgument);
  ALIQUOT_CHECK(error.Field() == "value" || error.Field() == "unit");
  ALIQUOT_CHECK_MSG(aliquot::IsValidUtf8(error.Message()), "a message is not UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const std::array<ParameterDefinition, 7> kParameters = Parameters();
  const ParameterDefinition& parameter = kParameters[data[0] % kParameters.size()];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t newline = rest.find('\n');
  const std::string_view unit = newline == std::string_view::npos ? "" : rest.substr(0, newline);
  const std::string_view text = newline == std::string_view::npos ? rest : rest.substr(newline + 1);
  if (!aliquot::IsValidUtf8(unit)) return 0;  // The HTTP layer's JSON reader refuses it first.
  const aliquot::Result<Json> value = aliquot::ParseJson(text);
  if (!value) return 0;
  const aliquot::Timestamp now = aliquot::Timestamp::FromMicros(1'790'000'000'000'000);
  const auto entered = aliquot::batches::ReadEnteredValue(parameter, *value, unit, now, "value");
  if (!entered) {
    CheckRefusal(entered.error());
    return 0;
  }
  const auto judged =
      aliquot::batches::Judge(aliquot::batches::LimitsOfParameter(parameter), *entered);
  if (!judged) {
    CheckRefusal(judged.error());
    return 0;
  }
  if (parameter.kind == ParameterKind::kNumber || parameter.kind == ParameterKind::kInteger) {
    ALIQUOT_CHECK(judged->in_unit.has_value() && std::isfinite(*judged->in_unit));
  }
  const Json stored = aliquot::batches::EnteredValueToJson(*entered);
  const auto read_back = aliquot::ParseJson(aliquot::CanonicalJson(stored));
  ALIQUOT_CHECK(read_back.has_value());
  const auto decoded = aliquot::batches::EnteredValueFromJson(*read_back, "fuzz");
  ALIQUOT_CHECK_MSG(decoded.has_value() && *decoded == *entered,
                    "a value read does not round-trip through its stored form");
  return 0;
}
