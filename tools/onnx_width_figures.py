#!/usr/bin/python3
"""The integer pipeline's accuracy against the model's width (docs/workloads.md#onnx-limits):
builds the test's bias-free 2-layer encoder (tests/platform/make_onnx_models.py, encoder_int)
at seq 16 and d_model 64, 256 and 768 (heads of 16, 64 and 64 wide; d_ffn 4 x d_model, 256 at
768 to keep the run short), runs each through `dtqvp run` (the dtqatten preset, every kept
token 8-bit) with `workload.onnx.pipeline: integer` and, at 768, also with the GEMM-only path
(`pipeline: gemm`: float non-linear ops), and prints one JSON object {run: {statistic: value}}
for tools/docs_figures.py (command `py tools/onnx_width_figures.py`).

Runs: int64, int256, int768 (integer pipeline), gemm768 (GEMM path), ffn768 (the 768 model with
its FFN1 weights scaled by 0.1: GELU's inputs 10 x smaller, integer pipeline).

Usage: onnx_width_figures.py [--build DIR]
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQ = 16
WIDTHS = {64: (4, 256), 256: (4, 1024), 768: (12, 256)}  # d_model: (heads, d_ffn)


def build(d, heads, ffn, path, ffn1_factor=1.0):
    """encoder_int() of make_onnx_models.py at another width (its module constants set first);
    ffn1_factor scales the FFN1 weights."""
    import numpy as np
    import onnx
    spec = importlib.util.spec_from_file_location("make_onnx_models", os.path.join(ROOT, "tests/platform/make_onnx_models.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.S, m.D, m.H, m.F, m.DH = SEQ, d, heads, ffn, d // heads
    model = m.encoder_int()
    if ffn1_factor != 1.0:
        from onnx import numpy_helper
        for t in model.graph.initializer:
            if t.name.endswith("ffn1_w"):
                t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t) * ffn1_factor).astype(np.float32), t.name))
    onnx.save(model, path)
    np.save(path + ".x.npy", np.random.default_rng(7).standard_normal((1, SEQ, d)).astype(np.float32))


def run(exe, tmp, name, model, pipeline):
    """One model through dtqvp, every kept token 8-bit (onnx_integer_figures.run_model)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from onnx_integer_figures import run_model
    return run_model(exe, tmp, name, model, SEQ, pipeline, "8", model + ".x.npy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    exe = os.path.join(a.build, "dtqvp")
    out = {}
    with tempfile.TemporaryDirectory(prefix="dtq-onnx-width-") as tmp:
        for d, (heads, ffn) in WIDTHS.items():
            model = os.path.join(tmp, f"encoder_{d}.onnx")
            build(d, heads, ffn, model)
            out[f"int{d}"] = run(exe, tmp, f"int{d}", model, "integer")
            if d == 768:
                out["gemm768"] = run(exe, tmp, "gemm768", model, "gemm")
                small = os.path.join(tmp, "encoder_768_ffn1.onnx")
                build(d, heads, ffn, small, 0.1)
                out["ffn768"] = run(exe, tmp, "ffn768", small, "integer")
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
