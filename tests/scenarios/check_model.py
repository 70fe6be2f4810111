#!/usr/bin/env python3
"""A shipped model scenario in its short form (2 layers; decoders 2 decode tokens): it runs,
every op of the survey's breakdown has cycles and DRAM bytes, the ops' cycles fit in the run,
and with every token 8-bit the GEMM commands did exactly the MACs of the projections and the
FFN counted by hand: layers x seq x (4 d^2 + 2 d f), plus, for decoders, per decode token
layers x (4 d^2 + 2 d f) + the q x K^T and p x V MACs of every head. With the non-linear ops
on the host CPU (the survey's Gemmini baseline) the host computed exactly the softmax,
LayerNorm and GELU elements counted by hand and the prefill took longer than on chip."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
shapes = {"bert-base": (12, 768, 12, 3072), "bert-large": (24, 1024, 16, 4096),
          "gpt2": (12, 768, 12, 3072), "gpt2-medium": (24, 1024, 16, 4096)}


def run(tag, *sets):
    args = [dtqvp, "run", scenario, "--quiet", "--out", f"{out}/{tag}", "--set", "workload.model.layers=2"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    j = json.load(open(f"{out}/{tag}/stats.json"))
    return j, {k: v["value"] for k, v in j["stats"].items()}


j, s = run("as_shipped")
model = j["config"]["workload"]["model"]["name"] if "config" in j else None
decoder = s["model.decode_tokens"] > 0
for op in ["qkv_proj", "attention", "out_proj", "ffn_w1", "ffn_w2", "other"]:
    assert s[f"ops.{op}.commands"] > 0 and s[f"ops.{op}.cycles"] > 0, op
    if op != "attention":  # the fused ATTENTION's DRAM bytes are booked to qk, sv and other
        assert s[f"ops.{op}.dma_bytes_from_dram_addr"] > 0, op
assert s["ops.qk.dma_bytes_from_dram_addr"] > 0 and s["ops.sv.dma_bytes_from_dram_addr"] > 0
total = s["model.prefill_cycles"] + s["model.decode_cycles"]
ops_cycles = sum(v for k, v in s.items() if k.startswith("ops.") and k.endswith(".cycles"))
assert 0 < ops_cycles <= total, (ops_cycles, total)  # commands run one after the other
# Commands per op by hand (sw/apps/encoder.c): per layer and per pass (the prefill, then
# each decode token) three projections Q, K, V, one output projection and the two FFN GEMMs.
layers_run, passes = j["config"]["workload"]["model"]["layers"], 1 + s["model.decode_tokens"]
for op, per in (("qkv_proj", 3), ("out_proj", 1), ("ffn_w1", 1), ("ffn_w2", 1)):
    assert s[f"ops.{op}.commands"] == per * layers_run * passes, (op, s[f"ops.{op}.commands"], per * layers_run * passes)
if decoder:
    assert s["ops.qk.commands"] > 0 and s["ops.sv.commands"] > 0
    assert s["model.decode_cycles_per_token"] > 0

# every token 8-bit: the GEMMs' MACs by hand
j, s = run("8bit", "workload.model.precision=8bit")
name = next(n for n in shapes if f"name: {n}\n" in open(scenario).read().replace("'", ""))
L, d, h, f = shapes[name]
layers, seq, dec = 2, s["model.seq"], s["model.decode_tokens"]
macs = layers * seq * (4 * d * d + 2 * d * f)
for t in range(dec):  # decode token t attends over seq + t + 1 positions
    n = seq + t + 1
    macs += layers * ((4 * d * d + 2 * d * f) + h * (n * (d // h) + n * (d // h)))
assert s["compute.gemm_macs"] == macs, (s["compute.gemm_macs"], macs)
onchip = s["model.prefill_cycles"]

# non-linear ops on the host: elements by hand (a causal softmax row sees the positions up to its own)
j, s = run("host", "workload.model.precision=8bit", "workload.model.nonlinear=host")
softmax = h * (seq * (seq + 1) // 2 if decoder else seq * seq)
elements = layers * (softmax + 2 * seq * d + seq * f)
for t in range(dec):
    elements += layers * (h * (seq + t + 1) + 2 * d + f)
assert s["host.nonlinear_elements"] == elements, (s["host.nonlinear_elements"], elements)
assert s["compute.softmax_busy_cycles"] == 0
assert s["model.prefill_cycles"] > onchip, (s["model.prefill_cycles"], onchip)
print(f"{name}: ok, {total} cycles, GEMM MACs {macs}, host non-linear elements {elements}, "
      f"8-bit prefill {onchip} cycles on chip, {s['model.prefill_cycles']} with the host")
