#pragma once
// One `aiosim run`: build the machine, the kioctx design, the devices and
// the workload from a checked config, run it, and report.
#include <string>

#include <nlohmann/json.hpp>

#include "sim/config.hpp"

namespace models {

struct RunReport {
  nlohmann::ordered_json result;  // result.json
  std::string summary_csv;        // summary.csv
  std::string table;              // the console summary
};

// Cross-key checks (CPU ids in range, roles on distinct CPUs, queue depth
// against the ring...) throw sim::config::ConfigError; a broken invariant
// during the run throws sim::Violation.
RunReport run_simulation(const sim::config::Config& cfg, const std::string& version);

}  // namespace models
