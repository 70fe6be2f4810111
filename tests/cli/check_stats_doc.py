#!/usr/bin/env python3
"""docs/user-guide.md#every-statistic lists every statistic (name, unit, what it counts) that
the shipped workloads produce: runs one scenario of each kind (short forms) and checks the
table with tools/stats_doc.py. With --write, regenerates the table in the guide instead."""
import os, subprocess, sys

args = [a for a in sys.argv[1:] if a != "--write"]
write = "--write" in sys.argv
dtqvp, src, out = args[:3]
sc = os.path.join(src, "scenarios")
runs = {
    "default": ["default.yaml"],
    "dma_stream": ["dma_stream.yaml", "--set", "workload.dma_stream.bytes=64KiB"],
    "faults": ["firmware_faults.yaml"],
    "attention_layer": ["attention_layer.yaml", "--set", "workload.attention.heads=1"],
    "gpt2": ["models/gpt2.yaml", "--set", "workload.model.layers=1", "--set", "workload.model.decode_tokens=1",
             "--set", "workload.model.seq=32"],
    "accuracy": ["models/bert_base_accuracy.yaml", "--set", "workload.model.layers=1", "--set", "workload.model.seq=32"],
    "requests": ["requests/bert_base_short.yaml"],
}
paths = []
for name, a in runs.items():
    d = os.path.join(out, name)
    r = subprocess.run([dtqvp, "run", os.path.join(sc, a[0]), *a[1:], "--quiet", "--out", d], capture_output=True, text=True)
    assert r.returncode == 0, (name, r.stderr)
    paths.append(os.path.join(d, "stats.json"))
tool = os.path.join(src, "tools", "stats_doc.py")
doc = os.path.join(src, "docs", "user-guide.md")
if write:
    table = subprocess.run([sys.executable, tool, *paths], capture_output=True, text=True, check=True).stdout
    text = open(doc).read()
    b, e = "<!-- stats-table", "<!-- end of stats-table -->"
    text = text[:text.index(b)] + table.rstrip("\n") + text[text.index(e) + len(e):]
    open(doc, "w").write(text)
    print("wrote the table into", doc)
    sys.exit(0)
sys.exit(subprocess.run([sys.executable, tool, "--check", doc, *paths]).returncode)
