// SPDX-License-Identifier: GPL-2.0-only
#include "sim/timer_floor.hpp"

#include <chrono>
#include <deque>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

namespace sim {

namespace {

using simgrid::kernel::timer::Timer;

// Think 1 us, hold 50 ns: a contended loop, like the models' hot locks.
constexpr double kThink = 1e-6;
constexpr double kHold = 50e-9;

struct Loop {
  int cpus = 0;
  std::uint64_t target = 0;
  std::uint64_t done = 0;
  std::uint64_t timers = 0;
  int holder = -1;
  std::deque<int> waiters;

  double now() const { return simgrid::s4u::Engine::get_clock(); }
  void think(int cpu, double at) {
    Timer::set(at, [this, cpu] {
      ++timers;
      acquire(cpu);
    });
  }
  void acquire(int cpu) {
    if (holder < 0) grant(cpu);
    else waiters.push_back(cpu);
  }
  void grant(int cpu) {
    holder = cpu;
    Timer::set(now() + kHold, [this, cpu] {
      ++timers;
      release(cpu);
    });
  }
  void release(int cpu) {
    holder = -1;
    if (++done >= target) return;
    if (!waiters.empty()) {
      int next = waiters.front();
      waiters.pop_front();
      grant(next);
    }
    think(cpu, now() + kThink);
  }
};

}  // namespace

TimerFloor measure_timer_floor(int cpus, std::uint64_t critical_sections) {
  int argc = 1;
  char name[] = "aiosim-floor";
  char* argv[] = {name, nullptr};
  simgrid::s4u::Engine engine(&argc, argv);
  auto* zone = simgrid::s4u::create_full_zone("floor");
  zone->create_host("cpu0", 1e9)->seal();
  zone->seal();
  Loop loop;
  loop.cpus = cpus;
  loop.target = critical_sections;
  for (int c = 0; c < cpus; ++c) loop.think(c, kThink * c / cpus);
  const auto t0 = std::chrono::steady_clock::now();
  engine.run();
  TimerFloor f;
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  f.timers = loop.timers;
  f.critical_sections = loop.done;
  return f;
}

}  // namespace sim
