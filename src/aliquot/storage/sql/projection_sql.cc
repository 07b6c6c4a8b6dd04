#include "aliquot/storage/sql/projection_sql.h"

#include <string>

namespace aliquot::storage {
namespace {

std::string KeyPredicate(const app::TableSpec& table) {
  std::string sql;
  for (std::size_t i = 0; i < table.key_columns; ++i) {
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

std::string UpsertSql(const app::TableSpec& table) {
  std::string sql = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") VALUES (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    sql += (i > 0 ? ", $" : "$") + std::to_string(i + 1);
  }
  sql += ") ON CONFLICT (" + ColumnList(table, table.key_columns) + ") DO ";
  if (table.key_columns == table.columns.size()) return sql + "NOTHING";
  sql += "UPDATE SET ";
  for (std::size_t i = table.key_columns; i < table.columns.size(); ++i) {
    if (i > table.key_columns) sql += ", ";
    sql += table.columns[i].name + " = excluded." + table.columns[i].name;
  }
  return sql;
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
  sql.select_by_key =
      "SELECT " + ColumnList(table) + " FROM " + table.name + " WHERE " + KeyPredicate(table);
  sql.upsert = UpsertSql(table);
  sql.remove = "DELETE FROM " + table.name + " WHERE " + KeyPredicate(table);
  sql.scan = "SELECT " + ColumnList(table) + " FROM " + table.name + " ORDER BY " +
             ColumnList(table, table.key_columns);
  return sql;
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

}  // namespace aliquot::storage
