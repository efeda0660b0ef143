// SPDX-License-Identifier: GPL-2.0-only
// `aiosim validate`: the lock micro-benchmark against queueing theory and the
// ticket-lock collapse model; writes DIR/report.md, the data as CSV and a
// figure drawn by plots/validation.py (Debian's /usr/bin/python3 with
// python3-matplotlib; the report says so when it cannot be drawn).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/plots.hpp"
#include "programs/lockbench/validate.hpp"
#include "sim/atomic_file.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace app {

namespace {

fs::path plot_script() {
  const fs::path dir = find_plots_dir("validation.py");
  return dir.empty() ? fs::path("plots") / "validation.py" : dir / "validation.py";
}

// Runs the plot script; returns "" on success or why there is no figure.
std::string draw_figure(const fs::path& dir) {
  const fs::path script = plot_script();
  if (!fs::exists(kPython)) return fmt::format("{} is not installed (apt-get install python3-matplotlib)", kPython);
  if (!fs::exists(script)) return fmt::format("the plot script {} is missing", script.string());
  const std::string log = (dir / "figure.log").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args = {kPython, script.string(), dir.string()};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawn(&pid, kPython, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fmt::format("could not start {}: {}", kPython, std::strerror(rc));
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::error_code ec;
    fs::remove(log, ec);
    return "";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    return fmt::format("{} has no matplotlib (apt-get install python3-matplotlib); see figure.log", kPython);
  return fmt::format("{} {} failed; see figure.log", kPython, script.string());
}

}  // namespace

int cmd_validate(const ValidateArgs& a) {
  programs::lockbench::ValidateOptions opt;
  opt.quick = a.quick;
  opt.seed = static_cast<std::uint64_t>(a.seed);
  opt.version = version_string();
  if (!a.quiet) opt.progress = [](const std::string& line) { fmt::print(stderr, "  {}\n", line); };
  if (!a.quiet) fmt::print(stderr, "aiosim validate{}: running the lockbench scenario against theory\n", a.quick ? " --quick" : "");
  const programs::lockbench::Validation v = programs::lockbench::validate(opt);

  const fs::path dir(a.out);
  std::string figure;
  try {
    sim::OutputDir out(dir);
    for (const auto& [name, text] : v.files) out.write(name, text);
    const std::string why = draw_figure(dir);
    figure = why.empty() ? "![Validation: (a) open system, (b) closed system, (c) ticket-lock collapse](validation.png)\n\n"
                           "(also as validation.pdf; drawn by plots/validation.py from the CSV files next to this report)\n"
                         : "No figure: " + why + ". The data are in open.csv, closed.csv, closed_model.csv, collapse.csv "
                           "and collapse_model.csv next to this report; `/usr/bin/python3 plots/validation.py DIR` draws "
                           "it where python3-matplotlib is installed.\n";
    if (!why.empty()) fmt::print(stderr, "aiosim: no figure: {}\n", why);
    out.write("report.md", v.markdown(figure));
  } catch (const std::exception& e) {
    fmt::print(stderr, "aiosim: {}\n", e.what());
    return kExitIo;
  }
  fmt::print("validation: {} comparisons, {} disagree ({:.1f} s); report {}\n", v.comparisons, v.disagreements.size(),
             v.wall_s, (dir / "report.md").string());
  for (const auto& d : v.disagreements) fmt::print("  DISAGREES: {}\n", d);
  return v.disagreements.empty() ? kExitOk : kExitDisagrees;
}

}  // namespace app
