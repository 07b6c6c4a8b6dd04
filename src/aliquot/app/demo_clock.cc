#include "aliquot/app/demo_clock.h"

#include <algorithm>

#include "aliquot/core/check.h"

namespace aliquot::app {

DemoClock::DemoClock(Clock& real, Timestamp start) : real_(real), set_(start) {
  ALIQUOT_CHECK(start <= real_.Now());
}

Timestamp DemoClock::Now() {
  MutexLock lock(mutex_);
  if (!released_) return set_;
  return std::max(real_.Now(), set_);
}

Timestamp DemoClock::RealNow() { return real_.Now(); }

void DemoClock::SetTo(Timestamp t) {
  MutexLock lock(mutex_);
  ALIQUOT_CHECK(!released_);
  ALIQUOT_CHECK(t >= set_);
  ALIQUOT_CHECK(t <= real_.Now());
  set_ = t;
}

void DemoClock::Release() {
  MutexLock lock(mutex_);
  released_ = true;
}

bool DemoClock::Released() {
  MutexLock lock(mutex_);
  return released_;
}

}  // namespace aliquot::app
