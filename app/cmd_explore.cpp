// SPDX-License-Identifier: GPL-2.0-only
// aiosim explore: every interleaving of a scenario's contexts (DPOR), with
// the run's invariants checked in each.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "programs/explore/explore.hpp"
#include "programs/explore/world.hpp"
#include "sim/config.hpp"

namespace app {

namespace {

std::filesystem::path builtin_dir() { return std::filesystem::path(AIOSIM_SOURCE_DIR) / "experiments" / "scenarios"; }

std::vector<std::filesystem::path> builtin_files() {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(builtin_dir(), ec))
    if (f.path().extension() == ".toml") files.push_back(f.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& f : builtin_files()) names.push_back(f.stem().string());
  return names;
}

// The built-in scenarios: "name  description", one line each, by name.
std::string builtin_list() {
  const std::vector<std::filesystem::path> files = builtin_files();
  std::string out;
  for (const auto& f : files) {
    std::string what;
    try {
      what = programs::explore::load_scenario(f).description;
    } catch (const sim::config::ConfigError& e) {
      what = std::string("(does not load: ") + e.what() + ")";
    }
    if (const auto nl = what.find('\n'); nl != std::string::npos) what = what.substr(0, nl) + " ...";
    out += fmt::format("{:<30} {}\n", f.stem().string(), what);
  }
  return out;
}

// A scenario given by name ("usb-cancel-irq") is looked up among the
// built-in ones in experiments/scenarios/.
std::filesystem::path resolve(const std::string& s) {
  std::error_code ec;
  if (std::filesystem::exists(s, ec) || s.find('/') != std::string::npos || s.ends_with(".toml")) return s;
  std::filesystem::path builtin = builtin_dir() / (s + ".toml");
  if (std::filesystem::exists(builtin, ec)) return builtin;
  // Neither a file nor a built-in name: the one error line names the built-in ones.
  throw InputError(fmt::format("{}: no such scenario file or built-in scenario; built-in: {} (aiosim explore --list)",
                               sim::config::printable(s, 80), fmt::join(builtin_names(), ", ")));
}

// Every exploration has a time budget (600 s unless --max-seconds says otherwise).
constexpr double kMinSeconds = 0.001, kMaxSeconds = 1e7;

}  // namespace

int cmd_explore(const ExploreArgs& a) {
  namespace ex = programs::explore;
  if (a.list) {
    fmt::print("{}", builtin_list());
    return kExitOk;
  }
  if (a.scenario.empty()) throw InputError("explore: a scenario (file or built-in name) is needed; aiosim explore --list lists them");
  std::vector<std::string> sets = a.sets;
  if (!a.design.empty()) sets.push_back("kioctx.design=" + a.design);
  if (a.max_preemptions >= -1) sets.push_back(fmt::format("explore.max_preemptions={}", a.max_preemptions));
  if (a.max_schedules > 0) sets.push_back(fmt::format("explore.max_schedules={}", a.max_schedules));
  // Written so that NaN fails too.
  if (!(a.max_seconds >= kMinSeconds && a.max_seconds <= kMaxSeconds))
    throw InputError(fmt::format("--max-seconds: expected a number of seconds in [{}, {}], got {}", kMinSeconds,
                                 kMaxSeconds, a.max_seconds));
  // An override this command made from one of its options is reported as
  // that option, not as a --set the user never wrote.
  const std::vector<std::pair<std::string, std::string>> option_of = {
      {"kioctx.design", "--design"}, {"explore.max_preemptions", "--max-preemptions"},
      {"explore.max_schedules", "--max-schedules"}};
  const ex::Scenario sc = [&] {
    try {
      return ex::load_scenario(resolve(a.scenario), sets);
    } catch (const sim::config::ConfigError& e) {
      if (e.file != "--set") throw;
      const bool from_user = std::any_of(a.sets.begin(), a.sets.end(),
                                         [&](const std::string& s) { return s.rfind(e.key + "=", 0) == 0; });
      for (const auto& [key, option] : option_of)
        if (key == e.key && !from_user) throw InputError(fmt::format("{}: {}", option, e.message));
      throw;
    }
  }();
  ex::ExploreOptions opt = ex::options_for(sc);
  if (a.reduction == "none") opt.reduction = ex::Reduction::None;
  if (a.random > 0) {
    opt.reduction = ex::Reduction::Random;
    opt.random_walks = a.random;
    opt.seed = a.seed;
  }
  opt.max_seconds = a.max_seconds;
  opt.snapshots = a.snapshot_interval > 0;
  opt.snapshot_interval = a.snapshot_interval;
  opt.jobs = a.jobs;
  if (opt.jobs > 1 && opt.reduction == ex::Reduction::Random)
    throw InputError("-j: random walks draw from one random stream in order and run in one process; use -j 1 with --random");
  if (opt.jobs > 1 && opt.max_schedules)
    throw InputError(fmt::format("-j: a schedule limit ({}) stops at a point that depends on the order in which the "
                                 "workers finish; use -j 1 with a schedule limit", opt.max_schedules));
  ex::ExploreResult r;
  try {
    r = ex::explore_scenario(sc, opt);
  } catch (const std::logic_error& e) {
    throw InputError(fmt::format("scenario {}: {}", sc.file, e.what()));
  }
  fmt::print("{}", ex::format_report(sc, opt, r, a.list_states));
  std::fflush(stdout);
  return r.violations.empty() ? kExitOk : kExitViolation;
}

// Every built-in scenario explored as `aiosim explore NAME` would, timed
// (wall and this process's CPU time, as the machine may be shared), beside
// the floor: the same scenario built and stepped to its end with no
// analysis, as many times as the exploration ran schedules. A schedule
// costs the explorer its new transitions plus a restore (or a rebuild and
// the replayed prefix, with --snapshot-interval 0) plus the race analysis;
// the floor pays a build and every transition.
int cmd_explore_bench(bool quick) {
  namespace ex = programs::explore;
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(fs::path(AIOSIM_SOURCE_DIR) / "experiments" / "scenarios"))
    if (f.path().extension() == ".toml") files.push_back(f.path());
  std::sort(files.begin(), files.end());
  fmt::print("{:<30} {:>9} {:>11} {:>9} {:>8} {:>8} {:>11} {:>13} {:>13} {:>7}\n", "scenario", "schedules", "transitions",
             "restores", "wall s", "cpu s", "schedules/s", "transitions/s", "floor sched/s", "/floor");
  for (const fs::path& file : files) {
    ex::Scenario sc;
    try {
      sc = ex::load_scenario(file, {});
    } catch (const sim::config::ConfigError& e) {
      fmt::print(stderr, "aiosim: {}\n", e.what());
      return kExitBadInput;
    }
    ex::ExploreOptions opt = ex::options_for(sc);
    if (quick) opt.max_schedules = 3000;
    const std::clock_t c0 = std::clock();
    const ex::ExploreResult r = ex::explore_scenario(sc, opt);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const sim::mc::Floor f = sim::mc::measure_floor(ex::world_factory(sc), std::max<std::uint64_t>(r.schedules, 1));
    const double sps = r.schedules / r.seconds, floor_sps = f.schedules / f.seconds;
    fmt::print("{:<30} {:>9} {:>11} {:>9} {:>8.3f} {:>8.3f} {:>11.0f} {:>13.0f} {:>13.0f} {:>7.2f}{}\n", sc.name,
               r.schedules, r.transitions, r.restores, r.seconds, cpu, sps, r.transitions / r.seconds, floor_sps,
               sps / floor_sps, r.limit_hit ? "  (first schedules only)" : r.exhaustive ? "" : "  (bounded)");
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace app
