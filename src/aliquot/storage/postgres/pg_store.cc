#include "aliquot/storage/postgres/pg_store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <span>
#include <utility>

#include "aliquot/core/sha256.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/storage/postgres/migrations.h"
#include "aliquot/storage/sql/blobs.h"
#include "aliquot/storage/sql/names.h"
#include "aliquot/storage/sql/rows.h"
#include "aliquot/storage/sql/statements.h"
#include "aliquot/storage/sql/store_errors.h"

namespace aliquot::storage {
namespace {

// PostgreSQL-only statements: the chain's tip, and many rows per statement through unnest().
constexpr std::string_view kLockTip =
    "SELECT size, head_hash, last_time_us, frontier FROM ledger_head WHERE id = 1 FOR UPDATE";
constexpr std::string_view kReadTip =
    "SELECT size, head_hash, last_time_us, frontier FROM ledger_head WHERE id = 1";
constexpr std::string_view kStoreTip =
    "UPDATE ledger_head SET size = $1, head_hash = $2, last_time_us = $3, frontier = $4 "
    "WHERE id = 1";
constexpr std::string_view kLastEvent = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";
constexpr std::string_view kCountEvents = "SELECT count(*), coalesce(max(seq), 0) FROM events";
// The first seq missing below the last: run only once a hole is known to exist.
constexpr std::string_view kFirstGap =
    "SELECT CASE WHEN min(seq) > 1 THEN 1 ELSE (SELECT min(e.seq) + 1 FROM events e WHERE NOT "
    "EXISTS (SELECT 1 FROM events f WHERE f.seq = e.seq + 1)) END FROM events";
constexpr std::string_view kEventHashAt = "SELECT hash FROM events WHERE seq = $1";
constexpr std::string_view kInsertEvents =
    "INSERT INTO events (seq, stream_type, stream_id, event_type, payload, actor_id, actor_name, "
    "terminal, time_us, reason, prev_hash, hash) "
    "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bytea[], $12::bytea[])";
constexpr std::string_view kStreamHeads =
    "SELECT s.t, s.i, coalesce((SELECT max(seq) FROM events e WHERE e.stream_type = s.t AND "
    "e.stream_id = s.i), 0) FROM unnest($1::text[], $2::text[]) AS s(t, i)";
// Events in pages, so a scan of a long ledger never holds it all in memory.
constexpr std::string_view kSelectEventPage =
    "SELECT seq, stream_type, stream_id, event_type, payload, actor_id, actor_name, terminal, "
    "time_us, reason, prev_hash, hash FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq "
    "LIMIT $3";
constexpr std::int64_t kEventPage = 10000;
// Rows per INSERT when importing or rebuilding: bounds one statement's size.
constexpr std::size_t kWriteChunk = 2000;

// Every blob's description, in sha256 order: byte order (collation "C"), whatever the
// database's locale, so that both engines visit blobs in the same order.
constexpr std::string_view kSelectAllBlobInfo =
    "SELECT sha256, size, media_type, stored_at_us FROM blobs ORDER BY sha256 COLLATE \"C\"";

// The projection row with primary key `key`, through the table's prepared select.
Result<std::optional<app::Row>> SelectRow(PgConnection& connection, const ProjectionSql& sql,
                                          const app::TableSpec& table, const app::Row& key) {
  TableSql scratch;
  PgParams params;
  for (std::size_t i = 0; i < key.size(); ++i) params.Value(key[i], table.columns[i].type);
  ALIQUOT_ASSIGN_OR_RETURN(PgResult result,
                           connection.Query(sql.For(table, scratch).select_by_key, params));
  if (result.Rows() == 0) return std::optional<app::Row>();
  return std::optional<app::Row>(ReadProjectionRow(result.Row(0), table));
}

}  // namespace

// The chain's tip as ledger_head holds it.
struct PgStore::Tip {
  std::uint64_t size = 0;
  Hash256 head_hash;
  Timestamp last_time;
  ledger::MerkleFrontier frontier;

  // Reads the ledger_head row with `sql` (kReadTip, or kLockTip to hold it).
  static Result<Tip> Read(PgConnection& connection, std::string_view sql) {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult row, connection.Query(sql));
    if (row.Rows() != 1) return Unexpected(DataLoss("the ledger_head row is missing"));
    return FromRow(row.Row(0));
  }

  static Result<Tip> FromRow(const PgResult& row) {
    Tip tip;
    tip.size = static_cast<std::uint64_t>(row.Int64(0));
    tip.head_hash = ReadHash(row, 1);
    tip.last_time = Timestamp::FromMicros(row.Int64(2));
    const auto bytes = row.Blob(3);
    if (bytes.size() % Hash256().bytes.size() != 0) {
      return Unexpected(DataLoss("ledger_head.frontier is not a list of SHA-256 hashes"));
    }
    std::vector<Hash256> peaks(bytes.size() / Hash256().bytes.size());
    for (std::size_t i = 0; i < peaks.size(); ++i) {
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(i * peaks[i].bytes.size()),
                  peaks[i].bytes.size(), peaks[i].bytes.begin());
    }
    auto frontier = ledger::MerkleFrontier::FromPeaks(tip.size, std::move(peaks));
    if (!frontier) return Unexpected(frontier.error().WithContext("ledger_head"));
    tip.frontier = std::move(*frontier);
    return tip;
  }

  app::LedgerHead Head() const { return {size, head_hash, frontier.Root(), last_time}; }
};

// Projection changes of the writer's transaction, held in memory and written with one statement
// per table when the batch is written (Flush): a projector's reads cost a round trip only for a
// row the batch has not touched. One unit's changes are kept apart until it is accepted, so a
// refused request leaves nothing behind without a savepoint.
class PgStore::Overlay final : public app::ProjectionWriter {
 public:
  Overlay(PgConnection& connection, const ProjectionSql& sql)
      : connection_(connection), sql_(sql) {}

  Result<std::optional<app::Row>> Get(const app::TableSpec& table, const app::Row& key) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, key, table.key_columns));
    for (auto* layer : {&unit_, &batch_}) {
      const auto changes = layer->find(table.name);
      if (changes == layer->end()) continue;
      const auto found = changes->second.find(key);
      if (found != changes->second.end()) return found->second;
    }
    auto& cached = read_cache_[table.name];
    if (const auto found = cached.find(key); found != cached.end()) return found->second;
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<app::Row> row, SelectRow(connection_, sql_, table, key));
    cached.emplace(key, row);
    return row;
  }

  Status Upsert(const app::TableSpec& table, const app::Row& row) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, row, table.columns.size()));
    Remember(table);
    unit_[table.name][app::Row(row.begin(),
                               row.begin() + static_cast<std::ptrdiff_t>(table.key_columns))] = row;
    return {};
  }

  Status Delete(const app::TableSpec& table, const app::Row& key) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, key, table.key_columns));
    Remember(table);
    unit_[table.name][key] = std::nullopt;
    return {};
  }

  // The unit was accepted: its changes join the batch's.
  void KeepUnit() {
    for (auto& [name, rows] : unit_) {
      auto& kept = batch_[name];
      for (auto& [key, row] : rows) kept[key] = std::move(row);
    }
    unit_.clear();
  }
  void DropUnit() { unit_.clear(); }

  // Writes the batch's changes: per table, one DELETE and one upsert over unnest() arrays.
  Status Flush() {
    for (const auto& [name, rows] : batch_) {
      const app::TableSpec& table = specs_.at(name);
      std::vector<PgParams::Array> keys;
      std::vector<PgParams::Array> columns;
      for (const app::ColumnSpec& column : table.columns) {
        if (keys.size() < table.key_columns) keys.emplace_back(PgTypeOf(column.type));
        columns.emplace_back(PgTypeOf(column.type));
      }
      for (const auto& [key, row] : rows) {
        if (row) {
          for (std::size_t i = 0; i < row->size(); ++i) columns[i].Value((*row)[i]);
        } else {
          for (std::size_t i = 0; i < key.size(); ++i) keys[i].Value(key[i]);
        }
      }
      TableSql scratch;
      const TableSql& statements = sql_.For(table, scratch);
      for (const auto& [arrays, sql] : {std::pair{&keys, &statements.delete_rows},
                                        std::pair{&columns, &statements.upsert_rows}}) {
        if (arrays->front().Size() == 0) continue;
        PgParams params;
        for (const auto& array : *arrays) params.AddArray(array);
        ALIQUOT_RETURN_IF_ERROR(connection_.Query(*sql, params));
      }
    }
    batch_.clear();
    read_cache_.clear();
    return {};
  }

 private:
  using Changes = std::map<std::string, std::map<app::Row, std::optional<app::Row>>>;

  void Remember(const app::TableSpec& table) {
    if (!specs_.contains(table.name)) specs_.emplace(table.name, table);
  }

  PgConnection& connection_;
  const ProjectionSql& sql_;
  std::map<std::string, app::TableSpec> specs_;
  Changes unit_;
  Changes batch_;
  Changes read_cache_;  // Rows as the database held them before this batch.
};

// A pooled connection, implementing the read side over it.
class PgStore::Reader final : public app::StoreReader {
 public:
  Reader(PgConnection& connection, const ProjectionSql& sql) : connection_(connection), sql_(sql) {}

  Result<std::uint64_t> StreamHead(const ledger::StreamRef& stream) override {
    ALIQUOT_ASSIGN_OR_RETURN(
        PgResult result,
        connection_.Query(sql::kSelectStreamHead, PgParams().Text(stream.type).Text(stream.id)));
    return static_cast<std::uint64_t>(result.Row(0).Int64(0));
  }

  Status ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                    const app::EventVisitor& visit) override {
    // seq is a signed 64-bit integer: a bound past INT64_MAX must not wrap negative.
    constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
    ledger::Event event;
    while (from_seq < to_seq && from_seq <= kMax) {
      ALIQUOT_ASSIGN_OR_RETURN(
          PgResult page,
          connection_.Query(kSelectEventPage,
                            PgParams()
                                .Int64(static_cast<std::int64_t>(from_seq))
                                .Int64(static_cast<std::int64_t>(std::min(to_seq, kMax)))
                                .Int64(kEventPage)));
      for (int i = 0; i < page.Rows(); ++i) {
        ReadEvent(page.Row(i), event);
        ALIQUOT_RETURN_IF_ERROR(visit(event));
      }
      if (page.Rows() < kEventPage) return {};
      from_seq = event.seq + 1;
    }
    return {};
  }

  Result<std::vector<Hash256>> EventHashes(std::uint64_t size) override {
    ALIQUOT_ASSIGN_OR_RETURN(
        PgResult result,
        connection_.Query(sql::kSelectEventHashes, PgParams().Int64(static_cast<std::int64_t>(
                                                       std::min<std::uint64_t>(size, INT64_MAX)))));
    std::vector<Hash256> hashes;
    hashes.reserve(static_cast<std::size_t>(result.Rows()));
    for (int i = 0; i < result.Rows(); ++i) hashes.push_back(ReadHash(result.Row(i), 0));
    if (hashes.size() != size) {
      return Unexpected(NotFound("the ledger holds " + std::to_string(hashes.size()) +
                                 " events, fewer than " + std::to_string(size)));
    }
    return hashes;
  }

  Result<std::vector<ledger::Checkpoint>> Checkpoints() override {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult result, connection_.Query(sql::kSelectCheckpoints));
    std::vector<ledger::Checkpoint> checkpoints;
    checkpoints.reserve(static_cast<std::size_t>(result.Rows()));
    for (int i = 0; i < result.Rows(); ++i) checkpoints.push_back(ReadCheckpoint(result.Row(i)));
    return checkpoints;
  }

  Result<std::optional<ledger::Checkpoint>> LatestCheckpoint() override {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult result, connection_.Query(sql::kSelectLatestCheckpoint));
    if (result.Rows() == 0) return std::optional<ledger::Checkpoint>();
    return std::optional<ledger::Checkpoint>(ReadCheckpoint(result.Row(0)));
  }

  Result<std::optional<app::Row>> GetRow(const app::TableSpec& table,
                                         const app::Row& key) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, key, table.key_columns));
    return SelectRow(connection_, sql_, table, key);
  }

  Status ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(PgResult result, connection_.Query(sql_.For(table, scratch).scan));
    for (int i = 0; i < result.Rows(); ++i) {
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(result.Row(i), table)));
    }
    return {};
  }

  Status ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                            const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string* sql, sql_.ScanPrefix(table, prefix, scratch));
    PgParams params;
    for (std::size_t i = 0; i < prefix.size(); ++i) params.Value(prefix[i], table.columns[i].type);
    ALIQUOT_ASSIGN_OR_RETURN(PgResult result, connection_.Query(*sql, params));
    for (int i = 0; i < result.Rows(); ++i) {
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(result.Row(i), table)));
    }
    return {};
  }

  Status ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                      const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string* sql, sql_.ScanRange(table, range, scratch));
    PgParams params;
    for (std::size_t i = 0; i < range.prefix.size(); ++i) {
      params.Value(range.prefix[i], table.columns[i].type);
    }
    params.Int64(range.after).Int64(range.before).Int64(SqlLimit(range.limit));
    // The LIMIT is in the statement, so the server reads and sends at most `limit` rows: a page of
    // a long logbook costs the page, not the logbook.
    ALIQUOT_ASSIGN_OR_RETURN(PgResult result, connection_.Query(*sql, params));
    for (int i = 0; i < result.Rows(); ++i) {
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(result.Row(i), table)));
    }
    return {};
  }

 private:
  PgConnection& connection_;
  const ProjectionSql& sql_;
};

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgStoreOptions& options, Clock& clock,
                                               const app::Projector& projector) {
  for (const app::TableSpec& table : projector.Tables()) {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
  }
  std::unique_ptr<PgStore> store(new PgStore(options, clock, projector));
  if (auto opened = store->Initialise(); !opened) {
    return Unexpected(opened.error().WithContext(RedactUrl(options.url)));
  }
  return store;
}

PgStore::~PgStore() = default;

Status PgStore::ConnectWriter() {
  if (writer_ && !writer_->Broken()) return {};
  writer_.reset();
  ALIQUOT_ASSIGN_OR_RETURN(auto connection,
                           PgConnection::Open(options_.url, options_.connect_timeout_seconds));
  // Nothing is acknowledged before it is durable, whatever the server's default; a writer that
  // hangs holding the chain's lock is ended by the server rather than stalling every other one.
  ALIQUOT_RETURN_IF_ERROR(
      connection->Exec("SET synchronous_commit = on; SET lock_timeout = '30s'; "
                       "SET idle_in_transaction_session_timeout = '60s'"));
  writer_ = std::move(connection);
  return {};
}

Status PgStore::Initialise() {
  {
    MutexLock lock(commit_mutex_);
    ALIQUOT_RETURN_IF_ERROR(ConnectWriter());
    if (options_.read_only) {
      ALIQUOT_RETURN_IF_ERROR(RequirePostgresSchema(*writer_));
    } else {
      ALIQUOT_RETURN_IF_ERROR(MigratePostgres(*writer_, clock_.Now()));
    }
  }
  ALIQUOT_RETURN_IF_ERROR(EnsureProjections());
  // Only a writer must refuse a damaged chain: a read-only open is how verify gets to report
  // exactly what is damaged.
  if (options_.read_only) return {};
  return CheckHead();
}

Status PgStore::CheckHead() {
  MutexLock lock(commit_mutex_);
  // One snapshot for every read: other servers may commit meanwhile, and reads from different
  // moments would disagree with each other without anything being wrong.
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  Status checked = CheckHeadInSnapshot();
  if (!writer_->Broken()) (void)writer_->Exec("ROLLBACK");
  return checked;
}

Status PgStore::CheckHeadInSnapshot() {
  ALIQUOT_ASSIGN_OR_RETURN(Tip tip, Tip::Read(*writer_, kReadTip));
  // A server must not extend a chain with a hole in it, nor one whose recorded tip is not its
  // last event: each would be appended to and never verify.
  ALIQUOT_ASSIGN_OR_RETURN(PgResult counts, writer_->Query(kCountEvents));
  const auto count = static_cast<std::uint64_t>(counts.Int64(0));
  const auto last = static_cast<std::uint64_t>(counts.Int64(1));
  if (count != last) {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult gap, writer_->Query(kFirstGap));
    return Unexpected(DataLoss("the ledger is damaged: seq " + std::to_string(gap.Int64(0)) +
                               " is missing; run 'aliquot verify' for details"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(PgResult last_event, writer_->Query(kLastEvent));
  const Hash256 last_hash =
      last_event.Rows() == 0 ? ledger::kGenesisPrevHash : ReadHash(last_event, 1);
  if (last != tip.size || last_hash != tip.head_hash) {
    return Unexpected(DataLoss("the ledger is damaged: ledger_head records " +
                               std::to_string(tip.size) + " events but the last event is seq " +
                               std::to_string(last) + "; run 'aliquot verify' for details"));
  }
  return {};
}

Result<std::string> PgStore::ReadMeta(std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(PgResult row, writer_->Query(sql::kSelectMeta, PgParams().Text(name)));
  return row.Rows() == 0 ? std::string() : std::string(row.Text(0));
}

Status PgStore::EnsureProjections() {
  MutexLock lock(commit_mutex_);
  const std::string fingerprint = app::ProjectionSchemaFingerprint(projector_.Tables());
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stored, ReadMeta(sql::kProjectionSchemaMeta));
  if (stored == fingerprint) return {};
  if (options_.read_only) {
    return Unexpected(FailedPrecondition(
        "the projections were built by another version of Aliquot; start 'aliquot serve' once "
        "to rebuild them from the ledger"));
  }
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("BEGIN"));
  Status rebuilt = RebuildIfStale(fingerprint);
  if (rebuilt) rebuilt = writer_->Exec("COMMIT");
  if (!rebuilt) {
    if (!writer_->Broken()) (void)writer_->Exec("ROLLBACK");
    return Unexpected(rebuilt.error().WithContext("rebuilding projections"));
  }
  return {};
}

Status PgStore::RebuildIfStale(const std::string& fingerprint) {
  // One server rebuilds; the others wait on the lock and then find the work done.
  ALIQUOT_RETURN_IF_ERROR(
      writer_->Query("SELECT pg_advisory_xact_lock($1)", PgParams().Int64(kSchemaLockKey)));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stored, ReadMeta(sql::kProjectionSchemaMeta));
  if (stored == fingerprint) return {};
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stored_tables, ReadMeta(sql::kProjectionTablesMeta));
  return RebuildProjections(fingerprint, stored_tables);
}

Status PgStore::RebuildProjections(const std::string& fingerprint,
                                   const std::string& stored_tables) {
  // Appends by other servers wait until the rebuild commits.
  ALIQUOT_RETURN_IF_ERROR(LockTip());
  const ProjectionReset reset =
      ResetProjections(stored_tables, projector_.Tables(), Dialect::kPostgres);
  for (const std::string& statement : reset.statements) {
    ALIQUOT_RETURN_IF_ERROR(writer_->Exec(statement));
  }
  Overlay overlay(*writer_, projection_sql_);
  Reader reader(*writer_, projection_sql_);
  std::size_t pending = 0;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
        ALIQUOT_RETURN_IF_ERROR(projector_.Apply(event, overlay));
        overlay.KeepUnit();
        if (++pending % kWriteChunk == 0) return overlay.Flush();
        return {};
      }));
  ALIQUOT_RETURN_IF_ERROR(overlay.Flush());
  for (const auto& [name, value] :
       {std::pair<std::string_view, std::string>{sql::kProjectionSchemaMeta, fingerprint},
        std::pair<std::string_view, std::string>{sql::kProjectionTablesMeta, reset.table_list}}) {
    ALIQUOT_RETURN_IF_ERROR(writer_->Query(sql::kUpsertMeta, PgParams().Text(name).Text(value)));
  }
  return {};
}

Result<PgStore::Tip> PgStore::LockTip() { return Tip::Read(*writer_, kLockTip); }

Status PgStore::StoreTip(const Tip& tip) {
  std::vector<std::uint8_t> frontier;
  for (const Hash256& peak : tip.frontier.Peaks()) {
    frontier.insert(frontier.end(), peak.bytes.begin(), peak.bytes.end());
  }
  return writer_
      ->Query(kStoreTip, PgParams()
                             .Int64(static_cast<std::int64_t>(tip.size))
                             .Bytes(tip.head_hash.bytes)
                             .Int64(tip.last_time.Micros())
                             .Bytes(frontier))
      .map([](const PgResult&) {});
}

Status PgStore::InsertEvents(std::span<const ledger::Event> events) {
  for (std::size_t start = 0; start < events.size(); start += kWriteChunk) {
    const auto chunk = events.subspan(start, std::min(kWriteChunk, events.size() - start));
    std::vector<PgParams::Array> columns;
    for (const PgType type : {PgType::kInt8, PgType::kText, PgType::kText, PgType::kText,
                              PgType::kText, PgType::kText, PgType::kText, PgType::kText,
                              PgType::kInt8, PgType::kText, PgType::kBytea, PgType::kBytea}) {
      columns.emplace_back(type);
    }
    for (const ledger::Event& event : chunk) {
      columns[0].Int64(static_cast<std::int64_t>(event.seq));
      columns[1].Text(event.stream.type);
      columns[2].Text(event.stream.id);
      columns[3].Text(event.event_type);
      columns[4].Text(event.payload);
      columns[5].Text(event.actor.id);
      columns[6].Text(event.actor.name);
      columns[7].Text(event.terminal);
      columns[8].Int64(event.time.Micros());
      if (event.reason) {
        columns[9].Text(*event.reason);
      } else {
        columns[9].Null();
      }
      columns[10].Bytes(event.prev_hash.bytes);
      columns[11].Bytes(event.hash.bytes);
    }
    PgParams params;
    for (const auto& column : columns) params.AddArray(column);
    ALIQUOT_RETURN_IF_ERROR(writer_->Query(kInsertEvents, params));
  }
  return {};
}

Result<std::vector<ledger::Event>> PgStore::Append(const app::AppendRequest& request) {
  if (options_.read_only) return Unexpected(PermissionDenied("the store is open read-only"));
  // Validation needs no lock: a malformed request never joins a batch.
  ALIQUOT_RETURN_IF_ERROR(app::ValidateAppendRequest(request));
  return group_commit_.Submit(request);
}

Status PgStore::WriteBatch(std::span<app::GroupCommit::Member* const> batch, Tip& tip,
                           std::vector<ledger::Event>& written) {
  ALIQUOT_ASSIGN_OR_RETURN(tip, LockTip());
  // The heads of every stream the batch has expectations on, in one query; the batch's own
  // appends then move them in memory.
  std::map<ledger::StreamRef, std::uint64_t> heads;
  {
    PgParams::Array types(PgType::kText);
    PgParams::Array ids(PgType::kText);
    for (const app::GroupCommit::Member* member : batch) {
      for (const app::StreamExpectation& expectation : member->request->expectations) {
        if (heads.emplace(expectation.stream, 0).second) {
          types.Text(expectation.stream.type);
          ids.Text(expectation.stream.id);
        }
      }
    }
    if (types.Size() > 0) {
      ALIQUOT_ASSIGN_OR_RETURN(
          PgResult rows, writer_->Query(kStreamHeads, PgParams().AddArray(types).AddArray(ids)));
      for (int i = 0; i < rows.Rows(); ++i) {
        rows.Row(i);
        heads[{std::string(rows.Text(0)), std::string(rows.Text(1))}] =
            static_cast<std::uint64_t>(rows.Int64(2));
      }
    }
  }
  Overlay overlay(*writer_, projection_sql_);
  for (app::GroupCommit::Member* member : batch) {
    const app::AppendRequest& request = *member->request;
    // Every stream with an expectation has its head in `heads` (queried above, 0 if new).
    const auto refused = std::find_if(request.expectations.begin(), request.expectations.end(),
                                      [&](const app::StreamExpectation& expected) {
                                        return heads.at(expected.stream) != expected.last_seq;
                                      });
    if (refused != request.expectations.end()) {
      member->result =
          Unexpected(StreamMoved(refused->stream, heads.at(refused->stream), refused->last_seq));
      continue;
    }
    std::vector<ledger::Event> sealed;
    sealed.reserve(request.events.size());
    Status applied;
    std::uint64_t size = tip.size;
    Hash256 head_hash = tip.head_hash;
    Timestamp last_time = tip.last_time;
    for (const ledger::NewEvent& event : request.events) {
      // AL-01: server time, and never earlier than the event before it, even if this server's
      // clock is behind another's or steps back.
      const Timestamp now = std::max(clock_.Now(), last_time);
      ledger::Event next = ledger::SealEvent(event, size + 1, now, head_hash);
      applied = projector_.Apply(next, overlay);
      if (!applied) break;
      size = next.seq;
      head_hash = next.hash;
      last_time = next.time;
      sealed.push_back(std::move(next));
    }
    if (!applied) {
      // A lost connection is the batch's failure, not this request's: nothing more can be sent.
      if (writer_->Broken()) return Unexpected(applied.error());
      overlay.DropUnit();
      member->result = Unexpected(applied.error());
      continue;
    }
    overlay.KeepUnit();
    tip.size = size;
    tip.head_hash = head_hash;
    tip.last_time = last_time;
    for (const ledger::Event& event : sealed) {
      tip.frontier.Append(event.hash);
      if (const auto head = heads.find(event.stream); head != heads.end()) {
        head->second = event.seq;
      }
      written.push_back(event);
    }
    member->result = std::move(sealed);
  }
  if (written.empty()) return {};
  ALIQUOT_RETURN_IF_ERROR(InsertEvents(written));
  ALIQUOT_RETURN_IF_ERROR(overlay.Flush());
  return StoreTip(tip);
}

Result<bool> PgStore::Committed(const ledger::Event& last) {
  writer_.reset();
  ALIQUOT_RETURN_IF_ERROR(ConnectWriter());
  ALIQUOT_ASSIGN_OR_RETURN(
      PgResult row,
      writer_->Query(kEventHashAt, PgParams().Int64(static_cast<std::int64_t>(last.seq))));
  return row.Rows() == 1 && ReadHash(row.Row(0), 0) == last.hash;
}

void PgStore::CommitBatch(std::span<app::GroupCommit::Member* const> batch) {
  MutexLock lock(commit_mutex_);
  const auto started = std::chrono::steady_clock::now();
  Tip tip;
  std::vector<ledger::Event> written;
  Status status = ConnectWriter();
  if (status) status = writer_->Exec("BEGIN");
  if (status) status = WriteBatch(batch, tip, written);
  if (status && written.empty()) status = writer_->Exec("ROLLBACK");  // Every unit was refused.
  if (status && !written.empty()) {
    status = writer_->Exec("COMMIT");
    if (!status && writer_->Broken()) {
      // The server may have committed before the connection went: ask a new connection.
      auto committed = Committed(written.back());
      if (committed && *committed) {
        status = {};
      } else {
        const std::string outcome = committed ? "the batch did not commit"
                                              : "whether the batch committed is unknown (" +
                                                    committed.error().Message() +
                                                    "); check the ledger before retrying";
        status = Unexpected(Unavailable(status.error().Message() + "; " + outcome));
      }
    }
  }
  MutexLock stats_lock(stats_mutex_);
  if (!status) {
    if (writer_ && !writer_->Broken() && writer_->InTransaction()) {
      (void)writer_->Exec("ROLLBACK");
    }
    for (app::GroupCommit::Member* member : batch) member->result = Unexpected(status.error());
    stats_.rejected += batch.size();
    return;
  }
  std::uint64_t accepted = 0;
  for (const app::GroupCommit::Member* member : batch) accepted += member->result ? 1 : 0;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  stats_.appends += accepted;
  stats_.rejected += batch.size() - accepted;
  stats_.events += written.size();
  if (!written.empty()) {
    stats_.commits += 1;
    stats_.commit_seconds_total += elapsed.count();
  }
}

Status PgStore::Import(std::span<const ledger::Event> events) {
  if (options_.read_only) return Unexpected(PermissionDenied("the store is open read-only"));
  MutexLock lock(commit_mutex_);
  ALIQUOT_RETURN_IF_ERROR(ConnectWriter());
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("BEGIN"));
  Status imported = ImportLocked(events);
  if (imported) imported = writer_->Exec("COMMIT");
  if (!imported && !writer_->Broken() && writer_->InTransaction()) {
    (void)writer_->Exec("ROLLBACK");
  }
  return imported;
}

Status PgStore::ImportLocked(std::span<const ledger::Event> events) {
  ALIQUOT_ASSIGN_OR_RETURN(Tip tip, LockTip());
  Overlay overlay(*writer_, projection_sql_);
  for (const ledger::Event& event : events) {
    ALIQUOT_RETURN_IF_ERROR(
        ledger::CheckContinuesChain(event, tip.size, tip.head_hash, tip.last_time));
    if (auto applied = projector_.Apply(event, overlay); !applied) {
      return Unexpected(applied.error().WithContext("event seq " + std::to_string(event.seq)));
    }
    overlay.KeepUnit();
    tip.size = event.seq;
    tip.head_hash = event.hash;
    tip.last_time = event.time;
    tip.frontier.Append(event.hash);
  }
  ALIQUOT_RETURN_IF_ERROR(InsertEvents(events));
  ALIQUOT_RETURN_IF_ERROR(overlay.Flush());
  return StoreTip(tip);
}

Result<app::LedgerHead> PgStore::Head() {
  // Read from the database, not this process's memory: another server may have moved the tip.
  app::LedgerHead head;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(Tip tip, Tip::Read(connection, kReadTip));
    head = tip.Head();
    return {};
  }));
  return head;
}

app::StoreStats PgStore::Stats() {
  MutexLock lock(stats_mutex_);
  return stats_;
}

Status PgStore::AddCheckpoint(const ledger::Checkpoint& checkpoint) {
  if (options_.read_only) return Unexpected(PermissionDenied("the store is open read-only"));
  std::uint64_t inserted = 0;
  bool exists = false;
  ALIQUOT_RETURN_IF_ERROR(WithConnection(
      [&](PgConnection& connection) -> Status {
        // Servers sign concurrently; the order check in the insert holds only if one checkpoint
        // is added at a time. Once a minute per server, so the lock costs nothing.
        ALIQUOT_RETURN_IF_ERROR(
            connection.Exec("LOCK TABLE checkpoints IN SHARE ROW EXCLUSIVE MODE"));
        ALIQUOT_ASSIGN_OR_RETURN(
            PgResult result,
            connection.Query(sql::kInsertCheckpoint,
                             PgParams()
                                 .Int64(static_cast<std::int64_t>(checkpoint.tree_size))
                                 .Bytes(checkpoint.root_hash.bytes)
                                 .Int64(checkpoint.time.Micros())
                                 .Bytes(checkpoint.key_id.bytes)
                                 .Bytes(checkpoint.signature)));
        inserted = result.Changed();
        if (inserted > 0) return {};
        ALIQUOT_ASSIGN_OR_RETURN(
            PgResult found,
            connection.Query(sql::kCheckpointExists,
                             PgParams().Int64(static_cast<std::int64_t>(checkpoint.tree_size))));
        exists = found.Int64(0) > 0;
        return {};
      },
      /*snapshot=*/false, /*writes=*/true));
  if (inserted > 0) return {};
  return Unexpected(CheckpointRefused(checkpoint, exists));
}

Result<app::BlobInfo> PgStore::PutBlob(std::string_view bytes, std::string_view media_type) {
  if (options_.read_only) return Unexpected(PermissionDenied("the store is open read-only"));
  ALIQUOT_RETURN_IF_ERROR(CheckNewBlob(bytes, media_type));
  return StoreBlob(bytes,
                   {Sha256::Of(bytes).Hex(), bytes.size(), std::string(media_type), clock_.Now()});
}

Status PgStore::ImportBlob(std::string_view bytes, const app::BlobInfo& info) {
  if (options_.read_only) return Unexpected(PermissionDenied("the store is open read-only"));
  ALIQUOT_RETURN_IF_ERROR(CheckImportedBlob(bytes, info));
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobInfo stored, StoreBlob(bytes, info));
  return CheckImportedAsGiven(stored, info);
}

Result<app::BlobInfo> PgStore::StoreBlob(std::string_view bytes, const app::BlobInfo& info) {
  const std::span<const std::uint8_t> content(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                              bytes.size());
  app::BlobInfo stored;
  // A pooled connection, not the writer: the ledger's commits need not wait while a large file
  // travels to the server, and rows of different tables do not contend.
  auto written = WithConnection(
      [&](PgConnection& connection) -> Status {
        // Pooled connections keep the server's defaults. The blob must be durable before this
        // returns, as an append is; and read committed, whatever the default, lets the select
        // below see a row another server committed while this insert waited on it.
        ALIQUOT_RETURN_IF_ERROR(
            connection.Exec("SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                            "SET LOCAL synchronous_commit = on"));
        ALIQUOT_RETURN_IF_ERROR(
            connection.Query(sql::kInsertBlob, PgParams()
                                                   .Text(info.sha256)
                                                   .Int64(static_cast<std::int64_t>(bytes.size()))
                                                   .Text(info.media_type)
                                                   .Int64(info.stored_at.Micros())
                                                   .Bytes(content)));
        // The row as stored: this one, or the first put of the same bytes. An insert of the same
        // bytes that was in flight elsewhere has committed by now (this one waited for it).
        ALIQUOT_ASSIGN_OR_RETURN(
            PgResult row, connection.Query(sql::kSelectBlobInfo, PgParams().Text(info.sha256)));
        if (row.Rows() != 1) {
          return Unexpected(Internal("the blob's row is missing just after its insert"));
        }
        stored = ReadBlobInfo(row.Row(0));
        return {};
      },
      /*snapshot=*/false, /*writes=*/true);
  if (!written) return Unexpected(written.error().WithContext("storing blob " + info.sha256));
  return stored;
}

Result<std::optional<app::BlobInfo>> PgStore::StatBlob(std::string_view sha256) {
  if (!IsBlobHash(sha256)) return std::optional<app::BlobInfo>();
  std::optional<app::BlobInfo> info;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult row,
                             connection.Query(sql::kSelectBlobInfo, PgParams().Text(sha256)));
    if (row.Rows() == 1) info = ReadBlobInfo(row.Row(0));
    return {};
  }));
  return info;
}

Result<std::optional<std::string>> PgStore::GetBlob(std::string_view sha256) {
  if (!IsBlobHash(sha256)) return std::optional<std::string>();
  std::optional<std::string> content;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    // Binary results: the bytea arrives as its bytes, with nothing to unescape.
    ALIQUOT_ASSIGN_OR_RETURN(PgResult row,
                             connection.Query(sql::kSelectBlobContent, PgParams().Text(sha256)));
    if (row.Rows() == 1) {
      const std::span<const std::uint8_t> bytes = row.Row(0).Blob(0);
      content.emplace(bytes.begin(), bytes.end());
    }
    return {};
  }));
  // Hashed after the connection went back to the pool: a large file holds none meanwhile.
  if (content) ALIQUOT_RETURN_IF_ERROR(CheckBlobContent(sha256, *content));
  return content;
}

Status PgStore::ScanBlobs(const std::function<Status(const app::BlobInfo&)>& visit) {
  std::vector<app::BlobInfo> infos;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(PgResult rows, connection.Query(kSelectAllBlobInfo));
    infos.reserve(static_cast<std::size_t>(rows.Rows()));
    for (int i = 0; i < rows.Rows(); ++i) infos.push_back(ReadBlobInfo(rows.Row(i)));
    return {};
  }));
  // Visited after the connection went back to the pool: a visitor that reads each blob (verify,
  // a copy) takes a pooled connection of its own.
  for (const app::BlobInfo& info : infos) ALIQUOT_RETURN_IF_ERROR(visit(info));
  return {};
}

Result<std::unique_ptr<PgConnection>> PgStore::OpenReader() {
  ALIQUOT_ASSIGN_OR_RETURN(auto connection,
                           PgConnection::Open(options_.url, options_.connect_timeout_seconds));
  // Readers never write: the server refuses it even if our code slipped. The one write a pooled
  // connection makes, a checkpoint, opens its own transaction read-write.
  ALIQUOT_RETURN_IF_ERROR(connection->Exec("SET default_transaction_read_only = on"));
  return connection;
}

Status PgStore::WithConnection(const std::function<Status(PgConnection&)>& work, bool snapshot,
                               bool writes) {
  std::unique_ptr<PgConnection> connection;
  {
    MutexLock lock(pool_mutex_);
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!connection) {
    ALIQUOT_ASSIGN_OR_RETURN(connection, OpenReader());
  }
  Status status;
  if (snapshot) {
    // Repeatable read takes its snapshot at the first statement: every read of `work` sees the
    // same committed state, whatever commits meanwhile.
    status = connection->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  } else if (writes) {
    status = connection->Exec("BEGIN READ WRITE");
  }
  if (status) status = work(*connection);
  if (connection->InTransaction() && !connection->Broken()) {
    const Status ended = connection->Exec(status && writes ? "COMMIT" : "ROLLBACK");
    if (status) status = ended;
  }
  if (connection->Broken()) return status;  // Dropped: the next caller opens a fresh one.
  MutexLock lock(pool_mutex_);
  if (idle_.size() < options_.pool_size) idle_.push_back(std::move(connection));
  return status;
}

Status PgStore::Read(const std::function<Status(app::StoreReader&)>& work) {
  return WithConnection(
      [&](PgConnection& connection) {
        Reader reader(connection, projection_sql_);
        return work(reader);
      },
      /*snapshot=*/true);
}

Result<std::uint64_t> PgStore::StreamHead(const ledger::StreamRef& stream) {
  std::uint64_t head = 0;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(head, Reader(connection, projection_sql_).StreamHead(stream));
    return {};
  }));
  return head;
}

Status PgStore::ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                           const app::EventVisitor& visit) {
  return WithConnection([&](PgConnection& connection) {
    return Reader(connection, projection_sql_).ScanEvents(from_seq, to_seq, visit);
  });
}

Result<std::vector<Hash256>> PgStore::EventHashes(std::uint64_t size) {
  std::vector<Hash256> hashes;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(hashes, Reader(connection, projection_sql_).EventHashes(size));
    return {};
  }));
  return hashes;
}

Result<std::vector<ledger::Checkpoint>> PgStore::Checkpoints() {
  std::vector<ledger::Checkpoint> checkpoints;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(checkpoints, Reader(connection, projection_sql_).Checkpoints());
    return {};
  }));
  return checkpoints;
}

Result<std::optional<ledger::Checkpoint>> PgStore::LatestCheckpoint() {
  std::optional<ledger::Checkpoint> latest;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(latest, Reader(connection, projection_sql_).LatestCheckpoint());
    return {};
  }));
  return latest;
}

Result<std::optional<app::Row>> PgStore::GetRow(const app::TableSpec& table, const app::Row& key) {
  std::optional<app::Row> row;
  ALIQUOT_RETURN_IF_ERROR(WithConnection([&](PgConnection& connection) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(row, Reader(connection, projection_sql_).GetRow(table, key));
    return {};
  }));
  return row;
}

Status PgStore::ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) {
  return WithConnection([&](PgConnection& connection) {
    return Reader(connection, projection_sql_).ScanRows(table, visit);
  });
}

Status PgStore::ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                                   const app::RowVisitor& visit) {
  return WithConnection([&](PgConnection& connection) {
    return Reader(connection, projection_sql_).ScanRowsWithPrefix(table, prefix, visit);
  });
}

Status PgStore::ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                             const app::RowVisitor& visit) {
  return WithConnection([&](PgConnection& connection) {
    return Reader(connection, projection_sql_).ScanRowRange(table, range, visit);
  });
}

}  // namespace aliquot::storage
