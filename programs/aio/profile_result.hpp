// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The `profile` section of result.json and the profile files of a run
// (sim/profile.hpp collects, sim/profile_report.hpp reads).
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/profile_report.hpp"

namespace programs::aio {

// The kernel functions the models take from fs/aio.c (the AIO code whose
// share of the CPUs' time the profile reports as `aio_share`).
const std::set<std::string>& fs_aio_functions();

struct RoleCpus {
  const char* role;
  std::vector<int> cpus;
};
// Each CPU's role: the roles it has, joined by '+' ("submitter+irq"), or
// "other".
std::vector<std::string> cpu_roles(int ncpus, const std::vector<RoleCpus>& roles);

// result.json's `profile`: busy time, by context and kind, the AIO share,
// per-lock spinning, per fs/aio.c function shares (fixed columns for
// runs.csv), per role, and the top symbols (`top`, kept out of runs.csv).
nlohmann::ordered_json profile_json(const sim::profile::Folded& by_context, const sim::profile::Folded& by_role,
                                    const std::vector<std::string>& roles);

}  // namespace programs::aio
