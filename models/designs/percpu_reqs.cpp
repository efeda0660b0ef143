// SPDX-License-Identifier: GPL-2.0-only
// fs/aio.c of Linux 3.12 (the tarball import of 3.12.0) and Linux 3.17
// (3.17.0): per-CPU ring slots, percpu_ref users, cancel under ctx_lock.
// Line numbers below are of fs/aio.c of the release named.
#include "models/designs/percpu_reqs.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sim/access.hpp"
#include "sim/rcu.hpp"
#include "sim/spinlock.hpp"
#include "sim/violation.hpp"

namespace models {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

namespace {
// PCPU_COUNT_BIAS: ref->count starts at 1 + the bias, so that a put that
// already sees DEAD cannot take it to zero before percpu_ref_kill_rcu has
// added the per-CPU counts and taken the bias off. (The kernel's is 1U << 31;
// any bias above the live references does, and this one fits an int.)
constexpr int kPcpuCountBias = 1 << 30;

[[noreturn]] void bug(const std::string& what) {
  std::string where;
  if (sim::current_context)
    where = fmt::format("  context {} in {}\n", sim::current_context->name(), sim::current_context->call_chain());
  throw sim::Violation(sim::ViolationKind::Invariant, what, where);
}
}  // namespace

PercpuReqsDesign::PercpuRef::PercpuRef(const char* name, int cpus, CacheLine& ref_line, Shared<int>* shared_count)
    : dead(ref_line, "percpu_ref.pcpu_count (DEAD bit)", 0), count(shared_count) {
  for (int c = 0; c < cpus; ++c) {
    lines.push_back(std::make_unique<CacheLine>(fmt::format("{}.pcpu_count[{}]", name, c)));
    pcpu.push_back(std::make_unique<Shared<long>>(*lines.back(), "percpu_ref pcpu_count", 0));
  }
}

PercpuReqsDesign::KioctxCpu::KioctxCpu(int cpu)
    : line(fmt::format("kioctx_cpu[{}]", cpu)), reqs_available(line, "kcpu->reqs_available", 0u) {}

// Every seed hunk is in both releases: kiocbs are listed only by
// kiocb_set_cancel_fn, the ring is written under completion_lock, ki_cancel
// is decided by xchg/cmpxchg, and kiocbs are allocated with __GFP_ZERO.
PercpuReqsDesign::PercpuReqsDesign(std::string name, Release rel)
    : AioDesign(std::move(name), Switches{true, true, true, true}), release_(rel) {}

unsigned PercpuReqsDesign::ioctx_nr_events(unsigned nr_events, int cpus) const {
  // "since up to half the slots might be on other cpu's percpu counters and
  // unavailable, double nr_events so userspace sees what they expected"
  return std::max(nr_events, static_cast<unsigned>(cpus) * 4u) * 2u;
}

// ioctx_alloc() (v3.12 lines 601-611, v3.17 664-681): alloc_percpu(struct
// kioctx_cpu), reqs_available = nr_events - 1 (the page-rounded ring size),
// req_batch = (nr_events - 1) / (num_possible_cpus() * 4), at least 1.
void PercpuReqsDesign::on_attach() {
  const int ncpus = machine_->cpus();
  const unsigned nr_events = ctx_->nr.raw();
  // struct { atomic_t reqs_available; } ____cacheline_aligned_in_smp;
  reqs_available_line_ = std::make_unique<CacheLine>("kioctx.reqs_available");
  reqs_available_ = std::make_unique<Shared<int>>(*reqs_available_line_, "ctx->reqs_available",
                                                  static_cast<int>(nr_events) - 1);
  // 3.17: struct { unsigned tail; unsigned completed_events; spinlock_t
  // completion_lock; } ____cacheline_aligned_in_smp;
  completed_events_ = std::make_unique<Shared<unsigned>>(ctx_->tail.line(), "ctx->completed_events", 0u);
  cpus_.clear();
  for (int c = 0; c < ncpus; ++c) cpus_.push_back(std::make_unique<KioctxCpu>(c));
  std::vector<Shared<unsigned>*> pools;
  for (auto& c : cpus_) pools.push_back(&c->reqs_available);
  slots_.attach(*reqs_available_, std::move(pools), v317() ? completed_events_.get() : nullptr, nr_events,
                v317() ? ReqsAvailable::Guard::LocalIrqSave : ReqsAvailable::Guard::PreemptDisable);
  // struct percpu_ref users: the first member of struct kioctx; its atomic
  // count is the model's ctx->users, 1 (io_setup dropped ioctx_alloc's get).
  users_ = std::make_unique<PercpuRef>("users", ncpus, ctx_->users.line(), &ctx_->users);
  ctx_->users.raw() = 1 + kPcpuCountBias;
  if (v317()) {
    // struct percpu_ref reqs: its initial reference and ioctx_alloc's
    // percpu_ref_get ("free_ioctx_users() will drop this"): 2.
    reqs_ = std::make_unique<PercpuRef>("reqs", ncpus, ctx_->users.line(), nullptr);
    reqs_->own_count = std::make_unique<Shared<int>>(ctx_->users.line(), "reqs.count", 2 + kPcpuCountBias);
    reqs_->count = reqs_->own_count.get();
    requests_done_line_ = std::make_unique<CacheLine>("io_destroy.requests_done");
    requests_done_wait_ =
        std::make_unique<sim::WaitQueue>("requests_done.wait", *requests_done_line_, ctx_->ctx_lock.kind(), *machine_);
    requests_done_ = std::make_unique<Shared<int>>(*requests_done_line_, "requests_done.done", 0);
  }
  // Model bookkeeping: requests admitted and not yet in the ring, for the
  // explorer's ring-overcommit check (these releases have no reqs_active).
  ctx_->reqs_active.raw() = 0;
}

std::string PercpuReqsDesign::check_at_end() const {
  const long nr_events = ctx_->nr.raw();
  long pools = 0;
  for (const auto& c : cpus_) pools += c->reqs_available.raw();
  const long in_flight = ctx_->reqs_active.raw();
  const long head = ctx_->ring_head.raw() % nr_events, tail = ctx_->ring_tail.raw() % nr_events;
  const long in_ring = (tail - head + nr_events) % nr_events;
  const long held = v317() ? static_cast<long>(completed_events_->raw()) : in_ring;
  const long global = reqs_available_->raw();
  if (global + pools + in_flight + held == nr_events - 1) return {};
  return fmt::format("ring slots do not add up: reqs_available {} + per-CPU {} + in flight {} + {} {} = {}, not "
                     "nr_events - 1 = {}",
                     global, pools, in_flight, v317() ? "completed_events" : "unreaped events", held,
                     global + pools + in_flight + held, nr_events - 1);
}

// percpu_ref_get() (include/linux/percpu-refcount.h of the 3.11-3.17 era):
// inside rcu_read_lock_sched(), read ref->pcpu_count; while it is not DEAD,
// __this_cpu_inc() the CPU's own count (no shared line written), else
// atomic_inc(&ref->count).
Task<void> PercpuReqsDesign::percpu_ref_get(PercpuRef& ref) {
  sim::rcu_read_lock(rcu_);
  const int dead = co_await READ_ONCE(ref.dead);
  Shared<long>& mine = *ref.pcpu.at(static_cast<std::size_t>(sim::current_context->cpu().id()));
  if (!dead) co_await sim::atomic_inc(mine);
  if (dead) co_await sim::atomic_inc(*ref.count);
  sim::rcu_read_unlock(rcu_);
}

// percpu_ref_put(): the same, with __this_cpu_dec() or
// atomic_dec_and_test(&ref->count), whose zero calls ref->release.
Task<bool> PercpuReqsDesign::percpu_ref_put(PercpuRef& ref) {
  bool zero = false;
  sim::rcu_read_lock(rcu_);
  const int dead = co_await READ_ONCE(ref.dead);
  Shared<long>& mine = *ref.pcpu.at(static_cast<std::size_t>(sim::current_context->cpu().id()));
  if (!dead) co_await sim::atomic_dec(mine);
  if (dead) zero = co_await sim::atomic_dec_and_test(*ref.count);
  sim::rcu_read_unlock(rcu_);
  co_return zero;
}

// percpu_ref_kill(): set PCPU_REF_DEAD, call_rcu_sched(percpu_ref_kill_rcu),
// which, once every get/put that may still use the per-CPU counts is over,
// sums them into ref->count, takes the bias off, and drops the initial reference
// (percpu_ref_put). The model waits for the grace period in the caller, as
// the base's kill_ioctx does for its synchronize_rcu.
Task<bool> PercpuReqsDesign::percpu_ref_kill(PercpuRef& ref) {
  co_await WRITE_ONCE(ref.dead, 1);
  co_await sim::synchronize_rcu(rcu_, costs_.synchronize_rcu);
  long sum = 0;
  for (auto& c : ref.pcpu) sum += co_await READ_ONCE(*c);
  co_await sim::atomic_add(static_cast<int>(sum) - kPcpuCountBias, *ref.count);
  co_return co_await sim::atomic_dec_and_test(*ref.count);
}

// kmem_cache_alloc(kiocb_cachep, GFP_KERNEL|__GFP_ZERO): every field 0 (no
// ki_users any more: from 3.12 a kiocb has no reference count).
Task<kiocb*> PercpuReqsDesign::kmem_cache_alloc_zeroed(kioctx&) {
  kiocb& req = slab_->alloc();
  co_await WRITE_ONCE(req.ki_list_next, ListNext::Null);
  co_await WRITE_ONCE(req.ki_obj_user, std::uint64_t{0});
  req.ki_list_link.raw() = 0;
  req.ki_user_data = 0;
  req.ki_flags.raw() = 0;
  req.ki_cancel.raw() = nullptr;
  req.ki_users.raw() = 0;
  req.ki_private.raw() = nullptr;
  req.ki_filp = nullptr;
  req.ki_eventfd = nullptr;
  req.ki_ctx = nullptr;
  co_return &req;
}

// aio_get_req() (v3.12 lines 802-818, v3.17 932-953).
Task<kiocb*> PercpuReqsDesign::aio_get_req(kioctx& ctx, kiocb_batch&) {
  KernelFunction fn{"aio_get_req"};
  if (!co_await slots_.get_reqs_available()) {
    if (!v317()) co_return nullptr;
    co_await slots_.user_refill_reqs_available(ctx);
    if (!co_await slots_.get_reqs_available()) co_return nullptr;
  }
  kiocb* req = co_await kmem_cache_alloc_zeroed(ctx);
  if (v317()) co_await percpu_ref_get(*reqs_);
  req->ki_ctx = &ctx;
  ++ctx.reqs_active.raw();  // model bookkeeping: in flight
  co_return req;
}

// No aio_put_req from 3.12 on: aio_complete frees the kiocb and
// kiocb_cancel takes no reference. The seed-era drivers of the model drop
// "kiocb_cancel's reference" with it at the end of their cancel method; the
// 3.12 drivers do not (ep_aio_cancel, drivers/usb/gadget/inode.c of 3.12,
// lines 527-544): nothing to do.
Task<void> PercpuReqsDesign::aio_put_req(kiocb&) { co_return; }

// io_submit_one() (v3.12 lines 1306-1375, v3.17 1470-1540) with the tail of
// aio_run_iocb (aio_complete unless the driver queued the request).
Task<long> PercpuReqsDesign::io_submit_one(kioctx& ctx, const UserIocb& iocb, kiocb_batch& batch) {
  KernelFunction fn{"io_submit_one"};
  kiocb* req = co_await aio_get_req(ctx, batch);
  if (!req) co_return -EAGAIN;

  co_await sim::atomic_inc(iocb.filp->f_count);  // fget()
  req->ki_filp = iocb.filp;
  if (iocb.resfd) {  // IOCB_FLAG_RESFD: eventfd_ctx_fdget(aio_resfd)
    co_await eventfd_ctx_get(*iocb.resfd);
    req->ki_eventfd = iocb.resfd;
  }
  sim::cpu_work(costs_.copy_iocb);                 // put_user(KIOCB_KEY, &user_iocb->aio_key)
  co_await WRITE_ONCE(req->ki_obj_user, iocb.id);  // ki_obj.user, ki_user_data, ki_pos, ki_nbytes
  req->ki_user_data = iocb.id;

  if (iocb.bad_buffer) {
    // aio_run_iocb: access_ok() fails -> -EFAULT -> out_put_req.
    co_await slots_.put_reqs_available(1);
    --ctx.reqs_active.raw();
    bool last = false;
    if (v317()) last = co_await percpu_ref_put(*reqs_);
    co_await kiocb_free(*req);
    if (last) co_await free_ioctx_reqs(ctx);
    co_return -EFAULT;
  }
  long ret = co_await iocb.filp->aio_write(*req);
  if (ret != -EIOCBQUEUED) co_await aio_complete(*req, ret, 0);
  co_return 0;
}

// do_io_submit() (v3.12 lines 1377-1428): no kiocb batch any more.
Task<long> PercpuReqsDesign::do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) {
  KernelFunction fn{"io_submit"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  kiocb_batch unused;
  long i = 0, ret = 0;
  for (; i < static_cast<long>(iocbs.size()); ++i) {
    sim::cpu_work(costs_.copy_iocb);  // copy_from_user(&tmp, user_iocb)
    ret = co_await io_submit_one(ctx, iocbs[i], unused);
    if (ret) break;
  }
  co_await put_ioctx(ctx);  // percpu_ref_put(&ctx->users)
  co_return i ? i : ret;
}

// lookup_ioctx() (v3.12 lines 829-854): mm->ioctx_table under
// rcu_read_lock(), then percpu_ref_get(&ctx->users).
Task<bool> PercpuReqsDesign::lookup_ioctx(kioctx& ctx) {
  KernelFunction fn{"lookup_ioctx"};
  sim::rcu_read_lock(rcu_);
  const bool found = sim::rcu_dereference(ctx.hashed, "ioctx_table");
  if (found) co_await percpu_ref_get(*users_);
  sim::rcu_read_unlock(rcu_);
  co_return found;
}

// percpu_ref_put(&ctx->users); its release is free_ioctx_ref (v3.12: the
// free_ioctx work) or free_ioctx_users (v3.17). The model runs the work in
// the context that dropped the last reference.
Task<void> PercpuReqsDesign::put_ioctx(kioctx& ctx) {
  KernelFunction fn{"percpu_ref_put"};
  if (!co_await percpu_ref_put(*users_)) co_return;
  if (v317()) co_await free_ioctx_users(ctx);
  else co_await free_ioctx(ctx);
}

// aio_complete() (v3.12 lines 859-963, v3.17 994-1096). No cancelled test
// at all: a cancelled request's completion writes its event like any other.
Task<void> PercpuReqsDesign::aio_complete(kiocb& iocb, long res, long res2) {
  KernelFunction fn{"aio_complete"};
  if (!iocb.allocated) bug(fmt::format("use after free: aio_complete on freed kiocb slot {}", iocb.slot));
  kioctx& ctx = *iocb.ki_ctx;
  const std::uint64_t id = iocb.ki_user_data;

  // v3.12: rcu_read_lock() "in case the kioctx is being destroyed"; v3.17
  // holds a ctx->reqs reference instead.
  if (!v317()) sim::rcu_read_lock(rcu_);

  if (co_await READ_ONCE(iocb.ki_list_next) != ListNext::Null) {
    auto f = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
    co_await list_del(iocb, ctx, false);
    co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, f);
  }

  auto flags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
  unsigned tail = co_await READ_ONCE(ctx.tail);
  const unsigned nr_events = co_await READ_ONCE(ctx.nr);
  const unsigned pos = tail + AIO_EVENTS_OFFSET;
  if (++tail >= nr_events) tail = 0;
  co_await READ_ONCE(ctx.ring_pages);  // kmap_atomic(ctx->ring_pages[pos / AIO_EVENTS_PER_PAGE])
  const unsigned slot = pos - AIO_EVENTS_OFFSET;
  co_await WRITE_ONCE(ctx.slots[slot], io_event{id, co_await READ_ONCE(iocb.ki_obj_user), res, res2});
  if (const std::uint64_t old = std::exchange(ctx.unread[slot], id)) ledger_->ring_event_overwritten(old);
  // smp_wmb(); ctx->tail = tail;
  co_await WRITE_ONCE(ctx.tail, tail);
  ledger_->ring_event(id, "aio_complete (event under completion_lock)");
  if (tail == ctx.ring_head.raw()) ledger_->ring_overflow(id, nr_events);
  --ctx.reqs_active.raw();  // model bookkeeping: its slot is now an event's
  co_await READ_ONCE(ctx.ring_pages);  // ring = kmap_atomic(ctx->ring_pages[0])
  unsigned head = 0;
  if (v317()) head = co_await READ_ONCE(ctx.ring_head);  // head = ring->head
  co_await WRITE_ONCE(ctx.ring_tail, tail);
  if (v317()) {
    // ctx->completed_events++; if (ctx->completed_events > 1)
    //         refill_reqs_available(ctx, head, tail);
    const unsigned completed = co_await READ_ONCE(*completed_events_) + 1;
    co_await WRITE_ONCE(*completed_events_, completed);
    if (completed > 1) co_await slots_.refill_reqs_available(ctx, head, tail);
  }
  co_await sim::spin_unlock_irqrestore(ctx.completion_lock, flags);

  if (iocb.ki_eventfd) co_await eventfd_signal(*iocb.ki_eventfd, 1);
  // "everything turned out well, dispose of the aiocb."
  co_await kiocb_free(iocb);
  // smp_mb(); then the unlocked test of the wait list.
  if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);

  if (!v317()) sim::rcu_read_unlock(rcu_);
  bool last = false;
  if (v317()) last = co_await percpu_ref_put(*reqs_);  // percpu_ref_put(&ctx->reqs)
  if (last) co_await free_ioctx_reqs(ctx);
}

// kiocb_cancel() (v3.12 lines 394-413, v3.17 480-499): called with ctx_lock
// held (spin_lock_irq) and, unlike 3.10, calls the driver's method without
// dropping it.
Task<int> PercpuReqsDesign::kiocb_cancel(kioctx& ctx, kiocb& k, io_event& res) {
  KernelFunction fn{"kiocb_cancel"};
  sim::assert_spin_locked(ctx.ctx_lock);
  // Don't want to set kiocb->ki_cancel = KIOCB_CANCELLED unless it actually
  // has a cancel function, hence the cmpxchg().
  kiocb_cancel_fn cancel = co_await READ_ONCE(k.ki_cancel);
  for (;;) {
    if (!cancel || cancel == KIOCB_CANCELLED) co_return -EINVAL;
    const kiocb_cancel_fn old = cancel;
    cancel = co_await sim::cmpxchg(k.ki_cancel, old, KIOCB_CANCELLED);
    if (cancel == old) break;
  }
  co_return co_await cancel(k, res);  // return cancel(kiocb);
}

// sys_io_cancel() (v3.12 lines 1480-1518, v3.17 1645-1683): "The result
// argument is no longer used - the io_event is always delivered via the
// ring buffer. -EINPROGRESS indicates cancellation is progress".
Task<long> PercpuReqsDesign::sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event&) {
  KernelFunction fn{"io_cancel"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  ledger_->cancel_started(iocb);
  co_await sim::spin_lock_irq(ctx.ctx_lock);
  kiocb* k = co_await lookup_kiocb(ctx, iocb);
  io_event unused;
  long ret = k ? co_await kiocb_cancel(ctx, *k, unused) : -EINVAL;
  co_await sim::spin_unlock_irq(ctx.ctx_lock);
  if (!ret) ret = -EINPROGRESS;
  ledger_->cancel_returned(iocb, ret);
  co_await put_ioctx(ctx);
  co_return ret;
}

// aio_read_events_ring() (v3.12 lines 970-1034, v3.17 1103-1175): head and
// tail both from the ring page; 3.12 gives the reaped slots back here.
Task<long> PercpuReqsDesign::aio_read_events_ring(kioctx& ctx, io_event* event, long nr) {
  KernelFunction fn{"aio_read_events_ring"};
  co_await sim::mutex_lock(ctx.ring_lock);
  unsigned head = co_await READ_ONCE(ctx.ring_head);
  unsigned tail = co_await READ_ONCE(ctx.ring_tail);
  long ret = 0;
  if (head != tail) {
    const unsigned nr_events = co_await READ_ONCE(ctx.nr);
    if (v317()) {  // smp_rmb(); head %= ctx->nr_events; tail %= ctx->nr_events;
      head %= nr_events;
      tail %= nr_events;
    }
    while (ret < nr) {
      if (head == tail) break;
      const long avail = co_await copy_ring_run(ctx, head, tail, nr_events, event + ret, nr - ret);
      ret += avail;
      head = static_cast<unsigned>((head + avail) % nr_events);
    }
    co_await WRITE_ONCE(ctx.ring_head, head);
    if (!v317()) co_await slots_.put_reqs_available(static_cast<unsigned>(ret));  // v3.12 line 1029
  }
  co_await sim::mutex_unlock(ctx.ring_lock);
  co_return ret;
}

// kill_ioctx() (v3.12 lines 654-688, v3.17 727-760): clear the table slot
// (under mm->ioctx_lock, which nothing else in the model takes), wake the
// waiters, percpu_ref_kill(&ctx->users). aio_nr accounting and vm_munmap are
// left out: they touch no kioctx line.
Task<void> PercpuReqsDesign::kill_ioctx(kioctx& ctx) { co_await kill_ioctx_ret(ctx); }

Task<int> PercpuReqsDesign::kill_ioctx_ret(kioctx& ctx) {
  KernelFunction fn{"kill_ioctx"};
  if (co_await sim::xchg(ctx.dead, 1)) co_return -EINVAL;  // v3.12: nothing to do
  sim::rcu_assign_pointer(ctx.hashed, false, "ioctx_table");  // table->table[ctx->id] = NULL
  co_await sim::wake_up(ctx.wait);                            // wake_up_all(&ctx->wait)
  if (co_await percpu_ref_kill(*users_)) {
    if (v317()) co_await free_ioctx_users(ctx);
    else co_await free_ioctx(ctx);
  }
  co_return 0;
}

// v3.12: free_ioctx() (lines 428-488), the work free_ioctx_ref schedules
// when the last user reference goes: cancel what is listed (methods called
// under ctx_lock), fold every CPU's slots into the global count, then reap
// by itself (ring->head = ring->tail) until every slot is back.
// v3.17: free_ioctx() (lines 501-512) only frees: the waiting moved to
// io_destroy (requests_done).
Task<void> PercpuReqsDesign::free_ioctx(kioctx& ctx) {
  KernelFunction fn{"free_ioctx"};
  if (!v317()) {
    co_await sim::spin_lock_irq(ctx.ctx_lock);
    while (co_await READ_ONCE(ctx.active_reqs_head) != 0 && !ctx.active_reqs.empty()) {
      kiocb& req = ctx.active_reqs.front();
      co_await list_del(req, ctx, true);
      ledger_->teardown_cancel(req.ki_user_data);
      io_event unused;
      co_await kiocb_cancel(ctx, req, unused);
    }
    co_await sim::spin_unlock_irq(ctx.ctx_lock);

    for (auto& kcpu : cpus_) {
      const unsigned v = co_await READ_ONCE(kcpu->reqs_available);
      co_await sim::atomic_add(static_cast<int>(v), *reqs_available_);
      co_await WRITE_ONCE(kcpu->reqs_available, 0u);
    }
    const unsigned nr_events = co_await READ_ONCE(ctx.nr);
    for (;;) {
      co_await sim::prepare_to_wait(ctx.wait);  // TASK_UNINTERRUPTIBLE
      const unsigned head = co_await READ_ONCE(ctx.ring_head);
      const unsigned tail = co_await READ_ONCE(ctx.ring_tail);
      const unsigned avail = head <= tail ? tail - head : nr_events - head + tail;
      co_await sim::atomic_add(static_cast<int>(avail), *reqs_available_);
      for (unsigned h = head; h != tail; h = (h + 1) % nr_events) ctx.unread[h] = 0;
      co_await WRITE_ONCE(ctx.ring_head, tail);  // ring->head = ring->tail
      if (co_await READ_ONCE(*reqs_available_) >= static_cast<int>(nr_events) - 1) break;
      co_await sim::schedule();
    }
    co_await sim::finish_wait(ctx.wait);
    if (reqs_available_->raw() > static_cast<int>(nr_events) - 1)
      bug(fmt::format("WARN_ON in free_ioctx: reqs_available {} > nr_events - 1 = {}", reqs_available_->raw(),
                      nr_events - 1));
  }
  // aio_free_ring(ctx); call_rcu(free_ioctx_rcu) (3.12) / kmem_cache_free (3.17)
  ctx.freed = true;
  ledger_->teardown_complete();
}

// free_ioctx_users() (v3.17 lines 531-550), the release of ctx->users.
Task<void> PercpuReqsDesign::free_ioctx_users(kioctx& ctx) {
  KernelFunction fn{"free_ioctx_users"};
  co_await sim::spin_lock_irq(ctx.ctx_lock);
  while (co_await READ_ONCE(ctx.active_reqs_head) != 0 && !ctx.active_reqs.empty()) {
    kiocb& req = ctx.active_reqs.front();
    co_await list_del(req, ctx, true);
    ledger_->teardown_cancel(req.ki_user_data);
    io_event unused;
    co_await kiocb_cancel(ctx, req, unused);
  }
  co_await sim::spin_unlock_irq(ctx.ctx_lock);
  bool zero = co_await percpu_ref_kill(*reqs_);
  if (!zero) zero = co_await percpu_ref_put(*reqs_);
  if (zero) co_await free_ioctx_reqs(ctx);
}

// free_ioctx_reqs() (v3.17 lines 514-524), the release of ctx->reqs: every
// request has completed. complete(ctx->requests_done), then the free_ioctx work.
Task<void> PercpuReqsDesign::free_ioctx_reqs(kioctx& ctx) {
  KernelFunction fn{"free_ioctx_reqs"};
  co_await WRITE_ONCE(*requests_done_, 1);
  co_await sim::wake_up(*requests_done_wait_);
  co_await free_ioctx(ctx);
}

// sys_io_destroy() (v3.12 lines 1141-1151, v3.17 1282-1308): from 3.17 it
// waits until every in-flight request has completed.
Task<long> PercpuReqsDesign::sys_io_destroy(kioctx& ctx) {
  KernelFunction fn{"io_destroy"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  const int ret = co_await kill_ioctx_ret(ctx);
  co_await put_ioctx(ctx);
  if (!v317()) co_return 0;
  if (ret) co_return ret;
  // wait_for_completion(&requests_done)
  const int done = co_await READ_ONCE(*requests_done_);
  if (!done) {
    for (;;) {
      co_await sim::prepare_to_wait(*requests_done_wait_);
      const int now_done = co_await READ_ONCE(*requests_done_);
      if (now_done) break;
      co_await sim::schedule();
    }
    co_await sim::finish_wait(*requests_done_wait_);
  }
  co_return 0;
}

}  // namespace models
