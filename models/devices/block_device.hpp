// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A block-like device: each request is serviced for a time drawn from a
// distribution (requests overlap: an NVMe-style device with deep queues),
// then is posted to the completion queue of one of the configured CPUs and
// that CPU's interrupt vector is raised (a no-op while it is pending: the
// engine latches it). The handler, as nvme_irq -> nvme_process_cq, drains
// the queue, calling aio_complete() in IRQ context for each request, at most
// `irq_budget` per invocation (then it raises its vector again). Its kiocbs
// are not cancellable.
#include <deque>
#include <memory>
#include <vector>

#include "models/aio/aio.hpp"
#include "sim/config.hpp"
#include "sim/distribution.hpp"
#include "sim/rng.hpp"
#include "sim/stable_array.hpp"

namespace models {

enum class IrqRouting { RoundRobin, Submitter };

class BlockDevice final : public file {
 public:
  // The block.* keys give these fields their values and defaults
  // (add_keys); default_config() is what a config that sets none of them
  // gives.
  struct Config {
    sim::Distribution service;    // block.service
    std::vector<int> irq_cpus;    // block.irq_cpus, resolved with the other roles
    IrqRouting routing = IrqRouting::RoundRobin;  // block.irq_routing
    sim::Time irq_work = 0;       // block.irq_work: driver handler before aio_complete
    sim::Time submit_io = 0;      // costs.submit_io: ki_retry's filesystem + block layer work
    long bytes = 4096;
    long irq_budget = 0;           // block.irq_budget: completions per handler invocation; 0: drain the queue
    bool manual_hardware = false;  // requests finish only when told (explorer)
  };
  // Declares block.* with defaults, ranges and meaning. block.cancel_fraction
  // is the workload's (which block requests user space cancels) but sits in
  // the [block] table, so it is declared here, in the table's order.
  static void add_keys(sim::config::Schema& s);
  // The device's config from a checked one; irq_cpus are block.irq_cpus as
  // the roles resolved them, submit_io is costs.submit_io.
  static Config config_from(const sim::config::Config& cfg, std::vector<int> irq_cpus, sim::Time submit_io);
  // What config_from gives for a config that sets no block.* key.
  static Config default_config(std::vector<int> irq_cpus, sim::Time submit_io);

  BlockDevice(sim::Machine& m, AioDesign& aio, Config cfg, std::uint64_t seed);

  // f_op->aio_write, reached from io_submit_one's ki_retry.
  Task<long> aio_write(kiocb& req) override;

  std::uint64_t completions() const { return completions_; }

  // manual_hardware: is the request with this aio_data held by the device,
  // and finish it now (its interrupt is raised on `cpu`).
  bool hardware_pending(std::uint64_t user_data) const;
  bool hardware_done(std::uint64_t user_data, int cpu);
  std::size_t held() const { return held_.size(); }
  // Requests posted to `cpu`'s completion queue, not yet taken by its handler.
  std::size_t queued(int cpu) const { return vectors_.at(cpu)->cq.size(); }
  // The word the handler reads before taking each entry (the CQE it polls).
  const Shared<std::uint64_t>& cq_tail(int cpu) const { return vectors_.at(cpu)->tail; }

  // Handler invocations that ran after the warm-up (begun after it, or begun
  // in it and still draining after it); over those begun after it, completions per
  // invocation that returned (one still running at the end has no count);
  // after the warm-up, from the device finishing a request to its
  // aio_complete() call.
  std::uint64_t irq_invocations() const { return irq_invocations_; }
  const sim::Histogram& completions_per_irq() const { return per_irq_; }
  const sim::Histogram& done_to_aio_complete() const { return done_to_complete_; }

 private:
  struct Request final : sim::Event {
    BlockDevice* dev = nullptr;
    kiocb* iocb = nullptr;
    int cpu = 0;
    sim::Time done_at = 0;
    void fire() override;  // the device finished: post it and raise the vector
  };
  // One interrupt vector (MSI-X entry) and its completion queue per CPU.
  struct Vector final : sim::IrqRequest {
    explicit Vector(int c) : cpu(c), tail(line, "blk.cq_tail", 0) {}
    int cpu;
    CacheLine line{"blk.cq"};
    Shared<std::uint64_t> tail;  // completions posted so far
    std::deque<Request*> cq;
  };
  static Task<void> blk_irq_handler(sim::IrqRequest& r);
  Request& alloc_request();
  void post(Request& r);

  sim::Machine& machine_;
  AioDesign& aio_;
  Config cfg_;
  sim::Rng rng_;
  sim::StableArray<Request> pool_;
  std::vector<Request*> free_;
  std::vector<Request*> held_;  // manual_hardware: submitted, not finished
  std::vector<std::unique_ptr<Vector>> vectors_;  // by CPU
  std::size_t next_irq_cpu_ = 0;
  std::uint64_t completions_ = 0;
  std::uint64_t irq_invocations_ = 0;
  sim::Histogram per_irq_, done_to_complete_;
};

}  // namespace models
