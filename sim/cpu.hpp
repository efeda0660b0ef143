// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A simulated CPU: a task context, a hardirq context, the IRQ-enable flag,
// pending interrupts, and where its time went.
#include <array>
#include <cstdint>
#include <memory>

#include <boost/intrusive/list.hpp>

#include "sim/context.hpp"
#include "sim/stats/histogram.hpp"

namespace simgrid::s4u {
class Host;
}

namespace sim {

class Machine;

// An interrupt vector of one device on one CPU (an MSI/MSI-X message), with
// its pending bit: raising a vector that is already pending is a no-op, as
// the local APIC latches at most one pending interrupt per vector while IRQs
// are off or a handler runs. A device that completes several requests per
// interrupt keeps its own completion queue and drains it in the handler.
// Embedded in the device, so raising one allocates nothing.
// (A plain flag, not the hook's is_linked(): a device may be destroyed
// while its vector is still pending, before the CPU's list.)
struct IrqRequest : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>> {
  using Handler = Task<void> (*)(IrqRequest&);
  Handler handler = nullptr;
  const char* name = "irq";
  void* owner = nullptr;  // the device, for handlers shared by several
  Time raised = 0;        // when the pending bit was set
  bool pending() const { return pending_bit; }
  bool pending_bit = false;  // set by Cpu::raise_irq, cleared when the handler starts
};

enum class Activity : std::uint8_t { Idle, Task, Spin, Irq };
inline constexpr int kActivities = 4;

class Cpu {
 public:
  Cpu(Machine& m, int id);
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  int id() const { return id_; }
  Machine& machine() const { return *machine_; }
  Context& task() { return task_; }
  Context& irq() { return irq_; }
  const Context& task() const { return task_; }
  const Context& irq() const { return irq_; }

  // The hardware IRQ-enable flag (EFLAGS.IF).
  bool irqs_enabled() const { return irqs_enabled_; }
  // For local_irq_* and spin_lock_irq*: change the flag at time `at`; turning
  // it on starts any interrupt that was held off.
  void set_irqs_enabled(bool on, Time at);

  // A device raises interrupt vector `r` on this CPU now; if `r` is already
  // pending the raise is absorbed (latched), as the hardware does.
  void raise_irq(IrqRequest& r);
  bool irq_pending() const { return !pending_.empty(); }
  bool in_irq_handler() const { return irq_.state() != ContextState::Idle; }
  // Start the first pending handler at `at` (the explorer calls this when it
  // chooses to deliver the interrupt).
  void start_irq(Time at);
  void irq_finished(Time at);  // the IRQ context's root returned

  // Time accounting: what the task context is doing, and spinning in IRQ.
  void set_task_activity(Activity a, Time at) {
    if (a != task_activity_) change_task_activity(a, at);  // inline: asked at every resumption
  }
  void set_irq_spinning(bool spinning, Time at);
  Time time_in(Activity a) const { return time_[static_cast<int>(a)]; }
  void close_accounting(Time at);  // charge the current activity up to `at`
  // From the raise that set a vector's pending bit to its handler's entry.
  const Histogram& irq_latency() const { return irq_latency_; }
  // Raises absorbed by an already-pending vector (after the warm-up).
  std::uint64_t irqs_latched() const { return irqs_latched_; }

  simgrid::s4u::Host* host = nullptr;

  // Attribute this CPU's busy time to call chains (nullptr: off).
  void set_profile(CpuProfile* p) {
    profile_ = p;
    task_.set_profile(p);
    irq_.set_profile(p);
  }

 private:
  Activity effective() const;
  void charge(Time at);
  void change_task_activity(Activity a, Time at);
  void note_activity(Time at);  // tell the observer if effective() changed

  Machine* machine_;
  int id_;
  Context task_;
  Context irq_;
  bool irqs_enabled_ = true;
  boost::intrusive::list<IrqRequest> pending_;

  Activity task_activity_ = Activity::Idle;
  bool irq_spinning_ = false;
  Activity reported_ = Activity::Idle;
  Time since_ = 0;
  std::array<Time, kActivities> time_{};
  Histogram irq_latency_;
  std::uint64_t irqs_latched_ = 0;
  CpuProfile* profile_ = nullptr;
};

}  // namespace sim
