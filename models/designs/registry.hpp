// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The kioctx designs aiosim knows. Adding one: a new file in this folder
// defining a class derived from AioDesign (or a set of switches), plus one
// line in registry.cpp.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/aio/aio.hpp"
#include "sim/spinlock.hpp"

namespace models {

struct DesignInfo {
  std::string name;
  std::string description;
  bool planted_bug = false;  // a deliberately broken variant, for the explorer's tests
  std::function<std::unique_ptr<AioDesign>()> make;
  // The spinlock of the design's kernel, what kioctx.lock = "era" picks:
  // x86's arch_spinlock_t is the ticket lock until v4.1 and qspinlock from
  // v4.2 (commit "locking/qspinlock, x86: Enable x86-64 to use queued
  // spinlocks"). Every design here is of 2013 (v3.9/v3.10).
  sim::LockKind era_lock = sim::LockKind::Ticket;
};

const std::vector<DesignInfo>& designs();
const DesignInfo* find_design(const std::string& name);

// Registration functions, one per design file.
DesignInfo seed_era_v39();
DesignInfo seed_era_lazy_cancel();
DesignInfo broken_plain_cancel();
DesignInfo broken_irq_unsafe_cancel();
DesignInfo broken_plain_cancel_early();

}  // namespace models
