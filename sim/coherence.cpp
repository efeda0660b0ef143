#include "sim/coherence.hpp"

#include <algorithm>

namespace sim {

void CacheLine::remove_spinner(int cpu) {
  auto it = std::find(spinners_.begin(), spinners_.end(), cpu);
  if (it != spinners_.end()) {
    *it = spinners_.back();
    spinners_.pop_back();
  }
}

void CacheLine::reset_state() {
  owner_ = -1;
  sharers_.reset();
  busy_until_ = 0;
}

Distance Coherence::farthest_sharer(const CacheLine& line, int cpu) const {
  Distance far = Distance::Self;
  for (auto i = line.sharers_.find_first(); i != boost::dynamic_bitset<>::npos; i = line.sharers_.find_next(i)) {
    Distance d = topo_.distance(cpu, static_cast<int>(i));
    if (d > far) far = d;
  }
  return far;
}

Distance Coherence::farthest_spinner(const CacheLine& line, int cpu) const {
  Distance far = Distance::Self;
  for (int s : line.spinners_) {
    Distance d = topo_.distance(cpu, s);
    if (d > far) far = d;
  }
  return far;
}

// The cost of the access before any queueing, and whether the line moves in
// from another cache.
double Coherence::base_cost(const CacheLine& line, int cpu, AccessKind kind, bool& transfer) const {
  transfer = false;
  const auto& c = costs_;
  const bool here_m = line.owner_ == cpu;
  const bool here_s = line.owner_ < 0 && line.shared_by(cpu);
  const std::size_t nshare = line.owner_ < 0 ? line.sharers_.count() : 0;

  if (kind == AccessKind::Load) {
    if (here_m || here_s) return c.load_hit;
    transfer = line.owner_ >= 0 || nshare > 0;
    if (line.owner_ >= 0) return c.load_modified[static_cast<int>(topo_.distance(cpu, line.owner_))];
    if (nshare > 0) {
      // Served by the nearest sharer.
      Distance near = Distance::TwoHops;
      for (auto i = line.sharers_.find_first(); i != boost::dynamic_bitset<>::npos; i = line.sharers_.find_next(i))
        near = std::min(near, topo_.distance(cpu, static_cast<int>(i)));
      return c.load_shared[static_cast<int>(near)];
    }
    return c.memory;
  }

  const CostRow& on_modified = kind == AccessKind::Store ? c.store_modified : c.atomic_modified;
  const CostRow& on_shared = kind == AccessKind::Store ? c.store_shared : c.atomic_shared;
  const double local = kind == AccessKind::Store ? c.store_hit : c.atomic_modified[0];
  if (here_m || (here_s && nshare == 1)) return local;
  if (line.owner_ >= 0) {
    transfer = true;
    return on_modified[static_cast<int>(topo_.distance(cpu, line.owner_))];
  }
  if (nshare > 0) {
    transfer = true;
    return on_shared[static_cast<int>(farthest_sharer(line, cpu))];
  }
  return kind == AccessKind::Store ? c.memory : c.memory + c.atomic_modified[0];
}

Time Coherence::peek(const CacheLine& line, int cpu, AccessKind kind) const {
  bool transfer;
  return from_ns(base_cost(line, cpu, kind, transfer));
}

Time Coherence::transfer_cost(int from_cpu, int to_cpu) const {
  return from_ns(costs_.load_modified[static_cast<int>(topo_.distance(from_cpu, to_cpu))]);
}

Time Coherence::access(CacheLine& line, int cpu, AccessKind kind, Time at) {
  if (line.sharers_.size() < static_cast<std::size_t>(topo_.cpus())) line.sharers_.resize(topo_.cpus());
  bool transfer;
  Time cost = from_ns(base_cost(line, cpu, kind, transfer));
  const bool counted = at >= stats_start_;
  if (counted) ++line.accesses_;
  if (transfer) {
    // Ownership moves one request at a time: wait for the line's last
    // transfer. A load of a line others hold Shared is answered by the LLC
    // in parallel with other such loads, so it neither waits nor occupies.
    const bool serialised = kind != AccessKind::Load || line.owner_ >= 0;
    if (serialised) {
      Time wait = line.busy_until_ > at ? line.busy_until_ - at : 0;
      cost += wait;
      line.busy_until_ = at + cost;
    }
    if (counted) {
      ++line.transfers_;
      ++total_transfers_;
    }
  }

  if (kind == AccessKind::Load) {
    if (line.owner_ >= 0 && line.owner_ != cpu) {
      line.sharers_.set(line.owner_);
      line.owner_ = -1;
    }
    if (line.owner_ != cpu) line.sharers_.set(cpu);
    return cost;
  }

  line.owner_ = cpu;
  line.sharers_.reset();
  if (!line.spinners_.empty()) {
    // Every spinner re-reads the line it just lost: the first read pulls it
    // out of the writer's cache (the line is busy meanwhile), the others are
    // then served Shared. It ends up Shared by all of them.
    Time reread_done = at + cost;
    std::uint64_t moved = 0;
    for (int s : line.spinners_) {
      if (s == cpu || line.sharers_[s]) continue;
      if (moved == 0) reread_done += transfer_cost(cpu, s);
      line.sharers_.set(s);
      ++moved;
    }
    if (moved > 0) {
      line.sharers_.set(cpu);
      line.owner_ = -1;
      line.busy_until_ = std::max(line.busy_until_, reread_done);
      if (counted) {
        line.transfers_ += moved;
        total_transfers_ += moved;
      }
    }
  }
  return cost;
}

}  // namespace sim
