// SPDX-License-Identifier: GPL-2.0-only
// The DPOR engine on toy programs, against plain enumeration of every
// interleaving: it must reach exactly the same end states and the same
// violations (deadlocks), with fewer schedules; and bounded, the same as
// enumeration under the same preemption bound.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/mc/dpor.hpp"
#include "sim/mc/parallel.hpp"
#include "sim/rng.hpp"

namespace ex = sim::mc;

namespace {

// A toy shared-memory program: per process a list of operations on shared
// integer variables and locks, with one register per process.
struct Op {
  enum Kind { Read, Write, Add, Lock, Unlock, Check } kind;
  int var;  // variable or lock
  int val;  // Write: stores reg + val; Add: atomic x += val; Check: a violation if x == val
};
using Program = std::vector<std::vector<Op>>;

class Toy final : public ex::System {
 public:
  explicit Toy(const Program& p, int vars, int locks)
      : prog_(p), pc_(p.size(), 0), reg_(p.size(), 0), x_(vars, 0), holder_(locks, -1) {}
  int processes() const override { return static_cast<int>(prog_.size()); }
  std::string process_name(int p) const override { return fmt::format("P{}", p); }
  bool has_next(int p) const override { return pc_[p] < prog_[p].size(); }
  bool enabled(int p) const override {
    if (!has_next(p)) return false;
    const Op& o = prog_[p][pc_[p]];
    return o.kind != Op::Lock || holder_[o.var] < 0;
  }
  ex::Footprint next_footprint(int p) const override {
    ex::Footprint f;
    const Op& o = prog_[p][pc_[p]];
    if (o.kind == Op::Lock) f.add(1000 + o.var, true, ex::LockOp::Acquire);
    else if (o.kind == Op::Unlock) f.add(1000 + o.var, true, ex::LockOp::Release);
    else f.add(o.var, o.kind != Op::Read);
    return f;
  }
  std::uint64_t next_signature(int p) const override { return pc_[p] + 1; }
  ex::Footprint execute(int p) override {
    ex::Footprint f = next_footprint(p);
    const Op& o = prog_[p][pc_[p]++];
    switch (o.kind) {
      case Op::Read: reg_[p] = x_[o.var]; break;
      case Op::Write: x_[o.var] = reg_[p] + o.val; break;
      case Op::Add: x_[o.var] += o.val; break;
      case Op::Lock: holder_[o.var] = p; break;
      case Op::Unlock:
        if (holder_[o.var] != p) throw ex::ViolationError{{"lock-ownership", "unlock of a lock not held", ""}};
        holder_[o.var] = -1;
        break;
      case Op::Check:
        if (x_[o.var] == o.val) throw ex::ViolationError{{"invariant", fmt::format("P{} saw x{} == {}", p, o.var, o.val), ""}};
        break;
    }
    trace_.push_back(fmt::format("P{}#{}", p, pc_[p]));
    return f;
  }
  std::optional<ex::ViolationInfo> at_end() override {
    for (std::size_t p = 0; p < prog_.size(); ++p)
      if (has_next(static_cast<int>(p))) return ex::ViolationInfo{"global-deadlock", "deadlock", ""};
    return std::nullopt;
  }
  std::string end_state() const override {
    std::string s;
    for (int v : x_) s += fmt::format("{} ", v);
    s += "|";
    for (int r : reg_) s += fmt::format(" {}", r);
    return s;
  }
  std::vector<std::string> trace() const override { return trace_; }

 private:
  const Program& prog_;
  std::vector<std::size_t> pc_;
  std::vector<int> reg_, x_, holder_;
  std::vector<std::string> trace_;
};

ex::ExploreResult run(const Program& p, int vars, int locks, ex::Reduction r, int bound = -1, bool sleep = true,
                     bool optimal = true) {
  ex::ExploreOptions o;
  o.reduction = r;
  o.max_preemptions = bound;
  o.sleep_sets = sleep;
  o.optimal = optimal;
  return ex::explore([&](bool) { return std::make_unique<Toy>(p, vars, locks); }, o);
}

std::set<std::string> states(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& [k, n] : r.end_states) s.insert(k);
  return s;
}
std::set<std::string> violations(const ex::ExploreResult& r) {
  std::set<std::string> s;
  for (const auto& v : r.violations) s.insert(v.info.headline);
  return s;
}

std::string show(const Program& p) {
  std::string s;
  for (std::size_t i = 0; i < p.size(); ++i) {
    s += fmt::format("P{}:", i);
    for (const Op& o : p[i]) {
      const char* k[] = {"rd", "wr", "add", "lock", "unlock", "check"};
      s += fmt::format(" {}({},{})", k[o.kind], o.var, o.val);
    }
    s += "\n";
  }
  return s;
}

// The number of Mazurkiewicz traces of a toy program, computed without the
// explorer: every maximal interleaving by depth-first search over copies of
// the program's state, each reduced to its Foata normal form (the
// transitions in layers: a transition's layer is one more than that of the
// latest earlier transition of the same process or dependent with it; a
// layer is a set). Two interleavings are equivalent exactly when their Foata
// normal forms are equal.
using Seq = std::vector<std::pair<int, ex::Footprint>>;

std::string foata(const Seq& s) {
  std::vector<int> layer(s.size(), 0), nth(s.size(), 0);
  std::vector<int> count(64, 0);
  int layers = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    nth[k] = count[s[k].first]++;
    for (std::size_t j = 0; j < k; ++j)
      if (s[j].first == s[k].first || ex::dependent(s[j].second, s[k].second)) layer[k] = std::max(layer[k], layer[j] + 1);
    layers = std::max(layers, layer[k] + 1);
  }
  std::string out;
  for (int l = 0; l < layers; ++l) {
    std::set<std::string> in;
    for (std::size_t k = 0; k < s.size(); ++k)
      if (layer[k] == l) in.insert(fmt::format("P{}.{}", s[k].first, nth[k]));
    out += "[";
    for (const std::string& e : in) out += e + " ";
    out += "]";
  }
  return out;
}

void all_traces(const Toy& t, Seq& seq, std::set<std::string>& classes) {
  bool any = false;
  for (int p = 0; p < t.processes(); ++p) {
    if (!t.enabled(p)) continue;
    any = true;
    Toy u = t;
    bool ended = false;
    try {
      seq.push_back({p, u.execute(p)});
    } catch (const ex::ViolationError&) {
      seq.push_back({p, t.next_footprint(p)});
      ended = true;
    }
    if (ended) classes.insert(foata(seq));
    else all_traces(u, seq, classes);
    seq.pop_back();
  }
  if (!any) classes.insert(foata(seq));
}

std::size_t count_traces(const Program& p, int vars, int locks) {
  Toy t(p, vars, locks);
  Seq seq;
  std::set<std::string> classes;
  all_traces(t, seq, classes);
  return classes.size();
}

Op rd(int v) { return {Op::Read, v, 0}; }
Op wr(int v, int k) { return {Op::Write, v, k}; }
Op add(int v, int k) { return {Op::Add, v, k}; }
Op lk(int l) { return {Op::Lock, l, 0}; }
Op ul(int l) { return {Op::Unlock, l, 0}; }
Op chk(int v, int bad) { return {Op::Check, v, bad}; }

}  // namespace

TEST_CASE("DPOR finds the lost update of a racy increment, as enumeration does", "[explore][dpor]") {
  const Program p = {{rd(0), wr(0, 1)}, {rd(0), wr(0, 1)}};
  auto all = run(p, 1, 0, ex::Reduction::None);
  auto dpor = run(p, 1, 0, ex::Reduction::Dpor);
  CHECK(all.schedules == 6);
  CHECK(states(all) == std::set<std::string>{"1 | 0 0", "2 | 0 1", "2 | 1 0", "1 | 0 0"});
  CHECK(states(dpor) == states(all));
  CHECK(dpor.exhaustive);
  CHECK(dpor.schedules < all.schedules);
  // By hand: the two reads commute, nothing else does. Of the 6
  // interleavings, r0 r1 w0 w1 = r1 r0 w0 w1 and r0 r1 w1 w0 = r1 r0 w1 w0:
  // 4 traces, and optimal DPOR runs each once.
  CHECK(count_traces(p, 1, 0) == 4);
  CHECK(dpor.schedules == 4);
  CHECK(dpor.sleep_blocked == 0);
}

TEST_CASE("DPOR runs independent processes once", "[explore][dpor]") {
  // Three processes on three private variables: one Mazurkiewicz trace.
  const Program p = {{wr(0, 1), wr(0, 2), wr(0, 3)}, {wr(1, 1), wr(1, 2), wr(1, 3)}, {wr(2, 1), wr(2, 2), wr(2, 3)}};
  auto dpor = run(p, 3, 0, ex::Reduction::Dpor);
  CHECK(dpor.schedules == 1);
  CHECK(dpor.sleep_blocked == 0);
  auto all = run(p, 3, 0, ex::Reduction::None);
  CHECK(all.schedules == 1680);  // 9! / (3! 3! 3!)
  CHECK(states(all) == states(dpor));
}

TEST_CASE("DPOR orders critical sections both ways and finds a lock-order deadlock", "[explore][dpor]") {
  SECTION("locked increments: always 2, two orders") {
    const Program p = {{lk(0), rd(0), wr(0, 1), ul(0)}, {lk(0), rd(0), wr(0, 1), ul(0)}};
    auto dpor = run(p, 1, 1, ex::Reduction::Dpor);
    CHECK(states(dpor) == std::set<std::string>{"2 | 0 1", "2 | 1 0"});
    CHECK(dpor.violations.empty());
  }
  SECTION("AB/BA: the deadlock is found, with its shortest schedule") {
    const Program p = {{lk(0), lk(1), ul(1), ul(0)}, {lk(1), lk(0), ul(0), ul(1)}};
    auto all = run(p, 0, 2, ex::Reduction::None);
    auto dpor = run(p, 0, 2, ex::Reduction::Dpor);
    REQUIRE(violations(all) == std::set<std::string>{"deadlock"});
    REQUIRE(violations(dpor) == violations(all));
    CHECK(dpor.violations[0].shortest.size() == 2);  // each takes its first lock
    CHECK(states(dpor) == states(all));
  }
}

TEST_CASE("DPOR agrees with enumeration on random programs", "[explore][dpor]") {
  // Each program: 2-3 processes of 1-4 operations on 2 variables and 1 lock
  // (lock/unlock balanced), reads feeding writes through the register.
  // AIOSIM_DPOR_FUZZ="programs seed" runs a longer campaign.
  int programs = 300;
  std::uint64_t seed = 12345;
  if (const char* f = std::getenv("AIOSIM_DPOR_FUZZ")) std::sscanf(f, "%d %lu", &programs, &seed);
  sim::Rng rng(seed, "dpor-random");
  int checked = 0, pruned = 0;
  for (int t = 0; t < programs; ++t) {
    Program p(2 + rng.below(2));
    for (auto& proc : p) {
      const int n = 1 + static_cast<int>(rng.below(4));
      const bool locked = rng.below(3) == 0;
      if (locked) proc.push_back(lk(0));
      for (int i = 0; i < n; ++i) {
        const int v = static_cast<int>(rng.below(2));
        switch (rng.below(3)) {
          case 0: proc.push_back(rd(v)); break;
          case 1: proc.push_back(wr(v, 1 + static_cast<int>(rng.below(3)))); break;
          default: proc.push_back(add(v, 1)); break;
        }
      }
      if (locked) proc.push_back(ul(0));
    }
    auto all = run(p, 2, 1, ex::Reduction::None);
    auto dpor = run(p, 2, 1, ex::Reduction::Dpor);
    auto nosleep = run(p, 2, 1, ex::Reduction::Dpor, -1, false);
    auto source = run(p, 2, 1, ex::Reduction::Dpor, -1, true, false);
    INFO("program " << t << "\n" << show(p));
    REQUIRE(states(dpor) == states(all));
    REQUIRE(violations(dpor) == violations(all));
    REQUIRE(states(nosleep) == states(all));
    REQUIRE(states(source) == states(all));
    REQUIRE(dpor.schedules <= all.schedules);
    // Optimal DPOR: one schedule per Mazurkiewicz trace, none cut short.
    const std::size_t traces = count_traces(p, 2, 1);
    REQUIRE(dpor.schedules == traces);
    REQUIRE(dpor.sleep_blocked == 0);
    REQUIRE(source.schedules >= traces);
    for (int k = 0; k <= 2; ++k) {
      auto nb = run(p, 2, 1, ex::Reduction::None, k);
      auto db = run(p, 2, 1, ex::Reduction::Dpor, k);
      INFO("bound " << k);
      REQUIRE(states(db) == states(nb));
      REQUIRE(violations(db) == violations(nb));
      CHECK_FALSE(db.exhaustive);
    }
    ++checked;
    if (dpor.schedules < all.schedules) ++pruned;
  }
  CHECK(checked == programs);
  CHECK(pruned > programs / 3);  // the reduction does reduce
}

// A schedule ends at its first violation. The processes still enabled there
// never ran in it, so the races of their transitions must still be explored
// (docs/explorer.md, "A schedule cut short by a violation").
TEST_CASE("DPOR explores the other processes of a schedule a violation ends", "[explore][dpor]") {
  SECTION("by hand: the check fails only if it runs before the write") {
    // P0 checks x0 != 0; P1 writes x0 = 1. Two traces: P0 first (the
    // violation), P1 first (P0's check passes; end state x0 = 1).
    const Program p = {{chk(0, 0)}, {wr(0, 1)}};
    auto dpor = run(p, 1, 0, ex::Reduction::Dpor);
    CHECK(violations(dpor) == std::set<std::string>{"P0 saw x0 == 0"});
    CHECK(states(dpor) == std::set<std::string>{"1 | 0 0"});
    CHECK(dpor.schedules == 2);
    CHECK(dpor.sleep_blocked == 0);
  }
  SECTION("by hand: a second violation behind the first") {
    // P0: x1 = 1, then checks x0 != 0 (fails unless P1 ran first).
    // P1: checks x1 != 1 (fails once P0's write ran), then x0 = 1.
    // P0's write runs first in the first schedule, and P0's check fails
    // before P1 has run a step; P1 first gives a clean run (x0 = x1 = 1);
    // P0's write, then P1's check, fails P1.
    const Program p = {{wr(1, 1), chk(0, 0)}, {chk(1, 1), wr(0, 1)}};
    auto all = run(p, 2, 0, ex::Reduction::None);
    auto dpor = run(p, 2, 0, ex::Reduction::Dpor);
    REQUIRE(violations(all) == std::set<std::string>{"P0 saw x0 == 0", "P1 saw x1 == 1"});
    CHECK(violations(dpor) == violations(all));
    CHECK(states(dpor) == states(all));
  }
  SECTION("random programs with checks: the same violations and end states as enumeration") {
    sim::Rng rng(4242, "dpor-random-checks");
    int programs = 300;
    if (const char* f = std::getenv("AIOSIM_DPOR_FUZZ")) std::sscanf(f, "%d", &programs);
    for (int t = 0; t < programs; ++t) {
      Program p(2 + rng.below(2));
      for (auto& proc : p) {
        const int n = 1 + static_cast<int>(rng.below(4));
        for (int i = 0; i < n; ++i) {
          const int v = static_cast<int>(rng.below(2));
          switch (rng.below(4)) {
            case 0: proc.push_back(rd(v)); break;
            case 1: proc.push_back(wr(v, 1 + static_cast<int>(rng.below(2)))); break;
            case 2: proc.push_back(add(v, 1)); break;
            default: proc.push_back(chk(v, static_cast<int>(rng.below(3)))); break;
          }
        }
      }
      auto all = run(p, 2, 0, ex::Reduction::None);
      auto dpor = run(p, 2, 0, ex::Reduction::Dpor);
      auto source = run(p, 2, 0, ex::Reduction::Dpor, -1, true, false);
      INFO("program " << t << "\n" << show(p));
      REQUIRE(violations(dpor) == violations(all));
      REQUIRE(states(dpor) == states(all));
      REQUIRE(violations(source) == violations(all));
      REQUIRE(states(source) == states(all));
      REQUIRE(dpor.schedules <= all.schedules);
    }
  }
}

TEST_CASE("random walks: seeded, and their coverage statement on a program whose traces are known", "[explore][dpor][random]") {
  // The racy increment: 6 interleavings, 4 traces (see above).
  const Program p = {{rd(0), wr(0, 1)}, {rd(0), wr(0, 1)}};
  auto walk = [&](std::uint64_t n, std::uint64_t seed) {
    ex::ExploreOptions o;
    o.reduction = ex::Reduction::Random;
    o.random_walks = n;
    o.seed = seed;
    return ex::explore([&](bool) { return std::make_unique<Toy>(p, 1, 0); }, o);
  };
  auto a = walk(4000, 7), b = walk(4000, 7), c = walk(4000, 8);
  CHECK(a.schedules == 4000);
  CHECK_FALSE(a.exhaustive);
  CHECK(a.end_states == b.end_states);  // same seed, same walks
  CHECK(a.end_states != c.end_states);  // another seed, other counts
  CHECK(states(a) == states(run(p, 1, 0, ex::Reduction::None)));
  // Every trace is hit many times: all 4 covered, Chao1 adds nothing, and
  // no walk is expected to find a new one.
  CHECK(a.traces_covered == 4);
  CHECK(a.traces_estimated == Approx(4));
  CHECK(a.new_trace_chance == 0);
  // Knuth's estimator is unbiased for the number of interleavings (6): the
  // product of the branching degrees is 4 or 8 along each walk.
  CHECK(a.interleavings_estimated > 5.7);
  CHECK(a.interleavings_estimated < 6.3);
  // Few walks on a program with many traces: some seen once, more estimated
  // than seen. Three processes on one variable: 9!/(3!3!3!) interleavings.
  const Program q = {{add(0, 1), add(0, 2), add(0, 3)}, {add(0, 4), add(0, 5), add(0, 6)}, {add(0, 7), add(0, 8), add(0, 9)}};
  ex::ExploreOptions o;
  o.reduction = ex::Reduction::Random;
  o.random_walks = 50;
  auto few = ex::explore([&](bool) { return std::make_unique<Toy>(q, 1, 0); }, o);
  CHECK(few.traces_covered > 10);
  CHECK(few.traces_estimated > static_cast<double>(few.traces_covered));
  CHECK(few.new_trace_chance > 0.2);
}

namespace {

// Everything an exploration reports but its time and how -j split the work.
void require_same_result(const ex::ExploreResult& a, const ex::ExploreResult& b) {
  CHECK(a.schedules == b.schedules);
  CHECK(a.sleep_blocked == b.sleep_blocked);
  CHECK(a.transitions == b.transitions);
  CHECK(a.restores == b.restores);
  CHECK(a.wakeup_dropped == b.wakeup_dropped);
  CHECK(a.pruned_by_bound == b.pruned_by_bound);
  CHECK(a.max_depth_seen == b.max_depth_seen);
  CHECK(a.exhaustive == b.exhaustive);
  CHECK(a.traces_covered == b.traces_covered);
  CHECK(a.end_states == b.end_states);
  REQUIRE(a.violations.size() == b.violations.size());
  for (std::size_t i = 0; i < a.violations.size(); ++i) {
    CHECK(a.violations[i].info.headline == b.violations[i].info.headline);
    CHECK(a.violations[i].schedules == b.violations[i].schedules);
    CHECK(a.violations[i].shortest == b.violations[i].shortest);
    CHECK(a.violations[i].trace == b.violations[i].trace);
  }
}

ex::ExploreResult run_jobs(const Program& p, ex::ExploreOptions o, int jobs) {
  o.jobs = jobs;
  o.min_spec_schedules = 0;  // workers take even the smallest subtrees
  o.count_traces = true;
  return ex::explore([&](bool) { return std::make_unique<Toy>(p, 2, 1); }, o);
}

}  // namespace

TEST_CASE("parallel exploration: -j 2 and -j 3 explore exactly what -j 1 explores on random programs", "[explore][dpor][jobs]") {
  // Programs of 3 processes of 2-4 operations (some checks, which end a
  // schedule with a violation), under every reduction the workers can run:
  // optimal DPOR, source-DPOR, bounded DPOR, plain enumeration.
  // AIOSIM_DPOR_JOBS_FUZZ="programs seed" runs a longer campaign.
  int programs = 40;
  std::uint64_t seed = 4242;
  if (const char* f = std::getenv("AIOSIM_DPOR_JOBS_FUZZ")) std::sscanf(f, "%d %lu", &programs, &seed);
  sim::Rng rng(seed, "dpor-jobs-random");
  std::map<std::string, std::uint64_t> used;  // reduction -> subtrees whose worker's answer was used
  for (int t = 0; t < programs; ++t) {
    Program p(3);
    for (auto& proc : p) {
      const int n = 2 + static_cast<int>(rng.below(3));
      const bool locked = rng.below(3) == 0;
      if (locked) proc.push_back(lk(0));
      for (int i = 0; i < n; ++i) {
        const int v = static_cast<int>(rng.below(2));
        switch (rng.below(5)) {
          case 0: proc.push_back(rd(v)); break;
          case 1: case 2: proc.push_back(wr(v, 1 + static_cast<int>(rng.below(3)))); break;
          case 3: proc.push_back(add(v, 1)); break;
          default: proc.push_back(chk(v, 3)); break;
        }
      }
      if (locked) proc.push_back(ul(0));
    }
    INFO("program " << t << "\n" << show(p));
    std::vector<std::pair<const char*, ex::ExploreOptions>> modes(4);
    modes[0].first = "optimal DPOR";
    modes[1].first = "source-DPOR";
    modes[1].second.optimal = false;
    modes[2].first = "DPOR bounded to 1 preemption";
    modes[2].second.max_preemptions = 1;
    modes[3].first = "every interleaving";
    modes[3].second.reduction = ex::Reduction::None;
    for (const auto& [name, o] : modes) {
      INFO(name);
      const ex::ExploreResult one = run_jobs(p, o, 1);
      for (int jobs : {2, 3}) {
        INFO("-j " << jobs);
        const ex::ExploreResult r = run_jobs(p, o, jobs);
        require_same_result(one, r);
        used[name] += r.worker_subtrees;
      }
    }
  }
  // The workers did explore, under every reduction: their answers were used.
  CHECK(used.size() == 4);
  for (const auto& [name, n] : used) {
    INFO(name);
    CHECK(n >= static_cast<std::uint64_t>(programs));
  }
}

namespace {

// A Toy that is killed (SIGKILL) on its first step in any process but the
// test's own: every worker of an exploration dies.
class DiesInWorker final : public ex::System {
 public:
  DiesInWorker(const Program& p, pid_t main) : toy_(p, 1, 0), main_(main) {}
  int processes() const override { return toy_.processes(); }
  std::string process_name(int p) const override { return toy_.process_name(p); }
  bool has_next(int p) const override { return toy_.has_next(p); }
  bool enabled(int p) const override { return toy_.enabled(p); }
  ex::Footprint next_footprint(int p) const override { return toy_.next_footprint(p); }
  std::uint64_t next_signature(int p) const override { return toy_.next_signature(p); }
  ex::Footprint execute(int p) override {
    if (::getpid() != main_) ::raise(SIGKILL);
    return toy_.execute(p);
  }
  std::optional<ex::ViolationInfo> at_end() override { return toy_.at_end(); }
  std::string end_state() const override { return toy_.end_state(); }

 private:
  Toy toy_;
  pid_t main_;
};

}  // namespace

TEST_CASE("parallel exploration: a worker that is killed is reported, and no worker is left behind", "[explore][dpor][jobs]") {
  // Three processes racing on x: 90 schedules, many subtrees to give away.
  const Program p = {{wr(0, 1), wr(0, 2)}, {wr(0, 3), wr(0, 4)}, {wr(0, 5), wr(0, 6)}};
  const pid_t main = ::getpid();
  ex::ExploreOptions o;
  o.jobs = 2;
  o.min_spec_schedules = 0;
  std::string what;
  try {
    ex::explore([&](bool) { return std::make_unique<DiesInWorker>(p, main); }, o);
  } catch (const sim::mc::parallel::WorkerFailed& e) {
    what = e.what();
  }
  CHECK(what.find("was killed by signal 9") != std::string::npos);
  CHECK(what.find("before sending its result") != std::string::npos);
  // Every worker was reaped: this process has no child left, running or zombie.
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  // The same program explored in one process: 90 = 6! / (2! 2! 2!) orders of the writes.
  o.jobs = 1;
  CHECK(ex::explore([&](bool) { return std::make_unique<DiesInWorker>(p, main); }, o).schedules == 90);
}
