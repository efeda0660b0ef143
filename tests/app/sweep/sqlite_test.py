#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: a sweep's results.sqlite against its CSVs, and docs/sweeps.md's example queries.

    sqlite_test.py AIOSIM SOURCE_DIR

Runs a small sweep (2 designs x 2 batches, 2 replications), then checks:
the database is whole (integrity_check) and has the documented tables; every
run of runs.csv is a row of `runs` with the same status, seed and parameters;
every metric cell of runs.csv is in `metrics` with the same value; every
mean of summary.csv is in `summary`; and each of the three queries of
docs/sweeps.md (taken from the document, so the document is what is tested)
gives what the CSVs say, recomputed here with the csv module. Also checks
the columns left out of the wide CSVs: a description of the system that
every run shares (machine.*) is not a column, and a .ci95 that would be 0 at
every point (a metric the replications agree on) is not either.
"""

import csv
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from small_sweep import BASE, check, failures  # noqa: E402  (tests/support/small_sweep.py)

SPEC = """[sweep]
base = "base.toml"
replications = 2
[axes]
kioctx.design = ["mm-parent", "lazy-cancel"]
workload.batch = [4, 8]
"""


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    return float(text)


def doc_queries(source):
    text = open(os.path.join(source, "docs", "sweeps.md")).read()
    return re.findall(r"```sql\n(.*?)```", text, re.S)


def main():
    aiosim, source = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="aiosim-sqlite-test-") as tmp:
        with open(os.path.join(tmp, "base.toml"), "w") as f:
            f.write(BASE)
        with open(os.path.join(tmp, "spec.toml"), "w") as f:
            f.write(SPEC)
        out = os.path.join(tmp, "out")
        r = subprocess.run([aiosim, "sweep", "spec.toml", "--out", out, "-j", "2", "--quiet"], cwd=tmp,
                           capture_output=True, text=True)
        check(r.returncode == 0, f"the sweep runs (exit {r.returncode}: {r.stderr.strip()})")
        if r.returncode != 0:
            return
        names = os.listdir(out)
        check("results.sqlite" in names, "DIR/results.sqlite is written")
        check(not any(".tmp." in n for n in names), "no temporary left beside it")
        runs = read_csv(os.path.join(out, "runs.csv"))
        summary = read_csv(os.path.join(out, "summary.csv"))
        db = sqlite3.connect(os.path.join(out, "results.sqlite"))
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check says ok")
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        check(tables == {"runs", "points", "metrics", "cpus", "locks", "summary"}, f"the tables are the documented ones ({sorted(tables)})")

        # runs: one row per run, as runs.csv.
        rows = {r[0]: r for r in db.execute('SELECT run, seed, status, "kioctx.design", "workload.batch" FROM runs')}
        check(len(rows) == len(runs) == 8, f"8 runs in both ({len(rows)}, {len(runs)})")
        for c in runs:
            r = rows.get(int(c["run"]))
            check(r is not None and str(r[1]) == c["seed"] and r[2] == c["status"] and r[3] == c["kioctx.design"]
                  and r[4] == int(c["workload.batch"]), f"run {c['run']}: seed, status and parameters as runs.csv")

        # metrics: every metric cell of runs.csv.
        fixed = {"run", "point", "replication", "seed", "kioctx.design", "workload.batch", "status", "exit_code", "error"}
        metrics = {(run, name): v for run, name, v in db.execute("SELECT run, name, value FROM metrics")}
        cells = bad = 0
        for c in runs:
            for k, v in c.items():
                if k in fixed or v == "":
                    continue
                cells += 1
                got = metrics.get((int(c["run"]), k))
                want = {"true": 1, "false": 0}.get(v, None)
                if want is None:
                    want = num(v)
                if got is None or float(got) != float(want):
                    bad += 1
                    if bad < 5:
                        print(f"      run {c['run']} {k}: csv {v}, sqlite {got}")
        check(cells > 100 and bad == 0, f"every one of runs.csv's {cells} metric cells is in metrics, same value")

        # summary: every mean of summary.csv; n counts the runs that have the metric (runs.csv's non-empty cells).
        means = {(p, m): (n, mean, ci) for p, m, n, mean, ci in db.execute("SELECT point, metric, n, mean, ci95 FROM summary")}
        cells = bad = 0
        for c in summary:
            for k, v in c.items():
                if not k.endswith(".mean") or v == "":
                    continue
                cells += 1
                got = means.get((int(c["point"]), k[:-5]))
                n = sum(1 for r in runs if r["point"] == c["point"] and r.get(k[:-5], "") != "")
                if got is None or got[1] != num(v) or got[0] != n:
                    bad += 1
                    if bad < 5:
                        print(f"      point {c['point']} {k}: csv {v} (n {c['n']}), sqlite {got}")
                ci = c.get(k[:-5] + ".ci95")
                if ci and (got is None or got[2] != num(ci)):
                    bad += 1
        check(cells > 50 and bad == 0, f"every one of summary.csv's {cells} means (and CIs) is in summary")

        # Left out of the wide CSVs, kept in the database.
        echo = [n for (n,) in db.execute("SELECT DISTINCT name FROM metrics WHERE name LIKE 'machine.%'")]
        check(len(echo) > 0 and not any(e in runs[0] for e in echo),
              f"machine.* (the same in every run) is in metrics, not in runs.csv ({len(echo)} names)")
        check("sim.kiocbs.mean" in summary[0] and "sim.kiocbs.ci95" not in summary[0],
              "sim.kiocbs (the same in every replication) has a mean and no .ci95 column")
        check(any(k.endswith(".ci95") for k in summary[0]), "metrics that vary keep their .ci95")

        # Every run's result.json is what schemas/result.schema.json describes.
        try:
            import json
            import jsonschema
            with open(os.path.join(source, "schemas", "result.schema.json")) as f:
                validator = jsonschema.Draft202012Validator(json.load(f))
            bad = []
            for c in runs:
                with open(os.path.join(out, "runs", f"{int(c['run']):06}", "result.json")) as f:
                    if not validator.is_valid(json.load(f)):
                        bad.append(c["run"])
            check(not bad, f"every run's result.json validates against schemas/result.schema.json ({bad})")
        except ImportError:
            check(False, "python3-jsonschema is installed (tools/install-deps.sh)")

        # docs/sweeps.md's example queries.
        qs = doc_queries(source)
        check(len(qs) == 3, f"docs/sweeps.md has three example queries ({len(qs)})")
        if len(qs) != 3:
            return
        # 1: mean completions per second and its CI, per design and batch.
        got = {(d, b): (m, ci) for d, b, m, ci in db.execute(qs[0])}
        want = {(c["kioctx.design"], int(c["workload.batch"])): (num(c["throughput.completed_per_s.mean"]),
                                                                 num(c["throughput.completed_per_s.ci95"])) for c in summary}
        check(got == want, f"query 1 gives summary.csv's throughput means and CIs ({got} vs {want})")
        # 2: the p99 wait for ctx_lock, per run.
        got = {run: v for run, d, v in db.execute(qs[1])}
        want = {int(c["run"]): num(c["locks.ctx_lock.wait_ns.p99"]) for c in runs}
        check(got == want, "query 2 gives runs.csv's locks.ctx_lock.wait_ns.p99 for every run")
        # 3: the share of CPU time spent spinning, per design (mean over runs).
        per_run = {}
        for c in runs:
            spin = total = 0
            for k, v in c.items():
                m = re.fullmatch(r"cpus\.(\d+)\.(task|spin|irq|idle)_ns", k)
                if m and v:
                    total += float(v)
                    if m.group(2) == "spin":
                        spin += float(v)
            per_run.setdefault(c["kioctx.design"], []).append(spin / total)
        want = {d: sum(v) / len(v) for d, v in per_run.items()}
        got = dict(db.execute(qs[2]).fetchall())
        check(set(got) == set(want) and all(math.isclose(got[d], want[d], rel_tol=1e-12) for d in want),
              f"query 3 gives the spinning share of CPU time per design from runs.csv's cpus.N columns ({got} vs {want})")


main()
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
