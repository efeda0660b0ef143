#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A profile-guided Release build of aiosim in DIR (default build-pgo/):
# GCC builds it instrumented (-fprofile-generate), runs the default
# experiment (experiments/default.toml: mm-parent and lazy-cancel at 4, 16 and 64
# CPUs, the README's main job, not the benchmark's workloads) to record
# which branches and functions are hot, then rebuilds with -fprofile-use:
# hot code laid out together and cold paths moved out of the way.
# Results are the same as a plain Release build's, byte for byte.
# Usage: tools/build-pgo.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pgo}
profile="$PWD/$dir/profile"
rm -rf "$dir"
mkdir -p "$profile"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCMAKE_CXX_FLAGS="-fprofile-generate -fprofile-update=single -fprofile-dir=$profile" >/dev/null
cmake --build "$dir" --target aiosim
# One run at a time: each writes the profile when it exits.
"$dir/app/aiosim" compare experiments/default.toml --out "$dir/training" -j 1 >/dev/null
cmake -S . -B "$dir" -DCMAKE_CXX_FLAGS="-fprofile-use -fprofile-dir=$profile -Wno-missing-profile" >/dev/null
cmake --build "$dir" --target aiosim
echo "built $dir/app/aiosim (profile-guided)"
