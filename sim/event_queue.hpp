#pragma once
// The pending-event set: a 4-ary min-heap on (time, sequence number). The
// sequence number makes equal-time events run in the order they were
// scheduled, so a run is a deterministic function of its config and seed.
// Entries made stale by preemption are skipped lazily by generation.
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace sim {

class EventQueue {
 public:
  struct Entry {
    Time time;
    std::uint64_t seq;
    Event* event;
    std::uint32_t generation;
  };

  // `seq` orders equal times; a driver with several queues shares one counter.
  void push(Event& e, Time t, std::uint64_t seq) {
    e.due_ = t;
    heap_.push_back(Entry{t, seq, &e, e.generation_});
    sift_up(heap_.size() - 1);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Time top_time() const { return heap_.empty() ? kNever : heap_.front().time; }
  // (time, seq) of the first entry, for merging queues; kNever when empty.
  bool before_top_of(const EventQueue& o) const { return !heap_.empty() && (o.heap_.empty() || before(heap_.front(), o.heap_.front())); }
  const Entry& top() const { return heap_.front(); }
  Entry pop() {
    Entry e = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return e;
  }
  void clear() { heap_.clear(); }

 private:
  // Without short-circuit branches: which child is smaller is data, and a
  // mispredicted branch per comparison costs more than the comparison.
  static bool before(const Entry& a, const Entry& b) {
    return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq));
  }
  void sift_up(std::size_t i) {
    Entry e = heap_[i];
    while (i > 0) {
      std::size_t p = (i - 1) / 4;
      if (!before(e, heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = e;
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    Entry e = heap_[i];
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      std::size_t end = c + 4 < n ? c + 4 : n;
      for (std::size_t k = c + 1; k < end; ++k)
        if (before(heap_[k], heap_[best])) best = k;
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Entry> heap_;
};

}  // namespace sim
