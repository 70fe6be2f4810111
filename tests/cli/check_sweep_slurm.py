#!/usr/bin/env python3
"""`dtqvp sweep --backend slurm` on a real Slurm: the one-node cluster of
scripts/slurm-local.sh on this machine. The sweep's results.csv must equal the local
backend's. Exits 77 (ctest: skipped) with the reason when Slurm cannot run here (not
installed, not root, the daemons do not start); stops the daemons it started."""
import fcntl, os, shutil, subprocess, sys, time

SKIP = 77
dtqvp, script, sweep, work = (os.path.abspath(a) for a in sys.argv[1:5])


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


if os.geteuid() != 0:
    skip("needs root to start the Slurm daemons (scripts/slurm-local.sh)")
if not shutil.which("sbatch") or not shutil.which("slurmctld"):
    skip("Slurm is not installed (scripts/slurm-local.sh setup installs slurm-wlm and munge)")

shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
# One instance at a time on this machine: another one could stop the daemons under us.
lock = open("/tmp/dtqvp-slurm-test.lock", "w")
fcntl.lockf(lock, fcntl.LOCK_EX)

started = False
try:
    up = subprocess.run([script, "status"], capture_output=True, text=True, timeout=60)
    if up.returncode != 0:
        try:
            r = subprocess.run([script, "start"], capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, SLURM_LOCAL_TIMEOUT="60"))
        except subprocess.TimeoutExpired:
            started = True
            skip("scripts/slurm-local.sh start did not finish within 120 s")
        started = True
        if r.returncode != 0:
            skip(f"the Slurm daemons did not start:\n{r.stdout}{r.stderr}")
        print(r.stdout.strip())

    t = time.monotonic()
    r = subprocess.run([dtqvp, "sweep", sweep, "--out", f"{work}/local", "-q"], timeout=300)
    local_s = time.monotonic() - t
    assert r.returncode == 0, r.returncode
    t = time.monotonic()
    r = subprocess.run([dtqvp, "sweep", sweep, "--backend", "slurm", "--slurm-timeout", "240", "--out", f"{work}/slurm"],
                       capture_output=True, text=True, timeout=300)
    slurm_s = time.monotonic() - t
    print(r.stderr.strip())
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    local_csv = open(f"{work}/local/results.csv").read()
    slurm_csv = open(f"{work}/slurm/results.csv").read()
    assert slurm_csv == local_csv, "results.csv differs between --backend slurm and --backend local"
    n = len(local_csv.strip().split("\n")) - 1
    assert n >= 2, local_csv
    # Every point ran as a Slurm task: its output file exists.
    for i in range(n):
        assert os.path.exists(f"{work}/slurm/slurm/task-{i}.out"), i
    # --collect gives the same file again.
    os.remove(f"{work}/slurm/results.csv")
    r = subprocess.run([dtqvp, "sweep", sweep, "--collect", f"{work}/slurm", "-q"], timeout=60)
    assert r.returncode == 0 and open(f"{work}/slurm/results.csv").read() == local_csv
    print(f"ok: {n} points through Slurm in {slurm_s:.1f} s ({60 * n / slurm_s:.1f} points/min), "
          f"locally in {local_s:.2f} s ({60 * n / local_s:.1f} points/min); results.csv identical")
finally:
    if started:
        subprocess.run([script, "stop"], timeout=60)
