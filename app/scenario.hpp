// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Which scenario a config file describes, read before the file is checked
// against that scenario's schema: its top-level `scenario` key ("aio" when
// absent), or the last `--set scenario=...`.
#include <string>
#include <vector>

#include "programs/registry.hpp"
#include "sim/config.hpp"

namespace app {

// A bad value throws sim::config::ConfigError ("file:line: scenario: ...").
// A file that does not parse is left to the schema check, which reports it.
std::string scenario_of(const std::string& file, const std::vector<std::string>& sets);

// The program the file's scenario names (programs/registry.hpp).
const programs::Program& program_of(const std::string& file, const std::vector<std::string>& sets);

// The schema `aiosim run` checks this file against (by its scenario).
const sim::config::Schema& schema_for(const std::string& file, const std::vector<std::string>& sets);

// What an input file is, from its top-level tables: [sweep], [compare], an
// explorer scenario's [context.*] / [[setup]], else a config for `aiosim run`.
// A file that does not parse is a config (its schema check reports the error).
enum class FileKind { Config, Sweep, Compare, Scenario };
FileKind file_kind(const std::string& file);

// Throws sim::config::ConfigError at the table that makes `file` a kind
// other than `expected`, naming the command that takes it: a compare spec
// given to `aiosim run` is told so, rather than "compare: unknown key".
void require_kind(const std::string& file, FileKind expected);

// The model's cross-key checks (design names, CPU ids and roles...) without
// running: throws sim::config::ConfigError as the run would.
void check_config(const sim::config::Config& cfg);

}  // namespace app
