// SPDX-License-Identifier: GPL-2.0-only
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "models/designs/registry.hpp"
#include "sim/presets.hpp"

namespace app {

int cmd_presets() {
  for (const auto& p : sim::machine_presets()) {
    fmt::print("{}: {}\n  {} sockets x {} cores x {} threads, {} GHz\n  source: {}\n", p.name, p.description,
               p.topology.sockets, p.topology.cores_per_socket, p.topology.threads_per_core, p.ghz, p.source);
    for (const auto& [k, v] : sim::cost_values(p.costs)) fmt::print("    {:<28} {:>8.2f} ns\n", k, v);
  }
  return kExitOk;
}

// `aiosim designs [--json]`: each design's name, kernel tag and line; with
// --json, an array of {name, tag, description, planted_bug, era_lock,
// switches} in registry order (for scripts: plots/figures.py); switches is
// null for a design that is not the seed's era code with its hunks switched.
int cmd_designs(bool json) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& d : models::designs()) {
    auto a = d.make();
    const auto& s = a->switches();
    if (json) {
      out.push_back({{"name", d.name},
                     {"tag", d.tag},
                     {"description", d.description},
                     {"planted_bug", d.planted_bug},
                     {"era_lock", sim::to_string(d.era_lock)},
                     {"switches", d.seed_switches ? nlohmann::ordered_json{{"lazy_list", s.lazy_list},
                                                                            {"completion_lock", s.completion_lock},
                                                                            {"cancel_xchg", s.cancel_xchg},
                                                                            {"zero_alloc", s.zero_alloc}}
                                                  : nlohmann::ordered_json(nullptr)}});
      continue;
    }
    fmt::print("{}  ({}){}\n  {}\n", d.name, d.tag, d.planted_bug ? " [planted bug: for the explorer]" : "",
               d.description);
    if (d.seed_switches)
      fmt::print("  lazy_list={} completion_lock={} cancel_xchg={} zero_alloc={}\n", s.lazy_list, s.completion_lock,
                 s.cancel_xchg, s.zero_alloc);
  }
  if (json) fmt::print("{}\n", out.dump(2));
  return kExitOk;
}

}  // namespace app
