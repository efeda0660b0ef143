// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Lets an outside scheduler choose, at every step, which context goes next.
// Time is not used to order anything here: each choice runs exactly one
// pending step of one context (and the private work up to its next step).
// Interrupts are delivered only when chosen (deliver_irq), which covers every
// moment a device could have raised them.
#include <vector>

#include "sim/driver.hpp"

namespace sim {

class StepDriver final : public Driver {
 public:
  explicit StepDriver(Machine& m);

  Time now() const override { return 0; }
  bool timed() const override { return false; }
  void yield(Context& c) override;
  void make_runnable(Context& c) override;
  void withdraw(Context& c) override;
  void schedule(Event& e, Time at) override;
  void stop() override { stopped_ = true; }
  bool stopped() const { return stopped_; }

  // Contexts that can take their pending step now (their gate would pass).
  std::vector<Context*> enabled() const;
  // Contexts waiting to run (enabled or not).
  const std::vector<Context*>& runnable() const { return runnable_; }
  // CPUs with an interrupt pending that could be delivered now.
  std::vector<Cpu*> deliverable_irqs() const;

  // Run `c`'s pending step (and its private work up to the next step).
  void step(Context& c);
  void deliver_irq(Cpu& cpu);
  std::uint64_t steps() const { return steps_; }

 private:
  std::vector<Context*> runnable_;
  std::uint64_t steps_ = 0;
  bool stopped_ = false;
};

}  // namespace sim
