#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Shows that a behaviour-preserving change kept results byte-identical: runs the
# same small set of commands with two aiosim binaries and diffs what they write.
#
#   tools/check-identical.sh REF_AIOSIM NEW_AIOSIM [WORKDIR]
#
# REF_AIOSIM is a build of the commit before the change (e.g. a copy of main's
# build/app/aiosim), NEW_AIOSIM the build under test. The set: the default
# experiment (`aiosim compare experiments/default.toml`, kiocbs cut down), each
# bench config of experiments/bench/ with `aiosim run` on a small kiocb count,
# `aiosim validate --quick`, and a small `aiosim sweep`. Only fields that cannot
# repeat are dropped before diffing: wall time, the version/commit string, and
# paths or timings in the sweep's provenance. Exit 0 when identical, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

if [ $# -lt 2 ]; then
  echo "usage: $0 REF_AIOSIM NEW_AIOSIM [WORKDIR]" >&2
  exit 2
fi
ref=$(realpath "$1")
new=$(realpath "$2")
work=${3:-$(mktemp -d -t aiosim-identical.XXXXXX)}
mkdir -p "$work"

# Strip the fields that differ between any two invocations (wall clock, the
# binary's commit, absolute paths), keeping every simulated result.
normalize() {
  local dir=$1
  find "$dir" -name '*.json' -print0 | while IFS= read -r -d '' f; do
    /usr/bin/python3 - "$f" <<'EOF'
import json, sys
path = sys.argv[1]
VOLATILE = {"wall_s", "aiosim_version", "commit", "started", "finished", "host",
            "wall_clock", "elapsed_s", "date", "started_at", "finished_at",
            "git_commit", "git_dirty"}
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
with open(path) as f:
    doc = json.load(f)
with open(path, "w") as f:
    json.dump(strip(doc), f, indent=1, sort_keys=True)
EOF
  done
  # CSVs of a sweep carry a wall-time column; drop columns named like one.
  find "$dir" -name '*.csv' -print0 | while IFS= read -r -d '' f; do
    /usr/bin/python3 - "$f" <<'EOF'
import csv, sys
path = sys.argv[1]
with open(path, newline="") as f:
    rows = list(csv.reader(f))
if rows:
    keep = [i for i, h in enumerate(rows[0]) if "wall" not in h and h not in ("commit", "aiosim_version")]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([r[i] for i in keep if i < len(r)])
EOF
  done
  # The sqlite database holds the same rows as the CSVs plus provenance.
  find "$dir" -name 'results.sqlite' -delete
  find "$dir" -name '*.html' -delete
  # The validation figure's PDF carries its creation date; its data are the CSVs.
  find "$dir" -name '*.pdf' -delete
  # validate's report states its wall time.
  find "$dir" -name 'report.md' -exec sed -i -e 's/[0-9.]* s\. The same command/N s. The same command/' -e 's/(aiosim [^)]*([0-9a-f]*))/(aiosim VERSION)/' {} +
}

# `aiosim compare` runs a sweep (runs/NNNNNN, run = point * values + value,
# with sweep.json, manifests and the merged CSVs); before that it wrote
# point<P>-value<V>/ alone. Either binary's output is brought to the runs'
# own files under the older names, comparison.csv and the table, so
# that a binary of either kind compares with one of the other.
compare_layout() {
  local dir=$1 values=$2
  if [ -d "$dir/runs" ]; then
    for run in "$dir"/runs/[0-9]*; do
      n=$((10#$(basename "$run")))
      # The sweep's own records of a run: its config text, manifest and stderr.
      rm -f "$run/config.toml" "$run/manifest.json" "$run/stderr.txt"
      mv "$run" "$dir/point$((n / values))-value$((n % values))"
    done
    rm -rf "$dir/runs" "$dir/sweep.json" "$dir/runs.csv" "$dir/summary.csv" "$dir/results.sqlite" "$dir/.sweep.lock"
  fi
}

# One side: every command into $work/<side>. Console output (stdout) is kept too,
# with its wall-time words removed.
run_side() {
  local bin=$1 out=$2
  rm -rf "$out"
  mkdir -p "$out"
  # The default experiment (README's first command), kiocbs cut down.
  sed -e 's/"workload.kiocbs=100000"/"workload.kiocbs=4000"/' -e 's/"workload.kiocbs=400000"/"workload.kiocbs=8000"/' \
      -e 's/set = \["machine.cpus=16", "machine.sockets=2"\]/set = ["machine.cpus=16", "machine.sockets=2", "workload.kiocbs=6000"]/' \
      -e "s|base = \"mixed.toml\"|base = \"$src/experiments/mixed.toml\"|" \
      experiments/default.toml > "$work/default.toml"
  "$bin" compare "$work/default.toml" --out "$out/default" -j 2 2>/dev/null | grep -v '^sweep: ' > "$out/default.stdout"
  compare_layout "$out/default" 2
  # Every bench config, small.
  for cfg in experiments/bench/*.toml; do
    name=$(basename "$cfg" .toml)
    "$bin" run "$cfg" --set workload.kiocbs=4000 --quiet --out "$out/bench-$name"
  done
  # The mixed config as `aiosim run` prints it (summary on stdout).
  "$bin" run experiments/mixed.toml --set workload.kiocbs=5000 --out "$out/mixed" |
    grep -v -e 'wall' > "$out/mixed.stdout"
  # The lock micro-benchmark against theory.
  "$bin" validate --quick --quiet --out "$out/validate" > /dev/null
  # A small sweep: 2 designs x 2 CPU counts x 2 replications.
  cat > "$work/sweep.toml" <<EOF
[sweep]
base = "$src/experiments/mixed.toml"
replications = 2
seed = 1
[set]
workload.kiocbs = 3000
[axes]
kioctx.design = ["mm-parent", "lazy-cancel"]
[[zip]]
machine.cpus = [4, 8]
machine.sockets = [1, 1]
EOF
  "$bin" sweep "$work/sweep.toml" --out "$out/sweep" -j 2 --quiet
  normalize "$out"
}

run_side "$ref" "$work/ref"
run_side "$new" "$work/new"
if diff -r "$work/ref" "$work/new" > "$work/diff.txt"; then
  echo "identical: $(find "$work/ref" -type f | wc -l) files ($work)"
else
  echo "DIFFERENT: see $work/diff.txt" >&2
  head -40 "$work/diff.txt" >&2
  exit 1
fi
