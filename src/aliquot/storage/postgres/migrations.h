// The store's own schema on PostgreSQL (events, checkpoints, metadata, the shared chain head), as
// numbered migrations. Several servers may start at once: migrating takes an advisory lock and
// runs in one transaction, so exactly one of them migrates and the others see the result.
#pragma once

#include <span>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/storage/postgres/connection.h"
#include "aliquot/storage/sql/migration_plan.h"

namespace aliquot::storage {

// Every migration this build knows for PostgreSQL, in order.
std::span<const Migration> PostgresMigrations();

// The migrations the database records (none for an empty database).
Result<std::vector<AppliedMigration>> AppliedPostgresMigrations(PgConnection& connection);

// Applies the migrations the database lacks in one transaction, recording them as applied at
// `now`. Returns kFailedPrecondition, naming it, if the database has a migration this build does
// not know.
Status MigratePostgres(PgConnection& connection, Timestamp now);

// kFailedPrecondition unless the database is exactly at this build's schema, naming what differs.
Status RequirePostgresSchema(PgConnection& connection);

// The advisory lock key that serialises schema changes (migrations, projection rebuilds) across
// every server on the database. An arbitrary constant ("aliqu#" in ASCII); pg_locks shows it as
// classid 24940, objid 1769043235.
inline constexpr std::int64_t kSchemaLockKey = 0x616c69717523;

}  // namespace aliquot::storage
