#!/usr/bin/env python3
"""scenarios/compare_bert_base.yaml: the 8-bit baseline's cycles against a hand calculation,
and the speedups as the ratios they claim to be."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
subprocess.run([dtqvp, "run", scenario, "-q", "--out", out], check=True, timeout=600)
s = {k: v["value"] for k, v in json.load(open(f"{out}/stats.json"))["stats"].items()}

def uniform_tile(c, K, R, C):  # docs/timing-model.md#vssa: 1 + c (K + R + C - 2) + R, no stall
    return 1 + c * (K + R + C - 2) + R

def makespan(tiles, arrays=11):  # tile n on array n mod 11 (round robin)
    busy = [0] * arrays
    for n, cyc in enumerate(tiles):
        busy[n % arrays] += cyc
    return max(busy)

# One head, every token 8-bit (c = 4), 16 x 18 arrays.
# Q x K^T: 128 x 128, K = 64: 8 row tiles x (7 column tiles of 18 + one of 2), row tile outermost.
qk = makespan([uniform_tile(4, 64, 16, 18 if c < 7 else 2) for r in range(8) for c in range(8)])
# P x V: 128 x 64, K = 128 tokens: 8 row tiles x (3 column tiles of 18 + one of 10).
pv = makespan([uniform_tile(4, 128, 16, 18 if c < 3 else 10) for r in range(8) for c in range(4)])
assert (qk, pv) == (2406, 1971), (qk, pv)
want = 12 * (qk + pv)
assert s["vssa.cycles_8bit_baseline"] == want, (s["vssa.cycles_8bit_baseline"], want)
assert abs(s["vssa.speedup_vs_8bit"] - want / s["vssa.cycles"]) < 1e-9
assert abs(s["vssa.speedup_other_order_vs_8bit"] - want / s["vssa.cycles_other_order"]) < 1e-9
assert abs(s["vssa.speedup_spatten_vs_8bit"] - want / s["vssa.cycles_spatten"]) < 1e-9
assert s["vssa.cycles"] < s["vssa.cycles_other_order"] < want
print(f"ok: 8-bit baseline {want} cycles = 12 x ({qk} + {pv}); DTQAtten {s['vssa.speedup_vs_8bit']:.3f} x, "
      f"no reorder {s['vssa.speedup_other_order_vs_8bit']:.3f} x, SpAtten-style {s['vssa.speedup_spatten_vs_8bit']:.3f} x")
