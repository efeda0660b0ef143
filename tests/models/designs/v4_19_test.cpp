// SPDX-License-Identifier: GPL-2.0-only
// What is specific to the v4.19 design (models/designs/v4_19.cpp), with the
// expectations worked out by hand from Linux v4.19's fs/aio.c:
//  - ring slots through per-CPU batches: io_submit on one CPU is admitted
//    req_batch slots at a time, so it can be refused with slots still free;
//    slots of reaped events come back only through
//    user_refill_reqs_available, under completion_lock;
//  - io_cancel runs the driver's cancel method under ctx_lock: gadgetfs on a
//    UDC that gives the request back synchronously re-takes ctx_lock on the
//    same CPU (a self-deadlock).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/violation.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct SlotsScript {
  long first = 0, when_full = 0, after_reap = 0, reaped = 0;
  long cl_when_full = 0, cl_after_reap = 0, ctx_lock_after_reap = 0;
};

long completion_locks(const Rig& r) { return static_cast<long>(r.ctx.completion_lock.stats().acquisitions); }

sim::Task<void> slots_script(Rig& r, std::vector<UserIocb> many, std::vector<UserIocb> one_a,
                             std::vector<UserIocb> one_b, SlotsScript& s) {
  s.first = co_await r.aio->do_io_submit(r.ctx, many);
  co_await sim::sleep_for(300 * 50 * us);  // every admitted block request completes (50 us each)
  long cl = completion_locks(r);
  s.when_full = co_await r.aio->do_io_submit(r.ctx, one_a);
  s.cl_when_full = completion_locks(r) - cl;
  std::vector<models::io_event> ev(static_cast<std::size_t>(s.first));
  s.reaped = co_await r.aio->sys_io_getevents(r.ctx, s.first, s.first, ev.data());
  for (long i = 0; i < s.reaped; ++i) r.ledger.reaped(ev[static_cast<std::size_t>(i)].data);
  cl = completion_locks(r);
  const long ctxl = static_cast<long>(r.ctx.ctx_lock.stats().acquisitions);
  s.after_reap = co_await r.aio->do_io_submit(r.ctx, one_b);
  s.cl_after_reap = completion_locks(r) - cl;
  s.ctx_lock_after_reap = static_cast<long>(r.ctx.ctx_lock.stats().acquisitions) - ctxl;
  co_await sim::sleep_for(200 * us);
}

}  // namespace

// The rig's io_setup(128): aio_setup_ring gives nr_events = 255 (two pages),
// so ioctx_alloc sets reqs_available = 254 and req_batch = 254 / (4 CPUs * 4)
// = 15. One CPU takes the global count 15 at a time (get_reqs_available,
// lines 904-932): after 16 batches (240 slots) 14 are left, fewer than a
// batch, so request 241 fails; user_refill_reqs_available finds
// completed_events 0 and io_submit returns 240.
// Once the 240 have completed, each event is still in the ring:
// refill_reqs_available counts completed - events_in_ring = 0, so a further
// io_submit gets -EAGAIN after one completion_lock round trip. After
// io_getevents has reaped the 240, the same io_submit's refill finds 240
// completed and none in the ring, puts them back (put_reqs_available) and
// is admitted, again with exactly one completion_lock and no ctx_lock.
TEST_CASE("v4.19: ring slots in per-CPU batches, refilled by io_submit under completion_lock", "[models][designs][v4.19]") {
  Rig r(registry_design("v4.19"));
  const std::vector<UserIocb> many = r.iocbs(std::string(254, 'b'));
  const std::vector<UserIocb> one_a = r.iocbs("b");
  const std::vector<UserIocb> one_b = r.iocbs("b");
  SlotsScript s;
  r.task(kUserCpu).start(slots_script(r, many, one_a, one_b, s), 0);
  r.timed->run();
  CHECK(s.first == 240);
  CHECK(s.when_full == -EAGAIN);
  CHECK(s.cl_when_full == 1);
  CHECK(s.reaped == 240);
  CHECK(s.after_reap == 1);
  CHECK(s.cl_after_reap == 1);
  CHECK(s.ctx_lock_after_reap == 0);
}

namespace {
sim::Task<void> cancel_queued_usb(Rig& r, std::vector<UserIocb> usb, long& submitted) {
  submitted = co_await r.aio->do_io_submit(r.ctx, usb);
  models::io_event res;
  co_await r.aio->sys_io_cancel(r.ctx, usb[0].id, res);
}
}  // namespace

// io_cancel: spin_lock_irq(&ctx->ctx_lock) (line 2012), ki_cancel =
// ep_aio_cancel -> usb_ep_dequeue; the request is still queued, so the UDC
// gives it back in the canceller's context (dummy_dequeue ->
// usb_gadget_giveback_request) -> ep_aio_complete -> aio_complete_rw: the
// kiocb is still listed (io_cancel's list_del_init comes after the method),
// so aio_remove_iocb takes ctx_lock (line 1389) on the CPU holding it.
TEST_CASE("v4.19: io_cancel of a queued gadgetfs write self-deadlocks on ctx_lock", "[models][designs][v4.19]") {
  Rig r(registry_design("v4.19"));
  const std::vector<UserIocb> usb = r.iocbs("u");
  long submitted = 0;
  r.task(kUserCpu).start(cancel_queued_usb(r, usb, submitted), 0);
  std::string headline, chain;
  sim::ViolationKind kind = sim::ViolationKind::Invariant;
  try {
    r.timed->run();
  } catch (const sim::Violation& v) {
    headline = v.what();
    kind = v.kind();
    chain = v.details();
  }
  CHECK(submitted == 1);
  INFO(headline << "\n" << chain);
  CHECK(kind == sim::ViolationKind::Deadlock);
  CHECK(headline.find("spins on ctx_lock already held") != std::string::npos);
  CHECK(chain.find("aio_remove_iocb") != std::string::npos);
  CHECK(chain.find("ep_aio_cancel") != std::string::npos);
}
