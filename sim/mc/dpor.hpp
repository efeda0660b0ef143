// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The generic stateless model checker of the engine layer (like SimGrid's
// src/mc): it knows processes, transitions and footprints, nothing of AIO.
//
// Stateless exploration of the interleavings of a concurrent system (C++
// coroutines, which cannot be copied as objects): a schedule backtracks to
// a node by restoring the system's saved bytes (a system built in a
// sim::Arena: ArenaSystem, `snapshots`) and replaying the few transitions
// after the saved state, or, for a system that cannot live in an arena, by
// rebuilding it from scratch and replaying the whole prefix of choices.
//
// Reduction: dynamic partial-order reduction with sleep sets. A transition
// is one step of one process: the shared access, atomic, lock operation or
// IRQ delivery it is about to take, plus the private work up to its next
// step. Two transitions are dependent when their footprints touch a common
// object and one of them writes it (a footprint may also be "global":
// dependent with everything). Happens-before is tracked with vector clocks
// over the executed trace; a process's clock also takes in the event that
// brought its next transition into being (the IRQ raise before the delivery).
// A race is an earlier event of another process, dependent with a later
// transition, possibly co-enabled with it, and not ordered before it
// through any other event. Each race is reversed as in source-DPOR (Abdulla,
// Aronis, Jonsson & Sagonas, POPL 2014): the events after the earlier one
// that do not depend on it, followed by the later transition, form a
// sequence v; unless a process that can start v (an "initial") is already
// scheduled, explored or asleep before the earlier event, one is added
// there. Backtracking is depth-first as in Flanagan & Godefroid (POPL 2005);
// sleep sets (Godefroid 1996) cut schedules equivalent to ones explored.
// Every Mazurkiewicz trace (equivalence class of interleavings under
// commuting independent transitions) is explored at least once, so every
// reachable end state, deadlock and assertion failure is found.
//
// Optimal DPOR (the default when unbounded; Abdulla, Aronis, Jonsson &
// Sagonas, POPL 2014, Algorithm 2): instead of one initial, the whole
// sequence v is inserted into a wakeup tree at the node before the earlier
// event, unless a sleeping process is a weak initial of v (then an explored
// schedule already covers it) or the tree already holds a branch that v
// weakly extends. A node's tree is explored branch by branch, in insertion
// order; the schedule follows the branch's sequence and only then chooses
// freely. Following v, the schedule cannot end up with every enabled
// process asleep, so each trace is explored exactly once:
// tests/programs/explore/dpor_test.cpp checks schedules == Mazurkiewicz traces and
// no schedule cut short on random programs, tests/programs/explore/optimal_test.cpp
// that no schedule is cut short and no two schedules are one trace on
// every unbounded built-in scenario and on the minimal cases of the gaps
// fixed (docs/explorer.md).
//
// That needs v to be runnable where it is inserted. Blocking is what can
// break it: a transition that could not run before the earlier event of
// the race, because that event (or one after it) let it run. Four rules
// keep such orders out of v:
//   - a lock's release and the next acquire of it are dependent (ordered)
//     but not a race to reverse (`conflict`): the acquire races with the
//     acquire before that release instead (Nidhugg treats mutexes the same
//     way). The system marks lock steps with LockOp; a wait for every
//     reader to leave a section (synchronize_rcu) is an acquire, the step
//     that leaves the section a release;
//   - that release still orders every other conflict: an acquire carries
//     the start of its critical section (a transition runs up to the next
//     step), and what the previous holder did inside its section cannot be
//     reversed with it; only the acquires race;
//   - an event that enables a waiting transition happens before it;
//   - a race whose later transition was already next, but disabled, before
//     the earlier event is skipped (the race of that pending transition
//     with whatever disabled it covers the other order).
// And v's last transition carries the footprint it had where it ran, after
// the earlier event; moved before it, it may read other values and do
// other private work. So whether a sleeping process (or the branch being
// explored) is a weak initial of v is decided with the footprint its own
// transition has at that node, where it ran. The same test is made again
// when a branch is taken, against the sleep set as it is then, so a branch
// that an explored schedule covers is not run only to be cut short.
// A branch whose process still cannot run where it was inserted is dropped
// (`wakeup_dropped`; the node then chooses freely), and a schedule that
// ends with every enabled process asleep is cut short (`sleep_blocked`);
// both are counted: 0 on every built-in scenario, cancel-complete-destroy-
// reap explored unbounded included. Where no initial of v can run at the
// node, every enabled process is inserted, as the source-DPOR fallback
// does.
//
// The private work after a step is only known once it has run, so races
// are checked for each process's next transition as far as it is known
// (the step it is about to take) and again, for the transition just
// executed, with its full footprint.
//
// A preemption bound (CHESS, Musuvathi & Qadeer 2007) limits how often a
// process that could go on is switched away from. Bounded DPOR adds the
// conservative backtracking points of Coons, Musuvathi & McKinley (OOPSLA
// 2013) -- the race's process is also tried at the start of the scheduling
// block holding the earlier event -- and runs without sleep sets; the
// exploration is then complete only up to the bound.
//
// `Reduction::Random` runs `random_walks` schedules, each choosing
// uniformly among the enabled processes at every step (seeded, so the same
// seed gives the same walks), for systems too large to exhaust. Its
// coverage statement: the distinct Mazurkiewicz traces the walks covered
// (walks with equal Foata normal forms are one trace), Chao1's estimate of
// how many traces there are (Chao 1984: seen + f1^2 / 2 f2, f1 and f2 the
// traces hit exactly once and twice), the Good-Turing chance that one more
// walk finds a trace not yet seen (f1 / walks), and Knuth's estimate of the
// number of interleavings (Knuth 1975: the mean over walks of the product
// of the branching degrees along the walk).
//
// `Reduction::None` enumerates every interleaving (optionally bounded): only
// for small systems, and to check the reduction against
// (tests/programs/explore/dpor_test.cpp compares the two on random programs).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace sim::mc {

using ObjKey = std::uint64_t;

// What a step does to a lock: acquiring it can only follow its release, so
// a release and the next acquire are ordered (dependent) but never a race
// to reverse; the acquire races with the previous acquire instead.
enum class LockOp : std::uint8_t { None, Acquire, Release };

struct Access {
  ObjKey obj;
  bool write;
  LockOp lock = LockOp::None;
};

struct Footprint {
  // A transition touches a handful of objects: kept inline, a footprint
  // costs no heap allocation to build, copy or keep (the explorer makes
  // several per transition, some inside the system's arena).
  boost::container::small_vector<Access, 6> acc;
  // One bit per object (a hash of its key): two footprints whose masks do
  // not meet touch no common object, which settles most pairs at once.
  std::uint64_t objs = 0;
  bool global = false;  // dependent with every transition
  // Transitions that can never be enabled together are not racing, whatever
  // they touch: a step of CPU c's task (exclusive_task = c) and a step of a
  // handler running on c (exclusive_handler = c), which preempted it.
  int exclusive_task = -1;
  int exclusive_handler = -1;

  void add(ObjKey k, bool write, LockOp lock = LockOp::None);
  void merge(const Footprint& o);
  bool operator==(const Footprint& o) const;
};

bool dependent(const Footprint& a, const Footprint& b);
// Dependent other than through a release of a lock in `earlier` and an
// acquire of it in `later`: the pairs whose order could be reversed.
bool reversible(const Footprint& earlier, const Footprint& later);
// How two dependent footprints conflict: only through a release in
// `earlier` and an acquire of that lock in `later` (ordered, never a race);
// on lock steps of both (two acquires); on anything else.
struct Conflict {
  bool ordered_only = false;
  bool lock = false;
  bool data = false;
};
Conflict conflict(const Footprint& earlier, const Footprint& later);
bool may_be_coenabled(const Footprint& a, const Footprint& b);

// A broken invariant found in one schedule.
struct ViolationInfo {
  std::string kind;      // "invariant", "deadlock", "lock-ownership", "global-deadlock", ...
  std::string headline;  // one line; violations are grouped by kind and headline
  std::string details;
};

// Thrown by System::execute when the transition breaks an invariant.
struct ViolationError {
  ViolationInfo info;
};

// One fresh instance of the system under exploration, at its initial state.
class System {
 public:
  virtual ~System() = default;
  virtual int processes() const = 0;
  virtual std::string process_name(int p) const = 0;
  // Does p have a next transition at all (enabled or not)?
  virtual bool has_next(int p) const = 0;
  virtual bool enabled(int p) const = 0;
  // What is known of p's next transition before it runs.
  virtual Footprint next_footprint(int p) const = 0;
  // Changes whenever p's next transition changes.
  virtual std::uint64_t next_signature(int p) const = 0;
  // All the explorer asks of p's next transition at a new node, at once
  // (a system in an arena answers in one visit instead of four): has_next,
  // enabled, next_signature, and next_footprint when there is a next.
  struct Next {
    bool has_next = false;
    bool enabled = false;
    std::uint64_t signature = 0;
    Footprint fp;
  };
  virtual Next next(int p) const {
    Next n;
    n.enabled = enabled(p);
    n.has_next = has_next(p);
    if (n.has_next) {
      n.signature = next_signature(p);
      n.fp = next_footprint(p);
    }
    return n;
  }
  // Run p's next transition; returns its full footprint. Throws ViolationError.
  virtual Footprint execute(int p) = 0;
  // The same when replaying a prefix already run (its footprint is known):
  // a system may skip computing the footprint.
  virtual void replay_step(int p) { execute(p); }
  // execute and replay_step with a violation stored in `violated` (and
  // false returned) instead of thrown. The explorer meets a violation on
  // many of its schedules and on most candidates it replays to shorten a
  // counterexample, and every rethrow of one on its way out (a system in an
  // arena copies it out and throws the copy) costs microseconds: a system
  // that can report one without throwing overrides these.
  virtual bool execute_or_report(int p, Footprint& fp, ViolationInfo& violated) {
    try {
      fp = execute(p);
      return true;
    } catch (const ViolationError& e) {
      violated = e.info;
      return false;
    }
  }
  virtual bool replay_step_or_report(int p, ViolationInfo& violated) {
    try {
      replay_step(p);
      return true;
    } catch (const ViolationError& e) {
      violated = e.info;
      return false;
    }
  }
  // At a state where nothing is enabled: a violation (deadlock, lost
  // result...) or none.
  virtual std::optional<ViolationInfo> at_end() = 0;
  // A canonical description of the end state (outcomes, not paths).
  virtual std::string end_state() const = 0;
  // Human-readable lines for the transitions run so far (when built for
  // tracing), for counterexamples.
  virtual std::vector<std::string> trace() const { return {}; }
  // The system keeps all of its state in memory it allocates with operator
  // new (or in coroutine frames), and none of it in process-wide state: it
  // can then be built in a sim::Arena and saved and restored whole
  // (ArenaSystem; see sim/arena.hpp for the contract).
  virtual bool snapshot_safe() const { return false; }
};

using SystemFactory = std::function<std::unique_ptr<System>(bool tracing)>;

enum class Reduction { Dpor, None, Random };

struct ExploreOptions {
  Reduction reduction = Reduction::Dpor;
  bool sleep_sets = true;          // with DPOR, unbounded only
  bool optimal = true;             // with DPOR, unbounded, sleep sets: wakeup trees (else source-DPOR)
  int max_preemptions = -1;        // -1: unbounded
  std::uint64_t max_schedules = 0; // 0: no limit
  std::size_t max_depth = 20000;   // transitions per schedule
  double max_seconds = 0;          // 0: no limit
  bool check_replay = true;        // verify replays reproduce the same footprints (the first 64 schedules' and every 64th after)
  // Backtrack by restoring a saved state of the system (ArenaSystem) instead
  // of rebuilding it and replaying the prefix, if the system is
  // snapshot_safe(); a state is saved every `snapshot_interval` transitions
  // along the current schedule.
  bool snapshots = true;
  int snapshot_interval = 8;
  bool minimize = true;            // shorten each counterexample (replayed) before printing it
  std::uint64_t random_walks = 0;  // Reduction::Random: how many schedules
  std::uint64_t seed = 1;          // Reduction::Random: the walks' seed
  // Dpor and None: count the distinct Mazurkiewicz traces (Foata normal
  // forms) among the schedules run, into traces_covered (tests).
  bool count_traces = false;
  // Dpor and None: how many processes explore at once (-j N). Above 1,
  // forked workers explore the next sibling subtrees of the current schedule
  // speculatively; the explorer uses a worker's answer only where it had the
  // very inputs the subtree has in the sequential order, so the result is the
  // one of jobs = 1 (docs/explorer.md, "Parallel exploration").
  int jobs = 1;
  // jobs > 1: a node's next branch goes to a worker only once the branch
  // explored there has run this many schedules. A sibling of a small
  // subtree is likely small too, and a fork costs milliseconds (copy-on-write
  // faults on every page either side writes next): without this, -j 2 was
  // 1.8-3.9x slower than -j 1 on the scenarios of a few hundred schedules
  // (docs/explorer.md). Tests set 0 to make workers take even tiny subtrees.
  std::uint64_t min_spec_schedules = 512;
};

struct FoundViolation {
  ViolationInfo info;
  std::uint64_t schedules = 0;          // how many explored schedules hit it
  std::vector<int> shortest;            // the shortest schedule found (process per transition), minimized
  std::vector<std::string> trace;       // that schedule, replayed with tracing
};

struct ExploreResult {
  std::uint64_t schedules = 0;      // schedules run to their end (terminal, violation or depth limit)
  std::uint64_t sleep_blocked = 0;  // cut short: every enabled process was asleep (redundant)
  std::uint64_t transitions = 0;    // transitions executed, replays included
  std::uint64_t restores = 0;       // backtracks served by a saved state (snapshots)
  std::size_t snapshot_bytes = 0;   // size of one saved state
  std::uint64_t pruned_by_bound = 0;
  std::uint64_t wakeup_dropped = 0; // optimal DPOR: wakeup-tree branches whose process could not run there
  std::size_t max_depth_seen = 0;
  bool exhaustive = false;          // every trace covered (no limit hit, no bound)
  bool complete_within_bound = false;
  bool limit_hit = false;
  std::string limit_reason;
  double seconds = 0;
  std::map<std::string, std::uint64_t> end_states;  // description -> schedules ending there
  std::vector<FoundViolation> violations;
  // Reduction::Random: the coverage statement (see above). traces_covered
  // also counts, with count_traces, the distinct traces a Dpor or None
  // exploration ran.
  std::uint64_t traces_covered = 0;
  double traces_estimated = 0;       // Chao1
  double new_trace_chance = 0;       // Good-Turing: f1 / walks
  double interleavings_estimated = 0;  // Knuth
  // jobs > 1: subtrees whose worker's answer was used, and workers whose
  // answer was not (their branch or subtree was not the one picked). Not
  // part of the answer: how the work was split.
  std::uint64_t worker_subtrees = 0;
  std::uint64_t workers_discarded = 0;
};

ExploreResult explore(const SystemFactory& make, const ExploreOptions& opt);

// The floor under any exploration of a system: `schedules` times, build it
// and run it to its end, always taking the first enabled process, with no
// race analysis, clocks or trees. Its transitions/s is what stepping the
// system costs by itself.
struct Floor {
  std::uint64_t schedules = 0;
  std::uint64_t transitions = 0;
  double seconds = 0;
};
Floor measure_floor(const SystemFactory& make, std::uint64_t schedules);

}  // namespace sim::mc
