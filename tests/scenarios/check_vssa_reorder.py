#!/usr/bin/env python3
"""vssa_reorder: timing and functional mode give the same cycles; reordering helps;
the reordering identity was checked on every Q x K^T GEMM; token counts follow the
ratios (k = round(ratio * seq))."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
stats = {}
for mode in ("functional", "timing"):
    subprocess.run([dtqvp, "run", scenario, "-q", "--out", f"{out}/{mode}", "--set", f"mode={mode}"], check=True)
    stats[mode] = {k: v["value"] for k, v in json.load(open(f"{out}/{mode}/stats.json"))["stats"].items()}
f, t = stats["functional"], stats["timing"]
for k in ("vssa.cycles", "vssa.cycles_other_order", "vssa.stall_cycles", "vssa.macs_8x8", "tokens.bits4"):
    assert f[k] == t[k], (k, f[k], t[k])
assert f["vssa.reorder_checks"] == 12 and t["vssa.reorder_checks"] == 0, (f["vssa.reorder_checks"], t["vssa.reorder_checks"])
assert f["vssa.cycles"] < f["vssa.cycles_other_order"], "reordering did not help"
assert f["vssa.stall_ratio"] < f["vssa.stall_ratio_other_order"]
# seq 128: pruned = 128 - round(0.72 * 128) = 128 - 92 = 36; 8-bit = round(0.306 * 128) = 39; 4-bit = 53.
assert (f["tokens.pruned"], f["tokens.bits4"], f["tokens.bits8"]) == (36, 53, 39), f
# MACs: Q x K^T over the 92 kept tokens (92 x 92 x 64 per head) + prob x V (92 x 64 x 92), 12 heads.
assert f["vssa.macs_4x4"] + f["vssa.macs_8x4"] + f["vssa.macs_8x8"] == 12 * 2 * 92 * 92 * 64
# 4x4 MACs only in Q x K^T between two 4-bit tokens: 53 x 53 x 64 per head.
assert f["vssa.macs_4x4"] == 12 * 53 * 53 * 64, f["vssa.macs_4x4"]
print("ok: vssa_reorder checks hold")
