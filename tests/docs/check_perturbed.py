#!/usr/bin/env python3
"""docs.figures_perturbed: one constant of the timing model changed (the DMA's set-up
cycles, docs/timing-model.md#dma) must make tools/docs_figures.py check fail with exit 1,
naming the doc, the line and both values; unperturbed, the same figure passes."""
import subprocess
import sys

root, build = sys.argv[1], sys.argv[2]
tool = [sys.executable, f"{root}/tools/docs_figures.py", "check", f"{root}/docs/results.md",
        "--build", build, "--only", "attention_layer"]
ok = subprocess.run(tool, capture_output=True, text=True)
assert ok.returncode == 0, f"unperturbed check failed:\n{ok.stdout}\n{ok.stderr}"
bad = subprocess.run(tool + ["--extra-set", "dma.setup_cycles=17"], capture_output=True, text=True)
assert bad.returncode == 1, f"perturbed check exited {bad.returncode}:\n{bad.stdout}\n{bad.stderr}"
assert "docs/results.md:" in bad.stdout and "figure 'attention_layer' differs" in bad.stdout, bad.stdout
assert "doc:" in bad.stdout and "command:" in bad.stdout, bad.stdout
print("perturbed check fails as it should:\n" + bad.stdout)
