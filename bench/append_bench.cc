// append_bench: durable append throughput of SqliteStore::Append with 1, 8 and 64 concurrent
// appenders, each figure printed beside the limit it chases, measured in the same run on the same
// filesystem: plain SQLite inserts of the same rows into the same schema (1000 rows and 1 row per
// transaction, WAL, synchronous=FULL) and the raw fdatasync rate. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/appenders.h"
#include "bench/report.h"
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projectors.h"
#include "aliquot/core/check.h"
#include "aliquot/core/clock.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sqlite/migrations.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The raw limit runs migration 1 itself (storage/sqlite/migrations.cc), so it pays for exactly
// the B-trees the store does. The append-only triggers fire on UPDATE and DELETE only and cost an
// insert nothing.
std::string EventsSchema() { return std::string(aliquot::storage::SqliteMigrations().front().sql); }

// Each benchmark runs in rounds, and every round measures the limits and the store back to back,
// so that a burst of load on this shared machine lands on a figure and its limit alike.
struct Plan {
  int appenders;
  std::int64_t rounds;             // Before --scale.
  std::int64_t appends_per_round;  // Per appender thread.
};
constexpr std::array<Plan, 3> kPlans{{
    {1, 40, 50},    // 2,000 appends, each beside one fdatasync and one raw one-row commit.
    {8, 60, 50},    // 24,000 appends.
    {64, 100, 10},  // 64,000 appends.
}};
constexpr std::int64_t kRawRowsPerTransaction = 1000;
constexpr std::int64_t kRawTransactionsPerRound = 2;
constexpr int kSyncsPerRound = 5;
constexpr std::int64_t kBulkRounds = 50;  // 100,000 events in 1000-event requests.

double scale = 1.0;

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// One folder for the whole run: every file lives on the same filesystem, so the limits are the
// limits of the disk the store writes to. TMPDIR chooses where.
testing::TempDir& RunDir() {
  static testing::TempDir dir;
  return dir;
}

std::string FreshPath(std::string_view stem) {
  static int counter = 0;
  return (RunDir() / (std::string(stem) + "-" + std::to_string(++counter))).string();
}

// Frees the disk (and the page cache) when a database is done with.
void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Bytes this process has passed to write(2) and pwrite(2) so far (Linux /proc/self/io "wchar";
// 0 where unavailable): what a commit costs a bandwidth-limited disk.
double ProcessWrittenBytes() {
  std::FILE* io = std::fopen("/proc/self/io", "r");
  if (io == nullptr) return 0;
  unsigned long long bytes = 0;
  char line[128];
  while (std::fgets(line, sizeof line, io) != nullptr) {
    if (std::sscanf(line, "wchar: %llu", &bytes) == 1) break;
  }
  std::fclose(io);
  return static_cast<double>(bytes);
}

// ---------------------------------------------------------------------------------------------
// Raw limits.

// A plain sqlite3 handle; any error stops the benchmark, which has nothing to report without it.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    ALIQUOT_CHECK(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                  nullptr) == SQLITE_OK);
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = FULL");
    Exec(EventsSchema().c_str());
  }
  ~RawDatabase() {
    sqlite3_finalize(insert_);
    sqlite3_close_v2(db_);
  }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;

  void Exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::fprintf(stderr, "raw SQLite: %s: %s\n", sql, message != nullptr ? message : "?");
      ALIQUOT_CHECK(false);
    }
  }

  // Inserts row `seq`: the sealed `event` with its number, time and hashes varied per row.
  void Insert(const ledger::Event& event, std::int64_t seq) {
    if (insert_ == nullptr) {
      ALIQUOT_CHECK(sqlite3_prepare_v3(db_,
                                       "INSERT INTO events (seq, stream_type, stream_id, "
                                       "event_type, payload, actor_id, actor_name, terminal, "
                                       "time_us, reason, prev_hash, hash) VALUES (?1, ?2, ?3, "
                                       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                       -1, SQLITE_PREPARE_PERSISTENT, &insert_,
                                       nullptr) == SQLITE_OK);
    }
    const auto text = [&](int index, std::string_view value) {
      sqlite3_bind_text(insert_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC);
    };
    std::array<std::uint8_t, 32> prev_hash = event.prev_hash.bytes;
    std::array<std::uint8_t, 32> hash = event.hash.bytes;
    std::memcpy(prev_hash.data(), &seq, sizeof seq);
    const std::int64_t next = seq + 1;
    std::memcpy(hash.data(), &next, sizeof next);
    char stream_id[16];
    std::snprintf(stream_id, sizeof stream_id, "B-%05d", 17 + static_cast<int>(seq % kStreams));
    sqlite3_bind_int64(insert_, 1, seq);
    text(2, event.stream.type);
    text(3, stream_id);
    text(4, event.event_type);
    text(5, event.payload);
    text(6, event.actor.id);
    text(7, event.actor.name);
    text(8, event.terminal);
    sqlite3_bind_int64(insert_, 9, event.time.Micros() + seq);
    sqlite3_bind_null(insert_, 10);
    sqlite3_bind_blob(insert_, 11, prev_hash.data(), static_cast<int>(prev_hash.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert_, 12, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    ALIQUOT_CHECK(sqlite3_step(insert_) == SQLITE_DONE);
    sqlite3_reset(insert_);
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

// The row the raw limits insert: the event the store would seal.
const ledger::Event& SampleRow() {
  static const ledger::Event kRow =
      ledger::SealEvent(MeasurementEvent(0), 1, SystemClock().Now(), ledger::kGenesisPrevHash);
  return kRow;
}

// fdatasync after a 4 KiB write (a WAL frame) into a preallocated file, as SQLite's WAL commit
// does once the log has reached its working size.
class SyncProbe {
 public:
  static constexpr std::size_t kBlock = 4096;
  static constexpr std::size_t kBlocks = 256;

  explicit SyncProbe(std::string path) : path_(std::move(path)), block_(kBlock, 'w') {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ALIQUOT_CHECK(fd_ >= 0);
    for (std::size_t i = 0; i < kBlocks; ++i) Write(i);
    ALIQUOT_CHECK(::fsync(fd_) == 0);
  }
  ~SyncProbe() {
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  SyncProbe(const SyncProbe&) = delete;
  SyncProbe& operator=(const SyncProbe&) = delete;

  void WriteAndSync() {
    block_[0] = static_cast<char>(next_);
    Write(next_);
    ALIQUOT_CHECK(::fdatasync(fd_) == 0);
    next_ = (next_ + 1) % kBlocks;
  }

 private:
  void Write(std::size_t block) {
    ALIQUOT_CHECK(::pwrite(fd_, block_.data(), kBlock, static_cast<off_t>(block * kBlock)) ==
                  static_cast<ssize_t>(kBlock));
  }

  std::string path_;
  std::vector<char> block_;
  int fd_ = -1;
  std::size_t next_ = 0;
};

// A raw database that removes its files when done.
class RawTable {
 public:
  explicit RawTable(std::string path) : path_(std::move(path)) { db_.emplace(path_); }
  ~RawTable() {
    db_.reset();
    RemoveDatabase(path_);
  }
  RawTable(const RawTable&) = delete;
  RawTable& operator=(const RawTable&) = delete;

  // One transaction of `rows` rows: BEGIN, the inserts, COMMIT (one fsync).
  void Commit(std::int64_t rows) {
    db_->Exec("BEGIN");
    for (std::int64_t i = 0; i < rows; ++i) db_->Insert(SampleRow(), ++seq_);
    db_->Exec("COMMIT");
  }

 private:
  std::string path_;
  std::optional<RawDatabase> db_;
  std::int64_t seq_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The store.

// Accumulates the wall and CPU time of one kind of work across rounds.
struct Phase {
  double seconds = 0;
  double cpu_seconds = 0;
  double written_bytes = 0;

  template <typename Work>
  void Time(Work&& work) {
    const double written_before = ProcessWrittenBytes();
    const double cpu_began = ProcessCpuSeconds();
    const Clock::time_point began = Clock::now();
    work();
    seconds += Seconds(Clock::now() - began);
    cpu_seconds += ProcessCpuSeconds() - cpu_began;
    written_bytes += ProcessWrittenBytes() - written_before;
  }
};

// One benchmark per appender count (state.range(0)). Each round (iteration) commits
// kRawTransactionsPerRound raw transactions of 1000 rows, then lets the appenders append. With
// one appender, each append is also paired with one fdatasync and one raw one-row commit, so
// that latency and its limit come from the same moments.
void AppendBench(benchmark::State& state) {
  const auto appenders = static_cast<int>(state.range(0));
  const std::int64_t appends_per_round = state.range(1);
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SystemClock clock;
  const std::string store_path = FreshPath("store") + ".sqlite";
  auto opened = storage::SqliteStore::Open({store_path, storage::OpenMode::kReadWriteCreate}, clock,
                                           *projector);
  ALIQUOT_CHECK_MSG(opened.has_value(), "cannot open the store");
  std::unique_ptr<storage::SqliteStore> store = std::move(*opened);
  RawTable raw_batched(FreshPath("raw-batched") + ".sqlite");

  Phase raw_batched_phase;
  Phase store_phase;
  Phase raw_single_phase;
  std::vector<double> append_latencies;
  std::vector<double> sync_latencies;
  std::vector<double> raw_single_latencies;
  std::int64_t raw_batched_rows = 0;
  std::int64_t raw_single_rows = 0;
  if (appenders == 1) {
    // Sequential and paired: append, fdatasync, one-row commit, append, ...
    SyncProbe probe(FreshPath("fdatasync"));
    RawTable raw_single(FreshPath("raw-single") + ".sqlite");
    app::AppendRequest request;
    request.events.push_back(MeasurementEvent(0));
    while (state.KeepRunning()) {
      raw_batched_phase.Time([&] {
        for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
          raw_batched.Commit(kRawRowsPerTransaction);
        }
      });
      raw_batched_rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
      for (std::int64_t i = 0; i < appends_per_round; ++i) {
        store_phase.Time([&] {
          const Clock::time_point start = Clock::now();
          auto appended = store->Append(request);
          ALIQUOT_CHECK_MSG(appended.has_value(), "append failed");
          append_latencies.push_back(Micros(Clock::now() - start));
        });
        const Clock::time_point synced = Clock::now();
        probe.WriteAndSync();
        sync_latencies.push_back(Micros(Clock::now() - synced));
        const Clock::time_point committed = Clock::now();
        raw_single_phase.Time([&] { raw_single.Commit(1); });
        raw_single_latencies.push_back(Micros(Clock::now() - committed));
        ++raw_single_rows;
      }
    }
  } else {
    // A few fdatasyncs per round, for the commit time to compare with.
    SyncProbe probe(FreshPath("fdatasync"));
    AppenderPool pool(*store, appenders, appends_per_round);
    while (state.KeepRunning()) {
      for (int i = 0; i < kSyncsPerRound; ++i) {
        const Clock::time_point synced = Clock::now();
        probe.WriteAndSync();
        sync_latencies.push_back(Micros(Clock::now() - synced));
      }
      raw_batched_phase.Time([&] {
        for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
          raw_batched.Commit(kRawRowsPerTransaction);
        }
      });
      raw_batched_rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
      store_phase.Time([&] { pool.RunRound(); });
    }
    append_latencies = pool.Latencies();
  }
  const app::StoreStats stats = store->Stats();
  store.reset();
  RemoveDatabase(store_path);

  const auto events = static_cast<double>(stats.events);
  const double commits = std::max<double>(1, static_cast<double>(stats.commits));
  const double rate = events / store_phase.seconds;
  const double raw_rate = static_cast<double>(raw_batched_rows) / raw_batched_phase.seconds;
  const std::string name = "append_" + std::to_string(appenders);
  state.counters["events/s"] = rate;
  state.counters["raw1000_rows/s"] = raw_rate;
  state.counters["of_raw1000"] = rate / raw_rate;
  state.counters["p50_us"] = Percentile(append_latencies, 0.50);
  state.counters["p99_us"] = Percentile(append_latencies, 0.99);
  state.counters["batch"] = events / commits;
  state.counters["bytes/event"] = store_phase.written_bytes / std::max(1.0, events);
  state.counters["cpu_us/event"] = store_phase.cpu_seconds * 1e6 / std::max(1.0, events);
  state.counters["commit_us"] = stats.commit_seconds_total * 1e6 / commits;
  Record(name, rate);
  Record(name + "_raw1000", raw_rate);
  Record(name + "_raw1000_cpu",
         raw_batched_phase.cpu_seconds * 1e6 / static_cast<double>(raw_batched_rows));
  Record(name + "_p50", Percentile(append_latencies, 0.50));
  Record(name + "_p99", Percentile(append_latencies, 0.99));
  Record(name + "_batch", events / commits);
  Record(name + "_commit", stats.commit_seconds_total * 1e6 / commits);
  Record(name + "_cpu", store_phase.cpu_seconds * 1e6 / std::max(1.0, events));
  Record(name + "_bytes", store_phase.written_bytes / std::max(1.0, events));
  Record(name + "_raw1000_bytes",
         raw_batched_phase.written_bytes / static_cast<double>(raw_batched_rows));
  Record(name + "_fsync_p50", Percentile(sync_latencies, 0.50));
  state.counters["fsync_p50_us"] = Percentile(sync_latencies, 0.50);
  if (appenders == 1) {
    double sync_total = 0;
    for (const double latency : sync_latencies) sync_total += latency;
    const double raw_single_rate = static_cast<double>(raw_single_rows) / raw_single_phase.seconds;
    state.counters["fsync_p99_us"] = Percentile(sync_latencies, 0.99);
    state.counters["raw1_rows/s"] = raw_single_rate;
    Record("fsync_rate", static_cast<double>(sync_latencies.size()) * 1e6 / sync_total);
    Record("fsync_p50", Percentile(sync_latencies, 0.50));
    Record("fsync_p99", Percentile(sync_latencies, 0.99));
    Record("raw_1", raw_single_rate);
    Record("raw_1_p99", Percentile(raw_single_latencies, 0.99));
    Record("raw_1_bytes", raw_single_phase.written_bytes / static_cast<double>(raw_single_rows));
    Record("raw_1_cpu", raw_single_phase.cpu_seconds * 1e6 / static_cast<double>(raw_single_rows));
  }
}

// A diagnostic: requests of 1000 events each, so that every commit has the raw limit's shape
// (one transaction of 1000 rows over 64 streams) and the difference is the store's own work per
// event (validation, sealing, hashing, the insert, the projectors), without group commit.
void BulkAppendBench(benchmark::State& state) {
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SystemClock clock;
  const std::string store_path = FreshPath("store-bulk") + ".sqlite";
  auto opened = storage::SqliteStore::Open({store_path, storage::OpenMode::kReadWriteCreate}, clock,
                                           *projector);
  ALIQUOT_CHECK_MSG(opened.has_value(), "cannot open the store");
  std::unique_ptr<storage::SqliteStore> store = std::move(*opened);
  RawTable raw_batched(FreshPath("raw-batched") + ".sqlite");
  app::AppendRequest request;
  for (std::int64_t i = 0; i < kRawRowsPerTransaction; ++i) {
    request.events.push_back(MeasurementEvent(static_cast<int>(i % kStreams)));
  }
  Phase raw_phase;
  Phase store_phase;
  std::int64_t rows = 0;
  while (state.KeepRunning()) {
    raw_phase.Time([&] {
      for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
        raw_batched.Commit(kRawRowsPerTransaction);
      }
    });
    store_phase.Time([&] {
      for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
        ALIQUOT_CHECK_MSG(store->Append(request).has_value(), "append failed");
      }
    });
    rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
  }
  store.reset();
  RemoveDatabase(store_path);
  const auto count = static_cast<double>(rows);
  const double rate = count / store_phase.seconds;
  const double raw_rate = count / raw_phase.seconds;
  state.counters["events/s"] = rate;
  state.counters["raw1000_rows/s"] = raw_rate;
  state.counters["of_raw1000"] = rate / raw_rate;
  state.counters["cpu_us/event"] = store_phase.cpu_seconds * 1e6 / count;
  Record("bulk", rate);
  Record("bulk_raw1000", raw_rate);
  Record("bulk_cpu", store_phase.cpu_seconds * 1e6 / count);
  Record("bulk_raw1000_cpu", raw_phase.cpu_seconds * 1e6 / count);
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

void PrintSummary() {
  std::vector<Line> lines;
  const auto fsync_p50 = Figure("fsync_p50");
  const auto fsync_p99 = Figure("fsync_p99");
  const auto raw_1 = Figure("raw_1");
  lines.push_back({"fdatasync rate (4 KiB write + fdatasync)", Number(Figure("fsync_rate"), "/s"),
                   "-", "", "orientation", ""});
  lines.push_back({"fdatasync latency p50 / p99",
                   Number(fsync_p50, "us") + " / " + Number(fsync_p99, "us"), "-", "",
                   "orientation", ""});
  lines.push_back(
      {"raw SQLite, 1 row per transaction", Number(raw_1, "rows/s"), "-", "", "orientation", ""});
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const auto rate = Figure(name);
    const auto raw = Figure(name + "_raw1000");
    const auto ratio = Ratio(rate, raw);
    const bool is_goal = plan.appenders == 64;
    std::optional<bool> met;
    if (ratio) met = *ratio >= 0.5;
    lines.push_back({"append, " + Appenders(plan.appenders), Number(rate, "events/s"),
                     "raw 1000/txn " + Number(raw, "rows/s"), Percent(ratio),
                     is_goal ? ">= 50%" : "-", is_goal ? Met(met) : ""});
  }
  const auto rate_1 = Figure("append_1");
  lines.push_back({"append, 1 appender, vs one-row commits", Number(rate_1, "events/s"),
                   "raw 1/txn " + Number(raw_1, "rows/s"), Percent(Ratio(rate_1, raw_1)), "-", ""});
  const auto p50 = Figure("append_1_p50");
  const auto p99 = Figure("append_1_p99");
  lines.push_back({"append latency p50, 1 appender", Number(p50, "us"),
                   "fsync p50 " + Number(fsync_p50, "us"), "", "-", ""});
  std::optional<bool> latency_met;
  std::string excess = "n/a";
  if (p99 && fsync_p99) {
    latency_met = *p99 <= *fsync_p99 + 1000;
    excess = (*p99 >= *fsync_p99 ? "+" : "") + Number(*p99 - *fsync_p99, "us");
  }
  lines.push_back({"append latency p99, 1 appender", Number(p99, "us"),
                   "fsync p99 " + Number(fsync_p99, "us"), excess, "<= fsync p99 + 1 ms",
                   Met(latency_met)});
  lines.push_back({"append latency p99, 1 appender", Number(p99, "us"),
                   "raw 1/txn commit p99 " + Number(Figure("raw_1_p99"), "us"), "", "-", ""});
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const std::string appenders = ", " + Appenders(plan.appenders);
    if (plan.appenders > 1) {
      lines.push_back(
          {"append latency p50 / p99" + appenders,
           Number(Figure(name + "_p50"), "us") + " / " + Number(Figure(name + "_p99"), "us"), "",
           "", "-", ""});
    }
    lines.push_back({"mean batch" + appenders, Number(Figure(name + "_batch"), "events/commit"),
                     "at most " + std::to_string(plan.appenders), "", "-", ""});
    lines.push_back({"mean commit time" + appenders, Number(Figure(name + "_commit"), "us"),
                     "fsync p50 " + Number(Figure(name + "_fsync_p50"), "us"), "", "-", ""});
    // With one appender every event pays a whole commit, so its CPU compares with one row per
    // transaction (on this VM an fdatasync itself costs CPU); with many, with the batched rows.
    const bool single = plan.appenders == 1;
    lines.push_back({"CPU per event (process)" + appenders, Number(Figure(name + "_cpu"), "us"),
                     single ? "raw 1/txn " + Number(Figure("raw_1_cpu"), "us/row")
                            : "raw 1000/txn " + Number(Figure(name + "_raw1000_cpu"), "us/row"),
                     "", "-", ""});
  }
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const bool single = plan.appenders == 1;
    lines.push_back({"bytes written per event, " + Appenders(plan.appenders),
                     Number(Figure(name + "_bytes"), "B"),
                     single ? "raw 1/txn " + Number(Figure("raw_1_bytes"), "B/row")
                            : "raw 1000/txn " + Number(Figure(name + "_raw1000_bytes"), "B/row"),
                     "", "-", ""});
  }
  const auto bulk = Figure("bulk");
  const auto bulk_raw = Figure("bulk_raw1000");
  lines.push_back({"diagnostic: append, 1000-event requests", Number(bulk, "events/s"),
                   "raw 1000/txn " + Number(bulk_raw, "rows/s"), Percent(Ratio(bulk, bulk_raw)),
                   "-", ""});
  lines.push_back({"diagnostic: CPU per event, 1000-event requests",
                   Number(Figure("bulk_cpu"), "us"),
                   "raw 1000/txn " + Number(Figure("bulk_raw1000_cpu"), "us/row"), "", "-", ""});
  std::printf("\nSummary (medians over repetitions; files under %s):\n", RunDir().Path().c_str());
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the number of rounds (0.1 for a quick
// look).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv, {{"--scale=", [](std::string_view value) {
                               scale = std::stod(std::string(value));
                               ALIQUOT_CHECK_MSG(scale > 0, "--scale must be positive");
                             }}});
}

}  // namespace
}  // namespace aliquot::bench

// Google Benchmark's registry owns what RegisterBenchmark allocates; the analyzer cannot see it,
// and reports the leak along any path through main.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
int main(int argc, char** argv) {
  using namespace aliquot::bench;
  benchmark::Initialize(&argc, argv);
  ParseOwnFlags(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  for (const Plan& plan : kPlans) {
    benchmark::RegisterBenchmark("append", AppendBench)
        ->Args({plan.appenders, plan.appends_per_round})
        ->ArgNames({"appenders", "per_round"})
        ->Iterations(Scaled(plan.rounds))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("append_1000_event_requests", BulkAppendBench)
      ->Iterations(Scaled(kBulkRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
