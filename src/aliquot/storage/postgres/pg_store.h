// PgStore: the Store port on PostgreSQL, for sites with several server processes, replication or
// high availability. Several processes may share one database and still write one ledger: the
// chain's tip (size, hash, time, Merkle frontier) is a row of ledger_head, and each commit holds
// its row lock from reading the tip to COMMIT, which orders commits across processes with no gap
// and no fork. Within a process, concurrent appenders share one transaction (app::GroupCommit),
// and nothing is acknowledged before COMMIT returns with synchronous_commit on. It is the
// BlobStore port too, on the same database, so every server sees every file.
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
#include "aliquot/storage/postgres/connection.h"
#include "aliquot/storage/sql/projection_sql.h"

namespace aliquot::storage {

struct PgStoreOptions {
  std::string url;  // postgresql://user@host:port/database
  // Read-only: verify and reports. Migrates and rebuilds nothing, refuses appends.
  bool read_only = false;
  // The most AppendRequests one transaction takes.
  std::size_t max_batch = 4096;
  // Idle reader connections kept open; more are opened when needed and closed after use. A
  // server keeps one for each connection it serves at once, and one for its checkpoints.
  std::size_t pool_size = 8;
  int connect_timeout_seconds = 10;
};

class PgStore final : public app::Store, public app::BlobStore {
 public:
  // Connects, applies missing migrations (unless read-only) and rebuilds the projections from the
  // ledger if their definition changed. Errors: kUnavailable (the server cannot be reached),
  // kFailedPrecondition (schema from a newer build, or a read-only open of an old one), kDataLoss
  // (the chain head disagrees with the events).
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options, Clock& clock,
                                               const app::Projector& projector);
  ~PgStore() override;

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
  class Reader;
  class Overlay;
  struct Tip;

  PgStore(PgStoreOptions options, Clock& clock, const app::Projector& projector)
      : options_(std::move(options)),
        clock_(clock),
        projector_(projector),
        projection_sql_(projector.Tables(), Dialect::kPostgres),
        group_commit_(options_.max_batch, [this](std::span<app::GroupCommit::Member* const> batch) {
          CommitBatch(batch);
        }) {}

  Status Initialise();
  Status EnsureProjections();
  Result<std::string> ReadMeta(std::string_view name) REQUIRES(commit_mutex_);
  Status RebuildIfStale(const std::string& fingerprint) REQUIRES(commit_mutex_);
  Status RebuildProjections(const std::string& fingerprint, const std::string& stored_tables)
      REQUIRES(commit_mutex_);
  Status CheckHead() EXCLUDES(commit_mutex_);
  Status CheckHeadInSnapshot() REQUIRES(commit_mutex_);
  void CommitBatch(std::span<app::GroupCommit::Member* const> batch) EXCLUDES(commit_mutex_);
  // Inside the writer's transaction: seals and applies the batch, writes it, and updates the tip.
  Status WriteBatch(std::span<app::GroupCommit::Member* const> batch, Tip& tip,
                    std::vector<ledger::Event>& written) REQUIRES(commit_mutex_);
  Status ImportLocked(std::span<const ledger::Event> events) REQUIRES(commit_mutex_);
  // The tip, locked until the transaction ends.
  Result<Tip> LockTip() REQUIRES(commit_mutex_);
  Status InsertEvents(std::span<const ledger::Event> events) REQUIRES(commit_mutex_);
  Status StoreTip(const Tip& tip) REQUIRES(commit_mutex_);
  // After COMMIT failed with the connection lost, the transaction may or may not have committed:
  // a fresh connection looks for the batch's last event to tell which.
  Result<bool> Committed(const ledger::Event& last) REQUIRES(commit_mutex_);
  // A writer connection that is open, replacing a lost one.
  Status ConnectWriter() REQUIRES(commit_mutex_);

  // Stores the blob `info` describes, durably, unless its hash is stored; returns the stored
  // row's description (this one, or the first).
  Result<app::BlobInfo> StoreBlob(std::string_view bytes, const app::BlobInfo& info);

  // Runs `work` with a pooled connection: with `snapshot`, inside one read-only repeatable-read
  // transaction; with `writes`, inside a read-write one that commits if `work` succeeds. A
  // connection found broken afterwards is dropped, not pooled, so the pool heals itself.
  Status WithConnection(const std::function<Status(PgConnection&)>& work, bool snapshot = false,
                        bool writes = false);
  Result<std::unique_ptr<PgConnection>> OpenReader();

  const PgStoreOptions options_;
  Clock& clock_;
  const app::Projector& projector_;
  const ProjectionSql projection_sql_;
  app::GroupCommit group_commit_;

  // The writer: held by the commit leader and by Import.
  Mutex commit_mutex_;
  std::unique_ptr<PgConnection> writer_ GUARDED_BY(commit_mutex_);

  Mutex stats_mutex_;
  app::StoreStats stats_ GUARDED_BY(stats_mutex_);

  Mutex pool_mutex_;
  std::vector<std::unique_ptr<PgConnection>> idle_ GUARDED_BY(pool_mutex_);
};

}  // namespace aliquot::storage
