// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Spinlocks and the sleeping mutex.
//
// Three spinlock kinds share one implementation and differ in who gets the
// lock on release and what the handoff costs:
//  - ticket: FIFO; all waiters spin on the lock's line, so a release
//    invalidates every one of them and the next ticket holder's re-read is
//    served, on average, after half of the others' (Boyd-Wickizer et al.
//    2012): handoff = release + transfer x (1 + (k-1)/2).
//  - queued (qspinlock/MCS): FIFO; only the head waiter spins on the lock
//    word, the others on their own MCS node: handoff = release + one transfer
//    + the new owner's atomic, whatever k is.
//  - tas (test-and-test-and-set): every waiter spins on the line and races
//    with an atomic when it sees the lock free; the winner is whoever's
//    atomic is served first (random), the rest keep the line busy.
// A waiter is parked (no polling events) and resumed at its computed
// acquisition time, so an uncontended acquisition costs no context switch
// and a contended one exactly one.
//
// The kernel-named operations are the API model code uses:
//   co_await spin_lock(l);           co_await spin_unlock(l);
//   co_await spin_lock_irq(l);       co_await spin_unlock_irq(l);
//   auto f = co_await spin_lock_irqsave(l);  co_await spin_unlock_irqrestore(l, f);
//   co_await mutex_lock(m);          co_await mutex_unlock(m);
#include <string>

#include "sim/access.hpp"
#include "sim/fifo.hpp"
#include "sim/lock_stats.hpp"
#include "sim/rng.hpp"

namespace sim {

enum class LockKind { Ticket, Queued, Tas, Mutex };
const char* to_string(LockKind k);
LockKind lock_kind_from_string(const std::string& s);  // ticket|qspinlock|tas

class LockBase {
 public:
  LockBase(std::string name, CacheLine& line, LockKind kind, Machine& m);
  LockBase(const LockBase&) = delete;
  LockBase& operator=(const LockBase&) = delete;

  const std::string& name() const { return name_; }
  LockKind kind() const { return kind_; }
  CacheLine& line() const { return *line_; }
  const Context* holder() const { return holder_; }
  bool held_by(const Context& c) const { return holder_ == &c; }
  int waiters() const { return static_cast<int>(waiters_.size()); }
  const LockStats& stats() const { return stats_; }

  // Gate protocol (called by the acquisition step).
  bool try_acquire_or_wait(Context& c);
  bool can_acquire(const Context& c) const;
  void release(Context& c);
  // A granted waiter resumed: finish the acquisition bookkeeping.
  void acquired(Context& c, Time waited_since);

 private:
  void check_self_deadlock(const Context& c) const;
  Time handoff_time(const Context& from, const Context& to, Time released_at) const;
  Context* choose_next();

  std::string name_;
  CacheLine* line_;
  LockKind kind_;
  Machine* machine_;
  Context* holder_ = nullptr;
  Time acquired_at_ = 0;
  Fifo<Context*> waiters_;
  LockStats stats_;
  Rng rng_;
};

class Spinlock : public LockBase {
 public:
  Spinlock(std::string name, CacheLine& line, LockKind kind, Machine& m) : LockBase(std::move(name), line, kind, m) {}
};

class Mutex : public LockBase {
 public:
  Mutex(std::string name, CacheLine& line, Machine& m) : LockBase(std::move(name), line, LockKind::Mutex, m) {}
};

enum class IrqMode : std::uint8_t { Keep, Disable, Save };

// The acquisition step: a gate (it may wait) that returns the saved IRQ flag.
struct LockAcquireOp : detail::StepAwaiter, Gate {
  LockBase* lock;
  IrqMode irq;
  bool irq_done = false;
  bool flags = true;  // IRQs were enabled before (the irqsave flags)
  bool waited = false;
  Time waiting_since = 0;

  LockAcquireOp(LockBase& l, IrqMode m)
      : detail::StepAwaiter{Step{StepKind::LockAcquire, &l, &l.line(), l.name().c_str()}}, lock(&l), irq(m) {}

  bool await_ready() {
    gate = this;
    return detail::StepAwaiter::await_ready();
  }
  bool pass(Context& c) override;
  bool can_pass(const Context& c) const override { return lock->can_acquire(c); }
  unsigned long await_resume();
};

struct LockReleaseOp : detail::StepAwaiter {
  LockBase* lock;
  IrqMode irq;
  bool flags;
  LockReleaseOp(LockBase& l, IrqMode m, bool f)
      : detail::StepAwaiter{Step{StepKind::LockRelease, &l, &l.line(), l.name().c_str()}}, lock(&l), irq(m), flags(f) {}
  void await_resume();
};

inline LockAcquireOp spin_lock(Spinlock& l) { return {l, IrqMode::Keep}; }
inline LockAcquireOp spin_lock_irq(Spinlock& l) { return {l, IrqMode::Disable}; }
inline LockAcquireOp spin_lock_irqsave(Spinlock& l) { return {l, IrqMode::Save}; }
inline LockReleaseOp spin_unlock(Spinlock& l) { return {l, IrqMode::Keep, false}; }
inline LockReleaseOp spin_unlock_irq(Spinlock& l) { return {l, IrqMode::Disable, true}; }
inline LockReleaseOp spin_unlock_irqrestore(Spinlock& l, unsigned long flags) {
  return {l, IrqMode::Save, flags != 0};
}
inline LockAcquireOp mutex_lock(Mutex& m) { return {m, IrqMode::Keep}; }
inline LockReleaseOp mutex_unlock(Mutex& m) { return {m, IrqMode::Keep, false}; }

// assert_spin_locked(): the caller must hold `l` (checked, not timed).
void assert_spin_locked(const LockBase& l);

// IRQ flag steps: local_irq_save/restore/disable/enable.
struct IrqFlagOp : detail::StepAwaiter {
  bool on;
  bool restore_to;
  explicit IrqFlagOp(bool turn_on, bool restore, Cpu& cpu)
      : detail::StepAwaiter{Step{turn_on ? StepKind::IrqOn : StepKind::IrqOff, &cpu, nullptr, "irq flag"}},
        on(turn_on), restore_to(restore) {}
  unsigned long await_resume();
};
IrqFlagOp local_irq_disable();
IrqFlagOp local_irq_enable();
IrqFlagOp local_irq_save();
IrqFlagOp local_irq_restore(unsigned long flags);

}  // namespace sim
