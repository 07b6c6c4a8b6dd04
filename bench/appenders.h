// What both append benchmarks drive their stores with: the event a terminal on the floor records,
// and the appender threads that send it, one event per request, each waiting until its append is
// durable before it sends the next.
#pragma once

#include <atomic>
#include <barrier>
#include <cstdint>
#include <thread>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/ledger/event.h"

namespace aliquot::bench {

// Concurrent appenders write to this many batches; the raw limits rotate their rows over as many
// streams, so that both pay for the same interleaving in the stream index.
inline constexpr int kStreams = 64;

// The event a terminal on the shop floor records during batch execution, on stream batch/B-000nn
// (17 + stream): an in-process measurement, about 200 bytes of canonical payload.
ledger::NewEvent MeasurementEvent(int stream);

// The appender threads: each appends one measurement at a time to its own batch, as terminals on
// the floor do, and waits for it to be durable before the next. Driven in rounds. A failed append
// stops the process: the benchmark has nothing to report without it.
class AppenderPool {
 public:
  AppenderPool(app::Store& store, int threads, std::int64_t appends_per_round);
  ~AppenderPool();
  AppenderPool(const AppenderPool&) = delete;
  AppenderPool& operator=(const AppenderPool&) = delete;

  // Every thread appends appends_per_round events; returns when all of them are durable.
  void RunRound();

  // Microseconds per append, over all threads; call between rounds.
  std::vector<double> Latencies() const;

 private:
  void Work(int index);

  app::Store& store_;
  const std::int64_t appends_per_round_;
  std::barrier<> start_;
  std::barrier<> done_;
  std::atomic<bool> stop_ = false;
  // Each thread writes only its own vector, and only inside a round.
  std::vector<std::vector<double>> latencies_;
  std::vector<std::thread> threads_;
};

}  // namespace aliquot::bench
