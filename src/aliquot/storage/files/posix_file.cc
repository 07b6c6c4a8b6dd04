#include "aliquot/storage/files/posix_file.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aliquot::storage {

Error ErrnoError(const std::string& what, const std::filesystem::path& path) {
  const int code = errno;
  // std::error_code's message is thread-safe where strerror is not.
  std::string message = "cannot " + what + " " + path.string() + ": " +
                        std::error_code(code, std::generic_category()).message();
  switch (code) {
    case ENOENT:
      return NotFound(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDenied(message);
    case ENOSPC:
    case EDQUOT:
    case EIO:
      return Unavailable(message);
    default:
      return Internal(message);
  }
}

Status SyncFolder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Unexpected(ErrnoError("open folder", folder));
  const int synced = ::fsync(fd);
  Error error = synced != 0 ? ErrnoError("sync folder", folder) : Internal("");
  ::close(fd);
  if (synced != 0) return Unexpected(error);
  return {};
}

Status WriteFileDurably(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Unexpected(ErrnoError("create", temporary));
  // The mode given to open is filtered by the umask; set it exactly.
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t written = ::write(fd, content.data() + done, content.size() - done);
    if (written < 0 && errno == EINTR) continue;
    ok = written > 0;
    if (ok) done += static_cast<std::size_t>(written);
  }
  ok = ok && ::fsync(fd) == 0;
  Error error = ok ? Internal("") : ErrnoError("write", temporary);
  ::close(fd);
  if (!ok) {
    ::unlink(temporary.c_str());
    return Unexpected(error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    error = ErrnoError("rename into place", path);
    ::unlink(temporary.c_str());
    return Unexpected(error);
  }
  return SyncFolder(path.parent_path().empty() ? "." : path.parent_path());
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(ErrnoError("open", path));
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      Error error = ErrnoError("read", path);
      ::close(fd);
      return Unexpected(error);
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > max_bytes) {
      ::close(fd);
      return Unexpected(InvalidArgument(path.string() + " is larger than " +
                                        std::to_string(max_bytes) + " bytes"));
    }
  }
  ::close(fd);
  return content;
}

namespace {

std::string OctalMode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

}  // namespace

Result<std::string> ReadKeyFile(const std::filesystem::path& path, const std::string& missing) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Unexpected(NotFound(missing));
    return Unexpected(PermissionDenied("cannot examine the key file " + path.string() + ": " +
                                       std::error_code(errno, std::generic_category()).message()));
  }
  if ((info.st_mode & 077) != 0) {
    return Unexpected(FailedPrecondition(
        "the key file " + path.string() + " has permissions " + OctalMode(info.st_mode) +
        "; it must be readable by its owner only: chmod 600 " + path.string()));
  }
  if (info.st_uid != ::geteuid()) {
    return Unexpected(FailedPrecondition("the key file " + path.string() +
                                         " belongs to another user (uid " +
                                         std::to_string(info.st_uid) + ")"));
  }
  constexpr std::size_t kMaxKeyFileBytes = 4096;
  auto read = ReadSmallFile(path, kMaxKeyFileBytes);
  if (!read && read.error().Code() == ErrorCode::kInvalidArgument) {
    return Unexpected(
        DataLoss("the key file " + path.string() + " is corrupt: it is far too large"));
  }
  return read;
}

}  // namespace aliquot::storage
