// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Machine presets: what each coherence operation costs, by the state the line
// is in and how far away its holder is. Every number is in nanoseconds and
// every one can be overridden from the config (`machine.cost.<key>`).
#include <array>
#include <map>
#include <string>
#include <vector>

#include "sim/topology.hpp"

namespace sim {

// Cost of one access, indexed by Distance to the farthest CPU that must
// answer (Self = hit in this CPU's own cache).
using CostRow = std::array<double, kDistances>;

struct CoherenceCosts {
  CostRow load_modified{};   // load, line Modified in another cache
  CostRow load_shared{};     // load, line Shared elsewhere (not here)
  CostRow store_modified{};  // store, line Modified elsewhere
  CostRow store_shared{};    // store, line Shared (invalidate the farthest sharer)
  CostRow atomic_modified{}; // locked RMW, line Modified elsewhere (Self = local atomic)
  CostRow atomic_shared{};   // locked RMW, line Shared
  double load_hit = 1;       // L1 hit
  double store_hit = 1;      // store to a line this CPU owns
  double memory = 80;        // line in no cache: from DRAM (local socket)
};

struct MachinePreset {
  std::string name;
  std::string description;
  std::string source;  // where the numbers come from
  Topology topology;
  double ghz = 2.0;
  CoherenceCosts costs;
};

const std::vector<MachinePreset>& machine_presets();
const MachinePreset* find_preset(const std::string& name);

// The flat key names used for overrides and listings:
// "load_modified.same_socket", "atomic_shared.one_hop", "memory", ...
std::vector<std::pair<std::string, double*>> cost_keys(CoherenceCosts& c);
std::vector<std::pair<std::string, double>> cost_values(const CoherenceCosts& c);

}  // namespace sim
