// SPDX-License-Identifier: GPL-2.0-only
// Interrupts (sim/cpu.hpp): deferral while IRQs are off, preemption of the
// task while they are on, nesting of saved flags, and the same-CPU task/IRQ
// lock deadlock reported as a Violation.
//
// All scenarios use the "zero" preset (every coherence cost 0), so the only
// time that passes is the cpu_work() the scenario asks for and every expected
// time below is plain arithmetic on those amounts.
#include <catch2/catch.hpp>

#include <string>

#include "sim/machine.hpp"
#include "sim/presets.hpp"
#include "sim/spinlock.hpp"
#include "sim/timed_driver.hpp"
#include "sim/violation.hpp"

using sim::Time;

namespace {

constexpr Time ns = sim::kNs;
constexpr Time us = sim::kUs;

const sim::MachinePreset& zero() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return *p;
}

// An interrupt whose handler does `work` of private work and records when it ran.
struct TimedIrq : sim::IrqRequest {
  Time work = 0;
  Time started = -1;
  Time finished = -1;
};

sim::Task<void> timed_handler(sim::IrqRequest& r) {
  auto& q = static_cast<TimedIrq&>(r);
  q.started = sim::current().local;
  sim::cpu_work(q.work);
  q.finished = sim::current().local;
  co_return;
}

// A device raising one interrupt on one CPU when its event fires.
struct Device : sim::Event {
  sim::Machine* m;
  int cpu;
  sim::IrqRequest* req;
  Device(sim::Machine& mm, int c, sim::IrqRequest& r) : m(&mm), cpu(c), req(&r) {}
  void fire() override { m->cpu(cpu).raise_irq(*req); }
};

struct TaskTimes {
  Time unlocked = -1;
  Time finished = -1;
};

enum class Flavor { IrqSave, Irq };

// Takes `l` with IRQs off for `hold`, then does `after` of private work and a
// final step (a step, so the driver sees where the task is when it resumes).
sim::Task<void> irqoff_holder(sim::Spinlock& l, sim::Shared<int>& x, Flavor how, Time hold, Time after,
                              TaskTimes& out) {
  if (how == Flavor::IrqSave) {
    auto f = co_await sim::spin_lock_irqsave(l);
    sim::cpu_work(hold);
    co_await sim::spin_unlock_irqrestore(l, f);
  } else {
    co_await sim::spin_lock_irq(l);
    sim::cpu_work(hold);
    co_await sim::spin_unlock_irq(l);
  }
  out.unlocked = sim::current().local;
  sim::cpu_work(after);
  co_await sim::WRITE_ONCE(x, 1);
  out.finished = sim::current().local;
}

}  // namespace

// Task on CPU 0 takes the lock with IRQs off at 0 and holds it 10 us; a device
// raises an IRQ on CPU 0 at t (0 < t < 10 us). The handler must start at
// exactly 10 us, when the unlock restores IRQs, so its latency is the hold
// time left, 10 us - t. Handler 2 us: it ends at 12 us; the task's remaining
// 5 us of work resumes after it: finished at 10 + 2 + 5 = 17 us.
TEST_CASE("an IRQ raised inside spin_lock_irqsave starts when the lock is released", "[engine][irq]") {
  for (Flavor how : {Flavor::IrqSave, Flavor::Irq}) {
    for (Time t : {1 * ns, 3 * us, 9999 * ns}) {
      DYNAMIC_SECTION((how == Flavor::IrqSave ? "irqsave" : "irq") << ", raised at " << t << " ps") {
        sim::Machine m(zero().topology, zero().costs);
        sim::TimedDriver d(m);
        sim::CacheLine line("l"), xl("x");
        sim::Spinlock l("l", line, sim::LockKind::Ticket, m);
        sim::Shared<int> x(xl, "x");
        TimedIrq irq;
        irq.handler = timed_handler;
        irq.work = 2 * us;
        Device dev(m, 0, irq);
        TaskTimes tt;
        m.cpu(0).task().start(irqoff_holder(l, x, how, 10 * us, 5 * us, tt), 0);
        d.schedule(dev, t);
        d.run();
        CHECK(tt.unlocked == 10 * us);
        CHECK(irq.started == 10 * us);
        CHECK(irq.finished == 12 * us);
        CHECK(tt.finished == 17 * us);
        const sim::Histogram& lat = m.cpu(0).irq_latency();
        CHECK(lat.count() == 1);
        CHECK(lat.min() == 10 * us - t);
        CHECK(lat.max() == 10 * us - t);
        CHECK(m.cpu(0).irqs_enabled());
        CHECK_FALSE(m.cpu(0).irq_pending());
        CHECK(m.cpu(1).irq_latency().count() == 0);
      }
    }
  }
}

namespace {
sim::Task<void> worker(sim::Shared<int>& x, Time work, Time& finished) {
  sim::cpu_work(work);
  co_await sim::WRITE_ONCE(x, 1);
  finished = sim::current().local;
}
}  // namespace

// IRQs on: the task has 10 us of private work then one step. An IRQ at 3 us
// preempts it at once (latency 0); the handler runs 3..5 us; the task's
// remaining 7 us resume at 5 us: finished at 12 us = 10 (own work) + 2 (handler).
TEST_CASE("an IRQ raised with IRQs enabled preempts the task, which resumes after the handler",
          "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  TimedIrq irq;
  irq.handler = timed_handler;
  irq.work = 2 * us;
  Device dev(m, 0, irq);
  Time finished = -1;
  m.cpu(0).task().start(worker(x, 10 * us, finished), 0);
  d.schedule(dev, 3 * us);
  d.run();
  CHECK(irq.started == 3 * us);
  CHECK(irq.finished == 5 * us);
  CHECK(finished == 12 * us);
  CHECK(m.cpu(0).irq_latency().count() == 1);
  CHECK(m.cpu(0).irq_latency().max() == 0);
}

// Two IRQs at 1 us and 1.5 us, 2 us handlers: the second is held off while
// the first runs (handlers run with IRQs off), starts at 3 us (latency
// 3 - 1.5 = 1.5 us), ends at 5 us. The task (10 us of work) is
// preempted at 1 us with 9 us left: finished at 5 + 9 = 14 us = 10 + 2 + 2.
TEST_CASE("an IRQ raised during a handler runs right after it, and the task waits for both", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  TimedIrq a, b;
  a.handler = b.handler = timed_handler;
  a.work = b.work = 2 * us;
  Device da(m, 0, a), db(m, 0, b);
  Time finished = -1;
  m.cpu(0).task().start(worker(x, 10 * us, finished), 0);
  d.schedule(da, 1 * us);
  d.schedule(db, 1500 * ns);
  d.run();
  CHECK(a.started == 1 * us);
  CHECK(b.started == 3 * us);
  CHECK(b.finished == 5 * us);
  CHECK(finished == 14 * us);
  const sim::Histogram& lat = m.cpu(0).irq_latency();
  CHECK(lat.count() == 2);
  CHECK(lat.min() == 0);
  CHECK(lat.max() == 1500 * ns);
}

namespace {

struct NestedObs {
  unsigned long f1 = 99, f2 = 99, f3 = 99;
  bool on_after_inner_unlock = true;
  bool on_after_inner_restore = true;
  Time started_at_inner_restore = 0;  // the IRQ's `started` seen at the inner restore
  bool on_after_outer_restore = false;
  Time finished = -1;
};

// 0: local_irq_save (f1 = 1, IRQs were on)        1 us: local_irq_save (f2 = 0)
// 2 us: spin_lock_irqsave (f3 = 0)                  4 us: spin_unlock_irqrestore(f3): still off
// 5 us: local_irq_restore(f2): still off            8 us: local_irq_restore(f1): on -> IRQ runs
// then 1 us of work and a step.
sim::Task<void> nested(sim::Spinlock& l, sim::Shared<int>& x, TimedIrq& irq, NestedObs& o) {
  sim::Cpu& cpu = sim::current().cpu();
  o.f1 = co_await sim::local_irq_save();
  sim::cpu_work(1 * us);
  o.f2 = co_await sim::local_irq_save();
  sim::cpu_work(1 * us);
  o.f3 = co_await sim::spin_lock_irqsave(l);
  sim::cpu_work(2 * us);
  co_await sim::spin_unlock_irqrestore(l, o.f3);
  o.on_after_inner_unlock = cpu.irqs_enabled();
  sim::cpu_work(1 * us);
  co_await sim::local_irq_restore(o.f2);
  o.on_after_inner_restore = cpu.irqs_enabled();
  o.started_at_inner_restore = irq.started;
  sim::cpu_work(3 * us);
  co_await sim::local_irq_restore(o.f1);
  o.on_after_outer_restore = true;
  sim::cpu_work(1 * us);
  co_await sim::WRITE_ONCE(x, 1);
  o.finished = sim::current().local;
}

}  // namespace

// IRQ raised at 1.5 us; handler 2 us. Only the outermost restore (8 us)
// re-enables IRQs: the handler starts at 8 us (latency 6.5 us), ends at 10 us,
// and the task finishes its last 1 us at 11 us.
TEST_CASE("nested local_irq_save/restore behave like saved flags: the inner restore keeps IRQs off",
          "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine line("l"), xl("x");
  sim::Spinlock l("l", line, sim::LockKind::Queued, m);
  sim::Shared<int> x(xl, "x");
  TimedIrq irq;
  irq.handler = timed_handler;
  irq.work = 2 * us;
  Device dev(m, 0, irq);
  NestedObs o;
  m.cpu(0).task().start(nested(l, x, irq, o), 0);
  d.schedule(dev, 1500 * ns);
  d.run();
  CHECK(o.f1 == 1);
  CHECK(o.f2 == 0);
  CHECK(o.f3 == 0);
  CHECK_FALSE(o.on_after_inner_unlock);
  CHECK_FALSE(o.on_after_inner_restore);
  CHECK(o.started_at_inner_restore == -1);
  CHECK(irq.started == 8 * us);
  CHECK(irq.finished == 10 * us);
  CHECK(o.finished == 11 * us);
  CHECK(m.cpu(0).irq_latency().count() == 1);
  CHECK(m.cpu(0).irq_latency().max() == 6500 * ns);
  CHECK(m.cpu(0).irqs_enabled());
}

namespace {

// The classic bug: process context takes a lock with plain spin_lock (IRQs
// still on) and the interrupt handler on the same CPU takes it too.
sim::Task<void> io_submit_one(sim::Spinlock& l) {
  sim::KernelFunction fn{"io_submit_one"};
  co_await sim::spin_lock(l);
  sim::cpu_work(10 * us);
  co_await sim::spin_unlock(l);
}
sim::Task<void> sys_io_submit(sim::Spinlock& l) {
  sim::KernelFunction fn{"sys_io_submit"};
  co_await io_submit_one(l);
}

struct LockIrq : sim::IrqRequest {
  sim::Spinlock* lock = nullptr;
};
sim::Task<void> aio_complete(sim::Spinlock& l) {
  sim::KernelFunction fn{"aio_complete"};
  auto f = co_await sim::spin_lock_irqsave(l);
  co_await sim::spin_unlock_irqrestore(l, f);
}
sim::Task<void> test_dev_interrupt(sim::IrqRequest& r) {
  sim::KernelFunction fn{"test_dev_interrupt"};
  co_await aio_complete(*static_cast<LockIrq&>(r).lock);
}

}  // namespace

TEST_CASE("the same-CPU task/IRQ deadlock on one lock is reported, not hung", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine line("ctx_lock line");
  sim::Spinlock l("kioctx.ctx_lock", line, sim::LockKind::Ticket, m);
  LockIrq irq;
  irq.handler = test_dev_interrupt;
  irq.lock = &l;
  Device dev(m, 0, irq);
  m.cpu(0).task().start(sys_io_submit(l), 0);
  d.schedule(dev, 3 * us);
  bool thrown = false;
  try {
    d.run();
  } catch (const sim::Violation& v) {
    thrown = true;
    CHECK(v.kind() == sim::ViolationKind::Deadlock);
    const std::string text = std::string(v.what()) + "\n" + v.details();
    INFO(text);
    CHECK_THAT(text, Catch::Contains("kioctx.ctx_lock"));
    CHECK_THAT(text, Catch::Contains("cpu0/irq"));
    CHECK_THAT(text, Catch::Contains("cpu0/task"));
    CHECK_THAT(text, Catch::Contains("CPU 0"));
    // Both call chains, innermost first.
    CHECK_THAT(text, Catch::Contains("aio_complete <- test_dev_interrupt"));
    CHECK_THAT(text, Catch::Contains("io_submit_one <- sys_io_submit"));
    // It was detected when the handler tried the lock, at 3 us.
    CHECK(d.now() == 3 * us);
  }
  CHECK(thrown);
}

// The same code with the task using spin_lock_irqsave is correct: the IRQ
// waits for the unlock (10 us) and then takes the lock itself.
TEST_CASE("with spin_lock_irqsave in the task the same pair does not deadlock", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine line("ctx_lock line"), xl("x");
  sim::Spinlock l("kioctx.ctx_lock", line, sim::LockKind::Ticket, m);
  sim::Shared<int> x(xl, "x");
  LockIrq irq;
  irq.handler = test_dev_interrupt;
  irq.lock = &l;
  Device dev(m, 0, irq);
  TaskTimes tt;
  m.cpu(0).task().start(irqoff_holder(l, x, Flavor::IrqSave, 10 * us, 0, tt), 0);
  d.schedule(dev, 3 * us);
  REQUIRE_NOTHROW(d.run());
  CHECK(m.cpu(0).irq_latency().max() == 7 * us);
  CHECK(l.stats().acquisitions == 2);
  CHECK(l.stats().contended == 0);
  CHECK(l.holder() == nullptr);
}

namespace {
// Ends with private work after the unlock, no step after it.
sim::Task<void> ends_after_unlock(sim::Spinlock& l, Time hold, Time after) {
  auto f = co_await sim::spin_lock_irqsave(l);
  sim::cpu_work(hold);
  co_await sim::spin_unlock_irqrestore(l, f);
  sim::cpu_work(after);
}
}  // namespace

// The task holds the lock with IRQs off [0,10]; the IRQ raised at 3 runs
// [10,12]; the task's last 5 us of work (after the unlock, with no step
// after it) run [12,17], not [10,15] under the handler. Closed at 20:
// task 10 + 5 = 15, irq 2, idle [17,20] = 3.
TEST_CASE("a task ending with private work after re-enabling IRQs finishes after the handler", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine line("l");
  sim::Spinlock l("l", line, sim::LockKind::Ticket, m);
  TimedIrq irq;
  irq.handler = timed_handler;
  irq.work = 2 * us;
  Device dev(m, 0, irq);
  m.cpu(0).task().start(ends_after_unlock(l, 10 * us, 5 * us), 0);
  d.schedule(dev, 3 * us);
  d.run();
  CHECK(irq.started == 10 * us);
  CHECK(irq.finished == 12 * us);
  CHECK(m.cpu(0).task().state() == sim::ContextState::Idle);
  m.cpu(0).close_accounting(20 * us);
  CHECK(m.cpu(0).time_in(sim::Activity::Task) == 15 * us);
  CHECK(m.cpu(0).time_in(sim::Activity::Irq) == 2 * us);
  CHECK(m.cpu(0).time_in(sim::Activity::Idle) == 3 * us);
  CHECK(m.cpu(0).time_in(sim::Activity::Spin) == 0);
}

namespace {
// IRQs off on the CPU from 0 to `until`, then one step.
sim::Task<void> irqs_off_until(Time until, sim::Shared<int>& x) {
  co_await sim::local_irq_disable();
  sim::cpu_work(until);
  co_await sim::local_irq_enable();
  co_await sim::WRITE_ONCE(x, 1);
}
struct CountingIrq : sim::IrqRequest {
  int invocations = 0;
  Time started = -1;
};
sim::Task<void> counting_handler(sim::IrqRequest& r) {
  auto& q = static_cast<CountingIrq&>(r);
  ++q.invocations;
  q.started = sim::current().local;
  sim::cpu_work(1 * us);
  co_return;
}
}  // namespace

// One vector raised at 2 us and again at 6 us while the task has IRQs off
// until 10 us. The local APIC keeps one pending bit per vector: the second
// raise is absorbed, one handler runs at 10 us, and its latency is counted
// from the raise that set the bit: 10 - 2 = 8 us, the IRQs-off window left
// at that raise. (Before, every raise was queued for a handler run of its own.)
TEST_CASE("a vector raised again while pending is latched: one handler, latency = IRQs-off time left", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  sim::CacheLine xl("x");
  sim::Shared<int> x(xl, "x");
  CountingIrq v;
  v.handler = counting_handler;
  Device first(m, 0, v), second(m, 0, v);
  m.cpu(0).task().start(irqs_off_until(10 * us, x), 0);
  d.schedule(first, 2 * us);
  d.schedule(second, 6 * us);
  d.run();
  CHECK(v.invocations == 1);
  CHECK(v.started == 10 * us);
  CHECK(m.cpu(0).irq_latency().count() == 1);
  CHECK(m.cpu(0).irq_latency().max() == 8 * us);
  CHECK(m.cpu(0).irqs_latched() == 1);
  CHECK_FALSE(v.pending());
}

// A raise while the vector's handler runs sets the pending bit again (the
// handler is in service, not pending): the handler runs once more right
// after it returns. IRQs on; raises at 1 us (runs 1..2 us) and 1.5 us
// (pending from 1.5, runs 2..3 us: latency 0.5 us).
TEST_CASE("a vector raised while its handler runs is handled again after it", "[engine][irq]") {
  sim::Machine m(zero().topology, zero().costs);
  sim::TimedDriver d(m);
  CountingIrq v;
  v.handler = counting_handler;
  Device first(m, 0, v), second(m, 0, v);
  d.schedule(first, 1 * us);
  d.schedule(second, 1500 * ns);
  d.run();
  CHECK(v.invocations == 2);
  CHECK(v.started == 2 * us);
  CHECK(m.cpu(0).irq_latency().count() == 2);
  CHECK(m.cpu(0).irq_latency().min() == 0);
  CHECK(m.cpu(0).irq_latency().max() == 500 * ns);
  CHECK(m.cpu(0).irqs_latched() == 0);
}
