#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: `aiosim report` and `aiosim plot` on a small sweep.

    check_report.py AIOSIM SOURCE_DIR [--no-browser]

Runs tests/app/report/small.toml (8 short runs, two of which stop with a
violation), then checks:
  report  DIR/report.html exists, is self-contained (no URL it would load,
          a Content-Security-Policy that forbids loading any), has the spec,
          provenance, a summary row whose mean and 95% CI this test computes
          itself from runs.csv (t_{0.975,1} = 12.706 for two replications),
          the failed runs with their violation text, one figure per varied
          axis, relative links to the CSVs that exist; leaves no temporary
          file; a run directory gets a report too; a directory that is
          neither is refused (exit 2, one line, nothing written).
  escape  config values and error texts holding markup (<script>, an
          attribute breaking out of its quotes) come out escaped.
  browser headless Chromium loads the report and the injected one with no
          console message (a CSP violation or a script error would print one;
          a canary page with a console.error proves the check sees them) and
          takes a screenshot that is not blank.
  plot    PNG, PDF and SVG by extension, each a real file of that format
          with content; a bad --x/--y exits 2 with one line naming close
          matches; a bad extension exits 2.
Chromium missing: the browser part is skipped (exit 77) unless CI=true.
"""

import html
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def png_info(path):
    """(width, height) from the IHDR chunk, or None if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def non_blank(png):
    """Share of pixels that are not the page background, and distinct colours."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import numpy as np
    img = mpimg.imread(png)[..., :3]
    ink = float((img.min(axis=2) < 0.9).mean())
    colours = len(np.unique((img * 31).round().reshape(-1, 3), axis=0))
    return ink, colours


def chromium():
    for c in ("chromium", "chromium-browser"):
        p = shutil.which(c)
        if p:
            return p
    return None


def browse(browser, page, shot, tmp):
    """Loads page in headless Chromium; (console lines, screenshot written)."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    r = run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--window-size=1280,1800", "--enable-logging=stderr", "--v=0",
             f"--screenshot={shot}", "file://" + os.path.abspath(page)], timeout=180)
    console = [ln for ln in (r.stdout + r.stderr).splitlines() if ":CONSOLE" in ln]
    return console, os.path.exists(shot)


def mean_ci(xs):
    t975 = {1: 12.706205, 2: 4.302653, 3: 3.182446}
    n = len(xs)
    m = sum(xs) / n
    sd = (sum((x - m) ** 2 for x in xs) / (n - 1)) ** 0.5
    return m, t975[n - 1] * sd / n ** 0.5


def main():
    aiosim, src = sys.argv[1], sys.argv[2]
    use_browser = "--no-browser" not in sys.argv
    tmp = tempfile.mkdtemp(prefix="aiosim-report-test-")
    try:
        d = os.path.join(tmp, "small")
        r = run([aiosim, "sweep", os.path.join(src, "tests/app/report/small.toml"), "--out", d, "-j", "2", "--quiet"])
        check(r.returncode == 3, f"the small sweep runs, two runs failing (exit 3; got {r.returncode}: {r.stderr[-300:]})")

        # --- report -------------------------------------------------------------
        r = run([aiosim, "report", d])
        check(r.returncode == 0, f"aiosim report exits 0 ({r.stderr.strip()[-300:]})")
        page = os.path.join(d, "report.html")
        text = open(page, encoding="utf-8").read() if os.path.exists(page) else ""
        check(text.startswith("<!DOCTYPE html>"), "report.html is an HTML5 document")
        check(not [f for f in os.listdir(d) if f.startswith(".report.html")], "no temporary file left behind")
        urls = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
        loaded = re.findall(r'src\s*=\s*"([^"]*)"', text)
        check(loaded and all(u.startswith("data:image/svg+xml;base64,") for u in loaded),
              f"every embedded resource is a data: URI ({len(loaded)} images)")
        check(not re.search(r"<script|<link|@import|url\(", text, re.I), "no script, no external style sheet, no url()")
        check("Content-Security-Policy" in text and "default-src 'none'" in text, "a CSP forbids loading anything")
        links = [u for u in urls if not u.startswith("data:")]
        check(all("://" not in u and not u.startswith("/") for u in links), f"links are relative: {links[:6]}")
        check(all(os.path.exists(os.path.join(d, u)) for u in links), "every link points at a file of the sweep")
        for f in ("runs.csv", "summary.csv", "sweep.json"):
            check(f'href="{f}"' in text, f"links to {f}")
        check("git commit" in text and "SimGrid version" in text and "aiosim version" in text and "sweep seed" in text,
              "provenance: versions, commit, seeds")
        check("small.toml" in text and "kioctx.zero_alloc" in text, "the spec: its file and its axes")
        check(text.count("<figure>") == 2, f"one figure per varied axis (2; got {text.count('<figure>')})")
        check("Failed runs (2)" in text and "list_del corruption" in text and "VIOLATION" in text,
              "the two failed runs with their violation text")

        # The summary row of (mm-parent, zero_alloc=true): mean and CI computed here.
        import csv
        rows = list(csv.DictReader(open(os.path.join(d, "runs.csv"))))
        xs = [float(x["throughput.completed_per_s"]) for x in rows
              if x["kioctx.design"] == "mm-parent" and x["kioctx.zero_alloc"] == "true"]
        m, h = mean_ci(xs)
        expect = f"{m / 1e6:.4g} ± {h / 1e6:.2g}"
        check(expect in text, f"summary row mm-parent/zero_alloc=true shows completions/s {expect} (millions), "
                              "the Student-t 95% CI worked out here")

        # A run directory.
        rd = os.path.join(tmp, "one")
        r = run([aiosim, "run", os.path.join(src, "experiments/mixed.toml"), "--set", "workload.kiocbs=1500", "--out", rd,
                 "--quiet"])
        r = run([aiosim, "report", rd])
        t1 = open(os.path.join(rd, "report.html"), encoding="utf-8").read() if r.returncode == 0 else ""
        check(r.returncode == 0 and "aiosim run report" in t1 and "completions/s" in t1 and "<figure>" in t1,
              "a run directory gets a report with its headline numbers and a figure")

        # Neither: exit 2, one line, nothing written.
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        r = run([aiosim, "report", empty])
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not a sweep directory" in r.stderr
              and not os.listdir(empty), f"a directory that is neither: exit 2, one line ({r.stderr.strip()})")
        r = run([aiosim, "report", os.path.join(tmp, "nonexistent")])
        check(r.returncode == 2, "a missing directory: exit 2")

        # Axes from sweep.json's points: a [[zip]] group (sockets 1,1,2 next to roles a,b,c) is one axis.
        sys.path.insert(0, os.path.join(src, "plots"))
        import sweepdata
        pts = [{"s": so, "r": ro, "d": d} for so, ro in ((1, "a"), (1, "b"), (2, "c")) for d in ("x", "y")]
        axes = sweepdata.axes_of({"parameters": ["s", "r", "d"], "points": [{"parameters": p} for p in pts]})
        check([a["keys"] for a in axes] == [["s", "r"], ["d"]] and len(axes[0]["values"]) == 3,
              f"a zipped group is one axis, a crossed key another ({[a['keys'] for a in axes]})")

        # --- escaping -----------------------------------------------------------
        inj = os.path.join(tmp, "injected")
        shutil.copytree(d, inj, ignore=shutil.ignore_patterns("report.html"))
        payload = '<script>alert("x")</script>'
        attr = '"><img src=x onerror=alert(1)>'
        for f in ("runs.csv", "summary.csv"):
            p = os.path.join(inj, f)
            s = open(p).read().replace("lazy-cancel", "lc" + attr.replace('"', "'"))
            s = s.replace("list_del corruption", payload.replace('"', "'"))
            open(p, "w").write(s)
        man = os.path.join(inj, "runs/000006/manifest.json")
        import json
        mj = json.load(open(man))
        mj["git_commit"] = payload
        mj["host"] = attr
        json.dump(mj, open(man, "w"))
        r = run([aiosim, "report", inj])
        ti = open(os.path.join(inj, "report.html"), encoding="utf-8").read() if r.returncode == 0 else ""
        check(r.returncode == 0, f"the report of a sweep with markup in its values is written ({r.stderr.strip()[-200:]})")
        check("<script" not in ti and "<img src=x" not in ti and "onerror=alert(1)>" not in ti,
              "no injected markup comes through")
        check(html.escape(payload.replace('"', "'"), quote=True) in ti and html.escape(payload, quote=True) in ti,
              "the injected texts are shown, escaped")

        # --- browser ------------------------------------------------------------
        browser = chromium()
        skipped = False
        if not use_browser:
            skipped = True
        elif not browser:
            print("chromium is not installed (tools/install-deps.sh installs it)")
            if os.environ.get("CI") == "true":
                check(False, "chromium is installed (CI)")
            skipped = True
        else:
            canary = os.path.join(tmp, "canary.html")
            open(canary, "w").write("<!DOCTYPE html><title>c</title><script>console.error('canary')</script><p>c</p>")
            console, _ = browse(browser, canary, os.path.join(tmp, "canary.png"), tmp)
            check(any("canary" in c for c in console), "the browser check sees console messages (canary)")
            for name, p in (("report", page), ("injected report", os.path.join(inj, "report.html"))):
                shot = os.path.join(tmp, name.replace(" ", "-") + ".png")
                console, wrote = browse(browser, p, shot, tmp)
                check(wrote and png_info(shot) is not None, f"{name}: headless Chromium took a screenshot")
                check(not console, f"{name}: no console message {console[:3]}")
                if wrote:
                    ink, colours = non_blank(shot)
                    check(ink > 0.03 and colours > 20, f"{name}: the screenshot is not blank ({ink:.1%} ink, {colours} colours)")

        # --- plot ---------------------------------------------------------------
        for ext, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF-"), ("svg", b"<?xml")):
            out = os.path.join(tmp, f"plot.{ext}")
            r = run([aiosim, "plot", d, "--x", "kioctx.zero_alloc", "--y", "throughput.completed_per_s", "--hue",
                     "kioctx.design", "--out", out])
            ok = r.returncode == 0 and os.path.exists(out)
            head = open(out, "rb").read(200) if ok else b""
            check(ok and head.startswith(magic) and os.path.getsize(out) > 5000,
                  f"aiosim plot --out plot.{ext}: a {ext.upper()} file with content ({r.stderr.strip()[-200:]})")
            if ext == "svg" and ok:
                check(b"<svg" in open(out, "rb").read(), "the SVG has an <svg> element")
            if ext == "png" and ok:
                ink, colours = non_blank(out)
                check(ink > 0.02, f"plot.png is not blank ({ink:.1%} ink)")
        r = run([aiosim, "plot", d, "--x", "workload.batchsize", "--y", "throughput.completed_per_s"])
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--x workload.batchsize" in r.stderr,
              f"a bad --x: exit 2, one line ({r.stderr.strip()})")
        r = run([aiosim, "plot", d, "--x", "kioctx.design", "--y", "locks.ctx_lock.wait.p99"])
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "locks.ctx_lock.wait_ns.p99" in r.stderr,
              f"a bad --y: exit 2, one line naming the close match ({r.stderr.strip()})")
        r = run([aiosim, "plot", d, "--x", "kioctx.design", "--y", "throughput.completed_per_s", "--out", "x.jpg"])
        check(r.returncode == 2 and ".pdf, .png or .svg" in r.stderr, "a bad --out extension: exit 2")
        r = run([aiosim, "plot", empty, "--x", "a", "--y", "b"])
        check(r.returncode == 2, "plot of a directory that is no sweep: exit 2")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    if skipped and use_browser:
        print("all other checks passed; the browser part was skipped")
        return 77
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
