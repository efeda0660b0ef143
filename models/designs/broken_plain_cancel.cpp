// PLANTED BUG, for the explorer's tests: the seed with the cancel/complete
// decision made by a plain load, test and store of ki_cancel instead of
// xchg()/cmpxchg(). It looks as if both sides could read the old value and
// both think they won, but ctx_lock still serialises the two decisions
// (kiocb_cancel runs under it; aio_complete tests ki_cancel only after its
// ctx_lock-held list_del), so the explorer proves it clean.
// broken_plain_cancel_early.cpp moves the test before the lock: that one
// gives a request two results.
#include "models/designs/registry.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {

class PlainCancel final : public AioDesign {
 public:
  PlainCancel() : AioDesign("broken-plain-cancel", Switches{true, true, true, true}) {}

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
      auto cflags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
      unsigned tail = co_await sim::READ_ONCE(ctx.tail);
      unsigned nr = co_await sim::READ_ONCE(ctx.nr);
      unsigned pos = tail + AIO_EVENTS_OFFSET;
      if (++tail >= nr) tail = 0;
      co_await sim::WRITE_ONCE(*ctx.slots[pos - AIO_EVENTS_OFFSET], io_event{id, id, res, res2});
      co_await sim::WRITE_ONCE(ctx.tail, tail);
      ledger_->ring_event(id, "aio_complete (plain test of ki_cancel, event written)");
      co_await sim::WRITE_ONCE(ctx.ring_tail, tail);
      co_await sim::spin_unlock_irqrestore(ctx.completion_lock, cflags);
    }
    co_await aio_put_req(iocb);
    co_await sim::atomic_dec(ctx.reqs_active);
    if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
  }

  // kiocb_cancel() with the cmpxchg loop replaced by a load, test, store.
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
};

}  // namespace

DesignInfo broken_plain_cancel() {
  return {"broken-plain-cancel",
          "PLANTED BUG: lazy-cancel with a plain load/test/store of ki_cancel instead of xchg/cmpxchg", true,
          [] { return std::make_unique<PlainCancel>(); }};
}

}  // namespace models
