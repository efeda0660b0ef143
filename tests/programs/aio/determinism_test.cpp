// SPDX-License-Identifier: GPL-2.0-only
// Determinism of `aiosim run`: the same config and seed must give the same
// result.json byte for byte apart from the wall-clock field (sim.wall_s),
// under either clock; and the SimGrid-driven clock must give the same
// simulated results as the driver alone (sim/timed_driver.hpp,
// sim/simgrid_clock.hpp: "Results do not depend on the quantum: the order
// of steps is the driver's alone").
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

// A small mixed run: block I/O from two submitters, a reaper, a few USB
// requests of which some get cancelled. About 0.2 s per run.
const char* const kConfig = R"toml(seed = 7

[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 4

[kioctx]
design = "lazy-cancel"
nr_events = 256

[workload]
kiocbs = 3000
submitters = "0-1"
reapers = [2]
batch = 4
queue_depth = 16
think = "exp(2us)"
min_nr = 2
nr = 16
usb_fraction = 0.05

[block]
service = "exp(20us)"
irq_cpus = "2-3"

[usb]
irq_cpu = 3
cancel_fraction = 0.3
cancel_delay = "uniform(0us,150us)"
cancellers = [3]

[invariants]
kernel_races = "count"
)toml";

struct Output {
  json result;
  std::string summary;
};

Output run(const ScratchDir& dir, const std::string& name, const std::vector<std::string>& extra) {
  const fs::path out = dir / name;
  std::vector<std::string> args{"run", (dir / "small.toml").string(), "--out", out.string(), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Run r = aiosim(args, dir);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(out / "result.json"));
  Output o;
  o.result = json::parse(read_file(out / "result.json"));
  o.summary = read_file(out / "summary.csv");
  return o;
}

json without(json j, const std::vector<json::json_pointer>& drop) {
  for (const auto& p : drop) {
    REQUIRE(j.contains(p));  // the field exists: dropping it is not vacuous
    j[p.parent_pointer()].erase(p.back());
  }
  return j;
}

// Equal, or show where they differ.
void check_same(const json& a, const json& b) {
  const json d = json::diff(a, b);
  INFO("differences (JSON patch from the first to the second): " << d.dump());
  CHECK(d.empty());
}

const std::vector<json::json_pointer> kWallClock = {json::json_pointer("/sim/wall_s")};

}  // namespace

TEST_CASE("same config and seed: identical result.json except sim.wall_s (simgrid clock)",
          "[models][cli][determinism]") {
  ScratchDir dir;
  write_file(dir / "small.toml", kConfig);
  const Output a = run(dir, "a", {"--set", "engine.clock=simgrid"});
  const Output b = run(dir, "b", {"--set", "engine.clock=simgrid"});
  REQUIRE(a.result["correctness"]["results"] == 3000);
  check_same(without(a.result, kWallClock), without(b.result, kWallClock));
  CHECK(a.summary == b.summary);
}

TEST_CASE("same config and seed: identical result.json except sim.wall_s (internal clock)",
          "[models][cli][determinism]") {
  ScratchDir dir;
  write_file(dir / "small.toml", kConfig);
  const Output a = run(dir, "a", {"--set", "engine.clock=internal"});
  const Output b = run(dir, "b", {"--set", "engine.clock=internal"});
  REQUIRE(a.result["correctness"]["results"] == 3000);
  check_same(without(a.result, kWallClock), without(b.result, kWallClock));
  CHECK(a.summary == b.summary);
}

TEST_CASE("simgrid and internal clocks give the same simulated results", "[models][cli][determinism]") {
  ScratchDir dir;
  write_file(dir / "small.toml", kConfig);
  const Output internal = run(dir, "internal", {"--set", "engine.clock=internal"});
  const Output simgrid = run(dir, "simgrid", {"--set", "engine.clock=simgrid"});
  const Output quantum0 = run(dir, "q0", {"--set", "engine.clock=simgrid", "--set", "engine.sync_quantum=0"});
  const Output quantum50 = run(dir, "q50", {"--set", "engine.clock=simgrid", "--set", "engine.sync_quantum=\"50us\""});

  // Left out of the comparison: the wall clock; the engine's own work
  // counter (sim.events counts driver resumptions, and a SimGrid epoch
  // boundary makes a context yield where the lone driver lets it run on --
  // the order of steps, hence every simulated number, is the same); the
  // heap allocations (SimGrid's timers, one per quantum); and the echo of the
  // engine keys that differ between the runs.
  const std::vector<json::json_pointer> engine_only = {
      json::json_pointer("/sim/wall_s"), json::json_pointer("/sim/events"), json::json_pointer("/sim/allocations"),
      json::json_pointer("/sim/events_per_kiocb"), json::json_pointer("/config/engine/clock"),
      json::json_pointer("/config/engine/sync_quantum")};
  const json ref = without(internal.result, engine_only);
  REQUIRE(ref["correctness"]["results"] == 3000);
  REQUIRE(ref["correctness"]["cancel_results"] > 0);  // the run exercises the cancel path
  check_same(ref, without(simgrid.result, engine_only));
  check_same(ref, without(quantum0.result, engine_only));
  check_same(ref, without(quantum50.result, engine_only));
  CHECK(internal.summary == simgrid.summary);
  CHECK(internal.summary == quantum0.summary);
  CHECK(internal.summary == quantum50.summary);
}

TEST_CASE("a different seed gives a different result (the comparison can fail)", "[models][cli][determinism]") {
  ScratchDir dir;
  write_file(dir / "small.toml", kConfig);
  const Output a = run(dir, "a", {"--set", "engine.clock=internal"});
  const Output b = run(dir, "b", {"--set", "engine.clock=internal", "--seed", "8"});
  json ja = without(a.result, kWallClock), jb = without(b.result, kWallClock);
  CHECK(ja["seed"] == 7);
  CHECK(jb["seed"] == 8);
  ja.erase("seed");
  jb.erase("seed");
  ja["config"].erase("seed");
  jb["config"].erase("seed");
  CHECK(ja["latency_ns"] != jb["latency_ns"]);
  CHECK(ja != jb);
}
