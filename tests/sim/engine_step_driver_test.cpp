// SPDX-License-Identifier: GPL-2.0-only
// The step-by-step driver (sim/step_driver.hpp): an outside scheduler picks
// which context takes its next step, and the outcome follows the order.
//
// A freshly started context's first pending step is the "start" pseudo-step
// (it runs the code up to the first real step), so each scenario first steps
// every context once to bring it to its first shared access.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "sim/machine.hpp"
#include "sim/presets.hpp"
#include "sim/spinlock.hpp"
#include "sim/step_driver.hpp"

using sim::Context;
using sim::Time;

namespace {

const sim::MachinePreset& zero() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return *p;
}

bool contains(const std::vector<Context*>& v, const Context* c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

// x = READ_ONCE(v); WRITE_ONCE(v, x + 1): two steps, a racy increment.
sim::Task<void> racy_inc(sim::Shared<int>& v) {
  int x = co_await sim::READ_ONCE(v);
  co_await sim::WRITE_ONCE(v, x + 1);
}

// Runs the racy increment on CPU 0 (A) and CPU 1 (B) in the given order of
// their two real steps each; returns the final value.
int run_order(const char* order) {
  sim::Machine m(zero().topology, zero().costs);
  sim::StepDriver d(m);
  sim::CacheLine line("v");
  sim::Shared<int> v(line, "v");
  Context& a = m.cpu(0).task();
  Context& b = m.cpu(1).task();
  a.start(racy_inc(v), 0);
  b.start(racy_inc(v), 0);
  d.step(a);  // start: up to the read
  d.step(b);
  REQUIRE(a.pending.kind == sim::StepKind::Load);
  REQUIRE(a.pending.object == &v);
  REQUIRE(b.pending.kind == sim::StepKind::Load);
  for (const char* p = order; *p; ++p) {
    Context& c = *p == 'A' ? a : b;
    REQUIRE(contains(d.enabled(), &c));
    d.step(c);
  }
  CHECK(d.runnable().empty());
  CHECK(d.enabled().empty());
  CHECK(a.state() == sim::ContextState::Idle);
  CHECK(b.state() == sim::ContextState::Idle);
  CHECK(d.steps() == 2 + 4);
  return v.raw();
}

}  // namespace

TEST_CASE("the step driver runs contexts in the chosen order and the outcome follows it",
          "[engine][step_driver]") {
  // Serial orders: each increment sees the other's write.
  CHECK(run_order("AABB") == 2);
  CHECK(run_order("BBAA") == 2);
  // Interleaved: both read 0, both write 1 (the lost update).
  CHECK(run_order("ABAB") == 1);
  CHECK(run_order("ABBA") == 1);
  CHECK(run_order("BAAB") == 1);
  CHECK(run_order("BABA") == 1);
}

TEST_CASE("the step driver refuses a context that is not runnable, and timers", "[engine][step_driver]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::StepDriver d(m);
  sim::CacheLine line("v");
  sim::Shared<int> v(line, "v");
  Context& a = m.cpu(0).task();
  CHECK_THROWS_AS(d.step(a), std::logic_error);  // never started
  a.start(racy_inc(v), 0);
  d.step(a);
  d.step(a);
  d.step(a);
  CHECK(v.raw() == 1);
  CHECK_THROWS_AS(d.step(a), std::logic_error);  // finished
  struct Nop : sim::Event {
    void fire() override {}
  } ev;
  CHECK_THROWS_AS(d.schedule(ev, 0), std::logic_error);
}

namespace {

sim::Task<void> locked_write(sim::Spinlock& l, sim::Shared<int>& v, int val) {
  co_await sim::spin_lock(l);
  co_await sim::WRITE_ONCE(v, val);
  co_await sim::spin_unlock(l);
}

}  // namespace

TEST_CASE("a context whose lock is held is not enabled", "[engine][step_driver]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::StepDriver d(m);
  sim::CacheLine ll("lock"), vl("v");
  sim::Spinlock l("the_lock", ll, sim::LockKind::Ticket, m);
  sim::Shared<int> v(vl, "v");
  Context& a = m.cpu(0).task();
  Context& b = m.cpu(1).task();
  a.start(locked_write(l, v, 1), 0);
  b.start(locked_write(l, v, 2), 0);
  d.step(a);  // start -> pending spin_lock
  d.step(b);  // start -> pending spin_lock
  CHECK(a.pending.kind == sim::StepKind::LockAcquire);
  CHECK(b.pending.kind == sim::StepKind::LockAcquire);
  // The lock is free: both may take it.
  CHECK(contains(d.enabled(), &a));
  CHECK(contains(d.enabled(), &b));

  d.step(a);  // A takes the lock; pending: its store
  CHECK(l.held_by(a));
  CHECK(a.pending.kind == sim::StepKind::Store);

  SECTION("B is runnable but not enabled until A releases") {
    CHECK(contains(d.runnable(), &b));
    CHECK_FALSE(contains(d.enabled(), &b));
    CHECK(d.enabled() == std::vector<Context*>{&a});
    d.step(a);  // store
    CHECK_FALSE(contains(d.enabled(), &b));
    d.step(a);  // release; A is done
    CHECK(l.holder() == nullptr);
    CHECK(d.enabled() == std::vector<Context*>{&b});
    d.step(b);  // B takes it
    d.step(b);  // store 2
    d.step(b);  // release
    CHECK(v.raw() == 2);
    CHECK(l.stats().acquisitions == 2);
    CHECK(l.stats().contended == 0);
  }
  SECTION("B stepped anyway: it queues behind A and gets the lock at A's release") {
    d.step(b);  // B tries, spins: parked, out of the run queue
    CHECK(b.state() == sim::ContextState::Blocked);
    CHECK_FALSE(contains(d.runnable(), &b));
    CHECK(l.waiters() == 1);
    d.step(a);  // store
    d.step(a);  // release: handed to B
    CHECK(l.held_by(b));
    CHECK(d.enabled() == std::vector<Context*>{&b});
    d.step(b);  // B resumes holding the lock, up to its store
    CHECK(b.pending.kind == sim::StepKind::Store);
    d.step(b);
    d.step(b);
    CHECK(v.raw() == 2);
    CHECK(l.stats().contended == 1);
    CHECK(d.runnable().empty());
  }
}

namespace {

struct WriteIrq : sim::IrqRequest {
  sim::Shared<int>* v = nullptr;
};
sim::Task<void> write_ten(sim::IrqRequest& r) { co_await sim::WRITE_ONCE(*static_cast<WriteIrq&>(r).v, 10); }

}  // namespace

TEST_CASE("under the step driver an interrupt is delivered only when chosen", "[engine][step_driver]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::StepDriver d(m);
  sim::CacheLine vl("v");
  sim::Shared<int> v(vl, "v");
  Context& t = m.cpu(0).task();
  Context& h = m.cpu(0).irq();
  WriteIrq irq;
  irq.handler = write_ten;
  irq.v = &v;
  t.start(racy_inc(v), 0);
  d.step(t);  // start -> pending read
  m.cpu(0).raise_irq(irq);
  CHECK(m.cpu(0).irq_pending());
  CHECK_FALSE(m.cpu(0).in_irq_handler());  // not started on its own
  REQUIRE(d.deliverable_irqs() == std::vector<sim::Cpu*>{&m.cpu(0)});

  SECTION("delivered before the read: the task sees the handler's write") {
    d.deliver_irq(m.cpu(0));
    // The task is preempted: not runnable while the handler runs.
    CHECK_FALSE(contains(d.runnable(), &t));
    CHECK(d.enabled() == std::vector<Context*>{&h});
    CHECK(d.deliverable_irqs().empty());
    d.step(h);  // start -> pending store
    d.step(h);  // store 10; handler done
    CHECK(d.enabled() == std::vector<Context*>{&t});
    d.step(t);  // read 10
    d.step(t);  // write 11
    CHECK(v.raw() == 11);
  }
  SECTION("delivered between the read and the write: the handler's write is lost") {
    d.step(t);  // read 0
    d.deliver_irq(m.cpu(0));
    d.step(h);
    d.step(h);  // store 10
    d.step(t);  // write 1
    CHECK(v.raw() == 1);
  }
  CHECK_FALSE(m.cpu(0).irq_pending());
  CHECK(m.cpu(0).irqs_enabled());
  CHECK(d.runnable().empty());
}
