// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A small test bench for the AIO models: a 4-CPU machine with every
// coherence cost 0 (the "zero" preset's costs), one kioctx, a block device
// with a constant 50 us service time completing on CPU 1, and a gadgetfs
// endpoint whose transfers finish only when the test says so
// (manual_hardware), also interrupting CPU 1.
//
// Scenarios run their own user-space coroutines on CPU task contexts and
// call the design's syscalls directly, under the timed driver (time order)
// or the step driver (the test picks every step and every interrupt).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "models/aio/aio.hpp"
#include "models/designs/make_design.hpp"
#include "models/designs/registry.hpp"
#include "models/devices/block_device.hpp"
#include "models/devices/usb_gadget.hpp"
#include "sim/machine.hpp"
#include "sim/presets.hpp"
#include "sim/step_driver.hpp"
#include "sim/timed_driver.hpp"

namespace aiotest {

using models::UserIocb;
using sim::Time;

inline constexpr Time us = sim::kUs;
inline constexpr Time kBlockService = 50 * us;  // every block request takes exactly this long
inline constexpr int kUserCpu = 0;              // where scenarios run their user threads
inline constexpr int kIrqCpu = 1;               // block and UDC interrupts
inline constexpr long kUsbBytes = 4096;         // UsbGadget::Config::transfer_bytes

enum class DriverKind { Timed, Step };

inline const sim::MachinePreset& zero_preset() {
  const sim::MachinePreset* p = sim::find_preset("zero");
  REQUIRE(p != nullptr);
  return *p;
}

inline std::unique_ptr<models::AioDesign> registry_design(const std::string& name) {
  const models::DesignInfo* d = models::find_design(name);
  REQUIRE(d != nullptr);
  return d->make();
}

inline std::unique_ptr<models::AioDesign> switches_design(models::Switches sw) {
  return std::make_unique<models::AioDesign>("ablation", sw);
}

struct Rig {
  explicit Rig(std::unique_ptr<models::AioDesign> design, DriverKind dk = DriverKind::Timed,
               models::LostPolicy lost = models::LostPolicy::Stop)
      : m(sim::Topology{1, 4, 1}, zero_preset().costs),
        timed(dk == DriverKind::Timed ? std::make_unique<sim::TimedDriver>(m) : nullptr),
        step(dk == DriverKind::Step ? std::make_unique<sim::StepDriver>(m) : nullptr),
        ctx(m, 128, sim::LockKind::Queued, models::packed_layout()),
        ledger(lost),
        aio(attach(std::move(design))),
        blk(m, *aio, block_config(), 1),
        usb(m, *aio, usb_config(), models::UsbGadget::RacePolicy::Stop) {}

  // A user iocb for the block device ('b') or the USB endpoint ('u'), with
  // a fresh ledger id.
  UserIocb iocb(char kind) {
    REQUIRE((kind == 'b' || kind == 'u'));
    UserIocb u;
    u.id = ledger.submit(0);
    u.filp = kind == 'b' ? static_cast<models::file*>(&blk) : static_cast<models::file*>(&usb);
    return u;
  }
  std::vector<UserIocb> iocbs(const std::string& kinds) {
    std::vector<UserIocb> v;
    for (char k : kinds) v.push_back(iocb(k));
    return v;
  }

  // The user iocb ids of the kiocbs on ctx->active_reqs (the model's
  // ki_obj.user is the id).
  std::vector<std::uint64_t> active_ids() const {
    std::vector<std::uint64_t> out;
    for (const models::kiocb& k : ctx.active_reqs) out.push_back(k.ki_obj_user.raw());
    std::sort(out.begin(), out.end());
    return out;
  }

  sim::Context& task(int cpu) { return m.cpu(cpu).task(); }

  sim::Machine m;
  std::unique_ptr<sim::TimedDriver> timed;
  std::unique_ptr<sim::StepDriver> step;
  models::kioctx ctx;
  models::KiocbSlab slab;
  models::Ledger ledger;
  std::unique_ptr<models::AioDesign> aio;
  models::BlockDevice blk;
  models::UsbGadget usb;

  // The devices as a run with default block.*/usb.* keys builds them, held
  // for the test to finish each request (usb) or with a fixed service time (block).
  static models::BlockDevice::Config block_config() {
    models::BlockDevice::Config c =
        models::BlockDevice::default_config({kIrqCpu}, models::default_kernel_costs().submit_io);
    c.service = sim::Distribution::constant(sim::to_ns(kBlockService));
    return c;
  }
  static models::UsbGadget::Config usb_config() {
    models::UsbGadget::Config c = models::UsbGadget::default_config(kIrqCpu);
    c.transfer_bytes = kUsbBytes;
    c.manual_hardware = true;
    return c;
  }

 private:
  std::unique_ptr<models::AioDesign> attach(std::unique_ptr<models::AioDesign> d) {
    models::KernelCosts kc = models::default_kernel_costs();
    // A short grace period: the teardown scenarios want free_ioctx to run
    // while the 50 us block requests are still in flight.
    kc.synchronize_rcu = 20 * us;
    d->attach(m, ctx, slab, ledger, kc);
    return d;
  }
};

inline bool contains(const std::vector<sim::Context*>& v, const sim::Context* c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

// Step driver: run `c` until its root returns, checking that it is enabled
// at every step (nothing else may be needed for it to progress).
inline void run_to_idle(sim::StepDriver& d, sim::Context& c) {
  for (int guard = 0; c.state() != sim::ContextState::Idle; ++guard) {
    REQUIRE(guard < 100000);
    REQUIRE(contains(d.enabled(), &c));
    d.step(c);
  }
}

inline std::vector<std::uint64_t> ids_of(const std::vector<UserIocb>& v) {
  std::vector<std::uint64_t> out;
  for (const UserIocb& u : v) out.push_back(u.id);
  std::sort(out.begin(), out.end());
  return out;
}

// User-space threads shared by several scenarios.
inline sim::Task<void> submit(Rig& r, std::vector<UserIocb> iocbs, long& ret) {
  ret = co_await r.aio->do_io_submit(r.ctx, iocbs);
}
inline sim::Task<void> cancel(Rig& r, std::uint64_t id, long& ret, models::io_event& result) {
  ret = co_await r.aio->sys_io_cancel(r.ctx, id, result);
}

}  // namespace aiotest
