// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Reading a profile: folded stacks ("task;f;g;[spin L] 1234" lines, the
// format flamegraph.pl, inferno and speedscope read) and the perf-report
// table computed from them: per symbol its self time and its total time
// ("children": a stack counts once for every distinct symbol in it, so a
// function that recurses is not counted twice).
//
// A stack is its context's root frame ("task", "hardirq"), the kernel
// functions from outermost to innermost, and at most one pseudo-frame:
// "[spin LOCK]" (spinning on LOCK in the function above it) or "[stall LINE]"
// (an access waiting for a cache line). Pseudo-frames are symbols too, so the
// self times of all symbols sum to the busy time.
#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace sim::profile {

using Folded = std::map<std::string, Time>;  // stack -> picoseconds

enum class Kind : int { Work, Spin, Stall };
Kind kind_of_frame(std::string_view frame);

// "stack weight" lines, weights in whole nanoseconds (rounded; stacks that
// round to 0 ns are left out). Sorted by stack.
std::string write_folded(const Folded& f);
// The inverse (weights back to picoseconds). Throws std::runtime_error
// naming the line on a malformed one.
Folded parse_folded(std::string_view text);

struct Symbol {
  std::string name;
  Time self = 0;                     // innermost frame of the stack
  Time total = 0;                    // anywhere in the stack (once per stack)
  Time spin = 0;                     // in a [spin] pseudo-frame right below it
  Time stall = 0;                    // in a [stall] pseudo-frame right below it
  std::array<Time, 2> total_by_context{};  // task, hardirq
};

struct Summary {
  Time busy = 0;
  std::array<Time, 2> by_context{};  // task, hardirq
  std::array<Time, 3> by_kind{};     // work, spin, stall
  // The group's own time (fs/aio.c): stacks whose innermost function is in
  // it, with the spinning and stalls right below it, and of that the
  // spinning; with children: stacks with any frame in the group. Stacks
  // whose innermost function is user code ("user:" frames).
  Time group = 0, group_spin = 0, group_children = 0, user = 0;
  std::vector<Symbol> symbols;  // by total (descending), callers before callees at equal total
  std::map<std::string, Time> spin_by_lock;
};

// `skip`: leading frames to ignore (a role frame before the context root).
// Only stacks whose first frame is in `keep_first` (if non-empty) count.
Summary summarize(const Folded& f, const std::set<std::string>& group, int skip = 0,
                  const std::set<std::string>& keep_first = {});

// The perf-report-like table: Children %, Self %, Symbol, sorted by
// children; at most `rows` rows.
std::string table(const Summary& s, std::size_t rows);

}  // namespace sim::profile
