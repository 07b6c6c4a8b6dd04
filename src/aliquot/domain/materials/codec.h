// Reading the materials area's states back from the JSON the projection stores them in. A member
// missing or of the wrong type means the stored row is not what the code wrote: kDataLoss naming
// the record and the member. Internal to domain/materials.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::materials {

// Instants are stored as microseconds since the epoch.
Json TimeToJson(Timestamp time);
Json OptionalTimeToJson(const std::optional<Timestamp>& time);
Json OptionalStringToJson(const std::optional<std::string>& text);

// An instant an event's payload carries as RFC 3339 text; kDataLoss when it does not parse.
Result<Timestamp> PayloadTime(const ledger::PayloadReader& payload, std::string_view name);
Result<std::optional<Timestamp>> OptionalPayloadTime(const ledger::PayloadReader& payload,
                                                     std::string_view name);
Json OptionalRfc3339(const std::optional<Timestamp>& time);

class JsonFields {
 public:
  // `what` names the record for errors: "lot L-1".
  JsonFields(const Json& json, std::string what) : json_(json), what_(std::move(what)) {}

  Result<std::string> String(std::string_view name) const;
  Result<double> Number(std::string_view name) const;
  Result<std::int64_t> Integer(std::string_view name) const;
  Result<bool> Bool(std::string_view name) const;
  Result<Timestamp> Time(std::string_view name) const;
  Result<const Json::Array*> Array(std::string_view name) const;
  Result<const Json*> Object(std::string_view name) const;
  // An array of strings.
  Result<std::vector<std::string>> Strings(std::string_view name) const;
  // Absent or null: nullopt.
  Result<std::optional<std::string>> OptionalString(std::string_view name) const;
  Result<std::optional<double>> OptionalNumber(std::string_view name) const;
  Result<std::optional<Timestamp>> OptionalTime(std::string_view name) const;

  Error Corrupt(std::string_view what) const;

 private:
  Result<const Json*> Member(std::string_view name, Json::Type type) const;

  const Json& json_;
  std::string what_;
};

}  // namespace aliquot::materials
