// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A System built in its own sim::Arena, so that its whole state can be saved
// at a node of the exploration and written back later: backtracking then
// costs a copy and a few replayed transitions instead of a rebuild and the
// whole prefix. Every call runs inside the arena; what it returns (strings,
// footprints, violations, exceptions) is copied out to the ordinary heap,
// so nothing the explorer keeps lives in the arena.
#include <memory>

#include "sim/arena.hpp"
#include "sim/mc/dpor.hpp"

namespace sim::mc {

class ArenaSystem final : public System {
 public:
  explicit ArenaSystem(const SystemFactory& make);
  ~ArenaSystem() override;

  void save(Arena::Snapshot& s) const { arena_.save(s); }
  void restore(const Arena::Snapshot& s) noexcept { arena_.restore(s); }
  std::size_t bytes() const noexcept { return arena_.used(); }

  int processes() const override;
  std::string process_name(int p) const override;
  bool has_next(int p) const override;
  bool enabled(int p) const override;
  Footprint next_footprint(int p) const override;
  std::uint64_t next_signature(int p) const override;
  Next next(int p) const override;
  Footprint execute(int p) override;
  void replay_step(int p) override;
  bool execute_or_report(int p, Footprint& fp, ViolationInfo& violated) override;
  bool replay_step_or_report(int p, ViolationInfo& violated) override;
  std::optional<ViolationInfo> at_end() override;
  std::string end_state() const override;
  std::vector<std::string> trace() const override;

 private:
  template <class F>
  auto inside(F&& f) const;
  template <class F>
  bool inside_reporting(F&& f, ViolationInfo& violated);

  mutable Arena arena_;
  System* inner_ = nullptr;  // lives in arena_
};

}  // namespace sim::mc
