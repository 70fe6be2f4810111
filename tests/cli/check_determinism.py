#!/usr/bin/env python3
"""The same scenario and seed give byte-identical stats.json apart from the
wall-clock fields (sim.wall_seconds, sim.cycles_per_second), run to run."""
import json, subprocess, sys

dtqvp, out = sys.argv[1], sys.argv[2]
scenarios = sys.argv[3:]
for sc in scenarios:
    texts = []
    for run in range(2):
        d = f"{out}/{run}"
        subprocess.run([dtqvp, "run", sc, "-q", "--out", d], check=True)
        j = json.load(open(f"{d}/stats.json"))
        for k in ("wall_seconds", "cycles_per_second"):
            j["sim"].pop(k)
        texts.append(json.dumps(j, sort_keys=True))
    assert texts[0] == texts[1], f"{sc}: stats differ between two runs"
print(f"ok: {len(scenarios)} scenarios deterministic")
