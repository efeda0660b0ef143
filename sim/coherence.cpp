#include "sim/coherence.hpp"

#include <algorithm>
#include <bit>

#include "sim/observer.hpp"

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
  nsharers_ = 0;
  socket_mask_ = 0;
  std::fill(socket_count_.begin(), socket_count_.end(), 0);
  busy_until_ = 0;
}

void Coherence::add_sharer(CacheLine& line, int cpu) const {
  if (line.sharers_[cpu]) return;
  line.sharers_.set(cpu);
  ++line.nsharers_;
  const int s = topo_.socket_of(cpu);
  if (line.socket_count_[s]++ == 0) line.socket_mask_ |= std::uint64_t{1} << s;
}

void Coherence::clear_sharers(CacheLine& line) const {
  if (line.nsharers_ == 0) return;
  line.sharers_.reset();
  line.nsharers_ = 0;
  for (std::uint64_t m = line.socket_mask_; m; m &= m - 1) line.socket_count_[std::countr_zero(m)] = 0;
  line.socket_mask_ = 0;
}

// The farthest CPU that must answer, from the per-socket summary: another
// socket if any sharer is there (by hop count), else this socket. An SMT
// sibling counts as the same socket here (a conservative simplification).
Distance Coherence::farthest_sharer(const CacheLine& line, int cpu) const {
  const int mine = topo_.socket_of(cpu);
  const std::uint64_t others = line.socket_mask_ & ~(std::uint64_t{1} << mine);
  if (others) {
    int hops = 1;
    for (std::uint64_t m = others; m && hops < 2; m &= m - 1) hops = std::max(hops, topo_.hops(mine, std::countr_zero(m)));
    return hops == 1 ? Distance::OneHop : Distance::TwoHops;
  }
  const std::uint32_t here = line.socket_count_[mine] - (line.sharers_[cpu] ? 1 : 0);
  return here > 0 ? Distance::SameSocket : Distance::Self;
}

Distance Coherence::nearest_sharer(const CacheLine& line, int cpu) const {
  const int mine = topo_.socket_of(cpu);
  if (line.socket_count_[mine] > (line.sharers_[cpu] ? 1u : 0u)) return Distance::SameSocket;
  int hops = 2;
  for (std::uint64_t m = line.socket_mask_ & ~(std::uint64_t{1} << mine); m && hops > 1; m &= m - 1)
    hops = std::min(hops, topo_.hops(mine, std::countr_zero(m)));
  return hops == 1 ? Distance::OneHop : Distance::TwoHops;
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
  const std::size_t nshare = line.owner_ < 0 ? line.nsharers_ : 0;

  if (kind == AccessKind::Load) {
    if (here_m || here_s) return c.load_hit;
    transfer = line.owner_ >= 0 || nshare > 0;
    if (line.owner_ >= 0) return c.load_modified[static_cast<int>(topo_.distance(cpu, line.owner_))];
    if (nshare > 0) return c.load_shared[static_cast<int>(nearest_sharer(line, cpu))];  // served by the nearest
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
  if (line.sharers_.size() < static_cast<std::size_t>(topo_.cpus())) {
    line.sharers_.resize(topo_.cpus());
    line.socket_count_.assign(topo_.sockets, 0);
  }
  bool transfer;
  Time cost = from_ns(base_cost(line, cpu, kind, transfer));
  const bool counted = at >= stats_start_;
  Observer* const obs = observer_ ? *observer_ : nullptr;
  // Who supplies the line, for the observer: its owner, its only other
  // sharer, or -1 (several sharers).
  int from = -1;
  if (obs && transfer) {
    if (line.owner_ >= 0) from = line.owner_;
    else if (line.nsharers_ - (line.sharers_[cpu] ? 1 : 0) == 1)
      for (auto i = line.sharers_.find_first(); i != boost::dynamic_bitset<>::npos; i = line.sharers_.find_next(i))
        if (static_cast<int>(i) != cpu) from = static_cast<int>(i);
  }
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
    if (obs) obs->on_transfer(line, from, cpu, at, cost);
  }

  if (kind == AccessKind::Load) {
    if (line.owner_ >= 0 && line.owner_ != cpu) {
      add_sharer(line, line.owner_);
      line.owner_ = -1;
    }
    if (line.owner_ != cpu) add_sharer(line, cpu);
    return cost;
  }

  line.owner_ = cpu;
  clear_sharers(line);
  if (!line.spinners_.empty()) {
    // Every spinner re-reads the line it just lost: the first read pulls it
    // out of the writer's cache (the line is busy meanwhile), the others are
    // then served Shared. It ends up Shared by all of them.
    Time reread_done = at + cost;
    std::uint64_t moved = 0;
    for (int s : line.spinners_) {
      if (s == cpu || line.sharers_[s]) continue;
      if (obs) obs->on_transfer(line, moved == 0 ? cpu : -1, s, at + cost, moved == 0 ? transfer_cost(cpu, s) : 0);
      if (moved == 0) reread_done += transfer_cost(cpu, s);
      add_sharer(line, s);
      ++moved;
    }
    if (moved > 0) {
      add_sharer(line, cpu);
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
