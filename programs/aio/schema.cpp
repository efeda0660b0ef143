// SPDX-License-Identifier: GPL-2.0-only
#include "programs/aio/schema.hpp"
#include "models/designs/make_design.hpp"
#include "sim/machine_config.hpp"

namespace programs::aio {

using namespace models;  // the kernel objects this program runs

namespace {

using sim::config::Schema;
using sim::config::Type;

Schema make_schema() {
  Schema s;
  s.add("scenario", Type::String, "aio", "which scenario the file describes (\"lockbench\": programs/lockbench)").choices({"aio"});
  s.add("seed", Type::Int, 1, "run seed; every source and lock derives its own stream from it").min(0);

  sim::add_machine_keys(s, "x86-2s-modern", kMaxCoresPerSocket);
  s.add("machine.wakeup_latency", Type::Duration, "2us", "try_to_wake_up until the woken task runs").min(0);
  s.add("machine.word_bits", Type::Int, 64,
        "width of the kernel's long: 64 (x86-64, LP64) or 32 (i386, where kiocb_batch_refill's BUG_ON(avail < 0) can fire)")
      .range(32, 64);

  add_kioctx_keys(s);  // kioctx.design, .lock, .nr_events and the seed switches (models/designs/make_design.cpp)
  s.add("kioctx.layout_preset", Type::String, "design",
        "kioctx field layout; design: the design's kernel's (packed up to the seed, cacheline-aligned from v3.10)")
      .choices({"design", "packed", "cacheline-aligned"});
  s.add_map("kioctx.layout", Type::String, "move one kioctx field to a named cache line");

  s.add("workload.kiocbs", Type::Int, 200000, "stop after this many results (0: run for workload.duration)").min(0);
  s.add("workload.duration", Type::Duration, "0ns", "simulated time to run when workload.kiocbs is 0").min(0);
  s.add("workload.warmup", Type::Duration, "0ns",
        "statistics start at this simulated time (it must end before the run does: an empty measured window is an error)")
      .min(0);
  s.add("workload.min_measured", Type::Int, 1000,
        "a run whose measured window (after the warm-up) holds fewer completions is flagged: sim.too_few_measured, "
        "a warning line")
      .range(0, 1'000'000'000);
  // Role CPUs: a list, a count, a share or "rest" (models/workload/roles.hpp).
  s.add("workload.submitters", Type::CpuSet, "0-3", "CPUs whose task runs an io_submit loop");
  s.add("workload.batch", Type::Int, 8, "iocbs per io_submit").range(1, 4096);
  s.add("workload.queue_depth", Type::Int, 32, "in-flight cap per submitter").range(1, 1 << 20);
  s.add("workload.think", Type::Distribution, "1us", "user-space work between io_submit calls");
  s.add("workload.reapers", Type::CpuSet, "", "CPUs running io_getevents loops (empty: submitters reap their own)");
  s.add("workload.min_nr", Type::Int, 1, "io_getevents min_nr").range(1, 1 << 20);
  s.add("workload.nr", Type::Int, 32, "io_getevents nr").range(1, 1 << 20);
  s.add("workload.usb_fraction", Type::Float, 0.01, "fraction of iocbs sent to the USB gadget endpoint").range(0, 1);
  s.add("workload.bad_buffer_fraction", Type::Float, 0.0,
        "fraction of iocbs whose buffer fails access_ok: aio_setup_iocb returns -EFAULT (io_submit_one's out_put_req)")
      .range(0, 1);
  s.add("workload.eventfd_fraction", Type::Float, 0.0,
        "fraction of iocbs submitted with IOCB_FLAG_RESFD: aio_complete calls eventfd_signal on one eventfd")
      .range(0, 1);

  s.add("block.service", Type::Distribution, "exp(20us)", "device service time per request");
  s.add("block.irq_cpus", Type::CpuSet, "0-3", "CPUs taking the completion interrupts");
  s.add("block.irq_routing", Type::String, "round-robin", "which IRQ CPU completes a request")
      .choices({"round-robin", "submitter"});
  s.add("block.irq_work", Type::Duration, "300ns", "handler work before aio_complete (driver, blk-mq)").min(0);
  s.add("block.cancel_fraction", Type::Float, 0.0,
        "fraction of block requests user space also cancels (by usb.cancellers after usb.cancel_delay; "
        "rate mode: they join the cancellers' targets)")
      .range(0, 1);
  s.add("block.irq_budget", Type::Int, 0,
        "completions one handler invocation takes from its queue before raising its vector again (0: drain)")
      .range(0, 1 << 20);

  s.add("usb.bus_mbps", Type::Float, 480.0, "bus signalling rate (USB 2.0 high speed: 480)").min(1);
  s.add("usb.efficiency", Type::Float, 0.8, "share of the bus rate a bulk transfer gets").range(0.01, 1);
  s.add("usb.transfer_bytes", Type::Int, 4096, "bytes per endpoint request").range(1, 1 << 24);
  s.add("usb.irq_cpu", Type::Int, 0, "CPU taking the UDC interrupt (-1: the last of block.irq_cpus)").range(-1, kMaxCpus - 1);
  s.add("usb.cancel_fraction", Type::Float, 0.2, "fraction of USB requests that user space cancels").range(0, 1);
  s.add("usb.cancel_delay", Type::Distribution, "uniform(0us,150us)", "from submission to the io_cancel call");
  s.add("usb.cancellers", Type::CpuSet, 1,
        "CPUs running io_cancel callers (a count or share gives CPUs only to a run that cancels)");
  // At most one call per ns; at least one per 10^6 s (a smaller rate would
  // mean a first call beyond the longest duration, sim/time.hpp).
  s.add("usb.cancel_rate", Type::Float, 0.0,
        "rate mode: io_cancel calls per second per canceller (0: fraction mode; else at least 1e-6)")
      .range(0, 1e9);
  s.add("usb.cancel_target", Type::String, "oldest", "rate mode: which in-flight USB request to cancel")
      .choices({"oldest", "random"});

  s.add("invariants.kernel_races", Type::String, "stop",
        "gadgetfs' own io_cancel races (lost result, freed iocb->private): stop the run, or count them")
      .choices({"stop", "count"});

  s.add("teardown.at", Type::Duration, "0ns", "io_destroy at this simulated time (0: never)").min(0);
  s.add("teardown.cpu", Type::Int, -1, "CPU whose task calls io_destroy (-1: the last CPU)").range(-1, kMaxCpus - 1);

  add_cost_keys(s);  // costs.* (models/designs/make_design.cpp)

  s.add("engine.clock", Type::String, "simgrid", "drive time from SimGrid's clock or the driver alone")
      .choices({"simgrid", "internal"});
  s.add("engine.sync_quantum", Type::Duration, "100us", "advance SimGrid's clock at most once per quantum").min(0);
  s.add("output.profile", Type::Bool, true,
        "profile busy CPU time by kernel call chain: result.json's profile, and profile.folded / profile-roles.folded "
        "next to it");
  s.add("output.latency_cdf", Type::Bool, false, "add latency_cdf (submit->event ns at percent 0..99, 99.5, 99.9, 99.99, 100) to result.json");
  return s;
}

}  // namespace

const Schema& run_schema() {
  static const Schema s = make_schema();
  return s;
}

std::string layout_preset_of(const sim::config::Config& cfg) {
  const std::string& preset = cfg.get_string("kioctx.layout_preset");
  if (preset != "design") return preset;
  const DesignInfo* d = find_design(cfg.get_string("kioctx.design"));
  return d ? d->layout : "packed";
}

}  // namespace programs::aio
