// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/block_device.hpp"

namespace models {

using sim::config::Type;

void BlockDevice::add_keys(sim::config::Schema& s) {
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
}

BlockDevice::Config BlockDevice::config_from(const sim::config::Config& cfg, std::vector<int> irq_cpus,
                                             sim::Time submit_io) {
  Config bc;
  bc.service = cfg.get_distribution("block.service");
  bc.irq_cpus = std::move(irq_cpus);
  bc.routing = cfg.get_string("block.irq_routing") == "submitter" ? IrqRouting::Submitter : IrqRouting::RoundRobin;
  bc.irq_work = cfg.get_duration_ps("block.irq_work");
  bc.irq_budget = cfg.get_int("block.irq_budget");
  bc.submit_io = submit_io;
  return bc;
}

BlockDevice::Config BlockDevice::default_config(std::vector<int> irq_cpus, sim::Time submit_io) {
  sim::config::Schema s;
  add_keys(s);
  return config_from(sim::config::Config::from_string(s, "", "(defaults)"), std::move(irq_cpus), submit_io);
}

BlockDevice::BlockDevice(sim::Machine& m, AioDesign& aio, Config cfg, std::uint64_t seed)
    : file("blockdev"), machine_(m), aio_(aio), cfg_(std::move(cfg)), rng_(seed, "block-device") {
  for (int c = 0; c < m.cpus(); ++c) {
    vectors_.push_back(std::make_unique<Vector>(c));
    Vector& v = *vectors_.back();
    v.owner = this;
    v.handler = &BlockDevice::blk_irq_handler;
    v.name = "blk";
  }
}

BlockDevice::Request& BlockDevice::alloc_request() {
  if (free_.empty()) {
    free_.push_back(&pool_.emplace_back());
  }
  Request* r = free_.back();
  free_.pop_back();
  return *r;
}

// ki_retry -> blkdev_aio_write -> ... -> submit_bio: the request is queued
// and the call returns -EIOCBQUEUED.
Task<long> BlockDevice::aio_write(kiocb& iocb) {
  sim::KernelFunction fn{"blkdev_aio_write"};
  sim::Context& self = sim::current();
  sim::cpu_work(cfg_.submit_io);
  Request& r = alloc_request();
  r.dev = this;
  r.iocb = &iocb;
  if (cfg_.routing == IrqRouting::Submitter || cfg_.irq_cpus.empty()) {
    r.cpu = self.cpu().id();
  } else {
    r.cpu = cfg_.irq_cpus[next_irq_cpu_];
    next_irq_cpu_ = (next_irq_cpu_ + 1) % cfg_.irq_cpus.size();
  }
  if (cfg_.manual_hardware) {
    held_.push_back(&r);
    co_return -EIOCBQUEUED;
  }
  sim::Time service = sim::from_ns(cfg_.service.sample(rng_));
  machine_.driver().schedule(r, self.local + service);
  co_return -EIOCBQUEUED;
}

void BlockDevice::Request::fire() { dev->post(*this); }

// The device writes the completion entry, then signals the CPU's vector; if
// the vector is already pending the signal is absorbed and the handler that
// runs will find this entry too.
void BlockDevice::post(Request& r) {
  r.done_at = machine_.driver().now();
  Vector& v = *vectors_.at(r.cpu);
  v.cq.push_back(&r);
  ++v.tail.raw();
  machine_.cpu(r.cpu).raise_irq(v);
}

bool BlockDevice::hardware_pending(std::uint64_t user_data) const {
  for (const Request* r : held_)
    if (r->iocb->ki_user_data == user_data) return true;
  return false;
}

bool BlockDevice::hardware_done(std::uint64_t user_data, int cpu) {
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    Request& r = **it;
    if (r.iocb->ki_user_data != user_data) continue;
    held_.erase(it);
    r.cpu = cpu;
    post(r);
    return true;
  }
  return false;
}

// The device's interrupt handler (nvme_irq -> nvme_process_cq, v3.9
// drivers/block/nvme-core.c): take completion entries until the queue is
// empty, completing each request in IRQ context; with a budget, stop after
// `irq_budget` entries and raise the vector again for the rest.
Task<void> BlockDevice::blk_irq_handler(sim::IrqRequest& irq) {
  sim::KernelFunction fn{"blk_irq_handler"};
  auto& v = static_cast<Vector&>(irq);
  BlockDevice& dev = *static_cast<BlockDevice*>(v.owner);
  sim::Machine& m = dev.machine_;
  const bool counted = sim::current().local >= m.stats_start();
  // An invocation is counted once it runs in the measured window: on entry,
  // or, begun in the warm-up, when it next looks at its queue after it. Under
  // a saturated interrupt CPU one invocation can drain the queue from the
  // warm-up to the end of the run.
  bool in_window = counted;
  if (in_window) ++dev.irq_invocations_;
  long n = 0;
  for (;;) {
    co_await sim::READ_ONCE(v.tail);  // the next entry's phase bit: posted or not
    if (!in_window && sim::current().local >= m.stats_start()) {
      in_window = true;
      ++dev.irq_invocations_;
    }
    if (v.cq.empty()) break;
    if (dev.cfg_.irq_budget > 0 && n == dev.cfg_.irq_budget) {
      m.cpu(v.cpu).raise_irq(v);  // work left: come back after this invocation
      break;
    }
    Request& r = *v.cq.front();
    v.cq.pop_front();
    kiocb& iocb = *r.iocb;
    const sim::Time done_at = r.done_at;
    dev.free_.push_back(&r);  // the request is done with
    ++n;
    sim::cpu_work(dev.cfg_.irq_work);
    ++dev.completions_;
    if (sim::current().local >= m.stats_start()) dev.done_to_complete_.record(sim::current().local - done_at);
    co_await dev.aio_.aio_complete(iocb, dev.cfg_.bytes, 0);
  }
  if (counted) dev.per_irq_.record(n);
}

}  // namespace models
