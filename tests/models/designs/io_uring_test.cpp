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
#include "models/devices/buffered_block_file.hpp"
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
  // A write to the block device opened without O_DIRECT (punted to io-wq).
  UserIocb buffered() {
    UserIocb u;
    u.id = ledger.submit(0);
    u.filp = &buffered_file;
    return u;
  }

  sim::Machine m;
  sim::TimedDriver timed;
  models::kioctx ctx;
  models::KiocbSlab slab;
  models::Ledger ledger;
  std::unique_ptr<models::AioDesign> aio;
  models::BlockDevice blk;
  // The page-cache copy takes kCopy: long enough for a cancel to land inside it.
  models::BufferedBlockFile buffered_file{kCopy};
  static constexpr sim::Time kCopy = 100 * us;
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

// IORING_OP_ASYNC_CANCEL of a write punted to io-wq, worked out from the
// v5.6.4 text (fs/io_uring.c io_write 2314-2394, __io_queue_sqe 4723-4793,
// io_wq_submit_work 4521-4561, io_async_find_and_cancel 4046-4075; fs/io-wq.c
// io_worker_handle_work 443-536, io_wqe_cancel_cb_work 886-921): a write to
// a block device without O_DIRECT cannot be issued with IOCB_NOWAIT
// (blkdev_write_iter: -EOPNOTSUPP -> -EAGAIN), so io_uring_enter queues it
// on wqe->work_list and returns 1. The cancel then sees one of three states,
// set up here by when the io-wq worker (CPU 2) starts (5 us) and how long
// the page-cache copy takes (100 us, so the worker is busy to ~105 us):
//   queued  (no worker at all):  IO_WQ_CANCEL_OK       -> canceller 0, the write's CQE -ECANCELED
//   running (cancel at ~30 us):  IO_WQ_CANCEL_RUNNING  -> canceller -EALREADY, the write's CQE 4096
//   done    (cancel at ~300 us): IO_WQ_CANCEL_NOTFOUND -> canceller -ENOENT, the write's CQE 4096
// In every case the write has exactly one CQE and both io_kiocbs are freed.
namespace {

struct CancelOutcome {
  long submitted = 0, cancelled = 0, got = 0;
  std::vector<models::io_event> ev = std::vector<models::io_event>(4);
};

// worker_at < 0: no worker runs.
CancelOutcome cancel_punted_write(sim::Time worker_at, sim::Time cancel_at) {
  SmallRing r;
  const UserIocb w = r.buffered();
  CancelOutcome o;
  auto user = [&]() -> sim::Task<void> {
    std::vector<UserIocb> one = {w};
    o.submitted = co_await r.aio->do_io_submit(r.ctx, one);
    co_await sim::sleep_for(cancel_at);
    models::io_event unused{};
    o.cancelled = co_await r.aio->sys_io_cancel(r.ctx, w.id, unused);
    o.got = co_await r.aio->sys_io_getevents(r.ctx, 1, 4, o.ev.data());
  };
  auto worker = [&]() -> sim::Task<void> { co_await r.aio->io_wq_worker(); };
  r.m.cpu(kUserCpu).task().start(user(), 0);
  if (worker_at >= 0) r.m.cpu(2).task().start(worker(), worker_at);
  r.timed.run();
  REQUIRE(o.got == 1);  // the canceller's own CQE is consumed, not returned as a request's
  CHECK(o.ev[0].data == w.id);
  r.ledger.reaped(o.ev[0].data);
  CHECK(r.ledger.counts().results == 1);
  CHECK(r.ledger.counts().duplicates == 0);
  CHECK(r.ledger.counts().lost == 0);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.slab.in_use() == 0);
  return o;
}

}  // namespace

TEST_CASE("io_uring: ASYNC_CANCEL of a write still queued in io-wq: 0, and the write's CQE is -ECANCELED",
          "[models][designs][io_uring]") {
  const CancelOutcome o = cancel_punted_write(-1, 10 * us);
  CHECK(o.submitted == 1);
  CHECK(o.cancelled == 0);
  CHECK(o.ev[0].res == -ECANCELED);
}

TEST_CASE("io_uring: ASYNC_CANCEL of a write an io-wq worker is running: -EALREADY, the write completes",
          "[models][designs][io_uring]") {
  const CancelOutcome o = cancel_punted_write(5 * us, 30 * us);
  CHECK(o.submitted == 1);
  CHECK(o.cancelled == -EALREADY);
  CHECK(o.ev[0].res == 4096);
}

TEST_CASE("io_uring: ASYNC_CANCEL of a punted write the worker has finished: -ENOENT, the write's CQE stands",
          "[models][designs][io_uring]") {
  const CancelOutcome o = cancel_punted_write(5 * us, 300 * us);
  CHECK(o.submitted == 1);
  CHECK(o.cancelled == -ENOENT);
  CHECK(o.ev[0].res == 4096);
}
