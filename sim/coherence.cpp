// SPDX-License-Identifier: GPL-2.0-only
#include "sim/coherence.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <unordered_map>

#include "sim/arena.hpp"
#include "sim/observer.hpp"

namespace sim {

namespace {
// Line names, one copy each (thousands of lines share a handful of names).
std::deque<std::string>& line_names() {
  static std::deque<std::string> names;
  return names;
}
std::uint16_t intern(const std::string& name) {
  // Process-wide: never in a system's arena (sim/arena.hpp).
  OutsideArena outside;
  static std::unordered_map<std::string, std::uint16_t> ids;
  auto [it, added] = ids.try_emplace(name, static_cast<std::uint16_t>(line_names().size()));
  if (added) {
    if (line_names().size() > UINT16_MAX) throw std::length_error("more than 65536 distinct cache line names");
    line_names().push_back(name);
  }
  return it->second;
}
}  // namespace

CacheLine::CacheLine(const std::string& name) : name_(intern(name)) {}

const std::string& CacheLine::name() const { return line_names()[name_]; }

void CacheLine::remove_spinner(int cpu) {
  if (!extra_) return;
  auto& sp = extra_->spinners;
  auto it = std::find(sp.begin(), sp.end(), cpu);
  if (it != sp.end()) {
    *it = sp.back();
    sp.pop_back();
  }
}

void CacheLine::reset_state() {
  inline_.fill(0);  // the ids, or the sharer mask of a small machine
  owner_ = -1;
  nsharers_ = 0;
  socket_mask_ = 0;
  if (wide()) {
    std::fill(extra_->bits.begin(), extra_->bits.end(), 0);
    std::fill(extra_->socket_count.begin(), extra_->socket_count.end(), 0);
  }
  busy_until_ = 0;
}

Coherence::Picos Coherence::picos_of(const CoherenceCosts& c) {
  auto row = [](const CostRow& r) {
    TimeRow t{};
    for (int d = 0; d < kDistances; ++d) t[d] = from_ns(r[d]);
    return t;
  };
  Picos p{};
  p.load_modified = row(c.load_modified);
  p.load_shared = row(c.load_shared);
  p.store_modified = row(c.store_modified);
  p.store_shared = row(c.store_shared);
  p.atomic_modified = row(c.atomic_modified);
  p.atomic_shared = row(c.atomic_shared);
  p.load_hit = from_ns(c.load_hit);
  p.store_hit = from_ns(c.store_hit);
  p.atomic_local = from_ns(c.atomic_modified[0]);
  p.memory = from_ns(c.memory);
  p.atomic_memory = from_ns(c.memory + c.atomic_modified[0]);  // one rounding of the sum
  return p;
}

Coherence::Coherence(const Topology& topo, const CoherenceCosts& costs)
    : topo_(topo), small_(topo.cpus() <= 64), ps_(picos_of(costs)) {
  // A line keeps CPU ids in 16 bits and its sockets in a 64-bit mask.
  if (topo.cpus() > INT16_MAX || topo.sockets > 64)
    throw std::invalid_argument("Coherence: at most 32767 CPUs on 64 sockets");
  socket_of_.resize(topo.cpus());
  core_of_.resize(topo.cpus());
  if (small_) socket_cpus_.assign(topo.sockets, 0);
  for (int c = 0; c < topo.cpus(); ++c) {
    socket_of_[c] = static_cast<std::uint16_t>(topo.socket_of(c));
    core_of_[c] = static_cast<std::uint32_t>(topo.core_of(c));
    if (small_) socket_cpus_[socket_of_[c]] |= std::uint64_t{1} << c;
  }
}

[[gnu::always_inline]] inline void Coherence::add_sharer(CacheLine& line, int cpu) const {
  const int s = socket_of(cpu);
  if (small_) {
    const std::uint64_t m = line.mask(), bit = std::uint64_t{1} << cpu;
    if (m & bit) return;
    line.set_mask(m | bit);
    ++line.nsharers_;
    line.socket_mask_ |= std::uint64_t{1} << s;
    return;
  }
  if (shared_by(line, cpu)) return;
  if (!line.wide() && line.nsharers_ < CacheLine::kInline) {
    line.inline_[line.nsharers_] = static_cast<std::uint16_t>(cpu);
  } else {
    CacheLine::Extra& w = line.extra();
    if (!w.wide) {
      w.wide = true;
      w.bits.assign((topo_.cpus() + 63) / 64, 0);
      w.socket_count.assign(topo_.sockets, 0);
      for (int i = 0; i < line.nsharers_; ++i) {
        w.bits[line.inline_[i] / 64] |= std::uint64_t{1} << (line.inline_[i] % 64);
        ++w.socket_count[socket_of(line.inline_[i])];
      }
    }
    w.bits[cpu / 64] |= std::uint64_t{1} << (cpu % 64);
    ++w.socket_count[s];
  }
  ++line.nsharers_;
  line.socket_mask_ |= std::uint64_t{1} << s;
}

[[gnu::always_inline]] inline void Coherence::clear_sharers(CacheLine& line) const {
  if (line.nsharers_ == 0) return;
  if (small_) {
    line.set_mask(0);
  } else if (line.wide()) {
    std::fill(line.extra_->bits.begin(), line.extra_->bits.end(), 0);
    for (std::uint64_t m = line.socket_mask_; m; m &= m - 1) line.extra_->socket_count[std::countr_zero(m)] = 0;
  }
  line.nsharers_ = 0;
  line.socket_mask_ = 0;
}

// Does a CPU other than `cpu` (of socket `mine`) share the line in that socket?
[[gnu::always_inline]] inline bool Coherence::other_sharer_in_socket(const CacheLine& line, int cpu, int mine) const {
  if (small_) return (line.mask() & socket_cpus_[mine] & ~(std::uint64_t{1} << cpu)) != 0;
  return sharers_in_socket(line, mine) > (shared_by(line, cpu) ? 1u : 0u);
}

std::uint32_t Coherence::sharers_in_socket(const CacheLine& line, int socket) const {
  if (line.wide()) return line.extra_->socket_count[socket];
  std::uint32_t n = 0;
  for (int i = 0; i < line.nsharers_; ++i) n += socket_of(line.inline_[i]) == socket;
  return n;
}

// The farthest CPU that must answer, from the per-socket summary: another
// socket if any sharer is there (by hop count), else this socket. An SMT
// sibling counts as the same socket here (a conservative simplification).
[[gnu::always_inline]] inline Distance Coherence::farthest_sharer(const CacheLine& line, int cpu) const {
  const int mine = socket_of(cpu);
  const std::uint64_t others = line.socket_mask_ & ~(std::uint64_t{1} << mine);
  if (others) {
    int hops = 1;
    for (std::uint64_t m = others; m && hops < 2; m &= m - 1) hops = std::max(hops, topo_.hops(mine, std::countr_zero(m)));
    return hops == 1 ? Distance::OneHop : Distance::TwoHops;
  }
  return other_sharer_in_socket(line, cpu, mine) ? Distance::SameSocket : Distance::Self;
}

[[gnu::always_inline]] inline Distance Coherence::nearest_sharer(const CacheLine& line, int cpu) const {
  const int mine = socket_of(cpu);
  if (other_sharer_in_socket(line, cpu, mine)) return Distance::SameSocket;
  int hops = 2;
  for (std::uint64_t m = line.socket_mask_ & ~(std::uint64_t{1} << mine); m && hops > 1; m &= m - 1)
    hops = std::min(hops, topo_.hops(mine, std::countr_zero(m)));
  return hops == 1 ? Distance::OneHop : Distance::TwoHops;
}

// The cost of the access before any queueing, and whether the line moves in
// from another cache. Inlined into access(): it runs at every step.
[[gnu::always_inline]] inline Time Coherence::base_cost(const CacheLine& line, int cpu, AccessKind kind, bool& transfer) const {
  transfer = false;
  const Picos& c = ps_;
  const bool here_m = line.owner_ == cpu;
  const bool here_s = line.owner_ < 0 && shared_by(line, cpu);
  const std::size_t nshare = line.owner_ < 0 ? line.nsharers_ : 0;

  if (kind == AccessKind::Load) {
    if (here_m || here_s) return c.load_hit;
    transfer = line.owner_ >= 0 || nshare > 0;
    if (line.owner_ >= 0) return c.load_modified[static_cast<int>(distance(cpu, line.owner_))];
    if (nshare > 0) return c.load_shared[static_cast<int>(nearest_sharer(line, cpu))];  // served by the nearest
    return c.memory;
  }

  const TimeRow& on_modified = kind == AccessKind::Store ? c.store_modified : c.atomic_modified;
  const TimeRow& on_shared = kind == AccessKind::Store ? c.store_shared : c.atomic_shared;
  const Time local = kind == AccessKind::Store ? c.store_hit : c.atomic_local;
  if (here_m || (here_s && nshare == 1)) return local;
  if (line.owner_ >= 0) {
    transfer = true;
    return on_modified[static_cast<int>(distance(cpu, line.owner_))];
  }
  if (nshare > 0) {
    transfer = true;
    return on_shared[static_cast<int>(farthest_sharer(line, cpu))];
  }
  return kind == AccessKind::Store ? c.memory : c.atomic_memory;
}

Time Coherence::peek(const CacheLine& line, int cpu, AccessKind kind) const {
  bool transfer;
  return base_cost(line, cpu, kind, transfer);
}

Time Coherence::transfer_cost(int from_cpu, int to_cpu) const {
  return ps_.load_modified[static_cast<int>(distance(from_cpu, to_cpu))];
}

// Who supplies the line, for the observer: its owner, its only other
// sharer, or -1 (several sharers). Out of line, like the spinners' re-reads
// below: keeping what is rare out of access() leaves it fewer registers to save.
[[gnu::noinline]] int Coherence::supplier(const CacheLine& line, int cpu) const {
  if (line.owner_ >= 0) return line.owner_;
  if (line.nsharers_ - (shared_by(line, cpu) ? 1 : 0) != 1) return -1;
  for (int i = 0; i < topo_.cpus(); ++i)
    if (i != cpu && shared_by(line, i)) return i;
  return -1;
}

Time Coherence::access(CacheLine& line, int cpu, AccessKind kind, Time at) {
  bool transfer;
  Time cost = base_cost(line, cpu, kind, transfer);
  const bool counted = at >= stats_start_;
  if (counted) line.count_access();
  if (transfer) {
    Observer* const obs = observer_ ? *observer_ : nullptr;
    const int from = obs ? supplier(line, cpu) : -1;
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
      line.count_transfers(1);
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

  line.owner_ = static_cast<std::int16_t>(cpu);
  clear_sharers(line);
  if (line.spinners() > 0) reread_by_spinners(line, cpu, at + cost, counted);
  return cost;
}

// After a write by `cpu` done at `done`, every spinner re-reads the line it
// just lost: the first read pulls it out of the writer's cache (the line is
// busy meanwhile), the others are then served Shared. It ends up Shared by
// all of them.
[[gnu::noinline]] void Coherence::reread_by_spinners(CacheLine& line, int cpu, Time done, bool counted) {
  Observer* const obs = observer_ ? *observer_ : nullptr;
  Time reread_done = done;
  std::uint64_t moved = 0;
  for (int s : line.extra_->spinners) {
    if (s == cpu || shared_by(line, s)) continue;
    if (obs) obs->on_transfer(line, moved == 0 ? cpu : -1, s, done, moved == 0 ? transfer_cost(cpu, s) : 0);
    if (moved == 0) reread_done += transfer_cost(cpu, s);
    add_sharer(line, s);
    ++moved;
  }
  if (moved > 0) {
    add_sharer(line, cpu);
    line.owner_ = -1;
    line.busy_until_ = std::max(line.busy_until_, reread_done);
    if (counted) {
      line.count_transfers(static_cast<std::uint32_t>(moved));
      total_transfers_ += moved;
    }
  }
}

void Coherence::set_store_buffer(int entries) {
  if (entries < 0) throw std::invalid_argument("Coherence: a store buffer has at least 0 entries");
  const auto n = static_cast<std::size_t>(topo_.cpus());
  sb_entries_ = entries;
  sb_ring_.assign(n * static_cast<std::size_t>(entries), 0);
  sb_head_.assign(n, 0);
  sb_count_.assign(n, 0);
  sb_last_.assign(n, 0);
}

Coherence::BufferedStore Coherence::buffered_store(CacheLine& line, int cpu, Time at) {
  const auto c = static_cast<std::size_t>(cpu);
  const auto cap = static_cast<std::uint32_t>(sb_entries_);
  Time* ring = sb_ring_.data() + c * cap;
  std::uint32_t& head = sb_head_[c];
  std::uint32_t& count = sb_count_[c];
  // Retire what has drained by now.
  while (count > 0 && ring[head] <= at) {
    head = head + 1 == cap ? 0 : head + 1;
    --count;
  }
  Time issue = at;
  if (count == cap) {  // full: wait for the oldest store to drain
    issue = ring[head];
    head = head + 1 == cap ? 0 : head + 1;
    --count;
  }
  const Time rfo = access(line, cpu, AccessKind::Store, issue);
  Time& last = sb_last_[c];
  const Time visible = std::max(issue + rfo, last);
  ring[(head + count) % cap] = visible;
  ++count;
  last = visible;
  return {issue - at + ps_.store_hit, visible};
}

Time Coherence::drain_slow(int cpu, Time at) {
  const auto c = static_cast<std::size_t>(cpu);
  const Time wait = sb_last_[c] - at;
  sb_count_[c] = 0;
  sb_head_[c] = 0;
  return wait;
}

}  // namespace sim
