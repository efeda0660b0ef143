#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Parallel efficiency of the local sweep pool: the same sweep at -j 1 and at
# -j N (default: the number of CPUs), REPEATS times each, alternating, each
# into a fresh directory; prints every wall time, the medians, the speedup
# (median T1 / median TN) and the efficiency (speedup / N), with the load
# average before and after (other work on the machine skews the result).
#
#   tools/sweep-speedup.sh [AIOSIM] [SPEC] [REPEATS] [N] [SWEEP ARGS...]
#   defaults: build-release/app/aiosim experiments/paper/locks.toml 5 $(nproc)
#   e.g. longer runs: tools/sweep-speedup.sh "" "" 5 2 --set workload.kiocbs=200000
set -euo pipefail
cd "$(dirname "$0")/.."
aiosim=${1:-build-release/app/aiosim}
spec=${2:-experiments/paper/locks.toml}
repeats=${3:-5}
n=${4:-$(nproc)}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")
tmp=$(mktemp -d /tmp/aiosim-speedup-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

wall() {  # -j value: seconds of one whole sweep
  local out=$tmp/j$1-$RANDOM$RANDOM start end
  start=$(date +%s.%N)
  "$aiosim" sweep "$spec" --out "$out" -j "$1" --quiet "${extra[@]}" || [ $? -eq 3 ]
  end=$(date +%s.%N)
  rm -rf "$out"
  calc "$end - $start"
}
calc() { awk "BEGIN { print $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "spec $spec ${extra[*]}, $("$aiosim" sweep "$spec" --list "${extra[@]}" | tail -n 1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t1=() tn=()
for i in $(seq "$repeats"); do
  a=$(wall 1)
  b=$(wall "$n")
  t1+=("$a") tn+=("$b")
  printf 'repeat %d: -j 1 %.2f s, -j %d %.2f s, speedup %.3f\n' "$i" "$a" "$n" "$b" "$(calc "$a / $b")"
done
m1=$(printf '%s\n' "${t1[@]}" | median)
mn=$(printf '%s\n' "${tn[@]}" | median)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median -j 1 %.2f s, median -j %d %.2f s: speedup %.3f, parallel efficiency %.1f%%\n' \
  "$m1" "$n" "$mn" "$(calc "$m1 / $mn")" "$(calc "100 * $m1 / $mn / $n")"
