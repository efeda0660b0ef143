// SPDX-License-Identifier: GPL-2.0-only
#include "programs/aio/schema.hpp"
#include "models/designs/make_design.hpp"
#include "models/devices/block_device.hpp"
#include "models/devices/buffered_block_file.hpp"
#include "models/devices/usb_gadget.hpp"
#include "models/workload/keys.hpp"
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
  add_workload_keys(s);           // workload.submitters ... (models/workload/keys.cpp)
  BlockDevice::add_keys(s);       // block.* (models/devices/block_device.cpp)
  BufferedBlockFile::add_keys(s);  // block.buffered_copy (models/devices/buffered_block_file.cpp)
  add_io_wq_keys(s, kMaxCpus);     // io_wq.cpu (models/workload/keys.cpp)
  UsbGadget::add_keys(s, kMaxCpus);  // the controller's usb.* (models/devices/usb_gadget.cpp)
  add_cancel_keys(s);             // usb.cancel_*: the io_cancel callers (models/workload/keys.cpp)

  s.add("invariants.kernel_races", Type::String, "stop",
        "gadgetfs' own io_cancel races (lost result, freed iocb->private): stop the run, or count them")
      .choices({"stop", "count"});

  add_teardown_keys(s, kMaxCpus);  // teardown.* (models/workload/keys.cpp)

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
