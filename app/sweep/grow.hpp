// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Campaigns that grow: a sweep directory may be given a spec with more
// replications, more axis values or looser constraints. A run's identity is
// its config (seed included, so its config hash): adding values or
// replications leaves every existing run's config and seed as they were, but
// moves runs to other indices (run = point * replications + replication). The
// grown sweep runs only the runs it did not have, after moving each complete
// run directory to its new index, so that the directory is laid out, and
// merges to the same bytes, as a fresh sweep of the grown spec.
//
// Anything that changes an existing run (the base config, [set], --set,
// sweep.seed, common_seeds, the list of axes) or drops one (fewer values or
// replications, a tighter constraint) is refused: the old results would no
// longer be what the spec describes.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/sweep/spec.hpp"

namespace sweep {

// Why the plan `now` is not the stored plan `old` plus new runs: one line
// naming what changed, or nothing when `now` only adds runs. `dir` is the
// sweep directory (an existing run's config.toml there names the changed key).
std::optional<std::string> growth_refusal(const Plan& old, const Plan& now, const std::filesystem::path& dir);

// Where each run of `plan` is complete in `dir`, wherever its directory is
// (runs/NNNNNN of another index, or a move left half-done): a path relative
// to `dir`, or "" when the run has no complete record.
std::vector<std::string> locate_runs(const std::filesystem::path& dir, const Plan& plan);

// True when `dir` holds run directories to be moved: a grown plan, or moves
// interrupted by a crash (runs/.moving-N).
bool has_pending_moves(const std::filesystem::path& dir);

// Moves each complete run to its directory in `plan` (through runs/.moving-N,
// so that a crash at any point leaves every complete run findable by its
// config hash), and removes what no run of the plan needs.
void move_runs_into_place(const std::filesystem::path& dir, const Plan& plan);

// `aiosim sweep --dry-run`: each run with what the sweep would do with it
// (complete, failed, to run: new to the directory, or again), and a count.
// `stored` is the directory's plan when there is one.
std::string dry_run_text(const std::filesystem::path& dir, const Plan& plan, const Plan* stored);

}  // namespace sweep
