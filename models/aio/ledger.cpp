#include "models/aio/ledger.hpp"

#include <fmt/format.h>

#include "sim/context.hpp"
#include "sim/violation.hpp"

namespace models {

sim::Time Ledger::now() const { return sim::current_context ? sim::current_context->local : 0; }

std::uint64_t Ledger::submit(sim::Time at) {
  Req r;
  r.submitted = at;
  reqs_.push_back(r);
  ++counts_.submitted;
  return reqs_.size() - 1;
}

std::uint64_t Ledger::in_flight() const {
  return counts_.submitted - counts_.results - counts_.lost - counts_.teardown_dropped;
}

void Ledger::violation(const std::string& headline, const std::string& details) {
  ++counts_.violations;
  if (report_) report_(report_arg_, headline, details);
  throw sim::Violation(sim::ViolationKind::Invariant, headline, details);
}

void Ledger::deliver(std::uint64_t id, const char* path, bool from_cancel) {
  Req& r = reqs_.at(id);
  if (torn_down_)
    violation(fmt::format("request {} yields a result after io_destroy finished", id),
              fmt::format("  path: {}\n", path));
  if (r.results > 0) {
    ++counts_.duplicates;
    violation(fmt::format("request {} yields a second result", id),
              fmt::format("  first:  {}\n  second: {}\n  at {:.3f} ns\n", r.first_path ? r.first_path : "?", path,
                          sim::to_ns(now())));
  }
  ++r.results;
  r.first_path = path;
  r.result_at = now();
  ++counts_.results;
  if (from_cancel) ++counts_.cancel_results;
  else ++counts_.ring_events;
  if (counts_.results == target_ && target_fn_) target_fn_(target_arg_);
}

void Ledger::ring_event(std::uint64_t id, const char* path) { deliver(id, path, false); }

void Ledger::event_suppressed(std::uint64_t id, const char*) {
  Req& r = reqs_.at(id);
  r.suppressed = true;
  if (r.teardown && r.results == 0) {
    ++counts_.teardown_dropped;
    return;
  }
  check_lost(id);
}

void Ledger::cancel_started(std::uint64_t id) { reqs_.at(id).cancel_in_progress = true; }

void Ledger::cancel_returned(std::uint64_t id, long ret) {
  Req& r = reqs_.at(id);
  r.cancel_in_progress = false;
  if (ret == 0) {
    deliver(id, "io_cancel returned 0 (result copied to user)", true);
    return;
  }
  r.cancel_failed = true;
  check_lost(id);
}

void Ledger::not_submitted(std::uint64_t id) {
  (void)reqs_.at(id);
  --counts_.submitted;
}

// aio_complete dropped the event because the request was marked cancelled,
// and io_cancel did not report success: user space hears nothing of it.
void Ledger::check_lost(std::uint64_t id) {
  Req& r = reqs_.at(id);
  if (!(r.suppressed && r.cancel_failed) || r.results > 0 || r.cancel_in_progress) return;
  ++counts_.lost;
  if (lost_policy_ == LostPolicy::Count) return;
  violation(fmt::format("request {} is lost: aio_complete suppressed its event as cancelled, "
                        "but io_cancel failed",
                        id),
            "  (the io_cancel / completion race of gadgetfs: the UDC gave the request back before\n"
            "   kiocb_cancel marked it cancelled, so usb_ep_dequeue found nothing to dequeue)\n");
}

void Ledger::reaped(std::uint64_t id) {
  ++counts_.reaped;
  Req& r = reqs_.at(id);
  if (r.results == 0)
    violation(fmt::format("io_getevents returns an event for request {} that has none", id), "");
}

}  // namespace models
