// SPDX-License-Identifier: GPL-2.0-only
// The measured window: a run with fewer completions after the warm-up than
// workload.min_measured is flagged (result, warning line, a sweep column).
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"

using namespace clitest;
using nlohmann::json;

namespace {

const std::string kMixed = std::string(AIOSIM_SOURCE_DIR) + "/experiments/mixed.toml";

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("a run with too few completions in its measured window is flagged, with a warning line", "[models][measured]") {
  ScratchDir dir;
  // 500 results at most: fewer than the default workload.min_measured of 1000.
  Run r = aiosim({"run", kMixed, "--set", "workload.kiocbs=500", "--set", "workload.warmup=0", "--out", (dir / "few").string(),
                  "--quiet"},
                 dir);
  REQUIRE(r.status == 0);
  json res = json::parse(read_file(dir / "few" / "result.json"));
  CHECK(res["sim"]["too_few_measured"] == true);
  const auto measured = res["sim"]["measured_completions"].get<std::uint64_t>();
  CHECK(measured > 0);
  CHECK(measured <= 500);
  REQUIRE(lines_of(r.err).size() == 1);
  CHECK_THAT(r.err, Catch::Matchers::StartsWith("aiosim: warning: ") && Catch::Matchers::Contains("workload.min_measured") &&
                        Catch::Matchers::Contains(std::to_string(measured) + " completions, fewer than 1000"));
  // The threshold is the config's: at 100 the same run is not flagged, and nothing is printed.
  r = aiosim({"run", kMixed, "--set", "workload.kiocbs=500", "--set", "workload.warmup=0", "--set", "workload.min_measured=100",
              "--out", (dir / "enough").string(), "--quiet"},
             dir);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  res = json::parse(read_file(dir / "enough" / "result.json"));
  CHECK(res["sim"]["too_few_measured"] == false);
}

TEST_CASE("a sweep marks the runs with too few measured completions", "[models][measured][sweep]") {
  ScratchDir dir;
  write_file(dir / "few.toml", "[sweep]\nbase = \"" + kMixed +
                                   "\"\n[set]\nworkload.warmup = \"0ns\"\n[axes]\nworkload.kiocbs = [300, 3000]\n");
  const Run r = aiosim({"sweep", (dir / "few.toml").string(), "--out", (dir / "out").string(), "-j", "2", "--quiet"}, dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::vector<std::string> rows = lines_of(read_file(dir / "out" / "runs.csv"));
  REQUIRE(rows.size() == 3);
  std::vector<std::string> header;
  std::istringstream h(rows[0]);
  for (std::string c; std::getline(h, c, ',');) header.push_back(c);
  const auto col = std::find(header.begin(), header.end(), "sim.too_few_measured") - header.begin();
  REQUIRE(static_cast<std::size_t>(col) < header.size());
  auto field = [&](const std::string& row) {
    std::vector<std::string> f;
    std::istringstream in(row);
    for (std::string c; std::getline(in, c, ',');) f.push_back(c);
    return f.at(static_cast<std::size_t>(col));
  };
  CHECK(field(rows[1]) == "true");   // 300 completions
  CHECK(field(rows[2]) == "false");  // 3000
}
