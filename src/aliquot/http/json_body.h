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
  // Reads a nested object; its errors name members by path: `prefix` "tests[2].criterion." gives
  // "tests[2].criterion.min". kInvalidArgument naming `prefix` when `json` is not an object.
  static Result<JsonBody> Nested(const Json& json, std::string prefix);

  Result<std::string> String(std::string_view name);
  Result<std::optional<std::string>> OptionalString(std::string_view name);
  Result<bool> Bool(std::string_view name);
  Result<std::optional<bool>> OptionalBool(std::string_view name);
  // An integer from `min` to `max`; kInvalidArgument naming the range otherwise.
  Result<int> Integer(std::string_view name, int min, int max);
  Result<std::optional<int>> OptionalInteger(std::string_view name, int min, int max);
  // A finite number.
  Result<double> Number(std::string_view name);
  Result<std::optional<double>> OptionalNumber(std::string_view name);
  // An array of numbers.
  Result<std::vector<double>> NumberArray(std::string_view name);
  // A nested object, read as its own body.
  Result<JsonBody> Object(std::string_view name);
  Result<std::optional<JsonBody>> OptionalObject(std::string_view name);
  // An array of objects, each read as its own body ("results[1].").
  Result<std::vector<JsonBody>> ObjectArray(std::string_view name);
  // An array of strings; kInvalidArgument naming the first item that is not one ("roles[2]").
  Result<std::vector<std::string>> StringArray(std::string_view name);
  // A member of any type; kInvalidArgument when it is missing.
  Result<const Json*> Member(std::string_view name);
  const Json* OptionalMember(std::string_view name);

  // Returns kInvalidArgument naming the first member no call above asked for.
  Status CheckNoOtherMembers() const;

 private:
  JsonBody(Json json, std::string prefix) : json_(std::move(json)), prefix_(std::move(prefix)) {}
  // The member's path for errors: the prefix and the name.
  std::string Field(std::string_view name) const { return prefix_ + std::string(name); }
  // "<name> is required", naming a member no call has asked for yet, if the body has one.
  Error Missing(std::string_view name) const;
  Json json_;
  std::string prefix_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace aliquot::http
