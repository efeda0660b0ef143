// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A driver decides which context runs next. The timed driver runs them in
// simulated-time order on SimGrid's clock; the step driver lets an outside
// scheduler (the explorer, a test) pick the next context at every step. Model
// code is the same under both: it only ever suspends at steps.
#include "sim/context.hpp"
#include "sim/event.hpp"
#include "sim/time.hpp"

namespace sim {

class Machine;

class Driver {
 public:
  explicit Driver(Machine& m) : machine_(&m) {}
  virtual ~Driver() = default;
  Machine& machine() const { return *machine_; }

  virtual Time now() const = 0;
  // True when time means something (costs delay contexts); false under an
  // explorer, where only the order of steps matters.
  virtual bool timed() const = 0;
  // May `c` take its pending step right away, without another context going
  // first? (Timed: nothing else is due before c.local.) Asked at every step,
  // so it is one inline comparison with a time the driver keeps current.
  bool may_continue(const Context& c) const { return c.local < horizon_; }
  // The earliest pending event (nothing else can happen before it).
  Time horizon() const { return horizon_; }
  // `c` suspended before its pending step; run it again when its turn comes.
  virtual void yield(Context& c) = 0;
  // A context that was blocked, idle or preempted can run from c.local.
  virtual void make_runnable(Context& c) = 0;
  // Take a runnable context off the run queue (an IRQ preempted it).
  virtual void withdraw(Context& c) = 0;
  // Fire `e` at `at` (device timers). Drivers without time may refuse.
  virtual void schedule(Event& e, Time at) = 0;
  void cancel(Event& e) { ++e.generation_; }
  // End the run now (the workload reached its goal).
  virtual void stop() = 0;

 protected:
  // Steps before this time need no switch (the step driver: none do).
  Time horizon_ = kNever;

 private:
  Machine* machine_;
};

}  // namespace sim
