// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A context is one thread of control on a simulated CPU: the CPU's task
// context or its hardirq context. It runs one root Task (a workload thread,
// an IRQ handler) and carries what the kernel would know of it: its CPU, the
// functions it is in, the locks it holds, and its own clock.
#include <array>
#include <coroutine>
#include <cstdint>
#include <string>

#include <boost/intrusive/list_hook.hpp>

#include "sim/event.hpp"
#include "sim/observer.hpp"
#include "sim/profile.hpp"
#include "sim/step.hpp"
#include "sim/task.hpp"

namespace sim {

class Coherence;
class Cpu;
class Driver;
class Gate;

enum class ContextKind : std::uint8_t { Task, Irq };

enum class ContextState : std::uint8_t {
  Idle,       // no root task (an IRQ context between handlers, a task that finished)
  Runnable,   // waiting to take its pending step
  Running,
  Blocked,    // spinning on a lock, sleeping on a mutex or wait queue
};

// One line of a context's recent history, for violation reports.
struct StepRecord {
  Time time = 0;
  const char* function = nullptr;
  StepKind kind = StepKind::Load;
  const char* what = nullptr;
  std::int64_t before = 0;
  std::int64_t after = 0;
};

class Context final : public Event {
 public:
  static constexpr int kMaxDepth = 16;
  static constexpr int kHistory = 8;  // a power of two: the ring index is a mask

  Context(Cpu& cpu, ContextKind kind);

  void fire() override;  // resume at the pending step

  Cpu& cpu() const { return *cpu_; }
  ContextKind kind() const { return kind_; }
  bool in_irq() const { return kind_ == ContextKind::Irq; }
  const std::string& name() const { return name_; }
  ContextState state() const { return state_; }

  // Start running `root` from time `at` (a workload thread or an IRQ handler).
  void start(Task<void> root, Time at);

  // The function stack ("kernel call chain") for reports and traces.
  void enter(const char* fn) {
    if (depth_ < kMaxDepth) stack_[depth_] = fn;
    ++depth_;
    if (depth_ <= kMaxDepth) function_ = fn;
    if (profile_) [[unlikely]] profile_->enter(profile_ctx(), fn, local);
  }
  void leave() {
    if (profile_) [[unlikely]] profile_->leave(profile_ctx(), local);
    --depth_;
    function_ = depth_ > 0 ? stack_[depth_ <= kMaxDepth ? depth_ - 1 : kMaxDepth - 1] : "?";
  }
  // The innermost function (the deepest recorded past kMaxDepth); kept, not
  // computed, since every step records it.
  const char* function() const { return function_; }
  std::string call_chain() const;

  void remember(const StepRecord& r) {
    history_[history_next_++ % kHistory] = r;
  }
  std::string history() const;

  // The machine's observer, if one is installed (one load, no call).
  Observer* observer() const { return *observer_; }
  // The machine's driver (asked at every step: no pointer chase via the CPU).
  Driver& driver() const { return **driver_; }
  // The machine's caches (every access: likewise).
  Coherence& coherence() const { return *coherence_; }
  // The CPU's profile, when one is installed (sim/profile.hpp).
  CpuProfile* profile() const { return profile_; }
  int profile_ctx() const { return kind_ == ContextKind::Irq ? CpuProfile::kIrq : CpuProfile::kTask; }
  void set_profile(CpuProfile* p) { profile_ = p; }

  // Driver-facing state.
  Time local = 0;                        // this context's clock
  std::coroutine_handle<> resume_point;  // where it continues
  Step pending{};                        // the step it is about to take
  Gate* gate = nullptr;                  // to pass before that step runs
  Time preempted_at = 0;                 // when the IRQ came
  ContextState state_ = ContextState::Idle;
  bool preempted = false;                // a task under an IRQ handler
  bool wake_deferred = false;            // woken while preempted
  bool finishing = false;                // root returned; its end is processed at `local`, in time order
  Time preempt_remaining = 0;            // busy time left when the IRQ came
  Time blocked_since = 0;
  const void* waiting_lock = nullptr;    // the lock it is queued on, if any
  bool interruptible = false;            // TASK_INTERRUPTIBLE (set by prepare_to_wait)
  bool in_schedule = false;              // asleep in schedule()
  // Bumped by every access to the task state above (set_current_state,
  // try_to_wake_up's test of it, schedule() going to sleep), whether or not
  // it changes the value: a model checker comparing snapshots sees the
  // access itself, not only the one of two that happens to change it (the
  // explorer's World: programs/explore/world.hpp).
  std::uint32_t task_state_accesses = 0;
  // Wait-queue membership (one queue at a time, like a task's wait entry):
  // on the queue at all, and still to be woken.
  using WaitHook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>;
  WaitHook wq_entry;
  WaitHook wq_pending;
  Task<void> root;
  std::uint64_t steps = 0;

 private:
  void finish();  // the root has returned: go idle, tell the CPU

  Cpu* cpu_;
  Observer* const* observer_;  // &machine.observer
  Driver* const* driver_;      // the machine's driver slot
  Coherence* coherence_;
  CpuProfile* profile_ = nullptr;
  ContextKind kind_;
  std::string name_;
  std::array<const char*, kMaxDepth> stack_{};
  int depth_ = 0;
  const char* function_ = "?";
  std::array<StepRecord, kHistory> history_{};
  std::uint64_t history_next_ = 0;
};

// The context whose code is running now. One simulation per process and one
// thread, like the kernel's `current`.
extern Context* current_context;
inline Context& current() { return *current_context; }

// Names the kernel function a model function stands for, for the duration of
// its body: `KernelFunction fn{"aio_complete"};`.
class KernelFunction {
 public:
  explicit KernelFunction(const char* name) : ctx_(current_context), name_(name) {
    ctx_->enter(name);
    if (Observer* o = ctx_->observer()) o->on_function(*ctx_, name, true, ctx_->local);
  }
  ~KernelFunction() {
    if (Observer* o = ctx_->observer()) o->on_function(*ctx_, name_, false, ctx_->local);
    ctx_->leave();
  }
  KernelFunction(const KernelFunction&) = delete;
  KernelFunction& operator=(const KernelFunction&) = delete;

 private:
  Context* ctx_;
  const char* name_;
};

}  // namespace sim
