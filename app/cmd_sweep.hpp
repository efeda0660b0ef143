// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// `aiosim sweep`, `aiosim collect` and `aiosim sweep-task` (the Slurm array
// task): registered on the CLI by one object so that main.cpp needs two lines.
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sweep {
struct Plan;
}

namespace app {

// How a planned sweep runs (aiosim sweep's options; aiosim compare gives a few).
struct PlanRunOptions {
  std::filesystem::path out;  // the sweep directory
  std::string backend = "local";
  int jobs = 0;  // local: 0 is the number of CPUs
  bool resume = false, dry_run = false, wait = false, quiet = false;
  std::size_t chunk = 1;
  std::vector<std::string> sbatch_args;
};

// Runs a plan into its sweep directory -- sweep.json, runs/NNNNNN/, runs.csv,
// summary.csv, results.sqlite -- resuming or growing what is there, with the
// local pool or Slurm. `spec_file` and `base` are recorded in sweep.json.
// Returns the exit code.
int run_plan(const std::string& spec_file, const std::filesystem::path& base, const sweep::Plan& plan, const PlanRunOptions& o,
             const std::string& self);

class SweepCommands {
 public:
  explicit SweepCommands(CLI::App& cli);
  bool chosen() const;                    // after parsing: one of ours was given
  int run(const std::string& self) const;  // self: the aiosim binary

 private:
  int sweep(const std::string& self) const;
  int collect() const;
  int task(const std::string& self) const;

  CLI::App *sweep_ = nullptr, *collect_ = nullptr, *task_ = nullptr;
  std::string spec_, out_, backend_ = "local", dir_;
  std::vector<std::string> sets_, sbatch_args_;
  int jobs_ = 0, replications_ = 0;
  std::size_t chunk_ = 1, task_index_ = 0;
  bool list_ = false, dry_run_ = false, resume_ = false, wait_ = false, quiet_ = false;
};

}  // namespace app
