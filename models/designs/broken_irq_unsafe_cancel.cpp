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

DesignInfo broken_irq_unsafe_cancel() {
  return {"broken-irq-unsafe-cancel",
          "PLANTED BUG: io_cancel takes ctx_lock with spin_lock (IRQs left on) while aio_complete takes it in IRQ",
          true, [] { return std::make_unique<IrqUnsafeCancel>(); }};
}

}  // namespace models
