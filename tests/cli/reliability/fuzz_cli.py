#!/usr/bin/env python3
"""fuzz_cli.py DTQVP SCENARIOS OUTDIR [N]: the binary on N random sweep files and --set
values (fixed seed): `dtqvp sweep FILE --collect` paths (validation only: nothing runs) and
`dtqvp check SCENARIO --set ...`. Every case must end with exit code 0, 1, 2 or 3 (never a
signal), within 30 s and 1 GiB of peak RSS. The in-process twin with 10^4 cases is the
Catch2 test "fuzz: 10000 sweep files and --set values ..."."""
import os, random, resource, subprocess, sys, time

dtqvp, sc, out = sys.argv[1:4]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
os.makedirs(out, exist_ok=True)
rng = random.Random(2020)
keys = ["dram.size", "seed", "mode", "clock_mhz", "linebuf.size", "scratchpad.size", "workload.kind", "workload.model.seq",
        "workload.model.decode_tokens", "workload.model.name", "vsquant.vector_size", "budget.max_cycles", "nope", "dram",
        "workload.firmware_app", "workload.dma_stream.bytes", "watchdog.timeout_cycles", "budget.wall_seconds"]
vals = ["0", "1", "-1", "4KiB", "1MiB", "4GiB", "5GiB", "512", "4097", "18446744073709551616", "timing", "model", "firmware",
        "hello", "gpt2", "[1, 2]", "{a: 1}", "''", "x", "1.5", "nan", "~", "[", "\xff", "a" * 300]
t0, worst, codes = time.monotonic(), 0.0, {}
for i in range(n):
    if i % 2 == 0:
        f = f"{out}/s{i % 7}.yaml"
        lines = [f"base: {os.path.abspath(sc)}/dma_stream.yaml" if rng.random() < 0.9 else "base: nope.yaml"]
        if rng.random() < 0.5:
            lines.append("grid:")
            big = rng.random() < 0.3
            for _ in range(rng.randint(6, 11) if big else rng.randint(0, 3)):
                lines.append(f"  {rng.choice(keys)}: [{', '.join(rng.choice(vals + [str(rng.randint(0, 4096))]) for _ in range(rng.randint(10, 12) if big else rng.randint(0, 3)))}]")
        else:
            lines.append("points:")
            for _ in range(rng.randint(0, 3)):
                lines.append(f"  - {{{rng.choice(keys)}: {rng.choice(vals)}}}")
        if rng.random() < 0.1:
            lines.append(rng.choice(["---", "base: x.yaml", "grid: 1", "gird: {}"]))
        open(f, "w", encoding="utf-8", errors="replace").write("\n".join(lines) + "\n")
        os.makedirs(f"{out}/c/points", exist_ok=True)
        cmd = [dtqvp, "sweep", f, "--collect", f"{out}/c", "-q"]
    else:
        cmd = [dtqvp, "check", f"{sc}/" + rng.choice(["dma_stream.yaml", "firmware_hello.yaml", "models/bert_base.yaml"])]
        for _ in range(rng.randint(1, 3)):
            cmd += ["--set", f"{rng.choice(keys)}={rng.choice(vals)}"]
    c0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    dt = time.monotonic() - c0
    worst = max(worst, dt)
    assert r.returncode in (0, 1, 2, 3), f"case {i}: exit {r.returncode}: {cmd}\n{r.stderr[-2000:]}"
    assert dt < 30, f"case {i}: {dt:.1f} s: {cmd}"
    codes[r.returncode] = codes.get(r.returncode, 0) + 1
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
assert rss < 1024, f"a case peaked at {rss:.0f} MiB"
print(f"ok: {n} cases, exit codes {dict(sorted(codes.items()))}, slowest {worst:.2f} s, peak RSS {rss:.0f} MiB, "
      f"{time.monotonic() - t0:.1f} s in all")
