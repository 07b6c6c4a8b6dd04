// Clock: the port through which everything reads the time, so that tests run on a FakeClock
// (tests/support) and never on the wall clock.
#pragma once

#include "aliquot/core/timestamp.h"

namespace aliquot {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current UTC instant.
  virtual Timestamp Now() = 0;
};

// The system's real-time clock. The only place the wall clock is read.
class SystemClock final : public Clock {
 public:
  Timestamp Now() override;
};

}  // namespace aliquot
