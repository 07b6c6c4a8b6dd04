// DemoClock: the clock the demo site is recorded on (docs/demo.md). It stands at the instant the
// demo set, so that a history of weeks (batches with their hold times, training, releases) can be
// recorded in the order it happened; once released it is the real clock again. A real site's
// server never runs on it (AL-01: every event carries the server's own time); `aliquot demo` is
// the only place it exists.
#pragma once

#include "aliquot/core/clock.h"
#include "aliquot/core/mutex.h"
#include "aliquot/core/thread_annotations.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::app {

class DemoClock final : public Clock {
 public:
  // Stands at `start`, which may not lie after `real`'s now (ALIQUOT_CHECK).
  DemoClock(Clock& real, Timestamp start);

  // The instant set; once released, the real clock's now, never earlier than the last instant set.
  Timestamp Now() override;
  // The real clock's now, whatever was set.
  Timestamp RealNow();

  // Moves to `t`: never back, never past the real clock's now, never once released (each an
  // ALIQUOT_CHECK: the demo's timeline is its own invariant).
  void SetTo(Timestamp t);
  // From now on, the real clock.
  void Release();
  bool Released();

 private:
  Clock& real_;
  Mutex mutex_;
  Timestamp set_ GUARDED_BY(mutex_);
  bool released_ GUARDED_BY(mutex_) = false;
};

}  // namespace aliquot::app
