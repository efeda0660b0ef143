// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Puts a TimedDriver on SimGrid's clock.
//
// With `cpu_hosts`, every simulated CPU becomes a SimGrid host (one zone per
// socket), so SimGrid's tracing sees the machine; without, the platform is a
// single host (1024 hosts cost SimGrid about 2 MB and serve only Paje
// traces). SimGrid kernel
// timers cost about 0.5 us each, far more than one of our steps, so the
// driver's own event queue orders the steps and SimGrid's clock is advanced
// once per `quantum` of simulated time (quantum 0: at every distinct event
// time). Results do not depend on the quantum: the order of steps is the
// driver's alone.
//
// SimGrid's Engine is a process-wide singleton: one SimgridClock, hence one
// simulation, per process.
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim {

class Machine;
class TimedDriver;

class SimgridClock {
 public:
  // `args` are passed to SimGrid (e.g. "--cfg=tracing:yes").
  SimgridClock(Machine& m, TimedDriver& d, Time quantum, const std::vector<std::string>& args = {},
               bool cpu_hosts = false);
  ~SimgridClock();
  SimgridClock(const SimgridClock&) = delete;
  SimgridClock& operator=(const SimgridClock&) = delete;

  // Run until the driver stops, its queue drains, or `until`.
  void run(Time until = kNever);
  // SimGrid's clock, in our units.
  Time simgrid_now() const;
  std::uint64_t timers() const { return timers_; }

 private:
  void arm(Time at);
  void tick();

  Machine& machine_;
  TimedDriver& driver_;
  Time quantum_;
  Time until_ = kNever;
  std::uint64_t timers_ = 0;
};

}  // namespace sim
