// SPDX-License-Identifier: GPL-2.0-only
// Linux 3.10's fs/aio.c: the seed's series as released (tag v3.10). What
// changes against the seed (lazy-cancel):
//   - aio_get_req takes no lock: one atomic_inc_return(&ctx->reqs_active)
//     against ctx->nr_events - 1 per request, no kiocb_batch;
//   - reqs_active counts a request from aio_get_req until its event is
//     REAPED (atomic_sub in aio_read_events_ring); aio_complete drops it only
//     for a cancelled request. The ring cannot overflow.
//   - aio_complete runs inside rcu_read_lock(), and the context's memory is
//     freed by call_rcu(free_ioctx_rcu), so the wake-up after the last event
//     never touches a freed kioctx;
//   - kill_ioctx unhashes with hlist_del_rcu and defers the rest through
//     call_rcu(kill_ioctx_rcu) -> schedule_work(kill_ioctx_work); free_ioctx
//     reaps the leftover events itself while it waits.
// The struct kioctx of v3.10 groups its hot fields in ____cacheline_aligned_in_smp
// structs: DesignInfo::layout names that grouping.
//
// Unchanged from the seed, and run from the base class with the seed's
// switches (their text is line for line v3.10's): kiocb_set_cancel_fn (Linux
// v3.10, fs/aio.c, lines 223-236), kiocb_cancel (239-270: the driver's cancel
// method runs with ctx_lock DROPPED, so gadgetfs' synchronous give-back cannot
// self-deadlock as it does from v3.12 on), lookup_kiocb (1221-1238),
// sys_io_cancel (1250-1288), aio_read_events (764-779), read_events
// (781-818), io_getevents (1302-1317), lookup_ioctx (554-571), put_ioctx
// (334-338), aio_put_req (547-551), kiocb_free (534-545), io_submit_one
// (1073-1145: its out_put_req does atomic_dec(&ctx->reqs_active) and two
// aio_put_req, the base's lazy_list path).
#include <algorithm>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "models/designs/registry.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

class V310 final : public AioDesign {
 public:
  // The seed's four hunks are all in v3.10; the base class's seed paths are
  // the ones the overrides below do not replace.
  V310() : AioDesign("v3.10", Switches{true, true, true, true}) {}

  // do_io_submit() (Linux v3.10, fs/aio.c, lines 1147-1198): no kiocb_batch
  // any more; each io_submit_one allocates its own kiocb.
  Task<long> do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) override {
    KernelFunction fn{"io_submit"};
    sim::cpu_work(costs_.syscall);
    if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
    kiocb_batch unused;  // the base's io_submit_one signature; aio_get_req below ignores it
    long i = 0, ret = 0;
    for (; i < static_cast<long>(iocbs.size()); ++i) {
      sim::cpu_work(costs_.copy_iocb);  // copy_from_user(&tmp, user_iocb)
      ret = co_await io_submit_one(ctx, iocbs[i], unused);
      if (ret) break;
    }
    co_await put_ioctx(ctx);
    co_return i ? i : ret;
  }

  // aio_get_req() (Linux v3.10, fs/aio.c, lines 511-532): a slot is taken
  // with no lock at all, by one atomic_inc_return on reqs_active's own cache
  // line, against nr_events - 1 (the ring keeps one slot empty).
  Task<kiocb*> aio_get_req(kioctx& ctx, kiocb_batch& /*no batch in v3.10*/) override {
    KernelFunction fn{"aio_get_req"};
    const long nr_events = co_await READ_ONCE(ctx.nr);
    if (co_await READ_ONCE(ctx.reqs_active) >= nr_events) co_return nullptr;
    // atomic_inc_return(): the awaited value is the old one.
    if (co_await sim::atomic_inc(ctx.reqs_active) + 1 > nr_events - 1) {
      co_await sim::atomic_dec(ctx.reqs_active);  // out_put
      co_return nullptr;
    }
    // kmem_cache_alloc(kiocb_cachep, GFP_KERNEL|__GFP_ZERO);
    // atomic_set(&req->ki_users, 2); req->ki_ctx = ctx; (the base's
    // zero_alloc path does exactly these).
    co_return co_await __aio_get_req(ctx);
  }

  // aio_complete() (Linux v3.10, fs/aio.c, lines 576-692).
  Task<void> aio_complete(kiocb& iocb, long res, long res2) override {
    KernelFunction fn{"aio_complete"};
    if (!iocb.allocated) bug(fmt::format("use after free: aio_complete on freed kiocb slot {}", iocb.slot));
    kioctx& ctx = *iocb.ki_ctx;
    const std::uint64_t id = iocb.ki_user_data;

    // Take rcu_read_lock() in case the kioctx is being destroyed, as we need
    // to issue a wakeup after decrementing reqs_active (l. 599-603).
    sim::rcu_read_lock(rcu_);

    if (co_await READ_ONCE(iocb.ki_list_next) != ListNext::Null) {  // l. 605-611
      auto flags = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
      co_await list_del(iocb, ctx, false);
      co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, flags);
    }

    // Cancelled requests don't get events (l. 613-622): the only place a
    // completion gives back its reqs_active count.
    if (co_await sim::xchg(iocb.ki_cancel, KIOCB_CANCELLED) == KIOCB_CANCELLED) {
      ledger_->event_suppressed(id, "aio_complete (cancelled: no event)");
      co_await sim::atomic_dec(ctx.reqs_active);
    } else {
      // l. 629-664: the event under completion_lock.
      auto flags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
      unsigned tail = co_await READ_ONCE(ctx.tail);
      const unsigned nr = co_await READ_ONCE(ctx.nr);
      const unsigned pos = tail + AIO_EVENTS_OFFSET;
      if (++tail >= nr) tail = 0;
      co_await READ_ONCE(ctx.ring_pages);  // kmap_atomic(ctx->ring_pages[pos / AIO_EVENTS_PER_PAGE])
      const unsigned slot = pos - AIO_EVENTS_OFFSET;
      co_await WRITE_ONCE(ctx.slots[slot], io_event{id, co_await READ_ONCE(iocb.ki_obj_user), res, res2});
      // reqs_active (counted until reaped) keeps this from ever happening;
      // the ledger checks it.
      if (const std::uint64_t old = std::exchange(ctx.unread[slot], id)) ledger_->ring_event_overwritten(old);
      // smp_wmb(); make event visible before updating tail
      co_await WRITE_ONCE(ctx.tail, tail);
      ledger_->ring_event(id, "aio_complete (event under completion_lock)");
      if (tail == ctx.ring_head.raw()) ledger_->ring_overflow(id, nr);
      co_await READ_ONCE(ctx.ring_pages);        // ring = kmap_atomic(ctx->ring_pages[0])
      co_await WRITE_ONCE(ctx.ring_tail, tail);  // ring->tail
      co_await sim::spin_unlock_irqrestore(ctx.completion_lock, flags);
      if (iocb.ki_eventfd) co_await eventfd_signal(*iocb.ki_eventfd, 1);  // l. 673-674
    }

    // put_rq: (l. 676-691)
    co_await aio_put_req(iocb);
    // smp_mb(); then the unlocked test of the wait list.
    if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
    sim::rcu_read_unlock(rcu_);
  }

  // aio_read_events_ring() (Linux v3.10, fs/aio.c, lines 699-762): as the
  // seed's, and then atomic_sub(ret, &ctx->reqs_active) (l. 757) inside
  // ring_lock: the reaped events' slots are free again.
  Task<long> aio_read_events_ring(kioctx& ctx, io_event* event, long nr) override {
    KernelFunction fn{"aio_read_events_ring"};
    co_await sim::mutex_lock(ctx.ring_lock);
    unsigned head = co_await READ_ONCE(ctx.ring_head);
    long ret = 0;
    if (head != co_await READ_ONCE(ctx.tail)) {
      const unsigned ring_nr = co_await READ_ONCE(ctx.nr);
      while (ret < nr) {
        const unsigned tail = co_await READ_ONCE(ctx.tail);
        if (head == tail) break;
        const long avail = co_await copy_ring_run(ctx, head, tail, ring_nr, event + ret, nr - ret);
        ret += avail;
        head = static_cast<unsigned>((head + avail) % ring_nr);
      }
      co_await WRITE_ONCE(ctx.ring_head, head);
      co_await sim::atomic_sub(ret, ctx.reqs_active);
    }
    co_await sim::mutex_unlock(ctx.ring_lock);
    co_return ret;
  }

  // sys_io_destroy() (Linux v3.10, fs/aio.c, lines 869-879) with kill_ioctx's
  // deferred half. The kernel's kill_ioctx ends with call_rcu(kill_ioctx_rcu)
  // (l. 447), which after a grace period queues kill_ioctx_work (l. 413-419)
  // on a kworker: wake_up_all(&ctx->wait), put_ioctx (l. 405-411). The engine
  // has no kworker contexts, and a call_rcu callback must not take steps, so
  // io_destroy's own context plays the kworker after returning its
  // reference: the same order as the kernel's (io_destroy's put_ioctx, a grace
  // period, then the initial reference), on io_destroy's CPU, before it
  // returns to user space instead of after.
  Task<long> sys_io_destroy(kioctx& ctx) override {
    KernelFunction fn{"io_destroy"};
    sim::cpu_work(costs_.syscall);
    if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
    const bool queued = co_await kill_ioctx_v310(ctx);
    co_await put_ioctx(ctx);
    if (queued) co_await kill_ioctx_work(ctx);
    co_return 0;
  }

  // kill_ioctx() as the base class names it (exit_aio's path): both halves in
  // the caller.
  Task<void> kill_ioctx(kioctx& ctx) override {
    if (co_await kill_ioctx_v310(ctx)) co_await kill_ioctx_work(ctx);
  }

  // free_ioctx() (Linux v3.10, fs/aio.c, lines 283-332): runs in whoever
  // drops the last `users` reference. Cancel what is listed (kiocb_cancel
  // drops ctx_lock around each method), then wait until every counted request
  // has either completed as cancelled or put its event in the ring, reaping
  // those events itself (a local head: ring->head is left alone).
  Task<void> free_ioctx(kioctx& ctx) override {
    KernelFunction fn{"free_ioctx"};
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    while (co_await READ_ONCE(ctx.active_reqs_head) != 0 && !ctx.active_reqs.empty()) {
      kiocb& req = ctx.active_reqs.front();
      co_await list_del(req, ctx, true);  // list_del_init
      ledger_->teardown_cancel(req.ki_user_data);
      io_event res;
      co_await kiocb_cancel(ctx, req, res);
    }
    co_await sim::spin_unlock_irq(ctx.ctx_lock);

    co_await READ_ONCE(ctx.ring_pages);  // ring = kmap_atomic(ctx->ring_pages[0])
    unsigned head = co_await READ_ONCE(ctx.ring_head);
    const unsigned nr = co_await READ_ONCE(ctx.nr);
    while (co_await READ_ONCE(ctx.reqs_active) > 0) {
      // wait_event(ctx->wait, head != ctx->tail || atomic_read(&ctx->reqs_active) <= 0);
      if (!(head != co_await READ_ONCE(ctx.tail) || co_await READ_ONCE(ctx.reqs_active) <= 0)) {
        for (;;) {
          co_await sim::prepare_to_wait(ctx.wait);
          if (head != co_await READ_ONCE(ctx.tail) || co_await READ_ONCE(ctx.reqs_active) <= 0) break;
          co_await sim::schedule();
        }
        co_await sim::finish_wait(ctx.wait);
      }
      const unsigned tail = co_await READ_ONCE(ctx.tail);
      const unsigned avail = (head <= tail ? tail : nr) - head;
      co_await sim::atomic_sub(static_cast<long>(avail), ctx.reqs_active);
      for (unsigned k = 0; k < avail; ++k) ctx.unread[(head + k) % nr] = 0;  // gone with the ring
      head = (head + avail) % nr;
    }
    if (ctx.reqs_active.raw() < 0)  // WARN_ON(atomic_read(&ctx->reqs_active) < 0)
      bug(fmt::format("WARN_ON in free_ioctx: reqs_active {} < 0", ctx.reqs_active.raw()));
    // aio_free_ring(ctx); then call_rcu(&ctx->rcu_head, free_ioctx_rcu): an
    // aio_complete still inside its rcu_read_lock() section (after its last
    // counted step, before its wake-up) keeps the memory.
    ledger_->teardown_complete();
    kioctx* c = &ctx;
    sim::call_rcu(rcu_, costs_.synchronize_rcu, [c] { c->freed = true; });  // free_ioctx_rcu
  }

 private:
  [[noreturn]] static void bug(const std::string& what) {
    std::string where;
    if (sim::current_context)
      where = fmt::format("  context {} in {}\n", sim::current_context->name(), sim::current_context->call_chain());
    throw sim::Violation(sim::ViolationKind::Invariant, what, where);
  }

  // kill_ioctx() (Linux v3.10, fs/aio.c, lines 426-449), up to its call_rcu:
  // no mm->ioctx_lock, atomic_xchg(&ctx->dead, 1) decides who unhashes.
  // (aio_nr accounting and vm_munmap are not modelled.) True when it queued
  // kill_ioctx_rcu.
  Task<bool> kill_ioctx_v310(kioctx& ctx) {
    KernelFunction fn{"kill_ioctx"};
    if (co_await sim::xchg(ctx.dead, 1)) co_return false;
    sim::rcu_assign_pointer(ctx.hashed, false, "ioctx_list");  // hlist_del_rcu(&ctx->list)
    co_return true;
  }

  // kill_ioctx_rcu() -> schedule_work() -> kill_ioctx_work() (Linux v3.10,
  // fs/aio.c, lines 405-419): one grace period after hlist_del_rcu, wake
  // every sleeper and drop the initial reference.
  Task<void> kill_ioctx_work(kioctx& ctx) {
    KernelFunction fn{"kill_ioctx_work"};
    co_await sim::synchronize_rcu(rcu_, costs_.synchronize_rcu);
    co_await sim::wake_up(ctx.wait);  // wake_up_all
    co_await put_ioctx(ctx);
  }
};

}  // namespace

DesignInfo v3_10() {
  return {
      .name = "v3.10",
      .tag = "Linux 3.10",
      .description = "lockless aio_get_req (atomic_inc_return on reqs_active, no batch), reqs_active held until "
                     "the event is reaped, ____cacheline_aligned_in_smp kioctx, call_rcu teardown",
      .planted_bug = false,
      .make = [] { return std::make_unique<V310>(); },
      .era_lock = sim::LockKind::Ticket,  // x86 ticket spinlocks until v4.2
      // Counted from Linux v3.10, fs/aio.c:
      .path_locks =
          {
              // aio_get_req (511-532) and io_submit_one (1073-1145) take no
              // kioctx lock: one atomic_inc_return on reqs_active per iocb.
              .io_submit = {0, 0},
              .submitted_iocb = {0, 0},
              // ep_aio_rwtail -> kiocb_set_cancel_fn (223-236): ctx_lock irqsave.
              .cancellable_submit = {1, 0},
              // aio_complete (576-692): ki_list.next is NULL for a kiocb never
              // listed, so no ctx_lock; completion_lock irqsave around the event.
              .plain_completion = {0, 1},
              // A listed kiocb: ctx_lock irqsave for the list_del, then completion_lock.
              .cancellable_completion = {1, 1},
              // io_getevents: lookup_ioctx under RCU, the ring under ring_lock (a mutex).
              .io_getevents = {0, 0},
          },
      .explore = {{"async-cancel-irq", {}},
                  {"complete-before-put-full-ring", {}},  // atomic_inc_return against nr_events - 1 admits exactly what fits; reqs_active holds a slot until its event is reaped
                  {"io_uring-cancel-vs-complete", {}},  // the block kiocb is never listed: io_cancel finds nothing (-EINVAL), the event comes
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"usb-cancel-under-ctx-lock", {}},  // kiocb_cancel drops ctx_lock around ep_aio_cancel (as the seed): the give-back takes it freely
                  {"block-cancel-irq", {}},
                  {"cancel-complete-destroy-reap", {}},
                  {"recycle", {}},
                  {"submit-vs-cancel", {}},
                  {"two-kiocbs", {}},
                  // atomic_inc_return admits exactly one of the two; a
                  // completion moves no count (reqs_active holds it until reaped).
                  {"two-submitters-full-ring", {}},
                  {"usb-cancel-destroy", gadgetfs_races()},
                  {"usb-cancel-irq", gadgetfs_races()}},
      .layout = "cacheline-aligned",
  };
}

}  // namespace models
