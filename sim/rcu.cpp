// SPDX-License-Identifier: GPL-2.0-only
#include "sim/rcu.hpp"

#include <algorithm>
#include <stdexcept>

namespace sim {

void Rcu::reserve(std::size_t contexts) {
  readers_.reserve(contexts);
  gps_.reserve(contexts);
  parked_.reserve(contexts);
}

Rcu::~Rcu() = default;

bool Rcu::in_read_section(const Context& c) const {
  return std::any_of(readers_.begin(), readers_.end(), [&](const Reader& r) { return r.ctx == &c; });
}

bool Rcu::waits(std::uint64_t gp) const {
  return std::any_of(readers_.begin(), readers_.end(), [&](const Reader& r) { return r.began <= gp; });
}

int Rcu::lock(const Context& c) {
  for (Reader& r : readers_)
    if (r.ctx == &c) return r.nesting++;
  readers_.push_back({&c, 1, ++sections_});
  return 0;
}

Rcu::Unlocked Rcu::unlock(const Context& c) {
  auto it = std::find_if(readers_.begin(), readers_.end(), [&](const Reader& r) { return r.ctx == &c; });
  if (it == readers_.end()) throw std::logic_error("rcu_read_unlock() outside a read-side section in " + c.name());
  Unlocked u{it->nesting, false};
  if (--it->nesting > 0) return u;
  const std::uint64_t began = it->began;
  readers_.erase(it);
  u.waited_for = std::any_of(gps_.begin(), gps_.end(), [&](std::uint64_t gp) { return began <= gp; }) ||
                 std::any_of(callbacks_.begin(), callbacks_.end(), [&](const auto& cb) { return began <= cb->gp; });
  if (u.waited_for) grace_periods_advanced(c.local);
  return u;
}

std::uint64_t Rcu::start_grace_period() { return sections_; }

void Rcu::done_waiting(std::uint64_t gp) {
  auto it = std::find(gps_.begin(), gps_.end(), gp);
  if (it != gps_.end()) gps_.erase(it);
}

// A section ended: wake the synchronize_rcu() callers and run the callbacks
// whose grace period is now over. A caller woken here goes on no earlier than
// the reader that let it.
void Rcu::grace_periods_advanced(Time now) {
  for (std::size_t i = 0; i < parked_.size();) {
    if (waits(parked_[i].gp)) {
      ++i;
      continue;
    }
    Context& c = *parked_[i].ctx;
    parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
    if (c.local < now) c.local = now;
    c.driver().make_runnable(c);
  }
  run_ready_callbacks();
}

void Rcu::queue_callback(std::uint64_t gp, std::function<void()> fn, Time due) {
  auto cb = std::make_unique<Callback>();
  cb->rcu = this;
  cb->gp = gp;
  cb->fn = std::move(fn);
  Callback& ref = *cb;
  callbacks_.push_back(std::move(cb));
  Driver& d = current().driver();
  if (d.timed()) d.schedule(ref, due);
  else ref.time_passed = true;  // no clock: only the readers count
  run_ready_callbacks();
}

void Rcu::Callback::fire() {
  time_passed = true;
  rcu->run_ready_callbacks();
}

void Rcu::run_ready_callbacks() {
  for (std::size_t i = 0; i < callbacks_.size();) {
    Callback& cb = *callbacks_[i];
    if (!cb.time_passed || waits(cb.gp)) {
      ++i;
      continue;
    }
    std::unique_ptr<Callback> done = std::move(callbacks_[i]);
    callbacks_.erase(callbacks_.begin() + static_cast<std::ptrdiff_t>(i));
    done->fn();
    i = 0;  // a callback may have queued or ended others
  }
}

void rcu_read_lock(Rcu& rcu) {
  const int nesting = rcu.lock(current());
  detail::annotate(Step{StepKind::RcuReadLock, &rcu, nullptr, "rcu_read_lock"}, nesting, nesting + 1);
}

void rcu_read_unlock(Rcu& rcu) {
  const Rcu::Unlocked u = rcu.unlock(current());
  detail::annotate(Step{StepKind::RcuReadUnlock, &rcu, nullptr, "rcu_read_unlock"}, u.nesting_before, u.waited_for ? 1 : 0);
}

void call_rcu(Rcu& rcu, Time grace_period, std::function<void()> fn) {
  const std::uint64_t gp = rcu.start_grace_period();
  detail::annotate(Step{StepKind::CallRcu, &rcu, nullptr, "call_rcu"}, rcu.readers(), 0);
  rcu.queue_callback(gp, std::move(fn), current().local + grace_period);
}

SynchronizeRcuOp::SynchronizeRcuOp(Rcu& r, Time g)
    : detail::StepAwaiter{Step{StepKind::GracePeriodEnd, &r, nullptr, "synchronize_rcu"}}, rcu(&r), grace(g) {}

// The call: the grace period starts here, in the transition that reaches it.
bool SynchronizeRcuOp::await_ready() {
  gp = rcu->start_grace_period();
  rcu->waiting(gp);
  detail::annotate(Step{StepKind::SynchronizeRcu, rcu, nullptr, "synchronize_rcu"}, rcu->readers(), 0);
  // Timed, with no grace period to sit out and no reader to wait for: it
  // returns at once, as a zero-length sleep does.
  Context& c = current();
  if (c.driver().timed() && grace <= 0 && !rcu->waits(gp)) {
    rcu->done_waiting(gp);
    immediate = true;
    return true;
  }
  return false;
}

// The CPU idles for the grace period (a sleep of that length), then the gate
// holds the caller while a reader it waits for is still inside. Under the
// step driver this is the step the explorer chooses: enabled once no such
// reader is left.
void SynchronizeRcuOp::await_suspend(std::coroutine_handle<> h) {
  Context& c = current();
  c.resume_point = h;
  c.pending = step;
  c.cpu().set_task_activity(Activity::Idle, c.local);
  c.local += grace;
  c.gate = this;
  c.driver().yield(c);
}

bool SynchronizeRcuOp::pass(Context& c) {
  if (!rcu->waits(gp)) return true;
  c.state_ = ContextState::Blocked;
  rcu->park(c, gp);
  return false;
}

void SynchronizeRcuOp::await_resume() {
  Context& c = current();
  if (immediate) return;
  c.cpu().set_task_activity(Activity::Task, c.local);
  rcu->done_waiting(gp);
  detail::annotate(step, 0, 0);
}

}  // namespace sim
