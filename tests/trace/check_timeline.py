#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test: plots/timeline.py turns an `aiosim trace` of mm-parent into a PNG and a PDF
that show what the trace holds (spinning, IRQ handlers, ctx_lock holds), and
refuses a trace with nothing to draw.

    check_timeline.py --aiosim BUILD/app/aiosim --source SRC
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def pixels_near(img, hex_colour, tol=0.06):
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5)])
    return int((np.abs(img[:, :, :3] - rgb).max(axis=2) < tol).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aiosim", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    script = os.path.join(a.source, "plots", "timeline.py")
    with tempfile.TemporaryDirectory(prefix="aiosim-timeline-") as tmp:
        trace_dir = os.path.join(tmp, "mm-parent")
        subprocess.run([a.aiosim, "trace", os.path.join(a.source, "experiments", "mixed.toml"), "--set",
                        "kioctx.design=mm-parent", "--from", "300us", "--to", "320us", "--out", trace_dir, "--quiet"],
                       check=True)
        out = os.path.join(tmp, "fig", "timeline")
        r = subprocess.run([sys.executable, script, os.path.join(trace_dir, "trace.json"), "--out", out],
                           capture_output=True, text=True)
        print(r.stdout + r.stderr, end="")
        check(r.returncode == 0, "timeline.py exits 0")
        check(os.path.exists(out + ".png") and os.path.exists(out + ".pdf"), "PNG and PDF written")
        if FAILURES:
            return 1

        img = mpimg.imread(out + ".png")
        h, w = img.shape[:2]
        check(w >= 1500 and h >= 500, f"PNG is a figure-sized raster ({w}x{h})")
        non_white = float((img[:, :, :3].min(axis=2) < 0.95).mean())
        check(non_white > 0.08, f"PNG is not blank ({non_white:.1%} non-white)")
        colours = len(np.unique((img[:, :, :3] * 15).round().reshape(-1, 3), axis=0))
        check(colours >= 8, f"PNG has several colours ({colours} levels)")
        # The bars the trace implies: IRQ CPUs spinning on ctx_lock, handlers, holds.
        # ctx_lock (the first lock) is red: its spins hatched, its holds solid.
        check(pixels_near(img, "#cb181d") > 5000, "ctx_lock spinning and hold bars drawn in ctx_lock's colour")
        check(pixels_near(img, "#fd8d3c") > 2000, "IRQ handler bars drawn")
        check("16 CPUs (" in r.stdout, "every CPU is drawn, idle ones included (16 rows)")
        check("ctx_lock: " in r.stdout and "spin bars by lock" in r.stdout, "spin bars are attributed to their lock")
        check('title "mm-parent, packed kioctx (16 CPUs)"' in r.stdout, "the title names the design and the layout")
        with open(out + ".pdf", "rb") as f:
            pdf = f.read()
        check(pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), "PDF is a complete PDF file")
        check(len(pdf) > 10000, f"PDF is not trivial ({len(pdf)} bytes)")
        check(b"/Type /Font" in pdf or b"/Type/Font" in pdf, "PDF embeds its fonts")

        # Two locks: completion_lock's waiters in the top panel, in its colour
        # (purple), and the title of the cacheline-aligned layout says so.
        lazy = os.path.join(tmp, "lazy")
        subprocess.run([a.aiosim, "trace", os.path.join(a.source, "experiments", "mixed.toml"), "--set",
                        "kioctx.layout_preset=cacheline-aligned", "--from", "300us", "--to", "320us", "--out", lazy,
                        "--quiet"], check=True)
        out2 = os.path.join(tmp, "fig", "lazy")
        r = subprocess.run([sys.executable, script, os.path.join(lazy, "trace.json"), "--out", out2, "--lock", "ctx_lock",
                            "--lock", "completion_lock"], capture_output=True, text=True)
        print(r.stdout + r.stderr, end="")
        check(r.returncode == 0, "timeline.py --lock ctx_lock --lock completion_lock exits 0")
        check("waiters of ctx_lock, completion_lock" in r.stdout, "the waiters panel has both locks")
        check('title "lazy-cancel, cacheline-aligned kioctx (16 CPUs)"' in r.stdout,
              "the cacheline-aligned timeline is titled with its layout")
        img2 = mpimg.imread(out2 + ".png")
        top_panel = img2[: img2.shape[0] // 4]
        check(pixels_near(top_panel, "#6a51a3") > 200, "completion_lock's waiters drawn in the top panel (purple)")
        check(pixels_near(img2, "#6a51a3") > pixels_near(top_panel, "#6a51a3") + 200,
              "completion_lock spins or holds drawn in the rows (purple)")

        # Nothing to draw: exit 2, no figure.
        with open(os.path.join(trace_dir, "trace.json")) as f:
            trace = json.load(f)
        trace["traceEvents"] = [e for e in trace["traceEvents"] if e.get("ph") == "M"]
        empty = os.path.join(tmp, "empty.json")
        with open(empty, "w") as f:
            json.dump(trace, f)
        r = subprocess.run([sys.executable, script, empty, "--out", os.path.join(tmp, "none")],
                           capture_output=True, text=True)
        check(r.returncode == 2 and "nothing to draw" in r.stderr, "an empty window is refused (exit 2)")
        check(not os.path.exists(os.path.join(tmp, "none.png")), "no figure for an empty window")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
