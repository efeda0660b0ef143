// SPDX-License-Identifier: GPL-2.0-only
// `aiosim sweep`, `aiosim collect` and `aiosim sweep-task` end to end: the
// local pool, manifests, failures, SIGKILL and resume, and the Slurm backend's
// job array run by hand through a stand-in sbatch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/app/sweep/harness.hpp"

using namespace sweeptest;
using json = nlohmann::json;

namespace {

// 12 runs of about 0.1 s each (2 of 8 grid points dropped).
const char* kSpec = R"T([sweep]
base = "base.toml"
replications = 2
constraints = ["workload.queue_depth <= 4 * workload.batch"]
[set]
workload.kiocbs = 1500
[axes]
kioctx.design = ["mm-parent", "lazy-cancel"]
workload.batch = [4, 8]
workload.queue_depth = [16, 32]
)T";

struct Sweep {
  ScratchDir s;
  Sweep(const std::string& spec = kSpec) {
    write_file(s / "base.toml", small_base());
    write_file(s / "spec.toml", spec);
  }
  std::string spec() const { return (s / "spec.toml").string(); }
  std::string out(const std::string& name) const { return (s / name).string(); }
};

// Processes whose working directory is under `dir` (the sweep's `aiosim run` children).
int processes_in(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const fs::path cwd = fs::read_symlink(e.path() / "cwd", ec);
    if (!ec && cwd.string().rfind(dir.string(), 0) == 0) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("sweep --list prints the runs and runs nothing", "[sweep-cli]") {
  Sweep w;
  const auto r = aiosim({"sweep", w.spec(), "--list", "--out", w.out("o")}, w.s.path());
  REQUIRE(r.status == 0);
  const auto ls = lines(r.out);
  REQUIRE(ls.size() == 14);
  CHECK(ls[1].find("kioctx.design=mm-parent workload.batch=4 workload.queue_depth=16") != std::string::npos);
  CHECK(ls[2].find("workload.batch=4 workload.queue_depth=16") != std::string::npos);
  CHECK(ls[3].find("workload.batch=8 workload.queue_depth=16") != std::string::npos);
  CHECK(ls[13] == "12 runs: 6 grid points (2 of 8 dropped by constraints), 2 replications each");
  CHECK_FALSE(fs::exists(w.out("o")));
}

TEST_CASE("a local sweep runs every run once, with manifests, the same bytes at -j 1 and -j 2", "[sweep-cli]") {
  Sweep w;
  const auto a = aiosim({"sweep", w.spec(), "--out", w.out("j2"), "-j", "2"}, w.s.path());
  REQUIRE(a.status == 0);
  CHECK(a.err.find("sweep: 12 runs, 0 already complete, 12 to run on 2 workers") != std::string::npos);
  CHECK(a.err.find("sweep: [12/12] 0 failed, elapsed ") != std::string::npos);
  CHECK(a.err.find("M events/s") != std::string::npos);
  CHECK(a.out.find("sweep: 12 runs: 12 ok, 0 failed") != std::string::npos);

  const auto runs = read_csv(fs::path(w.out("j2")) / "runs.csv");
  REQUIRE(runs.size() == 12);
  const json plan = json::parse(read_file(fs::path(w.out("j2")) / "sweep.json"));
  for (std::size_t i = 0; i < 12; ++i) {
    const fs::path rd = fs::path(w.out("j2")) / plan["runs"][i]["dir"].get<std::string>();
    const json m = json::parse(read_file(rd / "manifest.json"));
    const json r = json::parse(read_file(rd / "result.json"));
    INFO("run " << i);
    CHECK(runs[i].at("status") == "ok");
    CHECK(m["status"] == "ok");
    CHECK(m["seed"] == plan["runs"][i]["seed"]);
    CHECK(r["seed"] == plan["runs"][i]["seed"]);  // the run really used the derived seed
    CHECK(runs[i].at("seed") == std::to_string(plan["runs"][i]["seed"].get<std::uint64_t>()));
    CHECK(m["config"]["seed"] == plan["runs"][i]["seed"]);
    CHECK(m["config"]["kioctx"]["design"] == runs[i].at("kioctx.design"));
    CHECK(r["config"]["workload"]["batch"].dump() == runs[i].at("workload.batch"));
    CHECK(m["wall_s"].get<double>() > 0);
    CHECK(!m["git_commit"].get<std::string>().empty());
    CHECK(m["git_dirty"].is_boolean());
    CHECK(m["simgrid_version"].get<std::string>().rfind("3.", 0) == 0);
    CHECK(m["backend"] == "local");
    CHECK(runs[i].at("sim.kiocbs") == "1500");
  }
  const auto b = aiosim({"sweep", w.spec(), "--out", w.out("j1"), "-j", "1"}, w.s.path());
  REQUIRE(b.status == 0);
  CHECK(read_file(fs::path(w.out("j1")) / "runs.csv") == read_file(fs::path(w.out("j2")) / "runs.csv"));
  CHECK(read_file(fs::path(w.out("j1")) / "summary.csv") == read_file(fs::path(w.out("j2")) / "summary.csv"));
  const auto sum = read_csv(fs::path(w.out("j1")) / "summary.csv");
  REQUIRE(sum.size() == 6);
  for (const auto& row : sum) {
    CHECK(row.at("n") == "2");
    CHECK(!row.at("throughput.completed_per_s.ci95").empty());
  }
}

TEST_CASE("failing runs are recorded with their error and the sweep goes on", "[sweep-cli]") {
  Sweep w(R"T([sweep]
base = "base.toml"
replications = 2
[set]
workload.kiocbs = 3000
kioctx.design = "mm-parent"
kioctx.zero_alloc = false
[axes]
kioctx.lazy_list = [false, true]
)T");
  const auto r = aiosim({"sweep", w.spec(), "--out", w.out("o"), "-j", "2"}, w.s.path());
  CHECK(r.status == 3);
  const auto runs = read_csv(fs::path(w.out("o")) / "runs.csv");
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].at("status") == "ok");
  CHECK(runs[1].at("status") == "ok");
  // lazy_list without zero_alloc: aio_complete trusts a stale ki_list.next.
  for (int i : {2, 3}) {
    CHECK(runs[i].at("status") == "failed");
    CHECK(runs[i].at("exit_code") == "3");
    CHECK(runs[i].at("error").find("VIOLATION") != std::string::npos);
  }
  const json m = json::parse(read_file(fs::path(w.out("o")) / "runs/000002/manifest.json"));
  CHECK(m["status"] == "failed");
  CHECK(m["error"].get<std::string>().find("last steps") != std::string::npos);  // the whole report is kept
  CHECK(r.err.find("sweep: run 2 failed (exit 3): aiosim: VIOLATION") != std::string::npos);
  CHECK(r.out.find("2 ok, 2 failed") != std::string::npos);
  // Failures are results: resuming does not run them again.
  const auto again = aiosim({"sweep", w.spec(), "--out", w.out("o"), "--resume"}, w.s.path());
  CHECK(again.status == 3);
  CHECK(again.err.find("4 already complete, 0 to run") != std::string::npos);
}

TEST_CASE("a point that breaks a cross-key check stops the sweep before anything runs", "[sweep-cli]") {
  // 4 CPUs: the base config's reaper CPU 4 does not exist (issue 16, class 5).
  Sweep w(R"T([sweep]
base = "base.toml"
[axes]
machine.cores_per_socket = [8, 4]
)T");
  const auto r = aiosim({"sweep", w.spec(), "--out", w.out("o"), "-j", "2"}, w.s.path());
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  const auto err = lines(r.err);
  REQUIRE(err.size() == 1);
  CHECK_THAT(err[0], Catch::Matchers::StartsWith("aiosim: " + (w.s / "base.toml").string() + ":") &&
                         Catch::Matchers::Contains(": workload.reapers: CPU 4 does not exist: the machine has CPUs 0-3") &&
                         Catch::Matchers::EndsWith("(at the sweep point machine.cores_per_socket=4: " + w.spec() + ":4)"));
  CHECK_FALSE(fs::exists(w.out("o")));
}

TEST_CASE("a sweep killed with SIGKILL at any moment and resumed gives the same output", "[sweep-cli]") {
  Sweep w;
  // Longer runs (~0.3 s) than elsewhere, so that a run outliving its sweep would be seen.
  const std::vector<std::string> longer = {"--set", "workload.kiocbs=20000"};
  auto args = [&](const fs::path& out) {
    std::vector<std::string> a = {"sweep", w.spec(), "--out", out.string(), "-j", "2"};
    a.insert(a.end(), longer.begin(), longer.end());
    return a;
  };
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(aiosim(args(w.out("whole")), w.s.path()).status == 0);
  const auto whole_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();

  // Kill moments scale with how long the whole sweep took, so that however
  // fast the simulator is, three attempts (each at most 1/8 of it, even if
  // this machine's speed halves meanwhile) cannot finish it: kills >= 3.
  std::mt19937 gen(20240611);
  std::uniform_int_distribution<long> ms(0, std::max<long>(1, static_cast<long>(whole_ms) / 8));
  const fs::path dir = w.out("killed");
  int kills = 0;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const pid_t pid = start_aiosim(args(dir), w.s.path(), "k" + std::to_string(attempt));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(gen)));
    const bool killed = ::kill(pid, SIGKILL) == 0;
    const auto p = wait_aiosim(pid, w.s.path(), "k" + std::to_string(attempt));
    if (p.status == 0) break;  // it finished first
    REQUIRE(killed);
    ++kills;
    // Its `aiosim run` children die with it (within 150 ms, well before they could finish).
    int left = 0;
    for (int i = 0; i < 15 && (left = processes_in(dir)) > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(left == 0);
  }
  CHECK(kills >= 3);
  const auto fin = aiosim(args(dir), w.s.path());
  REQUIRE(fin.status == 0);
  CHECK(read_file(dir / "runs.csv") == read_file(fs::path(w.out("whole")) / "runs.csv"));
  CHECK(read_file(dir / "summary.csv") == read_file(fs::path(w.out("whole")) / "summary.csv"));
  // Nothing half-written is left behind.
  for (const auto& e : fs::recursive_directory_iterator(dir)) CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("resuming a complete sweep runs nothing, and a changed sweep is refused", "[sweep-cli]") {
  Sweep w;
  REQUIRE(aiosim({"sweep", w.spec(), "--out", w.out("o"), "--quiet"}, w.s.path()).status == 0);
  const fs::path m0 = fs::path(w.out("o")) / "runs/000000/manifest.json";
  const std::string before = read_file(m0);
  const auto again = aiosim({"sweep", w.spec(), "--out", w.out("o"), "--resume"}, w.s.path());
  REQUIRE(again.status == 0);
  CHECK(again.err.find("12 already complete, 0 to run") != std::string::npos);
  CHECK(read_file(m0) == before);
  // A lost manifest: that run, and only it, runs again.
  fs::remove(fs::path(w.out("o")) / "runs/000005/manifest.json");
  const auto one = aiosim({"sweep", w.spec(), "--out", w.out("o")}, w.s.path());
  REQUIRE(one.status == 0);
  CHECK(one.err.find("11 already complete, 1 to run") != std::string::npos);
  CHECK(read_file(m0) == before);

  write_file(w.s / "spec.toml", std::string(kSpec) + "workload.nr = [32, 64]\n");
  const auto changed = aiosim({"sweep", w.spec(), "--out", w.out("o")}, w.s.path());
  CHECK(changed.status == 2);
  CHECK(changed.err.find("holds a different sweep") != std::string::npos);
  const auto nothing = aiosim({"sweep", w.spec(), "--out", w.out("none"), "--resume"}, w.s.path());
  CHECK(nothing.status == 2);
  CHECK(nothing.err.find("holds no sweep") != std::string::npos);
}

TEST_CASE("bad specs exit 2 with one line naming file and line, and write nothing", "[sweep-cli]") {
  Sweep w(std::string(kSpec) + "workload.think = [\"exp(2us)\", \"exp(-1us)\"]\n");
  const auto r = aiosim({"sweep", w.spec(), "--out", w.out("o")}, w.s.path());
  CHECK(r.status == 2);
  CHECK(lines(r.err).size() == 1);
  CHECK(r.err.rfind("aiosim: " + w.spec() + ":11: workload.think: invalid distribution", 0) == 0);
  CHECK_FALSE(fs::exists(w.out("o")));
  write_file(w.s / "spec.toml", "[sweep\nbase = 1\n");
  const auto syntax = aiosim({"sweep", w.spec(), "--list"}, w.s.path());
  CHECK(syntax.status == 2);
  CHECK(syntax.err.rfind("aiosim: " + w.spec() + ":1: ", 0) == 0);
}

TEST_CASE("collect rebuilds the merged output and reports runs not yet run", "[sweep-cli]") {
  Sweep w;
  REQUIRE(aiosim({"sweep", w.spec(), "--out", w.out("o"), "--quiet"}, w.s.path()).status == 0);
  const fs::path o = w.out("o");
  const std::string runs = read_file(o / "runs.csv"), summary = read_file(o / "summary.csv");
  fs::remove(o / "runs.csv");
  fs::remove(o / "summary.csv");
  REQUIRE(aiosim({"collect", o.string()}, w.s.path()).status == 0);
  CHECK(read_file(o / "runs.csv") == runs);
  CHECK(read_file(o / "summary.csv") == summary);
  fs::remove(o / "runs/000002/manifest.json");
  const auto c = aiosim({"collect", o.string()}, w.s.path());
  CHECK(c.status == 5);
  CHECK(c.out.find("11 ok, 0 failed, 1 not run yet") != std::string::npos);
  CHECK(read_csv(o / "runs.csv")[2].at("status") == "missing");
  CHECK(aiosim({"collect", w.out("nowhere")}, w.s.path()).status == 2);
}

TEST_CASE("the Slurm backend submits a job array whose tasks give the local output", "[sweep-cli]") {
  Sweep w;
  REQUIRE(aiosim({"sweep", w.spec(), "--out", w.out("local"), "--quiet"}, w.s.path()).status == 0);
  // A stand-in sbatch: records its arguments, prints a job id.
  fs::create_directories(w.s / "bin");
  write_file(w.s / "bin/sbatch", "#!/bin/sh\necho \"$@\" >> \"$SBATCH_LOG\"\necho 4242\n");
  fs::permissions(w.s / "bin/sbatch", fs::perms::owner_all);
  const std::map<std::string, std::string> env = {{"PATH", (w.s / "bin").string() + ":/usr/bin:/bin"},
                                                  {"SBATCH_LOG", (w.s / "sbatch.log").string()}};
  const fs::path d = w.out("slurm");
  const auto sub = aiosim({"sweep", w.spec(), "--out", d.string(), "--backend", "slurm", "--chunk", "3", "--sbatch-arg=--partition=debug"},
                          w.s.path(), env);
  REQUIRE(sub.status == 0);
  CHECK(sub.out == "4242\n");
  CHECK(sub.err.find("aiosim collect " + fs::absolute(d).string()) != std::string::npos);
  const std::string args = read_file(w.s / "sbatch.log");
  CHECK(args.find("--array=0-3 ") != std::string::npos);  // 12 runs, 3 per task
  CHECK(args.find("--partition=debug") != std::string::npos);
  CHECK(args.find((d / "slurm/job.sh").string()) != std::string::npos);
  const auto early = aiosim({"collect", d.string()}, w.s.path());
  CHECK(early.status == 5);

  // Run the array's tasks by hand, as Slurm would (last first, to show order does not matter).
  for (int t : {3, 0, 2, 1}) {
    auto e = env;
    e["SLURM_ARRAY_TASK_ID"] = std::to_string(t);
    e["SLURM_ARRAY_JOB_ID"] = "4242";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      for (const auto& [k, v] : e) ::setenv(k.c_str(), v.c_str(), 1);
      const std::string log = (w.s / ("task" + std::to_string(t) + ".out")).string();
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::execl("/bin/sh", "sh", (d / "slurm/job.sh").c_str(), nullptr);
      ::_exit(127);
    }
    int ws = 0;
    REQUIRE(::waitpid(pid, &ws, 0) == pid);
    REQUIRE(WIFEXITED(ws));
    CHECK(WEXITSTATUS(ws) == 0);
  }
  const auto task2 = lines(read_file(w.s / "task2.out"));  // runs 6, 7 and 8
  REQUIRE(task2.size() == 3);
  CHECK(task2[0].rfind("run 6: ok (", 0) == 0);
  CHECK(task2[2].rfind("run 8: ok (", 0) == 0);
  const json m = json::parse(read_file(d / "runs/000007/manifest.json"));
  CHECK(m["backend"] == "slurm");
  CHECK(m["slurm"]["array_task_id"] == "2");

  const auto col = aiosim({"collect", d.string()}, w.s.path());
  REQUIRE(col.status == 0);
  CHECK(read_file(d / "runs.csv") == read_file(fs::path(w.out("local")) / "runs.csv"));
  CHECK(read_file(d / "summary.csv") == read_file(fs::path(w.out("local")) / "summary.csv"));

  // Resubmitting after losing a run submits only the task that holds it.
  fs::remove(d / "runs/000004/manifest.json");
  fs::remove(w.s / "sbatch.log");
  REQUIRE(aiosim({"sweep", w.spec(), "--out", d.string(), "--backend", "slurm", "--chunk", "3"}, w.s.path(), env).status == 0);
  CHECK(read_file(w.s / "sbatch.log").find("--array=1 ") != std::string::npos);
  // A task index past the sweep is refused.
  CHECK(aiosim({"sweep-task", d.string(), "--task", "4", "--chunk", "3"}, w.s.path()).status == 2);
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP stop a sweep: children gone, partial results merged, exit 128+signal",
          "[sweep-cli]") {
  // 60 runs of a few thousand kiocbs on one worker: seconds of work, so a
  // signal after the first run completes lands mid-sweep.
  Sweep w(R"T([sweep]
base = "base.toml"
replications = 30
[axes]
workload.batch = [4, 8]
)T");
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    const fs::path dir = w.out("sig" + std::to_string(sig));
    const std::string tag = "s" + std::to_string(sig);
    const pid_t pid = start_aiosim({"sweep", w.spec(), "--out", dir.string(), "-j", "1", "--quiet"}, w.s.path(), tag);
    // Wait for one complete run (its manifest), then signal the sweep alone.
    for (int i = 0; i < 3000 && !fs::exists(dir / "runs/000000/manifest.json"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(::kill(pid, sig) == 0);
    const auto p = wait_aiosim(pid, w.s.path(), tag);
    CHECK(p.status == 128 + sig);
    const auto err = lines(p.err);
    REQUIRE(err.size() == 1);
    CHECK_THAT(err[0], Catch::Matchers::StartsWith("aiosim: sweep interrupted by SIG") &&
                           Catch::Matchers::Contains("resume with: aiosim sweep"));
    CHECK(processes_in(dir) == 0);
    // runs.csv lists every run; the completed ones have results.
    const auto rows = read_csv(dir / "runs.csv");
    CHECK(rows.size() == 60);
    std::size_t ok = 0;
    for (const auto& r : rows) ok += r.at("status") == "ok";
    CHECK(ok >= 1);
    CHECK(ok < 60);
    CHECK(fs::exists(dir / "summary.csv"));
    // Resuming finishes it.
    CHECK(aiosim({"sweep", w.spec(), "--out", dir.string(), "--resume", "--quiet"}, w.s.path()).status == 0);
  }
}

namespace {

// result.json without its wall-clock measurements (keys whose last part starts with "wall").
json without_wall(json j) {
  if (!j.is_object()) return j;
  json out = json::object();
  for (auto& [k, v] : j.items())
    if (k.rfind("wall", 0) != 0) out[k] = without_wall(v);
  return out;
}

}  // namespace

TEST_CASE("compare is a sweep of explicit points: sweep outputs, and each run is aiosim run BASE --set ...", "[sweep-cli]") {
  Sweep w(R"T([compare]
base = "base.toml"
vary = "kioctx.design"
values = ["mm-parent", "lazy-cancel"]
[[compare.point]]
label = "small"
set = ["workload.kiocbs=1500"]
[[compare.point]]
label = "batch 8"
set = ["workload.kiocbs=1500", "workload.batch=8"]
)T");
  const auto c = aiosim({"compare", w.spec(), "--out", w.out("cmp"), "-j", "2"}, w.s.path());
  INFO(c.err);
  REQUIRE(c.status == 0);
  const fs::path out = w.out("cmp");
  // The sweep's outputs, run = point * values + value.
  const auto runs = read_csv(out / "runs.csv");
  REQUIRE(runs.size() == 4);
  CHECK(runs[1].at("label") == "small");
  CHECK(runs[1].at("kioctx.design") == "lazy-cancel");
  CHECK(runs[2].at("label") == "batch 8");
  CHECK(runs[2].at("kioctx.design") == "mm-parent");
  CHECK(read_csv(out / "summary.csv").size() == 4);
  CHECK(fs::exists(out / "results.sqlite"));
  CHECK(fs::exists(out / "sweep.json"));
  // Compare's own: the table and comparison.csv, in the same order.
  const auto cmp = read_csv(out / "comparison.csv");
  REQUIRE(cmp.size() == 4);
  CHECK(cmp[3].at("point") == "batch 8");
  CHECK(cmp[3].at("kioctx.design") == "lazy-cancel");
  CHECK(c.out.find("\nbatch 8    lazy-cancel ") != std::string::npos);

  // Run 3 is `aiosim run` of the base with the point's and the value's --set: same seed, same result.
  const auto r = aiosim({"run", (w.s / "base.toml").string(), "--set", "workload.kiocbs=1500", "--set", "workload.batch=8", "--set",
                         "kioctx.design=lazy-cancel", "--quiet", "--out", w.out("one")},
                        w.s.path());
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json a = json::parse(read_file(out / "runs/000003/result.json"));
  const json b = json::parse(read_file(fs::path(w.out("one")) / "result.json"));
  CHECK(a["seed"] == 1);  // small_base.toml's seed, not one derived from a sweep seed
  CHECK(without_wall(a) == without_wall(b));

  // Run again into the same directory: every run is complete, nothing runs, the same table.
  const auto again = aiosim({"compare", w.spec(), "--out", w.out("cmp"), "-j", "2"}, w.s.path());
  REQUIRE(again.status == 0);
  CHECK(again.out.substr(again.out.find("point ")) == c.out.substr(c.out.find("point ")));
}
