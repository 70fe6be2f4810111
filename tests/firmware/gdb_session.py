#!/usr/bin/env python3
"""gdb-multiarch in batch mode against `dtqvp run ... --gdb PORT` (docs/firmware.md#debugging).

usage: gdb_session.py DTQVP SCENARIO ELF WORK_DIR GDB

Breaks at compute_checksum (a function of tests/firmware/user_prog.c), steps, reads a general
register (a1 = the element count 12 passed to compute_checksum), a variable (g_counter,
after `finish`: the checksum the program prints), a device register through the bus (the
controller's ID at 0x10000000 = 0x44545141, "DTQA"), continues to a clean exit (code 0).
"""
import os
import re
import socket
import subprocess
import sys
import time

dtqvp, scenario, elf, work, gdb = sys.argv[1:6]
os.makedirs(work, exist_ok=True)
with socket.socket() as s:  # a free port
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]

vp = subprocess.Popen([dtqvp, "run", scenario, "--set", f"workload.firmware_elf={elf}", "--out", os.path.join(work, "out"),
                       "--gdb", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
line = vp.stderr.readline()  # "dtqvp: waiting for GDB on localhost:PORT ..."
if "waiting for GDB" not in line:
    vp.kill()
    sys.exit(f"dtqvp did not wait for GDB: {line}")
cmds = ["set pagination off", "set confirm off", f"target remote :{port}", "break compute_checksum", "continue",
        "info registers a1", "stepi", "print $pc", "finish", "print g_counter", "x/wx 0x10000000", "continue"]
args = [gdb, "-q", "-batch", "-nx"] + sum((["-ex", c] for c in cmds), []) + [elf]
g = subprocess.run(args, capture_output=True, text=True, timeout=60)
out = g.stdout + g.stderr
vp_out, vp_err = vp.communicate(timeout=60)
vp_out += vp_err
print(out)
print(vp_out)
checksum = re.search(r"checksum ([0-9]+)", vp_out)
checks = [
    ("breakpoint hit", re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?compute_checksum", out)),
    ("a1 = 12 elements", re.search(r"a1\s+0xc\s+12", out)),
    ("stepi moved the pc", re.search(r"\$1 = \(void \(\*\)\(\)\) 0x[0-9a-f]+ <compute_checksum\+[0-9]+>", out)),
    ("finish returns the checksum", checksum and re.search(rf"Value returned is \$2 = {checksum.group(1)}\b", out)),
    ("g_counter = the printed checksum", checksum and re.search(rf"\$3 = {checksum.group(1)}\b", out)),
    ("device register ID through the bus", re.search(r"0x10000000:\s+0x44545141", out)),
    ("clean exit", re.search(r"exited normally", out)),
    ("dtqvp exit code 0", vp.returncode == 0),
]
bad = [name for name, ok in checks if not ok]
if bad:
    sys.exit("failed: " + ", ".join(bad))
print("ok")
