#!/usr/bin/env python3
"""check_dma_busy_split.py DTQVP OUT: the DMA's busy cycles split exactly between the commands
that issued its descriptors. Each descriptor adds to attention.dma_busy_cycles or
compute.dma_busy_cycles what it adds to the union of the DMA's busy intervals
(dma.busy_cycles), so the two sum to it (docs/stats.md)."""
import json, subprocess, sys

exe, out = sys.argv[1:3]
subprocess.run([exe, "run", "bert_base", "--set", "workload.model.layers=1", "--set", "workload.model.seq=64",
                "--quiet", "--out", out], check=True)
s = {k: v["value"] for k, v in json.load(open(f"{out}/stats.json"))["stats"].items()}
att, comp, union = s["attention.dma_busy_cycles"], s["compute.dma_busy_cycles"], s["dma.busy_cycles"]
assert att > 0 and comp > 0, (att, comp)
assert att + comp == union, f"attention {att} + compute {comp} = {att + comp} != dma.busy_cycles {union}"
print(f"ok: attention {att} + compute {comp} = dma.busy_cycles {union}")
