#include "aliquot/ledger/event.h"

#include <optional>

#include "aliquot/core/check.h"
#include "aliquot/core/hex.h"

namespace aliquot::ledger {
namespace {

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (const char c : text) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return text.front() >= 'a' && text.front() <= 'z';
}

// Non-empty, at most 512 bytes of UTF-8, no control characters: ids and names must print on a
// record, and the ledger's JSON encoding holds only well-formed text.
bool IsPrintableText(std::string_view text) {
  if (text.empty() || text.size() > 512 || !IsValidUtf8(text)) return false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The path of the first string (member name or value) in `value` that is not UTF-8, if any.
std::optional<std::string> FindInvalidUtf8(const Json& value, const std::string& path) {
  if (value.IsString()) {
    return IsValidUtf8(value.AsString()) ? std::nullopt : std::optional<std::string>(path);
  }
  if (value.IsArray()) {
    for (std::size_t i = 0; i < value.AsArray().size(); ++i) {
      auto found = FindInvalidUtf8(value.AsArray()[i], path + "[" + std::to_string(i) + "]");
      if (found) return found;
    }
  }
  if (value.IsObject()) {
    for (const auto& [name, member] : value.AsObject()) {
      if (!IsValidUtf8(name)) return path + ".<name>";
      auto found = FindInvalidUtf8(member, path + "." += name);
      if (found) return found;
    }
  }
  return std::nullopt;
}

void AppendKey(std::string_view key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

Status ValidateNewEvent(const NewEvent& event) {
  if (!IsIdentifier(event.stream.type)) {
    return Unexpected(InvalidArgument(
        "stream type '" + event.stream.type +
            "' must be a lower-case identifier (a-z, 0-9, '_', '.', '-'; starting with a letter)",
        "stream.type"));
  }
  if (!IsPrintableText(event.stream.id)) {
    return Unexpected(InvalidArgument("stream id must be 1-512 printable characters", "stream.id"));
  }
  if (!IsIdentifier(event.event_type)) {
    return Unexpected(InvalidArgument("event type '" + event.event_type +
                                          "' must be a lower-case identifier such as "
                                          "'batch.step_completed'",
                                      "event_type"));
  }
  if (!event.payload.IsObject()) {
    return Unexpected(InvalidArgument("payload must be a JSON object", "payload"));
  }
  if (auto invalid = FindInvalidUtf8(event.payload, "payload")) {
    return Unexpected(InvalidArgument("text must be UTF-8", *invalid));
  }
  if (!IsPrintableText(event.actor.id)) {
    return Unexpected(InvalidArgument("actor id must be 1-512 printable characters", "actor.id"));
  }
  if (!IsPrintableText(event.actor.name)) {
    return Unexpected(
        InvalidArgument("actor printed name must be 1-512 printable characters", "actor.name"));
  }
  if (!IsPrintableText(event.terminal)) {
    return Unexpected(InvalidArgument("terminal must be 1-512 printable characters", "terminal"));
  }
  if (event.reason &&
      (event.reason->empty() || event.reason->size() > 4096 || !IsValidUtf8(*event.reason))) {
    // 21 CFR 11.10(e): a reason, when one is required, is a real one.
    return Unexpected(
        InvalidArgument("reason, when given, must be 1-4096 bytes of UTF-8 text", "reason"));
  }
  return {};
}

Status CheckContinuesChain(const Event& event, std::uint64_t size, const Hash256& head_hash,
                           Timestamp last_time) {
  const auto bad = [&](const std::string& why) {
    return Unexpected(DataLoss("event seq " + std::to_string(event.seq) + ": " + why));
  };
  if (event.seq != size + 1) {
    return bad("does not follow the head (expected seq " + std::to_string(size + 1) + ")");
  }
  if (event.prev_hash != head_hash) return bad("prev_hash does not link to the event before it");
  if (event.time < last_time) return bad("its time is earlier than the event before it");
  auto payload = ParseJson(event.payload);
  if (!payload || CanonicalJson(*payload) != event.payload) {
    return bad("its payload is not canonical JSON (RFC 8785)");
  }
  NewEvent fields{event.stream, event.event_type, std::move(*payload),
                  event.actor,  event.terminal,   event.reason};
  if (auto valid = ValidateNewEvent(fields); !valid) return bad(valid.error().ToString());
  if (ComputeEventHash(event) != event.hash) return bad("its hash does not match its content");
  return {};
}

Event SealEvent(const NewEvent& event, std::uint64_t seq, Timestamp time,
                const Hash256& prev_hash) {
  ALIQUOT_CHECK(seq >= 1);
  Event sealed;
  sealed.seq = seq;
  sealed.stream = event.stream;
  sealed.event_type = event.event_type;
  sealed.payload = CanonicalJson(event.payload);
  sealed.actor = event.actor;
  sealed.terminal = event.terminal;
  sealed.time = time;
  sealed.reason = event.reason;
  sealed.prev_hash = prev_hash;
  sealed.hash = ComputeEventHash(sealed);
  return sealed;
}

// Members in RFC 8785 order (all names are ASCII, so UTF-16 order is byte order): actor,
// event_type, format, hash, payload, prev_hash, reason, seq, stream, terminal, time.
// The payload is embedded as stored: it is canonical when written, and a stored text that was
// altered, canonical or not, no longer hashes to the event's hash.
void AppendEventJson(const Event& event, const Hash256* hash, std::string& out) {
  out += '{';
  AppendKey("actor", out);
  out += "{\"id\":";
  AppendJsonString(event.actor.id, out);
  out += ",\"name\":";
  AppendJsonString(event.actor.name, out);
  out += "},";
  AppendKey("event_type", out);
  AppendJsonString(event.event_type, out);
  out += ',';
  AppendKey("format", out);
  out += std::to_string(kEventFormat);
  out += ',';
  if (hash != nullptr) {
    AppendKey("hash", out);
    out += '"';
    AppendHex(hash->bytes, out);
    out += "\",";
  }
  AppendKey("payload", out);
  out += event.payload;
  out += ',';
  AppendKey("prev_hash", out);
  out += '"';
  AppendHex(event.prev_hash.bytes, out);
  out += "\",";
  AppendKey("reason", out);
  if (event.reason) {
    AppendJsonString(*event.reason, out);
  } else {
    out += "null";
  }
  out += ',';
  AppendKey("seq", out);
  out += std::to_string(event.seq);
  out += ',';
  AppendKey("stream", out);
  out += "{\"id\":";
  AppendJsonString(event.stream.id, out);
  out += ",\"type\":";
  AppendJsonString(event.stream.type, out);
  out += "},";
  AppendKey("terminal", out);
  AppendJsonString(event.terminal, out);
  out += ',';
  AppendKey("time", out);
  out += '"';
  event.time.AppendRfc3339(out);
  out += "\"}";
}

std::string EventContent(const Event& event) {
  std::string content;
  AppendEventJson(event, nullptr, content);
  return content;
}

Hash256 ComputeEventHash(const Event& event) { return EventHasher().Hash(event); }

Hash256 EventHasher::Hash(const Event& event) {
  scratch_.clear();
  AppendEventJson(event, nullptr, scratch_);
  return sha_.Update(std::uint8_t{0x00}).Update(scratch_).Finish();
}

}  // namespace aliquot::ledger
