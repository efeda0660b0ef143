// SPDX-License-Identifier: GPL-2.0-only
// Each of the seed's four switches changes exactly what it claims, toggled
// alone from both ends ("mm-parent" = all off, "lazy-cancel" = all on). The
// expectations come from the pre/post kernel code (kernel-notes.md 1.2,
// 2.2, 5.1, 5.6, 5.7):
//  lazy_list:       which kiocbs are on active_reqs (pre: all, listed by
//                   kiocb_batch_refill; post: only those that called
//                   kiocb_set_cancel_fn), hence where ctx_lock is taken;
//  completion_lock: the lock held while aio_complete writes the ring;
//  cancel_xchg:     the cancelled mark (pre: KIF_CANCELLED in ki_flags;
//                   post: ki_cancel == KIOCB_CANCELLED via cmpxchg/xchg);
//  zero_alloc:      __aio_get_req zeroes the object, so a recycled kiocb's
//                   ki_list.next is NULL again instead of LIST_POISON1.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/rig.hpp"
#include "sim/observer.hpp"
#include "sim/violation.hpp"

using namespace aiotest;
using models::Switches;

namespace {

constexpr Switches kAllOff{false, false, false, false};
constexpr Switches kAllOn{true, true, true, true};

std::string name(const Switches& s) {
  return "lazy_list=" + std::to_string(s.lazy_list) + " completion_lock=" + std::to_string(s.completion_lock) +
         " cancel_xchg=" + std::to_string(s.cancel_xchg) + " zero_alloc=" + std::to_string(s.zero_alloc);
}

struct Sample {
  std::uint64_t ctx_lock = 0, completion_lock = 0;
  std::vector<std::uint64_t> active;
};

Sample sample(const Rig& r) {
  return {r.ctx.ctx_lock.stats().acquisitions, r.ctx.completion_lock.stats().acquisitions, r.active_ids()};
}

// io_submit the iocbs, sample; sleep 200 us (block requests complete at 50
// us; USB transfers never finish on their own), sample.
sim::Task<void> submit_and_wait(Rig& r, std::vector<UserIocb> iocbs, Sample& submitted, Sample& waited) {
  long n = co_await r.aio->do_io_submit(r.ctx, iocbs);
  REQUIRE(n == static_cast<long>(iocbs.size()));
  submitted = sample(r);
  co_await sim::sleep_for(200 * us);
  waited = sample(r);
}

// ------------------------------------------------------------------ lazy_list

struct LazyListCase {
  Switches sw;
  std::uint64_t ctx_at_submit;      // ctx_lock acquisitions during io_submit
  std::uint64_t ctx_in_completions;  // ... during the two block completions
  bool blocks_listed;
};

void check_lazy_list(const LazyListCase& k) {
  INFO(name(k.sw));
  Rig r(switches_design(k.sw));
  const std::vector<UserIocb> io = r.iocbs("bbu");
  Sample s1, s2;
  r.task(kUserCpu).start(submit_and_wait(r, io, s1, s2), 0);
  r.timed->run();

  const std::vector<std::uint64_t> all = ids_of(io), usb_only = {io[2].id};
  CHECK(s1.active == (k.blocks_listed ? all : usb_only));
  CHECK(s2.active == usb_only);  // completed block kiocbs are unlinked, the queued USB one stays
  CHECK(s1.ctx_lock == k.ctx_at_submit);
  CHECK(s2.ctx_lock - s1.ctx_lock == k.ctx_in_completions);
  // Not lazy_list's business: one completion_lock per ring event iff that switch is on.
  CHECK(s2.completion_lock == (k.sw.completion_lock ? 2u : 0u));
  CHECK(r.ledger.counts().ring_events == 2);
}

}  // namespace

TEST_CASE("ablation lazy_list: which kiocbs are on active_reqs, and the ctx_lock count", "[models][ablation]") {
  // From mm-parent. Off: refill lists all 3 under its one ctx_lock; each block
  // completion takes ctx_lock for the whole of aio_complete (+2).
  // On: refill only adds to reqs_active (1) and kiocb_set_cancel_fn lists
  // the USB kiocb under ctx_lock (+1 = 2); with completion_lock still off
  // aio_complete still runs under ctx_lock (+2).
  check_lazy_list({kAllOff, 1, 2, true});
  check_lazy_list({Switches{true, false, false, false}, 2, 2, false});
  // From lazy-cancel. On: 2 at submit as above; block kiocbs have
  // ki_list.next == NULL, so their aio_complete never takes ctx_lock (+0).
  // Off: refill lists them (1 at submit; ep_aio_rwtail stores ki_cancel
  // without ctx_lock); each completion takes ctx_lock around its list_del (+2).
  check_lazy_list({kAllOn, 2, 0, false});
  check_lazy_list({Switches{false, true, true, true}, 1, 2, true});
}

// ------------------------------------------------------------ completion_lock

namespace {

// Records, for every write to the ring (an io_event slot, info->tail,
// ring->tail), which kioctx locks the writing context holds.
struct RingWrites final : sim::Observer {
  explicit RingWrites(const models::kioctx& c) : ctx(&c) {}
  struct Write {
    std::string what;
    bool ctx_lock, completion_lock;
  };
  void on_step(const sim::Context& c, const sim::Step& s, Time, Time, std::int64_t, std::int64_t) override {
    if (s.kind != sim::StepKind::Store) return;
    bool ring = s.object == &ctx->tail || s.object == &ctx->ring_tail;
    for (const auto& slot : ctx->slots) ring = ring || s.object == &slot;
    if (ring) writes.push_back({s.what, ctx->ctx_lock.held_by(c), ctx->completion_lock.held_by(c)});
  }
  const models::kioctx* ctx;
  std::vector<Write> writes;
};

void check_completion_lock(const Switches& sw, std::uint64_t ctx_in_completion) {
  INFO(name(sw));
  Rig r(switches_design(sw));
  RingWrites obs(r.ctx);
  r.m.observer = &obs;
  const std::vector<UserIocb> io = r.iocbs("b");
  Sample s1, s2;
  r.task(kUserCpu).start(submit_and_wait(r, io, s1, s2), 0);
  r.timed->run();
  r.m.observer = nullptr;

  REQUIRE(r.ledger.counts().ring_events == 1);
  // aio_complete writes the event slot, info->tail and ring->tail.
  REQUIRE(obs.writes.size() == 3);
  for (const auto& w : obs.writes) {
    INFO(w.what);
    CHECK(w.completion_lock == sw.completion_lock);
    CHECK(w.ctx_lock == !sw.completion_lock);
  }
  CHECK(s2.completion_lock - s1.completion_lock == (sw.completion_lock ? 1u : 0u));
  CHECK(s2.ctx_lock - s1.ctx_lock == ctx_in_completion);
}

}  // namespace

TEST_CASE("ablation completion_lock: which lock protects the ring write", "[models][ablation]") {
  // From mm-parent (the block kiocb is listed). Off: the whole aio_complete under
  // ctx_lock (1). On: ctx_lock only around list_del (still 1), the ring
  // write under completion_lock.
  check_completion_lock(kAllOff, 1);
  check_completion_lock(Switches{false, true, false, false}, 1);
  // From lazy-cancel (the block kiocb is not listed). On: no ctx_lock at
  // all (0). Off: the mm-parent big ctx_lock around everything (1).
  check_completion_lock(kAllOn, 0);
  check_completion_lock(Switches{true, false, true, true}, 1);
}

// ---------------------------------------------------------------- cancel_xchg

namespace {

constexpr unsigned long kCancelledBit = 1ul << models::KIF_CANCELLED;

sim::Task<void> submit_then_cancel(Rig& r, std::vector<UserIocb> iocbs, models::kiocb*& k, long& cancel_ret,
                                   Time wait_after) {
  long n = co_await r.aio->do_io_submit(r.ctx, iocbs);
  REQUIRE(n == 1);
  REQUIRE(r.ctx.active_reqs.size() == 1);
  k = &r.ctx.active_reqs.front();
  models::io_event res;
  cancel_ret = co_await r.aio->sys_io_cancel(r.ctx, iocbs[0].id, res);
  co_await sim::sleep_for(wait_after);
}

// A successful io_cancel of a USB request: how the kiocb is marked.
void check_cancel_mark(const Switches& sw) {
  INFO(name(sw));
  Rig r(switches_design(sw));
  models::kiocb* k = nullptr;
  long ret = 12345;
  r.task(kUserCpu).start(submit_then_cancel(r, r.iocbs("u"), k, ret, 0), 0);
  r.timed->run();

  CHECK(ret == 0);
  CHECK(r.ledger.counts().cancel_results == 1);
  CHECK(r.ledger.counts().ring_events == 0);
  REQUIRE(k != nullptr);
  CHECK_FALSE(k->allocated);  // freed by ep_aio_cancel's aio_put_req; the slab keeps its contents
  if (sw.cancel_xchg) {
    // kiocb_cancel: cmpxchg(ki_cancel, ep_aio_cancel, KIOCB_CANCELLED); no flag bit anywhere.
    CHECK(k->ki_cancel.raw() == models::KIOCB_CANCELLED);
    CHECK((k->ki_flags.raw() & kCancelledBit) == 0);
  } else {
    // kiocb_cancel / ep_aio_cancel: set_bit(KIF_CANCELLED); ki_cancel keeps the method.
    CHECK(k->ki_cancel.raw() == &models::UsbGadget::ep_aio_cancel);
    CHECK((k->ki_flags.raw() & kCancelledBit) != 0);
  }
}

// io_cancel of a listed kiocb WITHOUT a cancel method (a block request with
// lazy_list off): io_cancel returns -EINVAL either way. Pre-patch
// kiocb_cancel sets KIF_CANCELLED before looking at ki_cancel, so the later
// aio_complete suppresses the event and the request is lost. Post-patch the
// cmpxchg is not attempted for ki_cancel == NULL, and aio_complete's xchg
// (NULL -> KIOCB_CANCELLED) wins: a ring event.
void check_cancel_without_method(const Switches& sw) {
  INFO(name(sw));
  REQUIRE_FALSE(sw.lazy_list);
  Rig r(switches_design(sw), DriverKind::Timed, models::LostPolicy::Count);
  models::kiocb* k = nullptr;
  long ret = 12345;
  r.task(kUserCpu).start(submit_then_cancel(r, r.iocbs("b"), k, ret, 200 * us), 0);
  r.timed->run();

  CHECK(ret == -EINVAL);
  CHECK(r.blk.completions() == 1);
  const auto& c = r.ledger.counts();
  if (sw.cancel_xchg) {
    CHECK(c.ring_events == 1);
    CHECK(c.lost == 0);
    CHECK(k->ki_cancel.raw() == models::KIOCB_CANCELLED);
    CHECK((k->ki_flags.raw() & kCancelledBit) == 0);
  } else {
    CHECK(c.ring_events == 0);
    CHECK(c.lost == 1);
    CHECK(k->ki_cancel.raw() == nullptr);
    CHECK((k->ki_flags.raw() & kCancelledBit) != 0);
  }
}

}  // namespace

TEST_CASE("ablation cancel_xchg: KIOCB_CANCELLED in ki_cancel vs KIF_CANCELLED in ki_flags", "[models][ablation]") {
  check_cancel_mark(kAllOff);
  check_cancel_mark(Switches{false, false, true, false});
  check_cancel_mark(kAllOn);
  check_cancel_mark(Switches{true, true, false, true});

  check_cancel_without_method(kAllOff);
  check_cancel_without_method(Switches{false, false, true, false});
  check_cancel_without_method(Switches{false, true, true, true});
  check_cancel_without_method(Switches{false, true, false, true});
}

// ----------------------------------------------------------------- zero_alloc

namespace {

// Life 1: a USB kiocb, listed in every design, completes (list_del leaves
// ki_list.next == LIST_POISON1) and is freed. Then __aio_get_req allocates
// again: the slab hands back the same object.
sim::Task<void> recycle(Rig& r, std::vector<UserIocb> iocbs, models::kiocb*& first, models::kiocb*& second,
                        models::ListNext& next_after_alloc) {
  long n = co_await r.aio->do_io_submit(r.ctx, iocbs);
  REQUIRE(n == 1);
  first = &r.ctx.active_reqs.front();
  r.usb.hardware_done();
  co_await sim::sleep_for(200 * us);
  REQUIRE_FALSE(first->allocated);
  REQUIRE(first->ki_list_next.raw() == models::ListNext::Poison);
  second = co_await r.aio->__aio_get_req(r.ctx);
  next_after_alloc = second->ki_list_next.raw();
  CHECK(second->ki_cancel.raw() == nullptr);
  CHECK(second->ki_users.raw() == 2);
  CHECK(second->ki_flags.raw() == 0);
  r.slab.free(*second);
}

void check_recycled(const Switches& sw) {
  INFO(name(sw));
  Rig r(switches_design(sw));
  models::kiocb *first = nullptr, *second = nullptr;
  models::ListNext next = models::ListNext::Linked;
  r.task(kUserCpu).start(recycle(r, r.iocbs("u"), first, second, next), 0);
  r.timed->run();
  CHECK(r.ledger.counts().ring_events == 1);
  REQUIRE(first != nullptr);
  CHECK(second == first);
  CHECK(next == (sw.zero_alloc ? models::ListNext::Null : models::ListNext::Poison));
}

// Life 1 as above; life 2: a block iocb gets the recycled object and
// completes 50 us later.
sim::Task<void> usb_then_block(Rig& r, std::vector<UserIocb> usb, std::vector<UserIocb> blk) {
  const long n1 = co_await r.aio->do_io_submit(r.ctx, usb);
  REQUIRE(n1 == 1);
  r.usb.hardware_done();
  co_await sim::sleep_for(200 * us);
  const long n2 = co_await r.aio->do_io_submit(r.ctx, blk);
  REQUIRE(n2 == 1);
  co_await sim::sleep_for(200 * us);
}

// Returns the violation's headline, or "" when the run finished.
std::string run_usb_then_block(const Switches& sw, Rig*& keep, std::unique_ptr<Rig>& owner) {
  owner = std::make_unique<Rig>(switches_design(sw));
  keep = owner.get();
  Rig& r = *owner;
  r.task(kUserCpu).start(usb_then_block(r, r.iocbs("u"), r.iocbs("b")), 0);
  try {
    r.timed->run();
  } catch (const sim::Violation& v) {
    return v.what();
  }
  return "";
}

}  // namespace

TEST_CASE("ablation zero_alloc: a recycled kiocb's ki_list.next is reset to NULL or kept", "[models][ablation]") {
  check_recycled(kAllOff);
  check_recycled(Switches{false, false, false, true});
  check_recycled(kAllOn);
  check_recycled(Switches{true, true, true, false});
}

TEST_CASE("ablation zero_alloc: lazy_list without __GFP_ZERO corrupts active_reqs on reuse", "[models][ablation]") {
  // With lazy_list, aio_complete decides "am I listed?" by ki_list.next !=
  // NULL. Without __GFP_ZERO the block kiocb that reuses the USB kiocb's
  // slot still has LIST_POISON1 there, so its aio_complete calls list_del on
  // an entry that is on no list: CONFIG_DEBUG_LIST's "list_del corruption".
  std::unique_ptr<Rig> owner;
  Rig* r = nullptr;
  const std::string broken = run_usb_then_block(Switches{true, true, true, false}, r, owner);
  CHECK_THAT(broken, Catch::Contains("list_del corruption"));
  CHECK(r->ledger.counts().ring_events == 1);  // the USB event; the block one never came

  // The same script is fine with __GFP_ZERO (the seed) ...
  CHECK(run_usb_then_block(kAllOn, r, owner) == "");
  CHECK(r->ledger.counts().ring_events == 2);
  // ... and without lazy_list (mm-parent: refill lists every kiocb, overwriting
  // the stale pointer), whatever zero_alloc says.
  CHECK(run_usb_then_block(kAllOff, r, owner) == "");
  CHECK(r->ledger.counts().ring_events == 2);
  CHECK(run_usb_then_block(Switches{false, true, true, false}, r, owner) == "");
  CHECK(r->ledger.counts().ring_events == 2);
}
