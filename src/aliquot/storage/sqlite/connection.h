// Connection and Statement: a thin RAII layer over one sqlite3 handle, with prepared statements
// cached by their SQL text and every SQLite result code turned into an aliquot Error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/storage/sql/rows.h"

struct sqlite3;
struct sqlite3_stmt;

namespace aliquot::storage {

// Maps a SQLite result code to an Error: full disk -> kUnavailable, corruption -> kDataLoss,
// busy/locked -> kUnavailable, anything else -> kInternal. `context` says what was being done.
Error SqliteError(sqlite3* db, int code, std::string_view context);

// A prepared statement; while Step() has a row ready, it is that row (SqlRow).
class Statement final : public SqlRow {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  // Clears bindings and rewinds, ready for the next use.
  void Reset();
  void BindInt64(int index, std::int64_t value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::span<const std::uint8_t> value);
  void BindNull(int index);
  void BindValue(int index, const app::Value& value);

  // Steps once: true when a row is ready, false when done.
  Result<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();

  std::int64_t Int64(int column) const override;
  std::string_view Text(int column) const override;
  std::span<const std::uint8_t> Blob(int column) const override;
  bool IsNull(int column) const override;
  app::Value Value(int column, app::ColumnType type) const override;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets a cached statement when it leaves scope, so its read lock ends and it is reusable.
class StatementScope {
 public:
  explicit StatementScope(Statement& statement) : statement_(statement) {}
  ~StatementScope() { statement_.Reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  Statement* operator->() { return &statement_; }

 private:
  Statement& statement_;
};

enum class OpenMode { kReadWrite, kReadWriteCreate, kReadOnly };

class Connection {
 public:
  // Opens the database file. Returns kNotFound if it does not exist (and mode does not create),
  // kDataLoss if it is not a SQLite database.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Exec(std::string_view sql);
  // The cached prepared statement for `sql`; the caller resets it (StatementScope). Placeholders
  // are ?N or $N; $N must appear in order (SQLite numbers them by first appearance), else
  // kInternal.
  Result<Statement*> Prepare(const std::string& sql);
  // True outside an explicit transaction (SQLite rolls back on some errors by itself).
  bool InAutocommit() const;
  sqlite3* Handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalizer>, std::less<>> statements_;
  std::map<sqlite3_stmt*, Statement> wrappers_;
};

}  // namespace aliquot::storage
