#include "aliquot/storage/files/data_folder.h"

#include <cerrno>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliquot/storage/files/posix_file.h"

namespace aliquot::storage {
namespace {

Status MakeFolder(const std::filesystem::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return Unexpected(ErrnoError("create folder", path));
  }
  if (!std::filesystem::is_directory(path)) {
    return Unexpected(FailedPrecondition(path.string() + " exists and is not a folder"));
  }
  return {};
}

class PosixExportFile final : public app::ExportFile {
 public:
  PosixExportFile(int fd, std::filesystem::path partial, std::filesystem::path final_path)
      : fd_(fd), partial_(std::move(partial)), final_(std::move(final_path)) {}
  ~PosixExportFile() override {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(partial_.c_str());
    }
  }
  PosixExportFile(const PosixExportFile&) = delete;
  PosixExportFile& operator=(const PosixExportFile&) = delete;

  Status Append(std::string_view bytes) override {
    buffer_.append(bytes);
    if (buffer_.size() >= (1U << 20)) return Flush();
    return {};
  }

  Status Commit() override {
    ALIQUOT_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return Unexpected(ErrnoError("sync", partial_));
    ::close(fd_);
    fd_ = -1;
    if (::rename(partial_.c_str(), final_.c_str()) != 0) {
      return Unexpected(ErrnoError("rename into place", final_));
    }
    return SyncFolder(final_.parent_path());
  }

 private:
  Status Flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t written = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return Unexpected(ErrnoError("write", partial_));
      done += static_cast<std::size_t>(written);
    }
    buffer_.clear();
    return {};
  }

  int fd_;
  std::filesystem::path partial_;
  std::filesystem::path final_;
  std::string buffer_;
};

}  // namespace

Result<DataFolder> DataFolder::Create(const std::filesystem::path& root) {
  DataFolder folder(root);
  if (std::filesystem::exists(folder.Database()) || std::filesystem::exists(folder.SigningKey())) {
    return Unexpected(AlreadyExists(root.string() + " is already an initialised data folder"));
  }
  // 0700: the folder holds the signing key and every record.
  ALIQUOT_RETURN_IF_ERROR(MakeFolder(root, 0700));
  ALIQUOT_RETURN_IF_ERROR(MakeFolder(root / "keys", 0700));
  return folder;
}

Result<DataFolder> DataFolder::Existing(const std::filesystem::path& root) {
  DataFolder folder(root);
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) {
    return Unexpected(NotFound("there is no data folder at " + root.string() +
                               "; create one with 'aliquot init --data " + root.string() + "'"));
  }
  // A folder whose database is PostgreSQL holds only the key; an embedded one both.
  if (!std::filesystem::exists(folder.Database(), error) &&
      !std::filesystem::exists(folder.SigningKey(), error)) {
    return Unexpected(NotFound(root.string() +
                               " is not an initialised data folder (no aliquot.db, no signing "
                               "key); create one with 'aliquot init --data " +
                               root.string() + "'"));
  }
  return folder;
}

Result<std::unique_ptr<ServerLock>> ServerLock::Acquire(const DataFolder& folder) {
  const std::filesystem::path path = folder.LockFile();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unexpected(ErrnoError("open the lock file", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    char buffer[32] = {};
    if (::pread(fd, buffer, sizeof buffer - 1, 0) > 0) holder = std::string(buffer);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    return Unexpected(FailedPrecondition(
        "another Aliquot server" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
        " is using the data folder " + folder.Root().string() + "; stop it first"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    Error error = ErrnoError("write the lock file", path);
    ::close(fd);
    return Unexpected(error);
  }
  return std::unique_ptr<ServerLock>(new ServerLock(fd));
}

ServerLock::~ServerLock() {
  if (::ftruncate(fd_, 0) != 0) {
    // The pid left behind is only informative; the lock itself ends with the descriptor.
  }
  ::close(fd_);
}

Result<std::unique_ptr<FolderExportWriter>> FolderExportWriter::Create(
    const std::filesystem::path& folder) {
  std::error_code error;
  if (std::filesystem::exists(folder, error) && !std::filesystem::is_empty(folder, error)) {
    return Unexpected(AlreadyExists("the export folder " + folder.string() +
                                    " exists and is not empty; choose a new folder"));
  }
  ALIQUOT_RETURN_IF_ERROR(MakeFolder(folder, 0755));
  return std::unique_ptr<FolderExportWriter>(new FolderExportWriter(folder));
}

Result<std::unique_ptr<app::ExportFile>> FolderExportWriter::Create(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.starts_with(".")) {
    return Unexpected(InvalidArgument("export file name '" + name + "' is not a plain file name"));
  }
  const std::filesystem::path final_path = folder_ / name;
  if (std::filesystem::exists(final_path)) {
    return Unexpected(AlreadyExists(final_path.string() + " exists"));
  }
  const std::filesystem::path partial = folder_ / ("." + name + ".partial");
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unexpected(ErrnoError("create", partial));
  return std::unique_ptr<app::ExportFile>(new PosixExportFile(fd, partial, final_path));
}

}  // namespace aliquot::storage
