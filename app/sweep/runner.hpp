// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Running the runs of a sweep: each run is one `aiosim run` process (SimGrid
// allows one simulation per process) writing result.json into its own
// directory, followed by a manifest.json that says how it went -- written
// last and atomically, so a run is complete exactly when its manifest is
// there. A run that exits 2 (bad input) or 3 (a violation) is recorded as
// failed with its error text; it is as much a result as a success and is not
// run again. Anything else (a crash, a signal, exit 1) is recorded as an
// error and run again on resume.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/sweep/results.hpp"
#include "app/sweep/spec.hpp"

namespace sweep {

struct BuildInfo {
  std::string version;          // aiosim's
  std::string git_commit;
  bool git_dirty = false;       // uncommitted changes to tracked files when it was built
  std::string simgrid_version;  // simgrid/version.h
};

struct RunEnv {
  std::filesystem::path dir;  // the sweep directory
  std::string self;           // the aiosim binary
  BuildInfo build;
  std::string backend;        // "local" or "slurm", for the manifest
  SchemaFor schema_for;
  // When set, a run's forked child calls this (in the run's directory, with
  // stderr going to stderr.txt) instead of exec'ing `self run config.toml
  // --out . --quiet`: the same code and result, without loading the binary
  // and its libraries again for every run. Returns the exit code.
  std::function<int()> run_in_child;
};

// Clears what an earlier attempt left in the run's directory, writes its
// config.toml (from the plan; or checks the one there when the plan was read
// from sweep.json) and starts `aiosim run`. Returns the child's pid, or -1
// when the run cannot start (an error outcome is then already recorded).
pid_t start_run(const RunEnv& env, const Plan& plan, const PlannedRun& run);

struct Outcome {
  RunState state = RunState::Error;
  int exit_code = -1;
  std::string error;  // first line
  double wall_s = 0;
  std::uint64_t events = 0;  // simulated events (sim.events)
};
// Records how the run ended (its manifest.json) from its wait status.
Outcome finish_run(const RunEnv& env, const Plan& plan, const PlannedRun& run, int wait_status, double wall_s);

struct PoolStats {
  std::size_t total = 0, skipped = 0, ran = 0, ok = 0, failed = 0, error = 0;
  int interrupted = 0;  // the signal (SIGINT, SIGTERM, SIGHUP) that stopped the pool, or 0
};
// Runs every incomplete run, `jobs` at a time, with progress on stderr. On
// SIGINT, SIGTERM or SIGHUP it kills the running runs (they stay incomplete)
// and returns with `interrupted` set.
PoolStats run_local(const RunEnv& env, const Plan& plan, int jobs, bool quiet);

// One Slurm array task: runs [task * chunk, (task + 1) * chunk) one after
// another, skipping complete ones. Returns the number of runs that ended in
// an error (not a recorded failure).
std::size_t run_task(const RunEnv& env, const Plan& plan, std::size_t task, std::size_t chunk);

std::string format_elapsed(double s);  // 75.2 -> "1:15", 3725 -> "1:02:05"

// What the progress display shows.
struct ProgressState {
  std::size_t done = 0, total = 0;  // complete runs (skipped ones included) of all
  std::size_t ran = 0;              // finished in this pool (the ETA's rate)
  std::size_t failed = 0, errors = 0, running = 0;
  double elapsed_s = 0;
  std::uint64_t events = 0;  // simulated events of the runs finished in this pool
};
// The line printed per finished run when stderr is not a terminal:
// "sweep: [7/12] 1 failed, elapsed 0:13, ETA 0:09, 1.52M events/s".
std::string progress_line(const ProgressState& p);
// The terminal's progress bar, redrawn in place, at most `width` columns (the
// bar itself 8 to 24 of them, as the rest leaves room):
// "sweep [##########..............] 5/12 runs, 0 failed, 2 running, elapsed 0:04, ETA 0:06, 1.52M events/s".
std::string progress_bar(const ProgressState& p, std::size_t width);

}  // namespace sweep
