// JsonBody: reads a request's JSON object body member by member, so that every route refuses bad
// input the same way: a body that is not a JSON object, a member missing or of the wrong type, and
// a member the route does not know (a misspelt "pasword" is refused, not ignored), each as
// kInvalidArgument naming the member.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"

namespace aliquot::http {

class JsonBody {
 public:
  // Parses `text`, which must be a JSON object ("" is refused: the route expects a body).
  static Result<JsonBody> Parse(std::string_view text);

  Result<std::string> String(std::string_view name);
  Result<std::optional<std::string>> OptionalString(std::string_view name);
  Result<bool> Bool(std::string_view name);
  Result<std::optional<bool>> OptionalBool(std::string_view name);
  // An integer from `min` to `max`; kInvalidArgument naming the range otherwise.
  Result<int> Integer(std::string_view name, int min, int max);
  Result<std::optional<int>> OptionalInteger(std::string_view name, int min, int max);
  // An array of strings; kInvalidArgument naming the first item that is not one ("roles[2]").
  Result<std::vector<std::string>> StringArray(std::string_view name);
  // A member of any type; kInvalidArgument when it is missing.
  Result<const Json*> Member(std::string_view name);
  const Json* OptionalMember(std::string_view name);

  // Returns kInvalidArgument naming the first member no call above asked for.
  Status CheckNoOtherMembers() const;

 private:
  explicit JsonBody(Json json) : json_(std::move(json)) {}
  // "<name> is required", naming a member no call has asked for yet, if the body has one.
  Error Missing(std::string_view name) const;
  Json json_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace aliquot::http
