#include "models/devices/block_device.hpp"

namespace models {

BlockDevice::BlockDevice(sim::Machine& m, AioDesign& aio, Config cfg, std::uint64_t seed)
    : file("blockdev"), machine_(m), aio_(aio), cfg_(std::move(cfg)), rng_(seed, "block-device") {}

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
  r.owner = this;
  r.iocb = &iocb;
  r.handler = &BlockDevice::blk_irq_handler;
  r.name = "blk";
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

void BlockDevice::Request::fire() { static_cast<BlockDevice*>(owner)->machine_.cpu(cpu).raise_irq(*this); }

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
    r.fire();
    return true;
  }
  return false;
}

// The device's interrupt handler: complete the request in IRQ context.
Task<void> BlockDevice::blk_irq_handler(sim::IrqRequest& irq) {
  sim::KernelFunction fn{"blk_irq_handler"};
  auto& r = static_cast<Request&>(irq);
  BlockDevice& dev = *static_cast<BlockDevice*>(r.owner);
  kiocb& iocb = *r.iocb;
  dev.free_.push_back(&r);  // the request is done with; `irq` is not touched again
  sim::cpu_work(dev.cfg_.irq_work);
  ++dev.completions_;
  co_await dev.aio_.aio_complete(iocb, dev.cfg_.bytes, 0);
}

}  // namespace models
