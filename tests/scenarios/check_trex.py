#!/usr/bin/env python3
"""The T-REX comparison sweeps (docs/results.md#t-rex-the-three-ideas-together) run, and what
each idea can and cannot change holds:
- two-direction buffers remove every transpose cycle and change nothing else on BERT-Base
  (the V pass is hidden in the fused ATTENTION) and no DRAM byte on GPT-2;
- dynamic batching never moves more DRAM bytes per token than one at a time on short requests;
- NM24 moves fewer DRAM bytes than int8 weights; all three together fewer than any alone;
- on GPT-2 the weight bytes saved per decode token are those of the compressed images:
  the DRAM difference between int8 and NM24 is the same with and without two-direction buffers.
usage: check_trex.py DTQVP SWEEP_BERT SWEEP_GPT2 OUTDIR"""
import json
import subprocess
import sys

dtqvp, sweep_bert, sweep_gpt2, out = sys.argv[1:5]


def run(sweep, name):
    d = f"{out}/{name}"
    subprocess.run([dtqvp, "sweep", sweep, "-j", "2", "--out", d, "--quiet"], check=True)
    pts = json.load(open(f"{d}/results.json"))["points"]
    res = []
    for p in pts:
        assert p["exit_code"] == 0, p
        st = {k: (v["value"] if isinstance(v, dict) else v) for k, v in p["stats"].items()}
        res.append((p["overrides"], st, p["sim"]["simulated_cycles"]))
    return res


fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


b = run(sweep_bert, "bert")
assert len(b) == 5, len(b)
base, dyn, comp, twod, allx = [x[1] for x in b]
dram = lambda s: s["dram.bytes_read"] + s["dram.bytes_written"]
check(base["attention.transpose_cycles"] > 0, "baseline has a V transpose pass")
check(twod["attention.transpose_cycles"] == 0 and allx["attention.transpose_cycles"] == 0, "two-direction: no pass")
check(b[3][2] == b[0][2], "two-direction: same cycles as the baseline on BERT-Base (pass hidden)")
check(dram(twod) == dram(base), "two-direction: same DRAM bytes")
check(dyn["serve.dram_bytes_per_token"] <= base["serve.dram_bytes_per_token"], "batching: no more bytes per token")
check(dram(comp) < dram(base), "NM24: fewer DRAM bytes")
check(dram(allx) < min(dram(dyn), dram(comp)), "all three: fewer DRAM bytes than any alone")
check(allx["serve.throughput_tokens_per_s"] > max(dyn["serve.throughput_tokens_per_s"], comp["serve.throughput_tokens_per_s"]),
      "all three: the highest throughput")
for s in (base, dyn, comp, twod, allx):
    check(s["serve.requests"] == 32, "every request served")

g = run(sweep_gpt2, "gpt2")
assert len(g) == 4, len(g)
gb, gc, gt, ga = [x[1] for x in g]
check(gt["compute.transpose_cycles"] == 0 and gb["compute.transpose_cycles"] > 0, "GPT-2: decode V pass only without the option")
check(dram(gt) <= dram(gb) and dram(gb) - dram(gt) < dram(gb) * 1e-4, "GPT-2: two-direction moves (almost) no DRAM byte")
check(gt["model.decode_cycles_per_token"] < gb["model.decode_cycles_per_token"], "GPT-2: two-direction saves decode cycles")
check(abs((dram(gb) - dram(gc)) - (dram(gt) - dram(ga))) < dram(gb) * 1e-4, "GPT-2: NM24 saves the same bytes either way")
check(ga["model.decode_cycles_per_token"] < min(gc["model.decode_cycles_per_token"], gt["model.decode_cycles_per_token"]),
      "GPT-2: both ideas beat each alone")

if fails:
    print("FAILED:\n  " + "\n  ".join(fails))
    sys.exit(1)
print("check_trex: ok")
