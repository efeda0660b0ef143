// SPDX-License-Identifier: GPL-2.0-only
#include "sim/semaphore.hpp"

namespace sim {

void Semaphore::WaitOp::await_suspend(std::coroutine_handle<> h) {
  Context& c = current();
  c.resume_point = h;
  c.gate = nullptr;
  c.state_ = ContextState::Blocked;
  c.cpu().set_task_activity(Activity::Idle, c.local);
  sem->waiters_.push_back(&c);
}

void Semaphore::WaitOp::await_resume() {
  Context& c = current();
  c.cpu().set_task_activity(Activity::Task, c.local);
}

void Semaphore::post(Time at) {
  if (waiters_.empty()) {
    ++count_;
    return;
  }
  Context* c = waiters_.front();
  waiters_.pop_front();
  Machine& m = c->cpu().machine();
  Time when = at + (m.driver().timed() ? m.wakeup_latency : 0);
  if (c->local < when) c->local = when;
  if (c->preempted) {
    c->wake_deferred = true;
    return;
  }
  m.driver().make_runnable(*c);
}

}  // namespace sim
