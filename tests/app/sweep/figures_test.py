#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: every paper figure renders from small sweeps of experiments/paper/.

    figures_test.py AIOSIM SOURCE_DIR

Runs each spec of experiments/paper/ with few kiocbs and 2 replications,
checks that pandas reads runs.csv and summary.csv as they are (numbers as
numbers, switches as booleans), draws the figures with plots/figures.py and
checks each PDF and PNG: present, not tiny, the right header, the PNG's
dimensions from its IHDR chunk, and real content (many grey levels, not a
blank page). Also checks that figure 1 leaves out the incorrect subsets and
says why, and that figures.py fails clearly without its sweeps.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import pandas as pd  # noqa: E402

FIGURES = ["fig1-throughput", "fig2-lock-wait", "fig3-cpu-time", "fig4-latency-cdf", "fig5-sensitivity", "fig6-locks",
           "fig7-decade"]
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    aiosim, src = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="aiosim-figures-test-")
    try:
        specs = sorted(f for f in os.listdir(os.path.join(src, "experiments/paper")) if f.endswith(".toml"))
        check(specs == ["ablation.toml", "decade.toml", "latency.toml", "locks.toml", "sensitivity.toml"], f"the paper specs: {specs}")
        for spec in specs:
            name = spec[:-5]
            r = subprocess.run([aiosim, "sweep", os.path.join(src, "experiments/paper", spec), "--out", os.path.join(tmp, name),
                                "-j", "2", "--quiet", "--replications", "2", "--set", "workload.kiocbs=2500"],
                               capture_output=True, text=True)
            check(r.returncode in (0, 3), f"aiosim sweep {spec} exits 0 or 3 (got {r.returncode}: {r.stderr.strip()[:300]})")

        runs = pd.read_csv(os.path.join(tmp, "ablation/runs.csv"))
        summary = pd.read_csv(os.path.join(tmp, "ablation/summary.csv"))
        check(len(runs) == 160, f"ablation runs.csv: one row per run (160, got {len(runs)})")
        check(runs["throughput.completed_per_s"].dtype == "float64", "runs.csv: a metric reads as float64")
        check(runs["sim.events"].dtype == "float64", "runs.csv: an integer metric with empty cells (failed runs) reads as float64")
        check(runs["kioctx.lazy_list"].dtype == "bool", "runs.csv: a boolean parameter reads as bool")
        per = runs.groupby(["machine.sockets", "machine.cores_per_socket", "replication"])["seed"].nunique()
        check(runs["seed"].dtype == "int64" and bool((per == 1).all()) and runs["seed"].nunique() == 10,
              "runs.csv: seeds are int64, shared across the switch subsets (common_seeds), distinct otherwise")
        check(set(runs["status"]) == {"ok", "failed"}, f"runs.csv: statuses ok and failed ({set(runs['status'])})")
        bad = runs[runs["status"] == "failed"]
        check(len(bad) > 0 and bool((bad["kioctx.lazy_list"] & ~bad["kioctx.zero_alloc"]).all()),
              "every failed run has lazy_list without zero_alloc")
        check(bool(bad["error"].str.contains("VIOLATION").all()), "failed runs carry their violation text")
        check(len(summary) == 80 and summary["n"].dtype == "int64", "summary.csv: one row per grid point, n as int64")
        check(summary["throughput.completed_per_s.ci95"].dtype == "float64", "summary.csv: CI half-widths read as float64")

        out = os.path.join(tmp, "figures")
        docs = os.path.join(src, "docs", "figures")
        before = {f: os.stat(os.path.join(docs, f)).st_mtime_ns for f in os.listdir(docs)}
        r = subprocess.run(["/usr/bin/python3", os.path.join(src, "plots/figures.py"), tmp], capture_output=True, text=True)
        check(r.returncode != 0 and "--out" in r.stderr, "figures.py without --out refuses (it writes only where asked)")
        r = subprocess.run(["/usr/bin/python3", os.path.join(src, "plots/figures.py"), tmp, "--out", out, "--aiosim", aiosim],
                           capture_output=True, text=True)
        after = {f: os.stat(os.path.join(docs, f)).st_mtime_ns for f in os.listdir(docs)}
        check(before == after, "figures.py --out DIR leaves docs/figures alone")
        check(sorted(os.listdir(out)) == sorted(f + e for f in FIGURES for e in (".pdf", ".png")),
              "figures.py --out DIR writes the fourteen figure files there and nothing else")
        check(r.returncode == 0, f"figures.py exits 0 ({r.stderr.strip()[-500:]})")
        check("left out 4 subsets (L, L+C, L+C+X, L+X)" in r.stdout and "zero" in r.stdout,
              "figure 1 leaves out lazy_list without zero_alloc and says why")
        for fig in FIGURES:
            pdf, png = os.path.join(out, fig + ".pdf"), os.path.join(out, fig + ".png")
            check(os.path.exists(pdf) and os.path.getsize(pdf) > 8000, f"{fig}.pdf exists and is > 8 kB")
            if os.path.exists(pdf):
                with open(pdf, "rb") as f:
                    check(f.read(5) == b"%PDF-", f"{fig}.pdf starts with %PDF-")
            check(os.path.exists(png) and os.path.getsize(png) > 20000, f"{fig}.png exists and is > 20 kB")
            if not os.path.exists(png):
                continue
            size = png_size(png)
            check(size is not None, f"{fig}.png has a PNG signature and IHDR")
            if size:
                w, h = size
                # 200 dpi: 7 in (1400 px) before the tight crop: every figure spans both columns.
                check(w >= 1100 and h >= 300 and w <= 2000 and h <= 1200, f"{fig}.png is {w}x{h} px (6-7 in wide at 200 dpi, cropped tight)")
            img = mpimg.imread(png)
            grey = img[..., :3].mean(axis=2)
            levels = len(set((grey * 255).round().astype(int).ravel().tolist()))
            ink = float((grey < 0.5).mean())
            check(levels > 20 and 0.005 < ink < 0.5, f"{fig}.png has real content ({levels} grey levels, {ink:.1%} dark)")

        r = subprocess.run(["/usr/bin/python3", os.path.join(src, "plots/figures.py"), os.path.join(tmp, "nothing-here"),
                            "--out", os.path.join(tmp, "f2"), "--aiosim", aiosim], capture_output=True, text=True)
        check(r.returncode != 0 and "no such directory" in r.stderr, "figures.py fails clearly without its sweeps")
        shutil.rmtree(os.path.join(tmp, "latency"))
        r = subprocess.run(["/usr/bin/python3", os.path.join(src, "plots/figures.py"), tmp, "--out", os.path.join(tmp, "f3"), "--only", "4",
                            "--aiosim", aiosim],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "latency/summary.csv is missing" in r.stderr, "figures.py names a missing sweep")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
