// Event: one entry of the append-only ledger, and its exact byte encoding. The encoding is the
// format docs/ledger-format.md specifies; tools/verify_ledger.py recomputes it independently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::ledger {

// The version of the event encoding, carried in every event as "format".
inline constexpr int kEventFormat = 1;

// The entity an event belongs to: ("batch", "B-0017"), ("system", "installation").
struct StreamRef {
  std::string type;
  std::string id;
  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend auto operator<=>(const StreamRef&, const StreamRef&) = default;
};

// Who did it: the user id and the printed name at that moment (21 CFR 11.50 wants the name as
// it was, not as it is later).
struct Actor {
  std::string id;
  std::string name;
  friend bool operator==(const Actor&, const Actor&) = default;
};

// What a use case asks to append. The store seals it: sequence number, server time and the chain.
struct NewEvent {
  StreamRef stream;
  std::string event_type;
  Json payload = Json::MakeObject();
  Actor actor;
  std::string terminal;
  std::optional<std::string> reason;

  // An event of `type` on `stream` by `actor` from `terminal`, with an empty payload: how every
  // area starts the events it decides.
  static NewEvent On(StreamRef stream, std::string_view type, const Actor& actor,
                     std::string_view terminal) {
    NewEvent event;
    event.stream = std::move(stream);
    event.event_type = std::string(type);
    event.actor = actor;
    event.terminal = std::string(terminal);
    return event;
  }
};

// A sealed event as stored and exported.
struct Event {
  std::uint64_t seq = 0;
  StreamRef stream;
  std::string event_type;
  std::string payload;  // Canonical JSON text of an object, exactly as hashed.
  Actor actor;
  std::string terminal;
  Timestamp time;
  std::optional<std::string> reason;
  Hash256 prev_hash;
  Hash256 hash;
  friend bool operator==(const Event&, const Event&) = default;
};

// The prev_hash of the first event.
inline constexpr Hash256 kGenesisPrevHash{};

// Checks what a caller controls: stream type and event type are lower-case identifiers
// ("batch", "system.server_started"), ids, actor and terminal are non-empty printable text,
// payload is an object. Returns kInvalidArgument naming the field.
Status ValidateNewEvent(const NewEvent& event);

// Seals `event` as number `seq` at `time` after the event whose hash is `prev_hash`.
// The event must have passed ValidateNewEvent.
Event SealEvent(const NewEvent& event, std::uint64_t seq, Timestamp time, const Hash256& prev_hash);

// Checks an event sealed elsewhere (an import from another store) before it joins a chain whose
// tip is event `size` with hash `head_hash` at `last_time`: its fields pass ValidateNewEvent, its
// payload is canonical JSON of an object, it is number size + 1, links to head_hash, is not earlier
// than last_time, and its hash recomputes. Returns kDataLoss naming the seq and what is wrong.
Status CheckContinuesChain(const Event& event, std::uint64_t size, const Hash256& head_hash,
                           Timestamp last_time);

// The event's content: the canonical JSON of the event without its hash.
std::string EventContent(const Event& event);
// The same, appended to `out`; with `hash` the member "hash" is included (an export line).
void AppendEventJson(const Event& event, const Hash256* hash, std::string& out);

// SHA-256(0x00 || content): the RFC 9162 leaf hash of the content, and the chain link.
Hash256 ComputeEventHash(const Event& event);

// Recomputes hashes without allocating per event: the verifier's hot loop.
class EventHasher {
 public:
  Hash256 Hash(const Event& event);

 private:
  Sha256 sha_;
  std::string scratch_;
};

}  // namespace aliquot::ledger
