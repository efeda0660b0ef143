#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Soak: a 10M-kiocb run and a 1,000-run sweep of small runs, sampling the
# resident set of the process (the run; the sweep's parent) every 2 s, and
# GNU time's peak. RSS must stay flat: the first and last samples are printed.
#   tools/soak.sh BUILD_DIR [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?usage: tools/soak.sh BUILD_DIR [OUT_DIR]}")/app/aiosim
out=$(realpath -m "${2:-out/soak}")
mkdir -p "$out"

sample() {  # PID FILE: VmRSS in kB every 2 s until PID exits
  while kill -0 "$1" 2>/dev/null; do
    awk -v t="$(date +%s)" '/^VmRSS/ {print t, $2}' "/proc/$1/status" 2>/dev/null >> "$2" || true
    sleep 2
  done
}
report() {  # NAME SAMPLES TIMELOG
  local n; n=$(wc -l < "$2")
  echo "$1: $n RSS samples; first $(head -1 "$2" | cut -d' ' -f2) kB, middle $(sed -n "$(( (n + 1) / 2 ))p" "$2" | cut -d' ' -f2) kB, last $(tail -1 "$2" | cut -d' ' -f2) kB; $(grep -E 'Maximum resident|Elapsed' "$3" | sed 's/^[ \t]*//' | paste -sd';')"
}

: > "$out/run.rss"
/usr/bin/time -v -o "$out/run.time" "$bin" run experiments/bench/ref64-10M.toml --quiet --out "$out/run" &
pid=$!; sleep 0.2
sample "$(pgrep -P $pid | head -1 || echo $pid)" "$out/run.rss" &
wait $pid
report "10M-kiocb run" "$out/run.rss" "$out/run.time"

cat > "$out/soak-sweep.toml" <<SPEC
[sweep]
base = "$(pwd)/experiments/mixed.toml"
replications = 250
[set]
workload.kiocbs = 2000
[axes]
workload.batch = [1, 2, 4, 8]
SPEC
rm -rf "$out/sweep"; : > "$out/sweep.rss"
/usr/bin/time -v -o "$out/sweep.time" "$bin" sweep "$out/soak-sweep.toml" --out "$out/sweep" -j 2 --quiet &
pid=$!; sleep 0.2
sample "$(pgrep -P $pid | head -1 || echo $pid)" "$out/sweep.rss" &
wait $pid || true
report "1000-run sweep (parent)" "$out/sweep.rss" "$out/sweep.time"
echo "runs.csv: $(($(wc -l < "$out/sweep/runs.csv") - 1)) runs"
