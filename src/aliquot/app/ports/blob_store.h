// BlobStore: the port for files the record refers to (SOP PDFs and DOCX, CoA scans, calibration
// certificates). Content-addressed: a file is stored and fetched by the SHA-256 of its bytes, and
// events hold only that hash, so a file cannot change under the record that cites it. Both stores
// implement it in their own database (a `blobs` table), so a file is as durable, backed up and
// shared between servers as the events that cite it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::app {

// The largest file a BlobStore takes, in bytes: under both engines' limit on one value (SQLite's
// default of 10^9 bytes for a whole row, PostgreSQL's 1 GiB for a bytea), with room for the row's
// other columns.
inline constexpr std::uint64_t kMaxBlobBytes = 999'000'000;

struct BlobInfo {
  std::string sha256;      // 64 lower-case hex digits.
  std::uint64_t size = 0;  // Bytes.
  std::string media_type;  // As declared by whoever stored it first: "application/pdf".
  Timestamp stored_at;     // When it was first stored, in whichever store the site then used.

  friend bool operator==(const BlobInfo&, const BlobInfo&) = default;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `bytes` under their SHA-256, durably, before returning. Storing bytes that are there
  // already changes nothing and returns the first BlobInfo (content addressing makes it
  // idempotent). Errors: kInvalidArgument for empty bytes, more than kMaxBlobBytes, or a media
  // type that is empty, longer than 255 bytes or holds a control character (all refused before
  // the database is touched); kPermissionDenied on a store opened read-only; kUnavailable when
  // storage fails.
  virtual Result<BlobInfo> PutBlob(std::string_view bytes, std::string_view media_type) = 0;

  // Stores `bytes` with the description another store gave them, its stored_at included: how a
  // site's files move with it to another store (CopyStore). Importing a blob that is stored with
  // the same description changes nothing, so an interrupted copy can be run again. Errors: those
  // of PutBlob; kInvalidArgument also when `info` does not describe `bytes` (another hash or
  // size); kAlreadyExists when the blob is stored with another description.
  virtual Status ImportBlob(std::string_view bytes, const BlobInfo& info) = 0;

  // The blob's description, or nullopt when none has that hash.
  virtual Result<std::optional<BlobInfo>> StatBlob(std::string_view sha256) = 0;

  // The blob's bytes, or nullopt when none has that hash. The bytes are hashed again as they are
  // read: kDataLoss when they no longer match (a file altered behind the system's back, P11-01).
  virtual Result<std::optional<std::string>> GetBlob(std::string_view sha256) = 0;

  // Visits the description of every stored blob (not its bytes), in sha256 order, the row as
  // stored even where it was edited behind the system's back (verify reads each one by its
  // name). An error from `visit` ends the scan and is returned.
  virtual Status ScanBlobs(const std::function<Status(const BlobInfo&)>& visit) = 0;
};

}  // namespace aliquot::app
