#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""One self-contained HTML report of a sweep or run directory.

    plots/report.py DIR        # what `aiosim report DIR` runs; writes DIR/report.html

For a sweep (sweep.json, runs.csv, summary.csv, runs/*/manifest.json): the
spec and provenance (aiosim and SimGrid versions, git commit, hosts, seeds),
the summary table with 95% confidence intervals, the failed runs with their
errors, one figure per varied axis against the headline metrics, and links
to the CSV files. For a single run (result.json, summary.csv): its
provenance, configuration, headline numbers, locks, correctness counts and
where CPU time went.

The page needs nothing else: figures are SVG embedded as data: URIs, the
style sheet is inline, there is no script, and a Content-Security-Policy
forbids loading anything (scripts included) should some text get through.
Every string that comes from a config, a spec or an error is HTML-escaped.
The file is written atomically. Exit status 2 with one line when DIR is
neither kind of directory.
"""

import argparse
import base64
import html
import json
import math
import os
import sys
import tempfile
import urllib.parse

import style
import sweepdata

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em auto;max-width:72em;
padding:0 1.5em;color:#1a1a1a;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;
text-align:left;vertical-align:top}th{background:#f4f4f4}table.kv th{background:none;font-weight:600;max-width:24em;overflow-wrap:anywhere}td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}
.scroll{overflow-x:auto}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:12px;white-space:pre-wrap}
figure{margin:1.2em 0}figure img{width:100%;max-width:60em;height:auto;border:1px solid #eee}figcaption{font-size:13px;color:#333}
.muted{color:#666}.bad{color:#a00}.ok{color:#060}code{font-size:12.5px}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def e(x):
    """HTML-escaped text of any value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    return html.escape(str(x), quote=True)


def link(rel, text=None):
    """A link to a file relative to the report (only if it is there)."""
    return f'<a href="{e(urllib.parse.quote(rel))}">{e(text or rel)}</a>'


def num(x, digits=4):
    """A number for a table: integers plainly, others to 4 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, (int,)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}".replace(",", "\u2009")
    return f"{x:.{digits}g}"


def mean_ci(m, h):
    if m is None or (isinstance(m, float) and math.isnan(m)):
        return ""
    return num(m) + ("" if h is None or (isinstance(h, float) and math.isnan(h)) else f" ± {num(h, 2)}")


def table(head, rows, numeric=()):
    """A table; head None: a key-value table (the first column as row heads)."""
    if head is None:
        out = ['<div class="scroll"><table class="kv"><tbody>']
        for k, v in rows:
            out.append(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>')
        out.append("</tbody></table></div>")
        return "\n".join(out)
    out = ['<div class="scroll"><table><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def img(fig, alt):
    data = base64.b64encode(style.to_bytes(fig, "svg")).decode("ascii")
    return f'<img alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'


def page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def distinct(values):
    out = []
    for v in values:
        if v not in out and v is not None and v != "":
            out.append(v)
    return out


# --- sweeps -------------------------------------------------------------------

def provenance_rows(manifests, plan):
    rows = []
    def field(name, label, fmt=lambda v: e(v)):
        vals = distinct(m.get(name) for m in manifests)
        if vals:
            rows.append((e(label), "<br>".join(fmt(v) for v in vals[:8]) + (" …" if len(vals) > 8 else "")))
    field("aiosim_version", "aiosim version")
    commits = distinct((m.get("git_commit"), m.get("git_dirty")) for m in manifests)
    if commits:
        rows.append(("git commit", "<br>".join(f"<code>{e(c)}</code>" + (" (with uncommitted changes)" if d else "")
                                                for c, d in commits)))
    field("simgrid_version", "SimGrid version")
    field("backend", "backend")
    field("host", "hosts")
    times = sorted(distinct(m.get("finished_at") for m in manifests))
    if times:
        rows.append(("runs finished", e(times[0]) + (f" – {e(times[-1])}" if len(times) > 1 else "")))
    rows.append(("sweep seed", e(plan.get("seed"))))
    seeds = [r["seed"] for r in plan.get("runs", [])]
    if seeds:
        rows.append(("run seeds", f"{len(set(seeds))} distinct over {len(seeds)} runs (per run in "
                     f"{link('runs.csv')}, column <code>seed</code>)"))
    return rows


def sweep_report(d):
    sw = sweepdata.Sweep(d)
    plan, runs, summ = sw.plan, sw.runs, sw.summary
    manifests = []
    for r in plan.get("runs", []):
        m = sw.manifest(r["dir"])
        if m:
            manifests.append(m)
    name = os.path.basename(os.path.abspath(d))
    metrics = sweepdata.headline(sw.metric_columns()) or sw.metric_columns()[:4]
    n_ok, n_runs = int((runs["status"] == "ok").sum()), len(runs)
    body = [f"<h1>aiosim sweep report: {e(name)}</h1>",
            f'<p class="muted">{n_runs} runs over {len(plan.get("points", []))} grid points × {e(plan.get("replications"))} '
            f"replications: <span class=\"ok\">{n_ok} ok</span>, "
            f"<span class=\"{'bad' if n_ok < n_runs else 'muted'}\">{n_runs - n_ok} failed</span>. "
            f"Data: {link('runs.csv')} (one row per run), {link('summary.csv')} (mean and 95% CI per point), "
            f"{link('sweep.json')} (the plan).</p>"]

    # The spec.
    body.append("<h2>Spec</h2>")
    rows = [("spec file", f"<code>{e(plan.get('spec'))}</code>"), ("base config", f"<code>{e(plan.get('base'))}</code>"),
            ("replications", e(plan.get("replications"))),
            ("grid points", f"{len(plan.get('points', []))} (of {e(plan.get('grid_points'))}; "
                            f"{e(plan.get('dropped_points'))} dropped by constraints)")]
    for ax in sw.axes:
        vals = ", ".join("(" + ", ".join(e(x) for x in v) + ")" if len(v) > 1 else e(v[0]) for v in ax["values"])
        label = "axis" if len(ax["values"]) > 1 else "fixed"
        rows.append((f"{label} <code>{e(sweepdata.axis_name(ax))}</code>", vals))
    body.append(table(None, rows))
    spec_path = plan.get("spec") or ""
    for cand in (spec_path, os.path.join(d, spec_path)):
        if cand and os.path.isfile(cand):
            with open(cand, encoding="utf-8", errors="replace") as f:
                body.append(f"<details><summary>the spec as run (<code>{e(cand)}</code>)</summary><pre>{e(f.read())}</pre></details>")
            break
    cfg = next((m.get("config") for m in manifests if isinstance(m.get("config"), dict)), None)
    if cfg:
        body.append(f"<details><summary>the full config of run 0 (every key, defaults included)</summary>"
                    f"<pre>{e(json.dumps(cfg, indent=1))}</pre></details>")

    body.append("<h2>Provenance</h2>")
    body.append(table(None, provenance_rows(manifests, plan)) if manifests else
                '<p class="bad">No run has a manifest yet: nothing has run.</p>')

    # The summary table.
    body.append("<h2>Summary</h2>")
    params = [k for ax in sw.varied_axes() for k in ax["keys"]]
    head = [f"<code>{e(p)}</code>" for p in params] + ["n", "failed"] + \
           [f"{e(style.metric_label(m)[0])}<br><code>{e(m)}</code>" for m in metrics]
    rows = []
    for _, r in summ.iterrows():
        cells = [e(sweepdata_text(r.get(p))) for p in params] + [num(r.get("n")), num(r.get("failed"))]
        for m in metrics:
            lab, scale = style.metric_label(m)
            # No .ci95 column: the replications agree at every point (docs/sweeps.md).
            mm, hh = r.get(f"{m}.mean", float("nan")), r.get(f"{m}.ci95", float("nan"))
            cells.append(mean_ci(mm / scale if mm == mm else mm, hh / scale if hh == hh else hh))
        rows.append(cells)
    body.append('<p class="muted">mean ± half-width of the Student-t 95% confidence interval of the mean over the '
                "successful replications (empty when fewer than two succeeded); units as in the column head.</p>")
    body.append(table(head, rows, numeric=set(range(len(params), len(head)))))

    # Failed runs.
    bad = runs[runs["status"] != "ok"]
    body.append(f"<h2>Failed runs ({len(bad)})</h2>")
    if len(bad):
        dirs = {r["run"]: r["dir"] for r in plan.get("runs", [])}
        rows = []
        for _, r in bad.iterrows():
            rd = dirs.get(int(r["run"]), "")
            files = " ".join(link(f"{rd}/{f}", f) for f in ("manifest.json", "stderr.txt", "config.toml")
                             if rd and os.path.isfile(os.path.join(d, rd, f)))
            rows.append([num(r["run"]), num(r["point"]), num(r["replication"]), e(r["seed"]),
                         "<br>".join(f"<code>{e(k)}</code> = {e(sweepdata_text(r.get(k)))}" for k in params),
                         e(r["status"]), num(r.get("exit_code")), f"<pre>{e(r.get('error'))}</pre>", files])
        body.append(table(["run", "point", "rep", "seed", "parameters", "status", "exit", "error", "files"], rows,
                          numeric={0, 1, 2, 6}))
    else:
        body.append("<p>None.</p>")

    # One figure per varied axis.
    body.append("<h2>Figures</h2>")
    ok = sw.ok
    varied = sw.varied_axes()
    if ok.empty or not metrics:
        body.append('<p class="bad">No successful run: nothing to draw.</p>')
    elif not varied:
        body.append("<p>No axis varies: see the summary table.</p>")
    for i, ax in enumerate(varied if not ok.empty and metrics else []):
        fig, caption = axis_figure(sw, ax, varied, metrics)
        body.append(f"<figure>{img(fig, 'metrics against ' + sweepdata.axis_name(ax))}"
                    f"<figcaption><b>Figure {i + 1}.</b> {caption}</figcaption></figure>")
        import matplotlib.pyplot as plt
        plt.close(fig)
    body.append(f'<p class="muted">Made by <code>aiosim report</code> from {link("runs.csv")}, '
                f'{link("summary.csv")} and {link("sweep.json")}; any other figure: <code>aiosim plot {e(name)} --x KEY '
                f"--y METRIC [--hue KEY] [--col KEY]</code>.</p>")
    return page(f"aiosim sweep report: {name}", "\n".join(body))


def sweepdata_text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def axis_figure(sw, ax, varied, metrics):
    """Headline metrics against one axis; series by the next small axis."""
    import matplotlib.pyplot as plt
    from plot import draw
    x = sweepdata.axis_x(sw, ax)
    others = [a for a in varied if a is not ax]
    hue_ax = next((a for a in others if len(a["values"]) <= 6), None)
    hue = hue_ax["keys"][0] if hue_ax else None
    ok = sw.ok
    chosen = [x] + ([hue] if hue else [])
    mixed = sweepdata.averaged_over(sw.axes, ok, chosen)
    style.apply()
    n = len(metrics)
    fig, axes = plt.subplots(1, n, figsize=(min(style.FULL_W, 2.3 * n + 0.4), 2.2), squeeze=False)
    styles = style.series_styles(ok[hue].tolist()) if hue else {None: style.series_styles(["all"])["all"]}
    numeric = not sweepdata.is_categorical(ok[x])
    vals = sorted(ok[x].dropna().unique()) if numeric else []
    logx = 2 if numeric and len(vals) > 2 and vals[0] > 0 and vals[-1] / vals[0] >= 16 else None
    for a, m in zip(axes[0], metrics):
        lab, scale = style.metric_label(m)
        draw(a, ok[ok[m].notna()], x, m, hue=hue, scale=scale, styles=styles, logx=logx, connect=numeric)
        if logx:
            a.set_xticks(vals, [sweepdata_text(v) for v in vals])
            a.minorticks_off()
        if (ok[m].dropna() >= 0).all():
            a.set_ylim(bottom=0)
        a.set_xlabel(x)
        a.set_title(lab, loc="left", fontsize=7.5)
    if hue:
        h, l = axes[0][0].get_legend_handles_labels()
        fig.legend(h, l, title=hue, loc="upper left", bbox_to_anchor=(1.0, 0.95), title_fontsize=7)
    fig.tight_layout()
    cap = f"Headline metrics against <code>{e(sweepdata.axis_name(ax))}</code>"
    if x not in ax["keys"]:
        cap += f" (plotted against <code>{e(x)}</code>, which the axis sets)"
    if hue:
        cap += f", one series per value of <code>{e(hue)}</code>"
    cap += ". Mean of the successful runs; error bars: 95% confidence interval of the mean"
    if mixed:
        cap += "; averaged over " + ", ".join(f"<code>{e(sweepdata.axis_name(a))}</code>" for a in mixed)
    return fig, cap + "."


# --- single runs ----------------------------------------------------------------

def run_report(d):
    with open(os.path.join(d, "result.json")) as f:
        res = json.load(f)
    name = os.path.basename(os.path.abspath(d))
    flat = {}
    def walk(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else k, x)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[prefix] = v
    walk("", {k: v for k, v in res.items() if k not in ("config", "latency_cdf")})
    design = res.get("design", {})
    dname = design.get("name") if isinstance(design, dict) else design
    body = [f"<h1>aiosim run report: {e(name)}</h1>",
            f'<p class="muted">One run (no replications: no confidence intervals; a sweep gives them). '
            f"Data: {link('result.json')}, {link('summary.csv')}.</p>"]
    body.append("<h2>Provenance</h2>")
    machine = res.get("machine", {})
    rows = [("aiosim version", e(res.get("aiosim_version"))), ("seed", e(res.get("seed"))),
            ("design", e(dname) + (" (" + ", ".join(f"{e(k)}={e(v)}" for k, v in design.items() if k != "name") + ")"
                                   if isinstance(design, dict) else "")),
            ("layout", e(json.dumps(res.get("layout")) if isinstance(res.get("layout"), (dict, list)) else res.get("layout"))),
            ("machine", e(json.dumps(machine) if machine else ""))]
    body.append(table(None, rows))
    if isinstance(res.get("config"), dict):
        body.append(f"<details><summary>the full config (every key, defaults included)</summary>"
                    f"<pre>{e(json.dumps(res['config'], indent=1))}</pre></details>")
    body.append("<h2>Summary</h2>")
    keys = sweepdata.headline(flat) + [k for k in flat if k.startswith("correctness.")]
    body.append(table(["metric", "", "value"], [[e(style.metric_label(k)[0]), f"<code>{e(k)}</code>", num(flat[k])]
                                                for k in keys], numeric={2}))
    locks = res.get("locks", {})
    if isinstance(locks, dict) and locks:
        rows = []
        for lk, v in locks.items():
            w = v.get("wait_ns", {}) if isinstance(v, dict) else {}
            rows.append([f"<code>{e(lk)}</code>", num(v.get("acquisitions")), num(v.get("contended")),
                         num(w.get("p50")), num(w.get("p99")), num(v.get("utilization"))])
        body.append("<h3>Locks</h3>")
        body.append(table(["lock", "acquisitions", "contended", "wait p50 (ns)", "wait p99 (ns)", "utilization"], rows,
                          numeric={1, 2, 3, 4, 5}))
    cpus = res.get("cpus")
    if isinstance(cpus, list) and cpus:
        body.append("<h2>Figures</h2>")
        fig = cpu_figure(cpus)
        body.append(f"<figure>{img(fig, 'CPU time per CPU')}<figcaption><b>Figure 1.</b> Where each CPU's time went "
                    "over the measured window: task work, spinning on a lock, hard-IRQ handlers, idle.</figcaption></figure>")
    body.append('<p class="muted">Made by <code>aiosim report</code>.</p>')
    return page(f"aiosim run report: {name}", "\n".join(body))


def cpu_figure(cpus):
    import matplotlib.pyplot as plt
    style.apply()
    parts = ["task", "spin", "irq", "idle"]
    fig, ax = plt.subplots(figsize=(style.FULL_W, 2.2))
    bottom = [0.0] * len(cpus)
    for p in parts:
        vals = []
        for c in cpus:
            tot = sum(float(c.get(f"{q}_ns", 0)) for q in parts) or 1.0
            vals.append(100.0 * float(c.get(f"{p}_ns", 0)) / tot)
        a = style.ACTIVITY[p]
        ax.bar(range(len(cpus)), vals, 0.8, bottom=bottom, color=a["color"], hatch=a["hatch"], edgecolor="black",
               linewidth=0.3, label=a["label"])
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xlabel("CPU")
    ax.set_ylabel("share of time (%)")
    ax.set_ylim(0, 100)
    step = max(1, len(cpus) // 16)
    ax.set_xticks(range(0, len(cpus), step))
    ax.grid(axis="x", visible=False)
    ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig


def write_atomically(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".report.html.", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(prog="aiosim report", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a sweep directory or a run directory")
    a = ap.parse_args(argv)
    k = sweepdata.kind(a.dir)
    if k is None:
        print(f"aiosim: {a.dir}: not a sweep directory (sweep.json, runs.csv, summary.csv) "
              "nor a run directory (result.json, summary.csv)", file=sys.stderr)
        return 2
    try:
        text = sweep_report(a.dir) if k == "sweep" else run_report(a.dir)
    except (ValueError, KeyError, json.JSONDecodeError) as ex:
        print(f"aiosim: {a.dir}: cannot read the {k}: {ex}", file=sys.stderr)
        return 2
    out = os.path.join(a.dir, "report.html")
    write_atomically(out, text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
