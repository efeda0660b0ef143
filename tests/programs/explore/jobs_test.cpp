// SPDX-License-Identifier: GPL-2.0-only
// `aiosim explore -j N`: the report is the one of -j 1 (schedules, counts,
// restores, end states, violations and their shortest counterexamples), on
// every built-in scenario, whatever N; bad values of N are bad input, and
// the options -j cannot honour are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "programs/explore/explore.hpp"
#include "tests/support/cli.hpp"

namespace ex = programs::explore;

namespace {

// The report without its time line (the one line that cannot repeat).
std::string report_without_time(const ex::Scenario& sc, const ex::ExploreOptions& o, const ex::ExploreResult& r) {
  std::istringstream in(ex::format_report(sc, o, r, true));
  std::string out, line;
  while (std::getline(in, line))
    if (line.rfind("time ", 0) != 0) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("parallel exploration: -j 2 and -j 3 report what -j 1 reports on every built-in scenario", "[explore][jobs]") {
  int n = 0;
  std::uint64_t used = 0;
  for (const auto& f : std::filesystem::directory_iterator(AIOSIM_SCENARIOS)) {
    if (f.path().extension() != ".toml") continue;
    const ex::Scenario sc = ex::load_scenario(f.path(), {});
    INFO(sc.name);
    ex::ExploreOptions o = ex::options_for(sc);
    // As the rest of the suite explores it (53,781 schedules unbounded).
    if (sc.name == "cancel-complete-destroy-reap") o.max_preemptions = 1;
    o.min_spec_schedules = 0;  // workers take even the smallest subtrees
    const std::string one = report_without_time(sc, o, ex::explore_scenario(sc, o));
    for (int jobs : {2, 3}) {
      INFO("-j " << jobs);
      o.jobs = jobs;
      const ex::ExploreResult r = ex::explore_scenario(sc, o);
      CHECK(report_without_time(sc, o, r) == one);
      used += r.worker_subtrees;
    }
    o.jobs = 1;
    ++n;
  }
  CHECK(n >= 15);
  CHECK(used > 0);  // the workers did take subtrees
}

TEST_CASE("parallel exploration: no worker is forked for an exploration smaller than the threshold", "[explore][jobs]") {
  // usb-cancel-destroy under lazy-cancel runs 451 schedules: no branch of it
  // can have run the 512 a branch must have run before its next sibling goes
  // to a worker, so -j 2 forks nothing; with no threshold, workers take
  // subtrees. Either way the report is -j 1's.
  const ex::Scenario sc = ex::load_scenario(std::filesystem::path(AIOSIM_SCENARIOS) / "usb-cancel-destroy.toml", {});
  ex::ExploreOptions o = ex::options_for(sc);
  const std::string one = report_without_time(sc, o, ex::explore_scenario(sc, o));
  o.jobs = 2;
  REQUIRE(o.min_spec_schedules == 512);
  const ex::ExploreResult r = ex::explore_scenario(sc, o);
  CHECK(r.schedules == 451);
  CHECK(r.worker_subtrees == 0);
  CHECK(r.workers_discarded == 0);
  CHECK(report_without_time(sc, o, r) == one);
  o.min_spec_schedules = 0;
  const ex::ExploreResult all = ex::explore_scenario(sc, o);
  CHECK(all.worker_subtrees + all.workers_discarded > 0);
  CHECK(report_without_time(sc, o, all) == one);
}

TEST_CASE("aiosim explore -j: bad values and the options it cannot honour are one line and exit 2", "[explore][jobs][cli]") {
  clitest::ScratchDir dir;
  for (const char* bad : {"0", "-1", "two", "99999999999999999999", "65"}) {
    INFO("-j " << bad);
    const clitest::Run r = clitest::aiosim({"explore", "usb-cancel-irq", "-j", bad}, dir);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("aiosim: ", 0) == 0);
    CHECK(r.err.find("-j") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  const clitest::Run walk = clitest::aiosim({"explore", "usb-cancel-irq", "-j", "2", "--random", "10"}, dir);
  CHECK(walk.status == 2);
  CHECK(walk.out.empty());
  CHECK(walk.err == "aiosim: -j: random walks draw from one random stream in order and run in one process; use -j 1 "
                    "with --random\n");
  const clitest::Run limit = clitest::aiosim({"explore", "usb-cancel-irq", "-j", "2", "--max-schedules", "5"}, dir);
  CHECK(limit.status == 2);
  CHECK(limit.out.empty());
  CHECK(limit.err.find("aiosim: -j: a schedule limit (5)") == 0);
}

TEST_CASE("aiosim explore -j 2: the same report as -j 1 but for the time line", "[explore][jobs][cli]") {
  clitest::ScratchDir dir;
  auto without_time = [](const std::string& s) {
    std::istringstream in(s);
    std::string out, line;
    while (std::getline(in, line))
      if (line.rfind("time ", 0) != 0) out += line + "\n";
    return out;
  };
  // percpu-refill: 1,580 schedules under lazy-cancel and 2,506 under v3.17,
  // enough for a branch to run 512 and its sibling to go to a worker.
  for (const char* design : {"lazy-cancel", "v3.17"}) {
    INFO(design);
    const clitest::Run one = clitest::aiosim({"explore", "percpu-refill", "--design", design}, dir);
    const clitest::Run two = clitest::aiosim({"explore", "percpu-refill", "--design", design, "-j", "2"}, dir);
    CHECK(two.status == one.status);
    CHECK(two.err == one.err);
    CHECK(without_time(two.out) == without_time(one.out));
    CHECK(two.out.find("(-j 2: ") != std::string::npos);
    // ... and a worker did take a subtree (the line is printed either way).
    CHECK(two.out.find("(-j 2: 0 subtrees explored by workers, 0 worker answers not used)") == std::string::npos);
  }
}

namespace {

std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
  std::vector<pid_t> out;
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

// Gone, or a zombie the init process has not reaped yet: not running.
bool not_running(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace

TEST_CASE("aiosim explore -j 2: Ctrl-C (SIGINT to the explorer) leaves no worker running", "[explore][jobs][cli]") {
  clitest::ScratchDir dir;
  // Unbounded, this scenario takes seconds: there is time to see its workers.
  const pid_t pid = clitest::start_aiosim({"explore", "cancel-complete-destroy-reap", "-j", "2"}, dir, "int");
  std::vector<pid_t> workers;
  for (int k = 0; k < 500 && workers.empty(); ++k) {
    workers = children_of(pid);
    if (workers.empty()) ::usleep(10000);
  }
  REQUIRE_FALSE(workers.empty());
  REQUIRE(::kill(pid, SIGINT) == 0);
  const clitest::Run r = clitest::wait_aiosim(pid, dir, "int");
  CHECK(r.status == -1);  // killed by the signal
  CHECK(r.out.empty());   // no half report
  for (pid_t w : workers) {
    INFO("worker " << w);
    bool gone = false;
    for (int k = 0; k < 200 && !gone; ++k) {
      gone = not_running(w);
      if (!gone) ::usleep(10000);
    }
    CHECK(gone);
  }
}
