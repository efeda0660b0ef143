// SPDX-License-Identifier: GPL-2.0-only
// x86-TSO store buffers (sim/coherence.hpp, Coherence::set_store_buffer):
// a plain store retires into the buffer and the CPU goes on; the RFO
// completes in the background; an atomic waits for the buffer to drain; a
// full buffer makes the next store wait for its oldest entry; off, every
// store waits for its RFO as before.
//
// Costs from distinct_costs() (every entry a different number): CPUs 0 and
// 2 are one hop apart, so a store to a line Modified on CPU 2 is an RFO of
// store_modified[one hop] = 34 ns; a store hit is 7 ns, a load hit 6 ns, an
// atomic on a line this CPU owns atomic_modified[self] = 51 ns.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/sim/distinct_costs.hpp"
#include "sim/access.hpp"
#include "sim/machine.hpp"
#include "sim/spinlock.hpp"
#include "sim/step_driver.hpp"
#include "sim/timed_driver.hpp"

using sim::AccessKind;
using sim::CacheLine;
using sim::Time;

namespace {

constexpr Time ns = sim::kNs;
constexpr Time us = sim::kUs;
const sim::Topology kSmall{2, 2, 2};  // CPUs 0,1 socket 0; 2,3 socket 1

struct Lines {
  CacheLine xl{"x"}, yl{"y"}, zl{"z"}, wl{"w"};
  sim::Shared<int> x{xl, "x"}, y{yl, "y"}, z{zl, "z"}, w{wl, "w"};
};

// x, z, w Modified on CPU 2; y Shared by CPU 0 (loaded from memory at 0).
void setup(sim::Machine& m, Lines& l) {
  auto& coh = m.coherence();
  coh.access(l.xl, 2, AccessKind::Store, 0);
  coh.access(l.zl, 2, AccessKind::Store, 0);
  coh.access(l.wl, 2, AccessKind::Store, 0);
  coh.access(l.yl, 0, AccessKind::Load, 0);
}

// At 1 us: store x, then load y twice, then load x (its own buffered store).
sim::Task<void> store_then_loads(Lines& l, std::vector<Time>& at) {
  sim::cpu_work(1 * us);
  at.push_back(sim::current().local);
  co_await sim::WRITE_ONCE(l.x, 1);
  at.push_back(sim::current().local);
  co_await sim::READ_ONCE(l.y);
  co_await sim::READ_ONCE(l.y);
  at.push_back(sim::current().local);
  co_await sim::READ_ONCE(l.x);
  at.push_back(sim::current().local);
}

// At 1 us: store x, load y, then an atomic on z... made local first.
sim::Task<void> store_then_atomic(Lines& l, std::vector<Time>& at) {
  co_await sim::atomic_inc(l.w);  // w now Modified here (an RFO from CPU 2, done before 1 us)
  sim::cpu_work(1 * us - sim::current().local);
  at.push_back(sim::current().local);
  co_await sim::WRITE_ONCE(l.x, 1);
  co_await sim::READ_ONCE(l.y);
  at.push_back(sim::current().local);
  co_await sim::atomic_inc(l.w);
  at.push_back(sim::current().local);
}

}  // namespace

TEST_CASE("store buffer: a store followed by independent loads does not stall", "[engine][store-buffer]") {
  for (int entries : {0, 56}) {
    DYNAMIC_SECTION("store buffer entries " << entries) {
      sim::Machine m(kSmall, test::distinct_costs());
      m.coherence().set_store_buffer(entries);
      sim::TimedDriver d(m);
      Lines l;
      setup(m, l);
      std::vector<Time> at;
      m.cpu(0).task().start(store_then_loads(l, at), 0);
      d.run();
      REQUIRE(at.size() == 4);
      if (entries > 0) {
        CHECK(at[1] - at[0] == 7 * ns);          // retired into the buffer: a store hit
        CHECK(at[2] - at[1] == 6 * ns + 6 * ns);  // two load hits, no wait for the RFO
        CHECK(at[3] - at[2] == 6 * ns);          // forwarded from its own store
      } else {
        CHECK(at[1] - at[0] == 34 * ns);  // today's blocking RFO
        CHECK(at[2] - at[1] == 12 * ns);
        CHECK(at[3] - at[2] == 6 * ns);
      }
      CHECK(l.xl.owner() == 0);
    }
  }
}

// The store's RFO is issued at 1 us and done at 1 us + 34 ns. The store and
// the load take 7 + 6 = 13 ns; the atomic then waits 34 - 13 = 21 ns for the
// drain and costs 51 ns: done at 1 us + 85 ns. Without the buffer the store
// blocks 34 ns: 34 + 6 + 51 = 91 ns.
TEST_CASE("store buffer: an atomic after a store waits for the store's RFO", "[engine][store-buffer]") {
  for (int entries : {0, 56}) {
    DYNAMIC_SECTION("store buffer entries " << entries) {
      sim::Machine m(kSmall, test::distinct_costs());
      m.coherence().set_store_buffer(entries);
      sim::TimedDriver d(m);
      Lines l;
      setup(m, l);
      std::vector<Time> at;
      m.cpu(0).task().start(store_then_atomic(l, at), 0);
      d.run();
      REQUIRE(at.size() == 3);
      CHECK(at[0] == 1 * us);
      if (entries > 0) {
        CHECK(at[1] - at[0] == 13 * ns);
        CHECK(at[2] - at[0] == 85 * ns);
      } else {
        CHECK(at[1] - at[0] == 40 * ns);
        CHECK(at[2] - at[0] == 91 * ns);
      }
    }
  }
}

namespace {
sim::Task<void> store_then_lock(Lines& l, sim::Spinlock& lock, std::vector<Time>& at) {
  sim::cpu_work(1 * us);
  at.push_back(sim::current().local);
  co_await sim::WRITE_ONCE(l.x, 1);
  co_await sim::spin_lock(lock);
  at.push_back(sim::current().local);
  co_await sim::spin_unlock(lock);
}
}  // namespace

// spin_lock is a locked instruction: it waits for the store's RFO (done at
// 1 us + 34 ns), then its own atomic on the lock line, which is in no cache
// (memory 100 ns + atomic_modified[self] 51 ns = 151 ns): 185 ns after the
// store started.
TEST_CASE("store buffer: a spinlock acquisition drains the buffer first", "[engine][store-buffer]") {
  sim::Machine m(kSmall, test::distinct_costs());
  m.coherence().set_store_buffer(56);
  sim::TimedDriver d(m);
  Lines l;
  setup(m, l);
  CacheLine ll("lock");
  sim::Spinlock lock("lock", ll, sim::LockKind::Ticket, m);
  std::vector<Time> at;
  m.cpu(0).task().start(store_then_lock(l, lock, at), 0);
  d.run();
  REQUIRE(at.size() == 2);
  CHECK(at[1] - at[0] == 34 * ns + 151 * ns);
}

namespace {
sim::Task<void> three_stores(Lines& l, std::vector<Time>& at) {
  sim::cpu_work(1 * us);
  at.push_back(sim::current().local);
  co_await sim::WRITE_ONCE(l.x, 1);
  co_await sim::WRITE_ONCE(l.z, 1);
  co_await sim::WRITE_ONCE(l.w, 1);
  at.push_back(sim::current().local);
}
}  // namespace

// Two entries, three stores to three lines Modified on CPU 2 (34 ns RFOs,
// overlapping, committed in order). Store 1 at t: 7 ns, drains at t+34.
// Store 2 at t+7: 7 ns, drains at t+41. Store 3 at t+14 finds the buffer
// full and waits for the oldest (t+34), then 7 ns: done at t+41.
TEST_CASE("store buffer: a full buffer makes the next store wait for the oldest", "[engine][store-buffer]") {
  sim::Machine m(kSmall, test::distinct_costs());
  m.coherence().set_store_buffer(2);
  sim::TimedDriver d(m);
  Lines l;
  setup(m, l);
  std::vector<Time> at;
  m.cpu(0).task().start(three_stores(l, at), 0);
  d.run();
  REQUIRE(at.size() == 2);
  CHECK(at[1] - at[0] == 41 * ns);
}

TEST_CASE("store buffer: the step driver keeps stores sequentially consistent (no buffer)", "[engine][store-buffer]") {
  sim::Machine m(kSmall, test::distinct_costs());
  m.coherence().set_store_buffer(56);
  sim::StepDriver d(m);
  CHECK(m.coherence().store_buffer_entries() == 0);
}
