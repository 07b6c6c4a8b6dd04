#include "aliquot/storage/sqlite/migrations.h"

#include <array>
#include <string>

namespace aliquot::storage {
namespace {

// Append-only, like the ledger: a released migration is never edited, only followed.
constexpr std::array<Migration, 1> kMigrations{{
    {1, "ledger",
     R"sql(
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY,
  stream_type TEXT    NOT NULL,
  stream_id   TEXT    NOT NULL,
  event_type  TEXT    NOT NULL,
  payload     TEXT    NOT NULL,
  actor_id    TEXT    NOT NULL,
  actor_name  TEXT    NOT NULL,
  terminal    TEXT    NOT NULL,
  time_us     INTEGER NOT NULL,
  reason      TEXT,
  prev_hash   BLOB    NOT NULL,
  hash        BLOB    NOT NULL
);
CREATE INDEX events_by_stream ON events (stream_type, stream_id, seq);
-- 21 CFR 11.10(e): the ledger is append-only. A correction is a new event, never an edit. The
-- triggers stop our own code from slipping; verify catches anyone who drops them.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events are never updated'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events are never deleted'); END;
CREATE TABLE checkpoints (
  tree_size INTEGER PRIMARY KEY,
  root_hash BLOB    NOT NULL,
  time_us   INTEGER NOT NULL,
  key_id    BLOB    NOT NULL,
  signature BLOB    NOT NULL
);
CREATE TABLE store_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
}};

constexpr std::string_view kMigrationTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us INTEGER NOT NULL)";

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

Result<int> SchemaVersion(Connection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(Statement * exists,
                           connection.Prepare("SELECT count(*) FROM sqlite_master WHERE type = "
                                              "'table' AND name = 'schema_migrations'"));
  StatementScope scope(*exists);
  ALIQUOT_ASSIGN_OR_RETURN(bool row, exists->Step());
  if (!row || exists->ColumnInt64(0) == 0) return 0;
  ALIQUOT_ASSIGN_OR_RETURN(
      Statement * max,
      connection.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  StatementScope max_scope(*max);
  ALIQUOT_ASSIGN_OR_RETURN(row, max->Step());
  return static_cast<int>(max->ColumnInt64(0));
}

Status Migrate(Connection& connection) {
  ALIQUOT_RETURN_IF_ERROR(connection.Exec(kMigrationTable));
  ALIQUOT_ASSIGN_OR_RETURN(int version, SchemaVersion(connection));
  const int known = kMigrations.back().version;
  if (version > known) {
    return Unexpected(
        FailedPrecondition("the database is at schema version " + std::to_string(version) +
                           ", newer than this build of Aliquot knows (" + std::to_string(known) +
                           "); run the Aliquot version that wrote it, or a newer one"));
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    ALIQUOT_RETURN_IF_ERROR(connection.Exec("BEGIN IMMEDIATE"));
    Status applied = connection.Exec(migration.sql);
    if (applied) {
      applied =
          connection.Exec("INSERT INTO schema_migrations VALUES (" +
                          std::to_string(migration.version) + ", '" + std::string(migration.name) +
                          "', " + "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))");
    }
    if (applied) applied = connection.Exec("COMMIT");
    if (!applied) {
      (void)connection.Exec("ROLLBACK");
      return Unexpected(applied.error().WithContext("applying migration " +
                                                    std::to_string(migration.version) + " (" +
                                                    std::string(migration.name) + ")"));
    }
  }
  return {};
}

Status RequireCurrentSchema(Connection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(int version, SchemaVersion(connection));
  const int known = kMigrations.back().version;
  if (version == known) return {};
  if (version > known) {
    return Unexpected(
        FailedPrecondition("the database is at schema version " + std::to_string(version) +
                           ", newer than this build knows (" + std::to_string(known) + ")"));
  }
  std::string missing;
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    if (!missing.empty()) missing += ", ";
    missing += std::to_string(migration.version) + " (" + std::string(migration.name) + ")";
  }
  return Unexpected(FailedPrecondition("the database lacks migrations " + missing +
                                       "; start 'aliquot serve' once to apply them"));
}

}  // namespace aliquot::storage
