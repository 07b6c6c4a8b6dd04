// RawDatabase: a second sqlite3 connection to a store's database file, behind the store's back:
// what an administrator with the sqlite3 shell (or an attacker) can do. Tests use it to tamper
// with the file and to read what the store wrote.
#pragma once

#include <cstdint>
#include <string>

#include "aliquot/app/projection.h"
#include "aliquot/ledger/event.h"

struct sqlite3;

namespace aliquot::testing {

// The events table's columns other than seq: an event's content as stored.
inline constexpr char kEventContentColumns[] =
    "stream_type, stream_id, event_type, payload, actor_id, actor_name, terminal, time_us, "
    "reason, prev_hash, hash";

class RawDatabase {
 public:
  // Opens the existing file at `path` read-write; a failure to open fails the current test.
  explicit RawDatabase(const std::string& path);
  ~RawDatabase();
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;

  // Runs `sql` (any number of statements); returns SQLite's error message, or "" on success.
  std::string Exec(const std::string& sql);

  // Runs one statement with ?1, ?2, ... bound to `params`; returns the error message or "".
  std::string Run(const std::string& sql, const app::Row& params);

  // The first column of the first row of `sql`, as text ("" for NULL) or as an integer. A query
  // that fails or returns no row fails the current test.
  std::string QueryText(const std::string& sql);
  std::int64_t QueryInt(const std::string& sql);

  // Drops the triggers that make the events table append-only; returns the error message or "".
  std::string DropTriggers();

  // Inserts a whole event row, as a forger would; returns the error message or "".
  std::string InsertEvent(const ledger::Event& event);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace aliquot::testing
