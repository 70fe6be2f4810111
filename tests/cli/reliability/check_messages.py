#!/usr/bin/env python3
"""Issue 20, item 6: messages. Duplicate keys are errors; a second YAML document is an
error; sections, subcommands and options get "did you mean"; an include that is a
directory or FIFO says so; error lists are capped; every CLI option is validated;
--rtl-vcd-tile past the last tile is an error."""
import os, subprocess, sys
from common import run

dtqvp, sc, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
sc = os.path.abspath(sc)

def f(name, text):
    p = f"{work}/{name}"
    open(p, "w").write(text)
    return p

# Duplicate keys: top level, nested, in a sweep.
run([dtqvp, "check", f("dup.yaml", "name: a\nname: b\n")], 2, r"dup.yaml:2:1: name: duplicate key \(first at line 1, column 1\)")
run([dtqvp, "check", f("dup2.yaml", "name: a\ndram:\n  size: 1MiB\n  size: 2MiB\n")], 2, r"dup2.yaml:4:3: dram.size: duplicate key")
base = f"{sc}/dma_stream.yaml"
run([dtqvp, "sweep", f("dups.yaml", f"base: {base}\nbase: {sc}/default.yaml\npoints:\n  - {{seed: 1}}\n"), "--out", f"{work}/o"], 2,
    r"dups.yaml:2:1: base: duplicate key")
run([dtqvp, "check", base, "--set", "workload.requests.list=[{at_us: 1, at_us: 2, seq: 8}]"], 2, r"gives a key twice")
# A second YAML document.
run([dtqvp, "check", f("two_docs.yaml", "name: a\n---\nname: b\n")], 2, r"two_docs.yaml:3:1: a second YAML document")
run([dtqvp, "sweep", f("two_docs_sweep.yaml", f"base: {base}\npoints: [{{seed: 1}}]\n---\nx: 1\n")], 2, r"a second YAML document")
# Did you mean: a section, a subcommand, an option, a sweep key.
run([dtqvp, "check", f("dramm.yaml", "name: a\ndramm: {size: 1MiB}\n")], 2, r"dramm: unknown key \(did you mean 'dram'\?\)")
run([dtqvp, "runn", base], 2, r"unknown command 'runn'; did you mean 'run'\?")
run([dtqvp, "run", base, "--trac", "t.json"], 2, r"unknown option --trac; did you mean --trace\?")
run([dtqvp, "sweep", f("gird.yaml", f"base: {base}\ngird: {{seed: [1]}}\n")], 2, r"gird: unknown key \(did you mean 'grid'\? ")
# Includes (and the scenario itself) that are not regular files.
os.makedirs(f"{work}/adir", exist_ok=True)
run([dtqvp, "check", f("inc_dir.yaml", "include: adir\nname: a\n")], 2, r"inc_dir.yaml:1:10: include: .*adir: is a directory")
fifo = f"{work}/fifo.yaml"
if not os.path.exists(fifo):
    os.mkfifo(fifo)
run([dtqvp, "check", f("inc_fifo.yaml", "include: fifo.yaml\nname: a\n")], 2, r"fifo.yaml: is not a regular file", max_seconds=20)
run([dtqvp, "check", f"{work}/adir"], 2, r"adir: is a directory")
# A million errors are counted, not printed (200000 here, to keep the test short).
big = f"{work}/many.yaml"
with open(big, "w") as g:
    g.write("name: a\n" + "".join(f"k{i}: 1\n" for i in range(200000)))
out = run([dtqvp, "check", big], 2, r"^dtqvp: 200000 errors \(the first 50 shown\)$", max_seconds=60)
assert out.count("\n") <= 52, out.count("\n")
# Every documented option is validated.
run([dtqvp, "run", base, "--trace-max-events", "-1"], 2, r"--trace-max-events: expected a number >= 0, got -1")
run([dtqvp, "run", base, "--rtl-vcd-tile", "-3"], 2, r"--rtl-vcd-tile: expected a number >= 0, got -3")
run([dtqvp, "report", "--model", "bert-base", "--seq", "-5"], 2, r"--seq: (expected a number >= 0, got -5|Value -5 not in range)")
run([dtqvp, "report", "--model", "bert-base", "--traffic", "--layers", "-1"], 2, r"--layers: (expected a number >= 0|Value -1 not in range)")
run([dtqvp, "sweep", f"{sc}/sweeps/dram_bandwidth.yaml", "-j", "-2"], 2, r"--jobs: expected a number >= 0|--jobs")
run([dtqvp, "run", base, "--out", ""], 2, r"--out: expected a directory name")
run([dtqvp, "sweep", f"{sc}/sweeps/dram_bandwidth.yaml", "--out", ""], 2, r"--out: expected a directory name")
run([dtqvp, "sweep", f"{sc}/sweeps/dram_bandwidth.yaml", "--run-point", "-1"], 2, r"expected a number >= 0, got -1")
run([dtqvp, "sweep", f"{sc}/sweeps/dram_bandwidth.yaml", "--slurm-timeout", "-1"], 2, r"--slurm-timeout")
# --rtl-vcd-tile past the run's last RTL tile (with the Verilated backend in this build).
if subprocess.run([dtqvp, "check", f"{sc}/cosim_lockstep.yaml"], capture_output=True).returncode == 0:
    run([dtqvp, "run", f"{sc}/cosim_lockstep.yaml", "--quiet", "--out", f"{work}/cos", "--rtl-vcd", f"{work}/t.vcd",
         "--rtl-vcd-tile", "100000000"], 2, r"--rtl-vcd-tile 100000000: the run had [0-9]+ RTL tiles \(0 to [0-9]+\): no waveform")
print("ok: messages")
