// SPDX-License-Identifier: GPL-2.0-only
// The MSI cache-line cost model (sim/coherence.hpp), both called directly and
// through the Shared<T> awaitables under the timed driver.
//
// Every expected cost below is read off the hand-made cost table
// distinct_costs(): each entry is a different number, so charging the wrong
// row (load/store/atomic, modified/shared) or the wrong column (distance) gives
// a different value and the test fails.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "tests/sim/distinct_costs.hpp"
#include "sim/access.hpp"
#include "sim/coherence.hpp"
#include "sim/machine.hpp"
#include "sim/timed_driver.hpp"

using sim::AccessKind;
using sim::CacheLine;
using sim::Coherence;
using sim::Time;
using sim::Topology;

namespace {

constexpr Time ns = sim::kNs;
constexpr Time us = sim::kUs;

using test::distinct_costs;

// 2 sockets x 2 cores x 2 threads: CPUs 0,1 (socket 0), 2,3 (socket 1); the
// SMT sibling of c is c + 4. So (0,4) SMT, (0,1) same socket, (0,2) one hop.
const Topology kSmall{2, 2, 2};

// Stores `times.size()` times, each at the given absolute time, recording what
// each store cost the context.
sim::Task<void> store_at(sim::Shared<int>& x, std::vector<Time> times, std::vector<Time>& costs) {
  for (Time t : times) {
    sim::cpu_work(t - sim::current().local);
    const Time before = sim::current().local;
    co_await sim::WRITE_ONCE(x, 1);
    costs.push_back(sim::current().local - before);
  }
}

sim::Task<void> atomic_once(sim::Shared<int>& x, Time& done) {
  co_await sim::atomic_inc(x);
  done = sim::current().local;
}

}  // namespace

TEST_CASE("a line bounced by stores costs the store_modified price of the distance, every time",
          "[engine][coherence]") {
  struct Case {
    const char* what;
    Topology topo;
    int a, b;
    Time per_store;  // store_modified at distance(a, b), from distinct_costs()
  };
  // Topology{8,1,1}: one CPU per socket; sockets 0-3 and 4-7 are the two
  // groups of 4, so (0,1) is one hop and (0,4) two hops.
  const Case cases[] = {
      {"cross-socket (one hop)", kSmall, 0, 2, 34 * ns},
      {"same socket", kSmall, 0, 1, 33 * ns},
      {"SMT siblings", kSmall, 0, 4, 32 * ns},
      {"two hops", Topology{8, 1, 1}, 0, 4, 35 * ns},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      sim::Machine m(k.topo, distinct_costs());
      sim::TimedDriver d(m);
      CacheLine line("bounce");
      sim::Shared<int> x(line, "x");
      // a stores at 0, 2, 4, 6 us; b at 1, 3, 5, 7 us: strictly alternating,
      // 1 us apart, far longer than any transfer, so nothing queues.
      std::vector<Time> ca, cb;
      m.cpu(k.a).task().start(store_at(x, {0, 2 * us, 4 * us, 6 * us}, ca), 0);
      m.cpu(k.b).task().start(store_at(x, {1 * us, 3 * us, 5 * us, 7 * us}, cb), 0);
      d.run();
      REQUIRE(ca.size() == 4);
      REQUIRE(cb.size() == 4);
      // The first store finds the line in no cache: `memory` (100 ns), no transfer.
      CHECK(ca[0] == 100 * ns);
      // Every later store finds it Modified in the other CPU's cache.
      for (int i = 1; i < 4; ++i) CHECK(ca[i] == k.per_store);
      for (int i = 0; i < 4; ++i) CHECK(cb[i] == k.per_store);
      // 8 stores, 7 of them pulled the line from the other cache.
      CHECK(line.transfers() == 7);
      CHECK(line.accesses() == 8);
      CHECK(m.coherence().total_transfers() == 7);
      CHECK(line.owner() == k.b);
    }
  }
}

TEST_CASE("loads: Modified elsewhere, re-reads of a Shared line, nearest sharer", "[engine][coherence]") {
  Coherence coh(kSmall, distinct_costs());
  CacheLine line("l");
  // CPU 0 writes a fresh line: from memory.
  CHECK(coh.access(line, 0, AccessKind::Store, 0) == 100 * ns);
  CHECK(line.owner() == 0);
  // CPU 2 (other socket) reads it: load_modified.one_hop = 14; both now share it.
  CHECK(coh.access(line, 2, AccessKind::Load, 1 * us) == 14 * ns);
  CHECK(line.owner() == -1);
  CHECK(coh.shared_by(line, 0));
  CHECK(coh.shared_by(line, 2));
  // Re-reading a line held Shared is an L1 hit: load_hit = 6, on either CPU.
  CHECK(coh.access(line, 2, AccessKind::Load, 2 * us) == 6 * ns);
  CHECK(coh.access(line, 2, AccessKind::Load, 3 * us) == 6 * ns);
  CHECK(coh.access(line, 0, AccessKind::Load, 4 * us) == 6 * ns);
  // CPU 3 reads: sharers 0 (one hop) and 2 (same socket); the nearest
  // serves it: load_shared.same_socket = 23.
  CHECK(coh.access(line, 3, AccessKind::Load, 5 * us) == 23 * ns);
  CHECK(line.sharer_count() == 3);
  // Only the reads by CPUs 2 and 3 moved the line between caches.
  CHECK(line.transfers() == 2);
  CHECK(line.accesses() == 6);
  // peek() is the same price without doing it: CPU 1 would be served by
  // CPU 0 (same socket) -> 23; a sharer re-reading -> 6.
  CHECK(coh.peek(line, 1, AccessKind::Load) == 23 * ns);
  CHECK(coh.peek(line, 3, AccessKind::Load) == 6 * ns);
  CHECK(line.transfers() == 2);
}

TEST_CASE("stores and atomics to a Shared line pay to invalidate the farthest sharer", "[engine][coherence]") {
  Coherence coh(kSmall, distinct_costs());
  SECTION("shared only by the other socket: store_shared.one_hop") {
    CacheLine line("l");
    coh.access(line, 2, AccessKind::Store, 0);       // memory; Modified on 2
    coh.access(line, 3, AccessKind::Load, 1 * us);   // load_modified.same_socket; Shared {2,3}
    REQUIRE(coh.shared_by(line, 2));
    REQUIRE(coh.shared_by(line, 3));
    CHECK(coh.access(line, 0, AccessKind::Store, 2 * us) == 44 * ns);
    CHECK(line.owner() == 0);
    CHECK(line.sharer_count() == 0);
    CHECK(line.transfers() == 2);
  }
  SECTION("shared only within the socket: store_shared.same_socket") {
    CacheLine line("l");
    coh.access(line, 1, AccessKind::Store, 0);
    coh.access(line, 5, AccessKind::Load, 1 * us);  // 5 = SMT sibling of 1; Shared {1,5}
    CHECK(coh.access(line, 0, AccessKind::Store, 2 * us) == 43 * ns);
  }
  SECTION("one near and one far sharer: the farthest decides") {
    CacheLine line("l");
    coh.access(line, 1, AccessKind::Store, 0);
    coh.access(line, 2, AccessKind::Load, 1 * us);  // Shared {1 (same socket as 0), 2 (one hop)}
    CHECK(coh.peek(line, 0, AccessKind::Store) == 44 * ns);
    CHECK(coh.peek(line, 0, AccessKind::Rmw) == 64 * ns);   // atomic_shared.one_hop
    CHECK(coh.access(line, 0, AccessKind::Rmw, 2 * us) == 64 * ns);
  }
  SECTION("a sharer that is the only sharer upgrades locally") {
    CacheLine line("l");
    CHECK(coh.access(line, 2, AccessKind::Load, 0) == 100 * ns);  // memory; Shared {2}
    CHECK(coh.shared_by(line, 2));
    CHECK(coh.access(line, 2, AccessKind::Store, 1 * us) == 7 * ns);  // store_hit, no transfer
    CHECK(line.owner() == 2);
    coh.access(line, 0, AccessKind::Load, 2 * us);  // Shared {0,2}
    // Not the only sharer any more: store_shared at distance(2, 0) = one hop.
    CHECK(coh.access(line, 2, AccessKind::Store, 3 * us) == 44 * ns);
    CHECK(coh.access(line, 2, AccessKind::Rmw, 4 * us) == 51 * ns);   // atomic_modified.self
    CHECK(coh.access(line, 0, AccessKind::Rmw, 5 * us) == 54 * ns);   // atomic_modified.one_hop
  }
  SECTION("atomic on a line in no cache: memory + local atomic") {
    CacheLine line("l");
    CHECK(coh.access(line, 3, AccessKind::Rmw, 0) == 151 * ns);
    CHECK(line.transfers() == 0);
  }
}

TEST_CASE("transfers are counted per line, and only from the statistics start", "[engine][coherence]") {
  Coherence coh(kSmall, distinct_costs());
  CacheLine hot("hot"), local("local");
  // hot bounces 0 -> 2 -> 0 -> 2: 1 fill from memory + 3 transfers.
  coh.access(hot, 0, AccessKind::Store, 0);
  coh.access(hot, 2, AccessKind::Store, 1 * us);
  coh.access(hot, 0, AccessKind::Store, 2 * us);
  coh.access(hot, 2, AccessKind::Store, 3 * us);
  // local stays on CPU 1: fill, hits.
  coh.access(local, 1, AccessKind::Store, 0);
  coh.access(local, 1, AccessKind::Rmw, 1 * us);
  coh.access(local, 1, AccessKind::Load, 2 * us);
  CHECK(hot.transfers() == 3);
  CHECK(local.transfers() == 0);
  CHECK(local.accesses() == 3);
  CHECK(coh.total_transfers() == 3);

  // Warm-up exclusion: accesses before the start are neither counted as
  // accesses nor as transfers (their state changes still happen).
  Coherence c2(kSmall, distinct_costs());
  c2.set_stats_start(10 * us);
  CacheLine l2("l2");
  c2.access(l2, 0, AccessKind::Store, 0);
  c2.access(l2, 2, AccessKind::Store, 5 * us);            // transfer, before the start
  CHECK(c2.access(l2, 0, AccessKind::Store, 10 * us) == 34 * ns);  // transfer, counted
  c2.access(l2, 0, AccessKind::Load, 11 * us);            // hit, counted access
  CHECK(l2.transfers() == 1);
  CHECK(l2.accesses() == 2);
  CHECK(c2.total_transfers() == 1);
}

TEST_CASE("two CPUs hitting one line at the same time queue: the second waits for the first's transfer",
          "[engine][coherence]") {
  const Time T = 1 * us;
  SECTION("directly") {
    Coherence coh(kSmall, distinct_costs());
    CacheLine line("l");
    coh.access(line, 1, AccessKind::Store, 0);  // Modified on CPU 1 (memory fill, line not busy)
    // CPU 0 at T: atomic_modified.same_socket = 53, line busy until T + 53.
    CHECK(coh.access(line, 0, AccessKind::Rmw, T) == 53 * ns);
    // CPU 2 also at T: the line is now Modified on CPU 0, one hop away:
    // atomic_modified.one_hop = 54, after waiting 53 for CPU 0's transfer.
    CHECK(coh.access(line, 2, AccessKind::Rmw, T) == (53 + 54) * ns);
    // A third request at T + 10 waits until T + 107, then pays one hop from
    // CPU 2 (load_modified.one_hop = 14): 97 + 14.
    CHECK(coh.access(line, 0, AccessKind::Load, T + 10 * ns) == (97 + 14) * ns);
    CHECK(line.transfers() == 3);
  }
  SECTION("through the timed driver") {
    sim::Machine m(kSmall, distinct_costs());
    sim::TimedDriver d(m);
    CacheLine line("l");
    sim::Shared<int> x(line, "x");
    std::vector<Time> c1;
    Time done0 = -1, done2 = -1;
    m.cpu(1).task().start(store_at(x, {0}, c1), 0);
    // Both start at T; CPU 0 was scheduled first, so its atomic goes first
    // (equal times run in scheduling order).
    m.cpu(0).task().start(atomic_once(x, done0), T);
    m.cpu(2).task().start(atomic_once(x, done2), T);
    d.run();
    CHECK(c1 == std::vector<Time>{100 * ns});
    CHECK(done0 == T + 53 * ns);
    CHECK(done2 == T + (53 + 54) * ns);
    CHECK(x.raw() == 3);
    CHECK(line.transfers() == 2);
  }
}

TEST_CASE("a write to a line with spinners: they all re-read it, the first one keeps it busy",
          "[engine][coherence]") {
  Coherence coh(kSmall, distinct_costs());
  CacheLine line("lock");
  coh.access(line, 0, AccessKind::Store, 0);  // Modified on 0
  line.add_spinner(1);
  line.add_spinner(2);
  const Time T = 1 * us;
  // CPU 0 owns it: store_hit = 7. Then the spinners re-read it: the first
  // (CPU 1) pulls it out of CPU 0's cache (load_modified.same_socket = 13),
  // the line busy meanwhile, until T + 7 + 13 = T + 20; CPU 2 is then served
  // Shared without occupying it. Two transfers; Shared by {0, 1, 2}.
  CHECK(coh.access(line, 0, AccessKind::Store, T) == 7 * ns);
  CHECK(line.owner() == -1);
  CHECK(line.sharer_count() == 3);
  CHECK(line.transfers() == 2);
  // CPU 3's atomic at T + 7 must invalidate the farthest sharer (CPU 0 or 1,
  // one hop: atomic_shared.one_hop = 64) after the first re-read: wait 13.
  CHECK(coh.access(line, 3, AccessKind::Rmw, T + 7 * ns) == (13 + 64) * ns);
  // Its own transfer, then spinners 1 and 2 re-read again.
  CHECK(line.transfers() == 2 + 1 + 2);
}

TEST_CASE("machines a line cannot describe are refused", "[engine][coherence]") {
  // CPU ids are 16-bit signed (the owner may be -1), socket sets a 64-bit mask.
  CHECK_NOTHROW(Coherence(Topology{64, 511, 1}, distinct_costs()));  // 32704 CPUs
  CHECK_THROWS_AS(Coherence(Topology{64, 512, 1}, distinct_costs()), std::invalid_argument);  // 32768
  CHECK_NOTHROW(Coherence(Topology{64, 2, 1}, distinct_costs()));
  CHECK_THROWS_AS(Coherence(Topology{65, 2, 1}, distinct_costs()), std::invalid_argument);
}

TEST_CASE("loads of a Shared line do not queue but ownership changes do", "[engine][coherence]") {
  Coherence coh(kSmall, distinct_costs());
  CacheLine line("l");
  coh.access(line, 0, AccessKind::Store, 0);  // Modified on 0
  const Time T = 1 * us;
  // CPU 2 pulls it from Modified (load_modified.one_hop = 14): serialised,
  // busy until T + 14. Shared {0, 2}.
  CHECK(coh.access(line, 2, AccessKind::Load, T) == 14 * ns);
  // Loads of the Shared line during that time are answered in parallel:
  // CPU 1 by CPU 0 (same socket), CPU 3 by CPU 2 (same socket): 23 each, no wait.
  CHECK(coh.access(line, 1, AccessKind::Load, T + 1 * ns) == 23 * ns);
  CHECK(coh.access(line, 3, AccessKind::Load, T + 2 * ns) == 23 * ns);
  // A store is an ownership change: it waits until T + 14, then invalidates
  // the farthest sharer of {0, 1, 2, 3} from CPU 1 (one hop): 11 + 44.
  CHECK(coh.access(line, 1, AccessKind::Store, T + 3 * ns) == (11 + 44) * ns);
  CHECK(line.transfers() == 4);
}
