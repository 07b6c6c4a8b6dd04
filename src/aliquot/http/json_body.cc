#include "aliquot/http/json_body.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace aliquot::http {

Result<JsonBody> JsonBody::Parse(std::string_view text) {
  if (text.empty()) {
    return Unexpected(InvalidArgument("the request needs a JSON object body", "body"));
  }
  auto json = ParseJson(text);
  if (!json) return Unexpected(InvalidArgument("body: " + json.error().Message(), "body"));
  if (!json->IsObject()) {
    return Unexpected(InvalidArgument("the body must be a JSON object", "body"));
  }
  return JsonBody(std::move(*json), "");
}

Result<JsonBody> JsonBody::Nested(const Json& json, std::string prefix) {
  if (!json.IsObject()) {
    std::string field = prefix;
    if (field.ends_with('.')) field.pop_back();
    return Unexpected(InvalidArgument(field + " must be a JSON object", field));
  }
  return JsonBody(json, std::move(prefix));
}

const Json* JsonBody::OptionalMember(std::string_view name) {
  read_.emplace(name);
  const Json* value = json_.Find(name);
  return value != nullptr && !value->IsNull() ? value : nullptr;
}

namespace {

// Levenshtein distance, for names of at most a few dozen bytes.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

Error JsonBody::Missing(std::string_view name) const {
  // A misspelt member ("pasword") is why a required one is missing more often than not: say so.
  // Only a member whose name is within two edits of `name`: a later, valid member is no hint.
  std::string unknown;
  if (json_.IsObject()) {
    for (const auto& [member, value] : json_.AsObject()) {
      if (read_.count(member) == 0 && member != name && EditDistance(member, name) <= 2) {
        unknown = member.substr(0, 40);
        break;
      }
    }
  }
  return InvalidArgument(Field(name) + " is required" +
                             (unknown.empty() ? std::string()
                                              : " (the body has an unknown member '" + unknown +
                                                    "': check its spelling)"),
                         Field(name));
}

Result<const Json*> JsonBody::Member(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return Unexpected(Missing(name));
  return value;
}

Result<std::optional<std::string>> JsonBody::OptionalString(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->IsString()) {
    return Unexpected(InvalidArgument(Field(name) + " must be a string", Field(name)));
  }
  return std::optional<std::string>(value->AsString());
}

Result<std::string> JsonBody::String(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<std::string> value, OptionalString(name));
  if (!value) return Unexpected(Missing(name));
  return std::move(*value);
}

Result<std::optional<bool>> JsonBody::OptionalBool(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<bool>();
  if (!value->IsBool()) {
    return Unexpected(InvalidArgument(Field(name) + " must be true or false", Field(name)));
  }
  return std::optional<bool>(value->AsBool());
}

Result<bool> JsonBody::Bool(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<bool> value, OptionalBool(name));
  if (!value) return Unexpected(Missing(name));
  return *value;
}

Status JsonBody::CheckNoOtherMembers() const {
  for (const auto& [name, value] : json_.AsObject()) {
    if (!read_.contains(name)) {
      return Unexpected(
          InvalidArgument("unknown member '" + Field(name.substr(0, 40)) + "' (check its spelling)",
                          Field(name.substr(0, 40))));
    }
  }
  return {};
}

Result<int> JsonBody::Integer(std::string_view name, int min, int max) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name));
  const std::optional<std::int64_t> value = member->AsInteger();
  if (!value || *value < min || *value > max) {
    return Unexpected(InvalidArgument(Field(name) + " must be an integer from " +
                                          std::to_string(min) + " to " + std::to_string(max),
                                      Field(name)));
  }
  return static_cast<int>(*value);
}

Result<std::optional<int>> JsonBody::OptionalInteger(std::string_view name, int min, int max) {
  if (OptionalMember(name) == nullptr) return std::optional<int>();
  ALIQUOT_ASSIGN_OR_RETURN(const int value, Integer(name, min, max));
  return std::optional<int>(value);
}

Result<std::vector<std::string>> JsonBody::StringArray(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name));
  if (!member->IsArray()) {
    return Unexpected(InvalidArgument(Field(name) + " must be an array of strings", Field(name)));
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < member->AsArray().size(); ++i) {
    const Json& item = member->AsArray()[i];
    if (!item.IsString()) {
      const std::string field = Field(name) + "[" + std::to_string(i) + "]";
      return Unexpected(InvalidArgument(field + " must be a string", field));
    }
    values.push_back(item.AsString());
  }
  return values;
}

Result<std::optional<double>> JsonBody::OptionalNumber(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<double>();
  // The parser refuses numbers that overflow a double, so a number here is finite.
  if (!value->IsNumber()) {
    return Unexpected(InvalidArgument(Field(name) + " must be a number", Field(name)));
  }
  return std::optional<double>(value->AsNumber());
}

Result<double> JsonBody::Number(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<double> value, OptionalNumber(name));
  if (!value) return Unexpected(Missing(name));
  return *value;
}

Result<std::vector<double>> JsonBody::NumberArray(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name));
  if (!member->IsArray()) {
    return Unexpected(InvalidArgument(Field(name) + " must be an array of numbers", Field(name)));
  }
  std::vector<double> values;
  for (std::size_t i = 0; i < member->AsArray().size(); ++i) {
    const Json& item = member->AsArray()[i];
    if (!item.IsNumber()) {
      const std::string field = Field(name) + "[" + std::to_string(i) + "]";
      return Unexpected(InvalidArgument(field + " must be a number", field));
    }
    values.push_back(item.AsNumber());
  }
  return values;
}

Result<std::optional<JsonBody>> JsonBody::OptionalObject(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<JsonBody>();
  ALIQUOT_ASSIGN_OR_RETURN(JsonBody nested, Nested(*value, Field(name) + "."));
  return std::optional<JsonBody>(std::move(nested));
}

Result<JsonBody> JsonBody::Object(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<JsonBody> value, OptionalObject(name));
  if (!value) return Unexpected(Missing(name));
  return std::move(*value);
}

Result<std::vector<JsonBody>> JsonBody::ObjectArray(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name));
  if (!member->IsArray()) {
    return Unexpected(InvalidArgument(Field(name) + " must be an array of objects", Field(name)));
  }
  std::vector<JsonBody> bodies;
  for (std::size_t i = 0; i < member->AsArray().size(); ++i) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody nested, Nested(member->AsArray()[i],
                                                     Field(name) + "[" + std::to_string(i) + "]."));
    bodies.push_back(std::move(nested));
  }
  return bodies;
}

}  // namespace aliquot::http
