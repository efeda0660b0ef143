// SPDX-License-Identifier: GPL-2.0-only
// RCU as engine primitives (sim/rcu.hpp) and the footprints a model checker
// derives from their steps (sim/mc/step_footprint.hpp). Expectations follow
// the definition of a grace period (Documentation/RCU/whatisRCU.txt):
// synchronize_rcu() returns only after every read-side critical section
// that began before the call has ended, and need not wait for one that
// began after it; call_rcu()'s callback runs after such a grace period.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/machine.hpp"
#include "sim/mc/step_footprint.hpp"
#include "sim/presets.hpp"
#include "sim/rcu.hpp"
#include "sim/step_driver.hpp"
#include "sim/timed_driver.hpp"

using sim::Context;
using sim::StepKind;

namespace {

const sim::MachinePreset& zero() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return *p;
}

bool enabled(const sim::StepDriver& d, const Context* c) {
  const auto e = d.enabled();
  return std::find(e.begin(), e.end(), c) != e.end();
}

// A reader: its section opens in its start transition and closes after its
// one store.
sim::Task<void> reader(sim::Rcu& rcu, sim::Shared<int>& x) {
  sim::rcu_read_lock(rcu);
  co_await sim::WRITE_ONCE(x, 1);
  sim::rcu_read_unlock(rcu);
}

// An updater: one load, then synchronize_rcu(), then a store.
sim::Task<void> updater(sim::Rcu& rcu, sim::Shared<int>& y, sim::Shared<int>& z, sim::Time grace) {
  co_await sim::READ_ONCE(y);
  co_await sim::synchronize_rcu(rcu, grace);
  co_await sim::WRITE_ONCE(z, 1);
}

struct Rig {
  sim::Machine m{zero().topology, zero().costs};
  sim::StepDriver d{m};
  sim::CacheLine line{"v"};
  sim::Shared<int> x{line, "x"}, y{line, "y"}, z{line, "z"};
  sim::Rcu rcu;
  Context& a = m.cpu(0).task();
  Context& b = m.cpu(1).task();
};

}  // namespace

TEST_CASE("synchronize_rcu waits for a reader that began before it", "[engine][rcu]") {
  Rig r;
  r.a.start(reader(r.rcu, r.x), 0);
  r.b.start(updater(r.rcu, r.y, r.z, 0), 0);
  r.d.step(r.a);  // A's section opens; pending: its store
  CHECK(r.rcu.in_read_section(r.a));
  r.d.step(r.b);  // start -> pending load
  r.d.step(r.b);  // load; synchronize_rcu() is called with A inside
  CHECK(r.b.pending.kind == StepKind::GracePeriodEnd);
  CHECK_FALSE(enabled(r.d, &r.b));  // A began before the call
  r.d.step(r.a);                    // A's store and rcu_read_unlock()
  CHECK(r.rcu.readers() == 0);
  CHECK(enabled(r.d, &r.b));
  r.d.step(r.b);  // synchronize_rcu() returns
  CHECK(r.b.pending.kind == StepKind::Store);
}

TEST_CASE("synchronize_rcu does not wait for a reader that began after it", "[engine][rcu]") {
  Rig r;
  r.b.start(updater(r.rcu, r.y, r.z, 0), 0);
  r.d.step(r.b);
  r.d.step(r.b);  // synchronize_rcu() called: nobody inside
  r.a.start(reader(r.rcu, r.x), 0);
  r.d.step(r.a);  // A's section opens after the call
  CHECK(r.rcu.in_read_section(r.a));
  CHECK(enabled(r.d, &r.b));
  r.d.step(r.b);  // returns with A still inside
  CHECK(r.rcu.in_read_section(r.a));
  CHECK(r.b.pending.kind == StepKind::Store);
}

TEST_CASE("nested read-side sections end at the outermost rcu_read_unlock", "[engine][rcu]") {
  Rig r;
  auto nested = [](sim::Rcu& rcu, sim::Shared<int>& x) -> sim::Task<void> {
    sim::rcu_read_lock(rcu);
    sim::rcu_read_lock(rcu);
    co_await sim::WRITE_ONCE(x, 1);
    sim::rcu_read_unlock(rcu);  // inner: still inside
    co_await sim::WRITE_ONCE(x, 2);
    sim::rcu_read_unlock(rcu);
  };
  r.a.start(nested(r.rcu, r.x), 0);
  r.b.start(updater(r.rcu, r.y, r.z, 0), 0);
  r.d.step(r.a);
  r.d.step(r.b);
  r.d.step(r.b);  // called while A is inside
  r.d.step(r.a);  // inner unlock
  CHECK(r.rcu.in_read_section(r.a));
  CHECK_FALSE(enabled(r.d, &r.b));
  r.d.step(r.a);  // outer unlock
  CHECK(enabled(r.d, &r.b));
}

TEST_CASE("call_rcu's callback runs after the grace period", "[engine][rcu]") {
  Rig r;
  int ran = 0;
  auto caller = [&](sim::Rcu& rcu) -> sim::Task<void> {
    co_await sim::READ_ONCE(r.y);
    sim::call_rcu(rcu, 0, [&] { ++ran; });
    co_await sim::WRITE_ONCE(r.z, 1);
  };
  r.a.start(reader(r.rcu, r.x), 0);
  r.d.step(r.a);  // A inside
  r.b.start(caller(r.rcu), 0);
  r.d.step(r.b);
  r.d.step(r.b);  // call_rcu with A inside: the callback waits
  CHECK(ran == 0);
  CHECK(r.rcu.callbacks_pending() == 1);
  // A reader that begins now does not hold it back.
  r.m.cpu(2).task().start(reader(r.rcu, r.y), 0);
  r.d.step(r.m.cpu(2).task());
  CHECK(ran == 0);
  r.d.step(r.a);  // A leaves: the grace period is over
  CHECK(ran == 1);
  CHECK(r.rcu.callbacks_pending() == 0);
  CHECK(r.rcu.in_read_section(r.m.cpu(2).task()));
}

TEST_CASE("timed: synchronize_rcu costs the grace period, and waits longer for a reader still inside", "[engine][rcu]") {
  const sim::Time grace = 1 * sim::kMs;
  SECTION("no reader: exactly the grace period, like a sleep of that length") {
    sim::Machine m(zero().topology, zero().costs);
    sim::TimedDriver d(m);
    sim::CacheLine line("v");
    sim::Shared<int> y(line, "y"), z(line, "z");
    sim::Rcu rcu;
    sim::Time returned = -1;
    auto t = [&]() -> sim::Task<void> {
      co_await sim::synchronize_rcu(rcu, grace);
      returned = sim::current().local;
    };
    m.cpu(0).task().start(t(), 0);
    d.run();
    CHECK(returned == grace);
  }
  SECTION("a reader that began before it and leaves at 3 ms holds it until then") {
    sim::Machine m(zero().topology, zero().costs);
    sim::TimedDriver d(m);
    sim::CacheLine line("v");
    sim::Shared<int> x(line, "x");
    sim::Rcu rcu;
    sim::Time returned = -1, left = -1;
    auto rd = [&]() -> sim::Task<void> {
      sim::rcu_read_lock(rcu);
      sim::cpu_work(3 * sim::kMs);
      co_await sim::WRITE_ONCE(x, 1);
      left = sim::current().local;
      sim::rcu_read_unlock(rcu);
    };
    auto up = [&]() -> sim::Task<void> {
      sim::cpu_work(1);
      co_await sim::READ_ONCE(x);  // a step at 1 ps: the reader (from 0) is inside by now
      REQUIRE(rcu.readers() == 1);
      co_await sim::synchronize_rcu(rcu, grace);
      returned = sim::current().local;
    };
    m.cpu(0).task().start(rd(), 0);
    m.cpu(1).task().start(up(), 0);
    d.run();
    REQUIRE(left >= 3 * sim::kMs);
    CHECK(returned >= left);
    CHECK(returned > grace + 1);
  }
  SECTION("call_rcu: the callback runs once the grace period has passed") {
    sim::Machine m(zero().topology, zero().costs);
    sim::TimedDriver d(m);
    sim::Rcu rcu;
    sim::Time ran_at = -1;
    auto t = [&]() -> sim::Task<void> {
      sim::call_rcu(rcu, grace, [&] { ran_at = d.now(); });
      co_return;
    };
    m.cpu(0).task().start(t(), 0);
    d.run();
    CHECK(ran_at == grace);
  }
}

TEST_CASE("the footprints of RCU steps: a reader and synchronize_rcu are dependent, two readers are not", "[engine][rcu][mc]") {
  using sim::mc::Footprint;
  const sim::mc::ObjKey rcu = 77, field = 78;
  auto fp = [](std::initializer_list<std::pair<StepKind, std::int64_t>> steps, sim::mc::ObjKey key) {
    Footprint f;
    for (auto [k, after] : steps) sim::mc::add_step_access(f, k, key, after);
    return f;
  };
  const Footprint lock = fp({{StepKind::RcuReadLock, 1}}, rcu);
  const Footprint unlock_free = fp({{StepKind::RcuReadUnlock, 0}}, rcu);
  const Footprint unlock_waited = fp({{StepKind::RcuReadUnlock, 1}}, rcu);
  const Footprint sync_call = fp({{StepKind::SynchronizeRcu, 0}}, rcu);
  const Footprint call_rcu = fp({{StepKind::CallRcu, 0}}, rcu);
  const Footprint gp_end = fp({{StepKind::GracePeriodEnd, 0}}, rcu);

  // Two readers commute, whatever the order of their starts and ends.
  CHECK_FALSE(sim::mc::dependent(lock, lock));
  CHECK_FALSE(sim::mc::dependent(lock, unlock_waited));
  CHECK_FALSE(sim::mc::dependent(unlock_waited, unlock_waited));
  // Whether a reader starts before or after the call decides whether the
  // grace period waits for it: a race either way round.
  CHECK(sim::mc::dependent(lock, sync_call));
  CHECK(sim::mc::reversible(lock, sync_call));
  CHECK(sim::mc::reversible(sync_call, lock));
  CHECK(sim::mc::dependent(lock, call_rcu));
  CHECK(sim::mc::dependent(unlock_free, sync_call));
  // The end of a waited-for section and the return: ordered, not reversible.
  CHECK(sim::mc::dependent(unlock_waited, gp_end));
  CHECK_FALSE(sim::mc::reversible(unlock_waited, gp_end));
  // A section begun after the call is not waited for: its end and the return commute.
  CHECK_FALSE(sim::mc::dependent(unlock_free, gp_end));
  CHECK_FALSE(sim::mc::dependent(lock, gp_end));
  // Publishing and reading an RCU-protected field: a write and a read.
  const Footprint assign = fp({{StepKind::RcuAssign, 0}}, field);
  const Footprint deref = fp({{StepKind::RcuDereference, 0}}, field);
  CHECK(sim::mc::dependent(assign, deref));
  CHECK_FALSE(sim::mc::dependent(deref, deref));
}
