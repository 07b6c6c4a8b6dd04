// The store's own schema (events, checkpoints, metadata), as numbered migrations applied in
// order. Projection tables are not migrated: they are rebuilt from the ledger when their
// definition changes (app/projection.h).
#pragma once

#include <span>
#include <string_view>

#include "aliquot/core/result.h"
#include "aliquot/storage/sqlite/connection.h"

namespace aliquot::storage {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration this build knows, in order; the last one's version is the schema version.
std::span<const Migration> SqliteMigrations();

// The schema version the database is at (0 for a new file).
Result<int> SchemaVersion(Connection& connection);

// Applies the migrations the database lacks, each in its own transaction. Returns
// kFailedPrecondition if the database is at a version this build does not know (made by a newer
// Aliquot), naming both versions.
Status Migrate(Connection& connection);

// Returns kFailedPrecondition unless the database is exactly at this build's version, naming the
// migrations that are missing (for read-only use, which must not migrate).
Status RequireCurrentSchema(Connection& connection);

}  // namespace aliquot::storage
