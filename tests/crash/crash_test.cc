// The crash test. Verifies AL-04 (records are complete and enduring) and the Store's promise that
// nothing is acknowledged before it is durable: crash_appender appends from eight threads under
// group commit and is killed with SIGKILL at a random instant, again and again on one database;
// after each kill the test opens the store as `aliquot verify` would and checks that every event
// acknowledged before the kill is there with the same hash, that the ledger is one unbroken,
// verifiable chain, and that no append request was stored in part.
//
// On PostgreSQL several servers share one ledger, so the crash is one writer of two: one appender
// runs throughout while another is killed at random instants and restarted, again and again on
// one database. No event either acknowledged may be lost, the ledger must stay one gapless,
// verifiable chain, and the appender that keeps running must never see an error.
//
// ALIQUOT_CRASH_ITERATIONS (default 50) and ALIQUOT_CRASH_POSTGRES_ITERATIONS (default 100) set
// the number of kills, ALIQUOT_CRASH_SEED the seed of the kill instants (printed, so a failure can
// be replayed).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projectors.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint64_t kDefaultSeed = 20260115;
constexpr int kDefaultIterations = 50;
// A kill and restart on PostgreSQL takes about 0.13 s under ASan: 100 of them take 15 s or so,
// well inside the two minutes this test may take.
constexpr int kDefaultPostgresIterations = 100;
// The appender that runs throughout: fewer threads, so that the ledger it grows stays quick to
// verify at the end.
constexpr int kSurvivorThreads = 2;
constexpr int kAppenderThreads = 8;
constexpr milliseconds kFirstAckTimeout(60'000);

std::uint64_t EnvNumber(const char* name, std::uint64_t fallback) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before the test starts any thread.
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 10);
}

// The appender as a child process: stdout and stderr to files, so that every acknowledgement line
// it wrote before the kill is still there after it.
// `database` is a SQLite file or a PostgreSQL URL.
Result<std::unique_ptr<testing::Process>> StartAppender(const std::string& database, int run,
                                                        const std::filesystem::path& out,
                                                        const std::filesystem::path& err,
                                                        int threads = kAppenderThreads,
                                                        int seconds = 120) {
  testing::ProcessOptions options;
  options.argv = {ALIQUOT_CRASH_APPENDER, database, std::to_string(run), std::to_string(threads),
                  std::to_string(seconds)};
  options.stdout_file = out;
  options.stderr_file = err;
  return testing::Process::Start(options);
}

// Waits until the child has written a first complete line, or has ended. True on the line.
bool WaitForFirstAcknowledgement(testing::Process& appender, const std::filesystem::path& out) {
  const auto deadline = SteadyClock::now() + kFirstAckTimeout;
  while (SteadyClock::now() < deadline) {
    struct stat info {};
    // The first line is at least "1 <64 hex digits>\n".
    if (::stat(out.c_str(), &info) == 0 && info.st_size >= 67 &&
        testing::ReadFileBytes(out).find('\n') != std::string::npos) {
      return true;
    }
    if (appender.Wait(milliseconds(1))) return false;
  }
  return false;
}

// The complete "<seq> <hash>" lines; a last line cut short by the kill acknowledges nothing.
std::vector<std::pair<std::uint64_t, std::string>> ParseAcknowledgements(const std::string& text) {
  std::vector<std::pair<std::uint64_t, std::string>> acks;
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    const std::string line = text.substr(begin, end - begin);
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "malformed acknowledgement line '" << line << "'";
      continue;
    }
    acks.emplace_back(std::stoull(line.substr(0, space)), line.substr(space + 1));
  }
  return acks;
}

std::int64_t PayloadInteger(const Json& payload, const char* name) {
  const Json* value = payload.Find(name);
  return value != nullptr && value->IsNumber() ? value->AsInteger().value_or(-1) : -1;
}

// Checks that each crashtest append request is in the ledger whole or not at all: its events are
// consecutive, numbered 0..size-1, and each thread's counter runs without a gap (a gap would be a
// request lost while a later one survived).
void ExpectWholeRequests(const std::vector<ledger::Event>& events) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> next_counter;  // (run, thread)
  std::int64_t expected_index = 0;
  std::int64_t expected_size = 0;
  std::int64_t current_unit = -1;
  std::pair<std::int64_t, std::int64_t> current_stream;
  for (const ledger::Event& event : events) {
    ASSERT_EQ(event.stream.type, "crashtest") << "event seq " << event.seq;
    auto parsed = ParseJson(event.payload);
    ASSERT_TRUE(parsed) << "event seq " << event.seq << ": " << parsed.error().ToString();
    const std::pair<std::int64_t, std::int64_t> stream{PayloadInteger(*parsed, "run"),
                                                       PayloadInteger(*parsed, "thread")};
    const std::int64_t unit = PayloadInteger(*parsed, "unit");
    const std::int64_t index = PayloadInteger(*parsed, "index");
    const std::int64_t size = PayloadInteger(*parsed, "size");
    if (expected_index < expected_size) {
      ASSERT_TRUE(stream == current_stream && unit == current_unit && index == expected_index)
          << "event seq " << event.seq << " interrupts request " << current_unit
          << ", which stopped after " << expected_index << " of its " << expected_size
          << " events: an append request was stored in part";
    } else {
      ASSERT_EQ(index, 0) << "event seq " << event.seq << " is event " << index
                          << " of a request whose first event is missing";
      current_stream = stream;
      current_unit = unit;
      expected_size = size;
      expected_index = 0;
    }
    ++expected_index;
    std::int64_t& counter = next_counter[stream];
    ASSERT_EQ(PayloadInteger(*parsed, "counter"), counter)
        << "event seq " << event.seq << " of run " << stream.first << " thread " << stream.second
        << ": an earlier event of this thread is missing";
    ++counter;
  }
  EXPECT_EQ(expected_index, expected_size) << "the last request stops after " << expected_index
                                           << " of its " << expected_size << " events";
}

// Checks `store` against every acknowledgement so far: the ledger is exactly events 1..head, every
// acknowledged event is there with its hash, and no request was stored in part. Returns the
// ledger's size.
std::uint64_t CheckAcknowledgedEvents(app::Store& store,
                                      const std::map<std::uint64_t, std::string>& acknowledged) {
  auto head = store.Head();
  EXPECT_TRUE(head) << head.error().ToString();
  if (!head) return 0;

  std::vector<ledger::Event> events;
  events.reserve(static_cast<std::size_t>(head->size));
  auto scanned = store.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
    events.push_back(event);
    return {};
  });
  EXPECT_TRUE(scanned) << scanned.error().ToString();
  // Nothing half-written: exactly the events 1..head, no hole, nothing past the head.
  EXPECT_EQ(events.size(), head->size);
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].seq != i + 1) {
      ADD_FAILURE() << "the ledger holds seq " << events[i].seq << " where seq " << i + 1
                    << " belongs";
      return head->size;
    }
  }
  // AL-04: every acknowledged event is there, unchanged.
  std::size_t missing = 0;
  for (const auto& [seq, hash] : acknowledged) {
    if (seq > events.size()) {
      if (++missing <= 5) {
        ADD_FAILURE() << "acknowledged event seq " << seq << " is lost: the ledger ends at "
                      << events.size();
      }
      continue;
    }
    EXPECT_EQ(events[seq - 1].hash.Hex(), hash)
        << "acknowledged event seq " << seq << " was replaced by another";
  }
  EXPECT_EQ(missing, 0U) << "acknowledged events lost in all";
  ExpectWholeRequests(events);
  return head->size;
}

// The chain, every hash and the projections, as `aliquot verify` checks them.
void ExpectLedgerVerifies(app::Store& store, const app::Projector& projector) {
  testing::FakeClock clock;
  Ed25519SigningKey::Seed seed{};
  seed.fill(7);
  const Ed25519SigningKey key = Ed25519SigningKey::FromSeed(seed);
  auto head = store.Head();
  ASSERT_TRUE(head) << head.error().ToString();
  app::LedgerService ledger(store, clock, key, projector);
  auto verified = ledger.Verify({});
  EXPECT_TRUE(verified) << "verify after the crash: " << verified.error().ToString();
  if (verified) {
    EXPECT_EQ(verified->ledger.events, head->size);
    EXPECT_EQ(verified->ledger.head_hash, head->head_hash);
    EXPECT_EQ(verified->ledger.root_hash, head->root_hash);
  }
}

// Opens the store as `aliquot verify` does after a crash (read-only) and checks it against every
// acknowledgement so far. Returns the ledger's size.
std::uint64_t CheckStoreAfterCrash(const std::filesystem::path& database,
                                   const std::map<std::uint64_t, std::string>& acknowledged) {
  testing::FakeClock clock;
  const auto projector = app::MakeAllProjectors();
  auto store = storage::SqliteStore::Open({database.string(), storage::OpenMode::kReadOnly}, clock,
                                          *projector);
  EXPECT_TRUE(store) << "the store does not open after the crash: " << store.error().ToString();
  if (!store) return 0;
  const std::uint64_t size = CheckAcknowledgedEvents(**store, acknowledged);
  ExpectLedgerVerifies(**store, *projector);
  return size;
}

TEST(Crash, KillAtAnyInstantLosesNoAcknowledgedEventAndLeavesNoPartialRequest) {
  const int iterations =
      static_cast<int>(EnvNumber("ALIQUOT_CRASH_ITERATIONS", kDefaultIterations));
  const std::uint64_t seed = EnvNumber("ALIQUOT_CRASH_SEED", kDefaultSeed);
  std::cout << "crash test: " << iterations << " kills, seed " << seed
            << " (replay with ALIQUOT_CRASH_SEED=" << seed << ")" << std::endl;
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> delay_ms(5, 150);

  testing::TempDir dir;
  const std::filesystem::path database = dir / "crash.db";
  std::map<std::uint64_t, std::string> acknowledged;  // Across all runs: seq -> hash.
  std::uint64_t size = 0;
  const auto started = SteadyClock::now();

  for (int run = 1; run <= iterations; ++run) {
    const int delay = delay_ms(random);
    SCOPED_TRACE("run " + std::to_string(run) + ", killed " + std::to_string(delay) +
                 " ms after its first acknowledgement (seed " + std::to_string(seed) + ")");
    const std::filesystem::path out = dir / ("run-" + std::to_string(run) + ".out");
    const std::filesystem::path err = dir / ("run-" + std::to_string(run) + ".err");
    auto appender = StartAppender(database.string(), run, out, err);
    ASSERT_TRUE(appender) << "cannot start " << ALIQUOT_CRASH_APPENDER << ": "
                          << appender.error().ToString();
    if (!WaitForFirstAcknowledgement(**appender, out)) {
      FAIL() << "the appender acknowledged nothing; its stderr:\n" << testing::ReadFileBytes(err);
    }
    std::this_thread::sleep_for(milliseconds(delay));
    ASSERT_TRUE((*appender)->Signal(SIGKILL));
    const std::optional<testing::ExitStatus> status = (*appender)->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "the appender did not die of SIGKILL";
    ASSERT_TRUE(!status->exited && status->signal == SIGKILL)
        << "the appender ended before the kill (" << status->Describe() << "); its stderr:\n"
        << testing::ReadFileBytes(err);

    const auto acks = ParseAcknowledgements(testing::ReadFileBytes(out));
    ASSERT_FALSE(acks.empty());
    for (const auto& [seq, hash] : acks) {
      ASSERT_GT(seq, size) << "seq " << seq << " was acknowledged again, though an earlier run "
                           << "left the ledger at " << size;
      const auto [where, inserted] = acknowledged.emplace(seq, hash);
      ASSERT_TRUE(inserted) << "seq " << seq << " was acknowledged twice in one run";
    }
    const std::uint64_t before = size;
    size = CheckStoreAfterCrash(database, acknowledged);
    std::cout << "run " << run << ": killed " << delay << " ms after the first acknowledgement; "
              << acks.size() << " events acknowledged, ledger " << before << " -> " << size
              << " events" << std::endl;
    if (::testing::Test::HasFailure()) break;
  }

  // The store a crashed server left behind opens for writing again and the chain goes on.
  {
    testing::FakeClock clock;
    const auto projector = app::MakeAllProjectors();
    auto store = storage::SqliteStore::Open({database.string(), storage::OpenMode::kReadWrite},
                                            clock, *projector);
    ASSERT_TRUE(store) << store.error().ToString();
    app::AppendRequest request;
    ledger::NewEvent event;
    event.stream = {"crashtest", "after"};
    event.event_type = "crashtest.reopened";
    event.actor = {"crash-test", "Crash Test"};
    event.terminal = "crash_test";
    request.events.push_back(std::move(event));
    auto appended = (*store)->Append(request);
    ASSERT_TRUE(appended) << appended.error().ToString();
    EXPECT_EQ(appended->front().seq, size + 1);
  }
  std::cout << "crash test: " << acknowledged.size() << " acknowledged events checked in "
            << std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started).count()
            << " ms" << std::endl;
}

// True while the child runs; false once it has ended (and been reaped, here or before).
bool StillRunning(testing::Process& child) {
  if (child.Wait(milliseconds(0)).has_value()) return false;
  return child.Signal(0);
}

// The acknowledgement lines the appender has completed so far.
std::size_t CompleteLines(const std::filesystem::path& out) {
  const std::string text = testing::ReadFileBytes(out);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The events from..to (inclusive) as stored, "seq hash" by seq, read behind the store's back.
std::map<std::uint64_t, std::string> StoredHashes(testing::TestDatabase& database,
                                                  std::uint64_t from, std::uint64_t to) {
  // One "<seq> <hash>" line per event, as the appenders acknowledge them.
  const std::string rows = database.QueryValue(
      "SELECT coalesce(string_agg(seq || ' ' || encode(hash, 'hex') || E'\\n', '' ORDER BY seq), "
      "'') FROM events WHERE seq BETWEEN " +
      std::to_string(from) + " AND " + std::to_string(to));
  std::map<std::uint64_t, std::string> stored;
  for (auto& [seq, hash] : ParseAcknowledgements(rows)) stored.emplace(seq, std::move(hash));
  return stored;
}

TEST(CrashOnPostgres, KillingOneOfTwoAppendersLosesNoAcknowledgedEventAndTheOtherAppendsOn) {
  const int iterations =
      static_cast<int>(EnvNumber("ALIQUOT_CRASH_POSTGRES_ITERATIONS", kDefaultPostgresIterations));
  const std::uint64_t seed = EnvNumber("ALIQUOT_CRASH_SEED", kDefaultSeed);
  std::cout << "crash test on PostgreSQL: " << iterations << " kills, seed " << seed
            << " (replay with ALIQUOT_CRASH_SEED=" << seed << ")" << std::endl;
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> delay_ms(5, 150);

  testing::TestDatabase database;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  testing::TempDir dir;
  const auto started = SteadyClock::now();

  // Run 0 appends throughout; it is only ever stopped at the end.
  const std::filesystem::path survivor_out = dir / "survivor.out";
  const std::filesystem::path survivor_err = dir / "survivor.err";
  auto survivor =
      StartAppender(database.Url(), 0, survivor_out, survivor_err, kSurvivorThreads, 600);
  ASSERT_TRUE(survivor) << "cannot start " << ALIQUOT_CRASH_APPENDER << ": "
                        << survivor.error().ToString();
  ASSERT_TRUE(WaitForFirstAcknowledgement(**survivor, survivor_out))
      << "the appender that runs throughout acknowledged nothing; its stderr:\n"
      << testing::ReadFileBytes(survivor_err);
  const auto expect_survivor_appending = [&](std::size_t& lines_before) {
    EXPECT_TRUE(StillRunning(**survivor))
        << "the appender that runs throughout has ended; its stderr:\n"
        << testing::ReadFileBytes(survivor_err);
    const std::size_t lines = CompleteLines(survivor_out);
    EXPECT_GT(lines, lines_before) << "the appender that runs throughout acknowledged nothing "
                                      "since the previous kill";
    lines_before = lines;
  };
  std::size_t survivor_lines = CompleteLines(survivor_out);

  std::map<std::uint64_t, std::string> acknowledged;  // Both appenders, all runs: seq -> hash.
  // Restarts that ended without appending: a server restarting beside another must not.
  std::vector<std::string> refused_restarts;
  for (int run = 1; run <= iterations; ++run) {
    const int delay = delay_ms(random);
    SCOPED_TRACE("run " + std::to_string(run) + ", killed " + std::to_string(delay) +
                 " ms after its first acknowledgement (seed " + std::to_string(seed) + ")");
    const std::filesystem::path out = dir / ("run-" + std::to_string(run) + ".out");
    const std::filesystem::path err = dir / ("run-" + std::to_string(run) + ".err");
    auto appender = StartAppender(database.Url(), run, out, err);
    ASSERT_TRUE(appender) << "cannot start " << ALIQUOT_CRASH_APPENDER << ": "
                          << appender.error().ToString();
    if (!WaitForFirstAcknowledgement(**appender, out)) {
      ASSERT_FALSE(StillRunning(**appender)) << "the restarted appender acknowledged nothing in "
                                             << kFirstAckTimeout.count() << " ms; its stderr:\n"
                                             << testing::ReadFileBytes(err);
      // Reported at the end, once the kills that did happen have been checked too.
      refused_restarts.push_back("run " + std::to_string(run) + ": " + testing::ReadFileBytes(err));
      continue;
    }
    std::this_thread::sleep_for(milliseconds(delay));
    ASSERT_TRUE((*appender)->Signal(SIGKILL));
    const std::optional<testing::ExitStatus> status = (*appender)->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "the appender did not die of SIGKILL";
    ASSERT_TRUE(!status->exited && status->signal == SIGKILL)
        << "the appender ended before the kill (" << status->Describe() << "); its stderr:\n"
        << testing::ReadFileBytes(err);

    const auto acks = ParseAcknowledgements(testing::ReadFileBytes(out));
    ASSERT_FALSE(acks.empty());
    for (const auto& [seq, hash] : acks) {
      const auto [where, inserted] = acknowledged.emplace(seq, hash);
      ASSERT_TRUE(inserted) << "seq " << seq << " was acknowledged twice: a fork of the chain";
    }
    // What the killed appender acknowledged is in the database while the other appends on. Its
    // threads write their lines as their appends return, not in seq order.
    const auto [lowest, highest] = std::minmax_element(
        acks.begin(), acks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto stored = StoredHashes(database, lowest->first, highest->first);
    std::size_t lost = 0;
    for (const auto& [seq, hash] : acks) {
      const auto found = stored.find(seq);
      if (found == stored.end() || found->second != hash) {
        if (++lost <= 5) {
          ADD_FAILURE() << "acknowledged event seq " << seq << " of the killed appender is "
                        << (found == stored.end() ? "lost" : "replaced by another");
        }
      }
    }
    EXPECT_EQ(lost, 0U);
    expect_survivor_appending(survivor_lines);
    std::cout << "run " << run << ": killed " << delay << " ms after the first acknowledgement; "
              << acks.size() << " events acknowledged; the other appender at " << survivor_lines
              << " events" << std::endl;
    if (::testing::Test::HasFailure()) break;
  }

  EXPECT_TRUE(refused_restarts.empty())
      << refused_restarts.size() << " of " << iterations
      << " restarts beside the appender that runs throughout failed to open the store; the "
         "first:\n"
      << (refused_restarts.empty() ? "" : refused_restarts.front());

  // The appender that ran throughout saw no error: it is still running, and said nothing.
  EXPECT_TRUE(StillRunning(**survivor))
      << "the appender that runs throughout has ended; its stderr:\n"
      << testing::ReadFileBytes(survivor_err);
  EXPECT_EQ(testing::ReadFileBytes(survivor_err), "");
  ASSERT_TRUE((*survivor)->Signal(SIGKILL));
  ASSERT_TRUE((*survivor)->Wait(std::chrono::seconds(30)).has_value());
  for (const auto& [seq, hash] : ParseAcknowledgements(testing::ReadFileBytes(survivor_out))) {
    const auto [where, inserted] = acknowledged.emplace(seq, hash);
    ASSERT_TRUE(inserted) << "seq " << seq << " was acknowledged to both appenders";
  }

  // With every writer gone: the whole ledger, as `aliquot verify` opens it.
  testing::FakeClock clock;
  const auto projector = app::MakeAllProjectors();
  std::uint64_t size = 0;
  {
    storage::PgStoreOptions options;
    options.url = database.Url();
    options.read_only = true;
    auto store = storage::PgStore::Open(options, clock, *projector);
    ASSERT_TRUE(store) << "the store does not open after the crashes: " << store.error().ToString();
    size = CheckAcknowledgedEvents(**store, acknowledged);
    ExpectLedgerVerifies(**store, *projector);
  }
  // And it opens for writing again, the chain going on.
  {
    storage::PgStoreOptions options;
    options.url = database.Url();
    auto store = storage::PgStore::Open(options, clock, *projector);
    ASSERT_TRUE(store) << store.error().ToString();
    app::AppendRequest request;
    ledger::NewEvent event;
    event.stream = {"crashtest", "after"};
    event.event_type = "crashtest.reopened";
    event.actor = {"crash-test", "Crash Test"};
    event.terminal = "crash_test";
    request.events.push_back(std::move(event));
    auto appended = (*store)->Append(request);
    ASSERT_TRUE(appended) << appended.error().ToString();
    EXPECT_EQ(appended->front().seq, size + 1);
  }
  std::cout << "crash test on PostgreSQL: " << acknowledged.size() << " acknowledged events of "
            << size << " checked in "
            << std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started).count()
            << " ms" << std::endl;
}

}  // namespace
}  // namespace aliquot
