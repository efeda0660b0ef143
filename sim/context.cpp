// SPDX-License-Identifier: GPL-2.0-only
#include "sim/context.hpp"

#include <fmt/format.h>

#include "sim/cpu.hpp"
#include "sim/driver.hpp"
#include "sim/gate.hpp"
#include "sim/machine.hpp"
#include "sim/observer.hpp"
#include "sim/value_names.hpp"

namespace sim {

Context* current_context = nullptr;

const char* to_string(StepKind k) {
  switch (k) {
    case StepKind::Load: return "load";
    case StepKind::Store: return "store";
    case StepKind::Rmw: return "atomic";
    case StepKind::LockAcquire: return "lock";
    case StepKind::LockRelease: return "unlock";
    case StepKind::IrqOff: return "irq-off";
    case StepKind::IrqOn: return "irq-on";
    case StepKind::Wake: return "wake";
    case StepKind::Start: return "start";
    case StepKind::Schedule: return "schedule";
    case StepKind::RcuReadLock: return "rcu-lock";
    case StepKind::RcuReadUnlock: return "rcu-unlock";
    case StepKind::RcuDereference: return "rcu-deref";
    case StepKind::RcuAssign: return "rcu-assign";
    case StepKind::SynchronizeRcu: return "sync-rcu";
    case StepKind::CallRcu: return "call-rcu";
    case StepKind::GracePeriodEnd: return "gp-end";
  }
  return "?";
}

Context::Context(Cpu& cpu, ContextKind kind)
    : cpu_(&cpu), observer_(&cpu.machine().observer), driver_(cpu.machine().driver_slot()), coherence_(&cpu.machine().coherence()), kind_(kind), name_(fmt::format("cpu{}/{}", cpu.id(), kind == ContextKind::Task ? "task" : "irq")) {}

void Context::start(Task<void> r, Time at) {
  root = std::move(r);
  resume_point = root.handle();
  local = at;
  gate = nullptr;
  pending = Step{StepKind::Start, nullptr, nullptr, "start"};
  depth_ = 0;
  function_ = "?";
  if (profile_) profile_->restart(profile_ctx());
  finishing = false;
  cpu_->machine().driver().make_runnable(*this);
}

void Context::fire() {
  current_context = this;
  if (finishing) {
    finishing = false;
    finish();
    return;
  }
  if (gate) {
    Gate* g = gate;
    gate = nullptr;
    if (!g->pass(*this)) return;  // parked; its opener will run it
  }
  state_ = ContextState::Running;
  // A task context that runs is doing task work, whatever it was doing before
  // (not started yet, spinning, sleeping).
  if (kind_ == ContextKind::Task) cpu_->set_task_activity(Activity::Task, local);
  if (Observer* o = observer()) o->on_context(*this, true, local);
  resume_bounded(resume_point);
  if (!root.done()) return;
  // The root returned at `local`, possibly after private work that reaches
  // past other pending events. Its end (a handler's return re-enables IRQs
  // and lets the task go on; the CPU goes idle) happens at that time, in time
  // order like a step: if anything is due first, or an IRQ preempted the task
  // after its last step, finish when the driver comes back to it. A violation
  // raised inside the model is reported at once.
  Driver& d = driver();
  if (d.timed() && !root.handle().promise().exception_ && (preempted || !d.may_continue(*this))) {
    finishing = true;
    d.yield(*this);
    return;
  }
  finish();
}

void Context::finish() {
  // Charge the handler's time as IRQ time while the CPU is still in it.
  if (kind_ == ContextKind::Irq) cpu_->close_accounting(local);
  state_ = ContextState::Idle;
  if (Observer* o = cpu_->machine().observer) o->on_context(*this, false, local);
  root.result();  // rethrows a violation raised inside the model
  if (kind_ == ContextKind::Irq) cpu_->irq_finished(local);
  else cpu_->set_task_activity(Activity::Idle, local);
}

std::string Context::call_chain() const {
  std::string out;
  int n = depth_ < kMaxDepth ? depth_ : kMaxDepth;
  for (int i = n - 1; i >= 0; --i) {
    if (!out.empty()) out += " <- ";
    out += stack_[i];
  }
  return out.empty() ? "(top level)" : out;
}

std::string Context::history() const {
  std::string out;
  std::uint64_t n = history_next_ < kHistory ? history_next_ : kHistory;
  for (std::uint64_t i = history_next_ - n; i < history_next_; ++i) {
    const StepRecord& r = history_[i % kHistory];
    out += fmt::format("    {:>14.3f} ns  {:<8} {:<24} {:<20} {} -> {}\n", to_ns(r.time), to_string(r.kind),
                       r.function ? r.function : "?", r.what ? r.what : "?", value_text(r.what, r.before),
                       value_text(r.what, r.after));
  }
  return out;
}

}  // namespace sim
