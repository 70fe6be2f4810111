#!/usr/bin/env python3
"""check_iss_cpi.py DTQVP SCENARIO_DIR WORK_DIR: the rv32 ISS's time (docs/timing-model.md#host-cpu-rv32):
host.cycles = floor(host.cpi x host.instructions) + the MMIO accesses' cost + the cycles asleep in WFI.

The firmware guide's example (firmware_hello: one DMA command, its interrupt awaited with WFI)
runs at host.cpi 1, 3 and 2.5. Its instruction stream does not depend on time (it sleeps, it
does not poll), so host.instructions and host.mmio_accesses must be the same in the three
runs, and what is left of host.cycles after the instructions (floor(cpi x I), the ISS charges
the cumulative product) and the WFI sleep must be the same too: the MMIO accesses' cost,
which does not depend on the CPI, at least host.access_cycles (1) each. A CPI that is
ignored, or charged per instruction block with its own rounding, or MMIO cost scaled by the
CPI, fails it."""
import json, math, os, subprocess, sys

dtqvp, scenarios, work = sys.argv[1], sys.argv[2], sys.argv[3]
fails = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)


runs = {}
for cpi in (1.0, 3.0, 2.5):
    out = os.path.join(work, f"cpi_{cpi}")
    p = subprocess.run([dtqvp, "run", os.path.join(scenarios, "firmware_hello.yaml"), "-q", "--out", out,
                        "--set", "host.cpu=rv32", "--set", f"host.cpi={cpi}"], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"cpi {cpi}: exit 0 (got {p.returncode}: {p.stderr.strip()[:300]})")
    if p.returncode != 0:
        continue
    with open(os.path.join(out, "stats.json")) as f:
        runs[cpi] = {k: v["value"] for k, v in json.load(f)["stats"].items()}

if len(runs) == 3:
    base = runs[1.0]
    I, n = base["host.instructions"], base["host.mmio_accesses"]
    check(I > 1000, f"host.instructions = {I} (the program ran)")
    mmio = {cpi: s["host.cycles"] - s["host.wfi_cycles"] - math.floor(cpi * s["host.instructions"]) for cpi, s in runs.items()}
    for cpi, s in runs.items():
        check(s["host.instructions"] == I, f"cpi {cpi}: host.instructions = {s['host.instructions']}, as at cpi 1 ({I})")
        check(s["host.mmio_accesses"] == n, f"cpi {cpi}: host.mmio_accesses = {s['host.mmio_accesses']}, as at cpi 1 ({n})")
        check(mmio[cpi] == mmio[1.0],
              f"cpi {cpi}: host.cycles {s['host.cycles']} - wfi {s['host.wfi_cycles']} - floor({cpi} x {I}) = {mmio[cpi]}, "
              f"the MMIO cost at cpi 1 ({mmio[1.0]})")
    check(mmio[1.0] >= n, f"MMIO cost {mmio[1.0]} >= {n} accesses x host.access_cycles 1")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
