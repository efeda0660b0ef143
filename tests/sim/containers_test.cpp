// SPDX-License-Identifier: GPL-2.0-only
// The engine's two containers on Boost: Fifo (lock and semaphore waiters,
// growing a circular_buffer) and StableArray (slabs and rings whose elements
// must not move: Boost.Container's deque with fixed-size blocks).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/fifo.hpp"
#include "sim/stable_array.hpp"

namespace {

std::vector<int> contents(const sim::Fifo<int>& q) {
  std::vector<int> v;
  for (std::size_t i = 0; i < q.size(); ++i) v.push_back(q[i]);
  return v;
}

}  // namespace

TEST_CASE("Fifo keeps FIFO order across wrap-around and growth", "[containers]") {
  sim::Fifo<int> q;
  CHECK(q.empty());
  // Fill 3 of the first 4 slots, drain 2, so the next pushes wrap around.
  q.push_back(1);
  q.push_back(2);
  q.push_back(3);
  q.pop_front();
  q.pop_front();
  q.push_back(4);
  q.push_back(5);
  q.push_back(6);  // wraps: ring of 4 holds 3,4,5,6
  CHECK(contents(q) == std::vector<int>{3, 4, 5, 6});
  q.push_back(7);  // full ring grows while wrapped
  CHECK(contents(q) == std::vector<int>{3, 4, 5, 6, 7});
  std::vector<int> popped;
  while (!q.empty()) {
    popped.push_back(q.front());
    q.pop_front();
  }
  CHECK(popped == std::vector<int>{3, 4, 5, 6, 7});
}

TEST_CASE("Fifo erase_at keeps the order of the rest", "[containers]") {
  sim::Fifo<int> q;
  for (int i = 0; i < 6; ++i) q.push_back(i);
  q.pop_front();
  q.pop_front();  // 2 3 4 5, head not at slot 0
  q.push_back(6);
  q.push_back(7);
  q.push_back(8);  // 2..8 after a growth
  q.erase_at(0);
  q.erase_at(3);  // drops 6
  q.erase_at(q.size() - 1);  // drops 8
  CHECK(contents(q) == std::vector<int>{3, 4, 5, 7});
}

TEST_CASE("StableArray elements keep their address and are destroyed once", "[containers]") {
  struct Pinned {
    explicit Pinned(int v, int* live) : value(v), live(live) { ++*live; }
    Pinned(const Pinned&) = delete;
    ~Pinned() { --*live; }
    int value;
    int* live;
  };
  int live = 0;
  {
    sim::StableArray<Pinned, 4> a;
    std::vector<Pinned*> where;
    for (int i = 0; i < 11; ++i) where.push_back(&a.emplace_back(i * 10, &live));  // three chunks
    CHECK(a.size() == 11);
    CHECK(live == 11);
    for (int i = 0; i < 11; ++i) {
      CHECK(&a[static_cast<std::size_t>(i)] == where[static_cast<std::size_t>(i)]);
      CHECK(a[static_cast<std::size_t>(i)].value == i * 10);
    }
    int sum = 0;
    for (const Pinned& p : a) sum += p.value;
    CHECK(sum == 550);
  }
  CHECK(live == 0);
}
