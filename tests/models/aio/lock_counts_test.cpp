// SPDX-License-Identifier: GPL-2.0-only
// How often each kioctx lock is taken on each path, per design, for one
// scripted workload. The expected numbers are counted by hand from the
// kernel code (the transcription in kernel-notes.md, sections 1.2 and 2.2),
// not read off the simulator.
//
// The script, on CPU 0 (user thread), timed driver, zero coherence costs:
//   1. one io_submit of 4 iocbs: 3 to the block device (no cancel method),
//      1 to the gadgetfs endpoint (ep_aio_cancel);
//   2. sleep 200 us: the 3 block requests complete (50 us each) by the
//      block interrupt on CPU 1 -> aio_complete in IRQ context;
//   3. the UDC finishes the USB transfer (hardware_done): its interrupt on
//      CPU 1 -> udc_irq -> ep_aio_complete -> aio_complete; sleep 200 us;
//   4. one io_getevents(min_nr = 4, nr = 8): the 4 events are already in
//      the ring.
// Lock counts are sampled after each step.
#include <catch2/catch.hpp>

#include <array>

#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Counts {
  std::uint64_t ctx_lock = 0, completion_lock = 0, ring_lock = 0, wait_lock = 0;
};

Counts sample(const Rig& r) {
  return {r.ctx.ctx_lock.stats().acquisitions, r.ctx.completion_lock.stats().acquisitions,
          r.ctx.ring_lock.stats().acquisitions, r.ctx.wait.lock.stats().acquisitions};
}

struct Script {
  std::array<Counts, 4> after{};  // after submit, block completions, USB completion, io_getevents
  long submitted = 0;
  long got = 0;
  std::vector<models::io_event> events = std::vector<models::io_event>(8);
};

sim::Task<void> script(Rig& r, std::vector<UserIocb> iocbs, Script& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  s.after[0] = sample(r);
  co_await sim::sleep_for(200 * us);
  s.after[1] = sample(r);
  r.usb.hardware_done();
  co_await sim::sleep_for(200 * us);
  s.after[2] = sample(r);
  s.got = co_await r.aio->sys_io_getevents(r.ctx, 4, 8, s.events.data());
  s.after[3] = sample(r);
}

// Runs the script; returns the samples. Also checks the outcome every
// design must share: 4 submitted, 4 ring events, all reaped, all freed.
Script run_script(const std::string& design) {
  Rig r(registry_design(design));
  const std::vector<UserIocb> iocbs = r.iocbs("bbbu");
  Script s;
  r.task(kUserCpu).start(script(r, iocbs, s), 0);
  r.timed->run();

  CHECK(s.submitted == 4);
  REQUIRE(s.got == 4);
  std::vector<std::uint64_t> reaped;
  for (long i = 0; i < s.got; ++i) {
    reaped.push_back(s.events[static_cast<std::size_t>(i)].data);
    r.ledger.reaped(s.events[static_cast<std::size_t>(i)].data);
  }
  std::sort(reaped.begin(), reaped.end());
  CHECK(reaped == ids_of(iocbs));
  CHECK(r.ledger.counts().ring_events == 4);
  CHECK(r.ledger.counts().results == 4);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.blk.completions() == 3);
  CHECK(r.usb.completed() == 1);
  CHECK(r.slab.in_use() == 0);
  CHECK(r.ctx.reqs_active.raw() == 0);
  CHECK(r.ctx.active_reqs.empty());
  return s;
}

}  // namespace

TEST_CASE("mm-parent: lock acquisitions per path for 3 block + 1 USB iocbs", "[models][locks]") {
  const Script s = run_script("mm-parent");

  // io_submit. do_io_submit -> io_submit_one #1 -> aio_get_req: the batch is
  // empty -> kiocb_batch_refill(count 4): to_alloc = min(4, 32) = 4, one
  // spin_lock_irq(ctx_lock) to check ring space and list_add all 4 onto
  // active_reqs. io_submit_one #2..#4 take from the batch (no lock). The
  // gadget's ep_aio_rwtail stores ki_cancel without any ctx lock (pre-patch).
  // kiocb_batch_free: batch empty -> returns before spin_lock_irq.
  // => ctx_lock 1.
  CHECK(s.after[0].ctx_lock == 1);
  CHECK(s.after[0].completion_lock == 0);
  CHECK(s.after[0].ring_lock == 0);

  // 3 block completions: aio_complete takes spin_lock_irqsave(ctx_lock)
  // around its whole body (list_del, KIF_CANCELLED test, ring write,
  // reqs_active--, wake-up test) -> +1 each = 4. No completion_lock exists.
  CHECK(s.after[1].ctx_lock == 1 + 3);
  CHECK(s.after[1].completion_lock == 0);

  // USB completion: the same aio_complete, once -> 5.
  CHECK(s.after[2].ctx_lock == 1 + 3 + 1);
  CHECK(s.after[2].completion_lock == 0);

  // io_getevents: lookup_ioctx/put_ioctx are lockless (RCU + atomics);
  // read_events evaluates aio_read_events once, which takes the ring_lock
  // mutex once in aio_read_events_ring and finds 4 >= min_nr events: no
  // prepare_to_wait. No ctx_lock on the read side.
  CHECK(s.after[3].ctx_lock == 5);
  CHECK(s.after[3].completion_lock == 0);
  CHECK(s.after[3].ring_lock == 1);

  // Nobody ever waits on ctx->wait, so aio_complete's unlocked
  // waitqueue_active() is false every time and wake_up() is never called:
  // ctx->wait.lock is never taken.
  CHECK(s.after[3].wait_lock == 0);
}

TEST_CASE("lazy-cancel: lock acquisitions per path for 3 block + 1 USB iocbs", "[models][locks]") {
  const Script s = run_script("lazy-cancel");

  // io_submit. kiocb_batch_refill: one spin_lock_irq(ctx_lock) for the ring
  // space check and atomic_add(4, reqs_active) -- no list_add any more.
  // ep_aio_rwtail -> kiocb_set_cancel_fn: spin_lock_irqsave(ctx_lock),
  // ki_list.next == NULL (__GFP_ZERO) -> list_add, ki_cancel = ep_aio_cancel.
  // kiocb_batch_free: batch empty, no lock.  => ctx_lock 1 + 1 = 2.
  CHECK(s.after[0].ctx_lock == 2);
  CHECK(s.after[0].completion_lock == 0);
  CHECK(s.after[0].ring_lock == 0);

  // 3 block completions: ki_list.next == NULL (never listed) -> aio_complete
  // skips ctx_lock entirely; xchg(ki_cancel) sees NULL, not KIOCB_CANCELLED
  // -> spin_lock_irqsave(completion_lock) around the ring write: +1 each.
  CHECK(s.after[1].ctx_lock == 2);
  CHECK(s.after[1].completion_lock == 3);

  // USB completion: ki_list.next != NULL (listed by kiocb_set_cancel_fn) ->
  // ctx_lock irqsave around list_del (+1 = 3), then completion_lock for its
  // ring event (+1 = 4).
  CHECK(s.after[2].ctx_lock == 3);
  CHECK(s.after[2].completion_lock == 4);

  // io_getevents: unchanged code -> one ring_lock, nothing else.
  CHECK(s.after[3].ctx_lock == 3);
  CHECK(s.after[3].completion_lock == 4);
  CHECK(s.after[3].ring_lock == 1);
  CHECK(s.after[3].wait_lock == 0);
}

namespace {
sim::Task<void> submit_and_wait(Rig& r, std::vector<UserIocb> iocbs, long& submitted) {
  submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  co_await sim::sleep_for(200 * us);
}
}  // namespace

// aio_complete maps the ring through info->ring_pages twice per event
// (kmap_atomic(info->ring_pages[pos / AIO_EVENTS_PER_PAGE]) for the event,
// kmap_atomic(info->ring_pages[0]) for ring->tail; seed's parent and seed
// alike), and ring_pages sits on the packed kioctx's second line with
// active_reqs and ring_lock. Under lazy-cancel a block completion touches
// nothing else on that line (not listed, no ring_lock): 3 completions, 6
// accesses; 0 before the read was modelled.
TEST_CASE("aio_complete reads ring_pages on the active_reqs/ring_lock line, twice per event", "[models][locks]") {
  Rig r(registry_design("lazy-cancel"));
  const std::vector<UserIocb> iocbs = r.iocbs("bbb");
  sim::CacheLine& line = r.ctx.ring_pages.line();
  CHECK(line.name() == "kioctx+64");
  CHECK(&line == &r.ctx.active_reqs_head.line());
  long submitted = 0;
  std::uint64_t before = 0;
  r.task(kUserCpu).start(submit_and_wait(r, iocbs, submitted), 0);
  // io_submit under lazy-cancel does not touch the line either (no list_add
  // for block kiocbs): everything on it comes from aio_complete.
  before = line.accesses();
  r.timed->run();
  CHECK(submitted == 3);
  CHECK(r.blk.completions() == 3);
  CHECK(r.ledger.counts().ring_events == 3);
  CHECK(line.accesses() - before == 6);
}

namespace {
struct FailScript {
  long submitted = 0;
  Counts after_submit, after_completion;
};
sim::Task<void> fail_script(Rig& r, std::vector<UserIocb> iocbs, FailScript& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  for (std::size_t i = static_cast<std::size_t>(std::max(s.submitted, 0L)); i < iocbs.size(); ++i)
    r.ledger.not_submitted(iocbs[i].id);  // what user space learns from io_submit's return
  s.after_submit = sample(r);
  co_await sim::sleep_for(200 * us);
  s.after_completion = sample(r);
}

FailScript run_fail_script(const std::string& design) {
  Rig r(registry_design(design));
  std::vector<UserIocb> iocbs = r.iocbs("bbb");
  iocbs[1].bad_buffer = true;
  FailScript s;
  r.task(kUserCpu).start(fail_script(r, iocbs, s), 0);
  r.timed->run();
  // io_submit returns 1: the first iocb went through; the second failed in
  // aio_setup_iocb (-EFAULT), which stops the loop; the third was never tried.
  CHECK(s.submitted == 1);
  CHECK(r.blk.completions() == 1);
  CHECK(r.ledger.counts().ring_events == 1);
  CHECK(r.ledger.in_flight() == 0);
  CHECK(r.slab.in_use() == 0);            // out_put_req's two aio_put_req freed it
  CHECK(r.ctx.reqs_active.raw() == 0);    // out_put_req's atomic_dec, batch_free's
  CHECK(r.blk.f_count.raw() == 1);        // fget/fput balanced
  CHECK(r.ctx.active_reqs.empty());
  return s;
}
}  // namespace

// io_submit_one's failure path (out_put_req), seed's parent: spin_lock_irq
// (ctx_lock); list_del(&req->ki_list); unlock; atomic_dec(reqs_active); two
// aio_put_req. With 3 iocbs and the 2nd failing: kiocb_batch_refill (1),
// out_put_req (2), kiocb_batch_free for the 3rd, still in the batch (3); the
// first's aio_complete (4).
TEST_CASE("mm-parent: io_submit_one's out_put_req takes ctx_lock for its list_del", "[models][locks]") {
  const FailScript s = run_fail_script("mm-parent");
  CHECK(s.after_submit.ctx_lock == 3);
  CHECK(s.after_completion.ctx_lock == 4);
  CHECK(s.after_completion.completion_lock == 0);
}

// The seed removed out_put_req's list_del and its ctx_lock (the kiocb is
// not listed before ki_retry): refill (1) and kiocb_batch_free (2) only; the
// block completion takes completion_lock, not ctx_lock.
TEST_CASE("lazy-cancel: io_submit_one's out_put_req takes no ctx_lock", "[models][locks]") {
  const FailScript s = run_fail_script("lazy-cancel");
  CHECK(s.after_submit.ctx_lock == 2);
  CHECK(s.after_completion.ctx_lock == 2);
  CHECK(s.after_completion.completion_lock == 1);
}

// IOCB_FLAG_RESFD: io_submit_one takes a reference on the eventfd
// (eventfd_ctx_fdget), aio_complete calls eventfd_signal(ki_eventfd, 1) --
// spin_lock_irqsave(&ctx->wqh.lock), count += 1 -- and kiocb_free drops the
// reference. Two block iocbs, the first with an eventfd: one signal, one
// wqh.lock acquisition, the count is 1, the kref back where it was.
TEST_CASE("aio_complete signals the iocb's eventfd under its wqh.lock", "[models][locks]") {
  for (const char* design : {"mm-parent", "lazy-cancel"}) {
    DYNAMIC_SECTION(design) {
      Rig r(registry_design(design));
      models::eventfd_ctx efd(r.m, sim::LockKind::Ticket);
      std::vector<UserIocb> iocbs = r.iocbs("bb");
      iocbs[0].resfd = &efd;
      long submitted = 0;
      r.task(kUserCpu).start(submit_and_wait(r, iocbs, submitted), 0);
      r.timed->run();
      CHECK(submitted == 2);
      CHECK(r.ledger.counts().ring_events == 2);
      CHECK(efd.count.raw() == 1);
      CHECK(efd.wqh.lock.stats().acquisitions == 1);
      CHECK(efd.kref.raw() == 1);
      CHECK(r.slab.in_use() == 0);
    }
  }
}
