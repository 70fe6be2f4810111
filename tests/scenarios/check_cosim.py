#!/usr/bin/env python3
"""scenarios/cosim_lockstep.yaml: every VSSA tile of one BERT-Base head runs on the model
and on the Verilated RTL with zero mismatches; with the test-only fault switch the first
perturbed tile stops the run with exit code 3, a report naming the tile, both cycle counts
or results, and a VCD of that tile (docs/cosim.md)."""
import json, os, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]

def run(out_dir, *sets):
    args = [dtqvp, "run", scenario, "--quiet", "--out", out_dir]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    with open(os.path.join(out_dir, "stats.json")) as f:
        stats = {k: v["value"] for k, v in json.load(f)["stats"].items()}
    return p, stats

fails = []
def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)

p, s = run(os.path.join(out, "clean"))
check(p.returncode == 0, f"clean lockstep run exits 0 (got {p.returncode}: {p.stderr.strip()[:300]})")
# One head at seq 128: 128 - 36 pruned = 92 tokens. Q x K^T: ceil(92/16) x ceil(92/18) = 6 x 6 = 36 tiles;
# P x V (92 x 64 head dim): 6 x ceil(64/18) = 6 x 4 = 24 tiles. Every tile compared.
check(s.get("cosim.tiles_compared") == 60, f"cosim.tiles_compared = 36 + 24 = 60 (got {s.get('cosim.tiles_compared')})")
check(s.get("cosim.mismatches") == 0, f"cosim.mismatches = 0 (got {s.get('cosim.mismatches')})")
check(s.get("vssa.iterations") == 60, f"vssa.iterations = 60 (got {s.get('vssa.iterations')})")

for kind, tile, needle in (("cycle", 7, "<-- differ"), ("result_bit", 5, "results: 1 of")):
    d = os.path.join(out, kind)
    p, s = run(d, f"vssa.fault={kind}", f"vssa.fault_tile={tile}")
    check(p.returncode == 3, f"fault {kind}: exit code 3 (got {p.returncode})")
    check(f"GEMM 'layer0.head0.qk', tile {tile} " in p.stderr, f"fault {kind}: the report names tile {tile}")
    check(needle in p.stderr, f"fault {kind}: the report shows the difference ('{needle}')")
    check("row precisions:" in p.stderr and "col precisions:" in p.stderr, f"fault {kind}: the report gives the precisions")
    check(s.get("cosim.mismatches") == 1 and s.get("cosim.tiles_compared") == tile + 1,
          f"fault {kind}: stats say 1 mismatch after {tile + 1} tiles (got {s.get('cosim.mismatches')}, {s.get('cosim.tiles_compared')})")
    vcd = os.path.join(d, "vssa_mismatch.vcd")
    ok = os.path.exists(vcd) and os.path.getsize(vcd) > 1000
    if ok:
        with open(vcd) as f:
            head = f.read(4096)
        ok = "$enddefinitions" in head or "$scope" in head
    check(ok, f"fault {kind}: a VCD of the tile at {vcd}")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
