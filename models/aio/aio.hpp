// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The AIO core of fs/aio.c as one class whose methods are the kernel's
// functions, each a coroutine that reads like its C original.
//
// The base class is the code of the seed's parent (the -mm tree of April
// 2013, "mm-parent" below) with each hunk of the seed behind a switch, so any
// subset of the seed can be simulated (ablation); "lazy-cancel" is all
// switches on. A new kioctx design derives from it and overrides what it
// changes (models/designs/).
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "models/aio/eventfd.hpp"
#include "models/aio/kioctx.hpp"
#include "models/aio/ledger.hpp"
#include "models/aio/slab.hpp"
#include "sim/rcu.hpp"

namespace models {

// The seed's hunks.
struct Switches {
  bool lazy_list = false;        // only kiocb_set_cancel_fn puts a kiocb on active_reqs
  bool completion_lock = false;  // the ring is written under completion_lock, not ctx_lock
  bool cancel_xchg = false;      // cancel/complete decided by xchg/cmpxchg on ki_cancel, not KIF_CANCELLED
  bool zero_alloc = false;       // kmem_cache_alloc(..., __GFP_ZERO)
};

// Work that touches no shared line, in simulated time. The values come from
// the costs.* keys, declared with their defaults next to make_design()
// (models/designs/make_design.cpp); default_kernel_costs() gives those
// defaults without a config. Zero here only until then.
struct KernelCosts {
  sim::Time syscall = 0;
  sim::Time copy_iocb = 0;
  sim::Time copy_event = 0;
  sim::Time submit_io = 0;
  // An RCU grace period (kill_ioctx's wait before dropping the initial
  // reference): a few jiffies, see costs.synchronize_rcu.
  sim::Time synchronize_rcu = 0;
};

// struct file: what ki_retry reaches through f_op->aio_write.
struct file {
  file(std::string name) : line(name + ".f_count"), f_count(line, "f_count", 1), name_(std::move(name)) {}
  virtual ~file() = default;
  virtual Task<long> aio_write(kiocb& req) = 0;
  CacheLine line;
  Shared<long> f_count;
  // f_flags & O_DIRECT. io_uring punts a write to a file without it to
  // io-wq (its nonblocking attempt cannot succeed); fs/aio.c does not look.
  bool o_direct = true;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A user-space struct iocb, as io_submit passes it.
struct UserIocb {
  std::uint64_t id = 0;  // aio_data and the iocb pointer, both
  file* filp = nullptr;
  eventfd_ctx* resfd = nullptr;  // aio_flags & IOCB_FLAG_RESFD: aio_resfd's eventfd
  bool bad_buffer = false;       // aio_buf fails access_ok: aio_setup_iocb returns -EFAULT
};

class AioDesign {
 public:
  AioDesign(std::string name, Switches sw) : name_(std::move(name)), sw_(sw) {}
  virtual ~AioDesign() = default;

  const std::string& name() const { return name_; }
  const Switches& switches() const { return sw_; }
  void set_switches(const Switches& s) { sw_ = s; }
  void attach(sim::Machine& m, kioctx& ctx, KiocbSlab& slab, Ledger& ledger, const KernelCosts& costs);
  // Called at the end of attach(): a design with state of its own (per-CPU
  // counters, io_uring's rings) builds it here, once the machine is known.
  virtual void on_attach() {}
  // What ioctx_alloc() makes of io_setup()'s nr_events before
  // aio_setup_ring() sizes the ring; the kioctx is built with the result.
  // Up to the seed it is used as given; from v3.12 it is enlarged for the
  // per-CPU slot pools (models/designs/percpu_reqs.hpp).
  virtual unsigned ioctx_nr_events(unsigned nr_events, int /*cpus*/) const { return nr_events; }
  // A design's own invariant on its state once every context has finished
  // (the explorer's end check): what does not add up, or empty.
  virtual std::string check_at_end() const { return {}; }
  // The events user space can read now, oldest first (the explorer's end
  // state): the aio ring from head to tail; io_uring's CQ and its overflow
  // backlog (models/designs/io_uring.cpp).
  virtual std::vector<io_event> readable_events() const;

  kioctx& ctx() { return *ctx_; }
  // The kernel's RCU state: lookup_ioctx's readers, kill_ioctx's grace period.
  sim::Rcu& rcu() { return rcu_; }

  // Races in the kernel code itself (not in the model): stop at the first,
  // or count them and carry on as the code would after the race.
  Ledger& ledger() { return *ledger_; }

  // The machine's word size (machine.word_bits): the width of the kernel's
  // `long`. 64 on x86-64 (LP64); 32 on i386, where kiocb_batch_refill's
  // unsigned difference converts to a negative long.
  void set_word_bits(int bits) { word_bits_ = bits; }
  int word_bits() const { return word_bits_; }

  // Syscalls.
  virtual Task<long> do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs);
  virtual Task<long> sys_io_getevents(kioctx& ctx, long min_nr, long nr, io_event* events);
  virtual Task<long> sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result);
  virtual Task<long> sys_io_destroy(kioctx& ctx);
  // An io-wq worker thread (io_uring's) runs the work queued so far.
  // fs/aio.c has no io-wq: its writes that cannot go asynchronous are done
  // inside io_submit, so there is nothing to run.
  virtual Task<void> io_wq_worker() { co_return; }
  // The same worker as a kernel thread of a timed run (`aiosim run`): it
  // sleeps while the work list is empty and io_wqe_enqueue wakes it, until
  // `stop`. fs/aio.c has none.
  virtual Task<void> io_wq_worker_kthread(const bool& /*stop*/) { co_return; }
  // Whether a successful io_cancel's target still posts a result user space
  // reaps (io_uring: the -ECANCELED CQE), rather than io_cancel returning it.
  virtual bool cancel_result_in_cq() const { return false; }
  // Whether a write without O_DIRECT is punted to an io-wq worker (io_uring)
  // rather than completed inside io_submit (fs/aio.c).
  virtual bool has_io_wq() const { return false; }
  // The design's own locks beyond the kioctx's (io_uring's io-wq:
  // wqe_lock, worker_lock), by the name result.json gives them.
  virtual std::vector<std::pair<std::string, const sim::LockBase*>> own_locks() const { return {}; }
  // What io-wq did in a timed run (all 0 for fs/aio.c).
  struct IoWqStats {
    std::uint64_t enqueued = 0;         // io_wqe_enqueue calls (punted requests)
    std::uint64_t run_by_worker = 0;    // works the worker ran (io_wq_submit_work without IO_WQ_WORK_CANCEL)
    std::uint64_t cancelled_queued = 0; // works io_wqe_cancel_cb_work took off the list (io_run_cancel)
    std::uint64_t cqes_from_worker = 0; // CQEs posted from the worker's task context
    std::uint64_t wakeups = 0;          // io_wqe_wake_worker -> wake_up_process of the sleeping worker
    std::uint64_t sleeps = 0;           // io_wq_worker_sleeping: the worker went to sleep
  };
  virtual IoWqStats io_wq_stats() const { return {}; }

  // fs/aio.c internals.
  virtual Task<bool> lookup_ioctx(kioctx& ctx);
  virtual Task<void> put_ioctx(kioctx& ctx);
  virtual Task<kiocb*> __aio_get_req(kioctx& ctx);
  virtual Task<long> kiocb_batch_refill(kioctx& ctx, kiocb_batch& batch);
  virtual Task<void> kiocb_batch_free(kioctx& ctx, kiocb_batch& batch);
  virtual Task<kiocb*> aio_get_req(kioctx& ctx, kiocb_batch& batch);
  virtual Task<void> kiocb_free(kiocb& req);
  virtual Task<void> aio_put_req(kiocb& req);
  virtual Task<long> io_submit_one(kioctx& ctx, const UserIocb& iocb, kiocb_batch& batch);
  virtual Task<void> aio_complete(kiocb& iocb, long res, long res2);
  virtual Task<void> kiocb_set_cancel_fn(kiocb& req, kiocb_cancel_fn cancel);
  virtual Task<int> kiocb_cancel(kioctx& ctx, kiocb& kiocb, io_event& res);
  virtual Task<kiocb*> lookup_kiocb(kioctx& ctx, std::uint64_t iocb);
  virtual Task<long> aio_read_events_ring(kioctx& ctx, io_event* event, long nr);
  virtual Task<bool> aio_read_events(kioctx& ctx, long min_nr, long nr, io_event* event, long& i);
  virtual Task<long> read_events(kioctx& ctx, long min_nr, long nr, io_event* event);
  virtual Task<void> kill_ioctx(kioctx& ctx);
  virtual Task<void> free_ioctx(kioctx& ctx);

  // What a driver's cancel method does besides cancelling, in this design's
  // kernel; the drivers' models (gadgetfs ep_aio_cancel, the async-cancel
  // device) follow it. Up to the seed, kiocb_cancel holds a ki_users
  // reference across the method, which the method drops (aio_put_req), and
  // before the seed gadgetfs also marks the kiocb (kiocbSetCancelled). From
  // v3.12 the method runs under ctx_lock and does neither (v4.19
  // drivers/usb/gadget/legacy/inode.c, ep_aio_cancel, lines 438-455).
  virtual bool cancel_method_puts_iocb() const { return true; }
  virtual bool cancel_method_marks_cancelled() const { return !sw_.cancel_xchg; }

  // aio_read_events_ring's inner step, the same from the seed's parent to
  // v4.19: copy the contiguous run of events from `head` (up to `tail`, the
  // ring's end, the page's end and `room`) into `out`; returns how many.
  Task<long> copy_ring_run(kioctx& ctx, unsigned head, unsigned tail, unsigned ring_nr, io_event* out, long room);

  // list.h on active_reqs, with the neighbours' lines touched.
  Task<void> list_add(kiocb& req, kioctx& ctx);
  Task<void> list_del(kiocb& req, kioctx& ctx, bool init);

 protected:
  sim::Machine* machine_ = nullptr;
  kioctx* ctx_ = nullptr;
  KiocbSlab* slab_ = nullptr;
  Ledger* ledger_ = nullptr;
  KernelCosts costs_;
  sim::Rcu rcu_;

 private:
  std::string name_;
  Switches sw_;
  int word_bits_ = 64;
};

}  // namespace models
