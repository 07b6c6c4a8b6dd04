// What the benchmarks' setup shares: stopping at the first error, with what failed; building a
// dataset's ledger in large requests; and finding the projection tables and files they measure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/check.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"
#include "tests/support/fake_clock.h"

namespace aliquot::bench {

// The value of `result`; an error stops the benchmark, printing `what` and the error.
template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "%s: %s\n", what, result.error().Message().c_str());
    ALIQUOT_CHECK(false);
  }
  return std::move(*result);
}

// Stops the benchmark on an error, printing `what` and the error.
void MustSucceed(const Status& status, const char* what);

// Events per AppendRequest at most while building a dataset: one transaction each, as a bulk
// import would.
inline constexpr std::size_t kEventsPerRequest = 5000;

// Appends a dataset's events in large requests, each sealed at the time `clock` says when it is
// sent. The clock moves only between requests, so an event's sealed time is the instant it was
// made at.
class LedgerBuilder {
 public:
  LedgerBuilder(app::Store& store, testing::FakeClock& clock) : store_(store), clock_(clock) {}

  Timestamp Now() const { return clock_.Now(); }

  // Sends what was made before, then moves the clock to `t` (never back).
  void At(Timestamp t);

  // Queues `event`; sends the request once it holds kEventsPerRequest events.
  void Add(ledger::NewEvent event);

  // Sends what is queued, if anything.
  void Flush();

  // What was sent so far.
  std::int64_t Requests() const { return requests_; }
  std::int64_t Events() const { return events_; }

 private:
  app::Store& store_;
  testing::FakeClock& clock_;
  app::AppendRequest request_;
  std::int64_t requests_ = 0;
  std::int64_t events_ = 0;
};

// The projection table `name` of `projector`; stops the benchmark if there is none.
const app::TableSpec& TableNamed(const app::Projector& projector, std::string_view name);

// The index of `table`'s column `name`; stops the benchmark if there is none.
std::size_t ColumnOf(const app::TableSpec& table, std::string_view name);

// Megabytes of the SQLite file at `path` and of its WAL, if any.
double FileMegabytes(const std::string& path);

}  // namespace aliquot::bench
