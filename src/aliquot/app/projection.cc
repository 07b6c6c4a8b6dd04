#include "aliquot/app/projection.h"

#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"

namespace aliquot::app {
namespace {

Row KeyOf(const TableSpec& table, const Row& row) {
  return Row(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(table.key_columns));
}

const char* TypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kReal:
      return "real";
    case ColumnType::kText:
      return "text";
  }
  return "text";
}

}  // namespace

std::string ValueToString(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "NULL";
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) return CanonicalNumber(*real);
  std::string quoted;
  AppendJsonString(std::get<std::string>(value), quoted);
  return quoted;
}

Status CheckRow(const TableSpec& table, const Row& row, std::size_t expected_size) {
  if (row.size() != expected_size) {
    return Unexpected(Internal("projection " + table.name + ": row has " +
                               std::to_string(row.size()) + " values, expected " +
                               std::to_string(expected_size)));
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    const ColumnSpec& column = table.columns[i];
    const Value& value = row[i];
    const bool ok =
        std::holds_alternative<std::monostate>(value)
            ? column.nullable && i >= table.key_columns
            : (column.type == ColumnType::kInteger &&
               std::holds_alternative<std::int64_t>(value)) ||
                  (column.type == ColumnType::kReal && std::holds_alternative<double>(value)) ||
                  (column.type == ColumnType::kText && std::holds_alternative<std::string>(value));
    if (!ok) {
      return Unexpected(Internal("projection " + table.name + ": column " + column.name +
                                 " expects " + TypeName(column.type) + ", got " +
                                 ValueToString(value)));
    }
  }
  return {};
}

CompositeProjector::CompositeProjector(std::vector<std::unique_ptr<Projector>> parts)
    : parts_(std::move(parts)) {
  for (const auto& part : parts_) {
    tables_.insert(tables_.end(), part->Tables().begin(), part->Tables().end());
  }
}

Status CompositeProjector::Apply(const ledger::Event& event, ProjectionWriter& writer) const {
  for (const auto& part : parts_) ALIQUOT_RETURN_IF_ERROR(part->Apply(event, writer));
  return {};
}

std::string ProjectionSchemaFingerprint(const std::vector<TableSpec>& tables) {
  std::string text;
  for (const TableSpec& table : tables) {
    text += table.name + "(" + std::to_string(table.key_columns) + ")";
    for (const ColumnSpec& column : table.columns) {
      text += ":" + column.name + "/" + TypeName(column.type) + (column.nullable ? "?" : "");
    }
    text += ";";
  }
  return Sha256::Of(text).Hex();
}

Result<std::optional<Row>> ProjectionModel::Get(const TableSpec& table, const Row& key) {
  ALIQUOT_RETURN_IF_ERROR(CheckRow(table, key, table.key_columns));
  const auto found_table = tables_.find(table.name);
  if (found_table == tables_.end()) return std::optional<Row>();
  const auto found = found_table->second.find(key);
  if (found == found_table->second.end()) return std::optional<Row>();
  return std::optional<Row>(found->second);
}

Status ProjectionModel::Upsert(const TableSpec& table, const Row& row) {
  ALIQUOT_RETURN_IF_ERROR(CheckRow(table, row, table.columns.size()));
  tables_[table.name][KeyOf(table, row)] = row;
  return {};
}

Status ProjectionModel::Delete(const TableSpec& table, const Row& key) {
  ALIQUOT_RETURN_IF_ERROR(CheckRow(table, key, table.key_columns));
  tables_[table.name].erase(key);
  return {};
}

std::vector<Row> ProjectionModel::Rows(const TableSpec& table) const {
  std::vector<Row> rows;
  const auto found = tables_.find(table.name);
  if (found == tables_.end()) return rows;
  rows.reserve(found->second.size());
  for (const auto& [key, row] : found->second) rows.push_back(row);
  return rows;
}

}  // namespace aliquot::app
