#include "aliquot/core/clock.h"

#include <chrono>

namespace aliquot {

Timestamp SystemClock::Now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp::FromMicros(
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
}

}  // namespace aliquot
