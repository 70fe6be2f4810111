#!/usr/bin/env python3
"""--vcd writes the controller's signals as VCD (busy goes 1 then 0, CMD_HEAD advances to 1);
--rtl-vcd writes the VSSA RTL waveform of the chosen tile in a lockstep run."""
import json, os, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
have_rtl = len(sys.argv) > 4 and sys.argv[4] == "rtl"
os.makedirs(out, exist_ok=True)
args = [dtqvp, "run", scenario, "-q", "--out", out, "--vcd", f"{out}/ctrl.vcd", "--set", "workload.attention.heads=1"]
if have_rtl:
    args += ["--rtl-vcd", f"{out}/tile.vcd", "--rtl-vcd-tile", "3", "--set", "vssa.backend=lockstep"]
p = subprocess.run(args, capture_output=True, text=True, timeout=300)
assert p.returncode == 0, p.stderr
text = open(f"{out}/ctrl.vcd").read()
ids = {}
for line in text.splitlines():
    f = line.split()
    if f[:1] == ["$var"]:
        ids[f[4]] = f[3]
assert {"irq", "busy", "CMD_HEAD", "CMD_TAIL", "ERR_CODE"} <= set(ids), ids
busy = [l[0] for l in text.split("$enddefinitions")[1].splitlines() if l[1:] == ids["busy"] and l[:1] in "01"]
assert busy[:3] == ["0", "1", "0"], busy  # idle, the ATTENTION command, idle
assert f"b1 {ids['CMD_HEAD']}" in text, "CMD_HEAD never reached 1"
if have_rtl:
    assert "GEMM 'head0.qk', tile 3 of it" in p.stderr, p.stderr
    vcd = open(f"{out}/tile.vcd").read()
    assert "$scope module vssa_array" in vcd and "$enddefinitions" in vcd and "cycle_count" in vcd, vcd[:500]
print("ok: controller VCD", sorted(ids), "busy", busy, "; RTL tile VCD" if have_rtl else "")

# Every controller signal that changes is in the VCD: the interrupt line rises (the firmware's
# one DMA command completes and raises it) and falls (the firmware clears IRQ_STATUS), and
# PERF_CMDS_COMPLETED counts the command, at any clock frequency (1 ps timescale: 800 MHz has a
# 1250 ps period, not a power of ten).
hello = scenario.replace("attention_layer.yaml", "firmware_hello.yaml")


def parse_vcd(path):
    text = open(path).read()
    head, body = text.split("$enddefinitions $end")
    ids = {f.split()[3]: f.split()[4] for f in head.splitlines() if f.startswith("$var")}
    assert "$timescale 1 ps $end" in head, head[:200]
    t, changes = 0, {}
    for line in body.splitlines():
        if line.startswith("#"):
            t = int(line[1:])
        elif line[:1] in "01" and line[1:] in ids:
            changes.setdefault(ids[line[1:]], []).append((t, int(line[0])))
        elif line.startswith("b"):
            v, i = line[1:].split()
            changes.setdefault(ids[i], []).append((t, int(v, 2)))
    return ids, changes


for mhz, period in ((1000, 1000), (800, 1250)):
    r = subprocess.run([dtqvp, "run", hello, "-q", "--out", f"{out}/hello{mhz}", "--vcd", f"{out}/hello{mhz}.vcd",
                        "--set", f"clock_mhz={mhz}"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    st = json.load(open(f"{out}/hello{mhz}/stats.json"))["stats"]
    ids, ch = parse_vcd(f"{out}/hello{mhz}.vcd")
    irq = [v for _, v in ch["irq"]]
    assert irq[:3] == [0, 1, 0], irq                              # low, raised, cleared
    assert sum(1 for a, b in zip(irq, irq[1:]) if (a, b) == (0, 1)) == st["ctrl.interrupts"]["value"]
    cmds = ch["PERF_CMDS_COMPLETED"]
    assert cmds[-1][1] == st["ctrl.commands"]["value"] == 2, cmds  # hello.c: one DMA and one MARKER command
    assert all(t % period == 0 for sig in ch.values() for t, _ in sig), "a change off the clock grid"
    times = [t for sig in ch.values() for t, _ in sig]
    assert [v for _, v in ch["IRQ_STATUS"]][:2] == [0, 6] and len(ch["IRQ_STATUS"]) >= 3, ch["IRQ_STATUS"]  # MARKER (2) and QUEUE_EMPTY (4) when the MARKER ends the queue; hello.c clears MARKER (W1C) and 4 stays
    print(f"ok: {mhz} MHz VCD: irq {irq}, PERF_CMDS_COMPLETED {[v for _, v in cmds]}")
