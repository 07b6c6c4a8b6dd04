// verify_bench: the full verification (LedgerService::Verify: numbering, chain, every event's
// hash, the Merkle root at every checkpoint and its signature, projections against a rebuild)
// beside the limit it chases, measured in the same run on the same file: reading every column of
// every event with plain sqlite3 and one SHA-256 over each row's bytes. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/sha256.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/verifier.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kEvents = 200'000;
constexpr std::int64_t kEventsPerRequest = 1000;
constexpr std::int64_t kEventsPerCheckpoint = 20'000;
constexpr int kStreams = 64;
constexpr std::int64_t kRounds = 5;

std::int64_t events_wanted = kEvents;
std::int64_t rounds = kRounds;

// The ledger under test, built once: an installation, a server start, then batch entries from 64
// batches in requests of 1000 events, with a signed checkpoint every 20,000 events.
struct Ledger {
  testing::TempDir dir;
  std::string path = (dir / "aliquot.sqlite").string();
  SystemClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  Ed25519SigningKey key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{42});
  std::unique_ptr<storage::SqliteStore> store;
  std::uint64_t events = 0;
  std::uint64_t checkpoints = 0;
  double build_seconds = 0;
};

std::unique_ptr<storage::SqliteStore> OpenStore(Ledger& ledger) {
  auto opened = storage::SqliteStore::Open({ledger.path, storage::OpenMode::kReadWriteCreate},
                                           ledger.clock, *ledger.projector);
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.error().Message().c_str());
    ALIQUOT_CHECK(false);
  }
  return std::move(*opened);
}

ledger::NewEvent MeasurementEvent(std::int64_t n) {
  char batch[16];
  std::snprintf(batch, sizeof batch, "B-%05d", 17 + static_cast<int>(n % kStreams));
  ledger::NewEvent event;
  event.stream = {"batch", batch};
  event.event_type = "batch.entry_recorded";
  event.payload.Set("parameter", "granulation_endpoint_moisture");
  event.payload.Set("value", 2.0 + static_cast<double>(n % 100) / 100);
  event.payload.Set("unit", "%w/w");
  event.payload.Set("method", "LOD-105C-5min");
  event.payload.Set("instrument", "MA-37 moisture analyser SN 40211");
  event.payload.Set("actor", "u-0042");
  event.payload.Set("terminal", "GRAN-02-HMI");
  event.payload.Set("step", "4.3");
  event.actor = {"u-0042", "Dr. Amelia Okafor"};
  event.terminal = "GRAN-02-HMI";
  return event;
}

// Built on first use; main() removes it (and its folder) at the end.
std::unique_ptr<Ledger> the_ledger;

Ledger& TheLedger() {
  if (!the_ledger) {
    auto built = std::make_unique<Ledger>();
    const Clock::time_point began = Clock::now();
    built->store = OpenStore(*built);
    app::SystemService system(*built->store);
    (void)Must(system.Initialise({"Basel Solid Dose Plant 2", built->key.PublicKey().KeyId().Hex(),
                                  "0.1.0-bench", "BENCH"}),
               "initialising");
    (void)Must(system.RecordServerStarted({"0.1.0-bench", "127.0.0.1:0", "BENCH", "bench:/bench"}),
               "recording the start");
    app::LedgerService service(*built->store, built->clock, built->key, *built->projector);
    std::int64_t appended = 0;
    while (appended < events_wanted) {
      app::AppendRequest request;
      const std::int64_t count = std::min(kEventsPerRequest, events_wanted - appended);
      for (std::int64_t i = 0; i < count; ++i) {
        request.events.push_back(MeasurementEvent(appended + i));
      }
      (void)Must(built->store->Append(request), "appending");
      const std::int64_t before = appended;
      appended += count;
      if (appended / kEventsPerCheckpoint != before / kEventsPerCheckpoint) {
        (void)Must(service.Checkpoint(), "signing a checkpoint");
      }
    }
    (void)Must(service.Checkpoint(), "signing a checkpoint");
    // Reopen, as `aliquot verify` would: the close folds the WAL into the database.
    built->store.reset();
    built->store = OpenStore(*built);
    built->build_seconds = Seconds(Clock::now() - began);
    built->events = Must(built->store->Head(), "reading the head").size;
    built->checkpoints = Must(built->store->Checkpoints(), "reading checkpoints").size();
    the_ledger = std::move(built);
  }
  return *the_ledger;
}

// The limit: every column of every event read with plain sqlite3 in seq order, and one SHA-256
// over each row's bytes concatenated (text and blobs as stored, integers as their 8 bytes).
// Returns the rows read.
std::uint64_t RawScanSha256(const Ledger& ledger, std::uint8_t& sink) {
  sqlite3* db = nullptr;
  ALIQUOT_CHECK(sqlite3_open_v2(ledger.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
                SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  ALIQUOT_CHECK(sqlite3_prepare_v2(db,
                                   "SELECT seq, stream_type, stream_id, event_type, payload, "
                                   "actor_id, actor_name, terminal, time_us, reason, prev_hash, "
                                   "hash FROM events ORDER BY seq",
                                   -1, &select, nullptr) == SQLITE_OK);
  Sha256 sha;
  std::string row;  // The row's bytes, concatenated: one Update per row, as the verifier does.
  std::uint64_t rows = 0;
  while (sqlite3_step(select) == SQLITE_ROW) {
    row.clear();
    for (int column = 0; column < 12; ++column) {
      if (sqlite3_column_type(select, column) == SQLITE_INTEGER) {
        const std::int64_t value = sqlite3_column_int64(select, column);
        row.append(reinterpret_cast<const char*>(&value), sizeof value);
      } else {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(select, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(select, column));
        if (bytes != nullptr) row.append(bytes, size);
      }
    }
    sink ^= sha.Update(row).Finish().bytes[0];
    ++rows;
  }
  sqlite3_finalize(select);
  sqlite3_close_v2(db);
  return rows;
}

// The figure: the full verification, as `aliquot verify` runs it. Returns the events checked.
std::uint64_t FullVerify(Ledger& ledger) {
  app::LedgerService service(*ledger.store, ledger.clock, ledger.key, *ledger.projector);
  const app::VerifyOutcome outcome = Must(service.Verify({}), "verifying");
  ALIQUOT_CHECK(outcome.ledger.events == ledger.events);
  ALIQUOT_CHECK(outcome.ledger.checkpoints == ledger.checkpoints);
  return outcome.ledger.events;
}

// Where verify's time goes: each stage adds one step of Verify's loop to the one before (the
// last stage, with Projector::Apply, is Verify without the final table comparison).
enum class Stage { kScan, kScanHash, kScanVerifier };

std::uint64_t VerifyStage(Ledger& ledger, Stage stage, std::uint8_t& sink) {
  ledger::EventHasher hasher;
  auto checkpoints = Must(ledger.store->Checkpoints(), "reading checkpoints");
  ledger::LedgerVerifier verifier(ledger.key.PublicKey(), std::move(checkpoints));
  std::uint64_t events = 0;
  const Status scanned =
      ledger.store->ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
        ++events;
        switch (stage) {
          case Stage::kScan:
            sink ^= static_cast<std::uint8_t>(event.payload.size());
            return {};
          case Stage::kScanHash:
            sink ^= hasher.Hash(event).bytes[0];
            return {};
          case Stage::kScanVerifier:
            return verifier.Add(event);
        }
        return {};
      });
  ALIQUOT_CHECK(scanned.has_value());
  return events;
}

struct Pass {
  std::string name;
  std::function<std::uint64_t()> run;
  std::vector<double> rates;      // Events per wall second, one per round.
  std::vector<double> cpu_rates;  // Events per CPU second, one per round.
};

// Each iteration is one round: every pass over the ledger once, the limit and the figure next to
// each other (their order alternating), so that a burst of load on this shared machine lands on
// both. Ratios are taken within a round, then the median over rounds is reported.
void VerifyBesideRawBench(benchmark::State& state) {
  Ledger& ledger = TheLedger();
  std::uint8_t sink = 0;
  std::vector<Pass> passes;
  passes.push_back({"raw", [&] { return RawScanSha256(ledger, sink); }, {}, {}});
  passes.push_back({"verify", [&] { return FullVerify(ledger); }, {}, {}});
  passes.push_back({"stage_0", [&] { return VerifyStage(ledger, Stage::kScan, sink); }, {}, {}});
  passes.push_back(
      {"stage_1", [&] { return VerifyStage(ledger, Stage::kScanHash, sink); }, {}, {}});
  passes.push_back(
      {"stage_2", [&] { return VerifyStage(ledger, Stage::kScanVerifier, sink); }, {}, {}});
  // One pass of each, unmeasured: the first read after the build competes with its write-back.
  for (Pass& pass : passes) (void)pass.run();
  std::int64_t round = 0;
  while (state.KeepRunning()) {
    for (std::size_t i = 0; i < passes.size(); ++i) {
      Pass& pass = passes[round % 2 == 0 ? i : passes.size() - 1 - i];
      const double cpu_began = ProcessCpuSeconds();
      const Clock::time_point began = Clock::now();
      const auto events = static_cast<double>(pass.run());
      pass.rates.push_back(events / Seconds(Clock::now() - began));
      pass.cpu_rates.push_back(events / (ProcessCpuSeconds() - cpu_began));
    }
    ++round;
  }
  benchmark::DoNotOptimize(sink);
  const Pass& raw = passes[0];
  for (const Pass& pass : passes) {
    std::vector<double> ratios;
    std::vector<double> cpu_ratios;
    for (std::size_t r = 0; r < pass.rates.size(); ++r) {
      ratios.push_back(pass.rates[r] / raw.rates[r]);
      cpu_ratios.push_back(pass.cpu_rates[r] / raw.cpu_rates[r]);
    }
    Record(pass.name, Median(pass.rates));
    Record(pass.name + "_cpu", Median(pass.cpu_rates));
    Record(pass.name + "_ratio", Median(ratios));
    Record(pass.name + "_cpu_ratio", Median(cpu_ratios));
    state.counters[pass.name + "/s"] = Median(pass.rates);
  }
  state.counters["verify_of_raw"] = *Figure("verify_ratio");
}

// ---------------------------------------------------------------------------------------------
// The summary.

// Every figure here is a rate in the thousands or more, so whole numbers suffice (append_bench's
// Number also prints tenths below 100).
std::string Number(std::optional<double> value, const char* unit) {
  if (!value) return "n/a";
  return ThousandsSeparated(*value) + " " + unit;
}

void PrintSummary() {
  const auto raw = Figure("raw");
  const auto raw_cpu = Figure("raw_cpu");
  const auto ratio = Figure("verify_ratio");
  std::vector<Line> lines;
  lines.push_back(
      {"raw sqlite3 scan + SHA-256 per row", Number(raw, "rows/s"), "-", "", "the limit", ""});
  std::string met = "n/a";
  if (ratio) met = *ratio >= 0.75 ? "yes" : "NO";
  lines.push_back({"LedgerService::Verify", Number(Figure("verify"), "events/s"),
                   "raw scan " + Number(raw, "rows/s"), Percent(ratio), ">= 75%", met});
  lines.push_back({"  per CPU second: raw scan + SHA-256", Number(raw_cpu, "rows/cpu-s"), "-", "",
                   "orientation", ""});
  lines.push_back({"  per CPU second: Verify", Number(Figure("verify_cpu"), "events/cpu-s"),
                   "raw scan " + Number(raw_cpu, "rows/cpu-s"), Percent(Figure("verify_cpu_ratio")),
                   "orientation", ""});
  const std::array<const char*, 3> stages{"  breakdown: Store::ScanEvents only",
                                          "  breakdown: + EventHasher (JSON + SHA-256)",
                                          "  breakdown: + LedgerVerifier::Add (Merkle)"};
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string name = "stage_" + std::to_string(i);
    lines.push_back({stages[i], Number(Figure(name + "_cpu"), "events/cpu-s"),
                     "raw scan " + Number(raw_cpu, "rows/cpu-s"),
                     Percent(Figure(name + "_cpu_ratio")), "-", ""});
  }
  lines.push_back({"  breakdown: + Projector::Apply and compare (= Verify)",
                   Number(Figure("verify_cpu"), "events/cpu-s"),
                   "raw scan " + Number(raw_cpu, "rows/cpu-s"), Percent(Figure("verify_cpu_ratio")),
                   "-", ""});
  if (the_ledger) {
    const Ledger& ledger = *the_ledger;
    std::printf("\nLedger: %llu events, %llu checkpoints, built in %.1f s (%s)\n",
                static_cast<unsigned long long>(ledger.events),
                static_cast<unsigned long long>(ledger.checkpoints), ledger.build_seconds,
                ledger.path.c_str());
  }
  std::printf("Summary (ratios within a round, medians over rounds and repetitions):\n");
  PrintTable(lines);
}

// Takes our own flags out of argv: --events=N sets the ledger's size (default 200000), --rounds=N
// how many rounds of passes over it are measured (default 5; raise it when profiling).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv,
               {{"--events=",
                 [](std::string_view value) {
                   events_wanted = std::stoll(std::string(value));
                   ALIQUOT_CHECK_MSG(events_wanted > 0, "--events must be positive");
                 }},
                {"--rounds=", [](std::string_view value) {
                   rounds = std::stoll(std::string(value));
                   ALIQUOT_CHECK_MSG(rounds > 0, "--rounds must be positive");
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

  benchmark::RegisterBenchmark("verify_beside_raw", VerifyBesideRawBench)
      ->Iterations(rounds)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_ledger.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
