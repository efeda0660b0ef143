// SPDX-License-Identifier: GPL-2.0-only
// Every design of the registry on every built-in scenario
// (experiments/scenarios/*.toml), compared with the verdict its design file
// declares (DesignInfo::explore): clean, or exactly the violations listed.
// Neither the designs nor the scenarios are named here: a new design file,
// or a new scenario, is covered as soon as it exists (and a design file that
// does not state a verdict for a scenario fails).
//
// Each scenario runs as shipped (its own preemption bound), except those the
// explorer takes more than a few seconds over exhaustively; those are
// bounded to one preemption here (kBounded), where their verdicts are the
// same, and run whole by the hidden [.slow] case.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "models/designs/registry.hpp"
#include "programs/explore/explore.hpp"

namespace ex = programs::explore;

namespace {

// The built-in scenarios, by file name (sorted).
std::vector<std::string> builtin_scenarios() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(AIOSIM_SCENARIOS))
    if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Unbounded, over half a million schedules per design (docs/explorer.md).
const std::set<std::string> kBounded = {"cancel-complete-destroy-reap"};

// Each declared headline start matches exactly one violation found (as the
// report prints it), and every violation found is declared.
void check_verdict(const models::DesignInfo& d, const std::string& name, bool whole) {
  const auto it = std::find_if(d.explore.begin(), d.explore.end(),
                               [&](const models::ExploreVerdict& v) { return v.scenario == name; });
  INFO(d.name << " on " << name);
  REQUIRE(it != d.explore.end());  // the design file states a verdict for every built-in scenario
  const ex::Scenario sc = ex::load_scenario(std::string(AIOSIM_SCENARIOS) + "/" + name + ".toml",
                                            {"kioctx.design=" + d.name});
  ex::ExploreOptions o = ex::options_for(sc);
  if (!whole && kBounded.count(name)) o.max_preemptions = 1;
  const ex::ExploreResult r = ex::explore_scenario(sc, o);
  INFO(ex::format_report(sc, o, r));
  CHECK(r.complete_within_bound);
  std::vector<std::string> found;
  // As the report prints them: "kind: headline", the kind once.
  for (const auto& v : r.violations)
    found.push_back(v.info.headline.rfind(v.info.kind + ":", 0) == 0 ? v.info.headline
                                                                     : v.info.kind + ": " + v.info.headline);
  for (const std::string& want : it->violations) {
    INFO("declared: " << want);
    CHECK(std::count_if(found.begin(), found.end(), [&](const std::string& f) { return f.rfind(want, 0) == 0; }) == 1);
  }
  CHECK(found.size() == it->violations.size());
}

}  // namespace

TEST_CASE("every design on every built-in scenario: the verdict its design file declares", "[explore][designs]") {
  const std::vector<std::string> scenarios = builtin_scenarios();
  REQUIRE(scenarios.size() >= 9);
  for (const models::DesignInfo& d : models::designs()) {
    // No verdict for a scenario that does not exist (a renamed file).
    for (const models::ExploreVerdict& v : d.explore) {
      INFO(d.name << " declares " << v.scenario);
      CHECK(std::count(scenarios.begin(), scenarios.end(), v.scenario) == 1);
    }
    for (const std::string& name : scenarios) check_verdict(d, name, false);
  }
}

TEST_CASE("every design on the big built-in scenarios, unbounded", "[explore][designs][.slow]") {
  for (const models::DesignInfo& d : models::designs())
    for (const std::string& name : kBounded) check_verdict(d, name, true);
}
