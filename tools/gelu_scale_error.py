#!/usr/bin/python3
"""i-GELU's error against the float GELU at int8 input scales (docs/ibert.md#i-gelu-on-int8-inputs,
docs/workloads.md#onnx-limits): for each input scale S, every int8 input x in [-128, 127] through
I-BERT's integer GELU as ../shared/refs/ibert_ref.py computes it (gelu_consts, i_gelu_int; the
VP's kernel is bit-exact with it, tests/ibert), once with I-BERT's erf shift n = 14 and once with
the n the GELU command uses for int8 inputs (the smallest n keeping every int8 input in int32;
tests/ibert/gelu_int8_ref.py's `choose`, which tests/ibert checks equals the C++
ibert::gelu_consts_int8), and the largest |y_int out_scale - GELU(x S)| of each; poly_error is that of I-BERT's erf
polynomial evaluated in float (the approximation's own error, no integers). Prints one JSON
object {"s0".."s5": {"scale", "range", "c_int", "b_int", "n14_error", "n", "max_abs_error",
"poly_error"}} for
tools/docs_figures.py (command `py tools/gelu_scale_error.py`).

Usage: gelu_scale_error.py [REFS_DIR]   (default ../shared/refs beside the checkout)
"""
import importlib.util
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCALES = [2.0 ** -12, 2.0 ** -9, 2.0 ** -7, 1.0 / 32, 0.043, 0.1]


def main():
    refs = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "refs")
    spec = importlib.util.spec_from_file_location("gelu_int8_ref", os.path.join(ROOT, "tests/ibert/gelu_int8_ref.py"))
    G = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(G)
    R = G.load(refs)
    xs = list(range(-128, 128))

    def error(s, k):
        y = R.i_gelu_int(xs, k["b_int"], k["c_int"], k["shift_int"], k["n"])
        return max(abs(v * k["out_scale"] - (x * s) * 0.5 * (1.0 + math.erf(x * s / math.sqrt(2.0)))) for x, v in zip(xs, y))

    def poly_error(s):  # I-BERT's erf polynomial in float (no integers): the approximation's own error
        def erf_poly(u):
            a = min(abs(u), -R.GELU_B)
            return math.copysign(R.GELU_A * (a + R.GELU_B) ** 2 + R.GELU_C, u) if u else 0.0
        return max(abs(x * s * 0.5 * (1.0 + erf_poly(x * s / R.GELU_K)) - (x * s) * 0.5 * (1.0 + math.erf(x * s / math.sqrt(2.0))))
                   for x in xs)

    out = {}
    for i, s in enumerate(SCALES):
        k14 = G.consts(s, 14)
        k = G.choose(s)
        out[f"s{i}"] = {"scale": s, "range": 127 * s, "c_int": k14["c_int"], "b_int": k14["b_int"],
                        "n14_error": error(s, k14), "n": k["n"], "max_abs_error": error(s, k),
                        "poly_error": poly_error(s)}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
