// SPDX-License-Identifier: GPL-2.0-only
// The two ends of the seed commit: its parent and the commit itself. Every
// subset in between is these with kioctx.<switch> overrides.
#include "models/designs/registry.hpp"

namespace models {

// fs/aio.c of the mm tree, April 2013 (the seed's parent) and of the seed;
// each count is one spin_lock*(&ctx->ctx_lock) or (&ctx->completion_lock).
PathLocks seed_era_path_locks(const Switches& sw) {
  PathLocks p;
  // io_submit -> aio_get_req -> kiocb_batch_refill: one spin_lock_irq(ctx_lock)
  // for the ring-space check (and, before the seed, the list_add of every
  // kiocb). kiocb_batch_free returns before locking when the batch is used up.
  p.io_submit = {1, 0};
  // The seed: ep_aio_rwtail -> kiocb_set_cancel_fn lists the kiocb under
  // ctx_lock (irqsave). Before it, the kiocb was listed at allocation and
  // ki_cancel was stored without a lock.
  p.cancellable_submit = {sw.lazy_list ? 1 : 0, 0};
  // aio_complete: before the seed, spin_lock_irqsave(ctx_lock) around the
  // whole body; with completion_lock, ctx_lock only around the list_del of a
  // listed kiocb (never a block one with lazy_list), and completion_lock
  // around the ring write.
  const int ring_lock_completion = sw.completion_lock ? 1 : 0;
  p.plain_completion = {!sw.completion_lock || !sw.lazy_list ? 1 : 0, ring_lock_completion};
  p.cancellable_completion = {1, ring_lock_completion};
  // io_getevents: lookup_ioctx is RCU, the ring is read under ring_lock (a
  // mutex); neither kioctx spinlock.
  p.io_getevents = {0, 0};
  return p;
}

namespace {
const char* const kRingOvercommitted = "invariant: ring overcommitted";
}  // namespace

DesignInfo seed_era_mm_parent() {
  const Switches sw{false, false, false, false};
  return {
      .name = "mm-parent",
      .tag = "mm tree, April 2013 (seed's parent)",
      .description = "every kiocb on active_reqs, aio_complete under ctx_lock (irqsave), KIF_CANCELLED flag",
      .planted_bug = false,
      .make = [sw] { return std::make_unique<AioDesign>("mm-parent", sw); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = seed_era_path_locks(sw),
      // Before the seed, io_cancel sets KIF_CANCELLED even on a request with
      // no cancel method and returns -EINVAL: its completion then drops the
      // event (block-cancel-irq), also on a recycled kiocb found by its
      // stale ki_obj.user (recycle, submit-vs-cancel).
      .explore = {{"async-cancel-irq", {}},
                  {"block-cancel-irq", {"invariant: request req0 is lost"}},
                  {"io_uring-cancel-vs-complete", {"invariant: request req0 is lost"}},  // block-cancel-irq's race
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"cancel-complete-destroy-reap", {}},
                  // reqs_active drops inside aio_complete's ctx_lock section,
                  // which kiocb_batch_refill also holds: one gets the slot.
                  {"complete-before-put-full-ring", {}},
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"recycle", {"invariant: request req1 is lost"}},
                  {"submit-vs-cancel", {"invariant: request req1 is lost"}},
                  {"two-kiocbs", {}},
                  {"two-submitters-full-ring", {}},  // one gets the last slot, the other -EAGAIN
                  {"usb-cancel-destroy", gadgetfs_races()},
                  {"usb-cancel-irq", gadgetfs_races()},
                  // kiocb_cancel drops ctx_lock around ep_aio_cancel: the synchronous
                  // giveback's aio_complete finds it free, and the async IRQ on the
                  // canceller's CPU never meets a held ctx_lock.
                  {"usb-cancel-under-ctx-lock", {}}},
      .seed_switches = true,
  };
}

DesignInfo seed_era_lazy_cancel() {
  const Switches sw{true, true, true, true};
  return {
      .name = "lazy-cancel",
      .tag = "the seed",
      .description = "\"aio: use cancellation list lazily\": only cancellable kiocbs listed, xchg/cmpxchg on "
                     "ki_cancel, ring under completion_lock, __GFP_ZERO",
      .planted_bug = false,
      .make = [sw] { return std::make_unique<AioDesign>("lazy-cancel", sw); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = seed_era_path_locks(sw),
      .explore = {{"async-cancel-irq", {}},
                  {"block-cancel-irq", {}},
                  {"io_uring-cancel-vs-complete", {}},
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"cancel-complete-destroy-reap", {}},
                  // reqs_active drops after the completion_lock section, under
                  // no kioctx lock: the refill can count the completed request
                  // twice, and the unsigned difference wraps.
                  {"complete-before-put-full-ring", {kRingOvercommitted}},
                  {"percpu-refill", {}},  // 8 free slots: both io_submit succeed
                  {"recycle", {}},
                  {"submit-vs-cancel", {}},
                  {"two-kiocbs", {}},
                  // kiocb_batch_refill's ring-space check no longer counts the
                  // listed kiocbs: two submitters both take the last slot.
                  {"two-submitters-full-ring", {kRingOvercommitted}},
                  {"usb-cancel-destroy", gadgetfs_races()},
                  {"usb-cancel-irq", gadgetfs_races()},
                  // kiocb_cancel drops ctx_lock around ep_aio_cancel: the synchronous
                  // giveback's aio_complete finds it free, and the async IRQ on the
                  // canceller's CPU never meets a held ctx_lock.
                  {"usb-cancel-under-ctx-lock", {}}},
      .seed_switches = true,
  };
}

}  // namespace models
