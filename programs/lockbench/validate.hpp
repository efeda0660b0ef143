// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// `aiosim validate`: the lock micro-benchmark against queueing theory and
// the Boyd-Wickizer et al. ticket-lock model. Every run uses the driver alone
// (engine.clock = "internal"): SimGrid's Engine is one per process, the
// driver has no such limit and gives the same results.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace programs::lockbench {

struct ValidateOptions {
  bool quick = false;   // fewer points and shorter runs (CI, tests)
  std::uint64_t seed = 1;
  std::string version;  // stamped into the report
  std::function<void(const std::string&)> progress;  // one line per run, may be empty
};

struct Validation {
  int comparisons = 0;
  std::vector<std::string> disagreements;  // one line each; empty: everything agrees
  std::vector<std::pair<std::string, std::string>> files;  // CSV data: name, contents
  double wall_s = 0;
  // The report; `figure` is the markdown for the figure (an image link, or a
  // note saying why there is none).
  std::string markdown(const std::string& figure) const;

  std::string head, body;
};

Validation validate(const ValidateOptions& opt);

}  // namespace programs::lockbench
