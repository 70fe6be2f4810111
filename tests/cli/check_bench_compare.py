#!/usr/bin/env python3
"""bench/compare.py (docs/performance.md#comparing-two-commits) on two small results files
written here: the ratios are new / old of the values below (by hand), figures of other
units only with --all, entries or figures in one file only are named, bad input exits 2."""
import json, os, re, shutil, subprocess, sys

python, compare, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def fig(name, value, unit):
    return {"name": name, "value": value, "unit": unit, "target": None, "met": None, "command": "x"}


old = {"date": "2026-01-01T00:00:00+00:00", "git": {"commit": "a" * 40, "dirty": False}, "entries": [
    {"name": "model.a", "status": "ok", "figures": [fig("wall_seconds", 2.0, "s"), fig("instructions", 4000000000, "instr"),
                                                    fig("peak_rss_mib", 100.0, "MiB"), fig("sim_wall_seconds", 1.0, "s")]},
    {"name": "model.gone", "status": "ok", "figures": [fig("wall_seconds", 1.0, "s")]},
    {"name": "model.b", "status": "ok", "figures": [fig("wall_seconds", 0.5, "s"), fig("dgemm_over_vp_wall", None, "x")]}]}
new = {"date": "2026-01-02T00:00:00+00:00", "git": {"commit": "b" * 40, "dirty": True}, "entries": [
    {"name": "model.a", "status": "ok", "figures": [fig("wall_seconds", 1.5, "s"), fig("instructions", 1000000000, "instr"),
                                                    fig("peak_rss_mib", 50.0, "MiB")]},
    {"name": "model.b", "status": "ok", "figures": [fig("wall_seconds", 0.6, "s"), fig("instructions", 7, "instr")]},
    {"name": "model.new", "status": "ok", "figures": [fig("wall_seconds", 3.0, "s")]}]}
po, pn = os.path.join(work, "old.json"), os.path.join(work, "new.json")
json.dump(old, open(po, "w"))
json.dump(new, open(pn, "w"))


def run(*args):
    r = subprocess.run([python, compare, *args], capture_output=True, text=True)
    print(r.stdout, r.stderr)
    return r


def row(text, entry, figure):
    m = re.search(rf"^{re.escape(entry)}\s+{re.escape(figure)}\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M)
    assert m, (entry, figure)
    return m.groups()


r = run(po, pn)
assert r.returncode == 0, r.returncode
assert "a" * 12 in r.stdout and "b" * 12 + " (dirty)" in r.stdout
u, vo, vn, ratio = row(r.stdout, "model.a", "wall_seconds")
assert (u, float(vo), float(vn), ratio) == ("s", 2.0, 1.5, "0.750"), (u, vo, vn, ratio)  # 1.5 / 2
u, vo, vn, ratio = row(r.stdout, "model.a", "instructions")
assert (u, float(vo), float(vn), ratio) == ("instr", 4e9, 1e9, "0.250"), (u, vo, vn, ratio)  # 1e9 / 4e9
assert row(r.stdout, "model.b", "wall_seconds")[3] == "1.200"  # 0.6 / 0.5
assert "peak_rss_mib" not in r.stdout  # MiB: only with --all
assert "model.gone: only in old" in r.stdout and "model.new: only in new" in r.stdout
assert "model.a sim_wall_seconds: only in old" in r.stdout
assert "model.b instructions: only in new" in r.stdout
assert "dgemm_over_vp_wall" not in r.stdout  # no value: nothing to compare

r = run(po, pn, "--all")
assert r.returncode == 0
assert row(r.stdout, "model.a", "peak_rss_mib")[3] == "0.500"  # 50 / 100

bad = os.path.join(work, "bad.json")
open(bad, "w").write('{"entries": [\n  {"name": "x",}\n]}')
r = run(po, bad)
assert r.returncode == 2 and "bad.json: line 2: not JSON" in r.stderr, r.stderr
open(bad, "w").write('{"figures": []}')
r = run(po, bad)
assert r.returncode == 2 and "not a bench results file (expected a top-level 'entries' list)" in r.stderr, r.stderr
r = run(po, os.path.join(work, "nope.json"))
assert r.returncode == 2 and "nope.json: No such file or directory" in r.stderr, r.stderr
print("bench compare: ok")
