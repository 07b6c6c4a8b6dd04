// Small POSIX file helpers shared by the files adapter: durable whole-file writes (temporary file,
// fsync, rename, fsync of the folder) and bounded reads.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "aliquot/core/result.h"

namespace aliquot::storage {

// Writes `content` to `path` atomically with `mode`: readers see the old file or the new one,
// never a part, and after return it survives a crash. Returns kUnavailable on I/O errors (disk
// full), kPermissionDenied when the folder is not writable.
Status WriteFileDurably(const std::filesystem::path& path, std::string_view content, mode_t mode);

// Reads a file of at most `max_bytes`. Returns kNotFound, kPermissionDenied or kInvalidArgument
// (too large) with the path in the message.
Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes);

// Reads a key file, which only its owner may read (whoever can read a key can sign or unseal with
// it), of at most 4 KiB. Returns kNotFound with `missing` when there is none, kPermissionDenied
// when it cannot be examined, kFailedPrecondition when group or others may read it (naming the
// chmod that fixes it) or another user owns it, kDataLoss when it is too large to be a key, and
// the I/O errors of ReadSmallFile.
Result<std::string> ReadKeyFile(const std::filesystem::path& path, const std::string& missing);

// fsyncs a folder so that a rename or a new file in it is durable.
Status SyncFolder(const std::filesystem::path& folder);

// An Error for the current errno while doing `what` to `path`.
Error ErrnoError(const std::string& what, const std::filesystem::path& path);

}  // namespace aliquot::storage
