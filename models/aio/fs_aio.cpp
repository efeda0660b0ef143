// SPDX-License-Identifier: GPL-2.0-only
// fs/aio.c of the seed's parent (mm tree, April 2013) with the seed's hunks
// behind Switches. Every function names its kernel original; the step lists
// follow the transcription in the project notes (docs/kernel-sources.md).
#include <algorithm>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "models/aio/aio.hpp"
#include "sim/violation.hpp"

namespace models {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;

namespace {
[[noreturn]] void bug(const std::string& what, const std::string& details = {}) {
  std::string where;
  if (sim::current_context)
    where = fmt::format("  context {} in {}\n", sim::current_context->name(), sim::current_context->call_chain());
  throw sim::Violation(sim::ViolationKind::Invariant, what, where + details);
}
}  // namespace

void AioDesign::attach(sim::Machine& m, kioctx& ctx, KiocbSlab& slab, Ledger& ledger, const KernelCosts& costs) {
  machine_ = &m;
  ctx_ = &ctx;
  slab_ = &slab;
  ledger_ = &ledger;
  costs_ = costs;
  rcu_.reserve(2 * static_cast<std::size_t>(m.cpus()));  // each CPU's task and IRQ context
  on_attach();
}

// list_add(&req->ki_list, &ctx->active_reqs): the new entry, the head and
// the old first entry's prev pointer are written.
Task<void> AioDesign::list_add(kiocb& req, kioctx& ctx) {
  if (!ctx.active_reqs.empty()) co_await WRITE_ONCE(ctx.active_reqs.front().ki_list_link, 1);
  co_await WRITE_ONCE(req.ki_list_next, ListNext::Linked);
  co_await WRITE_ONCE(ctx.active_reqs_head, static_cast<int>(ctx.active_reqs.size() + 1));
  ctx.active_reqs.push_front(req);
}

// list_del() / list_del_init() with CONFIG_DEBUG_LIST's checks.
Task<void> AioDesign::list_del(kiocb& req, kioctx& ctx, bool init) {
  ListNext next = co_await READ_ONCE(req.ki_list_next);
  if (next == ListNext::Poison)
    bug(fmt::format("list_del corruption: kiocb slot {} has ki_list.next == LIST_POISON1", req.slot),
        "  (a kiocb recycled without __GFP_ZERO still carries its previous life's poisoned list pointer)\n");
  if (next == ListNext::Null)
    bug(fmt::format("BUG: NULL pointer dereference in list_del: kiocb slot {} ki_list.next == NULL", req.slot));
  if (next == ListNext::Self) {  // self-linked by list_del_init: a harmless no-op
    if (!init) co_await WRITE_ONCE(req.ki_list_next, ListNext::Poison);
    co_return;
  }
  auto it = ctx.active_reqs.iterator_to(req);
  auto after = std::next(it);
  if (it == ctx.active_reqs.begin()) co_await WRITE_ONCE(ctx.active_reqs_head, static_cast<int>(ctx.active_reqs.size() - 1));
  else co_await WRITE_ONCE(std::prev(it)->ki_list_link, 0);
  if (after != ctx.active_reqs.end()) co_await WRITE_ONCE(after->ki_list_link, 0);
  ctx.active_reqs.erase(ctx.active_reqs.iterator_to(req));
  co_await WRITE_ONCE(req.ki_list_next, init ? ListNext::Self : ListNext::Poison);
}

// lookup_ioctx() (fs/aio.c of the seed's parent, -mm April 2013; the same in v3.10): walk mm->ioctx_list with
// hlist_for_each_entry_rcu inside rcu_read_lock() / rcu_read_unlock(), and
// take a reference on the context found (atomic_inc(&ctx->users)) before
// leaving the read-side section. The model's list holds the one context:
// ctx->hashed says whether it is still on it.
Task<bool> AioDesign::lookup_ioctx(kioctx& ctx) {
  KernelFunction fn{"lookup_ioctx"};
  sim::rcu_read_lock(rcu_);
  bool found = sim::rcu_dereference(ctx.hashed, "ioctx_list");
  if (found) co_await sim::atomic_inc(ctx.users);
  sim::rcu_read_unlock(rcu_);
  co_return found;
}

// put_ioctx(): the last reference runs free_ioctx() right here.
Task<void> AioDesign::put_ioctx(kioctx& ctx) {
  KernelFunction fn{"put_ioctx"};
  if (co_await sim::atomic_dec_and_test(ctx.users)) co_await free_ioctx(ctx);
}

// __aio_get_req(): kmem_cache_alloc, then the fields the kernel sets.
Task<kiocb*> AioDesign::__aio_get_req(kioctx& ctx) {
  KernelFunction fn{"__aio_get_req"};
  kiocb& req = slab_->alloc();
  if (switches().zero_alloc) {
    // kmem_cache_alloc(kiocb_cachep, GFP_KERNEL|__GFP_ZERO) (the seed): the
    // whole object, both lines, is cleared -- every field reads 0 until
    // io_submit_one writes it (ki_obj.user, ki_user_data, ki_key, ...).
    co_await WRITE_ONCE(req.ki_list_next, ListNext::Null);
    co_await WRITE_ONCE(req.ki_obj_user, std::uint64_t{0});  // what lookup_kiocb compares
    req.ki_list_link.raw() = 0;
    req.ki_user_data = 0;
    req.ki_flags.raw() = 0;
    req.ki_cancel.raw() = nullptr;
    req.ki_users.raw() = 0;
    req.ki_private.raw() = nullptr;
    req.ki_filp = nullptr;
    req.ki_ctx = nullptr;
  } else {
    // mm-parent: req->ki_flags = 0 ... ki_eventfd = NULL; ki_list is left as is.
    co_await WRITE_ONCE(req.ki_flags, 0ul);
    req.ki_private.raw() = nullptr;
  }
  co_await WRITE_ONCE(req.ki_cancel, nullptr);
  co_await WRITE_ONCE(req.ki_users, 2);  // atomic_set: submit ref + I/O ref
  req.ki_ctx = &ctx;
  req.ki_filp = nullptr;
  co_return &req;
}

// kiocb_batch_refill(): allocate up to 32, then account them under ctx_lock.
Task<long> AioDesign::kiocb_batch_refill(kioctx& ctx, kiocb_batch& batch) {
  KernelFunction fn{"kiocb_batch_refill"};
  long to_alloc = std::min(batch.count, KIOCB_BATCH_SIZE);
  long allocated;
  for (allocated = 0; allocated < to_alloc; ++allocated) {
    kiocb* req = co_await __aio_get_req(ctx);
    batch.head.push_front(*req);
  }
  if (allocated == 0) co_return 0;

  co_await sim::spin_lock_irq(ctx.ctx_lock);
  // ring = kmap_atomic(ctx->ring_info.ring_pages[0]);
  // avail = aio_ring_avail(&ctx->ring_info, ring) - atomic_read(&ctx->reqs_active);
  // aio_ring_avail() returns unsigned, so the int reqs_active converts to
  // unsigned and the difference is computed modulo 2^32 before it reaches
  // the long.
  unsigned head = co_await READ_ONCE(ctx.ring_head);
  unsigned tail = co_await READ_ONCE(ctx.ring_tail);
  unsigned nr = co_await READ_ONCE(ctx.nr);
  const int active = static_cast<int>(co_await READ_ONCE(ctx.reqs_active));
  const unsigned ring_avail = (head + nr - 1 - tail) % nr;
  const unsigned difference = ring_avail - static_cast<unsigned>(active);
  // LP64: the unsigned int zero-extends into the 64-bit long, never
  // negative: a wrapped difference (about 4e9) skips the trim below and
  // admits every kiocb allocated. i386: long is 32 bits, the conversion
  // gives a negative value and the BUG_ON fires.
  const long avail = word_bits_ == 64 ? static_cast<long>(difference)
                                      : static_cast<long>(static_cast<std::int32_t>(difference));
  if (avail < 0)
    bug(fmt::format("kernel BUG in kiocb_batch_refill: BUG_ON(avail < 0), avail {} (32-bit long; ring head {}, tail {}, "
                    "aio_ring_avail {}, reqs_active {})",
                    avail, head, tail, ring_avail, active),
        "  (reqs_active exceeds the free ring slots; the kernel oopses here holding ctx_lock with IRQs off)\n");
  if (avail < allocated) {
    // Trim back the number of requests.
    while (!batch.head.empty()) {
      kiocb& req = batch.head.front();
      batch.head.pop_front();
      slab_->free(req);
      if (--allocated <= avail) break;
    }
  }
  batch.count -= allocated;
  if (switches().lazy_list) {
    co_await sim::atomic_add(allocated, ctx.reqs_active);
  } else {
    for (kiocb& req : batch.head) {
      co_await list_add(req, ctx);
      co_await sim::atomic_inc(ctx.reqs_active);
    }
  }
  co_await sim::spin_unlock_irq(ctx.ctx_lock);
  co_return allocated;
}

// kiocb_batch_free(): give back what io_submit did not use.
Task<void> AioDesign::kiocb_batch_free(kioctx& ctx, kiocb_batch& batch) {
  KernelFunction fn{"kiocb_batch_free"};
  if (batch.head.empty()) co_return;
  co_await sim::spin_lock_irq(ctx.ctx_lock);
  while (!batch.head.empty()) {
    kiocb& req = batch.head.front();
    batch.head.pop_front();
    if (!switches().lazy_list) co_await list_del(req, ctx, false);
    slab_->free(req);
    co_await sim::atomic_dec(ctx.reqs_active);
  }
  co_await sim::spin_unlock_irq(ctx.ctx_lock);
}

// aio_get_req(): take one from the batch, refilling it when empty.
Task<kiocb*> AioDesign::aio_get_req(kioctx& ctx, kiocb_batch& batch) {
  if (batch.head.empty())
    if (co_await kiocb_batch_refill(ctx, batch) == 0) co_return nullptr;
  kiocb& req = batch.head.front();
  batch.head.pop_front();
  co_return &req;
}

// kiocb_free(): fput(ki_filp), eventfd_ctx_put(ki_eventfd), then kmem_cache_free.
Task<void> AioDesign::kiocb_free(kiocb& req) {
  KernelFunction fn{"kiocb_free"};
  if (req.ki_filp) co_await sim::atomic_dec(req.ki_filp->f_count);  // fput
  if (req.ki_eventfd) co_await eventfd_ctx_put(*req.ki_eventfd);
  slab_->free(req);
}

// aio_put_req(): atomic_dec_and_test(&req->ki_users) -> kiocb_free().
Task<void> AioDesign::aio_put_req(kiocb& req) {
  KernelFunction fn{"aio_put_req"};
  if (!req.allocated) bug(fmt::format("use after free: aio_put_req on freed kiocb slot {}", req.slot));
  int old = co_await sim::atomic_add_old(req.ki_users, -1);
  if (old <= 0) bug(fmt::format("kiocb slot {}: ki_users dropped below zero ({} -> {})", req.slot, old, old - 1));
  if (old == 1) co_await kiocb_free(req);
}

// io_submit_one().
Task<long> AioDesign::io_submit_one(kioctx& ctx, const UserIocb& iocb, kiocb_batch& batch) {
  KernelFunction fn{"io_submit_one"};
  kiocb* req = co_await aio_get_req(ctx, batch);  // returns with 2 references to req
  if (!req) co_return -EAGAIN;

  co_await sim::atomic_inc(iocb.filp->f_count);  // fget()
  req->ki_filp = iocb.filp;
  // NULL from __aio_get_req (mm-parent) or __GFP_ZERO (the seed) unless set here.
  req->ki_eventfd = nullptr;
  if (iocb.resfd) {  // aio_flags & IOCB_FLAG_RESFD: eventfd_ctx_fdget(aio_resfd)
    co_await eventfd_ctx_get(*iocb.resfd);
    req->ki_eventfd = iocb.resfd;
  }
  sim::cpu_work(costs_.copy_iocb);                 // put_user(ki_key), aio_setup_iocb
  co_await WRITE_ONCE(req->ki_obj_user, iocb.id);  // ki_obj.user, ki_user_data, ki_pos, ...
  req->ki_user_data = iocb.id;

  long ret;
  if (iocb.bad_buffer) {
    // aio_setup_iocb: access_ok() on aio_buf fails -> -EFAULT -> out_put_req.
    ret = -EFAULT;
    if (!switches().lazy_list) {  // the seed dropped this list_del: the kiocb is not listed yet
      co_await sim::spin_lock_irq(ctx.ctx_lock);
      co_await list_del(*req, ctx, false);
      co_await sim::spin_unlock_irq(ctx.ctx_lock);
    }
    co_await sim::atomic_dec(ctx.reqs_active);
    co_await aio_put_req(*req);  // drop extra ref to req
    co_await aio_put_req(*req);  // drop i/o ref to req
    co_return ret;
  }
  if (!switches().cancel_xchg && co_await sim::test_bit(KIF_CANCELLED, req->ki_flags))
    ret = -EINTR;  // mm-parent: cancelled (by io_destroy) before it started
  else
    ret = co_await iocb.filp->aio_write(*req);  // req->ki_retry(req)
  if (ret != -EIOCBQUEUED) co_await aio_complete(*req, ret, 0);

  co_await aio_put_req(*req);  // drop extra ref to req
  co_return 0;
}

// do_io_submit().
Task<long> AioDesign::do_io_submit(kioctx& ctx, std::span<const UserIocb> iocbs) {
  KernelFunction fn{"io_submit"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  kiocb_batch batch;
  batch.count = static_cast<long>(iocbs.size());
  long i = 0, ret = 0;
  for (; i < static_cast<long>(iocbs.size()); ++i) {
    sim::cpu_work(costs_.copy_iocb);  // copy_from_user(&tmp, user_iocb)
    ret = co_await io_submit_one(ctx, iocbs[i], batch);
    if (ret) break;
  }
  co_await kiocb_batch_free(ctx, batch);
  co_await put_ioctx(ctx);
  co_return i ? i : ret;
}

// aio_complete(). The mm-parent shape (ctx_lock irqsave across everything) when
// completion_lock is off; the seed's shape when it is on.
Task<void> AioDesign::aio_complete(kiocb& iocb, long res, long res2) {
  KernelFunction fn{"aio_complete"};
  if (!iocb.allocated) bug(fmt::format("use after free: aio_complete on freed kiocb slot {}", iocb.slot));
  kioctx& ctx = *iocb.ki_ctx;
  const std::uint64_t id = iocb.ki_user_data;
  const bool big_lock = !switches().completion_lock;
  unsigned long flags = 0;

  // rcu_read_lock();
  if (big_lock) flags = co_await sim::spin_lock_irqsave(ctx.ctx_lock);

  // Remove it from active_reqs: always (mm-parent), or only if it is there (seed).
  bool listed = true;
  if (switches().lazy_list) listed = co_await READ_ONCE(iocb.ki_list_next) != ListNext::Null;
  if (listed) {
    if (big_lock) {
      co_await list_del(iocb, ctx, false);
    } else {
      auto f = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
      co_await list_del(iocb, ctx, false);
      co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, f);
    }
  }

  // Cancelled requests don't get events: userland was given one when the
  // event got cancelled.
  bool cancelled;
  if (switches().cancel_xchg) cancelled = co_await sim::xchg(iocb.ki_cancel, KIOCB_CANCELLED) == KIOCB_CANCELLED;
  else cancelled = co_await sim::test_bit(KIF_CANCELLED, iocb.ki_flags);

  if (cancelled) {
    ledger_->event_suppressed(id, "aio_complete (cancelled: no event)");
  } else {
    unsigned long cflags = 0;
    if (!big_lock) cflags = co_await sim::spin_lock_irqsave(ctx.completion_lock);
    unsigned tail = co_await READ_ONCE(ctx.tail);
    unsigned nr = co_await READ_ONCE(ctx.nr);
    unsigned pos = tail + AIO_EVENTS_OFFSET;
    if (++tail >= nr) tail = 0;
    // ev_page = kmap_atomic(info->ring_pages[pos / AIO_EVENTS_PER_PAGE]):
    // ring_pages shares its line with active_reqs and ring_lock (packed).
    co_await READ_ONCE(ctx.ring_pages);
    // No capacity check (kiocb_batch_refill's accounting is meant to make
    // one unnecessary): the slot is written whatever it holds.
    const unsigned slot = pos - AIO_EVENTS_OFFSET;
    co_await WRITE_ONCE(ctx.slots[slot], io_event{id, co_await READ_ONCE(iocb.ki_obj_user), res, res2});
    // An io_event user space had not yet copied out is gone.
    if (const std::uint64_t old = std::exchange(ctx.unread[slot], id)) ledger_->ring_event_overwritten(old);
    // smp_wmb(); make event visible before updating tail
    co_await WRITE_ONCE(ctx.tail, tail);
    // The event is delivered now: aio_read_events_ring reads info->tail.
    ledger_->ring_event(id, big_lock ? "aio_complete (event under ctx_lock)" : "aio_complete (event under completion_lock)");
    // tail onto head: to user space the ring now reads as empty, and the
    // events it held are overwritten by the next completions.
    if (tail == ctx.ring_head.raw()) ledger_->ring_overflow(id, nr);
    co_await READ_ONCE(ctx.ring_pages);  // ring = kmap_atomic(info->ring_pages[0])
    co_await WRITE_ONCE(ctx.ring_tail, tail);  // ring->tail, user visible
    if (!big_lock) co_await sim::spin_unlock_irqrestore(ctx.completion_lock, cflags);
    // The user asked for the result through an eventfd: eventfd_signal() is
    // safe from IRQ context (under ctx_lock in mm-parent, under no kioctx lock
    // with the seed).
    if (iocb.ki_eventfd) co_await eventfd_signal(*iocb.ki_eventfd, 1);
  }

  // put_rq: after this the kiocb may be gone; never look at it again.
  co_await aio_put_req(iocb);
  co_await sim::atomic_dec(ctx.reqs_active);
  // smp_mb(); then the unlocked test of the wait list.
  if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
  if (big_lock) co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, flags);
  // rcu_read_unlock();
}

// kiocb_set_cancel_fn() (the seed): list the kiocb only now, when it
// becomes cancellable.
Task<void> AioDesign::kiocb_set_cancel_fn(kiocb& req, kiocb_cancel_fn cancel) {
  KernelFunction fn{"kiocb_set_cancel_fn"};
  kioctx& ctx = *req.ki_ctx;
  auto flags = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
  if (co_await READ_ONCE(req.ki_list_next) == ListNext::Null) co_await list_add(req, ctx);
  co_await WRITE_ONCE(req.ki_cancel, cancel);
  co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, flags);
}

// kiocb_cancel(): called with ctx_lock held (spin_lock_irq); drops it
// around the driver's cancel method.
Task<int> AioDesign::kiocb_cancel(kioctx& ctx, kiocb& kiocb, io_event& res) {
  KernelFunction fn{"kiocb_cancel"};
  sim::assert_spin_locked(ctx.ctx_lock);
  kiocb_cancel_fn cancel = co_await READ_ONCE(kiocb.ki_cancel);
  if (switches().cancel_xchg) {
    // Don't set ki_cancel = KIOCB_CANCELLED unless it actually has a cancel
    // function, hence the cmpxchg().
    for (;;) {
      if (!cancel || cancel == KIOCB_CANCELLED) co_return -EINVAL;
      kiocb_cancel_fn old = cancel;
      cancel = co_await sim::cmpxchg(kiocb.ki_cancel, old, KIOCB_CANCELLED);
      if (cancel == old) break;
    }
  } else {
    co_await sim::set_bit(KIF_CANCELLED, kiocb.ki_flags);  // kiocbSetCancelled()
    if (!cancel) co_return -EINVAL;
  }
  co_await sim::atomic_inc(kiocb.ki_users);
  co_await sim::spin_unlock_irq(ctx.ctx_lock);

  res = io_event{};
  res.obj = co_await READ_ONCE(kiocb.ki_obj_user);
  res.data = kiocb.ki_user_data;
  int ret = co_await cancel(kiocb, res);

  co_await sim::spin_lock_irq(ctx.ctx_lock);
  co_return ret;
}

// lookup_kiocb(): a linear walk of active_reqs under ctx_lock.
Task<kiocb*> AioDesign::lookup_kiocb(kioctx& ctx, std::uint64_t iocb) {
  KernelFunction fn{"lookup_kiocb"};
  sim::assert_spin_locked(ctx.ctx_lock);
  for (kiocb& k : ctx.active_reqs)
    if (co_await READ_ONCE(k.ki_obj_user) == iocb) co_return &k;
  co_return nullptr;
}

// sys_io_cancel().
Task<long> AioDesign::sys_io_cancel(kioctx& ctx, std::uint64_t iocb, io_event& result) {
  KernelFunction fn{"io_cancel"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  ledger_->cancel_started(iocb);
  co_await sim::spin_lock_irq(ctx.ctx_lock);
  kiocb* k = co_await lookup_kiocb(ctx, iocb);
  long ret = k ? co_await kiocb_cancel(ctx, *k, result) : -EINVAL;
  co_await sim::spin_unlock_irq(ctx.ctx_lock);
  if (ret == 0) sim::cpu_work(costs_.copy_event);  // copy_to_user(result, &res)
  ledger_->cancel_returned(iocb, ret);
  co_await put_ioctx(ctx);
  co_return ret;
}

Task<long> AioDesign::copy_ring_run(kioctx& ctx, unsigned head, unsigned tail, unsigned ring_nr, io_event* out,
                                    long room) {
  long avail = static_cast<long>((head <= tail ? tail : ring_nr) - head);
  avail = std::min(avail, room);
  avail = std::min<long>(avail, AIO_EVENTS_PER_PAGE - ((head + AIO_EVENTS_OFFSET) % AIO_EVENTS_PER_PAGE));
  // Two io_events share a cache line: one access per line.
  const CacheLine* last = nullptr;
  for (long k = 0; k < avail; ++k) {
    Shared<io_event>& slot = ctx.slots[head + k];
    if (&slot.line() != last) out[k] = co_await READ_ONCE(slot);
    else out[k] = slot.raw();
    last = &slot.line();
    ctx.unread[head + k] = 0;
  }
  sim::cpu_work(costs_.copy_event * avail);  // copy_to_user
  co_return avail;
}

// aio_read_events_ring(): readers serialise on the ring_lock mutex only.
Task<long> AioDesign::aio_read_events_ring(kioctx& ctx, io_event* event, long nr) {
  KernelFunction fn{"aio_read_events_ring"};
  co_await sim::mutex_lock(ctx.ring_lock);
  unsigned head = co_await READ_ONCE(ctx.ring_head);
  long ret = 0;
  if (head != co_await READ_ONCE(ctx.tail)) {
    const unsigned ring_nr = co_await READ_ONCE(ctx.nr);
    while (ret < nr) {
      unsigned tail = co_await READ_ONCE(ctx.tail);
      if (head == tail) break;
      const long avail = co_await copy_ring_run(ctx, head, tail, ring_nr, event + ret, nr - ret);
      ret += avail;
      head = static_cast<unsigned>((head + avail) % ring_nr);
    }
    co_await WRITE_ONCE(ctx.ring_head, head);
  }
  co_await sim::mutex_unlock(ctx.ring_lock);
  co_return ret;
}

// aio_read_events(): the wait condition of read_events().
Task<bool> AioDesign::aio_read_events(kioctx& ctx, long min_nr, long nr, io_event* event, long& i) {
  long ret = co_await aio_read_events_ring(ctx, event + i, nr - i);
  if (ret > 0) i += ret;
  if (co_await READ_ONCE(ctx.dead)) ret = -EINVAL;
  if (!i) i = ret;
  co_return ret < 0 || i >= min_nr;
}

// read_events(): wait_event_interruptible_hrtimeout(ctx->wait, aio_read_events(...)).
Task<long> AioDesign::read_events(kioctx& ctx, long min_nr, long nr, io_event* event) {
  KernelFunction fn{"read_events"};
  long ret = 0;
  if (co_await aio_read_events(ctx, min_nr, nr, event, ret)) co_return ret;
  for (;;) {
    co_await sim::prepare_to_wait(ctx.wait);
    if (co_await aio_read_events(ctx, min_nr, nr, event, ret)) break;
    co_await sim::schedule();
  }
  co_await sim::finish_wait(ctx.wait);
  co_return ret;
}

// sys_io_getevents().
Task<long> AioDesign::sys_io_getevents(kioctx& ctx, long min_nr, long nr, io_event* events) {
  KernelFunction fn{"io_getevents"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  long ret = -EINVAL;
  if (min_nr <= nr && min_nr >= 0) ret = co_await read_events(ctx, min_nr, nr, events);
  co_await put_ioctx(ctx);
  co_return ret;
}

// kill_ioctx(): mark dead, unhash, and drop the initial reference
// (kill_ioctx_work called directly). hlist_del_rcu(&ctx->list) unpublishes
// the context; synchronize_rcu() then waits for every lookup_ioctx() that
// may still have found it (a read-side section begun before the call).
Task<void> AioDesign::kill_ioctx(kioctx& ctx) {
  KernelFunction fn{"kill_ioctx"};
  if (!co_await sim::xchg(ctx.dead, 1)) {
    sim::rcu_assign_pointer(ctx.hashed, false, "ioctx_list");  // hlist_del_rcu(&ctx->list)
    co_await sim::synchronize_rcu(rcu_, costs_.synchronize_rcu);  // one grace period
    co_await sim::wake_up(ctx.wait);           // kill_ioctx_work: wake_up_all
    co_await put_ioctx(ctx);
  }
}

// free_ioctx(): cancel what is listed, wait for reqs_active to drain.
Task<void> AioDesign::free_ioctx(kioctx& ctx) {
  KernelFunction fn{"free_ioctx"};
  co_await sim::spin_lock_irq(ctx.ctx_lock);
  while (co_await READ_ONCE(ctx.active_reqs_head) != 0 && !ctx.active_reqs.empty()) {
    kiocb& req = ctx.active_reqs.front();
    co_await list_del(req, ctx, true);
    ledger_->teardown_cancel(req.ki_user_data);
    io_event res;
    co_await kiocb_cancel(ctx, req, res);
  }
  co_await sim::spin_unlock_irq(ctx.ctx_lock);

  // wait_event(ctx->wait, !atomic_read(&ctx->reqs_active));
  if (co_await READ_ONCE(ctx.reqs_active) != 0) {
    for (;;) {
      co_await sim::prepare_to_wait(ctx.wait);
      if (co_await READ_ONCE(ctx.reqs_active) == 0) break;
      co_await sim::schedule();
    }
    co_await sim::finish_wait(ctx.wait);
  }
  // aio_free_ring(ctx); call_rcu(&ctx->rcu_head, free_ioctx_rcu);
  ctx.freed = true;
  ledger_->teardown_complete();
}

// sys_io_destroy().
Task<long> AioDesign::sys_io_destroy(kioctx& ctx) {
  KernelFunction fn{"io_destroy"};
  sim::cpu_work(costs_.syscall);
  if (!co_await lookup_ioctx(ctx)) co_return -EINVAL;
  co_await kill_ioctx(ctx);
  co_await put_ioctx(ctx);
  co_return 0;
}

std::vector<io_event> AioDesign::readable_events() const {
  std::vector<io_event> v;
  for (unsigned h = ctx_->ring_head.raw(), t = ctx_->ring_tail.raw(); h != t; h = (h + 1) % ctx_->nr.raw())
    v.push_back(ctx_->slots[h].raw());
  return v;
}

}  // namespace models
