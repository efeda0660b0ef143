// SPDX-License-Identifier: GPL-2.0-only
// io_destroy with requests in flight (timed driver).
//
// Script:
//   CPU 0 (user), t = 0: io_submit [B0 B1 B2 U0 U1 U2] (3 block, 3 USB);
//     the UDC finishes U0 in hardware at once (its interrupt on CPU 1
//     completes it: one ring event); then io_cancel(U1) (succeeds: the
//     request is still queued on the endpoint); then sleeps to 300 us and
//     tries one more io_submit.
//   CPU 2 (user), t = 10 us: io_destroy.
// Block requests take 50 us; U2's transfer never finishes by itself.
//
// From the kernel code (kernel-notes.md 1.2 sys_io_destroy / kill_ioctx /
// free_ioctx, 2.2, 2.3): io_destroy = lookup_ioctx (users 1 -> 2),
// kill_ioctx (dead = 1, unhash, synchronize_rcu, wake_up_all, put: 2 -> 1),
// put_ioctx (1 -> 0) -> free_ioctx in io_destroy's context: under ctx_lock,
// list_del_init + kiocb_cancel every kiocb on active_reqs, then
// wait_event(ctx->wait, reqs_active == 0), and only then return.
//  - mm-parent: every kiocb is on active_reqs (listed at allocation), so free_ioctx
//    reaches U2 and B0..B2. kiocb_cancel sets KIF_CANCELLED unconditionally:
//    U2 is dequeued through ep_aio_cancel (aio_complete: cancelled, no
//    event); B0..B2 have no cancel method (-EINVAL) but keep the mark, so
//    when they complete at 50 us aio_complete writes no event either.
//    Results: ring 1 (U0), io_cancel 1 (U1), dropped by teardown 4.
//  - lazy-cancel: only kiocbs with a cancel method are listed, so free_ioctx
//    cancels U2 alone; B0..B2 complete normally with ring events, which
//    free_ioctx waits for. Results: ring 4 (U0 B0 B1 B2), io_cancel 1,
//    dropped 1.
// Either way free_ioctx returns only after the last block completion
// (>= 50 us), with reqs_active == 0, and nothing happens after it; the
// io_submit at 300 us finds no context (lookup_ioctx: unhashed): -EINVAL.
#include <catch2/catch.hpp>

#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

constexpr int kDestroyCpu = 2;
constexpr Time kDestroyAt = 10 * us;

struct Trace {
  long submitted = 0;
  long cancel_ret = 12345;
  long late_submit = 12345;
  long destroy_ret = 12345;
  Time destroy_returned = -1;
  long reqs_active_at_return = -1;
  std::uint64_t blk_completions_at_return = 0;
  models::Ledger::Counts counts_at_return;
  bool freed_at_return = false;
};

sim::Task<void> user(Rig& r, std::vector<UserIocb> iocbs, std::uint64_t to_cancel, UserIocb late, Trace& t) {
  t.submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  r.usb.hardware_done();  // U0: the first request on the endpoint queue
  co_await sim::sleep_for(1 * us);
  models::io_event res;
  t.cancel_ret = co_await r.aio->sys_io_cancel(r.ctx, to_cancel, res);
  co_await sim::sleep_for(300 * us - sim::current().local);
  const std::vector<UserIocb> again{late};
  t.late_submit = co_await r.aio->do_io_submit(r.ctx, again);
  if (t.late_submit != 1) r.ledger.not_submitted(late.id);
}

sim::Task<void> destroyer(Rig& r, Trace& t) {
  co_await sim::sleep_for(kDestroyAt);
  t.destroy_ret = co_await r.aio->sys_io_destroy(r.ctx);
  t.destroy_returned = sim::current().local;
  t.reqs_active_at_return = r.ctx.reqs_active.raw();
  t.blk_completions_at_return = r.blk.completions();
  t.counts_at_return = r.ledger.counts();
  t.freed_at_return = r.ctx.freed;
}

void teardown(const std::string& design, std::uint64_t ring, std::uint64_t dropped) {
  Rig r(registry_design(design));
  const std::vector<UserIocb> iocbs = r.iocbs("bbbuuu");
  const UserIocb late = r.iocb('b');
  Trace t;
  r.task(kUserCpu).start(user(r, iocbs, iocbs[4].id, late, t), 0);
  r.task(kDestroyCpu).start(destroyer(r, t), 0);
  REQUIRE_NOTHROW(r.timed->run());  // the ledger throws on a result after teardown

  CHECK(t.submitted == 6);
  CHECK(t.cancel_ret == 0);
  CHECK(t.destroy_ret == 0);
  CHECK(t.late_submit == -EINVAL);

  // free_ioctx waited for the in-flight block requests.
  CHECK(t.freed_at_return);
  CHECK(t.destroy_returned >= kBlockService);
  CHECK(t.reqs_active_at_return == 0);
  CHECK(t.blk_completions_at_return == 3);

  // Every submitted request accounted for, exactly once.
  const auto& c = r.ledger.counts();
  CHECK(c.submitted == 6);
  CHECK(c.ring_events == ring);
  CHECK(c.cancel_results == 1);
  CHECK(c.teardown_dropped == dropped);
  CHECK(c.ring_events + c.cancel_results + c.teardown_dropped == c.submitted);
  CHECK(c.duplicates == 0);
  CHECK(c.lost == 0);
  CHECK(r.ledger.in_flight() == 0);

  // Nothing after teardown: the counts did not move after io_destroy returned.
  CHECK(c.results == t.counts_at_return.results);
  CHECK(c.ring_events == t.counts_at_return.ring_events);
  CHECK(c.teardown_dropped == t.counts_at_return.teardown_dropped);

  CHECK(r.usb.completed() == 1);  // U0
  CHECK(r.usb.dequeued() == 2);   // U1 by io_cancel, U2 by free_ioctx
  CHECK(r.usb.races() == 0);
  CHECK(r.slab.in_use() == 0);
  CHECK(r.ctx.active_reqs.empty());
  CHECK(r.ctx.users.raw() == 0);
  CHECK(r.ctx.dead.raw() == 1);
}

}  // namespace

TEST_CASE("io_destroy with block and USB requests in flight (mm-parent)", "[models][teardown]") {
  teardown("mm-parent", /*ring*/ 1, /*dropped*/ 4);
}

TEST_CASE("io_destroy with block and USB requests in flight (lazy-cancel)", "[models][teardown]") {
  teardown("lazy-cancel", /*ring*/ 4, /*dropped*/ 1);
}
