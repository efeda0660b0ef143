// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The subcommands of the aiosim binary. Exit codes: 0 success, 1 a failure
// of the environment (I/O), 2 bad input, 3 an invariant violated in a run.
#include <cstddef>
#include <string>
#include <vector>

#include "sim/mc/dpor.hpp"

namespace sim::config {
class Schema;
}

namespace app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitIo = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitViolation = 3;
inline constexpr int kExitDisagrees = 4;  // aiosim validate: a comparison with theory failed

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
// Every check `aiosim compare` makes before it runs; returns the number of runs.
std::size_t check_compare_spec(const std::string& file);
// The keys of a compare spec (`aiosim keys compare`).
const sim::config::Schema& compare_schema();

// `aiosim check FILE|DIR...` (app/cmd_check.cpp): every check the command
// that takes each file makes before it runs, without running anything.
struct CheckArgs {
  std::vector<std::string> paths;
  bool quiet = false;
};
int cmd_check(const CheckArgs& a);

struct BenchArgs {
  bool quick = false;
  int reps = 0;
  std::string only;
  std::string configs;
  std::string out;
};
int cmd_bench(const BenchArgs& a, const std::string& self_exe);

struct TraceArgs {
  std::string config;
  std::vector<std::string> sets;
  long long seed = -1;
  std::string from, to;  // durations; default: workload.warmup and 20 us after it
  std::string out = "aiosim-trace";
  std::string paje;  // a Paje file written by SimGrid's tracing
  long long max_records = 1000000;
  bool no_loads = false;
  bool json_loads = false;
  bool quiet = false;
};
int cmd_trace(const TraceArgs& a);  // app/cmd_trace.cpp

struct KeysArgs {
  std::string kind = "aio";  // aio, lockbench, explore, sweep
  bool toml = false;
};
int cmd_keys(const KeysArgs& a);  // app/cmd_keys.cpp

struct ExploreArgs {
  std::string scenario;
  std::string design;
  std::vector<std::string> sets;
  int max_preemptions = -2;  // -2: the scenario's; -1: unbounded
  unsigned long long max_schedules = 0;
  double max_seconds = 600;  // the default time budget
  std::string reduction = "dpor";
  unsigned long long random = 0;  // random walks instead of exhaustive search
  unsigned long long seed = 1;
  int snapshot_interval = sim::mc::ExploreOptions{}.snapshot_interval;
  int jobs = 1;  // -j: processes exploring at once
  bool list_states = false;
  bool list = false;  // --list: the built-in scenarios
};
int cmd_explore(const ExploreArgs& a);  // app/cmd_explore.cpp
int cmd_explore_bench(bool quick);      // app/cmd_explore.cpp: aiosim bench --explore [--quick]

struct ValidateArgs {
  std::string out = "out/validation";
  bool quick = false;
  long long seed = 1;
  bool quiet = false;
};
int cmd_validate(const ValidateArgs& a);

// app/cmd_report.cpp: `aiosim report DIR`, `aiosim plot DIR --x K --y M` (drawn by plots/).
struct ReportArgs {
  std::string dir;
};
int cmd_report(const ReportArgs& a);

struct PlotArgs {
  std::string dir, x, y, hue, col, out;
  std::vector<std::string> where;  // KEY=VALUE
  bool logx = false, logy = false;
};
int cmd_plot(const PlotArgs& a);

struct ProfileArgs {
  std::string dir;
  std::string context;   // task or hardirq; empty: both
  std::string cpu_role;  // e.g. submitter, irq; empty: all CPUs
  long long rows = 40;
  bool no_svg = false;
};
int cmd_profile(const ProfileArgs& a);  // app/cmd_profile.cpp

int cmd_presets();
int cmd_designs(bool json);

std::string version_string();

}  // namespace app
