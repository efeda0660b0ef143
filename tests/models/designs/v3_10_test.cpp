// SPDX-License-Identifier: GPL-2.0-only
// v3.10's admission limit: reqs_active counts a request from aio_get_req
// until io_getevents REAPS its event (Linux v3.10, fs/aio.c):
//
//   aio_get_req (511-532):
//     if (atomic_read(&ctx->reqs_active) >= ctx->nr_events) return NULL;
//     if (atomic_inc_return(&ctx->reqs_active) > ctx->nr_events - 1) goto out_put;
//   aio_complete (576-692): atomic_dec(&ctx->reqs_active) only for a
//     cancelled request (619);
//   aio_read_events_ring (699-762): atomic_sub(ret, &ctx->reqs_active) (757).
//
// The rig's io_setup(128): aio_setup_ring (148-166) asks for 128 + 2 = 130
// events, 32 + 130 * 32 = 4192 bytes -> 2 pages -> nr_events =
// (8192 - 32) / 32 = 255, so at most 254 requests may be outstanding
// (in flight or completed and not yet reaped).
//
// Script, worked out from those lines:
//  1. io_submit(255 block iocbs): the first 254 are admitted (reqs_active
//     1..254); the 255th's atomic_inc_return gives 255 > 254, it is put back
//     and io_submit_one returns -EAGAIN, so io_submit returns 254.
//  2. All 254 complete (50 us each): 254 events in the ring, reqs_active
//     still 254 (a normal completion does not touch it).
//  3. io_submit(1): atomic_read gives 254 < 255, atomic_inc_return 255 > 254:
//     -EAGAIN, although nothing is in flight.
//  4. io_getevents(1, 10) reaps 10 events: reqs_active 244.
//  5. io_submit(11): 10 admitted (245..254), the 11th -EAGAIN: returns 10.
//  6. Those 10 complete: ring head 10, tail (254 + 10) % 255 = 9; never an
//     overflow or an overwritten event.
#include <catch2/catch.hpp>

#include <vector>

#include "programs/aio/schema.hpp"
#include "sim/config.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Outcome {
  long first_submit = -1;
  long active_after_completion = -1;
  long idle_submit = 0;
  long reaped = -1;
  long active_after_reap = -1;
  long second_submit = -1;
  long active_at_end = -1;
};

sim::Task<void> script(Rig& r, std::vector<UserIocb> first, std::vector<UserIocb> one, std::vector<UserIocb> eleven,
                       Outcome& o) {
  o.first_submit = co_await r.aio->do_io_submit(r.ctx, first);
  co_await sim::sleep_for(20'000 * us);  // every block request done
  o.active_after_completion = r.ctx.reqs_active.raw();
  o.idle_submit = co_await r.aio->do_io_submit(r.ctx, one);
  std::vector<models::io_event> events(10);
  o.reaped = co_await r.aio->sys_io_getevents(r.ctx, 1, 10, events.data());
  for (long i = 0; i < o.reaped; ++i) r.ledger.reaped(events[static_cast<std::size_t>(i)].data);
  o.active_after_reap = r.ctx.reqs_active.raw();
  o.second_submit = co_await r.aio->do_io_submit(r.ctx, eleven);
  co_await sim::sleep_for(20'000 * us);
  o.active_at_end = r.ctx.reqs_active.raw();
}

}  // namespace

TEST_CASE("v3.10: reqs_active holds a slot until the event is reaped", "[models][designs][v3.10]") {
  Rig r(registry_design("v3.10"));
  REQUIRE(r.ctx.nr.raw() == 255);  // aio_setup_ring of io_setup(128), worked out above
  const std::vector<UserIocb> first = r.iocbs(std::string(255, 'b'));
  const std::vector<UserIocb> one = r.iocbs("b");
  const std::vector<UserIocb> eleven = r.iocbs(std::string(11, 'b'));
  Outcome o;
  r.task(kUserCpu).start(script(r, first, one, eleven, o), 0);
  r.timed->run();

  CHECK(o.first_submit == 254);
  CHECK(o.active_after_completion == 254);
  CHECK(o.idle_submit == -EAGAIN);
  CHECK(o.reaped == 10);
  CHECK(o.active_after_reap == 244);
  CHECK(o.second_submit == 10);
  CHECK(o.active_at_end == 254);
  CHECK(r.ctx.ring_head.raw() == 10);
  CHECK(r.ctx.ring_tail.raw() == 9);
  CHECK(r.ledger.counts().ring_overflows == 0);
  CHECK(r.ledger.counts().ring_overwritten == 0);
  CHECK(r.ledger.counts().lost == 0);
  // 254 + 10 results delivered into the ring, 10 of them reaped.
  CHECK(r.ledger.counts().ring_events == 264);
  CHECK(r.slab.in_use() == 0);  // every kiocb freed on completion: the count is not a kiocb count
}

// kioctx.layout_preset = "design" (the default) takes the design's own
// grouping: v3.10's struct kioctx (fs/aio.c, lines 62-111) has the four
// ____cacheline_aligned_in_smp groups, the seed's none.
TEST_CASE("v3.10: a run's default kioctx layout is the cacheline-aligned one", "[models][designs][v3.10]") {
  const auto& schema = programs::aio::run_schema();
  auto cfg = [&](const std::string& text) { return sim::config::Config::from_string(schema, text, "test.toml"); };
  CHECK(programs::aio::layout_preset_of(cfg("[kioctx]\ndesign = \"v3.10\"\n")) == "cacheline-aligned");
  CHECK(programs::aio::layout_preset_of(cfg("[kioctx]\ndesign = \"lazy-cancel\"\n")) == "packed");
  CHECK(programs::aio::layout_preset_of(cfg("[kioctx]\ndesign = \"v3.10\"\nlayout_preset = \"packed\"\n")) == "packed");
  // reqs_active alone on its line, as the first aligned group.
  const models::Layout l = models::layout_preset("cacheline-aligned");
  int with_reqs_active = 0;
  std::string reqs_line;
  for (const auto& [f, line] : l)
    if (f == "reqs_active") reqs_line = line;
  for (const auto& [f, line] : l) with_reqs_active += line == reqs_line;
  CHECK(with_reqs_active == 1);
}
