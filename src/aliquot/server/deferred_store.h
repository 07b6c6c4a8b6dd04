// DeferredStore: the Store a server answers with while its database is still unreachable. Every
// call fails with kUnavailable, saying why, until the real store is attached; from then on every
// call goes to it. So the HTTP server can start first, and /healthz says "unavailable" (503) until
// the database is back, instead of the process exiting.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/core/mutex.h"

namespace aliquot::server {

class DeferredStore final : public app::Store, public app::BlobStore {
 public:
  // Why the store is not there yet, for the errors callers see meanwhile.
  void SetReason(const std::string& reason);
  // Attaches the real store and its blob store (the same database); once.
  void Attach(std::unique_ptr<app::Store> store, app::BlobStore& blobs);

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

  Result<app::BlobInfo> PutBlob(std::string_view bytes, std::string_view media_type) override;
  Status ImportBlob(std::string_view bytes, const app::BlobInfo& info) override;
  Result<std::optional<app::BlobInfo>> StatBlob(std::string_view sha256) override;
  Result<std::optional<std::string>> GetBlob(std::string_view sha256) override;
  Status ScanBlobs(const std::function<Status(const app::BlobInfo&)>& visit) override;

 private:
  // The attached store, or the error to answer with.
  Result<app::Store*> Get();
  Result<app::BlobStore*> GetBlobs();

  Mutex mutex_;
  std::unique_ptr<app::Store> store_ GUARDED_BY(mutex_);
  app::BlobStore* blobs_ GUARDED_BY(mutex_) = nullptr;
  std::string reason_ GUARDED_BY(mutex_) = "the database is not open yet";
};

}  // namespace aliquot::server
