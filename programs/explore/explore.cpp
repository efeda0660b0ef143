// SPDX-License-Identifier: GPL-2.0-only
#include "programs/explore/explore.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "programs/explore/world.hpp"

namespace programs::explore {

using namespace models;  // the kernel objects this program runs

ExploreOptions options_for(const Scenario& sc) {
  ExploreOptions o;
  o.max_preemptions = sc.max_preemptions;
  o.max_schedules = sc.max_schedules;
  o.max_depth = sc.max_steps;
  return o;
}

ExploreResult explore_scenario(const Scenario& sc, const ExploreOptions& opt) {
  return explore(world_factory(sc), opt);
}

std::string format_report(const Scenario& sc, const ExploreOptions& opt, const ExploreResult& r, bool list_states) {
  std::string s;
  auto line = [&](const char* label, const std::string& text) { s += fmt::format("{:<11}{}\n", label, text); };
  line("scenario", fmt::format("{} ({})", sc.name, sc.file));
  if (!sc.description.empty()) line("", sc.description);
  line("design", describe_design(sc));
  std::string setup;
  for (const Action& a : sc.setup) setup += (setup.empty() ? "" : "; ") + a.describe();
  line("machine", fmt::format("{} CPUs; kernel races {}", sc.cpus,
                              sc.count_kernel_races ? "counted (invariants.kernel_races = count)" : "stop the run"));
  if (!setup.empty()) line("set-up", setup);
  bool first = true;
  for (const std::string& p : describe_processes(sc)) {
    line(first ? "contexts" : "", p);
    first = false;
  }
  const bool bounded = opt.max_preemptions >= 0;
  std::string red = opt.reduction == Reduction::Random
                        ? fmt::format("none: random walk, {} schedules, seed {} (uniform among the enabled contexts at each step)",
                                      opt.random_walks, opt.seed)
                    : opt.reduction == Reduction::Dpor
                        ? (bounded ? "DPOR (bounded, conservative backtracking, no sleep sets)" : (opt.sleep_sets && opt.optimal ? "optimal DPOR (wakeup trees) + sleep sets" : "source-DPOR + sleep sets"))
                        : "none (every interleaving)";
  if (bounded) red += fmt::format(", at most {} preemption{}", opt.max_preemptions, opt.max_preemptions == 1 ? "" : "s");
  line("reduction", red);
  line("schedules", fmt::format("{} explored ({} more cut short by sleep sets), {} transitions run, longest {}",
                                r.schedules, r.sleep_blocked, r.transitions, r.max_depth_seen));
  if (r.wakeup_dropped) line("", fmt::format("{} wakeup-tree branches could not run where inserted", r.wakeup_dropped));
  if (r.restores)
    line("", fmt::format("{} backtracks restored a saved state ({:.1f} KiB each, one every {} transitions) instead of "
                         "replaying the prefix", r.restores, static_cast<double>(r.snapshot_bytes) / 1024, opt.snapshot_interval));
  // How -j split the work is on the time line, the one line that differs between runs.
  if (opt.jobs > 1)
    line("time", fmt::format("{:.3f} s (-j {}: {} subtrees explored by workers, {} worker answers not used)", r.seconds,
                             opt.jobs, r.worker_subtrees, r.workers_discarded));
  else
    line("time", fmt::format("{:.3f} s", r.seconds));
  std::string ex;
  if (opt.reduction == Reduction::Random)
    ex = "NO: " + r.limit_reason;
  else if (r.exhaustive)
    ex = "yes: every interleaving of the contexts' steps and interrupt deliveries is covered, up to the order of independent steps";
  else if (r.limit_hit)
    ex = "NO: " + r.limit_reason;
  else
    ex = fmt::format("no: complete only up to {} preemption{} ({} choices pruned by the bound)", opt.max_preemptions,
                     opt.max_preemptions == 1 ? "" : "s", r.pruned_by_bound);
  line("exhaustive", ex);
  if (opt.reduction == Reduction::Random)
    line("coverage", fmt::format("{} distinct traces covered of ~{:.0f} estimated (Chao1); chance the next walk finds a new "
                                 "one {:.1f}% (Good-Turing); ~{:.3g} interleavings (Knuth)",
                                 r.traces_covered, r.traces_estimated, 100 * r.new_trace_chance, r.interleavings_estimated));
  line("end states", fmt::format("{} distinct", r.end_states.size()));
  std::vector<std::pair<std::string, std::uint64_t>> states(r.end_states.begin(), r.end_states.end());
  std::sort(states.begin(), states.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const std::size_t shown = list_states ? states.size() : std::min<std::size_t>(states.size(), 8);
  for (std::size_t i = 0; i < shown; ++i)
    s += fmt::format("  [{}] {:>7} schedule{}: {}\n", i + 1, states[i].second, states[i].second == 1 ? " " : "s",
                     states[i].first);
  if (shown < states.size()) s += fmt::format("  ... {} more (--list-states)\n", states.size() - shown);
  if (r.violations.empty()) {
    line("violations", "none");
  } else {
    line("violations", fmt::format("{} distinct", r.violations.size()));
    int i = 0;
    for (const FoundViolation& v : r.violations) {
      // A headline may already say what it is ("deadlock: cpu0/irq spins ...").
      const bool named = v.info.headline.rfind(v.info.kind + ":", 0) == 0;
      s += fmt::format("\n  [{}] {}{}\n", ++i, named ? "" : v.info.kind + ": ", v.info.headline);
      s += fmt::format("      in {} schedule{}; the shortest interleaving found ({} transitions):\n", v.schedules,
                       v.schedules == 1 ? "" : "s", v.shortest.size());
      s += fmt::format("         #  context    function               op       object                   value\n");
      for (const std::string& t : v.trace) s += "    " + t + "\n";
      if (!v.info.details.empty()) {
        s += "      details:\n";
        std::size_t pos = 0;
        while (pos < v.info.details.size()) {
          std::size_t nl = v.info.details.find('\n', pos);
          if (nl == std::string::npos) nl = v.info.details.size();
          s += "      " + v.info.details.substr(pos, nl - pos) + "\n";
          pos = nl + 1;
        }
      }
    }
  }
  return s;
}

}  // namespace programs::explore
