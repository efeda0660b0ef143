// SPDX-License-Identifier: GPL-2.0-only
// Backtracking by restoring a saved state (sim::Arena snapshots) must
// explore exactly what rebuilding the world and replaying the prefix
// explores: the same schedules in the same order, so the same counts, end
// states and shortest counterexamples, on every built-in scenario as
// shipped, for several snapshot intervals, and for random walks.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "programs/explore/explore.hpp"

namespace ex = programs::explore;

namespace {

void require_same(const ex::ExploreResult& a, const ex::ExploreResult& b) {
  CHECK(a.schedules == b.schedules);
  CHECK(a.sleep_blocked == b.sleep_blocked);
  CHECK(a.wakeup_dropped == b.wakeup_dropped);
  CHECK(a.pruned_by_bound == b.pruned_by_bound);
  CHECK(a.max_depth_seen == b.max_depth_seen);
  CHECK(a.exhaustive == b.exhaustive);
  CHECK(a.traces_covered == b.traces_covered);
  CHECK(a.end_states == b.end_states);
  REQUIRE(a.violations.size() == b.violations.size());
  for (std::size_t i = 0; i < a.violations.size(); ++i) {
    CHECK(a.violations[i].info.headline == b.violations[i].info.headline);
    CHECK(a.violations[i].schedules == b.violations[i].schedules);
    CHECK(a.violations[i].shortest == b.violations[i].shortest);
    CHECK(a.violations[i].trace == b.violations[i].trace);
  }
}

std::vector<ex::Scenario> builtins() {
  std::vector<ex::Scenario> out;
  for (const auto& f : std::filesystem::directory_iterator(AIOSIM_SCENARIOS))
    if (f.path().extension() == ".toml") out.push_back(ex::load_scenario(f.path(), {}));
  return out;
}

}  // namespace

TEST_CASE("snapshots explore exactly what replaying explores, on every built-in scenario", "[explore][snapshot]") {
  int n = 0;
  for (const ex::Scenario& sc : builtins()) {
    INFO(sc.name);
    ex::ExploreOptions replaying = ex::options_for(sc);
    replaying.max_schedules = 3000;  // both stop at the same schedule
    replaying.snapshots = false;
    replaying.count_traces = true;
    const ex::ExploreResult base = ex::explore_scenario(sc, replaying);
    CHECK(base.restores == 0);
    for (int every : {1, 3, 8}) {
      INFO("snapshot every " << every << " transitions");
      ex::ExploreOptions snap = replaying;
      snap.snapshots = true;
      snap.snapshot_interval = every;
      const ex::ExploreResult r = ex::explore_scenario(sc, snap);
      require_same(base, r);
      // Every backtrack restored a state, and fewer transitions ran.
      CHECK(r.restores == r.schedules + r.sleep_blocked - 1);
      CHECK(r.snapshot_bytes > 0);
      if (base.schedules > 1) CHECK(r.transitions < base.transitions);
    }
    ++n;
  }
  CHECK(n >= 9);
}

TEST_CASE("snapshots: random walks are the same walks", "[explore][snapshot]") {
  for (const ex::Scenario& sc : builtins()) {
    if (sc.name != "usb-cancel-destroy" && sc.name != "two-submitters-full-ring") continue;
    INFO(sc.name);
    ex::ExploreOptions o = ex::options_for(sc);
    o.reduction = ex::Reduction::Random;
    o.random_walks = 300;
    o.seed = 11;
    o.snapshots = false;
    const ex::ExploreResult base = ex::explore_scenario(sc, o);
    // A walk restores only the initial state: the interval does not matter,
    // and the API lets it be 0 with snapshots on (the CLI turns them off).
    // Shortening a counterexample then replays from the initial state.
    for (int every : {8, 0}) {
      INFO("snapshot_interval " << every);
      o.snapshots = true;
      o.snapshot_interval = every;
      const ex::ExploreResult r = ex::explore_scenario(sc, o);
      require_same(base, r);
      CHECK(r.interleavings_estimated == base.interleavings_estimated);
      CHECK(r.restores == 299);  // every walk but the first, which builds the system
    }
  }
}
