"""Helpers of the reliability tests (issue 20): run dtqvp, check the exit code, the
message, the wall time and the peak RSS of the child."""
import os, re, resource, subprocess, sys, time

def run(cmd, code, regex=None, timeout=120, max_seconds=None, max_rss_mib=None, stdout=None):
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=stdout is None, stdout=stdout, stderr=subprocess.PIPE if stdout else None,
                       text=True, timeout=timeout)
    wall = time.monotonic() - t0
    out = (r.stdout or "") + (r.stderr or "")
    where = " ".join(str(c) for c in cmd)
    assert r.returncode == code, f"{where}: expected exit {code}, got {r.returncode}\n{out[-3000:]}"
    if regex is not None:
        assert re.search(regex, out, re.M), f"{where}: output does not match /{regex}/:\n{out[-3000:]}"
    if max_seconds is not None:
        assert wall <= max_seconds, f"{where}: took {wall:.1f} s, more than {max_seconds} s"
    if max_rss_mib is not None:
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        assert rss <= max_rss_mib, f"{where}: a child peaked at {rss:.0f} MiB, more than {max_rss_mib} MiB"
    print(f"ok ({wall:.1f} s): exit {r.returncode}: {where[:160]}")
    return out
