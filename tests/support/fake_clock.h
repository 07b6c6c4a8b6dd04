// FakeClock: a Clock that moves only when a test moves it.
#pragma once

#include <atomic>
#include <cstdint>

#include "aliquot/core/clock.h"

namespace aliquot::testing {

class FakeClock final : public Clock {
 public:
  // 2026-01-15T08:00:00Z: a working morning, so printed times read naturally in failures.
  static constexpr std::int64_t kDefaultStart = 1768464000LL * kMicrosPerSecond;

  explicit FakeClock(Timestamp start = Timestamp::FromMicros(kDefaultStart))
      : now_(start.Micros()) {}

  Timestamp Now() override { return Timestamp::FromMicros(now_.load()); }
  void Advance(std::int64_t micros) { now_ += micros; }
  void Set(Timestamp t) { now_ = t.Micros(); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace aliquot::testing
