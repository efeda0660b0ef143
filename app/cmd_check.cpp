// SPDX-License-Identifier: GPL-2.0-only
// `aiosim check FILE|DIR...`: every input file checked as the command that
// takes it would check it before running -- the schema, the model's cross-key
// checks, every point of a sweep or compare spec -- and nothing run or written.
// A directory means every *.toml under it, in name order.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "programs/explore/scenario.hpp"
#include "app/scenario.hpp"
#include "sim/config.hpp"
#include "app/sweep/spec.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

std::vector<std::string> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && it->path().extension() == ".toml") found.push_back(it->path().string());
    if (ec) throw InputError(fmt::format("{}: cannot list the directory: {}", p, ec.message()));
    if (found.empty()) throw InputError(fmt::format("{}: no .toml files in this directory", p));
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// One file: what it is and how many runs it stands for.
std::string check_file(const std::string& file) {
  switch (file_kind(file)) {
    case FileKind::Sweep: {
      const sweep::Plan plan = sweep::make_plan(sweep::load_spec(file), schema_for, check_config);
      return fmt::format("sweep spec, {} runs", plan.runs.size());
    }
    case FileKind::Compare: return fmt::format("compare spec, {} runs", check_compare_spec(file));
    case FileKind::Scenario: {
      const auto sc = programs::explore::load_scenario(file);
      return fmt::format("explorer scenario, design {}", sc.design_config->get_string("kioctx.design"));
    }
    case FileKind::Config: {
      const sim::config::Config cfg = sim::config::Config::load(schema_for(file, {}), file, {});
      check_config(cfg);
      return fmt::format("{} config", cfg.get_string("scenario"));
    }
  }
  return "";
}

}  // namespace

int cmd_check(const CheckArgs& a) {
  // The first bad file stops the check with its one error line (exit 2).
  for (const std::string& file : expand(a.paths)) {
    const std::string what = check_file(file);
    if (!a.quiet) fmt::print("{}: ok ({})\n", file, what);
  }
  return kExitOk;
}

}  // namespace app
