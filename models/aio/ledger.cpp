// SPDX-License-Identifier: GPL-2.0-only
#include "models/aio/ledger.hpp"

#include <fmt/format.h>

#include "sim/context.hpp"
#include "sim/violation.hpp"

namespace models {

namespace {
const char* const kCancelPath = "io_cancel returned 0 (result copied to user)";
}

sim::Time Ledger::now() const { return sim::current_context ? sim::current_context->local : 0; }

std::uint64_t Ledger::submit(sim::Time at, int owner) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(reqs_.size());
    reqs_.emplace_back();
  }
  Req& r = reqs_[slot];
  const std::uint32_t gen = r.generation + 1;
  r = Req{};
  r.generation = gen;
  r.live = true;
  r.submitted = at;
  r.owner = owner;
  ++counts_.submitted;
  return (static_cast<std::uint64_t>(gen) << 32) | slot;
}

bool Ledger::tracked(std::uint64_t id) const {
  const auto slot = static_cast<std::uint32_t>(id);
  return slot < reqs_.size() && reqs_[slot].live && reqs_[slot].generation == static_cast<std::uint32_t>(id >> 32);
}

void Ledger::not_in_flight(std::uint64_t id) const {
  throw sim::Violation(sim::ViolationKind::Invariant,
                       fmt::format("request {}:{} is not in flight (already finished, or never submitted)",
                                   id >> 32, static_cast<std::uint32_t>(id)));
}

// Forget a request once user space has all it will ever get and the kernel
// is done with it.
void Ledger::maybe_release(std::uint64_t id) {
  Req& r = req(id);
  if (r.cancel_in_progress || !r.completed) return;
  const bool finished = r.results > 0 ? (r.reaped || r.first_path == kCancelPath) : (r.suppressed && (r.teardown || r.cancel_failed));
  if (!finished) return;
  r.live = false;
  free_slots_.push_back(static_cast<std::uint32_t>(id));
}

std::uint64_t Ledger::in_flight() const {
  return counts_.submitted - counts_.results - counts_.lost - counts_.teardown_dropped;
}

void Ledger::violation(const std::string& headline, const std::string& details) {
  ++counts_.violations;
  std::string where;
  if (sim::current_context)
    where = fmt::format("  context {} in {}{}\n", sim::current_context->name(), sim::current_context->call_chain(),
                        timed_ ? fmt::format(" at {:.3f} ns", sim::to_ns(sim::current_context->local)) : "");
  if (report_) report_(report_arg_, headline, where + details);
  throw sim::Violation(sim::ViolationKind::Invariant, headline, where + details);
}

void Ledger::deliver(std::uint64_t id, const char* path, bool from_cancel) {
  Req& r = req(id);
  if (torn_down_)
    violation(fmt::format("request {} yields a result after io_destroy finished", id),
              fmt::format("  path: {}\n", path));
  if (r.results > 0) {
    ++counts_.duplicates;
    violation(fmt::format("request {} yields a second result", id),
              fmt::format("  first:  {}\n  second: {}\n{}", r.first_path ? r.first_path : "?", path,
                          timed_ ? fmt::format("  at {:.3f} ns\n", sim::to_ns(now())) : ""));
  }
  ++r.results;
  r.first_path = path;
  r.result_at = now();
  ++counts_.results;
  if (from_cancel) ++counts_.cancel_results;
  else ++counts_.ring_events;
  if (counts_.results == target_ && target_fn_) target_fn_(target_arg_);
}

void Ledger::ring_event(std::uint64_t id, const char* path) {
  deliver(id, path, false);
  req(id).completed = true;
}

void Ledger::ring_overflow(std::uint64_t id, unsigned nr) {
  ++counts_.ring_overflows;
  if (lost_policy_ == LostPolicy::Count) return;
  violation(fmt::format("aio ring overflow: aio_complete of request {} moved the ring's tail onto its head", id),
            fmt::format("  (the ring holds {} events; with tail == head user space sees it empty, and the next\n"
                        "   completions overwrite the unreaped events: kiocb_batch_refill admitted more requests\n"
                        "   than the ring holds because its unsigned avail wrapped instead of going negative)\n",
                        nr));
}

void Ledger::ring_event_overwritten(std::uint64_t id) {
  if (!tracked(id)) return;
  Req& r = req(id);
  if (r.reaped || r.results == 0) return;
  // The result it was counted for never reaches user space.
  --r.results;
  --counts_.results;
  --counts_.ring_events;
  ++counts_.lost;
  ++counts_.ring_overwritten;
  r.live = false;
  free_slots_.push_back(static_cast<std::uint32_t>(id));
  if (lost_policy_ == LostPolicy::Count) return;
  violation(fmt::format("request {} is lost: aio_complete overwrote its unreaped io_event (ring overflow)", id), "");
}

void Ledger::event_suppressed(std::uint64_t id, const char*) {
  Req& r = req(id);
  r.suppressed = true;
  r.completed = true;
  if (r.teardown && r.results == 0) ++counts_.teardown_dropped;
  else check_lost(id);
  maybe_release(id);
}

void Ledger::cancel_started(std::uint64_t id) {
  if (tracked(id)) req(id).cancel_in_progress = true;
}

void Ledger::cancel_returned(std::uint64_t id, long ret) {
  if (!tracked(id)) {
    // User space cancelled a request that had already finished: io_cancel
    // must have failed.
    if (ret == 0) violation(fmt::format("io_cancel succeeds on request {} that already has its result", id), "");
    return;
  }
  Req& r = req(id);
  r.cancel_in_progress = false;
  if (ret == 0) {
    deliver(id, kCancelPath, true);
  } else {
    r.cancel_failed = true;
    check_lost(id);
  }
  maybe_release(id);
}

void Ledger::not_submitted(std::uint64_t id) {
  req(id).live = false;
  free_slots_.push_back(static_cast<std::uint32_t>(id));
  --counts_.submitted;
}

// aio_complete dropped the event because the request was marked cancelled,
// and io_cancel did not report success: user space hears nothing of it.
// Unless io_destroy's teardown cancelled it: its caller gives up every
// result still owed, also when an io_cancel already under way then finds
// nothing (v3.9's kill_ctx runs while io_cancel holds its reference).
void Ledger::check_lost(std::uint64_t id) {
  Req& r = req(id);
  if (!(r.suppressed && r.cancel_failed) || r.results > 0 || r.cancel_in_progress || r.teardown) return;
  ++counts_.lost;
  if (lost_policy_ == LostPolicy::Count) return;
  violation(fmt::format("request {} is lost: aio_complete suppressed its event as cancelled, "
                        "but io_cancel failed",
                        id),
            "  (kiocb_cancel marked it cancelled but the cancel did not happen: a request with no cancel\n"
            "   method -- before the seed, io_cancel of a block request sets KIF_CANCELLED and returns\n"
            "   -EINVAL -- or gadgetfs' race, where the UDC gave the request back first and\n"
            "   usb_ep_dequeue found nothing to dequeue)\n");
}

void Ledger::reaped(std::uint64_t id) {
  ++counts_.reaped;
  Req& r = req(id);
  if (r.results == 0)
    violation(fmt::format("io_getevents returns an event for request {} that has none", id), "");
  r.reaped = true;
  maybe_release(id);
}

}  // namespace models
