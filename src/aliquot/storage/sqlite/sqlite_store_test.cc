#include "aliquot/storage/sqlite/sqlite_store.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/ledger/verifier.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/raw_sqlite.h"
#include "tests/support/temp_dir.h"

namespace aliquot::storage {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::RawDatabase;
using ::aliquot::testing::TempDir;
using ::testing::HasSubstr;

// An event type NoteProjector refuses, as a projector refuses an event that contradicts the state.
constexpr char kPoison[] = "note.poison";

// A projection of "note" streams: one row per note with its latest body and how many events it
// has had; with `with_length`, a fourth column (a changed definition, for the rebuild test).
class NoteProjector final : public app::Projector {
 public:
  explicit NoteProjector(bool with_length = false) : with_length_(with_length) {
    app::TableSpec table{"notes",
                         {{"id", app::ColumnType::kText},
                          {"body", app::ColumnType::kText},
                          {"count", app::ColumnType::kInteger}},
                         1};
    if (with_length) table.columns.push_back({"length", app::ColumnType::kInteger});
    tables_.push_back(std::move(table));
  }

  const std::vector<app::TableSpec>& Tables() const override { return tables_; }
  const app::TableSpec& Notes() const { return tables_.front(); }

  Status Apply(const ledger::Event& event, app::ProjectionWriter& writer) const override {
    if (event.stream.type != "note") return {};
    if (event.event_type == kPoison) {
      return Unexpected(
          DataLoss("event seq " + std::to_string(event.seq) + ": the projector refuses it"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(Json payload, ParseJson(event.payload));
    const Json* body = payload.Find("body");
    const std::string text = body != nullptr && body->IsString() ? body->AsString() : "";
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<app::Row> current,
                             writer.Get(Notes(), app::Row{event.stream.id}));
    const std::int64_t count = current ? std::get<std::int64_t>((*current)[2]) + 1 : 1;
    app::Row row{event.stream.id, text, count};
    if (with_length_) row.emplace_back(static_cast<std::int64_t>(text.size()));
    return writer.Upsert(Notes(), row);
  }

 private:
  bool with_length_;
  std::vector<app::TableSpec> tables_;
};

ledger::NewEvent Note(const std::string& id, const std::string& body,
                      const std::string& event_type = "note.written") {
  ledger::NewEvent event;
  event.stream = {"note", id};
  event.event_type = event_type;
  event.payload.Set("body", body);
  event.actor = {"u-17", "Ada Lovelace"};
  event.terminal = "bench-3";
  return event;
}

// A row of the notes table; with `length`, as NoteProjector(with_length) writes it.
app::Row NoteValues(const std::string& id, const std::string& body, std::int64_t count,
                    std::optional<std::int64_t> length = std::nullopt) {
  app::Row row{id, body, count};
  if (length) row.emplace_back(*length);
  return row;
}

// "ok", or the error: an assertion on it prints what went wrong.
app::AppendRequest Request(std::vector<ledger::NewEvent> events,
                           std::vector<app::StreamExpectation> expectations = {}) {
  return {std::move(events), std::move(expectations)};
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return (dir_ / "aliquot.db").string(); }

  SqliteStoreOptions Options(OpenMode mode = OpenMode::kReadWriteCreate) const {
    SqliteStoreOptions options;
    options.path = DbPath();
    options.mode = mode;
    return options;
  }

  Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options) {
    return SqliteStore::Open(options, clock_, projector_);
  }

  std::unique_ptr<SqliteStore> OpenOrDie(const SqliteStoreOptions& options) {
    auto store = Open(options);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<SqliteStore> OpenOrDie() { return OpenOrDie(Options()); }

  static std::vector<ledger::Event> AllEvents(app::StoreReader& store) {
    std::vector<ledger::Event> events;
    auto scanned = store.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
      events.push_back(event);
      return {};
    });
    EXPECT_TRUE(scanned) << scanned.error().ToString();
    return events;
  }

  std::optional<app::Row> NoteRow(app::StoreReader& store, const std::string& id) {
    auto row = store.GetRow(projector_.Notes(), app::Row{id});
    EXPECT_TRUE(row) << row.error().ToString();
    return row ? *row : std::nullopt;
  }

  // Checks numbering, chain, hashes and time order the way `aliquot verify` does.
  static Status VerifyChain(const std::vector<ledger::Event>& events) {
    const auto key = Ed25519SigningKey::FromSeed({});
    ledger::LedgerVerifier verifier(key.PublicKey(), {});
    for (const ledger::Event& event : events) ALIQUOT_RETURN_IF_ERROR(verifier.Add(event));
    ALIQUOT_RETURN_IF_ERROR(verifier.Finish());
    return {};
  }

  TempDir dir_;
  FakeClock clock_;
  NoteProjector projector_;
};

TEST_F(SqliteStoreTest, AppendSealsSequenceTimeAndChainAndReturnsTheSealedEvents) {
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

TEST_F(SqliteStoreTest, EventsReadBackExactlyAsAppended) {
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

TEST_F(SqliteStoreTest, ScanEventsVisitsExactlyItsRange) {
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
  // Sequence numbers are SQLite integers: a range starting past INT64_MAX holds none of them.
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

TEST_F(SqliteStoreTest, HeadAndRootMatchAMerkleTreeOverTheEventHashes) {
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
TEST_F(SqliteStoreTest, TimeNeverGoesBackwardsWhenTheClockStepsBack) {
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

TEST_F(SqliteStoreTest, RefusesAnAppendWhoseStreamMovedAndStoresNothingOfIt) {
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

TEST_F(SqliteStoreTest, RefusesAMalformedEventNamingItsFieldAndStoresNothing) {
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

TEST_F(SqliteStoreTest, ARequestIsAtomicWhenItsProjectionFailsMidway) {
  auto store = OpenOrDie();
  auto kept = store->Append(Request({Note("n-1", "kept")}));
  ASSERT_TRUE(kept);
  const auto before = store->Head();
  ASSERT_TRUE(before);

  // The first two events are inserted and projected before the third one fails.
  auto refused = store->Append(
      Request({Note("n-1", "lost"), Note("n-2", "lost"), Note("n-3", "boom", kPoison)}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(refused.error().Message(), HasSubstr("the projector refuses it"));

  EXPECT_EQ(AllEvents(*store), *kept);
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "kept", 1));
  EXPECT_EQ(NoteRow(*store, "n-2"), std::nullopt);
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, before->size);
  EXPECT_EQ(head->head_hash, before->head_hash);
  EXPECT_EQ(head->root_hash, before->root_hash);

  // The chain goes on from the last stored event, not from the refused ones.
  auto next = store->Append(Request({Note("n-2", "after")}));
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->front().seq, 2u);
  EXPECT_EQ(next->front().prev_hash, kept->front().hash);
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "after", 1));
  EXPECT_EQ(Describe(VerifyChain(AllEvents(*store))), "ok");
}

TEST_F(SqliteStoreTest, ConcurrentAppendsShareCommitsAndEveryAcknowledgedEventIsStoredOnce) {
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

TEST_F(SqliteStoreTest, ARefusedRequestInAConcurrentBatchLeavesTheOthersCommitted) {
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

TEST_F(SqliteStoreTest, AcknowledgedEventsSurviveClosingAndReopening) {
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
  auto store = OpenOrDie(Options(OpenMode::kReadWrite));
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

TEST_F(SqliteStoreTest, AFullDiskRefusesTheAppendStoresNothingAndTheChainContinuesAfter) {
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append(Request({Note("n-1", "small")})));
  }
  const std::int64_t pages = RawDatabase(DbPath()).QueryInt("PRAGMA page_count");
  SqliteStoreOptions limited = Options(OpenMode::kReadWrite);
  limited.max_page_count = pages + 8;  // 32 KiB of room at the default page size.
  auto store = OpenOrDie(limited);
  const auto before = store->Head();
  ASSERT_TRUE(before);

  const std::string photo(std::size_t{256} * 1024, 'x');
  auto refused = store->Append(Request({Note("n-2", "caption"), Note("n-3", photo)}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().Message(), HasSubstr("disk is full"));

  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 3u);
  EXPECT_EQ(head->head_hash, before->head_hash);
  EXPECT_EQ(AllEvents(*store).size(), 3u);
  EXPECT_EQ(NoteRow(*store, "n-2"), std::nullopt);
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "small", 3));

  // A small event still fits, and chains onto the last stored one.
  auto small = store->Append(Request({Note("n-2", "fits")}));
  ASSERT_TRUE(small) << small.error().ToString();
  EXPECT_EQ(small->front().seq, 4u);
  EXPECT_EQ(small->front().prev_hash, before->head_hash);

  // With room again (the operator freed space), the large event goes in after it.
  store.reset();
  store = OpenOrDie(Options(OpenMode::kReadWrite));
  auto large = store->Append(Request({Note("n-3", photo)}));
  ASSERT_TRUE(large) << large.error().ToString();
  EXPECT_EQ(large->front().seq, 5u);
  EXPECT_EQ(large->front().prev_hash, small->front().hash);
  const auto events = AllEvents(*store);
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(Describe(VerifyChain(events)), "ok");
}

TEST_F(SqliteStoreTest, OpenReportsDataLossForAFileThatIsNotADatabase) {
  std::mt19937_64 random(20260115);  // Fixed seed: the same bytes every run.
  {
    std::ofstream file(DbPath(), std::ios::binary);
    for (int i = 0; i < 64 * 1024 / 8; ++i) {
      const std::uint64_t word = random();
      file.write(reinterpret_cast<const char*>(&word), sizeof word);
    }
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto store = Open(Options(mode));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss) << store.error().ToString();
    EXPECT_THAT(store.error().Message(), HasSubstr(DbPath()));
  }
}

TEST_F(SqliteStoreTest, OpenReportsNotFoundForAMissingFileUnlessAskedToCreate) {
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto store = Open(Options(mode));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kNotFound);
  }
  EXPECT_FALSE(std::filesystem::exists(DbPath()));
}

TEST_F(SqliteStoreTest, OpenRefusesADatabaseFromANewerBuildNamingTheMigrationItLacks) {
  OpenOrDie().reset();
  {
    RawDatabase raw(DbPath());
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)"), "");
  }
  auto store = Open(Options(OpenMode::kReadWrite));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
  EXPECT_THAT(store.error().Message(), HasSubstr("up to 1"));

  store = Open(Options(OpenMode::kReadOnly));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
}

TEST_F(SqliteStoreTest, ReadOnlyOpenRefusesAppendsAndCheckpointsButReads) {
  app::LedgerHead head_written;
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->Append(Request({Note("n-1", "one"), Note("n-2", "two")})));
    head_written = *store->Head();
  }
  auto store = OpenOrDie(Options(OpenMode::kReadOnly));
  auto appended = store->Append(Request({Note("n-3", "three")}));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().Code(), ErrorCode::kPermissionDenied);
  const auto key = Ed25519SigningKey::FromSeed({});
  auto added = store->AddCheckpoint(
      ledger::SignCheckpoint(head_written.size, head_written.root_hash, clock_.Now(), key));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().Code(), ErrorCode::kPermissionDenied);

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

TEST_F(SqliteStoreTest, ReadOnlyOpenRefusesProjectionsBuiltToAnotherDefinition) {
  OpenOrDie().reset();
  const NoteProjector changed(/*with_length=*/true);
  auto store = SqliteStore::Open(Options(OpenMode::kReadOnly), clock_, changed);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("rebuild"));
}

TEST_F(SqliteStoreTest, RebuildsProjectionsFromTheLedgerWhenTheirDefinitionChanges) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->Append(Request({Note("n-1", "a"), Note("n-2", "bb")})));
    ASSERT_TRUE(store->Append(Request({Note("n-1", "ccc")})));
  }
  const NoteProjector with_length(/*with_length=*/true);
  {
    auto opened = SqliteStore::Open(Options(OpenMode::kReadWrite), clock_, with_length);
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
  EXPECT_EQ(RawDatabase(DbPath()).QueryInt("SELECT count(*) FROM pragma_table_info('notes')"), 4);

  // And back: the old definition is rebuilt from the ledger, including what the new one saw.
  auto store = OpenOrDie(Options(OpenMode::kReadWrite));
  EXPECT_EQ(NoteRow(*store, "n-2"), NoteValues("n-2", "dddd", 2));
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "ccc", 2));
  EXPECT_EQ(RawDatabase(DbPath()).QueryInt("SELECT count(*) FROM pragma_table_info('notes')"), 3);
}

// Verifies P11-05
TEST_F(SqliteStoreTest, TriggersRefuseUpdatingOrDeletingEvents) {
  auto store = OpenOrDie();
  auto appended = store->Append(Request({Note("n-1", "original")}));
  ASSERT_TRUE(appended);
  RawDatabase raw(DbPath());
  EXPECT_THAT(raw.Exec("UPDATE events SET payload = '{\"body\":\"edited\"}' WHERE seq = 1"),
              HasSubstr("append-only"));
  EXPECT_THAT(raw.Exec("DELETE FROM events WHERE seq = 1"), HasSubstr("append-only"));
  EXPECT_EQ(AllEvents(*store), *appended);
}

TEST_F(SqliteStoreTest, OpenRefusesToExtendALedgerWithAHole) {
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append(Request({Note("n-1", "x")})));
  }
  {
    RawDatabase raw(DbPath());
    ASSERT_EQ(raw.Exec("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 2"), "");
  }
  auto store = Open(Options(OpenMode::kReadWrite));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(store.error().Message(), HasSubstr("seq 2 is missing"));
}

TEST_F(SqliteStoreTest, AddCheckpointKeepsOnePerTreeSizeInOrder) {
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

TEST_F(SqliteStoreTest, LatestCheckpointIsTheLargestTreeSizeOrNoneBeforeTheFirst) {
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

TEST_F(SqliteStoreTest, ReadSeesOneSnapshotWhileAppendsCommit) {
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

}  // namespace
}  // namespace aliquot::storage
