// The benchmarks' limits read with plain sqlite3: a read-only connection, its prepared statements
// and a pass over result rows that looks at every column, with none of the store's code between
// the call and SQLite; and a copy of tables made WITHOUT ROWID, for diagnostics. Every failure
// stops the benchmark.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "aliquot/app/projection.h"
#include "aliquot/core/check.h"

namespace aliquot::bench {

// Copies `tables` from the store's file `store_path` into a new file `copy`, each table made
// WITHOUT ROWID: a row then sits in the primary key's own B-tree, so a point read is one descent
// where the store's rowid tables (with a separate primary-key index) need two, the index, then
// the table by rowid. The copy is filled by inserts in key order, so its pages are fuller than a
// live table's would be. `pragmas` configure the copy first. It is built under another name and
// renamed once complete, so that an interrupted copy is never taken for one.
void CopyWithoutRowid(const std::string& store_path, const std::string& copy,
                      const std::vector<const app::TableSpec*>& tables,
                      const std::string& pragmas = "");

class RawConnection {
 public:
  // Opens `path` read-only, with `flags` added to SQLITE_OPEN_READONLY (SQLITE_OPEN_URI for an
  // ATTACH by URI), then runs `configure` (PRAGMAs, ATTACH), which may be empty.
  RawConnection(const std::string& path, int flags, const std::string& configure);
  // Closes the connection: its owner finalizes what it prepared before.
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // A statement prepared to be kept (SQLITE_PREPARE_PERSISTENT); the caller finalizes it.
  sqlite3_stmt* Prepare(const std::string& sql);

  static void Bind(sqlite3_stmt* statement, int index, const std::string& text) {
    ALIQUOT_CHECK(sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                                    SQLITE_STATIC) == SQLITE_OK);
  }

  // Runs a statement that returns no rows, then resets it.
  void Step(sqlite3_stmt* statement) {
    ALIQUOT_CHECK_MSG(sqlite3_step(statement) == SQLITE_DONE, sqlite3_errmsg(db_));
    sqlite3_reset(statement);
  }

  // A read transaction, as Store::Read gives the store's calls one snapshot.
  void Begin() { Step(begin_); }
  void Commit() { Step(commit_); }

  // Steps `statement` to its end and returns the number of rows. Every column of every row is
  // looked at, nothing is copied: an integer and a text's length and first byte go into
  // Checksum(), and `text(column, bytes, size)` is called for each text. Then the statement is
  // reset and its bindings cleared.
  template <typename OnText>
  std::int64_t Rows(sqlite3_stmt* statement, const OnText& text) {
    std::int64_t rows = 0;
    int code = 0;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      ++rows;
      const int columns = sqlite3_column_count(statement);
      for (int column = 0; column < columns; ++column) {
        switch (sqlite3_column_type(statement, column)) {
          case SQLITE_INTEGER:
            checksum_ += static_cast<std::uint64_t>(sqlite3_column_int64(statement, column));
            break;
          case SQLITE_TEXT: {
            const unsigned char* bytes = sqlite3_column_text(statement, column);
            const int size = sqlite3_column_bytes(statement, column);
            checksum_ += static_cast<std::uint64_t>(size) + (size > 0 ? bytes[0] : 0U);
            text(column, bytes, size);
            break;
          }
          default:
            break;
        }
      }
    }
    ALIQUOT_CHECK_MSG(code == SQLITE_DONE, sqlite3_errmsg(db_));
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    return rows;
  }

  std::int64_t Rows(sqlite3_stmt* statement) {
    return Rows(statement, [](int, const unsigned char*, int) {});
  }

  // What the reads looked at, so that the compiler cannot leave them out. Unsigned: it wraps.
  std::uint64_t Checksum() const { return checksum_; }

  sqlite3* Handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  std::uint64_t checksum_ = 0;
};

}  // namespace aliquot::bench
