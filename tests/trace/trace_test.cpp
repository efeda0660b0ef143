// SPDX-License-Identifier: GPL-2.0-only
// sim::trace::Recorder and its writers on tiny scripted runs: the Chrome JSON
// is valid and has the documented structure, slices line up with what the
// engine did (a waiter's spin ends when the holder's hold ends, at zero
// cost), the window is respected, values and transfers are recorded, the
// record cap holds, and recording does not change the run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/sim/distinct_costs.hpp"
#include "sim/access.hpp"
#include "sim/machine.hpp"
#include "sim/presets.hpp"
#include "sim/spinlock.hpp"
#include "sim/timed_driver.hpp"
#include "sim/trace/recorder.hpp"
#include "sim/trace/writers.hpp"

using nlohmann::json;
using sim::Time;

namespace {

constexpr Time us = sim::kUs;

sim::CoherenceCosts zero_costs() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return p->costs;
}

using test::distinct_costs;

struct Times {
  Time acquired = -1;
  Time released = -1;
};

// Takes `l` at `start`, holds it for `hold` inside kernel function `fn`.
sim::Task<void> locker(const char* fn, sim::Spinlock& l, Time hold, Times& t) {
  sim::KernelFunction f{fn};
  co_await sim::spin_lock(l);
  t.acquired = sim::current().local;
  sim::cpu_work(hold);
  t.released = sim::current().local;
  co_await sim::spin_unlock(l);
}

// CPU 0 holds `test_lock` from 0 for 5 us; CPU 1 asks for it at 1 us.
struct Scripted {
  sim::Machine m;
  sim::TimedDriver d;
  sim::CacheLine line{"test_lock_line"};
  sim::Spinlock lock{"test_lock", line, sim::LockKind::Queued, m};
  Times t0, t1;

  explicit Scripted(const sim::CoherenceCosts& costs, sim::Observer* obs) : m(sim::Topology{1, 2, 1}, costs), d(m) {
    m.observer = obs;
    m.cpu(0).task().start(locker("holder_fn", lock, 5 * us, t0), 0);
    m.cpu(1).task().start(locker("waiter_fn", lock, 1 * us, t1), 1 * us);
    d.run();
  }
};

json to_json(const sim::trace::Recorder& rec, int cpus) {
  sim::trace::TraceInfo info;
  info.cpus = cpus;
  info.title = "test";
  info.meta["window_ns"] = {sim::to_ns(rec.window().from), sim::to_ns(rec.window().to)};
  std::ostringstream os;
  sim::trace::write_chrome_json(os, rec, info);
  return json::parse(os.str());  // throws (fails the test) if not valid JSON
}

std::string text_of(const sim::trace::Recorder& rec) {
  sim::trace::TraceInfo info;
  info.title = "test";
  std::ostringstream os;
  sim::trace::write_text(os, rec, info);
  return os.str();
}

std::vector<json> events(const json& j, const std::string& ph) {
  std::vector<json> out;
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == ph) out.push_back(e);
  return out;
}

const json* find_x(const json& j, int pid, const std::string& name) {
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "X" && e.at("pid") == pid && e.at("name") == name) return &e;
  return nullptr;
}

// Thread name of (pid, tid) from the metadata.
std::string thread_name(const json& j, int pid, int tid) {
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "M" && e.at("name") == "thread_name" && e.at("pid") == pid && e.at("tid") == tid)
      return e.at("args").at("name");
  return "";
}

double end_of(const json& e) { return e.at("ts").get<double>() + e.at("dur").get<double>(); }

}  // namespace

TEST_CASE("trace JSON: a spin on CPU 1 ends exactly when CPU 0's hold ends (zero costs)", "[trace]") {
  sim::trace::Recorder rec({sim::trace::Window{0, 100 * us}, 1000, true});
  Scripted s(zero_costs(), &rec);
  rec.finish(100 * us);
  REQUIRE(s.t1.acquired == 5 * us);  // the scenario is what the test says

  const json j = to_json(rec, 2);
  REQUIRE(j.at("traceEvents").is_array());
  // No displayTimeUnit: Perfetto would take "ns" there as the unit of ts (microseconds).
  REQUIRE_FALSE(j.contains("displayTimeUnit"));

  // One process per CPU plus "locks", named; pid = CPU + 1 (pid 0 is Perfetto's idle process).
  std::map<int, std::string> procs;
  for (const auto& e : events(j, "M"))
    if (e.at("name") == "process_name") procs[e.at("pid")] = e.at("args").at("name");
  REQUIRE(procs == std::map<int, std::string>{{1, "cpu0"}, {2, "cpu1"}, {3, "locks"}});

  const json* held = find_x(j, 1, "hold test_lock");
  const json* spin = find_x(j, 2, "spin test_lock");
  REQUIRE(held);
  REQUIRE(spin);
  CHECK(held->at("cat") == "held");
  CHECK(spin->at("cat") == "spin");
  CHECK(held->at("ts").get<double>() == 0.0);
  CHECK(spin->at("ts").get<double>() == 1.0);  // microseconds
  CHECK(end_of(*held) == 5.0);
  CHECK(end_of(*spin) == end_of(*held));
  CHECK(spin->at("args").at("holder") == "cpu0/task");
  // Lock slices live on a per-context, per-lock thread of the CPU's process.
  CHECK(thread_name(j, 2, spin->at("tid")) == "task test_lock");
  CHECK(thread_name(j, 1, held->at("tid")) == "task test_lock");
  // Thread ids are unique across processes (pid * 1000 + local), as Perfetto expects of tids.
  CHECK(spin->at("tid").get<int>() / 1000 == 2);
  CHECK(held->at("tid").get<int>() / 1000 == 1);
  // CPU 1 then holds it for 1 us.
  const json* held1 = find_x(j, 2, "hold test_lock");
  REQUIRE(held1);
  CHECK(held1->at("ts").get<double>() == 5.0);
  CHECK(end_of(*held1) == 6.0);
  CHECK(held1->at("args").at("contended") == true);

  // Kernel functions are slices on the context's thread ("task"), around the lock.
  const json* fn1 = find_x(j, 2, "waiter_fn");
  REQUIRE(fn1);
  CHECK(thread_name(j, 2, fn1->at("tid")) == "task");
  CHECK(fn1->at("ts").get<double>() == 1.0);
  CHECK(end_of(*fn1) == 6.0);

  // CPU activity: CPU 1 spins from 1 to 5 us.
  bool cpu1_spins = false;
  for (const auto& e : events(j, "X"))
    if (e.at("pid") == 2 && e.at("cat") == "activity" && e.at("name") == "spin")
      cpu1_spins = e.at("ts").get<double>() == 1.0 && end_of(e) == 5.0;
  CHECK(cpu1_spins);

  // The waiters counter: 0 at the start, 1 while CPU 1 spins, 0 after.
  std::vector<std::pair<double, int>> waiters;
  for (const auto& e : events(j, "C")) {
    REQUIRE(e.at("name") == "test_lock");  // Perfetto names the track "test_lock waiters"
    REQUIRE(e.at("args").contains("waiters"));
    REQUIRE(e.at("pid") == 3);
    waiters.emplace_back(e.at("ts").get<double>(), e.at("args").at("waiters").get<int>());
  }
  CHECK(waiters == std::vector<std::pair<double, int>>{{0.0, 0}, {1.0, 1}, {5.0, 0}});

  // The narration says the same.
  const std::string text = text_of(rec);
  CHECK_THAT(text, Catch::Contains("cpu1/task"));
  CHECK_THAT(text, Catch::Contains("spin_lock test_lock: busy, held by cpu0/task; spins (1 waiter now)"));
  // ... in the spinner's call chain (as the profile's stacks have it).
  CHECK_THAT(text, Catch::Contains("spins (1 waiter now) in waiter_fn\n"));
  CHECK_THAT(text, Catch::Contains("acquires test_lock after spinning 4000.0 ns (0 waiters left)"));
  CHECK_THAT(text, Catch::Contains("releases test_lock after holding it 5000.0 ns (1 waiter)"));
}

TEST_CASE("trace: with real costs a spin lasts the lock's recorded wait and ends after the hold", "[trace]") {
  sim::trace::Recorder rec({sim::trace::Window{0, 100 * us}, 1000, true});
  Scripted s(distinct_costs(), &rec);
  rec.finish(100 * us);
  const auto& st = s.lock.stats();
  REQUIRE(st.contended == 1);

  const sim::trace::Record* spin = nullptr;
  const sim::trace::Record* held0 = nullptr;
  for (const auto& r : rec.records()) {
    if (r.kind == sim::trace::RecordKind::Spin) spin = &r;
    if (r.kind == sim::trace::RecordKind::Held && r.cpu == 0) held0 = &r;
  }
  REQUIRE(spin);
  REQUIRE(held0);
  CHECK(spin->end - spin->begin == st.wait.max());  // the wait the lock statistics recorded
  CHECK(held0->end - held0->begin == st.hold.max() + 0);
  CHECK(held0->end == s.t0.released);
  CHECK(spin->end > held0->end);  // the handoff costs a transfer and an atomic
  CHECK(spin->end == s.t1.acquired);

  // The lock's line moved from CPU 0 to CPU 1, with its cost.
  bool moved = false;
  for (const auto& r : rec.records())
    if (r.kind == sim::trace::RecordKind::Transfer && r.a == 0 && r.cpu == 1 && rec.str(r.name) == "test_lock_line")
      moved = r.end > r.begin;
  CHECK(moved);
}

TEST_CASE("trace: recording does not change the run", "[trace]") {
  Scripted plain(distinct_costs(), nullptr);
  sim::trace::Recorder rec({sim::trace::Window{0, 100 * us}, 1000, true});
  Scripted traced(distinct_costs(), &rec);
  CHECK(plain.t0.acquired == traced.t0.acquired);
  CHECK(plain.t0.released == traced.t0.released);
  CHECK(plain.t1.acquired == traced.t1.acquired);
  CHECK(plain.t1.released == traced.t1.released);
  CHECK(plain.d.events() == traced.d.events());
  CHECK(rec.hooks() > 0);
}

namespace {

// Three rounds of (lock, 4 us hold, unlock, 1 us gap) on CPU 0 and an xchg.
sim::Task<void> rounds(sim::Spinlock& l, sim::Shared<long>& x) {
  sim::KernelFunction f{"rounds"};
  for (long i = 0; i < 3; ++i) {
    sim::KernelFunction g{"round"};
    co_await sim::spin_lock(l);
    sim::cpu_work(4 * us);
    long old = co_await sim::xchg(x, i + 10);
    (void)old;
    co_await sim::spin_unlock(l);
    sim::cpu_work(1 * us);
  }
}

}  // namespace

TEST_CASE("trace: only the window is kept, slices are clipped to it and say so", "[trace]") {
  const Time from = 3 * us, to = 12 * us;
  sim::trace::Recorder rec({sim::trace::Window{from, to}, 1000, true});
  sim::Machine m(sim::Topology{1, 2, 1}, zero_costs());
  sim::TimedDriver d(m);
  m.observer = &rec;
  sim::CacheLine line("l");
  sim::Spinlock l("the_lock", line, sim::LockKind::Queued, m);
  sim::Shared<long> x(line, "x", 0);
  m.cpu(0).task().start(rounds(l, x), 0);
  d.run();
  rec.finish(to);
  REQUIRE(x.raw() == 12);  // the whole run happened (15 us), the window is a part of it

  const json j = to_json(rec, 2);
  const double f_us = 3.0, t_us = 12.0;
  int x_events = 0, clipped_begin = 0, clipped_end = 0;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") == "M") continue;
    const double ts = e.at("ts");
    CHECK(ts >= f_us);
    CHECK(ts <= t_us);
    if (e.at("ph") == "X") {
      ++x_events;
      CHECK(end_of(e) <= t_us);
      if (e.at("args").contains("began_before_window")) {
        ++clipped_begin;
        CHECK(ts == f_us);
      }
      if (e.at("args").contains("open_at_end")) {
        ++clipped_end;
        CHECK(end_of(e) == t_us);
      }
    }
  }
  CHECK(x_events > 0);
  // "rounds", the first "round" and the first hold began before 3 us; "rounds",
  // the third round and its hold are still open at 12 us.
  CHECK(clipped_begin >= 3);
  CHECK(clipped_end >= 3);
  // Round i holds the lock over [5i, 5i+4] us: clipped to [3,4], [5,9], [10,12].
  std::vector<std::pair<double, double>> holds;
  for (const auto& e : events(j, "X"))
    if (e.at("name") == "hold the_lock") holds.emplace_back(e.at("ts").get<double>(), end_of(e));
  CHECK(holds == std::vector<std::pair<double, double>>{{3.0, 4.0}, {5.0, 9.0}, {10.0, 12.0}});
  const json* first = find_x(j, 1, "hold the_lock");
  REQUIRE(first);
  CHECK(first->at("args").at("began_before_window") == true);
  CHECK(first->at("args").at("began_ns").get<double>() == 0.0);

  // Atomics carry old and new values; the xchgs at 4 and 9 us are kept, not the one at 14.
  std::vector<std::pair<std::string, std::string>> xchgs;
  for (const auto& e : events(j, "i"))
    if (e.at("name") == "atomic x") xchgs.emplace_back(e.at("args").at("old"), e.at("args").at("new"));
  CHECK(xchgs == std::vector<std::pair<std::string, std::string>>{{"0", "10"}, {"10", "11"}});

  // The text starts with the state at the window's start and stays inside it.
  const std::string text = text_of(rec);
  CHECK_THAT(text, Catch::Contains("cpu0/task   in rounds > round; holds the_lock (since 0.000 ns)"));
  CHECK_THAT(text, Catch::Contains("atomic x: 0 -> 10"));
  CHECK_THAT(text, Catch::Contains("atomic x: 10 -> 11"));
  CHECK_THAT(text, !Catch::Contains("atomic x: 11 -> 12"));  // at 14 us
}

namespace {

struct Irq : sim::IrqRequest {};

sim::Task<void> irq_handler(sim::IrqRequest&) {
  sim::KernelFunction f{"my_handler"};
  sim::cpu_work(2 * us);
  co_return;
}

struct Device : sim::Event {
  sim::Machine* m;
  Irq* req;
  void fire() override { m->cpu(0).raise_irq(*req); }
};

sim::Task<void> irqoff_holder(sim::Spinlock& l) {
  co_await sim::spin_lock_irq(l);
  sim::cpu_work(5 * us);
  co_await sim::spin_unlock_irq(l);
}

}  // namespace

TEST_CASE("trace: an IRQ raised while IRQs are off is deferred, then handled", "[trace]") {
  sim::trace::Recorder rec({sim::trace::Window{0, 100 * us}, 1000, true});
  sim::Machine m(sim::Topology{1, 1, 1}, zero_costs());
  sim::TimedDriver d(m);
  m.observer = &rec;
  sim::CacheLine line("l");
  sim::Spinlock l("l", line, sim::LockKind::Queued, m);
  Irq irq;
  irq.handler = irq_handler;
  irq.name = "dev";
  Device dev;
  dev.m = &m;
  dev.req = &irq;
  m.cpu(0).task().start(irqoff_holder(l), 0);
  d.schedule(dev, 1 * us);
  d.run();
  rec.finish(100 * us);

  const json j = to_json(rec, 1);
  std::vector<std::string> instants;
  for (const auto& e : events(j, "i"))
    if (e.at("cat") == "irq") instants.push_back(e.at("name").get<std::string>() + "@" + std::to_string(e.at("ts").get<double>()));
  CHECK(instants == std::vector<std::string>{"raised dev@1.000000", "deferred dev@1.000000"});
  const json* h = find_x(j, 1, "irq dev");  // CPU 0 is pid 1
  REQUIRE(h);
  CHECK(thread_name(j, 1, h->at("tid")) == "irq");
  CHECK(h->at("ts").get<double>() == 5.0);  // when spin_unlock_irq turned IRQs back on
  CHECK(end_of(*h) == 7.0);
  CHECK(h->at("args").at("latency_ns").get<double>() == 4000.0);
  const json* fn = find_x(j, 1, "my_handler");
  REQUIRE(fn);
  CHECK(fn->at("tid") == h->at("tid"));
  bool irq_activity = false;
  for (const auto& e : events(j, "X"))
    if (e.at("cat") == "activity" && e.at("name") == "irq") irq_activity = e.at("ts").get<double>() == 5.0 && end_of(e) == 7.0;
  CHECK(irq_activity);
  const std::string text = text_of(rec);
  CHECK_THAT(text, Catch::Contains("IRQ dev held off"));
  CHECK_THAT(text, Catch::Contains("IRQ dev handler starts, 4000.0 ns after it was raised"));
}

TEST_CASE("trace: the record cap stops recording and says so", "[trace]") {
  sim::trace::Recorder rec({sim::trace::Window{0, 100 * us}, 5, true});
  Scripted s(distinct_costs(), &rec);
  rec.finish(100 * us);
  CHECK(rec.truncated());
  CHECK(rec.records().size() == 5);
  CHECK_THAT(text_of(rec), Catch::Contains("TRUNCATED"));
  sim::trace::Recorder roomy({sim::trace::Window{0, 100 * us}, 100000, true});
  Scripted s2(distinct_costs(), &roomy);
  roomy.finish(100 * us);
  CHECK(!roomy.truncated());
  CHECK(roomy.records().size() > 5);
}
