// SPDX-License-Identifier: GPL-2.0-only
// io_cancel of a USB request racing the UDC's own completion of it, on two
// CPUs, with the step driver choosing which side runs first:
//   CPU 0 (task): io_cancel(U)            CPU 1 (hard IRQ): udc_irq -> ep_aio_complete
// Set-up (both orders): CPU 0 io_submits one iocb to the gadget endpoint
// and returns; the UDC then finishes the transfer in hardware, so the UDC
// interrupt is pending on CPU 1 while io_cancel is about to start on CPU 0.
//
// Expected outcomes, from the kernel code (kernel-notes.md 1.2, 2.2, 3, 4):
//  (a) io_cancel runs to completion first. lookup_kiocb finds U on
//      active_reqs (pre: listed by kiocb_batch_refill; post: by
//      kiocb_set_cancel_fn). kiocb_cancel marks it cancelled (pre:
//      set_bit(KIF_CANCELLED); post: cmpxchg(ki_cancel -> KIOCB_CANCELLED)),
//      takes a ki_users ref, drops ctx_lock and calls ep_aio_cancel ->
//      usb_ep_dequeue: the request is still on the endpoint queue (the
//      interrupt has not been handled), so it is unlinked, completed with
//      -ECONNRESET through ep_aio_complete -> aio_complete, which sees the
//      cancelled mark and writes NO ring event; dequeue returns 0, so
//      io_cancel returns 0 and user space gets its result from io_cancel
//      (obj = data = the iocb, res = res2 = 0). The late interrupt then
//      finds the endpoint queue empty and completes nothing.
//  (b) the interrupt runs first, entirely: ep_aio_complete -> aio_complete
//      unlinks U from active_reqs (pre: always; post: ki_list.next != NULL),
//      finds it not cancelled and writes one ring event (res = 4096 bytes,
//      res2 = status 0); the I/O ref is the last one (io_submit_one dropped
//      the submit ref), so the kiocb is freed. io_cancel's lookup_kiocb then
//      walks an empty active_reqs: -EINVAL.
// In both: exactly one result, nothing lost, the kiocb freed.
#include <catch2/catch.hpp>

#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

enum class First { Cancel, Irq };

void race(const std::string& design, First first) {
  Rig r(registry_design(design), DriverKind::Step);
  sim::StepDriver& d = *r.step;
  sim::Context& user = r.task(kUserCpu);
  sim::Cpu& irq_cpu = r.m.cpu(kIrqCpu);

  const UserIocb u = r.iocb('u');
  long submitted = 0;
  user.start(submit(r, {u}, submitted), 0);
  run_to_idle(d, user);
  REQUIRE(submitted == 1);
  REQUIRE(r.usb.completed() == 0);
  REQUIRE(r.ledger.counts().results == 0);
  REQUIRE(r.active_ids() == std::vector<std::uint64_t>{u.id});

  // The transfer finishes in hardware: the interrupt is raised, not handled.
  r.usb.hardware_done();
  REQUIRE(d.deliverable_irqs() == std::vector<sim::Cpu*>{&irq_cpu});

  long cancel_ret = 12345;
  models::io_event result{};
  user.start(cancel(r, u.id, cancel_ret, result), 0);
  // The choice point: both sides can go.
  REQUIRE(contains(d.enabled(), &user));
  REQUIRE(d.deliverable_irqs() == std::vector<sim::Cpu*>{&irq_cpu});

  if (first == First::Cancel) {
    run_to_idle(d, user);
    // io_cancel has returned; the interrupt is still pending.
    CHECK(cancel_ret == 0);
    CHECK(r.ledger.counts().cancel_results == 1);
    d.deliver_irq(irq_cpu);
    run_to_idle(d, irq_cpu.irq());
  } else {
    d.deliver_irq(irq_cpu);
    run_to_idle(d, irq_cpu.irq());
    // The completion is done; io_cancel has not taken a step yet.
    CHECK(r.ledger.counts().ring_events == 1);
    run_to_idle(d, user);
  }
  for (const sim::Context* c : d.runnable()) UNSCOPED_INFO("still runnable: " << c->name() << " in " << c->call_chain());
  CHECK(d.runnable().empty());
  CHECK(d.deliverable_irqs().empty());

  const auto& c = r.ledger.counts();
  CHECK(c.results == 1);
  CHECK(c.duplicates == 0);
  CHECK(c.lost == 0);
  CHECK(r.usb.races() == 0);
  if (first == First::Cancel) {
    CHECK(cancel_ret == 0);
    CHECK(c.cancel_results == 1);
    CHECK(c.ring_events == 0);
    CHECK(r.ctx.ring_tail.raw() == 0);  // no io_event in the ring
    CHECK(r.ctx.tail.raw() == 0);
    CHECK(result.obj == u.id);
    CHECK(result.data == u.id);
    CHECK(result.res == 0);
    CHECK(result.res2 == 0);
    CHECK(r.usb.dequeued() == 1);
    CHECK(r.usb.completed() == 0);  // the interrupt found nothing to give back
  } else {
    CHECK(cancel_ret == -EINVAL);
    CHECK(c.cancel_results == 0);
    CHECK(c.ring_events == 1);
    CHECK(r.ctx.ring_tail.raw() == 1);
    CHECK(r.ctx.tail.raw() == 1);
    const models::io_event ev = r.ctx.slots[0].raw();
    CHECK(ev.data == u.id);
    CHECK(ev.obj == u.id);
    CHECK(ev.res == kUsbBytes);
    CHECK(ev.res2 == 0);
    CHECK(r.usb.dequeued() == 0);
    CHECK(r.usb.completed() == 1);
  }
  CHECK(r.ctx.active_reqs.empty());
  CHECK(r.ctx.reqs_active.raw() == 0);
  CHECK(r.slab.in_use() == 0);
  CHECK(r.ctx.users.raw() == 1);  // only io_setup's reference is left
}

}  // namespace

TEST_CASE("io_cancel before the UDC interrupt: io_cancel's result only (mm-parent)", "[models][cancel]") {
  race("mm-parent", First::Cancel);
}

TEST_CASE("io_cancel before the UDC interrupt: io_cancel's result only (lazy-cancel)", "[models][cancel]") {
  race("lazy-cancel", First::Cancel);
}

TEST_CASE("UDC interrupt before io_cancel: ring event only, io_cancel -EINVAL (mm-parent)", "[models][cancel]") {
  race("mm-parent", First::Irq);
}

TEST_CASE("UDC interrupt before io_cancel: ring event only, io_cancel -EINVAL (lazy-cancel)", "[models][cancel]") {
  race("lazy-cancel", First::Irq);
}
