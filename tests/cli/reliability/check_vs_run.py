#!/usr/bin/env python3
"""Issue 20, "Done when" 3: `check` accepts no shipped-key combination that `run` then
rejects. Generates at least 200 edge configurations (one key or two at the edges of their
ranges and of the capacity rules, over the shipped scenarios made tiny: one layer, timing
mode where the scenario allows), runs `check` on each and, when it accepts, a `run`; every
accepted configuration must run with exit code 0. Prints the counts."""
import itertools, os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

dtqvp, sc, work = sys.argv[1:4]
jobs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
os.makedirs(work, exist_ok=True)
budget = ["budget.wall_seconds=120"]

bases = {
    "bert": (f"{sc}/models/bert_base.yaml", ["mode=timing", "workload.model.layers=1"]),
    "gpt2": (f"{sc}/models/gpt2.yaml", ["mode=timing", "workload.model.layers=1", "workload.model.seq=64"]),
    "hello": (f"{sc}/firmware_hello.yaml", []),
    "selftest": (f"{sc}/firmware_selftest.yaml", []),
    "attn": (f"{sc}/firmware_hello.yaml", ["workload.firmware_app=attention", "mode=timing", "workload.attention.seq=64",
                                           "workload.attention.heads=2"]),
    "stream": (f"{sc}/dma_stream.yaml", ["workload.dma_stream.bytes=64KiB", "mode=timing"]),
    "study": (f"{sc}/compare_bert_base.yaml", ["workload.attention.seq=64", "workload.attention.heads=2"]),
}
memories = {
    "linebuf.size": ["1KiB", "8KiB", "16KiB", "32KiB", "64KiB", "128KiB", "16MiB"],
    "scratchpad.size": ["1KiB", "4KiB", "5KiB", "16KiB", "48KiB", "64KiB", "16MiB"],
    "accumulator.size": ["1KiB", "2KiB", "16MiB"],
    "dram.size": ["4KiB", "1MiB", "2MiB", "2097408", "2105600", "3MiB", "64MiB", "4GiB"],
}
common = {
    "clock_mhz": ["1", "3", "500", "1000000"],
    "dram.bytes_per_cycle": ["1", "4096"],
    "l2.enabled": ["false"],
    "dram.latency_cycles": ["0", "100000"],
    "vssa.reorder": ["false"],
    "watchdog.timeout_cycles": ["1000"],
    "budget.max_cycles": ["0"],
    "mode": ["functional", "timing"],
}
model = {
    "workload.model.seq": ["2", "3", "17", "512", "513", "1024"],
    "workload.model.precision": ["8bit", "4bit", "vsquant", "dtqatten", "dtqatten_vsquant"],
    "vsquant.vector_size": ["1", "2", "3", "64", "1024"],
    "vsquant.scale_bits": ["4", "6"],
    "workload.model.attention": ["unfused"],
    "workload.model.nonlinear": ["host"],
    "workload.model.weight_compression": ["nm24"],
    "buffer.two_direction": ["true"],
    "softmax.mode": ["softermax"],
    "workload.model.ratio_pruned": ["0"],
    "vssa.arrays": ["1", "64"],
}
attn = {"workload.attention.seq": ["1", "2", "3", "512", "513", "4096"], "workload.attention.model": ["bert-large", "gpt2"]}

configs = []
for name, (path, fixed) in bases.items():
    keys = dict(memories)
    keys.update(common)
    if name in ("bert", "gpt2"):
        keys.update(model)
    if name in ("attn", "study"):
        keys.update(attn)
    if name == "study":
        keys = {k: v for k, v in keys.items() if not k.startswith(("linebuf", "scratchpad", "accumulator"))}
    for k, vals in keys.items():
        for v in vals:
            if name in ("bert", "gpt2") and k == "mode" and v == "functional":
                continue  # functional one-layer models are kept for the pairs below
            configs.append((name, path, fixed + [f"{k}={v}"]))
# Pairs at the capacity boundaries: sequence length against the line buffers and scratchpad.
for seq, lb in itertools.product(["512", "513", "1024"], ["64KiB", "128KiB"]):
    configs.append(("bert", bases["bert"][0], bases["bert"][1] + [f"workload.model.seq={seq}", f"linebuf.size={lb}"]))
for seq, dec in itertools.product(["64", "4000"], ["0", "96", "97"]):
    configs.append(("gpt2", bases["gpt2"][0], bases["gpt2"][1] + [f"workload.model.seq={seq}", f"workload.model.decode_tokens={dec}",
                                                                 "linebuf.size=1MiB"]))
for v, sb in itertools.product(["1", "2", "4"], ["4", "6", "8"]):
    configs.append(("bert", bases["bert"][0], bases["bert"][1] + ["workload.model.precision=vsquant", f"vsquant.vector_size={v}",
                                                                 f"vsquant.scale_bits={sb}"]))
for p in ["8bit", "dtqatten"]:
    configs.append(("bert", bases["bert"][0], bases["bert"][1] + ["mode=functional", "workload.model.seq=16", f"workload.model.precision={p}"]))

def one(i_cfg):
    i, (name, path, sets) = i_cfg
    args = [a for s in sets + budget for a in ("--set", s)]
    c = subprocess.run([dtqvp, "check", path] + args, capture_output=True, text=True, timeout=120)
    if c.returncode != 0:
        return i, name, sets, c.returncode, None, c.stderr
    r = subprocess.run([dtqvp, "run", path, "--quiet", "--out", f"{work}/p{i}"] + args, capture_output=True, text=True, timeout=300)
    return i, name, sets, 0, r.returncode, r.stdout + r.stderr

assert len(configs) >= 200, len(configs)
bad, checked_ok, rejected = [], 0, 0
with ThreadPoolExecutor(jobs) as ex:
    for i, name, sets, crc, rrc, out in ex.map(one, enumerate(configs)):
        if crc != 0:
            rejected += 1
            assert crc == 2, f"check exited {crc}: {name} {sets}\n{out}"
            continue
        checked_ok += 1
        if rrc != 0:
            bad.append(f"{name} {' '.join(sets)}: check ok, run exit {rrc}:\n{out[-1500:]}")
print(f"{len(configs)} edge configurations: {checked_ok} accepted by check (and run), {rejected} rejected by check")
for b in bad:
    print("MISMATCH:", b)
assert not bad, f"{len(bad)} configurations pass check and fail at run time"
print("ok: check accepts nothing that run rejects")
