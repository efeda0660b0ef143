// SPDX-License-Identifier: GPL-2.0-only
#include "sim/presets.hpp"

namespace sim {

const char* to_string(Distance d) {
  switch (d) {
    case Distance::Self: return "self";
    case Distance::SmtSibling: return "smt";
    case Distance::SameSocket: return "same_socket";
    case Distance::OneHop: return "one_hop";
    case Distance::TwoHops: return "two_hops";
  }
  return "?";
}

namespace detail {
MachinePreset modern_2s_preset();  // presets_modern.cpp
}

namespace {

// Convert a row given in cycles to ns at `ghz`.
CostRow ns(double ghz, double self, double smt, double socket, double hop1, double hop2) {
  return {self / ghz, smt / ghz, socket / ghz, hop1 / ghz, hop2 / ghz};
}

// Tudor David, Rachid Guerraoui, Vasileios Trigonakis, "Everything You Always
// Wanted to Know About Synchronization but Were Afraid to Ask", SOSP 2013,
// Table 2 (latencies in cycles), Xeon column: an 8-socket, 80-core Westmere-EX
// (E7-8867L) at 2.13 GHz; columns same die / one hop / two hops.
// Self: L1 5 cycles (same paper, "local caches" row); a LOCK-prefixed RMW on
// an owned line is about 20 cycles on Nehalem/Westmere (Agner Fog,
// "Instruction tables", LOCK XADD/CMPXCHG). SMT siblings share the L1D
// (Intel SDM vol. 3A, 8.7 "Intel Hyper-Threading Technology"), so a transfer
// between them costs an L1 access (Westmere-EX has HT; the paper ran without).
MachinePreset westmere_ex() {
  const double f = 2.13;
  MachinePreset p;
  p.name = "xeon-westmere-ex";
  p.description = "8-socket 80-core Intel Xeon E7-8867L (Westmere-EX), 2.13 GHz";
  p.source = "David, Guerraoui, Trigonakis, SOSP 2013, Table 2 (Xeon)";
  p.topology = Topology{8, 10, 1};
  p.ghz = f;
  auto& c = p.costs;
  c.load_modified = ns(f, 5, 5, 109, 289, 400);
  c.load_shared = ns(f, 5, 5, 44, 223, 334);
  c.store_modified = ns(f, 5, 5, 115, 320, 431);
  c.store_shared = ns(f, 5, 5, 116, 318, 428);
  c.atomic_modified = ns(f, 20, 20, 120, 324, 430);
  c.atomic_shared = ns(f, 20, 20, 113, 312, 423);
  c.load_hit = 5 / f;
  c.store_hit = 5 / f;
  c.memory = 355 / f;  // "load from memory", same die
  return p;
}

// Same paper and table, Opteron column: a 4-socket, 48-core AMD Opteron 6172
// (Magny-Cours) at 2.1 GHz; columns same die / same MCM / one hop / two hops.
// Each package holds two 6-core dies; the model's "socket" is the package, so
// SameSocket uses the same-die column for a conservative intra-package cost
// (the second die of a package, the same-MCM column, costs about 2x more) and
// the package-to-package costs use the one-hop column. The two-hop column is
// kept from the table but, with 4 sockets, Topology::hops() never returns 2
// (sockets <= 4 are modelled fully connected), so it applies only when
// machine.sockets is raised above 4.
// The Opteron has no SMT; L1 3 cycles; local atomic about 20 cycles (Agner Fog,
// "Instruction tables", K10 LOCK XADD).
MachinePreset opteron() {
  const double f = 2.1;
  MachinePreset p;
  p.name = "opteron-magny-cours";
  p.description = "4-socket 48-core AMD Opteron 6172 (Magny-Cours), 2.1 GHz";
  p.source = "David, Guerraoui, Trigonakis, SOSP 2013, Table 2 (Opteron)";
  p.topology = Topology{4, 12, 1};
  p.ghz = f;
  auto& c = p.costs;
  c.load_modified = ns(f, 3, 3, 81, 172, 252);
  c.load_shared = ns(f, 3, 3, 83, 176, 254);
  c.store_modified = ns(f, 3, 3, 83, 191, 273);
  c.store_shared = ns(f, 3, 3, 246, 286, 296);
  c.atomic_modified = ns(f, 20, 20, 110, 216, 296);
  c.atomic_shared = ns(f, 20, 20, 272, 312, 332);
  c.load_hit = 3 / f;
  c.store_hit = 3 / f;
  c.memory = 136 / f;
  return p;
}

// For tests and theory validation: every access is free.
MachinePreset zero_cost() {
  MachinePreset p;
  p.name = "zero";
  p.description = "no coherence cost at all (for queueing-theory validation)";
  p.source = "none: all costs 0";
  p.topology = Topology{2, 8, 1};
  p.costs = CoherenceCosts{};
  p.costs.load_hit = p.costs.store_hit = p.costs.memory = 0;
  return p;
}

}  // namespace

const std::vector<MachinePreset>& machine_presets() {
  static const std::vector<MachinePreset> presets = {detail::modern_2s_preset(), westmere_ex(), opteron(),
                                                     zero_cost()};
  return presets;
}

const MachinePreset* find_preset(const std::string& name) {
  for (const auto& p : machine_presets())
    if (p.name == name) return &p;
  return nullptr;
}

namespace {
template <class C, class F>
void for_each_cost(C& c, F&& f) {
  static const std::pair<const char*, CostRow CoherenceCosts::*> rows[] = {
      {"load_modified", &CoherenceCosts::load_modified},     {"load_shared", &CoherenceCosts::load_shared},
      {"store_modified", &CoherenceCosts::store_modified},   {"store_shared", &CoherenceCosts::store_shared},
      {"atomic_modified", &CoherenceCosts::atomic_modified}, {"atomic_shared", &CoherenceCosts::atomic_shared}};
  for (const auto& [name, row] : rows)
    for (int d = 0; d < kDistances; ++d)
      f(std::string(name) + "." + to_string(static_cast<Distance>(d)), (c.*row)[d]);
  f("load_hit", c.load_hit);
  f("store_hit", c.store_hit);
  f("memory", c.memory);
}
}  // namespace

std::vector<std::pair<std::string, double*>> cost_keys(CoherenceCosts& c) {
  std::vector<std::pair<std::string, double*>> out;
  for_each_cost(c, [&](std::string k, double& v) { out.emplace_back(std::move(k), &v); });
  return out;
}

std::vector<std::pair<std::string, double>> cost_values(const CoherenceCosts& c) {
  std::vector<std::pair<std::string, double>> out;
  for_each_cost(c, [&](std::string k, const double& v) { out.emplace_back(std::move(k), v); });
  return out;
}

}  // namespace sim
