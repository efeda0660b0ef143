// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// struct eventfd_ctx (fs/eventfd.c) and eventfd_signal(): what aio_complete
// signals for an iocb submitted with IOCB_FLAG_RESFD.
#include <cstdint>

#include "sim/spinlock.hpp"
#include "sim/waitqueue.hpp"

namespace models {

using sim::CacheLine;
using sim::Shared;

struct eventfd_ctx {
  eventfd_ctx(sim::Machine& m, sim::LockKind kind)
      : kref(line, "eventfd->kref", 1), wqh("eventfd->wqh", line, kind, m), count(line, "eventfd->count", 0) {}
  CacheLine line{"eventfd_ctx"};  // a small kmalloc'd struct: one line
  Shared<int> kref;
  sim::WaitQueue wqh;
  Shared<std::uint64_t> count;
};

// eventfd_signal(): count += n under wqh.lock (irqsave), waking pollers.
sim::Task<std::uint64_t> eventfd_signal(eventfd_ctx& ctx, std::uint64_t n);
// eventfd_ctx_fdget()'s eventfd_ctx_get() and eventfd_ctx_put(): kref_get/put.
sim::Task<void> eventfd_ctx_get(eventfd_ctx& ctx);
sim::Task<void> eventfd_ctx_put(eventfd_ctx& ctx);

}  // namespace models
