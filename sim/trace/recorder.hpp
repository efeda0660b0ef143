// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A narrated event log of a window of a run.
//
// The Recorder is an Observer: install it on the machine before the run
// (machine.observer = &rec) and it follows every context's kernel-function
// stack, every lock's spinners and holders, every CPU's activity and pending
// interrupts from the start, cheaply, but keeps records only for what
// overlaps the window [from, to]. Each record is a slice (a function call, a
// spin, a lock hold, an IRQ handler, a CPU activity) clipped to the window,
// or an instant (an access with old/new value, a cache-line transfer, an IRQ
// raised or deferred), or a counter sample (a lock's spinners). Writers turn
// the records into text (writers.hpp) or Chrome Trace Event JSON; a LiveSink
// sees the CPU activities and lock holds as they happen (the Paje trace,
// paje.hpp, must be written while SimGrid runs).
//
// The number of records is capped (Options::max_records): past the cap the
// recorder stops keeping records and says so (truncated()).
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/context.hpp"
#include "sim/cpu.hpp"
#include "sim/observer.hpp"
#include "sim/spinlock.hpp"
#include "sim/step.hpp"
#include "sim/time.hpp"

namespace sim::trace {

struct Window {
  Time from = 0;
  Time to = kNever;
  bool contains(Time t) const { return t >= from && t <= to; }
  bool overlaps(Time b, Time e) const { return b <= to && e >= from; }
};

enum class RecordKind : std::uint8_t {
  Function,     // slice: a kernel function (name) on a context
  Spin,         // slice: waiting for a lock (name); detail: its holder at the start
  Held,         // slice: holding a lock (name)
  Handler,      // slice: an IRQ handler (name) on a CPU's IRQ context
  Activity,     // slice: a CPU's activity (sub = sim::Activity)
  Step,         // instant: an access (sub = StepKind) to field `name` in function `detail`
  Transfer,     // instant: line `name` moved into `cpu` from `a` (-1: several / LLC), cost = end - begin
  IrqRaised,    // instant: IRQ `name` raised on `cpu`
  IrqDeferred,  // instant: ... and held off (IRQs disabled or a handler running)
  IrqLatched,   // instant: IRQ `name` raised again while pending: absorbed
  Waiters,      // counter: contexts waiting for lock `name` (a) from `begin`
};
inline constexpr std::size_t kRecordKinds = static_cast<std::size_t>(RecordKind::Waiters) + 1;

inline constexpr int kNoCpu = -1;

struct Record {
  Time begin = 0;
  Time end = 0;  // slices: the end; steps and transfers: begin + cost; others: begin
  Time since = 0;  // a slice's real begin (differs from `begin` when clipped_begin)
  std::uint64_t seq_begin = 0;  // hook order, to order records of equal time
  std::uint64_t seq_end = 0;
  std::int64_t a = 0;  // Step: value before; Transfer: from CPU; Spin/Held: waiters at begin; Handler: latency (ps); Waiters: value
  std::int64_t b = 0;  // Step: value after; Spin/Held: waiters at end; Held: 1 if the lock was contended
  std::uint32_t name = 0;    // interned (Recorder::str)
  std::uint32_t detail = 0;  // interned; 0 = none
  std::uint32_t chain = 0;   // Spin: the spinner's call chain, innermost first (interned; 0 = none)
  std::int32_t cpu = kNoCpu;
  std::int16_t depth = 0;  // the context's function depth (text indentation)
  RecordKind kind = RecordKind::Function;
  ContextKind ctx = ContextKind::Task;
  std::uint8_t sub = 0;
  bool clipped_begin = false;  // began before the window (begin was moved to `from`)
  bool clipped_end = false;    // ended after the window or was still open at the end
  bool mutex = false;          // Spin/Held: the lock is a sleeping mutex
};

// Live view for writers that must emit during the run (Paje).
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // The window opens: the state of every CPU at `from` follows as calls.
  virtual void window_opened(Time /*from*/) {}
  virtual void activity(const Cpu&, Activity, bool on, Time at) = 0;
  virtual void held(const Cpu&, const std::string& lock, bool on, Time at) = 0;
};

class Recorder final : public Observer {
 public:
  struct Options {
    Window window;
    std::size_t max_records = 1'000'000;
    bool loads = true;  // keep plain loads (else only stores, atomics, IRQ-flag and wake steps)
  };
  explicit Recorder(Options o);

  void set_sink(LiveSink* s) { sink_ = s; }

  // Observer.
  void on_step(const Context&, const Step&, Time at, Time cost, std::int64_t before, std::int64_t after) override;
  void on_function(const Context&, const char* fn, bool enter, Time at) override;
  void on_irq(const Cpu&, IrqEvent, const char* name, Time at) override;
  void on_lock(const Context&, const LockBase&, LockEvent, Time at, int waiters) override;
  void on_context(const Context&, bool runs, Time at) override;
  void on_transfer(const CacheLine&, int from_cpu, int to_cpu, Time at, Time cost) override;
  void on_activity(const Cpu&, Activity, Time at) override;

  // The run is over at `end`: close what is still open (at the window's end
  // if that comes first) and sort the records by time. The machine may be
  // gone by then: nothing of it is used, and the sink is not called.
  void finish(Time end);

  const Window& window() const { return opt_.window; }
  const std::vector<Record>& records() const { return records_; }
  const std::string& str(std::uint32_t id) const { return strings_[id]; }
  int cpus_seen() const { return static_cast<int>(cpus_.size()); }
  // Locks seen, in order of first appearance (interned names).
  const std::vector<std::uint32_t>& lock_names() const { return lock_order_; }
  // Spinners of each lock (by name) when the window opened.
  std::int64_t waiters_at_open(std::uint32_t lock) const;
  bool truncated() const { return truncated_; }
  Time truncated_at() const { return truncated_at_; }
  std::size_t max_records() const { return opt_.max_records; }
  std::uint64_t hooks() const { return seq_; }

  std::uint32_t intern(std::string_view s);

 private:
  struct Open {
    const char* name;
    Time begin;
    std::uint64_t seq;
  };
  struct CtxState {
    int cpu = 0;
    ContextKind kind = ContextKind::Task;
    std::vector<Open> stack;
  };
  struct LockCtx {
    Time spin_begin = -1;
    std::uint64_t spin_seq = 0;
    std::int64_t spin_waiters = 0;
    std::uint32_t holder = 0;
    std::uint32_t chain = 0;
    Time held_begin = -1;
    std::uint64_t held_seq = 0;
    std::int64_t held_waiters = 0;
    bool contended = false;
  };
  struct LockState {
    std::uint32_t name = 0;
    bool mutex = false;
    std::int64_t spinning = 0;
    std::int64_t at_open = 0;
  };
  struct CpuState {
    const Cpu* cpu = nullptr;  // valid during the run only
    int id = -1;               // -1: not seen
    Activity act{};
    Time act_since = 0;
    std::uint64_t act_seq = 0;
    std::deque<std::pair<const char*, Time>> pending;  // raised, not started
    const char* handler_name_ptr = nullptr;
    Time handler_begin = -1;
    std::uint64_t handler_seq = 0;
    std::int64_t handler_latency = 0;
  };

  CtxState& ctx(const Context& c);
  CpuState& cpu(const Cpu& c);
  LockState& lock(const LockBase& l);
  void maybe_open(Time at);
  // Keep a slice [begin, end] if it overlaps the window, clipped to it.
  void slice(Record r);
  void instant(Record r);
  bool room();

  Options opt_;
  LiveSink* sink_ = nullptr;
  bool opened_ = false;
  bool finished_ = false;
  std::uint64_t seq_ = 0;
  std::vector<Record> records_;
  bool truncated_ = false;
  Time truncated_at_ = 0;

  std::vector<std::string> strings_{""};
  std::unordered_map<std::string, std::uint32_t> string_ids_;

  std::unordered_map<const Context*, CtxState> ctxs_;
  std::vector<CpuState> cpus_;
  std::unordered_map<const LockBase*, LockState> locks_;
  std::map<std::pair<const Context*, const LockBase*>, LockCtx> lock_ctx_;
  std::vector<std::uint32_t> lock_order_;
  std::unordered_map<std::uint32_t, std::int64_t> waiters_at_open_;
};

const char* to_string(Activity a);

}  // namespace sim::trace
