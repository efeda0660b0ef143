// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// What the two planted plain-cancel designs (broken_plain_cancel.cpp,
// broken_plain_cancel_early.cpp) share: kiocb_cancel() with the seed's
// cmpxchg loop replaced by a plain load, test and store of ki_cancel, and
// the seed's ring write under completion_lock. They differ only in where
// aio_complete() tests ki_cancel.
#include <cstdint>

#include "models/aio/aio.hpp"
#include "sim/access.hpp"
#include "sim/spinlock.hpp"

namespace models {

class PlainCancelDesign : public AioDesign {
 protected:
  using AioDesign::AioDesign;

  // kiocb_cancel() (seed) with `while (cmpxchg(...))` as a load, test, store.
  Task<int> kiocb_cancel(kioctx& ctx, kiocb& k, io_event& res) override {
    sim::KernelFunction fn{"kiocb_cancel"};
    sim::assert_spin_locked(ctx.ctx_lock);
    kiocb_cancel_fn cancel = co_await sim::READ_ONCE(k.ki_cancel);
    if (!cancel || cancel == KIOCB_CANCELLED) co_return -EINVAL;
    co_await sim::WRITE_ONCE(k.ki_cancel, KIOCB_CANCELLED);
    co_await sim::atomic_inc(k.ki_users);
    co_await sim::spin_unlock_irq(ctx.ctx_lock);
    res = io_event{};
    res.obj = res.data = k.ki_user_data;
    int ret = co_await cancel(k, res);
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    co_return ret;
  }

  // aio_complete()'s ring write (seed): the event at tail, under completion_lock.
  Task<void> write_ring_event(kioctx& ctx, std::uint64_t id, long res, long res2, const char* how) {
    auto cflags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
    unsigned tail = co_await sim::READ_ONCE(ctx.tail);
    unsigned nr = co_await sim::READ_ONCE(ctx.nr);
    unsigned pos = tail + AIO_EVENTS_OFFSET;
    if (++tail >= nr) tail = 0;
    co_await sim::WRITE_ONCE(ctx.slots[pos - AIO_EVENTS_OFFSET], io_event{id, id, res, res2});
    co_await sim::WRITE_ONCE(ctx.tail, tail);
    ledger_->ring_event(id, how);
    co_await sim::WRITE_ONCE(ctx.ring_tail, tail);
    co_await sim::spin_unlock_irqrestore(ctx.completion_lock, cflags);
  }
};

}  // namespace models
