#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Shows that a change to the explorer kept its answers identical: runs
# `aiosim explore SCENARIO --design DESIGN` for every built-in scenario and
# every registered design with two aiosim binaries and diffs the reports
# (schedules, cut-short and transition counts, restores, end states,
# violations and their shortest counterexamples). Only the `time` line, the
# one thing that cannot repeat, is dropped, and the size of a saved state
# ("(144.0 KiB each") is masked: it is what a change to the snapshots'
# cost changes, not an answer.
#
#   tools/check-explore-identical.sh REF_AIOSIM NEW_AIOSIM [WORKDIR]
#
# REF_AIOSIM is a build of the commit before the change, NEW_AIOSIM the build
# under test. REF_AIOSIM may instead be the ref/ directory of an earlier
# run's WORKDIR: its saved reports are the reference, and only NEW_AIOSIM runs.
# Exit 0 when every report is identical, 1 otherwise.
# SCENARIOS / DESIGNS in the environment restrict the set (space-separated).
# JOBS=N runs NEW_AIOSIM with -j N (REF_AIOSIM as given): e.g. the same binary
# twice, JOBS=2, checks that the parallel exploration reports what the
# sequential one does. The time line, which says how -j split the work, is
# dropped as always.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
  echo "usage: $0 REF_AIOSIM NEW_AIOSIM [WORKDIR]" >&2
  exit 2
fi
ref=$(realpath "$1")
new=$(realpath "$2")
work=${3:-$(mktemp -d -t aiosim-explore-identical.XXXXXX)}
mkdir -p "$work/ref" "$work/new"
saved=
if [ -d "$ref" ]; then
  saved=$ref
fi

scenarios=${SCENARIOS:-$("$new" explore --list | awk '{print $1}')}
designs=${DESIGNS:-$("$new" designs | awk '/^[a-z0-9]/ {print $1}')}

# The exit status is part of the answer (1: violations found); the time line
# and a saved state's size are not.
report() {
  local bin=$1 scenario=$2 design=$3 out=$4
  shift 4
  local rc=0
  "$bin" explore "$scenario" --design "$design" "$@" >"$out.raw" 2>&1 || rc=$?
  grep -v '^time ' "$out.raw" | sed -E 's/\([0-9.]+ KiB each/(_ KiB each/' >"$out" || true
  echo "exit $rc" >>"$out"
  rm -f "$out.raw"
}

status=0
for s in $scenarios; do
  for d in $designs; do
    if [ -n "$saved" ]; then
      [ "$saved" = "$(realpath "$work/ref")" ] || cp "$saved/$s--$d" "$work/ref/$s--$d"
      sed -E -i 's/\([0-9.]+ KiB each/(_ KiB each/' "$work/ref/$s--$d"
    else
      report "$ref" "$s" "$d" "$work/ref/$s--$d"
    fi
    report "$new" "$s" "$d" "$work/new/$s--$d" ${JOBS:+-j "$JOBS"}
    if cmp -s "$work/ref/$s--$d" "$work/new/$s--$d"; then
      echo "same      $s --design $d"
    else
      echo "DIFFERENT $s --design $d"
      diff "$work/ref/$s--$d" "$work/new/$s--$d" | head -20 || true
      status=1
    fi
  done
done
echo "reports in $work"
exit $status
