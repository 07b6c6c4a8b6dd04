#include "aliquot/storage/sql/names.h"

#include <algorithm>
#include <string>

namespace aliquot::storage {

bool IsSqlName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsReservedTable(std::string_view name) {
  return name == "events" || name == "checkpoints" || name == "store_meta" ||
         name == "schema_migrations" || name == "ledger_head" || name == "blobs" ||
         name.starts_with("sqlite_") || name.starts_with("pg_");
}

Status CheckTableSpec(const app::TableSpec& table) {
  if (!IsSqlName(table.name) || IsReservedTable(table.name)) {
    return Unexpected(Internal("projection table name '" + table.name + "' is not allowed"));
  }
  if (table.key_columns == 0 || table.key_columns > table.columns.size()) {
    return Unexpected(Internal("projection table " + table.name + " has a bad key"));
  }
  for (const app::ColumnSpec& column : table.columns) {
    if (!IsSqlName(column.name)) {
      return Unexpected(Internal("projection column name '" + column.name + "' is not allowed"));
    }
  }
  return {};
}

}  // namespace aliquot::storage
