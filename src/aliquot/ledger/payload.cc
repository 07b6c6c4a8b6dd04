#include "aliquot/ledger/payload.h"

#include <utility>

namespace aliquot::ledger {

PayloadReader::PayloadReader(Owned /*tag*/, const Event& event, Json parsed)
    : event_(&event), owned_(std::move(parsed)) {}

Result<PayloadReader> PayloadReader::Parse(const Event& event) {
  auto payload = ParseJson(event.payload);
  if (!payload) {
    return Unexpected(DataLoss("event seq " + std::to_string(event.seq) + " (" + event.event_type +
                               "): payload: " + payload.error().Message()));
  }
  return PayloadReader(Owned{}, event, std::move(*payload));
}

Error PayloadReader::Corrupt(const std::string& what) const {
  return DataLoss("event seq " + std::to_string(event_->seq) + " (" + event_->event_type +
                  "): " + what);
}

Result<const Json*> PayloadReader::Typed(std::string_view name, Json::Type type,
                                         const char* kind) const {
  const Json* value = Payload().Find(name);
  if (value == nullptr || value->GetType() != type) {
    return Unexpected(Corrupt(std::string("lacks the ") + kind + " '" + std::string(name) + "'"));
  }
  return value;
}

Result<std::string> PayloadReader::String(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* value, Typed(name, Json::Type::kString, "string"));
  return value->AsString();
}

Result<bool> PayloadReader::Bool(std::string_view name) const {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* value, Typed(name, Json::Type::kBool, "boolean"));
  return value->AsBool();
}

Result<std::int64_t> PayloadReader::Integer(std::string_view name) const {
  const Json* value = Payload().Find(name);
  const std::optional<std::int64_t> integer = value != nullptr ? value->AsInteger() : std::nullopt;
  if (!integer) {
    return Unexpected(Corrupt("lacks the integer '" + std::string(name) + "'"));
  }
  return *integer;
}

Result<const Json*> PayloadReader::Object(std::string_view name) const {
  return Typed(name, Json::Type::kObject, "object");
}

Result<const Json*> PayloadReader::Array(std::string_view name) const {
  return Typed(name, Json::Type::kArray, "array");
}

}  // namespace aliquot::ledger
