// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The kioctx design of a run (`aiosim run`) or of an exploration (`aiosim
// explore`), built from a checked config by one make_design(). The keys it
// reads are declared here too, with their defaults, ranges and meaning:
//   kioctx.design, kioctx.lock, kioctx.nr_events, the seed switches
//   kioctx.lazy_list / completion_lock / cancel_xchg / zero_alloc (each
//   overriding the design's own), and costs.* (KernelCosts).
// The run schema (programs/aio/schema.cpp) and the explorer's scenario
// reader (programs/explore/scenario.cpp) both declare them by calling
// add_kioctx_keys / add_cost_keys; the explorer differs only in the defaults
// it passes (DesignKeyDefaults::explorer()).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "models/aio/aio.hpp"
#include "models/designs/registry.hpp"
#include "sim/config.hpp"
#include "sim/spinlock.hpp"

namespace models {

// The defaults that differ between a program's schemas; ranges, choices and
// descriptions are the same for all.
struct DesignKeyDefaults {
  std::int64_t nr_events = 4096;
  std::string lock = "era";
  std::string synchronize_rcu = "8ms";

  // `aiosim explore`: a 16-event ring (scenarios hold a few requests), the
  // queued spinlock (the lock kind changes no interleaving: only the order
  // of waiters, which the explorer enumerates anyway) and a 20 us grace
  // period (the explorer has no clock; a multi-ms sleep changes how
  // IRQ-context and task clocks compare when the step driver resumes them).
  static DesignKeyDefaults explorer() { return {16, "qspinlock", "20us"}; }
};

// kioctx.design, kioctx.lock, kioctx.nr_events and the four switches.
void add_kioctx_keys(sim::config::Schema& s, const DesignKeyDefaults& d = {});
// costs.*: the work of each kernel path that touches no shared line.
void add_cost_keys(sim::config::Schema& s, const DesignKeyDefaults& d = {});

// KernelCosts with the declared defaults (DesignKeyDefaults{}), for code
// that builds a design without a config (tests' rigs).
KernelCosts default_kernel_costs();

// What make_design builds: the design's kernel code with its switches set,
// and the kioctx parameters and costs it runs with.
struct BuiltDesign {
  const DesignInfo* info = nullptr;  // null for a design outside the registry
  std::unique_ptr<AioDesign> aio;
  sim::LockKind lock = sim::LockKind::Ticket;  // kioctx.lock, "era" resolved
  unsigned nr_events = 0;
  KernelCosts costs;
};

// A bad design name is a ConfigError at kioctx.design. `custom`, when set,
// replaces the registry's design (tests); the switch overrides still apply
// and kioctx.lock = "era" means the ticket lock of every 2013 design.
BuiltDesign make_design(const sim::config::Config& cfg,
                        const std::function<std::unique_ptr<AioDesign>()>& custom = {});

// "lazy-cancel (lazy_list=on completion_lock=on ...)", and "  [planted bug]"
// or "  [not in the registry]".
std::string describe_design(const BuiltDesign& d);

}  // namespace models
