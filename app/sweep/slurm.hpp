// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The Slurm backend: one job array per sweep, array index -> run index (or,
// with a chunk of K, runs [index*K, index*K+K)). Each task is
// `aiosim sweep-task DIR --task $SLURM_ARRAY_TASK_ID --chunk K`, which runs
// its runs as the local backend does (one `aiosim run` each, manifest last),
// so `aiosim collect DIR` merges them into the same bytes. DIR must be on a
// file system the compute nodes share.
#include <string>
#include <vector>

#include "app/sweep/runner.hpp"

namespace sweep {

struct Captured {
  int status = -1;  // exit code; -1 if it did not exit normally or could not start
  std::string out, err;
};
// Runs argv (found on PATH), capturing stdout and stderr.
Captured capture(const std::vector<std::string>& argv);

// "0-3,5,7-9"
std::string compress_ranges(const std::vector<std::size_t>& sorted);

struct SlurmOptions {
  std::size_t chunk = 1;
  std::vector<std::string> sbatch_args;  // passed through (--partition=..., --time=...)
};

// Writes DIR/slurm/job.sh and submits the array tasks holding incomplete
// runs. Returns the job id, or "" when every run is complete. Throws
// std::runtime_error with sbatch's message when the submission fails.
std::string submit(const RunEnv& env, const Plan& plan, const SlurmOptions& opt, std::size_t* tasks_submitted = nullptr);

// Polls squeue until the job has left the queue, printing progress (runs
// complete in DIR) every few seconds unless quiet.
void wait_for_job(const RunEnv& env, const Plan& plan, const std::string& job_id, bool quiet);

}  // namespace sweep
