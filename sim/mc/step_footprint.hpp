// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// What a sim::Step does to the object it names, as model-checker accesses:
// the one place that turns a step's kind into reads, writes, acquires and
// releases. A system (the explorer's World) keys the object; this decides
// the rest from the kind alone, never from a function's name or a label.
//
// RCU (sim/rcu.hpp) uses two keys per sim::Rcu: the object's own key
// (SECTIONS) and grace_key() of it (GRACE). A read-side section's start and
// end read SECTIONS and the start of a grace period (synchronize_rcu()'s
// call, call_rcu()) writes it: which comes first decides whether that grace
// period waits for the reader, while two readers commute. The end of a
// section a grace period waits for (RcuReadUnlock with after = 1) releases
// GRACE and synchronize_rcu()'s return acquires it: ordered, never a race to
// reverse, since the return cannot come first. A section begun after the
// call is not waited for; its end touches no GRACE.
#include <cstdint>

#include "sim/mc/dpor.hpp"
#include "sim/step.hpp"

namespace sim::mc {

ObjKey grace_key(ObjKey rcu);

// Add to `f` what a step of kind `k` on the object keyed `key` does; `after`
// is the value the step reported after it ran (RcuReadUnlock: 1 when it
// ended a section a grace period waits for). Schedule's key is the
// sleeper's task state, which it tests and sets (a write). Start touches nothing.
void add_step_access(Footprint& f, StepKind k, ObjKey key, std::int64_t after = 0);

}  // namespace sim::mc
