// SPDX-License-Identifier: GPL-2.0-only
// machine.cpus and role keys that scale with it (models/workload/roles.hpp,
// sim/machine_config.cpp): the shapes and layouts the documented rules give,
// worked out by hand here, and a sweep over machine.cpus in which every
// role runs at every size.
#include <catch2/catch.hpp>

#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"
#include "models/workload/roles.hpp"
#include "programs/aio/schema.hpp"
#include "sim/machine_config.hpp"
#include "sim/presets.hpp"

using namespace clitest;
using nlohmann::json;
using sim::config::Config;
using sim::config::ConfigError;

namespace {

Config cfg_of(const std::string& toml) { return Config::from_string(programs::aio::run_schema(), toml, "x.toml"); }

sim::Topology shape(const std::string& toml) {
  const Config c = cfg_of(toml);
  return sim::topology_from(c, *sim::find_preset(c.get_string("machine.preset")), programs::aio::kMaxCpus);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::vector<int> range(int lo, int hi) {
  std::vector<int> v;
  for (int c = lo; c <= hi; ++c) v.push_back(c);
  return v;
}

}  // namespace

TEST_CASE("machine.cpus: sockets and cores from the preset's shape, explicit keys winning", "[models][cpus]") {
  // x86-2s-modern has 16 cores a socket.
  const auto s64 = shape("[machine]\ncpus = 64\n");
  CHECK((s64.sockets == 4 && s64.cores_per_socket == 16));
  const auto s8 = shape("[machine]\ncpus = 8\n");
  CHECK((s8.sockets == 1 && s8.cores_per_socket == 8));
  const auto s48 = shape("[machine]\ncpus = 48\n");
  CHECK((s48.sockets == 3 && s48.cores_per_socket == 16));
  const auto s2 = shape("[machine]\ncpus = 64\nsockets = 2\n");
  CHECK((s2.sockets == 2 && s2.cores_per_socket == 32));
  const auto c8 = shape("[machine]\ncpus = 64\ncores_per_socket = 8\n");
  CHECK((c8.sockets == 8 && c8.cores_per_socket == 8));
  const auto smt = shape("[machine]\ncpus = 64\nthreads_per_core = 2\n");
  CHECK((smt.sockets == 2 && smt.cores_per_socket == 16 && smt.cpus() == 64));
  // 40 = 3 sockets of at most 16 cores does not split evenly.
  CHECK_THAT(error_of([] { shape("[machine]\ncpus = 40\n"); }),
             Catch::Matchers::StartsWith("x.toml:2: machine.cpus: 40 CPUs do not split evenly"));
  CHECK_THAT(error_of([] { shape("[machine]\ncpus = 30\nsockets = 4\n"); }),
             Catch::Matchers::StartsWith("x.toml:2: machine.cpus: 30 CPUs do not divide among 4 sockets"));
  CHECK_THAT(error_of([] { shape("[machine]\ncpus = 30\nsockets = 2\ncores_per_socket = 8\n"); }),
             Catch::Matchers::StartsWith("x.toml:2: machine.cpus: 30 CPUs, but"));
}

TEST_CASE("role keys: lists, counts, shares and the rest, as disjoint blocks in order", "[models][cpus]") {
  // mixed.toml's shares at 16 CPUs: reapers 12.5% = 2, cancellers 6.25% = 1,
  // interrupts 25% = 4, submitters the other 9; blocks in that order.
  const std::string roles =
      "[workload]\nsubmitters = \"rest\"\nreapers = \"12.5%\"\n[block]\nirq_cpus = \"25%\"\n[usb]\ncancellers = \"6.25%\"\n";
  auto a = models::resolve_roles(cfg_of(roles), 16, true);
  CHECK(a.submitters == range(0, 8));
  CHECK(a.reapers == range(9, 10));
  CHECK(a.cancellers == std::vector<int>{11});
  CHECK(a.irq_cpus == range(12, 15));
  // At 4 CPUs every share rounds to at least one CPU: 1 + 1 + 1, the rest 1.
  a = models::resolve_roles(cfg_of(roles), 4, true);
  CHECK(a.submitters == std::vector<int>{0});
  CHECK(a.reapers == std::vector<int>{1});
  CHECK(a.cancellers == std::vector<int>{2});
  CHECK(a.irq_cpus == std::vector<int>{3});
  // No cancels: the cancellers' share gives nothing, and the rest grows.
  a = models::resolve_roles(cfg_of(roles), 16, false);
  CHECK(a.cancellers.empty());
  CHECK(a.submitters == range(0, 9));
  // Counts (integers or digit strings) around an explicit list: blocks skip the CPUs it names.
  a = models::resolve_roles(
      cfg_of("[workload]\nsubmitters = 3\nreapers = [1]\n[block]\nirq_cpus = \"2\"\n[usb]\ncancellers = \"0%\"\n"), 8, true);
  CHECK(a.reapers == std::vector<int>{1});
  CHECK(a.submitters == (std::vector<int>{0, 2, 3}));
  CHECK(a.cancellers.empty());
  CHECK(a.irq_cpus == (std::vector<int>{4, 5}));
  // "0-3" and "" are still explicit lists.
  a = models::resolve_roles(cfg_of("[workload]\nsubmitters = \"0-3\"\n[block]\nirq_cpus = \"0-3\"\n"), 8, false);
  CHECK(a.submitters == range(0, 3));
  CHECK(a.irq_cpus == range(0, 3));
  CHECK(a.reapers.empty());
}

TEST_CASE("role keys that do not fit the machine are exit-2 errors naming file, line and key", "[models][cpus]") {
  // 50% + 50% + 1 of 4 CPUs: the cancellers' block overflows.
  CHECK(error_of([] {
          models::resolve_roles(
              cfg_of("[workload]\nsubmitters = \"50%\"\nreapers = \"50%\"\n[usb]\ncancellers = 1\n[block]\nirq_cpus = \"\"\n"), 4,
              true);
        }) == "x.toml:5: usb.cancellers: 1 needs 1 CPU, but only 0 of the machine's 4 are left for it (explicit lists and "
              "the roles before it take the others)");
  CHECK_THAT(error_of([] {
               models::resolve_roles(cfg_of("[workload]\nsubmitters = \"rest\"\nreapers = \"rest\"\n"), 8, true);
             }),
             Catch::Matchers::StartsWith("x.toml:3: workload.reapers: \"rest\" is already taken by workload.submitters"));
  CHECK_THAT(error_of([] {
               models::resolve_roles(cfg_of("[workload]\nsubmitters = \"rest\"\nreapers = 4\n[block]\nirq_cpus = 4\n"), 8, false);
             }),
             Catch::Matchers::StartsWith("x.toml:2: workload.submitters: \"rest\" gets no CPU"));
  CHECK_THAT(error_of([] { models::resolve_roles(cfg_of("[workload]\nsubmitters = \"0-9\"\n"), 8, false); }),
             Catch::Matchers::StartsWith("x.toml:2: workload.submitters: CPU 8 does not exist"));
  CHECK_THAT(error_of([] { cfg_of("[workload]\nreapers = \"120%\"\n"); }),
             Catch::Matchers::StartsWith("x.toml:2: workload.reapers: invalid share \"120%\""));
}

TEST_CASE("a sweep over machine.cpus from 4 to 256 runs every role at every size", "[models][cpus][sweep]") {
  ScratchDir dir;
  const std::string spec = "[sweep]\nbase = \"" + std::string(AIOSIM_SOURCE_DIR) + "/experiments/mixed.toml\"\n"
                           "[set]\nworkload.kiocbs = 3000\nworkload.warmup = \"20us\"\nworkload.usb_fraction = 0.05\n"
                           "[axes]\nmachine.cpus = [4, 8, 16, 32, 64, 128, 256]\n";
  write_file(dir / "cpus.toml", spec);
  const Run r = aiosim({"sweep", (dir / "cpus.toml").string(), "--out", (dir / "out").string(), "-j", "2", "--quiet"}, dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Sizes from the rule: reapers round(12.5%), cancellers round(6.25%) and
  // interrupts round(25%), each at least 1; the submitters the rest.
  struct Want {
    int cpus, submitters, reapers, cancellers, irqs;
  };
  const Want want[] = {{4, 1, 1, 1, 1},    {8, 4, 1, 1, 2},     {16, 9, 2, 1, 4},     {32, 18, 4, 2, 8},
                       {64, 36, 8, 4, 16}, {128, 72, 16, 8, 32}, {256, 144, 32, 16, 64}};
  for (int i = 0; i < 7; ++i) {
    const fs::path file = dir / "out" / "runs" / fmt::format("{:06}", i) / "result.json";
    REQUIRE(fs::exists(file));
    const json res = json::parse(read_file(file));
    const json& roles = res["roles"];
    INFO(res["machine"]["cpus"] << " CPUs");
    CHECK(res["machine"]["cpus"] == want[i].cpus);
    CHECK(res["machine"]["sockets"] == 2);  // mixed.toml keeps two sockets
    CHECK(roles["submitters"].size() == static_cast<std::size_t>(want[i].submitters));
    CHECK(roles["reapers"].size() == static_cast<std::size_t>(want[i].reapers));
    CHECK(roles["cancellers"].size() == static_cast<std::size_t>(want[i].cancellers));
    CHECK(roles["irq_cpus"].size() == static_cast<std::size_t>(want[i].irqs));
    // Each role did its work: task time on the submitters, reapers and
    // cancellers, interrupt time on the interrupt CPUs; no CPU in two roles.
    std::set<int> seen;
    for (const char* role : {"submitters", "reapers", "cancellers", "irq_cpus"}) {
      double ns = 0;
      for (int c : roles[role].get<std::vector<int>>()) {
        CHECK(seen.insert(c).second);
        ns += res["cpus"][c][std::string(role) == "irq_cpus" ? "irq_ns" : "task_ns"].get<double>();
      }
      INFO(role);
      CHECK(ns > 0);
    }
    CHECK(res["cancels"]["io_cancel_calls"].get<double>() > 0);
  }
}
