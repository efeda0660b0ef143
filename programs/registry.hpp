// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The programs aiosim runs from a config file. Each is its schema (the keys
// it reads, with defaults and ranges), its checks (every cross-key check the
// run makes, without running) and its run, which returns the report. A config
// names its program with the top-level `scenario` key ("aio" when absent).
// The commands (run, sweep, check, keys, trace) look programs up here; a new
// program is one entry in registry.cpp.
#include <string>
#include <string_view>
#include <vector>

#include "programs/aio/simulation.hpp"
#include "sim/config.hpp"

namespace programs {

struct Program {
  std::string name;     // the `scenario` value that selects it
  std::string summary;  // one line, for `aiosim keys` and errors
  const sim::config::Schema& (*schema)();
  void (*check)(const sim::config::Config& cfg);
  programs::aio::RunReport (*run)(const sim::config::Config& cfg, const std::string& version);
  // `aiosim trace` records its timeline (it has a machine with CPUs and kiocbs).
  bool traceable = false;
  // Its report carries sim.too_few_measured (`aiosim run` warns on it).
  bool has_measured_window = false;
};

const std::vector<Program>& all();
// nullptr when no program has that name.
const Program* find(std::string_view name);
// "aio, lockbench": for error messages.
std::string names();

}  // namespace programs
