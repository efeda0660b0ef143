// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The contexts due to resume, in the same (time, seq) order as EventQueue.
//
// They are few at a time: on average 7 with 64 CPUs and 10 with 1024 in the
// reference workloads (experiments/bench), rarely over 64. And the context
// that just ran comes back a little after the earliest, since it yields when
// its clock passes the next event. A vector sorted latest-first serves that
// best: the earliest and the one after it are its last two entries, and a new
// entry goes in after a short scan from the back (past 2.4 entries on
// average). Should many be runnable at once (a big machine all spinning), it
// turns into a 4-ary heap above kToHeap entries (an array sorted
// earliest-first is already one) and back below kToSorted, so an insertion
// never costs more than a heap's by more than a constant.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/event_queue.hpp"

namespace sim {

class RunQueue {
 public:
  static constexpr std::size_t kToHeap = 64;
  static constexpr std::size_t kToSorted = 16;

  void push(Event& e, Time t, std::uint64_t seq) {
    const QueueEntry x = entry(e, t, seq);
    v_.push_back(x);
    if (heap_) {
      heap4::sift_up(v_, v_.size() - 1);
      return;
    }
    insert_from(v_.size() - 1, x);
    if (v_.size() > kToHeap) {
      std::reverse(v_.begin(), v_.end());
      heap_ = true;
    }
  }
  bool empty() const { return v_.empty(); }
  std::size_t size() const { return v_.size(); }
  bool heap() const { return heap_; }
  const QueueEntry& top() const { return heap_ ? v_.front() : v_.back(); }
  EventKey top_key() const { return v_.empty() ? kNoKey : top().key; }
  Time top_time() const { return v_.empty() ? kNever : top().time(); }
  // The earliest time after the top entry.
  Time second_time() const {
    if (heap_) {
      const EventKey k = heap4::second_key(v_);
      return k == kNoKey ? kNever : time_of(k);
    }
    return v_.size() > 1 ? v_[v_.size() - 2].time() : kNever;
  }
  void pop() {
    if (!heap_) {
      v_.pop_back();
      return;
    }
    v_.front() = v_.back();
    v_.pop_back();
    if (!v_.empty()) heap4::sift_down(v_, 0);
    if (v_.size() < kToSorted) {
      std::sort(v_.begin(), v_.end(), [](const QueueEntry& a, const QueueEntry& b) { return b.key < a.key; });
      heap_ = false;
    }
  }
  // Pop the top and push `e`: the common case of a context that ran and is
  // due again.
  void replace_top(Event& e, Time t, std::uint64_t seq) {
    const QueueEntry x = entry(e, t, seq);
    if (heap_) {
      v_.front() = x;
      heap4::sift_down(v_, 0);
      return;
    }
    insert_from(v_.size() - 1, x);
  }

 private:
  static QueueEntry entry(Event& e, Time t, std::uint64_t seq) {
    e.due_ = t;
    return QueueEntry{key_of(t, seq), &e, e.generation_};
  }
  // v_[i] is free and v_[0, i) is sorted latest-first: the entries due
  // before x move one place towards the back and x takes their place.
  void insert_from(std::size_t i, const QueueEntry& x) {
    while (i > 0 && v_[i - 1].key < x.key) {
      v_[i] = v_[i - 1];
      --i;
    }
    v_[i] = x;
  }

  std::vector<QueueEntry> v_;
  bool heap_ = false;
};

}  // namespace sim
