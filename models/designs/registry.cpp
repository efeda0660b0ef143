// SPDX-License-Identifier: GPL-2.0-only
#include "models/designs/registry.hpp"

namespace models {

const std::vector<DesignInfo>& designs() {
  static const std::vector<DesignInfo> all = {
      seed_era_v39(),
      seed_era_lazy_cancel(),
      broken_plain_cancel(),
      broken_irq_unsafe_cancel(),
      broken_plain_cancel_early(),
  };
  return all;
}

const DesignInfo* find_design(const std::string& name) {
  for (const auto& d : designs())
    if (d.name == name) return &d;
  return nullptr;
}

}  // namespace models
