// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Sleeping and waking: wait_queue_head_t, prepare_to_wait / schedule /
// finish_wait, wake_up, and the task states that make the check-then-sleep
// sequence free of lost wake-ups (kernel/sched/wait.c, v3.9).
#include <boost/intrusive/list.hpp>

#include "sim/access.hpp"
#include "sim/spinlock.hpp"
#include "sim/task.hpp"

namespace sim {

class WaitQueue {
 public:
  WaitQueue(std::string name, CacheLine& line, LockKind lock_kind, Machine& m);

  Spinlock lock;           // wait_queue_head_t.lock
  Shared<int> task_list;   // number of entries: what waitqueue_active() reads
  // The entries (under lock), and those not yet woken: wake_up visits every
  // entry in the kernel; the model charges that scan but only acts on the
  // pending ones, so a herd of sleepers costs the simulator O(woken).
  boost::intrusive::list<Context, boost::intrusive::member_hook<Context, Context::WaitHook, &Context::wq_entry>> entries;
  boost::intrusive::list<Context, boost::intrusive::member_hook<Context, Context::WaitHook, &Context::wq_pending>> pending;
  ~WaitQueue() {
    entries.clear();
    pending.clear();
  }
};

// Task states (TASK_RUNNING / TASK_INTERRUPTIBLE), per context.
bool task_is_running(const Context& c);

// Add the current context to `q` and mark it TASK_INTERRUPTIBLE.
Task<void> prepare_to_wait(WaitQueue& q);
// Remove it again and mark it TASK_RUNNING.
Task<void> finish_wait(WaitQueue& q);
// waitqueue_active(): a lockless peek at the list.
inline auto waitqueue_active(WaitQueue& q) { return READ_ONCE(q.task_list); }
// wake_up(): every sleeper on `q` becomes runnable after the wake-up latency.
Task<void> wake_up(WaitQueue& q);

// schedule(): sleep unless already woken since prepare_to_wait.
struct ScheduleOp : detail::StepAwaiter, Gate {
  ScheduleOp();
  bool await_ready() {
    gate = this;
    return detail::StepAwaiter::await_ready();
  }
  bool pass(Context& c) override;
  bool can_pass(const Context& c) const override { return task_is_running(c); }
  void await_resume();
  Time slept_since = -1;
};
inline ScheduleOp schedule() { return ScheduleOp{}; }

// Sleep for `t` with the CPU idle (nanosleep in user space, a timer wait).
struct SleepOp {
  Time duration;
  bool await_ready() const { return duration <= 0; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
};
inline SleepOp sleep_for(Time t) { return SleepOp{t}; }

}  // namespace sim
