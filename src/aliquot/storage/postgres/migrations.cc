#include "aliquot/storage/postgres/migrations.h"

#include <array>
#include <string>

#include "aliquot/storage/sql/statements.h"

namespace aliquot::storage {
namespace {

// Append-only, like the ledger: a released migration is never edited, only followed. The same
// tables as SQLite's migration 1, in PostgreSQL's types, plus ledger_head: with several servers
// writing, the chain's tip lives in the database, and its row lock orders their commits.
constexpr std::array<Migration, 3> kMigrations{{
    {1, "ledger",
     R"sql(
CREATE TABLE events (
  seq         BIGINT PRIMARY KEY,
  stream_type TEXT   NOT NULL,
  stream_id   TEXT   NOT NULL,
  event_type  TEXT   NOT NULL,
  payload     TEXT   NOT NULL,
  actor_id    TEXT   NOT NULL,
  actor_name  TEXT   NOT NULL,
  terminal    TEXT   NOT NULL,
  time_us     BIGINT NOT NULL,
  reason      TEXT,
  prev_hash   BYTEA  NOT NULL,
  hash        BYTEA  NOT NULL
);
CREATE INDEX events_by_stream ON events (stream_type, stream_id, seq);
-- 21 CFR 11.10(e): the ledger is append-only. A correction is a new event, never an edit. The
-- triggers stop our own code from slipping; verify catches anyone who drops them.
CREATE FUNCTION aliquot_refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: events are never %',
    CASE TG_OP WHEN 'UPDATE' THEN 'updated' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END;
END
$$;
CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION aliquot_refuse_ledger_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION aliquot_refuse_ledger_change();
CREATE TABLE checkpoints (
  tree_size BIGINT PRIMARY KEY,
  root_hash BYTEA  NOT NULL,
  time_us   BIGINT NOT NULL,
  key_id    BYTEA  NOT NULL,
  signature BYTEA  NOT NULL
);
CREATE TABLE store_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE ledger_head (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  size         BIGINT  NOT NULL,
  head_hash    BYTEA   NOT NULL,
  last_time_us BIGINT  NOT NULL,
  frontier     BYTEA   NOT NULL
);
INSERT INTO ledger_head VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, ''::bytea);
)sql"},
    // The files the record cites (app::BlobStore), in the database the servers share, so every
    // server sees every file and a backup of the database holds them with the events.
    {2, "blobs",
     R"sql(
CREATE TABLE blobs (
  sha256       TEXT   PRIMARY KEY,
  size         BIGINT NOT NULL,
  media_type   TEXT   NOT NULL,
  stored_at_us BIGINT NOT NULL,
  content      BYTEA  NOT NULL
);
)sql"},
    // 21 CFR 11.10(c) and (e): a file the record cites is kept as it was stored, as events are.
    // Storing the same bytes again inserts nothing (ON CONFLICT DO NOTHING), so no statement of
    // ours updates, deletes or truncates a blob; the triggers stop our own code from slipping,
    // and verify re-hashes every blob for anyone who drops them.
    {3, "blobs_append_only",
     R"sql(
CREATE FUNCTION aliquot_refuse_blob_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'files are kept as stored: blobs are never %',
    CASE TG_OP WHEN 'UPDATE' THEN 'updated' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END;
END
$$;
CREATE TRIGGER blobs_no_update_or_delete BEFORE UPDATE OR DELETE ON blobs
  FOR EACH ROW EXECUTE FUNCTION aliquot_refuse_blob_change();
CREATE TRIGGER blobs_no_truncate BEFORE TRUNCATE ON blobs
  FOR EACH STATEMENT EXECUTE FUNCTION aliquot_refuse_blob_change();
)sql"},
}};

constexpr std::string_view kMigrationTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)";

}  // namespace

std::span<const Migration> PostgresMigrations() { return kMigrations; }

Result<std::vector<AppliedMigration>> AppliedPostgresMigrations(PgConnection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(PgResult exists,
                           connection.Query("SELECT to_regclass('schema_migrations') IS NOT NULL "
                                            "AND has_table_privilege('schema_migrations', "
                                            "'SELECT')"));
  std::vector<AppliedMigration> applied;
  if (exists.Rows() == 0 || exists.Blob(0).empty() || exists.Blob(0)[0] == 0) return applied;
  ALIQUOT_ASSIGN_OR_RETURN(PgResult rows,
                           connection.Query("SELECT version::bigint, name FROM schema_migrations "
                                            "ORDER BY version"));
  for (int i = 0; i < rows.Rows(); ++i) {
    rows.Row(i);
    applied.push_back({static_cast<int>(rows.Int64(0)), std::string(rows.Text(1))});
  }
  return applied;
}

Status MigratePostgres(PgConnection& connection, Timestamp now) {
  ALIQUOT_RETURN_IF_ERROR(connection.Exec("BEGIN"));
  const auto migrate = [&]() -> Status {
    // Every server on the database may start at once; one migrates, the rest wait and see it.
    ALIQUOT_RETURN_IF_ERROR(
        connection.Query("SELECT pg_advisory_xact_lock($1)", PgParams().Int64(kSchemaLockKey)));
    ALIQUOT_RETURN_IF_ERROR(connection.Exec(kMigrationTable));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                             AppliedPostgresMigrations(connection));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<const Migration*> missing,
                             PlanMigrations(kMigrations, applied));
    for (const Migration* migration : missing) {
      Status done = connection.Exec(migration->sql);
      if (done) {
        done =
            connection
                .Query(
                    sql::kInsertMigration,
                    PgParams().Int64(migration->version).Text(migration->name).Int64(now.Micros()))
                .map([](const PgResult&) {});
      }
      if (!done) {
        return Unexpected(done.error().WithContext("applying migration " +
                                                   std::to_string(migration->version) + " (" +
                                                   std::string(migration->name) + ")"));
      }
    }
    return connection.Exec("COMMIT");
  };
  Status migrated = migrate();
  if (!migrated && !connection.Broken()) (void)connection.Exec("ROLLBACK");
  return migrated;
}

Status RequirePostgresSchema(PgConnection& connection) {
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                           AppliedPostgresMigrations(connection));
  return RequireCurrentSchema(kMigrations, applied);
}

}  // namespace aliquot::storage
