// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A user-space semaphore (futex-backed): one thread waits with its CPU idle,
// others post; a post to a sleeper wakes it after the wake-up latency.

#include "sim/access.hpp"
#include "sim/fifo.hpp"

namespace sim {

class Semaphore {
 public:
  struct WaitOp {
    Semaphore* sem;
    bool await_ready() const { return sem->count_ > 0 && (--sem->count_, true); }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();
  };
  WaitOp wait() { return WaitOp{this}; }
  // From any context (or an event callback): at time `at`.
  void post(Time at);
  int waiters() const { return static_cast<int>(waiters_.size()); }

 private:
  int count_ = 0;
  Fifo<Context*> waiters_;
};

}  // namespace sim
