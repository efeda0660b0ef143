// SPDX-License-Identifier: GPL-2.0-only
#include "sim/machine_config.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sim {

namespace {
constexpr double kMaxCostNs = 1e6;
}  // namespace

void add_machine_keys(config::Schema& s, const char* default_preset, int max_cores_per_socket) {
  using config::Type;
  std::vector<std::string> names;
  for (const MachinePreset& p : machine_presets()) names.push_back(p.name);
  s.add("machine.preset", Type::String, default_preset, "coherence cost preset (aiosim presets lists them)").choices(names);
  s.add_optional("machine.sockets", Type::Int, "sockets (default: the preset's)").range(1, 64);
  s.add_optional("machine.cores_per_socket", Type::Int, "cores per socket (default: the preset's)")
      .range(1, max_cores_per_socket);
  s.add_optional("machine.cpus", Type::Int,
                 "CPUs in all (default: sockets x cores x threads); without machine.sockets/cores_per_socket, "
                 "sockets of the preset's size: one socket up to its cores per socket, else as many full sockets as needed")
      .range(1, 1 << 20);
  s.add("machine.threads_per_core", Type::Int, 1, "SMT threads per core").range(1, 8);
  // At most 1 ms per access: far above any real machine, and small enough
  // that a run's total time stays bounded (sim/time.hpp).
  s.add_map("machine.cost", Type::Float,
            "override one coherence cost, ns (e.g. machine.cost.\"atomic_shared.one_hop\" = 0)")
      .range(0, kMaxCostNs);
  s.add("machine.store_buffer", Type::Bool, true,
        "x86-TSO store buffers: a plain store does not wait for its RFO (false: every store blocks)");
  s.add("machine.store_buffer_entries", Type::Int, 56, "stores a CPU's store buffer holds (Skylake: 56)")
      .range(1, 4096);
}

int store_buffer_from(const config::Config& cfg) {
  return cfg.get_bool("machine.store_buffer") ? static_cast<int>(cfg.get_int("machine.store_buffer_entries")) : 0;
}

namespace {

// machine.cpus = N: sockets and cores from N, the explicit keys winning; else
// sockets of the preset's size (N = 64 on a 2 x 16 preset: 4 x 16; N = 8: 1 x 8).
void shape_from_cpus(const config::Config& cfg, const MachinePreset& p, Topology& t) {
  const std::int64_t n = cfg.get_int("machine.cpus");
  const bool has_sockets = cfg.has("machine.sockets"), has_cores = cfg.has("machine.cores_per_socket");
  if (n % t.threads_per_core != 0)
    throw cfg.error_at("machine.cpus", fmt::format("{} CPUs do not divide into cores of {} threads (machine.threads_per_core)",
                                                   n, t.threads_per_core));
  const std::int64_t cores = n / t.threads_per_core;
  if (has_sockets && has_cores) {
    if (static_cast<std::int64_t>(t.sockets) * t.cores_per_socket != cores)
      throw cfg.error_at("machine.cpus", fmt::format("{} CPUs, but machine.sockets x cores_per_socket x threads_per_core is {}: "
                                                     "leave one of them out",
                                                     n, static_cast<std::int64_t>(t.sockets) * t.cores_per_socket * t.threads_per_core));
    return;
  }
  if (has_sockets) {
    if (cores % t.sockets != 0)
      throw cfg.error_at("machine.cpus", fmt::format("{} CPUs do not divide among {} sockets (machine.sockets)", n, t.sockets));
    t.cores_per_socket = static_cast<int>(cores / t.sockets);
    return;
  }
  if (has_cores) {
    if (cores % t.cores_per_socket != 0)
      throw cfg.error_at("machine.cpus", fmt::format("{} CPUs do not fill sockets of {} cores (machine.cores_per_socket)", n,
                                                     t.cores_per_socket));
    t.sockets = static_cast<int>(cores / t.cores_per_socket);
    return;
  }
  const std::int64_t per = p.topology.cores_per_socket;
  const std::int64_t sockets = (cores + per - 1) / per;
  if (cores % sockets != 0)
    throw cfg.error_at("machine.cpus", fmt::format("{} CPUs do not split evenly into sockets of at most {} cores (preset {}); "
                                                   "set machine.sockets or machine.cores_per_socket",
                                                   n, per, p.name));
  t.sockets = static_cast<int>(sockets);
  t.cores_per_socket = static_cast<int>(cores / sockets);
}

}  // namespace

Topology topology_from(const config::Config& cfg, const MachinePreset& p, int max_cpus) {
  Topology t = p.topology;
  if (cfg.has("machine.sockets")) t.sockets = static_cast<int>(cfg.get_int("machine.sockets"));
  if (cfg.has("machine.cores_per_socket")) t.cores_per_socket = static_cast<int>(cfg.get_int("machine.cores_per_socket"));
  t.threads_per_core = static_cast<int>(cfg.get_int("machine.threads_per_core"));
  if (cfg.has("machine.cpus")) {
    if (cfg.get_int("machine.cpus") > max_cpus)
      throw cfg.error_at("machine.cpus", fmt::format("{} CPUs: at most {} are supported", cfg.get_int("machine.cpus"), max_cpus));
    shape_from_cpus(cfg, p, t);
  }
  if (t.cpus() > max_cpus)
    throw cfg.error_at(cfg.has("machine.cpus") ? "machine.cpus" : "machine.cores_per_socket",
                       fmt::format("{} CPUs: at most {} are supported", t.cpus(), max_cpus));
  return t;
}

CoherenceCosts costs_from(const config::Config& cfg, const MachinePreset& p) {
  CoherenceCosts c = p.costs;
  auto keys = cost_keys(c);
  for (const auto& [k, v] : cfg.get_map("machine.cost")) {
    auto it = std::find_if(keys.begin(), keys.end(), [&key = k](auto& e) { return e.first == key; });
    if (it == keys.end()) {
      std::vector<std::string> names;
      for (auto& e : keys) names.push_back(e.first);
      throw cfg.error_at("machine.cost." + k, fmt::format("unknown cost; known: {}", fmt::join(names, ", ")));
    }
    // The schema checked the value; it comes back as its shortest round-trip text.
    double ns = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ns);
    if (ec != std::errc{} || end != v.data() + v.size() || !(ns >= 0) || !(ns <= kMaxCostNs))
      throw cfg.error_at("machine.cost." + k, fmt::format("a cost must be in [0, {}] ns", kMaxCostNs));
    *it->second = ns;
  }
  return c;
}

}  // namespace sim
