// Projections: the current state, kept in plain tables derived from the ledger in the same
// transaction as the events. A Projector says how each event changes the tables; the Store
// applies it in SQL, ProjectionModel applies it in memory, and verify compares the two, so a row
// edited behind the system's back is caught (P11-01).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/ledger/event.h"

namespace aliquot::app {

enum class ColumnType { kInteger, kReal, kText };

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kText;
  bool nullable = false;
};

// A projection table. The first `key_columns` columns are its primary key.
struct TableSpec {
  std::string name;
  std::vector<ColumnSpec> columns;
  std::size_t key_columns = 1;
};

// One cell: SQL NULL, an integer, a real or text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
// One row, in the table's column order.
using Row = std::vector<Value>;

std::string ValueToString(const Value& value);

// What a projector may do while applying one event: read the rows as they stand (including the
// changes of earlier events in the same transaction) and write whole rows.
class ProjectionWriter {
 public:
  virtual ~ProjectionWriter() = default;
  // The row whose primary key is `key`, if any.
  virtual Result<std::optional<Row>> Get(const TableSpec& table, const Row& key) = 0;
  // Inserts the row or replaces the row with the same key.
  virtual Status Upsert(const TableSpec& table, const Row& row) = 0;
  virtual Status Delete(const TableSpec& table, const Row& key) = 0;
};

class Projector {
 public:
  virtual ~Projector() = default;
  virtual const std::vector<TableSpec>& Tables() const = 0;
  // Applies `event` to the tables. Events this projector does not know change nothing. Returns
  // kDataLoss if the event contradicts the state (the ledger is inconsistent).
  virtual Status Apply(const ledger::Event& event, ProjectionWriter& writer) const = 0;
};

// The projectors of every area, applied in order; what the Store is given.
class CompositeProjector final : public Projector {
 public:
  explicit CompositeProjector(std::vector<std::unique_ptr<Projector>> parts);
  const std::vector<TableSpec>& Tables() const override { return tables_; }
  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override;

 private:
  std::vector<std::unique_ptr<Projector>> parts_;
  std::vector<TableSpec> tables_;
};

// A fingerprint of the table definitions: when it changes, the store rebuilds its projections
// from the ledger instead of migrating them.
std::string ProjectionSchemaFingerprint(const std::vector<TableSpec>& tables);

// Projections held in memory: the reference a rebuild is compared against.
class ProjectionModel final : public ProjectionWriter {
 public:
  Result<std::optional<Row>> Get(const TableSpec& table, const Row& key) override;
  Status Upsert(const TableSpec& table, const Row& row) override;
  Status Delete(const TableSpec& table, const Row& key) override;

  // Rows of `table` in primary-key order (the order the Store scans in).
  std::vector<Row> Rows(const TableSpec& table) const;

 private:
  std::map<std::string, std::map<Row, Row>> tables_;
};

// Reading cells of a row read back through its TableSpec, whose types CheckRow has checked: a cell
// of another type is a programming error (std::get throws, and our code throws nothing, so it
// aborts).
inline const std::string& Text(const Row& row, std::size_t column) {
  return std::get<std::string>(row[column]);
}
inline std::int64_t Int(const Row& row, std::size_t column) {
  return std::get<std::int64_t>(row[column]);
}
inline std::optional<std::string> OptionalText(const Row& row, std::size_t column) {
  if (std::holds_alternative<std::monostate>(row[column])) return std::nullopt;
  return Text(row, column);
}
inline Value TextOrNull(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value(std::monostate());
}

// Checks a row's arity and cell types against the spec. Returns kInternal: a projector bug.
Status CheckRow(const TableSpec& table, const Row& row, std::size_t expected_size);

}  // namespace aliquot::app
