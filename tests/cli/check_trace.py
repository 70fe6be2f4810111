#!/usr/bin/env python3
"""--trace writes valid Chrome trace-event JSON with one named track per unit."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
subprocess.run([dtqvp, "run", scenario, "-q", "--out", out, "--trace", f"{out}/trace.json",
                "--set", "workload.dma_stream.bytes=64KiB"], check=True)
t = json.load(open(f"{out}/trace.json"))
ev = t["traceEvents"]
tracks = {e["args"]["name"]: e["tid"] for e in ev if e.get("name") == "thread_name"}
assert "dma" in tracks, tracks
spans = [e for e in ev if e["ph"] == "X"]
assert len(spans) == 16, len(spans)          # 64 KiB in 4 KiB descriptors
assert all(s["tid"] == tracks["dma"] and s["dur"] > 0 for s in spans)
assert all(a["ts"] + a["dur"] <= b["ts"] + 1e-9 for a, b in zip(spans, spans[1:])), "descriptors overlap"
# Capped trace keeps the cap and says how many were dropped.
r = subprocess.run([dtqvp, "run", scenario, "-q", "--out", out, "--trace", f"{out}/capped.json",
                    "--trace-max-events", "5", "--set", "workload.dma_stream.bytes=64KiB"], capture_output=True, text=True)
assert r.returncode == 0, r
t = json.load(open(f"{out}/capped.json"))
assert len([e for e in t["traceEvents"] if e["ph"] == "X"]) == 5
assert [e for e in t["traceEvents"] if e.get("name") == "dropped_events"][0]["args"]["count"] == 11
# The VSSA study: one span per GEMM (12 heads x Q.K^T and prob.V) and R per iteration.
default = scenario.replace("dma_stream.yaml", "default.yaml")
subprocess.run([dtqvp, "run", default, "-q", "--out", out, "--trace", f"{out}/vssa.json"], check=True)
t = json.load(open(f"{out}/vssa.json"))["traceEvents"]
st = json.load(open(f"{out}/stats.json"))["stats"]
tracks = {e["args"]["name"]: e["tid"] for e in t if e.get("name") == "thread_name"}
assert "vssa" in tracks, tracks
assert len([e for e in t if e["ph"] == "X" and e["tid"] == tracks["vssa"]]) == 24
rs = [e for e in t if e["ph"] == "C" and e["name"] == "stall_ratio"]
assert len(rs) == st["vssa.iterations"]["value"], (len(rs), st["vssa.iterations"])
assert abs(sum(e["args"]["value"] for e in rs) / len(rs) - st["vssa.stall_ratio"]["value"]) < 1e-9
print("ok: trace checks hold")
# The attention layer through the firmware: one track per unit, the controller's command and
# the host's wait for its interrupt; 12 heads -> 24 VSSA spans, 12 softmax spans.
layer = scenario.replace("dma_stream.yaml", "attention_layer.yaml")
subprocess.run([dtqvp, "run", layer, "-q", "--out", out, "--trace", f"{out}/layer.json"], check=True)
t = json.load(open(f"{out}/layer.json"))["traceEvents"]
tracks = {e["args"]["name"]: e["tid"] for e in t if e.get("name") == "thread_name"}
for unit in ("ctrl", "host", "dma", "fetcher", "vssa", "softmax", "topk"):
    assert unit in tracks, (unit, tracks)
lanes = lambda u: {tid for name, tid in tracks.items() if name == u or name.startswith(u + " #")}
per = lambda u: [e for e in t if e["ph"] == "X" and e["tid"] in lanes(u)]
assert len(per("vssa")) == 24 and len(per("softmax")) == 12, (len(per("vssa")), len(per("softmax")))
assert [e["name"] for e in per("ctrl")] == ["ATTENTION"], per("ctrl")
assert len(per("topk")) == 13  # 12 importance accumulations + the two top-k engines
# The bottleneck track: one span per ATTENTION layer, named after the unit the stats name, the
# unit's busy cycles and every unit's in its arguments, covering the command's span.
lst = json.load(open(f"{out}/stats.json"))["stats"]
bn = per("bottleneck")
assert len(bn) == 1, bn
unit = [u for u in ("dma", "fetcher", "vssa", "softmax", "topk") if lst[f"attention.bottleneck.{u}_layers"]["value"] == 1]
assert len(unit) == 1 and bn[0]["name"] == f"{unit[0]} bounds the layer", (unit, bn[0]["name"])
a = bn[0]["args"]
assert a["busy_cycles"] == lst["attention.bottleneck_cycles"]["value"] == max(a[u] for u in ("dma", "fetcher", "vssa", "softmax", "topk"))
assert a["vssa"] == lst["attention.vssa_busy_cycles"]["value"] and a["dma"] == lst["attention.dma_busy_cycles"]["value"]
assert a["layer_cycles"] == lst["attention.cycles"]["value"]
print("ok: attention layer trace has", sorted(tracks))


def check_threads(events, what):
    """Every thread: spans in time order, strictly nested or disjoint (Perfetto's JSON
    importer nests the slices of a thread; a partial overlap is mis-drawn)."""
    by_tid = {}
    for e in events:
        if e["ph"] == "X":
            by_tid.setdefault(e["tid"], []).append(e)
    spans = 0
    for tid, es in by_tid.items():
        stack = []
        prev = None
        for e in es:  # in file order
            b, d = round(float(e["ts"]) * 1e6), round(float(e["dur"]) * 1e6)  # ps, exact
            assert prev is None or b >= prev, f"{what}: thread {tid}: {e['name']} at {b} before {prev}"
            prev = b
            while stack and stack[-1] <= b:
                stack.pop()
            assert not stack or b + d <= stack[-1], \
                f"{what}: thread {tid}: {e['name']} [{b}, {b + d}] partially overlaps a span ending at {stack[-1]}"
            stack.append(b + d)
            spans += 1
    return spans


assert check_threads(t, "attention_layer") == len([e for e in t if e["ph"] == "X"])
# A whole model (BERT-Base, one encoder layer): every thread of every unit nests strictly and is
# in time order; DRAM and L2 have a bandwidth counter whose integral is the bytes the stats count.
model = scenario.replace("dma_stream.yaml", "models/bert_base.yaml")
subprocess.run([dtqvp, "run", model, "-q", "--out", f"{out}/model", "--trace", f"{out}/model.json",
                "--set", "workload.model.layers=1", "--trace-max-events", "5000000"], check=True)
doc = json.load(open(f"{out}/model.json"))
t = doc["traceEvents"]
assert not [e for e in t if e.get("name") == "dropped_events"], "events dropped"
st = json.load(open(f"{out}/model/stats.json"))
tracks = {e["args"]["name"]: e["tid"] for e in t if e.get("name") == "thread_name"}
n = check_threads(t, "bert_base")
assert n == len([e for e in t if e["ph"] == "X"]) and n > 1000, n
assert len(lanes("dma")) > 1, sorted(tracks)  # the DMA's overlapping transfers are on several lanes
period_us = 1e6 / (st["config"]["clock_mhz"] * 1e6) if "clock_mhz" in st["config"] else 1e-3
for unit, keys in (("dram", ("dram.bytes_read", "dram.bytes_written")), ("l2", ("l2.bytes_read", "l2.bytes_written"))):
    assert unit in tracks, (unit, sorted(tracks))
    c = [e for e in t if e["ph"] == "C" and e["tid"] == tracks[unit] and e["name"] == "bandwidth"]
    assert len(c) > 10, (unit, len(c))
    ts = [float(e["ts"]) for e in c]
    assert ts == sorted(ts), f"{unit}: counter samples out of time order"
    # Each sample holds until the next: bytes = sum of rate x cycles.
    total = sum(e["args"]["bytes/cycle"] * (b - a) / period_us for e, a, b in zip(c, ts, ts[1:]))
    expect = sum(st["stats"][k]["value"] for k in keys)
    assert abs(total - expect) <= 1e-6 * expect, (unit, total, expect)
# dma.busy_cycles counts cycles with a descriptor in flight: never more than the run's cycles,
# nor than the sum over descriptors (which overlap here).
busy, dsum = st["stats"]["dma.busy_cycles"]["value"], st["stats"]["dma.descriptor_cycles_sum"]["value"]
assert 0 < busy <= st["sim"]["simulated_cycles"] and busy < dsum, (busy, dsum, st["sim"]["simulated_cycles"])
print(f"ok: whole-model trace: {n} spans on {len(tracks)} threads nest strictly, in time order; "
      f"DMA on {len(lanes('dma'))} lanes; DRAM and L2 bandwidth counters integrate to their bytes")
