#!/usr/bin/env python3
"""The Python module (docs/python.md), imported by Debian's python3 from the build tree:
dtqvp.run returns the CLI's statistics (value, unit, description) and the resolved config
for the default scenario; dtqvp.sweep's rows for a two-point sweep equal the CLI's
results.json and go into a pandas.DataFrame; errors raise dtqvp.Error with the CLI's message
and exit code."""
import json, os, shutil, subprocess, sys

dtqvp_exe, pydir, scenarios, tmp = sys.argv[1:5]
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)
sys.path.insert(0, pydir)
import dtqvp  # noqa: E402
import pandas  # noqa: E402

assert os.path.realpath(dtqvp.exe()) == os.path.realpath(dtqvp_exe), (dtqvp.exe(), dtqvp_exe)
default = os.path.join(scenarios, "default.yaml")


def cli(*args):
    return subprocess.run([dtqvp_exe, *map(str, args)], capture_output=True, text=True)


# 1. One run, against the CLI's stats.json of the same scenario and override.
r = dtqvp.run(default, {"vssa.arrays": 1})
c = cli("run", default, "--set", "vssa.arrays=1", "--quiet", "--out", f"{tmp}/cli_default")
assert c.returncode == 0, c.stderr
ref = json.load(open(f"{tmp}/cli_default/stats.json"))
assert r["config"] == ref["config"] and r["config"]["vssa"]["arrays"] == 1, r["config"]["vssa"]
assert r["sim"]["simulated_cycles"] == ref["sim"]["simulated_cycles"]
assert set(r["stats"]) == set(ref["stats"]), set(r["stats"]) ^ set(ref["stats"])
for k, v in ref["stats"].items():
    assert r["stats"][k] == v, (k, r["stats"][k], v)  # value, unit and description
assert set(r["stats"]["vssa.cycles"]) == {"value", "unit", "description"}
assert r["stats"]["vssa.cycles"]["unit"] == "cycles" and isinstance(r["stats"]["vssa.cycles"]["value"], int)
# The default has 11 arrays: one array takes longer (the override reached the run).
r11 = dtqvp.run("default")  # a shipped scenario by name
assert r11["config"]["vssa"]["arrays"] == 11
assert r["stats"]["vssa.cycles"]["value"] > r11["stats"]["vssa.cycles"]["value"]
print("ok: dtqvp.run(default, {vssa.arrays: 1}) equals the CLI's stats.json:", len(ref["stats"]), "statistics")

# 2. A two-point sweep, against the CLI's results.json.
sweep = f"{tmp}/two.yaml"
with open(sweep, "w") as f:
    f.write(f"# two points\nbase: {default}\ngrid:\n  vssa.arrays: [1, 2]\n")
rows = dtqvp.sweep(sweep)
c = cli("sweep", sweep, "--quiet", "--out", f"{tmp}/cli_sweep")
assert c.returncode == 0, c.stderr
ref = json.load(open(f"{tmp}/cli_sweep/results.json"))["points"]
assert len(rows) == 2 == len(ref)
for row, p in zip(rows, ref):
    assert row["point"] == p["point"] and row["exit_code"] == 0 == p["exit_code"]
    assert row["simulated_cycles"] == p["sim"]["simulated_cycles"]
    for k, v in p["stats"].items():
        assert row[k] == v, (k, row[k], v)
assert [row["vssa.arrays"] for row in rows] == [1, 2]  # typed, from the resolved config
df = pandas.DataFrame(rows)
assert list(df["vssa.arrays"]) == [1, 2] and df["vssa.cycles"].dtype.kind == "i", df.dtypes["vssa.cycles"]
assert df.loc[0, "vssa.cycles"] > df.loc[1, "vssa.cycles"]
print("ok: dtqvp.sweep (2 points) equals the CLI's results.json; DataFrame", df.shape)

# 3. Errors carry the CLI's message and exit code.
for args, sets, code in (([default], {"dram.bytes_per_cycle": 0}, 2),
                         ([os.path.join(scenarios, "dma_stream.yaml")], {"dram.size": "1MiB"}, 2),
                         (["no_such_scenario"], None, 2)):
    try:
        dtqvp.run(args[0], sets)
        sys.exit(f"FAIL: no exception for {args} {sets}")
    except dtqvp.Error as e:
        setargs = [a for k, v in (sets or {}).items() for a in ("--set", f"{k}={v}")]
        c = cli("run", args[0], *setargs, "--quiet", "--out", f"{tmp}/cli_err")
        assert e.exit_code == c.returncode == code, (e.exit_code, c.returncode, code)
        assert e.message == c.stderr.strip(), (e.message, c.stderr)
        print(f"ok: error exit code {code}: {e.message.splitlines()[0]}")
# A sweep that cannot start raises too (exit code 2, the CLI's message).
bad = f"{tmp}/bad.yaml"
with open(bad, "w") as f:
    f.write(f"base: {default}\ngrid:\n  vssa.arays: [1, 2]\n")
try:
    dtqvp.sweep(bad)
    sys.exit("FAIL: no exception for a bad sweep")
except dtqvp.Error as e:
    assert e.exit_code == 2 and "vssa.arays" in e.message, e
print("ok: the Python module")
