// SPDX-License-Identifier: GPL-2.0-only
#include "sim/waitqueue.hpp"

#include <algorithm>

namespace sim {

bool task_is_running(const Context& c) { return !c.interruptible; }

WaitQueue::WaitQueue(std::string name, CacheLine& line, LockKind lock_kind, Machine& m)
    : lock(name + ".lock", line, lock_kind, m), task_list(line, "task_list") {}

Task<void> prepare_to_wait(WaitQueue& q) {
  KernelFunction fn{"prepare_to_wait"};
  Context& self = current();
  auto flags = co_await spin_lock_irqsave(q.lock);
  if (!self.wq_entry.is_linked()) {
    q.entries.push_back(self);
    co_await WRITE_ONCE(q.task_list, static_cast<int>(q.entries.size()));
  }
  if (!self.wq_pending.is_linked()) q.pending.push_back(self);
  self.interruptible = true;
  ++self.task_state_accesses;
  co_await spin_unlock_irqrestore(q.lock, flags);
}

Task<void> finish_wait(WaitQueue& q) {
  KernelFunction fn{"finish_wait"};
  Context& self = current();
  self.interruptible = false;
  ++self.task_state_accesses;
  auto flags = co_await spin_lock_irqsave(q.lock);
  if (self.wq_pending.is_linked()) q.pending.erase(q.pending.iterator_to(self));
  if (self.wq_entry.is_linked()) {
    q.entries.erase(q.entries.iterator_to(self));
    co_await WRITE_ONCE(q.task_list, static_cast<int>(q.entries.size()));
  }
  co_await spin_unlock_irqrestore(q.lock, flags);
}

// try_to_wake_up(): TASK_RUNNING now, on a CPU after the wake-up latency if
// it had gone to sleep.
static void try_to_wake_up(Context& t, Time at) {
  ++t.task_state_accesses;  // reads p->state even when it finds TASK_RUNNING
  if (!t.interruptible) return;
  t.interruptible = false;
  if (!t.in_schedule) return;  // not asleep yet: its schedule() will not sleep
  t.in_schedule = false;
  Machine& m = t.cpu().machine();
  Time when = at + (m.driver().timed() ? m.wakeup_latency : 0);
  if (t.local < when) t.local = when;
  if (t.preempted) {
    t.wake_deferred = true;
    return;
  }
  m.driver().make_runnable(t);
}

// Visiting one wait-queue entry in __wake_up_common (an L1/L2 hit each).
constexpr Time kWakeScanPerEntry = 2 * kNs;

Task<void> wake_up(WaitQueue& q) {
  KernelFunction fn{"__wake_up"};
  auto flags = co_await spin_lock_irqsave(q.lock);
  // __wake_up_common walks every entry; a woken one returns at once.
  cpu_work(static_cast<Time>(q.entries.size()) * kWakeScanPerEntry);
  while (!q.pending.empty()) {
    Context& t = q.pending.front();
    q.pending.pop_front();
    try_to_wake_up(t, current().local);
  }
  co_await spin_unlock_irqrestore(q.lock, flags);
}

ScheduleOp::ScheduleOp() : detail::StepAwaiter{Step{StepKind::Schedule, nullptr, nullptr, "schedule"}} {}

bool ScheduleOp::pass(Context& c) {
  if (task_is_running(c)) return true;
  c.state_ = ContextState::Blocked;
  c.in_schedule = true;
  ++c.task_state_accesses;
  slept_since = c.local;
  c.cpu().set_task_activity(Activity::Idle, c.local);
  return false;
}

void ScheduleOp::await_resume() {
  Context& c = current();
  if (slept_since >= 0) c.cpu().set_task_activity(Activity::Task, c.local);
  record(slept_since >= 0 ? slept_since : c.local, 0, 0);
}

void SleepOp::await_suspend(std::coroutine_handle<> h) {
  Context& c = current();
  c.resume_point = h;
  c.cpu().set_task_activity(Activity::Idle, c.local);
  c.local += duration;
  c.gate = nullptr;
  c.cpu().machine().driver().yield(c);
}

void SleepOp::await_resume() {
  Context& c = current();
  c.cpu().set_task_activity(Activity::Task, c.local);
}

}  // namespace sim
