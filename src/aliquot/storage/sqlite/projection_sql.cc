#include "aliquot/storage/sqlite/projection_sql.h"

#include <string>

namespace aliquot::storage {
namespace {

std::string KeyPredicate(const app::TableSpec& table) {
  std::string sql;
  for (std::size_t i = 0; i < table.key_columns; ++i) {
    if (i > 0) sql += " AND ";
    sql += table.columns[i].name + " = ?" + std::to_string(i + 1);
  }
  return sql;
}

std::string ColumnList(const app::TableSpec& table) {
  std::string sql;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += table.columns[i].name;
  }
  return sql;
}

std::string KeyList(const app::TableSpec& table) {
  std::string sql;
  for (std::size_t i = 0; i < table.key_columns; ++i) {
    if (i > 0) sql += ", ";
    sql += table.columns[i].name;
  }
  return sql;
}

std::string CreateTableSql(const app::TableSpec& table) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + table.name + " (";
  for (const app::ColumnSpec& column : table.columns) {
    sql += column.name;
    switch (column.type) {
      case app::ColumnType::kInteger:
        sql += " INTEGER";
        break;
      case app::ColumnType::kReal:
        sql += " REAL";
        break;
      case app::ColumnType::kText:
        sql += " TEXT";
        break;
    }
    if (!column.nullable) sql += " NOT NULL";
    sql += ", ";
  }
  return sql + "PRIMARY KEY (" + KeyList(table) + "))";
}

std::string UpsertSql(const app::TableSpec& table) {
  std::string sql = "INSERT INTO " + table.name + " (" + ColumnList(table) + ") VALUES (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    sql += (i > 0 ? ", ?" : "?") + std::to_string(i + 1);
  }
  sql += ") ON CONFLICT (" + KeyList(table) + ") DO ";
  if (table.key_columns == table.columns.size()) return sql + "NOTHING";
  sql += "UPDATE SET ";
  for (std::size_t i = table.key_columns; i < table.columns.size(); ++i) {
    if (i > table.key_columns) sql += ", ";
    sql += table.columns[i].name + " = excluded." + table.columns[i].name;
  }
  return sql;
}

}  // namespace

TableSql BuildTableSql(const app::TableSpec& table) {
  TableSql sql;
  sql.create = CreateTableSql(table);
  sql.select_by_key =
      "SELECT " + ColumnList(table) + " FROM " + table.name + " WHERE " + KeyPredicate(table);
  sql.upsert = UpsertSql(table);
  sql.remove = "DELETE FROM " + table.name + " WHERE " + KeyPredicate(table);
  sql.scan = "SELECT " + ColumnList(table) + " FROM " + table.name + " ORDER BY " + KeyList(table);
  return sql;
}

ProjectionSql::ProjectionSql(const std::vector<app::TableSpec>& tables) {
  for (const app::TableSpec& table : tables) tables_.emplace(table.name, BuildTableSql(table));
}

const TableSql& ProjectionSql::For(const app::TableSpec& table, TableSql& scratch) const {
  const auto found = tables_.find(table.name);
  if (found != tables_.end()) return found->second;
  scratch = BuildTableSql(table);
  return scratch;
}

}  // namespace aliquot::storage
