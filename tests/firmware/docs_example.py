#!/usr/bin/env python3
"""docs/firmware.md#your-own-program, as a reader would follow it: the C file the page shows
(the ```c block that starts with /* myprog.c */) is written to an empty directory, built with
sw/fw-build and run twice, with and without an argument; the outputs the page shows must appear.

usage: docs_example.py SOURCE_DIR DTQVP WORK_DIR"""
import os
import re
import subprocess
import sys

src, dtqvp, work = (os.path.abspath(p) for p in sys.argv[1:4])
os.makedirs(work, exist_ok=True)
doc = open(os.path.join(src, "docs", "firmware.md")).read()
m = re.search(r"```c\n(/\* myprog\.c \*/\n.*?)```", doc, re.S)
if not m:
    sys.exit("docs/firmware.md: no ```c block starting with /* myprog.c */")
with open(os.path.join(work, "myprog.c"), "w") as f:
    f.write(m.group(1))
subprocess.run([os.path.join(src, "sw", "fw-build"), "-o", "myprog.elf", "myprog.c"], cwd=work, check=True)
sc = os.path.join(src, "scenarios", "firmware_hello.yaml")
a = subprocess.run([dtqvp, "run", sc, "--set", "workload.firmware_elf=myprog.elf", "--out", "out1"], cwd=work,
                   capture_output=True, text=True)
b = subprocess.run([dtqvp, "run", sc, "--set", "workload.firmware_elf=myprog.elf", "--set", "workload.firmware_args=again",
                    "--out", "out2"], cwd=work, capture_output=True, text=True)
ok = (a.returncode == 0 and "myprog: ID 0x44545141, 0 argument(s), marker 0x600d" in a.stdout and
      b.returncode == 1 and "dtqvp: check failed: firmware 'myprog.elf' exited with 7" in b.stderr and
      "1 argument(s)" in b.stdout and "myprog: argv[1] = again" in b.stdout)
print(a.stdout, a.stderr, b.stdout, b.stderr)
sys.exit(0 if ok else "the outputs docs/firmware.md shows did not appear")
