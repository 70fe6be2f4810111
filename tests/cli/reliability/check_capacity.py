#!/usr/bin/env python3
"""Issue 20, item 5: configurations that used to fail only at run time, with firmware-level
messages, are rejected by `check` (and by `run` before anything is simulated) at the key's
position with the value that works; that value then runs."""
import os, sys
from common import run

dtqvp, sc, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
bert, gpt2 = f"{sc}/models/bert_base.yaml", f"{sc}/models/gpt2.yaml"
tiny = ["--set", "mode=timing", "--set", "workload.model.layers=1"]

def both(args, regex):
    """check and run reject it the same way (exit 2, no simulation)."""
    run([dtqvp, "check"] + args, 2, regex, max_seconds=30)
    run([dtqvp, "run", args[0], "--quiet", "--out", f"{work}/o"] + args[1:], 2, regex, max_seconds=30)

# seq above 512 with the default line buffers (64 KiB): two heads of 1024 x 64 need 128 KiB.
both([bert, "--set", "workload.model.seq=1024"],
     r"bert_base.yaml: linebuf.size: expected at least 131072 \(128 KiB\): each of QBUF, KBUF, VBUF holds two heads of "
     r"seq x head_dim = 1024 x 64")
# ... set at a position: the message points at it.
both([bert, "--set", "workload.model.seq=1024", "--set", "linebuf.size=64KiB"], r"--set linebuf.size=64KiB: linebuf.size: expected at least 131072")
# The value given runs.
run([dtqvp, "run", bert, "--quiet", "--out", f"{work}/ok1"] + tiny + ["--set", "workload.model.seq=1024", "--set", "linebuf.size=128KiB"], 0)
# gpt2: seq + decode_tokens above the encoder app's 4096.
both([gpt2, "--set", "workload.model.seq=4000", "--set", "workload.model.decode_tokens=200", "--set", "linebuf.size=1MiB"],
     r"--set workload.model.decode_tokens=200: workload.model.decode_tokens: expected at most 96 \(seq \+ decode_tokens <= 4096")
# Firmware in too little DRAM (the ring at +1 MiB, data at +2 MiB).
both([f"{sc}/firmware_selftest.yaml", "--set", "dram.size=1MiB"], r"--set dram.size=1MiB: dram.size: expected at least 2105600")
both([f"{sc}/firmware_hello.yaml", "--set", "dram.size=1MiB"], r"dram.size: expected at least 2097408")
run([dtqvp, "run", f"{sc}/firmware_hello.yaml", "--quiet", "--out", f"{work}/ok2", "--set", "dram.size=2097408"], 0)
# A firmware app that checks its data, in timing mode.
both([f"{sc}/firmware_hello.yaml", "--set", "mode=timing"], r"--set mode=timing: mode: expected functional with workload.firmware_app hello")
# A model larger than DRAM.
both([bert, "--set", "dram.size=4KiB"], r"--set dram.size=4KiB: dram.size: expected at least [0-9]+ \([0-9.]+ [KM]iB\): the weights")
# VS-Quant with one-element vectors and 8-bit scales: the B panels do not fit.
both([f"{sc}/models/bert_base_quant.yaml", "--set", "workload.model.precision=vsquant", "--set", "vsquant.vector_size=1"],
     r"--set vsquant.vector_size=1: vsquant.vector_size: expected at least 3 with vsquant.scale_bits 8: a VS-Quant B panel")
# Small scratchpad for the vector ops' rows.
both([bert, "--set", "scratchpad.size=16KiB"], r"--set scratchpad.size=16KiB: scratchpad.size: expected at least 49152")
print("ok: capacity rules")
