#!/usr/bin/env python3
"""Runs a scenario and checks the schema of DIR/stats.json (docs/user-guide.md#annotated-statsjson)."""
import json, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
subprocess.run([dtqvp, "run", scenario, "--out", out, "--quiet"], check=True)
with open(f"{out}/stats.json") as f:
    j = json.load(f)
assert set(j) >= {"scenario", "config", "sim", "stats"}, j.keys()
assert isinstance(j["scenario"], str) and j["scenario"]
assert isinstance(j["config"], dict) and j["config"]["name"] == j["scenario"]
for k in ("simulated_cycles", "wall_seconds", "cycles_per_second"):
    assert isinstance(j["sim"][k], (int, float)), k
assert j["sim"]["simulated_cycles"] > 0
for key, s in j["stats"].items():
    assert set(s) == {"value", "unit", "description"}, (key, s)
    assert "." in key, key
    assert s["value"] is None or isinstance(s["value"], (int, float)), key
    assert isinstance(s["unit"], str) and isinstance(s["description"], str) and s["description"], key
for key in ("dram.bytes_read", "dram.bytes_written"):
    assert key in j["stats"], key
print(f"ok: {len(j['stats'])} statistics")
