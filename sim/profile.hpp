// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A perf-style profile of simulated CPU time by call chain.
//
// Each CPU keeps a calling-context tree per context (task, hardirq): a node
// per distinct chain of KernelFunction frames, with two kinds of pseudo-frame
// below a function, `[spin LOCK]` (the CPU spinning on a lock in that
// function) and `[stall LINE]` (an access waiting for a cache line beyond a
// local hit). Every nanosecond the CPU's own accounting (Cpu::charge) counts
// as task, spinning or IRQ time goes to exactly one node, so the profile sums
// to the busy time by construction.
//
// A context runs ahead of the others between steps, so an interval it has
// already spent in a function may still be given to an IRQ that arrives
// earlier (the task's remaining work is then resumed after the handler). Its
// function boundaries are therefore kept pending, with their times, and
// handed out when the CPU charges an interval; pending boundaries of a task
// preempted that way move with it to after the handler.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim {

class Cpu;
class CacheLine;
class Machine;
enum class Activity : std::uint8_t;
enum class AccessKind : std::uint8_t;

enum class FrameKind : std::uint8_t { Function, Spin, Stall };

class CpuProfile {
 public:
  static constexpr std::uint32_t kNone = ~0u;
  static constexpr int kPending = 64;  // a power of two
  enum : int { kTask = 0, kIrq = 1 };

  struct Node {
    const char* name;
    std::uint32_t parent;
    std::uint32_t first_child = kNone;
    std::uint32_t next_sibling = kNone;
    FrameKind kind;
    Time self = 0;
    std::uint32_t last_child = kNone;  // the child found last: calls repeat
  };

  // `hit`: what a load, store and atomic cost when the line is local (the
  // rest of an access's cost is a stall).
  CpuProfile(const Cpu& cpu, std::array<Time, 3> hit);

  // From the contexts (ctx: kTask or kIrq), at the context's own clock.
  void enter(int ctx, const char* fn, Time t);
  void leave(int ctx, Time t);
  // An access by the context that started at `at` and took `cost`.
  void access(int ctx, const CacheLine& line, AccessKind kind, Time at, Time cost) {
    const Time hit = hit_[static_cast<int>(kind)];
    if (cost > hit) stall(ctx, line, at + hit, at + cost);
  }
  // The context starts spinning on `lock` (named for the pseudo-frame).
  void spin_on(int ctx, const char* lock) { ctx_[ctx].spin_lock = lock; }
  // A new root task or handler starts at the context's top level.
  void restart(int ctx) { ctx_[ctx].node = static_cast<std::uint32_t>(ctx); }

  // From the CPU: it charges [its last charge, at] as activity `a`, done by
  // context `ctx`; statistics count from `stats_start`.
  void charge(int ctx, Activity a, Time at, Time stats_start);
  // The task's pending boundaries move by `by` (it was preempted by an IRQ
  // before reaching them).
  void shift(int ctx, Time by);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Cpu& cpu() const { return *cpu_; }

 private:
  struct Pending {
    std::uint32_t node;  // the node that was current up to `end`
    Time end;
  };
  struct Ctx {
    std::uint32_t node;
    int head = 0, n = 0;
    std::array<Pending, kPending> pending{};
    const char* spin_lock = "?";
  };

  void boundary(int ctx, Time t) {
    Ctx& c = ctx_[ctx];
    if (c.n == kPending) [[unlikely]] make_room(ctx);
    c.pending[(c.head + c.n) & (kPending - 1)] = Pending{c.node, t};
    ++c.n;
  }
  void stall(int ctx, const CacheLine& line, Time from, Time to);
  void make_room(int ctx);
  void commit(Ctx& c, Time limit, bool busy, Time stats_start);
  std::uint32_t child(std::uint32_t parent, const char* name, FrameKind kind);
  void add(std::uint32_t node, Time end, Time stats_start) {
    const Time from = cursor_ > stats_start ? cursor_ : stats_start;
    if (end > from) nodes_[node].self += end - from;
    if (end > cursor_) cursor_ = end;
  }

  const Cpu* cpu_;
  std::array<Time, 3> hit_;
  std::vector<Node> nodes_;  // [0] task root, [1] hardirq root
  std::array<Ctx, 2> ctx_;
  Time cursor_ = 0;  // charged up to here
};

// The profile of a whole machine: installs a CpuProfile on every CPU while
// it lives.
class Profile {
 public:
  explicit Profile(Machine& m);
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // Folded stacks, "frame;frame;frame" -> picoseconds, merged over CPUs;
  // the root frame names the context ("task", "hardirq"). With
  // `prefix_of_cpu`, each CPU's stacks start with that frame (its role).
  std::map<std::string, Time> folded(const std::vector<std::string>* prefix_of_cpu = nullptr) const;

 private:
  Machine* machine_;
  std::vector<CpuProfile> cpus_;
};

}  // namespace sim
