#!/usr/bin/env python3
"""Issue 20, item 3: every output write is checked. A full or unwritable destination is
exit code 3 naming the file; a device is written in place, never replaced; --trace and
--vcd never overwrite another output of the run."""
import json, os, stat, subprocess, sys
from common import run

dtqvp, sc, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
stream = [dtqvp, "run", f"{sc}/dma_stream.yaml", "--quiet", "--set", "workload.dma_stream.bytes=64KiB"]
hello = [dtqvp, "run", f"{sc}/firmware_hello.yaml", "--quiet"]

def is_device(p):
    return stat.S_ISCHR(os.stat(p).st_mode)

# A full device: the trace, the VCD, stdout.
run(stream + ["--out", f"{work}/a", "--trace", "/dev/full"], 3, r"cannot write the trace /dev/full: write failed")
assert is_device("/dev/full")
run(hello + ["--out", f"{work}/b", "--vcd", "/dev/full"], 3, r"cannot write /dev/full: write failed")
assert is_device("/dev/full") and not os.path.exists("/dev/full.vcd"), "--vcd /dev/full wrote /dev/full.vcd"
with open("/dev/full", "w") as full:
    run([dtqvp, "report", "--model", "bert-base", "--json"], 3, r"cannot write standard output", stdout=full)
    run([dtqvp, "config-doc"], 3, r"cannot write standard output", stdout=full)
# /dev/null is written in place and stays a device.
run(stream + ["--out", f"{work}/c", "--trace", "/dev/null"], 0)
assert is_device("/dev/null")
# An unwritable place.
run(stream + ["--out", f"{work}/d", "--trace", "/nonexistent/t.json"], 3, r"cannot write the trace /nonexistent/t.json")
run(hello + ["--out", f"{work}/e", "--vcd", "/nonexistent/h.vcd"], 3, r"cannot write /nonexistent/h.vcd")
# gemms.json (functional runs) unwritable: exit 3 naming it, not exit 0 with an empty file.
os.makedirs(f"{work}/k/gemms.json", exist_ok=True)
run([dtqvp, "run", f"{sc}/firmware_hello.yaml", "--quiet", "--out", f"{work}/k", "--set", "workload.firmware_app=attention",
     "--set", "workload.attention.seq=16", "--set", "workload.attention.heads=1"], 3, r"cannot write .*/k/gemms.json: it is a directory")
# Outputs that would overwrite another output of the run (or the scenario).
os.makedirs(f"{work}/f", exist_ok=True)
with open(f"{work}/f/stats.json", "w") as s:
    s.write('{"keep": true}\n')
run(stream + ["--out", f"{work}/f", "--trace", f"{work}/f/stats.json"], 2,
    r"--trace .*/f/stats.json: is also --out .*/f's stats.json: give each output its own file")
assert json.load(open(f"{work}/f/stats.json")) == {"keep": True}, "the statistics were overwritten"
run(stream + ["--out", f"{work}/g", "--trace", f"{work}/same", "--vcd", f"{work}/same"], 2, r"--vcd .*/same: is also --trace")
run(stream + ["--out", f"{work}/g", "--trace", f"{sc}/dma_stream.yaml"], 2, r"is also the scenario")
run(stream + ["--out", f"{work}/g", "--trace", work], 2, r"--trace .*: is a directory, expected a file name")
# A good run writes complete files and leaves no temporary behind.
run(hello + ["--out", f"{work}/h", "--trace", f"{work}/h.json", "--vcd", f"{work}/h.vcd"], 0)
assert json.load(open(f"{work}/h/stats.json"))["sim"]["simulated_cycles"] > 0
json.load(open(f"{work}/h.json"))
assert open(f"{work}/h.vcd").read().startswith("$date") or "$timescale" in open(f"{work}/h.vcd").read()
left = [n for d in (work, f"{work}/h") for n in os.listdir(d) if ".tmp-" in n]
assert not left, f"temporary files left: {left}"
# --vcd at clocks whose period is not a power of ten (500 MHz: 2000 ps, 800 MHz: 1250 ps): the
# controller's recorder writes a 1 ps time unit, so every change lies exactly on the clock grid.
import re as _re
for mhz, period in ((500, 2000), (800, 1250)):
    run(hello + ["--out", f"{work}/i{mhz}", "--set", f"clock_mhz={mhz}", "--vcd", f"{work}/i{mhz}.vcd"], 0)
    vcd = open(f"{work}/i{mhz}.vcd").read()
    assert "1 ps" in vcd.split("$timescale", 1)[1].split("$end", 1)[0], vcd[:400]
    times = [int(t) for t in _re.findall(r"^#(\d+)$", vcd, _re.M)]
    assert times and all(t % period == 0 for t in times), (mhz, [t for t in times if t % period][:5])
print("ok: checked writes")
