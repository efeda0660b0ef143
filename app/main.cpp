// aiosim: a discrete-event simulator of the Linux AIO completion path.
#include <unistd.h>

#include <climits>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cmd_sweep.hpp"
#include "commands.hpp"

namespace {
std::string self_exe(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return argv0;
  buf[n] = '\0';
  return buf;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"aiosim: simulate the Linux AIO completion path (kioctx locking designs)"};
  cli.set_version_flag("--version", app::version_string());
  cli.require_subcommand(1);

  app::RunArgs run;
  auto* r = cli.add_subcommand("run", "run one configuration");
  r->add_option("config", run.config, "config file (TOML)")->required();
  r->add_option("--set", run.sets, "override a config key: section.key=value (repeatable)");
  r->add_option("--seed", run.seed, "override the config's seed");
  r->add_option("--out", run.out, "write result.json and summary.csv into this directory");
  r->add_flag("--quiet", run.quiet, "print nothing but errors");

  app::CompareArgs cmp;
  auto* c = cli.add_subcommand("compare", "run a side-by-side comparison spec (e.g. experiments/default.toml)");
  c->add_option("spec", cmp.spec, "comparison spec (TOML)")->required();
  c->add_option("--out", cmp.out, "directory for each run's results and comparison.csv");
  c->add_option("-j,--jobs", cmp.jobs, "runs in parallel (one simulation per process)")->check(CLI::Range(1, 256));

  app::BenchArgs bench;
  auto* b = cli.add_subcommand("bench", "benchmark the reference workloads against the engine floor");
  b->add_flag("--quick", bench.quick, "fewer kiocbs and repetitions");
  b->add_option("--reps", bench.reps, "repetitions per workload (default 5, --quick 3)");
  b->add_option("--only", bench.only, "run one workload (ref64, ref64-v3.9, ref1024, ref64-10M)");
  b->add_option("--configs", bench.configs, "directory of the reference configs (default: the source tree's)");
  b->add_option("--out", bench.out, "write bench.csv here");

  app::TraceArgs trace;
  auto* t = cli.add_subcommand("trace", "a narrated event log of a window of one run (text, Chrome JSON, Paje)");
  t->add_option("config", trace.config, "config file (TOML)")->required();
  t->add_option("--set", trace.sets, "override a config key: section.key=value (repeatable)");
  t->add_option("--seed", trace.seed, "override the config's seed");
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
  x->add_option("scenario", xa.scenario, "scenario file, or a built-in name (experiments/scenarios/)")->required();
  x->add_option("--design", xa.design, "kioctx design to explore (overrides kioctx.design)");
  x->add_option("--set", xa.sets, "override a scenario key: section.key=value (repeatable)");
  x->add_option("--max-preemptions", xa.max_preemptions, "bound preemptions per schedule (CHESS); -1: unbounded")->check(CLI::Range(-1, 1000));
  x->add_option("--max-schedules", xa.max_schedules, "stop after this many schedules (then not exhaustive)");
  x->add_option("--max-seconds", xa.max_seconds, "stop after this long (then not exhaustive)");
  x->add_option("--reduction", xa.reduction, "dpor, or none (every interleaving: small scenarios only)")->check(CLI::IsMember({"dpor", "none"}));
  x->add_flag("--list-states", xa.list_states, "print every distinct end state");

  app::ValidateArgs val;
  auto* v = cli.add_subcommand("validate", "check the lock micro-benchmark against queueing theory; writes a report");
  v->add_option("--out", val.out, "directory for report.md, the CSV data and the figure")->capture_default_str();
  v->add_flag("--quick", val.quick, "fewer points, shorter runs");
  v->add_option("--seed", val.seed, "seed of every run")->check(CLI::NonNegativeNumber);
  v->add_flag("--quiet", val.quiet, "no progress lines");

  app::ProfileArgs prof;
  auto* p = cli.add_subcommand("profile", "perf-report table of a run's CPU time by kernel function; folded stacks and flame graph SVG");
  p->add_option("dir", prof.dir, "run directory (aiosim run --out DIR)")->required();
  p->add_option("--context", prof.context, "only this context")->check(CLI::IsMember({"task", "hardirq"}));
  p->add_option("--cpu-role", prof.cpu_role, "only CPUs of this role (submitter, reaper, canceller, irq, ... as in profile-roles.folded)");
  p->add_option("--rows", prof.rows, "rows of the table")->capture_default_str()->check(CLI::Range(1LL, 100000LL));
  p->add_flag("--no-svg", prof.no_svg, "print the table only");

  app::SweepCommands sweeps(cli);  // sweep, collect, sweep-task (app/cmd_sweep.cpp)
  cli.add_subcommand("presets", "list the machine presets and their costs");
  cli.add_subcommand("designs", "list the kioctx designs");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : app::kExitBadInput;
  }
  if (*r) return app::cmd_run(run);
  if (*c) return app::cmd_compare(cmp, self_exe(argv[0]));
  if (*v) return app::cmd_validate(val);
  if (*t) return app::cmd_trace(trace);
  if (*b) return app::cmd_bench(bench, self_exe(argv[0]));
  if (*x) return app::cmd_explore(xa);
  if (*p) return app::cmd_profile(prof);
  if (sweeps.chosen()) return sweeps.run(self_exe(argv[0]));
  if (cli.got_subcommand("presets")) return app::cmd_presets();
  if (cli.got_subcommand("designs")) return app::cmd_designs();
  return app::kExitBadInput;
}
