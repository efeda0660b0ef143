// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Runs contexts in simulated-time order.
//
// Conservative lookahead keeps the hot path cheap: a context keeps running
// without a switch while its own clock is still earlier than every other
// pending event, because then nothing could have happened in between; it
// yields only when some other event is due first. Each access is therefore
// executed at its exact simulated time, in global time order (ties by the
// order of scheduling), and the outcome is the same as if every step were a
// separate event.
//
// The clock is SimGrid's when a SimgridClock drives run_epoch(); the driver
// also runs on its own (run()) for unit tests, with identical results.
#include <cstdint>
#include <functional>

#include "sim/driver.hpp"
#include "sim/event_queue.hpp"
#include "sim/run_queue.hpp"

namespace sim {

class TimedDriver final : public Driver {
 public:
  explicit TimedDriver(Machine& m);

  Time now() const override { return now_; }
  bool timed() const override { return true; }
  void yield(Context& c) override;
  void make_runnable(Context& c) override;
  void withdraw(Context& c) override;
  void schedule(Event& e, Time at) override {
    timers_.push(e, at, next_seq_++);
    note_push(at);
  }

  // Run every event due before `end` (exclusive) or until stop().
  void run_epoch(Time end);
  // Run until the queue drains, stop() is called, or `until` is reached.
  void run(Time until = kNever);
  void stop() override { stopped_ = true; }
  bool stopped() const { return stopped_; }
  Time next_event_time() const;

  // Engine events (resumptions and timer firings) executed so far.
  std::uint64_t events() const { return events_; }

 private:
  // Two queues merged by (time, seq): the contexts' resumptions (at most two
  // per CPU, a few at a time, popped most often) and everything else (a
  // device's timers, one per request in flight). The order is the same as
  // one heap's.
  RunQueue contexts_;
  EventQueue timers_;
  std::uint64_t next_seq_ = 0;
  // horizon_: the earliest entry of both.
  void note_push(Time t) {
    if (t < horizon_) horizon_ = t;
  }
  void push_context(Context& c, Time t);
  // The context being fired: its entry stays on top of contexts_ while it
  // runs, to be replaced in place if it yields (nullptr once it has).
  Event* running_ = nullptr;
  Time now_ = 0;
  Time epoch_end_ = kNever;
  bool stopped_ = false;
  std::uint64_t events_ = 0;
};

}  // namespace sim
