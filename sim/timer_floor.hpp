// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The engine floor: a closed lock loop of N CPUs driven directly by SimGrid
// kernel timers, with no model at all. Each CPU thinks, takes the lock (or
// queues for it), holds it, releases it to the next in line. Benchmarks
// report the model's events/s as a ratio to this, measured in the same run.
//
// It creates SimGrid's Engine: one per process, so call it once, before
// nothing else has.
#include <cstdint>

namespace sim {

struct TimerFloor {
  std::uint64_t timers = 0;             // timer callbacks run
  std::uint64_t critical_sections = 0;
  double wall_s = 0;
  double timers_per_s() const { return wall_s > 0 ? timers / wall_s : 0; }
};

TimerFloor measure_timer_floor(int cpus, std::uint64_t critical_sections);

}  // namespace sim
