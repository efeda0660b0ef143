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

// cancel-complete-destroy-reap without its reaper: three contexts, explored
// unbounded in seconds for every design. From fs/aio.c of every tag here:
// io_destroy waits until the in-flight request is done (its completion IRQ
// always comes: the async device's cancel only asks the hardware to abort)
// and returns 0; the request gets exactly one result; nothing deadlocks.
// Under v4.19 this once found a global deadlock the kernel does not have:
// percpu_ref_kill marked the ref atomic only after its grace period, and
// io_cancel's put of ctx->users, begun during it, went to the per-CPU
// counter after the fold (docs/designs/v4.19.md), cutting 16 schedules
// short on the way.
TEST_CASE("every design: io_cancel, its completion IRQ and io_destroy, unbounded", "[explore][designs]") {
  const std::string text = R"(
[machine]
cpus = 2
[[setup]]
action = "io_submit"
iocbs = ["async"]
[context.canceller]
cpu = 0
kind = "task"
action = "io_cancel"
request = 0
[context.hw]
cpu = 0
kind = "irq"
action = "complete"
device = "async"
request = 0
[context.destroyer]
cpu = 1
kind = "task"
action = "io_destroy"
)";
  for (const models::DesignInfo& d : models::designs()) {
    if (d.planted_bug || !d.aio_kiocbs) continue;  // io_uring has no async-cancel requests
    INFO(d.name);
    const ex::Scenario sc = ex::parse_scenario(text + "[kioctx]\ndesign = \"" + d.name + "\"\n", "cancel-complete-destroy.toml");
    ex::ExploreOptions o = ex::options_for(sc);
    o.max_preemptions = -1;
    const ex::ExploreResult r = ex::explore_scenario(sc, o);
    INFO(ex::format_report(sc, o, r));
    CHECK(r.exhaustive);
    CHECK(r.violations.empty());
    CHECK(r.sleep_blocked == 0);
    CHECK(r.wakeup_dropped == 0);
    REQUIRE_FALSE(r.end_states.empty());
    for (const auto& [state, n] : r.end_states) CHECK(state.find("io_destroy() = 0") != std::string::npos);
  }
}

// cancel-complete-destroy-reap without its canceller, under v3.12 and v3.17
// (3 contexts; unbounded in about a second). v3.12's aio_complete ends
// "if (waitqueue_active(&ctx->wait)) wake_up(&ctx->wait); rcu_read_unlock();"
// (fs/aio.c of 3.12, lines 959-962), so the end of its read-side section is
// in the transition of the waitqueue_active() load when it reads "empty" and
// in wake_up's otherwise. The race of that load with the reaper's
// finish_wait() was reversed with the load's footprint recorded where it read
// "empty" (ending the section io_destroy's synchronize_rcu() waits for); moved
// before finish_wait it reads "not empty" and touches no RCU state, so a
// branch that an explored schedule already covered was taken, and 6
// schedules were cut short. With optimal DPOR none may be
// (docs/explorer.md), and each schedule is one trace. From fs/aio.c of both
// tags: io_destroy returns 0; the completion's event is reaped (1) or the
// reaper sees the context dead (-EINVAL); both happen.
TEST_CASE("v3.12 and v3.17: a completion IRQ with io_destroy and a sleeping io_getevents explored unbounded: none cut short",
          "[explore][designs]") {
  const std::string text = R"(
[machine]
cpus = 3
[[setup]]
action = "io_submit"
iocbs = ["async"]
[context.hw]
cpu = 0
kind = "irq"
action = "complete"
device = "async"
request = 0
[context.destroyer]
cpu = 1
kind = "task"
action = "io_destroy"
[context.reaper]
cpu = 2
kind = "task"
action = "io_getevents"
min_nr = 1
nr = 1
)";
  for (const std::string design : {"v3.12", "v3.17"}) {
    INFO(design);
    const ex::Scenario sc = ex::parse_scenario(text + "[kioctx]\ndesign = \"" + design + "\"\n", "complete-destroy-reap.toml");
    ex::ExploreOptions o = ex::options_for(sc);
    o.max_preemptions = -1;
    o.count_traces = true;
    const ex::ExploreResult r = ex::explore_scenario(sc, o);
    INFO(ex::format_report(sc, o, r));
    CHECK(r.exhaustive);
    CHECK(r.violations.empty());
    CHECK(r.sleep_blocked == 0);
    CHECK(r.wakeup_dropped == 0);
    CHECK(r.traces_covered == r.schedules);
    bool reaped = false, einval = false;
    for (const auto& [state, n] : r.end_states) {
      INFO(state);
      CHECK(state.find("io_destroy() = 0") != std::string::npos);
      const bool one = state.find("io_getevents(min_nr=1, nr=1) = 1;") != std::string::npos;
      const bool dead = state.find("io_getevents(min_nr=1, nr=1) = -22;") != std::string::npos;
      CHECK(one != dead);
      reaped = reaped || one;
      einval = einval || dead;
    }
    CHECK(reaped);
    CHECK(einval);
  }
}
