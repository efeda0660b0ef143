// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The user-space side of a run: the threads that call io_submit,
// io_getevents, io_cancel and io_destroy, and what they measure.
#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

#include "models/aio/aio.hpp"
#include "models/devices/block_device.hpp"
#include "models/devices/usb_gadget.hpp"
#include "sim/distribution.hpp"
#include "sim/rng.hpp"
#include "sim/semaphore.hpp"
#include "sim/stats/histogram.hpp"

namespace models {

struct WorkloadConfig {
  std::uint64_t target_results = 0;  // stop after this many (0: run for a duration)
  std::vector<int> submitters;
  std::vector<int> reapers;  // empty: submitters reap
  long batch = 8;
  long queue_depth = 32;
  sim::Distribution think;
  long min_nr = 1;
  long nr = 32;
  double usb_fraction = 0.0;
  double bad_buffer_fraction = 0.0;  // iocbs whose aio_setup_iocb fails (-EFAULT): out_put_req
  double eventfd_fraction = 0.0;     // iocbs with IOCB_FLAG_RESFD, signalling `eventfd`
  eventfd_ctx* eventfd = nullptr;
  // Block writes to the device opened without O_DIRECT (`buffered`): drawn
  // per iocb from the submitter's stream, never drawn when 0.
  double buffered_fraction = 0.0;
  file* buffered = nullptr;
  // The CPU whose task runs the io-wq worker kthread (-1: none is started).
  int io_wq_cpu = -1;
  // cancels
  std::vector<int> cancellers;
  double cancel_fraction = 0.0;     // fraction mode: this share of USB requests gets an io_cancel
  sim::Distribution cancel_delay;   // ... this long after submission
  double cancel_rate = 0.0;         // rate mode (per second, per canceller); 0: fraction mode
  bool cancel_oldest = true;        // rate mode target: oldest in flight, else random
  double block_cancel_fraction = 0.0;  // this share of block requests is cancelled too (same delay, same rate mode)
  // teardown
  sim::Time teardown_at = 0;
  int teardown_cpu = -1;
};

struct CancelStats {
  std::uint64_t calls = 0, succeeded = 0, einval = 0;
};

class Workload {
 public:
  Workload(sim::Machine& m, AioDesign& aio, kioctx& ctx, Ledger& ledger, BlockDevice& blk, UsbGadget* usb,
           WorkloadConfig cfg, std::uint64_t seed);

  // Start every thread at time 0.
  void start();
  bool done() const { return done_; }
  void finish(sim::Time at);  // stop the run: target reached or teardown complete
  sim::Time end_time() const { return end_; }

  const sim::Histogram& submit_to_event() const { return submit_to_event_; }
  const sim::Histogram& submit_to_reap() const { return submit_to_reap_; }
  const CancelStats& cancels() const { return cancels_; }
  std::uint64_t io_submit_calls() const { return io_submit_calls_; }
  std::uint64_t io_getevents_calls() const { return io_getevents_calls_; }
  bool torn_down() const { return torn_down_; }

 private:
  struct Submitter {
    int cpu = 0;
    long inflight = 0;
    bool waiting = false;
    sim::Semaphore slots;
    std::unique_ptr<sim::Rng> rng;
    std::vector<UserIocb> iocbs;
    std::vector<io_event> events;
  };
  struct Canceller {
    int cpu = 0;
    sim::Semaphore work;
    std::unique_ptr<sim::Rng> rng;
  };
  struct PendingCancel {
    sim::Time at;
    std::uint64_t id;
    bool operator>(const PendingCancel& o) const { return at > o.at || (at == o.at && id > o.id); }
  };

  Task<void> submitter_thread(Submitter& s);
  Task<void> reaper_thread();
  Task<void> canceller_thread(Canceller& c);
  Task<void> destroyer_thread();
  Task<long> reap(std::vector<io_event>& events, long min_nr);
  void account_reaped(const io_event& ev, sim::Time at);

  sim::Machine& machine_;
  AioDesign& aio_;
  kioctx& ctx_;
  Ledger& ledger_;
  BlockDevice& blk_;
  UsbGadget* usb_;
  WorkloadConfig cfg_;
  std::uint64_t seed_;

  std::vector<std::unique_ptr<Submitter>> submitters_;
  std::vector<std::unique_ptr<Canceller>> cancellers_;
  std::priority_queue<PendingCancel, std::vector<PendingCancel>, std::greater<>> pending_cancels_;
  std::vector<std::uint64_t> cancel_targets_;  // rate mode targets (ids, oldest first)
  std::size_t next_canceller_ = 0;
  std::unique_ptr<sim::Rng> cancel_rng_;
  std::unique_ptr<sim::Rng> iocb_rng_;  // bad buffers and eventfds: drawn only when asked for

  sim::Histogram submit_to_event_, submit_to_reap_;
  CancelStats cancels_;
  std::uint64_t io_submit_calls_ = 0, io_getevents_calls_ = 0;
  bool done_ = false;
  bool torn_down_ = false;
  sim::Time end_ = 0;
};

}  // namespace models
