// SPDX-License-Identifier: GPL-2.0-only
#include "programs/lockbench/lockbench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "programs/lockbench/schema.hpp"
#include "sim/event.hpp"
#include "sim/machine.hpp"
#include "sim/machine_config.hpp"
#include "sim/rng.hpp"
#include "sim/simgrid_clock.hpp"
#include "sim/timed_driver.hpp"

namespace programs::lockbench {

using nlohmann::ordered_json;
using sim::Time;
using sim::config::Config;

namespace {

const char* irq_name(sim::IrqMode m) {
  switch (m) {
    case sim::IrqMode::Keep: return "spin_lock";
    case sim::IrqMode::Disable: return "spin_lock_irq";
    case sim::IrqMode::Save: return "spin_lock_irqsave";
  }
  return "?";
}

// One CPU's loop. Think and hold draw from separate streams, so changing one
// distribution leaves the other's draws alone.
sim::Task<void> bench_loop(sim::Spinlock& lock, const Params& p, int cpu) {
  sim::Rng think_rng(p.seed, "lockbench:think", static_cast<std::uint64_t>(cpu));
  sim::Rng hold_rng(p.seed, "lockbench:hold", static_cast<std::uint64_t>(cpu));
  for (bool first = true;; first = false) {
    const Time think = sim::from_ns(p.think.sample(think_rng));
    if (!first || !p.start_contending) sim::cpu_work(think);
    const Time hold = sim::from_ns(p.hold.sample(hold_rng));
    switch (p.irq) {
      case sim::IrqMode::Keep:
        co_await sim::spin_lock(lock);
        sim::cpu_work(hold);
        co_await sim::spin_unlock(lock);
        break;
      case sim::IrqMode::Disable:
        co_await sim::spin_lock_irq(lock);
        sim::cpu_work(hold);
        co_await sim::spin_unlock_irq(lock);
        break;
      case sim::IrqMode::Save: {
        const unsigned long flags = co_await sim::spin_lock_irqsave(lock);
        sim::cpu_work(hold);
        co_await sim::spin_unlock_irqrestore(lock, flags);
        break;
      }
    }
  }
}

// The lock's cumulative statistics at a batch boundary.
struct Snapshot {
  Time at = 0;
  std::uint64_t acquisitions = 0;
  long double wait_sum = 0;  // ps
  std::uint64_t hold_count = 0;
  long double hold_sum = 0;  // ps
  long double waiter_time = 0;
  Time held_total = 0;
};

Snapshot snapshot(const sim::LockBase& l, Time at) {
  const sim::LockStats& s = l.stats();
  Snapshot x;
  x.at = at;
  x.acquisitions = s.acquisitions;
  x.wait_sum = static_cast<long double>(s.wait.mean()) * s.wait.count();
  x.hold_count = s.hold.count();
  x.hold_sum = static_cast<long double>(s.hold.mean()) * s.hold.count();
  x.waiter_time = s.waiter_time;
  x.held_total = s.held_total;
  return x;
}

// Fires at each batch boundary and records the lock's statistics.
struct BatchClock final : sim::Event {
  sim::Driver* driver = nullptr;
  const sim::LockBase* lock = nullptr;
  std::vector<Time> boundaries;
  std::vector<Snapshot> snaps;
  void fire() override {
    const Time at = boundaries[snaps.size()];
    snaps.push_back(snapshot(*lock, at));
    if (snaps.size() < boundaries.size()) driver->schedule(*this, boundaries[snaps.size()]);
  }
};

Estimate estimate(const std::vector<double>& xs) {
  Estimate e;
  e.batches = static_cast<int>(xs.size());
  if (xs.empty()) return e;
  double sum = 0;
  for (double x : xs) sum += x;
  e.mean = sum / xs.size();
  if (xs.size() < 2) return e;
  double ss = 0;
  for (double x : xs) ss += (x - e.mean) * (x - e.mean);
  e.se = std::sqrt(ss / (xs.size() - 1)) / std::sqrt(static_cast<double>(xs.size()));
  e.half_width = t975(e.batches - 1) * e.se;
  return e;
}


ordered_json dist_json(const sim::Histogram& h) {
  ordered_json j;
  j["mean"] = h.count() ? h.mean() / 1000.0 : 0.0;
  j["p50"] = sim::to_ns(h.percentile(50));
  j["p90"] = sim::to_ns(h.percentile(90));
  j["p99"] = sim::to_ns(h.percentile(99));
  j["p99_9"] = sim::to_ns(h.percentile(99.9));
  j["max"] = sim::to_ns(h.max());
  return j;
}

ordered_json est_json(const Estimate& e) {
  return {{"mean", e.mean}, {"ci95", e.half_width}, {"batches", e.batches}};
}

}  // namespace

double t_quantile(double p, int df) {
  if (df < 1) return 0;
  return boost::math::quantile(boost::math::students_t(df), p);
}

double t975(int df) { return t_quantile(0.975, df); }

Params params_from(const Config& cfg) {
  Params p;
  p.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
  p.preset = cfg.get_string("machine.preset");
  const sim::MachinePreset* preset = sim::find_preset(p.preset);
  if (!preset) throw cfg.error_at("machine.preset", "unknown preset \"" + p.preset + "\"");
  p.topology = sim::topology_from(cfg, *preset, kMaxCpus);
  p.costs = sim::costs_from(cfg, *preset);
  p.cpus = cfg.get_cpu_list("bench.cpus");
  const int ncpus = p.topology.cpus();
  if (p.cpus.empty())
    for (int i = 0; i < ncpus; ++i) p.cpus.push_back(i);
  for (int c : p.cpus)
    if (c >= ncpus)
      throw cfg.error_at("bench.cpus", fmt::format("CPU {} does not exist: the machine has CPUs 0-{}", c, ncpus - 1));
  p.kind = sim::lock_kind_from_string(cfg.get_string("lock.kind"));
  const std::string& irq = cfg.get_string("lock.irq");
  p.irq = irq == "none" ? sim::IrqMode::Keep : irq == "irq" ? sim::IrqMode::Disable : sim::IrqMode::Save;
  p.think = cfg.get_distribution("bench.think");
  p.hold = cfg.get_distribution("bench.hold");
  p.start_contending = cfg.get_string("bench.start") == "contending";
  p.warmup = cfg.get_duration_ps("bench.warmup");
  p.duration = cfg.get_duration_ps("bench.duration");
  p.batches = static_cast<int>(cfg.get_int("bench.batches"));
  if (p.duration < p.batches)
    throw cfg.error_at("bench.duration", fmt::format("too short for {} batches", p.batches));
  p.simgrid = cfg.get_string("engine.clock") == "simgrid";
  p.quantum = cfg.get_duration_ps("engine.sync_quantum");
  // Store buffers only when asked for: the validation against queueing
  // theory counts the release in the service time, and with buffered
  // releases the test-and-set lock's Little's-law bookkeeping does not close
  // yet (docs/locks-and-costs.md).
  if (cfg.is_set_explicitly("machine.store_buffer")) p.store_buffer = sim::store_buffer_from(cfg);
  return p;
}

Result simulate(const Params& p) {
  const auto wall_start = std::chrono::steady_clock::now();
  sim::Machine m(p.topology, p.costs);
  m.coherence().set_store_buffer(p.store_buffer);
  m.seed = p.seed;
  m.set_stats_start(p.warmup);
  sim::TimedDriver driver(m);
  sim::CacheLine line("L");
  sim::Spinlock lock("L", line, p.kind, m);
  for (int c : p.cpus) m.cpu(c).task().start(bench_loop(lock, p, c), 0);

  const Time end = p.warmup + p.duration;
  BatchClock batches;
  batches.driver = &driver;
  batches.lock = &lock;
  for (int b = 0; b <= p.batches; ++b) batches.boundaries.push_back(p.warmup + p.duration * b / p.batches);
  driver.schedule(batches, batches.boundaries.front());

  // Events at `end` still run (the last boundary is there); steps after it do not.
  if (p.simgrid) {
    sim::SimgridClock clock(m, driver, p.quantum);
    clock.run(end + 1);
  } else {
    driver.run(end + 1);
  }
  for (int c : p.cpus) m.cpu(c).close_accounting(end);

  Result r;
  r.cpus = static_cast<int>(p.cpus.size());
  const double window_ps = static_cast<double>(p.duration);
  r.window_s = window_ps / 1e12;
  const sim::LockStats& s = lock.stats();
  r.acquisitions = s.acquisitions;
  r.contended = s.contended;
  r.wait = s.wait;
  r.hold = s.hold;
  r.max_waiters = s.max_waiters;
  r.throughput_per_s = s.acquisitions / r.window_s;
  r.utilization = static_cast<double>(s.held_total) / window_ps;
  r.mean_waiters = static_cast<double>(s.waiter_time / window_ps);
  r.rate_x_wait = s.wait.count() ? (s.acquisitions / window_ps) * s.wait.mean() : 0.0;
  r.line_transfers = line.transfers();

  std::vector<double> x, w, h, resp, q, u, gap;
  const auto& sn = batches.snaps;
  const Time settled = p.warmup + r.wait.max();  // batches starting here miss no wait
  for (std::size_t b = 1; b < sn.size(); ++b) {
    const double dt = static_cast<double>(sn[b].at - sn[b - 1].at);
    const auto n = static_cast<double>(sn[b].acquisitions - sn[b - 1].acquisitions);
    const auto nh = static_cast<double>(sn[b].hold_count - sn[b - 1].hold_count);
    const double wb = n > 0 ? static_cast<double>(sn[b].wait_sum - sn[b - 1].wait_sum) / n : 0.0;
    const double hb = nh > 0 ? static_cast<double>(sn[b].hold_sum - sn[b - 1].hold_sum) / nh : 0.0;
    const double lb = static_cast<double>(sn[b].waiter_time - sn[b - 1].waiter_time) / dt;
    x.push_back(n / (dt / 1e12));
    w.push_back(wb / 1000.0);
    h.push_back(hb / 1000.0);
    resp.push_back((wb + hb) / 1000.0);
    q.push_back(lb);
    u.push_back(static_cast<double>(sn[b].held_total - sn[b - 1].held_total) / dt);
    if (sn[b - 1].at >= settled) gap.push_back(lb - (n / dt) * wb);
  }
  r.throughput = estimate(x);
  r.wait_ns = estimate(w);
  r.hold_ns = estimate(h);
  r.response_ns = estimate(resp);
  r.waiters = estimate(q);
  r.util = estimate(u);
  r.little_gap = estimate(gap);
  r.little_assessable = gap.size() >= 2;
  // A floor for rounding: the sums are exact to about 1e-15 relative.
  const double floor = 1e-9 * std::max(r.mean_waiters, r.rate_x_wait) + 1e-12;
  r.little_holds = r.little_assessable && std::fabs(r.little_gap.mean) <= r.little_gap.half_width + floor;

  Time spin = 0, busy = 0;
  for (int c : p.cpus) {
    spin += m.cpu(c).time_in(sim::Activity::Spin);
    busy += m.cpu(c).time_in(sim::Activity::Task) + m.cpu(c).time_in(sim::Activity::Spin);
  }
  const double cpu_time = window_ps * static_cast<double>(p.cpus.size());
  r.spin_share = cpu_time > 0 ? spin / cpu_time : 0.0;
  r.busy_share = cpu_time > 0 ? busy / cpu_time : 0.0;
  r.events = driver.events();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return r;
}

aio::RunReport run(const Config& cfg, const std::string& version) {
  const Params p = params_from(cfg);
  const Result r = simulate(p);
  // The speedup's denominator: the same loop on one CPU. It runs here on the
  // driver alone whatever engine.clock says (SimGrid's Engine cannot be
  // created twice in a process; the results do not depend on the clock).
  bool have_base = cfg.get_bool("bench.baseline");
  Result base;
  if (have_base) {
    Params one = p;
    one.cpus = {p.cpus.front()};
    one.simgrid = false;
    base = simulate(one);
  }
  double speedup = 0, speedup_ci = 0;
  if (have_base && base.throughput.mean > 0) {
    speedup = r.throughput.mean / base.throughput.mean;
    const double rel = std::hypot(r.throughput.half_width / r.throughput.mean,
                                  base.throughput.half_width / base.throughput.mean);
    speedup_ci = speedup * rel;
  }
  const double little_rel = r.mean_waiters > 0 ? (r.rate_x_wait - r.mean_waiters) / r.mean_waiters : 0.0;

  ordered_json j;
  j["aiosim_version"] = version;
  j["scenario"] = "lockbench";
  j["seed"] = p.seed;
  j["machine"] = {{"preset", p.preset},
                  {"sockets", p.topology.sockets},
                  {"cores_per_socket", p.topology.cores_per_socket},
                  {"threads_per_core", p.topology.threads_per_core},
                  {"cpus", p.topology.cpus()}};
  j["bench"] = {{"cpus", r.cpus},
                {"lock", sim::to_string(p.kind)},
                {"acquire", irq_name(p.irq)},
                {"think", p.think.to_string()},
                {"hold", p.hold.to_string()},
                {"start", p.start_contending ? "contending" : "thinking"}};
  j["sim"] = {{"simulated_s", sim::to_sec(p.warmup + p.duration)},
              {"measured_s", r.window_s},
              {"wall_s", r.wall_s + base.wall_s},
              {"events", r.events}};
  j["throughput"] = {{"critical_sections_per_s", r.throughput_per_s},
                     {"batch_means", est_json(r.throughput)}};
  ordered_json lk;
  lk["kind"] = sim::to_string(p.kind);
  lk["acquisitions"] = r.acquisitions;
  lk["contended"] = r.contended;
  lk["wait_ns"] = dist_json(r.wait);
  lk["hold_ns"] = dist_json(r.hold);
  lk["utilization"] = r.utilization;
  lk["max_waiters"] = r.max_waiters;
  lk["mean_waiters"] = r.mean_waiters;
  lk["line"] = "L";
  lk["line_transfers"] = r.line_transfers;
  lk["batch_means"] = {{"wait_ns", est_json(r.wait_ns)},
                       {"hold_ns", est_json(r.hold_ns)},
                       {"response_ns", est_json(r.response_ns)},
                       {"mean_waiters", est_json(r.waiters)},
                       {"utilization", est_json(r.util)}};
  lk["little"] = {{"mean_waiters", r.mean_waiters},
                  {"rate_x_mean_wait", r.rate_x_wait},
                  {"relative_difference", little_rel},
                  {"batch_gap", est_json(r.little_gap)},
                  {"assessable", r.little_assessable},
                  {"holds", r.little_holds}};
  j["locks"] = {{"L", lk}};
  if (have_base)
    j["speedup"] = {{"baseline_cpus", 1},
                    {"baseline_critical_sections_per_s", base.throughput.mean},
                    {"baseline_ci95", base.throughput.half_width},
                    {"speedup", speedup},
                    {"ci95", speedup_ci}};
  else
    j["speedup"] = nullptr;
  j["cpu_share"] = {{"spinning", r.spin_share}, {"busy", r.busy_share}};
  j["config"] = cfg.to_json();

  aio::RunReport rep;
  rep.result = j;
  rep.summary_csv = fmt::format(
      // result.json's dotted names (docs/results.md); speedup.* is 0 without a baseline run.
      "scenario,bench.cpus,bench.lock,bench.acquire,machine.preset,throughput.critical_sections_per_s,"
      "throughput.batch_means.ci95,locks.L.wait_ns.mean,locks.L.batch_means.wait_ns.ci95,locks.L.wait_ns.p99,"
      "locks.L.hold_ns.mean,locks.L.utilization,locks.L.mean_waiters,locks.L.little.rate_x_mean_wait,speedup.speedup,"
      "speedup.ci95\n"
      "lockbench,{},{},{},{},{:.1f},{:.1f},{:.3f},{:.3f},{:.1f},{:.3f},{:.5f},{:.5f},{:.5f},{:.4f},{:.4f}\n",
      r.cpus, sim::to_string(p.kind), irq_name(p.irq), p.preset, r.throughput_per_s, r.throughput.half_width,
      r.wait.count() ? r.wait.mean() / 1000.0 : 0.0, r.wait_ns.half_width, sim::to_ns(r.wait.percentile(99)),
      r.hold.count() ? r.hold.mean() / 1000.0 : 0.0, r.utilization, r.mean_waiters, r.rate_x_wait, speedup,
      speedup_ci);
  auto pct = [](const sim::Histogram& hh, double q) { return sim::to_ns(hh.percentile(q)); };
  std::string t = fmt::format(
      "lockbench: {} CPUs, {} lock ({}), preset {}, think {}, hold {}\n"
      "  critical sections {:>12}   {:.0f}/s (batch means {:.0f} +- {:.0f})\n"
      "  simulated        {:>12.3f} ms measured after {:.3f} ms warm-up (wall {:.2f} s, {} events)\n"
      "  wait ns          mean {:.1f} +- {:.1f}, p50 {:.0f}, p90 {:.0f}, p99 {:.0f}, p99.9 {:.0f}, max {:.0f}\n"
      "  hold ns          mean {:.1f}, p50 {:.0f}, p90 {:.0f}, p99 {:.0f}, p99.9 {:.0f}, max {:.0f}\n"
      "  lock             utilisation {:.2f}%, {} contended, max waiters {}, line transfers {}\n"
      "  Little's law     mean waiters {:.4f}, rate x mean wait {:.4f} ({:+.3f}%); per-batch gap {:.2e} +- {:.2e} over {} batches: {}\n",
      r.cpus, sim::to_string(p.kind), irq_name(p.irq), p.preset, p.think.to_string(), p.hold.to_string(),
      r.acquisitions, r.throughput_per_s, r.throughput.mean, r.throughput.half_width,
      sim::to_ns(p.duration) / 1e6, sim::to_ns(p.warmup) / 1e6, r.wall_s + base.wall_s, r.events,
      r.wait.count() ? r.wait.mean() / 1000.0 : 0.0, r.wait_ns.half_width, pct(r.wait, 50), pct(r.wait, 90),
      pct(r.wait, 99), pct(r.wait, 99.9), sim::to_ns(r.wait.max()), r.hold.count() ? r.hold.mean() / 1000.0 : 0.0,
      pct(r.hold, 50), pct(r.hold, 90), pct(r.hold, 99), pct(r.hold, 99.9), sim::to_ns(r.hold.max()),
      100 * r.utilization, r.contended, r.max_waiters, r.line_transfers, r.mean_waiters, r.rate_x_wait,
      100 * little_rel, r.little_gap.mean, r.little_gap.half_width, r.little_gap.batches,
      !r.little_assessable ? "not assessable: the run is too short for its longest wait"
      : r.little_holds     ? "holds"
                           : "VIOLATED");
  if (have_base)
    t += fmt::format("  speedup          {:.3f} +- {:.3f} over one CPU ({:.0f}/s)\n", speedup, speedup_ci,
                     base.throughput.mean);
  t += fmt::format("  CPU spinning     {:>11.2f}%\n", 100 * r.spin_share);
  rep.table = std::move(t);
  return rep;
}

}  // namespace programs::lockbench
