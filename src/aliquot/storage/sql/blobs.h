// The rules on blobs (app::BlobStore) that both SQL stores apply in the same words: which names
// and arguments are taken, how a row of the blobs table is read, and the check of a blob's bytes
// against its name. Library-free and without I/O (decision 0004): the stores do the SQL.
#pragma once

#include <string_view>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/core/result.h"
#include "aliquot/storage/sql/rows.h"

namespace aliquot::storage {

// The longest media type a blob takes, in bytes.
inline constexpr std::size_t kMaxMediaType = 255;

// True for 64 lower-case hex digits, the only spelling of a blob's name: anything else names no
// blob, and never reaches the database.
bool IsBlobHash(std::string_view sha256);

// PutBlob's refusals of its arguments, all kInvalidArgument, made before anything is hashed,
// locked or sent: empty bytes, more than app::kMaxBlobBytes (naming the size), and a media type
// that is empty, longer than kMaxMediaType or holds a control character (field "media_type").
Status CheckNewBlob(std::string_view bytes, std::string_view media_type);

// ImportBlob's refusals: those of CheckNewBlob for `bytes` and `info.media_type`, then
// kInvalidArgument when `info` names another size or hash than that of `bytes` (which hashes
// them: call it before taking any lock).
Status CheckImportedBlob(std::string_view bytes, const app::BlobInfo& info);

// ImportBlob's answer once the row is written (or was there): kAlreadyExists when the stored
// description is not the one imported.
Status CheckImportedAsGiven(const app::BlobInfo& stored, const app::BlobInfo& imported);

// Reads a row of sql::kSelectBlobInfo (sha256, size, media_type, stored_at_us).
app::BlobInfo ReadBlobInfo(const SqlRow& row);

// P11-01: kDataLoss, naming both hashes, when `content` (read back) no longer hashes to `sha256`.
Status CheckBlobContent(std::string_view sha256, std::string_view content);

}  // namespace aliquot::storage
