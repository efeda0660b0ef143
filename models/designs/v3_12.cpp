// SPDX-License-Identifier: GPL-2.0-only
// Linux 3.12: ring slots counted per CPU (struct kioctx_cpu, under
// preempt_disable) and given back at reap; ctx->users a percpu_ref; no
// kiocb reference count; aio_complete with no cancelled test; io_cancel
// calls the driver's method with ctx_lock held and returns -EINPROGRESS.
// The code is percpu_reqs.cpp, shared with 3.17.
#include "models/designs/percpu_reqs.hpp"
#include "models/designs/registry.hpp"

namespace models {

namespace {
const char* const kSelfDeadlock = "deadlock: cpu0/task spins on ctx_lock already held by cpu0/task on the same CPU";
}  // namespace

// Counted by hand from fs/aio.c of Linux 3.12; each count is one
// spin_lock*(&ctx->ctx_lock) or (&ctx->completion_lock).
PathLocks v3_12_path_locks() {
  PathLocks p;
  // io_submit: lookup_ioctx is RCU + percpu_ref_get; get_reqs_available is
  // this CPU's count (preempt_disable) and a cmpxchg on the global atomic
  // (lines 768-796); io_submit_one takes no kioctx lock (1306-1375).
  p.io_submit = {0, 0};
  // gadgetfs' ep_aio_rwtail -> kiocb_set_cancel_fn: ctx_lock irqsave (383).
  p.cancellable_submit = {1, 0};
  // aio_complete: ctx_lock irqsave only if ki_list.next (888-894), then
  // completion_lock irqsave around the event (901-936).
  p.plain_completion = {0, 1};
  p.cancellable_completion = {1, 1};
  // io_getevents: ring_lock (a mutex); put_reqs_available at the end of
  // aio_read_events_ring (1029) is per-CPU plus atomic_add: no spinlock.
  p.io_getevents = {0, 0};
  return p;
}

DesignInfo v3_12() {
  return {
      .name = "v3.12",
      .tag = "Linux 3.12",
      .description = "per-CPU reqs_available (preempt_disable) returned at reap, percpu_ref users, cancel method under "
                     "ctx_lock, io_cancel -EINPROGRESS",
      .planted_bug = false,
      .make = [] { return std::make_unique<PercpuReqsDesign>("v3.12", PercpuReqsDesign::Release::V3_12); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = v3_12_path_locks(),
      // Derived from the kernel text, then checked with `aiosim explore`
      // (docs/designs/v3.12.md). No cancelled test in aio_complete: every
      // request gets its event through the ring, io_cancel returns
      // -EINPROGRESS or -EINVAL, never a result.
      .explore = {{"async-cancel-irq", {}},
                  {"complete-before-put-full-ring", {}},  // slots are taken from the per-CPU pool before the kiocb exists and come back at reap: nothing wraps
                  {"io_uring-cancel-vs-complete", {}},  // the block kiocb is never listed: io_cancel finds nothing, the event comes
                  {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
                  {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
                  {"usb-cancel-under-ctx-lock", {kSelfDeadlock}},  // ep_aio_cancel runs under io_cancel's ctx_lock; the synchronous give-back re-takes it
                  {"block-cancel-irq", {}},  // a block kiocb is never listed: io_cancel -EINVAL
                  {"cancel-complete-destroy-reap", {}},
                  {"percpu-refill", {}},  // the reap on CPU 0 already gave CPU 0 two slots: submitter0 1, submitter1 -EAGAIN
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
                  // (docs/designs/v3.12.md).
                  {"usb-cancel-destroy", {kSelfDeadlock}},
                  {"usb-cancel-irq", {kSelfDeadlock}}},
      .gadgetfs_cancel_deadlocks = true,
  };
}

}  // namespace models
