// SPDX-License-Identifier: GPL-2.0-only
// The four-context built-in scenario, cancel-complete-destroy-reap, on the
// real designs, explored up to its preemption bound (1), with the verdict
// worked out from fs/aio.c (mm-parent and the seed):
//   - io_cancel of an async-cancel request: the device's ki_cancel only asks
//     the hardware to abort and returns 0; KIF_CANCELLED (mm-parent, under
//     ctx_lock) or the xchg of ki_cancel (the seed) decides whether
//     io_cancel or aio_complete owns the result, so exactly one of them
//     gives it: io_cancel returns 0, or the event reaches the ring;
//   - io_destroy: kill_ioctx unhashes the context and free_ioctx cancels
//     what is still listed (dropping its result with the context) and waits
//     for reqs_active to drain; it returns 0;
//   - io_getevents(min_nr = 1): lookup_ioctx fails once the context is
//     unhashed (-EINVAL); otherwise it sleeps on ctx->wait until the
//     completion's wake_up or the teardown's, so it never sleeps forever
//     (a global deadlock would be a violation);
//   - nothing else goes wrong: no violation.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "programs/explore/explore.hpp"

namespace ex = programs::explore;

namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST_CASE("cancel-complete-destroy-reap: one fate per request, no hang, on mm-parent and lazy-cancel", "[explore][big]") {
  for (const char* design : {"mm-parent", "lazy-cancel"}) {
    INFO(design);
    const ex::Scenario sc =
        ex::load_scenario(std::string(AIOSIM_SCENARIOS) + "/cancel-complete-destroy-reap.toml", {std::string("kioctx.design=") + design});
    REQUIRE(sc.contexts.size() == 4);
    REQUIRE(sc.max_preemptions == -1);  // exhaustive as shipped; bounded here to stay quick
    ex::ExploreOptions o = ex::options_for(sc);
    o.max_preemptions = 1;
    const auto r = ex::explore_scenario(sc, o);
    INFO(ex::format_report(sc, o, r));
    CHECK(r.complete_within_bound);
    CHECK(r.violations.empty());
    bool cancel_wins = false, reaped = false, left_in_ring = false;
    for (const auto& [state, n] : r.end_states) {
      INFO(state);
      CHECK(state.find("io_destroy() = 0") != std::string::npos);
      // Exactly one fate for req0.
      const int fates = count(state, "io_cancel(req0) = 0") + count(state, "reaped event") +
                        count(state, "ring [req0]") + count(state, "dropped by teardown 1");
      CHECK(fates == 1);
      CHECK((state.find("io_getevents(min_nr=1, nr=1) = 1") != std::string::npos ||
             state.find("io_getevents(min_nr=1, nr=1) = -22") != std::string::npos));
      cancel_wins = cancel_wins || state.find("io_cancel(req0) = 0") != std::string::npos;
      reaped = reaped || state.find("reaped event(res=4096)") != std::string::npos;
      left_in_ring = left_in_ring || state.find("ring [req0]") != std::string::npos;
    }
    // Each side wins in some interleaving within one preemption.
    CHECK(cancel_wins);
    CHECK(reaped);
    CHECK(left_in_ring);
  }
}

// two-submitters-full-ring, exhaustive, with the verdicts worked out in the
// scenario file from fs/aio.c (mm-parent) and the seed: avail = 126 - 125 = 1.
TEST_CASE("two-submitters-full-ring: one slot for two io_submit on mm-parent; overcommitted with the seed", "[explore][big]") {
  auto run = [](const char* design) {
    const ex::Scenario sc = ex::load_scenario(std::string(AIOSIM_SCENARIOS) + "/two-submitters-full-ring.toml",
                                              {std::string("kioctx.design=") + design});
    REQUIRE(sc.contexts.size() == 3);
    REQUIRE(sc.max_preemptions == -1);
    const ex::ExploreOptions o = ex::options_for(sc);
    return ex::explore_scenario(sc, o);
  };
  const std::string first = "io_submit(req125:block) = ", second = "io_submit(req126:block) = ";
  SECTION("mm-parent: exactly one io_submit gets the slot, the other -EAGAIN") {
    const auto r = run("mm-parent");
    CHECK(r.exhaustive);
    CHECK(r.violations.empty());
    CHECK(r.sleep_blocked == 0);
    std::set<std::string> outcomes;
    for (const auto& [state, n] : r.end_states) {
      INFO(state);
      const bool a = state.find(first + "1;") != std::string::npos, b = state.find(second + "1;") != std::string::npos;
      CHECK(a != b);  // one admitted, never both, never neither
      CHECK((state.find(first + "-11;") != std::string::npos || state.find(second + "-11;") != std::string::npos));
      CHECK(state.find("ring [req0]") != std::string::npos);
      outcomes.insert(a ? "first" : "second");
    }
    CHECK(outcomes.size() == 2);  // either may win
  }
  SECTION("lazy-cancel: the completion between the refill's reads overcommits the ring") {
    const auto r = run("lazy-cancel");
    CHECK(r.exhaustive);
    CHECK(r.sleep_blocked == 0);
    REQUIRE(r.violations.size() == 1);
    CHECK(r.violations[0].info.headline == "ring overcommitted: 126 requests in flight and 1 event in the ring, 126 slots");
    // Counted twice: both io_submit see avail 0.
    bool both_refused = false;
    for (const auto& [state, n] : r.end_states)
      both_refused = both_refused || (state.find(first + "-11;") != std::string::npos && state.find(second + "-11;") != std::string::npos);
    CHECK(both_refused);
  }
}
