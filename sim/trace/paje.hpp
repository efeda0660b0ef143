// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A Paje trace of a window (for ViTE and other Paje readers) written by
// SimGrid's own tracing: every CPU is a SimGrid host (SimgridClock), and the
// sink sets host variables with explicit timestamps through simgrid::instr:
//   task, spin, irq, idle   1 while the CPU does that, else 0 (one-hot)
//   holds_<lock>            contexts of the CPU holding the lock (0 or 1;
//                           characters other than [A-Za-z0-9] become _)
//
// Why variables and not host states: SimGrid stamps a state change
// (TRACE_host_set_state) with its own clock, which SimgridClock advances only
// once per quantum, so a state would be off by up to a quantum; variables take
// an explicit time. SimGrid 3.32 buffers every Paje event and inserts it in
// timestamp order (PajeEvent::insert_into_buffer); the buffer is written at the
// end of the simulation, so events set out of order, or ahead of SimGrid's
// clock, still come out sorted. Container destruction is not traced
// (tracing/disable-destroy): SimGrid would stamp it with its lagging clock,
// before the last of our events.
//
// Run SimGrid with paje_simgrid_args(file) (tracing/platform is required for
// user variables), install the sink on the Recorder (Recorder::set_sink).
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/trace/recorder.hpp"

namespace sim::trace {

// SimGrid splits --cfg values at spaces and commas: `file` and `comment` (a
// comment line for the top of the file) must have none (std::invalid_argument).
// (tracing/comment-file is not used: SimGrid 3.32 drops its newlines and
// swallows the first line of the Paje header.)
std::vector<std::string> paje_simgrid_args(const std::string& file, const std::string& comment = "");

class PajeSink final : public LiveSink {
 public:
  void window_opened(Time from) override;
  void activity(const Cpu&, Activity, bool on, Time at) override;
  void held(const Cpu&, const std::string& lock, bool on, Time at) override;

  std::uint64_t events() const { return events_; }

 private:
  void set(const std::string& host, const std::string& var, double v, Time at);
  std::string declare_lock(const std::string& lock);

  bool declared_ = false;
  std::set<std::string> lock_vars_;
  std::map<std::pair<std::string, std::string>, int> holds_;  // (host, variable) -> holders
  std::map<std::string, std::string> activity_;                // host -> the variable at 1
  std::uint64_t events_ = 0;
};

}  // namespace sim::trace
