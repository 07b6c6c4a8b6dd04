#include "aliquot/storage/sqlite/connection.h"

#include <filesystem>

#include <sqlite3.h>

#include "aliquot/core/check.h"

namespace aliquot::storage {

Error SqliteError(sqlite3* db, int code, std::string_view context) {
  const int primary = code & 0xff;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  std::string message = std::string(context) + ": ";
  switch (primary) {
    case SQLITE_FULL:
      return Unavailable(message + "the disk is full or the database reached its size limit (" +
                         detail + "); nothing of this request was stored");
    case SQLITE_IOERR:
      return Unavailable(message + "I/O error (" + detail +
                         "); nothing of this request was stored");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message + "the database is busy (" + detail + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(message + "the database file is corrupt or not an Aliquot database (" +
                      detail + ")");
    case SQLITE_CANTOPEN:
      return Unavailable(message + "cannot open the database file (" + detail + ")");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDenied(message + "the database is not writable (" + detail + ")");
    default:
      return Internal(message + detail);
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::BindInt64(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void Statement::BindText(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::BindBlob(int index, std::span<const std::uint8_t> value) {
  sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT);
}

void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

void Statement::BindValue(int index, const app::Value& value) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    BindInt64(index, *integer);
  } else if (const auto* real = std::get_if<double>(&value)) {
    sqlite3_bind_double(stmt_, index, *real);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    BindText(index, *text);
  } else {
    BindNull(index);
  }
}

Result<bool> Statement::Step() {
  const int code = sqlite3_step(stmt_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return Unexpected(SqliteError(db_, code, "executing SQL"));
}

Status Statement::Run() {
  ALIQUOT_ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return {};
}

std::int64_t Statement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return text == nullptr ? std::string_view()
                         : std::string_view(text, static_cast<std::size_t>(size));
}

std::span<const std::uint8_t> Statement::Blob(int column) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return blob == nullptr ? std::span<const std::uint8_t>()
                         : std::span<const std::uint8_t>(blob, static_cast<std::size_t>(size));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

app::Value Statement::Value(int column, app::ColumnType type) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_NULL:
      return std::monostate{};
    case SQLITE_INTEGER:
      if (type == app::ColumnType::kReal) return sqlite3_column_double(stmt_, column);
      return Int64(column);
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt_, column);
    default:
      // A value edited behind the system's back may have any type; it is returned as text so the
      // comparison with the rebuild reports it rather than failing here.
      return std::string(Text(column));
  }
}

void Connection::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, OpenMode mode) {
  if (mode != OpenMode::kReadWriteCreate && !std::filesystem::exists(path)) {
    return Unexpected(NotFound("no database at " + path));
  }
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case OpenMode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case OpenMode::kReadWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case OpenMode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (code != SQLITE_OK) {
    Error error = SqliteError(db, code, "opening " + path);
    sqlite3_close_v2(db);
    return Unexpected(error);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (code != SQLITE_OK)
    return Unexpected(SqliteError(db_, code, "executing " + text.substr(0, 60)));
  return {};
}

Result<Statement*> Connection::Prepare(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int code = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (code != SQLITE_OK)
      return Unexpected(SqliteError(db_, code, "preparing " + sql.substr(0, 60)));
    // Shared SQL numbers placeholders $1..$n as PostgreSQL does; SQLite takes them as names and
    // numbers them by first appearance, so the two agree only when they appear in order.
    for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      if (name != nullptr && name[0] == '$' && std::string_view(name + 1) != std::to_string(i)) {
        sqlite3_finalize(stmt);
        return Unexpected(Internal("placeholder " + std::string(name) + " is parameter " +
                                   std::to_string(i) + " in: " + sql.substr(0, 60)));
      }
    }
    found = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, Finalizer>(stmt)).first;
  }
  // One Statement object per cached handle would need storage; a Statement is two pointers, so
  // it is made on demand and kept in a small cache beside the handle.
  auto [wrapper, inserted] = wrappers_.try_emplace(found->second.get(), db_, found->second.get());
  (void)inserted;
  return &wrapper->second;
}

bool Connection::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace aliquot::storage
