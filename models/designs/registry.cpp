// SPDX-License-Identifier: GPL-2.0-only
#include "models/designs/registry.hpp"

// Every design, in the order `aiosim designs` lists them: one line each,
// naming the function (defined in the design's own file here) that returns
// its DesignInfo.
#define AIOSIM_DESIGNS(X)      \
  X(linux_v3_9)                \
  X(seed_era_mm_parent)        \
  X(seed_era_lazy_cancel)      \
  X(v3_10)                     \
  X(v3_12)                     \
  X(v3_17)                     \
  X(v4_19)                     \
  X(io_uring)                  \
  X(broken_plain_cancel)       \
  X(broken_irq_unsafe_cancel)  \
  X(broken_plain_cancel_early)

namespace models {

#define AIOSIM_DECLARE_DESIGN(fn) DesignInfo fn();
AIOSIM_DESIGNS(AIOSIM_DECLARE_DESIGN)
#undef AIOSIM_DECLARE_DESIGN

const std::vector<DesignInfo>& designs() {
#define AIOSIM_CALL_DESIGN(fn) fn(),
  static const std::vector<DesignInfo> all = {AIOSIM_DESIGNS(AIOSIM_CALL_DESIGN)};
#undef AIOSIM_CALL_DESIGN
  return all;
}

const DesignInfo* find_design(const std::string& name) {
  for (const auto& d : designs())
    if (d.name == name) return &d;
  return nullptr;
}

}  // namespace models
