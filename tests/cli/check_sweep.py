#!/usr/bin/env python3
"""Sweep: -j 1 and -j 2 give identical results.csv; resume skips finished points;
a failing point is reported without stopping the sweep."""
import json, os, shutil, subprocess, sys

dtqvp, sweep, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
r1 = subprocess.run([dtqvp, "sweep", sweep, "-j", "1", "--out", f"{work}/j1", "-q"])
r2 = subprocess.run([dtqvp, "sweep", sweep, "-j", "2", "--out", f"{work}/j2", "-q"])
assert r1.returncode == 0 and r2.returncode == 0, (r1.returncode, r2.returncode)
c1 = open(f"{work}/j1/results.csv").read()
c2 = open(f"{work}/j2/results.csv").read()
assert c1 == c2, "results differ between -j 1 and -j 2"
rows = c1.strip().split("\n")
assert len(rows) == 1 + 4, rows
j = json.load(open(f"{work}/j1/results.json"))
assert [p["exit_code"] for p in j["points"]] == [0, 0, 0, 0]
# Narrower DRAM never makes the stream faster.
cyc = {tuple(p["overrides"]): p["sim"]["simulated_cycles"] for p in j["points"]}
assert cyc[("dram.bytes_per_cycle=16", "l2.enabled=false")] >= cyc[("dram.bytes_per_cycle=64", "l2.enabled=false")]
# Resume: nothing runs again (point logs untouched).
before = os.path.getmtime(f"{work}/j1/points/0000/stats.json")
r = subprocess.run([dtqvp, "sweep", sweep, "-j", "2", "--out", f"{work}/j1"], capture_output=True, text=True)
assert r.returncode == 0 and "4 of 4 points already done" in r.stderr, r.stderr
assert os.path.getmtime(f"{work}/j1/points/0000/stats.json") == before
# A failing point: an injected DMA fault is a bus error (exit 3); the others run.
bad = f"{work}/bad.yaml"
open(bad, "w").write(f"base: {os.path.abspath(os.path.join(os.path.dirname(sweep), '..', 'dma_stream.yaml'))}\n"
                     "points:\n  - {faults.dma_error_address: 0x100010000}\n  - {dram.size: 1GiB}\n")
r = subprocess.run([dtqvp, "sweep", bad, "--out", f"{work}/bad"], capture_output=True, text=True)
assert r.returncode == 3, r.returncode
assert "point 0 failed with exit code 3" in r.stderr, r.stderr
j = json.load(open(f"{work}/bad/results.json"))
assert [p["exit_code"] for p in j["points"]] == [3, 0]
# A bad sweep file is a configuration error with a position.
open(bad, "w").write("base: x.yaml\ngrid:\n  dram.bytes_per_cycle: 3\n")
r = subprocess.run([dtqvp, "sweep", bad, "--out", f"{work}/bad2"], capture_output=True, text=True)
assert r.returncode == 2 and "bad.yaml:3:25: grid.dram.bytes_per_cycle: expected a non-empty list" in r.stderr, r.stderr
print("ok: sweep checks hold")

# Units: results_units.csv has results.csv's header and each column's unit; results.json a units map.
import csv  # noqa: E402
hdr = next(csv.reader(open(f"{work}/j1/results.csv")))
uh, ur = list(csv.reader(open(f"{work}/j1/results_units.csv")))
assert uh == hdr and len(ur) == len(hdr), (uh[:5], hdr[:5], len(ur))
u = dict(zip(uh, ur))
assert u["point"] == "" and u["simulated_cycles"] == "cycles" and u["dram.bytes_read"] == "bytes", u
assert u["dram.bandwidth_utilization"] == "ratio" and u["dma.descriptors"] == "count", u
assert json.load(open(f"{work}/j1/results.json"))["units"]["dram.busy_cycles"] == "cycles"
print("ok: sweep units")
