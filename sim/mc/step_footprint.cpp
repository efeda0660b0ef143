// SPDX-License-Identifier: GPL-2.0-only
#include "sim/mc/step_footprint.hpp"

namespace sim::mc {

ObjKey grace_key(ObjKey rcu) {
  std::uint64_t x = rcu ^ 0x6ACE6ACE6ACE6ACEull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void add_step_access(Footprint& f, StepKind k, ObjKey key, std::int64_t after) {
  switch (k) {
    case StepKind::Start: return;
    case StepKind::Load:
    case StepKind::RcuDereference: f.add(key, false); return;
    case StepKind::Store:
    case StepKind::Rmw:
    case StepKind::IrqOff:
    case StepKind::IrqOn:
    case StepKind::Wake:
    case StepKind::RcuAssign: f.add(key, true); return;
    case StepKind::LockAcquire: f.add(key, true, LockOp::Acquire); return;
    case StepKind::LockRelease: f.add(key, true, LockOp::Release); return;
    // schedule() tests the task state and sleeps on TASK_INTERRUPTIBLE: a
    // write, as its outcome depends on whether a wake-up came first.
    case StepKind::Schedule: f.add(key, true); return;
    case StepKind::RcuReadLock: f.add(key, false); return;
    case StepKind::RcuReadUnlock:
      f.add(key, false);
      if (after) f.add(grace_key(key), false, LockOp::Release);
      return;
    case StepKind::SynchronizeRcu:
    case StepKind::CallRcu: f.add(key, true); return;
    case StepKind::GracePeriodEnd: f.add(grace_key(key), true, LockOp::Acquire); return;
  }
  f.global = true;  // a kind this does not know: dependent with everything
}

}  // namespace sim::mc
