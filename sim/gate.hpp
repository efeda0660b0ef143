// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A gate guards a step that may have to wait: a lock acquisition, going to
// sleep. pass() is tried when the step is due; if it cannot pass it parks the
// context (Blocked) and whoever opens it later (the lock's release, a
// wake-up) makes the context runnable again with the gate already passed.
namespace sim {

class Context;

class Gate {
 public:
  virtual ~Gate() = default;
  // Try to pass now; on failure the context is parked. May throw a Violation
  // (a deadlock that will never resolve).
  virtual bool pass(Context& c) = 0;
  // Would pass() succeed now? (For the explorer; no side effects.)
  virtual bool can_pass(const Context& c) const = 0;
};

}  // namespace sim
