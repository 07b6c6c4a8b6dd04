// Store: the port through which every use case reads and appends the record. One transaction
// appends events and applies them to the projections atomically, and nothing is acknowledged
// before it is durable. Implemented by storage/sqlite and storage/postgres, both wholly: there are
// no capability flags, and tests/contract runs one suite against both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"

namespace aliquot::app {

// Optimistic concurrency: the caller decided on the state of `stream` as of `last_seq` (0: the
// stream had no events). If another append changed the stream since, the whole request fails
// with kAborted and the caller decides again.
struct StreamExpectation {
  ledger::StreamRef stream;
  std::uint64_t last_seq = 0;
};

// How often a use case decides again after losing a race (kAborted) before it gives up and
// returns kAborted: enough for contention between a few servers, bounded so it cannot spin.
inline constexpr int kAppendAttempts = 5;

// One unit of work: its events land together or not at all.
struct AppendRequest {
  std::vector<ledger::NewEvent> events;
  std::vector<StreamExpectation> expectations;
};

struct LedgerHead {
  std::uint64_t size = 0;
  Hash256 head_hash;  // kGenesisPrevHash when empty.
  Hash256 root_hash;  // Merkle root over all events.
  Timestamp last_time;
};

// Counters the server exposes on /metrics.
struct StoreStats {
  std::uint64_t appends = 0;        // AppendRequests acknowledged.
  std::uint64_t events = 0;         // Events appended by this process.
  std::uint64_t commits = 0;        // Transactions (one sync each).
  std::uint64_t rejected = 0;       // AppendRequests refused.
  double commit_seconds_total = 0;  // Time spent committing, for the mean latency.
};

// A bounded, ordered slice of a projection table: the rows whose first prefix.size() key columns
// equal `prefix` and whose next key column, which must be an INTEGER, lies strictly between
// `after` and `before`; in key order, or in reverse key order when `descending`; at most `limit`
// rows. A page of a logbook, the latest sample before an instant, the uses since an entry.
struct RowRange {
  Row prefix;
  std::int64_t after = INT64_MIN;
  std::int64_t before = INT64_MAX;
  bool descending = false;
  std::size_t limit = SIZE_MAX;
};

using EventVisitor = std::function<Status(const ledger::Event&)>;
using RowVisitor = std::function<Status(const Row&)>;

// The read side of the Store. Each call reads a consistent state; StoreReader passed to
// Store::Read gives several calls one consistent state together.
class StoreReader {
 public:
  virtual ~StoreReader() = default;

  // The last sequence number of `stream`, or 0 when it has no events.
  virtual Result<std::uint64_t> StreamHead(const ledger::StreamRef& stream) = 0;

  // Visits events with from_seq <= seq < to_seq in order, as stored (without checking them).
  virtual Status ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                            const EventVisitor& visit) = 0;

  // The hashes of events 1..size, in order: the Merkle tree's leaves, for proofs.
  virtual Result<std::vector<Hash256>> EventHashes(std::uint64_t size) = 0;

  // All checkpoints, in increasing tree size.
  virtual Result<std::vector<ledger::Checkpoint>> Checkpoints() = 0;
  // The checkpoint with the largest tree size, if any: what signing and proofs need, without
  // reading the one-a-minute history.
  virtual Result<std::optional<ledger::Checkpoint>> LatestCheckpoint() = 0;

  // Projection reads. GetRow returns the row with primary key `key`; ScanRows visits a table's
  // rows in primary-key order.
  virtual Result<std::optional<Row>> GetRow(const TableSpec& table, const Row& key) = 0;
  virtual Status ScanRows(const TableSpec& table, const RowVisitor& visit) = 0;
  // Visits, in primary-key order, the rows of `table` whose first prefix.size() key columns equal
  // `prefix` (1 <= prefix.size() <= table.key_columns), reading only those rows through the
  // primary key's index: the signatures of one record, the roles of one user. Returns
  // kInternal for a prefix of the wrong length or cell types (a caller bug), checked like CheckRow
  // does; a visitor's error ends the scan and is returned as it is.
  virtual Status ScanRowsWithPrefix(const TableSpec& table, const Row& prefix,
                                    const RowVisitor& visit) = 0;
  // Visits the rows of `range` (see RowRange) through the primary key's index, reading no row
  // outside it: cost grows with the rows visited, not with the table. Returns kInternal (a caller
  // bug) for a prefix of the wrong length or cell types, or when the key column after the prefix
  // is not an INTEGER; a visitor's error ends the scan and is returned as it is.
  virtual Status ScanRowRange(const TableSpec& table, const RowRange& range,
                              const RowVisitor& visit) = 0;
};

class Store : public StoreReader {
 public:
  // Validates, seals (sequence number, server time, hash chain) and appends the request's events
  // and applies them to the projections, in one transaction shared with concurrent callers
  // (group commit). Returns only once the events are durable. Errors: kInvalidArgument (an event
  // is malformed), kAborted (an expectation failed), kDataLoss (the projector found the ledger
  // inconsistent), kUnavailable (storage failed: disk full, I/O error); on any error nothing of
  // the request is stored.
  virtual Result<std::vector<ledger::Event>> Append(const AppendRequest& request) = 0;

  // Appends events sealed by another store, exactly as they are (a site moving engines:
  // `aliquot migrate-store`), and applies them to the projections, in one transaction. Each must
  // continue the chain: seq one past the head, prev_hash the head's hash, a hash that recomputes,
  // a time not before the head's. Errors: kDataLoss naming the first event that does not;
  // kUnavailable (storage failed); on any error nothing of the call is stored.
  virtual Status Import(std::span<const ledger::Event> events) = 0;

  // The head as of the last acknowledged append (by any process sharing the database).
  virtual Result<LedgerHead> Head() = 0;

  // Runs `work` against one consistent snapshot: appends committed meanwhile are invisible to it.
  virtual Status Read(const std::function<Status(StoreReader&)>& work) = 0;

  // Stores a signed checkpoint durably. Returns kAlreadyExists if one with its tree size exists,
  // and kAborted if one out of order with it exists (a smaller tree signed later, or a larger one
  // earlier: another server signed meanwhile), so the checkpoints' times grow with tree size.
  virtual Status AddCheckpoint(const ledger::Checkpoint& checkpoint) = 0;

  virtual StoreStats Stats() = 0;
};

}  // namespace aliquot::app
