// SPDX-License-Identifier: GPL-2.0-only
// What v3.12 and v3.17 declare alike in the registry: their lock counts
// per path and their explorer verdicts are the same, because the two
// releases differ only in where a ring slot comes back (3.12 at reap, 3.17
// at completion and in a starved submitter), which takes no ctx_lock, no
// more completion_lock on the counted paths, and changes no scenario's
// verdict. Where the reasons differ, both are given. v3_12.cpp and
// v3_17.cpp hold what differs: name, tag, description, release.
#include "models/designs/percpu_reqs.hpp"

namespace models {

namespace {
const char* const kSelfDeadlock = "deadlock: cpu0/task spins on ctx_lock already held by cpu0/task on the same CPU";
// io_destroy's free_ioctx (3.12) / free_ioctx_users (3.17) cancelling the
// request under ctx_lock, on CPU 2.
const char* const kDestroySelfDeadlock = "deadlock: cpu2/task spins on ctx_lock already held by cpu2/task on the same CPU 2";
// Path B: ep_aio_cancel's local_irq_enable() under ctx_lock lets an IRQ in.
const char* const kIrqOnCtxLock = "deadlock: cpu0/irq spins on ctx_lock held by cpu0/task on the same CPU 0";
}  // namespace

// Counted by hand from fs/aio.c of Linux 3.12 and of 3.17 (line numbers of
// each); each count is one spin_lock*(&ctx->ctx_lock) or (&ctx->completion_lock).
PathLocks percpu_reqs_path_locks() {
  PathLocks p;
  // io_submit: lookup_ioctx is RCU + percpu_ref_get; get_reqs_available is
  // this CPU's count (3.12 preempt_disable, 3.17 local_irq_save) and a
  // cmpxchg on the global atomic (3.12 lines 768-796, 3.17 836-864);
  // io_submit_one takes no kioctx lock (3.12 1306-1375). (3.17, with the
  // pools empty: aio_get_req calls user_refill_reqs_available, one
  // spin_lock_irq(&ctx->completion_lock) (904) --
  // tests/models/designs/percpu_reqs_test.cpp.)
  p.io_submit = {0, 0};
  // gadgetfs' ep_aio_rwtail -> kiocb_set_cancel_fn: ctx_lock irqsave (3.12
  // 383, 3.17 464-477).
  p.cancellable_submit = {1, 0};
  // aio_complete: ctx_lock irqsave only if ki_list.next (3.12 888-894, 3.17
  // 1017-1023), then completion_lock irqsave around the event (3.12 901-936;
  // 3.17 1030-1069, refill_reqs_available inside the same section).
  p.plain_completion = {0, 1};
  p.cancellable_completion = {1, 1};
  // io_getevents: ring_lock (a mutex). 3.12's put_reqs_available at the end
  // of aio_read_events_ring (1029) is per-CPU plus atomic_add, no spinlock;
  // 3.17 gives no slot back at reap.
  p.io_getevents = {0, 0};
  return p;
}

// Derived from the kernel text, then checked with `aiosim explore`
// (docs/designs/v3.12.md, docs/designs/v3.17.md). No cancelled test in
// aio_complete: every request gets its event through the ring, io_cancel
// returns -EINPROGRESS or -EINVAL, never a result.
std::vector<ExploreVerdict> percpu_reqs_explore() {
  // complete-before-put-full-ring: slots come back at reap (3.12) or at
  // completion (3.17), never before the kiocb exists.
  // percpu-refill: 3.12: the reap on CPU 0 already gave CPU 0 two slots:
  // submitter0 1, submitter1 -EAGAIN. 3.17: whoever refills first under
  // completion_lock gets the two reaped slots (a submitter, or CPU 2's pool).
  return {{"async-cancel-irq", {}},
          {"complete-before-put-full-ring", {}},  // slots are taken from the per-CPU pool before the kiocb exists: nothing wraps
          {"io_uring-cancel-vs-complete", {}},  // the block kiocb is never listed: io_cancel finds nothing, the event comes
          {"io_uring-async-cancel-queued", {}},  // the buffered write completes inside io_submit: io_cancel -EINVAL
          {"io_uring-cq-overflow", {}},  // the ring has room for all three: the reaper reads them
          {"usb-cancel-under-ctx-lock", {kSelfDeadlock, kIrqOnCtxLock}},  // path A: the synchronous give-back re-takes ctx_lock; path B: ep_aio_cancel's local_irq_enable lets the async IRQ in under it
          {"block-cancel-irq", {}},  // a block kiocb is never listed: io_cancel -EINVAL
          {"cancel-complete-destroy-reap", {}},
          {"percpu-refill", {}},  // clean under both; who gets the reaped slots differs (above)
          {"recycle", {}},
          {"submit-vs-cancel", {}},
          {"two-kiocbs", {}},
          // Per-CPU pools strand slots: the set-up's 121st request
          // already gets -EAGAIN (global 6 < req_batch 10), and so do
          // both submitters. Nothing is overcommitted.
          {"two-submitters-full-ring", {}},
          // ep_aio_cancel runs under io_cancel's (or the teardown's)
          // ctx_lock; usb_ep_dequeue gives a still-queued request back
          // synchronously, ep_aio_complete -> aio_complete ->
          // spin_lock_irqsave(ctx_lock) on the same CPU: a self-deadlock.
          // When the UDC gives it back first, gadgetfs' own NULL and freed
          // iocb->private races (docs/designs/v3.12.md, v3.17.md).
          {"usb-cancel-destroy", gadgetfs_memory_races_and({kSelfDeadlock, kDestroySelfDeadlock})},
          {"usb-cancel-irq", gadgetfs_memory_races_and({kSelfDeadlock})}};
}

}  // namespace models
