#include "aliquot/storage/sql/blobs.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "aliquot/core/hex.h"
#include "aliquot/core/sha256.h"

namespace aliquot::storage {

bool IsBlobHash(std::string_view sha256) { return IsLowerHex(sha256, 64); }

Status CheckNewBlob(std::string_view bytes, std::string_view media_type) {
  if (bytes.empty()) return Unexpected(InvalidArgument("a blob must hold at least one byte"));
  // Refused here, by size alone: the engines would refuse it only after it had been sent (or,
  // on SQLite, held in a transaction), and in their own words.
  if (bytes.size() > app::kMaxBlobBytes) {
    return Unexpected(
        InvalidArgument("a file of " + std::to_string(bytes.size()) + " bytes is larger than the " +
                        std::to_string(app::kMaxBlobBytes) + " bytes a file may hold"));
  }
  if (media_type.empty()) {
    return Unexpected(InvalidArgument("media_type must not be empty", "media_type"));
  }
  if (media_type.size() > kMaxMediaType) {
    return Unexpected(InvalidArgument(
        "media_type is longer than " + std::to_string(kMaxMediaType) + " bytes", "media_type"));
  }
  if (std::any_of(media_type.begin(), media_type.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return Unexpected(InvalidArgument("media_type holds a control character", "media_type"));
  }
  return {};
}

Status CheckImportedBlob(std::string_view bytes, const app::BlobInfo& info) {
  ALIQUOT_RETURN_IF_ERROR(CheckNewBlob(bytes, info.media_type));
  if (info.size != bytes.size()) {
    return Unexpected(InvalidArgument("blob " + info.sha256 + " is described as " +
                                      std::to_string(info.size) + " bytes but holds " +
                                      std::to_string(bytes.size())));
  }
  const std::string actual = Sha256::Of(bytes).Hex();
  if (actual != info.sha256) {
    return Unexpected(
        InvalidArgument("the bytes imported as blob " + info.sha256 + " hash to " + actual));
  }
  return {};
}

Status CheckImportedAsGiven(const app::BlobInfo& stored, const app::BlobInfo& imported) {
  if (stored == imported) return {};
  return Unexpected(AlreadyExists("blob " + imported.sha256 + " is stored already as " +
                                  stored.media_type + " at " + stored.stored_at.ToRfc3339() +
                                  ", not as " + imported.media_type + " at " +
                                  imported.stored_at.ToRfc3339()));
}

app::BlobInfo ReadBlobInfo(const SqlRow& row) {
  return {std::string(row.Text(0)), static_cast<std::uint64_t>(row.Int64(1)),
          std::string(row.Text(2)), Timestamp::FromMicros(row.Int64(3))};
}

Status CheckBlobContent(std::string_view sha256, std::string_view content) {
  const std::string actual = Sha256::Of(content).Hex();
  if (actual == sha256) return {};
  return Unexpected(DataLoss("blob " + std::string(sha256) +
                             " was altered outside Aliquot: its stored bytes hash to " + actual));
}

}  // namespace aliquot::storage
