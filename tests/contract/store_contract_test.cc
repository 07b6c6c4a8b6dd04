// The Store contract: one suite of what app::Store promises, run against every engine (SQLite and
// PostgreSQL), so that a use case behaves the same whichever one a site runs. What only one engine
// can show (a file that is not a database, several servers on one database) is tested beside that
// engine: storage/sqlite/sqlite_store_test.cc, storage/postgres/pg_store_test.cc.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/note_projector.h"
#include "tests/support/postgres.h"
#include "tests/support/raw_sqlite.h"
#include "tests/support/temp_dir.h"

namespace aliquot::storage {
namespace {

using ::aliquot::testing::AllEvents;
using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::kPoison;
using ::aliquot::testing::Note;
using ::aliquot::testing::NoteProjector;
using ::aliquot::testing::NoteValues;
using ::aliquot::testing::RawDatabase;
using ::aliquot::testing::Request;
using ::aliquot::testing::Signature;
using ::aliquot::testing::SignatureValues;
using ::aliquot::testing::TempDir;
using ::aliquot::testing::TestDatabase;
using ::aliquot::testing::VerifyChain;
using ::testing::HasSubstr;
using std::string_literals::operator""s;

using Rows = std::vector<app::Row>;

enum class Engine { kSqlite, kPostgres };

const char* EngineName(Engine engine) { return engine == Engine::kSqlite ? "sqlite" : "postgres"; }
// gtest prints a failing test's parameter with this: "where GetParam() = postgres".
void PrintTo(Engine engine, std::ostream* out) { *out << EngineName(engine); }

// How a test opens the store; each engine maps it onto its own options.
enum class Access {
  kCreate,     // SQLite creates the file; PostgreSQL's database always exists.
  kReadWrite,  // The store must exist already (SQLite: kNotFound otherwise).
  kReadOnly,
};

class StoreContractTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    // Each test gets a database of its own, dropped when it ends, as SQLite gets a fresh folder.
    if (IsPostgres()) database_ = std::make_unique<TestDatabase>();
  }

  bool IsPostgres() const { return GetParam() == Engine::kPostgres; }

  Result<std::unique_ptr<app::Store>> Open(Access access, const app::Projector& projector) {
    if (IsPostgres()) {
      PgStoreOptions options;
      options.url = database_->Url();
      options.read_only = access == Access::kReadOnly;
      auto store = PgStore::Open(options, clock_, projector);
      if (!store) return Unexpected(store.error());
      return std::unique_ptr<app::Store>(std::move(*store));
    }
    SqliteStoreOptions options;
    options.path = DbPath();
    options.mode = access == Access::kCreate      ? OpenMode::kReadWriteCreate
                   : access == Access::kReadWrite ? OpenMode::kReadWrite
                                                  : OpenMode::kReadOnly;
    auto store = SqliteStore::Open(options, clock_, projector);
    if (!store) return Unexpected(store.error());
    return std::unique_ptr<app::Store>(std::move(*store));
  }
  Result<std::unique_ptr<app::Store>> Open(Access access) { return Open(access, projector_); }

  std::unique_ptr<app::Store> OpenOrDie(Access access = Access::kCreate) {
    auto store = Open(access);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }

  // Runs `sql` on the engine's database directly, behind the store's back (what an administrator
  // with sqlite3 or psql can do); returns "" or the engine's error message.
  std::string ExecRaw(const std::string& sql) {
    if (IsPostgres()) return database_->TryExecute(sql);
    return RawDatabase(DbPath()).Exec(sql);
  }

  // The first column of the first row of `sql`, as text, read behind the store's back.
  std::string QueryRaw(const std::string& sql) {
    if (IsPostgres()) return database_->QueryValue(sql);
    return RawDatabase(DbPath()).QueryText(sql);
  }

  std::optional<app::Row> NoteRow(app::StoreReader& store, const std::string& id) {
    return testing::NoteRow(store, projector_, id);
  }

  // The rows ScanRowsWithPrefix visits in `table` (note_signatures by default) under `prefix`, in
  // the order visited; a failed scan fails the current test.
  Rows RowsUnder(app::StoreReader& store, const app::Row& prefix,
                 const app::TableSpec* table = nullptr) {
    Rows rows;
    auto scanned = store.ScanRowsWithPrefix(table != nullptr ? *table : projector_.Signatures(),
                                            prefix, [&](const app::Row& row) -> Status {
                                              rows.push_back(row);
                                              return {};
                                            });
    EXPECT_TRUE(scanned) << scanned.error().ToString();
    return rows;
  }

  // The rows ScanRowRange visits in `table` (note_signatures by default) for `range`, in the order
  // visited; a failed scan fails the current test.
  Rows RowsInRange(app::StoreReader& store, const app::RowRange& range,
                   const app::TableSpec* table = nullptr) {
    Rows rows;
    auto scanned = store.ScanRowRange(table != nullptr ? *table : projector_.Signatures(), range,
                                      [&](const app::Row& row) -> Status {
                                        rows.push_back(row);
                                        return {};
                                      });
    EXPECT_TRUE(scanned) << scanned.error().ToString();
    return rows;
  }

  // A ledger of five events sealed by another store (a SQLite file of its own, as a site moving
  // engines has), whose clock runs a day ahead of this test's.
  std::vector<ledger::Event> LedgerFromAnotherStore() {
    FakeClock source_clock(Timestamp::FromMicros(FakeClock::kDefaultStart +
                                                 std::int64_t{24} * 3600 * kMicrosPerSecond));
    SqliteStoreOptions options;
    options.path = (dir_ / "source.db").string();
    options.mode = OpenMode::kReadWriteCreate;
    auto source = SqliteStore::Open(options, source_clock, projector_);
    EXPECT_TRUE(source) << source.error().ToString();
    if (!source) return {};
    ledger::NewEvent corrected = Note("n-1", "corrected: 5.20 g, not 5.02 g");
    corrected.reason = "transcription error";
    for (const auto& request :
         {Request({Note("n-1", "weighed 5.02 g")}), Request({corrected, Note("n-2", "pH 7.1")}),
          Request({Note("n-3", "naïve \u00b5g \\ \"quoted\"")}),
          Request({Note("n-2", "pH 7.2")})}) {
      auto appended = (*source)->Append(request);
      EXPECT_TRUE(appended) << appended.error().ToString();
      source_clock.Advance(kMicrosPerSecond);
    }
    return AllEvents(**source);
  }

  // Asserts that `store` holds nothing: no event, the genesis head, no notes row.
  void ExpectEmpty(app::Store& store) {
    EXPECT_EQ(AllEvents(store), std::vector<ledger::Event>{});
    auto head = store.Head();
    ASSERT_TRUE(head) << head.error().ToString();
    EXPECT_EQ(head->size, 0u);
    EXPECT_EQ(head->head_hash, ledger::kGenesisPrevHash);
    EXPECT_EQ(head->root_hash, ledger::EmptyRoot());
    for (const char* id : {"n-1", "n-2", "n-3"}) EXPECT_EQ(NoteRow(store, id), std::nullopt) << id;
  }

  std::string DbPath() const { return (dir_ / "aliquot.db").string(); }

  // The store's BlobStore side: each engine's store implements both ports on one object.
  app::BlobStore& Blobs(app::Store& store) const {
    if (IsPostgres()) return static_cast<PgStore&>(store);
    return static_cast<SqliteStore&>(store);
  }

  // Replaces a stored blob's bytes with `hex` behind the store's back, dropping the trigger that
  // refuses it first, as an administrator bent on it could; "" or the engine's error.
  std::string AlterBlobContent(const std::string& sha256, const std::string& hex) {
    const std::string drop = IsPostgres() ? "DROP TRIGGER IF EXISTS blobs_no_update_or_delete ON "
                                            "blobs; "
                                          : "DROP TRIGGER IF EXISTS blobs_no_update; ";
    const std::string content = IsPostgres() ? "decode('" + hex + "', 'hex')" : "X'" + hex + "'";
    return ExecRaw(drop + "UPDATE blobs SET content = " + content + " WHERE sha256 = '" + sha256 +
                   "'");
  }

  // Every blob's description as ScanBlobs visits it; a failed scan fails the current test.
  std::vector<app::BlobInfo> ScannedBlobs(app::BlobStore& blobs) {
    std::vector<app::BlobInfo> infos;
    auto scanned = blobs.ScanBlobs([&](const app::BlobInfo& info) -> Status {
      infos.push_back(info);
      return {};
    });
    EXPECT_TRUE(scanned) << scanned.error().ToString();
    return infos;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> database_;
  FakeClock clock_;
  NoteProjector projector_;
};

// A BlobInfo as one line, so that a failing comparison prints both sides; "none" for nullopt.
std::string BlobText(const std::optional<app::BlobInfo>& info) {
  if (!info) return "none";
  return info->sha256 + " " + std::to_string(info->size) + " bytes " + info->media_type + " at " +
         std::to_string(info->stored_at.Micros());
}

// `size` bytes from a seeded generator (the same every run), holding every byte value, NUL and
// 0xFF among them, wherever the generator puts them.
std::string BinaryBytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(i < 256 ? i : random() & 0xff);
  }
  return bytes;
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreContractTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return std::string(EngineName(info.param));
                         });

TEST_P(StoreContractTest, AppendSealsSequenceTimeAndChainAndReturnsTheSealedEvents) {
  auto store = OpenOrDie();
  auto first = store->Append(Request({Note("n-1", "weighed 5.02 g")}));
  ASSERT_TRUE(first) << first.error().ToString();
  clock_.Advance(3 * kMicrosPerSecond);
  auto second = store->Append(Request({Note("n-2", "pH 7.1"), Note("n-1", "re-weighed")}));
  ASSERT_TRUE(second) << second.error().ToString();

  ASSERT_EQ(first->size(), 1u);
  ASSERT_EQ(second->size(), 2u);
  const ledger::Event& one = first->front();
  EXPECT_EQ(one.seq, 1u);
  EXPECT_EQ(one.time, Timestamp::FromMicros(FakeClock::kDefaultStart));
  EXPECT_EQ(one.prev_hash, ledger::kGenesisPrevHash);
  EXPECT_EQ(one.hash, ledger::ComputeEventHash(one));
  EXPECT_EQ(one.payload, R"({"body":"weighed 5.02 g"})");
  EXPECT_EQ(one.actor, (ledger::Actor{"u-17", "Ada Lovelace"}));
  EXPECT_EQ(one.terminal, "bench-3");

  const ledger::Event& two = (*second)[0];
  const ledger::Event& three = (*second)[1];
  EXPECT_EQ(two.seq, 2u);
  EXPECT_EQ(three.seq, 3u);
  EXPECT_EQ(two.time, Timestamp::FromMicros(FakeClock::kDefaultStart + 3 * kMicrosPerSecond));
  EXPECT_EQ(three.time, two.time);
  EXPECT_EQ(two.prev_hash, one.hash);
  EXPECT_EQ(three.prev_hash, two.hash);
  EXPECT_EQ(three.hash, ledger::ComputeEventHash(three));
  EXPECT_NE(two.hash, three.hash);
}

TEST_P(StoreContractTest, EventsReadBackExactlyAsAppended) {
  auto store = OpenOrDie();
  std::vector<ledger::Event> appended;
  ledger::NewEvent with_reason = Note("n-1", "corrected: 5.20 g, not 5.02 g");
  with_reason.reason = "transcription error";
  ledger::NewEvent unusual = Note("n-\"2\"", "naïve \u00b5g \\ \"quoted\" \t tab");
  unusual.payload.Set("values", Json(Json::Array{Json(1), Json(2.5), Json(nullptr), Json(true)}));
  for (const auto& request : {Request({Note("n-1", "5.02 g")}), Request({with_reason, unusual})}) {
    auto events = store->Append(request);
    ASSERT_TRUE(events) << events.error().ToString();
    appended.insert(appended.end(), events->begin(), events->end());
    clock_.Advance(1);
  }

  EXPECT_EQ(AllEvents(*store), appended);
  EXPECT_EQ(appended[1].reason, "transcription error");
  EXPECT_EQ(appended[0].reason, std::nullopt);
  // A range reads just that range.
  std::vector<ledger::Event> middle;
  ASSERT_TRUE(store->ScanEvents(2, 3, [&](const ledger::Event& event) -> Status {
    middle.push_back(event);
    return {};
  }));
  EXPECT_EQ(middle, std::vector<ledger::Event>{appended[1]});
}

TEST_P(StoreContractTest, ScanEventsVisitsExactlyItsRange) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->Append(Request({Note("n-1", "a"), Note("n-1", "b"), Note("n-1", "c")})));
  const auto scan = [&](std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> seqs;
    auto scanned = store->ScanEvents(from, to, [&](const ledger::Event& event) -> Status {
      seqs.push_back(event.seq);
      return {};
    });
    EXPECT_TRUE(scanned) << scanned.error().ToString();
    return seqs;
  };
  using Seqs = std::vector<std::uint64_t>;
  EXPECT_EQ(scan(1, UINT64_MAX), (Seqs{1, 2, 3}));
  EXPECT_EQ(scan(2, 3), (Seqs{2}));
  EXPECT_EQ(scan(0, 2), (Seqs{1}));
  EXPECT_EQ(scan(2, 2), Seqs{});
  EXPECT_EQ(scan(3, 1), Seqs{});
  EXPECT_EQ(scan(4, UINT64_MAX), Seqs{});
  // Sequence numbers are signed 64-bit integers in both engines: a range starting past INT64_MAX
  // holds none of them, and must not wrap around to a negative bound that holds them all.
  EXPECT_EQ(scan(std::uint64_t{1} << 63, UINT64_MAX), Seqs{});
  EXPECT_EQ(scan(UINT64_MAX, 2), Seqs{});

  // A visitor's error ends the scan and is returned as it is.
  int visited = 0;
  auto stopped = store->ScanEvents(1, UINT64_MAX, [&](const ledger::Event&) -> Status {
    ++visited;
    return Unexpected(Aborted("enough"));
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error(), Aborted("enough"));
  EXPECT_EQ(visited, 1);
}

TEST_P(StoreContractTest, HeadAndRootMatchAMerkleTreeOverTheEventHashes) {
  auto store = OpenOrDie();
  auto empty = store->Head();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size, 0u);
  EXPECT_EQ(empty->head_hash, ledger::kGenesisPrevHash);
  EXPECT_EQ(empty->root_hash, ledger::EmptyRoot());

  std::vector<Hash256> hashes;
  for (int i = 0; i < 7; ++i) {
    auto events = store->Append(Request({Note("n-" + std::to_string(i % 3), std::to_string(i))}));
    ASSERT_TRUE(events) << events.error().ToString();
    hashes.push_back(events->back().hash);
    clock_.Advance(kMicrosPerSecond);

    auto head = store->Head();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->size, hashes.size());
    EXPECT_EQ(head->head_hash, hashes.back());
    EXPECT_EQ(head->root_hash, ledger::MerkleRoot(hashes));
    EXPECT_EQ(head->last_time, events->back().time);
  }
  auto stored = store->EventHashes(7);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, hashes);
  auto prefix = store->EventHashes(3);
  ASSERT_TRUE(prefix);
  EXPECT_EQ(*prefix, std::vector<Hash256>(hashes.begin(), hashes.begin() + 3));
  auto beyond = store->EventHashes(8);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().Code(), ErrorCode::kNotFound);
}

// Verifies AL-01
TEST_P(StoreContractTest, TimeNeverGoesBackwardsWhenTheClockStepsBack) {
  auto store = OpenOrDie();
  auto first = store->Append(Request({Note("n-1", "before the step")}));
  ASSERT_TRUE(first);
  const Timestamp sealed = first->front().time;

  clock_.Advance(-3600 * kMicrosPerSecond);  // NTP steps the clock back an hour.
  auto during = store->Append(Request({Note("n-1", "during"), Note("n-2", "during")}));
  ASSERT_TRUE(during);
  EXPECT_EQ((*during)[0].time, sealed);
  EXPECT_EQ((*during)[1].time, sealed);

  // Across a restart too: the floor is the ledger's last time, not this process's memory.
  store.reset();
  store = OpenOrDie();
  auto after_restart = store->Append(Request({Note("n-3", "after restart")}));
  ASSERT_TRUE(after_restart);
  EXPECT_EQ(after_restart->front().time, sealed);

  clock_.Advance(3601 * kMicrosPerSecond);
  auto later = store->Append(Request({Note("n-1", "clock caught up")}));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->front().time, Timestamp::FromMicros(sealed.Micros() + kMicrosPerSecond));
  EXPECT_EQ(Describe(VerifyChain(AllEvents(*store))), "ok");
}

TEST_P(StoreContractTest, RefusesAnAppendWhoseStreamMovedAndStoresNothingOfIt) {
  auto store = OpenOrDie();
  // An expectation of an empty stream holds for a stream nobody wrote.
  auto created = store->Append(Request({Note("n-1", "first")}, {{{"note", "n-1"}, 0}}));
  ASSERT_TRUE(created) << created.error().ToString();
  auto other = store->Append(Request({Note("n-2", "elsewhere")}));
  ASSERT_TRUE(other);
  // Still as of seq 1: another stream moving does not matter.
  auto updated = store->Append(Request({Note("n-1", "second")}, {{{"note", "n-1"}, 1}}));
  ASSERT_TRUE(updated) << updated.error().ToString();
  ASSERT_EQ(updated->front().seq, 3u);
  const auto before = store->Head();
  ASSERT_TRUE(before);

  // A caller that decided on the state as of seq 1 lost the race to seq 3.
  auto stale = store->Append(
      Request({Note("n-2", "piggyback"), Note("n-1", "stale")}, {{{"note", "n-1"}, 1}}));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().Code(), ErrorCode::kAborted);
  EXPECT_THAT(stale.error().Message(), HasSubstr("note/n-1"));
  EXPECT_THAT(stale.error().Message(), HasSubstr("last seq 3, expected 1"));

  auto after = store->Head();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size, before->size);
  EXPECT_EQ(after->head_hash, before->head_hash);
  EXPECT_EQ(AllEvents(*store).size(), 3u);
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "elsewhere", 1));
  auto stream_head = store->StreamHead({"note", "n-1"});
  ASSERT_TRUE(stream_head);
  EXPECT_EQ(*stream_head, 3u);
  EXPECT_EQ(store->Stats().rejected, 1u);
}

TEST_P(StoreContractTest, RefusesAMalformedEventNamingItsFieldAndStoresNothing) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->Append(Request({Note("n-1", "kept")})));

  ledger::NewEvent bad_type = Note("n-2", "x", "Note Written");
  auto refused = store->Append(Request({bad_type, Note("n-3", "fine")}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().Field(), "events[0].event_type");
  EXPECT_THAT(refused.error().Message(), HasSubstr("Note Written"));

  ledger::NewEvent array_payload = Note("n-4", "x");
  array_payload.payload = Json::MakeArray();
  refused = store->Append(Request({Note("n-3", "fine"), array_payload}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().Field(), "events[1].payload");

  refused = store->Append(Request({}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().Field(), "events");

  const auto events = AllEvents(*store);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].stream.id, "n-1");
  EXPECT_EQ(NoteRow(*store, "n-3"), std::nullopt);
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 1u);
}

TEST_P(StoreContractTest, ARequestIsAtomicWhenItsProjectionFailsMidway) {
  auto store = OpenOrDie();
  auto kept = store->Append(Request({Note("n-1", "kept")}));
  ASSERT_TRUE(kept);
  const auto before = store->Head();
  ASSERT_TRUE(before);

  // The first two events are sealed and projected before the third one fails.
  auto refused = store->Append(
      Request({Note("n-1", "lost"), Note("n-2", "lost"), Note("n-3", "boom", kPoison)}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(refused.error().Message(), HasSubstr("the projector refuses it"));

  // The chain goes on from the last stored event, not from the refused ones.
  testing::ExpectNothingOfTheRefusedRequestAndTheChainGoesOn(*store, projector_, *kept, *before);
}

TEST_P(StoreContractTest, ConcurrentAppendsShareCommitsAndEveryAcknowledgedEventIsStoredOnce) {
  auto store = OpenOrDie();
  constexpr int kThreads = 16;
  constexpr int kAppendsPerThread = 50;
  std::vector<std::vector<ledger::Event>> acknowledged(kThreads);
  std::vector<std::vector<std::string>> errors(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "thread-" + std::to_string(t);
      std::uint64_t last_seq = 0;
      for (int i = 0; i < kAppendsPerThread; ++i) {
        // Only this thread writes its stream, so its own last seq is always the right
        // expectation, even when the unit before it in the batch is not yet committed.
        auto events =
            store->Append(Request({Note(id, std::to_string(i))}, {{{"note", id}, last_seq}}));
        if (!events) {
          errors[static_cast<std::size_t>(t)].push_back(events.error().ToString());
          continue;
        }
        last_seq = events->front().seq;
        acknowledged[static_cast<std::size_t>(t)].push_back(events->front());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::map<std::uint64_t, ledger::Event> by_seq;
  for (int t = 0; t < kThreads; ++t) {
    const auto& mine = acknowledged[static_cast<std::size_t>(t)];
    for (const std::string& error : errors[static_cast<std::size_t>(t)]) ADD_FAILURE() << error;
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(kAppendsPerThread));
    for (std::size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i].payload, R"({"body":")" + std::to_string(i) + R"("})");
      if (i > 0) EXPECT_GT(mine[i].seq, mine[i - 1].seq);
      EXPECT_TRUE(by_seq.emplace(mine[i].seq, mine[i]).second)
          << "seq " << mine[i].seq << " acknowledged twice";
    }
  }
  constexpr std::size_t kTotal = static_cast<std::size_t>(kThreads) * kAppendsPerThread;
  const auto stored = AllEvents(*store);
  ASSERT_EQ(stored.size(), kTotal);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].seq, i + 1);
    const auto found = by_seq.find(stored[i].seq);
    ASSERT_NE(found, by_seq.end());
    EXPECT_EQ(stored[i], found->second);
  }
  EXPECT_EQ(Describe(VerifyChain(stored)), "ok");
  for (int t = 0; t < kThreads; ++t) {
    const std::string id = "thread-" + std::to_string(t);
    EXPECT_EQ(NoteRow(*store, id),
              NoteValues(id, std::to_string(kAppendsPerThread - 1), kAppendsPerThread));
  }

  const app::StoreStats stats = store->Stats();
  EXPECT_EQ(stats.appends, kTotal);
  EXPECT_EQ(stats.events, kTotal);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_GE(stats.commits, 1u);
  // With sixteen appenders each waiting on a sync, some must have shared one.
  EXPECT_LT(stats.commits, stats.appends);
  RecordProperty("appends_per_commit",
                 std::to_string(static_cast<double>(stats.appends) /
                                static_cast<double>(std::max<std::uint64_t>(stats.commits, 1))));
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, kTotal);
  EXPECT_EQ(head->head_hash, stored.back().hash);
}

TEST_P(StoreContractTest, ARefusedRequestInAConcurrentBatchLeavesTheOthersCommitted) {
  auto store = OpenOrDie();
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 20;
  // Every fourth request of each thread ends with an event the projector refuses.
  const auto poisoned = [](int i) { return i % 4 == 3; };
  std::vector<std::vector<std::vector<ledger::Event>>> acknowledged(kThreads);
  std::vector<std::vector<ErrorCode>> refusals(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "thread-" + std::to_string(t);
      for (int i = 0; i < kRequestsPerThread; ++i) {
        auto events = store->Append(
            Request({Note(id, std::to_string(i)),
                     Note(id, std::to_string(i) + "b", poisoned(i) ? kPoison : "note.written")}));
        if (events) {
          acknowledged[static_cast<std::size_t>(t)].push_back(*events);
        } else {
          refusals[static_cast<std::size_t>(t)].push_back(events.error().Code());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::size_t accepted = 0;
  for (int t = 0; t < kThreads; ++t) {
    const auto& mine = acknowledged[static_cast<std::size_t>(t)];
    EXPECT_EQ(mine.size(), 15u);
    EXPECT_EQ(refusals[static_cast<std::size_t>(t)],
              std::vector<ErrorCode>(5, ErrorCode::kDataLoss));
    for (const auto& request : mine) {
      ASSERT_EQ(request.size(), 2u);
      // One request's events are never interleaved with another's.
      EXPECT_EQ(request[1].seq, request[0].seq + 1);
      accepted += request.size();
    }
    const std::string id = "thread-" + std::to_string(t);
    EXPECT_EQ(NoteRow(*store, id),
              NoteValues(id, std::to_string(kRequestsPerThread - 2) + "b", std::int64_t{2} * 15));
  }
  const auto stored = AllEvents(*store);
  EXPECT_EQ(stored.size(), accepted);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].seq, i + 1);
    EXPECT_NE(stored[i].event_type, kPoison);
  }
  EXPECT_EQ(Describe(VerifyChain(stored)), "ok");
  const app::StoreStats stats = store->Stats();
  EXPECT_EQ(stats.appends, static_cast<std::uint64_t>(kThreads * 15));
  EXPECT_EQ(stats.rejected, static_cast<std::uint64_t>(kThreads * 5));
  EXPECT_EQ(stats.events, accepted);
}

TEST_P(StoreContractTest, AcknowledgedEventsSurviveClosingAndReopening) {
  std::vector<ledger::Event> appended;
  app::LedgerHead head_before;
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 5; ++i) {
      auto events = store->Append(Request({Note("n-" + std::to_string(i % 2), std::to_string(i))}));
      ASSERT_TRUE(events);
      appended.insert(appended.end(), events->begin(), events->end());
      clock_.Advance(kMicrosPerSecond);
    }
    auto head = store->Head();
    ASSERT_TRUE(head);
    head_before = *head;
  }
  auto store = OpenOrDie(Access::kReadWrite);
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, head_before.size);
  EXPECT_EQ(head->head_hash, head_before.head_hash);
  EXPECT_EQ(head->root_hash, head_before.root_hash);
  EXPECT_EQ(head->last_time, head_before.last_time);
  EXPECT_EQ(AllEvents(*store), appended);
  EXPECT_EQ(NoteRow(*store, "n-0"), NoteValues("n-0", "4", 3));

  auto next = store->Append(Request({Note("n-0", "after reopening")}));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->front().seq, 6u);
  EXPECT_EQ(next->front().prev_hash, head_before.head_hash);
}

TEST_P(StoreContractTest, ReadOnlyOpenRefusesAppendsAndCheckpointsButReads) {
  app::LedgerHead head_written;
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->Append(Request({Note("n-1", "one"), Note("n-2", "two")})));
    head_written = *store->Head();
  }
  auto store = OpenOrDie(Access::kReadOnly);
  auto appended = store->Append(Request({Note("n-3", "three")}));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().Code(), ErrorCode::kPermissionDenied);
  const auto key = Ed25519SigningKey::FromSeed({});
  auto added = store->AddCheckpoint(
      ledger::SignCheckpoint(head_written.size, head_written.root_hash, clock_.Now(), key));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().Code(), ErrorCode::kPermissionDenied);
  // Nor does it take a ledger from elsewhere (this one's own events would be refused anyway).
  auto imported = store->Import({});
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().Code(), ErrorCode::kPermissionDenied);

  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 2u);
  EXPECT_EQ(head->root_hash, head_written.root_hash);
  EXPECT_EQ(AllEvents(*store).size(), 2u);
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "two", 1));
  auto checkpoints = store->Checkpoints();
  ASSERT_TRUE(checkpoints);
  EXPECT_TRUE(checkpoints->empty());
}

TEST_P(StoreContractTest, ReadOnlyOpenRefusesProjectionsBuiltToAnotherDefinition) {
  OpenOrDie().reset();
  const NoteProjector changed(/*with_length=*/true);
  auto store = Open(Access::kReadOnly, changed);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("rebuild"));
}

TEST_P(StoreContractTest, RebuildsProjectionsFromTheLedgerWhenTheirDefinitionChanges) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->Append(Request({Note("n-1", "a"), Note("n-2", "bb")})));
    ASSERT_TRUE(store->Append(Request({Note("n-1", "ccc")})));
  }
  // The columns of the notes table as the database holds them; each dialect lists them its way.
  const std::string count_columns =
      IsPostgres() ? "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' "
                     "AND table_schema = current_schema()"
                   : "SELECT count(*) FROM pragma_table_info('notes')";
  const NoteProjector with_length(/*with_length=*/true);
  {
    auto opened = Open(Access::kReadWrite, with_length);
    ASSERT_TRUE(opened) << opened.error().ToString();
    auto& store = **opened;
    auto row = store.GetRow(with_length.Notes(), {std::string("n-1")});
    ASSERT_TRUE(row) << row.error().ToString();
    EXPECT_EQ(*row, NoteValues("n-1", "ccc", 2, 3));
    row = store.GetRow(with_length.Notes(), {std::string("n-2")});
    ASSERT_TRUE(row);
    EXPECT_EQ(*row, NoteValues("n-2", "bb", 1, 2));
    // Appends under the new definition project into the new table.
    ASSERT_TRUE(store.Append(Request({Note("n-2", "dddd")})));
    row = store.GetRow(with_length.Notes(), {std::string("n-2")});
    ASSERT_TRUE(row);
    EXPECT_EQ(*row, NoteValues("n-2", "dddd", 2, 4));
  }
  EXPECT_EQ(QueryRaw(count_columns), "4");

  // And back: the old definition is rebuilt from the ledger, including what the new one saw.
  auto store = OpenOrDie(Access::kReadWrite);
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "dddd", 2));
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "ccc", 2));
  EXPECT_EQ(QueryRaw(count_columns), "3");
}

// Verifies P11-05
TEST_P(StoreContractTest, TriggersRefuseUpdatingOrDeletingEvents) {
  auto store = OpenOrDie();
  auto appended = store->Append(Request({Note("n-1", "original")}));
  ASSERT_TRUE(appended);
  EXPECT_THAT(ExecRaw("UPDATE events SET payload = '{\"body\":\"edited\"}' WHERE seq = 1"),
              HasSubstr("append-only"));
  EXPECT_THAT(ExecRaw("DELETE FROM events WHERE seq = 1"), HasSubstr("append-only"));
  EXPECT_EQ(AllEvents(*store), *appended);
}

TEST_P(StoreContractTest, OpenRefusesToExtendALedgerWithAHole) {
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append(Request({Note("n-1", "x")})));
  }
  // Each dialect drops the trigger that refuses deletes its own way (PostgreSQL names the table,
  // and one trigger there guards both updates and deletes).
  const std::string drop_trigger = IsPostgres()
                                       ? "DROP TRIGGER events_no_update_or_delete ON events"
                                       : "DROP TRIGGER events_no_delete";
  ASSERT_EQ(ExecRaw(drop_trigger + "; DELETE FROM events WHERE seq = 2"), "");
  auto store = Open(Access::kReadWrite);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(store.error().Message(), HasSubstr("seq 2 is missing"));
}

TEST_P(StoreContractTest, AddCheckpointKeepsOnePerTreeSizeInOrder) {
  auto store = OpenOrDie();
  const auto key = Ed25519SigningKey::FromSeed({});
  const auto at_two = ledger::SignCheckpoint(2, Sha256::Of("two"), clock_.Now(), key);
  const auto at_one = ledger::SignCheckpoint(1, Sha256::Of("one"), clock_.Now(), key);
  ASSERT_TRUE(store->AddCheckpoint(at_two));
  ASSERT_TRUE(store->AddCheckpoint(at_one));
  auto again = store->AddCheckpoint(ledger::SignCheckpoint(2, Sha256::Of("2"), clock_.Now(), key));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kAlreadyExists);

  auto checkpoints = store->Checkpoints();
  ASSERT_TRUE(checkpoints);
  EXPECT_EQ(*checkpoints, (std::vector<ledger::Checkpoint>{at_one, at_two}));
}

// Several servers sign checkpoints; verify requires their times to grow with the tree size, so
// the store refuses one out of order with a stored one (kAborted: sign again) rather than keep a
// record that would fail verification.
TEST_P(StoreContractTest, AddCheckpointRefusesOneOutOfOrderWithAStoredOne) {
  auto store = OpenOrDie();
  const auto key = Ed25519SigningKey::FromSeed({});
  const Timestamp t0 = clock_.Now();
  const Timestamp later = Timestamp::FromMicros(t0.Micros() + 1000);
  ASSERT_TRUE(store->AddCheckpoint(ledger::SignCheckpoint(5, Sha256::Of("five"), t0, key)));

  auto smaller_later = store->AddCheckpoint(ledger::SignCheckpoint(3, Sha256::Of("3"), later, key));
  ASSERT_FALSE(smaller_later);
  EXPECT_EQ(smaller_later.error().Code(), ErrorCode::kAborted);
  const Timestamp earlier = Timestamp::FromMicros(t0.Micros() - 1000);
  auto larger_earlier =
      store->AddCheckpoint(ledger::SignCheckpoint(8, Sha256::Of("8"), earlier, key));
  ASSERT_FALSE(larger_earlier);
  EXPECT_EQ(larger_earlier.error().Code(), ErrorCode::kAborted);

  ASSERT_TRUE(store->AddCheckpoint(ledger::SignCheckpoint(8, Sha256::Of("8"), later, key)));
  auto checkpoints = store->Checkpoints();
  ASSERT_TRUE(checkpoints);
  ASSERT_EQ(checkpoints->size(), 2u);
  EXPECT_EQ((*checkpoints)[1].tree_size, 8u);
}

TEST_P(StoreContractTest, LatestCheckpointIsTheLargestTreeSizeOrNoneBeforeTheFirst) {
  auto store = OpenOrDie();
  auto none = store->LatestCheckpoint();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  const auto key = Ed25519SigningKey::FromSeed({});
  const auto at_two = ledger::SignCheckpoint(2, Sha256::Of("two"), clock_.Now(), key);
  ASSERT_TRUE(store->AddCheckpoint(at_two));
  ASSERT_TRUE(
      store->AddCheckpoint(ledger::SignCheckpoint(1, Sha256::Of("one"), clock_.Now(), key)));
  auto latest = store->LatestCheckpoint();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ(**latest, at_two);
}

TEST_P(StoreContractTest, ReadSeesOneSnapshotWhileAppendsCommit) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->Append(Request({Note("n-1", "before")})));
  std::size_t first_count = 0;
  std::size_t second_count = 0;
  std::optional<app::Row> row_inside;
  auto read = store->Read([&](app::StoreReader& reader) -> Status {
    first_count = AllEvents(reader).size();
    auto appended = store->Append(Request({Note("n-1", "during")}));
    if (!appended) return Unexpected(appended.error());
    second_count = AllEvents(reader).size();
    row_inside = NoteRow(reader, "n-1");
    return {};
  });
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(first_count, 1u);
  EXPECT_EQ(second_count, 1u);
  EXPECT_EQ(row_inside, NoteValues("n-1", "before", 1));
  EXPECT_EQ(AllEvents(*store).size(), 2u);
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "during", 2));
}

TEST_P(StoreContractTest, ScanRowsWithPrefixVisitsOnlyTheRowsUnderThePrefixInKeyOrder) {
  auto store = OpenOrDie();
  // Signatures appended out of key order. Their meanings differ in case and in a non-ASCII
  // letter, where byte order and a locale's order disagree; their seqs pass from 3 to 10, where
  // number order and text order disagree; and note n-10 starts with n-1's id without being it.
  ASSERT_TRUE(store->Append(
      Request({Note("n-1", "draft"), Signature("n-1", "reviewed"), Signature("n-1", "approved")})));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(store->Append(Request({Note("n-2", std::to_string(i))})));  // seq 4..9
  }
  ASSERT_TRUE(store->Append(
      Request({Signature("n-1", "approved", "u-18"), Signature("n-10", "approved"),
               Signature("n-1", "Approved"), Signature("n-1", "émis")})));  // seq 10..13

  // One column of the three-column key: every signature of one note.
  EXPECT_EQ(RowsUnder(*store, {"n-1"s}),
            (Rows{SignatureValues("n-1", "Approved", 12), SignatureValues("n-1", "approved", 3),
                  SignatureValues("n-1", "approved", 10, "u-18"),
                  SignatureValues("n-1", "reviewed", 2), SignatureValues("n-1", "émis", 13)}));
  EXPECT_EQ(RowsUnder(*store, {"n-10"s}), Rows{SignatureValues("n-10", "approved", 11)});
  // Two columns: one meaning's signatures of one note.
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "approved"s}),
            (Rows{SignatureValues("n-1", "approved", 3),
                  SignatureValues("n-1", "approved", 10, "u-18")}));
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "Approved"s}), Rows{SignatureValues("n-1", "Approved", 12)});
  // The whole key: the one row it names.
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "approved"s, std::int64_t{10}}),
            Rows{SignatureValues("n-1", "approved", 10, "u-18")});
  // A one-column key's only prefix is the key itself.
  EXPECT_EQ(RowsUnder(*store, {"n-2"s}, &projector_.Notes()), Rows{NoteValues("n-2", "5", 6)});

  // Nothing under a prefix no row has: a note without signatures, a meaning not used, a seq
  // another meaning holds, a note that does not exist.
  EXPECT_EQ(RowsUnder(*store, {"n-2"s}), Rows{});
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "rejected"s}), Rows{});
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "approved"s, std::int64_t{12}}), Rows{});
  EXPECT_EQ(RowsUnder(*store, {"n-3"s}), Rows{});
  EXPECT_EQ(RowsUnder(*store, {"n-3"s}, &projector_.Notes()), Rows{});

  // A visitor's error ends the scan and is returned as it is.
  int visited = 0;
  auto stopped =
      store->ScanRowsWithPrefix(projector_.Signatures(), {"n-1"s}, [&](const app::Row&) -> Status {
        ++visited;
        return Unexpected(Aborted("enough"));
      });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error(), Aborted("enough"));
  EXPECT_EQ(visited, 1);
}

TEST_P(StoreContractTest, ScanRowsWithPrefixSeesEachAppendAndAReadKeepsItsSnapshot) {
  auto store = OpenOrDie();
  EXPECT_EQ(RowsUnder(*store, {"n-1"s}), Rows{});
  ASSERT_TRUE(store->Append(Request({Signature("n-1", "approved")})));
  EXPECT_EQ(RowsUnder(*store, {"n-1"s}), Rows{SignatureValues("n-1", "approved", 1)});
  ASSERT_TRUE(
      store->Append(Request({Signature("n-2", "approved"), Signature("n-1", "approved", "u-18")})));
  const Rows approved{SignatureValues("n-1", "approved", 1),
                      SignatureValues("n-1", "approved", 3, "u-18")};
  EXPECT_EQ(RowsUnder(*store, {"n-1"s, "approved"s}), approved);
  EXPECT_EQ(RowsUnder(*store, {"n-2"s}), Rows{SignatureValues("n-2", "approved", 2)});

  // Within Read, scans see its snapshot: not a signature committed meanwhile.
  Rows before;
  Rows during;
  auto read = store->Read([&](app::StoreReader& reader) -> Status {
    before = RowsUnder(reader, {"n-1"s});
    auto appended = store->Append(Request({Signature("n-1", "released")}));
    if (!appended) return Unexpected(appended.error());
    during = RowsUnder(reader, {"n-1"s});
    return {};
  });
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(before, approved);
  EXPECT_EQ(during, approved);
  EXPECT_EQ(RowsUnder(*store, {"n-1"s}), (Rows{SignatureValues("n-1", "approved", 1),
                                               SignatureValues("n-1", "approved", 3, "u-18"),
                                               SignatureValues("n-1", "released", 4)}));
}

TEST_P(StoreContractTest, ScanRowsWithPrefixRefusesAPrefixOfTheWrongLengthOrTypes) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->Append(Request({Note("n-1", "draft"), Signature("n-1", "approved")})));
  const app::TableSpec& signatures = projector_.Signatures();
  struct Case {
    std::string what;
    const app::TableSpec& table;
    app::Row prefix;
  };
  const std::vector<Case> cases{
      {"an empty prefix", signatures, {}},
      {"a prefix longer than the key", signatures, {"n-1"s, "approved"s, std::int64_t{2}, "u-17"s}},
      {"a prefix longer than a one-column key", projector_.Notes(), {"n-1"s, "draft"s}},
      {"a number for a text column", signatures, {std::int64_t{1}}},
      {"text for a number column", signatures, {"n-1"s, "approved"s, "2"s}},
      {"a null", signatures, {"n-1"s, app::Value()}},
  };
  for (const Case& wrong : cases) {
    SCOPED_TRACE(wrong.what);
    int visited = 0;
    const app::RowVisitor count = [&](const app::Row&) -> Status {
      ++visited;
      return {};
    };
    auto scanned = store->ScanRowsWithPrefix(wrong.table, wrong.prefix, count);
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().Code(), ErrorCode::kInternal);
    EXPECT_THAT(scanned.error().Message(), HasSubstr(wrong.table.name));
    // The same through a Read's reader.
    auto read = store->Read([&](app::StoreReader& reader) {
      return reader.ScanRowsWithPrefix(wrong.table, wrong.prefix, count);
    });
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().Code(), ErrorCode::kInternal);
    EXPECT_EQ(visited, 0);
  }
}

// A table read by its own spec, whose key (day, entry, author) starts with two INTEGER columns, so
// that a range can run over a key's first column (no prefix) or its second (a one-column prefix),
// with ties on that column ordered by the columns after it. NoteProjector's note_signatures has
// its INTEGER after two TEXT columns: the two-column prefix.
app::TableSpec LogbookTable() {
  return {"logbook",
          {{"day", app::ColumnType::kInteger},
           {"entry", app::ColumnType::kInteger},
           {"author", app::ColumnType::kText},
           {"body", app::ColumnType::kText, true}},
          3};
}

app::Row LogbookRow(std::int64_t day, std::int64_t entry, const std::string& author,
                    app::Value body = app::Value()) {
  return app::Row{day, entry, author, std::move(body)};
}

TEST_P(StoreContractTest, ScanRowRangeVisitsTheRowsBetweenTheBoundsInKeyOrderOrItsReverse) {
  auto store = OpenOrDie();
  // Created and filled behind the store's back, out of key order. Authors tied on (day, entry)
  // differ in case and in a non-ASCII letter, where byte order and a locale's order disagree;
  // days and entries run negative and past 9, where number order and text order disagree.
  const app::TableSpec table = LogbookTable();
  ASSERT_EQ(
      ExecRaw(BuildTableSql(table, IsPostgres() ? Dialect::kPostgres : Dialect::kSqlite).create),
      "");
  ASSERT_EQ(ExecRaw("INSERT INTO logbook VALUES (10, 1, 'ada', 'ten'), (2, 1, 'ada', NULL), "
                    "(-3, 4, 'ada', 'minus three'), (2, 12, 'bob', 'b'), (2, 1, 'émile', 'é'), "
                    "(9, 2, 'ada', 'nine'), (2, 1, 'Ada', 'A'), (2, 3, 'ada', 'a3')"),
            "");
  const app::TableSpec* logbook = &table;
  const Rows all{LogbookRow(-3, 4, "ada", "minus three"s),
                 LogbookRow(2, 1, "Ada", "A"s),
                 LogbookRow(2, 1, "ada"),
                 LogbookRow(2, 1, "émile", "é"s),
                 LogbookRow(2, 3, "ada", "a3"s),
                 LogbookRow(2, 12, "bob", "b"s),
                 LogbookRow(9, 2, "ada", "nine"s),
                 LogbookRow(10, 1, "ada", "ten"s)};
  const auto reversed = [](Rows rows) {
    std::reverse(rows.begin(), rows.end());
    return rows;
  };
  const auto slice = [&](std::size_t from, std::size_t to) {
    return Rows(all.begin() + static_cast<std::ptrdiff_t>(from),
                all.begin() + static_cast<std::ptrdiff_t>(to));
  };

  // No prefix: the range runs over the key's first column.
  EXPECT_EQ(RowsInRange(*store, {}, logbook), all);
  EXPECT_EQ(RowsInRange(*store, {.descending = true}, logbook), reversed(all));
  // Both bounds are exclusive: days 2 and 9 only, not -3 nor 10.
  EXPECT_EQ(RowsInRange(*store, {.after = -3, .before = 10}, logbook), slice(1, 7));
  EXPECT_EQ(RowsInRange(*store, {.after = -3, .before = 10, .descending = true}, logbook),
            reversed(slice(1, 7)));
  EXPECT_EQ(RowsInRange(*store, {.after = 2, .before = 10}, logbook), slice(6, 7));
  EXPECT_EQ(RowsInRange(*store, {.after = 1, .before = 3}, logbook), slice(1, 6));
  // At most `limit` rows, from the range's start in either direction.
  EXPECT_EQ(RowsInRange(*store, {.limit = 2}, logbook), slice(0, 2));
  EXPECT_EQ(RowsInRange(*store, {.descending = true, .limit = 3}, logbook), reversed(slice(5, 8)));
  EXPECT_EQ(RowsInRange(*store, {.after = 1, .before = 3, .limit = 2}, logbook), slice(1, 3));
  EXPECT_EQ(RowsInRange(*store, {.before = 9, .descending = true, .limit = 1}, logbook),
            slice(5, 6));
  EXPECT_EQ(RowsInRange(*store, {.limit = 8}, logbook), all);
  EXPECT_EQ(RowsInRange(*store, {.limit = 0}, logbook), Rows{});
  // An empty range holds nothing: bounds next to each other, or the wrong way round.
  EXPECT_EQ(RowsInRange(*store, {.after = 2, .before = 3}, logbook), Rows{});
  EXPECT_EQ(RowsInRange(*store, {.after = 10, .before = -3}, logbook), Rows{});
  EXPECT_EQ(RowsInRange(*store, {.after = 10}, logbook), Rows{});

  // A one-column prefix: the range runs over the entries of one day.
  const app::Row day2{std::int64_t{2}};
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2}, logbook), slice(1, 6));
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .descending = true}, logbook),
            reversed(slice(1, 6)));
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .after = 1}, logbook), slice(4, 6));
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .before = 12, .descending = true}, logbook),
            reversed(slice(1, 5)));
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .after = 1, .before = 12}, logbook), slice(4, 5));
  // The latest entry before one: the last of the ties on entry 1.
  EXPECT_EQ(
      RowsInRange(*store, {.prefix = day2, .before = 3, .descending = true, .limit = 1}, logbook),
      slice(3, 4));
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .limit = 2}, logbook), slice(1, 3));
  EXPECT_EQ(RowsInRange(*store, {.prefix = {std::int64_t{10}}}, logbook), slice(7, 8));
  // Nothing under a prefix no row has, nor past the prefix's last row.
  EXPECT_EQ(RowsInRange(*store, {.prefix = {std::int64_t{3}}}, logbook), Rows{});
  EXPECT_EQ(RowsInRange(*store, {.prefix = day2, .after = 12}, logbook), Rows{});

  // A visitor's error ends the scan and is returned as it is.
  int visited = 0;
  auto stopped = store->ScanRowRange(table, {.descending = true}, [&](const app::Row&) -> Status {
    ++visited;
    return Unexpected(Aborted("enough"));
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error(), Aborted("enough"));
  EXPECT_EQ(visited, 1);
}

TEST_P(StoreContractTest, ScanRowRangeUnderATwoColumnPrefixSeesEachAppendAndAReadKeepsItsSnapshot) {
  auto store = OpenOrDie();
  const app::Row approved{"n-1"s, "approved"s};
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved}), Rows{});
  // n-1's approvals at seqs 1, 3, 9, 10 and 11 (where number order and text order disagree),
  // among another meaning's, a note's events and those of a note whose id starts with n-1's.
  ASSERT_TRUE(store->Append(Request({Signature("n-1", "approved"), Signature("n-1", "Approved"),
                                     Signature("n-1", "approved", "u-18")})));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Append(Request({Note("n-2", std::to_string(i))})));
  ASSERT_TRUE(store->Append(
      Request({Signature("n-1", "approved"), Signature("n-1", "approved"),
               Signature("n-1", "approved", "u-18"), Signature("n-10", "approved")})));
  const Rows all{SignatureValues("n-1", "approved", 1),
                 SignatureValues("n-1", "approved", 3, "u-18"),
                 SignatureValues("n-1", "approved", 9), SignatureValues("n-1", "approved", 10),
                 SignatureValues("n-1", "approved", 11, "u-18")};
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved}), all);
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved, .after = 3, .before = 11}),
            (Rows{all[2], all[3]}));
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved, .after = 1, .descending = true}),
            (Rows{all[4], all[3], all[2], all[1]}));
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved, .before = 10, .descending = true, .limit = 2}),
            (Rows{all[2], all[1]}));
  EXPECT_EQ(RowsInRange(*store, {.prefix = {"n-1"s, "Approved"s}}),
            Rows{SignatureValues("n-1", "Approved", 2)});
  EXPECT_EQ(RowsInRange(*store, {.prefix = {"n-10"s, "approved"s}}),
            Rows{SignatureValues("n-10", "approved", 12)});
  EXPECT_EQ(RowsInRange(*store, {.prefix = {"n-2"s, "approved"s}}), Rows{});

  // Within Read, ranges see its snapshot: not a signature committed meanwhile, though it would be
  // the latest.
  const app::RowRange latest{.prefix = approved, .descending = true, .limit = 1};
  Rows before;
  Rows during;
  auto read = store->Read([&](app::StoreReader& reader) -> Status {
    before = RowsInRange(reader, latest);
    auto appended = store->Append(Request({Signature("n-1", "approved")}));
    if (!appended) return Unexpected(appended.error());
    during = RowsInRange(reader, latest);
    return {};
  });
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(before, Rows{all[4]});
  EXPECT_EQ(during, Rows{all[4]});
  EXPECT_EQ(RowsInRange(*store, latest), Rows{SignatureValues("n-1", "approved", 13)});
  EXPECT_EQ(RowsInRange(*store, {.prefix = approved, .after = 10}),
            (Rows{all[4], SignatureValues("n-1", "approved", 13)}));
}

TEST_P(StoreContractTest, ScanRowRangeRefusesAPrefixOfTheWrongLengthOrTypesOrATextColumn) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->Append(Request({Note("n-1", "draft"), Signature("n-1", "approved")})));
  const app::TableSpec& signatures = projector_.Signatures();
  struct Case {
    std::string what;
    const app::TableSpec& table;
    app::Row prefix;
  };
  const std::vector<Case> cases{
      {"a range over a text column", signatures, {}},
      {"a range over the second, text, column", signatures, {"n-1"s}},
      {"a range over a one-column text key", projector_.Notes(), {}},
      {"a prefix as long as the key", signatures, {"n-1"s, "approved"s, std::int64_t{2}}},
      {"a prefix longer than the key", signatures, {"n-1"s, "approved"s, std::int64_t{2}, "u-17"s}},
      {"a prefix as long as a one-column key", projector_.Notes(), {"n-1"s}},
      {"a number for a text column", signatures, {std::int64_t{1}, "approved"s}},
      {"a number for the second text column", signatures, {"n-1"s, std::int64_t{2}}},
      {"a null", signatures, {"n-1"s, app::Value()}},
  };
  for (const Case& wrong : cases) {
    SCOPED_TRACE(wrong.what);
    int visited = 0;
    const app::RowVisitor count = [&](const app::Row&) -> Status {
      ++visited;
      return {};
    };
    const app::RowRange range{.prefix = wrong.prefix};
    auto scanned = store->ScanRowRange(wrong.table, range, count);
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().Code(), ErrorCode::kInternal);
    EXPECT_THAT(scanned.error().Message(), HasSubstr(wrong.table.name));
    // The same through a Read's reader.
    auto read = store->Read(
        [&](app::StoreReader& reader) { return reader.ScanRowRange(wrong.table, range, count); });
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().Code(), ErrorCode::kInternal);
    EXPECT_EQ(visited, 0);
  }
}

TEST_P(StoreContractTest, ImportTakesAnotherStoresLedgerUnchangedAndTheChainGoesOnFromIt) {
  const std::vector<ledger::Event> source = LedgerFromAnotherStore();
  ASSERT_EQ(source.size(), 5u);
  auto store = OpenOrDie();
  // In two calls, as `aliquot migrate-store` moves a long ledger in pieces.
  const std::span<const ledger::Event> all(source);
  ASSERT_EQ(Describe(store->Import(all.first(2))), "ok");
  ASSERT_EQ(Describe(store->Import(all.subspan(2))), "ok");

  EXPECT_EQ(AllEvents(*store), source);
  std::vector<Hash256> hashes;
  hashes.reserve(source.size());
  for (const ledger::Event& event : source) hashes.push_back(event.hash);
  auto head = store->Head();
  ASSERT_TRUE(head) << head.error().ToString();
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(head->head_hash, source.back().hash);
  EXPECT_EQ(head->root_hash, ledger::MerkleRoot(hashes));
  EXPECT_EQ(head->last_time, source.back().time);
  auto stored_hashes = store->EventHashes(5);
  ASSERT_TRUE(stored_hashes);
  EXPECT_EQ(*stored_hashes, hashes);
  // The projections are what the events imply, as if they had been appended here.
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "corrected: 5.20 g, not 5.02 g", 2));
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "pH 7.2", 2));
  EXPECT_EQ(NoteRow(*store, "n-3"), NoteValues("n-3", "naïve \u00b5g \\ \"quoted\"", 1));
  auto stream_head = store->StreamHead({"note", "n-2"});
  ASSERT_TRUE(stream_head);
  EXPECT_EQ(*stream_head, 5u);

  // The next append links to the imported head; this server's clock is a day behind the source's,
  // and AL-01's floor is the imported ledger's last time all the same.
  auto next = store->Append(Request({Note("n-1", "after the move")}, {{{"note", "n-1"}, 2}}));
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->front().seq, 6u);
  EXPECT_EQ(next->front().prev_hash, source.back().hash);
  EXPECT_EQ(next->front().time, source.back().time);

  store.reset();
  store = OpenOrDie(Access::kReadWrite);
  const auto events = AllEvents(*store);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(std::vector<ledger::Event>(events.begin(), events.begin() + 5), source);
  EXPECT_EQ(Describe(VerifyChain(events)), "ok");
}

TEST_P(StoreContractTest, ImportRefusesAnEventThatDoesNotContinueTheChainAndStoresNothingOfIt) {
  const std::vector<ledger::Event> source = LedgerFromAnotherStore();
  ASSERT_EQ(source.size(), 5u);
  auto store = OpenOrDie();
  // Re-seals an edited event, so that only what the edit broke is wrong with it.
  const auto rehashed = [](ledger::Event event) {
    event.hash = ledger::ComputeEventHash(event);
    return event;
  };

  struct Case {
    std::string what;
    std::vector<ledger::Event> events;
    std::string names;  // The refused event, as the message names it.
    std::string why;
  };
  std::vector<Case> cases;
  {
    auto edited = source;
    edited[3].payload = R"({"body":"pH 9.9"})";  // Edited after sealing: the hash disagrees.
    cases.push_back({"an edited event", edited, "event seq 4", "hash"});
  }
  cases.push_back({"a missing event",
                   {source[0], source[1], source[3], source[4]},
                   "event seq 4",
                   "expected seq 3"});
  {
    auto relinked = source;
    relinked[2].prev_hash = source[0].hash;
    relinked[2] = rehashed(relinked[2]);
    cases.push_back({"a broken link", relinked, "event seq 3", "prev_hash"});
  }
  {
    auto earlier = source;
    earlier[1].time = Timestamp::FromMicros(source[0].time.Micros() - kMicrosPerSecond);
    earlier[1] = rehashed(earlier[1]);
    cases.push_back({"time going backwards", earlier, "event seq 2", "earlier"});
  }
  // A well-formed link the projector refuses: the events before it were projected by then.
  cases.push_back(
      {"an event the projector refuses",
       {source[0], source[1],
        ledger::SealEvent(Note("n-3", "boom", kPoison), 3, source[1].time, source[1].hash)},
       "event seq 3",
       "the projector refuses it"});

  for (const Case& refused : cases) {
    SCOPED_TRACE(refused.what);
    auto imported = store->Import(refused.events);
    ASSERT_FALSE(imported);
    EXPECT_EQ(imported.error().Code(), ErrorCode::kDataLoss);
    EXPECT_THAT(imported.error().Message(), HasSubstr(refused.names));
    EXPECT_THAT(imported.error().Message(), HasSubstr(refused.why));
    ExpectEmpty(*store);
  }

  // The refusals left the store's own idea of its head alone: the whole ledger still goes in.
  ASSERT_EQ(Describe(store->Import(source)), "ok");
  EXPECT_EQ(AllEvents(*store), source);

  // On a store that holds events, the ledger's first event no longer continues the chain.
  auto again = store->Import(source);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(again.error().Message(), HasSubstr("event seq 1"));
  EXPECT_THAT(again.error().Message(), HasSubstr("expected seq 6"));
  EXPECT_EQ(AllEvents(*store), source);
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "pH 7.2", 2));
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(head->head_hash, source.back().hash);

  auto next = store->Append(Request({Note("n-2", "after")}));
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->front().seq, 6u);
  EXPECT_EQ(next->front().prev_hash, source.back().hash);
}

// Blobs (app::BlobStore): the files the record cites, stored and fetched by the SHA-256 of their
// bytes.

TEST_P(StoreContractTest, APutBlobReadsBackByteForByteWithItsDescription) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  const std::string small("%PDF\0\xff\x00\x01\xfe\0"s);
  const std::string large = BinaryBytes(std::size_t{3} * 1024 * 1024 + 17, 20260115);
  for (const std::string* bytes : {&small, &large}) {
    SCOPED_TRACE(std::to_string(bytes->size()) + " bytes");
    clock_.Advance(kMicrosPerSecond);
    auto put = blobs.PutBlob(*bytes, "application/pdf");
    ASSERT_TRUE(put) << put.error().ToString();
    const app::BlobInfo expected{Sha256::Of(*bytes).Hex(), bytes->size(), "application/pdf",
                                 clock_.Now()};
    EXPECT_EQ(BlobText(*put), BlobText(expected));

    auto stat = blobs.StatBlob(expected.sha256);
    ASSERT_TRUE(stat) << stat.error().ToString();
    EXPECT_EQ(BlobText(*stat), BlobText(expected));
    auto got = blobs.GetBlob(expected.sha256);
    ASSERT_TRUE(got) << got.error().ToString();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(got->value().size(), bytes->size());
    EXPECT_TRUE(got->value() == *bytes) << "the bytes read back differ from those stored";
  }
  // Blobs are not events: the ledger is as it was.
  EXPECT_EQ(store->Head()->size, 0u);
}

TEST_P(StoreContractTest, ASecondPutOfTheSameBytesReturnsTheFirstDescriptionAndStoresNothingNew) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  const std::string bytes("certificate\0\xff"s);
  auto first = blobs.PutBlob(bytes, "application/pdf");
  ASSERT_TRUE(first) << first.error().ToString();
  clock_.Advance(60 * kMicrosPerSecond);
  auto second = blobs.PutBlob(bytes, "application/octet-stream");
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(BlobText(*second), BlobText(*first));
  EXPECT_EQ(second->media_type, "application/pdf");
  EXPECT_EQ(second->stored_at, Timestamp::FromMicros(FakeClock::kDefaultStart));
  EXPECT_EQ(BlobText(*blobs.StatBlob(first->sha256)), BlobText(*first));
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "1");
}

TEST_P(StoreContractTest, PutBlobRefusesEmptyBytesAndStoresNothing) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  auto refused = blobs.PutBlob("", "application/pdf");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().Message(), HasSubstr("at least one byte"));
  auto stat = blobs.StatBlob(Sha256::Of(std::string_view()).Hex());
  ASSERT_TRUE(stat) << stat.error().ToString();
  EXPECT_EQ(*stat, std::nullopt);
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "0");
}

TEST_P(StoreContractTest, PutBlobRefusesAMediaTypeThatIsEmptyTooLongOrHoldsControlCharacters) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  for (const std::string& media_type :
       {""s, std::string(256, 'a'), "application/pdf\n"s, "text/plain\0"s, "a\x7f"s, "\tx"s}) {
    SCOPED_TRACE("media type of " + std::to_string(media_type.size()) + " bytes");
    auto refused = blobs.PutBlob("bytes", media_type);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(refused.error().Message(), HasSubstr("media_type"));
    EXPECT_EQ(refused.error().Field(), "media_type");
  }
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "0");
  // The longest media type taken is 255 bytes, stored as given.
  const std::string longest(255, 'x');
  auto put = blobs.PutBlob("bytes", longest);
  ASSERT_TRUE(put) << put.error().ToString();
  EXPECT_EQ(blobs.StatBlob(put->sha256)->value().media_type, longest);
}

TEST_P(StoreContractTest, UnknownAndMalformedHashesNameNoBlob) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  auto put = blobs.PutBlob("stored", "text/plain");
  ASSERT_TRUE(put) << put.error().ToString();
  std::string upper = put->sha256;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
  const std::vector<std::string> names = {
      Sha256::Of("never stored").Hex(),  // Well formed, unknown.
      upper,                             // The stored blob's hash in upper case.
      put->sha256.substr(1),             // 63 digits.
      put->sha256 + "0",                 // 65 digits.
      "",
      std::string(64, 'g'),
      "' OR '1'='1",
      put->sha256.substr(0, 63) + '\0',
  };
  for (const std::string& name : names) {
    SCOPED_TRACE("sha256 '" + name + "'");
    auto stat = blobs.StatBlob(name);
    ASSERT_TRUE(stat) << stat.error().ToString();
    EXPECT_EQ(*stat, std::nullopt);
    auto got = blobs.GetBlob(name);
    ASSERT_TRUE(got) << got.error().ToString();
    EXPECT_EQ(*got, std::nullopt);
  }
}

TEST_P(StoreContractTest, BlobsSurviveClosingAndReopeningTheStore) {
  const std::string bytes = BinaryBytes(std::size_t{64} * 1024, 7);
  app::BlobInfo stored;
  {
    auto store = OpenOrDie();
    auto put = Blobs(*store).PutBlob(bytes, "image/tiff");
    ASSERT_TRUE(put) << put.error().ToString();
    stored = *put;
  }
  clock_.Advance(kMicrosPerSecond);
  auto store = OpenOrDie(Access::kReadWrite);
  EXPECT_EQ(BlobText(*Blobs(*store).StatBlob(stored.sha256)), BlobText(stored));
  auto got = Blobs(*store).GetBlob(stored.sha256);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_TRUE(*got == bytes) << "the bytes read back differ from those stored";
}

TEST_P(StoreContractTest, ReadOnlyOpenReadsBlobsButRefusesToStoreThem) {
  app::BlobInfo stored;
  {
    auto store = OpenOrDie();
    auto put = Blobs(*store).PutBlob("a calibration certificate", "application/pdf");
    ASSERT_TRUE(put) << put.error().ToString();
    stored = *put;
  }
  auto store = OpenOrDie(Access::kReadOnly);
  app::BlobStore& blobs = Blobs(*store);
  // Refused as an append is on a read-only store: the same code, whichever port is written to.
  auto append = store->Append(Request({Note("n-1", "x")}));
  ASSERT_FALSE(append);
  auto refused = blobs.PutBlob("another", "application/pdf");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().Code(), append.error().Code());
  EXPECT_THAT(refused.error().Message(), HasSubstr("read-only"));
  const app::BlobInfo another{Sha256::Of("another").Hex(), 7, "application/pdf", clock_.Now()};
  auto imported = blobs.ImportBlob("another", another);
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(BlobText(*blobs.StatBlob(stored.sha256)), BlobText(stored));
  EXPECT_EQ(*blobs.GetBlob(stored.sha256), "a calibration certificate");
  EXPECT_EQ(*blobs.StatBlob(another.sha256), std::nullopt);
  EXPECT_EQ(BlobText(ScannedBlobs(blobs).at(0)), BlobText(stored));
}

// P11-01: a file the record cites cannot change unnoticed. Bytes altered in the database behind
// the system's back (same length, so only the hash can tell) are refused as data loss, naming the
// blob, and never served as if they were the file stored.
TEST_P(StoreContractTest, GetBlobReportsDataLossForABlobAlteredBehindTheSystemsBack) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  auto put = blobs.PutBlob("SOP-014 rev 3\0\xff"s, "application/pdf");
  ASSERT_TRUE(put) << put.error().ToString();
  auto kept = blobs.PutBlob("SOP-015 rev 1", "application/pdf");
  ASSERT_TRUE(kept) << kept.error().ToString();
  ASSERT_TRUE(blobs.GetBlob(put->sha256));

  // "SOP-014 rev 4\0\xff": one digit changed.
  ASSERT_EQ(AlterBlobContent(put->sha256,
                             "534f502d303134207265762034"
                             "00ff"),
            "");
  auto got = blobs.GetBlob(put->sha256);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(got.error().Message(), HasSubstr(put->sha256));
  EXPECT_THAT(got.error().Message(), HasSubstr(Sha256::Of("SOP-014 rev 4\0\xff"s).Hex()));
  // Its description is what was stored; the other blob is untouched.
  EXPECT_EQ(BlobText(*blobs.StatBlob(put->sha256)), BlobText(*put));
  EXPECT_EQ(*blobs.GetBlob(kept->sha256), "SOP-015 rev 1");

  // Nor does storing the file again repair it silently: the damaged row stays and is reported.
  auto again = blobs.PutBlob("SOP-014 rev 3\0\xff"s, "application/pdf");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(BlobText(*again), BlobText(*put));
  auto still = blobs.GetBlob(put->sha256);
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().Code(), ErrorCode::kDataLoss);
}

// A projector that declares one table of the given name, and writes nothing to it.
class OneTableProjector final : public app::Projector {
 public:
  explicit OneTableProjector(std::string name)
      : tables_{{std::move(name), {{"id", app::ColumnType::kText}}, 1}} {}
  const std::vector<app::TableSpec>& Tables() const override { return tables_; }
  Status Apply(const ledger::Event&, app::ProjectionWriter&) const override { return {}; }

 private:
  std::vector<app::TableSpec> tables_;
};

// No projection may take a table of the store's own: a rebuild drops and recreates projection
// tables, which would take the files (or the ledger) with them.
TEST_P(StoreContractTest, AProjectionNamedAfterAStoreTableIsRefusedAtOpen) {
  for (const char* name : {"blobs", "events", "checkpoints", "store_meta", "schema_migrations"}) {
    SCOPED_TRACE(name);
    const OneTableProjector projector(name);
    auto store = Open(Access::kCreate, projector);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kInternal);
    EXPECT_THAT(store.error().Message(), HasSubstr("'" + std::string(name) + "' is not allowed"));
  }
}

TEST_P(StoreContractTest, ScanBlobsVisitsEveryDescriptionInHashOrder) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  EXPECT_TRUE(ScannedBlobs(blobs).empty());
  std::vector<app::BlobInfo> put;
  for (const std::string& bytes : {"SOP-001"s, BinaryBytes(70000, 3), "CoA lot 7\0"s, "z"s}) {
    clock_.Advance(kMicrosPerSecond);
    auto info = blobs.PutBlob(bytes, "application/pdf");
    ASSERT_TRUE(info) << info.error().ToString();
    put.push_back(*info);
  }
  std::sort(put.begin(), put.end(),
            [](const app::BlobInfo& a, const app::BlobInfo& b) { return a.sha256 < b.sha256; });
  std::vector<std::string> expected(put.size());
  std::transform(put.begin(), put.end(), expected.begin(),
                 [](const app::BlobInfo& info) { return BlobText(info); });
  const std::vector<app::BlobInfo> visited_infos = ScannedBlobs(blobs);
  std::vector<std::string> scanned(visited_infos.size());
  std::transform(visited_infos.begin(), visited_infos.end(), scanned.begin(),
                 [](const app::BlobInfo& info) { return BlobText(info); });
  EXPECT_EQ(scanned, expected);

  // A visitor's error ends the scan and is what ScanBlobs returns.
  int visited = 0;
  auto stopped = blobs.ScanBlobs([&](const app::BlobInfo&) -> Status {
    ++visited;
    return Unexpected(Aborted("enough"));
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().Code(), ErrorCode::kAborted);
  EXPECT_EQ(visited, 1);
}

// A blob edited behind the system's back is still listed, as stored, so that verify can read it
// by its name and report it.
TEST_P(StoreContractTest, ScanBlobsListsARowEditedBehindTheSystemsBack) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  auto put = blobs.PutBlob("SOP-014 rev 3", "application/pdf");
  ASSERT_TRUE(put) << put.error().ToString();
  ASSERT_EQ(AlterBlobContent(put->sha256, "00"), "");
  const auto scanned = ScannedBlobs(blobs);
  ASSERT_EQ(scanned.size(), 1u);
  EXPECT_EQ(BlobText(scanned[0]), BlobText(*put));
}

TEST_P(StoreContractTest, ImportBlobKeepsTheDescriptionItIsGivenAndIsIdempotent) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  const std::string bytes = BinaryBytes(100000, 11);
  // Stored a year before this store's clock, elsewhere.
  const app::BlobInfo info{Sha256::Of(bytes).Hex(), bytes.size(), "image/tiff",
                           Timestamp::FromMicros(FakeClock::kDefaultStart -
                                                 std::int64_t{365} * 24 * 3600 * kMicrosPerSecond)};
  ASSERT_TRUE(blobs.ImportBlob(bytes, info));
  EXPECT_EQ(BlobText(*blobs.StatBlob(info.sha256)), BlobText(info));
  auto got = blobs.GetBlob(info.sha256);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_TRUE(*got == bytes) << "the bytes read back differ from those imported";

  // Again, as a copy run a second time does: nothing changes.
  auto again = blobs.ImportBlob(bytes, info);
  EXPECT_TRUE(again) << again.error().ToString();
  // The same bytes described otherwise: refused, and the first description stays.
  app::BlobInfo other = info;
  other.media_type = "application/pdf";
  auto refused = blobs.ImportBlob(bytes, other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(refused.error().Message(), HasSubstr(info.sha256));
  // A later put of the same bytes returns the imported description.
  auto put = blobs.PutBlob(bytes, "application/octet-stream");
  ASSERT_TRUE(put) << put.error().ToString();
  EXPECT_EQ(BlobText(*put), BlobText(info));
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "1");
}

TEST_P(StoreContractTest, ImportBlobRefusesADescriptionThatIsNotOfItsBytes) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  const std::string bytes = "a calibration certificate";
  const app::BlobInfo good{Sha256::Of(bytes).Hex(), bytes.size(), "application/pdf", clock_.Now()};
  app::BlobInfo wrong_hash = good;
  wrong_hash.sha256 = Sha256::Of("another file").Hex();
  app::BlobInfo wrong_size = good;
  wrong_size.size = bytes.size() + 1;
  app::BlobInfo bad_media_type = good;
  bad_media_type.media_type = "text/plain\n";
  for (const app::BlobInfo& info : {wrong_hash, wrong_size, bad_media_type}) {
    SCOPED_TRACE(BlobText(info));
    auto refused = blobs.ImportBlob(bytes, info);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "0");
}

// A file over the engines' limit on one value is refused by its size, naming it, before it is
// hashed or sent. The bytes are an untouched anonymous mapping: reading them costs no memory, and
// refusing them must not read them at all.
TEST_P(StoreContractTest, AFileLargerThanTheLimitIsRefusedNamingItsSize) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  const std::size_t size = static_cast<std::size_t>(app::kMaxBlobBytes) + 1;
  void* mapped =
      ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  const std::string_view huge(static_cast<const char*>(mapped), size);
  auto refused = blobs.PutBlob(huge, "video/mp4");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().Message(), HasSubstr(std::to_string(size) + " bytes"));
  auto imported = blobs.ImportBlob(huge, {std::string(64, '0'), size, "video/mp4", clock_.Now()});
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(imported.error().Message(), HasSubstr(std::to_string(size) + " bytes"));
  ::munmap(mapped, size);
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), "0");
}

// Verifies P11-05 for files: like events, a stored blob is never changed or removed, even by SQL
// run behind the system's back, unless the triggers are dropped first (which verify then finds).
TEST_P(StoreContractTest, TriggersRefuseUpdatingOrDeletingBlobs) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  auto put = blobs.PutBlob("SOP-014 rev 3", "application/pdf");
  ASSERT_TRUE(put) << put.error().ToString();
  const std::string where = " WHERE sha256 = '" + put->sha256 + "'";
  const std::string content = IsPostgres() ? "'\\x00'::bytea" : "X'00'";
  for (const std::string& change :
       {"UPDATE blobs SET content = " + content, "UPDATE blobs SET media_type = 'text/plain'"s,
        "UPDATE blobs SET stored_at_us = 0"s, "DELETE FROM blobs"s}) {
    SCOPED_TRACE(change);
    EXPECT_THAT(ExecRaw(change + where), HasSubstr("blobs are never"));
  }
  if (IsPostgres()) EXPECT_THAT(ExecRaw("TRUNCATE blobs"), HasSubstr("blobs are never"));
  EXPECT_EQ(BlobText(*blobs.StatBlob(put->sha256)), BlobText(*put));
  EXPECT_EQ(*blobs.GetBlob(put->sha256), "SOP-014 rev 3");
}

TEST_P(StoreContractTest, ConcurrentBlobPutsAlongsideAppendsAllSucceed) {
  auto store = OpenOrDie();
  app::BlobStore& blobs = Blobs(*store);
  constexpr int kBlobThreads = 4;
  constexpr int kAppendThreads = 4;
  constexpr int kPerThread = 25;
  // Each blob thread puts its own blobs and, every other time, one every blob thread puts: the
  // same bytes arriving at once from several callers.
  const auto blob_bytes = [](int thread, int i) {
    if (i % 2 == 1) return "shared " + std::to_string(i) + BinaryBytes(1024, 99);
    return BinaryBytes(
        std::size_t{4096} + static_cast<std::size_t>(i) * 512,
        std::uint64_t{1000} * static_cast<std::uint64_t>(thread) + static_cast<std::uint64_t>(i));
  };
  std::vector<std::vector<app::BlobInfo>> put(kBlobThreads);
  std::vector<std::vector<std::string>> errors(kBlobThreads + kAppendThreads);
  std::vector<std::thread> threads;
  threads.reserve(kBlobThreads + kAppendThreads);
  for (int t = 0; t < kBlobThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto info = blobs.PutBlob(blob_bytes(t, i), "application/octet-stream");
        if (!info) {
          errors[static_cast<std::size_t>(t)].push_back(info.error().ToString());
          continue;
        }
        put[static_cast<std::size_t>(t)].push_back(*info);
      }
    });
  }
  for (int t = 0; t < kAppendThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string id = "appender-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto events = store->Append(Request({Note(id, std::to_string(i))}));
        if (!events) {
          errors[static_cast<std::size_t>(kBlobThreads) + static_cast<std::size_t>(t)].push_back(
              events.error().ToString());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (const auto& mine : errors) {
    for (const std::string& error : mine) ADD_FAILURE() << error;
  }
  std::map<std::string, std::string> first_info;  // sha256 -> BlobText of its first put.
  for (int t = 0; t < kBlobThreads; ++t) {
    const auto& mine = put[static_cast<std::size_t>(t)];
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      const std::string bytes = blob_bytes(t, i);
      const app::BlobInfo& info = mine[static_cast<std::size_t>(i)];
      EXPECT_EQ(info.sha256, Sha256::Of(bytes).Hex());
      EXPECT_EQ(info.size, bytes.size());
      // Every caller of the same bytes got the one description stored.
      const auto [known, inserted] = first_info.emplace(info.sha256, BlobText(info));
      if (!inserted) EXPECT_EQ(BlobText(info), known->second);
      auto got = blobs.GetBlob(info.sha256);
      ASSERT_TRUE(got) << got.error().ToString();
      EXPECT_TRUE(*got == bytes) << "blob " << info.sha256 << " reads back different bytes";
    }
  }
  // Each thread's own (even turns) and the shared ones (odd turns), once each.
  constexpr std::size_t kDistinct =
      std::size_t{kBlobThreads} * ((kPerThread + 1) / 2) + std::size_t{kPerThread} / 2;
  EXPECT_EQ(first_info.size(), kDistinct);
  EXPECT_EQ(QueryRaw("SELECT count(*) FROM blobs"), std::to_string(kDistinct));

  const auto stored = AllEvents(*store);
  EXPECT_EQ(stored.size(), static_cast<std::size_t>(kAppendThreads * kPerThread));
  EXPECT_EQ(Describe(VerifyChain(stored)), "ok");
}

}  // namespace
}  // namespace aliquot::storage
