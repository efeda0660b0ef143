// SPDX-License-Identifier: GPL-2.0-only
// Linux 3.17: the per-CPU slots of 3.12 come back at completion
// (refill_reqs_available under completion_lock, so the per-CPU count is
// guarded by local_irq_save) and, when a submitter finds its pools empty,
// from the submitter itself (user_refill_reqs_available takes
// completion_lock: submitters contend with completions). ctx->reqs, a
// second percpu_ref, counts requests in flight; io_destroy waits for them.
// The code is percpu_reqs.cpp, shared with 3.12; so are the lock counts and
// explorer verdicts (percpu_reqs_info.cpp). What differs is here.
#include "models/designs/percpu_reqs.hpp"
#include "models/designs/registry.hpp"

namespace models {

DesignInfo v3_17() {
  return {
      .name = "v3.17",
      .tag = "Linux 3.17",
      .description = "per-CPU reqs_available (local_irq_save) refilled at completion under completion_lock; a starved "
                     "io_submit takes completion_lock (user_refill_reqs_available)",
      .planted_bug = false,
      .make = [] { return std::make_unique<PercpuReqsDesign>("v3.17", PercpuReqsDesign::Release::V3_17); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = percpu_reqs_path_locks(),  // the same as v3.12's (percpu_reqs_info.cpp)
      .explore = percpu_reqs_explore(),
      .gadgetfs_cancel_deadlocks = true,
  };
}

}  // namespace models
