// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A test device for the explorer: block-like (each request finishes in
// hardware and completes by an interrupt whose handler calls aio_complete),
// but cancellable, with a cancel method that only ASKS the hardware to abort
// and returns 0 at once -- the shape of a driver whose abort is
// asynchronous. The hardware completion still fires afterwards (res
// -ECANCELED if the abort took effect), so whether user space gets exactly
// one result rests entirely on fs/aio.c's cancel/complete arbitration
// (KIF_CANCELLED under ctx_lock, or the xchg/cmpxchg on ki_cancel).
//
// gadgetfs cannot show a double result: its usb_ep_dequeue gives the request
// back synchronously under the UDC lock, which serialises it with the UDC
// interrupt's give-back. This device has no such lock between the two paths.
//
// Requests finish only when told (hardware_done), which is how the explorer
// drives hardware. Like ep_aio_rwtail, aio_write makes the kiocb cancellable
// (kiocb_set_cancel_fn, or the pre-seed plain store of ki_cancel) before it
// hands the request to the hardware.
#include <array>
#include <cstdint>

#include "models/aio/aio.hpp"

namespace models {

class AsyncCancelDevice final : public file {
 public:
  static constexpr int kSlots = 8;  // hardware queue depth

  AsyncCancelDevice(sim::Machine& m, AioDesign& aio, long bytes = 4096);

  // f_op->aio_write, reached from io_submit_one's ki_retry.
  Task<long> aio_write(kiocb& req) override;
  // The kiocb's cancel method: flag the abort, drop kiocb_cancel's extra
  // reference, return 0.
  static Task<int> acdev_cancel(kiocb& iocb, io_event& e);

  // Is the request with this aio_data in the hardware, not yet finished?
  bool hardware_pending(std::uint64_t user_data) const;
  // The hardware finishes it now: its interrupt is raised on `cpu`.
  bool hardware_done(std::uint64_t user_data, int cpu);

  sim::Spinlock& lock() { return lock_; }
  std::uint64_t aborts_requested() const { return aborts_; }

 private:
  struct Slot final : sim::IrqRequest {
    Slot(CacheLine& l) : iocb(l, "acdev.slot.iocb", nullptr), abort(l, "acdev.slot.abort", 0) {}
    Shared<kiocb*> iocb;  // the request the slot carries
    Shared<int> abort;    // an abort was requested
    bool busy = false;    // model bookkeeping: queued in hardware
    bool hw_done = false;
  };
  static Task<void> acdev_irq(sim::IrqRequest& r);

  sim::Machine& machine_;
  AioDesign& aio_;
  long bytes_;
  CacheLine line_{"acdev"};
  sim::Spinlock lock_;
  std::array<CacheLine, kSlots> slot_lines_;
  std::array<Slot, kSlots> slots_;
  std::uint64_t aborts_ = 0;
};

}  // namespace models
