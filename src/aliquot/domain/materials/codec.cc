#include "aliquot/domain/materials/codec.h"

namespace aliquot::materials {

Json TimeToJson(Timestamp time) { return Json(time.Micros()); }

Json OptionalTimeToJson(const std::optional<Timestamp>& time) {
  return time ? TimeToJson(*time) : Json(nullptr);
}

Json OptionalStringToJson(const std::optional<std::string>& text) {
  return text ? Json(*text) : Json(nullptr);
}

Result<Timestamp> PayloadTime(const ledger::PayloadReader& payload, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, payload.String(name));
  auto time = Timestamp::ParseRfc3339(text);
  if (!time) return Unexpected(payload.Corrupt("member '" + std::string(name) + "' is no instant"));
  return *time;
}

Result<std::optional<Timestamp>> OptionalPayloadTime(const ledger::PayloadReader& payload,
                                                     std::string_view name) {
  const Json* member = payload.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<Timestamp>();
  ALIQUOT_ASSIGN_OR_RETURN(const Timestamp time, PayloadTime(payload, name));
  return std::optional<Timestamp>(time);
}

Json OptionalRfc3339(const std::optional<Timestamp>& time) {
  return time ? Json(time->ToRfc3339()) : Json(nullptr);
}

Error JsonFields::Corrupt(std::string_view what) const {
  return DataLoss("stored " + what_ + ": " + std::string(what));
}

Result<const Json*> JsonFields::Member(std::string_view name, Json::Type type) const {
  const Json* member = json_.Find(name);
  if (member == nullptr || member->GetType() != type) {
    return Unexpected(
        Corrupt("member '" + std::string(name) + "' is missing or of the wrong type"));
  }
  return member;
}

Result<std::string> JsonFields::String(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name, Json::Type::kString));
  return member->AsString();
}

Result<double> JsonFields::Number(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name, Json::Type::kNumber));
  return member->AsNumber();
}

Result<std::int64_t> JsonFields::Integer(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name, Json::Type::kNumber));
  const std::optional<std::int64_t> value = member->AsInteger();
  if (!value) return Unexpected(Corrupt("member '" + std::string(name) + "' is not an integer"));
  return *value;
}

Result<bool> JsonFields::Bool(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name, Json::Type::kBool));
  return member->AsBool();
}

Result<Timestamp> JsonFields::Time(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t micros, Integer(name));
  return Timestamp::FromMicros(micros);
}

Result<const Json::Array*> JsonFields::Array(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* member, Member(name, Json::Type::kArray));
  return &member->AsArray();
}

Result<const Json*> JsonFields::Object(std::string_view name) const {
  return Member(name, Json::Type::kObject);
}

Result<std::vector<std::string>> JsonFields::Strings(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* array, Array(name));
  std::vector<std::string> strings;
  strings.reserve(array->size());
  for (const Json& item : *array) {
    if (!item.IsString())
      return Unexpected(Corrupt("'" + std::string(name) + "' holds a non-string"));
    strings.push_back(item.AsString());
  }
  return strings;
}

Result<std::optional<std::string>> JsonFields::OptionalString(std::string_view name) const {
  const Json* member = json_.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<std::string>();
  ALIQUOT_ASSIGN_OR_RETURN(std::string value, String(name));
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<double>> JsonFields::OptionalNumber(std::string_view name) const {
  const Json* member = json_.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<double>();
  ALIQUOT_ASSIGN_OR_RETURN(const double value, Number(name));
  return std::optional<double>(value);
}

Result<std::optional<Timestamp>> JsonFields::OptionalTime(std::string_view name) const {
  const Json* member = json_.Find(name);
  if (member == nullptr || member->IsNull()) return std::optional<Timestamp>();
  ALIQUOT_ASSIGN_OR_RETURN(const Timestamp value, Time(name));
  return std::optional<Timestamp>(value);
}

}  // namespace aliquot::materials
