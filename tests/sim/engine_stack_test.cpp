// SPDX-License-Identifier: GPL-2.0-only
// A context's run keeps a bounded stack however many task calls it makes
// without suspending (sim/task.hpp, resume_bounded).
//
// Where the compiler does not make symmetric transfer a tail call (ASan, -O0),
// each call into a task and each return from one used to nest a frame until
// the context suspended; a lone context never suspends, so N calls nested 2N
// frames. The expectation below is independent of the frame size: with the
// stack bounded, the deepest point of call 20,000 is no deeper than a fixed
// allowance (256 KiB, several times what a 64-transfer run needs even with
// ASan's redzones) below the deepest point of the first call.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>

#include "sim/access.hpp"
#include "sim/machine.hpp"
#include "sim/timed_driver.hpp"
#include "tests/sim/distinct_costs.hpp"

namespace {

struct Depth {
  std::uintptr_t first = 0;    // the first leaf's frame
  std::uintptr_t deepest = 0;  // the lowest leaf frame seen (stacks grow down)
  std::uint64_t calls = 0;
};

[[gnu::noinline]] std::uintptr_t frame_here() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

sim::Task<std::uint64_t> leaf(sim::Shared<std::uint64_t>& x, Depth& d) {
  const std::uint64_t v = co_await sim::READ_ONCE(x);  // a step that need not suspend
  const std::uintptr_t here = frame_here();
  if (d.calls == 0) d.first = d.deepest = here;
  if (here < d.deepest) d.deepest = here;
  ++d.calls;
  co_return v;
}

sim::Task<void> caller(sim::Shared<std::uint64_t>& x, Depth& d, int n) {
  for (int i = 0; i < n; ++i) (void)co_await leaf(x, d);
}

}  // namespace

TEST_CASE("a lone context making 20,000 task calls without suspending keeps its stack bounded",
          "[sim][engine][stack]") {
  constexpr int kCalls = 20000;
  sim::Machine m(sim::Topology{1, 2, 1}, test::distinct_costs());
  sim::TimedDriver drv(m);
  sim::CacheLine line("x");
  sim::Shared<std::uint64_t> x(line, "x", 7);
  Depth d;
  m.cpu(0).task().start(caller(x, d, kCalls), 0);
  drv.run();
  REQUIRE(d.calls == kCalls);
  // Nothing else was pending, so the whole run was the one start event: the
  // bound on the stack did not hand the context back to the driver.
  CHECK(drv.events() == 1);
  CHECK(d.first - d.deepest < std::uintptr_t{256} * 1024);
}
