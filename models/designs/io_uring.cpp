// SPDX-License-Identifier: GPL-2.0-only
// io_uring's completion side as the endpoint of the decade of AIO
// completion locking: one completion_lock (irqsave) around the CQE write and
// the tail publish, no per-request list, no kernel lock on the reaping side
// (user space owns the CQ head). The text is fs/io_uring.c of the first
// release that has the whole CQ side the design describes: the CQ overflow
// backlog (commit 1d7bb1d50fb4) and IORING_OP_ASYNC_CANCEL (commit
// 62755e35dfb2), both merged for v5.5. No v5.5 tree could be pinned; the
// functions are transcribed from Linux v5.6.4 fs/io_uring.c (line numbers
// below), where the two features have their v5.5 shape (docs/designs/io_uring.md).
//
// The syscalls of AioDesign become io_uring's:
//   do_io_submit     -> user space fills SQEs; io_uring_enter(to_submit)
//   aio_complete     -> io_complete_rw (kiocb->ki_complete, the device's callback)
//   sys_io_getevents -> user space reads CQEs; io_uring_enter(GETEVENTS) to wait
//   sys_io_cancel    -> an IORING_OP_ASYNC_CANCEL SQE through io_uring_enter
//   sys_io_destroy   -> close(ring_fd): io_uring_release on the last file ref
// Left out: SQPOLL, IOPOLL, linked requests, timeouts, polls, fixed files.
// io-wq (fs/io-wq.c, v5.6.4) is one io_wqe with one worker: a write to a
// file opened without O_DIRECT is punted to it (io_write's nonblocking
// attempt gets -EAGAIN), O_DIRECT block writes are issued inline and return
// -EIOCBQUEUED. The engine has no kthreads: in the explorer the worker is a
// task context that calls io_wq_worker() (its "io_wq_worker" action); in a
// timed run a CPU's task context runs io_wq_worker_kthread(), which sleeps
// and is woken as io_wqe_worker is.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/designs/registry.hpp"
#include "sim/rcu.hpp"
#include "sim/stable_array.hpp"
#include "sim/violation.hpp"
#include "sim/waitqueue.hpp"

namespace models {

namespace {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

// The canceller's own CQE: user space tags the ASYNC_CANCEL SQE's user_data
// so that its reaper tells it from a request's (the ledger's ids never set
// bit 63).
constexpr std::uint64_t kCancelTag = std::uint64_t{1} << 63;
// include/uapi/linux/io_uring.h and fs/io_uring.c (v5.6.4, line 88).
constexpr unsigned IORING_MAX_ENTRIES = 32768;

unsigned roundup_pow_of_two(unsigned n) {
  unsigned p = 1;
  while (p < n) p <<= 1;
  return p;
}

[[noreturn]] void bug(const std::string& what, const std::string& details = {}) {
  std::string where;
  if (sim::current_context)
    where = fmt::format("  context {} in {}\n", sim::current_context->name(), sim::current_context->call_chain());
  throw sim::Violation(sim::ViolationKind::Invariant, what, where + details);
}

// struct io_rings (user-mapped) and the io_uring fields of struct
// io_ring_ctx, each on the line the kernel gives it.
struct IoRing {
  IoRing(sim::Machine& m, unsigned entries, sim::LockKind kind)
      : sq_entries(roundup_pow_of_two(entries)),
        cq_entries(2 * sq_entries),  // io_uring_create(): p->cq_entries = 2 * p->sq_entries
        sq_head(sq_head_line, "sq.head", 0),
        sq_tail(sq_tail_line, "sq.tail", 0),
        cq_head(cq_head_line, "cq.head", 0),
        cq_tail(cq_tail_line, "cq.tail", 0),
        cq_overflow(rings_line, "cq_overflow", 0),
        cached_cq_tail(completion_line, "ctx->cached_cq_tail", 0),
        cq_overflow_list(completion_line, "ctx->cq_overflow_list", 0),
        cq_check_overflow(completion_line, "ctx->cq_check_overflow", 0),
        sq_check_overflow(submit_line, "ctx->sq_check_overflow", 0),
        cq_overflow_flushed(completion_line, "ctx->cq_overflow_flushed", 0),
        refs_dead(refs_line, "ctx->refs (dead)", 0),
        uring_lock("uring_lock", submit_line, m),
        user_sq_lock("sq mutex (user space)", user_line, m),
        user_cq_lock("cq mutex (user space)", user_line, m),
        cq_wait("ctx->cq_wait", cq_wait_line, kind, m),
        sqo_wait("ctx->sqo_wait", sqo_wait_line, kind, m),
        ref_comp("ctx->ref_comp", refs_line, kind, m) {
    // An io_uring_cqe is 16 bytes (4 a line), an io_uring_sqe 64 (one a line).
    for (unsigned i = 0; i < cq_entries; ++i) {
      names.push_back(fmt::format("cqes[{}]", i));
      if (i % 4 == 0) cqe_lines.emplace_back("io_rings.cqes");
      cqes.emplace_back(cqe_lines.back(), names.back().c_str());
    }
    for (unsigned i = 0; i < sq_entries; ++i) {
      names.push_back(fmt::format("sqes[{}]", i));
      sqe_lines.emplace_back("io_uring.sqes");
      sqes.emplace_back(sqe_lines.back(), names.back().c_str());
    }
    sqe_args.resize(sq_entries);
    for (int c = 0; c < m.cpus(); ++c) {
      names.push_back(fmt::format("ctx->refs (cpu{})", c));
      ref_lines.emplace_back(fmt::format("io_ring_ctx.refs.cpu{}", c));
      pcpu_refs.emplace_back(ref_lines.back(), names.back().c_str());
    }
  }

  const unsigned sq_entries, cq_entries;
  unsigned sq_mask() const { return sq_entries - 1; }
  unsigned cq_mask() const { return cq_entries - 1; }

  std::deque<std::string> names;  // the Shared fields' names (stable)
  // struct io_uring { u32 head ____cacheline_aligned_in_smp; u32 tail ____cacheline_aligned_in_smp; }
  sim::CacheLine sq_head_line{"io_rings.sq.head"}, sq_tail_line{"io_rings.sq.tail"};
  sim::CacheLine cq_head_line{"io_rings.cq.head"}, cq_tail_line{"io_rings.cq.tail"};
  sim::CacheLine rings_line{"io_rings"};  // masks, entries, sq_dropped, sq_flags, cq_overflow
  // struct io_ring_ctx groups its fields in ____cacheline_aligned_in_smp
  // blocks: the submission side (uring_lock, cached_sq_head, sq_check_overflow),
  // the completion side (cached_cq_tail, cq_overflow_list, completion_lock
  // -- the model's kioctx completion_lock stands for it), refs.
  sim::CacheLine submit_line{"io_ring_ctx.submit"}, completion_line{"io_ring_ctx.completion"};
  sim::CacheLine refs_line{"io_ring_ctx.refs"}, cq_wait_line{"io_ring_ctx.cq_wait"};
  sim::CacheLine sqo_wait_line{"io_ring_ctx.sqo_wait"}, user_line{"user.ring_locks"};
  sim::StableArray<sim::CacheLine> cqe_lines, sqe_lines, ref_lines;

  sim::Shared<unsigned> sq_head, sq_tail, cq_head, cq_tail;
  sim::Shared<unsigned> cq_overflow;  // the user-visible dropped-CQE count
  sim::StableArray<sim::Shared<io_event>> cqes;         // data = user_data, res = res
  sim::StableArray<sim::Shared<std::uint64_t>> sqes;  // the SQE's user_data
  std::vector<UserIocb> sqe_args;  // the rest of each SQE (fd, addr): written with it
  std::vector<bool> sqe_is_cancel;

  sim::Shared<unsigned> cached_cq_tail;
  sim::Shared<int> cq_overflow_list;  // list_head: its length (list_empty reads it)
  sim::Shared<int> cq_check_overflow, sq_check_overflow, cq_overflow_flushed;
  unsigned cached_sq_head = 0;  // under uring_lock only

  // percpu_ref ctx->refs: a counter per CPU while alive (no shared line),
  // and its __PERCPU_REF_DEAD state.
  sim::StableArray<sim::Shared<long>> pcpu_refs;
  sim::Shared<int> refs_dead;

  sim::Mutex uring_lock;
  // liburing's SQ and CQ are single-producer / single-consumer: threads
  // sharing one ring serialise on a mutex of their own.
  sim::Mutex user_sq_lock, user_cq_lock;
  sim::WaitQueue cq_wait, sqo_wait, ref_comp;

  // ctx->cq_overflow_list: the backlogged requests and their results.
  struct Backlogged {
    kiocb* req;
    std::uint64_t user_data;
    long result;
  };
  std::deque<Backlogged> overflow;
};

// fs/io-wq.c (v5.6.4): one struct io_wqe (one NUMA node) and its one
// struct io_worker. Each field is on the line the kernel gives it; the
// std::deque is the list, the Shared count is what list walks read.
struct IoWq {
  IoWq(sim::Machine& m, sim::LockKind kind)
      : wqe_lock("wqe->lock", wqe_line, kind, m),
        worker_lock("worker->lock", worker_line, kind, m),
        work_list(wqe_line, "wqe->work_list", 0),
        cur_work(worker_line, "worker->cur_work", 0),
        sigpending(worker_line, "worker->task SIGINT pending", 0) {}

  sim::CacheLine wqe_line{"io_wqe"}, worker_line{"io_worker"};
  sim::Spinlock wqe_lock, worker_lock;
  sim::Shared<int> work_list;  // wq_list length (wq_list_empty reads it)
  std::deque<kiocb*> queued;   // wqe->work_list: the punted io_kiocbs (req->work)
  // worker->cur_work: the running request's user_data + 1, or 0 (the
  // cancel side compares user_data through it, io_cancel_cb).
  sim::Shared<std::uint64_t> cur_work;
  kiocb* running = nullptr;
  sim::Shared<int> sigpending;  // send_sig(SIGINT, worker->task, 1)

  // A timed run's worker kthread (io_wq_worker_kthread); the explorer's
  // worker is a scenario context that calls io_wq_worker() instead.
  // struct io_wqe_acct and free_list follow the io_wqe's cacheline-aligned
  // block, on a line of their own.
  sim::CacheLine acct_line{"io_wqe.acct"};
  sim::Shared<int> nr_running{acct_line, "acct->nr_running", 0};
  sim::Shared<int> free_list{acct_line, "wqe->free_list", 0};  // 1 while the worker is on it
  // wake_up_process(worker->task): the wait queue's lock stands for the
  // task's pi_lock.
  std::unique_ptr<sim::WaitQueue> task;
  const sim::Context* kthread = nullptr;
  bool f_running = false;  // worker->flags & IO_WORKER_F_RUNNING (the worker's own field)
  bool f_free = false;     // worker->flags & IO_WORKER_F_FREE
  bool mm = false;         // worker->mm: the submitter's mm, taken for IORING_OP_WRITE (needs_mm)
  AioDesign::IoWqStats stats;
};

// enum io_wq_cancel (fs/io-wq.h, v5.6.4).
enum class IoWqCancel { Ok, Running, NotFound };

class IoUring final : public AioDesign {
 public:
  // lazy_list on: the drivers then call kiocb_set_cancel_fn (which io_uring
  // kiocbs must not reach, below) instead of a pre-seed plain store.
  IoUring() : AioDesign("io_uring", Switches{true, true, true, true}) {}

  void on_attach() override {
    if (ctx_->max_reqs > IORING_MAX_ENTRIES)
      throw std::invalid_argument(fmt::format("io_uring_setup: {} entries, more than IORING_MAX_ENTRIES ({})",
                                              ctx_->max_reqs, IORING_MAX_ENTRIES));
    ring_ = std::make_unique<IoRing>(*machine_, ctx_->max_reqs, ctx_->completion_lock.kind());
    ring_->sqe_is_cancel.assign(ring_->sq_entries, false);
    io_wq_ = std::make_unique<IoWq>(*machine_, ctx_->completion_lock.kind());
  }

  // What user space can read: the requests' CQEs from the CQ head to its
  // tail, then those backlogged on cq_overflow_list (flushed into the CQ
  // once there is room). An IORING_OP_ASYNC_CANCEL's own CQE is its result,
  // which the explorer shows as io_cancel's return, as for fs/aio.c.
  std::vector<io_event> readable_events() const override {
    std::vector<io_event> v;
    for (unsigned h = ring_->cq_head.raw(), t = ring_->cq_tail.raw(); h != t; ++h)
      if (const io_event& e = ring_->cqes[h & ring_->cq_mask()].raw(); !(e.data & kCancelTag)) v.push_back(e);
    for (const IoRing::Backlogged& b : ring_->overflow) v.push_back(io_event{b.user_data, b.user_data, b.result, 0});
    return v;
  }

  Task<long> do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) override;
  Task<long> sys_io_getevents(kioctx& ctx, long min_nr, long nr, io_event* events) override;
  Task<long> sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result) override;
  Task<long> sys_io_destroy(kioctx& ctx) override;
  Task<void> aio_complete(kiocb& iocb, long res, long res2) override;  // io_complete_rw
  Task<void> kiocb_set_cancel_fn(kiocb& req, kiocb_cancel_fn cancel) override;
  Task<void> put_ioctx(kioctx& ctx) override;  // fput of the ring file
  Task<void> io_wq_worker() override;           // io_wqe_worker: one pass over the queued work
  Task<void> io_wq_worker_kthread(const bool& stop) override;  // io_wqe_worker, the kthread
  bool cancel_result_in_cq() const override { return true; }
  bool has_io_wq() const override { return true; }
  std::vector<std::pair<std::string, const sim::LockBase*>> own_locks() const override {
    return {{"wqe_lock", &io_wq_->wqe_lock}, {"worker_lock", &io_wq_->worker_lock}};
  }
  IoWqStats io_wq_stats() const override { return io_wq_->stats; }

 private:
  Task<bool> fdget(kioctx& ctx);
  Task<long> io_uring_enter(kioctx& ctx, unsigned to_submit, unsigned min_complete, bool getevents);
  Task<long> io_submit_sqes(kioctx& ctx, unsigned nr);
  Task<bool> io_issue_sqe(kioctx& ctx, kiocb& req, const UserIocb& sqe);
  Task<void> io_wqe_enqueue(kiocb& req);
  Task<void> io_worker_handle_work();
  Task<bool> io_worker_idle();
  Task<void> io_wq_worker_sleeping();
  Task<void> io_wq_submit_work(kiocb& req, bool cancel);
  Task<IoWqCancel> io_wqe_cancel_cb_work(std::uint64_t sqe_addr);
  Task<void> io_async_find_and_cancel(kioctx& ctx, kiocb& req, std::uint64_t sqe_addr);
  Task<void> io_cqring_add_event(kiocb& req, long res);
  Task<void> io_cqring_fill_event(kiocb& req, long res);
  Task<bool> io_get_cqring(unsigned& index);
  Task<void> io_commit_cqring();
  Task<void> io_cqring_ev_posted(kioctx& ctx);
  Task<bool> io_cqring_overflow_flush(kioctx& ctx, bool force);
  Task<unsigned> io_cqring_events(kioctx& ctx);
  Task<long> io_cqring_wait(kioctx& ctx, unsigned min_events);
  Task<void> io_put_req(kiocb& req);
  Task<void> io_free_req(kiocb& req);
  Task<bool> percpu_ref_tryget_many(long n);
  Task<void> percpu_ref_put(long n);
  Task<void> io_ring_ctx_wait_and_kill(kioctx& ctx);
  Task<long> user_reap_cqes(io_event* out, long max);
  void deliver(std::uint64_t user_data, const char* path);
  void drop(std::uint64_t user_data);

  std::unique_ptr<IoRing> ring_;
  std::unique_ptr<IoWq> io_wq_;
  long cancel_ret_ = -ENOENT;  // the ASYNC_CANCEL request's result, for the syscall's return
};

// ---- percpu_ref ctx->refs (lib/percpu-refcount.c): per-CPU counts while
// alive; percpu_ref_kill marks it dead and, one RCU grace period later,
// the sum is what io_ring_ctx_wait_and_kill waits to see reach zero.

Task<bool> IoUring::percpu_ref_tryget_many(long n) {
  sim::rcu_read_lock(rcu_);  // rcu_read_lock_sched()
  const bool dead = co_await READ_ONCE(ring_->refs_dead);
  if (!dead) co_await sim::atomic_add(n, ring_->pcpu_refs[static_cast<std::size_t>(sim::current_context->cpu().id())]);
  sim::rcu_read_unlock(rcu_);
  co_return !dead;
}

Task<void> IoUring::percpu_ref_put(long n) {
  co_await sim::atomic_sub(n, ring_->pcpu_refs[static_cast<std::size_t>(sim::current_context->cpu().id())]);
  // Once dead, the last put completes ctx->ref_comp (io_ring_ctx_ref_free).
  const int dead = co_await READ_ONCE(ring_->refs_dead);
  if (dead) {
    const int waiters = co_await sim::waitqueue_active(ring_->ref_comp);
    if (waiters) co_await sim::wake_up(ring_->ref_comp);
  }
}

// ---- the ring file: fdget / fput (fs/file.c): the kioctx's `users` is the
// file's f_count, `hashed` its fd table entry.

Task<bool> IoUring::fdget(kioctx& ctx) {
  sim::rcu_read_lock(rcu_);
  bool found = sim::rcu_dereference(ctx.hashed, "fd table");
  if (found) {
    // get_file_rcu(): atomic_long_inc_not_zero(&file->f_count)
    int seen = co_await READ_ONCE(ctx.users);
    while (seen != 0) {
      const int old = co_await sim::cmpxchg(ctx.users, seen, seen + 1);
      if (old == seen) break;
      seen = old;
    }
    found = seen != 0;
  }
  sim::rcu_read_unlock(rcu_);
  co_return found;
}

// fput(): the last reference runs io_uring_release (v5.6.4 6462-6469).
Task<void> IoUring::put_ioctx(kioctx& ctx) {
  KernelFunction fn{"fput"};
  if (co_await sim::atomic_dec_and_test(ctx.users)) co_await io_ring_ctx_wait_and_kill(ctx);
}

// ---- submission

// do_io_submit: user space (liburing io_uring_get_sqe + io_uring_submit)
// fills one SQE per iocb and publishes the SQ tail, then io_uring_enter.
Task<long> IoUring::do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) {
  IoRing& r = *ring_;
  co_await sim::mutex_lock(r.user_sq_lock);
  unsigned tail = co_await READ_ONCE(r.sq_tail);
  const unsigned head = co_await READ_ONCE(r.sq_head);
  const unsigned n = std::min<unsigned>(static_cast<unsigned>(iocbs.size()), r.sq_entries - (tail - head));
  for (unsigned i = 0; i < n; ++i, ++tail) {
    const unsigned slot = tail & r.sq_mask();
    r.sqe_args[slot] = iocbs[i];
    r.sqe_is_cancel[slot] = false;
    co_await WRITE_ONCE(r.sqes[slot], iocbs[i].id);
  }
  co_await WRITE_ONCE(r.sq_tail, tail);  // io_uring_smp_store_release
  long ret = -EAGAIN;
  if (n) ret = co_await io_uring_enter(ctx, n, 0, false);
  co_await sim::mutex_unlock(r.user_sq_lock);
  co_return ret;
}

// io_uring_enter() (v5.6.4 6614-6695) without SQPOLL and IOPOLL.
Task<long> IoUring::io_uring_enter(kioctx& ctx, unsigned to_submit, unsigned min_complete, bool getevents) {
  KernelFunction fn{"io_uring_enter"};
  sim::cpu_work(costs_.syscall);
  if (!co_await fdget(ctx)) co_return -EBADF;
  long ret = -ENXIO;
  long submitted = 0;
  if (co_await percpu_ref_tryget_many(1)) {
    ret = 0;
    if (to_submit) {
      co_await sim::mutex_lock(ring_->uring_lock);
      submitted = co_await io_submit_sqes(ctx, to_submit);
      co_await sim::mutex_unlock(ring_->uring_lock);
    }
    if (getevents && (!to_submit || submitted == static_cast<long>(to_submit))) {
      min_complete = std::min(min_complete, ring_->cq_entries);
      ret = co_await io_cqring_wait(ctx, min_complete);
    }
    co_await percpu_ref_put(1);
  }
  co_await put_ioctx(ctx);  // fdput()
  co_return submitted ? submitted : ret;
}

// io_submit_sqes() (v5.6.4 5015-5101), one request at a time (no plug, no links).
Task<long> IoUring::io_submit_sqes(kioctx& ctx, unsigned nr) {
  KernelFunction fn{"io_submit_sqes"};
  IoRing& r = *ring_;
  // If we have a backlog and couldn't flush it all, return BUSY.
  if (co_await READ_ONCE(r.sq_check_overflow)) {
    const int backlog = co_await READ_ONCE(r.cq_overflow_list);
    if (backlog != 0) {
      const bool flushed = co_await io_cqring_overflow_flush(ctx, false);
      if (!flushed) co_return -EBUSY;
    }
  }
  // nr = min3(nr, ctx->sq_entries, io_sqring_entries(ctx)): smp_load_acquire(&rings->sq.tail)
  const unsigned avail = co_await READ_ONCE(r.sq_tail) - r.cached_sq_head;
  nr = std::min({nr, r.sq_entries, avail});
  if (!co_await percpu_ref_tryget_many(nr)) co_return -EAGAIN;
  long submitted = 0;
  for (unsigned i = 0; i < nr; ++i) {
    // io_get_req() (1197-1245): one is dropped after submission, the other at completion.
    kiocb& req = slab_->alloc();
    req.ki_ctx = &ctx;
    req.ki_filp = nullptr;
    co_await WRITE_ONCE(req.ki_users, 2);
    // io_get_sqring() (4979-5013): the SQE at cached_sq_head.
    const unsigned slot = r.cached_sq_head & r.sq_mask();
    const std::uint64_t user_data = co_await READ_ONCE(r.sqes[slot]);
    const UserIocb sqe = r.sqe_args[slot];
    const bool cancel = r.sqe_is_cancel[slot];
    ++r.cached_sq_head;
    req.ki_user_data = user_data;
    req.ki_obj_user.raw() = user_data;
    ++submitted;
    sim::cpu_work(costs_.copy_iocb);  // io_submit_sqe: io_req_defer_prep, opcode checks
    bool punted = false;
    if (cancel) {
      // io_async_cancel() (4090-4096)
      co_await io_async_find_and_cancel(ctx, req, sqe.id);
    } else {
      punted = co_await io_issue_sqe(ctx, req, sqe);
    }
    // __io_queue_sqe (4766-4767): drop the submission reference -- unless
    // punted: "worker will release submit reference" (4757-4762).
    if (!punted) co_await io_put_req(req);
  }
  // io_commit_sqring() (4959-4969): smp_store_release(&rings->sq.head, ctx->cached_sq_head)
  co_await WRITE_ONCE(r.sq_head, r.cached_sq_head);
  co_return submitted;
}

// io_req_set_file + io_write (force_nonblock) + kiocb_done: the request is
// queued on the device (-EIOCBQUEUED), done inline (ki_complete now), or
// punted to io-wq (true: the worker now owns the submission reference).
Task<bool> IoUring::io_issue_sqe(kioctx&, kiocb& req, const UserIocb& sqe) {
  KernelFunction fn{"io_write"};
  if (sqe.bad_buffer) {
    // io_import_iovec() fails: io_queue_sqe posts the error CQE and drops
    // both references (io_cqring_add_event + io_double_put_req).
    co_await io_cqring_add_event(req, -EFAULT);
    co_await io_put_req(req);
    co_return false;
  }
  co_await sim::atomic_inc(sqe.filp->f_count);  // fget()
  req.ki_filp = sqe.filp;
  req.ki_eventfd = nullptr;  // io_uring signals a ring-wide eventfd, not one per request (not modelled)
  if (!sqe.filp->o_direct) {
    // Without O_DIRECT the nonblocking attempt cannot succeed: a regular
    // file goes to copy_iov (2346-2348); a block device's blkdev_write_iter
    // refuses IOCB_NOWAIT without IOCB_DIRECT (-EOPNOTSUPP, fs/block_dev.c
    // 2013-2014), which io_write turns into -EAGAIN (2378-2379). The file is
    // not O_NONBLOCK and the SQE has no RWF_NOWAIT, so REQ_F_NOWAIT is clear
    // (1917-1920) and __io_queue_sqe punts it: io_queue_async_work
    // (4748-4762, 975-993), io_wq_enqueue of an unhashed work (a block
    // device is not REQ_F_ISREG, so no hash_reg_file).
    co_await io_wqe_enqueue(req);
    co_return true;
  }
  const long ret = co_await sqe.filp->aio_write(req);  // call_write_iter
  if (ret != -EIOCBQUEUED) co_await aio_complete(req, ret, 0);  // kiocb_done -> io_rw_done -> ki_complete
  co_return false;
}

// ---- io-wq (fs/io-wq.c, v5.6.4)

// io_wqe_enqueue() (761-787): list_add_tail under wqe->lock, irqsave. The
// wake-up of a free worker (io_wqe_wake_worker) is not modelled: the
// worker's context runs io_wq_worker() when its scenario starts it.
Task<void> IoUring::io_wqe_enqueue(kiocb& req) {
  KernelFunction fn{"io_wqe_enqueue"};
  IoWq& w = *io_wq_;
  auto flags = co_await sim::spin_lock_irqsave(w.wqe_lock);
  w.queued.push_back(&req);
  co_await WRITE_ONCE(w.work_list, static_cast<int>(w.queued.size()));  // wq_list_add_tail
  co_await sim::spin_unlock_irqrestore(w.wqe_lock, flags);
  ++w.stats.enqueued;
  if (!w.kthread) co_return;  // the explorer's worker runs when its scenario says
  // !atomic_read(&acct->nr_running) -> io_wqe_wake_worker ->
  // io_wqe_activate_free_worker (free_list under RCU) -> wake_up_process.
  // A write is not IO_WQ_WORK_CONCURRENT (only IOSQE_ASYNC sets it).
  if (co_await READ_ONCE(w.nr_running) == 0) {
    sim::rcu_read_lock(rcu_);
    const int free = co_await READ_ONCE(w.free_list);
    sim::rcu_read_unlock(rcu_);
    if (free) {
      ++w.stats.wakeups;
      co_await sim::wake_up(*w.task);
    }
  }
}

// io_wqe_worker() (538-581): spin_lock_irq(&wqe->lock), and if
// io_wqe_run_queue() finds work, io_worker_handle_work(); one pass, until
// the list is empty (the kthread's sleep and idle timeout are left out).
Task<void> IoUring::io_wq_worker() {
  KernelFunction fn{"io_wqe_worker"};
  IoWq& w = *io_wq_;
  co_await sim::spin_lock_irq(w.wqe_lock);
  if (co_await READ_ONCE(w.work_list) == 0) {
    co_await sim::spin_unlock_irq(w.wqe_lock);
    co_return;
  }
  co_await io_worker_handle_work();
}

// io_wqe_worker() (fs/io-wq.c, v5.6.4) as the kthread of a timed run, with
// io_worker_start, __io_worker_idle and the scheduler hooks
// io_wq_worker_sleeping / io_wq_worker_running. Its wqe->lock acquisitions
// follow the text: one at `loop:`, then io_worker_handle_work re-takes it
// after each work; once the list is empty, `goto loop` takes it again and
// __io_worker_idle drops it to let go of the mm (worker->mm is the
// submitter's) and the loop takes it once more; schedule_timeout returns at
// once, as the task is TASK_RUNNING since the work; the next pass, now
// TASK_INTERRUPTIBLE, takes it, finds nothing, and sleeps, and
// io_wq_worker_sleeping takes it to drop nr_running. A request the worker
// wakes up for alone thus costs 1 (io_wqe_enqueue) + 6 acquisitions.
// (io_wqe_worker 538-581, io_worker_handle_work 443-536, __io_worker_idle
// 368-377, __io_worker_unuse 137-175, io_wq_worker_sleeping 604-617.)
// Left out: the idle timeout (5 s, far beyond a run), the files/creds
// switches (no lock).
Task<void> IoUring::io_wq_worker_kthread(const bool& stop) {
  KernelFunction fn{"io_wqe_worker"};
  IoWq& w = *io_wq_;
  w.kthread = sim::current_context;
  w.task = std::make_unique<sim::WaitQueue>("worker->task", w.worker_line, io_wq_->wqe_lock.kind(), *machine_);
  // io_worker_start: IO_WORKER_F_UP | IO_WORKER_F_RUNNING, nr_running++;
  // create_io_worker has put it on the free list.
  w.f_running = true;
  co_await sim::atomic_inc(w.nr_running);
  w.f_free = true;
  co_await WRITE_ONCE(w.free_list, 1);
  while (!stop) {
    co_await sim::prepare_to_wait(*w.task);  // set_current_state(TASK_INTERRUPTIBLE)
    bool did_work = false;
    for (;;) {  // loop:
      co_await sim::spin_lock_irq(w.wqe_lock);
      if (co_await READ_ONCE(w.work_list) != 0) {
        did_work = true;  // __set_current_state(TASK_RUNNING)
        // __io_worker_busy (under wqe->lock): off the free list.
        if (w.f_free) {
          w.f_free = false;
          co_await WRITE_ONCE(w.free_list, 0);
        }
        co_await io_worker_handle_work();
        continue;
      }
      if (co_await io_worker_idle()) {
        did_work = true;  // __io_worker_unuse: __set_current_state(TASK_RUNNING)
        continue;
      }
      co_await sim::spin_unlock_irq(w.wqe_lock);
      break;
    }
    if (did_work) {
      // schedule_timeout() of a TASK_RUNNING task returns at once.
      co_await sim::finish_wait(*w.task);
      continue;
    }
    // schedule_timeout(): sched_submit_work -> io_wq_worker_sleeping, then
    // sleep until io_wqe_enqueue wakes it; io_wq_worker_running on the way back.
    co_await io_wq_worker_sleeping();
    co_await sim::schedule();
    co_await sim::finish_wait(*w.task);
    if (!w.f_running) {
      w.f_running = true;
      co_await sim::atomic_inc(w.nr_running);
    }
  }
}

// __io_worker_idle() under wqe->lock: onto the free list; __io_worker_unuse
// drops wqe->lock to let go of the mm (kthread_unuse_mm/unuse_mm, mmput)
// and says so (true: the caller goes round the loop again).
Task<bool> IoUring::io_worker_idle() {
  IoWq& w = *io_wq_;
  if (!w.f_free) {
    w.f_free = true;
    co_await WRITE_ONCE(w.free_list, 1);  // hlist_nulls_add_head_rcu
  }
  if (!w.mm) co_return false;
  co_await sim::spin_unlock_irq(w.wqe_lock);
  w.mm = false;
  co_return true;
}

// io_wq_worker_sleeping(): nr_running-- under wqe->lock; io_wqe_dec_running
// wakes a free worker if that was the last running one and work is queued:
// work enqueued after the worker's last look (nr_running was still 1, so
// io_wqe_enqueue woke nobody) wakes the worker itself, which is on the free
// list and still TASK_INTERRUPTIBLE, so its schedule() returns at once.
Task<void> IoUring::io_wq_worker_sleeping() {
  KernelFunction fn{"io_wq_worker_sleeping"};
  IoWq& w = *io_wq_;
  if (!w.f_running) co_return;
  w.f_running = false;
  ++w.stats.sleeps;
  co_await sim::spin_lock_irq(w.wqe_lock);
  const int old = co_await sim::atomic_dec(w.nr_running);
  const int queued = old == 1 ? co_await READ_ONCE(w.work_list) : 0;
  const int free = queued ? co_await READ_ONCE(w.free_list) : 0;
  if (free) {
    ++w.stats.wakeups;
    co_await sim::wake_up(*w.task);  // io_wqe_wake_worker -> io_wqe_activate_free_worker
  }
  co_await sim::spin_unlock_irq(w.wqe_lock);
}

// io_worker_handle_work() (443-536), called with wqe->lock held: take the
// head (io_get_next_work, 379-404), drop wqe->lock, and only then publish
// it as cur_work under worker->lock (478-480). Between the two a cancel
// finds the work neither queued nor running. The mm, files and creds
// switches are left out.
Task<void> IoUring::io_worker_handle_work() {
  KernelFunction fn{"io_worker_handle_work"};
  IoWq& w = *io_wq_;
  for (;;) {
    kiocb* work = nullptr;
    if (co_await READ_ONCE(w.work_list) != 0) {
      work = w.queued.front();
      w.queued.pop_front();
      co_await WRITE_ONCE(w.work_list, static_cast<int>(w.queued.size()));  // wq_node_del
    }
    co_await sim::spin_unlock_irq(w.wqe_lock);
    if (!work) co_return;
    // "flush any pending signals before assigning new work"
    if (co_await READ_ONCE(w.sigpending)) co_await WRITE_ONCE(w.sigpending, 0);
    co_await sim::spin_lock_irq(w.worker_lock);
    w.running = work;
    co_await WRITE_ONCE(w.cur_work, work->ki_user_data + 1);
    co_await sim::spin_unlock_irq(w.worker_lock);
    w.mm = true;  // io_wq_switch_mm: use_mm(work->mm)
    co_await io_wq_submit_work(*work, false);  // work->func(&work)
    co_await sim::spin_lock_irq(w.worker_lock);
    w.running = nullptr;
    co_await WRITE_ONCE(w.cur_work, std::uint64_t{0});
    co_await sim::spin_unlock_irq(w.worker_lock);
    co_await sim::spin_lock_irq(w.wqe_lock);
  }
}

// io_wq_submit_work() (v5.6.4 fs/io_uring.c 4521-4561): with
// IO_WQ_WORK_CANCEL the request ends with -ECANCELED; otherwise the blocking
// write (io_issue_sqe with force_nonblock false -> io_write -> call_write_iter
// returns the bytes -> kiocb_done, in_async: __io_complete_rw, 1968-1979,
// the same CQE and put as io_complete_rw). Then the submission reference,
// and on error the CQE and the completion reference.
Task<void> IoUring::io_wq_submit_work(kiocb& req, bool cancel) {
  KernelFunction fn{"io_wq_submit_work"};
  long ret = cancel ? -ECANCELED : 0;
  if (!ret) {
    const long written = co_await req.ki_filp->aio_write(req);
    ++io_wq_->stats.run_by_worker;
    co_await aio_complete(req, written, 0);
  }
  co_await io_put_req(req);  // drop submission reference
  if (ret) {
    co_await io_cqring_add_event(req, ret);
    co_await io_put_req(req);
  }
}

// io_wqe_cancel_cb_work() (886-921), for the one wqe io_wq_cancel_cb
// (923-938) walks: the pending list under wqe->lock (irqsave); found there,
// io_run_cancel (750-759) runs the work here, in the canceller, with
// IO_WQ_WORK_CANCEL. Otherwise each worker's cur_work under worker->lock
// (io_work_cancel, 864-884): running, it gets SIGINT and the request
// completes normally.
Task<IoWqCancel> IoUring::io_wqe_cancel_cb_work(std::uint64_t sqe_addr) {
  KernelFunction fn{"io_wqe_cancel_cb_work"};
  IoWq& w = *io_wq_;
  kiocb* found = nullptr;
  auto flags = co_await sim::spin_lock_irqsave(w.wqe_lock);
  if (co_await READ_ONCE(w.work_list) != 0) {
    // io_cancel_cb (4018-4023): req->user_data == the SQE's addr
    auto it = std::find_if(w.queued.begin(), w.queued.end(), [&](kiocb* k) { return k->ki_user_data == sqe_addr; });
    if (it != w.queued.end()) {
      found = *it;
      w.queued.erase(it);
      co_await WRITE_ONCE(w.work_list, static_cast<int>(w.queued.size()));  // wq_node_del
    }
  }
  co_await sim::spin_unlock_irqrestore(w.wqe_lock, flags);
  if (found) {
    ++w.stats.cancelled_queued;
    co_await io_wq_submit_work(*found, true);  // io_run_cancel: work->flags |= IO_WQ_WORK_CANCEL
    co_return IoWqCancel::Ok;
  }
  bool running = false;
  sim::rcu_read_lock(rcu_);  // io_wq_for_each_worker walks the worker list under RCU
  auto wflags = co_await sim::spin_lock_irqsave(w.worker_lock);
  if (co_await READ_ONCE(w.cur_work) == sqe_addr + 1) {
    co_await WRITE_ONCE(w.sigpending, 1);  // send_sig(SIGINT, worker->task, 1)
    running = true;
  }
  co_await sim::spin_unlock_irqrestore(w.worker_lock, wflags);
  sim::rcu_read_unlock(rcu_);
  co_return running ? IoWqCancel::Running : IoWqCancel::NotFound;
}

// ---- completion

// io_complete_rw() (v5.6.4 1743-1761): the kiocb's ki_complete, which the
// device's completion calls (in IRQ context for the block device).
Task<void> IoUring::aio_complete(kiocb& iocb, long res, long) {
  KernelFunction fn{"io_complete_rw"};
  if (!iocb.allocated) bug(fmt::format("use after free: io_complete_rw on freed io_kiocb slot {}", iocb.slot));
  co_await io_cqring_add_event(iocb, res);  // io_complete_rw_common
  co_await io_put_req(iocb);
}

// io_cqring_add_event() (1167-1178): fill and commit under completion_lock,
// wake the waiters after dropping it.
Task<void> IoUring::io_cqring_add_event(kiocb& req, long res) {
  KernelFunction fn{"io_cqring_add_event"};
  auto flags = co_await sim::spin_lock_irqsave(ctx_->completion_lock);
  co_await io_cqring_fill_event(req, res);
  co_await io_commit_cqring();
  co_await sim::spin_unlock_irqrestore(ctx_->completion_lock, flags);
  co_await io_cqring_ev_posted(*ctx_);
}

// io_get_cqring() (1033-1049): the CQE slot at cached_cq_tail, or none if
// user space has not made room.
Task<bool> IoUring::io_get_cqring(unsigned& index) {
  IoRing& r = *ring_;
  const unsigned tail = co_await READ_ONCE(r.cached_cq_tail);
  const unsigned head = co_await READ_ONCE(r.cq_head);
  if (tail - head == r.cq_entries) co_return false;
  co_await WRITE_ONCE(r.cached_cq_tail, tail + 1);
  index = tail & r.cq_mask();
  co_return true;
}

void IoUring::deliver(std::uint64_t user_data, const char* path) {
  if (!(user_data & kCancelTag)) ledger_->ring_event(user_data, path);
}

// A result that will never reach user space: only once the ring is being
// torn down (cq_overflow_flushed), as io_ring_ctx_wait_and_kill drops it.
void IoUring::drop(std::uint64_t user_data) {
  if (user_data & kCancelTag) return;
  ledger_->teardown_cancel(user_data);
  ledger_->event_suppressed(user_data, "io_cqring_fill_event (ring torn down: CQE dropped, cq_overflow++)");
}

// io_cqring_fill_event() (1135-1165): into the CQ if there is room;
// otherwise onto cq_overflow_list with an extra reference (never
// overwritten, never dropped while the ring lives).
Task<void> IoUring::io_cqring_fill_event(kiocb& req, long res) {
  KernelFunction fn{"io_cqring_fill_event"};
  sim::assert_spin_locked(ctx_->completion_lock);
  IoRing& r = *ring_;
  const std::uint64_t user_data = req.ki_user_data;
  unsigned index = 0;
  if (co_await io_get_cqring(index)) {
    co_await WRITE_ONCE(r.cqes[index], io_event{user_data, 0, res, 0});
    deliver(user_data, "io_cqring_fill_event (CQE written)");
    if (io_wq_->kthread && sim::current_context == io_wq_->kthread && !(user_data & kCancelTag))
      ++io_wq_->stats.cqes_from_worker;
  } else if (co_await READ_ONCE(r.cq_overflow_flushed)) {
    const unsigned overflow = co_await READ_ONCE(r.cq_overflow);
    co_await WRITE_ONCE(r.cq_overflow, overflow + 1);
    drop(user_data);
  } else {
    if (co_await READ_ONCE(r.cq_overflow_list) == 0) {
      co_await WRITE_ONCE(r.sq_check_overflow, 1);
      co_await WRITE_ONCE(r.cq_check_overflow, 1);
    }
    co_await sim::atomic_inc(req.ki_users);  // refcount_inc(&req->refs)
    r.overflow.push_back({&req, user_data, res});
    co_await WRITE_ONCE(r.cq_overflow_list, static_cast<int>(r.overflow.size()));  // list_add_tail
  }
}

// io_commit_cqring() -> __io_commit_cqring() (897-908, 1020-1031): publish
// the tail; poll/fasync waiters on cq_wait are woken inside the lock
// (wq_has_sleeper: smp_mb + waitqueue_active; the model runs sequentially
// consistent, so the barrier is the ordering it already has).
Task<void> IoUring::io_commit_cqring() {
  IoRing& r = *ring_;
  const unsigned tail = co_await READ_ONCE(r.cached_cq_tail);
  co_await WRITE_ONCE(r.cq_tail, tail);  // smp_store_release
  const int pollers = co_await sim::waitqueue_active(r.cq_wait);
  if (pollers) co_await sim::wake_up(r.cq_wait);
}

// io_cqring_ev_posted() (1060-1074): ctx->wait and sqo_wait, outside the lock.
Task<void> IoUring::io_cqring_ev_posted(kioctx& ctx) {
  const int waiters = co_await sim::waitqueue_active(ctx.wait);
  if (waiters) co_await sim::wake_up(ctx.wait);
  const int sq_waiters = co_await sim::waitqueue_active(ring_->sqo_wait);
  if (sq_waiters) co_await sim::wake_up(ring_->sqo_wait);
}

// io_cqring_overflow_flush() (1076-1133): move backlogged CQEs into the CQ
// as far as user space has made room, in list order; `force` (teardown)
// drops what does not fit. True if the backlog is gone.
Task<bool> IoUring::io_cqring_overflow_flush(kioctx& ctx, bool force) {
  KernelFunction fn{"io_cqring_overflow_flush"};
  IoRing& r = *ring_;
  if (!force) {
    if (co_await READ_ONCE(r.cq_overflow_list) == 0) co_return true;  // list_empty_careful
    const unsigned tail = co_await READ_ONCE(r.cached_cq_tail);
    const unsigned head = co_await READ_ONCE(r.cq_head);
    if (tail - head == r.cq_entries) co_return false;
  }
  auto flags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
  if (force) co_await WRITE_ONCE(r.cq_overflow_flushed, 1);
  bool cqe = false;
  std::vector<IoRing::Backlogged> list;
  while (co_await READ_ONCE(r.cq_overflow_list) != 0) {
    unsigned index = 0;
    cqe = co_await io_get_cqring(index);
    if (!cqe && !force) break;
    IoRing::Backlogged b = r.overflow.front();
    r.overflow.pop_front();
    co_await WRITE_ONCE(r.cq_overflow_list, static_cast<int>(r.overflow.size()));  // list_move
    list.push_back(b);
    if (cqe) {
      co_await WRITE_ONCE(r.cqes[index], io_event{b.user_data, 0, b.result, 0});
      deliver(b.user_data, "io_cqring_overflow_flush (backlogged CQE written)");
    } else {
      const unsigned overflow = co_await READ_ONCE(r.cq_overflow);
      co_await WRITE_ONCE(r.cq_overflow, overflow + 1);
      drop(b.user_data);
    }
  }
  co_await io_commit_cqring();
  if (cqe) {
    co_await WRITE_ONCE(r.sq_check_overflow, 0);
    co_await WRITE_ONCE(r.cq_check_overflow, 0);
  }
  co_await sim::spin_unlock_irqrestore(ctx.completion_lock, flags);
  co_await io_cqring_ev_posted(ctx);
  for (IoRing::Backlogged& b : list) co_await io_put_req(*b.req);
  co_return cqe;
}

// io_put_req() (1490-1494) -> io_free_req() -> __io_free_req() (1275-1292).
Task<void> IoUring::io_put_req(kiocb& req) {
  if (!req.allocated) bug(fmt::format("use after free: io_put_req on freed io_kiocb slot {}", req.slot));
  const int old = co_await sim::atomic_add_old(req.ki_users, -1);
  if (old <= 0) bug(fmt::format("io_kiocb slot {}: refs dropped below zero ({} -> {})", req.slot, old, old - 1));
  if (old == 1) co_await io_free_req(req);
}

Task<void> IoUring::io_free_req(kiocb& req) {
  KernelFunction fn{"io_free_req"};
  if (req.ki_filp) co_await sim::atomic_dec(req.ki_filp->f_count);  // fput(req->file)
  req.ki_filp = nullptr;
  slab_->free(req);  // kmem_cache_free(req_cachep, req)
  co_await percpu_ref_put(1);
}

// ---- reaping

// io_cqring_events() (1514-1534): flush the backlog first if flagged.
Task<unsigned> IoUring::io_cqring_events(kioctx& ctx) {
  IoRing& r = *ring_;
  if (co_await READ_ONCE(r.cq_check_overflow)) co_await io_cqring_overflow_flush(ctx, false);
  // smp_rmb(); ctx->cached_cq_tail - READ_ONCE(rings->cq.head)
  const unsigned tail = co_await READ_ONCE(r.cached_cq_tail);
  const unsigned head = co_await READ_ONCE(r.cq_head);
  co_return tail - head;
}

// io_cqring_wait() (5265-5311) without signals and timeouts. The kernel's
// io_wake_function re-tests the count in the waker and leaves the task
// asleep if it is still short; here every wake_up wakes it and it tests
// again itself (the same outcome, more wake-ups).
Task<long> IoUring::io_cqring_wait(kioctx& ctx, unsigned min_events) {
  KernelFunction fn{"io_cqring_wait"};
  if (co_await io_cqring_events(ctx) >= min_events) co_return 0;
  for (;;) {
    co_await sim::prepare_to_wait(ctx.wait);  // prepare_to_wait_exclusive
    if (co_await io_cqring_events(ctx) >= min_events) break;
    co_await sim::schedule();
  }
  co_await sim::finish_wait(ctx.wait);
  co_return 0;
}

// User space (liburing io_uring_peek_batch_cqe + io_uring_cq_advance):
// read CQEs from head to the tail it loads with acquire, then store the
// new head with release. The canceller's own CQEs are consumed and skipped.
Task<long> IoUring::user_reap_cqes(io_event* out, long max) {
  IoRing& r = *ring_;
  co_await sim::mutex_lock(r.user_cq_lock);
  unsigned head = co_await READ_ONCE(r.cq_head);
  const unsigned tail = co_await READ_ONCE(r.cq_tail);
  long got = 0;
  for (; head != tail && got < max; ++head) {
    const io_event e = co_await READ_ONCE(r.cqes[head & r.cq_mask()]);
    if (e.data & kCancelTag) continue;
    out[got++] = io_event{e.data, e.data, e.res, 0};
  }
  sim::cpu_work(costs_.copy_event * got);
  co_await WRITE_ONCE(r.cq_head, head);
  co_await sim::mutex_unlock(r.user_cq_lock);
  co_return got;
}

// io_getevents(min_nr, nr) as user space does it on a ring: take what the
// CQ holds; while short of min_nr, io_uring_enter(GETEVENTS) for the rest
// (which flushes the backlog and sleeps in io_cqring_wait).
Task<long> IoUring::sys_io_getevents(kioctx& ctx, long min_nr, long nr, io_event* events) {
  if (min_nr < 0 || min_nr > nr) co_return -EINVAL;
  long got = co_await user_reap_cqes(events, nr);
  while (got < min_nr) {
    const long ret = co_await io_uring_enter(ctx, 0, static_cast<unsigned>(min_nr - got), true);
    if (ret < 0) co_return got ? got : ret;
    got += co_await user_reap_cqes(events + got, nr - got);
  }
  co_return got;
}

// ---- cancel

// io_cancel = one IORING_OP_ASYNC_CANCEL SQE (addr = the target's
// user_data) through io_uring_enter. Its own result is a CQE of its own
// (user space reads it from the CQ, the reaper skips it); the call returns
// that result here. The target keeps its own CQE either way.
Task<long> IoUring::sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event&) {
  IoRing& r = *ring_;
  ledger_->cancel_started(iocb);
  co_await sim::mutex_lock(r.user_sq_lock);
  unsigned tail = co_await READ_ONCE(r.sq_tail);
  long ret = -EAGAIN;
  const unsigned sq_head = co_await READ_ONCE(r.sq_head);
  if (tail - sq_head < r.sq_entries) {
    const unsigned slot = tail & r.sq_mask();
    r.sqe_args[slot] = UserIocb{iocb, nullptr, nullptr, false};
    r.sqe_is_cancel[slot] = true;
    co_await WRITE_ONCE(r.sqes[slot], kCancelTag | iocb);
    co_await WRITE_ONCE(r.sq_tail, tail + 1);
    cancel_ret_ = -ENOENT;
    ret = co_await io_uring_enter(ctx, 1, 0, false);
    if (ret == 1) ret = cancel_ret_;
  }
  co_await sim::mutex_unlock(r.user_sq_lock);
  ledger_->cancel_returned(iocb, ret == 0 ? -EINPROGRESS : ret);
  co_return ret;
}

// io_async_find_and_cancel() (4046-4075) with io_async_cancel_one()
// (4025-4044): io-wq first (OK: 0, RUNNING: -EALREADY, NOTFOUND: -ENOENT);
// only on -ENOENT the timeout and poll lists (empty here) under
// completion_lock. An O_DIRECT block write in flight sits in the block
// layer, not in io-wq: -ENOENT.
Task<void> IoUring::io_async_find_and_cancel(kioctx& ctx, kiocb& req, std::uint64_t sqe_addr) {
  KernelFunction fn{"io_async_find_and_cancel"};
  long ret = -ENOENT;
  switch (co_await io_wqe_cancel_cb_work(sqe_addr)) {
    case IoWqCancel::Ok: ret = 0; break;
    case IoWqCancel::Running: ret = -EALREADY; break;
    case IoWqCancel::NotFound: ret = -ENOENT; break;
  }
  auto flags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
  // ret == -ENOENT: io_timeout_cancel(), io_poll_cancel() find nothing either.
  co_await io_cqring_fill_event(req, ret);
  co_await io_commit_cqring();
  co_await sim::spin_unlock_irqrestore(ctx.completion_lock, flags);
  co_await io_cqring_ev_posted(ctx);
  cancel_ret_ = ret;
  co_await io_put_req(req);  // io_put_req_find_next: the completion reference
}

// kiocb_set_cancel_fn() (fs/aio.c) takes container_of(iocb, struct
// aio_kiocb, rw): on a kiocb io_uring submitted there is no aio_kiocb
// around it (fixed in v6.8, "fs/aio: Restrict kiocb_set_cancel_fn() to I/O
// submitted via libaio"). The model refuses to go on rather than invent
// what the kernel would corrupt.
Task<void> IoUring::kiocb_set_cancel_fn(kiocb& req, kiocb_cancel_fn) {
  KernelFunction fn{"kiocb_set_cancel_fn"};
  bug(fmt::format("kiocb_set_cancel_fn on io_uring request slot {}: its kiocb is not in an aio_kiocb", req.slot),
      "  (fs/aio.c's container_of(iocb, struct aio_kiocb, rw) reads an io_kiocb as an aio_kiocb; the\n"
      "   model runs only block requests under io_uring)\n");
  co_return;
}

// ---- teardown

// close(ring_fd): the fd table entry goes; the file's last reference (this
// one, or an io_uring_enter still running) runs io_uring_release.
Task<long> IoUring::sys_io_destroy(kioctx& ctx) {
  KernelFunction fn{"close"};
  sim::cpu_work(costs_.syscall);
  if (!ctx.hashed) co_return -EBADF;
  sim::rcu_assign_pointer(ctx.hashed, false, "fd table");  // __close_fd: rcu_assign_pointer(fdt->fd[fd], NULL)
  co_await put_ioctx(ctx);
  co_return 0;
}

// io_ring_ctx_wait_and_kill() (6431-6460): kill refs under uring_lock,
// drop the backlog (force flush), wait for every request's reference,
// free. Timeouts, polls and io-wq have nothing to cancel here.
Task<void> IoUring::io_ring_ctx_wait_and_kill(kioctx& ctx) {
  KernelFunction fn{"io_ring_ctx_wait_and_kill"};
  IoRing& r = *ring_;
  co_await sim::mutex_lock(r.uring_lock);
  co_await WRITE_ONCE(r.refs_dead, 1);  // percpu_ref_kill(&ctx->refs)
  co_await sim::mutex_unlock(r.uring_lock);
  co_await io_cqring_overflow_flush(ctx, true);
  // wait_for_completion(&ctx->ref_comp): the switch to atomic mode happens
  // one RCU-sched grace period after the kill; then the sum counts.
  co_await sim::synchronize_rcu(rcu_, costs_.synchronize_rcu);
  for (;;) {
    co_await sim::prepare_to_wait(r.ref_comp);
    long sum = 0;
    for (std::size_t c = 0; c < r.pcpu_refs.size(); ++c) sum += co_await READ_ONCE(r.pcpu_refs[c]);
    if (sum == 0) break;
    co_await sim::schedule();
  }
  co_await sim::finish_wait(r.ref_comp);
  ctx.freed = true;  // io_ring_ctx_free()
  ledger_->teardown_complete();
}

}  // namespace

DesignInfo io_uring() {
  const char* const kNotAioKiocb = "invariant: during set-up: kiocb_set_cancel_fn on io_uring request";
  return {
      .name = "io_uring",
      .tag = "Linux 5.5 (fs/io_uring.c, transcribed from v5.6.4)",
      .description = "io_uring CQ: one completion_lock (irqsave) per CQE, no cancel list, user space owns the CQ head; "
                     "a full CQ backlogs on cq_overflow_list",
      .make = [] { return std::make_unique<IoUring>(); },
      .era_lock = sim::LockKind::Queued,
      // Counted from v5.6.4 fs/io_uring.c: io_uring_enter takes uring_lock
      // (a mutex, not counted here) and no spinlock on the submit path
      // (io_submit_sqes only tests sq_check_overflow); io_complete_rw takes
      // completion_lock irqsave once (io_cqring_add_event, 1167-1178) and
      // never ctx_lock; user space reads CQEs without entering the kernel
      // when they are there. No request of io_uring is cancellable through
      // a driver method (aio_kiocbs = false): those paths count nothing.
      .path_locks = {.io_submit = {0, 0},
                     .submitted_iocb = {0, 0},
                     .cancellable_submit = {0, 0},
                     .plain_completion = {0, 1},
                     .cancellable_completion = {0, 0},
                     .io_getevents = {0, 0}},
      // Block requests: IORING_OP_ASYNC_CANCEL finds nothing in io-wq
      // (-ENOENT) and both CQEs go in under completion_lock: clean. Every
      // scenario with a gadgetfs or async-cancel request stops in its
      // set-up, where the driver calls kiocb_set_cancel_fn on an io_kiocb.
      .explore = {{"async-cancel-irq", {kNotAioKiocb}},
                  {"complete-before-put-full-ring", {}},  // no slot accounting at submit: the CQ backlogs what does not fit
                  {"percpu-refill", {}},  // no slot accounting at submit: both io_uring_enter calls succeed
                  {"usb-cancel-under-ctx-lock", {kNotAioKiocb}},  // a gadgetfs request: kiocb_set_cancel_fn in set-up
                  {"block-cancel-irq", {}},
                  {"cancel-complete-destroy-reap", {kNotAioKiocb}},
                  {"io_uring-cancel-vs-complete", {}},
                  {"io_uring-async-cancel-queued", {}},  // queued: -ECANCELED CQE + 0; running: -EALREADY; neither: -ENOENT
                  {"io_uring-cq-overflow", {}},  // the third CQE waits on cq_overflow_list until the reaper makes room
                  {"recycle", {kNotAioKiocb}},
                  {"submit-vs-cancel", {kNotAioKiocb}},
                  {"two-kiocbs", {kNotAioKiocb}},
                  // Nothing to overcommit: no slot accounting at submit; the
                  // CQ (2 x 16 entries here) backlogs what does not fit.
                  {"two-submitters-full-ring", {}},
                  {"usb-cancel-destroy", {kNotAioKiocb}},
                  {"usb-cancel-irq", {kNotAioKiocb}}},
      .aio_kiocbs = false,
  };
}

}  // namespace models
