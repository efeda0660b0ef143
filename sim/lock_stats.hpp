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

  // Time-weighted waiters: call before the count changes.
  void waiters_changed(int waiters_before, Time at, Time stats_start) {
    Time from = last_change_ > stats_start ? last_change_ : stats_start;
    if (at > from) waiter_time += static_cast<long double>(waiters_before) * (at - from);
    last_change_ = at;
  }

 private:
  Time last_change_ = 0;
};

}  // namespace sim
