// SPDX-License-Identifier: GPL-2.0-only
#include "sim/step_driver.hpp"

#include <limits>

#include <algorithm>
#include <stdexcept>

#include "sim/cpu.hpp"
#include "sim/gate.hpp"
#include "sim/machine.hpp"

namespace sim {

StepDriver::StepDriver(Machine& m) : Driver(m) {
  horizon_ = std::numeric_limits<Time>::min();  // every step is a choice point
  // No store buffers under the explorer: every store is visible and done at
  // its step (sequential consistency), the order the explorer reasons about.
  m.coherence().set_store_buffer(0);
  m.set_driver(this);
}

void StepDriver::yield(Context& c) {
  c.state_ = ContextState::Runnable;
  if (c.preempted) return;  // runs again when the handler returns
  runnable_.push_back(&c);
}

void StepDriver::make_runnable(Context& c) {
  c.state_ = ContextState::Runnable;
  if (std::find(runnable_.begin(), runnable_.end(), &c) == runnable_.end()) runnable_.push_back(&c);
}

void StepDriver::withdraw(Context& c) {
  runnable_.erase(std::remove(runnable_.begin(), runnable_.end(), &c), runnable_.end());
}

void StepDriver::schedule(Event&, Time) {
  throw std::logic_error("the step driver has no clock: scenario sources must not use timers");
}

std::vector<Context*> StepDriver::enabled() const {
  std::vector<Context*> out;
  for (Context* c : runnable_)
    if (!c->gate || c->gate->can_pass(*c)) out.push_back(c);
  return out;
}

std::vector<Cpu*> StepDriver::deliverable_irqs() const {
  std::vector<Cpu*> out;
  Machine& m = machine();
  for (int i = 0; i < m.cpus(); ++i) {
    Cpu& cpu = m.cpu(i);
    if (cpu.irq_pending() && cpu.irqs_enabled() && !cpu.in_irq_handler()) out.push_back(&cpu);
  }
  return out;
}

void StepDriver::step(Context& c) {
  auto it = std::find(runnable_.begin(), runnable_.end(), &c);
  if (it == runnable_.end()) throw std::logic_error(c.name() + " is not runnable");
  runnable_.erase(it);
  ++steps_;
  c.fire();
}

void StepDriver::deliver_irq(Cpu& cpu) {
  if (!cpu.irq_pending() || !cpu.irqs_enabled() || cpu.in_irq_handler())
    throw std::logic_error("no deliverable interrupt on that CPU");
  cpu.start_irq(cpu.task().local);
}

}  // namespace sim
