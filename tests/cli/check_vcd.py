#!/usr/bin/env python3
"""--vcd writes the controller's signals as VCD (busy goes 1 then 0, CMD_HEAD advances to 1);
--rtl-vcd writes the VSSA RTL waveform of the chosen tile in a lockstep run."""
import os, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
have_rtl = len(sys.argv) > 4 and sys.argv[4] == "rtl"
os.makedirs(out, exist_ok=True)
args = [dtqvp, "run", scenario, "-q", "--out", out, "--vcd", f"{out}/ctrl.vcd", "--set", "workload.attention.heads=1"]
if have_rtl:
    args += ["--rtl-vcd", f"{out}/tile.vcd", "--rtl-vcd-tile", "3", "--set", "vssa.backend=lockstep"]
p = subprocess.run(args, capture_output=True, text=True, timeout=300)
assert p.returncode == 0, p.stderr
text = open(f"{out}/ctrl.vcd").read()
ids = {}
for line in text.splitlines():
    f = line.split()
    if f[:1] == ["$var"]:
        ids[f[4]] = f[3]
assert {"irq", "busy", "CMD_HEAD", "CMD_TAIL", "ERR_CODE"} <= set(ids), ids
busy = [l[0] for l in text.split("$enddefinitions")[1].splitlines() if l[1:] == ids["busy"] and l[:1] in "01"]
assert busy[:3] == ["0", "1", "0"], busy  # idle, the ATTENTION command, idle
assert f"b1 {ids['CMD_HEAD']}" in text, "CMD_HEAD never reached 1"
if have_rtl:
    assert "GEMM 'head0.qk', tile 3 of it" in p.stderr, p.stderr
    vcd = open(f"{out}/tile.vcd").read()
    assert "$scope module vssa_array" in vcd and "$enddefinitions" in vcd and "cycle_count" in vcd, vcd[:500]
print("ok: controller VCD", sorted(ids), "busy", busy, "; RTL tile VCD" if have_rtl else "")
