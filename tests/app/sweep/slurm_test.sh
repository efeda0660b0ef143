#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# ctest (label "slurm"): a real single-node Slurm on localhost runs a small
# sweep as a job array; its merged output must equal the local backend's,
# byte for byte. Then a resubmission of two lost runs (chunk 1: array index =
# run index) must submit exactly those and give the same output again.
#
#   slurm_test.sh AIOSIM [KEEP_DIR]
#
# Starts munged, slurmctld and slurmd in a scratch directory (see
# /work/shared/notes/slurm-single-node.md and tools/slurm-local.sh) and
# always stops the daemons it started, by their PIDs, even on failure.
# Skips (exit 77) unless root; skips when Slurm is not installed, unless
# AIOSIM_REQUIRE_SLURM=1 (CI sets it after tools/install-slurm.sh).
set -euo pipefail
aiosim=$1
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: this test starts munged, slurmctld and slurmd as root; run it as root (CI does)"
  exit 77
fi
for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${AIOSIM_REQUIRE_SLURM:-0}" = 1 ]; then
      echo "FAIL: $tool is missing (tools/install-slurm.sh installs Slurm and munge)"
      exit 1
    fi
    echo "SKIP: $tool is missing: install Slurm with tools/install-slurm.sh (as root)"
    exit 77
  fi
done

D=$(mktemp -d /tmp/aiosim-slurm-test-XXXXXX)
# shellcheck source=../../../tools/slurm-local.sh
. "$here/../../../tools/slurm-local.sh"
finish() {
  local rc=$?
  slurm_local_stop "$D"
  if [ $rc -ne 0 ]; then
    echo "--- slurmctld log (tail) ---"; tail -n 20 "$D/log/slurmctld.log" 2>/dev/null || true
    echo "--- slurmd log (tail) ---"; tail -n 20 "$D/log/slurmd.log" 2>/dev/null || true
    echo "FAIL (scratch kept in $D)"
  else
    rm -rf "$D"
  fi
  exit $rc
}
trap finish EXIT
trap 'exit 1' INT TERM

slurm_local_start "$D"
export SLURM_CONF=$D/slurm.conf
echo "slurm: $(sinfo -h -o '%P %T %N %c') (started in ${SLURM_LOCAL_START_S}s)"

# A small sweep: 8 runs, half of them failing with a violation (lazy_list
# without zero_alloc), so that recorded failures cross the backends too.
mkdir -p "$D/work"
# tests/support/small_base.toml under mm-parent without __GFP_ZERO, 3000 kiocbs.
sed -e 's/^design = "lazy-cancel"$/design = "mm-parent"\nzero_alloc = false/' -e 's/^kiocbs = 2000$/kiocbs = 3000/' \
  "$here/../../support/small_base.toml" >"$D/work/base.toml"
grep -q '^zero_alloc = false$' "$D/work/base.toml" && grep -q '^kiocbs = 3000$' "$D/work/base.toml" ||
  { echo "FAIL: tests/support/small_base.toml no longer has the lines this test overrides"; exit 1; }
cat >"$D/work/spec.toml" <<'EOF'
[sweep]
base = "base.toml"
replications = 2
[axes]
kioctx.lazy_list = [false, true]
workload.batch = [4, 8]
EOF

set +e
"$aiosim" sweep "$D/work/spec.toml" --out "$D/local" -j 2 --quiet
rc_local=$?
"$aiosim" sweep "$D/work/spec.toml" --out "$D/slurm" --backend slurm --chunk 3 --wait >"$D/submit.out" 2>"$D/submit.err"
rc_slurm=$?
set -e
cat "$D/submit.err"
[ $rc_local -eq 3 ] || { echo "FAIL: local sweep exit $rc_local, want 3 (some runs fail)"; exit 1; }
[ $rc_slurm -eq 3 ] || { echo "FAIL: slurm sweep exit $rc_slurm, want 3"; exit 1; }
job=$(head -n 1 "$D/submit.out")
grep -q "submitted job array $job (3 tasks of up to 3 runs)" "$D/submit.err" || { echo "FAIL: expected 3 array tasks"; exit 1; }

# The tasks really ran under Slurm: their output files, and manifests naming the job.
for t in 0 1 2; do
  [ -s "$D/slurm/slurm/task-${job}_$t.out" ] || { echo "FAIL: no output of array task $t"; exit 1; }
done
grep -q "\"job_id\": \"$job\"" "$D/slurm/runs/000007/manifest.json" || { echo "FAIL: manifest does not name job $job"; exit 1; }
grep -q '"backend": "slurm"' "$D/slurm/runs/000000/manifest.json" || { echo "FAIL: manifest backend"; exit 1; }
grep -q '"array_task_id": "2"' "$D/slurm/runs/000006/manifest.json" || { echo "FAIL: run 6 should be task 2 (chunk 3)"; exit 1; }
state=$(scontrol show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z]*' | sort -u | tr '\n' ' ')
echo "job $job: $state"

cmp "$D/local/runs.csv" "$D/slurm/runs.csv" || { echo "FAIL: runs.csv differs between the local and Slurm backends"; exit 1; }
cmp "$D/local/summary.csv" "$D/slurm/summary.csv" || { echo "FAIL: summary.csv differs"; exit 1; }
cmp "$D/local/results.sqlite" "$D/slurm/results.sqlite" || { echo "FAIL: results.sqlite differs"; exit 1; }
ok=$(grep -c ',ok,0,' "$D/slurm/runs.csv" || true)
failed=$(grep -c ',failed,3,' "$D/slurm/runs.csv" || true)
[ "$ok" -eq 4 ] && [ "$failed" -eq 4 ] || { echo "FAIL: want 4 ok and 4 failed runs, got $ok and $failed"; exit 1; }
echo "ok: local and Slurm backends give the same runs.csv, summary.csv and results.sqlite ($ok ok, $failed failed runs)"

# Lose two runs; resubmit with one run per task: exactly those two are submitted.
rm "$D/slurm/runs/000002/manifest.json" "$D/slurm/runs/000005/manifest.json"
set +e
"$aiosim" sweep "$D/work/spec.toml" --out "$D/slurm" --backend slurm --chunk 1 --wait >"$D/submit2.out" 2>"$D/submit2.err"
rc=$?
set -e
cat "$D/submit2.err"
[ $rc -eq 3 ] || { echo "FAIL: resubmission exit $rc, want 3"; exit 1; }
job2=$(head -n 1 "$D/submit2.out")
grep -q "submitted job array $job2 (2 tasks of up to 1 run)" "$D/submit2.err" || { echo "FAIL: expected 2 array tasks"; exit 1; }
ls "$D/slurm/slurm/" | grep -q "task-${job2}_2.out" || { echo "FAIL: array index 2 should have run run 2"; exit 1; }
ls "$D/slurm/slurm/" | grep -q "task-${job2}_5.out" || { echo "FAIL: array index 5 should have run run 5"; exit 1; }
[ "$(ls "$D/slurm/slurm/" | grep -c "task-${job2}_")" -eq 2 ] || { echo "FAIL: only tasks 2 and 5 should have run"; exit 1; }
cmp "$D/local/runs.csv" "$D/slurm/runs.csv" || { echo "FAIL: runs.csv differs after the resubmission"; exit 1; }
cmp "$D/local/summary.csv" "$D/slurm/summary.csv" || { echo "FAIL: summary.csv differs after the resubmission"; exit 1; }
"$aiosim" collect "$D/slurm" --quiet || [ $? -eq 3 ]
cmp "$D/local/runs.csv" "$D/slurm/runs.csv" || { echo "FAIL: aiosim collect changed runs.csv"; exit 1; }
echo "ok: resubmitting lost runs 2 and 5 as array indices 2 and 5 gives the same output"
