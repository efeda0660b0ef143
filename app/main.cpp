// SPDX-License-Identifier: GPL-2.0-only
// aiosim: a discrete-event simulator of the Linux AIO completion path.
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cmd_sweep.hpp"
#include "app/commands.hpp"
#include "app/errors.hpp"
#include "programs/registry.hpp"
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

// Every subcommand's arguments, filled in by CLI11 when it parses.
struct Options {
  std::string self;  // this executable, for the commands that run it in child processes
  app::RunArgs run;
  app::CompareArgs cmp;
  app::CheckArgs chk;
  app::BenchArgs bench;
  bool bench_explore = false;
  app::TraceArgs trace;
  app::ExploreArgs xa;
  app::ValidateArgs val;
  app::ReportArgs rep;
  app::PlotArgs pl;
  app::ProfileArgs prof;
  app::KeysArgs keys;
};

// Each subcommand with what it does when chosen.
using Commands = std::vector<std::pair<CLI::App*, std::function<int()>>>;

// run, compare, check: one config, a comparison, checks without running
void add_run_commands(CLI::App& cli, Options& o, Commands& cmds) {
  auto* r = cli.add_subcommand("run", "run one configuration");
  r->add_option("config", o.run.config, "config file (TOML)")->required();
  r->add_option("--set", o.run.sets, "override a config key: section.key=value (repeatable)");
  r->add_option("--seed", o.run.seed, "override the config's seed")->check(seed_text());
  r->add_option("--out", o.run.out, "write result.json and summary.csv into this directory");
  r->add_flag("--quiet", o.run.quiet, "print nothing but errors");
  cmds.emplace_back(r, [&o] { return app::cmd_run(o.run); });

  auto* c = cli.add_subcommand("compare", "run a side-by-side comparison spec (e.g. experiments/default.toml) as a sweep");
  c->add_option("spec", o.cmp.spec, "comparison spec (TOML)")->required();
  c->add_option("--out", o.cmp.out,
                 "sweep directory: sweep.json, runs/NNNNNN/ (run = point * values + value), runs.csv, summary.csv, "
                 "results.sqlite as aiosim sweep writes them, and comparison.csv (columns: throughput.completed_per_s, "
                 "per_completion.ctx_lock_acquisitions, locks.ctx_lock.wait_ns.p99, locks.completion_lock.wait_ns.p99, "
                 "cpu_share.spinning (0..1; the console's \"spinning %\" is 100 times it), correctness.lost, "
                 "correctness.kernel_races.total: docs/results.md)");
  c->add_option("-j,--jobs", o.cmp.jobs, "runs in parallel (one simulation per process)")->check(CLI::Range(1, 256));
  cmds.emplace_back(c, [&o] { return app::cmd_compare(o.cmp, o.self); });

  auto* ck = cli.add_subcommand("check", "check configs, sweep and compare specs, scenarios (files or directories) without running");
  ck->add_option("paths", o.chk.paths, "files, or directories of *.toml files")->required();
  ck->add_flag("--quiet", o.chk.quiet, "print nothing but errors");
  cmds.emplace_back(ck, [&o] { return app::cmd_check(o.chk); });
}

// bench: the reference workloads, or the explorer on every scenario
void add_bench(CLI::App& cli, Options& o, Commands& cmds) {
  auto* b = cli.add_subcommand("bench", "benchmark the reference workloads against the engine floor");
  b->add_flag("--quick", o.bench.quick, "fewer kiocbs and repetitions");
  b->add_option("--reps", o.bench.reps, "repetitions per workload (default 5, --quick 3)")->check(CLI::Range(1, 1000));
  b->add_option("--only", o.bench.only,
                 "run one workload (ref64, ref64-mm-parent, ref64-v3.17, ref64-io_uring, ref1024, ref64-10M)")
      ->check(CLI::IsMember({"ref64", "ref64-mm-parent", "ref64-v3.17", "ref64-io_uring", "ref1024", "ref64-10M"}));
  b->add_option("--configs", o.bench.configs, "directory of the reference configs (default: the source tree's)");
  b->add_option("--out", o.bench.out, "write bench.csv here");
  b->add_flag("--explore", o.bench_explore, "instead: the explorer on every built-in scenario, against the step driver's floor (--quick: the first 3000 schedules of each)");
  cmds.emplace_back(b, [&o] { return o.bench_explore ? app::cmd_explore_bench(o.bench.quick) : app::cmd_bench(o.bench, o.self); });
}

// trace: a narrated window of one run
void add_trace(CLI::App& cli, Options& o, Commands& cmds) {
  auto* t = cli.add_subcommand("trace", "a narrated event log of a window of one run (text, Chrome JSON, Paje)");
  t->add_option("config", o.trace.config, "config file (TOML)")->required();
  t->add_option("--set", o.trace.sets, "override a config key: section.key=value (repeatable)");
  t->add_option("--seed", o.trace.seed, "override the config's seed")->check(seed_text());
  t->add_option("--from", o.trace.from, "window start, simulated time (e.g. 200us; default: workload.warmup)");
  t->add_option("--to", o.trace.to, "window end (default: 20us after --from); the run stops there");
  t->add_option("--out", o.trace.out, "directory for trace.txt and trace.json")->capture_default_str();
  t->add_option("--paje", o.trace.paje, "also write a Paje trace through SimGrid's tracing (for ViTE)");
  t->add_option("--max-records", o.trace.max_records, "keep at most this many records")->capture_default_str()->check(CLI::Range(1LL, 100000000LL));
  t->add_flag("--no-loads", o.trace.no_loads, "leave plain loads out of trace.txt");
  t->add_flag("--json-loads", o.trace.json_loads, "put plain loads in trace.json too");
  t->add_flag("--quiet", o.trace.quiet, "print nothing but errors");
  cmds.emplace_back(t, [&o] { return app::cmd_trace(o.trace); });
}

// explore: every interleaving of a scenario
void add_explore(CLI::App& cli, Options& o, Commands& cmds) {
  auto* x = cli.add_subcommand("explore", "explore every interleaving of a scenario (DPOR) and check its invariants");
  x->add_option("scenario", o.xa.scenario, "scenario file, or a built-in name (experiments/scenarios/; --list lists them)");
  x->add_flag("--list", o.xa.list, "list the built-in scenarios, one line each");
  x->add_option("--design", o.xa.design, "kioctx design to explore (overrides kioctx.design)");
  x->add_option("--set", o.xa.sets, "override a scenario key: section.key=value (repeatable)");
  x->add_option("--max-preemptions", o.xa.max_preemptions, "bound preemptions per schedule (CHESS); -1: unbounded")->check(CLI::Range(-1, 1000));
  x->add_option("--max-schedules", o.xa.max_schedules, "stop after this many schedules (then not exhaustive)");
  x->add_option("--max-seconds", o.xa.max_seconds, "stop after this long (then not exhaustive)")->capture_default_str();
  x->add_option("--reduction", o.xa.reduction, "dpor, or none (every interleaving: small scenarios only)")->check(CLI::IsMember({"dpor", "none"}));
  x->add_flag("--list-states", o.xa.list_states, "print every distinct end state");
  x->add_option("--random", o.xa.random, "run this many random schedules instead of an exhaustive search")->check(CLI::Range(1ULL, 1000000000ULL));
  x->add_option("--seed", o.xa.seed, "seed of the random schedules (--random)");
  x->add_option("--snapshot-interval", o.xa.snapshot_interval,
                "save the explored system's state every N transitions and backtrack by restoring it; 0: rebuild and "
                "replay every prefix")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  x->add_option("-j,--jobs", o.xa.jobs,
                "explore with N processes (forked workers take the next subtrees; the report is the one of -j 1)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmds.emplace_back(x, [&o] { return app::cmd_explore(o.xa); });
}

// validate: the lock micro-benchmark against theory
void add_validate(CLI::App& cli, Options& o, Commands& cmds) {
  auto* v = cli.add_subcommand("validate", "check the lock micro-benchmark against queueing theory; writes a report");
  v->add_option("--out", o.val.out, "directory for report.md, the CSV data and the figure")->capture_default_str();
  v->add_flag("--quick", o.val.quick, "fewer points, shorter runs");
  v->add_option("--seed", o.val.seed, "seed of every run")->check(seed_text());
  v->add_flag("--quiet", o.val.quiet, "no progress lines");
  cmds.emplace_back(v, [&o] { return app::cmd_validate(o.val); });
}

// report, plot, profile, keys: reading results and the schemas
void add_report_commands(CLI::App& cli, Options& o, Commands& cmds) {
  auto* rp = cli.add_subcommand("report", "a self-contained HTML report of a sweep or run directory (DIR/report.html)");
  rp->add_option("dir", o.rep.dir, "a sweep directory (runs.csv, summary.csv, sweep.json) or a run directory (result.json)")
      ->required();
  cmds.emplace_back(rp, [&o] { return app::cmd_report(o.rep); });

  auto* p = cli.add_subcommand("plot", "any metric of a sweep against any key, with 95% confidence intervals");
  p->add_option("dir", o.pl.dir, "a sweep directory (runs.csv, summary.csv, sweep.json)")->required();
  p->add_option("--x", o.pl.x, "column of runs.csv for the x axis (a parameter, or a result such as machine.cpus)")->required();
  p->add_option("--y", o.pl.y, "metric column of runs.csv for the y axis")->required();
  p->add_option("--hue", o.pl.hue, "one series per value of this column");
  p->add_option("--col", o.pl.col, "one panel per value of this column");
  p->add_option("--where", o.pl.where, "keep only the runs with KEY=VALUE (repeatable)");
  p->add_flag("--logx", o.pl.logx, "logarithmic x axis");
  p->add_flag("--logy", o.pl.logy, "logarithmic y axis");
  p->add_option("--out", o.pl.out, "output file: .pdf, .png or .svg (default DIR/plot-Y-vs-X.png)");
  cmds.emplace_back(p, [&o] { return app::cmd_plot(o.pl); });

  auto* pf = cli.add_subcommand("profile", "perf-report table of a run's CPU time by kernel function; folded stacks and flame graph SVG");
  pf->add_option("dir", o.prof.dir, "run directory (aiosim run --out DIR)")->required();
  pf->add_option("--context", o.prof.context, "only this context")->check(CLI::IsMember({"task", "hardirq"}));
  pf->add_option("--cpu-role", o.prof.cpu_role, "only CPUs of this role (submitter, reaper, canceller, irq, ... as in profile-roles.folded)");
  pf->add_option("--rows", o.prof.rows, "rows of the table")->capture_default_str()->check(CLI::Range(1LL, 100000LL));
  pf->add_flag("--no-svg", o.prof.no_svg, "print the table only");
  cmds.emplace_back(pf, [&o] { return app::cmd_profile(o.prof); });

  auto* k = cli.add_subcommand("keys", "every key of a config, scenario, sweep or compare spec: type, default, range, description");
  std::vector<std::string> kinds;
  for (const programs::Program& p : programs::all()) kinds.push_back(p.name);
  kinds.insert(kinds.end(), {"explore", "sweep", "compare"});
  k->add_option("kind", o.keys.kind,
                "aio (a run config, the default), lockbench, explore (a scenario), sweep or compare (a spec)")
      ->check(CLI::IsMember(kinds));
  k->add_flag("--toml", o.keys.toml, "print a default config, every key commented, that aiosim run loads as it is");
  cmds.emplace_back(k, [&o] { return app::cmd_keys(o.keys); });
}

int run_main(int argc, char** argv) {
  CLI::App cli{"aiosim: simulate the Linux AIO completion path (kioctx locking designs)"};
  cli.set_version_flag("--version", app::version_string());
  cli.require_subcommand(1);

  // Subcommands in the order --help lists them.
  Options o;
  o.self = self_exe(argv[0]);
  Commands cmds;
  add_run_commands(cli, o, cmds);
  add_bench(cli, o, cmds);
  add_trace(cli, o, cmds);
  add_explore(cli, o, cmds);
  add_validate(cli, o, cmds);
  add_report_commands(cli, o, cmds);
  app::SweepCommands sweeps(cli);  // sweep, collect, sweep-task (app/cmd_sweep.cpp)
  cmds.emplace_back(cli.add_subcommand("presets", "list the machine presets and their costs"), [] { return app::cmd_presets(); });
  auto* designs = cli.add_subcommand("designs", "list the kioctx designs: name, kernel tag, what changed");
  auto designs_json = std::make_shared<bool>(false);
  designs->add_flag("--json", *designs_json, "print them as a JSON array (name, tag, description, planted_bug, ...)");
  cmds.emplace_back(designs, [designs_json] { return app::cmd_designs(*designs_json); });

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    // One line, like every other error; CLI11's own form is two.
    app::print_error_line(std::string(e.what()) + " (aiosim --help)");
    return app::kExitBadInput;
  }
  if (sweeps.chosen()) return sweeps.run(o.self);
  for (const auto& [sub, action] : cmds)
    if (*sub) return action();
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
