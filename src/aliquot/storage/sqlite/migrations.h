// The store's own schema (events, checkpoints, metadata), as numbered migrations applied in
// order. Projection tables are not migrated: they are rebuilt from the ledger when their
// definition changes (app/projection.h).
#pragma once

#include <span>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/storage/sql/migration_plan.h"
#include "aliquot/storage/sqlite/connection.h"

namespace aliquot::storage {

// Every migration this build knows, in order; the last one's version is the schema version.
std::span<const Migration> SqliteMigrations();

// The migrations the database records (none for a new file).
Result<std::vector<AppliedMigration>> AppliedMigrations(Connection& connection);

// Applies the migrations the database lacks, each in its own transaction, recording them as
// applied at `now`. Returns kFailedPrecondition, naming it, if the database has a migration this
// build does not know.
Status Migrate(Connection& connection, Timestamp now);

// Returns kFailedPrecondition unless the database is exactly at this build's schema, naming the
// migrations that are missing (for read-only use, which must not migrate).
Status RequireCurrentSchema(Connection& connection);

}  // namespace aliquot::storage
