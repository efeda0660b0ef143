// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A step is one visible operation of a context: a shared-memory access, an
// atomic, a lock operation, an IRQ flag change, going to sleep, an RCU
// primitive. Steps are the only points where another context may run first;
// the explorer sees them to decide which interleavings are worth trying (two
// steps on different objects, or two reads, commute). Its kind says what it
// does: nothing outside the step (a function's name, the `what` label) is
// needed to know whom it can race with.
//
// Annotation steps (is_annotation) are reported to the observer but are no
// point where another context may run: they touch no shared memory (the RCU
// read side of a non-preemptible kernel is preempt_disable(), a compiler
// barrier) and cost nothing, so they belong to the transition that runs them
// (sim/rcu.hpp).
#include <cstdint>

namespace sim {

class CacheLine;

enum class StepKind : std::uint8_t {
  Load,         // READ_ONCE / plain read of a shared field
  Store,        // WRITE_ONCE / plain write
  Rmw,          // atomic read-modify-write: inc/dec/add, xchg, cmpxchg, test_and_set
  LockAcquire,  // spin_lock*, mutex_lock
  LockRelease,  // spin_unlock*, mutex_unlock
  IrqOff,       // local_irq_disable / local_irq_save
  IrqOn,        // local_irq_enable / local_irq_restore
  Wake,         // wake_up on a wait queue
  // Appended (trace records store the kind as a number).
  Start,           // a context's first transition: its root task begins (no object)
  Schedule,        // schedule(): tests the current task's state and sleeps unless woken (no object)
  RcuReadLock,     // annotation: rcu_read_lock() on a sim::Rcu; before = nesting depth
  RcuReadUnlock,   // annotation: rcu_read_unlock(); after = 1 if it ended a section a grace period waits for
  RcuDereference,  // annotation: rcu_dereference() of an RCU-protected field (a read)
  RcuAssign,       // annotation: rcu_assign_pointer() / hlist_del_rcu() of an RCU-protected field (a write)
  SynchronizeRcu,  // annotation: synchronize_rcu() is called, a grace period starts
  CallRcu,         // annotation: call_rcu() queues a callback, a grace period starts
  GracePeriodEnd,  // synchronize_rcu() returns: every section begun before the call has ended
};

// Reported to the observer, but no point where another context may run.
constexpr bool is_annotation(StepKind k) {
  return k == StepKind::RcuReadLock || k == StepKind::RcuReadUnlock || k == StepKind::RcuDereference ||
         k == StepKind::RcuAssign || k == StepKind::SynchronizeRcu || k == StepKind::CallRcu;
}

const char* to_string(StepKind k);

struct Step {
  StepKind kind;
  const void* object;  // identity of the field, lock or wait queue touched
  CacheLine* line;     // where it lives (nullptr: no coherence cost)
  const char* what;    // field or lock name, for traces and reports

  bool writes() const { return kind != StepKind::Load; }
};

}  // namespace sim
