#include "aliquot/app/group_commit.h"

#include <algorithm>
#include <string>

namespace aliquot::app {

Status ValidateAppendRequest(const AppendRequest& request) {
  if (request.events.empty()) return Unexpected(InvalidArgument("nothing to append", "events"));
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    if (auto valid = ledger::ValidateNewEvent(request.events[i]); !valid) {
      const Error& error = valid.error();
      return Unexpected(Error(error.Code(), error.Message(),
                              "events[" + std::to_string(i) + "]." + error.Field()));
    }
  }
  return {};
}

struct GroupCommit::Waiter {
  Member member;
  bool done = false;
  CondVar wake;
};

Result<std::vector<ledger::Event>> GroupCommit::Submit(const AppendRequest& request) {
  Waiter waiter;
  waiter.member.request = &request;
  mutex_.Lock();
  queue_.push_back(&waiter);
  while (!waiter.done) {
    if (leader_active_) {
      waiter.wake.Wait(mutex_);
      continue;
    }
    // Lead: take everyone queued so far (up to max_batch) into one transaction.
    leader_active_ = true;
    const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
    std::vector<Waiter*> batch(queue_.begin(), queue_.begin() + take);
    queue_.erase(queue_.begin(), queue_.begin() + take);
    mutex_.Unlock();
    std::vector<Member*> members;
    members.reserve(batch.size());
    for (Waiter* member : batch) members.push_back(&member->member);
    commit_(members);
    mutex_.Lock();
    for (Waiter* member : batch) {
      member->done = true;
      member->wake.NotifyOne();
    }
    leader_active_ = false;
    // Whoever queued during this commit is led by the first of them.
    if (!queue_.empty()) queue_.front()->wake.NotifyOne();
  }
  mutex_.Unlock();
  return std::move(waiter.member.result);
}

}  // namespace aliquot::app
