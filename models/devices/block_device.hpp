#pragma once
// A block-like device: each request is serviced for a time drawn from a
// distribution (requests overlap: an NVMe-style device with deep queues),
// then completes by an interrupt on one of the configured CPUs, whose
// handler calls aio_complete() in IRQ context. Its kiocbs are not
// cancellable.
#include <memory>
#include <vector>

#include "models/aio/aio.hpp"
#include "sim/distribution.hpp"
#include "sim/rng.hpp"
#include "sim/stable_array.hpp"

namespace models {

enum class IrqRouting { RoundRobin, Submitter };

class BlockDevice final : public file {
 public:
  struct Config {
    sim::Distribution service;
    std::vector<int> irq_cpus;
    IrqRouting routing = IrqRouting::RoundRobin;
    sim::Time irq_work = 300 * sim::kNs;   // driver handler before aio_complete
    sim::Time submit_io = 400 * sim::kNs;  // ki_retry's filesystem + block layer work
    long bytes = 4096;
    bool manual_hardware = false;  // requests finish only when told (explorer)
  };

  BlockDevice(sim::Machine& m, AioDesign& aio, Config cfg, std::uint64_t seed);

  // f_op->aio_write, reached from io_submit_one's ki_retry.
  Task<long> aio_write(kiocb& req) override;

  std::uint64_t completions() const { return completions_; }

  // manual_hardware: is the request with this aio_data held by the device,
  // and finish it now (its interrupt is raised on `cpu`).
  bool hardware_pending(std::uint64_t user_data) const;
  bool hardware_done(std::uint64_t user_data, int cpu);
  std::size_t held() const { return held_.size(); }

 private:
  struct Request final : sim::Event, sim::IrqRequest {
    kiocb* iocb = nullptr;  // IrqRequest::owner is the BlockDevice
    int cpu = 0;
    void fire() override;  // the device finished: raise the interrupt
  };
  static Task<void> blk_irq_handler(sim::IrqRequest& r);
  Request& alloc_request();

  sim::Machine& machine_;
  AioDesign& aio_;
  Config cfg_;
  sim::Rng rng_;
  sim::StableArray<Request> pool_;
  std::vector<Request*> free_;
  std::vector<Request*> held_;  // manual_hardware: submitted, not finished
  std::size_t next_irq_cpu_ = 0;
  std::uint64_t completions_ = 0;
};

}  // namespace models
