// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Writers for a Recorder's window: a narrated text log and Chrome Trace Event
// JSON (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU,
// opens in Perfetto and chrome://tracing).
//
// JSON layout: one process per CPU ("cpuN"), with threads
//   activity       slices: what the CPU does (task, spin, irq, idle)
//   task, irq      the CPU's two contexts: kernel-function slices (nested),
//                  IRQ handler slices on irq, instants for stores, atomics
//                  (args old/new), IRQ-flag changes, wake-ups, IRQs raised
//   task <lock>,   per context and lock: "spin <lock>" (or "wait" for a
//   irq <lock>     mutex) and "hold <lock>" slices
//   cache lines    an instant per line transfer into this CPU (args from, cost_ns)
// and one process "locks" with a counter "<lock> waiters" per lock.
// Timestamps are microseconds from the start of the run (ps precision).
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/trace/recorder.hpp"

namespace sim::trace {

struct TraceInfo {
  int cpus = 0;                 // CPUs 0..cpus-1 get a process each, seen or not
  std::string title;            // first line of the text; otherData.title
  nlohmann::ordered_json meta;  // otherData (config, design, window...)
  bool json_loads = false;      // put plain loads in the JSON too (always in the text)
};

void write_text(std::ostream& out, const Recorder& rec, const TraceInfo& info);
void write_chrome_json(std::ostream& out, const Recorder& rec, const TraceInfo& info);

// "12.5 ns", "3.250 us", "1.200 ms".
std::string format_span(Time t);

}  // namespace sim::trace
