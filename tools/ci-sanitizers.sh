#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The sanitizer and fuzzer stages (issue 16), run after tools/run-tests.sh:
#  1. the whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer
#     (-fno-sanitize-recover=all: the first report fails the test);
#  2. clang with the libFuzzer targets, each fuzzed for a bounded time (tests/fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "ci-sanitizers: $* ($(date -u +%H:%M:%S))" >&2; }
stage "1/2 ASan+UBSan build and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAIOSIM_SANITIZE=ON -DAIOSIM_WERROR=ON >/dev/null
cmake --build build-asan
# SimGrid keeps its engine until exit: leak reports there are not ours.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$(nproc)")

stage "2/2 clang libFuzzer targets"
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f='${Status}' clang-14 libclang-rt-14-dev 2>/dev/null | grep -c "install ok installed" | grep -q 2 ||
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null; }
# AIOSIM_FUZZ_SECONDS (default 20) sets how long each target is fuzzed:
# CI's short run, or a campaign (AIOSIM_FUZZ_SECONDS=600 tools/ci-sanitizers.sh).
CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIOSIM_FUZZ=ON \
  -DAIOSIM_FUZZ_SECONDS="${AIOSIM_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_sweep fuzz_scenario
(cd build-fuzz && ctest --output-on-failure -L fuzz -j "$(nproc)")
stage "done"
