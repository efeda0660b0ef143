#include "sim/timed_driver.hpp"

#include <algorithm>

#include "sim/machine.hpp"

namespace sim {

TimedDriver::TimedDriver(Machine& m) : Driver(m) { m.set_driver(this); }

void TimedDriver::yield(Context& c) {
  c.state_ = ContextState::Runnable;
  if (c.preempted) {
    // It re-enabled IRQs and a handler took the CPU: it continues after.
    c.preempt_remaining = c.local > c.preempted_at ? c.local - c.preempted_at : 0;
    return;
  }
  push_context(c, c.local);
}

void TimedDriver::push_context(Context& c, Time t) {
  contexts_.push(c, t, next_seq_++);
  note_push(t);
}

void TimedDriver::make_runnable(Context& c) {
  c.state_ = ContextState::Runnable;
  if (c.local < now_) c.local = now_;
  push_context(c, c.local);
}

void TimedDriver::withdraw(Context& c) { ++c.generation_; }

Time TimedDriver::next_event_time() const { return horizon_; }

void TimedDriver::run_epoch(Time end) {
  epoch_end_ = end;
  while (!stopped_ && horizon_ < end) {
    EventQueue& q = contexts_.before_top_of(timers_) ? contexts_ : timers_;
    EventQueue::Entry e = q.pop();
    horizon_ = std::min(contexts_.top_time(), timers_.top_time());
    if (e.generation != e.event->generation_) continue;  // withdrawn
    now_ = e.time;
    ++events_;
    e.event->fire();
  }
  epoch_end_ = kNever;
}

void TimedDriver::run(Time until) {
  run_epoch(until);
  if (!stopped_ && until != kNever && now_ < until) now_ = until;
}

}  // namespace sim
