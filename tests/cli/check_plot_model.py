#!/usr/bin/env python3
"""The shipped model sweep (scenarios/sweeps/model_seq.yaml: one BERT-Base layer at seq 64
to 512) through dtqvp sweep -j 2 and tools/plot_sweep.py: the roofline is drawn from the
GEMM commands' MACs and the measured DRAM bytes, and the arithmetic intensity it prints is
2 x compute.gemm_macs / (dram.bytes_read + dram.bytes_written) of the results, recomputed here."""
import json, os, re, shutil, subprocess, sys

dtqvp, plotter, sweep, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
r = subprocess.run([dtqvp, "sweep", sweep, "-j", "2", "--out", work, "--quiet"], capture_output=True, text=True)
assert r.returncode == 0, (r.stdout, r.stderr)
r = subprocess.run([sys.executable, plotter, work], capture_output=True, text=True)
assert r.returncode == 0, (r.stdout, r.stderr)
png = os.path.join(work, "plots", "roofline.png")
data = open(png, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, png
res = json.load(open(os.path.join(work, "results.json")))
points = res["points"] if isinstance(res, dict) else res
ai = []
for p in points:
    s = p["stats"] if "stats" in p else p
    get = lambda k: s[k]["value"] if isinstance(s[k], dict) else s[k]
    ai.append(2 * get("compute.gemm_macs") / (get("dram.bytes_read") + get("dram.bytes_written")))
m = re.search(r"roofline.png: 4 points; arithmetic intensity ([0-9.]+)-([0-9.]+) ops/byte", r.stderr + r.stdout)
assert m, r.stderr + r.stdout
assert abs(float(m.group(1)) - min(ai)) < 0.01 * min(ai) and abs(float(m.group(2)) - max(ai)) < 0.01 * max(ai), (m.groups(), ai)
print("model roofline: ok", [round(x, 2) for x in ai])

# Paper-ready figures (docs/user-guide.md#plotting-a-sweep), checked through matplotlib's objects.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_checks  # noqa: E402

out = os.path.join(work, "paper")
figs = plot_checks.run_plotter(plotter, work, out, "--dpi", "150")
plot_checks.check_files(out, "roofline", 3.5, 150)
plot_checks.check_files(out, "cycle_breakdown", 7.16, 150)
seqs = [str(p["stats"]["model.seq"]) for p in points]
assert seqs == ["64", "128", "256", "512"], seqs
plot_checks.check_roofline(figs["roofline"], seqs, 3.5, 3.3)
sims = [p["sim"]["simulated_cycles"] for p in points]
units = plot_checks.check_breakdown(figs["cycle_breakdown"], seqs, sims, "sequence length (tokens)")
assert units[0] == "vssa" and "dram" in units, units  # the model's VSSA panel
# --width/--height/--format: one format at the asked size.
out2 = os.path.join(work, "small")
figs = plot_checks.run_plotter(plotter, work, out2, "--format", "pdf", "--width", "3", "--height", "2.5")
assert sorted(os.listdir(out2)) == ["cycle_breakdown.pdf", "energy_breakdown.pdf", "roofline.pdf"], os.listdir(out2)
assert tuple(figs["roofline"].get_size_inches()) == (3.0, 2.5)
print("paper figures: ok", units)
