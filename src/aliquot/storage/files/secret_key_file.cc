#include "aliquot/storage/files/secret_key_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "aliquot/core/hex.h"
#include "aliquot/storage/files/posix_file.h"

namespace aliquot::storage {
namespace {

std::string OctalMode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

}  // namespace

Result<SecretKey> SecretKeyFile::Create() {
  if (std::filesystem::exists(path_)) {
    return Unexpected(AlreadyExists("a credentials key exists at " + path_.string() +
                                    "; the values sealed under it would become unreadable if it "
                                    "were replaced"));
  }
  SecretKey key = SecretKey::Generate();
  std::string content = HexEncode(key.Bytes()) + "\n";
  Status written = WriteFileDurably(path_, content, 0600);
  std::fill(content.begin(), content.end(), '\0');
  ALIQUOT_RETURN_IF_ERROR(written);
  return key;
}

Result<SecretKey> SecretKeyFile::Load() {
  // The same checks as the signing key's (key_file.cc): a key others can read is no secret.
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno == ENOENT) return Unexpected(NotFound("no credentials key at " + path_.string()));
    return Unexpected(PermissionDenied("cannot examine the key file " + path_.string() + ": " +
                                       std::error_code(errno, std::generic_category()).message()));
  }
  if ((info.st_mode & 077) != 0) {
    return Unexpected(FailedPrecondition(
        "the key file " + path_.string() + " has permissions " + OctalMode(info.st_mode) +
        "; it must be readable by its owner only: chmod 600 " + path_.string()));
  }
  if (info.st_uid != ::geteuid()) {
    return Unexpected(FailedPrecondition("the key file " + path_.string() +
                                         " belongs to another user (uid " +
                                         std::to_string(info.st_uid) + ")"));
  }
  const auto corrupt = [&](const std::string& why) {
    return Unexpected(DataLoss("the key file " + path_.string() + " is corrupt: " + why));
  };
  auto read = ReadSmallFile(path_, 4096);
  if (!read) {
    if (read.error().Code() == ErrorCode::kInvalidArgument) return corrupt("it is far too large");
    return Unexpected(read.error());
  }
  std::string content = std::move(*read);
  std::string_view hex = content;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  auto bytes = HexDecode(hex);
  std::fill(content.begin(), content.end(), '\0');
  const std::string not_hex =
      "it does not hold " + std::to_string(2 * SecretKey::kSize) + " hex digits";
  if (!bytes) return corrupt(not_hex);
  // FromBytes refuses any length but kSize bytes.
  Result<SecretKey> key = SecretKey::FromBytes(*bytes);
  std::fill(bytes->begin(), bytes->end(), 0);
  if (!key) return corrupt(not_hex);
  return key;
}

}  // namespace aliquot::storage
