// SPDX-License-Identifier: GPL-2.0-only
#include "programs/lockbench/schema.hpp"
#include "sim/machine_config.hpp"

namespace programs::lockbench {

namespace {

using sim::config::Schema;
using sim::config::Type;

Schema make_schema() {
  Schema s;
  s.add("scenario", Type::String, "lockbench", "which scenario the file describes").choices({"lockbench"});
  s.add("seed", Type::Int, 1, "run seed; every CPU's think and hold streams derive from it").min(0);

  sim::add_machine_keys(s, "zero", kMaxCpus);

  s.add("lock.kind", Type::String, "ticket", "spinlock implementation").choices({"ticket", "qspinlock", "tas"});
  s.add("lock.irq", Type::String, "none", "spin_lock, spin_lock_irq or spin_lock_irqsave (with the matching unlock)")
      .choices({"none", "irq", "irqsave"});

  s.add("bench.cpus", Type::CpuList, "", "CPUs running the loop (empty: every CPU of the machine)");
  s.add("bench.think", Type::Distribution, "exp(10us)", "work outside the lock between critical sections");
  s.add("bench.hold", Type::Distribution, "exp(1us)", "work inside the critical section (cpu_work)");
  s.add("bench.start", Type::String, "thinking",
        "how each CPU begins: thinking (the lock starts idle) or contending (every CPU asks for the lock at time 0)")
      .choices({"thinking", "contending"});
  s.add("bench.warmup", Type::Duration, "1ms", "simulated time before statistics start").min(0);
  s.add("bench.duration", Type::Duration, "20ms", "measured simulated time after the warm-up").min(0.001);
  s.add("bench.batches", Type::Int, 20, "batch means: the measured window is cut into this many equal batches")
      .range(2, 10000);
  s.add("bench.baseline", Type::Bool, true,
        "also run the same loop on one CPU (the first of bench.cpus) in this process, for the speedup");

  s.add("engine.clock", Type::String, "internal",
        "drive time from SimGrid's clock or the driver alone (identical results; SimGrid allows one simulation "
        "per process, so the one-CPU baseline always runs on the driver alone)")
      .choices({"simgrid", "internal"});
  s.add("engine.sync_quantum", Type::Duration, "100us", "advance SimGrid's clock at most once per quantum").min(0);
  return s;
}

}  // namespace

const Schema& schema() {
  static const Schema s = make_schema();
  return s;
}

}  // namespace programs::lockbench
