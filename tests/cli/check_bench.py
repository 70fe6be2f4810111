#!/usr/bin/env python3
"""make bench's harness in its quick form (bench/run_bench.py --quick): results.json is
valid JSON with the machine, the commit, the date and, per figure, value, unit, target,
met and the command; an entry whose scenario is missing is "not available", not faked."""
import json, os, shutil, subprocess, sys

python, harness, build, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
out = os.path.join(work, "results.json")
r = subprocess.run([python, harness, "--quick", "--build", build, "--out", out, "--work", os.path.join(work, "entries")],
                   capture_output=True, text=True)
print(r.stdout, r.stderr)
assert r.returncode == 0, r.returncode
j = json.load(open(out))
for k in ("date", "git", "machine", "entries", "quick", "total_seconds"):
    assert k in j, k
assert j["quick"] is True
assert j["machine"]["cpu_model"] and j["machine"]["cores"] >= 1, j["machine"]
assert len(j["git"]["commit"] or "") == 40, j["git"]
entries = {e["name"]: e for e in j["entries"]}
g = entries["gemm.bert_base_seq128.analytical"]
assert g["status"] == "ok", g
figs = {f["name"]: f for f in g["figures"]}
for name in ("int8_wall_seconds", "int8_gmacs", "dgemm_wall_seconds", "dgemm_gmacs", "dgemm_over_int8"):
    f = figs[name]
    assert f["value"] > 0 and f["unit"] and "model_gemm" in f["command"], f
    assert set(f) >= {"name", "value", "unit", "target", "met", "command"}, f
assert "libopenblas" in g["blas"]["library"] and "OpenBLAS" in g["blas"]["config"], g["blas"]
# the whole-model entries are not in the quick form (a 12-layer functional run is too slow
# for the sanitizer build); make bench runs them
assert "model.bert_base_seq128.functional" not in entries, entries.keys()
assert "gemm.bert_base_seq128.analytical" in r.stdout and "dgemm_over_int8" in r.stdout, r.stdout
print("bench quick: ok")
