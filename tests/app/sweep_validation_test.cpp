// SPDX-License-Identifier: GPL-2.0-only
// A sweep spec is validated whole -- every run's config, cross-key checks
// included -- before anything runs, and --list validates the same way.
#include <catch2/catch.hpp>

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

TEST_CASE("a bad axis value deep in a spec stops the sweep and --list before anything runs", "[models][sweep][validate]") {
  ScratchDir dir;
  // Only the second value of the first (slowest) axis is bad, and only
  // against the machine: 90% reapers leave no room for the interrupt CPUs
  // at 16 CPUs. It first appears at grid point 4 of 8.
  write_file(dir / "deep.toml", "[sweep]\nbase = \"" + kMixed +
                                    "\"\nreplications = 2\n[set]\nworkload.kiocbs = 2000\n[axes]\n"
                                    "workload.reapers = [\"12.5%\", \"90%\"]\nkioctx.design = [\"mm-parent\", \"lazy-cancel\"]\n"
                                    "workload.batch = [4, 8]\n");
  for (const bool list : {false, true}) {
    std::vector<std::string> args = {"sweep", (dir / "deep.toml").string(), "--out", (dir / "out").string(), "-j", "2"};
    if (list) args.push_back("--list");
    const Run r = aiosim(args, dir);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    REQUIRE(lines_of(r.err).size() == 1);
    CHECK_THAT(r.err, Catch::Matchers::Contains("block.irq_cpus: 25% needs 4 CPUs, but only 1 of the machine's 16 are left") &&
                          Catch::Matchers::Contains("workload.reapers=90%") &&
                          Catch::Matchers::Contains("deep.toml:7"));
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}
