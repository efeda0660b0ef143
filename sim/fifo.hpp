// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A FIFO for lock and semaphore waiters: a boost::circular_buffer that
// doubles when full. It allocates nothing while empty (a std::deque allocates
// 576 bytes up front, and there is a semaphore per submitter) and nothing
// once it has grown to the longest queue seen, where a deque keeps freeing
// and allocating blocks.
#include <algorithm>
#include <cstddef>

#include <boost/circular_buffer.hpp>

namespace sim {

template <class T>
class Fifo {
 public:
  bool empty() const { return q_.empty(); }
  std::size_t size() const { return q_.size(); }
  T& front() { return q_.front(); }
  const T& front() const { return q_.front(); }
  // The i-th oldest element.
  T& operator[](std::size_t i) { return q_[i]; }
  const T& operator[](std::size_t i) const { return q_[i]; }

  void push_back(const T& v) {
    if (q_.full()) q_.set_capacity(std::max<std::size_t>(4, 2 * q_.capacity()));
    q_.push_back(v);
  }
  void pop_front() { q_.pop_front(); }
  // Remove the i-th oldest, keeping the order of the rest.
  void erase_at(std::size_t i) { q_.erase(q_.begin() + static_cast<std::ptrdiff_t>(i)); }

 private:
  boost::circular_buffer<T> q_;
};

}  // namespace sim
