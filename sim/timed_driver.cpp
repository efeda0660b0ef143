#include "sim/timed_driver.hpp"

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
  queue_.push(c, c.local);
}

void TimedDriver::make_runnable(Context& c) {
  c.state_ = ContextState::Runnable;
  if (c.local < now_) c.local = now_;
  queue_.push(c, c.local);
}

void TimedDriver::withdraw(Context& c) { ++c.generation_; }

Time TimedDriver::next_event_time() const { return queue_.top_time(); }

void TimedDriver::run_epoch(Time end) {
  epoch_end_ = end;
  while (!stopped_ && !queue_.empty() && queue_.top_time() < end) {
    EventQueue::Entry e = queue_.pop();
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
