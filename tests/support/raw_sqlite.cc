#include "tests/support/raw_sqlite.h"

#include <cstddef>
#include <variant>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace aliquot::testing {

RawDatabase::RawDatabase(const std::string& path) {
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db_, 10000);
}

RawDatabase::~RawDatabase() { sqlite3_close_v2(db_); }

std::string RawDatabase::Exec(const std::string& sql) {
  char* message = nullptr;
  const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  std::string text = code == SQLITE_OK ? "" : (message != nullptr ? message : "error");
  sqlite3_free(message);
  return text;
}

std::string RawDatabase::Run(const std::string& sql, const app::Row& params) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    return sqlite3_errmsg(db_);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* text = std::get_if<std::string>(&params[i])) {
      sqlite3_bind_text(statement, index, text->c_str(), static_cast<int>(text->size()),
                        SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(statement, index);
    }
  }
  const int code = sqlite3_step(statement);
  std::string error = code == SQLITE_DONE || code == SQLITE_ROW ? "" : sqlite3_errmsg(db_);
  sqlite3_finalize(statement);
  return error;
}

std::string RawDatabase::QueryText(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db_);
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW) << sqlite3_errmsg(db_);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  std::string value = text != nullptr ? text : "";
  sqlite3_finalize(statement);
  return value;
}

std::int64_t RawDatabase::QueryInt(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db_);
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW) << sqlite3_errmsg(db_);
  const std::int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

std::string RawDatabase::DropTriggers() {
  return Exec("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete");
}

std::string RawDatabase::InsertEvent(const ledger::Event& event) {
  return Run("INSERT INTO events (seq, " + std::string(kEventContentColumns) +
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, x'" + event.prev_hash.Hex() +
                 "', x'" + event.hash.Hex() + "')",
             {static_cast<std::int64_t>(event.seq), event.stream.type, event.stream.id,
              event.event_type, event.payload, event.actor.id, event.actor.name, event.terminal,
              event.time.Micros(), event.reason ? app::Value(*event.reason) : app::Value()});
}

}  // namespace aliquot::testing
