#include "aliquot/storage/sql/migration_plan.h"

namespace aliquot::storage {
namespace {

std::string Describe(int version, std::string_view name) {
  return std::to_string(version) + " (" + std::string(name) + ")";
}

}  // namespace

Result<std::vector<const Migration*>> PlanMigrations(std::span<const Migration> known,
                                                     std::span<const AppliedMigration> applied) {
  std::string unknown;
  for (const AppliedMigration& done : applied) {
    bool found = false;
    for (const Migration& migration : known) {
      if (migration.version != done.version) continue;
      found = true;
      if (migration.name != done.name) {
        return Unexpected(FailedPrecondition(
            "the database's migration " + Describe(done.version, done.name) +
            " is not this build's migration " + Describe(migration.version, migration.name) +
            "; it was written by another build of Aliquot"));
      }
    }
    if (!found) unknown += (unknown.empty() ? "" : ", ") + Describe(done.version, done.name);
  }
  if (!unknown.empty()) {
    const int newest = known.empty() ? 0 : known.back().version;
    return Unexpected(FailedPrecondition(
        "the database has migration " + unknown +
        ", which this build of Aliquot does not have "
        "(it knows migrations up to " +
        std::to_string(newest) +
        "); the database was written by a newer Aliquot: run that version or a newer one"));
  }
  std::vector<const Migration*> missing;
  for (const Migration& migration : known) {
    bool done = false;
    for (const AppliedMigration& row : applied) done = done || row.version == migration.version;
    if (!done) missing.push_back(&migration);
  }
  return missing;
}

Status RequireCurrentSchema(std::span<const Migration> known,
                            std::span<const AppliedMigration> applied) {
  ALIQUOT_ASSIGN_OR_RETURN(std::vector<const Migration*> missing, PlanMigrations(known, applied));
  if (missing.empty()) return {};
  std::string names;
  for (const Migration* migration : missing) {
    names += (names.empty() ? "" : ", ") + Describe(migration->version, migration->name);
  }
  return Unexpected(FailedPrecondition("the database lacks migration " + names +
                                       "; start 'aliquot serve' once to apply it"));
}

}  // namespace aliquot::storage
