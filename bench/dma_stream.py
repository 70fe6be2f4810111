#!/usr/bin/env python3
"""DMA stream benchmark: simulated bytes moved per wall second, with and without L2,
in functional and timing mode. Usage: bench/dma_stream.py [build/dtqvp] [bytes]"""
import json, subprocess, sys, tempfile, os

dtqvp = sys.argv[1] if len(sys.argv) > 1 else "build/dtqvp"
nbytes = sys.argv[2] if len(sys.argv) > 2 else "256MiB"
here = os.path.dirname(os.path.abspath(__file__))
scenario = os.path.join(here, "..", "scenarios", "dma_stream.yaml")
rows = []
for l2 in ("true", "false"):
    for mode in ("functional", "timing"):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([dtqvp, "run", scenario, "--quiet", "--out", out,
                            "--set", f"l2.enabled={l2}", "--set", f"mode={mode}",
                            "--set", f"workload.dma_stream.bytes={nbytes}"], check=True)
            j = json.load(open(os.path.join(out, "stats.json")))
        wall = j["sim"]["wall_seconds"]
        moved = j["stats"]["dma.bytes"]["value"]
        rows.append((l2, mode, moved, j["sim"]["simulated_cycles"], wall, moved / wall))
print(f"{'l2':<6} {'mode':<11} {'bytes':>12} {'sim cycles':>12} {'wall s':>8} {'sim bytes/wall s':>17}")
for l2, mode, moved, cyc, wall, rate in rows:
    print(f"{l2:<6} {mode:<11} {moved:>12} {cyc:>12} {wall:>8.3f} {rate/1e9:>13.2f} GB/s")
