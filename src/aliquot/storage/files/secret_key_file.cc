#include "aliquot/storage/files/secret_key_file.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "aliquot/core/hex.h"
#include "aliquot/storage/files/posix_file.h"

namespace aliquot::storage {

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
  const auto corrupt = [&](const std::string& why) {
    return Unexpected(DataLoss("the key file " + path_.string() + " is corrupt: " + why));
  };
  ALIQUOT_ASSIGN_OR_RETURN(std::string content,
                           ReadKeyFile(path_, "no credentials key at " + path_.string()));
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
