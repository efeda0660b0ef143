// SPDX-License-Identifier: GPL-2.0-only
// Optimal DPOR (wakeup trees) against source-DPOR on every built-in
// scenario: both cover every Mazurkiewicz trace, so they must reach the
// same end states and the same violations with the same shortest
// counterexample length; the wakeup trees may only remove schedules, never
// add any, and cut fewer short by sleep sets.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "models/explore/explore.hpp"

namespace ex = models::explore;

namespace {

std::set<std::string> states(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& [k, n] : r.end_states) s.insert(k);
  return s;
}
std::set<std::string> violations(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& v : r.violations) s.insert(v.info.kind + ": " + v.info.headline + " @" + std::to_string(v.shortest.size()));
  return s;
}

}  // namespace

TEST_CASE("optimal DPOR finds what source-DPOR finds on every built-in scenario, with no more schedules", "[explore][optimal]") {
  int scenarios = 0;
  for (const auto& f : std::filesystem::directory_iterator(AIOSIM_SCENARIOS)) {
    if (f.path().extension() != ".toml") continue;
    const ex::Scenario sc = ex::load_scenario(f.path(), {});
    INFO(sc.name);
    if (sc.max_preemptions >= 0) continue;  // bounded on purpose: too big to exhaust
    ex::ExploreOptions o = ex::options_for(sc);
    o.max_preemptions = -1;
    auto optimal = ex::explore_scenario(sc, o);
    o.optimal = false;
    auto source = ex::explore_scenario(sc, o);
    REQUIRE(optimal.exhaustive);
    REQUIRE(source.exhaustive);
    CHECK(states(optimal) == states(source));
    CHECK(violations(optimal) == violations(source));
    CHECK(optimal.schedules <= source.schedules);
    CHECK(optimal.sleep_blocked <= source.sleep_blocked);
    ++scenarios;
  }
  CHECK(scenarios >= 6);
}
