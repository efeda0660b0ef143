// SPDX-License-Identifier: GPL-2.0-only
#include "models/aio/eventfd.hpp"

#include <limits>
#include <stdexcept>

namespace models {

// fs/eventfd.c (3.x): the counter saturates at ULLONG_MAX; waiters are
// woken with the lock held (wake_up_locked_poll).
sim::Task<std::uint64_t> eventfd_signal(eventfd_ctx& ctx, std::uint64_t n) {
  sim::KernelFunction fn{"eventfd_signal"};
  auto flags = co_await sim::spin_lock_irqsave(ctx.wqh.lock);
  const std::uint64_t count = co_await sim::READ_ONCE(ctx.count);
  if (std::numeric_limits<std::uint64_t>::max() - count < n) n = std::numeric_limits<std::uint64_t>::max() - count;
  co_await sim::WRITE_ONCE(ctx.count, count + n);
  // if (waitqueue_active(&ctx->wqh)) wake_up_locked_poll(&ctx->wqh, POLLIN):
  // no task of the workloads polls the eventfd, so the list stays empty.
  if (co_await sim::waitqueue_active(ctx.wqh)) throw std::logic_error("eventfd_signal: pollers are not modelled");
  co_await sim::spin_unlock_irqrestore(ctx.wqh.lock, flags);
  co_return n;
}

sim::Task<void> eventfd_ctx_get(eventfd_ctx& ctx) { co_await sim::atomic_inc(ctx.kref); }
sim::Task<void> eventfd_ctx_put(eventfd_ctx& ctx) { co_await sim::atomic_dec(ctx.kref); }

}  // namespace models
