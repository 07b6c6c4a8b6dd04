// crash_appender: the child that tests/crash/crash_test.cc kills with SIGKILL. It opens a
// SqliteStore, or a PgStore when DATABASE is a postgresql:// URL, and appends from several threads
// at once, so that group commits are in flight at any instant, and after each acknowledged Append
// writes one line per event to stdout:
//
//     <seq> <hash hex>
//
// The line is written with one write(2) after Append returned, so the parent knows exactly which
// events the store acknowledged before the kill; a line cut short by the kill is no
// acknowledgement. Every request is one unit of 1-3 events (payload: run, thread, counter, unit,
// index, size), so the parent can also check that no unit was stored in part. Any failure to
// append ends it at once with exit code 3 and the error on stderr. Left alone, it stops after
// SECONDS and exits 0. Several may append to one PostgreSQL database at once, each with its own
// RUN; tests/api uses it that way as load beside servers.
//
//     crash_appender DATABASE RUN [THREADS] [SECONDS]

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projectors.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/json.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "aliquot/storage/sqlite/sqlite_store.h"

namespace {

using aliquot::Json;

std::mutex output_mutex;

// Writes all of `text` to stdout, unbuffered: once write(2) returns, the line is the parent's
// even if the next instruction is the kill.
void WriteAcknowledgement(const std::string& text) {
  const std::lock_guard<std::mutex> lock(output_mutex);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t written = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) std::_Exit(4);  // The parent is gone; nothing is worth reporting.
    done += static_cast<std::size_t>(written);
  }
}

[[noreturn]] void Die(const std::string& message) {
  {
    const std::lock_guard<std::mutex> lock(output_mutex);
    std::cerr << "crash_appender: " << message << std::endl;
  }
  std::_Exit(3);
}

void AppendUntil(aliquot::app::Store& store, std::int64_t run, std::int64_t thread,
                 std::chrono::steady_clock::time_point until) {
  const aliquot::ledger::StreamRef stream{
      "crashtest", "run-" + std::to_string(run) + "-thread-" + std::to_string(thread)};
  std::int64_t counter = 0;
  for (std::int64_t unit = 0; std::chrono::steady_clock::now() < until; ++unit) {
    aliquot::app::AppendRequest request;
    // Sizes 1, 2, 3 in turn, shifted per thread so that batches mix them.
    const std::int64_t size = 1 + (unit + thread) % 3;
    for (std::int64_t index = 0; index < size; ++index) {
      aliquot::ledger::NewEvent event;
      event.stream = stream;
      event.event_type = "crashtest.appended";
      event.payload.Set("run", Json(run));
      event.payload.Set("thread", Json(thread));
      event.payload.Set("counter", Json(counter++));
      event.payload.Set("unit", Json(unit));
      event.payload.Set("index", Json(index));
      event.payload.Set("size", Json(size));
      event.actor = {"crash-appender", "Crash Appender"};
      event.terminal = "crash_appender";
      request.events.push_back(std::move(event));
    }
    auto appended = store.Append(request);
    if (!appended) Die("append failed: " + appended.error().ToString());
    std::string lines;
    for (const aliquot::ledger::Event& event : *appended) {
      lines += std::to_string(event.seq) + " " + event.hash.Hex() + "\n";
    }
    WriteAcknowledgement(lines);
  }
}

aliquot::Result<std::unique_ptr<aliquot::app::Store>> OpenStore(
    const std::string& database, aliquot::Clock& clock, const aliquot::app::Projector& projector) {
  if (database.starts_with("postgresql://") || database.starts_with("postgres://")) {
    aliquot::storage::PgStoreOptions options;
    options.url = database;
    auto store = aliquot::storage::PgStore::Open(options, clock, projector);
    if (!store) return aliquot::Unexpected(store.error());
    return std::unique_ptr<aliquot::app::Store>(std::move(*store));
  }
  auto store = aliquot::storage::SqliteStore::Open(
      {database, aliquot::storage::OpenMode::kReadWriteCreate}, clock, projector);
  if (!store) return aliquot::Unexpected(store.error());
  return std::unique_ptr<aliquot::app::Store>(std::move(*store));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: crash_appender DATABASE|postgresql://... RUN [THREADS] [SECONDS]\n";
    return 2;
  }
  const std::string path = argv[1];
  const std::int64_t run = std::atoll(argv[2]);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  // A bound, should the parent never kill us.
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 60;
  if (threads < 1 || threads > 64 || seconds < 1) {
    std::cerr << "crash_appender: THREADS must be 1-64 and SECONDS at least 1\n";
    return 2;
  }

  aliquot::SystemClock clock;
  const auto projector = aliquot::app::MakeAllProjectors();
  auto store = OpenStore(path, clock, *projector);
  if (!store) Die("cannot open the store: " + store.error().ToString());

  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int thread = 0; thread < threads; ++thread) {
    workers.emplace_back(
        [&store, run, thread, until] { AppendUntil(**store, run, thread, until); });
  }
  for (std::thread& worker : workers) worker.join();
  return 0;
}
