// SPDX-License-Identifier: GPL-2.0-only
// Every design of the registry, without naming one: a new design file is
// covered here as soon as its registry line exists.
//
//  - Its lock counts on a scripted workload equal the path arithmetic its
//    design file states (DesignInfo::path_locks, counted from the kernel
//    text), summed by hand over the script's paths below.
//  - A small timed workload (block and gadgetfs requests, io_cancel of some
//    USB ones, a reaper) runs to its end with one result per request.
#include <catch2/catch.hpp>

#include <string>

#include "models/designs/registry.hpp"
#include "programs/aio/schema.hpp"
#include "programs/aio/simulation.hpp"
#include "tests/support/rig.hpp"

using namespace aiotest;

namespace {

struct Counts {
  long ctx_lock = 0, completion_lock = 0;
};

Counts sample(const Rig& r) {
  return {static_cast<long>(r.ctx.ctx_lock.stats().acquisitions),
          static_cast<long>(r.ctx.completion_lock.stats().acquisitions)};
}

struct Script {
  Counts after[4];  // after io_submit, the block completions, the USB completion, io_getevents
  long submitted = 0, got = 0;
  std::vector<models::io_event> events = std::vector<models::io_event>(8);
};

// On CPU 0: io_submit(3 block + 1 gadgetfs iocbs); the block requests
// complete (50 us each, IRQ on CPU 1); the UDC finishes the USB transfer
// (IRQ on CPU 1); io_getevents(min_nr 4) finds all four in the ring. A
// design whose requests are not aio_kiocbs (io_uring) runs the three block
// requests only, and its cancellable paths count nothing.
sim::Task<void> script(Rig& r, std::vector<UserIocb> iocbs, Script& s) {
  s.submitted = co_await r.aio->do_io_submit(r.ctx, iocbs);
  s.after[0] = sample(r);
  co_await sim::sleep_for(200 * us);
  s.after[1] = sample(r);
  r.usb.hardware_done();
  co_await sim::sleep_for(200 * us);
  s.after[2] = sample(r);
  const long n = static_cast<long>(iocbs.size());
  s.got = co_await r.aio->sys_io_getevents(r.ctx, n, 8, s.events.data());
  s.after[3] = sample(r);
}

}  // namespace

TEST_CASE("every design: lock acquisitions per path as its design file states", "[models][locks][designs]") {
  for (const models::DesignInfo& d : models::designs()) {
    INFO(d.name);
    Rig r(d.make());
    const std::vector<UserIocb> iocbs = r.iocbs(d.aio_kiocbs ? "bbbu" : "bbb");
    const long n = static_cast<long>(iocbs.size());
    Script s;
    r.task(kUserCpu).start(script(r, iocbs, s), 0);
    r.timed->run();

    // One result per request, all reaped, nothing left.
    CHECK(s.submitted == n);
    REQUIRE(s.got == n);
    for (long i = 0; i < s.got; ++i) r.ledger.reaped(s.events[static_cast<std::size_t>(i)].data);
    CHECK(r.ledger.counts().results == static_cast<std::uint64_t>(n));
    CHECK(r.ledger.counts().duplicates == 0);
    CHECK(r.ledger.in_flight() == 0);
    CHECK(r.slab.in_use() == 0);

    // The paths: one io_submit of four iocbs, one of them cancellable; three
    // plain completions; one cancellable completion; one io_getevents.
    const models::PathLocks& p = d.path_locks;
    const long submit_ctx = p.io_submit.ctx_lock + 4 * p.submitted_iocb.ctx_lock + p.cancellable_submit.ctx_lock;
    const long submit_cl =
        p.io_submit.completion_lock + 4 * p.submitted_iocb.completion_lock + p.cancellable_submit.completion_lock;
    CHECK(s.after[0].ctx_lock == submit_ctx);
    CHECK(s.after[0].completion_lock == submit_cl);
    CHECK(s.after[1].ctx_lock == submit_ctx + 3 * p.plain_completion.ctx_lock);
    CHECK(s.after[1].completion_lock == submit_cl + 3 * p.plain_completion.completion_lock);
    CHECK(s.after[2].ctx_lock - s.after[1].ctx_lock == p.cancellable_completion.ctx_lock);
    CHECK(s.after[2].completion_lock - s.after[1].completion_lock == p.cancellable_completion.completion_lock);
    CHECK(s.after[3].ctx_lock - s.after[2].ctx_lock == p.io_getevents.ctx_lock);
    CHECK(s.after[3].completion_lock - s.after[2].completion_lock == p.io_getevents.completion_lock);
  }
}

// The seed's parent and the seed state their counts through
// seed_era_path_locks; these are the numbers of lock_counts_test.cpp,
// counted there line by line from fs/aio.c.
TEST_CASE("seed_era_path_locks: the seed's parent and the seed, counted by hand", "[models][locks][designs]") {
  const models::PathLocks mm_parent = models::seed_era_path_locks({false, false, false, false});
  CHECK(mm_parent.io_submit == models::LockCount{1, 0});
  CHECK(mm_parent.cancellable_submit == models::LockCount{0, 0});
  CHECK(mm_parent.plain_completion == models::LockCount{1, 0});
  CHECK(mm_parent.cancellable_completion == models::LockCount{1, 0});
  const models::PathLocks seed = models::seed_era_path_locks({true, true, true, true});
  CHECK(seed.io_submit == models::LockCount{1, 0});
  CHECK(seed.cancellable_submit == models::LockCount{1, 0});
  CHECK(seed.plain_completion == models::LockCount{0, 1});
  CHECK(seed.cancellable_completion == models::LockCount{1, 1});
}

// 8 CPUs: submitters 0-3, a reaper on 4, block IRQs on 5-6, the UDC's IRQ on
// 7 and the canceller on 6 (not the UDC's CPU: the UDC interrupt landing on
// the canceller is broken-irq-unsafe-cancel's planted deadlock, the
// explorer's to find). gadgetfs' own cancel races (docs/explorer.md) are
// counted, not stopped at. The internal clock: SimGrid allows one
// simulation per process.
TEST_CASE("every design: a small workload runs to its end with one result per request", "[models][designs]") {
  const std::string toml = R"toml(seed = 3
[machine]
preset = "x86-2s-modern"
sockets = 1
cores_per_socket = 8
[workload]
kiocbs = 3000
submitters = "0-3"
reapers = [4]
think = "exp(2us)"
min_nr = 4
nr = 32
usb_fraction = 0.05
[block]
irq_cpus = "5-6"
[usb]
irq_cpu = 7
cancellers = [6]
cancel_fraction = 0.3
[invariants]
kernel_races = "count"
[output]
profile = false
[engine]
clock = "internal"
)toml";
  for (const models::DesignInfo& d : models::designs()) {
    INFO(d.name);
    // A planted bug is on the cancel path (and may hang it: IRQs left off);
    // without cancels it must behave like the design it breaks.
    // So does a design whose io_cancel self-deadlocks on gadgetfs
    // (DesignInfo::gadgetfs_cancel_deadlocks, v3.12 to v4.19: the cancel
    // method runs under ctx_lock; a kernel bug, docs/designs/v4.19.md).
    const bool no_usb_cancels = d.planted_bug || d.gadgetfs_cancel_deadlocks;
    std::vector<std::string> sets = {"kioctx.design=" + d.name};
    if (no_usb_cancels) sets.push_back("usb.cancel_fraction=0");
    // Block requests only, some of them cancelled.
    if (!d.aio_kiocbs) sets.insert(sets.end(), {"workload.usb_fraction=0", "block.cancel_fraction=0.05"});
    const auto cfg = sim::config::Config::from_string(programs::aio::run_schema(), toml, "every_design.toml", sets);
    const programs::aio::RunReport rep = programs::aio::run_simulation(cfg, "test");
    const auto& c = rep.result["correctness"];
    INFO(c.dump());
    CHECK(rep.result["sim"]["kiocbs"].get<std::uint64_t>() >= 3000);
    CHECK(c["duplicates"].get<std::uint64_t>() == 0);
    // A request without a result is one gadgetfs' own race lost (counted as such), never the design's.
    CHECK(c["lost"].get<std::uint64_t>() <= c["kernel_races"]["total"].get<std::uint64_t>());
    CHECK(c["violations"].get<std::uint64_t>() == 0);
    CHECK((rep.result["cancels"]["io_cancel_calls"].get<std::uint64_t>() > 0) == !no_usb_cancels);
  }
}
