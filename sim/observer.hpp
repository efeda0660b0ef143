// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Hooks for traces and the explorer. The hot path tests one pointer; with no
// observer installed nothing else is paid.
#include <cstdint>

#include "sim/step.hpp"
#include "sim/time.hpp"

namespace sim {

class Context;
class Cpu;
class Spinlock;
class LockBase;
class CacheLine;
enum class Activity : std::uint8_t;

// Latched: a raise of a vector that was already pending (absorbed).
enum class IrqEvent : std::uint8_t { Raised, Deferred, Started, Finished, Latched };
enum class LockEvent : std::uint8_t { Spin, Acquired, Released };

class Observer {
 public:
  virtual ~Observer() = default;
  // A step was taken at `at`, costing `cost`; `before`/`after` are the
  // field's values (equal for loads).
  virtual void on_step(const Context&, const Step&, Time /*at*/, Time /*cost*/, std::int64_t /*before*/,
                       std::int64_t /*after*/) {}
  virtual void on_function(const Context&, const char* /*fn*/, bool /*enter*/, Time /*at*/) {}
  virtual void on_irq(const Cpu&, IrqEvent, const char* /*name*/, Time /*at*/) {}
  virtual void on_lock(const Context&, const LockBase&, LockEvent, Time /*at*/, int /*waiters*/) {}
  virtual void on_context(const Context&, bool /*runs*/, Time /*at*/) {}
  // A cache line moved into `to_cpu`'s cache from `from_cpu`'s (-1: from
  // several sharers or the LLC), starting at `at` and taking `cost`.
  virtual void on_transfer(const CacheLine&, int /*from_cpu*/, int /*to_cpu*/, Time /*at*/, Time /*cost*/) {}
  // What a CPU does (task, spin, irq, idle) changed at `at`.
  virtual void on_activity(const Cpu&, Activity, Time /*at*/) {}
};

}  // namespace sim
