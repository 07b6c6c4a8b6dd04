#include "tests/support/postgres.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "aliquot/storage/postgres/connection.h"

namespace aliquot::testing {
namespace {

constexpr char kNeedsCluster[] =
    "this test needs the PostgreSQL test cluster: run it through ctest (fixture postgres) or set "
    "ALIQUOT_TEST_POSTGRES_URL (tools/pg_test_cluster.py start DIR writes one to DIR/url)";

// FAIL() returns from the function it is in, so it lives in a void function of its own. The fatal
// failure it records still keeps the test body from running when the fixture's constructor or
// SetUp() called us.
void FailFatally(const std::string& message) { FAIL() << message; }

std::string Trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  const auto end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// The cluster's URL from the environment, or "" with `error` set.
// NOLINTBEGIN(concurrency-mt-unsafe): getenv; tests change no variable while another thread runs.
std::string ClusterUrl(std::string* error) {
  if (const char* url = std::getenv("ALIQUOT_TEST_POSTGRES_URL"); url != nullptr && *url != 0) {
    return url;
  }
  const char* file = std::getenv("ALIQUOT_TEST_POSTGRES_URL_FILE");
  if (file == nullptr || *file == 0) {
    *error = "neither ALIQUOT_TEST_POSTGRES_URL nor ALIQUOT_TEST_POSTGRES_URL_FILE is set";
    return "";
  }
  // NOLINTEND(concurrency-mt-unsafe)
  std::ifstream in(file);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string url = Trimmed(contents.str());
  if (url.empty()) {
    *error = std::string("no URL in ") + file + " (ALIQUOT_TEST_POSTGRES_URL_FILE): the fixture " +
             "postgres did not start the cluster, or has stopped it";
  }
  return url;
}

// A connection to `url`, or nullptr with `error` set to libpq's reason.
PGconn* Connect(const std::string& url, std::string* error) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) == CONNECTION_OK) return conn;
  *error = "cannot connect to " + url + ": " + Trimmed(PQerrorMessage(conn));
  PQfinish(conn);
  return nullptr;
}

// A connection to the cluster's maintenance database, with its URL in `url`; on failure, a fatal
// failure of the current test and nullptr.
PGconn* ConnectToCluster(std::string* url) {
  std::string error;
  *url = ClusterUrl(&error);
  PGconn* conn = url->empty() ? nullptr : Connect(*url, &error);
  if (conn == nullptr) FailFatally(std::string(kNeedsCluster) + "\n" + error);
  return conn;
}

// Runs `sql` on `conn`; returns the server's error message, or "" on success.
std::string Run(PGconn* conn, const std::string& sql, std::string* first_value = nullptr) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string error;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    error = Trimmed(PQresultErrorMessage(result));
    if (error.empty()) error = Trimmed(PQerrorMessage(conn));
  } else if (first_value != nullptr && PQntuples(result) > 0 && PQnfields(result) > 0) {
    *first_value = PQgetvalue(result, 0, 0);  // "" for NULL.
  }
  PQclear(result);
  return error;
}

// Unique on the cluster: the pid and a counter separate the tests of every binary running now;
// the random part separates them from databases that a crashed run with a reused pid left behind.
std::string NewDatabaseName() {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  std::ostringstream name;
  name << "t_" << getpid() << "_" << counter.fetch_add(1) << "_" << std::hex << random();
  return name.str();
}

}  // namespace

std::string TestPostgresUrl() {
  std::string url;
  PGconn* conn = ConnectToCluster(&url);
  if (conn == nullptr) return "";
  PQfinish(conn);
  return url;
}

TestDatabase::TestDatabase() : name_(NewDatabaseName()) {
  std::string cluster_url;
  PGconn* cluster = ConnectToCluster(&cluster_url);
  if (cluster == nullptr) return;
  // template0, not template1: nothing a test added to template1 can leak into another test.
  const std::string error =
      Run(cluster, "CREATE DATABASE \"" + name_ + "\" TEMPLATE template0 ENCODING 'UTF8'");
  PQfinish(cluster);
  if (!error.empty()) {
    FailFatally("cannot create the test database " + name_ + ": " + error);
    return;
  }
  url_ = storage::WithDatabase(cluster_url, name_);
}

TestDatabase::~TestDatabase() {
  PQfinish(conn_);
  if (url_.empty()) return;
  std::string cluster_url;
  PGconn* cluster = ConnectToCluster(&cluster_url);
  if (cluster == nullptr) return;
  // FORCE terminates the sessions still connected (a store's pool, a server the test left
  // running) before the drop, as pg_terminate_backend would, in one statement.
  const std::string error = Run(cluster, "DROP DATABASE \"" + name_ + "\" WITH (FORCE)");
  PQfinish(cluster);
  if (!error.empty()) ADD_FAILURE() << "cannot drop the test database " << name_ << ": " << error;
}

pg_conn* TestDatabase::Connection() {
  if (conn_ != nullptr || url_.empty()) return conn_;
  std::string error;
  conn_ = Connect(url_, &error);
  if (conn_ == nullptr) ADD_FAILURE() << error;
  return conn_;
}

void TestDatabase::Execute(const std::string& sql) {
  const std::string error = TryExecute(sql);
  if (!error.empty()) ADD_FAILURE() << "the statement failed: " << sql << "\n" << error;
}

std::string TestDatabase::TryExecute(const std::string& sql) {
  PGconn* conn = Connection();
  if (conn == nullptr) return "no connection to the test database";
  return Run(conn, sql);
}

std::string TestDatabase::QueryValue(const std::string& sql) {
  PGconn* conn = Connection();
  if (conn == nullptr) return "";
  std::string value;
  const std::string error = Run(conn, sql, &value);
  if (!error.empty()) ADD_FAILURE() << "the query failed: " << sql << "\n" << error;
  return value;
}

}  // namespace aliquot::testing
