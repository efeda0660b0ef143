// SPDX-License-Identifier: GPL-2.0-only
#include "sim/timed_driver.hpp"

#include <algorithm>

#include "sim/machine.hpp"

namespace sim {

TimedDriver::TimedDriver(Machine& m) : Driver(m) { m.set_driver(this); }

// Inlined into yield(), which runs at nearly every event.
[[gnu::always_inline]] inline void TimedDriver::push_context(Context& c, Time t) {
  if (&c == running_) {
    // Nearly every yield: the context that was fired is due again.
    contexts_.replace_top(c, t, next_seq_++);
    running_ = nullptr;
  } else {
    contexts_.push(c, t, next_seq_++);
  }
  note_push(t);
}

void TimedDriver::yield(Context& c) {
  c.state_ = ContextState::Runnable;
  if (c.preempted) {
    // It re-enabled IRQs and a handler took the CPU: it continues after.
    c.preempt_remaining = c.local > c.preempted_at ? c.local - c.preempted_at : 0;
    return;
  }
  push_context(c, c.local);
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
    if (contexts_.top_key() < timers_.top_key()) {
      // A context: it runs with its entry still on top (nothing scheduled
      // meanwhile can go before it), and usually yields into that slot.
      const QueueEntry& top = contexts_.top();
      Event* ev = top.event;
      running_ = ev;
      if (top.generation == ev->generation_) {
        now_ = top.time();
        horizon_ = std::min(contexts_.second_time(), timers_.top_time());
        ++events_;
        ev->fire();
      }
      if (running_) contexts_.pop();  // withdrawn, or it blocked or finished
      running_ = nullptr;
    } else {
      QueueEntry e = timers_.pop();
      if (e.generation == e.event->generation_) {
        now_ = e.time();
        horizon_ = std::min(contexts_.top_time(), timers_.top_time());
        ++events_;
        e.event->fire();
      }
    }
    horizon_ = std::min(contexts_.top_time(), timers_.top_time());
  }
  epoch_end_ = kNever;
}

void TimedDriver::run(Time until) {
  run_epoch(until);
  if (!stopped_ && until != kNever && now_ < until) now_ = until;
}

}  // namespace sim
