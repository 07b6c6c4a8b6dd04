// The PostgreSQL test cluster from a test's side: where it is (TestPostgresUrl) and a fresh
// database of its own (TestDatabase), reached through libpq behind the store's back, as an
// administrator with psql (or an attacker) could.
#pragma once

#include <string>

// libpq's connection handle (libpq-fe.h), kept out of the tests that include this header.
struct pg_conn;

namespace aliquot::testing {

// The URL of the cluster's maintenance database "postgres": ALIQUOT_TEST_POSTGRES_URL if set (for
// running a test binary by hand), else the contents of the file named by
// ALIQUOT_TEST_POSTGRES_URL_FILE, which CTest sets for tests declared with aliquot_test(...
// POSTGRES). When neither is set or the server does not answer, records a fatal failure of the
// current test and returns "": a test that needs PostgreSQL never skips.
std::string TestPostgresUrl();

// A database created for one test on the test cluster and dropped when this object goes away,
// with every session still connected to it. A failure to create it is a fatal failure of the
// current test: make it a member of the test fixture (or create it in SetUp()), where that keeps
// the test body from running, or check HasFatalFailure(). Not thread-safe: one thread uses it.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // The database's name, "t_<pid>_<counter>_<random>", unique on the cluster.
  const std::string& Name() const { return name_; }
  // A URL for this database, as a store under test would be given it; "" if creation failed.
  const std::string& Url() const { return url_; }

  // Runs `sql` (one statement or several) on this database; a failure fails the current test
  // with the server's message.
  void Execute(const std::string& sql);

  // Runs `sql` and returns the server's error message, or "" on success: for tests that expect
  // the server to refuse, such as a trigger that forbids UPDATE.
  std::string TryExecute(const std::string& sql);

  // The first column of the first row of `sql`, as text; "" for NULL or no row. A failing
  // statement fails the current test and returns "".
  std::string QueryValue(const std::string& sql);

 private:
  // The connection to this database, opened on first use; nullptr after a failure to connect.
  pg_conn* Connection();

  std::string name_;
  std::string url_;
  pg_conn* conn_ = nullptr;
};

}  // namespace aliquot::testing
