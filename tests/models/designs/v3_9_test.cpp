// SPDX-License-Identifier: GPL-2.0-only
// What only the `v3.9` design (Linus's v3.9, fs/aio.c) does, worked out from
// its text:
//
//  - sys_io_cancel (lines 1733-1742) looks the kiocb up under ctx_lock and
//    marks it (kiocbSetCancelled) only `if (kiocb && kiocb->ki_cancel)`. A
//    block request has no cancel method: io_cancel finds it on active_reqs
//    (kiocb_batch_refill lists every kiocb, line 510), marks nothing and
//    returns -EINVAL (line 1759); its completion then writes the event as
//    usual. (The seed's parent, mm-parent, sets KIF_CANCELLED first in
//    kiocb_cancel and loses this event: tests/models/devices/block_cancel_test.cpp.)
//  - reqs_active is an int decremented only by really_put_req (line 545),
//    when the last ki_users reference goes: with the request in flight it
//    counts 1 and ki_users is 1 (2 from __aio_get_req, less io_submit_one's
//    aio_put_req); once the completion's __aio_put_req frees it, 0.
#include <catch2/catch.hpp>

#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Out {
  long submitted = 0, cancelled = 0, got = 0;
  std::vector<std::uint64_t> listed;
  unsigned long flags_after_cancel = 0;
  int users_in_flight = -1;
  long active_in_flight = -1, active_after = -1;
  models::io_event res, ev;
};

sim::Task<void> script(Rig& r, UserIocb b, Out& o) {
  std::vector<UserIocb> iocbs(1, b);
  o.submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  o.listed = r.active_ids();
  o.users_in_flight = r.ctx.active_reqs.front().ki_users.raw();
  o.active_in_flight = r.ctx.reqs_active.raw();
  o.cancelled = co_await r.aio->sys_io_cancel(r.ctx, b.id, o.res);
  o.flags_after_cancel = r.ctx.active_reqs.front().ki_flags.raw();
  co_await sim::sleep_for(2 * kBlockService);
  o.active_after = r.ctx.reqs_active.raw();
  o.got = co_await r.aio->sys_io_getevents(r.ctx, 1, 1, &o.ev);
}

}  // namespace

TEST_CASE("v3.9: io_cancel of an in-flight block request marks nothing and its event still comes", "[models][designs][v3.9]") {
  Rig r(registry_design("v3.9"));
  const UserIocb b = r.iocb('b');
  Out o;
  r.task(kUserCpu).start(script(r, b, o), 0);
  r.timed->run();

  CHECK(o.submitted == 1);
  CHECK(o.listed == std::vector<std::uint64_t>{b.id});  // listed at allocation
  CHECK(o.users_in_flight == 1);
  CHECK(o.active_in_flight == 1);
  CHECK(o.cancelled == -EINVAL);
  CHECK((o.flags_after_cancel & (1ul << models::KIF_CANCELLED)) == 0);
  CHECK(o.active_after == 0);  // freed by the completion's __aio_put_req
  REQUIRE(o.got == 1);
  CHECK(o.ev.data == b.id);
  CHECK(o.ev.res > 0);  // the block request's byte count, not an error
  r.ledger.reaped(o.ev.data);
  CHECK(r.ledger.counts().results == 1);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.slab.in_use() == 0);
  CHECK(r.ctx.active_reqs.empty());
}
