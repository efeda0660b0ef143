#pragma once
// The subcommands of the aiosim binary. Exit codes: 0 success, 1 a failure
// of the environment (I/O), 2 bad input, 3 an invariant violated in a run.
#include <string>
#include <vector>

namespace app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitIo = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitViolation = 3;

struct RunArgs {
  std::string config;
  std::vector<std::string> sets;
  long long seed = -1;
  std::string out;
  bool quiet = false;
};
int cmd_run(const RunArgs& a);

struct CompareArgs {
  std::string spec;
  std::string out;
  int jobs = 1;
};
int cmd_compare(const CompareArgs& a, const std::string& self_exe);

int cmd_presets();
int cmd_designs();

std::string version_string();

}  // namespace app
