#!/usr/bin/python3
"""The dtqvp side of the DRAMSys comparison (docs/timing-model.md#jedec-dram-dramsys), as JSON:
writes the shared traces with tools/dramsys_traces.py into a temporary folder, runs
`dtqvp dram-streams --preset ddr4-3200 --trace T.stl [--queue-depth N]` on each and prints
{trace: {"w32": {"end_ns", "efficiency"}, "w4096": {...}}}. The DRAMSys side cannot be rerun
here (DRAMSys is not part of the build). Usage: tools/dramsys_dtqvp_side.py [BUILD]"""
import json, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build")
exe = os.path.join(build, "dtqvp")
out = {}
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["/usr/bin/python3", os.path.join(here, "dramsys_traces.py"), tmp], check=True, stdout=subprocess.DEVNULL)
    for t in ("seq_read", "seq_write", "rand_1bank", "rand_read", "rand_rw"):
        out[t] = {}
        for depth in (32, 4096):
            p = subprocess.run([exe, "dram-streams", "--preset", "ddr4-3200", "--trace",
                                os.path.join(tmp, "traces", t + ".stl"), "--queue-depth", str(depth)],
                               check=True, capture_output=True, text=True)
            head, row = [l.split() for l in p.stdout.strip().splitlines()[:2]]
            # columns: preset requests "end tCK" "end ns" efficiency GB/s "read lat ns"
            out[t][f"w{depth}"] = {"requests": int(row[1]), "end_tck": int(row[2]), "end_ns": float(row[3]),
                                   "efficiency": float(row[4])}
print(json.dumps(out, indent=1))
