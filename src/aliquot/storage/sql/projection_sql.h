// The SQL of projection tables, generated from their TableSpec once, when the store opens: the
// writer runs it for every event, so it must not be rebuilt for every call. One text serves both
// engines except the CREATE TABLE, whose column types are the dialect's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"

namespace aliquot::storage {

enum class Dialect { kSqlite, kPostgres };

struct TableSql {
  std::string create;         // CREATE TABLE IF NOT EXISTS, with its primary key.
  std::string select_by_key;  // All columns of the row with the key bound as $1..$k.
  std::string upsert;         // Insert, or replace the non-key columns on a key conflict.
  std::string remove;         // Delete the row with the key bound as $1..$k.
  std::string scan;           // All rows in primary-key order (byte order for text).
  // scan_prefix[n - 1]: the rows whose first n key columns equal $1..$n, in primary-key order;
  // one statement per prefix length, 1..key_columns, each served by the primary key's index.
  std::vector<std::string> scan_prefix;
  // scan_range[n] and scan_range_desc[n]: the rows whose first n key columns equal $1..$n and
  // whose next key column lies strictly between $(n+1) and $(n+2), at most $(n+3) of them, in
  // primary-key order or its reverse; one statement per prefix length, 0..key_columns - 1, each
  // served by the primary key's index. Only prefix lengths whose next key column is an INTEGER
  // are used (ProjectionSql::ScanRange checks it).
  std::vector<std::string> scan_range;
  std::vector<std::string> scan_range_desc;
  // PostgreSQL only (empty for SQLite): many rows per statement, each column bound as an array
  // ($1..$n) and unnest()ed. Upsert takes all columns, delete the key columns.
  std::string upsert_rows;
  std::string delete_rows;
};

// Builds the statements of `table`. Its names must have passed CheckTableSpec.
TableSql BuildTableSql(const app::TableSpec& table, Dialect dialect);

// The value to bind to a LIMIT of `limit` rows: SQL takes a signed 64-bit integer, so a limit past
// INT64_MAX (SIZE_MAX: no limit) binds as INT64_MAX rather than wrapping negative.
inline std::int64_t SqlLimit(std::size_t limit) {
  return limit > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                       : static_cast<std::int64_t>(limit);
}

// Comma-separated column names of `table` (the first `count` of them, all when count is 0).
std::string ColumnList(const app::TableSpec& table, std::size_t count = 0);

// What a rebuild of the projections runs before it replays the ledger: DROP of every table the
// database recorded as a projection (`stored_tables`, comma-separated; a name that fails the name
// check is never put into SQL), then CREATE of every table in `tables`. `table_list` is what to
// record as the projection tables from then on.
struct ProjectionReset {
  std::vector<std::string> statements;
  std::string table_list;
};
ProjectionReset ResetProjections(std::string_view stored_tables,
                                 const std::vector<app::TableSpec>& tables, Dialect dialect);

// The statements of every table a projector declares. Immutable once built, so it is shared by
// the writer and the pooled readers without a lock.
class ProjectionSql {
 public:
  ProjectionSql(const std::vector<app::TableSpec>& tables, Dialect dialect);

  // The statements of `table`: those built at open for a table of the projector, otherwise built
  // into `scratch` (a caller reading a table by its own spec).
  const TableSql& For(const app::TableSpec& table, TableSql& scratch) const;

  // The statement of `table` that scans by `prefix` (TableSql::scan_prefix), its $1..$n to be
  // bound to the prefix's cells. Returns kInternal (a caller bug) unless the prefix has 1 to
  // key_columns cells of the key columns' types, as app::CheckRow checks a key.
  Result<const std::string*> ScanPrefix(const app::TableSpec& table, const app::Row& prefix,
                                        TableSql& scratch) const;

  // The statement of `table` that scans `range` (TableSql::scan_range, or scan_range_desc when
  // range.descending), its $1..$n to be bound to the prefix's cells, then $(n+1) and $(n+2) to
  // range.after and range.before and $(n+3) to the limit, all as 64-bit integers. Returns
  // kInternal (a caller bug) unless the prefix has 0 to key_columns - 1 cells of the key columns'
  // types and the key column after it is an INTEGER.
  Result<const std::string*> ScanRange(const app::TableSpec& table, const app::RowRange& range,
                                       TableSql& scratch) const;

 private:
  Dialect dialect_;
  std::map<std::string, TableSql, std::less<>> tables_;
};

}  // namespace aliquot::storage
