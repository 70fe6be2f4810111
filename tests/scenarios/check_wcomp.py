#!/usr/bin/env python3
"""NM24 compressed weights end to end (docs/compression.md), BERT-Base in a short form (2
layers, timing, every token 8-bit): with weight_compression nm24 the GEMM commands read from
DRAM exactly the dense weights' bytes minus the compressed images' bytes less, counted by
hand (seq 128: each weight is read once per GEMM, one output row block), the decompressor
took the compressed bytes in and gave the dense bytes out, and the MACs are unchanged."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
L, d, f, frac = 2, 768, 3072, 0.5


def run(tag, *sets):
    args = [dtqvp, "run", scenario, "--quiet", "--out", f"{out}/{tag}", "--set", f"workload.model.layers={L}",
            "--set", "workload.model.precision=8bit"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return {k: v["value"] for k, v in json.load(open(f"{out}/{tag}/stats.json"))["stats"].items()}


def image(n, k):  # table of n u32, then rows: 4-bit ones k / 8 x 3 bytes, 8-bit ones k / 8 x 5
    n4 = int(frac * n + 0.5)
    return 4 * n + (n - n4) * k // 8 * 5 + n4 * k // 8 * 3


shapes = [(d, d)] * 4 + [(f, d), (d, f)]
dense = L * sum(n * k for n, k in shapes)
comp = L * sum(image(n, k) for n, k in shapes)
base = run("dense")
nm = run("nm24", "workload.model.weight_compression=nm24")
assert base["compute.decompressor_bytes_in"] == 0
assert nm["compute.decompressor_bytes_in"] == comp, (nm["compute.decompressor_bytes_in"], comp)
assert nm["compute.decompressor_bytes_out"] == dense, (nm["compute.decompressor_bytes_out"], dense)
saved = base["compute.dma_bytes_from_dram_addr"] - nm["compute.dma_bytes_from_dram_addr"]
assert saved == dense - comp, (saved, dense - comp)
assert nm["compute.gemm_macs"] == base["compute.gemm_macs"]
print(f"dense weights {dense} B, NM24 {comp} B ({1 - comp / dense:.1%} less); "
      f"prefill cycles {base['model.prefill_cycles']} -> {nm['model.prefill_cycles']}, "
      f"decompressor delay {nm['compute.decompressor_delay_cycles']} cycles")
