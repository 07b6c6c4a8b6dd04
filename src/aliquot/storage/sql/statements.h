// The statements both engines run, written once. Placeholders are $1..$n in order of first
// appearance: PostgreSQL numbers them so, and SQLite, which takes "$1" as a named parameter,
// numbers named parameters by first appearance (its Connection checks that they agree).
#pragma once

#include <string_view>

namespace aliquot::storage::sql {

// The event columns, in the order ReadEvent expects them (rows.h).
inline constexpr std::string_view kEventColumns =
    "seq, stream_type, stream_id, event_type, payload, actor_id, actor_name, terminal, time_us, "
    "reason, prev_hash, hash";

inline constexpr std::string_view kSelectEventRange =
    "SELECT seq, stream_type, stream_id, event_type, payload, actor_id, actor_name, terminal, "
    "time_us, reason, prev_hash, hash FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq";

inline constexpr std::string_view kInsertEvent =
    "INSERT INTO events (seq, stream_type, stream_id, event_type, payload, actor_id, actor_name, "
    "terminal, time_us, reason, prev_hash, hash) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

inline constexpr std::string_view kSelectStreamHead =
    "SELECT coalesce(max(seq), 0) FROM events WHERE stream_type = $1 AND stream_id = $2";

inline constexpr std::string_view kSelectEventHashes =
    "SELECT hash FROM events WHERE seq <= $1 ORDER BY seq";

// Columns in the order ReadCheckpoint expects them.
inline constexpr std::string_view kSelectCheckpoints =
    "SELECT tree_size, root_hash, time_us, key_id, signature FROM checkpoints ORDER BY tree_size";
inline constexpr std::string_view kSelectLatestCheckpoint =
    "SELECT tree_size, root_hash, time_us, key_id, signature FROM checkpoints "
    "ORDER BY tree_size DESC LIMIT 1";
// Inserts nothing (and reports no row changed) when a checkpoint of that size exists, or when one
// would be out of order with it: a smaller tree signed later, or a larger one signed earlier
// (several servers sign; verify requires time to grow with tree size).
inline constexpr std::string_view kInsertCheckpoint =
    "INSERT INTO checkpoints (tree_size, root_hash, time_us, key_id, signature) "
    "SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE "
    "(tree_size < $1 AND time_us > $3) OR (tree_size > $1 AND time_us < $3)) "
    "ON CONFLICT (tree_size) DO NOTHING";
inline constexpr std::string_view kCheckpointExists =
    "SELECT count(*) FROM checkpoints WHERE tree_size = $1";

inline constexpr std::string_view kSelectMeta = "SELECT value FROM store_meta WHERE name = $1";
inline constexpr std::string_view kUpsertMeta =
    "INSERT INTO store_meta (name, value) VALUES ($1, $2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";

inline constexpr std::string_view kSelectMigrations =
    "SELECT version, name FROM schema_migrations ORDER BY version";
inline constexpr std::string_view kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES ($1, $2, $3)";

// Blobs (app::BlobStore), content-addressed by the SHA-256 of their bytes. A second insert of the
// same bytes changes nothing: the first row, with its media type and time, is the one kept.
inline constexpr std::string_view kInsertBlob =
    "INSERT INTO blobs (sha256, size, media_type, stored_at_us, content) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING";
// Columns in the order both stores read a BlobInfo.
inline constexpr std::string_view kSelectBlobInfo =
    "SELECT sha256, size, media_type, stored_at_us FROM blobs WHERE sha256 = $1";
inline constexpr std::string_view kSelectBlobContent =
    "SELECT content FROM blobs WHERE sha256 = $1";

// store_meta names.
inline constexpr std::string_view kProjectionSchemaMeta = "projection_schema";
inline constexpr std::string_view kProjectionTablesMeta = "projection_tables";

}  // namespace aliquot::storage::sql
