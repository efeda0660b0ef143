// SPDX-License-Identifier: GPL-2.0-only
// Where v3.12 and v3.17 give ring slots back, on one script:
//  - v3.12 (fs/aio.c of Linux 3.12): only at reap (put_reqs_available at
//    the end of aio_read_events_ring, line 1029), into the reaping CPU's
//    pool, in req_batch chunks to the global count (put_reqs_available,
//    752-766). Never at completion, and a submitter never takes
//    completion_lock.
//  - v3.17 (fs/aio.c of Linux 3.17): at completion, under completion_lock
//    (refill_reqs_available, 873-896, called from aio_complete 1066-1068),
//    and from a submitter whose pools are empty (user_refill_reqs_available,
//    902-926, from aio_get_req 936-940) -- never at reap.
// The numbers are worked out by hand for the rig's ring: 4 CPUs,
// io_setup(128) -> aio_setup_ring: 130 events, 32 + 32*130 bytes = 2 pages,
// nr_events = (8192 - 32) / 32 = 255; reqs_available = 254; req_batch =
// 254 / (4 * 4) = 15.
#include <catch2/catch.hpp>

#include "models/designs/percpu_reqs.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Locks {
  long ctx_lock = 0, completion_lock = 0;
};
Locks locks(const Rig& r) {
  return {static_cast<long>(r.ctx.ctx_lock.stats().acquisitions),
          static_cast<long>(r.ctx.completion_lock.stats().acquisitions)};
}

// The slot counts at one point of the script.
struct Slots {
  int global = 0;
  unsigned cpu0 = 0, completed = 0;
};
Slots slots(const models::PercpuReqsDesign& d) {
  return {d.global_reqs_available(), d.cpu_reqs_available(0), d.completed_events()};
}

struct Script {
  long submitted = 0, reaped = 0, first_extra = 0, second_extra = 0;
  Slots after_submit, after_completions, after_reap, after_first_extra;
  Locks before_first_extra, after_first_extra_locks, before_second_extra, after_second_extra_locks;
};

// CPU 0: io_submit 240 block iocbs (16 batches of 15: CPU 0's pool ends at
// 0, the global count at 254 - 240 = 14 < req_batch); let all complete;
// io_getevents all 240; io_submit one more; let it complete; io_submit one
// more; let it complete and reap both.
sim::Task<void> script(Rig& r, models::PercpuReqsDesign& d, Script& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, r.iocbs(std::string(240, 'b')));
  s.after_submit = slots(d);
  co_await sim::sleep_for(20000 * us);  // 240 requests of 50 us: all complete
  s.after_completions = slots(d);
  std::vector<models::io_event> ev(240);
  s.reaped = co_await r.aio->sys_io_getevents(r.ctx, 240, 240, ev.data());
  for (long i = 0; i < s.reaped; ++i) r.ledger.reaped(ev[static_cast<std::size_t>(i)].data);
  s.after_reap = slots(d);

  s.before_first_extra = locks(r);
  s.first_extra = co_await r.aio->do_io_submit(r.ctx, r.iocbs("b"));
  s.after_first_extra_locks = locks(r);
  s.after_first_extra = slots(d);
  co_await sim::sleep_for(200 * us);

  s.before_second_extra = locks(r);
  s.second_extra = co_await r.aio->do_io_submit(r.ctx, r.iocbs("b"));
  s.after_second_extra_locks = locks(r);
  co_await sim::sleep_for(200 * us);
  std::vector<models::io_event> two(2);
  const long got = co_await r.aio->sys_io_getevents(r.ctx, 2, 2, two.data());
  for (long i = 0; i < got; ++i) r.ledger.reaped(two[static_cast<std::size_t>(i)].data);
}

Script run_script(Rig& r, models::PercpuReqsDesign& d) {
  REQUIRE(r.ctx.nr.raw() == 255);
  REQUIRE(d.req_batch() == 15);
  Script s;
  r.task(kUserCpu).start(script(r, d, s), 0);
  r.timed->run();
  REQUIRE(s.submitted == 240);
  REQUIRE(s.reaped == 240);
  return s;
}

}  // namespace

TEST_CASE("v3.12: ring slots come back at reap, to the reaper's CPU, never at completion", "[models][designs][v3.12]") {
  Rig r(registry_design("v3.12"));
  auto& d = dynamic_cast<models::PercpuReqsDesign&>(*r.aio);
  const Script s = run_script(r, d);

  // 240 gets = 16 batches of 15 from the global count: 254 - 240 = 14 left.
  CHECK(s.after_submit.global == 14);
  CHECK(s.after_submit.cpu0 == 0);
  // 240 completions: 240 events in the ring, no slot back.
  CHECK(s.after_completions.global == 14);
  CHECK(s.after_completions.cpu0 == 0);
  // The reap puts 240 on CPU 0: the pool keeps 240 - 15 * 15 = 15, the
  // global count gets 225 -> 239.
  CHECK(s.after_reap.cpu0 == 15);
  CHECK(s.after_reap.global == 239);
  // A submit takes a slot from the pool; no completion_lock on the way.
  CHECK(s.first_extra == 1);
  CHECK(s.after_first_extra.cpu0 == 14);
  CHECK(s.after_first_extra_locks.completion_lock == s.before_first_extra.completion_lock);
  CHECK(s.second_extra == 1);
  CHECK(s.after_second_extra_locks.completion_lock == s.before_second_extra.completion_lock);
  CHECK(r.ledger.in_flight() == 0);
}

TEST_CASE("v3.17: a submit with empty per-CPU pools takes completion_lock exactly once and refills", "[models][designs][v3.17]") {
  Rig r(registry_design("v3.17"));
  auto& d = dynamic_cast<models::PercpuReqsDesign&>(*r.aio);
  const Script s = run_script(r, d);

  // Completions give nothing back while their events sit in the ring: each
  // refill finds events_in_ring == completed_events.
  CHECK(s.after_completions.global == 14);
  CHECK(s.after_completions.cpu0 == 0);
  CHECK(s.after_completions.completed == 240);
  // Reaping gives nothing back either (3.17 moved it out of aio_read_events_ring).
  CHECK(s.after_reap.global == 14);
  CHECK(s.after_reap.cpu0 == 0);
  CHECK(s.after_reap.completed == 240);

  // get_reqs_available fails (pool 0, global 14 < 15); user_refill takes
  // completion_lock once: 240 completed, 0 in the ring -> put 240 on CPU 0:
  // the pool keeps 240 - 15 * 15 = 15 (< 2 * 15), the global gets 225 ->
  // 239; the second get takes one from the pool -> 14.
  CHECK(s.first_extra == 1);
  CHECK(s.after_first_extra_locks.completion_lock - s.before_first_extra.completion_lock == 1);
  CHECK(s.after_first_extra_locks.ctx_lock - s.before_first_extra.ctx_lock == 0);
  CHECK(s.after_first_extra.completed == 0);
  CHECK(s.after_first_extra.global == 239);
  CHECK(s.after_first_extra.cpu0 == 14);

  // The pool has slots again: the next submit takes no lock.
  CHECK(s.second_extra == 1);
  CHECK(s.after_second_extra_locks.completion_lock - s.before_second_extra.completion_lock == 0);
  CHECK(s.after_second_extra_locks.ctx_lock - s.before_second_extra.ctx_lock == 0);
  CHECK(r.ledger.in_flight() == 0);
}
