// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The pending-event set: a 4-ary min-heap on (time, sequence number). The
// sequence number makes equal-time events run in the order they were
// scheduled, so a run is a deterministic function of its config and seed.
// Entries made stale by preemption are skipped lazily by generation.
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace sim {

// (time, seq) in one unsigned 128-bit key: one comparison orders both, and
// picking the smallest of a heap node's four children needs no branches.
// Times are never negative.
using EventKey = unsigned __int128;
inline constexpr EventKey kNoKey = ~EventKey{0};
inline EventKey key_of(Time t, std::uint64_t seq) { return (static_cast<EventKey>(static_cast<std::uint64_t>(t)) << 64) | seq; }
inline Time time_of(EventKey k) { return static_cast<Time>(static_cast<std::uint64_t>(k >> 64)); }

struct QueueEntry {
  EventKey key;
  Event* event;
  std::uint32_t generation;
  Time time() const { return time_of(key); }
};

// 4-ary min-heap operations on a vector of entries (also used by RunQueue
// when it holds many).
namespace heap4 {

inline void sift_up(std::vector<QueueEntry>& h, std::size_t i) {
  QueueEntry e = h[i];
  while (i > 0) {
    std::size_t p = (i - 1) / 4;
    if (!(e.key < h[p].key)) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}

inline void sift_down(std::vector<QueueEntry>& h, std::size_t i) {
  const std::size_t n = h.size();
  QueueEntry e = h[i];
  for (;;) {
    const std::size_t c = 4 * i + 1;
    std::size_t best = c;
    if (c + 4 <= n) {
      // Which child is smallest is data: selects, not branches.
      std::size_t b01 = h[c + 1].key < h[c].key ? c + 1 : c;
      std::size_t b23 = h[c + 3].key < h[c + 2].key ? c + 3 : c + 2;
      best = h[b23].key < h[b01].key ? b23 : b01;
    } else {
      if (c >= n) break;
      for (std::size_t k = c + 1; k < n; ++k)
        if (h[k].key < h[best].key) best = k;
    }
    if (!(h[best].key < e.key)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = e;
}

// The smallest key after the root: among its children.
inline EventKey second_key(const std::vector<QueueEntry>& h) {
  EventKey k = kNoKey;
  const std::size_t end = h.size() < 5 ? h.size() : 5;
  for (std::size_t i = 1; i < end; ++i) k = h[i].key < k ? h[i].key : k;
  return k;
}

}  // namespace heap4

class EventQueue {
 public:
  using Entry = QueueEntry;

  // `seq` orders equal times; a driver with several queues shares one counter.
  void push(Event& e, Time t, std::uint64_t seq) {
    e.due_ = t;
    heap_.push_back(Entry{key_of(t, seq), &e, e.generation_});
    heap4::sift_up(heap_, heap_.size() - 1);
  }
  EventKey top_key() const { return heap_.empty() ? kNoKey : heap_.front().key; }
  Time top_time() const { return heap_.empty() ? kNever : heap_.front().time(); }
  Entry pop() {
    Entry e = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) heap4::sift_down(heap_, 0);
    return e;
  }

 private:
  std::vector<Entry> heap_;
};

}  // namespace sim
