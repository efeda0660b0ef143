// SPDX-License-Identifier: GPL-2.0-only
// The lock micro-benchmark (programs/lockbench) against theory, in short runs:
// M/M/1 and M/D/1 waits, the machine-repairman throughput, the ticket-lock
// collapse point of the Boyd-Wickizer et al. chain, and Little's law; the
// calibration presets against the published table; the CLI around them.
//
// Every expectation is computed here from its formula, independently of the
// simulator and of programs/lockbench/theory.cpp (which `aiosim validate`
// uses, and which is itself checked against these formulas below). Runs use
// the driver alone (engine.clock = "internal"): SimGrid allows one Engine per
// process, the driver any number of simulations.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "programs/lockbench/lockbench.hpp"
#include "programs/lockbench/schema.hpp"
#include "programs/lockbench/theory.hpp"
#include "sim/presets.hpp"
#include "tests/support/cli.hpp"

namespace lb = programs::lockbench;

namespace {

// One lockbench run from config keys, as `aiosim run` would read them.
// Little's law (mean waiters = acquisition rate x mean wait) must hold in
// every run, whatever else the test looks at.
lb::Result run(std::vector<std::string> sets) {
  sets.push_back("engine.clock=internal");
  sets.push_back("bench.baseline=false");
  const auto cfg = sim::config::Config::from_string(lb::schema(), "scenario = \"lockbench\"\n", "test", sets);
  lb::Result r = lb::simulate(lb::params_from(cfg));
  if (r.little_assessable) {
    INFO("Little's law: per-batch gap " << r.little_gap.mean << " +- " << r.little_gap.half_width);
    CHECK(r.little_holds);
  }
  return r;
}

// ---- The formulas, written out here ------------------------------------

// Pollaczek-Khinchine: Wq = rho S (1 + Cs^2) / (2 (1 - rho)).
double pk_wait(double rho, double s, double cs2) { return rho * s * (1 + cs2) / (2 * (1 - rho)); }

// Machine repairman M/M/1//N: p_k = p_0 N!/(N-k)! (S/Z)^k; X = (1 - p_0) / S.
double repairman_throughput(int n, double z, double s) {
  std::vector<double> w{1.0};
  for (int k = 1; k <= n; ++k) w.push_back(w.back() * (n - k + 1) * s / z);
  double sum = 0;
  for (double x : w) sum += x;
  return (1 - w[0] / sum) / s;
}

// The Boyd-Wickizer et al. chain: arrivals (n - k) / a in state k; the holder
// of state k leaves after s + c (k - 1) / 2. X = (n - E[k]) / a. Log weights:
// the products overflow a double for ~100 cores.
double bw_throughput(int n, double a, double s, double c) {
  std::vector<double> lw{0.0};
  for (int k = 1; k <= n; ++k) lw.push_back(lw.back() + std::log((n - k + 1) / a) + std::log(s + c * (k - 1) / 2));
  double top = lw[0];
  for (double x : lw) top = std::max(top, x);
  double sum = 0, ek = 0;
  for (int k = 0; k <= n; ++k) {
    const double p = std::exp(lw[k] - top);
    sum += p;
    ek += k * p;
  }
  return (n - ek / sum) / a;
}

bool within(const lb::Estimate& e, double expected) { return std::fabs(e.mean - expected) <= e.half_width; }

// The open-system runs: N CPUs thinking exp(Z) with Z set so the thinking
// CPUs offer lambda = rho / S (Z = (N - L) S / rho, L the mean at the lock).
std::vector<std::string> open_system(double rho, const char* hold, double cs2, double customers) {
  const int n = 2048;
  const double s = 1000, wq = pk_wait(rho, s, cs2), in_lock = rho * (wq + s) / s, z = (n - in_lock) * s / rho;
  return {"machine.preset=zero",
          "machine.sockets=1",
          fmt::format("machine.cores_per_socket={}", n),
          fmt::format("bench.think=exp({:.3f}ns)", z),
          fmt::format("bench.hold={}", hold),
          "bench.warmup=5ms",
          fmt::format("bench.duration={}ns", static_cast<long long>(customers * s / rho)),
          "bench.batches=30"};
}


}  // namespace

TEST_CASE("M/M/1: the mean wait at rho 0.3, 0.6 and 0.9 is Pollaczek-Khinchine's, within the run's 95% interval",
          "[validation][queueing]") {
  // Hand values (S = 1 us): Wq = rho S / (1 - rho) = 428.6, 1500, 9000 ns.
  for (double rho : {0.3, 0.6, 0.9}) {
    const lb::Result r = run(open_system(rho, "exp(1us)", 1.0, 150e3));
    const double expected = pk_wait(rho, 1000, 1.0);
    INFO("rho " << rho << ": mean wait " << r.wait_ns.mean << " +- " << r.wait_ns.half_width << " ns, expected "
                << expected << "; utilisation " << r.util.mean << " +- " << r.util.half_width);
    CHECK(within(r.wait_ns, expected));
    CHECK(within(r.util, rho));
    // The interval is a real constraint, not the whole scale.
    CHECK(r.wait_ns.half_width < 0.15 * expected);
  }
}

TEST_CASE("M/D/1: the mean wait at rho 0.3, 0.6 and 0.9 is Pollaczek-Khinchine's, within the run's 95% interval",
          "[validation][queueing]") {
  // Half the M/M/1 waits: 214.3, 750, 4500 ns.
  for (double rho : {0.3, 0.6, 0.9}) {
    const lb::Result r = run(open_system(rho, "const(1us)", 0.0, 150e3));
    const double expected = pk_wait(rho, 1000, 0.0);
    INFO("rho " << rho << ": mean wait " << r.wait_ns.mean << " +- " << r.wait_ns.half_width << " ns, expected "
                << expected);
    CHECK(within(r.wait_ns, expected));
    CHECK(r.wait_ns.half_width < 0.15 * expected);
    // A constant hold really is constant (M/D/1, not M/M/1 by accident).
    CHECK(r.hold.max() == r.hold.min());
  }
}

TEST_CASE("machine repairman: throughput at N = 5, 21 and 40 is the M/M/1//N product form", "[validation][queueing]") {
  const double z = 20000, s = 1000;  // ns; saturation at N* = (Z + S) / S = 21
  for (int n : {5, 21, 40}) {
    const double x = repairman_throughput(n, z, s) * 1e9;  // per second
    const lb::Result r = run({"machine.preset=zero", "machine.sockets=1", "machine.cores_per_socket=64",
                              fmt::format("bench.cpus=0-{}", n - 1), "bench.think=exp(20us)", "bench.hold=exp(1us)",
                              "bench.warmup=2ms", fmt::format("bench.duration={}ns", static_cast<long long>(60e3 / x * 1e9)),
                              "bench.batches=30"});
    INFO("N = " << n << ": " << r.throughput.mean << " +- " << r.throughput.half_width << " /s, expected " << x);
    CHECK(within(r.throughput, x));
    CHECK(r.throughput.half_width < 0.03 * x);
  }
}

// Serial section 400 cycles at 2.8 GHz, serial fraction 3.2% (the paper's
// Figure 8 workload), on one socket of the x86-2s-modern preset: one transfer
// c = 49.3 ns, release store 48 ns. The model's s = hold + release + c/2 (the
// part of the simulator's ticket handoff that does not grow with the queue).
TEST_CASE("ticket lock collapses at the core count the Boyd-Wickizer chain predicts, qspinlock does not",
          "[validation][collapse]") {
  const double hold = 400 / 2.8, think = hold * (1 / 0.032 - 1), c = 49.3, s = hold + 48.0 + c / 2;
  int npk = 1;
  for (int n = 2; n <= 64; ++n)
    if (bw_throughput(n, think, s, c) > bw_throughput(npk, think, s, c)) npk = n;
  REQUIRE(npk == 16);  // the formula's answer for these numbers
  const std::vector<int> grid = {8, 12, 14, 15, 16, 17, 18, 20, 24, 32};
  auto curve = [&](const char* kind) {
    std::vector<lb::Estimate> xs;
    for (int n : grid) {
      const double x = bw_throughput(n, think, s, c);  // per ns
      xs.push_back(run({"machine.preset=x86-2s-modern", "machine.sockets=1", "machine.cores_per_socket=32",
                        fmt::format("bench.cpus=0-{}", n - 1), fmt::format("lock.kind={}", kind),
                        fmt::format("bench.think=exp({:.3f}ns)", think), fmt::format("bench.hold=exp({:.3f}ns)", hold),
                        "bench.warmup=1ms", fmt::format("bench.duration={}ns", static_cast<long long>(15e3 / x))})
                       .throughput);
    }
    return xs;
  };
  const auto t = curve("ticket");
  const auto q = curve("qspinlock");
  std::size_t ipk = 0;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (t[i].mean > t[ipk].mean) ipk = i;
  // The grid points statistically level with the simulated peak.
  std::size_t lo = ipk, hi = ipk;
  while (lo > 0 && t[lo - 1].hi() >= t[ipk].lo()) --lo;
  while (hi + 1 < t.size() && t[hi + 1].hi() >= t[ipk].lo()) ++hi;
  INFO("simulated ticket peak at " << grid[ipk] << " cores, level with it " << grid[lo] << "-" << grid[hi]
                                   << "; model peak " << npk);
  CHECK(grid[lo] <= npk);
  CHECK(npk <= grid[hi]);
  // Collapse: at twice the peak the ticket lock is significantly slower.
  INFO("ticket at 32 cores / peak: " << t.back().mean / t[ipk].mean << ", model "
                                     << bw_throughput(32, think, s, c) / bw_throughput(npk, think, s, c));
  CHECK(t.back().hi() < t[ipk].lo());
  // qspinlock on the same workload: its throughput never falls significantly.
  std::size_t iq = 0;
  for (std::size_t i = 1; i < q.size(); ++i)
    if (q[i].mean > q[iq].mean) iq = i;
  INFO("qspinlock at 32 cores " << q.back().mean << " +- " << q.back().half_width << ", its peak " << q[iq].mean);
  CHECK(q.back().hi() >= q[iq].lo());
  CHECK(q.back().mean > 2 * t.back().mean);
}

// Little's law: the lock's time-integrated number of waiters against the
// acquisition rate times the mean wait, batch by batch. With coherence costs
// a waiter's recorded wait includes its failed atomic and the handoff; before
// the engine counted waiters over exactly that span, L was ~7% below
// lambda W here (the gap far outside its interval).
TEST_CASE("Little's law holds on the lock, with and without coherence costs", "[validation][little]") {
  const double hold = 400 / 2.8, think = hold * (1 / 0.032 - 1);
  for (const char* kind : {"ticket", "qspinlock", "tas"})
    for (const char* preset : {"x86-2s-modern", "zero"}) {
      const lb::Result r = run({fmt::format("machine.preset={}", preset), "machine.sockets=1",
                                "machine.cores_per_socket=32", "bench.cpus=0-19", fmt::format("lock.kind={}", kind),
                                fmt::format("bench.think=exp({:.3f}ns)", think),
                                fmt::format("bench.hold=exp({:.3f}ns)", hold), "bench.warmup=1ms",
                                "bench.duration=20ms"});
      INFO(kind << " on " << preset << ": mean waiters " << r.mean_waiters << ", rate x mean wait " << r.rate_x_wait
                << ", per-batch gap " << r.little_gap.mean << " +- " << r.little_gap.half_width << " over "
                << r.little_gap.batches << " batches");
      REQUIRE(r.little_assessable);
      REQUIRE(r.contended > 1000);  // a real queue, not an idle lock
      CHECK(r.little_holds);
      CHECK(std::fabs(r.little_gap.mean) <= r.little_gap.half_width);
      // Whole run: only the waits in progress at the window's ends differ.
      CHECK(r.rate_x_wait == Approx(r.mean_waiters).epsilon(0.01));
    }
}

TEST_CASE("theory code used by aiosim validate matches the formulas", "[validation][theory]") {
  namespace th = lb::theory;
  CHECK(th::mg1_wait(0.9, 1000, 1) == Approx(9000));
  CHECK(th::mg1_wait(0.6, 1000, 0) == Approx(750));
  for (int n : {1, 2, 10, 21, 60}) {
    INFO("N = " << n);
    const auto mr = th::machine_repairman(n, 20000, 1000);
    CHECK(mr.throughput == Approx(repairman_throughput(n, 20000, 1000)).epsilon(1e-12));
    // Exact MVA is the same network solved another way.
    CHECK(th::mva(n, 20000, 1000).throughput == Approx(mr.throughput).epsilon(1e-9));
    CHECK(mr.response == Approx(n / mr.throughput - 20000).epsilon(1e-12));
    // With c = 0 the ticket chain is the machine repairman.
    CHECK(th::bw_ticket(n, 20000, 1000, 0).throughput == Approx(mr.throughput).epsilon(1e-9));
  }
  for (int n : {1, 5, 16, 40, 200}) {
    INFO("n = " << n);
    CHECK(th::bw_ticket(n, 4321.4, 215.5, 49.3).throughput == Approx(bw_throughput(n, 4321.4, 215.5, 49.3)).epsilon(1e-9));
  }
  // The printed closed form charges more per waiter: it peaks earlier.
  CHECK(th::bw_printed(16, 4321.4, 215.5, 49.3).throughput < th::bw_ticket(16, 4321.4, 215.5, 49.3).throughput);
}

// David, Guerraoui, Trigonakis, SOSP 2013, Table 2 (cycles), converted at the
// machines' clocks: the presets must carry the published numbers.
TEST_CASE("presets carry the SOSP 2013 Table 2 latencies", "[validation][presets]") {
  auto cost = [](const char* preset, const char* key) {
    const sim::MachinePreset* p = sim::find_preset(preset);
    REQUIRE(p != nullptr);
    for (const auto& [k, v] : sim::cost_values(p->costs))
      if (k == key) return v;
    FAIL("no cost " << key);
    return 0.0;
  };
  const double opteron = 2.1, xeon = 2.13;
  // Opteron: same die / (same MCM, not modelled) / one hop / two hops.
  CHECK(cost("opteron-magny-cours", "load_modified.same_socket") == Approx(81 / opteron));
  CHECK(cost("opteron-magny-cours", "load_modified.one_hop") == Approx(172 / opteron));
  CHECK(cost("opteron-magny-cours", "load_modified.two_hops") == Approx(252 / opteron));
  CHECK(cost("opteron-magny-cours", "store_shared.same_socket") == Approx(246 / opteron));
  CHECK(cost("opteron-magny-cours", "atomic_shared.one_hop") == Approx(312 / opteron));
  CHECK(cost("opteron-magny-cours", "memory") == Approx(136 / opteron));
  // Xeon: same die / one hop / two hops.
  CHECK(cost("xeon-westmere-ex", "load_modified.same_socket") == Approx(109 / xeon));
  CHECK(cost("xeon-westmere-ex", "load_shared.one_hop") == Approx(223 / xeon));
  CHECK(cost("xeon-westmere-ex", "store_modified.two_hops") == Approx(431 / xeon));
  CHECK(cost("xeon-westmere-ex", "atomic_modified.one_hop") == Approx(324 / xeon));
  CHECK(cost("xeon-westmere-ex", "atomic_shared.two_hops") == Approx(423 / xeon));
  CHECK(cost("xeon-westmere-ex", "memory") == Approx(355 / xeon));
  // zero: everything 0 (the queueing runs above rely on it).
  for (const auto& [k, v] : sim::cost_values(sim::find_preset("zero")->costs)) {
    INFO(k);
    CHECK(v == 0.0);
  }
}

TEST_CASE("aiosim presets lists every preset with its source and every cost", "[validation][presets][cli]") {
  const clitest::ScratchDir dir;
  const clitest::Run r = clitest::aiosim({"presets"}, dir);
  REQUIRE(r.status == 0);
  const std::string& out = r.out;
  for (const auto& p : sim::machine_presets()) {
    INFO(p.name);
    CHECK(out.find(p.name + ": " + p.description) != std::string::npos);
    CHECK(out.find("source: " + p.source) != std::string::npos);
    CHECK_FALSE(p.source.empty());
    for (const auto& [k, v] : sim::cost_values(p.costs)) {
      const std::string line = fmt::format("{:<28} {:>8.2f} ns", k, v);
      INFO(line);
      CHECK(out.find(line) != std::string::npos);
    }
  }
  // Spot values as the table prints them: Opteron same-die HITM 81 cycles = 38.57 ns.
  CHECK(out.find(fmt::format("{:<28} {:>8.2f} ns", "load_modified.same_socket", 81 / 2.1)) != std::string::npos);
}

TEST_CASE("aiosim run selects the lockbench scenario by its scenario key, bad values are one-line errors",
          "[validation][cli]") {
  namespace fs = std::filesystem;
  using clitest::aiosim;
  const clitest::ScratchDir dir;
  auto write = [&](const char* name, const std::string& text) {
    clitest::write_file(dir / name, text);
    return (dir / name).string();
  };
  const std::string good = write("bench.toml",
                                 "scenario = \"lockbench\"\nmachine.preset = \"zero\"\nbench.cpus = \"0-3\"\n"
                                 "bench.think = \"exp(3us)\"\nbench.hold = \"exp(1us)\"\nbench.duration = \"2ms\"\n");
  clitest::Run r = aiosim({"run", good, "--out", (dir / "out").string()}, dir);
  CHECK(r.status == 0);
  CHECK(r.out.find("lockbench: 4 CPUs, ticket lock") != std::string::npos);
  CHECK(r.out.find("Little's law") != std::string::npos);
  CHECK(r.out.find("speedup") != std::string::npos);  // the one-CPU baseline ran in the same process
  CHECK(fs::exists(dir / "out" / "result.json"));
  CHECK(fs::exists(dir / "out" / "summary.csv"));
  // The same under SimGrid's clock (the baseline then runs on the driver alone).
  CHECK(aiosim({"run", good, "--set", "engine.clock=simgrid"}, dir).status == 0);

  // Bad input: exit 2, nothing on stdout, one line on stderr.
  const auto refused = [&](const std::vector<std::string>& args, const std::string& line) {
    const clitest::Run bad = aiosim(args, dir);
    CHECK(bad.status == 2);
    CHECK(bad.out.empty());
    CHECK(bad.err == line);
  };
  const std::string typo = write("typo.toml", "seed = 2\nscenario = \"lockbnech\"\n");
  refused({"run", typo}, "aiosim: " + typo + ":2: scenario: expected one of aio, lockbench, got \"lockbnech\"\n");
  refused({"run", good, "--set", "scenario=nope"}, "aiosim: --set: scenario: expected one of aio, lockbench, got \"nope\"\n");
  // A lockbench key in a lockbench file is checked by the lockbench schema.
  const std::string bad = write("bad.toml", "scenario = \"lockbench\"\nlock.kind = \"mcs\"\n");
  refused({"run", bad}, "aiosim: " + bad + ":2: lock.kind: expected one of ticket, qspinlock, tas, got \"mcs\"\n");
}
