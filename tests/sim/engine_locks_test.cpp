// SPDX-License-Identifier: GPL-2.0-only
// Spinlock handoff costs (sim/spinlock.hpp) and basic lock invariants.
//
// The handoff formulas are the ones documented at the top of spinlock.hpp:
//   ticket:  handoff = release + transfer x (1 + (k-1)/2)
//   queued:  handoff = release + one transfer + the new owner's atomic, whatever k is
// where k is the number of waiters when the lock is released. The expected
// values are worked out below by hand from the cost table, following the
// cache line through every access of the scenario.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "tests/sim/distinct_costs.hpp"
#include "sim/machine.hpp"
#include "sim/spinlock.hpp"
#include "sim/timed_driver.hpp"
#include "sim/violation.hpp"

using sim::Time;

namespace {

constexpr Time ns = sim::kNs;
constexpr Time us = sim::kUs;

using test::distinct_costs;

// 2 sockets x 16 cores: CPUs 0-15 on socket 0, 16-31 on socket 1.
const sim::Topology kTopo{2, 16, 1};

struct Release {
  Time start = -1;  // holder calls spin_unlock
  Time end = -1;    // its release store has completed
};

sim::Task<void> holder(sim::Spinlock& l, Time release_at, Release& r) {
  co_await sim::spin_lock(l);
  sim::cpu_work(release_at - sim::current().local);
  r.start = sim::current().local;
  co_await sim::spin_unlock(l);
  r.end = sim::current().local;
}

sim::Task<void> waiter(sim::Spinlock& l, Time& acquired) {
  co_await sim::spin_lock(l);
  acquired = sim::current().local;
  co_await sim::spin_unlock(l);
}

struct Handoff {
  Time release_cost;  // r.end - r.start
  Time handoff;       // first waiter's acquisition - r.end
  std::vector<Time> acquired;
};

// Holder on CPU 0 takes the lock at 0 and releases it at 20 us; waiter i
// (i = 1..k) on CPU cpus[i-1] tries at i us, so all k spin before the release,
// 1 us apart (no transfer overlaps another).
Handoff run_handoff(sim::LockKind kind, const std::vector<int>& cpus) {
  sim::Machine m(kTopo, distinct_costs());
  sim::TimedDriver d(m);
  sim::CacheLine line("lock");
  sim::Spinlock l("test_lock", line, kind, m);
  Release r;
  std::vector<Time> acq(cpus.size(), -1);
  m.cpu(0).task().start(holder(l, 20 * us, r), 0);
  for (std::size_t i = 0; i < cpus.size(); ++i)
    m.cpu(cpus[i]).task().start(waiter(l, acq[i]), static_cast<Time>(i + 1) * us);
  d.run();
  return {r.end - r.start, acq[0] - r.end, acq};
}

std::vector<int> same_socket_cpus(int k) {
  std::vector<int> v;
  for (int i = 1; i <= k; ++i) v.push_back(i);
  return v;
}

}  // namespace

// Hand derivation, holder H = CPU 0, waiters W1..Wk = CPUs 1..k (same socket
// as H, so every transfer is load_modified.same_socket = 13 ns):
//  - H's acquisition: line in no cache -> memory + local atomic; Modified on 0.
//  - W1's failed attempt (an atomic, both kinds): line Modified on 0 -> now
//    Modified on 1; W1 becomes a spinner on the lock line.
//  - W2: Modified on 1 -> Modified on 2, then spinner W1 re-reads: Shared {1,2}.
//  - Wj, j >= 3: line Shared -> Modified on j, spinners re-read: still Shared
//    (by W1 and Wj for queued, where only the head spins; by W1..Wj for ticket).
//  - The release store by H: k = 1: line Modified on 1 -> store_modified.same_socket
//    = 33 ns; k >= 2: line Shared by same-socket CPUs -> store_shared.same_socket = 43 ns.
// Ticket: the handoff after the release store is 13 x (1 + (k-1)/2) ns:
//   k=1: 13, k=2: 19.5, k=4: 32.5, k=8: 58.5 ns.
// Queued: after the release store the head spinner W1 re-reads the line (one
//   transfer, 13 ns: the line is busy until then), then W1's atomic on the line
//   Shared by {0, 1}: atomic_shared.same_socket = 63 ns. Handoff 13 + 63 = 76 ns,
//   for every k.
TEST_CASE("ticket handoff grows with the number of waiters, queued handoff does not", "[engine][locks]") {
  const std::array<int, 4> ks{1, 2, 4, 8};
  const std::array<Time, 4> ticket_expected{13000, 19500, 32500, 58500};  // ps
  std::vector<Time> ticket, queued;
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const int k = ks[i];
    INFO("k = " << k);
    const Time release_cost = (k == 1 ? 33 : 43) * ns;

    Handoff t = run_handoff(sim::LockKind::Ticket, same_socket_cpus(k));
    CHECK(t.release_cost == release_cost);
    CHECK(t.handoff == ticket_expected[i]);
    ticket.push_back(t.handoff);

    Handoff q = run_handoff(sim::LockKind::Queued, same_socket_cpus(k));
    CHECK(q.release_cost == release_cost);
    CHECK(q.handoff == 76 * ns);
    queued.push_back(q.handoff);

    // Both are FIFO: waiters acquire in arrival order.
    for (int j = 1; j < k; ++j) {
      CHECK(t.acquired[j] > t.acquired[j - 1]);
      CHECK(q.acquired[j] > q.acquired[j - 1]);
    }
  }
  for (std::size_t i = 1; i < ks.size(); ++i) {
    CHECK(ticket[i] > ticket[i - 1]);
    CHECK(queued[i] == queued[0]);
  }
}

// Cross-socket variant, k = 2: H = CPU 0, W1 = CPU 16, W2 = CPU 17 (both on
// socket 1). The transfer H -> W1 is load_modified.one_hop = 14 ns.
//  - W1: Modified on 0 -> on 16, spinner. W2: -> on 17, W1 re-reads: Shared {16,17}.
//  - Release store by H: Shared by CPUs one hop away -> store_shared.one_hop = 44.
//  - Ticket: 14 x (1 + 1/2) = 21 ns.
//  - Queued: W1's re-read (14) then its atomic on Shared {0,16}:
//    atomic_shared.one_hop = 64 -> 78 ns.
TEST_CASE("handoff across sockets uses the one-hop transfer", "[engine][locks]") {
  Handoff t = run_handoff(sim::LockKind::Ticket, {16, 17});
  CHECK(t.release_cost == 44 * ns);
  CHECK(t.handoff == 21 * ns);
  Handoff q = run_handoff(sim::LockKind::Queued, {16, 17});
  CHECK(q.release_cost == 44 * ns);
  CHECK(q.handoff == 78 * ns);
}

namespace {

// Non-atomic increment under the lock: lost updates if two hold it at once.
sim::Task<void> incrementer(sim::Spinlock& l, sim::Shared<long>& counter, int n, Time think) {
  for (int i = 0; i < n; ++i) {
    auto f = co_await sim::spin_lock_irqsave(l);
    long v = co_await sim::READ_ONCE(counter);
    sim::cpu_work(50 * ns);
    co_await sim::WRITE_ONCE(counter, v + 1);
    co_await sim::spin_unlock_irqrestore(l, f);
    sim::cpu_work(think);
  }
}

}  // namespace

TEST_CASE("every lock kind excludes: no lost updates under contention", "[engine][locks]") {
  for (sim::LockKind kind : {sim::LockKind::Ticket, sim::LockKind::Queued, sim::LockKind::Tas}) {
    DYNAMIC_SECTION(sim::to_string(kind)) {
      sim::Machine m(kTopo, distinct_costs());
      sim::TimedDriver d(m);
      sim::CacheLine lock_line("lock"), data_line("data");
      sim::Spinlock l("l", lock_line, kind, m);
      sim::Shared<long> counter(data_line, "counter");
      const int cpus[] = {0, 1, 5, 16, 20, 31};
      int j = 0;
      for (int c : cpus) m.cpu(c).task().start(incrementer(l, counter, 40, (10 + 7 * j++) * ns), 0);
      d.run();
      CHECK(counter.raw() == 6 * 40);
      CHECK(l.holder() == nullptr);
      CHECK(l.waiters() == 0);
      CHECK(l.stats().acquisitions == 6 * 40);
      CHECK(l.stats().contended > 0);
    }
  }
}

namespace {
sim::Task<void> take_and_keep(sim::Spinlock& l) { co_await sim::spin_lock(l); }
sim::Task<void> release_foreign(sim::Spinlock& l) {
  sim::KernelFunction fn{"bad_unlocker"};
  sim::cpu_work(1 * us);
  co_await sim::spin_unlock(l);
}
}  // namespace

TEST_CASE("releasing a lock held by another context is a LockOwnership violation", "[engine][locks]") {
  sim::Machine m(kTopo, distinct_costs());
  sim::TimedDriver d(m);
  sim::CacheLine line("lock");
  sim::Spinlock l("owned_lock", line, sim::LockKind::Ticket, m);
  m.cpu(0).task().start(take_and_keep(l), 0);
  m.cpu(1).task().start(release_foreign(l), 0);
  try {
    d.run();
    FAIL("no violation");
  } catch (const sim::Violation& v) {
    CHECK(v.kind() == sim::ViolationKind::LockOwnership);
    const std::string text = std::string(v.what()) + v.details();
    CHECK_THAT(text, Catch::Contains("owned_lock"));
    CHECK_THAT(text, Catch::Contains("cpu1/task"));
    CHECK_THAT(text, Catch::Contains("cpu0/task"));
    CHECK_THAT(text, Catch::Contains("bad_unlocker"));
  }
}
