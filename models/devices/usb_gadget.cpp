// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/usb_gadget.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/violation.hpp"

namespace models {

using sim::KernelFunction;
using sim::READ_ONCE;
using sim::WRITE_ONCE;
using sim::config::Type;

void UsbGadget::add_keys(sim::config::Schema& s, int max_cpus) {
  s.add("usb.bus_mbps", Type::Float, 480.0, "bus signalling rate (USB 2.0 high speed: 480)").min(1);
  s.add("usb.efficiency", Type::Float, 0.8, "share of the bus rate a bulk transfer gets").range(0.01, 1);
  s.add("usb.transfer_bytes", Type::Int, 4096, "bytes per endpoint request").range(1, 1 << 24);
  s.add("usb.irq_cpu", Type::Int, 0, "CPU taking the UDC interrupt (-1: the last of block.irq_cpus)")
      .range(-1, max_cpus - 1);
}

UsbGadget::Config UsbGadget::config_from(const sim::config::Config& cfg, int irq_cpu) {
  Config uc;
  uc.bus_mbps = cfg.get_float("usb.bus_mbps");
  uc.efficiency = cfg.get_float("usb.efficiency");
  uc.transfer_bytes = cfg.get_int("usb.transfer_bytes");
  uc.irq_cpu = irq_cpu;
  return uc;
}

UsbGadget::Config UsbGadget::default_config(int irq_cpu) {
  sim::config::Schema s;
  add_keys(s, irq_cpu + 1);
  return config_from(sim::config::Config::from_string(s, "", "(defaults)"), irq_cpu);
}

UsbGadget::UsbGadget(sim::Machine& m, AioDesign& aio, Config cfg, RacePolicy policy)
    : file("ep1in"),
      machine_(m),
      aio_(aio),
      cfg_(cfg),
      policy_(policy),
      dev_lock_("dev_lock", dev_line_, aio.ctx().ctx_lock.kind(), m),
      ep_lock_("epdata->lock", ep_line_, m),
      ep_count_(ep_line_, "epdata->count", 1),
      udc_lock_("udc_lock", udc_line_, aio.ctx().ctx_lock.kind(), m) {
  irq_.handler = &UsbGadget::udc_irq;
  irq_.name = "udc";
  irq_.owner = this;
}

sim::Time UsbGadget::transfer_time() const {
  double bytes_per_ns = cfg_.bus_mbps * cfg_.efficiency / 8.0 / 1000.0;
  return sim::from_ns(static_cast<double>(cfg_.transfer_bytes) / bytes_per_ns);
}

void UsbGadget::race(Race kind, const std::string& what) {
  ++(kind == Race::NullDeref ? null_derefs_ : use_after_frees_);
  if (policy_ == RacePolicy::Stop)
    throw sim::Violation(sim::ViolationKind::Invariant, what,
                         "  (ep_aio_cancel reads iocb->private and priv->epdata with only local IRQs off -- its\n"
                         "   spin_lock(&epdata->dev->lock) is commented out -- while ep_aio_complete, on the UDC's\n"
                         "   interrupt, kfree()s priv and then clears iocb->private; set invariants.kernel_races =\n"
                         "   \"count\" to count these by kind and go on)\n");
}

UsbGadget::Priv& UsbGadget::kmalloc_priv(std::uint64_t owner) {
  if (free_privs_.empty()) {
    privs_.push_back(std::make_unique<PrivSlot>());
    free_privs_.push_back(&privs_.back()->priv);
  }
  Priv* p = free_privs_.back();
  free_privs_.pop_back();
  p->freed = false;
  p->owner = owner;
  return *p;
}

UsbGadget::UsbRequest& UsbGadget::usb_ep_alloc_request() {
  if (free_reqs_.empty()) {
    reqs_.push_back(std::make_unique<UsbRequest>());
    free_reqs_.push_back(reqs_.back().get());
  }
  UsbRequest* r = free_reqs_.back();
  free_reqs_.pop_back();
  *r = UsbRequest{};
  return *r;
}

// ep_aio_write(): copy the user's data into a kernel buffer, then
// ep_aio_rwtail(). Writes complete without the copy-back worker.
Task<long> UsbGadget::aio_write(kiocb& iocb) {
  KernelFunction fn{"ep_aio_write"};
  sim::cpu_work(cfg_.submit_work);  // kmalloc(len) + copy_from_user
  co_return co_await ep_aio_rwtail(iocb);
}

// ep_aio_rwtail(): make the kiocb cancellable and queue its usb_request.
Task<long> UsbGadget::ep_aio_rwtail(kiocb& iocb) {
  KernelFunction fn{"ep_aio_rwtail"};
  Priv& priv = kmalloc_priv(iocb.ki_user_data);
  co_await WRITE_ONCE(iocb.ki_private, static_cast<void*>(&priv));  // iocb->private = priv

  co_await sim::mutex_lock(ep_lock_);  // get_ready_ep()
  if (aio_.switches().lazy_list) co_await aio_.kiocb_set_cancel_fn(iocb, &UsbGadget::ep_aio_cancel);
  else co_await WRITE_ONCE(iocb.ki_cancel, &UsbGadget::ep_aio_cancel);  // mm-parent: a plain store
  co_await sim::atomic_inc(ep_count_);                                 // get_ep(epdata)
  co_await WRITE_ONCE(priv.epdata, this);

  co_await sim::spin_lock_irq(dev_lock_);
  UsbRequest& req = usb_ep_alloc_request();
  co_await WRITE_ONCE(priv.req, &req);
  req.iocb = &iocb;
  req.status = -EINPROGRESS;
  co_await usb_ep_queue(req);
  co_await sim::spin_unlock_irq(dev_lock_);
  co_await sim::mutex_unlock(ep_lock_);
  co_return -EIOCBQUEUED;
}

// usb_ep_queue(): the UDC takes its own lock and starts the transfer if the
// endpoint is idle.
Task<void> UsbGadget::usb_ep_queue(UsbRequest& req) {
  KernelFunction fn{"usb_ep_queue"};
  auto flags = co_await sim::spin_lock_irqsave(udc_lock_);
  queue_.push_back(&req);
  if (!transferring_) start_next_transfer();
  co_await sim::spin_unlock_irqrestore(udc_lock_, flags);
}

void UsbGadget::start_next_transfer() {
  transferring_ = false;
  if (cfg_.manual_hardware) return;
  for (UsbRequest* r : queue_)
    if (!r->hw_done) {
      transferring_ = true;
      machine_.driver().schedule(xfer_done_, sim::current().local + transfer_time());
      return;
    }
}

// The controller finished the transfer in progress: flag it done and raise
// the interrupt line (if not already raised).
void UsbGadget::transfer_finished() {
  for (UsbRequest* r : queue_)
    if (!r->hw_done) {
      r->hw_done = true;
      r->actual = cfg_.transfer_bytes;
      break;
    }
  transferring_ = false;
  if (!irq_raised_) {
    irq_raised_ = true;
    machine_.cpu(cfg_.irq_cpu).raise_irq(irq_);
  }
  if (!cfg_.manual_hardware)
    for (UsbRequest* r : queue_)
      if (!r->hw_done) {
        transferring_ = true;
        machine_.driver().schedule(xfer_done_, machine_.driver().now() + transfer_time());
        break;
      }
}

bool UsbGadget::hardware_pending() const {
  return std::any_of(queue_.begin(), queue_.end(), [](const UsbRequest* r) { return !r->hw_done; });
}

void UsbGadget::hardware_done() {
  for (UsbRequest* r : queue_)
    if (!r->hw_done) {
      r->hw_done = true;
      r->actual = cfg_.transfer_bytes;
      break;
    }
  if (!irq_raised_) {
    irq_raised_ = true;
    machine_.cpu(cfg_.irq_cpu).raise_irq(irq_);
  }
}

// The UDC interrupt handler (net2280_irq -> handle_ep_small -> done()):
// give back every finished request, dropping the UDC lock around
// ->complete() as done() does.
Task<void> UsbGadget::udc_irq(sim::IrqRequest& irq) {
  KernelFunction fn{"udc_irq"};
  UsbGadget& udc = *static_cast<UsbGadget*>(irq.owner);
  udc.irq_raised_ = false;  // ack the interrupt status
  co_await sim::spin_lock(udc.udc_lock_);
  while (!udc.queue_.empty() && udc.queue_.front()->hw_done) {
    UsbRequest& req = *udc.queue_.front();
    udc.queue_.pop_front();  // done(): list_del_init(&req->queue)
    req.status = 0;
    co_await sim::spin_unlock(udc.udc_lock_);
    ++udc.completed_;
    co_await udc.ep_aio_complete(req);  // req->complete(ep, req)
    co_await sim::spin_lock(udc.udc_lock_);
  }
  co_await sim::spin_unlock(udc.udc_lock_);
}

// ep_aio_complete(): the usb_request's completion callback, IRQs off.
Task<void> UsbGadget::ep_aio_complete(UsbRequest& req) {
  KernelFunction fn{"ep_aio_complete"};
  kiocb& iocb = *req.iocb;
  auto* priv = static_cast<Priv*>(co_await READ_ONCE(iocb.ki_private));
  if (!priv) throw sim::Violation(sim::ViolationKind::Invariant, "ep_aio_complete: iocb->private is NULL");
  co_await READ_ONCE(priv->epdata);  // epdata = priv->epdata

  co_await sim::spin_lock(dev_lock_);  // lock against disconnect (and ideally, cancel)
  co_await WRITE_ONCE(priv->req, nullptr);
  co_await WRITE_ONCE(priv->epdata, nullptr);
  // A write: nothing to copy back, complete now.
  priv->freed = true;  // kfree(priv)
  free_privs_.push_back(priv);
  co_await WRITE_ONCE(iocb.ki_private, nullptr);
  long status = req.status;
  long res = req.actual ? req.actual : status;
  co_await aio_.aio_complete(iocb, res, status);
  co_await sim::spin_unlock(dev_lock_);

  free_reqs_.push_back(&req);             // usb_ep_free_request()
  co_await sim::atomic_dec(ep_count_);    // put_ep()
}

// usb_ep_dequeue() (net2280_dequeue): if the request is still queued, take
// it off, stop its transfer, and give it back with -ECONNRESET right here.
Task<int> UsbGadget::usb_ep_dequeue(UsbRequest& req) {
  KernelFunction fn{"usb_ep_dequeue"};
  auto flags = co_await sim::spin_lock_irqsave(udc_lock_);
  auto it = std::find(queue_.begin(), queue_.end(), &req);
  if (it == queue_.end()) {
    co_await sim::spin_unlock_irqrestore(udc_lock_, flags);
    co_return -EINVAL;
  }
  bool was_active = it == queue_.begin() && transferring_ && !req.hw_done;
  queue_.erase(it);
  if (was_active) {
    machine_.driver().cancel(xfer_done_);
    start_next_transfer();
  }
  req.status = -ECONNRESET;
  ++dequeued_;
  co_await sim::spin_unlock(udc_lock_);  // done() drops the lock around ->complete
  co_await ep_aio_complete(req);
  co_await sim::local_irq_restore(flags);
  co_return 0;
}

// ep_aio_cancel() (drivers/usb/gadget/inode.c, 2013): the kiocb's cancel
// method, called by kiocb_cancel with ctx_lock dropped and an extra ki_users
// reference held. No lock orders it against ep_aio_complete:
//   priv = iocb->private; local_irq_disable(); epdata = priv->epdata;
//   [mm-parent: kiocbSetCancelled(iocb);]
//   if (likely(epdata && epdata->ep && priv->req)) value = usb_ep_dequeue(epdata->ep, priv->req);
//   else value = -EINVAL;
//   local_irq_enable(); aio_put_req(iocb); return value;
Task<int> UsbGadget::ep_aio_cancel(kiocb& iocb, io_event&) {
  KernelFunction fn{"ep_aio_cancel"};
  auto* priv = static_cast<Priv*>(co_await READ_ONCE(iocb.ki_private));
  co_await sim::local_irq_disable();
  UsbGadget* udc = static_cast<UsbGadget*>(iocb.ki_filp);
  UsbGadget* epdata = nullptr;
  UsbRequest* req = nullptr;
  if (!priv) {
    // ep_aio_complete already ran `iocb->private = NULL`: priv->epdata is a
    // load from address 8. There is no NULL check in the kernel.
    udc->race(Race::NullDeref, fmt::format("oops: NULL pointer dereference in ep_aio_cancel: priv->epdata with "
                                           "iocb->private == NULL (request {})",
                                           iocb.ki_user_data));
  } else {
    // The load is the race: done as a step, so an explorer orders it
    // against ep_aio_complete's kfree(priv).
    epdata = co_await READ_ONCE(priv->epdata);
    if (priv->freed)
      // Freed and not reused: ep_aio_complete stored NULL into epdata before
      // kfree (SLUB's free pointer overwrites only the first word, priv->req),
      // so the load reads NULL and the code goes on to -EINVAL.
      udc->race(Race::UseAfterFree, fmt::format("use-after-free in ep_aio_cancel: reads priv->epdata of the kiocb_priv "
                                                "ep_aio_complete freed (request {})",
                                                iocb.ki_user_data));
    else if (priv->owner != iocb.ki_user_data)
      // Reused: kmalloc gave the memory to another request's kiocb_priv,
      // whose epdata and req this reads: usb_ep_dequeue takes THAT request
      // off the endpoint.
      udc->race(Race::UseAfterFree, fmt::format("use-after-free in ep_aio_cancel: reads priv->epdata of the kiocb_priv "
                                                "ep_aio_complete freed (request {}), now request {}'s: dequeues that one",
                                                iocb.ki_user_data, priv->owner));
  }
  if (udc->aio_.cancel_method_marks_cancelled()) co_await sim::set_bit(KIF_CANCELLED, iocb.ki_flags);  // mm-parent
  int value = -EINVAL;
  if (epdata && priv) req = co_await READ_ONCE(priv->req);
  if (epdata && req) value = co_await epdata->usb_ep_dequeue(*req);
  co_await sim::local_irq_enable();
  if (udc->aio_.cancel_method_puts_iocb()) co_await udc->aio_.aio_put_req(iocb);  // up to the seed
  co_return value;
}

}  // namespace models
