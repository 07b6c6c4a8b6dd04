// GroupCommit: concurrent appenders share one transaction and one sync (leader/follower). The
// first waiter commits everyone queued so far; the rest sleep until their fate is known, each on
// its own condition, so a commit wakes only the appenders it decided and the next leader. Both
// stores use it; what a commit does is theirs.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/core/mutex.h"

namespace aliquot::app {

// Checks an append request before it may join a batch, naming the field at fault
// ("events[2].stream.id"): kInvalidArgument.
Status ValidateAppendRequest(const AppendRequest& request);

class GroupCommit {
 public:
  // One request in a batch; the commit sets `result` (events sealed, or why refused).
  struct Member {
    const AppendRequest* request = nullptr;
    Result<std::vector<ledger::Event>> result = Unexpected(Internal("append was not committed"));
  };
  // Commits the batch, setting each member's result. Called by one leader at a time.
  using CommitFn = std::function<void(std::span<Member* const> batch)>;

  // `max_batch`: the most requests one commit takes.
  GroupCommit(std::size_t max_batch, CommitFn commit)
      : max_batch_(max_batch), commit_(std::move(commit)) {}

  // Queues `request` (already validated), leads commits while it waits, and returns its result.
  Result<std::vector<ledger::Event>> Submit(const AppendRequest& request);

 private:
  struct Waiter;

  const std::size_t max_batch_;
  const CommitFn commit_;
  Mutex mutex_;
  std::vector<Waiter*> queue_ GUARDED_BY(mutex_);
  bool leader_active_ GUARDED_BY(mutex_) = false;
};

}  // namespace aliquot::app
