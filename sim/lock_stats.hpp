// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// What a lock reports: acquisitions, contention, wait and hold distributions,
// utilisation and queue length. Waiting time is integrated over time so
// Little's law (mean waiters = acquisition rate x mean wait) can be checked.
#include <cstdint>

#include "sim/stats/histogram.hpp"
#include "sim/time.hpp"

namespace sim {

struct LockStats {
  std::uint64_t acquisitions = 0;
  std::uint64_t contended = 0;
  Histogram wait;  // ps, every acquisition (0 when uncontended)
  Histogram hold;  // ps
  Time held_total = 0;
  int max_waiters = 0;
  long double waiter_time = 0;  // integral of the number of waiters over time, ps

  // Time-weighted waiters: call before the count changes, in time order.
  void waiters_changed(int waiters_before, Time at, Time stats_start) {
    Time from = last_change_ > stats_start ? last_change_ : stats_start;
    if (at > from) waiter_time += static_cast<long double>(waiters_before) * (at - from);
    last_change_ = at;
  }
  // A waiter is counted over exactly the span its `wait` sample measures:
  // from the start of its failed attempt until it resumes as the holder
  // (not from after the failed atomic until the release that picks it, which
  // leaves out the atomic and the handoff). Both calls happen at steps, hence
  // in time order.
  void wait_begins(Time attempt, Time stats_start) { waiters_changed(waiting_++, attempt, stats_start); }
  void wait_ends(Time resumed, Time stats_start) { waiters_changed(waiting_--, resumed, stats_start); }

 private:
  Time last_change_ = 0;
  int waiting_ = 0;
};

}  // namespace sim
