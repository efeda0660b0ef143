// SPDX-License-Identifier: GPL-2.0-only
// PLANTED BUG, for the explorer's tests: the seed with the cancel/complete
// decision made by a plain load, test and store of ki_cancel instead of
// xchg()/cmpxchg(). It looks as if both sides could read the old value and
// both think they won, but ctx_lock still serialises the two decisions
// (kiocb_cancel runs under it; aio_complete tests ki_cancel only after its
// ctx_lock-held list_del), so the explorer proves it clean.
// broken_plain_cancel_early.cpp moves the test before the lock: that one
// gives a request two results.
#include "models/designs/plain_cancel.hpp"
#include "models/designs/registry.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {

class PlainCancel final : public PlainCancelDesign {
 public:
  PlainCancel() : PlainCancelDesign("broken-plain-cancel", Switches{true, true, true, true}) {}

  // aio_complete() of the seed, with
  //   if (xchg(&iocb->ki_cancel, KIOCB_CANCELLED) == KIOCB_CANCELLED)
  // split into a load, a test and a store.
  Task<void> aio_complete(kiocb& iocb, long res, long res2) override {
    sim::KernelFunction fn{"aio_complete"};
    kioctx& ctx = *iocb.ki_ctx;
    const std::uint64_t id = iocb.ki_user_data;
    if (co_await sim::READ_ONCE(iocb.ki_list_next) != ListNext::Null) {
      auto f = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
      co_await list_del(iocb, ctx, false);
      co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, f);
    }
    kiocb_cancel_fn seen = co_await sim::READ_ONCE(iocb.ki_cancel);
    if (seen == KIOCB_CANCELLED) {
      ledger_->event_suppressed(id, "aio_complete (cancelled: no event)");
    } else {
      co_await sim::WRITE_ONCE(iocb.ki_cancel, KIOCB_CANCELLED);
      co_await write_ring_event(ctx, id, res, res2, "aio_complete (plain test of ki_cancel, event written)");
    }
    co_await aio_put_req(iocb);
    co_await sim::atomic_dec(ctx.reqs_active);
    if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
  }
};

}  // namespace

DesignInfo broken_plain_cancel() {
  return {
      .name = "broken-plain-cancel",
      .tag = "lazy-cancel (the seed) with a planted bug",
      .description = "lazy-cancel with a plain load/test/store of ki_cancel instead of xchg/cmpxchg (serialised by ctx_lock: clean)",
      .planted_bug = true,
      .make = [] { return std::make_unique<PlainCancel>(); },
      .era_lock = sim::LockKind::Ticket,
      // The seed's lock paths: the planted bug moves no lock.
      .path_locks = seed_era_path_locks(Switches{true, true, true, true}),
      .explore = {{"async-cancel-irq", {}},
                  {"block-cancel-irq", {}},
                  {"io_uring-cancel-vs-complete", {}},
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"cancel-complete-destroy-reap", {}},
                  {"complete-before-put-full-ring", {"invariant: ring overcommitted"}},  // as lazy-cancel
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"recycle", {}},
                  {"submit-vs-cancel", {}},
                  {"two-kiocbs", {}},
                  {"two-submitters-full-ring", {"invariant: ring overcommitted"}},  // as lazy-cancel
                  {"usb-cancel-destroy", gadgetfs_races()},
                  {"usb-cancel-irq", gadgetfs_races()},
                  // kiocb_cancel drops ctx_lock around ep_aio_cancel: the synchronous
                  // giveback's aio_complete finds it free, and the async IRQ on the
                  // canceller's CPU never meets a held ctx_lock.
                  {"usb-cancel-under-ctx-lock", {}}},
  };
}

}  // namespace models
