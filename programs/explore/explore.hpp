// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// `aiosim explore`: every interleaving of a scenario's contexts, checked.
#include <string>

#include "programs/explore/checker.hpp"
#include "programs/explore/scenario.hpp"

namespace programs::explore {

// The exploration options a scenario asks for ([explore] keys).
ExploreOptions options_for(const Scenario& sc);

ExploreResult explore_scenario(const Scenario& sc, const ExploreOptions& opt);

// The console report: what was explored, how much, whether exhaustively,
// the distinct end states (all of them when list_states, else up to 8) and
// each distinct violation with the shortest interleaving found.
std::string format_report(const Scenario& sc, const ExploreOptions& opt, const ExploreResult& r,
                          bool list_states = false);

}  // namespace programs::explore
