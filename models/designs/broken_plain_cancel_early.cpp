// SPDX-License-Identifier: GPL-2.0-only
// PLANTED BUG, for the explorer's tests: broken-plain-cancel's plain load,
// test and store of ki_cancel, with aio_complete deciding "cancelled or not"
// BEFORE it takes ctx_lock to unlink the kiocb.
//
// broken-plain-cancel itself never gives a double result (aiosim explore
// proves it on every scenario): aio_complete's test of ki_cancel comes after
// its list_del under ctx_lock, and kiocb_cancel's load..store runs under
// ctx_lock on a kiocb it has just found on active_reqs, so one is always
// entirely before the other. Taking the test out from behind the lock, as
// here, leaves only the atomics to decide: with xchg/cmpxchg the order would
// not matter; with a plain load and store, io_cancel and aio_complete can
// both load the cancel method before either stores KIOCB_CANCELLED, and the
// request gets two results.
#include "models/designs/plain_cancel.hpp"
#include "models/designs/registry.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {

class PlainCancelEarly final : public PlainCancelDesign {
 public:
  PlainCancelEarly() : PlainCancelDesign("broken-plain-cancel-early", Switches{true, true, true, true}) {}

  Task<void> aio_complete(kiocb& iocb, long res, long res2) override {
    sim::KernelFunction fn{"aio_complete"};
    if (!iocb.allocated)
      throw sim::Violation(sim::ViolationKind::Invariant, "use after free: aio_complete on a freed kiocb");
    kioctx& ctx = *iocb.ki_ctx;
    const std::uint64_t id = iocb.ki_user_data;
    // The decision first, with a plain load, test and store.
    kiocb_cancel_fn seen = co_await sim::READ_ONCE(iocb.ki_cancel);
    const bool cancelled = seen == KIOCB_CANCELLED;
    if (!cancelled) co_await sim::WRITE_ONCE(iocb.ki_cancel, KIOCB_CANCELLED);
    // Then unlink it, as the seed does.
    if (co_await sim::READ_ONCE(iocb.ki_list_next) != ListNext::Null) {
      auto f = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
      co_await list_del(iocb, ctx, false);
      co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, f);
    }
    if (cancelled) {
      ledger_->event_suppressed(id, "aio_complete (cancelled: no event)");
    } else {
      co_await write_ring_event(ctx, id, res, res2, "aio_complete (plain test of ki_cancel before list_del, event written)");
    }
    co_await aio_put_req(iocb);
    co_await sim::atomic_dec(ctx.reqs_active);
    if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
  }
};

}  // namespace

const char* const kSecondResult = "invariant: request req0 yields a second result";

DesignInfo broken_plain_cancel_early() {
  return {
      .name = "broken-plain-cancel-early",
      .tag = "lazy-cancel (the seed) with a planted bug",
      .description = "broken-plain-cancel with aio_complete's plain test of ki_cancel moved before its ctx_lock-protected list_del",
      .planted_bug = true,
      .make = [] { return std::make_unique<PlainCancelEarly>(); },
      .era_lock = sim::LockKind::Ticket,
      // The seed's lock paths: the planted bug moves no lock.
      .path_locks = seed_era_path_locks(Switches{true, true, true, true}),
      .explore = {{"async-cancel-irq", {kSecondResult}},
                  {"block-cancel-irq", {}},
                  {"io_uring-cancel-vs-complete", {}},
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"cancel-complete-destroy-reap", {}},
                  {"complete-before-put-full-ring", {"invariant: ring overcommitted"}},  // as lazy-cancel
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"recycle", {}},
                  {"submit-vs-cancel", {kSecondResult}},
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
