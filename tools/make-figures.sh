#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The paper figures: installs what is missing, builds (Release), runs every
# sweep of experiments/paper/ into out/paper/<name>/ (resuming any that is
# there) and draws docs/figures/fig*.{pdf,png} with plots/figures.py.
# A few minutes on 2 cores (about 600 runs).
#
#   tools/make-figures.sh                       # all of it
#   tools/make-figures.sh --set workload.kiocbs=3000 --replications 2   # a quick look (into out/paper-quick)
#
# Arguments are passed to every `aiosim sweep`. AIOSIM_BIN=path/to/aiosim uses
# that binary instead of building build-release/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
aiosim=${AIOSIM_BIN:-}  # an aiosim already built (skips the build)
if [ -z "$aiosim" ]; then
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build build-release --target aiosim
  aiosim=build-release/app/aiosim
fi
out=out/paper
figures=docs/figures
if [ $# -gt 0 ]; then
  out=out/paper-quick
  figures=out/paper-quick/figures
fi
for spec in experiments/paper/*.toml; do
  name=$(basename "$spec" .toml)
  # Exit 3: some runs failed and are recorded (ablation.toml expects it).
  "$aiosim" sweep "$spec" --out "$out/$name" -j "$(nproc)" "$@" || [ $? -eq 3 ]
done
/usr/bin/python3 plots/figures.py "$out" --out "$figures" --aiosim "$aiosim"
