// SPDX-License-Identifier: GPL-2.0-only
#include "app/plots.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "app/commands.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

fs::path self_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

fs::path find_plots_dir(const std::string& script, std::string* looked) {
  std::vector<fs::path> candidates;
  if (const char* p = std::getenv("AIOSIM_PLOTS_DIR"); p && *p) candidates.emplace_back(p);
  if (const fs::path bin = self_dir(); !bin.empty()) candidates.push_back(bin.parent_path() / "share" / "aiosim" / "plots");
  candidates.push_back(fs::path(AIOSIM_SOURCE_DIR) / "plots");
  std::error_code ec;
  for (const fs::path& d : candidates)
    if (fs::is_regular_file(d / script, ec)) return d;
  if (looked) {
    looked->clear();
    for (const fs::path& d : candidates) *looked += (looked->empty() ? "" : ", ") + d.string();
  }
  return {};
}

int exec_plot_script(const std::string& script, const std::vector<std::string>& args) {
  std::string looked;
  const fs::path dir = find_plots_dir(script, &looked);
  if (dir.empty()) {
    fmt::print(stderr, "aiosim: cannot find plots/{} (looked in {}); set AIOSIM_PLOTS_DIR to the plots directory\n",
               script, looked);
    return kExitIo;
  }
  if (access(kPython, X_OK) != 0) {
    fmt::print(stderr, "aiosim: {} is not installed (tools/install-deps.sh installs python3-matplotlib)\n", kPython);
    return kExitIo;
  }
  std::vector<std::string> all = {kPython, (dir / script).string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(kPython, argv.data());
  fmt::print(stderr, "aiosim: cannot run {}: {}\n", kPython, std::strerror(errno));
  return kExitIo;
}

}  // namespace app
