// SPDX-License-Identifier: GPL-2.0-only
// aiosim profile RUN_DIR: the perf-report view of a run's profile (the
// profile.folded that `aiosim run --out` writes), and its flame graph drawn
// by plots/flamegraph.py (Debian's /usr/bin/python3; no network).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "programs/aio/profile_result.hpp"
#include "sim/atomic_file.hpp"
#include "sim/profile_report.hpp"

extern char** environ;

namespace app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

fs::path flamegraph_script() {
  if (const char* p = std::getenv("AIOSIM_PLOTS_DIR")) return fs::path(p) / "flamegraph.py";
  return fs::path(AIOSIM_SOURCE_DIR) / "plots" / "flamegraph.py";
}

// Runs plots/flamegraph.py; "" on success, or why there is no SVG.
std::string draw_flamegraph(const fs::path& folded, const fs::path& svg, const std::string& title) {
  const fs::path script = flamegraph_script();
  if (!fs::exists(kPython)) return fmt::format("{} is not installed", kPython);
  if (!fs::exists(script)) return fmt::format("the plot script {} is missing", script.string());
  std::vector<std::string> args = {kPython, script.string(), folded.string(), "--out", svg.string(), "--title", title};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawn(&pid, kPython, nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return fmt::format("could not start {}: {}", kPython, std::strerror(rc));
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return fmt::format("{} {} failed", kPython, script.string());
}

}  // namespace

int cmd_profile(const ProfileArgs& a) {
  const fs::path dir(a.dir);
  const bool by_role = !a.cpu_role.empty();
  const fs::path file = dir / (by_role ? "profile-roles.folded" : "profile.folded");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "aiosim: {}: cannot read (a run directory of `aiosim run --out` with output.profile = true)\n",
               file.string());
    return kExitBadInput;
  }
  std::stringstream text;
  text << in.rdbuf();
  sim::profile::Folded folded;
  try {
    folded = sim::profile::parse_folded(text.str());
  } catch (const std::exception& e) {
    fmt::print(stderr, "aiosim: {}:{}\n", file.string(), std::string(e.what()).substr(5));
    return kExitBadInput;
  }
  // Filters: keep the stacks of one role (its frame dropped) and/or one context.
  sim::profile::Folded kept;
  for (const auto& [stack, w] : folded) {
    std::string s = stack;
    if (by_role) {
      const std::size_t p = s.find(';');
      if (s.substr(0, p) != a.cpu_role) continue;
      s = p == std::string::npos ? "" : s.substr(p + 1);
    }
    if (!a.context.empty() && s.substr(0, s.find(';')) != a.context) continue;
    if (!s.empty()) kept[s] += w;
  }
  if (kept.empty()) {
    fmt::print(stderr, "aiosim: {}: no stacks{}{}\n", file.string(),
               by_role ? fmt::format(" for CPU role '{}'", a.cpu_role) : "",
               a.context.empty() ? "" : fmt::format(" in context '{}'", a.context));
    return kExitBadInput;
  }
  const sim::profile::Summary s = sim::profile::summarize(kept, programs::aio::fs_aio_functions());
  fmt::print("# {}{}{}\n", file.string(), by_role ? ", CPU role " + a.cpu_role : "",
             a.context.empty() ? "" : ", context " + a.context);
  const double busy = s.busy ? static_cast<double>(s.busy) : 1.0;
  fmt::print("# fs/aio.c functions: {:.2f}% of busy time (self, spinning and stalls; spinning {:.2f}%), "
             "{:.2f}% with what they call; user code {:.2f}%\n",
             100.0 * s.group / busy, 100.0 * s.group_spin / busy, 100.0 * s.group_children / busy, 100.0 * s.user / busy);
  fmt::print("{}", sim::profile::table(s, static_cast<std::size_t>(a.rows)));
  if (a.no_svg) return kExitOk;
  // The filtered stacks and their flame graph, next to the run's.
  std::string suffix;
  if (by_role) suffix += "-" + a.cpu_role;
  if (!a.context.empty()) suffix += "-" + a.context;
  const fs::path svg = dir / ("profile" + suffix + ".svg");
  fs::path src = file;
  if (by_role || !a.context.empty()) {
    src = dir / ("profile" + suffix + ".folded");
    try {
      sim::write_file_atomically(src, sim::profile::write_folded(kept));
    } catch (const std::exception& e) {
      fmt::print(stderr, "aiosim: {}\n", e.what());
      return kExitIo;
    }
  }
  const std::string why = draw_flamegraph(src, svg, fmt::format("{}{}", dir.filename().string(), suffix));
  if (!why.empty()) {
    fmt::print(stderr, "aiosim: no flame graph: {}\n", why);
    return kExitIo;
  }
  fmt::print("# flame graph: {}\n", svg.string());
  return kExitOk;
}

}  // namespace app
