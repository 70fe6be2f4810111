#!/usr/bin/python3
"""The integer pipeline's figures in docs/workloads.md#integer-pipeline: builds the test's small
ONNX models (tests/platform/make_onnx_models.py) in a temporary directory, runs each through
`dtqvp run` (workload.onnx.pipeline integer, the dtqatten preset) and prints one JSON object
{run: {statistic: value}} for tools/docs_figures.py (command `py tools/onnx_integer_figures.py`).

Runs: enc8 (encoder2_int.onnx, every kept token 8-bit), enc_topk (the same, DTQAtten's top-k
engines at the default ratios), dec8 (decoder_int.onnx, causal); encb8, encb_topk, decb8: the
same with encoder2_bias.onnx / decoder_bias.onnx (projection and FFN biases, per-channel
LayerNorm gamma and beta); encp8, encp_topk, decp8: the pre-LN (GPT-2 style) models
encoder2_preln.onnx / decoder_preln.onnx (with a final LayerNorm).

Usage: onnx_integer_figures.py [--build DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUNS = {
    "enc8": ("encoder2_int.onnx", "8"),
    "enc_topk": ("encoder2_int.onnx", "topk"),
    "dec8": ("decoder_int.onnx", "8"),
    "encb8": ("encoder2_bias.onnx", "8"),
    "encb_topk": ("encoder2_bias.onnx", "topk"),
    "decb8": ("decoder_bias.onnx", "8"),
    "encp8": ("encoder2_preln.onnx", "8"),
    "encp_topk": ("encoder2_preln.onnx", "topk"),
    "decp8": ("decoder_preln.onnx", "8"),
}


def run_model(exe, tmp, name, model, seq, pipeline, prec, inp):
    """`dtqvp run` of one ONNX model (the dtqatten preset, functional) in TMP/NAME; returns its
    statistics as {name: value} with the sim.* numbers. Exits with dtqvp's code on a failure."""
    yaml = os.path.join(tmp, name + ".yaml")
    with open(yaml, "w") as f:
        f.write(f"include: {ROOT}/scenarios/presets/dtqatten.yaml\nname: onnx_{name}\nmode: functional\n"
                f"workload:\n  kind: onnx\n  onnx: {{model: {model}, seq: {seq}, pipeline: {pipeline}, "
                f"input: {inp}}}\n  gemm: {{a_precision: '{prec}'}}\n")
    d = os.path.join(tmp, name)
    p = subprocess.run([exe, "run", yaml, "--out", d, "-q"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit(p.returncode)
    with open(os.path.join(d, "stats.json")) as f:
        st = json.load(f)
    flat = {k: v["value"] for k, v in st["stats"].items()}
    flat.update({f"sim.{k}": v for k, v in st["sim"].items() if isinstance(v, (int, float))})
    return flat


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    exe = os.path.join(a.build, "dtqvp")
    out = {}
    with tempfile.TemporaryDirectory(prefix="dtq-onnx-int-") as tmp:
        models = os.path.join(tmp, "models")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/platform/make_onnx_models.py"), models], check=True)
        for name, (model, prec) in RUNS.items():
            out[name] = run_model(exe, tmp, name, f"{models}/{model}", 16, "integer", prec, f"{models}/encoder2_x.npy")
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
