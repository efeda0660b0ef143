// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Task<T>: the coroutine type every model function returns.
//
// A model function reads like the kernel function it models; each shared
// access or lock operation inside it is a `co_await`, the only points where the
// driver may switch to another context. Tasks start lazily, are awaited by
// their caller (symmetric transfer), and their frames come from the frame
// pool. A context's run is started with resume_bounded(), which keeps the
// stack bounded however many calls the run makes without suspending.
#include <coroutine>
#include <exception>
#include <utility>

#include "sim/frame_pool.hpp"

namespace sim {

template <class T = void>
class Task;

namespace detail {

// Symmetric transfer (entering an awaited task, a finished task returning to
// its caller) costs no stack only where the compiler makes the resume a tail
// call: GCC does at -O2, not under -fsanitize=address or at -O0. There every
// transfer nests a frame until the context suspends, and a context that runs
// hundreds of requests without meeting another event (a lone submitter whose
// writes complete inside io_submit) overflowed the stack. So a run gets a
// budget of transfers; past it the next handle is parked here and
// std::noop_coroutine() returned instead, which unwinds the nested frames to
// resume_bounded(), which resumes the parked handle. The same code runs in the
// same order; only the stack differs.
struct TransferBudget {
  static constexpr int kTransfers = 64;
  int left = kTransfers;
  std::coroutine_handle<> parked;
};
inline TransferBudget transfer_budget;

inline std::coroutine_handle<> bounded_transfer(std::coroutine_handle<> to) noexcept {
  if (--transfer_budget.left > 0) return to;
  transfer_budget.parked = to;
  return std::noop_coroutine();
}

struct PromiseBase {
  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  std::exception_ptr exception_;

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return bounded_transfer(h.promise().continuation_);
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }
  // The frame lets go of the exception as it rethrows it: once handled, the
  // exception object (which the C++ runtime allocates outside any
  // sim::Arena) is owned by nothing, so restoring a saved frame cannot leak
  // it.
  void rethrow_if_failed() {
    if (exception_) std::rethrow_exception(std::exchange(exception_, nullptr));
  }
};

template <class T>
struct Promise : PromiseBase {
  T value_{};
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value_ = std::forward<U>(v);
  }
  T take() {
    rethrow_if_failed();
    return std::move(value_);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() { rethrow_if_failed(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  // Awaiting a task runs it to completion as a nested call.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation_ = caller;
    return detail::bounded_transfer(h_);
  }
  T await_resume() { return h_.promise().take(); }

  // For drivers: a root task is resumed directly and polled for completion.
  Handle handle() const noexcept { return h_; }
  bool done() const noexcept { return !h_ || h_.done(); }
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  T result() { return h_.promise().take(); }

 private:
  void destroy() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_{};
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}
}  // namespace detail

// Resume a context's coroutine at its pending step, and every transfer
// parked by the budget during the run, until the run suspends or finishes.
inline void resume_bounded(std::coroutine_handle<> h) {
  for (;;) {
    detail::transfer_budget.left = detail::TransferBudget::kTransfers;
    h.resume();
    if (!detail::transfer_budget.parked) return;
    h = std::exchange(detail::transfer_budget.parked, nullptr);
  }
}

}  // namespace sim
