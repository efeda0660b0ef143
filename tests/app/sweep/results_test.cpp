// SPDX-License-Identifier: GPL-2.0-only
// The merged output: flattening result.json, CSV quoting, the Student-t
// interval, and runs.csv / summary.csv built from run directories.
#include <catch2/catch.hpp>

#include "tests/app/sweep/harness.hpp"
#include "programs/aio/schema.hpp"
#include "sim/atomic_file.hpp"
#include "app/sweep/results.hpp"

using namespace sweeptest;
using json = nlohmann::ordered_json;

TEST_CASE("flattening keeps scalars with dotted names, in document order", "[results]") {
  const json r = json::parse(R"T({
    "aiosim_version": "aiosim 0.1.0 (abc)", "seed": 42,
    "sim": {"kiocbs": 2000, "simulated_s": 0.5, "wall_s": 1.25, "events": 18446744073709551615},
    "design": {"name": "mm-parent", "lazy_list": false},
    "cpus": [{"task_ns": 1.5, "idle_ns": 2}, {"task_ns": 3, "idle_ns": 4}],
    "latency_cdf": {"submit_to_event_ns": [1, 2, 3]},
    "config": {"workload": {"batch": 8}}
  })T");
  const auto flat = sweep::flatten_result(r);
  std::vector<std::string> names, vals;
  for (const auto& [k, v] : flat) names.push_back(k), vals.push_back(v);
  CHECK(names == std::vector<std::string>{"sim.kiocbs", "sim.simulated_s", "sim.events", "design.lazy_list", "cpus.0.task_ns",
                                          "cpus.0.idle_ns", "cpus.1.task_ns", "cpus.1.idle_ns"});
  CHECK(vals == std::vector<std::string>{"2000", "0.5", "18446744073709551615", "false", "1.5", "2", "3", "4"});
}

TEST_CASE("CSV fields are quoted only when they must be", "[results]") {
  CHECK(sweep::csv_field("mm-parent") == "mm-parent");
  CHECK(sweep::csv_field("0-3,8") == "\"0-3,8\"");
  CHECK(sweep::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(sweep::csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(sweep::csv_field("") == "");
}

TEST_CASE("the t quantile matches published tables", "[results]") {
  // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
  CHECK(sweep::t_quantile_975(1) == Approx(12.706204736).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(2) == Approx(4.302652730).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(4) == Approx(2.776445105).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(9) == Approx(2.262157163).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(30) == Approx(2.042272456).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(100) == Approx(1.983971519).epsilon(1e-9));
  CHECK(sweep::t_quantile_975(1e7) == Approx(1.959964).epsilon(1e-6));
}

TEST_CASE("mean and 95% CI half-width over replications", "[results]") {
  const auto m = sweep::mean_ci95({1, 2, 3, 4, 5});
  CHECK(m.n == 5);
  CHECK(m.mean == 3);
  CHECK(m.has_ci);
  CHECK(m.ci95 == Approx(2.776445105 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-9));
  const auto one = sweep::mean_ci95({7});
  CHECK(one.mean == 7);
  CHECK_FALSE(one.has_ci);
  CHECK(sweep::mean_ci95({4, 4, 4}).ci95 == 0);
}

namespace {

const sim::config::Schema& schema_for(const std::string&, const std::vector<std::string>&) { return programs::aio::run_schema(); }

// A run directory as a finished run leaves it.
void fake_run(const fs::path& dir, const sweep::PlannedRun& r, const std::string& status, const json& result, const std::string& error = "") {
  sim::OutputDir::ensure(dir / r.dir);
  json m = {{"status", status}, {"exit_code", status == "ok" ? 0 : 3}, {"error", error}, {"config_fnv1a64", r.config_hash}};
  sim::write_file_atomically(dir / r.dir / "manifest.json", m.dump());
  if (status == "ok") sim::write_file_atomically(dir / r.dir / "result.json", result.dump());
}

}  // namespace

TEST_CASE("runs.csv and summary.csv from run directories", "[results]") {
  ScratchDir s;
  write_file(s / "base.toml", small_base());
  write_file(s / "spec.toml", "[sweep]\nbase = \"base.toml\"\nreplications = 3\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\n");
  const auto plan = sweep::make_plan(sweep::load_spec((s / "spec.toml").string()), schema_for);
  REQUIRE(plan.runs.size() == 6);
  const fs::path d = s / "out";
  // mm-parent: three runs; lazy-cancel: two, and one that failed. Only lazy-cancel has completion_lock.
  fake_run(d, plan.runs[0], "ok", json::parse(R"T({"throughput": {"completed_per_s": 100}, "locks": {"ctx_lock": {"p99": 10}}, "ok": true})T"));
  fake_run(d, plan.runs[1], "ok", json::parse(R"T({"throughput": {"completed_per_s": 110}, "locks": {"ctx_lock": {"p99": 12}}, "ok": true})T"));
  fake_run(d, plan.runs[2], "ok", json::parse(R"T({"throughput": {"completed_per_s": 120}, "locks": {"ctx_lock": {"p99": 14}}, "ok": true})T"));
  fake_run(d, plan.runs[3], "ok",
           json::parse(R"T({"throughput": {"completed_per_s": 200}, "locks": {"ctx_lock": {"p99": 5}, "completion_lock": {"p99": 1}}, "ok": true})T"));
  fake_run(d, plan.runs[4], "failed", json(), "aiosim: VIOLATION: list_del corruption, slot 3\nlast steps: ...");
  fake_run(d, plan.runs[5], "ok",
           json::parse(R"T({"throughput": {"completed_per_s": 220}, "locks": {"ctx_lock": {"p99": 7}, "completion_lock": {"p99": 3}}, "ok": true})T"));

  const auto m = sweep::merge(d, plan);
  CHECK(m.ok == 5);
  CHECK(m.failed == 1);
  CHECK(m.missing == 0);
  write_file(s / "runs.csv", m.runs_csv);
  write_file(s / "summary.csv", m.summary_csv);
  // completion_lock comes right after ctx_lock, where the runs that have it put it.
  CHECK(lines(m.runs_csv)[0] ==
        "run,point,replication,seed,kioctx.design,status,exit_code,error,throughput.completed_per_s,locks.ctx_lock.p99,"
        "locks.completion_lock.p99,ok");
  const auto runs = read_csv(s / "runs.csv");
  REQUIRE(runs.size() == 6);
  CHECK(runs[0].at("locks.completion_lock.p99") == "");
  CHECK(runs[3].at("locks.completion_lock.p99") == "1");
  CHECK(runs[4].at("status") == "failed");
  CHECK(runs[4].at("exit_code") == "3");
  CHECK(runs[4].at("error") == "aiosim: VIOLATION: list_del corruption, slot 3");
  CHECK(runs[4].at("throughput.completed_per_s") == "");
  CHECK(runs[5].at("seed") == std::to_string(plan.runs[5].seed));

  CHECK(lines(m.summary_csv)[0] ==
        "point,kioctx.design,n,failed,throughput.completed_per_s.mean,throughput.completed_per_s.ci95,locks.ctx_lock.p99.mean,"
        "locks.ctx_lock.p99.ci95,locks.completion_lock.p99.mean,locks.completion_lock.p99.ci95");  // booleans are not averaged
  const auto sum = read_csv(s / "summary.csv");
  REQUIRE(sum.size() == 2);
  CHECK(sum[0].at("n") == "3");
  CHECK(sum[0].at("failed") == "0");
  CHECK(sum[0].at("throughput.completed_per_s.mean") == "110");
  CHECK(std::stod(sum[0].at("throughput.completed_per_s.ci95")) == Approx(4.302652730 * 10 / std::sqrt(3.0)).epsilon(1e-9));
  CHECK(sum[0].at("locks.completion_lock.p99.mean") == "");
  CHECK(sum[1].at("n") == "2");
  CHECK(sum[1].at("failed") == "1");
  CHECK(sum[1].at("throughput.completed_per_s.mean") == "210");
  CHECK(std::stod(sum[1].at("throughput.completed_per_s.ci95")) == Approx(12.706204736 * std::sqrt(200.0) / std::sqrt(2.0)).epsilon(1e-9));
}

TEST_CASE("a run is complete only with a manifest for the same config", "[results]") {
  ScratchDir s;
  write_file(s / "base.toml", small_base());
  write_file(s / "spec.toml", "[sweep]\nbase = \"base.toml\"\n[axes]\nworkload.batch = [4, 8]\n");
  const auto plan = sweep::make_plan(sweep::load_spec((s / "spec.toml").string()), schema_for);
  const fs::path d = s / "out";
  fake_run(d, plan.runs[0], "ok", json::parse(R"T({"x": 1})T"));
  sweep::PlannedRun other = plan.runs[1];
  other.config_hash = "0000000000000000";  // a manifest left by another sweep
  fake_run(d, other, "ok", json::parse(R"T({"x": 2})T"));
  CHECK(sweep::read_run(d, plan.runs[0]).state == sweep::RunState::Ok);
  CHECK(sweep::read_run(d, plan.runs[1]).state == sweep::RunState::Missing);
  fs::remove(d / plan.runs[0].dir / "result.json");
  CHECK(sweep::read_run(d, plan.runs[0]).state == sweep::RunState::Missing);
  const auto m = sweep::merge(d, plan);
  CHECK(m.missing == 2);
  CHECK(lines(m.runs_csv)[1].find(",missing,,") != std::string::npos);
}

TEST_CASE("the wide CSVs leave out columns that say nothing; results.sqlite keeps them", "[results]") {
  ScratchDir s;
  write_file(s / "base.toml", small_base());
  write_file(s / "spec.toml", "[sweep]\nbase = \"base.toml\"\nreplications = 2\n[axes]\nworkload.batch = [4, 8]\n");
  const auto plan = sweep::make_plan(sweep::load_spec((s / "spec.toml").string()), schema_for);
  REQUIRE(plan.runs.size() == 4);
  const fs::path d = s / "out";
  // machine.cpus: the same everywhere (left out); machine.ring_events: differs by point, not by
  // replication (one summary column, no .mean); design.lazy_list: a boolean that differs (kept in
  // runs.csv); sim.kiocbs: a measurement the same everywhere (kept; .mean without .ci95);
  // correctness.lost: the same everywhere too, kept in runs.csv as every measurement is.
  const auto result = [](int ring, bool lazy, double tput) {
    return json{{"machine", {{"cpus", 8}, {"ring_events", ring}}}, {"design", {{"lazy_list", lazy}}},
                {"sim", {{"kiocbs", 100}}}, {"throughput", {{"completed_per_s", tput}}}, {"correctness", {{"lost", 0}}}};
  };
  fake_run(d, plan.runs[0], "ok", result(128, false, 10));
  fake_run(d, plan.runs[1], "ok", result(128, false, 14));
  fake_run(d, plan.runs[2], "ok", result(256, true, 20));
  fake_run(d, plan.runs[3], "ok", result(256, true, 20));
  const auto m = sweep::merge(d, plan);
  CHECK(lines(m.runs_csv)[0] ==
        "run,point,replication,seed,workload.batch,status,exit_code,error,machine.ring_events,design.lazy_list,sim.kiocbs,"
        "throughput.completed_per_s,correctness.lost");
  CHECK(lines(m.summary_csv)[0] ==
        "point,workload.batch,n,failed,machine.ring_events,sim.kiocbs.mean,throughput.completed_per_s.mean,"
        "throughput.completed_per_s.ci95,correctness.lost.mean");
  // Point 1's throughput is 20 in both replications: its CI is 0; point 0's is not.
  const auto row0 = csv_row(lines(m.summary_csv)[1]);
  REQUIRE(row0.size() == 9);
  CHECK(std::vector<std::string>(row0.begin(), row0.begin() + 7) == std::vector<std::string>{"0", "4", "2", "0", "128", "100", "12"});
  CHECK(std::stod(row0[7]) == Approx(12.706204736 * std::sqrt(8.0) / std::sqrt(2.0)).epsilon(1e-9));
  CHECK(row0[8] == "0");
  CHECK(lines(m.summary_csv)[2] == "1,8,2,0,256,100,20,0,0");
  CHECK(!m.results_sqlite.empty());
  CHECK(m.results_sqlite.rfind("SQLite format 3", 0) == 0);

  // One replication: no .ci95 column at all.
  write_file(s / "one.toml", "[sweep]\nbase = \"base.toml\"\n[axes]\nworkload.batch = [4, 8]\n");
  const auto one = sweep::make_plan(sweep::load_spec((s / "one.toml").string()), schema_for);
  const fs::path d1 = s / "one";
  fake_run(d1, one.runs[0], "ok", result(128, false, 10));
  fake_run(d1, one.runs[1], "ok", result(256, true, 30));
  CHECK(lines(sweep::merge(d1, one).summary_csv)[0] ==
        "point,workload.batch,n,failed,machine.ring_events,sim.kiocbs.mean,throughput.completed_per_s.mean,correctness.lost.mean");
}
