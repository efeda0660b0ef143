// SPDX-License-Identifier: GPL-2.0-only
#include "sim/cpu.hpp"

#include "sim/driver.hpp"
#include "sim/machine.hpp"
#include "sim/observer.hpp"

namespace sim {

Cpu::Cpu(Machine& m, int id) : machine_(&m), id_(id), task_(*this, ContextKind::Task), irq_(*this, ContextKind::Irq) {}

Activity Cpu::effective() const {
  if (in_irq_handler()) return irq_spinning_ ? Activity::Spin : Activity::Irq;
  return task_activity_;
}

void Cpu::charge(Time at) {
  Time start = since_ > machine_->stats_start() ? since_ : machine_->stats_start();
  if (at > start) time_[static_cast<int>(effective())] += at - start;
  if (profile_) [[unlikely]] profile_->charge(in_irq_handler() ? CpuProfile::kIrq : CpuProfile::kTask, effective(), at, machine_->stats_start());
  if (at > since_) since_ = at;
}

void Cpu::note_activity(Time at) {
  Observer* o = machine_->observer;
  if (!o) return;
  const Activity a = effective();
  if (a == reported_) return;
  reported_ = a;
  o->on_activity(*this, a, at);
}

void Cpu::change_task_activity(Activity a, Time at) {
  if (!in_irq_handler()) charge(at);
  task_activity_ = a;
  note_activity(at);
}

void Cpu::set_irq_spinning(bool spinning, Time at) {
  charge(at);
  irq_spinning_ = spinning;
  note_activity(at);
}

void Cpu::close_accounting(Time at) { charge(at); }

void Cpu::set_irqs_enabled(bool on, Time at) {
  irqs_enabled_ = on;
  // Under the step driver delivery is the explorer's choice.
  if (on && !pending_.empty() && !in_irq_handler() && machine_->driver().timed()) start_irq(at);
}

void Cpu::raise_irq(IrqRequest& r) {
  Driver& d = machine_->driver();
  if (r.pending()) {  // the vector's pending bit is already set
    if (d.now() >= machine_->stats_start()) ++irqs_latched_;
    if (Observer* o = machine_->observer) o->on_irq(*this, IrqEvent::Latched, r.name, d.now());
    return;
  }
  r.raised = d.now();
  r.pending_bit = true;
  pending_.push_back(r);
  Observer* o = machine_->observer;
  if (o) o->on_irq(*this, IrqEvent::Raised, r.name, r.raised);
  if (!in_irq_handler() && irqs_enabled_ && d.timed()) start_irq(r.raised);
  else if (o) o->on_irq(*this, IrqEvent::Deferred, r.name, r.raised);
}

void Cpu::start_irq(Time at) {
  Driver& d = machine_->driver();
  if (!in_irq_handler() && !task_.preempted) {
    // The task context stops where it is; what it had left to do resumes
    // when the last handler returns.
    task_.preempted = true;
    task_.preempted_at = at;
    if (task_.state() == ContextState::Runnable) {
      task_.preempt_remaining = task_.local > at ? task_.local - at : 0;
      d.withdraw(task_);
    } else {
      task_.preempt_remaining = 0;  // running (it just re-enabled IRQs), blocked or idle
    }
  }
  charge(at);
  IrqRequest& r = pending_.front();
  pending_.pop_front();
  r.pending_bit = false;
  irqs_enabled_ = false;
  if (at >= machine_->stats_start()) irq_latency_.record(at - r.raised);
  if (Observer* o = machine_->observer) o->on_irq(*this, IrqEvent::Started, r.name, at);
  irq_.start(r.handler(r), at);
  note_activity(at);
}

void Cpu::irq_finished(Time at) {
  charge(at);
  if (Observer* o = machine_->observer) o->on_irq(*this, IrqEvent::Finished, "", at);
  if (!pending_.empty() && machine_->driver().timed()) {
    start_irq(at);
    return;
  }
  irqs_enabled_ = true;
  task_.preempted = false;
  Driver& d = machine_->driver();
  switch (task_.state()) {
    case ContextState::Runnable:  // withdrawn, or yielded while preempted
      if (profile_) profile_->shift(CpuProfile::kTask, at - task_.preempted_at);
      task_.local = at + task_.preempt_remaining;
      d.make_runnable(task_);
      break;
    case ContextState::Blocked:
      if (task_.wake_deferred) {
        task_.wake_deferred = false;
        if (task_.local < at) task_.local = at;
        d.make_runnable(task_);
      }
      break;
    default:
      break;
  }
  note_activity(at);
}

}  // namespace sim
