// SPDX-License-Identifier: GPL-2.0-only
#include "sim/spinlock.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "sim/violation.hpp"

namespace sim {

namespace {
// An access of the lock word by `c` itself: its cost, told to the profile.
Time own_access(Coherence& coh, CacheLine& line, Context& c, AccessKind kind) {
  const Time cost = coh.access(line, c.cpu().id(), kind, c.local);
  if (CpuProfile* p = c.profile()) p->access(c.profile_ctx(), line, kind, c.local, cost);
  return cost;
}
}  // namespace

const char* to_string(LockKind k) {
  switch (k) {
    case LockKind::Ticket: return "ticket";
    case LockKind::Queued: return "qspinlock";
    case LockKind::Tas: return "tas";
    case LockKind::Mutex: return "mutex";
  }
  return "?";
}

LockKind lock_kind_from_string(const std::string& s) {
  if (s == "ticket") return LockKind::Ticket;
  if (s == "qspinlock") return LockKind::Queued;
  if (s == "tas") return LockKind::Tas;
  throw std::invalid_argument("unknown lock kind: " + s);
}

LockBase::LockBase(std::string name, CacheLine& line, LockKind kind, Machine& m)
    : name_(std::move(name)), line_(&line), kind_(kind), machine_(&m), rng_(m.seed, "lock:" + name_) {}

// A spinner whose lock is held by the very context it interrupted, or that
// queued behind it, waits forever: lockdep's "inconsistent lock state" made
// real. Report it instead of hanging.
void LockBase::check_self_deadlock(const Context& c) const {
  auto report = [&](const Context& other, const char* how) {
    throw Violation(ViolationKind::Deadlock,
                    fmt::format("deadlock: {} spins on {} {} by {} on the same CPU {}", c.name(), name_, how,
                                other.name(), c.cpu().id()),
                    fmt::format("  lock:    {}\n  waiter:  {} in {}\n  holder:  {} in {}\n", name_, c.name(),
                                c.call_chain(), other.name(), other.call_chain()));
  };
  if (holder_ == &c) report(c, "already held");
  // Only a hardirq context can interleave with another context of its CPU.
  if (!c.in_irq()) return;
  if (holder_ && &holder_->cpu() == &c.cpu()) report(*holder_, "held");
  const Context& task = c.cpu().task();
  if (kind_ != LockKind::Tas && task.waiting_lock == this) report(task, "queued ahead");
}

bool LockBase::can_acquire(const Context&) const { return holder_ == nullptr && waiters_.empty(); }

bool LockBase::try_acquire_or_wait(Context& c) {
  const Time stats_start = machine_->stats_start();
  Coherence& coh = machine_->coherence();
  // The acquisition is a locked instruction: the CPU's store buffer drains first.
  if (coh.store_buffer_entries() > 0) c.local += coh.drain_store_buffer(c.cpu().id(), c.local);
  const Time attempt = c.local;  // the wait a contended acquisition records starts here
  if (kind_ == LockKind::Mutex && (c.in_irq() || !c.cpu().irqs_enabled()))
    throw Violation(ViolationKind::Invariant,
                    fmt::format("BUG: sleeping function called from invalid context: mutex_lock({}) by {}", name_,
                                c.name()),
                    fmt::format("  in {}\n", c.call_chain()));
  if (holder_ == nullptr && waiters_.empty()) {
    c.local += own_access(coh, *line_, c, AccessKind::Rmw);
    holder_ = &c;
    acquired_at_ = c.local;
    if (c.local >= stats_start) {
      ++stats_.acquisitions;
      stats_.wait.record(0);
    }
    return true;
  }
  check_self_deadlock(c);
  // The failed attempt: ticket takes a ticket (xadd), qspinlock swaps the
  // MCS tail, tas reads the line.
  c.local += own_access(coh, *line_, c, kind_ == LockKind::Tas ? AccessKind::Load : AccessKind::Rmw);
  stats_.wait_begins(attempt, stats_start);
  bool spins_on_line = kind_ == LockKind::Ticket || kind_ == LockKind::Tas || waiters_.empty();
  waiters_.push_back(&c);
  c.waiting_lock = this;
  if (spins_on_line) line_->add_spinner(c.cpu().id());
  if (waiters() > stats_.max_waiters && c.local >= stats_start) stats_.max_waiters = waiters();
  c.state_ = ContextState::Blocked;
  c.blocked_since = c.local;
  if (CpuProfile* p = c.profile()) p->spin_on(c.profile_ctx(), name_.c_str());
  if (c.in_irq()) c.cpu().set_irq_spinning(true, c.local);
  else c.cpu().set_task_activity(Activity::Spin, c.local);
  if (Observer* o = machine_->observer) o->on_lock(c, *this, LockEvent::Spin, attempt, waiters());  // the wait starts at the attempt
  return false;
}

Context* LockBase::choose_next() {
  if (kind_ == LockKind::Tas && machine_->driver().timed() && waiters_.size() > 1) {
    // Whichever spinner's atomic reaches the line first; no fairness.
    const auto i = static_cast<std::size_t>(rng_.below(waiters_.size()));
    Context* next = waiters_[i];
    waiters_.erase_at(i);
    return next;
  }
  Context* next = waiters_.front();
  waiters_.pop_front();
  return next;
}

Time LockBase::handoff_time(const Context& from, const Context& to, Time t) const {
  Coherence& coh = machine_->coherence();
  const Time xfer = coh.transfer_cost(from.cpu().id(), to.cpu().id());
  switch (kind_) {
    case LockKind::Ticket: {
      // k waiters re-read the line one after another; the next ticket's
      // read comes, on average, after half of the others.
      const auto k = static_cast<Time>(waiters_.size()) + 1;
      return t + xfer + xfer * (k - 1) / 2;
    }
    default:
      return t;  // queued and tas: charged by the new owner's atomic below
  }
}

void LockBase::release(Context& c) {
  if (holder_ != &c)
    throw Violation(ViolationKind::LockOwnership,
                    fmt::format("{} releases {} held by {}", c.name(), name_, holder_ ? holder_->name() : "nobody"),
                    fmt::format("  in {}\n", c.call_chain()));
  const Time stats_start = machine_->stats_start();
  Coherence& coh = machine_->coherence();
  const Time t = c.local;
  if (acquired_at_ >= stats_start) {
    stats_.hold.record(t - acquired_at_);
    stats_.held_total += t - acquired_at_;
  }
  // The release is a plain store (x86: ticket's unlocked add to head,
  // qspinlock's store-release of the locked byte): with store buffers the
  // releaser goes on and waiters see it when it drains.
  Time visible;
  if (coh.store_buffer_entries() > 0) {
    const Coherence::BufferedStore b = coh.buffered_store(*line_, c.cpu().id(), t);
    if (CpuProfile* p = c.profile()) p->access(c.profile_ctx(), *line_, AccessKind::Store, t, b.cpu_cost);
    c.local += b.cpu_cost;
    visible = b.visible;
  } else {
    c.local += own_access(coh, *line_, c, AccessKind::Store);
    visible = c.local;
  }
  if (Observer* o = machine_->observer) o->on_lock(c, *this, LockEvent::Released, t, waiters());
  if (waiters_.empty()) {
    holder_ = nullptr;
    return;
  }
  Context* next = choose_next();
  Time grant = handoff_time(c, *next, visible);
  const int next_cpu = next->cpu().id();
  line_->remove_spinner(next_cpu);
  if (kind_ == LockKind::Tas) {
    grant += coh.access(*line_, next_cpu, AccessKind::Rmw, visible);
    for (std::size_t i = 0; i < waiters_.size(); ++i) coh.access(*line_, waiters_[i]->cpu().id(), AccessKind::Rmw, visible);
  } else if (kind_ != LockKind::Ticket) {
    grant += coh.access(*line_, next_cpu, AccessKind::Rmw, visible);
    if (!waiters_.empty()) {
      // The new owner hands the head of the MCS queue to the next node. That
      // is a store to the next node's line (arch_mcs_spin_unlock_contended):
      // it does not delay the new owner, so the handoff stays the same
      // whatever the number of waiters. The next node now spins on the lock.
      Context* head = waiters_.front();
      line_->add_spinner(head->cpu().id());
    }
  }
  holder_ = next;
  next->waiting_lock = nullptr;
  acquired_at_ = grant;
  if (next->local < grant) next->local = grant;
  if (next->preempted) {
    next->wake_deferred = true;  // lock-holder preemption: it owns the lock but runs an IRQ first
    return;
  }
  machine_->driver().make_runnable(*next);
}

void LockBase::acquired(Context& c, Time waited_since) {
  const Time stats_start = machine_->stats_start();
  stats_.wait_ends(c.local, stats_start);
  if (c.in_irq()) c.cpu().set_irq_spinning(false, c.local);
  else c.cpu().set_task_activity(Activity::Task, c.local);
  if (acquired_at_ < c.local) acquired_at_ = c.local;  // resumed late (it was preempted)
  if (waited_since >= stats_start) {
    ++stats_.acquisitions;
    ++stats_.contended;
    stats_.wait.record(c.local - waited_since);
  }
  if (Observer* o = machine_->observer) o->on_lock(c, *this, LockEvent::Acquired, c.local, waiters());
}

bool LockAcquireOp::pass(Context& c) {
  if (!irq_done) {
    irq_done = true;
    flags = c.cpu().irqs_enabled();
    if (irq != IrqMode::Keep) c.cpu().set_irqs_enabled(false, c.local);
    waiting_since = c.local;
  }
  if (lock->try_acquire_or_wait(c)) return true;
  waited = true;
  return false;
}

unsigned long LockAcquireOp::await_resume() {
  Context& c = current();
  if (waited) lock->acquired(c, waiting_since);
  else if (Observer* o = c.cpu().machine().observer) o->on_lock(c, *lock, LockEvent::Acquired, c.local, lock->waiters());
  record(waiting_since, 0, 1);
  return flags ? 1UL : 0UL;
}

void LockReleaseOp::await_resume() {
  Context& c = current();
  Time at = c.local;
  lock->release(c);
  record(at, 1, 0);
  if (irq == IrqMode::Disable || (irq == IrqMode::Save && flags)) c.cpu().set_irqs_enabled(true, c.local);
}

void assert_spin_locked(const LockBase& l) {
  const Context& c = current();
  if (!l.held_by(c))
    throw Violation(ViolationKind::LockOwnership,
                    fmt::format("assert_spin_locked({}) fails in {}", l.name(), c.name()),
                    fmt::format("  in {}\n  holder: {}\n", c.call_chain(), l.holder() ? l.holder()->name() : "none"));
}

unsigned long IrqFlagOp::await_resume() {
  Context& c = current();
  Time at = c.local;
  bool was = c.cpu().irqs_enabled();
  record(at, was, on ? restore_to : false);
  c.cpu().set_irqs_enabled(on ? restore_to : false, at);
  return was ? 1UL : 0UL;
}

IrqFlagOp local_irq_disable() { return IrqFlagOp(false, false, current().cpu()); }
IrqFlagOp local_irq_save() { return IrqFlagOp(false, false, current().cpu()); }
IrqFlagOp local_irq_enable() { return IrqFlagOp(true, true, current().cpu()); }
IrqFlagOp local_irq_restore(unsigned long flags) { return IrqFlagOp(true, flags != 0, current().cpu()); }

}  // namespace sim
