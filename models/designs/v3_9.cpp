// SPDX-License-Identifier: GPL-2.0-only
// Linus's v3.9 release (fs/aio.c of Linux v3.9; include/linux/aio.h for the
// structures). It differs from the seed's parent (mm-parent, the base class)
// in more than the cancel test:
//  - every aio_put_req takes ctx_lock (spin_lock_irq) and __aio_put_req
//    works on plain ints: ki_users and reqs_active are `int`s under ctx_lock;
//  - reqs_active drops when the kiocb is freed (really_put_req), not in
//    aio_complete, and a completed kiocb stays on active_reqs until then;
//  - io_submit_one runs the iocb through aio_run_iocb under ctx_lock, which
//    drops it around ki_retry and takes it again afterwards;
//  - sys_io_cancel marks a request cancelled only if it has a cancel method
//    and calls the method itself (there is no kiocb_cancel helper);
//  - the ring is reaped one event at a time under ring_lock, a spinlock;
//  - lookup_ioctx refuses a dead context and takes its reference with
//    atomic_inc_not_zero; io_destroy waits in kill_ctx for reqs_active to
//    reach zero before the last reference frees the context.
// The retry/kick machinery (run_list, kick_iocb, aio_kick_handler on aio_wq)
// is left out: no modelled driver returns -EIOCBRETRY, so its lists stay
// empty (docs/designs/v3.9.md).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "models/designs/registry.hpp"
#include "sim/rcu.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

[[noreturn]] void bug(const std::string& what) {
  throw sim::Violation(sim::ViolationKind::Invariant, what, "");
}

class V3_9 final : public AioDesign {
 public:
  V3_9() : AioDesign("v3.9", Switches{false, false, false, false}) {}

  // struct aio_ring_info's `spinlock_t ring_lock` (include/linux/aio.h,
  // Linux v3.9, line 168) on the line the kioctx layout gives ring_lock, and
  // mm->ioctx_lock, which io_destroy takes (a line of its own: mm_struct).
  void on_attach() override {
    ring_lock_ = std::make_unique<sim::Spinlock>("ring_lock", ctx_->ring_lock.line(), ctx_->ctx_lock.kind(), *machine_);
    mm_line_ = std::make_unique<CacheLine>("mm.ioctx_lock");
    ioctx_lock_ = std::make_unique<sim::Spinlock>("mm->ioctx_lock", *mm_line_, ctx_->ctx_lock.kind(), *machine_);
  }

  // lookup_ioctx() (Linux v3.9, fs/aio.c, lines 590-612):
  //   if (ctx->user_id == ctx_id && !ctx->dead && try_get_ioctx(ctx))
  // try_get_ioctx is atomic_inc_not_zero(&ctx->users) (lines 223-226).
  Task<bool> lookup_ioctx(kioctx& ctx) override {
    KernelFunction fn{"lookup_ioctx"};
    sim::rcu_read_lock(rcu_);
    bool found = sim::rcu_dereference(ctx.hashed, "ioctx_list");
    if (found) found = !co_await READ_ONCE(ctx.dead);
    if (found) found = co_await sim::atomic_rmw(ctx.users, [](int u) { return u ? u + 1 : u; }) != 0;
    sim::rcu_read_unlock(rcu_);
    co_return found;
  }

  // kiocb_batch_refill() (lines 474-519): the mm-parent code with
  // `ctx->reqs_active++` on a plain int under ctx_lock.
  Task<long> kiocb_batch_refill(kioctx& ctx, kiocb_batch& batch) override {
    KernelFunction fn{"kiocb_batch_refill"};
    long to_alloc = std::min(batch.count, KIOCB_BATCH_SIZE);
    long allocated;
    for (allocated = 0; allocated < to_alloc; ++allocated) batch.head.push_front(*co_await __aio_get_req(ctx));
    if (allocated == 0) co_return 0;

    co_await sim::spin_lock_irq(ctx.ctx_lock);
    // avail = aio_ring_avail(&ctx->ring_info, ring) - ctx->reqs_active;
    // unsigned minus int is unsigned; on LP64 it zero-extends into the long,
    // so a "negative" difference admits the whole batch (BUG_ON(avail < 0)
    // cannot fire).
    unsigned head = co_await READ_ONCE(ctx.ring_head);
    unsigned tail = co_await READ_ONCE(ctx.ring_tail);
    unsigned nr = co_await READ_ONCE(ctx.nr);
    const int active = static_cast<int>(co_await READ_ONCE(ctx.reqs_active));
    const unsigned difference = (head + nr - 1 - tail) % nr - static_cast<unsigned>(active);
    const long avail = word_bits() == 64 ? static_cast<long>(difference)
                                         : static_cast<long>(static_cast<std::int32_t>(difference));
    if (avail < 0)
      bug(fmt::format("kernel BUG in kiocb_batch_refill: BUG_ON(avail < 0), avail {} (32-bit long; reqs_active {})", avail,
                      active));
    if (avail < allocated) {
      while (!batch.head.empty()) {
        kiocb& req = batch.head.front();
        batch.head.pop_front();
        slab_->free(req);
        if (--allocated <= avail) break;
      }
    }
    batch.count -= allocated;
    for (kiocb& req : batch.head) {
      co_await list_add(req, ctx);
      co_await WRITE_ONCE(ctx.reqs_active, co_await READ_ONCE(ctx.reqs_active) + 1);
    }
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
    co_return allocated;
  }

  // kiocb_batch_free() (lines 451-468).
  Task<void> kiocb_batch_free(kioctx& ctx, kiocb_batch& batch) override {
    KernelFunction fn{"kiocb_batch_free"};
    if (batch.head.empty()) co_return;
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    while (!batch.head.empty()) {
      kiocb& req = batch.head.front();
      batch.head.pop_front();
      co_await list_del(req, ctx, false);
      slab_->free(req);
      co_await WRITE_ONCE(ctx.reqs_active, co_await READ_ONCE(ctx.reqs_active) - 1);
    }
    if (!co_await READ_ONCE(ctx.reqs_active) && co_await READ_ONCE(ctx.dead)) co_await sim::wake_up(ctx.wait);
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
  }

  // aio_put_req() (lines 579-587): every put under ctx_lock.
  Task<void> aio_put_req(kiocb& req) override {
    KernelFunction fn{"aio_put_req"};
    if (!req.allocated) bug(fmt::format("use after free: aio_put_req on freed kiocb slot {}", req.slot));
    kioctx& ctx = *req.ki_ctx;
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    co_await __aio_put_req(ctx, req);
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
  }

  // io_submit_one() (lines 1509-1610) with aio_run_iocb() (lines 659-752)
  // inlined: ctx_lock around the dead test and the run, dropped around
  // ki_retry (the driver's aio_write) and taken again at `out:`.
  Task<long> io_submit_one(kioctx& ctx, const UserIocb& iocb, kiocb_batch& batch) override {
    KernelFunction fn{"io_submit_one"};
    co_await sim::atomic_inc(iocb.filp->f_count);  // fget()
    kiocb* req = co_await aio_get_req(ctx, batch);  // returns with 2 references to req
    if (!req) {
      co_await sim::atomic_dec(iocb.filp->f_count);  // fput()
      co_return -EAGAIN;
    }
    req->ki_filp = iocb.filp;
    req->ki_eventfd = nullptr;
    if (iocb.resfd) {
      co_await eventfd_ctx_get(*iocb.resfd);
      req->ki_eventfd = iocb.resfd;
    }
    sim::cpu_work(costs_.copy_iocb);  // put_user(ki_key), aio_setup_iocb
    co_await WRITE_ONCE(req->ki_obj_user, iocb.id);
    req->ki_user_data = iocb.id;

    long ret = 0;
    if (iocb.bad_buffer) {
      ret = -EFAULT;  // aio_setup_iocb: access_ok() fails
    } else {
      co_await sim::spin_lock_irq(ctx.ctx_lock);
      if (co_await READ_ONCE(ctx.dead)) {
        co_await sim::spin_unlock_irq(ctx.ctx_lock);
        ret = -EINVAL;
      } else {
        co_await aio_run_iocb(ctx, *req);
        // if (!list_empty(&ctx->run_list)) drain it: always empty here.
        co_await sim::spin_unlock_irq(ctx.ctx_lock);
        co_await aio_put_req(*req);  // drop extra ref to req
        co_return 0;
      }
    }
    // out_put_req: the last put list_dels the kiocb and drops reqs_active.
    co_await aio_put_req(*req);  // drop extra ref to req
    co_await aio_put_req(*req);  // drop i/o ref to req
    co_return ret;
  }

  // aio_complete() (lines 894-993): ctx_lock irqsave around everything,
  // the last reference dropped inside it by __aio_put_req.
  Task<void> aio_complete(kiocb& iocb, long res, long res2) override {
    KernelFunction fn{"aio_complete"};
    if (!iocb.allocated) bug(fmt::format("use after free: aio_complete on freed kiocb slot {}", iocb.slot));
    kioctx& ctx = *iocb.ki_ctx;
    const std::uint64_t id = iocb.ki_user_data;
    auto flags = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
    // The ki_run_list unlink (line 929) finds it off the run list.
    if (co_await sim::test_bit(KIF_CANCELLED, iocb.ki_flags)) {
      ledger_->event_suppressed(id, "aio_complete (cancelled: no event)");
    } else {
      unsigned tail = co_await READ_ONCE(ctx.tail);
      unsigned nr = co_await READ_ONCE(ctx.nr);
      const unsigned slot = tail;
      if (++tail >= nr) tail = 0;
      co_await READ_ONCE(ctx.ring_pages);  // aio_ring_event(info, tail): kmap of its page
      co_await WRITE_ONCE(ctx.slots[slot], io_event{id, co_await READ_ONCE(iocb.ki_obj_user), res, res2});
      if (const std::uint64_t old = std::exchange(ctx.unread[slot], id)) ledger_->ring_event_overwritten(old);
      // smp_wmb(); info->tail = tail; ring->tail = tail;
      co_await WRITE_ONCE(ctx.tail, tail);
      ledger_->ring_event(id, "aio_complete (event under ctx_lock)");
      if (tail == ctx.ring_head.raw()) ledger_->ring_overflow(id, nr);
      co_await WRITE_ONCE(ctx.ring_tail, tail);
      if (iocb.ki_eventfd) co_await eventfd_signal(*iocb.ki_eventfd, 1);
    }
    // put_rq: ret = __aio_put_req(ctx, iocb); the kiocb may be gone after it.
    co_await __aio_put_req(ctx, iocb);
    // smp_mb(); then the unlocked test of the wait list, still under ctx_lock.
    if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
    co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, flags);
  }

  // sys_io_cancel() (lines 1716-1764): no kiocb_cancel helper; the request
  // is marked only if it has a cancel method, which runs without ctx_lock.
  Task<long> sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result) override {
    KernelFunction fn{"io_cancel"};
    sim::cpu_work(costs_.syscall);
    if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
    ledger_->cancel_started(iocb);
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    kiocb* k = co_await lookup_kiocb(ctx, iocb);
    kiocb_cancel_fn cancel = nullptr;
    if (k) cancel = co_await READ_ONCE(k->ki_cancel);  // if (kiocb && kiocb->ki_cancel)
    if (cancel) {
      co_await WRITE_ONCE(k->ki_users, co_await READ_ONCE(k->ki_users) + 1);
      co_await sim::set_bit(KIF_CANCELLED, k->ki_flags);  // kiocbSetCancelled()
    }
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
    long ret = -EINVAL;
    if (cancel) {
      result = io_event{};
      result.obj = co_await READ_ONCE(k->ki_obj_user);
      result.data = k->ki_user_data;
      ret = co_await cancel(*k, result);
      if (ret == 0) sim::cpu_work(costs_.copy_event);  // copy_to_user(result, &tmp)
    }
    ledger_->cancel_returned(iocb, ret);
    co_await put_ioctx(ctx);
    co_return ret;
  }

  // aio_read_evt() (lines 1002-1036), once per event as read_events()
  // calls it (lines 1094-1113): the empty test outside ring_lock, one event
  // per lock round trip.
  Task<long> aio_read_events_ring(kioctx& ctx, io_event* event, long nr) override {
    long ret = 0;
    while (ret < nr && co_await aio_read_evt(ctx, event[ret])) {
      sim::cpu_work(costs_.copy_event);  // copy_to_user(event, &ent)
      ++ret;
    }
    co_return ret;
  }

  // sys_io_destroy() (lines 1269-1279: io_destroy, then put_ioctx).
  Task<long> sys_io_destroy(kioctx& ctx) override {
    KernelFunction fn{"io_destroy"};
    sim::cpu_work(costs_.syscall);
    if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
    co_await io_destroy(ctx);
    co_await put_ioctx(ctx);
    co_return 0;
  }

  // __put_ioctx() (lines 204-221), run by the last put_ioctx:
  // BUG_ON(ctx->reqs_active), free the ring, call_rcu the kioctx.
  Task<void> free_ioctx(kioctx& ctx) override {
    KernelFunction fn{"__put_ioctx"};
    if (const long active = co_await READ_ONCE(ctx.reqs_active))
      bug(fmt::format("kernel BUG in __put_ioctx: BUG_ON(ctx->reqs_active), reqs_active {}", active));
    ctx.freed = true;
    ledger_->teardown_complete();
  }

 private:
  // __aio_put_req() (lines 554-573) and really_put_req() (lines 534-549).
  Task<void> __aio_put_req(kioctx& ctx, kiocb& req) {
    KernelFunction fn{"__aio_put_req"};
    sim::assert_spin_locked(ctx.ctx_lock);
    const int users = co_await READ_ONCE(req.ki_users) - 1;
    co_await WRITE_ONCE(req.ki_users, users);
    if (users < 0) bug(fmt::format("kernel BUG in __aio_put_req: BUG_ON(req->ki_users < 0), kiocb slot {}", req.slot));
    if (users) co_return;
    co_await list_del(req, ctx, false);  // remove from active_reqs
    co_await WRITE_ONCE(req.ki_cancel, nullptr);
    if (req.ki_filp) co_await sim::atomic_dec(req.ki_filp->f_count);  // fput
    req.ki_filp = nullptr;
    // really_put_req():
    if (req.ki_eventfd) co_await eventfd_ctx_put(*req.ki_eventfd);
    slab_->free(req);
    const long active = co_await READ_ONCE(ctx.reqs_active) - 1;
    co_await WRITE_ONCE(ctx.reqs_active, active);
    if (!active && co_await READ_ONCE(ctx.dead)) co_await sim::wake_up(ctx.wait);  // wake_up_all
  }

  // aio_run_iocb() (lines 659-752) for a ki_retry that never returns
  // -EIOCBRETRY: called and returns with ctx_lock held.
  Task<void> aio_run_iocb(kioctx& ctx, kiocb& iocb) {
    KernelFunction fn{"aio_run_iocb"};
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
    long ret;
    if (co_await sim::test_bit(KIF_CANCELLED, iocb.ki_flags)) {
      ret = -EINTR;  // quit retrying if the i/o has been cancelled
      co_await aio_complete(iocb, ret, 0);
    } else {
      ret = co_await iocb.ki_filp->aio_write(iocb);  // retry(iocb)
      if (ret != -EIOCBQUEUED) co_await aio_complete(iocb, ret, 0);
    }
    co_await sim::spin_lock_irq(ctx.ctx_lock);  // out:
  }

  // aio_read_evt(): 1 if it copied an event into `ent`.
  Task<bool> aio_read_evt(kioctx& ctx, io_event& ent) {
    KernelFunction fn{"aio_read_evt"};
    co_await READ_ONCE(ctx.ring_pages);  // ring = kmap_atomic(info->ring_pages[0])
    if (co_await READ_ONCE(ctx.ring_head) == co_await READ_ONCE(ctx.ring_tail)) co_return false;
    co_await sim::spin_lock(*ring_lock_);
    const unsigned nr = co_await READ_ONCE(ctx.nr);
    unsigned head = co_await READ_ONCE(ctx.ring_head) % nr;
    bool got = false;
    if (head != co_await READ_ONCE(ctx.ring_tail)) {
      ent = co_await READ_ONCE(ctx.slots[head]);
      ctx.unread[head] = 0;
      head = (head + 1) % nr;
      // smp_mb(): finish reading the event before updating the head.
      co_await WRITE_ONCE(ctx.ring_head, head);
      got = true;
    }
    co_await sim::spin_unlock(*ring_lock_);
    co_return got;
  }

  // io_destroy() (lines 1194-1218).
  Task<void> io_destroy(kioctx& ctx) {
    KernelFunction fn{"io_destroy"};
    co_await sim::spin_lock(*ioctx_lock_);
    const int was_dead = co_await READ_ONCE(ctx.dead);
    co_await WRITE_ONCE(ctx.dead, 1);
    sim::rcu_assign_pointer(ctx.hashed, false, "ioctx_list");  // hlist_del_rcu(&ioctx->list)
    co_await sim::spin_unlock(*ioctx_lock_);
    if (!was_dead) co_await put_ioctx(ctx);  // twice for the list
    co_await kill_ctx(ctx);
    co_await sim::wake_up(ctx.wait);  // wake_up_all(&ioctx->wait)
  }

  // kill_ctx() (lines 308-347): mark every listed kiocb cancelled (with or
  // without a method), run the methods with ctx_lock dropped, then sleep
  // until reqs_active is zero.
  Task<void> kill_ctx(kioctx& ctx) {
    KernelFunction fn{"kill_ctx"};
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    co_await WRITE_ONCE(ctx.dead, 1);
    while (co_await READ_ONCE(ctx.active_reqs_head) != 0 && !ctx.active_reqs.empty()) {
      kiocb& iocb = ctx.active_reqs.front();
      co_await list_del(iocb, ctx, true);  // list_del_init
      ledger_->teardown_cancel(iocb.ki_user_data);
      kiocb_cancel_fn cancel = co_await READ_ONCE(iocb.ki_cancel);
      co_await sim::set_bit(KIF_CANCELLED, iocb.ki_flags);
      if (cancel) {
        co_await WRITE_ONCE(iocb.ki_users, co_await READ_ONCE(iocb.ki_users) + 1);
        co_await sim::spin_unlock_irq(ctx.ctx_lock);
        io_event res;
        co_await cancel(iocb, res);
        co_await sim::spin_lock_irq(ctx.ctx_lock);
      }
    }
    if (co_await READ_ONCE(ctx.reqs_active)) {
      // add_wait_queue; set_task_state(TASK_UNINTERRUPTIBLE); then sleep
      // with ctx_lock dropped until reqs_active reads zero under it.
      for (;;) {
        co_await sim::prepare_to_wait(ctx.wait);
        if (!co_await READ_ONCE(ctx.reqs_active)) break;
        co_await sim::spin_unlock_irq(ctx.ctx_lock);
        co_await sim::schedule();  // io_schedule()
        co_await sim::spin_lock_irq(ctx.ctx_lock);
      }
      co_await sim::finish_wait(ctx.wait);
    }
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
  }

  std::unique_ptr<sim::Spinlock> ring_lock_;
  std::unique_ptr<CacheLine> mm_line_;
  std::unique_ptr<sim::Spinlock> ioctx_lock_;
};

}  // namespace

DesignInfo linux_v3_9() {
  return {
      .name = "v3.9",
      .tag = "Linux 3.9",
      .description = "Linus's v3.9: every aio_put_req under ctx_lock, reqs_active dropped when the kiocb is freed, "
                     "io_cancel marks only kiocbs with a cancel method, ring_lock a spinlock held per event",
      .planted_bug = false,
      .make = [] { return std::make_unique<V3_9>(); },
      .era_lock = sim::LockKind::Ticket,
      // Counted from fs/aio.c of v3.9 (each a spin_lock*(&ctx->ctx_lock)):
      //  - io_submit: kiocb_batch_refill once per call (line 493); per iocb
      //    io_submit_one's lock (1577), aio_run_iocb's re-lock after
      //    ki_retry (725) and aio_put_req's (583) for the extra reference.
      //    kiocb_batch_free returns before locking when the batch is used up.
      //  - gadgetfs' ep_aio_rwtail stores ki_cancel without a lock: nothing more.
      //  - aio_complete: one spin_lock_irqsave around everything, the last
      //    reference dropped inside it (__aio_put_req, no lock of its own).
      //  - io_getevents: lookup_ioctx is RCU; aio_read_evt takes ring_lock
      //    (a spinlock, neither of these two) per event.
      .path_locks = {.io_submit = {1, 0},
                     .submitted_iocb = {3, 0},
                     .cancellable_submit = {0, 0},
                     .plain_completion = {1, 0},
                     .cancellable_completion = {1, 0},
                     .io_getevents = {0, 0}},
      // Derived from the v3.9 text (docs/designs/v3.9.md has the reasons):
      // io_cancel marks only kiocbs with a cancel method, so neither a block
      // request nor a recycled kiocb (ki_cancel = NULL from __aio_get_req) is
      // lost; gadgetfs' own races remain; reqs_active dropped only at the
      // free overcommits the ring when a request completes before
      // io_submit_one's aio_put_req.
      .explore = {{"async-cancel-irq", {}},
                  {"io_uring-cancel-vs-complete", {}},  // io_cancel marks only a kiocb with a cancel method: the block request's event comes
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"usb-cancel-under-ctx-lock", {}},  // io_cancel drops ctx_lock before calling ki_cancel: the give-back takes it freely
                  {"block-cancel-irq", {}},
                  {"cancel-complete-destroy-reap", {}},
                  {"complete-before-put-full-ring", {"invariant: ring overcommitted"}},
                  {"recycle", {}},
                  {"submit-vs-cancel", {}},
                  {"two-kiocbs", {}},
                  {"two-submitters-full-ring", {}},  // the IRQ frees a set-up request inside ctx_lock
                  {"usb-cancel-destroy", gadgetfs_races()},
                  {"usb-cancel-irq", gadgetfs_races()}},
  };
}

}  // namespace models
