#include "bench/appenders.h"

#include <chrono>
#include <cstdio>

#include "bench/report.h"

#include "aliquot/core/check.h"

namespace aliquot::bench {

ledger::NewEvent MeasurementEvent(int stream) {
  char batch[16];
  std::snprintf(batch, sizeof batch, "B-%05d", 17 + stream);
  ledger::NewEvent event;
  event.stream = {"batch", batch};
  event.event_type = "batch.entry_recorded";
  event.payload.Set("parameter", "granulation_endpoint_moisture");
  event.payload.Set("value", 2.37);
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

AppenderPool::AppenderPool(app::Store& store, int threads, std::int64_t appends_per_round)
    : store_(store),
      appends_per_round_(appends_per_round),
      start_(threads + 1),
      done_(threads + 1),
      latencies_(static_cast<std::size_t>(threads)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { Work(i); });
}

AppenderPool::~AppenderPool() {
  stop_ = true;
  start_.arrive_and_wait();
  for (std::thread& thread : threads_) thread.join();
}

void AppenderPool::RunRound() {
  start_.arrive_and_wait();
  done_.arrive_and_wait();
}

std::vector<double> AppenderPool::Latencies() const {
  std::vector<double> all;
  for (const auto& samples : latencies_) all.insert(all.end(), samples.begin(), samples.end());
  return all;
}

void AppenderPool::Work(int index) {
  app::AppendRequest request;
  request.events.push_back(MeasurementEvent(index % kStreams));
  std::vector<double>& latencies = latencies_[static_cast<std::size_t>(index)];
  for (;;) {
    start_.arrive_and_wait();
    if (stop_) return;
    for (std::int64_t i = 0; i < appends_per_round_; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto appended = store_.Append(request);
      if (!appended) {
        std::fprintf(stderr, "append failed: %s\n", appended.error().Message().c_str());
        ALIQUOT_CHECK(false);
      }
      latencies.push_back(Micros(std::chrono::steady_clock::now() - start));
    }
    done_.arrive_and_wait();
  }
}

}  // namespace aliquot::bench
