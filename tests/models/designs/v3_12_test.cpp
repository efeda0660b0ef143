// SPDX-License-Identifier: GPL-2.0-only
// Where v3.12 gives ring slots back (fs/aio.c of Linux 3.12): only at reap
// (put_reqs_available at the end of aio_read_events_ring, line 1029), into
// the reaping CPU's pool, in req_batch chunks to the global count
// (put_reqs_available, 752-766). Never at completion, and a submitter never
// takes completion_lock. The numbers are worked out by hand for the rig's
// ring: 4 CPUs, io_setup(128) -> nr_events = 255 (2 pages),
// reqs_available = 254, req_batch = 254 / (4 * 4) = 15.
#include <catch2/catch.hpp>

#include "models/designs/percpu_reqs.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Script {
  long submitted = 0, reaped = 0, extra = 0, second = 0;
  int global_after_submit = 0, global_after_completions = 0, global_after_reap = 0;
  unsigned cpu0_after_submit = 0, cpu0_after_completions = 0, cpu0_after_reap = 0;
  long completion_lock_before_extra = 0, completion_lock_after_extra = 0;
};

// CPU 0: io_submit 240 block iocbs; let all complete; io_getevents all 240;
// io_submit one more; then 254 - 1 - 14 more would not fit anywhere.
sim::Task<void> script(Rig& r, models::PercpuReqsDesign& d, Script& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, r.iocbs(std::string(240, 'b')));
  s.global_after_submit = d.global_reqs_available();
  s.cpu0_after_submit = d.cpu_reqs_available(0);
  co_await sim::sleep_for(20000 * us);
  s.global_after_completions = d.global_reqs_available();
  s.cpu0_after_completions = d.cpu_reqs_available(0);
  std::vector<models::io_event> ev(240);
  s.reaped = co_await r.aio->sys_io_getevents(r.ctx, 240, 240, ev.data());
  for (long i = 0; i < s.reaped; ++i) r.ledger.reaped(ev[static_cast<std::size_t>(i)].data);
  s.global_after_reap = d.global_reqs_available();
  s.cpu0_after_reap = d.cpu_reqs_available(0);
  s.completion_lock_before_extra = static_cast<long>(r.ctx.completion_lock.stats().acquisitions);
  s.extra = co_await r.aio->do_io_submit(r.ctx, r.iocbs("b"));
  s.completion_lock_after_extra = static_cast<long>(r.ctx.completion_lock.stats().acquisitions);
  co_await sim::sleep_for(200 * us);
  std::vector<models::io_event> one(1);
  long got = co_await r.aio->sys_io_getevents(r.ctx, 1, 1, one.data());
  if (got == 1) r.ledger.reaped(one[0].data);
}

}  // namespace

TEST_CASE("v3.12: ring slots come back at reap, to the reaper's CPU, never at completion", "[models][designs][v3.12]") {
  Rig r(registry_design("v3.12"));
  auto& d = dynamic_cast<models::PercpuReqsDesign&>(*r.aio);
  REQUIRE(r.ctx.nr.raw() == 255);
  REQUIRE(d.req_batch() == 15);
  Script s;
  r.task(kUserCpu).start(script(r, d, s), 0);
  r.timed->run();

  // 240 gets = 16 batches of 15 from the global count: 254 - 240 = 14 left.
  REQUIRE(s.submitted == 240);
  CHECK(s.global_after_submit == 14);
  CHECK(s.cpu0_after_submit == 0);
  // 240 completions: 240 events in the ring, no slot back.
  CHECK(s.global_after_completions == 14);
  CHECK(s.cpu0_after_completions == 0);
  // The reap puts 240 on CPU 0: the pool keeps 240 - 15 * 15 = 15, the
  // global count gets 225 -> 239.
  REQUIRE(s.reaped == 240);
  CHECK(s.cpu0_after_reap == 15);
  CHECK(s.global_after_reap == 239);
  // A submit takes a slot from the pool; no completion_lock on the way.
  CHECK(s.extra == 1);
  CHECK(s.completion_lock_after_extra == s.completion_lock_before_extra);
  CHECK(r.ledger.in_flight() == 0);
}
