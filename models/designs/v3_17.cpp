// SPDX-License-Identifier: GPL-2.0-only
// Linux 3.17: the per-CPU slots of 3.12 come back at completion
// (refill_reqs_available under completion_lock, so the per-CPU count is
// guarded by local_irq_save) and, when a submitter finds its pools empty,
// from the submitter itself (user_refill_reqs_available takes
// completion_lock: submitters contend with completions). ctx->reqs, a
// second percpu_ref, counts requests in flight; io_destroy waits for them.
// The code is percpu_reqs.cpp, shared with 3.12.
#include "models/designs/percpu_reqs.hpp"
#include "models/designs/registry.hpp"

namespace models {

namespace {
const char* const kSelfDeadlock = "deadlock: cpu0/task spins on ctx_lock already held by cpu0/task on the same CPU";
}  // namespace

// Counted by hand from fs/aio.c of Linux 3.17; each count is one
// spin_lock*(&ctx->ctx_lock) or (&ctx->completion_lock).
PathLocks v3_17_path_locks() {
  PathLocks p;
  // io_submit whose iocbs all find a slot in this CPU's pool or the global
  // count: get_reqs_available (836-864) is local_irq_save + cmpxchg, no
  // spinlock. (With the pools empty, aio_get_req calls
  // user_refill_reqs_available: one spin_lock_irq(&ctx->completion_lock)
  // (904) -- tests/models/designs/v3_17_test.cpp.)
  p.io_submit = {0, 0};
  // gadgetfs -> kiocb_set_cancel_fn: ctx_lock irqsave (464-477).
  p.cancellable_submit = {1, 0};
  // aio_complete: ctx_lock irqsave only if ki_list.next (1017-1023);
  // completion_lock irqsave around the event, with refill_reqs_available
  // inside the same section (1030-1069).
  p.plain_completion = {0, 1};
  p.cancellable_completion = {1, 1};
  // io_getevents: ring_lock only; no slot is given back at reap any more.
  p.io_getevents = {0, 0};
  return p;
}

DesignInfo v3_17() {
  return {
      .name = "v3.17",
      .tag = "Linux 3.17",
      .description = "per-CPU reqs_available (local_irq_save) refilled at completion under completion_lock; a starved "
                     "io_submit takes completion_lock (user_refill_reqs_available)",
      .planted_bug = false,
      .make = [] { return std::make_unique<PercpuReqsDesign>("v3.17", PercpuReqsDesign::Release::V3_17); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = v3_17_path_locks(),
      // Derived from the kernel text, then checked with `aiosim explore`
      // (docs/designs/v3.17.md). No cancelled test in aio_complete: every
      // request gets its event through the ring, io_cancel returns
      // -EINPROGRESS or -EINVAL, never a result.
      .explore = {{"async-cancel-irq", {}},
                  {"complete-before-put-full-ring", {}},  // slots are taken from the per-CPU pool before the kiocb exists and come back at completion: nothing wraps
                  {"io_uring-cancel-vs-complete", {}},  // the block kiocb is never listed: io_cancel finds nothing, the event comes
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"usb-cancel-under-ctx-lock", {kSelfDeadlock}},  // ep_aio_cancel runs under io_cancel's ctx_lock; the synchronous give-back re-takes it
                  {"block-cancel-irq", {}},  // a block kiocb is never listed: io_cancel -EINVAL
                  {"cancel-complete-destroy-reap", {}},
                  {"percpu-refill", {}},  // whoever refills first under completion_lock gets the two reaped slots (a submitter, or CPU 2's pool)
                  {"recycle", {}},
                  {"submit-vs-cancel", {}},
                  {"two-kiocbs", {}},
                  // Per-CPU pools strand slots: the set-up's 121st request
                  // already gets -EAGAIN (global 6 < req_batch 10), and so do
                  // both submitters. Nothing is overcommitted.
                  {"two-submitters-full-ring", {}},
                  // ep_aio_cancel runs under io_cancel's ctx_lock;
                  // usb_ep_dequeue gives the request back synchronously,
                  // ep_aio_complete -> aio_complete -> spin_lock_irqsave(ctx_lock)
                  // on the same CPU: a self-deadlock. The DPOR search stops
                  // there (the cut trace is its only one); random schedules
                  // also reach gadgetfs' NULL and use-after-free races
                  // (docs/designs/v3.17.md).
                  {"usb-cancel-destroy", {kSelfDeadlock}},
                  {"usb-cancel-irq", {kSelfDeadlock}}},
      .gadgetfs_cancel_deadlocks = true,
  };
}

}  // namespace models
