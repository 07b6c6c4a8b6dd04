// Parsers for the files of a ledger export (docs/ledger-format.md): event lines, checkpoint lines
// and the public key. They read outside input, so every malformed byte is an error naming what
// was wrong, never a crash (tests/fuzz drives them).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"

namespace aliquot::ledger {

// Parses one line of events.jsonl (without its newline). The text must be exactly the canonical
// encoding of the event including "hash"; returns kInvalidArgument naming the member at fault.
// The hash is taken as written: the verifier decides whether it matches the content.
Result<Event> ParseEventJson(std::string_view line);

// Parses one checkpoint object (a line of checkpoints.jsonl, or an auditor's checkpoint file).
Result<Checkpoint> ParseCheckpointJson(std::string_view text);

// Parses public_key.json and checks that its key_id is the SHA-256 of its key.
Result<Ed25519PublicKey> ParsePublicKeyJson(std::string_view text);

// The files an export holds beside manifest.json, each listed in the manifest with its SHA-256.
inline constexpr std::array<std::string_view, 3> kExportFiles = {"checkpoints.jsonl",
                                                                 "events.jsonl", "public_key.json"};

// manifest.json: what an export holds, so that a verifier can tell a complete export from a
// doctored one (docs/ledger-format.md).
struct ExportManifest {
  std::uint64_t events = 0;  // Also the tree size.
  std::uint64_t checkpoints = 0;
  Hash256 head_hash;  // ExportHeadHash of the events.
  Hash256 root_hash;  // Merkle root over all events.
  Timestamp exported_at;
  std::map<std::string, Hash256, std::less<>> files;  // Exactly kExportFiles.
  friend bool operator==(const ExportManifest&, const ExportManifest&) = default;
};

// The manifest's head_hash: the last event's hash, or the SHA-256 of the empty string for an
// export without events.
Hash256 ExportHeadHash(std::uint64_t events, const Hash256& last_event_hash);

// The manifest as one canonical JSON object (without the file's final newline).
std::string ManifestJson(const ExportManifest& manifest);

// Parses manifest.json. Returns kInvalidArgument naming the member at fault: an unknown format,
// a missing or extra member or file, tree_size different from events.
Result<ExportManifest> ParseManifestJson(std::string_view text);

// The inclusion proof document of docs/ledger-format.md: `event`, its audit path in the tree of
// `checkpoint`, and the key that signed the checkpoint, as canonical JSON.
std::string InclusionProofJson(const Event& event, std::span<const Hash256> audit_path,
                               const Checkpoint& checkpoint, const Ed25519PublicKey& key);

}  // namespace aliquot::ledger
