// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The lock micro-benchmark: N CPUs each loop { think; acquire lock L; hold;
// release } on a machine whose coherence costs come from a preset (down to
// "zero", for queueing theory). It reports what queueing theory and the
// Boyd-Wickizer et al. ticket-lock model predict: throughput of critical
// sections, wait and hold distributions, lock utilisation, mean waiters
// (and Little's law between them), and the speedup over one CPU, each mean
// with a 95% confidence interval by batch means.
//
// `aiosim run` runs it when the config says `scenario = "lockbench"`;
// `aiosim validate` runs it many times in one process (engine.clock =
// "internal": SimGrid allows one Engine per process, the driver alone has
// no such limit and gives identical results).
#include <cstdint>
#include <string>
#include <vector>

#include "programs/aio/simulation.hpp"  // RunReport
#include "sim/config.hpp"
#include "sim/distribution.hpp"
#include "sim/presets.hpp"
#include "sim/spinlock.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/time.hpp"

namespace programs::lockbench {

struct Params {
  std::uint64_t seed = 1;
  std::string preset = "zero";
  sim::Topology topology{2, 8, 1};
  sim::CoherenceCosts costs{};
  std::vector<int> cpus;  // the CPUs running the loop
  sim::LockKind kind = sim::LockKind::Ticket;
  sim::IrqMode irq = sim::IrqMode::Keep;
  sim::Distribution think = sim::Distribution::exponential(10000);
  sim::Distribution hold = sim::Distribution::exponential(1000);
  bool start_contending = false;  // bench.start = "contending": no think before the first acquisition
  sim::Time warmup = sim::kMs;
  sim::Time duration = 20 * sim::kMs;
  int batches = 20;
  bool simgrid = false;  // engine.clock = "simgrid" (one such run per process)
  sim::Time quantum = sim::kUs;
  int store_buffer = 0;  // entries per CPU (machine.store_buffer); 0: every store blocks
};

// Checked config -> parameters. Cross-key problems (a CPU that does not
// exist, an unknown machine.cost key) throw sim::config::ConfigError.
Params params_from(const sim::config::Config& cfg);

// A mean with the half-width of its 95% confidence interval, from batch
// means: the measured window is cut into `batches` equal spans, the
// statistic is computed in each, and half_width = t(0.975, B-1) s / sqrt(B).
struct Estimate {
  double mean = 0;
  double half_width = 0;  // t(0.975, batches - 1) * se
  double se = 0;          // standard error of the mean: s / sqrt(batches)
  int batches = 0;
  double lo() const { return mean - half_width; }
  double hi() const { return mean + half_width; }
};

struct Result {
  int cpus = 0;
  double window_s = 0;           // measured simulated time
  std::uint64_t acquisitions = 0;
  std::uint64_t contended = 0;
  sim::Histogram wait;           // ps, per acquisition (0 when uncontended)
  sim::Histogram hold;           // ps
  int max_waiters = 0;
  double throughput_per_s = 0;   // critical sections per second, whole window
  double utilization = 0;        // share of the window the lock was held
  double mean_waiters = 0;       // time-integrated number of waiters / window
  double rate_x_wait = 0;        // Little: acquisition rate x mean wait
  // Batch-means estimates.
  Estimate throughput;           // per second
  Estimate wait_ns;              // mean wait
  Estimate hold_ns;
  Estimate response_ns;          // wait + hold
  Estimate waiters;              // mean waiters
  Estimate util;
  // Little's law, batch by batch: gap_b = mean waiters - rate x mean wait
  // in batch b. A wait is recorded when it ends, and only if it began after
  // the statistics start, so the batches that start less than the longest
  // wait after it are left out (they would miss waits begun before it); in
  // the others E[gap_b] = 0 under stationarity. The law holds when |mean gap|
  // is within its 95% confidence interval. Fewer than 2 batches left: not
  // assessable (the run is too short for its longest wait).
  Estimate little_gap;
  bool little_assessable = false;
  bool little_holds = false;
  std::uint64_t line_transfers = 0;
  double spin_share = 0;         // of the bench CPUs' time
  double busy_share = 0;
  std::uint64_t events = 0;
  double wall_s = 0;
};

Result simulate(const Params& p);

// Student's t quantile: t_quantile(p, df) = x with P(T_df <= x) = p
// (Boost.Math). t975(df) = t_quantile(0.975, df), the 95% two-sided factor.
double t_quantile(double p, int df);
double t975(int df);

// One `aiosim run` of a lockbench config: result.json, summary.csv and the
// console summary, like programs::aio::run_simulation.
aio::RunReport run(const sim::config::Config& cfg, const std::string& version);

}  // namespace programs::lockbench
