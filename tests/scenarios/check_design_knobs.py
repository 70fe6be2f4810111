#!/usr/bin/env python3
"""check_design_knobs.py DTQVP SCENARIO OUTDIR: the comparison designs' knobs of the attention
study (workload.attention.prob_precision, eyeriss_*, spatten_*, systolic_token_bits) on
scenarios/compare_bert_base.yaml (BERT-Base, 12 heads, seq 128, d_head 64, the paper's ratios),
each statistic against a count by hand (docs/results.md#what-the-papers-1357-x-implies-measured,
docs/timing-model.md#comparison-designs)."""
import json, math, os, subprocess, sys
from fractions import Fraction

dtqvp, scenario, out = sys.argv[1:4]
fails = []


def run(tag, *sets):
    d = os.path.join(out, tag)
    args = [dtqvp, "run", scenario, "-q", "--out", d]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, timeout=600)
    return {k: v["value"] for k, v in json.load(open(os.path.join(d, "stats.json")))["stats"].items()}


def eq(tag, s, key, want):
    got = s.get(key)
    ok = got is not None and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    print(("ok:   " if ok else "FAIL: ") + f"{tag}: {key} = {got}, expected {want}")
    if not ok:
        fails.append(key)


H, n, dh = 12, 128, 64
# Tokens by the ratio rule (docs/attention.md#token-counts-from-ratios): kept round(0.72 x 128) = 92,
# 8-bit round(0.306 x 128) = 39, so 53 kept tokens are 4-bit.
k0, k8 = 92, 39
k4 = k0 - k8
# PE cycles of a MAC: 1 (4x4), 2 (8x4), 4 (8x8). Q x K^T over the kept rows and columns, K = 64:
qk = dh * (k4 * k4 * 1 + 2 * k4 * k8 * 2 + k8 * k8 * 4)
assert qk == 1098304
# P x V (92 x 64 x 92): row i of P (a query token) x V's token k at its precision.
pv = {"8bit": dh * k0 * (k4 * 2 + k8 * 4),          # 8-bit probabilities: 2 or 4 cycles
      "4bit": dh * k0 * (k4 * 1 + k8 * 2),          # 4-bit probabilities: 1 or 2 cycles
      "query_token": qk}                            # row i at query i's precision: the Q x K^T mix
for p, want in pv.items():
    s = run("prob_" + p, f"workload.attention.prob_precision={p}")
    eq(p, s, "designs.dtqatten.busy_pe_cycles", H * (qk + want))
    eq(p, s, "designs.systolic_based.busy_pe_cycles", H * (qk + want))
    # ideal cycles per head: PE cycles / 3168 PEs rounded up
    eq(p, s, "designs.dtqatten.ideal_cycles", H * -(-(qk + want) // 3168))


def os_gemm(M, N, K, R, C):  # docs/timing-model.md#comparison-designs: 1 + K + (r + c - 2) + r per tile
    return sum(1 + K + min(R, M - r0) + min(C, N - c0) - 2 + min(R, M - r0)
               for r0 in range(0, M, R) for c0 in range(0, N, C))


def head_bytes(tokens, bits, out_bits=8):  # Q, K, V of `tokens` at `bits` (exact), the 128 x 64 output
    return math.ceil(Fraction(3 * tokens * dh) * Fraction(bits) / 8) + n * dh * out_bits // 8


# Eyeriss-like: 11 x 18 = 198 PEs (3168 / 16). Q x K^T 128 x 128 x 64: 11 full row tiles of 11
# and one of 7, 7 full column tiles of 18 and one of 2 (by os_gemm); P x V 128 x 64 x 128 likewise.
s = run("eyeriss_11x18", "workload.attention.eyeriss_rows=11", "workload.attention.eyeriss_cols=18")
eq("11x18", s, "designs.eyeriss_like.compute_cycles", H * (os_gemm(128, 128, 64, 11, 18) + os_gemm(128, 64, 128, 11, 18)))
eq("11x18", s, "designs.eyeriss_like.pes", 198)
eq("11x18", s, "designs.eyeriss_like.ideal_cycles", H * -(-(2 * n * n * dh) // 198))
# The utilization knob: per head ceil(ideal / u): 2,097,152 MACs / 224 = 9362.3 -> 9363; / 0.4 = 23407.5 -> 23408.
s = run("eyeriss_u04", "workload.attention.eyeriss_utilization=0.4")
eq("u 0.4", s, "designs.eyeriss_like.compute_cycles", H * 23408)
eq("u 0.4", s, "designs.eyeriss_like.utilization", 9363 / 23408)
# 8-bit operands: half the bytes (Q, K, V, output at 8 bits), the same cycles; scores through DRAM: + S and P, n x n each.
s = run("eyeriss_8bit_scores", "workload.attention.eyeriss_bits=8", "workload.attention.eyeriss_scores_in_dram=true")
eq("8-bit + scores", s, "designs.eyeriss_like.dram_bytes", H * (3 * n * dh + n * dh + 2 * n * n))
eq("8-bit + scores", s, "designs.eyeriss_like.operand_bits", 8)
eq("8-bit + scores", s, "designs.eyeriss_like.compute_cycles", H * (8368 + 6744))  # check_compare.py's hand count
# Its own DRAM bus at 2 B/cycle: 65,536 bytes a head -> 32,768 cycles > 15,112 compute: DRAM bound.
s = run("eyeriss_bw2", "workload.attention.eyeriss_dram_bytes_per_cycle=2")
eq("2 B/cycle", s, "designs.eyeriss_like.cycles", H * 32768)
eq("2 B/cycle", s, "designs.dtqatten.dram_cycles", H * -(-head_bytes(k0, Fraction(4 * k4 + 8 * k8, k0)) // 64))  # the others keep 64 B/cycle

# SpAtten-like at 16 x 31 = 496 PEs: 29.8 % pruned -> round(0.702 x 128) = 90 kept tokens.
s = run("spatten_16x31", "workload.attention.spatten_cols=31")
eq("16x31", s, "designs.spatten_like.compute_cycles", H * (os_gemm(90, 90, 64, 16, 31) + os_gemm(90, 64, 90, 16, 31)))
eq("16x31", s, "designs.spatten_like.pes", 496)
eq("16x31", s, "designs.spatten_like.ideal_cycles", H * -(-(2 * 90 * 90 * dh) // 496))
# The systolic-based design with every kept token in an 8-bit slot: 3 x 92 x 64 + 8192 = 25,856 bytes a head.
s = run("systolic_8", "workload.attention.systolic_token_bits=8")
eq("systolic 8-bit", s, "designs.systolic_based.dram_bytes", H * 25856)
eq("systolic 8-bit", s, "designs.dtqatten.dram_bytes", H * head_bytes(k0, Fraction(4 * k4 + 8 * k8, k0)))

# workload.attention.head_mapping=head_per_array (docs/timing-model.md#comparison-designs): a head's two
# GEMMs on one array, vssa.arrays heads a round; a round computes as long as one head on one array (X,
# the engine's cycles from a one-array run: every head of a layer has the same token precisions) and
# reads its heads' bytes (B a head, loads overlapped with compute). The PE cycles do not move.
one = run("one_array", "vssa.arrays=1")
X = one["designs.dtqatten.compute_cycles"] // H
Xs = one["designs.systolic_based.compute_cycles"] // H
eq("one array", one, "designs.dtqatten.compute_cycles", H * X)  # every head the same
B = head_bytes(k0, Fraction(4 * k4 + 8 * k8, k0))
assert B == 20768  # 3 x 64 x (53 x 4 + 39 x 8) / 8 + 128 x 64
for tag, sets, heads, arrays in (("hpa_11", [], H, 11), ("hpa_4", ["vssa.arrays=4"], H, 4),
                                 ("hpa_large", ["workload.attention.model=bert-large"], 16, 11)):
    s = run(tag, "workload.attention.head_mapping=head_per_array", *sets)
    rounds = [min(arrays, heads - r) for r in range(0, heads, arrays)]  # 12 on 11: 11 + 1; on 4: 4 + 4 + 4; 16 on 11: 11 + 5
    eq(tag, s, "designs.dtqatten.compute_cycles", len(rounds) * X)
    eq(tag, s, "designs.systolic_based.compute_cycles", len(rounds) * Xs)
    eq(tag, s, "vssa.cycles", len(rounds) * X)
    eq(tag, s, "designs.dtqatten.dram_cycles", sum(-(-r * B // 64) for r in rounds))
    eq(tag, s, "designs.dtqatten.dram_bytes", heads * B)
    eq(tag, s, "designs.dtqatten.busy_pe_cycles", heads * (qk + pv["8bit"]))
    eq(tag, s, "designs.dtqatten.cycles", sum(max(X, -(-r * B // 64)) for r in rounds))

# The widths in the energy model (docs/energy.md#comparison-designs): a one-speed PE of b bits costs, per MAC,
# a b x b multiply int_mul_8_pj x (b / 8)^2, a 32-bit add, a 32-bit register write and both b-bit operands
# latched; the line-buffer feed is zeroed here (sram_ref_pj_per_64b 0). With round entries:
# 16 bits 0.2 x 4 + 0.1 + 32 x 0.004 + 32 x 0.004 = 1.156 pJ, 8 bits 0.2 + 0.1 + 0.128 + 0.064 = 0.492 pJ,
# 12 bits 0.2 x 2.25 + 0.1 + 0.128 + 0.096 = 0.774 pJ.
round_table = ["energy.override.int_mul_8_pj=0.2", "energy.override.int_add_32_pj=0.1", "energy.override.reg_bit_pj=0.004",
               "energy.override.sram_ref_pj_per_64b=0"]
eye_macs, sp_macs = H * 2 * n * n * dh, H * 2 * 90 * 90 * dh
for bits, eye_pj, sp_pj in ((16, 1.156, 1.156), (8, 0.492, 0.492)):
    s = run(f"energy_{bits}", *round_table, f"workload.attention.eyeriss_bits={bits}", f"workload.attention.spatten_pe_bits={bits}")
    eq(f"{bits}-bit PEs", s, "energy.designs.eyeriss_like.pe_uj", eye_macs * eye_pj * 1e-6)
    eq(f"{bits}-bit PEs", s, "energy.designs.spatten_like.pe_uj", sp_macs * sp_pj * 1e-6)
s = run("energy_12", *round_table)  # the defaults: 16-bit Eyeriss-like, 12-bit SpAtten-like
eq("default widths", s, "energy.designs.spatten_like.pe_uj", sp_macs * 0.774 * 1e-6)
eq("default widths", s, "designs.spatten_like.operand_bits", 12)
# energy.designs_pe=power_x_latency (docs/energy.md#comparison-designs): every PE of a design, every cycle of
# its run, at its busy cycle's energy (the feed is 0 here). Eyeriss-like: 224 PEs x its cycles x 1.156 pJ.
# The VSSA designs: a busy PE cycle 0.2 x (5 / 8)^2 + 0.1 + 32 x 0.004 = 0.306125 pJ plus the operand
# latches, 20 x 0.004 pJ a MAC, averaged over the busy cycles, x 3168 PEs x the design's cycles.
s = run("energy_pxl", *round_table, "energy.designs_pe=power_x_latency")
eq("power x latency", s, "energy.designs.eyeriss_like.pe_uj", 224 * s["designs.eyeriss_like.cycles"] * 1.156 * 1e-6)
busy = H * (qk + pv["8bit"])
vmacs = H * 2 * k0 * k0 * dh  # Q x K^T 92 x 92 x 64 and P x V 92 x 64 x 92
per_busy = (busy * 0.306125 + vmacs * 20 * 0.004) / busy
for d in ("dtqatten", "systolic_based"):
    eq("power x latency", s, f"energy.designs.{d}.pe_uj", 3168 * s[f"designs.{d}.cycles"] * per_busy * 1e-6)
eq("power x latency", s, "energy.designs.spatten_like.pe_uj", 352 * s["designs.spatten_like.cycles"] * 0.774 * 1e-6)
sys.exit(1 if fails else 0)
