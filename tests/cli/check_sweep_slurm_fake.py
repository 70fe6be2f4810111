#!/usr/bin/env python3
"""`dtqvp sweep --backend slurm` against stand-ins for sbatch and squeue (fake_slurm/):
the job script, the job id, results equal to the local backend's, the errors (sbatch
missing, submission refused, a failing point, a timeout), resume and --collect. Needs no
Slurm; check_sweep_slurm.py runs the same backend on a real one."""
import json, os, re, shutil, subprocess, sys

dtqvp, sweep, work = (os.path.abspath(a) for a in sys.argv[1:4])
fake = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_slurm")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
state = f"{work}/queue.txt"


def sweep_cmd(*args, mode="run", path=None, sweep_file=sweep):
    env = dict(os.environ, FAKE_SLURM_MODE=mode, FAKE_SLURM_STATE=state,
               PATH=path if path is not None else fake + os.pathsep + os.environ["PATH"])
    return subprocess.run([dtqvp, "sweep", sweep_file, *args], capture_output=True, text=True, env=env, timeout=120)


def csv_of(d):
    return open(f"{d}/results.csv").read()


local = subprocess.run([dtqvp, "sweep", sweep, "--out", f"{work}/local", "-q"])
assert local.returncode == 0

# The array job: one task per point, each the local worker; same results.csv.
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/slurm", "--slurm-partition", "debug", "--slurm-time", "5:00")
assert r.returncode == 0, r.stderr
assert "submitted Slurm job 4242 (4 tasks" in r.stderr, r.stderr
script = open(f"{work}/slurm/slurm/sweep.sbatch").read()
for line in ("#SBATCH --array=0-3\n", "#SBATCH --partition=debug\n", "#SBATCH --time=5:00\n",
             f"#SBATCH --chdir={os.getcwd()}\n", '--run-point "$SLURM_ARRAY_TASK_ID"\n'):
    assert line in script, (line, script)
assert open(f"{work}/slurm/slurm/job_id").read() == "4242\n"
assert csv_of(f"{work}/slurm") == csv_of(f"{work}/local"), "slurm and local results differ"
j = json.load(open(f"{work}/slurm/results.json"))
assert [p["exit_code"] for p in j["points"]] == [0, 0, 0, 0]

# Resume: every point is done, nothing is submitted (a submission would be refused).
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/slurm", mode="reject")
assert r.returncode == 0 and "4 of 4 points already done" in r.stderr, r.stderr

# --collect rewrites the results from the point directories alone, from another directory.
os.remove(f"{work}/slurm/results.csv")
r = subprocess.run([dtqvp, "sweep", os.path.abspath(sweep), "--collect", os.path.abspath(f"{work}/slurm")],
                   capture_output=True, text=True, cwd="/", timeout=60)
assert r.returncode == 0, r.stderr
assert csv_of(f"{work}/slurm") == csv_of(f"{work}/local")

# squeue no longer knowing the job means it finished; -j N caps the running tasks.
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/purged", "-j", "2", mode="purged")
assert r.returncode == 0, r.stderr
assert "#SBATCH --array=0-3%2\n" in open(f"{work}/purged/slurm/sweep.sbatch").read()
assert csv_of(f"{work}/purged") == csv_of(f"{work}/local")

# sbatch missing: exit 2, the script is still written.
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/nosbatch", path="/nonexistent")
assert r.returncode == 2 and "sbatch not found on PATH" in r.stderr, (r.returncode, r.stderr)
assert os.path.exists(f"{work}/nosbatch/slurm/sweep.sbatch")

# Submission refused: exit 2 with sbatch's own message.
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/rejected", mode="reject")
assert r.returncode == 2, r.returncode
assert "sbatch did not submit" in r.stderr and "Invalid partition name specified" in r.stderr, r.stderr

# Tasks that never run: --slurm-timeout stops the wait, the points have no result (exit 3).
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/pending", "--slurm-timeout", "1", mode="pending")
assert r.returncode == 3, (r.returncode, r.stderr)
assert "timed out after 1 s waiting for Slurm job 4242: 4 of 4 tasks not finished" in r.stderr, r.stderr
assert "scancel 4242" in r.stderr and "--collect" in r.stderr, r.stderr
j = json.load(open(f"{work}/pending/results.json"))
assert [p["exit_code"] for p in j["points"]] == [-1, -1, -1, -1]
# A second submission while the first job still has tasks is refused.
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/pending", mode="pending")
assert r.returncode == 2 and "Slurm job 4242 of an earlier" in r.stderr, r.stderr
# What the task output says is reported for a point without a result.
open(f"{work}/pending/slurm/task-2.out", "w").write(
    "slurmstepd: error: *** JOB 4245 ON node1 CANCELLED AT 2024-01-01T00:00:00 DUE TO TIME LIMIT ***\n")
r = subprocess.run([dtqvp, "sweep", sweep, "--collect", f"{work}/pending"], capture_output=True, text=True, timeout=60)
assert r.returncode == 3, r.returncode
assert re.search(r"point 2 has no result \(.*task-2.out: .*DUE TO TIME LIMIT", r.stderr), r.stderr
assert "4 of 4 points have no result" in r.stderr, r.stderr

# A failing point is reported per point, as by the local backend; the others run.
bad = f"{work}/bad.yaml"
open(bad, "w").write(f"base: {os.path.abspath(os.path.join(os.path.dirname(sweep), '..', 'dma_stream.yaml'))}\n"
                     "points:\n  - {faults.dma_error_address: 0x100010000}\n  - {dram.size: 1GiB}\n")
r = sweep_cmd("--backend", "slurm", "--out", f"{work}/bad", sweep_file=bad)
assert r.returncode == 3, (r.returncode, r.stderr)
assert "point 0 failed with exit code 3" in r.stderr, r.stderr
j = json.load(open(f"{work}/bad/results.json"))
assert [p["exit_code"] for p in j["points"]] == [3, 0]
print("ok: slurm backend checks hold against fake sbatch/squeue")
