// DeferredStore: the Store a server answers with while its database is still unreachable. Every
// call fails with kUnavailable, saying why, until the real store is attached; from then on every
// call goes to it. So the HTTP server can start first, and /healthz says "unavailable" (503) until
// the database is back, instead of the process exiting.
#pragma once

#include <memory>
#include <string>

#include "aliquot/app/ports/store.h"
#include "aliquot/core/mutex.h"

namespace aliquot::server {

class DeferredStore final : public app::Store {
 public:
  // Why the store is not there yet, for the errors callers see meanwhile.
  void SetReason(const std::string& reason);
  // Attaches the real store; once, before which it must not be used through this object.
  void Attach(std::unique_ptr<app::Store> store);

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

 private:
  // The attached store, or the error to answer with.
  Result<app::Store*> Get();

  Mutex mutex_;
  std::unique_ptr<app::Store> store_ GUARDED_BY(mutex_);
  std::string reason_ GUARDED_BY(mutex_) = "the database is not open yet";
};

}  // namespace aliquot::server
