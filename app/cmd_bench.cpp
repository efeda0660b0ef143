// SPDX-License-Identifier: GPL-2.0-only
// `aiosim bench`: the reference workloads of issue #7, each run several
// times in its own process (SimGrid allows one simulation per process), with
// the engine floor measured first in this process.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "sim/atomic_file.hpp"
#include "sim/timer_floor.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

struct Sample {
  double wall_s = 0, kiocbs = 0, events = 0, rss_mb = 0, allocations = 0;
};

struct Workload {
  std::string name;
  long kiocbs_quick;  // --quick: fewer kiocbs
  long in_flight;     // submitters x queue depth, for the memory budget
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The engine is measured without the profile (output.profile, on by default
// for `aiosim run`); its cost is measured apart, on ref64.
bool run_once(const std::string& self, const fs::path& config, long kiocbs, const fs::path& out, Sample& s,
              bool profile = false) {
  std::vector<std::string> args = {self, "run", config.string(), "--quiet", "--out", out.string()};
  if (kiocbs > 0) args.insert(args.end(), {"--set", fmt::format("workload.kiocbs={}", kiocbs)});
  if (!profile) args.insert(args.end(), {"--set", "output.profile=false"});
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print(stderr, "aiosim bench: `{}` exited with status {}\n", fmt::join(args, " "), status);
    return false;
  }
  std::ifstream in(out / "result.json");
  nlohmann::json r = nlohmann::json::parse(in);
  s.wall_s = r["sim"]["wall_s"].get<double>();
  s.kiocbs = r["sim"]["kiocbs"].get<double>();
  s.events = r["sim"]["events"].get<double>();
  s.allocations = r["sim"]["allocations"].get<double>();
  s.rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return true;
}

}  // namespace

int cmd_bench(const BenchArgs& a, const std::string& self) {
  const fs::path configs = a.configs.empty() ? fs::path(AIOSIM_SOURCE_DIR) / "experiments" / "bench" : fs::path(a.configs);
  const int reps = a.reps > 0 ? a.reps : (a.quick ? 3 : 5);
  std::vector<Workload> all = {{"ref64", 200000, 48 * 32},
                               {"ref64-mm-parent", 200000, 48 * 32},
                               {"ref64-v3.17", 200000, 48 * 32},
                               {"ref64-io_uring", 200000, 48 * 32},
                               {"ref1024", 100000, 768 * 32},
                               {"ref64-10M", 2000000, 48 * 32}};

  const std::uint64_t floor_cs = a.quick ? 300000 : 2000000;
  sim::TimerFloor floor = sim::measure_timer_floor(64, floor_cs);
  fmt::print("engine floor: 64-CPU closed lock loop on SimGrid kernel timers: {} timers in {:.3f} s = {:.0f} timers/s "
             "({:.0f} critical sections/s)\n\n",
             floor.timers, floor.wall_s, floor.timers_per_s(), floor.critical_sections / floor.wall_s);

  std::string csv = "workload,reps,kiocbs,wall_s_median,wall_s_min,wall_s_max,kiocbs_per_s_median,events_per_kiocb,"
                    "events_per_s_median,ratio_to_floor,peak_rss_mb_median,rss_budget_mb,allocs_per_event_steady\n";
  fmt::print("{:<11} {:>4} {:>9} {:>24} {:>12} {:>9} {:>12} {:>7} {:>10} {:>8} {:>12}\n", "workload", "reps", "kiocbs",
             "wall s median [min-max]", "kiocbs/s", "ev/kiocb", "events/s", "/floor", "RSS MB", "budget", "allocs/event");
  char tmpl[] = "/tmp/aiosim-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return kExitIo;
  const fs::path tmp = tmpl;
  std::map<std::string, double> wall_of;
  std::vector<double> walls_profiled;  // ref64 with output.profile = true, interleaved with its runs
  for (const Workload& w : all) {
    if (!a.only.empty() && a.only != w.name) continue;
    std::vector<double> walls, kps, eps, rss;
    Sample s;
    for (int r = 0; r < reps; ++r) {
      if (!run_once(self, configs / (w.name + ".toml"), a.quick ? w.kiocbs_quick : 0, tmp / w.name, s)) {
        fmt::print(stderr, "aiosim bench: {} failed\n", w.name);
        fs::remove_all(tmp);
        return kExitViolation;
      }
      walls.push_back(s.wall_s);
      if (w.name == "ref64") {
        // What the profile costs: the same run with it, right after, so
        // both see the same machine.
        Sample on;
        if (!run_once(self, configs / (w.name + ".toml"), a.quick ? w.kiocbs_quick : 0, tmp / w.name, on, true)) {
          fs::remove_all(tmp);
          return kExitViolation;
        }
        walls_profiled.push_back(on.wall_s);
      }
      kps.push_back(s.kiocbs / s.wall_s);
      eps.push_back(s.events / s.wall_s);
      rss.push_back(s.rss_mb);
    }
    // Allocations per event once warm: the same workload at half the length;
    // the difference between the two runs is steady-state running only.
    Sample half;
    const long n = a.quick ? w.kiocbs_quick : static_cast<long>(s.kiocbs);
    if (!run_once(self, configs / (w.name + ".toml"), n / 2, tmp / w.name, half)) {
      fs::remove_all(tmp);
      return kExitViolation;
    }
    const double steady_allocs =
        s.events > half.events ? (s.allocations - half.allocations) / (s.events - half.events) : 0.0;
    const double budget = 50.0 + 300.0 * static_cast<double>(w.in_flight) / (1024.0 * 1024.0);
    const double wall_med = median(walls);
    wall_of[w.name] = wall_med;
    fmt::print("{:<11} {:>4} {:>9.0f} {:>10.3f} [{:.3f}-{:.3f}] {:>12.0f} {:>9.1f} {:>12.0f} {:>7.2f} {:>10.1f} {:>8.1f} {:>12.6f}\n",
               w.name, reps, s.kiocbs, wall_med, *std::min_element(walls.begin(), walls.end()),
               *std::max_element(walls.begin(), walls.end()), median(kps), s.events / s.kiocbs, median(eps),
               median(eps) / floor.timers_per_s(), median(rss), budget, steady_allocs);
    csv += fmt::format("{},{},{:.0f},{:.4f},{:.4f},{:.4f},{:.0f},{:.2f},{:.0f},{:.3f},{:.1f},{:.1f},{:.6f}\n", w.name, reps,
                       s.kiocbs, wall_med, *std::min_element(walls.begin(), walls.end()),
                       *std::max_element(walls.begin(), walls.end()), median(kps), s.events / s.kiocbs, median(eps),
                       median(eps) / floor.timers_per_s(), median(rss), budget, steady_allocs);
  }
  fs::remove_all(tmp);
  if (wall_of.count("ref64") && !walls_profiled.empty())
    fmt::print("\nprofile (output.profile, on by default in run and sweeps; off in the table above): ref64 wall "
               "{:.3f} s with it, {:.3f} s without (medians of {} interleaved runs): {:+.1f}%\n",
               median(walls_profiled), wall_of["ref64"], walls_profiled.size(),
               100.0 * (median(walls_profiled) / wall_of["ref64"] - 1.0));
  if (wall_of.count("ref64") && wall_of.count("ref64-10M"))
    fmt::print("\nref64-10M / ref64 wall: {:.2f} (target <= 11 for 10x the kiocbs)\n",
               wall_of["ref64-10M"] / wall_of["ref64"]);
  if (wall_of.count("ref64") && wall_of.count("ref1024"))
    fmt::print("ref1024 / ref64 wall: {:.2f} (target <= 2)\n", wall_of["ref1024"] / wall_of["ref64"]);
  if (!a.out.empty()) {
    fs::create_directories(a.out);
    sim::write_file_atomically(fs::path(a.out) / "bench.csv", csv);
  }
  return kExitOk;
}

}  // namespace app
