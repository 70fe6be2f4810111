#!/usr/bin/env python3
"""Issue 20, item 1: no hang. Firmware runs have the watchdog (real progress: a command
completed or in flight, memory traffic, computation; polling is not progress) and every
run has a budget of simulated cycles and wall-clock time, with the state dump; legal long
runs whose commands outlast the watchdog's timeout are not stopped."""
import sys
from common import run

dtqvp, sc, work = sys.argv[1:4]
fw = f"{sc}/firmware_selftest.yaml"
# The hostile inputs of the issue: too little DRAM for the firmware's ring and data is a
# configuration error, at its position, before anything runs.
for size, need in (("4KiB", "2105600"), ("64KiB", "2105600"), ("1MiB", "2105600")):
    run([dtqvp, "run", fw, "--quiet", "--out", f"{work}/out", "--set", f"dram.size={size}"], 2,
        rf"--set dram.size={size}: dram.size: expected at least {need}", max_seconds=30)
# A register that always fails to read: the self-test polls IRQ_STATUS for ever. The
# watchdog stops it (only register accesses, controller idle) with the controller's state.
poll = [dtqvp, "run", fw, "--quiet", "--out", f"{work}/poll", "--set", "faults.reg_read_error_address=CMD_HEAD",
        "--set", "faults.reg_read_error_count=0"]
out = run(poll + ["--set", "watchdog.timeout_cycles=1000"], 3,
          r"watchdog: no progress for 1000 cycles at cycle [0-9]+: firmware 'selftest'", max_seconds=60)
assert "controller state:" in out and "ctrl.CMD_HEAD" in out, out
# The budget of simulated cycles, with the watchdog out of the way.
out = run(poll + ["--set", "watchdog.timeout_cycles=1000000000000", "--set", "budget.max_cycles=200000"], 3,
          r"run budget: the run reached budget.max_cycles = 200000 simulated cycles", max_seconds=60)
assert "controller state:" in out and "host: firmware 'selftest' running" in out, out
# The wall-clock budget.
run(poll + ["--set", "watchdog.timeout_cycles=1000000000000", "--set", "budget.max_cycles=0",
            "--set", "budget.wall_seconds=1"], 3,
    r"run budget: the run took budget.wall_seconds = 1 s of wall-clock time", max_seconds=60)
# Real progress: commands longer than the timeout complete (a whole model layer, timing
# mode), and an attention study whose GEMMs' time exceeds it finishes.
run([dtqvp, "run", f"{sc}/models/bert_base.yaml", "--quiet", "--out", f"{work}/out", "--set", "mode=timing",
     "--set", "workload.model.layers=1", "--set", "watchdog.timeout_cycles=1000"], 0, max_seconds=120)
run([dtqvp, "run", f"{sc}/compare_bert_base.yaml", "--quiet", "--out", f"{work}/out", "--set", "watchdog.timeout_cycles=1000"], 0,
    max_seconds=120)
# The dma stream's own watchdog still fires on a transfer slower than the timeout.
run([dtqvp, "run", f"{sc}/dma_stream.yaml", "--quiet", "--out", f"{work}/out", "--set", "dram.latency_cycles=100000",
     "--set", "watchdog.timeout_cycles=1000"], 3, r"watchdog: no progress for 1000 cycles")
print("ok: no hang")
