// SPDX-License-Identifier: GPL-2.0-only
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "app/scenario.hpp"
#include "programs/registry.hpp"
#include "sim/atomic_file.hpp"
#include "sim/violation.hpp"
#include "version.hpp"

namespace app {

std::string version_string() { return fmt::format("aiosim {} ({})", AIOSIM_VERSION, AIOSIM_GIT_COMMIT); }

namespace {

// Leftover temporaries of an earlier writer killed mid-write (sim/atomic_file.hpp names them
// ".<name>.tmp.<pid>.<n>").
void remove_stray_temporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".result.json.tmp.") || name.starts_with(".summary.csv.tmp."))
      std::filesystem::remove(e.path(), ec);
  }
}

// result.json and summary.csv as one unit: result.json is the marker of a
// complete pair, so the old one goes first and the new one is renamed in
// last. Killed at any point, the directory holds either no result.json or a
// result.json with its own summary.csv.
void write_outputs(const std::filesystem::path& dir, const programs::aio::RunReport& rep) {
  sim::OutputDir::ensure(dir);
  remove_stray_temporaries(dir);
  std::error_code ec;
  std::filesystem::remove(dir / "result.json", ec);
  if (ec) throw std::filesystem::filesystem_error("cannot remove the old result.json", dir / "result.json", ec);
  sim::write_file_atomically(dir / "summary.csv", rep.summary_csv);
  // The profile's stacks (output.profile), which `aiosim profile DIR` reads;
  // a previous run's stay only if this run wrote new ones.
  for (const auto& [name, text] : {std::pair{"profile.folded", &rep.profile_folded},
                                   std::pair{"profile-roles.folded", &rep.profile_roles_folded}}) {
    if (!text->empty()) sim::write_file_atomically(dir / name, *text);
    else std::filesystem::remove(dir / name, ec);
  }
  // result.json last: its presence marks a complete set of outputs.
  sim::write_file_atomically(dir / "result.json", rep.result.dump(2) + "\n");
}

}  // namespace

int cmd_run(const RunArgs& a) {
  std::vector<std::string> sets = a.sets;
  if (a.seed >= 0) sets.push_back(fmt::format("seed={}", a.seed));
  // Config errors propagate to main: one line, exit 2.
  require_kind(a.config, FileKind::Config);
  const programs::Program& program = program_of(a.config, sets);
  const sim::config::Config cfg = sim::config::Config::load(program.schema(), a.config, sets);
  // Refused before the run, not after it: an --out that can never hold the results.
  if (std::error_code ec; !a.out.empty() && std::filesystem::exists(a.out, ec) && !std::filesystem::is_directory(a.out, ec))
    throw InputError(fmt::format("--out: {}: exists and is not a directory", a.out));
  programs::aio::RunReport rep;
  try {
    rep = program.run(cfg, version_string());
  } catch (const sim::Violation& v) {
    fmt::print(stderr, "aiosim: VIOLATION: {}\n{}", v.what(), v.details());
    return kExitViolation;
  }
  if (!a.quiet) fmt::print("{}", rep.table);
  if (program.has_measured_window && rep.result["sim"]["too_few_measured"].get<bool>())
    print_error_line(fmt::format("warning: {}: workload.min_measured: the measured window holds {} completions, fewer than {}: "
                                 "its rates and percentiles are unreliable (sim.too_few_measured in result.json)",
                                 a.config, rep.result["sim"]["measured_completions"].get<std::uint64_t>(),
                                 cfg.get_int("workload.min_measured")));
  if (!a.out.empty()) write_outputs(a.out, rep);
  return kExitOk;
}

}  // namespace app
