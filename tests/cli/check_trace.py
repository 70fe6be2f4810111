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
print("ok: trace checks hold")
