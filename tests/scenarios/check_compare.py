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

# Fig. 8's Eyeriss-like design (docs/timing-model.md#comparison-designs): 14 x 16 PEs, one 16-bit
# MAC per cycle, tiles one after another, a tile of r x c occupied PEs over K: 1 + K + (r + c - 2) + r.
def os_gemm(M, N, K, R=14, C=16):
    return sum(1 + K + min(R, M - r0) + min(C, N - c0) - 2 + min(R, M - r0)
               for r0 in range(0, M, R) for c0 in range(0, N, C))
# Q x K^T 128 x 128 x 64: 9 row tiles of 14 + one of 2, 8 column tiles of 16:
#   9 x 8 x (1+64+14+16-2+14 = 107) + 8 x (1+64+2+16-2+2 = 83) = 7704 + 664 = 8368
# P x V 128 x 64 x 128: 9 x 4 x (1+128+14+16-2+14 = 171) + 4 x (1+128+2+16-2+2 = 147) = 6156 + 588 = 6744
assert (os_gemm(128, 128, 64), os_gemm(128, 64, 128)) == (8368, 6744)
eyeriss = 12 * (8368 + 6744)
assert s["designs.eyeriss_like.compute_cycles"] == eyeriss, (s["designs.eyeriss_like.compute_cycles"], eyeriss)
# DRAM: 12 heads x (3 x 128 x 64 x 2 bytes + 128 x 64 x 2) = 786432 bytes, 64 B/cycle -> 12288 cycles: compute bound.
assert s["designs.eyeriss_like.dram_bytes"] == 786432 and s["designs.eyeriss_like.cycles"] == eyeriss
assert s["designs.dtqatten.compute_cycles"] == s["vssa.cycles"]
assert s["designs.systolic_based.compute_cycles"] == s["vssa.cycles_other_order"]
# SpAtten-like: slower than DTQAtten in cycles though it moves about as many bytes: its 352 PEs run at one speed.
assert s["designs.spatten_like.cycles"] > s["designs.dtqatten.cycles"]
assert s["designs.spatten_like.compute_cycles"] > s["designs.spatten_like.dram_cycles"]

# 100% utilization (designs.*.ideal_cycles): Eyeriss-like 2 x 128 x 128 x 64 = 2,097,152 MACs a
# head on 224 PEs -> ceil(9362.3) = 9363 cycles, x 12 heads = 112,356.
assert s["designs.eyeriss_like.ideal_cycles"] == 12 * 9363, s["designs.eyeriss_like.ideal_cycles"]
assert s["designs.eyeriss_like.macs"] == 12 * 2 * 128 * 128 * 64
# The VSSA's PE cycles a MAC: 1 (4x4), 2 (8x4), 4 (8x8); the same in either token order.
busy = s["vssa.macs_4x4"] + 2 * s["vssa.macs_8x4"] + 4 * s["vssa.macs_8x8"]
assert busy == s["vssa.busy_pe_cycles"], (busy, s["vssa.busy_pe_cycles"])
for d in ("dtqatten", "systolic_based"):  # per head rounded up: within 12 cycles of the total / 3168
    assert 0 <= s[f"designs.{d}.ideal_cycles"] - busy / 3168 < 12, (d, s[f"designs.{d}.ideal_cycles"], busy / 3168)
    assert abs(s[f"designs.{d}.utilization"] - s[f"designs.{d}.ideal_cycles"] / s[f"designs.{d}.compute_cycles"]) < 1e-12
# Fig. 8's speedup is the ideal ratio times the ratio of utilizations (both designs compute bound).
f = s["designs.dtqatten.ideal_speedup_vs_eyeriss"] * s["designs.dtqatten.utilization"] / s["designs.eyeriss_like.utilization"]
assert abs(f - s["designs.dtqatten.speedup_vs_eyeriss"]) < 1e-9, (f, s["designs.dtqatten.speedup_vs_eyeriss"])

# Energy of the comparison designs (docs/energy.md#comparison-designs) by hand, with table entries
# set to round values: a 8-bit multiply 1 pJ (16-bit: 4, 12-bit: 2.25), a 32-bit add 0.5, a
# register bit 0.01, SRAM 1 pJ/byte at the line buffers' size (64 B per 64-bit access of a 64 KiB
# reference), DRAM 10 pJ/bit, no leakage.
ov = {"int_mul_8_pj": 1, "int_add_32_pj": 0.5, "reg_bit_pj": 0.01, "sram_ref_pj_per_64b": 8, "sram_ref_bytes": 65536,
      "dram_pj_per_bit": 10, "leakage_mw_per_mm2": 0}
args = [dtqvp, "run", scenario, "-q", "--out", out + "/energy_hand"]
for k, v in ov.items():
    args += ["--set", f"energy.override.{k}={v}"]
subprocess.run(args, check=True, timeout=600)
e = {k: v["value"] for k, v in json.load(open(f"{out}/energy_hand/stats.json"))["stats"].items()}
macs = 12 * 2 * 128 * 128 * 64
# Eyeriss-like: per MAC 4 + 0.5 + 32 x 0.01 (accumulator) + 32 x 0.01 (two 16-bit operands) = 5.14 pJ;
# feed: 2 bytes x (1/14 + 1/16) x 1 pJ per MAC; DRAM 786,432 bytes x 8 x 10 pJ.
pe = macs * 5.14 + macs * 2 * (1 / 14 + 1 / 16)
assert abs(e["energy.designs.eyeriss_like.pe_uj"] - pe * 1e-6) < 1e-9 * pe, (e["energy.designs.eyeriss_like.pe_uj"], pe * 1e-6)
assert abs(e["energy.designs.eyeriss_like.dram_uj"] - 786432 * 80 * 1e-6) < 1e-9
assert e["energy.designs.eyeriss_like.leakage_uj"] == 0
# SpAtten-like: per MAC 2.25 + 0.5 + 0.32 + 0.24 (two 12-bit operands) = 3.31 pJ; feed 1.5 bytes x (1/16 + 1/22).
sm = e["designs.spatten_like.macs"]
pe_s = sm * 3.31 + sm * 1.5 * (1 / 16 + 1 / 22)
assert abs(e["energy.designs.spatten_like.pe_uj"] - pe_s * 1e-6) < 1e-9 * pe_s, (e["energy.designs.spatten_like.pe_uj"], pe_s * 1e-6)
tot = {d: e[f"energy.designs.{d}.total_uj"] for d in ("eyeriss_like", "systolic_based", "dtqatten", "spatten_like")}
for d in ("systolic_based", "dtqatten", "spatten_like"):
    assert abs(e[f"energy.designs.{d}.saving_vs_eyeriss_like"] - (1 - tot[d] / tot["eyeriss_like"])) < 1e-12
    assert abs(e[f"energy.designs.{d}.gops_per_j"] - 2 * macs / (tot[d] * 1e-6) * 1e-9) < 1e-6 * e[f"energy.designs.{d}.gops_per_j"]
# The two VSSA designs: the same MACs and DRAM bytes, the systolic-based one more stalls: more energy.
assert e["energy.designs.systolic_based.dram_uj"] == e["energy.designs.dtqatten.dram_uj"]
assert tot["systolic_based"] > tot["dtqatten"]
print(f"ok: 8-bit baseline {want} cycles = 12 x ({qk} + {pv}); DTQAtten {s['vssa.speedup_vs_8bit']:.3f} x, "
      f"no reorder {s['vssa.speedup_other_order_vs_8bit']:.3f} x, SpAtten-style {s['vssa.speedup_spatten_vs_8bit']:.3f} x")
