#include "aliquot/storage/files/key_file.h"

#include <algorithm>
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
  const auto corrupt = [&](const std::string& why) {
    return Unexpected(DataLoss("the key file " + path_.string() + " is corrupt: " + why));
  };
  ALIQUOT_ASSIGN_OR_RETURN(std::string content,
                           ReadKeyFile(path_, "no signing key at " + path_.string() +
                                                  "; is this an initialised data folder "
                                                  "('aliquot init')?"));
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
