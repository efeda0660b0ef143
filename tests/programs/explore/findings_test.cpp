// SPDX-License-Identifier: GPL-2.0-only
// What the explorer finds in the kioctx designs, on the built-in scenarios
// (experiments/scenarios/). Each exploration is exhaustive (DPOR) unless
// bounded on purpose, and takes well under a second.
//
// Where the kernel is correct, every real design and every correct subset of
// the seed's switches explores clean. Where it is not, the explorer reports
// the violation with a counterexample:
//   - gadgetfs (usb-cancel-irq), mm-parent and the seed: a lost result and a
//     NULL/freed iocb->private read in ep_aio_cancel (real kernel races);
//   - lazy_list without zero_alloc (recycle): list_del of LIST_POISON1;
//   - lazy_list off with cancel_xchg off, mm-parent among them (block-cancel-irq):
//     io_cancel of an in-flight request with no cancel method sets
//     KIF_CANCELLED and returns -EINVAL, and its event is dropped: lost;
//     with zero_alloc off as well (recycle, submit-vs-cancel) io_cancel can
//     also find a recycled kiocb by its stale ki_obj.user and lose the new
//     request the same way -- __GFP_ZERO alone closes that form;
//   - broken-irq-unsafe-cancel: IRQ/task self-deadlock on ctx_lock when the
//     UDC IRQ lands on the canceller's CPU;
//   - broken-plain-cancel: clean -- ctx_lock serialises it (see below);
//     broken-plain-cancel-early: a double result, both loads before either store.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/aio/aio.hpp"
#include "models/designs/registry.hpp"
#include "programs/explore/explore.hpp"

namespace ex = programs::explore;

namespace {

const std::string kDir = AIOSIM_SCENARIOS;

ex::Scenario scenario(const std::string& name, std::vector<std::string> sets = {}) {
  return ex::load_scenario(kDir + "/" + name + ".toml", sets);
}

ex::ExploreResult explore(const ex::Scenario& sc, int bound = -1, ex::Reduction r = ex::Reduction::Dpor) {
  ex::ExploreOptions o = ex::options_for(sc);
  o.max_preemptions = bound;
  o.reduction = r;
  return ex::explore_scenario(sc, o);
}

struct Sw {
  bool ll, cl, cx, za;
};
std::vector<Sw> all_subsets() {
  std::vector<Sw> v;
  for (int m = 0; m < 16; ++m) v.push_back({(m & 8) != 0, (m & 4) != 0, (m & 2) != 0, (m & 1) != 0});
  return v;
}
std::vector<std::string> sets_for(const Sw& s) {
  auto b = [](bool x) { return x ? "true" : "false"; };
  return {"kioctx.design=mm-parent", fmt::format("kioctx.lazy_list={}", b(s.ll)),
          fmt::format("kioctx.completion_lock={}", b(s.cl)), fmt::format("kioctx.cancel_xchg={}", b(s.cx)),
          fmt::format("kioctx.zero_alloc={}", b(s.za))};
}
std::string name_of(const Sw& s) {
  return fmt::format("lazy_list={} completion_lock={} cancel_xchg={} zero_alloc={}", s.ll, s.cl, s.cx, s.za);
}

std::set<std::string> headlines(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& v : r.violations) s.insert(v.info.kind + ": " + v.info.headline);
  return s;
}
std::set<std::string> states(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& [k, n] : r.end_states) s.insert(k);
  return s;
}
bool any_state_has(const ex::ExploreResult& r, const std::string& what) {
  for (const auto& [k, n] : r.end_states)
    if (k.find(what) != std::string::npos) return true;
  return false;
}
const ex::FoundViolation* find(const ex::ExploreResult& r, const std::string& part) {
  for (const auto& v : r.violations)
    if (v.info.headline.find(part) != std::string::npos) return &v;
  return nullptr;
}
// The row number of the first trace line matching `re`, or -1.
int row(const std::vector<std::string>& trace, const std::string& re, int from = 0) {
  const std::regex rx(re);
  for (std::size_t i = static_cast<std::size_t>(from); i < trace.size(); ++i)
    if (std::regex_search(trace[i], rx)) return static_cast<int>(i);
  return -1;
}
std::string joined(const std::vector<std::string>& t) {
  std::string s;
  for (const auto& l : t) s += l + "\n";
  return s;
}

void check_clean(const ex::Scenario& sc, const ex::ExploreResult& r) {
  INFO(ex::format_report(sc, ex::options_for(sc), r));
  CHECK(r.exhaustive);
  CHECK(r.violations.empty());
  CHECK_FALSE(r.end_states.empty());
}

const char* const kCancelWins = "io_cancel(req0) = 0; req0: io_cancel; ring []";
const char* const kCompletionWins = "io_cancel(req0) = -22; req0: event(res=4096); ring [req0]";

}  // namespace

// mm-parent is the all-off subset, lazy-cancel the all-on one.
TEST_CASE("every subset of the seed's switches explores clean: async-cancel device vs io_cancel", "[explore][findings]") {
  // Exactly one result, from whichever side wins, and each side does win in
  // some interleaving.
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    ex::Scenario sc = scenario("async-cancel-irq", sets_for(s));
    auto r = explore(sc);
    check_clean(sc, r);
    CHECK(states(r) == std::set<std::string>{kCancelWins, kCompletionWins});
  }
}

TEST_CASE("every subset of the seed's switches explores clean: two completions and a reaper", "[explore][findings]") {
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    ex::Scenario sc = scenario("two-kiocbs", sets_for(s));
    auto r = explore(sc);
    check_clean(sc, r);
    CHECK(r.end_states.size() == 5);  // reaped 2, 1 (either), 0 (ring in either order)
  }
}

TEST_CASE("every subset of the seed's switches explores clean: gadgetfs with its races counted", "[explore][findings]") {
  // No violation but gadgetfs' own (counted), and those are reached: a
  // lost result, a NULL/freed iocb->private.
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    auto sets = sets_for(s);
    sets.push_back("invariants.kernel_races=count");
    ex::Scenario sc = scenario("usb-cancel-irq", sets);
    auto r = explore(sc);
    check_clean(sc, r);
    CHECK(any_state_has(r, "lost 1"));
    // ep_aio_cancel loads iocb->private either after ep_aio_complete's
    // `iocb->private = NULL` (then priv->epdata is a NULL dereference: an
    // oops) or before it, and then priv->epdata after the kfree(priv) that
    // precedes that store (a use-after-free): two different interleavings.
    CHECK(any_state_has(r, "kernel races 1 (oops 1, use-after-free 0)"));
    CHECK(any_state_has(r, "kernel races 1 (oops 0, use-after-free 1)"));
    CHECK(states(r).count(kCancelWins));
    CHECK(states(r).count(kCompletionWins));
  }
}

TEST_CASE("the correct subsets explore clean with a submit racing a cancel, and with a recycled kiocb",
          "[explore][findings]") {
  // A recycled kiocb can only be found by io_cancel of the request it
  // served before if it is listed (lazy_list off: kiocb_batch_refill lists
  // it) while its ki_obj.user still holds the old iocb, i.e. before
  // io_submit_one rewrites it. __GFP_ZERO (zero_alloc) clears ki_obj.user in
  // __aio_get_req, before the listing, so lookup_kiocb compares against 0
  // and then against the new iocb: never the old one. And with cancel_xchg
  // a found kiocb with no cancel method is not marked. So only the subsets
  // with all three off lose a request here (see below).
  for (const Sw& s : all_subsets()) {
    if (!s.ll && !s.cx && !s.za) continue;
    INFO(name_of(s));
    ex::Scenario sc = scenario("submit-vs-cancel", sets_for(s));
    check_clean(sc, explore(sc));
    if (s.ll && !s.za) continue;  // list_del of LIST_POISON1 (see below)
    ex::Scenario rc = scenario("recycle", sets_for(s));
    check_clean(rc, explore(rc));
  }
}

TEST_CASE("io_cancel of an in-flight block request: lost before the seed, harmless after", "[explore][findings]") {
  // A block request has no cancel method. Before the seed (the -mm parent's
  // kiocb_cancel) the kiocb is listed by kiocb_batch_refill, lookup_kiocb
  // finds it while in flight, and kiocbSetCancelled() runs before the test
  // of ki_cancel: -EINVAL, yet marked. aio_complete tests KIF_CANCELLED
  // after its ctx_lock-held list_del (mm-parent: inside the same ctx_lock; with
  // completion_lock: after dropping it), so if io_cancel's lookup comes
  // first the event is dropped: a lost result; if aio_complete's list_del
  // comes first, lookup finds nothing and the event arrives. With lazy_list
  // the block kiocb is never listed; with cancel_xchg kiocb_cancel marks
  // only by cmpxchg on a real method: io_cancel fails, the event arrives.
  const std::string lost_state = "io_cancel(req0) = -22; req0: no result; ring []; lost 1";
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    ex::Scenario sc = scenario("block-cancel-irq", sets_for(s));
    auto r = explore(sc);
    INFO(ex::format_report(sc, ex::options_for(sc), r));
    CHECK(r.exhaustive);
    if (!s.ll && !s.cx) {
      CHECK(headlines(r) == std::set<std::string>{"invariant: request req0 is lost: aio_complete suppressed its event as "
                                                  "cancelled, but io_cancel failed"});
      const ex::FoundViolation* lost = find(r, "is lost");
      REQUIRE(lost);
      const auto& t = lost->trace;
      INFO(joined(t));
      const int found = row(t, R"(lookup_kiocb\s+load\s+kiocb0->ki_obj.user\s+req0)");
      const int marked = row(t, R"(kiocb_cancel\s+atomic\s+kiocb0->ki_flags\s+0 -> 4)");
      const int seen = row(t, R"(aio_complete\s+load\s+kiocb0->ki_flags\s+4)");
      CHECK(found >= 0);
      CHECK(marked > found);
      CHECK(seen > marked);
      // Counted instead of stopping: both outcomes are reachable.
      auto sets = sets_for(s);
      sets.push_back("invariants.kernel_races=count");
      ex::Scenario counted = scenario("block-cancel-irq", sets);
      auto rc = explore(counted);
      check_clean(counted, rc);
      CHECK(states(rc) == std::set<std::string>{kCompletionWins, lost_state});
    } else {
      check_clean(sc, r);
      CHECK(states(r) == std::set<std::string>{kCompletionWins});
    }
  }
}

TEST_CASE("every subset of the seed's switches explores clean with io_destroy racing (gadgetfs races counted)",
          "[explore][findings]") {
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    auto sets = sets_for(s);
    sets.push_back("invariants.kernel_races=count");
    ex::Scenario sc = scenario("usb-cancel-destroy", sets);
    auto r = explore(sc);
    check_clean(sc, r);
    CHECK(any_state_has(r, "dropped by teardown 1"));  // free_ioctx cancelled it
    CHECK(any_state_has(r, "io_cancel(req0) = 0; io_destroy() = 0; req0: io_cancel"));
  }
}

TEST_CASE("gadgetfs: the explorer finds the real lost-result and iocb->private races in mm-parent and the seed",
          "[explore][findings]") {
  for (const char* d : {"mm-parent", "lazy-cancel"}) {
    INFO(d);
    ex::Scenario sc = scenario("usb-cancel-irq", {std::string("kioctx.design=") + d});
    auto r = explore(sc);
    INFO(ex::format_report(sc, ex::options_for(sc), r));
    CHECK(r.exhaustive);
    CHECK(headlines(r) ==
          std::set<std::string>{"invariant: request req0 is lost: aio_complete suppressed its event as cancelled, but io_cancel failed",
                                "invariant: oops: NULL pointer dereference in ep_aio_cancel: priv->epdata with iocb->private == NULL (request req0)",
                                "invariant: use-after-free in ep_aio_cancel: reads priv->epdata of the kiocb_priv ep_aio_complete freed (request req0)"});
    // The lost result: io_cancel marked it cancelled after the UDC interrupt
    // had already taken it off the endpoint queue (udc_irq's give-back), so
    // there was nothing to dequeue; aio_complete then saw it cancelled.
    const ex::FoundViolation* lost = find(r, "is lost");
    REQUIRE(lost);
    const auto& t = lost->trace;
    INFO(joined(t));
    const int mark = std::string(d) == "mm-parent" ? row(t, R"(kiocb_cancel\s+atomic\s+kiocb0->ki_flags\s+0 -> 4)")
                                              : row(t, R"(kiocb_cancel\s+atomic\s+kiocb0->ki_cancel\s+ep_aio_cancel -> KIOCB_CANCELLED)");
    const int giveback = row(t, R"(cpu1/irq\s+udc_irq\s+unlock\s+udc_lock)");
    const int seen = std::string(d) == "mm-parent" ? row(t, R"(aio_complete\s+load\s+kiocb0->ki_flags\s+4)")
                                              : row(t, R"(aio_complete\s+atomic\s+kiocb0->ki_cancel\s+KIOCB_CANCELLED -> KIOCB_CANCELLED)");
    CHECK(mark >= 0);
    CHECK(giveback >= 0);
    CHECK(seen > mark);
    CHECK(seen > giveback);
    CHECK(row(t, "RESULT LOST") >= 0);
    // The NULL read: ep_aio_complete cleared iocb->private before
    // ep_aio_cancel loaded it.
    const ex::FoundViolation* null = find(r, "iocb->private == NULL");
    REQUIRE(null);
    CHECK(row(null->trace, R"(ep_aio_complete\s+store\s+kiocb0->private\s+\(ptr\) -> NULL)") <
          row(null->trace, R"(ep_aio_cancel\s+load\s+kiocb0->private\s+NULL)"));
  }
}

TEST_CASE("broken-plain-cancel is serialised by ctx_lock; moved before the lock it gives a double result",
          "[explore][findings]") {
  SECTION("broken-plain-cancel explores clean everywhere the seed does") {
    for (const char* name : {"async-cancel-irq", "submit-vs-cancel", "recycle", "two-kiocbs"}) {
      INFO(name);
      ex::Scenario sc = scenario(name, {"kioctx.design=broken-plain-cancel"});
      check_clean(sc, explore(sc));
    }
    ex::Scenario sc = scenario("usb-cancel-irq", {"kioctx.design=broken-plain-cancel", "invariants.kernel_races=count"});
    check_clean(sc, explore(sc));
  }
  SECTION("broken-plain-cancel-early: two results, both loads of ki_cancel before either store") {
    ex::Scenario sc = scenario("async-cancel-irq", {"kioctx.design=broken-plain-cancel-early"});
    auto r = explore(sc);
    INFO(ex::format_report(sc, ex::options_for(sc), r));
    CHECK(r.exhaustive);
    REQUIRE(r.violations.size() == 1);
    const auto& v = r.violations[0];
    CHECK(v.info.headline == "request req0 yields a second result");
    const auto& t = v.trace;
    INFO(joined(t));
    const int cancel_load = row(t, R"(kiocb_cancel\s+load\s+kiocb0->ki_cancel\s+acdev_cancel)");
    const int complete_load = row(t, R"(aio_complete\s+load\s+kiocb0->ki_cancel\s+acdev_cancel)");
    // The second store finds KIOCB_CANCELLED already there: it acts on a stale load.
    const int cancel_store = row(t, R"(kiocb_cancel\s+store\s+kiocb0->ki_cancel\s+\S+ -> KIOCB_CANCELLED)");
    const int complete_store = row(t, R"(aio_complete\s+store\s+kiocb0->ki_cancel\s+\S+ -> KIOCB_CANCELLED)");
    REQUIRE(cancel_load >= 0);
    REQUIRE(complete_load >= 0);
    REQUIRE(cancel_store >= 0);
    REQUIRE(complete_store >= 0);
    CHECK(std::max(cancel_load, complete_load) < std::min(cancel_store, complete_store));
    // The first result is io_cancel's; aio_complete then publishes an event too.
    const int first = row(t, "io_cancel returns the result");
    CHECK(first >= 0);
    CHECK(row(t, R"(aio_complete\s+store\s+info->tail)", first) > first);
  }
  SECTION("the same reordering with xchg/cmpxchg is correct") {
    // Test-only control: the seed's aio_complete with its xchg moved before
    // the list_del, like broken-plain-cancel-early but atomic.
    class XchgEarly final : public models::AioDesign {
     public:
      XchgEarly() : AioDesign("xchg-before-list_del", models::Switches{true, true, true, true}) {}
      sim::Task<void> aio_complete(models::kiocb& iocb, long res, long res2) override {
        sim::KernelFunction fn{"aio_complete"};
        models::kioctx& ctx = *iocb.ki_ctx;
        const std::uint64_t id = iocb.ki_user_data;
        const bool cancelled = co_await sim::xchg(iocb.ki_cancel, models::KIOCB_CANCELLED) == models::KIOCB_CANCELLED;
        if (co_await sim::READ_ONCE(iocb.ki_list_next) != models::ListNext::Null) {
          auto f = co_await sim::spin_lock_irqsave(ctx.ctx_lock);
          co_await list_del(iocb, ctx, false);
          co_await sim::spin_unlock_irqrestore(ctx.ctx_lock, f);
        }
        if (cancelled) {
          ledger_->event_suppressed(id, "cancelled");
        } else {
          auto cf = co_await sim::spin_lock_irqsave(ctx.completion_lock);
          unsigned tail = co_await sim::READ_ONCE(ctx.tail);
          const unsigned slot = tail;
          if (++tail >= co_await sim::READ_ONCE(ctx.nr)) tail = 0;
          co_await sim::WRITE_ONCE(ctx.slots[slot], models::io_event{id, id, res, res2});
          co_await sim::WRITE_ONCE(ctx.tail, tail);
          ledger_->ring_event(id, "event");
          co_await sim::WRITE_ONCE(ctx.ring_tail, tail);
          co_await sim::spin_unlock_irqrestore(ctx.completion_lock, cf);
        }
        co_await aio_put_req(iocb);
        co_await sim::atomic_dec(ctx.reqs_active);
        if (co_await sim::waitqueue_active(ctx.wait)) co_await sim::wake_up(ctx.wait);
      }
    };
    ex::Scenario sc = scenario("async-cancel-irq");
    sc.custom_design = [] { return std::make_unique<XchgEarly>(); };
    auto r = explore(sc);
    check_clean(sc, r);
    CHECK(states(r) == std::set<std::string>{kCancelWins, kCompletionWins});
  }
}

TEST_CASE("broken-irq-unsafe-cancel deadlocks when the UDC IRQ lands on the canceller's CPU", "[explore][findings]") {
  auto has_deadlock = [](const ex::ExploreResult& r) {
    for (const auto& v : r.violations)
      if (v.info.kind == "deadlock") return &v;
    return static_cast<const ex::FoundViolation*>(nullptr);
  };
  {
    ex::Scenario sc = scenario("usb-cancel-irq", {"kioctx.design=broken-irq-unsafe-cancel", "context.udc.cpu=0",
                                                  "invariants.kernel_races=count"});
    auto r = explore(sc);
    INFO(ex::format_report(sc, ex::options_for(sc), r));
    const ex::FoundViolation* d = has_deadlock(r);
    REQUIRE(d);
    CHECK(d->info.headline == "deadlock: cpu0/irq spins on ctx_lock held by cpu0/task on the same CPU 0");
    // io_cancel took ctx_lock with plain spin_lock (IRQs on), then the UDC
    // interrupt came on its CPU and aio_complete spun on ctx_lock.
    const auto& t = d->trace;
    INFO(joined(t));
    const int locked = row(t, R"(cpu0/task\s+io_cancel\s+lock\s+ctx->ctx_lock)");
    const int delivered = row(t, R"(cpu0/irq\s+-\s+deliver\s+IRQ udc)");
    CHECK(locked >= 0);
    CHECK(delivered > locked);
    CHECK(row(t, R"(cpu0/task\s+\S+\s+unlock\s+ctx->ctx_lock)") < 0);  // never released before the IRQ
  }
  {
    // The same interrupt on another CPU: no deadlock (the design still
    // returns to user space with IRQs off: spin_unlock after kiocb_cancel's
    // spin_lock_irq).
    ex::Scenario sc = scenario("usb-cancel-irq", {"kioctx.design=broken-irq-unsafe-cancel", "invariants.kernel_races=count"});
    auto r = explore(sc);
    CHECK(r.exhaustive);
    CHECK_FALSE(has_deadlock(r));
    CHECK(headlines(r) == std::set<std::string>{"irq-state: cpu0/task returns to user space with IRQs disabled (after io_cancel(req0))"});
  }
  {
    // The seed's irq-safe io_cancel with the IRQ on the canceller's CPU: fine.
    ex::Scenario sc = scenario("async-cancel-irq", {"context.hw.cpu=0"});
    check_clean(sc, explore(sc));
  }
}

TEST_CASE("the incorrect subsets of the seed's switches, with their counterexamples", "[explore][findings]") {
  for (const Sw& s : all_subsets()) {
    INFO(name_of(s));
    ex::Scenario sc = scenario("recycle", sets_for(s));
    auto r = explore(sc);
    INFO(ex::format_report(sc, ex::options_for(sc), r));
    CHECK(r.exhaustive);
    std::set<std::string> want;
    if (s.ll && !s.za) want.insert("invariant: list_del corruption: kiocb slot 0 has ki_list.next == LIST_POISON1");
    // The stale ki_obj.user needs all three off (see the test above).
    const bool stale = !s.ll && !s.cx && !s.za;
    if (stale) want.insert("invariant: request req1 is lost: its kiocb was freed, user space never got a result");
    CHECK(headlines(r) == want);
    if (s.ll && !s.za) {
      // The recycled kiocb still has list_del's poison: aio_complete takes it
      // for listed and unlinks it again.
      const auto& t = r.violations[0].trace;
      INFO(joined(t));
      CHECK(row(t, R"(aio_complete\s+load\s+kiocb0->ki_list.next\s+LIST_POISON1)") >= 0);
      CHECK(row(t, R"(__aio_get_req\s+store\s+kiocb0->ki_list.next)") < 0);  // not zeroed
    }
    if (stale) {
      // io_cancel of the finished req0 finds the recycled kiocb, listed by
      // kiocb_batch_refill before io_submit_one rewrote ki_obj.user, and
      // marks it cancelled; req1's event is then dropped.
      const auto& t = r.violations[0].trace;
      INFO(joined(t));
      const int listed = row(t, R"(kiocb_batch_refill\s+store\s+kiocb0->ki_list.next)");
      const int found = row(t, R"(lookup_kiocb\s+load\s+kiocb0->ki_obj.user\s+req0)");
      const int marked = row(t, R"(kiocb_cancel\s+atomic\s+kiocb0->ki_flags\s+0 -> 4)");
      const int rewritten = row(t, R"(io_submit_one\s+store\s+kiocb0->ki_obj.user\s+req0 -> req1)");
      CHECK(listed >= 0);
      CHECK(found > listed);
      CHECK(marked > found);
      CHECK(rewritten > found);
    }
    if (stale) {
      // The same with the old request still in flight, its completion racing
      // the cancel: no misuse by user space needed.
      ex::Scenario sv = scenario("submit-vs-cancel", sets_for(s));
      CHECK(headlines(explore(sv)) ==
            std::set<std::string>{"invariant: request req1 is lost: its kiocb was freed, user space never got a result"});
    }
  }
}

TEST_CASE("DPOR reaches what plain enumeration reaches, with far fewer schedules", "[explore][findings]") {
  // Enumerating every interleaving is out of reach (millions of schedules
  // for one io_cancel against one interrupt); under a preemption bound it
  // is not, and DPOR must agree with it there, and cover it unbounded.
  std::uint64_t dpor_total = 0, naive_total = 0;
  for (const auto& [name, sets] : std::vector<std::pair<const char*, std::vector<std::string>>>{
           {"usb-cancel-irq", {}},
           {"usb-cancel-irq", {"invariants.kernel_races=count"}},
           {"async-cancel-irq", {"kioctx.design=broken-plain-cancel-early"}},
           {"usb-cancel-irq", {"kioctx.design=broken-irq-unsafe-cancel", "context.udc.cpu=0"}},
           {"recycle", {"kioctx.design=mm-parent"}}}) {
    INFO(name << " " << (sets.empty() ? "" : sets.back()));
    ex::Scenario sc = scenario(name, sets);
    auto full = explore(sc);
    for (int k = 1; k <= 2; ++k) {
      auto naive = explore(sc, k, ex::Reduction::None);
      auto dpor = explore(sc, k);
      INFO("bound " << k);
      CHECK(states(dpor) == states(naive));
      CHECK(headlines(dpor) == headlines(naive));
      CHECK(dpor.schedules <= naive.schedules);
      dpor_total += dpor.schedules;
      naive_total += naive.schedules;
      CHECK_FALSE(dpor.exhaustive);
      CHECK(dpor.complete_within_bound);
      for (const auto& s : states(naive)) CHECK(states(full).count(s));
      for (const auto& h : headlines(naive)) CHECK(headlines(full).count(h));
    }
  }
  CHECK(dpor_total * 4 < naive_total);
}

TEST_CASE("the report says what was explored and whether exhaustively", "[explore][findings]") {
  ex::Scenario sc = scenario("async-cancel-irq", {"kioctx.design=broken-plain-cancel-early"});
  ex::ExploreOptions o = ex::options_for(sc);
  std::string full = ex::format_report(sc, o, ex::explore_scenario(sc, o));
  CHECK(full.find("exhaustive yes:") != std::string::npos);
  CHECK(full.find("violations 1 distinct") != std::string::npos);
  CHECK(full.find("invariant: request req0 yields a second result") != std::string::npos);
  // A numbered step list: #, context, function, operation, object, before -> after.
  CHECK(std::regex_search(full, std::regex(R"(\n\s+1\s+cpu0/task\s+\(user\)\s+start\s+io_cancel\(req0\))")));
  CHECK(std::regex_search(full, std::regex(R"(\d+\s+cpu1/irq\s+aio_complete\s+store\s+kiocb0->ki_cancel\s+acdev_cancel -> KIOCB_CANCELLED)")));
  o.max_preemptions = 1;
  std::string bounded = ex::format_report(sc, o, ex::explore_scenario(sc, o));
  CHECK(bounded.find("exhaustive no: complete only up to 1 preemption") != std::string::npos);
  o.max_preemptions = -1;
  o.max_schedules = 2;
  std::string cut = ex::format_report(sc, o, ex::explore_scenario(sc, o));
  CHECK(cut.find("exhaustive NO: stopped after 2 schedules") != std::string::npos);
}
