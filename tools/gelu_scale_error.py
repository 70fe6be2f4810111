#!/usr/bin/python3
"""i-GELU's error against the float GELU at int8 input scales (docs/workloads.md#onnx-limits):
for each input scale S, every int8 input x in [-127, 127] through I-BERT's integer GELU as
../shared/refs/ibert_ref.py computes it (gelu_consts(S), i_gelu_int; the VP's kernel is
bit-exact with it, tests/ibert), and the largest |y_int out_scale - GELU(x S)|. Prints one JSON
object {"s0".."s4": {"scale", "max_abs_error", "range", "c_int", "b_int", "n"}} for tools/docs_figures.py (command
`py tools/gelu_scale_error.py`).

Usage: gelu_scale_error.py [REFS_DIR]   (default ../shared/refs beside the checkout)
"""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCALES = [2.0 ** -12, 2.0 ** -9, 2.0 ** -7, 1.0 / 32, 0.043]


def main():
    refs = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "refs")
    sys.path.insert(0, refs)
    import ibert_ref as R
    out = {}
    for i, s in enumerate(SCALES):
        xs = list(range(-127, 128))
        o = R.i_gelu(xs, s)
        err = max(abs(y * o["out_scale"] - (x * s) * 0.5 * (1.0 + math.erf(x * s / math.sqrt(2.0))))
                  for x, y in zip(xs, o["y_int"]))
        out[f"s{i}"] = {"scale": s, "max_abs_error": err, "range": 127 * s, "c_int": o["consts"]["c_int"],
                        "b_int": o["consts"]["b_int"], "n": o["consts"]["n"]}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
