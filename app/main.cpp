// aiosim: a discrete-event simulator of the Linux AIO completion path.
#include <unistd.h>

#include <climits>
#include <cstdio>

#include <CLI/CLI.hpp>

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

  cli.add_subcommand("presets", "list the machine presets and their costs");
  cli.add_subcommand("designs", "list the kioctx designs");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : app::kExitBadInput;
  }
  if (*r) return app::cmd_run(run);
  if (*c) return app::cmd_compare(cmp, self_exe(argv[0]));
  if (cli.got_subcommand("presets")) return app::cmd_presets();
  if (cli.got_subcommand("designs")) return app::cmd_designs();
  return app::kExitBadInput;
}
