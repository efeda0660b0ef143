// SPDX-License-Identifier: GPL-2.0-only
// The two ends of the seed commit: its parent and the commit itself. Every
// subset in between is these with kioctx.<switch> overrides.
#include "models/designs/registry.hpp"

namespace models {

DesignInfo seed_era_v39() {
  return {"v3.9",
          "fs/aio.c just before the seed (mm tree, April 2013): every kiocb on active_reqs, "
          "aio_complete under ctx_lock (irqsave), KIF_CANCELLED flag",
          false, [] { return std::make_unique<AioDesign>("v3.9", Switches{false, false, false, false}); }};
}

DesignInfo seed_era_lazy_cancel() {
  return {"lazy-cancel",
          "the seed, \"aio: use cancellation list lazily\": only cancellable kiocbs listed, "
          "xchg/cmpxchg on ki_cancel, ring under completion_lock, __GFP_ZERO",
          false, [] { return std::make_unique<AioDesign>("lazy-cancel", Switches{true, true, true, true}); }};
}

}  // namespace models
