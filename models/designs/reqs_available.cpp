// SPDX-License-Identifier: GPL-2.0-only
// Line numbers below are of fs/aio.c of the release named.
#include "models/designs/reqs_available.hpp"

#include <algorithm>
#include <utility>

#include "sim/access.hpp"
#include "sim/spinlock.hpp"

namespace models {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

void ReqsAvailable::attach(Shared<int>& global, std::vector<Shared<unsigned>*> pools,
                           Shared<unsigned>* completed_events, unsigned nr_events, Guard guard) {
  global_ = &global;
  pools_ = std::move(pools);
  completed_events_ = completed_events;
  req_batch_ = std::max(1u, (nr_events - 1) / (static_cast<unsigned>(pools_.size()) * 4u));
  guard_ = guard;
}

Shared<unsigned>& ReqsAvailable::this_cpu() const {
  return *pools_.at(static_cast<std::size_t>(sim::current_context->cpu().id()));
}

Task<void> ReqsAvailable::put_reqs_available(unsigned nr) {
  KernelFunction fn{"put_reqs_available"};
  const bool irqs = guard_ == Guard::LocalIrqSave;
  unsigned long flags = 0;
  if (irqs) flags = co_await sim::local_irq_save();
  Shared<unsigned>& kcpu = this_cpu();
  unsigned avail = co_await READ_ONCE(kcpu) + nr;
  while (avail >= req_batch_ * 2) {
    avail -= req_batch_;
    co_await sim::atomic_add(static_cast<int>(req_batch_), *global_);
  }
  co_await WRITE_ONCE(kcpu, avail);
  if (irqs) co_await sim::local_irq_restore(flags);
}

Task<bool> ReqsAvailable::get_reqs_available() {
  KernelFunction fn{"get_reqs_available"};
  const bool irqs = guard_ == Guard::LocalIrqSave;
  unsigned long flags = 0;
  if (irqs) flags = co_await sim::local_irq_save();
  Shared<unsigned>& kcpu = this_cpu();
  bool ret = false;
  unsigned have = co_await READ_ONCE(kcpu);
  bool got_batch = have != 0;
  if (!got_batch) {
    int avail = co_await READ_ONCE(*global_);  // atomic_read
    for (;;) {
      if (avail < static_cast<int>(req_batch_)) break;  // goto out
      const int old = avail;
      avail = co_await sim::cmpxchg(*global_, avail, avail - static_cast<int>(req_batch_));
      if (avail == old) {
        got_batch = true;
        have += req_batch_;  // kcpu->reqs_available += ctx->req_batch
        break;
      }
    }
  }
  if (got_batch) {
    ret = true;
    co_await WRITE_ONCE(kcpu, have - 1);  // kcpu->reqs_available--
  }
  if (irqs) co_await sim::local_irq_restore(flags);
  co_return ret;
}

Task<void> ReqsAvailable::refill_reqs_available(kioctx& ctx, unsigned head, unsigned tail) {
  KernelFunction fn{"refill_reqs_available"};
  sim::assert_spin_locked(ctx.completion_lock);
  const unsigned nr_events = co_await READ_ONCE(ctx.nr);
  head %= nr_events;  // clamp head since userland can write to it
  const unsigned events_in_ring = head <= tail ? tail - head : nr_events - (head - tail);
  unsigned completed = co_await READ_ONCE(*completed_events_);
  const unsigned had = completed;
  if (events_in_ring < completed) completed -= events_in_ring;
  else completed = 0;
  if (!completed) co_return;
  co_await WRITE_ONCE(*completed_events_, had - completed);  // ctx->completed_events -= completed
  co_await put_reqs_available(completed);
}

Task<void> ReqsAvailable::user_refill_reqs_available(kioctx& ctx) {
  KernelFunction fn{"user_refill_reqs_available"};
  co_await sim::spin_lock_irq(ctx.completion_lock);
  if (co_await READ_ONCE(*completed_events_)) {
    // ring->head may race with aio_read_events_ring: either value is valid.
    const unsigned head = co_await READ_ONCE(ctx.ring_head);
    const unsigned tail = co_await READ_ONCE(ctx.tail);
    co_await refill_reqs_available(ctx, head, tail);
  }
  co_await sim::spin_unlock_irq(ctx.completion_lock);
}

}  // namespace models
