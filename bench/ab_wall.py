#!/usr/bin/python3
"""Interleaved wall-clock and CPU time of two dtqvp binaries on one command (docs/performance.md#timing-mode-4).

usage: bench/ab_wall.py OLD_DTQVP NEW_DTQVP [--runs N] [--out DIR] -- RUN_ARGS...

Runs `BINARY run RUN_ARGS --quiet --out DIR/{old,new}` N times each, alternating old, new,
old, new... (so that a change in the machine's load hits both alike), and prints per binary
the best and median process wall time and user + system CPU time (of the child, from
os.wait4), the load average before and after, and new / old of the bests and the medians.
The two stats.json of the last pair must be equal apart from the wall-clock fields
(sim.wall_seconds, sim.cycles_per_second): exit code 1 when they are not, 2 when a run fails.
On a shared machine read the medians and the load with the bests; the instruction counts
(bench/run_bench.py, callgrind) are the stable companion."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def one(exe, args, out):
    cmd = [exe, "run", *args, "--quiet", "--out", out]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if p.stderr:
        p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"FAIL: {' '.join(cmd)} exited {code}: {err.strip()[:400]}")
        sys.exit(2)
    return wall, ru.ru_utime + ru.ru_stime


def stats_of(d):
    with open(os.path.join(d, "stats.json")) as f:
        j = json.load(f)
    for k in ("wall_seconds", "cycles_per_second"):
        j["sim"].pop(k, None)
    return j


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print(__doc__)
        return 2
    cut = argv.index("--")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--out", default="/tmp/ab_wall")
    a = ap.parse_args(argv[:cut])
    args = argv[cut + 1:]
    load0 = os.getloadavg()[0]
    res = {"old": [], "new": []}
    for _ in range(a.runs):
        for which, exe in (("old", a.old), ("new", a.new)):
            res[which].append(one(exe, args, os.path.join(a.out, which)))
    load1 = os.getloadavg()[0]
    print(f"command: dtqvp run {' '.join(args)} --quiet; {a.runs} runs each, interleaved; "
          f"load average {load0:.2f} before, {load1:.2f} after")
    summary = {}
    for which in ("old", "new"):
        walls = [w for w, _ in res[which]]
        cpus = [c for _, c in res[which]]
        summary[which] = (min(walls), statistics.median(walls), min(cpus), statistics.median(cpus))
        print(f"{which}: wall best {summary[which][0]:.3f} s, median {summary[which][1]:.3f} s; "
              f"CPU best {summary[which][2]:.3f} s, median {summary[which][3]:.3f} s")
    o, n = summary["old"], summary["new"]
    print(f"new / old: wall best {n[0] / o[0]:.3f}, median {n[1] / o[1]:.3f}; "
          f"CPU best {n[2] / o[2]:.3f}, median {n[3] / o[3]:.3f}")
    same = stats_of(os.path.join(a.out, "old")) == stats_of(os.path.join(a.out, "new"))
    print("stats.json: " + ("equal apart from the wall-clock fields" if same else "DIFFERENT"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
