#!/usr/bin/env python3
"""Issue 20, item 4: sweep results are never silently stale or replaced. Resume is keyed by
a hash of each point's resolved configuration and of the dtqvp binary; a point with an
invalid stats.json runs again; another sweep into a used --out is refused without --force;
a signal to the sweep reaches its workers."""
import csv, os, shutil, signal, subprocess, sys, time
from common import run

dtqvp, sc, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
sc = os.path.abspath(sc)

def base(nbytes):
    with open(f"{work}/base.yaml", "w") as f:
        f.write(f"include: {sc}/presets/survey_fig11.yaml\nname: s\nmode: timing\n"
                f"workload: {{kind: dma_stream, dma_stream: {{bytes: {nbytes}, chunk_bytes: 4 KiB}}}}\n")

def cycles(out):
    return [int(r["simulated_cycles"]) if r["simulated_cycles"] else None for r in csv.DictReader(open(f"{out}/results.csv"))]

base("64 KiB")
sweep = f"{work}/sweep.yaml"
open(sweep, "w").write("base: base.yaml\npoints:\n  - {dram.bytes_per_cycle: 16}\n  - {dram.bytes_per_cycle: 64}\n")
out = f"{work}/out"
run([dtqvp, "sweep", sweep, "--out", out, "-q"], 0)
c0 = cycles(out)
assert all(c0), c0
run([dtqvp, "sweep", sweep, "--out", out], 0, r"2 of 2 points already done")
# The base changes: both points run again, with new numbers, and the sweep says why.
base("128 KiB")
o = run([dtqvp, "sweep", sweep, "--out", out], 0, r"point 0: its configuration .* changed since it ran: running it again")
assert "already done" not in o, o
c1 = cycles(out)
assert all(b > a for a, b in zip(c0, c1)), (c0, c1)
# A truncated stats.json: the point runs again (not "done for ever", not exit code 126).
p1 = f"{out}/points/0001/stats.json"
open(p1, "w").write(open(p1).read()[:50])
run([dtqvp, "sweep", sweep, "--out", out], 0,
    r"point 1: .*points/0001/stats.json is missing or not a valid statistics file: running it again")
assert cycles(out) == c1, (cycles(out), c1)
# Another sweep into the same --out: refused; with --force its points replace these.
other = f"{work}/other.yaml"
open(other, "w").write("base: base.yaml\npoints:\n  - {dram.bytes_per_cycle: 32}\n")
run([dtqvp, "sweep", other, "--out", out], 2, r"--out .*/out holds the points of another sweep .*--force")
assert cycles(out) == c1
run([dtqvp, "sweep", other, "--out", out, "--force"], 0, r"--force: removed the points")
assert not os.path.exists(f"{out}/points/0001") and len(cycles(out)) == 1
# --collect of a directory: its results files come from its points only.
run([dtqvp, "sweep", other, "--collect", out], 0)
# A results file that cannot be written is exit code 3 naming it (not exit 0 with an empty file).
os.remove(f"{out}/results.csv")
os.makedirs(f"{out}/results.csv")
run([dtqvp, "sweep", other, "--collect", out], 3, r"cannot write .*/out/results.csv: it is a directory")
run([dtqvp, "sweep", other, "--out", out], 3, r"cannot write .*/out/results.csv: it is a directory")
os.rmdir(f"{out}/results.csv")

# Signals: SIGTERM to the sweep alone stops its workers too (no orphans).
poll = f"{work}/poll.yaml"
open(poll, "w").write(f"include: {sc}/firmware_selftest.yaml\nfaults: {{reg_read_error_address: CMD_HEAD, reg_read_error_count: 0}}\n"
                      "watchdog: {timeout_cycles: 1000000000000}\nbudget: {max_cycles: 0, wall_seconds: 120}\n")
long = f"{work}/long.yaml"
open(long, "w").write("base: poll.yaml\npoints:\n  - {seed: 1}\n  - {seed: 2}\n")
for sig in (signal.SIGTERM, signal.SIGINT):
    p = subprocess.Popen([dtqvp, "sweep", long, "-j", "2", "--out", f"{work}/long{int(sig)}", "--force"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers, t0 = [], time.monotonic()
    while len(workers) < 2 and time.monotonic() - t0 < 60:
        time.sleep(0.2)
        workers = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    st = open(f"/proc/{d}/stat").read()
                except OSError:
                    continue
                if int(st.rsplit(")", 1)[1].split()[1]) == p.pid:
                    workers.append(int(d))
    assert len(workers) == 2, f"the sweep did not start its 2 workers: {workers}"
    p.send_signal(sig)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == -sig, (p.returncode, err)
    assert "stopped by signal" in err, err
    for w in workers:
        alive = os.path.exists(f"/proc/{w}") and " Z " not in open(f"/proc/{w}/stat").read()
        assert not alive, f"worker {w} still runs after signal {sig}"
    print(f"ok: signal {int(sig)} reached both workers")
print("ok: sweep resume, reuse and signals")
