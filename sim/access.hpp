// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Shared fields and the steps that touch them.
//
//   Shared<T> x{line, "ki_cancel"};
//   T v = co_await READ_ONCE(x);
//   co_await WRITE_ONCE(x, v);
//   T old = co_await xchg(x, v);
//   T seen = co_await cmpxchg(x, old, v);
//   co_await atomic_inc(x);  bool zero = co_await atomic_dec_and_test(x);
//
// Each is one step: the driver may run other contexts first (await_ready /
// await_suspend), then the access is charged to the context's clock by the
// coherence model and takes effect (await_resume).
#include <coroutine>
#include <cstdint>
#include <type_traits>

#include "sim/coherence.hpp"
#include "sim/context.hpp"
#include "sim/cpu.hpp"
#include "sim/driver.hpp"
#include "sim/gate.hpp"
#include "sim/machine.hpp"
#include "sim/observer.hpp"
#include "sim/step.hpp"

namespace sim {

namespace detail {

template <class T>
std::int64_t trace_value(const T& v) {
  if constexpr (std::is_pointer_v<T>) return static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(v));
  else if constexpr (std::is_enum_v<T>) return static_cast<std::int64_t>(v);
  else if constexpr (std::is_arithmetic_v<T>) return static_cast<std::int64_t>(v);
  else return 0;
}

// The step protocol shared by every awaiter.
struct StepAwaiter {
  Step step;
  Gate* gate = nullptr;
  bool parked = false;

  bool await_ready() {
    Context& c = current();
    if (c.preempted || !c.driver().may_continue(c)) {
      c.pending = step;  // what the driver (and the explorer) will look at
      return false;
    }
    if (!gate) return true;  // the hot path: nothing else can go first
    c.pending = step;
    if (!gate->pass(c)) {
      parked = true;
      return false;
    }
    return true;
  }
  void await_suspend(std::coroutine_handle<> h) {
    Context& c = current();
    c.resume_point = h;
    if (parked) return;  // the gate's opener makes it runnable
    c.gate = gate;       // passed when the driver resumes it
    c.driver().yield(c);
  }

  // Charge the access to the current context's clock; returns its start time.
  Time charge(AccessKind kind) const {
    Context& c = current();
    Time at = c.local;
    if (step.line) {
      Coherence& coh = c.coherence();
      const Time cost = coh.store_buffer_entries() == 0 ? coh.access(*step.line, c.cpu().id(), kind, at)
                                                        : coh.tso_access(*step.line, c.cpu().id(), kind, at);
      if (CpuProfile* p = c.profile()) [[unlikely]] p->access(c.profile_ctx(), *step.line, kind, at, cost);
      c.local += cost;
    }
    return at;
  }
  void record(Time at, std::int64_t before, std::int64_t after) const {
    Context& c = current();
    ++c.steps;
    c.remember(StepRecord{at, c.function(), step.kind, step.what, before, after});
    if (Observer* o = c.observer()) o->on_step(c, step, at, c.local - at, before, after);
  }
};

}  // namespace detail

// A field shared between contexts, living on a cache line.
template <class T>
class Shared {
 public:
  Shared(CacheLine& line, const char* name, T init = T{}) : value_(init), line_(&line), name_(name) {}
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  // Outside the simulation (set-up, checks, tests): no step, no cost.
  T& raw() { return value_; }
  const T& raw() const { return value_; }
  CacheLine& line() const { return *line_; }
  void move_to(CacheLine& line) { line_ = &line; }
  const char* name() const { return name_; }

  detail::StepAwaiter step(StepKind k) { return detail::StepAwaiter{Step{k, this, line_, name_}}; }

 private:
  T value_;
  CacheLine* line_;
  const char* name_;
};

template <class T>
struct LoadOp : detail::StepAwaiter {
  Shared<T>* f;
  T await_resume() {
    Time at = charge(AccessKind::Load);
    T v = f->raw();
    record(at, detail::trace_value(v), detail::trace_value(v));
    return v;
  }
};

template <class T>
struct StoreOp : detail::StepAwaiter {
  Shared<T>* f;
  T v;
  void await_resume() {
    Time at = charge(AccessKind::Store);
    T old = f->raw();
    f->raw() = v;
    record(at, detail::trace_value(old), detail::trace_value(v));
  }
};

// An atomic read-modify-write: `Fn(T old) -> T new`; yields the old value.
template <class T, class Fn>
struct RmwOp : detail::StepAwaiter {
  Shared<T>* f;
  Fn fn;
  T await_resume() {
    Time at = charge(AccessKind::Rmw);
    T old = f->raw();
    f->raw() = fn(old);
    record(at, detail::trace_value(old), detail::trace_value(f->raw()));
    return old;
  }
};

template <class T>
LoadOp<T> READ_ONCE(Shared<T>& x) {
  return LoadOp<T>{x.step(StepKind::Load), &x};
}
template <class T, class U>
StoreOp<T> WRITE_ONCE(Shared<T>& x, U v) {
  return StoreOp<T>{x.step(StepKind::Store), &x, static_cast<T>(v)};
}
template <class T, class Fn>
RmwOp<T, Fn> atomic_rmw(Shared<T>& x, Fn fn) {
  return RmwOp<T, Fn>{x.step(StepKind::Rmw), &x, std::move(fn)};
}

template <class T, class U>
auto xchg(Shared<T>& x, U v) {
  T nv = static_cast<T>(v);
  return atomic_rmw(x, [nv](T) { return nv; });
}
// Returns the value seen; the swap happened iff it equals `old`.
template <class T, class U, class V>
auto cmpxchg(Shared<T>& x, U old, V nv) {
  T o = static_cast<T>(old), n = static_cast<T>(nv);
  return atomic_rmw(x, [o, n](T cur) { return cur == o ? n : cur; });
}

// atomic_t operations. The awaited value is the OLD value; the kernel-named
// wrappers below turn it into what the kernel function returns.
template <class T>
auto atomic_add_old(Shared<T>& x, T n) {
  return atomic_rmw(x, [n](T cur) { return cur + n; });
}

template <class Op, class R>
struct MapResult : Op {
  R (*map)(decltype(std::declval<Op&>().await_resume()));
  auto await_resume() { return map(Op::await_resume()); }
};

template <class T>
auto atomic_inc(Shared<T>& x) { return atomic_add_old(x, T{1}); }
template <class T>
auto atomic_dec(Shared<T>& x) { return atomic_add_old(x, T{-1}); }
template <class T>
auto atomic_add(T n, Shared<T>& x) { return atomic_add_old(x, n); }
template <class T>
auto atomic_sub(T n, Shared<T>& x) { return atomic_add_old(x, T{-n}); }
// atomic_dec_and_test: true when the counter reaches zero.
template <class T>
auto atomic_dec_and_test(Shared<T>& x) {
  auto op = atomic_add_old(x, T{-1});
  return MapResult<decltype(op), bool>{std::move(op), [](T old) { return old - 1 == 0; }};
}

// Set or test a bit of a flags word (set_bit/test_bit of the v3.9 ki_flags).
template <class T>
auto set_bit(int nr, Shared<T>& x) {
  T mask = static_cast<T>(T{1} << nr);
  return atomic_rmw(x, [mask](T cur) { return static_cast<T>(cur | mask); });
}
template <class T>
auto test_bit(int nr, Shared<T>& x) {
  auto op = READ_ONCE(x);
  struct Op : LoadOp<T> {
    int nr;
    bool await_resume() { return (LoadOp<T>::await_resume() >> nr) & 1; }
  };
  return Op{std::move(op), nr};
}

// Private work that touches no shared line: it only advances the clock.
inline void cpu_work(Time t) { current().local += t; }

}  // namespace sim
