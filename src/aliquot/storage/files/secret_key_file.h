// SecretKeyFile: the site's credentials key (keys/credentials.key), which seals password hashes and
// TOTP secrets in ledger payloads. Every server of a site holds a copy; without it no one can sign
// in, and whoever holds it with an export can attack the password hashes, so it is refused when
// anyone but its owner can read it.
#pragma once

#include <filesystem>

#include "aliquot/core/result.h"
#include "aliquot/core/secret_box.h"

namespace aliquot::storage {

class SecretKeyFile {
 public:
  explicit SecretKeyFile(std::filesystem::path path) : path_(std::move(path)) {}

  // Generates a key and writes it as 64 hex digits and a newline, readable by its owner only
  // (0600), durably: temporary file, fsync, rename, fsync of the folder. Returns kAlreadyExists if
  // the file exists (a site's key is never replaced silently), and the I/O errors of
  // WriteFileDurably.
  Result<SecretKey> Create();
  // Reads the key. Returns kNotFound when the file is absent, kFailedPrecondition when its group
  // or others may read it or another user owns it, kDataLoss when it is not 64 hex digits.
  Result<SecretKey> Load();

 private:
  std::filesystem::path path_;
};

}  // namespace aliquot::storage
