// The refusals both SQL stores give in the same words, so a caller (and a test) sees one message
// whichever engine runs underneath.
#pragma once

#include <cstdint>

#include "aliquot/core/error.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"

namespace aliquot::storage {

// An append's expectation failed: `stream` is at `head`, the caller decided as of `expected`.
// kAborted: decide again.
Error StreamMoved(const ledger::StreamRef& stream, std::uint64_t head, std::uint64_t expected);

// A checkpoint insert changed no row: kAlreadyExists if one of its tree size `exists`, otherwise
// kAborted, because one out of order with it was signed meanwhile (by another server).
Error CheckpointRefused(const ledger::Checkpoint& checkpoint, bool exists);

}  // namespace aliquot::storage
