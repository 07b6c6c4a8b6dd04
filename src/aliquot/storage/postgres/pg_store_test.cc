// What only PgStore can show: several servers on one database, a connection lost under the
// writer, a server that cannot be reached, and a database tampered with or from a newer build.
// What every Store promises is tests/contract/store_contract_test.cc.
#include "aliquot/storage/postgres/pg_store.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/storage/postgres/migrations.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/note_projector.h"
#include "tests/support/postgres.h"

namespace aliquot::storage {
namespace {

using ::aliquot::testing::AllEvents;
using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::Note;
using ::aliquot::testing::NoteProjector;
using ::aliquot::testing::NoteValues;
using ::aliquot::testing::Request;
using ::aliquot::testing::TestDatabase;
using ::aliquot::testing::VerifyChain;
using ::testing::HasSubstr;
using ::testing::Not;

// Ends the server sessions of every PgStore on the test database (they connect as application
// "aliquot"; the test's own session does not), waiting until each has gone, and returns how many
// it ended. `extra_condition` narrows the choice, e.g. to the session inside a transaction.
std::string TerminateStoreSessions(TestDatabase& database,
                                   const std::string& extra_condition = "") {
  return database.QueryValue(
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) AS ended "
      "FROM pg_stat_activity WHERE application_name = 'aliquot' AND datname = current_database() "
      "AND pid <> pg_backend_pid()" +
      (extra_condition.empty() ? "" : " AND " + extra_condition) + ") AS t WHERE ended");
}

// A NoteProjector that, on an event of type kCut, first runs `cut`: code that runs inside the
// writer's open transaction, after the tip is locked and before anything is written.
constexpr char kCut[] = "note.cut";
class CuttingProjector final : public app::Projector {
 public:
  explicit CuttingProjector(std::function<void()> cut) : cut_(std::move(cut)) {}
  const std::vector<app::TableSpec>& Tables() const override { return notes_.Tables(); }
  Status Apply(const ledger::Event& event, app::ProjectionWriter& writer) const override {
    if (event.event_type == kCut) cut_();
    return notes_.Apply(event, writer);
  }

 private:
  std::function<void()> cut_;
  NoteProjector notes_;
};

// A TCP port on 127.0.0.1 that refuses connections: bound, so nothing else takes it while the
// test runs, but never listening.
class RefusingPort {
 public:
  RefusingPort() : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(socket_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(socket_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  int Port() const { return port_; }

 private:
  int socket_;
  int port_ = 0;
};

class PgStoreTest : public ::testing::Test {
 protected:
  PgStoreOptions Options(bool read_only = false) const {
    PgStoreOptions options;
    options.url = database_.Url();
    options.read_only = read_only;
    options.connect_timeout_seconds = 5;
    return options;
  }

  Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options, Clock& clock,
                                        const app::Projector& projector) {
    return PgStore::Open(options, clock, projector);
  }
  Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options) {
    return Open(options, clock_, projector_);
  }

  std::unique_ptr<PgStore> OpenOrDie(Clock& clock, const app::Projector& projector) {
    auto store = Open(Options(), clock, projector);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<PgStore> OpenOrDie() { return OpenOrDie(clock_, projector_); }

  std::optional<app::Row> NoteRow(app::StoreReader& store, const std::string& id) {
    return testing::NoteRow(store, projector_, id);
  }

  // First: created before the stores of a test and dropped after them.
  TestDatabase database_;
  FakeClock clock_;
  NoteProjector projector_;
};

TEST_F(PgStoreTest, TwoServersAppendingAtOnceWriteOneChainWithNoGapAndAgreeOnItsHead) {
  // The second server's clock is an hour behind the first's: AL-01 still holds across them.
  FakeClock behind(Timestamp::FromMicros(FakeClock::kDefaultStart - 3600 * kMicrosPerSecond));
  std::vector<std::unique_ptr<PgStore>> servers;
  servers.push_back(OpenOrDie(clock_, projector_));
  servers.push_back(OpenOrDie(behind, projector_));
  ASSERT_TRUE(servers[0] && servers[1]);

  constexpr std::size_t kThreadsPerServer = 4;
  constexpr int kAppendsPerThread = 25;
  constexpr std::size_t kWriters = 2 * kThreadsPerServer;
  std::vector<std::vector<ledger::Event>> acknowledged(kWriters);
  std::vector<std::vector<std::string>> errors(kWriters);
  std::vector<std::thread> threads;
  threads.reserve(kWriters);
  for (std::size_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      PgStore& server = *servers[w % 2];
      const std::string id = "writer-" + std::to_string(w);
      std::uint64_t last_seq = 0;
      for (int i = 0; i < kAppendsPerThread; ++i) {
        // Only this thread writes its stream: its own last seq is the right expectation, and a
        // refusal would mean the other server's commits hid this one's.
        auto events =
            server.Append(Request({Note(id, std::to_string(i))}, {{{"note", id}, last_seq}}));
        if (!events) {
          errors[w].push_back(events.error().ToString());
          continue;
        }
        last_seq = events->front().seq;
        acknowledged[w].push_back(events->front());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::map<std::uint64_t, ledger::Event> by_seq;
  for (std::size_t w = 0; w < kWriters; ++w) {
    for (const std::string& error : errors[w]) ADD_FAILURE() << "writer " << w << ": " << error;
    ASSERT_EQ(acknowledged[w].size(), static_cast<std::size_t>(kAppendsPerThread));
    for (const ledger::Event& event : acknowledged[w]) {
      EXPECT_TRUE(by_seq.emplace(event.seq, event).second)
          << "seq " << event.seq << " acknowledged twice";
    }
  }
  constexpr std::size_t kTotal = kWriters * kAppendsPerThread;
  const auto stored = AllEvents(*servers[0]);
  ASSERT_EQ(stored.size(), kTotal);
  EXPECT_EQ(AllEvents(*servers[1]), stored);
  std::vector<Hash256> hashes;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].seq, i + 1);
    const auto found = by_seq.find(stored[i].seq);
    ASSERT_NE(found, by_seq.end()) << "seq " << stored[i].seq << " stored but not acknowledged";
    EXPECT_EQ(stored[i], found->second);
    hashes.push_back(stored[i].hash);
  }
  EXPECT_EQ(Describe(VerifyChain(stored)), "ok");

  auto head_a = servers[0]->Head();
  auto head_b = servers[1]->Head();
  ASSERT_TRUE(head_a) << head_a.error().ToString();
  ASSERT_TRUE(head_b) << head_b.error().ToString();
  EXPECT_EQ(head_a->size, kTotal);
  EXPECT_EQ(head_a->head_hash, stored.back().hash);
  EXPECT_EQ(head_a->root_hash, ledger::MerkleRoot(hashes));
  EXPECT_EQ(head_a->last_time, stored.back().time);
  EXPECT_EQ(head_b->size, head_a->size);
  EXPECT_EQ(head_b->head_hash, head_a->head_hash);
  EXPECT_EQ(head_b->root_hash, head_a->root_hash);
  EXPECT_EQ(head_b->last_time, head_a->last_time);
  // Each server's projections saw the other's events: every stream's row counts all its events.
  for (std::size_t w = 0; w < kWriters; ++w) {
    const std::string id = "writer-" + std::to_string(w);
    for (const auto& server : servers) {
      EXPECT_EQ(NoteRow(*server, id),
                NoteValues(id, std::to_string(kAppendsPerThread - 1), kAppendsPerThread));
    }
  }
  EXPECT_EQ(servers[0]->Stats().events + servers[1]->Stats().events, kTotal);
  EXPECT_EQ(servers[0]->Stats().rejected + servers[1]->Stats().rejected, 0u);
}

TEST_F(PgStoreTest, ServersStartingAtOnceOnAnEmptyDatabaseMigrateItOnce) {
  constexpr std::size_t kServers = 4;
  std::vector<Result<std::unique_ptr<PgStore>>> opened;
  opened.reserve(kServers);
  for (std::size_t i = 0; i < kServers; ++i) opened.emplace_back(Unexpected(Internal("not run")));
  std::vector<std::thread> threads;
  threads.reserve(kServers);
  for (std::size_t i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] { opened[i] = Open(Options(), clock_, projector_); });
  }
  for (std::thread& thread : threads) thread.join();
  for (auto& store : opened) ASSERT_TRUE(store) << store.error().ToString();
  EXPECT_EQ(database_.QueryValue("SELECT count(*) FROM schema_migrations"),
            std::to_string(PostgresMigrations().size()));
  // Each server appends to the one chain the migration created.
  for (std::size_t i = 0; i < kServers; ++i) {
    auto appended = (*opened[i])->Append(Request({Note("n-1", "x")}));
    ASSERT_TRUE(appended) << appended.error().ToString();
    EXPECT_EQ(appended->front().seq, i + 1);
  }
  EXPECT_EQ(NoteRow(**opened[0], "n-1"), NoteValues("n-1", "x", std::int64_t{kServers}));
}

TEST_F(PgStoreTest, AfterItsSessionsAreEndedTheStoreReconnectsForAppendsAndReads) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Append(Request({Note("n-1", "before")})));
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto before = store->Head();
    ASSERT_TRUE(before) << before.error().ToString();
    // The writer and the pooled reader, both idle between requests, as a failover or an
    // administrator's pg_terminate_backend leaves them.
    EXPECT_NE(TerminateStoreSessions(database_), "0");

    // A read on a lost pooled connection may fail, but the pool drops it: the next one reconnects.
    auto first_read = store->Head();
    if (!first_read) EXPECT_EQ(first_read.error().Code(), ErrorCode::kUnavailable);
    auto read = store->Head();
    ASSERT_TRUE(read) << read.error().ToString();
    EXPECT_EQ(read->size, before->size);
    EXPECT_EQ(read->head_hash, before->head_hash);

    // The first append either fails cleanly or reconnects and succeeds.
    auto appended =
        store->Append(Request({Note("n-1", "first after round " + std::to_string(round))}));
    if (!appended) {
      EXPECT_EQ(appended.error().Code(), ErrorCode::kUnavailable) << appended.error().ToString();
      auto head = store->Head();
      ASSERT_TRUE(head) << head.error().ToString();
      EXPECT_EQ(head->size, before->size);
      EXPECT_EQ(AllEvents(*store).size(), before->size);
    }
    // The one after it succeeds, and continues the chain from what is stored.
    auto next = store->Append(Request({Note("n-1", "round " + std::to_string(round))}));
    ASSERT_TRUE(next) << next.error().ToString();
    const std::uint64_t expected_seq = before->size + (appended ? 2 : 1);
    EXPECT_EQ(next->front().seq, expected_seq);
  }
  const auto events = AllEvents(*store);
  EXPECT_EQ(Describe(VerifyChain(events)), "ok");
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, events.size());
  EXPECT_EQ(head->head_hash, events.back().hash);
}

TEST_F(PgStoreTest, AConnectionLostInsideTheWritersTransactionStoresNothingOfTheBatch) {
  std::atomic<int> cuts{0};
  std::string ended;
  // Runs on the commit leader's thread while the test's thread waits in Append: one user of
  // database_ at a time.
  const CuttingProjector cutting([&] {
    ++cuts;
    ended = TerminateStoreSessions(database_, "state = 'idle in transaction'");
  });
  auto store = OpenOrDie(clock_, cutting);
  ASSERT_TRUE(store);
  auto kept = store->Append(Request({Note("n-1", "kept")}));
  ASSERT_TRUE(kept) << kept.error().ToString();
  const auto before = store->Head();
  ASSERT_TRUE(before);

  auto cut = store->Append(Request({Note("n-2", "lost"), Note("n-1", "cut", kCut)}));
  ASSERT_EQ(cuts.load(), 1);
  EXPECT_EQ(ended, "1") << "the writer's session was not found inside its transaction";
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().Code(), ErrorCode::kUnavailable) << cut.error().ToString();

  // The writer reconnects, and the chain goes on from the last stored event.
  testing::ExpectNothingOfTheRefusedRequestAndTheChainGoesOn(*store, projector_, *kept, *before);
}

TEST_F(PgStoreTest, OpenReportsUnavailableNamingTheUrlWithoutItsPasswordWhenNoServerAnswers) {
  RefusingPort refusing;
  const std::string host = "@127.0.0.1:" + std::to_string(refusing.Port()) + "/aliquot";
  for (const bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "read-write");
    PgStoreOptions options = Options(read_only);
    options.url = "postgresql://aliquot_test:hunter2-secret" + host;
    auto store = Open(options);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kUnavailable);
    EXPECT_THAT(store.error().Message(), HasSubstr("postgresql://aliquot_test:***" + host));
    EXPECT_THAT(store.error().ToString(), Not(HasSubstr("hunter2")));

    // Without a password there is nothing to hide: the URL is named as given.
    options.url = "postgresql://aliquot_test" + host;
    store = Open(options);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kUnavailable);
    EXPECT_THAT(store.error().Message(), HasSubstr(options.url));
  }
}

TEST_F(PgStoreTest, OpenRefusesADatabaseFromANewerBuildNamingTheMigrationItLacks) {
  OpenOrDie().reset();
  database_.Execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)");
  auto store = Open(Options());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
  EXPECT_THAT(store.error().Message(),
              HasSubstr("up to " + std::to_string(PostgresMigrations().back().version)));

  store = Open(Options(/*read_only=*/true));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
}

TEST_F(PgStoreTest, OpenRefusesALedgerWhoseRecordedHeadDisagreesWithItsEvents) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append(Request({Note("n-1", "x")})));
  }
  // The recorded tip claims an event the ledger does not hold.
  database_.Execute("UPDATE ledger_head SET size = size + 1");
  {
    auto store = Open(Options());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss) << store.error().ToString();
    EXPECT_THAT(store.error().Message(), HasSubstr("ledger_head"));
  }
  // A read-only open (verify) is let in, so that it can report exactly what is damaged; it can
  // append nothing to the damaged chain.
  {
    auto store = Open(Options(/*read_only=*/true));
    ASSERT_TRUE(store) << store.error().ToString();
    EXPECT_EQ((*store)->Append(Request({Note("n-1", "x")})).error().Code(),
              ErrorCode::kPermissionDenied);
  }
  // Put back, the same database opens: the refusal was the tampering's, not the database's.
  database_.Execute("UPDATE ledger_head SET size = size - 1");
  auto reopened = Open(Options());
  ASSERT_TRUE(reopened) << reopened.error().ToString();
  reopened->reset();

  // The recorded tip's hash is not the last event's.
  database_.Execute("UPDATE ledger_head SET head_hash = sha256('forged'::bytea)");
  auto store = Open(Options());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss) << store.error().ToString();
  EXPECT_THAT(store.error().Message(), HasSubstr("damaged"));
}

}  // namespace
}  // namespace aliquot::storage
