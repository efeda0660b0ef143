// SPDX-License-Identifier: GPL-2.0-only
#include "sim/mc/dpor.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/mc/arena_system.hpp"
#include "sim/mc/parallel.hpp"
#include "sim/rng.hpp"

namespace sim::mc {

namespace {
std::uint64_t obj_bit(ObjKey k) { return std::uint64_t{1} << ((k * 0x9e3779b97f4a7c15ull) >> 58); }
}  // namespace

void Footprint::add(ObjKey k, bool write, LockOp lock) {
  objs |= obj_bit(k);
  for (Access& a : acc)
    if (a.obj == k) {
      a.write = a.write || write;
      if (lock != LockOp::None) a.lock = lock;
      return;
    }
  acc.push_back({k, write, lock});
}

void Footprint::merge(const Footprint& o) {
  global = global || o.global;
  if (o.exclusive_task >= 0) exclusive_task = o.exclusive_task;
  if (o.exclusive_handler >= 0) exclusive_handler = o.exclusive_handler;
  for (const Access& a : o.acc) add(a.obj, a.write, a.lock);
}

bool Footprint::operator==(const Footprint& o) const {
  if (global != o.global || acc.size() != o.acc.size() || exclusive_task != o.exclusive_task ||
      exclusive_handler != o.exclusive_handler)
    return false;
  for (const Access& a : acc) {
    auto it = std::find_if(o.acc.begin(), o.acc.end(), [&](const Access& b) { return b.obj == a.obj; });
    if (it == o.acc.end() || it->write != a.write || it->lock != a.lock) return false;
  }
  return true;
}

bool dependent(const Footprint& a, const Footprint& b) {
  if (a.global || b.global) return true;
  if (!(a.objs & b.objs)) return false;
  for (const Access& x : a.acc)
    for (const Access& y : b.acc)
      if (x.obj == y.obj && (x.write || y.write)) return true;
  return false;
}

bool reversible(const Footprint& earlier, const Footprint& later) {
  if (earlier.global || later.global) return true;
  if (!(earlier.objs & later.objs)) return false;
  for (const Access& x : earlier.acc)
    for (const Access& y : later.acc)
      if (x.obj == y.obj && (x.write || y.write) && !(x.lock == LockOp::Release && y.lock == LockOp::Acquire))
        return true;
  return false;
}

Conflict conflict(const Footprint& earlier, const Footprint& later) {
  Conflict c;
  if (earlier.global || later.global) {
    c.data = true;
    return c;
  }
  if (!(earlier.objs & later.objs)) return c;
  for (const Access& x : earlier.acc)
    for (const Access& y : later.acc) {
      if (x.obj != y.obj || !(x.write || y.write)) continue;
      if (x.lock == LockOp::Release && y.lock == LockOp::Acquire) c.ordered_only = true;
      else if (x.lock != LockOp::None && y.lock != LockOp::None) c.lock = true;
      else c.data = true;
    }
  if (c.lock || c.data) c.ordered_only = false;
  return c;
}

bool may_be_coenabled(const Footprint& a, const Footprint& b) {
  if (a.exclusive_task >= 0 && a.exclusive_task == b.exclusive_handler) return false;
  if (b.exclusive_task >= 0 && b.exclusive_task == a.exclusive_handler) return false;
  return true;
}

namespace {

using Mask = std::uint64_t;
constexpr int kMaxProcs = 64;
inline Mask bit(int p) { return Mask{1} << p; }

// One entry per process; inline up to 16 processes (the built-in scenarios
// have at most 7), so clocks are copied without heap allocations.
using Clock = boost::container::small_vector<std::uint32_t, 16>;

struct Event {
  int proc = -1;
  int prev = -1;  // the previous event of the same process, or -1 (the scans walk each process's events)
  Footprint fp;
  Clock clock;
};

// A wakeup tree (Abdulla et al., POPL 2014): sequences of transitions to
// explore from a node, sharing prefixes; children in insertion order.
struct WakeupNode {
  int proc = -1;
  Footprint fp;
  std::vector<WakeupNode> kids;
};

// A sequence v to be inserted: a process and its transition's footprint.
struct Item {
  int proc;
  const Footprint* fp;
};

struct Node {
  std::vector<WakeupNode> wut;  // optimal DPOR: what remains to explore here
  Mask enabled = 0;
  Mask backtrack = 0;
  Mask done = 0;
  std::vector<std::pair<int, Footprint>> sleep;
  // Sleeping processes whose next transition is known to end the schedule
  // with a violation (the key of found_): it did when it ran here or at an
  // ancestor, and every event since is independent of it.
  std::vector<std::pair<int, std::string>> doomed;
  int chosen = -1;
  std::string chosen_violation;  // the chosen transition ended the schedule with this violation
  int last_proc = -1;
  int preemptions = 0;
  Mask pruned = 0;  // choices dropped by the preemption bound
  std::vector<std::uint64_t> sig;  // next_signature per process (0: no next transition)
  std::vector<Footprint> pend;     // what is known of each process's next transition
  std::uint64_t branch_from = 0;   // -j N: schedules explored when `chosen` was taken

  // Back to a fresh node's state but for sig and pend, which make_node
  // assigns whole; the buffers stay (see NodeStack).
  void reset() {
    wut.clear();
    enabled = backtrack = done = pruned = 0;
    sleep.clear();
    doomed.clear();
    chosen = last_proc = -1;
    chosen_violation.clear();
    preemptions = 0;
    branch_from = 0;
  }
};

// The nodes of the current schedule. A node cut off by a backtrack keeps its
// buffers (its sleep set, pending footprints, signatures) for the next node
// made at that depth: schedules are short and run in the hundreds of
// thousands, and allocating those anew for every node was a tenth of the
// exploration's time.
class NodeStack {
 public:
  std::size_t size() const noexcept { return n_; }
  Node& operator[](std::size_t i) noexcept { return v_[i]; }
  const Node& operator[](std::size_t i) const noexcept { return v_[i]; }
  Node& at(std::size_t i) {
    if (i >= n_) throw std::out_of_range("NodeStack::at");
    return v_[i];
  }
  Node& back() noexcept { return v_[n_ - 1]; }
  // Makes room for the node after the last one. It may move the nodes:
  // references taken after it stay valid until the next call.
  void reserve_next() {
    if (v_.size() == n_) v_.emplace_back();
  }
  // The node after the last one, reset, not yet part of the stack (call
  // reserve_next first); push_next makes it the last.
  Node& next() noexcept {
    v_[n_].reset();
    return v_[n_];
  }
  void push_next() noexcept { ++n_; }
  // Cuts the stack back to its first n nodes (n <= size()).
  void resize(std::size_t n) noexcept { n_ = n; }

 private:
  std::vector<Node> v_;
  std::size_t n_ = 0;
};

class Explorer {
 public:
  Explorer(const SystemFactory& make, const ExploreOptions& opt) : make_(make), opt_(opt) {}

  // The root and the first schedule, shared by the sequential and the
  // parallel exploration. Returns the system to backtrack on (empty once
  // snapshots have taken over).
  std::unique_ptr<System> first_schedule() {
    start_ = std::chrono::steady_clock::now();
    auto sys = make_(false);
    P_ = sys->processes();
    if (P_ > kMaxProcs) throw std::invalid_argument(fmt::format("at most {} processes, got {}", kMaxProcs, P_));
    last_ev_.assign(P_, -1);
    inherit_.assign(P_, Clock(P_, 0));
    nodes_.reserve_next();
    make_node(*sys, nullptr, -1, nodes_.next());
    nodes_.push_next();
    if (optimal()) {
      // pick() chooses at the root like at any fresh node.
    } else if (opt_.reduction == Reduction::None) nodes_[0].backtrack = nodes_[0].enabled;
    else if (int c = default_choice(nodes_[0]); c >= 0) nodes_[0].backtrack = bit(c);
    // The first schedule runs on a system built on the ordinary heap: state
    // the process builds on first use is then built outside any arena.
    extend(*sys);
    if (opt_.snapshots && opt_.snapshot_interval > 0 && sys->snapshot_safe()) {
      sys.reset();
      start_snapshots();
    }
    return sys;
  }

  ExploreResult run() {
    if (opt_.reduction == Reduction::Random) return run_random();
    if (opt_.jobs > 1) return run_parallel();
    auto sys = first_schedule();
    for (;;) {
      if (limits_hit()) break;
      int d = static_cast<int>(nodes_.size()) - 1;
      int p = -1;
      for (; d >= 0; --d) {
        Node& n = nodes_[d];
        if (n.chosen >= 0) {
          if (use_sleep()) {
            n.sleep.push_back({n.chosen, events_[d].fp});
            if (!n.chosen_violation.empty()) n.doomed.push_back({n.chosen, n.chosen_violation});
          }
          n.chosen = -1;
          n.chosen_violation.clear();
        }
        p = pick(n);
        if (p >= 0) break;
      }
      if (d < 0) break;
      nodes_.resize(d + 1);
      events_.resize(d);
      std::fill(last_ev_.begin(), last_ev_.end(), -1);
      inherit_.assign(P_, Clock(P_, 0));
      for (int k = 0; k < d; ++k) {
        last_ev_[events_[k].proc] = k;
        inherit(nodes_[k], nodes_[k + 1], k);
      }
      if (asys_) {
        restore_to(d);
      } else {
        sys = make_(false);
        replay(*sys, 0, d);
      }
      System& live = asys_ ? static_cast<System&>(*asys_) : *sys;
      if (take(live, p)) extend(live);
    }
    res_.seconds = elapsed();
    res_.traces_covered = traces_.size();
    res_.complete_within_bound = !res_.limit_hit;
    res_.exhaustive = !res_.limit_hit && opt_.max_preemptions < 0;
    return finish();
  }

 private:
  ExploreResult finish() {
    for (auto& [key, v] : found_) {
      if (opt_.minimize) v.shortest = minimize(v.shortest, v.info);
      v.trace = replay_trace(v.shortest);
      res_.violations.push_back(std::move(v));
    }
    std::sort(res_.violations.begin(), res_.violations.end(),
              [](const FoundViolation& a, const FoundViolation& b) { return a.shortest.size() < b.shortest.size(); });
    return std::move(res_);
  }

  // The Foata normal form of the events run, as a hash: a transition's
  // layer is one more than the latest earlier one of the same process or
  // dependent with it; each layer is hashed as a set of (process, n-th
  // transition of it).
  std::uint64_t foata_hash() const {
    std::vector<int> layer(events_.size(), 0), nth(events_.size(), 0), count(P_, 0);
    int layers = 0;
    for (std::size_t k = 0; k < events_.size(); ++k) {
      nth[k] = count[events_[k].proc]++;
      for (std::size_t j = 0; j < k; ++j)
        if (layer[j] + 1 > layer[k] && (events_[j].proc == events_[k].proc || dependent(events_[j].fp, events_[k].fp)))
          layer[k] = layer[j] + 1;
      layers = std::max(layers, layer[k] + 1);
    }
    std::uint64_t h = 0x84222325cbf29ce4ull;
    for (int l = 0; l < layers; ++l) {
      std::uint64_t set = 0;  // order-free within a layer
      for (std::size_t k = 0; k < events_.size(); ++k)
        if (layer[k] == l) {
          std::uint64_t x = (static_cast<std::uint64_t>(events_[k].proc) << 32 | static_cast<std::uint32_t>(nth[k])) + 0x9e3779b97f4a7c15ull;
          x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
          x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
          set += x ^ (x >> 31);
        }
      h = (h ^ set) * 0x100000001b3ull + static_cast<std::uint64_t>(l);
    }
    return h;
  }

  // Reduction::Random: opt_.random_walks uniform random schedules.
  ExploreResult run_random() {
    start_ = std::chrono::steady_clock::now();
    auto probe = make_(false);
    P_ = probe->processes();
    if (P_ > kMaxProcs) throw std::invalid_argument(fmt::format("at most {} processes, got {}", kMaxProcs, P_));
    const bool snap = opt_.snapshots && probe->snapshot_safe();
    probe.reset();
    sim::Rng rng(opt_.seed, "explore-random-walk");
    std::map<std::uint64_t, std::uint64_t> hits;  // trace -> walks
    double knuth = 0;
    std::uint64_t walks = 0;
    std::unique_ptr<System> fresh;
    while (walks < opt_.random_walks && !limits_hit()) {
      // The first walk runs on the ordinary heap (see run()), the others
      // on a state restored from the system as built.
      if (snap && walks > 0 && !asys_) start_snapshots();
      if (asys_) {
        asys_->restore(snaps_[0]);
        ++res_.restores;
      } else {
        fresh = make_(false);
      }
      System* sys = asys_ ? static_cast<System*>(asys_.get()) : fresh.get();
      events_.clear();
      double degree = 1;
      for (;;) {
        std::vector<int> en;
        for (int q = 0; q < P_; ++q)
          if (sys->enabled(q)) en.push_back(q);
        if (en.empty()) {
          if (auto v = sys->at_end()) record_violation(*v);
          else ++res_.end_states[sys->end_state()];
          break;
        }
        if (events_.size() >= opt_.max_depth) {
          record_violation({"livelock", fmt::format("a schedule ran past {} transitions", opt_.max_depth),
                            "  (a context may be looping forever)\n"});
          break;
        }
        degree *= static_cast<double>(en.size());
        const int p = en[rng.below(en.size())];
        Footprint known = sys->next_footprint(p);
        // Built in place: a walk's events have no clock, and moving one in
        // makes GCC 12 warn (-Wstringop-overread, a false positive) where
        // run() inlines this.
        Event& ev = events_.emplace_back();
        ev.proc = p;
        ++res_.transitions;
        if (ViolationInfo e; !sys->execute_or_report(p, ev.fp, e)) {
          ev.fp = known;
          record_violation(e);
          break;
        }
        ev.fp.merge(known);
      }
      res_.max_depth_seen = std::max(res_.max_depth_seen, events_.size());
      ++res_.schedules;
      ++walks;
      ++hits[foata_hash()];
      knuth += degree;
    }
    std::uint64_t f1 = 0, f2 = 0;
    for (const auto& [h, n] : hits) {
      if (n == 1) ++f1;
      if (n == 2) ++f2;
    }
    const double seen = static_cast<double>(hits.size());
    res_.traces_covered = hits.size();
    // Chao1, bias-corrected form when no trace was hit twice.
    res_.traces_estimated = f2 ? seen + static_cast<double>(f1 * f1) / (2.0 * static_cast<double>(f2))
                               : seen + static_cast<double>(f1) * (static_cast<double>(f1) - 1) / 2.0;
    res_.new_trace_chance = walks ? static_cast<double>(f1) / static_cast<double>(walks) : 0;
    res_.interleavings_estimated = walks ? knuth / static_cast<double>(walks) : 0;
    res_.seconds = elapsed();
    res_.exhaustive = false;
    res_.complete_within_bound = false;
    if (!res_.limit_hit) res_.limit_reason = fmt::format("a random sample of {} schedules (seed {})", walks, opt_.seed);
    events_.clear();
    return finish();
  }

  bool use_sleep() const { return opt_.reduction == Reduction::Dpor && opt_.sleep_sets && opt_.max_preemptions < 0; }
  bool bounded() const { return opt_.max_preemptions >= 0; }
  bool optimal() const { return use_sleep() && opt_.optimal; }

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  bool limits_hit() {
    if (res_.limit_hit) return true;
    if (opt_.max_schedules && res_.schedules + res_.sleep_blocked >= opt_.max_schedules) {
      res_.limit_hit = true;
      res_.limit_reason = fmt::format("stopped after {} schedules (the schedule limit)", opt_.max_schedules);
    } else if (opt_.max_seconds > 0 && elapsed() > opt_.max_seconds) {
      res_.limit_hit = true;
      res_.limit_reason = fmt::format("stopped after {:.0f} s (the time limit)", opt_.max_seconds);
    }
    return res_.limit_hit;
  }

  Mask sleep_mask(const Node& n) const {
    Mask m = 0;
    for (const auto& [q, f] : n.sleep) m |= bit(q);
    return m;
  }

  bool is_preemption(const Node& n, int p) const {
    return n.last_proc >= 0 && p != n.last_proc && (n.enabled & bit(n.last_proc));
  }
  bool allowed(const Node& n, int p) const {
    return !bounded() || n.preemptions + (is_preemption(n, p) ? 1 : 0) <= opt_.max_preemptions;
  }

  // The next choice to explore at `n`: the previous process first (no
  // preemption), then in process order. Choices over the bound are dropped.
  int pick(Node& n) {
    if (optimal()) return pick_optimal(n);
    Mask cand = n.backtrack & ~n.done & ~n.pruned & ~sleep_mask(n) & n.enabled;
    if (!cand) return -1;
    auto try_one = [&](int p) -> int {
      if (!(cand & bit(p))) return -1;
      if (allowed(n, p)) return p;
      n.pruned |= bit(p);
      ++res_.pruned_by_bound;
      return -1;
    };
    if (n.last_proc >= 0)
      if (int p = try_one(n.last_proc); p >= 0) return p;
    for (int p = 0; p < P_; ++p)
      if (int q = try_one(p); q >= 0) return q;
    return -1;
  }

  // Optimal DPOR: the next branch of the node's wakeup tree (its subtree
  // goes to the child node); at a node not yet left, a free choice.
  int pick_optimal(Node& n) {
    while (!n.wut.empty()) {
      WakeupNode w = std::move(n.wut.front());
      n.wut.erase(n.wut.begin());
      if ((n.enabled & bit(w.proc)) && !(sleep_mask(n) & bit(w.proc))) {
        std::vector<Item> path;
        if (covered_by_sleep(n, w, path)) continue;
        next_wut_ = std::move(w.kids);
        return w.proc;
      }
      ++res_.wakeup_dropped;
    }
    next_wut_.clear();
    return n.done ? -1 : default_choice(n);
  }

  // Drops the sequences of branch `w` (a path from the node down to a leaf)
  // that a process asleep at `n` is a weak initial of, as insert_wakeup
  // would have; true when none is left. Checked again here, when the branch
  // is taken, because the sleep set has grown since the insertion and each
  // sleeper's footprint is what its transition does at this node: the one
  // v recorded for its last transition may not be (moved before the race's
  // earlier event, a load can read another value and then do other private
  // work, such as an rcu_read_unlock() behind an if). Without this, such a
  // branch is taken, finds the sleeper there and the schedule is cut short.
  // A doomed sleeper covers nothing here: explore_beside_violation's
  // branches are there to run beside it.
  bool covered_by_sleep(const Node& n, WakeupNode& w, std::vector<Item>& path) {
    if (n.sleep.empty()) return false;
    path.push_back({w.proc, &w.fp});
    bool covered = true;
    if (w.kids.empty()) {
      long at = -1;
      covered = std::any_of(n.sleep.begin(), n.sleep.end(), [&](const auto& s) {
        return !is_doomed(n, s.first) && weak_initial(path, s.first, s.second, &at, true);
      });
    } else {
      std::erase_if(w.kids, [&](WakeupNode& k) { return covered_by_sleep(n, k, path); });
      covered = w.kids.empty();
    }
    path.pop_back();
    return covered;
  }

  // v's transition at k is one of v's initials: none before it in v
  // happens before it.
  static bool initial_at(const std::vector<Item>& v, std::size_t k) {
    for (std::size_t j = 0; j < k; ++j)
      if (v[j].proc == v[k].proc || dependent(*v[j].fp, *v[k].fp)) return false;
    return true;
  }
  static long index_of(const std::vector<Item>& v, int p) {
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k].proc == p) return static_cast<long>(k);
    return -1;
  }
  // p (next transition fp) is a weak initial of v: an initial, or absent from
  // v and independent of all of it.
  //
  // `exact`: fp is what p's next transition does at this node (a sleeping
  // process's or the branch being explored: it ran here), so it decides
  // alone. v's own footprint for p may come from another schedule: v's last
  // transition is the race's later one, recorded where it ran after the
  // earlier event of the race; moved before it, it may read other values
  // and do other private work (io_getevents reading ctx->dead as 0 instead
  // of 1 sleeps instead of calling finish_wait). If v's transitions before
  // p's are independent of what p does here, p's transition commutes to
  // the front unchanged, so exploring p here covers v. A wakeup-tree
  // branch's footprint is itself only recorded, so there both must agree.
  static bool weak_initial(const std::vector<Item>& v, int p, const Footprint& fp, long* at, bool exact = false) {
    *at = index_of(v, p);
    if (*at >= 0 && exact) {
      for (long j = 0; j < *at; ++j)
        if (v[j].proc == p || dependent(*v[j].fp, fp)) return false;
      return true;
    }
    if (*at >= 0) {
      if (!initial_at(v, static_cast<std::size_t>(*at))) return false;
      for (long j = 0; j < *at; ++j)
        if (dependent(*v[j].fp, fp)) return false;
      return true;
    }
    for (const Item& it : v)
      if (dependent(*it.fp, fp)) return false;
    return true;
  }

  // insert_[E](v, wut(E)) of Abdulla et al.: nothing when a sleeping
  // process is a weak initial of v, or when v leads into a branch that
  // ends (a leaf) before v does; else v's remainder becomes a new branch
  // under the deepest node reached.
  void insert_wakeup(std::size_t i, std::vector<Item> v) {
    Node& n = nodes_[i];
    long at = -1;
    for (const auto& [p, f] : n.sleep)
      if (weak_initial(v, p, f, &at, true)) return;
    // The branch being explored here left the tree when it was taken: if v
    // starts with it, what remains of v belongs to the next node's tree.
    if (n.chosen >= 0 && i < events_.size() && weak_initial(v, n.chosen, events_[i].fp, &at, true)) {
      if (at >= 0) v.erase(v.begin() + at);
      if (!v.empty() && i + 1 < nodes_.size()) insert_wakeup(i + 1, std::move(v));
      return;
    }
    if (recording(i)) {
      record(CallKind::InsertTree, i, v);
      return;
    }
    insert_in_tree(n.wut, std::move(v));
  }
  // The tree part of insert_wakeup: v's remainder becomes a new branch under
  // the deepest node v leads to, unless it leads into a leaf first.
  static void insert_in_tree(std::vector<WakeupNode>& wut, std::vector<Item> v) {
    long at = -1;
    std::vector<WakeupNode>* kids = &wut;
    bool root = true;
    for (;;) {
      if (v.empty() || (!root && kids->empty())) return;
      WakeupNode* next = nullptr;
      for (WakeupNode& w : *kids)
        if (weak_initial(v, w.proc, w.fp, &at)) {
          if (at >= 0) v.erase(v.begin() + at);
          next = &w;
          break;
        }
      if (!next) break;
      kids = &next->kids;
      root = false;
    }
    for (const Item& it : v) {
      kids->push_back(WakeupNode{it.proc, *it.fp, {}});
      kids = &kids->back().kids;
    }
  }

  int default_choice(const Node& n) const {
    Mask cand = n.enabled & ~sleep_mask(n);
    if (n.last_proc >= 0 && (cand & bit(n.last_proc))) return n.last_proc;
    for (int p = 0; p < P_; ++p)
      if (cand & bit(p)) return p;
    return -1;
  }

  // A process's clock: its own last event, joined with the events that
  // brought its next transition into being or enabled it (an IRQ raised by
  // the hardware happens before its delivery; a handler's return before the
  // preempted task goes on; whatever let a waiting transition run before
  // it: an enabling event can never be moved after what it enables). Events that take a next transition away (a preemption)
  // stay races: the other order is possible.
  Clock clock_of(int q) const {
    Clock c = last_ev_[q] >= 0 ? events_[last_ev_[q]].clock : Clock(P_, 0);
    for (int k = 0; k < P_; ++k) c[k] = std::max(c[k], inherit_[q][k]);
    return c;
  }
  void inherit(const Node& before, const Node& after, std::size_t j) {
    for (int q = 0; q < P_; ++q)
      if (q != events_[j].proc && ((!before.sig[q] && after.sig[q]) ||
                                   (before.sig[q] == after.sig[q] && !(before.enabled & bit(q)) && (after.enabled & bit(q)))))
        for (int k = 0; k < P_; ++k) inherit_[q][k] = std::max(inherit_[q][k], events_[j].clock[k]);
  }
  // Event i happens before the process whose clock is C.
  bool hb(std::size_t i, const Clock& C) const { return C[events_[i].proc] >= i + 1; }

  static void join(Clock& a, const Clock& b) {
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = std::max(a[k], b[k]);
  }

  // The clock a transition of q with footprint fp would get after [0, upto).
  Clock clock_after(int q, const Footprint& fp, std::size_t upto) const {
    Clock c = clock_of(q);
    join_dependent(c, fp, upto, q);
    return c;
  }
  // Joins into c the clock of every event of [0, upto) (not of process
  // `skip`) dependent with fp. Newest first: an event that already happens
  // before c has its clock inside c (clocks only grow by joins), so joining
  // it changes nothing and its footprint need not be compared.
  void join_dependent(Clock& c, const Footprint& fp, std::size_t upto, int skip) const {
    scan_not_before(c, upto, skip, [&](std::size_t i) {
      const Event& e = events_[i];
      if (dependent(e.fp, fp)) join(c, e.clock);
    });
  }

  // Calls visit(i), newest first, for each event i of [0, upto) not of
  // process `skip` that does not happen before clock c when it is reached
  // (visit may join clocks into c: clocks only grow). The same as looking
  // at every event and skipping the others, which is what most of a long
  // schedule's events are; this walks each process's own events instead
  // (Event::prev) and leaves a process out once its newest event not yet
  // visited happens before c, as all of its older events then do too.
  template <class Visit>
  void scan_not_before(const Clock& c, std::size_t upto, int skip, Visit&& visit) const {
    int next[kMaxProcs];  // per process: its newest event not yet visited, or -1 when done
    for (int r = 0; r < P_; ++r) {
      int k = r == skip ? -1 : last_ev_[r];
      while (k >= 0 && static_cast<std::size_t>(k) >= upto) k = events_[k].prev;
      next[r] = k;
    }
    for (;;) {
      int newest = -1;
      for (int r = 0; r < P_; ++r) {
        if (next[r] < 0) continue;
        if (hb(static_cast<std::size_t>(next[r]), c)) next[r] = -1;
        else if (newest < 0 || next[r] > next[newest]) newest = r;
      }
      if (newest < 0) return;
      const int i = next[newest];
      next[newest] = events_[i].prev;
      visit(static_cast<std::size_t>(i));
    }
  }

  // Every race of a transition of q (footprint fp; `before`: q's clock
  // before it, `after`: the transition's own clock) with the events
  // [0, upto): an earlier event of another process, dependent, possibly
  // co-enabled, and not ordered before it through any other event.
  //
  // Two clocks, because a lock's release happens before the next acquire
  // but is no race to reverse. For the race of q's acquire with the acquire
  // before that release, the release is skipped, clock and all (`locks`).
  // For a conflict on anything else it is not (`all`): a transition takes
  // a lock and runs the start of its critical section as one step, and
  // what the previous holder did inside its own section (before its
  // release) cannot be reversed with that start; only the acquires can.
  //
  // `after` may be null: it is then computed (clock_after) at the first
  // race found. Most scans of a next transition find none, and the clock
  // costs a scan of the events of its own; nothing a reversal does changes
  // the events, so the clock is the same whenever it is computed.
  void races(int q, const Footprint& fp, const Clock& before, const Clock* after, std::size_t upto) {
    Clock lazy;
    Clock locks = before, all = before;
    // An event already before `locks` (and so before `all`, which joins
    // everything `locks` does) is no race on either clock, and joining its
    // clock changes neither: it is not visited.
    scan_not_before(locks, upto, q, [&](std::size_t i) {
      const Event& e = events_[i];
      if (!e.fp.global && !fp.global && !(e.fp.objs & fp.objs)) return;  // independent
      const Conflict c = conflict(e.fp, fp);
      if (c.ordered_only) join(all, e.clock);
      if (!c.lock && !c.data) return;
      if (may_be_coenabled(e.fp, fp) && ((c.lock && !hb(i, locks)) || (c.data && !hb(i, all)))) {
        if (!after) {
          lazy = clock_after(q, fp, upto);
          after = &lazy;
        }
        reverse(i, q, fp, *after, upto);
      }
      join(locks, e.clock);
      join(all, e.clock);
    });
  }

  // Reverse the race of event i with a transition of q (clock `after`),
  // source-DPOR style (Abdulla et al., POPL 2014): v is what follows i
  // without depending on it, then q's transition; a process that can start
  // v (an initial) must be tried before i, unless one already is, or sleeps
  // there (then what it leads to is covered).
  void reverse(std::size_t i, int q, const Footprint& fq, const Clock& after, std::size_t upto) {
    Mask initials = 0, seen = 0;
    std::vector<std::size_t> v;
    const int pi = events_[i].proc;
    for (std::size_t k = i + 1; k < upto; ++k) {
      if (events_[k].clock[pi] >= i + 1) continue;  // happens after i
      const int r = events_[k].proc;
      if (!(seen & bit(r))) {
        seen |= bit(r);
        bool initial = true;
        for (std::size_t k2 : v)
          if (events_[k].clock[events_[k2].proc] >= k2 + 1) {
            initial = false;
            break;
          }
        if (initial) initials |= bit(r);
      }
      v.push_back(k);
    }
    if (!(seen & bit(q))) {
      bool initial = true;
      for (std::size_t k2 : v)
        if (after[events_[k2].proc] >= k2 + 1) {
          initial = false;
          break;
        }
      if (initial) initials |= bit(q);
    }
    if (optimal()) {
      Node& n = nodes_[i];
      // q's transition was already next before i but could not run there
      // (the lock it takes is released by i; IRQs are enabled by i): the
      // race cannot be reversed. The order that can exist, q's transition
      // before whatever made it wait, is the race of q's pending transition
      // with that earlier event, reversed on its own.
      if (!(seen & bit(q)) && n.sig[q] && !(n.enabled & bit(q))) return;
      if (initials & n.enabled) {
        std::vector<Item> seq;
        for (std::size_t k : v) seq.push_back({events_[k].proc, &events_[k].fp});
        seq.push_back({q, &fq});
        insert_wakeup(i, std::move(seq));
      } else {
        // No initial of v can run before i: every enabled process is tried.
        for (int p = 0; p < P_; ++p)
          if (n.enabled & bit(p)) insert_wakeup(i, {Item{p, &n.pend[p]}});
      }
      return;
    }
    if (!bounded()) {
      add_at(i, initials, q);
      return;
    }
    // Bounded (BPOR, Coons et al.): no shortcut through other initials, which
    // may need preemptions the bound forbids; try q itself (or everything)
    // before i and before the scheduling block holding i.
    std::size_t b = i;
    while (b > 0 && events_[b - 1].proc == events_[i].proc) --b;
    for (std::size_t at : {i, b}) {
      Node& n = nodes_[at];
      const Mask add = (n.enabled & bit(q)) ? bit(q) : n.enabled;
      if (recording(at)) record(CallKind::Backtrack, at, {}, add);
      else n.backtrack |= add;
    }
  }

  void add_at(std::size_t i, Mask initials, int q) {
    if (recording(i)) {
      record(CallKind::AddAt, i, {}, initials, q);
      return;
    }
    Node& n = nodes_[i];
    const Mask covered = (n.backtrack & ~n.pruned) | n.done | (use_sleep() ? sleep_mask(n) : 0);
    if (initials & covered) return;
    const Mask cand = initials & n.enabled;
    if (!cand) {
      n.backtrack |= n.enabled;  // none can run there: try everything
      return;
    }
    n.backtrack |= (cand & bit(q)) ? bit(q) : cand & (~cand + 1);
  }

  std::uint64_t signature(const System& sys, int q) const {
    if (!sys.has_next(q)) return 0;
    return signature_of(sys.next_signature(q), q);
  }
  std::uint64_t signature_of(std::uint64_t next_signature, int q) const {
    return next_signature * 1000003u + static_cast<std::uint64_t>(last_ev_[q] + 2);
  }

  // The node for the state the system is in now. `parent`: the node before
  // the last event (nullptr at the root).
  void make_node(System& sys, const Node* parent, int last_proc, Node& n) {
    n.sig.assign(P_, 0);
    n.pend.assign(P_, Footprint{});
    n.last_proc = last_proc;
    for (int q = 0; q < P_; ++q) {
      System::Next next = sys.next(q);
      if (next.enabled) n.enabled |= bit(q);
      n.sig[q] = next.has_next ? signature_of(next.signature, q) : 0;
      if (n.sig[q]) n.pend[q] = std::move(next.fp);
    }
    if (parent && !events_.empty()) inherit(*parent, n, events_.size() - 1);
    if (opt_.reduction == Reduction::Dpor) {
      const std::size_t upto = events_.size();
      for (int q = 0; q < P_; ++q) {
        const bool fresh = q == last_proc || !parent || n.sig[q] != parent->sig[q];
        if (n.sig[q] && fresh) races(q, n.pend[q], clock_of(q), nullptr, upto);
        // Only the newest event can race with a next transition that was
        // there before it: with the one still there, or with the one it took
        // away (a request dequeued under the hardware, a task preempted).
        if (!parent || upto == 0 || q == last_proc || !parent->sig[q]) continue;
        const std::size_t j = upto - 1;
        const Footprint& fq = parent->pend[q];
        if (reversible(events_[j].fp, fq) && may_be_coenabled(events_[j].fp, fq) && !hb(j, clock_of(q)))
          reverse(j, q, fq, clock_after(q, fq, upto), upto);
      }
    }
  }

  static std::string key_of(const ViolationInfo& v) { return v.kind + "\n" + v.headline; }

  void record_violation(const ViolationInfo& v) {
    auto& f = found_[key_of(v)];
    if (f.info.kind.empty() || events_.size() < f.shortest.size()) {
      f.info = v;
      f.shortest.clear();
      for (const Event& e : events_) f.shortest.push_back(e.proc);
    }
    ++f.schedules;
  }

  // A schedule ends at its first violation: the processes still enabled
  // there take no step in it, so no race of theirs is derived from it and
  // the orders in which they run first would never be explored. As at any
  // state whose successors are not explored (Flanagan & Godefroid, POPL
  // 2005), each of them is tried at the node before the violating
  // transition; running there, their transitions' races with the earlier
  // events are derived as usual. The violating process then sleeps in those
  // branches, doomed: while it sleeps, its next transition still violates.
  void explore_beside_violation(std::size_t j, int p, std::string key) {
    Node& n = nodes_[j];
    n.chosen_violation = std::move(key);
    const Mask others = n.enabled & ~bit(p) & ~n.done & ~sleep_mask(n);
    if (!others) return;
    if (!optimal()) {
      if (recording(j)) record(CallKind::Backtrack, j, {}, others);
      else n.backtrack |= others;
      return;
    }
    // As insert_wakeup, but a doomed sleeper covers nothing: its branch ended
    // at its first transition, before q could run.
    for (int q = 0; q < P_; ++q) {
      if (!(others & bit(q))) continue;
      const std::vector<Item> v{Item{q, &n.pend[q]}};
      long at = -1;
      bool covered = false;
      for (const auto& [s, f] : n.sleep)
        covered = covered || (!is_doomed(n, s) && weak_initial(v, s, f, &at, true));
      if (covered) continue;
      if (recording(j)) record(CallKind::InsertBeside, j, v);
      else insert_beside(n.wut, q, n.pend[q]);
    }
  }
  // The tree part: a new branch q unless a branch of the tree covers it.
  static void insert_beside(std::vector<WakeupNode>& wut, int q, const Footprint& fp) {
    const std::vector<Item> v{Item{q, &fp}};
    long at = -1;
    for (const WakeupNode& w : wut)
      if (weak_initial(v, w.proc, w.fp, &at)) return;
    wut.push_back(WakeupNode{q, fp, {}});
  }
  static bool is_doomed(const Node& n, int q) {
    return std::any_of(n.doomed.begin(), n.doomed.end(), [&](const auto& d) { return d.first == q; });
  }

  // Every enabled process is asleep, and one of them is doomed: the
  // schedule is the prefix of one that ends in that violation (counted as
  // such), not a redundant one.
  bool ends_in_known_violation(const Node& n) {
    for (const auto& [q, key] : n.doomed)
      if (n.enabled & bit(q)) {
        ++res_.schedules;
        ++found_[key].schedules;
        if (opt_.count_traces) traces_.insert(foata_hash());
        return true;
      }
    return false;
  }

  // Run p's next transition from the last node; false when the schedule
  // ends with it (a violation).
  bool take(System& sys, int p) {
    const std::size_t j = events_.size();
    nodes_.reserve_next();
    Node& n = nodes_[j];
    n.done |= bit(p);
    n.chosen = p;
    n.branch_from = res_.schedules;
    Event ev;
    ev.proc = p;
    // What make_node recorded of p's next transition, in this same state.
    Footprint known = n.sig[p] ? n.pend[p] : sys.next_footprint(p);
    std::optional<ViolationInfo> violated;
    if (ViolationInfo v; !sys.execute_or_report(p, ev.fp, v)) {
      ev.fp = known;
      violated = std::move(v);
    }
    ev.fp.merge(known);
    ++res_.transitions;
    // Vector clock: p's own history joined with every dependent earlier event.
    const Clock before = clock_of(p);
    ev.clock = before;
    join_dependent(ev.clock, ev.fp, j, -1);
    ev.clock[p] = static_cast<std::uint32_t>(j + 1);
    if (opt_.reduction == Reduction::Dpor) races(p, ev.fp, before, &ev.clock, j);
    ev.prev = last_ev_[p];
    events_.push_back(std::move(ev));
    last_ev_[p] = static_cast<int>(j);
    res_.max_depth_seen = std::max(res_.max_depth_seen, events_.size());
    if (violated) {
      record_violation(*violated);
      ++res_.schedules;
      if (opt_.count_traces) traces_.insert(foata_hash());
      if (opt_.reduction == Reduction::Dpor) explore_beside_violation(j, p, key_of(*violated));
      return false;
    }
    Node& child = nodes_.next();
    make_node(sys, &nodes_[j], p, child);
    child.wut.swap(next_wut_);  // the subtree pick_optimal chose; child.wut was empty
    next_wut_.clear();
    const Node& parent = nodes_[j];
    child.preemptions = parent.preemptions + (is_preemption(parent, p) ? 1 : 0);
    if (use_sleep()) {
      for (const auto& [q, f] : parent.sleep)
        if (q != p && !dependent(f, events_.back().fp)) child.sleep.push_back({q, f});
      const Mask asleep = sleep_mask(child);
      for (const auto& d : parent.doomed)
        if (asleep & bit(d.first)) child.doomed.push_back(d);
    }
    if (opt_.reduction == Reduction::None) {
      child.backtrack = child.enabled;
    } else if (int c = default_choice(child); c >= 0) {
      child.backtrack |= bit(c);
    }
    nodes_.push_next();
    if (asys_) save_reached(events_.size());
    return true;
  }

  // Run from the last node until the schedule ends.
  void extend(System& sys) {
    for (;;) {
      Node& n = nodes_.back();
      if (n.enabled == 0) {
        ++res_.schedules;
        if (opt_.count_traces) traces_.insert(foata_hash());
        if (auto v = sys.at_end()) record_violation(*v);
        else ++res_.end_states[sys.end_state()];
        return;
      }
      if (events_.size() >= opt_.max_depth) {
        record_violation({"livelock", fmt::format("a schedule ran past {} transitions", opt_.max_depth),
                          "  (a context may be looping forever)\n"});
        ++res_.schedules;
        return;
      }
      if (opt_.reduction == Reduction::Dpor && !optimal() && n.backtrack == 0) {
        // Every enabled process is asleep: this schedule is equivalent to
        // one already explored.
        if (!ends_in_known_violation(n)) ++res_.sleep_blocked;
        return;
      }
      const int p = pick(n);
      if (p < 0) {
        if ((n.enabled & ~sleep_mask(n)) != 0) ++res_.schedules;  // every remaining choice is over the preemption bound
        else if (!ends_in_known_violation(n)) ++res_.sleep_blocked;
        return;
      }
      if (!take(sys, p)) return;
    }
  }

  // Snapshots: the system lives in an arena; its state is saved at every
  // `snapshot_interval`-th node of the current schedule (level i holds the
  // state after i * interval transitions; the first `snap_valid_` levels
  // belong to the current schedule).
  void start_snapshots() {
    asys_ = std::make_unique<ArenaSystem>(make_);
    snaps_.resize(1);
    asys_->save(snaps_[0]);
    snap_valid_ = 1;
    res_.snapshot_bytes = snaps_[0].size();
  }
  void save_reached(std::size_t depth) {
    const auto every = static_cast<std::size_t>(opt_.snapshot_interval);
    if (depth % every || depth / every != snap_valid_) return;
    if (snaps_.size() <= snap_valid_) snaps_.resize(snap_valid_ + 1);
    asys_->save(snaps_[snap_valid_++]);
  }
  // Back to the state after the first d events: the deepest saved state at
  // or before d, then the transitions after it. The restored state must
  // offer what the node recorded when it was first reached (checked on the
  // replays check_replay samples).
  void restore_to(int d) {
    const auto every = static_cast<std::size_t>(opt_.snapshot_interval);
    snap_valid_ = std::min(snap_valid_, static_cast<std::size_t>(d) / every + 1);
    const std::size_t level = snap_valid_ - 1;
    asys_->restore(snaps_[level]);
    ++res_.restores;
    const bool check = opt_.check_replay && (replays_ < 64 || replays_ % 64 == 0);
    replay(*asys_, static_cast<int>(level * every), d);
    if (!check) return;
    const Node& n = nodes_[static_cast<std::size_t>(d)];
    for (int q = 0; q < P_; ++q)
      if (asys_->enabled(q) != ((n.enabled & bit(q)) != 0) || signature(*asys_, q) != n.sig[q])
        throw std::logic_error(fmt::format("a restored state diverged at transition {}: {} is not as recorded", d,
                                           asys_->process_name(q)));
  }

  // Rebuilt (or restored) systems replay the prefix [from, d) they share
  // with the last schedule. Footprints are compared (check_replay) on a
  // deterministic sample of the replays; the others run on the system's
  // faster replay path.
  void replay(System& sys, int from, int d) {
    const bool check = opt_.check_replay && (replays_ < 64 || replays_ % 64 == 0);
    ++replays_;
    for (int k = from; k < d; ++k) {
      const int p = events_[k].proc;
      if (!sys.enabled(p))
        throw std::logic_error(fmt::format("replay diverged at transition {}: {} is not enabled", k + 1,
                                           sys.process_name(p)));
      if (!check) {
        if (ViolationInfo e; !sys.replay_step_or_report(p, e))
          throw std::logic_error(fmt::format("replay diverged at transition {}: {}", k + 1, e.headline));
        ++res_.transitions;
        if (asys_) save_reached(static_cast<std::size_t>(k + 1));
        continue;
      }
      Footprint known = sys.next_footprint(p);
      Footprint fp;
      try {
        fp = sys.execute(p);
      } catch (const ViolationError& e) {
        throw std::logic_error(fmt::format("replay diverged at transition {}: {}", k + 1, e.info.headline));
      }
      fp.merge(known);
      ++res_.transitions;
      if (opt_.check_replay && !(fp == events_[k].fp))
        throw std::logic_error(fmt::format("replay diverged at transition {} ({}): footprint differs", k + 1,
                                           sys.process_name(p)));
      if (asys_) save_reached(static_cast<std::size_t>(k + 1));
    }
  }

  // Replays `sched`; the length of the prefix that ends in violation `v`
  // (thrown by a transition, or found at the end state), or -1.
  //
  // `shared`: how many first steps sched has in common with the schedule
  // being minimized, whose states are saved every snapshot_interval steps
  // (min_snaps_, the first min_valid_ levels): the replay starts from the
  // deepest of those within the common part, saving the levels it passes
  // that are still missing. Those steps are the same steps from the same
  // state: they ran without a violation and enabled when that schedule did.
  long reproduces(const std::vector<int>& sched, const ViolationInfo& v, std::size_t shared = 0) {
    std::unique_ptr<System> fresh;
    std::size_t k = 0;
    const auto every = static_cast<std::size_t>(opt_.snapshot_interval);
    // Random walks use only the initial state, whatever the interval (which
    // the API lets be 0 with snapshots on): no saved prefixes then.
    const bool prefixes = asys_ && every > 0;
    if (prefixes && min_valid_ > 1 && shared >= every) {
      const std::size_t level = std::min(shared / every, min_valid_ - 1);
      asys_->restore(min_snaps_[level]);
      k = level * every;
    }
    System& sys = k ? *asys_ : initial_system(fresh);
    for (ViolationInfo e; k < sched.size(); ++k) {
      if (prefixes && k && k % every == 0 && k <= shared && k / every == min_valid_) {
        if (min_snaps_.size() <= min_valid_) min_snaps_.resize(min_valid_ + 1);
        asys_->save(min_snaps_[min_valid_++]);
      }
      if (!sys.enabled(sched[k])) return -1;
      // Only the violation is wanted, not the footprint: the fast path.
      if (!sys.replay_step_or_report(sched[k], e))
        return e.kind == v.kind && e.headline == v.headline ? static_cast<long>(k + 1) : -1;
    }
    for (int q = 0; q < P_; ++q)
      if (sys.enabled(q)) return -1;
    auto e = sys.at_end();
    return e && e->kind == v.kind && e->headline == v.headline ? static_cast<long>(k) : -1;
  }
  // The system at its initial state. With snapshots, the saved initial state
  // is restored (a copy) rather than the system rebuilt: minimizing a
  // counterexample replays hundreds of candidates, and building the world
  // (devices, design, object identities) costs several times the copy.
  // The restored state is the built one: the exploration relies on it too.
  System& initial_system(std::unique_ptr<System>& fresh) {
    if (asys_) {
      asys_->restore(snaps_[0]);
      return *asys_;
    }
    fresh = make_(false);
    return *fresh;
  }

  // Greedy shortening of a counterexample: drop a whole process's
  // transitions, then single transitions, as long as the same violation
  // still happens. Every candidate is replayed in the real model.
  std::vector<int> minimize(std::vector<int> cur, const ViolationInfo& v) {
    int budget = 4000;
    min_valid_ = 1;  // level 0, the initial state, is snaps_[0]
    auto attempt = [&](const std::vector<int>& cand) {
      if (budget-- <= 0) return false;
      const auto shared =
          static_cast<std::size_t>(std::mismatch(cand.begin(), cand.end(), cur.begin(), cur.end()).first - cand.begin());
      const long n = reproduces(cand, v, shared);
      if (n < 0) return false;
      cur.assign(cand.begin(), cand.begin() + n);
      // The levels saved within what the old and the new schedule share.
      const auto every = static_cast<std::size_t>(opt_.snapshot_interval);
      if (asys_ && every > 0) min_valid_ = std::min(min_valid_, std::min(shared, cur.size()) / every + 1);
      return true;
    };
    for (int p = 0; p < P_; ++p) {
      std::vector<int> cand;
      for (int q : cur)
        if (q != p) cand.push_back(q);
      if (cand.size() != cur.size()) attempt(cand);
    }
    for (bool changed = true; changed && budget > 0;) {
      changed = false;
      for (std::size_t k = cur.size(); k-- > 0;) {
        if (k >= cur.size()) continue;
        std::vector<int> cand = cur;
        cand.erase(cand.begin() + static_cast<long>(k));
        if (attempt(cand)) changed = true;
      }
    }
    return cur;
  }

  // The trace lines of `schedule`, replayed on a system built for tracing
  // (its end-state check included, which may add lines).
  std::vector<std::string> replay_trace(const std::vector<int>& schedule) {
    auto sys = make_(true);
    try {
      for (int p : schedule) sys->execute(p);
      sys->at_end();
    } catch (const ViolationError&) {
    }
    return sys->trace();
  }


  // ---- -j N (docs/explorer.md, "Parallel exploration") ----
  //
  // The coordinator runs the sequential exploration above, step for step.
  // Whenever a worker slot is free, at the shallowest node i of the current
  // schedule whose next branch is already known (the front runnable branch
  // of its wakeup tree, or of its backtrack set, with the branch being
  // explored there asleep), it forks a worker that explores that branch's
  // whole subtree, as the sequential order will once the current branch is
  // over. When the coordinator gets back to node i and picks its next branch
  // for real, it uses the worker's answer only if the branch picked is the
  // one the worker explored, with the same wakeup subtree; else it kills the
  // worker and explores the branch itself.
  //
  // Why that answer is the sequential one. A subtree's exploration reads the
  // nodes at and above i (their sleep sets, enabled sets, pending
  // transitions, chosen branches, the events before i): none of these change
  // while the coordinator finishes the branch before, except node i's sleep
  // set, which gains exactly that branch (with its first transition's
  // footprint, known when it was taken) -- the worker adds it the same way.
  // What it cannot know is the trees and backtrack sets at and above i as
  // the branches before it leave them, and it reads those only to insert
  // into them: it records those calls (after their sleep-set and
  // chosen-branch steps, which read only what it knows) and the coordinator
  // replays them, in order, after its own, which is when the sequential
  // exploration makes them. Its branch and subtree are compared; everything
  // else it reads is the same by the above. Counts, end states, traces and
  // violations add up (a violation's shortest schedule: the first of the
  // shortest, in sequential order). Restores and replayed transitions too:
  // a backtrack to node d always restores the state saved at d / interval
  // (every schedule through d has saved it), whatever ran before.
  enum class CallKind : std::uint8_t { InsertTree, InsertBeside, Backtrack, AddAt };
  struct Call {
    CallKind kind = CallKind::InsertTree;
    std::size_t node = 0;
    Mask mask = 0;  // Backtrack: the bits to add; AddAt: the initials
    int q = -1;     // AddAt
    std::vector<std::pair<int, Footprint>> v;
  };
  struct Spec {
    std::size_t depth = 0;
    int proc = -1;
    std::vector<WakeupNode> sub;
    parallel::Worker worker;
  };

  bool recording(std::size_t i) const { return calls_ && i <= floor_; }
  void record(CallKind k, std::size_t i, const std::vector<Item>& v, Mask mask = 0, int q = -1) {
    Call c;
    c.kind = k;
    c.node = i;
    c.mask = mask;
    c.q = q;
    for (const Item& it : v) c.v.emplace_back(it.proc, *it.fp);
    calls_->push_back(std::move(c));
  }

  static bool same_fp(const Footprint& a, const Footprint& b) {
    if (a.acc.size() != b.acc.size() || a.objs != b.objs || a.global != b.global ||
        a.exclusive_task != b.exclusive_task || a.exclusive_handler != b.exclusive_handler)
      return false;
    for (std::size_t k = 0; k < a.acc.size(); ++k)
      if (a.acc[k].obj != b.acc[k].obj || a.acc[k].write != b.acc[k].write || a.acc[k].lock != b.acc[k].lock)
        return false;
    return true;
  }
  static bool same_trees(const std::vector<WakeupNode>& a, const std::vector<WakeupNode>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (a[k].proc != b[k].proc || !same_fp(a[k].fp, b[k].fp) || !same_trees(a[k].kids, b[k].kids)) return false;
    return true;
  }

  // The branch at node d is over (as in run()'s loop): it sleeps there.
  void retire(std::size_t d) {
    Node& n = nodes_[d];
    if (n.chosen < 0) return;
    if (use_sleep()) {
      n.sleep.push_back({n.chosen, events_[d].fp});
      if (!n.chosen_violation.empty()) n.doomed.push_back({n.chosen, n.chosen_violation});
    }
    n.chosen = -1;
    n.chosen_violation.clear();
  }
  // The schedule cut back to its first d events (as in run()'s loop).
  void rewind(std::size_t d) {
    nodes_.resize(d + 1);
    events_.resize(d);
    std::fill(last_ev_.begin(), last_ev_.end(), -1);
    inherit_.assign(P_, Clock(P_, 0));
    for (std::size_t k = 0; k < d; ++k) {
      last_ev_[events_[k].proc] = static_cast<int>(k);
      inherit(nodes_[k], nodes_[k + 1], k);
    }
  }
  System& reach(std::size_t d, std::unique_ptr<System>& sys) {
    if (asys_) {
      restore_to(static_cast<int>(d));
      return *asys_;
    }
    sys = make_(false);
    replay(*sys, 0, static_cast<int>(d));
    return *sys;
  }

  ExploreResult run_parallel() {
    auto sys = first_schedule();
    backtrack_loop(sys, -1);
    specs_.clear();  // a limit stopped the exploration: their answers are not needed
    res_.seconds = elapsed();
    res_.traces_covered = traces_.size();
    res_.complete_within_bound = !res_.limit_hit;
    res_.exhaustive = !res_.limit_hit && opt_.max_preemptions < 0;
    return finish();
  }

  // run()'s loop, down to node `floor` (-1: everything; a worker: the node
  // it was given, whose branches are the coordinator's).
  void backtrack_loop(std::unique_ptr<System>& sys, long floor) {
    for (;;) {
      if (limits_hit()) break;
      long d = static_cast<long>(nodes_.size()) - 1;
      int p = -1;
      for (; d > floor; --d) {
        const auto du = static_cast<std::size_t>(d);
        do {
          retire(du);
          p = pick(nodes_[du]);
        } while (p >= 0 && adopt(du, p));
        if (p >= 0) break;
        drop_spec(du);
      }
      if (d <= floor) break;
      const auto du = static_cast<std::size_t>(d);
      rewind(du);
      System& live = reach(du, sys);
      const bool goes_on = take(live, p);
      speculate();
      if (goes_on) extend(live);
    }
  }

  // Node i's next branch if nothing changed its tree (or backtrack set)
  // before the branch explored there is over: pick(), without its effects.
  // (*sub: that branch's wakeup subtree, left as it is when there is none.)
  int peek(std::size_t i, const std::vector<WakeupNode>** sub) const {
    const Node& n = nodes_[i];
    Mask asleep = sleep_mask(n) | (use_sleep() ? bit(n.chosen) : 0);
    if (optimal()) {
      for (const WakeupNode& w : n.wut)
        if ((n.enabled & bit(w.proc)) && !(asleep & bit(w.proc))) {
          *sub = &w.kids;
          return w.proc;
        }
      return -1;  // a node already left chooses freely only the first time
    }
    const Mask cand = n.backtrack & ~n.done & ~n.pruned & ~asleep & n.enabled;
    if (n.last_proc >= 0 && (cand & bit(n.last_proc)) && allowed(n, n.last_proc)) return n.last_proc;
    for (int p = 0; p < P_; ++p)
      if ((cand & bit(p)) && allowed(n, p)) return p;
    return -1;
  }

  void speculate() {
    if (calls_ || opt_.jobs <= 1) return;  // a worker does not fork workers
    std::size_t from = 0;
    while (specs_.size() + 1 < static_cast<std::size_t>(opt_.jobs)) {
      std::size_t i = from;
      int q = -1;
      const std::vector<WakeupNode>* sub = nullptr;
      for (; i < events_.size() && i < nodes_.size(); ++i) {
        if (nodes_[i].chosen < 0 || has_spec(i)) continue;
        // The branches at deeper nodes were taken later still.
        if (res_.schedules - nodes_[i].branch_from < opt_.min_spec_schedules) return;
        if ((q = peek(i, &sub)) >= 0) break;
      }
      if (q < 0) return;
      from = i + 1;
      Spec s;
      s.depth = i;
      s.proc = q;
      if (sub) s.sub = *sub;
      s.worker = parallel::Worker::spawn([&] { return work_on(i, q, s.sub); });
      specs_.push_back(std::move(s));
    }
  }
  bool has_spec(std::size_t i) const {
    return std::any_of(specs_.begin(), specs_.end(), [&](const Spec& s) { return s.depth == i; });
  }
  void drop_spec(std::size_t d) {
    res_.workers_discarded += static_cast<std::uint64_t>(has_spec(d));
    specs_.erase(std::remove_if(specs_.begin(), specs_.end(), [&](const Spec& s) { return s.depth == d; }), specs_.end());
  }

  // The coordinator picked p at node d: a worker's answer for it, if it had
  // the same branch and subtree (pick() just set next_wut_ to it).
  bool adopt(std::size_t d, int p) {
    auto it = std::find_if(specs_.begin(), specs_.end(), [&](const Spec& s) { return s.depth == d; });
    if (it == specs_.end()) return false;
    Spec s = std::move(*it);
    specs_.erase(it);
    if (s.proc != p || (optimal() && !same_trees(s.sub, next_wut_))) {
      ++res_.workers_discarded;
      return false;  // s's worker dies here
    }
    merge(d, p, s.worker.collect());
    ++res_.worker_subtrees;
    return true;
  }

  // In the worker: explore branch q (wakeup subtree sub) of node i, as the
  // sequential order would once the branch explored there now is over.
  std::string work_on(std::size_t i, int q, std::vector<WakeupNode> sub) {
    for (Spec& s : specs_) s.worker.forget();
    specs_.clear();
    std::vector<Call> calls;
    calls_ = &calls;
    floor_ = i;
    const std::size_t bytes = res_.snapshot_bytes;
    res_ = ExploreResult{};
    res_.snapshot_bytes = bytes;
    found_.clear();
    traces_.clear();
    retire(i);
    rewind(i);
    std::unique_ptr<System> sys;
    System& live = reach(i, sys);
    next_wut_ = std::move(sub);
    if (take(live, q)) extend(live);
    backtrack_loop(sys, static_cast<long>(i));
    return answer(i);
  }

  std::string answer(std::size_t i) const {
    parallel::Writer w;
    for (std::uint64_t x : {res_.schedules, res_.sleep_blocked, res_.transitions, res_.restores, res_.pruned_by_bound,
                            res_.wakeup_dropped, static_cast<std::uint64_t>(res_.max_depth_seen)})
      w.u64(x);
    w.u64(res_.limit_hit);
    w.str(res_.limit_reason);
    w.u64(res_.end_states.size());
    for (const auto& [state, n] : res_.end_states) {
      w.str(state);
      w.u64(n);
    }
    w.u64(found_.size());
    for (const auto& [key, f] : found_) {
      w.str(key);
      w.str(f.info.kind);
      w.str(f.info.headline);
      w.str(f.info.details);
      w.u64(f.schedules);
      w.u64(f.shortest.size());
      for (int p : f.shortest) w.i64(p);
    }
    w.u64(traces_.size());
    for (std::uint64_t h : traces_) w.u64(h);
    w.fp(events_[i].fp);
    w.str(nodes_[i].chosen_violation);
    w.u64(calls_->size());
    for (const Call& c : *calls_) {
      w.u64(static_cast<std::uint64_t>(c.kind));
      w.u64(c.node);
      w.u64(c.mask);
      w.i64(c.q);
      w.u64(c.v.size());
      for (const auto& [p, fp] : c.v) {
        w.i64(p);
        w.fp(fp);
      }
    }
    return w.take();
  }

  // Node d's branch p was explored by a worker: its results join ours, in
  // the place the sequential exploration would have found them.
  void merge(std::size_t d, int p, const std::string& a) {
    parallel::Reader r(a);
    for (std::uint64_t* x : {&res_.schedules, &res_.sleep_blocked, &res_.transitions, &res_.restores,
                             &res_.pruned_by_bound, &res_.wakeup_dropped})
      *x += r.u64();
    res_.max_depth_seen = std::max<std::size_t>(res_.max_depth_seen, r.u64());
    if (r.u64() && !res_.limit_hit) {
      res_.limit_hit = true;
      res_.limit_reason = r.str();
    } else {
      r.str();
    }
    for (std::uint64_t k = r.u64(); k-- > 0;) {
      std::string state = r.str();
      res_.end_states[state] += r.u64();
    }
    for (std::uint64_t k = r.u64(); k-- > 0;) {
      FoundViolation& f = found_[r.str()];
      ViolationInfo info;
      info.kind = r.str();
      info.headline = r.str();
      info.details = r.str();
      const std::uint64_t schedules = r.u64();
      std::vector<int> shortest(r.u64());
      for (int& q : shortest) q = static_cast<int>(r.i64());
      // record_violation's rule: the first of the shortest, in sequential order.
      if (!info.kind.empty() && (f.info.kind.empty() || shortest.size() < f.shortest.size())) {
        f.info = std::move(info);
        f.shortest = std::move(shortest);
      }
      f.schedules += schedules;
    }
    for (std::uint64_t k = r.u64(); k-- > 0;) traces_.insert(r.u64());
    if (events_.size() <= d) events_.resize(d + 1);
    events_[d].proc = p;
    events_[d].fp = r.fp();
    events_[d].clock.clear();
    Node& n = nodes_[d];
    n.done |= bit(p);
    n.chosen = p;
    n.chosen_violation = r.str();
    for (std::uint64_t k = r.u64(); k-- > 0;) {
      Call c;
      c.kind = static_cast<CallKind>(r.u64());
      c.node = r.u64();
      c.mask = r.u64();
      c.q = static_cast<int>(r.i64());
      for (std::uint64_t m = r.u64(); m-- > 0;) {
        const int q = static_cast<int>(r.i64());
        c.v.emplace_back(q, r.fp());
      }
      replay_call(c);
    }
    if (!r.done()) throw std::runtime_error("explore -j: a worker's result has bytes left over");
  }
  void replay_call(const Call& c) {
    Node& n = nodes_.at(c.node);
    switch (c.kind) {
      case CallKind::InsertTree: {
        std::vector<Item> v;
        for (const auto& [q, fp] : c.v) v.push_back(Item{q, &fp});
        insert_in_tree(n.wut, std::move(v));
        break;
      }
      case CallKind::InsertBeside: insert_beside(n.wut, c.v.at(0).first, c.v.at(0).second); break;
      case CallKind::Backtrack: n.backtrack |= c.mask; break;
      case CallKind::AddAt: add_at(c.node, c.mask, c.q); break;
    }
  }

  const SystemFactory& make_;
  ExploreOptions opt_;
  int P_ = 0;
  NodeStack nodes_;
  std::vector<Event> events_;
  std::vector<int> last_ev_;
  std::vector<Clock> inherit_;
  std::map<std::string, FoundViolation> found_;
  std::uint64_t replays_ = 0;
  std::set<std::uint64_t> traces_;     // opt_.count_traces: Foata normal forms of the schedules run
  std::vector<WakeupNode> next_wut_;  // the subtree of the branch pick_optimal chose
  std::unique_ptr<ArenaSystem> asys_;  // snapshots: the system, in its arena
  std::vector<Arena::Snapshot> snaps_;
  std::vector<Arena::Snapshot> min_snaps_;  // minimize: the schedule being shortened (reproduces)
  std::size_t min_valid_ = 0;
  std::size_t snap_valid_ = 0;
  ExploreResult res_;
  std::chrono::steady_clock::time_point start_;
  // -j N: the coordinator's workers; in a worker, the calls it records and
  // the node it was given.
  std::vector<Spec> specs_;
  std::vector<Call>* calls_ = nullptr;
  std::size_t floor_ = 0;
};

}  // namespace

ExploreResult explore(const SystemFactory& make, const ExploreOptions& opt) {
  if (opt.jobs < 1) throw std::invalid_argument(fmt::format("jobs: expected at least 1, got {}", opt.jobs));
  if (opt.jobs > 1 && opt.reduction == Reduction::Random)
    throw std::invalid_argument("-j: random walks draw from one random stream in order, so they run in one process (-j 1)");
  if (opt.jobs > 1 && opt.max_schedules)
    throw std::invalid_argument("-j: where a schedule limit stops depends on the order schedules finish in; use -j 1 with a schedule limit");
  return Explorer(make, opt).run();
}

Floor measure_floor(const SystemFactory& make, std::uint64_t schedules) {
  Floor f;
  const auto start = std::chrono::steady_clock::now();
  for (; f.schedules < schedules; ++f.schedules) {
    auto sys = make(false);
    const int n = sys->processes();
    for (;;) {
      int p = 0;
      while (p < n && !sys->enabled(p)) ++p;
      if (p == n) break;
      ++f.transitions;
      try {
        sys->execute(p);
      } catch (const ViolationError&) {
        break;
      }
    }
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return f;
}

}  // namespace sim::mc
