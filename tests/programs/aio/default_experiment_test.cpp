// SPDX-License-Identifier: GPL-2.0-only
// The default experiment (experiments/default.toml: mm-parent against
// lazy-cancel at 4, 16 and 64 CPUs) compares like with like only if every
// role runs under both designs. A task on a CPU that also takes interrupts
// runs only in the time the interrupt handlers leave; under mm-parent they spin
// on ctx_lock and leave none, so a canceller placed there made no io_cancel
// call at all and the `lost` column compared nothing. Here: every CPU of a
// submitter, reaper or canceller spent task time, and io_cancel was called,
// at every point under both designs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "tests/support/cli.hpp"

using namespace clitest;
using nlohmann::json;

TEST_CASE("the default experiment: every role runs under both designs at every point", "[models][default]") {
  ScratchDir dir;
  const fs::path out = dir / "default";
  const Run r = aiosim({"compare", "experiments/default.toml", "--out", out.string(), "-j", "2"}, dir, {}, AIOSIM_SOURCE_DIR);
  INFO(r.err);
  REQUIRE(r.status == 0);
  int runs = 0;
  for (int point = 0; point < 3; ++point)
    for (const char* design : {"mm-parent", "lazy-cancel"}) {
      // compare runs a sweep: run = point * values + value, the design being value 0 or 1 of default.toml.
      const int value = std::string(design) == "mm-parent" ? 0 : 1;
      char run_dir[32];
      std::snprintf(run_dir, sizeof run_dir, "runs/%06d", point * 2 + value);
      const fs::path file = out / run_dir / "result.json";
      REQUIRE(fs::exists(file));
      const json res = json::parse(read_file(file));
      // The roles as the run resolved them (default.toml and mixed.toml give counts and shares).
      const json& roles = res["roles"];
      INFO("point " << point << " (" << res["machine"]["cpus"] << " CPUs), " << design);
      REQUIRE(res["design"]["name"] == design);
      const std::vector<int> irq = roles["irq_cpus"].get<std::vector<int>>();
      for (const char* role : {"submitters", "reapers", "cancellers"}) {
        const std::vector<int> cpus = roles[role].get<std::vector<int>>();
        if (std::string(role) != "reapers" || point > 0) CHECK_FALSE(cpus.empty());  // 4 CPUs: the submitters reap
        for (int c : cpus) {
          INFO(role << " CPU " << c);
          CHECK(res["cpus"][c]["task_ns"].get<double>() > 0);
          CHECK(std::find(irq.begin(), irq.end(), c) == irq.end());  // a CPU of its own
          CHECK(c != roles["usb_irq_cpu"].get<int>());
        }
      }
      // The layouts the README describes, worked out from the documented order
      // (submitters, reapers, cancellers, interrupt CPUs, each a block from CPU 0).
      struct Layout {
        int cpus, submitters, reapers, cancellers, irqs;
      };
      const Layout want[] = {{4, 2, 0, 1, 1}, {16, 9, 2, 1, 4}, {64, 46, 4, 2, 12}};
      const Layout& w = want[point];
      CHECK(res["machine"]["cpus"] == w.cpus);
      CHECK(roles["submitters"].size() == static_cast<std::size_t>(w.submitters));
      CHECK(roles["submitters"][0] == 0);
      CHECK(roles["reapers"].size() == static_cast<std::size_t>(w.reapers));
      CHECK(roles["cancellers"].size() == static_cast<std::size_t>(w.cancellers));
      CHECK(roles["cancellers"][0] == w.submitters + w.reapers);
      CHECK(irq.size() == static_cast<std::size_t>(w.irqs));
      CHECK(irq.back() == w.cpus - 1);
      CHECK(roles["usb_irq_cpu"] == w.cpus - 1);
      CHECK(res["cancels"]["io_cancel_calls"].get<double>() > 0);
      ++runs;
    }
  CHECK(runs == 6);
}
