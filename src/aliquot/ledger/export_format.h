// Parsers for the files of a ledger export (docs/ledger-format.md): event lines, checkpoint lines
// and the public key. They read outside input, so every malformed byte is an error naming what
// was wrong, never a crash (tests/fuzz drives them).
#pragma once

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

}  // namespace aliquot::ledger
