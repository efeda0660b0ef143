// SPDX-License-Identifier: GPL-2.0-only
#include <fmt/format.h>

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

int cmd_designs() {
  for (const auto& d : models::designs()) {
    auto a = d.make();
    const auto& s = a->switches();
    fmt::print("{}{}\n  {}\n  lazy_list={} completion_lock={} cancel_xchg={} zero_alloc={}\n", d.name,
               d.planted_bug ? " [planted bug: for the explorer]" : "", d.description, s.lazy_list, s.completion_lock,
               s.cancel_xchg, s.zero_alloc);
  }
  return kExitOk;
}

}  // namespace app
