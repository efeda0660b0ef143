// SPDX-License-Identifier: GPL-2.0-only
// PLANTED BUG, for the explorer's tests: io_cancel takes ctx_lock with a
// plain spin_lock(), leaving interrupts on. aio_complete() takes the same
// lock from the USB controller's interrupt; if that interrupt arrives on the
// CPU that holds the lock in io_cancel, the handler spins forever.
#include "models/designs/registry.hpp"

namespace models {

namespace {

class IrqUnsafeCancel final : public AioDesign {
 public:
  IrqUnsafeCancel() : AioDesign("broken-irq-unsafe-cancel", Switches{true, true, true, true}) {}

  Task<long> sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result) override {
    sim::KernelFunction fn{"io_cancel"};
    sim::cpu_work(costs_.syscall);
    if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
    ledger_->cancel_started(iocb);
    co_await sim::spin_lock(ctx.ctx_lock);  // BUG: should be spin_lock_irq
    kiocb* k = co_await lookup_kiocb(ctx, iocb);
    long ret = k ? co_await kiocb_cancel(ctx, *k, result) : -EINVAL;
    co_await sim::spin_unlock(ctx.ctx_lock);
    ledger_->cancel_returned(iocb, ret);
    co_await put_ioctx(ctx);
    co_return ret;
  }
};

}  // namespace

// kiocb_cancel's spin_unlock_irq/spin_lock_irq around the cancel method
// leaves IRQs off after the plain spin_unlock.
const char* const kIrqsOff = "irq-state: cpu0/task returns to user space with IRQs disabled";

DesignInfo broken_irq_unsafe_cancel() {
  return {
      .name = "broken-irq-unsafe-cancel",
      .tag = "lazy-cancel (the seed) with a planted bug",
      .description = "io_cancel takes ctx_lock with spin_lock (IRQs left on) while aio_complete takes it in IRQ",
      .planted_bug = true,
      .make = [] { return std::make_unique<IrqUnsafeCancel>(); },
      .era_lock = sim::LockKind::Ticket,
      // The seed's lock paths: the planted bug moves no lock.
      .path_locks = seed_era_path_locks(Switches{true, true, true, true}),
      .explore = {{"async-cancel-irq", {kIrqsOff}},
                  {"block-cancel-irq", {}},  // no cancel method: io_cancel never unlocks/relocks
                  {"io_uring-cancel-vs-complete", {}},  // block-cancel-irq with the canceller and the IRQ on two CPUs
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  // The async IRQ lands on the canceller's CPU: it spins on the
                  // ctx_lock its own task holds, and the other tasks wait forever.
                  {"cancel-complete-destroy-reap",
                   {"deadlock: cpu0/irq spins on ctx_lock held by cpu0/task on the same CPU 0",
                    "global-deadlock: deadlock: no context can run, but cpu1/task has not finished",
                    "global-deadlock: deadlock: no context can run, but cpu2/task has not finished", kIrqsOff}},
                  {"complete-before-put-full-ring", {"invariant: ring overcommitted"}},  // as lazy-cancel
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"recycle", {}},
                  {"submit-vs-cancel", {"irq-state: cpu2/task returns to user space with IRQs disabled"}},
                  {"two-kiocbs", {}},
                  {"two-submitters-full-ring", {"invariant: ring overcommitted"}},  // as lazy-cancel
                  {"usb-cancel-destroy", gadgetfs_races_and({kIrqsOff})},
                  {"usb-cancel-irq", gadgetfs_races_and({kIrqsOff})},
                  // io_cancel's ctx_lock with IRQs on: the async IRQ on the
                  // canceller's CPU spins on it (as in cancel-complete-destroy-reap).
                  {"usb-cancel-under-ctx-lock",
                   {"deadlock: cpu0/irq spins on ctx_lock held by cpu0/task on the same CPU 0",
                    "irq-state: an interrupt pending on cpu0 is never delivered: IRQs were left disabled", kIrqsOff}}},
  };
}

}  // namespace models
