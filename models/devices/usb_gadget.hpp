// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A gadgetfs bulk IN endpoint (drivers/usb/gadget/inode.c at the seed) on a
// UDC modelled after net2280/dummy_hcd. io_submit writes reach
// ep_aio_write -> ep_aio_rwtail, which makes the kiocb cancellable and
// queues a usb_request; the controller moves one request at a time over the
// bus and raises its interrupt when a transfer is done; the IRQ handler
// gives requests back through ep_aio_complete -> aio_complete. io_cancel
// reaches ep_aio_cancel -> usb_ep_dequeue, which gives the request back with
// -ECONNRESET in the canceller's own context. Both paths race for real.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "models/aio/aio.hpp"
#include "sim/config.hpp"

namespace models {

class UsbGadget final : public file {
 public:
  // The usb.* hardware keys give these fields their values and defaults
  // (add_keys); default_config() is what a config that sets none gives.
  struct Config {
    double bus_mbps = 0;       // usb.bus_mbps
    double efficiency = 0;     // usb.efficiency: share of the raw rate a bulk transfer gets
    long transfer_bytes = 0;   // usb.transfer_bytes
    int irq_cpu = 0;           // usb.irq_cpu, resolved with the other roles
    sim::Time submit_work = 300 * sim::kNs;  // kmalloc + copy_from_user in ep_aio_write
    bool manual_hardware = false;            // transfers finish only when told (explorer)
  };
  // Declares the controller's usb.* keys (the cancellers' usb.cancel_* are
  // the workload's: models/workload).
  // max_cpus: the largest machine the program's configs may describe.
  static void add_keys(sim::config::Schema& s, int max_cpus);
  // irq_cpu is usb.irq_cpu with -1 resolved.
  static Config config_from(const sim::config::Config& cfg, int irq_cpu);
  static Config default_config(int irq_cpu);
  // What to do when gadgetfs' own races happen in ep_aio_cancel -- a NULL
  // pointer dereference (iocb->private already cleared: an oops) or a read
  // of the kiocb_priv ep_aio_complete freed (a use-after-free): stop with a
  // report, or count them by kind and carry on. After a use-after-free the
  // model goes on with what the freed memory holds, as the kernel does; after
  // the oops the kernel kills the io_cancel caller, and the model (which
  // cannot) lets ep_aio_cancel return -EINVAL instead.
  enum class RacePolicy { Stop, Count };

  UsbGadget(sim::Machine& m, AioDesign& aio, Config cfg, RacePolicy policy);

  Task<long> aio_write(kiocb& req) override;  // ep_aio_write -> ep_aio_rwtail
  static Task<int> ep_aio_cancel(kiocb& iocb, io_event& e);

  // For scenarios: finish the transfer at the head of the queue now.
  void hardware_done();
  // Is a queued transfer still waiting for the hardware (hardware_done would finish one)?
  bool hardware_pending() const;
  sim::Time transfer_time() const;

  sim::Spinlock& dev_lock() { return dev_lock_; }
  sim::Spinlock& udc_lock() { return udc_lock_; }
  std::uint64_t races() const { return null_derefs_ + use_after_frees_; }
  std::uint64_t null_derefs() const { return null_derefs_; }
  std::uint64_t use_after_frees() const { return use_after_frees_; }
  std::uint64_t dequeued() const { return dequeued_; }
  std::uint64_t completed() const { return completed_; }

 private:
  struct UsbRequest {
    kiocb* iocb = nullptr;
    long status = 0;
    long actual = 0;
    bool hw_done = false;
  };
  // struct kiocb_priv (kmalloc'd; its fields are read by ep_aio_cancel
  // without dev->lock).
  struct Priv {
    explicit Priv(CacheLine& l) : epdata(l, "priv->epdata", nullptr), req(l, "priv->req", nullptr) {}
    Shared<UsbGadget*> epdata;
    Shared<UsbRequest*> req;
    bool freed = true;
    std::uint64_t owner = 0;  // the request it was kmalloc'd for (model bookkeeping)
  };
  struct PrivSlot {
    CacheLine line{"kiocb_priv"};
    Priv priv{line};
  };

  Task<long> ep_aio_rwtail(kiocb& iocb);
  Task<void> ep_aio_complete(UsbRequest& req);
  Task<void> usb_ep_queue(UsbRequest& req);
  Task<int> usb_ep_dequeue(UsbRequest& req);
  static Task<void> udc_irq(sim::IrqRequest& r);
  void start_next_transfer();
  void transfer_finished();
  Priv& kmalloc_priv(std::uint64_t owner);
  UsbRequest& usb_ep_alloc_request();
  enum class Race { NullDeref, UseAfterFree };
  void race(Race kind, const std::string& what);

  sim::Machine& machine_;
  AioDesign& aio_;
  Config cfg_;
  RacePolicy policy_;

  CacheLine dev_line_{"gadgetfs.dev"};
  CacheLine ep_line_{"gadgetfs.epdata"};
  CacheLine udc_line_{"udc"};

  // gadgetfs
  sim::Spinlock dev_lock_;   // epdata->dev->lock
  sim::Mutex ep_lock_;       // epdata->lock
  Shared<int> ep_count_;     // epdata->count (get_ep / put_ep)

  // the UDC
  sim::Spinlock udc_lock_;
  std::deque<UsbRequest*> queue_;  // ep->queue
  bool transferring_ = false;
  sim::MemberEvent<UsbGadget, &UsbGadget::transfer_finished> xfer_done_{*this};
  sim::IrqRequest irq_;
  bool irq_raised_ = false;

  std::vector<std::unique_ptr<PrivSlot>> privs_;
  std::vector<Priv*> free_privs_;
  std::vector<std::unique_ptr<UsbRequest>> reqs_;
  std::vector<UsbRequest*> free_reqs_;
  std::uint64_t null_derefs_ = 0, use_after_frees_ = 0, dequeued_ = 0, completed_ = 0;
};

}  // namespace models
