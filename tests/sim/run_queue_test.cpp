// SPDX-License-Identifier: GPL-2.0-only
// RunQueue (the timed driver's runnable contexts) must hand out entries in
// (time, seq) order whatever its shape: a short vector sorted latest-first,
// or the heap it turns into above 64 entries and back from below 16.
#include <catch2/catch.hpp>

#include <deque>
#include <set>
#include <utility>

#include "sim/rng.hpp"
#include "sim/run_queue.hpp"

namespace {

struct Nop final : sim::Event {
  void fire() override {}
};

}  // namespace

TEST_CASE("RunQueue: earliest first, equal times in push order, replace_top", "[engine][run_queue]") {
  std::deque<Nop> ev(5);
  sim::RunQueue q;
  CHECK(q.empty());
  CHECK(q.top_time() == sim::kNever);
  CHECK(q.second_time() == sim::kNever);
  q.push(ev[0], 30, 0);
  q.push(ev[1], 10, 1);
  q.push(ev[2], 20, 2);
  q.push(ev[3], 10, 3);  // same time as ev[1], pushed later: after it
  CHECK(q.top().event == &ev[1]);
  CHECK(q.top_time() == 10);
  CHECK(q.second_time() == 10);
  // ev[1] ran and is due again at 25: between ev[2] (20) and ev[0] (30).
  q.replace_top(ev[1], 25, 4);
  CHECK(q.top().event == &ev[3]);
  q.pop();
  CHECK(q.top().event == &ev[2]);
  CHECK(q.second_time() == 25);
  q.pop();
  CHECK(q.top().event == &ev[1]);
  q.pop();
  CHECK(q.top().event == &ev[0]);
  CHECK(q.second_time() == sim::kNever);
  q.pop();
  CHECK(q.empty());
}

TEST_CASE("RunQueue keeps (time, seq) order while it grows into a heap and shrinks back", "[engine][run_queue]") {
  std::deque<Nop> ev(300);
  sim::RunQueue q;
  std::set<std::pair<sim::Time, std::uint64_t>> ref;  // what must come out, in order
  std::uint64_t seq = 0;
  sim::Rng rng(7, "run-queue-test");
  bool was_heap = false, back_to_sorted = false;
  auto push = [&](sim::Time t) {
    Nop& e = ev[seq % ev.size()];
    q.push(e, t, seq);
    ref.insert({t, seq++});
  };
  auto check_top = [&] {
    REQUIRE(q.size() == ref.size());
    if (ref.empty()) return;
    REQUIRE(q.top_time() == ref.begin()->first);
    REQUIRE(q.top_key() == sim::key_of(ref.begin()->first, ref.begin()->second));
    REQUIRE(q.second_time() == (ref.size() > 1 ? std::next(ref.begin())->first : sim::kNever));
  };
  // Times from a narrow range so that many are equal and seq must decide.
  for (int round = 0; round < 3; ++round) {
    while (ref.size() < 200) {  // grow well past 64: a heap
      push(static_cast<sim::Time>(rng.below(50)));
      check_top();
    }
    was_heap = was_heap || q.heap();
    for (int i = 0; i < 400; ++i) {  // the driver's pattern: the top runs and is due again later
      const sim::Time t = q.top_time() + static_cast<sim::Time>(rng.below(20));
      q.replace_top(ev[seq % ev.size()], t, seq);
      ref.erase(ref.begin());
      ref.insert({t, seq++});
      check_top();
    }
    while (ref.size() > 3) {  // shrink below 16: sorted again
      q.pop();
      ref.erase(ref.begin());
      check_top();
    }
    back_to_sorted = back_to_sorted || !q.heap();
  }
  CHECK(was_heap);
  CHECK(back_to_sorted);
}
