// SPDX-License-Identifier: GPL-2.0-only
#include "models/workload/keys.hpp"

namespace models {

using sim::config::Type;

void add_workload_keys(sim::config::Schema& s) {
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
  s.add("workload.buffered_fraction", Type::Float, 0.0,
        "fraction of block writes to the block device opened without O_DIRECT (a page-cache copy, block.buffered_copy): "
        "fs/aio.c completes them inside io_submit, io_uring punts them to an io-wq worker (io_wq.cpu)")
      .range(0, 1);
}

void add_io_wq_keys(sim::config::Schema& s, int max_cpus) {
  s.add("io_wq.cpu", Type::Int, -1,
        "CPU whose task context runs io_uring's io-wq worker kthread (io_wqe_worker) when workload.buffered_fraction > 0 "
        "(-1: the first of block.irq_cpus, else the last CPU)")
      .range(-1, max_cpus - 1);
}

void add_cancel_keys(sim::config::Schema& s) {
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
}

void add_teardown_keys(sim::config::Schema& s, int max_cpus) {
  s.add("teardown.at", Type::Duration, "0ns", "io_destroy at this simulated time (0: never)").min(0);
  s.add("teardown.cpu", Type::Int, -1, "CPU whose task calls io_destroy (-1: the last CPU)").range(-1, max_cpus - 1);
}

void read_workload(const sim::config::Config& cfg, WorkloadConfig& wc) {
  wc.batch = cfg.get_int("workload.batch");
  wc.queue_depth = cfg.get_int("workload.queue_depth");
  wc.think = cfg.get_distribution("workload.think");
  wc.min_nr = cfg.get_int("workload.min_nr");
  wc.nr = cfg.get_int("workload.nr");
  wc.usb_fraction = cfg.get_float("workload.usb_fraction");
  wc.bad_buffer_fraction = cfg.get_float("workload.bad_buffer_fraction");
  wc.eventfd_fraction = cfg.get_float("workload.eventfd_fraction");
  wc.buffered_fraction = cfg.get_float("workload.buffered_fraction");
  wc.cancel_fraction = cfg.get_float("usb.cancel_fraction");
  wc.cancel_delay = cfg.get_distribution("usb.cancel_delay");
  wc.cancel_rate = cfg.get_float("usb.cancel_rate");
  wc.cancel_oldest = cfg.get_string("usb.cancel_target") == "oldest";
  wc.block_cancel_fraction = cfg.get_float("block.cancel_fraction");
}

}  // namespace models
