// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A step is one visible operation of a context: a shared-memory access, an
// atomic, a lock operation or an IRQ flag change. Steps are the only points
// where another context may run first; the explorer sees them to decide
// which interleavings are worth trying (two steps on different objects, or
// two reads, commute).
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
};

const char* to_string(StepKind k);

struct Step {
  StepKind kind;
  const void* object;  // identity of the field, lock or wait queue touched
  CacheLine* line;     // where it lives (nullptr: no coherence cost)
  const char* what;    // field or lock name, for traces and reports

  bool writes() const { return kind != StepKind::Load; }
};

}  // namespace sim
