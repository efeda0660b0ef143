// SPDX-License-Identifier: GPL-2.0-only
// `aiosim keys` (every key of the schemas, and a commented default config
// that runs) and `aiosim explore --list`.
#include <catch2/catch.hpp>

#include <regex>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"
#include "programs/lockbench/schema.hpp"
#include "programs/aio/schema.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("aiosim keys lists every key of the schemas; --toml writes a config that runs", "[models][keys]") {
  ScratchDir dir;
  for (const auto& [kind, schema] : {std::pair{"aio", &programs::aio::run_schema()}, std::pair{"lockbench", &programs::lockbench::schema()}}) {
    const Run r = aiosim({"keys", kind}, dir);
    REQUIRE(r.status == 0);
    const std::vector<std::string> rows = lines_of(r.out);
    REQUIRE(rows.size() == schema->keys().size() + 1);  // a header, then one line a key
    for (std::size_t i = 0; i < schema->keys().size(); ++i) {
      const auto& d = schema->keys()[i];
      INFO(d.path);
      CHECK(rows[i + 1].rfind(d.is_map ? d.path + ".<name> " : d.path + " ", 0) == 0);
      CHECK_THAT(rows[i + 1], Catch::Matchers::Contains(d.doc));
    }
  }
  // A few rows worked out from the schema's declarations.
  const std::string aio = aiosim({"keys"}, dir).out;
  CHECK(std::regex_search(aio, std::regex("\\nworkload\\.kiocbs +int +200000 +>= 0 +stop after this many results")));
  CHECK(std::regex_search(aio, std::regex("\\nkioctx\\.lock +string +\"era\" +era\\|ticket\\|qspinlock\\|tas ")));
  CHECK(std::regex_search(aio, std::regex("\\nmachine\\.cpus +int +\\(unset\\) +\\[1, 1048576\\] ")));
  CHECK(std::regex_search(aio, std::regex("\\nworkload\\.warmup +duration +\"0ns\" +>= 0ns ")));
  // Floats as written in the schema: usb.efficiency 0.8, usb.bus_mbps 480.0 (not 0.80000000000000004).
  CHECK(std::regex_search(aio, std::regex("\\nusb\\.efficiency +float +0\\.8 ")));
  CHECK(std::regex_search(aio, std::regex("\\nusb\\.bus_mbps +float +480\\.0 ")));
  CHECK_THAT(aiosim({"keys", "--toml"}, dir).out, Catch::Matchers::Contains("cancel_fraction = 0.2\n"));
  const std::string sweep = aiosim({"keys", "sweep"}, dir).out;
  CHECK(std::regex_search(sweep, std::regex("\\nsweep\\.base +string +\\(required\\)")));
  CHECK(std::regex_search(sweep, std::regex("\\nsweep\\.replications +int +1 +\\[1, 100000\\]")));
  const std::string explore = aiosim({"keys", "explore"}, dir).out;
  CHECK(std::regex_search(explore, std::regex("\\nexplore\\.max_preemptions +int +-1 +\\[-1, 1000\\]")));
  // Nested sections list their tables' keys, from the same declarations the reader checks.
  CHECK(std::regex_search(explore, std::regex("\\nsetup\\[\\]\\.cpu +int +0 +\\[0, 63\\] ")));
  CHECK(std::regex_search(explore, std::regex("\\ncontext\\.<name>\\.cpu +int +\\(required\\) +\\[0, 63\\] ")));
  CHECK(std::regex_search(explore, std::regex("\\ncontext\\.<name>\\.kind +string +\\(required\\) +task\\|irq ")));
  CHECK(std::regex_search(sweep, std::regex("\\naxes\\.<key> +array\\|range ")));
  CHECK(std::regex_search(sweep, std::regex("\\nzip\\[\\]\\.<key> +array\\|range ")));
  CHECK(std::regex_search(sweep, std::regex("\\nset\\.<key> +any ")));
  CHECK(aiosim({"keys", "sweep", "--toml"}, dir).status == 2);
  CHECK(aiosim({"keys", "bogus"}, dir).status == 2);

  // The commented default config loads and runs as it is.
  const Run t = aiosim({"keys", "aio", "--toml"}, dir);
  REQUIRE(t.status == 0);
  CHECK_THAT(t.out, Catch::Matchers::Contains("\n# stop after this many results (0: run for workload.duration)\n# int, >= 0\nkiocbs = 200000\n"));
  write_file(dir / "default.toml", t.out);
  const Run run = aiosim({"run", (dir / "default.toml").string(), "--out", (dir / "default").string(), "--quiet"}, dir);
  INFO(run.err);
  CHECK(run.status == 0);
  REQUIRE(fs::exists(dir / "default" / "result.json"));
  const json res = json::parse(read_file(dir / "default" / "result.json"));
  CHECK(res["sim"]["kiocbs"] == 200000);
  CHECK(res["machine"]["cpus"] == 32);  // x86-2s-modern: 2 x 16
  // An empty config is the same config.
  write_file(dir / "empty.toml", "");
  const Run e = aiosim({"run", (dir / "empty.toml").string(), "--out", (dir / "empty").string(), "--quiet"}, dir);
  REQUIRE(e.status == 0);
  json a = res, b = json::parse(read_file(dir / "empty" / "result.json"));
  for (json* j : {&a, &b}) (*j)["sim"].erase("wall_s");
  CHECK(a == b);

  const Run lb = aiosim({"keys", "lockbench", "--toml"}, dir);
  REQUIRE(lb.status == 0);
  write_file(dir / "lb.toml", lb.out);
  const Run lbrun = aiosim({"run", (dir / "lb.toml").string(), "--set", "bench.duration=1ms", "--quiet"}, dir);
  INFO(lbrun.err);
  CHECK(lbrun.status == 0);
}

TEST_CASE("aiosim explore --list lists the built-in scenarios one line each", "[models][keys][explore]") {
  ScratchDir dir;
  const Run r = aiosim({"explore", "--list"}, dir);
  REQUIRE(r.status == 0);
  std::vector<std::string> names;
  for (const auto& f : fs::directory_iterator(fs::path(AIOSIM_SOURCE_DIR) / "experiments" / "scenarios"))
    if (f.path().extension() == ".toml") names.push_back(f.path().stem().string());
  std::sort(names.begin(), names.end());
  const std::vector<std::string> rows = lines_of(r.out);
  REQUIRE(rows.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(rows[i].rfind(names[i] + " ", 0) == 0);
    CHECK(rows[i].size() > names[i].size() + 10);  // a description follows
  }
  const Run bad = aiosim({"explore", "usb-cancel-irk"}, dir);
  CHECK(bad.status == 2);
  CHECK(bad.out.empty());
  for (const std::string& n : names) CHECK_THAT(bad.err, Catch::Matchers::Contains(n));
}
