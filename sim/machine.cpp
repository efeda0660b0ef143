// SPDX-License-Identifier: GPL-2.0-only
#include "sim/machine.hpp"

#include <stdexcept>
#include <string>

namespace sim {

Machine::Machine(const Topology& topo, const CoherenceCosts& costs) : topo_(topo), coherence_(topo, costs) {
  coherence_.set_observer_slot(&observer);
  if (topo.cpus() <= 0) throw std::invalid_argument("a machine needs at least one CPU");
  cpus_.reserve(topo.cpus());
  for (int i = 0; i < topo.cpus(); ++i) cpus_.push_back(std::make_unique<Cpu>(*this, i));
}

Machine::~Machine() = default;

void Machine::no_such_cpu(int i) const {
  throw std::out_of_range("no cpu " + std::to_string(i) + " in a machine of " + std::to_string(cpus()));
}

}  // namespace sim
