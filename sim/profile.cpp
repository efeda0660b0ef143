// SPDX-License-Identifier: GPL-2.0-only
#include "sim/profile.hpp"

#include "sim/coherence.hpp"
#include "sim/cpu.hpp"
#include "sim/driver.hpp"
#include "sim/machine.hpp"

namespace sim {

CpuProfile::CpuProfile(const Cpu& cpu, std::array<Time, 3> hit) : cpu_(&cpu), hit_(hit) {
  nodes_.push_back(Node{"task", kNone, kNone, kNone, FrameKind::Function, 0, kNone});
  nodes_.push_back(Node{"hardirq", kNone, kNone, kNone, FrameKind::Function, 0, kNone});
  ctx_[kTask].node = kTask;
  ctx_[kIrq].node = kIrq;
}

void CpuProfile::enter(int ctx, const char* fn, Time t) {
  Ctx& c = ctx_[ctx];
  boundary(ctx, t);
  c.node = child(c.node, fn, FrameKind::Function);
}

void CpuProfile::leave(int ctx, Time t) {
  Ctx& c = ctx_[ctx];
  boundary(ctx, t);
  if (c.node > kIrq) c.node = nodes_[c.node].parent;
}

std::uint32_t CpuProfile::child(std::uint32_t parent, const char* name, FrameKind kind) {
  const std::uint32_t last = nodes_[parent].last_child;
  if (last != kNone && nodes_[last].name == name && nodes_[last].kind == kind) return last;
  for (std::uint32_t i = nodes_[parent].first_child; i != kNone; i = nodes_[i].next_sibling)
    if (nodes_[i].name == name && nodes_[i].kind == kind) {
      nodes_[parent].last_child = i;
      return i;
    }
  const auto id = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(Node{name, parent, kNone, nodes_[parent].first_child, kind, 0, kNone});
  nodes_[parent].first_child = id;
  nodes_[parent].last_child = id;
  return id;
}

void CpuProfile::stall(int ctx, const CacheLine& line, Time from, Time to) {
  Ctx& c = ctx_[ctx];
  const std::uint32_t s = child(c.node, line.name().c_str(), FrameKind::Stall);
  boundary(ctx, from);
  if (c.n == kPending) make_room(ctx);
  c.pending[(c.head + c.n) & (kPending - 1)] = Pending{s, to};
  ++c.n;
}

void CpuProfile::commit(Ctx& c, Time limit, bool busy, Time stats_start) {
  while (c.n > 0) {
    const Pending& p = c.pending[c.head];
    if (p.end > limit) break;
    if (busy) add(p.node, p.end, stats_start);
    else if (p.end > cursor_) cursor_ = p.end;
    c.head = (c.head + 1) & (kPending - 1);
    --c.n;
  }
}

void CpuProfile::make_room(int ctx) {
  // Boundaries before the next event of any other context are final: nothing
  // can charge this CPU before them. A context that is not the one the CPU
  // is charging now (a task still running up to its next step under an IRQ)
  // keeps them.
  const Machine& m = cpu_->machine();
  Ctx& c = ctx_[ctx];
  const bool charging = cpu_->in_irq_handler() == (ctx == kIrq);
  if (charging) commit(c, m.driver().horizon(), true, m.stats_start());
  if (c.n < kPending) return;
  // Sixty-four function boundaries past the next event without a step: hand
  // out the oldest (its interval may then be counted for this context where
  // the CPU counts it for an IRQ arriving before it; the totals stay exact).
  add(c.pending[c.head].node, c.pending[c.head].end, m.stats_start());
  c.head = (c.head + 1) & (kPending - 1);
  --c.n;
}

void CpuProfile::charge(int ctx, Activity a, Time at, Time stats_start) {
  Ctx& c = ctx_[ctx];
  const bool busy = a != Activity::Idle;
  commit(c, at, busy, stats_start);
  if (!busy) {
    if (at > cursor_) cursor_ = at;
    return;
  }
  // The rest goes to the node current at `at`: the first pending boundary
  // past it closes that node's interval.
  std::uint32_t node = c.n > 0 ? c.pending[c.head].node : c.node;
  if (a == Activity::Spin) node = child(node, c.spin_lock, FrameKind::Spin);
  add(node, at, stats_start);
}

void CpuProfile::shift(int ctx, Time by) {
  Ctx& c = ctx_[ctx];
  for (int i = 0; i < c.n; ++i) c.pending[(c.head + i) & (kPending - 1)].end += by;
}

Profile::Profile(Machine& m) : machine_(&m) {
  const Coherence& coh = m.coherence();
  const std::array<Time, 3> hit{coh.hit_cost(AccessKind::Load), coh.hit_cost(AccessKind::Store),
                                coh.hit_cost(AccessKind::Rmw)};
  cpus_.reserve(static_cast<std::size_t>(m.cpus()));
  for (int i = 0; i < m.cpus(); ++i) cpus_.emplace_back(m.cpu(i), hit);
  for (int i = 0; i < m.cpus(); ++i) m.cpu(i).set_profile(&cpus_[static_cast<std::size_t>(i)]);
}

Profile::~Profile() {
  for (int i = 0; i < machine_->cpus(); ++i) machine_->cpu(i).set_profile(nullptr);
}

std::map<std::string, Time> Profile::folded(const std::vector<std::string>* prefix_of_cpu) const {
  std::map<std::string, Time> out;
  std::vector<const CpuProfile::Node*> chain;
  for (std::size_t cpu = 0; cpu < cpus_.size(); ++cpu) {
    const auto& nodes = cpus_[cpu].nodes();
    for (const auto& n : nodes) {
      if (n.self == 0) continue;
      chain.clear();
      for (const CpuProfile::Node* p = &n;; p = &nodes[p->parent]) {
        chain.push_back(p);
        if (p->parent == CpuProfile::kNone) break;
      }
      std::string key;
      if (prefix_of_cpu) key = (*prefix_of_cpu)[cpu] + ";";
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (it != chain.rbegin()) key += ';';
        const CpuProfile::Node& f = **it;
        if (f.kind == FrameKind::Spin) key += std::string("[spin ") + f.name + "]";
        else if (f.kind == FrameKind::Stall) key += std::string("[stall ") + f.name + "]";
        else key += f.name;
      }
      out[key] += n.self;
    }
  }
  return out;
}

}  // namespace sim
