// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The python scripts of plots/ (figures, `aiosim report`, `aiosim plot`,
// `aiosim validate`'s figure) and how the binary finds and runs them.
#include <filesystem>
#include <string>
#include <vector>

namespace app {

// The python that has matplotlib on Debian: python3-matplotlib installs into
// /usr/bin/python3's tree, not into a pyenv or venv python found first on PATH.
inline constexpr const char* kPython = "/usr/bin/python3";

// The directory holding plots/<script>, the first of: $AIOSIM_PLOTS_DIR;
// share/aiosim/plots next to an installed binary (<prefix>/bin/aiosim);
// plots/ of the source tree the binary was built from. Empty if none holds
// the script; `looked` then lists where it looked.
std::filesystem::path find_plots_dir(const std::string& script, std::string* looked = nullptr);

// Replaces this process by `/usr/bin/python3 plots/<script> args...` (its
// exit status becomes aiosim's). Returns only if that cannot be done, after
// printing one line: the exit status to return (1).
int exec_plot_script(const std::string& script, const std::vector<std::string>& args);

}  // namespace app
