#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Flame graph of an aiosim profile (folded stacks) as a self-contained SVG.

    /usr/bin/python3 plots/flamegraph.py RUN_DIR/profile.folded --out profile.svg [--png profile.png]

Input: "frame;frame;frame weight" lines (weights in ns), as `aiosim run --out`
writes them to profile.folded. The root frame is the context (task, hardirq);
"[spin LOCK]" and "[stall LINE]" pseudo-frames sit on the function that spins
or stalls. Each box's hover title gives its time and share of the busy time.
The SVG needs no script and no network; --png draws the same boxes with
matplotlib (for documents). Files are written atomically (temp + rename).
"""
import argparse
import hashlib
import html
import os
import sys

WIDTH = 1200
ROW = 17
PAD = 10
TITLE_H = 36
FONT = 11
CHAR_W = 6.4  # average glyph width of the font at FONT px


def parse(path):
    stacks = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            stack, sep, weight = line.rpartition(" ")
            if not sep or not stack or not weight.isdigit():
                sys.exit(f"{path}:{n}: expected 'frame;frame;... weight'")
            stacks[stack] = stacks.get(stack, 0) + int(weight)
    return stacks


class Node:
    __slots__ = ("name", "value", "children")

    def __init__(self, name):
        self.name = name
        self.value = 0
        self.children = {}


def build(stacks):
    root = Node("all")
    for stack, w in stacks.items():
        root.value += w
        node = root
        for frame in stack.split(";"):
            node = node.children.setdefault(frame, Node(frame))
            node.value += w
    return root


def colour(name):
    """Warm hues for functions, red for spinning, blue for stalls, grey for roots."""
    if name.startswith("[spin "):
        return (214, 39, 40)
    if name.startswith("[stall "):
        return (70, 130, 200)
    if name in ("all", "task", "hardirq"):
        return (170, 170, 170)
    h = int(hashlib.md5(name.encode()).hexdigest()[:8], 16)
    if name.startswith("user:"):
        return (120 + h % 40, 180 + h % 50, 90 + h % 30)  # user code: green
    return (225 + h % 30, 110 + (h >> 8) % 110, 40 + (h >> 16) % 50)


def layout(root):
    """(name, depth, x, width, value) for every box, root at depth 0."""
    boxes = []

    def walk(node, depth, x, scale):
        boxes.append((node.name, depth, x, node.value * scale, node.value))
        cx = x
        for name in sorted(node.children):
            child = node.children[name]
            walk(child, depth + 1, cx, scale)
            cx += child.value * scale

    walk(root, 0, 0.0, (WIDTH - 2 * PAD) / root.value if root.value else 0)
    # Boxes too thin to draw are left out, and so are the rows only they fill.
    boxes = [b for b in boxes if b[3] >= 0.3]
    return boxes, max(b[1] for b in boxes)


def write_atomically(path, data, mode="w"):
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + ".tmp")
    with open(tmp, mode) as f:
        f.write(data)
    os.replace(tmp, path)


def svg(root, title):
    boxes, depth_max = layout(root)
    height = TITLE_H + (depth_max + 1) * ROW + PAD + 20
    total = root.value or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="{FONT}">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fdfdf8"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15">{html.escape(title)}</text>',
        f'<text x="{PAD}" y="{height - 8}" fill="#555">busy CPU time {total / 1e6:.3f} ms; '
        "width = share of it; red: spinning on a lock, blue: coherence stalls, green: user code; "
        "hover a box for its time</text>",
    ]
    for name, depth, x, w, value in boxes:
        y = height - PAD - 20 - (depth + 1) * ROW
        r, g, b = colour(name)
        label = "all CPUs" if name == "all" else name
        tip = f"{label}: {value / 1e3:.1f} us, {100.0 * value / total:.2f}% of busy time"
        out.append(f'<g><title>{html.escape(tip)}</title>'
                   f'<rect x="{PAD + x:.2f}" y="{y}" width="{w:.2f}" height="{ROW - 1}" rx="2" '
                   f'fill="rgb({r},{g},{b})"/>')
        chars = int((w - 6) / CHAR_W)
        if chars >= 3:
            text = label if len(label) <= chars else label[: chars - 2] + ".."
            out.append(f'<text x="{PAD + x + 3:.2f}" y="{y + ROW - 5}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>\n")
    return "\n".join(out)


def png(root, title, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        sys.exit("--png needs python3-matplotlib")
    boxes, depth_max = layout(root)
    total = root.value or 1
    fig_w, row_in = 12.0, 0.24
    fig_h = (depth_max + 1) * row_in + 0.45
    fig = plt.figure(figsize=(fig_w, fig_h), dpi=110)
    ax = fig.add_axes([0.005, 0.05 / fig_h, 0.99, (depth_max + 1) * row_in / fig_h])
    span = WIDTH - 2 * PAD
    ax.set_xlim(0, span)
    ax.set_ylim(0, depth_max + 1)
    ax.axis("off")
    px_per_unit = fig_w * 110 * 0.99 / span
    for name, depth, x, w, value in boxes:
        r, g, b = colour(name)
        ax.add_patch(Rectangle((x, depth), w, 0.94, facecolor=(r / 255, g / 255, b / 255), edgecolor="white", linewidth=0.3))
        label = "all CPUs" if name == "all" else name
        chars = int((w * px_per_unit - 4) / 6.2)
        if chars >= 3:
            text = label if len(label) <= chars else label[: chars - 2] + ".."
            ax.text(x + 2 / px_per_unit, depth + 0.47, text, va="center", ha="left", fontsize=7.5)
    fig.suptitle(f"{title}  (busy CPU time {total / 1e6:.3f} ms; red: spinning, blue: coherence stalls, green: user code)",
                 fontsize=9)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folded")
    ap.add_argument("--out", help="SVG file (default: next to the input, .svg)")
    ap.add_argument("--png", help="also draw a PNG (matplotlib)")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()
    stacks = parse(a.folded)
    if not stacks:
        sys.exit(f"{a.folded}: no stacks")
    root = build(stacks)
    title = a.title or os.path.basename(os.path.dirname(os.path.abspath(a.folded)))
    out = a.out or os.path.splitext(a.folded)[0] + ".svg"
    write_atomically(out, svg(root, title))
    if a.png:
        png(root, title, a.png)


if __name__ == "__main__":
    main()
