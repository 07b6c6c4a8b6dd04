// DataFolder: the on-disk layout of one installation (database, signing key, lock) and the
// server lock that keeps a second server off the same folder. FolderExportWriter writes exports.
#pragma once

#include <filesystem>
#include <memory>

#include "aliquot/app/ports/export_writer.h"
#include "aliquot/core/result.h"

namespace aliquot::storage {

class DataFolder {
 public:
  // For `aliquot init`: creates the folder (0700) and its keys/ subfolder. Returns kAlreadyExists
  // if it already holds a database or a signing key.
  static Result<DataFolder> Create(const std::filesystem::path& root);
  // An initialised folder: it holds an embedded database, a signing key (a server whose database
  // is PostgreSQL), or both. Returns kNotFound, saying to run init, otherwise.
  static Result<DataFolder> Existing(const std::filesystem::path& root);

  const std::filesystem::path& Root() const { return root_; }
  std::filesystem::path Database() const { return root_ / "aliquot.db"; }
  std::filesystem::path SigningKey() const { return root_ / "keys" / "checkpoint.key"; }
  std::filesystem::path CredentialKey() const { return root_ / "keys" / "credentials.key"; }
  std::filesystem::path LockFile() const { return root_ / "aliquot.lock"; }

 private:
  explicit DataFolder(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

// An exclusive lock on a data folder, held while a server runs. A second server is refused with
// the first one's process id.
class ServerLock {
 public:
  static Result<std::unique_ptr<ServerLock>> Acquire(const DataFolder& folder);
  ~ServerLock();
  ServerLock(const ServerLock&) = delete;
  ServerLock& operator=(const ServerLock&) = delete;

 private:
  explicit ServerLock(int fd) : fd_(fd) {}
  int fd_;
};

// Writes an export into a new, empty folder; each file appears only when complete and synced.
class FolderExportWriter final : public app::ExportWriter {
 public:
  // Creates `folder`. Returns kAlreadyExists if it exists and is not empty.
  static Result<std::unique_ptr<FolderExportWriter>> Create(const std::filesystem::path& folder);
  Result<std::unique_ptr<app::ExportFile>> Create(const std::string& name) override;

 private:
  explicit FolderExportWriter(std::filesystem::path folder) : folder_(std::move(folder)) {}
  std::filesystem::path folder_;
};

}  // namespace aliquot::storage
