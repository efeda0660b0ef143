// SPDX-License-Identifier: GPL-2.0-only
// aiosim: a discrete-event simulator of the Linux AIO completion path.
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cmd_sweep.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "sim/config.hpp"

namespace {
std::string self_exe(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return argv0;
  buf[n] = '\0';
  return buf;
}

// A seed as text: CLI11 saturates an out-of-range integer (and -5 would mean
// "no seed"), so the text itself must be an integer in [0, 2^63).
CLI::Validator seed_text() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        long long v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 0)
          return "expected an integer in [0, 9223372036854775807], got \"" + sim::config::printable(s, 80) + "\"";
        return {};
      },
      "SEED");
}

int run_main(int argc, char** argv) {
  CLI::App cli{"aiosim: simulate the Linux AIO completion path (kioctx locking designs)"};
  cli.set_version_flag("--version", app::version_string());
  cli.require_subcommand(1);

  app::RunArgs run;
  auto* r = cli.add_subcommand("run", "run one configuration");
  r->add_option("config", run.config, "config file (TOML)")->required();
  r->add_option("--set", run.sets, "override a config key: section.key=value (repeatable)");
  r->add_option("--seed", run.seed, "override the config's seed")->check(seed_text());
  r->add_option("--out", run.out, "write result.json and summary.csv into this directory");
  r->add_flag("--quiet", run.quiet, "print nothing but errors");

  app::CompareArgs cmp;
  auto* c = cli.add_subcommand("compare", "run a side-by-side comparison spec (e.g. experiments/default.toml)");
  c->add_option("spec", cmp.spec, "comparison spec (TOML)")->required();
  c->add_option("--out", cmp.out,
                 "directory for each run's results and comparison.csv (columns: throughput.completed_per_s, "
                 "per_completion.ctx_lock_acquisitions, locks.ctx_lock.wait_ns.p99, locks.completion_lock.wait_ns.p99, "
                 "cpu_share.spinning (0..1; the console's \"spinning %\" is 100 times it), correctness.lost, "
                 "correctness.kernel_races.total: docs/results.md)");
  c->add_option("-j,--jobs", cmp.jobs, "runs in parallel (one simulation per process)")->check(CLI::Range(1, 256));

  app::CheckArgs chk;
  auto* ck = cli.add_subcommand("check", "check configs, sweep and compare specs, scenarios (files or directories) without running");
  ck->add_option("paths", chk.paths, "files, or directories of *.toml files")->required();
  ck->add_flag("--quiet", chk.quiet, "print nothing but errors");

  app::BenchArgs bench;
  auto* b = cli.add_subcommand("bench", "benchmark the reference workloads against the engine floor");
  b->add_flag("--quick", bench.quick, "fewer kiocbs and repetitions");
  b->add_option("--reps", bench.reps, "repetitions per workload (default 5, --quick 3)")->check(CLI::Range(1, 1000));
  b->add_option("--only", bench.only, "run one workload (ref64, ref64-v3.9, ref1024, ref64-10M)")
      ->check(CLI::IsMember({"ref64", "ref64-v3.9", "ref1024", "ref64-10M"}));
  b->add_option("--configs", bench.configs, "directory of the reference configs (default: the source tree's)");
  b->add_option("--out", bench.out, "write bench.csv here");
  bool bench_explore = false;
  b->add_flag("--explore", bench_explore, "instead: the explorer on every built-in scenario, against the step driver's floor");

  app::TraceArgs trace;
  auto* t = cli.add_subcommand("trace", "a narrated event log of a window of one run (text, Chrome JSON, Paje)");
  t->add_option("config", trace.config, "config file (TOML)")->required();
  t->add_option("--set", trace.sets, "override a config key: section.key=value (repeatable)");
  t->add_option("--seed", trace.seed, "override the config's seed")->check(seed_text());
  t->add_option("--from", trace.from, "window start, simulated time (e.g. 200us; default: workload.warmup)");
  t->add_option("--to", trace.to, "window end (default: 20us after --from); the run stops there");
  t->add_option("--out", trace.out, "directory for trace.txt and trace.json")->capture_default_str();
  t->add_option("--paje", trace.paje, "also write a Paje trace through SimGrid's tracing (for ViTE)");
  t->add_option("--max-records", trace.max_records, "keep at most this many records")->capture_default_str()->check(CLI::Range(1LL, 100000000LL));
  t->add_flag("--no-loads", trace.no_loads, "leave plain loads out of trace.txt");
  t->add_flag("--json-loads", trace.json_loads, "put plain loads in trace.json too");
  t->add_flag("--quiet", trace.quiet, "print nothing but errors");

  app::ExploreArgs xa;
  auto* x = cli.add_subcommand("explore", "explore every interleaving of a scenario (DPOR) and check its invariants");
  x->add_option("scenario", xa.scenario, "scenario file, or a built-in name (experiments/scenarios/; --list lists them)");
  x->add_flag("--list", xa.list, "list the built-in scenarios, one line each");
  x->add_option("--design", xa.design, "kioctx design to explore (overrides kioctx.design)");
  x->add_option("--set", xa.sets, "override a scenario key: section.key=value (repeatable)");
  x->add_option("--max-preemptions", xa.max_preemptions, "bound preemptions per schedule (CHESS); -1: unbounded")->check(CLI::Range(-1, 1000));
  x->add_option("--max-schedules", xa.max_schedules, "stop after this many schedules (then not exhaustive)");
  x->add_option("--max-seconds", xa.max_seconds, "stop after this long (then not exhaustive)")->capture_default_str();
  x->add_option("--reduction", xa.reduction, "dpor, or none (every interleaving: small scenarios only)")->check(CLI::IsMember({"dpor", "none"}));
  x->add_flag("--list-states", xa.list_states, "print every distinct end state");
  x->add_option("--random", xa.random, "run this many random schedules instead of an exhaustive search")->check(CLI::Range(1ULL, 1000000000ULL));
  x->add_option("--seed", xa.seed, "seed of the random schedules (--random)");
  x->add_option("--snapshot-interval", xa.snapshot_interval,
                "save the explored system's state every N transitions and backtrack by restoring it; 0: rebuild and "
                "replay every prefix")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));

  app::ValidateArgs val;
  auto* v = cli.add_subcommand("validate", "check the lock micro-benchmark against queueing theory; writes a report");
  v->add_option("--out", val.out, "directory for report.md, the CSV data and the figure")->capture_default_str();
  v->add_flag("--quick", val.quick, "fewer points, shorter runs");
  v->add_option("--seed", val.seed, "seed of every run")->check(seed_text());
  v->add_flag("--quiet", val.quiet, "no progress lines");

  app::ReportArgs rep;
  auto* rp = cli.add_subcommand("report", "a self-contained HTML report of a sweep or run directory (DIR/report.html)");
  rp->add_option("dir", rep.dir, "a sweep directory (runs.csv, summary.csv, sweep.json) or a run directory (result.json)")
      ->required();

  app::PlotArgs pl;
  auto* p = cli.add_subcommand("plot", "any metric of a sweep against any key, with 95% confidence intervals");
  p->add_option("dir", pl.dir, "a sweep directory (runs.csv, summary.csv, sweep.json)")->required();
  p->add_option("--x", pl.x, "column of runs.csv for the x axis (a parameter, or a result such as machine.cpus)")->required();
  p->add_option("--y", pl.y, "metric column of runs.csv for the y axis")->required();
  p->add_option("--hue", pl.hue, "one series per value of this column");
  p->add_option("--col", pl.col, "one panel per value of this column");
  p->add_option("--where", pl.where, "keep only the runs with KEY=VALUE (repeatable)");
  p->add_flag("--logx", pl.logx, "logarithmic x axis");
  p->add_flag("--logy", pl.logy, "logarithmic y axis");
  p->add_option("--out", pl.out, "output file: .pdf, .png or .svg (default DIR/plot-Y-vs-X.png)");

  app::ProfileArgs prof;
  auto* pf = cli.add_subcommand("profile", "perf-report table of a run's CPU time by kernel function; folded stacks and flame graph SVG");
  pf->add_option("dir", prof.dir, "run directory (aiosim run --out DIR)")->required();
  pf->add_option("--context", prof.context, "only this context")->check(CLI::IsMember({"task", "hardirq"}));
  pf->add_option("--cpu-role", prof.cpu_role, "only CPUs of this role (submitter, reaper, canceller, irq, ... as in profile-roles.folded)");
  pf->add_option("--rows", prof.rows, "rows of the table")->capture_default_str()->check(CLI::Range(1LL, 100000LL));
  pf->add_flag("--no-svg", prof.no_svg, "print the table only");

  app::KeysArgs keys;
  auto* k = cli.add_subcommand("keys", "every key of a config, scenario or sweep spec: type, default, range, description");
  k->add_option("kind", keys.kind, "aio (a run config, the default), lockbench, explore (a scenario) or sweep (a spec)")
      ->check(CLI::IsMember({"aio", "lockbench", "explore", "sweep"}));
  k->add_flag("--toml", keys.toml, "print a default config, every key commented, that aiosim run loads as it is");

  app::SweepCommands sweeps(cli);  // sweep, collect, sweep-task (app/cmd_sweep.cpp)
  cli.add_subcommand("presets", "list the machine presets and their costs");
  cli.add_subcommand("designs", "list the kioctx designs");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    // One line, like every other error; CLI11's own form is two.
    app::print_error_line(std::string(e.what()) + " (aiosim --help)");
    return app::kExitBadInput;
  }
  if (*r) return app::cmd_run(run);
  if (*c) return app::cmd_compare(cmp, self_exe(argv[0]));
  if (*ck) return app::cmd_check(chk);
  if (*v) return app::cmd_validate(val);
  if (*t) return app::cmd_trace(trace);
  if (*b) return bench_explore ? app::cmd_explore_bench() : app::cmd_bench(bench, self_exe(argv[0]));
  if (*x) return app::cmd_explore(xa);
  if (*rp) return app::cmd_report(rep);
  if (*p) return app::cmd_plot(pl);
  if (*pf) return app::cmd_profile(prof);
  if (*k) return app::cmd_keys(keys);
  if (sweeps.chosen()) return sweeps.run(self_exe(argv[0]));
  if (cli.got_subcommand("presets")) return app::cmd_presets();
  if (cli.got_subcommand("designs")) return app::cmd_designs();
  return app::kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  // Every error reaches here as an exception: one line, exit 2 for bad input, 1 otherwise.
  try {
    return run_main(argc, argv);
  } catch (...) {
    return app::report_current_exception();
  }
}
