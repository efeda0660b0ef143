// SPDX-License-Identifier: GPL-2.0-only
#include "models/workload/workload.hpp"

#include <algorithm>

#include "sim/driver.hpp"
#include "sim/waitqueue.hpp"

namespace models {

Workload::Workload(sim::Machine& m, AioDesign& aio, kioctx& ctx, Ledger& ledger, BlockDevice& blk, UsbGadget* usb,
                   WorkloadConfig cfg, std::uint64_t seed)
    : machine_(m), aio_(aio), ctx_(ctx), ledger_(ledger), blk_(blk), usb_(usb), cfg_(std::move(cfg)), seed_(seed) {
  for (int cpu : cfg_.submitters) {
    auto s = std::make_unique<Submitter>();
    s->cpu = cpu;
    s->rng = std::make_unique<sim::Rng>(seed_, "submitter", static_cast<std::uint64_t>(cpu));
    s->iocbs.resize(static_cast<std::size_t>(cfg_.batch));
    s->events.resize(static_cast<std::size_t>(cfg_.nr));
    submitters_.push_back(std::move(s));
  }
  for (int cpu : cfg_.cancellers) {
    auto c = std::make_unique<Canceller>();
    c->cpu = cpu;
    c->rng = std::make_unique<sim::Rng>(seed_, "canceller", static_cast<std::uint64_t>(cpu));
    cancellers_.push_back(std::move(c));
  }
  cancel_rng_ = std::make_unique<sim::Rng>(seed_, "cancel-choice");
  iocb_rng_ = std::make_unique<sim::Rng>(seed_, "iocb-flags");
}

void Workload::start() {
  for (auto& s : submitters_) machine_.cpu(s->cpu).task().start(submitter_thread(*s), 0);
  for (int cpu : cfg_.reapers) machine_.cpu(cpu).task().start(reaper_thread(), 0);
  for (auto& c : cancellers_) machine_.cpu(c->cpu).task().start(canceller_thread(*c), 0);
  if (cfg_.teardown_at > 0) machine_.cpu(cfg_.teardown_cpu).task().start(destroyer_thread(), 0);
  if (cfg_.io_wq_cpu >= 0) machine_.cpu(cfg_.io_wq_cpu).task().start(aio_.io_wq_worker_kthread(done_), 0);
}

void Workload::finish(sim::Time at) {
  if (done_) return;
  done_ = true;
  end_ = at;
  machine_.driver().stop();
}

void Workload::account_reaped(const io_event& ev, sim::Time at) {
  const std::uint64_t id = ev.data;
  if (at >= machine_.stats_start()) {
    sim::Time submitted = ledger_.submitted_at(id);
    submit_to_event_.record(ledger_.event_at(id) - submitted);
    submit_to_reap_.record(at - submitted);
  }
  Submitter& owner = *submitters_[static_cast<std::size_t>(ledger_.owner(id))];
  ledger_.reaped(id);
  --owner.inflight;
  if (owner.waiting) {
    owner.waiting = false;
    owner.slots.post(at);
  }
}

// io_getevents(min_nr, nr) and hand each event to its submitter.
Task<long> Workload::reap(std::vector<io_event>& events, long min_nr) {
  ++io_getevents_calls_;
  long n = co_await aio_.sys_io_getevents(ctx_, min_nr, static_cast<long>(events.size()), events.data());
  sim::Time now = sim::current().local;
  for (long i = 0; i < n; ++i) account_reaped(events[static_cast<std::size_t>(i)], now);
  co_return n;
}

// A user thread: io_submit a batch, keep at most queue_depth in flight,
// think between calls; reap its own events unless reapers do.
Task<void> Workload::submitter_thread(Submitter& s) {
  sim::KernelFunction fn{"user:submitter"};
  const bool self_reap = cfg_.reapers.empty();
  const long index = std::find_if(submitters_.begin(), submitters_.end(), [&](auto& p) { return p.get() == &s; }) -
                     submitters_.begin();
  while (!done_) {
    // Like fio's iodepth_batch: submit whole batches, so wait until a batch fits.
    const long want = std::min(cfg_.batch, cfg_.queue_depth);
    while (cfg_.queue_depth - s.inflight < want && !done_) {
      if (self_reap) {
        if (co_await reap(s.events, cfg_.min_nr) < 0) co_return;
      } else {
        s.waiting = true;
        co_await s.slots.wait();
      }
    }
    if (done_) co_return;
    const long n = std::min(cfg_.batch, cfg_.queue_depth - s.inflight);
    for (long i = 0; i < n; ++i) {
      UserIocb& u = s.iocbs[static_cast<std::size_t>(i)];
      u.id = ledger_.submit(sim::current().local, static_cast<int>(index));
      bool to_usb = usb_ && cfg_.usb_fraction > 0 && s.rng->bernoulli(cfg_.usb_fraction);
      u.filp = to_usb ? static_cast<file*>(usb_) : static_cast<file*>(&blk_);
      if (!to_usb && cfg_.buffered_fraction > 0 && s.rng->bernoulli(cfg_.buffered_fraction)) u.filp = cfg_.buffered;
      u.bad_buffer = cfg_.bad_buffer_fraction > 0 && iocb_rng_->bernoulli(cfg_.bad_buffer_fraction);
      u.resfd = cfg_.eventfd_fraction > 0 && iocb_rng_->bernoulli(cfg_.eventfd_fraction) ? cfg_.eventfd : nullptr;
    }
    ++io_submit_calls_;
    long ret = co_await aio_.do_io_submit(ctx_, std::span<const UserIocb>(s.iocbs.data(), static_cast<std::size_t>(n)));
    const long accepted = ret > 0 ? ret : 0;
    for (long i = accepted; i < n; ++i) ledger_.not_submitted(s.iocbs[static_cast<std::size_t>(i)].id);
    s.inflight += accepted;
    const sim::Time now = sim::current().local;
    for (long i = 0; i < accepted; ++i) {
      const UserIocb& u = s.iocbs[static_cast<std::size_t>(i)];
      if (cancellers_.empty()) continue;
      // User space may cancel any request it has in flight; a block request
      // has no cancel method, which is what io_cancel then meets.
      const bool usb = u.filp == usb_;  // block requests, O_DIRECT or buffered, share block.cancel_fraction
      if (!usb && !(cfg_.block_cancel_fraction > 0 && s.rng->bernoulli(cfg_.block_cancel_fraction))) continue;
      if (cfg_.cancel_rate > 0) {
        cancel_targets_.push_back(u.id);
      } else if (!usb || (cfg_.cancel_fraction > 0 && s.rng->bernoulli(cfg_.cancel_fraction))) {
        pending_cancels_.push({now + sim::from_ns(cfg_.cancel_delay.sample(*s.rng)), u.id});
        cancellers_[next_canceller_]->work.post(now);
        next_canceller_ = (next_canceller_ + 1) % cancellers_.size();
      }
    }
    if (ret == -EINVAL) co_return;  // the context is gone (io_destroy)
    if (accepted == 0) {
      // The ring is full (-EAGAIN): reap before trying again.
      if (self_reap && s.inflight > 0) {
        if (co_await reap(s.events, 1) < 0) co_return;
      } else if (s.inflight > 0) {
        s.waiting = true;
        co_await s.slots.wait();
      } else {
        co_await sim::sleep_for(10 * sim::kUs);
      }
    }
    sim::cpu_work(sim::from_ns(cfg_.think.sample(*s.rng)));
  }
}

Task<void> Workload::reaper_thread() {
  sim::KernelFunction fn{"user:reaper"};
  std::vector<io_event> events(static_cast<std::size_t>(cfg_.nr));
  while (!done_)
    if (co_await reap(events, cfg_.min_nr) < 0) co_return;
}

// Calls io_cancel on chosen requests (USB, and block ones when
// block.cancel_fraction > 0): at the time drawn for each (fraction mode) or
// at a Poisson rate on the oldest or a random request in flight.
Task<void> Workload::canceller_thread(Canceller& c) {
  sim::KernelFunction fn{"user:canceller"};
  io_event result;
  while (!done_) {
    std::uint64_t target;
    if (cfg_.cancel_rate > 0) {
      co_await sim::sleep_for(sim::from_ns(c.rng->exponential(1e9 / cfg_.cancel_rate)));
      while (!cancel_targets_.empty() && ledger_.has_result(cancel_targets_.front()))
        cancel_targets_.erase(cancel_targets_.begin());
      if (cancel_targets_.empty()) continue;
      std::size_t pick = cfg_.cancel_oldest ? 0 : static_cast<std::size_t>(cancel_rng_->below(cancel_targets_.size()));
      target = cancel_targets_[pick];
    } else {
      if (pending_cancels_.empty()) {
        co_await c.work.wait();
        continue;
      }
      PendingCancel p = pending_cancels_.top();
      sim::Time now = sim::current().local;
      if (p.at > now) {
        co_await sim::sleep_for(p.at - now);
        continue;  // an earlier one may have arrived meanwhile
      }
      pending_cancels_.pop();
      target = p.id;
    }
    if (done_) co_return;
    if (!ledger_.tracked(target)) continue;  // finished meanwhile: user space would not cancel it
    const int owner_index = ledger_.owner(target);
    ++cancels_.calls;
    long ret = co_await aio_.sys_io_cancel(ctx_, target, result);
    if (ret == -EINVAL) ++cancels_.einval;
    if (ret == 0) ++cancels_.succeeded;
    if (ret == 0 && !aio_.cancel_result_in_cq()) {
      // io_cancel's result is this request's result: it leaves flight
      // (io_uring's cancelled request posts its own CQE, reaped as any other).
      Submitter& owner = *submitters_[static_cast<std::size_t>(owner_index)];
      --owner.inflight;
      if (owner.waiting) {
        owner.waiting = false;
        owner.slots.post(sim::current().local);
      }
    }
  }
}

Task<void> Workload::destroyer_thread() {
  sim::KernelFunction fn{"user:io_destroy"};
  co_await sim::sleep_for(cfg_.teardown_at);
  co_await aio_.sys_io_destroy(ctx_);
  torn_down_ = true;
  finish(sim::current().local);
}

}  // namespace models
