#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's second command: install what is missing, build everything
# with the tests, and run the whole suite under ctest. Arguments go to cmake
# (CI adds -DAIOSIM_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build-tests
cd build-tests
ctest --output-on-failure -j "$(nproc)"
