// FileKeyStore: the checkpoint signing key in a file readable by its owner only (0600). A key file
// that others can read is refused: whoever holds the key can sign a rewritten history.
#pragma once

#include <filesystem>

#include "aliquot/app/ports/key_store.h"

namespace aliquot::storage {

class FileKeyStore final : public app::KeyStore {
 public:
  explicit FileKeyStore(std::filesystem::path path) : path_(std::move(path)) {}

  // Writes the key to a temporary file with 0600, syncs it and renames it into place.
  Result<Ed25519PublicKey> CreateSigningKey() override;
  Result<Ed25519SigningKey> LoadSigningKey() override;

 private:
  std::filesystem::path path_;
};

}  // namespace aliquot::storage
