// SPDX-License-Identifier: GPL-2.0-only
// Sweep specs: the product, ranges, zipped axes, constraints, replications and
// seeds, and errors that point at the spec's line.
#include <catch2/catch.hpp>

#include "tests/app/sweep/harness.hpp"
#include "programs/aio/schema.hpp"
#include "sim/rng.hpp"
#include "app/sweep/spec.hpp"

using namespace sweeptest;
using sim::config::ConfigError;

namespace {

const sim::config::Schema& schema_for(const std::string&, const std::vector<std::string>&) { return programs::aio::run_schema(); }

struct Fixture {
  ScratchDir dir;
  Fixture() { write_file(dir / "base.toml", small_base()); }
  std::string spec(const std::string& text) const {
    write_file(dir / "spec.toml", "[sweep]\nbase = \"base.toml\"\n" + text);
    return (dir / "spec.toml").string();
  }
  sweep::Plan plan(const std::string& text, const std::vector<std::string>& sets = {}) const {
    return sweep::make_plan(sweep::load_spec(spec(text), sets), schema_for);
  }
  // The one-line error of loading and planning `text`.
  std::string error(const std::string& text, const std::vector<std::string>& sets = {}) const {
    try {
      plan(text, sets);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string where(int line) const { return (dir / "spec.toml").string() + ":" + std::to_string(line) + ": "; }
};

std::string values(const sweep::Plan& p, const std::string& key) {
  std::string out;
  for (const auto& pt : p.points) {
    if (!out.empty()) out += ' ';
    out += pt.at(key).is_string() ? pt.at(key).get<std::string>() : pt.at(key).dump();
  }
  return out;
}

}  // namespace

TEST_CASE("axes form a cartesian product, the first axis varying slowest", "[spec]") {
  Fixture f;
  const auto p = f.plan("[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = [4, 8, 16]\n");
  REQUIRE(p.points.size() == 6);
  CHECK(p.parameters == std::vector<std::string>{"kioctx.design", "workload.batch"});
  CHECK(values(p, "kioctx.design") == "mm-parent mm-parent mm-parent lazy-cancel lazy-cancel lazy-cancel");
  CHECK(values(p, "workload.batch") == "4 8 16 4 8 16");
  CHECK(p.runs.size() == 6);
  CHECK(p.runs[5].dir == "runs/000005");
}

TEST_CASE("axes are ordered as the file writes them, [[zip]] groups included", "[spec]") {
  Fixture f;
  const auto p = f.plan("[[zip]]\nworkload.batch = [4, 8]\nworkload.queue_depth = [16, 64]\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\n");
  CHECK(p.parameters == std::vector<std::string>{"workload.batch", "workload.queue_depth", "kioctx.design"});
  CHECK(values(p, "workload.batch") == "4 4 8 8");
  CHECK(values(p, "workload.queue_depth") == "16 16 64 64");  // in lockstep with batch
  CHECK(values(p, "kioctx.design") == "mm-parent lazy-cancel mm-parent lazy-cancel");
}

TEST_CASE("ranges: step, factor and num, exact and inclusive", "[spec]") {
  Fixture f;
  CHECK(values(f.plan("[axes]\nworkload.batch = { from = 2, to = 11, step = 3 }\n"), "workload.batch") == "2 5 8 11");
  CHECK(values(f.plan("[axes]\nworkload.batch = { from = 1, to = 64, factor = 4 }\n"), "workload.batch") == "1 4 16 64");
  CHECK(values(f.plan("[axes]\nusb.cancel_fraction = { from = 0.1, to = 0.5, step = 0.1 }\n"), "usb.cancel_fraction") ==
        "0.1 0.2 0.3 0.4 0.5");
  CHECK(values(f.plan("[axes]\nusb.cancel_fraction = { from = 0.0, to = 1.0, num = 5 }\n"), "usb.cancel_fraction") ==
        "0.0 0.25 0.5 0.75 1.0");
  CHECK(values(f.plan("[axes]\nworkload.batch = { from = 16, to = 4, step = -4 }\n"), "workload.batch") == "16 12 8 4");
  CHECK(f.error("[axes]\nworkload.batch = { from = 1, to = 8, step = 1, factor = 2 }\n") ==
        f.where(4) + "workload.batch: a range needs exactly one of step, factor, num");
  CHECK(f.error("[axes]\nworkload.batch = { from = 8, to = 1, step = 1 }\n").find(f.where(4) + "workload.batch: the step must") == 0);
  CHECK(f.error("[axes]\nworkload.batch = { from = 1, to = 8, stride = 1 }\n").find(f.where(4) + "workload.batch.stride: unknown range key") == 0);
}

TEST_CASE("constraints drop grid points", "[spec]") {
  Fixture f;
  const auto p = f.plan(
      "constraints = [\"workload.queue_depth <= 4 * workload.batch\", \"not (kioctx.design == 'mm-parent' and workload.batch == 2)\"]\n"
      "[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = [2, 8]\nworkload.queue_depth = [8, 32]\n");
  CHECK(p.grid_points == 8);
  CHECK(p.dropped_points == 3);  // (2, 32) twice, (mm-parent, 2, 8)
  REQUIRE(p.points.size() == 5);
  for (const auto& pt : p.points) CHECK(pt.at("workload.queue_depth").get<int>() <= 4 * pt.at("workload.batch").get<int>());
  CHECK(values(p, "kioctx.design") == "mm-parent mm-parent lazy-cancel lazy-cancel lazy-cancel");
}

TEST_CASE("constraint errors name the spec's file, line, constraint and column", "[spec]") {
  Fixture f;
  CHECK(f.error("constraints = [\n  \"workload.batch > 1\",\n  \"workload.bacth > 1\",\n]\n[axes]\nworkload.batch = [1, 2]\n")
            .find(f.where(5) + "sweep.constraints[1]: unknown name \"workload.bacth\"") == 0);
  CHECK(f.error("constraints = [\"workload.batch >> 1\"]\n[axes]\nworkload.batch = [1, 2]\n") ==
        f.where(3) + "sweep.constraints[0]: unexpected \">\" at column 17 of \"workload.batch >> 1\"");
  // Evaluation errors say at which point.
  CHECK(f.error("constraints = [\"1 / (workload.batch - 2) > 0\"]\n[axes]\nworkload.batch = [1, 2]\n") ==
        f.where(3) + "sweep.constraints[0]: division by zero at column 3 of \"1 / (workload.batch - 2) > 0\" (at workload.batch=2)");
}

TEST_CASE("bad values and keys are reported at the spec line that gives them", "[spec]") {
  Fixture f;
  CHECK(f.error("[axes]\nworkload.batch = [8,\n  0]\n") == f.where(5) + "workload.batch: expected a value in [1, 4096], got 0");
  CHECK(f.error("[axes]\nkioctx.lock = [\"ticket\", \"tiket\"]\n") ==
        f.where(4) + "kioctx.lock: expected one of era, ticket, qspinlock, tas, got \"tiket\"");
  CHECK(f.error("[set]\nworkload.kiocbz = 5\n[axes]\nworkload.batch = [1]\n").find(f.where(4) + "workload.kiocbz: unknown key") == 0);
  CHECK(f.error("[axes]\nworkload.batch = []\n") == f.where(4) + "workload.batch: an axis needs at least one value");
  CHECK(f.error("[axes]\nworkload.batch = [4, 4]\n") == f.where(4) + "workload.batch: value 4 appears twice");
  CHECK(f.error("[[zip]]\nworkload.batch = [4, 8]\nworkload.queue_depth = [16]\n") ==
        f.where(5) + "workload.queue_depth: zipped keys need as many values each: workload.batch has 2, workload.queue_depth has 1");
  CHECK(f.error("[set]\nworkload.batch = 4\n[axes]\nworkload.batch = [1, 2]\n") ==
        f.where(6) + "workload.batch: is also fixed in [set] (line 4)");
  CHECK(f.error("[axes]\nseed = [1, 2]\n").find(f.where(4) + "seed: each run's seed is derived") == 0);
  CHECK(f.error("replicatoins = 3\n").find(f.where(3) + "sweep.replicatoins: unknown key") == 0);
  CHECK(f.error("[axes]\nworkload.batch = [1]\n", {"workload.batch=4"}) ==
        "--set: workload.batch: is an axis of the sweep; edit the spec's [axes] instead");
  CHECK(f.error("[axes]\nworkload.batch = [1]\n", {"workload.nope=4"}).find("--set: workload.nope: unknown key") == 0);
}

TEST_CASE("each run has the parameters, the fixed keys and its seed in its config", "[spec]") {
  Fixture f;
  const auto p = f.plan("replications = 2\n[set]\nworkload.kiocbs = 1234\n[axes]\nworkload.batch = [4, 8]\n", {"workload.nr=64"});
  REQUIRE(p.runs.size() == 4);
  const auto& r = p.runs[3];
  CHECK(r.point == 1);
  CHECK(r.replication == 1);
  const auto cfg = sim::config::Config::from_string(programs::aio::run_schema(), p.config_toml(r), "config.toml");
  CHECK(cfg.get_int("workload.batch") == 8);
  CHECK(cfg.get_int("workload.kiocbs") == 1234);
  CHECK(cfg.get_int("workload.nr") == 64);
  CHECK(cfg.get_int("workload.min_nr") == 8);  // from the base
  CHECK(static_cast<std::uint64_t>(cfg.get_int("seed")) == r.seed);
  CHECK(r.config_hash == sweep::fnv1a64_hex(p.config_toml(r)));
}

TEST_CASE("seeds come from (point parameters, replication) through Rng::derive_seed", "[spec]") {
  Fixture f;
  const auto p = f.plan("seed = 7\nreplications = 3\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = [4, 8]\n");
  REQUIRE(p.runs.size() == 12);
  const std::string name = "kioctx.design=\"lazy-cancel\"\nworkload.batch=8\n";
  CHECK(p.runs[11].seed == (sim::Rng::derive_seed(7, name, 2) & 0x7fffffffffffffffull));
  std::set<std::uint64_t> seeds;
  for (const auto& r : p.runs) seeds.insert(r.seed);
  CHECK(seeds.size() == 12);

  // A point keeps its seeds when other points are added.
  const auto q = f.plan("seed = 7\nreplications = 3\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\", \"broken-plain-cancel\"]\nworkload.batch = [2, 4, 8]\n");
  CHECK(q.runs[(1 * 3 + 2) * 3 + 2].seed == p.runs[11].seed);
  // A different sweep seed, different seeds.
  CHECK(f.plan("seed = 8\nreplications = 3\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = [4, 8]\n").runs[11].seed !=
        p.runs[11].seed);
}

TEST_CASE("common_seeds gives designs the same random numbers", "[spec]") {
  Fixture f;
  const auto p = f.plan("common_seeds = [\"kioctx.design\"]\nreplications = 2\n[axes]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\nworkload.batch = [4, 8]\n");
  REQUIRE(p.runs.size() == 8);
  for (std::size_t i = 0; i < 4; ++i) CHECK(p.runs[i].seed == p.runs[i + 4].seed);  // same batch and replication
  CHECK(p.runs[0].seed != p.runs[1].seed);
  CHECK(p.runs[0].seed != p.runs[2].seed);
}

TEST_CASE("the run list shows every run with its point, replication, seed and parameters", "[spec]") {
  Fixture f;
  const auto p = f.plan("replications = 2\nconstraints = [\"workload.batch > 2\"]\n[axes]\nworkload.batch = [2, 4, 8]\n");
  const auto ls = lines(sweep::list_text(p));
  REQUIRE(ls.size() == 6);
  CHECK(ls[0].find("run") != std::string::npos);
  CHECK(ls[4].find(std::to_string(p.runs[3].seed) + "  workload.batch=8") != std::string::npos);
  CHECK(ls[5] == "4 runs: 2 grid points (1 of 3 dropped by constraints), 2 replications each");
}

TEST_CASE("sweep.json round-trips and tells a changed sweep apart", "[spec]") {
  Fixture f;
  const auto p = f.plan("[axes]\nworkload.batch = [2, 4]\n");
  const auto j = nlohmann::ordered_json::parse(p.to_json("a.toml", "b.toml").dump(2));
  CHECK(p.same_as(j));
  const auto back = sweep::Plan::from_json(j);
  CHECK(back.runs.size() == 2);
  CHECK(back.runs[1].seed == p.runs[1].seed);
  CHECK(back.runs[1].config_hash == p.runs[1].config_hash);
  CHECK(back.points[1].at("workload.batch") == 4);
  CHECK_FALSE(f.plan("[axes]\nworkload.batch = [2, 8]\n").same_as(j));
  CHECK_FALSE(f.plan("[set]\nworkload.kiocbs = 999\n[axes]\nworkload.batch = [2, 4]\n").same_as(j));  // same grid, other configs
}
