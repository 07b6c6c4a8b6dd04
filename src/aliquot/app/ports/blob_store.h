// BlobStore: the port for files the record refers to (SOP PDFs and DOCX, CoA scans, calibration
// certificates). Content-addressed: a file is stored and fetched by the SHA-256 of its bytes, and
// events hold only that hash, so a file cannot change under the record that cites it. Both stores
// implement it in their own database (a `blobs` table), so a file is as durable, backed up and
// shared between servers as the events that cite it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::app {

struct BlobInfo {
  std::string sha256;      // 64 lower-case hex digits.
  std::uint64_t size = 0;  // Bytes.
  std::string media_type;  // As declared by whoever stored it first: "application/pdf".
  Timestamp stored_at;     // When it was first stored.
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `bytes` under their SHA-256, durably, before returning. Storing bytes that are there
  // already changes nothing and returns the first BlobInfo (content addressing makes it
  // idempotent). Errors: kInvalidArgument for empty bytes, kUnavailable when storage fails.
  virtual Result<BlobInfo> PutBlob(std::string_view bytes, std::string_view media_type) = 0;

  // The blob's description, or nullopt when none has that hash.
  virtual Result<std::optional<BlobInfo>> StatBlob(std::string_view sha256) = 0;

  // The blob's bytes, or nullopt when none has that hash. The bytes are hashed again as they are
  // read: kDataLoss when they no longer match (a file altered behind the system's back, P11-01).
  virtual Result<std::optional<std::string>> GetBlob(std::string_view sha256) = 0;
};

}  // namespace aliquot::app
