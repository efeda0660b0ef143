// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Cache lines and what moving them costs.
//
// Each shared field of a model lives on a named CacheLine; which field is on
// which line is data (a layout), so a packed struct and a
// ____cacheline_aligned_in_smp one are two layouts of the same model. A line
// is Modified in one CPU's cache, Shared by a set of CPUs, or in no cache
// (MSI). An access costs by that state and by the distance to the farthest
// CPU that must answer, from the machine preset. A line serves one transfer
// at a time, so CPUs hammering one line queue behind each other.
//
// Spinners: a CPU spinning on a lock keeps re-reading the lock's line, so
// after every write to it each spinner pulls it back (one transfer each) and
// the next write must invalidate them all. The line keeps their CPUs to
// charge that without simulating every spin iteration.
#include <array>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/presets.hpp"
#include "sim/time.hpp"

namespace sim {

enum class AccessKind : std::uint8_t { Load, Store, Rmw };

class Coherence;
class Observer;

class CacheLine {
 public:
  explicit CacheLine(const std::string& name = "anon");
  const std::string& name() const;

  // Transfers into some CPU's cache from another CPU's cache (not from DRAM),
  // counted from the statistics start.
  std::uint64_t transfers() const { return transfers_ + (extra_ ? extra_->transfers_high << 32 : 0); }
  std::uint64_t accesses() const { return accesses_ + (extra_ ? extra_->accesses_high << 32 : 0); }

  int owner() const { return owner_; }
  // Who shares it is asked of the Coherence (Coherence::shared_by), which
  // knows how the line keeps its sharers.
  std::size_t sharer_count() const { return nsharers_; }

  void add_spinner(int cpu) { extra().spinners.push_back(cpu); }
  void remove_spinner(int cpu);
  std::size_t spinners() const { return extra_ ? extra_->spinners.size() : 0; }

  // Forget who holds the line (a fresh allocation's memory, for tests).
  void reset_state();

 private:
  friend class Coherence;
  // On a machine of at most 64 CPUs the sharers are one 64-bit mask, kept
  // in the bytes of inline_. On a bigger one, most lines (a kiocb's, a ring
  // slot's) are only ever shared by a few CPUs, so their sharers are a few
  // ids kept inline: one cache miss per access, and no heap. A line read by
  // more (a lock, the ring header) switches for good to a bitset with
  // per-socket counts. There are many lines (two per kiocb, one per two ring
  // events), so a line is 48 bytes: what few lines need (that bitset,
  // spinners, counts past 2^32) lives behind one pointer.
  static constexpr int kInline = 5;
  struct Extra {
    bool wide = false;
    std::vector<std::uint64_t> bits;          // when wide
    std::vector<std::uint16_t> socket_count;  // when wide
    std::vector<int> spinners;                // CPUs spinning on it (may repeat)
    std::uint64_t transfers_high = 0;         // the counters' bits above 32
    std::uint64_t accesses_high = 0;
  };
  Extra& extra() {
    if (!extra_) extra_ = std::make_unique<Extra>();
    return *extra_;
  }
  bool wide() const { return extra_ && extra_->wide; }

  // Counters keep their low 32 bits here and carry into Extra.
  void count_access() {
    if (++accesses_ == 0) [[unlikely]]
      ++extra().accesses_high;
  }
  void count_transfers(std::uint32_t n) {
    const std::uint32_t before = transfers_;
    transfers_ += n;
    if (transfers_ < before) [[unlikely]]
      ++extra().transfers_high;
  }

  // The sharer mask of a machine of at most 64 CPUs, in inline_'s first 8
  // bytes (inline_ is first, so they are 8-byte aligned).
  std::uint64_t mask() const {
    std::uint64_t m;
    std::memcpy(&m, inline_.data(), sizeof m);
    return m;
  }
  void set_mask(std::uint64_t m) { std::memcpy(inline_.data(), &m, sizeof m); }
  static_assert(kInline * sizeof(std::uint16_t) >= sizeof(std::uint64_t), "the sharer mask fits in inline_");

  // The fields every access reads come first.
  std::array<std::uint16_t, kInline> inline_{};  // sharer ids while !wide(), or the mask
  std::int16_t owner_ = -1;             // CPU holding it Modified, or -1
  std::uint16_t nsharers_ = 0;          // CPUs holding it Shared (when owner_ < 0)
  std::uint16_t name_;                  // interned: lines of a kind share a name
  std::uint64_t socket_mask_ = 0;       // sockets with any sharer
  Time busy_until_ = 0;
  std::uint32_t transfers_ = 0;         // low 32 bits
  std::uint32_t accesses_ = 0;          // low 32 bits
  std::unique_ptr<Extra> extra_;
};

static_assert(sizeof(void*) != 8 || sizeof(CacheLine) <= 48, "a CacheLine is 48 bytes: there are two per kiocb");

class Coherence {
 public:
  Coherence(const Topology& topo, const CoherenceCosts& costs);

  // Perform an access by `cpu` at time `at`; returns its cost including any
  // wait for the line to be free, and updates the line's state.
  Time access(CacheLine& line, int cpu, AccessKind kind, Time at);

  // Does `cpu` hold `line` Shared?
  bool shared_by(const CacheLine& line, int cpu) const {
    if (small_) return (line.mask() >> cpu) & 1;
    if (line.wide()) return (line.extra_->bits[cpu / 64] >> (cpu % 64)) & 1;
    for (int i = 0; i < line.nsharers_; ++i)
      if (line.inline_[i] == cpu) return true;
    return false;
  }

  // What an access costs when the line is already this CPU's (anything
  // above it is a coherence stall).
  Time hit_cost(AccessKind kind) const {
    return kind == AccessKind::Load ? ps_.load_hit : kind == AccessKind::Store ? ps_.store_hit : ps_.atomic_local;
  }

  // What the same access would cost now, without doing it.
  Time peek(const CacheLine& line, int cpu, AccessKind kind) const;

  // Cost of one line transfer between two CPUs (a spinner's re-read, a
  // lock handoff), by their distance.
  Time transfer_cost(int from_cpu, int to_cpu) const;

  const Topology& topology() const { return topo_; }

  void set_stats_start(Time t) { stats_start_ = t; }
  std::uint64_t total_transfers() const { return total_transfers_; }

  // Where the machine keeps its observer: each transfer is reported to it
  // (Observer::on_transfer) when one is installed.
  void set_observer_slot(Observer* const* slot) { observer_ = slot; }

  // x86-TSO store buffers, one per CPU, of `entries` stores (0: none, every
  // store waits for its RFO). A plain store retires into the buffer and the
  // CPU goes on; the buffer drains in order in the background, each store's
  // RFO starting when it is issued (RFOs overlap) and committing no earlier
  // than the store before it. Locked instructions wait for the drain; a full
  // buffer makes the next store wait for its oldest entry. The line changes
  // hands when the store is issued, so a later load of it by the same CPU is
  // a hit (store-to-load forwarding). Timing only: values are written at the
  // step, in one global order, so what other CPUs read stays sequentially
  // consistent (the explorer's model), only earlier than on real TSO.
  void set_store_buffer(int entries);
  int store_buffer_entries() const { return sb_entries_; }
  struct BufferedStore {
    Time cpu_cost;  // what the storing CPU pays: a full buffer's wait + a hit
    Time visible;   // when the store has drained (its RFO done, in order)
  };
  BufferedStore buffered_store(CacheLine& line, int cpu, Time at);
  // access() with store buffers on: a store goes through the buffer, an
  // atomic drains it first, a load does not wait for it. Returns what the
  // CPU pays.
  Time tso_access(CacheLine& line, int cpu, AccessKind kind, Time at) {
    if (kind == AccessKind::Store) return buffered_store(line, cpu, at).cpu_cost;
    Time wait = kind == AccessKind::Rmw ? drain_store_buffer(cpu, at) : 0;
    return wait + access(line, cpu, kind, at + wait);
  }
  // How long a locked instruction (or a lock acquisition) at `at` waits for
  // `cpu`'s buffer to drain; empties it.
  Time drain_store_buffer(int cpu, Time at) {
    Time& last = sb_last_[static_cast<std::size_t>(cpu)];
    if (last <= at) return 0;
    return drain_slow(cpu, at);
  }

 private:
  int socket_of(int cpu) const { return socket_of_[cpu]; }
  // Topology::distance from tables: no division on the hot path.
  Distance distance(int a, int b) const {
    if (a == b) return Distance::Self;
    if (core_of_[a] == core_of_[b]) return Distance::SmtSibling;
    const int h = topo_.hops(socket_of_[a], socket_of_[b]);
    return h == 0 ? Distance::SameSocket : h == 1 ? Distance::OneHop : Distance::TwoHops;
  }
  std::uint32_t sharers_in_socket(const CacheLine& line, int socket) const;  // not small_
  bool other_sharer_in_socket(const CacheLine& line, int cpu, int mine) const;
  Distance farthest_sharer(const CacheLine& line, int cpu) const;
  Distance nearest_sharer(const CacheLine& line, int cpu) const;
  void add_sharer(CacheLine& line, int cpu) const;
  void clear_sharers(CacheLine& line) const;
  Time base_cost(const CacheLine& line, int cpu, AccessKind kind, bool& transfer) const;
  int supplier(const CacheLine& line, int cpu) const;
  void reread_by_spinners(CacheLine& line, int cpu, Time done, bool counted);

  // The preset's costs in picoseconds, rounded once (from_ns of each entry,
  // as rounding at every access would give).
  using TimeRow = std::array<Time, kDistances>;
  struct Picos {
    TimeRow load_modified, load_shared, store_modified, store_shared, atomic_modified, atomic_shared;
    Time load_hit, store_hit, atomic_local, memory, atomic_memory;
  };
  static Picos picos_of(const CoherenceCosts& c);

  Topology topo_;
  // At most 64 CPUs: a line's sharers are one mask (CacheLine::mask), and a
  // socket's sharers are counted by masking with socket_cpus_.
  bool small_;
  std::vector<std::uint64_t> socket_cpus_;
  Picos ps_;
  std::vector<std::uint16_t> socket_of_;  // by CPU: no division per access
  std::vector<std::uint32_t> core_of_;    // by CPU
  Time stats_start_ = 0;
  std::uint64_t total_transfers_ = 0;
  Observer* const* observer_ = nullptr;

  // Store buffers: per CPU a ring of the buffered stores' drain times
  // (non-decreasing), and the last of them.
  Time drain_slow(int cpu, Time at);
  int sb_entries_ = 0;
  std::vector<Time> sb_ring_;  // CPU c's ring: [c * entries, (c + 1) * entries)
  std::vector<std::uint32_t> sb_head_, sb_count_;
  std::vector<Time> sb_last_;
};

}  // namespace sim
