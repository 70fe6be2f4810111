#!/usr/bin/env python3
"""tools/plot_fig8.py on a real sweep of scenarios/sweeps/fig8.yaml: the table has one row per
model with the paper's values beside the VP's (taken from the sweep's own statistics), and
--out writes the two-panel figure (speedup and energy) when matplotlib is installed; a sweep
without the energy statistics is refused with a message naming the missing statistic."""
import json, os, subprocess, sys

dtqvp, tool, sweep, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
subprocess.run([dtqvp, "sweep", sweep, "-j", "2", "--out", os.path.join(out, "sweep")], check=True, timeout=600,
               capture_output=True)
res = os.path.join(out, "sweep", "results.json")
r = json.load(open(res))
p = subprocess.run(["/usr/bin/python3", tool, res, "--out", os.path.join(out, "fig8")], capture_output=True, text=True, timeout=300)
assert p.returncode == 0, p.stderr
lines = [l for l in p.stdout.splitlines() if l.startswith("| ") and not l.startswith("| model")]
assert len(lines) == 4, p.stdout
# The BERT-Base row carries the sweep's own numbers and the paper's (Sec. V-C: 8.17 x, 13.57 x, 56 %, 71 %).
bb = next(x["stats"] for x in r["points"] if "workload.attention.model=bert-base" in x["overrides"])
row = next(l for l in lines if l.startswith("| bert-base "))
assert f"{bb['designs.dtqatten.speedup_vs_eyeriss']:.2f} x" in row and "13.57 x" in row and "8.17 x" in row, row
assert f"{bb['energy.designs.dtqatten.saving_vs_eyeriss_like'] * 100:.0f} %" in row and "71 %" in row and "56 %" in row, row
have_mpl = subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"], capture_output=True).returncode == 0
if have_mpl:
    assert os.path.getsize(os.path.join(out, "fig8.png")) > 1000
# --energy-model: the power x latency savings of fig8_energy_model.yaml's plain points join the row.
em_sweep = os.path.join(os.path.dirname(sweep), "fig8_energy_model.yaml")
subprocess.run([dtqvp, "sweep", em_sweep, "-j", "2", "--out", os.path.join(out, "em")], check=True, timeout=600,
               capture_output=True)
em_res = os.path.join(out, "em", "results.json")
em = json.load(open(em_res))
ebb = next(x["stats"] for x in em["points"] if x["point"] == 0)  # point 0: BERT-Base, power x latency only
p = subprocess.run(["/usr/bin/python3", tool, res, "--energy-model", em_res, "--out", os.path.join(out, "fig8_em")],
                   capture_output=True, text=True, timeout=300)
assert p.returncode == 0, p.stderr
row = next(l for l in p.stdout.splitlines() if l.startswith("| bert-base "))
want = (f"| {ebb['energy.designs.systolic_based.saving_vs_eyeriss_like'] * 100:.0f} % "
        f"| {ebb['energy.designs.dtqatten.saving_vs_eyeriss_like'] * 100:.0f} % |")
assert row.endswith(want), (row, want)
# A results.json without the energy statistics: refused, the statistic named.
for x in r["points"]:
    x["stats"].pop("energy.designs.dtqatten.saving_vs_eyeriss_like", None)
bad = os.path.join(out, "no_energy.json")
json.dump(r, open(bad, "w"))
p = subprocess.run(["/usr/bin/python3", tool, bad], capture_output=True, text=True, timeout=120)
assert p.returncode != 0 and "energy.designs.dtqatten.saving_vs_eyeriss_like" in p.stderr, (p.returncode, p.stderr)
print("ok: plot_fig8 table, figure, --energy-model columns and the missing-statistic error")
