#!/usr/bin/env python3
"""fuzz_vectors.py DTQVP GOLDEN.json OUTDIR [N]: `dtqvp kernels --vectors` on N mutated copies
of cases of the golden vector file (fixed seed). Each run must end with exit code 0, 1 or 2
(never a signal, never another code) within 60 s; prints the counts and the time."""
import json, os, random, subprocess, sys, time

dtqvp, golden_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 60
golden = json.load(open(golden_path))
cases = [(k, c) for k, lst in golden["kernels"].items() for c in lst]
rng = random.Random(20260)
palette = [None, True, "x", -1, 0, 2**63 - 1, -2**63, 2**64 - 1, 2**70, 1e308, -5e-324, 2.5, [], {}, [1, 2], "0x1p+0"]


def mutate(doc):
    for _ in range(rng.randint(1, 3)):
        kernel = rng.choice(list(doc["kernels"]))
        case = rng.choice(doc["kernels"][kernel])
        key = rng.choice(list(case))
        v = case[key]
        r = rng.random()
        if r < 0.4 and isinstance(v, int) and not isinstance(v, bool):
            case[key] = v + rng.choice([-2, -1, 1, 2])
        elif r < 0.5 and isinstance(v, list) and v and isinstance(v[0], int):
            v[rng.randrange(len(v))] += 1
        elif r < 0.8:
            case[key] = rng.choice(palette)
        else:
            del case[key]


os.makedirs(out, exist_ok=True)
codes = {0: 0, 1: 0, 2: 0}
t0 = time.time()
for i in range(n):
    doc = {"format_version": 1, "bookkeeping": golden["bookkeeping"], "kernels": {}}
    for _ in range(rng.randint(1, 3)):
        k, c = rng.choice(cases)
        doc["kernels"].setdefault(k, []).append(json.loads(json.dumps(c)))
    text = json.dumps(doc)
    if rng.random() < 0.2:  # text damage
        p = rng.randrange(len(text))
        text = text[:p] + rng.choice(["{", "]", ",", "\"", "\x00", "e999"]) + text[p + rng.randint(0, 4):]
    else:
        mutate(doc)
        text = json.dumps(doc)
    f = os.path.join(out, f"case{i:03d}.json")
    with open(f, "w") as fh:
        fh.write(text)
    try:
        r = subprocess.run([dtqvp, "kernels", "--vectors", f], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        sys.exit(f"FAIL: {f}: no result within 60 s")
    if r.returncode not in codes:
        sys.exit(f"FAIL: {f}: exit code {r.returncode}\n{r.stdout}{r.stderr}")
    codes[r.returncode] += 1
    os.remove(f) if r.returncode == 0 else None
print(f"fuzz: {n} mutated vector files through dtqvp kernels in {time.time() - t0:.2f} s: "
      f"{codes[0]} exit 0, {codes[1]} exit 1, {codes[2]} exit 2")
if min(codes.values()) == 0:
    sys.exit("FAIL: the mutations did not reach every exit code")
