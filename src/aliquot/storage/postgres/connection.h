// PgConnection: a thin RAII layer over one libpq connection. Statements are prepared once per
// connection and cached by their text; parameters and results travel in binary, so nothing is
// escaped or parsed as text. Every libpq failure becomes an aliquot Error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/storage/sql/rows.h"

struct pg_conn;
struct pg_result;

namespace aliquot::storage {

// The URL with its password replaced by "***", for messages and logs.
std::string RedactUrl(std::string_view url);

// `url` naming `database` on the same server instead: a URL keeps its user, host, port and query;
// a keyword/value string ("host=... port=...") gets a dbname at the end, which wins over an
// earlier one. For the throwaway databases of tests and benchmarks.
std::string WithDatabase(std::string_view url, std::string_view database);

// The column types the store uses.
enum class PgType { kInt8, kFloat8, kText, kBytea };
PgType PgTypeOf(app::ColumnType type);

// Statement parameters in binary form, each with its type.
class PgParams {
 public:
  PgParams& Int64(std::int64_t value);
  PgParams& Float8(double value);
  PgParams& Text(std::string_view value);
  PgParams& Bytes(std::span<const std::uint8_t> value);
  // A projection cell as its column's type; NULL for std::monostate.
  PgParams& Value(const app::Value& value, app::ColumnType type);
  PgParams& NullText();

  // One-dimensional arrays, for unnest(): many rows in one statement.
  class Array {
   public:
    explicit Array(PgType type) : type_(type) {}
    void Int64(std::int64_t value);
    void Float8(double value);
    void Text(std::string_view value);
    void Bytes(std::span<const std::uint8_t> value);
    void Null();
    // A projection cell, as the array's type (NULL for std::monostate).
    void Value(const app::Value& value);
    std::size_t Size() const { return static_cast<std::size_t>(count_); }

   private:
    friend class PgParams;
    void Element(const void* bytes, std::size_t size);
    PgType type_;
    std::int32_t count_ = 0;
    bool has_null_ = false;
    std::string elements_;
  };
  PgParams& AddArray(const Array& array);

  std::size_t Size() const { return types_.size(); }

 private:
  friend class PgConnection;
  PgParams& Add(unsigned type, std::string bytes, bool null = false);
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

// A statement's result; while a row is selected (Row(i)), it is that row (SqlRow).
class PgResult final : public SqlRow {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  ~PgResult() override;
  PgResult(PgResult&& other) noexcept : result_(other.result_), row_(other.row_) {
    other.result_ = nullptr;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  PgResult& operator=(PgResult&&) = delete;

  int Rows() const;
  // Rows a command changed (INSERT, UPDATE, DELETE).
  std::uint64_t Changed() const;
  PgResult& Row(int row) {
    row_ = row;
    return *this;
  }

  std::int64_t Int64(int column) const override;
  std::string_view Text(int column) const override;
  std::span<const std::uint8_t> Blob(int column) const override;
  bool IsNull(int column) const override;
  app::Value Value(int column, app::ColumnType type) const override;

 private:
  friend class PgConnection;
  pg_result* result_;
  int row_ = 0;
};

class PgConnection {
 public:
  // Connects to `url` (postgresql://user@host:port/database?...). Returns kUnavailable, with
  // libpq's reason and the redacted URL, when the server cannot be reached or refuses; the
  // connection waits at most `connect_timeout_seconds` unless the URL sets connect_timeout.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url,
                                                    int connect_timeout_seconds = 10);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs SQL text without parameters (one or more statements: migrations, BEGIN, COMMIT).
  Status Exec(std::string_view sql);
  // Runs a statement with binary parameters and results, prepared on first use.
  Result<PgResult> Query(std::string_view sql, const PgParams& params = {});

  // True once the connection to the server is lost: it must be replaced, not reused.
  bool Broken() const;
  // True inside a transaction block (or a failed one).
  bool InTransaction() const;
  // The server's process id: what pg_terminate_backend takes.
  int BackendPid() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  Error LastError(pg_result* result, std::string_view context) const;

  pg_conn* conn_;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL text -> statement name.
};

}  // namespace aliquot::storage
