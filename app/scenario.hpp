#pragma once
// Which scenario a config file describes, read before the file is checked
// against that scenario's schema: its top-level `scenario` key ("aio" when
// absent), or the last `--set scenario=...`.
#include <string>
#include <vector>

namespace app {

inline constexpr const char* kScenarios[] = {"aio", "lockbench"};

// A bad value throws sim::config::ConfigError ("file:line: scenario: ...").
// A file that does not parse is left to the schema check, which reports it.
std::string scenario_of(const std::string& file, const std::vector<std::string>& sets);

}  // namespace app
