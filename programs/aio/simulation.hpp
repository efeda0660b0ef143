// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// One `aiosim run`: build the machine, the kioctx design, the devices and
// the workload from a checked config, run it, and report.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config.hpp"
#include "sim/observer.hpp"

namespace programs::aio {

struct RunReport {
  nlohmann::ordered_json result;  // result.json
  std::string summary_csv;        // summary.csv
  std::string table;              // the console summary
  // With output.profile: folded stacks (sim/profile_report.hpp), rooted at
  // the context, and the same with each CPU's role as the first frame.
  std::string profile_folded;
  std::string profile_roles_folded;
};

// What a caller such as `aiosim trace` adds to a run: an observer installed
// on the machine from the start, an earlier end (the run is cut there, not
// stalled), arguments for SimGrid (e.g. "--cfg=tracing:yes"), and a SimGrid
// host per CPU (for SimGrid's Paje tracing).
struct RunHooks {
  sim::Observer* observer = nullptr;
  sim::Time stop_at = sim::kNever;
  std::vector<std::string> simgrid_args;
  bool simgrid_cpu_hosts = false;
  // Build the machine and run every cross-key check, then return an empty
  // report without running (a sweep checks all its configs before the first run).
  bool check_only = false;
};

// Cross-key checks (CPU ids in range, roles on distinct CPUs, queue depth
// against the ring...) throw sim::config::ConfigError; a broken invariant
// during the run throws sim::Violation.
RunReport run_simulation(const sim::config::Config& cfg, const std::string& version, const RunHooks& hooks = {});

}  // namespace programs::aio
