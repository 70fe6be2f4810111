#!/usr/bin/env python3
"""A simulator fast path gives the same stats.json as its reference form.

check_fast_path.py DTQVP SCENARIO_DIR OUT KEY[=FAST/REFERENCE][:STAT,...] ...: for each KEY (a
boolean config key such as l2.fast_path, or a text key with its two values named:
workload.model.weight_store=generated/written), each run below goes once with each value; the
two stats.json must be equal apart from the wall-clock fields (sim.wall_seconds,
sim.cycles_per_second), the key itself under "config" and the statistics named after it (those
that count which path ran: dma.trains:dma.train_descriptors; they must sum to more than 0 over
the fast runs and to 0 over the reference runs). The runs are small whole-model
cases: timing and functional (with the accuracy proxy, whose errors are a function of every
output tensor, and without it, where model.output_fnv1a is the digest of every output tensor),
DRAM with row buffers and the JEDEC model (where the order of the L2's DRAM requests matters),
decode steps, VS-Quant PEs (GEMMs with scale stages), an L2 of 12 and of 32 ways."""
import collections, json, subprocess, sys

dtqvp, sc, out = sys.argv[1], sys.argv[2], sys.argv[3]
keys = sys.argv[4:]
RUNS = {
    "bert_timing": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=128", "workload.model.layers=2"],
    "bert_functional_accuracy": ["models/bert_base.yaml", "mode=functional", "workload.model.seq=128",
                                 "workload.model.layers=1", "workload.model.accuracy=true"],
    "bert_banks": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=256", "workload.model.layers=1",
                   "dram.banks.enabled=true"],
    "bert_jedec": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=128", "workload.model.layers=1",
                   "dram.model=jedec", "dram.jedec.preset=ddr4-3200"],
    "bert_functional": ["models/bert_base.yaml", "mode=functional", "workload.model.seq=128", "workload.model.layers=2"],
    "gpt2_functional_decode": ["models/gpt2.yaml", "mode=functional", "workload.model.seq=64", "workload.model.layers=1",
                               "workload.model.decode_tokens=2", "vssa.threads=1"],
    "gpt2_decode": ["models/gpt2.yaml", "mode=timing", "workload.model.layers=2", "workload.model.decode_tokens=4"],
    "bert_vsquant_timing": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=128", "workload.model.layers=2",
                            "workload.model.precision=dtqatten_vsquant"],
    "l2_12_ways": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=128", "workload.model.layers=1",
                   "l2.ways=12", "l2.size=1536KiB"],
    "l2_32_ways": ["models/bert_base.yaml", "mode=timing", "workload.model.seq=128", "workload.model.layers=1",
                   "l2.ways=32"],
}


def stats(name, args, key, value, ignored=()):
    d = f"{out}/{key}/{name}/{value}"
    cmd = [dtqvp, "run", f"{sc}/{args[0]}", "-q", "--out", d]
    for s in args[1:] + [f"{key}={value}"]:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    j = json.load(open(f"{d}/stats.json"))
    for k in ("wall_seconds", "cycles_per_second"):
        j["sim"].pop(k)
    for k in ignored:
        v = j["stats"].pop(k, None)
        assert v is not None, f"{k} not in the run's statistics"
        taken[(key, value)] += v["value"]
    node = j["config"]
    for part in key.split(".")[:-1]:
        node = node[part]
    expected = value == "true" if value in ("true", "false") else value
    assert node.pop(key.split(".")[-1]) == expected, f"{key} not in the run's config"
    return j


def flat(d, p=""):
    for k, v in d.items():
        if isinstance(v, dict) and "value" not in v:
            yield from flat(v, p + k + ".")
        else:
            yield p + k, v


bad = 0
taken = collections.Counter()  # (key, value) -> the ignored statistics summed over the runs
for spec in keys:
    key, _, rest = spec.partition(":")
    key, _, values = key.partition("=")
    fast, reference = values.split("/") if values else ("true", "false")
    ignored = [k for k in rest.split(",") if k]
    for name, args in RUNS.items():
        a, b = stats(name, args, key, fast, ignored), stats(name, args, key, reference, ignored)
        if a != b:
            fa, fb = dict(flat(a)), dict(flat(b))
            diff = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
            print(f"FAIL {key} {name}: {len(diff)} entries differ, e.g. " +
                  "; ".join(f"{k}: {fa.get(k)} vs {fb.get(k)}" for k in diff[:5]))
            bad += 1
        else:
            print(f"ok {key} {name}: {len(dict(flat(a)))} entries equal")
    # The statistics that count which path ran say the fast path ran (somewhere) and the
    # reference path never took it: the comparison was not between two runs of one path.
    if ignored and not (taken[(key, fast)] > 0 and taken[(key, reference)] == 0):
        print(f"FAIL {key}: {','.join(ignored)} sum to {taken[(key, fast)]} with {fast} and "
              f"{taken[(key, reference)]} with {reference} (expected > 0 and 0)")
        bad += 1
sys.exit(1 if bad else 0)
