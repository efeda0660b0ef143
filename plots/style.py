# SPDX-License-Identifier: GPL-2.0-only
"""The publication style of every aiosim figure, in one place.

Imported by plots/figures.py (the paper figures), plots/plot.py (`aiosim
plot`), plots/report.py (`aiosim report`) and plots/timeline.py, so that a
figure drawn by any of them looks like the others: two-column paper sizes
(7.0 in across both columns, 3.4 in for one), 8 pt type, TrueType fonts in
PDFs, and distinctions carried by markers, line styles and hatches rather
than by colour alone, so that a greyscale print keeps them.

Design names are never listed here: a series' look is chosen from its rank
among the names the data hold (`series_styles`), with the designs of
`aiosim designs` ranked mm-parent first (the seed's parent) and lazy-cancel
second (the seed), so the two always look the same across figures.

Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""

import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FULL_W = 7.0  # in: a figure* across both columns
HALF_W = 3.4  # in: one column

# Series looks, by rank: grey level, marker, line style, filled marker or not.
GREYS = ["0.0", "0.4", "0.6", "0.2", "0.5", "0.3", "0.7"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
LINES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
# Activity fills (figure 3, the timeline): distinct in colour and in greyscale.
ACTIVITY = {
    "task": dict(color="#c6dbef", hatch=None, label="task work"),
    "spin": dict(color="#cb181d", hatch="////", label="spinning"),
    "irq": dict(color="#fd8d3c", hatch="....", label="hard IRQ handler"),
    "idle": dict(color="white", hatch=None, label="idle"),
}
# One look per lock (timeline holds and spins); by rank in the figure's lock list.
LOCK_COLOURS = ["#cb181d", "#6a51a3", "#238b45", "#2171b5", "#8c510a"]
LOCK_HATCHES = [None, "xxxx", "\\\\\\\\", "----", "||||"]

# The designs ranked first in every ordering, in this order; any other name
# sorts after them. plots/figures.py sets it to the registry's order
# (`aiosim designs --json`, set_design_order); without that, the seed's
# parent, then the seed.
REFERENCE_ORDER = ("mm-parent", "lazy-cancel")


def set_design_order(names):
    """Ranks these design names first, in this order (the registry's)."""
    global REFERENCE_ORDER
    REFERENCE_ORDER = tuple(names)

# Two-sided 95% Student-t critical values, t_{0.975, df}, df = 1..30; the
# normal 1.959964 beyond (at df = 30 the difference is 4%). aiosim's
# summary.csv uses Boost.Math's quantile; tests/app/report checks these agree.
T975 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.959964


def mean_ci95(values):
    """(mean, half-width of the Student-t 95% CI of the mean, n); the
    half-width is NaN for n < 2, as in summary.csv."""
    xs = [float(v) for v in values if v == v]  # NaN-free
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, 0
    m = sum(xs) / n
    if n < 2:
        return m, math.nan, n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, t975(n - 1) * sd / math.sqrt(n), n


def apply():
    """Sets matplotlib's parameters for a publication figure."""
    plt.rcParams.update({
        "font.size": 8, "axes.labelsize": 8, "axes.titlesize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.0, "lines.markersize": 4,
        "errorbar.capsize": 2, "axes.grid": True, "grid.color": "0.88", "grid.linewidth": 0.5,
        "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
        "pdf.fonttype": 42, "ps.fonttype": 42, "savefig.bbox": "tight", "savefig.pad_inches": 0.02,
        "hatch.linewidth": 0.6, "svg.fonttype": "path", "svg.hashsalt": "aiosim",
    })


def order_names(names):
    """Series names in a stable order: the reference designs first, then
    numbers by value, then the rest alphabetically."""
    def key(n):
        s = str(n)
        if ", " in s:  # a compound series ("design, lock"): by its first part, then the rest
            first, rest = s.split(", ", 1)
            return key(first) + (rest,)
        if s in REFERENCE_ORDER:
            return (0, REFERENCE_ORDER.index(s), 0.0, "")
        try:
            return (1, 0, float(s), "")
        except ValueError:
            return (2, 0, 0.0, s)
    return sorted(set(names), key=key)


def series_styles(names):
    """{name: errorbar/plot keyword arguments}, one distinct look per name,
    assigned by rank in order_names(names)."""
    out = {}
    for i, n in enumerate(order_names(names)):
        grey = GREYS[i % len(GREYS)]
        out[n] = dict(color=grey, marker=MARKERS[i % len(MARKERS)], linestyle=LINES[i % len(LINES)],
                      markerfacecolor="white" if i % 2 == 0 else grey, markeredgecolor=grey)
    return out


def lock_style(rank):
    return LOCK_COLOURS[rank % len(LOCK_COLOURS)], LOCK_HATCHES[rank % len(LOCK_HATCHES)]


FORMATS = ("pdf", "png", "svg")


def save(fig, path, dpi=200):
    """Writes the figure to path, the format by its extension (pdf, png,
    svg), atomically (a temporary file in the same directory, then a
    rename), without a creation date so the same data give the same bytes."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"{path}: the extension must be one of .pdf, .png, .svg")
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    meta = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": None}[ext]
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp." + ext, dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format=ext, dpi=dpi, metadata=meta)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def to_bytes(fig, fmt="svg", dpi=200):
    """The figure as bytes of the given format (for embedding)."""
    import io
    buf = io.BytesIO()
    meta = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": None}[fmt]
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


# Metric labels: what a reader of a paper figure sees on an axis. A metric
# not named here is labelled by its column name.
_SCALES = [("_per_s", 1e6, "millions/s"), ("_ns", 1e3, "µs")]
_NAMES = {
    "throughput.completed_per_s": "completions/s",
    "throughput.submitted_per_s": "submissions/s",
    "throughput.cancelled_per_s": "cancellations/s",
    "latency_ns.submit_to_event.p99": "submit→event latency p99",
    "latency_ns.submit_to_event.p50": "submit→event latency p50",
    "latency_ns.submit_to_event.mean": "submit→event latency, mean",
    "latency_ns.submit_to_reap.p99": "submit→reap latency p99",
}


def metric_label(col):
    """(axis label, divisor) for a metric column, e.g.
    throughput.completed_per_s -> ("completions/s (millions)", 1e6)."""
    name = _NAMES.get(col)
    if name is None and col.startswith("locks.") and ".wait_ns." in col:
        lock, q = col[len("locks."):].split(".wait_ns.")
        name = f"{lock} wait {q.replace('_', '.')}"
    if name is None and col.startswith("locks.") and ".hold_ns." in col:
        lock, q = col[len("locks."):].split(".hold_ns.")
        name = f"{lock} hold {q.replace('_', '.')}"
    leaf = col.split(".")[-1]
    if col.endswith("_per_s") or leaf == "completed_per_s":
        return f"{name or col} (millions)", 1e6
    if "_ns" in col.split(".")[0] or "_ns." in col or col.endswith("_ns") or ".wait_ns." in col or ".hold_ns." in col:
        return f"{name or col} (µs)", 1e3
    return name or col, 1.0
