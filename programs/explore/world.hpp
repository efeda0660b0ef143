// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// One instance of a scenario for the explorer: the machine under the step
// driver, the kioctx, the design's kernel code, the devices (all with
// hardware finishing only when told), the set-up already run, and each
// context's user-space action started. Processes, in this order:
//   - the task context of each CPU that runs one (a syscall);
//   - the IRQ side of every CPU: delivering a pending interrupt (which
//     preempts the task), then the handler's steps;
//   - one "hardware" process per completion context: the device finishes
//     the request and raises its interrupt (enabled once the device holds it).
//
// Footprints. A transition touches the object of the step it takes (a
// field, a lock, a CPU's IRQ flag), identified by a key that is the same in
// every rebuild (the owning object's registration index and the offset
// inside it; objects not registered are keyed by their field name, which
// only merges keys and so only adds dependence). On top:
//   - PREEMPT(c): every step of CPU c's task reads it; delivering an
//     interrupt on c and the handler's return write it. So an IRQ delivery
//     is dependent with every step of the task it preempts (which covers
//     the task's IRQ-flag changes that make it deliverable or not), and the
//     task's steps after the handler are ordered after the handler.
//   - IRQPEND(c): raising an interrupt on c (a hardware process), the
//     delivery and the handler's start (which acks the device) write it.
//   - the device queue the hardware takes the request from (the UDC lock,
//     the async device's lock, the block device's held list).
//   - hidden model state written between steps (not a Shared field): the
//     slab's free list, each task's wait state
//     (prepare_to_wait / try_to_wake_up), the ledger's counts, the block
//     device's held list. Found by comparing snapshots around each
//     transition: a change is a write. A task's state also holds a count of
//     its accesses (sim::Context::task_state_accesses), so an access that
//     changes nothing is seen too. Setting TASK_RUNNING (finish_wait, or
//     try_to_wake_up before the task sleeps) commutes with itself and is a
//     read; TASK_INTERRUPTIBLE (prepare_to_wait), schedule()'s test and
//     its going to sleep or being woken from it are writes. So a waker and the wakee's
//     own finish_wait are independent in either order, not in one only.
//   - RCU: from the steps of sim/rcu.hpp (sim::mc::add_step_access):
//     lookup_ioctx's rcu_read_lock / rcu_dereference(ioctx_list) /
//     rcu_read_unlock and kill_ioctx's hlist_del_rcu and synchronize_rcu()
//     run inside the transitions around them; a grace period's start and
//     a reader's start are dependent, two readers are not, and the end of a
//     section a grace period waits for is ordered before synchronize_rcu()'s
//     return (sim::mc::LockOp). Nothing here looks at a function's name.
//   - lock steps are marked as acquires and releases (sim::mc::LockOp); so
//     is the task turning its CPU's IRQs off and on (IRQ flag), which the
//     delivery waits for like an acquire. A task step reads PREEMPT(c) only
//     with IRQs on: no delivery comes inside a region with IRQs off.
//   - schedule() (a step of kind Schedule) tests the sleeper's wait state:
//     a write, since a wake-up's TASK_RUNNING is a read.
#include <memory>
#include <string>
#include <vector>

#include "programs/explore/checker.hpp"
#include "programs/explore/scenario.hpp"

namespace programs::explore {

// Builds a fresh World of `sc` per call.
SystemFactory world_factory(const Scenario& sc);

// The world's contexts and processes, for reports ("cpu0/task: io_cancel(req0)").
std::vector<std::string> describe_processes(const Scenario& sc);

// The design line: "lazy-cancel (lazy_list=on completion_lock=on ...)".
std::string describe_design(const Scenario& sc);

}  // namespace programs::explore
