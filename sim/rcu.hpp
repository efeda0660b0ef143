// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// RCU as engine primitives: read-side critical sections, publishing an
// update, and the grace periods that wait for the readers (the kernel's
// TREE_RCU without preemptible readers, kernel/rcutree.c of v3.9).
//
//   sim::Rcu rcu;
//   rcu_read_lock(rcu);  T v = rcu_dereference(field, "name");  rcu_read_unlock(rcu);
//   rcu_assign_pointer(field, v, "name");           // also list_del_rcu / hlist_del_rcu
//   co_await synchronize_rcu(rcu, grace_period);     // waits for the readers begun before it
//   call_rcu(rcu, grace_period, fn);                 // fn runs once those readers are gone
//
// The read side, publishing and the start of a grace period are annotation
// steps (sim::is_annotation): in a non-preemptible kernel rcu_read_lock() is
// preempt_disable(), a compiler barrier, and rcu_dereference() /
// rcu_assign_pointer() are plain accesses ordered by barriers; none is a
// point where another CPU could go first that the step around it does not
// already give. So they cost nothing, never suspend, and are only reported
// to the observer, which is how the explorer derives the footprint of the
// transition that runs them. synchronize_rcu() is a real step: its return
// is gated on every read-side section that began before the call having
// ended. In timed runs it first idles the CPU for the grace period (the time
// TREE_RCU takes to see every CPU pass a quiescent state), exactly as a sleep
// of that length does.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/access.hpp"
#include "sim/event.hpp"
#include "sim/gate.hpp"

namespace sim {

// The RCU state of a machine: which contexts are inside a read-side section,
// since when (a section's ticket: the count of sections begun before it,
// itself included), and the grace periods in progress.
class Rcu {
 public:
  Rcu() = default;
  // Make room, before a run, for every context of the machine to be a
  // reader, a synchronize_rcu() caller or parked: entering a section then
  // never allocates (a run's allocation count stays what it was before RCU
  // was a primitive).
  void reserve(std::size_t contexts);
  Rcu(const Rcu&) = delete;
  Rcu& operator=(const Rcu&) = delete;
  ~Rcu();

  // Read-side sections open now.
  int readers() const { return static_cast<int>(readers_.size()); }
  bool in_read_section(const Context& c) const;
  // Is a section that began at or before `gp` (a grace period's ticket)
  // still open? Then that grace period has not ended.
  bool waits(std::uint64_t gp) const;
  // Callbacks queued by call_rcu() whose grace period has not ended.
  int callbacks_pending() const { return static_cast<int>(callbacks_.size()); }

  // The primitives' effects (use the functions below, which also report the step).
  int lock(const Context& c);     // returns the nesting depth before
  struct Unlocked {
    int nesting_before = 0;
    bool waited_for = false;  // ended a section some grace period waits for
  };
  Unlocked unlock(const Context& c);
  std::uint64_t start_grace_period();  // returns its ticket; register with waiting()
  void waiting(std::uint64_t gp) { gps_.push_back(gp); }
  void done_waiting(std::uint64_t gp);
  // A synchronize_rcu() caller whose gate did not pass: runnable again once
  // the grace period ends.
  void park(Context& c, std::uint64_t gp) { parked_.push_back({&c, gp}); }
  void queue_callback(std::uint64_t gp, std::function<void()> fn, Time due);

 private:
  struct Reader {
    const Context* ctx;
    int nesting;
    std::uint64_t began;
  };
  struct Parked {
    Context* ctx;
    std::uint64_t gp;
  };
  // A call_rcu() callback; under a timed driver it also waits until `due`.
  struct Callback final : Event {
    Rcu* rcu = nullptr;
    std::uint64_t gp = 0;
    std::function<void()> fn;
    bool time_passed = false;
    void fire() override;
  };
  void grace_periods_advanced(Time now);
  void run_ready_callbacks();

  std::vector<Reader> readers_;
  std::uint64_t sections_ = 0;
  std::vector<std::uint64_t> gps_;  // grace periods being waited for
  std::vector<Parked> parked_;
  std::vector<std::unique_ptr<Callback>> callbacks_;
};

namespace detail {
// Report an annotation step to the observer: no cost, no suspension.
inline void annotate(const Step& s, std::int64_t before, std::int64_t after) {
  Context& c = current();
  if (Observer* o = c.observer()) o->on_step(c, s, c.local, 0, before, after);
}
}  // namespace detail

// rcu_read_lock() / rcu_read_unlock() of the current context (they nest).
void rcu_read_lock(Rcu& rcu);
void rcu_read_unlock(Rcu& rcu);

// rcu_dereference(): read an RCU-protected field inside a read-side section.
template <class T>
T rcu_dereference(const T& field, const char* what) {
  const T v = field;
  detail::annotate(Step{StepKind::RcuDereference, &field, nullptr, what}, detail::trace_value(v), detail::trace_value(v));
  return v;
}
// rcu_assign_pointer() (and list_del_rcu / hlist_del_rcu, which unpublish an
// entry the same way): readers that start after it see the new value.
template <class T, class U>
void rcu_assign_pointer(T& field, U value, const char* what) {
  const T old = field;
  field = static_cast<T>(value);
  detail::annotate(Step{StepKind::RcuAssign, &field, nullptr, what}, detail::trace_value(old), detail::trace_value(field));
}

// synchronize_rcu(): returns once every read-side section begun before the
// call has ended; in timed runs not before `grace_period` has passed either.
struct SynchronizeRcuOp : detail::StepAwaiter, Gate {
  SynchronizeRcuOp(Rcu& r, Time grace);
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
  bool pass(Context& c) override;
  bool can_pass(const Context&) const override { return !rcu->waits(gp); }

  Rcu* rcu;
  Time grace;
  std::uint64_t gp = 0;
  bool immediate = false;  // timed, nothing to wait for: no suspension
};
inline SynchronizeRcuOp synchronize_rcu(Rcu& rcu, Time grace_period) { return SynchronizeRcuOp{rcu, grace_period}; }

// call_rcu(): `fn` runs once every read-side section begun before the call
// has ended (and, in timed runs, `grace_period` has passed), from whatever
// ends the grace period: the rcu_read_unlock() that closes the last such
// section, a timer, or call_rcu() itself when no reader is inside. Like an
// RCU callback (softirq context) it must not sleep: plain code, no steps.
void call_rcu(Rcu& rcu, Time grace_period, std::function<void()> fn);

}  // namespace sim
