// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The kioctx designs aiosim knows. Adding one: a new file in this folder
// (picked up by the build) defining a class derived from AioDesign, or a set
// of switches, and a function returning its DesignInfo; plus its one line in
// registry.cpp's AIOSIM_DESIGNS. Everything a suite needs to cover the
// design is in its DesignInfo: the model tests, the explorer's expectations
// and the figures read it from the registry.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/aio/aio.hpp"
#include "sim/spinlock.hpp"

namespace models {

// Acquisitions of the kioctx's two spinlocks on one path.
struct LockCount {
  int ctx_lock = 0;
  int completion_lock = 0;
  bool operator==(const LockCount&) const = default;
};

// How often each path takes each lock, counted by hand from the design's
// kernel text (tests/models/designs/every_design_test.cpp checks them on a
// scripted workload: one io_submit of block and gadgetfs iocbs, their
// completions in IRQ context, one io_getevents that finds them all).
struct PathLocks {
  LockCount io_submit;               // one io_submit whose iocbs all fit (per call)
  LockCount submitted_iocb;          // more, per iocb it submits (v3.9's io_submit_one and aio_put_req)
  LockCount cancellable_submit;      // more, per iocb whose driver sets a cancel method (gadgetfs)
  LockCount plain_completion;        // aio_complete of a request with no cancel method (block)
  LockCount cancellable_completion;  // aio_complete of one with a cancel method, not cancelled
  LockCount io_getevents;            // io_getevents finding its events already in the ring
};

// What `aiosim explore` finds on one built-in scenario
// (experiments/scenarios/<scenario>.toml, as shipped, with this design): no
// violation ("clean"), or these violations -- each entry the start of one
// violation's headline, one entry per distinct violation found.
struct ExploreVerdict {
  std::string scenario;
  std::vector<std::string> violations;  // empty: clean
};

struct DesignInfo {
  std::string name;
  std::string tag;          // the kernel it is: "v3.10", "the seed", "mm tree, April 2013 (seed's parent)"
  std::string description;  // one line: what changed in the completion/cancel path
  bool planted_bug = false;  // a deliberately broken variant, for the explorer's tests
  std::function<std::unique_ptr<AioDesign>()> make;
  // The spinlock of the design's kernel, what kioctx.lock = "era" picks:
  // x86's arch_spinlock_t is the ticket lock until v4.1 and qspinlock from
  // v4.2 (commit "locking/qspinlock, x86: Enable x86-64 to use queued
  // spinlocks").
  sim::LockKind era_lock = sim::LockKind::Ticket;
  PathLocks path_locks;
  std::vector<ExploreVerdict> explore;  // one per built-in scenario
  // The struct kioctx field layout of the design's kernel, what
  // kioctx.layout_preset = "design" (the default) picks: "packed" (no
  // ____cacheline_aligned_in_smp groups, up to v3.9 and the seed) or
  // "cacheline-aligned" (v3.10's groups); models/aio/kioctx.hpp.
  std::string layout = "packed";
  // Drivers' kiocb_set_cancel_fn works on its requests (gadgetfs, the
  // async-cancel device). False for io_uring, whose kiocbs are not inside
  // an aio_kiocb: it runs block requests only.
  bool aio_kiocbs = true;
  // The design's kernel deadlocks on gadgetfs' io_cancel (v3.12 on:
  // ep_aio_cancel runs under io_cancel's ctx_lock, and the UDC's synchronous
  // give-back reaches aio_complete, which takes ctx_lock again on the same
  // CPU). A timed workload with USB cancels stops at that self-deadlock.
  bool gadgetfs_cancel_deadlocks = false;
  // The design is the seed's era code with the seed's hunks as switches
  // (mm-parent, lazy-cancel): the kioctx.lazy_list / completion_lock /
  // cancel_xchg / zero_alloc keys select any subset of them. Every other
  // design is its own kernel's code, which those keys do not describe: a
  // config that sets one for it is an error, and `aiosim designs` shows no
  // switches for it.
  bool seed_switches = false;
};

// gadgetfs' own io_cancel races (ep_aio_cancel against ep_aio_complete,
// docs/explorer.md), which usb-cancel-irq and usb-cancel-destroy find under
// every design whose io_cancel reaches ep_aio_cancel: a NULL and a freed
// iocb->private. The starts of their headlines.
inline std::vector<std::string> gadgetfs_memory_races() {
  return {"invariant: oops: NULL pointer dereference in ep_aio_cancel",
          "invariant: use-after-free in ep_aio_cancel"};
}
// With the lost result of the designs whose aio_complete suppresses a
// cancelled request's event (mm-parent to v3.10).
inline std::vector<std::string> gadgetfs_races() {
  std::vector<std::string> v = {"invariant: request req0 is lost: aio_complete suppressed its event as cancelled"};
  for (std::string& r : gadgetfs_memory_races()) v.push_back(std::move(r));
  return v;
}
// The same with more.
inline std::vector<std::string> gadgetfs_races_and(std::vector<std::string> more) {
  std::vector<std::string> v = gadgetfs_races();
  v.insert(v.end(), more.begin(), more.end());
  return v;
}
inline std::vector<std::string> gadgetfs_memory_races_and(std::vector<std::string> more) {
  std::vector<std::string> v = gadgetfs_memory_races();
  v.insert(v.end(), more.begin(), more.end());
  return v;
}

const std::vector<DesignInfo>& designs();
const DesignInfo* find_design(const std::string& name);

// The lock counts of fs/aio.c of the seed's era (mm-parent to the seed) with
// these switches on (seed_era.cpp).
PathLocks seed_era_path_locks(const Switches& sw);

}  // namespace models
