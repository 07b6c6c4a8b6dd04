#include "tests/support/postgres.h"

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

namespace aliquot::testing {
namespace {

// An environment variable changed for one scope and restored after it.
// NOLINTBEGIN(concurrency-mt-unsafe): these tests run no other thread while they change it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};
// NOLINTEND(concurrency-mt-unsafe)

// The first column of the first row of `sql` on the cluster's maintenance database: what the
// cluster says, independently of the TestDatabase under test.
std::string ClusterValue(const std::string& sql) {
  PGconn* conn = PQconnectdb(TestPostgresUrl().c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* result = PQexec(conn, sql.c_str());
  EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQresultErrorMessage(result);
  std::string value = PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
  PQclear(result);
  PQfinish(conn);
  return value;
}

std::string CountDatabasesNamed(const std::string& name) {
  return ClusterValue("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'");
}

TEST(TestPostgresUrl, NamesTheMaintenanceDatabaseOfARunningCluster) {
  const std::string url = TestPostgresUrl();
  if (HasFatalFailure()) return;
  EXPECT_EQ(url.substr(url.size() - 9), "/postgres");
  EXPECT_EQ(ClusterValue("SELECT current_database()"), "postgres");
}

TEST(TestPostgresUrl, FailsTheTestRatherThanSkipWithoutACluster) {
  const ScopedEnv no_url("ALIQUOT_TEST_POSTGRES_URL", nullptr);
  const ScopedEnv no_file("ALIQUOT_TEST_POSTGRES_URL_FILE", nullptr);
  EXPECT_FATAL_FAILURE(TestPostgresUrl(), "needs the PostgreSQL test cluster");
}

TEST(TestPostgresUrl, FailsTheTestWhenTheServerDoesNotAnswer) {
  // Port 1 (tcpmux) has no listener on a test machine: the connection is refused at once.
  const ScopedEnv url("ALIQUOT_TEST_POSTGRES_URL",
                      "postgresql://aliquot_test@127.0.0.1:1/postgres");
  EXPECT_FATAL_FAILURE(TestPostgresUrl(),
                       "cannot connect to postgresql://aliquot_test@127.0.0.1:1");
}

TEST(TestPostgresCluster, KeepsDurabilityOnAndRoomForManyConnections) {
  // The storage tests prove durability; a cluster that does not flush would let them pass wrongly.
  EXPECT_EQ(ClusterValue("SHOW fsync"), "on");
  EXPECT_EQ(ClusterValue("SHOW synchronous_commit"), "on");
  EXPECT_EQ(ClusterValue("SHOW full_page_writes"), "on");
  EXPECT_GE(std::stoi(ClusterValue("SHOW max_connections")), 200);
  EXPECT_EQ(ClusterValue("SHOW server_version_num").substr(0, 2), "15");
}

class TestDatabaseTest : public ::testing::Test {
 protected:
  TestDatabase db_;
};

TEST_F(TestDatabaseTest, IsAnEmptyDatabaseOfItsOwnReachedThroughItsUrl) {
  EXPECT_EQ(CountDatabasesNamed(db_.Name()), "1");
  EXPECT_EQ(db_.QueryValue("SELECT current_database()"), db_.Name());
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0");
  EXPECT_EQ(db_.QueryValue("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                           "WHERE datname = current_database()"),
            "UTF8");

  PGconn* conn = PQconnectdb(db_.Url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  EXPECT_EQ(PQdb(conn), db_.Name());
  PQfinish(conn);
}

TEST_F(TestDatabaseTest, KeepsWhatATestWritesAndReadsItBack) {
  db_.Execute("CREATE TABLE batches (id text PRIMARY KEY, state text NOT NULL)");
  db_.Execute("INSERT INTO batches VALUES ('B-17', 'released')");
  EXPECT_EQ(db_.QueryValue("SELECT state FROM batches WHERE id = 'B-17'"), "released");
  EXPECT_EQ(db_.QueryValue("SELECT state FROM batches WHERE id = 'B-18'"), "");
  EXPECT_EQ(db_.QueryValue("SELECT NULL"), "");
}

TEST_F(TestDatabaseTest, TryExecuteReturnsTheServersRefusal) {
  EXPECT_EQ(db_.TryExecute("SELECT 1"), "");
  EXPECT_NE(db_.TryExecute("UPDATE missing SET x = 1").find("relation \"missing\" does not exist"),
            std::string::npos);
}

TEST_F(TestDatabaseTest, ExecuteFailsTheTestWithTheServersMessage) {
  EXPECT_NONFATAL_FAILURE(db_.Execute("DROP TABLE missing"), "table \"missing\" does not exist");
}

TEST(TestDatabase, GivesEachInstanceItsOwnDatabase) {
  TestDatabase first;
  TestDatabase second;
  if (HasFatalFailure()) return;
  EXPECT_NE(first.Name(), second.Name());
  first.Execute("CREATE TABLE only_in_first (x int)");
  EXPECT_EQ(first.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"),
            "1");
  EXPECT_EQ(second.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"),
            "0");
}

TEST(TestDatabase, DropsItsDatabaseEvenWithASessionStillConnected) {
  std::string name;
  PGconn* left_open = nullptr;
  {
    TestDatabase db;
    if (HasFatalFailure()) return;
    name = db.Name();
    db.Execute("CREATE TABLE t (x int)");
    // A store's pool that the test never closed.
    left_open = PQconnectdb(db.Url().c_str());
    ASSERT_EQ(PQstatus(left_open), CONNECTION_OK) << PQerrorMessage(left_open);
    EXPECT_EQ(CountDatabasesNamed(name), "1");
  }
  EXPECT_EQ(CountDatabasesNamed(name), "0");
  PGresult* result = PQexec(left_open, "SELECT 1");
  EXPECT_NE(PQresultStatus(result), PGRES_TUPLES_OK) << "the session outlived its database";
  PQclear(result);
  PQfinish(left_open);
}

}  // namespace
}  // namespace aliquot::testing
