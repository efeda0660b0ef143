// SPDX-License-Identifier: GPL-2.0-only
// Linux 3.12: ring slots counted per CPU (struct kioctx_cpu, under
// preempt_disable) and given back at reap; ctx->users a percpu_ref; no
// kiocb reference count; aio_complete with no cancelled test; io_cancel
// calls the driver's method with ctx_lock held and returns -EINPROGRESS.
// The code is percpu_reqs.cpp, shared with 3.17; so are the lock counts and
// explorer verdicts (percpu_reqs_info.cpp). What differs is here.
#include "models/designs/percpu_reqs.hpp"
#include "models/designs/registry.hpp"

namespace models {

DesignInfo v3_12() {
  return {
      .name = "v3.12",
      .tag = "Linux 3.12",
      .description = "per-CPU reqs_available (preempt_disable) returned at reap, percpu_ref users, cancel method under "
                     "ctx_lock, io_cancel -EINPROGRESS",
      .planted_bug = false,
      .make = [] { return std::make_unique<PercpuReqsDesign>("v3.12", PercpuReqsDesign::Release::V3_12); },
      .era_lock = sim::LockKind::Ticket,
      .path_locks = percpu_reqs_path_locks(),  // the same as v3.17's (percpu_reqs_info.cpp)
      .explore = percpu_reqs_explore(),
      .gadgetfs_cancel_deadlocks = true,
  };
}

}  // namespace models
