#!/usr/bin/env python3
"""Issue 20, item 2: bounded memory where input claims a size. A sweep grid larger than
the limit is refused before anything is built; a .npy header is checked against the file
size before any allocation; the memory cap turns an allocation failure into exit code 2
naming the input."""
import os, struct, sys
from common import run

dtqvp, sc, work, sanitized = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] in ("1", "ON", "TRUE", "true")
os.makedirs(work, exist_ok=True)

def npy(path, shape, body=b""):
    header = "{'descr': '|i1', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(d) for d in shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body)

# A .npy of a few bytes whose header claims 4 GiB (and one claiming more than 1 TiB).
small = f"{work}/claims_4GiB.npy"
npy(small, (16, 268435456), b"0123456789")
run([dtqvp, "check", f"{sc}/models/bert_base.yaml", "--set", f"workload.model.input={small}"], 2,
    r"truncated body: shape \(16, 268435456\) of int8 needs 4294967296 bytes, the file has 10", max_seconds=20, max_rss_mib=400)
run([dtqvp, "run", f"{sc}/models/bert_base.yaml", "--quiet", "--out", f"{work}/o1", "--set", f"workload.model.input={small}"], 2,
    r"truncated body", max_seconds=30, max_rss_mib=400)
huge = f"{work}/claims_huge.npy"
npy(huge, (1000000, 1000000, 1000))
run([dtqvp, "check", f"{sc}/models/bert_base.yaml", "--set", f"workload.model.input={huge}"], 2, r"is too large", max_seconds=20)

# Sweep grids: 10 keys x 10 values (10^10 points) and 7 x 10 (10^7): refused at once.
base = os.path.abspath(f"{sc}/dma_stream.yaml")
for keys in (10, 7):
    f = f"{work}/grid{keys}.yaml"
    with open(f, "w") as g:
        g.write(f"base: {base}\ngrid:\n")
        for k in ["dram.bytes_per_cycle", "dram.latency_cycles", "bus.latency_cycles", "dma.setup_cycles", "l2.hit_latency_cycles",
                  "seed", "scratchpad.bytes_per_cycle", "linebuf.bytes_per_cycle", "accumulator.bytes_per_cycle",
                  "l2.bytes_per_cycle"][:keys]:
            g.write(f"  {k}: [{', '.join(str(v) for v in range(1, 11))}]\n")
    run([dtqvp, "sweep", f, "--out", f"{work}/sw{keys}"], 2,
        r"grid: 10( x 10)+ values give more than 100000 points, the largest sweep dtqvp runs", max_seconds=20, max_rss_mib=400)
    assert not os.path.exists(f"{work}/sw{keys}"), "a refused sweep created its output directory"
# A long list of points (beyond the limit) is refused too.
f = f"{work}/list.yaml"
with open(f, "w") as g:
    g.write(f"base: {base}\npoints:\n" + "".join(f"  - {{seed: {i}}}\n" for i in range(100001)))
run([dtqvp, "sweep", f, "--out", f"{work}/swl"], 2, r"points: 100001 points, more than 100000", max_seconds=60)

# The memory cap: a functional BERT-Large with its weights written into DRAM pages needs far
# more than 64 MiB of data (24 layers x 12.6 MB of int8 weights); with the weights as generated
# DRAM ranges (the default, docs/performance.md#generated-weights) it runs within the cap.
if not sanitized:  # AddressSanitizer's shadow memory rules out a data limit: the cap is off there
    run([dtqvp, "run", f"{sc}/models/bert_large.yaml", "--quiet", "--out", f"{work}/o2", "--set", "mode=functional",
         "--set", "workload.model.weight_store=written", "--max-memory", "64MiB"], 2,
        r"models/bert_large.yaml: out of memory: the input needs more than the memory cap of 64 MiB", max_seconds=60)
    run([dtqvp, "run", f"{sc}/models/bert_large.yaml", "--quiet", "--out", f"{work}/o3", "--set", "mode=functional",
         "--max-memory", "64MiB"], 0, max_seconds=60)
run([dtqvp, "check", f"{sc}/default.yaml", "--max-memory", "lots"], 2, r"--max-memory lots: expected a size")
run([dtqvp, "check", f"{sc}/default.yaml", "--max-memory", "1KiB"], 2, r"--max-memory 1KiB: expected 0 \(none\) or at least 16 MiB")
print("ok: bounded memory")
