// SPDX-License-Identifier: GPL-2.0-only
// The profile of CPU time by call chain (sim/profile.hpp) and its reading
// (sim/profile_report.hpp): small scenarios whose every stack and weight is
// worked out by hand from the cpu_work() each function does.
//
// The "zero" preset makes every access free, so only cpu_work() and the
// waits it causes take time; the stall case uses distinct_costs(), where a
// store to a line another CPU of the same socket holds Modified costs
// store_modified[SameSocket] = 33 ns against a store hit of 7 ns.
#include <catch2/catch.hpp>

#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/distinct_costs.hpp"
#include "sim/access.hpp"
#include "sim/machine.hpp"
#include "sim/presets.hpp"
#include "sim/profile.hpp"
#include "sim/profile_report.hpp"
#include "sim/spinlock.hpp"
#include "sim/timed_driver.hpp"

using sim::Time;

namespace {

constexpr Time ns = sim::kNs;
constexpr Time us = sim::kUs;

const sim::MachinePreset& zero() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return *p;
}

Time busy(const sim::Machine& m) {
  Time t = 0;
  for (int i = 0; i < m.cpus(); ++i) {
    const sim::Cpu& c = m.cpu(i);
    t += c.time_in(sim::Activity::Task) + c.time_in(sim::Activity::Spin) + c.time_in(sim::Activity::Irq);
  }
  return t;
}

Time sum(const sim::profile::Folded& f) {
  Time t = 0;
  for (const auto& [s, w] : f) t += w;
  return t;
}

const sim::profile::Symbol& symbol(const sim::profile::Summary& s, const std::string& name) {
  for (const auto& x : s.symbols)
    if (x.name == name) return x;
  FAIL("no symbol " << name);
  throw;
}

// outer: 3 us; inner: 5 us; outer again: 2 us; rec: 1 us, then rec inside
// rec: 4 us; then a step so the run ends at a step.
sim::Task<void> nested(sim::Shared<int>& x) {
  sim::KernelFunction outer{"outer"};
  sim::cpu_work(3 * us);
  {
    sim::KernelFunction inner{"inner"};
    sim::cpu_work(5 * us);
  }
  sim::cpu_work(2 * us);
  {
    sim::KernelFunction rec{"rec"};
    sim::cpu_work(1 * us);
    sim::KernelFunction rec2{"rec"};
    sim::cpu_work(4 * us);
  }
  co_await sim::WRITE_ONCE(x, 1);
}

sim::Task<void> locker(sim::Spinlock& l, const char* fn, Time hold) {
  sim::KernelFunction f{fn};
  co_await sim::spin_lock(l);
  sim::cpu_work(hold);
  co_await sim::spin_unlock(l);
}

sim::Task<void> two_phases(sim::Shared<int>& x) {
  sim::KernelFunction t{"t"};
  {
    sim::KernelFunction a{"a"};
    sim::cpu_work(6 * us);
  }
  {
    sim::KernelFunction b{"b"};
    sim::cpu_work(4 * us);
  }
  co_await sim::WRITE_ONCE(x, 1);
}

sim::Task<void> handler(sim::IrqRequest&) {
  sim::KernelFunction h{"handler"};
  sim::cpu_work(2 * us);
  co_return;
}

struct Device : sim::Event {
  sim::Machine* m;
  sim::IrqRequest* req;
  Device(sim::Machine& mm, sim::IrqRequest& r) : m(&mm), req(&r) {}
  void fire() override { m->cpu(0).raise_irq(*req); }
};

sim::Task<void> store_after(sim::Shared<int>& x, const char* fn, Time wait) {
  sim::KernelFunction f{fn};
  sim::cpu_work(wait);
  co_await sim::WRITE_ONCE(x, 1);
}

// A folded-stacks parser written for this test alone (not the project's):
// "a;b;c 123" -> {"a;b;c": 123}; every line must be frames, one space, digits.
std::map<std::string, long long> parse_independently(const std::string& text) {
  std::map<std::string, long long> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto sp = line.find_last_of(' ');
    REQUIRE(sp != std::string::npos);
    const std::string weight = line.substr(sp + 1);
    REQUIRE(!weight.empty());
    for (char c : weight) REQUIRE((c >= '0' && c <= '9'));
    const std::string stack = line.substr(0, sp);
    REQUIRE(!stack.empty());
    REQUIRE(stack.find(";;") == std::string::npos);
    out[stack] += std::stoll(weight);
  }
  return out;
}

}  // namespace

TEST_CASE("profile: self and children of nested and recursive functions on one CPU", "[profile]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::Profile prof(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  m.cpu(0).task().start(nested(x), 0);
  d.run();
  m.cpu(0).close_accounting(d.now());
  const auto f = prof.folded();
  const sim::profile::Folded expected = {{"task;outer", 5 * us},
                                         {"task;outer;inner", 5 * us},
                                         {"task;outer;rec", 1 * us},
                                         {"task;outer;rec;rec", 4 * us}};
  CHECK(f == expected);
  CHECK(sum(f) == busy(m));
  CHECK(busy(m) == 15 * us);
  const auto s = sim::profile::summarize(f, {"rec"});
  CHECK(s.busy == 15 * us);
  CHECK(symbol(s, "outer").total == 15 * us);
  CHECK(symbol(s, "outer").self == 5 * us);
  CHECK(symbol(s, "inner").total == 5 * us);
  // rec inside rec: 5 us of samples hold rec, counted once each (not 9 us).
  CHECK(symbol(s, "rec").total == 5 * us);
  CHECK(symbol(s, "rec").self == 5 * us);
  CHECK(symbol(s, "task").total == 15 * us);
  CHECK(s.group == 5 * us);
  CHECK(s.group_children == 5 * us);
  // A group's own time is where its functions are innermost; with children,
  // wherever one is on the stack.
  const auto so = sim::profile::summarize(f, {"outer"});
  CHECK(so.group == 5 * us);
  CHECK(so.group_children == 15 * us);
  Time selfs = 0;
  for (const auto& x : s.symbols) selfs += x.self;
  CHECK(selfs == s.busy);
  CHECK(s.symbols.front().name == "task");  // sorted by children
}

TEST_CASE("profile: spinning goes to the function that spins and to the lock", "[profile]") {
  // CPU 0 takes L at 0 in holder() and holds it 10 us. CPU 1 starts at 2 us
  // in waiter(), spins 8 us until the release (free handoff on the zero
  // preset), then holds L 1 us.
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::Profile prof(m);
  sim::CacheLine line("L");
  sim::Spinlock l("L", line, sim::LockKind::Ticket, m);
  m.cpu(0).task().start(locker(l, "holder", 10 * us), 0);
  m.cpu(1).task().start(locker(l, "waiter", 1 * us), 2 * us);
  d.run();
  for (int i = 0; i < 2; ++i) m.cpu(i).close_accounting(d.now());
  const auto f = prof.folded();
  const sim::profile::Folded expected = {
      {"task;holder", 10 * us}, {"task;waiter", 1 * us}, {"task;waiter;[spin L]", 8 * us}};
  CHECK(f == expected);
  CHECK(m.cpu(1).time_in(sim::Activity::Spin) == 8 * us);
  CHECK(sum(f) == busy(m));
  const auto s = sim::profile::summarize(f, {"waiter"});
  CHECK(symbol(s, "waiter").total == 9 * us);
  CHECK(symbol(s, "waiter").self == 1 * us);
  CHECK(symbol(s, "waiter").spin == 8 * us);
  CHECK(symbol(s, "[spin L]").self == 8 * us);
  CHECK(s.spin_by_lock.at("L") == 8 * us);
  CHECK(s.by_kind[1] == 8 * us);
  CHECK(s.group == 9 * us);
  CHECK(s.group_spin == 8 * us);
}

TEST_CASE("profile: an IRQ in the middle of a function the task ran ahead through", "[profile]") {
  // The task does a (6 us) then b (4 us) before its step at 10 us; the IRQ
  // raised at 3 us preempts it there: the handler runs 3-5 us, and the task's
  // remaining 7 us (3 of a, 4 of b) after it. a keeps 6 us, b 4 us, the
  // handler's 2 us are hardirq time: as the CPU counts it, not by timestamps.
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::Profile prof(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  sim::IrqRequest irq;
  irq.handler = handler;
  Device dev(m, irq);
  m.cpu(0).task().start(two_phases(x), 0);
  d.schedule(dev, 3 * us);
  d.run();
  m.cpu(0).close_accounting(d.now());
  CHECK(m.cpu(0).time_in(sim::Activity::Task) == 10 * us);
  CHECK(m.cpu(0).time_in(sim::Activity::Irq) == 2 * us);
  const auto f = prof.folded();
  const sim::profile::Folded expected = {{"task;t;a", 6 * us}, {"task;t;b", 4 * us}, {"hardirq;handler", 2 * us}};
  CHECK(f == expected);
  const auto s = sim::profile::summarize(f, {});
  CHECK(s.by_context[0] == 10 * us);
  CHECK(s.by_context[1] == 2 * us);
  CHECK(symbol(s, "t").total_by_context[0] == 10 * us);
  CHECK(symbol(s, "handler").total_by_context[1] == 2 * us);
}

TEST_CASE("profile: a store that must pull the line from another CPU is a stall on that line", "[profile]") {
  // 2 sockets x 2 cores x 2 threads: CPUs 0 and 1 share a socket. CPU 0
  // stores x at 0; CPU 1 waits 1 us in f1 and stores x: 33 ns, of which the
  // 7 ns of a hit are work and 26 ns a stall on x.
  sim::Machine m(sim::Topology{2, 2, 2}, test::distinct_costs());
  sim::TimedDriver d(m);
  sim::Profile prof(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  m.cpu(0).task().start(store_after(x, "f0", 0), 0);
  m.cpu(1).task().start(store_after(x, "f1", 1 * us), 0);
  d.run();
  for (int i = 0; i < m.cpus(); ++i) m.cpu(i).close_accounting(d.now());
  const auto f = prof.folded();
  CHECK(f.at("task;f1") == 1 * us + 7 * ns);
  CHECK(f.at("task;f1;[stall x]") == 26 * ns);
  CHECK(sum(f) == busy(m));
  const auto s = sim::profile::summarize(f, {});
  CHECK(symbol(s, "f1").stall == 26 * ns);
  CHECK(symbol(s, "f1").total == 1 * us + 33 * ns);
}

TEST_CASE("profile: time before the statistics start is left out, as the CPU leaves it out", "[profile]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::Profile prof(m);
  m.set_stats_start(4 * us);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  m.cpu(0).task().start(nested(x), 0);
  d.run();
  m.cpu(0).close_accounting(d.now());
  // outer 0-3, inner 3-8 (4 us counted), outer 8-10, rec 10-11, rec;rec 11-15.
  const sim::profile::Folded expected = {{"task;outer", 2 * us},
                                         {"task;outer;inner", 4 * us},
                                         {"task;outer;rec", 1 * us},
                                         {"task;outer;rec;rec", 4 * us}};
  CHECK(prof.folded() == expected);
  CHECK(busy(m) == 11 * us);
}

TEST_CASE("profile: folded stacks round-trip and parse as flame graph tools read them", "[profile]") {
  const sim::profile::Folded f = {{"task;outer", 5 * us},
                                  {"task;outer;[spin ctx_lock]", 1500 * ns},
                                  {"hardirq;blk_irq_handler;aio_complete;[stall ring]", 2 * ns},
                                  {"task;tiny", 400}};  // 0.4 ns: rounds to nothing
  const std::string text = sim::profile::write_folded(f);
  const auto mine = parse_independently(text);
  const std::map<std::string, long long> expected = {{"task;outer", 5000},
                                                     {"task;outer;[spin ctx_lock]", 1500},
                                                     {"hardirq;blk_irq_handler;aio_complete;[stall ring]", 2}};
  CHECK(mine == expected);
  auto back = sim::profile::parse_folded(text);
  CHECK(back.size() == 3);
  CHECK(back.at("task;outer;[spin ctx_lock]") == 1500 * ns);
  CHECK_THROWS_WITH(sim::profile::parse_folded("task;a 12\ntask;b twelve\n"), Catch::Contains("line 2"));
  CHECK_THROWS(sim::profile::parse_folded("12\n"));
}
