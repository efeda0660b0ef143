// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The merged output of a sweep, built from its run directories:
//
//   runs.csv        one row per run: run, point, replication, seed, the
//                   parameters, status, exit_code, error, then every scalar in
//                   result.json flattened with dotted names (cpus.3.spin_ns,
//                   locks.ctx_lock.wait_ns.p99). Absent values are empty cells.
//   summary.csv     one row per grid point: the parameters, n (runs that
//                   succeeded), failed, then <metric>.mean and <metric>.ci95 (the
//                   half-width of the Student-t 95% confidence interval of the
//                   mean over the replications; empty when n < 2) for every
//                   numeric metric.
//   results.sqlite  the same as tidy tables (results_db.cpp), every metric.
//
// The CSVs leave out columns that say nothing (docs/sweeps.md): a description
// of the system (design.*, layout.*, machine.*) the same in every run, and a
// .ci95 empty or 0 at every point.
//
// Left out of all: result.json's `config` (the parameters stand for it),
// `seed` (its own column), strings, arrays of numbers (such as latency_cdf),
// and wall-clock measurements (any key whose last part starts with "wall"):
// they are in each run's manifest.json, so that the merged output depends on
// the configs and seeds alone and is the same bytes however the runs were
// scheduled, interrupted or resumed.
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/sweep/spec.hpp"

namespace sweep {

// Scalars of a result.json as (dotted name, CSV text) in document order.
std::vector<std::pair<std::string, std::string>> flatten_result(const nlohmann::ordered_json& result);

// A CSV field, quoted when it must be (RFC 4180).
std::string csv_field(const std::string& s);

// The 0.975 quantile of Student's t with `df` degrees of freedom (Boost.Math).
double t_quantile_975(double df);

struct MeanCi {
  double mean = 0, ci95 = 0;
  std::size_t n = 0;
  bool has_ci = false;  // n >= 2
};
MeanCi mean_ci95(const std::vector<double>& xs);

// What a run directory says about its run.
enum class RunState { Missing, Ok, Failed, Error };
struct RunRecord {
  RunState state = RunState::Missing;
  int exit_code = 0;
  std::string error;                      // the run's stderr, for failures
  nlohmann::ordered_json result;          // result.json, for Ok
  nlohmann::ordered_json manifest;
};
// Reads DIR/<run.dir>/manifest.json (and result.json). A run is complete
// (Ok or Failed) only when its manifest names the same config hash as the plan.
RunRecord read_run(const std::filesystem::path& dir, const PlannedRun& run);
inline bool complete(const RunRecord& r) { return r.state == RunState::Ok || r.state == RunState::Failed; }

// Everything the merged outputs are made of, before any column is left out.
struct Tidy {
  std::vector<RunRecord> records;                                    // per run (no result or manifest kept)
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;  // per run: its metrics (flatten_result)
  std::vector<std::string> metrics;                                  // every metric name, in column order
  std::vector<std::string> numeric;                                  // those with numbers (not booleans)
  std::vector<std::vector<std::size_t>> by_point;                    // point -> its runs
  std::vector<std::vector<MeanCi>> stats;                            // point -> numeric metric -> mean, CI
  std::vector<std::size_t> point_n, point_failed;                    // per point: ok runs, failed or error runs
};

// True for a result.json key that describes the simulated system (design,
// layout, machine: fixed by the config) rather than measures it.
bool config_echo(const std::string& name);
const char* state_name(RunState s);  // "missing", "ok", "failed", "error"

// DIR/results.sqlite as bytes (results_db.cpp): the tables runs, points,
// metrics, cpus, locks and summary, every metric included.
std::string results_sqlite(const Plan& plan, const Tidy& t);

struct Merged {
  std::string runs_csv, summary_csv, results_sqlite;
  std::size_t ok = 0, failed = 0, error = 0, missing = 0;
  std::vector<std::pair<std::size_t, std::string>> failures;  // run, first line of its error
};
Merged merge(const std::filesystem::path& dir, const Plan& plan);

}  // namespace sweep
