#!/usr/bin/env python3
"""Energy through the command line (docs/energy.md):
1. timing and functional mode give the same energy, power, perf and area statistics for
   the same scenario (one BERT-Base layer, seq 64, through the firmware);
2. one table entry changed by --set changes exactly the energies that use it (and the
   totals derived from them), nothing else;
3. the attention study's baselines get energy from the same table: the 8-bit baseline and
   the VSSA without reordering cost more than DTQAtten.
4. `dtqvp report --energy --json` prices every op by hand: a matmul's FLOPs / 2 MACs at
   (0.2 + 0.1) pJ x 40/45 (Horowitz's 8-bit multiply and 32-bit add at 40 nm), the other
   op's FLOPs at 0.1 pJ x 40/45, every memory-operation byte at 8 x 20 pJ/bit;
5. with the DRAM's open-row banks on, row misses are priced as activates (1000 pJ), all but
   one per bank as precharges (500 pJ), the bytes at the I/O energy (10 pJ/bit);
6. --trace gets a `power` track of power_w counters, none below the leakage power.
Usage: check_energy.py DTQVP MODEL_SCENARIO COMPARE_SCENARIO OUT_DIR"""
import json, subprocess, sys

dtqvp, model_scenario, compare_scenario, out = sys.argv[1:5]


def run(scenario, tag, *sets):
    args = [dtqvp, "run", scenario, "--quiet", "--out", f"{out}/{tag}"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, (tag, r.returncode, r.stdout, r.stderr)
    return {k: v["value"] for k, v in json.load(open(f"{out}/{tag}/stats.json"))["stats"].items()}


def ours(s):
    return {k: v for k, v in s.items() if k.split(".")[0] in ("energy", "power", "perf", "area")}


short = ("workload.model.layers=1", "workload.model.seq=64")
t = run(model_scenario, "timing", "mode=timing", *short)
f = run(model_scenario, "functional", "mode=functional", *short)
assert t["energy.total_uj"] > 0 and t["perf.gops"] > 0 and t["area.total_mm2"] > 0
for unit in ("vssa", "dram", "dma", "softmax", "normact", "topk", "fetcher", "scratchpad", "accumulator"):
    assert t[f"energy.{unit}.total_pj"] > 0, unit
et, ef = ours(t), ours(f)
assert et.keys() == ef.keys()
diff = [k for k in et if et[k] != ef[k]]
assert not diff, [(k, et[k], ef[k]) for k in diff]

o = run(model_scenario, "override", "mode=timing", *short, "energy.override.dma_descriptor_pj=20")
eo = ours(o)
changed = {k for k in et if et[k] != eo[k]}
expected = {"energy.dma.descriptor_pj", "energy.dma.total_pj", "energy.dynamic_uj", "energy.total_uj",
            "power.average_w", "power.dynamic_w", "perf.gops_per_w", "perf.pj_per_op"}
assert changed == expected, (sorted(changed ^ expected))
# descriptor energy = descriptors x 20 pJ exactly (an override is the value at the table's node)
assert abs(eo["energy.dma.descriptor_pj"] - 20 * t["dma.descriptors"]) <= 1e-9 * eo["energy.dma.descriptor_pj"]

c = run(compare_scenario, "compare")
for b in ("8bit", "other_order", "spatten"):
    assert c[f"energy.baseline.{b}_uj"] > c["energy.total_uj"] > 0, (b, c[f"energy.baseline.{b}_uj"], c["energy.total_uj"])
    assert 0 < c[f"energy.baseline.saving_vs_{b}"] < 1
r = subprocess.run([dtqvp, "run", model_scenario, "--quiet", "--out", f"{out}/trace", "--trace", f"{out}/trace.json",
                    "--set", "mode=timing", *sum((["--set", x] for x in short), [])], capture_output=True, text=True)
assert r.returncode == 0, (r.stdout, r.stderr)
tr = json.load(open(f"{out}/trace.json"))["traceEvents"]
tids = [e["tid"] for e in tr if e.get("name") == "thread_name" and e["args"]["name"] == "power"]
assert len(tids) == 1, tids
pw = [e["args"]["value"] for e in tr if e.get("ph") == "C" and e.get("name") == "power_w" and e["tid"] == tids[0]]
ts = json.load(open(f"{out}/trace/stats.json"))["stats"]
assert len(pw) >= 2 and min(pw) >= ts["power.leakage_w"]["value"] * (1 - 1e-9) and max(pw) > ts["power.leakage_w"]["value"], pw[:5]
r = subprocess.run([dtqvp, "report", "--model", "bert-base", "--seq", "128", "--energy", "--json"], capture_output=True, text=True)
assert r.returncode == 0, r.stderr
rep = json.loads(r.stdout)
assert rep["energy"]["tech"] == "40nm"
by = {e["name"]: e for e in rep["energy"]["ops"]}
for op in rep["ops"]:
    e = by[op["name"]]
    mac = op["flops"] / 2 * (0.2 + 0.1) * 40 / 45 if op["name"] != "other" else op["flops"] * 0.1 * 40 / 45
    assert abs(e["compute_uj"] - mac * 1e-6) <= 1e-9 * mac * 1e-6, (op["name"], e, mac)
    assert abs(e["memory_uj"] - op["mops"] * 8 * 20 * 1e-6) <= 1e-9 * op["mops"] * 160e-6, (op["name"], e)
assert abs(by["total"]["total_uj"] - sum(by[o["name"]]["total_uj"] for o in rep["ops"])) < 1e-6
import os
stream = os.path.join(os.path.dirname(model_scenario), "..", "dma_stream.yaml")
d = run(stream, "banks", "dram.banks.enabled=true", "workload.dma_stream.bytes=65536")
n = run(stream, "nobanks", "workload.dma_stream.bytes=65536")
miss, rd = d["dram.row_misses"], d["dram.bytes_read"]
assert miss > 8 and rd == 65536, (miss, rd)
assert abs(d["energy.dram.activate_pj"] - miss * 1000) < 1e-6 and abs(d["energy.dram.precharge_pj"] - (miss - 8) * 500) < 1e-6
assert abs(d["energy.dram.read_pj"] - rd * 8 * 10) < 1e-6
assert n["energy.dram.activate_pj"] == 0 and abs(n["energy.dram.read_pj"] - rd * 8 * 20) < 1e-6
print("energy checks passed")
