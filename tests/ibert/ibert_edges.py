#!/usr/bin/env python3
"""ibert_edges.py REFS_DIR OUT.json: edge rows for the integer units, with the expected
outputs computed by the reference (../shared/refs/ibert_ref.py), for tests/ibert's
"edges" test. The rows are where the clamps and caps act: the most negative inputs
(INT32_MIN, below i-exp's clip at 30 x x0_int, below i-GELU's clip at -b_int), all-equal
rows (every length 1..64 and powers of two to 1024), one-hot rows (all of a row's mass on
one key: the largest probability) at scales across the whole range, and a 20,000-row
random probe of the softmax at the attention unit's output_bit 7."""
import json, math, random, sys

sys.path.insert(0, sys.argv[1])
import ibert_ref as R  # noqa: E402

I32MIN, I32MAX = R.INT32_MIN, R.INT32_MAX
rng = random.Random(30)
OUT_BIT = 7  # the attention unit's softmax output (docs/attention.md)


def scales(n, lo, hi):
    return [math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (n - 1)) for i in range(n)]


softmax = []
def sm(name, xs, s):
    r = R.i_softmax(xs, s, output_bit=OUT_BIT)
    softmax.append({"name": name, "scale": s, "x": xs, "y": r["y_int"], "exp16_max": max(r["exp16"])})


for s in scales(12, 5e-5, 0.6):  # the scales the integer kernels support (docs/ibert.md: exp_int fits int64)
    sm("single", [0], s)
    sm("single_most_negative", [I32MIN], s)
    for n in (2, 16, 128, 512):
        sm("one_hot_int32", [I32MAX] + [I32MIN] * (n - 1), s)
        sm("one_hot_gap_clip", [0] + [30 * R.exp_consts(s)["x0_int"] - 1] * (n - 1), s)
        sm("all_most_negative", [I32MIN] * n, s)
    sm("two_max_rest_min", [I32MAX, I32MAX] + [I32MIN] * 30, s)
for n in list(range(1, 65)) + [128, 256, 512, 1024]:
    for v in (0, I32MIN, I32MAX, -12345):
        sm("all_equal", [v] * n, 1e-3)
probe_ymax = 0
probe_rows = 0
for i in range(20000):  # one row per draw: one max, the others anywhere below it
    s = math.exp(rng.uniform(math.log(5e-5), math.log(0.6)))
    n = rng.choice((1, 2, 3, 7, 16, 64))
    gap = int(rng.choice((1.0, 5.0, 20.0, 60.0, 1e4)) / s)
    xs = [0] + [-rng.randrange(0, gap + 1) for _ in range(n - 1)]
    r = R.i_softmax(xs, s, output_bit=OUT_BIT)
    probe_ymax = max(probe_ymax, max(r["y_int"]))
    probe_rows += 1
    if i % 100 == 0:
        softmax.append({"name": "probe", "scale": s, "x": xs, "y": r["y_int"], "exp16_max": max(r["exp16"])})

gelu = []
for s in scales(8, 1e-5, 0.5):
    b = R.gelu_consts(s)["b_int"]
    xs = [I32MIN, I32MIN + 1, -b - 1, -b, -b + 1, -1, 0, 1, b - 1, b, b + 1, I32MAX]
    gelu.append({"name": "clips_and_extremes", "scale": s, "x": xs, "y": R.i_gelu(xs, s)["y_int"]})

exp = []
for s in scales(8, 5e-5, 0.6):
    x0 = R.exp_consts(s)["x0_int"]
    xs = [0, x0, 30 * x0 + 1, 30 * x0, 30 * x0 - 1, I32MIN, I32MIN + 1]
    exp.append({"name": "clip_and_most_negative", "scale": s, "x": xs, "y": R.i_exp(xs, s)["exp_int"]})

layernorm = []
for n in (1, 2, 3, 64, 768):
    g = [1.0 + 0.25 * (j % 3) for j in range(n)]
    bt = [0.01 * (j % 5) - 0.02 for j in range(n)]
    for v in (0, 777777, I32MIN, I32MAX):
        r = R.i_layernorm([v] * n, g, bt, scale=1e-3, shift=0, overflow_handling=True)
        layernorm.append({"name": "all_equal", "x": [v] * n, "gamma": g, "beta": bt, "y": r["y_int"]})

json.dump({"softmax_output_bit": OUT_BIT, "probe_rows": probe_rows, "probe_ymax": probe_ymax,
           "softmax": softmax, "gelu": gelu, "exp": exp, "layernorm": layernorm}, open(sys.argv[2], "w"))
print(f"ibert_edges: {len(softmax)} softmax rows, probe of {probe_rows} rows: largest y {probe_ymax}")
