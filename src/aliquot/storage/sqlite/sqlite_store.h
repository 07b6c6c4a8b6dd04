// SqliteStore: the Store and BlobStore ports on one SQLite file, the embedded default. WAL with
// synchronous=FULL, so a commit is on disk before it returns; concurrent appenders share one
// transaction and one sync (app::GroupCommit). One process writes (the data folder's server
// lock), so the chain's tip is kept in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/app/group_commit.h"
#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/mutex.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/connection.h"

namespace aliquot::storage {

struct SqliteStoreOptions {
  std::string path;
  OpenMode mode = OpenMode::kReadWrite;
  // SQLite's max_page_count: 0 leaves it unlimited; tests set it to simulate a full disk.
  std::int64_t max_page_count = 0;
  // The most AppendRequests one transaction takes.
  std::size_t max_batch = 4096;
};

class SqliteStore final : public app::Store, public app::BlobStore {
 public:
  // Opens (or with kReadWriteCreate creates) the store, applies missing migrations, and rebuilds
  // the projections from the ledger if their definition changed. Read-only opens migrate and
  // rebuild nothing and refuse a database that would need it. Errors: kNotFound (no file),
  // kDataLoss (not a database, corrupt), kFailedPrecondition (schema from a newer build).
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options, Clock& clock,
                                                   const app::Projector& projector);
  ~SqliteStore() override;

  Result<std::vector<ledger::Event>> Append(const app::AppendRequest& request) override;
  Status Import(std::span<const ledger::Event> events) override;
  Result<app::LedgerHead> Head() override;
  Status Read(const std::function<Status(app::StoreReader&)>& work) override;
  Status AddCheckpoint(const ledger::Checkpoint& checkpoint) override;
  app::StoreStats Stats() override;

  Result<std::uint64_t> StreamHead(const ledger::StreamRef& stream) override;
  Status ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                    const app::EventVisitor& visit) override;
  Result<std::vector<Hash256>> EventHashes(std::uint64_t size) override;
  Result<std::vector<ledger::Checkpoint>> Checkpoints() override;
  Result<std::optional<ledger::Checkpoint>> LatestCheckpoint() override;
  Result<std::optional<app::Row>> GetRow(const app::TableSpec& table, const app::Row& key) override;
  Status ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) override;
  Status ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                            const app::RowVisitor& visit) override;
  Status ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                      const app::RowVisitor& visit) override;

  // BlobStore. A sha256 that is not 64 lower-case hex digits names no blob: Stat and Get return
  // nullopt.
  Result<app::BlobInfo> PutBlob(std::string_view bytes, std::string_view media_type) override;
  Status ImportBlob(std::string_view bytes, const app::BlobInfo& info) override;
  Result<std::optional<app::BlobInfo>> StatBlob(std::string_view sha256) override;
  Result<std::optional<std::string>> GetBlob(std::string_view sha256) override;
  Status ScanBlobs(const std::function<Status(const app::BlobInfo&)>& visit) override;

 private:
  // The chain's tip as the writer sees it; only the commit leader touches it.
  struct Chain {
    std::uint64_t size = 0;
    Hash256 head_hash;
    Timestamp last_time;
    ledger::MerkleFrontier frontier;
  };
  class Reader;

  SqliteStore(SqliteStoreOptions options, Clock& clock, const app::Projector& projector)
      : options_(std::move(options)),
        clock_(clock),
        projector_(projector),
        projection_sql_(projector.Tables(), Dialect::kSqlite),
        group_commit_(options_.max_batch, [this](std::span<app::GroupCommit::Member* const> batch) {
          CommitBatch(batch);
        }) {}

  Status Initialise();
  Status EnsureProjections();
  Status RebuildProjections(const std::string& fingerprint, const std::string& stored_tables)
      REQUIRES(commit_mutex_);
  Status LoadChain();
  void CommitBatch(std::span<app::GroupCommit::Member* const> batch) EXCLUDES(commit_mutex_);
  // Publishes the writer's chain as the head readers see.
  void PublishHead() REQUIRES(commit_mutex_);
  Result<std::vector<ledger::Event>> ApplyUnit(const app::AppendRequest& request)
      REQUIRES(commit_mutex_);
  Status ImportUnit(std::span<const ledger::Event> events) REQUIRES(commit_mutex_);
  Status InsertEvent(const ledger::Event& event) REQUIRES(commit_mutex_);
  // Runs a statement without results through the writer's statement cache.
  Status RunCached(const std::string& sql) REQUIRES(commit_mutex_);
  // Stores the blob `info` describes in a transaction of its own, unless its hash is stored;
  // returns the stored row's description (this one, or the first).
  Result<app::BlobInfo> StoreBlob(std::string_view bytes, const app::BlobInfo& info)
      REQUIRES(commit_mutex_);
  // Inside StoreBlob's open transaction: inserts, reads the row back, and commits.
  Result<app::BlobInfo> InsertBlob(std::string_view bytes, const app::BlobInfo& info)
      REQUIRES(commit_mutex_);

  // Runs `work` with a reader connection from the pool; with `snapshot`, inside one read
  // transaction.
  Status WithReader(const std::function<Status(Reader&)>& work, bool snapshot = false);

  const SqliteStoreOptions options_;
  Clock& clock_;
  const app::Projector& projector_;
  const ProjectionSql projection_sql_;

  // Appenders queue here; one of them at a time leads a commit (CommitBatch).
  app::GroupCommit group_commit_;

  // The writer: held by the commit leader, and by AddCheckpoint.
  Mutex commit_mutex_;
  std::unique_ptr<Connection> writer_ GUARDED_BY(commit_mutex_);
  Chain chain_ GUARDED_BY(commit_mutex_);

  // What readers see of the head: published after each commit.
  Mutex head_mutex_;
  app::LedgerHead head_ GUARDED_BY(head_mutex_);
  app::StoreStats stats_ GUARDED_BY(head_mutex_);

  Mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> readers_ GUARDED_BY(pool_mutex_);
};

}  // namespace aliquot::storage
