// SPDX-License-Identifier: GPL-2.0-only
// kiocb_batch_refill's ring accounting with the kernel's types (fs/aio.c of
// the seed's parent, -mm April 2013):
//
//   static inline unsigned aio_ring_avail(struct aio_ring_info *info, struct aio_ring *ring)
//   { return (ring->head + info->nr - 1 - ring->tail) % info->nr; }
//   ...
//   long avail;
//   avail = aio_ring_avail(&ctx->ring_info, ring) - atomic_read(&ctx->reqs_active);
//   BUG_ON(avail < 0);
//   if (avail < allocated) { ... trim ... }
//
// The subtraction is unsigned int (the int from atomic_read converts to
// unsigned), so it wraps before it reaches the long. On LP64 (x86-64) the
// long holds the wrapped value, never negative: the BUG_ON cannot fire and
// the trim is skipped. On i386 long is 32 bits and the conversion yields a
// negative value: the BUG_ON fires.
//
// The rig's ring: io_setup(128) -> 130 events requested -> 2 pages ->
// info->nr = (8192 - 32) / 32 = 255 slots, at most 254 events unreaped.
//
// Script (worked out by hand):
//  1. io_submit 254 block requests: every refill fits (avail 254, 222, ...,
//     30 against 32, 32, ..., 30 allocated), 254 admitted. They all
//     complete (50 us each): 254 events unreaped, head 0, tail 254,
//     reqs_active 0, aio_ring_avail = (0 + 255 - 1 - 254) % 255 = 0.
//  2. reqs_active is then set to 1: the state a refill observes while the
//     seed's aio_complete has advanced ring->tail (under completion_lock)
//     but not yet done its atomic_dec(&reqs_active) (outside any kioctx
//     lock): that request is counted twice. (mm-parent holds ctx_lock across
//     both, so there this state needs a workload with more requests in
//     flight than the ring holds; the arithmetic is the same.)
//  3. io_submit 2 block requests: refill allocates 2, avail = 0u - 1u.
//     - 64-bit: avail = 4294967295, no trim, both admitted (io_submit
//       returns 2, reqs_active 1 + 2). The pending aio_complete then drops
//       its count. When the two complete, the first writes slot 254 and
//       moves tail from 254 to 0 == head: user space sees an empty ring
//       (one ring overflow). The second writes slot 0, which still holds
//       the unreaped event of step 1's first completion: that result is
//       lost (one event overwritten). io_getevents then returns 1 event,
//       the second one's, and the ring reads empty again (head 1 == tail 1).
//     - 32-bit: avail = -1, BUG_ON(avail < 0) fires: the run stops there.
#include <catch2/catch.hpp>

#include "tests/support/rig.hpp"
#include "sim/violation.hpp"

using namespace aiotest;

namespace {

constexpr unsigned kRingSlots = 255;

struct Outcome {
  long filled = 0;
  unsigned head = 99, tail = 99;
  long active_before = -1;
  long admitted = 0;
  long active_after_submit = -1;
  long got = -1;
  long got_again = -1;
  std::vector<models::io_event> events = std::vector<models::io_event>(kRingSlots);
};

sim::Task<void> fill_then_submit(Rig& r, std::vector<UserIocb> fill, std::vector<UserIocb> more, Outcome& o) {
  o.filled = co_await r.aio->do_io_submit(r.ctx, fill);
  co_await sim::sleep_for(2000 * us);  // every request of the fill completes
  o.head = r.ctx.ring_head.raw();
  o.tail = r.ctx.ring_tail.raw();
  o.active_before = r.ctx.reqs_active.raw();
  r.ctx.reqs_active.raw() = 1;  // one completion between its ring->tail store and its atomic_dec
  o.admitted = co_await r.aio->do_io_submit(r.ctx, more);
  o.active_after_submit = r.ctx.reqs_active.raw();
  r.ctx.reqs_active.raw() -= 1;  // ... which now does its atomic_dec
  co_await sim::sleep_for(2000 * us);
  o.got = co_await r.aio->sys_io_getevents(r.ctx, 0, kRingSlots, o.events.data());
  o.got_again = co_await r.aio->sys_io_getevents(r.ctx, 0, kRingSlots, o.events.data() + 1);
}

}  // namespace

TEST_CASE("kiocb_batch_refill on 64-bit: the unsigned avail wraps, the ring overflows, an event is lost",
          "[models][ring]") {
  for (const char* design : {"mm-parent", "lazy-cancel"}) {
    INFO(design);
    Rig r(registry_design(design), DriverKind::Timed, models::LostPolicy::Count);
    REQUIRE(r.ctx.nr.raw() == kRingSlots);
    REQUIRE(r.aio->word_bits() == 64);  // the default: x86-64
    const std::vector<UserIocb> fill = r.iocbs(std::string(254, 'b'));
    const std::vector<UserIocb> more = r.iocbs("bb");
    Outcome o;
    r.task(kUserCpu).start(fill_then_submit(r, fill, more, o), 0);
    REQUIRE_NOTHROW(r.timed->run());

    CHECK(o.filled == 254);
    CHECK(o.head == 0);
    CHECK(o.tail == 254);
    CHECK(o.active_before == 0);
    CHECK(o.admitted == 2);               // no trim: both admitted past the ring's capacity
    CHECK(o.active_after_submit == 3);
    const auto& c = r.ledger.counts();
    CHECK(c.ring_overflows == 1);         // tail 254 -> 0 == head
    CHECK(c.ring_overwritten == 1);       // slot 0's unreaped event
    CHECK(c.lost == 1);
    CHECK(c.ring_events == 254 + 2 - 1);  // written and still there to be read
    CHECK(o.got == 1);
    CHECK(o.events[0].data == more[1].id);  // the second completion's, in slot 0
    CHECK(o.got_again == 0);                // head 1 == tail 1: the other 254 are out of sight
    CHECK(r.ctx.ring_head.raw() == 1);
    CHECK(r.ctx.ring_tail.raw() == 1);
    CHECK(r.ctx.reqs_active.raw() == 0);
  }
}

TEST_CASE("kiocb_batch_refill on 64-bit: the ring overflow stops a run that does not count kernel races",
          "[models][ring]") {
  Rig r(registry_design("lazy-cancel"));  // LostPolicy::Stop
  const std::vector<UserIocb> fill = r.iocbs(std::string(254, 'b'));
  const std::vector<UserIocb> more = r.iocbs("bb");
  Outcome o;
  r.task(kUserCpu).start(fill_then_submit(r, fill, more, o), 0);
  std::string what;
  try {
    r.timed->run();
  } catch (const sim::Violation& v) {
    what = v.what();
  }
  CHECK_THAT(what, Catch::Contains("aio ring overflow") && Catch::Contains("moved the ring's tail onto its head"));
  CHECK(o.admitted == 2);
  CHECK(r.ledger.counts().ring_overflows == 1);
}

TEST_CASE("kiocb_batch_refill on 32-bit: BUG_ON(avail < 0) fires", "[models][ring]") {
  for (const char* design : {"mm-parent", "lazy-cancel"}) {
    INFO(design);
    Rig r(registry_design(design), DriverKind::Timed, models::LostPolicy::Count);
    r.aio->set_word_bits(32);
    const std::vector<UserIocb> fill = r.iocbs(std::string(254, 'b'));
    const std::vector<UserIocb> more = r.iocbs("bb");
    Outcome o;
    r.task(kUserCpu).start(fill_then_submit(r, fill, more, o), 0);
    std::string what;
    try {
      r.timed->run();
    } catch (const sim::Violation& v) {
      what = v.what();
    }
    CHECK(o.filled == 254);  // within the ring: the BUG_ON does not fire while avail >= 0
    CHECK_THAT(what, Catch::Contains("BUG_ON(avail < 0)") && Catch::Contains("avail -1"));
    CHECK(o.admitted == 0);  // the second io_submit never returned
    CHECK(r.ledger.counts().ring_overflows == 0);
  }
}
