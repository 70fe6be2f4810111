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
per = lambda u: [e for e in t if e["ph"] == "X" and e["tid"] == tracks[u]]
assert len(per("vssa")) == 24 and len(per("softmax")) == 12, (len(per("vssa")), len(per("softmax")))
assert [e["name"] for e in per("ctrl")] == ["ATTENTION"], per("ctrl")
assert len(per("topk")) == 13  # 12 importance accumulations + the two top-k engines
print("ok: attention layer trace has", sorted(tracks))
