// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// fs/aio.c's ring-slot accounting from Linux 3.12 to 4.19: a global
// ctx->reqs_available and each CPU's struct kioctx_cpu pool, moved between
// them req_batch slots at a time (put_reqs_available, get_reqs_available),
// and from 3.17 the completed_events refill under completion_lock
// (refill_reqs_available, user_refill_reqs_available). 4.19's four functions
// are 3.17's text unchanged; 3.12 differs only in guarding the per-CPU count
// with preempt_disable instead of local_irq_save, and has no refill.
//
// The counts themselves stay in the design that uses this (its struct
// kioctx layout decides their cache lines); this holds the code.
#include <vector>

#include "models/aio/aio.hpp"

namespace models {

class ReqsAvailable {
 public:
  // What keeps the per-CPU count to one CPU at a time.
  enum class Guard {
    // v3.12: preempt_disable(). The model's tasks never migrate and nothing
    // in IRQ context touches the count then: no step.
    PreemptDisable,
    // v3.17 on: local_irq_save(), as aio_complete calls put_reqs_available
    // from IRQs.
    LocalIrqSave,
  };
  // ioctx_alloc() (v3.12 lines 601-611, v3.17 664-681, unchanged in v4.19):
  //   ctx->req_batch = (ctx->nr_events - 1) / (num_possible_cpus() * 4);
  // at least 1. One pool per CPU; completed_events is null in 3.12.
  void attach(Shared<int>& global, std::vector<Shared<unsigned>*> pools, Shared<unsigned>* completed_events,
              unsigned nr_events, Guard guard);

  unsigned req_batch() const { return req_batch_; }

  // put_reqs_available() (v3.12 lines 752-766, v3.17 819-834, v4.19 887-902).
  Task<void> put_reqs_available(unsigned nr);
  // get_reqs_available() (v3.12 lines 768-796, v3.17 836-864, v4.19
  // 904-932): one slot from this CPU's pool, refilled with req_batch slots
  // by a cmpxchg loop on the global count when empty; false if the global
  // count has fewer.
  Task<bool> get_reqs_available();
  // refill_reqs_available() (v3.17 lines 873-896, v4.19 941-964), "must be
  // called holding ctx->completion_lock": slots of events already reaped
  // (completed_events minus what is still in the ring) go back to this
  // CPU's pool.
  Task<void> refill_reqs_available(kioctx& ctx, unsigned head, unsigned tail);
  // user_refill_reqs_available() (v3.17 lines 902-926, v4.19 970-994): a
  // submitter whose pools are empty takes completion_lock to give back
  // reaped slots itself.
  Task<void> user_refill_reqs_available(kioctx& ctx);

 private:
  Shared<unsigned>& this_cpu() const;

  Shared<int>* global_ = nullptr;                // ctx->reqs_available (atomic_t)
  std::vector<Shared<unsigned>*> pools_;         // per CPU: kcpu->reqs_available
  Shared<unsigned>* completed_events_ = nullptr;  // ctx->completed_events (3.17 on)
  unsigned req_batch_ = 1;
  Guard guard_ = Guard::LocalIrqSave;
};

}  // namespace models
