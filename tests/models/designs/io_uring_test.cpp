// SPDX-License-Identifier: GPL-2.0-only
// io_uring's CQ overflow backlog (Linux 5.5, fs/io_uring.c as in v5.6.4:
// io_cqring_fill_event 1135-1165, io_cqring_overflow_flush 1076-1133,
// io_submit_sqes 5015-5025, io_cqring_events 1514-1534), worked out by hand:
//
// io_uring_setup(2) gives sq_entries = 2 and cq_entries = 2 * 2 = 4. Six
// block writes are submitted two per io_uring_enter; each takes exactly
// 50 us and interrupts CPU 1, so they complete in submission order r0..r5
// while nobody reaps. io_get_cqring finds room for r0..r3 (tail - head
// reaches 4); r4 and r5 go onto cq_overflow_list with an extra reference,
// so their io_kiocbs stay allocated and nothing is dropped or overwritten.
// Another submit then finds sq_check_overflow set and the CQ still full:
// io_cqring_overflow_flush(ctx, false) returns false and io_submit_sqes
// returns -EBUSY. io_getevents(min 6) reads r0..r3 from the CQ and moves
// the head; still short, it enters with GETEVENTS: io_cqring_events sees
// cq_check_overflow and flushes r4, r5 into the freed slots, in list
// order. User space gets r0..r5 in order, each once, each res 4096.
#include <catch2/catch.hpp>

#include <vector>

#include "models/designs/registry.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct SmallRing {
  SmallRing()
      : m(sim::Topology{1, 4, 1}, zero_preset().costs),
        timed(m),
        ctx(m, 2, sim::LockKind::Queued, models::packed_layout()),
        aio(registry_design("io_uring")),
        blk(m, *aio, block_config(), 1) {
    models::KernelCosts kc = models::default_kernel_costs();
    kc.synchronize_rcu = 20 * us;
    aio->attach(m, ctx, slab, ledger, kc);
  }
  static models::BlockDevice::Config block_config() {
    models::BlockDevice::Config c;
    c.service = sim::Distribution::constant(sim::to_ns(kBlockService));
    c.irq_cpus = {kIrqCpu};
    return c;
  }
  UserIocb block() {
    UserIocb u;
    u.id = ledger.submit(0);
    u.filp = &blk;
    return u;
  }

  sim::Machine m;
  sim::TimedDriver timed;
  models::kioctx ctx;
  models::KiocbSlab slab;
  models::Ledger ledger;
  std::unique_ptr<models::AioDesign> aio;
  models::BlockDevice blk;
};

struct Seen {
  std::vector<long> submits;
  std::uint64_t events_before_reap = 0, lost_before_reap = 0;
  std::size_t in_use_before_reap = 0;
  long busy = 0;
  long got = 0;
  std::vector<models::io_event> events = std::vector<models::io_event>(8);
};

sim::Task<void> overflow_script(SmallRing& r, std::vector<UserIocb> reqs, UserIocb extra, Seen& s) {
  for (std::size_t i = 0; i < reqs.size(); i += 2) {
    std::vector<UserIocb> two = {reqs[i], reqs[i + 1]};
    s.submits.push_back(co_await r.aio->do_io_submit(r.ctx, two));
  }
  co_await sim::sleep_for(300 * us);
  s.events_before_reap = r.ledger.counts().ring_events;
  s.lost_before_reap = r.ledger.counts().lost;
  s.in_use_before_reap = r.slab.in_use();
  std::vector<UserIocb> one = {extra};
  s.busy = co_await r.aio->do_io_submit(r.ctx, one);
  s.got = co_await r.aio->sys_io_getevents(r.ctx, 6, 8, s.events.data());
}

}  // namespace

TEST_CASE("io_uring: a CQ of 4 and 6 completions backlogs 2, loses none, keeps their order", "[models][designs][io_uring]") {
  SmallRing r;
  std::vector<UserIocb> reqs;
  for (int i = 0; i < 6; ++i) reqs.push_back(r.block());
  const UserIocb extra = r.block();
  Seen s;
  r.m.cpu(kUserCpu).task().start(overflow_script(r, reqs, extra, s), 0);
  r.timed.run();

  CHECK(s.submits == std::vector<long>{2, 2, 2});
  // Four CQEs written, two backlogged (not yet visible), none lost; the
  // backlogged requests hold their io_kiocbs.
  CHECK(s.events_before_reap == 4);
  CHECK(s.lost_before_reap == 0);
  CHECK(s.in_use_before_reap == 2);
  // The CQ is full and the backlog cannot be flushed: -EBUSY, nothing taken.
  CHECK(s.busy == -EBUSY);
  r.ledger.not_submitted(extra.id);

  REQUIRE(s.got == 6);
  for (int i = 0; i < 6; ++i) {
    INFO("event " << i);
    CHECK(s.events[static_cast<std::size_t>(i)].data == reqs[static_cast<std::size_t>(i)].id);
    CHECK(s.events[static_cast<std::size_t>(i)].res == 4096);
    r.ledger.reaped(s.events[static_cast<std::size_t>(i)].data);
  }
  CHECK(r.ledger.counts().results == 6);
  CHECK(r.ledger.counts().duplicates == 0);
  CHECK(r.ledger.counts().lost == 0);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.slab.in_use() == 0);
}

// IORING_OP_ASYNC_CANCEL of a write in flight in the block layer: io-wq
// does not hold it, so io_async_cancel_one gives -ENOENT (and so do the
// timeout and poll lists); the canceller gets -ENOENT, the target its own
// CQE with its real result when the device finishes.
TEST_CASE("io_uring: ASYNC_CANCEL of a block write in flight returns -ENOENT, the write completes", "[models][designs][io_uring]") {
  SmallRing r;
  const UserIocb w = r.block();
  long submitted = 0, cancelled = 0, got = 0;
  std::vector<models::io_event> ev(4);
  auto script = [&]() -> sim::Task<void> {
    std::vector<UserIocb> one = {w};
    submitted = co_await r.aio->do_io_submit(r.ctx, one);
    models::io_event unused{};
    cancelled = co_await r.aio->sys_io_cancel(r.ctx, w.id, unused);
    got = co_await r.aio->sys_io_getevents(r.ctx, 1, 4, ev.data());
  };
  r.m.cpu(kUserCpu).task().start(script(), 0);
  r.timed.run();
  CHECK(submitted == 1);
  CHECK(cancelled == -ENOENT);
  REQUIRE(got == 1);  // the canceller's own CQE is consumed, not returned as a request's
  CHECK(ev[0].data == w.id);
  CHECK(ev[0].res == 4096);
  r.ledger.reaped(ev[0].data);
  CHECK(r.ledger.counts().results == 1);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.slab.in_use() == 0);
}
