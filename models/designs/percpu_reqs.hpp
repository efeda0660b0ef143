// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// fs/aio.c of Linux 3.12 and 3.17: ring slots counted per CPU
// (struct kioctx_cpu) and moved to and from a global atomic in req_batch
// chunks, ctx->users (and in 3.17 ctx->reqs) a percpu_ref, kiocbs with no
// reference count (aio_complete frees them), io_cancel running the driver's
// cancel method with ctx_lock held and returning -EINPROGRESS. The two
// releases differ in where a slot comes back: 3.12 at reap
// (aio_read_events_ring, process context, preempt_disable around the
// per-CPU count); 3.17 at completion (refill_reqs_available under
// completion_lock, IRQ context, so local_irq_save) and in a starved
// submitter (user_refill_reqs_available, which takes completion_lock).
// v3_12.cpp and v3_17.cpp register the two.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/aio/aio.hpp"
#include "models/designs/registry.hpp"
#include "models/designs/reqs_available.hpp"
#include "sim/waitqueue.hpp"

namespace models {

class PercpuReqsDesign : public AioDesign {
 public:
  enum class Release { V3_12, V3_17 };
  PercpuReqsDesign(std::string name, Release rel);

  // ioctx_alloc() (v3.12 lines 572-573, v3.17 lines 635-636):
  //   nr_events = max(nr_events, num_possible_cpus() * 4); nr_events *= 2;
  unsigned ioctx_nr_events(unsigned nr_events, int cpus) const override;
  void on_attach() override;
  // Every ring slot is in exactly one place: the global count, a CPU's
  // pool, a request in flight, or (3.12) an unreaped event / (3.17) a
  // completed event not yet refilled. They add up to nr_events - 1.
  std::string check_at_end() const override;

  // The slot accounting, for tests (no step, no cost).
  unsigned req_batch() const { return slots_.req_batch(); }
  int global_reqs_available() const { return reqs_available_->raw(); }
  unsigned cpu_reqs_available(int cpu) const { return cpus_.at(static_cast<std::size_t>(cpu))->reqs_available.raw(); }
  unsigned completed_events() const { return completed_events_->raw(); }

  Task<long> do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) override;
  Task<long> sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result) override;
  Task<long> sys_io_destroy(kioctx& ctx) override;
  Task<bool> lookup_ioctx(kioctx& ctx) override;
  Task<void> put_ioctx(kioctx& ctx) override;
  Task<kiocb*> aio_get_req(kioctx& ctx, kiocb_batch& batch) override;
  Task<void> aio_put_req(kiocb& req) override;
  Task<long> io_submit_one(kioctx& ctx, const UserIocb& iocb, kiocb_batch& batch) override;
  Task<void> aio_complete(kiocb& iocb, long res, long res2) override;
  Task<int> kiocb_cancel(kioctx& ctx, kiocb& kiocb, io_event& res) override;
  Task<long> aio_read_events_ring(kioctx& ctx, io_event* event, long nr) override;
  Task<void> kill_ioctx(kioctx& ctx) override;
  Task<void> free_ioctx(kioctx& ctx) override;

 private:
  // struct percpu_ref: a count per CPU while live, one atomic once killed.
  struct PercpuRef {
    PercpuRef(const char* name, int cpus, CacheLine& ref_line, Shared<int>* count);
    std::vector<std::unique_ptr<CacheLine>> lines;   // one per CPU: alloc_percpu(unsigned)
    std::vector<std::unique_ptr<Shared<long>>> pcpu;  // *per_cpu_ptr(pcpu_count, cpu)
    Shared<int> dead;                                 // PCPU_REF_DEAD in ref->pcpu_count
    Shared<int>* count;                               // ref->count, PCPU_COUNT_BIAS included
    std::unique_ptr<Shared<int>> own_count;
  };
  struct KioctxCpu {
    explicit KioctxCpu(int cpu);
    CacheLine line;                   // each CPU's struct kioctx_cpu: its own line
    Shared<unsigned> reqs_available;  // kcpu->reqs_available
  };

  bool v317() const { return release_ == Release::V3_17; }

  Task<void> percpu_ref_get(PercpuRef& ref);
  // true: the count reached zero (the caller runs the release function).
  Task<bool> percpu_ref_put(PercpuRef& ref);
  // percpu_ref_kill + percpu_ref_kill_rcu; true: the count reached zero.
  Task<bool> percpu_ref_kill(PercpuRef& ref);

  Task<kiocb*> kmem_cache_alloc_zeroed(kioctx& ctx);
  Task<int> kill_ioctx_ret(kioctx& ctx);  // kill_ioctx; -EINVAL if already dead (3.17 returns it)
  Task<void> free_ioctx_users(kioctx& ctx);
  Task<void> free_ioctx_reqs(kioctx& ctx);

  Release release_;
  ReqsAvailable slots_;  // the code that moves the slots between the counts below
  std::unique_ptr<CacheLine> reqs_available_line_;   // ____cacheline_aligned_in_smp
  std::unique_ptr<Shared<int>> reqs_available_;      // ctx->reqs_available (atomic_t)
  std::unique_ptr<Shared<unsigned>> completed_events_;  // 3.17: on the {tail, completion_lock} line
  std::vector<std::unique_ptr<KioctxCpu>> cpus_;
  std::unique_ptr<PercpuRef> users_;
  std::unique_ptr<PercpuRef> reqs_;  // 3.17 only
  // 3.17: io_destroy's on-stack struct completion requests_done.
  std::unique_ptr<CacheLine> requests_done_line_;
  std::unique_ptr<sim::WaitQueue> requests_done_wait_;
  std::unique_ptr<Shared<int>> requests_done_;
};

// What v3.12 and v3.17 declare alike in the registry (percpu_reqs_info.cpp):
// the same lock counts per path and the same explorer verdicts.
PathLocks percpu_reqs_path_locks();
std::vector<ExploreVerdict> percpu_reqs_explore();

}  // namespace models
