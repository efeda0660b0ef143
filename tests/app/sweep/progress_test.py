#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ctest: a sweep's progress on stderr.

    progress_test.py AIOSIM

Not a terminal (a pipe): one line per finished run, "sweep: [k/n] F failed,
elapsed M:SS, ETA ..., X.XXM events/s", k counting up, and no terminal
control characters. A terminal (a pseudo-terminal from Python's pty module,
100 columns): one line redrawn in place ("\\r\\033[K" then the bar), never
wider than the terminal, whose bar and counts agree, redrawn every second
while a long run is in flight (the elapsed time goes 0:00, 0:01, 0:02, ...
with no run done), ending on the complete bar and a newline.
"""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from small_sweep import BASE, check, failures  # noqa: E402  (tests/support/small_sweep.py)

LINE = re.compile(r"^sweep: \[(\d+)/(\d+)\] (\d+) failed, elapsed (\d+):(\d\d), ETA (\?|\d+:\d\d), (\d+\.\d\d)M events/s$")
BAR = re.compile(r"^sweep \[([#.]{8,24})\] (\d+)/(\d+) runs, (\d+) failed, (\d+) running, elapsed (\d+):(\d\d), ETA (\?|\d+:\d\d), "
                 r"(\d+\.\d\d)M events/s$")


def spec(tmp, name, kiocbs, batches):
    with open(os.path.join(tmp, name), "w") as f:
        f.write(f'[sweep]\nbase = "base.toml"\n[set]\nworkload.kiocbs = {kiocbs}\n[axes]\nworkload.batch = {batches}\n')
    return name


def not_a_terminal(aiosim, tmp):
    r = subprocess.run([aiosim, "sweep", spec(tmp, "small.toml", 1500, "[4, 8, 16]"), "--out", "pipe", "-j", "1"], cwd=tmp,
                       capture_output=True, text=True)
    check(r.returncode == 0, f"a 3-run sweep with stderr on a pipe succeeds ({r.returncode})")
    lines = r.stderr.splitlines()
    check(lines[:1] == ["sweep: 3 runs, 0 already complete, 3 to run on 1 worker"], f"it starts with the plan ({lines[:1]})")
    progress = [LINE.match(l) for l in lines[1:]]
    check(len(progress) == 3 and all(progress), f"then one progress line per run ({lines[1:]})")
    if all(progress):
        check([int(m.group(1)) for m in progress] == [1, 2, 3] and all(m.group(2) == "3" for m in progress),
              "counting 1/3, 2/3, 3/3")
        check(progress[-1].group(6) == "0:00", "the ETA is 0:00 when every run is done")
    check("\r" not in r.stderr and "\033" not in r.stderr, "no carriage returns or escape sequences in a log")


def terminal(aiosim, tmp):
    # Runs long enough that the bar must be redrawn while one is in flight.
    kiocbs = int(os.environ.get("AIOSIM_PROGRESS_KIOCBS", "600000"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    start = time.monotonic()
    p = subprocess.Popen([aiosim, "sweep", spec(tmp, "long.toml", kiocbs, "[4, 8]"), "--out", "tty", "-j", "1"], cwd=tmp,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 1.0)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child side is closed
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    p.wait()
    os.close(master)
    took = time.monotonic() - start
    text = out.decode()
    check(p.returncode == 0, f"a 2-run sweep on a terminal succeeds ({p.returncode}) in {took:.1f} s")
    check(text.startswith("sweep: 2 runs, 0 already complete, 2 to run on 1 worker\r\n"), "it starts with the plan line")
    check(text.endswith("\r\n") and text.count("\n") == 2, "the bar ends with a newline, and it is the only other line")
    frames = [f.rstrip("\r\n") for f in text.split("\r\033[K")[1:]]
    bars = [BAR.match(f) for f in frames]
    check(len(frames) > 3 and all(bars), f"every redraw is the bar ({len(frames)} frames; first bad: "
          f"{next((f for f, b in zip(frames, bars) if not b), None)!r})")
    check(all(len(f) <= 99 for f in frames), f"no frame is wider than the 100-column terminal ({max(map(len, frames))})")
    if not all(bars):
        return
    for b in bars:
        done, total = int(b.group(2)), int(b.group(3))
        if b.group(1).count("#") != done * len(b.group(1)) // total:
            check(False, f"the bar's fill agrees with its count ({b.group(0)})")
            break
    last = bars[-1]
    check(set(last.group(1)) == {"#"} and last.group(2) == "2" and last.group(5) == "0",
          f"the last frame is the complete bar with nothing running ({last.group(0)})")
    # While the first run is in flight, every second shows.
    seconds = sorted({int(b.group(6)) * 60 + int(b.group(7)) for b in bars if b.group(2) == "0"})
    check(len(seconds) >= 2 and seconds == list(range(seconds[0], seconds[-1] + 1)) and seconds[0] == 0,
          f"redrawn every second while the first run is in flight: elapsed {seconds} s with 0 runs done "
          "(a run must take 2 s or more: AIOSIM_PROGRESS_KIOCBS)")
    check(all(b.group(5) == "1" for b in bars if b.group(2) == "0"), "1 running while none is done (-j 1)")
    check(any(b.group(2) == "1" and b.group(8) != "?" for b in bars), "an ETA once a run is done")


def main():
    aiosim = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="aiosim-progress-test-") as tmp:
        with open(os.path.join(tmp, "base.toml"), "w") as f:
            f.write(BASE)
        not_a_terminal(aiosim, tmp)
        terminal(aiosim, tmp)


main()
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
