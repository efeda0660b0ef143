#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "models/lockbench/lockbench.hpp"
#include "models/lockbench/schema.hpp"
#include "models/workload/schema.hpp"
#include "models/workload/simulation.hpp"
#include "sim/atomic_file.hpp"
#include "sim/violation.hpp"
#include "scenario.hpp"
#include "version.hpp"

namespace app {

std::string version_string() { return fmt::format("aiosim {} ({})", AIOSIM_VERSION, AIOSIM_GIT_COMMIT); }

int cmd_run(const RunArgs& a) {
  std::vector<std::string> sets = a.sets;
  if (a.seed >= 0) sets.push_back(fmt::format("seed={}", a.seed));
  sim::config::Config cfg = [&] {
    try {
      const bool bench = scenario_of(a.config, sets) == "lockbench";
      return sim::config::Config::load(bench ? models::lockbench::schema() : models::run_schema(), a.config, sets);
    } catch (const sim::config::ConfigError& e) {
      fmt::print(stderr, "aiosim: {}\n", e.what());
      std::exit(kExitBadInput);
    }
  }();
  models::RunReport rep;
  try {
    rep = cfg.get_string("scenario") == "lockbench" ? models::lockbench::run(cfg, version_string())
                                                    : models::run_simulation(cfg, version_string());
  } catch (const sim::config::ConfigError& e) {
    fmt::print(stderr, "aiosim: {}\n", e.what());
    return kExitBadInput;
  } catch (const sim::Violation& v) {
    fmt::print(stderr, "aiosim: VIOLATION: {}\n{}", v.what(), v.details());
    return kExitViolation;
  }
  if (!a.quiet) fmt::print("{}", rep.table);
  if (!a.out.empty()) {
    try {
      std::filesystem::create_directories(a.out);
      sim::write_file_atomically(std::filesystem::path(a.out) / "result.json", rep.result.dump(2) + "\n");
      sim::write_file_atomically(std::filesystem::path(a.out) / "summary.csv", rep.summary_csv);
      // The profile's stacks (output.profile): `aiosim profile DIR` reads them.
      if (!rep.profile_folded.empty()) {
        sim::write_file_atomically(std::filesystem::path(a.out) / "profile.folded", rep.profile_folded);
        sim::write_file_atomically(std::filesystem::path(a.out) / "profile-roles.folded", rep.profile_roles_folded);
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "aiosim: {}\n", e.what());
      return kExitIo;
    }
  }
  return kExitOk;
}

}  // namespace app
