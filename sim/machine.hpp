// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The simulated machine: its CPUs, their topology and the coherence model.
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/coherence.hpp"
#include "sim/cpu.hpp"
#include "sim/topology.hpp"

namespace sim {

class Driver;
class Observer;

class Machine {
 public:
  Machine(const Topology& topo, const CoherenceCosts& costs);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  ~Machine();

  int cpus() const { return static_cast<int>(cpus_.size()); }
  // Checked, and inlined: the explorer asks for a CPU several times per
  // transition (vector::at kept this out of line).
  Cpu& cpu(int i) {
    if (static_cast<std::size_t>(i) >= cpus_.size()) [[unlikely]]
      no_such_cpu(i);
    return *cpus_[static_cast<std::size_t>(i)];
  }
  const Cpu& cpu(int i) const { return const_cast<Machine*>(this)->cpu(i); }
  [[noreturn]] void no_such_cpu(int i) const;
  const Topology& topology() const { return topo_; }
  Coherence& coherence() { return coherence_; }

  Driver& driver() const { return *driver_; }
  Driver* const* driver_slot() const { return &driver_; }
  void set_driver(Driver* d) { driver_ = d; }

  // Statistics count from here on (warm-up exclusion).
  Time stats_start() const { return stats_start_; }
  void set_stats_start(Time t) {
    stats_start_ = t;
    coherence_.set_stats_start(t);
  }

  // How long try_to_wake_up takes to get a sleeping task running again.
  Time wakeup_latency = 2 * kUs;

  Observer* observer = nullptr;

  // The run's seed, from which every lock and source derives its stream.
  std::uint64_t seed = 1;

 private:
  Topology topo_;
  Coherence coherence_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  Driver* driver_ = nullptr;
  Time stats_start_ = 0;
};

}  // namespace sim
