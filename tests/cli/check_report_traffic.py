#!/usr/bin/env python3
"""`dtqvp report --traffic` (issue #7): the JSON format, the total as the sum of the ops, the
non-ideal arithmetic intensity as FLOPs / measured bytes, lower bounds counted by hand (every
weight crosses DRAM -> L2 at least once, the int32 scores of a long sequence do not fit the
L2), and the layer scaling (one layer simulated x 12 ~ two layers simulated x 6).
usage: check_report_traffic.py DTQVP"""
import json
import subprocess
import sys

dtqvp = sys.argv[1]


def report(seq, layers):
    out = subprocess.run([dtqvp, "report", "--model", "bert-base", "--seq", str(seq), "--traffic", "--layers", str(layers),
                          "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


j = report(128, 1)
names = [o["name"] for o in j["ops"]]
if j["model"] != "bert-base" or j["seq"] != 128:
    fail(f"model/seq: {j['model']} {j['seq']}")
if names != ["qkv_proj", "qk", "sv", "out_proj", "ffn_w1", "ffn_w2", "other"]:
    fail(f"ops: {names}")
for o in j["ops"] + [j["total"]]:
    for key in ("name", "flops", "mops", "ai", "dram_bytes", "nonideal_ai"):
        if key not in o:
            fail(f"{o.get('name')}: no {key}")
    if not o["dram_bytes"] > 0:
        fail(f"{o['name']}: dram_bytes {o['dram_bytes']}")

# FLOPs and bytes of every op by hand (docs/analytical-model.md; BERT-Base, seq 128, 12
# layers): projections 2 FLOPs per MAC and weights + input + output bytes; Q x K^T and
# P x V K multiplies and K - 1 adds per output; other 4 / 58 FLOPs, 2 / 17 bytes per
# score / token x dimension. The non-ideal AI is these FLOPs over the measured bytes.
l, d, h, dh, f, n = 128, 768, 12, 64, 3072, 12
want = {
    "qkv_proj": (n * 3 * 2 * l * d * d, n * 3 * (d * d + 2 * l * d)),
    "qk": (n * h * l * l * (2 * dh - 1), n * (2 * l * d + h * l * l)),
    "sv": (n * h * l * dh * (2 * l - 1), n * (h * l * l + 2 * l * d)),
    "out_proj": (n * 2 * l * d * d, n * (d * d + 2 * l * d)),
    "ffn_w1": (n * 2 * l * d * f, n * (d * f + l * d + l * f)),
    "ffn_w2": (n * 2 * l * f * d, n * (f * d + l * f + l * d)),
    "other": (n * (4 * h * l * l + 58 * l * d), n * (2 * h * l * l + 17 * l * d)),
}
want["total"] = (sum(v[0] for v in want.values()), sum(v[1] for v in want.values()))
for o in j["ops"] + [j["total"]]:
    wf, wm = want[o["name"]]
    if o["flops"] != wf or o["mops"] != wm:
        fail(f"{o['name']}: flops {o['flops']} mops {o['mops']}, by hand {wf} and {wm}")
    if abs(o["nonideal_ai"] - wf / o["dram_bytes"]) > 1e-9 * o["nonideal_ai"]:
        fail(f"{o['name']}: nonideal_ai {o['nonideal_ai']} != {wf} FLOPs / {o['dram_bytes']} measured bytes")
    if abs(o["ai"] - wf / wm) > 1e-9 * o["ai"]:
        fail(f"{o['name']}: ai {o['ai']} != {wf} / {wm}")
print(f"FLOPs and bytes of the {len(want)} rows equal the hand count; total {want['total'][0]} FLOPs")
total = sum(o["dram_bytes"] for o in j["ops"])
if abs(j["total"]["dram_bytes"] - total) > 0.5:
    fail(f"total dram_bytes {j['total']['dram_bytes']} != sum of ops {total}")
if j["measured"]["layers_simulated"] != 1 or j["measured"]["layers_model"] != 12:
    fail(f"measured: {j['measured']}")

# By hand: 12 layers, d = 768, FFN 3072, int8 weights, each read from DRAM at least once.
d, f, L = 768, 3072, 12
by = {o["name"]: o["dram_bytes"] for o in j["ops"]}
for name, weights in (("qkv_proj", 3 * d * d), ("out_proj", d * d), ("ffn_w1", d * f), ("ffn_w2", f * d)):
    if by[name] < L * weights:
        fail(f"{name}: {by[name]:.0f} bytes < its weights {L * weights}")
    print(f"{name}: {by[name]:.0f} bytes >= weights {L * weights}")

# Two layers simulated, scaled x6, within 5 % of one layer scaled x12 (layer 0 has the cold misses).
j2 = report(128, 2)
t1, t2 = j["total"]["dram_bytes"], j2["total"]["dram_bytes"]
if abs(t1 - t2) > 0.05 * t2:
    fail(f"one layer x12 = {t1:.0f} bytes, two layers x6 = {t2:.0f} bytes")
print(f"total: one layer x12 {t1:.0f}, two layers x6 {t2:.0f} bytes")

# seq 1024: one head's int32 scores (1024 x 1024 x 4 = 4 MiB) exceed the 2 MiB L2, so at least
# 4 MiB - 2 MiB of them per head are written back to DRAM (by Q x K^T or by the softmax that
# evicts them: qk + other), 12 heads x 12 layers.
j3 = report(1024, 1)
qk = next(o for o in j3["ops"] if o["name"] == "qk")["dram_bytes"] + next(o for o in j3["ops"] if o["name"] == "other")["dram_bytes"]
bound = L * 12 * ((4 << 20) - (2 << 20))
if qk < bound:
    fail(f"seq 1024: qk + other {qk:.0f} bytes < {bound}")
if not j3["total"]["nonideal_ai"] < j3["total"]["ai"]:
    fail(f"seq 1024: non-ideal AI {j3['total']['nonideal_ai']} not below the ideal {j3['total']['ai']}")
print(f"seq 1024: qk + other {qk:.0f} bytes >= {bound}; non-ideal AI {j3['total']['nonideal_ai']:.1f} < {j3['total']['ai']:.1f}")
print("ok")
