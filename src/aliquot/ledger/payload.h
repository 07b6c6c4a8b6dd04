// PayloadReader: reading a sealed event's payload back, as projectors and the areas' decoders do.
// A member that is missing or of the wrong type means the ledger does not hold what the code
// wrote, so every accessor returns kDataLoss naming the event and the member.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/event.h"

namespace aliquot::ledger {

class PayloadReader {
 public:
  // Parses the event's payload. Returns kDataLoss when it is not JSON.
  static Result<PayloadReader> Parse(const Event& event);
  // Reads an already parsed payload of `event`; both must outlive the reader.
  PayloadReader(const Event& event, const Json& payload) : event_(&event), external_(&payload) {}

  Result<std::string> String(std::string_view name) const;
  Result<bool> Bool(std::string_view name) const;
  Result<std::int64_t> Integer(std::string_view name) const;
  Result<const Json*> Object(std::string_view name) const;
  Result<const Json*> Array(std::string_view name) const;
  // The member `name`, or nullptr when it is absent: for optional members.
  const Json* Find(std::string_view name) const { return Payload().Find(name); }

  // The event the payload belongs to.
  const Event& Source() const { return *event_; }

  // kDataLoss "event seq N (type): <what>".
  Error Corrupt(const std::string& what) const;

 private:
  struct Owned {};
  PayloadReader(Owned /*tag*/, const Event& event, Json parsed);
  Result<const Json*> Typed(std::string_view name, Json::Type type, const char* kind) const;
  const Json& Payload() const { return external_ != nullptr ? *external_ : owned_; }

  const Event* event_;
  const Json* external_ = nullptr;  // The caller's parsed payload, if given.
  Json owned_;                      // Otherwise the one Parse made.
};

}  // namespace aliquot::ledger
