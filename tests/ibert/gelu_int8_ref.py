#!/usr/bin/env python3
"""gelu_int8_ref.py REFS_DIR OUT.json: the GELU command's i-GELU on int8 inputs, computed with the
reference (../shared/refs/ibert_ref.py) for tests/ibert's "gelu int8" test. For each input scale S:
the erf shift n chosen by the rule of docs/ibert.md#i-gelu-on-int8-inputs (written here again,
independently of the C++ gelu_consts_int8: the smallest n >= 0 such that every int8 input's
intermediates and result provably stay in int32), the reference's constants at that n
(gelu_consts with ibert_ref.GELU_SHIFT = n: its formulas with 2**n) and i_gelu_int of every int8
input at that n. Scales too fine for any n are listed as refused. Standard library only."""
import json
import math
import sys

R = None  # ibert_ref, imported by load()


def load(refs):
    global R
    sys.path.insert(0, refs)
    import ibert_ref
    R = ibert_ref
    return R


INT32_MAX = 2 ** 31 - 1


def consts(s, n):
    saved = R.GELU_SHIFT
    R.GELU_SHIFT = n
    try:
        return R.gelu_consts(s)
    finally:
        R.GELU_SHIFT = saved


def fits(k):
    """The hand bound (docs/ibert.md#i-gelu-on-int8-inputs): |x| <= 128, |t| <= |b|, |t^2 + c| <= b^2 + |c| = V,
    |erf| <= ceil(V / 2^n) = E, |out| <= 128 (E + |shift_int|); all <= INT32_MAX."""
    v = k["b_int"] ** 2 + abs(k["c_int"])
    e = -((-v) >> k["n"])  # ceil(v / 2^n)
    return v <= INT32_MAX and 128 * (e + abs(k["shift_int"])) <= INT32_MAX


def choose(s):
    """The reference's constants at the smallest n in 0..31 that fits, or None."""
    for n in range(32):
        k = consts(s, n)
        if fits(k):
            return k
    return None


def main():
    load(sys.argv[1])
    xs = list(range(-128, 128))
    lo, hi, count = 7.9e-5, 4.0, 60
    scales = [math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (count - 1)) for i in range(count)]
    scales += [2.0 ** -12, 2.0 ** -9, 2.0 ** -7, 1.0 / 32, 0.043, 0.1]
    cases, refused = [], []
    for s in scales:
        k = choose(s)
        if k is None:
            refused.append(s)
            continue
        y = R.i_gelu_int(xs, k["b_int"], k["c_int"], k["shift_int"], k["n"])
        assert all(-2 ** 31 <= v <= INT32_MAX for v in y)
        cases.append({"scale": s, "n": k["n"], "b_int": k["b_int"], "c_int": k["c_int"], "shift_int": k["shift_int"],
                      "out_scale": k["out_scale"], "erf_scale": k["erf_scale"], "y": y})
    for s in (1e-6, 1e-5, 5e-5, 7.8e-5):
        assert choose(s) is None
        refused.append(s)
    json.dump({"x": xs, "cases": cases, "refused": refused}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
