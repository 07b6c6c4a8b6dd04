#include "aliquot/storage/files/key_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliquot/core/hex.h"
#include "aliquot/storage/files/posix_file.h"

namespace aliquot::storage {
namespace {

// The file holds one line: "aliquot-ed25519-seed:<64 hex digits>\n".
constexpr std::string_view kPrefix = "aliquot-ed25519-seed:";

std::string OctalMode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

}  // namespace

Result<Ed25519PublicKey> FileKeyStore::CreateSigningKey() {
  if (std::filesystem::exists(path_)) {
    return Unexpected(AlreadyExists("a signing key exists at " + path_.string() +
                                    "; a ledger's key is never replaced silently"));
  }
  const Ed25519SigningKey key = Ed25519SigningKey::Generate();
  std::string content = std::string(kPrefix) + HexEncode(key.SeedBytes()) + "\n";
  Status written = WriteFileDurably(path_, content, 0600);
  std::fill(content.begin(), content.end(), '\0');
  ALIQUOT_RETURN_IF_ERROR(written);
  return key.PublicKey();
}

Result<Ed25519SigningKey> FileKeyStore::LoadSigningKey() {
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return Unexpected(NotFound("no signing key at " + path_.string() +
                                 "; is this an initialised data folder ('aliquot init')?"));
    }
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
  if (!content.starts_with(kPrefix))
    return corrupt("it does not start with '" + std::string(kPrefix) + "'");
  std::string_view hex = std::string_view(content).substr(kPrefix.size());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  auto seed = HexDecode(hex);
  if (!seed || seed->size() != 32) return corrupt("the seed is not 64 hex digits");
  Ed25519SigningKey::Seed bytes;
  std::copy(seed->begin(), seed->end(), bytes.begin());
  std::fill(content.begin(), content.end(), '\0');
  std::fill(seed->begin(), seed->end(), 0);
  return Ed25519SigningKey::FromSeed(bytes);
}

}  // namespace aliquot::storage
