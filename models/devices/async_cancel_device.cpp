// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/async_cancel_device.hpp"

#include <fmt/format.h>

#include "sim/violation.hpp"

namespace models {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

AsyncCancelDevice::AsyncCancelDevice(sim::Machine& m, AioDesign& aio, long bytes)
    : file("acdev"),
      machine_(m),
      aio_(aio),
      bytes_(bytes),
      lock_("acdev_lock", line_, aio.ctx().ctx_lock.kind(), m),
      slots_{Slot{slot_lines_[0]}, Slot{slot_lines_[1]}, Slot{slot_lines_[2]}, Slot{slot_lines_[3]},
             Slot{slot_lines_[4]}, Slot{slot_lines_[5]}, Slot{slot_lines_[6]}, Slot{slot_lines_[7]}} {
  static_assert(kSlots == 8, "the slot initialiser above lists 8 slots");
  for (Slot& s : slots_) {
    s.handler = &AsyncCancelDevice::acdev_irq;
    s.name = "acdev";
    s.owner = this;
  }
}

// Make the kiocb cancellable, then hand the request to the hardware.
Task<long> AsyncCancelDevice::aio_write(kiocb& req) {
  KernelFunction fn{"acdev_aio_write"};
  if (aio_.switches().lazy_list) co_await aio_.kiocb_set_cancel_fn(req, &AsyncCancelDevice::acdev_cancel);
  else co_await WRITE_ONCE(req.ki_cancel, &AsyncCancelDevice::acdev_cancel);  // pre-seed: a plain store

  auto flags = co_await sim::spin_lock_irqsave(lock_);
  Slot* slot = nullptr;
  for (Slot& s : slots_)
    if (!s.busy) {
      slot = &s;
      break;
    }
  if (!slot) {
    co_await sim::spin_unlock_irqrestore(lock_, flags);
    co_return -EAGAIN;
  }
  slot->busy = true;
  slot->hw_done = false;
  co_await WRITE_ONCE(slot->iocb, &req);
  co_await WRITE_ONCE(slot->abort, 0);
  co_await sim::spin_unlock_irqrestore(lock_, flags);
  co_return -EIOCBQUEUED;
}

// Called by kiocb_cancel with ctx_lock dropped and an extra ki_users
// reference held. If the request is in the hardware, flag its abort; either
// way report success: the abort completes asynchronously.
Task<int> AsyncCancelDevice::acdev_cancel(kiocb& iocb, io_event&) {
  KernelFunction fn{"acdev_cancel"};
  auto& dev = *static_cast<AsyncCancelDevice*>(iocb.ki_filp);
  auto flags = co_await sim::spin_lock_irqsave(dev.lock_);
  for (Slot& s : dev.slots_)
    if (s.busy && s.iocb.raw() == &iocb) {  // the walk of the device's own list, under its lock
      co_await WRITE_ONCE(s.abort, 1);
      ++dev.aborts_;
    }
  co_await sim::spin_unlock_irqrestore(dev.lock_, flags);
  if (dev.aio_.cancel_method_puts_iocb()) co_await dev.aio_.aio_put_req(iocb);  // drop kiocb_cancel's reference
  co_return 0;
}

bool AsyncCancelDevice::hardware_pending(std::uint64_t user_data) const {
  for (const Slot& s : slots_)
    if (s.busy && !s.hw_done && s.iocb.raw() && s.iocb.raw()->ki_user_data == user_data) return true;
  return false;
}

bool AsyncCancelDevice::hardware_done(std::uint64_t user_data, int cpu) {
  for (Slot& s : slots_)
    if (s.busy && !s.hw_done && s.iocb.raw() && s.iocb.raw()->ki_user_data == user_data) {
      s.hw_done = true;
      machine_.cpu(cpu).raise_irq(s);
      return true;
    }
  return false;
}

// The interrupt handler: take the finished request off the hardware queue,
// then complete it (aborted or not) in IRQ context.
Task<void> AsyncCancelDevice::acdev_irq(sim::IrqRequest& r) {
  KernelFunction fn{"acdev_irq"};
  auto& s = static_cast<Slot&>(r);
  auto& dev = *static_cast<AsyncCancelDevice*>(s.owner);
  co_await sim::spin_lock(dev.lock_);  // IRQs are already off
  kiocb* iocb = co_await READ_ONCE(s.iocb);
  const int aborted = co_await READ_ONCE(s.abort);
  s.busy = false;
  co_await WRITE_ONCE(s.iocb, nullptr);
  co_await sim::spin_unlock(dev.lock_);
  if (!iocb) throw sim::Violation(sim::ViolationKind::Invariant, "acdev_irq: finished slot carries no request");
  co_await dev.aio_.aio_complete(*iocb, aborted ? -ECANCELED : dev.bytes_, 0);
}

}  // namespace models
