#!/usr/bin/python3
"""Timeline figure of an `aiosim trace` window (trace.json): one row per CPU.

Each row shows what the CPU does -- task work, spinning on a lock, an IRQ
handler -- and, in a thinner band under it, when one of its contexts holds
the chosen lock(s). A panel on top counts the waiters of the first lock.
Colours come with hatches so the figure stays readable in greyscale.

    /usr/bin/python3 plots/timeline.py out/v39/trace.json            # -> out/v39/timeline.{png,pdf}
    /usr/bin/python3 plots/timeline.py trace.json --out fig/v39 --lock ctx_lock --from 300 --to 310

Times are microseconds of simulated time. Needs matplotlib (Debian:
python3-matplotlib, hence /usr/bin/python3). Exit status 2 if the window
has nothing to draw.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Activity colours (fill, hatch): distinct in colour and in greyscale.
ACTIVITY = {
    "task": ("#c6dbef", None),
    "spin": ("#cb181d", "////"),
    "irq": ("#fd8d3c", "...."),
}
HELD = [("#252525", None), ("#6a51a3", "xxxx"), ("#238b45", "\\\\\\\\")]


def parse_cpus(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def load(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    meta = trace.get("otherData", {}) if isinstance(trace, dict) else {}
    procs = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = e["args"]["name"]
    return events, meta, procs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace", help="trace.json written by `aiosim trace`")
    ap.add_argument("--out", help="output path without extension (default: timeline next to the trace)")
    ap.add_argument("--lock", action="append", help="lock whose holds are drawn (repeatable; default ctx_lock)")
    ap.add_argument("--from", dest="t0", type=float, help="start, us (default: the trace window)")
    ap.add_argument("--to", dest="t1", type=float, help="end, us (default: the trace window)")
    ap.add_argument("--cpus", help="CPUs to draw, e.g. 0-3,12-15 (default: every CPU that is not idle throughout)")
    ap.add_argument("--title", help="figure title (default: from the trace)")
    ap.add_argument("--width", type=float, default=7.0, help="figure width, inches (default 7)")
    args = ap.parse_args(argv)

    events, meta, procs = load(args.trace)
    locks = args.lock or ["ctx_lock"]
    window = meta.get("window_ns", [None, None])
    t0 = args.t0 if args.t0 is not None else (window[0] / 1000.0 if window[0] is not None else None)
    t1 = args.t1 if args.t1 is not None else (window[1] / 1000.0 if window[1] is not None else None)
    xs = [e["ts"] for e in events if "ts" in e]
    if t0 is None:
        t0 = min(xs) if xs else 0.0
    if t1 is None:
        t1 = max(e["ts"] + e.get("dur", 0) for e in events if "ts" in e) if xs else 1.0
    if t1 <= t0:
        sys.exit("timeline: empty time range")

    cpu_pids = {pid for pid, name in procs.items() if name.startswith("cpu")}
    act = {}   # cpu -> [(start, dur, kind)]
    held = {}  # cpu -> [(start, dur, lock index)]
    waiters = []
    for e in events:
        ph = e.get("ph")
        if ph == "C" and e.get("name") == locks[0] + " waiters":
            waiters.append((e["ts"], e["args"]["waiters"]))
        if ph != "X" or e["pid"] not in cpu_pids:
            continue
        s, d = e["ts"], e["dur"]
        if s + d < t0 or s > t1:
            continue
        s0, s1 = max(s, t0), min(s + d, t1)
        cat = e.get("cat")
        if cat == "activity" and e["name"] in ACTIVITY:
            act.setdefault(e["pid"], []).append((s0, s1 - s0, e["name"]))
        elif cat == "held" and e["args"].get("lock") in locks:
            held.setdefault(e["pid"], []).append((s0, s1 - s0, locks.index(e["args"]["lock"])))

    if args.cpus:
        cpus = sorted(parse_cpus(args.cpus))
    else:
        busy = lambda c: sum(d for _, d, _ in act.get(c, []) + held.get(c, []))  # noqa: E731
        cpus = sorted(c for c in set(act) | set(held) if busy(c) > 0)
    bars = sum(len(act.get(c, [])) + len(held.get(c, [])) for c in cpus)
    if not cpus or bars == 0:
        print(f"timeline: nothing to draw between {t0} and {t1} us", file=sys.stderr)
        return 2

    plt.rcParams.update({
        "font.family": "serif",
        "font.size": 8,
        "axes.linewidth": 0.6,
        "axes.titlesize": 9,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "hatch.linewidth": 0.5,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "savefig.dpi": 300,
    })
    row_h = 0.2
    height = 1.3 + row_h * len(cpus)
    fig, (top, ax) = plt.subplots(
        2, 1, sharex=True, figsize=(args.width, height),
        gridspec_kw={"height_ratios": [0.9, row_h * len(cpus)], "hspace": 0.08})

    # Waiters of the first lock: a step plot from the window's start.
    if waiters:
        waiters.sort()
        ts = [t for t, _ in waiters if t <= t1] + [t1]
        vs = [v for t, v in waiters if t <= t1]
        vs = vs + [vs[-1]] if vs else [0]
        top.step(ts, vs, where="post", color="black", linewidth=0.8)
        top.fill_between(ts, vs, step="post", color="#bdbdbd", linewidth=0)
    top.set_ylabel(f"{locks[0]}\nwaiters", fontsize=7)
    top.set_ylim(bottom=0)
    top.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)
        ax.spines[side].set_visible(False)

    for row, cpu in enumerate(cpus):
        for kind in ("task", "spin", "irq"):
            spans = [(s, d) for s, d, k in act.get(cpu, []) if k == kind]
            if spans:
                color, hatch = ACTIVITY[kind]
                ax.broken_barh(spans, (row - 0.42, 0.52), facecolors=color, edgecolor="black" if hatch else color,
                               linewidth=0.3 if hatch else 0, hatch=hatch)
        for li in range(len(locks)):
            spans = [(s, d) for s, d, k in held.get(cpu, []) if k == li]
            if spans:
                color, hatch = HELD[li % len(HELD)]
                ax.broken_barh(spans, (row + 0.16, 0.24), facecolors=color, edgecolor=color if not hatch else "white",
                               linewidth=0, hatch=hatch)
    ax.set_yticks(range(len(cpus)))
    ax.set_yticklabels([procs.get(c, f"cpu{c}") for c in cpus])
    ax.set_ylim(len(cpus) - 0.5, -0.5)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (µs)")
    ax.tick_params(axis="y", length=0)

    handles = [Patch(facecolor=ACTIVITY[k][0], hatch=ACTIVITY[k][1], edgecolor="black", linewidth=0.3,
                     label={"task": "task work", "spin": "spinning", "irq": "IRQ handler"}[k])
               for k in ("task", "spin", "irq")]
    handles += [Patch(facecolor=HELD[i % len(HELD)][0], hatch=HELD[i % len(HELD)][1], edgecolor="white", linewidth=0,
                      label=f"holds {lk}") for i, lk in enumerate(locks)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9 / max(len(cpus), 1) - 0.25 * 4 / max(len(cpus), 4)),
              ncol=len(handles), frameon=False, handlelength=2.2, columnspacing=1.2)
    title = args.title or "{} — {} CPUs".format(meta.get("design", ""), meta.get("cpus", len(cpus)))
    top.set_title(title, loc="left")

    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.trace)), "timeline")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out + ".png", bbox_inches="tight")
    fig.savefig(out + ".pdf", bbox_inches="tight")
    print(f"timeline: {len(cpus)} CPUs, {bars} bars, {t0:.3f}-{t1:.3f} us -> {out}.png, {out}.pdf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
