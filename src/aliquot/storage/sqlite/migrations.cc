#include "aliquot/storage/sqlite/migrations.h"

#include <array>
#include <string>

#include "aliquot/core/timestamp.h"
#include "aliquot/storage/sql/statements.h"

namespace aliquot::storage {
namespace {

// Append-only, like the ledger: a released migration is never edited, only followed.
constexpr std::array<Migration, 3> kMigrations{{
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
    // The files the record cites (app::BlobStore), stored beside the events that cite them so a
    // backup of the one file holds both.
    {2, "blobs",
     R"sql(
CREATE TABLE blobs (
  sha256       TEXT    PRIMARY KEY,
  size         INTEGER NOT NULL,
  media_type   TEXT    NOT NULL,
  stored_at_us INTEGER NOT NULL,
  content      BLOB    NOT NULL
);
)sql"},
    // 21 CFR 11.10(c) and (e): a file the record cites is kept as it was stored, as events are.
    // Storing the same bytes again inserts nothing (ON CONFLICT DO NOTHING), so no statement of
    // ours updates or deletes a blob; the triggers stop our own code from slipping, and verify
    // re-hashes every blob for anyone who drops them.
    {3, "blobs_append_only",
     R"sql(
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
  BEGIN SELECT RAISE(ABORT, 'files are kept as stored: blobs are never updated'); END;
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON blobs
  BEGIN SELECT RAISE(ABORT, 'files are kept as stored: blobs are never deleted'); END;
)sql"},
}};

constexpr std::string_view kMigrationTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us INTEGER NOT NULL)";

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

Result<std::vector<AppliedMigration>> AppliedMigrations(Connection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(Statement * exists,
                           connection.Prepare("SELECT count(*) FROM sqlite_master WHERE type = "
                                              "'table' AND name = 'schema_migrations'"));
  StatementScope scope(*exists);
  ALIQUOT_ASSIGN_OR_RETURN(bool row, exists->Step());
  std::vector<AppliedMigration> applied;
  if (!row || exists->Int64(0) == 0) return applied;
  ALIQUOT_ASSIGN_OR_RETURN(Statement * select,
                           connection.Prepare(std::string(sql::kSelectMigrations)));
  StatementScope select_scope(*select);
  for (;;) {
    ALIQUOT_ASSIGN_OR_RETURN(row, select->Step());
    if (!row) return applied;
    applied.push_back({static_cast<int>(select->Int64(0)), std::string(select->Text(1))});
  }
}

Status Migrate(Connection& connection, Timestamp now) {
  ALIQUOT_RETURN_IF_ERROR(connection.Exec(kMigrationTable));
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied, AppliedMigrations(connection));
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<const Migration*> missing,
                           PlanMigrations(kMigrations, applied));
  for (const Migration* migration : missing) {
    ALIQUOT_RETURN_IF_ERROR(connection.Exec("BEGIN IMMEDIATE"));
    Status done = connection.Exec(migration->sql);
    if (done) {
      auto insert = connection.Prepare(std::string(sql::kInsertMigration));
      if (insert) {
        StatementScope scope(**insert);
        (*insert)->BindInt64(1, migration->version);
        (*insert)->BindText(2, migration->name);
        (*insert)->BindInt64(3, now.Micros());
        done = (*insert)->Run();
      } else {
        done = Unexpected(insert.error());
      }
    }
    if (done) done = connection.Exec("COMMIT");
    if (!done) {
      (void)connection.Exec("ROLLBACK");
      return Unexpected(done.error().WithContext("applying migration " +
                                                 std::to_string(migration->version) + " (" +
                                                 std::string(migration->name) + ")"));
    }
  }
  return {};
}

Status RequireCurrentSchema(Connection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied, AppliedMigrations(connection));
  return storage::RequireCurrentSchema(kMigrations, applied);
}

}  // namespace aliquot::storage
