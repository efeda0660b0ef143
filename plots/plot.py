#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Any metric of a sweep against any key, with 95% confidence intervals.

    plots/plot.py DIR --x KEY --y METRIC [--hue KEY] [--col KEY] [--where KEY=VALUE]...
                  [--logx] [--logy] [--out FILE.{pdf,png,svg}]

(what `aiosim plot` runs). DIR is a sweep directory; KEY and METRIC are
columns of DIR/runs.csv: a parameter of the sweep (kioctx.design,
workload.batch), or any result (machine.cpus, throughput.completed_per_s,
locks.ctx_lock.wait_ns.p99). Each point is the mean over the successful runs
that share the x, hue and column values; its error bar is the half-width of
the Student-t 95% confidence interval of that mean. Axes of the sweep that
neither --x, --hue, --col nor --where pin down are averaged over, and the
plot says so (on stderr and under the figure).

The style is plots/style.py's, the one of the paper figures, which
plots/figures.py draws through `draw` below. Exit status 2, with one line,
for a DIR that is not a sweep, a column that does not exist (with close
matches) or an unknown output format.
"""

import argparse
import os
import sys

import style
import sweepdata


def _parse_value(series, text):
    """text as a value of a column's type (for --where)."""
    import pandas as pd
    if pd.api.types.is_bool_dtype(series):
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise sweepdata.InputError(f"--where {series.name}={text}: the column holds true/false")
    if pd.api.types.is_numeric_dtype(series):
        try:
            return float(text)
        except ValueError:
            raise sweepdata.InputError(f"--where {series.name}={text}: the column holds numbers") from None
    return text


def select(runs, where):
    """The runs matching every KEY=VALUE of where (already checked columns)."""
    for key, text in where:
        v = _parse_value(runs[key], text)
        if isinstance(v, float):
            runs = runs[(runs[key] - v).abs() <= 1e-9 * max(1.0, abs(v))]
        else:
            runs = runs[runs[key] == v]
    return runs


def tick_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def draw(ax, runs, x, y, hue=None, scale=1.0, styles=None, logx=None, label=None, categorical=None,
         x_order=None, connect=True):
    """Draws mean ± 95% CI of y against x on ax, one series per value of hue.
    runs: the successful runs (a DataFrame of runs.csv rows). scale divides y.
    Returns the series names in drawing order."""
    by = [x] + ([hue] if hue else [])
    st = sweepdata.group_stats(runs, y, by)
    if st.empty:
        return []
    cat = sweepdata.is_categorical(runs[x]) if categorical is None else categorical
    names = style.order_names(st[hue].tolist()) if hue else [None]
    styles = styles or style.series_styles([n for n in names if n is not None] or ["all"])
    xs_cat = x_order or style.order_names(st[x].tolist())
    pos = {v: i for i, v in enumerate(xs_cat)}
    width = 0.6
    for k, name in enumerate(names):
        g = st if name is None else st[st[hue] == name]
        if cat:
            off = (k - (len(names) - 1) / 2) * (width / max(len(names), 1)) if len(names) > 1 else 0.0
            g = g.assign(_pos=[pos[v] + off for v in g[x]]).sort_values("_pos")
            xv = g["_pos"]
        else:
            g = g.sort_values(x)
            xv = g[x]
        kw = dict(styles.get(name, next(iter(styles.values()))))
        if cat and not connect:
            kw["linestyle"] = "none"
        lab = label(name) if label else (tick_text(name) if name is not None else None)
        ax.errorbar(xv, g["mean"] / scale, yerr=(g["ci95"] / scale).fillna(0), label=lab, **kw)
    if cat:
        ax.set_xticks(range(len(xs_cat)), [tick_text(v) for v in xs_cat])
        ax.set_xlim(-0.5, len(xs_cat) - 0.5)
        ax.grid(axis="x", visible=False)
        return names
    if logx:
        ax.set_xscale("log", base=logx if logx is not True else 10)
    values = sorted(st[x].unique())
    if len(values) <= 10:  # few values: a tick at each, none between
        ax.set_xticks(values, [tick_text(v) for v in values])
        ax.minorticks_off()
    return names


def plot(sweep, x, y, hue=None, col=None, where=(), logx=False, logy=False):
    """The figure of `aiosim plot`, and the notes to print."""
    import matplotlib.pyplot as plt
    for what, c in (("--x", x), ("--y", y), ("--hue", hue), ("--col", col)):
        if c:
            sweep.column(c, what)
    for key, _ in where:
        sweep.column(key, "--where")
    if sweepdata.is_categorical(sweep.runs[y]):
        raise sweepdata.InputError(f"--y {y}: not a numeric column of {os.path.join(sweep.dir, 'runs.csv')}")
    runs = select(sweep.ok, where)
    runs = runs[runs[y].notna()]
    if runs.empty:
        raise sweepdata.InputError(f"--y {y}: no successful run has a value" + (" matching --where" if where else ""))
    notes = []
    chosen = [c for c in (x, hue, col) if c] + [k for k, _ in where]
    mixed = sweepdata.averaged_over(sweep.axes, runs, chosen)
    if mixed:
        notes.append("averaged over " + ", ".join(sweepdata.axis_name(a) for a in mixed)
                     + " (pin them with --hue, --col or --where)")
    if logx and (sweepdata.is_categorical(runs[x]) or (runs[x] <= 0).any()):
        raise sweepdata.InputError(f"--logx: {x} is not a positive number")

    style.apply()
    cols = style.order_names(runs[col].tolist()) if col else [None]
    w = min(style.FULL_W, max(style.HALF_W, 2.4 * len(cols) + 0.6))
    fig, axes = plt.subplots(1, len(cols), figsize=(w, 2.4), sharey=True, squeeze=False)
    ylab, scale = style.metric_label(y)
    hue_names = style.order_names(runs[hue].tolist()) if hue else ["all"]
    styles = style.series_styles(hue_names)
    for i, (ax, cv) in enumerate(zip(axes[0], cols)):
        part = runs if cv is None else runs[runs[col] == cv]
        draw(ax, part, x, y, hue=hue, scale=scale, styles=styles if hue else {None: styles["all"]},
             logx=10 if logx else None, connect=True)
        if logy:
            ax.set_yscale("log")
        elif (runs[y] >= 0).all():
            ax.set_ylim(bottom=0)
        ax.set_xlabel(x)
        if cv is not None:
            ax.set_title(f"({chr(ord('a') + i)}) {col} = {tick_text(cv)}", loc="left")
    axes[0][0].set_ylabel(ylab)
    if hue:
        handles, labels = axes[0][0].get_legend_handles_labels()
        for ax in axes[0][1:]:  # a series missing from the first panel
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, title=hue, loc="upper left", bbox_to_anchor=(1.0, 0.95), title_fontsize=7)
    fig.tight_layout()
    foot = "mean of the successful runs; error bars: 95% CI of the mean" + ("; " + notes[0] if notes else "")
    import textwrap
    foot = textwrap.fill(foot, width=int(w * 17))
    fig.text(0.01, -0.01, foot, fontsize=6, va="top", ha="left", transform=fig.transFigure, color="0.3")
    return fig, notes


def main(argv=None):
    ap = argparse.ArgumentParser(prog="aiosim plot", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a sweep directory (runs.csv, summary.csv, sweep.json)")
    ap.add_argument("--x", required=True, help="column for the x axis (a parameter, or a result such as machine.cpus)")
    ap.add_argument("--y", required=True, help="metric column for the y axis")
    ap.add_argument("--hue", help="one series per value of this column")
    ap.add_argument("--col", help="one panel per value of this column")
    ap.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="keep only these runs (repeatable)")
    ap.add_argument("--logx", action="store_true", help="logarithmic x axis")
    ap.add_argument("--logy", action="store_true", help="logarithmic y axis")
    ap.add_argument("--out", help="output file, .pdf, .png or .svg (default: DIR/plot-Y-vs-X.png)")
    a = ap.parse_args(argv)
    try:
        where = []
        for w in a.where:
            if "=" not in w:
                raise sweepdata.InputError(f"--where {w}: expected KEY=VALUE")
            where.append(tuple(w.split("=", 1)))
        out = a.out or os.path.join(a.dir, f"plot-{a.y}-vs-{a.x}.png")
        if os.path.splitext(out)[1].lower().lstrip(".") not in style.FORMATS:
            raise sweepdata.InputError(f"--out {out}: the extension must be .pdf, .png or .svg")
        sweep = sweepdata.Sweep(a.dir)
        fig, notes = plot(sweep, a.x, a.y, a.hue, a.col, where, a.logx, a.logy)
    except sweepdata.InputError as e:
        print(f"aiosim: {e}", file=sys.stderr)
        return 2
    style.save(fig, out)
    for n in notes:
        print(f"plot: {n}", file=sys.stderr)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
