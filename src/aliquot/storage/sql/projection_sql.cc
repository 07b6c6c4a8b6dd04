#include "aliquot/storage/sql/projection_sql.h"

#include <string>

#include "aliquot/storage/sql/names.h"

namespace aliquot::storage {
namespace {

// "k1 = $1 AND k2 = $2 ..." over the first `count` key columns of `table`.
std::string KeyPredicate(const app::TableSpec& table, std::size_t count) {
  std::string sql;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) sql += " AND ";
    sql += table.columns[i].name + " = $" + std::to_string(i + 1);
  }
  return sql;
}

std::string_view TypeName(app::ColumnType type, Dialect dialect) {
  const bool postgres = dialect == Dialect::kPostgres;
  switch (type) {
    case app::ColumnType::kInteger:
      return postgres ? " BIGINT" : " INTEGER";
    case app::ColumnType::kReal:
      return postgres ? " DOUBLE PRECISION" : " REAL";
    case app::ColumnType::kText:
      // Rows are scanned in key order, and that order must be the bytes' order on both engines
      // (ProjectionModel's, which verify compares against): SQLite's BINARY collation is, and
      // PostgreSQL's "C" collation is, whatever the cluster's locale.
      return postgres ? R"( TEXT COLLATE "C")" : " TEXT";
  }
  return " TEXT";
}

std::string_view ArrayCast(app::ColumnType type) {
  switch (type) {
    case app::ColumnType::kInteger:
      return "::bigint[]";
    case app::ColumnType::kReal:
      return "::double precision[]";
    case app::ColumnType::kText:
      return "::text[]";
  }
  return "::text[]";
}

// "unnest($1::bigint[], $2::text[])" over the first `count` columns of `table`.
std::string Unnest(const app::TableSpec& table, std::size_t count) {
  std::string sql = "unnest(";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) sql += ", ";
    sql += "$" + std::to_string(i + 1);
    sql += ArrayCast(table.columns[i].type);
  }
  return sql + ")";
}

std::string OnConflict(const app::TableSpec& table) {
  std::string sql = " ON CONFLICT (" + ColumnList(table, table.key_columns) + ") DO ";
  if (table.key_columns == table.columns.size()) return sql + "NOTHING";
  sql += "UPDATE SET ";
  for (std::size_t i = table.key_columns; i < table.columns.size(); ++i) {
    if (i > table.key_columns) sql += ", ";
    sql += table.columns[i].name + " = excluded." + table.columns[i].name;
  }
  return sql;
}

std::string CreateTableSql(const app::TableSpec& table, Dialect dialect) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + table.name + " (";
  for (const app::ColumnSpec& column : table.columns) {
    sql += column.name;
    sql += TypeName(column.type, dialect);
    if (!column.nullable) sql += " NOT NULL";
    sql += ", ";
  }
  return sql + "PRIMARY KEY (" + ColumnList(table, table.key_columns) + "))";
}

// The rows of a range over the key column after the first `count` (RowRange, bound as
// TableSql::scan_range says), ordered by that column and the ones after it, each reversed when
// `descending`. With the prefix fixed by equality that is the whole key's order, so both engines
// read the primary key's index in order (backwards for DESC) from the range's first row and stop
// at the LIMIT: no row outside the range is read, nor more rows than are returned.
std::string ScanRangeSql(const app::TableSpec& table, std::size_t count, bool descending) {
  const std::string& next = table.columns[count].name;
  std::string sql = "SELECT " + ColumnList(table) + " FROM " + table.name + " WHERE ";
  if (count > 0) sql += KeyPredicate(table, count) + " AND ";
  sql += next + " > $" + std::to_string(count + 1) + " AND " + next + " < $" +
         std::to_string(count + 2) + " ORDER BY ";
  for (std::size_t i = count; i < table.key_columns; ++i) {
    if (i > count) sql += ", ";
    sql += table.columns[i].name;
    if (descending) sql += " DESC";
  }
  return sql + " LIMIT $" + std::to_string(count + 3);
}

std::string UpsertSql(const app::TableSpec& table) {
  std::string sql = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") VALUES (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    sql += (i > 0 ? ", $" : "$") + std::to_string(i + 1);
  }
  return sql + ")" + OnConflict(table);
}

}  // namespace

std::string ColumnList(const app::TableSpec& table, std::size_t count) {
  if (count == 0 || count > table.columns.size()) count = table.columns.size();
  std::string sql;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) sql += ", ";
    sql += table.columns[i].name;
  }
  return sql;
}

TableSql BuildTableSql(const app::TableSpec& table, Dialect dialect) {
  TableSql sql;
  sql.create = CreateTableSql(table, dialect);
  sql.select_by_key = "SELECT " + ColumnList(table) + " FROM " + table.name + " WHERE " +
                      KeyPredicate(table, table.key_columns);
  sql.upsert = UpsertSql(table);
  sql.remove = "DELETE FROM " + table.name + " WHERE " + KeyPredicate(table, table.key_columns);
  const std::string order_by = " ORDER BY " + ColumnList(table, table.key_columns);
  sql.scan = "SELECT " + ColumnList(table) + " FROM " + table.name + order_by;
  // Equality on a leading part of the primary key: its index finds just those rows on both
  // engines (SQLite reads them in order, PostgreSQL may sort the few it found), and ordering by the
  // whole key gives them in the order ScanRows does.
  for (std::size_t count = 1; count <= table.key_columns; ++count) {
    sql.scan_prefix.push_back("SELECT " + ColumnList(table) + " FROM " + table.name + " WHERE " +
                              KeyPredicate(table, count) + order_by);
  }
  for (std::size_t count = 0; count < table.key_columns; ++count) {
    sql.scan_range.push_back(ScanRangeSql(table, count, false));
    sql.scan_range_desc.push_back(ScanRangeSql(table, count, true));
  }
  if (dialect == Dialect::kPostgres) {
    sql.upsert_rows = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") SELECT * FROM " +
                      Unnest(table, table.columns.size()) + OnConflict(table);
    sql.delete_rows = "DELETE FROM " + table.name + " WHERE (" +
                      ColumnList(table, table.key_columns) + ") IN (SELECT * FROM " +
                      Unnest(table, table.key_columns) + ")";
  }
  return sql;
}

ProjectionReset ResetProjections(std::string_view stored_tables,
                                 const std::vector<app::TableSpec>& tables, Dialect dialect) {
  ProjectionReset reset;
  std::string_view rest = stored_tables;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    if (IsSqlName(name) && !IsReservedTable(name)) {
      reset.statements.push_back("DROP TABLE IF EXISTS " + std::string(name));
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  for (const app::TableSpec& table : tables) {
    reset.statements.push_back(BuildTableSql(table, dialect).create);
    reset.table_list += (reset.table_list.empty() ? "" : ",") + table.name;
  }
  return reset;
}

ProjectionSql::ProjectionSql(const std::vector<app::TableSpec>& tables, Dialect dialect)
    : dialect_(dialect) {
  for (const app::TableSpec& table : tables) {
    tables_.emplace(table.name, BuildTableSql(table, dialect));
  }
}

const TableSql& ProjectionSql::For(const app::TableSpec& table, TableSql& scratch) const {
  const auto found = tables_.find(table.name);
  if (found != tables_.end()) return found->second;
  scratch = BuildTableSql(table, dialect_);
  return scratch;
}

Result<const std::string*> ProjectionSql::ScanPrefix(const app::TableSpec& table,
                                                     const app::Row& prefix,
                                                     TableSql& scratch) const {
  if (prefix.empty() || prefix.size() > table.key_columns) {
    return Unexpected(Internal("projection " + table.name + ": a key prefix has " +
                               std::to_string(prefix.size()) + " values, expected 1 to " +
                               std::to_string(table.key_columns)));
  }
  ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, prefix, prefix.size()));
  const TableSql& sql = For(table, scratch);
  // A spec named like a projector's table but with a longer key than it has no statement here.
  if (prefix.size() > sql.scan_prefix.size()) {
    return Unexpected(Internal("projection " + table.name + ": the projector declares a key of " +
                               std::to_string(sql.scan_prefix.size()) + " columns, not " +
                               std::to_string(table.key_columns)));
  }
  return &sql.scan_prefix[prefix.size() - 1];
}

Result<const std::string*> ProjectionSql::ScanRange(const app::TableSpec& table,
                                                    const app::RowRange& range,
                                                    TableSql& scratch) const {
  const std::size_t count = range.prefix.size();
  if (count >= table.key_columns) {
    return Unexpected(Internal("projection " + table.name + ": a range's key prefix has " +
                               std::to_string(count) + " values, expected 0 to " +
                               std::to_string(table.key_columns - 1)));
  }
  ALIQUOT_RETURN_IF_ERROR(app::CheckRow(table, range.prefix, count));
  if (table.columns[count].type != app::ColumnType::kInteger) {
    return Unexpected(Internal("projection " + table.name + ": a range runs over key column " +
                               table.columns[count].name + ", which is not an INTEGER"));
  }
  const TableSql& sql = For(table, scratch);
  // A spec named like a projector's table but with a longer key than it has no statement here.
  if (count >= sql.scan_range.size()) {
    return Unexpected(Internal("projection " + table.name + ": the projector declares a key of " +
                               std::to_string(sql.scan_range.size()) + " columns, not " +
                               std::to_string(table.key_columns)));
  }
  return range.descending ? &sql.scan_range_desc[count] : &sql.scan_range[count];
}

}  // namespace aliquot::storage
