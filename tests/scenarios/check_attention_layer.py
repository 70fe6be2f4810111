#!/usr/bin/env python3
"""scenarios/attention_layer.yaml: one BERT-Base attention layer through the firmware's
ATTENTION command. Checks: the run succeeds and prints per-unit cycles and token counts;
module 2 at least its hand lower bound, the hidden ratio; timing mode gives the same cycles as
functional mode; the same layer under the RTL in lockstep (one head) has no mismatch."""
import json, os, subprocess, sys

dtqvp, scenario, out = sys.argv[1:4]
have_rtl = len(sys.argv) > 4 and sys.argv[4] == "rtl"
fails = []

def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)

def run(name, *sets):
    d = os.path.join(out, name)
    args = [dtqvp, "run", scenario, "--out", d]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    stats = {}
    if os.path.exists(os.path.join(d, "stats.json")):
        with open(os.path.join(d, "stats.json")) as f:
            stats = {k: v["value"] for k, v in json.load(f)["stats"].items()}
    return p, stats

p, f = run("functional")
check(p.returncode == 0, f"functional run exits 0 (got {p.returncode}: {p.stderr.strip()[:300]})")
for line in ("tokens 36 pruned / 53 4-bit / 39 8-bit", "busy cycles: DMA", "next layer (top-k): 36 pruned / 53 4-bit / 39 8-bit"):
    check(line in p.stdout, f"the firmware prints '{line}'")
for unit in ("dma", "fetcher", "vssa", "softmax", "topk"):
    check(f.get(f"attention.{unit}_busy_cycles", 0) > 0, f"attention.{unit}_busy_cycles > 0")
# Module 2 by hand (docs/attention.md, docs/timing-model.md#top-k-engine): 12 heads of
# 92 x ceil(92 / 16) importance cycles, then engine 0 over the 92 kept tokens and engine 1
# over its 92 survivors (4 x (ceil(92/16) + 4 + 16) + ceil(92/16) + 4 = 114 each), then the
# precision-list write: at least 6624 + 228 + 1 cycles. (hidden + exposed = module 2 is the
# definition; the exact split is pinned by scenario.attention_schedule on a hand-built layer.)
imp, sel = 12 * 92 * 6, 4 * (6 + 4 + 16) + 6 + 4
check(f.get("attention.module2_cycles", 0) >= imp + 2 * sel + 1,
      f"module2 cycles {f.get('attention.module2_cycles')} >= {imp + 2 * sel + 1} (importance + both engines + the write)")
check(0 < f.get("attention.module2_exposed_cycles", -1) < f.get("attention.module2_cycles", 0)
      and abs(f.get("attention.module2_hidden_ratio", -1) - f.get("attention.module2_hidden_cycles", 0) / f.get("attention.module2_cycles", 1)) < 1e-12,
      "module 2 partly exposed (the precision write after module 1), hidden ratio = hidden / module 2")
check((f.get("attention.tokens_pruned"), f.get("attention.tokens_4bit"), f.get("attention.tokens_8bit")) == (36, 53, 39),
      "token counts 36 / 53 / 39 (28% / 41.4% / 30.6% of 128)")
check(f.get("attention.vssa_busy_cycles") == f.get("attention.vssa_qk_cycles", 0) + f.get("attention.vssa_pv_cycles", 0),
      "VSSA busy = Q x K^T + P x V cycles")

p, t = run("timing", "mode=timing")
check(p.returncode == 0, "timing run exits 0")
for key in ("attention.cycles", "attention.vssa_busy_cycles", "attention.softmax_busy_cycles", "attention.dma_busy_cycles",
            "attention.module2_exposed_cycles"):
    check(t.get(key) == f.get(key), f"{key}: timing {t.get(key)} == functional {f.get(key)}")

if have_rtl:
    p, l = run("lockstep", "vssa.backend=lockstep", "workload.attention.heads=1")
    check(p.returncode == 0, f"one head in lockstep exits 0 (got {p.returncode}: {p.stderr.strip()[:300]})")
    check(l.get("cosim.tiles_compared", 0) > 0 and l.get("cosim.mismatches") == 0,
          f"lockstep: {l.get('cosim.tiles_compared')} tiles compared, {l.get('cosim.mismatches')} mismatches")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
