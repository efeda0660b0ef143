// SPDX-License-Identifier: GPL-2.0-only
#include "sim/simgrid_clock.hpp"

#include <memory>

#include <fmt/format.h>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include "sim/machine.hpp"
#include "sim/timed_driver.hpp"

namespace sim {

namespace {
std::unique_ptr<simgrid::s4u::Engine> engine;

double to_sg(Time t) { return static_cast<double>(t) * 1e-12; }
}  // namespace

SimgridClock::SimgridClock(Machine& m, TimedDriver& d, Time quantum, const std::vector<std::string>& args,
                           bool cpu_hosts)
    : machine_(m), driver_(d), quantum_(quantum) {
  if (engine) throw std::logic_error("one SimGrid simulation per process");
  std::vector<std::string> storage{"aiosim"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  int argc = static_cast<int>(argv.size());
  engine = std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());

  if (!cpu_hosts) {
    auto* zone = simgrid::s4u::create_full_zone("machine");
    zone->create_host("machine", 1e9)->seal();
    zone->seal();
    return;
  }
  const Topology& topo = m.topology();
  // Each socket's zone is filled and sealed before the next one is created:
  // SimGrid's tracing nests containers in creation order (a zone is the
  // parent of what is created until it is sealed), so the Paje hierarchy is
  // machine > socketN > cpuI.
  auto* root = simgrid::s4u::create_full_zone("machine");
  for (int s = 0; s < topo.sockets; ++s) {
    auto* z = simgrid::s4u::create_full_zone(fmt::format("socket{}", s));
    z->set_parent(root);
    for (int i = 0; i < m.cpus(); ++i) {
      if (topo.socket_of(i) != s) continue;
      auto* h = z->create_host(fmt::format("cpu{}", i), 1e9);
      h->set_property("socket", std::to_string(topo.socket_of(i)));
      h->set_property("core", std::to_string(topo.core_of(i)));
      h->set_property("thread", std::to_string(topo.thread_of(i)));
      h->seal();
      m.cpu(i).host = h;
    }
    z->seal();
  }
  root->seal();
}

SimgridClock::~SimgridClock() = default;  // the Engine lives until exit: SimGrid cannot restart

Time SimgridClock::simgrid_now() const { return static_cast<Time>(simgrid::s4u::Engine::get_clock() * 1e12 + 0.5); }

void SimgridClock::arm(Time at) {
  ++timers_;
  simgrid::kernel::timer::Timer::set(to_sg(at), [this] { tick(); });
}

// One SimGrid timer: run our events of this quantum, then arm the next one.
void SimgridClock::tick() {
  Time start = driver_.next_event_time();
  Time end = quantum_ > 0 ? start + quantum_ : start + 1;
  if (end > until_) end = until_;
  driver_.run_epoch(end);
  Time next = driver_.next_event_time();
  if (!driver_.stopped() && next != kNever && next < until_) arm(next);
}

void SimgridClock::run(Time until) {
  until_ = until;
  Time first = driver_.next_event_time();
  if (first != kNever && first < until) arm(first);
  engine->run();
}

}  // namespace sim
