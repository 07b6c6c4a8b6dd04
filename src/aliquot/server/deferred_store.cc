#include "aliquot/server/deferred_store.h"

namespace aliquot::server {

void DeferredStore::SetReason(const std::string& reason) {
  MutexLock lock(mutex_);
  reason_ = reason;
}

void DeferredStore::Attach(std::unique_ptr<app::Store> store, app::BlobStore& blobs) {
  MutexLock lock(mutex_);
  store_ = std::move(store);
  blobs_ = &blobs;
}

Result<app::BlobStore*> DeferredStore::GetBlobs() {
  MutexLock lock(mutex_);
  if (blobs_ == nullptr) return Unexpected(Unavailable(reason_));
  return blobs_;
}

Result<app::BlobInfo> DeferredStore::PutBlob(std::string_view bytes, std::string_view media_type) {
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobStore * blobs, GetBlobs());
  return blobs->PutBlob(bytes, media_type);
}

Status DeferredStore::ImportBlob(std::string_view bytes, const app::BlobInfo& info) {
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobStore * blobs, GetBlobs());
  return blobs->ImportBlob(bytes, info);
}

Result<std::optional<app::BlobInfo>> DeferredStore::StatBlob(std::string_view sha256) {
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobStore * blobs, GetBlobs());
  return blobs->StatBlob(sha256);
}

Result<std::optional<std::string>> DeferredStore::GetBlob(std::string_view sha256) {
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobStore * blobs, GetBlobs());
  return blobs->GetBlob(sha256);
}

Status DeferredStore::ScanBlobs(const std::function<Status(const app::BlobInfo&)>& visit) {
  ALIQUOT_ASSIGN_OR_RETURN(app::BlobStore * blobs, GetBlobs());
  return blobs->ScanBlobs(visit);
}

Result<app::Store*> DeferredStore::Get() {
  MutexLock lock(mutex_);
  if (!store_) return Unexpected(Unavailable(reason_));
  // The store is attached once and lives as long as this object: the pointer stays valid after
  // the lock is released.
  return store_.get();
}

Result<std::vector<ledger::Event>> DeferredStore::Append(const app::AppendRequest& request) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->Append(request);
}

Status DeferredStore::Import(std::span<const ledger::Event> events) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->Import(events);
}

Result<app::LedgerHead> DeferredStore::Head() {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->Head();
}

Status DeferredStore::Read(const std::function<Status(app::StoreReader&)>& work) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->Read(work);
}

Status DeferredStore::AddCheckpoint(const ledger::Checkpoint& checkpoint) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->AddCheckpoint(checkpoint);
}

app::StoreStats DeferredStore::Stats() {
  auto store = Get();
  return store ? (*store)->Stats() : app::StoreStats{};
}

Result<std::uint64_t> DeferredStore::StreamHead(const ledger::StreamRef& stream) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->StreamHead(stream);
}

Status DeferredStore::ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                                 const app::EventVisitor& visit) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->ScanEvents(from_seq, to_seq, visit);
}

Result<std::vector<Hash256>> DeferredStore::EventHashes(std::uint64_t size) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->EventHashes(size);
}

Result<std::vector<ledger::Checkpoint>> DeferredStore::Checkpoints() {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->Checkpoints();
}

Result<std::optional<ledger::Checkpoint>> DeferredStore::LatestCheckpoint() {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->LatestCheckpoint();
}

Result<std::optional<app::Row>> DeferredStore::GetRow(const app::TableSpec& table,
                                                      const app::Row& key) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->GetRow(table, key);
}

Status DeferredStore::ScanRows(const app::TableSpec& table, const app::RowVisitor& visit) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->ScanRows(table, visit);
}

Status DeferredStore::ScanRowsWithPrefix(const app::TableSpec& table, const app::Row& prefix,
                                         const app::RowVisitor& visit) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->ScanRowsWithPrefix(table, prefix, visit);
}

Status DeferredStore::ScanRowRange(const app::TableSpec& table, const app::RowRange& range,
                                   const app::RowVisitor& visit) {
  ALIQUOT_ASSIGN_OR_RETURN(app::Store * store, Get());
  return store->ScanRowRange(table, range, visit);
}

}  // namespace aliquot::server
