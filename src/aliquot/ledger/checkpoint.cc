#include "aliquot/ledger/checkpoint.h"

#include "aliquot/core/hex.h"

namespace aliquot::ledger {
namespace {

void AppendUnsigned(const Checkpoint& checkpoint, bool with_signature, std::string& out) {
  out += "{\"key_id\":\"";
  out += checkpoint.key_id.Hex();
  out += "\",\"root_hash\":\"";
  out += checkpoint.root_hash.Hex();
  if (with_signature) {
    out += "\",\"signature\":\"";
    out += HexEncode(checkpoint.signature);
  }
  out += "\",\"time\":\"";
  out += checkpoint.time.ToRfc3339();
  out += "\",\"tree_size\":";
  out += std::to_string(checkpoint.tree_size);
  out += '}';
}

}  // namespace

std::string CheckpointSignedMessage(const Checkpoint& checkpoint) {
  std::string message = "aliquot-checkpoint-v1\n";
  AppendUnsigned(checkpoint, /*with_signature=*/false, message);
  return message;
}

Checkpoint SignCheckpoint(std::uint64_t tree_size, const Hash256& root_hash, Timestamp time,
                          const Ed25519SigningKey& key) {
  Checkpoint checkpoint;
  checkpoint.tree_size = tree_size;
  checkpoint.root_hash = root_hash;
  checkpoint.time = time;
  checkpoint.key_id = key.PublicKey().KeyId();
  checkpoint.signature = key.Sign(CheckpointSignedMessage(checkpoint));
  return checkpoint;
}

Status VerifyCheckpointSignature(const Checkpoint& checkpoint, const Ed25519PublicKey& key) {
  if (checkpoint.key_id != key.KeyId()) {
    return Unexpected(DataLoss("signed by key " + checkpoint.key_id.Hex() +
                               ", not by the ledger's key " + key.KeyId().Hex()));
  }
  if (!Ed25519Verify(key, CheckpointSignedMessage(checkpoint), checkpoint.signature)) {
    return Unexpected(DataLoss("signature does not verify"));
  }
  return {};
}

std::string CheckpointJson(const Checkpoint& checkpoint) {
  std::string text;
  AppendUnsigned(checkpoint, /*with_signature=*/true, text);
  return text;
}

std::string PublicKeyJson(const Ed25519PublicKey& key) {
  return "{\"algorithm\":\"ed25519\",\"key_id\":\"" + key.KeyId().Hex() + "\",\"public_key\":\"" +
         key.Hex() + "\"}";
}

}  // namespace aliquot::ledger
