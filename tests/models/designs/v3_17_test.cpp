// SPDX-License-Identifier: GPL-2.0-only
// Where v3.17 gives ring slots back (fs/aio.c of Linux 3.17): at completion,
// under completion_lock (refill_reqs_available, lines 873-896, called from
// aio_complete 1066-1068), and from a submitter whose pools are empty
// (user_refill_reqs_available, 902-926, from aio_get_req 936-940) -- never
// at reap. The numbers are worked out by hand below for the rig's ring.
//
// The rig: 4 CPUs, io_setup(128) -> aio_setup_ring: 130 events, 32 + 32*130
// bytes = 2 pages, nr_events = (8192 - 32) / 32 = 255; reqs_available =
// 254; req_batch = 254 / (4 * 4) = 15.
#include <catch2/catch.hpp>

#include "models/designs/percpu_reqs.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Sample {
  long ctx_lock = 0, completion_lock = 0;
};
Sample sample(const Rig& r) {
  return {static_cast<long>(r.ctx.ctx_lock.stats().acquisitions),
          static_cast<long>(r.ctx.completion_lock.stats().acquisitions)};
}

struct Script {
  long submitted = 0, reaped = 0, refill_submit = 0, plain_submit = 0;
  Sample before_refill, after_refill, before_plain, after_plain;
  int global_after_completions = 0, global_after_reap = 0, global_after_refill = 0;
  unsigned cpu0_after_completions = 0, cpu0_after_reap = 0, cpu0_after_refill = 0;
  unsigned completed_after_completions = 0, completed_after_reap = 0, completed_after_refill = 0;
};

// CPU 0: io_submit 240 block iocbs (16 batches of 15: CPU 0's pool ends at
// 0, the global count at 254 - 240 = 14 < req_batch); let all complete;
// io_getevents all 240; io_submit one more; let it complete; io_submit one more.
sim::Task<void> script(Rig& r, models::PercpuReqsDesign& d, Script& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, r.iocbs(std::string(240, 'b')));
  co_await sim::sleep_for(20000 * us);  // 240 requests of 50 us: all complete
  s.global_after_completions = d.global_reqs_available();
  s.cpu0_after_completions = d.cpu_reqs_available(0);
  s.completed_after_completions = d.completed_events();
  std::vector<models::io_event> ev(240);
  s.reaped = co_await r.aio->sys_io_getevents(r.ctx, 240, 240, ev.data());
  for (long i = 0; i < s.reaped; ++i) r.ledger.reaped(ev[static_cast<std::size_t>(i)].data);
  s.global_after_reap = d.global_reqs_available();
  s.cpu0_after_reap = d.cpu_reqs_available(0);
  s.completed_after_reap = d.completed_events();

  s.before_refill = sample(r);
  s.refill_submit = co_await r.aio->do_io_submit(r.ctx, r.iocbs("b"));
  s.after_refill = sample(r);
  s.global_after_refill = d.global_reqs_available();
  s.cpu0_after_refill = d.cpu_reqs_available(0);
  s.completed_after_refill = d.completed_events();
  co_await sim::sleep_for(200 * us);

  s.before_plain = sample(r);
  s.plain_submit = co_await r.aio->do_io_submit(r.ctx, r.iocbs("b"));
  s.after_plain = sample(r);
}

}  // namespace

TEST_CASE("v3.17: a submit with empty per-CPU pools takes completion_lock exactly once and refills", "[models][designs][v3.17]") {
  Rig r(registry_design("v3.17"));
  auto& d = dynamic_cast<models::PercpuReqsDesign&>(*r.aio);
  REQUIRE(r.ctx.nr.raw() == 255);
  REQUIRE(d.req_batch() == 15);
  Script s;
  r.task(kUserCpu).start(script(r, d, s), 0);
  r.timed->run();

  REQUIRE(s.submitted == 240);
  // Completions give nothing back while their events sit in the ring: each
  // refill finds events_in_ring == completed_events.
  CHECK(s.global_after_completions == 14);
  CHECK(s.cpu0_after_completions == 0);
  CHECK(s.completed_after_completions == 240);
  // Reaping gives nothing back either (3.17 moved it out of aio_read_events_ring).
  REQUIRE(s.reaped == 240);
  CHECK(s.global_after_reap == 14);
  CHECK(s.cpu0_after_reap == 0);
  CHECK(s.completed_after_reap == 240);

  // get_reqs_available fails (pool 0, global 14 < 15); user_refill takes
  // completion_lock once: 240 completed, 0 in the ring -> put 240 on CPU 0:
  // the pool keeps 240 - 15 * 15 = 15 (< 2 * 15), the global gets 225 ->
  // 239; the second get takes one from the pool -> 14.
  CHECK(s.refill_submit == 1);
  CHECK(s.after_refill.completion_lock - s.before_refill.completion_lock == 1);
  CHECK(s.after_refill.ctx_lock - s.before_refill.ctx_lock == 0);
  CHECK(s.completed_after_refill == 0);
  CHECK(s.global_after_refill == 239);
  CHECK(s.cpu0_after_refill == 14);

  // The pool has slots again: the next submit takes no lock.
  CHECK(s.plain_submit == 1);
  CHECK(s.after_plain.completion_lock - s.before_plain.completion_lock == 0);
  CHECK(s.after_plain.ctx_lock - s.before_plain.ctx_lock == 0);
}
