#!/usr/bin/python3
"""Two dtqvp builds give the same stats.json on a set of runs (docs/performance.md#timing-mode-3).

usage: bench/same_stats.py OLD_DTQVP NEW_DTQVP [--out DIR] [--only NAME ...] [--ignore KEY ...] [--list]

For a change that must not move any simulated figure (a simulator speed-up): each run below
goes once with each binary; the two stats.json must be equal apart from the wall-clock fields
(sim.wall_seconds, sim.cycles_per_second). Prints one line per run and the first differing
keys of a run that differs; exit code 0 when every run is equal, 1 otherwise, 2 for a run that
failed. The old binary is typically the same sources at the branch's start, built in a second
tree (`git worktree add` or `git archive`). The runs cover the timing paths (burst trains, the
L2's fast path and its reference, DRAM with row buffers, the JEDEC DRAM model, the local
memories' bank contention with one bank and off, other L2 geometries, decode steps) and a
small functional run with the accuracy proxy, whose errors are a function of every output
tensor, and functional runs without it (their synthetic weights are generated DRAM ranges),
where model.output_fnv1a is a digest of every output tensor."""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SC = os.path.join(ROOT, "scenarios")
BB, G2 = "models/bert_base.yaml", "models/gpt2.yaml"
RUNS = {
    "bert_base_seq512": [BB, "mode=timing", "workload.model.seq=512", "workload.model.layers=2"],
    "bert_base_seq128": [BB, "mode=timing", "workload.model.seq=128"],
    "bert_base_seq512_12_layers": [BB, "mode=timing", "workload.model.seq=512"],
    "gpt2_seq128": [G2, "mode=timing", "workload.model.seq=128", "workload.model.layers=2"],
    "bert_l2_16_ways_6_sets": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                               "l2.size=96KiB"],
    "gpt2_seq512": [G2, "mode=timing", "workload.model.seq=512", "workload.model.layers=2", "linebuf.size=128KiB"],
    "gpt2_seq128_decode": [G2, "mode=timing", "workload.model.layers=2", "workload.model.decode_tokens=4"],
    "bert_jedec": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1", "dram.model=jedec",
                   "dram.jedec.preset=ddr4-3200"],
    # the JEDEC model's other presets and controller options (command-bus slots: HBM2's
    # separate row and column buses, LPDDR4's multi-cycle commands, per-bank refresh)
    "bert_jedec_hbm2": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1", "dram.model=jedec",
                        "dram.jedec.preset=hbm2"],
    "bert_jedec_lpddr4_per_bank": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                                   "dram.model=jedec", "dram.jedec.preset=lpddr4-4266", "dram.jedec.refresh=per-bank"],
    "bert_jedec_closed_fcfs": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1", "dram.model=jedec",
                               "dram.jedec.page_policy=closed", "dram.jedec.scheduler=fcfs"],
    "bert_jedec_adaptive_xor_2_ranks": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                                        "dram.model=jedec", "dram.jedec.page_policy=adaptive", "dram.jedec.xor=true",
                                        "dram.jedec.ranks=2"],
    "bert_dram_banks": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                        "dram.banks.enabled=true"],
    "bert_one_bank": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=2", "scratchpad.banks=1",
                      "accumulator.banks=1", "linebuf.banks=1"],
    "bert_no_contention": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                           "buffer.port_contention=false"],
    "bert_l2_12_ways": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1", "l2.ways=12",
                        "l2.size=1536KiB"],
    "bert_l2_32_ways": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1", "l2.ways=32"],
    "bert_l2_reference": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                          "l2.fast_path=false"],
    "bert_burst_by_burst": [BB, "mode=timing", "workload.model.seq=128", "workload.model.layers=1",
                            "dma.trains=false"],
    "bert_odd_geometry": [BB, "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                          "dma.burst_bytes=96", "l2.bytes_per_cycle=24", "scratchpad.bytes_per_cycle=12",
                          "scratchpad.banks=3", "dram.bytes_per_cycle=48", "l2.line_bytes=32"],
    "bert_functional": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2"],
    "gpt2_functional_decode": [G2, "mode=functional", "workload.model.seq=64", "workload.model.layers=1",
                               "workload.model.decode_tokens=2"],
    "bert_functional_accuracy": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=1",
                                 "workload.model.accuracy=true"],
    # functional runs whose vector commands and attention rows take the row kernels and row
    # threads (docs/performance.md#row-kernels): their accuracy proxy is a function of every
    # output tensor
    "f_bert_2l_t2": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                     "workload.model.accuracy=true", "vssa.threads=2"],
    "f_bert_2l_t3": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                     "workload.model.accuracy=true", "vssa.threads=3"],
    "f_bert_8bit_unfused": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                            "workload.model.accuracy=true", "workload.model.precision=8bit",
                            "workload.model.attention=unfused", "vssa.threads=2"],
    "f_bert_softermax": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                         "workload.model.accuracy=true", "softmax.mode=softermax", "vssa.threads=2"],
    "f_bert_vsquant": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                       "workload.model.accuracy=true", "workload.model.precision=vsquant", "vssa.threads=2"],
    "f_bert_4bit": [BB, "mode=functional", "workload.model.seq=128", "workload.model.layers=1",
                    "workload.model.accuracy=true", "workload.model.precision=4bit", "vssa.threads=2"],
    "f_gpt2_decode": [G2, "mode=functional", "workload.model.seq=128", "workload.model.layers=2",
                      "workload.model.decode_tokens=4", "workload.model.accuracy=true", "vssa.threads=2"],
    "f_onnx_use_lite": ["onnx_use_lite.yaml", "vssa.threads=2"],
}


def run(exe, name, args, out):
    d = os.path.join(out, name)
    cmd = [exe, "run", os.path.join(SC, args[0]), "-q", "--out", d]
    for s in args[1:]:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL {name}: {' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[:400]}")
        sys.exit(2)
    with open(os.path.join(d, "stats.json")) as f:
        j = json.load(f)
    for k in ("wall_seconds", "cycles_per_second"):
        j["sim"].pop(k, None)
    for k in ("import_seconds", "reference_seconds"):  # the ONNX import's host wall times
        j.get("stats", {}).pop("onnx." + k, None)
    return j


def flat(d, p=""):
    for k, v in d.items():
        if isinstance(v, dict) and "value" not in v:
            yield from flat(v, p + k + ".")
        else:
            yield p + k, v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--out", default="/tmp/same_stats")
    ap.add_argument("--only", nargs="*", help="run only these (names from --list)")
    ap.add_argument("--list", action="store_true", help="list the runs and exit")
    ap.add_argument("--ignore", nargs="*", default=[],
                    help="flat keys to leave out of the comparison, e.g. a config key or statistic only the new build has "
                         "(config.workload.model.weight_store stats.model.output_fnv1a)")
    a = ap.parse_args()
    if a.list:
        for n, r in RUNS.items():
            print(n, " ".join(r))
        return 0
    bad = 0
    for name, args in RUNS.items():
        if a.only and name not in a.only:
            continue
        x = run(a.old, name, args, os.path.join(a.out, "old"))
        y = run(a.new, name, args, os.path.join(a.out, "new"))
        fx, fy = dict(flat(x)), dict(flat(y))
        for k in a.ignore:
            fx.pop(k, None)
            fy.pop(k, None)
        if fx != fy:
            diff = sorted(k for k in set(fx) | set(fy) if fx.get(k) != fy.get(k))
            print(f"DIFFER {name}: {len(diff)} entries, e.g. " +
                  "; ".join(f"{k}: {fx.get(k)} vs {fy.get(k)}" for k in diff[:5]))
            bad += 1
        else:
            print(f"same {name}: {len(fx)} entries, {fx['sim.simulated_cycles']} cycles")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
