// Schema migrations, decided once for both engines: which of a build's migrations a database
// lacks, and the refusal when the database holds one this build does not know. Each engine keeps
// its own list (its dialect's SQL) and runs the plan.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"

namespace aliquot::storage {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// A row of schema_migrations.
struct AppliedMigration {
  int version = 0;
  std::string name;
};

// The migrations of `known` the database lacks, in order. Returns kFailedPrecondition when the
// database holds a migration this build does not know (written by a newer Aliquot), naming it,
// or one whose name differs from this build's (another branch of the schema).
Result<std::vector<const Migration*>> PlanMigrations(std::span<const Migration> known,
                                                     std::span<const AppliedMigration> applied);

// For a process that must not migrate (read-only, verify): kFailedPrecondition naming the missing
// migrations, or the unknown ones, unless the database is exactly at this build's schema.
Status RequireCurrentSchema(std::span<const Migration> known,
                            std::span<const AppliedMigration> applied);

}  // namespace aliquot::storage
