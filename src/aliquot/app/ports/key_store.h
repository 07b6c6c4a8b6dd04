// KeyStore: where the server's checkpoint signing key is kept (a file with 0600 permissions in the
// data folder, storage/files).
#pragma once

#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"

namespace aliquot::app {

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Creates and persists a new key. Returns kAlreadyExists if there is one: a ledger's key is
  // never silently replaced.
  virtual Result<Ed25519PublicKey> CreateSigningKey() = 0;
  // Returns kNotFound when there is no key, kFailedPrecondition when the key's protection is
  // wrong (permissions), kDataLoss when it is unreadable or corrupt.
  virtual Result<Ed25519SigningKey> LoadSigningKey() = 0;
};

}  // namespace aliquot::app
