// SPDX-License-Identifier: GPL-2.0-only
// Interrupt delivery from the block device: one interrupt vector per
// (device, CPU) with a completion queue the handler drains. The expected
// counts and times follow from the rig's constants (zero coherence costs,
// every block request served in exactly 50 us, interrupts on CPU 1), not
// from the simulator's output.
#include <catch2/catch.hpp>

#include "tests/support/rig.hpp"
#include "sim/access.hpp"

using namespace aiotest;

namespace {

// CPU 1's task: IRQs off from 0 to `until`, then one step.
sim::Task<void> irqs_off(Time until, sim::Shared<int>& x) {
  co_await sim::local_irq_disable();
  sim::cpu_work(until);
  co_await sim::local_irq_enable();
  co_await sim::WRITE_ONCE(x, 1);
}

sim::Task<void> one_step(sim::Shared<int>& y) { co_await sim::WRITE_ONCE(y, 1); }

sim::Task<void> submit_all(Rig& r, std::vector<UserIocb> iocbs, long& submitted) {
  submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
}

constexpr Time kIrqsOffUntil = 200 * us;

struct Outcome {
  long submitted = 0;
  std::uint64_t completions = 0, invocations = 0, returned = 0;
  std::int64_t max_per_irq = 0;
  std::uint64_t latency_count = 0;
  Time latency_max = 0;
  std::uint64_t latched = 0;
  std::uint64_t ring_events = 0;
};

// `n` block requests submitted at 0 from CPU 0 through a block device with
// the given per-invocation budget; CPU 1 (where they interrupt) has IRQs off
// until 200 us, so all of them finish (at ~50 us) while the vector is held.
// `irq_work` is the handler's work per completion; the run stops at `until`;
// statistics count from `warmup_end`.
Outcome run(int n, long budget, Time irq_work = -1, Time until = sim::kNever, Time warmup_end = 0) {
  Rig r(registry_design("lazy-cancel"));
  r.m.set_stats_start(warmup_end);
  models::BlockDevice::Config c = Rig::block_config();
  c.irq_budget = budget;
  if (irq_work >= 0) c.irq_work = irq_work;
  models::BlockDevice blk(r.m, *r.aio, c, 1);
  std::vector<UserIocb> iocbs;
  for (int i = 0; i < n; ++i) {
    UserIocb u;
    u.id = r.ledger.submit(0);
    u.filp = &blk;
    iocbs.push_back(u);
  }
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  Outcome o;
  r.task(kUserCpu).start(submit_all(r, iocbs, o.submitted), 0);
  r.task(kIrqCpu).start(irqs_off(kIrqsOffUntil, x), 0);
  // Another CPU's step at `until` + 10 us: an event pending past the end
  // makes a context running past `until` suspend at its next step.
  sim::CacheLine yl("y");
  sim::Shared<int> y(yl, "y");
  if (until != sim::kNever) r.task(2).start(one_step(y), until + 10 * us);
  r.timed->run(until);
  o.completions = blk.completions();
  o.invocations = blk.irq_invocations();
  o.returned = blk.completions_per_irq().count();
  o.max_per_irq = blk.completions_per_irq().max();
  o.latency_count = r.m.cpu(kIrqCpu).irq_latency().count();
  o.latency_max = r.m.cpu(kIrqCpu).irq_latency().max();
  o.latched = r.m.cpu(kIrqCpu).irqs_latched();
  o.ring_events = r.ledger.counts().ring_events;
  return o;
}

}  // namespace

// Two requests finish while IRQs are off on their CPU: the first sets the
// vector's pending bit, the second is latched. One handler invocation at
// 200 us completes both. Its latency runs from the first request's finish,
// 50 us after its submission (which is within the first microsecond: a
// syscall, a copy and the block layer's 400 ns), to 200 us: 149..150 us.
TEST_CASE("two block requests finishing while IRQs are off: one handler completes both", "[models][irq]") {
  const Outcome o = run(2, 0);
  CHECK(o.submitted == 2);
  CHECK(o.completions == 2);
  CHECK(o.ring_events == 2);
  CHECK(o.invocations == 1);
  CHECK(o.max_per_irq == 2);
  CHECK(o.latched == 1);
  CHECK(o.latency_count == 1);
  CHECK(o.latency_max > kIrqsOffUntil - kBlockService - 1 * us);
  CHECK(o.latency_max <= kIrqsOffUntil - kBlockService);
}

// A budget of one completion per invocation: each invocation takes one entry
// and, finding more, raises its vector again, so N requests take N
// invocations of one completion each; the budget never drops a completion.
TEST_CASE("a handler budget of 1 re-raises: N requests, N invocations", "[models][irq]") {
  for (int n : {1, 3, 5}) {
    DYNAMIC_SECTION(n << " requests") {
      const Outcome o = run(n, 1);
      CHECK(o.completions == static_cast<std::uint64_t>(n));
      CHECK(o.ring_events == static_cast<std::uint64_t>(n));
      CHECK(o.invocations == static_cast<std::uint64_t>(n));
      CHECK(o.max_per_irq == 1);
      CHECK(o.latency_count == static_cast<std::uint64_t>(n));
    }
  }
  SECTION("a budget of 2 with 5 requests: 2 + 2 + 1") {
    const Outcome o = run(5, 2);
    CHECK(o.completions == 5);
    CHECK(o.invocations == 3);
    CHECK(o.max_per_irq == 2);
  }
}

// The run ends inside the one handler invocation: it entered at 200 us and
// its first completion's work (100 us) lasts until 300 us. It is counted as
// an invocation (devices.block.irq_invocations) although it never returned,
// so it has no completions-per-invocation count yet, and no event reached
// the ring (aio_complete's first step is due at 300 us).
TEST_CASE("a handler still running when the run ends counts as an invocation", "[models][irq]") {
  const Outcome o = run(2, 0, 100 * us, 250 * us);
  CHECK(o.invocations == 1);
  CHECK(o.returned == 0);
  CHECK(o.ring_events == 0);
  CHECK(o.latency_count == 1);
}

// The one invocation enters at 200 us, inside a warm-up that ends at 210 us,
// and returns after both completions (100 us of work each): it ran after the
// warm-up, so it is counted, but it began before it, so (like every statistic
// of the warm-up) its completions per invocation are not recorded.
TEST_CASE("a handler draining across the end of the warm-up counts as an invocation", "[models][irq]") {
  const Outcome o = run(2, 0, 100 * us, sim::kNever, 210 * us);
  CHECK(o.invocations == 1);
  CHECK(o.returned == 0);
  CHECK(o.completions == 2);
  CHECK(o.ring_events == 2);
}
