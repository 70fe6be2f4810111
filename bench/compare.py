#!/usr/bin/python3
"""Compare two bench/run_bench.py results files (docs/performance.md#comparing-two-commits).

usage: bench/compare.py OLD.json NEW.json [--all]

For every entry present in both files, prints per figure the old value, the new value and
new / old: by default the wall times (unit "s") and the instruction counts (unit "instr",
callgrind), which are the pair to read together on a noisy machine (a wall-time ratio that
the instruction ratio does not follow is the machine, not the code); --all prints every
numeric figure. Entries or figures present in only one file are listed as such. Exit code
0, or 2 for a file that is missing or not a results file.
"""
import argparse
import json
import sys

UNITS = ("s", "instr")


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path) as f:
            j = json.load(f)
    except OSError as x:
        die(f"compare: {path}: {x.strerror}")
    except json.JSONDecodeError as x:
        die(f"compare: {path}: line {x.lineno}: not JSON ({x.msg})")
    if not isinstance(j, dict) or not isinstance(j.get("entries"), list):
        die(f"compare: {path}: not a bench results file (expected a top-level 'entries' list)")
    out = {}
    for e in j["entries"]:
        if not isinstance(e, dict) or "name" not in e:
            die(f"compare: {path}: an entry without a 'name'")
        figs = {}
        for f in e.get("figures", []):
            if isinstance(f, dict) and isinstance(f.get("value"), (int, float)) and not isinstance(f["value"], bool):
                figs[f["name"]] = (float(f["value"]), f.get("unit", ""))
        out[e["name"]] = (e.get("status", "?"), figs)
    return j, out


def fmt(v, unit):
    if unit == "instr" or abs(v) >= 1e5:
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.4e}"
    return f"{v:.4f}" if abs(v) < 100 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--all", action="store_true", help="every numeric figure, not only wall times and instructions")
    a = ap.parse_args()
    jo, old = load(a.old)
    jn, new = load(a.new)

    def ident(j):
        g = j.get("git") or {}
        c = str(g.get("commit") or "?")[:12]
        return f"{c}{' (dirty)' if g.get('dirty') else ''} {j.get('date', '?')}"
    print(f"old: {a.old}: {ident(jo)}")
    print(f"new: {a.new}: {ident(jn)}")
    rows = [("entry", "figure", "unit", "old", "new", "new/old")]
    only = []
    for name in list(old) + [n for n in new if n not in old]:
        if name not in old or name not in new:
            only.append(f"{name}: only in {'old' if name in old else 'new'}")
            continue
        (_, fo), (_, fn) = old[name], new[name]
        for fig in list(fo) + [x for x in fn if x not in fo]:
            unit = (fo.get(fig) or fn.get(fig))[1]
            if not a.all and unit not in UNITS:
                continue
            if fig not in fo or fig not in fn:
                only.append(f"{name} {fig}: only in {'old' if fig in fo else 'new'}")
                continue
            vo, vn = fo[fig][0], fn[fig][0]
            ratio = f"{vn / vo:.3f}" if vo != 0 else "-"
            rows.append((name, fig, unit, fmt(vo, unit), fmt(vn, unit), ratio))
    w = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:>{w[3]}}  {r[4]:>{w[4]}}  {r[5]:>{w[5]}}")
    for o in only:
        print(o)
    return 0


if __name__ == "__main__":
    sys.exit(main())
