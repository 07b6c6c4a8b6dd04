#include "aliquot/http/json_body.h"

#include <utility>

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
  return JsonBody(std::move(*json));
}

const Json* JsonBody::OptionalMember(std::string_view name) {
  read_.emplace(name);
  const Json* value = json_.Find(name);
  return value != nullptr && !value->IsNull() ? value : nullptr;
}

Result<const Json*> JsonBody::Member(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) {
    return Unexpected(InvalidArgument(std::string(name) + " is required", std::string(name)));
  }
  return value;
}

Result<std::optional<std::string>> JsonBody::OptionalString(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->IsString()) {
    return Unexpected(InvalidArgument(std::string(name) + " must be a string", std::string(name)));
  }
  return std::optional<std::string>(value->AsString());
}

Result<std::string> JsonBody::String(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<std::string> value, OptionalString(name));
  if (!value) {
    return Unexpected(InvalidArgument(std::string(name) + " is required", std::string(name)));
  }
  return std::move(*value);
}

Result<std::optional<bool>> JsonBody::OptionalBool(std::string_view name) {
  const Json* value = OptionalMember(name);
  if (value == nullptr) return std::optional<bool>();
  if (!value->IsBool()) {
    return Unexpected(
        InvalidArgument(std::string(name) + " must be true or false", std::string(name)));
  }
  return std::optional<bool>(value->AsBool());
}

Result<bool> JsonBody::Bool(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<bool> value, OptionalBool(name));
  if (!value) {
    return Unexpected(InvalidArgument(std::string(name) + " is required", std::string(name)));
  }
  return *value;
}

Status JsonBody::CheckNoOtherMembers() const {
  for (const auto& [name, value] : json_.AsObject()) {
    if (!read_.contains(name)) {
      return Unexpected(InvalidArgument(
          "unknown member '" + name.substr(0, 40) + "' (check its spelling)", name.substr(0, 40)));
    }
  }
  return {};
}

}  // namespace aliquot::http
