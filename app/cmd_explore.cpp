// aiosim explore: every interleaving of a scenario's contexts (DPOR), with
// the run's invariants checked in each.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "commands.hpp"
#include "errors.hpp"
#include "models/explore/explore.hpp"
#include "sim/config.hpp"

namespace app {

namespace {

// A scenario given by name ("usb-cancel-irq") is looked up among the
// built-in ones in experiments/scenarios/.
std::filesystem::path resolve(const std::string& s) {
  std::error_code ec;
  if (std::filesystem::exists(s, ec) || s.find('/') != std::string::npos || s.ends_with(".toml")) return s;
  std::filesystem::path builtin = std::filesystem::path(AIOSIM_SOURCE_DIR) / "experiments" / "scenarios" / (s + ".toml");
  if (std::filesystem::exists(builtin, ec)) return builtin;
  return s;
}

// Every exploration has a time budget (600 s unless --max-seconds says otherwise).
constexpr double kMinSeconds = 0.001, kMaxSeconds = 1e7;

}  // namespace

int cmd_explore(const ExploreArgs& a) {
  namespace ex = models::explore;
  std::vector<std::string> sets = a.sets;
  if (!a.design.empty()) sets.push_back("kioctx.design=" + a.design);
  if (a.max_preemptions >= -1) sets.push_back(fmt::format("explore.max_preemptions={}", a.max_preemptions));
  if (a.max_schedules > 0) sets.push_back(fmt::format("explore.max_schedules={}", a.max_schedules));
  // Written so that NaN fails too.
  if (!(a.max_seconds >= kMinSeconds && a.max_seconds <= kMaxSeconds))
    throw InputError(fmt::format("--max-seconds: expected a number of seconds in [{}, {}], got {}", kMinSeconds,
                                 kMaxSeconds, a.max_seconds));
  const ex::Scenario sc = ex::load_scenario(resolve(a.scenario), sets);
  ex::ExploreOptions opt = ex::options_for(sc);
  if (a.reduction == "none") opt.reduction = ex::Reduction::None;
  opt.max_seconds = a.max_seconds;
  ex::ExploreResult r;
  try {
    r = ex::explore_scenario(sc, opt);
  } catch (const std::logic_error& e) {
    throw InputError(fmt::format("scenario {}: {}", sc.file, e.what()));
  }
  fmt::print("{}", ex::format_report(sc, opt, r, a.list_states));
  std::fflush(stdout);
  return r.violations.empty() ? kExitOk : kExitViolation;
}

}  // namespace app
