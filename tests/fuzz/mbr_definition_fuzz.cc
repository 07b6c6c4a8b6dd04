// libFuzzer target for master batch record definition files, which people write and import: the
// file is read as YAML, then as a definition, then validated against a site with no documents or
// materials and against one where every document and material exists. Nothing may crash, every
// problem must sit at a JSON pointer and say something, and a definition read without problems must
// export to JSON that reads back as the same definition.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/core/check.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/recipes/definition.h"

namespace {

using aliquot::recipes::Definition;
using aliquot::recipes::Problem;

void CheckProblems(const std::vector<Problem>& problems) {
  for (const Problem& problem : problems) {
    ALIQUOT_CHECK_MSG(problem.pointer.empty() || problem.pointer.front() == '/',
                      "a problem's pointer is not a JSON pointer");
    ALIQUOT_CHECK_MSG(!problem.message.empty(), "a problem says nothing");
    ALIQUOT_CHECK_MSG(aliquot::IsValidUtf8(problem.message), "a problem is not valid UTF-8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  aliquot::YamlPositions positions;
  aliquot::Result<aliquot::Json> parsed = aliquot::ParseYaml(text, &positions);
  if (!parsed) {
    ALIQUOT_CHECK(parsed.error().Code() == aliquot::ErrorCode::kInvalidArgument);
    return 0;
  }
  std::vector<Problem> problems;
  const Definition definition = aliquot::recipes::DefinitionFromJson(*parsed, problems);
  CheckProblems(problems);
  if (!problems.empty()) {
    const aliquot::Error error = aliquot::recipes::ProblemsError(
        problems, [&positions](std::string_view pointer) -> std::optional<std::pair<int, int>> {
          const aliquot::YamlPosition at = positions.Nearest(pointer);
          return std::pair<int, int>(at.line, at.column);
        });
    ALIQUOT_CHECK(error.Code() == aliquot::ErrorCode::kInvalidArgument);
  }

  // Validation is held to the same bar on whatever was read, problems or not.
  aliquot::recipes::References nowhere;
  nowhere.document = [](std::string_view) -> std::optional<aliquot::recipes::DocumentReference> {
    return std::nullopt;
  };
  nowhere.material = [](std::string_view) -> std::optional<aliquot::recipes::MaterialReference> {
    return std::nullopt;
  };
  CheckProblems(aliquot::recipes::ValidateDefinition(definition, nowhere));
  // And against a site where every document is usable and every material counted in mL, so the
  // checks of quantities against a material's unit run too.
  aliquot::recipes::References everywhere;
  everywhere.document = [](std::string_view) -> std::optional<aliquot::recipes::DocumentReference> {
    return aliquot::recipes::DocumentReference{};
  };
  everywhere.material = [](std::string_view) -> std::optional<aliquot::recipes::MaterialReference> {
    return aliquot::recipes::MaterialReference{"mL"};
  };
  CheckProblems(aliquot::recipes::ValidateDefinition(definition, everywhere));
  if (!problems.empty()) return 0;

  std::vector<Problem> again;
  const Definition read =
      aliquot::recipes::DefinitionFromJson(aliquot::recipes::DefinitionToJson(definition), again);
  ALIQUOT_CHECK_MSG(again.empty(), "an exported definition does not read back");
  ALIQUOT_CHECK_MSG(read == definition, "an exported definition reads back as another");
  return 0;
}
