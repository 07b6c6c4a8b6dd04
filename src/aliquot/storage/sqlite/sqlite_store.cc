#include "aliquot/storage/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include <sqlite3.h>

#include "aliquot/core/check.h"
#include "aliquot/core/sha256.h"
#include "aliquot/storage/sql/blobs.h"
#include "aliquot/storage/sql/names.h"
#include "aliquot/storage/sql/rows.h"
#include "aliquot/storage/sql/statements.h"
#include "aliquot/storage/sql/store_errors.h"
#include "aliquot/storage/sqlite/migrations.h"

namespace aliquot::storage {
namespace {

// Projection changes made through one connection (inside the writer's transaction).
class SqlProjectionWriter final : public app::ProjectionWriter {
 public:
  SqlProjectionWriter(Connection& connection, const ProjectionSql& sql)
      : connection_(connection), sql_(sql) {}

  Result<std::optional<app::Row>> Get(const app::TableSpec& table, const app::Row& key) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, key, table.key_columns));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(sql_.For(table, scratch).select_by_key));
    StatementScope scope(*select);
    for (std::size_t i = 0; i < key.size(); ++i) select->BindValue(static_cast<int>(i + 1), key[i]);
    ALIQUOT_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return std::optional<app::Row>();
    return std::optional<app::Row>(ReadProjectionRow(*select, table));
  }

  Status Upsert(const app::TableSpec& table, const app::Row& row) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, row, table.columns.size()));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(Statement * upsert,
                             connection_.Prepare(sql_.For(table, scratch).upsert));
    StatementScope scope(*upsert);
    for (std::size_t i = 0; i < row.size(); ++i) upsert->BindValue(static_cast<int>(i + 1), row[i]);
    return upsert->Run();
  }

  Status Delete(const app::TableSpec& table, const app::Row& key) override {
    ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, key, table.key_columns));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(Statement * remove,
                             connection_.Prepare(sql_.For(table, scratch).remove));
    StatementScope scope(*remove);
    for (std::size_t i = 0; i < key.size(); ++i) remove->BindValue(static_cast<int>(i + 1), key[i]);
    return remove->Run();
  }

 private:
  Connection& connection_;
  const ProjectionSql& sql_;
};

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Every blob's description, in sha256 order (SQLite's BINARY collation: byte order).
constexpr std::string_view kSelectAllBlobInfo =
    "SELECT sha256, size, media_type, stored_at_us FROM blobs ORDER BY sha256";

Status Configure(Connection& connection, const SqliteStoreOptions& options) {
  // busy_timeout first: another process (verify, a second server being refused) may hold a lock.
  ALIQUOT_RETURN_IF_ERROR(connection.Exec("PRAGMA busy_timeout = 10000"));
  if (options.mode != OpenMode::kReadOnly) {
    ALIQUOT_RETURN_IF_ERROR(connection.Exec("PRAGMA journal_mode = WAL"));
    // FULL: the WAL is synced at every commit, so an acknowledged append survives power loss.
    ALIQUOT_RETURN_IF_ERROR(connection.Exec("PRAGMA synchronous = FULL"));
  }
  if (options.max_page_count > 0) {
    ALIQUOT_RETURN_IF_ERROR(
        connection.Exec("PRAGMA max_page_count = " + std::to_string(options.max_page_count)));
  }
  return {};
}

}  // namespace

// A pooled read connection, implementing the read side over it.
class SqliteStore::Reader final : public app::StoreReader {
 public:
  Reader(Connection& connection, const ProjectionSql& sql) : connection_(connection), sql_(sql) {}

  Result<std::uint64_t> StreamHead(const ledger::StreamRef& stream) override {
    return StreamHeadOn(connection_, stream);
  }

  static Result<std::uint64_t> StreamHeadOn(Connection& connection,
                                            const ledger::StreamRef& stream) {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection.Prepare(std::string(sql::kSelectStreamHead)));
    StatementScope scope(*select);
    select->BindText(1, stream.type);
    select->BindText(2, stream.id);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    (void)row;
    return static_cast<std::uint64_t>(select->Int64(0));
  }

  Status ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                    const app::EventVisitor& visit) override {
    // seq is a signed 64-bit integer in SQLite: a bound past INT64_MAX must not wrap negative.
    if (from_seq >= to_seq || from_seq > static_cast<std::uint64_t>(INT64_MAX)) return {};
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectEventRange)));
    StatementScope scope(*select);
    select->BindInt64(1, static_cast<std::int64_t>(from_seq));
    select->BindInt64(2, static_cast<std::int64_t>(std::min<std::uint64_t>(to_seq, INT64_MAX)));
    ledger::Event event;
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return {};
      ReadEvent(*select, event);
      ALIQUOT_RETURN_IF_ERROR(visit(event));
    }
  }

  Result<std::vector<Hash256>> EventHashes(std::uint64_t size) override {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectEventHashes)));
    StatementScope scope(*select);
    select->BindInt64(1, static_cast<std::int64_t>(size));
    std::vector<Hash256> hashes;
    hashes.reserve(static_cast<std::size_t>(size));
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      hashes.push_back(ReadHash(*select, 0));
    }
    if (hashes.size() != size) {
      return Unexpected(NotFound("the ledger holds " + std::to_string(hashes.size()) +
                                 " events, fewer than " + std::to_string(size)));
    }
    return hashes;
  }

  Result<std::vector<ledger::Checkpoint>> Checkpoints() override {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectCheckpoints)));
    StatementScope scope(*select);
    std::vector<ledger::Checkpoint> checkpoints;
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return checkpoints;
      checkpoints.push_back(ReadCheckpoint(*select));
    }
  }

  Result<std::optional<ledger::Checkpoint>> LatestCheckpoint() override {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectLatestCheckpoint)));
    StatementScope scope(*select);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return std::optional<ledger::Checkpoint>();
    return std::optional<ledger::Checkpoint>(ReadCheckpoint(*select));
  }

  Result<std::optional<app::Row>> GetRow(const app::TableSpec& table,
                                         const app::Row& key) override {
    return SqlProjectionWriter(connection_, sql_).Get(table, key);
  }

  Status ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(sql_.For(table, scratch).scan));
    StatementScope scope(*select);
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return {};
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(*select, table)));
    }
  }

  Status ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                            const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string* sql, sql_.ScanPrefix(table, prefix, scratch));
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select, connection_.Prepare(*sql));
    StatementScope scope(*select);
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      select->BindValue(static_cast<int>(i + 1), prefix[i]);
    }
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return {};
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(*select, table)));
    }
  }

  Status ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                      const app::RowVisitor& visit) override {
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
    TableSql scratch;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string* sql, sql_.ScanRange(table, range, scratch));
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select, connection_.Prepare(*sql));
    StatementScope scope(*select);
    const std::size_t count = range.prefix.size();
    for (std::size_t i = 0; i < count; ++i) {
      select->BindValue(static_cast<int>(i + 1), range.prefix[i]);
    }
    select->BindInt64(static_cast<int>(count + 1), range.after);
    select->BindInt64(static_cast<int>(count + 2), range.before);
    select->BindInt64(static_cast<int>(count + 3), SqlLimit(range.limit));
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return {};
      ALIQUOT_RETURN_IF_ERROR(visit(ReadProjectionRow(*select, table)));
    }
  }

  Result<std::optional<app::BlobInfo>> StatBlob(std::string_view sha256) {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectBlobInfo)));
    StatementScope scope(*select);
    select->BindText(1, sha256);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return std::optional<app::BlobInfo>();
    return std::optional<app::BlobInfo>(ReadBlobInfo(*select));
  }

  // The stored bytes as they are, unchecked.
  Result<std::optional<std::string>> GetBlob(std::string_view sha256) {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(sql::kSelectBlobContent)));
    StatementScope scope(*select);
    select->BindText(1, sha256);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return std::optional<std::string>();
    const std::span<const std::uint8_t> content = select->Blob(0);
    return std::optional<std::string>(std::in_place, content.begin(), content.end());
  }

  Result<std::vector<app::BlobInfo>> BlobInfos() {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             connection_.Prepare(std::string(kSelectAllBlobInfo)));
    StatementScope scope(*select);
    std::vector<app::BlobInfo> infos;
    for (;;) {
      ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return infos;
      infos.push_back(ReadBlobInfo(*select));
    }
  }

 private:
  Connection& connection_;
  const ProjectionSql& sql_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options,
                                                       Clock& clock,
                                                       const app::Projector& projector) {
  for (const app::TableSpec& table : projector.Tables())
    ALIQUOT_RETURN_IF_ERROR(CheckTableSpec(table));
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, clock, projector));
  if (auto opened = store->Initialise(); !opened) {
    return Unexpected(opened.error().WithContext(options.path));
  }
  return store;
}

SqliteStore::~SqliteStore() {
  MutexLock lock(commit_mutex_);
  if (writer_) {
    // Folds the WAL into the database so the folder is one self-contained file at rest.
    (void)writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}

Status SqliteStore::Initialise() {
  ALIQUOT_ASSIGN_OR_RETURN(auto connection, Connection::Open(options_.path, options_.mode));
  ALIQUOT_RETURN_IF_ERROR(Configure(*connection, options_));
  {
    MutexLock lock(commit_mutex_);
    writer_ = std::move(connection);
    if (options_.mode == OpenMode::kReadOnly) {
      ALIQUOT_RETURN_IF_ERROR(RequireCurrentSchema(*writer_));
    } else {
      ALIQUOT_RETURN_IF_ERROR(Migrate(*writer_, clock_.Now()));
    }
  }
  ALIQUOT_RETURN_IF_ERROR(EnsureProjections());
  ALIQUOT_RETURN_IF_ERROR(LoadChain());
  MutexLock lock(commit_mutex_);
  if (options_.mode == OpenMode::kReadOnly) {
    // The read-only handle serves as the first pooled reader; nothing writes through it.
    MutexLock pool(pool_mutex_);
    readers_.push_back(std::move(writer_));
  }
  return {};
}

Status SqliteStore::EnsureProjections() {
  MutexLock lock(commit_mutex_);
  const std::string fingerprint = app::ProjectionSchemaFingerprint(projector_.Tables());
  ALIQUOT_ASSIGN_OR_RETURN(Statement * select, writer_->Prepare(std::string(sql::kSelectMeta)));
  const auto read_meta = [&](std::string_view name) -> Result<std::string> {
    StatementScope scope(*select);
    select->BindText(1, name);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    return row ? std::string(select->Text(0)) : std::string();
  };
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stored, read_meta(sql::kProjectionSchemaMeta));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string stored_tables, read_meta(sql::kProjectionTablesMeta));
  if (stored == fingerprint) return {};
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(FailedPrecondition(
        "the projections were built by another version of Aliquot; start 'aliquot serve' once "
        "to rebuild them from the ledger"));
  }
  // The definitions changed (or this is a new store): rebuild every projection from the ledger,
  // which is what projections are for. One transaction: a crash leaves the old ones in place.
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  if (auto rebuilt = RebuildProjections(fingerprint, stored_tables); !rebuilt) {
    (void)writer_->Exec("ROLLBACK");
    return Unexpected(rebuilt.error().WithContext("rebuilding projections"));
  }
  return {};
}

Status SqliteStore::RebuildProjections(const std::string& fingerprint,
                                       const std::string& stored_tables) {
  const ProjectionReset reset =
      ResetProjections(stored_tables, projector_.Tables(), Dialect::kSqlite);
  for (const std::string& statement : reset.statements) {
    ALIQUOT_RETURN_IF_ERROR(writer_->Exec(statement));
  }
  SqlProjectionWriter writer(*writer_, projection_sql_);
  Reader reader(*writer_, projection_sql_);
  ALIQUOT_RETURN_IF_ERROR(reader.ScanEvents(
      1, UINT64_MAX, [&](const ledger::Event& event) { return projector_.Apply(event, writer); }));
  ALIQUOT_ASSIGN_OR_RETURN(Statement * upsert, writer_->Prepare(std::string(sql::kUpsertMeta)));
  for (const auto& [name, value] :
       {std::pair<std::string_view, std::string>{sql::kProjectionSchemaMeta, fingerprint},
        std::pair<std::string_view, std::string>{sql::kProjectionTablesMeta, reset.table_list}}) {
    StatementScope scope(*upsert);
    upsert->BindText(1, name);
    upsert->BindText(2, value);
    ALIQUOT_RETURN_IF_ERROR(upsert->Run());
  }
  return writer_->Exec("COMMIT");
}

Status SqliteStore::LoadChain() {
  MutexLock lock(commit_mutex_);
  Chain chain;
  ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                           writer_->Prepare("SELECT seq, hash, time_us FROM events ORDER BY seq"));
  StatementScope scope(*select);
  for (;;) {
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    const auto seq = static_cast<std::uint64_t>(select->Int64(0));
    if (seq != chain.size + 1) {
      // A server must not extend a chain with a hole in it.
      return Unexpected(DataLoss("the ledger is damaged: seq " + std::to_string(chain.size + 1) +
                                 " is missing; run 'aliquot verify' for details"));
    }
    chain.size = seq;
    chain.head_hash = ReadHash(*select, 1);
    chain.last_time = Timestamp::FromMicros(select->Int64(2));
    chain.frontier.Append(chain.head_hash);
  }
  MutexLock head_lock(head_mutex_);
  head_ = {chain.size, chain.head_hash, chain.frontier.Root(), chain.last_time};
  chain_ = std::move(chain);
  return {};
}

Result<std::vector<ledger::Event>> SqliteStore::Append(const app::AppendRequest& request) {
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(PermissionDenied("the store is open read-only"));
  }
  // Validation needs no lock: a malformed request never joins a batch.
  ALIQUOT_RETURN_IF_ERROR(app::ValidateAppendRequest(request));
  return group_commit_.Submit(request);
}

void SqliteStore::CommitBatch(std::span<app::GroupCommit::Member* const> batch) {
  MutexLock lock(commit_mutex_);
  const auto started = std::chrono::steady_clock::now();
  const auto fail_all = [&](const Error& error) {
    for (app::GroupCommit::Member* member : batch) member->result = Unexpected(error);
  };
  if (auto begin = writer_->Exec("BEGIN IMMEDIATE"); !begin) {
    fail_all(begin.error());
    return;
  }
  const Chain before_batch = chain_;
  std::uint64_t accepted_events = 0;
  std::uint64_t rejected = 0;
  for (app::GroupCommit::Member* member : batch) {
    // The tip alone is saved per request: ApplyUnit leaves the Merkle frontier alone, and the
    // request's hashes join it only once its savepoint is released.
    const std::uint64_t size_before = chain_.size;
    const Hash256 head_before = chain_.head_hash;
    const Timestamp time_before = chain_.last_time;
    Status savepoint = RunCached("SAVEPOINT unit");
    auto applied = savepoint ? ApplyUnit(*member->request) : Unexpected(savepoint.error());
    if (applied) {
      savepoint = RunCached("RELEASE unit");
      if (savepoint) {
        for (const ledger::Event& event : *applied) chain_.frontier.Append(event.hash);
        accepted_events += applied->size();
        member->result = std::move(applied);
        continue;
      }
      applied = Unexpected(savepoint.error());
    }
    // This unit is refused; the others in the batch go on, unless SQLite ended the transaction
    // (it does on some I/O errors) or the savepoint cannot be rolled back.
    chain_.size = size_before;
    chain_.head_hash = head_before;
    chain_.last_time = time_before;
    member->result = Unexpected(applied.error());
    ++rejected;
    if (writer_->InAutocommit() || !RunCached("ROLLBACK TO unit") || !RunCached("RELEASE unit")) {
      (void)writer_->Exec("ROLLBACK");
      chain_ = before_batch;
      fail_all(applied.error());
      MutexLock head_lock(head_mutex_);
      stats_.rejected += batch.size();
      return;
    }
  }
  if (auto commit = writer_->Exec("COMMIT"); !commit) {
    (void)writer_->Exec("ROLLBACK");
    chain_ = before_batch;
    fail_all(commit.error());
    MutexLock head_lock(head_mutex_);
    stats_.rejected += batch.size();
    return;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  PublishHead();
  MutexLock head_lock(head_mutex_);
  stats_.appends += batch.size() - rejected;
  stats_.rejected += rejected;
  stats_.events += accepted_events;
  stats_.commits += 1;
  stats_.commit_seconds_total += elapsed.count();
}

Result<std::vector<ledger::Event>> SqliteStore::ApplyUnit(const app::AppendRequest& request) {
  for (const app::StreamExpectation& expectation : request.expectations) {
    ALIQUOT_ASSIGN_OR_RETURN(std::uint64_t head,
                             Reader::StreamHeadOn(*writer_, expectation.stream));
    if (head != expectation.last_seq) {
      return Unexpected(StreamMoved(expectation.stream, head, expectation.last_seq));
    }
  }
  SqlProjectionWriter projections(*writer_, projection_sql_);
  std::vector<ledger::Event> sealed;
  sealed.reserve(request.events.size());
  for (const ledger::NewEvent& event : request.events) {
    // AL-01: server time, and never earlier than the event before it, even if the system clock
    // steps back.
    const Timestamp now = std::max(clock_.Now(), chain_.last_time);
    ledger::Event next = ledger::SealEvent(event, chain_.size + 1, now, chain_.head_hash);
    ALIQUOT_RETURN_IF_ERROR(InsertEvent(next));
    ALIQUOT_RETURN_IF_ERROR(projector_.Apply(next, projections));
    chain_.size = next.seq;
    chain_.head_hash = next.hash;
    chain_.last_time = next.time;
    sealed.push_back(std::move(next));
  }
  return sealed;
}

Status SqliteStore::RunCached(const std::string& sql) {
  ALIQUOT_ASSIGN_OR_RETURN(Statement * statement, writer_->Prepare(sql));
  StatementScope scope(*statement);
  return statement->Run();
}

Status SqliteStore::InsertEvent(const ledger::Event& event) {
  // Built once: this runs for every event appended.
  static const std::string kInsert(sql::kInsertEvent);
  ALIQUOT_ASSIGN_OR_RETURN(Statement * insert, writer_->Prepare(kInsert));
  StatementScope scope(*insert);
  insert->BindInt64(1, static_cast<std::int64_t>(event.seq));
  insert->BindText(2, event.stream.type);
  insert->BindText(3, event.stream.id);
  insert->BindText(4, event.event_type);
  insert->BindText(5, event.payload);
  insert->BindText(6, event.actor.id);
  insert->BindText(7, event.actor.name);
  insert->BindText(8, event.terminal);
  insert->BindInt64(9, event.time.Micros());
  if (event.reason) {
    insert->BindText(10, *event.reason);
  } else {
    insert->BindNull(10);
  }
  insert->BindBlob(11, event.prev_hash.bytes);
  insert->BindBlob(12, event.hash.bytes);
  return insert->Run();
}

void SqliteStore::PublishHead() {
  MutexLock head_lock(head_mutex_);
  head_ = {chain_.size, chain_.head_hash, chain_.frontier.Root(), chain_.last_time};
}

Status SqliteStore::Import(std::span<const ledger::Event> events) {
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(PermissionDenied("the store is open read-only"));
  }
  MutexLock lock(commit_mutex_);
  const Chain before = chain_;
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  Status imported = ImportUnit(events);
  if (imported) imported = writer_->Exec("COMMIT");
  if (!imported) {
    (void)writer_->Exec("ROLLBACK");
    chain_ = before;
    return imported;
  }
  PublishHead();
  return {};
}

Status SqliteStore::ImportUnit(std::span<const ledger::Event> events) {
  SqlProjectionWriter projections(*writer_, projection_sql_);
  for (const ledger::Event& event : events) {
    ALIQUOT_RETURN_IF_ERROR(
        ledger::CheckContinuesChain(event, chain_.size, chain_.head_hash, chain_.last_time));
    ALIQUOT_RETURN_IF_ERROR(InsertEvent(event));
    if (auto applied = projector_.Apply(event, projections); !applied) {
      return Unexpected(applied.error().WithContext("event seq " + std::to_string(event.seq)));
    }
    chain_.size = event.seq;
    chain_.head_hash = event.hash;
    chain_.last_time = event.time;
    chain_.frontier.Append(event.hash);
  }
  return {};
}

Result<app::LedgerHead> SqliteStore::Head() {
  MutexLock lock(head_mutex_);
  return head_;
}

app::StoreStats SqliteStore::Stats() {
  MutexLock lock(head_mutex_);
  return stats_;
}

Status SqliteStore::AddCheckpoint(const ledger::Checkpoint& checkpoint) {
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(PermissionDenied("the store is open read-only"));
  }
  MutexLock lock(commit_mutex_);
  ALIQUOT_ASSIGN_OR_RETURN(Statement * insert,
                           writer_->Prepare(std::string(sql::kInsertCheckpoint)));
  StatementScope scope(*insert);
  insert->BindInt64(1, static_cast<std::int64_t>(checkpoint.tree_size));
  insert->BindBlob(2, checkpoint.root_hash.bytes);
  insert->BindInt64(3, checkpoint.time.Micros());
  insert->BindBlob(4, checkpoint.key_id.bytes);
  insert->BindBlob(5, checkpoint.signature);
  ALIQUOT_RETURN_IF_ERROR(insert->Run());
  if (sqlite3_changes(writer_->Handle()) > 0) return {};
  ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                           writer_->Prepare(std::string(sql::kCheckpointExists)));
  StatementScope select_scope(*select);
  select->BindInt64(1, static_cast<std::int64_t>(checkpoint.tree_size));
  ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
  return Unexpected(CheckpointRefused(checkpoint, row && select->Int64(0) > 0));
}

Result<app::BlobInfo> SqliteStore::PutBlob(std::string_view bytes, std::string_view media_type) {
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(PermissionDenied("the store is open read-only"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckNewBlob(bytes, media_type));
  // Hashed before taking the writer, which appenders wait for meanwhile.
  app::BlobInfo info{Sha256::Of(bytes).Hex(), bytes.size(), std::string(media_type), {}};
  MutexLock lock(commit_mutex_);
  // The time is read under the writer's lock, as an append's is.
  info.stored_at = clock_.Now();
  return StoreBlob(bytes, info);
}

Status SqliteStore::ImportBlob(std::string_view bytes, const app::BlobInfo& info) {
  if (options_.mode == OpenMode::kReadOnly) {
    return Unexpected(PermissionDenied("the store is open read-only"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckImportedBlob(bytes, info));
  MutexLock lock(commit_mutex_);
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobInfo stored, StoreBlob(bytes, info));
  return CheckImportedAsGiven(stored, info);
}

Result<app::BlobInfo> SqliteStore::StoreBlob(std::string_view bytes, const app::BlobInfo& info) {
  // Through the writer, under commit_mutex_, rather than a connection of its own: SQLite lets
  // one connection at a time write to a file, so a second one would only wait for the write lock
  // in busy_timeout's sleeps, and make the next group commit wait for it the same way. Here the
  // blob's transaction takes its turn between two group commits, and is synced as theirs are
  // (WAL, synchronous=FULL) before this returns.
  // One transaction for the insert and the read back, so what is returned is what was stored.
  if (auto begun = writer_->Exec("BEGIN IMMEDIATE"); !begun) {
    return Unexpected(begun.error().WithContext("storing blob " + info.sha256));
  }
  auto stored = InsertBlob(bytes, info);
  if (!stored) {
    if (!writer_->InAutocommit()) (void)writer_->Exec("ROLLBACK");
    return Unexpected(stored.error().WithContext("storing blob " + info.sha256));
  }
  return stored;
}

Result<app::BlobInfo> SqliteStore::InsertBlob(std::string_view bytes, const app::BlobInfo& info) {
  {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * insert, writer_->Prepare(std::string(sql::kInsertBlob)));
    StatementScope scope(*insert);
    insert->BindText(1, info.sha256);
    insert->BindInt64(2, static_cast<std::int64_t>(bytes.size()));
    insert->BindText(3, info.media_type);
    insert->BindInt64(4, info.stored_at.Micros());
    insert->BindBlob(5, AsBytes(bytes));
    ALIQUOT_RETURN_IF_ERROR(insert->Run());
  }
  // The row as stored: this one, or the first put of the same bytes.
  app::BlobInfo stored;
  {
    ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                             writer_->Prepare(std::string(sql::kSelectBlobInfo)));
    StatementScope scope(*select);
    select->BindText(1, info.sha256);
    ALIQUOT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return Unexpected(Internal("the blob's row is missing just after its insert"));
    stored = ReadBlobInfo(*select);
  }
  ALIQUOT_RETURN_IF_ERROR(writer_->Exec("COMMIT"));
  return stored;
}

Result<std::optional<app::BlobInfo>> SqliteStore::StatBlob(std::string_view sha256) {
  if (!IsBlobHash(sha256)) return std::optional<app::BlobInfo>();
  std::optional<app::BlobInfo> info;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(info, reader.StatBlob(sha256));
    return {};
  }));
  return info;
}

Result<std::optional<std::string>> SqliteStore::GetBlob(std::string_view sha256) {
  if (!IsBlobHash(sha256)) return std::optional<std::string>();
  std::optional<std::string> content;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(content, reader.GetBlob(sha256));
    return {};
  }));
  // Hashed after the reader went back to the pool: a large file holds no connection meanwhile.
  if (content) ALIQUOT_RETURN_IF_ERROR(CheckBlobContent(sha256, *content));
  return content;
}

Status SqliteStore::ScanBlobs(const std::function<Status(const app::BlobInfo&)>& visit) {
  std::vector<app::BlobInfo> infos;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(infos, reader.BlobInfos());
    return {};
  }));
  // Visited after the reader went back to the pool: a visitor that reads each blob (verify, a
  // copy) holds no read transaction open meanwhile, which would keep the WAL from being folded.
  for (const app::BlobInfo& info : infos) ALIQUOT_RETURN_IF_ERROR(visit(info));
  return {};
}

Status SqliteStore::WithReader(const std::function<Status(Reader&)>& work, bool snapshot) {
  std::unique_ptr<Connection> connection;
  {
    MutexLock lock(pool_mutex_);
    if (!readers_.empty()) {
      connection = std::move(readers_.back());
      readers_.pop_back();
    }
  }
  if (!connection) {
    ALIQUOT_ASSIGN_OR_RETURN(connection, Connection::Open(options_.path, OpenMode::kReadOnly));
    ALIQUOT_RETURN_IF_ERROR(connection->Exec("PRAGMA busy_timeout = 10000"));
  }
  Reader reader(*connection, projection_sql_);
  Status status;
  if (snapshot) {
    // In WAL mode a read transaction sees the database as of its first read, whatever commits
    // afterwards: that first read happens here, before `work` runs.
    status = connection->Exec("BEGIN");
    if (status) status = connection->Exec("SELECT count(*) FROM store_meta");
  }
  if (status) status = work(reader);
  if (!connection->InAutocommit()) (void)connection->Exec("ROLLBACK");
  MutexLock lock(pool_mutex_);
  readers_.push_back(std::move(connection));
  return status;
}

Status SqliteStore::Read(const std::function<Status(app::StoreReader&)>& work) {
  return WithReader([&](Reader& reader) { return work(reader); }, /*snapshot=*/true);
}

Result<std::uint64_t> SqliteStore::StreamHead(const ledger::StreamRef& stream) {
  std::uint64_t head = 0;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(head, reader.StreamHead(stream));
    return {};
  }));
  return head;
}

Status SqliteStore::ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                               const app::EventVisitor& visit) {
  return WithReader([&](Reader& reader) { return reader.ScanEvents(from_seq, to_seq, visit); });
}

Result<std::vector<Hash256>> SqliteStore::EventHashes(std::uint64_t size) {
  std::vector<Hash256> hashes;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(hashes, reader.EventHashes(size));
    return {};
  }));
  return hashes;
}

Result<std::vector<ledger::Checkpoint>> SqliteStore::Checkpoints() {
  std::vector<ledger::Checkpoint> checkpoints;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(checkpoints, reader.Checkpoints());
    return {};
  }));
  return checkpoints;
}

Result<std::optional<ledger::Checkpoint>> SqliteStore::LatestCheckpoint() {
  std::optional<ledger::Checkpoint> latest;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(latest, reader.LatestCheckpoint());
    return {};
  }));
  return latest;
}

Result<std::optional<app::Row>> SqliteStore::GetRow(const app::TableSpec& table,
                                                    const app::Row& key) {
  std::optional<app::Row> row;
  ALIQUOT_RETURN_IF_ERROR(WithReader([&](Reader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(row, reader.GetRow(table, key));
    return {};
  }));
  return row;
}

Status SqliteStore::ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) {
  return WithReader([&](Reader& reader) { return reader.ScanRows(table, visit); });
}

Status SqliteStore::ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                                       const app::RowVisitor& visit) {
  return WithReader(
      [&](Reader& reader) { return reader.ScanRowsWithPrefix(table, prefix, visit); });
}

Status SqliteStore::ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                                 const app::RowVisitor& visit) {
  return WithReader([&](Reader& reader) { return reader.ScanRowRange(table, range, visit); });
}

}  // namespace aliquot::storage
