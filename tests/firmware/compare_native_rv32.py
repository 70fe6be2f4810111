#!/usr/bin/env python3
"""Every shipped app, native (host.cpu native) against its rv32 ELF on the ISS (host.cpu rv32).

usage: compare_native_rv32.py DTQVP SCENARIO_DIR WORK_DIR

For each app both runs must:
  - exit with 0;
  - print the same program output (console.txt), line by line; in lines that report time or
    memory traffic ("cycles", "DRAM") the numbers may differ, since the two host CPU models
    take different times and touch the L2 differently (docs/firmware.md#native-and-rv32);
  - send the accelerator the same command stream: the controller's commands in the trace
    (opcode, ring index, tag, error), in order;
  - compute the same results: the statistics that are results (commands, DMA bytes, the
    encoder's accuracy against its all-8-bit reference, exact to the last digit).
The host-side counters (host.instructions, host.cycles, host.mmio_accesses) differ and are
printed.
"""
import json
import os
import re
import subprocess
import sys

dtqvp, scenarios, work = sys.argv[1], sys.argv[2], sys.argv[3]
ENCODER = ["--set", "mode=functional", "--set", "workload.model.seq=16", "--set", "workload.model.layers=1",
           "--set", "workload.model.precision=8bit", "--set", "workload.model.accuracy=true"]
APPS = [
    ("selftest", "firmware_selftest.yaml", []),
    ("hello", "firmware_hello.yaml", []),
    ("attention", "attention_layer.yaml", []),
    ("encoder_nonlinear_accelerator", "models/bert_base.yaml", ENCODER + ["--set", "workload.model.nonlinear=accelerator"]),
    ("encoder_nonlinear_host", "models/bert_base.yaml", ENCODER + ["--set", "workload.model.nonlinear=host"]),
]
RESULT_STATS = ("ctrl.commands", "dma.bytes", "dma.descriptors")  # not ctrl.interrupts: how often the host sleeps is timing
failures = []


def run(app, scenario, extra, cpu):
    out = os.path.join(work, f"{app}_{cpu}")
    os.makedirs(out, exist_ok=True)
    cmd = [dtqvp, "run", os.path.join(scenarios, scenario), "-q", "--out", out, "--trace", os.path.join(out, "trace.json"),
           "--set", f"host.cpu={cpu}"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"{app} {cpu}: exit code {p.returncode}\n{p.stdout}{p.stderr}")
        return None
    with open(os.path.join(out, "console.txt")) as f:
        console = f.read().splitlines()
    with open(os.path.join(out, "trace.json")) as f:
        t = json.load(f)
    events = t["traceEvents"] if isinstance(t, dict) else t
    commands = [(e["name"], e["args"]["index"], e["args"]["tag"], e["args"]["error"])
                for e in events if "tag" in e.get("args", {}) and "index" in e.get("args", {})]
    with open(os.path.join(out, "stats.json")) as f:
        stats = {k: v["value"] for k, v in json.load(f)["stats"].items()}
    return console, commands, stats


def mask(line):
    return re.sub(r"[0-9]+", "N", line) if ("cycles" in line or "DRAM" in line) else line


for app, scenario, extra in APPS:
    a = run(app, scenario, extra, "native")
    b = run(app, scenario, extra, "rv32")
    if a is None or b is None:
        continue
    (ca, qa, sa), (cb, qb, sb) = a, b
    if len(ca) != len(cb) or any(mask(x) != mask(y) for x, y in zip(ca, cb)):
        failures.append(f"{app}: program output differs:\n  native: {ca}\n  rv32:   {cb}")
    if not qa:
        failures.append(f"{app}: no command in the trace")
    if qa != qb:
        failures.append(f"{app}: command streams differ ({len(qa)} vs {len(qb)} commands)")
    results = [k for k in sa if k in RESULT_STATS or k.startswith("model.accuracy.")]
    for k in results:
        if sa[k] != sb.get(k):
            failures.append(f"{app}: {k}: native {sa[k]}, rv32 {sb.get(k)}")
    print(f"{app}: {len(ca)} output lines, {len(qa)} commands, {len(results)} result statistics equal; "
          f"host.cycles native {sa.get('host.cycles')} rv32 {sb.get('host.cycles')}, "
          f"host.instructions rv32 {sb.get('host.instructions')}, "
          f"host.mmio_accesses native {sa.get('host.mmio_accesses')} rv32 {sb.get('host.mmio_accesses')}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
