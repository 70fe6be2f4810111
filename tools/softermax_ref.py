#!/usr/bin/python3
"""Softermax reference: the integer arithmetic of dtqvp's softermax mode, in pure Python ints.

Written from the method's description (docs/softermax.md), not from the C++: base-2
exponentials, an integer running max ("IntMax"), a running sum corrected by a right shift
whenever the max grows (online normalization, one pass), then a second pass that aligns
every stored exponential to the final max and multiplies it by a normalized reciprocal of
the sum. models/softmax/softermax.cpp must equal it bit for bit
(tests/softmax/test_softermax.cpp reads the vectors this script writes).

  python3 tools/softermax_ref.py vectors --seed 1 -o tests/softmax/softermax_vectors.json
  python3 tools/softermax_ref.py row --scale 0.002 -- 10 -5 300

Widths (docs/softermax.md#widths):
  x      input in the log2 domain, signed X_BITS = 16, X_FRAC = 6 fractional bits, saturating
  m      integer running max (ceil of x), signed 11 bits
  P(f)   2^f for the X_FRAC-bit fraction f, unsigned Q1.15 (16 bits), 8-segment
         piecewise-linear interpolation between POW2_TABLE entries (floor)
  e      unnormalized exponential 2^(x - m_local), unsigned Q1.15 (16 bits)
  sum    running sum, unsigned 32 bits, 15 fractional bits (rows up to 65536)
  r      reciprocal mantissa floor(2^(L+15) / sum), L = bitlen(sum): 17 bits, in (2^15, 2^16]
  y      round_half_up(e_final * r / 2^(L + 15 - output_bit)), capped to 2^min(output_bit,7) - 1
"""
import argparse
import json
import math
import random
import sys

X_BITS = 16
X_FRAC = 6
X_MIN = -(1 << (X_BITS - 1))
X_MAX = (1 << (X_BITS - 1)) - 1
E_FRAC = 15          # Q1.15 exponentials
SEG_BITS = 3         # 8 segments of the pow2 interpolation
SUM_BITS = 32
MAX_ROW = 1 << 16    # n * 2^15 <= 2^31 < 2^SUM_BITS: the sum cannot overflow
LOG2E = 1.4426950408889634  # binary64 nearest to log2(e); the C++ uses the same literal
FREXP_MAX_BIT = 31

# round(2^(s/8) * 2^15) for s = 0..8, correctly rounded (checked by table_check()).
POW2_TABLE = [32768, 35734, 38968, 42495, 46341, 50535, 55109, 60097, 65536]


def table_check():
    for s, v in enumerate(POW2_TABLE):
        exact = 2.0 ** (s / 8) * (1 << E_FRAC)
        assert abs(v - exact) <= 0.5, (s, v, exact)


def dyadic(mult):
    """(m, e) with mult ~ m / 2^e: frexp, m = round_half_away(f * 2^31), e = 31 - ex (as I-BERT)."""
    if not math.isfinite(mult):
        raise ValueError("multiplier must be finite")
    f, ex = math.frexp(mult)
    big = int(math.ldexp(f, 53))             # exact: f = big / 2^53
    a = abs(big)
    m = (a + (1 << 21)) >> 22                # round half away on f * 2^31 = big / 2^22
    if big < 0:
        m = -m
    return m, FREXP_MAX_BIT - ex


def to_log2_fixed(s, me):
    """x = sat16(round_half_up(s * m / 2^e)): the score in log2 units with X_FRAC fraction bits."""
    m, e = me
    p = s * m
    if e > 0:
        v = (p + (1 << (e - 1))) >> e
    else:
        v = p << (-e)
    return min(max(v, X_MIN), X_MAX)


def ceil_int(x):
    """ceil(x / 2^X_FRAC) for a fixed-point x: the integer running max candidate."""
    return -((-x) >> X_FRAC)


def pow2_frac(f):
    """2^(f / 2^X_FRAC) in Q1.15 for 0 <= f < 2^X_FRAC: linear interpolation in 8 segments."""
    lo_bits = X_FRAC - SEG_BITS
    s = f >> lo_bits
    r = f & ((1 << lo_bits) - 1)
    a, b = POW2_TABLE[s], POW2_TABLE[s + 1]
    return a + (((b - a) * r) >> lo_bits)


def shr(v, s):
    """v >> s for unsigned v, any s >= 0 (a shifter that outputs 0 beyond its width)."""
    return 0 if s >= 64 else v >> s


def softermax_row(scores, scale, output_bit=7):
    if not scores:
        raise ValueError("empty row")
    if len(scores) > MAX_ROW:
        raise ValueError("row longer than %d" % MAX_ROW)
    if not (scale > 0) or not math.isfinite(scale):
        raise ValueError("scale must be positive and finite")
    if not 0 <= output_bit <= 15:
        raise ValueError("output_bit must be in [0, 15]")
    mult = (scale * LOG2E) * float(1 << X_FRAC)
    me = dyadic(mult)
    xs = [to_log2_fixed(int(s), me) for s in scores]

    # Pass 1: running max, unnormalized exponentials, running sum (online normalization).
    m = None
    total = 0
    e_local = []
    m_local = []
    corrections = 0
    for x in xs:
        c = ceil_int(x)
        if m is None:
            m = c
        elif c > m:
            total = shr(total, c - m)   # rescale the sum to the new max
            corrections += 1
            m = c
        d = x - (m << X_FRAC)           # <= 0
        k = d >> X_FRAC                 # floor: integer part (<= 0)
        f = d & ((1 << X_FRAC) - 1)     # fraction bits (= those of x, since m is an integer)
        e = shr(pow2_frac(f), -k)
        total += e
        assert total < (1 << SUM_BITS)
        e_local.append(e)
        m_local.append(m)

    # Between the passes: normalized reciprocal of the sum.
    L = total.bit_length()
    r = (1 << (L + E_FRAC)) // total

    # Pass 2: align each stored exponential to the final max, multiply, round.
    top = (1 << min(output_bit, 7)) - 1
    sh = L + E_FRAC - output_bit
    ys = []
    e_final = []
    for e, ml in zip(e_local, m_local):
        ef = shr(e, m - ml)
        e_final.append(ef)
        y = (ef * r + (1 << (sh - 1))) >> sh if sh > 0 else (ef * r) << (-sh)
        ys.append(min(y, top))
    return {
        "mult": mult, "m": me[0], "e": me[1], "x": xs, "max": m, "e_local": e_local,
        "m_local": m_local, "sum": total, "corrections": corrections, "recip": r,
        "e_final": e_final, "y": ys,
    }


def two_pass_sum(xs):
    """The sum of the exponentials taken with the final max (each term shifted once)."""
    m = max(ceil_int(x) for x in xs)
    total = 0
    for x in xs:
        d = x - (m << X_FRAC)
        total += shr(pow2_frac(d & ((1 << X_FRAC) - 1)), -(d >> X_FRAC))
    return total


# ---- golden vectors -------------------------------------------------------------------------
def make_cases(seed):
    rng = random.Random(seed)
    cases = []

    def add(name, scores, scale, output_bit=7):
        cases.append((name, [int(v) for v in scores], scale, output_bit))

    def gauss_row(n, sigma, scale):
        return [round(rng.gauss(0.0, sigma) / scale) for _ in range(n)]

    add("single_element", [1234], 0.002)
    add("single_negative", [-(1 << 31)], 0.001)
    add("two_equal", [5, 5], 0.01)
    add("all_equal_16", [777] * 16, 0.003)
    add("all_equal_512", [-40000] * 512, 0.0005)
    add("zeros_128", [0] * 128, 0.002)
    add("one_hot_peak", [0] * 63 + [20000], 0.002)
    add("int32_extremes", [-(1 << 31), (1 << 31) - 1, 0, -1, 1], 0.001)
    add("saturating_high", [(1 << 31) - 1 - i for i in range(32)], 0.05)
    add("large_negative_range", [rng.randrange(-(1 << 31), 0) for _ in range(96)], 0.0001)
    add("large_negative_range_wide", [-rng.randrange(0, 10 ** 7) for _ in range(200)], 0.002)
    add("ascending_128", list(range(0, 128 * 37, 37)), 0.004)          # the max changes every element
    add("ascending_steep", [i * 2000 for i in range(64)], 0.002)
    add("descending_128", list(range(128 * 37, 0, -37)), 0.004)
    add("sawtooth_rising", [(i % 8) * 50 + i * 90 for i in range(256)], 0.003)
    add("output_bit_8", gauss_row(64, 2.0, 0.002), 0.002, 8)
    add("output_bit_4", gauss_row(64, 2.0, 0.002), 0.002, 4)
    add("tiny_scale", gauss_row(128, 1.0, 1e-6), 1e-6)
    add("coarse_scale", [rng.randrange(-8, 9) for _ in range(48)], 0.7)
    for n in (7, 17, 64, 128, 384, 512, 1024, 4096):
        for sigma in (1.0, 3.0):
            add("gauss_n%d_sigma%g" % (n, sigma), gauss_row(n, sigma, 0.002), 0.002)
    for i in range(24):
        n = rng.randrange(1, 700)
        scale = 10 ** rng.uniform(-5, -1)
        sigma = rng.uniform(0.3, 8.0)
        add("random_%d" % i, gauss_row(n, sigma, scale), scale)
    # Rising walk: the max grows often, by small and large steps.
    walk, v = [], 0
    for _ in range(2048):
        v += rng.randrange(-300, 900)
        walk.append(v)
    add("random_walk_2048", walk, 0.001)
    return cases


def vectors(seed):
    table_check()
    out = {"format_version": 1, "generator": "tools/softermax_ref.py", "seed": seed,
           "widths": {"x_bits": X_BITS, "x_frac": X_FRAC, "e_frac": E_FRAC, "seg_bits": SEG_BITS,
                      "sum_bits": SUM_BITS, "pow2_table": POW2_TABLE}, "cases": []}
    for name, scores, scale, ob in make_cases(seed):
        r = softermax_row(scores, scale, ob)
        out["cases"].append({
            "name": name, "n": len(scores), "scale": scale, "scale_hex": float.hex(scale),
            "output_bit": ob, "scores": scores, "mult_hex": float.hex(r["mult"]), "m": r["m"], "e": r["e"],
            "x": r["x"], "max": r["max"], "e_local": r["e_local"], "m_local": r["m_local"],
            "sum": r["sum"], "two_pass_sum": two_pass_sum(r["x"]), "corrections": r["corrections"],
            "recip": r["recip"], "y": r["y"]})
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vectors", help="write golden vectors (JSON)")
    v.add_argument("--seed", type=int, default=1)
    v.add_argument("-o", "--output", default="-")
    r = sub.add_parser("row", help="print the softermax of one row of integer scores")
    r.add_argument("--scale", type=float, required=True)
    r.add_argument("--output-bit", type=int, default=7)
    r.add_argument("scores", nargs="+", type=int)
    a = ap.parse_args(argv)
    if a.cmd == "vectors":
        text = json.dumps(vectors(a.seed), separators=(",", ":")) + "\n"
        if a.output == "-":
            sys.stdout.write(text)
        else:
            with open(a.output, "w") as f:
                f.write(text)
    else:
        res = softermax_row(a.scores, a.scale, a.output_bit)
        print(json.dumps({k: res[k] for k in ("x", "max", "sum", "recip", "y")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
