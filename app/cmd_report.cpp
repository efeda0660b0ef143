// SPDX-License-Identifier: GPL-2.0-only
// `aiosim report DIR` and `aiosim plot DIR --x KEY --y METRIC`: an HTML report
// of a sweep or run directory, and any metric of a sweep against any key.
// Both are drawn by the python of plots/ (report.py, plot.py; Debian's
// /usr/bin/python3 with python3-matplotlib and python3-pandas); this side
// checks the directory, so that a wrong one is one line and exit 2 even where
// python is missing.
#include <filesystem>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/plots.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

bool has_all(const fs::path& d, std::initializer_list<const char*> files) {
  std::error_code ec;
  for (const char* f : files)
    if (!fs::is_regular_file(d / f, ec)) return false;
  return true;
}

bool is_sweep_dir(const fs::path& d) { return has_all(d, {"sweep.json", "runs.csv", "summary.csv"}); }
bool is_run_dir(const fs::path& d) { return has_all(d, {"result.json", "summary.csv"}); }

}  // namespace

int cmd_report(const ReportArgs& a) {
  const fs::path d(a.dir);
  if (!is_sweep_dir(d) && !is_run_dir(d)) {
    fmt::print(stderr, "aiosim: {}: not a sweep directory (sweep.json, runs.csv, summary.csv) nor a run directory "
                       "(result.json, summary.csv)\n", a.dir);
    return kExitBadInput;
  }
  return exec_plot_script("report.py", {a.dir});
}

int cmd_plot(const PlotArgs& a) {
  const fs::path d(a.dir);
  if (!is_sweep_dir(d)) {
    fmt::print(stderr, "aiosim: {}: not a sweep directory (sweep.json, runs.csv, summary.csv)\n", a.dir);
    return kExitBadInput;
  }
  if (!a.out.empty()) {
    const std::string ext = fs::path(a.out).extension().string();
    if (ext != ".pdf" && ext != ".png" && ext != ".svg") {
      fmt::print(stderr, "aiosim: --out {}: the extension must be .pdf, .png or .svg\n", a.out);
      return kExitBadInput;
    }
  }
  std::vector<std::string> args = {a.dir, "--x", a.x, "--y", a.y};
  if (!a.hue.empty()) args.insert(args.end(), {"--hue", a.hue});
  if (!a.col.empty()) args.insert(args.end(), {"--col", a.col});
  for (const std::string& w : a.where) args.insert(args.end(), {"--where", w});
  if (a.logx) args.push_back("--logx");
  if (a.logy) args.push_back("--logy");
  if (!a.out.empty()) args.insert(args.end(), {"--out", a.out});
  return exec_plot_script("plot.py", args);
}

}  // namespace app
