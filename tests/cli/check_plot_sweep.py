#!/usr/bin/env python3
"""tools/plot_sweep.py on a real sweep (scenarios/sweeps/precision_ratios.yaml, -j 2) and on
a hand-made sweep directory that has DRAM traffic and MACs (no shipped workload has both
yet): the PNGs exist and are valid, the numbers it prints are the ones in the results,
a plot without data is skipped with its reason, bad input is exit code 2.
Also: the 6-point sweep gives the same results.csv with -j 1 and -j 2."""
import csv, json, os, re, shutil, struct, subprocess, sys

dtqvp, plotter, sweep, work = sys.argv[1:5]
py = sys.executable
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def check_png(path):
    assert os.path.isfile(path), f"{path}: not written"
    data = open(path, "rb").read()
    assert data[:8] == PNG_SIG, f"{path}: not a PNG (first bytes {data[:8]!r})"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk"
    w, h = struct.unpack(">II", data[16:24])
    assert w >= 200 and h >= 200, f"{path}: {w} x {h} pixels"
    assert data.rstrip()[-8:-4] == b"IEND", f"{path}: truncated (no IEND chunk)"
    assert 5000 < len(data) < 400_000, f"{path}: {len(data)} bytes"
    return data


def plot(*args):
    r = subprocess.run([py, plotter, *args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def rng(text, name):
    """'1.000-1.402' or '1.000' after NAME in the plotter's output -> (lo, hi)."""
    m = re.search(re.escape(name) + r" ([0-9.e+-]+?)(?:-([0-9.e+]+))?(?=[ ;\n]|$)", text)
    assert m, f"no '{name} ...' in:\n{text}"
    lo = float(m.group(1))
    return lo, float(m.group(2) or lo)


# --- the shipped precision sweep, -j 1 and -j 2 --------------------------------------
for j in ("1", "2"):
    r = subprocess.run([dtqvp, "sweep", sweep, "-j", j, "--out", f"{work}/j{j}", "-q"])
    assert r.returncode == 0, f"sweep -j {j}: exit code {r.returncode}"
c1, c2 = (open(f"{work}/j{j}/results.csv").read() for j in ("1", "2"))
assert c1 == c2, "precision_ratios: results.csv differs between -j 1 and -j 2"
res = json.load(open(f"{work}/j2/results.json"))
assert len(res["points"]) == 6 and all(p["exit_code"] == 0 for p in res["points"]), res["points"]

rc, out = plot(f"{work}/j2", "--out", f"{work}/plots")
assert rc == 0, f"plotter exit code {rc}:\n{out}"
check_png(f"{work}/plots/speedup_stall.png")
check_png(f"{work}/plots/cycle_breakdown.png")
check_png(f"{work}/plots/energy_breakdown.png")  # every run has energy.<unit>.total_pj (docs/energy.md)
assert "energy_breakdown.png: 6 points, units " in out, out
assert not os.path.exists(f"{work}/plots/roofline.png"), "roofline drawn without DRAM traffic"
assert re.search(r"skipped roofline\.png: no point with MACs moves data through DRAM", out), out
speed = [p["stats"]["vssa.reorder_speedup"] for p in res["points"]]
stall = [p["stats"][k] for p in res["points"] for k in ("vssa.stall_ratio", "vssa.stall_ratio_other_order")]
lo, hi = rng(out, "vssa.reorder_speedup")
assert abs(lo - min(speed)) < 1e-3 and abs(hi - max(speed)) < 1e-3, (lo, hi, speed)
lo, hi = rng(out, "mean stall ratio R")
assert abs(lo - min(stall)) < 1e-3 and abs(hi - max(stall)) < 1e-3, (lo, hi, stall)
assert "against workload.attention.ratio_8bit" in out, out
sims = [p["sim"]["simulated_cycles"] for p in res["points"]]
assert f"simulated {min(sims)}-{max(sims)} cycles" in out, out
# Same data, same bytes.
rc, out2 = plot(f"{work}/j2", "--out", f"{work}/plots2")
assert rc == 0 and open(f"{work}/plots/speedup_stall.png", "rb").read() == \
    open(f"{work}/plots2/speedup_stall.png", "rb").read(), "two plots of the same sweep differ"

# Without compare_reorder there is no reorder speedup: speedup is cycles of the leftmost point / cycles.
nc = f"{work}/no_compare.yaml"
open(nc, "w").write(f"base: {os.path.abspath(os.path.join(os.path.dirname(sweep), '..', 'default.yaml'))}\n"
                    "grid:\n  workload.attention.compare_reorder: [false]\n  workload.attention.ratio_pruned: [0.28, 0.5]\n"
                    "  workload.attention.ratio_4bit: [0.3]\n  workload.attention.ratio_8bit: [0.2]\n")
r = subprocess.run([dtqvp, "sweep", nc, "-j", "2", "--out", f"{work}/nc", "-q"], capture_output=True, text=True)
assert r.returncode == 2 and "got 0.28 + 0.3 + 0.2 = 0.78" in r.stderr, r.stderr  # ratios must sum to 1
open(nc, "w").write(f"base: {os.path.abspath(os.path.join(os.path.dirname(sweep), '..', 'default.yaml'))}\n"
                    "points:\n"
                    "  - {workload.attention.compare_reorder: false, workload.attention.ratio_pruned: 0.5,"
                    " workload.attention.ratio_4bit: 0.3, workload.attention.ratio_8bit: 0.2}\n"
                    "  - {workload.attention.compare_reorder: false, workload.attention.ratio_pruned: 0.28,"
                    " workload.attention.ratio_4bit: 0.3, workload.attention.ratio_8bit: 0.42}\n")
r = subprocess.run([dtqvp, "sweep", nc, "-j", "2", "--out", f"{work}/nc", "-q"])
assert r.returncode == 0, r.returncode
rc, out = plot(f"{work}/nc")
assert rc == 0, f"plotter exit code {rc}:\n{out}"
check_png(f"{work}/nc/plots/speedup_stall.png")
cyc = [p["stats"]["vssa.cycles"] for p in json.load(open(f"{work}/nc/results.json"))["points"]]
lo, hi = rng(out, "speedup vs leftmost point from vssa.cycles")
assert abs(lo - cyc[0] / cyc[1]) < 1e-3 and hi == 1.0, (lo, hi, cyc)

# All three ratios vary: one line per pruned ratio, x = the 8-bit ratio.
three = f"{work}/three.yaml"
pts3 = [(0.28, 0.54, 0.18), (0.28, 0.36, 0.36), (0.5, 0.32, 0.18), (0.5, 0.14, 0.36)]
open(three, "w").write(f"base: {os.path.abspath(os.path.join(os.path.dirname(sweep), '..', 'default.yaml'))}\npoints:\n" +
                       "".join(f"  - {{workload.attention.ratio_pruned: {a}, workload.attention.ratio_4bit: {b},"
                               f" workload.attention.ratio_8bit: {c}}}\n" for a, b, c in pts3))
r = subprocess.run([dtqvp, "sweep", three, "-j", "2", "--out", f"{work}/three", "-q"])
assert r.returncode == 0, r.returncode
rc, out = plot(f"{work}/three")
assert rc == 0 and "4 points in 2 lines (ratio_pruned) against workload.attention.ratio_8bit" in out, (rc, out)
check_png(f"{work}/three/plots/speedup_stall.png")

# --- a hand-made sweep with MACs and DRAM traffic: the roofline ----------------------
syn = f"{work}/synthetic"
# point: (macs_4x4, macs_8x4, macs_8x8, bytes read, bytes written, simulated cycles, dram B/cycle)
pts = [(1000, 500, 250, 400, 100, 250, 8), (4000, 0, 0, 200, 0, 400, 32)]
header = ["point", "exit_code", "dram.bytes_per_cycle", "simulated_cycles", "dram.bytes_read",
          "dram.bytes_written", "dram.busy_cycles", "vssa.macs_4x4", "vssa.macs_8x4", "vssa.macs_8x8"]
os.makedirs(syn)
with open(f"{syn}/results.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(header)
    for i, (m44, m84, m88, rd, wr, cyc, bw) in enumerate(pts):
        w.writerow([i, 0, bw, cyc, rd, wr, (rd + wr) // bw, m44, m84, m88])
        os.makedirs(f"{syn}/points/{i:04d}")
        cfg = {"clock_mhz": 1000, "vssa": {"rows": 4, "cols": 4, "arrays": 2}, "dram": {"bytes_per_cycle": bw},
               "workload": {"kind": "attention_study"}}
        json.dump({"config": cfg, "stats": {}}, open(f"{syn}/points/{i:04d}/stats.json", "w"))
rc, out = plot(syn)
assert rc == 0, f"plotter exit code {rc}:\n{out}"
check_png(f"{syn}/plots/roofline.png")
check_png(f"{syn}/plots/cycle_breakdown.png")
ai = [2 * (a + b + c) / (rd + wr) for a, b, c, rd, wr, _, _ in pts]      # 7.0 and 40.0 ops/byte
perf = [2 * (a + b + c) / cyc for a, b, c, _, _, cyc, _ in pts]         # 14.0 and 20.0 ops/cycle
lo, hi = rng(out, "arithmetic intensity")
assert (lo, hi) == (min(ai), max(ai)), (lo, hi, ai)
lo, hi = rng(out, "attained")
assert (lo, hi) == (min(perf), max(perf)), (lo, hi, perf)
assert "roofs 64 ops/cycle and 8 bytes/cycle, 64 ops/cycle and 32 bytes/cycle" in out, out  # 2 x 4 x 4 x 2 PEs
assert "skipped speedup_stall.png: no precision ratio varies" in out, out

# --- bad input: exit code 2 with the reason ------------------------------------------
rc, out = plot(f"{work}/no_such_dir")
assert rc == 2 and "no_such_dir: no such directory" in out, (rc, out)
os.makedirs(f"{work}/empty")
rc, out = plot(f"{work}/empty")
assert rc == 2 and "results.csv: no such file" in out, (rc, out)
bad = f"{work}/bad"
shutil.copytree(syn, bad)
with open(f"{bad}/results.csv", "a") as f:
    f.write("2,0,8,100\n")
rc, out = plot(bad)
assert rc == 2 and f"results.csv:4: expected {len(header)} fields like the header, got 4" in out, (rc, out)
open(f"{bad}/results.csv", "w").write(",".join(header) + "\n0,0,8,lots,1,1,1,1,1,1\n")
rc, out = plot(bad)
assert rc == 2 and "results.csv:2: simulated_cycles: expected a number or nothing, got 'lots'" in out, (rc, out)
open(f"{bad}/results.csv", "w").write("a,b,c\n1,2,3\n")
rc, out = plot(bad)
assert rc == 2 and "results.csv:1: expected a header" in out, (rc, out)
print("ok: plot_sweep draws valid PNGs with the sweep's numbers, skips plots without data, rejects bad input")

# Paper-ready figures of the shipped sweep, checked through matplotlib's objects.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_checks  # noqa: E402

figs = plot_checks.run_plotter(plotter, f"{work}/j2", f"{work}/paper", "--dpi", "100")
plot_checks.check_files(f"{work}/paper", "speedup_stall", 3.5, 100)
fig = figs["speedup_stall"]
plot_checks.check_common(fig, "speedup_stall")
assert fig.axes[0].get_ylabel() == "reorder speedup (x)", fig.axes[0].get_ylabel()     # unit from stats.json
assert fig.axes[1].get_ylabel() == "mean stall ratio R (ratio)", fig.axes[1].get_ylabel()
ticks = [t.get_text() for t in fig.axes[1].get_xticklabels()]
assert ticks[2] == "0.306 (28/41/31)" and len(ticks) == 6, ticks   # swept values, with the mix
rc, out = plot(f"{work}/j2", "--format", "gif")
assert rc == 2 and "--format gif: expected" in out, (rc, out)
rc, out = plot(f"{work}/j2", "--dpi", "5")
assert rc == 2 and "--dpi 5: expected a value in [50, 1200]" in out, (rc, out)
print("ok: paper figures of precision_ratios")
