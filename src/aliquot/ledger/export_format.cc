#include "aliquot/ledger/export_format.h"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "aliquot/core/hex.h"
#include "aliquot/core/json.h"
#include "aliquot/ledger/merkle.h"

namespace aliquot::ledger {
namespace {

// Strips the one "\n" that ends a line. A "\r" before it is not part of the format: an event line
// that keeps it is not canonical, as tools/verify_ledger.py also judges.
std::string_view TrimNewline(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  return text;
}

Status ExpectMembers(const Json& object, std::initializer_list<std::string_view> names,
                     std::string_view what) {
  if (!object.IsObject())
    return Unexpected(InvalidArgument(std::string(what) + " is not a JSON object"));
  for (const auto& [name, value] : object.AsObject()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Unexpected(
          InvalidArgument(std::string(what) + " has an unknown member '" + name + "'", name));
    }
  }
  for (const std::string_view name : names) {
    if (object.Find(name) == nullptr) {
      return Unexpected(InvalidArgument(
          std::string(what) + " lacks the member '" + std::string(name) + "'", std::string(name)));
    }
  }
  return {};
}

Result<std::string> StringMember(const Json& object, std::string_view name,
                                 std::string_view field) {
  const Json* value = object.Find(name);
  if (value == nullptr || !value->IsString()) {
    return Unexpected(
        InvalidArgument(std::string(field) + " must be a string", std::string(field)));
  }
  return value->AsString();
}

Result<std::uint64_t> CountMember(const Json& object, std::string_view name,
                                  std::uint64_t minimum) {
  const Json* value = object.Find(name);
  const auto integer = value != nullptr && value->IsNumber() ? value->AsInteger() : std::nullopt;
  if (!integer || *integer < static_cast<std::int64_t>(minimum)) {
    return Unexpected(
        InvalidArgument(std::string(name) + " must be an integer >= " + std::to_string(minimum),
                        std::string(name)));
  }
  return static_cast<std::uint64_t>(*integer);
}

Result<Hash256> HashMember(const Json& object, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::string text, StringMember(object, name, name));
  auto hash = Hash256::FromHex(text);
  if (!hash || HexEncode(hash->bytes) != text) {
    return Unexpected(InvalidArgument(std::string(name) + " must be 64 lower-case hex digits",
                                      std::string(name)));
  }
  return *hash;
}

Result<Timestamp> TimeMember(const Json& object, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(std::string text, StringMember(object, name, name));
  auto time = Timestamp::ParseRfc3339(text);
  if (!time) return Unexpected(InvalidArgument(time.error().Message(), std::string(name)));
  return *time;
}

Result<std::pair<std::string, std::string>> PairMember(const Json& object, std::string_view name,
                                                       std::string_view first,
                                                       std::string_view second) {
  const Json* value = object.Find(name);
  ALIQUOT_RETURN_IF_ERROR(ExpectMembers(*value, {first, second}, name));
  const std::string prefix = std::string(name) + ".";
  ALIQUOT_ASSIGN_OR_RETURN(std::string a, StringMember(*value, first, prefix + std::string(first)));
  ALIQUOT_ASSIGN_OR_RETURN(std::string b,
                           StringMember(*value, second, prefix + std::string(second)));
  return std::make_pair(std::move(a), std::move(b));
}

Result<Json> ParseObject(std::string_view text, std::string_view what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(json.error().WithContext(what));
  return std::move(*json);
}

}  // namespace

Result<Event> ParseEventJson(std::string_view line) {
  line = TrimNewline(line);
  ALIQUOT_ASSIGN_OR_RETURN(Json json, ParseObject(line, "event"));
  ALIQUOT_RETURN_IF_ERROR(
      ExpectMembers(json,
                    {"actor", "event_type", "format", "hash", "payload", "prev_hash", "reason",
                     "seq", "stream", "terminal", "time"},
                    "event"));
  const auto format = json.Find("format")->AsInteger();
  if (!json.Find("format")->IsNumber() || format != kEventFormat) {
    return Unexpected(
        InvalidArgument("event format must be " + std::to_string(kEventFormat), "format"));
  }
  Event event;
  ALIQUOT_ASSIGN_OR_RETURN(event.seq, CountMember(json, "seq", 1));
  ALIQUOT_ASSIGN_OR_RETURN(auto actor, PairMember(json, "actor", "id", "name"));
  event.actor = {std::move(actor.first), std::move(actor.second)};
  ALIQUOT_ASSIGN_OR_RETURN(auto stream, PairMember(json, "stream", "id", "type"));
  event.stream = {std::move(stream.second), std::move(stream.first)};
  ALIQUOT_ASSIGN_OR_RETURN(event.event_type, StringMember(json, "event_type", "event_type"));
  ALIQUOT_ASSIGN_OR_RETURN(event.terminal, StringMember(json, "terminal", "terminal"));
  const Json& payload = *json.Find("payload");
  if (!payload.IsObject())
    return Unexpected(InvalidArgument("payload must be an object", "payload"));
  event.payload = CanonicalJson(payload);
  const Json& reason = *json.Find("reason");
  if (reason.IsString()) {
    event.reason = reason.AsString();
  } else if (!reason.IsNull()) {
    return Unexpected(InvalidArgument("reason must be a string or null", "reason"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(event.time, TimeMember(json, "time"));
  ALIQUOT_ASSIGN_OR_RETURN(event.prev_hash, HashMember(json, "prev_hash"));
  ALIQUOT_ASSIGN_OR_RETURN(event.hash, HashMember(json, "hash"));
  std::string canonical;
  AppendEventJson(event, &event.hash, canonical);
  if (canonical != line) {
    return Unexpected(InvalidArgument("event is not in canonical form (RFC 8785)"));
  }
  return event;
}

Result<Checkpoint> ParseCheckpointJson(std::string_view text) {
  text = TrimNewline(text);
  ALIQUOT_ASSIGN_OR_RETURN(Json json, ParseObject(text, "checkpoint"));
  ALIQUOT_RETURN_IF_ERROR(
      ExpectMembers(json, {"key_id", "root_hash", "signature", "time", "tree_size"}, "checkpoint"));
  Checkpoint checkpoint;
  ALIQUOT_ASSIGN_OR_RETURN(checkpoint.tree_size, CountMember(json, "tree_size", 0));
  ALIQUOT_ASSIGN_OR_RETURN(checkpoint.root_hash, HashMember(json, "root_hash"));
  ALIQUOT_ASSIGN_OR_RETURN(checkpoint.key_id, HashMember(json, "key_id"));
  ALIQUOT_ASSIGN_OR_RETURN(checkpoint.time, TimeMember(json, "time"));
  ALIQUOT_ASSIGN_OR_RETURN(std::string signature, StringMember(json, "signature", "signature"));
  auto bytes = HexDecode(signature);
  if (!bytes || bytes->size() != checkpoint.signature.size() || HexEncode(*bytes) != signature) {
    return Unexpected(InvalidArgument("signature must be 128 lower-case hex digits", "signature"));
  }
  std::copy(bytes->begin(), bytes->end(), checkpoint.signature.begin());
  return checkpoint;
}

Result<Ed25519PublicKey> ParsePublicKeyJson(std::string_view text) {
  text = TrimNewline(text);
  ALIQUOT_ASSIGN_OR_RETURN(Json json, ParseObject(text, "public key"));
  ALIQUOT_RETURN_IF_ERROR(ExpectMembers(json, {"algorithm", "key_id", "public_key"}, "public key"));
  ALIQUOT_ASSIGN_OR_RETURN(std::string algorithm, StringMember(json, "algorithm", "algorithm"));
  if (algorithm != "ed25519") {
    return Unexpected(
        InvalidArgument("algorithm must be \"ed25519\", found \"" + algorithm + "\"", "algorithm"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(std::string key_hex, StringMember(json, "public_key", "public_key"));
  auto key = Ed25519PublicKey::FromHex(key_hex);
  if (!key) return Unexpected(InvalidArgument(key.error().Message(), "public_key"));
  if (key->Hex() != key_hex)
    return Unexpected(InvalidArgument("public_key must be lower-case hex", "public_key"));
  ALIQUOT_ASSIGN_OR_RETURN(Hash256 key_id, HashMember(json, "key_id"));
  if (key_id != key->KeyId()) {
    return Unexpected(InvalidArgument("key_id is not the SHA-256 of public_key", "key_id"));
  }
  return *key;
}

Hash256 ExportHeadHash(std::uint64_t events, const Hash256& last_event_hash) {
  return events == 0 ? EmptyRoot() : last_event_hash;
}

std::string ManifestJson(const ExportManifest& manifest) {
  Json files = Json::MakeObject();
  for (const auto& [name, hash] : manifest.files) files.Set(name, hash.Hex());
  Json json = Json::MakeObject();
  json.Set("format", "aliquot-ledger-export/1");
  json.Set("exported_at", manifest.exported_at.ToRfc3339());
  json.Set("events", manifest.events);
  json.Set("checkpoints", manifest.checkpoints);
  json.Set("tree_size", manifest.events);
  json.Set("head_hash", manifest.head_hash.Hex());
  json.Set("root_hash", manifest.root_hash.Hex());
  json.Set("files", std::move(files));
  return CanonicalJson(json);
}

Result<ExportManifest> ParseManifestJson(std::string_view text) {
  text = TrimNewline(text);
  ALIQUOT_ASSIGN_OR_RETURN(Json json, ParseObject(text, "manifest"));
  ALIQUOT_RETURN_IF_ERROR(ExpectMembers(json,
                                        {"checkpoints", "events", "exported_at", "files", "format",
                                         "head_hash", "root_hash", "tree_size"},
                                        "manifest"));
  ALIQUOT_ASSIGN_OR_RETURN(std::string format, StringMember(json, "format", "format"));
  if (format != "aliquot-ledger-export/1") {
    return Unexpected(
        InvalidArgument("format is not \"aliquot-ledger-export/1\": \"" + format + "\"", "format"));
  }
  ExportManifest manifest;
  ALIQUOT_ASSIGN_OR_RETURN(manifest.events, CountMember(json, "events", 0));
  ALIQUOT_ASSIGN_OR_RETURN(manifest.checkpoints, CountMember(json, "checkpoints", 0));
  ALIQUOT_ASSIGN_OR_RETURN(std::uint64_t tree_size, CountMember(json, "tree_size", 0));
  if (tree_size != manifest.events) {
    return Unexpected(InvalidArgument("tree_size differs from events", "tree_size"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(manifest.head_hash, HashMember(json, "head_hash"));
  ALIQUOT_ASSIGN_OR_RETURN(manifest.root_hash, HashMember(json, "root_hash"));
  ALIQUOT_ASSIGN_OR_RETURN(manifest.exported_at, TimeMember(json, "exported_at"));
  const Json& files = *json.Find("files");
  ALIQUOT_RETURN_IF_ERROR(
      ExpectMembers(files, {kExportFiles[0], kExportFiles[1], kExportFiles[2]}, "manifest files"));
  for (const std::string_view name : kExportFiles) {
    ALIQUOT_ASSIGN_OR_RETURN(manifest.files[std::string(name)], HashMember(files, name));
  }
  return manifest;
}

std::string InclusionProofJson(const Event& event, std::span<const Hash256> audit_path,
                               const Checkpoint& checkpoint, const Ed25519PublicKey& key) {
  // Members in RFC 8785 order: audit_path, checkpoint, event, format, leaf_index, public_key.
  std::string text = "{\"audit_path\":[";
  for (std::size_t i = 0; i < audit_path.size(); ++i) {
    text += i > 0 ? ",\"" : "\"";
    AppendHex(audit_path[i].bytes, text);
    text += '"';
  }
  text += "],\"checkpoint\":";
  text += CheckpointJson(checkpoint);
  text += ",\"event\":";
  AppendEventJson(event, &event.hash, text);
  text += ",\"format\":\"aliquot-inclusion-proof/1\",\"leaf_index\":";
  text += std::to_string(event.seq - 1);
  text += ",\"public_key\":";
  text += PublicKeyJson(key);
  text += '}';
  return text;
}

}  // namespace aliquot::ledger
