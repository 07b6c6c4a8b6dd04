#include "bench/raw_sqlite.h"

#include <cstdio>
#include <filesystem>

#include "aliquot/storage/sql/projection_sql.h"

namespace aliquot::bench {

void CopyWithoutRowid(const std::string& store_path, const std::string& copy,
                      const std::vector<const app::TableSpec*>& tables,
                      const std::string& pragmas) {
  const std::string building = copy + ".building";
  std::filesystem::remove(building);
  sqlite3* db = nullptr;
  ALIQUOT_CHECK(sqlite3_open_v2(building.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                nullptr) == SQLITE_OK);
  std::string sql = pragmas + "ATTACH DATABASE '" + store_path + "' AS store; BEGIN; ";
  for (const app::TableSpec* table : tables) {
    sql += storage::BuildTableSql(*table, storage::Dialect::kSqlite).create + " WITHOUT ROWID; ";
    sql += "INSERT INTO main." + table->name + " SELECT * FROM store." + table->name +
           " ORDER BY " + storage::ColumnList(*table, table->key_columns) + "; ";
  }
  sql += "COMMIT; DETACH DATABASE store;";
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::fprintf(stderr, "copying tables WITHOUT ROWID into %s: %s\n", copy.c_str(), message);
    ALIQUOT_CHECK(false);
  }
  sqlite3_close(db);
  std::filesystem::rename(building, copy);
}

RawConnection::RawConnection(const std::string& path, int flags, const std::string& configure) {
  ALIQUOT_CHECK(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | flags, nullptr) ==
                SQLITE_OK);
  ALIQUOT_CHECK_MSG(sqlite3_exec(db_, configure.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK,
                    sqlite3_errmsg(db_));
  begin_ = Prepare("BEGIN");
  commit_ = Prepare("COMMIT");
}

RawConnection::~RawConnection() {
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_close(db_);
}

sqlite3_stmt* RawConnection::Prepare(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  ALIQUOT_CHECK_MSG(sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statement,
                                       nullptr) == SQLITE_OK,
                    sqlite3_errmsg(db_));
  return statement;
}

}  // namespace aliquot::bench
