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
#include <cstdint>
#include <string>
#include <vector>

#include <boost/dynamic_bitset.hpp>

#include "sim/presets.hpp"
#include "sim/time.hpp"

namespace sim {

enum class AccessKind : std::uint8_t { Load, Store, Rmw };

class Coherence;
class Observer;

class CacheLine {
 public:
  explicit CacheLine(std::string name = "anon") : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  // Transfers into some CPU's cache from another CPU's cache (not from DRAM),
  // counted from the statistics start.
  std::uint64_t transfers() const { return transfers_; }
  std::uint64_t accesses() const { return accesses_; }

  int owner() const { return owner_; }
  bool shared_by(int cpu) const { return cpu < static_cast<int>(sharers_.size()) && sharers_[cpu]; }
  std::size_t sharer_count() const { return nsharers_; }

  void add_spinner(int cpu) { spinners_.push_back(cpu); }
  void remove_spinner(int cpu);
  std::size_t spinners() const { return spinners_.size(); }

  // Forget who holds the line (a fresh allocation's memory, for tests).
  void reset_state();

 private:
  friend class Coherence;
  std::string name_;
  int owner_ = -1;                    // CPU holding it Modified, or -1
  boost::dynamic_bitset<> sharers_;  // CPUs holding it Shared (when owner_ < 0)
  // Summaries of sharers_ so a cost needs no scan: how many, and how many
  // per socket (sockets with any: socket_mask_).
  std::uint32_t nsharers_ = 0;
  std::uint64_t socket_mask_ = 0;
  std::vector<std::uint16_t> socket_count_;
  std::vector<int> spinners_;         // CPUs spinning on it (may repeat)
  Time busy_until_ = 0;
  std::uint64_t transfers_ = 0;
  std::uint64_t accesses_ = 0;
};

class Coherence {
 public:
  Coherence(const Topology& topo, const CoherenceCosts& costs) : topo_(topo), costs_(costs) {}

  // Perform an access by `cpu` at time `at`; returns its cost including any
  // wait for the line to be free, and updates the line's state.
  Time access(CacheLine& line, int cpu, AccessKind kind, Time at);

  // What the same access would cost now, without doing it.
  Time peek(const CacheLine& line, int cpu, AccessKind kind) const;

  // Cost of one line transfer between two CPUs (a spinner's re-read, a
  // lock handoff), by their distance.
  Time transfer_cost(int from_cpu, int to_cpu) const;

  const CoherenceCosts& costs() const { return costs_; }
  const Topology& topology() const { return topo_; }

  void set_stats_start(Time t) { stats_start_ = t; }
  std::uint64_t total_transfers() const { return total_transfers_; }

  // Where the machine keeps its observer: each transfer is reported to it
  // (Observer::on_transfer) when one is installed.
  void set_observer_slot(Observer* const* slot) { observer_ = slot; }

 private:
  Distance farthest_sharer(const CacheLine& line, int cpu) const;
  Distance nearest_sharer(const CacheLine& line, int cpu) const;
  void add_sharer(CacheLine& line, int cpu) const;
  void clear_sharers(CacheLine& line) const;
  Distance farthest_spinner(const CacheLine& line, int cpu) const;
  double base_cost(const CacheLine& line, int cpu, AccessKind kind, bool& transfer) const;

  Topology topo_;
  CoherenceCosts costs_;
  Time stats_start_ = 0;
  std::uint64_t total_transfers_ = 0;
  Observer* const* observer_ = nullptr;
};

}  // namespace sim
