#!/usr/bin/env python3
"""The progress line (docs/user-guide.md#command-line), with stderr on a pseudo-terminal as a
user sees it: the set-up phase before the simulation, prefill layer l/L, decode token t/T, a
percentage and the time left, at most one update per 100 ms; nothing without a terminal."""
import os, pty, re, select, subprocess, sys, time

dtqvp, scenario, out = sys.argv[1:4]
# Functional GPT-2, 12 layers, 6 decode tokens: about 1.5 s on an idle 2-core machine, long
# enough for several updates (a 3-layer timing run takes 0.1 s when the machine is idle).
args = [dtqvp, "run", scenario, "--out", out, "--set", "mode=functional",
        "--set", "workload.model.decode_tokens=6", "--set", "workload.model.seq=128"]
master, slave = pty.openpty()
t0 = time.monotonic()
p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, close_fds=True)
os.close(slave)
err = b""
while True:
    r, _, _ = select.select([master], [], [], 0.5)
    if r:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    elif p.poll() is not None:
        break
stdout = p.communicate()[0].decode()
wall = time.monotonic() - t0
os.close(master)
assert p.returncode == 0, (p.returncode, err)
text = err.decode(errors="replace")
lines = [l.strip() for l in text.split("\r") if l.strip()]
print("\n".join(lines[:40]))
assert any("set-up: the model's weights" in l for l in lines) or wall < 0.2, lines  # shown unless all is this fast
prefill = [l for l in lines if "prefill layer" in l]
decode = [l for l in lines if "decode token" in l]
# Each line: phase, percentage, cycles, elapsed and (once a rate is known) the time left.
for l in prefill + decode:
    assert re.search(r"\] (prefill layer ([1-9]|1[0-2])/12|decode token [1-6]/6, layer ([1-9]|1[0-2])/12) +[0-9.]+%  [0-9]+ cycles  [0-9.]+ s",
                     l), l
assert prefill + decode, lines  # at least one layer line (the run takes over a second)
left = [l for l in lines if "left" in l]
assert all(re.search(r"about [0-9.]+ (s|min) left$", l) for l in left), left
# At most one update per 100 ms (the first line is free).
assert len(lines) <= 1 + wall / 0.1, (len(lines), wall)
# The line is erased before the summary; stdout has the summary, not the progress.
assert "prefill layer" not in stdout and "statistic" in stdout
# Without a terminal: no progress at all.
r = subprocess.run(args, capture_output=True, text=True)
assert r.returncode == 0 and "prefill layer" not in r.stderr and "\r" not in r.stderr, r.stderr
print(f"ok: {len(lines)} progress updates in {wall:.2f} s; {len(prefill)} prefill, {len(decode)} decode lines")
