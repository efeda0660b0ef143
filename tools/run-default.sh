#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's first command: install what is missing, build (Release), and
# run the default experiment (mm-parent vs lazy-cancel at 4, 16 and 64 CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target aiosim
exec build-release/app/aiosim compare experiments/default.toml --out out/default -j "$(nproc)"
