// SPDX-License-Identifier: GPL-2.0-only
// The explorer derives what RCU orders from the steps themselves
// (sim/rcu.hpp, sim/mc/step_footprint.hpp), not from the names of the
// kernel functions: a design whose lookup_ioctx and kill_ioctx carry other
// labels, with the same code, is explored exactly as the original is (the
// same schedules, end states and violations). When the explorer matched
// "lookup_ioctx" and "kill_ioctx" by name, such a renaming dropped the RCU
// ordering, and synchronize_rcu() could return with a reader inside.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "models/aio/aio.hpp"
#include "programs/explore/explore.hpp"

namespace ex = programs::explore;

namespace {

// lazy-cancel with lookup_ioctx and kill_ioctx relabelled; the bodies are
// fs_aio.cpp's.
class Relabelled final : public models::AioDesign {
 public:
  Relabelled() : AioDesign("lazy-cancel", models::Switches{true, true, true, true}) {}
  models::Task<bool> lookup_ioctx(models::kioctx& ctx) override {
    sim::KernelFunction fn{"find_context"};
    sim::rcu_read_lock(rcu_);
    bool found = sim::rcu_dereference(ctx.hashed, "ioctx_list");
    if (found) co_await sim::atomic_inc(ctx.users);
    sim::rcu_read_unlock(rcu_);
    co_return found;
  }
  models::Task<void> kill_ioctx(models::kioctx& ctx) override {
    sim::KernelFunction fn{"retire_context"};
    if (!co_await sim::xchg(ctx.dead, 1)) {
      sim::rcu_assign_pointer(ctx.hashed, false, "ioctx_list");
      co_await sim::synchronize_rcu(rcu_, costs_.synchronize_rcu);
      co_await sim::wake_up(ctx.wait);
      co_await put_ioctx(ctx);
    }
  }
};

}  // namespace

TEST_CASE("renaming the kernel functions' labels changes no exploration", "[explore][rcu]") {
  for (const char* name : {"usb-cancel-destroy", "cancel-complete-destroy-reap"}) {
    INFO(name);
    const ex::Scenario named =
        ex::load_scenario(std::string(AIOSIM_SCENARIOS) + "/" + name + ".toml", {"kioctx.design=lazy-cancel"});
    ex::Scenario relabelled = named;
    relabelled.custom_design = [] { return std::make_unique<Relabelled>(); };
    ex::ExploreOptions o = ex::options_for(named);
    o.max_preemptions = 1;  // bounded: quick, and the same bound on both
    o.minimize = false;
    const ex::ExploreResult a = ex::explore_scenario(named, o);
    const ex::ExploreResult b = ex::explore_scenario(relabelled, o);
    CHECK(a.complete_within_bound);
    CHECK(a.schedules > 1);
    CHECK(b.schedules == a.schedules);
    CHECK(b.transitions == a.transitions);
    CHECK(b.end_states == a.end_states);
    REQUIRE(b.violations.size() == a.violations.size());
    for (std::size_t i = 0; i < a.violations.size(); ++i) {
      CHECK(b.violations[i].info.headline == a.violations[i].info.headline);
      CHECK(b.violations[i].schedules == a.violations[i].schedules);
    }
  }
}
