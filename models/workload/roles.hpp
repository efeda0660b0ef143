// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Which CPUs each role of a run gets. A role key (workload.submitters,
// workload.reapers, usb.cancellers, block.irq_cpus) holds an explicit CPU
// list, a count, a share of the machine or "rest" (sim::config::CpuSetSpec),
// so that one config scales with machine.cpus.
//
// The order (docs/sweeps.md, "Roles that scale with the machine"):
//  1. explicit lists are taken as given (they may overlap: an interrupt CPU
//     may also run a task, as before);
//  2. every other role gets a block of the lowest CPUs no explicit list
//     names, in the order submitters, reapers, cancellers, interrupt CPUs,
//     each block after the one before;
//  3. a count is that many CPUs; a share p% is round(p/100 x CPUs of the
//     machine), but at least 1 when p > 0 (0% is none); "rest" (one role at
//     most) is what the others leave.
// Bad input is a ConfigError at the role's key: a CPU beyond the machine, a
// block that does not fit in what is left ("needs 4 CPUs, 2 are left"), a
// "rest" that gets nothing, two roles asking for the rest.
#include <vector>

#include "sim/config.hpp"

namespace models {

struct RoleAssignment {
  std::vector<int> submitters, reapers, cancellers, irq_cpus;
};

// `cancels` says whether the run issues io_cancel calls: when it does not, a
// count or share of usb.cancellers (its default is 1) gives no CPU.
RoleAssignment resolve_roles(const sim::config::Config& cfg, int ncpus, bool cancels);

}  // namespace models
