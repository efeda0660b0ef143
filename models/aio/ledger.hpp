// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The user-space view: every submitted request must yield exactly one result
// (an io_event in the ring, or io_cancel's successful return), none twice,
// none lost, none after io_destroy has finished. The ledger sees each result
// as the kernel produces it and stops the run at the first violation.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/stable_array.hpp"
#include "sim/time.hpp"

namespace models {

struct kiocb;

enum class LostPolicy { Stop, Count };

class Ledger {
 public:
  struct Counts {
    std::uint64_t submitted = 0;
    std::uint64_t results = 0;
    std::uint64_t ring_events = 0;
    std::uint64_t cancel_results = 0;
    std::uint64_t reaped = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t lost = 0;
    std::uint64_t violations = 0;
    std::uint64_t teardown_dropped = 0;
    // aio_complete moved the ring's tail onto its head (more requests in
    // flight than the ring holds), and the events it overwrote unread (also
    // counted in `lost`).
    std::uint64_t ring_overflows = 0;
    std::uint64_t ring_overwritten = 0;
  };

  explicit Ledger(LostPolicy lost_policy = LostPolicy::Stop) : lost_policy_(lost_policy) {}

  // A request id for a new user iocb (`owner`: the submitting thread).
  // Ids name a slot and its generation: the ledger keeps only requests
  // still in flight, so its memory follows the in-flight count, not the
  // length of the run.
  std::uint64_t submit(sim::Time at, int owner = 0);
  // aio_complete wrote an io_event for `id` into the ring.
  void ring_event(std::uint64_t id, const char* path);
  // aio_complete wrote `id`'s event into a full ring: tail now equals head
  // (`nr` slots), so user space sees an empty ring.
  void ring_overflow(std::uint64_t id, unsigned nr);
  // aio_complete wrote over `id`'s event before user space copied it out:
  // that result is lost.
  void ring_event_overwritten(std::uint64_t id);
  // aio_complete found the request cancelled and wrote no event.
  void event_suppressed(std::uint64_t id, const char* path);
  // io_cancel on `id` is about to run / returned `ret` (0: the result is io_cancel's).
  void cancel_started(std::uint64_t id);
  void cancel_returned(std::uint64_t id, long ret);
  // An io_event for `id` reached user space through io_getevents.
  void reaped(std::uint64_t id);
  // free_ioctx has finished waiting: nothing may complete afterwards.
  void teardown_complete() { torn_down_ = true; }
  // io_submit did not take this iocb (it returned fewer): not submitted.
  void not_submitted(std::uint64_t id);
  // free_ioctx cancelled it: io_destroy's caller gets no result for it.
  void teardown_cancel(std::uint64_t id) { req(id).teardown = true; }

  const Counts& counts() const { return counts_; }
  std::uint64_t in_flight() const;
  // About a request still tracked (not yet finished from user space's view).
  bool tracked(std::uint64_t id) const;
  sim::Time submitted_at(std::uint64_t id) const { return req(id).submitted; }
  sim::Time event_at(std::uint64_t id) const { return req(id).result_at; }
  int owner(std::uint64_t id) const { return req(id).owner; }
  // True once it has a result (finished requests count as having one).
  bool has_result(std::uint64_t id) const { return !tracked(id) || req(id).results > 0; }
  std::size_t slots() const { return reqs_.size(); }

  // The explorer's schedules have no clock: reports then give no time.
  void untimed() { timed_ = false; }

  // Called once when `n` results have been delivered.
  void on_target(std::uint64_t n, void (*fn)(void*), void* arg) {
    target_ = n;
    target_fn_ = fn;
    target_arg_ = arg;
  }

  // Callback for violations: (headline, details). The simulation installs
  // one that adds the CPUs' recent steps and throws.
  using Report = void (*)(void* arg, const std::string& headline, const std::string& details);
  void on_violation(Report r, void* arg) {
    report_ = r;
    report_arg_ = arg;
  }

 private:
  struct Req {
    sim::Time submitted = 0;
    sim::Time result_at = -1;
    std::uint8_t results = 0;
    bool suppressed = false;
    bool cancel_in_progress = false;
    bool cancel_failed = false;
    bool teardown = false;
    bool completed = false;  // aio_complete has run for it
    bool reaped = false;
    bool live = false;
    int owner = 0;
    std::uint32_t generation = 0;
    const char* first_path = nullptr;
  };
  // The request `id` names; a violation if it is not in flight. Inline: the
  // ledger is asked several times per request.
  Req& req(std::uint64_t id) {
    const auto slot = static_cast<std::uint32_t>(id);
    if (slot >= reqs_.size()) [[unlikely]]
      not_in_flight(id);
    Req& r = reqs_[slot];
    if (!r.live || r.generation != static_cast<std::uint32_t>(id >> 32)) [[unlikely]]
      not_in_flight(id);
    return r;
  }
  const Req& req(std::uint64_t id) const { return const_cast<Ledger*>(this)->req(id); }
  [[noreturn]] void not_in_flight(std::uint64_t id) const;
  void maybe_release(std::uint64_t id);
  void deliver(std::uint64_t id, const char* path, bool from_cancel);
  void check_lost(std::uint64_t id);
  void violation(const std::string& headline, const std::string& details);
  sim::Time now() const;

  bool timed_ = true;
  LostPolicy lost_policy_;
  // Grows by chunks: no doubling spike at the peak. Chunks of 16 (0.6 KiB):
  // the explorer copies a whole scenario's heap at every saved state.
  sim::StableArray<Req, 16> reqs_;
  std::vector<std::uint32_t> free_slots_;
  Counts counts_;
  bool torn_down_ = false;
  std::uint64_t target_ = 0;
  void (*target_fn_)(void*) = nullptr;
  void* target_arg_ = nullptr;
  Report report_ = nullptr;
  void* report_arg_ = nullptr;
};

}  // namespace models
